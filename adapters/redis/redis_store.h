/* redis_store.h - the bus's queue and topic stores (bus.h) on Redis: every node that uses the same
 * Redis and key prefix sees the same queues, topics, subscriptions and messages
 * (docs/REDIS-STORE.md: the key layout, the scripts, the failure behaviour).
 *
 * Each operation is one call of one Lua script (EVALSHA, loaded once per connection, reloaded on
 * NOSCRIPT) that reads the time from Redis (TIME), so nodes with skewed clocks agree on visibility
 * timeouts, delays, retention and de-duplication windows, and every operation is atomic: a message
 * is never handed to two consumers at once. Long polls wait on a per-queue pub/sub channel that the
 * scripts PUBLISH to when a queue may have messages (a send, a visibility change to 0, a FIFO group
 * that unlocks, a dead-letter move or redrive, a queue deleted) and, for delays and visibility
 * timeouts ending on an idle cluster, on a timer armed for the earliest due time the receive
 * script reports: no busy polling.
 *
 * Usage:
 *     struct hub_redis_store_options o = {.url = "redis://127.0.0.1:6379"};
 *     void *qs, *ts;
 *     if (hub_redis_stores_new(loop, &o, &qs, &ts) == 0)
 *         bus = hub_bus_new(loop, hub_redis_queue_store_ops(), qs, hub_redis_topic_store_ops(), ts,
 *                           NULL);
 * The bus then owns both stores (hub_bus_free destroys them; run the loop until uv_run returns).
 *
 * Failures: the stores connect on the loop and retry with back-off (100 ms to 5 s), logging the
 * first failure clearly. Operations made before Redis was ever reached wait for it; once it was,
 * an operation made while it is unreachable, or whose answer the lost connection swallowed, fails
 * with HUB_ECLOSED (the bus's "ServiceUnavailable") - never a false success. A long poll waits
 * through an outage until its wait time ends (then HUB_ECLOSED if Redis is still away) and is
 * served again when the connection is back. */
#ifndef HUB_REDIS_STORE_H
#define HUB_REDIS_STORE_H

#include <stdint.h>
#include <uv.h>

#include "bus.h"

struct hub_redis_store_options {
    const char *url;            /* "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]"; required */
    const char *prefix;         /* of every key and channel; NULL: "hubbub:bus:" */
    uint64_t dedup_window_ms;   /* FIFO de-duplication window; 0: HUB_BUS_DEDUP_WINDOW_MS */
    uint64_t purge_interval_ms; /* minimum time between purges of a queue; 0: 60 s */
    uint32_t max_inflight;      /* in-flight messages per queue; 0: 120000 */
};

/* The stores' tables (static). */
const struct hub_queue_store_ops *hub_redis_queue_store_ops(void);
const struct hub_topic_store_ops *hub_redis_topic_store_ops(void);

/* Makes a queue store (*qs) and a topic store (*ts) sharing one pair of connections to opts->url
 * (opts and its strings are copied). Returns 0, HUB_EINVAL (no or a bad URL: logged) or
 * HUB_ENOMEM. Free each through its ops->destroy (or hub_bus_free when a bus owns them). */
int hub_redis_stores_new(uv_loop_t *loop, const struct hub_redis_store_options *opts, void **qs,
                         void **ts);

/* The state of a store's connections (either store of a pair). */
struct hub_redis_store_status {
    int connected;        /* commands and wake-ups both connected */
    int ever_connected;   /* Redis was reached at least once */
    uint64_t down_ms;     /* how long it has been unreachable (0 when connected) */
    uint64_t reconnects;  /* connections made again after a loss */
    uint64_t unavailable; /* operations failed with HUB_ECLOSED because Redis was unreachable */
};
void hub_redis_store_status(void *store, struct hub_redis_store_status *st);

/* Sets *slot to NULL when the queue store qs is destroyed (for an owner that keeps a pointer to
 * it, such as a readiness check). */
void hub_redis_store_watch(void *qs, void **slot);

#endif
