/* test_jsonp.c - the JSONP framing (jsonp.h), against what the reference's polling-jsonp.js writes
 * and reads. Inputs sit against an unreadable page so any over-read crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "jsonp.h"
#include "testlib.h"

static void test_index(void)
{
    char out[16];

    CHECK_INT(jsonp_index("12", 2, out), 2);
    CHECK(memcmp(out, "12", 2) == 0);
    CHECK_INT(jsonp_index("a1-b2", 5, out), 2);
    CHECK(memcmp(out, "12", 2) == 0);
    CHECK_INT(jsonp_index("", 0, out), 0);
    CHECK_INT(jsonp_index("x", 1, out), 0);
}

/* Encodes in (len bytes, against the guard page) and compares with want. */
static void encode(const char *idx, const char *in, size_t len, int buffer, const char *want)
{
    struct guard g;
    const uint8_t *buf = (const uint8_t *)guard_copy(&g, in, len);
    size_t max = jsonp_encoded_max(strlen(idx), len), n;
    char *out = malloc(max + 1);

    CHECK(max > 0 && out);
    n = jsonp_encode(idx, strlen(idx), buf, len, buffer, out);
    CHECK(n <= max);
    out[n] = '\0';
    CHECK_STR(out, want);
    free(out);
    guard_free(&g);
}

static void test_encode(void)
{
    encode("0", "", 0, 0, "___eio[0](\"\");");
    encode("12", "1:3", 3, 0, "___eio[12](\"1:3\");");
    encode("", "4\"\\/", 4, 0, "___eio[](\"4\\\"\\\\/\");");
    /* JSON.stringify's escapes: short ones, \u00XX (lower-case hex) for the other controls, DEL and
     * non-ASCII as they are */
    encode("1", "\b\f\n\r\t\x01\x1e\x1f\x7f\xc3\xa9", 11, 0,
           "___eio[1](\"\\b\\f\\n\\r\\t\\u0001\\u001e\\u001f\x7f\xc3\xa9\");");
    /* U+2028 and U+2029 as escapes (valid JSON, invalid JavaScript otherwise) */
    encode("1", "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c\xe2\x80\xaa", 12, 0,
           "___eio[1](\"a\\u2028b\\u2029c\xe2\x80\xaa\");");
    encode("1", "\xe2\x80", 2, 0, "___eio[1](\"\xe2\x80\");"); /* cut short: copied */
    /* a Node Buffer */
    encode("5", "\x00\x01\x09\x0a\x63\x64\xff", 7, 1,
           "___eio[5]({\"type\":\"Buffer\",\"data\":[0,1,9,10,99,100,255]});");
    encode("5", "", 0, 1, "___eio[5]({\"type\":\"Buffer\",\"data\":[]});");
    /* the worst case fits the bound */
    {
        char in[64];
        memset(in, 1, sizeof in);
        encode("", in, 0, 0, "___eio[](\"\");");
    }
    CHECK_INT(jsonp_encoded_max(0, SIZE_MAX / 2), 0);
    CHECK_INT(jsonp_encoded_max(SIZE_MAX, 0), 0);
}

/* Decodes a POST body; returns the result and the payload in out (NUL-terminated). */
static int decode(const char *body, char *out)
{
    struct guard g;
    size_t len = strlen(body), n = 0;
    const char *buf = guard_copy(&g, body, len);
    char *dst = malloc(len + 1);
    int rc;

    CHECK(dst != NULL);
    rc = jsonp_decode_post(buf, len, dst, &n);
    CHECK(rc == 0 || n <= len);
    if (rc == 1) {
        memcpy(out, dst, n);
        out[n] = '\0';
    } else {
        out[0] = '\0';
    }
    free(dst);
    guard_free(&g);
    return rc;
}

static void test_decode(void)
{
    char out[256];

    CHECK_INT(decode("d=1%3A2", out), 1);
    CHECK_STR(out, "1:2");
    CHECK_INT(decode("x=1&d=a+b%20c&y", out), 1);
    CHECK_STR(out, "a b c");
    CHECK_INT(decode("%64=v", out), 1); /* the key is decoded too */
    CHECK_STR(out, "v");
    CHECK_INT(decode("d=a=b", out), 1);
    CHECK_STR(out, "a=b");
    CHECK_INT(decode("d", out), 1); /* a key without '=': the empty string */
    CHECK_STR(out, "");
    CHECK_INT(decode("d=", out), 1);
    CHECK_STR(out, "");
    /* a '%' that starts no %XX stays */
    CHECK_INT(decode("d=%zz%4%", out), 1);
    CHECK_STR(out, "%zz%4%");
    CHECK_INT(decode("d=%e2%80%a8", out), 1);
    CHECK_STR(out, "\xe2\x80\xa8");
    /* newlines: \n (backslash, n) is a newline, \\n becomes \n, \\\n too (as the two regexps do) */
    CHECK_INT(decode("d=a\\nb", out), 1);
    CHECK_STR(out, "a\nb");
    CHECK_INT(decode("d=a\\\\nb", out), 1);
    CHECK_STR(out, "a\\nb");
    CHECK_INT(decode("d=a\\\\\\nb", out), 1);
    CHECK_STR(out, "a\\\\nb");
    CHECK_INT(decode("d=\\", out), 1);
    CHECK_STR(out, "\\");
    CHECK_INT(decode("d=\\\\", out), 1);
    CHECK_STR(out, "\\\\");
    CHECK_INT(decode("d=%5Cn", out), 1); /* decoded first, then unescaped */
    CHECK_STR(out, "\n");
    /* no d, or two: the reference ignores the body */
    CHECK_INT(decode("", out), 0);
    CHECK_INT(decode("x=1", out), 0);
    CHECK_INT(decode("dd=1", out), 0);
    CHECK_INT(decode("d=1&d=2", out), 0);
    CHECK_INT(decode("d=1&%64=2", out), 0);
    CHECK_INT(decode("&&&", out), 0);
}

/* Only the first JSONP_FORM_PAIRS_MAX pairs count (querystring's maxKeys), empty ones included. */
static void test_pairs_limit(void)
{
    size_t n = JSONP_FORM_PAIRS_MAX;
    char *body = malloc(2 * n + 8), out[8];

    CHECK(body != NULL);
    memset(body, '&', n - 1);
    strcpy(body + n - 1, "d=1");
    CHECK_INT(decode(body, out), 1); /* the 1000th pair */
    CHECK_STR(out, "1");
    memset(body, '&', n);
    strcpy(body + n, "d=1");
    CHECK_INT(decode(body, out), 0); /* the 1001st */
    free(body);
}

int main(void)
{
    RUN(test_index);
    RUN(test_encode);
    RUN(test_decode);
    RUN(test_pairs_limit);
    return TEST_SUMMARY();
}
