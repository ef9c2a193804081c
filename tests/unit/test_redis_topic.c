/* test_redis_topic.c - the topic semantics (bus_topic_cases.h) on the Redis store, against a real
 * redis-server this program starts on a free port (redis_server.h) and stops at the end. */
#include <uv.h>

#include "bus.h"
#include "bus_store_test.h"
#include "redis/redis_store.h"
#include "redis_server.h"
#include "testlib.h"

static struct test_redis server;
static int buses;

/* Each bus gets its own key prefix: every check starts from an empty store. */
static hub_bus *store_bus_new(uv_loop_t *l, const struct store_opts *o,
                              const struct hub_bus_options *bo)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "topic-test%d:", ++buses);
    struct hub_redis_store_options ro = {.url = server.url, .prefix = prefix};
    if (o) {
        ro.dedup_window_ms = o->dedup_window_ms;
        ro.purge_interval_ms = o->purge_interval_ms;
        ro.max_inflight = o->max_inflight;
    }
    void *qs, *ts;
    if (hub_redis_stores_new(l, &ro, &qs, &ts) != 0) return NULL;
    return hub_bus_new(l, hub_redis_queue_store_ops(), qs, hub_redis_topic_store_ops(), ts, bo);
}

#include "bus_topic_cases.h"

int main(void)
{
    if (test_redis_start(&server, NULL) != 0) {
        fprintf(stderr, "cannot start redis-server: skipped\n");
        test_redis_cleanup(&server);
        return 0;
    }
    BUS_TOPIC_CASES(RUN);
    test_redis_cleanup(&server);
    return TEST_SUMMARY();
}
