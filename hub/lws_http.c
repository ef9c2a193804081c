/* lws_http.c - libwebsockets glue: HTTP long-polling and WebSocket in, Engine.IO engine calls out.
 *
 * Facts this relies on (shared/protocols/libwebsockets-4.1.md): one protocol at index 0 serves both the
 * HTTP requests and the WebSocket upgrade of the same path; a held GET must clear lws's 5 s transaction
 * timeout and take POLLIN off its fd (else a dropped GET makes lws spin) and get POLLIN back before it is
 * asked to write; the per-session data is per HTTP transaction; WebSocket frames are built by Hubbub and
 * written many at a time with LWS_WRITE_RAW from the writeable callback. */
#include "http.h"

#include <errno.h>
#include <stdlib.h>
#include <libwebsockets.h>
#include <string.h>
#include <sys/socket.h>

#include "engine_echo.h"
#include "engine_transport.h"
#include "httpx.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "log.h"
#include "lws_client.h"

#define BATCH_CAP 65536
/* lws keeps a receive buffer of this size per WebSocket for its whole life (larger messages arrive
 * in pieces and are put together here), and reads at most this much per poll. So it sets both an
 * idle connection's memory and how many messages one loop turn takes in, and with them how many
 * messages each fan-out write carries. Measured (docs/BENCHMARKS.md): 512 bytes: 4.6 KB per idle
 * connection, 1.3M burst deliveries/s; 2048: 6.2 KB, 4.3M/s; 4096: 8.2 KB, 7.1M/s. */
#define RX_CHUNK 2048
/* A reassembly buffer grown past this is given back once its message is delivered. */
#define RX_KEEP 4096
#define ORIGIN_MAX 256

enum pss_kind { K_NONE, K_REPLY, K_GET, K_POST, K_WS, K_ROUTE };

struct pss {
    enum pss_kind kind;
    struct lws *wsi;
    eio_server *eng;
    eio_session *s;
    struct eio_reply reply;
    int reply_ready;
    int held;        /* a GET held with rx flow control off */
    int want;        /* the engine asked for a write */
    int established; /* WebSocket handshake done */
    int close_req;
    int preflight;
    char *body;
    size_t body_len, body_cap;
    int body_over;
    uint8_t *rx;
    size_t rx_len, rx_cap;
    int rx_binary;
    struct pss *held_prev, *held_next;
    struct pss *dirty_prev, *dirty_next; /* WebSockets with frames to flush this loop turn */
    int dirty;
    int head;               /* a HEAD request: the reply's headers describe a body not sent */
    char origin[ORIGIN_MAX];
    hub_httpx *x;           /* a route's exchange, until it is answered */
    int dispatched;         /* the route's handler ran (once per exchange) */
    struct hub_route_match route;
    char *xheaders;         /* a route reply's extra headers: "name: value\0" ... "\0" */
    char ctype[96];
};

struct hub_httpx {
    struct lws *wsi;
    struct pss *p;
    hub_http *h;
    const char *method;
    char *path, *query;
    char peer[64];
    void (*abort_fn)(void *);
    void *abort_ud;
};

struct hub_http {
    struct lws_context *cx;
    hub_server *srv;
    const hub_routes *routes;
    const struct hub_config *cfg;
    eio_server *echo;
    uv_timer_t sweep;
    struct pss *held;   /* held GETs, swept for dropped connections */
    struct pss *dirty;  /* WebSockets to flush at the end of this loop turn */
    uv_check_t flush;   /* runs the flush after the loop's I/O callbacks */
    uv_idle_t awake;    /* keeps the loop from blocking while a flush is due */
    uint8_t *batch;     /* LWS_PRE + BATCH_CAP */
    int port;
    int stopped;
    struct lws_vhost *side_vh;    /* a listener of routes only (hub_http_listen), or NULL */
    const hub_routes *side_routes;
};

static hub_http *http_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

/* ---- engine transport ops ---- */

static void held_unlink(hub_http *h, struct pss *p)
{
    if (!p->held)
        return;
    p->held = 0;
    if (p->held_prev)
        p->held_prev->held_next = p->held_next;
    else
        h->held = p->held_next;
    if (p->held_next)
        p->held_next->held_prev = p->held_prev;
    p->held_prev = p->held_next = NULL;
}

/* A request answered later: clear lws's transaction timeout and take POLLIN off the fd (else a client
 * that drops it makes lws 4.1 spin); the sweep notices drops. */
static void hold(hub_http *h, struct lws *wsi, struct pss *p)
{
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    lws_rx_flow_control(wsi, 0);
    p->held = 1;
    p->held_next = h->held;
    if (h->held)
        h->held->held_prev = p;
    h->held = p;
}

/* WebSocket writes are gathered per loop turn and written directly from a check handle: asking lws
 * for a writeable callback per message costs four epoll_ctl calls (libuv re-arms the poll), which
 * dominated the CPU of one-message-at-a-time traffic. */
static void on_awake(uv_idle_t *idle)
{
    /* nothing: an active idle handle makes the loop poll without blocking, so the check runs */
}

static void dirty_add(hub_http *h, struct pss *p)
{
    if (p->dirty)
        return;
    p->dirty = 1;
    p->dirty_prev = NULL;
    p->dirty_next = h->dirty;
    if (h->dirty)
        h->dirty->dirty_prev = p;
    h->dirty = p;
    if (!uv_is_active((uv_handle_t *)&h->awake))
        uv_idle_start(&h->awake, on_awake);
}

static void dirty_unlink(hub_http *h, struct pss *p)
{
    if (!p->dirty)
        return;
    p->dirty = 0;
    if (p->dirty_prev)
        p->dirty_prev->dirty_next = p->dirty_next;
    else
        h->dirty = p->dirty_next;
    if (p->dirty_next)
        p->dirty_next->dirty_prev = p->dirty_prev;
    p->dirty_prev = p->dirty_next = NULL;
}

static void op_want_write(void *conn)
{
    struct lws *wsi = conn;
    struct pss *p = lws_wsi_user(wsi);
    if (!p)
        return;
    p->want = 1;
    if (p->kind == K_WS && !p->established)
        return; /* ESTABLISHED asks for it */
    if (p->kind == K_WS) {
        dirty_add(http_of(wsi), p);
        return;
    }
    if (p->held) {
        held_unlink(http_of(wsi), p);
        lws_rx_flow_control(wsi, 1);
    }
    lws_callback_on_writable(wsi);
}

static void op_close(void *conn)
{
    struct lws *wsi = conn;
    struct pss *p = lws_wsi_user(wsi);
    if (!p)
        return;
    p->close_req = 1;
    if (p->established)
        lws_callback_on_writable(wsi);
}

/* 0 when the peer closed: the fd reads EOF (or fails) without consuming anything. */
static int peer_alive(struct lws *wsi)
{
    char c;
    ssize_t r = recv(lws_get_socket_fd(wsi), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return !(r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
}

static int op_alive(void *conn)
{
    return peer_alive(conn);
}

static const struct eio_transport_ops transport_ops = {
    .want_write = op_want_write,
    .close = op_close,
    .alive = op_alive,
};

/* ---- requests ---- */

static enum eio_method request_method(struct lws *wsi)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
        return EIO_M_GET;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
        return EIO_M_POST;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI))
        return EIO_M_OPTIONS;
    return EIO_M_OTHER;
}

static json_t *request_headers(struct lws *wsi)
{
    json_t *o = json_object();
    char name[64], val[1024];
    for (int t = 0; o && t < WSI_TOKEN_COUNT; t++) {
        if (t == WSI_TOKEN_GET_URI || t == WSI_TOKEN_POST_URI || t == WSI_TOKEN_OPTIONS_URI ||
            t == WSI_TOKEN_HTTP_URI_ARGS || lws_hdr_total_length(wsi, (enum lws_token_indexes)t) <= 0)
            continue;
        const char *tn = (const char *)lws_token_to_string((enum lws_token_indexes)t);
        size_t tl = tn ? strlen(tn) : 0;
        /* header tokens read "name:"; the others ("http/1.1", pseudo-headers) are not headers */
        if (tl < 2 || tn[0] == ':' || tn[tl - 1] != ':')
            continue;
        size_t n = 0;
        for (; tn[n] && tn[n] != ':' && tn[n] != ' ' && n < sizeof name - 1; n++)
            name[n] = (char)((tn[n] >= 'A' && tn[n] <= 'Z') ? tn[n] + 32 : tn[n]);
        name[n] = '\0';
        if (lws_hdr_copy(wsi, val, sizeof val, (enum lws_token_indexes)t) < 0)
            continue;
        json_object_set_new(o, name, json_string(val));
    }
    return o;
}

/* Fills req from the wsi's header table. Strings live in b; the JSON objects (only built for
 * handshakes, which need them) must be released with json_decref. */
struct req_bufs {
    char eio[8], transport[32], sid[64], url[1024], address[64], j[256];
};

/* Walks the query arguments once (lws stores them url-decoded, one fragment per name=value), taking
 * EIO, transport and sid by exact name. lws_get_urlarg_by_name() is not used: it matches by prefix and
 * stops at the first argument longer than its buffer. */
static void request_args(struct lws *wsi, struct eio_request *req, struct req_bufs *b, json_t *query)
{
    char frag[1024];
    for (int i = 0;; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0)
            break;
        char *eq = strchr(frag, '=');
        const char *val = eq ? eq + 1 : "";
        if (eq)
            *eq = '\0';
        char *dst = NULL;
        size_t cap = 0;
        const char **slot = NULL;
        if (strcmp(frag, "EIO") == 0)
            dst = b->eio, cap = sizeof b->eio, slot = &req->eio;
        else if (strcmp(frag, "transport") == 0)
            dst = b->transport, cap = sizeof b->transport, slot = &req->transport;
        else if (strcmp(frag, "sid") == 0)
            dst = b->sid, cap = sizeof b->sid, slot = &req->sid;
        else if (strcmp(frag, "j") == 0)
            dst = b->j, cap = sizeof b->j, slot = &req->jsonp;
        else if (strcmp(frag, "b64") == 0)
            req->b64 = *val != '\0'; /* the reference tests the value's truth: "b64=" is no b64 */
        if (slot && !*slot) {
            /* a value too long for its buffer cannot be valid: keep it visibly wrong, not cut */
            size_t vl = strlen(val);
            if (vl >= cap)
                val = "?", vl = 1;
            memcpy(dst, val, vl + 1);
            *slot = dst;
        }
        if (query)
            json_object_set_new(query, frag, json_string(val));
    }
}

/* The query string as the client sent it, near enough: lws keeps the arguments url-decoded, one
 * fragment each (lws_hdr_copy would join them with ','), so they are encoded again and joined with
 * '&'. Returns the length, or -1 when it does not fit in len bytes. */
static int query_string(struct lws *wsi, char *buf, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char frag[1024];
    size_t o = 0;
    for (int i = 0;; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0)
            break;
        if (i && o + 1 < len)
            buf[o++] = '&';
        int seen_eq = 0;
        for (int k = 0; k < n; k++) {
            unsigned char c = (unsigned char)frag[k];
            int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '_' || c == '.' || c == '~';
            if (c == '=' && !seen_eq) {
                seen_eq = 1;
                plain = 1;
            }
            if (o + 4 > len)
                return -1;
            if (plain) {
                buf[o++] = (char)c;
            } else {
                buf[o++] = '%';
                buf[o++] = hex[c >> 4];
                buf[o++] = hex[c & 15];
            }
        }
    }
    if (o >= len)
        return -1;
    buf[o] = '\0';
    return (int)o;
}

/* Reads what every request needs; a handshake (no sid) also gets the handshake details. */
static void request_read(struct lws *wsi, const char *path, struct eio_request *req,
                         struct req_bufs *b)
{
    memset(req, 0, sizeof(*req));
    req->method = request_method(wsi);
    char ct[64];
    req->binary_content = lws_hdr_copy(wsi, ct, sizeof ct, WSI_TOKEN_HTTP_CONTENT_TYPE) > 0 &&
                          strncmp(ct, "application/octet-stream", 24) == 0;
    request_args(wsi, req, b, NULL);
    if (req->sid)
        return;
    req->query = json_object();
    req->eio = req->transport = req->jsonp = NULL;
    request_args(wsi, req, b, req->query);
    char args[900];
    int n = query_string(wsi, args, sizeof args);
    snprintf(b->url, sizeof b->url, "%s%s%s", path, n > 0 ? "?" : "", n > 0 ? args : "");
    req->url = b->url;
    lws_get_peer_simple(wsi, b->address, sizeof b->address);
    req->address = b->address;
    req->secure = lws_is_ssl(wsi);
    req->headers = request_headers(wsi);
}


static int cors_enabled(const struct hub_config *cfg)
{
    return cfg->cors_any || (cfg->cors_origins && cfg->cors_origins[0]);
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value,
                                       (int)strlen(value), p, end);
}

/* CORS headers as the `cors` package sets them for Socket.IO's cors option. */
static int add_cors(hub_http *h, struct pss *p, struct lws *wsi, unsigned char **pp, unsigned char *end)
{
    const struct hub_config *cfg = h->cfg;
    if (!cors_enabled(cfg))
        return 0;
    if (cfg->cors_any && !cfg->cors_credentials) {
        if (add_header(wsi, "access-control-allow-origin:", "*", pp, end))
            return -1;
    } else {
        if (p->origin[0] && hub_config_origin_allowed(cfg, p->origin) &&
            add_header(wsi, "access-control-allow-origin:", p->origin, pp, end))
            return -1;
        if (add_header(wsi, "vary:", "Origin", pp, end))
            return -1;
    }
    if (cfg->cors_credentials && add_header(wsi, "access-control-allow-credentials:", "true", pp, end))
        return -1;
    if (p->preflight) {
        if (add_header(wsi, "access-control-allow-methods:", "GET,HEAD,PUT,PATCH,POST,DELETE", pp, end))
            return -1;
    }
    return 0;
}

static void set_reply(struct lws *wsi, struct pss *p, struct eio_reply *r)
{
    p->reply = *r;
    memset(r, 0, sizeof(*r));
    p->reply_ready = 1;
    lws_callback_on_writable(wsi);
}

static void httpx_free(hub_httpx *x)
{
    hub_free(x->path);
    hub_free(x->query);
    hub_free(x);
}

static void pss_release(hub_http *h, struct pss *p)
{
    held_unlink(h, p);
    if (p->s) {
        if (p->kind == K_GET)
            eio_poll_dropped(p->s, p->wsi);
        eio_session_release(p->s);
        p->s = NULL;
    }
    if (p->x) {
        hub_httpx *x = p->x;
        p->x = NULL;
        if (x->abort_fn)
            x->abort_fn(x->abort_ud);
        httpx_free(x);
    }
    hub_free(p->xheaders);
    p->xheaders = NULL;
    eio_reply_clear(&p->reply);
    p->reply_ready = 0;
    hub_free(p->body);
    p->body = NULL;
    p->body_len = p->body_cap = 0;
    hub_free(p->rx);
    p->rx = NULL;
    p->rx_len = p->rx_cap = 0;
    p->kind = K_NONE;
}

static int path_is(const char *in, const char *path)
{
    if (!path)
        return 0;
    size_t n = strlen(path);
    if (strcmp(in, path) == 0)
        return 1;
    /* "/socket.io" matches "/socket.io/" */
    return n > 1 && path[n - 1] == '/' && strlen(in) == n - 1 && strncmp(in, path, n - 1) == 0;
}

static eio_server *engine_for(hub_http *h, const char *path)
{
    if (path_is(path, h->cfg->path))
        return hub_server_engine(h->srv); /* NULL once the server is shutting down */
    if (h->echo && path_is(path, h->cfg->engine_echo_path))
        return h->echo;
    return NULL;
}

static const char *method_name(struct lws *wsi)
{
    static const struct {
        enum lws_token_indexes t;
        const char *name;
    } m[] = {{WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
             {WSI_TOKEN_OPTIONS_URI, "OPTIONS"}, {WSI_TOKEN_PUT_URI, "PUT"},
             {WSI_TOKEN_PATCH_URI, "PATCH"},   {WSI_TOKEN_DELETE_URI, "DELETE"},
             {WSI_TOKEN_HEAD_URI, "HEAD"}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (lws_hdr_total_length(wsi, m[i].t) > 0)
            return m[i].name;
    return "OTHER";
}

static void route_call(hub_http *h, struct lws *wsi, struct pss *p)
{
    p->dispatched = 1;
    p->route.fn(p->route.ud, p->x);
    if (!p->reply_ready && p->x)
        hold(h, wsi, p); /* answered later */
}

static int route_begin(hub_http *h, struct lws *wsi, struct pss *p, const char *path,
                       const struct hub_route_match *m)
{
    hub_httpx *x = hub_calloc(1, sizeof(*x));
    char args[4096];
    int n = query_string(wsi, args, sizeof args);
    if (x) {
        x->path = hub_strdup(path);
        x->query = hub_strdup(n > 0 ? args : "");
    }
    if (!x || !x->path || !x->query) {
        if (x)
            httpx_free(x);
        return -1;
    }
    x->wsi = wsi;
    x->p = p;
    x->h = h;
    x->method = method_name(wsi);
    lws_get_peer_simple(wsi, x->peer, sizeof x->peer);
    p->kind = K_ROUTE;
    p->x = x;
    p->route = *m;
    p->head = strcmp(x->method, "HEAD") == 0;
    char cl[32];
    int has_body = (m->flags & HUB_ROUTE_BODY) &&
                   lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 && atol(cl) > 0;
    if (!has_body)
        route_call(h, wsi, p);
    return 0;
}

/* A plain-text reply (404, 503) set up for the writeable callback. Returns 0. */
static int reply_plain(struct lws *wsi, struct pss *p, int status, const char *text)
{
    struct eio_reply r = {0};
    r.status = status;
    r.content_type = "text/plain; charset=UTF-8";
    r.body = hub_strdup(text);
    r.len = r.body ? strlen(r.body) : 0;
    set_reply(wsi, p, &r);
    return 0;
}

static int on_http(hub_http *h, struct lws *wsi, struct pss *p, const char *path)
{
    memset(p, 0, sizeof(*p));
    p->wsi = wsi;
    p->kind = K_REPLY;
    if (lws_hdr_copy(wsi, p->origin, sizeof p->origin, WSI_TOKEN_ORIGIN) < 0)
        p->origin[0] = '\0';
    struct eio_reply r = {0};
    struct hub_route_match m;
    if (h->side_vh && lws_get_vhost(wsi) == h->side_vh) {
        /* the side listener serves its routes and nothing else: no Engine.IO, no pages */
        if (hub_routes_match(h->side_routes, method_name(wsi), path, &m))
            return route_begin(h, wsi, p, path, &m);
        return reply_plain(wsi, p, 404, "Not Found");
    }
    eio_server *eng = engine_for(h, path);
    if (!eng && !path_is(path, h->cfg->path) &&
        hub_routes_match(h->routes, method_name(wsi), path, &m))
        return route_begin(h, wsi, p, path, &m);
    if (!eng) {
        int ours = path_is(path, h->cfg->path);
        return reply_plain(wsi, p, ours ? 503 : 404, ours ? "Shutting down" : "Not Found");
    }
    p->eng = eng;
    struct eio_request req;
    struct req_bufs b;
    request_read(wsi, path, &req, &b);
    if (req.method == EIO_M_OPTIONS && cors_enabled(h->cfg)) {
        p->preflight = 1;
        r.status = 204;
        r.content_type = "text/plain";
        json_decref(req.headers);
        json_decref(req.query);
        set_reply(wsi, p, &r);
        return 0;
    }
    eio_session *s = NULL;
    enum eio_poll_result res = eio_poll_request(eng, &req, wsi, &s, &r);
    json_decref(req.headers);
    json_decref(req.query);
    switch (res) {
    case EIO_REPLY_NOW:
        set_reply(wsi, p, &r);
        break;
    case EIO_HELD:
        p->kind = K_GET;
        p->s = s;
        if (p->want)
            lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        else
            hold(h, wsi, p);
        break;
    case EIO_READ_BODY:
        p->kind = K_POST;
        p->s = s;
        break;
    }
    return 0;
}

static void on_body(struct pss *p, const void *in, size_t len)
{
    if ((p->kind != K_POST && p->kind != K_ROUTE) || p->body_over || !len)
        return;
    size_t limit = p->kind == K_ROUTE ? p->route.max_body : eio_post_limit(p->eng);
    if (p->body_len + len > limit) {
        p->body_over = 1;
        hub_free(p->body);
        p->body = NULL;
        p->body_len = p->body_cap = 0;
        return;
    }
    if (p->body_len + len + 1 > p->body_cap) {
        size_t cap = p->body_cap ? p->body_cap : 1024;
        while (cap < p->body_len + len + 1)
            cap *= 2;
        char *nb = hub_realloc(p->body, cap);
        if (!nb) {
            p->body_over = 1;
            return;
        }
        p->body = nb;
        p->body_cap = cap;
    }
    memcpy(p->body + p->body_len, in, len);
    p->body_len += len;
}

static void on_body_done(hub_http *h, struct lws *wsi, struct pss *p)
{
    /* A route without a body was called at once; lws still completes an empty body
     * ("Content-Length: 0"), which must not call it again while its answer is pending. */
    if (p->kind == K_ROUTE && p->x && !p->dispatched) {
        if (p->body_over)
            hub_httpx_reply(p->x, 413, "text/plain; charset=UTF-8", NULL, "Payload Too Large", 17);
        else
            route_call(h, wsi, p);
        return;
    }
    if (p->kind != K_POST || !p->s)
        return;
    struct eio_reply r;
    if (p->body_over)
        eio_poll_post_too_large(p->s, &r);
    else
        eio_poll_post(p->s, p->body ? p->body : "", p->body_len, &r);
    set_reply(wsi, p, &r);
}

static int write_reply(hub_http *h, struct lws *wsi, struct pss *p)
{
    struct eio_reply *r = &p->reply;
    size_t hdr_room = 1024;
    for (const char *xh = p->xheaders; xh && *xh; xh += strlen(xh) + 1)
        hdr_room += strlen(xh) + 16;
    uint8_t *buf = hub_malloc(LWS_PRE + hdr_room + r->len);
    if (!buf)
        return -1;
    unsigned char *start = buf + LWS_PRE, *q = start, *end = start + hdr_room;
    int rc = -1;
    if (lws_add_http_common_headers(wsi, (unsigned int)r->status,
                                    r->content_type ? r->content_type : "text/plain", r->len, &q, end))
        goto out;
    if (p->kind != K_ROUTE && add_cors(h, p, wsi, &q, end))
        goto out;
    for (const char *xh = p->xheaders; xh && *xh; xh += strlen(xh) + 1) {
        const char *colon = strchr(xh, ':');
        char name[128];
        size_t nl = colon ? (size_t)(colon - xh) : 0;
        if (!colon || nl + 2 > sizeof name)
            continue;
        for (size_t i = 0; i < nl; i++)
            name[i] = (char)((xh[i] >= 'A' && xh[i] <= 'Z') ? xh[i] + 32 : xh[i]);
        name[nl] = ':';
        name[nl + 1] = '\0';
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (add_header(wsi, name, v, &q, end))
            goto out;
    }
    if (p->preflight) {
        char hdrs[512];
        if (lws_hdr_copy(wsi, hdrs, sizeof hdrs, WSI_TOKEN_HTTP_AC_REQUEST_HEADERS) > 0) {
            if (add_header(wsi, "access-control-allow-headers:", hdrs, &q, end) ||
                add_header(wsi, "vary:", "Access-Control-Request-Headers", &q, end))
                goto out;
        }
    }
    if (lws_finalize_http_header(wsi, &q, end))
        goto out;
    size_t body_len = p->head ? 0 : r->len;
    if (body_len)
        memcpy(q, r->body, body_len);
    size_t total = (size_t)(q - start) + body_len;
    if (lws_write(wsi, start, total, LWS_WRITE_HTTP_FINAL) < (int)total)
        goto out;
    rc = 0;
out:
    hub_free(buf);
    return rc;
}

static int on_http_writeable(hub_http *h, struct lws *wsi, struct pss *p)
{
    if (!p->reply_ready) {
        if (p->kind != K_GET || !p->s)
            return 0;
        struct eio_reply r;
        if (eio_poll_reply(p->s, wsi, &r))
            return 0; /* nothing to send yet */
        p->reply = r;
        p->reply_ready = 1;
    }
    int rc = write_reply(h, wsi, p);
    p->kind = p->kind == K_GET ? K_REPLY : p->kind; /* answered: no longer a held GET */
    pss_release(h, p);
    if (rc)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- WebSocket ---- */

static int on_ws_filter(hub_http *h, struct lws *wsi, struct pss *p)
{
    char path[256];
    memset(p, 0, sizeof(*p));
    p->wsi = wsi;
    p->kind = K_WS;
    if (lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI) < 0)
        return -1;
    if (h->side_vh && lws_get_vhost(wsi) == h->side_vh)
        return -1; /* no WebSockets on the side listener */
    eio_server *eng = engine_for(h, path);
    if (!eng)
        return -1;
    p->eng = eng;
    struct eio_request req;
    struct req_bufs b;
    request_read(wsi, path, &req, &b);
    eio_session *s = NULL;
    int code = eio_ws_open(eng, &req, wsi, &s);
    json_decref(req.headers);
    json_decref(req.query);
    if (code || !s)
        return -1;
    p->s = s;
    return 0;
}

static int on_ws_receive(struct pss *p, struct lws *wsi, const void *in, size_t len)
{
    if (!p->s)
        return -1;
    int first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi);
    size_t limit = eio_post_limit(p->eng);
    /* a whole message in one piece: no copy (lws hands a frame over in RX_CHUNK pieces) */
    if (first && final && !p->rx_len && !lws_remaining_packet_payload(wsi)) {
        if (len > limit) {
            eio_ws_too_large(p->s, wsi);
            return -1;
        }
        eio_ws_message(p->s, wsi, in, len, lws_frame_is_binary(wsi));
        return 0;
    }
    if (first)
        p->rx_binary = lws_frame_is_binary(wsi);
    if (p->rx_len + len > limit) {
        eio_ws_too_large(p->s, wsi);
        return -1;
    }
    if (p->rx_len + len > p->rx_cap) {
        size_t cap = p->rx_cap ? p->rx_cap : 4096;
        while (cap < p->rx_len + len)
            cap *= 2;
        uint8_t *nb = hub_realloc(p->rx, cap);
        if (!nb)
            return -1;
        p->rx = nb;
        p->rx_cap = cap;
    }
    if (len)
        memcpy(p->rx + p->rx_len, in, len);
    p->rx_len += len;
    if (final && !lws_remaining_packet_payload(wsi)) {
        size_t n = p->rx_len;
        p->rx_len = 0;
        eio_ws_message(p->s, wsi, p->rx, n, p->rx_binary);
        if (p->rx_cap > RX_KEEP) {
            hub_free(p->rx);
            p->rx = NULL;
            p->rx_cap = 0;
        }
    }
    return 0;
}

/* Writes what is queued for the WebSocket: returns 0 when done, 1 when more remains (the caller asks
 * for a writeable callback), -1 when the connection must close (after a close frame if asked). */
static int ws_flush(hub_http *h, struct lws *wsi, struct pss *p)
{
    if (!p->s)
        return -1;
    p->want = 0;
    int more = 0;
    hub_frame *big = NULL;
    size_t n = eio_ws_writable(p->s, wsi, h->batch + LWS_PRE, BATCH_CAP, &more, &big);
    if (big) {
        size_t len;
        const uint8_t *bytes = hub_frame_ws(big, &len);
        uint8_t *tmp = hub_malloc(LWS_PRE + len);
        int rc = -1;
        if (tmp) {
            memcpy(tmp + LWS_PRE, bytes, len);
            rc = lws_write(wsi, tmp + LWS_PRE, len, LWS_WRITE_RAW) < (int)len ? -1 : 0;
            hub_free(tmp);
        }
        hub_frame_unref(big);
        if (rc)
            return -1;
        more = 1;
    } else if (n && lws_write(wsi, h->batch + LWS_PRE, n, LWS_WRITE_RAW) < (int)n) {
        return -1;
    }
    if (more) {
        p->want = 1;
        return 1;
    } else if (p->close_req) {
        /* lws 4.1 drops the connection without a close frame when WRITEABLE returns -1, even after
         * lws_close_reason(); write the frame (1000, normal closure) ourselves, as all our frames. */
        static const uint8_t close_frame[] = {0x88, 0x02, 0x03, 0xe8};
        memcpy(h->batch + LWS_PRE, close_frame, sizeof close_frame);
        lws_write(wsi, h->batch + LWS_PRE, sizeof close_frame, LWS_WRITE_RAW);
        return -1;
    }
    return 0;
}

static int on_ws_writeable(hub_http *h, struct lws *wsi, struct pss *p)
{
    dirty_unlink(h, p);
    int r = ws_flush(h, wsi, p);
    if (r == 1)
        lws_callback_on_writable(wsi);
    return r < 0 ? -1 : 0;
}

/* The end of a loop turn: one write per WebSocket with frames queued. A connection whose last write
 * lws still holds in part waits for its writeable callback instead (lws drains that first). */
static void on_flush(uv_check_t *c)
{
    hub_http *h = c->data;
    struct pss *p;
    while ((p = h->dirty)) {
        dirty_unlink(h, p);
        struct lws *wsi = p->wsi;
        if (lws_partial_buffered(wsi)) {
            lws_callback_on_writable(wsi);
            continue;
        }
        int r = ws_flush(h, wsi, p);
        if (r == 1)
            lws_callback_on_writable(wsi);
        else if (r < 0)
            lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    uv_idle_stop(&h->awake);
}

/* ---- the protocol callback ---- */

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct pss *p = user;
    hub_http *h = lws_get_context(wsi) ? http_of(wsi) : NULL;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_http(h, wsi, p, in);
    case LWS_CALLBACK_HTTP_BODY:
        on_body(p, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        on_body_done(h, wsi, p);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return p ? on_http_writeable(h, wsi, p) : 0;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (p && p->kind != K_WS)
            pss_release(h, p);
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return on_ws_filter(h, wsi, p);
    case LWS_CALLBACK_ESTABLISHED:
        p->established = 1;
        if (p->close_req)
            lws_callback_on_writable(wsi);
        else if (p->want)
            dirty_add(h, p);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return on_ws_receive(p, wsi, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_ws_writeable(h, wsi, p);
    case LWS_CALLBACK_CLOSED:
        if (p)
            dirty_unlink(h, p);
        if (p && p->kind == K_WS && p->s) {
            eio_session *s = p->s;
            p->s = NULL;
            eio_ws_closed(s, wsi); /* releases the hold */
        }
        if (p) {
            hub_free(p->rx);
            p->rx = NULL;
            p->rx_len = p->rx_cap = 0;
        }
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {.name = "hubbub", .callback = callback, .per_session_data_size = sizeof(struct pss),
     .rx_buffer_size = RX_CHUNK, .tx_packet_size = BATCH_CAP},
    HUB_LWS_CLIENT_PROTOCOL, /* outgoing HTTP(S) deliveries (lws_client.c) */
    {0},
};

/* A held GET whose client went away: lws does not notice while POLLIN is off, so peek every second. */
static void on_sweep(uv_timer_t *t)
{
    hub_http *h = t->data;
    for (struct pss *p = h->held; p; p = p->held_next)
        if (!peer_alive(p->wsi))
            lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void log_emit(int level, const char *line)
{
    hub_log(level == LLL_ERR ? HUB_LOG_ERROR : HUB_LOG_DEBUG, "lws: %s", line);
}

/* ---- route exchanges (httpx.h) ---- */

const char *hub_httpx_method(const hub_httpx *x)
{
    return x->method;
}

const char *hub_httpx_path(const hub_httpx *x)
{
    return x->path;
}

const char *hub_httpx_query(const hub_httpx *x)
{
    return x->query;
}

const char *hub_httpx_peer(const hub_httpx *x)
{
    return x->peer;
}

const char *hub_httpx_body(const hub_httpx *x, size_t *len)
{
    struct pss *p = x->p;
    if (!p->body) {
        *len = 0;
        return "";
    }
    p->body[p->body_len] = '\0'; /* on_body always keeps a byte spare */
    *len = p->body_len;
    return p->body;
}

int hub_httpx_header(hub_httpx *x, const char *name, char *buf, size_t len)
{
    char want[96];
    size_t n = strlen(name);
    if (n + 2 > sizeof want || len == 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        want[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
    want[n] = ':';
    want[n + 1] = '\0';
    for (int t = 0; t < WSI_TOKEN_COUNT; t++) {
        const char *tn = (const char *)lws_token_to_string((enum lws_token_indexes)t);
        if (!tn || strcmp(tn, want) != 0)
            continue;
        if (lws_hdr_total_length(x->wsi, (enum lws_token_indexes)t) <= 0)
            return -1;
        int r = lws_hdr_copy(x->wsi, buf, (int)len, (enum lws_token_indexes)t);
        return r < 0 ? -1 : r;
    }
    if (lws_hdr_custom_length(x->wsi, want, (int)n + 1) < 0)
        return -1;
    return lws_hdr_custom_copy(x->wsi, buf, (int)len, want, (int)n + 1);
}

void hub_httpx_on_abort(hub_httpx *x, void (*fn)(void *ud), void *ud)
{
    x->abort_fn = fn;
    x->abort_ud = ud;
}

int hub_httpx_reply(hub_httpx *x, int status, const char *content_type, const char *const *headers,
                    const void *body, size_t len)
{
    struct pss *p = x->p;
    struct lws *wsi = x->wsi;
    hub_http *h = x->h;
    int rc = 0;
    p->x = NULL;
    httpx_free(x);
    snprintf(p->ctype, sizeof p->ctype, "%s", content_type ? content_type : "text/plain");
    p->reply.status = status;
    p->reply.content_type = p->ctype;
    p->reply.body = hub_malloc(len + 1);
    p->reply.len = len;
    size_t hl = 1;
    for (const char *const *hp = headers; hp && *hp; hp++)
        hl += strlen(*hp) + 1;
    p->xheaders = hub_malloc(hl);
    if (!p->reply.body || !p->xheaders) {
        rc = HUB_ENOMEM;
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    } else {
        if (len)
            memcpy(p->reply.body, body, len);
        char *o = p->xheaders;
        for (const char *const *hp = headers; hp && *hp; hp++)
            o += sprintf(o, "%s", *hp) + 1;
        *o = '\0';
        p->reply_ready = 1;
    }
    if (p->held) {
        held_unlink(h, p);
        lws_rx_flow_control(wsi, 1);
    }
    if (!rc)
        lws_callback_on_writable(wsi);
    return rc;
}

hub_http *hub_http_start(hub_server *srv, const struct hub_config *cfg, const hub_routes *routes,
                         char *err, size_t errlen)
{
    hub_http *h = hub_calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->srv = srv;
    h->cfg = cfg;
    h->routes = routes;
    eio_server *eng = hub_server_engine(srv);
    uv_loop_t *loop = hub_server_loop(srv);
    h->batch = hub_malloc(LWS_PRE + BATCH_CAP);
    if (!h->batch)
        goto fail_batch;
    if (cfg->engine_echo_path) {
        struct eio_options eo = {
            .ping_interval_ms = cfg->ping_interval_ms,
            .ping_timeout_ms = cfg->ping_timeout_ms,
            .upgrade_timeout_ms = cfg->upgrade_timeout_ms,
            .max_payload = cfg->max_payload,
            .max_buffered_bytes = cfg->max_buffered_bytes,
            .allow_eio3 = cfg->allow_eio3,
        };
        h->echo = eio_echo_server_new(loop, &eo);
        if (!h->echo)
            goto fail_echo;
        eio_server_set_transport(h->echo, &transport_ops);
    }
    eio_server_set_transport(eng, &transport_ops);

    lws_set_log_level(cfg->log_level >= HUB_LOG_DEBUG ? (LLL_ERR | LLL_WARN | LLL_NOTICE) : LLL_ERR,
                      log_emit);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *loops[1] = {loop};
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6 |
                   LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = loops;
    info.port = cfg->port;
    info.iface = cfg->host && strcmp(cfg->host, "0.0.0.0") != 0 ? cfg->host : NULL;
    info.protocols = protocols;
    info.user = h;
    info.max_http_header_data = 4096;
    info.max_http_header_pool = 1024;
    info.pt_serv_buf_size = 65536;
    info.timeout_secs = 20;
    info.timeout_secs_ah_idle = 1; /* a request whose headers do not complete (e.g. a line with no colon,
                                     which lws waits on) is dropped after a second */
    info.count_threads = 1;
    h->cx = lws_create_context(&info);
    if (!h->cx) {
        snprintf(err, errlen, "cannot listen on %s:%d", cfg->host ? cfg->host : "0.0.0.0", cfg->port);
        goto fail_cx;
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(h->cx, "default");
    h->port = vh ? lws_get_vhost_listen_port(vh) : cfg->port;
    if (h->port <= 0) {
        snprintf(err, errlen, "cannot listen on %s:%d", cfg->host ? cfg->host : "0.0.0.0", cfg->port);
        goto fail_port;
    }
    uv_timer_init(loop, &h->sweep);
    h->sweep.data = h;
    uv_timer_start(&h->sweep, on_sweep, 1000, 1000);
    uv_check_init(loop, &h->flush);
    h->flush.data = h;
    uv_check_start(&h->flush, on_flush);
    uv_idle_init(loop, &h->awake);
    return h;

fail_port:
    lws_context_destroy(h->cx);
fail_cx:
    eio_server_free(h->echo);
fail_echo:
    hub_free(h->batch);
fail_batch:
    hub_free(h);
    return NULL;
}

int hub_http_port(const hub_http *h)
{
    return h->port;
}

int hub_http_listen(hub_http *h, const char *host, int port, const hub_routes *routes, char *err,
                    size_t errlen)
{
    if (h->side_vh) {
        snprintf(err, errlen, "a second side listener is not supported");
        return -1;
    }
    /* A vhost of the same context (one context per process: a second one does not release OpenSSL's
     * state at exit), with the same protocol callback; on_http tells the vhosts apart. */
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.vhost_name = "side";
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6;
    info.port = port;
    info.iface = host && strcmp(host, "0.0.0.0") != 0 ? host : NULL;
    info.protocols = protocols;
    info.user = h;
    info.timeout_secs = 20;
    info.timeout_secs_ah_idle = 1;
    h->side_routes = routes;
    h->side_vh = lws_create_vhost(h->cx, &info);
    int bound = h->side_vh ? lws_get_vhost_listen_port(h->side_vh) : -1;
    if (bound <= 0) {
        if (h->side_vh)
            lws_vhost_destroy(h->side_vh);
        h->side_vh = NULL;
        h->side_routes = NULL;
        snprintf(err, errlen, "cannot listen on %s:%d", host ? host : "0.0.0.0", port);
        return -1;
    }
    return bound;
}

const struct hub_http_client_ops *hub_http_client(hub_http *h, void **ctx)
{
    *ctx = h->cx;
    return hub_lws_http_client_ops();
}

void hub_http_stop(hub_http *h)
{
    if (!h || h->stopped)
        return;
    h->stopped = 1;
    uv_timer_stop(&h->sweep);
    uv_close((uv_handle_t *)&h->sweep, NULL);
    uv_check_stop(&h->flush);
    uv_close((uv_handle_t *)&h->flush, NULL);
    uv_idle_stop(&h->awake);
    uv_close((uv_handle_t *)&h->awake, NULL);
    h->held = NULL;
    h->dirty = NULL;
    if (h->echo)
        eio_server_free(h->echo);
    h->echo = NULL;
    lws_context_destroy(h->cx); /* with a foreign loop: closes the connections and lws's handles */
}

void hub_http_free(hub_http *h)
{
    if (!h)
        return;
    hub_http_stop(h);
    /* lws 4.1 finishes destroying a context on a foreign loop only when called again after the loop
     * has closed its handles; without this second call the context leaks. */
    lws_context_destroy(h->cx);
    hub_free(h->batch);
    hub_free(h);
}
