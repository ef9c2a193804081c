/* lws_ops.c - see ops.h. Part of the glue library only because its bus factory builds the
 * in-memory stores (adapters/); it does not touch libwebsockets. */
#include "ops.h"

#include <stdio.h>
#include <string.h>

#include "hub_err.h"
#include "log.h"
#include "memory/memory.h"

int hub_ops_init(struct hub_ops *o, hub_server *srv, const struct hub_config *cfg)
{
    memset(o, 0, sizeof(*o));
    if (!srv) return HUB_EINVAL;
    o->metrics = hub_metrics_new(srv, cfg->admin ? cfg->admin->server_id : NULL);
    return o->metrics ? 0 : HUB_ENOMEM;
}

hub_bus *hub_ops_make_memory_bus(uv_loop_t *loop, const struct hub_bus_options *opts, void *ud)
{
    struct hub_ops *o = ud;
    void *qs = hub_memory_queue_store_new(loop, NULL);
    void *ts = hub_memory_topic_store_new(loop, NULL);
    hub_bus *bus = NULL;

    if (qs && ts)
        bus = o && o->metrics ? hub_bus_new_counted(loop, hub_memory_queue_store_ops(), qs,
                                                    hub_memory_topic_store_ops(), ts, opts,
                                                    hub_metrics_bus_counts(o->metrics))
                              : hub_bus_new(loop, hub_memory_queue_store_ops(), qs,
                                            hub_memory_topic_store_ops(), ts, opts);
    if (!bus) {
        if (qs) hub_memory_queue_store_ops()->destroy(qs);
        if (ts) hub_memory_topic_store_ops()->destroy(ts);
    }
    return bus;
}

int hub_ops_cluster_ready(void *ud, char *why, size_t len)
{
    struct hub_cluster_status st;

    if (hub_server_cluster_status(ud, &st) != 0) return 1;
    if (st.connected) return 1;
    snprintf(why, len, "%s unreachable", st.backend);
    return 0;
}

int hub_ops_install(struct hub_ops *o, hub_server *srv, const struct hub_config *cfg,
                    hub_bus_socket *bus, hub_routes *routes, hub_web *web)
{
    int rc;

    if (!o->metrics) return HUB_ENOMEM;
    hub_metrics_set_bus(o->metrics, bus);
    if (cfg->admin && cfg->admin->enabled) {
        if (!(o->admin = hub_admin_new(srv, cfg, o->metrics))) {
            hub_log(HUB_LOG_ERROR, "cannot set up the admin namespace %s", cfg->admin->nsp);
            return HUB_ENOMEM;
        }
    }
    if (hub_dashboard_wanted(cfg)) {
        o->dashboard =
            hub_dashboard_new(srv, cfg, o->metrics, o->admin ? hub_admin_get_auth(o->admin) : NULL);
        if (!o->dashboard) {
            hub_log(HUB_LOG_ERROR, "cannot set up the dashboard's namespace");
            return HUB_ENOMEM;
        }
    }
    if ((rc = hub_metrics_add_routes(o->metrics, routes)) != 0 ||
        (o->admin && (rc = hub_admin_add_routes(o->admin, routes)) != 0)) {
        hub_log(HUB_LOG_ERROR, "cannot add the operations routes: %s", hub_strerror(rc));
        return rc;
    }
    if (web && cfg->redis && (rc = hub_web_ready_add(web, "redis", hub_ops_cluster_ready, srv)))
        return rc;
    return hub_metrics_start(o->metrics);
}

void hub_ops_stop(struct hub_ops *o)
{
    hub_dashboard_stop(o->dashboard);
    hub_admin_stop(o->admin);
    if (o->metrics) hub_metrics_stop(o->metrics);
}

static int ops_started(struct hub_http *http, void *ud)
{
    struct hub_ops *o = ud;
    return o->inner.started ? o->inner.started(http, o->inner.ud) : 0;
}

static void ops_stopping(void *ud)
{
    struct hub_ops *o = ud;

    hub_ops_stop(o);
    if (o->inner.stopping) o->inner.stopping(o->inner.ud);
}

const struct hub_run_hooks *hub_ops_hooks(struct hub_ops *o, const struct hub_run_hooks *inner)
{
    memset(&o->inner, 0, sizeof(o->inner));
    if (inner) o->inner = *inner;
    o->hooks = (struct hub_run_hooks){
        .routes = o->inner.routes, .started = ops_started, .stopping = ops_stopping, .ud = o};
    return &o->hooks;
}

void hub_ops_free(struct hub_ops *o)
{
    hub_dashboard_free(o->dashboard);
    hub_admin_free(o->admin);
    hub_metrics_free(o->metrics);
    memset(o, 0, sizeof(*o));
}
