/* test_sio.c - Socket.IO v5 packets: every example of the protocol document, the edge cases of the
 * reference parser (socket.io-parser 4.2), binary reassembly and limits. Text inputs sit against an
 * unreadable page so any over-read crashes. */
#include <stdint.h>
#include <stdlib.h>

#include "guard.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "sio.h"
#include "testlib.h"

#define PH0 "{\"_placeholder\":true,\"num\":0}"
#define PH1 "{\"_placeholder\":true,\"num\":1}"

static const uint8_t buf01020304[] = {1, 2, 3, 4};

/* One well-formed packet: what it decodes to, and what it encodes back to (NULL: the input). */
struct good {
    const char *in;
    enum sio_type type;
    const char *nsp;
    int64_t id;
    size_t attachments;
    const char *json; /* NULL: no payload */
    const char *reencoded;
};

static const struct good goods[] = {
    /* Socket.IO v5 document, "Packet encoding". */
    {"0", SIO_CONNECT, "/", SIO_NO_ID, 0, NULL, NULL},
    {"0{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}", SIO_CONNECT, "/", SIO_NO_ID, 0,
     "{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}", NULL},
    {"0/admin,", SIO_CONNECT, "/admin", SIO_NO_ID, 0, NULL, NULL},
    {"0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}", SIO_CONNECT, "/admin", SIO_NO_ID, 0,
     "{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}", NULL},
    {"4{\"message\":\"Not authorized\"}", SIO_CONNECT_ERROR, "/", SIO_NO_ID, 0,
     "{\"message\":\"Not authorized\"}", NULL},
    {"2[\"foo\"]", SIO_EVENT, "/", SIO_NO_ID, 0, "[\"foo\"]", NULL},
    {"2/admin,[\"bar\"]", SIO_EVENT, "/admin", SIO_NO_ID, 0, "[\"bar\"]", NULL},
    {"51-[\"baz\"," PH0 "]", SIO_BINARY_EVENT, "/", SIO_NO_ID, 1, "[\"baz\"," PH0 "]", NULL},
    {"52-/admin,[\"baz\"," PH0 "," PH1 "]", SIO_BINARY_EVENT, "/admin", SIO_NO_ID, 2,
     "[\"baz\"," PH0 "," PH1 "]", NULL},
    {"212[\"foo\"]", SIO_EVENT, "/", 12, 0, "[\"foo\"]", NULL},
    {"312[]", SIO_ACK, "/", 12, 0, "[]", NULL},
    {"2/admin,13[\"foo\"]", SIO_EVENT, "/admin", 13, 0, "[\"foo\"]", NULL},
    {"3/admin,13[\"bar\"]", SIO_ACK, "/admin", 13, 0, "[\"bar\"]", NULL},
    {"51-14[\"foo\"," PH0 "]", SIO_BINARY_EVENT, "/", 14, 1, "[\"foo\"," PH0 "]", NULL},
    {"314[\"bar\"]", SIO_ACK, "/", 14, 0, "[\"bar\"]", NULL},
    {"215[\"foo\"]", SIO_EVENT, "/", 15, 0, "[\"foo\"]", NULL},
    {"61-15[\"bar\"," PH0 "]", SIO_BINARY_ACK, "/", 15, 1, "[\"bar\"," PH0 "]", NULL},
    {"1", SIO_DISCONNECT, "/", SIO_NO_ID, 0, NULL, NULL},
    {"1/admin,", SIO_DISCONNECT, "/admin", SIO_NO_ID, 0, NULL, NULL},
    /* Socket.IO v5 document, "Sample session". */
    {"2[\"hey\",\"Jude\"]", SIO_EVENT, "/", SIO_NO_ID, 0, "[\"hey\",\"Jude\"]", NULL},
    {"2[\"hello\"]", SIO_EVENT, "/", SIO_NO_ID, 0, "[\"hello\"]", NULL},
    {"0/admin,{\"sid\":\"-G5j-67EZFp-q59rADQM\"}", SIO_CONNECT, "/admin", SIO_NO_ID, 0,
     "{\"sid\":\"-G5j-67EZFp-q59rADQM\"}", NULL},
    {"2/admin,1[\"tellme\"]", SIO_EVENT, "/admin", 1, 0, "[\"tellme\"]", NULL},
    {"61-/admin,1[" PH0 "]", SIO_BINARY_ACK, "/admin", 1, 1, "[" PH0 "]", NULL},
    /* Edges of the reference parser. */
    {"0/custom", SIO_CONNECT, "/custom", SIO_NO_ID, 0, NULL, "0/custom,"},
    {"0/custom,", SIO_CONNECT, "/custom", SIO_NO_ID, 0, NULL, NULL},
    {"0/custom,{\"token\":\"123\"}", SIO_CONNECT, "/custom", SIO_NO_ID, 0, "{\"token\":\"123\"}",
     NULL},
    {"0/", SIO_CONNECT, "/", SIO_NO_ID, 0, NULL, "0"},
    {"0/,", SIO_CONNECT, "/", SIO_NO_ID, 0, NULL, "0"},
    {"0/chat12{}", SIO_CONNECT, "/chat12{}", SIO_NO_ID, 0, NULL, "0/chat12{},"},
    {"2456[\"ev\",1]", SIO_EVENT, "/", 456, 0, "[\"ev\",1]", NULL},
    {"3456[]", SIO_ACK, "/", 456, 0, "[]", NULL},
    {"2007[\"a\"]", SIO_EVENT, "/", 7, 0, "[\"a\"]", "27[\"a\"]"},
    {"20[\"a\"]", SIO_EVENT, "/", 0, 0, "[\"a\"]", NULL},
    {"29007199254740991[\"a\"]", SIO_EVENT, "/", SIO_MAX_ID, 0, "[\"a\"]", NULL},
    {"52-[\"ev\"," PH0 "," PH1 "]", SIO_BINARY_EVENT, "/", SIO_NO_ID, 2, "[\"ev\"," PH0 "," PH1 "]",
     NULL},
    {"62-789[" PH0 "," PH1 "]", SIO_BINARY_ACK, "/", 789, 2, "[" PH0 "," PH1 "]", NULL},
    {"502-[\"a\"," PH0 "]", SIO_BINARY_EVENT, "/", SIO_NO_ID, 2, "[\"a\"," PH0 "]",
     "52-[\"a\"," PH0 "]"},
    {"4\"not allowed\"", SIO_CONNECT_ERROR, "/", SIO_NO_ID, 0, "\"not allowed\"", NULL},
    {"3[]", SIO_ACK, "/", SIO_NO_ID, 0, "[]", NULL},
    {"3[1,{\"a\":null}]", SIO_ACK, "/", SIO_NO_ID, 0, "[1,{\"a\":null}]", NULL},
    {"2[\"a\"]  ", SIO_EVENT, "/", SIO_NO_ID, 0, "[\"a\"]", "2[\"a\"]"},
    {"2[ \"a\" , {\"b\" : 1} ]", SIO_EVENT, "/", SIO_NO_ID, 0, "[\"a\",{\"b\":1}]",
     "2[\"a\",{\"b\":1}]"},
    {"2[\"a\\u0000b\"]", SIO_EVENT, "/", SIO_NO_ID, 0, "[\"a\\u0000b\"]", NULL},
    {"2[\"connect\\u0000\"]", SIO_EVENT, "/", SIO_NO_ID, 0, "[\"connect\\u0000\"]", NULL},
    {"2[\"\xe2\x82\xac\",\"\xf0\x9f\x98\x80\"]", SIO_EVENT, "/", SIO_NO_ID, 0,
     "[\"\xe2\x82\xac\",\"\xf0\x9f\x98\x80\"]", NULL},
    {"2[\"z\",{\"z\":1,\"a\":2,\"m\":{\"y\":true,\"b\":false}}]", SIO_EVENT, "/", SIO_NO_ID, 0,
     "[\"z\",{\"z\":1,\"a\":2,\"m\":{\"y\":true,\"b\":false}}]", NULL},
    /* A placeholder in a packet that is not binary is plain data, as in the reference. */
    {"2[\"a\"," PH0 "]", SIO_EVENT, "/", SIO_NO_ID, 0, "[\"a\"," PH0 "]", NULL},
};

static const struct {
    const char *in;
    int rc; /* from sio_decoder_feed_text() */
    int header_rc;
} bads[] = {
    {"", HUB_EPARSE, HUB_EPARSE},
    {"7", HUB_EPARSE, HUB_EPARSE},
    {"9[\"a\"]", HUB_EPARSE, HUB_EPARSE},
    {"abc", HUB_EPARSE, HUB_EPARSE}, /* Engine.IO "4abc" */
    {"-1", HUB_EPARSE, HUB_EPARSE},
    {" 2[\"a\"]", HUB_EPARSE, HUB_EPARSE},
    {"2{}", HUB_EPARSE, 0},         /* Engine.IO "42{}": not an array */
    {"2abc[\"a\"]", HUB_EPARSE, 0}, /* Engine.IO "42abc[...]": not an ack id */
    {"2\"a\"", HUB_EPARSE, 0},
    {"2[]", HUB_EPARSE, 0},
    {"2[1]", HUB_EPARSE, 0},
    {"2[null,\"a\"]", HUB_EPARSE, 0},
    {"2[\"connect\"]", HUB_EPARSE, 0},
    {"2[\"connect_error\"]", HUB_EPARSE, 0},
    {"2[\"disconnect\",1]", HUB_EPARSE, 0},
    {"2[\"disconnecting\"]", HUB_EPARSE, 0},
    {"2[\"newListener\"]", HUB_EPARSE, 0},
    {"2[\"removeListener\"]", HUB_EPARSE, 0},
    {"2", HUB_EPARSE, 0},
    {"212", HUB_EPARSE, 0},
    {"2/admin,", HUB_EPARSE, 0},
    {"2/chat12[\"x\"]", HUB_EPARSE, 0}, /* the namespace swallows it all: an event without data */
    {"51-", HUB_EPARSE, 0},
    {"2[\"a\"", HUB_EPARSE, 0},
    {"2[\"a\"]x", HUB_EPARSE, 0},
    {"2[\"a\"][\"b\"]", HUB_EPARSE, 0},
    {"2[\"a\"]\x1e", HUB_EPARSE, 0},
    {"2[\"\xff\"]", HUB_EPARSE, 0},
    {"2[\"a\",99999999999999999999]", HUB_EPARSE, 0}, /* jansson: integer too big */
    {"3", HUB_EPARSE, 0},
    {"3{}", HUB_EPARSE, 0},
    {"3\"a\"", HUB_EPARSE, 0},
    {"0[]", HUB_EPARSE, 0},
    {"0\"x\"", HUB_EPARSE, 0},
    {"0null", HUB_EPARSE, 0},
    {"1{}", HUB_EPARSE, 0},
    {"1/admin,[]", HUB_EPARSE, 0},
    {"4", HUB_EPARSE, 0},
    {"4[]", HUB_EPARSE, 0},
    {"41", HUB_EPARSE, 0},
    {"21-[\"a\"]", HUB_EPARSE, HUB_EPARSE}, /* attachments on a type without them */
    {"2-[\"a\"]", HUB_EPARSE, HUB_EPARSE},
    {"5", HUB_EPARSE, HUB_EPARSE},
    {"5-", HUB_EPARSE, HUB_EPARSE},
    {"5-[\"a\"]", HUB_EPARSE, HUB_EPARSE},
    {"50-[\"a\"]", HUB_EPARSE, HUB_EPARSE},
    {"51[\"a\"," PH0 "]", HUB_EPARSE, HUB_EPARSE},
    {"5a-[\"a\"]", HUB_EPARSE, HUB_EPARSE},
    {"5 1-[\"a\"]", HUB_EPARSE, HUB_EPARSE},
    {"599999999999999999999999999[\"a\"]", HUB_EPARSE, HUB_EPARSE},
    {"6", HUB_EPARSE, HUB_EPARSE},
    {"51-[\"a\",{\"_placeholder\":true,\"num\":1}]", HUB_EPARSE, 0},
    {"51-[\"a\",{\"_placeholder\":true,\"num\":-1}]", HUB_EPARSE, 0},
    {"51-[\"a\",{\"_placeholder\":true,\"num\":\"0\"}]", HUB_EPARSE, 0},
    {"51-[\"a\",{\"_placeholder\":true,\"num\":0.5}]", HUB_EPARSE, 0},
    {"51-[\"a\",{\"_placeholder\":true}]", HUB_EPARSE, 0},
    {"51-[\"a\",{\"_placeholder\":false,\"num\":0}]", HUB_EPARSE, 0},
    {"51-[\"a\",{\"_placeholder\":1,\"num\":0}]", HUB_EPARSE, 0},
    {"51-[\"a\",{\"x\":[{\"_placeholder\":true,\"num\":3}]}]", HUB_EPARSE, 0},
    {"51-{\"a\":1}", HUB_EPARSE, 0},
    {"51-[1]", HUB_EPARSE, 0},
    {"61-{}", HUB_EPARSE, 0},
    {"29007199254740992[\"a\"]", HUB_EPARSE, HUB_EPARSE}, /* over Number.MAX_SAFE_INTEGER */
    {"299999999999999999999999[\"a\"]", HUB_EPARSE, HUB_EPARSE},
    {"5257-[\"a\"]", HUB_ELIMIT, HUB_ELIMIT}, /* default limit: 256 attachments */
    {"599999999999999999999999-[\"a\"]", HUB_ELIMIT, HUB_ELIMIT},
};

static void check_json(const json_t *v, const char *want)
{
    json_t *w;

    if (!want) {
        CHECK(v == NULL);
        return;
    }
    w = json_loads(want, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    CHECK(w != NULL);
    CHECK(v != NULL && json_equal(v, w));
    json_decref(w);
}

static void test_header(void)
{
    struct sio_limits lim = SIO_LIMITS_DEFAULT;
    size_t i;

    for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
        const struct good *g = &goods[i];
        size_t n = strlen(g->in);
        struct guard gd;
        const char *in = guard_copy(&gd, g->in, n);
        struct sio_header h;

        CHECK_INT(sio_header_parse(in, n, &lim, &h), 0);
        CHECK_INT(h.type, g->type);
        CHECK_MEM(h.nsp, h.nsp_len, g->nsp, strlen(g->nsp));
        CHECK_INT(h.id, g->id);
        CHECK_INT(h.attachments, g->attachments);
        if (g->json)
            CHECK(h.data > in && h.data + h.data_len == in + n);
        else
            CHECK_INT(h.data_len, 0);
        guard_free(&gd);
    }
    for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        size_t n = strlen(bads[i].in);
        struct guard gd;
        const char *in = guard_copy(&gd, bads[i].in, n);
        struct sio_header h;
        int rc = sio_header_parse(in, n, NULL, &h);

        if (rc != bads[i].header_rc) fprintf(stderr, "header of \"%s\": %d\n", bads[i].in, rc);
        CHECK_INT(rc, bads[i].header_rc);
        guard_free(&gd);
    }
}

static void test_header_nul_in_nsp(void)
{
    struct sio_header h;

    CHECK_INT(sio_header_parse("0/a\0b,", 6, NULL, &h), HUB_EPARSE);
    CHECK_INT(sio_header_parse("0/a\0b", 5, NULL, &h), HUB_EPARSE);
    /* A NUL in the payload is left to the JSON parser. */
    CHECK_INT(sio_header_parse("0/a,\0", 5, NULL, &h), 0);
}

/* Feeds text (against the guard page), then the attachments the table names. */
static int feed(sio_decoder *d, const char *s, size_t n, size_t nbufs, struct sio_packet *p)
{
    struct guard g;
    const char *in = guard_copy(&g, s, n);
    int rc = sio_decoder_feed_text(d, in, n, p);
    size_t i;

    guard_free(&g);
    for (i = 0; rc == 0 && i < nbufs; i++) {
        uint8_t b[4] = {(uint8_t)i, 1, 2, 3};
        rc = sio_decoder_feed_binary(d, b, i == 0 ? 4 : i, p);
        CHECK_INT(rc, i + 1 == nbufs ? 1 : 0);
    }
    return rc;
}

static void test_decode(void)
{
    sio_decoder *d = sio_decoder_new(NULL);
    size_t i;

    CHECK(d != NULL);
    for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
        const struct good *g = &goods[i];
        struct sio_packet p;
        int rc = feed(d, g->in, strlen(g->in), g->attachments, &p);

        if (rc != 1) fprintf(stderr, "decoding \"%s\": %d\n", g->in, rc);
        CHECK_INT(rc, 1);
        if (rc != 1) continue;
        CHECK_INT(p.type, g->type);
        CHECK_STR(p.nsp, g->nsp);
        CHECK_INT(p.id, g->id);
        CHECK_INT(p.nbufs, g->attachments);
        check_json(p.data, g->json);
        if (g->attachments) {
            CHECK_MEM(p.bufs[0].data, p.bufs[0].len, "\0\1\2\3", 4);
            if (g->attachments > 1) CHECK_MEM(p.bufs[1].data, p.bufs[1].len, "\1", 1);
        }
        sio_packet_clear(&p);
        CHECK(p.nsp == NULL && p.data == NULL && p.bufs == NULL && p.nbufs == 0);
        sio_packet_clear(&p); /* twice is harmless */
    }
    for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        struct sio_packet p;
        int rc = feed(d, bads[i].in, strlen(bads[i].in), 0, &p);

        if (rc != bads[i].rc) fprintf(stderr, "decoding \"%s\": %d\n", bads[i].in, rc);
        CHECK_INT(rc, bads[i].rc);
        if (rc == 1) sio_packet_clear(&p);
    }
    sio_decoder_free(d);
    sio_decoder_free(NULL);
}

static void test_encode_round_trip(void)
{
    size_t i;

    for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
        const struct good *g = &goods[i];
        const char *want = g->reencoded ? g->reencoded : g->in;
        json_t *data = g->json ? json_loads(g->json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
        size_t len = 0;
        char *s = sio_encode(g->type, g->nsp, g->id, data, g->attachments, &len);

        CHECK(s != NULL);
        if (s) {
            CHECK_MEM(s, len, want, strlen(want));
            CHECK(s[len] == '\0');
        }
        hub_free(s);
        json_decref(data);
    }
}

static void test_binary_reassembly(void)
{
    static const char text[] = "52-/admin,7[\"ev\"," PH0 "," PH1 "]";
    sio_decoder *d = sio_decoder_new(NULL);
    struct sio_packet p;
    size_t len;
    char *s;

    CHECK_INT(sio_decoder_feed_text(d, text, strlen(text), &p), 0);
    CHECK_INT(sio_decoder_feed_binary(d, (const uint8_t *)"\1\2", 2, &p), 0);
    CHECK_INT(sio_decoder_feed_binary(d, (const uint8_t *)"\3\4", 2, &p), 1);
    CHECK_INT(p.type, SIO_BINARY_EVENT);
    CHECK_STR(p.nsp, "/admin");
    CHECK_INT(p.id, 7);
    CHECK_INT(p.nbufs, 2);
    CHECK_MEM(p.bufs[0].data, p.bufs[0].len, "\1\2", 2);
    CHECK_MEM(p.bufs[1].data, p.bufs[1].len, "\3\4", 2);
    /* Relaying keeps the wire form: the same text comes out. */
    s = sio_encode(p.type, p.nsp, p.id, p.data, p.nbufs, &len);
    CHECK_MEM(s, len, text, strlen(text));
    hub_free(s);
    sio_packet_clear(&p);

    /* An empty attachment is an attachment. */
    CHECK_INT(sio_decoder_feed_text(d, "61-[" PH0 "]", strlen("61-[" PH0 "]"), &p), 0);
    CHECK_INT(sio_decoder_feed_binary(d, NULL, 0, &p), 1);
    CHECK_INT(p.type, SIO_BINARY_ACK);
    CHECK_INT(p.nbufs, 1);
    CHECK_INT(p.bufs[0].len, 0);
    sio_packet_clear(&p);

    /* The document's example: ["baz", <01 02 03 04>]. */
    CHECK_INT(sio_decoder_feed_text(d, "51-[\"baz\"," PH0 "]", strlen("51-[\"baz\"," PH0 "]"), &p),
              0);
    CHECK_INT(sio_decoder_feed_binary(d, buf01020304, 4, &p), 1);
    CHECK_MEM(p.bufs[0].data, p.bufs[0].len, buf01020304, 4);
    sio_packet_clear(&p);

    sio_decoder_free(d);
}

static void test_sequence_errors(void)
{
    sio_decoder *d = sio_decoder_new(NULL);
    struct sio_packet p;

    /* Binary with nothing waiting. */
    CHECK_INT(sio_decoder_feed_binary(d, buf01020304, 4, &p), HUB_EPARSE);
    /* Text while attachments are awaited: an error, and the decoder starts over. */
    CHECK_INT(sio_decoder_feed_text(d, "52-[\"a\"," PH0 "]", strlen("52-[\"a\"," PH0 "]"), &p), 0);
    CHECK_INT(sio_decoder_feed_binary(d, buf01020304, 4, &p), 0);
    CHECK_INT(sio_decoder_feed_text(d, "2[\"a\"]", 6, &p), HUB_EPARSE);
    CHECK_INT(sio_decoder_feed_binary(d, buf01020304, 4, &p), HUB_EPARSE);
    CHECK_INT(sio_decoder_feed_text(d, "2[\"a\"]", 6, &p), 1);
    sio_packet_clear(&p);
    /* Free with a packet half-assembled. */
    CHECK_INT(sio_decoder_feed_text(d, "52-[\"a\"," PH0 "]", strlen("52-[\"a\"," PH0 "]"), &p), 0);
    CHECK_INT(sio_decoder_feed_binary(d, buf01020304, 4, &p), 0);
    sio_decoder_free(d);
}

static void test_limits(void)
{
    struct sio_limits lim = {2, 64};
    sio_decoder *d = sio_decoder_new(&lim);
    struct sio_packet p;
    char big[80];

    CHECK_INT(sio_decoder_feed_text(d, "53-[\"a\"]", 8, &p), HUB_ELIMIT);
    CHECK_INT(sio_decoder_feed_text(d, "52-[\"a\"]", 8, &p), 0);
    CHECK_INT(sio_decoder_feed_binary(d, buf01020304, 4, &p), 0);
    CHECK_INT(sio_decoder_feed_binary(d, buf01020304, 4, &p), 1);
    sio_packet_clear(&p);

    /* Text alone over max_bytes. */
    memset(big, ' ', sizeof(big));
    memcpy(big, "2[\"a\"]", 6);
    CHECK_INT(sio_decoder_feed_text(d, big, 65, &p), HUB_ELIMIT);
    CHECK_INT(sio_decoder_feed_text(d, big, 64, &p), 1); /* exactly the limit */
    sio_packet_clear(&p);

    /* Text plus attachments over max_bytes: 8 + 50 + 6 = 64 fits, one more byte does not. */
    CHECK_INT(sio_decoder_feed_text(d, "52-[\"a\"]", 8, &p), 0);
    CHECK_INT(sio_decoder_feed_binary(d, (const uint8_t *)big, 50, &p), 0);
    CHECK_INT(sio_decoder_feed_binary(d, (const uint8_t *)big, 6, &p), 1);
    sio_packet_clear(&p);
    CHECK_INT(sio_decoder_feed_text(d, "52-[\"a\"]", 8, &p), 0);
    CHECK_INT(sio_decoder_feed_binary(d, (const uint8_t *)big, 50, &p), 0);
    CHECK_INT(sio_decoder_feed_binary(d, (const uint8_t *)big, 7, &p), HUB_ELIMIT);
    /* Reset after the error. */
    CHECK_INT(sio_decoder_feed_binary(d, buf01020304, 4, &p), HUB_EPARSE);
    CHECK_INT(sio_decoder_feed_text(d, "2[\"a\"]", 6, &p), 1);
    sio_packet_clear(&p);
    sio_decoder_free(d);

    /* No attachments allowed at all. */
    lim.max_attachments = 0;
    lim.max_bytes = 1000;
    d = sio_decoder_new(&lim);
    CHECK_INT(sio_decoder_feed_text(d, "51-[\"a\"]", 8, &p), HUB_ELIMIT);
    sio_decoder_free(d);

    /* The header parser takes the same limits. */
    {
        struct sio_header h;
        lim.max_attachments = 10;
        CHECK_INT(sio_header_parse("510-[\"a\"]", 9, &lim, &h), 0);
        CHECK_INT(sio_header_parse("511-[\"a\"]", 9, &lim, &h), HUB_ELIMIT);
        CHECK_INT(sio_header_parse("5100-[\"a\"]", 10, &lim, &h), HUB_ELIMIT);
    }
}

static void test_payload_check(void)
{
    json_t *obj = json_object(), *arr = json_array(), *ev = json_pack("[s,i]", "ev", 1);
    json_t *str = json_string("x"), *num = json_pack("[i]", 1);

    CHECK_INT(sio_payload_check(SIO_CONNECT, NULL), 0);
    CHECK_INT(sio_payload_check(SIO_CONNECT, obj), 0);
    CHECK_INT(sio_payload_check(SIO_CONNECT, arr), HUB_EPARSE);
    CHECK_INT(sio_payload_check(SIO_DISCONNECT, NULL), 0);
    CHECK_INT(sio_payload_check(SIO_DISCONNECT, obj), HUB_EPARSE);
    CHECK_INT(sio_payload_check(SIO_EVENT, ev), 0);
    CHECK_INT(sio_payload_check(SIO_BINARY_EVENT, ev), 0);
    CHECK_INT(sio_payload_check(SIO_EVENT, arr), HUB_EPARSE);
    CHECK_INT(sio_payload_check(SIO_EVENT, num), HUB_EPARSE);
    CHECK_INT(sio_payload_check(SIO_EVENT, NULL), HUB_EPARSE);
    CHECK_INT(sio_payload_check(SIO_ACK, arr), 0);
    CHECK_INT(sio_payload_check(SIO_BINARY_ACK, ev), 0);
    CHECK_INT(sio_payload_check(SIO_ACK, NULL), HUB_EPARSE);
    CHECK_INT(sio_payload_check(SIO_ACK, obj), HUB_EPARSE);
    CHECK_INT(sio_payload_check(SIO_CONNECT_ERROR, obj), 0);
    CHECK_INT(sio_payload_check(SIO_CONNECT_ERROR, str), 0);
    CHECK_INT(sio_payload_check(SIO_CONNECT_ERROR, arr), HUB_EPARSE);
    CHECK_INT(sio_payload_check(SIO_CONNECT_ERROR, NULL), HUB_EPARSE);
    CHECK_INT(sio_payload_check((enum sio_type)9, arr), HUB_EPARSE);
    json_decref(obj);
    json_decref(arr);
    json_decref(ev);
    json_decref(str);
    json_decref(num);
}

static void test_placeholders(void)
{
    json_t *p0 = sio_placeholder_new(0), *p7 = sio_placeholder_new(7);
    json_t *data = json_pack("[s,O,{s:[O]}]", "ev", p0, "deep", p7);
    size_t len;
    char *s;

    s = sio_encode(SIO_EVENT, NULL, SIO_NO_ID, p7, 0, &len);
    CHECK_STR(s, "2{\"_placeholder\":true,\"num\":7}");
    hub_free(s);
    CHECK_INT(sio_placeholders_check(data, 8), 0);
    CHECK_INT(sio_placeholders_check(data, 7), HUB_EPARSE);
    CHECK_INT(sio_placeholders_check(NULL, 0), 0);
    CHECK_INT(sio_placeholders_check(p0, 1), 0);
    CHECK_INT(sio_placeholders_check(p0, 0), HUB_EPARSE);
    json_decref(data);
    json_decref(p0);
    json_decref(p7);
}

static void test_encode(void)
{
    json_t *o = json_object();
    size_t len;
    char *s;

    /* Key order is kept, output is compact. */
    json_object_set_new(o, "z", json_integer(1));
    json_object_set_new(o, "a", json_string("x y"));
    json_object_set_new(o, "m", json_pack("[i,b,n,f]", -2, 1, 0.5));
    s = sio_encode(SIO_CONNECT, "/", SIO_NO_ID, o, 0, &len);
    CHECK_STR(s, "0{\"z\":1,\"a\":\"x y\",\"m\":[-2,true,null,0.5]}");
    CHECK_INT(len, strlen(s));
    hub_free(s);

    /* The protocol note: 44/random,{"message":"Invalid namespace"} (after the Engine.IO '4'). */
    json_object_clear(o);
    json_object_set_new(o, "message", json_string("Invalid namespace"));
    s = sio_encode(SIO_CONNECT_ERROR, "/random", SIO_NO_ID, o, 0, &len);
    CHECK_STR(s, "4/random,{\"message\":\"Invalid namespace\"}");
    hub_free(s);
    json_decref(o);

    s = sio_encode(SIO_DISCONNECT, NULL, SIO_NO_ID, NULL, 0, &len);
    CHECK_STR(s, "1");
    CHECK_INT(len, 1);
    hub_free(s);
    s = sio_encode(SIO_BINARY_EVENT, "/", SIO_NO_ID, NULL, 300, &len);
    CHECK_STR(s, "5300-");
    hub_free(s);
    o = json_stringn("a\0b\n\"\\/\x01", 8);
    s = sio_encode(SIO_CONNECT_ERROR, NULL, SIO_NO_ID, o, 0, &len);
    CHECK_STR(s, "4\"a\\u0000b\\n\\\"\\\\/\\u0001\"");
    hub_free(s);
    json_decref(o);
    /* A namespace longer than the encoder's first buffer. */
    {
        char nsp[300];
        memset(nsp, 'n', sizeof(nsp));
        nsp[0] = '/';
        nsp[sizeof(nsp) - 1] = '\0';
        s = sio_encode(SIO_EVENT, nsp, 5, NULL, 0, &len);
        CHECK(s != NULL);
        CHECK_INT(len, 1 + 299 + 1 + 1);
        CHECK(s && memcmp(s + 1, nsp, 299) == 0 && strcmp(s + 300, ",5") == 0);
        hub_free(s);
    }
    CHECK(sio_encode((enum sio_type)7, NULL, SIO_NO_ID, NULL, 0, &len) == NULL);
}

int main(void)
{
    hub_alloc_set(NULL);
    RUN(test_header);
    RUN(test_header_nul_in_nsp);
    RUN(test_decode);
    RUN(test_encode_round_trip);
    RUN(test_binary_reassembly);
    RUN(test_sequence_errors);
    RUN(test_limits);
    RUN(test_payload_check);
    RUN(test_placeholders);
    RUN(test_encode);
    return TEST_SUMMARY();
}
