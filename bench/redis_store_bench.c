/* redis_store_bench.c - queue throughput of the bus on the Redis store (or the in-memory store, for
 * comparison), and the Redis round trips per operation. See docs/BENCHMARKS.md, "Redis store";
 * bench/redis_store_bench.sh runs it against a fresh redis-server.
 *
 * usage: hubbub-redis-store-bench [--url redis://HOST:PORT | --memory] [--workers N] [--seconds S]
 *                                 [--batch B] [--body BYTES] [--fifo] [--groups G]
 *
 * One process, one loop, the bus API (hub_bus_send / receive / delete) as the socket and AWS layers
 * use it. Phases, each printed as one JSON line:
 *   send     N workers send B messages per call, back to back, for S seconds;
 *   receive  N workers receive up to B and delete them (one delete call per receive) until the
 *            queue is empty;
 *   mixed    N/2 producers (B per call) and N/2 consumers (long polls of up to B, then a delete)
 *            for S seconds, the backlog kept under 2 * N * B messages: end-to-end messages/s and
 *            latency (send call to receive callback).
 * With Redis each phase reads INFO commandstats before and after (a separate connection): EVALSHA
 * and EVAL calls per bus call are the round trips ("aim: one"), and the commands the script ran
 * inside Redis per message show what one operation costs there. */
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bus.h"
#include "config.h"
#include "hub_alloc.h"
#include "memory/memory.h"
#include "redis/redis_store.h"

#define MAX_WORKERS 256
#define LAT_MAX 2000000

static uv_loop_t loop;
static hub_bus *bus;
static const char *queue = "bench";
static int workers = 16, seconds = 5, batch = 1, body_len = 100, fifo, groups = 16;
static char *url;
static char *body;

static uint64_t now_ns(void)
{
    return uv_hrtime();
}

/* ---- Redis statistics ---- */

struct stats {
    long long scripts; /* EVALSHA + EVAL: the round trips of the store's operations */
    long long inner;   /* every other command but INFO, PING, SCRIPT LOAD, PSUBSCRIBE */
};

static int stats_read(struct stats *st)
{
    struct hub_redis_url u;
    char err[200];
    memset(st, 0, sizeof *st);
    if (!url || hub_config_redis_url(url, &u, err, sizeof err)) return -1;
    redisContext *rc = redisConnect(u.host, u.port);
    if (!rc || rc->err) {
        if (rc) redisFree(rc);
        return -1;
    }
    redisReply *rep = redisCommand(rc, "INFO commandstats");
    for (char *line = rep && rep->type == REDIS_REPLY_STRING ? rep->str : NULL; line && *line;) {
        char name[64];
        long long calls;
        if (sscanf(line, "cmdstat_%63[^:]:calls=%lld", name, &calls) == 2) {
            if (strcmp(name, "evalsha") == 0 || strcmp(name, "eval") == 0)
                st->scripts += calls;
            else if (strcmp(name, "info") && strcmp(name, "ping") && strcmp(name, "script|load") &&
                     strcmp(name, "psubscribe") && strcmp(name, "publish"))
                st->inner += calls;
        }
        line = strchr(line, '\n');
        if (line) line++;
    }
    if (rep) freeReplyObject(rep);
    redisFree(rc);
    return 0;
}

/* ---- workers ---- */

struct worker {
    int id, producer;
    uint64_t seq;
    int busy, parked;
    char handles[HUB_BUS_BATCH_MAX][HUB_RECEIPT_HANDLE_LEN + 1];
};

static struct worker ws[MAX_WORKERS];
static int phase_on; /* producers keep going while set */
static uint64_t sent, received, deleted, errors, calls;
static uint64_t sent_total, received_total;
static uint64_t *lat;
static size_t nlat;
static int recording;

static void produce(struct worker *w);
static void consume(struct worker *w, int64_t wait);

/* The mixed phase keeps the backlog bounded: a producer waits while this many messages are
 * queued, so the latency is the store's, not a growing queue's. */
static uint64_t backlog_max;

static void on_sent(void *ud, int err, const struct hub_send_result *r, size_t n)
{
    struct worker *w = ud;
    w->busy = 0;
    if (err) errors++;
    for (size_t i = 0; i < n; i++) {
        if (r[i].err)
            errors++;
        else
            sent++, sent_total++;
    }
    if (!phase_on) return;
    if (backlog_max && sent_total - received_total >= backlog_max)
        w->parked = 1;
    else
        produce(w);
}

static void unpark(void)
{
    for (int i = 0; i < workers && phase_on; i++) {
        if (!ws[i].parked || sent_total - received_total >= backlog_max) continue;
        ws[i].parked = 0;
        produce(&ws[i]);
    }
}

static void produce(struct worker *w)
{
    struct hub_send_entry e[HUB_BUS_BATCH_MAX];
    char ids[HUB_BUS_BATCH_MAX][24], groups_s[HUB_BUS_BATCH_MAX][16], dedup[HUB_BUS_BATCH_MAX][48];
    uint64_t t = now_ns();
    for (int i = 0; i < batch; i++) {
        /* the body starts with the send time, for the latency of the mixed phase */
        snprintf(body, 32, "%020" PRIu64 "x", t);
        body[21] = 'x';
        snprintf(ids[i], sizeof ids[i], "e%d", i);
        snprintf(groups_s[i], sizeof groups_s[i], "g%d",
                 (int)((w->seq + (uint64_t)i) % (uint64_t)groups));
        snprintf(dedup[i], sizeof dedup[i], "w%d-%" PRIu64, w->id, w->seq + (uint64_t)i);
        e[i] = (struct hub_send_entry){.id = ids[i],
                                       .body = body,
                                       .body_len = (size_t)body_len,
                                       .delay_ms = -1,
                                       .group_id = fifo ? groups_s[i] : NULL,
                                       .dedup_id = fifo ? dedup[i] : NULL};
    }
    w->seq += (uint64_t)batch;
    w->busy = 1;
    calls++;
    if (hub_bus_send(bus, queue, e, (size_t)batch, on_sent, w)) {
        w->busy = 0;
        errors++;
    }
}

static void on_deleted(void *ud, int err, const struct hub_batch_result *r, size_t n)
{
    struct worker *w = ud;
    w->busy = 0;
    if (err) errors++;
    for (size_t i = 0; i < n; i++) {
        if (r[i].err)
            errors++;
        else
            deleted++;
    }
    if (phase_on) consume(w, w->producer < 0 ? 1000 : 0);
}

static void on_received(void *ud, int err, const struct hub_message *m, size_t n)
{
    struct worker *w = ud;
    struct hub_receipt_entry e[HUB_BUS_BATCH_MAX];
    char ids[HUB_BUS_BATCH_MAX][24];
    uint64_t t = now_ns();
    w->busy = 0;
    if (err) errors++;
    for (size_t i = 0; i < n; i++) {
        received++;
        received_total++;
        if (recording && nlat < LAT_MAX && m[i].body_len >= 20)
            lat[nlat++] = t - strtoull(m[i].body, NULL, 10);
        snprintf(w->handles[i], sizeof w->handles[i], "%s", m[i].receipt_handle);
        snprintf(ids[i], sizeof ids[i], "d%zu", i);
        e[i] = (struct hub_receipt_entry){.id = ids[i], .receipt_handle = w->handles[i]};
    }
    if (backlog_max) unpark();
    if (n) {
        w->busy = 1;
        calls++;
        if (hub_bus_delete(bus, queue, e, n, on_deleted, w)) {
            w->busy = 0;
            errors++;
        }
        return;
    }
    if (phase_on && received_total < sent_total) consume(w, w->producer < 0 ? 1000 : 0);
}

static void consume(struct worker *w, int64_t wait)
{
    struct hub_receive_opts o = {
        .max_messages = (uint32_t)batch, .visibility_ms = 60000, .wait_ms = wait};
    w->busy = 1;
    calls++;
    if (hub_bus_receive(bus, queue, &o, on_received, w, NULL)) {
        w->busy = 0;
        errors++;
    }
}

/* Runs the loop until every worker is idle. */
static void drain(void)
{
    for (;;) {
        int busy = 0;
        for (int i = 0; i < workers; i++)
            busy |= ws[i].busy;
        if (!busy) return;
        uv_run(&loop, UV_RUN_ONCE);
    }
}

static void on_stop(uv_timer_t *t)
{
    (void)t;
    phase_on = 0;
}

static void run_for(int secs)
{
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, on_stop, (uint64_t)secs * 1000, 0);
    while (phase_on)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    drain();
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *phase, uint64_t msgs, uint64_t ncalls, double secs,
                   const struct stats *s0, const struct stats *s1)
{
    printf("{\"phase\":\"%s\",\"store\":\"%s\",\"queue\":\"%s\",\"batch\":%d,\"workers\":%d,"
           "\"body\":%d,\"seconds\":%.3f,\"messages\":%" PRIu64 ",\"calls\":%" PRIu64
           ",\"messages_per_s\":%.0f,\"calls_per_s\":%.0f,\"errors\":%" PRIu64,
           phase, url ? "redis" : "memory", fifo ? "fifo" : "standard", batch, workers, body_len,
           secs, msgs, ncalls, (double)msgs / secs, (double)ncalls / secs, errors);
    if (s0 && s1 && ncalls)
        printf(",\"round_trips_per_call\":%.3f,\"redis_commands_per_message\":%.2f",
               (double)(s1->scripts - s0->scripts) / (double)ncalls,
               msgs ? (double)(s1->inner - s0->inner) / (double)msgs : 0.0);
    if (nlat) {
        qsort(lat, nlat, sizeof *lat, cmp_u64);
        printf(",\"latency_p50_ms\":%.3f,\"latency_p99_ms\":%.3f", lat[nlat / 2] / 1e6,
               lat[nlat * 99 / 100] / 1e6);
    }
    printf("}\n");
    fflush(stdout);
}

static int usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--url redis://HOST:PORT | --memory] [--workers N] [--seconds S] "
            "[--batch 1-10] [--body BYTES] [--fifo] [--groups G]\n",
            argv0);
    return 64;
}

static void on_created(void *ud, int err, const struct hub_queue_info *info)
{
    (void)info;
    *(int *)ud = err ? err : 1;
}

int main(int argc, char **argv)
{
    int memory = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--url") && v)
            url = argv[++i];
        else if (!strcmp(a, "--memory"))
            memory = 1;
        else if (!strcmp(a, "--workers") && v)
            workers = atoi(argv[++i]);
        else if (!strcmp(a, "--seconds") && v)
            seconds = atoi(argv[++i]);
        else if (!strcmp(a, "--batch") && v)
            batch = atoi(argv[++i]);
        else if (!strcmp(a, "--body") && v)
            body_len = atoi(argv[++i]);
        else if (!strcmp(a, "--fifo"))
            fifo = 1;
        else if (!strcmp(a, "--groups") && v)
            groups = atoi(argv[++i]);
        else
            return usage(argv[0]);
    }
    if ((!url && !memory) || workers < 2 || workers > MAX_WORKERS || batch < 1 ||
        batch > HUB_BUS_BATCH_MAX || body_len < 24 || body_len > 262144 || seconds < 1 ||
        groups < 1)
        return usage(argv[0]);
    if (fifo) queue = "bench.fifo";
    body = malloc((size_t)body_len + 1);
    lat = malloc(LAT_MAX * sizeof *lat);
    if (!body || !lat) return 1;
    memset(body, 'b', (size_t)body_len);
    body[body_len] = '\0';
    uv_loop_init(&loop);
    void *qs = NULL, *ts = NULL;
    if (url) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "bench%llu:", (unsigned long long)uv_hrtime());
        struct hub_redis_store_options o = {.url = url, .prefix = prefix};
        if (hub_redis_stores_new(&loop, &o, &qs, &ts)) return 1;
        bus = hub_bus_new(&loop, hub_redis_queue_store_ops(), qs, hub_redis_topic_store_ops(), ts,
                          NULL);
    } else {
        qs = hub_memory_queue_store_new(&loop, NULL);
        ts = hub_memory_topic_store_new(&loop, NULL);
        bus = hub_bus_new(&loop, hub_memory_queue_store_ops(), qs, hub_memory_topic_store_ops(), ts,
                          NULL);
    }
    if (!bus) return 1;
    struct hub_queue_config cfg;
    hub_queue_config_init(&cfg);
    cfg.fifo = fifo;
    cfg.set = HUB_QCFG_VISIBILITY;
    cfg.visibility_ms = 60000;
    int created = 0;
    if (hub_bus_queue_create(bus, queue, &cfg, NULL, on_created, &created)) return 1;
    while (!created)
        uv_run(&loop, UV_RUN_ONCE);
    if (created != 1) {
        fprintf(stderr, "cannot create the queue: %s\n", hub_bus_strerror(created));
        return 1;
    }
    for (int i = 0; i < workers; i++)
        ws[i].id = i;

    struct stats s0, s1;
    int have = url && stats_read(&s0) == 0;

    /* send */
    sent = errors = calls = 0;
    phase_on = 1;
    uint64_t t0 = now_ns();
    for (int i = 0; i < workers; i++)
        produce(&ws[i]);
    run_for(seconds);
    double secs = (double)(now_ns() - t0) / 1e9;
    if (have) stats_read(&s1);
    report("send", sent, calls, secs, have ? &s0 : NULL, have ? &s1 : NULL);

    /* receive + delete until empty */
    if (have) stats_read(&s0);
    received = deleted = errors = calls = 0;
    phase_on = 1;
    t0 = now_ns();
    for (int i = 0; i < workers; i++)
        consume(&ws[i], 0);
    while (received_total < sent_total) {
        int busy = 0;
        for (int i = 0; i < workers; i++)
            busy |= ws[i].busy;
        if (!busy) break;
        uv_run(&loop, UV_RUN_ONCE);
    }
    phase_on = 0;
    drain();
    secs = (double)(now_ns() - t0) / 1e9;
    if (have) stats_read(&s1);
    report("receive", received, calls, secs, have ? &s0 : NULL, have ? &s1 : NULL);

    /* mixed: half produce, half consume with long polls */
    if (have) stats_read(&s0);
    received = sent = errors = calls = 0;
    nlat = 0;
    recording = 1;
    backlog_max = (uint64_t)(workers * batch * 2);
    phase_on = 1;
    t0 = now_ns();
    for (int i = 0; i < workers; i++) {
        ws[i].producer = i % 2 ? 1 : -1;
        if (ws[i].producer > 0)
            produce(&ws[i]);
        else
            consume(&ws[i], 1000);
    }
    run_for(seconds);
    secs = (double)(now_ns() - t0) / 1e9;
    if (have) stats_read(&s1);
    report("mixed", received, calls, secs, have ? &s0 : NULL, have ? &s1 : NULL);

    hub_bus_free(bus);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(body);
    free(lat);
    return 0;
}
