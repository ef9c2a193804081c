/* test_eio3.c - Engine.IO v3 payloads (eio3.h) and the Socket.IO protocol v4 namespace query
 * (sio_v3_*), with the reference parser-v3's framing. Inputs sit against an unreadable page so any
 * over-read crashes. */
#include <stdint.h>
#include <stdlib.h>

#include "b64.h"
#include "eio3.h"
#include "guard.h"
#include "hub_err.h"
#include "sio.h"
#include "testlib.h"

static void test_utf16_len(void)
{
    CHECK_INT(eio3_utf16_len("", 0), 0);
    CHECK_INT(eio3_utf16_len("abc", 3), 3);
    CHECK_INT(eio3_utf16_len("\xc3\xa9", 2), 1);          /* é */
    CHECK_INT(eio3_utf16_len("\xe2\x82\xac", 3), 1);      /* € */
    CHECK_INT(eio3_utf16_len("\xf0\x9f\x98\x80", 4), 2);  /* 😀: a surrogate pair */
    CHECK_INT(eio3_utf16_len("\xff\xc3", 2), 2);          /* not UTF-8: one unit per byte */
    CHECK_INT(eio3_utf16_len("\xf0\x9f\x98", 3), 3);      /* cut short */
    CHECK_INT(eio3_utf16_len("\xed\xa0\x80", 3), 3);      /* an encoded surrogate is not UTF-8 */
}

/* Collects the packets of a text payload into "|"-joined text; returns the iterator's last result. */
static int split(const char *in, char *out, size_t cap)
{
    struct guard g;
    size_t n = strlen(in), pos = 0, o = 0, len;
    const char *buf = guard_copy(&g, in, n), *pkt;
    int rc;

    out[0] = '\0';
    while ((rc = eio3_payload_next(buf, n, &pos, &pkt, &len)) == 1) {
        CHECK(pkt >= buf && pkt + len <= buf + n && len > 0);
        if (o + len + 2 > cap) abort();
        if (o) out[o++] = '|';
        memcpy(out + o, pkt, len);
        o += len;
        out[o] = '\0';
    }
    guard_free(&g);
    return rc;
}

static void test_text_payload(void)
{
    char out[256];

    CHECK_INT(split("1:2", out, sizeof out), 0);
    CHECK_STR(out, "2");
    CHECK_INT(split("6:4hello1:2", out, sizeof out), 0);
    CHECK_STR(out, "4hello|2");
    CHECK_INT(split("0:", out, sizeof out), 0); /* empty records are skipped */
    CHECK_STR(out, "");
    CHECK_INT(split("0:1:6", out, sizeof out), 0);
    CHECK_STR(out, "6");
    /* lengths count UTF-16 units: é is one, 😀 two */
    CHECK_INT(split("3:4\xc3\xa9x4:4\xf0\x9f\x98\x80x", out, sizeof out), 0);
    CHECK_STR(out, "4\xc3\xa9x|4\xf0\x9f\x98\x80x");
    CHECK_INT(split("7:4hello\xe2\x82\xac", out, sizeof out), 0);
    CHECK_STR(out, "4hello\xe2\x82\xac");
    /* errors */
    CHECK_INT(split("", out, sizeof out), HUB_EPARSE);
    CHECK_INT(split("abc", out, sizeof out), HUB_EPARSE);
    CHECK_INT(split(":4", out, sizeof out), HUB_EPARSE);
    CHECK_INT(split("5:4hi", out, sizeof out), HUB_EPARSE);      /* shorter than its length */
    CHECK_INT(split("2:4hi", out, sizeof out), HUB_EPARSE); /* "i" left: no ':' */
    CHECK_INT(split("1:41", out, sizeof out), HUB_EPARSE);       /* trailing "1" with no ':' */
    CHECK_INT(split("2:4\xf0\x9f\x98\x80", out, sizeof out), HUB_EPARSE); /* ends inside the pair */
    CHECK_INT(split("-1:4", out, sizeof out), HUB_EPARSE);
    CHECK_INT(split("99999999999999999999999:4", out, sizeof out), HUB_EPARSE);
    /* the packet before an error is still delivered */
    CHECK_INT(split("1:2x", out, sizeof out), HUB_EPARSE);
    CHECK_STR(out, "2");
}

static void test_decode_packet(void)
{
    uint8_t scratch[16];
    struct eio_packet p;

    CHECK_INT(eio3_decode_packet("4hi", 3, NULL, &p), 0);
    CHECK_INT(p.type, EIO_MESSAGE);
    CHECK_INT(p.binary, 0);
    CHECK_MEM(p.data, p.len, "hi", 2);
    CHECK_INT(eio3_decode_packet("2", 1, NULL, &p), 0);
    CHECK_INT(p.type, EIO_PING);
    CHECK_INT(p.len, 0);
    CHECK_INT(eio3_decode_packet("b4AQID", 6, scratch, &p), 0);
    CHECK_INT(p.type, EIO_MESSAGE);
    CHECK_INT(p.binary, 1);
    CHECK_MEM(p.data, p.len, "\x01\x02\x03", 3);
    CHECK_INT(eio3_decode_packet("b4", 2, scratch, &p), 0);
    CHECK_INT(p.len, 0);
    CHECK_INT(eio3_decode_packet("", 0, NULL, &p), HUB_EPARSE);
    CHECK_INT(eio3_decode_packet("7", 1, NULL, &p), HUB_EPARSE);
    CHECK_INT(eio3_decode_packet("b", 1, scratch, &p), HUB_EPARSE);
    CHECK_INT(eio3_decode_packet("b9AQID", 6, scratch, &p), HUB_EPARSE);
    CHECK_INT(eio3_decode_packet("b4A!ID", 6, scratch, &p), HUB_EPARSE);
    CHECK_INT(eio3_decode_packet("b4AQID", 6, NULL, &p), HUB_EINVAL);

    CHECK_INT(eio3_decode_binary((const uint8_t *)"\x04\x01\x02", 3, &p), 0);
    CHECK_INT(p.type, EIO_MESSAGE);
    CHECK_INT(p.binary, 1);
    CHECK_MEM(p.data, p.len, "\x01\x02", 2);
    CHECK_INT(eio3_decode_binary((const uint8_t *)"\x04", 1, &p), 0);
    CHECK_INT(p.len, 0);
    CHECK_INT(eio3_decode_binary((const uint8_t *)"", 0, &p), HUB_EPARSE);
    CHECK_INT(eio3_decode_binary((const uint8_t *)"\x07", 1, &p), HUB_EPARSE);
}

/* Iterates a binary payload of n bytes; returns the last result and the number of records. */
static int bin_split(const void *in, size_t n, int *kinds, const uint8_t **recs, size_t *lens,
                     size_t *count, struct guard *g)
{
    const uint8_t *buf = guard_copy(g, in, n);
    size_t pos = 0;
    int rc;

    *count = 0;
    while ((rc = eio3_binary_payload_next(buf, n, &pos, &kinds[*count], &recs[*count], &lens[*count])) ==
           1) {
        CHECK(recs[*count] >= buf && recs[*count] + lens[*count] <= buf + n);
        if (++*count == 8) break;
    }
    return rc;
}

static void test_binary_payload(void)
{
    /* the reference's encodePayloadAsBinary of ["4hello" (string), <04 01 02 03> (binary)] */
    static const uint8_t ex[] = {0, 6, 255, '4', 'h', 'e', 'l', 'l', 'o', 1, 4, 255, 4, 1, 2, 3};
    int kinds[8];
    const uint8_t *recs[8];
    size_t lens[8], count;
    struct guard g;

    CHECK_INT(bin_split(ex, sizeof ex, kinds, recs, lens, &count, &g), 0);
    CHECK_INT(count, 2);
    CHECK_INT(kinds[0], 1);
    CHECK_MEM(recs[0], lens[0], "4hello", 6);
    CHECK_INT(kinds[1], 0);
    CHECK_MEM(recs[1], lens[1], "\x04\x01\x02\x03", 4);
    guard_free(&g);

    /* a length of two digits */
    {
        uint8_t big[4 + 12] = {0, 1, 2, 255};
        memcpy(big + 4, "4abcdefghijk", 12);
        CHECK_INT(bin_split(big, sizeof big, kinds, recs, lens, &count, &g), 0);
        CHECK_INT(count, 1);
        CHECK_MEM(recs[0], lens[0], "4abcdefghijk", 12);
        guard_free(&g);
    }
    static const uint8_t bad_kind[] = {2, 1, 255, '4'};
    CHECK_INT(bin_split(bad_kind, sizeof bad_kind, kinds, recs, lens, &count, &g), HUB_EPARSE);
    guard_free(&g);
    static const uint8_t no_end[] = {0, 1, 1};
    CHECK_INT(bin_split(no_end, sizeof no_end, kinds, recs, lens, &count, &g), HUB_EPARSE);
    guard_free(&g);
    static const uint8_t no_digit[] = {0, 255};
    CHECK_INT(bin_split(no_digit, sizeof no_digit, kinds, recs, lens, &count, &g), HUB_EPARSE);
    guard_free(&g);
    static const uint8_t bad_digit[] = {0, 10, 255, '4'};
    CHECK_INT(bin_split(bad_digit, sizeof bad_digit, kinds, recs, lens, &count, &g), HUB_EPARSE);
    guard_free(&g);
    static const uint8_t short_rec[] = {1, 5, 255, 4, 1};
    CHECK_INT(bin_split(short_rec, sizeof short_rec, kinds, recs, lens, &count, &g), HUB_EPARSE);
    guard_free(&g);
    uint8_t many[EIO3_LEN_DIGITS_MAX + 3];
    memset(many, 0, sizeof many);
    many[sizeof many - 1] = 255;
    CHECK_INT(bin_split(many, sizeof many, kinds, recs, lens, &count, &g), HUB_EPARSE);
    guard_free(&g);
    CHECK_INT(bin_split("", 0, kinds, recs, lens, &count, &g), 0);
    CHECK_INT(count, 0);
    guard_free(&g);
}

static void test_encode(void)
{
    char t[EIO3_HEADER_MAX];
    uint8_t b[EIO3_HEADER_MAX];
    char enc[16];

    CHECK_MEM(t, eio3_text_header(t, 0), "0:", 2);
    CHECK_MEM(t, eio3_text_header(t, 96), "96:", 3);
    CHECK_MEM(t, eio3_text_header(t, 1234567), "1234567:", 8);
    CHECK_MEM(b, eio3_binary_header(b, 1, 6), "\x00\x06\xff", 3);
    CHECK_MEM(b, eio3_binary_header(b, 0, 120), "\x01\x01\x02\x00\xff", 5);
    CHECK_INT(eio3_b64_len(3), 6);
    CHECK_MEM(enc, eio3_encode_b64(EIO_MESSAGE, (const uint8_t *)"\x01\x02\x03", 3, enc), "b4AQID", 6);
    CHECK_MEM(enc, eio3_encode_b64(EIO_MESSAGE, NULL, 0, enc), "b4", 2);
}

static void test_nsp_query(void)
{
    json_t *q;
    char *s;

    CHECK_INT(sio_v3_nsp_split("/", 1), 1);
    CHECK_INT(sio_v3_nsp_split("/nsp?a=b", 8), 4);
    CHECK_INT(sio_v3_nsp_split("/nsp#x", 6), 4);

    q = sio_v3_query_new("/nsp", 4);
    CHECK(q && json_object_size(q) == 0);
    json_decref(q);

    q = sio_v3_query_new("/nsp?a=b&c&d=1+2%20%41&a=z&&e=%zz%4#frag", 40);
    s = json_dumps(q, JSON_COMPACT | JSON_PRESERVE_ORDER);
    CHECK_STR(s, "{\"a\":[\"b\",\"z\"],\"c\":\"\",\"d\":\"1 2 A\",\"e\":\"%zz%4\"}");
    free(s);
    json_decref(q);

    /* a name with a NUL byte, or a value that is not UTF-8, is skipped */
    q = sio_v3_query_new("/n?x%00=1&y=%ff&ok=1", 20);
    s = json_dumps(q, JSON_COMPACT);
    CHECK_STR(s, "{\"ok\":\"1\"}");
    free(s);
    json_decref(q);
}

int main(void)
{
    RUN(test_utf16_len);
    RUN(test_text_payload);
    RUN(test_decode_packet);
    RUN(test_binary_payload);
    RUN(test_encode);
    RUN(test_nsp_query);
    return TEST_SUMMARY();
}
