/* test_b64.c - base64: RFC 4648 vectors, strictness, round trips; inputs and outputs sit against an
 * unreadable page so any over-read or over-write crashes. */
#include <stdint.h>
#include <stdlib.h>

#include "b64.h"
#include "guard.h"
#include "hub_err.h"
#include "testlib.h"

static const struct {
    const char *plain, *b64;
} rfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

static void test_vectors(void)
{
    size_t i;

    for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
        const char *plain = rfc4648[i].plain, *enc = rfc4648[i].b64;
        size_t pn = strlen(plain), en = strlen(enc);
        struct guard gi, go;
        char *dst;
        uint8_t *out;
        const char *in;
        long n;

        CHECK_INT(b64_encoded_len(pn), en);
        dst = guard_copy(&go, NULL, en);
        CHECK_INT(b64_encode((const uint8_t *)plain, pn, dst), en);
        CHECK_MEM(dst, en, enc, en);
        guard_free(&go);

        in = guard_copy(&gi, enc, en);
        CHECK(b64_decoded_max(en) >= pn);
        out = guard_copy(&go, NULL, pn); /* exactly the decoded size: a stray write crashes */
        n = b64_decode(in, en, out);
        CHECK_INT(n, pn);
        CHECK_MEM(out, pn, plain, pn);
        guard_free(&go);
        guard_free(&gi);

        /* The same without padding. */
        while (en && enc[en - 1] == '=')
            en--;
        in = guard_copy(&gi, enc, en);
        out = guard_copy(&go, NULL, pn);
        CHECK_INT(b64_decode(in, en, out), pn);
        CHECK_MEM(out, pn, plain, pn);
        guard_free(&go);
        guard_free(&gi);
    }
}

static void test_engineio_example(void)
{
    /* Engine.IO v4: buffer <01 02 03 04> travels as "AQIDBA==". */
    const uint8_t buf[] = {1, 2, 3, 4};
    char enc[8];
    uint8_t dec[6];

    CHECK_INT(b64_encode(buf, 4, enc), 8);
    CHECK_MEM(enc, 8, "AQIDBA==", 8);
    CHECK_INT(b64_decode("AQIDBA==", 8, dec), 4);
    CHECK_MEM(dec, 4, buf, 4);
}

static void test_invalid(void)
{
    static const char *const bad[] = {
        "Z",        "Zg=",  "Zg===",    "Zm9v\n", "Zm 9v", "Zm9v====", "=Zm9",
        "Zg==Zg==", "Zm-_", "Zm9v=Yg=", "====",   "A===",  "Zm\x80v",  "Zm9vY",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = strlen(bad[i]);
        struct guard g, go;
        const char *in = guard_copy(&g, bad[i], n);
        uint8_t *out = guard_copy(&go, NULL, b64_decoded_max(n));
        long rc = b64_decode(in, n, out);
        if (rc != HUB_EPARSE) fprintf(stderr, "accepted \"%s\"\n", bad[i]);
        CHECK_INT(rc, HUB_EPARSE);
        guard_free(&go);
        guard_free(&g);
    }
}

static void test_sizes(void)
{
    CHECK_INT(b64_encoded_len(0), 0);
    CHECK_INT(b64_encoded_len(1), 4);
    CHECK_INT(b64_encoded_len(3), 4);
    CHECK_INT(b64_encoded_len(4), 8);
    CHECK_INT(b64_decoded_max(0), 0);
    CHECK_INT(b64_decoded_max(2), 3);
    CHECK_INT(b64_decoded_max(4), 3);
    CHECK_INT(b64_decoded_max(6), 6);
}

static void test_round_trip(void)
{
    uint8_t src[300];
    size_t n, i;

    srand(42);
    for (i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)rand();
    for (n = 0; n <= sizeof(src); n++) {
        struct guard ge, gi, go;
        size_t en = b64_encoded_len(n);
        char *enc = guard_copy(&ge, NULL, en);
        const char *in;
        uint8_t *out;

        CHECK_INT(b64_encode(src, n, enc), en);
        in = guard_copy(&gi, enc, en);
        out = guard_copy(&go, NULL, n);
        CHECK_INT(b64_decode(in, en, out), n);
        CHECK_MEM(out, n, src, n);
        guard_free(&go);
        guard_free(&gi);
        guard_free(&ge);
    }
}

int main(void)
{
    RUN(test_vectors);
    RUN(test_engineio_example);
    RUN(test_invalid);
    RUN(test_sizes);
    RUN(test_round_trip);
    return TEST_SUMMARY();
}
