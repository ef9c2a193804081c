/* sns_envelope.c - SNS's notification envelope, its RSA signature (sns_key.h), headers and
 * confirmation tokens.
 *
 * The layout copies what SNS sends (Jackson's pretty printer with " : " separators, two-space
 * indent, MessageAttributes written compactly one per line); strings are escaped as Jackson escapes
 * them (quote, backslash, control characters; '/' and non-ASCII left alone; \uXXXX in upper-case
 * hex). */
#include "sns_envelope.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hub_alloc.h"
#include "hub_err.h"
#include "http_delivery.h"

static const char content_type_default[] = "text/plain; charset=UTF-8";
static const char user_agent[] = "Amazon Simple Notification Service Agent";

/* ---- a growable buffer; the first failure sticks ---- */

struct buf {
    char *p;
    size_t len, cap;
    int err;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->err) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;

        while (cap < b->len + n + 1) {
            if (cap > SIZE_MAX / 2) {
                b->err = HUB_ENOMEM;
                return;
            }
            cap *= 2;
        }
        p = hub_realloc(b->p, cap);
        if (!p) {
            b->err = HUB_ENOMEM;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + k >= n) return 0; /* truncated sequence */
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return 0;
        if (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) return 0;
        i += k + 1;
    }
    return 1;
}

/* A JSON string literal, escaped as Jackson does. */
static void put_json_string(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s), start = 0, i;

    if (!utf8_valid((const unsigned char *)s, n)) {
        if (!b->err) b->err = HUB_EINVAL;
        return;
    }
    put(b, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t elen = 2;

        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(b, s + start, i - start);
        start = i + 1;
        esc[0] = '\\';
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        put(b, esc, elen);
    }
    put(b, s + start, n - start);
    put(b, "\"", 1);
}

/* ---- crypto helpers ---- */

int hub_sns_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                        uint8_t out[32])
{
    static const unsigned char empty[1];
    unsigned int olen = 0;

    if (key_len > INT32_MAX) return HUB_EINVAL;
    if (!HMAC(EVP_sha256(), key_len ? key : empty, (int)key_len, len ? data : empty, len, out,
              &olen) ||
        olen != 32)
        return HUB_EIO;
    return 0;
}

static void hex_encode(const uint8_t *p, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Constant-time for equal lengths; lengths are public. */
static int same(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

/* ---- fields ---- */

static const char *type_name(enum hub_sns_type t)
{
    switch (t) {
    case HUB_SNS_NOTIFICATION:
        return "Notification";
    case HUB_SNS_SUBSCRIPTION_CONFIRMATION:
        return "SubscriptionConfirmation";
    case HUB_SNS_UNSUBSCRIBE_CONFIRMATION:
        return "UnsubscribeConfirmation";
    }
    return NULL;
}

int hub_sns_timestamp(int64_t ms, char out[25])
{
    time_t secs;
    struct tm tm;
    char tmp[96];

    if (ms < 0 || ms / 1000 > (int64_t)253402300799) return HUB_EINVAL; /* 9999-12-31T23:59:59Z */
    secs = (time_t)(ms / 1000);
    if (!gmtime_r(&secs, &tm)) return HUB_EINVAL;
    /* The range check above keeps every field to its width; the larger buffer only quiets the
     * compiler's worst-case arithmetic. */
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    memcpy(out, tmp, 25);
    out[24] = '\0';
    return 0;
}

/* The Message value: m->message, or SNS's standard text for a confirmation (new string in *owned).
 */
static int message_text(const struct hub_sns_message *m, const char **text, char **owned)
{
    const char *fmt;
    const char *arg;
    size_t n;

    *owned = NULL;
    *text = m->message;
    if (m->message) return 0;
    if (m->type == HUB_SNS_SUBSCRIPTION_CONFIRMATION) {
        fmt = "You have chosen to subscribe to the topic %s.\n"
              "To confirm the subscription, visit the SubscribeURL included in this message.";
        arg = m->topic_arn;
    } else if (m->type == HUB_SNS_UNSUBSCRIBE_CONFIRMATION && m->subscription_arn) {
        fmt = "You have chosen to deactivate subscription %s.\n"
              "To cancel this operation and restore the subscription, visit the SubscribeURL "
              "included in "
              "this message.";
        arg = m->subscription_arn;
    } else {
        return HUB_EINVAL;
    }
    n = strlen(fmt) + strlen(arg) + 1;
    *owned = hub_malloc(n);
    if (!*owned) return HUB_ENOMEM;
    snprintf(*owned, n, fmt, arg);
    *text = *owned;
    return 0;
}

static int check_required(const struct hub_sns_message *m)
{
    if (!m || !type_name(m->type) || !m->message_id || !m->topic_arn) return HUB_EINVAL;
    if (m->type != HUB_SNS_NOTIFICATION && (!m->token || !m->subscribe_url)) return HUB_EINVAL;
    return 0;
}

static void put_line(struct buf *b, const char *key, const char *value)
{
    puts_(b, "  \"");
    puts_(b, key);
    puts_(b, "\" : ");
    put_json_string(b, value);
}

/* The string-to-sign: "Key\nvalue\n" for each signed field, in SNS's order. */
static void put_sign_pair(struct buf *b, const char *key, const char *value)
{
    puts_(b, key);
    put(b, "\n", 1);
    puts_(b, value);
    put(b, "\n", 1);
}

static int string_to_sign(const struct hub_sns_message *m, const char *message,
                          const char *timestamp, struct buf *b)
{
    put_sign_pair(b, "Message", message);
    put_sign_pair(b, "MessageId", m->message_id);
    if (m->type == HUB_SNS_NOTIFICATION) {
        if (m->subject) put_sign_pair(b, "Subject", m->subject);
    } else {
        put_sign_pair(b, "SubscribeURL", m->subscribe_url);
    }
    put_sign_pair(b, "Timestamp", timestamp);
    if (m->type != HUB_SNS_NOTIFICATION) put_sign_pair(b, "Token", m->token);
    put_sign_pair(b, "TopicArn", m->topic_arn);
    put_sign_pair(b, "Type", type_name(m->type));
    return b->err;
}

int hub_sns_string_to_sign(const struct hub_sns_message *m, char **out, size_t *out_len)
{
    struct buf b = {0};
    const char *message;
    char *owned, ts[25];
    int rc;

    *out = NULL;
    if ((rc = check_required(m)) || (rc = hub_sns_timestamp(m->timestamp_ms, ts))) return rc;
    if ((rc = message_text(m, &message, &owned))) return rc;
    rc = string_to_sign(m, message, ts, &b);
    hub_free(owned);
    if (rc) {
        hub_free(b.p);
        return rc;
    }
    *out = b.p;
    if (out_len) *out_len = b.len;
    return 0;
}

/* Signs m's string-to-sign as SignatureVersion s->version does, into a new string in *sig. */
static int sign_message(const struct hub_sns_message *m, const char *message, const char *ts,
                        const struct hub_sns_signer *s, char **sig)
{
    struct buf b = {0};
    int version = s && s->version ? s->version : 1;
    int rc;

    *sig = NULL;
    if (!s || !s->key) return HUB_EINVAL;
    rc = string_to_sign(m, message, ts, &b);
    if (!rc) rc = hub_sns_key_sign(s->key, version, b.p, b.len, sig);
    hub_free(b.p);
    return rc;
}

static int put_attributes(struct buf *b, const json_t *attrs)
{
    const char *name;
    json_t *a;
    int first = 1;

    if (!attrs || (json_is_object(attrs) && json_object_size(attrs) == 0)) return 0;
    if (!json_is_object(attrs)) return HUB_EINVAL;
    puts_(b, ",\n  \"MessageAttributes\" : {\n");
    json_object_foreach((json_t *)attrs, name, a)
    {
        const json_t *type, *value;

        if (!json_is_object(a)) return HUB_EINVAL;
        type = json_object_get(a, "DataType");
        if (!type) type = json_object_get(a, "Type");
        value = json_object_get(a, "StringValue");
        if (!value) value = json_object_get(a, "BinaryValue");
        if (!value) value = json_object_get(a, "Value");
        if (!json_is_string(type) || !json_is_string(value)) return HUB_EINVAL;
        if (!first) puts_(b, ",\n");
        first = 0;
        puts_(b, "    ");
        put_json_string(b, name);
        puts_(b, " : {\"Type\":");
        put_json_string(b, json_string_value(type));
        puts_(b, ",\"Value\":");
        put_json_string(b, json_string_value(value));
        puts_(b, "}");
    }
    puts_(b, "\n  }");
    return 0;
}

int hub_sns_envelope_build(const struct hub_sns_message *m, const struct hub_sns_signer *s,
                           char **out, size_t *out_len)
{
    struct buf b = {0};
    const char *message;
    char *owned = NULL, *sig = NULL, ts[25], version[2] = "1";
    const char *cert = s && s->signing_cert_url ? s->signing_cert_url : "";
    int fifo, rc;

    *out = NULL;
    if ((rc = check_required(m)) || (rc = hub_sns_timestamp(m->timestamp_ms, ts))) return rc;
    if ((rc = message_text(m, &message, &owned))) return rc;
    fifo = m->type == HUB_SNS_NOTIFICATION && m->sequence_number;

    if (!fifo) {
        rc = sign_message(m, message, ts, s, &sig);
        if (rc) goto fail;
        version[0] = s->version == 2 ? '2' : '1';
    }

    puts_(&b, "{\n");
    put_line(&b, "Type", type_name(m->type));
    puts_(&b, ",\n");
    put_line(&b, "MessageId", m->message_id);
    puts_(&b, ",\n");
    if (m->type == HUB_SNS_NOTIFICATION) {
        if (fifo) {
            put_line(&b, "SequenceNumber", m->sequence_number);
            puts_(&b, ",\n");
        }
        put_line(&b, "TopicArn", m->topic_arn);
        puts_(&b, ",\n");
        if (m->subject) {
            put_line(&b, "Subject", m->subject);
            puts_(&b, ",\n");
        }
        put_line(&b, "Message", message);
        puts_(&b, ",\n");
        put_line(&b, "Timestamp", ts);
        if (!fifo) {
            puts_(&b, ",\n");
            put_line(&b, "SignatureVersion", version);
            puts_(&b, ",\n");
            put_line(&b, "Signature", sig);
            puts_(&b, ",\n");
            put_line(&b, "SigningCertURL", cert);
        }
        if (m->unsubscribe_url) {
            puts_(&b, ",\n");
            put_line(&b, "UnsubscribeURL", m->unsubscribe_url);
        }
        rc = put_attributes(&b, m->attributes);
        if (rc) goto fail;
        puts_(&b, "\n}");
    } else {
        put_line(&b, "Token", m->token);
        puts_(&b, ",\n");
        put_line(&b, "TopicArn", m->topic_arn);
        puts_(&b, ",\n");
        put_line(&b, "Message", message);
        puts_(&b, ",\n");
        put_line(&b, "SubscribeURL", m->subscribe_url);
        puts_(&b, ",\n");
        put_line(&b, "Timestamp", ts);
        puts_(&b, ",\n");
        put_line(&b, "SignatureVersion", version);
        puts_(&b, ",\n");
        put_line(&b, "Signature", sig);
        puts_(&b, ",\n");
        put_line(&b, "SigningCertURL", cert);
        /* SNS closes its confirmations with an indented brace. */
        puts_(&b, "\n  }");
    }
    rc = b.err;
    if (rc) goto fail;
    hub_free(owned);
    hub_free(sig);
    *out = b.p;
    if (out_len) *out_len = b.len;
    return 0;

fail:
    hub_free(owned);
    hub_free(sig);
    hub_free(b.p);
    return rc;
}

static const char *get_str(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

int hub_sns_envelope_verify(const char *body, size_t len, const char *cert_pem, size_t cert_len)
{
    struct hub_sns_message m;
    json_t *root;
    const char *type, *sig, *ts;
    struct buf b = {0};
    size_t failures = hub_alloc_failures();
    int version, rc;

    root = json_loadb(body, len, 0, NULL);
    if (hub_alloc_failures() != failures) {
        json_decref(root);
        return HUB_ENOMEM;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return HUB_EPARSE;
    }
    memset(&m, 0, sizeof m);
    type = get_str(root, "Type");
    sig = get_str(root, "Signature");
    version = hub_sns_signature_version(get_str(root, "SignatureVersion"));
    ts = get_str(root, "Timestamp");
    m.message_id = get_str(root, "MessageId");
    m.topic_arn = get_str(root, "TopicArn");
    m.message = get_str(root, "Message");
    m.subject = get_str(root, "Subject");
    m.token = get_str(root, "Token");
    m.subscribe_url = get_str(root, "SubscribeURL");
    rc = HUB_EPARSE;
    if (!type || !ts || !m.message_id || !m.topic_arn || !m.message) goto out;
    if (!strcmp(type, "Notification"))
        m.type = HUB_SNS_NOTIFICATION;
    else if (!strcmp(type, "SubscriptionConfirmation"))
        m.type = HUB_SNS_SUBSCRIPTION_CONFIRMATION;
    else if (!strcmp(type, "UnsubscribeConfirmation"))
        m.type = HUB_SNS_UNSUBSCRIBE_CONFIRMATION;
    else
        goto out;
    if (m.type != HUB_SNS_NOTIFICATION && (!m.token || !m.subscribe_url)) goto out;
    rc = HUB_EINVAL;
    /* A validator insists on the version being present: "1" or "2". */
    if (!sig || !get_str(root, "SignatureVersion") || !version) goto out;
    /* Rebuild from the received Timestamp text rather than re-formatting it. */
    rc = string_to_sign(&m, m.message, ts, &b);
    if (!rc) rc = hub_sns_cert_verify(cert_pem, cert_len, version, b.p, b.len, sig);
out:
    hub_free(b.p);
    json_decref(root);
    return rc;
}

int hub_sns_body_signature(const uint8_t *secret, size_t secret_len, const char *body, size_t len,
                           char out[HUB_SNS_SIGNATURE_HEADER_SIZE])
{
    uint8_t mac[32];
    int rc = hub_sns_hmac_sha256(secret, secret_len, body, len, mac);

    if (rc) return rc;
    memcpy(out, "sha256=", 7);
    hex_encode(mac, sizeof mac, out + 7);
    return 0;
}

int hub_sns_body_signature_verify(const uint8_t *secret, size_t secret_len, const char *body,
                                  size_t len, const char *header_value)
{
    char want[HUB_SNS_SIGNATURE_HEADER_SIZE];

    if (!header_value || hub_sns_body_signature(secret, secret_len, body, len, want))
        return HUB_EINVAL;
    return same(want, header_value) ? 0 : HUB_EINVAL;
}

int hub_sns_headers_fill(struct hub_sns_headers *h, const struct hub_sns_message *m,
                         const char *subscription_arn, int raw, const char *content_type,
                         const struct hub_sns_signer *s, const char *body, size_t len)
{
    int rc;

    memset(h, 0, sizeof *h);
    if (!m || !type_name(m->type)) return HUB_EINVAL;
    rc = hub_sns_body_signature(s ? s->secret : NULL, s ? s->secret_len : 0, body, len,
                                h->signature);
    if (rc) return rc;
#define ADD(name, value)                                                                           \
    do {                                                                                           \
        h->names[h->n] = (name);                                                                   \
        h->values[h->n] = (value);                                                                 \
        h->n++;                                                                                    \
    } while (0)
    ADD("x-amz-sns-message-type", type_name(m->type));
    if (m->message_id) ADD("x-amz-sns-message-id", m->message_id);
    if (m->topic_arn) ADD("x-amz-sns-topic-arn", m->topic_arn);
    if (subscription_arn && m->type != HUB_SNS_SUBSCRIPTION_CONFIRMATION)
        ADD("x-amz-sns-subscription-arn", subscription_arn);
    if (raw && m->type == HUB_SNS_NOTIFICATION) ADD("x-amz-sns-rawdelivery", "true");
    ADD("Content-Type", content_type ? content_type : content_type_default);
    ADD("User-Agent", user_agent);
    ADD(HUB_SNS_SIGNATURE_HEADER, h->signature);
#undef ADD
    return 0;
}

size_t hub_sns_headers_export(const struct hub_sns_headers *h, struct hub_http_header *out)
{
    for (size_t i = 0; i < h->n; i++) {
        out[i].name = h->names[i];
        out[i].value = h->values[i];
    }
    return h->n;
}

int hub_sns_token_make(const uint8_t *secret, size_t secret_len, const char *subscription_arn,
                       char out[HUB_SNS_TOKEN_SIZE])
{
    struct buf b = {0};
    uint8_t mac[32];
    int rc;

    if (!subscription_arn) return HUB_EINVAL;
    puts_(&b, "confirm\n");
    puts_(&b, subscription_arn);
    rc = b.err ? b.err : hub_sns_hmac_sha256(secret, secret_len, b.p, b.len, mac);
    hub_free(b.p);
    if (rc) return rc;
    hex_encode(mac, sizeof mac, out);
    return 0;
}

int hub_sns_token_verify(const uint8_t *secret, size_t secret_len, const char *subscription_arn,
                         const char *token)
{
    char want[HUB_SNS_TOKEN_SIZE];

    if (!token || hub_sns_token_make(secret, secret_len, subscription_arn, want)) return HUB_EINVAL;
    return same(want, token) ? 0 : HUB_EINVAL;
}

/* Percent-encodes what a query value cannot hold; ':' stays, as in SNS's URLs. */
static void put_query_value(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
            put(b, s, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};

            put(b, e, 3);
        }
    }
}

int hub_sns_subscribe_url(const char *base_url, const char *topic_arn, const char *token,
                          char **out)
{
    struct buf b = {0};

    *out = NULL;
    if (!base_url || !topic_arn || !token) return HUB_EINVAL;
    puts_(&b, base_url);
    puts_(&b, "/?Action=ConfirmSubscription&TopicArn=");
    put_query_value(&b, topic_arn);
    puts_(&b, "&Token=");
    put_query_value(&b, token);
    if (b.err) {
        hub_free(b.p);
        return b.err;
    }
    *out = b.p;
    return 0;
}

int hub_sns_unsubscribe_url(const char *base_url, const char *subscription_arn, char **out)
{
    struct buf b = {0};

    *out = NULL;
    if (!base_url || !subscription_arn) return HUB_EINVAL;
    puts_(&b, base_url);
    puts_(&b, "/?Action=Unsubscribe&SubscriptionArn=");
    put_query_value(&b, subscription_arn);
    if (b.err) {
        hub_free(b.p);
        return b.err;
    }
    *out = b.p;
    return 0;
}
