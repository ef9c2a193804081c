/* queue_store.c - the Redis queue store (struct hub_queue_store_ops; redis_store.h).
 *
 * Every operation is one call of the store script (store_internal.h); the state lives in Redis.
 * What lives here is what waits: long polls and the message move tasks this node drives.
 *
 * A receive tries once at once. If it found nothing and may wait, it joins its queue's line of
 * waiters on this node (struct lq), served first come first served: a wake-up published by a
 * script on any node says how many messages may have become available, and that many waiters from
 * the head of the line try again at once (not the whole line: one message must not cost every
 * waiter a call); the connections coming back, or the earliest due time the last empty receive
 * reported (a delay or visibility timeout ending), let the head try. A waiter that got messages
 * leaves and the next one tries at once. A wake-up that arrives while a try is under way (so its
 * answer may predate the message) makes the line try again: a counter of wake-ups per queue is
 * compared before and after. Deadlines (the waits, the due times, the move-task ticks) sit in one
 * binary min-heap driving one uv_timer, as in the in-memory store. */
#include <stdlib.h>
#include <string.h>

#include "hub_alloc.h"
#include "log.h"
#include "deadline_heap.h"
#include "map.h"
#include "store_internal.h"

#define RETRY_MIN_MS 5      /* the soonest a due time is acted on */
#define MOVE_CHUNK 1000     /* messages a rate-less move task moves per call */
#define MOVE_LEASE_MS 10000 /* a RUNNING task whose driver stayed silent this long is dead */
#define MSG_FIELDS 13       /* per received message in the receive reply */
#define RECV_HEADER 5

enum { T_WAITER, T_QUEUE, T_TASK };

struct rq;
struct lq;

struct waiter {
    struct rq *s;
    struct lq *q; /* the queue's line (NULL for a receive that does not wait) */
    char *name;
    struct waiter *prev, *next;
    int listed;     /* in q's line */
    int attempting; /* a receive call is under way */
    int cancelled;  /* receive_cancel or destroy: complete with HUB_ECLOSED */
    int line_try;   /* the call under way was started by the line (counted in q->trying) */
    unsigned gen;   /* q->gen when the call started */
    uint64_t ticket;
    uint32_t max;
    int64_t vis, wait; /* wait -1 until the first answer tells the queue's */
    uint64_t started;  /* loop time of the request */
    struct hub_dnode t;    /* the end of the wait */
    hub_receive_cb cb;
    void *ud;
};

struct lq {
    char *name;
    struct waiter *head, *tail;
    size_t refs;     /* waiters of this queue (listed or trying) */
    unsigned gen;    /* wake-ups seen */
    unsigned trying; /* the line's tries under way */
    struct hub_dnode t;  /* the next due time */
};

struct task {
    struct rq *s;
    struct task *next;
    char handle[HUB_BUS_UUID_LEN + 1];
    uint32_t rate;
    int ticking; /* a tick call is under way */
    struct hub_dnode t;
};

struct rq {
    struct rs_client *c;
    uv_loop_t *loop;
    uv_timer_t timer;
    uint64_t armed;
    struct hub_dheap heap;
    struct hub_map lqs;     /* name -> struct lq */
    struct hub_map tickets; /* ticket -> struct waiter */
    uint64_t next_ticket;
    size_t calls;    /* calls under way whose contexts point here */
    size_t nwaiters; /* waiters with a deadline: they keep the loop alive */
    struct task *tasks;
    void **slot; /* hub_redis_store_watch */
    int closing, timer_closed;
};

static uint64_t now_ms(struct rq *s)
{
    uv_update_time(s->loop);
    return uv_now(s->loop);
}

/* ---- the heap ---- */

static void on_timer(uv_timer_t *t);

static void arm(struct rq *s)
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
    /* like the in-memory store: only waiting long polls and move tasks keep the loop alive */
    if (s->nwaiters || s->tasks)
        uv_ref((uv_handle_t *)&s->timer);
    else
        uv_unref((uv_handle_t *)&s->timer);
}

/* ---- life ---- */

static void store_free(struct rq *s)
{
    hub_map_clear(&s->lqs);
    hub_map_clear(&s->tickets);
    hub_dheap_free(&s->heap);
    hub_free(s);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct rq *s = h->data;
    s->timer_closed = 1;
    if (!s->calls) store_free(s);
}

/* A call's context let go of the store: the last one after destroy frees it. */
static void call_done(struct rq *s)
{
    s->calls--;
    if (s->closing && s->timer_closed && !s->calls) store_free(s);
}

/* ---- waiters ---- */

static struct lq *lq_get(struct rq *s, const char *name, int create)
{
    struct lq *q = hub_map_get(&s->lqs, name, strlen(name));
    if (q || !create) return q;
    if (!(q = hub_calloc(1, sizeof *q))) return NULL;
    if (!(q->name = hub_strdup(name)) || hub_map_put(&s->lqs, q->name, strlen(name), q)) {
        hub_free(q->name);
        hub_free(q);
        return NULL;
    }
    q->t.kind = T_QUEUE;
    q->t.idx = HUB_DHEAP_NONE;
    return q;
}

static void lq_unref(struct rq *s, struct lq *q)
{
    if (--q->refs) return;
    hub_dheap_remove(&s->heap, &q->t);
    hub_map_del(&s->lqs, q->name, strlen(q->name));
    hub_free(q->name);
    hub_free(q);
}

static void unlist(struct rq *s, struct waiter *w)
{
    struct lq *q = w->q;
    if (!w->listed) return;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    w->prev = w->next = NULL;
    w->listed = 0;
    if (w->t.idx != HUB_DHEAP_NONE) {
        hub_dheap_remove(&s->heap, &w->t);
        s->nwaiters--;
    }
}

/* Puts w at the end of its queue's line, waiting until its deadline. */
static void relist(struct rq *s, struct waiter *w)
{
    struct lq *q = w->q;
    w->prev = q->tail;
    w->next = NULL;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    w->listed = 1;
    if (w->t.idx == HUB_DHEAP_NONE && hub_dheap_move(&s->heap, &w->t, w->started + (uint64_t)w->wait) == 0)
        s->nwaiters++;
}

static void waiter_free(struct rq *s, struct waiter *w)
{
    unlist(s, w);
    hub_map_del(&s->tickets, (const char *)&w->ticket, sizeof w->ticket);
    if (w->q) lq_unref(s, w->q);
    hub_free(w->name);
    hub_free(w);
}

static void messages_free(struct hub_message *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(m[i].attributes);
        json_decref(m[i].system_attributes);
    }
}

static json_t *json_of(const redisReply *r, size_t i)
{
    size_t len;
    const char *s = rs_str(r, i, &len);
    return s && len ? json_loadb(s, len, 0, NULL) : NULL;
}

/* The messages of a receive reply into m (at most HUB_BUS_BATCH_MAX): strings borrowed from r. */
static size_t messages_parse(const redisReply *r, struct hub_message *m,
                             char handles[][HUB_RECEIPT_HANDLE_LEN + 1])
{
    size_t n = r->elements > RECV_HEADER ? (r->elements - RECV_HEADER) / MSG_FIELDS : 0;
    const char *inc_s = rs_str(r, 1, NULL);
    uint64_t inc = inc_s ? strtoull(inc_s, NULL, 10) : 0;
    int fifo = rs_int(r, 3, 0) == 1;
    if (n > HUB_BUS_BATCH_MAX) n = HUB_BUS_BATCH_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t b = RECV_HEADER + i * MSG_FIELDS;
        const char *id = rs_str(r, b, NULL);
        if (!id || strlen(id) != HUB_BUS_UUID_LEN) id = "00000000-0000-0000-0000-000000000000";
        size_t body_len = 0;
        const char *body = rs_str(r, b + 2, &body_len);
        hub_receipt_handle_encode(inc, id, (uint64_t)rs_int(r, b + 1, 0), handles[i]);
        m[i] = (struct hub_message){
            .message_id = id,
            .receipt_handle = handles[i],
            .body = body ? body : "",
            .body_len = body_len,
            .attributes = json_of(r, b + 3),
            .system_attributes = json_of(r, b + 4),
            .group_id = rs_str(r, b + 5, NULL),
            .dedup_id = rs_str(r, b + 6, NULL),
            .sender_id = rs_str(r, b + 7, NULL),
            .sent_ms = (uint64_t)rs_int(r, b + 8, 0),
            .first_receive_ms = (uint64_t)rs_int(r, b + 9, 0),
            .receive_count = (uint32_t)rs_int(r, b + 10, 0),
            .sequence_number = fifo ? (uint64_t)rs_int(r, b + 11, 0) : 0,
            .dead_letter_source = rs_str(r, b + 12, NULL),
        };
    }
    return n;
}

/* Completes w (err, and the messages of reply when err is 0) and frees it. */
static void finish(struct rq *s, struct waiter *w, int err, const redisReply *reply)
{
    struct hub_message m[HUB_BUS_BATCH_MAX];
    char handles[HUB_BUS_BATCH_MAX][HUB_RECEIPT_HANDLE_LEN + 1];
    size_t n = !err && reply ? messages_parse(reply, m, handles) : 0;
    hub_receive_cb cb = w->cb;
    void *ud = w->ud;
    waiter_free(s, w);
    cb(ud, err, n ? m : NULL, n);
    messages_free(m, n);
}

static void on_failed_waiter(void *ud, redisReply *reply, int err)
{
    struct waiter *w = ud;
    struct rq *s = w->s;
    (void)reply;
    finish(s, w, err, NULL);
    call_done(s);
}

/* Completes w with err from the loop (never inside the caller's call). */
static void finish_later(struct rq *s, struct waiter *w, int err)
{
    unlist(s, w);
    w->cancelled = 1;
    s->calls++;
    if (rs_fail_later(s->c, err, on_failed_waiter, w) != 0) {
        /* no memory for the deferral: it still must complete exactly once */
        s->calls--;
        finish(s, w, err, NULL);
    }
}

static void on_released(void *ud, redisReply *reply, int err)
{
    (void)reply;
    if (err) hub_log(HUB_LOG_DEBUG, "redis: bus store: releasing cancelled receives failed");
    call_done(ud);
}

/* Messages a cancelled receive took go back at once (their receive counts stay counted). */
static void release(struct rq *s, const char *queue, const redisReply *r)
{
    struct hub_message m[HUB_BUS_BATCH_MAX];
    char handles[HUB_BUS_BATCH_MAX][HUB_RECEIPT_HANDLE_LEN + 1];
    size_t n = messages_parse(r, m, handles);
    struct rs_args a;
    const char *inc = rs_str(r, 1, NULL);
    if (!n) return;
    rs_args_init(&a);
    rs_arg_u64(&a, n);
    for (size_t i = 0; i < n; i++) {
        rs_arg_str(&a, inc);
        rs_arg_str(&a, m[i].message_id);
        rs_arg_i64(&a, rs_int(r, RECV_HEADER + i * MSG_FIELDS + 1, 0));
        rs_arg(&a, "0", 1);
    }
    messages_free(m, n);
    s->calls++;
    if (rs_call(s->c, "q:", "chvis", queue, &a, on_released, s) != 0) s->calls--;
}

static void try_receive(struct rq *s, struct waiter *w);

/* Serves the line of q: up to n waiters from its head that are not trying yet try now. */
static void kick(struct rq *s, struct lq *q, unsigned n)
{
    if (s->closing) return;
    q->refs++; /* a try that fails at once may complete its waiter */
    for (struct waiter *w = q->head, *next; w && q->trying < n; w = next) {
        next = w->next;
        if (w->attempting) continue;
        q->trying++;
        w->line_try = 1;
        try_receive(s, w);
    }
    lq_unref(s, q);
}

static void on_received(void *ud, redisReply *reply, int err)
{
    struct waiter *w = ud;
    struct rq *s = w->s;
    struct lq *q = w->q;
    int line_try = w->line_try;
    w->attempting = 0;
    w->line_try = 0;
    if (line_try) q->trying--;
    if (s->closing || w->cancelled) {
        if (!err && rs_status(reply) == 0) release(s, w->name, reply);
        finish(s, w, HUB_ECLOSED, NULL);
        call_done(s);
        return;
    }
    int status = err ? err : rs_status(reply);
    size_t n = !err && reply->elements > RECV_HEADER ? reply->elements - RECV_HEADER : 0;
    uint64_t now = now_ms(s);
    if (!err && w->wait < 0) w->wait = rs_int(reply, 4, 0);
    int waits = q && w->wait > 0 && now < w->started + (uint64_t)w->wait;
    if (n || (status && (status != HUB_ECLOSED || !waits))) {
        if (q) q->refs++;
        finish(s, w, status, reply);
        if (q && n) kick(s, q, 1); /* the next one may find more */
        if (q) lq_unref(s, q);
    } else if (!waits) {
        finish(s, w, 0, NULL);
    } else {
        /* Redis unavailable (down, loading, read-only): the connection coming back wakes the line;
         * meanwhile it tries again every second, not more often */
        long long due = status == HUB_ECLOSED ? 1000 : rs_int(reply, 2, -1);
        if (due >= 0) {
            uint64_t at = now + (due < RETRY_MIN_MS ? RETRY_MIN_MS : (uint64_t)due);
            if (q->t.idx == HUB_DHEAP_NONE || at < q->t.at) hub_dheap_move(&s->heap, &q->t, at);
        }
        if (!w->listed) relist(s, w);
        /* a wake-up during the call may be for a message the call could not see yet */
        if (!err && q->gen != w->gen) kick(s, q, 1);
    }
    arm(s);
    call_done(s);
}

static void try_receive(struct rq *s, struct waiter *w)
{
    struct rs_args a;
    rs_args_init(&a);
    rs_arg_u64(&a, w->max);
    rs_arg_i64(&a, w->vis);
    rs_arg_u64(&a, rs_client_options(s->c)->max_inflight);
    w->attempting = 1;
    w->gen = w->q ? w->q->gen : 0;
    s->calls++;
    if (rs_call(s->c, "q:", "receive", w->name, &a, on_received, w) == 0) return;
    /* out of memory: the answer is an error, from the loop */
    s->calls--;
    w->attempting = 0;
    if (w->line_try) {
        w->line_try = 0;
        w->q->trying--;
    }
    finish_later(s, w, HUB_ENOMEM);
}

static void on_wake(void *ud, const char *name, unsigned count)
{
    struct rq *s = ud;
    struct lq *q = lq_get(s, name, 0);
    if (!q) return;
    q->gen++;
    kick(s, q, count);
}

static void on_resume(void *ud)
{
    struct rq *s = ud;
    size_t pos = 0;
    void *v;
    while (hub_map_next(&s->lqs, &pos, NULL, NULL, &v)) {
        struct lq *q = v;
        q->gen++;
        kick(s, q, 1);
    }
}

static void task_tick(struct rq *s, struct task *t);

static void on_timer(uv_timer_t *h)
{
    struct rq *s = h->data;
    uint64_t now = uv_now(s->loop);
    s->armed = UINT64_MAX;
    while (s->heap.n && s->heap.v[0]->at <= now) {
        struct hub_dnode *n = s->heap.v[0];
        hub_dheap_remove(&s->heap, n);
        if (n->kind == T_WAITER) {
            struct waiter *w = (struct waiter *)(void *)((char *)n - offsetof(struct waiter, t));
            s->nwaiters--;
            if (w->attempting) continue; /* its answer decides */
            unlist(s, w);
            finish(s, w, rs_client_up(s->c) ? 0 : HUB_ECLOSED, NULL);
        } else if (n->kind == T_QUEUE) {
            kick(s, (struct lq *)(void *)((char *)n - offsetof(struct lq, t)), 1);
        } else {
            task_tick(s, (struct task *)(void *)((char *)n - offsetof(struct task, t)));
        }
    }
    arm(s);
}

/* ---- receive ---- */

static int rq_receive(void *self, const char *name, const struct hub_receive_opts *opts,
                      hub_receive_cb cb, void *ud, uint64_t *ticket)
{
    struct rq *s = self;
    if (!name || !opts || !cb || opts->max_messages > HUB_BUS_BATCH_MAX) return HUB_EINVAL;
    struct waiter *w = hub_calloc(1, sizeof *w);
    if (!w) return HUB_ENOMEM;
    w->s = s;
    w->ticket = ++s->next_ticket;
    w->max = opts->max_messages ? opts->max_messages : 1;
    w->vis = opts->visibility_ms;
    w->wait = opts->wait_ms;
    w->started = now_ms(s);
    w->t.kind = T_WAITER;
    w->t.idx = HUB_DHEAP_NONE;
    w->cb = cb;
    w->ud = ud;
    if (!(w->name = hub_strdup(name)) ||
        hub_map_put(&s->tickets, (const char *)&w->ticket, sizeof w->ticket, w))
        goto fail;
    if (w->wait != 0) {
        if (!(w->q = lq_get(s, name, 1))) {
            hub_map_del(&s->tickets, (const char *)&w->ticket, sizeof w->ticket);
            goto fail;
        }
        w->q->refs++;
    }
    struct rs_args a;
    rs_args_init(&a);
    rs_arg_u64(&a, w->max);
    rs_arg_i64(&a, w->vis);
    rs_arg_u64(&a, rs_client_options(s->c)->max_inflight);
    w->attempting = 1;
    w->gen = w->q ? w->q->gen : 0;
    s->calls++;
    if (rs_call(s->c, "q:", "receive", name, &a, on_received, w) != 0) {
        s->calls--;
        hub_map_del(&s->tickets, (const char *)&w->ticket, sizeof w->ticket);
        if (w->q) lq_unref(s, w->q);
        goto fail;
    }
    if (ticket) *ticket = w->ticket;
    return 0;
fail:
    hub_free(w->name);
    hub_free(w);
    return HUB_ENOMEM;
}

static int rq_receive_cancel(void *self, uint64_t ticket)
{
    struct rq *s = self;
    struct waiter *w = hub_map_get(&s->tickets, (const char *)&ticket, sizeof ticket);
    if (!w || w->cancelled) return HUB_ENOTFOUND;
    if (w->attempting)
        w->cancelled = 1; /* its answer completes it */
    else
        finish_later(s, w, HUB_ECLOSED);
    arm(s);
    return 0;
}

/* ---- plain answers ---- */

struct done_ctx {
    struct rq *s;
    hub_bus_done_cb cb;
    void *ud;
};

static void on_done(void *ud, redisReply *reply, int err)
{
    struct done_ctx *d = ud;
    d->cb(d->ud, err ? err : rs_status(reply));
    call_done(d->s);
    hub_free(d);
}

static int call_done_op(struct rq *s, const char *op, const char *name, struct rs_args *a,
                        hub_bus_done_cb cb, void *ud)
{
    struct done_ctx *d = hub_malloc(sizeof *d);
    if (!d) {
        rs_args_free(a);
        return HUB_ENOMEM;
    }
    *d = (struct done_ctx){s, cb, ud};
    s->calls++;
    int rc = rs_call(s->c, "q:", op, name, a, on_done, d);
    if (rc) {
        s->calls--;
        hub_free(d);
    }
    return rc;
}

struct names_ctx {
    struct rq *s;
    hub_bus_names_cb cb;
    void *ud;
};

static void on_names(void *ud, redisReply *reply, int err)
{
    struct names_ctx *d = ud;
    int st = err ? err : rs_status(reply);
    size_t n = st || reply->elements < 1 ? 0 : reply->elements - 1;
    const char **v = n ? hub_calloc(n, sizeof *v) : NULL;
    if (n && !v) st = HUB_ENOMEM;
    for (size_t i = 0; v && i < n; i++) {
        v[i] = rs_str(reply, i + 1, NULL);
        if (!v[i]) v[i] = "";
    }
    d->cb(d->ud, st, st ? NULL : v, st ? 0 : n);
    hub_free(v);
    call_done(d->s);
    hub_free(d);
}

static int call_names_op(struct rq *s, const char *op, const char *name, struct rs_args *a,
                         hub_bus_names_cb cb, void *ud)
{
    struct names_ctx *d = hub_malloc(sizeof *d);
    if (!d) {
        rs_args_free(a);
        return HUB_ENOMEM;
    }
    *d = (struct names_ctx){s, cb, ud};
    s->calls++;
    int rc = rs_call(s->c, "q:", op, name, a, on_names, d);
    if (rc) {
        s->calls--;
        hub_free(d);
    }
    return rc;
}

/* ---- queues ---- */

static const char *b01(int v)
{
    return v ? "1" : "0";
}

/* Appends "n, (field, value) * n" to a from the pairs in p (taken). */
static void pairs_put(struct rs_args *a, struct rs_args *p)
{
    rs_arg_u64(a, p->n / 2);
    for (size_t i = 0; i < p->n; i++)
        rs_arg(a, p->buf + p->off[i], p->off[p->ncap + i]);
    if (p->oom) a->oom = 1;
    rs_args_free(p);
}

static void pair_u64(struct rs_args *p, const char *f, uint64_t v)
{
    rs_arg_str(p, f);
    rs_arg_u64(p, v);
}

static void pair_str(struct rs_args *p, const char *f, const char *v)
{
    rs_arg_str(p, f);
    rs_arg_str(p, v);
}

static void extra_pair(struct rs_args *p, const char *k, const char *v)
{
    char f[160];
    snprintf(f, sizeof f, "x:%s", k);
    pair_str(p, f, v);
}

/* The fields of c named by set, as the script stores them. */
static void config_pairs(struct rs_args *p, const struct hub_queue_config *c, uint32_t set)
{
    if (set & HUB_QCFG_FIFO) pair_str(p, "fifo", b01(c->fifo));
    if (set & HUB_QCFG_CONTENT_DEDUP) pair_str(p, "cdd", b01(c->content_dedup));
    if (set & HUB_QCFG_VISIBILITY) pair_u64(p, "vis", c->visibility_ms);
    if (set & HUB_QCFG_DELAY) pair_u64(p, "delay", c->delay_ms);
    if (set & HUB_QCFG_RETENTION) pair_u64(p, "ret", c->retention_ms);
    if (set & HUB_QCFG_MAX_SIZE) pair_u64(p, "max", c->max_message_size);
    if (set & HUB_QCFG_WAIT) pair_u64(p, "wait", c->wait_ms);
    if (set & HUB_QCFG_REDRIVE) {
        pair_str(p, "dlq", c->dlq);
        pair_u64(p, "mrc", c->dlq[0] ? c->max_receive_count : 0);
    }
    if (set & HUB_QCFG_DEDUP_SCOPE) pair_str(p, "scope", b01(c->dedup_scope_group));
    if (set & HUB_QCFG_EXTRA) {
        const char *k;
        json_t *v;
        json_object_foreach(c->extra, k, v)
        {
            const char *s = json_string_value(v);
            extra_pair(p, k, s ? s : "");
        }
    }
}

static int fifo_only_fields(const struct hub_queue_config *c)
{
    return (c->set & (HUB_QCFG_CONTENT_DEDUP | HUB_QCFG_DEDUP_SCOPE)) ||
           ((c->set & HUB_QCFG_EXTRA) && json_object_get(c->extra, "FifoThroughputLimit"));
}

struct info_ctx {
    struct rq *s;
    hub_queue_info_cb cb;
    void *ud;
};

static uint64_t field_u64(const redisReply *h, const char *f)
{
    const char *v = rs_field(h, f, NULL);
    return v ? strtoull(v, NULL, 10) : 0;
}

static void on_info(void *ud, redisReply *reply, int err)
{
    struct info_ctx *d = ud;
    int st = err ? err : rs_status(reply);
    struct hub_queue_config cfg;
    struct hub_queue_info info = {0};
    json_t *tags = NULL;
    hub_queue_config_init(&cfg);
    if (!st) {
        const redisReply *h = rs_elem(reply, 1), *t = rs_elem(reply, 5);
        const char *v;
        info.name = "";
        cfg.fifo = field_u64(h, "fifo") == 1;
        cfg.content_dedup = field_u64(h, "cdd") == 1;
        cfg.visibility_ms = field_u64(h, "vis");
        cfg.delay_ms = field_u64(h, "delay");
        cfg.retention_ms = field_u64(h, "ret");
        cfg.max_message_size = (uint32_t)field_u64(h, "max");
        cfg.wait_ms = field_u64(h, "wait");
        if ((v = rs_field(h, "dlq", NULL))) snprintf(cfg.dlq, sizeof cfg.dlq, "%s", v);
        cfg.max_receive_count = (uint32_t)field_u64(h, "mrc");
        cfg.dedup_scope_group = field_u64(h, "scope") == 1;
        tags = json_object();
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
        if (!tags) st = HUB_ENOMEM;
        info.config = &cfg;
        info.created_ms = field_u64(h, "created");
        info.modified_ms = field_u64(h, "modified");
        info.visible = (uint64_t)rs_int(reply, 2, 0);
        info.inflight = (uint64_t)rs_int(reply, 3, 0);
        info.delayed = (uint64_t)rs_int(reply, 4, 0);
        info.tags = tags;
        info.created = rs_int(reply, 6, 0) == 1;
    }
    d->cb(d->ud, st, st ? NULL : &info);
    json_decref(tags);
    hub_queue_config_clear(&cfg);
    call_done(d->s);
    hub_free(d);
}

/* The name in info: the callers' contexts keep it (the script does not return it). */
struct info_named {
    struct info_ctx base;
    char name[HUB_BUS_NAME_MAX + 1];
    hub_queue_info_cb user_cb;
    void *user_ud;
};

static void on_info_named(void *ud, int err, const struct hub_queue_info *info)
{
    struct info_named *d = ud;
    struct hub_queue_info copy;
    if (info) {
        copy = *info;
        copy.name = d->name;
        info = &copy;
    }
    d->user_cb(d->user_ud, err, info);
}

static int call_info_op(struct rq *s, const char *op, const char *name, struct rs_args *a,
                        hub_queue_info_cb cb, void *ud)
{
    struct info_named *d = hub_calloc(1, sizeof *d);
    if (!d) {
        rs_args_free(a);
        return HUB_ENOMEM;
    }
    d->base = (struct info_ctx){s, on_info_named, d};
    snprintf(d->name, sizeof d->name, "%s", name);
    d->user_cb = cb;
    d->user_ud = ud;
    s->calls++;
    int rc = rs_call(s->c, "q:", op, name, a, on_info, d);
    if (rc) {
        s->calls--;
        hub_free(d);
    }
    return rc;
}

static int rq_create(void *self, const char *name, const struct hub_queue_config *cfg, json_t *tags,
                     hub_queue_info_cb cb, void *ud)
{
    struct rq *s = self;
    if (!name || !cfg || !cb || strlen(name) > HUB_BUS_NAME_MAX) return HUB_EINVAL;
    struct hub_queue_config full;
    struct rs_args a, p;
    int fifo = cfg->fifo != 0;
    hub_queue_config_init(&full);
    full.fifo = fifo;
    rs_args_init(&a);
    rs_arg_u64(&a, rs_random64() >> 1);
    rs_arg_i64(&a, !fifo && fifo_only_fields(cfg) ? HUB_BUS_EINVALID_ATTRIBUTE_NAME : 0);
    rs_args_init(&p);
    config_pairs(&p, cfg, cfg->set);
    pairs_put(&a, &p);
    /* the new queue: the defaults with cfg's fields on top */
    rs_args_init(&p);
    {
        struct hub_queue_config m = full;
        uint32_t set = cfg->set;
        if (set & HUB_QCFG_CONTENT_DEDUP) m.content_dedup = cfg->content_dedup;
        if (set & HUB_QCFG_VISIBILITY) m.visibility_ms = cfg->visibility_ms;
        if (set & HUB_QCFG_DELAY) m.delay_ms = cfg->delay_ms;
        if (set & HUB_QCFG_RETENTION) m.retention_ms = cfg->retention_ms;
        if (set & HUB_QCFG_MAX_SIZE) m.max_message_size = cfg->max_message_size;
        if (set & HUB_QCFG_WAIT) m.wait_ms = cfg->wait_ms;
        if (set & HUB_QCFG_REDRIVE) {
            memcpy(m.dlq, cfg->dlq, sizeof m.dlq);
            m.max_receive_count = cfg->max_receive_count;
        }
        if (set & HUB_QCFG_DEDUP_SCOPE) m.dedup_scope_group = cfg->dedup_scope_group;
        m.extra = cfg->extra;
        config_pairs(&p, &m,
                     HUB_QCFG_FIFO | HUB_QCFG_CONTENT_DEDUP | HUB_QCFG_VISIBILITY | HUB_QCFG_DELAY |
                         HUB_QCFG_RETENTION | HUB_QCFG_MAX_SIZE | HUB_QCFG_WAIT | HUB_QCFG_REDRIVE |
                         HUB_QCFG_DEDUP_SCOPE | (set & HUB_QCFG_EXTRA ? HUB_QCFG_EXTRA : 0));
    }
    pairs_put(&a, &p);
    rs_args_init(&p);
    if (tags) {
        const char *k;
        json_t *v;
        json_object_foreach(tags, k, v) pair_str(&p, k, json_string_value(v));
    }
    pairs_put(&a, &p);
    hub_queue_config_clear(&full);
    return call_info_op(s, "qcreate", name, &a, cb, ud);
}

static int rq_get(void *self, const char *name, hub_queue_info_cb cb, void *ud)
{
    struct rq *s = self;
    struct rs_args a;
    if (!name || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    return call_info_op(s, "qget", name, &a, cb, ud);
}

static int rq_set(void *self, const char *name, const struct hub_queue_config *cfg,
                  hub_bus_done_cb cb, void *ud)
{
    struct rq *s = self;
    struct rs_args a, p;
    if (!name || !cfg || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    rs_arg_str(&a, b01(fifo_only_fields(cfg)));
    rs_args_init(&p);
    config_pairs(&p, cfg, cfg->set & ~(uint32_t)HUB_QCFG_FIFO);
    pairs_put(&a, &p);
    if (cfg->set & HUB_QCFG_FIFO) {
        /* not settable: refused as the in-memory store does, from the loop */
        rs_args_free(&a);
        struct done_ctx *d = hub_malloc(sizeof *d);
        if (!d) return HUB_ENOMEM;
        *d = (struct done_ctx){s, cb, ud};
        s->calls++;
        if (rs_fail_later(s->c, HUB_BUS_EINVALID_ATTRIBUTE_NAME, on_done, d)) {
            s->calls--;
            hub_free(d);
            return HUB_ENOMEM;
        }
        return 0;
    }
    return call_done_op(s, "qset", name, &a, cb, ud);
}

static int rq_remove(void *self, const char *name, hub_bus_done_cb cb, void *ud)
{
    struct rs_args a;
    if (!name || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    return call_done_op(self, "qremove", name, &a, cb, ud);
}

static int rq_list(void *self, const char *prefix, hub_bus_names_cb cb, void *ud)
{
    struct rs_args a;
    if (!cb) return HUB_EINVAL;
    rs_args_init(&a);
    return call_names_op(self, "qlist", prefix ? prefix : "", &a, cb, ud);
}

static int rq_tag(void *self, const char *name, json_t *tags, hub_bus_done_cb cb, void *ud)
{
    struct rs_args a, p;
    const char *k;
    json_t *v;
    if (!name || !json_is_object(tags) || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    rs_args_init(&p);
    json_object_foreach(tags, k, v) pair_str(&p, k, json_string_value(v));
    pairs_put(&a, &p);
    return call_done_op(self, "qtag", name, &a, cb, ud);
}

static int rq_untag(void *self, const char *name, const char *const *keys, size_t n,
                    hub_bus_done_cb cb, void *ud)
{
    struct rs_args a;
    if (!name || (n && !keys) || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    rs_arg_u64(&a, n);
    for (size_t i = 0; i < n; i++)
        rs_arg_str(&a, keys[i]);
    return call_done_op(self, "quntag", name, &a, cb, ud);
}

static int rq_purge(void *self, const char *name, hub_bus_done_cb cb, void *ud)
{
    struct rq *s = self;
    struct rs_args a;
    if (!name || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    rs_arg_u64(&a, rs_client_options(s->c)->purge_interval_ms);
    return call_done_op(s, "purge", name, &a, cb, ud);
}

static int rq_dlq_sources(void *self, const char *dlq, hub_bus_names_cb cb, void *ud)
{
    struct rs_args a;
    if (!dlq || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    return call_names_op(self, "dlqsrc", dlq, &a, cb, ud);
}

/* ---- send ---- */

struct send_ctx {
    struct rq *s;
    hub_send_cb cb;
    void *ud;
    size_t n;
    char *ids[HUB_BUS_BATCH_MAX];
};

static void on_sent(void *ud, redisReply *reply, int err)
{
    struct send_ctx *d = ud;
    struct hub_send_result r[HUB_BUS_BATCH_MAX];
    int st = err ? err : rs_status(reply);
    if (!st && reply->elements < 1 + 4 * d->n) st = HUB_EIO;
    for (size_t i = 0; !st && i < d->n; i++) {
        size_t b = 1 + 4 * i;
        r[i] = (struct hub_send_result){
            .id = d->ids[i],
            .err = (int)rs_int(reply, b, HUB_EIO),
            .message_id = rs_str(reply, b + 1, NULL),
            .sequence_number = (uint64_t)rs_int(reply, b + 2, 0),
            .duplicate = rs_int(reply, b + 3, 0) == 1,
        };
        if (r[i].err) r[i].message_id = NULL;
    }
    d->cb(d->ud, st, st ? NULL : r, st ? 0 : d->n);
    for (size_t i = 0; i < d->n; i++)
        hub_free(d->ids[i]);
    call_done(d->s);
    hub_free(d);
}

static void json_arg(struct rs_args *a, json_t *j)
{
    char *text = json_is_object(j) && json_object_size(j) ? json_dumps(j, JSON_COMPACT) : NULL;
    if (json_is_object(j) && json_object_size(j) && !text) a->oom = 1;
    rs_arg_str(a, text);
    hub_free(text);
}

static int rq_send(void *self, const char *name, const struct hub_send_entry *entries, size_t n,
                   hub_send_cb cb, void *ud)
{
    struct rq *s = self;
    if (!name || (n && !entries) || n > HUB_BUS_BATCH_MAX || !cb) return HUB_EINVAL;
    struct send_ctx *d = hub_calloc(1, sizeof *d);
    struct rs_args a;
    if (!d) return HUB_ENOMEM;
    *d = (struct send_ctx){.s = s, .cb = cb, .ud = ud, .n = n};
    rs_args_init(&a);
    rs_arg_u64(&a, rs_client_options(s->c)->dedup_window_ms);
    rs_arg_u64(&a, n);
    for (size_t i = 0; i < n; i++) {
        const struct hub_send_entry *e = &entries[i];
        char id[HUB_BUS_UUID_LEN + 1], hash[65] = "";
        if (e->id && !(d->ids[i] = hub_strdup(e->id))) a.oom = 1;
        hub_bus_uuid(id);
        if (e->group_id && !e->dedup_id) hub_bus_sha256_hex(e->body, e->body_len, hash);
        rs_arg_str(&a, id);
        rs_arg(&a, e->body, e->body_len);
        json_arg(&a, e->attributes);
        json_arg(&a, e->system_attributes);
        rs_arg_str(&a, e->group_id);
        rs_arg_str(&a, e->dedup_id);
        rs_arg_str(&a, hash);
        rs_arg_str(&a, e->sender_id);
        rs_arg_i64(&a, e->delay_ms < 0 ? -1 : e->delay_ms);
        rs_arg_u64(&a, hub_bus_message_size(e->body_len, e->attributes));
    }
    s->calls++;
    int rc = rs_call(s->c, "q:", "send", name, &a, on_sent, d);
    if (rc) {
        s->calls--;
        for (size_t i = 0; i < n; i++)
            hub_free(d->ids[i]);
        hub_free(d);
    }
    return rc;
}

/* ---- delete and change visibility ---- */

struct batch_ctx {
    struct rq *s;
    hub_batch_cb cb;
    void *ud;
    size_t n;
    int local[HUB_BUS_BATCH_MAX]; /* 1: answered here (a malformed handle) */
    char *ids[HUB_BUS_BATCH_MAX];
};

static void on_batch(void *ud, redisReply *reply, int err)
{
    struct batch_ctx *d = ud;
    struct hub_batch_result r[HUB_BUS_BATCH_MAX];
    int st = err ? err : rs_status(reply);
    size_t j = 1;
    for (size_t i = 0; !st && i < d->n; i++) {
        r[i].id = d->ids[i];
        r[i].err =
            d->local[i] ? HUB_BUS_ERECEIPT_HANDLE_IS_INVALID : (int)rs_int(reply, j++, HUB_EIO);
    }
    d->cb(d->ud, st, st ? NULL : r, st ? 0 : d->n);
    for (size_t i = 0; i < d->n; i++)
        hub_free(d->ids[i]);
    call_done(d->s);
    hub_free(d);
}

static int receipt_op(struct rq *s, const char *op, const char *name,
                      const struct hub_receipt_entry *entries, size_t n, int vis, hub_batch_cb cb,
                      void *ud)
{
    if (!name || (n && !entries) || n > HUB_BUS_BATCH_MAX || !cb) return HUB_EINVAL;
    struct batch_ctx *d = hub_calloc(1, sizeof *d);
    struct rs_args a, e;
    size_t valid = 0;
    if (!d) return HUB_ENOMEM;
    *d = (struct batch_ctx){.s = s, .cb = cb, .ud = ud, .n = n};
    rs_args_init(&a);
    rs_args_init(&e);
    for (size_t i = 0; i < n; i++) {
        char id[HUB_BUS_UUID_LEN + 1];
        uint64_t inc, rno;
        if (entries[i].id && !(d->ids[i] = hub_strdup(entries[i].id))) a.oom = 1;
        if (!entries[i].receipt_handle ||
            hub_receipt_handle_decode(entries[i].receipt_handle, &inc, id, &rno) != 0) {
            d->local[i] = 1;
            continue;
        }
        rs_arg_u64(&e, inc);
        rs_arg_str(&e, id);
        rs_arg_u64(&e, rno);
        if (vis) rs_arg_i64(&e, entries[i].visibility_ms);
        valid++;
    }
    rs_arg_u64(&a, valid);
    for (size_t i = 0; i < e.n; i++)
        rs_arg(&a, e.buf + e.off[i], e.off[e.ncap + i]);
    if (e.oom) a.oom = 1;
    rs_args_free(&e);
    s->calls++;
    int rc = rs_call(s->c, "q:", op, name, &a, on_batch, d);
    if (rc) {
        s->calls--;
        for (size_t i = 0; i < n; i++)
            hub_free(d->ids[i]);
        hub_free(d);
    }
    return rc;
}

static int rq_delete_batch(void *self, const char *name, const struct hub_receipt_entry *entries,
                           size_t n, hub_batch_cb cb, void *ud)
{
    return receipt_op(self, "delete", name, entries, n, 0, cb, ud);
}

static int rq_change_visibility(void *self, const char *name,
                                const struct hub_receipt_entry *entries, size_t n, hub_batch_cb cb,
                                void *ud)
{
    return receipt_op(self, "chvis", name, entries, n, 1, cb, ud);
}

/* ---- message move tasks ---- */

static enum hub_move_status move_status(const char *s)
{
    if (!s) return HUB_MOVE_FAILED;
    if (strcmp(s, "RUNNING") == 0) return HUB_MOVE_RUNNING;
    if (strcmp(s, "COMPLETED") == 0) return HUB_MOVE_COMPLETED;
    if (strcmp(s, "CANCELLING") == 0) return HUB_MOVE_CANCELLING;
    if (strcmp(s, "CANCELLED") == 0) return HUB_MOVE_CANCELLED;
    return HUB_MOVE_FAILED;
}

/* The task at element b of r (handle, src, dst, status, failure, moved, tomove, rate, started). */
static void task_parse(const redisReply *r, size_t b, struct hub_move_task *t)
{
    const char *dst = rs_str(r, b + 2, NULL);
    *t = (struct hub_move_task){
        .handle = rs_str(r, b, NULL),
        .source = rs_str(r, b + 1, NULL),
        .destination = dst && *dst ? dst : NULL,
        .status = move_status(rs_str(r, b + 3, NULL)),
        .failure_reason = rs_str(r, b + 4, NULL),
        .moved = (uint64_t)rs_int(r, b + 5, 0),
        .to_move = (uint64_t)rs_int(r, b + 6, 0),
        .max_per_second = (uint32_t)rs_int(r, b + 7, 0),
        .started_ms = (uint64_t)rs_int(r, b + 8, 0),
    };
    if (!t->handle) t->handle = "";
    if (!t->source) t->source = "";
}

struct move_ctx {
    struct rq *s;
    hub_move_cb cb;
    hub_move_list_cb list_cb;
    void *ud;
    uint32_t rate;
};

static void task_unlink(struct rq *s, struct task *t)
{
    for (struct task **pp = &s->tasks; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    hub_dheap_remove(&s->heap, &t->t);
    hub_free(t);
}

static void on_tick(void *ud, redisReply *reply, int err)
{
    struct task *t = ud;
    struct rq *s = t->s;
    t->ticking = 0;
    const char *st = err ? NULL : rs_str(reply, 1, NULL);
    if (s->closing) {
        task_unlink(s, t);
    } else if (err == HUB_ECLOSED || (st && strcmp(st, "RUNNING") == 0)) {
        /* on: at the task's pace (or at once), or again in a second when Redis is away */
        uint64_t wait = err ? 1000 : t->rate ? 1000 : 0;
        if (hub_dheap_move(&s->heap, &t->t, now_ms(s) + wait)) task_unlink(s, t);
    } else {
        task_unlink(s, t); /* completed, cancelled or failed */
    }
    arm(s);
    call_done(s);
}

static void task_tick(struct rq *s, struct task *t)
{
    struct rs_args a;
    if (t->ticking) return;
    rs_args_init(&a);
    rs_arg_u64(&a, MOVE_CHUNK);
    t->ticking = 1;
    s->calls++;
    if (rs_call(s->c, "task:", "mtick", t->handle, &a, on_tick, t) != 0) {
        s->calls--;
        t->ticking = 0;
        hub_dheap_move(&s->heap, &t->t, now_ms(s) + 1000);
    }
}

static void on_move(void *ud, redisReply *reply, int err)
{
    struct move_ctx *d = ud;
    struct rq *s = d->s;
    int st = err ? err : rs_status(reply);
    struct hub_move_task v[10];
    size_t n = 0;
    if (!st) {
        n = (reply->elements - 1) / 9;
        if (n > 10) n = 10;
        for (size_t i = 0; i < n; i++)
            task_parse(reply, 1 + 9 * i, &v[i]);
    }
    if (d->list_cb) {
        d->list_cb(d->ud, st, st ? NULL : v, st ? 0 : n);
    } else {
        /* a task this node started is driven from here */
        if (!st && n && d->rate != UINT32_MAX && v[0].status == HUB_MOVE_RUNNING && !s->closing) {
            struct task *t = hub_calloc(1, sizeof *t);
            if (t) {
                t->s = s;
                snprintf(t->handle, sizeof t->handle, "%s", v[0].handle);
                t->rate = d->rate;
                t->t.kind = T_TASK;
                t->t.idx = HUB_DHEAP_NONE;
                if (hub_dheap_move(&s->heap, &t->t, now_ms(s))) {
                    hub_free(t);
                } else {
                    t->next = s->tasks;
                    s->tasks = t;
                }
            }
            if (!t)
                hub_log(HUB_LOG_WARN, "redis: bus store: cannot drive move task %s", v[0].handle);
            arm(s);
        }
        d->cb(d->ud, st, st || !n ? NULL : &v[0]);
    }
    call_done(s);
    hub_free(d);
}

static int move_call(struct rq *s, const char *kind, const char *op, const char *name,
                     struct rs_args *a, hub_move_cb cb, hub_move_list_cb list_cb, void *ud,
                     uint32_t rate)
{
    struct move_ctx *d = hub_malloc(sizeof *d);
    if (!d) {
        rs_args_free(a);
        return HUB_ENOMEM;
    }
    *d = (struct move_ctx){s, cb, list_cb, ud, rate};
    s->calls++;
    int rc = rs_call(s->c, kind, op, name, a, on_move, d);
    if (rc) {
        s->calls--;
        hub_free(d);
    }
    return rc;
}

static int rq_move_start(void *self, const char *source, const char *destination,
                         uint32_t max_per_second, hub_move_cb cb, void *ud)
{
    struct rs_args a;
    char handle[HUB_BUS_UUID_LEN + 1];
    if (!source || !cb) return HUB_EINVAL;
    hub_bus_uuid(handle);
    rs_args_init(&a);
    rs_arg_str(&a, destination);
    rs_arg_u64(&a, max_per_second);
    rs_arg_str(&a, handle);
    rs_arg_u64(&a, MOVE_LEASE_MS);
    return move_call(self, "q:", "mstart", source, &a, cb, NULL, ud, max_per_second);
}

static int rq_move_list(void *self, const char *source, hub_move_list_cb cb, void *ud)
{
    struct rs_args a;
    if (!source || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    return move_call(self, "q:", "mlist", source, &a, NULL, cb, ud, UINT32_MAX);
}

static int rq_move_cancel(void *self, const char *handle, hub_move_cb cb, void *ud)
{
    struct rs_args a;
    if (!handle || !cb) return HUB_EINVAL;
    rs_args_init(&a);
    return move_call(self, "task:", "mcancel", handle, &a, cb, NULL, ud, UINT32_MAX);
}

/* ---- life cycle ---- */

static void rq_destroy(void *self)
{
    struct rq *s = self;
    size_t pos = 0;
    void *v;
    if (!s || s->closing) return;
    /* long polls complete with HUB_ECLOSED from the loop; the tries under way when they answer */
    while (hub_map_next(&s->tickets, &pos, NULL, NULL, &v)) {
        struct waiter *w = v;
        if (w->cancelled) continue;
        if (w->attempting)
            w->cancelled = 1;
        else
            finish_later(s, w, HUB_ECLOSED);
    }
    while (s->tasks) {
        struct task *t = s->tasks;
        if (t->ticking) {
            /* its answer frees it */
            s->tasks = t->next;
            t->next = NULL;
            hub_dheap_remove(&s->heap, &t->t);
            continue;
        }
        task_unlink(s, t);
    }
    s->closing = 1;
    if (s->slot && *s->slot == s) *s->slot = NULL;
    rs_client_set_queue_hooks(s->c, NULL, NULL, NULL);
    rs_client_unref(s->c);
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}

void *rs_queue_store_new(struct rs_client *c)
{
    struct rq *s = hub_calloc(1, sizeof *s);
    uint64_t k0 = rs_random64(), k1 = rs_random64();
    if (!s) return NULL;
    s->c = c;
    s->loop = rs_client_loop(c);
    s->armed = UINT64_MAX;
    hub_map_init(&s->lqs, k0, k1);
    hub_map_init(&s->tickets, k0, k1);
    uv_timer_init(s->loop, &s->timer);
    s->timer.data = s;
    uv_unref((uv_handle_t *)&s->timer);
    rs_client_set_queue_hooks(c, on_wake, on_resume, s);
    return s;
}

void hub_redis_store_watch(void *qs, void **slot)
{
    ((struct rq *)qs)->slot = slot;
}

struct rs_client *rs_queue_store_client(void *qs)
{
    /* both kinds of store start with their client pointer */
    return *(struct rs_client **)qs;
}

static const struct hub_queue_store_ops redis_queue_ops = {
    .destroy = rq_destroy,
    .create = rq_create,
    .get = rq_get,
    .set = rq_set,
    .remove = rq_remove,
    .list = rq_list,
    .tag = rq_tag,
    .untag = rq_untag,
    .send = rq_send,
    .receive = rq_receive,
    .receive_cancel = rq_receive_cancel,
    .delete_batch = rq_delete_batch,
    .change_visibility = rq_change_visibility,
    .purge = rq_purge,
    .dlq_sources = rq_dlq_sources,
    .move_start = rq_move_start,
    .move_list = rq_move_list,
    .move_cancel = rq_move_cancel,
};

const struct hub_queue_store_ops *hub_redis_queue_store_ops(void)
{
    return &redis_queue_ops;
}
