/* sns_key.h - the RSA key and X.509 certificate SNS envelopes are signed with, as Amazon SNS signs
 * them: SignatureVersion "1" is SHA1withRSA, "2" SHA256withRSA (PKCS #1 v1.5), base64, over the
 * canonical string of sns_envelope.h. Receivers fetch the certificate from SigningCertURL; the hub
 * serves it under HUB_SNS_CERT_PATH (bus_socket.h), named after its fingerprint as SNS names its
 * SimpleNotificationService-<hash>.pem files, so a validator that caches certificates by URL never
 * pairs a new key with an old certificate.
 *
 * A key comes from PEM files (the config's bus.signingKeyFile / bus.signingCertFile, so every node
 * of a cluster signs alike) or is generated (RSA-2048 with a self-signed certificate; one per bus,
 * made once). Keys are reference-counted and immutable once made; loop thread only (the counts are
 * not atomic). Nothing here keeps global state. */
#ifndef HUB_SNS_KEY_H
#define HUB_SNS_KEY_H

#include <stddef.h>

typedef struct hub_sns_key hub_sns_key;

/* Where the hub serves its certificate: HUB_SNS_CERT_PATH + hub_sns_key_cert_name(), and
 * HUB_SNS_CERT_PATH + HUB_SNS_CERT_ALIAS for whichever key the bus signs with now. */
#define HUB_SNS_CERT_PATH "/_hubbub/sns/"
#define HUB_SNS_CERT_ALIAS "SigningCert.pem"
/* What the certificate is served as. */
#define HUB_SNS_CERT_CONTENT_TYPE "application/x-pem-file"
/* "SigningCert-" + 16 hex digits + ".pem" + NUL */
#define HUB_SNS_CERT_NAME_SIZE 33
/* The largest key or certificate file read. */
#define HUB_SNS_KEY_FILE_MAX (1u << 20)

/* Generates an RSA-2048 key and a self-signed certificate for it (CN "Hubbub SNS signing", valid
 * from an hour ago for ten years). Returns 0 with a new key in *out, HUB_ENOMEM or HUB_EIO (the
 * crypto library failed). Takes some 0.1-0.5 s: do it once, at start. */
int hub_sns_key_generate(hub_sns_key **out);

/* Reads a PEM private key (RSA, not encrypted) from key_file and a PEM certificate (the first one,
 * when the file holds a chain) from cert_file and checks that they belong together. Returns 0 with
 * a new key in *out; HUB_EIO (a file cannot be read) or HUB_EINVAL (not a PEM RSA key, not a PEM
 * certificate, or key and certificate do not match) with a message naming the file in err and, in
 * *bad_cert, 1 when the certificate file is at fault, 0 for the key file; or HUB_ENOMEM. */
int hub_sns_key_load(const char *key_file, const char *cert_file, hub_sns_key **out, int *bad_cert,
                     char *err, size_t errlen);

/* The same from PEM text in memory (key_pem and cert_pem need not be NUL-terminated). Returns 0
 * with a new key in *out, HUB_EINVAL with a message in err, or HUB_ENOMEM. */
int hub_sns_key_from_pem(const char *key_pem, size_t key_len, const char *cert_pem, size_t cert_len,
                         hub_sns_key **out, char *err, size_t errlen);

/* A new reference to k (NULL stays NULL). */
hub_sns_key *hub_sns_key_ref(hub_sns_key *k);
/* Drops a reference; the last one frees the key. NULL is a no-op. */
void hub_sns_key_unref(hub_sns_key *k);

/* The certificate as PEM text, NUL-terminated, its length in *len (may be NULL). Borrowed: lives
 * as long as k. */
const char *hub_sns_key_cert_pem(const hub_sns_key *k, size_t *len);
/* "SigningCert-<first 16 hex digits of the certificate's SHA-256>.pem", borrowed from k. */
const char *hub_sns_key_cert_name(const hub_sns_key *k);

/* Builds the SigningCertURL of k for a hub reached at base_url: its scheme and authority
 * ("https://hub.example:8443" of "https://hub.example:8443/bus") + HUB_SNS_CERT_PATH +
 * hub_sns_key_cert_name(k). Returns 0 with a new string in *out (hub_free), HUB_EINVAL (base_url
 * is not an http:// or https:// URL), or HUB_ENOMEM. */
int hub_sns_key_cert_url(const hub_sns_key *k, const char *base_url, char **out);

/* Signs len bytes of data as SNS SignatureVersion `version` does (1: SHA1withRSA, 2:
 * SHA256withRSA). Returns 0 with the base64 signature as a new NUL-terminated string in *sig_b64
 * (hub_free), HUB_EINVAL (another version), HUB_EIO (the crypto library failed) or HUB_ENOMEM. */
int hub_sns_key_sign(const hub_sns_key *k, int version, const void *data, size_t len,
                     char **sig_b64);

/* Checks a base64 signature of data under SignatureVersion `version` with the public key of the
 * PEM certificate cert_pem (cert_len bytes), as a receiver does with the certificate it fetched
 * from SigningCertURL. Returns 0 when it holds, HUB_EINVAL when it does not (or the certificate or
 * the base64 is malformed, or the version is neither 1 nor 2), HUB_ENOMEM. */
int hub_sns_cert_verify(const char *cert_pem, size_t cert_len, int version, const void *data,
                        size_t len, const char *sig_b64);

/* SignatureVersion as a number: 2 for "2", 1 for "1" and for NULL or "" (SNS's default); 0 for
 * anything else (SNS refuses other values). */
int hub_sns_signature_version(const char *s);

#endif
