/* redis_bus.c - see redis_bus.h. */
#include "redis_bus.h"

#include <stdio.h>
#include <string.h>

#include "hub_alloc.h"

int hub_redis_bus_init(struct hub_redis_bus *rb, const struct hub_config *cfg)
{
    const char *key = cfg && cfg->redis_key ? cfg->redis_key : "socket.io";
    size_t len = strlen(key) + sizeof ":bus:";
    char *prefix;

    memset(rb, 0, sizeof *rb);
    if (!cfg || !cfg->redis) return HUB_EINVAL;
    if (!(prefix = hub_malloc(len))) return HUB_ENOMEM;
    snprintf(prefix, len, "%s:bus:", key);
    rb->opts.prefix = prefix;
    if (!(rb->opts.url = hub_strdup(cfg->redis))) {
        hub_redis_bus_clear(rb);
        return HUB_ENOMEM;
    }
    return 0;
}

void hub_redis_bus_clear(struct hub_redis_bus *rb)
{
    hub_free((char *)rb->opts.url);
    hub_free((char *)rb->opts.prefix);
    memset(rb, 0, sizeof *rb);
}

hub_bus *hub_redis_bus_new(uv_loop_t *loop, const struct hub_bus_options *opts, void *ud)
{
    struct hub_redis_bus *rb = ud;
    void *qs, *ts;
    hub_bus *bus;

    if (!rb || hub_redis_stores_new(loop, &rb->opts, &qs, &ts) != 0) return NULL;
    bus = rb->counts ? hub_bus_new_counted(loop, hub_redis_queue_store_ops(), qs,
                                           hub_redis_topic_store_ops(), ts, opts, rb->counts)
                     : hub_bus_new(loop, hub_redis_queue_store_ops(), qs,
                                   hub_redis_topic_store_ops(), ts, opts);
    if (!bus) {
        hub_redis_queue_store_ops()->destroy(qs);
        hub_redis_topic_store_ops()->destroy(ts);
        return NULL;
    }
    rb->store = qs;
    hub_redis_store_watch(qs, &rb->store); /* forgotten when the bus frees it */
    return bus;
}

int hub_redis_bus_ready(void *ud, char *why, size_t len)
{
    struct hub_redis_bus *rb = ud;
    struct hub_redis_store_status st;

    if (!rb || !rb->store) return 1;
    hub_redis_store_status(rb->store, &st);
    if (st.connected) return 1;
    if (!st.ever_connected)
        snprintf(why, len, "redis unreachable: never connected");
    else
        snprintf(why, len, "redis unreachable for %llu ms", (unsigned long long)st.down_ms);
    return 0;
}
