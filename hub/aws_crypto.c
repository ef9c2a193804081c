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

int hub_aws_sigv4_verify(const struct aws_sigv4_auth *a, const char *secret,
                         const struct hub_aws_sigv4_request *r)
{
    char body_hash[65], creq_hash[65], sig[65];
    unsigned char k[32];
    struct aws_buf b, s;
    int rc = HUB_EINVAL;
    if (!r->amz_date || strlen(r->amz_date) != 16 || strncmp(r->amz_date, a->date, 8) != 0)
        return HUB_EINVAL;
    hub_bus_sha256_hex(r->body ? r->body : "", r->body_len, body_hash);
    if (r->content_sha256 && strcmp(r->content_sha256, "UNSIGNED-PAYLOAD") != 0 &&
        strcmp(r->content_sha256, body_hash) != 0)
        return HUB_EINVAL;
    aws_buf_init(&b);
    aws_buf_init(&s);
    aws_sigv4_canonical_request(&b, r->method, r->path, r->query, a->signed_headers, r->values,
                                r->nvalues, r->content_sha256 ? r->content_sha256 : body_hash);
    if (b.failed) goto nomem;
    hub_bus_sha256_hex(b.data, b.len, creq_hash);
    aws_sigv4_string_to_sign(&s, r->amz_date, a, creq_hash);
    if (s.failed) goto nomem;
    size_t slen = strlen(secret);
    char *key0 = hub_malloc(slen + 5);
    if (!key0) goto nomem;
    memcpy(key0, "AWS4", 4);
    memcpy(key0 + 4, secret, slen + 1);
    unsigned char k2[32];
    int bad = hmac(key0, slen + 4, a->date, strlen(a->date), k) ||
              hmac(k, 32, a->region, strlen(a->region), k2) ||
              hmac(k2, 32, a->service, strlen(a->service), k) ||
              hmac(k, 32, "aws4_request", 12, k2) || hmac(k2, 32, s.data, s.len, k);
    OPENSSL_cleanse(key0, slen + 4);
    hub_free(key0);
    if (!bad) {
        hex(k, 32, sig);
        rc = CRYPTO_memcmp(sig, a->signature, 64) == 0 ? 0 : HUB_EINVAL;
    }
    aws_buf_free(&b);
    aws_buf_free(&s);
    return rc;
nomem:
    aws_buf_free(&b);
    aws_buf_free(&s);
    return HUB_ENOMEM;
}
