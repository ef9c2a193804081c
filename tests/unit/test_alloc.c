/* test_alloc.c - the allocator wrappers, and every allocation failure through the Socket.IO decoder
 * and encoder: fail the Nth allocation for N = 1, 2, ... until the operation succeeds; each failure
 * must come back as HUB_ENOMEM (or NULL), never as a parse error, and leave nothing allocated. */
#include <stdint.h>
#include <stdlib.h>

#include "hub_alloc.h"
#include "hub_err.h"
#include "sio.h"
#include "testlib.h"

static long fail_at; /* 0: never fail */
static long count;   /* allocations attempted since the last arm() */
static long live;    /* blocks handed out and not yet freed */

static int should_fail(void)
{
    return fail_at && ++count == fail_at;
}

static void *t_malloc(size_t n)
{
    void *p = should_fail() ? NULL : malloc(n);
    live += p != NULL;
    return p;
}

static void *t_calloc(size_t n, size_t size)
{
    void *p = should_fail() ? NULL : calloc(n, size);
    live += p != NULL;
    return p;
}

static void *t_realloc(void *old, size_t n)
{
    void *p = should_fail() ? NULL : realloc(old, n);
    live += p != NULL && old == NULL;
    return p;
}

static void t_free(void *p)
{
    live -= p != NULL;
    free(p);
}

static const struct hub_alloc_funcs test_funcs = {t_malloc, t_calloc, t_realloc, t_free};
static const struct hub_alloc_funcs no_calloc = {t_malloc, NULL, t_realloc, t_free};

static void arm(long n)
{
    fail_at = n;
    count = 0;
}

/* Runs op with the Nth allocation failing, for every N until op succeeds. op returns 1 on success,
 * 0 for a clean out-of-memory report, -1 for anything else. Returns the number of failure points.
 */
static long exhaust(int (*op)(void), const char *name)
{
    long n, base = live;

    for (n = 1; n < 10000; n++) {
        int rc;

        arm(n);
        rc = op();
        arm(0);
        if (live != base) {
            fprintf(stderr, "%s: %ld blocks leaked when allocation %ld failed\n", name, live - base,
                    n);
            live = base;
        }
        CHECK_INT(live, base);
        if (rc < 0) fprintf(stderr, "%s: wrong error when allocation %ld failed\n", name, n);
        CHECK(rc >= 0);
        if (rc == 1) return n - 1;
    }
    CHECK(0);
    return n;
}

static const char event_text[] = "2/admin,12[\"ev\",{\"a\":[1,2,\"xyz\"],\"b\":\"a longer string "
                                 "value\",\"c\":{\"d\":null}},3.5]";

static int op_decode_event(void)
{
    sio_decoder *d = sio_decoder_new(NULL);
    struct sio_packet p;
    int rc, ok;

    if (!d) return 0;
    rc = sio_decoder_feed_text(d, event_text, strlen(event_text), &p);
    ok = rc == 1 ? 1 : rc == HUB_ENOMEM ? 0 : -1;
    if (rc == 1) {
        ok = p.type == SIO_EVENT && strcmp(p.nsp, "/admin") == 0 && p.id == 12 &&
                     json_array_size(p.data) == 3
                 ? 1
                 : -1;
        sio_packet_clear(&p);
    }
    sio_decoder_free(d);
    return ok;
}

static const char binary_text[] =
    "52-/"
    "admin,7[\"ev\",{\"_placeholder\":true,\"num\":0},{\"k\":{\"_placeholder\":true,\"num\":1}}]";

static int op_decode_binary(void)
{
    sio_decoder *d = sio_decoder_new(NULL);
    struct sio_packet p;
    int rc;

    if (!d) return 0;
    rc = sio_decoder_feed_text(d, binary_text, strlen(binary_text), &p);
    if (rc == 0) rc = sio_decoder_feed_binary(d, (const uint8_t *)"\1\2\3", 3, &p);
    if (rc == 0) rc = sio_decoder_feed_binary(d, (const uint8_t *)"", 0, &p);
    if (rc == 1) {
        rc = p.nbufs == 2 && p.bufs[0].len == 3 && p.bufs[1].len == 0 ? 1 : -1;
        sio_packet_clear(&p);
    } else {
        rc = rc == HUB_ENOMEM ? 0 : -1;
    }
    /* After a failure the decoder was reset: a fresh packet goes through (when memory allows). */
    sio_decoder_free(d);
    return rc;
}

static int op_decode_after_failure(void)
{
    /* The decoder itself is allocated before the failures start. */
    long armed = fail_at;
    sio_decoder *d;
    struct sio_packet p;
    int rc, again;

    arm(0);
    d = sio_decoder_new(NULL);
    arm(armed);
    rc = sio_decoder_feed_text(d, binary_text, strlen(binary_text), &p);
    if (rc == 0) rc = sio_decoder_feed_binary(d, (const uint8_t *)"\1", 1, &p);
    if (rc == 0) rc = sio_decoder_feed_binary(d, (const uint8_t *)"\2", 1, &p);
    if (rc == 1) sio_packet_clear(&p);
    arm(0);
    /* Whatever happened, the decoder is usable and expects a new packet. */
    again = sio_decoder_feed_text(d, "2[\"x\"]", 6, &p);
    if (again == 1) sio_packet_clear(&p);
    sio_decoder_free(d);
    if (again != 1) return -1;
    return rc == 1 ? 1 : rc == HUB_ENOMEM ? 0 : -1;
}

static json_t *encode_data;

static int op_encode(void)
{
    size_t len;
    char *s = sio_encode(SIO_BINARY_ACK, "/a-namespace-long-enough-to-grow-the-buffer", 42,
                         encode_data, 2, &len);
    int ok;

    static const char want[] = "62-/a-namespace-long-enough-to-grow-the-buffer,42[\"ev\",";

    if (!s) return 0;
    ok = strncmp(s, want, sizeof(want) - 1) == 0 && len == strlen(s) ? 1 : -1;
    if (ok < 0) fprintf(stderr, "encoded: %s\n", s);
    hub_free(s);
    return ok;
}

static int op_placeholder(void)
{
    json_t *p = sio_placeholder_new(3);

    if (!p) return 0;
    json_decref(p);
    return 1;
}

static void test_failures(void)
{
    hub_alloc_set(&test_funcs);
    CHECK(exhaust(op_decode_event, "decode event") > 3);
    CHECK(exhaust(op_decode_binary, "decode binary") > 5);
    CHECK(exhaust(op_decode_after_failure, "decode after failure") > 3);
    CHECK(exhaust(op_placeholder, "placeholder") > 0);

    encode_data =
        json_loads("[\"ev\",{\"_placeholder\":true,\"num\":0},{\"big\":\"0123456789012345678901"
                   "234567890123456789012345678901234567890123456789\",\"n\":[1,2,3]},"
                   "{\"_placeholder\":true,\"num\":1}]",
                   0, NULL);
    CHECK(encode_data != NULL);
    CHECK(exhaust(op_encode, "encode") > 0);
    json_decref(encode_data);
    CHECK_INT(live, 0);
    hub_alloc_set(NULL);
}

static void test_wrappers(void)
{
    size_t before;
    char *s;
    unsigned char *z;

    hub_alloc_set(&test_funcs);
    before = hub_alloc_failures();
    CHECK(hub_calloc(SIZE_MAX / 2, 3) == NULL); /* overflow: refused without asking the allocator */
    CHECK_INT(hub_alloc_failures(), before + 1);
    CHECK_INT(live, 0);
    s = hub_strndup("hello world", 5);
    CHECK_STR(s, "hello");
    hub_free(s);
    s = hub_strndup("hi", 10);
    CHECK_STR(s, "hi");
    hub_free(s);
    s = hub_strdup("copy");
    CHECK_STR(s, "copy");
    hub_free(s);
    hub_free(NULL);
    arm(1);
    CHECK(hub_strdup("x") == NULL);
    CHECK_INT(hub_alloc_failures(), before + 2);
    arm(0);
    s = hub_malloc(4);
    s = hub_realloc(s, 4096);
    CHECK(s != NULL);
    hub_free(s);
    CHECK_INT(live, 0);

    /* Without calloc, hub_calloc zeroes what malloc gives. */
    hub_alloc_set(&no_calloc);
    z = hub_calloc(16, 4);
    CHECK(z != NULL);
    if (z) {
        size_t i, nonzero = 0;
        for (i = 0; i < 64; i++)
            nonzero += z[i] != 0;
        CHECK_INT(nonzero, 0);
    }
    hub_free(z);
    CHECK_INT(live, 0);

    /* jansson allocates through the wrappers. */
    {
        json_t *v;
        hub_alloc_set(&test_funcs);
        v = json_string("through the hub allocator");
        CHECK(live > 0);
        json_decref(v);
        CHECK_INT(live, 0);
    }
    hub_alloc_set(NULL);
}

static void test_strerror(void)
{
#define CHECK_NAME(name, code, text) CHECK_STR(hub_strerror(HUB_E##name), text);
    HUB_ERRNO_MAP(CHECK_NAME)
#undef CHECK_NAME
    CHECK_STR(hub_strerror(HUB_ENOMEM), "out of memory");
    CHECK_STR(hub_strerror(HUB_ELIMIT), "limit reached");
    CHECK_STR(hub_strerror(-1000), "unknown error");
    CHECK_STR(hub_strerror(5), "unknown error");
    CHECK(hub_strerror(0) != NULL);
}

int main(void)
{
    RUN(test_wrappers);
    RUN(test_failures);
    RUN(test_strerror);
    return TEST_SUMMARY();
}
