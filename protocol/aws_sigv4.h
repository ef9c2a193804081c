/* aws_sigv4.h - the text of AWS Signature Version 4: parsing the Authorization header and building
 * the canonical request and the string to sign (the hashing and HMACs are hub/aws_crypto.h's).
 *
 *   Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/sqs/aws4_request,
 *                  SignedHeaders=content-type;host;x-amz-date, Signature=<64 hex>
 *
 * Canonical request (AWS's "Create a canonical request"), lines joined with '\n': the method; the
 * URI-encoded path ('/' kept); the canonical query (each name and value decoded, then encoded with
 * RFC 3986's unreserved set, sorted by name then value, joined with '&'); one "name:value" line per
 * signed header (values trimmed, runs of spaces collapsed) and an empty line; the signed header
 * list; the payload's SHA-256 in hex.
 *
 * Pure: no I/O, no crypto. */
#ifndef HUB_AWS_SIGV4_H
#define HUB_AWS_SIGV4_H

#include <stddef.h>

#include "aws_xml.h"

#define AWS_SIGV4_MAX_HEADERS 32

struct aws_sigv4_auth {
    char access_key[129];
    char date[9]; /* yyyymmdd of the credential scope */
    char region[64];
    char service[32]; /* "sqs", "sns" */
    char
        signed_headers[1024]; /* "content-type;host;x-amz-date" (lowercase, sorted by the client) */
    char signature[65];       /* lowercase hex */
};

/* Parses an Authorization header value. Returns 0, or HUB_EPARSE when it is not an
 * AWS4-HMAC-SHA256 header with Credential (5 scope parts ending in aws4_request), SignedHeaders and
 * a 64-hex-digit Signature (any field too long counts as malformed). */
int aws_sigv4_parse(const char *authorization, struct aws_sigv4_auth *out);

/* Splits signed_headers at ';' into names (each < 64 bytes) in order. Returns the count, or -1 when
 * there are more than max or a name is empty or too long. */
int aws_sigv4_header_names(const char *signed_headers, char names[][64], size_t max);

/* Appends the canonical request to b. path is decoded (it is encoded here); query is the raw query
 * string ("" when none); values[i] is the raw value of the i-th signed header (NULL: absent, taken
 * as ""); payload_hash is the lowercase hex SHA-256 of the body. */
void aws_sigv4_canonical_request(struct aws_buf *b, const char *method, const char *path,
                                 const char *query, const char *signed_headers,
                                 const char *const *values, size_t n, const char *payload_hash);

/* Appends the string to sign: "AWS4-HMAC-SHA256\n<amz_date>\n<date>/<region>/<service>/aws4_request
 * \n<canonical_hash>". */
void aws_sigv4_string_to_sign(struct aws_buf *b, const char *amz_date,
                              const struct aws_sigv4_auth *a, const char *canonical_hash);

#endif
