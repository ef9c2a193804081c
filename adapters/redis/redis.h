/* redis.h - the Redis cluster back end: Hubbub nodes, Node.js socket.io servers with
 * @socket.io/redis-adapter 8.x (classic) and @socket.io/redis-emitter share rooms, broadcasts and
 * the cluster operations through one Redis (docs: /work/shared/protocols/redis-adapter.md).
 *
 * Per server: one publisher and one subscriber connection (hiredis on the server's libuv loop).
 * For each namespace the subscriber runs PSUBSCRIBE <key>#<nsp>#* and SUBSCRIBE
 * <key>-request#<nsp># <key>-response#<nsp># <key>-response#<nsp>#<uid>#, so that PUBSUB NUMSUB on
 * the request channel counts this node once.
 *
 * Failures: a Redis that cannot be reached (at start or later) is logged, the node keeps serving
 * its own clients, and both connections retry with back-off (100 ms doubling to 5 s); on reconnect
 * the subscriptions are made again. What could not be published meanwhile is dropped and counted.
 * A PING every 2 s measures the latency; no answer within 6 s counts as a lost connection.
 * hub_server_cluster_status() (hubbub.h) reports it all. */
#ifndef HUB_REDIS_H
#define HUB_REDIS_H

#include "config.h"
#include "hubbub.h"

/* Joins srv to the cluster on cfg->redis (a redis:// URL; nothing to do when NULL) with the channel
 * prefix cfg->redis_key and cfg->redis_requests_timeout_ms for cluster requests. Call it after the
 * namespaces are created (later ones join as they are created) and before running the loop. It does
 * not wait for Redis: the connections are made on the loop. Everything is released when the server
 * shuts down (hub_server_shutdown). cfg is borrowed for the call. Returns 0, HUB_EINVAL (a bad
 * URL, logged), HUB_EEXISTS (srv has a cluster already) or HUB_ENOMEM. */
int hub_redis_attach(hub_server *srv, const struct hub_config *cfg);

#endif
