/* httpx.h - HTTP endpoints beside Engine.IO (pages, health, metrics, APIs), without libwebsockets.
 *
 * A route table (hub_routes, core) maps paths to handlers; the listener (lws glue) runs the handler of
 * the matching route with an exchange (hub_httpx): one request and its one reply. A handler answers with
 * hub_httpx_reply(), during the call or later (an API that waits, like a long poll). A handler that
 * answers later must register hub_httpx_on_abort(): when the client goes away first, the abort callback
 * runs and the exchange is gone after it returns (never reply to it then).
 *
 * Request data (method, path, query, body, peer) lives as long as the exchange; headers can be read
 * only during the handler call. */
#ifndef HUB_HTTPX_H
#define HUB_HTTPX_H

#include <stddef.h>

typedef struct hub_httpx hub_httpx;
typedef struct hub_routes hub_routes;

typedef void (*hub_route_fn)(void *ud, hub_httpx *x);

#define HUB_ROUTE_PREFIX 1    /* the path is a prefix ("/web/" matches "/web/a.js") */
#define HUB_ROUTE_BODY 2      /* read the request body before calling the handler */

/* Returns a new, empty table, or NULL. */
hub_routes *hub_routes_new(void);
void hub_routes_free(hub_routes *r);
/* Adds a route: path (copied), HUB_ROUTE_* flags, handler and its data; max_body bounds the body read
 * with HUB_ROUTE_BODY (a larger body gets 413 without calling the handler). The most specific match
 * wins: an exact path before any prefix, a longer prefix before a shorter one. Returns 0, HUB_EEXISTS
 * or HUB_ENOMEM. */
int hub_routes_add(hub_routes *r, const char *path, int flags, size_t max_body, hub_route_fn fn, void *ud);
/* The same for one method only ("POST"): such a route is tried before routes for any method, so an
 * API can take POSTs under paths whose GETs serve pages. */
int hub_routes_add_method(hub_routes *r, const char *method, const char *path, int flags,
                          size_t max_body, hub_route_fn fn, void *ud);

struct hub_route_match {
    int flags;
    size_t max_body;
    hub_route_fn fn;
    void *ud;
};
/* Finds the route for method and path. Returns 1 with *m filled, or 0. */
int hub_routes_match(const hub_routes *r, const char *method, const char *path,
                     struct hub_route_match *m);

/* ---- the exchange (implemented by the listener) ---- */

/* "GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH" or "OTHER". */
const char *hub_httpx_method(const hub_httpx *x);
/* The path, url-decoded, without the query. */
const char *hub_httpx_path(const hub_httpx *x);
/* The raw query string after '?' (still url-encoded), or "". */
const char *hub_httpx_query(const hub_httpx *x);
/* The peer's IP address. */
const char *hub_httpx_peer(const hub_httpx *x);
/* The body (HUB_ROUTE_BODY routes; NUL-terminated for convenience), or "" with *len 0. */
const char *hub_httpx_body(const hub_httpx *x, size_t *len);
/* Copies the value of header name (case-insensitive, e.g. "content-type") into buf, NUL-terminated.
 * Returns its length, or -1 when absent or longer than buf. Only during the handler call. */
int hub_httpx_header(hub_httpx *x, const char *name, char *buf, size_t len);

/* Sends the reply: status, content type, extra headers ("name: value" strings, NULL-terminated list,
 * may be NULL) and the body (copied). For a HEAD request pass the body a GET would get: its length
 * goes into content-length and the body itself is not sent. The exchange is finished: x must not be
 * used after this.
 * Returns 0, or HUB_ENOMEM (the connection is closed instead). */
int hub_httpx_reply(hub_httpx *x, int status, const char *content_type, const char *const *headers,
                    const void *body, size_t len);
/* Runs fn(ud) if the client goes away before the reply; x is freed right after fn returns. */
void hub_httpx_on_abort(hub_httpx *x, void (*fn)(void *ud), void *ud);

/* Finds name in a url-encoded query or form body and decodes its value into buf. Returns the value's
 * length, or -1 when absent or longer than buf. */
int hub_query_get(const char *query, const char *name, char *buf, size_t len);

#endif
