/* lws_aws.c - see aws_run.h. In the glue library (with lws_bus.c) because it uses the listener:
 * its HTTP client and port for the bus it may start. */
#include "aws_run.h"

#include <stdio.h>
#include <string.h>

#include "aws_config.h"
#include "bus_config.h"
#include "http.h"
#include "hub_err.h"
#include "log.h"

int hub_aws_run_init(struct hub_aws_run *run, hub_server *srv, const struct hub_config *cfg,
                     hub_bus_factory make_bus, void *make_ud)
{
    memset(run, 0, sizeof *run);
    run->srv = srv;
    run->cfg = cfg;
    run->make_bus = make_bus;
    run->make_ud = make_ud;
    if (!hub_aws_config_enabled(cfg)) return 0;
    run->aws = hub_aws_new(cfg);
    if (!run->aws) return HUB_ENOMEM;
    if (cfg->aws->port >= 0) { /* a listener of their own: their own route table */
        run->routes = hub_routes_new();
        if (!run->routes || hub_aws_add_routes(run->aws, run->routes)) {
            hub_aws_run_free(run);
            return HUB_ENOMEM;
        }
    }
    return 0;
}

hub_bus *hub_aws_run_make_bus(uv_loop_t *loop, const struct hub_bus_options *opts, void *ud)
{
    struct hub_aws_run *run = ud;
    struct hub_bus_options o = opts ? *opts : (struct hub_bus_options){0};
    const struct hub_aws_config *c = run->cfg->aws;
    if (c && c->enabled) {
        o.region = hub_aws_config_region(c, o.region);
        o.account = hub_aws_config_account(c, o.account);
    }
    return run->make_bus(loop, &o, run->make_ud);
}

int hub_aws_run_add_routes(struct hub_aws_run *run, hub_routes *routes)
{
    return run->aws && !run->routes ? hub_aws_add_routes(run->aws, routes) : 0;
}

struct wait {
    int done, err;
    char what[300];
};

static void on_ready(void *ud, int err, const char *what)
{
    struct wait *w = ud;
    w->done = 1;
    w->err = err;
    if (what) snprintf(w->what, sizeof w->what, "%s", what);
}

int hub_aws_run_started(struct hub_http *http, void *ud)
{
    struct hub_aws_run *run = ud;
    if (hub_bus_socket_run_started(http, run->bus_socket)) return 1;
    if (!run->aws) return 0;
    if (run->routes) {
        const char *host = run->cfg->host ? run->cfg->host : "0.0.0.0";
        char err[160];
        if (run->cfg->aws->port != 0 && run->cfg->aws->port == hub_http_port(http)) {
            hub_log(HUB_LOG_ERROR, "aws.port %d is the hub's own port: leave it out (or null) to "
                    "serve the APIs there", run->cfg->aws->port);
            return 1;
        }
        int port = hub_http_listen(http, host, run->cfg->aws->port, run->routes, err, sizeof err);
        if (port < 0) {
            hub_log(HUB_LOG_ERROR, "aws: %s", err);
            return 1;
        }
        /* not "listening on": that line names the hub's port, and scripts look for it */
        printf("AWS APIs on %s:%d\n", host, port);
        fflush(stdout);
        hub_log(HUB_LOG_INFO, "aws: SQS and SNS APIs on %s:%d", host, port);
    }
    if (!hub_bus_socket_bus(run->bus_socket)) {
        /* only the AWS API wants a bus: start it as the bus integration would */
        struct wait w = {0};
        void *ctx = NULL;
        const struct hub_http_client_ops *client = hub_http_client(http, &ctx);
        int rc =
            hub_bus_socket_start(run->bus_socket, client, ctx, hub_http_port(http), on_ready, &w);
        if (rc) {
            hub_log(HUB_LOG_ERROR, "aws: cannot start the bus: %s", hub_strerror(rc));
            return 1;
        }
        while (!w.done)
            uv_run(hub_server_loop(run->srv), UV_RUN_ONCE);
        if (w.err) {
            hub_log(HUB_LOG_ERROR, "aws: cannot create %s: %s", w.what, hub_bus_strerror(w.err));
            hub_bus_socket_stop(run->bus_socket);
            return 1;
        }
    }
    hub_aws_set_bus(run->aws, hub_bus_socket_bus(run->bus_socket));
    return 0;
}

void hub_aws_run_stopping(void *ud)
{
    struct hub_aws_run *run = ud;
    if (run->aws) hub_aws_set_bus(run->aws, NULL);
    hub_bus_socket_run_stopping(run->bus_socket);
}

void hub_aws_run_free(struct hub_aws_run *run)
{
    hub_aws_free(run->aws);
    run->aws = NULL;
    hub_routes_free(run->routes);
    run->routes = NULL;
}
