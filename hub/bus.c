/* bus.c - what every bus back end shares: request validation, the SQS/SNS attribute names, receipt
 * handle and id helpers, and the topic fan-out. The stores (adapters/) keep state; this file keeps
 * none beyond a cache of compiled filter policies per bus. */
#include "bus.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "b64.h"
#include "filter_policy.h"
#include "hub_alloc.h"
#include "map.h"
#include "random.h"
#include "sns_envelope.h"

/* ---- errors ---- */

struct err_row {
    int code;
    const char *shape, *query;
    int status;
    const char *text;
};

static const struct err_row err_rows[] = {
#define ERR_ROW(name, code, shape, query, status, text) {code, shape, query, status, text},
    HUB_BUS_ERRNO_MAP(ERR_ROW)
#undef ERR_ROW
};

static const struct err_row *err_find(int err)
{
    for (size_t i = 0; i < sizeof err_rows / sizeof err_rows[0]; i++)
        if (err_rows[i].code == err) return &err_rows[i];
    return NULL;
}

const char *hub_bus_error_name(int err)
{
    const struct err_row *r = err_find(err);
    if (r) return r->shape;
    if (err == HUB_EUNSUPPORTED) return "UnsupportedOperation";
    if (err == HUB_EINVAL) return "InvalidParameterValue";
    return "InternalFailure";
}

const char *hub_bus_error_query_code(int err)
{
    const struct err_row *r = err_find(err);
    if (r) return r->query;
    if (err == HUB_EUNSUPPORTED) return "AWS.SimpleQueueService.UnsupportedOperation";
    if (err == HUB_EINVAL) return "InvalidParameterValue";
    return "InternalFailure";
}

int hub_bus_error_status(int err)
{
    const struct err_row *r = err_find(err);
    if (r) return r->status;
    if (err == HUB_EUNSUPPORTED || err == HUB_EINVAL) return 400;
    return 500;
}

const char *hub_bus_strerror(int err)
{
    const struct err_row *r = err_find(err);
    return r ? r->text : hub_strerror(err);
}

const char *hub_move_status_name(enum hub_move_status s)
{
    switch (s) {
    case HUB_MOVE_RUNNING:
        return "RUNNING";
    case HUB_MOVE_COMPLETED:
        return "COMPLETED";
    case HUB_MOVE_CANCELLING:
        return "CANCELLING";
    case HUB_MOVE_CANCELLED:
        return "CANCELLED";
    case HUB_MOVE_FAILED:
        return "FAILED";
    }
    return "UNKNOWN";
}

/* ---- configurations ---- */

void hub_queue_config_init(struct hub_queue_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->visibility_ms = 30000;
    cfg->retention_ms = 345600000ULL;
    cfg->max_message_size = 262144;
}

void hub_queue_config_clear(struct hub_queue_config *cfg)
{
    json_decref(cfg->extra);
    cfg->extra = NULL;
}

void hub_topic_config_init(struct hub_topic_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
}

void hub_topic_config_clear(struct hub_topic_config *cfg)
{
    json_decref(cfg->extra);
    cfg->extra = NULL;
}

void hub_sub_config_init(struct hub_sub_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
}

void hub_sub_config_clear(struct hub_sub_config *cfg)
{
    json_decref(cfg->extra);
    cfg->extra = NULL;
}

/* ---- helpers ---- */


void hub_bus_uuid(char out[HUB_BUS_UUID_LEN + 1])
{
    uint8_t b[16];
    hub_random_bytes(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, HUB_BUS_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

void hub_bus_sha256_hex(const void *data, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        memset(md, 0, 32);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

uint64_t hub_bus_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t b64_exact_len(const char *s, size_t n)
{
    while (n > 0 && s[n - 1] == '=')
        n--;
    return n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
}

size_t hub_bus_message_size(size_t body_len, const json_t *attributes)
{
    size_t total = body_len;
    const char *k;
    json_t *v;
    if (!json_is_object(attributes)) return total;
    json_object_foreach((json_t *)attributes, k, v)
    {
        json_t *dt = json_object_get(v, "DataType");
        json_t *sv = json_object_get(v, "StringValue");
        json_t *bv = json_object_get(v, "BinaryValue");
        total += strlen(k);
        if (json_is_string(dt)) total += json_string_length(dt);
        if (json_is_string(sv))
            total += json_string_length(sv);
        else if (json_is_string(bv))
            total += b64_exact_len(json_string_value(bv), json_string_length(bv));
    }
    return total;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static int is_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int hub_bus_name_valid(const char *name, int topic)
{
    if (!name) return 0;
    size_t len = strlen(name), base = len;
    if (len == 0 || len > (topic ? HUB_BUS_TOPIC_NAME_MAX : HUB_BUS_NAME_MAX)) return 0;
    if (ends_with(name, ".fifo")) base = len - 5;
    if (base == 0) return 0;
    for (size_t i = 0; i < base; i++)
        if (!is_alnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_') return 0;
    return 1;
}

int hub_bus_phone_valid(const char *s)
{
    if (!s) return 0;
    if (*s == '+') s++;
    size_t n = strlen(s);
    if (n < 2 || n > 15 || *s == '0') return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

int hub_bus_endpoint_platform(const char *arn, char *buf, size_t len)
{
    /* arn:aws:sns:<region>:<account>:endpoint/<platform>/<app>/<id> */
    const char *p = arn;
    if (!p || strncmp(p, "arn:aws:sns:", 12) != 0) return -1;
    p += 12;
    for (int i = 0; i < 2; i++) {
        const char *colon = strchr(p, ':');
        if (!colon || colon == p) return -1;
        p = colon + 1;
    }
    if (strncmp(p, "endpoint/", 9) != 0 || strchr(p, ':')) return -1;
    const char *platform = p + 9, *app = strchr(platform, '/');
    const char *id = app ? strchr(app + 1, '/') : NULL;
    if (!app || app == platform || !id || id == app + 1 || !id[1] || strchr(id + 1, '/') ||
        (size_t)(app - platform) >= len)
        return -1;
    memcpy(buf, platform, (size_t)(app - platform));
    buf[app - platform] = '\0';
    return 0;
}

/* ---- receipt handles: base64url (no padding) of 32 bytes ---- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64url_val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int uuid_parse(const char *s, uint8_t out[16])
{
    size_t j = 0;
    if (!s || strlen(s) != HUB_BUS_UUID_LEN) return -1;
    for (size_t i = 0; i < HUB_BUS_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return -1;
            continue;
        }
        int h = hexval((unsigned char)s[i]), l = hexval((unsigned char)s[i + 1]);
        if (h < 0 || l < 0) return -1;
        out[j++] = (uint8_t)(h << 4 | l);
        i++;
    }
    return 0;
}

void hub_receipt_handle_encode(uint64_t queue_id, const char *message_id, uint64_t receive_no,
                               char out[HUB_RECEIPT_HANDLE_LEN + 1])
{
    uint8_t raw[33] = {0};
    for (int i = 0; i < 8; i++) {
        raw[i] = (uint8_t)(queue_id >> (56 - 8 * i));
        raw[24 + i] = (uint8_t)(receive_no >> (56 - 8 * i));
    }
    if (uuid_parse(message_id, raw + 8) != 0) memset(raw + 8, 0, 16);
    size_t o = 0;
    for (size_t i = 0; i < 32; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        if (i + 1 < 32) out[o++] = b64url[v >> 6 & 63];
        if (i + 2 < 32) out[o++] = b64url[v & 63];
    }
    out[o] = '\0';
}

int hub_receipt_handle_decode(const char *handle, uint64_t *queue_id,
                              char message_id[HUB_BUS_UUID_LEN + 1], uint64_t *receive_no)
{
    uint8_t raw[33];
    size_t o = 0;
    if (!handle || strlen(handle) != HUB_RECEIPT_HANDLE_LEN)
        return HUB_BUS_ERECEIPT_HANDLE_IS_INVALID;
    for (size_t i = 0; i < HUB_RECEIPT_HANDLE_LEN; i += 4) {
        uint32_t v = 0;
        int k;
        for (k = 0; k < 4 && i + (size_t)k < HUB_RECEIPT_HANDLE_LEN; k++) {
            int d = b64url_val((unsigned char)handle[i + (size_t)k]);
            if (d < 0) return HUB_BUS_ERECEIPT_HANDLE_IS_INVALID;
            v |= (uint32_t)d << (18 - 6 * k);
        }
        raw[o++] = (uint8_t)(v >> 16);
        if (k > 2) raw[o++] = (uint8_t)(v >> 8);
        if (k > 3) raw[o++] = (uint8_t)v;
    }
    if (o != 32) return HUB_BUS_ERECEIPT_HANDLE_IS_INVALID;
    uint64_t q = 0, r = 0;
    for (int i = 0; i < 8; i++) {
        q = q << 8 | raw[i];
        r = r << 8 | raw[24 + i];
    }
    const uint8_t *u = raw + 8;
    snprintf(message_id, HUB_BUS_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
    *queue_id = q;
    *receive_no = r;
    return 0;
}

/* ---- validation ---- */

/* SQS's allowed characters: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF, in
 * well-formed UTF-8. */
static int text_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        uint32_t c = *p;
        size_t len;
        if (c < 0x80)
            len = 1;
        else if ((c & 0xe0) == 0xc0)
            len = 2, c &= 0x1f;
        else if ((c & 0xf0) == 0xe0)
            len = 3, c &= 0x0f;
        else if ((c & 0xf8) == 0xf0)
            len = 4, c &= 0x07;
        else
            return 0;
        if ((size_t)(end - p) < len) return 0;
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80) return 0;
            c = c << 6 | (p[i] & 0x3f);
        }
        if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000))
            return 0; /* overlong */
        if (!(c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
              (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff)))
            return 0;
        p += len;
    }
    return 1;
}

static int entry_id_valid(const char *id)
{
    size_t len = id ? strlen(id) : 0;
    if (len == 0 || len > 80) return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_alnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_') return 0;
    return 1;
}

/* Batch-level checks on entries whose first member is the entry id. */
static int batch_check(const void *entries, size_t n, size_t stride)
{
    if (n == 0) return HUB_BUS_EEMPTY_BATCH_REQUEST;
    if (n > HUB_BUS_BATCH_MAX) return HUB_BUS_ETOO_MANY_ENTRIES_IN_BATCH_REQUEST;
    if (n == 1 && *(const char *const *)entries == NULL) return 0;
    for (size_t i = 0; i < n; i++) {
        const char *a = *(const char *const *)((const char *)entries + i * stride);
        if (!entry_id_valid(a)) return HUB_BUS_EINVALID_BATCH_ENTRY_ID;
        for (size_t j = 0; j < i; j++)
            if (strcmp(a, *(const char *const *)((const char *)entries + j * stride)) == 0)
                return HUB_BUS_EBATCH_ENTRY_IDS_NOT_DISTINCT;
    }
    return 0;
}

static int attr_name_valid(const char *k)
{
    size_t len = strlen(k);
    if (len == 0 || len > 256 || k[0] == '.' || k[len - 1] == '.') return 0;
    if (strncasecmp(k, "AWS.", 4) == 0 || strncasecmp(k, "Amazon.", 7) == 0) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = k[i];
        if (!is_alnum((unsigned char)c) && c != '_' && c != '-' && c != '.') return 0;
        if (c == '.' && k[i + 1] == '.') return 0;
    }
    return 1;
}

static int number_valid(const char *s)
{
    const char *p = s;
    int digits = 0;
    if (*p == '+' || *p == '-') p++;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (!digits) return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(*p >= '0' && *p <= '9')) return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

/* Message attributes in the SQS shape; bad is the error to return. */
static int attrs_check(const json_t *attrs, int bad)
{
    const char *k;
    json_t *v;
    if (!attrs || json_is_null(attrs)) return 0;
    if (!json_is_object(attrs) || json_object_size(attrs) > HUB_BUS_ATTRIBUTES_MAX) return bad;
    json_object_foreach((json_t *)attrs, k, v)
    {
        json_t *dt = json_object_get(v, "DataType");
        json_t *sv = json_object_get(v, "StringValue");
        json_t *bv = json_object_get(v, "BinaryValue");
        if (!attr_name_valid(k) || !json_is_object(v) || !json_is_string(dt)) return bad;
        const char *t = json_string_value(dt);
        size_t base;
        if (strncmp(t, "String", 6) == 0 || strncmp(t, "Number", 6) == 0)
            base = 6;
        else if (strncmp(t, "Binary", 6) == 0)
            base = 6;
        else
            return bad;
        if (t[base] != '\0' && (t[base] != '.' || t[base + 1] == '\0' || strlen(t) > 256))
            return bad;
        if (t[0] == 'B') {
            if (!json_is_string(bv) || json_string_length(bv) == 0 || sv) return bad;
            size_t len = json_string_length(bv);
            uint8_t *tmp = hub_malloc(b64_decoded_max(len) + 1);
            if (!tmp) return HUB_ENOMEM;
            long r = b64_decode(json_string_value(bv), len, tmp);
            hub_free(tmp);
            if (r <= 0) return bad;
        } else {
            if (!json_is_string(sv) || json_string_length(sv) == 0 || bv) return bad;
            if (!text_valid(json_string_value(sv), json_string_length(sv))) return bad;
            if (t[0] == 'N' && !number_valid(json_string_value(sv))) return bad;
            if (strcmp(t, "String.Array") == 0) {
                json_t *arr = json_loads(json_string_value(sv), 0, NULL);
                int ok = json_is_array(arr);
                json_decref(arr);
                if (!ok) return bad;
            }
        }
    }
    return 0;
}

/* MessageGroupId / MessageDeduplicationId: up to 128 of alphanumerics and punctuation. */
static int fifo_id_valid(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 128) return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) return 0;
    return 1;
}

static int send_entry_check(const struct hub_send_entry *e)
{
    if (!e->body || e->body_len == 0) return HUB_BUS_EMISSING_PARAMETER;
    if (!text_valid(e->body, e->body_len)) return HUB_BUS_EINVALID_MESSAGE_CONTENTS;
    int rc = attrs_check(e->attributes, HUB_BUS_EINVALID_PARAMETER_VALUE);
    if (rc) return rc;
    if (e->system_attributes && !json_is_null(e->system_attributes)) {
        const char *k;
        json_t *v;
        if (!json_is_object(e->system_attributes)) return HUB_BUS_EINVALID_PARAMETER_VALUE;
        json_object_foreach(e->system_attributes, k, v)
        {
            if (strcmp(k, "AWSTraceHeader") != 0) return HUB_BUS_EINVALID_PARAMETER_VALUE;
        }
        rc = attrs_check(e->system_attributes, HUB_BUS_EINVALID_PARAMETER_VALUE);
        if (rc) return rc;
    }
    if (e->delay_ms < -1 || e->delay_ms > HUB_BUS_DELAY_MAX_MS)
        return HUB_BUS_EINVALID_PARAMETER_VALUE;
    if ((e->group_id && !fifo_id_valid(e->group_id)) ||
        (e->dedup_id && !fifo_id_valid(e->dedup_id)))
        return HUB_BUS_EINVALID_PARAMETER_VALUE;
    if (hub_bus_message_size(e->body_len, e->attributes) > HUB_BUS_BATCH_BYTES_MAX)
        return HUB_BUS_EMESSAGE_TOO_LONG;
    return 0;
}

/* ---- the bus ---- */

struct filter_entry {
    char *id; /* subscription id (the map key) */
    char *topic;
    char *policy;
    int scope_body;
    hub_filter *filter;
};

struct hub_bus {
    uv_loop_t *loop;
    const struct hub_queue_store_ops *qops;
    void *qs;
    const struct hub_topic_store_ops *tops;
    void *ts;
    char *region, *account, *public_url;
    char *secret;
    hub_sns_key *key; /* NULL until hub_bus_signing_key makes one */
    char *cert_url;   /* NULL until known: given, or derived with the key */
    hub_bus_room_sink room_fn;
    void *room_ud;
    hub_bus_http_sink http_fn;
    void *http_ud;
    hub_bus_mobile_sink mobile_fn;
    void *mobile_ud;
    struct hub_map filters; /* subscription id -> struct filter_entry */
    size_t refs;            /* the owner's, plus one per request in flight */
    int closed;
};

static void filter_entry_free(struct filter_entry *fe)
{
    if (!fe) return;
    hub_filter_free(fe->filter);
    hub_free(fe->id);
    hub_free(fe->topic);
    hub_free(fe->policy);
    hub_free(fe);
}

static void bus_unref(hub_bus *bus)
{
    if (--bus->refs) return;
    size_t pos = 0;
    void *v;
    while (hub_map_next(&bus->filters, &pos, NULL, NULL, &v))
        filter_entry_free(v);
    hub_map_clear(&bus->filters);
    hub_free(bus->region);
    hub_free(bus->account);
    hub_free(bus->public_url);
    hub_free(bus->secret);
    hub_free(bus->cert_url);
    hub_sns_key_unref(bus->key);
    hub_free(bus);
}

hub_bus *hub_bus_new(uv_loop_t *loop, const struct hub_queue_store_ops *qops, void *qstore,
                     const struct hub_topic_store_ops *tops, void *tstore,
                     const struct hub_bus_options *opts)
{
    if (!loop || !qops || !tops) return NULL;
    hub_bus *bus = hub_calloc(1, sizeof *bus);
    if (!bus) return NULL;
    uint64_t seed[2];
    hub_random_bytes(seed, sizeof seed);
    hub_map_init(&bus->filters, seed[0], seed[1]);
    bus->loop = loop;
    bus->qops = qops;
    bus->qs = qstore;
    bus->tops = tops;
    bus->ts = tstore;
    bus->refs = 1;
    bus->region = hub_strdup(opts && opts->region ? opts->region : "us-east-1");
    bus->account = hub_strdup(opts && opts->account ? opts->account : "000000000000");
    bus->public_url =
        hub_strdup(opts && opts->public_url ? opts->public_url : "http://localhost:3000");
    bus->secret = hub_strdup(opts && opts->signing_secret ? opts->signing_secret : "");
    bus->key = hub_sns_key_ref(opts ? opts->signing_key : NULL);
    int cert_ok = !opts || !opts->signing_cert_url ||
                  (bus->cert_url = hub_strdup(opts->signing_cert_url)) != NULL;
    if (!bus->region || !bus->account || !bus->public_url || !bus->secret || !cert_ok) {
        bus->qops = NULL;
        bus_unref(bus);
        return NULL;
    }
    return bus;
}

void hub_bus_free(hub_bus *bus)
{
    if (!bus) return;
    bus->closed = 1;
    if (bus->qops && bus->qops->destroy) bus->qops->destroy(bus->qs);
    if (bus->tops && bus->tops->destroy) bus->tops->destroy(bus->ts);
    bus->room_fn = NULL;
    bus->http_fn = NULL;
    bus->mobile_fn = NULL;
    bus_unref(bus);
}

uv_loop_t *hub_bus_loop(const hub_bus *bus)
{
    return bus->loop;
}

void hub_bus_set_room_sink(hub_bus *bus, hub_bus_room_sink fn, void *ud)
{
    bus->room_fn = fn;
    bus->room_ud = ud;
}

void hub_bus_set_http_sink(hub_bus *bus, hub_bus_http_sink fn, void *ud)
{
    bus->http_fn = fn;
    bus->http_ud = ud;
}

void hub_bus_set_mobile_sink(hub_bus *bus, hub_bus_mobile_sink fn, void *ud)
{
    bus->mobile_fn = fn;
    bus->mobile_ud = ud;
}

static int fmt(char *buf, size_t len, const char *f, const char *a, const char *b, const char *c,
               const char *d)
{
    int r = snprintf(buf, len, f, a, b, c, d);
    return r < 0 || (size_t)r >= len ? HUB_ETOOBIG : 0;
}

int hub_bus_queue_arn(const hub_bus *bus, const char *name, char *buf, size_t len)
{
    return fmt(buf, len, "arn:aws:sqs:%s:%s:%s%s", bus->region, bus->account, name, "");
}

int hub_bus_topic_arn(const hub_bus *bus, const char *name, char *buf, size_t len)
{
    return fmt(buf, len, "arn:aws:sns:%s:%s:%s%s", bus->region, bus->account, name, "");
}

int hub_bus_subscription_arn(const hub_bus *bus, const char *topic, const char *sub_id, char *buf,
                             size_t len)
{
    return fmt(buf, len, "arn:aws:sns:%s:%s:%s:%s", bus->region, bus->account, topic, sub_id);
}

const char *hub_bus_arn_name(const char *s)
{
    if (!s || !*s) return NULL;
    const char *p = strstr(s, "://") ? strrchr(s, '/') : strrchr(s, ':');
    p = p ? p + 1 : s;
    return *p ? p : NULL;
}

#define CHECK_BUS(bus, ops, hook)                                                                  \
    do {                                                                                           \
        if (!(bus)) return HUB_EINVAL;                                                             \
        if ((bus)->closed) return HUB_ECLOSED;                                                     \
        if (!(bus)->ops->hook) return HUB_EUNSUPPORTED;                                            \
    } while (0)

/* ---- queue operations ---- */

static int queue_name_ok(const char *name)
{
    return hub_bus_name_valid(name, 0);
}

int hub_bus_queue_create(hub_bus *bus, const char *name, const struct hub_queue_config *cfg,
                         json_t *tags, hub_queue_info_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, create);
    if (!cfg || !cb) return HUB_EINVAL;
    if (!queue_name_ok(name) || (cfg->fifo != 0) != ends_with(name, ".fifo"))
        return HUB_BUS_EINVALID_PARAMETER_VALUE;
    if (tags && (!json_is_object(tags) || json_object_size(tags) > 50))
        return HUB_BUS_EINVALID_PARAMETER_VALUE;
    return bus->qops->create(bus->qs, name, cfg, tags, cb, ud);
}

int hub_bus_queue_get(hub_bus *bus, const char *name, hub_queue_info_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, get);
    if (!name || !cb) return HUB_EINVAL;
    return bus->qops->get(bus->qs, name, cb, ud);
}

int hub_bus_queue_set(hub_bus *bus, const char *name, const struct hub_queue_config *cfg,
                      hub_bus_done_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, set);
    if (!name || !cfg || !cb) return HUB_EINVAL;
    if (cfg->set & HUB_QCFG_FIFO) return HUB_BUS_EINVALID_ATTRIBUTE_NAME;
    return bus->qops->set(bus->qs, name, cfg, cb, ud);
}

int hub_bus_queue_delete(hub_bus *bus, const char *name, hub_bus_done_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, remove);
    if (!name || !cb) return HUB_EINVAL;
    return bus->qops->remove(bus->qs, name, cb, ud);
}

int hub_bus_queue_list(hub_bus *bus, const char *prefix, hub_bus_names_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, list);
    if (!cb) return HUB_EINVAL;
    return bus->qops->list(bus->qs, prefix, cb, ud);
}

static int tags_ok(const json_t *tags)
{
    const char *k;
    json_t *v;
    if (!json_is_object(tags) || json_object_size(tags) > 50) return 0;
    json_object_foreach((json_t *)tags, k, v)
    {
        if (!*k || strlen(k) > 128 || !json_is_string(v) || json_string_length(v) > 256) return 0;
    }
    return 1;
}

int hub_bus_queue_tag(hub_bus *bus, const char *name, json_t *tags, hub_bus_done_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, tag);
    if (!name || !cb) return HUB_EINVAL;
    if (!tags_ok(tags)) return HUB_BUS_EINVALID_PARAMETER_VALUE;
    return bus->qops->tag(bus->qs, name, tags, cb, ud);
}

int hub_bus_queue_untag(hub_bus *bus, const char *name, const char *const *keys, size_t n,
                        hub_bus_done_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, untag);
    if (!name || (n && !keys) || !cb) return HUB_EINVAL;
    return bus->qops->untag(bus->qs, name, keys, n, cb, ud);
}

/* A batch request whose entries were checked one by one: the valid ones go to the store, the
 * results are merged back into the order of the request. */
struct batch_ctx {
    hub_bus *bus;
    void (*cb)(void);
    void *ud;
    size_t n, nvalid;
    size_t idx[HUB_BUS_BATCH_MAX];
    char *ids[HUB_BUS_BATCH_MAX];
    union {
        struct hub_send_result send[HUB_BUS_BATCH_MAX];
        struct hub_batch_result batch[HUB_BUS_BATCH_MAX];
    } r;
};

static struct batch_ctx *batch_ctx_new(hub_bus *bus, const void *entries, size_t n, size_t stride)
{
    struct batch_ctx *c = hub_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->bus = bus;
    c->n = n;
    for (size_t i = 0; i < n; i++) {
        const char *id = *(const char *const *)((const char *)entries + i * stride);
        if (id && !(c->ids[i] = hub_strdup(id))) {
            for (size_t j = 0; j < i; j++)
                hub_free(c->ids[j]);
            hub_free(c);
            return NULL;
        }
    }
    return c;
}

static void batch_ctx_free(struct batch_ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        hub_free(c->ids[i]);
    bus_unref(c->bus);
    hub_free(c);
}

static void on_sent(void *ud, int err, const struct hub_send_result *r, size_t n)
{
    struct batch_ctx *c = ud;
    hub_send_cb cb = (hub_send_cb)c->cb;
    if (err) {
        cb(c->ud, err, NULL, 0);
    } else {
        for (size_t j = 0; j < n && j < c->nvalid; j++) {
            struct hub_send_result *d = &c->r.send[c->idx[j]];
            d->err = r[j].err;
            d->message_id = r[j].message_id;
            d->sequence_number = r[j].sequence_number;
            d->duplicate = r[j].duplicate;
        }
        cb(c->ud, 0, c->r.send, c->n);
    }
    batch_ctx_free(c);
}

int hub_bus_send(hub_bus *bus, const char *queue, const struct hub_send_entry *entries, size_t n,
                 hub_send_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, send);
    if (!queue || (n && !entries) || !cb) return HUB_EINVAL;
    int rc = batch_check(entries, n, sizeof *entries);
    if (rc) return rc;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += hub_bus_message_size(entries[i].body_len, entries[i].attributes);
    if (n > 1 && total > HUB_BUS_BATCH_BYTES_MAX) return HUB_BUS_EBATCH_REQUEST_TOO_LONG;
    struct batch_ctx *c = batch_ctx_new(bus, entries, n, sizeof *entries);
    if (!c) return HUB_ENOMEM;
    struct hub_send_entry valid[HUB_BUS_BATCH_MAX];
    c->cb = (void (*)(void))cb;
    c->ud = ud;
    for (size_t i = 0; i < n; i++) {
        c->r.send[i].id = c->ids[i];
        c->r.send[i].err = send_entry_check(&entries[i]);
        if (c->r.send[i].err == HUB_ENOMEM) {
            c->bus = NULL;
            for (size_t j = 0; j < n; j++)
                hub_free(c->ids[j]);
            hub_free(c);
            return HUB_ENOMEM;
        }
        if (!c->r.send[i].err) {
            c->idx[c->nvalid] = i;
            valid[c->nvalid++] = entries[i];
        }
    }
    bus->refs++;
    rc = bus->qops->send(bus->qs, queue, valid, c->nvalid, on_sent, c);
    if (rc) batch_ctx_free(c);
    return rc;
}

int hub_bus_receive(hub_bus *bus, const char *queue, const struct hub_receive_opts *opts,
                    hub_receive_cb cb, void *ud, uint64_t *ticket)
{
    CHECK_BUS(bus, qops, receive);
    if (!queue || !opts || !cb) return HUB_EINVAL;
    if (opts->max_messages > HUB_BUS_BATCH_MAX || opts->wait_ms < -1 ||
        opts->wait_ms > HUB_BUS_WAIT_MAX_MS || opts->visibility_ms < -1 ||
        (opts->visibility_ms > 0 && (uint64_t)opts->visibility_ms > HUB_BUS_VISIBILITY_MAX_MS))
        return HUB_BUS_EINVALID_PARAMETER_VALUE;
    return bus->qops->receive(bus->qs, queue, opts, cb, ud, ticket);
}

int hub_bus_receive_cancel(hub_bus *bus, uint64_t ticket)
{
    CHECK_BUS(bus, qops, receive_cancel);
    return bus->qops->receive_cancel(bus->qs, ticket);
}

static void on_batch(void *ud, int err, const struct hub_batch_result *r, size_t n)
{
    struct batch_ctx *c = ud;
    hub_batch_cb cb = (hub_batch_cb)c->cb;
    if (err) {
        cb(c->ud, err, NULL, 0);
    } else {
        for (size_t j = 0; j < n && j < c->nvalid; j++)
            c->r.batch[c->idx[j]].err = r[j].err;
        cb(c->ud, 0, c->r.batch, c->n);
    }
    batch_ctx_free(c);
}

typedef int (*receipt_op)(void *self, const char *queue, const struct hub_receipt_entry *entries,
                          size_t n, hub_batch_cb cb, void *ud);

static int receipt_batch(hub_bus *bus, receipt_op op, int visibility, const char *queue,
                         const struct hub_receipt_entry *entries, size_t n, hub_batch_cb cb,
                         void *ud)
{
    if (!queue || (n && !entries) || !cb) return HUB_EINVAL;
    int rc = batch_check(entries, n, sizeof *entries);
    if (rc) return rc;
    struct batch_ctx *c = batch_ctx_new(bus, entries, n, sizeof *entries);
    if (!c) return HUB_ENOMEM;
    struct hub_receipt_entry valid[HUB_BUS_BATCH_MAX];
    c->cb = (void (*)(void))cb;
    c->ud = ud;
    for (size_t i = 0; i < n; i++) {
        const struct hub_receipt_entry *e = &entries[i];
        int err = 0;
        if (!e->receipt_handle || !*e->receipt_handle)
            err = HUB_BUS_EMISSING_PARAMETER;
        else if (visibility &&
                 (e->visibility_ms < 0 || (uint64_t)e->visibility_ms > HUB_BUS_VISIBILITY_MAX_MS))
            err = HUB_BUS_EINVALID_PARAMETER_VALUE;
        c->r.batch[i].id = c->ids[i];
        c->r.batch[i].err = err;
        if (!err) {
            c->idx[c->nvalid] = i;
            valid[c->nvalid++] = *e;
        }
    }
    bus->refs++;
    rc = op(bus->qs, queue, valid, c->nvalid, on_batch, c);
    if (rc) batch_ctx_free(c);
    return rc;
}

int hub_bus_delete(hub_bus *bus, const char *queue, const struct hub_receipt_entry *entries,
                   size_t n, hub_batch_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, delete_batch);
    return receipt_batch(bus, bus->qops->delete_batch, 0, queue, entries, n, cb, ud);
}

int hub_bus_change_visibility(hub_bus *bus, const char *queue,
                              const struct hub_receipt_entry *entries, size_t n, hub_batch_cb cb,
                              void *ud)
{
    CHECK_BUS(bus, qops, change_visibility);
    return receipt_batch(bus, bus->qops->change_visibility, 1, queue, entries, n, cb, ud);
}

int hub_bus_purge(hub_bus *bus, const char *queue, hub_bus_done_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, purge);
    if (!queue || !cb) return HUB_EINVAL;
    return bus->qops->purge(bus->qs, queue, cb, ud);
}

int hub_bus_dlq_sources(hub_bus *bus, const char *dlq, hub_bus_names_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, dlq_sources);
    if (!dlq || !cb) return HUB_EINVAL;
    return bus->qops->dlq_sources(bus->qs, dlq, cb, ud);
}

int hub_bus_move_start(hub_bus *bus, const char *source, const char *destination,
                       uint32_t max_per_second, hub_move_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, move_start);
    if (!source || !cb) return HUB_EINVAL;
    if (max_per_second > 500) return HUB_BUS_EINVALID_PARAMETER_VALUE;
    return bus->qops->move_start(bus->qs, source, destination, max_per_second, cb, ud);
}

int hub_bus_move_list(hub_bus *bus, const char *source, hub_move_list_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, move_list);
    if (!source || !cb) return HUB_EINVAL;
    return bus->qops->move_list(bus->qs, source, cb, ud);
}

int hub_bus_move_cancel(hub_bus *bus, const char *handle, hub_move_cb cb, void *ud)
{
    CHECK_BUS(bus, qops, move_cancel);
    if (!handle || !cb) return HUB_EINVAL;
    return bus->qops->move_cancel(bus->qs, handle, cb, ud);
}

/* ---- filter policies ---- */

static int filter_compile(const char *policy, int scope_body, hub_filter **out, char *err,
                          size_t errlen)
{
    return hub_filter_compile_scoped(
        policy, strlen(policy), scope_body ? HUB_FILTER_SCOPE_BODY : HUB_FILTER_SCOPE_ATTRIBUTES,
        out, err, errlen);
}

static void filter_forget(hub_bus *bus, const char *sub_id)
{
    filter_entry_free(hub_map_del(&bus->filters, sub_id, strlen(sub_id)));
}

/* The compiled filter of sub, compiled again when its policy text or scope changed. NULL when the
 * policy does not compile (then nothing matches). */
static hub_filter *filter_get(hub_bus *bus, const struct hub_subscription *sub)
{
    struct filter_entry *fe = hub_map_get(&bus->filters, sub->id, strlen(sub->id));
    if (fe && fe->scope_body == sub->filter_scope_body &&
        strcmp(fe->policy, sub->filter_policy) == 0)
        return fe->filter;
    if (fe) filter_forget(bus, sub->id);
    char err[256];
    hub_filter *f = NULL;
    if (filter_compile(sub->filter_policy, sub->filter_scope_body, &f, err, sizeof err) != 0)
        return NULL;
    fe = hub_calloc(1, sizeof *fe);
    if (!fe) {
        hub_filter_free(f);
        return NULL;
    }
    fe->filter = f;
    fe->scope_body = sub->filter_scope_body;
    if (!(fe->id = hub_strdup(sub->id)) || !(fe->topic = hub_strdup(sub->topic)) ||
        !(fe->policy = hub_strdup(sub->filter_policy)) ||
        hub_map_put(&bus->filters, fe->id, strlen(fe->id), fe) != 0) {
        filter_entry_free(fe);
        return NULL;
    }
    return f;
}

/* ---- topic operations ---- */

int hub_bus_topic_create(hub_bus *bus, const char *name, const struct hub_topic_config *cfg,
                         json_t *tags, hub_topic_info_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, create);
    if (!cfg || !cb) return HUB_EINVAL;
    if (!hub_bus_name_valid(name, 1) || (cfg->fifo != 0) != ends_with(name, ".fifo"))
        return HUB_BUS_EINVALID_PARAMETER;
    if (tags && !tags_ok(tags)) return HUB_BUS_EINVALID_PARAMETER;
    return bus->tops->create(bus->ts, name, cfg, tags, cb, ud);
}

int hub_bus_topic_get(hub_bus *bus, const char *name, hub_topic_info_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, get);
    if (!name || !cb) return HUB_EINVAL;
    return bus->tops->get(bus->ts, name, cb, ud);
}

int hub_bus_topic_set(hub_bus *bus, const char *name, const struct hub_topic_config *cfg,
                      hub_bus_done_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, set);
    if (!name || !cfg || !cb) return HUB_EINVAL;
    if (cfg->set & HUB_TCFG_FIFO) return HUB_BUS_EINVALID_PARAMETER;
    return bus->tops->set(bus->ts, name, cfg, cb, ud);
}

struct done_ctx {
    hub_bus *bus;
    hub_bus_done_cb cb;
    void *ud;
    char *key; /* topic name or subscription id whose filters to forget */
    int topic;
};

static void on_done_forget(void *ud, int err)
{
    struct done_ctx *c = ud;
    if (!err && c->key) {
        if (c->topic) {
            size_t pos = 0;
            void *v;
            while (hub_map_next(&c->bus->filters, &pos, NULL, NULL, &v)) {
                struct filter_entry *fe = v;
                if (strcmp(fe->topic, c->key) == 0) filter_forget(c->bus, fe->id);
            }
        } else {
            filter_forget(c->bus, c->key);
        }
    }
    c->cb(c->ud, err);
    bus_unref(c->bus);
    hub_free(c->key);
    hub_free(c);
}

static struct done_ctx *done_ctx_new(hub_bus *bus, hub_bus_done_cb cb, void *ud, const char *key,
                                     int topic)
{
    struct done_ctx *c = hub_calloc(1, sizeof *c);
    if (!c || !(c->key = hub_strdup(key))) {
        hub_free(c);
        return NULL;
    }
    c->bus = bus;
    c->cb = cb;
    c->ud = ud;
    c->topic = topic;
    bus->refs++;
    return c;
}

static int done_ctx_fail(struct done_ctx *c, int rc)
{
    bus_unref(c->bus);
    hub_free(c->key);
    hub_free(c);
    return rc;
}

int hub_bus_topic_delete(hub_bus *bus, const char *name, hub_bus_done_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, remove);
    if (!name || !cb) return HUB_EINVAL;
    struct done_ctx *c = done_ctx_new(bus, cb, ud, name, 1);
    if (!c) return HUB_ENOMEM;
    int rc = bus->tops->remove(bus->ts, name, on_done_forget, c);
    return rc ? done_ctx_fail(c, rc) : 0;
}

int hub_bus_topic_list(hub_bus *bus, hub_bus_names_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, list);
    if (!cb) return HUB_EINVAL;
    return bus->tops->list(bus->ts, cb, ud);
}

int hub_bus_topic_tag(hub_bus *bus, const char *name, json_t *tags, hub_bus_done_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, tag);
    if (!name || !cb) return HUB_EINVAL;
    if (!tags_ok(tags)) return HUB_BUS_EINVALID_PARAMETER;
    return bus->tops->tag(bus->ts, name, tags, cb, ud);
}

int hub_bus_topic_untag(hub_bus *bus, const char *name, const char *const *keys, size_t n,
                        hub_bus_done_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, untag);
    if (!name || (n && !keys) || !cb) return HUB_EINVAL;
    return bus->tops->untag(bus->ts, name, keys, n, cb, ud);
}

static int sub_config_check(const struct hub_sub_config *cfg)
{
    if (!cfg) return 0;
    if ((cfg->set & HUB_SCFG_FILTER) && cfg->filter_policy && *cfg->filter_policy) {
        /* Without FilterPolicyScope in the request the subscription's scope is unknown here: accept
         * a policy valid in either scope (fan-out compiles it for the actual one). */
        char err[256];
        hub_filter *f = NULL;
        int body = (cfg->set & HUB_SCFG_FILTER_SCOPE) && cfg->filter_scope_body;
        int rc = filter_compile(cfg->filter_policy, body, &f, err, sizeof err);
        hub_filter_free(f);
        if (rc && rc != HUB_ENOMEM && !(cfg->set & HUB_SCFG_FILTER_SCOPE)) {
            f = NULL;
            rc = filter_compile(cfg->filter_policy, 1, &f, err, sizeof err);
            hub_filter_free(f);
        }
        if (rc == HUB_ENOMEM) return rc;
        if (rc) return HUB_BUS_EINVALID_PARAMETER;
    }
    if ((cfg->set & HUB_SCFG_REDRIVE) && cfg->redrive_policy && *cfg->redrive_policy) {
        json_t *p = json_loads(cfg->redrive_policy, 0, NULL);
        const char *arn = json_string_value(json_object_get(p, "deadLetterTargetArn"));
        int ok = arn && queue_name_ok(hub_bus_arn_name(arn));
        json_decref(p);
        if (!ok) return HUB_BUS_EINVALID_PARAMETER;
    }
    return 0;
}

struct sub_ctx {
    hub_bus *bus;
    hub_sub_cb cb;
    void *ud;
};

static void notify_confirmation(hub_bus *bus, const struct hub_subscription *sub, int version)
{
    char topic_arn[512], sub_arn[600];
    if (!bus->http_fn || bus->closed) return;
    hub_bus_topic_arn(bus, sub->topic, topic_arn, sizeof topic_arn);
    hub_bus_subscription_arn(bus, sub->topic, sub->id, sub_arn, sizeof sub_arn);
    char text[1024], id[HUB_BUS_UUID_LEN + 1];
    snprintf(text, sizeof text,
             "You have chosen to subscribe to the topic %s.\nTo confirm the subscription, visit "
             "the SubscribeURL included in this message.",
             topic_arn);
    hub_bus_uuid(id);
    struct hub_notification n = {
        .type = "SubscriptionConfirmation",
        .topic = sub->topic,
        .topic_arn = topic_arn,
        .subscription_arn = sub_arn,
        .message_id = id,
        .message = text,
        .message_len = strlen(text),
        .timestamp_ms = hub_bus_now_ms(),
        .token = sub->token,
        .signature_version = version,
    };
    bus->http_fn(bus->http_ud, sub, &n);
}

/* A new pending subscription whose confirmation waits for its topic's SignatureVersion (SNS signs
 * confirmations as the topic says, like its notifications). */
struct confirm_ctx {
    hub_bus *bus;
    struct hub_subscription sub; /* its strings and extra are the ones below */
    char *own[7];
};

static void confirm_ctx_free(struct confirm_ctx *c)
{
    for (size_t i = 0; i < sizeof c->own / sizeof c->own[0]; i++)
        hub_free(c->own[i]);
    json_decref(c->sub.extra);
    bus_unref(c->bus);
    hub_free(c);
}

static void on_confirm_topic(void *ud, int err, const struct hub_topic_info *info)
{
    struct confirm_ctx *c = ud;
    /* A topic deleted in between has no subscription left to confirm. */
    if (!err && info && !c->bus->closed) {
        const char *v = json_string_value(json_object_get(info->config->extra, "SignatureVersion"));
        notify_confirmation(c->bus, &c->sub, hub_sns_signature_version(v) == 2 ? 2 : 1);
    }
    confirm_ctx_free(c);
}

static void request_confirmation(hub_bus *bus, const struct hub_subscription *sub)
{
    if (!bus->http_fn || bus->closed) return;
    if (!bus->tops->get) {
        notify_confirmation(bus, sub, 1);
        return;
    }
    struct confirm_ctx *c = hub_calloc(1, sizeof *c);
    if (!c) return;
    c->bus = bus;
    bus->refs++;
    c->sub = *sub;
    c->sub.extra = sub->extra ? json_deep_copy(sub->extra) : json_object();
    const char **f[] = {&c->sub.id,       &c->sub.topic,         &c->sub.protocol,
                        &c->sub.endpoint, &c->sub.token,         &c->sub.filter_policy,
                        &c->sub.redrive_policy};
    int ok = c->sub.extra != NULL;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (*f[i] && !(c->own[i] = hub_strdup(*f[i]))) ok = 0;
        *f[i] = c->own[i];
    }
    if (!ok || bus->tops->get(bus->ts, sub->topic, on_confirm_topic, c) != 0)
        confirm_ctx_free(c);
}

static void on_subscribed(void *ud, int err, const struct hub_subscription *sub)
{
    struct sub_ctx *c = ud;
    c->cb(c->ud, err, sub);
    if (!err && sub && sub->pending && sub->token) request_confirmation(c->bus, sub);
    bus_unref(c->bus);
    hub_free(c);
}

int hub_bus_subscribe(hub_bus *bus, const char *topic, const char *protocol, const char *endpoint,
                      const struct hub_sub_config *cfg, hub_sub_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, subscribe);
    if (!topic || !protocol || !cb) return HUB_EINVAL;
    if (!endpoint || !*endpoint) return HUB_BUS_EINVALID_PARAMETER;
    if (strcmp(protocol, HUB_PROTO_SQS) == 0) {
        const char *q = hub_bus_arn_name(endpoint);
        if (!queue_name_ok(q) || ends_with(q, ".fifo") != ends_with(topic, ".fifo"))
            return HUB_BUS_EINVALID_PARAMETER;
    } else if (strcmp(protocol, HUB_PROTO_HTTP) == 0 || strcmp(protocol, HUB_PROTO_HTTPS) == 0) {
        size_t plen = strlen(protocol);
        if (strncmp(endpoint, protocol, plen) != 0 || strncmp(endpoint + plen, "://", 3) != 0 ||
            !endpoint[plen + 3])
            return HUB_BUS_EINVALID_PARAMETER;
    } else if (strcmp(protocol, HUB_PROTO_ROOM) == 0) {
        const char *hash = strchr(endpoint, '#');
        if (!hash || hash == endpoint) return HUB_BUS_EINVALID_PARAMETER;
    } else if (strcmp(protocol, HUB_PROTO_APPLICATION) == 0) {
        char prefix[160], platform[32];
        size_t n = (size_t)snprintf(prefix, sizeof prefix, "arn:aws:sns:%s:%s:endpoint/",
                                    bus->region, bus->account);
        if (ends_with(topic, ".fifo") || strncmp(endpoint, prefix, n) != 0 ||
            hub_bus_endpoint_platform(endpoint, platform, sizeof platform))
            return HUB_BUS_EINVALID_PARAMETER;
    } else if (strcmp(protocol, HUB_PROTO_SMS) == 0) {
        if (ends_with(topic, ".fifo") || !hub_bus_phone_valid(endpoint))
            return HUB_BUS_EINVALID_PARAMETER;
    } else {
        return HUB_BUS_EINVALID_PARAMETER;
    }
    int rc = sub_config_check(cfg);
    if (rc) return rc;
    struct hub_sub_config none;
    hub_sub_config_init(&none);
    struct sub_ctx *c = hub_calloc(1, sizeof *c);
    if (!c) return HUB_ENOMEM;
    c->bus = bus;
    c->cb = cb;
    c->ud = ud;
    bus->refs++;
    rc = bus->tops->subscribe(bus->ts, topic, protocol, endpoint, cfg ? cfg : &none, on_subscribed,
                              c);
    if (rc) {
        bus_unref(bus);
        hub_free(c);
    }
    return rc;
}

int hub_bus_confirm_subscription(hub_bus *bus, const char *topic, const char *token, hub_sub_cb cb,
                                 void *ud)
{
    CHECK_BUS(bus, tops, confirm);
    if (!topic || !cb) return HUB_EINVAL;
    if (!token || !*token) return HUB_BUS_EINVALID_PARAMETER;
    return bus->tops->confirm(bus->ts, topic, token, cb, ud);
}

int hub_bus_unsubscribe(hub_bus *bus, const char *sub_id, hub_bus_done_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, unsubscribe);
    if (!sub_id || !cb) return HUB_EINVAL;
    struct done_ctx *c = done_ctx_new(bus, cb, ud, sub_id, 0);
    if (!c) return HUB_ENOMEM;
    int rc = bus->tops->unsubscribe(bus->ts, sub_id, on_done_forget, c);
    return rc ? done_ctx_fail(c, rc) : 0;
}

int hub_bus_subscription_get(hub_bus *bus, const char *sub_id, hub_sub_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, sub_get);
    if (!sub_id || !cb) return HUB_EINVAL;
    return bus->tops->sub_get(bus->ts, sub_id, cb, ud);
}

int hub_bus_subscription_set(hub_bus *bus, const char *sub_id, const struct hub_sub_config *cfg,
                             hub_bus_done_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, sub_set);
    if (!sub_id || !cfg || !cb) return HUB_EINVAL;
    int rc = sub_config_check(cfg);
    if (rc) return rc;
    struct done_ctx *c = done_ctx_new(bus, cb, ud, sub_id, 0);
    if (!c) return HUB_ENOMEM;
    rc = bus->tops->sub_set(bus->ts, sub_id, cfg, on_done_forget, c);
    return rc ? done_ctx_fail(c, rc) : 0;
}

int hub_bus_subscriptions_list(hub_bus *bus, const char *topic, hub_sub_list_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, sub_list);
    if (!cb) return HUB_EINVAL;
    return bus->tops->sub_list(bus->ts, topic, cb, ud);
}

/* ---- publish and fan-out ---- */

struct pub_item {
    char *message;
    size_t len;
    char *subject;
    json_t *structure; /* MessageStructure=json: the parsed object */
    json_t *attrs;     /* a copy, or NULL */
    char *group_id;
    json_t *body; /* the message parsed as JSON for MessageBody filters (lazily) */
    int body_parsed;
};

struct pub_ctx {
    hub_bus *bus;
    hub_publish_cb cb;
    void *ud;
    char *topic;
    uint64_t now;
    int signature_version; /* the topic's, at the store's answer */
    size_t n, nvalid;
    size_t idx[HUB_BUS_BATCH_MAX];
    char *ids[HUB_BUS_BATCH_MAX];
    struct hub_publish_result res[HUB_BUS_BATCH_MAX];
    struct pub_item items[HUB_BUS_BATCH_MAX];
};

static void pub_ctx_free(struct pub_ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        hub_free(c->ids[i]);
    for (size_t i = 0; i < c->nvalid; i++) {
        struct pub_item *it = &c->items[i];
        hub_free(it->message);
        hub_free(it->subject);
        json_decref(it->structure);
        json_decref(it->attrs);
        hub_free(it->group_id);
        json_decref(it->body);
    }
    hub_free(c->topic);
    if (c->bus) bus_unref(c->bus);
    hub_free(c);
}

int hub_bus_publish_check(const struct hub_publish_entry *e, json_t **structure)
{
    *structure = NULL;
    if (!e->message || e->message_len == 0) return HUB_BUS_EINVALID_PARAMETER;
    if (!text_valid(e->message, e->message_len)) return HUB_BUS_EINVALID_PARAMETER;
    if (e->subject &&
        (!*e->subject || strlen(e->subject) > 100 || !text_valid(e->subject, strlen(e->subject))))
        return HUB_BUS_EINVALID_PARAMETER;
    int rc = attrs_check(e->attributes, HUB_BUS_EINVALID_PARAMETER);
    if (rc) return rc;
    if ((e->group_id && !fifo_id_valid(e->group_id)) ||
        (e->dedup_id && !fifo_id_valid(e->dedup_id)))
        return HUB_BUS_EINVALID_PARAMETER;
    if (hub_bus_message_size(e->message_len, e->attributes) > HUB_BUS_SNS_MESSAGE_MAX)
        return HUB_BUS_EINVALID_PARAMETER;
    if (e->structure_json) {
        json_t *o = json_loadb(e->message, e->message_len, 0, NULL);
        const char *k;
        json_t *v;
        if (!json_is_object(o) || !json_is_string(json_object_get(o, "default"))) {
            json_decref(o);
            return HUB_BUS_EINVALID_PARAMETER;
        }
        json_object_foreach(o, k, v)
        {
            if (!json_is_string(v)) {
                json_decref(o);
                return HUB_BUS_EINVALID_PARAMETER;
            }
        }
        *structure = o;
    }
    return 0;
}

const char *hub_bus_structure_message(const json_t *structure, const char *key, size_t *len)
{
    json_t *v = key ? json_object_get(structure, key) : NULL;
    if (!json_is_string(v)) v = json_object_get(structure, "default");
    *len = json_string_length(v);
    return json_string_value(v);
}

static int filter_matches(hub_bus *bus, const struct hub_subscription *sub, struct pub_item *it)
{
    if (!sub->filter_policy || !*sub->filter_policy) return 1;
    hub_filter *f = filter_get(bus, sub);
    if (!f) return 0;
    if (sub->filter_scope_body && !it->body_parsed) {
        it->body_parsed = 1;
        it->body = json_loadb(it->message, it->len, 0, NULL);
        if (it->body && !json_is_object(it->body)) {
            json_decref(it->body);
            it->body = NULL;
        }
    }
    if (sub->filter_scope_body && !it->body) return 0;
    return hub_filter_match(f, it->attrs, sub->filter_scope_body ? it->body : NULL,
                            sub->filter_scope_body) > 0;
}

/* A send to a subscribed queue, retried once to the subscription's dead-letter queue on failure. */
struct fan_ctx {
    hub_bus *bus;
    char *dlq;
    char *body;
    size_t len;
    json_t *attrs;
    char *group_id, *dedup_id;
};

static void fan_ctx_free(struct fan_ctx *f)
{
    bus_unref(f->bus);
    hub_free(f->dlq);
    hub_free(f->body);
    json_decref(f->attrs);
    hub_free(f->group_id);
    hub_free(f->dedup_id);
    hub_free(f);
}

static int fan_send(struct fan_ctx *f, const char *queue);

static void on_fan_sent(void *ud, int err, const struct hub_send_result *r, size_t n)
{
    struct fan_ctx *f = ud;
    int failed = err || n != 1 || r[0].err;
    if (failed && f->dlq && !f->bus->closed) {
        char *dlq = f->dlq;
        f->dlq = NULL;
        int rc = fan_send(f, dlq);
        hub_free(dlq);
        if (rc == 0) return;
    }
    fan_ctx_free(f);
}

static int fan_send(struct fan_ctx *f, const char *queue)
{
    int fifo = ends_with(queue, ".fifo");
    struct hub_send_entry e = {
        .body = f->body,
        .body_len = f->len,
        .attributes = f->attrs,
        .delay_ms = -1,
        .group_id = f->group_id,
        .dedup_id = fifo ? f->dedup_id : NULL,
    };
    return f->bus->qops->send(f->bus->qs, queue, &e, 1, on_fan_sent, f);
}

static char *sub_dlq(const struct hub_subscription *sub)
{
    if (!sub->redrive_policy || !*sub->redrive_policy) return NULL;
    json_t *p = json_loads(sub->redrive_policy, 0, NULL);
    const char *name =
        hub_bus_arn_name(json_string_value(json_object_get(p, "deadLetterTargetArn")));
    char *r = name ? hub_strdup(name) : NULL;
    json_decref(p);
    return r;
}

static void deliver_queue(hub_bus *bus, const struct hub_subscription *sub, struct pub_item *it,
                          const struct hub_notification *n)
{
    const char *queue = hub_bus_arn_name(sub->endpoint);
    if (!queue || !bus->qops->send) return;
    struct fan_ctx *f = hub_calloc(1, sizeof *f);
    if (!f) return;
    f->bus = bus;
    bus->refs++;
    if (sub->raw) {
        f->body = hub_strndup(n->message, n->message_len);
        f->len = n->message_len;
        f->attrs = it->attrs ? json_incref(it->attrs) : NULL;
    } else if (hub_bus_envelope(bus, n, &f->body, &f->len) != 0) {
        f->body = NULL;
    }
    if (!f->body || (n->group_id && !(f->group_id = hub_strdup(n->group_id))) ||
        (n->dedup_id && !(f->dedup_id = hub_strdup(n->dedup_id)))) {
        fan_ctx_free(f);
        return;
    }
    f->dlq = sub_dlq(sub);
    if (fan_send(f, queue) != 0) fan_ctx_free(f);
}

static void deliver_room(hub_bus *bus, const struct hub_subscription *sub, struct pub_item *it,
                         const struct hub_notification *n)
{
    const char *hash = strchr(sub->endpoint, '#');
    if (!bus->room_fn || !hash) return;
    char *nsp = hub_strndup(sub->endpoint, (size_t)(hash - sub->endpoint));
    if (!nsp) return;
    if (sub->raw) {
        bus->room_fn(bus->room_ud, nsp, hash + 1, n->topic, n->message_id, n->message,
                     n->message_len, it->attrs);
    } else {
        char *body = NULL;
        size_t len = 0;
        if (hub_bus_envelope(bus, n, &body, &len) == 0)
            bus->room_fn(bus->room_ud, nsp, hash + 1, n->topic, n->message_id, body, len,
                         it->attrs);
        hub_free(body);
    }
    hub_free(nsp);
}

static void fan_out(struct pub_ctx *c, struct pub_item *it, const struct hub_publish_result *r,
                    const struct hub_subscription *subs, size_t nsubs)
{
    hub_bus *bus = c->bus;
    char topic_arn[512], sub_arn[600];
    hub_bus_topic_arn(bus, c->topic, topic_arn, sizeof topic_arn);
    for (size_t i = 0; i < nsubs && !bus->closed; i++) {
        const struct hub_subscription *sub = &subs[i];
        if (sub->pending || !filter_matches(bus, sub, it)) continue;
        int app = strcmp(sub->protocol, HUB_PROTO_APPLICATION) == 0;
        int mobile = app || strcmp(sub->protocol, HUB_PROTO_SMS) == 0;
        const char *msg = it->message;
        size_t len = it->len;
        if (it->structure) {
            /* an endpoint's key is its platform ("GCM", "APNS"), as in SNS */
            char platform[32];
            const char *key = sub->protocol;
            if (app)
                key = hub_bus_endpoint_platform(sub->endpoint, platform, sizeof platform)
                          ? NULL
                          : platform;
            msg = hub_bus_structure_message(it->structure, key, &len);
        }
        hub_bus_subscription_arn(bus, c->topic, sub->id, sub_arn, sizeof sub_arn);
        struct hub_notification n = {
            .type = "Notification",
            .topic = c->topic,
            .topic_arn = topic_arn,
            .subscription_arn = sub_arn,
            .message_id = r->message_id,
            .subject = it->subject,
            .message = msg,
            .message_len = len,
            .attributes = it->attrs,
            .timestamp_ms = c->now,
            .group_id = it->group_id,
            .dedup_id = r->dedup_id,
            .sequence_number = r->sequence_number,
            .message_structure = it->structure ? "json" : NULL,
            .signature_version = c->signature_version,
        };
        if (strcmp(sub->protocol, HUB_PROTO_SQS) == 0)
            deliver_queue(bus, sub, it, &n);
        else if (strcmp(sub->protocol, HUB_PROTO_ROOM) == 0)
            deliver_room(bus, sub, it, &n);
        else if (mobile) {
            if (bus->mobile_fn) bus->mobile_fn(bus->mobile_ud, sub, &n);
        } else if (bus->http_fn)
            bus->http_fn(bus->http_ud, sub, &n);
    }
}

static void on_published(void *ud, int err, const struct hub_publish_result *r, size_t n,
                         const struct hub_subscription *subs, size_t nsubs,
                         const char *signature_version)
{
    struct pub_ctx *c = ud;
    if (err) {
        c->cb(c->ud, err, NULL, 0);
        pub_ctx_free(c);
        return;
    }
    c->now = hub_bus_now_ms();
    c->signature_version = hub_sns_signature_version(signature_version) == 2 ? 2 : 1;
    for (size_t j = 0; j < n && j < c->nvalid; j++) {
        struct hub_publish_result *d = &c->res[c->idx[j]];
        d->err = r[j].err;
        d->message_id = r[j].message_id;
        d->sequence_number = r[j].sequence_number;
        d->dedup_id = r[j].dedup_id;
        d->duplicate = r[j].duplicate;
        if (!r[j].err && !r[j].duplicate) fan_out(c, &c->items[j], &r[j], subs, nsubs);
    }
    c->cb(c->ud, 0, c->res, c->n);
    pub_ctx_free(c);
}

int hub_bus_publish(hub_bus *bus, const char *topic, const struct hub_publish_entry *entries,
                    size_t n, hub_publish_cb cb, void *ud)
{
    CHECK_BUS(bus, tops, publish);
    if (!topic || (n && !entries) || !cb) return HUB_EINVAL;
    int rc = batch_check(entries, n, sizeof *entries);
    if (rc) return rc;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += hub_bus_message_size(entries[i].message_len, entries[i].attributes);
    if (n > 1 && total > HUB_BUS_SNS_MESSAGE_MAX) return HUB_BUS_EBATCH_REQUEST_TOO_LONG;
    struct pub_ctx *c = hub_calloc(1, sizeof *c);
    if (!c) return HUB_ENOMEM;
    c->n = n;
    c->cb = cb;
    c->ud = ud;
    if (!(c->topic = hub_strdup(topic))) goto fail_nomem;
    struct hub_publish_entry valid[HUB_BUS_BATCH_MAX];
    for (size_t i = 0; i < n; i++) {
        const struct hub_publish_entry *e = &entries[i];
        json_t *structure = NULL;
        if (e->id && !(c->ids[i] = hub_strdup(e->id))) goto fail_nomem;
        c->res[i].id = c->ids[i];
        c->res[i].err = hub_bus_publish_check(e, &structure);
        if (c->res[i].err == HUB_ENOMEM) goto fail_nomem;
        if (c->res[i].err) continue;
        struct pub_item *it = &c->items[c->nvalid];
        c->idx[c->nvalid] = i;
        valid[c->nvalid++] = *e;
        it->structure = structure;
        it->len = e->message_len;
        if (!(it->message = hub_strndup(e->message, e->message_len)) ||
            (e->subject && !(it->subject = hub_strdup(e->subject))) ||
            (e->group_id && !(it->group_id = hub_strdup(e->group_id))))
            goto fail_nomem;
        if (json_is_object(e->attributes) && json_object_size(e->attributes) &&
            !(it->attrs = json_deep_copy(e->attributes)))
            goto fail_nomem;
    }
    c->bus = bus;
    bus->refs++;
    rc = bus->tops->publish(bus->ts, topic, valid, c->nvalid, on_published, c);
    if (rc) pub_ctx_free(c);
    return rc;
fail_nomem:
    pub_ctx_free(c);
    return HUB_ENOMEM;
}

/* ---- SQS/SNS attribute names ---- */

/* The text of an attribute value: strings as they are, integers and booleans spelled out. */
static const char *value_text(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    if (json_is_boolean(v)) return json_is_true(v) ? "true" : "false";
    return NULL;
}

static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s || strlen(s) > 19) return -1;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v < min || v > max) return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    if (s && strcasecmp(s, "true") == 0)
        *out = 1;
    else if (s && strcasecmp(s, "false") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

static int extra_put(json_t **extra, const char *k, const char *v)
{
    if (!*extra && !(*extra = json_object())) return HUB_ENOMEM;
    return json_object_set_new(*extra, k, json_string(v)) ? HUB_ENOMEM : 0;
}

static int redrive_parse(const char *s, struct hub_queue_config *cfg)
{
    if (!*s) {
        cfg->dlq[0] = '\0';
        cfg->max_receive_count = 0;
        return 0;
    }
    json_t *p = json_loads(s, 0, NULL);
    json_t *arn = json_object_get(p, "deadLetterTargetArn");
    json_t *mrc = json_object_get(p, "maxReceiveCount");
    char buf[32];
    const char *name = hub_bus_arn_name(json_string_value(arn));
    uint64_t max = 0;
    int rc = -1;
    if (json_is_object(p) && name && queue_name_ok(name) &&
        parse_uint(value_text(mrc, buf, sizeof buf), 1, 1000, &max) == 0) {
        snprintf(cfg->dlq, sizeof cfg->dlq, "%s", name);
        cfg->max_receive_count = (uint32_t)max;
        rc = 0;
    }
    json_decref(p);
    return rc;
}

static int redrive_allow_valid(const char *s)
{
    json_t *p = json_loads(s, 0, NULL);
    const char *perm = json_string_value(json_object_get(p, "redrivePermission"));
    json_t *arns = json_object_get(p, "sourceQueueArns");
    int ok = perm && (strcmp(perm, "allowAll") == 0 || strcmp(perm, "denyAll") == 0 ||
                      (strcmp(perm, "byQueue") == 0 && json_is_array(arns) &&
                       json_array_size(arns) >= 1 && json_array_size(arns) <= 10));
    json_decref(p);
    return ok;
}

int hub_queue_config_parse(struct hub_queue_config *cfg, const json_t *attrs, int creating,
                           const char **bad)
{
    const char *k;
    json_t *v;
    if (!attrs) return 0;
    if (!json_is_object(attrs)) return HUB_BUS_EINVALID_ATTRIBUTE_NAME;
    json_object_foreach((json_t *)attrs, k, v)
    {
        char buf[32];
        const char *s = value_text(v, buf, sizeof buf);
        uint64_t u;
        int b, rc = HUB_BUS_EINVALID_ATTRIBUTE_VALUE;
        if (bad) *bad = k;
        if (!s) return HUB_BUS_EINVALID_ATTRIBUTE_VALUE;
        if (strcmp(k, "VisibilityTimeout") == 0) {
            if (parse_uint(s, 0, 43200, &u)) return rc;
            cfg->visibility_ms = u * 1000;
            cfg->set |= HUB_QCFG_VISIBILITY;
        } else if (strcmp(k, "DelaySeconds") == 0) {
            if (parse_uint(s, 0, 900, &u)) return rc;
            cfg->delay_ms = u * 1000;
            cfg->set |= HUB_QCFG_DELAY;
        } else if (strcmp(k, "MessageRetentionPeriod") == 0) {
            if (parse_uint(s, 60, 1209600, &u)) return rc;
            cfg->retention_ms = u * 1000;
            cfg->set |= HUB_QCFG_RETENTION;
        } else if (strcmp(k, "MaximumMessageSize") == 0) {
            if (parse_uint(s, 1024, 1048576, &u)) return rc;
            cfg->max_message_size = (uint32_t)u;
            cfg->set |= HUB_QCFG_MAX_SIZE;
        } else if (strcmp(k, "ReceiveMessageWaitTimeSeconds") == 0) {
            if (parse_uint(s, 0, 20, &u)) return rc;
            cfg->wait_ms = u * 1000;
            cfg->set |= HUB_QCFG_WAIT;
        } else if (strcmp(k, "RedrivePolicy") == 0) {
            if (redrive_parse(s, cfg)) return rc;
            cfg->set |= HUB_QCFG_REDRIVE;
        } else if (strcmp(k, "FifoQueue") == 0) {
            if (!creating) return HUB_BUS_EINVALID_ATTRIBUTE_NAME;
            if (parse_bool(s, &b)) return rc;
            cfg->fifo = b;
            cfg->set |= HUB_QCFG_FIFO;
        } else if (strcmp(k, "ContentBasedDeduplication") == 0) {
            if (parse_bool(s, &b)) return rc;
            cfg->content_dedup = b;
            cfg->set |= HUB_QCFG_CONTENT_DEDUP;
        } else if (strcmp(k, "DeduplicationScope") == 0) {
            if (strcmp(s, "messageGroup") != 0 && strcmp(s, "queue") != 0) return rc;
            cfg->dedup_scope_group = strcmp(s, "messageGroup") == 0;
            cfg->set |= HUB_QCFG_DEDUP_SCOPE;
        } else {
            if (strcmp(k, "FifoThroughputLimit") == 0) {
                if (strcmp(s, "perQueue") != 0 && strcmp(s, "perMessageGroupId") != 0) return rc;
            } else if (strcmp(k, "RedriveAllowPolicy") == 0) {
                if (*s && !redrive_allow_valid(s)) return rc;
            } else if (strcmp(k, "Policy") == 0) {
                json_t *p = *s ? json_loads(s, 0, NULL) : NULL;
                int ok = !*s || json_is_object(p);
                json_decref(p);
                if (!ok) return rc;
            } else if (strcmp(k, "KmsDataKeyReusePeriodSeconds") == 0) {
                if (parse_uint(s, 60, 86400, &u)) return rc;
            } else if (strcmp(k, "SqsManagedSseEnabled") == 0) {
                if (parse_bool(s, &b)) return rc;
                s = b ? "true" : "false";
            } else if (strcmp(k, "KmsMasterKeyId") != 0) {
                return HUB_BUS_EINVALID_ATTRIBUTE_NAME;
            }
            if (extra_put(&cfg->extra, k, s)) return HUB_ENOMEM;
            cfg->set |= HUB_QCFG_EXTRA;
        }
    }
    if (bad) *bad = NULL;
    return 0;
}

static const char *const queue_attr_names[] = {
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    "VisibilityTimeout",
    "DelaySeconds",
    "MessageRetentionPeriod",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "Policy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
};
#define NQUEUE_ATTRS (sizeof queue_attr_names / sizeof queue_attr_names[0])

static int put_u64(json_t *o, const char *k, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return json_object_set_new(o, k, json_string(buf));
}

static int queue_attr_put(const hub_bus *bus, const struct hub_queue_info *info, size_t i,
                          json_t *o)
{
    const struct hub_queue_config *c = info->config;
    const char *k = queue_attr_names[i];
    const char *extra = json_string_value(json_object_get(c->extra, k));
    char buf[512];
    switch (i) {
    case 0:
        return put_u64(o, k, info->visible);
    case 1:
        return put_u64(o, k, info->inflight);
    case 2:
        return put_u64(o, k, info->delayed);
    case 3:
        return put_u64(o, k, info->created_ms / 1000);
    case 4:
        return put_u64(o, k, info->modified_ms / 1000);
    case 5:
        if (hub_bus_queue_arn(bus, info->name, buf, sizeof buf)) return -1;
        return json_object_set_new(o, k, json_string(buf));
    case 6:
        return put_u64(o, k, c->visibility_ms / 1000);
    case 7:
        return put_u64(o, k, c->delay_ms / 1000);
    case 8:
        return put_u64(o, k, c->retention_ms / 1000);
    case 9:
        return put_u64(o, k, c->max_message_size);
    case 10:
        return put_u64(o, k, c->wait_ms / 1000);
    case 11: {
        if (!c->dlq[0]) return 0;
        char arn[256];
        if (hub_bus_queue_arn(bus, c->dlq, arn, sizeof arn)) return -1;
        json_t *p = json_pack("{s:s,s:I}", "deadLetterTargetArn", arn, "maxReceiveCount",
                              (json_int_t)c->max_receive_count);
        char *s = p ? json_dumps(p, JSON_COMPACT) : NULL;
        json_decref(p);
        int rc = s ? json_object_set_new(o, k, json_string(s)) : -1;
        hub_free(s);
        return rc;
    }
    case 12:
        return c->fifo ? json_object_set_new(o, k, json_string("true")) : 0;
    case 13:
        return c->fifo ? json_object_set_new(o, k, json_string(c->content_dedup ? "true" : "false"))
                       : 0;
    case 14:
        return c->fifo ? json_object_set_new(
                             o, k, json_string(c->dedup_scope_group ? "messageGroup" : "queue"))
                       : 0;
    case 15:
        return c->fifo ? json_object_set_new(o, k, json_string(extra ? extra : "perQueue")) : 0;
    case 20:
        return json_object_set_new(o, k, json_string(extra ? extra : "false"));
    default:
        return extra && *extra ? json_object_set_new(o, k, json_string(extra)) : 0;
    }
}

int hub_queue_info_attributes(const hub_bus *bus, const struct hub_queue_info *info,
                              const char *const *names, size_t n, json_t **out)
{
    int want[NQUEUE_ATTRS] = {0};
    for (size_t j = 0; j < n; j++) {
        size_t i;
        if (strcmp(names[j], "All") == 0) {
            for (i = 0; i < NQUEUE_ATTRS; i++)
                want[i] = 1;
            continue;
        }
        for (i = 0; i < NQUEUE_ATTRS && strcmp(names[j], queue_attr_names[i]) != 0; i++)
            ;
        if (i == NQUEUE_ATTRS) return HUB_BUS_EINVALID_ATTRIBUTE_NAME;
        want[i] = 1;
    }
    json_t *o = json_object();
    if (!o) return HUB_ENOMEM;
    for (size_t i = 0; i < NQUEUE_ATTRS; i++) {
        if (want[i] && queue_attr_put(bus, info, i, o) != 0) {
            json_decref(o);
            return HUB_ENOMEM;
        }
    }
    *out = o;
    return 0;
}

static int is_topic_extra(const char *k)
{
    static const char *const names[] = {
        "DisplayName",      "Policy",        "DeliveryPolicy", "KmsMasterKeyId",
        "SignatureVersion", "TracingConfig", "ArchivePolicy",  "FifoThroughputScope",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(k, names[i]) == 0) return 1;
    return ends_with(k, "FeedbackRoleArn") || ends_with(k, "FeedbackSampleRate");
}

int hub_topic_config_parse(struct hub_topic_config *cfg, const json_t *attrs, int creating,
                           const char **bad)
{
    const char *k;
    json_t *v;
    if (!attrs) return 0;
    if (!json_is_object(attrs)) return HUB_BUS_EINVALID_PARAMETER;
    json_object_foreach((json_t *)attrs, k, v)
    {
        char buf[32];
        const char *s = value_text(v, buf, sizeof buf);
        int b;
        if (bad) *bad = k;
        if (!s) return HUB_BUS_EINVALID_PARAMETER;
        if (strcmp(k, "FifoTopic") == 0) {
            if (!creating || parse_bool(s, &b)) return HUB_BUS_EINVALID_PARAMETER;
            cfg->fifo = b;
            cfg->set |= HUB_TCFG_FIFO;
        } else if (strcmp(k, "ContentBasedDeduplication") == 0) {
            if (parse_bool(s, &b)) return HUB_BUS_EINVALID_PARAMETER;
            cfg->content_dedup = b;
            cfg->set |= HUB_TCFG_CONTENT_DEDUP;
        } else if (is_topic_extra(k)) {
            /* SNS takes "1" (SHA1withRSA) or "2" (SHA256withRSA); "" resets it to 1 */
            if (strcmp(k, "SignatureVersion") == 0 && !hub_sns_signature_version(s))
                return HUB_BUS_EINVALID_PARAMETER;
            if (extra_put(&cfg->extra, k, s)) return HUB_ENOMEM;
            cfg->set |= HUB_TCFG_EXTRA;
        } else {
            return HUB_BUS_EINVALID_PARAMETER;
        }
    }
    if (bad) *bad = NULL;
    return 0;
}

static const char default_delivery_policy[] =
    "{\"http\":{\"defaultHealthyRetryPolicy\":{\"minDelayTarget\":20,\"maxDelayTarget\":20,"
    "\"numRetries\":3,\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,\"numMinDelayRetries\":0,"
    "\"backoffFunction\":\"linear\"},\"disableSubscriptionOverrides\":false,"
    "\"defaultRequestPolicy\":{\"headerContentType\":\"text/plain; charset=UTF-8\"}}}";

int hub_topic_info_attributes(const hub_bus *bus, const struct hub_topic_info *info, json_t **out)
{
    const struct hub_topic_config *c = info->config;
    char arn[512], policy[1024];
    json_t *o = json_object();
    if (!o || hub_bus_topic_arn(bus, info->name, arn, sizeof arn)) goto fail;
    snprintf(policy, sizeof policy,
             "{\"Version\":\"2008-10-17\",\"Id\":\"__default_policy_ID\",\"Statement\":[{\"Sid\":"
             "\"__default_statement_ID\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
             "\"Action\":[\"SNS:Publish\",\"SNS:Subscribe\",\"SNS:Receive\"],\"Resource\":\"%s\","
             "\"Condition\":{\"StringEquals\":{\"AWS:SourceOwner\":\"%s\"}}}]}",
             arn, bus->account);
    const char *extra_policy = json_string_value(json_object_get(c->extra, "DeliveryPolicy"));
    if (json_object_set_new(o, "TopicArn", json_string(arn)) ||
        json_object_set_new(o, "Owner", json_string(bus->account)) ||
        json_object_set_new(o, "DisplayName", json_string("")) ||
        json_object_set_new(o, "Policy", json_string(policy)) ||
        put_u64(o, "SubscriptionsConfirmed", info->subs_confirmed) ||
        put_u64(o, "SubscriptionsPending", info->subs_pending) ||
        put_u64(o, "SubscriptionsDeleted", info->subs_deleted) ||
        json_object_set_new(o, "EffectiveDeliveryPolicy",
                            json_string(extra_policy ? extra_policy : default_delivery_policy)))
        goto fail;
    if (c->fifo && (json_object_set_new(o, "FifoTopic", json_string("true")) ||
                    json_object_set_new(o, "ContentBasedDeduplication",
                                        json_string(c->content_dedup ? "true" : "false"))))
        goto fail;
    if (c->extra && json_object_update(o, c->extra)) goto fail;
    *out = o;
    return 0;
fail:
    json_decref(o);
    return HUB_ENOMEM;
}

int hub_sub_config_parse(struct hub_sub_config *cfg, const json_t *attrs, const char **bad)
{
    const char *k;
    json_t *v;
    if (!attrs) return 0;
    if (!json_is_object(attrs)) return HUB_BUS_EINVALID_PARAMETER;
    json_object_foreach((json_t *)attrs, k, v)
    {
        char buf[32];
        const char *s = value_text(v, buf, sizeof buf);
        int b;
        if (bad) *bad = k;
        if (!s) return HUB_BUS_EINVALID_PARAMETER;
        if (strcmp(k, "RawMessageDelivery") == 0) {
            if (parse_bool(s, &b)) return HUB_BUS_EINVALID_PARAMETER;
            cfg->raw = b;
            cfg->set |= HUB_SCFG_RAW;
        } else if (strcmp(k, "FilterPolicy") == 0) {
            if (!json_is_string(v)) return HUB_BUS_EINVALID_PARAMETER;
            cfg->filter_policy = s;
            cfg->set |= HUB_SCFG_FILTER;
        } else if (strcmp(k, "FilterPolicyScope") == 0) {
            if (strcmp(s, "MessageAttributes") != 0 && strcmp(s, "MessageBody") != 0)
                return HUB_BUS_EINVALID_PARAMETER;
            cfg->filter_scope_body = strcmp(s, "MessageBody") == 0;
            cfg->set |= HUB_SCFG_FILTER_SCOPE;
        } else if (strcmp(k, "RedrivePolicy") == 0) {
            if (!json_is_string(v)) return HUB_BUS_EINVALID_PARAMETER;
            cfg->redrive_policy = s;
            cfg->set |= HUB_SCFG_REDRIVE;
        } else if (strcmp(k, "DeliveryPolicy") == 0 || strcmp(k, "SubscriptionRoleArn") == 0 ||
                   strcmp(k, "ReplayPolicy") == 0) {
            if (extra_put(&cfg->extra, k, s)) return HUB_ENOMEM;
            cfg->set |= HUB_SCFG_EXTRA;
        } else {
            return HUB_BUS_EINVALID_PARAMETER;
        }
    }
    if (bad) *bad = NULL;
    return 0;
}

int hub_subscription_attributes(const hub_bus *bus, const struct hub_subscription *sub,
                                json_t **out)
{
    char arn[512], sarn[600];
    json_t *o = json_object();
    if (!o || hub_bus_topic_arn(bus, sub->topic, arn, sizeof arn) ||
        hub_bus_subscription_arn(bus, sub->topic, sub->id, sarn, sizeof sarn))
        goto fail;
    if (json_object_set_new(o, "SubscriptionArn", json_string(sarn)) ||
        json_object_set_new(o, "TopicArn", json_string(arn)) ||
        json_object_set_new(o, "Owner", json_string(bus->account)) ||
        json_object_set_new(o, "Protocol", json_string(sub->protocol)) ||
        json_object_set_new(o, "Endpoint", json_string(sub->endpoint)) ||
        json_object_set_new(o, "ConfirmationWasAuthenticated", json_string("true")) ||
        json_object_set_new(o, "PendingConfirmation",
                            json_string(sub->pending ? "true" : "false")) ||
        json_object_set_new(o, "RawMessageDelivery", json_string(sub->raw ? "true" : "false")))
        goto fail;
    if (sub->filter_policy && *sub->filter_policy &&
        (json_object_set_new(o, "FilterPolicy", json_string(sub->filter_policy)) ||
         json_object_set_new(
             o, "FilterPolicyScope",
             json_string(sub->filter_scope_body ? "MessageBody" : "MessageAttributes"))))
        goto fail;
    if (sub->redrive_policy && *sub->redrive_policy &&
        json_object_set_new(o, "RedrivePolicy", json_string(sub->redrive_policy)))
        goto fail;
    if (sub->extra && json_object_update(o, sub->extra)) goto fail;
    *out = o;
    return 0;
fail:
    json_decref(o);
    return HUB_ENOMEM;
}

/* ---- the SNS envelope ---- */

const hub_sns_key *hub_bus_signing_key(hub_bus *bus)
{
    if (!bus->key && hub_sns_key_generate(&bus->key) != 0) {
        bus->key = NULL;
        return NULL;
    }
    if (!bus->cert_url && hub_sns_key_cert_url(bus->key, bus->public_url, &bus->cert_url) != 0)
        bus->cert_url = NULL;
    return bus->key;
}

const char *hub_bus_signing_cert_url(hub_bus *bus)
{
    return hub_bus_signing_key(bus) ? bus->cert_url : NULL;
}

int hub_bus_sns_prepare(hub_bus *bus, const struct hub_notification *n, struct hub_bus_sns *s)
{
    int confirm = n->token != NULL;
    int rc;

    memset(s, 0, sizeof *s);
    if (!hub_bus_signing_key(bus)) return HUB_EIO;
    if (!(s->message = hub_strndup(n->message ? n->message : "", n->message_len)))
        return HUB_ENOMEM;
    s->m = (struct hub_sns_message){
        .type = confirm ? HUB_SNS_SUBSCRIPTION_CONFIRMATION : HUB_SNS_NOTIFICATION,
        .message_id = n->message_id,
        .topic_arn = n->topic_arn,
        .subject = confirm ? NULL : n->subject,
        .message = s->message,
        .timestamp_ms = (int64_t)n->timestamp_ms,
        .token = n->token,
        .attributes = confirm ? NULL : n->attributes,
    };
    if (n->sequence_number && !confirm) {
        snprintf(s->seq, sizeof s->seq, "%020" PRIu64, n->sequence_number);
        s->m.sequence_number = s->seq;
    }
    if (confirm)
        rc = hub_sns_subscribe_url(bus->public_url, n->topic_arn, n->token, &s->url);
    else
        rc = n->subscription_arn
                 ? hub_sns_unsubscribe_url(bus->public_url, n->subscription_arn, &s->url)
                 : 0;
    if (rc) {
        hub_bus_sns_release(s);
        return rc;
    }
    if (confirm)
        s->m.subscribe_url = s->url;
    else
        s->m.unsubscribe_url = s->url;
    s->signer = (struct hub_sns_signer){
        .secret = (const uint8_t *)bus->secret,
        .secret_len = strlen(bus->secret),
        .key = bus->key,
        .version = n->signature_version == 2 ? 2 : 1,
        .signing_cert_url = bus->cert_url,
    };
    return 0;
}

void hub_bus_sns_release(struct hub_bus_sns *s)
{
    hub_free(s->url);
    hub_free(s->message);
    memset(s, 0, sizeof *s);
}

int hub_bus_envelope(hub_bus *bus, const struct hub_notification *n, char **out, size_t *len)
{
    struct hub_bus_sns s;
    int rc = hub_bus_sns_prepare(bus, n, &s);

    if (rc) return rc;
    rc = hub_sns_envelope_build(&s.m, &s.signer, out, len);
    hub_bus_sns_release(&s);
    return rc;
}
