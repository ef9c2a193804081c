/* test_adapter_msg.c - the classic Redis adapter codec (protocol/adapter_msg.c) against messages
 * captured from Node.js socket.io 4.8 nodes with @socket.io/redis-adapter 8.3 and the emitter 5.1
 * (/work/shared/protocols/redis-adapter.md, section 6.2): each decodes to the right fields and,
 * encoded again from those fields, gives the same bytes. Every prefix of every message is decoded
 * from the end of a page followed by an unreadable one, so an over-read crashes. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "adapter_msg.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "testlib.h"

// clang-format off
/* (a) adapter room broadcast, PUBLISH socket.io#/#room1# */
static const uint8_t msg_a[] = {
    0x93, 0xa6, 0x2d, 0x4d, 0x41, 0x71, 0x51, 0x76, 0x83, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x02, 0xa4,
    0x64, 0x61, 0x74, 0x61, 0x92, 0xa8, 0x72, 0x6f, 0x6f, 0x6d, 0x2d, 0x6d, 0x73, 0x67, 0x87, 0xa5,
    0x68, 0x65, 0x6c, 0x6c, 0x6f, 0xa6, 0x66, 0x72, 0x6f, 0x6d, 0x20, 0x41, 0xa1, 0x6e, 0xcb, 0x3f,
    0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa3, 0x62, 0x69, 0x67, 0xcf, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0xa3, 0x6e, 0x65, 0x67, 0xf9, 0xa3, 0x61, 0x72, 0x72, 0x93, 0x01, 0x02,
    0x03, 0xa3, 0x6e, 0x69, 0x6c, 0xc0, 0xa1, 0x74, 0xc3, 0xa3, 0x6e, 0x73, 0x70, 0xa1, 0x2f, 0x83,
    0xa5, 0x72, 0x6f, 0x6f, 0x6d, 0x73, 0x91, 0xa5, 0x72, 0x6f, 0x6f, 0x6d, 0x31, 0xa6, 0x65, 0x78,
    0x63, 0x65, 0x70, 0x74, 0x90, 0xa5, 0x66, 0x6c, 0x61, 0x67, 0x73, 0x80};

/* (b) emitter room broadcast: opts keys in another order */
static const uint8_t msg_b[] = {
    0x93, 0xa7, 0x65, 0x6d, 0x69, 0x74, 0x74, 0x65, 0x72, 0x83, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x02,
    0xa4, 0x64, 0x61, 0x74, 0x61, 0x92, 0xac, 0x66, 0x72, 0x6f, 0x6d, 0x2d, 0x65, 0x6d, 0x69, 0x74,
    0x74, 0x65, 0x72, 0x82, 0xa1, 0x78, 0x01, 0xa1, 0x73, 0xa2, 0xc3, 0xa9, 0xa3, 0x6e, 0x73, 0x70,
    0xa1, 0x2f, 0x83, 0xa5, 0x72, 0x6f, 0x6f, 0x6d, 0x73, 0x91, 0xa5, 0x72, 0x6f, 0x6f, 0x6d, 0x31,
    0xa5, 0x66, 0x6c, 0x61, 0x67, 0x73, 0x80, 0xa6, 0x65, 0x78, 0x63, 0x65, 0x70, 0x74, 0x90};

/* (c) binary broadcast to everyone, PUBLISH socket.io#/# */
static const uint8_t msg_c[] = {
    0x93, 0xa6, 0x2d, 0x4d, 0x41, 0x71, 0x51, 0x76, 0x83, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x02, 0xa4,
    0x64, 0x61, 0x74, 0x61, 0x93, 0xa3, 0x62, 0x69, 0x6e, 0xc4, 0x04, 0xde, 0xad, 0xbe, 0xef, 0x81,
    0xa6, 0x6e, 0x65, 0x73, 0x74, 0x65, 0x64, 0xc4, 0x02, 0x68, 0x69, 0xa3, 0x6e, 0x73, 0x70, 0xa1,
    0x2f, 0x83, 0xa5, 0x72, 0x6f, 0x6f, 0x6d, 0x73, 0x90, 0xa6, 0x65, 0x78, 0x63, 0x65, 0x70, 0x74,
    0x90, 0xa5, 0x66, 0x6c, 0x61, 0x67, 0x73, 0x80};

/* (d) broadcast with ack, request type 7 on socket.io-request#/# */
static const uint8_t msg_d[] = {
    0x85, 0xa3, 0x75, 0x69, 0x64, 0xa6, 0x2d, 0x4d, 0x41, 0x71, 0x51, 0x76, 0xa9, 0x72, 0x65, 0x71,
    0x75, 0x65, 0x73, 0x74, 0x49, 0x64, 0xa6, 0x56, 0x7a, 0x54, 0x42, 0x44, 0x5a, 0xa4, 0x74, 0x79,
    0x70, 0x65, 0x07, 0xa6, 0x70, 0x61, 0x63, 0x6b, 0x65, 0x74, 0x83, 0xa4, 0x74, 0x79, 0x70, 0x65,
    0x02, 0xa4, 0x64, 0x61, 0x74, 0x61, 0x92, 0xa3, 0x61, 0x73, 0x6b, 0xa2, 0x71, 0x3f, 0xa3, 0x6e,
    0x73, 0x70, 0xa1, 0x2f, 0xa4, 0x6f, 0x70, 0x74, 0x73, 0x83, 0xa5, 0x72, 0x6f, 0x6f, 0x6d, 0x73,
    0x90, 0xa6, 0x65, 0x78, 0x63, 0x65, 0x70, 0x74, 0x90, 0xa5, 0x66, 0x6c, 0x61, 0x67, 0x73, 0x81,
    0xa7, 0x74, 0x69, 0x6d, 0x65, 0x6f, 0x75, 0x74, 0xcd, 0x0b, 0xb8};

/* B's BROADCAST_ACK answer to (d) */
static const uint8_t msg_d_ack[] = {0x83, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x09, 0xa9, 0x72, 0x65,
                                    0x71, 0x75, 0x65, 0x73, 0x74, 0x49, 0x64, 0xa6, 0x56, 0x7a,
                                    0x54, 0x42, 0x44, 0x5a, 0xa6, 0x70, 0x61, 0x63, 0x6b, 0x65,
                                    0x74, 0x81, 0xa6, 0x61, 0x6e, 0x73, 0x77, 0x65, 0x72, 0xa1,
                                    0x42};

/* (e) and the other JSON messages of the capture */
static const char *const json_requests[] = {
    "{\"uid\":\"-MAqQv\",\"type\":6,\"data\":[\"sse\",\"hello\",1,{\"a\":[true]}]}",
    "{\"uid\":\"-MAqQv\",\"requestId\":\"nqyuXu\",\"type\":6,\"data\":[\"sse-ack\",\"question\"]}",
    "{\"uid\":\"emitter\",\"type\":6,\"data\":[\"sse-from-emitter\",42]}",
    "{\"type\":2,\"opts\":{\"rooms\":[\"room1\"],\"except\":[]},\"rooms\":[\"room3\"]}",
    "{\"uid\":\"-MAqQv\",\"type\":2,\"opts\":{\"rooms\":[\"room1\"],\"except\":[]},\"rooms\":[\"room2\"]}",
    "{\"uid\":\"-MAqQv\",\"type\":4,\"opts\":{\"rooms\":[],\"except\":[\"room1\"]},\"close\":true}",
    "{\"uid\":\"-MAqQv\",\"requestId\":\"MFAhWl\",\"type\":1}",
    "{\"uid\":\"-MAqQv\",\"requestId\":\"Xyz123\",\"type\":5,\"opts\":{\"rooms\":[\"r\"],\"except\":[]}}",
    "{\"uid\":\"-MAqQv\",\"requestId\":\"Xyz124\",\"type\":0,\"rooms\":[\"r\"]}",
    "{\"uid\":\"-MAqQv\",\"requestId\":\"Xyz125\",\"type\":3,\"sid\":\"abc\",\"room\":\"r\"}",
};

static const char *const json_responses[] = {
    "{\"type\":6,\"requestId\":\"nqyuXu\",\"data\":{\"from\":\"B\",\"ok\":true}}",
    "{\"type\":8,\"requestId\":\"VzTBDZ\",\"clientCount\":1}",
    "{\"requestId\":\"MFAhWl\",\"rooms\":[\"wmLoyaEAfRXz4vX2AAAA\",\"room1\"]}",
    "{\"requestId\":\"Xyz124\",\"sockets\":[\"wmLoyaEAfRXz4vX2AAAA\"]}",
    "{\"requestId\":\"Xyz123\",\"sockets\":[{\"id\":\"wmLoyaEAfRXz4vX2AAAA\",\"handshake\":{},"
    "\"rooms\":[\"wmLoyaEAfRXz4vX2AAAA\",\"r\"],\"data\":{}}]}",
};

// clang-format on

/* ---- guarded decoding: the input ends right before an unreadable page ---- */

static uint8_t *guard_base;
static size_t page;

static const uint8_t *guarded(const void *p, size_t len)
{
    if (!guard_base) {
        page = (size_t)sysconf(_SC_PAGESIZE);
        guard_base =
            mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (guard_base == MAP_FAILED) abort();
        mprotect(guard_base + 3 * page, page, PROT_NONE);
    }
    if (len > 3 * page) abort();
    memcpy(guard_base + 3 * page - len, p, len);
    return guard_base + 3 * page - len;
}

typedef int (*decode_fn)(const uint8_t *, size_t, const struct adapter_limits *,
                         struct adapter_msg *);

/* Every strict prefix fails cleanly; the whole message decodes. */
static void check_prefixes(decode_fn fn, const uint8_t *msg, size_t len)
{
    struct adapter_msg m;
    size_t n;

    for (n = 0; n < len; n++) {
        int rc = fn(guarded(msg, n), n, NULL, &m);
        if (rc == 0) {
            /* a JSON prefix can never be whole; a MessagePack one cannot either (fixed counts) */
            fprintf(stderr, "prefix %zu of %zu decoded\n", n, len);
            CHECK(rc != 0);
            adapter_msg_clear(&m);
        }
    }
    CHECK_INT(fn(guarded(msg, len), len, NULL, &m), 0);
    adapter_msg_clear(&m);
}

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

#define CHECK_JSON(v, text)                                                                        \
    do {                                                                                           \
        char *tl_s = (v) ? dump(v) : NULL;                                                         \
        CHECK_STR(tl_s, text);                                                                     \
        free(tl_s);                                                                                \
    } while (0)

/* ---- the captured messages ---- */

static void test_broadcast_a(void)
{
    struct adapter_msg m;
    struct adapter_out out = {0};

    CHECK_INT(adapter_broadcast_decode(guarded(msg_a, sizeof(msg_a)), sizeof(msg_a), NULL, &m), 0);
    CHECK_STR(m.uid, "-MAqQv");
    CHECK_INT(m.packet_type, 2);
    CHECK_STR(m.nsp, "/");
    CHECK_JSON(m.data,
               "[\"room-msg\",{\"hello\":\"from A\",\"n\":1.5,\"big\":4294967296,\"neg\":-7,"
               "\"arr\":[1,2,3],\"nil\":null,\"t\":true}]");
    CHECK_INT(m.nbufs, 0);
    CHECK_INT(m.rooms.n, 1);
    CHECK_STR(m.rooms.n ? m.rooms.v[0] : NULL, "room1");
    CHECK_INT(m.except.n, 0);
    CHECK_INT(m.flags.is_volatile, 0);
    CHECK_INT(m.flags.compress, -1);
    CHECK_INT(m.flags.timeout_ms, ADAPTER_NO_TIMEOUT);
    CHECK_INT(adapter_broadcast_encode(&m, &out), 0);
    CHECK_MEM(out.data, out.len, msg_a, sizeof(msg_a));
    adapter_out_free(&out);
    adapter_msg_clear(&m);
    check_prefixes(adapter_broadcast_decode, msg_a, sizeof(msg_a));
}

static void test_broadcast_b_emitter(void)
{
    struct adapter_msg m;

    CHECK_INT(adapter_broadcast_decode(guarded(msg_b, sizeof(msg_b)), sizeof(msg_b), NULL, &m), 0);
    CHECK_STR(m.uid, "emitter");
    CHECK_JSON(m.data, "[\"from-emitter\",{\"x\":1,\"s\":\"\xc3\xa9\"}]");
    CHECK_INT(m.rooms.n, 1);
    CHECK_INT(m.except.n, 0);
    adapter_msg_clear(&m);
    check_prefixes(adapter_broadcast_decode, msg_b, sizeof(msg_b));
}

static void test_broadcast_c_binary(void)
{
    struct adapter_msg m;
    struct adapter_out out = {0};

    CHECK_INT(adapter_broadcast_decode(guarded(msg_c, sizeof(msg_c)), sizeof(msg_c), NULL, &m), 0);
    CHECK_JSON(m.data, "[\"bin\",{\"_placeholder\":true,\"num\":0},{\"nested\":{\"_placeholder\":"
                       "true,\"num\":1}}]");
    CHECK_INT(m.nbufs, 2);
    if (m.nbufs == 2) {
        CHECK_MEM(m.bufs[0].data, m.bufs[0].len, "\xde\xad\xbe\xef", 4);
        CHECK_MEM(m.bufs[1].data, m.bufs[1].len, "hi", 2);
    }
    CHECK_INT(m.rooms.n, 0);
    CHECK_INT(adapter_broadcast_encode(&m, &out), 0);
    CHECK_MEM(out.data, out.len, msg_c, sizeof(msg_c));
    adapter_out_free(&out);
    adapter_msg_clear(&m);
    check_prefixes(adapter_broadcast_decode, msg_c, sizeof(msg_c));
}

static void test_broadcast_request_d(void)
{
    struct adapter_msg m;
    struct adapter_out out = {0};

    CHECK_INT(adapter_request_decode(guarded(msg_d, sizeof(msg_d)), sizeof(msg_d), NULL, &m), 0);
    CHECK_INT(m.type, ADAPTER_BROADCAST);
    CHECK_STR(m.uid, "-MAqQv");
    CHECK_STR(m.request_id, "VzTBDZ");
    CHECK_INT(m.packet_type, 2);
    CHECK_STR(m.nsp, "/");
    CHECK_JSON(m.data, "[\"ask\",\"q?\"]");
    CHECK_INT(m.has_opts, 1);
    CHECK_INT(m.flags.timeout_ms, 3000);
    CHECK_INT(adapter_request_encode(&m, &out), 0);
    CHECK_MEM(out.data, out.len, msg_d, sizeof(msg_d));
    adapter_out_free(&out);
    adapter_msg_clear(&m);
    check_prefixes(adapter_request_decode, msg_d, sizeof(msg_d));

    CHECK_INT(
        adapter_response_decode(guarded(msg_d_ack, sizeof(msg_d_ack)), sizeof(msg_d_ack), NULL, &m),
        0);
    CHECK_INT(m.type, ADAPTER_BROADCAST_ACK);
    CHECK_STR(m.request_id, "VzTBDZ");
    CHECK_JSON(m.data, "{\"answer\":\"B\"}");
    CHECK_INT(adapter_response_encode(&m, &out), 0);
    CHECK_MEM(out.data, out.len, msg_d_ack, sizeof(msg_d_ack));
    adapter_out_free(&out);
    adapter_msg_clear(&m);
    check_prefixes(adapter_response_decode, msg_d_ack, sizeof(msg_d_ack));
}

static void test_json_round_trips(void)
{
    struct adapter_msg m;
    struct adapter_out out = {0};
    size_t i;

    for (i = 0; i < sizeof(json_requests) / sizeof(json_requests[0]); i++) {
        const char *s = json_requests[i];
        CHECK_INT(adapter_request_decode((const uint8_t *)s, strlen(s), NULL, &m), 0);
        out.len = 0;
        CHECK_INT(adapter_request_encode(&m, &out), 0);
        CHECK_MEM(out.data, out.len, s, strlen(s));
        if (out.len != strlen(s) || memcmp(out.data, s, out.len))
            fprintf(stderr, "  got %.*s\n", (int)out.len, (const char *)out.data);
        adapter_msg_clear(&m);
        check_prefixes(adapter_request_decode, (const uint8_t *)s, strlen(s));
    }
    for (i = 0; i < sizeof(json_responses) / sizeof(json_responses[0]); i++) {
        const char *s = json_responses[i];
        CHECK_INT(adapter_response_decode((const uint8_t *)s, strlen(s), NULL, &m), 0);
        /* the untyped answers are encoded as answers to the request the test knows they are */
        if (m.type == ADAPTER_NO_TYPE)
            m.type = m.sockets                ? ADAPTER_REMOTE_FETCH
                     : strstr(s, "\"rooms\"") ? ADAPTER_ALL_ROOMS
                                              : ADAPTER_SOCKETS;
        out.len = 0;
        CHECK_INT(adapter_response_encode(&m, &out), 0);
        CHECK_MEM(out.data, out.len, s, strlen(s));
        if (out.len != strlen(s) || memcmp(out.data, s, out.len))
            fprintf(stderr, "  got %.*s\n", (int)out.len, (const char *)out.data);
        adapter_msg_clear(&m);
        check_prefixes(adapter_response_decode, (const uint8_t *)s, strlen(s));
    }
    adapter_out_free(&out);
}

static void test_request_fields(void)
{
    struct adapter_msg m;
    const char *s;

    s = json_requests[3]; /* the emitter's socketsJoin */
    CHECK_INT(adapter_request_decode((const uint8_t *)s, strlen(s), NULL, &m), 0);
    CHECK_INT(m.type, ADAPTER_REMOTE_JOIN);
    CHECK(m.uid == NULL && m.request_id == NULL);
    CHECK_INT(m.has_opts, 1);
    CHECK_STR(m.rooms.n ? m.rooms.v[0] : NULL, "room1");
    CHECK_STR(m.names.n ? m.names.v[0] : NULL, "room3");
    adapter_msg_clear(&m);

    s = json_requests[5]; /* disconnectSockets */
    CHECK_INT(adapter_request_decode((const uint8_t *)s, strlen(s), NULL, &m), 0);
    CHECK_INT(m.type, ADAPTER_REMOTE_DISCONNECT);
    CHECK_INT(m.close, 1);
    CHECK_STR(m.except.n ? m.except.v[0] : NULL, "room1");
    adapter_msg_clear(&m);

    s = json_requests[1];
    CHECK_INT(adapter_request_decode((const uint8_t *)s, strlen(s), NULL, &m), 0);
    CHECK_INT(m.type, ADAPTER_SERVER_SIDE_EMIT);
    CHECK_STR(m.request_id, "nqyuXu");
    CHECK_JSON(m.data, "[\"sse-ack\",\"question\"]");
    adapter_msg_clear(&m);

    /* numeric rooms are rooms (7.0.1); unknown types decode with nothing else */
    s = "{\"uid\":\"u\",\"type\":2,\"opts\":{\"rooms\":[12],\"except\":[]},\"rooms\":[3]}";
    CHECK_INT(adapter_request_decode((const uint8_t *)s, strlen(s), NULL, &m), 0);
    CHECK_STR(m.rooms.n ? m.rooms.v[0] : NULL, "12");
    CHECK_STR(m.names.n ? m.names.v[0] : NULL, "3");
    adapter_msg_clear(&m);
    s = "{\"type\":42}";
    CHECK_INT(adapter_request_decode((const uint8_t *)s, strlen(s), NULL, &m), 0);
    CHECK_INT(m.type, 42);
    adapter_msg_clear(&m);

    /* malformed */
    s = "{\"uid\":\"u\"}";
    CHECK_INT(adapter_request_decode((const uint8_t *)s, strlen(s), NULL, &m), HUB_EPARSE);
    s = "{\"type\":6,\"data\":3}";
    CHECK_INT(adapter_request_decode((const uint8_t *)s, strlen(s), NULL, &m), HUB_EPARSE);
    s = "{\"type\":\"6\"}";
    CHECK_INT(adapter_request_decode((const uint8_t *)s, strlen(s), NULL, &m), HUB_EPARSE);
    s = "[1]";
    CHECK_INT(adapter_request_decode((const uint8_t *)s, strlen(s), NULL, &m), HUB_EPARSE);
    s = "{\"type\":8,\"clientCount\":1}"; /* a response needs its requestId */
    CHECK_INT(adapter_response_decode((const uint8_t *)s, strlen(s), NULL, &m), HUB_EPARSE);
    s = "{\"uid\":\"a\\u0000b\",\"type\":1}";
    CHECK_INT(adapter_request_decode((const uint8_t *)s, strlen(s), NULL, &m), HUB_EPARSE);
}

/* ---- MessagePack corners ---- */

/* Decodes [uid, {type:2, data: [<value>], nsp:"/"}, {rooms:[], except:[], flags:{}}] built around
 * the bytes of one value; returns the data's first element as JSON text (free) or NULL. */
static char *decode_value(const uint8_t *v, size_t vlen, int *rc, size_t *nbufs)
{
    static const uint8_t head[] = {0x93, 0xa1, 'u',  0x83, 0xa4, 't', 'y', 'p',
                                   'e',  0x02, 0xa4, 'd',  'a',  't', 'a', 0x91};
    static const uint8_t tail[] = {0xa3, 'n',  's',  'p',  0xa1, '/', 0x83, 0xa5, 'r', 'o',
                                   'o',  'm',  's',  0x90, 0xa6, 'e', 'x',  'c',  'e', 'p',
                                   't',  0x90, 0xa5, 'f',  'l',  'a', 'g',  's',  0x80};
    uint8_t buf[512];
    struct adapter_msg m;
    char *s = NULL;
    size_t n = 0;

    memcpy(buf, head, sizeof(head));
    n += sizeof(head);
    memcpy(buf + n, v, vlen);
    n += vlen;
    memcpy(buf + n, tail, sizeof(tail));
    n += sizeof(tail);
    *rc = adapter_broadcast_decode(guarded(buf, n), n, NULL, &m);
    if (*rc == 0) {
        s = dump(json_array_get(m.data, 0));
        if (nbufs) *nbufs = m.nbufs;
        adapter_msg_clear(&m);
    }
    return s;
}

#define CHECK_VALUE(bytes, want)                                                                   \
    do {                                                                                           \
        static const uint8_t tl_v[] = bytes;                                                       \
        int tl_rc;                                                                                 \
        char *tl_s = decode_value(tl_v, sizeof(tl_v), &tl_rc, NULL);                               \
        CHECK_INT(tl_rc, 0);                                                                       \
        CHECK_STR(tl_s, want);                                                                     \
        free(tl_s);                                                                                \
    } while (0)

#define B(...)                                                                                     \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

static void test_value_corners(void)
{
    int rc;
    size_t nb = 0;
    char *s;

    CHECK_VALUE(B(0xca, 0x40, 0x48, 0xf5, 0xc3), "3.1400001049041748"); /* float32 */
    CHECK_VALUE(B(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), "1.8446744073709552e19");
    CHECK_VALUE(B(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0), "-9223372036854775808");
    CHECK_VALUE(B(0xd1, 0xff, 0x00), "-256");
    CHECK_VALUE(B(0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0), "null"); /* NaN */
    CHECK_VALUE(B(0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0), "null"); /* Infinity */
    CHECK_VALUE(B(0xa3, 'a', 0xff, 'b'), "\"a\xef\xbf\xbd"
                                         "b\"");      /* bad UTF-8 */
    CHECK_VALUE(B(0x81, 0x07, 0xc3), "{\"7\":true}"); /* integer key */
    /* timestamps (ext -1): 32-bit, 64-bit with nanoseconds, 96-bit before 1970 */
    CHECK_VALUE(B(0xd6, 0xff, 0x65, 0x53, 0xf1, 0x00), "\"2023-11-14T22:13:20.000Z\"");
    CHECK_VALUE(B(0xd7, 0xff, 0x1d, 0x53, 0x53, 0x00, 0x65, 0x53, 0xf1, 0x00),
                "\"2023-11-14T22:13:20.123Z\"");
    CHECK_VALUE(B(0xc7, 0x0c, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
                "\"1969-12-31T23:59:59.000Z\"");
    /* another extension becomes [type, <binary>] */
    s = decode_value((const uint8_t[]){0xd4, 0x05, 0xaa}, 3, &rc, &nb);
    CHECK_INT(rc, 0);
    CHECK_STR(s, "[5,{\"_placeholder\":true,\"num\":0}]");
    CHECK_INT(nb, 1);
    free(s);
    /* 0xc1 is never used; lengths past the end fail */
    s = decode_value((const uint8_t[]){0xc1}, 1, &rc, NULL);
    CHECK_INT(rc, HUB_EPARSE);
    s = decode_value((const uint8_t[]){0xdd, 0xff, 0xff, 0xff, 0xff}, 5, &rc, NULL);
    CHECK_INT(rc, HUB_EPARSE);
    s = decode_value((const uint8_t[]){0xdf, 0x7f, 0xff, 0xff, 0xff}, 5, &rc, NULL);
    CHECK_INT(rc, HUB_EPARSE);
}

static void test_limits_and_trailing(void)
{
    uint8_t buf[1200];
    struct adapter_limits lim = {40, 1};
    struct adapter_msg m;
    size_t n = 0, i;

    /* [uid, {type, data: [[[...]]], nsp}, opts] nested 100 deep */
    static const uint8_t head[] = {0x93, 0xa1, 'u', 0x82, 0xa4, 'd', 'a', 't', 'a', 0x91};
    memcpy(buf, head, sizeof(head));
    n = sizeof(head);
    for (i = 0; i < 100; i++)
        buf[n++] = 0x91;
    buf[n++] = 0xc0;
    memcpy(buf + n, "\xa3nsp\xa1/\x80", 7);
    n += 7;
    CHECK_INT(adapter_broadcast_decode(buf, n, NULL, &m), 0);
    adapter_msg_clear(&m);
    CHECK_INT(adapter_broadcast_decode(buf, n, &lim, &m), HUB_ELIMIT);
    /* trailing bytes, as notepack */
    buf[n++] = 0xc0;
    CHECK_INT(adapter_broadcast_decode(buf, n, NULL, &m), HUB_EPARSE);
    /* too many attachments */
    CHECK_INT(adapter_broadcast_decode(msg_c, sizeof(msg_c), &lim, &m), HUB_ELIMIT);
    /* a missing nsp is "/" (as the adapter reads it); a missing data is malformed */
    {
        static const uint8_t nonsp[] = {0x93, 0xa1, 'u',  0x81, 0xa4, 'd', 'a',
                                        't',  'a',  0x91, 0xa1, 'e',  0x80};
        static const uint8_t nodata[] = {0x93, 0xa1, 'u',  0x81, 0xa3, 'n',
                                         's',  'p',  0xa1, '/',  0x80};
        CHECK_INT(adapter_broadcast_decode(nonsp, sizeof(nonsp), NULL, &m), 0);
        CHECK_STR(m.nsp, "/");
        adapter_msg_clear(&m);
        CHECK_INT(adapter_broadcast_decode(nodata, sizeof(nodata), NULL, &m), HUB_EPARSE);
    }
}

static void test_encode_numbers_and_flags(void)
{
    struct adapter_msg m;
    struct adapter_out out = {0};
    json_error_t jerr;
    // clang-format off
    static const uint8_t want[] = {
        0x93, 0xa1, 'u', 0x83, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa4, 'd', 'a', 't', 'a', 0x97,
        0xa1, 'e', 0x02, /* 2.0 is an integer in JavaScript */
        0xcc, 0xff, 0xd0, 0x80, 0xd2, 0x80, 0, 0, 0, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0,
        0xd9, 0x20, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x',
        'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x',
        0xa3, 'n', 's', 'p', 0xa5, '/', 'c', 'h', 'a', 't',
        0x83, 0xa5, 'r', 'o', 'o', 'm', 's', 0x92, 0xa1, 'a', 0xa1, 'b',
        0xa6, 'e', 'x', 'c', 'e', 'p', 't', 0x91, 0xa1, 'c',
        0xa5, 'f', 'l', 'a', 'g', 's', 0x82, 0xa8, 'v', 'o', 'l', 'a', 't', 'i', 'l', 'e', 0xc3,
        0xa8, 'c', 'o', 'm', 'p', 'r', 'e', 's', 's', 0xc2};
    // clang-format on
    static const char *const rooms[] = {"a", "b"}, *const except[] = {"c"};

    adapter_msg_init(&m);
    m.uid = hub_strdup("u");
    m.nsp = hub_strdup("/chat");
    m.data = json_loads("[\"e\",2.0,255,-128,-2147483648,1.5,\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]",
                        0, &jerr);
    CHECK_INT(adapter_strv_set(&m.rooms, rooms, 2), 0);
    CHECK_INT(adapter_strv_set(&m.except, except, 1), 0);
    m.flags.is_volatile = 1;
    m.flags.compress = 0;
    CHECK_INT(adapter_broadcast_encode(&m, &out), 0);
    CHECK_MEM(out.data, out.len, want, sizeof(want));
    /* a placeholder that matches no buffer */
    json_array_append_new(m.data, json_pack("{s:b,s:i}", "_placeholder", 1, "num", 0));
    out.len = 0;
    CHECK_INT(adapter_broadcast_encode(&m, &out), 0); /* no buffers: plain data */
    {
        struct sio_buf b = {(uint8_t *)"z", 1};
        m.bufs = &b;
        m.nbufs = 1;
        out.len = 0;
        CHECK_INT(adapter_broadcast_encode(&m, &out), 0);
        CHECK(memmem(out.data, out.len, "\xc4\x01z", 3) != NULL);
        json_array_append_new(m.data, json_pack("{s:b,s:i}", "_placeholder", 1, "num", 1));
        CHECK_INT(adapter_broadcast_encode(&m, &out), HUB_EINVAL);
        m.bufs = NULL;
        m.nbufs = 0;
    }
    adapter_out_free(&out);
    adapter_msg_clear(&m);
}

/* ---- allocation failures: each one is HUB_ENOMEM, nothing leaks (the sanitizer build) ---- */

static long fail_at = -1;

static int should_fail(void)
{
    return fail_at >= 0 && fail_at-- == 0;
}
static void *f_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n);
}
static void *f_calloc(size_t n, size_t s)
{
    return should_fail() ? NULL : calloc(n, s);
}
static void *f_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n);
}
static const struct hub_alloc_funcs failing = {f_malloc, f_calloc, f_realloc, free};

static void test_allocation_failures(void)
{
    struct adapter_msg m;
    struct adapter_out out = {0};
    int ok[4] = {0, 0, 0, 0};
    long n;

    hub_alloc_set(&failing);
    for (n = 0; n < 400; n++) {
        int rc;
        fail_at = n;
        rc = adapter_broadcast_decode(msg_c, sizeof(msg_c), NULL, &m);
        if (rc == 0) {
            out.len = 0;
            rc = adapter_broadcast_encode(&m, &out);
            if (rc == 0) ok[0]++;
            adapter_msg_clear(&m);
        }
        if (rc) CHECK_INT(rc, HUB_ENOMEM);
        fail_at = n;
        rc = adapter_request_decode(msg_d, sizeof(msg_d), NULL, &m);
        if (rc == 0) {
            out.len = 0;
            rc = adapter_request_encode(&m, &out);
            if (rc == 0) ok[1]++;
            adapter_msg_clear(&m);
        }
        if (rc) CHECK_INT(rc, HUB_ENOMEM);
        fail_at = n;
        rc = adapter_request_decode((const uint8_t *)json_requests[4], strlen(json_requests[4]),
                                    NULL, &m);
        if (rc == 0) {
            out.len = 0;
            rc = adapter_request_encode(&m, &out);
            if (rc == 0) ok[2]++;
            adapter_msg_clear(&m);
        }
        if (rc) CHECK_INT(rc, HUB_ENOMEM);
        fail_at = n;
        rc = adapter_response_decode((const uint8_t *)json_responses[4], strlen(json_responses[4]),
                                     NULL, &m);
        if (rc == 0) {
            m.type = ADAPTER_REMOTE_FETCH;
            out.len = 0;
            rc = adapter_response_encode(&m, &out);
            if (rc == 0) ok[3]++;
            adapter_msg_clear(&m);
        }
        if (rc) CHECK_INT(rc, HUB_ENOMEM);
        adapter_out_free(&out);
    }
    fail_at = -1;
    hub_alloc_set(NULL);
    CHECK(ok[0] > 0 && ok[1] > 0 && ok[2] > 0 && ok[3] > 0);
}

int main(void)
{
    hub_alloc_set(NULL);
    RUN(test_broadcast_a);
    RUN(test_broadcast_b_emitter);
    RUN(test_broadcast_c_binary);
    RUN(test_broadcast_request_d);
    RUN(test_json_round_trips);
    RUN(test_request_fields);
    RUN(test_value_corners);
    RUN(test_limits_and_trailing);
    RUN(test_encode_numbers_and_flags);
    RUN(test_allocation_failures);
    return TEST_SUMMARY();
}
