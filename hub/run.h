/* run.h - running a hub as a process: listen, serve until SIGINT/SIGTERM, shut down cleanly.
 *
 * The daemon (main.c) and embedding programs (examples/) end the same way: they create a loop and a
 * hub_server, register their namespaces and handlers, and hand both to hub_run(). */
#ifndef HUB_RUN_H
#define HUB_RUN_H

#include "config.h"
#include "httpx.h"
#include "hubbub.h"

/* Listens on cfg->host:cfg->port (hub_http_start), prints "listening on HOST:PORT" on stdout, and runs
 * srv's loop until SIGINT or SIGTERM. Then every client is disconnected ("server shutting down"), their
 * close packets and frames get a short grace period to go out, the listener stops, srv is freed and the
 * loop is drained and closed. Takes ownership of srv and of the loop's life; cfg and routes (HTTP
 * endpoints beside Engine.IO, may be NULL) are borrowed.
 * Returns 0 after a clean stop, or 1 when it could not listen (the reason is logged). */
int hub_run(hub_server *srv, const struct hub_config *cfg, const hub_routes *routes);

#endif
