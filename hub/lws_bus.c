/* lws_bus.c - the event bus's hub_run hooks (bus_socket.h). In the glue library with lws_run.c
 * because they use the listener (its HTTP client and port); they do not touch libwebsockets
 * themselves. */
#include "bus_socket.h"

#include <stdio.h>

#include "http.h"
#include "log.h"

struct run_wait {
    int done, err;
    char what[400];
};

static void on_ready(void *ud, int err, const char *what)
{
    struct run_wait *w = ud;
    w->done = 1;
    w->err = err;
    if (what) snprintf(w->what, sizeof w->what, "%s", what);
}

int hub_bus_socket_run_started(struct hub_http *http, void *ud)
{
    hub_bus_socket *bs = ud;
    struct run_wait w = {0};
    void *ctx = NULL;
    if (!hub_bus_socket_wanted(bs)) return 0;
    const struct hub_http_client_ops *client = hub_http_client(http, &ctx);
    int rc = hub_bus_socket_start(bs, client, ctx, hub_http_port(http), on_ready, &w);
    if (rc) {
        hub_log(HUB_LOG_ERROR, "bus: cannot start: %s", hub_bus_strerror(rc));
        return 1;
    }
    /* The definitions exist before the first client is served. */
    while (!w.done)
        uv_run(hub_bus_socket_loop(bs), UV_RUN_ONCE);
    if (w.err) {
        hub_log(HUB_LOG_ERROR, "bus: cannot create %s: %s", w.what, hub_bus_strerror(w.err));
        hub_bus_socket_stop(bs);
        return 1;
    }
    return 0;
}

void hub_bus_socket_run_stopping(void *ud)
{
    hub_bus_socket_stop(ud);
}
