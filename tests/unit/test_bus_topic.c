/* test_bus_topic.c - SNS-style topics through the bus on the in-memory stores (the checks are
 * bus_topic_cases.h, shared with the Redis store's test). */
#include <uv.h>

#include "bus.h"
#include "bus_store_test.h"
#include "memory/memory.h"
#include "testlib.h"

static hub_bus *store_bus_new(uv_loop_t *l, const struct store_opts *o,
                              const struct hub_bus_options *bo)
{
    struct hub_memory_options m = {0};
    if (o)
        m = (struct hub_memory_options){o->dedup_window_ms, o->purge_interval_ms, o->max_inflight};
    void *qs = hub_memory_queue_store_new(l, &m);
    void *ts = hub_memory_topic_store_new(l, &m);
    return hub_bus_new(l, hub_memory_queue_store_ops(), qs, hub_memory_topic_store_ops(), ts, bo);
}

#include "bus_topic_cases.h"

int main(void)
{
    BUS_TOPIC_CASES(RUN);
    return TEST_SUMMARY();
}
