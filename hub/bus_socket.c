/* bus_socket.c - see bus_socket.h.
 *
 * Pieces: the definitions (queues, topics, subscriptions) created in order by a small job runner;
 * the bridges and bus:* events behind one catch-all handler per namespace; the subscribers, each a
 * loop of one-message long polls that stops while maxInFlight messages await acknowledgement; the
 * room and HTTP sinks the bus calls on fan-out; the SNS confirmation route.
 *
 * Lifetimes: a subscriber is referenced by its socket's list, by its pending receive and by each of
 * its messages in flight, and freed by the last. Everything that waits for the bus holds only the
 * integration, which outlives the loop's last callback (hub_bus_socket_free after uv_run). */
#include "bus_socket.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_config.h"
#include "hub_alloc.h"
#include "log.h"
#include "map.h"
#include "sns_envelope.h"
#include "sns_key.h"

#define MAX_NAME 300

struct bridge {
    char *key; /* "<nsp>\n<event>" */
    struct hub_bridge_def def;
    int fifo;
};

struct room_event {
    char *key; /* "<topic>\n<endpoint>" */
    char *event;
};

struct nsp_info {
    char *name;
    int bus;
    int installed;
};

struct sub;

struct sock_state {
    char *key; /* "<nsp>\n<socket id>" */
    struct sub *subs;
};

/* One socket's subscription to one queue. */
struct sub {
    hub_bus_socket *bs;
    struct sock_state *owner; /* NULL once ended */
    struct sub *next;
    hub_nsp *nsp;
    char sid[HUB_SOCKET_ID_MAX + 1];
    char *queue;
    uint32_t max_inflight, inflight;
    int64_t visibility_ms;
    uint64_t ticket;
    int polling;
    size_t refs;
};

/* A message pushed to a subscriber, awaiting its acknowledgement. */
struct flight {
    struct sub *sub;
    char *receipt;
};

struct hub_bus_socket {
    hub_server *srv;
    const struct hub_config *cfg;
    uv_loop_t *loop;
    hub_bus *bus;
    hub_bus_factory make_bus;
    void *make_ud;
    hub_http_delivery *http;
    int started, stopped;
    char *public_url;
    struct hub_map nsps;    /* name -> struct nsp_info */
    struct hub_map bridges; /* "<nsp>\n<event>" -> struct bridge */
    struct hub_map rooms;   /* "<topic>\n<endpoint>" -> struct room_event */
    struct hub_map socks;   /* "<nsp>\n<sid>" -> struct sock_state */
};

/* ---- small helpers ---- */

static char *join2(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = hub_malloc(la + lb + 2);
    if (!s) return NULL;
    memcpy(s, a, la);
    s[la] = '\n';
    memcpy(s + la + 1, b, lb + 1);
    return s;
}

static int is_fifo(const char *name)
{
    size_t n = strlen(name);
    return n >= 5 && strcmp(name + n - 5, ".fifo") == 0;
}

static void jfree(void *p)
{
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    f(p);
}

/* A new hub_strdup'd JSON text of v (any value). */
static char *dump_any(const json_t *v)
{
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *r = t ? hub_strdup(t) : NULL;
    if (t) jfree(t);
    return r;
}

/* {"ok":false,"error":{"code":code,"message":text}} */
static json_t *err_obj(const char *code, const char *fmt, ...)
{
    char text[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return json_pack("{s:b,s:{s:s,s:s}}", "ok", 0, "error", "code", code, "message", text);
}

static json_t *bus_err_obj(int err, const char *what)
{
    const char *code = err == HUB_ECLOSED ? "ServiceUnavailable" : hub_bus_error_name(err);
    if (what && *what) return err_obj(code, "%s: %s", what, hub_bus_strerror(err));
    return err_obj(code, "%s", hub_bus_strerror(err));
}

/* Answers ack (may be NULL) with [obj]; steals obj. */
static void reply(hub_ack *ack, json_t *obj)
{
    if (ack && obj) {
        json_t *args = json_pack("[O]", obj);
        if (args) hub_ack_send(ack, args, NULL, 0);
        json_decref(args);
    }
    json_decref(obj);
}

/* Answers a taken ack and frees it. */
static void reply_free(hub_ack *ack, json_t *obj)
{
    reply(ack, obj);
    hub_ack_free(ack);
}

/* ---- attributes: plain JSON values <-> the SQS shape ---- */

/* One plain value as an SQS attribute, or NULL when it cannot be one. */
static json_t *attr_from_plain(const json_t *v)
{
    if (json_is_object(v) && json_is_string(json_object_get(v, "DataType")))
        return json_deep_copy(v);
    if (json_is_string(v))
        return json_pack("{s:s,s:s%}", "DataType", "String", "StringValue", json_string_value(v),
                         json_string_length(v));
    if (json_is_boolean(v))
        return json_pack("{s:s,s:s}", "DataType", "String", "StringValue",
                         json_is_true(v) ? "true" : "false");
    if (json_is_number(v) || json_is_array(v)) {
        char *t = dump_any(v);
        json_t *a = t ? json_pack("{s:s,s:s}", "DataType",
                                  json_is_array(v) ? "String.Array" : "Number", "StringValue", t)
                      : NULL;
        hub_free(t);
        return a;
    }
    return NULL;
}

/* Converts options.attributes ({name: value}) into a new SQS-shaped object (*out NULL when none).
 * Returns 0 or HUB_EINVAL with the bad name in *bad. */
static int attrs_from_plain(const json_t *in, json_t **out, const char **bad)
{
    const char *k;
    json_t *v;
    *out = NULL;
    if (!in || json_is_null(in)) return 0;
    if (!json_is_object(in)) {
        *bad = "attributes";
        return HUB_EINVAL;
    }
    if (!json_object_size(in)) return 0;
    json_t *o = json_object();
    if (!o) return HUB_ENOMEM;
    json_object_foreach((json_t *)in, k, v)
    {
        json_t *a = attr_from_plain(v);
        if (!a || json_object_set_new(o, k, a)) {
            json_decref(o);
            *bad = k;
            return HUB_EINVAL;
        }
    }
    *out = o;
    return 0;
}

/* SQS-shaped attributes as plain values: String -> string, Number -> number, String.Array ->
 * array, Binary -> its base64 text. Returns a new object (empty when none). */
static json_t *attrs_to_plain(const json_t *in)
{
    json_t *o = json_object(), *v;
    const char *k;
    if (!o || !json_is_object(in)) return o;
    json_object_foreach((json_t *)in, k, v)
    {
        const char *type = json_string_value(json_object_get(v, "DataType"));
        const json_t *sv = json_object_get(v, "StringValue"),
                     *bv = json_object_get(v, "BinaryValue");
        json_t *p = NULL;
        if (type && (strncmp(type, "Number", 6) == 0 || strncmp(type, "String.Array", 12) == 0) &&
            json_is_string(sv))
            p = json_loads(json_string_value(sv), JSON_DECODE_ANY, NULL);
        if (!p && json_is_string(sv)) p = json_copy((json_t *)sv);
        if (!p && json_is_string(bv)) p = json_copy((json_t *)bv);
        if (p) json_object_set_new(o, k, p);
    }
    return o;
}

/* ---- {field} templates ---- */

/* The value at a dotted path of obj, or NULL. */
static const json_t *field_get(const json_t *obj, const char *path, size_t len)
{
    char part[128];
    while (obj && len) {
        const char *dot = memchr(path, '.', len);
        size_t n = dot ? (size_t)(dot - path) : len;
        if (n >= sizeof part || !json_is_object(obj)) return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        obj = json_object_get(obj, part);
        path += n + (dot ? 1 : 0);
        len -= n + (dot ? 1 : 0);
    }
    return obj;
}

/* The text of a template value: a string, a number or a boolean. */
static int value_text(const json_t *v, char *buf, size_t len, const char **out)
{
    if (json_is_string(v)) {
        *out = json_string_value(v);
        return 0;
    }
    if (json_is_integer(v))
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
    else
        return -1;
    *out = buf;
    return 0;
}

/* Expands "{field}" in t with values from attrs (SQS shape, may be NULL) first, then from obj.
 * Returns a new string, or NULL: out of memory, or a field missing (its name in missing). */
static char *expand(const char *t, const json_t *attrs, const json_t *obj, char *missing,
                    size_t mlen)
{
    size_t cap = strlen(t) + 64, n = 0;
    char *out = hub_malloc(cap), num[64];
    if (missing && mlen) missing[0] = '\0';
    if (!out) return NULL;
    for (const char *p = t; *p;) {
        const char *text = p, *close = NULL;
        size_t tl = 1;
        if (*p == '{' && (close = strchr(p, '}'))) {
            const char *name = p + 1;
            size_t nl = (size_t)(close - name);
            const json_t *v = NULL;
            if (attrs && nl < 128) {
                char key[128];
                memcpy(key, name, nl);
                key[nl] = '\0';
                const json_t *a = json_object_get(attrs, key);
                v = json_object_get(a, "StringValue");
            }
            if (!v) v = field_get(obj, name, nl);
            if (!v || value_text(v, num, sizeof num, &text) != 0) {
                if (missing && mlen) snprintf(missing, mlen, "%.*s", (int)nl, name);
                hub_free(out);
                return NULL;
            }
            tl = strlen(text);
            p = close + 1;
        } else {
            p++;
        }
        if (n + tl + 1 > cap) {
            cap = (n + tl + 1) * 2;
            char *bigger = hub_realloc(out, cap);
            if (!bigger) {
                hub_free(out);
                return NULL;
            }
            out = bigger;
        }
        memcpy(out + n, text, tl);
        n += tl;
    }
    out[n] = '\0';
    return out;
}

/* The body of a message made of event arguments from index from on (up to n of them): one string
 * as it is, one other value as its JSON text, several as the JSON array. NULL when there is none
 * (or no memory). */
static char *body_of(const json_t *args, size_t from, size_t count)
{
    size_t n = json_array_size(args);
    if (n > from + count) n = from + count;
    if (n <= from) return NULL;
    if (n == from + 1) {
        const json_t *v = json_array_get(args, from);
        if (json_is_null(v)) return NULL;
        return json_is_string(v) ? hub_strndup(json_string_value(v), json_string_length(v))
                                 : dump_any(v);
    }
    json_t *rest = json_array();
    for (size_t i = from; rest && i < n; i++)
        json_array_append(rest, json_array_get(args, i));
    char *t = rest ? dump_any(rest) : NULL;
    json_decref(rest);
    return t;
}

/* ---- the definitions: a job runs steps one after the other ---- */

enum step_kind { STEP_QUEUE, STEP_TOPIC, STEP_SUB };

struct step {
    enum step_kind kind;
    const struct hub_queue_def *queue;
    const struct hub_topic_def *topic;
    const struct hub_sub_def *sub;
};

struct job {
    hub_bus_socket *bs;
    struct step *steps;
    size_t n, i;
    hub_bus_socket_cb cb;
    void *ud;
    struct hub_topic_def *own_topic; /* copies a run-time job keeps alive */
    struct hub_queue_def *own_queue;
    char *own_topic_name;
    struct hub_sub_def *own_sub;
    char what[MAX_NAME + 64];
    char sub_id[HUB_BUS_UUID_LEN + 1];
    int pending;
};

static void job_next(struct job *j);

static void job_end(struct job *j, int err)
{
    if (j->cb) j->cb(j->ud, err, err ? j->what : NULL, j->sub_id[0] ? j->sub_id : NULL, j->pending);
    if (j->own_topic) {
        hub_topic_def_clear(j->own_topic);
        hub_free(j->own_topic);
    }
    if (j->own_queue) {
        hub_queue_def_clear(j->own_queue);
        hub_free(j->own_queue);
    }
    if (j->own_sub) {
        hub_sub_def_clear(j->own_sub);
        hub_free(j->own_sub);
    }
    hub_free(j->own_topic_name);
    hub_free(j->steps);
    hub_free(j);
}

static void on_step_queue(void *ud, int err, const struct hub_queue_info *info)
{
    struct job *j = ud;
    (void)info;
    if (err) return job_end(j, err);
    j->i++;
    job_next(j);
}

static void on_step_topic(void *ud, int err, const struct hub_topic_info *info)
{
    on_step_queue(ud, err, NULL);
    (void)info;
}

static int room_event_put(hub_bus_socket *bs, const char *topic, const char *endpoint,
                          const char *event)
{
    char *key = join2(topic, endpoint);
    if (!key) return HUB_ENOMEM;
    struct room_event *re = hub_map_get(&bs->rooms, key, strlen(key));
    if (re) {
        hub_free(key);
        char *e = hub_strdup(event);
        if (!e) return HUB_ENOMEM;
        hub_free(re->event);
        re->event = e;
        return 0;
    }
    re = hub_calloc(1, sizeof *re);
    if (!re || !(re->event = hub_strdup(event))) {
        hub_free(re);
        hub_free(key);
        return HUB_ENOMEM;
    }
    re->key = key;
    if (hub_map_put(&bs->rooms, key, strlen(key), re)) {
        hub_free(re->event);
        hub_free(re);
        hub_free(key);
        return HUB_ENOMEM;
    }
    return 0;
}

static void on_step_sub(void *ud, int err, const struct hub_subscription *sub)
{
    struct job *j = ud;
    const struct step *st = &j->steps[j->i];
    if (err) return job_end(j, err);
    snprintf(j->sub_id, sizeof j->sub_id, "%s", sub->id);
    j->pending = sub->pending;
    if (st->sub->room && st->sub->event &&
        room_event_put(j->bs, st->topic->name, st->sub->room, st->sub->event))
        return job_end(j, HUB_ENOMEM);
    j->i++;
    job_next(j);
}

static int queue_config(const struct hub_queue_def *d, struct hub_queue_config *c)
{
    hub_queue_config_init(c);
    if (d->fifo) {
        c->fifo = 1;
        c->set |= HUB_QCFG_FIFO;
    }
    if (d->content_dedup) {
        c->content_dedup = 1;
        c->set |= HUB_QCFG_CONTENT_DEDUP;
    }
#define SET_MS(field, bit, to)                                                                     \
    if (d->field >= 0) {                                                                           \
        c->to = (uint64_t)d->field;                                                                \
        c->set |= bit;                                                                             \
    }
    SET_MS(visibility_ms, HUB_QCFG_VISIBILITY, visibility_ms)
    SET_MS(delay_ms, HUB_QCFG_DELAY, delay_ms)
    SET_MS(retention_ms, HUB_QCFG_RETENTION, retention_ms)
    SET_MS(wait_ms, HUB_QCFG_WAIT, wait_ms)
#undef SET_MS
    if (d->max_message_size >= 0) {
        c->max_message_size = (uint32_t)d->max_message_size;
        c->set |= HUB_QCFG_MAX_SIZE;
    }
    if (d->dlq) {
        snprintf(c->dlq, sizeof c->dlq, "%s", d->dlq);
        c->max_receive_count = d->max_receive_count;
        c->set |= HUB_QCFG_REDRIVE;
    }
    return 0;
}

/* Subscribes one definition; cb as hub_bus_subscribe. */
static int subscribe_def(hub_bus_socket *bs, const char *topic, const struct hub_sub_def *d,
                         hub_sub_cb cb, void *ud)
{
    char endpoint[600], redrive[700];
    const char *protocol;
    struct hub_sub_config c;
    int rc;

    if (d->queue) {
        protocol = HUB_PROTO_SQS;
        if (hub_bus_queue_arn(bs->bus, d->queue, endpoint, sizeof endpoint)) return HUB_EINVAL;
    } else if (d->room) {
        protocol = HUB_PROTO_ROOM;
        snprintf(endpoint, sizeof endpoint, "%s", d->room);
    } else if (d->url) {
        protocol = strncmp(d->url, "https:", 6) == 0 ? HUB_PROTO_HTTPS : HUB_PROTO_HTTP;
        if (strlen(d->url) >= sizeof endpoint) return HUB_BUS_EINVALID_PARAMETER;
        snprintf(endpoint, sizeof endpoint, "%s", d->url);
    } else {
        return HUB_BUS_EINVALID_PARAMETER;
    }
    hub_sub_config_init(&c);
    c.raw = d->raw;
    c.set |= HUB_SCFG_RAW;
    if (d->filter_policy) {
        c.filter_policy = d->filter_policy;
        c.filter_scope_body = d->filter_scope_body;
        c.set |= HUB_SCFG_FILTER | HUB_SCFG_FILTER_SCOPE;
    }
    if (d->dlq) {
        char arn[400];
        hub_bus_queue_arn(bs->bus, d->dlq, arn, sizeof arn);
        snprintf(redrive, sizeof redrive, "{\"deadLetterTargetArn\":\"%s\"}", arn);
        c.redrive_policy = redrive;
        c.set |= HUB_SCFG_REDRIVE;
    }
    if (d->delivery_policy) {
        c.extra = json_pack("{s:s}", "DeliveryPolicy", d->delivery_policy);
        if (!c.extra) return HUB_ENOMEM;
        c.set |= HUB_SCFG_EXTRA;
    }
    rc = hub_bus_subscribe(bs->bus, topic, protocol, endpoint, &c, cb, ud);
    hub_sub_config_clear(&c);
    return rc;
}

/* Starts the current step. Returns 0 when it is under way (its callback comes from the loop). */
static int job_step(struct job *j)
{
    hub_bus_socket *bs = j->bs;
    int rc;
    if (!bs->bus) return HUB_ECLOSED;
    const struct step *st = &j->steps[j->i];
    switch (st->kind) {
    case STEP_QUEUE: {
        struct hub_queue_config c;
        snprintf(j->what, sizeof j->what, "queue \"%s\"", st->queue->name);
        queue_config(st->queue, &c);
        rc = hub_bus_queue_create(bs->bus, st->queue->name, &c, NULL, on_step_queue, j);
        hub_queue_config_clear(&c);
        break;
    }
    case STEP_TOPIC: {
        struct hub_topic_config c;
        snprintf(j->what, sizeof j->what, "topic \"%s\"", st->topic->name);
        hub_topic_config_init(&c);
        if (st->topic->fifo) {
            c.fifo = 1;
            c.set |= HUB_TCFG_FIFO;
        }
        if (st->topic->content_dedup) {
            c.content_dedup = 1;
            c.set |= HUB_TCFG_CONTENT_DEDUP;
        }
        rc = hub_bus_topic_create(bs->bus, st->topic->name, &c, NULL, on_step_topic, j);
        hub_topic_config_clear(&c);
        break;
    }
    default:
        snprintf(j->what, sizeof j->what, "subscription of topic \"%s\" to %s", st->topic->name,
                 st->sub->queue  ? st->sub->queue
                 : st->sub->room ? st->sub->room
                                 : st->sub->url);
        rc = subscribe_def(bs, st->topic->name, st->sub, on_step_sub, j);
        break;
    }
    return rc;
}

static void job_next(struct job *j)
{
    int rc = j->i == j->n ? 0 : job_step(j);
    if (j->i == j->n || rc) job_end(j, rc);
}

static struct job *job_new(hub_bus_socket *bs, size_t n, hub_bus_socket_cb cb, void *ud)
{
    struct job *j = hub_calloc(1, sizeof *j);
    if (!j) return NULL;
    if (n && !(j->steps = hub_calloc(n, sizeof *j->steps))) {
        hub_free(j);
        return NULL;
    }
    j->bs = bs;
    j->cb = cb;
    j->ud = ud;
    return j;
}

static void job_add_topic(struct job *j, const struct hub_topic_def *t)
{
    j->steps[j->n++] = (struct step){.kind = STEP_TOPIC, .topic = t};
    for (size_t k = 0; k < t->nsubs; k++)
        j->steps[j->n++] = (struct step){.kind = STEP_SUB, .topic = t, .sub = &t->subs[k]};
}

static void on_job_nop(void *ud, int err, const char *const *names, size_t n)
{
    (void)names;
    (void)n;
    job_end(ud, err);
}

/* Starts a job. Its callback always comes from the loop: the first step is a bus call (an empty
 * job lists the topics, only to be called back). On an error the job is freed without its
 * callback and the error returned. */
static int job_start(struct job *j)
{
    int rc = !j->bs->bus ? HUB_ESTATE
             : j->n      ? job_step(j)
                         : hub_bus_topic_list(j->bs->bus, on_job_nop, j);
    if (rc) {
        j->cb = NULL;
        job_end(j, rc);
    }
    return rc;
}

/* ---- run-time definitions (C API) ---- */

static struct hub_sub_def *sub_def_copy(const struct hub_sub_def *d)
{
    struct hub_sub_def *c = hub_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->raw = d->raw;
    c->filter_scope_body = d->filter_scope_body;
    const char *src[] = {d->queue, d->room,           d->url, d->event, d->filter_policy,
                         d->dlq,   d->delivery_policy};
    char **dst[] = {&c->queue, &c->room,           &c->url, &c->event, &c->filter_policy,
                    &c->dlq,   &c->delivery_policy};
    for (size_t i = 0; i < sizeof src / sizeof *src; i++) {
        if (src[i] && !(*dst[i] = hub_strdup(src[i]))) {
            hub_sub_def_clear(c);
            hub_free(c);
            return NULL;
        }
    }
    return c;
}

int hub_bus_socket_create_queue(hub_bus_socket *bs, const struct hub_queue_def *d,
                                hub_bus_socket_cb cb, void *ud)
{
    if (!bs || !d || !d->name) return HUB_EINVAL;
    if (!bs->bus) return HUB_ESTATE;
    struct job *j = job_new(bs, 1, cb, ud);
    if (!j) return HUB_ENOMEM;
    if (!(j->own_queue = hub_calloc(1, sizeof *j->own_queue)) ||
        !(j->own_queue->name = hub_strdup(d->name)) ||
        (d->dlq && !(j->own_queue->dlq = hub_strdup(d->dlq)))) {
        job_end((j->cb = NULL, j), 0);
        return HUB_ENOMEM;
    }
    char *name = j->own_queue->name, *dlq = j->own_queue->dlq;
    *j->own_queue = *d;
    j->own_queue->name = name;
    j->own_queue->dlq = dlq;
    j->steps[j->n++] = (struct step){.kind = STEP_QUEUE, .queue = j->own_queue};
    return job_start(j);
}

int hub_bus_socket_create_topic(hub_bus_socket *bs, const struct hub_topic_def *d,
                                hub_bus_socket_cb cb, void *ud)
{
    if (!bs || !d || !d->name) return HUB_EINVAL;
    if (!bs->bus) return HUB_ESTATE;
    struct job *j = job_new(bs, 1 + d->nsubs, cb, ud);
    struct hub_topic_def *t = j ? hub_calloc(1, sizeof *t) : NULL;
    if (t) j->own_topic = t;
    if (!t || !(t->name = hub_strdup(d->name)) ||
        (d->nsubs && !(t->subs = hub_calloc(d->nsubs, sizeof *t->subs)))) {
        if (j) job_end((j->cb = NULL, j), 0);
        return HUB_ENOMEM;
    }
    t->fifo = d->fifo;
    t->content_dedup = d->content_dedup;
    for (size_t i = 0; i < d->nsubs; i++) {
        struct hub_sub_def *c = sub_def_copy(&d->subs[i]);
        if (!c) {
            job_end((j->cb = NULL, j), 0);
            return HUB_ENOMEM;
        }
        t->subs[t->nsubs++] = *c;
        hub_free(c);
    }
    job_add_topic(j, t);
    return job_start(j);
}

int hub_bus_socket_subscribe(hub_bus_socket *bs, const char *topic, const struct hub_sub_def *d,
                             hub_bus_socket_cb cb, void *ud)
{
    if (!bs || !topic || !d) return HUB_EINVAL;
    if (!bs->bus) return HUB_ESTATE;
    struct job *j = job_new(bs, 1, cb, ud);
    struct hub_topic_def *t = j ? hub_calloc(1, sizeof *t) : NULL;
    if (t) j->own_topic = t;
    if (!t || !(t->name = hub_strdup(topic)) || !(j->own_sub = sub_def_copy(d))) {
        if (j) job_end((j->cb = NULL, j), 0);
        return HUB_ENOMEM;
    }
    t->fifo = is_fifo(topic);
    j->steps[j->n++] = (struct step){.kind = STEP_SUB, .topic = t, .sub = j->own_sub};
    return job_start(j);
}

/* ---- subscribers ---- */

static void sub_unref(struct sub *s)
{
    if (--s->refs) return;
    hub_free(s->queue);
    hub_free(s);
}

/* Makes a received message visible again at once (for another consumer). */
static void on_released(void *ud, int err, const struct hub_batch_result *r, size_t n)
{
    (void)ud;
    (void)r;
    (void)n;
    if (err) hub_log(HUB_LOG_DEBUG, "bus: releasing a message: %s", hub_bus_strerror(err));
}

static void release(hub_bus_socket *bs, const char *queue, const char *receipt)
{
    struct hub_receipt_entry e = {.receipt_handle = receipt, .visibility_ms = 0};
    if (bs->bus) hub_bus_change_visibility(bs->bus, queue, &e, 1, on_released, NULL);
}

static void on_deleted(void *ud, int err, const struct hub_batch_result *r, size_t n)
{
    (void)ud;
    if (err || (n == 1 && r[0].err))
        hub_log(HUB_LOG_DEBUG, "bus: deleting an acknowledged message: %s",
                hub_bus_strerror(err ? err : r[0].err));
}

static void sub_poll(struct sub *s);

/* Ends a subscription: no more receives; messages in flight keep their acknowledgements. */
static void sub_end(struct sub *s)
{
    struct sock_state *st = s->owner;
    if (!st) return;
    for (struct sub **pp = &st->subs; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    s->owner = NULL;
    s->next = NULL;
    if (s->polling && s->bs->bus) hub_bus_receive_cancel(s->bs->bus, s->ticket);
    sub_unref(s);
}

static void on_reply(hub_socket *sock, int status, const json_t *args, const struct sio_buf *bufs,
                     size_t nbufs, void *ud)
{
    struct flight *f = ud;
    struct sub *s = f->sub;
    hub_bus_socket *bs = s->bs;
    (void)sock;
    (void)bufs;
    (void)nbufs;
    s->inflight--;
    if (status == 0 && json_is_false(json_array_get(args, 0))) {
        release(bs, s->queue, f->receipt);
    } else if (status == 0) {
        struct hub_receipt_entry e = {.receipt_handle = f->receipt};
        if (bs->bus) hub_bus_delete(bs->bus, s->queue, &e, 1, on_deleted, NULL);
    } else if (status != HUB_ETIMEOUT) {
        release(bs, s->queue, f->receipt); /* the socket went away */
    }
    /* On a timeout the visibility timeout (the same length) brings it back by itself. */
    hub_free(f->receipt);
    hub_free(f);
    sub_poll(s);
    sub_unref(s);
}

static json_t *message_obj(const struct hub_message *m)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_t *body = json_stringn(m->body, m->body_len);
    if (!body) body = json_null();
    json_object_set_new(o, "id", json_string(m->message_id));
    json_object_set_new(o, "body", body);
    json_object_set_new(o, "attributes", attrs_to_plain(m->attributes));
    json_object_set_new(o, "receiveCount", json_integer(m->receive_count));
    json_object_set_new(o, "groupId", m->group_id ? json_string(m->group_id) : json_null());
    if (m->sequence_number) {
        char seq[24];
        snprintf(seq, sizeof seq, "%020" PRIu64, m->sequence_number);
        json_object_set_new(o, "sequenceNumber", json_string(seq));
    }
    json_object_set_new(o, "sentTimestamp", json_integer((json_int_t)m->sent_ms));
    return o;
}

static void deliver(struct sub *s, const struct hub_message *m)
{
    hub_bus_socket *bs = s->bs;
    hub_socket *sock = s->owner ? hub_nsp_socket(s->nsp, s->sid) : NULL;
    struct flight *f = NULL;
    json_t *args = NULL;
    int rc = HUB_ENOMEM;

    if (!sock) {
        release(bs, s->queue, m->receipt_handle);
        return;
    }
    json_t *msg = message_obj(m);
    if (msg) args = json_pack("[s,o]", s->queue, msg);
    if (args && (f = hub_calloc(1, sizeof *f)) && (f->receipt = hub_strdup(m->receipt_handle))) {
        f->sub = s;
        s->refs++;
        s->inflight++;
        uint64_t timeout = s->visibility_ms > 0 ? (uint64_t)s->visibility_ms : 1;
        rc = hub_socket_emit_with_ack(sock, "bus:message", args, NULL, 0, timeout, on_reply, f);
        if (rc) {
            s->inflight--;
            s->refs--;
        }
    }
    json_decref(args);
    if (rc) {
        hub_log(HUB_LOG_DEBUG, "bus: pushing a message to %s: %s", s->sid, hub_strerror(rc));
        release(bs, s->queue, m->receipt_handle);
        if (f) hub_free(f->receipt);
        hub_free(f);
    }
}

static void on_received(void *ud, int err, const struct hub_message *msgs, size_t n)
{
    struct sub *s = ud;
    s->polling = 0;
    for (size_t i = 0; i < n; i++)
        deliver(s, &msgs[i]);
    if (err && err != HUB_ECLOSED && s->owner) {
        hub_socket *sock = hub_nsp_socket(s->nsp, s->sid);
        hub_log(HUB_LOG_INFO, "bus: subscription of %s to %s ended: %s", s->sid, s->queue,
                hub_bus_strerror(err));
        if (sock) {
            json_t *e = bus_err_obj(err, s->queue);
            json_t *args = e ? json_pack("[s,O]", s->queue, json_object_get(e, "error")) : NULL;
            if (args) hub_socket_emit(sock, "bus:error", args, NULL, 0);
            json_decref(args);
            json_decref(e);
        }
        sub_end(s);
    } else {
        sub_poll(s);
    }
    sub_unref(s);
}

static void sub_poll(struct sub *s)
{
    hub_bus_socket *bs = s->bs;
    if (!s->owner || s->polling || !bs->bus || bs->stopped || s->inflight >= s->max_inflight)
        return;
    struct hub_receive_opts o = {
        .max_messages = 1, .visibility_ms = s->visibility_ms, .wait_ms = HUB_BUS_WAIT_MAX_MS};
    int rc = hub_bus_receive(bs->bus, s->queue, &o, on_received, s, &s->ticket);
    if (rc) {
        hub_log(HUB_LOG_WARN, "bus: receiving from %s: %s", s->queue, hub_bus_strerror(rc));
        sub_end(s);
        return;
    }
    s->polling = 1;
    s->refs++;
}

static struct sock_state *sock_state(hub_bus_socket *bs, hub_socket *sock, int create)
{
    char *key = join2(hub_nsp_name(hub_socket_nsp(sock)), hub_socket_id(sock));
    if (!key) return NULL;
    struct sock_state *st = hub_map_get(&bs->socks, key, strlen(key));
    if (st || !create) {
        hub_free(key);
        return st;
    }
    if (!(st = hub_calloc(1, sizeof *st))) {
        hub_free(key);
        return NULL;
    }
    st->key = key;
    if (hub_map_put(&bs->socks, key, strlen(key), st)) {
        hub_free(key);
        hub_free(st);
        return NULL;
    }
    return st;
}

static struct sub *sub_find(struct sock_state *st, const char *queue)
{
    for (struct sub *s = st ? st->subs : NULL; s; s = s->next)
        if (strcmp(s->queue, queue) == 0) return s;
    return NULL;
}

static void sock_state_drop(hub_bus_socket *bs, struct sock_state *st)
{
    hub_map_del(&bs->socks, st->key, strlen(st->key));
    while (st->subs)
        sub_end(st->subs);
    hub_free(st->key);
    hub_free(st);
}

static void on_disconnect(hub_socket *sock, const char *reason, void *ud)
{
    hub_bus_socket *bs = ud;
    struct sock_state *st = sock_state(bs, sock, 0);
    (void)reason;
    if (st) sock_state_drop(bs, st);
}

/* ---- the bus:* events ---- */

struct op {
    hub_bus_socket *bs;
    hub_ack *ack;
    hub_nsp *nsp;
    char sid[HUB_SOCKET_ID_MAX + 1];
    char name[MAX_NAME];
    uint32_t max_inflight;
    int64_t visibility_ms;
    struct hub_bridge_def bridge;
};

static struct op *op_new(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev)
{
    struct op *o = hub_calloc(1, sizeof *o);
    if (!o) return NULL;
    o->bs = bs;
    o->ack = hub_ack_take(ev->ack);
    o->nsp = hub_socket_nsp(sock);
    snprintf(o->sid, sizeof o->sid, "%s", hub_socket_id(sock));
    return o;
}

static void op_end(struct op *o, json_t *answer)
{
    reply_free(o->ack, answer);
    hub_bridge_def_clear(&o->bridge);
    hub_free(o);
}

/* A string argument, or NULL after answering the error. */
static const char *arg_name(const struct hub_event *ev, size_t i, const char *what)
{
    const json_t *v = json_array_get(ev->args, i);
    if (json_is_string(v) && json_string_length(v) && json_string_length(v) < MAX_NAME &&
        strlen(json_string_value(v)) == json_string_length(v))
        return json_string_value(v);
    reply(ev->ack, err_obj(v ? "InvalidParameter" : "MissingParameter", "%s must be a name", what));
    return NULL;
}

/* The options argument: an object or nothing (then NULL); -1 after answering the error. */
static int arg_options(const struct hub_event *ev, size_t i, const json_t **out)
{
    const json_t *v = json_array_get(ev->args, i);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_object(v)) {
        reply(ev->ack, err_obj("InvalidParameter", "options must be an object"));
        return -1;
    }
    *out = v;
    return 0;
}

static const char *opt_string(const json_t *opts, const char *key, int *bad)
{
    const json_t *v = json_object_get(opts, key);
    if (!v || json_is_null(v)) return NULL;
    if (!json_is_string(v) || !json_string_length(v)) {
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

static json_t *result_obj(const char *message_id, uint64_t seq, int duplicate)
{
    json_t *o = json_pack("{s:b,s:s}", "ok", 1, "messageId", message_id ? message_id : "");
    if (o && seq) {
        char buf[24];
        snprintf(buf, sizeof buf, "%020" PRIu64, seq);
        json_object_set_new(o, "sequenceNumber", json_string(buf));
    }
    if (o && duplicate) json_object_set_new(o, "duplicate", json_true());
    return o;
}

static void on_published(void *ud, int err, const struct hub_publish_result *r, size_t n)
{
    struct op *o = ud;
    if (!err && n == 1) err = r[0].err;
    op_end(o, err ? bus_err_obj(err, o->name)
                  : result_obj(r[0].message_id, r[0].sequence_number, r[0].duplicate));
}

static void on_sent(void *ud, int err, const struct hub_send_result *r, size_t n)
{
    struct op *o = ud;
    if (!err && n == 1) err = r[0].err;
    op_end(o, err ? bus_err_obj(err, o->name)
                  : result_obj(r[0].message_id, r[0].sequence_number, r[0].duplicate));
}

static void ev_publish(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev)
{
    const char *topic = arg_name(ev, 0, "topic"), *bad = NULL;
    const json_t *opts;
    json_t *attrs = NULL;
    int badopt = 0;
    if (!topic || arg_options(ev, 2, &opts)) return;
    char *body = body_of(ev->args, 1, 1);
    if (json_array_size(ev->args) > 3 || !body) {
        hub_free(body);
        return reply(ev->ack, err_obj("MissingParameter", "bus:publish needs (topic, message, "
                                                          "[options])"));
    }
    struct hub_publish_entry e = {
        .message = body,
        .message_len = strlen(body),
        .group_id = opt_string(opts, "groupId", &badopt),
        .dedup_id = opt_string(opts, "deduplicationId", &badopt),
        .subject = opt_string(opts, "subject", &badopt),
    };
    int rc = attrs_from_plain(json_object_get(opts, "attributes"), &attrs, &bad);
    if (rc || badopt) {
        hub_free(body);
        return reply(ev->ack, rc == HUB_ENOMEM
                                  ? bus_err_obj(rc, NULL)
                                  : err_obj("InvalidParameterValue", "%s",
                                            badopt ? "groupId, deduplicationId and subject must be "
                                                     "strings"
                                                   : "attribute values must be strings, numbers, "
                                                     "booleans or arrays"));
    }
    e.attributes = attrs;
    struct op *o = op_new(bs, sock, ev);
    if (!o) {
        reply(ev->ack, bus_err_obj(HUB_ENOMEM, NULL));
    } else {
        snprintf(o->name, sizeof o->name, "topic %s", topic);
        if ((rc = hub_bus_publish(bs->bus, topic, &e, 1, on_published, o)))
            op_end(o, bus_err_obj(rc, o->name));
    }
    json_decref(attrs);
    hub_free(body);
}

static void ev_send(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev)
{
    const char *queue = arg_name(ev, 0, "queue"), *bad = NULL;
    const json_t *opts;
    json_t *attrs = NULL;
    int badopt = 0;
    if (!queue || arg_options(ev, 2, &opts)) return;
    char *body = body_of(ev->args, 1, 1);
    if (json_array_size(ev->args) > 3 || !body) {
        hub_free(body);
        return reply(ev->ack, err_obj("MissingParameter", "bus:send needs (queue, body, "
                                                          "[options])"));
    }
    const json_t *delay = json_object_get(opts, "delay");
    struct hub_send_entry e = {
        .body = body,
        .body_len = strlen(body),
        .delay_ms = -1,
        .group_id = opt_string(opts, "groupId", &badopt),
        .dedup_id = opt_string(opts, "deduplicationId", &badopt),
        .sender_id = hub_socket_id(sock),
    };
    if (delay && !json_is_null(delay)) {
        if (!json_is_number(delay) || json_number_value(delay) < 0 ||
            json_number_value(delay) > HUB_BUS_DELAY_MAX_MS / 1000)
            badopt = 2;
        else
            e.delay_ms = (int64_t)(json_number_value(delay) * 1000.0 + 0.5);
    }
    int rc = attrs_from_plain(json_object_get(opts, "attributes"), &attrs, &bad);
    if (rc || badopt) {
        hub_free(body);
        json_t *answer;
        if (rc == HUB_ENOMEM)
            answer = bus_err_obj(rc, NULL);
        else if (badopt == 2)
            answer = err_obj("InvalidParameterValue", "delay must be 0 to 900 seconds");
        else if (badopt)
            answer =
                err_obj("InvalidParameterValue", "groupId and deduplicationId must be strings");
        else
            answer =
                err_obj("InvalidParameterValue",
                        "attribute %s: values must be strings, numbers, booleans or arrays", bad);
        return reply(ev->ack, answer);
    }
    e.attributes = attrs;
    struct op *o = op_new(bs, sock, ev);
    if (!o) {
        reply(ev->ack, bus_err_obj(HUB_ENOMEM, NULL));
    } else {
        snprintf(o->name, sizeof o->name, "queue %s", queue);
        if ((rc = hub_bus_send(bs->bus, queue, &e, 1, on_sent, o)))
            op_end(o, bus_err_obj(rc, o->name));
    }
    json_decref(attrs);
    hub_free(body);
}

static void on_queue_for_sub(void *ud, int err, const struct hub_queue_info *info)
{
    struct op *o = ud;
    hub_bus_socket *bs = o->bs;
    hub_socket *sock = hub_nsp_socket(o->nsp, o->sid);
    if (err) return op_end(o, bus_err_obj(err, o->name));
    if (!sock || !bs->bus) return op_end(o, bus_err_obj(HUB_ECLOSED, NULL));
    int64_t vis = o->visibility_ms >= 0 ? o->visibility_ms : (int64_t)info->config->visibility_ms;
    struct sock_state *st = sock_state(bs, sock, 1);
    struct sub *s = st ? sub_find(st, o->name) : NULL;
    if (!st) return op_end(o, bus_err_obj(HUB_ENOMEM, NULL));
    if (!s) {
        if (!(s = hub_calloc(1, sizeof *s)) || !(s->queue = hub_strdup(o->name))) {
            hub_free(s);
            return op_end(o, bus_err_obj(HUB_ENOMEM, NULL));
        }
        s->bs = bs;
        s->refs = 1;
        s->nsp = o->nsp;
        snprintf(s->sid, sizeof s->sid, "%s", o->sid);
        s->owner = st;
        s->next = st->subs;
        st->subs = s;
    }
    s->max_inflight = o->max_inflight;
    s->visibility_ms = vis;
    op_end(o, json_pack("{s:b,s:s,s:i,s:f}", "ok", 1, "queue", s->queue, "maxInFlight",
                        (int)s->max_inflight, "visibilityTimeout", (double)vis / 1000.0));
    sub_poll(s);
}

static void ev_subscribe(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev)
{
    const char *queue = arg_name(ev, 0, "queue");
    const json_t *opts, *v;
    if (!queue || arg_options(ev, 1, &opts)) return;
    uint32_t max = HUB_BUS_SOCKET_MAX_INFLIGHT;
    int64_t vis = -1;
    if ((v = json_object_get(opts, "maxInFlight")) && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > HUB_BUS_SOCKET_MAX_INFLIGHT_LIMIT)
            return reply(ev->ack, err_obj("InvalidParameterValue",
                                          "maxInFlight must be an integer from 1 to %d",
                                          HUB_BUS_SOCKET_MAX_INFLIGHT_LIMIT));
        max = (uint32_t)json_integer_value(v);
    }
    if ((v = json_object_get(opts, "visibilityTimeout")) && !json_is_null(v)) {
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 43200)
            return reply(ev->ack, err_obj("InvalidParameterValue",
                                          "visibilityTimeout must be 0 to 43200 seconds"));
        vis = (int64_t)(json_number_value(v) * 1000.0 + 0.5);
    }
    struct op *o = op_new(bs, sock, ev);
    if (!o) return reply(ev->ack, bus_err_obj(HUB_ENOMEM, NULL));
    snprintf(o->name, sizeof o->name, "%s", queue);
    o->max_inflight = max;
    o->visibility_ms = vis;
    int rc = hub_bus_queue_get(bs->bus, queue, on_queue_for_sub, o);
    if (rc) op_end(o, bus_err_obj(rc, queue));
}

static void ev_unsubscribe(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev)
{
    const char *queue = arg_name(ev, 0, "queue");
    if (!queue) return;
    struct sub *s = sub_find(sock_state(bs, sock, 0), queue);
    if (s) sub_end(s);
    reply(ev->ack, json_pack("{s:b,s:b}", "ok", 1, "subscribed", s != NULL));
}

static void on_created(void *ud, int err, const char *what, const char *sub_id, int pending)
{
    struct op *o = ud;
    if (err) return op_end(o, bus_err_obj(err, what));
    json_t *a = json_pack("{s:b}", "ok", 1);
    if (a && o->name[0]) json_object_set_new(a, "name", json_string(o->name));
    if (a && sub_id) {
        char arn[700];
        json_object_set_new(a, "subscriptionId", json_string(sub_id));
        if (o->bs->bus &&
            hub_bus_subscription_arn(o->bs->bus, o->bridge.topic ? o->bridge.topic : "", sub_id,
                                     arn, sizeof arn) == 0)
            json_object_set_new(a, "subscriptionArn", json_string(arn));
        json_object_set_new(a, "pending", json_boolean(pending));
    }
    op_end(o, a);
}

static json_t *def_err(const struct hub_bus_error *e, int rc)
{
    char text[400];
    if (rc == HUB_ENOMEM) return bus_err_obj(rc, NULL);
    hub_bus_error_format(e, text, sizeof text);
    return err_obj("InvalidParameterValue", "%s", text);
}

static void ev_create_queue(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev)
{
    const char *name = arg_name(ev, 0, "the queue's name");
    const json_t *opts;
    struct hub_queue_def d;
    struct hub_bus_error e = {0};
    if (!name || arg_options(ev, 1, &opts)) return;
    json_t *empty = json_object();
    int rc = hub_queue_def_parse(&d, name, opts ? opts : empty, &e);
    json_decref(empty);
    if (rc) return reply(ev->ack, def_err(&e, rc));
    struct op *o = op_new(bs, sock, ev);
    if (o) snprintf(o->name, sizeof o->name, "%s", name);
    rc = o ? hub_bus_socket_create_queue(bs, &d, on_created, o) : HUB_ENOMEM;
    hub_queue_def_clear(&d);
    if (rc && o)
        op_end(o, bus_err_obj(rc, NULL));
    else if (rc)
        reply(ev->ack, bus_err_obj(rc, NULL));
}

static void ev_create_topic(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev)
{
    const char *name = arg_name(ev, 0, "the topic's name");
    const json_t *opts;
    struct hub_topic_def d;
    struct hub_bus_error e = {0};
    if (!name || arg_options(ev, 1, &opts)) return;
    json_t *empty = json_object();
    int rc = hub_topic_def_parse(&d, name, opts ? opts : empty, &e);
    json_decref(empty);
    if (rc) return reply(ev->ack, def_err(&e, rc));
    struct op *o = op_new(bs, sock, ev);
    if (o) snprintf(o->name, sizeof o->name, "%s", name);
    rc = o ? hub_bus_socket_create_topic(bs, &d, on_created, o) : HUB_ENOMEM;
    hub_topic_def_clear(&d);
    if (rc && o)
        op_end(o, bus_err_obj(rc, NULL));
    else if (rc)
        reply(ev->ack, bus_err_obj(rc, NULL));
}

static void ev_subscribe_topic(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev)
{
    const char *topic = arg_name(ev, 0, "topic");
    const json_t *def = json_array_get(ev->args, 1);
    struct hub_sub_def d;
    struct hub_bus_error e = {0};
    if (!topic) return;
    int rc = hub_sub_def_parse(&d, def, &e);
    if (rc) return reply(ev->ack, def_err(&e, rc));
    struct op *o = op_new(bs, sock, ev);
    if (o && !(o->bridge.topic = hub_strdup(topic))) {
        op_end(o, NULL);
        o = NULL;
    }
    rc = o ? hub_bus_socket_subscribe(bs, topic, &d, on_created, o) : HUB_ENOMEM;
    hub_sub_def_clear(&d);
    if (rc && o)
        op_end(o, bus_err_obj(rc, NULL));
    else if (rc)
        reply(ev->ack, bus_err_obj(rc, NULL));
}

static void on_topic_for_bridge(void *ud, int err, const struct hub_topic_info *info)
{
    struct op *o = ud;
    if (err) return op_end(o, bus_err_obj(err, o->name));
    if (info->config->fifo && !info->config->content_dedup && !o->bridge.dedup_id)
        return op_end(o, err_obj("InvalidParameterValue",
                                 "FIFO topic %s needs contentBasedDeduplication or the bridge's "
                                 "deduplicationId",
                                 o->bridge.topic));
    int rc = hub_bus_socket_add_bridge(o->bs, &o->bridge);
    if (rc == HUB_EEXISTS)
        return op_end(o, err_obj("InvalidParameterValue", "event %s of %s is bridged already",
                                 o->bridge.event, o->bridge.nsp));
    if (rc == HUB_ENOTFOUND)
        return op_end(o, err_obj("InvalidParameterValue", "no namespace %s", o->bridge.nsp));
    op_end(o, rc ? bus_err_obj(rc, NULL) : json_pack("{s:b}", "ok", 1));
}

static void ev_create_bridge(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev)
{
    struct hub_bus_error e = {0};
    struct op *o = op_new(bs, sock, ev);
    if (!o) return reply(ev->ack, bus_err_obj(HUB_ENOMEM, NULL));
    int rc = hub_bridge_def_parse(&o->bridge, json_array_get(ev->args, 0),
                                  hub_nsp_name(hub_socket_nsp(sock)), &e);
    if (rc) return op_end(o, def_err(&e, rc));
    snprintf(o->name, sizeof o->name, "topic %s", o->bridge.topic);
    rc = hub_bus_topic_get(bs->bus, o->bridge.topic, on_topic_for_bridge, o);
    if (rc) op_end(o, bus_err_obj(rc, NULL));
}

static void on_confirmed(void *ud, int err, const struct hub_subscription *sub)
{
    struct op *o = ud;
    if (err) return op_end(o, bus_err_obj(err, o->name));
    op_end(o, json_pack("{s:b,s:s}", "ok", 1, "subscriptionId", sub->id));
}

static void ev_confirm(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev)
{
    const char *topic = arg_name(ev, 0, "topic"), *token = topic ? arg_name(ev, 1, "token") : NULL;
    if (!token) return;
    struct op *o = op_new(bs, sock, ev);
    if (!o) return reply(ev->ack, bus_err_obj(HUB_ENOMEM, NULL));
    snprintf(o->name, sizeof o->name, "topic %s", topic);
    int rc = hub_bus_confirm_subscription(bs->bus, hub_bus_arn_name(topic), token, on_confirmed, o);
    if (rc) op_end(o, bus_err_obj(rc, NULL));
}

/* bus:join / bus:leave (room): the rooms that room subscriptions deliver to. A socket id is not
 * a room one may join (it would receive that socket's messages). */
static void ev_join_leave(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev)
{
    const char *room = arg_name(ev, 0, "room");
    int join = strcmp(ev->name, "bus:join") == 0, rc = 0;
    (void)bs;
    if (!room) return;
    if (hub_nsp_socket(hub_socket_nsp(sock), room) || strcmp(room, hub_socket_id(sock)) == 0)
        return reply(ev->ack, err_obj("InvalidParameterValue", "%s is a reserved room", room));
    if (join)
        rc = hub_socket_join(sock, room);
    else
        hub_socket_leave(sock, room);
    if (rc)
        return reply(ev->ack, err_obj(rc == HUB_ELIMIT ? "OverLimit" : "InternalFailure", "%s",
                                      rc == HUB_ELIMIT ? "too many rooms" : hub_strerror(rc)));
    reply(ev->ack, json_pack("{s:b,s:s}", "ok", 1, "room", room));
}

static const struct {
    const char *name;
    void (*fn)(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev);
} bus_events[] = {
    {"bus:join", ev_join_leave},
    {"bus:leave", ev_join_leave},
    {"bus:publish", ev_publish},
    {"bus:send", ev_send},
    {"bus:subscribe", ev_subscribe},
    {"bus:unsubscribe", ev_unsubscribe},
    {"bus:createQueue", ev_create_queue},
    {"bus:createTopic", ev_create_topic},
    {"bus:subscribeTopic", ev_subscribe_topic},
    {"bus:createBridge", ev_create_bridge},
    {"bus:confirmSubscription", ev_confirm},
};

/* ---- bridges ---- */

static void bridge_publish(hub_bus_socket *bs, hub_socket *sock, const struct hub_event *ev,
                           const struct bridge *b)
{
    const struct hub_bridge_def *d = &b->def;
    const json_t *first = json_array_get(ev->args, 0);
    char missing[128], *body = NULL, *group = NULL, *dedup = NULL, *subject = NULL;
    json_t *attrs = NULL, *answer = NULL;
    int rc = 0;

    if (ev->nbufs)
        return reply(ev->ack,
                     err_obj("InvalidParameterValue", "binary arguments cannot be published"));
    if (!(body = body_of(ev->args, 0, SIZE_MAX)))
        return reply(ev->ack, err_obj("MissingParameter", "the event has no argument to publish"));
    for (size_t i = 0; i < d->nattributes; i++) {
        const json_t *v = field_get(first, d->attributes[i], strlen(d->attributes[i]));
        json_t *a = v && !json_is_null(v) ? attr_from_plain(v) : NULL;
        if (!a) continue;
        if (!attrs && !(attrs = json_object())) rc = HUB_ENOMEM;
        if (attrs && json_object_set_new(attrs, d->attributes[i], a)) rc = HUB_ENOMEM;
    }
    if (d->group_id && b->fifo &&
        !(group = expand(d->group_id, NULL, first, missing, sizeof missing)))
        answer = err_obj("InvalidParameterValue", "groupId: the event has no field %s", missing);
    if (!answer && d->dedup_id && b->fifo &&
        !(dedup = expand(d->dedup_id, NULL, first, missing, sizeof missing)))
        answer =
            err_obj("InvalidParameterValue", "deduplicationId: the event has no field %s", missing);
    if (!answer && d->subject &&
        !(subject = expand(d->subject, NULL, first, missing, sizeof missing)))
        answer = err_obj("InvalidParameterValue", "subject: the event has no field %s", missing);
    if (!answer && !rc) {
        struct hub_publish_entry e = {
            .message = body,
            .message_len = strlen(body),
            .attributes = attrs,
            .group_id = b->fifo ? (group ? group : hub_socket_id(sock)) : NULL,
            .dedup_id = dedup,
            .subject = subject,
        };
        struct op *o = op_new(bs, sock, ev);
        if (!o) {
            rc = HUB_ENOMEM;
        } else {
            snprintf(o->name, sizeof o->name, "topic %s", d->topic);
            int prc =
                bs->bus ? hub_bus_publish(bs->bus, d->topic, &e, 1, on_published, o) : HUB_ECLOSED;
            if (prc) op_end(o, bus_err_obj(prc, o->name));
        }
    }
    if (rc) answer = bus_err_obj(rc, NULL);
    if (answer) reply(ev->ack, answer);
    json_decref(attrs);
    hub_free(body);
    hub_free(group);
    hub_free(dedup);
    hub_free(subject);
}

static void on_any(hub_socket *sock, const struct hub_event *ev, void *ud)
{
    hub_bus_socket *bs = ud;
    const char *nsp = hub_nsp_name(hub_socket_nsp(sock));
    if (strncmp(ev->name, "bus:", 4) == 0) {
        struct nsp_info *ni = hub_map_get(&bs->nsps, nsp, strlen(nsp));
        if (!ni || !ni->bus)
            return reply(ev->ack, err_obj("UnsupportedOperation",
                                          "the bus is not enabled in namespace %s", nsp));
        for (size_t i = 0; i < sizeof bus_events / sizeof *bus_events; i++) {
            if (strcmp(ev->name, bus_events[i].name) == 0) {
                if (!bs->bus) return reply(ev->ack, bus_err_obj(HUB_ECLOSED, NULL));
                return bus_events[i].fn(bs, sock, ev);
            }
        }
        return reply(ev->ack, err_obj("UnsupportedOperation", "unknown bus event %s", ev->name));
    }
    if (!hub_map_count(&bs->bridges)) return;
    char *key = join2(nsp, ev->name);
    struct bridge *b = key ? hub_map_get(&bs->bridges, key, strlen(key)) : NULL;
    hub_free(key);
    if (b) bridge_publish(bs, sock, ev, b);
}

static int nsp_install(hub_bus_socket *bs, hub_nsp *nsp, int bus)
{
    const char *name = hub_nsp_name(nsp);
    struct nsp_info *ni = hub_map_get(&bs->nsps, name, strlen(name));
    int rc;
    if (!ni) {
        if (!(ni = hub_calloc(1, sizeof *ni)) || !(ni->name = hub_strdup(name))) {
            hub_free(ni);
            return HUB_ENOMEM;
        }
        if ((rc = hub_map_put(&bs->nsps, ni->name, strlen(ni->name), ni))) {
            hub_free(ni->name);
            hub_free(ni);
            return rc;
        }
    }
    if (bus) ni->bus = 1;
    if (ni->installed) return 0;
    if ((rc = hub_nsp_on(nsp, NULL, on_any, bs)) ||
        (rc = hub_nsp_on_disconnect(nsp, on_disconnect, bs)))
        return rc;
    ni->installed = 1;
    return 0;
}

static void bridge_free(struct bridge *b)
{
    if (!b) return;
    hub_bridge_def_clear(&b->def);
    hub_free(b->key);
    hub_free(b);
}

int hub_bus_socket_add_bridge(hub_bus_socket *bs, const struct hub_bridge_def *d)
{
    if (!bs || !d || !d->nsp || !d->event || !d->topic || !hub_bridge_event_valid(d->event))
        return HUB_EINVAL;
    hub_nsp *nsp = hub_server_nsp(bs->srv, d->nsp);
    if (!nsp) return HUB_ENOTFOUND;
    struct bridge *b = hub_calloc(1, sizeof *b);
    if (!b || !(b->key = join2(d->nsp, d->event))) {
        bridge_free(b);
        return HUB_ENOMEM;
    }
    if (hub_map_get(&bs->bridges, b->key, strlen(b->key))) {
        bridge_free(b);
        return HUB_EEXISTS;
    }
    struct hub_bridge_def *c = &b->def;
    const char *src[] = {d->nsp, d->event, d->topic, d->group_id, d->dedup_id, d->subject};
    char **dst[] = {&c->nsp, &c->event, &c->topic, &c->group_id, &c->dedup_id, &c->subject};
    for (size_t i = 0; i < sizeof src / sizeof *src; i++) {
        if (src[i] && !(*dst[i] = hub_strdup(src[i]))) {
            bridge_free(b);
            return HUB_ENOMEM;
        }
    }
    if (d->nattributes) {
        if (!(c->attributes = hub_calloc(d->nattributes + 1, sizeof *c->attributes))) {
            bridge_free(b);
            return HUB_ENOMEM;
        }
        for (; c->nattributes < d->nattributes; c->nattributes++) {
            if (!(c->attributes[c->nattributes] = hub_strdup(d->attributes[c->nattributes]))) {
                bridge_free(b);
                return HUB_ENOMEM;
            }
        }
    }
    b->fifo = is_fifo(d->topic);
    int rc = nsp_install(bs, nsp, 0);
    if (!rc) rc = hub_map_put(&bs->bridges, b->key, strlen(b->key), b);
    if (rc) bridge_free(b);
    return rc;
}

/* ---- room deliveries ---- */

static void on_room_message(void *ud, const char *nsp_name, const char *room, const char *topic,
                            const char *message_id, const char *body, size_t body_len,
                            json_t *attributes)
{
    hub_bus_socket *bs = ud;
    hub_nsp *nsp = hub_server_nsp(bs->srv, nsp_name);
    char endpoint[600], missing[128], *target = NULL;
    json_t *parsed = NULL;
    if (!nsp) return;
    snprintf(endpoint, sizeof endpoint, "%s#%s", nsp_name, room);
    if (strchr(room, '{')) {
        parsed = json_loadb(body, body_len, 0, NULL);
        /* An SNS envelope (a subscription without raw delivery): the fields are the Message's. */
        if (json_is_string(json_object_get(parsed, "Message")) &&
            json_is_string(json_object_get(parsed, "TopicArn"))) {
            json_t *inner =
                json_loads(json_string_value(json_object_get(parsed, "Message")), 0, NULL);
            json_decref(parsed);
            parsed = inner;
        }
        if (!(target = expand(room, attributes, parsed, missing, sizeof missing))) {
            hub_log(HUB_LOG_DEBUG, "bus: topic %s: no field %s for room %s; not delivered", topic,
                    missing, room);
            json_decref(parsed);
            return;
        }
    }
    char *key = join2(topic, endpoint);
    struct room_event *re = key ? hub_map_get(&bs->rooms, key, strlen(key)) : NULL;
    hub_free(key);
    json_t *text = json_stringn(body, body_len);
    json_t *args = text ? json_pack("[{s:s,s:s,s:o,s:o}]", "id", message_id, "topic", topic, "body",
                                    text, "attributes", attrs_to_plain(attributes))
                        : NULL;
    const char *rooms[1] = {target ? target : room};
    struct hub_target t = {.rooms = rooms, .nrooms = 1};
    if (args) hub_nsp_emit(nsp, &t, re ? re->event : topic, args, NULL, 0);
    json_decref(args);
    json_decref(parsed);
    hub_free(target);
}

/* ---- HTTP(S) deliveries ---- */

struct http_msg {
    hub_bus_socket *bs;
    char *dlq;
};

static void on_dlq_sent(void *ud, int err, const struct hub_send_result *r, size_t n)
{
    (void)ud;
    if (err || (n == 1 && r[0].err))
        hub_log(HUB_LOG_WARN, "bus: moving a failed HTTP delivery to its dead-letter queue: %s",
                hub_bus_strerror(err ? err : r[0].err));
}

static void on_http_failed(void *hook_ud, const struct hub_http_failure *f)
{
    hub_bus_socket *bs = hook_ud;
    struct http_msg *m = f->msg_ud;
    hub_log(HUB_LOG_INFO, "bus: giving up on %s after %u attempts (last: %d)", f->url, f->attempts,
            f->last_status);
    if (!m || !m->dlq || !bs->bus) return;
    struct hub_send_entry e = {.body = f->body, .body_len = f->len, .delay_ms = -1};
    if (is_fifo(m->dlq)) e.group_id = "http-dead-letters";
    hub_bus_send(bs->bus, m->dlq, &e, 1, on_dlq_sent, NULL);
}

static void on_http_done(void *msg_ud, int result, int last_status, unsigned attempts)
{
    struct http_msg *m = msg_ud;
    (void)result;
    (void)last_status;
    (void)attempts;
    hub_free(m->dlq);
    hub_free(m);
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

static void on_http_notification(void *ud, const struct hub_subscription *sub,
                                 const struct hub_notification *n)
{
    hub_bus_socket *bs = ud;
    int rc = HUB_ENOMEM;
    char *content_type = NULL, err[200];
    struct http_msg *m = hub_calloc(1, sizeof *m);
    struct hub_http_retry_policy policy;
    struct hub_bus_sns sns;

    if (!bs->http || !bs->bus || !m) goto out;
    m->bs = bs;
    if (!n->token) m->dlq = sub_dlq(sub);
    hub_http_retry_policy_default(&policy);
    const char *dp = json_string_value(json_object_get(sub->extra, "DeliveryPolicy"));
    if (dp && hub_http_retry_policy_parse(&policy, dp, strlen(dp), &content_type, err, sizeof err))
        hub_log(HUB_LOG_WARN, "bus: %s: DeliveryPolicy: %s", sub->endpoint, err);
    if ((rc = hub_bus_sns_prepare(bs->bus, n, &sns))) goto out;
    rc = hub_http_delivery_post_sns(bs->http, sub->endpoint, &sns.m, n->subscription_arn, sub->raw,
                                    &sns.signer, &policy, on_http_done, m);
    hub_bus_sns_release(&sns);
    if (rc == 0) m = NULL;
out:
    if (rc) hub_log(HUB_LOG_WARN, "bus: cannot deliver to %s: %s", sub->endpoint, hub_strerror(rc));
    if (m) {
        hub_free(m->dlq);
        hub_free(m);
    }
    hub_free(content_type);
}

/* ---- the SNS confirmation route ---- */

struct route_op {
    hub_httpx *x; /* NULL once the client went away */
};

static void route_reply(hub_httpx *x, int status, const char *code, const char *arn)
{
    char body[900];
    if (code)
        snprintf(body, sizeof body, "{\"Error\":{\"Code\":\"%s\"}}", code);
    else
        snprintf(body, sizeof body, "{\"SubscriptionArn\":\"%s\"}", arn ? arn : "");
    hub_httpx_reply(x, status, "application/json", NULL, body, strlen(body));
}

static void on_route_abort(void *ud)
{
    ((struct route_op *)ud)->x = NULL;
}

static void route_done(struct route_op *r, int err, const char *arn)
{
    if (r->x)
        route_reply(r->x, err ? hub_bus_error_status(err) : 200,
                    err ? hub_bus_error_name(err) : NULL, arn);
    hub_free(r);
}

struct route_ctx {
    struct route_op op;
    hub_bus_socket *bs;
    char arn[700];
};

static void on_route_confirmed(void *ud, int err, const struct hub_subscription *sub)
{
    struct route_ctx *c = ud;
    if (!err) hub_bus_subscription_arn(c->bs->bus, sub->topic, sub->id, c->arn, sizeof c->arn);
    route_done(&c->op, err, c->arn);
}

static void on_route_unsubscribed(void *ud, int err)
{
    struct route_ctx *c = ud;
    route_done(&c->op, err, c->arn);
}

static void on_route(void *ud, hub_httpx *x)
{
    hub_bus_socket *bs = ud;
    char q[2048], action[64], a[700], token[200];
    int rc = HUB_BUS_EINVALID_PARAMETER;

    if (!bs->bus) return route_reply(x, 503, "ServiceUnavailable", NULL);
    snprintf(q, sizeof q, "%s", hub_httpx_query(x));
    if (hub_query_get(q, "Action", action, sizeof action) < 0)
        return route_reply(x, 400, "MissingAction", NULL);
    struct route_ctx *c = hub_calloc(1, sizeof *c);
    if (!c) return route_reply(x, 500, "InternalFailure", NULL);
    c->op.x = x;
    c->bs = bs;
    if (strcmp(action, "ConfirmSubscription") == 0) {
        if (hub_query_get(q, "TopicArn", a, sizeof a) > 0 &&
            hub_query_get(q, "Token", token, sizeof token) > 0)
            rc = hub_bus_confirm_subscription(bs->bus, hub_bus_arn_name(a), token,
                                              on_route_confirmed, c);
    } else if (strcmp(action, "Unsubscribe") == 0) {
        if (hub_query_get(q, "SubscriptionArn", a, sizeof a) > 0 && hub_bus_arn_name(a)) {
            snprintf(c->arn, sizeof c->arn, "%s", a);
            rc = hub_bus_unsubscribe(bs->bus, hub_bus_arn_name(a), on_route_unsubscribed, c);
        }
    } else {
        hub_free(c);
        return route_reply(x, 400, "InvalidAction", NULL);
    }
    if (rc) {
        hub_free(c);
        return route_reply(x, hub_bus_error_status(rc), hub_bus_error_name(rc), NULL);
    }
    hub_httpx_on_abort(x, on_route_abort, &c->op);
}

/* ---- the signing certificate route ---- */

static void on_cert_route(void *ud, hub_httpx *x)
{
    hub_bus_socket *bs = ud;
    const char *method = hub_httpx_method(x), *path = hub_httpx_path(x);
    const char *name = path + strlen(HUB_SNS_CERT_PATH);
    const hub_sns_key *key = bs->bus ? hub_bus_signing_key(bs->bus) : NULL;
    static const char *const allow[] = {"Allow: GET, HEAD", NULL};
    static const char *const cache[] = {"Cache-Control: public, max-age=86400", NULL};
    static const char missing[] = "not found\n";

    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        hub_httpx_reply(x, 405, "text/plain", allow, "", 0);
        return;
    }
    if (!key) {
        route_reply(x, 503, "ServiceUnavailable", NULL);
        return;
    }
    /* The fingerprinted name is the key's alone, so it may be cached; the alias follows the key. */
    int fixed = strcmp(name, hub_sns_key_cert_name(key)) == 0;
    if (!fixed && strcmp(name, HUB_SNS_CERT_ALIAS) != 0) {
        hub_httpx_reply(x, 404, "text/plain", NULL, missing, sizeof missing - 1);
        return;
    }
    size_t len;
    const char *pem = hub_sns_key_cert_pem(key, &len);
    hub_httpx_reply(x, 200, HUB_SNS_CERT_CONTENT_TYPE, fixed ? cache : NULL, pem, len);
}

int hub_bus_socket_add_routes(hub_bus_socket *bs, hub_routes *routes)
{
    int rc = hub_routes_add(routes, HUB_BUS_SOCKET_ROUTE, 0, 0, on_route, bs);
    if (rc) return rc;
    return hub_routes_add(routes, HUB_SNS_CERT_PATH, HUB_ROUTE_PREFIX, 0, on_cert_route, bs);
}

/* ---- life ---- */

hub_bus_socket *hub_bus_socket_new(hub_server *srv, const struct hub_config *cfg,
                                   hub_bus_factory make_bus, void *make_ud)
{
    uint64_t seed[4] = {0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL, 0x94d049bb133111ebULL,
                        0x2545f4914f6cdd1dULL};
    hub_bus_socket *bs = hub_calloc(1, sizeof *bs);
    if (!bs) return NULL;
    bs->srv = srv;
    bs->cfg = cfg;
    bs->make_bus = make_bus;
    bs->make_ud = make_ud;
    bs->loop = hub_server_loop(srv);
    /* Keys are namespace, event, topic names and socket ids; the sockets' map is the only one a
     * client can grow, and with ids it does not choose. A fixed seed is enough. */
    hub_map_init(&bs->nsps, seed[0], seed[1]);
    hub_map_init(&bs->bridges, seed[1], seed[2]);
    hub_map_init(&bs->rooms, seed[2], seed[3]);
    hub_map_init(&bs->socks, seed[3], seed[0]);
    for (size_t i = 0; i < cfg->nnamespaces; i++) {
        if (!cfg->namespaces[i].bus) continue;
        hub_nsp *nsp = hub_server_of(srv, cfg->namespaces[i].name);
        if (!nsp || nsp_install(bs, nsp, 1)) goto fail;
    }
    for (size_t i = 0; cfg->bus && i < cfg->bus->nbridges; i++) {
        const struct hub_bridge_def *d = &cfg->bus->bridges[i];
        if (!hub_server_of(srv, d->nsp) || hub_bus_socket_add_bridge(bs, d)) goto fail;
    }
    return bs;
fail:
    hub_bus_socket_free(bs);
    return NULL;
}

hub_bus *hub_bus_socket_bus(hub_bus_socket *bs)
{
    return bs ? bs->bus : NULL;
}

/* Config definitions: queues that are dead-letter targets before the queues naming them, then
 * topics each followed by its subscriptions. */
static struct job *config_job(hub_bus_socket *bs, hub_bus_socket_cb cb, void *ud)
{
    const struct hub_bus_config *c = bs->cfg->bus;
    size_t n = 0;
    if (!c) return job_new(bs, 0, cb, ud);
    n = c->nqueues + c->ntopics;
    for (size_t i = 0; i < c->ntopics; i++)
        n += c->topics[i].nsubs;
    struct job *j = job_new(bs, n, cb, ud);
    if (!j) return NULL;
    char *done = c->nqueues ? hub_calloc(c->nqueues, 1) : NULL;
    if (c->nqueues && !done) {
        job_end((j->cb = NULL, j), 0);
        return NULL;
    }
    for (size_t left = c->nqueues; left;) {
        size_t before = left;
        for (size_t i = 0; i < c->nqueues; i++) {
            const struct hub_queue_def *q = &c->queues[i];
            int ready = !done[i] && !q->dlq;
            for (size_t k = 0; !done[i] && !ready && k < c->nqueues; k++)
                ready = done[k] && strcmp(c->queues[k].name, q->dlq) == 0;
            if (ready) {
                done[i] = 1;
                left--;
                j->steps[j->n++] = (struct step){.kind = STEP_QUEUE, .queue = q};
            }
        }
        if (left == before) { /* a cycle of dead-letter queues: the store will refuse it */
            for (size_t i = 0; i < c->nqueues; i++)
                if (!done[i]) {
                    done[i] = 1;
                    left--;
                    j->steps[j->n++] = (struct step){.kind = STEP_QUEUE, .queue = &c->queues[i]};
                }
        }
    }
    hub_free(done);
    for (size_t i = 0; i < c->ntopics; i++)
        job_add_topic(j, &c->topics[i]);
    return j;
}

struct start_ctx {
    void (*done)(void *ud, int err, const char *what);
    void *ud;
};

static void on_config_created(void *ud, int err, const char *what, const char *sub_id, int pending)
{
    struct start_ctx *s = ud;
    (void)sub_id;
    (void)pending;
    s->done(s->ud, err, what);
    hub_free(s);
}

/* Where receivers fetch the signing certificate: bus.signingCertUrl as given; else under the base
 * HTTP subscribers already reach the hub at (bus.publicUrl, which their SubscribeURL uses), or the
 * AWS APIs' advertisedUrl when they share the hub's listener, or the hub's own address (own). */
static int signing_cert_url(const hub_bus_socket *bs, const hub_sns_key *key, const char *own,
                            char **out)
{
    const struct hub_bus_config *c = bs->cfg->bus;
    const struct hub_aws_config *a = bs->cfg->aws;
    const char *base = own;

    if (c && c->signing_cert_url) return (*out = hub_strdup(c->signing_cert_url)) ? 0 : HUB_ENOMEM;
    if (c && c->public_url)
        base = c->public_url;
    else if (a && a->enabled && a->port < 0 && a->advertised_url)
        base = a->advertised_url;
    return hub_sns_key_cert_url(key, base, out);
}

int hub_bus_socket_start(hub_bus_socket *bs, const struct hub_http_client_ops *client,
                         void *client_ctx, int port,
                         void (*done)(void *ud, int err, const char *what), void *ud)
{
    hub_bus *bus = NULL;
    const struct hub_bus_config *c = bs->cfg->bus;
    char url[300], *cert_url = NULL;
    if (bs->started) return HUB_ESTATE;
    const char *host = bs->cfg->host;
    if (!host || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) host = "127.0.0.1";
    snprintf(url, sizeof url, strchr(host, ':') ? "http://[%s]:%d/bus" : "http://%s:%d/bus", host,
             port);
    /* The key: the configured one (every node signs alike), else one of our own, made now. */
    hub_sns_key *key = hub_sns_key_ref(c ? c->signing_key : NULL);
    if (!key) {
        int rc = hub_sns_key_generate(&key);
        if (rc) {
            hub_log(HUB_LOG_ERROR, "bus: cannot generate the SNS signing key: %s",
                    hub_strerror(rc));
            return rc;
        }
    }
    bs->public_url = hub_strdup(c && c->public_url ? c->public_url : url);
    struct start_ctx *s = hub_calloc(1, sizeof *s);
    if (!bs->public_url || !s || signing_cert_url(bs, key, url, &cert_url)) goto fail_nomem;
    s->done = done;
    s->ud = ud;
    struct hub_bus_options o = {
        .region = c ? c->region : NULL,
        .account = c ? c->account : NULL,
        .public_url = bs->public_url,
        .signing_secret = c ? c->signing_secret : NULL,
        .signing_key = key,
        .signing_cert_url = cert_url,
    };
    bus = bs->make_bus ? bs->make_bus(bs->loop, &o, bs->make_ud) : NULL;
    hub_sns_key_unref(key); /* the bus holds it now */
    key = NULL;
    hub_free(cert_url);
    cert_url = NULL;
    if (!bus) goto fail_nomem;
    if (client) {
        struct hub_http_delivery_config hc = {
            .client = client, .client_ctx = client_ctx, .on_failed = on_http_failed, .hook_ud = bs};
        if (hub_http_delivery_new(bs->loop, &hc, &bs->http)) {
            bs->http = NULL;
            hub_bus_free(bus);
            goto fail_nomem;
        }
    }
    bs->bus = bus;
    bs->started = 1;
    hub_bus_set_room_sink(bus, on_room_message, bs);
    if (bs->http) hub_bus_set_http_sink(bus, on_http_notification, bs);
    struct job *j = config_job(bs, on_config_created, s);
    int rc = j ? job_start(j) : HUB_ENOMEM;
    if (rc) {
        hub_free(s);
        hub_bus_socket_stop(bs);
        hub_log(HUB_LOG_ERROR, "bus: cannot create the configured definitions: %s",
                hub_bus_strerror(rc));
        return rc;
    }
    return 0;
fail_nomem:
    hub_sns_key_unref(key);
    hub_free(cert_url);
    hub_free(s);
    hub_free(bs->public_url);
    bs->public_url = NULL;
    return HUB_ENOMEM;
}

void hub_bus_socket_stop(hub_bus_socket *bs)
{
    size_t pos = 0;
    void *v;
    if (!bs || bs->stopped) return;
    bs->stopped = 1;
    if (bs->bus) {
        while (hub_map_next(&bs->socks, &pos, NULL, NULL, &v)) {
            for (struct sub *s = ((struct sock_state *)v)->subs; s; s = s->next)
                if (s->polling) hub_bus_receive_cancel(bs->bus, s->ticket);
        }
    }
    if (bs->http) hub_http_delivery_close(bs->http, NULL, NULL);
    bs->http = NULL;
    hub_bus_free(bs->bus);
    bs->bus = NULL;
}

void hub_bus_socket_free(hub_bus_socket *bs)
{
    size_t pos = 0;
    void *v;
    if (!bs) return;
    hub_bus_socket_stop(bs);
    while (hub_map_next(&bs->socks, &pos, NULL, NULL, &v))
        sock_state_drop(bs, v);
    pos = 0;
    while (hub_map_next(&bs->bridges, &pos, NULL, NULL, &v))
        bridge_free(v);
    pos = 0;
    while (hub_map_next(&bs->rooms, &pos, NULL, NULL, &v)) {
        struct room_event *re = v;
        hub_free(re->key);
        hub_free(re->event);
        hub_free(re);
    }
    pos = 0;
    while (hub_map_next(&bs->nsps, &pos, NULL, NULL, &v)) {
        struct nsp_info *ni = v;
        hub_free(ni->name);
        hub_free(ni);
    }
    hub_map_clear(&bs->socks);
    hub_map_clear(&bs->bridges);
    hub_map_clear(&bs->rooms);
    hub_map_clear(&bs->nsps);
    hub_free(bs->public_url);
    hub_free(bs);
}

uv_loop_t *hub_bus_socket_loop(const hub_bus_socket *bs)
{
    return bs->loop;
}

int hub_bus_socket_wanted(const hub_bus_socket *bs)
{
    return bs && hub_bus_config_wanted(bs->cfg);
}
