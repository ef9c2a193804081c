/* dashboard.c - see dashboard.h. */
#include "dashboard.h"

#include <string.h>

#include "admin_config.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "log.h"

struct hub_dashboard {
    hub_server *srv;
    hub_metrics *m;
    hub_nsp *nsp;
    uint32_t interval_ms;
    uv_timer_t timer;
    int timer_open;
    int busy; /* the broadcast's snapshot is under way */
    int stopped;
    uint64_t watched_until; /* loop time (ms) */
};

/* A first snapshot for one new socket. */
struct first {
    hub_dashboard *d;
    char sid[HUB_SOCKET_ID_MAX + 1];
};

int hub_dashboard_wanted(const struct hub_config *cfg)
{
    return !cfg->admin || cfg->admin->dashboard;
}

static void on_first_snap(void *ud, const json_t *snap)
{
    struct first *f = ud;
    hub_socket *s = f->d->stopped ? NULL : hub_nsp_socket(f->d->nsp, f->sid);
    json_t *args;

    if (s && snap && (args = json_pack("[O]", snap))) {
        hub_socket_emit(s, "stats", args, NULL, 0);
        json_decref(args);
    }
    hub_free(f);
}

static void on_connection(hub_socket *s, void *ud)
{
    hub_dashboard *d = ud;
    struct first *f;
    json_t *args = json_pack("[{s:s,s:I}]", "node", hub_metrics_node_id(d->m), "interval",
                             (json_int_t)d->interval_ms);

    if (args) hub_socket_emit(s, "hello", args, NULL, 0);
    json_decref(args);
    if (!(f = hub_calloc(1, sizeof(*f)))) return;
    f->d = d;
    snprintf(f->sid, sizeof(f->sid), "%s", hub_socket_id(s));
    if (hub_metrics_snapshot(d->m, on_first_snap, f) != 0) hub_free(f);
}

static void on_watch(hub_nsp *nsp, const struct hub_event *ev, void *ud)
{
    hub_dashboard *d = ud;

    (void)nsp;
    (void)ev;
    d->watched_until =
        uv_now(hub_server_loop(d->srv)) + (uint64_t)d->interval_ms * HUB_DASHBOARD_WATCH_INTERVALS;
}

static void on_tick_snap(void *ud, const json_t *snap)
{
    hub_dashboard *d = ud;
    json_t *args;

    d->busy = 0;
    if (d->stopped || !snap || !hub_server_engine(d->srv) || !(args = json_pack("[O]", snap)))
        return;
    hub_nsp_emit(d->nsp, NULL, "stats", args, NULL, 0);
    json_decref(args);
}

static void on_tick(uv_timer_t *t)
{
    hub_dashboard *d = t->data;
    int local = hub_nsp_count(d->nsp) > 0;

    if (!hub_server_engine(d->srv)) return; /* shutting down */
    if (local) {
        json_t *args = json_pack("[s]", hub_metrics_node_id(d->m));
        if (args) hub_nsp_server_side_emit(d->nsp, "watch", args);
        json_decref(args);
    }
    if ((local || uv_now(hub_server_loop(d->srv)) < d->watched_until) && !d->busy) {
        d->busy = 1;
        if (hub_metrics_snapshot(d->m, on_tick_snap, d) != 0) d->busy = 0;
    }
}

hub_dashboard *hub_dashboard_new(hub_server *srv, const struct hub_config *cfg, hub_metrics *m,
                                 hub_admin_auth *auth)
{
    const char *name = cfg->admin ? cfg->admin->dashboard_nsp : "/dashboard";
    hub_dashboard *d;

    if (!srv || !m || !hub_dashboard_wanted(cfg)) return NULL;
    if (hub_server_nsp(srv, name)) {
        hub_log(HUB_LOG_ERROR,
                "dashboard: the namespace %s is taken (config \"namespaces\"); "
                "set \"dashboard\": {\"namespace\": ...} or false",
                name);
        return NULL;
    }
    if (!(d = hub_calloc(1, sizeof(*d)))) return NULL;
    d->srv = srv;
    d->m = m;
    d->interval_ms =
        cfg->admin ? cfg->admin->dashboard_interval_ms : HUB_DASHBOARD_INTERVAL_DEFAULT_MS;
    if (!(d->nsp = hub_server_of(srv, name)) || (auth && hub_admin_auth_install(auth, d->nsp)) ||
        hub_nsp_on_connection(d->nsp, on_connection, d) ||
        hub_nsp_on_server_event(d->nsp, "watch", on_watch, d) ||
        uv_timer_init(hub_server_loop(srv), &d->timer) != 0) {
        hub_free(d);
        return NULL;
    }
    d->timer.data = d;
    d->timer_open = 1;
    uv_unref((uv_handle_t *)&d->timer);
    uv_timer_start(&d->timer, on_tick, d->interval_ms, d->interval_ms);
    return d;
}

void hub_dashboard_stop(hub_dashboard *d)
{
    if (!d || !d->timer_open) return;
    d->stopped = 1;
    d->timer_open = 0;
    uv_timer_stop(&d->timer);
    if (!uv_is_closing((uv_handle_t *)&d->timer)) uv_close((uv_handle_t *)&d->timer, NULL);
}

void hub_dashboard_free(hub_dashboard *d)
{
    if (!d) return;
    hub_dashboard_stop(d);
    hub_free(d);
}
