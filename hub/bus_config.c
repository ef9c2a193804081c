/* bus_config.c - see bus_config.h.
 *
 * Each kind of definition is a key table (name, parser, field offset, range), as config.c reads the
 * rest of the file; a parser reports the key path of what is wrong through struct hub_bus_error,
 * which config.c turns into "file:line: path: message". */
#include "bus_config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "http_delivery.h"
#include "hub_alloc.h"
#include "hub_err.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum { SLOT_BUS, SLOT_QUEUES, SLOT_TOPICS, SLOT_BRIDGES, NSLOTS };
static const char *const slot_names[NSLOTS] = {"bus", "queues", "topics", "bridges"};

/* ---- errors ---- */

static void push_key(struct hub_bus_error *e, const char *key)
{
    if (e->depth < HUB_BUS_ERROR_DEPTH) {
        e->path[e->depth].key = key;
        e->path[e->depth].index = 0;
    }
    e->depth++;
}

static void push_index(struct hub_bus_error *e, size_t i)
{
    if (e->depth < HUB_BUS_ERROR_DEPTH) {
        e->path[e->depth].key = NULL;
        e->path[e->depth].index = i;
    }
    e->depth++;
}

static void pop(struct hub_bus_error *e)
{
    e->depth--;
}

/* Sets the message (keeping the path as it stands) and returns HUB_EINVAL. */
static int fail(struct hub_bus_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    if (e->depth > HUB_BUS_ERROR_DEPTH) e->depth = HUB_BUS_ERROR_DEPTH;
    return HUB_EINVAL;
}

/* Fails at a key below the current path. */
static int fail_at(struct hub_bus_error *e, const char *key, const char *fmt, ...)
{
    va_list ap;
    push_key(e, key);
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    if (e->depth > HUB_BUS_ERROR_DEPTH) e->depth = HUB_BUS_ERROR_DEPTH;
    return HUB_EINVAL;
}

static int nomem(struct hub_bus_error *e)
{
    snprintf(e->msg, sizeof e->msg, "out of memory");
    return HUB_ENOMEM;
}

void hub_bus_error_format(const struct hub_bus_error *e, char *buf, size_t len)
{
    size_t n = 0;
    if (!len) return;
    buf[0] = '\0';
    for (size_t i = 0; i < e->depth && i < HUB_BUS_ERROR_DEPTH && n < len; i++) {
        int m = e->path[i].key ? snprintf(buf + n, len - n, "%s%s", i ? "." : "", e->path[i].key)
                               : snprintf(buf + n, len - n, "[%zu]", e->path[i].index);
        if (m < 0) break;
        n += (size_t)m;
    }
    if (n < len) snprintf(buf + n, len - n, "%s%s", n ? ": " : "", e->msg);
}

/* ---- values ---- */

struct def_key;
typedef int (*def_apply)(const struct def_key *k, const json_t *v, void *base,
                         struct hub_bus_error *e);

struct def_key {
    const char *name;
    def_apply apply;
    size_t offset;
    double min, max; /* seconds, counts or bytes */
};

#define FIELD(base, k, type) ((type *)((char *)(base) + (k)->offset))

static int apply_bool(const struct def_key *k, const json_t *v, void *base, struct hub_bus_error *e)
{
    if (!json_is_boolean(v)) return fail(e, "must be true or false");
    *FIELD(base, k, int) = json_is_true(v);
    return 0;
}

static int apply_seconds(const struct def_key *k, const json_t *v, void *base,
                         struct hub_bus_error *e)
{
    if (!json_is_number(v))
        return fail(e, "must be a number of seconds from %g to %g", k->min, k->max);
    double s = json_number_value(v);
    if (!(s >= k->min && s <= k->max))
        return fail(e, "%g is out of range (%g to %g seconds)", s, k->min, k->max);
    *FIELD(base, k, int64_t) = (int64_t)llround(s * 1000.0);
    return 0;
}

static int apply_count(const struct def_key *k, const json_t *v, void *base,
                       struct hub_bus_error *e)
{
    if (!json_is_integer(v)) return fail(e, "must be an integer from %g to %g", k->min, k->max);
    json_int_t n = json_integer_value(v);
    if ((double)n < k->min || (double)n > k->max)
        return fail(e, "%lld is out of range (%g to %g)", (long long)n, k->min, k->max);
    *FIELD(base, k, int64_t) = (int64_t)n;
    return 0;
}

static int get_string(const json_t *v, const char **out, struct hub_bus_error *e)
{
    if (!json_is_string(v)) return fail(e, "must be a string");
    *out = json_string_value(v);
    if (strlen(*out) != json_string_length(v)) return fail(e, "must not contain NUL characters");
    if (!**out) return fail(e, "must not be empty");
    return 0;
}

static int apply_string(const struct def_key *k, const json_t *v, void *base,
                        struct hub_bus_error *e)
{
    const char *s = NULL;
    int rc = get_string(v, &s, e);
    if (rc) return rc;
    char **f = FIELD(base, k, char *), *copy = hub_strdup(s);
    if (!copy) return nomem(e);
    hub_free(*f);
    *f = copy;
    return 0;
}

/* An object kept as its JSON text. */
static int apply_object_text(const struct def_key *k, const json_t *v, void *base,
                             struct hub_bus_error *e)
{
    if (!json_is_object(v)) return fail(e, "must be an object");
    json_malloc_t jmalloc;
    json_free_t jfree;
    char **f = FIELD(base, k, char *), *text = json_dumps(v, JSON_COMPACT);
    if (!text) return nomem(e);
    hub_free(*f);
    *f = hub_strdup(text);
    json_get_alloc_funcs(&jmalloc, &jfree); /* json_dumps allocates with jansson's functions */
    jfree(text);
    return *f ? 0 : nomem(e);
}

/* Applies an object's members through a table; unknown members are errors. */
static int apply_table(const struct def_key *table, size_t n, const json_t *obj, void *base,
                       struct hub_bus_error *e)
{
    const char *key;
    json_t *value;
    if (!json_is_object(obj)) return fail(e, "must be an object");
    json_object_foreach((json_t *)obj, key, value)
    {
        const struct def_key *k = NULL;
        for (size_t i = 0; i < n && !k; i++)
            if (strcmp(table[i].name, key) == 0) k = &table[i];
        push_key(e, key);
        int rc = k ? k->apply(k, value, base, e) : fail(e, "unknown key");
        if (rc) return rc;
        pop(e);
    }
    return 0;
}

static int ends_with_fifo(const char *name)
{
    size_t n = strlen(name);
    return n >= 5 && strcmp(name + n - 5, ".fifo") == 0;
}

/* ---- queues ---- */

#define QD(f) offsetof(struct hub_queue_def, f)

static int apply_queue_dlq(const struct def_key *k, const json_t *v, void *base,
                           struct hub_bus_error *e)
{
    struct hub_queue_def *d = base;
    const json_t *q = json_object_get(v, "queue"), *m = json_object_get(v, "maxReceiveCount");
    const char *key, *name = NULL;
    json_t *x;
    (void)k;
    if (!json_is_object(v))
        return fail(e, "must be an object {\"queue\": \"<name>\", \"maxReceiveCount\": n}");
    json_object_foreach((json_t *)v, key, x)
    {
        if (strcmp(key, "queue") && strcmp(key, "maxReceiveCount"))
            return fail_at(e, key, "unknown key");
    }
    if (!q) return fail_at(e, "queue", "is required");
    push_key(e, "queue");
    int rc = get_string(q, &name, e);
    if (rc) return rc;
    if (!hub_bus_name_valid(name, 0)) return fail(e, "\"%s\" is not a queue name", name);
    pop(e);
    if (!json_is_integer(m) || json_integer_value(m) < 1 || json_integer_value(m) > 1000)
        return fail_at(e, "maxReceiveCount", "must be an integer from 1 to 1000");
    hub_free(d->dlq);
    if (!(d->dlq = hub_strdup(name))) return nomem(e);
    d->max_receive_count = (uint32_t)json_integer_value(m);
    return 0;
}

static int apply_queue_fifo(const struct def_key *k, const json_t *v, void *base,
                            struct hub_bus_error *e)
{
    int rc = apply_bool(k, v, base, e);
    struct hub_queue_def *d = base;
    if (rc == 0 && d->fifo != ends_with_fifo(d->name))
        return fail(e, d->fifo ? "a FIFO queue's name must end in \".fifo\""
                               : "a queue named \"*.fifo\" is a FIFO queue");
    return rc;
}

static const struct def_key queue_keys[] = {
    {"fifo", apply_queue_fifo, QD(fifo), 0, 0},
    {"contentBasedDeduplication", apply_bool, QD(content_dedup), 0, 0},
    {"visibilityTimeout", apply_seconds, QD(visibility_ms), 0, 43200},
    {"delay", apply_seconds, QD(delay_ms), 0, 900},
    {"retention", apply_seconds, QD(retention_ms), 0.001, 1209600},
    {"receiveWaitTime", apply_seconds, QD(wait_ms), 0, 20},
    {"maxMessageSize", apply_count, QD(max_message_size), 1024, 1048576},
    {"deadLetterQueue", apply_queue_dlq, 0, 0, 0},
};

void hub_queue_def_clear(struct hub_queue_def *d)
{
    hub_free(d->name);
    hub_free(d->dlq);
    memset(d, 0, sizeof *d);
}

int hub_queue_def_parse(struct hub_queue_def *d, const char *name, const json_t *v,
                        struct hub_bus_error *e)
{
    memset(d, 0, sizeof *d);
    d->visibility_ms = d->delay_ms = d->retention_ms = d->wait_ms = d->max_message_size = -1;
    if (!name || !hub_bus_name_valid(name, 0)) {
        return fail(e,
                    "\"%s\" is not a queue name (1-80 of A-Z a-z 0-9 _ -, FIFO: ending in "
                    "\".fifo\")",
                    name ? name : "");
    }
    if (!(d->name = hub_strdup(name))) return nomem(e);
    d->fifo = ends_with_fifo(name);
    int rc = apply_table(queue_keys, NELEM(queue_keys), v, d, e);
    if (rc == 0 && d->content_dedup && !d->fifo)
        rc = fail_at(e, "contentBasedDeduplication", "applies to FIFO queues only");
    if (rc == 0 && d->dlq && strcmp(d->dlq, d->name) == 0)
        rc = fail_at(e, "deadLetterQueue", "a queue cannot be its own dead-letter queue");
    if (rc) hub_queue_def_clear(d);
    return rc;
}

/* ---- subscriptions ---- */

#define SD(f) offsetof(struct hub_sub_def, f)

static int apply_scope(const struct def_key *k, const json_t *v, void *base,
                       struct hub_bus_error *e)
{
    const char *s = json_string_value(v);
    (void)k;
    if (s && strcmp(s, "MessageAttributes") == 0)
        ((struct hub_sub_def *)base)->filter_scope_body = 0;
    else if (s && strcmp(s, "MessageBody") == 0)
        ((struct hub_sub_def *)base)->filter_scope_body = 1;
    else
        return fail(e, "must be \"MessageAttributes\" or \"MessageBody\"");
    return 0;
}

static const struct def_key sub_keys[] = {
    {"queue", apply_string, SD(queue), 0, 0},
    {"room", apply_string, SD(room), 0, 0},
    {"url", apply_string, SD(url), 0, 0},
    {"event", apply_string, SD(event), 0, 0},
    {"raw", apply_bool, SD(raw), 0, 0},
    {"filterPolicy", apply_object_text, SD(filter_policy), 0, 0},
    {"filterPolicyScope", apply_scope, 0, 0, 0},
    {"deadLetterQueue", apply_string, SD(dlq), 0, 0},
    {"deliveryPolicy", apply_object_text, SD(delivery_policy), 0, 0},
};

void hub_sub_def_clear(struct hub_sub_def *d)
{
    hub_free(d->queue);
    hub_free(d->room);
    hub_free(d->url);
    hub_free(d->event);
    hub_free(d->filter_policy);
    hub_free(d->dlq);
    hub_free(d->delivery_policy);
    memset(d, 0, sizeof *d);
}

int hub_bridge_event_valid(const char *name)
{
    static const char *const reserved[] = {"connect",       "connect_error", "disconnect",
                                           "disconnecting", "newListener",   "removeListener"};
    if (!name || !*name || strncmp(name, "bus:", 4) == 0) return 0;
    for (size_t i = 0; i < NELEM(reserved); i++)
        if (strcmp(name, reserved[i]) == 0) return 0;
    return 1;
}

static int sub_check_alone(struct hub_sub_def *d, struct hub_bus_error *e)
{
    int n = !!d->queue + !!d->room + !!d->url;
    if (n != 1) return fail(e, "needs exactly one of \"queue\", \"room\" and \"url\"");
    if (d->queue && !hub_bus_name_valid(d->queue, 0))
        return fail_at(e, "queue", "\"%s\" is not a queue name", d->queue);
    if (d->room) {
        const char *hash = strchr(d->room, '#');
        if (d->room[0] != '/' || !hash || !hash[1])
            return fail_at(e, "room", "must be \"<namespace>#<room>\", like \"/chat#lobby\"");
        const char *open = strchr(hash, '{');
        if (open && !strchr(open, '}'))
            return fail_at(e, "room", "an unterminated {field} template");
    }
    if (d->url && strncmp(d->url, "http://", 7) != 0 && strncmp(d->url, "https://", 8) != 0)
        return fail_at(e, "url", "must be an http:// or https:// URL");
    if (d->url && (d->url[strlen(d->url) - 1] == '/' && strlen(d->url) <= 8))
        return fail_at(e, "url", "has no host");
    if (d->event && !d->room) return fail_at(e, "event", "applies to room subscriptions only");
    if (d->event && !hub_bridge_event_valid(d->event))
        return fail_at(e, "event", "\"%s\" is a reserved event name", d->event);
    if (d->delivery_policy && !d->url)
        return fail_at(e, "deliveryPolicy", "applies to url subscriptions only");
    if (d->delivery_policy) {
        struct hub_http_retry_policy p;
        char err[200], *ct = NULL;
        hub_http_retry_policy_default(&p);
        int rc = hub_http_retry_policy_parse(&p, d->delivery_policy, strlen(d->delivery_policy),
                                             &ct, err, sizeof err);
        hub_free(ct);
        if (rc == HUB_ENOMEM) return nomem(e);
        if (rc) return fail_at(e, "deliveryPolicy", "%s", err);
    }
    if (d->dlq && !hub_bus_name_valid(d->dlq, 0))
        return fail_at(e, "deadLetterQueue", "\"%s\" is not a queue name", d->dlq);
    return 0;
}

int hub_sub_def_parse(struct hub_sub_def *d, const json_t *v, struct hub_bus_error *e)
{
    memset(d, 0, sizeof *d);
    d->raw = 1;
    int rc = apply_table(sub_keys, NELEM(sub_keys), v, d, e);
    if (rc == 0) rc = sub_check_alone(d, e);
    if (rc) hub_sub_def_clear(d);
    return rc;
}

int hub_sub_def_check(const struct hub_sub_def *d, int topic_fifo,
                      const struct hub_queue_def *(*find)(void *ud, const char *name), void *ud,
                      struct hub_bus_error *e)
{
    const char *key[2] = {"queue", "deadLetterQueue"};
    const char *name[2] = {d->queue, d->dlq};
    for (int i = 0; i < 2; i++) {
        if (!name[i]) continue;
        const struct hub_queue_def *q = find(ud, name[i]);
        if (!q) return fail_at(e, key[i], "no queue \"%s\" is declared in \"queues\"", name[i]);
        if (q->fifo != topic_fifo)
            return fail_at(e, key[i],
                           topic_fifo ? "a FIFO topic delivers to FIFO queues only"
                                      : "a standard topic delivers to standard queues only "
                                        "(name the topic \"*.fifo\" to feed a FIFO queue)");
    }
    return 0;
}

/* ---- topics ---- */

void hub_topic_def_clear(struct hub_topic_def *d)
{
    hub_free(d->name);
    for (size_t i = 0; i < d->nsubs; i++)
        hub_sub_def_clear(&d->subs[i]);
    hub_free(d->subs);
    memset(d, 0, sizeof *d);
}

int hub_topic_def_parse(struct hub_topic_def *d, const char *name, const json_t *v,
                        struct hub_bus_error *e)
{
    const char *key;
    json_t *value;
    int rc = 0;

    memset(d, 0, sizeof *d);
    if (!name || !hub_bus_name_valid(name, 1))
        return fail(e,
                    "\"%s\" is not a topic name (1-256 of A-Z a-z 0-9 _ -, FIFO: ending in "
                    "\".fifo\")",
                    name ? name : "");
    if (!json_is_object(v)) return fail(e, "must be an object");
    if (!(d->name = hub_strdup(name))) return nomem(e);
    d->fifo = ends_with_fifo(name);
    json_object_foreach((json_t *)v, key, value)
    {
        push_key(e, key);
        if (strcmp(key, "fifo") == 0) {
            int fifo = 0;
            if (!json_is_boolean(value)) {
                rc = fail(e, "must be true or false");
            } else if ((fifo = json_is_true(value)) != d->fifo) {
                rc = fail(e, fifo ? "a FIFO topic's name must end in \".fifo\""
                                  : "a topic named \"*.fifo\" is a FIFO topic");
            }
        } else if (strcmp(key, "contentBasedDeduplication") == 0) {
            if (!json_is_boolean(value))
                rc = fail(e, "must be true or false");
            else if ((d->content_dedup = json_is_true(value)) && !d->fifo)
                rc = fail(e, "applies to FIFO topics only");
        } else if (strcmp(key, "subscriptions") == 0) {
            if (!json_is_array(value)) {
                rc = fail(e, "must be an array of {\"queue\" | \"room\" | \"url\": ...}");
            } else if (json_array_size(value) &&
                       !(d->subs = hub_calloc(json_array_size(value), sizeof *d->subs))) {
                rc = nomem(e);
            } else {
                for (size_t i = 0; i < json_array_size(value) && !rc; i++) {
                    push_index(e, i);
                    rc = hub_sub_def_parse(&d->subs[i], json_array_get(value, i), e);
                    if (rc == 0) {
                        d->nsubs++;
                        pop(e);
                    }
                }
            }
        } else {
            rc = fail(e, "unknown key");
        }
        if (rc) break;
        pop(e);
    }
    if (rc) hub_topic_def_clear(d);
    return rc;
}

/* ---- bridges ---- */

void hub_bridge_def_clear(struct hub_bridge_def *d)
{
    hub_free(d->nsp);
    hub_free(d->event);
    hub_free(d->topic);
    for (size_t i = 0; i < d->nattributes; i++)
        hub_free(d->attributes[i]);
    hub_free(d->attributes);
    hub_free(d->group_id);
    hub_free(d->dedup_id);
    hub_free(d->subject);
    memset(d, 0, sizeof *d);
}

#define BD(f) offsetof(struct hub_bridge_def, f)

static int apply_attr_list(const struct def_key *k, const json_t *v, void *base,
                           struct hub_bus_error *e)
{
    struct hub_bridge_def *d = base;
    (void)k;
    if (!json_is_array(v)) return fail(e, "must be an array of field names");
    if (json_array_size(v) > HUB_BUS_ATTRIBUTES_MAX)
        return fail(e, "at most %d attributes", HUB_BUS_ATTRIBUTES_MAX);
    char **list = hub_calloc(json_array_size(v) + 1, sizeof *list);
    if (!list) return nomem(e);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = NULL;
        push_index(e, i);
        int rc = get_string(json_array_get(v, i), &s, e);
        if (rc == 0 && !(list[i] = hub_strdup(s))) rc = nomem(e);
        if (rc) {
            for (size_t j = 0; j < i; j++)
                hub_free(list[j]);
            hub_free(list);
            return rc;
        }
        pop(e);
    }
    for (size_t i = 0; i < d->nattributes; i++)
        hub_free(d->attributes[i]);
    hub_free(d->attributes);
    d->attributes = list;
    d->nattributes = json_array_size(v);
    return 0;
}

static const struct def_key bridge_keys[] = {
    {"namespace", apply_string, BD(nsp), 0, 0},
    {"event", apply_string, BD(event), 0, 0},
    {"topic", apply_string, BD(topic), 0, 0},
    {"attributes", apply_attr_list, 0, 0, 0},
    {"groupId", apply_string, BD(group_id), 0, 0},
    {"deduplicationId", apply_string, BD(dedup_id), 0, 0},
    {"subject", apply_string, BD(subject), 0, 0},
};

static int template_valid(const char *t)
{
    for (const char *p = strchr(t, '{'); p; p = strchr(p + 1, '{')) {
        const char *close = strchr(p, '}');
        if (!close || close == p + 1) return 0;
        p = close;
    }
    return 1;
}

int hub_bridge_def_parse(struct hub_bridge_def *d, const json_t *v, const char *default_nsp,
                         struct hub_bus_error *e)
{
    memset(d, 0, sizeof *d);
    int rc = apply_table(bridge_keys, NELEM(bridge_keys), v, d, e);
    if (rc == 0 && !d->nsp && default_nsp && !(d->nsp = hub_strdup(default_nsp))) rc = nomem(e);
    if (rc == 0 && !d->nsp) rc = fail_at(e, "namespace", "is required");
    if (rc == 0 && d->nsp[0] != '/') rc = fail_at(e, "namespace", "must start with '/'");
    if (rc == 0 && !d->event) rc = fail_at(e, "event", "is required");
    if (rc == 0 && !hub_bridge_event_valid(d->event))
        rc = fail_at(e, "event", "\"%s\" is reserved", d->event);
    if (rc == 0 && !d->topic) rc = fail_at(e, "topic", "is required");
    if (rc == 0 && !hub_bus_name_valid(d->topic, 1))
        rc = fail_at(e, "topic", "\"%s\" is not a topic name", d->topic);
    if (rc == 0 && d->group_id && !template_valid(d->group_id))
        rc = fail_at(e, "groupId", "a malformed {field} template");
    if (rc == 0 && d->dedup_id && !template_valid(d->dedup_id))
        rc = fail_at(e, "deduplicationId", "a malformed {field} template");
    if (rc == 0 && d->subject && !template_valid(d->subject))
        rc = fail_at(e, "subject", "a malformed {field} template");
    if (rc) hub_bridge_def_clear(d);
    return rc;
}

/* ---- the whole ---- */

static void parsed_clear(struct hub_bus_config *c)
{
    hub_free(c->region);
    hub_free(c->account);
    hub_free(c->signing_secret);
    hub_free(c->public_url);
    hub_free(c->signing_cert_url);
    hub_free(c->signing_key_file);
    hub_free(c->signing_cert_file);
    hub_sns_key_unref(c->signing_key);
    c->region = c->account = c->signing_secret = c->public_url = c->signing_cert_url = NULL;
    c->signing_key_file = c->signing_cert_file = NULL;
    c->signing_key = NULL;
    for (size_t i = 0; i < c->nqueues; i++)
        hub_queue_def_clear(&c->queues[i]);
    hub_free(c->queues);
    for (size_t i = 0; i < c->ntopics; i++)
        hub_topic_def_clear(&c->topics[i]);
    hub_free(c->topics);
    for (size_t i = 0; i < c->nbridges; i++)
        hub_bridge_def_clear(&c->bridges[i]);
    hub_free(c->bridges);
    c->queues = NULL;
    c->topics = NULL;
    c->bridges = NULL;
    c->nqueues = c->ntopics = c->nbridges = 0;
}

int hub_bus_config_key(const char *key)
{
    for (int i = 0; i < NSLOTS; i++)
        if (strcmp(key, slot_names[i]) == 0) return 1;
    return 0;
}

struct hub_bus_config *hub_bus_config_ref(struct hub_bus_config *cfg)
{
    if (cfg) cfg->refs++;
    return cfg;
}

void hub_bus_config_unref(struct hub_bus_config *cfg)
{
    if (!cfg || --cfg->refs) return;
    parsed_clear(cfg);
    for (int i = 0; i < NSLOTS; i++)
        json_decref(cfg->json[i]);
    hub_free(cfg);
}

/* Makes *pcfg a config of its own (created, or copied when shared). */
static int make_own(struct hub_bus_config **pcfg)
{
    struct hub_bus_config *c = *pcfg;
    if (c && c->refs == 1) return 0;
    struct hub_bus_config *n = hub_calloc(1, sizeof *n);
    if (!n) return HUB_ENOMEM;
    n->refs = 1;
    for (int i = 0; c && i < NSLOTS; i++)
        n->json[i] = c->json[i] ? json_incref(c->json[i]) : NULL;
    hub_bus_config_unref(c);
    *pcfg = n;
    return 0;
}

int hub_bus_config_set(struct hub_bus_config **pcfg, const char *key, json_t *value)
{
    int slot = -1;
    for (int i = 0; i < NSLOTS; i++)
        if (strcmp(key, slot_names[i]) == 0) slot = i;
    if (slot < 0 || !value) return HUB_EINVAL;
    int rc = make_own(pcfg);
    if (rc) return rc;
    struct hub_bus_config *c = *pcfg;
    parsed_clear(c);
    json_decref(c->json[slot]);
    c->json[slot] = json_incref(value);
    return 0;
}

#define BO(f) offsetof(struct hub_bus_config, f)

static const struct def_key option_keys[] = {
    {"region", apply_string, BO(region), 0, 0},
    {"account", apply_string, BO(account), 0, 0},
    {"signingSecret", apply_string, BO(signing_secret), 0, 0},
    {"publicUrl", apply_string, BO(public_url), 0, 0},
    {"signingCertUrl", apply_string, BO(signing_cert_url), 0, 0},
    {"signingKeyFile", apply_string, BO(signing_key_file), 0, 0},
    {"signingCertFile", apply_string, BO(signing_cert_file), 0, 0},
};

/* bus.signingKeyFile + bus.signingCertFile: read and checked now, so a bad file stops the hub at
 * start with the key that names it. */
static int load_signing_key(struct hub_bus_config *c, struct hub_bus_error *e)
{
    char msg[sizeof e->msg];
    int bad_cert, rc;

    if (!c->signing_key_file && !c->signing_cert_file) return 0;
    if (!c->signing_key_file)
        return fail_at(e, "signingCertFile", "needs \"signingKeyFile\" (the certificate's key)");
    if (!c->signing_cert_file)
        return fail_at(e, "signingKeyFile", "needs \"signingCertFile\" (the key's certificate)");
    rc = hub_sns_key_load(c->signing_key_file, c->signing_cert_file, &c->signing_key, &bad_cert,
                          msg, sizeof msg);
    if (rc == HUB_ENOMEM) return nomem(e);
    if (rc) return fail_at(e, bad_cert ? "signingCertFile" : "signingKeyFile", "%s", msg);
    return 0;
}

static const struct hub_queue_def *find_queue(void *ud, const char *name)
{
    const struct hub_bus_config *c = ud;
    for (size_t i = 0; i < c->nqueues; i++)
        if (strcmp(c->queues[i].name, name) == 0) return &c->queues[i];
    return NULL;
}

static const struct hub_topic_def *find_topic(const struct hub_bus_config *c, const char *name)
{
    for (size_t i = 0; i < c->ntopics; i++)
        if (strcmp(c->topics[i].name, name) == 0) return &c->topics[i];
    return NULL;
}

static int nsp_known(const struct hub_config *hc, const char *nsp, size_t len)
{
    if (!hc || !hc->has_namespaces) return len == 1 && nsp[0] == '/';
    for (size_t i = 0; i < hc->nnamespaces; i++)
        if (strlen(hc->namespaces[i].name) == len && memcmp(hc->namespaces[i].name, nsp, len) == 0)
            return 1;
    return 0;
}

static int parse_all(struct hub_bus_config *c, struct hub_bus_error *e)
{
    const char *key;
    json_t *value, *j;
    int rc = 0;

    if ((j = c->json[SLOT_BUS])) {
        push_key(e, "bus");
        rc = apply_table(option_keys, NELEM(option_keys), j, c, e);
        if (rc) return rc;
        if (c->public_url && strncmp(c->public_url, "http://", 7) != 0 &&
            strncmp(c->public_url, "https://", 8) != 0)
            return fail_at(e, "publicUrl", "must be an http:// or https:// URL");
        if ((rc = load_signing_key(c, e))) return rc;
        pop(e);
    }
    if ((j = c->json[SLOT_QUEUES])) {
        push_key(e, "queues");
        if (!json_is_object(j)) return fail(e, "must be an object of \"<name>\": {...}");
        if (json_object_size(j) &&
            !(c->queues = hub_calloc(json_object_size(j), sizeof *c->queues)))
            return nomem(e);
        json_object_foreach(j, key, value)
        {
            push_key(e, key);
            if ((rc = hub_queue_def_parse(&c->queues[c->nqueues], key, value, e))) return rc;
            c->nqueues++;
            pop(e);
        }
        pop(e);
    }
    if ((j = c->json[SLOT_TOPICS])) {
        push_key(e, "topics");
        if (!json_is_object(j)) return fail(e, "must be an object of \"<name>\": {...}");
        if (json_object_size(j) &&
            !(c->topics = hub_calloc(json_object_size(j), sizeof *c->topics)))
            return nomem(e);
        json_object_foreach(j, key, value)
        {
            push_key(e, key);
            if ((rc = hub_topic_def_parse(&c->topics[c->ntopics], key, value, e))) return rc;
            c->ntopics++;
            pop(e);
        }
        pop(e);
    }
    if ((j = c->json[SLOT_BRIDGES])) {
        push_key(e, "bridges");
        if (!json_is_array(j))
            return fail(e, "must be an array of {\"namespace\", \"event\", ...}");
        if (json_array_size(j) &&
            !(c->bridges = hub_calloc(json_array_size(j), sizeof *c->bridges)))
            return nomem(e);
        for (size_t i = 0; i < json_array_size(j); i++) {
            push_index(e, i);
            if ((rc =
                     hub_bridge_def_parse(&c->bridges[c->nbridges], json_array_get(j, i), NULL, e)))
                return rc;
            c->nbridges++;
            pop(e);
        }
        pop(e);
    }
    return 0;
}

/* The references between definitions, with the path of the referring key. */
static int check_refs(struct hub_bus_config *c, const struct hub_config *hc,
                      struct hub_bus_error *e)
{
    int rc;
    for (size_t i = 0; i < c->nqueues; i++) {
        const struct hub_queue_def *q = &c->queues[i], *dlq;
        if (!q->dlq) continue;
        push_key(e, "queues");
        push_key(e, q->name);
        push_key(e, "deadLetterQueue");
        if (!(dlq = find_queue(c, q->dlq)))
            return fail_at(e, "queue", "no queue \"%s\" is declared in \"queues\"", q->dlq);
        if (dlq->fifo != q->fifo)
            return fail_at(e, "queue", "a dead-letter queue must be of its queue's kind (%s)",
                           q->fifo ? "FIFO" : "standard");
        for (size_t k = 0; dlq && k < c->nqueues; k++) {
            if (dlq == q)
                return fail_at(e, "queue", "the dead-letter queues of \"%s\" make a cycle",
                               q->name);
            dlq = dlq->dlq ? find_queue(c, dlq->dlq) : NULL;
        }
        e->depth -= 3;
    }
    for (size_t i = 0; i < c->ntopics; i++) {
        const struct hub_topic_def *t = &c->topics[i];
        for (size_t k = 0; k < t->nsubs; k++) {
            const struct hub_sub_def *s = &t->subs[k];
            push_key(e, "topics");
            push_key(e, t->name);
            push_key(e, "subscriptions");
            push_index(e, k);
            if ((rc = hub_sub_def_check(s, t->fifo, find_queue, c, e))) return rc;
            if (s->room && !nsp_known(hc, s->room, (size_t)(strchr(s->room, '#') - s->room)))
                return fail_at(e, "room",
                               "the namespace of \"%s\" is not declared in "
                               "\"namespaces\"",
                               s->room);
            e->depth -= 4;
        }
    }
    for (size_t i = 0; i < c->nbridges; i++) {
        const struct hub_bridge_def *b = &c->bridges[i];
        const struct hub_topic_def *t = find_topic(c, b->topic);
        push_key(e, "bridges");
        push_index(e, i);
        if (!nsp_known(hc, b->nsp, strlen(b->nsp)))
            return fail_at(e, "namespace", "\"%s\" is not declared in \"namespaces\"", b->nsp);
        if (!t) return fail_at(e, "topic", "no topic \"%s\" is declared in \"topics\"", b->topic);
        if (t->fifo && !t->content_dedup && !b->dedup_id)
            return fail_at(e, "topic",
                           "FIFO topic \"%s\" needs \"contentBasedDeduplication\" or the "
                           "bridge's \"deduplicationId\"",
                           b->topic);
        for (size_t k = 0; k < i; k++)
            if (strcmp(c->bridges[k].nsp, b->nsp) == 0 &&
                strcmp(c->bridges[k].event, b->event) == 0)
                return fail_at(e, "event", "event \"%s\" of \"%s\" is already bridged", b->event,
                               b->nsp);
        e->depth -= 2;
    }
    return 0;
}

int hub_bus_config_finish(struct hub_bus_config **pcfg, const struct hub_config *hc,
                          struct hub_bus_error *e)
{
    memset(e, 0, sizeof *e);
    if (!*pcfg) return 0;
    if (make_own(pcfg)) return nomem(e);
    struct hub_bus_config *cfg = *pcfg;
    parsed_clear(cfg);
    /* On failure the parsed part stays (e's path may point into it); the caller drops cfg. */
    int rc = parse_all(cfg, e);
    return rc ? rc : check_refs(cfg, hc, e);
}

int hub_bus_config_wanted(const struct hub_config *hc)
{
    const struct hub_bus_config *c = hc->bus;
    for (size_t i = 0; i < hc->nnamespaces; i++)
        if (hc->namespaces[i].bus) return 1;
    return c && (c->nqueues || c->ntopics || c->nbridges);
}
