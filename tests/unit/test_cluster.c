/* test_cluster.c - the core's half of a cluster (hub/cluster.c, emit.c; adapter.h) without Redis:
 * three servers on one loop share an in-memory bus that carries every message through the
 * adapter_msg codec and delivers it on a later loop turn to every member, the sender included, as
 * Redis pub/sub does. Clients are in-memory WebSocket connections (engine_transport.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "adapter.h"
#include "engine_transport.h"
#include "hub_alloc.h"
#include "hubbub.h"
#include "testlib.h"

#define NSRV 3
#define MAXMSG 32

static uv_loop_t loop;
static struct hub_config cfg;

/* ---- the bus -----------------------------------------------------------------------------------
 */

enum qkind { Q_BROADCAST, Q_REQUEST, Q_RESPONSE, Q_COUNT };

struct qmsg {
    struct qmsg *next;
    enum qkind kind;
    char nsp[32];
    uint8_t *data;
    size_t len;
    int to; /* Q_COUNT: the asking member */
    char id[HUB_ADAPTER_ID_MAX + 1];
};

struct member {
    int idx;
    hub_server *srv;
    int attached, closed;
    int deaf;        /* receives nothing (a node that never answers) */
    int count_fails; /* server_count fails */
};

static struct {
    struct member m[NSRV];
    struct qmsg *head, *tail;
    uv_timer_t timer;
    int count_override; /* > 0: server_count answers this */
    unsigned published;
} bus;

static void deliver(uv_timer_t *t);
static int chaos; /* allocations may fail: a message that cannot be decoded is lost */

static void enqueue(struct qmsg *q)
{
    if (bus.tail)
        bus.tail->next = q;
    else
        bus.head = q;
    bus.tail = q;
    uv_timer_start(&bus.timer, deliver, 0, 0);
}

static int pub(struct member *mb, enum qkind kind, hub_nsp *nsp, const struct adapter_msg *m)
{
    struct adapter_out out = {0};
    struct qmsg *q;
    int rc = kind == Q_BROADCAST ? adapter_broadcast_encode(m, &out)
             : kind == Q_REQUEST ? adapter_request_encode(m, &out)
                                 : adapter_response_encode(m, &out);

    if (rc) {
        adapter_out_free(&out);
        return rc;
    }
    q = calloc(1, sizeof(*q));
    q->kind = kind;
    snprintf(q->nsp, sizeof(q->nsp), "%s", hub_nsp_name(nsp));
    q->data = out.data; /* hub_malloc'ed */
    q->len = out.len;
    q->to = mb->idx;
    bus.published++;
    enqueue(q);
    return 0;
}

static int b_open(void *be, hub_nsp *nsp)
{
    return 0;
}
static int b_broadcast(void *be, hub_nsp *nsp, const struct adapter_msg *m)
{
    return pub(be, Q_BROADCAST, nsp, m);
}
static int b_request(void *be, hub_nsp *nsp, const struct adapter_msg *m)
{
    return pub(be, Q_REQUEST, nsp, m);
}
static int b_response(void *be, hub_nsp *nsp, const struct adapter_msg *m)
{
    return pub(be, Q_RESPONSE, nsp, m);
}
static int b_count(void *be, hub_nsp *nsp, const char *id)
{
    struct member *mb = be;
    struct qmsg *q;

    if (mb->count_fails) return HUB_EIO;
    q = calloc(1, sizeof(*q));
    q->kind = Q_COUNT;
    snprintf(q->nsp, sizeof(q->nsp), "%s", hub_nsp_name(nsp));
    snprintf(q->id, sizeof(q->id), "%s", id);
    q->to = mb->idx;
    enqueue(q);
    return 0;
}
static void b_status(void *be, struct hub_cluster_status *st)
{
    st->backend = "test";
    st->connected = 1;
}
static void b_close(void *be)
{
    ((struct member *)be)->closed = 1;
}

static const struct hub_adapter_ops bus_ops = {
    .nsp_open = b_open,
    .publish_broadcast = b_broadcast,
    .publish_request = b_request,
    .publish_response = b_response,
    .server_count = b_count,
    .status = b_status,
    .close = b_close,
};

static int listening(void)
{
    int i, n = 0;

    for (i = 0; i < NSRV; i++)
        n += bus.m[i].attached && !bus.m[i].closed;
    return n;
}

static void deliver_one(struct qmsg *q)
{
    int i;

    for (i = 0; i < NSRV; i++) {
        struct member *mb = &bus.m[i];
        struct adapter_msg m;
        hub_nsp *nsp;
        if (!mb->attached || mb->closed || mb->deaf) continue;
        if (q->kind == Q_COUNT) {
            if (i == q->to)
                hub_adapter_on_count(mb->srv, hub_server_nsp(mb->srv, q->nsp), q->id,
                                     bus.count_override ? bus.count_override : listening());
            continue;
        }
        if (!(nsp = hub_server_nsp(mb->srv, q->nsp))) continue;
        if (q->kind == Q_BROADCAST) {
            int rc = adapter_broadcast_decode(q->data, q->len, NULL, &m);
            if (!chaos) CHECK_INT(rc, 0);
            if (rc) continue;
            hub_adapter_on_broadcast(mb->srv, nsp, &m);
        } else if (q->kind == Q_REQUEST) {
            int rc = adapter_request_decode(q->data, q->len, NULL, &m);
            if (!chaos) CHECK_INT(rc, 0);
            if (rc) continue;
            hub_adapter_on_request(mb->srv, nsp, &m);
        } else {
            int rc = adapter_response_decode(q->data, q->len, NULL, &m);
            if (!chaos) CHECK_INT(rc, 0);
            if (rc) continue;
            hub_adapter_on_response(mb->srv, nsp, &m);
        }
        adapter_msg_clear(&m);
    }
}

static void deliver(uv_timer_t *t)
{
    struct qmsg *q = bus.head;

    bus.head = bus.tail = NULL;
    while (q) {
        struct qmsg *next = q->next;
        deliver_one(q);
        hub_free(q->data);
        free(q);
        q = next;
    }
}

/* ---- clients -----------------------------------------------------------------------------------
 */

struct conn {
    eio_session *s;
    char *msg[MAXMSG];
    int head, count, released;
    char sid[HUB_SOCKET_ID_LEN + 1];
};

static void t_want_write(void *c) {}
static void t_close(void *c) {}
static const struct eio_transport_ops tops = {.want_write = t_want_write, .close = t_close};

static void push_msg(struct conn *c, const uint8_t *p, size_t len, int binary)
{
    char *m = malloc(2 * len + 3);
    size_t i;

    if (binary) {
        strcpy(m, "B:");
        for (i = 0; i < len; i++)
            sprintf(m + 2 + 2 * i, "%02x", p[i]);
    } else {
        memcpy(m, p, len);
        m[len] = '\0';
    }
    if (c->count < MAXMSG) {
        c->msg[(c->head + c->count) % MAXMSG] = m;
        c->count++;
    } else {
        free(m);
    }
}

static void drain(struct conn *c)
{
    static uint8_t buf[1 << 16];
    hub_frame *big;
    int more;

    if (c->released) return;
    do {
        size_t n = eio_ws_writable(c->s, c, buf, sizeof(buf), &more, &big), off = 0;
        while (n - off >= 2) {
            int op = buf[off] & 0x0f;
            size_t len = buf[off + 1] & 0x7f, hl = 2;
            if (len == 126) {
                len = ((size_t)buf[off + 2] << 8) | buf[off + 3];
                hl = 4;
            }
            if (op == 1 || op == 2) push_msg(c, buf + off + hl, len, op == 2);
            off += hl + len;
        }
        if (big) hub_frame_unref(big);
    } while (more);
}

/* The next message ("" when none), owned until the next call. */
static const char *next(struct conn *c)
{
    static char *last;

    free(last);
    last = NULL;
    drain(c);
    if (!c->count) return "";
    last = c->msg[c->head];
    c->head = (c->head + 1) % MAXMSG;
    c->count--;
    return last;
}

static int pending(struct conn *c)
{
    drain(c);
    return c->count;
}

static void conn_open(struct conn *c, hub_server *srv)
{
    struct eio_request req = {.method = EIO_M_GET,
                              .eio = "4",
                              .transport = "websocket",
                              .url = "/socket.io/?EIO=4&transport=websocket",
                              .address = "127.0.0.1"};
    const char *m;

    memset(c, 0, sizeof(*c));
    CHECK_INT(eio_ws_open(hub_server_engine(srv), &req, c, &c->s), 0);
    CHECK(next(c)[0] == '0');
    eio_ws_message(c->s, c, (const uint8_t *)"40", 2, 0);
    m = next(c);
    CHECK(strncmp(m, "40{\"sid\":\"", 10) == 0);
    snprintf(c->sid, sizeof(c->sid), "%s", m + 10);
}

static void send_text(struct conn *c, const char *pkt)
{
    eio_ws_message(c->s, c, (const uint8_t *)pkt, strlen(pkt), 0);
}

static void conn_release(struct conn *c)
{
    if (!c->released && c->s) eio_ws_closed(c->s, c);
    c->released = 1;
    while (c->count)
        next(c);
}

static void run_for(int ms)
{
    uint64_t end = uv_now(&loop) + (uint64_t)ms;

    while (uv_now(&loop) < end) {
        uv_run(&loop, UV_RUN_NOWAIT);
        uv_sleep(1);
        uv_update_time(&loop);
    }
}

static void run_until(const int *flag, int want, int ms)
{
    uint64_t end = uv_now(&loop) + (uint64_t)ms;

    while (*flag < want && uv_now(&loop) < end) {
        uv_run(&loop, UV_RUN_NOWAIT);
        uv_sleep(1);
        uv_update_time(&loop);
    }
}

/* ---- the cluster -------------------------------------------------------------------------------
 */

static hub_server *S[NSRV];
static hub_nsp *N[NSRV];
static struct conn C[NSRV];

/* Server-side event handlers: counted per server; "q" is answered with {"from": idx}. */
static int sse_seen[NSRV];

static void on_sse(hub_nsp *nsp, const struct hub_event *ev, void *ud)
{
    int idx = (int)(intptr_t)ud;
    json_t *args;

    sse_seen[idx]++;
    if (!ev->ack || strcmp(ev->name, "q") != 0) return;
    args = json_pack("[{s:i}]", "from", idx);
    CHECK_INT(hub_ack_send(ev->ack, args, NULL, 0), 0);
    CHECK_INT(hub_ack_send(ev->ack, args, NULL, 0), HUB_ESTATE);
    json_decref(args);
}

static void setup(uint64_t requests_timeout_ms)
{
    int i;

    hub_config_init(&cfg);
    cfg.ping_interval_ms = 60000;
    cfg.ping_timeout_ms = 60000;
    memset(&bus, 0, sizeof(bus));
    uv_timer_init(&loop, &bus.timer);
    memset(sse_seen, 0, sizeof(sse_seen));
    for (i = 0; i < NSRV; i++) {
        S[i] = hub_server_new(&loop, &cfg);
        eio_server_set_transport(hub_server_engine(S[i]), &tops);
        N[i] = hub_server_of(S[i], "/");
        CHECK_INT(hub_nsp_on_server_event(N[i], NULL, on_sse, (void *)(intptr_t)i), 0);
        bus.m[i].idx = i;
        bus.m[i].srv = S[i];
        CHECK_INT(hub_adapter_attach(S[i], &bus_ops, &bus.m[i], requests_timeout_ms), 0);
        bus.m[i].attached = 1;
        conn_open(&C[i], S[i]);
    }
    CHECK_INT(hub_adapter_attach(S[0], &bus_ops, &bus.m[0], 0), HUB_EEXISTS);
    CHECK(hub_adapter_uid(S[0]) && strcmp(hub_adapter_uid(S[0]), hub_adapter_uid(S[1])) != 0);
}

static void teardown(void)
{
    int i;

    for (i = 0; i < NSRV; i++)
        hub_server_shutdown(S[i]);
    for (i = 0; i < NSRV; i++) {
        CHECK(bus.m[i].closed);
        conn_release(&C[i]);
        hub_server_free(S[i]);
    }
    uv_close((uv_handle_t *)&bus.timer, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    deliver(NULL); /* frees what was never delivered */
    hub_config_free(&cfg);
}

static hub_socket *sock(int i)
{
    return hub_nsp_socket(N[i], C[i].sid);
}

/* ---- broadcasts --------------------------------------------------------------------------------
 */

static void test_broadcasts(void)
{
    static const char *const r[] = {"r"}, *const r2[] = {"r", "r2"}, *const rr[] = {"r2"};
    struct hub_target t;
    json_t *args = json_pack("[i,{s:s}]", 1, "k", "v");
    int i;

    setup(1000);
    CHECK_INT(hub_socket_join(sock(1), "r"), 0);
    CHECK_INT(hub_socket_join(sock(2), "r2"), 0);
    CHECK_INT(hub_socket_join(sock(0), "r2"), 0);

    /* everyone, once each: the sender's own copy comes back from the bus and is dropped */
    CHECK_INT(hub_nsp_emit(N[0], NULL, "all", args, NULL, 0), 1);
    run_for(20);
    for (i = 0; i < NSRV; i++) {
        CHECK_STR(next(&C[i]), "42[\"all\",1,{\"k\":\"v\"}]");
        CHECK_INT(pending(&C[i]), 0);
    }
    /* one room, then two rooms with one excepted, then the sender excluded */
    memset(&t, 0, sizeof(t));
    t.rooms = r;
    t.nrooms = 1;
    CHECK_INT(hub_nsp_emit(N[2], &t, "room", NULL, NULL, 0), 0);
    run_for(20);
    CHECK_STR(next(&C[1]), "42[\"room\"]");
    CHECK_INT(pending(&C[0]) + pending(&C[1]) + pending(&C[2]), 0);
    t.rooms = r2;
    t.nrooms = 2;
    t.except = r;
    t.nexcept = 1;
    CHECK_INT(hub_nsp_emit(N[1], &t, "multi", NULL, NULL, 0), 0);
    run_for(20);
    CHECK_STR(next(&C[0]), "42[\"multi\"]");
    CHECK_STR(next(&C[2]), "42[\"multi\"]");
    CHECK_INT(pending(&C[0]) + pending(&C[1]) + pending(&C[2]), 0);
    memset(&t, 0, sizeof(t));
    t.rooms = rr;
    t.nrooms = 1;
    t.exclude = sock(2);
    CHECK_INT(hub_nsp_emit(N[2], &t, "not-me", NULL, NULL, 0), 0);
    run_for(20);
    CHECK_STR(next(&C[0]), "42[\"not-me\"]");
    CHECK_INT(pending(&C[0]) + pending(&C[1]) + pending(&C[2]), 0);
    /* local: nothing published */
    memset(&t, 0, sizeof(t));
    t.is_local = 1;
    bus.published = 0;
    CHECK_INT(hub_nsp_emit(N[1], &t, "local", NULL, NULL, 0), 1);
    run_for(20);
    CHECK_INT(bus.published, 0);
    CHECK_STR(next(&C[1]), "42[\"local\"]");
    CHECK_INT(pending(&C[0]) + pending(&C[2]), 0);
    /* binary: the attachment crosses as msgpack bin and leaves as a binary frame */
    {
        struct sio_buf b = {(uint8_t *)"\x01\x02", 2};
        json_t *bargs = json_pack("[o]", sio_placeholder_new(0));
        CHECK_INT(hub_nsp_emit(N[0], NULL, "bin", bargs, &b, 1), 1);
        json_decref(bargs);
        run_for(20);
        for (i = 0; i < NSRV; i++) {
            CHECK_STR(next(&C[i]), "451-[\"bin\",{\"_placeholder\":true,\"num\":0}]");
            CHECK_STR(next(&C[i]), "B:0102");
        }
    }
    json_decref(args);
    teardown();
}

/* ---- requests ----------------------------------------------------------------------------------
 */

static struct {
    int calls, status;
    json_t *result;
} res;

static void on_result(hub_nsp *nsp, int status, const json_t *result, void *ud)
{
    res.calls++;
    res.status = status;
    json_decref(res.result);
    res.result = json_incref((json_t *)result);
}

static void reset_res(void)
{
    json_decref(res.result);
    memset(&res, 0, sizeof(res));
}

static int has_string(const json_t *arr, const char *s)
{
    size_t i;

    for (i = 0; i < json_array_size(arr); i++)
        if (json_is_string(json_array_get(arr, i)) &&
            strcmp(json_string_value(json_array_get(arr, i)), s) == 0)
            return 1;
    return 0;
}

static void test_requests(void)
{
    static const char *const r[] = {"r"};
    struct hub_target t;
    size_t i;

    setup(1000);
    CHECK_INT(hub_socket_join(sock(1), "r"), 0);
    /* fetch: this node's sockets first, then the others' */
    reset_res();
    CHECK_INT(hub_nsp_fetch_sockets(N[0], NULL, on_result, NULL), 0);
    CHECK_INT(res.calls, 0); /* never from inside the call */
    run_until(&res.calls, 1, 500);
    CHECK_INT(res.status, 0);
    CHECK_INT(json_array_size(res.result), 3);
    CHECK_STR(json_string_value(json_object_get(json_array_get(res.result, 0), "id")), C[0].sid);
    memset(&t, 0, sizeof(t));
    t.rooms = r;
    t.nrooms = 1;
    reset_res();
    CHECK_INT(hub_nsp_fetch_sockets(N[2], &t, on_result, NULL), 0);
    run_until(&res.calls, 1, 500);
    CHECK_INT(json_array_size(res.result), 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(res.result, 0), "id")), C[1].sid);
    CHECK(has_string(json_object_get(json_array_get(res.result, 0), "rooms"), "r"));
    /* all rooms */
    reset_res();
    CHECK_INT(hub_nsp_all_rooms(N[1], on_result, NULL), 0);
    run_until(&res.calls, 1, 500);
    CHECK_INT(res.status, 0);
    CHECK_INT(json_array_size(res.result), 4);
    for (i = 0; i < NSRV; i++)
        CHECK(has_string(res.result, C[i].sid));
    CHECK(has_string(res.result, "r"));
    /* server-side emit: the others' handlers, not this node's */
    CHECK_INT(hub_nsp_server_side_emit(N[0], "hello", NULL), 0);
    run_for(20);
    CHECK_INT(sse_seen[0], 0);
    CHECK_INT(sse_seen[1], 1);
    CHECK_INT(sse_seen[2], 1);
    CHECK_INT(hub_nsp_server_side_emit(N[0], "disconnect", NULL), HUB_EINVAL);
    reset_res();
    CHECK_INT(hub_nsp_server_side_emit_with_ack(N[2], "q", NULL, on_result, NULL), 0);
    run_until(&res.calls, 1, 500);
    CHECK_INT(res.status, 0);
    CHECK_INT(json_array_size(res.result), 2);
    CHECK_INT(sse_seen[2], 1); /* its own event did not run its handler */
    CHECK_INT(sse_seen[0], 1);
    reset_res();
    teardown();
}

/* ---- a broadcast with acknowledgements ---------------------------------------------------------
 */

static struct {
    int calls, status;
    size_t n, expected, remote;
} br;

static void on_breply(hub_nsp *nsp, int status, const struct hub_reply *replies, size_t n,
                      size_t expected, void *ud)
{
    size_t i;

    br.calls++;
    br.status = status;
    br.n = n;
    br.expected = expected;
    br.remote = 0;
    for (i = 0; i < n; i++)
        br.remote += replies[i].id == NULL;
}

/* Answers the ack request in the next message of c ("42<id>[...]"). */
static void answer(struct conn *c, const char *with)
{
    const char *m = next(c);
    char pkt[128];
    long id;

    CHECK(strncmp(m, "42", 2) == 0);
    id = strtol(m + 2, NULL, 10);
    snprintf(pkt, sizeof(pkt), "43%ld[\"%s\"]", id, with);
    send_text(c, pkt);
}

static void test_broadcast_with_ack(void)
{
    static const char *const nobody[] = {"nobody"};
    struct hub_target t;
    int i;

    setup(1000);
    memset(&br, 0, sizeof(br));
    CHECK_INT(hub_nsp_emit_with_ack(N[0], NULL, "ask", NULL, NULL, 0, 1000, on_breply, NULL), 1);
    run_for(20);
    for (i = 0; i < NSRV; i++)
        answer(&C[i], "a");
    run_until(&br.calls, 1, 500);
    CHECK_INT(br.status, 0);
    CHECK_INT(br.n, 3);
    CHECK_INT(br.expected, 3);
    CHECK_INT(br.remote, 2);
    /* nobody anywhere: every node still counts (0), and it completes at once */
    memset(&br, 0, sizeof(br));
    memset(&t, 0, sizeof(t));
    t.rooms = nobody;
    t.nrooms = 1;
    CHECK_INT(hub_nsp_emit_with_ack(N[1], &t, "ask", NULL, NULL, 0, 1000, on_breply, NULL), 0);
    run_until(&br.calls, 1, 300);
    CHECK_INT(br.calls, 1);
    CHECK_INT(br.status, 0);
    CHECK_INT(br.expected, 0);
    /* a node that never counts: the timeout, with what arrived */
    bus.m[2].deaf = 1;
    memset(&br, 0, sizeof(br));
    CHECK_INT(hub_nsp_emit_with_ack(N[0], NULL, "ask", NULL, NULL, 0, 200, on_breply, NULL), 1);
    run_for(20);
    answer(&C[0], "a");
    answer(&C[1], "b");
    run_for(100);
    CHECK_INT(br.calls, 0);
    run_until(&br.calls, 1, 500);
    CHECK_INT(br.status, HUB_ETIMEOUT);
    CHECK_INT(br.n, 2);
    CHECK_INT(br.expected, 2);
    teardown();
}

/* ---- failures ----------------------------------------------------------------------------------
 */

static void test_timeouts_and_failures(void)
{
    setup(150);
    /* a node that never answers: the request times out with the answers that came */
    bus.m[2].deaf = 1;
    reset_res();
    CHECK_INT(hub_nsp_fetch_sockets(N[0], NULL, on_result, NULL), 0);
    run_for(60);
    CHECK_INT(res.calls, 0);
    run_until(&res.calls, 1, 500);
    CHECK_INT(res.status, HUB_ETIMEOUT);
    CHECK_INT(json_array_size(res.result), 2);
    reset_res();
    CHECK_INT(hub_nsp_server_side_emit_with_ack(N[0], "q", NULL, on_result, NULL), 0);
    run_until(&res.calls, 1, 500);
    CHECK_INT(res.status, HUB_ETIMEOUT);
    CHECK_INT(json_array_size(res.result), 1);
    bus.m[2].deaf = 0;
    /* the count cannot be had: this node's part, HUB_EIO, from the loop */
    bus.m[1].count_fails = 1;
    reset_res();
    CHECK_INT(hub_nsp_fetch_sockets(N[1], NULL, on_result, NULL), 0);
    CHECK_INT(res.calls, 0);
    run_until(&res.calls, 1, 500);
    CHECK_INT(res.status, HUB_EIO);
    CHECK_INT(json_array_size(res.result), 1);
    bus.m[1].count_fails = 0;
    /* alone on the bus (count 1): done without asking */
    bus.count_override = 1;
    reset_res();
    bus.published = 0;
    CHECK_INT(hub_nsp_all_rooms(N[0], on_result, NULL), 0);
    run_until(&res.calls, 1, 500);
    CHECK_INT(res.status, 0);
    CHECK_INT(json_array_size(res.result), 1);
    CHECK_INT(bus.published, 0);
    bus.count_override = 0;
    /* shutdown with a request pending: it completes once, with HUB_ECLOSED */
    bus.m[1].deaf = bus.m[2].deaf = 1;
    reset_res();
    CHECK_INT(hub_nsp_fetch_sockets(N[0], NULL, on_result, NULL), 0);
    run_for(20);
    hub_server_shutdown(S[0]);
    CHECK_INT(res.calls, 1);
    CHECK_INT(res.status, HUB_ECLOSED);
    CHECK_INT(hub_nsp_fetch_sockets(N[0], NULL, on_result, NULL), HUB_ECLOSED);
    run_for(200);
    CHECK_INT(res.calls, 1);
    reset_res();
    teardown();
}

/* ---- room operations across nodes --------------------------------------------------------------
 */

static void test_room_operations(void)
{
    static const char *const x[] = {"x"}, *const r[] = {"r"};
    struct hub_target t;
    struct hub_cluster_status st;

    setup(1000);
    CHECK_INT(hub_socket_join(sock(1), "r"), 0);
    CHECK_INT(hub_socket_join(sock(2), "r"), 0);
    memset(&t, 0, sizeof(t));
    t.rooms = r;
    t.nrooms = 1;
    CHECK_INT(hub_nsp_sockets_join(N[0], &t, x, 1), 0);
    run_for(20);
    CHECK_INT(hub_nsp_room_size(N[0], "x"), 0);
    CHECK_INT(hub_nsp_room_size(N[1], "x"), 1);
    CHECK_INT(hub_nsp_room_size(N[2], "x"), 1);
    CHECK_INT(hub_nsp_sockets_leave(N[2], NULL, x, 1), 1);
    CHECK_INT(hub_nsp_room_size(N[2], "x"), 0); /* at once, locally */
    run_for(20);
    CHECK_INT(hub_nsp_room_size(N[1], "x"), 0);
    /* disconnect the sockets in r everywhere, transports kept */
    CHECK_INT(hub_nsp_disconnect_sockets(N[0], &t, 0), 0);
    run_for(20);
    CHECK_STR(next(&C[1]), "41");
    CHECK_STR(next(&C[2]), "41");
    CHECK_INT(hub_nsp_count(N[1]) + hub_nsp_count(N[2]), 0);
    CHECK_INT(hub_nsp_count(N[0]), 1);
    CHECK_INT(hub_server_cluster_status(S[0], &st), 0);
    CHECK_STR(st.backend, "test");
    CHECK_STR(st.uid, hub_adapter_uid(S[0]));
    teardown();
    /* alone: a cluster of one */
    {
        hub_server *one = hub_server_new(&loop, NULL);
        CHECK_INT(hub_server_cluster_status(one, &st), 0);
        CHECK_STR(st.backend, "none");
        CHECK_INT(st.connected, 1);
        CHECK(hub_adapter_uid(one) == NULL);
        CHECK_INT(hub_nsp_server_side_emit(hub_server_of(one, "/"), "e", NULL), 0);
        reset_res();
        CHECK_INT(
            hub_nsp_server_side_emit_with_ack(hub_server_of(one, "/"), "e", NULL, on_result, NULL),
            0);
        CHECK_INT(res.calls, 0);
        run_until(&res.calls, 1, 200);
        CHECK_INT(res.status, 0);
        CHECK_INT(json_array_size(res.result), 0);
        reset_res();
        hub_server_free(one);
        uv_run(&loop, UV_RUN_DEFAULT);
    }
}

/* ---- allocation failures: every call fails cleanly or calls back exactly once, nothing leaks --
 */

static long fail_at = -1;

static int should_fail(void)
{
    return fail_at >= 0 && fail_at-- == 0;
}
static void *f_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n);
}
static void *f_calloc(size_t n, size_t sz)
{
    return should_fail() ? NULL : calloc(n, sz);
}
static void *f_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n);
}
static const struct hub_alloc_funcs failing = {f_malloc, f_calloc, f_realloc, free};

static int chaos_calls;

static void chaos_cb(hub_nsp *nsp, int status, const json_t *result, void *ud)
{
    chaos_calls++;
}

static void chaos_bcb(hub_nsp *nsp, int status, const struct hub_reply *replies, size_t n,
                      size_t expected, void *ud)
{
    chaos_calls++;
}

static void test_allocation_failures(void)
{
    static const char *const x[] = {"x"};
    long n;
    int clean = 0;

    for (n = 0; n < 600 && clean < 3; n++) {
        int started = 0;
        setup(60);
        CHECK_INT(hub_socket_join(sock(1), "r"), 0);
        chaos = 1;
        chaos_calls = 0;
        hub_alloc_set(&failing);
        fail_at = n;
        started += hub_nsp_fetch_sockets(N[0], NULL, chaos_cb, NULL) == 0;
        started += hub_nsp_all_rooms(N[1], chaos_cb, NULL) == 0;
        started += hub_nsp_server_side_emit_with_ack(N[2], "q", NULL, chaos_cb, NULL) == 0;
        started +=
            hub_nsp_emit_with_ack(N[0], NULL, "ask", NULL, NULL, 0, 60, chaos_bcb, NULL) >= 0;
        hub_nsp_emit(N[1], NULL, "e", NULL, NULL, 0);
        hub_nsp_sockets_join(N[2], NULL, x, 1);
        hub_nsp_server_side_emit(N[0], "hello", NULL);
        clean = fail_at >= 0 ? clean + 1 : 0; /* nothing failed: past the last allocation */
        run_until(&chaos_calls, started, 400);
        run_for(20);
        fail_at = -1;
        hub_alloc_set(NULL);
        chaos = 0;
        if (chaos_calls != started) fprintf(stderr, "allocation %ld: ", n);
        CHECK_INT(chaos_calls, started);
        teardown();
    }
    CHECK(clean == 3);
}

int main(void)
{
    hub_alloc_set(NULL);
    uv_loop_init(&loop);
    RUN(test_broadcasts);
    RUN(test_requests);
    RUN(test_broadcast_with_ack);
    RUN(test_timeouts_and_failures);
    RUN(test_room_operations);
    RUN(test_allocation_failures);
    CHECK_INT(uv_loop_close(&loop), 0);
    return TEST_SUMMARY();
}
