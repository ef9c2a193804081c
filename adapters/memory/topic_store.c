/* topic_store.c - the in-memory topic store (struct hub_topic_store_ops).
 *
 * Topics by name and subscriptions by id (hub_map); each topic keeps its live subscriptions in a
 * list in creation order, which is what a publish hands to the bus for fan-out. A subscription's
 * attributes live in an immutable, reference-counted block that SetSubscriptionAttributes replaces,
 * so a pending callback keeps seeing the attributes it was answered with. FIFO topics de-duplicate
 * per topic inside the window (a map plus a list in expiry order). Callbacks are deferred to the
 * loop through a uv_idle handle, never run inside the call. */
#include "memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_alloc.h"
#include "map.h"
#include "random.h"

struct done {
    struct done *next;
    void (*run)(struct done *d);
};

struct subattrs {
    size_t refs;
    int raw, scope_body;
    char *filter, *redrive;
    json_t *extra; /* never NULL */
};

struct topic;

struct sub {
    size_t refs;
    int dead;
    char id[HUB_BUS_UUID_LEN + 1];
    char *topic_name;
    struct topic *t;
    char *protocol, *endpoint;
    int pending;
    char token[65];
    struct subattrs *a;
    uint64_t created_ms;
    struct sub *prev, *next;
};

struct drec {
    struct drec *next;
    uint64_t expires;
    char msg_id[HUB_BUS_UUID_LEN + 1];
    uint64_t seq;
    size_t keylen;
    char key[];
};

struct topic {
    char *name;
    struct hub_topic_config cfg; /* cfg.extra and tags are replaced, never changed in place */
    json_t *tags;
    uint64_t created_ms;
    struct sub *shead, *stail;
    uint64_t confirmed, pending, deleted;
    struct hub_map dedup;
    struct drec *dhead, *dtail;
    uint64_t seq;
};

struct mt {
    uv_loop_t *loop;
    uv_idle_t idle;
    int closing;
    struct hub_memory_options opt;
    uint64_t k0, k1;
    struct hub_map topics;
    struct hub_map subs;
    struct done *phead, **ptail;
};

/* ---- deferral ---- */

static void on_idle(uv_idle_t *h)
{
    struct mt *s = h->data;
    struct done *d = s->phead;
    s->phead = NULL;
    s->ptail = &s->phead;
    uv_idle_stop(&s->idle);
    while (d) {
        struct done *next = d->next;
        d->run(d);
        d = next;
    }
}

static void defer(struct mt *s, struct done *d)
{
    d->next = NULL;
    *s->ptail = d;
    s->ptail = &d->next;
    if (!s->closing && !uv_is_active((uv_handle_t *)&s->idle)) uv_idle_start(&s->idle, on_idle);
}

static uint64_t mono(struct mt *s)
{
    uv_update_time(s->loop);
    return uv_now(s->loop);
}

/* ---- subscriptions ---- */

static void attrs_unref(struct subattrs *a)
{
    if (!a || --a->refs) return;
    hub_free(a->filter);
    hub_free(a->redrive);
    json_decref(a->extra);
    hub_free(a);
}

static void sub_unref(struct sub *u)
{
    if (!u || --u->refs) return;
    attrs_unref(u->a);
    hub_free(u->topic_name);
    hub_free(u->protocol);
    hub_free(u->endpoint);
    hub_free(u);
}

/* A new attribute block: base (may be NULL) with the fields of cfg->set applied. */
static struct subattrs *attrs_new(const struct subattrs *base, const struct hub_sub_config *c)
{
    struct subattrs *a = hub_calloc(1, sizeof *a);
    if (!a) return NULL;
    a->refs = 1;
    const char *filter = base ? base->filter : NULL, *redrive = base ? base->redrive : NULL;
    a->raw = base ? base->raw : 0;
    a->scope_body = base ? base->scope_body : 0;
    if (c->set & HUB_SCFG_RAW) a->raw = c->raw;
    if (c->set & HUB_SCFG_FILTER_SCOPE) a->scope_body = c->filter_scope_body;
    if (c->set & HUB_SCFG_FILTER) filter = c->filter_policy;
    if (c->set & HUB_SCFG_REDRIVE) redrive = c->redrive_policy;
    a->extra = base ? json_copy(base->extra) : json_object();
    if ((filter && *filter && !(a->filter = hub_strdup(filter))) ||
        (redrive && *redrive && !(a->redrive = hub_strdup(redrive))) || !a->extra)
        goto fail;
    if (c->set & HUB_SCFG_EXTRA) {
        const char *k;
        json_t *v;
        json_object_foreach(c->extra, k, v)
        {
            const char *val = json_string_value(v);
            if (!val || !*val)
                json_object_del(a->extra, k);
            else if (json_object_set(a->extra, k, v))
                goto fail;
        }
    }
    return a;
fail:
    attrs_unref(a);
    return NULL;
}

static int str_differs(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") != 0;
}

static int attrs_differ(const struct subattrs *a, const struct hub_sub_config *c)
{
    if (((c->set & HUB_SCFG_RAW) && a->raw != c->raw) ||
        ((c->set & HUB_SCFG_FILTER_SCOPE) && a->scope_body != c->filter_scope_body) ||
        ((c->set & HUB_SCFG_FILTER) && str_differs(a->filter, c->filter_policy)) ||
        ((c->set & HUB_SCFG_REDRIVE) && str_differs(a->redrive, c->redrive_policy)))
        return 1;
    if (c->set & HUB_SCFG_EXTRA) {
        const char *k;
        json_t *v;
        json_object_foreach(c->extra, k, v)
        {
            if (str_differs(json_string_value(v), json_string_value(json_object_get(a->extra, k))))
                return 1;
        }
    }
    return 0;
}

/* What a callback sees of a subscription: the subscription, its attributes and its state when the
 * operation ran. */
struct sub_snap {
    struct sub *u;
    struct subattrs *a;
    int pending;
};

static void snap_take(struct sub_snap *sn, struct sub *u)
{
    sn->u = u;
    sn->a = u->a;
    sn->pending = u->pending;
    u->refs++;
    u->a->refs++;
}

static void snap_release(struct sub_snap *sn)
{
    attrs_unref(sn->a);
    sub_unref(sn->u);
}

static void snap_view(const struct sub_snap *sn, struct hub_subscription *v)
{
    const struct sub *u = sn->u;
    *v = (struct hub_subscription){
        .id = u->id,
        .topic = u->topic_name,
        .protocol = u->protocol,
        .endpoint = u->endpoint,
        .pending = sn->pending,
        .token = sn->pending ? u->token : NULL,
        .raw = sn->a->raw,
        .filter_policy = sn->a->filter,
        .filter_scope_body = sn->a->scope_body,
        .redrive_policy = sn->a->redrive,
        .extra = sn->a->extra,
        .created_ms = u->created_ms,
    };
}

static void sub_detach(struct mt *s, struct sub *u)
{
    struct topic *t = u->t;
    if (u->prev)
        u->prev->next = u->next;
    else
        t->shead = u->next;
    if (u->next)
        u->next->prev = u->prev;
    else
        t->stail = u->prev;
    if (u->pending)
        t->pending--;
    else
        t->confirmed--;
    t->deleted++;
    u->t = NULL;
    u->dead = 1;
    hub_map_del(&s->subs, u->id, HUB_BUS_UUID_LEN);
    sub_unref(u);
}

/* ---- topics ---- */

static struct topic *topic_get(struct mt *s, const char *name)
{
    return name ? hub_map_get(&s->topics, name, strlen(name)) : NULL;
}

static void dedup_prune(struct topic *t, uint64_t now)
{
    while (t->dhead && t->dhead->expires <= now) {
        struct drec *r = t->dhead;
        t->dhead = r->next;
        if (!t->dhead) t->dtail = NULL;
        hub_map_del(&t->dedup, r->key, r->keylen);
        hub_free(r);
    }
}

static void topic_free(struct mt *s, struct topic *t)
{
    while (t->shead)
        sub_detach(s, t->shead);
    while (t->dhead) {
        struct drec *r = t->dhead;
        t->dhead = r->next;
        hub_free(r);
    }
    hub_map_clear(&t->dedup);
    hub_topic_config_clear(&t->cfg);
    json_decref(t->tags);
    hub_free(t->name);
    hub_free(t);
}

/* ---- completions ---- */

struct done_err {
    struct done base;
    hub_bus_done_cb cb;
    void *ud;
    int err;
};

static void run_err(struct done *base)
{
    struct done_err *d = (struct done_err *)base;
    d->cb(d->ud, d->err);
    hub_free(d);
}

static int answer(struct mt *s, hub_bus_done_cb cb, void *ud, int err)
{
    struct done_err *d = hub_malloc(sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_err;
    d->cb = cb;
    d->ud = ud;
    d->err = err;
    defer(s, &d->base);
    return 0;
}

struct done_tinfo {
    struct done base;
    hub_topic_info_cb cb;
    void *ud;
    int err;
    char *name;
    struct hub_topic_config cfg;
    struct hub_topic_info info;
};

static void run_tinfo(struct done *base)
{
    struct done_tinfo *d = (struct done_tinfo *)base;
    d->info.name = d->name;
    d->info.config = &d->cfg;
    d->cb(d->ud, d->err, d->err ? NULL : &d->info);
    hub_topic_config_clear(&d->cfg);
    json_decref(d->info.tags);
    hub_free(d->name);
    hub_free(d);
}

static int tinfo_fill(struct done_tinfo *d, struct topic *t, int created)
{
    if (!(d->name = hub_strdup(t->name))) return HUB_ENOMEM;
    d->cfg = t->cfg;
    json_incref(d->cfg.extra);
    d->info.created_ms = t->created_ms;
    d->info.subs_confirmed = t->confirmed;
    d->info.subs_pending = t->pending;
    d->info.subs_deleted = t->deleted;
    d->info.tags = json_incref(t->tags);
    d->info.created = created;
    return 0;
}

struct done_names {
    struct done base;
    hub_bus_names_cb cb;
    void *ud;
    int err;
    size_t n;
    char **names;
};

static void names_free(struct done_names *d)
{
    for (size_t i = 0; i < d->n; i++)
        hub_free(d->names[i]);
    hub_free(d->names);
    hub_free(d);
}

static void run_names(struct done *base)
{
    struct done_names *d = (struct done_names *)base;
    d->cb(d->ud, d->err, (const char *const *)d->names, d->n);
    names_free(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One subscription (subscribe, confirm, get) or several (list). */
struct done_subs {
    struct done base;
    hub_sub_cb cb;
    hub_sub_list_cb list_cb;
    void *ud;
    int err;
    size_t n;
    struct sub_snap *s;
};

static void run_subs(struct done *base)
{
    struct done_subs *d = (struct done_subs *)base;
    struct hub_subscription *v = d->n ? hub_calloc(d->n, sizeof *v) : NULL;
    if (d->n && !v && !d->err) d->err = HUB_ENOMEM;
    for (size_t i = 0; v && i < d->n; i++)
        snap_view(&d->s[i], &v[i]);
    if (d->list_cb)
        d->list_cb(d->ud, d->err, d->err ? NULL : v, d->err ? 0 : d->n);
    else
        d->cb(d->ud, d->err, d->err || !d->n ? NULL : &v[0]);
    hub_free(v);
    for (size_t i = 0; i < d->n; i++)
        snap_release(&d->s[i]);
    hub_free(d->s);
    hub_free(d);
}

static struct done_subs *subs_new(hub_sub_cb cb, hub_sub_list_cb list_cb, void *ud)
{
    struct done_subs *d = hub_calloc(1, sizeof *d);
    if (!d) return NULL;
    d->base.run = run_subs;
    d->cb = cb;
    d->list_cb = list_cb;
    d->ud = ud;
    return d;
}

static int subs_add(struct done_subs *d, struct sub *u, size_t *cap)
{
    if (d->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct sub_snap *v = hub_realloc(d->s, ncap * sizeof *v);
        if (!v) return HUB_ENOMEM;
        d->s = v;
        *cap = ncap;
    }
    snap_take(&d->s[d->n++], u);
    return 0;
}

static void subs_free(struct done_subs *d)
{
    for (size_t i = 0; i < d->n; i++)
        snap_release(&d->s[i]);
    hub_free(d->s);
    hub_free(d);
}

/* ---- topic operations ---- */

static int topic_config_differs(const struct hub_topic_config *a, const struct hub_topic_config *b)
{
    if (((a->set & HUB_TCFG_FIFO) && a->fifo != b->fifo) ||
        ((a->set & HUB_TCFG_CONTENT_DEDUP) && a->content_dedup != b->content_dedup))
        return 1;
    if (a->set & HUB_TCFG_EXTRA) {
        const char *k;
        json_t *v;
        json_object_foreach(a->extra, k, v)
        {
            if (str_differs(json_string_value(v), json_string_value(json_object_get(b->extra, k))))
                return 1;
        }
    }
    return 0;
}

static int topic_config_apply(struct hub_topic_config *dst, const struct hub_topic_config *c)
{
    if (c->set & HUB_TCFG_EXTRA) {
        json_t *extra = dst->extra ? json_copy(dst->extra) : json_object();
        const char *k;
        json_t *v;
        if (!extra) return HUB_ENOMEM;
        json_object_foreach(c->extra, k, v)
        {
            const char *val = json_string_value(v);
            if (!val || !*val)
                json_object_del(extra, k);
            else if (json_object_set(extra, k, v)) {
                json_decref(extra);
                return HUB_ENOMEM;
            }
        }
        json_decref(dst->extra);
        dst->extra = extra;
    }
    if (c->set & HUB_TCFG_CONTENT_DEDUP) dst->content_dedup = c->content_dedup;
    dst->set = 0;
    return 0;
}

static int mt_create(void *self, const char *name, const struct hub_topic_config *cfg, json_t *tags,
                     hub_topic_info_cb cb, void *ud)
{
    struct mt *s = self;
    if (!name || !cfg || !cb) return HUB_EINVAL;
    struct done_tinfo *d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_tinfo;
    d->cb = cb;
    d->ud = ud;
    struct topic *t = topic_get(s, name);
    if (t) {
        if (topic_config_differs(cfg, &t->cfg))
            d->err = HUB_BUS_EINVALID_PARAMETER;
        else if (tinfo_fill(d, t, 0))
            goto fail_nomem;
        defer(s, &d->base);
        return 0;
    }
    if (!cfg->fifo && (cfg->set & HUB_TCFG_CONTENT_DEDUP) && cfg->content_dedup) {
        d->err = HUB_BUS_EINVALID_PARAMETER;
        defer(s, &d->base);
        return 0;
    }
    t = hub_calloc(1, sizeof *t);
    if (!t) goto fail_nomem;
    hub_topic_config_init(&t->cfg);
    t->cfg.fifo = cfg->fifo != 0;
    if (!(t->name = hub_strdup(name)) || topic_config_apply(&t->cfg, cfg) ||
        !(t->tags = tags ? json_copy(tags) : json_object()))
        goto fail_topic;
    hub_map_init(&t->dedup, s->k0, s->k1);
    t->created_ms = hub_bus_now_ms();
    if (hub_map_put(&s->topics, t->name, strlen(t->name), t)) goto fail_topic;
    if (tinfo_fill(d, t, 1)) {
        hub_map_del(&s->topics, t->name, strlen(t->name));
        goto fail_topic;
    }
    defer(s, &d->base);
    return 0;
fail_topic:
    hub_topic_config_clear(&t->cfg);
    json_decref(t->tags);
    hub_free(t->name);
    hub_free(t);
fail_nomem:
    hub_free(d->name);
    hub_topic_config_clear(&d->cfg);
    json_decref(d->info.tags);
    hub_free(d);
    return HUB_ENOMEM;
}

static int mt_get(void *self, const char *name, hub_topic_info_cb cb, void *ud)
{
    struct mt *s = self;
    if (!name || !cb) return HUB_EINVAL;
    struct done_tinfo *d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_tinfo;
    d->cb = cb;
    d->ud = ud;
    struct topic *t = topic_get(s, name);
    if (!t) {
        d->err = HUB_BUS_ENOT_FOUND;
    } else if (tinfo_fill(d, t, 0)) {
        hub_free(d);
        return HUB_ENOMEM;
    }
    defer(s, &d->base);
    return 0;
}

static int mt_set(void *self, const char *name, const struct hub_topic_config *cfg,
                  hub_bus_done_cb cb, void *ud)
{
    struct mt *s = self;
    if (!name || !cfg || !cb) return HUB_EINVAL;
    struct topic *t = topic_get(s, name);
    if (!t) return answer(s, cb, ud, HUB_BUS_ENOT_FOUND);
    if ((cfg->set & HUB_TCFG_FIFO) ||
        (!t->cfg.fifo && (cfg->set & HUB_TCFG_CONTENT_DEDUP) && cfg->content_dedup))
        return answer(s, cb, ud, HUB_BUS_EINVALID_PARAMETER);
    struct done_err *d = hub_malloc(sizeof *d);
    if (!d) return HUB_ENOMEM;
    if (topic_config_apply(&t->cfg, cfg)) {
        hub_free(d);
        return HUB_ENOMEM;
    }
    d->base.run = run_err;
    d->cb = cb;
    d->ud = ud;
    d->err = 0;
    defer(s, &d->base);
    return 0;
}

static int mt_remove(void *self, const char *name, hub_bus_done_cb cb, void *ud)
{
    struct mt *s = self;
    if (!name || !cb) return HUB_EINVAL;
    int rc = answer(s, cb, ud, 0);
    struct topic *t = topic_get(s, name);
    if (rc || !t) return rc;
    hub_map_del(&s->topics, t->name, strlen(t->name));
    topic_free(s, t);
    return 0;
}

static int mt_list(void *self, hub_bus_names_cb cb, void *ud)
{
    struct mt *s = self;
    if (!cb) return HUB_EINVAL;
    struct done_names *d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_names;
    d->cb = cb;
    d->ud = ud;
    size_t n = hub_map_count(&s->topics), pos = 0;
    const char *k;
    if (n && !(d->names = hub_calloc(n, sizeof *d->names))) {
        hub_free(d);
        return HUB_ENOMEM;
    }
    while (hub_map_next(&s->topics, &pos, &k, NULL, NULL)) {
        if (!(d->names[d->n] = hub_strdup(k))) {
            names_free(d);
            return HUB_ENOMEM;
        }
        d->n++;
    }
    if (d->n > 1) qsort(d->names, d->n, sizeof *d->names, cmp_str);
    defer(s, &d->base);
    return 0;
}

static int mt_tag(void *self, const char *name, json_t *tags, hub_bus_done_cb cb, void *ud)
{
    struct mt *s = self;
    if (!name || !json_is_object(tags) || !cb) return HUB_EINVAL;
    struct topic *t = topic_get(s, name);
    if (!t) return answer(s, cb, ud, HUB_BUS_ENOT_FOUND);
    json_t *nt = json_copy(t->tags);
    if (!nt || json_object_update(nt, tags)) {
        json_decref(nt);
        return HUB_ENOMEM;
    }
    int rc = answer(s, cb, ud, 0);
    if (rc) {
        json_decref(nt);
        return rc;
    }
    json_decref(t->tags);
    t->tags = nt;
    return 0;
}

static int mt_untag(void *self, const char *name, const char *const *keys, size_t n,
                    hub_bus_done_cb cb, void *ud)
{
    struct mt *s = self;
    if (!name || (n && !keys) || !cb) return HUB_EINVAL;
    struct topic *t = topic_get(s, name);
    if (!t) return answer(s, cb, ud, HUB_BUS_ENOT_FOUND);
    json_t *nt = json_copy(t->tags);
    if (!nt) return HUB_ENOMEM;
    for (size_t i = 0; i < n; i++)
        json_object_del(nt, keys[i]);
    int rc = answer(s, cb, ud, 0);
    if (rc) {
        json_decref(nt);
        return rc;
    }
    json_decref(t->tags);
    t->tags = nt;
    return 0;
}

/* ---- subscription operations ---- */

static void random_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[32];
    hub_random_bytes(b, nbytes);
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * nbytes] = '\0';
}

static int mt_subscribe(void *self, const char *topic, const char *protocol, const char *endpoint,
                        const struct hub_sub_config *cfg, hub_sub_cb cb, void *ud)
{
    struct mt *s = self;
    if (!topic || !protocol || !endpoint || !cfg || !cb) return HUB_EINVAL;
    struct done_subs *d = subs_new(cb, NULL, ud);
    size_t cap = 0;
    if (!d) return HUB_ENOMEM;
    struct topic *t = topic_get(s, topic);
    if (!t) {
        d->err = HUB_BUS_ENOT_FOUND;
        defer(s, &d->base);
        return 0;
    }
    for (struct sub *u = t->shead; u; u = u->next) {
        if (strcmp(u->protocol, protocol) == 0 && strcmp(u->endpoint, endpoint) == 0) {
            if (attrs_differ(u->a, cfg))
                d->err = HUB_BUS_EINVALID_PARAMETER;
            else if (subs_add(d, u, &cap)) {
                subs_free(d);
                return HUB_ENOMEM;
            }
            defer(s, &d->base);
            return 0;
        }
    }
    struct sub *u = hub_calloc(1, sizeof *u);
    if (!u) goto fail;
    u->refs = 1;
    if (!(u->topic_name = hub_strdup(topic)) || !(u->protocol = hub_strdup(protocol)) ||
        !(u->endpoint = hub_strdup(endpoint)) || !(u->a = attrs_new(NULL, cfg)))
        goto fail;
    hub_bus_uuid(u->id);
    if (hub_map_put(&s->subs, u->id, HUB_BUS_UUID_LEN, u)) goto fail;
    if (subs_add(d, u, &cap)) {
        hub_map_del(&s->subs, u->id, HUB_BUS_UUID_LEN);
        goto fail;
    }
    u->t = t;
    u->created_ms = hub_bus_now_ms();
    u->pending = strcmp(protocol, HUB_PROTO_HTTP) == 0 || strcmp(protocol, HUB_PROTO_HTTPS) == 0;
    d->s[0].pending = u->pending;
    if (u->pending) {
        random_hex(u->token, 32);
        t->pending++;
    } else {
        t->confirmed++;
    }
    u->prev = t->stail;
    if (t->stail)
        t->stail->next = u;
    else
        t->shead = u;
    t->stail = u;
    defer(s, &d->base);
    return 0;
fail:
    sub_unref(u);
    subs_free(d);
    return HUB_ENOMEM;
}

static int mt_confirm(void *self, const char *topic, const char *token, hub_sub_cb cb, void *ud)
{
    struct mt *s = self;
    if (!topic || !token || !cb) return HUB_EINVAL;
    struct done_subs *d = subs_new(cb, NULL, ud);
    size_t cap = 0;
    if (!d) return HUB_ENOMEM;
    struct topic *t = topic_get(s, topic);
    struct sub *u = t ? t->shead : NULL;
    while (u && (!u->token[0] || strcmp(u->token, token) != 0))
        u = u->next;
    if (!t) {
        d->err = HUB_BUS_ENOT_FOUND;
    } else if (!u) {
        d->err = HUB_BUS_EINVALID_PARAMETER;
    } else {
        if (subs_add(d, u, &cap)) {
            subs_free(d);
            return HUB_ENOMEM;
        }
        if (u->pending) {
            u->pending = 0;
            t->pending--;
            t->confirmed++;
        }
        d->s[0].pending = 0;
    }
    defer(s, &d->base);
    return 0;
}

static int mt_unsubscribe(void *self, const char *sub_id, hub_bus_done_cb cb, void *ud)
{
    struct mt *s = self;
    if (!sub_id || !cb) return HUB_EINVAL;
    struct sub *u = hub_map_get(&s->subs, sub_id, strlen(sub_id));
    int rc = answer(s, cb, ud, u ? 0 : HUB_BUS_ENOT_FOUND);
    if (rc || !u) return rc;
    sub_detach(s, u);
    return 0;
}

static int mt_sub_get(void *self, const char *sub_id, hub_sub_cb cb, void *ud)
{
    struct mt *s = self;
    if (!sub_id || !cb) return HUB_EINVAL;
    struct done_subs *d = subs_new(cb, NULL, ud);
    size_t cap = 0;
    if (!d) return HUB_ENOMEM;
    struct sub *u = hub_map_get(&s->subs, sub_id, strlen(sub_id));
    if (!u) {
        d->err = HUB_BUS_ENOT_FOUND;
    } else if (subs_add(d, u, &cap)) {
        subs_free(d);
        return HUB_ENOMEM;
    }
    defer(s, &d->base);
    return 0;
}

static int mt_sub_set(void *self, const char *sub_id, const struct hub_sub_config *cfg,
                      hub_bus_done_cb cb, void *ud)
{
    struct mt *s = self;
    if (!sub_id || !cfg || !cb) return HUB_EINVAL;
    struct sub *u = hub_map_get(&s->subs, sub_id, strlen(sub_id));
    if (!u) return answer(s, cb, ud, HUB_BUS_ENOT_FOUND);
    struct subattrs *a = attrs_new(u->a, cfg);
    if (!a) return HUB_ENOMEM;
    int rc = answer(s, cb, ud, 0);
    if (rc) {
        attrs_unref(a);
        return rc;
    }
    attrs_unref(u->a);
    u->a = a;
    return 0;
}

static int mt_sub_list(void *self, const char *topic, hub_sub_list_cb cb, void *ud)
{
    struct mt *s = self;
    if (!cb) return HUB_EINVAL;
    struct done_subs *d = subs_new(NULL, cb, ud);
    size_t cap = 0;
    if (!d) return HUB_ENOMEM;
    if (topic) {
        struct topic *t = topic_get(s, topic);
        if (!t) d->err = HUB_BUS_ENOT_FOUND;
        for (struct sub *u = t ? t->shead : NULL; u; u = u->next)
            if (subs_add(d, u, &cap)) goto fail;
    } else {
        size_t pos = 0;
        void *v;
        while (hub_map_next(&s->subs, &pos, NULL, NULL, &v))
            if (subs_add(d, v, &cap)) goto fail;
    }
    defer(s, &d->base);
    return 0;
fail:
    subs_free(d);
    return HUB_ENOMEM;
}

/* ---- publish ---- */

struct done_pub {
    struct done base;
    hub_topic_publish_cb cb;
    void *ud;
    int err;
    size_t n;
    struct hub_publish_result r[HUB_BUS_BATCH_MAX];
    char *ids[HUB_BUS_BATCH_MAX];
    char msg_ids[HUB_BUS_BATCH_MAX][HUB_BUS_UUID_LEN + 1];
    char *dedup[HUB_BUS_BATCH_MAX];
    struct done_subs subs;     /* only its n and s */
    char signature_version[8]; /* the topic's SignatureVersion attribute, "" when not set */
};

static void run_pub(struct done *base)
{
    struct done_pub *d = (struct done_pub *)base;
    size_t nsubs = 0;
    struct hub_subscription *v = d->subs.n ? hub_calloc(d->subs.n, sizeof *v) : NULL;
    for (size_t i = 0; v && i < d->subs.n; i++)
        if (!d->subs.s[i].u->dead) snap_view(&d->subs.s[i], &v[nsubs++]);
    if (d->err)
        d->cb(d->ud, d->err, NULL, 0, NULL, 0, NULL);
    else
        d->cb(d->ud, 0, d->r, d->n, v, nsubs,
              d->signature_version[0] ? d->signature_version : NULL);
    hub_free(v);
    for (size_t i = 0; i < d->subs.n; i++)
        snap_release(&d->subs.s[i]);
    hub_free(d->subs.s);
    for (size_t i = 0; i < d->n; i++) {
        hub_free(d->ids[i]);
        hub_free(d->dedup[i]);
    }
    hub_free(d);
}

static void pub_free(struct done_pub *d)
{
    d->cb = NULL;
    for (size_t i = 0; i < d->subs.n; i++)
        snap_release(&d->subs.s[i]);
    hub_free(d->subs.s);
    for (size_t i = 0; i < d->n; i++) {
        hub_free(d->ids[i]);
        hub_free(d->dedup[i]);
    }
    hub_free(d);
}

static int publish_one(struct mt *s, struct topic *t, const struct hub_publish_entry *e,
                       uint64_t now, struct done_pub *d, size_t i)
{
    struct hub_publish_result *r = &d->r[i];
    char hash[65], keybuf[300];
    const char *dedup = NULL;
    if (!t->cfg.fifo) {
        if (e->dedup_id) return HUB_BUS_EINVALID_PARAMETER;
    } else {
        if (!e->group_id) return HUB_BUS_EINVALID_PARAMETER;
        if (e->dedup_id) {
            dedup = e->dedup_id;
        } else if (t->cfg.content_dedup) {
            hub_bus_sha256_hex(e->message, e->message_len, hash);
            dedup = hash;
        } else {
            return HUB_BUS_EINVALID_PARAMETER;
        }
        if (!(d->dedup[i] = hub_strdup(dedup))) return HUB_ENOMEM;
        r->dedup_id = d->dedup[i];
        size_t keylen = strlen(dedup);
        memcpy(keybuf, dedup, keylen + 1);
        struct drec *dr = hub_map_get(&t->dedup, keybuf, keylen);
        if (dr) {
            memcpy(d->msg_ids[i], dr->msg_id, sizeof d->msg_ids[i]);
            r->message_id = d->msg_ids[i];
            r->sequence_number = dr->seq;
            r->duplicate = 1;
            return 0;
        }
        if (!(dr = hub_malloc(sizeof *dr + keylen + 1))) return HUB_ENOMEM;
        dr->keylen = keylen;
        memcpy(dr->key, keybuf, keylen + 1);
        if (hub_map_put(&t->dedup, dr->key, keylen, dr)) {
            hub_free(dr);
            return HUB_ENOMEM;
        }
        dr->next = NULL;
        dr->expires = now + s->opt.dedup_window_ms;
        hub_bus_uuid(dr->msg_id);
        dr->seq = ++t->seq;
        if (t->dtail)
            t->dtail->next = dr;
        else
            t->dhead = dr;
        t->dtail = dr;
        memcpy(d->msg_ids[i], dr->msg_id, sizeof d->msg_ids[i]);
        r->message_id = d->msg_ids[i];
        r->sequence_number = dr->seq;
        return 0;
    }
    hub_bus_uuid(d->msg_ids[i]);
    r->message_id = d->msg_ids[i];
    return 0;
}

static int mt_publish(void *self, const char *topic, const struct hub_publish_entry *entries,
                      size_t n, hub_topic_publish_cb cb, void *ud)
{
    struct mt *s = self;
    if (!topic || (n && !entries) || n > HUB_BUS_BATCH_MAX || !cb) return HUB_EINVAL;
    struct done_pub *d = hub_calloc(1, sizeof *d);
    size_t cap = 0;
    if (!d) return HUB_ENOMEM;
    d->base.run = run_pub;
    d->cb = cb;
    d->ud = ud;
    d->n = n;
    for (size_t i = 0; i < n; i++) {
        if (entries[i].id && !(d->ids[i] = hub_strdup(entries[i].id))) {
            pub_free(d);
            return HUB_ENOMEM;
        }
        d->r[i].id = d->ids[i];
    }
    struct topic *t = topic_get(s, topic);
    if (!t) {
        d->err = HUB_BUS_ENOT_FOUND;
        defer(s, &d->base);
        return 0;
    }
    for (struct sub *u = t->shead; u; u = u->next)
        if (!u->pending && subs_add(&d->subs, u, &cap)) {
            pub_free(d);
            return HUB_ENOMEM;
        }
    const char *sv = json_string_value(json_object_get(t->cfg.extra, "SignatureVersion"));
    if (sv) snprintf(d->signature_version, sizeof d->signature_version, "%s", sv);
    uint64_t now = mono(s);
    dedup_prune(t, now);
    for (size_t i = 0; i < n; i++)
        d->r[i].err = publish_one(s, t, &entries[i], now, d, i);
    defer(s, &d->base);
    return 0;
}

/* ---- life cycle ---- */

static void on_close(uv_handle_t *h)
{
    struct mt *s = h->data;
    struct done *d = s->phead;
    s->phead = NULL;
    while (d) {
        struct done *next = d->next;
        d->run(d);
        d = next;
    }
    hub_map_clear(&s->topics);
    hub_map_clear(&s->subs);
    hub_free(s);
}

static void mt_destroy(void *self)
{
    struct mt *s = self;
    if (!s || s->closing) return;
    s->closing = 1;
    size_t pos = 0;
    void *v;
    while (hub_map_next(&s->topics, &pos, NULL, NULL, &v)) {
        struct topic *t = v;
        hub_map_del(&s->topics, t->name, strlen(t->name));
        topic_free(s, t);
    }
    uv_close((uv_handle_t *)&s->idle, on_close);
}

void *hub_memory_topic_store_new(uv_loop_t *loop, const struct hub_memory_options *opts)
{
    if (!loop) return NULL;
    struct mt *s = hub_calloc(1, sizeof *s);
    if (!s) return NULL;
    s->loop = loop;
    if (opts) s->opt = *opts;
    if (!s->opt.dedup_window_ms) s->opt.dedup_window_ms = HUB_BUS_DEDUP_WINDOW_MS;
    uint64_t seed[2];
    hub_random_bytes(seed, sizeof seed);
    s->k0 = seed[0];
    s->k1 = seed[1];
    hub_map_init(&s->topics, s->k0, s->k1);
    hub_map_init(&s->subs, s->k0, s->k1);
    s->ptail = &s->phead;
    uv_idle_init(loop, &s->idle);
    s->idle.data = s;
    return s;
}

static const struct hub_topic_store_ops memory_topic_ops = {
    .destroy = mt_destroy,
    .create = mt_create,
    .get = mt_get,
    .set = mt_set,
    .remove = mt_remove,
    .list = mt_list,
    .tag = mt_tag,
    .untag = mt_untag,
    .subscribe = mt_subscribe,
    .confirm = mt_confirm,
    .unsubscribe = mt_unsubscribe,
    .sub_get = mt_sub_get,
    .sub_set = mt_sub_set,
    .sub_list = mt_sub_list,
    .publish = mt_publish,
};

const struct hub_topic_store_ops *hub_memory_topic_store_ops(void)
{
    return &memory_topic_ops;
}
