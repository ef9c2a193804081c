/* aws_sns_mobile.c - see aws_sns_mobile.h. The rules follow the SNS API reference and LocalStack's
 * provider where they agree; where AWS validates against a platform or a carrier (credentials, real
 * OTPs), the simplest rule that keeps clients' flows working is taken and documented in
 * docs/AWS.md. */
#include "aws_sns_mobile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hub_alloc.h"
#include "hub_err.h"
#include "log.h"
#include "random.h"

#define PAGE 100
#define CUSTOM_DATA_MAX 2048
#define ARN_MAX 640
#define OTP_LEN 6

struct app {
    char *arn; /* key in apps */
    char *name, *platform;
    json_t *attrs; /* what GetPlatformApplicationAttributes returns; "Enabled" always */
};

struct endpoint {
    char *arn; /* key in endpoints */
    struct app *app;
    char *tkey; /* "<app arn>\n<token>": key in tokens (an app's tokens are unique) */
    size_t tklen;
    json_t *attrs; /* Enabled, Token, CustomUserData */
};

struct sandbox_number {
    char *phone; /* key in sandbox */
    char otp[OTP_LEN + 1];
    int verified;
};

struct policy {
    char *topic;         /* key in policies */
    uint64_t created_ms; /* the topic it was put on: a topic deleted and made again has none */
    char *text;
};

/* The newest recorded messages, oldest first, bounded by count and bytes. */
struct ring {
    json_t *items;
    size_t bytes;
};

struct aws_mobile {
    hub_aws *aws;
    hub_bus *bus;              /* the bus the mobile hook is on */
    struct hub_map apps;       /* arn -> struct app */
    struct hub_map endpoints;  /* arn -> struct endpoint, creation order */
    struct hub_map tokens;     /* tkey -> struct endpoint */
    struct hub_map optouts;    /* phone number -> its copy (the key) */
    struct hub_map sandbox;    /* phone number -> struct sandbox_number */
    struct hub_map policies;   /* topic name -> struct policy */
    json_t *sms_attrs;         /* SetSMSAttributes */
    struct ring pushes, texts; /* to platform endpoints, to phone numbers */
};

static struct aws_mobile *mobile_of(struct aws_req *r)
{
    return r->aws->mobile;
}

/* ---- state ---- */

static void map_init(struct hub_map *m)
{
    uint64_t seed[2];
    hub_random_bytes(seed, sizeof seed);
    hub_map_init(m, seed[0], seed[1]);
}

struct aws_mobile *aws_mobile_new(hub_aws *aws)
{
    struct aws_mobile *m = hub_calloc(1, sizeof *m);
    if (!m) return NULL;
    m->aws = aws;
    map_init(&m->apps);
    map_init(&m->endpoints);
    map_init(&m->tokens);
    map_init(&m->optouts);
    map_init(&m->sandbox);
    map_init(&m->policies);
    m->sms_attrs = json_pack("{s:s}", "MonthlySpendLimit", "1");
    m->pushes.items = json_array();
    m->texts.items = json_array();
    if (!m->sms_attrs || !m->pushes.items || !m->texts.items) {
        aws_mobile_free(m);
        return NULL;
    }
    return m;
}

static void app_free(struct app *a)
{
    hub_free(a->arn);
    hub_free(a->name);
    hub_free(a->platform);
    json_decref(a->attrs);
    hub_free(a);
}

static void endpoint_free(struct endpoint *e)
{
    hub_free(e->arn);
    hub_free(e->tkey);
    json_decref(e->attrs);
    hub_free(e);
}

static void sandbox_free(struct sandbox_number *s)
{
    hub_free(s->phone);
    hub_free(s);
}

static void policy_free(struct policy *p)
{
    hub_free(p->topic);
    hub_free(p->text);
    hub_free(p);
}

/* Frees every value of map with fn, then the map. */
static void map_drain(struct hub_map *map, void (*fn)(void *))
{
    size_t pos = 0;
    void *v;
    while (hub_map_next(map, &pos, NULL, NULL, &v))
        fn(v);
    hub_map_clear(map);
}

static void free_app(void *v)
{
    app_free(v);
}
static void free_endpoint(void *v)
{
    endpoint_free(v);
}
static void free_sandbox(void *v)
{
    sandbox_free(v);
}
static void free_policy(void *v)
{
    policy_free(v);
}

void aws_mobile_free(struct aws_mobile *m)
{
    if (!m) return;
    if (m->bus) hub_bus_set_mobile_sink(m->bus, NULL, NULL);
    hub_map_clear(&m->tokens); /* the endpoints own the keys */
    map_drain(&m->endpoints, free_endpoint);
    map_drain(&m->apps, free_app);
    map_drain(&m->optouts, hub_free);
    map_drain(&m->sandbox, free_sandbox);
    map_drain(&m->policies, free_policy);
    json_decref(m->sms_attrs);
    json_decref(m->pushes.items);
    json_decref(m->texts.items);
    hub_free(m);
}

static void endpoint_remove(struct aws_mobile *m, struct endpoint *e)
{
    hub_map_del(&m->endpoints, e->arn, strlen(e->arn));
    hub_map_del(&m->tokens, e->tkey, e->tklen);
    endpoint_free(e);
}

/* "<app arn>\n<token>" into *key (new). Returns 0 or HUB_ENOMEM. */
static int token_key(const struct app *a, const char *token, char **key, size_t *len)
{
    size_t n = strlen(a->arn) + 1 + strlen(token);
    char *k = hub_malloc(n + 1);
    if (!k) return HUB_ENOMEM;
    snprintf(k, n + 1, "%s\n%s", a->arn, token);
    *key = k;
    *len = n;
    return 0;
}

static int is_true(const json_t *attrs, const char *name)
{
    const char *v = json_string_value(json_object_get(attrs, name));
    return !v || strcasecmp(v, "false") != 0;
}

static int opted_out(const struct aws_mobile *m, const char *phone)
{
    return hub_map_get(&m->optouts, phone, strlen(phone)) != NULL;
}

static int opt_out(struct aws_mobile *m, const char *phone)
{
    if (opted_out(m, phone)) return 0;
    char *k = hub_strdup(phone);
    if (!k) return HUB_ENOMEM;
    int rc = hub_map_put(&m->optouts, k, strlen(k), k);
    if (rc) hub_free(k);
    return rc;
}

/* ---- recording ---- */

static size_t record_bytes(const json_t *rec)
{
    json_t *msg = json_object_get(rec, "Message");
    return 256 + json_string_length(msg) +
           hub_bus_message_size(0, json_object_get(rec, "MessageAttributes"));
}

/* Appends rec (stolen) to ring, dropping the oldest beyond the caps. */
static void ring_add(struct ring *ring, json_t *rec)
{
    if (!rec) return;
    size_t bytes = record_bytes(rec);
    if (json_array_append_new(ring->items, rec)) return;
    ring->bytes += bytes;
    while (json_array_size(ring->items) > HUB_AWS_SNS_RECORDED_MAX ||
           (ring->bytes > HUB_AWS_SNS_RECORDED_BYTES && json_array_size(ring->items) > 1)) {
        ring->bytes -= record_bytes(json_array_get(ring->items, 0));
        json_array_remove(ring->items, 0);
    }
}

/* Removes the records whose member key is value (NULL: all). */
static void ring_drop(struct ring *ring, const char *key, const char *value)
{
    for (size_t i = json_array_size(ring->items); i-- > 0;) {
        json_t *rec = json_array_get(ring->items, i);
        const char *v = json_string_value(json_object_get(rec, key));
        if (value && (!v || strcmp(v, value) != 0)) continue;
        ring->bytes -= record_bytes(rec);
        json_array_remove(ring->items, i);
    }
}

/* What one delivery carried, in LocalStack's record fields. */
struct delivery {
    const char *topic_arn, *subscription_arn; /* NULL for a direct publish */
    const char *message_id;
    const char *message;
    size_t message_len;
    json_t *attributes; /* the publish's MessageAttributes, or NULL */
    const char *structure;
    const char *subject;
};

static json_t *attributes_copy(json_t *attributes)
{
    return json_is_object(attributes) ? json_deep_copy(attributes) : json_object();
}

/* To a platform endpoint: LocalStack's fields (its TopicArn is "" for a direct publish). */
static void record_push(struct aws_mobile *m, const char *endpoint_arn, const struct delivery *d)
{
    ring_add(&m->pushes,
             json_pack("{s:s,s:s,s:s%,s:o,s:s?,s:s?,s:s}", "TargetArn", endpoint_arn, "TopicArn",
                       d->topic_arn ? d->topic_arn : "", "Message", d->message, d->message_len,
                       "MessageAttributes", attributes_copy(d->attributes), "MessageStructure",
                       d->structure, "Subject", d->subject, "MessageId", d->message_id));
}

/* To a phone number (TopicArn and SubscriptionArn null for a direct publish). */
static void record_text(struct aws_mobile *m, const char *phone, const struct delivery *d)
{
    ring_add(&m->texts, json_pack("{s:s,s:s?,s:s?,s:s,s:s%,s:o,s:s?,s:s?}", "PhoneNumber", phone,
                                  "TopicArn", d->topic_arn, "SubscriptionArn", d->subscription_arn,
                                  "MessageId", d->message_id, "Message", d->message, d->message_len,
                                  "MessageAttributes", attributes_copy(d->attributes),
                                  "MessageStructure", d->structure, "Subject", d->subject));
}

/* The bus's mobile hook: a topic's message for an "application" or "sms" subscription. As SNS,
 * nothing reaches an opted-out number, a missing or disabled endpoint, or the endpoints of a
 * disabled application. */
static void on_mobile(void *ud, const struct hub_subscription *sub,
                      const struct hub_notification *n)
{
    struct aws_mobile *m = ud;
    struct delivery d = {
        .topic_arn = n->topic_arn,
        .subscription_arn = n->subscription_arn,
        .message_id = n->message_id,
        .message = n->message,
        .message_len = n->message_len,
        .attributes = n->attributes,
        .structure = n->message_structure,
        .subject = n->subject,
    };
    if (strcmp(sub->protocol, HUB_PROTO_SMS) == 0) {
        if (!opted_out(m, sub->endpoint)) record_text(m, sub->endpoint, &d);
        return;
    }
    struct endpoint *e = hub_map_get(&m->endpoints, sub->endpoint, strlen(sub->endpoint));
    if (!e || !is_true(e->attrs, "Enabled") || !is_true(e->app->attrs, "Enabled")) {
        hub_log(HUB_LOG_DEBUG, "aws: sns: %s: no enabled endpoint, message %s dropped",
                sub->endpoint, n->message_id);
        return;
    }
    record_push(m, sub->endpoint, &d);
}

void aws_mobile_set_bus(hub_aws *aws, hub_bus *bus)
{
    struct aws_mobile *m = aws->mobile;
    if (m->bus && m->bus != bus) hub_bus_set_mobile_sink(m->bus, NULL, NULL);
    if (bus) hub_bus_set_mobile_sink(bus, on_mobile, m);
    m->bus = bus;
}

/* ---- request helpers ---- */

/* InvalidParameter unless arn has an ARN's six fields (LocalStack's text). 1 when it has. */
static int arn_shaped(struct aws_req *r, const char *member, const char *arn)
{
    size_t fields = 1;
    for (const char *p = arn; *p; p++)
        fields += *p == ':';
    if (strncmp(arn, "arn:", 4) == 0 && fields >= 6) return 1;
    aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
             "Invalid parameter: %s Reason: An ARN must have at least 6 elements, not %zu", member,
             fields);
    return 0;
}

/* The ARN in member (shaped as one), or NULL after answering. */
static const char *need_arn(struct aws_req *r, const char *member)
{
    const char *arn = aws_need_str(r, member);
    return arn && arn_shaped(r, member, arn) ? arn : NULL;
}

/* What map holds under the ARN in member, or NULL after answering (InvalidParameter, or NotFound
 * "<what> does not exist"). */
static void *need_arn_in(struct aws_req *r, const char *member, const struct hub_map *map,
                         const char *what)
{
    const char *arn = need_arn(r, member);
    void *v = arn ? hub_map_get(map, arn, strlen(arn)) : NULL;
    if (arn && !v) aws_fail(r, HUB_BUS_ENOT_FOUND, "%s does not exist", what);
    return v;
}

/* The map member name: 1 with *out (borrowed) an object of strings, 0 when absent (*out NULL),
 * -1 after answering. */
static int in_map(struct aws_req *r, const char *name, json_t **out)
{
    json_t *v = json_object_get(r->in, name);
    const char *k;
    json_t *x;
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_object(v)) goto bad;
    json_object_foreach(v, k, x)
    {
        if (!json_is_string(x)) goto bad;
    }
    *out = v;
    return 1;
bad:
    aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: %s", name);
    return -1;
}

/* A required, non-empty map member. */
static json_t *need_map(struct aws_req *r, const char *name)
{
    json_t *v;
    int rc = in_map(r, name, &v);
    if (rc == 0 || (rc == 1 && json_object_size(v) == 0)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                 "Invalid parameter: %s Reason: no value for required parameter", name);
        return NULL;
    }
    return rc == 1 ? v : NULL;
}

static int bool_text(const char *v)
{
    return strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0;
}

/* Sets o[k] to a copy of v; "true"/"false" in lower case. Returns 0 or HUB_ENOMEM. */
static int attr_put(json_t *o, const char *k, const char *v)
{
    const char *text = bool_text(v) ? (strcasecmp(v, "true") == 0 ? "true" : "false") : v;
    return json_object_set_new(o, k, json_string(text)) ? HUB_ENOMEM : 0;
}

static void reply_or_nomem(struct aws_req *r, json_t *out)
{
    if (out)
        aws_reply(r, out);
    else
        aws_fail(r, HUB_ENOMEM, NULL);
}

/* {"Attributes": a copy of attrs} (Get*Attributes). */
static void reply_attributes(struct aws_req *r, json_t *attrs)
{
    reply_or_nomem(r, json_pack("{s:o}", "Attributes", json_deep_copy(attrs)));
}

/* A page of a list: up to max values of map (those keep() takes, in insertion order) after the
 * key a NextToken names, as out[list] = [item(value)...], with out[token] when more follow. */
struct page {
    const char *list, *token_in, *token_out;
    size_t max;
    int (*keep)(const void *value, const void *ctx);
    const void *ctx;
    json_t *(*item)(const void *value);
};

static void reply_page(struct aws_req *r, const struct hub_map *map, const struct page *p)
{
    char after[ARN_MAX] = "";
    const char *token = aws_in_str(r, p->token_in);
    if (token && *token && aws_token_read(token, after, sizeof after)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: %s", p->token_in);
        return;
    }
    json_t *out = json_object(), *list = json_array();
    int bad = !out || !list || json_object_set(out, p->list, list);
    size_t pos = 0, taken = 0, klen;
    const char *key, *last = NULL;
    void *v;
    int started = !after[0];
    while (!bad && hub_map_next(map, &pos, &key, &klen, &v)) {
        if (p->keep && !p->keep(v, p->ctx)) continue;
        if (!started) {
            started = klen == strlen(after) && memcmp(key, after, klen) == 0;
            continue;
        }
        if (taken == p->max) {
            char *t = aws_token_make(last);
            bad = !t || json_object_set_new(out, p->token_out, json_string(t));
            hub_free(t);
            break;
        }
        bad = json_array_append_new(list, p->item(v)) != 0;
        last = key;
        taken++;
    }
    json_decref(list);
    if (bad) {
        json_decref(out);
        out = NULL;
    }
    reply_or_nomem(r, out);
}

/* ---- platform applications ---- */

static const char *const platforms[] = {"ADM", "APNS", "APNS_SANDBOX", "Baidu", "FCM",
                                        "GCM", "MPNS", "WNS",          NULL};

static int platform_known(const char *p)
{
    for (size_t i = 0; platforms[i]; i++)
        if (strcmp(platforms[i], p) == 0) return 1;
    return 0;
}

/* Platforms whose credentials come in two parts (APNs key/certificate, ADM/Baidu/WNS client id and
 * secret); GCM/FCM take an API key alone, MPNS may be unauthenticated. */
static int needs_principal(const char *p)
{
    return strcmp(p, "GCM") && strcmp(p, "FCM") && strcmp(p, "MPNS");
}

static int app_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 256) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

/* Checks application attributes. The credentials are accepted and not kept (Hubbub never calls
 * the platforms; SNS does not return them either). */
static int app_attrs_check(struct aws_req *r, json_t *attrs)
{
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v)
    {
        if (strcmp(k, "Enabled") == 0 && !bool_text(json_string_value(v))) {
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                     "Invalid parameter: Attributes Reason: Enabled must be true or false");
            return -1;
        }
    }
    return 0;
}

/* Merges attrs (checked) into a->attrs. Returns 0 or HUB_ENOMEM. */
static int app_attrs_merge(struct app *a, json_t *attrs)
{
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v)
    {
        if (strcmp(k, "PlatformCredential") == 0 || strcmp(k, "PlatformPrincipal") == 0) continue;
        if (attr_put(a->attrs, k, json_string_value(v))) return HUB_ENOMEM;
    }
    return 0;
}

static struct app *app_from(struct aws_req *r)
{
    return need_arn_in(r, "PlatformApplicationArn", &mobile_of(r)->apps, "PlatformApplication");
}

void aws_sns_create_platform_application(struct aws_req *r)
{
    struct aws_mobile *m = mobile_of(r);
    const char *name = aws_in_str(r, "Name"), *platform = aws_in_str(r, "Platform");
    json_t *attrs;
    char arn[ARN_MAX], prefix[128];
    if (!app_name_ok(name)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                 "Invalid parameter: Name Reason: must be 1 to 256 characters of 'a'-'z', "
                 "'A'-'Z', '0'-'9', '_', '-' and '.'");
        return;
    }
    if (!platform || !platform_known(platform)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                 "Invalid parameter: Platform Reason: %.64s is not supported",
                 platform ? platform : "(none)");
        return;
    }
    if (!(attrs = need_map(r, "Attributes")) || app_attrs_check(r, attrs)) return;
    const char *cred = json_string_value(json_object_get(attrs, "PlatformCredential"));
    const char *principal = json_string_value(json_object_get(attrs, "PlatformPrincipal"));
    if ((!cred || !*cred) && strcmp(platform, "MPNS") != 0) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                 "Invalid parameter: Attributes Reason: PlatformCredential attribute is required");
        return;
    }
    if ((!principal || !*principal) && needs_principal(platform)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                 "Invalid parameter: Attributes Reason: PlatformPrincipal attribute is required "
                 "for %s",
                 platform);
        return;
    }
    aws_arn(r->aws, "sns", "", prefix, sizeof prefix);
    snprintf(arn, sizeof arn, "%sapp/%s/%s", prefix, platform, name);
    struct app *a = hub_map_get(&m->apps, arn, strlen(arn));
    if (!a) { /* the same name again updates the application and keeps its endpoints */
        if (!(a = hub_calloc(1, sizeof *a)) || !(a->arn = hub_strdup(arn)) ||
            !(a->name = hub_strdup(name)) || !(a->platform = hub_strdup(platform)) ||
            !(a->attrs = json_pack("{s:s}", "Enabled", "true")) ||
            hub_map_put(&m->apps, a->arn, strlen(a->arn), a)) {
            if (a) app_free(a);
            aws_fail(r, HUB_ENOMEM, NULL);
            return;
        }
    }
    if (app_attrs_merge(a, attrs)) {
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    reply_or_nomem(r, json_pack("{s:s}", "PlatformApplicationArn", a->arn));
}

void aws_sns_delete_platform_application(struct aws_req *r)
{
    struct aws_mobile *m = mobile_of(r);
    const char *arn = need_arn(r, "PlatformApplicationArn");
    if (!arn) return;
    struct app *a = hub_map_del(&m->apps, arn, strlen(arn));
    if (a) { /* its endpoints go with it */
        size_t pos = 0;
        void *v;
        while (hub_map_next(&m->endpoints, &pos, NULL, NULL, &v))
            if (((struct endpoint *)v)->app == a) endpoint_remove(m, v);
        app_free(a);
    }
    aws_reply(r, NULL); /* deleting a missing application succeeds, as in SNS */
}

static json_t *app_item(const void *v)
{
    const struct app *a = v;
    return json_pack("{s:s,s:o}", "PlatformApplicationArn", a->arn, "Attributes",
                     json_deep_copy(a->attrs));
}

void aws_sns_list_platform_applications(struct aws_req *r)
{
    struct page p = {"PlatformApplications", "NextToken", "NextToken", PAGE, NULL, NULL, app_item};
    reply_page(r, &mobile_of(r)->apps, &p);
}

void aws_sns_get_platform_application_attributes(struct aws_req *r)
{
    struct app *a = app_from(r);
    if (a) reply_attributes(r, a->attrs);
}

void aws_sns_set_platform_application_attributes(struct aws_req *r)
{
    struct app *a = app_from(r);
    json_t *attrs;
    if (!a || !(attrs = need_map(r, "Attributes")) || app_attrs_check(r, attrs)) return;
    if (app_attrs_merge(a, attrs))
        aws_fail(r, HUB_ENOMEM, NULL);
    else
        aws_reply(r, NULL);
}

/* ---- platform endpoints ---- */

static int endpoint_attrs_check(struct aws_req *r, json_t *attrs)
{
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v)
    {
        const char *s = json_string_value(v);
        const char *why = NULL;
        if (strcmp(k, "CustomUserData") == 0) {
            if (strlen(s) > CUSTOM_DATA_MAX)
                why = "CustomUserData: must be at most 2048 bytes long in UTF-8 encoding";
        } else if (strcmp(k, "Enabled") == 0) {
            if (!bool_text(s)) why = "Enabled: must be true or false";
        } else if (strcmp(k, "Token") == 0) {
            if (!*s) why = "Token: must not be empty";
        } else {
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                     "Invalid parameter: Attributes Reason: Invalid attribute name: %.128s", k);
            return -1;
        }
        if (why) {
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                     "Invalid parameter: Attributes Reason: Invalid value for attribute: %s", why);
            return -1;
        }
    }
    return 0;
}

static struct endpoint *endpoint_from(struct aws_req *r)
{
    return need_arn_in(r, "EndpointArn", &mobile_of(r)->endpoints, "Endpoint");
}

void aws_sns_create_platform_endpoint(struct aws_req *r)
{
    struct aws_mobile *m = mobile_of(r);
    struct app *a = app_from(r);
    json_t *given;
    char *tkey = NULL, uuid[HUB_BUS_UUID_LEN + 1], prefix[128], arn[ARN_MAX];
    size_t tklen;
    if (!a) return;
    const char *token = aws_in_str(r, "Token");
    const char *data = aws_in_str(r, "CustomUserData");
    if (!token || !*token) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: Token Reason: cannot be empty");
        return;
    }
    if (data && strlen(data) > CUSTOM_DATA_MAX) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                 "Invalid parameter: CustomUserData Reason: must be at most 2048 bytes long in "
                 "UTF-8 encoding");
        return;
    }
    if (in_map(r, "Attributes", &given) < 0 || (given && endpoint_attrs_check(r, given))) return;
    /* the attributes: Enabled, the Token, CustomUserData (the attribute over the parameter) */
    json_t *want = json_pack("{s:s,s:s}", "Enabled", "true", "Token", token);
    const char *k;
    json_t *v;
    int bad = !want || (data && json_object_set_new(want, "CustomUserData", json_string(data)));
    if (given) {
        json_object_foreach(given, k, v)
        {
            if (!bad && strcmp(k, "Token") != 0) bad = attr_put(want, k, json_string_value(v));
        }
    }
    if (bad || token_key(a, token, &tkey, &tklen)) {
        json_decref(want);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    struct endpoint *e = hub_map_get(&m->tokens, tkey, tklen);
    if (e) { /* idempotent for the same token and attributes */
        int same = json_equal(e->attrs, want);
        json_decref(want);
        hub_free(tkey);
        if (same)
            reply_or_nomem(r, json_pack("{s:s}", "EndpointArn", e->arn));
        else
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                     "Invalid parameter: Token Reason: Endpoint %s already exists with the same "
                     "Token, but different attributes.",
                     e->arn);
        return;
    }
    hub_bus_uuid(uuid);
    aws_arn(r->aws, "sns", "", prefix, sizeof prefix);
    snprintf(arn, sizeof arn, "%sendpoint/%s/%s/%s", prefix, a->platform, a->name, uuid);
    if (!(e = hub_calloc(1, sizeof *e)) || !(e->arn = hub_strdup(arn))) {
        hub_free(e);
        hub_free(tkey);
        json_decref(want);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    e->app = a;
    e->tkey = tkey;
    e->tklen = tklen;
    e->attrs = want;
    if (hub_map_put(&m->endpoints, e->arn, strlen(e->arn), e)) {
        endpoint_free(e);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    if (hub_map_put(&m->tokens, e->tkey, e->tklen, e)) {
        hub_map_del(&m->endpoints, e->arn, strlen(e->arn));
        endpoint_free(e);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    reply_or_nomem(r, json_pack("{s:s}", "EndpointArn", e->arn));
}

void aws_sns_delete_endpoint(struct aws_req *r)
{
    struct aws_mobile *m = mobile_of(r);
    const char *arn = need_arn(r, "EndpointArn");
    if (!arn) return;
    struct endpoint *e = hub_map_get(&m->endpoints, arn, strlen(arn));
    if (e) endpoint_remove(m, e);
    aws_reply(r, NULL); /* a missing endpoint is no error, as in SNS */
}

static int of_app(const void *v, const void *app)
{
    return ((const struct endpoint *)v)->app == app;
}

static json_t *endpoint_item(const void *v)
{
    const struct endpoint *e = v;
    return json_pack("{s:s,s:o}", "EndpointArn", e->arn, "Attributes", json_deep_copy(e->attrs));
}

void aws_sns_list_endpoints_by_platform_application(struct aws_req *r)
{
    struct app *a = app_from(r);
    if (!a) return;
    struct page p = {"Endpoints", "NextToken", "NextToken", PAGE, of_app, a, endpoint_item};
    reply_page(r, &mobile_of(r)->endpoints, &p);
}

void aws_sns_get_endpoint_attributes(struct aws_req *r)
{
    struct endpoint *e = endpoint_from(r);
    if (e) reply_attributes(r, e->attrs);
}

void aws_sns_set_endpoint_attributes(struct aws_req *r)
{
    struct aws_mobile *m = mobile_of(r);
    struct endpoint *e = endpoint_from(r);
    json_t *attrs, *v;
    const char *k;
    if (!e || !(attrs = need_map(r, "Attributes")) || endpoint_attrs_check(r, attrs)) return;
    const char *token = json_string_value(json_object_get(attrs, "Token"));
    if (token && strcmp(token, json_string_value(json_object_get(e->attrs, "Token"))) != 0) {
        char *tkey;
        size_t tklen;
        if (token_key(e->app, token, &tkey, &tklen)) {
            aws_fail(r, HUB_ENOMEM, NULL);
            return;
        }
        struct endpoint *other = hub_map_get(&m->tokens, tkey, tklen);
        if (other) {
            hub_free(tkey);
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                     "Invalid parameter: Token Reason: Endpoint %s already exists with the same "
                     "Token",
                     other->arn);
            return;
        }
        hub_map_del(&m->tokens, e->tkey, e->tklen);
        if (hub_map_put(&m->tokens, tkey, tklen, e)) {
            hub_map_put(&m->tokens, e->tkey, e->tklen, e); /* the old key is still there */
            hub_free(tkey);
            aws_fail(r, HUB_ENOMEM, NULL);
            return;
        }
        hub_free(e->tkey);
        e->tkey = tkey;
        e->tklen = tklen;
    }
    json_object_foreach(attrs, k, v)
    {
        if (attr_put(e->attrs, k, json_string_value(v))) {
            aws_fail(r, HUB_ENOMEM, NULL);
            return;
        }
    }
    aws_reply(r, NULL);
}

/* ---- publish to an endpoint or a phone number ---- */

int aws_mobile_publish_direct(const struct aws_req *r)
{
    const char *target = aws_in_str(r, "TargetArn");
    return aws_in_str(r, "PhoneNumber") ||
           (target && !aws_in_str(r, "TopicArn") && strstr(target, ":endpoint/"));
}

/* The attributes to check into *out (new reference): SNS's reserved SMS and mobile ones
 * (AWS.SNS.SMS.SMSType, AWS.SNS.MOBILE.APNS.PRIORITY, AWS.MM.SMS.OriginationNumber, ...) are
 * SNS's to read and pass through unchecked. Returns 0 or HUB_ENOMEM. */
static int attributes_to_check(json_t *attributes, json_t **out)
{
    const char *k;
    json_t *v;
    *out = NULL;
    if (!json_is_object(attributes)) {
        *out = json_incref(attributes); /* not an object: the check says so */
        return 0;
    }
    json_t *o = json_object();
    if (!o) return HUB_ENOMEM;
    json_object_foreach(attributes, k, v)
    {
        if (strncmp(k, "AWS.SNS.", 8) == 0 || strncmp(k, "AWS.MM.", 7) == 0) continue;
        if (json_object_set(o, k, v)) {
            json_decref(o);
            return HUB_ENOMEM;
        }
    }
    *out = o;
    return 0;
}

void aws_mobile_publish(struct aws_req *r, const struct hub_publish_entry *entry)
{
    struct aws_mobile *m = mobile_of(r);
    const char *phone = aws_in_str(r, "PhoneNumber"), *target = aws_in_str(r, "TargetArn");
    struct hub_publish_entry e = *entry;
    char id[HUB_BUS_UUID_LEN + 1];
    json_t *structure = NULL, *checked;
    if (phone && (target || aws_in_str(r, "TopicArn"))) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                 "Invalid parameter: PhoneNumber Reason: give one of TopicArn, TargetArn or "
                 "PhoneNumber");
        return;
    }
    e.group_id = e.dedup_id = NULL; /* no FIFO here */
    int rc = attributes_to_check(entry->attributes, &checked);
    e.attributes = checked;
    if (rc == 0) rc = hub_bus_publish_check(&e, &structure);
    json_decref(checked);
    if (rc) {
        aws_fail(r, rc, "%s", aws_sns_publish_error_text(rc));
        return;
    }
    struct delivery d = {
        .message_id = id,
        .message = entry->message,
        .message_len = entry->message_len,
        .attributes = entry->attributes,
        .structure = structure ? "json" : NULL,
        .subject = entry->subject,
    };
    if (phone) {
        if (!hub_bus_phone_valid(phone)) {
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                     "Invalid parameter: PhoneNumber Reason: %.64s is not valid to publish to",
                     phone);
        } else {
            if (structure) d.message = hub_bus_structure_message(structure, "sms", &d.message_len);
            hub_bus_uuid(id);
            if (!opted_out(m, phone)) record_text(m, phone, &d); /* as SNS: accepted, not sent */
            reply_or_nomem(r, json_pack("{s:s}", "MessageId", id));
        }
        json_decref(structure);
        return;
    }
    struct endpoint *ep = hub_map_get(&m->endpoints, target, strlen(target));
    if (!ep)
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                 "Invalid parameter: TargetArn Reason: No endpoint found for the target arn "
                 "specified");
    else if (!is_true(ep->attrs, "Enabled"))
        aws_fail_raw(r, 400, "EndpointDisabled", "EndpointDisabled", "Endpoint is disabled");
    else if (!is_true(ep->app->attrs, "Enabled"))
        aws_fail_raw(r, 400, "PlatformApplicationDisabled", "PlatformApplicationDisabled",
                     "Platform application is disabled");
    else {
        if (structure)
            d.message = hub_bus_structure_message(structure, ep->app->platform, &d.message_len);
        hub_bus_uuid(id);
        record_push(m, ep->arn, &d);
        reply_or_nomem(r, json_pack("{s:s}", "MessageId", id));
    }
    json_decref(structure);
}

/* ---- SMS: opt-outs, attributes ---- */

static const char *need_phone(struct aws_req *r, const char *member)
{
    const char *phone = aws_need_str(r, member);
    if (phone && !hub_bus_phone_valid(phone)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                 "Invalid parameter: PhoneNumber Reason: input incorrectly formatted");
        return NULL;
    }
    return phone;
}

void aws_sns_check_if_phone_number_is_opted_out(struct aws_req *r)
{
    const char *phone = need_phone(r, "phoneNumber");
    if (phone)
        reply_or_nomem(r, json_pack("{s:b}", "isOptedOut", opted_out(mobile_of(r), phone) ? 1 : 0));
}

static json_t *string_item(const void *v)
{
    return json_string(v);
}

void aws_sns_list_phone_numbers_opted_out(struct aws_req *r)
{
    struct page p = {"phoneNumbers", "nextToken", "nextToken", PAGE, NULL, NULL, string_item};
    reply_page(r, &mobile_of(r)->optouts, &p);
}

void aws_sns_opt_in_phone_number(struct aws_req *r)
{
    struct aws_mobile *m = mobile_of(r);
    const char *phone = need_phone(r, "phoneNumber");
    if (!phone) return;
    hub_free(hub_map_del(&m->optouts, phone, strlen(phone)));
    aws_reply(r, NULL);
}

static const char *const sms_attribute_names[] = {"DefaultSMSType",
                                                  "DefaultSenderID",
                                                  "DeliveryStatusIAMRole",
                                                  "DeliveryStatusSuccessSamplingRate",
                                                  "MonthlySpendLimit",
                                                  "UsageReportS3Bucket",
                                                  NULL};

static int digits(const char *s, size_t max_len)
{
    size_t n = strlen(s);
    if (n == 0 || n > max_len) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* NULL when value fits attribute name, else why not. */
static const char *sms_attribute_bad(const char *name, const char *value)
{
    size_t i, known = 0;
    for (i = 0; sms_attribute_names[i]; i++)
        known |= strcmp(sms_attribute_names[i], name) == 0;
    if (!known) return "is not a valid attribute";
    if (strcmp(name, "DefaultSMSType") == 0 && strcmp(value, "Promotional") != 0 &&
        strcmp(value, "Transactional") != 0)
        return "is invalid (Promotional or Transactional)";
    if (strcmp(name, "DefaultSenderID") == 0) {
        size_t n = strlen(value), letters = 0;
        for (i = 0; i < n; i++) {
            char c = value[i];
            int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (!letter && !(c >= '0' && c <= '9')) return "is not a valid attribute";
            letters += (size_t)letter;
        }
        if (n == 0 || n > 11 || !letters) return "is not a valid attribute";
    }
    if (strcmp(name, "MonthlySpendLimit") == 0 && !digits(value, 9))
        return "must be a whole number of dollars";
    if (strcmp(name, "DeliveryStatusSuccessSamplingRate") == 0 &&
        (!digits(value, 3) || atoi(value) > 100))
        return "must be a percentage, 0 to 100";
    return NULL;
}

void aws_sns_set_sms_attributes(struct aws_req *r)
{
    struct aws_mobile *m = mobile_of(r);
    json_t *attrs, *v;
    const char *k;
    if (in_map(r, "attributes", &attrs) < 0) return;
    json_object_foreach(attrs, k, v)
    {
        const char *why = sms_attribute_bad(k, json_string_value(v));
        if (why) {
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "%.128s %s", k, why);
            return;
        }
    }
    if (attrs && json_object_update(m->sms_attrs, attrs)) {
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    aws_reply(r, NULL);
}

void aws_sns_get_sms_attributes(struct aws_req *r)
{
    struct aws_mobile *m = mobile_of(r);
    const char **names, *k;
    size_t n;
    json_t *v;
    if (aws_in_strings(r, "attributes", &names, &n)) return;
    json_t *attrs = json_object();
    int bad = !attrs;
    json_object_foreach(m->sms_attrs, k, v)
    {
        int want = n == 0;
        for (size_t i = 0; i < n && !want; i++)
            want = strcmp(names[i], k) == 0;
        if (want && !bad) bad = json_object_set(attrs, k, v) != 0;
    }
    hub_free(names);
    if (bad) {
        json_decref(attrs);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    reply_or_nomem(r, json_pack("{s:o}", "attributes", attrs));
}

/* ---- the SMS sandbox ---- */

static const char *const languages[] = {"en-US", "en-GB", "es-419", "es-ES", "de-DE",
                                        "fr-CA", "fr-FR", "it-IT",  "ja-JP", "pt-BR",
                                        "kr-KR", "zh-CN", "zh-TW",  NULL};

static struct sandbox_number *sandbox_from(struct aws_req *r, const char *phone)
{
    struct sandbox_number *s = hub_map_get(&mobile_of(r)->sandbox, phone, strlen(phone));
    if (!s)
        aws_fail(r, HUB_BUS_ERESOURCE_NOT_FOUND,
                 "Resource not found: the phone number is not in the SMS sandbox");
    return s;
}

/* Adds the number, pending, and "sends" it a one-time password: an SMS recorded like any other
 * (GET /_aws/sns/sms-messages shows it), which VerifySMSSandboxPhoneNumber then takes. */
void aws_sns_create_sms_sandbox_phone_number(struct aws_req *r)
{
    struct aws_mobile *m = mobile_of(r);
    const char *phone = need_phone(r, "PhoneNumber"), *lang;
    char id[HUB_BUS_UUID_LEN + 1], text[128];
    if (!phone) return;
    lang = aws_in_str(r, "LanguageCode");
    if (lang) {
        size_t i = 0;
        while (languages[i] && strcmp(languages[i], lang) != 0)
            i++;
        if (!languages[i]) {
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: LanguageCode");
            return;
        }
    }
    if (opted_out(m, phone)) {
        aws_fail_raw(r, 400, "OptedOut", "OptedOut",
                     "Phone number is opted out: opt it in first (OptInPhoneNumber)");
        return;
    }
    struct sandbox_number *s = hub_map_get(&m->sandbox, phone, strlen(phone));
    if (s && s->verified) {
        aws_reply(r, NULL);
        return;
    }
    if (!s) {
        if (!(s = hub_calloc(1, sizeof *s)) || !(s->phone = hub_strdup(phone)) ||
            hub_map_put(&m->sandbox, s->phone, strlen(s->phone), s)) {
            if (s) sandbox_free(s);
            aws_fail(r, HUB_ENOMEM, NULL);
            return;
        }
    }
    uint32_t x;
    hub_random_bytes(&x, sizeof x);
    snprintf(s->otp, sizeof s->otp, "%06u", (unsigned)(x % 1000000u));
    snprintf(text, sizeof text, "Your Amazon SNS verification code is: %s", s->otp);
    hub_bus_uuid(id);
    struct delivery d = {.message_id = id, .message = text, .message_len = strlen(text)};
    record_text(m, phone, &d);
    aws_reply(r, NULL);
}

void aws_sns_delete_sms_sandbox_phone_number(struct aws_req *r)
{
    const char *phone = need_phone(r, "PhoneNumber");
    struct sandbox_number *s = phone ? sandbox_from(r, phone) : NULL;
    if (!s) return;
    hub_map_del(&mobile_of(r)->sandbox, s->phone, strlen(s->phone));
    sandbox_free(s);
    aws_reply(r, NULL);
}

void aws_sns_verify_sms_sandbox_phone_number(struct aws_req *r)
{
    const char *phone = need_phone(r, "PhoneNumber");
    const char *otp = phone ? aws_need_str(r, "OneTimePassword") : NULL;
    if (!otp) return;
    if (strlen(otp) < 5 || !digits(otp, 8)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                 "Invalid parameter: OneTimePassword Reason: 5 to 8 digits");
        return;
    }
    struct sandbox_number *s = sandbox_from(r, phone);
    if (!s) return;
    if (!s->verified && strcmp(s->otp, otp) != 0) {
        aws_fail_raw(r, 400, "VerificationException", "VerificationException",
                     "Invalid one-time password");
        return;
    }
    s->verified = 1;
    s->otp[0] = '\0';
    aws_reply(r, NULL);
}

/* Hubbub's account is out of the sandbox: SMS go to any number (the list is kept for clients
 * that manage it). */
void aws_sns_get_sms_sandbox_account_status(struct aws_req *r)
{
    reply_or_nomem(r, json_pack("{s:b}", "IsInSandbox", 0));
}

static json_t *sandbox_item(const void *v)
{
    const struct sandbox_number *s = v;
    return json_pack("{s:s,s:s}", "PhoneNumber", s->phone, "Status",
                     s->verified ? "Verified" : "Pending");
}

void aws_sns_list_sms_sandbox_phone_numbers(struct aws_req *r)
{
    int64_t max = PAGE;
    if (aws_in_int(r, "MaxResults", 1, 100, &max) < 0) return;
    struct page p = {"PhoneNumbers", "NextToken", "NextToken", (size_t)max,
                     NULL,           NULL,        sandbox_item};
    reply_page(r, &mobile_of(r)->sandbox, &p);
}

/* Hubbub owns no origination numbers (long codes, toll-free numbers): the list is empty. */
void aws_sns_list_origination_numbers(struct aws_req *r)
{
    int64_t max;
    if (aws_in_int(r, "MaxResults", 1, 30, &max) < 0) return;
    reply_or_nomem(r, json_pack("{s:[]}", "PhoneNumbers"));
}

/* ---- data protection policies ---- */

int aws_mobile_policy_check(struct aws_req *r, const char *policy)
{
    json_error_t e;
    json_t *o = json_loads(policy, 0, &e);
    int ok = json_is_object(o);
    json_decref(o);
    if (ok) return 0;
    aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
             "Invalid parameter: DataProtectionPolicy Reason: not a JSON object%s%.80s",
             o ? "" : ": ", o ? "" : e.text);
    return -1;
}

int aws_mobile_policy_put(hub_aws *aws, const char *topic, uint64_t created_ms, const char *policy)
{
    struct aws_mobile *m = aws->mobile;
    char *text = hub_strdup(policy);
    struct policy *p = hub_map_get(&m->policies, topic, strlen(topic));
    if (!text) return HUB_ENOMEM;
    if (!p) {
        if (!(p = hub_calloc(1, sizeof *p)) || !(p->topic = hub_strdup(topic)) ||
            hub_map_put(&m->policies, p->topic, strlen(p->topic), p)) {
            if (p) policy_free(p);
            hub_free(text);
            return HUB_ENOMEM;
        }
    }
    hub_free(p->text);
    p->text = text;
    p->created_ms = created_ms;
    return 0;
}

void aws_mobile_policy_drop(hub_aws *aws, const char *topic)
{
    struct policy *p = hub_map_del(&aws->mobile->policies, topic, strlen(topic));
    if (p) policy_free(p);
}

static void on_policy_topic(void *ud, int err, const struct hub_topic_info *info)
{
    struct aws_req *r = ud;
    struct aws_mobile *m = mobile_of(r);
    if (err) {
        aws_fail(r, err, err == HUB_BUS_ENOT_FOUND ? "Topic does not exist" : NULL);
        return;
    }
    if (r->step) { /* Put */
        if (aws_mobile_policy_put(r->aws, r->topic, info->created_ms,
                                  aws_in_str(r, "DataProtectionPolicy")))
            aws_fail(r, HUB_ENOMEM, NULL);
        else
            aws_reply(r, NULL);
        return;
    }
    struct policy *p = hub_map_get(&m->policies, r->topic, strlen(r->topic));
    if (p && p->created_ms != info->created_ms) { /* left by a deleted topic of that name */
        aws_mobile_policy_drop(r->aws, r->topic);
        p = NULL;
    }
    reply_or_nomem(r, json_pack("{s:s}", "DataProtectionPolicy", p ? p->text : ""));
}

static void policy_request(struct aws_req *r, int put)
{
    hub_bus *bus;
    if (aws_sns_topic_from(r, "ResourceArn")) return;
    if (put) {
        const char *policy = aws_need_str(r, "DataProtectionPolicy");
        if (!policy || aws_mobile_policy_check(r, policy)) return;
    }
    if (!(bus = aws_bus(r))) return;
    r->step = put;
    int rc = hub_bus_topic_get(bus, r->topic, on_policy_topic, r);
    if (rc) aws_fail(r, rc, NULL);
}

void aws_sns_get_data_protection_policy(struct aws_req *r)
{
    policy_request(r, 0);
}

void aws_sns_put_data_protection_policy(struct aws_req *r)
{
    policy_request(r, 1);
}

/* ---- retrospection over HTTP (LocalStack's paths and shapes) ---- */

static void http_json(hub_httpx *x, int status, json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s)
        hub_httpx_reply(x, status, "application/json", NULL, s, strlen(s));
    else
        hub_httpx_reply(x, 500, "text/plain", NULL, "out of memory", 13);
    hub_free(s);
    json_decref(o);
}

static void http_error(hub_httpx *x, int status, const char *message)
{
    http_json(x, status, json_pack("{s:s}", "error", message));
}

/* A query parameter into buf ("" when absent). A phone number's '+' sent unencoded arrives as a
 * space: it is taken back. */
static void param(hub_httpx *x, const char *name, char *buf, size_t len)
{
    if (hub_query_get(hub_httpx_query(x), name, buf, len) < 0) buf[0] = '\0';
    if (buf[0] == ' ' && buf[1] >= '0' && buf[1] <= '9') buf[0] = '+';
}

/* The ARN's n-th ':' field (0-based) into buf. */
static void arn_field(const char *arn, int n, char *buf, size_t len)
{
    const char *p = arn;
    for (int i = 0; i < n && p; i++)
        if ((p = strchr(p, ':'))) p++;
    size_t k = p ? strcspn(p, ":") : 0;
    snprintf(buf, len, "%.*s", (int)(k < len ? k : len - 1), p ? p : "");
}

/* Which records a request selects: 1 when they are this hub's (accountId and region default to
 * its own, or come from the filter ARN), 0 when another account's or region's (none). region gets
 * the answer's "region". */
static int selects_ours(struct aws_mobile *m, hub_httpx *x, const char *arn, char *region,
                        size_t rlen)
{
    char account[64];
    if (arn && *arn) {
        arn_field(arn, 3, region, rlen);
        arn_field(arn, 4, account, sizeof account);
    } else {
        param(x, "region", region, rlen);
        param(x, "accountId", account, sizeof account);
    }
    if (!region[0]) snprintf(region, rlen, "%s", m->aws->region);
    return strcmp(region, m->aws->region) == 0 &&
           (!account[0] || strcmp(account, m->aws->account) == 0);
}

/* GET: {"<list>": {<key value>: [records...]}, "region": ...}, grouped by key (the filter's group
 * is there even when empty). DELETE: drops the selected records, 204. */
static void retrospect(struct aws_mobile *m, hub_httpx *x, struct ring *ring, const char *list,
                       const char *filter, const char *key)
{
    char want[ARN_MAX], region[64];
    param(x, filter, want, sizeof want);
    int ours = selects_ours(m, x, want, region, sizeof region);
    if (strcmp(hub_httpx_method(x), "DELETE") == 0) {
        if (ours) ring_drop(ring, key, want[0] ? want : NULL);
        hub_httpx_reply(x, 204, "text/plain", NULL, "", 0);
        return;
    }
    json_t *groups = json_object();
    int bad = !groups || (want[0] && json_object_set_new(groups, want, json_array()));
    for (size_t i = 0; ours && !bad && i < json_array_size(ring->items); i++) {
        json_t *rec = json_array_get(ring->items, i);
        const char *k = json_string_value(json_object_get(rec, key));
        if (!k || (want[0] && strcmp(k, want) != 0)) continue;
        json_t *g = json_object_get(groups, k);
        if (!g && json_object_set_new(groups, k, g = json_array())) bad = 1;
        if (!bad) bad = json_array_append(g, rec) != 0;
    }
    if (bad) {
        json_decref(groups);
        http_json(x, 500, NULL);
        return;
    }
    http_json(x, 200, json_pack("{s:o,s:s}", list, groups, "region", region));
}

static void on_push_messages(void *ud, hub_httpx *x)
{
    hub_aws *aws = ud;
    retrospect(aws->mobile, x, &aws->mobile->pushes, "platform_endpoint_messages", "endpointArn",
               "TargetArn");
}

static void on_sms_messages(void *ud, hub_httpx *x)
{
    hub_aws *aws = ud;
    retrospect(aws->mobile, x, &aws->mobile->texts, "sms_messages", "phoneNumber", "PhoneNumber");
}

/* POST {"phoneNumber": ..., "accountId": ...}: the number opts out, as a STOP reply would do. */
static void on_phone_opt_out(void *ud, hub_httpx *x)
{
    hub_aws *aws = ud;
    size_t len;
    const char *body = hub_httpx_body(x, &len);
    json_t *o = json_loadb(body, len, 0, NULL);
    const char *phone = json_string_value(json_object_get(o, "phoneNumber"));
    const char *account = json_string_value(json_object_get(o, "accountId"));
    if (!phone || !hub_bus_phone_valid(phone)) {
        json_decref(o);
        http_error(x, 400, "phoneNumber: an E.164 phone number is required");
        return;
    }
    int rc = account && strcmp(account, aws->account) != 0 ? 0 : opt_out(aws->mobile, phone);
    json_decref(o);
    if (rc)
        http_error(x, 500, "out of memory");
    else
        hub_httpx_reply(x, 200, "application/json", NULL, "", 0);
}

int aws_mobile_add_routes(hub_aws *aws, hub_routes *routes)
{
    static const char *const methods[] = {"GET", "DELETE"};
    int rc = 0;
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        rc = hub_routes_add_method(routes, methods[i], "/_aws/sns/platform-endpoint-messages", 0, 0,
                                   on_push_messages, aws);
        if (rc == 0)
            rc = hub_routes_add_method(routes, methods[i], "/_aws/sns/sms-messages", 0, 0,
                                       on_sms_messages, aws);
    }
    if (rc == 0)
        rc = hub_routes_add_method(routes, "POST", "/_aws/sns/phone-opt-outs", HUB_ROUTE_BODY,
                                   64 * 1024, on_phone_opt_out, aws);
    return rc;
}
