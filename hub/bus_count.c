/* bus_count.c - see bus_count.h.
 *
 * A wrapper store is the real store's table and object plus the counters. Operations that are
 * counted get a small context (the name and the caller's callback) that the wrapper's callback
 * counts from and frees before calling the caller back, so a callback that frees the bus finds
 * nothing of the wrapper left to touch. The others go straight to the real store. */
#include "bus_count.h"

#include <string.h>

#include "hub_alloc.h"
#include "map.h"

struct hub_bus_counts {
    struct hub_map queues; /* name -> struct qentry */
    struct hub_map topics; /* name -> struct tentry */
};

struct qentry {
    char *name;
    struct hub_queue_counts n;
};

struct tentry {
    char *name;
    struct hub_topic_counts n;
};

hub_bus_counts *hub_bus_counts_new(void)
{
    hub_bus_counts *c = hub_calloc(1, sizeof(*c));

    if (!c) return NULL;
    /* names come from configs and API callers: keyed hashing is not needed against them, but the
     * map wants a seed */
    hub_map_init(&c->queues, 0x71756575ull, (uint64_t)(uintptr_t)c);
    hub_map_init(&c->topics, 0x746f7069ull, (uint64_t)(uintptr_t)c);
    return c;
}

static void map_free(struct hub_map *m)
{
    size_t pos = 0;
    void *v;

    /* qentry and tentry both start with the name */
    while (hub_map_next(m, &pos, NULL, NULL, &v)) {
        hub_free(*(char **)v);
        hub_free(v);
    }
    hub_map_clear(m);
}

void hub_bus_counts_free(hub_bus_counts *c)
{
    if (!c) return;
    map_free(&c->queues);
    map_free(&c->topics);
    hub_free(c);
}

const struct hub_queue_counts *hub_bus_counts_queue(const hub_bus_counts *c, const char *name)
{
    const struct qentry *e = name ? hub_map_get(&c->queues, name, strlen(name)) : NULL;
    return e ? &e->n : NULL;
}

const struct hub_topic_counts *hub_bus_counts_topic(const hub_bus_counts *c, const char *name)
{
    const struct tentry *e = name ? hub_map_get(&c->topics, name, strlen(name)) : NULL;
    return e ? &e->n : NULL;
}

/* The entry of name in m, created (size bytes, name first) when missing; NULL when out of memory.
 * Counting is best effort: a failure loses a count, never an operation. */
static void *entry(struct hub_map *m, const char *name, size_t size)
{
    size_t len = strlen(name);
    void *e = hub_map_get(m, name, len);
    char *copy;

    if (e) return e;
    if (!(e = hub_calloc(1, size))) return NULL;
    if (!(copy = hub_strndup(name, len)) || hub_map_put(m, copy, len, e) != 0) {
        hub_free(copy);
        hub_free(e);
        return NULL;
    }
    *(char **)e = copy;
    return e;
}

static void entry_drop(struct hub_map *m, const char *name)
{
    void *e = hub_map_del(m, name, strlen(name));

    if (e) {
        hub_free(*(char **)e);
        hub_free(e);
    }
}

static struct hub_queue_counts *queue_counts(hub_bus_counts *c, const char *name)
{
    struct qentry *e = entry(&c->queues, name, sizeof(struct qentry));
    return e ? &e->n : NULL;
}

static struct hub_topic_counts *topic_counts(hub_bus_counts *c, const char *name)
{
    struct tentry *e = entry(&c->topics, name, sizeof(struct tentry));
    return e ? &e->n : NULL;
}

/* ---- queues ---- */

struct qwrap {
    const struct hub_queue_store_ops *ops;
    void *self;
    hub_bus_counts *c;
};

struct qcall {
    hub_bus_counts *c;
    char name[HUB_BUS_NAME_MAX + 1];
    union {
        hub_send_cb send;
        hub_receive_cb receive;
        hub_batch_cb batch;
        hub_bus_done_cb done;
    } cb;
    void *ud;
};

static struct qcall *qcall_new(struct qwrap *w, const char *name, void *ud)
{
    struct qcall *k;

    if (!name || strlen(name) > HUB_BUS_NAME_MAX || !(k = hub_calloc(1, sizeof(*k)))) return NULL;
    k->c = w->c;
    strcpy(k->name, name);
    k->ud = ud;
    return k;
}

#define QW(self) ((struct qwrap *)(self))
/* A hook the real store may lack: the bus answers HUB_EUNSUPPORTED for a NULL hook, and so do we.
 */
#define QCALL(w, hook, ...)                                                                        \
    ((w)->ops->hook ? (w)->ops->hook((w)->self, __VA_ARGS__) : HUB_EUNSUPPORTED)

static void q_destroy(void *self)
{
    struct qwrap *w = self;

    w->ops->destroy(w->self);
    hub_free(w);
}

static int q_create(void *self, const char *name, const struct hub_queue_config *cfg, json_t *tags,
                    hub_queue_info_cb cb, void *ud)
{
    return QCALL(QW(self), create, name, cfg, tags, cb, ud);
}

static int q_get(void *self, const char *name, hub_queue_info_cb cb, void *ud)
{
    return QCALL(QW(self), get, name, cb, ud);
}

static int q_set(void *self, const char *name, const struct hub_queue_config *cfg,
                 hub_bus_done_cb cb, void *ud)
{
    return QCALL(QW(self), set, name, cfg, cb, ud);
}

static void on_q_removed(void *ud, int err)
{
    struct qcall k = *(struct qcall *)ud;

    hub_free(ud);
    if (err == 0) entry_drop(&k.c->queues, k.name);
    k.cb.done(k.ud, err);
}

static int q_remove(void *self, const char *name, hub_bus_done_cb cb, void *ud)
{
    struct qwrap *w = self;
    struct qcall *k = qcall_new(w, name, ud);
    int rc;

    if (!k) return QCALL(w, remove, name, cb, ud);
    k->cb.done = cb;
    if ((rc = QCALL(w, remove, name, on_q_removed, k)) != 0) hub_free(k);
    return rc;
}

static int q_list(void *self, const char *prefix, hub_bus_names_cb cb, void *ud)
{
    return QCALL(QW(self), list, prefix, cb, ud);
}

static int q_tag(void *self, const char *name, json_t *tags, hub_bus_done_cb cb, void *ud)
{
    return QCALL(QW(self), tag, name, tags, cb, ud);
}

static int q_untag(void *self, const char *name, const char *const *keys, size_t n,
                   hub_bus_done_cb cb, void *ud)
{
    return QCALL(QW(self), untag, name, keys, n, cb, ud);
}

static void on_q_sent(void *ud, int err, const struct hub_send_result *results, size_t n)
{
    struct qcall k = *(struct qcall *)ud;
    struct hub_queue_counts *qc;

    hub_free(ud);
    if (err == 0 && (qc = queue_counts(k.c, k.name)))
        for (size_t i = 0; i < n; i++)
            if (results[i].err == 0 && !results[i].duplicate) qc->sent++;
    k.cb.send(k.ud, err, results, n);
}

static int q_send(void *self, const char *queue, const struct hub_send_entry *entries, size_t n,
                  hub_send_cb cb, void *ud)
{
    struct qwrap *w = self;
    struct qcall *k = qcall_new(w, queue, ud);
    int rc;

    if (!k) return QCALL(w, send, queue, entries, n, cb, ud);
    k->cb.send = cb;
    if ((rc = QCALL(w, send, queue, entries, n, on_q_sent, k)) != 0) hub_free(k);
    return rc;
}

static void on_q_received(void *ud, int err, const struct hub_message *msgs, size_t n)
{
    struct qcall k = *(struct qcall *)ud;
    struct hub_queue_counts *qc;

    hub_free(ud);
    if (err == 0 && n && (qc = queue_counts(k.c, k.name))) {
        qc->received += n;
        for (size_t i = 0; i < n; i++)
            if (msgs[i].receive_count > 1) qc->redelivered++;
    }
    k.cb.receive(k.ud, err, msgs, n);
}

static int q_receive(void *self, const char *queue, const struct hub_receive_opts *opts,
                     hub_receive_cb cb, void *ud, uint64_t *ticket)
{
    struct qwrap *w = self;
    struct qcall *k = qcall_new(w, queue, ud);
    int rc;

    if (!k) return QCALL(w, receive, queue, opts, cb, ud, ticket);
    k->cb.receive = cb;
    if ((rc = QCALL(w, receive, queue, opts, on_q_received, k, ticket)) != 0) hub_free(k);
    return rc;
}

static int q_receive_cancel(void *self, uint64_t ticket)
{
    struct qwrap *w = self;
    return w->ops->receive_cancel ? w->ops->receive_cancel(w->self, ticket) : HUB_EUNSUPPORTED;
}

static void on_q_deleted(void *ud, int err, const struct hub_batch_result *results, size_t n)
{
    struct qcall k = *(struct qcall *)ud;
    struct hub_queue_counts *qc;

    hub_free(ud);
    if (err == 0 && (qc = queue_counts(k.c, k.name)))
        for (size_t i = 0; i < n; i++)
            if (results[i].err == 0) qc->deleted++;
    k.cb.batch(k.ud, err, results, n);
}

static int q_delete_batch(void *self, const char *queue, const struct hub_receipt_entry *entries,
                          size_t n, hub_batch_cb cb, void *ud)
{
    struct qwrap *w = self;
    struct qcall *k = qcall_new(w, queue, ud);
    int rc;

    if (!k) return QCALL(w, delete_batch, queue, entries, n, cb, ud);
    k->cb.batch = cb;
    if ((rc = QCALL(w, delete_batch, queue, entries, n, on_q_deleted, k)) != 0) hub_free(k);
    return rc;
}

static int q_change_visibility(void *self, const char *queue,
                               const struct hub_receipt_entry *entries, size_t n, hub_batch_cb cb,
                               void *ud)
{
    return QCALL(QW(self), change_visibility, queue, entries, n, cb, ud);
}

static void on_q_purged(void *ud, int err)
{
    struct qcall k = *(struct qcall *)ud;
    struct hub_queue_counts *qc;

    hub_free(ud);
    if (err == 0 && (qc = queue_counts(k.c, k.name))) qc->purges++;
    k.cb.done(k.ud, err);
}

static int q_purge(void *self, const char *queue, hub_bus_done_cb cb, void *ud)
{
    struct qwrap *w = self;
    struct qcall *k = qcall_new(w, queue, ud);
    int rc;

    if (!k) return QCALL(w, purge, queue, cb, ud);
    k->cb.done = cb;
    if ((rc = QCALL(w, purge, queue, on_q_purged, k)) != 0) hub_free(k);
    return rc;
}

static int q_dlq_sources(void *self, const char *dlq, hub_bus_names_cb cb, void *ud)
{
    return QCALL(QW(self), dlq_sources, dlq, cb, ud);
}

static int q_move_start(void *self, const char *source, const char *destination,
                        uint32_t max_per_second, hub_move_cb cb, void *ud)
{
    return QCALL(QW(self), move_start, source, destination, max_per_second, cb, ud);
}

static int q_move_list(void *self, const char *source, hub_move_list_cb cb, void *ud)
{
    return QCALL(QW(self), move_list, source, cb, ud);
}

static int q_move_cancel(void *self, const char *handle, hub_move_cb cb, void *ud)
{
    return QCALL(QW(self), move_cancel, handle, cb, ud);
}

static const struct hub_queue_store_ops counting_queue_ops = {
    .destroy = q_destroy,
    .create = q_create,
    .get = q_get,
    .set = q_set,
    .remove = q_remove,
    .list = q_list,
    .tag = q_tag,
    .untag = q_untag,
    .send = q_send,
    .receive = q_receive,
    .receive_cancel = q_receive_cancel,
    .delete_batch = q_delete_batch,
    .change_visibility = q_change_visibility,
    .purge = q_purge,
    .dlq_sources = q_dlq_sources,
    .move_start = q_move_start,
    .move_list = q_move_list,
    .move_cancel = q_move_cancel,
};

/* ---- topics ---- */

struct twrap {
    const struct hub_topic_store_ops *ops;
    void *self;
    hub_bus_counts *c;
};

struct tcall {
    hub_bus_counts *c;
    char name[HUB_BUS_TOPIC_NAME_MAX + 1];
    union {
        hub_topic_publish_cb publish;
        hub_bus_done_cb done;
    } cb;
    void *ud;
};

static struct tcall *tcall_new(struct twrap *w, const char *name, void *ud)
{
    struct tcall *k;

    if (!name || strlen(name) > HUB_BUS_TOPIC_NAME_MAX || !(k = hub_calloc(1, sizeof(*k))))
        return NULL;
    k->c = w->c;
    strcpy(k->name, name);
    k->ud = ud;
    return k;
}

#define TW(self) ((struct twrap *)(self))

static void t_destroy(void *self)
{
    struct twrap *w = self;

    w->ops->destroy(w->self);
    hub_free(w);
}

static int t_create(void *self, const char *name, const struct hub_topic_config *cfg, json_t *tags,
                    hub_topic_info_cb cb, void *ud)
{
    return QCALL(TW(self), create, name, cfg, tags, cb, ud);
}

static int t_get(void *self, const char *name, hub_topic_info_cb cb, void *ud)
{
    return QCALL(TW(self), get, name, cb, ud);
}

static int t_set(void *self, const char *name, const struct hub_topic_config *cfg,
                 hub_bus_done_cb cb, void *ud)
{
    return QCALL(TW(self), set, name, cfg, cb, ud);
}

static void on_t_removed(void *ud, int err)
{
    struct tcall k = *(struct tcall *)ud;

    hub_free(ud);
    if (err == 0) entry_drop(&k.c->topics, k.name);
    k.cb.done(k.ud, err);
}

static int t_remove(void *self, const char *name, hub_bus_done_cb cb, void *ud)
{
    struct twrap *w = self;
    struct tcall *k = tcall_new(w, name, ud);
    int rc;

    if (!k) return QCALL(w, remove, name, cb, ud);
    k->cb.done = cb;
    if ((rc = QCALL(w, remove, name, on_t_removed, k)) != 0) hub_free(k);
    return rc;
}

static int t_list(void *self, hub_bus_names_cb cb, void *ud)
{
    struct twrap *w = self;
    return w->ops->list ? w->ops->list(w->self, cb, ud) : HUB_EUNSUPPORTED;
}

static int t_tag(void *self, const char *name, json_t *tags, hub_bus_done_cb cb, void *ud)
{
    return QCALL(TW(self), tag, name, tags, cb, ud);
}

static int t_untag(void *self, const char *name, const char *const *keys, size_t n,
                   hub_bus_done_cb cb, void *ud)
{
    return QCALL(TW(self), untag, name, keys, n, cb, ud);
}

static int t_subscribe(void *self, const char *topic, const char *protocol, const char *endpoint,
                       const struct hub_sub_config *cfg, hub_sub_cb cb, void *ud)
{
    return QCALL(TW(self), subscribe, topic, protocol, endpoint, cfg, cb, ud);
}

static int t_confirm(void *self, const char *topic, const char *token, hub_sub_cb cb, void *ud)
{
    return QCALL(TW(self), confirm, topic, token, cb, ud);
}

static int t_unsubscribe(void *self, const char *sub_id, hub_bus_done_cb cb, void *ud)
{
    return QCALL(TW(self), unsubscribe, sub_id, cb, ud);
}

static int t_sub_get(void *self, const char *sub_id, hub_sub_cb cb, void *ud)
{
    return QCALL(TW(self), sub_get, sub_id, cb, ud);
}

static int t_sub_set(void *self, const char *sub_id, const struct hub_sub_config *cfg,
                     hub_bus_done_cb cb, void *ud)
{
    return QCALL(TW(self), sub_set, sub_id, cfg, cb, ud);
}

static int t_sub_list(void *self, const char *topic, hub_sub_list_cb cb, void *ud)
{
    return QCALL(TW(self), sub_list, topic, cb, ud);
}

static void on_t_published(void *ud, int err, const struct hub_publish_result *results, size_t n,
                           const struct hub_subscription *subs, size_t nsubs,
                           const char *signature_version)
{
    struct tcall k = *(struct tcall *)ud;
    struct hub_topic_counts *tc;

    hub_free(ud);
    if (err == 0 && (tc = topic_counts(k.c, k.name))) {
        for (size_t i = 0; i < n; i++) {
            if (results[i].err == 0 && !results[i].duplicate) {
                tc->published++;
                tc->deliveries += nsubs;
            }
        }
    }
    k.cb.publish(k.ud, err, results, n, subs, nsubs, signature_version);
}

static int t_publish(void *self, const char *topic, const struct hub_publish_entry *entries,
                     size_t n, hub_topic_publish_cb cb, void *ud)
{
    struct twrap *w = self;
    struct tcall *k = tcall_new(w, topic, ud);
    int rc;

    if (!k) return QCALL(w, publish, topic, entries, n, cb, ud);
    k->cb.publish = cb;
    if ((rc = QCALL(w, publish, topic, entries, n, on_t_published, k)) != 0) hub_free(k);
    return rc;
}

static const struct hub_topic_store_ops counting_topic_ops = {
    .destroy = t_destroy,
    .create = t_create,
    .get = t_get,
    .set = t_set,
    .remove = t_remove,
    .list = t_list,
    .tag = t_tag,
    .untag = t_untag,
    .subscribe = t_subscribe,
    .confirm = t_confirm,
    .unsubscribe = t_unsubscribe,
    .sub_get = t_sub_get,
    .sub_set = t_sub_set,
    .sub_list = t_sub_list,
    .publish = t_publish,
};

hub_bus *hub_bus_new_counted(uv_loop_t *loop, const struct hub_queue_store_ops *qops, void *qstore,
                             const struct hub_topic_store_ops *tops, void *tstore,
                             const struct hub_bus_options *opts, hub_bus_counts *counts)
{
    struct qwrap *qw;
    struct twrap *tw;
    hub_bus *bus;

    if (!qops || !tops || !counts) return NULL;
    qw = hub_calloc(1, sizeof(*qw));
    tw = hub_calloc(1, sizeof(*tw));
    if (!qw || !tw) goto fail;
    *qw = (struct qwrap){.ops = qops, .self = qstore, .c = counts};
    *tw = (struct twrap){.ops = tops, .self = tstore, .c = counts};
    bus = hub_bus_new(loop, &counting_queue_ops, qw, &counting_topic_ops, tw, opts);
    if (!bus) goto fail;
    return bus;
fail:
    hub_free(qw);
    hub_free(tw);
    return NULL;
}
