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
 * A presigned request (AWS's "Authenticating Requests: Using Query Parameters") carries the same
 * fields in its query string instead of a header:
 *
 *   ?Action=ListQueues&Version=2012-11-05&X-Amz-Algorithm=AWS4-HMAC-SHA256
 *    &X-Amz-Credential=AKID%2F20261125%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=20261125T185036Z
 *    &X-Amz-Expires=3600&X-Amz-SignedHeaders=host[&X-Amz-Security-Token=...]&X-Amz-Signature=<hex>
 *
 * and its canonical query is built from every parameter but X-Amz-Signature.
 *
 * Pure: no I/O, no crypto. */
#ifndef HUB_AWS_SIGV4_H
#define HUB_AWS_SIGV4_H

#include <stddef.h>

#include "aws_xml.h"

#define AWS_SIGV4_MAX_HEADERS 32
#define AWS_SIGV4_MAX_EXPIRES 604800 /* X-Amz-Expires: seven days */

struct aws_sigv4_auth {
    char access_key[129];
    char date[9]; /* yyyymmdd of the credential scope */
    char region[64];
    char service[32]; /* "sqs", "sns" */
    char
        signed_headers[1024]; /* "content-type;host;x-amz-date" (lowercase, sorted by the client) */
    char signature[65];       /* lowercase hex ("" from a query: never matches) */
    /* presigned requests only (aws_sigv4_parse_query) */
    int presigned;           /* 1: these came from the query string */
    char amz_date[17];       /* X-Amz-Date, yyyymmddThhmmssZ */
    long expires;            /* X-Amz-Expires, 1..AWS_SIGV4_MAX_EXPIRES; 0 when absent */
    char content_sha256[65]; /* an X-Amz-Content-Sha256 parameter (hex, UNSIGNED-PAYLOAD) or "" */
};

/* aws_sigv4_canonical_request flags */
#define AWS_SIGV4_PRESIGNED 1u /* leave X-Amz-Signature out of the canonical query */

/* Parses an Authorization header value. Returns 0, or HUB_EPARSE when it is not an
 * AWS4-HMAC-SHA256 header with Credential (5 scope parts ending in aws4_request), SignedHeaders and
 * a 64-hex-digit Signature (any field too long counts as malformed). */
int aws_sigv4_parse(const char *authorization, struct aws_sigv4_auth *out);

/* Parses the query-string authentication of a presigned request from the raw query string q
 * (percent-encoded, without '?'). Returns 1 when q has no X-Amz-Algorithm parameter (not a
 * presigned request), 0 with out filled (out->presigned set), or HUB_EPARSE with a sentence for
 * the client in why (at most whylen bytes with the NUL) when a required parameter (X-Amz-Algorithm,
 * -Credential, -Signature, -SignedHeaders, -Date) is missing or empty, one of them is repeated,
 * the algorithm is not AWS4-HMAC-SHA256, the credential is not AKID/yyyymmdd/region/service/
 * aws4_request, the date is not yyyymmddThhmmssZ, X-Amz-Expires is not 1..604800 or a field is
 * too long. A signature that is not 64 hex digits is kept as "" so that it never matches. */
int aws_sigv4_parse_query(const char *q, struct aws_sigv4_auth *out, char *why, size_t whylen);

/* Splits signed_headers at ';' into names (each < 64 bytes) in order. Returns the count, or -1 when
 * there are more than max or a name is empty or too long. */
int aws_sigv4_header_names(const char *signed_headers, char names[][64], size_t max);

/* Appends the canonical request to b. path is decoded (it is encoded here); query is the raw query
 * string ("" when none); values[i] is the raw value of the i-th signed header (NULL: absent, taken
 * as ""); payload_hash is the lowercase hex SHA-256 of the body (or what the signer put in its
 * place). flags: 0, or AWS_SIGV4_PRESIGNED. */
void aws_sigv4_canonical_request(struct aws_buf *b, const char *method, const char *path,
                                 const char *query, const char *signed_headers,
                                 const char *const *values, size_t n, const char *payload_hash,
                                 unsigned flags);

/* Appends the string to sign: "AWS4-HMAC-SHA256\n<amz_date>\n<date>/<region>/<service>/aws4_request
 * \n<canonical_hash>". */
void aws_sigv4_string_to_sign(struct aws_buf *b, const char *amz_date,
                              const struct aws_sigv4_auth *a, const char *canonical_hash);

#endif
