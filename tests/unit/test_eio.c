/* test_eio.c - Engine.IO v4 packets and polling payloads, with the examples of the protocol
 * document. Inputs sit against an unreadable page so any over-read crashes. */
#include <stdint.h>
#include <stdlib.h>

#include "b64.h"
#include "eio.h"
#include "guard.h"
#include "hub_err.h"
#include "testlib.h"

static int decode_text(const char *s, struct eio_packet *p)
{
    struct guard g;
    size_t n = strlen(s);
    const char *in = guard_copy(&g, s, n);
    int rc = eio_decode_text(in, n, p);

    /* Copy the data out before the guard goes away: it points into the input. */
    static char data[256];
    if (rc == 0) {
        CHECK(p->data == (const uint8_t *)in + 1);
        memcpy(data, p->data, p->len);
        p->data = (const uint8_t *)data;
    }
    guard_free(&g);
    return rc;
}

static void test_text_packets(void)
{
    /* From the document: the open packet, the heartbeat, the upgrade dance and messages. */
    static const struct {
        const char *in;
        enum eio_type type;
        const char *data;
    } ok[] = {
        {"0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,"
         "\"pingTimeout\":5000,\"maxPayload\":1000000}",
         EIO_OPEN,
         "{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,"
         "\"pingTimeout\":5000,\"maxPayload\":1000000}"},
        {"1", EIO_CLOSE, ""},
        {"2", EIO_PING, ""},
        {"3", EIO_PONG, ""},
        {"2probe", EIO_PING, "probe"},
        {"3probe", EIO_PONG, "probe"},
        {"4hello", EIO_MESSAGE, "hello"},
        {"4hey", EIO_MESSAGE, "hey"},
        {"4HelloWorld", EIO_MESSAGE, "HelloWorld"},
        {"42[\"hey\",\"Jude\"]", EIO_MESSAGE, "2[\"hey\",\"Jude\"]"},
        {"40", EIO_MESSAGE, "0"},
        {"5", EIO_UPGRADE, ""},
        {"6", EIO_NOOP, ""},
        {"4\xe2\x82\xac", EIO_MESSAGE, "\xe2\x82\xac"},
    };
    static const char *const bad[] = {"",  "7",         "9",  "a",  "abc",
                                      "b", "bAQIDBA==", "-1", " 4", "\x1e"};
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct eio_packet p;
        CHECK_INT(decode_text(ok[i].in, &p), 0);
        CHECK_INT(p.type, ok[i].type);
        CHECK_INT(p.binary, 0);
        CHECK_MEM(p.data, p.len, ok[i].data, strlen(ok[i].data));
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct eio_packet p;
        CHECK_INT(decode_text(bad[i], &p), HUB_EPARSE);
    }
}

static void test_binary_frame(void)
{
    /* WebSocket: binary payloads are sent as is, without a type byte. */
    const uint8_t buf[] = {1, 2, 3, 4};
    struct eio_packet p;

    eio_decode_binary(buf, sizeof(buf), &p);
    CHECK_INT(p.type, EIO_MESSAGE);
    CHECK_INT(p.binary, 1);
    CHECK(p.data == buf);
    CHECK_INT(p.len, 4);
}

/* Splits a payload (against the guard page) into its segments, joined with '|' for comparison. */
static int split_n(const char *payload, size_t n, char *out, size_t cap)
{
    struct guard g;
    const char *in = guard_copy(&g, payload, n);
    size_t pos = 0, o = 0, seg_len;
    const char *seg;
    int count = 0;

    while (eio_payload_next(in, n, &pos, &seg, &seg_len)) {
        if (count++) out[o++] = '|';
        if (o + seg_len >= cap) abort();
        memcpy(out + o, seg, seg_len);
        o += seg_len;
    }
    out[o] = '\0';
    /* The end stays the end. */
    CHECK_INT(eio_payload_next(in, n, &pos, &seg, &seg_len), 0);
    guard_free(&g);
    return count;
}

/* For string literals, which may hold separators but not NULs. */
#define split(lit, out, cap) split_n(lit, sizeof(lit) - 1, out, cap)

static void test_payload_split(void)
{
    char out[256];

    CHECK_INT(split("4hello\x1e"
                    "2\x1e"
                    "4world",
                    out, sizeof(out)),
              3);
    CHECK_STR(out, "4hello|2|4world");
    CHECK_INT(split("4hello\x1e"
                    "4world",
                    out, sizeof(out)),
              2);
    CHECK_STR(out, "4hello|4world");
    CHECK_INT(split("42[\"hello\"]\x1e"
                    "42[\"world\"]",
                    out, sizeof(out)),
              2);
    CHECK_STR(out, "42[\"hello\"]|42[\"world\"]");
    CHECK_INT(split("4hello\x1e"
                    "bAQIDBA==",
                    out, sizeof(out)),
              2);
    CHECK_STR(out, "4hello|bAQIDBA==");
    CHECK_INT(split("6", out, sizeof(out)), 1);
    CHECK_STR(out, "6");
    /* Like String.prototype.split: empty segments are reported, the caller rejects them. */
    CHECK_INT(split("", out, sizeof(out)), 1);
    CHECK_STR(out, "");
    CHECK_INT(split("\x1e", out, sizeof(out)), 2);
    CHECK_STR(out, "|");
    CHECK_INT(split("4a\x1e", out, sizeof(out)), 2);
    CHECK_STR(out, "4a|");
    CHECK_INT(split("\x1e\x1e"
                    "4a",
                    out, sizeof(out)),
              3);
    CHECK_STR(out, "||4a");
}

static int decode_segment(const char *s, struct eio_packet *p, uint8_t *copy, size_t cap)
{
    struct guard g, gs;
    size_t n = strlen(s);
    const char *in = guard_copy(&g, s, n);
    size_t scratch_len = n > 1 ? b64_decoded_max(n - 1) : 0;
    uint8_t *scratch = guard_copy(&gs, NULL, scratch_len);
    int rc = eio_decode_segment(in, n, scratch, p);

    if (rc == 0) {
        if (p->len > cap) abort();
        memcpy(copy, p->data, p->len);
        p->data = copy;
    }
    guard_free(&gs);
    guard_free(&g);
    return rc;
}

static void test_segments(void)
{
    uint8_t buf[64];
    struct eio_packet p;

    CHECK_INT(decode_segment("bAQIDBA==", &p, buf, sizeof(buf)), 0);
    CHECK_INT(p.type, EIO_MESSAGE);
    CHECK_INT(p.binary, 1);
    CHECK_MEM(p.data, p.len, "\x01\x02\x03\x04", 4);
    CHECK_INT(decode_segment("bAQIDBA", &p, buf, sizeof(buf)), 0);
    CHECK_MEM(p.data, p.len, "\x01\x02\x03\x04", 4);
    CHECK_INT(decode_segment("b", &p, buf, sizeof(buf)), 0);
    CHECK_INT(p.binary, 1);
    CHECK_INT(p.len, 0);
    CHECK_INT(decode_segment("4hello", &p, buf, sizeof(buf)), 0);
    CHECK_INT(p.binary, 0);
    CHECK_MEM(p.data, p.len, "hello", 5);
    CHECK_INT(decode_segment("2", &p, buf, sizeof(buf)), 0);
    CHECK_INT(p.type, EIO_PING);
    CHECK_INT(decode_segment("", &p, buf, sizeof(buf)), HUB_EPARSE);
    CHECK_INT(decode_segment("abc", &p, buf, sizeof(buf)), HUB_EPARSE);
    CHECK_INT(decode_segment("b!!!!", &p, buf, sizeof(buf)), HUB_EPARSE);
    CHECK_INT(decode_segment("bAQIDB", &p, buf, sizeof(buf)), HUB_EPARSE); /* 5 base64 characters */
    CHECK_INT(decode_segment("bAQIDBAx", &p, buf, sizeof(buf)), 0);
    CHECK_INT(decode_segment("bA", &p, buf, sizeof(buf)), HUB_EPARSE);
    CHECK_INT(eio_decode_segment("bAQID", 5, NULL, &p), HUB_EINVAL);
}

static void test_encode(void)
{
    const uint8_t bin[] = {1, 2, 3, 4};
    char buf[64];
    size_t n;

    CHECK_INT(eio_segment_len(0, 5), 6);
    n = eio_encode_segment(EIO_MESSAGE, 0, (const uint8_t *)"hello", 5, buf);
    CHECK_MEM(buf, n, "4hello", 6);
    n = eio_encode_segment(EIO_PING, 0, NULL, 0, buf);
    CHECK_MEM(buf, n, "2", 1);
    n = eio_encode_segment(EIO_PONG, 0, (const uint8_t *)"probe", 5, buf);
    CHECK_MEM(buf, n, "3probe", 6);
    n = eio_encode_segment(EIO_NOOP, 0, NULL, 0, buf);
    CHECK_MEM(buf, n, "6", 1);
    CHECK_INT(eio_segment_len(1, 4), 9);
    n = eio_encode_segment(EIO_MESSAGE, 1, bin, 4, buf);
    CHECK_MEM(buf, n, "bAQIDBA==", 9);
    n = eio_encode_segment(EIO_MESSAGE, 1, NULL, 0, buf);
    CHECK_MEM(buf, n, "b", 1);
}

static void test_encode_payload_example(void)
{
    /* Document: [{message "hello"}, {message <01 02 03 04>}] -> "4hello\x1ebAQIDBA==". */
    const uint8_t bin[] = {1, 2, 3, 4};
    struct guard g;
    size_t total = eio_segment_len(0, 5) + 1 + eio_segment_len(1, 4), o;
    char *dst = guard_copy(&g, NULL, total);

    o = eio_encode_segment(EIO_MESSAGE, 0, (const uint8_t *)"hello", 5, dst);
    dst[o++] = EIO_SEPARATOR;
    o += eio_encode_segment(EIO_MESSAGE, 1, bin, 4, dst + o);
    CHECK_MEM(dst, o,
              "4hello\x1e"
              "bAQIDBA==",
              16);
    guard_free(&g);
}

int main(void)
{
    RUN(test_text_packets);
    RUN(test_binary_frame);
    RUN(test_payload_split);
    RUN(test_segments);
    RUN(test_encode);
    RUN(test_encode_payload_example);
    return TEST_SUMMARY();
}
