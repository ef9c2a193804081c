/* engine.c - Engine.IO v4 sessions: handshake, heartbeat, polling, WebSocket and the upgrade between them.
 *
 * The behaviour follows the Node.js reference (engine.io 6.x): request checks in its order (transport,
 * then sid, then handshake method, then protocol version), the same error codes, and the same effects at
 * the edges (see shared/protocols/engineio-socketio.md).
 *
 * With allow_eio3, Engine.IO v3 clients (any EIO but "4", as the reference counts) get the v3 framing
 * (eio3.h) on both transports and the v3 heartbeat: the client pings, the server answers with a pong
 * and closes a session that has not pinged within pingInterval + pingTimeout.
 *
 * A polling session opened with a `j` query parameter (either revision) is a JSONP one, as the
 * reference's polling-jsonp.js: GET bodies are wrapped as `___eio[<j digits>]("<payload>");`, POST
 * bodies are read as `d=<payload>` forms (jsonp.h). */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b64.h"
#include "eio3.h"
#include "jsonp.h"
#include "engine_transport.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "log.h"
#include "map.h"
#include "random.h"

#define SID_LEN 20

enum sess_state { ST_OPEN, ST_CLOSING, ST_CLOSED };
enum timer_phase { PH_PING, PH_PONG, PH_CLOSE_WAIT, PH_FINISH };

struct eio_server {
    uv_loop_t *loop;
    struct eio_options opt;
    const struct eio_callbacks *cb;
    void *ud;
    const struct eio_transport_ops *ops;
    struct hub_map sessions;     /* sid -> open or closing session */
    size_t allocated;             /* sessions not yet freed */
    struct eio_stats stats;       /* counters; stats.open is the map's count */
    int freeing;
    hub_frame *ping, *pong, *noop, *close, *pong_probe;
};

struct eio_session {
    eio_server *srv;
    char sid[SID_LEN + 1];
    unsigned refs;
    enum sess_state state;
    int protocol;               /* Engine.IO revision: 3 or 4 */
    int poll_b64;               /* v3: the polling transport was opened with b64 (no XHR2 binary) */
    int ws_b64;                 /* v3: the WebSocket was opened with b64 (binary as base64 text) */
    int post_binary;            /* v3: the POST being read is a binary payload */
    int ws_mode;                /* the current transport is the WebSocket */
    int upgrading;              /* the probe was answered; waiting for the upgrade packet */
    int post_busy;
    int want_write;             /* want_write() asked and not yet served */
    void *ws;                   /* the WebSocket (current transport, or the probe) */
    void *get;                  /* the held polling GET */
    const char *get_final;      /* the last packet a held GET gets when the session ended */
    const char *finish_reason;  /* reason for a deferred close */
    struct hub_outq q;          /* packets for the current transport */
    int probe_pong;             /* "3probe" is due on the probing WebSocket */
    uv_timer_t timer;           /* heartbeat, close wait, deferred close */
    uv_timer_t *upgrade_timer;  /* only while a probe is in flight */
    enum timer_phase phase;
    uint64_t deadline;          /* last pong (or handshake) + pingInterval + pingTimeout */
    char *handshake;            /* compact snapshot of the handshake request (see snapshot_new) */
    char *jsonp;                /* JSONP: the callback index (the digits of j; may be ""), else NULL */
    size_t jsonp_len;
    void *user;
};

static void session_finish(eio_session *s, const char *reason, const char *get_final);


/* ---- server ---- */

eio_server *eio_server_new(uv_loop_t *loop, const struct eio_options *opt, const struct eio_callbacks *cb,
                           void *ud)
{
    eio_server *srv = hub_calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    srv->loop = loop;
    srv->opt = *opt;
    srv->cb = cb;
    srv->ud = ud;
    uint64_t seed[2];
    hub_random_bytes(seed, sizeof seed);
    hub_map_init(&srv->sessions, seed[0], seed[1]);
    srv->ping = hub_frame_new_text(EIO_PING, NULL, 0);
    srv->pong = hub_frame_new_text(EIO_PONG, NULL, 0);
    srv->noop = hub_frame_new_text(EIO_NOOP, NULL, 0);
    srv->close = hub_frame_new_text(EIO_CLOSE, NULL, 0);
    srv->pong_probe = hub_frame_new_text(EIO_PONG, "probe", 5);
    if (!srv->ping || !srv->pong || !srv->noop || !srv->close || !srv->pong_probe) {
        srv->freeing = 1;
        eio_server_free(srv);
        return NULL;
    }
    return srv;
}

static void server_destroy(eio_server *srv)
{
    hub_frame_unref(srv->ping);
    hub_frame_unref(srv->pong);
    hub_frame_unref(srv->noop);
    hub_frame_unref(srv->close);
    hub_frame_unref(srv->pong_probe);
    hub_map_clear(&srv->sessions);
    hub_free(srv);
}

void eio_server_free(eio_server *srv)
{
    if (!srv)
        return;
    srv->freeing = 1;
    size_t pos = 0;
    void *val;
    while (hub_map_next(&srv->sessions, &pos, NULL, NULL, &val))
        session_finish(val, "server shutting down", "1");
    if (srv->allocated == 0)
        server_destroy(srv);
}

uv_loop_t *eio_server_loop(const eio_server *srv)
{
    return srv->loop;
}

size_t eio_server_count(const eio_server *srv)
{
    return hub_map_count(&srv->sessions);
}

uint64_t eio_server_slow_consumers(const eio_server *srv)
{
    return srv->stats.slow_consumers;
}

static const char *const close_reason_names[EIO_CLOSE_REASONS] = {
    "transport close", "transport error", "ping timeout", "parse error",
    "forced close",    "server shutting down", "other",
};

const char *eio_close_reason_name(enum eio_close_reason r)
{
    return (unsigned)r < EIO_CLOSE_REASONS ? close_reason_names[r] : "other";
}

static enum eio_close_reason close_reason(const char *reason)
{
    for (int i = 0; i < EIO_CLOSE_OTHER; i++)
        if (reason && strcmp(reason, close_reason_names[i]) == 0)
            return (enum eio_close_reason)i;
    return EIO_CLOSE_OTHER;
}

void eio_server_stats(const eio_server *srv, struct eio_stats *st)
{
    *st = srv->stats;
    st->open = hub_map_count(&srv->sessions);
}

void eio_server_set_transport(eio_server *srv, const struct eio_transport_ops *ops)
{
    srv->ops = ops;
}

size_t eio_post_limit(const eio_server *srv)
{
    return srv->opt.max_payload;
}

/* ---- session life ---- */

void eio_session_hold(eio_session *s)
{
    s->refs++;
}

void eio_session_release(eio_session *s)
{
    if (--s->refs)
        return;
    eio_server *srv = s->srv;
    hub_outq_clear(&s->q);
    hub_free(s->handshake);
    hub_free(s->jsonp);
    hub_free(s);
    if (--srv->allocated == 0 && srv->freeing)
        server_destroy(srv);
}

static void on_handle_closed(uv_handle_t *h)
{
    eio_session_release(h->data);
}

static void on_upgrade_timeout(uv_timer_t *t);

static void on_upgrade_timer_closed(uv_handle_t *h)
{
    eio_session *s = h->data;
    hub_free(h);
    eio_session_release(s);
}

/* The upgrade timer exists only while a probe is in flight (most sessions never upgrade, or do it
 * once): it holds the session until libuv has closed it. */
static int upgrade_timer_start(eio_session *s)
{
    uv_timer_t *t = hub_malloc(sizeof(*t));
    if (!t)
        return HUB_ENOMEM;
    uv_timer_init(s->srv->loop, t);
    t->data = s;
    eio_session_hold(s);
    s->upgrade_timer = t;
    uv_timer_start(t, on_upgrade_timeout, (uint64_t)s->srv->opt.upgrade_timeout_ms, 0);
    return 0;
}

static void upgrade_timer_stop(eio_session *s)
{
    if (!s->upgrade_timer)
        return;
    uv_close((uv_handle_t *)s->upgrade_timer, on_upgrade_timer_closed);
    s->upgrade_timer = NULL;
}

static void want_write(eio_session *s, void *conn)
{
    if (conn && s->srv->ops)
        s->srv->ops->want_write(conn);
}

/* Ends the session now: the close callback runs, the transports are told. A held GET is answered with
 * get_final ("1" when the server ends it, "6" when the client asked to close). */
static void session_finish(eio_session *s, const char *reason, const char *get_final)
{
    if (s->state == ST_CLOSED)
        return;
    eio_server *srv = s->srv;
    s->state = ST_CLOSED;
    srv->stats.closed[close_reason(reason)]++;
    if (s->ws_mode)
        srv->stats.websocket--;
    eio_session_hold(s);
    hub_map_del(&srv->sessions, s->sid, SID_LEN);
    uv_timer_stop(&s->timer);
    upgrade_timer_stop(s);
    if (s->get) {
        s->get_final = get_final;
        want_write(s, s->get);
    }
    if (s->ws && srv->ops)
        srv->ops->close(s->ws);
    if (srv->cb && srv->cb->close)
        srv->cb->close(srv->ud, s, reason);
    hub_outq_clear(&s->q);
    uv_close((uv_handle_t *)&s->timer, on_handle_closed);
    eio_session_release(s); /* the map's reference */
    eio_session_release(s);
}

static void on_timer(uv_timer_t *t);

/* v4: the server pings pingInterval from now. v3: the client must ping within pingInterval +
 * pingTimeout, so the timer goes straight to the pong phase with that delay. */
static void heartbeat_schedule(eio_session *s)
{
    uint64_t both = (uint64_t)s->srv->opt.ping_interval_ms + (uint64_t)s->srv->opt.ping_timeout_ms;

    s->deadline = uv_now(s->srv->loop) + both;
    if (s->protocol == 3) {
        s->phase = PH_PONG;
        uv_timer_start(&s->timer, on_timer, both, 0);
        return;
    }
    s->phase = PH_PING;
    uv_timer_start(&s->timer, on_timer, (uint64_t)s->srv->opt.ping_interval_ms, 0);
}

static int queue_frames(eio_session *s, hub_frame *const *frames, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len;
        int rc = hub_outq_push(&s->q, frames[i]);
        if (rc)
            return rc;
        hub_frame_packet(frames[i], &len);
        s->srv->stats.packets_out++;
        s->srv->stats.bytes_out += len;
    }
    if (!s->want_write) {
        void *conn = s->ws_mode ? s->ws : s->get;
        if (conn) {
            s->want_write = 1;
            want_write(s, conn);
        }
    }
    return 0;
}

/* Closes later, from the loop, so that callers iterating over sessions never see one vanish. */
static void finish_deferred(eio_session *s, const char *reason)
{
    if (s->state == ST_CLOSED || s->phase == PH_FINISH)
        return;
    s->state = ST_CLOSING;
    s->phase = PH_FINISH;
    s->finish_reason = reason;
    uv_timer_start(&s->timer, on_timer, 0, 0);
}

static void on_timer(uv_timer_t *t)
{
    eio_session *s = t->data;
    switch (s->phase) {
    case PH_PING:
        s->phase = PH_PONG;
        uv_timer_start(&s->timer, on_timer, (uint64_t)s->srv->opt.ping_timeout_ms, 0);
        if (queue_frames(s, &s->srv->ping, 1))
            session_finish(s, "transport error", "1");
        break;
    case PH_PONG:
        session_finish(s, "ping timeout", "1");
        break;
    case PH_CLOSE_WAIT:
        session_finish(s, "forced close", "1");
        break;
    case PH_FINISH:
        session_finish(s, s->finish_reason, "1");
        break;
    }
}

static void on_upgrade_timeout(uv_timer_t *t)
{
    eio_session *s = t->data;
    if (!s->ws_mode && s->ws && s->srv->ops)
        s->srv->ops->close(s->ws);
}


/* The handshake is kept as one compact allocation, not as JSON: an idle session would otherwise hold
 * a couple of kilobytes of JSON objects that hardly anyone reads. Layout:
 *   "<issued ms>\0<secure 0|1>\0<xdomain 0|1>\0<url>\0<address>\0<nheaders>\0" then
 *   nheaders "name\0value\0" pairs, then the query's "name\0value\0" pairs, then an empty string. */
static size_t pairs_len(const json_t *o)
{
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) n += strlen(k) + 1 + strlen(json_string_value(v) ? json_string_value(v) : "") + 1;
    return n;
}

static char *pairs_put(char *p, const json_t *o)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        const char *sv = json_string_value(v) ? json_string_value(v) : "";
        p = stpcpy(p, k) + 1;
        p = stpcpy(p, sv) + 1;
    }
    return p;
}

static char *snapshot_new(const struct eio_request *req)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char head[96];
    int xdomain = req->headers && json_object_get(req->headers, "origin") != NULL;
    size_t nh = req->headers ? json_object_size(req->headers) : 0;
    int hl = snprintf(head, sizeof head, "%lld%c%d%c%d", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                      '\0', req->secure ? 1 : 0, '\0', xdomain);
    const char *url = req->url ? req->url : "", *addr = req->address ? req->address : "";
    char nbuf[24];
    int nl = snprintf(nbuf, sizeof nbuf, "%zu", nh);
    size_t len = (size_t)hl + 1 + strlen(url) + 1 + strlen(addr) + 1 + (size_t)nl + 1 +
                 (req->headers ? pairs_len(req->headers) : 0) + (req->query ? pairs_len(req->query) : 0) + 1;
    char *snap = hub_malloc(len), *p = snap;
    if (!snap)
        return NULL;
    memcpy(p, head, (size_t)hl + 1);
    p += hl + 1;
    p = stpcpy(p, url) + 1;
    p = stpcpy(p, addr) + 1;
    p = stpcpy(p, nbuf) + 1;
    if (req->headers)
        p = pairs_put(p, req->headers);
    if (req->query)
        p = pairs_put(p, req->query);
    *p = '\0';
    return snap;
}

static const char *next_str(const char *p)
{
    return p + strlen(p) + 1;
}

json_t *eio_session_handshake_new(const eio_session *s)
{
    const char *p = s->handshake;
    if (!p)
        return json_object();
    long long issued = atoll(p);
    int secure = atoi(p = next_str(p));
    int xdomain = atoi(p = next_str(p));
    const char *url = p = next_str(p);
    const char *addr = p = next_str(p);
    size_t nh = (size_t)atoll(p = next_str(p));
    p = next_str(p);
    json_t *headers = json_object(), *query = json_object();
    for (size_t i = 0; *p && headers; i++) {
        const char *k = p, *v = next_str(p);
        json_object_set_new(i < nh ? headers : query, k, json_string(v));
        p = next_str(v);
    }
    char date[96];
    time_t sec = (time_t)(issued / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(date, sizeof date, "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", &tm);
    return json_pack("{s:o?,s:s,s:s,s:b,s:b,s:I,s:s,s:o?}", "headers", headers, "time", date, "address",
                     addr, "xdomain", xdomain, "secure", secure, "issued", (json_int_t)issued, "url",
                     url, "query", query);
}

/* The reference's computeProtocolRevision(): "4" is v4, anything else (or nothing) v3. */
static int request_protocol(const struct eio_request *req)
{
    return req->eio && strcmp(req->eio, "4") == 0 ? 4 : 3;
}

static eio_session *session_new(eio_server *srv, const struct eio_request *req)
{
    eio_session *s = hub_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->srv = srv;
    s->protocol = request_protocol(req);
    s->refs = 2; /* the map, and the heartbeat timer until it is closed */
    hub_outq_init(&s->q);
    s->handshake = snapshot_new(req);
    if (req->jsonp && s->handshake) { /* the index is the handshake's for the whole session */
        size_t n = strlen(req->jsonp);
        if ((s->jsonp = hub_malloc(n + 1)))
            s->jsonp_len = jsonp_index(req->jsonp, n, s->jsonp);
        else
            hub_free(s->handshake), s->handshake = NULL;
    }
    do
        hub_random_id(s->sid);
    while (hub_map_get(&srv->sessions, s->sid, SID_LEN));
    if (!s->handshake || hub_map_put(&srv->sessions, s->sid, SID_LEN, s)) {
        hub_free(s->handshake);
        hub_free(s->jsonp);
        hub_free(s);
        return NULL;
    }
    srv->allocated++;
    uv_timer_init(srv->loop, &s->timer);
    s->timer.data = s;
    heartbeat_schedule(s);
    return s;
}

/* The open packet; over v3 polling framed as a one-packet payload. v3 gets maxPayload too: the
 * reference sends the same open packet to both revisions. */
static char *open_payload(eio_server *srv, const char *sid, int polling, int protocol, size_t *len)
{
    char buf[256 + EIO3_HEADER_MAX];
    int n = snprintf(buf + EIO3_HEADER_MAX, sizeof buf - EIO3_HEADER_MAX,
                     "0{\"sid\":\"%s\",\"upgrades\":%s,\"pingInterval\":%d,\"pingTimeout\":%d,"
                     "\"maxPayload\":%zu}",
                     sid, polling ? "[\"websocket\"]" : "[]", srv->opt.ping_interval_ms,
                     srv->opt.ping_timeout_ms, srv->opt.max_payload);
    char *start = buf + EIO3_HEADER_MAX;
    if (polling && protocol == 3) {
        char head[EIO3_HEADER_MAX];
        size_t h = eio3_text_header(head, (size_t)n);
        start -= h;
        memcpy(start, head, h);
        n += (int)h;
    }
    *len = (size_t)n;
    return hub_strndup(start, (size_t)n);
}

/* ---- the session API the Socket.IO layer uses ---- */

int eio_session_send(eio_session *s, hub_frame *const *frames, size_t n)
{
    if (s->state != ST_OPEN)
        return HUB_ECLOSED;
    size_t bytes = 0, len;
    for (size_t i = 0; i < n; i++) {
        hub_frame_ws(frames[i], &len);
        bytes += len;
    }
    if (s->q.bytes + bytes > s->srv->opt.max_buffered_bytes) {
        s->srv->stats.slow_consumers++;
        hub_log(HUB_LOG_WARN, "session %s: send queue over %zu bytes, closing (slow consumer)",
                s->sid, s->srv->opt.max_buffered_bytes);
        finish_deferred(s, "transport error");
        return HUB_EFULL;
    }
    size_t before = s->q.count;
    int rc = queue_frames(s, frames, n);
    if (rc) {
        /* all or none: take back what was queued */
        while (s->q.count > before) {
            s->q.count--;
            hub_frame *f = s->q.ring[(s->q.head + s->q.count) % s->q.cap];
            hub_frame_ws(f, &len);
            s->q.bytes -= len;
            hub_frame_unref(f);
        }
    }
    return rc;
}

int eio_session_writable(const eio_session *s)
{
    if (s->state != ST_OPEN || s->q.count)
        return 0;
    return s->ws_mode ? s->ws != NULL : s->get != NULL && !s->upgrading;
}

void eio_session_close(eio_session *s)
{
    if (s->state != ST_OPEN)
        return;
    s->state = ST_CLOSING;
    if (s->ws_mode) {
        if (!s->q.count && s->ws && s->srv->ops)
            s->srv->ops->close(s->ws);
        return;
    }
    /* polling: the close packet follows what is queued; the next GET takes both */
    hub_outq_push(&s->q, s->srv->close);
    if (s->get && !s->want_write) {
        s->want_write = 1;
        want_write(s, s->get);
    }
    s->phase = PH_CLOSE_WAIT;
    uv_timer_start(&s->timer, on_timer,
                   (uint64_t)s->srv->opt.ping_interval_ms + (uint64_t)s->srv->opt.ping_timeout_ms, 0);
}

const char *eio_session_id(const eio_session *s)
{
    return s->sid;
}

int eio_session_protocol(const eio_session *s)
{
    return s->protocol;
}

const char *eio_session_transport(const eio_session *s)
{
    return s->ws_mode ? "websocket" : "polling";
}

void eio_session_set_user(eio_session *s, void *user)
{
    s->user = user;
}

void *eio_session_user(const eio_session *s)
{
    return s->user;
}

/* ---- packets from the client ---- */

/* Returns 0 to go on, -1 when the session ended. */
static int handle_packet(eio_session *s, const struct eio_packet *p)
{
    if (s->state == ST_CLOSED)
        return -1;
    s->srv->stats.packets_in++;
    s->srv->stats.bytes_in += p->len + (p->binary ? 0 : 1);
    switch (p->type) {
    case EIO_MESSAGE:
        if (s->state == ST_OPEN && s->srv->cb && s->srv->cb->message)
            s->srv->cb->message(s->srv->ud, s, p->data, p->len, p->binary);
        break;
    case EIO_PONG:
        if (s->protocol == 3) { /* "invalid heartbeat direction" */
            session_finish(s, "transport error", "1");
            break;
        }
        if (s->state == ST_OPEN)
            heartbeat_schedule(s);
        break;
    case EIO_PING:
        if (s->protocol != 3) {
            session_finish(s, "transport error", "1");
            break;
        }
        if (s->state == ST_OPEN) {
            heartbeat_schedule(s);
            if (queue_frames(s, &s->srv->pong, 1))
                session_finish(s, "transport error", "1");
        }
        break;
    case EIO_CLOSE:
        session_finish(s, "transport close", "6");
        break;
    case EIO_NOOP:
        break;
    default: /* open or upgrade out of place */
        session_finish(s, "transport error", "1");
        break;
    }
    return s->state == ST_CLOSED ? -1 : 0;
}

/* ---- HTTP long-polling ---- */

void eio_reply_clear(struct eio_reply *r)
{
    hub_free(r->body);
    memset(r, 0, sizeof(*r));
}

static const char *const error_messages[] = {
    "Transport unknown", "Session ID unknown", "Bad handshake method", "Bad request", "Forbidden",
    "Unsupported protocol version",
};

void eio_reply_error(struct eio_reply *reply, int code)
{
    char buf[96];
    int n = snprintf(buf, sizeof buf, "{\"code\":%d,\"message\":\"%s\"}", code, error_messages[code]);
    reply->status = 400;
    reply->content_type = "application/json";
    reply->body = hub_strndup(buf, (size_t)n);
    reply->len = reply->body ? (size_t)n : 0;
}

static void reply_text(struct eio_reply *reply, int status, const char *type, const char *text)
{
    reply->status = status;
    reply->content_type = type;
    reply->len = strlen(text);
    reply->body = hub_strndup(text, reply->len);
}

static int is_transport(const char *t)
{
    return t && (strcmp(t, "polling") == 0 || strcmp(t, "websocket") == 0);
}

/* The ping deadline is checked whenever a request arrives, not only by the timer. */
static int deadline_passed(eio_session *s)
{
    if (s->state == ST_OPEN && uv_now(s->srv->loop) >= s->deadline) {
        uv_update_time(s->srv->loop);
        if (uv_now(s->srv->loop) >= s->deadline) {
            session_finish(s, "ping timeout", "1");
            return 1;
        }
    }
    return 0;
}

/* A JSONP session's GET body (reply, status 200) wrapped as the reference's JSONP doWrite; a v3
 * binary payload becomes what JSON.stringify makes of a Buffer. The result is a string, so the
 * content type is text/plain, as the reference's Polling.doWrite gives it. Returns 0 or HUB_ENOMEM
 * (reply untouched). */
static int jsonp_wrap(const eio_session *s, struct eio_reply *reply)
{
    size_t max = jsonp_encoded_max(s->jsonp_len, reply->len);
    int buffer = strcmp(reply->content_type, "application/octet-stream") == 0;
    char *out = max ? hub_malloc(max) : NULL;

    if (!out)
        return HUB_ENOMEM;
    reply->len = jsonp_encode(s->jsonp, s->jsonp_len, (const uint8_t *)reply->body, reply->len, buffer, out);
    hub_free(reply->body);
    reply->body = out;
    reply->content_type = "text/plain; charset=UTF-8";
    return 0;
}

enum eio_poll_result eio_poll_request(eio_server *srv, const struct eio_request *req, void *conn,
                                      eio_session **session, struct eio_reply *reply)
{
    memset(reply, 0, sizeof(*reply));
    *session = NULL;
    if (!is_transport(req->transport)) {
        eio_reply_error(reply, 0);
        return EIO_REPLY_NOW;
    }
    if (!req->sid) {
        if (req->method != EIO_M_GET)
            eio_reply_error(reply, 2);
        else if (strcmp(req->transport, "polling") != 0)
            eio_reply_error(reply, 3);
        else if (request_protocol(req) == 3 && !srv->opt.allow_eio3)
            eio_reply_error(reply, 5);
        if (reply->status)
            return EIO_REPLY_NOW;
        eio_session *s = srv->freeing ? NULL : session_new(srv, req);
        if (!s) {
            reply_text(reply, 503, "text/plain; charset=UTF-8", "");
            return EIO_REPLY_NOW;
        }
        s->poll_b64 = req->b64;
        reply->status = 200;
        reply->content_type = "text/plain; charset=UTF-8";
        reply->body = open_payload(srv, s->sid, 1, s->protocol, &reply->len);
        if (s->jsonp && reply->body && jsonp_wrap(s, reply)) {
            hub_free(reply->body); /* as when open_payload() fails: an empty answer */
            reply->body = NULL;
            reply->len = 0;
        }
        srv->stats.opened++;
        if (srv->cb && srv->cb->open)
            srv->cb->open(srv->ud, s);
        return EIO_REPLY_NOW;
    }
    eio_session *s = hub_map_get(&srv->sessions, req->sid, strlen(req->sid));
    if (!s || deadline_passed(s)) {
        eio_reply_error(reply, 1);
        return EIO_REPLY_NOW;
    }
    if (s->ws_mode || strcmp(req->transport, "polling") != 0 || request_protocol(req) != s->protocol) {
        eio_reply_error(reply, 3);
        return EIO_REPLY_NOW;
    }
    if (req->method == EIO_M_GET) {
        if (s->get && srv->ops && srv->ops->alive && !srv->ops->alive(s->get)) {
            eio_poll_dropped(s, s->get); /* the earlier poll's client went away */
            eio_reply_error(reply, 1);
            return EIO_REPLY_NOW;
        }
        if (s->get) {
            /* overlapping polls: the newcomer is refused and the session ends */
            reply_text(reply, 400, "text/html", "");
            session_finish(s, "transport error", "1");
            return EIO_REPLY_NOW;
        }
        s->get = conn;
        eio_session_hold(s);
        *session = s;
        if (s->q.count || s->upgrading || s->state == ST_CLOSED) {
            s->want_write = 1;
            want_write(s, conn);
        }
        return EIO_HELD;
    }
    if (req->method == EIO_M_POST) {
        if (s->post_busy || (req->binary_content && s->protocol != 3)) {
            reply_text(reply, 400, "text/html", "");
            session_finish(s, "transport error", "1");
            return EIO_REPLY_NOW;
        }
        s->post_busy = 1;
        s->post_binary = req->binary_content;
        eio_session_hold(s);
        *session = s;
        return EIO_READ_BODY;
    }
    reply_text(reply, 500, "text/html", "");
    return EIO_REPLY_NOW;
}

/* Joins the queued packets into one polling body. */
static char *join_queue(struct hub_outq *q, size_t *len)
{
    size_t total = 0, n;
    for (size_t i = 0; i < q->count; i++) {
        hub_frame *f = q->ring[(q->head + i) % q->cap];
        hub_frame_packet(f, &n);
        total += (i ? 1 : 0) + (hub_frame_is_binary(f) ? eio_segment_len(1, n) : n);
    }
    char *body = hub_malloc(total + 1);
    if (!body)
        return NULL;
    char *p = body;
    hub_frame *f;
    int first = 1;
    while ((f = hub_outq_pop(q))) {
        const uint8_t *data = hub_frame_packet(f, &n);
        if (!first)
            *p++ = EIO_SEPARATOR;
        first = 0;
        if (hub_frame_is_binary(f))
            p += eio_encode_segment(EIO_MESSAGE, 1, data, n, p);
        else {
            memcpy(p, data, n);
            p += n;
        }
        hub_frame_unref(f);
    }
    *p = '\0';
    *len = (size_t)(p - body);
    return body;
}

/* A v3 payload of the queued packets: binary framing when the transport takes XHR2 binary and some
 * packet is binary (the reference's encodePayloadAsBinary), else "<length>:<packet>" text with binary
 * packets as "b4<base64>". *binary tells which. */
static char *join_queue_v3(struct hub_outq *q, int b64, size_t *len, int *binary)
{
    size_t total = 0, n, i;
    int bin = 0;

    for (i = 0; i < q->count && !b64; i++)
        bin |= hub_frame_is_binary(q->ring[(q->head + i) % q->cap]);
    for (i = 0; i < q->count; i++) {
        hub_frame *f = q->ring[(q->head + i) % q->cap];
        hub_frame_packet(f, &n);
        total += EIO3_HEADER_MAX + (hub_frame_is_binary(f) ? (bin ? 1 + n : eio3_b64_len(n)) : n);
    }
    char *body = hub_malloc(total + 1);
    if (!body)
        return NULL;
    char *p = body;
    hub_frame *f;
    while ((f = hub_outq_pop(q))) {
        const uint8_t *data = hub_frame_packet(f, &n);
        if (bin && hub_frame_is_binary(f)) {
            p += eio3_binary_header((uint8_t *)p, 0, 1 + n);
            *p++ = (char)EIO_MESSAGE;
            memcpy(p, data, n);
            p += n;
        } else if (bin) {
            p += eio3_binary_header((uint8_t *)p, 1, n);
            memcpy(p, data, n);
            p += n;
        } else if (hub_frame_is_binary(f)) {
            p += eio3_text_header(p, eio3_b64_len(n));
            p += eio3_encode_b64(EIO_MESSAGE, data, n, p);
        } else {
            p += eio3_text_header(p, eio3_utf16_len((const char *)data, n));
            memcpy(p, data, n);
            p += n;
        }
        hub_frame_unref(f);
    }
    *p = '\0';
    *len = (size_t)(p - body);
    *binary = bin;
    return body;
}

int eio_poll_reply(eio_session *s, void *conn, struct eio_reply *reply)
{
    memset(reply, 0, sizeof(*reply));
    if (s->get != conn)
        return HUB_ESTATE;
    const char *fixed = NULL;
    if (s->state == ST_CLOSED)
        fixed = s->get_final ? s->get_final : "1";
    else if (s->ws_mode || (s->upgrading && !s->q.count))
        fixed = "6";
    else if (!s->q.count)
        return HUB_ESTATE;
    s->want_write = 0;
    s->get = NULL;
    reply->status = 200;
    reply->content_type = "text/plain; charset=UTF-8";
    if (fixed) {
        if (s->protocol == 3) { /* a one-packet v3 payload: "1:1", "1:6" */
            char one[4] = {'1', ':', fixed[0], '\0'};
            reply->len = 3;
            reply->body = hub_strndup(one, 3);
        } else {
            reply->len = 1;
            reply->body = hub_strndup(fixed, 1);
        }
        if (!reply->body || (s->jsonp && jsonp_wrap(s, reply))) {
            eio_reply_clear(reply);
            reply->status = 500;
        }
        return 0;
    }
    int closing = s->state == ST_CLOSING;
    if (s->protocol == 3) {
        int bin = 0;
        reply->body = join_queue_v3(&s->q, s->poll_b64, &reply->len, &bin);
        if (bin)
            reply->content_type = "application/octet-stream";
    } else {
        reply->body = join_queue(&s->q, &reply->len);
    }
    if (reply->body && s->jsonp && jsonp_wrap(s, reply))
        eio_reply_clear(reply);
    if (!reply->body) {
        reply->status = 500;
        session_finish(s, "transport error", NULL);
    } else if (closing) {
        session_finish(s, s->phase == PH_FINISH ? s->finish_reason : "forced close", NULL);
    }
    return 0;
}

void eio_poll_dropped(eio_session *s, void *conn)
{
    if (s->get != conn)
        return;
    s->get = NULL;
    s->want_write = 0;
    session_finish(s, "transport close", NULL);
}

/* Decodes one v3 packet (a text record, or a binary payload's record) and handles it. Returns 0 to
 * go on, -1 when the session ended. */
static int post_packet_v3(eio_session *s, int is_string, const char *rec, size_t n, uint8_t *scratch)
{
    struct eio_packet p;
    int rc = is_string ? eio3_decode_packet(rec, n, scratch, &p)
                       : eio3_decode_binary((const uint8_t *)rec, n, &p);
    if (rc) {
        session_finish(s, "parse error", "1");
        return -1;
    }
    return handle_packet(s, &p);
}

/* A v3 POST: a text payload, or a binary one (Content-Type application/octet-stream). A bad payload
 * closes the session ("parse error"), as the reference's decoder error packet does. */
static void poll_post_v3(eio_session *s, const char *body, size_t len)
{
    uint8_t *scratch = hub_malloc(b64_decoded_max(len) + 1);
    size_t pos = 0, n;
    int rc;

    if (!scratch) {
        session_finish(s, "transport error", "1");
        return;
    }
    if (s->post_binary) {
        const uint8_t *rec;
        int is_string;
        while ((rc = eio3_binary_payload_next((const uint8_t *)body, len, &pos, &is_string, &rec, &n)) == 1)
            if (post_packet_v3(s, is_string, (const char *)rec, n, scratch))
                break;
    } else {
        const char *rec;
        while ((rc = eio3_payload_next(body, len, &pos, &rec, &n)) == 1)
            if (post_packet_v3(s, 1, rec, n, scratch))
                break;
    }
    if (rc < 0)
        session_finish(s, "parse error", "1");
    hub_free(scratch);
}

void eio_poll_post(eio_session *s, const char *body, size_t len, struct eio_reply *reply)
{
    memset(reply, 0, sizeof(*reply));
    s->post_busy = 0;
    if (s->state == ST_CLOSED) {
        eio_reply_error(reply, 1);
        return;
    }
    char *form = NULL;
    if (s->jsonp) {
        /* the reference parses the body as a form: a binary one has no `d`, nor has a form
         * without exactly one; either is ignored */
        size_t n = 0;
        if (!s->post_binary && !(form = hub_malloc(len + 1))) {
            session_finish(s, "transport error", "1");
            reply_text(reply, 500, "text/html", "");
            return;
        }
        if (!form || !jsonp_decode_post(body, len, form, &n)) {
            hub_free(form);
            reply_text(reply, 200, "text/html", "ok");
            return;
        }
        body = form;
        len = n;
    }
    if (s->protocol == 3) {
        poll_post_v3(s, body, len);
        hub_free(form);
        reply_text(reply, 200, "text/html", "ok");
        return;
    }
    uint8_t *scratch = NULL;
    size_t pos = 0, seg_len;
    const char *seg;
    int any = 0;
    while (eio_payload_next(body, len, &pos, &seg, &seg_len)) {
        struct eio_packet p;
        any = 1;
        if (seg_len > 1 && seg[0] == 'b' && !scratch) {
            scratch = hub_malloc(b64_decoded_max(len));
            if (!scratch) {
                session_finish(s, "transport error", "1");
                break;
            }
        }
        if (seg_len == 0 || eio_decode_segment(seg, seg_len, scratch, &p)) {
            session_finish(s, "parse error", "1");
            break;
        }
        if (handle_packet(s, &p))
            break;
    }
    if (!any)
        session_finish(s, "parse error", "1");
    hub_free(scratch);
    hub_free(form);
    reply_text(reply, 200, "text/html", "ok");
}

void eio_poll_post_too_large(eio_session *s, struct eio_reply *reply)
{
    memset(reply, 0, sizeof(*reply));
    s->post_busy = 0;
    reply_text(reply, 413, "text/html", "");
}

/* ---- WebSocket ---- */

int eio_ws_open(eio_server *srv, const struct eio_request *req, void *conn, eio_session **session)
{
    *session = NULL;
    if (!req->transport || strcmp(req->transport, "websocket") != 0)
        return is_transport(req->transport) ? 3 : 0;
    if (!req->sid) {
        if (request_protocol(req) == 3 && !srv->opt.allow_eio3)
            return 5;
        eio_session *s = srv->freeing ? NULL : session_new(srv, req);
        if (!s)
            return 3;
        s->ws_b64 = req->b64;
        s->ws_mode = 1;
        srv->stats.websocket++;
        s->ws = conn;
        eio_session_hold(s);
        *session = s;
        size_t len;
        char *open = open_payload(srv, s->sid, 0, s->protocol, &len);
        hub_frame *f = open ? hub_frame_new_text(EIO_OPEN, open + 1, len - 1) : NULL;
        hub_free(open);
        if (!f || queue_frames(s, &f, 1)) {
            hub_frame_unref(f);
            session_finish(s, "transport error", NULL);
            return 0;
        }
        hub_frame_unref(f);
        srv->stats.opened++;
        if (srv->cb && srv->cb->open)
            srv->cb->open(srv->ud, s);
        return 0;
    }
    eio_session *s = hub_map_get(&srv->sessions, req->sid, strlen(req->sid));
    if (!s || deadline_passed(s))
        return 1;
    if (s->ws_mode || s->ws || s->upgrading || s->state != ST_OPEN || request_protocol(req) != s->protocol)
        return 3;
    s->ws = conn;
    s->ws_b64 = req->b64;
    eio_session_hold(s);
    *session = s;
    if (upgrade_timer_start(s)) {
        s->ws = NULL;
        eio_session_release(s);
        *session = NULL;
        return 3;
    }
    return 0;
}

static void probe_message(eio_session *s, void *conn, const uint8_t *data, size_t len, int binary)
{
    struct eio_packet p;
    if (!binary && eio_decode_text((const char *)data, len, &p) == 0) {
        if (p.type == EIO_PING && !s->upgrading && p.len == 5 && memcmp(p.data, "probe", 5) == 0) {
            s->upgrading = 1;
            s->probe_pong = 1;
            want_write(s, conn);
            if (s->get && !s->want_write) { /* a held GET gets a noop at once */
                s->want_write = 1;
                want_write(s, s->get);
            }
            return;
        }
        if (p.type == EIO_UPGRADE && s->upgrading) {
            upgrade_timer_stop(s);
            s->ws_mode = 1;
            s->upgrading = 0;
            s->srv->stats.websocket++;
            s->srv->stats.upgrades++;
            if (s->get) {
                s->want_write = 1;
                want_write(s, s->get);
            }
            s->want_write = 0;
            if (s->q.count || s->probe_pong) {
                s->want_write = 1;
                want_write(s, conn);
            }
            if (s->state == ST_CLOSING && !s->q.count && !s->probe_pong && s->srv->ops)
                s->srv->ops->close(conn);
            else if (s->state == ST_OPEN && s->srv->cb && s->srv->cb->upgrade)
                s->srv->cb->upgrade(s->srv->ud, s);
            return;
        }
    }
    /* anything else aborts the upgrade; the session goes on polling */
    if (s->srv->ops)
        s->srv->ops->close(conn);
}

/* v3 frames: text is a packet as in a text payload ("b4<base64>" for binary data), binary starts with
 * the type byte. A binary frame of no known type is dropped, as the reference's undefined packet. */
static void ws_message_v3(eio_session *s, const uint8_t *data, size_t len, int binary)
{
    struct eio_packet p;
    uint8_t *scratch = NULL;

    if (binary) {
        if (eio3_decode_binary(data, len, &p) == 0)
            handle_packet(s, &p);
        return;
    }
    if (len > 1 && data[0] == 'b' && !(scratch = hub_malloc(b64_decoded_max(len) + 1))) {
        session_finish(s, "transport error", NULL);
        return;
    }
    if (eio3_decode_packet((const char *)data, len, scratch, &p))
        session_finish(s, "parse error", NULL);
    else
        handle_packet(s, &p);
    hub_free(scratch);
}

void eio_ws_message(eio_session *s, void *conn, const uint8_t *data, size_t len, int binary)
{
    if (s->state == ST_CLOSED || conn != s->ws)
        return;
    if (!s->ws_mode) {
        probe_message(s, conn, data, len, binary);
        return;
    }
    if (deadline_passed(s))
        return;
    struct eio_packet p;
    if (s->protocol == 3) {
        ws_message_v3(s, data, len, binary);
        return;
    }
    if (binary)
        eio_decode_binary(data, len, &p);
    else if (eio_decode_text((const char *)data, len, &p)) {
        session_finish(s, "parse error", NULL);
        return;
    }
    handle_packet(s, &p);
}

void eio_ws_too_large(eio_session *s, void *conn)
{
    if (conn == s->ws && s->ws_mode)
        session_finish(s, "transport error", NULL);
    else if (conn == s->ws && s->srv->ops)
        s->srv->ops->close(conn);
}

/* Copies whole frames of s's queue into buf. A v3 session's binary frames are rewritten on the way
 * (hub_frame_v3_ws_*): the shared frame holds the v4 form. */
static size_t drain(eio_session *s, uint8_t *buf, size_t cap, hub_frame **big)
{
    struct hub_outq *q = &s->q;
    size_t used = 0, n;
    hub_frame *f;
    while ((f = hub_outq_peek(q))) {
        int v3bin = s->protocol == 3 && hub_frame_is_binary(f);
        const uint8_t *bytes = v3bin ? NULL : hub_frame_ws(f, &n);
        if (v3bin)
            n = hub_frame_v3_ws_len(f, s->ws_b64);
        if (n > cap - used) {
            if (used == 0) {
                *big = hub_outq_pop(q);
                if (v3bin) {
                    hub_frame *g = hub_frame_new_v3_ws(*big, s->ws_b64);
                    hub_frame_unref(*big);
                    *big = g;
                    if (!g)
                        finish_deferred(s, "transport error");
                }
            }
            break;
        }
        if (v3bin)
            hub_frame_v3_ws_write(f, s->ws_b64, buf + used);
        else
            memcpy(buf + used, bytes, n);
        used += n;
        hub_frame_unref(hub_outq_pop(q));
    }
    return used;
}

size_t eio_ws_writable(eio_session *s, void *conn, uint8_t *buf, size_t cap, int *more, hub_frame **big)
{
    *more = 0;
    *big = NULL;
    if (conn != s->ws)
        return 0;
    size_t used = 0;
    if (s->probe_pong) {
        size_t n;
        const uint8_t *pong = hub_frame_ws(s->srv->pong_probe, &n);
        if (n <= cap) {
            memcpy(buf, pong, n);
            used = n;
            s->probe_pong = 0;
        }
    }
    if (!s->probe_pong && s->ws_mode && s->state != ST_CLOSED) {
        s->want_write = 0;
        used += drain(s, buf + used, cap - used, big);
    }
    *more = s->probe_pong || (s->ws_mode && s->q.count);
    if (*more)
        s->want_write = 1;
    else if (s->ws_mode && s->state == ST_CLOSING && s->phase != PH_FINISH && s->srv->ops)
        s->srv->ops->close(conn); /* a server close: everything queued is out */
    return used;
}

void eio_ws_closed(eio_session *s, void *conn)
{
    if (conn == s->ws) {
        s->ws = NULL;
        s->probe_pong = 0;
        if (s->ws_mode)
            session_finish(s, s->state == ST_CLOSING ? "forced close" : "transport close", NULL);
        else {
            s->upgrading = 0;
            upgrade_timer_stop(s);
            if (s->get && s->q.count && !s->want_write) {
                s->want_write = 1;
                want_write(s, s->get);
            }
        }
    }
    eio_session_release(s);
}
