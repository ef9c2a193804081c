/* sns_envelope.h - the JSON envelope Amazon SNS wraps around a notification (for HTTP/S endpoints
 * and for non-raw SQS subscriptions), its signature, its HTTP headers, and subscription
 * confirmation tokens.
 *
 * The envelope is byte-for-byte SNS's layout: pretty-printed, keys in SNS's order, `"Key" :
 * "value"`. It is signed as SNS signs it: Signature is base64 of an RSA signature (SignatureVersion
 * "1": SHA1withRSA, SNS's default; "2": SHA256withRSA) over SNS's canonical "Key\nvalue\n"
 * string-to-sign, made with the key of sns_key.h whose certificate SigningCertURL names, so SNS
 * message validators accept it. Besides, the X-Hubbub-Signature header carries an HMAC-SHA256 of
 * the exact POST body under a shared secret. docs/BUS-HTTP.md documents both for receivers.
 *
 * Every function here is synchronous; nothing does I/O. */
#ifndef HUB_SNS_ENVELOPE_H
#define HUB_SNS_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sns_key.h"

struct hub_http_header; /* http_delivery.h */

enum hub_sns_type {
    HUB_SNS_NOTIFICATION = 0,
    HUB_SNS_SUBSCRIPTION_CONFIRMATION,
    HUB_SNS_UNSUBSCRIBE_CONFIRMATION,
};

/* One message to wrap. All strings are borrowed for the duration of the call. */
struct hub_sns_message {
    enum hub_sns_type type;
    const char *message_id; /* required (a UUID) */
    const char *topic_arn;  /* required */
    const char *subject;    /* Notification only; NULL = no Subject key */
    const char *message;    /* Notification: required. Confirmations: NULL = SNS's standard text */
    int64_t timestamp_ms;   /* milliseconds since the Unix epoch, UTC */
    const char *sequence_number;  /* FIFO topics only; NULL = no SequenceNumber key */
    const char *unsubscribe_url;  /* Notification: UnsubscribeURL; NULL = omitted */
    const char *token;            /* confirmations: Token (hub_sns_token_make) */
    const char *subscribe_url;    /* confirmations: SubscribeURL (hub_sns_subscribe_url) */
    const char *subscription_arn; /* UnsubscribeConfirmation: names it in SNS's standard text */
    /* Notification: message attributes in the SNS/SQS publish shape (borrowed, NULL = none):
     * {"Name": {"DataType": "String", "StringValue": "v"}} or {"DataType": "Binary", "BinaryValue":
     * "<base64>"}; written as SNS writes them: {"Name":{"Type":"String","Value":"v"}}. */
    const json_t *attributes;
};

/* The signing side of the hub's configuration, borrowed for the call it is given to. */
struct hub_sns_signer {
    /* X-Hubbub-Signature's HMAC key; may be empty (signatures are still produced, with an empty
     * key, which is what "no secret configured" means: present but not secret). */
    const uint8_t *secret;
    size_t secret_len;
    const hub_sns_key *key;       /* signs Signature; required for envelopes that carry one */
    int version;                  /* SignatureVersion: 1 (SHA1withRSA; 0 means 1) or 2 (SHA256) */
    const char *signing_cert_url; /* SigningCertURL value; NULL = "" */
};

#define HUB_SNS_SIGNATURE_HEADER "X-Hubbub-Signature"
/* "sha256=" + 64 hex digits + NUL */
#define HUB_SNS_SIGNATURE_HEADER_SIZE 72
/* 64 hex digits + NUL */
#define HUB_SNS_TOKEN_SIZE 65

/* HMAC-SHA256 of data under key into out[32]. Returns 0 or HUB_EIO (the crypto library failed). */
int hub_sns_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                        uint8_t out[32]);

/* Builds SNS's canonical string-to-sign for m (Notification: Message, MessageId, Subject if any,
 * Timestamp, TopicArn, Type; confirmations: Message, MessageId, SubscribeURL, Timestamp, Token,
 * TopicArn, Type - each "Key\nvalue\n"). Returns 0 with a new NUL-terminated string in *out
 * (hub_free) and its length in *out_len, HUB_EINVAL when a required field is missing, or
 * HUB_ENOMEM. */
int hub_sns_string_to_sign(const struct hub_sns_message *m, char **out, size_t *out_len);

/* Builds the envelope JSON for m, signed with s (s->key under s->version). As SNS does, a FIFO
 * notification (sequence_number set) carries no SignatureVersion, Signature or SigningCertURL.
 * Returns 0 with a new NUL-terminated body in *out (hub_free) and its length in *out_len,
 * HUB_EINVAL (missing required field or signing key, a SignatureVersion other than 1 or 2,
 * malformed attributes, a string that is not UTF-8), HUB_EIO (the crypto library failed) or
 * HUB_ENOMEM. */
int hub_sns_envelope_build(const struct hub_sns_message *m, const struct hub_sns_signer *s,
                           char **out, size_t *out_len);

/* Checks the Signature field of an envelope body as an SNS message validator does, with the PEM
 * certificate (cert_len bytes) the receiver fetched from its SigningCertURL: parses the body,
 * rebuilds the string-to-sign from its fields and verifies the RSA signature with the digest its
 * SignatureVersion names. Returns 0 when valid, HUB_EPARSE (not an envelope), HUB_EINVAL (bad or
 * missing signature, a SignatureVersion other than "1" or "2", a malformed certificate), or
 * HUB_ENOMEM. The certificate's origin is the caller's to check (SigningCertURL's host). */
int hub_sns_envelope_verify(const char *body, size_t len, const char *cert_pem, size_t cert_len);

/* Writes "sha256=<64 lowercase hex>" (the X-Hubbub-Signature value) for the exact body bytes into
 * out. Returns 0 or HUB_EIO. */
int hub_sns_body_signature(const uint8_t *secret, size_t secret_len, const char *body, size_t len,
                           char out[HUB_SNS_SIGNATURE_HEADER_SIZE]);

/* Compares a received X-Hubbub-Signature value with the body's, in constant time. 0 = valid,
 * HUB_EINVAL. */
int hub_sns_body_signature_verify(const uint8_t *secret, size_t secret_len, const char *body,
                                  size_t len, const char *header_value);

/* Storage for the headers of one SNS HTTP POST (strings are copied into it). */
#define HUB_SNS_MAX_HEADERS 8
struct hub_sns_headers {
    size_t n;
    char signature[HUB_SNS_SIGNATURE_HEADER_SIZE];
    const char *names[HUB_SNS_MAX_HEADERS];
    const char *values[HUB_SNS_MAX_HEADERS];
};

/* Fills h with the headers SNS sends with a POST of body: x-amz-sns-message-type,
 * x-amz-sns-message-id, x-amz-sns-topic-arn, x-amz-sns-subscription-arn (Notification and
 * UnsubscribeConfirmation only, when subscription_arn is not NULL), x-amz-sns-rawdelivery: true
 * (raw != 0), Content-Type "text/plain; charset=UTF-8" (content_type overrides it when not NULL, as
 * DeliveryPolicy's requestPolicy.headerContentType does), User-Agent "Amazon Simple Notification
 * Service Agent" (receivers key on it), and X-Hubbub-Signature over body. The values in h point at
 * m's strings, subscription_arn and content_type: keep those alive while h is used. Returns 0 or
 * HUB_EIO. */
int hub_sns_headers_fill(struct hub_sns_headers *h, const struct hub_sns_message *m,
                         const char *subscription_arn, int raw, const char *content_type,
                         const struct hub_sns_signer *s, const char *body, size_t len);

/* Copies h into an array of struct hub_http_header (at least h->n entries) for
 * hub_http_delivery_post. Returns the number of entries written. */
size_t hub_sns_headers_export(const struct hub_sns_headers *h, struct hub_http_header *out);

/* Confirmation token for subscription_arn: lowercase hex of HMAC-SHA256(secret, "confirm\n" + arn),
 * into out. Returns 0 or HUB_EIO. */
int hub_sns_token_make(const uint8_t *secret, size_t secret_len, const char *subscription_arn,
                       char out[HUB_SNS_TOKEN_SIZE]);
/* Returns 0 when token is the token of subscription_arn (constant-time compare), HUB_EINVAL
 * otherwise. */
int hub_sns_token_verify(const uint8_t *secret, size_t secret_len, const char *subscription_arn,
                         const char *token);

/* Builds "<base_url>/?Action=ConfirmSubscription&TopicArn=<topic_arn>&Token=<token>" (SNS's
 * SubscribeURL; base_url without a trailing '/', e.g. "http://127.0.0.1:4566"). Values are
 * percent-encoded where a URL requires it (':' is left as SNS leaves it). Returns 0 with a new
 * string in *out (hub_free), or HUB_ENOMEM. */
int hub_sns_subscribe_url(const char *base_url, const char *topic_arn, const char *token,
                          char **out);
/* Builds "<base_url>/?Action=Unsubscribe&SubscriptionArn=<subscription_arn>" (SNS's
 * UnsubscribeURL). Returns 0 with a new string in *out (hub_free), or HUB_ENOMEM. */
int hub_sns_unsubscribe_url(const char *base_url, const char *subscription_arn, char **out);

/* Formats ms since the epoch as SNS's Timestamp, "2012-04-26T20:45:04.751Z", into out (25 bytes).
 * Returns 0 or HUB_EINVAL (out of the representable range). */
int hub_sns_timestamp(int64_t ms, char out[25]);

#endif
