/* aws_crypto.h - the hashes of the AWS wire APIs (OpenSSL): the MD5s SQS answers with, and AWS
 * Signature Version 4 verification (the text of it is protocol/aws_sigv4.h's). */
#ifndef HUB_AWS_CRYPTO_H
#define HUB_AWS_CRYPTO_H

#include <jansson.h>
#include <stddef.h>

#include "aws_sigv4.h"

/* Lowercase hex MD5 of data (32 characters and a NUL): MD5OfMessageBody / MD5OfBody. */
void hub_aws_md5_hex(const void *data, size_t len, char out[33]);

/* MD5OfMessageAttributes (or ...SystemAttributes) of attrs in the SQS shape (aws_attr.h). Returns
 * 1 with out filled, 0 when attrs is NULL or empty (SQS then sends no MD5), HUB_EINVAL (malformed
 * attributes) or HUB_ENOMEM. */
int hub_aws_md5_of_attributes(const json_t *attrs, char out[33]);

/* What a SigV4 check needs of the request, borrowed for the call. */
struct hub_aws_sigv4_request {
    const char *method;
    const char *path;          /* decoded */
    const char *query;         /* raw, "" when none */
    const char *amz_date;      /* X-Amz-Date header, yyyymmddThhmmssZ (presigned: unused) */
    const char *const *values; /* the signed headers' values, in SignedHeaders order */
    size_t nvalues;
    const void *body;
    size_t body_len;
    const char *content_sha256; /* X-Amz-Content-Sha256, or NULL */
};

/* Checks a's signature with secret: from an Authorization header (aws_sigv4_parse) or a presigned
 * query (aws_sigv4_parse_query: its own X-Amz-Date, no X-Amz-Signature in the canonical query).
 * The payload hash is the X-Amz-Content-Sha256 given (a presigned query's, else the header's),
 * else the body's SHA-256 - and, for a presigned request without a body, UNSIGNED-PAYLOAD too.
 * Returns 0 when it matches, HUB_EINVAL when it does not (or a declared payload hash differs from
 * the body's, a presigned request leaves its body unsigned, or the date does not agree with the
 * credential scope), HUB_ENOMEM. Expiry is the caller's. */
int hub_aws_sigv4_verify(const struct aws_sigv4_auth *a, const char *secret,
                         const struct hub_aws_sigv4_request *r);

#endif
