/* bus_store_test.h - what the shared store checks (bus_queue_cases.h, bus_topic_cases.h) need from
 * the test program that runs them against one store. */
#ifndef HUB_TEST_BUS_STORE_TEST_H
#define HUB_TEST_BUS_STORE_TEST_H

#include <stdint.h>
#include <uv.h>

#include "bus.h"

/* Store settings the checks shorten (0: the store's default). */
struct store_opts {
    uint64_t dedup_window_ms;
    uint64_t purge_interval_ms;
    uint32_t max_inflight;
};

/* Defined by the test program before it includes the cases: a new bus on l over fresh, empty
 * stores of the kind under test (o may be NULL), or NULL. */
static hub_bus *store_bus_new(uv_loop_t *l, const struct store_opts *o,
                              const struct hub_bus_options *bo);

#endif
