/* memory.h - the in-memory bus back end: the single-node default.
 *
 * Two stores, one per table of bus.h: a queue store and a topic store, each bound to one libuv loop
 * and holding all its state in the object (no globals). Both are real implementations: per queue a
 * visible list, FIFO message groups with a ready list, one min-heap of deadlines (delays,
 * visibility timeouts, retention, long-poll timeouts, move-task ticks) per store driving a single
 * uv_timer, hash maps (hub_map, SipHash) for queues, messages, groups and de-duplication ids.
 *
 * Usage:
 *     void *qs = hub_memory_queue_store_new(loop, NULL);
 *     void *ts = hub_memory_topic_store_new(loop, NULL);
 *     hub_bus *bus = hub_bus_new(loop, hub_memory_queue_store_ops(), qs,
 *                                hub_memory_topic_store_ops(), ts, NULL);
 * The bus then owns the stores (hub_bus_free destroys them).
 *
 * Handles and the loop: a store's timer keeps the loop alive only while a long poll or a message
 * move task is pending, so uv_run(UV_RUN_DEFAULT) returns once nothing is awaited even though
 * messages still have retention deadlines. Pending callbacks keep it alive until they ran. */
#ifndef HUB_ADAPTERS_MEMORY_H
#define HUB_ADAPTERS_MEMORY_H

#include <stdint.h>
#include <uv.h>

#include "bus.h"

struct hub_memory_options {
    uint64_t dedup_window_ms;   /* FIFO de-duplication window; 0: HUB_BUS_DEDUP_WINDOW_MS (5 min) */
    uint64_t purge_interval_ms; /* minimum time between purges of a queue; 0: 60 s */
    uint32_t max_inflight;      /* in-flight messages per queue; 0: 120000 (standard queues answer
                                 * OVER_LIMIT beyond it, FIFO queues answer no messages) */
};

/* The queue store's table (static). */
const struct hub_queue_store_ops *hub_memory_queue_store_ops(void);
/* Returns a new queue store on loop, or NULL. opts may be NULL; it is copied. Free it through
 * ops->destroy (or hub_bus_free when a bus owns it). */
void *hub_memory_queue_store_new(uv_loop_t *loop, const struct hub_memory_options *opts);

/* The topic store's table (static). */
const struct hub_topic_store_ops *hub_memory_topic_store_ops(void);
/* Returns a new topic store on loop, or NULL. opts may be NULL (only dedup_window_ms is used). */
void *hub_memory_topic_store_new(uv_loop_t *loop, const struct hub_memory_options *opts);

#endif
