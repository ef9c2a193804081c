/* test_bus_socket.c - the C side of hub/bus_socket.h without sockets: start-up creates the config's
 * definitions in order, run-time definitions and bridges, the callback law, stop and free. The
 * socket events themselves are covered by tests/integration/bus.test.js. */
#include "bus_socket.h"
#include "hub_alloc.h"
#include "memory/memory_bus.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The listener's side of the HTTP exchange (the /bus/ route is not called here). */
const char *hub_httpx_query(const hub_httpx *x)
{
    (void)x;
    return "";
}

void hub_httpx_on_abort(hub_httpx *x, void (*fn)(void *ud), void *ud)
{
    (void)x;
    (void)fn;
    (void)ud;
}

int hub_httpx_reply(hub_httpx *x, int status, const char *content_type, const char *const *headers,
                    const void *body, size_t len)
{
    (void)x;
    (void)status;
    (void)content_type;
    (void)headers;
    (void)body;
    (void)len;
    return 0;
}

static char path[] = "/tmp/hubbub-test-bus-socket-XXXXXX";

struct result {
    int calls, err;
    char what[200], sub_id[40];
    int pending;
    int in_call; /* set while the API call runs: a callback then breaks the callback law */
    int broke_law;
};

static void on_started(void *ud, int err, const char *what)
{
    struct result *r = ud;
    r->calls++;
    r->err = err;
    r->broke_law |= r->in_call;
    snprintf(r->what, sizeof r->what, "%s", what ? what : "");
}

static void on_created(void *ud, int err, const char *what, const char *sub_id, int pending)
{
    struct result *r = ud;
    on_started(ud, err, what);
    snprintf(r->sub_id, sizeof r->sub_id, "%s", sub_id ? sub_id : "");
    r->pending = pending;
}

static void run_until(uv_loop_t *loop, const struct result *r, int calls)
{
    for (int i = 0; i < 1000 && r->calls < calls; i++)
        uv_run(loop, UV_RUN_NOWAIT);
}

/* Loads text as a config (through a file, as the daemon does). */
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

static void test_start_and_definitions(void)
{
    uv_loop_t loop;
    struct hub_config cfg;
    struct result r = {0};

    uv_loop_init(&loop);
    CHECK_INT(load(&cfg, "{\"namespaces\": {\"/caps\": {\"bus\": true}, \"/x\": {}},\n"
                         " \"queues\": {\"a\": {\"deadLetterQueue\": {\"queue\": \"b\", "
                         "\"maxReceiveCount\": 2}}, \"b\": {\"deadLetterQueue\": {\"queue\": "
                         "\"c\", \"maxReceiveCount\": 2}}, \"c\": {}},\n"
                         " \"topics\": {\"t\": {\"subscriptions\": [{\"queue\": \"a\"}, "
                         "{\"room\": \"/caps#r\", \"event\": \"ev\"}]}},\n"
                         " \"bridges\": [{\"namespace\": \"/x\", \"event\": \"e\", \"topic\": "
                         "\"t\"}]}"),
              0);
    hub_server *srv = hub_server_new(&loop, &cfg);
    hub_bus_socket *bs = hub_bus_socket_new(srv, &cfg, hub_memory_bus_new, NULL);
    CHECK(bs != NULL);
    CHECK(hub_bus_socket_bus(bs) == NULL);
    CHECK(hub_server_nsp(srv, "/caps") != NULL);

    /* The dead-letter chain a -> b -> c is created from its end. */
    r.in_call = 1;
    CHECK_INT(hub_bus_socket_start(bs, NULL, NULL, 3000, on_started, &r), 0);
    r.in_call = 0;
    CHECK_INT(hub_bus_socket_start(bs, NULL, NULL, 3000, on_started, &r), HUB_ESTATE);
    run_until(&loop, &r, 1);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.err, 0);
    CHECK_INT(r.broke_law, 0);
    CHECK(hub_bus_socket_bus(bs) != NULL);

    /* Bridges: one per event of a namespace; the namespace must exist. */
    struct hub_bridge_def d = {.nsp = "/x", .event = "e", .topic = "t"};
    CHECK_INT(hub_bus_socket_add_bridge(bs, &d), HUB_EEXISTS);
    d.event = "f";
    CHECK_INT(hub_bus_socket_add_bridge(bs, &d), 0);
    d.nsp = "/nope";
    CHECK_INT(hub_bus_socket_add_bridge(bs, &d), HUB_ENOTFOUND);
    d.nsp = "/x";
    d.event = "bus:x";
    CHECK_INT(hub_bus_socket_add_bridge(bs, &d), HUB_EINVAL);

    /* Run-time definitions answer from the loop. */
    struct hub_queue_def q = {.name = "rt",
                              .visibility_ms = 500,
                              .delay_ms = -1,
                              .retention_ms = -1,
                              .wait_ms = -1,
                              .max_message_size = -1};
    memset(&r, 0, sizeof r);
    r.in_call = 1;
    CHECK_INT(hub_bus_socket_create_queue(bs, &q, on_created, &r), 0);
    r.in_call = 0;
    run_until(&loop, &r, 1);
    CHECK_INT(r.err, 0);
    CHECK_INT(r.broke_law, 0);
    /* The same name with another visibility: the store refuses, naming the queue. */
    q.visibility_ms = 600;
    memset(&r, 0, sizeof r);
    CHECK_INT(hub_bus_socket_create_queue(bs, &q, on_created, &r), 0);
    run_until(&loop, &r, 1);
    CHECK_INT(r.err, HUB_BUS_EQUEUE_ALREADY_EXISTS);
    CHECK(strstr(r.what, "queue \"rt\"") != NULL);
    /* A bad name is refused at once, without a callback. */
    q.name = "bad name";
    memset(&r, 0, sizeof r);
    CHECK(hub_bus_socket_create_queue(bs, &q, on_created, &r) < 0);
    run_until(&loop, &r, 1);
    CHECK_INT(r.calls, 0);

    /* A topic with subscriptions; then one more subscription, pending when it is http. */
    struct hub_sub_def subs[2] = {{.queue = "rt", .raw = 1}, {.room = "/caps#{who}", .raw = 1}};
    struct hub_topic_def t = {.name = "rt-topic", .subs = subs, .nsubs = 2};
    memset(&r, 0, sizeof r);
    CHECK_INT(hub_bus_socket_create_topic(bs, &t, on_created, &r), 0);
    run_until(&loop, &r, 1);
    CHECK_INT(r.err, 0);
    CHECK_INT(strlen(r.sub_id), 36);
    struct hub_sub_def http = {.url = "http://127.0.0.1:9/h", .raw = 1};
    memset(&r, 0, sizeof r);
    CHECK_INT(hub_bus_socket_subscribe(bs, "rt-topic", &http, on_created, &r), 0);
    run_until(&loop, &r, 1);
    CHECK_INT(r.err, 0);
    CHECK_INT(r.pending, 1);
    struct hub_sub_def fifo = {.queue = "x.fifo", .raw = 1};
    memset(&r, 0, sizeof r);
    CHECK(hub_bus_socket_subscribe(bs, "rt-topic", &fifo, on_created, &r) < 0);

    /* Stop: no bus, run-time definitions refused; free after the loop ran dry. */
    hub_bus_socket_stop(bs);
    CHECK(hub_bus_socket_bus(bs) == NULL);
    CHECK_INT(hub_bus_socket_create_queue(bs, &q, on_created, &r), HUB_ESTATE);
    hub_server_free(srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    hub_bus_socket_free(bs);
    CHECK_INT(uv_loop_close(&loop), 0);
    hub_config_free(&cfg);
}

static void test_failed_definition(void)
{
    uv_loop_t loop;
    struct hub_config cfg;
    struct result r = {0};

    uv_loop_init(&loop);
    /* What the config cannot see, the store refuses when it is created: here a dead-letter queue
     * that went missing after the config was checked. */
    CHECK_INT(load(&cfg, "{\"queues\": {\"a\": {\"deadLetterQueue\": {\"queue\": \"b\", "
                         "\"maxReceiveCount\": 2}}, \"b\": {}}}"),
              0);
    hub_free(cfg.bus->queues[0].dlq);
    cfg.bus->queues[0].dlq = hub_strdup("gone");
    hub_server *srv = hub_server_new(&loop, &cfg);
    hub_bus_socket *bs = hub_bus_socket_new(srv, &cfg, hub_memory_bus_new, NULL);
    int rc = hub_bus_socket_start(bs, NULL, NULL, 3000, on_started, &r);
    if (rc == 0) {
        run_until(&loop, &r, 1);
        CHECK_INT(r.calls, 1);
        CHECK(r.err != 0);
        CHECK(strstr(r.what, "queue \"") != NULL);
    } else {
        CHECK(rc < 0);
    }
    hub_bus_socket_stop(bs);
    hub_server_free(srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    hub_bus_socket_free(bs);
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
    RUN(test_start_and_definitions);
    RUN(test_failed_definition);
    unlink(path);
    return TEST_SUMMARY();
}
