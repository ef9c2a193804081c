/* test_bus_socket.c - the C side of hub/bus_socket.h without sockets: start-up creates the config's
 * definitions in order, run-time definitions and bridges, the callback law, stop and free; the
 * SNS signing key (configured or generated at start), SigningCertURL and the route serving the
 * certificate. The socket events themselves are covered by tests/integration/bus.test.js. */
#include "bus_socket.h"
#include "hub_alloc.h"
#include "memory/memory_bus.h"
#include "sns_test_key.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The listener's side of the HTTP exchange: a request, and the reply the route gave. */
struct hub_httpx {
    const char *method, *path;
    int status;
    char type[64], header[128];
    char body[4096];
    size_t len;
};

const char *hub_httpx_method(const hub_httpx *x)
{
    return x->method;
}

const char *hub_httpx_path(const hub_httpx *x)
{
    return x->path;
}

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
    x->status = status;
    snprintf(x->type, sizeof x->type, "%s", content_type ? content_type : "");
    snprintf(x->header, sizeof x->header, "%s", headers && headers[0] ? headers[0] : "");
    x->len = len < sizeof x->body ? len : sizeof x->body - 1;
    memcpy(x->body, body, x->len);
    x->body[x->len] = '\0';
    return 0;
}

/* Runs the route routes has for method and path (404 when none). */
static void request(hub_routes *routes, hub_httpx *x, const char *method, const char *path)
{
    struct hub_route_match m;

    memset(x, 0, sizeof *x);
    x->method = method;
    x->path = path;
    if (hub_routes_match(routes, method, path, &m))
        m.fn(m.ud, x);
    else
        x->status = 404;
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

/* An integration started on its own loop for a config text, with its routes. */
struct run {
    uv_loop_t loop;
    struct hub_config cfg;
    hub_server *srv;
    hub_bus_socket *bs;
    hub_routes *routes;
};

static int run_start(struct run *u, const char *text)
{
    struct result r = {0};

    uv_loop_init(&u->loop);
    if (load(&u->cfg, text)) return -1;
    u->srv = hub_server_new(&u->loop, &u->cfg);
    u->bs = hub_bus_socket_new(u->srv, &u->cfg, hub_memory_bus_new, NULL);
    u->routes = hub_routes_new();
    if (!u->bs || !u->routes || hub_bus_socket_add_routes(u->bs, u->routes) ||
        hub_bus_socket_start(u->bs, NULL, NULL, 3000, on_started, &r))
        return -1;
    run_until(&u->loop, &r, 1);
    return r.calls == 1 && r.err == 0 ? 0 : -1;
}

static void run_stop(struct run *u)
{
    hub_bus_socket_stop(u->bs);
    hub_server_free(u->srv);
    uv_run(&u->loop, UV_RUN_DEFAULT);
    hub_bus_socket_free(u->bs);
    hub_routes_free(u->routes);
    CHECK_INT(uv_loop_close(&u->loop), 0);
    hub_config_free(&u->cfg);
}

static void write_text(const char *file, const char *text)
{
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* The envelope of a notification the bus makes holds with the certificate the route serves. */
static void check_envelope(hub_bus *bus, const char *cert, size_t cert_len, int version)
{
    struct hub_notification n = {
        .type = "Notification",
        .topic = "t",
        .topic_arn = "arn:aws:sns:us-east-1:000000000000:t",
        .subscription_arn = "arn:aws:sns:us-east-1:000000000000:t:s",
        .message_id = "m-1",
        .message = "hello",
        .message_len = 5,
        .timestamp_ms = 1700000000000ULL,
        .signature_version = version,
    };
    char *body = NULL, want[40];
    size_t len = 0;

    CHECK_INT(hub_bus_envelope(bus, &n, &body, &len), 0);
    snprintf(want, sizeof want, "\"SignatureVersion\" : \"%d\"", version);
    CHECK(body && strstr(body, want) != NULL);
    CHECK_INT(hub_sns_envelope_verify(body, len, cert, cert_len), 0);
    hub_free(body);
}

static void test_signing_cert(void)
{
    struct run u;
    hub_httpx x;
    char want[300], cfg[1200], name[300], key_file[300], cert_file[300];

    /* No key configured: one is made at start, and served under the hub's own address. */
    CHECK_INT(run_start(&u, "{\"namespaces\": {\"/\": {\"bus\": true}}}"), 0);
    hub_bus *bus = hub_bus_socket_bus(u.bs);
    const hub_sns_key *key = bus ? hub_bus_signing_key(bus) : NULL;
    CHECK(key != NULL);
    if (key) {
        size_t clen;
        const char *cert = hub_sns_key_cert_pem(key, &clen);

        CHECK(hub_bus_signing_key(bus) == key); /* once */
        snprintf(want, sizeof want, "http://127.0.0.1:3000" HUB_SNS_CERT_PATH "%s",
                 hub_sns_key_cert_name(key));
        CHECK_STR(hub_bus_signing_cert_url(bus), want);
        request(u.routes, &x, "GET", HUB_SNS_CERT_PATH HUB_SNS_CERT_ALIAS);
        CHECK_INT(x.status, 200);
        CHECK_STR(x.type, "application/x-pem-file");
        CHECK_STR(x.header, "");
        CHECK_MEM(x.body, x.len, cert, clen);
        CHECK(strncmp(x.body, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
        snprintf(name, sizeof name, HUB_SNS_CERT_PATH "%s", hub_sns_key_cert_name(key));
        request(u.routes, &x, "GET", name);
        CHECK_INT(x.status, 200);
        CHECK_STR(x.header, "Cache-Control: public, max-age=86400");
        CHECK_MEM(x.body, x.len, cert, clen);
        request(u.routes, &x, "HEAD", name);
        CHECK_INT(x.status, 200);
        request(u.routes, &x, "GET", HUB_SNS_CERT_PATH "SigningCert-0000000000000000.pem");
        CHECK_INT(x.status, 404);
        request(u.routes, &x, "DELETE", name);
        CHECK_INT(x.status, 405);
        check_envelope(bus, cert, clen, 1);
        check_envelope(bus, cert, clen, 2);
    }
    run_stop(&u);

    /* Key files (what a cluster shares), with publicUrl: that key, under publicUrl's origin. */
    snprintf(key_file, sizeof key_file, "%s.key.pem", path);
    snprintf(cert_file, sizeof cert_file, "%s.cert.pem", path);
    write_text(key_file, TEST_KEY_PEM);
    write_text(cert_file, TEST_CERT_PEM);
    snprintf(cfg, sizeof cfg,
             "{\"namespaces\": {\"/\": {\"bus\": true}}, \"bus\": {\"signingKeyFile\": \"%s\", "
             "\"signingCertFile\": \"%s\", \"publicUrl\": \"https://hub.example:8443/bus\"}}",
             key_file, cert_file);
    CHECK_INT(run_start(&u, cfg), 0);
    bus = hub_bus_socket_bus(u.bs);
    key = bus ? hub_bus_signing_key(bus) : NULL;
    CHECK(key != NULL);
    if (key) {
        snprintf(want, sizeof want, "https://hub.example:8443" HUB_SNS_CERT_PATH "%s",
                 hub_sns_key_cert_name(key));
        CHECK_STR(hub_bus_signing_cert_url(bus), want);
        request(u.routes, &x, "GET", HUB_SNS_CERT_PATH HUB_SNS_CERT_ALIAS);
        CHECK_INT(x.status, 200);
        CHECK_STR(x.body, TEST_CERT_PEM);
        check_envelope(bus, TEST_CERT_PEM, sizeof TEST_CERT_PEM - 1, 2);
    }
    run_stop(&u);
    unlink(key_file);
    unlink(cert_file);

    /* signingCertUrl is taken as given; else the AWS APIs' advertisedUrl when they share the
     * hub's listener. */
    CHECK_INT(run_start(&u, "{\"namespaces\": {\"/\": {\"bus\": true}}, "
                            "\"bus\": {\"signingCertUrl\": \"https://cdn.example/c.pem\"}}"),
              0);
    bus = hub_bus_socket_bus(u.bs);
    CHECK(bus && hub_bus_signing_cert_url(bus) &&
          strcmp(hub_bus_signing_cert_url(bus), "https://cdn.example/c.pem") == 0);
    run_stop(&u);
    CHECK_INT(run_start(&u, "{\"namespaces\": {\"/\": {\"bus\": true}}, "
                            "\"aws\": {\"advertisedUrl\": \"http://sqs.local:9324\"}}"),
              0);
    bus = hub_bus_socket_bus(u.bs);
    const char *url = bus ? hub_bus_signing_cert_url(bus) : NULL;
    CHECK(url && strncmp(url, "http://sqs.local:9324" HUB_SNS_CERT_PATH "SigningCert-", 46) == 0);
    run_stop(&u);

    /* Not started: no key to serve yet. */
    CHECK_INT(load(&u.cfg, "{\"namespaces\": {\"/\": {\"bus\": true}}}"), 0);
    uv_loop_init(&u.loop);
    u.srv = hub_server_new(&u.loop, &u.cfg);
    u.bs = hub_bus_socket_new(u.srv, &u.cfg, hub_memory_bus_new, NULL);
    u.routes = hub_routes_new();
    CHECK_INT(hub_bus_socket_add_routes(u.bs, u.routes), 0);
    request(u.routes, &x, "GET", HUB_SNS_CERT_PATH HUB_SNS_CERT_ALIAS);
    CHECK_INT(x.status, 503);
    run_stop(&u);
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
    RUN(test_signing_cert);
    unlink(path);
    return TEST_SUMMARY();
}
