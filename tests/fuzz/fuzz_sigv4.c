/* fuzz_sigv4.c - SigV4 text: the input as an Authorization header and as a presigned query string
 * (both parsers must answer 0/1 or HUB_EPARSE and leave NUL-terminated fields), then as the query
 * and header value of a canonical request, with and without the presigned flag. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws_sigv4.h"
#include "hub_err.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) abort();                                                                         \
    } while (0)

static void check_fields(const struct aws_sigv4_auth *a)
{
    REQUIRE(memchr(a->access_key, 0, sizeof a->access_key));
    REQUIRE(strlen(a->date) == 8);
    REQUIRE(memchr(a->region, 0, sizeof a->region));
    REQUIRE(memchr(a->service, 0, sizeof a->service));
    REQUIRE(memchr(a->signed_headers, 0, sizeof a->signed_headers));
    REQUIRE(strlen(a->signature) == 64 || (a->presigned && a->signature[0] == '\0'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    struct aws_sigv4_auth a;
    char why[160];
    REQUIRE(s);
    memcpy(s, data, size);
    s[size] = '\0';

    int rc = aws_sigv4_parse(s, &a);
    REQUIRE(rc == 0 || rc == HUB_EPARSE);
    if (rc == 0) check_fields(&a);

    rc = aws_sigv4_parse_query(s, &a, why, sizeof why);
    REQUIRE(rc == 0 || rc == 1 || rc == HUB_EPARSE);
    REQUIRE(memchr(why, 0, sizeof why));
    REQUIRE(rc != HUB_EPARSE || why[0]);
    if (rc == 0) {
        check_fields(&a);
        REQUIRE(a.presigned && strlen(a.amz_date) == 16);
        REQUIRE(a.expires >= 0 && a.expires <= AWS_SIGV4_MAX_EXPIRES);
    }

    const char *values[] = {s, NULL};
    for (unsigned flags = 0; flags <= AWS_SIGV4_PRESIGNED; flags++) {
        struct aws_buf b;
        aws_buf_init(&b);
        aws_sigv4_canonical_request(&b, "POST", s, s, rc == 0 ? a.signed_headers : "host;x", values,
                                    2, "UNSIGNED-PAYLOAD", flags);
        REQUIRE(b.failed || (b.data && strlen(b.data) == b.len));
        aws_buf_free(&b);
    }
    free(s);
    return 0;
}
