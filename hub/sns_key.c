/* sns_key.c - see sns_key.h. OpenSSL 3's EVP API; every failure path clears OpenSSL's error queue,
 * which is per thread and shared with the TLS of the lws glue (a stale error there would be taken
 * for a TLS error). */
#include "sns_key.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "b64.h"
#include "hub_alloc.h"
#include "hub_err.h"

struct hub_sns_key {
    size_t refs;
    EVP_PKEY *pkey;
    char *cert_pem; /* NUL-terminated */
    size_t cert_len;
    char name[HUB_SNS_CERT_NAME_SIZE];
};

#define KEY_BITS 2048
#define CERT_DAYS 3650

static int msg(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    ERR_clear_error();
    return rc;
}

/* Makes the key object of pkey and x (both stay the caller's). */
static int key_new(EVP_PKEY *pkey, X509 *x, hub_sns_key **out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    BIO *b = NULL;
    char *data;
    long n;
    hub_sns_key *k = hub_calloc(1, sizeof *k);
    int rc = HUB_EIO;

    if (!k) return HUB_ENOMEM;
    if (!X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen < 8) goto fail;
    memcpy(k->name, "SigningCert-", 12);
    for (int i = 0; i < 8; i++) {
        k->name[12 + 2 * i] = hex[md[i] >> 4];
        k->name[13 + 2 * i] = hex[md[i] & 15];
    }
    memcpy(k->name + 28, ".pem", 5);
    if (!(b = BIO_new(BIO_s_mem())) || !PEM_write_bio_X509(b, x) ||
        (n = BIO_get_mem_data(b, &data)) <= 0)
        goto fail;
    rc = HUB_ENOMEM;
    if (!(k->cert_pem = hub_strndup(data, (size_t)n))) goto fail;
    k->cert_len = (size_t)n;
    if (!EVP_PKEY_up_ref(pkey)) {
        rc = HUB_EIO;
        goto fail;
    }
    k->pkey = pkey;
    k->refs = 1;
    BIO_free(b);
    *out = k;
    return 0;
fail:
    BIO_free(b);
    hub_free(k->cert_pem);
    hub_free(k);
    ERR_clear_error();
    return rc;
}

int hub_sns_key_generate(hub_sns_key **out)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;
    X509 *x = X509_new();
    BIGNUM *serial = NULL;
    unsigned char rnd[16];
    X509_NAME *name;
    int rc = HUB_EIO;

    *out = NULL;
    if (!ctx || !x || EVP_PKEY_keygen_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, KEY_BITS) <= 0 || EVP_PKEY_generate(ctx, &pkey) <= 0)
        goto out;
    /* A positive 127-bit serial number, random as RFC 5280 advises. */
    if (RAND_bytes(rnd, sizeof rnd) != 1) goto out;
    rnd[0] = (unsigned char)((rnd[0] & 0x7f) | 0x40);
    if (!(serial = BN_bin2bn(rnd, sizeof rnd, NULL)) ||
        !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) ||
        !X509_set_version(x, X509_VERSION_3) || !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 24 * 3600) ||
        !X509_set_pubkey(x, pkey) || !(name = X509_get_subject_name(x)) ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Hubbub", -1,
                                    -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    (const unsigned char *)"Hubbub SNS signing", -1, -1, 0) ||
        !X509_set_issuer_name(x, name) || X509_sign(x, pkey, EVP_sha256()) <= 0)
        goto out;
    rc = key_new(pkey, x, out);
out:
    BN_free(serial);
    X509_free(x);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}

/* An encrypted key cannot be used unattended: refuse it rather than prompt on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *ud)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)ud;
    return -1;
}

/* key_what and cert_what name the sources in messages (file names, or "the key"). */
static int from_pem(const char *key_pem, size_t key_len, const char *cert_pem, size_t cert_len,
                    const char *key_what, const char *cert_what, hub_sns_key **out, int *bad_cert,
                    char *err, size_t errlen)
{
    BIO *kb = NULL, *cb = NULL;
    EVP_PKEY *pkey = NULL;
    X509 *x = NULL;
    int rc;

    *out = NULL;
    *bad_cert = 0;
    if (key_len > INT32_MAX || cert_len > INT32_MAX)
        return msg(err, errlen, HUB_EINVAL, "%s: too large",
                   key_len > INT32_MAX ? key_what : cert_what);
    if (!(kb = BIO_new_mem_buf(key_pem, (int)key_len)) ||
        !(cb = BIO_new_mem_buf(cert_pem, (int)cert_len))) {
        rc = msg(err, errlen, HUB_ENOMEM, "out of memory");
        goto out;
    }
    if (!(pkey = PEM_read_bio_PrivateKey(kb, NULL, no_passphrase, NULL))) {
        rc =
            msg(err, errlen, HUB_EINVAL,
                "%s: no PEM private key (or an encrypted one, which needs a passphrase)", key_what);
        goto out;
    }
    if (!EVP_PKEY_is_a(pkey, "RSA")) {
        rc = msg(err, errlen, HUB_EINVAL, "%s: not an RSA key (SNS signs with RSA)", key_what);
        goto out;
    }
    if (EVP_PKEY_get_bits(pkey) < KEY_BITS) {
        rc = msg(err, errlen, HUB_EINVAL, "%s: a %d-bit RSA key; at least %d bits are needed",
                 key_what, EVP_PKEY_get_bits(pkey), KEY_BITS);
        goto out;
    }
    *bad_cert = 1;
    if (!(x = PEM_read_bio_X509(cb, NULL, NULL, NULL))) {
        rc = msg(err, errlen, HUB_EINVAL, "%s: no PEM certificate", cert_what);
        goto out;
    }
    *bad_cert = 0;
    if (X509_check_private_key(x, pkey) != 1) {
        rc = msg(err, errlen, HUB_EINVAL, "the key in %s does not match the certificate in %s",
                 key_what, cert_what);
        goto out;
    }
    rc = key_new(pkey, x, out);
    if (rc) msg(err, errlen, rc, "%s", hub_strerror(rc));
out:
    X509_free(x);
    EVP_PKEY_free(pkey);
    BIO_free(kb);
    BIO_free(cb);
    ERR_clear_error();
    return rc;
}

int hub_sns_key_from_pem(const char *key_pem, size_t key_len, const char *cert_pem, size_t cert_len,
                         hub_sns_key **out, char *err, size_t errlen)
{
    int bad_cert;

    return from_pem(key_pem, key_len, cert_pem, cert_len, "the key", "the certificate", out,
                    &bad_cert, err, errlen);
}

/* Reads a whole file (at most HUB_SNS_KEY_FILE_MAX bytes) into a new buffer. */
static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    int rc = 0;

    *out = NULL;
    if (!f) return msg(err, errlen, HUB_EIO, "cannot read %s: %s", path, strerror(errno));
    if (!(buf = hub_malloc(HUB_SNS_KEY_FILE_MAX + 1))) {
        fclose(f);
        return msg(err, errlen, HUB_ENOMEM, "out of memory");
    }
    n = fread(buf, 1, HUB_SNS_KEY_FILE_MAX + 1, f);
    if (ferror(f))
        rc = msg(err, errlen, HUB_EIO, "cannot read %s: %s", path, strerror(errno));
    else if (n > HUB_SNS_KEY_FILE_MAX)
        rc = msg(err, errlen, HUB_EINVAL, "%s: larger than %u bytes", path, HUB_SNS_KEY_FILE_MAX);
    fclose(f);
    if (rc) {
        OPENSSL_cleanse(buf, HUB_SNS_KEY_FILE_MAX + 1);
        hub_free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return 0;
}

int hub_sns_key_load(const char *key_file, const char *cert_file, hub_sns_key **out, int *bad_cert,
                     char *err, size_t errlen)
{
    char *key = NULL, *cert = NULL;
    size_t key_len = 0, cert_len = 0;
    int rc;

    *out = NULL;
    *bad_cert = 0;
    if ((rc = read_file(key_file, &key, &key_len, err, errlen))) return rc;
    if ((rc = read_file(cert_file, &cert, &cert_len, err, errlen))) {
        *bad_cert = 1;
    } else {
        rc =
            from_pem(key, key_len, cert, cert_len, key_file, cert_file, out, bad_cert, err, errlen);
    }
    OPENSSL_cleanse(key, HUB_SNS_KEY_FILE_MAX + 1);
    hub_free(key);
    hub_free(cert);
    return rc;
}

hub_sns_key *hub_sns_key_ref(hub_sns_key *k)
{
    if (k) k->refs++;
    return k;
}

void hub_sns_key_unref(hub_sns_key *k)
{
    if (!k || --k->refs) return;
    EVP_PKEY_free(k->pkey);
    hub_free(k->cert_pem);
    hub_free(k);
}

const char *hub_sns_key_cert_pem(const hub_sns_key *k, size_t *len)
{
    if (len) *len = k->cert_len;
    return k->cert_pem;
}

const char *hub_sns_key_cert_name(const hub_sns_key *k)
{
    return k->name;
}

int hub_sns_key_cert_url(const hub_sns_key *k, const char *base_url, char **out)
{
    size_t scheme, end, n;
    char *s;

    *out = NULL;
    if (!base_url) return HUB_EINVAL;
    if (strncmp(base_url, "http://", 7) == 0)
        scheme = 7;
    else if (strncmp(base_url, "https://", 8) == 0)
        scheme = 8;
    else
        return HUB_EINVAL;
    end = scheme + strcspn(base_url + scheme, "/?#");
    if (end == scheme) return HUB_EINVAL;
    n = end + strlen(HUB_SNS_CERT_PATH) + strlen(k->name) + 1;
    if (!(s = hub_malloc(n))) return HUB_ENOMEM;
    snprintf(s, n, "%.*s%s%s", (int)end, base_url, HUB_SNS_CERT_PATH, k->name);
    *out = s;
    return 0;
}

static const EVP_MD *version_md(int version)
{
    return version == 1 ? EVP_sha1() : version == 2 ? EVP_sha256() : NULL;
}

int hub_sns_key_sign(const hub_sns_key *k, int version, const void *data, size_t len,
                     char **sig_b64)
{
    const EVP_MD *md = version_md(version);
    EVP_MD_CTX *ctx = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    char *b64 = NULL;
    int rc = HUB_EIO;

    *sig_b64 = NULL;
    if (!md) return HUB_EINVAL;
    if (!(ctx = EVP_MD_CTX_new()) || EVP_DigestSignInit(ctx, NULL, md, NULL, k->pkey) != 1 ||
        EVP_DigestSign(ctx, NULL, &siglen, data, len) != 1)
        goto out;
    rc = HUB_ENOMEM;
    if (!(sig = hub_malloc(siglen)) || !(b64 = hub_malloc(b64_encoded_len(siglen) + 1))) goto out;
    rc = HUB_EIO;
    if (EVP_DigestSign(ctx, sig, &siglen, data, len) != 1) goto out;
    b64[b64_encode(sig, siglen, b64)] = '\0';
    *sig_b64 = b64;
    b64 = NULL;
    rc = 0;
out:
    hub_free(b64);
    hub_free(sig);
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}

int hub_sns_cert_verify(const char *cert_pem, size_t cert_len, int version, const void *data,
                        size_t len, const char *sig_b64)
{
    const EVP_MD *md = version_md(version);
    EVP_MD_CTX *ctx = NULL;
    BIO *b = NULL;
    X509 *x = NULL;
    EVP_PKEY *pub;
    uint8_t *sig = NULL;
    size_t slen;
    long n;
    int rc = HUB_EINVAL;

    if (!md || !cert_pem || !sig_b64 || cert_len > INT32_MAX) return HUB_EINVAL;
    slen = strlen(sig_b64);
    if (!(sig = hub_malloc(b64_decoded_max(slen) + 1))) return HUB_ENOMEM;
    if ((n = b64_decode(sig_b64, slen, sig)) <= 0) goto out;
    rc = HUB_ENOMEM;
    if (!(b = BIO_new_mem_buf(cert_pem, (int)cert_len)) || !(ctx = EVP_MD_CTX_new())) goto out;
    rc = HUB_EINVAL;
    if (!(x = PEM_read_bio_X509(b, NULL, NULL, NULL)) || !(pub = X509_get0_pubkey(x)) ||
        EVP_DigestVerifyInit(ctx, NULL, md, NULL, pub) != 1)
        goto out;
    rc = EVP_DigestVerify(ctx, sig, (size_t)n, data, len) == 1 ? 0 : HUB_EINVAL;
out:
    EVP_MD_CTX_free(ctx);
    X509_free(x);
    BIO_free(b);
    hub_free(sig);
    ERR_clear_error();
    return rc;
}

int hub_sns_signature_version(const char *s)
{
    if (!s || !*s || strcmp(s, "1") == 0) return 1;
    return strcmp(s, "2") == 0 ? 2 : 0;
}
