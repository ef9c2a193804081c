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
 * loop is drained and closed. Takes ownership of srv and of the loop's life; cfg and hooks (may be
 * NULL) are borrowed.
 * Returns 0 after a clean stop, or 1 when it could not listen (the reason is logged). */
struct hub_http;

/* What a program adds to the plain run; every field may be NULL. */
struct hub_run_hooks {
    const hub_routes *routes; /* HTTP endpoints beside Engine.IO */
    /* Once listening: set up what needs the listener (e.g. its outgoing HTTP client, http.h).
     * A non-zero return stops the run (exit status 1). */
    int (*started)(struct hub_http *http, void *ud);
    /* On SIGINT/SIGTERM, before clients are disconnected and the listener stops. */
    void (*stopping)(void *ud);
    void *ud;
};

int hub_run(hub_server *srv, const struct hub_config *cfg, const struct hub_run_hooks *hooks);

#endif
