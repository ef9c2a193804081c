/* test_redis_store.c - the Redis queue store against a real redis-server this program starts on a
 * free port (redis_server.h): every queue semantic of the in-memory store (bus_queue_cases.h),
 * then what only a shared store has: two buses ("nodes") on one Redis, Redis going away and coming
 * back, Redis not there at start, scripts lost (NOSCRIPT), and one Redis call per operation. */
#include <hiredis/hiredis.h>
#include <uv.h>

#include "bus.h"
#include "bus_store_test.h"
#include "redis/redis_store.h"
#include "redis_server.h"
#include "testlib.h"

static struct test_redis server;
static int buses;
static char prefix_now[32];

/* Each bus gets its own key prefix: every check starts from an empty store. */
static hub_bus *store_bus_new(uv_loop_t *l, const struct store_opts *o,
                              const struct hub_bus_options *bo)
{
    snprintf(prefix_now, sizeof prefix_now, "queue-test%d:", ++buses);
    struct hub_redis_store_options ro = {.url = server.url, .prefix = prefix_now};
    if (o) {
        ro.dedup_window_ms = o->dedup_window_ms;
        ro.purge_interval_ms = o->purge_interval_ms;
        ro.max_inflight = o->max_inflight;
    }
    void *qs, *ts;
    if (hub_redis_stores_new(l, &ro, &qs, &ts) != 0) return NULL;
    return hub_bus_new(l, hub_redis_queue_store_ops(), qs, hub_redis_topic_store_ops(), ts, bo);
}

#include "bus_queue_cases.h"

/* ---- what only a shared store has ---- */

/* Another bus on the same Redis and key prefix as the current one: a second node. */
static hub_bus *second_node(const char *url)
{
    struct hub_redis_store_options ro = {.url = url, .prefix = prefix_now};
    void *qs, *ts;
    if (hub_redis_stores_new(&loop, &ro, &qs, &ts) != 0) return NULL;
    return hub_bus_new(&loop, hub_redis_queue_store_ops(), qs, hub_redis_topic_store_ops(), ts,
                       NULL);
}

/* The helpers of bus_queue_cases.h act on the global bus: this switches it. */
static hub_bus *use(hub_bus *b)
{
    hub_bus *old = bus;
    bus = b;
    return old;
}

/* A consumer: receives one message at a time (long poll) on its node, records it, deletes it,
 * and polls again once the delete answered. */
struct consumer {
    hub_bus *b;
    int busy, stop;
    int *seen; /* per message number: deliveries */
    int *total;
    char handle[HUB_RECEIPT_HANDLE_LEN + 1];
};

static void consume(struct consumer *c);

static void on_consumer_deleted(void *ud, int err, const struct hub_batch_result *r, size_t n)
{
    struct consumer *c = ud;
    CHECK_INT(err, 0);
    CHECK(n == 1 && r[0].err == 0);
    c->busy = 0;
    if (!c->stop) consume(c);
}

static void on_consumed(void *ud, int err, const struct hub_message *m, size_t n)
{
    struct consumer *c = ud;
    c->busy = 0;
    CHECK(err == 0 || err == HUB_ECLOSED);
    if (n == 1) {
        int k = atoi(m[0].body);
        if (k >= 0 && k < 1000) c->seen[k]++;
        (*c->total)++;
        copy(c->handle, sizeof c->handle, m[0].receipt_handle);
        struct hub_receipt_entry e = {.receipt_handle = c->handle};
        CHECK_INT(hub_bus_delete(c->b, "q", &e, 1, on_consumer_deleted, c), 0);
        c->busy = 1;
        return;
    }
    if (!c->stop) consume(c);
}

static void consume(struct consumer *c)
{
    struct hub_receive_opts o = {.max_messages = 1, .visibility_ms = 30000, .wait_ms = 2000};
    if (hub_bus_receive(c->b, "q", &o, on_consumed, c, NULL) == 0) c->busy = 1;
}

static void test_two_nodes(void)
{
    bus_up(NULL);
    hub_bus *a = bus, *b = second_node(server.url);
    CHECK(b != NULL);
    struct res *r = res_new(), *w = res_new();
    CHECK_INT(create_q("q", NULL), 0);

    /* A send on A wakes a long poll on B at once. */
    use(b);
    CHECK_INT(recv_start("q", 1, -1, 5000, w, NULL), 0);
    use(a);
    run_for(50);
    CHECK_INT(w->done, 0);
    uint64_t t0 = now_ms();
    CHECK_INT(send1("q", "from A"), 0);
    CHECK(run_until(&w->done, 3000));
    CHECK(w->at - t0 < 500);
    CHECK_INT(w->n, 1);
    CHECK_STR(w->m[0].body, "from A");
    /* B's receipt deletes on A: the handle names the queue, not the node. */
    CHECK_INT(delete_msg("q", w->m[0].handle), 0);

    /* Visibility agrees: received on A for 200 ms, invisible on B, then B's poll gets it. */
    CHECK_INT(send1("q", "vis"), 0);
    CHECK_INT(recv_msgs("q", 1, 200, 0, r), 0);
    CHECK_INT(r->n, 1);
    char first[48];
    copy(first, sizeof first, r->m[0].handle);
    use(b);
    CHECK_INT(recv_msgs("q", 1, -1, 0, w), 0);
    CHECK_INT(w->n, 0);
    t0 = now_ms();
    CHECK_INT(recv_msgs("q", 1, -1, 3000, w), 0);
    CHECK_INT(w->n, 1);
    CHECK_INT(w->m[0].count, 2);
    CHECK(w->at - t0 >= 150 && w->at - t0 < 1500);
    /* A's handle is stale everywhere now. */
    CHECK_INT(delete_msg("q", first), HUB_BUS_ERECEIPT_HANDLE_IS_INVALID);
    CHECK_INT(delete_msg("q", w->m[0].handle), 0);

    /* A delay set on A ends for a poll waiting on B (B learns the due time from Redis). */
    use(a);
    CHECK_INT(send_msg("q", "later", 150, NULL, NULL, r), 0);
    use(b);
    t0 = now_ms();
    CHECK_INT(recv_msgs("q", 1, -1, 3000, w), 0);
    CHECK_INT(w->n, 1);
    CHECK(w->at - t0 >= 100 && w->at - t0 < 1500);
    CHECK_INT(delete_msg("q", w->m[0].handle), 0);

    /* Many consumers on both nodes: every message exactly once. */
    static int seen[1000];
    int total = 0;
    memset(seen, 0, sizeof seen);
    struct consumer cs[6];
    for (int i = 0; i < 6; i++) {
        cs[i] = (struct consumer){.b = i % 2 ? b : a, .seen = seen, .total = &total};
        consume(&cs[i]);
    }
    use(a);
    for (int i = 0; i < 300; i++) {
        char body[16];
        snprintf(body, sizeof body, "%d", i);
        struct hub_send_entry e = {.body = body, .body_len = strlen(body), .delay_ms = -1};
        res_reset(r);
        CHECK_INT(hub_bus_send(i % 2 ? b : a, "q", &e, 1, on_send, r), 0);
        run_until(&r->done, 5000);
        CHECK_INT(r->s[0].err, 0);
    }
    for (int i = 0; i < 500 && total < 300; i++)
        run_for(10);
    for (int i = 0; i < 6; i++)
        cs[i].stop = 1;
    CHECK_INT(total, 300);
    int once = 1;
    for (int i = 0; i < 300; i++)
        if (seen[i] != 1) once = 0;
    CHECK(once);

    /* The consumers' pending polls end with the buses (HUB_ECLOSED). */
    use(a);
    hub_bus_free(b);
    res_free(r);
    res_free(w);
    bus_down();
}

/* INFO commandstats: the number of calls of cmd, or of every command but info and ping (NULL). */
static long long calls_of(redisContext *rc, const char *cmd)
{
    redisReply *rep = redisCommand(rc, "INFO commandstats");
    long long total = 0;
    if (!rep || rep->type != REDIS_REPLY_STRING) {
        if (rep) freeReplyObject(rep);
        return -1;
    }
    for (char *line = rep->str; line && *line;) {
        char name[64];
        long long calls;
        if (sscanf(line, "cmdstat_%63[^:]:calls=%lld", name, &calls) == 2) {
            if (cmd ? strcmp(name, cmd) == 0
                    : strcmp(name, "info") != 0 && strcmp(name, "ping") != 0)
                total += calls;
        }
        line = strchr(line, '\n');
        if (line) line++;
    }
    freeReplyObject(rep);
    return total;
}

static void test_one_call_per_operation(void)
{
    redisContext *rc = redisConnect("127.0.0.1", server.port);
    CHECK(rc && !rc->err);
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_q("q", NULL), 0);
    CHECK_INT(create_q("f.fifo", NULL), 0);
    long long before = calls_of(rc, NULL), sha = calls_of(rc, "evalsha");
    for (int i = 0; i < 20; i++)
        CHECK_INT(send1("q", "x"), 0);
    for (int i = 0; i < 20; i++) {
        CHECK_INT(recv_msgs("q", 1, -1, 1000, r), 0);
        CHECK_INT(r->n, 1);
        CHECK_INT(change_vis("q", r->m[0].handle, 60000), 0);
        CHECK_INT(delete_msg("q", r->m[0].handle), 0);
    }
    char d[8];
    for (int i = 0; i < 10; i++) {
        snprintf(d, sizeof d, "d%d", i);
        CHECK_INT(send_msg("f.fifo", "x", -1, "g", d, r), 0);
        CHECK_INT(recv_msgs("f.fifo", 1, -1, 0, r), 0);
        CHECK_INT(delete_msg("f.fifo", r->m[0].handle), 0);
    }
    long long ops = 20 + 20 * 3 + 10 * 3;
    /* one round trip each; INFO also counts the commands the scripts ran inside Redis */
    CHECK_INT(calls_of(rc, "evalsha") - sha, ops);
    fprintf(stderr, "  %lld operations: %lld EVALSHA, %lld commands run inside Redis\n", ops,
            calls_of(rc, "evalsha") - sha, calls_of(rc, NULL) - before);
    res_free(r);
    bus_down();
    redisFree(rc);
}

static void test_noscript(void)
{
    redisContext *rc = redisConnect("127.0.0.1", server.port);
    bus_up(NULL);
    CHECK_INT(create_q("q", NULL), 0);
    redisReply *rep = redisCommand(rc, "SCRIPT FLUSH");
    if (rep) freeReplyObject(rep);
    long long eval = calls_of(rc, "eval");
    /* the script is gone: the call is retried with EVAL (which loads it), then EVALSHA works */
    CHECK_INT(send1("q", "after flush"), 0);
    CHECK_INT(calls_of(rc, "eval") - eval, 1);
    CHECK_INT(send1("q", "again"), 0);
    CHECK_INT(calls_of(rc, "eval") - eval, 1);
    struct res *r = res_new();
    CHECK_INT(recv_msgs("q", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 2);
    res_free(r);
    bus_down();
    redisFree(rc);
}

static void on_created(void *ud, int err, const struct hub_queue_info *info)
{
    (void)info;
    res_done(ud, err);
}

static void test_redis_not_there_at_start(void)
{
    struct test_redis late = {0};
    late.port = test_redis_free_port();
    snprintf(late.url, sizeof late.url, "redis://127.0.0.1:%d", late.port);
    CHECK_INT(uv_loop_init(&loop), 0);
    uv_timer_init(&loop, &guard);
    snprintf(prefix_now, sizeof prefix_now, "queue-late:");
    bus = second_node(late.url);
    CHECK(bus != NULL);
    /* Until Redis was reached once, calls wait for it (the daemon's definitions do). */
    struct res *r = res_new();
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    CHECK_INT(hub_bus_queue_create(bus, "q", &c, NULL, on_created, r), 0);
    run_for(400);
    CHECK_INT(r->done, 0);
    CHECK_INT(test_redis_start(&late, NULL), 0);
    CHECK(run_until(&r->done, 8000));
    CHECK_INT(r->err, 0);
    CHECK_INT(send1("q", "x"), 0);
    res_free(r);
    bus_down();
    test_redis_cleanup(&late);
}

static void test_redis_restart(void)
{
    /* a Redis of its own, with persistence on: acknowledged sends survive its restart */
    static const char *const aof[] = {"--appendonly", "yes", "--appendfsync", "always", NULL};
    struct test_redis r2 = {0};
    CHECK_INT(test_redis_start(&r2, aof), 0);
    CHECK_INT(uv_loop_init(&loop), 0);
    uv_timer_init(&loop, &guard);
    snprintf(prefix_now, sizeof prefix_now, "queue-restart:");
    bus = second_node(r2.url);
    struct res *r = res_new(), *w = res_new();
    CHECK_INT(create_q("q", NULL), 0);
    for (int i = 0; i < 5; i++)
        CHECK_INT(send1("q", "kept"), 0);

    test_redis_stop(&r2);
    run_for(300);
    /* Down: calls fail with HUB_ECLOSED (ServiceUnavailable), never a false success. */
    CHECK_INT(send1("q", "lost"), HUB_ECLOSED);
    CHECK_INT(get_q("q", r), HUB_ECLOSED);
    CHECK_INT(recv_msgs("q", 1, -1, 0, r), HUB_ECLOSED);
    struct hub_receipt_entry e = {.receipt_handle = "x"};
    res_reset(r);
    CHECK_INT(await(hub_bus_delete(bus, "q", &e, 1, on_batch, r), r), HUB_ECLOSED);
    /* A long poll waits through the outage and is served once Redis is back. */
    CHECK_INT(recv_start("q", 10, -1, 10000, w, NULL), 0);
    run_for(300);
    CHECK_INT(w->done, 0);
    CHECK_INT(test_redis_start(&r2, aof), 0);
    CHECK(run_until(&w->done, 8000));
    CHECK_INT(w->err, 0);
    CHECK_INT(w->n, 5);
    CHECK_STR(w->m[0].body, "kept");
    CHECK_INT(get_q("q", r), 0);
    CHECK_INT(r->inflight, 5);
    CHECK_INT(r->visible, 0);
    CHECK_INT(send1("q", "after"), 0);
    res_free(r);
    res_free(w);
    bus_down();
    test_redis_cleanup(&r2);
}

int main(void)
{
    if (test_redis_start(&server, NULL) != 0) {
        fprintf(stderr, "cannot start redis-server: skipped\n");
        test_redis_cleanup(&server);
        return 0;
    }
    BUS_QUEUE_CASES(RUN);
    RUN(test_two_nodes);
    RUN(test_one_call_per_operation);
    RUN(test_noscript);
    RUN(test_redis_not_there_at_start);
    RUN(test_redis_restart);
    test_redis_cleanup(&server);
    return TEST_SUMMARY();
}
