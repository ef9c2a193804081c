/* dashboard.h - the live feed of the /dashboard page: each node's metrics snapshot (metrics.h),
 * pushed over Socket.IO to the dashboard namespace ("/dashboard" by default, config "dashboard").
 *
 *   on connection   "hello" {node, interval} and a first "stats" (this node's snapshot)
 *   every interval  "stats" <snapshot> from every node that is watched, to the dashboard sockets
 *                   of every node (hub_nsp_emit: in a cluster, a page on one node sees them all)
 *
 * A node is watched while it has dashboard sockets of its own or another node told it, within the
 * last three intervals, that it has some: a watched node sends the server-side event "watch" to
 * the others each interval (hub_nsp_server_side_emit), so idle nodes gather no snapshots.
 *
 * Login: when the Admin UI is configured with a password, the dashboard namespace takes the same
 * login (hub_admin_auth: {username, password} or the {sessionId} the Admin UI or the page keeps);
 * without an "admin" key it is open, as /metrics is. */
#ifndef HUB_DASHBOARD_H
#define HUB_DASHBOARD_H

#include "admin.h"
#include "config.h"
#include "hubbub.h"
#include "metrics.h"

#define HUB_DASHBOARD_WATCH_INTERVALS 3

typedef struct hub_dashboard hub_dashboard;

/* Returns a new feed on srv as cfg describes (NULL when the dashboard is off, or out of memory,
 * or its namespace is taken: check hub_dashboard_wanted), its timer started (unreferenced). auth
 * (may be NULL: open) protects the namespace. srv, cfg, m and auth must outlive it. */
hub_dashboard *hub_dashboard_new(hub_server *srv, const struct hub_config *cfg, hub_metrics *m,
                                 hub_admin_auth *auth);
/* 1 when cfg asks for the dashboard (the default). */
int hub_dashboard_wanted(const struct hub_config *cfg);
/* Stops the timer; idempotent. Call it before the server shuts down. */
void hub_dashboard_stop(hub_dashboard *d);
/* Frees it after the loop ran dry. NULL is a no-op. */
void hub_dashboard_free(hub_dashboard *d);

#endif
