/* test_sns_key.c - the SNS signing key (hub/sns_key.h): generation (a usable key and a self-signed
 * certificate), loading from PEM with the messages a config error shows, signatures of both
 * SignatureVersions checked against OpenSSL used directly (SHA1withRSA for "1", SHA256withRSA for
 * "2": a signature of one version never passes as the other), the certificate's name and URL. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "b64.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "sns_key.h"
#include "sns_test_key.h"
#include "testlib.h"

static const char text[] = "Message\nHello world!\nMessageId\n1\nTimestamp\n"
                           "2012-05-02T00:47:26.655Z\nTopicArn\narn:aws:sns:r:1:t\nType\n"
                           "Notification\n";

/* Verifies sig_b64 over text with cert_pem's key and md, with OpenSSL alone (no hub code but
 * base64), as a receiver in another language would. */
static int openssl_verify(const char *cert_pem, const EVP_MD *md, const char *sig_b64)
{
    BIO *b = BIO_new_mem_buf(cert_pem, -1);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t sig[1024];
    long n = b64_decode(sig_b64, strlen(sig_b64), sig);
    int ok =
        x && ctx && n > 0 && EVP_DigestVerifyInit(ctx, NULL, md, NULL, X509_get0_pubkey(x)) == 1 &&
        EVP_DigestVerify(ctx, sig, (size_t)n, (const unsigned char *)text, sizeof text - 1) == 1;

    EVP_MD_CTX_free(ctx);
    X509_free(x);
    BIO_free(b);
    return ok;
}

/* Signs text under both versions with k and checks each one as a receiver would. */
static void check_signatures(const hub_sns_key *k)
{
    size_t clen;
    const char *cert = hub_sns_key_cert_pem(k, &clen);
    char *v1 = NULL, *v2 = NULL;

    CHECK_INT(hub_sns_key_sign(k, 1, text, sizeof text - 1, &v1), 0);
    CHECK_INT(hub_sns_key_sign(k, 2, text, sizeof text - 1, &v2), 0);
    CHECK(v1 && v2 && strlen(v1) == 344 && strlen(v2) == 344); /* 256 bytes, base64 */
    if (!v1 || !v2) goto out;
    CHECK(openssl_verify(cert, EVP_sha1(), v1));
    CHECK(openssl_verify(cert, EVP_sha256(), v2));
    CHECK(!openssl_verify(cert, EVP_sha256(), v1));
    CHECK(!openssl_verify(cert, EVP_sha1(), v2));
    CHECK_INT(hub_sns_cert_verify(cert, clen, 1, text, sizeof text - 1, v1), 0);
    CHECK_INT(hub_sns_cert_verify(cert, clen, 2, text, sizeof text - 1, v2), 0);
    CHECK_INT(hub_sns_cert_verify(cert, clen, 2, text, sizeof text - 1, v1), HUB_EINVAL);
    CHECK_INT(hub_sns_cert_verify(cert, clen, 1, text, sizeof text - 1, v2), HUB_EINVAL);
    CHECK_INT(hub_sns_cert_verify(cert, clen, 1, text, sizeof text - 2, v1), HUB_EINVAL);
    CHECK_INT(hub_sns_cert_verify(cert, clen, 3, text, sizeof text - 1, v1), HUB_EINVAL);
    CHECK_INT(hub_sns_cert_verify(cert, clen, 1, text, sizeof text - 1, "not base64!"), HUB_EINVAL);
    CHECK_INT(hub_sns_cert_verify("junk", 4, 1, text, sizeof text - 1, v1), HUB_EINVAL);
out:
    hub_free(v1);
    hub_free(v2);
}

static void test_generate(void)
{
    hub_sns_key *k = NULL, *k2 = NULL;
    size_t clen = 0;

    CHECK_INT(hub_sns_key_generate(&k), 0);
    CHECK(k != NULL);
    if (!k) return;
    const char *cert = hub_sns_key_cert_pem(k, &clen);
    CHECK_INT(clen, strlen(cert));
    CHECK(strncmp(cert, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
    /* A self-signed RSA-2048 certificate for now, and for years. */
    {
        BIO *b = BIO_new_mem_buf(cert, (int)clen);
        X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        char cn[64] = "";

        CHECK(x != NULL);
        if (x) {
            CHECK_INT(EVP_PKEY_get_bits(X509_get0_pubkey(x)), 2048);
            CHECK(EVP_PKEY_is_a(X509_get0_pubkey(x), "RSA"));
            CHECK_INT(X509_verify(x, X509_get0_pubkey(x)), 1);
            CHECK(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
            CHECK(X509_cmp_time(X509_get0_notAfter(x), &(time_t){time(NULL) + 5L * 365 * 86400}) >
                  0);
            X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
            CHECK_STR(cn, "Hubbub SNS signing");
        }
        X509_free(x);
        BIO_free(b);
    }
    /* SigningCert-<16 hex>.pem, and each generation is a new key. */
    const char *name = hub_sns_key_cert_name(k);
    CHECK_INT(strlen(name), HUB_SNS_CERT_NAME_SIZE - 1);
    CHECK(strncmp(name, "SigningCert-", 12) == 0 && strcmp(name + 28, ".pem") == 0);
    CHECK_INT(strspn(name + 12, "0123456789abcdef"), 16);
    CHECK_INT(hub_sns_key_generate(&k2), 0);
    CHECK(k2 && strcmp(hub_sns_key_cert_name(k2), name) != 0);
    check_signatures(k);
    CHECK(hub_sns_key_ref(k) == k);
    hub_sns_key_unref(k);
    hub_sns_key_unref(k);
    hub_sns_key_unref(k2);
    hub_sns_key_unref(NULL);
    CHECK(hub_sns_key_ref(NULL) == NULL);
}

static void test_from_pem(void)
{
    hub_sns_key *k = NULL;
    char err[300];

    CHECK_INT(hub_sns_key_from_pem(TEST_KEY_PEM, sizeof TEST_KEY_PEM - 1, TEST_CERT_PEM,
                                   sizeof TEST_CERT_PEM - 1, &k, err, sizeof err),
              0);
    CHECK(k != NULL);
    if (!k) return;
    /* Served as read: the certificate PEM is the file's. */
    CHECK_STR(hub_sns_key_cert_pem(k, NULL), TEST_CERT_PEM);
    check_signatures(k);
    /* Deterministic (PKCS #1 v1.5): the known answer of `openssl dgst -sha256 -sign`. */
    {
        char *sig = NULL;
        const char *sts = "Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
                          "Subject\nMy First Message\nTimestamp\n2012-05-02T00:47:26.655Z\n"
                          "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\n"
                          "Notification\n";

        CHECK_INT(hub_sns_key_sign(k, 2, sts, strlen(sts), &sig), 0);
        CHECK_STR(sig,
                  "eU3Chd7JuKCL1lUxlGkGRZQAFVkG/PRU1/A4gBV/81uaeRg1Ery7E7aM3Nu17jQ8k8u38eclVd8q"
                  "Wn8jkeW+ctsZP31JL5fCCfyq83Q01SwVRzB2K4tcCbvmMQ9GhW4LlJ2rsmMsoIb814X0JgMx"
                  "myGGFxgI3/4lK6zhJY0mpEZUVE2VwrYvoJMSovm/A/b4wiJEwxsfn/1OwdMIWspT5K8F2nqG"
                  "fqqvFX/Ww1tox7nqSgJ6paQFhwpYrwovCxIqKtijOUODRvQPf5jy/ZRZURkZOsLXhOsq4Jz/"
                  "t0vnzbyE7JhFpxgFbW6APR3/N14mkK9Edy0N+As/NgHWPPbkHw==");
        hub_free(sig);
        CHECK_INT(hub_sns_key_sign(k, 0, sts, strlen(sts), &sig), HUB_EINVAL);
        CHECK(sig == NULL);
    }
    hub_sns_key_unref(k);

    /* What is wrong is named. */
    CHECK_INT(hub_sns_key_from_pem(TEST_OTHER_KEY_PEM, sizeof TEST_OTHER_KEY_PEM - 1, TEST_CERT_PEM,
                                   sizeof TEST_CERT_PEM - 1, &k, err, sizeof err),
              HUB_EINVAL);
    CHECK(k == NULL);
    CHECK_STR(err, "the key in the key does not match the certificate in the certificate");
    CHECK_INT(hub_sns_key_from_pem(TEST_KEY_PEM, sizeof TEST_KEY_PEM - 1, TEST_KEY_PEM,
                                   sizeof TEST_KEY_PEM - 1, &k, err, sizeof err),
              HUB_EINVAL);
    CHECK_STR(err, "the certificate: no PEM certificate");
    CHECK_INT(hub_sns_key_from_pem(TEST_CERT_PEM, sizeof TEST_CERT_PEM - 1, TEST_CERT_PEM,
                                   sizeof TEST_CERT_PEM - 1, &k, err, sizeof err),
              HUB_EINVAL);
    CHECK(strstr(err, "the key: no PEM private key") == err);
    CHECK_INT(hub_sns_key_from_pem(TEST_SMALL_KEY_PEM, sizeof TEST_SMALL_KEY_PEM - 1, TEST_CERT_PEM,
                                   sizeof TEST_CERT_PEM - 1, &k, err, sizeof err),
              HUB_EINVAL);
    CHECK_STR(err, "the key: a 1024-bit RSA key; at least 2048 bits are needed");
}

static void test_load_files(void)
{
    char dir[] = "/tmp/hubbub-test-sns-key-XXXXXX", key[300], cert[300], err[600];
    int bad_cert = -1;
    hub_sns_key *k = NULL;
    FILE *f;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    CHECK((f = fopen(key, "w")) != NULL);
    if (f) fputs(TEST_KEY_PEM, f), fclose(f);
    CHECK((f = fopen(cert, "w")) != NULL);
    if (f) fputs(TEST_CERT_PEM, f), fclose(f);

    CHECK_INT(hub_sns_key_load(key, cert, &k, &bad_cert, err, sizeof err), 0);
    CHECK(k && strcmp(hub_sns_key_cert_pem(k, NULL), TEST_CERT_PEM) == 0);
    hub_sns_key_unref(k);
    /* Swapped: the certificate file holds no key. */
    CHECK_INT(hub_sns_key_load(cert, key, &k, &bad_cert, err, sizeof err), HUB_EINVAL);
    CHECK_INT(bad_cert, 0);
    CHECK(strncmp(err, cert, strlen(cert)) == 0);
    /* Missing and unreadable files: HUB_EIO naming the file. */
    char missing[320];
    snprintf(missing, sizeof missing, "%s/missing.pem", dir);
    CHECK_INT(hub_sns_key_load(missing, cert, &k, &bad_cert, err, sizeof err), HUB_EIO);
    CHECK_INT(bad_cert, 0);
    CHECK(strstr(err, "cannot read ") == err && strstr(err, missing) &&
          strstr(err, "No such file or directory"));
    CHECK_INT(hub_sns_key_load(key, dir, &k, &bad_cert, err, sizeof err), HUB_EIO);
    CHECK_INT(bad_cert, 1);
    CHECK(strstr(err, dir) != NULL);
    CHECK(k == NULL);
    unlink(key);
    unlink(cert);
    rmdir(dir);
}

static void test_cert_url_and_versions(void)
{
    hub_sns_key *k = sns_test_key_new();
    char *url = NULL, want[200];

    CHECK(k != NULL);
    if (!k) return;
    snprintf(want, sizeof want, "https://hub.example:8443/_hubbub/sns/%s",
             hub_sns_key_cert_name(k));
    CHECK_INT(hub_sns_key_cert_url(k, "https://hub.example:8443/bus/x?y#z", &url), 0);
    CHECK_STR(url, want);
    hub_free(url);
    CHECK_INT(hub_sns_key_cert_url(k, "https://hub.example:8443", &url), 0);
    CHECK_STR(url, want);
    hub_free(url);
    CHECK_INT(hub_sns_key_cert_url(k, "http://127.0.0.1:3000/bus", &url), 0);
    CHECK(url && strncmp(url, "http://127.0.0.1:3000/_hubbub/sns/SigningCert-", 46) == 0);
    hub_free(url);
    CHECK_INT(hub_sns_key_cert_url(k, "ftp://x", &url), HUB_EINVAL);
    CHECK_INT(hub_sns_key_cert_url(k, "http:///x", &url), HUB_EINVAL);
    CHECK(url == NULL);
    hub_sns_key_unref(k);

    CHECK_INT(hub_sns_signature_version(NULL), 1);
    CHECK_INT(hub_sns_signature_version(""), 1);
    CHECK_INT(hub_sns_signature_version("1"), 1);
    CHECK_INT(hub_sns_signature_version("2"), 2);
    CHECK_INT(hub_sns_signature_version("3"), 0);
    CHECK_INT(hub_sns_signature_version("22"), 0);
}

int main(void)
{
    RUN(test_generate);
    RUN(test_from_pem);
    RUN(test_load_files);
    RUN(test_cert_url_and_versions);
    return TEST_SUMMARY();
}
