/* redis.c - see redis.h. The back end half of adapter.h: channel names, encoding (adapter_msg.h),
 * the two connections and their recovery. It keeps no room state: the receiver-side room filter
 * asks the core (hub_nsp_room_size) before decoding, as the reference adapter does. */
#include "redis/redis.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>
#include <stdio.h>
#include <string.h>

#include "adapter.h"
#include "hub_alloc.h"
#include "log.h"
#include "redis_uv.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define CONNECT_TIMEOUT_MS 5000
#define CLOSE_GRACE_MS 1000
#define PING_EVERY_MS 2000
#define PING_DEAD_MS 6000
#define MAX_UNSENT                                                                                 \
    (64u << 20) /* bytes hiredis holds for a slow Redis; past that, publishes drop                 \
                 */

struct redis;

/* One connection: the publisher (commands) or the subscriber (pub/sub mode). */
struct rconn {
    struct redis *r;
    const char *name;
    redisAsyncContext *ac; /* NULL while down; hiredis frees it on failure/disconnect */
    int ready;             /* connected */
    int is_sub;
    uv_timer_t timer; /* the back-off before the next attempt, or the connect timeout */
    unsigned backoff_ms;
    unsigned failures; /* consecutive failed attempts */
    int timer_closed;
};

/* One namespace's channels. */
struct rnsp {
    struct redis *r;
    hub_nsp *nsp;
    char *bcast; /* <key>#<nsp># */
    size_t bcast_len;
    char *pattern;  /* <key>#<nsp>#* */
    char *request;  /* <key>-request#<nsp># */
    char *response; /* <key>-response#<nsp># */
    char *specific; /* <key>-response#<nsp>#<uid># */
    struct rnsp *next;
};

struct redis {
    hub_server *srv;
    uv_loop_t *loop;
    struct hub_redis_url url;
    char *key;
    struct rconn pub, sub;
    struct rnsp *nsps;
    uv_timer_t ping;
    uint64_t ping_sent; /* uv_hrtime() of the PING in flight, 0 when none */
    int64_t latency_us;
    uint64_t reconnects, published, received, dropped;
    uint64_t dropped_full; /* since the output buffer last drained */
    size_t pending;        /* PUBLISH replies outstanding */
    int connected;         /* both connections up (the state last logged) */
    int ever_connected;
    uint64_t down_since; /* uv_now() when the cluster was lost */
    int closing;
    int handles; /* timers not closed yet */
    struct adapter_limits lim;
    struct adapter_out out;
};

/* ---- lifetime ----------------------------------------------------------------------------------
 */

static void rnsp_free(struct rnsp *n)
{
    hub_free(n->bcast);
    hub_free(n->pattern);
    hub_free(n->request);
    hub_free(n->response);
    hub_free(n->specific);
    hub_free(n);
}

/* The back end goes once both contexts are gone and every timer is closed. */
static void maybe_free(struct redis *r)
{
    if (!r->closing || r->pub.ac || r->sub.ac || r->handles) return;
    while (r->nsps) {
        struct rnsp *n = r->nsps;
        r->nsps = n->next;
        rnsp_free(n);
    }
    adapter_out_free(&r->out);
    hub_free(r->key);
    hub_free(r);
}

static void on_ping_closed(uv_handle_t *h)
{
    struct redis *r = h->data;

    r->handles--;
    maybe_free(r);
}

static void on_conn_timer_closed(uv_handle_t *h)
{
    struct rconn *c = h->data;

    c->r->handles--;
    maybe_free(c->r);
}

/* Closing: the connection's timer goes once its context is gone (it may be the grace timer). */
static void conn_timer_close(struct rconn *c)
{
    if (c->timer_closed || c->ac) return;
    c->timer_closed = 1;
    uv_close((uv_handle_t *)&c->timer, on_conn_timer_closed);
}

/* ---- state and logging -------------------------------------------------------------------------
 */

static void update_state(struct redis *r)
{
    int now = r->pub.ready && r->sub.ready;

    if (now == r->connected || r->closing) return;
    r->connected = now;
    if (now && !r->ever_connected) {
        hub_log(HUB_LOG_INFO, "redis: connected to %s:%d (key \"%s\", node %s)", r->url.host,
                r->url.port, r->key, hub_adapter_uid(r->srv));
    } else if (now) {
        r->reconnects++;
        hub_log(HUB_LOG_INFO, "redis: reconnected to %s:%d after %llu ms; subscriptions renewed",
                r->url.host, r->url.port, (unsigned long long)(uv_now(r->loop) - r->down_since));
    } else {
        r->down_since = uv_now(r->loop);
        hub_log(HUB_LOG_WARN,
                "redis: cluster unreachable (%s:%d): serving local clients only, reconnecting",
                r->url.host, r->url.port);
    }
    if (now) r->ever_connected = 1;
}

/* ---- connections -------------------------------------------------------------------------------
 */

static void conn_start(struct rconn *c);
static void subscribe_all(struct redis *r);

static void on_conn_timer(uv_timer_t *t)
{
    struct rconn *c = t->data;
    redisAsyncContext *ac = c->ac;

    if (c->r->closing) {
        /* the grace for a clean disconnect ran out */
        c->ac = NULL;
        if (ac) redisAsyncFree(ac);
        conn_timer_close(c);
        return;
    }
    if (ac && !c->ready) {
        hub_log(c->failures++ ? HUB_LOG_DEBUG : HUB_LOG_WARN,
                "redis: %s connection to %s:%d timed out; retrying", c->name, c->r->url.host,
                c->r->url.port);
        c->ac = NULL;
        redisAsyncFree(ac); /* not connected: no disconnect callback */
        uv_timer_start(&c->timer, on_conn_timer, c->backoff_ms, 0);
        return;
    }
    if (!ac) conn_start(c);
}

static void retry_later(struct rconn *c)
{
    if (c->r->closing) return;
    uv_timer_start(&c->timer, on_conn_timer, c->backoff_ms, 0);
    c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

static void log_failure(struct rconn *c, const char *why)
{
    c->failures++;
    /* the first failure says it clearly; then one line now and then, not one per attempt */
    hub_log(c->failures == 1 || c->failures % 50 == 0 ? HUB_LOG_WARN : HUB_LOG_DEBUG,
            "redis: cannot connect the %s to %s:%d: %s; retrying (attempt %u)", c->name,
            c->r->url.host, c->r->url.port, why, c->failures);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct rconn *c = ac->data;
    struct redis *r = c->r;

    uv_timer_stop(&c->timer);
    if (status != REDIS_OK) {
        c->ac = NULL; /* hiredis frees it */
        if (r->closing) {
            conn_timer_close(c);
            return;
        }
        log_failure(c, ac->errstr[0] ? ac->errstr : "connection failed");
        retry_later(c);
        return;
    }
    c->ready = 1;
    c->failures = 0;
    c->backoff_ms = BACKOFF_MIN_MS;
    if (r->closing) return;
    hub_log(HUB_LOG_DEBUG, "redis: %s connected to %s:%d", c->name, r->url.host, r->url.port);
    if (c->is_sub) subscribe_all(r);
    update_state(r);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct rconn *c = ac->data;
    struct redis *r = c->r;

    c->ac = NULL;
    c->ready = 0;
    if (c == &r->pub) r->ping_sent = 0;
    if (r->closing) {
        uv_timer_stop(&c->timer);
        conn_timer_close(c);
        return;
    }
    hub_log(HUB_LOG_WARN, "redis: %s connection to %s:%d lost: %s", c->name, r->url.host,
            r->url.port, status == REDIS_OK ? "closed" : ac->errstr);
    update_state(r);
    c->backoff_ms = BACKOFF_MIN_MS;
    retry_later(c);
}

static void conn_start(struct rconn *c)
{
    struct redis *r = c->r;
    char why[128];

    if (r->closing || c->ac) return;
    c->ac = hub_redis_dial(r->loop, &r->url, c->name, c, on_connect, on_disconnect, why, sizeof why);
    if (!c->ac) {
        log_failure(c, why);
        retry_later(c);
        return;
    }
    uv_timer_start(&c->timer, on_conn_timer, CONNECT_TIMEOUT_MS, 0);
}

/* ---- receiving ---------------------------------------------------------------------------------
 */

/* A subscription the server refused (NOAUTH, ACL): said once per connection. */
static int refused(struct redis *r, const redisReply *rep)
{
    if (!rep || rep->type != REDIS_REPLY_ERROR) return 0;
    hub_log(HUB_LOG_ERROR, "redis: subscription refused by %s:%d: %s", r->url.host, r->url.port,
            rep->str);
    return 1;
}

static int reply_is(const redisReply *rep, size_t n, const char *kind)
{
    return rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == n &&
           rep->element[0]->type == REDIS_REPLY_STRING && strcmp(rep->element[0]->str, kind) == 0;
}

/* pmessage <pattern> <channel> <payload>: a broadcast. */
static void on_pmessage(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rnsp *n = privdata;
    struct redis *r = n->r;
    redisReply *rep = reply, *ch, *payload;
    struct adapter_msg m;
    int rc;

    if (r->closing || refused(r, rep) || !reply_is(rep, 4, "pmessage")) return;
    ch = rep->element[2];
    payload = rep->element[3];
    if (ch->type != REDIS_REPLY_STRING || payload->type != REDIS_REPLY_STRING) return;
    if ((size_t)ch->len < n->bcast_len || memcmp(ch->str, n->bcast, n->bcast_len) != 0) return;
    r->received++;
    if ((size_t)ch->len > n->bcast_len) {
        /* <key>#<nsp>#<room>#: dropped before decoding unless a local socket is in the room */
        size_t rlen = (size_t)ch->len - n->bcast_len;
        char small[128], *room = small;
        int here;
        if (ch->str[ch->len - 1] == '#') rlen--;
        if (rlen >= sizeof(small) && !(room = hub_malloc(rlen + 1))) return;
        memcpy(room, ch->str + n->bcast_len, rlen);
        room[rlen] = '\0';
        here = rlen == 0 || (strlen(room) == rlen && hub_nsp_room_size(n->nsp, room) > 0);
        if (room != small) hub_free(room);
        if (!here) return;
    }
    if ((rc = adapter_broadcast_decode((const uint8_t *)payload->str, (size_t)payload->len, &r->lim,
                                       &m))) {
        hub_log(HUB_LOG_DEBUG, "redis: bad broadcast on %s dropped: %s", ch->str, hub_strerror(rc));
        return;
    }
    hub_adapter_on_broadcast(r->srv, n->nsp, &m);
    adapter_msg_clear(&m);
}

/* message <channel> <payload>: a request or a response. */
static void on_message(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rnsp *n = privdata;
    struct redis *r = n->r;
    redisReply *rep = reply, *ch, *payload;
    struct adapter_msg m;
    int request, rc;

    if (r->closing || refused(r, rep) || !reply_is(rep, 3, "message")) return;
    ch = rep->element[1];
    payload = rep->element[2];
    if (ch->type != REDIS_REPLY_STRING || payload->type != REDIS_REPLY_STRING) return;
    request = strcmp(ch->str, n->request) == 0;
    if (!request && strcmp(ch->str, n->response) != 0 && strcmp(ch->str, n->specific) != 0) return;
    r->received++;
    rc = request ? adapter_request_decode((const uint8_t *)payload->str, (size_t)payload->len,
                                          &r->lim, &m)
                 : adapter_response_decode((const uint8_t *)payload->str, (size_t)payload->len,
                                           &r->lim, &m);
    if (rc) {
        hub_log(HUB_LOG_DEBUG, "redis: bad message on %s dropped: %s", ch->str, hub_strerror(rc));
        return;
    }
    if (request)
        hub_adapter_on_request(r->srv, n->nsp, &m);
    else
        hub_adapter_on_response(r->srv, n->nsp, &m);
    adapter_msg_clear(&m);
}

static void subscribe_nsp(struct redis *r, struct rnsp *n)
{
    redisAsyncContext *ac = r->sub.ac;

    if (!ac || !r->sub.ready) return;
    redisAsyncCommand(ac, on_pmessage, n, "PSUBSCRIBE %s", n->pattern);
    redisAsyncCommand(ac, on_message, n, "SUBSCRIBE %s %s %s", n->request, n->response,
                      n->specific);
}

static void subscribe_all(struct redis *r)
{
    struct rnsp *n;

    for (n = r->nsps; n; n = n->next)
        subscribe_nsp(r, n);
}

/* ---- publishing --------------------------------------------------------------------------------
 */

static void on_published(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct redis *r = privdata;
    redisReply *rep = reply;

    r->pending--;
    if (!r->pending) r->dropped_full = 0;
    if (rep && rep->type == REDIS_REPLY_ERROR)
        hub_log(HUB_LOG_DEBUG, "redis: PUBLISH refused: %s", rep->str);
}

static int publish(struct redis *r, const char *ch, size_t chlen, const uint8_t *data, size_t len)
{
    if (r->closing || !r->pub.ac || !r->pub.ready) {
        r->dropped++;
        return HUB_EIO;
    }
    if (sdslen(r->pub.ac->c.obuf) > MAX_UNSENT) {
        /* Redis does not keep up: memory stays bounded, the cluster misses these */
        if (!r->dropped_full++)
            hub_log(HUB_LOG_WARN, "redis: %s:%d does not keep up: dropping publishes", r->url.host,
                    r->url.port);
        r->dropped++;
        return HUB_EFULL;
    }
    if (redisAsyncCommand(r->pub.ac, on_published, r, "PUBLISH %b %b", ch, chlen, data, len) !=
        REDIS_OK) {
        r->dropped++;
        return HUB_EIO;
    }
    r->pending++;
    r->published++;
    return 0;
}

static struct rnsp *rnsp_of(struct redis *r, const hub_nsp *nsp)
{
    struct rnsp *n;

    for (n = r->nsps; n; n = n->next)
        if (n->nsp == nsp) return n;
    return NULL;
}

static int op_publish_broadcast(void *be, hub_nsp *nsp, const struct adapter_msg *m)
{
    struct redis *r = be;
    struct rnsp *n = rnsp_of(r, nsp);
    char small[256], *ch = small;
    size_t chlen;
    int rc;

    if (!n) return HUB_ENOTFOUND;
    r->out.len = 0;
    if ((rc = adapter_broadcast_encode(m, &r->out))) return rc;
    /* the room's own channel only for exactly one room: receivers drop it unless they have it */
    chlen = n->bcast_len + (m->rooms.n == 1 ? strlen(m->rooms.v[0]) + 1 : 0);
    if (chlen >= sizeof(small) && !(ch = hub_malloc(chlen + 1))) return HUB_ENOMEM;
    memcpy(ch, n->bcast, n->bcast_len);
    if (m->rooms.n == 1) {
        memcpy(ch + n->bcast_len, m->rooms.v[0], chlen - n->bcast_len - 1);
        ch[chlen - 1] = '#';
    }
    rc = publish(r, ch, chlen, r->out.data, r->out.len);
    if (ch != small) hub_free(ch);
    return rc;
}

static int op_publish_request(void *be, hub_nsp *nsp, const struct adapter_msg *m)
{
    struct redis *r = be;
    struct rnsp *n = rnsp_of(r, nsp);
    int rc;

    if (!n) return HUB_ENOTFOUND;
    r->out.len = 0;
    if ((rc = adapter_request_encode(m, &r->out))) return rc;
    return publish(r, n->request, strlen(n->request), r->out.data, r->out.len);
}

static int op_publish_response(void *be, hub_nsp *nsp, const struct adapter_msg *m)
{
    struct redis *r = be;
    struct rnsp *n = rnsp_of(r, nsp);
    int rc;

    if (!n) return HUB_ENOTFOUND;
    r->out.len = 0;
    if ((rc = adapter_response_encode(m, &r->out))) return rc;
    return publish(r, n->response, strlen(n->response), r->out.data, r->out.len);
}

/* PUBSUB NUMSUB's answer goes back to the core with the request id it was asked for. */
struct count_req {
    struct redis *r;
    hub_nsp *nsp;
    char id[HUB_ADAPTER_ID_MAX + 1];
};

static void on_numsub(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct count_req *q = privdata;
    redisReply *rep = reply;
    int n = -1;

    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
        rep->element[1]->type == REDIS_REPLY_INTEGER)
        n = rep->element[1]->integer > 100000 ? 100000 : (int)rep->element[1]->integer;
    if (!q->r->closing) hub_adapter_on_count(q->r->srv, q->nsp, q->id, n);
    hub_free(q);
}

static int op_server_count(void *be, hub_nsp *nsp, const char *request_id)
{
    struct redis *r = be;
    struct rnsp *n = rnsp_of(r, nsp);
    struct count_req *q;

    if (!n) return HUB_ENOTFOUND;
    if (r->closing || !r->pub.ac || !r->pub.ready) return HUB_EIO;
    if (strlen(request_id) > HUB_ADAPTER_ID_MAX) return HUB_EINVAL;
    if (!(q = hub_calloc(1, sizeof(*q)))) return HUB_ENOMEM;
    q->r = r;
    q->nsp = nsp;
    strcpy(q->id, request_id);
    if (redisAsyncCommand(r->pub.ac, on_numsub, q, "PUBSUB NUMSUB %s", n->request) != REDIS_OK) {
        hub_free(q);
        return HUB_EIO;
    }
    return 0;
}

/* ---- namespaces, status, close -----------------------------------------------------------------
 */

static char *cat(const char *a, const char *b, const char *c, const char *d)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c), ld = strlen(d);
    char *s = hub_malloc(la + lb + lc + ld + 1);

    if (!s) return NULL;
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc);
    memcpy(s + la + lb + lc, d, ld + 1);
    return s;
}

static int op_nsp_open(void *be, hub_nsp *nsp)
{
    struct redis *r = be;
    const char *name = hub_nsp_name(nsp), *uid = hub_adapter_uid(r->srv);
    struct rnsp *n;
    char *req_prefix, *resp_prefix;

    if (rnsp_of(r, nsp)) return 0;
    if (!(n = hub_calloc(1, sizeof(*n)))) return HUB_ENOMEM;
    n->r = r;
    n->nsp = nsp;
    req_prefix = cat(r->key, "-request#", "", "");
    resp_prefix = cat(r->key, "-response#", "", "");
    if (req_prefix && resp_prefix) {
        n->bcast = cat(r->key, "#", name, "#");
        n->pattern = cat(r->key, "#", name, "#*");
        n->request = cat(req_prefix, name, "#", "");
        n->response = cat(resp_prefix, name, "#", "");
        n->specific = n->response ? cat(n->response, uid, "#", "") : NULL;
    }
    hub_free(req_prefix);
    hub_free(resp_prefix);
    if (!n->bcast || !n->pattern || !n->request || !n->response || !n->specific) {
        rnsp_free(n);
        return HUB_ENOMEM;
    }
    if (strpbrk(name, "*?[\\"))
        hub_log(HUB_LOG_WARN, "redis: namespace %s holds glob characters: its pattern matches more",
                name);
    n->bcast_len = strlen(n->bcast);
    n->next = r->nsps;
    r->nsps = n;
    subscribe_nsp(r, n);
    return 0;
}

static void op_status(void *be, struct hub_cluster_status *st)
{
    struct redis *r = be;

    st->backend = "redis";
    st->connected = r->pub.ready && r->sub.ready;
    st->reconnects = r->reconnects;
    st->latency_us = r->latency_us;
    st->published = r->published;
    st->received = r->received;
    st->dropped = r->dropped;
}

static void conn_close(struct rconn *c)
{
    uv_timer_stop(&c->timer);
    if (c->ac && c->ready) {
        /* sends what is queued, then closes; forced if Redis does not answer in time */
        redisAsyncDisconnect(c->ac);
        if (c->ac) uv_timer_start(&c->timer, on_conn_timer, CLOSE_GRACE_MS, 0);
    } else if (c->ac) {
        redisAsyncContext *ac = c->ac;
        c->ac = NULL;
        redisAsyncFree(ac);
    }
    conn_timer_close(c);
}

static void op_close(void *be)
{
    struct redis *r = be;

    if (r->closing) return;
    r->closing = 1;
    hub_log(HUB_LOG_DEBUG, "redis: leaving the cluster");
    uv_timer_stop(&r->ping);
    uv_close((uv_handle_t *)&r->ping, on_ping_closed);
    conn_close(&r->pub);
    conn_close(&r->sub);
}

static const struct hub_adapter_ops redis_ops = {
    .nsp_open = op_nsp_open,
    .publish_broadcast = op_publish_broadcast,
    .publish_request = op_publish_request,
    .publish_response = op_publish_response,
    .server_count = op_server_count,
    .status = op_status,
    .close = op_close,
};

/* ---- latency and liveness ----------------------------------------------------------------------
 */

static void on_pong(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct redis *r = privdata;

    if (reply && r->ping_sent) r->latency_us = (int64_t)((uv_hrtime() - r->ping_sent) / 1000);
    r->ping_sent = 0;
}

static void on_ping_timer(uv_timer_t *t)
{
    struct redis *r = t->data;

    if (r->closing || !r->pub.ac || !r->pub.ready) return;
    if (r->ping_sent) {
        if ((uv_hrtime() - r->ping_sent) / 1000000 < PING_DEAD_MS) return;
        /* Redis stopped answering (a hung server, a dead route): start over on both */
        hub_log(HUB_LOG_WARN, "redis: no answer from %s:%d for %d ms: reconnecting", r->url.host,
                r->url.port, PING_DEAD_MS);
        r->ping_sent = 0;
        redisAsyncFree(r->pub.ac);
        if (r->sub.ac) redisAsyncFree(r->sub.ac);
        return;
    }
    if (redisAsyncCommand(r->pub.ac, on_pong, r, "PING") == REDIS_OK) r->ping_sent = uv_hrtime();
}

/* ---- attach ------------------------------------------------------------------------------------
 */

int hub_redis_attach(hub_server *srv, const struct hub_config *cfg)
{
    static const struct adapter_limits lim = ADAPTER_LIMITS_DEFAULT;
    struct redis *r;
    char err[200];
    int rc;

    if (!srv || !cfg) return HUB_EINVAL;
    if (!cfg->redis) return 0;
    if (!(r = hub_calloc(1, sizeof(*r)))) return HUB_ENOMEM;
    if (hub_config_redis_url(cfg->redis, &r->url, err, sizeof(err))) {
        hub_log(HUB_LOG_ERROR, "redis: %s: %s", cfg->redis, err);
        hub_free(r);
        return HUB_EINVAL;
    }
    r->key = hub_strdup(cfg->redis_key ? cfg->redis_key : "socket.io");
    if (!r->key) {
        hub_free(r);
        return HUB_ENOMEM;
    }
    r->srv = srv;
    r->loop = hub_server_loop(srv);
    r->lim = lim;
    r->lim.max_attachments = cfg->max_attachments;
    r->latency_us = -1;
    r->pub.r = r->sub.r = r;
    r->pub.name = "publisher";
    r->sub.name = "subscriber";
    r->sub.is_sub = 1;
    r->pub.backoff_ms = r->sub.backoff_ms = BACKOFF_MIN_MS;
    uv_timer_init(r->loop, &r->pub.timer);
    uv_timer_init(r->loop, &r->sub.timer);
    uv_timer_init(r->loop, &r->ping);
    r->pub.timer.data = &r->pub;
    r->sub.timer.data = &r->sub;
    r->ping.data = r;
    r->handles = 3;
    rc = hub_adapter_attach(
        srv, &redis_ops, r,
        cfg->redis_requests_timeout_ms > 0 ? (uint64_t)cfg->redis_requests_timeout_ms : 5000);
    if (rc) {
        hub_log(HUB_LOG_ERROR, "redis: cannot join the cluster: %s", hub_strerror(rc));
        op_close(r); /* the timers close on the loop; the back end goes with them */
        return rc;
    }
    hub_log(HUB_LOG_INFO, "redis: joining the cluster on %s:%d/%d (key \"%s\", node %s)",
            r->url.host, r->url.port, r->url.db, r->key, hub_adapter_uid(srv));
    conn_start(&r->pub);
    conn_start(&r->sub);
    uv_timer_start(&r->ping, on_ping_timer, PING_EVERY_MS, PING_EVERY_MS);
    return 0;
}
