/* aws_run.h - the AWS APIs (aws.h) in the daemon's run: hub_run hooks wrapping the bus
 * integration's (bus_socket.h), and a bus factory that hands the "aws" account and region to the
 * bus. The APIs share the hub's listener, or with "aws.port" get one of their own (a side listener
 * of the same libwebsockets context, hub_http_listen) that serves them and nothing else; its port is
 * printed as "AWS APIs on HOST:PORT" before the hub's "listening on" line.
 *
 *     struct hub_aws_run ar;
 *     hub_aws_run_init(&ar, srv, &cfg, hub_memory_bus_new, NULL);   before hub_bus_socket_new
 *     bs = hub_bus_socket_new(srv, &cfg, hub_aws_run_make_bus, &ar);
 *     ar.bus_socket = bs;
 *     hub_aws_run_add_routes(&ar, routes);                           with the other routes
 *     hooks = {.routes = routes, .started = hub_aws_run_started,
 *              .stopping = hub_aws_run_stopping, .ud = &ar};
 *     hub_run(srv, &cfg, &hooks);
 *     hub_aws_run_free(&ar);                                          after hub_run
 *
 * With "aws" disabled the hooks are the bus integration's alone. With it enabled the bus is started
 * even when nothing else asks for one. */
#ifndef HUB_AWS_RUN_H
#define HUB_AWS_RUN_H

#include "aws.h"
#include "bus_socket.h"
#include "config.h"
#include "hubbub.h"

struct hub_http;

struct hub_aws_run {
    hub_aws *aws;               /* NULL when "aws" is disabled */
    hub_bus_socket *bus_socket; /* set by the caller after hub_bus_socket_new */
    hub_server *srv;
    const struct hub_config *cfg;
    hub_bus_factory make_bus; /* the real factory */
    void *make_ud;
    hub_routes *routes;       /* the side listener's routes with "aws.port", else NULL */
};

/* Fills run (the API when cfg enables it). Returns 0 or HUB_ENOMEM. */
int hub_aws_run_init(struct hub_aws_run *run, hub_server *srv, const struct hub_config *cfg,
                     hub_bus_factory make_bus, void *make_ud);
/* The factory to give hub_bus_socket_new (ud: run): make_bus with the region and account of
 * "aws" when "bus" names none. */
hub_bus *hub_aws_run_make_bus(uv_loop_t *loop, const struct hub_bus_options *opts, void *ud);
/* Adds the API's routes to routes (the hub's listener; nothing with "aws.port", whose listener has
 * its own). Returns 0, HUB_EEXISTS or HUB_ENOMEM. */
int hub_aws_run_add_routes(struct hub_aws_run *run, hub_routes *routes);
/* hub_run hooks (ud: run). */
int hub_aws_run_started(struct hub_http *http, void *ud);
void hub_aws_run_stopping(void *ud);
/* Frees what init and the hooks made. */
void hub_aws_run_free(struct hub_aws_run *run);

#endif
