/* store_client.c - the connections and calls the Redis stores share (store_internal.h). */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "hub_alloc.h"
#include "log.h"
#include "redis_conn.h"
#include "store_internal.h"
#include "store_lua.h"

#define PING_EVERY_MS 2000
#define PING_DEAD_MS 6000
#define ARGV_SMALL 64

struct req {
    struct req *next;
    struct rs_client *c;
    struct rs_args a; /* numkeys, key, prefix, op, name, ... */
    rs_reply_fn fn;
    void *ud;
    int err; /* a deferred failure */
    int retried;
};

struct rs_client {
    uv_loop_t *loop;
    struct hub_redis_store_options opt; /* url and prefix owned */
    struct hub_redis_url url;
    char sha[41];
    char *pattern; /* <prefix>wake:* */
    size_t wake_len;
    hub_redis_conn *cmd, *sub;
    int cmd_up, sub_up, ever_up, was_up, ever_both;
    uint64_t down_since, reconnects, unavailable;
    int refs; /* stores */
    int closing, idle_closing;
    int handles;                         /* our uv handles not closed yet */
    int conns;                           /* connections not closed yet */
    size_t pending;                      /* calls sent and not answered */
    struct req *waiting, **waiting_tail; /* before the first connection */
    struct req *failed, **failed_tail;   /* deferred failures */
    uv_idle_t idle;
    uv_timer_t ping;
    uint64_t ping_sent; /* uv_hrtime() of the PING in flight, 0 when none */
    void (*wake)(void *ud, const char *name, unsigned count);
    void (*resume)(void *ud);
    void *hook_ud;
};

/* ---- arguments ---- */

void rs_args_init(struct rs_args *a)
{
    memset(a, 0, sizeof *a);
}

void rs_args_free(struct rs_args *a)
{
    hub_free(a->buf);
    hub_free(a->off);
    rs_args_init(a);
}

void rs_arg(struct rs_args *a, const char *s, size_t len)
{
    if (a->oom) return;
    if (a->n == a->ncap) {
        size_t ncap = a->ncap ? a->ncap * 2 : 16;
        size_t *off = hub_realloc(a->off, 2 * ncap * sizeof *off);
        if (!off) {
            a->oom = 1;
            return;
        }
        /* lengths live in the second half */
        if (a->ncap) memmove(off + ncap, off + a->ncap, a->ncap * sizeof *off);
        a->off = off;
        a->ncap = ncap;
    }
    if (a->len + len + 1 > a->cap) {
        size_t cap = a->cap ? a->cap : 256;
        while (cap < a->len + len + 1)
            cap *= 2;
        char *buf = hub_realloc(a->buf, cap);
        if (!buf) {
            a->oom = 1;
            return;
        }
        a->buf = buf;
        a->cap = cap;
    }
    if (len) memcpy(a->buf + a->len, s, len);
    a->off[a->n] = a->len;
    a->off[a->ncap + a->n] = len;
    a->len += len;
    a->buf[a->len++] = '\0';
    a->n++;
}

void rs_arg_str(struct rs_args *a, const char *s)
{
    rs_arg(a, s ? s : "", s ? strlen(s) : 0);
}

void rs_arg_u64(struct rs_args *a, uint64_t v)
{
    char b[24];
    rs_arg(a, b, (size_t)snprintf(b, sizeof b, "%llu", (unsigned long long)v));
}

void rs_arg_i64(struct rs_args *a, int64_t v)
{
    char b[24];
    rs_arg(a, b, (size_t)snprintf(b, sizeof b, "%lld", (long long)v));
}

/* ---- replies ---- */

const redisReply *rs_elem(const redisReply *r, size_t i)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements) return NULL;
    return r->element[i];
}

long long rs_int(const redisReply *r, size_t i, long long def)
{
    const redisReply *e = rs_elem(r, i);
    if (!e) return def;
    if (e->type == REDIS_REPLY_INTEGER) return e->integer;
    if (e->type == REDIS_REPLY_STRING && e->len > 0) {
        char *end;
        long long v = strtoll(e->str, &end, 10);
        return *end ? def : v;
    }
    return def;
}

const char *rs_str(const redisReply *r, size_t i, size_t *len)
{
    const redisReply *e = rs_elem(r, i);
    if (!e || (e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS)) return NULL;
    if (len) *len = e->len;
    return e->str;
}

int rs_status(const redisReply *r)
{
    const redisReply *e = rs_elem(r, 0);
    if (!e || e->type != REDIS_REPLY_INTEGER) return HUB_EIO;
    return (int)e->integer;
}

const char *rs_field(const redisReply *h, const char *field, size_t *len)
{
    if (!h || h->type != REDIS_REPLY_ARRAY) return NULL;
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
        const redisReply *k = h->element[i];
        if (k->type == REDIS_REPLY_STRING && strcmp(k->str, field) == 0)
            return rs_str(h, i + 1, len);
    }
    return NULL;
}

uint64_t rs_random64(void)
{
    uint64_t v = 0;
    while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        ;
    return v;
}

/* ---- life ---- */

static void client_free(struct rs_client *c)
{
    hub_free((char *)c->opt.url);
    hub_free((char *)c->opt.prefix);
    hub_free(c->pattern);
    hub_free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct rs_client *c = h->data;
    if (--c->handles == 0 && c->idle_closing) client_free(c);
}

/* Once closing and nothing is left to answer, the idle handle (which delivers failures) goes last.
 */
static void maybe_free(struct rs_client *c)
{
    if (!c->closing || c->conns || c->pending || c->waiting || c->failed || c->idle_closing) return;
    c->idle_closing = 1;
    uv_close((uv_handle_t *)&c->idle, on_handle_closed);
}

static void req_free(struct req *r)
{
    rs_args_free(&r->a);
    hub_free(r);
}

/* ---- deferred failures ---- */

static void on_idle(uv_idle_t *h)
{
    struct rs_client *c = h->data;
    struct req *r = c->failed;
    c->failed = NULL;
    c->failed_tail = &c->failed;
    uv_idle_stop(&c->idle);
    while (r) {
        struct req *next = r->next;
        r->fn(r->ud, NULL, r->err);
        req_free(r);
        r = next;
    }
    maybe_free(c);
}

static void fail_later(struct rs_client *c, struct req *r, int err)
{
    if (err == HUB_ECLOSED && !c->closing) c->unavailable++;
    r->err = err;
    r->next = NULL;
    *c->failed_tail = r;
    c->failed_tail = &r->next;
    if (!uv_is_active((uv_handle_t *)&c->idle)) uv_idle_start(&c->idle, on_idle);
}

int rs_fail_later(struct rs_client *c, int err, rs_reply_fn fn, void *ud)
{
    struct req *r = hub_calloc(1, sizeof *r);
    if (!r) return HUB_ENOMEM;
    r->c = c;
    r->fn = fn;
    r->ud = ud;
    fail_later(c, r, err);
    return 0;
}

/* ---- calls ---- */

static int send_req(struct rs_client *c, struct req *r);

/* Errors that mean "not now" rather than "never": the caller sees the store as unavailable. */
static int transient(const char *msg)
{
    static const char *const words[] = {"LOADING", "BUSY",    "MASTERDOWN", "READONLY",
                                        "OOM",     "MISCONF", "NOREPLICAS", "TRYAGAIN"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strncmp(msg, words[i], strlen(words[i])) == 0) return 1;
    return 0;
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct req *r = privdata;
    struct rs_client *c = r->c;
    redisReply *rep = reply;
    (void)ac;
    c->pending--;
    if (!rep) {
        if (!c->closing) c->unavailable++;
        r->fn(r->ud, NULL, HUB_ECLOSED);
    } else if (rep->type == REDIS_REPLY_ERROR && !r->retried &&
               strncmp(rep->str, "NOSCRIPT", 8) == 0) {
        /* Redis lost its scripts (a restart, SCRIPT FLUSH): EVAL loads it again */
        r->retried = 1;
        if (send_req(c, r) == 0) return;
        r->fn(r->ud, NULL, HUB_ECLOSED);
    } else if (rep->type == REDIS_REPLY_ERROR) {
        int t = transient(rep->str);
        hub_log(t ? HUB_LOG_WARN : HUB_LOG_ERROR, "redis: bus store: %s refused: %s",
                r->a.buf + r->a.off[3], rep->str);
        r->fn(r->ud, NULL, t ? HUB_ECLOSED : HUB_EIO);
    } else {
        r->fn(r->ud, rep, 0);
    }
    req_free(r);
    maybe_free(c);
}

/* Sends r (EVALSHA, or EVAL after a NOSCRIPT). Returns 0 or HUB_ECLOSED (not sent). */
static int send_req(struct rs_client *c, struct req *r)
{
    redisAsyncContext *ac = c->cmd_up ? hub_redis_conn_context(c->cmd) : NULL;
    const char *small_v[ARGV_SMALL];
    size_t small_l[ARGV_SMALL];
    const char **argv = small_v;
    size_t *lens = small_l, n = r->a.n + 2;
    int rc;

    if (!ac) return HUB_ECLOSED;
    if (n > ARGV_SMALL) {
        argv = hub_malloc(n * sizeof *argv);
        lens = hub_malloc(n * sizeof *lens);
        if (!argv || !lens) {
            hub_free(argv);
            hub_free(lens);
            return HUB_ECLOSED;
        }
    }
    argv[0] = r->retried ? "EVAL" : "EVALSHA";
    lens[0] = strlen(argv[0]);
    argv[1] = r->retried ? hub_redis_store_lua : c->sha;
    lens[1] = r->retried ? strlen(hub_redis_store_lua) : 40;
    for (size_t i = 0; i < r->a.n; i++) {
        argv[i + 2] = r->a.buf + r->a.off[i];
        lens[i + 2] = r->a.off[r->a.ncap + i];
    }
    rc = redisAsyncCommandArgv(ac, on_reply, r, (int)n, argv, lens);
    if (argv != small_v) {
        hub_free(argv);
        hub_free(lens);
    }
    if (rc != REDIS_OK) return HUB_ECLOSED;
    c->pending++;
    return 0;
}

int rs_call(struct rs_client *c, const char *kind, const char *op, const char *name,
            struct rs_args *args, rs_reply_fn fn, void *ud)
{
    struct req *r = hub_calloc(1, sizeof *r);
    const char *prefix = c->opt.prefix;
    size_t plen = strlen(prefix), klen = strlen(kind), nlen = strlen(name);
    char small[256], *key = small;

    if (r && !args->oom && plen + klen + nlen >= sizeof small)
        key = hub_malloc(plen + klen + nlen + 1);
    if (!r || args->oom || !key) {
        hub_free(r);
        rs_args_free(args);
        return HUB_ENOMEM;
    }
    memcpy(key, prefix, plen);
    memcpy(key + plen, kind, klen);
    memcpy(key + plen + klen, name, nlen);
    r->c = c;
    r->fn = fn;
    r->ud = ud;
    rs_args_init(&r->a);
    rs_arg(&r->a, "1", 1);
    rs_arg(&r->a, key, plen + klen + nlen);
    if (key != small) hub_free(key);
    rs_arg(&r->a, prefix, plen);
    rs_arg_str(&r->a, op);
    rs_arg(&r->a, name, nlen);
    for (size_t i = 0; i < args->n && !r->a.oom; i++)
        rs_arg(&r->a, args->buf + args->off[i], args->off[args->ncap + i]);
    rs_args_free(args);
    if (r->a.oom) {
        req_free(r);
        return HUB_ENOMEM;
    }
    if (c->closing) {
        fail_later(c, r, HUB_ECLOSED);
    } else if (!c->ever_up) {
        r->next = NULL;
        *c->waiting_tail = r;
        c->waiting_tail = &r->next;
    } else if (send_req(c, r) != 0) {
        fail_later(c, r, HUB_ECLOSED);
    }
    return 0;
}

/* ---- connections ---- */

static void update_state(struct rs_client *c)
{
    int up = c->cmd_up && c->sub_up;
    if (c->closing || up == c->was_up) return;
    c->was_up = up;
    if (up && !c->ever_both) {
        hub_log(HUB_LOG_INFO, "redis: bus store: connected to %s:%d (keys \"%s*\")", c->url.host,
                c->url.port, c->opt.prefix);
    } else if (up) {
        c->reconnects++;
        hub_log(HUB_LOG_INFO, "redis: bus store: reconnected to %s:%d after %llu ms; serving again",
                c->url.host, c->url.port, (unsigned long long)(uv_now(c->loop) - c->down_since));
    }
    if (up) {
        c->ever_both = 1;
    } else {
        c->down_since = uv_now(c->loop);
        if (!c->ever_both) return;
        hub_log(HUB_LOG_WARN,
                "redis: bus store: %s:%d unreachable: queue and topic operations fail "
                "(ServiceUnavailable) until it is back; reconnecting",
                c->url.host, c->url.port);
    }
}

static void on_script_loaded(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *rep = reply;
    (void)ac;
    (void)privdata;
    if (rep && rep->type == REDIS_REPLY_ERROR)
        hub_log(HUB_LOG_WARN, "redis: bus store: SCRIPT LOAD: %s", rep->str);
}

static void on_wake(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rs_client *c = privdata;
    redisReply *rep = reply;
    (void)ac;
    if (!rep || c->closing || rep->type != REDIS_REPLY_ARRAY) return;
    if (rep->elements == 4 && rep->element[0]->type == REDIS_REPLY_STRING &&
        strcmp(rep->element[0]->str, "pmessage") == 0 &&
        rep->element[2]->type == REDIS_REPLY_STRING && (size_t)rep->element[2]->len > c->wake_len &&
        c->wake) {
        long n = rep->element[3]->type == REDIS_REPLY_STRING ? atol(rep->element[3]->str) : 1;
        c->wake(c->hook_ud, rep->element[2]->str + c->wake_len,
                n < 1         ? 1u
                : n > 1000000 ? 1000000u
                              : (unsigned)n);
    } else if (rep->elements >= 1 && rep->element[0]->type == REDIS_REPLY_ERROR)
        hub_log(HUB_LOG_ERROR, "redis: bus store: PSUBSCRIBE refused: %s", rep->element[0]->str);
}

static void cmd_up(void *ud, hub_redis_conn *conn)
{
    struct rs_client *c = ud;
    redisAsyncContext *ac = hub_redis_conn_context(conn);
    int first = !c->ever_up;
    c->cmd_up = 1;
    c->ever_up = 1;
    redisAsyncCommand(ac, on_script_loaded, c, "SCRIPT LOAD %s", hub_redis_store_lua);
    if (first) {
        struct req *r = c->waiting;
        c->waiting = NULL;
        c->waiting_tail = &c->waiting;
        while (r) {
            struct req *next = r->next;
            if (send_req(c, r) != 0) fail_later(c, r, HUB_ECLOSED);
            r = next;
        }
    }
    update_state(c);
    if (c->resume) c->resume(c->hook_ud);
}

static void cmd_down(void *ud, hub_redis_conn *conn)
{
    struct rs_client *c = ud;
    (void)conn;
    c->cmd_up = 0;
    c->ping_sent = 0;
    update_state(c);
}

static void sub_up(void *ud, hub_redis_conn *conn)
{
    struct rs_client *c = ud;
    c->sub_up = 1;
    redisAsyncCommand(hub_redis_conn_context(conn), on_wake, c, "PSUBSCRIBE %s", c->pattern);
    update_state(c);
    if (c->resume) c->resume(c->hook_ud); /* wake-ups may have been missed meanwhile */
}

static void sub_down(void *ud, hub_redis_conn *conn)
{
    struct rs_client *c = ud;
    (void)conn;
    c->sub_up = 0;
    update_state(c);
}

static void conn_closed(void *ud, hub_redis_conn *conn)
{
    struct rs_client *c = ud;
    (void)conn;
    c->conns--;
    maybe_free(c);
}

static const struct hub_redis_conn_hooks cmd_hooks = {
    .up = cmd_up, .down = cmd_down, .closed = conn_closed};
static const struct hub_redis_conn_hooks sub_hooks = {
    .up = sub_up, .down = sub_down, .closed = conn_closed};

static void on_pong(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rs_client *c = privdata;
    (void)ac;
    (void)reply;
    c->ping_sent = 0;
}

static void on_ping_timer(uv_timer_t *t)
{
    struct rs_client *c = t->data;
    redisAsyncContext *ac = c->cmd_up ? hub_redis_conn_context(c->cmd) : NULL;
    if (c->closing || !ac) return;
    if (c->ping_sent) {
        if ((uv_hrtime() - c->ping_sent) / 1000000 < PING_DEAD_MS) return;
        /* Redis stopped answering (a hung server, a dead route): start over on both */
        hub_log(HUB_LOG_WARN, "redis: bus store: no answer from %s:%d for %d ms: reconnecting",
                c->url.host, c->url.port, PING_DEAD_MS);
        c->ping_sent = 0;
        hub_redis_conn_reset(c->cmd);
        hub_redis_conn_reset(c->sub);
        return;
    }
    if (redisAsyncCommand(ac, on_pong, c, "PING") == REDIS_OK) c->ping_sent = uv_hrtime();
}

/* ---- the client ---- */

void rs_client_set_queue_hooks(struct rs_client *c,
                               void (*wake)(void *ud, const char *name, unsigned count),
                               void (*resume)(void *ud), void *ud)
{
    c->wake = wake;
    c->resume = resume;
    c->hook_ud = ud;
}

int rs_client_up(const struct rs_client *c)
{
    return c->cmd_up && c->sub_up;
}

uv_loop_t *rs_client_loop(const struct rs_client *c)
{
    return c->loop;
}

const struct hub_redis_store_options *rs_client_options(const struct rs_client *c)
{
    return &c->opt;
}

void rs_client_unref(struct rs_client *c)
{
    if (--c->refs > 0) return;
    c->closing = 1;
    /* calls that never got a connection fail now */
    struct req *r = c->waiting;
    c->waiting = NULL;
    c->waiting_tail = &c->waiting;
    while (r) {
        struct req *next = r->next;
        fail_later(c, r, HUB_ECLOSED);
        r = next;
    }
    uv_timer_stop(&c->ping);
    uv_close((uv_handle_t *)&c->ping, on_handle_closed);
    hub_redis_conn_close(c->cmd);
    hub_redis_conn_close(c->sub);
    maybe_free(c);
}

static void status_fill(const struct rs_client *c, struct hub_redis_store_status *st)
{
    memset(st, 0, sizeof *st);
    st->connected = c->cmd_up && c->sub_up;
    st->ever_connected = c->ever_up;
    st->down_ms = st->connected ? 0 : uv_now(c->loop) - c->down_since;
    st->reconnects = c->reconnects;
    st->unavailable = c->unavailable;
}

void hub_redis_store_status(void *store, struct hub_redis_store_status *st)
{
    status_fill(rs_queue_store_client(store), st);
}

struct rs_client *rs_client_new(uv_loop_t *loop, const struct hub_redis_store_options *opts)
{
    struct rs_client *c = hub_calloc(1, sizeof *c);
    char err[200];
    unsigned char digest[SHA_DIGEST_LENGTH];

    if (!c) return NULL;
    c->loop = loop;
    c->down_since = uv_now(loop);
    c->opt = *opts;
    c->opt.url = hub_strdup(opts->url);
    c->opt.prefix = hub_strdup(opts->prefix ? opts->prefix : "hubbub:bus:");
    if (!c->opt.dedup_window_ms) c->opt.dedup_window_ms = HUB_BUS_DEDUP_WINDOW_MS;
    if (!c->opt.purge_interval_ms) c->opt.purge_interval_ms = HUB_BUS_PURGE_INTERVAL_MS;
    if (!c->opt.max_inflight) c->opt.max_inflight = 120000;
    if (!c->opt.url || !c->opt.prefix) goto fail;
    if (hub_config_redis_url(c->opt.url, &c->url, err, sizeof err)) {
        hub_log(HUB_LOG_ERROR, "redis: bus store: %s: %s", c->opt.url, err);
        goto fail;
    }
    c->wake_len = strlen(c->opt.prefix) + strlen("wake:");
    /* the pattern is <prefix>wake:*, with glob characters of the prefix escaped */
    if (!(c->pattern = hub_malloc(2 * c->wake_len + 2))) goto fail;
    size_t n = 0;
    for (const char *p = c->opt.prefix; *p; p++) {
        if (strchr("*?[]\\", *p)) c->pattern[n++] = '\\';
        c->pattern[n++] = *p;
    }
    memcpy(c->pattern + n, "wake:*", sizeof "wake:*");
    SHA1((const unsigned char *)hub_redis_store_lua, strlen(hub_redis_store_lua), digest);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
        snprintf(c->sha + 2 * i, 3, "%02x", digest[i]);
    c->waiting_tail = &c->waiting;
    c->failed_tail = &c->failed;
    uv_idle_init(loop, &c->idle);
    uv_timer_init(loop, &c->ping);
    c->idle.data = c->ping.data = c;
    c->handles = 2;
    c->refs = 1;
    c->cmd = hub_redis_conn_new(loop, &c->url, "bus store commands", &cmd_hooks, c);
    c->conns += c->cmd != NULL;
    c->sub = hub_redis_conn_new(loop, &c->url, "bus store wake-ups", &sub_hooks, c);
    c->conns += c->sub != NULL;
    if (!c->cmd || !c->sub) {
        rs_client_unref(c); /* the handles close on the loop; c goes with them */
        return NULL;
    }
    c->refs = 2;
    uv_timer_start(&c->ping, on_ping_timer, PING_EVERY_MS, PING_EVERY_MS);
    uv_unref((uv_handle_t *)&c->ping);
    hub_log(HUB_LOG_INFO, "redis: bus store on %s:%d/%d (keys \"%s*\")", c->url.host, c->url.port,
            c->url.db, c->opt.prefix);
    return c;
fail:
    client_free(c);
    return NULL;
}
