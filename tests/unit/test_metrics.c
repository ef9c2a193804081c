/* test_metrics.c - hub/metrics.c and hub/bus_count.c: the Prometheus text of a snapshot (escaping,
 * families, the fan-out histogram), and a live snapshot of a server with a counting in-memory bus
 * (depths from the store, counters from the decorator), read through GET /metrics with an
 * in-memory exchange (the listener's side of httpx.h is implemented here). */
#include "bus_count.h"
#include "bus_socket.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "memory/memory.h"
#include "metrics.h"
#include "testlib.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- an in-memory exchange ---- */

struct hub_httpx {
    const char *method;
};

static struct {
    int status, calls;
    char ctype[128];
    char *body;
    size_t len;
    void (*abort_fn)(void *);
    void *abort_ud;
} reply;

const char *hub_httpx_method(const hub_httpx *x)
{
    return x->method;
}

const char *hub_httpx_path(const hub_httpx *x)
{
    (void)x;
    return "/metrics";
}

const char *hub_httpx_query(const hub_httpx *x)
{
    (void)x;
    return "";
}

int hub_httpx_header(hub_httpx *x, const char *name, char *buf, size_t len)
{
    (void)x;
    (void)name;
    (void)buf;
    (void)len;
    return -1;
}

void hub_httpx_on_abort(hub_httpx *x, void (*fn)(void *ud), void *ud)
{
    (void)x;
    reply.abort_fn = fn;
    reply.abort_ud = ud;
}

int hub_httpx_reply(hub_httpx *x, int status, const char *content_type, const char *const *headers,
                    const void *body, size_t len)
{
    (void)x;
    (void)headers;
    reply.calls++;
    reply.status = status;
    snprintf(reply.ctype, sizeof(reply.ctype), "%s", content_type);
    free(reply.body);
    reply.body = malloc(len + 1);
    if (len) memcpy(reply.body, body, len);
    reply.body[len] = '\0';
    reply.len = len;
    return 0;
}

/* ---- helpers ---- */

static char path[] = "/tmp/hubbub-test-metrics-XXXXXX";

static int load(struct hub_config *cfg, const char *text)
{
    char err[512];
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    fclose(f);
    hub_config_init(cfg);
    int rc = hub_config_load(cfg, path, err, sizeof err);
    if (rc) fprintf(stderr, "config: %s\n", err);
    return rc;
}

/* 1 when text holds the line exactly. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0')) return 1;
    return 0;
}

/* Checks every line of an exposition: "# HELP name text", "# TYPE name type" once per family
 * before its samples, and samples "name{label="value",...} number". Returns the samples. */
static int check_exposition(const char *text)
{
    char families[128][96];
    int nfam = 0, samples = 0;
    const char *p = text;

    while (*p) {
        const char *end = strchr(p, '\n');
        char line[2048];
        size_t n = end ? (size_t)(end - p) : strlen(p);
        CHECK(n < sizeof(line));
        memcpy(line, p, n);
        line[n] = '\0';
        p += n + (end ? 1 : 0);
        if (strncmp(line, "# HELP ", 7) == 0) continue;
        if (strncmp(line, "# TYPE ", 7) == 0) {
            char name[96], type[32];
            CHECK_INT(sscanf(line + 7, "%95s %31s", name, type), 2);
            for (int i = 0; i < nfam; i++)
                CHECK(strcmp(families[i], name) != 0); /* each family once */
            if (nfam < 128) snprintf(families[nfam++], sizeof(families[0]), "%s", name);
            CHECK(strcmp(type, "gauge") == 0 || strcmp(type, "counter") == 0 ||
                  strcmp(type, "histogram") == 0);
            continue;
        }
        /* a sample */
        const char *q = line;
        CHECK(isalpha((unsigned char)*q) || *q == '_');
        while (isalnum((unsigned char)*q) || *q == '_' || *q == ':')
            q++;
        if (*q == '{') {
            q++;
            while (*q && *q != '}') {
                while (isalnum((unsigned char)*q) || *q == '_')
                    q++;
                CHECK(q[0] == '=' && q[1] == '"');
                q += 2;
                while (*q && *q != '"') {
                    if (*q == '\\') {
                        CHECK(q[1] == '\\' || q[1] == '"' || q[1] == 'n');
                        q++;
                    }
                    q++;
                }
                CHECK(*q == '"');
                q++;
                if (*q == ',') q++;
            }
            CHECK(*q == '}');
            q++;
        }
        CHECK(*q == ' ');
        char *stop;
        strtod(q + 1, &stop);
        CHECK(stop != q + 1 && *stop == '\0');
        samples++;
    }
    return samples;
}

/* ---- tests ---- */

static void test_label_escape(void)
{
    char buf[32];

    CHECK_INT(hub_metrics_label_escape("plain", buf, sizeof buf), 5);
    CHECK_STR(buf, "plain");
    CHECK_INT(hub_metrics_label_escape("a\"b\\c\nd", buf, sizeof buf), 10);
    CHECK_STR(buf, "a\\\"b\\\\c\\nd");
    CHECK_INT(hub_metrics_label_escape("0123456789", buf, 10), HUB_ETOOBIG);
    CHECK_INT(hub_metrics_label_escape("\"", buf, 2), HUB_ETOOBIG);
}

static const char snapshot_text[] =
    "{\"node\": {\"id\": \"n\\\"1\", \"version\": \"0.1.0\", \"uptime\": 12.5, \"loopLag\": 0.002,"
    "          \"loopLagMax\": 0.25},"
    " \"cluster\": {\"backend\": \"redis\", \"uid\": \"u\", \"connected\": true, \"latencyMs\": 3,"
    "             \"reconnects\": 1, \"published\": 10, \"received\": 9, \"dropped\": 0},"
    " \"engine\": {\"clients\": 5, \"websocket\": 4, \"polling\": 1, \"opened\": 7, \"upgrades\": "
    "2,"
    "            \"packetsIn\": 100, \"packetsOut\": 200, \"bytesIn\": 1000, \"bytesOut\": 2000,"
    "            \"slowConsumers\": 1, \"closed\": {\"transport close\": 2, \"ping timeout\": 0}},"
    " \"sockets\": {\"clients\": 5, \"connects\": 6, \"connectErrors\": 1, \"disconnects\": 1,"
    "             \"eventsIn\": 40, \"eventsOut\": 80, \"acksPending\": 3, \"acksReceived\": 4,"
    "             \"acksTimedOut\": 1, \"broadcasts\": 4, \"broadcastRecipients\": 25,"
    "             \"fanout\": [[1, 1], [10, 2], [100, 1], [1000, 0], [10000, 0], [null, 0]]},"
    " \"namespaces\": [{\"name\": \"/\", \"sockets\": 3, \"rooms\": 2},"
    "                {\"name\": \"/odd\\\\ns\", \"sockets\": 2, \"rooms\": 0}],"
    " \"bus\": {\"queues\": [{\"name\": \"q\", \"fifo\": false, \"visible\": 5, \"inflight\": 2,"
    "                       \"delayed\": 1, \"dlq\": \"d\", \"maxReceiveCount\": 3, \"sent\": 9,"
    "                       \"received\": 4, \"redelivered\": 1, \"deleted\": 2, \"purges\": 0},"
    "                      {\"name\": \"d\", \"fifo\": false, \"visible\": 7, \"inflight\": 0,"
    "                       \"delayed\": 0, \"dlq\": null, \"maxReceiveCount\": 0, \"sent\": 0,"
    "                       \"received\": 0, \"redelivered\": 0, \"deleted\": 0, \"purges\": 0},"
    "                      {\"name\": \"gone\", \"gone\": true}],"
    "          \"topics\": [{\"name\": \"t\", \"fifo\": false, \"subscriptions\": 2, \"pending\": "
    "1,"
    "                       \"published\": 6, \"deliveries\": 12}],"
    "          \"subscriptions\": []}}";

static void test_render(void)
{
    json_t *snap = json_loads(snapshot_text, 0, NULL);
    char *text = NULL;
    size_t len = 0;

    CHECK(snap != NULL);
    CHECK_INT(hub_metrics_render(snap, &text, &len), 0);
    CHECK(text && strlen(text) == len);
    CHECK(check_exposition(text) > 40);
    CHECK(has_line(text, "hubbub_info{version=\"0.1.0\",node=\"n\\\"1\"} 1"));
    CHECK(has_line(text, "hubbub_uptime_seconds 12.5"));
    CHECK(has_line(text, "hubbub_event_loop_lag_max_seconds 0.25"));
    CHECK(has_line(text, "hubbub_engine_clients{transport=\"polling\"} 1"));
    CHECK(has_line(text, "hubbub_engine_clients{transport=\"websocket\"} 4"));
    CHECK(has_line(text, "hubbub_engine_disconnections_total{reason=\"transport close\"} 2"));
    CHECK(has_line(text, "hubbub_engine_bytes_sent_total 2000"));
    CHECK(has_line(text, "hubbub_namespaces 2"));
    CHECK(has_line(text, "hubbub_namespace_sockets{namespace=\"/odd\\\\ns\"} 2"));
    CHECK(has_line(text, "hubbub_acks_pending 3"));
    CHECK(has_line(text, "hubbub_acks_timed_out_total 1"));
    /* the histogram is cumulative, ends with +Inf = count */
    CHECK(has_line(text, "hubbub_broadcast_fanout_bucket{le=\"1\"} 1"));
    CHECK(has_line(text, "hubbub_broadcast_fanout_bucket{le=\"10\"} 3"));
    CHECK(has_line(text, "hubbub_broadcast_fanout_bucket{le=\"100\"} 4"));
    CHECK(has_line(text, "hubbub_broadcast_fanout_bucket{le=\"+Inf\"} 4"));
    CHECK(has_line(text, "hubbub_broadcast_fanout_sum 25"));
    CHECK(has_line(text, "hubbub_broadcast_fanout_count 4"));
    CHECK(has_line(text, "hubbub_queue_messages{queue=\"q\",state=\"visible\"} 5"));
    CHECK(has_line(text, "hubbub_queue_messages{queue=\"q\",state=\"inflight\"} 2"));
    CHECK(has_line(text, "hubbub_queue_messages{queue=\"q\",state=\"delayed\"} 1"));
    CHECK(has_line(text, "hubbub_queue_dead_letter_messages{queue=\"q\",dlq=\"d\"} 7"));
    CHECK(has_line(text, "hubbub_queue_sent_total{queue=\"q\"} 9"));
    CHECK(has_line(text, "hubbub_queue_redelivered_total{queue=\"q\"} 1"));
    CHECK(strstr(text, "queue=\"gone\"") == NULL);
    CHECK(has_line(text, "hubbub_topic_subscriptions{topic=\"t\",state=\"pending\"} 1"));
    CHECK(has_line(text, "hubbub_topic_published_total{topic=\"t\"} 6"));
    CHECK(has_line(text, "hubbub_cluster_connected{backend=\"redis\"} 1"));
    CHECK(has_line(text, "hubbub_redis_up 1"));
    CHECK(has_line(text, "hubbub_redis_latency_seconds 0.003"));
    CHECK(has_line(text, "hubbub_bus_up 1"));
    hub_free(text);
    /* without a bus and alone: no queue or redis families */
    json_object_set_new(snap, "bus", json_null());
    json_object_set_new(snap, "cluster",
                        json_pack("{s:s,s:s,s:b,s:i}", "backend", "none", "uid", "", "connected", 1,
                                  "latencyMs", -1));
    CHECK_INT(hub_metrics_render(snap, &text, &len), 0);
    CHECK(check_exposition(text) > 20);
    CHECK(strstr(text, "hubbub_queue_") == NULL);
    CHECK(strstr(text, "hubbub_redis_") == NULL);
    CHECK(has_line(text, "hubbub_cluster_connected{backend=\"none\"} 1"));
    hub_free(text);
    CHECK_INT(hub_metrics_render(json_object_get(snap, "node"), &text, &len), HUB_EINVAL);
    json_decref(snap);
}

/* ---- a live snapshot ---- */

static hub_bus *counted_bus(uv_loop_t *loop, const struct hub_bus_options *opts, void *ud)
{
    void *qs = hub_memory_queue_store_new(loop, NULL);
    void *ts = hub_memory_topic_store_new(loop, NULL);
    return hub_bus_new_counted(loop, hub_memory_queue_store_ops(), qs, hub_memory_topic_store_ops(),
                               ts, opts, ud);
}

static struct {
    int calls, err;
    char handle[256];
    json_t *snap;
} got;

static void on_started(void *ud, int err, const char *what)
{
    (void)ud;
    (void)what;
    got.calls++;
    got.err = err;
}

static void on_sent(void *ud, int err, const struct hub_send_result *r, size_t n)
{
    (void)ud;
    got.calls++;
    got.err = err ? err : n ? r[0].err : -1;
}

static void on_received(void *ud, int err, const struct hub_message *m, size_t n)
{
    (void)ud;
    got.calls++;
    got.err = err;
    if (n) snprintf(got.handle, sizeof(got.handle), "%s", m[0].receipt_handle);
}

static void on_batch(void *ud, int err, const struct hub_batch_result *r, size_t n)
{
    (void)ud;
    got.calls++;
    got.err = err ? err : n ? r[0].err : -1;
}

static void on_published(void *ud, int err, const struct hub_publish_result *r, size_t n)
{
    (void)ud;
    got.calls++;
    got.err = err ? err : n ? r[0].err : -1;
}

static void on_snap(void *ud, const json_t *snap)
{
    int *in_call = ud;
    CHECK(!*in_call); /* never from inside hub_metrics_snapshot */
    got.calls++;
    json_decref(got.snap);
    got.snap = snap ? json_deep_copy(snap) : NULL;
}

static void wait_calls(uv_loop_t *loop, int calls)
{
    for (int i = 0; i < 2000 && got.calls < calls; i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        if (got.calls < calls) usleep(200);
    }
    CHECK_INT(got.calls, calls);
}

static const json_t *find_named(const json_t *arr, const char *name)
{
    size_t i;
    json_t *o;

    json_array_foreach(arr, i, o) if (strcmp(json_string_value(json_object_get(o, "name")), name) ==
                                      0) return o;
    return NULL;
}

static long long field(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static void test_live(void)
{
    uv_loop_t loop;
    struct hub_config cfg;
    int in_call = 0;

    uv_loop_init(&loop);
    CHECK_INT(load(&cfg, "{\"namespaces\": {\"/\": {}, \"/b\": {}},"
                         " \"queues\": {\"q\": {\"deadLetterQueue\": {\"queue\": \"d\","
                         " \"maxReceiveCount\": 3}}, \"d\": {}},"
                         " \"topics\": {\"t\": {\"subscriptions\": [{\"queue\": \"q\"}]}}}"),
              0);
    hub_server *srv = hub_server_new(&loop, &cfg);
    hub_metrics *m = hub_metrics_new(srv, "node-1");
    CHECK(m != NULL);
    CHECK_STR(hub_metrics_node_id(m), "node-1");
    hub_bus_socket *bs = hub_bus_socket_new(srv, &cfg, counted_bus, hub_metrics_bus_counts(m));
    hub_server_of(srv, "/");
    hub_server_of(srv, "/b");
    CHECK_INT(hub_bus_socket_start(bs, NULL, NULL, 3000, on_started, NULL), 0);
    wait_calls(&loop, 1);
    CHECK_INT(got.err, 0);
    hub_metrics_set_bus(m, bs);
    CHECK_INT(hub_metrics_start(m), 0);
    CHECK_INT(hub_metrics_start(m), HUB_ESTATE);
    hub_bus *bus = hub_bus_socket_bus(bs);

    /* two sends, a publish fanned out to q, a receive and a delete */
    struct hub_send_entry e = {.body = "hello", .body_len = 5, .delay_ms = -1};
    CHECK_INT(hub_bus_send(bus, "q", &e, 1, on_sent, NULL), 0);
    CHECK_INT(hub_bus_send(bus, "q", &e, 1, on_sent, NULL), 0);
    wait_calls(&loop, 3);
    CHECK_INT(got.err, 0);
    struct hub_publish_entry p = {.message = "news", .message_len = 4};
    CHECK_INT(hub_bus_publish(bus, "t", &p, 1, on_published, NULL), 0);
    wait_calls(&loop, 4);
    struct hub_receive_opts ro = {.max_messages = 1, .visibility_ms = -1, .wait_ms = 0};
    CHECK_INT(hub_bus_receive(bus, "q", &ro, on_received, NULL, NULL), 0);
    wait_calls(&loop, 5);
    for (int i = 0; i < 50; i++) /* the fan-out's send to q runs after the publish answered */
        uv_run(&loop, UV_RUN_NOWAIT);
    struct hub_receipt_entry r = {.receipt_handle = got.handle};
    CHECK_INT(hub_bus_delete(bus, "q", &r, 1, on_batch, NULL), 0);
    wait_calls(&loop, 6);
    CHECK_INT(got.err, 0);
    CHECK_INT(hub_bus_receive(bus, "q", &ro, on_received, NULL, NULL), 0);
    wait_calls(&loop, 7);

    in_call = 1;
    CHECK_INT(hub_metrics_snapshot(m, on_snap, &in_call), 0);
    in_call = 0;
    wait_calls(&loop, 8);
    CHECK(got.snap != NULL);
    const json_t *snap = got.snap, *bussnap = json_object_get(snap, "bus");
    CHECK_STR(json_string_value(json_object_get(json_object_get(snap, "node"), "id")), "node-1");
    CHECK_STR(json_string_value(json_object_get(json_object_get(snap, "cluster"), "backend")),
              "none");
    CHECK_INT(json_array_size(json_object_get(snap, "namespaces")), 2);
    const json_t *q = find_named(json_object_get(bussnap, "queues"), "q");
    CHECK(q != NULL);
    CHECK_INT(field(q, "sent"), 3);
    CHECK_INT(field(q, "received"), 2);
    CHECK_INT(field(q, "deleted"), 1);
    CHECK_INT(field(q, "visible"), 1);
    CHECK_INT(field(q, "inflight"), 1);
    CHECK_STR(json_string_value(json_object_get(q, "dlq")), "d");
    CHECK_INT(field(q, "maxReceiveCount"), 3);
    const json_t *t = find_named(json_object_get(bussnap, "topics"), "t");
    CHECK_INT(field(t, "published"), 1);
    CHECK_INT(field(t, "deliveries"), 1);
    CHECK_INT(field(t, "subscriptions"), 1);
    const json_t *sub = json_array_get(json_object_get(bussnap, "subscriptions"), 0);
    CHECK_STR(json_string_value(json_object_get(sub, "protocol")), "sqs");
    CHECK_STR(json_string_value(json_object_get(sub, "endpoint")), "q");
    CHECK(hub_bus_counts_queue(hub_metrics_bus_counts(m), "nope") == NULL);

    /* GET /metrics through the route table */
    hub_routes *routes = hub_routes_new();
    struct hub_route_match rm;
    CHECK_INT(hub_metrics_add_routes(m, routes), 0);
    CHECK_INT(hub_metrics_add_routes(m, routes), HUB_EEXISTS);
    CHECK_INT(hub_routes_match(routes, "GET", "/metrics", &rm), 1);
    hub_httpx x = {.method = "GET"};
    rm.fn(rm.ud, &x);
    CHECK_INT(reply.calls, 0); /* answered from the loop */
    CHECK(reply.abort_fn != NULL);
    for (int i = 0; i < 200 && !reply.calls; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_INT(reply.status, 200);
    CHECK_STR(reply.ctype, HUB_METRICS_CONTENT_TYPE);
    CHECK(check_exposition(reply.body) > 30);
    CHECK(has_line(reply.body, "hubbub_queue_messages{queue=\"q\",state=\"visible\"} 1"));
    CHECK(has_line(reply.body, "hubbub_queue_deleted_total{queue=\"q\"} 1"));
    CHECK(has_line(reply.body, "hubbub_namespace_sockets{namespace=\"/b\"} 0"));
    /* the client goes away before the answer: no reply */
    reply.calls = 0;
    rm.fn(rm.ud, &x);
    reply.abort_fn(reply.abort_ud);
    for (int i = 0; i < 200; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_INT(reply.calls, 0);
    x.method = "POST";
    rm.fn(rm.ud, &x);
    CHECK_INT(reply.status, 405);

    hub_metrics_stop(m);
    hub_bus_socket_stop(bs);
    hub_server_free(srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    hub_bus_socket_free(bs);
    hub_metrics_free(m);
    hub_routes_free(routes);
    json_decref(got.snap);
    free(reply.body);
    CHECK_INT(uv_loop_close(&loop), 0);
    hub_config_free(&cfg);
}

int main(void)
{
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    hub_alloc_set(NULL);
    RUN(test_label_escape);
    RUN(test_render);
    RUN(test_live);
    unlink(path);
    return TEST_SUMMARY();
}
