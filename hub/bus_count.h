/* bus_count.h - counting what goes through a bus: a decorator of both store tables (bus.h).
 *
 * hub_bus_new_counted() builds a bus like hub_bus_new() on stores wrapped by counting ones: every
 * operation goes to the real store unchanged, and the answers of sends, receives, deletes, purges
 * and publishes are counted per queue and per topic in a hub_bus_counts that the caller owns (it
 * outlives the bus: metrics keep it). Depths are not counted here: the stores report them
 * (hub_queue_info). Any back end can be wrapped, the in-memory one or a remote one.
 *
 * Counters are plain integers on the loop's thread. A queue's or topic's counters are dropped when
 * the store reports it deleted, so names that come and go do not accumulate. */
#ifndef HUB_BUS_COUNT_H
#define HUB_BUS_COUNT_H

#include <stdint.h>

#include "bus.h"

struct hub_queue_counts {
    uint64_t sent;        /* messages stored (a FIFO duplicate is not counted) */
    uint64_t received;    /* messages handed to receivers (redeliveries included) */
    uint64_t redelivered; /* ... of which received before (ApproximateReceiveCount > 1) */
    uint64_t deleted;     /* receipt handles deleted (acknowledged) */
    uint64_t purges;      /* purges done */
};

struct hub_topic_counts {
    uint64_t published;  /* messages stored (a FIFO duplicate is not counted) */
    uint64_t deliveries; /* messages times the confirmed subscriptions at publish time, before
                          * filter policies */
};

typedef struct hub_bus_counts hub_bus_counts;

/* Returns new, empty counters, or NULL. */
hub_bus_counts *hub_bus_counts_new(void);
/* Frees them. The buses counting into them must be freed first. NULL is a no-op. */
void hub_bus_counts_free(hub_bus_counts *c);

/* The counters of queue / topic name (borrowed, valid until the next operation of a bus on c), or
 * NULL when nothing was counted for it yet. */
const struct hub_queue_counts *hub_bus_counts_queue(const hub_bus_counts *c, const char *name);
const struct hub_topic_counts *hub_bus_counts_topic(const hub_bus_counts *c, const char *name);

/* hub_bus_new() on counting wrappers of the two stores; counts must outlive the bus. On failure
 * (NULL) the stores are still the caller's, as with hub_bus_new(). */
hub_bus *hub_bus_new_counted(uv_loop_t *loop, const struct hub_queue_store_ops *qops, void *qstore,
                             const struct hub_topic_store_ops *tops, void *tstore,
                             const struct hub_bus_options *opts, hub_bus_counts *counts);

#endif
