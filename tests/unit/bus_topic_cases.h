/* bus_topic_cases.h - the topic semantics every store must have, checked through the bus: topics
 * and subscriptions, fan-out to queues (envelope and raw), rooms and HTTP hooks, filter policies,
 * FIFO topics, subscription dead-letter queues. Included by test_bus_topic.c (the in-memory store)
 * and test_redis_topic.c (the Redis store), each of which defines store_bus_new()
 * (bus_store_test.h) first. BUS_TOPIC_CASES(RUN) runs them all. */
#ifndef HUB_TEST_BUS_TOPIC_CASES_H
#define HUB_TEST_BUS_TOPIC_CASES_H

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bus.h"
#include "bus_store_test.h"
#include "hub_alloc.h"
#include "sns_test_key.h"
#include "testlib.h"

static uv_loop_t loop;
static uv_timer_t guard;
static hub_bus *bus;
static hub_sns_key *sns_key; /* TEST_KEY_PEM: envelopes verify with TEST_CERT_PEM */

#define ARN_Q(name) "arn:aws:sqs:us-east-1:000000000000:" name
#define ARN_T(name) "arn:aws:sns:us-east-1:000000000000:" name

/* ---- hooks ---- */

struct room_call {
    char nsp[64], room[64], topic[64], id[40];
    char body[4096];
    json_t *attrs;
};

struct http_call {
    char sub[40], endpoint[128], type[40], token[80], message[1024], subject[64], topic_arn[128];
    char sub_arn[200], dedup[80], group[40];
    uint64_t seq;
    json_t *attrs;
    char envelope[4096];
};

static struct room_call rooms[16];
static int nrooms;
static struct http_call https[16];
static int nhttp;

struct mobile_call {
    char protocol[16], endpoint[160], message[256], structure[8], topic_arn[128], sub_arn[200];
};

static struct mobile_call mobiles[16];
static int nmobile;

static void copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static void room_sink(void *ud, const char *nsp, const char *room, const char *topic,
                      const char *message_id, const char *body, size_t len, json_t *attributes)
{
    CHECK(ud == &rooms);
    if (nrooms >= 16) return;
    struct room_call *c = &rooms[nrooms++];
    copy(c->nsp, sizeof c->nsp, nsp);
    copy(c->room, sizeof c->room, room);
    copy(c->topic, sizeof c->topic, topic);
    copy(c->id, sizeof c->id, message_id);
    memcpy(c->body, body, len < sizeof c->body ? len : sizeof c->body - 1);
    c->attrs = attributes ? json_deep_copy(attributes) : NULL;
}

static void http_sink(void *ud, const struct hub_subscription *sub,
                      const struct hub_notification *n)
{
    CHECK(ud == &https);
    if (nhttp >= 16) return;
    struct http_call *c = &https[nhttp++];
    copy(c->sub, sizeof c->sub, sub->id);
    copy(c->endpoint, sizeof c->endpoint, sub->endpoint);
    copy(c->type, sizeof c->type, n->type);
    copy(c->token, sizeof c->token, n->token);
    copy(c->subject, sizeof c->subject, n->subject);
    copy(c->topic_arn, sizeof c->topic_arn, n->topic_arn);
    copy(c->sub_arn, sizeof c->sub_arn, n->subscription_arn);
    copy(c->dedup, sizeof c->dedup, n->dedup_id);
    copy(c->group, sizeof c->group, n->group_id);
    c->seq = n->sequence_number;
    memcpy(c->message, n->message,
           n->message_len < sizeof c->message ? n->message_len : sizeof c->message - 1);
    c->attrs = n->attributes ? json_deep_copy(n->attributes) : NULL;
    char *env = NULL;
    size_t len = 0;
    if (hub_bus_envelope(bus, n, &env, &len) == 0) {
        copy(c->envelope, sizeof c->envelope, env);
        hub_free(env);
    }
}

static void mobile_sink(void *ud, const struct hub_subscription *sub,
                        const struct hub_notification *n)
{
    CHECK(ud == &mobiles);
    if (nmobile >= 16) return;
    struct mobile_call *c = &mobiles[nmobile++];
    copy(c->protocol, sizeof c->protocol, sub->protocol);
    copy(c->endpoint, sizeof c->endpoint, sub->endpoint);
    copy(c->structure, sizeof c->structure, n->message_structure);
    copy(c->topic_arn, sizeof c->topic_arn, n->topic_arn);
    copy(c->sub_arn, sizeof c->sub_arn, n->subscription_arn);
    memcpy(c->message, n->message,
           n->message_len < sizeof c->message ? n->message_len : sizeof c->message - 1);
}

static void hooks_reset(void)
{
    for (int i = 0; i < nrooms; i++)
        json_decref(rooms[i].attrs);
    for (int i = 0; i < nhttp; i++)
        json_decref(https[i].attrs);
    memset(rooms, 0, sizeof rooms);
    memset(https, 0, sizeof https);
    memset(mobiles, 0, sizeof mobiles);
    nrooms = nhttp = nmobile = 0;
}

static void bus_up(const struct store_opts *opt)
{
    CHECK_INT(uv_loop_init(&loop), 0);
    uv_timer_init(&loop, &guard);
    sns_key = sns_test_key_new();
    CHECK(sns_key != NULL);
    struct hub_bus_options o = {
        .public_url = "http://127.0.0.1:4566", .signing_secret = "s3cret", .signing_key = sns_key};
    bus = store_bus_new(&loop, opt, &o);
    CHECK(bus != NULL);
    hub_bus_set_room_sink(bus, room_sink, &rooms);
    hub_bus_set_http_sink(bus, http_sink, &https);
    hub_bus_set_mobile_sink(bus, mobile_sink, &mobiles);
    hooks_reset();
}

static void bus_down(void)
{
    hub_bus_free(bus);
    bus = NULL;
    hub_sns_key_unref(sns_key);
    sns_key = NULL;
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
    hooks_reset();
}

static void on_guard(uv_timer_t *t)
{
    *(int *)t->data = 1;
}

static int run_until(int *flag, uint64_t ms)
{
    int expired = 0;
    guard.data = &expired;
    uv_timer_start(&guard, on_guard, ms, 0);
    while (!*flag && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    uv_timer_stop(&guard);
    return *flag;
}

static void run_for(uint64_t ms)
{
    int never = 0;
    run_until(&never, ms);
}

/* Runs the loop until the HTTP hook was called n times (a confirmation goes out once the bus
 * read its topic's SignatureVersion). */
static int wait_http(int n)
{
    int expired = 0;
    guard.data = &expired;
    uv_timer_start(&guard, on_guard, 5000, 0);
    while (nhttp < n && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    uv_timer_stop(&guard);
    return nhttp >= n;
}

/* 1 when body is an envelope of SignatureVersion version that holds with the test certificate. */
static int signed_with(const char *body, int version)
{
    char want[40];
    snprintf(want, sizeof want, "\"SignatureVersion\" : \"%d\"", version);
    return strstr(body, want) &&
           hub_sns_envelope_verify(body, strlen(body), TEST_CERT_PEM,
                                   sizeof TEST_CERT_PEM - 1) == 0;
}

/* ---- results ---- */

struct res {
    int done, err;
    size_t n;
    struct {
        int err, dup;
        char id[40], msg_id[40], dedup[80];
        uint64_t seq;
    } p[HUB_BUS_BATCH_MAX];
    struct {
        char body[4096], group[40], dedup[80];
        uint64_t seq;
        json_t *attrs;
    } m[HUB_BUS_BATCH_MAX];
    struct {
        char id[40], topic[64], protocol[16], endpoint[128], token[80];
        int pending, raw;
        json_t *attrs;
    } s[16];
    char names[16][64];
    json_t *json;
    int created;
};

static struct res *res_new(void)
{
    return calloc(1, sizeof(struct res));
}

static void res_reset(struct res *r)
{
    for (size_t i = 0; i < HUB_BUS_BATCH_MAX; i++)
        json_decref(r->m[i].attrs);
    for (size_t i = 0; i < 16; i++)
        json_decref(r->s[i].attrs);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

static void res_free(struct res *r)
{
    res_reset(r);
    free(r);
}

static void on_done(void *ud, int err)
{
    struct res *r = ud;
    r->done++;
    r->err = err;
}

static void on_tinfo(void *ud, int err, const struct hub_topic_info *info)
{
    struct res *r = ud;
    r->done++;
    r->err = err;
    if (!info) return;
    r->created = info->created;
    CHECK_INT(hub_topic_info_attributes(bus, info, &r->json), 0);
    json_object_set_new(r->json, "(tags)", json_deep_copy(info->tags));
}

static void sub_copy(struct res *r, size_t i, const struct hub_subscription *s)
{
    copy(r->s[i].id, sizeof r->s[i].id, s->id);
    copy(r->s[i].topic, sizeof r->s[i].topic, s->topic);
    copy(r->s[i].protocol, sizeof r->s[i].protocol, s->protocol);
    copy(r->s[i].endpoint, sizeof r->s[i].endpoint, s->endpoint);
    copy(r->s[i].token, sizeof r->s[i].token, s->token);
    r->s[i].pending = s->pending;
    r->s[i].raw = s->raw;
    json_decref(r->s[i].attrs);
    r->s[i].attrs = NULL;
    if (bus) /* NULL once the test freed it */
        CHECK_INT(hub_subscription_attributes(bus, s, &r->s[i].attrs), 0);
}

static void on_sub(void *ud, int err, const struct hub_subscription *s)
{
    struct res *r = ud;
    r->done++;
    r->err = err;
    r->n = s ? 1 : 0;
    if (s) sub_copy(r, 0, s);
}

static void on_subs(void *ud, int err, const struct hub_subscription *s, size_t n)
{
    struct res *r = ud;
    r->done++;
    r->err = err;
    r->n = n;
    for (size_t i = 0; i < n && i < 16; i++)
        sub_copy(r, i, &s[i]);
}

static void on_names(void *ud, int err, const char *const *names, size_t n)
{
    struct res *r = ud;
    r->done++;
    r->err = err;
    r->n = n;
    for (size_t i = 0; i < n && i < 16; i++)
        copy(r->names[i], sizeof r->names[i], names[i]);
}

static void on_published(void *ud, int err, const struct hub_publish_result *p, size_t n)
{
    struct res *r = ud;
    r->done++;
    r->err = err;
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        r->p[i].err = p[i].err;
        r->p[i].dup = p[i].duplicate;
        r->p[i].seq = p[i].sequence_number;
        copy(r->p[i].id, sizeof r->p[i].id, p[i].id);
        copy(r->p[i].msg_id, sizeof r->p[i].msg_id, p[i].err ? NULL : p[i].message_id);
        copy(r->p[i].dedup, sizeof r->p[i].dedup, p[i].err ? NULL : p[i].dedup_id);
    }
}

static void on_info(void *ud, int err, const struct hub_queue_info *info)
{
    struct res *r = ud;
    r->done++;
    r->err = err;
    r->n = info ? info->visible : 0;
}

static void on_recv(void *ud, int err, const struct hub_message *m, size_t n)
{
    struct res *r = ud;
    r->done++;
    r->err = err;
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        memset(r->m[i].body, 0, sizeof r->m[i].body);
        memcpy(r->m[i].body, m[i].body,
               m[i].body_len < sizeof r->m[i].body ? m[i].body_len : sizeof r->m[i].body - 1);
        copy(r->m[i].group, sizeof r->m[i].group, m[i].group_id);
        copy(r->m[i].dedup, sizeof r->m[i].dedup, m[i].dedup_id);
        r->m[i].seq = m[i].sequence_number;
        json_decref(r->m[i].attrs);
        r->m[i].attrs = m[i].attributes ? json_deep_copy(m[i].attributes) : NULL;
    }
}

static int await(int rc, struct res *r)
{
    if (rc) return rc;
    CHECK_INT(r->done, 0);
    CHECK(run_until(&r->done, 5000));
    CHECK_INT(r->done, 1);
    return r->err;
}

/* ---- helpers ---- */

static int create_topic(const char *name, const struct hub_topic_config *cfg)
{
    struct res *r = res_new();
    struct hub_topic_config def;
    hub_topic_config_init(&def);
    def.fifo = strstr(name, ".fifo") != NULL;
    int rc = await(hub_bus_topic_create(bus, name, cfg ? cfg : &def, NULL, on_tinfo, r), r);
    res_free(r);
    return rc;
}

static int create_queue(const char *name)
{
    struct res *r = res_new();
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    c.fifo = strstr(name, ".fifo") != NULL;
    int rc = await(hub_bus_queue_create(bus, name, &c, NULL, on_info, r), r);
    res_free(r);
    return rc;
}

/* Subscribes with attributes given as an SNS attribute object (JSON text, or NULL); the new
 * subscription's id goes to id. */
static int subscribe(const char *topic, const char *protocol, const char *endpoint,
                     const char *attrs_json, char *id, struct res *out)
{
    struct res *r = out ? out : res_new();
    struct hub_sub_config c;
    hub_sub_config_init(&c);
    json_t *a = attrs_json ? json_loads(attrs_json, 0, NULL) : NULL;
    int rc = hub_sub_config_parse(&c, a, NULL);
    if (!rc) {
        res_reset(r);
        rc = await(hub_bus_subscribe(bus, topic, protocol, endpoint, &c, on_sub, r), r);
    }
    if (!rc && id) copy(id, 40, r->s[0].id);
    hub_sub_config_clear(&c);
    json_decref(a);
    if (!out) res_free(r);
    return rc;
}

static int publish(const char *topic, const char *message, const char *attrs_json,
                   const char *group, const char *dedup, struct res *r)
{
    json_t *a = attrs_json ? json_loads(attrs_json, 0, NULL) : NULL;
    struct hub_publish_entry e = {
        .message = message,
        .message_len = strlen(message),
        .attributes = a,
        .group_id = group,
        .dedup_id = dedup,
    };
    res_reset(r);
    int rc = await(hub_bus_publish(bus, topic, &e, 1, on_published, r), r);
    json_decref(a);
    return rc ? rc : r->p[0].err;
}

static size_t queue_count(const char *q)
{
    struct res *r = res_new();
    CHECK_INT(await(hub_bus_queue_get(bus, q, on_info, r), r), 0);
    size_t n = r->n;
    res_free(r);
    return n;
}

static int receive(const char *q, uint32_t max, int64_t wait, struct res *r)
{
    struct hub_receive_opts o = {.max_messages = max, .visibility_ms = -1, .wait_ms = wait};
    res_reset(r);
    int rc = hub_bus_receive(bus, q, &o, on_recv, r, NULL);
    if (rc) return rc;
    CHECK(run_until(&r->done, 5000 + (uint64_t)wait));
    return r->err;
}

/* ---- tests ---- */

static void test_topic_crud(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    json_t *tags = json_pack("{s:s}", "team", "a");
    struct hub_topic_config c;
    hub_topic_config_init(&c);
    json_t *a = json_pack("{s:s}", "DisplayName", "Events");
    CHECK_INT(hub_topic_config_parse(&c, a, 1, NULL), 0);
    json_decref(a);
    CHECK_INT(await(hub_bus_topic_create(bus, "events", &c, tags, on_tinfo, r), r), 0);
    json_decref(tags);
    CHECK_INT(r->created, 1);
    CHECK_STR(json_string_value(json_object_get(r->json, "TopicArn")), ARN_T("events"));
    CHECK_STR(json_string_value(json_object_get(r->json, "DisplayName")), "Events");
    CHECK_STR(json_string_value(json_object_get(r->json, "Owner")), "000000000000");
    CHECK_STR(json_string_value(json_object_get(r->json, "SubscriptionsConfirmed")), "0");
    CHECK(json_object_get(r->json, "Policy") &&
          json_object_get(r->json, "EffectiveDeliveryPolicy"));
    CHECK(json_object_get(r->json, "FifoTopic") == NULL);
    CHECK_STR(json_string_value(json_object_get(json_object_get(r->json, "(tags)"), "team")), "a");
    /* Same attributes: the existing topic; different: InvalidParameter. */
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_create(bus, "events", &c, NULL, on_tinfo, r), r), 0);
    CHECK_INT(r->created, 0);
    hub_topic_config_clear(&c);
    a = json_pack("{s:s}", "DisplayName", "Other");
    CHECK_INT(hub_topic_config_parse(&c, a, 1, NULL), 0);
    json_decref(a);
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_create(bus, "events", &c, NULL, on_tinfo, r), r),
              HUB_BUS_EINVALID_PARAMETER);
    /* Set attributes. */
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_set(bus, "events", &c, on_done, r), r), 0);
    hub_topic_config_clear(&c);
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_get(bus, "events", on_tinfo, r), r), 0);
    CHECK_STR(json_string_value(json_object_get(r->json, "DisplayName")), "Other");

    /* Names and kinds. */
    hub_topic_config_init(&c);
    CHECK_INT(hub_bus_topic_create(bus, "bad name", &c, NULL, on_tinfo, r),
              HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(hub_bus_topic_create(bus, "x.fifo", &c, NULL, on_tinfo, r),
              HUB_BUS_EINVALID_PARAMETER);
    c.set = HUB_TCFG_CONTENT_DEDUP;
    c.content_dedup = 1;
    CHECK_INT(create_topic("std", &c), HUB_BUS_EINVALID_PARAMETER);
    c.fifo = 1;
    c.set = HUB_TCFG_FIFO | HUB_TCFG_CONTENT_DEDUP;
    CHECK_INT(create_topic("orders.fifo", &c), 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_get(bus, "orders.fifo", on_tinfo, r), r), 0);
    CHECK_STR(json_string_value(json_object_get(r->json, "FifoTopic")), "true");
    CHECK_STR(json_string_value(json_object_get(r->json, "ContentBasedDeduplication")), "true");

    res_reset(r);
    CHECK_INT(await(hub_bus_topic_list(bus, on_names, r), r), 0);
    CHECK_INT(r->n, 2);
    CHECK_STR(r->names[0], "events");
    CHECK_STR(r->names[1], "orders.fifo");

    /* Tags. */
    tags = json_pack("{s:s,s:s}", "a", "1", "b", "2");
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_tag(bus, "events", tags, on_done, r), r), 0);
    json_decref(tags);
    const char *keys[] = {"a", "team"};
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_untag(bus, "events", keys, 2, on_done, r), r), 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_get(bus, "events", on_tinfo, r), r), 0);
    json_t *t = json_object_get(r->json, "(tags)");
    CHECK_INT(json_object_size(t), 1);
    CHECK_STR(json_string_value(json_object_get(t, "b")), "2");

    /* Delete: idempotent, as SNS. */
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_delete(bus, "events", on_done, r), r), 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_delete(bus, "events", on_done, r), r), 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_get(bus, "events", on_tinfo, r), r), HUB_BUS_ENOT_FOUND);
    CHECK_INT(publish("events", "x", NULL, NULL, NULL, r), HUB_BUS_ENOT_FOUND);

    /* Attribute parsing. */
    hub_topic_config_init(&c);
    a = json_pack("{s:s}", "FifoTopic", "true");
    CHECK_INT(hub_topic_config_parse(&c, a, 0, NULL), HUB_BUS_EINVALID_PARAMETER);
    json_decref(a);
    a = json_pack("{s:s}", "Bogus", "x");
    const char *bad = NULL;
    CHECK_INT(hub_topic_config_parse(&c, a, 1, &bad), HUB_BUS_EINVALID_PARAMETER);
    CHECK_STR(bad, "Bogus");
    json_decref(a);
    a = json_pack("{s:s}", "HTTPSuccessFeedbackRoleArn", "arn:aws:iam::0:role/x");
    CHECK_INT(hub_topic_config_parse(&c, a, 1, NULL), 0);
    json_decref(a);
    hub_topic_config_clear(&c);
    res_free(r);
    bus_down();
}

static void test_fanout_queue_envelope(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_topic("events", NULL), 0);
    CHECK_INT(create_queue("orders"), 0);
    char sub[40];
    CHECK_INT(subscribe("events", "sqs", ARN_Q("orders"), NULL, sub, r), 0);
    CHECK_INT(r->s[0].pending, 0);
    json_t *a = json_pack("{s:{s:s,s:s},s:{s:s,s:s}}", "kind", "DataType", "String", "StringValue",
                          "created", "n", "DataType", "Number", "StringValue", "7");
    struct hub_publish_entry e = {
        .message = "hi there", .message_len = 8, .subject = "subj", .attributes = a};
    res_reset(r);
    CHECK_INT(await(hub_bus_publish(bus, "events", &e, 1, on_published, r), r), 0);
    json_decref(a);
    CHECK_INT(r->p[0].err, 0);
    char msg_id[40];
    copy(msg_id, sizeof msg_id, r->p[0].msg_id);
    CHECK_INT(strlen(msg_id), 36);

    CHECK_INT(receive("orders", 10, 1000, r), 0);
    CHECK_INT(r->n, 1);
    CHECK(r->m[0].attrs == NULL);
    json_t *env = json_loads(r->m[0].body, 0, NULL);
    CHECK(env != NULL);
    CHECK_STR(json_string_value(json_object_get(env, "Type")), "Notification");
    CHECK_STR(json_string_value(json_object_get(env, "MessageId")), msg_id);
    CHECK_STR(json_string_value(json_object_get(env, "TopicArn")), ARN_T("events"));
    CHECK_STR(json_string_value(json_object_get(env, "Subject")), "subj");
    CHECK_STR(json_string_value(json_object_get(env, "Message")), "hi there");
    CHECK(json_string_value(json_object_get(env, "Timestamp")) != NULL);
    CHECK(json_string_value(json_object_get(env, "Signature")) != NULL);
    CHECK(json_string_value(json_object_get(env, "SignatureVersion")) != NULL);
    const char *unsub = json_string_value(json_object_get(env, "UnsubscribeURL"));
    CHECK(unsub && strstr(unsub, "http://127.0.0.1:4566/") == unsub && strstr(unsub, sub));
    json_t *ma = json_object_get(env, "MessageAttributes");
    CHECK_STR(json_string_value(json_object_get(json_object_get(ma, "kind"), "Type")), "String");
    CHECK_STR(json_string_value(json_object_get(json_object_get(ma, "kind"), "Value")), "created");
    CHECK_STR(json_string_value(json_object_get(json_object_get(ma, "n"), "Type")), "Number");
    json_decref(env);
    res_free(r);
    bus_down();
}

static void test_raw_delivery(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_topic("events", NULL), 0);
    CHECK_INT(create_queue("raw"), 0);
    CHECK_INT(
        subscribe("events", "sqs", ARN_Q("raw"), "{\"RawMessageDelivery\":\"true\"}", NULL, r), 0);
    CHECK_INT(r->s[0].raw, 1);
    CHECK_STR(json_string_value(json_object_get(r->s[0].attrs, "RawMessageDelivery")), "true");
    CHECK_INT(publish("events", "{\"order\":1}",
                      "{\"kind\":{\"DataType\":\"String\",\"StringValue\":\"created\"},"
                      "\"bin\":{\"DataType\":\"Binary\",\"BinaryValue\":\"eHl6\"}}",
                      NULL, NULL, r),
              0);
    CHECK_INT(receive("raw", 10, 1000, r), 0);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->m[0].body, "{\"order\":1}");
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(r->m[0].attrs, "kind"), "StringValue")),
        "created");
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(r->m[0].attrs, "bin"), "BinaryValue")),
        "eHl6");
    res_free(r);
    bus_down();
}

static void test_filter_policies(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_topic("events", NULL), 0);
    CHECK_INT(create_queue("created"), 0);
    CHECK_INT(create_queue("big"), 0);
    CHECK_INT(create_queue("paid"), 0);
    CHECK_INT(create_queue("all"), 0);
    CHECK_INT(subscribe("events", "sqs", ARN_Q("created"),
                        "{\"FilterPolicy\":\"{\\\"kind\\\":[\\\"created\\\"]}\"}", NULL, r),
              0);
    CHECK_STR(json_string_value(json_object_get(r->s[0].attrs, "FilterPolicyScope")),
              "MessageAttributes");
    CHECK_INT(subscribe("events", "sqs", ARN_Q("big"),
                        "{\"FilterPolicy\":\"{\\\"n\\\":[{\\\"numeric\\\":[\\\">\\\",5]}]}\"}",
                        NULL, NULL),
              0);
    CHECK_INT(subscribe("events", "sqs", ARN_Q("paid"),
                        "{\"FilterPolicyScope\":\"MessageBody\",\"FilterPolicy\":"
                        "\"{\\\"order\\\":{\\\"status\\\":[\\\"paid\\\"]}}\"}",
                        NULL, r),
              0);
    CHECK_STR(json_string_value(json_object_get(r->s[0].attrs, "FilterPolicyScope")),
              "MessageBody");
    CHECK_INT(subscribe("events", "sqs", ARN_Q("all"), NULL, NULL, NULL), 0);

    CHECK_INT(publish("events", "plain",
                      "{\"kind\":{\"DataType\":\"String\",\"StringValue\":\"created\"},"
                      "\"n\":{\"DataType\":\"Number\",\"StringValue\":\"3\"}}",
                      NULL, NULL, r),
              0);
    CHECK_INT(publish("events", "plain",
                      "{\"kind\":{\"DataType\":\"String\",\"StringValue\":\"deleted\"},"
                      "\"n\":{\"DataType\":\"Number\",\"StringValue\":\"10\"}}",
                      NULL, NULL, r),
              0);
    CHECK_INT(publish("events", "{\"order\":{\"status\":\"paid\",\"id\":3}}", NULL, NULL, NULL, r),
              0);
    CHECK_INT(publish("events", "{\"order\":{\"status\":\"open\"}}", NULL, NULL, NULL, r), 0);
    CHECK_INT(publish("events", "not json", NULL, NULL, NULL, r), 0);
    run_for(10);
    CHECK_INT(queue_count("created"), 1);
    CHECK_INT(queue_count("big"), 1);
    CHECK_INT(queue_count("paid"), 1);
    CHECK_INT(queue_count("all"), 5);

    /* A policy SNS would reject is refused at subscribe time. */
    CHECK_INT(subscribe("events", "sqs", ARN_Q("all"),
                        "{\"FilterPolicy\":\"{\\\"kind\\\":\\\"x\\\"}\"}", NULL, NULL),
              HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(
        subscribe("events", "sqs", ARN_Q("all"), "{\"FilterPolicy\":\"not json\"}", NULL, NULL),
        HUB_BUS_EINVALID_PARAMETER);

    /* Changing a subscription's policy takes effect for the next publish. */
    res_reset(r);
    CHECK_INT(await(hub_bus_subscriptions_list(bus, "events", on_subs, r), r), 0);
    CHECK_INT(r->n, 4);
    char created_sub[40];
    copy(created_sub, sizeof created_sub, r->s[0].id);
    CHECK_STR(r->s[0].endpoint, ARN_Q("created"));
    struct hub_sub_config c;
    hub_sub_config_init(&c);
    c.set = HUB_SCFG_FILTER;
    c.filter_policy = "{\"kind\":[\"deleted\"]}";
    res_reset(r);
    CHECK_INT(await(hub_bus_subscription_set(bus, created_sub, &c, on_done, r), r), 0);
    CHECK_INT(publish("events", "plain",
                      "{\"kind\":{\"DataType\":\"String\",\"StringValue\":\"deleted\"}}", NULL,
                      NULL, r),
              0);
    CHECK_INT(publish("events", "plain",
                      "{\"kind\":{\"DataType\":\"String\",\"StringValue\":\"created\"}}", NULL,
                      NULL, r),
              0);
    run_for(10);
    CHECK_INT(queue_count("created"), 2);
    /* Removing the policy delivers everything. */
    c.filter_policy = "";
    res_reset(r);
    CHECK_INT(await(hub_bus_subscription_set(bus, created_sub, &c, on_done, r), r), 0);
    CHECK_INT(publish("events", "plain", NULL, NULL, NULL, r), 0);
    run_for(10);
    CHECK_INT(queue_count("created"), 3);
    res_free(r);
    bus_down();
}

static void test_room_sink(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_topic("chat", NULL), 0);
    CHECK_INT(
        subscribe("chat", "room", "/chat#lobby", "{\"RawMessageDelivery\":\"true\"}", NULL, NULL),
        0);
    CHECK_INT(subscribe("chat", "room", "/#a#b", NULL, NULL, NULL), 0);
    CHECK_INT(subscribe("chat", "room", "nohash", NULL, NULL, NULL), HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(subscribe("chat", "room", "#room", NULL, NULL, NULL), HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(publish("chat", "hello room",
                      "{\"from\":{\"DataType\":\"String\",\"StringValue\":\"ann\"}}", NULL, NULL,
                      r),
              0);
    CHECK_INT(nrooms, 2);
    CHECK_STR(rooms[0].nsp, "/chat");
    CHECK_STR(rooms[0].room, "lobby");
    CHECK_STR(rooms[0].topic, "chat");
    CHECK_STR(rooms[0].id, r->p[0].msg_id);
    CHECK_STR(rooms[0].body, "hello room");
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(rooms[0].attrs, "from"), "StringValue")),
        "ann");
    /* Not raw: the envelope; the room is what follows the first '#'. */
    CHECK_STR(rooms[1].nsp, "/");
    CHECK_STR(rooms[1].room, "a#b");
    json_t *env = json_loads(rooms[1].body, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(env, "Message")), "hello room");
    json_decref(env);
    /* Without a hook, room deliveries are dropped. */
    hub_bus_set_room_sink(bus, NULL, NULL);
    CHECK_INT(publish("chat", "nobody", NULL, NULL, NULL, r), 0);
    CHECK_INT(nrooms, 2);
    res_free(r);
    bus_down();
}

static void test_http_confirmation(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_topic("events", NULL), 0);
    CHECK_INT(subscribe("events", "http", "ftp://x", NULL, NULL, NULL), HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(subscribe("events", "https", "http://x", NULL, NULL, NULL),
              HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(subscribe("events", "email", "a@b", NULL, NULL, NULL), HUB_BUS_EINVALID_PARAMETER);
    char sub[40];
    CHECK_INT(subscribe("events", "http", "http://127.0.0.1:9/hook", NULL, sub, r), 0);
    CHECK_INT(r->s[0].pending, 1);
    CHECK_INT(strlen(r->s[0].token), 64);
    CHECK_STR(json_string_value(json_object_get(r->s[0].attrs, "PendingConfirmation")), "true");
    char token[80];
    copy(token, sizeof token, r->s[0].token);
    /* The confirmation went to the HTTP hook (after the subscribe callback). */
    CHECK(wait_http(1));
    CHECK_INT(nhttp, 1);
    CHECK(signed_with(https[0].envelope, 1));
    CHECK_STR(https[0].type, "SubscriptionConfirmation");
    CHECK_STR(https[0].token, token);
    CHECK_STR(https[0].sub, sub);
    CHECK_STR(https[0].topic_arn, ARN_T("events"));
    json_t *env = json_loads(https[0].envelope, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(env, "Type")), "SubscriptionConfirmation");
    CHECK_STR(json_string_value(json_object_get(env, "Token")), token);
    const char *surl = json_string_value(json_object_get(env, "SubscribeURL"));
    CHECK(surl && strstr(surl, "Action=ConfirmSubscription") && strstr(surl, token));
    json_decref(env);
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_get(bus, "events", on_tinfo, r), r), 0);
    CHECK_STR(json_string_value(json_object_get(r->json, "SubscriptionsPending")), "1");

    /* Pending: no notifications. */
    CHECK_INT(publish("events", "early", NULL, NULL, NULL, r), 0);
    CHECK_INT(nhttp, 1);
    res_reset(r);
    CHECK_INT(await(hub_bus_confirm_subscription(bus, "events", "wrong", on_sub, r), r),
              HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(hub_bus_confirm_subscription(bus, "events", "", on_sub, r),
              HUB_BUS_EINVALID_PARAMETER);
    res_reset(r);
    CHECK_INT(await(hub_bus_confirm_subscription(bus, "nope", token, on_sub, r), r),
              HUB_BUS_ENOT_FOUND);
    res_reset(r);
    CHECK_INT(await(hub_bus_confirm_subscription(bus, "events", token, on_sub, r), r), 0);
    CHECK_INT(r->s[0].pending, 0);
    CHECK_STR(r->s[0].id, sub);
    /* Confirming again is harmless. */
    res_reset(r);
    CHECK_INT(await(hub_bus_confirm_subscription(bus, "events", token, on_sub, r), r), 0);

    CHECK_INT(publish("events", "now", "{\"k\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}",
                      NULL, NULL, r),
              0);
    CHECK_INT(nhttp, 2);
    CHECK_STR(https[1].type, "Notification");
    CHECK_STR(https[1].message, "now");
    CHECK_STR(https[1].endpoint, "http://127.0.0.1:9/hook");
    CHECK(strstr(https[1].sub_arn, sub) != NULL);
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(https[1].attrs, "k"), "StringValue")),
        "v");
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_get(bus, "events", on_tinfo, r), r), 0);
    CHECK_STR(json_string_value(json_object_get(r->json, "SubscriptionsConfirmed")), "1");
    CHECK_STR(json_string_value(json_object_get(r->json, "SubscriptionsPending")), "0");
    res_free(r);
    bus_down();
}

/* Envelopes are signed as the topic's SignatureVersion says (SNS's default 1), to queues and to
 * HTTP endpoints, confirmations included, and verify with the key's certificate. */
static void test_signature_versions(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    struct hub_topic_config c;
    hub_topic_config_init(&c);
    json_t *a = json_pack("{s:s}", "SignatureVersion", "2");
    CHECK_INT(hub_topic_config_parse(&c, a, 1, NULL), 0);
    json_decref(a);
    CHECK_INT(create_topic("v2", &c), 0);
    hub_topic_config_clear(&c);
    CHECK_INT(create_topic("v1", NULL), 0);
    CHECK_INT(create_queue("q"), 0);
    CHECK_INT(subscribe("v1", "sqs", ARN_Q("q"), NULL, NULL, NULL), 0);
    CHECK_INT(subscribe("v2", "sqs", ARN_Q("q"), NULL, NULL, NULL), 0);

    CHECK_INT(publish("v1", "one", NULL, NULL, NULL, r), 0);
    CHECK_INT(receive("q", 1, 1000, r), 0);
    CHECK_INT(r->n, 1);
    CHECK(signed_with(r->m[0].body, 1));
    CHECK_INT(publish("v2", "two", NULL, NULL, NULL, r), 0);
    CHECK_INT(receive("q", 1, 1000, r), 0);
    CHECK_INT(r->n, 1);
    CHECK(signed_with(r->m[0].body, 2));
    /* A tampered message no longer verifies. */
    char *p = strstr(r->m[0].body, "\"Message\" : \"two\"");
    CHECK(p != NULL);
    if (p) p[14] = 'T';
    CHECK(!signed_with(r->m[0].body, 2));

    /* HTTP: the confirmation and the notifications follow the topic too. */
    CHECK_INT(subscribe("v2", "https", "https://127.0.0.1:9/hook", NULL, NULL, r), 0);
    CHECK(wait_http(1));
    CHECK_STR(https[0].type, "SubscriptionConfirmation");
    CHECK(signed_with(https[0].envelope, 2));
    res_reset(r);
    CHECK_INT(await(hub_bus_confirm_subscription(bus, "v2", https[0].token, on_sub, r), r), 0);
    CHECK_INT(publish("v2", "three", NULL, NULL, NULL, r), 0);
    CHECK(wait_http(2));
    CHECK(signed_with(https[1].envelope, 2));

    /* SetTopicAttributes: back to 1 ("" resets, as the attribute's absence); others refused. */
    a = json_pack("{s:s}", "SignatureVersion", "3");
    hub_topic_config_init(&c);
    CHECK_INT(hub_topic_config_parse(&c, a, 0, NULL), HUB_BUS_EINVALID_PARAMETER);
    hub_topic_config_clear(&c);
    json_decref(a);
    a = json_pack("{s:s}", "SignatureVersion", "1");
    hub_topic_config_init(&c);
    CHECK_INT(hub_topic_config_parse(&c, a, 0, NULL), 0);
    json_decref(a);
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_set(bus, "v2", &c, on_done, r), r), 0);
    hub_topic_config_clear(&c);
    CHECK_INT(publish("v2", "four", NULL, NULL, NULL, r), 0);
    CHECK(wait_http(3));
    CHECK(signed_with(https[2].envelope, 1));
    res_free(r);
    bus_down();
}

static void test_fifo_topic(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_topic("orders.fifo", NULL), 0);
    CHECK_INT(create_queue("q.fifo"), 0);
    CHECK_INT(create_queue("std"), 0);
    CHECK_INT(subscribe("orders.fifo", "sqs", ARN_Q("std"), NULL, NULL, NULL),
              HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(create_topic("plain", NULL), 0);
    CHECK_INT(subscribe("plain", "sqs", ARN_Q("q.fifo"), NULL, NULL, NULL),
              HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(subscribe("orders.fifo", "sqs", ARN_Q("q.fifo"), NULL, NULL, NULL), 0);
    CHECK_INT(subscribe("orders.fifo", "http", "http://h/x", NULL, NULL, NULL), 0);
    CHECK(wait_http(1));
    CHECK_INT(hub_bus_confirm_subscription(bus, "orders.fifo", https[0].token, on_sub, r), 0);
    CHECK(run_until(&r->done, 1000));

    CHECK_INT(publish("orders.fifo", "m1", NULL, NULL, "d1", r), HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(publish("orders.fifo", "m1", NULL, "g1", NULL, r), HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(publish("orders.fifo", "m1", NULL, "g1", "d1", r), 0);
    uint64_t seq1 = r->p[0].seq;
    char id1[40];
    copy(id1, sizeof id1, r->p[0].msg_id);
    CHECK(seq1 > 0);
    CHECK_INT(publish("orders.fifo", "m2", NULL, "g1", "d2", r), 0);
    CHECK(r->p[0].seq > seq1);
    /* Duplicate: same id back, not delivered again. */
    CHECK_INT(publish("orders.fifo", "m1 again", NULL, "g1", "d1", r), 0);
    CHECK_INT(r->p[0].dup, 1);
    CHECK_STR(r->p[0].msg_id, id1);
    CHECK(r->p[0].seq == seq1);
    CHECK_INT(nhttp, 3);
    CHECK_STR(https[1].group, "g1");
    CHECK_STR(https[1].dedup, "d1");
    CHECK(https[1].seq == seq1);
    json_t *env = json_loads(https[1].envelope, 0, NULL);
    CHECK(json_string_value(json_object_get(env, "SequenceNumber")) != NULL);
    json_decref(env);

    CHECK_INT(receive("q.fifo", 10, 1000, r), 0);
    CHECK_INT(r->n, 2);
    CHECK_STR(r->m[0].group, "g1");
    CHECK_STR(r->m[0].dedup, "d1");
    env = json_loads(r->m[0].body, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(env, "Message")), "m1");
    json_decref(env);
    env = json_loads(r->m[1].body, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(env, "Message")), "m2");
    json_decref(env);

    /* Content-based de-duplication on the topic. */
    struct hub_topic_config c;
    hub_topic_config_init(&c);
    c.fifo = 1;
    c.set = HUB_TCFG_FIFO | HUB_TCFG_CONTENT_DEDUP;
    c.content_dedup = 1;
    CHECK_INT(create_topic("cbd.fifo", &c), 0);
    CHECK_INT(publish("cbd.fifo", "same", NULL, "g", NULL, r), 0);
    char hash[65];
    hub_bus_sha256_hex("same", 4, hash);
    CHECK_STR(r->p[0].dedup, hash);
    CHECK_INT(publish("cbd.fifo", "same", NULL, "g2", NULL, r), 0);
    CHECK_INT(r->p[0].dup, 1);
    /* Standard topics refuse a dedup id. */
    CHECK_INT(publish("plain", "x", NULL, NULL, "d", r), HUB_BUS_EINVALID_PARAMETER);
    res_free(r);
    bus_down();
}

static void test_fifo_topic_dedup_window(void)
{
    struct store_opts opt = {.dedup_window_ms = 100};
    bus_up(&opt);
    struct res *r = res_new();
    CHECK_INT(create_topic("t.fifo", NULL), 0);
    CHECK_INT(publish("t.fifo", "a", NULL, "g", "d", r), 0);
    CHECK_INT(publish("t.fifo", "a", NULL, "g", "d", r), 0);
    CHECK_INT(r->p[0].dup, 1);
    run_for(150);
    CHECK_INT(publish("t.fifo", "a", NULL, "g", "d", r), 0);
    CHECK_INT(r->p[0].dup, 0);
    res_free(r);
    bus_down();
}

static void test_subscription_management(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_topic("events", NULL), 0);
    CHECK_INT(create_topic("other", NULL), 0);
    CHECK_INT(create_queue("q"), 0);
    char a[40], b[40];
    CHECK_INT(subscribe("events", "sqs", ARN_Q("q"), "{\"RawMessageDelivery\":\"false\"}", a, r),
              0);
    /* Same endpoint: the same subscription; different attributes: InvalidParameter. */
    CHECK_INT(subscribe("events", "sqs", ARN_Q("q"), NULL, b, NULL), 0);
    CHECK_STR(a, b);
    CHECK_INT(
        subscribe("events", "sqs", ARN_Q("q"), "{\"RawMessageDelivery\":\"true\"}", NULL, NULL),
        HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(subscribe("other", "sqs", ARN_Q("q"), NULL, b, NULL), 0);
    CHECK(strcmp(a, b) != 0);
    CHECK_INT(subscribe("nope", "sqs", ARN_Q("q"), NULL, NULL, NULL), HUB_BUS_ENOT_FOUND);
    CHECK_INT(subscribe("events", "sqs", "arn:aws:sqs:us-east-1:0:bad name", NULL, NULL, NULL),
              HUB_BUS_EINVALID_PARAMETER);

    res_reset(r);
    CHECK_INT(await(hub_bus_subscription_get(bus, a, on_sub, r), r), 0);
    json_t *at = r->s[0].attrs;
    char arn[200];
    snprintf(arn, sizeof arn, "%s:%s", ARN_T("events"), a);
    CHECK_STR(json_string_value(json_object_get(at, "SubscriptionArn")), arn);
    CHECK_STR(json_string_value(json_object_get(at, "TopicArn")), ARN_T("events"));
    CHECK_STR(json_string_value(json_object_get(at, "Protocol")), "sqs");
    CHECK_STR(json_string_value(json_object_get(at, "Endpoint")), ARN_Q("q"));
    CHECK_STR(json_string_value(json_object_get(at, "PendingConfirmation")), "false");
    CHECK_STR(json_string_value(json_object_get(at, "RawMessageDelivery")), "false");
    CHECK(json_object_get(at, "FilterPolicy") == NULL);
    char sarn[200];
    CHECK_INT(hub_bus_subscription_arn(bus, "events", a, sarn, sizeof sarn), 0);
    CHECK_STR(sarn, arn);
    CHECK_INT(hub_bus_subscription_arn(bus, "events", a, sarn, 10), HUB_ETOOBIG);

    res_reset(r);
    CHECK_INT(await(hub_bus_subscriptions_list(bus, NULL, on_subs, r), r), 0);
    CHECK_INT(r->n, 2);
    res_reset(r);
    CHECK_INT(await(hub_bus_subscriptions_list(bus, "other", on_subs, r), r), 0);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->s[0].id, b);
    res_reset(r);
    CHECK_INT(await(hub_bus_subscriptions_list(bus, "nope", on_subs, r), r), HUB_BUS_ENOT_FOUND);

    /* Set RawMessageDelivery: the next delivery is raw. */
    struct hub_sub_config c;
    hub_sub_config_init(&c);
    json_t *attrs = json_pack("{s:s,s:s}", "RawMessageDelivery", "true", "DeliveryPolicy", "{}");
    CHECK_INT(hub_sub_config_parse(&c, attrs, NULL), 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_subscription_set(bus, a, &c, on_done, r), r), 0);
    hub_sub_config_clear(&c);
    json_decref(attrs);
    CHECK_INT(publish("events", "raw now", NULL, NULL, NULL, r), 0);
    CHECK_INT(receive("q", 10, 1000, r), 0);
    CHECK_STR(r->m[0].body, "raw now");
    res_reset(r);
    CHECK_INT(await(hub_bus_subscription_get(bus, a, on_sub, r), r), 0);
    CHECK_STR(json_string_value(json_object_get(r->s[0].attrs, "DeliveryPolicy")), "{}");
    res_reset(r);
    CHECK_INT(await(hub_bus_subscription_set(bus, "nope", &c, on_done, r), r), HUB_BUS_ENOT_FOUND);

    /* Unsubscribe: no more deliveries. */
    res_reset(r);
    CHECK_INT(await(hub_bus_unsubscribe(bus, a, on_done, r), r), 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_unsubscribe(bus, a, on_done, r), r), HUB_BUS_ENOT_FOUND);
    CHECK_INT(publish("events", "gone", NULL, NULL, NULL, r), 0);
    run_for(10);
    CHECK_INT(queue_count("q"), 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_get(bus, "events", on_tinfo, r), r), 0);
    CHECK_STR(json_string_value(json_object_get(r->json, "SubscriptionsDeleted")), "1");

    /* Deleting a topic deletes its subscriptions. */
    res_reset(r);
    CHECK_INT(await(hub_bus_topic_delete(bus, "other", on_done, r), r), 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_subscriptions_list(bus, NULL, on_subs, r), r), 0);
    CHECK_INT(r->n, 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_subscription_get(bus, b, on_sub, r), r), HUB_BUS_ENOT_FOUND);

    /* Attribute parsing. */
    hub_sub_config_init(&c);
    attrs = json_pack("{s:s}", "FilterPolicyScope", "Everything");
    CHECK_INT(hub_sub_config_parse(&c, attrs, NULL), HUB_BUS_EINVALID_PARAMETER);
    json_decref(attrs);
    attrs = json_pack("{s:s}", "Nope", "x");
    CHECK_INT(hub_sub_config_parse(&c, attrs, NULL), HUB_BUS_EINVALID_PARAMETER);
    json_decref(attrs);
    hub_sub_config_clear(&c);
    res_free(r);
    bus_down();
}

#define ENDPOINT_ARN(rest) "arn:aws:sns:us-east-1:000000000000:endpoint/" rest

/* "application" (platform endpoints) and "sms" (phone numbers) subscriptions go to the mobile
 * hook, the message of MessageStructure=json chosen by the endpoint's platform or "sms". */
static void test_mobile_sink(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    char sms_sub[40];
    CHECK_INT(create_topic("alerts", NULL), 0);
    CHECK_INT(create_topic("alerts.fifo", NULL), 0);
    CHECK_INT(subscribe("alerts", "application", ENDPOINT_ARN("GCM/app/1234"), NULL, NULL, NULL),
              0);
    CHECK_INT(subscribe("alerts", "application", ENDPOINT_ARN("APNS/app/99"), NULL, NULL, NULL), 0);
    CHECK_INT(subscribe("alerts", "sms", "+15550100", NULL, sms_sub, NULL), 0);
    /* wrong shapes, another account or region, FIFO topics */
    const char *bad_apps[] = {
        ENDPOINT_ARN("GCM/app"),
        ENDPOINT_ARN("GCM//1"),
        ENDPOINT_ARN("/app/1"),
        ENDPOINT_ARN("GCM/app/1/2"),
        "arn:aws:sns:us-east-1:000000000000:app/GCM/app",
        "arn:aws:sns:eu-west-1:000000000000:endpoint/GCM/app/1",
        "arn:aws:sns:us-east-1:111111111111:endpoint/GCM/app/1",
        "arn:aws:sqs:us-east-1:000000000000:endpoint/GCM/app/1",
    };
    for (size_t i = 0; i < sizeof bad_apps / sizeof bad_apps[0]; i++)
        CHECK_INT(subscribe("alerts", "application", bad_apps[i], NULL, NULL, NULL),
                  HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(subscribe("alerts", "sms", "555-0100", NULL, NULL, NULL), HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(subscribe("alerts.fifo", "sms", "+15550100", NULL, NULL, NULL),
              HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(subscribe("alerts.fifo", "application", ENDPOINT_ARN("GCM/app/1"), NULL, NULL, NULL),
              HUB_BUS_EINVALID_PARAMETER);

    CHECK_INT(publish("alerts", "plain", NULL, NULL, NULL, r), 0);
    CHECK_INT(nmobile, 3);
    CHECK_STR(mobiles[0].protocol, "application");
    CHECK_STR(mobiles[0].endpoint, ENDPOINT_ARN("GCM/app/1234"));
    CHECK_STR(mobiles[0].message, "plain");
    CHECK_STR(mobiles[0].structure, "");
    CHECK_STR(mobiles[0].topic_arn, ARN_T("alerts"));
    CHECK_STR(mobiles[2].protocol, "sms");
    CHECK_STR(mobiles[2].endpoint, "+15550100");
    CHECK(strncmp(mobiles[2].sub_arn, ARN_T("alerts:"), strlen(ARN_T("alerts:"))) == 0);
    CHECK_INT(nhttp, 0);

    struct hub_publish_entry e = {
        .message = "{\"default\":\"d\",\"GCM\":\"g\",\"sms\":\"s\"}",
        .structure_json = 1,
    };
    e.message_len = strlen(e.message);
    res_reset(r);
    hooks_reset();
    CHECK_INT(await(hub_bus_publish(bus, "alerts", &e, 1, on_published, r), r), 0);
    CHECK_INT(nmobile, 3);
    CHECK_STR(mobiles[0].message, "g");
    CHECK_STR(mobiles[0].structure, "json");
    CHECK_STR(mobiles[1].message, "d"); /* APNS: no key of its own */
    CHECK_STR(mobiles[2].message, "s");

    /* without the hook, nothing is delivered (and nothing breaks) */
    hub_bus_set_mobile_sink(bus, NULL, NULL);
    hooks_reset();
    CHECK_INT(publish("alerts", "unheard", NULL, NULL, NULL, r), 0);
    CHECK_INT(nmobile, 0);
    res_free(r);
    bus_down();
}

/* The pure parts: phone numbers and platform endpoint ARNs. */
static void test_mobile_names(void)
{
    const char *good[] = {"+15550100", "15550100", "+442071838750", "+12", "+123456789012345"};
    const char *bad[] = {"",       "+",      "+1",    "+0123456",    "0123456",
                         "+1-555", "++1555", "1555a", "+1 555 0100", "+1234567890123456"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK(hub_bus_phone_valid(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!hub_bus_phone_valid(bad[i]));
    CHECK(!hub_bus_phone_valid(NULL));
    char platform[16];
    CHECK_INT(hub_bus_endpoint_platform(ENDPOINT_ARN("APNS_SANDBOX/my.app/abc"), platform,
                                        sizeof platform),
              0);
    CHECK_STR(platform, "APNS_SANDBOX");
    CHECK_INT(hub_bus_endpoint_platform(ENDPOINT_ARN("APNS_SANDBOX/a/b"), platform, 12), -1);
    CHECK_INT(hub_bus_endpoint_platform("arn:aws:sns:r:a:endpoint/GCM/a/b", platform, 16), 0);
    CHECK_INT(hub_bus_endpoint_platform("arn:aws:sns::a:endpoint/GCM/a/b", platform, 16), -1);
    CHECK_INT(hub_bus_endpoint_platform("arn:aws:sns:r:a:endpoint/GCM/a/", platform, 16), -1);
    CHECK_INT(hub_bus_endpoint_platform("arn:aws:sns:r:a:x:endpoint/GCM/a/b", platform, 16), -1);
    CHECK_INT(hub_bus_endpoint_platform(NULL, platform, 16), -1);
    /* the message of a MessageStructure=json object */
    json_t *o = json_pack("{s:s,s:s}", "default", "d", "sms", "s");
    size_t len;
    CHECK_STR(hub_bus_structure_message(o, "sms", &len), "s");
    CHECK_STR(hub_bus_structure_message(o, "GCM", &len), "d");
    CHECK_STR(hub_bus_structure_message(o, NULL, &len), "d");
    CHECK_INT(len, 1);
    json_decref(o);
}

static void test_message_structure(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_topic("events", NULL), 0);
    CHECK_INT(create_queue("q"), 0);
    CHECK_INT(
        subscribe("events", "sqs", ARN_Q("q"), "{\"RawMessageDelivery\":\"true\"}", NULL, NULL), 0);
    CHECK_INT(subscribe("events", "room", "/#r", "{\"RawMessageDelivery\":\"true\"}", NULL, NULL),
              0);
    const char *msg = "{\"default\":\"for everyone\",\"sqs\":\"for queues\"}";
    struct hub_publish_entry e = {.message = msg, .message_len = strlen(msg), .structure_json = 1};
    res_reset(r);
    CHECK_INT(await(hub_bus_publish(bus, "events", &e, 1, on_published, r), r), 0);
    CHECK_INT(r->p[0].err, 0);
    CHECK_INT(receive("q", 1, 1000, r), 0);
    CHECK_STR(r->m[0].body, "for queues");
    CHECK_INT(nrooms, 1);
    CHECK_STR(rooms[0].body, "for everyone");
    /* Without "default", or not an object: InvalidParameter for the entry. */
    const char *bad[] = {"{\"sqs\":\"x\"}", "[1]", "{\"default\":1}"};
    for (size_t i = 0; i < 3; i++) {
        e.message = bad[i];
        e.message_len = strlen(bad[i]);
        res_reset(r);
        CHECK_INT(await(hub_bus_publish(bus, "events", &e, 1, on_published, r), r), 0);
        CHECK_INT(r->p[0].err, HUB_BUS_EINVALID_PARAMETER);
    }
    res_free(r);
    bus_down();
}

static void test_subscription_dlq(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_topic("events", NULL), 0);
    CHECK_INT(create_queue("subdlq"), 0);
    /* The endpoint queue does not exist: the delivery fails and goes to the DLQ. */
    CHECK_INT(subscribe("events", "sqs", ARN_Q("ghost"),
                        "{\"RawMessageDelivery\":\"true\",\"RedrivePolicy\":"
                        "\"{\\\"deadLetterTargetArn\\\":\\\"" ARN_Q("subdlq") "\\\"}\"}",
                        NULL, r),
              0);
    CHECK(json_object_get(r->s[0].attrs, "RedrivePolicy") != NULL);
    CHECK_INT(publish("events", "lost", NULL, NULL, NULL, r), 0);
    CHECK_INT(receive("subdlq", 1, 1000, r), 0);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->m[0].body, "lost");
    CHECK_INT(subscribe("events", "sqs", ARN_Q("q2"), "{\"RedrivePolicy\":\"{}\"}", NULL, NULL),
              HUB_BUS_EINVALID_PARAMETER);
    res_free(r);
    bus_down();
}

static void test_publish_batch(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_topic("events", NULL), 0);
    CHECK_INT(create_queue("q"), 0);
    CHECK_INT(
        subscribe("events", "sqs", ARN_Q("q"), "{\"RawMessageDelivery\":\"true\"}", NULL, NULL), 0);
    json_t *bad = json_pack("{s:{s:s}}", "k", "DataType", "String");
    struct hub_publish_entry e[4] = {
        {.id = "one", .message = "1", .message_len = 1},
        {.id = "empty", .message = "", .message_len = 0},
        {.id = "attrs", .message = "3", .message_len = 1, .attributes = bad},
        {.id = "four", .message = "4", .message_len = 1, .subject = "s"},
    };
    res_reset(r);
    CHECK_INT(await(hub_bus_publish(bus, "events", e, 4, on_published, r), r), 0);
    json_decref(bad);
    CHECK_INT(r->n, 4);
    CHECK_STR(r->p[0].id, "one");
    CHECK_INT(r->p[0].err, 0);
    CHECK_INT(r->p[1].err, HUB_BUS_EINVALID_PARAMETER);
    CHECK_INT(r->p[2].err, HUB_BUS_EINVALID_PARAMETER);
    CHECK_STR(r->p[3].id, "four");
    CHECK_INT(r->p[3].err, 0);
    CHECK(strcmp(r->p[0].msg_id, r->p[3].msg_id) != 0);
    CHECK_INT(receive("q", 10, 1000, r), 0);
    CHECK_INT(r->n, 2);
    e[1].id = "one";
    CHECK_INT(hub_bus_publish(bus, "events", e, 2, on_published, r),
              HUB_BUS_EBATCH_ENTRY_IDS_NOT_DISTINCT);
    CHECK_INT(hub_bus_publish(bus, "events", e, 0, on_published, r), HUB_BUS_EEMPTY_BATCH_REQUEST);
    /* Too long for SNS (256 KiB). */
    char *big = malloc(262145);
    memset(big, 'x', 262145);
    struct hub_publish_entry one = {.message = big, .message_len = 262145};
    res_reset(r);
    CHECK_INT(await(hub_bus_publish(bus, "events", &one, 1, on_published, r), r), 0);
    CHECK_INT(r->p[0].err, HUB_BUS_EINVALID_PARAMETER);
    free(big);
    res_free(r);
    bus_down();
}

static void test_free_with_pending(void)
{
    /* Freeing the bus with a publish and a subscribe in flight: their callbacks still run once,
     * from the loop, and nothing is delivered after the free. */
    bus_up(NULL);
    struct res *r = res_new(), *s = res_new();
    CHECK_INT(create_topic("events", NULL), 0);
    CHECK_INT(subscribe("events", "room", "/#r", NULL, NULL, NULL), 0);
    struct hub_publish_entry e = {.message = "x", .message_len = 1};
    CHECK_INT(hub_bus_publish(bus, "events", &e, 1, on_published, r), 0);
    CHECK_INT(hub_bus_subscribe(bus, "events", "room", "/#s", NULL, on_sub, s), 0);
    hub_bus_free(bus);
    bus = NULL;
    CHECK_INT(r->done, 0);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(r->done, 1);
    CHECK_INT(s->done, 1);
    CHECK_INT(nrooms, 0);
    CHECK_INT(uv_loop_close(&loop), 0);
    hooks_reset();
    res_free(r);
    res_free(s);
}

#define BUS_TOPIC_CASES(RUNNER)                                                                    \
    RUNNER(test_topic_crud);                                                                       \
    RUNNER(test_fanout_queue_envelope);                                                            \
    RUNNER(test_raw_delivery);                                                                     \
    RUNNER(test_filter_policies);                                                                  \
    RUNNER(test_room_sink);                                                                        \
    RUNNER(test_mobile_sink);                                                                      \
    RUNNER(test_mobile_names);                                                                     \
    RUNNER(test_http_confirmation);                                                                \
    RUNNER(test_signature_versions);                                                               \
    RUNNER(test_fifo_topic);                                                                       \
    RUNNER(test_fifo_topic_dedup_window);                                                          \
    RUNNER(test_subscription_management);                                                          \
    RUNNER(test_message_structure);                                                                \
    RUNNER(test_subscription_dlq);                                                                 \
    RUNNER(test_publish_batch);                                                                    \
    RUNNER(test_free_with_pending)

#endif
