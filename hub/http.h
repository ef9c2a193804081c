/* http.h - the HTTP and WebSocket listener (libwebsockets) that feeds a hub_server's Engine.IO engine.
 *
 * hub_http_start() listens on cfg->host:cfg->port on the server's loop, serves Engine.IO on cfg->path
 * (long-polling and WebSocket on the same path), the bare Engine.IO echo endpoint on cfg->engine_echo_path
 * when set, and answers CORS as cfg says. It is the only module that includes libwebsockets.h. */
#ifndef HUB_HTTP_H
#define HUB_HTTP_H

#include <stddef.h>

#include "config.h"
#include "httpx.h"
#include "hubbub.h"

typedef struct hub_http hub_http;

/* Returns a new listener, or NULL with a message in err. Requests for paths outside Engine.IO go to
 * routes (may be NULL: 404). srv, cfg and routes are borrowed and must outlive it. */
hub_http *hub_http_start(hub_server *srv, const struct hub_config *cfg, const hub_routes *routes,
                         char *err, size_t errlen);
/* The port it listens on (useful with port 0). */
int hub_http_port(const hub_http *h);
/* Listens on host:port too (port 0: any free port), serving only routes there (no Engine.IO, no
 * WebSocket, no pages; anything else gets 404). At most one such side listener; it stops with h.
 * routes is borrowed and must outlive h. Returns the bound port, or -1 with a message in err. */
int hub_http_listen(hub_http *h, const char *host, int port, const hub_routes *routes, char *err,
                    size_t errlen);

struct hub_http_client_ops;
/* The listener's outgoing HTTP(S) client (http_delivery.h) and its context (*ctx), for delivery
 * engines. Valid until hub_http_stop(). */
const struct hub_http_client_ops *hub_http_client(hub_http *h, void **ctx);
/* Stops listening and closes every connection; the loop then runs until libwebsockets' handles are
 * closed. Calling it again is a no-op. */
void hub_http_stop(hub_http *h);
/* Stops (if not done yet) and frees h. Call it after the loop has run dry following hub_http_stop(). */
void hub_http_free(hub_http *h);

#endif
