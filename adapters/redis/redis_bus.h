/* redis_bus.h - the daemon's bus on the Redis stores (redis_store.h), in the shape of the bus
 * factory that hub/bus_socket.h takes, and a readiness check for /readyz (web.h).
 *
 *     struct hub_redis_bus rb;
 *     hub_redis_bus_init(&rb, &cfg);                  cfg.redis set; before the factory is used
 *     rb.counts = ...;                                 optional: metrics (bus_count.h)
 *     hub_bus_socket_new(srv, &cfg, hub_redis_bus_new, &rb);
 *     hub_web_ready_add(web, "busStore", hub_redis_bus_ready, &rb);
 *     ...
 *     hub_redis_bus_clear(&rb);                       after the loop ran dry
 */
#ifndef HUB_ADAPTERS_REDIS_BUS_H
#define HUB_ADAPTERS_REDIS_BUS_H

#include <stddef.h>
#include <uv.h>

#include "bus.h"
#include "bus_count.h"
#include "config.h"
#include "redis_store.h"

struct hub_redis_bus {
    struct hub_redis_store_options opts; /* url and prefix owned */
    hub_bus_counts *counts;              /* set by the caller to count the traffic (bus_count.h) */
    void *store;                         /* the running bus's queue store, or NULL */
};

/* Fills rb from cfg: cfg->redis as the URL and "<redisKey>:bus:" as the key prefix. Returns 0,
 * HUB_EINVAL (no cfg->redis) or HUB_ENOMEM. */
int hub_redis_bus_init(struct hub_redis_bus *rb, const struct hub_config *cfg);
/* Releases what init made. */
void hub_redis_bus_clear(struct hub_redis_bus *rb);

/* A bus factory (ud: a struct hub_redis_bus): a new bus on loop owning a new pair of Redis stores,
 * or NULL. Free it with hub_bus_free(). */
hub_bus *hub_redis_bus_new(uv_loop_t *loop, const struct hub_bus_options *opts, void *ud);

/* A readiness check (web.h's hub_ready_fn; ud: the struct hub_redis_bus): 1 while the running
 * bus's store is connected (or no bus runs), else 0 with the reason in why. */
int hub_redis_bus_ready(void *ud, char *why, size_t len);

#endif
