/* metrics.h - what a node knows about itself: counters of the Engine.IO and Socket.IO layers
 * (hub_server_stats), the event bus's queues and topics (depths from the stores, counters from a
 * counting decorator, bus_count.h), the cluster back end (hub_server_cluster_status) and the event
 * loop's lag, gathered into one JSON snapshot; the snapshot in the Prometheus text format at
 * /metrics; and the node's identity. docs/OPERATIONS.md lists every metric.
 *
 * The snapshot (hub_metrics_snapshot) is asynchronous because queue depths come from the stores:
 *
 *   {"node": {"id", "hostname", "pid", "version", "uptime" (s), "time" (ms since the epoch),
 *             "loopLag", "loopLagMax" (s)},
 *    "cluster": {"backend", "uid", "connected", "latencyMs" (-1: unknown), "reconnects",
 *                "published", "received", "dropped"},
 *    "engine": {"clients", "websocket", "polling", "opened", "upgrades", "packetsIn", "packetsOut",
 *               "bytesIn", "bytesOut", "slowConsumers", "closed": {"<reason>": n, ...}},
 *    "sockets": {"clients", "connects", "connectErrors", "disconnects", "eventsIn", "eventsOut",
 *                "acksPending", "acksReceived", "acksTimedOut", "broadcasts",
 *                "broadcastRecipients", "fanout": [[bound or null, count], ...]},
 *    "namespaces": [{"name", "sockets", "rooms" (besides the sockets' own)}],
 *    "bus": null, or {"queues": [{"name", "fifo", "visible", "inflight", "delayed", "dlq" (name
 *                     or null), "maxReceiveCount", "sent", "received", "redelivered", "deleted",
 *                     "purges"}],
 *                     "topics": [{"name", "fifo", "subscriptions", "pending", "published",
 *                     "deliveries"}],
 *                     "subscriptions": [{"topic", "protocol", "endpoint", "pending", "raw"}],
 *                     "error": text (when the store could not be read)}}
 *
 * Threading: the loop's thread only. */
#ifndef HUB_METRICS_H
#define HUB_METRICS_H

#include <jansson.h>
#include <stddef.h>

#include "bus_count.h"
#include "bus_socket.h"
#include "config.h"
#include "httpx.h"
#include "hubbub.h"

#define HUB_METRICS_LAG_INTERVAL_MS 500 /* how often the loop's lag is sampled */
#define HUB_METRICS_LAG_WINDOW 20       /* loopLagMax: the largest of the last samples (10 s) */
#define HUB_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct hub_metrics hub_metrics;

/* Returns a new collector for srv (borrowed, must outlive it), or NULL. node_id names this node
 * (copied); NULL or "" makes "<hostname>#<pid>", unique on one machine. Nothing runs yet. */
hub_metrics *hub_metrics_new(hub_server *srv, const char *node_id);
/* Stops (if running) and frees. Snapshots under way must have completed (run the loop dry
 * first). NULL is a no-op. */
void hub_metrics_free(hub_metrics *m);

/* This node's id (borrowed). */
const char *hub_metrics_node_id(const hub_metrics *m);
/* The counters a counting bus (hub_bus_new_counted) should count into; owned by m. */
hub_bus_counts *hub_metrics_bus_counts(hub_metrics *m);
/* Where queues and topics are read from (borrowed; NULL: no bus section). */
void hub_metrics_set_bus(hub_metrics *m, hub_bus_socket *bs);

/* Starts sampling the loop's lag (an unreferenced timer: it does not keep the loop alive).
 * Returns 0 or a negative HUB_E*. */
int hub_metrics_start(hub_metrics *m);
/* Stops the sampling; idempotent. */
void hub_metrics_stop(hub_metrics *m);

/* The end of a snapshot: snap (borrowed for the call; NULL when out of memory). */
typedef void (*hub_metrics_cb)(void *ud, const json_t *snap);
/* Gathers a snapshot. cb runs exactly once, from the loop, never from inside this call. Returns 0,
 * or HUB_ENOMEM (cb never runs). */
int hub_metrics_snapshot(hub_metrics *m, hub_metrics_cb cb, void *ud);

/* Writes a snapshot in the Prometheus text exposition format (0.0.4) into a new buffer *out
 * (NUL-terminated, hub_free) of *len bytes. Pure: no state of m is read. Returns 0, HUB_EINVAL
 * (not a snapshot) or HUB_ENOMEM. */
int hub_metrics_render(const json_t *snap, char **out, size_t *len);

/* Escapes a Prometheus label value (backslash, double quote, newline) into buf (len bytes). Returns
 * the length, or HUB_ETOOBIG. */
int hub_metrics_label_escape(const char *value, char *buf, size_t len);

/* Adds GET /metrics (the snapshot rendered) to routes. Returns 0, HUB_EEXISTS or HUB_ENOMEM. */
int hub_metrics_add_routes(hub_metrics *m, hub_routes *routes);

#endif
