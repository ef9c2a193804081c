/* queue_store.c - the in-memory queue store (struct hub_queue_store_ops).
 *
 * State per store: queues by name (hub_map), one binary min-heap of deadlines shared by every queue
 * and one uv_timer armed for its earliest entry, a list of pending callbacks drained by a uv_idle
 * handle (callbacks never run inside the call), and a "dirty" list of queues whose long polls may
 * now be served.
 *
 * Per queue: messages by id (hub_map); a standard queue keeps its visible messages in a list in the
 * order they became visible; a FIFO queue keeps each message group's messages in sequence order and
 * a list of "ready" groups (nothing in flight, first message visible), which is all a receive looks
 * at. A message is in one state - delayed, visible or in flight - and owns two heap nodes: the end
 * of its state (delay or visibility timeout) and its retention deadline. FIFO de-duplication ids
 * live in a map plus a list in expiry order (the window is constant, so expiry order is insertion
 * order).
 *
 * Operations apply at once and defer only their callbacks; results are copied (message payloads are
 * shared by reference count) so later operations cannot change what a callback sees. Deadlines use
 * the loop's monotonic clock; timestamps reported are wall-clock milliseconds. */
#include "memory.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hub_alloc.h"
#include "map.h"
#include "deadline_heap.h"
#include "random.h"

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))
#define MOVE_CHUNK 1000 /* messages a rate-less move task moves per loop iteration */
#define MOVE_TASKS_KEPT 10

enum { M_DELAYED, M_VISIBLE, M_INFLIGHT };
enum { T_STATE, T_EXPIRE, T_WAITER, T_TASK };

/* The immutable part of a message, shared with pending callbacks. */
struct payload {
    size_t refs;
    size_t len;
    json_t *attrs, *sysattrs;
    char *group, *dedup, *sender;
    char body[];
};

struct queue;
struct group;

struct msg {
    struct queue *q;
    char id[HUB_BUS_UUID_LEN + 1];
    struct payload *p;
    int state;
    struct hub_dnode st;         /* end of the delay or of the visibility timeout */
    struct hub_dnode ex;         /* retention */
    struct msg *prev, *next; /* standard queue: the visible list */
    struct group *g;         /* FIFO queue: the group and its list */
    struct msg *gprev, *gnext;
    uint64_t seq;
    uint64_t receive_no; /* the current receipt */
    uint32_t receive_count;
    uint64_t sent_ms, first_ms;
    char dlq_source[HUB_BUS_NAME_MAX + 1];
};

struct group {
    char *id;
    size_t idlen;
    struct msg *head, *tail;
    uint32_t inflight;
    int ready;
    struct group *rprev, *rnext;
};

struct drec {
    struct drec *next;
    uint64_t expires;
    char msg_id[HUB_BUS_UUID_LEN + 1];
    uint64_t seq;
    size_t keylen;
    char key[];
};

struct done;
struct waiter;

struct queue {
    char name[HUB_BUS_NAME_MAX + 1];
    uint64_t incarnation;
    struct hub_queue_config cfg; /* cfg.extra and tags are replaced, never changed in place */
    json_t *tags;
    uint64_t created_ms, modified_ms;
    uint64_t visible, inflight, delayed;
    struct hub_map msgs;
    struct msg *vhead, *vtail;
    struct hub_map groups;
    struct group *rhead, *rtail;
    struct hub_map dedup;
    struct drec *dhead, *dtail;
    uint64_t seq, receive_no;
    struct waiter *whead, *wtail;
    uint64_t last_purge;
    int purged;
    int dirty;
    struct queue *dirty_next;
};

/* A pending callback. */
struct done {
    struct done *next;
    void (*run)(struct done *d);
};

struct snap {
    struct payload *p;
    char id[HUB_BUS_UUID_LEN + 1];
    char handle[HUB_RECEIPT_HANDLE_LEN + 1];
    char dlq_source[HUB_BUS_NAME_MAX + 1];
    uint64_t sent, first, seq;
    uint32_t count;
};

struct done_recv {
    struct done base;
    hub_receive_cb cb;
    void *ud;
    int err;
    size_t n;
    struct snap s[HUB_BUS_BATCH_MAX];
};

struct waiter {
    struct queue *q;
    struct waiter *prev, *next;
    struct hub_dnode t;
    uint64_t ticket;
    uint32_t max;
    uint64_t vis;
    struct done_recv *d;
};

struct task {
    struct task *next; /* newest first */
    char handle[HUB_BUS_UUID_LEN + 1];
    char source[HUB_BUS_NAME_MAX + 1];
    char dest[HUB_BUS_NAME_MAX + 1];
    enum hub_move_status status;
    const char *failure;
    uint64_t moved, to_move;
    uint32_t rate;
    uint64_t started_ms;
    struct hub_dnode t;
};

struct mq {
    uv_loop_t *loop;
    uv_timer_t timer;
    uv_idle_t idle;
    int closing, open_handles;
    struct hub_memory_options opt;
    uint64_t k0, k1;
    struct hub_dheap heap;
    size_t slots; /* heap nodes that may exist at once: the heap's capacity never falls below */
    uint64_t armed;
    struct hub_map queues;
    struct hub_map waiters; /* ticket -> waiter */
    uint64_t next_ticket;
    size_t nwaiters, nrunning;
    struct task *tasks;
    struct done *phead, **ptail;
    struct queue *dirty;
};

/* ---- heap ---- */

static int slots_reserve(struct mq *s, size_t more)
{
    size_t need = s->slots + more;
    int rc = hub_dheap_reserve(&s->heap, need);
    if (rc) return rc;
    s->slots = need;
    return 0;
}

/* ---- time, deferral, the timer ---- */

static uint64_t mono(struct mq *s)
{
    uv_update_time(s->loop);
    return uv_now(s->loop);
}

static void on_idle(uv_idle_t *h)
{
    struct mq *s = h->data;
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

static void defer(struct mq *s, struct done *d)
{
    d->next = NULL;
    *s->ptail = d;
    s->ptail = &d->next;
    if (!s->closing && !uv_is_active((uv_handle_t *)&s->idle)) uv_idle_start(&s->idle, on_idle);
}

static void on_timer(uv_timer_t *t);

static void arm(struct mq *s)
{
    if (s->closing) return;
    if (!s->heap.n) {
        uv_timer_stop(&s->timer);
        s->armed = UINT64_MAX;
    } else {
        uint64_t at = s->heap.v[0]->at, now = uv_now(s->loop);
        if (at != s->armed || !uv_is_active((uv_handle_t *)&s->timer)) {
            uv_timer_start(&s->timer, on_timer, at > now ? at - now : 0, 0);
            s->armed = at;
        }
    }
    if (s->nwaiters || s->nrunning)
        uv_ref((uv_handle_t *)&s->timer);
    else
        uv_unref((uv_handle_t *)&s->timer);
}

/* ---- payloads and messages ---- */

static void payload_unref(struct payload *p)
{
    if (!p || --p->refs) return;
    json_decref(p->attrs);
    json_decref(p->sysattrs);
    hub_free(p->group);
    hub_free(p->dedup);
    hub_free(p->sender);
    hub_free(p);
}

static struct payload *payload_new(const struct hub_send_entry *e, const char *dedup)
{
    struct payload *p = hub_malloc(sizeof *p + e->body_len + 1);
    if (!p) return NULL;
    memset(p, 0, sizeof *p);
    p->refs = 1;
    p->len = e->body_len;
    memcpy(p->body, e->body, e->body_len);
    p->body[e->body_len] = '\0';
    if ((json_is_object(e->attributes) && json_object_size(e->attributes) &&
         !(p->attrs = json_deep_copy(e->attributes))) ||
        (json_is_object(e->system_attributes) && json_object_size(e->system_attributes) &&
         !(p->sysattrs = json_deep_copy(e->system_attributes))) ||
        (e->group_id && !(p->group = hub_strdup(e->group_id))) ||
        (dedup && !(p->dedup = hub_strdup(dedup))) ||
        (e->sender_id && !(p->sender = hub_strdup(e->sender_id)))) {
        payload_unref(p);
        return NULL;
    }
    return p;
}

static void mark_dirty(struct mq *s, struct queue *q)
{
    if (q->dirty || !q->whead) return;
    q->dirty = 1;
    q->dirty_next = s->dirty;
    s->dirty = q;
}

static void group_free(struct queue *q, struct group *g)
{
    if (g->ready) {
        if (g->rprev)
            g->rprev->rnext = g->rnext;
        else
            q->rhead = g->rnext;
        if (g->rnext)
            g->rnext->rprev = g->rprev;
        else
            q->rtail = g->rprev;
    }
    hub_map_del(&q->groups, g->id, g->idlen);
    hub_free(g->id);
    hub_free(g);
}

/* Puts g on the ready list or takes it off: ready means nothing in flight and the first message
 * visible, so the group's order is kept. */
static void group_update(struct mq *s, struct queue *q, struct group *g)
{
    int ready = g->inflight == 0 && g->head && g->head->state == M_VISIBLE;
    if (ready == g->ready) return;
    if (ready) {
        g->rprev = q->rtail;
        g->rnext = NULL;
        if (q->rtail)
            q->rtail->rnext = g;
        else
            q->rhead = g;
        q->rtail = g;
        mark_dirty(s, q);
    } else {
        if (g->rprev)
            g->rprev->rnext = g->rnext;
        else
            q->rhead = g->rnext;
        if (g->rnext)
            g->rnext->rprev = g->rprev;
        else
            q->rtail = g->rprev;
    }
    g->ready = ready;
}

static struct group *group_get(struct queue *q, const char *id, int *created)
{
    size_t len = strlen(id);
    struct group *g = hub_map_get(&q->groups, id, len);
    *created = 0;
    if (g) return g;
    g = hub_calloc(1, sizeof *g);
    if (!g || !(g->id = hub_strndup(id, len)) || hub_map_put(&q->groups, g->id, len, g) != 0) {
        if (g) hub_free(g->id);
        hub_free(g);
        return NULL;
    }
    g->idlen = len;
    *created = 1;
    return g;
}

static void vlist_append(struct queue *q, struct msg *m)
{
    m->next = NULL;
    m->prev = q->vtail;
    if (q->vtail)
        q->vtail->next = m;
    else
        q->vhead = m;
    q->vtail = m;
}

static void vlist_unlink(struct queue *q, struct msg *m)
{
    if (m->prev)
        m->prev->next = m->next;
    else
        q->vhead = m->next;
    if (m->next)
        m->next->prev = m->prev;
    else
        q->vtail = m->prev;
    m->prev = m->next = NULL;
}

/* Links m (already in q->msgs; g prepared for a FIFO queue) into q's structures. */
static void msg_link(struct mq *s, struct queue *q, struct msg *m, struct group *g, uint64_t now,
                     uint64_t delay, uint64_t expire_at)
{
    m->q = q;
    m->seq = ++q->seq;
    m->g = g;
    if (g) {
        m->gnext = NULL;
        m->gprev = g->tail;
        if (g->tail)
            g->tail->gnext = m;
        else
            g->head = m;
        g->tail = m;
    }
    if (delay) {
        m->state = M_DELAYED;
        q->delayed++;
        m->st.at = now + delay;
        hub_dheap_push(&s->heap, &m->st);
    } else {
        m->state = M_VISIBLE;
        q->visible++;
        if (!g) vlist_append(q, m);
    }
    m->ex.at = expire_at;
    hub_dheap_push(&s->heap, &m->ex);
    if (g)
        group_update(s, q, g);
    else if (!delay)
        mark_dirty(s, q);
}

/* Takes m out of its queue (every structure, heap nodes included) without freeing it. */
static void msg_unlink(struct mq *s, struct msg *m)
{
    struct queue *q = m->q;
    struct group *g = m->g;
    switch (m->state) {
    case M_DELAYED:
        q->delayed--;
        break;
    case M_VISIBLE:
        q->visible--;
        if (!g) vlist_unlink(q, m);
        break;
    case M_INFLIGHT:
        q->inflight--;
        if (g) g->inflight--;
        break;
    }
    hub_dheap_remove(&s->heap, &m->st);
    hub_dheap_remove(&s->heap, &m->ex);
    hub_map_del(&q->msgs, m->id, HUB_BUS_UUID_LEN);
    if (g) {
        if (m->gprev)
            m->gprev->gnext = m->gnext;
        else
            g->head = m->gnext;
        if (m->gnext)
            m->gnext->gprev = m->gprev;
        else
            g->tail = m->gprev;
        m->gprev = m->gnext = NULL;
        m->g = NULL;
        if (!g->head)
            group_free(q, g);
        else
            group_update(s, q, g);
    }
    m->q = NULL;
}

static void msg_free(struct mq *s, struct msg *m)
{
    payload_unref(m->p);
    hub_free(m);
    s->slots -= 2;
}

static void msg_delete(struct mq *s, struct msg *m)
{
    msg_unlink(s, m);
    msg_free(s, m);
}

static void make_visible(struct mq *s, struct msg *m)
{
    struct queue *q = m->q;
    if (m->state == M_VISIBLE) return;
    if (m->state == M_DELAYED) {
        q->delayed--;
    } else {
        q->inflight--;
        if (m->g) m->g->inflight--;
    }
    hub_dheap_remove(&s->heap, &m->st);
    m->state = M_VISIBLE;
    q->visible++;
    if (m->g) {
        group_update(s, q, m->g);
    } else {
        vlist_append(q, m);
        mark_dirty(s, q);
    }
}

/* Moves m from its queue to dst (a dead-letter queue, or back in a redrive). Keeps the id; restarts
 * the receive count when reset. Standard queues keep the original retention deadline, FIFO queues
 * start a new one (as SQS). Returns 0 or HUB_ENOMEM/HUB_EEXISTS with m untouched. */
static int msg_move(struct mq *s, struct msg *m, struct queue *dst, int reset, uint64_t now)
{
    struct queue *src = m->q;
    struct group *g = NULL;
    int created = 0;
    if (dst->cfg.fifo && !(g = group_get(dst, m->p->group ? m->p->group : "", &created)))
        return HUB_ENOMEM;
    int rc = hub_map_put(&dst->msgs, m->id, HUB_BUS_UUID_LEN, m);
    if (rc) {
        if (created) group_free(dst, g);
        return rc;
    }
    uint64_t expire_at = dst->cfg.fifo ? now + dst->cfg.retention_ms : m->ex.at;
    msg_unlink(s, m);
    if (reset) {
        m->receive_count = 0;
        m->first_ms = 0;
        m->dlq_source[0] = '\0';
    } else {
        memcpy(m->dlq_source, src->name, sizeof m->dlq_source);
    }
    msg_link(s, dst, m, g, now, 0, expire_at);
    return 0;
}

/* ---- queues ---- */

static struct queue *queue_get(struct mq *s, const char *name)
{
    return name ? hub_map_get(&s->queues, name, strlen(name)) : NULL;
}

static void dedup_prune(struct queue *q, uint64_t now)
{
    while (q->dhead && q->dhead->expires <= now) {
        struct drec *r = q->dhead;
        q->dhead = r->next;
        if (!q->dhead) q->dtail = NULL;
        hub_map_del(&q->dedup, r->key, r->keylen);
        hub_free(r);
    }
}

static void waiter_finish(struct mq *s, struct waiter *w, int err);

static void queue_free(struct mq *s, struct queue *q)
{
    size_t pos = 0;
    void *v;
    while (q->whead)
        waiter_finish(s, q->whead, HUB_BUS_EQUEUE_DOES_NOT_EXIST);
    while (hub_map_next(&q->msgs, &pos, NULL, NULL, &v))
        msg_delete(s, v);
    while (q->dhead) {
        struct drec *r = q->dhead;
        q->dhead = r->next;
        hub_free(r);
    }
    if (q->dirty) {
        for (struct queue **pp = &s->dirty; *pp; pp = &(*pp)->dirty_next)
            if (*pp == q) {
                *pp = q->dirty_next;
                break;
            }
    }
    hub_map_clear(&q->msgs);
    hub_map_clear(&q->groups);
    hub_map_clear(&q->dedup);
    hub_queue_config_clear(&q->cfg);
    json_decref(q->tags);
    hub_free(q);
}

/* ---- receiving ---- */

static void snap_fill(struct snap *sn, struct queue *q, struct msg *m)
{
    sn->p = m->p;
    m->p->refs++;
    memcpy(sn->id, m->id, sizeof sn->id);
    hub_receipt_handle_encode(q->incarnation, m->id, m->receive_no, sn->handle);
    memcpy(sn->dlq_source, m->dlq_source, sizeof sn->dlq_source);
    sn->sent = m->sent_ms;
    sn->first = m->first_ms;
    sn->seq = q->cfg.fifo ? m->seq : 0;
    sn->count = m->receive_count;
}

static void deliver(struct mq *s, struct queue *q, struct msg *m, uint64_t now, uint64_t vis,
                    struct snap *sn)
{
    if (m->g) {
        m->g->inflight++;
    } else {
        vlist_unlink(q, m);
    }
    q->visible--;
    q->inflight++;
    m->state = M_INFLIGHT;
    m->receive_count++;
    if (!m->first_ms) m->first_ms = hub_bus_now_ms();
    m->receive_no = ++q->receive_no;
    m->st.at = now + vis;
    hub_dheap_push(&s->heap, &m->st);
    snap_fill(sn, q, m);
}

/* The dead-letter queue m must move to before this receive, or NULL. */
static struct queue *dlq_due(struct mq *s, struct queue *q, struct msg *m)
{
    if (!q->cfg.dlq[0] || m->receive_count < q->cfg.max_receive_count) return NULL;
    struct queue *d = queue_get(s, q->cfg.dlq);
    return d && d != q && d->cfg.fifo == q->cfg.fifo ? d : NULL;
}

static int queue_available(struct mq *s, struct queue *q)
{
    if (q->inflight >= s->opt.max_inflight) return 0;
    return q->cfg.fifo ? q->rhead != NULL : q->vhead != NULL;
}

/* Receives up to max visible messages of q into sn. */
static size_t take(struct mq *s, struct queue *q, uint32_t max, uint64_t vis, uint64_t now,
                   struct snap *sn)
{
    size_t n = 0;
    if (q->inflight >= s->opt.max_inflight) return 0;
    if (!q->cfg.fifo) {
        while (n < max && q->vhead && q->inflight < s->opt.max_inflight) {
            struct msg *m = q->vhead;
            struct queue *d = dlq_due(s, q, m);
            if (d && msg_move(s, m, d, 0, now) == 0) continue;
            deliver(s, q, m, now, vis, &sn[n++]);
        }
        return n;
    }
    while (n < max && q->rhead) {
        struct group *g = q->rhead;
        struct msg *m = g->head;
        int gone = 0;
        while (n < max && m && m->state == M_VISIBLE) {
            struct msg *next = m->gnext;
            struct queue *d = dlq_due(s, q, m);
            if (d) {
                int last = g->head == m && g->tail == m;
                if (msg_move(s, m, d, 0, now) == 0) {
                    if (last) {
                        gone = 1;
                        break;
                    }
                    m = next;
                    continue;
                }
            }
            deliver(s, q, m, now, vis, &sn[n++]);
            m = next;
        }
        if (!gone) group_update(s, q, g);
    }
    return n;
}

static void run_recv(struct done *base)
{
    struct done_recv *d = (struct done_recv *)base;
    struct hub_message m[HUB_BUS_BATCH_MAX];
    for (size_t i = 0; i < d->n; i++) {
        struct snap *sn = &d->s[i];
        m[i] = (struct hub_message){
            .message_id = sn->id,
            .receipt_handle = sn->handle,
            .body = sn->p->body,
            .body_len = sn->p->len,
            .attributes = sn->p->attrs,
            .system_attributes = sn->p->sysattrs,
            .sender_id = sn->p->sender,
            .sent_ms = sn->sent,
            .first_receive_ms = sn->first,
            .receive_count = sn->count,
            .group_id = sn->p->group,
            .dedup_id = sn->p->dedup,
            .sequence_number = sn->seq,
            .dead_letter_source = sn->dlq_source[0] ? sn->dlq_source : NULL,
        };
    }
    d->cb(d->ud, d->err, d->n ? m : NULL, d->n);
    for (size_t i = 0; i < d->n; i++)
        payload_unref(d->s[i].p);
    hub_free(d);
}

static void waiter_finish(struct mq *s, struct waiter *w, int err)
{
    struct queue *q = w->q;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->whead = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->wtail = w->prev;
    hub_dheap_remove(&s->heap, &w->t);
    hub_map_del(&s->waiters, (const char *)&w->ticket, sizeof w->ticket);
    s->nwaiters--;
    s->slots--;
    w->d->err = err;
    defer(s, &w->d->base);
    hub_free(w);
}

/* Serves the long polls of queues where messages became available. */
static void flush(struct mq *s)
{
    uint64_t now = uv_now(s->loop);
    while (s->dirty) {
        struct queue *q = s->dirty;
        s->dirty = q->dirty_next;
        q->dirty = 0;
        while (q->whead && queue_available(s, q)) {
            struct waiter *w = q->whead;
            size_t n = take(s, q, w->max, w->vis, now, w->d->s);
            if (!n && !queue_available(s, q)) break;
            if (!n) continue;
            w->d->n = n;
            waiter_finish(s, w, 0);
        }
    }
}

static void task_tick(struct mq *s, struct task *t, uint64_t now);

static void on_timer(uv_timer_t *h)
{
    struct mq *s = h->data;
    uint64_t now = uv_now(s->loop);
    s->armed = UINT64_MAX;
    while (s->heap.n && s->heap.v[0]->at <= now) {
        struct hub_dnode *n = s->heap.v[0];
        hub_dheap_remove(&s->heap, n);
        switch (n->kind) {
        case T_STATE:
            make_visible(s, container_of(n, struct msg, st));
            break;
        case T_EXPIRE:
            msg_delete(s, container_of(n, struct msg, ex));
            break;
        case T_WAITER:
            waiter_finish(s, container_of(n, struct waiter, t), 0);
            break;
        case T_TASK:
            task_tick(s, container_of(n, struct task, t), now);
            break;
        }
    }
    flush(s);
    arm(s);
}

/* ---- simple completions ---- */

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

static int answer(struct mq *s, hub_bus_done_cb cb, void *ud, int err)
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

struct done_info {
    struct done base;
    hub_queue_info_cb cb;
    void *ud;
    int err;
    char name[HUB_BUS_NAME_MAX + 1];
    struct hub_queue_config cfg;
    struct hub_queue_info info;
};

static void run_info(struct done *base)
{
    struct done_info *d = (struct done_info *)base;
    d->info.name = d->name;
    d->info.config = &d->cfg;
    d->cb(d->ud, d->err, d->err ? NULL : &d->info);
    hub_queue_config_clear(&d->cfg);
    json_decref(d->info.tags);
    hub_free(d);
}

static void info_fill(struct done_info *d, struct queue *q, int created)
{
    memcpy(d->name, q->name, sizeof d->name);
    d->cfg = q->cfg;
    json_incref(d->cfg.extra);
    d->info.created_ms = q->created_ms;
    d->info.modified_ms = q->modified_ms;
    d->info.visible = q->visible;
    d->info.inflight = q->inflight;
    d->info.delayed = q->delayed;
    d->info.tags = json_incref(q->tags);
    d->info.created = created;
}

struct done_names {
    struct done base;
    hub_bus_names_cb cb;
    void *ud;
    int err;
    size_t n;
    char **names;
};

static void names_free(struct done_names *d);

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

static void names_free(struct done_names *d)
{
    for (size_t i = 0; i < d->n; i++)
        hub_free(d->names[i]);
    hub_free(d->names);
    hub_free(d);
}

static void names_sort(struct done_names *d)
{
    if (d->n > 1) qsort(d->names, d->n, sizeof *d->names, cmp_str);
}

static int names_add(struct done_names *d, const char *name)
{
    char **v = hub_realloc(d->names, (d->n + 1) * sizeof *v);
    if (!v) return HUB_ENOMEM;
    d->names = v;
    if (!(v[d->n] = hub_strdup(name))) return HUB_ENOMEM;
    d->n++;
    return 0;
}

/* ---- queue operations ---- */

static int redrive_check(struct mq *s, const char *name, int fifo, const struct hub_queue_config *c)
{
    if (!(c->set & HUB_QCFG_REDRIVE) || !c->dlq[0]) return 0;
    struct queue *d = queue_get(s, c->dlq);
    if (!d || strcmp(c->dlq, name) == 0 || d->cfg.fifo != fifo || c->max_receive_count < 1)
        return HUB_BUS_EINVALID_PARAMETER_VALUE;
    return 0;
}

static int fifo_only_check(int fifo, const struct hub_queue_config *c)
{
    if (fifo) return 0;
    if (c->set & (HUB_QCFG_CONTENT_DEDUP | HUB_QCFG_DEDUP_SCOPE))
        return HUB_BUS_EINVALID_ATTRIBUTE_NAME;
    if ((c->set & HUB_QCFG_EXTRA) && json_object_get(c->extra, "FifoThroughputLimit"))
        return HUB_BUS_EINVALID_ATTRIBUTE_NAME;
    return 0;
}

static int config_differs(const struct hub_queue_config *a, const struct hub_queue_config *b)
{
    uint32_t set = a->set;
    if (((set & HUB_QCFG_FIFO) && a->fifo != b->fifo) ||
        ((set & HUB_QCFG_CONTENT_DEDUP) && a->content_dedup != b->content_dedup) ||
        ((set & HUB_QCFG_VISIBILITY) && a->visibility_ms != b->visibility_ms) ||
        ((set & HUB_QCFG_DELAY) && a->delay_ms != b->delay_ms) ||
        ((set & HUB_QCFG_RETENTION) && a->retention_ms != b->retention_ms) ||
        ((set & HUB_QCFG_MAX_SIZE) && a->max_message_size != b->max_message_size) ||
        ((set & HUB_QCFG_WAIT) && a->wait_ms != b->wait_ms) ||
        ((set & HUB_QCFG_REDRIVE) &&
         (strcmp(a->dlq, b->dlq) != 0 ||
          (a->dlq[0] && a->max_receive_count != b->max_receive_count))) ||
        ((set & HUB_QCFG_DEDUP_SCOPE) && a->dedup_scope_group != b->dedup_scope_group))
        return 1;
    if (set & HUB_QCFG_EXTRA) {
        const char *k;
        json_t *v;
        json_object_foreach(a->extra, k, v)
        {
            const char *mine = json_string_value(json_object_get(b->extra, k));
            if (strcmp(json_string_value(v), mine ? mine : "") != 0) return 1;
        }
    }
    return 0;
}

/* Applies the fields of c->set to q->cfg (extra merged: a "" value removes the key). */
static int config_apply(struct hub_queue_config *dst, const struct hub_queue_config *c)
{
    uint32_t set = c->set;
    if (set & HUB_QCFG_EXTRA) {
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
    if (set & HUB_QCFG_FIFO) dst->fifo = c->fifo;
    if (set & HUB_QCFG_CONTENT_DEDUP) dst->content_dedup = c->content_dedup;
    if (set & HUB_QCFG_VISIBILITY) dst->visibility_ms = c->visibility_ms;
    if (set & HUB_QCFG_DELAY) dst->delay_ms = c->delay_ms;
    if (set & HUB_QCFG_RETENTION) dst->retention_ms = c->retention_ms;
    if (set & HUB_QCFG_MAX_SIZE) dst->max_message_size = c->max_message_size;
    if (set & HUB_QCFG_WAIT) dst->wait_ms = c->wait_ms;
    if (set & HUB_QCFG_REDRIVE) {
        memcpy(dst->dlq, c->dlq, sizeof dst->dlq);
        dst->max_receive_count = c->dlq[0] ? c->max_receive_count : 0;
    }
    if (set & HUB_QCFG_DEDUP_SCOPE) dst->dedup_scope_group = c->dedup_scope_group;
    dst->set = 0;
    return 0;
}

static int mq_create(void *self, const char *name, const struct hub_queue_config *cfg, json_t *tags,
                     hub_queue_info_cb cb, void *ud)
{
    struct mq *s = self;
    if (!name || !cfg || !cb || strlen(name) > HUB_BUS_NAME_MAX) return HUB_EINVAL;
    struct done_info *d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_info;
    d->cb = cb;
    d->ud = ud;
    struct queue *q = queue_get(s, name);
    if (q) {
        if (config_differs(cfg, &q->cfg))
            d->err = HUB_BUS_EQUEUE_ALREADY_EXISTS;
        else
            info_fill(d, q, 0);
        defer(s, &d->base);
        return 0;
    }
    int fifo = cfg->fifo != 0;
    if ((d->err = fifo_only_check(fifo, cfg)) || (d->err = redrive_check(s, name, fifo, cfg))) {
        defer(s, &d->base);
        return 0;
    }
    q = hub_calloc(1, sizeof *q);
    if (!q) goto fail_nomem;
    snprintf(q->name, sizeof q->name, "%s", name);
    hub_queue_config_init(&q->cfg);
    if (config_apply(&q->cfg, cfg) || !(q->tags = tags ? json_copy(tags) : json_object()))
        goto fail_queue;
    q->cfg.fifo = fifo;
    hub_random_bytes(&q->incarnation, sizeof q->incarnation);
    q->created_ms = q->modified_ms = hub_bus_now_ms();
    hub_map_init(&q->msgs, s->k0, s->k1);
    hub_map_init(&q->groups, s->k0, s->k1);
    hub_map_init(&q->dedup, s->k0, s->k1);
    if (hub_map_put(&s->queues, q->name, strlen(q->name), q) != 0) goto fail_queue;
    info_fill(d, q, 1);
    defer(s, &d->base);
    return 0;
fail_queue:
    hub_queue_config_clear(&q->cfg);
    json_decref(q->tags);
    hub_free(q);
fail_nomem:
    hub_free(d);
    return HUB_ENOMEM;
}

static int mq_get(void *self, const char *name, hub_queue_info_cb cb, void *ud)
{
    struct mq *s = self;
    if (!name || !cb) return HUB_EINVAL;
    struct done_info *d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_info;
    d->cb = cb;
    d->ud = ud;
    struct queue *q = queue_get(s, name);
    if (q)
        info_fill(d, q, 0);
    else
        d->err = HUB_BUS_EQUEUE_DOES_NOT_EXIST;
    defer(s, &d->base);
    return 0;
}

static int mq_set(void *self, const char *name, const struct hub_queue_config *cfg,
                  hub_bus_done_cb cb, void *ud)
{
    struct mq *s = self;
    if (!name || !cfg || !cb) return HUB_EINVAL;
    struct queue *q = queue_get(s, name);
    if (!q) return answer(s, cb, ud, HUB_BUS_EQUEUE_DOES_NOT_EXIST);
    if (cfg->set & HUB_QCFG_FIFO) return answer(s, cb, ud, HUB_BUS_EINVALID_ATTRIBUTE_NAME);
    int err = fifo_only_check(q->cfg.fifo, cfg);
    if (!err) err = redrive_check(s, name, q->cfg.fifo, cfg);
    if (err) return answer(s, cb, ud, err);
    struct done_err *d = hub_malloc(sizeof *d);
    if (!d) return HUB_ENOMEM;
    if (config_apply(&q->cfg, cfg)) {
        hub_free(d);
        return HUB_ENOMEM;
    }
    q->modified_ms = hub_bus_now_ms();
    d->base.run = run_err;
    d->cb = cb;
    d->ud = ud;
    d->err = 0;
    defer(s, &d->base);
    return 0;
}

static int mq_remove(void *self, const char *name, hub_bus_done_cb cb, void *ud)
{
    struct mq *s = self;
    if (!name || !cb) return HUB_EINVAL;
    struct queue *q = queue_get(s, name);
    int rc = answer(s, cb, ud, q ? 0 : HUB_BUS_EQUEUE_DOES_NOT_EXIST);
    if (rc || !q) return rc;
    hub_map_del(&s->queues, q->name, strlen(q->name));
    queue_free(s, q);
    flush(s);
    arm(s);
    return 0;
}

static int mq_list(void *self, const char *prefix, hub_bus_names_cb cb, void *ud)
{
    struct mq *s = self;
    if (!cb) return HUB_EINVAL;
    struct done_names *d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_names;
    d->cb = cb;
    d->ud = ud;
    size_t plen = prefix ? strlen(prefix) : 0, pos = 0;
    const char *k;
    while (hub_map_next(&s->queues, &pos, &k, NULL, NULL)) {
        if (strncmp(k, prefix ? prefix : "", plen) == 0 && names_add(d, k)) {
            names_free(d);
            return HUB_ENOMEM;
        }
    }
    names_sort(d);
    defer(s, &d->base);
    return 0;
}

static int mq_tag(void *self, const char *name, json_t *tags, hub_bus_done_cb cb, void *ud)
{
    struct mq *s = self;
    if (!name || !json_is_object(tags) || !cb) return HUB_EINVAL;
    struct queue *q = queue_get(s, name);
    if (!q) return answer(s, cb, ud, HUB_BUS_EQUEUE_DOES_NOT_EXIST);
    json_t *t = json_copy(q->tags);
    if (!t || json_object_update(t, tags)) {
        json_decref(t);
        return HUB_ENOMEM;
    }
    int rc = answer(s, cb, ud, 0);
    if (rc) {
        json_decref(t);
        return rc;
    }
    json_decref(q->tags);
    q->tags = t;
    return 0;
}

static int mq_untag(void *self, const char *name, const char *const *keys, size_t n,
                    hub_bus_done_cb cb, void *ud)
{
    struct mq *s = self;
    if (!name || (n && !keys) || !cb) return HUB_EINVAL;
    struct queue *q = queue_get(s, name);
    if (!q) return answer(s, cb, ud, HUB_BUS_EQUEUE_DOES_NOT_EXIST);
    json_t *t = json_copy(q->tags);
    if (!t) return HUB_ENOMEM;
    for (size_t i = 0; i < n; i++)
        json_object_del(t, keys[i]);
    int rc = answer(s, cb, ud, 0);
    if (rc) {
        json_decref(t);
        return rc;
    }
    json_decref(q->tags);
    q->tags = t;
    return 0;
}

/* ---- messages ---- */

struct done_send {
    struct done base;
    hub_send_cb cb;
    void *ud;
    int err;
    size_t n;
    struct hub_send_result r[HUB_BUS_BATCH_MAX];
    char *ids[HUB_BUS_BATCH_MAX];
    char msg_ids[HUB_BUS_BATCH_MAX][HUB_BUS_UUID_LEN + 1];
};

static void run_send(struct done *base)
{
    struct done_send *d = (struct done_send *)base;
    d->cb(d->ud, d->err, d->err ? NULL : d->r, d->err ? 0 : d->n);
    for (size_t i = 0; i < d->n; i++)
        hub_free(d->ids[i]);
    hub_free(d);
}

/* Sends one entry to q; returns 0 or a HUB_BUS_E* code for the entry's result. */
static int send_one(struct mq *s, struct queue *q, const struct hub_send_entry *e, uint64_t now,
                    uint64_t epoch, struct hub_send_result *r, char *msg_id)
{
    const char *dedup = NULL;
    char hash[65], keybuf[300];
    size_t keylen = 0;
    struct group *g = NULL;
    int created = 0;
    if (hub_bus_message_size(e->body_len, e->attributes) > q->cfg.max_message_size)
        return HUB_BUS_EMESSAGE_TOO_LONG;
    if (q->cfg.fifo) {
        if (!e->group_id) return HUB_BUS_EMISSING_PARAMETER;
        if (e->delay_ms > 0) return HUB_BUS_EINVALID_PARAMETER_VALUE;
        if (e->dedup_id) {
            dedup = e->dedup_id;
        } else if (q->cfg.content_dedup) {
            hub_bus_sha256_hex(e->body, e->body_len, hash);
            dedup = hash;
        } else {
            return HUB_BUS_EINVALID_PARAMETER_VALUE;
        }
        keylen = (size_t)snprintf(keybuf, sizeof keybuf, "%s%c%s",
                                  q->cfg.dedup_scope_group ? e->group_id : "", 0x1f, dedup);
        struct drec *dr = hub_map_get(&q->dedup, keybuf, keylen);
        if (dr) {
            memcpy(msg_id, dr->msg_id, HUB_BUS_UUID_LEN + 1);
            r->message_id = msg_id;
            r->sequence_number = dr->seq;
            r->duplicate = 1;
            return 0;
        }
    } else if (e->dedup_id) {
        return HUB_BUS_EINVALID_PARAMETER_VALUE;
    }
    if (slots_reserve(s, 2)) return HUB_ENOMEM;
    struct msg *m = hub_calloc(1, sizeof *m);
    struct drec *dr = NULL;
    if (!m || !(m->p = payload_new(e, dedup)) ||
        (q->cfg.fifo && !(g = group_get(q, e->group_id, &created))))
        goto fail;
    if (q->cfg.fifo) {
        if (!(dr = hub_malloc(sizeof *dr + keylen + 1))) goto fail;
        dr->keylen = keylen;
        memcpy(dr->key, keybuf, keylen + 1);
        if (hub_map_put(&q->dedup, dr->key, keylen, dr)) goto fail;
    }
    m->st.kind = T_STATE;
    m->ex.kind = T_EXPIRE;
    m->st.idx = m->ex.idx = HUB_DHEAP_NONE;
    hub_bus_uuid(m->id);
    if (hub_map_put(&q->msgs, m->id, HUB_BUS_UUID_LEN, m)) {
        if (dr) hub_map_del(&q->dedup, dr->key, keylen);
        goto fail;
    }
    m->sent_ms = epoch;
    uint64_t delay = e->delay_ms >= 0 ? (uint64_t)e->delay_ms : q->cfg.delay_ms;
    msg_link(s, q, m, g, now, delay, now + q->cfg.retention_ms);
    if (dr) {
        dr->next = NULL;
        dr->expires = now + s->opt.dedup_window_ms;
        memcpy(dr->msg_id, m->id, sizeof dr->msg_id);
        dr->seq = m->seq;
        if (q->dtail)
            q->dtail->next = dr;
        else
            q->dhead = dr;
        q->dtail = dr;
    }
    memcpy(msg_id, m->id, HUB_BUS_UUID_LEN + 1);
    r->message_id = msg_id;
    r->sequence_number = q->cfg.fifo ? m->seq : 0;
    return 0;
fail:
    if (created) group_free(q, g);
    hub_free(dr);
    if (m) payload_unref(m->p);
    hub_free(m);
    s->slots -= 2;
    return HUB_ENOMEM;
}

static int mq_send(void *self, const char *name, const struct hub_send_entry *entries, size_t n,
                   hub_send_cb cb, void *ud)
{
    struct mq *s = self;
    if (!name || (n && !entries) || n > HUB_BUS_BATCH_MAX || !cb) return HUB_EINVAL;
    struct done_send *d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_send;
    d->cb = cb;
    d->ud = ud;
    d->n = n;
    for (size_t i = 0; i < n; i++) {
        if (entries[i].id && !(d->ids[i] = hub_strdup(entries[i].id))) {
            d->err = HUB_ENOMEM;
            d->base.run = NULL;
            for (size_t j = 0; j < i; j++)
                hub_free(d->ids[j]);
            hub_free(d);
            return HUB_ENOMEM;
        }
        d->r[i].id = d->ids[i];
    }
    struct queue *q = queue_get(s, name);
    if (!q) {
        d->err = HUB_BUS_EQUEUE_DOES_NOT_EXIST;
        defer(s, &d->base);
        return 0;
    }
    uint64_t now = mono(s), epoch = hub_bus_now_ms();
    dedup_prune(q, now);
    for (size_t i = 0; i < n; i++)
        d->r[i].err = send_one(s, q, &entries[i], now, epoch, &d->r[i], d->msg_ids[i]);
    defer(s, &d->base);
    flush(s);
    arm(s);
    return 0;
}

static int mq_receive(void *self, const char *name, const struct hub_receive_opts *opts,
                      hub_receive_cb cb, void *ud, uint64_t *ticket)
{
    struct mq *s = self;
    if (!name || !opts || !cb || opts->max_messages > HUB_BUS_BATCH_MAX) return HUB_EINVAL;
    struct done_recv *d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_recv;
    d->cb = cb;
    d->ud = ud;
    uint64_t tk = ++s->next_ticket;
    if (ticket) *ticket = tk;
    struct queue *q = queue_get(s, name);
    if (!q) {
        d->err = HUB_BUS_EQUEUE_DOES_NOT_EXIST;
        defer(s, &d->base);
        return 0;
    }
    uint32_t max = opts->max_messages ? opts->max_messages : 1;
    uint64_t vis = opts->visibility_ms >= 0 ? (uint64_t)opts->visibility_ms : q->cfg.visibility_ms;
    uint64_t wait = opts->wait_ms >= 0 ? (uint64_t)opts->wait_ms : q->cfg.wait_ms;
    uint64_t now = mono(s);
    if (!q->cfg.fifo && q->inflight >= s->opt.max_inflight) {
        d->err = HUB_BUS_EOVER_LIMIT;
        defer(s, &d->base);
        return 0;
    }
    struct waiter *w = NULL;
    if (wait) {
        w = hub_calloc(1, sizeof *w);
        if (!w || slots_reserve(s, 1)) {
            hub_free(w);
            hub_free(d);
            return HUB_ENOMEM;
        }
        w->ticket = tk;
        w->t.idx = HUB_DHEAP_NONE;
        if (hub_map_put(&s->waiters, (const char *)&w->ticket, sizeof w->ticket, w)) {
            s->slots--;
            hub_free(w);
            hub_free(d);
            return HUB_ENOMEM;
        }
    }
    d->n = take(s, q, max, vis, now, d->s);
    if (d->n || !w) {
        if (w) {
            hub_map_del(&s->waiters, (const char *)&w->ticket, sizeof w->ticket);
            s->slots--;
            hub_free(w);
        }
        defer(s, &d->base);
    } else {
        w->q = q;
        w->d = d;
        w->max = max;
        w->vis = vis;
        w->t.kind = T_WAITER;
        w->t.at = now + wait;
        hub_dheap_push(&s->heap, &w->t);
        w->prev = q->wtail;
        if (q->wtail)
            q->wtail->next = w;
        else
            q->whead = w;
        q->wtail = w;
        s->nwaiters++;
    }
    flush(s);
    arm(s);
    return 0;
}

static int mq_receive_cancel(void *self, uint64_t ticket)
{
    struct mq *s = self;
    struct waiter *w = hub_map_get(&s->waiters, (const char *)&ticket, sizeof ticket);
    if (!w) return HUB_ENOTFOUND;
    waiter_finish(s, w, HUB_ECLOSED);
    arm(s);
    return 0;
}

struct done_batch {
    struct done base;
    hub_batch_cb cb;
    void *ud;
    int err;
    size_t n;
    struct hub_batch_result r[HUB_BUS_BATCH_MAX];
    char *ids[HUB_BUS_BATCH_MAX];
};

static void run_batch(struct done *base)
{
    struct done_batch *d = (struct done_batch *)base;
    d->cb(d->ud, d->err, d->err ? NULL : d->r, d->err ? 0 : d->n);
    for (size_t i = 0; i < d->n; i++)
        hub_free(d->ids[i]);
    hub_free(d);
}

static struct done_batch *batch_new(const struct hub_receipt_entry *entries, size_t n,
                                    hub_batch_cb cb, void *ud)
{
    struct done_batch *d = hub_calloc(1, sizeof *d);
    if (!d) return NULL;
    d->base.run = run_batch;
    d->cb = cb;
    d->ud = ud;
    d->n = n;
    for (size_t i = 0; i < n; i++) {
        if (entries[i].id && !(d->ids[i] = hub_strdup(entries[i].id))) {
            for (size_t j = 0; j < i; j++)
                hub_free(d->ids[j]);
            hub_free(d);
            return NULL;
        }
        d->r[i].id = d->ids[i];
    }
    return d;
}

/* The message a receipt handle names in q, or NULL with *err set (0 when the message is gone). */
static struct msg *receipt_lookup(struct queue *q, const char *handle, int *err)
{
    char id[HUB_BUS_UUID_LEN + 1];
    uint64_t qid, rno;
    *err = HUB_BUS_ERECEIPT_HANDLE_IS_INVALID;
    if (hub_receipt_handle_decode(handle, &qid, id, &rno) != 0 || qid != q->incarnation ||
        rno == 0 || rno > q->receive_no)
        return NULL;
    struct msg *m = hub_map_get(&q->msgs, id, HUB_BUS_UUID_LEN);
    if (!m) {
        *err = 0;
        return NULL;
    }
    if (m->receive_no != rno) return NULL;
    *err = 0;
    return m;
}

static int mq_delete_batch(void *self, const char *name, const struct hub_receipt_entry *entries,
                           size_t n, hub_batch_cb cb, void *ud)
{
    struct mq *s = self;
    if (!name || (n && !entries) || n > HUB_BUS_BATCH_MAX || !cb) return HUB_EINVAL;
    struct done_batch *d = batch_new(entries, n, cb, ud);
    if (!d) return HUB_ENOMEM;
    struct queue *q = queue_get(s, name);
    if (!q) {
        d->err = HUB_BUS_EQUEUE_DOES_NOT_EXIST;
        defer(s, &d->base);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        struct msg *m = receipt_lookup(q, entries[i].receipt_handle, &d->r[i].err);
        if (m) msg_delete(s, m);
    }
    defer(s, &d->base);
    flush(s);
    arm(s);
    return 0;
}

static int mq_change_visibility(void *self, const char *name,
                                const struct hub_receipt_entry *entries, size_t n, hub_batch_cb cb,
                                void *ud)
{
    struct mq *s = self;
    if (!name || (n && !entries) || n > HUB_BUS_BATCH_MAX || !cb) return HUB_EINVAL;
    struct done_batch *d = batch_new(entries, n, cb, ud);
    if (!d) return HUB_ENOMEM;
    struct queue *q = queue_get(s, name);
    if (!q) {
        d->err = HUB_BUS_EQUEUE_DOES_NOT_EXIST;
        defer(s, &d->base);
        return 0;
    }
    uint64_t now = mono(s);
    for (size_t i = 0; i < n; i++) {
        const struct hub_receipt_entry *e = &entries[i];
        int err;
        struct msg *m = receipt_lookup(q, e->receipt_handle, &err);
        if (!m) {
            d->r[i].err = err ? err : HUB_BUS_ERECEIPT_HANDLE_IS_INVALID;
        } else if (m->state != M_INFLIGHT) {
            d->r[i].err = HUB_BUS_EMESSAGE_NOT_INFLIGHT;
        } else if (e->visibility_ms < 0 || (uint64_t)e->visibility_ms > HUB_BUS_VISIBILITY_MAX_MS) {
            d->r[i].err = HUB_BUS_EINVALID_PARAMETER_VALUE;
        } else if (e->visibility_ms == 0) {
            make_visible(s, m);
        } else {
            hub_dheap_remove(&s->heap, &m->st);
            m->st.at = now + (uint64_t)e->visibility_ms;
            hub_dheap_push(&s->heap, &m->st);
        }
    }
    defer(s, &d->base);
    flush(s);
    arm(s);
    return 0;
}

static int mq_purge(void *self, const char *name, hub_bus_done_cb cb, void *ud)
{
    struct mq *s = self;
    if (!name || !cb) return HUB_EINVAL;
    struct queue *q = queue_get(s, name);
    if (!q) return answer(s, cb, ud, HUB_BUS_EQUEUE_DOES_NOT_EXIST);
    uint64_t now = mono(s);
    if (q->purged && now - q->last_purge < s->opt.purge_interval_ms)
        return answer(s, cb, ud, HUB_BUS_EPURGE_QUEUE_IN_PROGRESS);
    int rc = answer(s, cb, ud, 0);
    if (rc) return rc;
    size_t pos = 0;
    void *v;
    while (hub_map_next(&q->msgs, &pos, NULL, NULL, &v))
        msg_delete(s, v);
    q->purged = 1;
    q->last_purge = now;
    arm(s);
    return 0;
}

static int mq_dlq_sources(void *self, const char *dlq, hub_bus_names_cb cb, void *ud)
{
    struct mq *s = self;
    if (!dlq || !cb) return HUB_EINVAL;
    struct done_names *d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_names;
    d->cb = cb;
    d->ud = ud;
    if (!queue_get(s, dlq)) {
        d->err = HUB_BUS_EQUEUE_DOES_NOT_EXIST;
    } else {
        size_t pos = 0;
        void *v;
        while (hub_map_next(&s->queues, &pos, NULL, NULL, &v)) {
            struct queue *q = v;
            if (strcmp(q->cfg.dlq, dlq) == 0 && names_add(d, q->name)) {
                names_free(d);
                return HUB_ENOMEM;
            }
        }
        names_sort(d);
    }
    defer(s, &d->base);
    return 0;
}

/* ---- message move tasks ---- */

struct task_snap {
    char handle[HUB_BUS_UUID_LEN + 1];
    char source[HUB_BUS_NAME_MAX + 1];
    char dest[HUB_BUS_NAME_MAX + 1];
    struct hub_move_task t;
};

struct done_move {
    struct done base;
    hub_move_cb cb;
    hub_move_list_cb list_cb;
    void *ud;
    int err;
    size_t n;
    struct task_snap t[MOVE_TASKS_KEPT];
};

static void task_snap_fill(struct task_snap *ts, const struct task *t)
{
    memcpy(ts->handle, t->handle, sizeof ts->handle);
    memcpy(ts->source, t->source, sizeof ts->source);
    memcpy(ts->dest, t->dest, sizeof ts->dest);
    ts->t = (struct hub_move_task){
        .status = t->status,
        .failure_reason = t->failure,
        .moved = t->moved,
        .to_move = t->to_move,
        .max_per_second = t->rate,
        .started_ms = t->started_ms,
    };
}

static void run_move(struct done *base)
{
    struct done_move *d = (struct done_move *)base;
    struct hub_move_task v[MOVE_TASKS_KEPT];
    for (size_t i = 0; i < d->n; i++) {
        v[i] = d->t[i].t;
        v[i].handle = d->t[i].handle;
        v[i].source = d->t[i].source;
        v[i].destination = d->t[i].dest[0] ? d->t[i].dest : NULL;
    }
    if (d->list_cb)
        d->list_cb(d->ud, d->err, d->err ? NULL : v, d->err ? 0 : d->n);
    else
        d->cb(d->ud, d->err, d->err || !d->n ? NULL : &v[0]);
    hub_free(d);
}

static struct msg *movable(struct queue *q)
{
    return q->cfg.fifo ? (q->rhead ? q->rhead->head : NULL) : q->vhead;
}

static void task_end(struct mq *s, struct task *t, enum hub_move_status status, const char *why)
{
    hub_dheap_remove(&s->heap, &t->t);
    if (t->status == HUB_MOVE_RUNNING) {
        s->nrunning--;
        s->slots--;
    }
    t->status = status;
    t->failure = why;
}

static void task_tick(struct mq *s, struct task *t, uint64_t now)
{
    struct queue *src = queue_get(s, t->source);
    if (t->status != HUB_MOVE_RUNNING) return;
    if (!src) {
        task_end(s, t, HUB_MOVE_FAILED, "QueueDoesNotExist");
        return;
    }
    for (uint32_t budget = t->rate ? t->rate : MOVE_CHUNK; budget && t->moved < t->to_move;
         budget--) {
        struct msg *m = movable(src);
        if (!m) break;
        struct queue *dst = queue_get(s, t->dest[0] ? t->dest : m->dlq_source);
        if (!dst) {
            task_end(s, t, HUB_MOVE_FAILED, "QueueDoesNotExist");
            return;
        }
        if (dst == src || dst->cfg.fifo != src->cfg.fifo) {
            task_end(s, t, HUB_MOVE_FAILED, "InvalidParameterValue");
            return;
        }
        if (msg_move(s, m, dst, 1, now) != 0) {
            task_end(s, t, HUB_MOVE_FAILED, "InternalFailure");
            return;
        }
        t->moved++;
    }
    if (t->moved >= t->to_move || !movable(src)) {
        task_end(s, t, HUB_MOVE_COMPLETED, NULL);
        return;
    }
    t->t.at = now + (t->rate ? 1000 : 0);
    hub_dheap_push(&s->heap, &t->t);
}

static int is_dlq(struct mq *s, const char *name)
{
    size_t pos = 0;
    void *v;
    while (hub_map_next(&s->queues, &pos, NULL, NULL, &v))
        if (strcmp(((struct queue *)v)->cfg.dlq, name) == 0) return 1;
    return 0;
}

static void tasks_prune(struct mq *s, const char *source)
{
    size_t kept = 0;
    for (struct task **pp = &s->tasks; *pp;) {
        struct task *t = *pp;
        if (strcmp(t->source, source) == 0 && ++kept > MOVE_TASKS_KEPT &&
            t->status != HUB_MOVE_RUNNING) {
            *pp = t->next;
            hub_free(t);
            continue;
        }
        pp = &t->next;
    }
}

static int mq_move_start(void *self, const char *source, const char *destination,
                         uint32_t max_per_second, hub_move_cb cb, void *ud)
{
    struct mq *s = self;
    if (!source || !cb) return HUB_EINVAL;
    struct done_move *d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_move;
    d->cb = cb;
    d->ud = ud;
    struct queue *src = queue_get(s, source);
    struct queue *dst = destination && *destination ? queue_get(s, destination) : NULL;
    if (!src || (destination && *destination && !dst)) {
        d->err = HUB_BUS_EQUEUE_DOES_NOT_EXIST;
    } else if (!is_dlq(s, source) || (dst && (dst == src || dst->cfg.fifo != src->cfg.fifo))) {
        d->err = HUB_BUS_EINVALID_PARAMETER_VALUE;
    } else {
        for (struct task *t = s->tasks; t; t = t->next)
            if (t->status == HUB_MOVE_RUNNING && strcmp(t->source, source) == 0)
                d->err = HUB_BUS_EUNSUPPORTED_OPERATION;
    }
    if (d->err) {
        defer(s, &d->base);
        return 0;
    }
    struct task *t = hub_calloc(1, sizeof *t);
    if (!t || slots_reserve(s, 1)) {
        hub_free(t);
        hub_free(d);
        return HUB_ENOMEM;
    }
    hub_bus_uuid(t->handle);
    snprintf(t->source, sizeof t->source, "%s", source);
    snprintf(t->dest, sizeof t->dest, "%s", dst ? destination : "");
    t->status = HUB_MOVE_RUNNING;
    t->to_move = src->visible;
    t->rate = max_per_second;
    t->started_ms = hub_bus_now_ms();
    t->t.kind = T_TASK;
    t->t.at = mono(s);
    t->next = s->tasks;
    s->tasks = t;
    s->nrunning++;
    hub_dheap_push(&s->heap, &t->t);
    tasks_prune(s, source);
    d->n = 1;
    task_snap_fill(&d->t[0], t);
    defer(s, &d->base);
    arm(s);
    return 0;
}

static int mq_move_list(void *self, const char *source, hub_move_list_cb cb, void *ud)
{
    struct mq *s = self;
    if (!source || !cb) return HUB_EINVAL;
    struct done_move *d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_move;
    d->list_cb = cb;
    d->ud = ud;
    if (!queue_get(s, source)) d->err = HUB_BUS_EQUEUE_DOES_NOT_EXIST;
    for (struct task *t = s->tasks; t && !d->err && d->n < MOVE_TASKS_KEPT; t = t->next)
        if (strcmp(t->source, source) == 0) task_snap_fill(&d->t[d->n++], t);
    defer(s, &d->base);
    return 0;
}

static int mq_move_cancel(void *self, const char *handle, hub_move_cb cb, void *ud)
{
    struct mq *s = self;
    if (!handle || !cb) return HUB_EINVAL;
    struct done_move *d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->base.run = run_move;
    d->cb = cb;
    d->ud = ud;
    struct task *t = s->tasks;
    while (t && strcmp(t->handle, handle) != 0)
        t = t->next;
    if (!t) {
        d->err = HUB_BUS_ERESOURCE_NOT_FOUND;
    } else if (t->status != HUB_MOVE_RUNNING) {
        d->err = HUB_BUS_EUNSUPPORTED_OPERATION;
    } else {
        task_end(s, t, HUB_MOVE_CANCELLED, NULL);
        d->n = 1;
        task_snap_fill(&d->t[0], t);
    }
    defer(s, &d->base);
    arm(s);
    return 0;
}

/* ---- life cycle ---- */

static void store_release(struct mq *s)
{
    struct done *d = s->phead;
    s->phead = NULL;
    while (d) {
        struct done *next = d->next;
        d->run(d);
        d = next;
    }
    while (s->tasks) {
        struct task *t = s->tasks;
        s->tasks = t->next;
        hub_free(t);
    }
    hub_map_clear(&s->queues);
    hub_map_clear(&s->waiters);
    hub_dheap_free(&s->heap);
    hub_free(s);
}

static void on_close(uv_handle_t *h)
{
    struct mq *s = h->data;
    if (--s->open_handles == 0) store_release(s);
}

static void mq_destroy(void *self)
{
    struct mq *s = self;
    if (!s || s->closing) return;
    size_t pos = 0;
    void *v;
    while (hub_map_next(&s->queues, &pos, NULL, NULL, &v)) {
        struct queue *q = v;
        while (q->whead)
            waiter_finish(s, q->whead, HUB_ECLOSED);
    }
    s->closing = 1;
    pos = 0;
    while (hub_map_next(&s->queues, &pos, NULL, NULL, &v)) {
        struct queue *q = v;
        hub_map_del(&s->queues, q->name, strlen(q->name));
        queue_free(s, q);
    }
    uv_close((uv_handle_t *)&s->timer, on_close);
    uv_close((uv_handle_t *)&s->idle, on_close);
}

void *hub_memory_queue_store_new(uv_loop_t *loop, const struct hub_memory_options *opts)
{
    if (!loop) return NULL;
    struct mq *s = hub_calloc(1, sizeof *s);
    if (!s) return NULL;
    s->loop = loop;
    if (opts) s->opt = *opts;
    if (!s->opt.dedup_window_ms) s->opt.dedup_window_ms = HUB_BUS_DEDUP_WINDOW_MS;
    if (!s->opt.purge_interval_ms) s->opt.purge_interval_ms = HUB_BUS_PURGE_INTERVAL_MS;
    if (!s->opt.max_inflight) s->opt.max_inflight = 120000;
    uint64_t seed[2];
    hub_random_bytes(seed, sizeof seed);
    s->k0 = seed[0];
    s->k1 = seed[1];
    hub_map_init(&s->queues, s->k0, s->k1);
    hub_map_init(&s->waiters, s->k0, s->k1);
    s->ptail = &s->phead;
    s->armed = UINT64_MAX;
    uv_timer_init(loop, &s->timer);
    uv_idle_init(loop, &s->idle);
    s->timer.data = s->idle.data = s;
    s->open_handles = 2;
    uv_unref((uv_handle_t *)&s->timer);
    return s;
}

static const struct hub_queue_store_ops memory_queue_ops = {
    .destroy = mq_destroy,
    .create = mq_create,
    .get = mq_get,
    .set = mq_set,
    .remove = mq_remove,
    .list = mq_list,
    .tag = mq_tag,
    .untag = mq_untag,
    .send = mq_send,
    .receive = mq_receive,
    .receive_cancel = mq_receive_cancel,
    .delete_batch = mq_delete_batch,
    .change_visibility = mq_change_visibility,
    .purge = mq_purge,
    .dlq_sources = mq_dlq_sources,
    .move_start = mq_move_start,
    .move_list = mq_move_list,
    .move_cancel = mq_move_cancel,
};

const struct hub_queue_store_ops *hub_memory_queue_store_ops(void)
{
    return &memory_queue_ops;
}
