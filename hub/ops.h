/* ops.h - the operations side of the daemon in one place: the metrics collector and /metrics
 * (metrics.h), the Admin UI's namespace and pages (admin.h), the dashboard's feed (dashboard.h),
 * the "redis" readiness check of /readyz, and a bus factory that counts into the metrics.
 *
 *     struct hub_ops ops;
 *     hub_ops_init(&ops, srv, &cfg);                         after hub_server_new
 *     ... hub_bus_socket_new(srv, &cfg, <factory>, ...)       factory: hub_ops_make_memory_bus,
 * &ops hub_ops_install(&ops, srv, &cfg, bus, routes, web);     after the apps, with the routes
 *     hub_run(srv, &cfg, hub_ops_hooks(&ops, &hooks));        wraps the other hooks
 *     hub_ops_free(&ops);                                     after hub_run
 *
 * In the glue library (hub/lws_ops.c) because its factory builds the in-memory stores. */
#ifndef HUB_OPS_H
#define HUB_OPS_H

#include "admin.h"
#include "bus_socket.h"
#include "config.h"
#include "dashboard.h"
#include "hubbub.h"
#include "metrics.h"
#include "run.h"
#include "web.h"

struct hub_ops {
    hub_metrics *metrics;
    hub_admin *admin;         /* NULL without an "admin" key */
    hub_dashboard *dashboard; /* NULL when "dashboard" is false */
    struct hub_run_hooks inner, hooks;
};

/* Creates the metrics collector (named by admin.serverId when set). Returns 0 or HUB_ENOMEM (o is
 * then still safe to free). */
int hub_ops_init(struct hub_ops *o, hub_server *srv, const struct hub_config *cfg);

/* A bus factory (ud: o): a bus on a new pair of in-memory stores whose traffic is counted into
 * o's metrics (bus_count.h). NULL when out of memory. */
hub_bus *hub_ops_make_memory_bus(uv_loop_t *loop, const struct hub_bus_options *opts, void *ud);

/* Creates the admin namespace and the dashboard's as cfg asks (after the apps' namespaces, so a
 * clash is reported), points the metrics at bus (may be NULL), adds /metrics and the Admin UI's
 * pages to routes and the "redis" check to web (may be NULL), and starts the timers (the loop's
 * lag). Returns 0 or a negative HUB_E* (logged; call hub_ops_stop before running the loop dry). */
int hub_ops_install(struct hub_ops *o, hub_server *srv, const struct hub_config *cfg,
                    hub_bus_socket *bus, hub_routes *routes, hub_web *web);

/* The hooks for hub_run: inner's (copied; may be NULL), with the stopping hook stopping the
 * timers of o first. Borrowed from o. */
const struct hub_run_hooks *hub_ops_hooks(struct hub_ops *o, const struct hub_run_hooks *inner);

/* Stops the timers (the stopping hook does it in a run); idempotent. */
void hub_ops_stop(struct hub_ops *o);

/* Frees everything, after hub_run (the loop ran dry). */
void hub_ops_free(struct hub_ops *o);

/* A readiness check (web.h; ud: the server): 1 when the server runs alone or its cluster back end
 * is connected, else 0 with the reason. */
int hub_ops_cluster_ready(void *ud, char *why, size_t len);

#endif
