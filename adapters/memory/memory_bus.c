/* memory_bus.c - see memory_bus.h. */
#include "memory_bus.h"

#include "memory.h"

hub_bus *hub_memory_bus_new(uv_loop_t *loop, const struct hub_bus_options *opts, void *ud)
{
    void *qs = hub_memory_queue_store_new(loop, NULL);
    void *ts = hub_memory_topic_store_new(loop, NULL);
    hub_bus *bus = NULL;

    (void)ud;
    if (qs && ts)
        bus = hub_bus_new(loop, hub_memory_queue_store_ops(), qs, hub_memory_topic_store_ops(), ts,
                          opts);
    if (!bus) {
        if (qs) hub_memory_queue_store_ops()->destroy(qs);
        if (ts) hub_memory_topic_store_ops()->destroy(ts);
    }
    return bus;
}
