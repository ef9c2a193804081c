/* lws_client.c - struct hub_http_client_ops on libwebsockets client connections.
 *
 * One client wsi per POST, bound to the "hubbub-http-client" protocol of the hub's vhost (the lead
 * adds hub_lws_client_protocol to the protocols array). The request lives in a small struct reached
 * from the wsi's opaque user data; it is detached from the wsi at the first terminal event
 * (completion, connection error, close, destroy), and freed once it is detached and its done
 * callback has run.
 *
 * The callback law: lws may report a connection error from inside lws_client_connect_via_info().
 * Any completion seen while still inside that call is not reported through done(); post() returns
 * HUB_EIO instead, so done runs exactly once and never inside post(). The whole-request timeout is
 * an lws sul (milliseconds); on expiry the wsi is killed and the request completes with
 * HUB_ETIMEOUT.
 *
 * HTTP/1.1 only (ALPN "http/1.1"), redirects are not followed (SNS counts a 3xx as a failed
 * attempt), https verifies the peer against the system CA store (OpenSSL's default paths, used by
 * lws when the vhost has no CA file configured). Unix-socket URLs ("http://+/path") are refused. */
#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hub_alloc.h"
#include "hub_err.h"
#include "log.h"
#include "lws_client.h"

#define PROTOCOL_NAME "hubbub-http-client"
#define TX_CHUNK 16384

struct req {
    lws_sorted_usec_list_t sul; /* first: the timeout callback gets &sul */
    struct lws_context *cx;
    struct lws *wsi;
    const struct hub_http_header *hdrs;
    size_t nhdrs;
    const char *body;
    size_t len, sent;
    unsigned char *tx; /* LWS_PRE + chunk */
    size_t txcap;
    char *urlbuf; /* lws_parse_uri cuts this one up */
    char *path;   /* "/" + the rest */
    char *host;   /* Host header: address[:port] */
    int status;
    int timed_out;
    int in_connect;
    int early_result; /* a completion seen inside connect, 0 if none */
    int done_called;
    void (*done)(void *, int);
    void *ud;
};

static void req_free(struct req *r)
{
    lws_sul_cancel(&r->sul);
    hub_free(r->tx);
    hub_free(r->urlbuf);
    hub_free(r->path);
    hub_free(r->host);
    hub_free(r);
}

/* Unhooks r from its wsi; the wsi's later callbacks see no request. */
static void detach(struct req *r)
{
    if (r->wsi) {
        lws_set_opaque_user_data(r->wsi, NULL);
        r->wsi = NULL;
    }
}

/* The terminal event for r: report (unless inside connect, where post() reports) and release. */
static void complete(struct req *r, int result)
{
    detach(r);
    lws_sul_cancel(&r->sul);
    if (r->in_connect) {
        if (!r->early_result) r->early_result = result ? result : HUB_EIO;
        return; /* post() frees r */
    }
    if (!r->done_called) {
        r->done_called = 1;
        r->done(r->ud, result);
    }
    req_free(r);
}

static void on_timeout(lws_sorted_usec_list_t *sul)
{
    struct req *r = (struct req *)sul;

    r->timed_out = 1;
    if (r->wsi) {
        /* lws closes it from its own loop; the close reports HUB_ETIMEOUT */
        lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    complete(r, HUB_ETIMEOUT);
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end)
{
    char n[128];
    int len = snprintf(n, sizeof n, "%s:", name);

    if (len < 0 || (size_t)len >= sizeof n) return -1;
    return lws_add_http_header_by_name(wsi, (const unsigned char *)n, (const unsigned char *)value,
                                       (int)strlen(value), p, end);
}

static int write_body(struct req *r)
{
    size_t n = r->len - r->sent;
    int final;

    if (n > TX_CHUNK) n = TX_CHUNK;
    final = r->sent + n == r->len;
    memcpy(r->tx + LWS_PRE, r->body + r->sent, n);
    if (lws_write(r->wsi, r->tx + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
        (int)n)
        return -1;
    r->sent += n;
    if (final)
        lws_client_http_body_pending(r->wsi, 0);
    else
        lws_callback_on_writable(r->wsi);
    return 0;
}

int hub_lws_client_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                            size_t len)
{
    struct req *r = wsi ? lws_get_opaque_user_data(wsi) : NULL;

    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        unsigned char **p = (unsigned char **)in, *end = *p + len;
        char clen[24];

        if (!r) return -1;
        for (size_t i = 0; i < r->nhdrs; i++)
            if (add_header(wsi, r->hdrs[i].name, r->hdrs[i].value, p, end)) return -1;
        snprintf(clen, sizeof clen, "%zu", r->len);
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                         (const unsigned char *)clen, (int)strlen(clen), p, end))
            return -1;
        if (r->len) {
            lws_client_http_body_pending(wsi, 1);
            lws_callback_on_writable(wsi);
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        if (!r || r->sent >= r->len) return 0;
        return write_body(r);

    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        if (r) r->status = (int)lws_http_client_http_response(wsi);
        return 0;

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buf[LWS_PRE + 1024], *px = buf + LWS_PRE;
        int n = (int)sizeof buf - LWS_PRE;

        return lws_http_client_read(wsi, &px, &n) < 0 ? -1 : 0;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        return 0; /* the response body is not used */

    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        if (r) complete(r, r->status ? r->status : HUB_EIO);
        return -1; /* one request per connection: close it */

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (r) {
            hub_log(HUB_LOG_DEBUG, "http client: %s", in ? (const char *)in : "connection error");
            complete(r, r->timed_out ? HUB_ETIMEOUT : HUB_EIO);
        }
        return 0;

    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
    case LWS_CALLBACK_WSI_DESTROY:
        if (r) complete(r, r->timed_out ? HUB_ETIMEOUT : HUB_EIO);
        return 0;

    default:
        return 0;
    }
}

const struct lws_protocols hub_lws_client_protocol = HUB_LWS_CLIENT_PROTOCOL;

static int lws_post(void *ctx, const char *url, const struct hub_http_header *hdrs, size_t nhdrs,
                    const char *body, size_t len, int timeout_ms, void (*done)(void *, int),
                    void *ud)
{
    struct lws_context *cx = ctx;
    struct lws_client_connect_info ci;
    const char *prot, *ads, *path;
    int port, tls, rc;
    struct req *r;
    struct lws *wsi;
    size_t n;

    if (!cx || !url || !done || timeout_ms <= 0) return HUB_EINVAL;
    r = hub_calloc(1, sizeof *r);
    if (!r) return HUB_ENOMEM;
    r->cx = cx;
    r->hdrs = hdrs;
    r->nhdrs = nhdrs;
    r->body = body;
    r->len = len;
    r->done = done;
    r->ud = ud;
    r->urlbuf = hub_strdup(url);
    if (!r->urlbuf) goto nomem;
    if (lws_parse_uri(r->urlbuf, &prot, &ads, &port, &path)) goto inval;
    if (!strcasecmp(prot, "https"))
        tls = 1;
    else if (!strcasecmp(prot, "http"))
        tls = 0;
    else
        goto inval;
    if (!*ads || *ads == '+') goto inval; /* no unix sockets from subscriber URLs */
    n = strlen(path) + 2;
    r->path = hub_malloc(n);
    r->host = hub_malloc(strlen(ads) + 8);
    r->txcap = LWS_PRE + (len < TX_CHUNK ? len : TX_CHUNK);
    r->tx = hub_malloc(r->txcap);
    if (!r->path || !r->host || !r->tx) goto nomem;
    snprintf(r->path, n, "/%s", path);
    if (port == (tls ? 443 : 80))
        snprintf(r->host, strlen(ads) + 8, "%s", ads);
    else
        snprintf(r->host, strlen(ads) + 8, "%s:%d", ads, port);

    memset(&ci, 0, sizeof ci);
    ci.context = cx;
    ci.address = ads;
    ci.port = port;
    ci.ssl_connection = (tls ? LCCSCF_USE_SSL : 0) | LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
    ci.path = r->path;
    ci.host = r->host;
    ci.method = "POST";
    ci.protocol = PROTOCOL_NAME;
    ci.local_protocol_name = PROTOCOL_NAME;
    ci.alpn = "http/1.1";
    ci.opaque_user_data = r;
    ci.pwsi = &r->wsi;

    lws_sul_schedule(cx, 0, &r->sul, on_timeout, (lws_usec_t)timeout_ms * LWS_US_PER_MS);
    r->in_connect = 1;
    wsi = lws_client_connect_via_info(&ci);
    r->in_connect = 0;
    if (!wsi || r->early_result) {
        /* Failed inside the call: report it here, and make sure no later callback finds r. Without
         * a returned wsi, r->wsi (stored early through pwsi) may name a wsi lws already freed. */
        if (wsi) {
            r->wsi = wsi;
            detach(r);
            lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        }
        r->wsi = NULL;
        rc = r->early_result == HUB_ETIMEOUT ? HUB_ETIMEOUT : HUB_EIO;
        req_free(r);
        return rc;
    }
    r->wsi = wsi;
    return 0;

inval:
    req_free(r);
    return HUB_EINVAL;
nomem:
    req_free(r);
    return HUB_ENOMEM;
}

static const struct hub_http_client_ops ops = {.post = lws_post};

const struct hub_http_client_ops *hub_lws_http_client_ops(void)
{
    return &ops;
}
