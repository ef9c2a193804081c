/* test_socketio.c - the Socket.IO layer (hubbub.h) and the built-in apps, driven through the
 * engine's transport interface with in-memory WebSocket connections: no sockets, no libwebsockets.
 * A test client sends Engine.IO text packets ("40", "42[...]") and reads what the server queued by
 * parsing the WebSocket frames the engine hands out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "apps.h"
#include "config.h"
#include "engine_transport.h"
#include "hub_alloc.h"
#include "hubbub.h"
#include "testlib.h"

#define MAXMSG 64

struct conn {
    eio_session *s;
    int want, closed, released;
    /* messages received and not yet taken: Engine.IO packets, "B:" + hex for binary */
    char *msg[MAXMSG];
    int head, count;
};

static void t_want_write(void *c)
{
    ((struct conn *)c)->want++;
}

static void t_close(void *c)
{
    ((struct conn *)c)->closed++;
}

static const struct eio_transport_ops ops = {.want_write = t_want_write, .close = t_close};

static uv_loop_t loop;
static struct hub_config cfg;
static hub_server *srv;

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

/* Parses server WebSocket frames (never masked). */
static void parse_frames(struct conn *c, const uint8_t *b, size_t n)
{
    while (n >= 2) {
        int op = b[0] & 0x0f;
        size_t len = b[1] & 0x7f, hl = 2, i;
        if (len == 126) {
            len = ((size_t)b[2] << 8) | b[3];
            hl = 4;
        } else if (len == 127) {
            len = 0;
            for (i = 0; i < 8; i++)
                len = (len << 8) | b[2 + i];
            hl = 10;
        }
        if (op == 1 || op == 2) push_msg(c, b + hl, len, op == 2);
        b += hl + len;
        n -= hl + len;
    }
}

static void drain(struct conn *c)
{
    static uint8_t buf[1 << 16];
    hub_frame *big;
    int more;

    if (c->released) return;
    do {
        size_t n = eio_ws_writable(c->s, c, buf, sizeof(buf), &more, &big);
        parse_frames(c, buf, n);
        if (big) {
            size_t len;
            const uint8_t *ws = hub_frame_ws(big, &len);
            parse_frames(c, ws, len);
            hub_frame_unref(big);
        }
    } while (more);
}

/* The next message (owned by the conn until the next call), or "" when none. */
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

static void conn_open(struct conn *c)
{
    struct eio_request req = {.method = EIO_M_GET,
                              .eio = "4",
                              .transport = "websocket",
                              .url = "/socket.io/?EIO=4&transport=websocket",
                              .address = "127.0.0.1"};
    memset(c, 0, sizeof(*c));
    CHECK_INT(eio_ws_open(hub_server_engine(srv), &req, c, &c->s), 0);
    CHECK(c->s != NULL);
    CHECK(next(c)[0] == '0'); /* the open packet */
}

/* An Engine.IO v3 WebSocket session (cfg.allow_eio3): joined to "/" at once. eid gets the Engine.IO
 * id (21 bytes). */
static void conn_open_v3(struct conn *c, char *eid)
{
    struct eio_request req = {.method = EIO_M_GET,
                              .eio = "3",
                              .transport = "websocket",
                              .url = "/socket.io/?EIO=3&transport=websocket",
                              .address = "127.0.0.1"};
    json_t *o;

    memset(c, 0, sizeof(*c));
    CHECK_INT(eio_ws_open(hub_server_engine(srv), &req, c, &c->s), 0);
    CHECK(c->s != NULL);
    snprintf(eid, HUB_SOCKET_ID_LEN + 1, "%s", eio_session_id(c->s));
    o = json_loads(next(c) + 1, 0, NULL); /* the open packet */
    CHECK_STR(json_string_value(json_object_get(o, "sid")), eid);
    json_decref(o);
    CHECK_STR(next(c), "40");
}

static void send_text(struct conn *c, const char *eio_packet)
{
    eio_ws_message(c->s, c, (const uint8_t *)eio_packet, strlen(eio_packet), 0);
}

static void send_binary(struct conn *c, const void *data, size_t len)
{
    eio_ws_message(c->s, c, data, len, 1);
}

static void conn_release(struct conn *c)
{
    size_t i;

    if (!c->released && c->s) {
        eio_ws_closed(c->s, c);
        c->released = 1;
    }
    for (i = 0; i < (size_t)c->count; i++)
        free(c->msg[(c->head + i) % MAXMSG]);
    c->count = 0;
}

/* Connects c to nsp ("/" or "/x") with an optional auth JSON; returns the sid in sid. */
static void sio_connect(struct conn *c, const char *nsp, const char *auth, char *sid)
{
    char pkt[256];
    const char *m;
    int is_root = strcmp(nsp, "/") == 0;
    json_t *o;

    snprintf(pkt, sizeof(pkt), "40%s%s%s", is_root ? "" : nsp, is_root || !auth ? "" : ",",
             auth ? auth : "");
    send_text(c, pkt);
    m = next(c);
    snprintf(pkt, sizeof(pkt), "40%s%s", is_root ? "" : nsp, is_root ? "" : ",");
    CHECK(strncmp(m, pkt, strlen(pkt)) == 0);
    o = json_loads(m + strlen(pkt), 0, NULL);
    CHECK(json_object_size(o) == 1);
    CHECK_INT(json_string_length(json_object_get(o, "sid")), HUB_SOCKET_ID_LEN);
    if (sid)
        snprintf(sid, HUB_SOCKET_ID_LEN + 1, "%s", json_string_value(json_object_get(o, "sid")));
    json_decref(o);
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

static int setup_eio3; /* the next setup() allows Engine.IO v3 */

static void setup(void)
{
    hub_config_init(&cfg);
    cfg.allow_eio3 = setup_eio3;
    cfg.ping_interval_ms = 60000;
    cfg.ping_timeout_ms = 60000;
    cfg.connect_timeout_ms = 5000;
    srv = hub_server_new(&loop, &cfg);
    CHECK(srv != NULL);
    eio_server_set_transport(hub_server_engine(srv), &ops);
}

static void teardown(struct conn *conns, size_t n)
{
    size_t i;

    hub_server_shutdown(srv);
    for (i = 0; i < n; i++)
        conn_release(&conns[i]);
    hub_server_free(srv);
    srv = NULL;
    uv_run(&loop, UV_RUN_DEFAULT);
    hub_config_free(&cfg);
}

/* ---- what the hooks saw ------------------------------------------------------------------------
 */

static struct {
    int connects, connections, disconnects, events, replies, breplies;
    char reason[64];
    char event[64];
    char args[256];
    size_t nbufs;
    int status;
    size_t expected, nreplies;
    hub_ack *kept;
    hub_socket *last;
    char last_id[HUB_SOCKET_ID_MAX + 1];
    char reply_id[HUB_SOCKET_ID_MAX + 1];
} seen;

static void reset_seen(void)
{
    memset(&seen, 0, sizeof(seen));
}

static int hook_auth(hub_socket *s, const json_t *auth, void *ud)
{
    const char *token = json_string_value(json_object_get(auth, "token"));

    seen.connects++;
    CHECK(!hub_socket_connected(s));
    CHECK_INT(hub_socket_emit(s, "early", NULL, NULL, 0), HUB_ESTATE);
    CHECK_INT(hub_socket_disconnect(s, 0), HUB_ESTATE);
    if (token && strcmp(token, "secret") == 0) return 0;
    if (token && strcmp(token, "plain") == 0) return 1; /* no message given */
    hub_connect_reject(s, "unauthorized", json_pack("{s:s}", "reason", "bad token"));
    return 1;
}

static void hook_connection(hub_socket *s, void *ud)
{
    seen.connections++;
    seen.last = s;
    snprintf(seen.last_id, sizeof(seen.last_id), "%s", hub_socket_id(s));
}

static void hook_disconnect(hub_socket *s, const char *reason, void *ud)
{
    seen.disconnects++;
    snprintf(seen.reason, sizeof(seen.reason), "%s", reason);
    CHECK(!hub_socket_connected(s));
    CHECK(hub_nsp_socket(hub_socket_nsp(s), hub_socket_id(s)) == NULL);
    CHECK_INT(hub_socket_emit(s, "x", NULL, NULL, 0), HUB_ECLOSED);
    CHECK_INT(hub_socket_join(s, "r"), HUB_ECLOSED);
}

static void on_event(hub_socket *s, const struct hub_event *ev, void *ud)
{
    char *a = json_dumps(ev->args, JSON_COMPACT | JSON_PRESERVE_ORDER);

    seen.events++;
    snprintf(seen.event, sizeof(seen.event), "%s", ev->name);
    snprintf(seen.args, sizeof(seen.args), "%s", a ? a : "?");
    free(a);
    seen.nbufs = ev->nbufs;
    if (ev->ack && strcmp(ev->name, "keep") == 0) {
        seen.kept = hub_ack_take(ev->ack);
        CHECK(hub_ack_take(ev->ack) == NULL);
        CHECK_INT(hub_ack_send(ev->ack, NULL, NULL, 0), HUB_ESTATE);
    } else if (ev->ack) {
        json_t *r = json_pack("[s,i]", "re", 7);
        CHECK_INT(hub_ack_send(ev->ack, r, NULL, 0), 0);
        CHECK_INT(hub_ack_send(ev->ack, r, NULL, 0), HUB_ESTATE); /* one answer only */
        json_decref(r);
    }
    if (strcmp(ev->name, "bye") == 0) hub_socket_disconnect(s, 0);
    if (strcmp(ev->name, "close") == 0) hub_socket_disconnect(s, 1);
}

static void on_reply(hub_socket *s, int status, const json_t *args, const struct sio_buf *bufs,
                     size_t nbufs, void *ud)
{
    char *a = args ? json_dumps(args, JSON_COMPACT) : NULL;

    seen.replies++;
    seen.status = status;
    seen.nbufs = nbufs;
    snprintf(seen.args, sizeof(seen.args), "%s", a ? a : "");
    free(a);
    CHECK(s != NULL);
}

static void on_breply(hub_nsp *nsp, int status, const struct hub_reply *replies, size_t n,
                      size_t expected, void *ud)
{
    seen.breplies++;
    seen.status = status;
    seen.expected = expected;
    seen.nreplies = n;
    if (n) snprintf(seen.reply_id, sizeof(seen.reply_id), "%s", replies[0].id ? replies[0].id : "");
    if (n) {
        char *a = json_dumps(replies[0].args, JSON_COMPACT);
        snprintf(seen.args, sizeof(seen.args), "%s", a);
        free(a);
    }
}

static hub_nsp *plain_nsp(const char *name)
{
    hub_nsp *nsp = hub_server_of(srv, name);

    CHECK(nsp != NULL);
    hub_nsp_on_connection(nsp, hook_connection, NULL);
    hub_nsp_on_disconnect(nsp, hook_disconnect, NULL);
    hub_nsp_on(nsp, NULL, on_event, NULL);
    return nsp;
}

/* ---- tests -------------------------------------------------------------------------------------
 */

static void test_connect(void)
{
    struct conn c[1];
    char sid[32];
    hub_nsp *root;
    const char *m;
    json_t *hs;

    setup();
    reset_seen();
    root = plain_nsp("/");
    CHECK(hub_server_of(srv, "/") == root);
    CHECK(hub_server_of(srv, "chat") == hub_server_of(srv, "/chat"));
    CHECK_STR(hub_nsp_name(hub_server_of(srv, "chat")), "/chat");
    CHECK(hub_server_nsp(srv, "/nope") == NULL);
    conn_open(&c[0]);
    /* an unknown namespace: exactly this, and the connection stays */
    send_text(&c[0], "40/random,");
    CHECK_STR(next(&c[0]), "44/random,{\"message\":\"Invalid namespace\"}");
    send_text(&c[0], "40/random");
    CHECK_STR(next(&c[0]), "44/random,{\"message\":\"Invalid namespace\"}");
    CHECK_INT(c[0].closed, 0);

    sio_connect(&c[0], "/", "{\"token\":1}", sid);
    CHECK_INT(seen.connections, 1);
    CHECK_STR(seen.last_id, sid);
    CHECK(hub_nsp_socket(root, sid) == seen.last);
    CHECK_INT(hub_nsp_count(root), 1);
    CHECK(hub_socket_in_room(seen.last, sid));
    CHECK_INT(hub_nsp_room_size(root, sid), 1);
    hs = (json_t *)hub_socket_handshake(seen.last);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(hs, "auth"), "token")), 1);
    CHECK_STR(json_string_value(json_object_get(hs, "address")), "127.0.0.1");
    CHECK_STR(hub_socket_transport(seen.last), "websocket");
    /* a second CONNECT to a connected namespace: invalid state, the session closes */
    send_text(&c[0], "40");
    CHECK_INT(c[0].closed, 1);
    CHECK_INT(seen.disconnects, 1);
    CHECK_STR(seen.reason, "forced server close");
    m = next(&c[0]);
    CHECK_STR(m, ""); /* a WebSocket closes with a close frame, no close packet */
    teardown(c, 1);
}

static void test_connect_hook(void)
{
    struct conn c[1];
    hub_nsp *nsp;

    setup();
    reset_seen();
    nsp = plain_nsp("/");
    hub_nsp_use(nsp, hook_auth, NULL);
    conn_open(&c[0]);
    send_text(&c[0], "40{\"token\":\"nope\"}");
    CHECK_STR(next(&c[0]), "44{\"message\":\"unauthorized\",\"data\":{\"reason\":\"bad token\"}}");
    send_text(&c[0], "40");
    CHECK_STR(next(&c[0]), "44{\"message\":\"unauthorized\",\"data\":{\"reason\":\"bad token\"}}");
    send_text(&c[0], "40{\"token\":\"plain\"}");
    CHECK_STR(next(&c[0]), "44{\"message\":\"connection rejected\"}");
    CHECK_INT(seen.connects, 3);
    CHECK_INT(seen.connections, 0);
    CHECK_INT(hub_nsp_count(nsp), 0);
    CHECK_INT(c[0].closed, 0);
    sio_connect(&c[0], "/", "{\"token\":\"secret\"}", NULL);
    CHECK_INT(seen.connections, 1);
    teardown(c, 1);
}

static void test_events_and_acks(void)
{
    struct conn c[1];
    const char *m;
    char sid[32];
    hub_nsp *nsp;
    int rc;

    setup();
    reset_seen();
    nsp = plain_nsp("/");
    conn_open(&c[0]);
    sio_connect(&c[0], "/", NULL, sid);
    CHECK_STR(json_object_size(json_object_get(hub_socket_handshake(seen.last), "auth")) == 0
                  ? "empty"
                  : "not",
              "empty");
    send_text(&c[0], "42[\"hello\",1,{\"a\":[true]}]");
    CHECK_INT(seen.events, 1);
    CHECK_STR(seen.event, "hello");
    CHECK_STR(seen.args, "[1,{\"a\":[true]}]");
    CHECK_INT(pending(&c[0]), 0);
    /* the client asks for an ack */
    send_text(&c[0], "42456[\"q\"]");
    CHECK_STR(next(&c[0]), "43456[\"re\",7]");
    /* an ack kept past the handler and answered later */
    send_text(&c[0], "4212[\"keep\"]");
    CHECK(seen.kept != NULL);
    CHECK_INT(pending(&c[0]), 0);
    {
        json_t *r = json_pack("[s]", "later");
        CHECK_INT(hub_ack_send(seen.kept, r, NULL, 0), 0);
        CHECK_STR(next(&c[0]), "4312[\"later\"]");
        CHECK_INT(hub_ack_send(seen.kept, r, NULL, 0), HUB_ESTATE);
        json_decref(r);
        hub_ack_free(seen.kept);
    }
    /* server -> client with ack, answered */
    {
        json_t *a = json_pack("[s]", "what?");
        CHECK_INT(hub_socket_emit(seen.last, "disconnect", a, NULL, 0), HUB_EINVAL);
        CHECK_INT(hub_socket_emit(seen.last, "plain", a, NULL, 0), 0);
        CHECK_STR(next(&c[0]), "42[\"plain\",\"what?\"]");
        CHECK_INT(hub_socket_emit(seen.last, "noargs", NULL, NULL, 0), 0);
        CHECK_STR(next(&c[0]), "42[\"noargs\"]");
        rc = hub_socket_emit_with_ack(seen.last, "question", a, NULL, 0, 0, on_reply, NULL);
        CHECK_INT(rc, 0);
        m = next(&c[0]);
        CHECK_STR(m, "420[\"question\",\"what?\"]");
        send_text(&c[0], "43999[\"stray\"]"); /* matches nothing: ignored */
        CHECK_INT(seen.replies, 0);
        send_text(&c[0], "430[\"fine\",{\"n\":1}]");
        CHECK_INT(seen.replies, 1);
        CHECK_INT(seen.status, 0);
        CHECK_STR(seen.args, "[\"fine\",{\"n\":1}]");
        send_text(&c[0], "430[\"again\"]"); /* answered already: ignored */
        CHECK_INT(seen.replies, 1);
        /* timeout */
        rc = hub_socket_emit_with_ack(seen.last, "question", a, NULL, 0, 30, on_reply, NULL);
        CHECK_INT(rc, 0);
        CHECK_STR(next(&c[0]), "421[\"question\",\"what?\"]");
        run_until(&seen.replies, 2, 2000);
        CHECK_INT(seen.replies, 2);
        CHECK_INT(seen.status, HUB_ETIMEOUT);
        send_text(&c[0], "431[\"late\"]");
        CHECK_INT(seen.replies, 2);
        /* the socket disconnects while an ack is pending */
        rc = hub_socket_emit_with_ack(seen.last, "question", a, NULL, 0, 10000, on_reply, NULL);
        CHECK_INT(rc, 0);
        CHECK_INT(hub_socket_emit_with_ack(seen.last, "q", a, NULL, 0, 0, NULL, NULL), HUB_EINVAL);
        json_decref(a);
    }
    next(&c[0]);
    send_text(&c[0], "4213[\"keep\"]");
    send_text(&c[0], "41"); /* client DISCONNECT: nothing is sent back */
    CHECK_INT(seen.replies, 3);
    CHECK_INT(seen.status, HUB_ECLOSED);
    CHECK_INT(seen.disconnects, 1);
    CHECK_STR(seen.reason, "client namespace disconnect");
    CHECK_INT(pending(&c[0]), 0);
    CHECK_INT(c[0].closed, 0);
    CHECK_INT(hub_ack_send(seen.kept, NULL, NULL, 0), HUB_ECLOSED);
    hub_ack_free(seen.kept);
    CHECK(hub_nsp_socket(nsp, sid) == NULL);
    CHECK_INT(hub_nsp_room_size(nsp, sid), 0);
    /* a packet for the namespace it left: invalid state, closed */
    send_text(&c[0], "42[\"x\"]");
    CHECK_INT(c[0].closed, 1);
    teardown(c, 1);
}

static void test_binary(void)
{
    struct conn c[1];
    const uint8_t one[] = {1, 2, 3}, two[] = {0xff};
    hub_nsp *nsp;

    setup();
    reset_seen();
    nsp = hub_server_of(srv, "/echo");
    CHECK_INT(hub_app_echo_install(nsp), 0);
    conn_open(&c[0]);
    send_text(&c[0], "40/echo,");
    CHECK(strncmp(next(&c[0]), "40/echo,{\"sid\":", 15) == 0);
    CHECK_STR(next(&c[0]), "42/echo,[\"auth\",{}]");
    send_text(&c[0], "452-/echo,[\"message\",{\"_placeholder\":true,\"num\":0},"
                     "{\"x\":{\"_placeholder\":true,\"num\":1}}]");
    CHECK_INT(pending(&c[0]), 0);
    send_binary(&c[0], one, sizeof(one));
    CHECK_INT(pending(&c[0]), 0);
    send_binary(&c[0], two, sizeof(two));
    CHECK_STR(next(&c[0]), "452-/echo,[\"message-back\",{\"_placeholder\":true,\"num\":0},"
                           "{\"x\":{\"_placeholder\":true,\"num\":1}}]");
    CHECK_STR(next(&c[0]), "B:010203");
    CHECK_STR(next(&c[0]), "B:ff");
    /* acked with the same binary */
    send_text(&c[0], "451-/echo,77[\"message-with-ack\",{\"_placeholder\":true,\"num\":0}]");
    send_binary(&c[0], two, sizeof(two));
    CHECK_STR(next(&c[0]), "461-/echo,77[{\"_placeholder\":true,\"num\":0}]");
    CHECK_STR(next(&c[0]), "B:ff");
    /* a binary ack for a server emit */
    {
        hub_socket *s = hub_nsp_sockets_next(nsp, &(size_t){0});
        struct sio_buf b = {(uint8_t *)one, sizeof(one)};
        json_t *a = json_pack("[o]", sio_placeholder_new(0));
        CHECK_INT(hub_socket_emit_with_ack(s, "q", a, &b, 1, 0, on_reply, NULL), 0);
        CHECK_STR(next(&c[0]), "451-/echo,0[\"q\",{\"_placeholder\":true,\"num\":0}]");
        CHECK_STR(next(&c[0]), "B:010203");
        CHECK_INT(hub_socket_emit(s, "q", a, NULL, 1), HUB_EINVAL); /* buffers missing */
        {
            json_t *a1 = json_pack("[o]", sio_placeholder_new(1));
            CHECK_INT(hub_socket_emit(s, "q", a1, &b, 1), HUB_EINVAL); /* num 1, one buffer */
            CHECK_INT(hub_nsp_emit(nsp, NULL, "q", a1, &b, 1), HUB_EINVAL);
            json_decref(a1);
        }
        /* nbufs 0: placeholders are not looked for, the JSON goes out as is */
        CHECK_INT(hub_socket_emit(s, "q", a, NULL, 0), 0);
        CHECK_STR(next(&c[0]), "42/echo,[\"q\",{\"_placeholder\":true,\"num\":0}]");
        json_decref(a);
        send_text(&c[0], "461-/echo,0[{\"_placeholder\":true,\"num\":0}]");
        CHECK_INT(seen.replies, 0);
        send_binary(&c[0], two, sizeof(two));
        CHECK_INT(seen.replies, 1);
        CHECK_INT(seen.nbufs, 1);
    }
    /* text while attachments are awaited: a protocol violation */
    send_text(&c[0], "451-/echo,[\"message\",{\"_placeholder\":true,\"num\":0}]");
    send_text(&c[0], "42/echo,[\"message\"]");
    CHECK_INT(c[0].closed, 1);
    teardown(c, 1);
}

static void test_protocol_errors(void)
{
    static const char *bad[] = {"4abc", "42{}",  "42abc[\"x\"]",
                                "49",   "42[1]", "42[\"disconnect\"]"};
    struct conn c[6];
    size_t i;

    setup();
    reset_seen();
    plain_nsp("/");
    for (i = 0; i < 6; i++) {
        conn_open(&c[i]);
        sio_connect(&c[i], "/", NULL, NULL);
        send_text(&c[i], bad[i]);
        CHECK_INT(c[i].closed, 1);
        CHECK_STR(seen.reason, "parse error");
    }
    CHECK_INT(seen.disconnects, 6);
    CHECK_INT(seen.events, 0);
    teardown(c, 6);
}

static void test_disconnects(void)
{
    struct conn c[2];
    char sid[32];

    setup();
    reset_seen();
    plain_nsp("/");
    plain_nsp("/b");
    conn_open(&c[0]);
    sio_connect(&c[0], "/", NULL, NULL);
    sio_connect(&c[0], "/b", NULL, sid);
    /* server namespace disconnect: 41 sent, the other namespace stays */
    send_text(&c[0], "42/b,[\"bye\"]");
    CHECK_STR(next(&c[0]), "41/b,");
    CHECK_STR(seen.reason, "server namespace disconnect");
    CHECK_INT(seen.disconnects, 1);
    CHECK_INT(c[0].closed, 0);
    CHECK_INT(hub_nsp_count(hub_server_nsp(srv, "/")), 1);
    /* reconnect /b, then close the transport from a handler: 41 for each namespace, then close */
    sio_connect(&c[0], "/b", NULL, NULL);
    send_text(&c[0], "42[\"close\"]");
    CHECK_INT(seen.disconnects, 3);
    {
        const char *a = next(&c[0]), *b;
        char first[16];
        snprintf(first, sizeof(first), "%s", a);
        b = next(&c[0]);
        CHECK((strcmp(first, "41") == 0 && strcmp(b, "41/b,") == 0) ||
              (strcmp(first, "41/b,") == 0 && strcmp(b, "41") == 0));
    }
    CHECK(c[0].closed >= 1); /* once what was queued went out */
    /* the transport goes away */
    conn_open(&c[1]);
    sio_connect(&c[1], "/", NULL, NULL);
    conn_release(&c[1]);
    CHECK_STR(seen.reason, "transport close");
    CHECK_INT(seen.disconnects, 4);
    teardown(c, 2);
}

static void test_connect_timeout(void)
{
    struct conn c[2];

    hub_config_init(&cfg);
    cfg.ping_interval_ms = 60000;
    cfg.ping_timeout_ms = 60000;
    cfg.connect_timeout_ms = 50;
    srv = hub_server_new(&loop, &cfg);
    eio_server_set_transport(hub_server_engine(srv), &ops);
    reset_seen();
    plain_nsp("/");
    conn_open(&c[0]);
    conn_open(&c[1]);
    sio_connect(&c[1], "/", NULL, NULL);
    run_until(&c[0].closed, 1, 2000);
    CHECK_INT(c[0].closed, 1);
    run_for(80);
    CHECK_INT(c[1].closed, 0);
    /* hub_server_free without shutdown first, with a session still open */
    conn_release(&c[0]);
    hub_server_free(srv);
    CHECK_INT(c[1].closed, 1);
    CHECK_STR(seen.reason, "server shutting down");
    conn_release(&c[1]);
    uv_run(&loop, UV_RUN_DEFAULT);
    hub_config_free(&cfg);
}

static void test_rooms_and_broadcast(void)
{
    struct conn c[4];
    hub_socket *s[4];
    char sid[4][32];
    hub_nsp *nsp;
    json_t *a;
    size_t i, pos;
    const char *room;
    int rc;

    setup();
    reset_seen();
    nsp = plain_nsp("/");
    plain_nsp("/other");
    for (i = 0; i < 4; i++) {
        conn_open(&c[i]);
        sio_connect(&c[i], "/", NULL, sid[i]);
        s[i] = hub_nsp_socket(nsp, sid[i]);
    }
    sio_connect(&c[0], "/other", NULL, NULL);
    CHECK_INT(hub_socket_join(s[0], "red"), 0);
    CHECK_INT(hub_socket_join(s[0], "red"), 0);
    CHECK_INT(hub_socket_join(s[1], "red"), 0);
    CHECK_INT(hub_socket_join(s[1], "blue"), 0);
    CHECK_INT(hub_socket_join(s[2], "blue"), 0);
    CHECK_INT(hub_socket_room_count(s[1]), 3);
    pos = 0;
    CHECK_INT(hub_socket_rooms_next(s[1], &pos, &room), 1);
    CHECK_STR(room, sid[1]);
    CHECK_INT(hub_socket_rooms_next(s[1], &pos, &room), 1);
    CHECK_STR(room, "red");
    a = json_pack("[i]", 1);
    {
        const char *rooms[] = {"red", "blue"}, *except[] = {"blue"};
        struct hub_target t = {.rooms = rooms, .nrooms = 2};
        rc = hub_nsp_emit(nsp, &t, "m", a, NULL, 0);
        CHECK_INT(rc, 3);
        for (i = 0; i < 3; i++)
            CHECK_STR(next(&c[i]), "42[\"m\",1]");
        CHECK_INT(pending(&c[3]), 0);
        t.except = except;
        t.nexcept = 1;
        CHECK_INT(hub_nsp_emit(nsp, &t, "m", a, NULL, 0), 1);
        CHECK_STR(next(&c[0]), "42[\"m\",1]");
        t.nrooms = 1;
        t.nexcept = 0;
        t.exclude = s[0];
        CHECK_INT(hub_nsp_emit(nsp, &t, "m", a, NULL, 0), 1);
        CHECK_STR(next(&c[1]), "42[\"m\",1]");
        CHECK_INT(pending(&c[0]), 0);
    }
    /* everyone, in the namespace only */
    CHECK_INT(hub_nsp_emit(nsp, NULL, "all", a, NULL, 0), 4);
    for (i = 0; i < 4; i++)
        CHECK_STR(next(&c[i]), "42[\"all\",1]");
    CHECK_INT(hub_nsp_emit(hub_server_nsp(srv, "/other"), NULL, "o", NULL, NULL, 0), 1);
    CHECK_STR(next(&c[0]), "42/other,[\"o\"]");
    /* leave; a disconnect leaves every room */
    CHECK_INT(hub_socket_leave(s[1], "red"), 0);
    CHECK_INT(hub_socket_leave(s[1], "red"), HUB_ENOTFOUND);
    CHECK_INT(hub_nsp_room_size(nsp, "red"), 1);
    send_text(&c[2], "41");
    CHECK_INT(hub_nsp_room_size(nsp, "blue"), 1);

    /* broadcast with acks: s0 and s1 answer, s3 does not */
    rc = hub_nsp_emit_with_ack(nsp, NULL, "q", a, NULL, 0, 60, on_breply, NULL);
    CHECK_INT(rc, 3);
    CHECK_STR(next(&c[0]), "420[\"q\",1]");
    CHECK_STR(next(&c[1]), "420[\"q\",1]");
    CHECK_STR(next(&c[3]), "420[\"q\",1]");
    send_text(&c[0], "430[\"a0\"]");
    send_text(&c[0], "430[\"again\"]");
    send_text(&c[1], "430[\"a1\"]");
    CHECK_INT(seen.breplies, 0);
    run_until(&seen.breplies, 1, 2000);
    CHECK_INT(seen.breplies, 1);
    CHECK_INT(seen.status, HUB_ETIMEOUT);
    CHECK_INT(seen.expected, 3);
    CHECK_INT(seen.nreplies, 2);
    CHECK_STR(seen.args, "[\"a0\"]");
    /* everyone answers */
    rc = hub_nsp_emit_with_ack(nsp, NULL, "q", a, NULL, 0, 5000, on_breply, NULL);
    CHECK_INT(rc, 3);
    send_text(&c[0], "431[\"b0\"]");
    send_text(&c[1], "431[\"b1\"]");
    send_text(&c[3], "431[\"b3\"]");
    CHECK_INT(seen.breplies, 2);
    CHECK_INT(seen.status, 0);
    CHECK_INT(seen.nreplies, 3);
    /* nobody to ask: the callback still runs, later, with status 0 */
    {
        const char *rooms[] = {"nobody"};
        struct hub_target t = {.rooms = rooms, .nrooms = 1};
        CHECK_INT(hub_nsp_emit_with_ack(nsp, &t, "q", a, NULL, 0, 5000, on_breply, NULL), 0);
        CHECK_INT(seen.breplies, 2);
        run_until(&seen.breplies, 3, 2000);
        CHECK_INT(seen.breplies, 3);
        CHECK_INT(seen.status, 0);
        CHECK_INT(seen.expected, 0);
        CHECK_INT(hub_nsp_emit_with_ack(nsp, &t, "q", a, NULL, 0, 0, on_breply, NULL), HUB_EINVAL);
    }
    /* pending at shutdown: HUB_ECLOSED */
    CHECK_INT(hub_nsp_emit_with_ack(nsp, NULL, "q", a, NULL, 0, 5000, on_breply, NULL), 3);
    CHECK_INT(hub_socket_emit_with_ack(s[0], "q", a, NULL, 0, 0, on_reply, NULL), 0);
    json_decref(a);
    hub_server_shutdown(srv);
    CHECK_INT(seen.breplies, 4);
    CHECK_INT(seen.status, HUB_ECLOSED);
    CHECK_INT(seen.replies, 1);
    CHECK_STR(seen.reason, "server shutting down");
    CHECK(hub_server_engine(srv) == NULL);
    teardown(c, 4);
}

/* A volatile emit skips a session whose transport is not writeable (a backlog is queued); a session
 * whose queue would pass maxBufferedBytes is closed as a slow consumer, and nobody else notices. */
static void test_volatile_and_slow_consumer(void)
{
    struct conn c[3];
    char sid[3][32];
    hub_nsp *nsp;
    json_t *a;
    size_t i;

    setup();
    reset_seen();
    nsp = plain_nsp("/");
    for (i = 0; i < 3; i++) {
        conn_open(&c[i]);
        sio_connect(&c[i], "/", NULL, sid[i]);
    }
    a = json_pack("[i]", 1);
    /* c0 gets a packet it does not read: its transport has a backlog */
    CHECK_INT(hub_socket_emit(hub_nsp_socket(nsp, sid[0]), "backlog", a, NULL, 0), 0);
    {
        struct hub_target t = {.is_volatile = 1};
        CHECK_INT(hub_nsp_emit(nsp, &t, "v", a, NULL, 0), 2);
    }
    CHECK_STR(next(&c[0]), "42[\"backlog\",1]");
    CHECK_INT(pending(&c[0]), 0); /* the volatile packet was dropped for c0 */
    CHECK_STR(next(&c[1]), "42[\"v\",1]");
    CHECK_STR(next(&c[2]), "42[\"v\",1]");
    json_decref(a);
    teardown(c, 3);

    /* slow consumer: c0 never reads; 64 KiB of backlog is over its limit */
    hub_config_init(&cfg);
    cfg.ping_interval_ms = cfg.ping_timeout_ms = 60000;
    cfg.max_buffered_bytes = 64 * 1024;
    srv = hub_server_new(&loop, &cfg);
    eio_server_set_transport(hub_server_engine(srv), &ops);
    reset_seen();
    nsp = plain_nsp("/");
    for (i = 0; i < 2; i++) {
        conn_open(&c[i]);
        sio_connect(&c[i], "/", NULL, sid[i]);
    }
    {
        char big[4096];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        json_t *b = json_pack("[s]", big);
        int sent = 0;
        for (i = 0; i < 32; i++) {
            if (hub_nsp_emit(nsp, NULL, "big", b, NULL, 0) >= 1)
                sent++;
            while (pending(&c[1]))
                next(&c[1]); /* c1 keeps up */
        }
        json_decref(b);
        CHECK_INT(sent, 32);
    }
    run_until(&seen.disconnects, 1, 2000);
    CHECK_INT(seen.disconnects, 1);
    CHECK_STR(seen.reason, "transport error");
    CHECK(hub_nsp_socket(nsp, sid[0]) == NULL);
    CHECK(hub_nsp_socket(nsp, sid[1]) != NULL);
    CHECK_INT(eio_server_slow_consumers(hub_server_engine(srv)), 1);
    send_text(&c[1], "42[\"still\"]");
    CHECK_STR(seen.event, "still");
    teardown(c, 2);
}

static void test_room_limit(void)
{
    struct conn c[1];
    char sid[32], name[16];
    hub_socket *s;
    int i;

    hub_config_init(&cfg);
    cfg.max_rooms_per_socket = 3;
    cfg.ping_interval_ms = 60000;
    srv = hub_server_new(&loop, &cfg);
    eio_server_set_transport(hub_server_engine(srv), &ops);
    reset_seen();
    plain_nsp("/");
    conn_open(&c[0]);
    sio_connect(&c[0], "/", NULL, sid);
    s = hub_nsp_socket(hub_server_nsp(srv, "/"), sid);
    for (i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "r%d", i);
        CHECK_INT(hub_socket_join(s, name), 0);
    }
    CHECK_INT(hub_socket_join(s, "r9"), HUB_ELIMIT);
    CHECK_INT(hub_socket_join(s, "r1"), 0); /* already in it */
    CHECK_INT(hub_socket_leave(s, "r1"), 0);
    CHECK_INT(hub_socket_join(s, "r9"), 0);
    CHECK_INT(hub_socket_room_count(s), 4);
    teardown(c, 1);
}

static void test_relay(void)
{
    struct conn c[3];
    const uint8_t bin[] = {9};
    size_t i;

    setup();
    CHECK_INT(hub_apps_install(srv, &cfg), 0); /* no namespaces configured: "/" runs relay */
    for (i = 0; i < 3; i++) {
        conn_open(&c[i]);
        sio_connect(&c[i], "/", NULL, NULL);
    }
    /* joined nothing: to everyone but the sender */
    send_text(&c[0], "42[\"chat\",\"hi\"]");
    CHECK_STR(next(&c[1]), "42[\"chat\",\"hi\"]");
    CHECK_STR(next(&c[2]), "42[\"chat\",\"hi\"]");
    CHECK_INT(pending(&c[0]), 0);
    send_text(&c[0], "421[\"join\",\"room\"]");
    CHECK_STR(next(&c[0]), "431[{\"ok\":true}]");
    send_text(&c[1], "422[\"join\",\"room\"]");
    CHECK_STR(next(&c[1]), "432[{\"ok\":true}]");
    send_text(&c[1], "423[\"join\",5]");
    CHECK_STR(next(&c[1]), "433[{\"ok\":false,\"error\":\"room must be a string\"}]");
    /* to the room, with an ack and binary */
    send_text(&c[0], "451-9[\"chat\",{\"_placeholder\":true,\"num\":0}]");
    send_binary(&c[0], bin, 1);
    CHECK_STR(next(&c[0]), "439[{\"ok\":true}]");
    CHECK_STR(next(&c[1]), "451-[\"chat\",{\"_placeholder\":true,\"num\":0}]");
    CHECK_STR(next(&c[1]), "B:09");
    CHECK_INT(pending(&c[2]), 0);
    send_text(&c[0], "42[\"leave\",\"room\"]");
    send_text(&c[0], "42[\"chat\",\"all\"]");
    CHECK_STR(next(&c[1]), "42[\"chat\",\"all\"]");
    CHECK_STR(next(&c[2]), "42[\"chat\",\"all\"]");
    teardown(c, 3);
}

/* ---- allocation failures -----------------------------------------------------------------------
 */

static long fail_at = -1, allocs;
static void *f_malloc(size_t n)
{
    return ++allocs == fail_at ? NULL : malloc(n);
}
static void *f_calloc(size_t n, size_t sz)
{
    return ++allocs == fail_at ? NULL : calloc(n, sz);
}
static void *f_realloc(void *p, size_t n)
{
    return ++allocs == fail_at ? NULL : realloc(p, n);
}
static const struct hub_alloc_funcs failing = {f_malloc, f_calloc, f_realloc, free};

static void chaos_reply(hub_socket *s, int status, const json_t *args, const struct sio_buf *bufs,
                        size_t nbufs, void *ud)
{
    (*(int *)ud)++;
}

static void chaos_breply(hub_nsp *nsp, int status, const struct hub_reply *replies, size_t n,
                         size_t expected, void *ud)
{
    (*(int *)ud)++;
}

/* One scenario with every feature; the n-th allocation fails. Nothing may crash or leak, and every
 * callback whose registration succeeded runs exactly once. */
static void chaos_once(long n, int *completed)
{
    struct eio_request req = {.method = EIO_M_GET,
                              .eio = "4",
                              .transport = "websocket",
                              .url = "/socket.io/",
                              .address = "127.0.0.1"};
    struct conn c[2];
    const uint8_t bin[] = {1, 2};
    int registered = 0, ran = 0, i;
    hub_nsp *nsp;
    json_t *a;

    memset(c, 0, sizeof(c));
    hub_config_init(&cfg);
    cfg.ping_interval_ms = 60000;
    cfg.ping_timeout_ms = 60000;
    allocs = 0;
    fail_at = n;
    srv = hub_server_new(&loop, &cfg);
    if (!srv) goto out;
    eio_server_set_transport(hub_server_engine(srv), &ops);
    nsp = hub_server_of(srv, "/");
    if (nsp) hub_app_echo_install(nsp);
    for (i = 0; i < 2; i++) {
        if (eio_ws_open(hub_server_engine(srv), &req, &c[i], &c[i].s) != 0 || !c[i].s) {
            c[i].released = 1;
            continue;
        }
        send_text(&c[i], "40{\"k\":[1,2]}");
        send_text(&c[i], "42[\"message\",1]");
        send_text(&c[i], "4211[\"message-with-ack\",{\"a\":2}]");
        send_text(&c[i], "451-[\"message\",{\"_placeholder\":true,\"num\":0}]");
        send_binary(&c[i], bin, sizeof(bin));
        drain(&c[i]);
    }
    a = json_pack("[s]", "x");
    if (nsp && a) {
        size_t pos = 0;
        hub_socket *s = hub_nsp_sockets_next(nsp, &pos);
        if (s && hub_socket_emit_with_ack(s, "q", a, NULL, 0, 10000, chaos_reply, &ran) == 0)
            registered++;
        if (s) hub_socket_join(s, "room");
        if (hub_nsp_emit_with_ack(nsp, NULL, "q", a, NULL, 0, 10000, chaos_breply, &ran) >= 0)
            registered++;
        hub_nsp_emit(nsp, NULL, "all", a, NULL, 0);
        if (c[0].s && !c[0].released) send_text(&c[0], "430[\"r\"]");
    }
    json_decref(a);
    hub_server_shutdown(srv);
    for (i = 0; i < 2; i++)
        conn_release(&c[i]);
    hub_server_free(srv);
    srv = NULL;
    if (ran != registered)
        fprintf(stderr, "allocation %ld: %d callbacks ran for %d registered\n", n, ran, registered);
    CHECK_INT(ran, registered);
out:
    fail_at = -1;
    uv_run(&loop, UV_RUN_DEFAULT);
    for (i = 0; i < 2; i++)
        conn_release(&c[i]);
    *completed = allocs < n;
    hub_config_free(&cfg);
}

static void test_allocation_failures(void)
{
    int completed = 0;
    long n;

    hub_alloc_set(&failing);
    for (n = 1; n < 5000 && !completed; n++)
        chaos_once(n, &completed);
    hub_alloc_set(NULL);
    CHECK(completed);
    CHECK(n > 200); /* the scenario really went through that many allocations */
    fprintf(stderr, "     %ld allocation failures injected\n", n - 1);
}


/* ---- deferred connections ----------------------------------------------------------------------
 */

static hub_socket *deferred;

static int hook_defer(hub_socket *s, const json_t *auth, void *ud)
{
    const char *how = json_string_value(json_object_get(auth, "how"));

    seen.connects++;
    if (how && strcmp(how, "now") == 0) return 0;
    CHECK_INT(hub_connect_defer(s), 0);
    CHECK_INT(hub_connect_defer(s), HUB_ESTATE); /* once */
    if (how && strcmp(how, "cancel") == 0) {
        hub_connect_resume(s, 1); /* from the hook itself: its return value decides */
        return 0;
    }
    deferred = s;
    return 1; /* ignored: deferred */
}

static void test_deferred_connect(void)
{
    struct conn c[2];
    hub_nsp *nsp;

    setup();
    reset_seen();
    deferred = NULL;
    nsp = plain_nsp("/");
    hub_nsp_use(nsp, hook_defer, NULL);
    CHECK_INT(hub_connect_defer(NULL), HUB_EINVAL);
    conn_open(&c[0]);
    /* accepted later */
    send_text(&c[0], "40{\"how\":\"later\"}");
    CHECK_INT(pending(&c[0]), 0);
    CHECK(deferred != NULL);
    CHECK(!hub_socket_connected(deferred));
    CHECK_INT(hub_nsp_count(nsp), 0);
    CHECK_INT(hub_connect_defer(deferred), HUB_ESTATE); /* not in its hook any more */
    hub_connect_resume(deferred, 0);
    CHECK(strncmp(next(&c[0]), "40{\"sid\":", 8) == 0);
    CHECK_INT(seen.connections, 1);
    CHECK_INT(hub_nsp_count(nsp), 1);
    conn_release(&c[0]);
    run_for(5);
    /* refused later, with a message */
    conn_open(&c[0]);
    deferred = NULL;
    send_text(&c[0], "40{\"how\":\"later\"}");
    CHECK(deferred != NULL);
    CHECK_INT(hub_connect_reject(deferred, "invalid credentials", NULL), 0);
    hub_connect_resume(deferred, 1);
    CHECK_STR(next(&c[0]), "44{\"message\":\"invalid credentials\"}");
    /* cancelled from the hook: refused by its return value (0: accepted) */
    send_text(&c[0], "40{\"how\":\"cancel\"}");
    CHECK(strncmp(next(&c[0]), "40{\"sid\":", 8) == 0);
    CHECK_INT(seen.connections, 2);
    /* the client goes away while its connection waits: resuming only lets go */
    conn_open(&c[1]);
    deferred = NULL;
    send_text(&c[1], "40{\"how\":\"later\"}");
    CHECK(deferred != NULL);
    conn_release(&c[1]);
    run_for(5);
    hub_connect_resume(deferred, 0);
    CHECK_INT(seen.connections, 2);
    teardown(c, 1);
}

/* ---- observers and counters --------------------------------------------------------------------
 */

static char obs_log[2048];

static void obs_add(const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(obs_log);
    snprintf(obs_log + n, sizeof(obs_log) - n, fmt, a, b);
}

static void ob_nsp(void *ud, hub_nsp *nsp)
{
    obs_add("nsp %s%s;", hub_nsp_name(nsp), "");
}

static void ob_conn(void *ud, hub_socket *s)
{
    obs_add("conn %s%s;", hub_nsp_name(hub_socket_nsp(s)), "");
    CHECK(hub_socket_connected(s));
}

static void ob_disc(void *ud, hub_socket *s, const char *reason)
{
    obs_add("disc %s;", reason, "");
}

static void ob_join(void *ud, hub_socket *s, const char *room)
{
    obs_add("join %s%s;", room, "");
}

static void ob_left(void *ud, hub_socket *s, const char *room)
{
    obs_add("left %s%s;", strcmp(room, hub_socket_id(s)) == 0 ? "<own>" : room, "");
}

static void ob_recv(void *ud, hub_socket *s, const json_t *data)
{
    obs_add("recv %s%s;", json_string_value(json_array_get(data, 0)), "");
}

static void ob_sent(void *ud, hub_socket *s, const json_t *data)
{
    obs_add("sent %s%s;", json_string_value(json_array_get(data, 0)), "");
}

static const struct hub_observer test_observer = {
    .nsp_created = ob_nsp,
    .connected = ob_conn,
    .disconnected = ob_disc,
    .room_joined = ob_join,
    .room_left = ob_left,
    .event_received = ob_recv,
    .event_sent = ob_sent,
};

static void test_observer_and_stats(void)
{
    struct conn c[3];
    struct hub_server_stats st;
    char sid[32];
    hub_nsp *nsp;
    size_t pos = 0;
    int i;

    setup();
    reset_seen();
    obs_log[0] = '\0';
    CHECK_INT(hub_server_observe(srv, NULL, NULL), HUB_EINVAL);
    CHECK_INT(hub_server_observe(srv, &test_observer, NULL), 0);
    nsp = plain_nsp("/");
    CHECK_STR(obs_log, "nsp /;");
    CHECK(hub_server_nsps_next(srv, &pos) == nsp);
    CHECK(hub_server_nsps_next(srv, &pos) == NULL);
    obs_log[0] = '\0';
    for (i = 0; i < 3; i++) {
        conn_open(&c[i]);
        sio_connect(&c[i], "/", NULL, i == 0 ? sid : NULL);
    }
    CHECK_STR(obs_log, "conn /;conn /;conn /;");
    obs_log[0] = '\0';
    CHECK_INT(hub_socket_join(hub_nsp_socket(nsp, sid), "lobby"), 0);
    CHECK_INT(hub_socket_join(hub_nsp_socket(nsp, sid), "lobby"), 0); /* already in: no report */
    send_text(&c[0], "42[\"hello\",1]");
    CHECK_INT(hub_nsp_emit(nsp, NULL, "all", NULL, NULL, 0), 3);
    {
        const char *lobby = "lobby";
        struct hub_target t = {.rooms = &lobby, .nrooms = 1};
        CHECK_INT(hub_nsp_emit(nsp, &t, "few", NULL, NULL, 0), 1);
        t.rooms = (const char *const *)&(const char *){"nobody"};
        CHECK_INT(hub_nsp_emit(nsp, &t, "none", NULL, NULL, 0), 0);
    }
    CHECK_INT(hub_nsp_rooms_count(nsp), 4);
    CHECK_STR(obs_log, "join lobby;recv hello;sent all;sent all;sent all;sent few;");
    CHECK_INT(hub_server_stats(srv, &st), 0);
    CHECK_INT(st.clients, 3);
    CHECK_INT(st.namespaces, 1);
    CHECK_INT(st.connects, 3);
    CHECK_INT(st.events_in, 1);
    CHECK_INT(st.events_out, 4);
    CHECK_INT(st.broadcasts, 3);
    CHECK_INT(st.broadcast_recipients, 4);
    CHECK_INT(st.fanout[0], 2); /* 0 and 1 recipients */
    CHECK_INT(st.fanout[1], 1); /* 3 recipients: the "<= 10" bucket */
    CHECK_INT(st.engine.open, 3);
    CHECK_INT(st.engine.opened, 3);
    CHECK_INT(st.engine.websocket, 3);
    CHECK(st.engine.packets_in >= 4 && st.engine.bytes_in > 0);
    CHECK(st.engine.packets_out >= 3 + 3 + 4 && st.engine.bytes_out > 0);
    /* acknowledgements: one answered, one timed out */
    CHECK_INT(hub_socket_emit_with_ack(hub_nsp_socket(nsp, sid), "q1", NULL, NULL, 0, 50, on_reply,
                                       NULL),
              0);
    CHECK_INT(hub_socket_emit_with_ack(hub_nsp_socket(nsp, sid), "q2", NULL, NULL, 0, 50, on_reply,
                                       NULL),
              0);
    hub_server_stats(srv, &st);
    CHECK_INT(st.acks_pending, 2);
    while (pending(&c[0])) next(&c[0]);
    send_text(&c[0], "430[]"); /* the first emit with an ack got id 0 */
    run_until(&seen.replies, 2, 1000);
    hub_server_stats(srv, &st);
    CHECK_INT(st.acks_pending, 0);
    CHECK_INT(st.acks_received, 1);
    CHECK_INT(st.acks_timed_out, 1);
    /* a disconnect: reported, then every room it left */
    obs_log[0] = '\0';
    send_text(&c[0], "41");
    CHECK_STR(obs_log, "disc client namespace disconnect;left <own>;left lobby;");
    hub_server_stats(srv, &st);
    CHECK_INT(st.disconnects, 1);
    teardown(c, 3);
}

/* A v3 client's sockets have the reference's ids: the Engine.IO id on "/", "<nsp>#<engine id>"
 * elsewhere (longer than HUB_SOCKET_ID_LEN), which rooms, targeted emits, broadcast acks and
 * disconnects use like any other; a namespace too long for such an id gets a random one. */
static void test_v3_ids(void)
{
    struct conn c[2];
    char eid[HUB_SOCKET_ID_LEN + 1], id[HUB_SOCKET_ID_MAX + 1], pkt[512], longname[HUB_SOCKET_ID_MAX];
    const char *room[1] = {id};
    struct hub_target t = {.rooms = room, .nrooms = 1};
    hub_nsp *root, *x, *big;
    json_t *a;

    memset(longname, 'n', sizeof(longname) - 1);
    longname[0] = '/';
    longname[sizeof(longname) - 1] = '\0';
    setup_eio3 = 1;
    setup();
    setup_eio3 = 0;
    reset_seen();
    root = plain_nsp("/");
    x = plain_nsp("/x");
    big = plain_nsp(longname);
    conn_open_v3(&c[0], eid);
    CHECK_INT(seen.connections, 1);
    CHECK_STR(seen.last_id, eid);
    CHECK(hub_nsp_socket(root, eid) == seen.last);

    send_text(&c[0], "40/x");
    CHECK_STR(next(&c[0]), "40/x,");
    snprintf(id, sizeof(id), "/x#%s", eid);
    CHECK_STR(seen.last_id, id);
    CHECK(hub_nsp_socket(x, id) == seen.last);
    CHECK(hub_socket_in_room(seen.last, id));
    CHECK_INT(hub_nsp_room_size(x, id), 1);

    /* a v4 client next to it keeps a random id */
    conn_open(&c[1]);
    sio_connect(&c[1], "/x", NULL, NULL);
    CHECK_INT((int)strlen(seen.last_id), HUB_SOCKET_ID_LEN);

    /* to(id), with an acknowledgement: the reply carries the long id */
    a = json_pack("[s]", "hi");
    CHECK_INT(hub_nsp_emit(x, &t, "direct", a, NULL, 0), 1);
    CHECK_STR(next(&c[0]), "42/x,[\"direct\",\"hi\"]");
    CHECK_INT(pending(&c[1]), 0);
    CHECK_INT(hub_nsp_emit_with_ack(x, &t, "q", a, NULL, 0, 5000, on_breply, NULL), 1);
    json_decref(a);
    snprintf(pkt, sizeof(pkt), "%s", next(&c[0]));
    CHECK(strncmp(pkt, "42/x,", 5) == 0);
    {
        long ack = strtol(pkt + 5, NULL, 10);
        snprintf(pkt, sizeof(pkt), "43/x,%ld[\"yes\"]", ack);
    }
    send_text(&c[0], pkt);
    run_until(&seen.breplies, 1, 1000);
    CHECK_INT(seen.breplies, 1);
    CHECK_STR(seen.reply_id, id);
    CHECK_STR(seen.args, "[\"yes\"]");

    /* a namespace whose "<nsp>#<engine id>" would pass HUB_SOCKET_ID_MAX: a random id */
    snprintf(pkt, sizeof(pkt), "40%s", longname);
    send_text(&c[0], pkt);
    CHECK(strncmp(next(&c[0]), pkt, strlen(pkt)) == 0);
    CHECK_INT((int)strlen(seen.last_id), HUB_SOCKET_ID_LEN);
    CHECK_INT(hub_nsp_count(big), 1);

    /* disconnecting by id */
    CHECK_INT(hub_nsp_disconnect_sockets(x, &t, 0), 1);
    CHECK_STR(next(&c[0]), "41/x,");
    CHECK(hub_nsp_socket(x, id) == NULL);
    CHECK_INT(hub_nsp_count(x), 1);
    teardown(c, 2);
}

int main(void)
{
    uv_loop_init(&loop);
    RUN(test_connect);
    RUN(test_connect_hook);
    RUN(test_v3_ids);
    RUN(test_events_and_acks);
    RUN(test_binary);
    RUN(test_protocol_errors);
    RUN(test_disconnects);
    RUN(test_connect_timeout);
    RUN(test_rooms_and_broadcast);
    RUN(test_volatile_and_slow_consumer);
    RUN(test_room_limit);
    RUN(test_relay);
    RUN(test_allocation_failures);
    RUN(test_deferred_connect);
    RUN(test_observer_and_stats);
    CHECK_INT(uv_loop_close(&loop), 0);
    return TEST_SUMMARY();
}
