/* aws_crypto.c - see aws_crypto.h. */
#include "aws_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <string.h>

#include "aws_attr.h"
#include "bus.h"
#include "hub_alloc.h"
#include "hub_err.h"

static void hex(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void hub_aws_md5_hex(const void *data, size_t len, char out[33])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(data, len, d, &n, EVP_md5(), NULL) || n != 16) {
        memset(out, '0', 32);
        out[32] = '\0';
        return;
    }
    hex(d, 16, out);
}

int hub_aws_md5_of_attributes(const json_t *attrs, char out[33])
{
    uint8_t *buf;
    size_t len;
    int rc = aws_attr_digest_input(attrs, &buf, &len);
    if (rc) return rc;
    if (!buf) return 0;
    hub_aws_md5_hex(buf, len, out);
    hub_free(buf);
    return 1;
}

static int hmac(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[32])
{
    unsigned int n = 0;
    return HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &n) && n == 32 ? 0 : -1;
}

/* kSigning = HMAC chain of "AWS4" + secret over the scope's date, region, service, aws4_request. */
static int signing_key(const struct aws_sigv4_auth *a, const char *secret, unsigned char k[32])
{
    size_t slen = strlen(secret);
    unsigned char k2[32];
    char *key0 = hub_malloc(slen + 5);
    if (!key0) return HUB_ENOMEM;
    memcpy(key0, "AWS4", 4);
    memcpy(key0 + 4, secret, slen + 1);
    int bad = hmac(key0, slen + 4, a->date, strlen(a->date), k) ||
              hmac(k, 32, a->region, strlen(a->region), k2) ||
              hmac(k2, 32, a->service, strlen(a->service), k) ||
              hmac(k, 32, "aws4_request", 12, k2);
    if (!bad) memcpy(k, k2, 32);
    OPENSSL_cleanse(key0, slen + 4);
    OPENSSL_cleanse(k2, sizeof k2);
    hub_free(key0);
    return bad ? HUB_EINVAL : 0;
}

/* 0 when a's signature is the one of r with payload_hash in the canonical request, HUB_EINVAL
 * when not, HUB_ENOMEM. */
static int signature_of(const struct aws_sigv4_auth *a, const unsigned char key[32],
                        const struct hub_aws_sigv4_request *r, const char *amz_date,
                        const char *payload_hash)
{
    char creq_hash[65], sig[65];
    unsigned char d[32];
    struct aws_buf b, s;
    int rc = HUB_ENOMEM;
    aws_buf_init(&b);
    aws_buf_init(&s);
    aws_sigv4_canonical_request(&b, r->method, r->path, r->query, a->signed_headers, r->values,
                                r->nvalues, payload_hash, a->presigned ? AWS_SIGV4_PRESIGNED : 0);
    if (!b.failed) {
        hub_bus_sha256_hex(b.data, b.len, creq_hash);
        aws_sigv4_string_to_sign(&s, amz_date, a, creq_hash);
    }
    if (!b.failed && !s.failed) {
        rc = HUB_EINVAL;
        if (hmac(key, 32, s.data, s.len, d) == 0) {
            hex(d, 32, sig);
            rc = CRYPTO_memcmp(sig, a->signature, 64) == 0 ? 0 : HUB_EINVAL;
        }
    }
    aws_buf_free(&b);
    aws_buf_free(&s);
    return rc;
}

int hub_aws_sigv4_verify(const struct aws_sigv4_auth *a, const char *secret,
                         const struct hub_aws_sigv4_request *r)
{
    static const char unsigned_payload[] = "UNSIGNED-PAYLOAD";
    char body_hash[65];
    unsigned char k[32];
    const char *amz_date = a->presigned ? a->amz_date : r->amz_date;
    const char *declared =
        a->presigned && a->content_sha256[0] ? a->content_sha256 : r->content_sha256;
    if (!amz_date || strlen(amz_date) != 16 || strncmp(amz_date, a->date, 8) != 0)
        return HUB_EINVAL;
    hub_bus_sha256_hex(r->body ? r->body : "", r->body_len, body_hash);
    int unsigned_body = declared && strcmp(declared, unsigned_payload) == 0;
    if (declared && !unsigned_body && strcmp(declared, body_hash) != 0) return HUB_EINVAL;
    /* A presigned URL leaves no body unsigned: its form would add to the signed query's. */
    if (a->presigned && unsigned_body && r->body_len) return HUB_EINVAL;
    int rc = signing_key(a, secret, k);
    if (rc) return rc;
    rc = signature_of(a, k, r, amz_date, declared ? declared : body_hash);
    /* Signers of presigned URLs disagree on the hash of an empty body: botocore and the JS SDK
     * hash it, S3-style presigners write UNSIGNED-PAYLOAD without saying so. */
    if (rc == HUB_EINVAL && a->presigned && !declared && r->body_len == 0)
        rc = signature_of(a, k, r, amz_date, unsigned_payload);
    OPENSSL_cleanse(k, sizeof k);
    return rc;
}
