/* topic_store.c - the Redis topic store (struct hub_topic_store_ops; redis_store.h).
 *
 * Topics, subscriptions and FIFO de-duplication live in Redis; each operation is one call of the
 * store script. A publish needs the topic's confirmed subscriptions for the fan-out: the store
 * keeps the last list it saw per topic with the version Redis gave it (a counter bumped by every
 * change to the topic's subscriptions), and the publish script sends the list again only when the
 * version differs - so a publish stays one call with a small answer. */
#include <stdlib.h>
#include <string.h>

#include "hub_alloc.h"
#include "map.h"
#include "store_internal.h"

/* A subscription with its strings owned. */
struct subrec {
    char *id, *topic, *protocol, *endpoint, *token, *filter, *redrive;
    json_t *extra;
    int pending, raw, scope_body;
    uint64_t created_ms;
};

/* A topic's confirmed subscriptions at one version, shared by pending callbacks. */
struct sublist {
    size_t refs;
    char *topic; /* the cache's key */
    char *ver;
    size_t n;
    struct subrec *v;
};

struct rt {
    struct rs_client *c;  /* first: rs_queue_store_client() reads it */
    struct hub_map cache; /* topic name -> struct sublist */
    size_t calls;
    int closing;
};

/* ---- subscriptions ---- */

static void subrec_clear(struct subrec *r)
{
    hub_free(r->id);
    hub_free(r->topic);
    hub_free(r->protocol);
    hub_free(r->endpoint);
    hub_free(r->token);
    hub_free(r->filter);
    hub_free(r->redrive);
    json_decref(r->extra);
    memset(r, 0, sizeof *r);
}

static char *dup_or_null(const char *s, size_t len)
{
    return s ? hub_strndup(s, len) : NULL;
}

/* Reads the subscription id at i and its fields (HGETALL) at i + 1 of r. Returns 0 or
 * HUB_ENOMEM / HUB_EIO. */
static int subrec_parse(const redisReply *r, size_t i, struct subrec *s)
{
    const redisReply *h = rs_elem(r, i + 1);
    size_t len;
    const char *v;
    memset(s, 0, sizeof *s);
    if (!rs_str(r, i, NULL) || !h || h->type != REDIS_REPLY_ARRAY) return HUB_EIO;
    v = rs_str(r, i, &len);
    s->id = dup_or_null(v, len);
    s->topic = (v = rs_field(h, "topic", &len)) ? hub_strndup(v, len) : hub_strdup("");
    s->protocol = (v = rs_field(h, "p", &len)) ? hub_strndup(v, len) : hub_strdup("");
    s->endpoint = (v = rs_field(h, "e", &len)) ? hub_strndup(v, len) : hub_strdup("");
    v = rs_field(h, "pend", NULL);
    s->pending = v && strcmp(v, "1") == 0;
    if (s->pending && (v = rs_field(h, "tok", &len))) s->token = hub_strndup(v, len);
    v = rs_field(h, "raw", NULL);
    s->raw = v && strcmp(v, "1") == 0;
    v = rs_field(h, "scope", NULL);
    s->scope_body = v && strcmp(v, "1") == 0;
    if ((v = rs_field(h, "fp", &len)) && len) s->filter = hub_strndup(v, len);
    if ((v = rs_field(h, "rp", &len)) && len) s->redrive = hub_strndup(v, len);
    v = rs_field(h, "created", NULL);
    s->created_ms = v ? strtoull(v, NULL, 10) : 0;
    s->extra = json_object();
    int oom = !s->id || !s->topic || !s->protocol || !s->endpoint || !s->extra ||
              (s->pending && rs_field(h, "tok", NULL) && !s->token);
    for (size_t k = 0; !oom && k + 1 < h->elements; k += 2) {
        const char *f = rs_str(h, k, NULL), *val = rs_str(h, k + 1, NULL);
        if (f && val && strncmp(f, "x:", 2) == 0 &&
            json_object_set_new(s->extra, f + 2, json_string(val)))
            oom = 1;
    }
    if (oom) {
        subrec_clear(s);
        return HUB_ENOMEM;
    }
    return 0;
}

static void subrec_view(const struct subrec *r, struct hub_subscription *v)
{
    *v = (struct hub_subscription){
        .id = r->id,
        .topic = r->topic,
        .protocol = r->protocol,
        .endpoint = r->endpoint,
        .pending = r->pending,
        .token = r->pending ? r->token : NULL,
        .raw = r->raw,
        .filter_policy = r->filter,
        .filter_scope_body = r->scope_body,
        .redrive_policy = r->redrive,
        .extra = r->extra,
        .created_ms = r->created_ms,
    };
}

static void sublist_unref(struct sublist *l)
{
    if (!l || --l->refs) return;
    for (size_t i = 0; i < l->n; i++)
        subrec_clear(&l->v[i]);
    hub_free(l->v);
    hub_free(l->ver);
    hub_free(l->topic);
    hub_free(l);
}

/* The subscriptions of r from element i on (id, fields, id, fields ...), into a new list. */
static struct sublist *sublist_parse(const redisReply *r, size_t i, int *err)
{
    struct sublist *l = hub_calloc(1, sizeof *l);
    size_t n = r && r->type == REDIS_REPLY_ARRAY && r->elements > i ? (r->elements - i) / 2 : 0;
    *err = HUB_ENOMEM;
    if (!l) return NULL;
    l->refs = 1;
    if (n && !(l->v = hub_calloc(n, sizeof *l->v))) {
        hub_free(l);
        return NULL;
    }
    for (size_t k = 0; k < n; k++) {
        int rc = subrec_parse(r, i + 2 * k, &l->v[l->n]);
        if (rc) {
            *err = rc;
            sublist_unref(l);
            return NULL;
        }
        l->n++;
    }
    *err = 0;
    return l;
}

/* ---- calls ---- */

static void call_done(struct rt *s);

struct ctx {
    struct rt *s;
    union {
        hub_bus_done_cb done;
        hub_bus_names_cb names;
        hub_topic_info_cb info;
        hub_sub_cb sub;
        hub_sub_list_cb list;
        hub_topic_publish_cb publish;
    } cb;
    void *ud;
    char *name;
    size_t n;
    char *ids[HUB_BUS_BATCH_MAX];
};

static void ctx_free(struct ctx *d)
{
    hub_free(d->name);
    for (size_t i = 0; i < d->n; i++)
        hub_free(d->ids[i]);
    call_done(d->s);
    hub_free(d);
}

static int call(struct rt *s, const char *kind, const char *op, const char *name, struct rs_args *a,
                rs_reply_fn fn, struct ctx *d)
{
    s->calls++;
    int rc = rs_call(s->c, kind, op, name, a, fn, d);
    if (rc) {
        s->calls--;
        hub_free(d->name);
        for (size_t i = 0; i < d->n; i++)
            hub_free(d->ids[i]);
        hub_free(d);
    }
    return rc;
}

static struct ctx *ctx_new(struct rt *s, void *ud, struct rs_args *a)
{
    struct ctx *d = hub_calloc(1, sizeof *d);
    if (!d) {
        rs_args_free(a);
        return NULL;
    }
    d->s = s;
    d->ud = ud;
    return d;
}

static void on_done(void *ud, redisReply *reply, int err)
{
    struct ctx *d = ud;
    d->cb.done(d->ud, err ? err : rs_status(reply));
    ctx_free(d);
}

static int done_op(struct rt *s, const char *kind, const char *op, const char *name,
                   struct rs_args *a, hub_bus_done_cb cb, void *ud)
{
    struct ctx *d = ctx_new(s, ud, a);
    if (!d) return HUB_ENOMEM;
    d->cb.done = cb;
    return call(s, kind, op, name, a, on_done, d);
}

static void on_names(void *ud, redisReply *reply, int err)
{
    struct ctx *d = ud;
    int st = err ? err : rs_status(reply);
    size_t n = st || reply->elements < 1 ? 0 : reply->elements - 1;
    const char **v = n ? hub_calloc(n, sizeof *v) : NULL;
    if (n && !v) st = HUB_ENOMEM;
    for (size_t i = 0; v && i < n; i++) {
        v[i] = rs_str(reply, i + 1, NULL);
        if (!v[i]) v[i] = "";
    }
    d->cb.names(d->ud, st, st ? NULL : v, st ? 0 : n);
    hub_free(v);
    ctx_free(d);
}

static const char *b01(int v)
{
    return v ? "1" : "0";
}

static void pair_str(struct rs_args *p, const char *f, const char *v)
{
    rs_arg_str(p, f);
    rs_arg_str(p, v);
}

static void extra_pairs(struct rs_args *p, json_t *extra, int keep_empty)
{
    const char *k;
    json_t *v;
    json_object_foreach(extra, k, v)
    {
        const char *val = json_string_value(v);
        char f[160];
        if (!keep_empty && (!val || !*val)) continue;
        snprintf(f, sizeof f, "x:%s", k);
        pair_str(p, f, val ? val : "");
    }
}

static void pairs_put(struct rs_args *a, struct rs_args *p)
{
    rs_arg_u64(a, p->n / 2);
    for (size_t i = 0; i < p->n; i++)
        rs_arg(a, p->buf + p->off[i], p->off[p->ncap + i]);
    if (p->oom) a->oom = 1;
    rs_args_free(p);
}

static void tags_put(struct rs_args *a, json_t *tags)
{
    struct rs_args p;
    const char *k;
    json_t *v;
    rs_args_init(&p);
    if (tags) json_object_foreach(tags, k, v) pair_str(&p, k, json_string_value(v));
    pairs_put(a, &p);
}

/* ---- topics ---- */

static uint64_t field_u64(const redisReply *h, const char *f)
{
    const char *v = rs_field(h, f, NULL);
    return v ? strtoull(v, NULL, 10) : 0;
}

static void on_tinfo(void *ud, redisReply *reply, int err)
{
    struct ctx *d = ud;
    int st = err ? err : rs_status(reply);
    struct hub_topic_config cfg;
    struct hub_topic_info info = {0};
    json_t *tags = NULL;
    hub_topic_config_init(&cfg);
    if (!st) {
        const redisReply *h = rs_elem(reply, 1), *t = rs_elem(reply, 2);
        cfg.fifo = field_u64(h, "fifo") == 1;
        cfg.content_dedup = field_u64(h, "cdd") == 1;
        tags = json_object();
        if (!tags) st = HUB_ENOMEM;
        for (size_t i = 0; h && i + 1 < h->elements; i += 2) {
            const char *k = rs_str(h, i, NULL), *val = rs_str(h, i + 1, NULL);
            if (!k || !val || strncmp(k, "x:", 2) != 0) continue;
            if (!cfg.extra && !(cfg.extra = json_object())) st = HUB_ENOMEM;
            if (cfg.extra && json_object_set_new(cfg.extra, k + 2, json_string(val)))
                st = HUB_ENOMEM;
        }
        for (size_t i = 0; tags && t && i + 1 < t->elements; i += 2) {
            const char *k = rs_str(t, i, NULL), *val = rs_str(t, i + 1, NULL);
            if (k && val && json_object_set_new(tags, k, json_string(val))) st = HUB_ENOMEM;
        }
        info = (struct hub_topic_info){
            .name = d->name,
            .config = &cfg,
            .created_ms = field_u64(h, "created"),
            .subs_confirmed = field_u64(h, "conf"),
            .subs_pending = field_u64(h, "pend"),
            .subs_deleted = field_u64(h, "del"),
            .tags = tags,
            .created = rs_int(reply, 3, 0) == 1,
        };
    }
    d->cb.info(d->ud, st, st ? NULL : &info);
    json_decref(tags);
    hub_topic_config_clear(&cfg);
    ctx_free(d);
}

static int info_op(struct rt *s, const char *op, const char *name, struct rs_args *a,
                   hub_topic_info_cb cb, void *ud)
{
    struct ctx *d = ctx_new(s, ud, a);
    if (!d) return HUB_ENOMEM;
    d->cb.info = cb;
    if (!(d->name = hub_strdup(name))) {
        rs_args_free(a);
        hub_free(d);
        return HUB_ENOMEM;
    }
    return call(s, "t:", op, name, a, on_tinfo, d);
}

static int rt_create(void *self, const char *name, const struct hub_topic_config *cfg, json_t *tags,
                     hub_topic_info_cb cb, void *ud)
{
    struct rs_args a, p;
    if (!name || !cfg || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    rs_arg_u64(&a, rs_random64() >> 1);
    rs_arg_i64(&a, !cfg->fifo && (cfg->set & HUB_TCFG_CONTENT_DEDUP) && cfg->content_dedup
                       ? HUB_BUS_EINVALID_PARAMETER
                       : 0);
    rs_args_init(&p);
    if (cfg->set & HUB_TCFG_FIFO) pair_str(&p, "fifo", b01(cfg->fifo));
    if (cfg->set & HUB_TCFG_CONTENT_DEDUP) pair_str(&p, "cdd", b01(cfg->content_dedup));
    if (cfg->set & HUB_TCFG_EXTRA) extra_pairs(&p, cfg->extra, 1);
    pairs_put(&a, &p);
    rs_args_init(&p);
    pair_str(&p, "fifo", b01(cfg->fifo));
    pair_str(&p, "cdd", b01((cfg->set & HUB_TCFG_CONTENT_DEDUP) && cfg->content_dedup));
    if (cfg->set & HUB_TCFG_EXTRA) extra_pairs(&p, cfg->extra, 0);
    pairs_put(&a, &p);
    tags_put(&a, tags);
    return info_op(self, "tcreate", name, &a, cb, ud);
}

static int rt_get(void *self, const char *name, hub_topic_info_cb cb, void *ud)
{
    struct rs_args a;
    if (!name || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    return info_op(self, "tget", name, &a, cb, ud);
}

static int rt_set(void *self, const char *name, const struct hub_topic_config *cfg,
                  hub_bus_done_cb cb, void *ud)
{
    struct rs_args a, p;
    if (!name || !cfg || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    rs_arg_i64(&a, cfg->set & HUB_TCFG_FIFO ? HUB_BUS_EINVALID_PARAMETER : 0);
    rs_arg_str(&a, b01((cfg->set & HUB_TCFG_CONTENT_DEDUP) && cfg->content_dedup));
    rs_args_init(&p);
    if (cfg->set & HUB_TCFG_CONTENT_DEDUP) pair_str(&p, "cdd", b01(cfg->content_dedup));
    if (cfg->set & HUB_TCFG_EXTRA) extra_pairs(&p, cfg->extra, 1);
    pairs_put(&a, &p);
    return done_op(self, "t:", "tset", name, &a, cb, ud);
}

static int rt_remove(void *self, const char *name, hub_bus_done_cb cb, void *ud)
{
    struct rs_args a;
    if (!name || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    return done_op(self, "t:", "tremove", name, &a, cb, ud);
}

static int rt_list(void *self, hub_bus_names_cb cb, void *ud)
{
    struct rs_args a;
    if (!cb) return HUB_EINVAL;
    rs_args_init(&a);
    struct ctx *d = ctx_new(self, ud, &a);
    if (!d) return HUB_ENOMEM;
    d->cb.names = cb;
    return call(self, "t:", "tlist", "", &a, on_names, d);
}

static int rt_tag(void *self, const char *name, json_t *tags, hub_bus_done_cb cb, void *ud)
{
    struct rs_args a;
    if (!name || !json_is_object(tags) || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    tags_put(&a, tags);
    return done_op(self, "t:", "ttag", name, &a, cb, ud);
}

static int rt_untag(void *self, const char *name, const char *const *keys, size_t n,
                    hub_bus_done_cb cb, void *ud)
{
    struct rs_args a;
    if (!name || (n && !keys) || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    rs_arg_u64(&a, n);
    for (size_t i = 0; i < n; i++)
        rs_arg_str(&a, keys[i]);
    return done_op(self, "t:", "tuntag", name, &a, cb, ud);
}

/* ---- subscriptions ---- */

static void on_sub(void *ud, redisReply *reply, int err)
{
    struct ctx *d = ud;
    int st = err ? err : rs_status(reply);
    struct subrec r = {0};
    struct hub_subscription v;
    if (!st) st = subrec_parse(reply, 1, &r);
    if (!st) subrec_view(&r, &v);
    d->cb.sub(d->ud, st, st ? NULL : &v);
    subrec_clear(&r);
    ctx_free(d);
}

static int sub_op(struct rt *s, const char *kind, const char *op, const char *name,
                  struct rs_args *a, hub_sub_cb cb, void *ud)
{
    struct ctx *d = ctx_new(s, ud, a);
    if (!d) return HUB_ENOMEM;
    d->cb.sub = cb;
    return call(s, kind, op, name, a, on_sub, d);
}

/* The attribute fields of c named by set. */
static void sub_pairs(struct rs_args *p, const struct hub_sub_config *c, uint32_t set, int keep)
{
    if (set & HUB_SCFG_RAW) pair_str(p, "raw", b01(c->raw));
    if (set & HUB_SCFG_FILTER_SCOPE) pair_str(p, "scope", b01(c->filter_scope_body));
    if (set & HUB_SCFG_FILTER) pair_str(p, "fp", c->filter_policy);
    if (set & HUB_SCFG_REDRIVE) pair_str(p, "rp", c->redrive_policy);
    if (set & HUB_SCFG_EXTRA) extra_pairs(p, c->extra, keep);
}

static void random_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t b[4];
    for (size_t i = 0; i < 4; i++)
        b[i] = rs_random64();
    const unsigned char *u = (const unsigned char *)b;
    for (size_t i = 0; i < nbytes && i < sizeof b; i++) {
        out[2 * i] = hex[u[i] >> 4];
        out[2 * i + 1] = hex[u[i] & 15];
    }
    out[2 * nbytes] = '\0';
}

static int rt_subscribe(void *self, const char *topic, const char *protocol, const char *endpoint,
                        const struct hub_sub_config *cfg, hub_sub_cb cb, void *ud)
{
    struct hub_sub_config none;
    struct rs_args a, p;
    char id[HUB_BUS_UUID_LEN + 1], token[65] = "";
    if (!topic || !protocol || !endpoint || !cb) return HUB_EINVAL;
    if (!cfg) {
        hub_sub_config_init(&none);
        cfg = &none;
    }
    hub_bus_uuid(id);
    if (strcmp(protocol, HUB_PROTO_HTTP) == 0 || strcmp(protocol, HUB_PROTO_HTTPS) == 0)
        random_hex(token, 32);
    rs_args_init(&a);
    rs_arg_str(&a, protocol);
    rs_arg_str(&a, endpoint);
    rs_arg_str(&a, id);
    rs_arg_str(&a, token);
    rs_args_init(&p);
    sub_pairs(&p, cfg, cfg->set, 1);
    pairs_put(&a, &p);
    rs_args_init(&p);
    sub_pairs(&p, cfg, cfg->set, 0);
    pairs_put(&a, &p);
    return sub_op(self, "t:", "subscribe", topic, &a, cb, ud);
}

static int rt_confirm(void *self, const char *topic, const char *token, hub_sub_cb cb, void *ud)
{
    struct rs_args a;
    if (!topic || !token || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    rs_arg_str(&a, token);
    return sub_op(self, "t:", "confirm", topic, &a, cb, ud);
}

static int rt_unsubscribe(void *self, const char *sub_id, hub_bus_done_cb cb, void *ud)
{
    struct rs_args a;
    if (!sub_id || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    return done_op(self, "s:", "unsub", sub_id, &a, cb, ud);
}

static int rt_sub_get(void *self, const char *sub_id, hub_sub_cb cb, void *ud)
{
    struct rs_args a;
    if (!sub_id || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    return sub_op(self, "s:", "subget", sub_id, &a, cb, ud);
}

static int rt_sub_set(void *self, const char *sub_id, const struct hub_sub_config *cfg,
                      hub_bus_done_cb cb, void *ud)
{
    struct rs_args a, p;
    if (!sub_id || !cfg || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    rs_args_init(&p);
    sub_pairs(&p, cfg, cfg->set, 1);
    pairs_put(&a, &p);
    return done_op(self, "s:", "subset", sub_id, &a, cb, ud);
}

static void on_sub_list(void *ud, redisReply *reply, int err)
{
    struct ctx *d = ud;
    int st = err ? err : rs_status(reply);
    struct sublist *l = st ? NULL : sublist_parse(reply, 1, &st);
    struct hub_subscription *v = l && l->n ? hub_calloc(l->n, sizeof *v) : NULL;
    if (l && l->n && !v) st = HUB_ENOMEM;
    for (size_t i = 0; v && i < l->n; i++)
        subrec_view(&l->v[i], &v[i]);
    d->cb.list(d->ud, st, st ? NULL : v, st || !l ? 0 : l->n);
    hub_free(v);
    sublist_unref(l);
    ctx_free(d);
}

static int rt_sub_list(void *self, const char *topic, hub_sub_list_cb cb, void *ud)
{
    struct rs_args a;
    if (!cb) return HUB_EINVAL;
    rs_args_init(&a);
    struct ctx *d = ctx_new(self, ud, &a);
    if (!d) return HUB_ENOMEM;
    d->cb.list = cb;
    return call(self, "t:", "sublist", topic ? topic : "", &a, on_sub_list, d);
}

/* ---- publish ---- */

static struct sublist *cache_get(struct rt *s, const char *topic)
{
    return hub_map_get(&s->cache, topic, strlen(topic));
}

/* Replaces topic's cached list with l (a reference taken); the list's own copy of the name is the
 * map's key. */
static void cache_put(struct rt *s, const char *topic, struct sublist *l)
{
    sublist_unref(hub_map_del(&s->cache, topic, strlen(topic)));
    if (!l->topic && !(l->topic = hub_strdup(topic))) return;
    l->refs++;
    if (hub_map_put(&s->cache, l->topic, strlen(l->topic), l)) sublist_unref(l);
}

static void on_published(void *ud, redisReply *reply, int err)
{
    struct ctx *d = ud;
    struct rt *s = d->s;
    int st = err ? err : rs_status(reply);
    struct hub_publish_result r[HUB_BUS_BATCH_MAX];
    struct sublist *l = NULL;
    struct hub_subscription *v = NULL;
    const char *sigver = NULL;
    size_t base = 4, sigver_len = 0;
    if (!st) {
        const redisReply *subs = rs_elem(reply, 2);
        const char *ver = rs_str(reply, 1, NULL);
        if (subs && subs->type == REDIS_REPLY_ARRAY) {
            l = sublist_parse(subs, 0, &st);
            if (l && ver && !(l->ver = hub_strdup(ver))) st = HUB_ENOMEM;
            if (!st && !s->closing) cache_put(s, d->name, l);
        } else if ((l = cache_get(s, d->name)) != NULL) {
            l->refs++;
        } else {
            st = HUB_EIO;
        }
    }
    if (!st && reply->elements < base + 5 * d->n) st = HUB_EIO;
    if (!st) sigver = rs_str(reply, 3, &sigver_len);
    if (!st && l && l->n && !(v = hub_calloc(l->n, sizeof *v))) st = HUB_ENOMEM;
    for (size_t i = 0; !st && l && i < l->n; i++)
        subrec_view(&l->v[i], &v[i]);
    for (size_t i = 0; !st && i < d->n; i++) {
        size_t b = base + 5 * i;
        size_t dlen = 0;
        const char *dedup = rs_str(reply, b + 3, &dlen);
        r[i] = (struct hub_publish_result){
            .id = d->ids[i],
            .err = (int)rs_int(reply, b, HUB_EIO),
            .message_id = rs_str(reply, b + 1, NULL),
            .sequence_number = (uint64_t)rs_int(reply, b + 2, 0),
            .dedup_id = dedup && dlen ? dedup : NULL,
            .duplicate = rs_int(reply, b + 4, 0) == 1,
        };
        if (r[i].err) r[i].message_id = NULL;
    }
    if (st)
        d->cb.publish(d->ud, st, NULL, 0, NULL, 0, NULL);
    else
        d->cb.publish(d->ud, 0, r, d->n, v, l ? l->n : 0, sigver && sigver_len ? sigver : NULL);
    hub_free(v);
    sublist_unref(l);
    ctx_free(d);
}

static int rt_publish(void *self, const char *topic, const struct hub_publish_entry *entries,
                      size_t n, hub_topic_publish_cb cb, void *ud)
{
    struct rt *s = self;
    struct rs_args a;
    if (!topic || (n && !entries) || n > HUB_BUS_BATCH_MAX || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    struct ctx *d = ctx_new(s, ud, &a);
    if (!d) return HUB_ENOMEM;
    struct sublist *l = cache_get(s, topic);
    d->cb.publish = cb;
    d->n = n;
    if (!(d->name = hub_strdup(topic))) a.oom = 1;
    rs_arg_u64(&a, rs_client_options(s->c)->dedup_window_ms);
    rs_arg_str(&a, l ? l->ver : "");
    rs_arg_u64(&a, n);
    for (size_t i = 0; i < n; i++) {
        const struct hub_publish_entry *e = &entries[i];
        char id[HUB_BUS_UUID_LEN + 1], hash[65] = "";
        if (e->id && !(d->ids[i] = hub_strdup(e->id))) a.oom = 1;
        hub_bus_uuid(id);
        if (e->group_id && !e->dedup_id) hub_bus_sha256_hex(e->message, e->message_len, hash);
        rs_arg_str(&a, id);
        rs_arg_str(&a, e->dedup_id);
        rs_arg_str(&a, hash);
        rs_arg_str(&a, e->group_id);
    }
    return call(s, "t:", "publish", topic, &a, on_published, d);
}

/* ---- life cycle ---- */

static void store_free(struct rt *s)
{
    size_t pos = 0;
    void *v;
    const char *k;
    while (hub_map_next(&s->cache, &pos, &k, NULL, &v)) {
        hub_map_del(&s->cache, k, strlen(k));
        sublist_unref(v);
    }
    hub_map_clear(&s->cache);
    hub_free(s);
}

static void call_done(struct rt *s)
{
    s->calls--;
    if (s->closing && !s->calls) store_free(s);
}

static void rt_destroy(void *self)
{
    struct rt *s = self;
    if (!s || s->closing) return;
    s->closing = 1;
    rs_client_unref(s->c);
    if (!s->calls) store_free(s);
}

void *rs_topic_store_new(struct rs_client *c)
{
    struct rt *s = hub_calloc(1, sizeof *s);
    if (!s) return NULL;
    s->c = c;
    hub_map_init(&s->cache, rs_random64(), rs_random64());
    return s;
}

static const struct hub_topic_store_ops redis_topic_ops = {
    .destroy = rt_destroy,
    .create = rt_create,
    .get = rt_get,
    .set = rt_set,
    .remove = rt_remove,
    .list = rt_list,
    .tag = rt_tag,
    .untag = rt_untag,
    .subscribe = rt_subscribe,
    .confirm = rt_confirm,
    .unsubscribe = rt_unsubscribe,
    .sub_get = rt_sub_get,
    .sub_set = rt_sub_set,
    .sub_list = rt_sub_list,
    .publish = rt_publish,
};

const struct hub_topic_store_ops *hub_redis_topic_store_ops(void)
{
    return &redis_topic_ops;
}

int hub_redis_stores_new(uv_loop_t *loop, const struct hub_redis_store_options *opts, void **qs,
                         void **ts)
{
    struct rs_client *c;
    if (!loop || !opts || !opts->url || !qs || !ts) return HUB_EINVAL;
    *qs = *ts = NULL;
    if (!(c = rs_client_new(loop, opts))) return HUB_EINVAL;
    *qs = rs_queue_store_new(c);
    *ts = rs_topic_store_new(c);
    if (!*qs || !*ts) {
        if (*qs)
            hub_redis_queue_store_ops()->destroy(*qs);
        else
            rs_client_unref(c);
        if (*ts)
            hub_redis_topic_store_ops()->destroy(*ts);
        else
            rs_client_unref(c);
        *qs = *ts = NULL;
        return HUB_ENOMEM;
    }
    return 0;
}
