/* test_engine.c - the Engine.IO engine driven through an in-memory transport: no sockets, no
 * libwebsockets. Connections are small structs; want_write/close are recorded and served by hand. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "engine.h"
#include "engine_transport.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "testlib.h"

struct conn {
    int want, closed;
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

/* What the upper layer saw. */
static int opened, closed_count;
static char last_reason[64];
static char messages[16][256];
static int nmessages;
static eio_session *last_open;

static void cb_open(void *ud, eio_session *s)
{
    opened++;
    last_open = s;
}

static void cb_message(void *ud, eio_session *s, const uint8_t *data, size_t len, int binary)
{
    if (nmessages < 16) {
        snprintf(messages[nmessages], sizeof messages[0], "%s%.*s", binary ? "B:" : "", (int)len,
                 (const char *)data);
        nmessages++;
    }
}

static void cb_close(void *ud, eio_session *s, const char *reason)
{
    closed_count++;
    snprintf(last_reason, sizeof last_reason, "%s", reason);
}

static const struct eio_callbacks cbs = {.open = cb_open, .message = cb_message, .close = cb_close};

static uv_loop_t loop;

static eio_server *server(int interval, int timeout, size_t max_buffered)
{
    struct eio_options o = {.ping_interval_ms = interval, .ping_timeout_ms = timeout,
                            .upgrade_timeout_ms = 1000, .max_payload = 1000,
                            .max_buffered_bytes = max_buffered};
    opened = closed_count = nmessages = 0;
    last_reason[0] = '\0';
    eio_server *srv = eio_server_new(&loop, &o, &cbs, NULL);
    eio_server_set_transport(srv, &ops);
    return srv;
}

static struct eio_request request(enum eio_method m, const char *transport, const char *sid)
{
    struct eio_request r = {.method = m, .eio = "4", .transport = transport, .sid = sid,
                            .url = "/socket.io/", .address = "127.0.0.1"};
    return r;
}

/* Handshakes over polling; copies the sid out. */
static eio_session *handshake(eio_server *srv, char *sid)
{
    struct eio_request req = request(EIO_M_GET, "polling", NULL);
    struct eio_reply rep;
    eio_session *s;
    struct conn c = {0};
    CHECK_INT(eio_poll_request(srv, &req, &c, &s, &rep), EIO_REPLY_NOW);
    CHECK_INT(rep.status, 200);
    json_error_t e;
    json_t *open = json_loads(rep.body + 1, 0, &e);
    CHECK(open != NULL);
    snprintf(sid, 32, "%s", json_string_value(json_object_get(open, "sid")));
    json_decref(open);
    eio_reply_clear(&rep);
    return last_open;
}

static void run_until(int *flag, int want, int ms)
{
    uint64_t end = uv_now(&loop) + (uint64_t)ms;
    while (*flag < want && uv_now(&loop) < end)
        uv_run(&loop, UV_RUN_ONCE);
}

static void flush_loop(void)
{
    for (int i = 0; i < 5; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
}

static void test_handshake_errors(void)
{
    eio_server *srv = server(25000, 20000, 1 << 20);
    struct eio_reply rep;
    eio_session *s;
    struct conn c = {0};
    struct {
        struct eio_request req;
        const char *body;
    } cases[] = {
        {request(EIO_M_GET, "xhr", NULL), "{\"code\":0,\"message\":\"Transport unknown\"}"},
        {request(EIO_M_GET, NULL, NULL), "{\"code\":0,\"message\":\"Transport unknown\"}"},
        {request(EIO_M_POST, "polling", NULL), "{\"code\":2,\"message\":\"Bad handshake method\"}"},
        {request(EIO_M_GET, "websocket", NULL), "{\"code\":3,\"message\":\"Bad request\"}"},
        {request(EIO_M_GET, "polling", "nope"), "{\"code\":1,\"message\":\"Session ID unknown\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_INT(eio_poll_request(srv, &cases[i].req, &c, &s, &rep), EIO_REPLY_NOW);
        CHECK_INT(rep.status, 400);
        CHECK_STR(rep.body, cases[i].body);
        eio_reply_clear(&rep);
    }
    struct eio_request v3 = request(EIO_M_GET, "polling", NULL);
    v3.eio = "3";
    eio_poll_request(srv, &v3, &c, &s, &rep);
    CHECK_STR(rep.body, "{\"code\":5,\"message\":\"Unsupported protocol version\"}");
    eio_reply_clear(&rep);
    CHECK_INT(opened, 0);
    eio_server_free(srv);
    flush_loop();
}

static void test_open_packet(void)
{
    eio_server *srv = server(300, 200, 1 << 20);
    struct eio_request req = request(EIO_M_GET, "polling", NULL);
    struct eio_reply rep;
    eio_session *s;
    struct conn c = {0};
    eio_poll_request(srv, &req, &c, &s, &rep);
    CHECK(rep.body[0] == '0');
    json_t *o = json_loads(rep.body + 1, 0, NULL);
    CHECK_INT(json_object_size(o), 5);
    CHECK_INT(strlen(json_string_value(json_object_get(o, "sid"))), 20);
    CHECK_STR(json_string_value(json_array_get(json_object_get(o, "upgrades"), 0)), "websocket");
    CHECK_INT(json_integer_value(json_object_get(o, "pingInterval")), 300);
    CHECK_INT(json_integer_value(json_object_get(o, "pingTimeout")), 200);
    CHECK_INT(json_integer_value(json_object_get(o, "maxPayload")), 1000);
    json_decref(o);
    eio_reply_clear(&rep);
    CHECK_INT(opened, 1);
    CHECK_INT(eio_server_count(srv), 1);
    eio_server_free(srv);
    CHECK_INT(closed_count, 1);
    CHECK_STR(last_reason, "server shutting down");
    flush_loop();
}

static void test_handshake_object(void)
{
    eio_server *srv = server(25000, 20000, 1 << 20);
    struct eio_request req = request(EIO_M_GET, "polling", NULL);
    req.url = "/socket.io/?EIO=4&transport=polling&room=a%20b";
    req.address = "10.1.2.3";
    req.secure = 1;
    req.headers = json_pack("{s:s,s:s}", "host", "example", "origin", "https://o.example");
    req.query = json_pack("{s:s,s:s,s:s}", "EIO", "4", "transport", "polling", "room", "a b");
    struct eio_reply rep;
    eio_session *s;
    struct conn c = {0};
    eio_poll_request(srv, &req, &c, &s, &rep);
    eio_reply_clear(&rep);
    json_decref(req.headers);
    json_decref(req.query);
    json_t *h = eio_session_handshake_new(last_open);
    CHECK_STR(json_string_value(json_object_get(json_object_get(h, "headers"), "host")), "example");
    CHECK_INT(json_object_size(json_object_get(h, "headers")), 2);
    CHECK_STR(json_string_value(json_object_get(json_object_get(h, "query"), "room")), "a b");
    CHECK_INT(json_object_size(json_object_get(h, "query")), 3);
    CHECK_STR(json_string_value(json_object_get(h, "address")), "10.1.2.3");
    CHECK_STR(json_string_value(json_object_get(h, "url")), "/socket.io/?EIO=4&transport=polling&room=a%20b");
    CHECK(json_is_true(json_object_get(h, "secure")));
    CHECK(json_is_true(json_object_get(h, "xdomain")));
    CHECK(json_integer_value(json_object_get(h, "issued")) > 1700000000000LL);
    CHECK(strstr(json_string_value(json_object_get(h, "time")), "GMT+0000") != NULL);
    json_decref(h);
    eio_server_free(srv);
    flush_loop();
}

static void test_polling_flow(void)
{
    eio_server *srv = server(25000, 20000, 1 << 20);
    char sid[32];
    eio_session *sess = handshake(srv, sid);
    struct eio_reply rep;
    eio_session *s;
    struct conn get = {0}, post = {0};

    /* a GET with nothing queued is held */
    struct eio_request g = request(EIO_M_GET, "polling", sid);
    CHECK_INT(eio_poll_request(srv, &g, &get, &s, &rep), EIO_HELD);
    CHECK(s == sess);
    CHECK_INT(get.want, 0);
    CHECK_INT(eio_poll_reply(s, &get, &rep), HUB_ESTATE);

    /* two packets, text and binary, come back in one body */
    hub_frame *f[2] = {hub_frame_new_text(EIO_MESSAGE, "hello", 5), hub_frame_new_binary("\x01\x02\x03", 3)};
    CHECK_INT(eio_session_send(sess, f, 2), 0);
    hub_frame_unref(f[0]);
    hub_frame_unref(f[1]);
    CHECK_INT(get.want, 1);
    CHECK_INT(eio_poll_reply(s, &get, &rep), 0);
    CHECK_MEM(rep.body, rep.len, "4hello\x1e" "bAQID", 12);
    eio_reply_clear(&rep);
    eio_session_release(s);

    /* a POST with two packets */
    struct eio_request p = request(EIO_M_POST, "polling", sid);
    CHECK_INT(eio_poll_request(srv, &p, &post, &s, &rep), EIO_READ_BODY);
    eio_poll_post(s, "4abc\x1e" "bAQID", 10, &rep);
    CHECK_STR(rep.body, "ok");
    eio_reply_clear(&rep);
    eio_session_release(s);
    CHECK_INT(nmessages, 2);
    CHECK_STR(messages[0], "abc");
    CHECK_STR(messages[1], "B:\x01\x02\x03");

    /* a websocket-transport request for a polling session is a bad request */
    struct eio_request w = request(EIO_M_GET, "websocket", sid);
    CHECK_INT(eio_poll_request(srv, &w, &get, &s, &rep), EIO_REPLY_NOW);
    CHECK_STR(rep.body, "{\"code\":3,\"message\":\"Bad request\"}");
    eio_reply_clear(&rep);
    eio_server_free(srv);
    flush_loop();
}

static void test_overlapping_get(void)
{
    eio_server *srv = server(25000, 20000, 1 << 20);
    char sid[32];
    handshake(srv, sid);
    struct eio_reply rep;
    eio_session *s, *s2;
    struct conn g1 = {0}, g2 = {0};
    struct eio_request g = request(EIO_M_GET, "polling", sid);
    CHECK_INT(eio_poll_request(srv, &g, &g1, &s, &rep), EIO_HELD);
    CHECK_INT(eio_poll_request(srv, &g, &g2, &s2, &rep), EIO_REPLY_NOW);
    CHECK_INT(rep.status, 400);
    eio_reply_clear(&rep);
    CHECK_INT(closed_count, 1);
    CHECK_INT(g1.want, 1);
    CHECK_INT(eio_poll_reply(s, &g1, &rep), 0);
    CHECK_STR(rep.body, "1");
    eio_reply_clear(&rep);
    eio_session_release(s);
    CHECK_INT(eio_poll_request(srv, &g, &g2, &s2, &rep), EIO_REPLY_NOW);
    CHECK_STR(rep.body, "{\"code\":1,\"message\":\"Session ID unknown\"}");
    eio_reply_clear(&rep);
    eio_server_free(srv);
    flush_loop();
}

static void test_post_close_noop(void)
{
    eio_server *srv = server(25000, 20000, 1 << 20);
    char sid[32];
    handshake(srv, sid);
    struct eio_reply rep;
    eio_session *s, *sp;
    struct conn g1 = {0}, p1 = {0};
    struct eio_request g = request(EIO_M_GET, "polling", sid), p = request(EIO_M_POST, "polling", sid);
    CHECK_INT(eio_poll_request(srv, &g, &g1, &s, &rep), EIO_HELD);
    CHECK_INT(eio_poll_request(srv, &p, &p1, &sp, &rep), EIO_READ_BODY);
    eio_poll_post(sp, "1", 1, &rep);
    CHECK_STR(rep.body, "ok");
    eio_reply_clear(&rep);
    eio_session_release(sp);
    CHECK_INT(closed_count, 1);
    CHECK_STR(last_reason, "transport close");
    CHECK_INT(eio_poll_reply(s, &g1, &rep), 0);
    CHECK_STR(rep.body, "6");
    eio_reply_clear(&rep);
    eio_session_release(s);
    eio_server_free(srv);
    flush_loop();
}

static void test_invalid_packet_closes(void)
{
    eio_server *srv = server(25000, 20000, 1 << 20);
    char sid[32];
    handshake(srv, sid);
    struct eio_reply rep;
    eio_session *sp;
    struct conn p1 = {0};
    struct eio_request p = request(EIO_M_POST, "polling", sid);
    CHECK_INT(eio_poll_request(srv, &p, &p1, &sp, &rep), EIO_READ_BODY);
    eio_poll_post(sp, "abc", 3, &rep);
    eio_reply_clear(&rep);
    eio_session_release(sp);
    CHECK_INT(closed_count, 1);
    CHECK_STR(last_reason, "parse error");
    CHECK_INT(eio_server_count(srv), 0);
    eio_server_free(srv);
    flush_loop();
}

static void test_upgrade(void)
{
    eio_server *srv = server(25000, 20000, 1 << 20);
    char sid[32];
    eio_session *sess = handshake(srv, sid);
    struct eio_reply rep;
    eio_session *s, *sw;
    struct conn get = {0}, ws = {0}, ws2 = {0};
    struct eio_request g = request(EIO_M_GET, "polling", sid);
    CHECK_INT(eio_poll_request(srv, &g, &get, &s, &rep), EIO_HELD);
    struct eio_request w = request(EIO_M_GET, "websocket", sid);
    CHECK_INT(eio_ws_open(srv, &w, &ws, &sw), 0);
    CHECK(sw == sess);
    uint8_t buf[4096];
    int more;
    hub_frame *big;
    eio_ws_message(sw, &ws, (const uint8_t *)"2probe", 6, 0);
    CHECK_INT(ws.want, 1);
    size_t n = eio_ws_writable(sw, &ws, buf, sizeof buf, &more, &big);
    CHECK_MEM(buf, n, "\x81\x06" "3probe", 8);
    /* the held GET is answered with a noop at once */
    CHECK_INT(get.want, 1);
    CHECK_INT(eio_poll_reply(s, &get, &rep), 0);
    CHECK_STR(rep.body, "6");
    eio_reply_clear(&rep);
    eio_session_release(s);
    /* a packet sent during the upgrade waits for the WebSocket */
    hub_frame *f = hub_frame_new_text(EIO_MESSAGE, "x", 1);
    CHECK_INT(eio_session_send(sess, &f, 1), 0);
    hub_frame_unref(f);
    eio_ws_message(sw, &ws, (const uint8_t *)"5", 1, 0);
    CHECK_STR(eio_session_transport(sess), "websocket");
    n = eio_ws_writable(sw, &ws, buf, sizeof buf, &more, &big);
    CHECK_MEM(buf, n, "\x81\x02" "4x", 4);
    CHECK_INT(more, 0);
    /* polling with that sid is refused now, and so is a second WebSocket */
    CHECK_INT(eio_poll_request(srv, &g, &get, &s, &rep), EIO_REPLY_NOW);
    CHECK_STR(rep.body, "{\"code\":3,\"message\":\"Bad request\"}");
    eio_reply_clear(&rep);
    eio_session *s3;
    CHECK_INT(eio_ws_open(srv, &w, &ws2, &s3), 3);
    /* messages flow over the WebSocket */
    eio_ws_message(sw, &ws, (const uint8_t *)"4hi", 3, 0);
    CHECK_STR(messages[nmessages - 1], "hi");
    eio_ws_message(sw, &ws, (const uint8_t *)"\xff\x00", 2, 1);
    CHECK_MEM(messages[nmessages - 1], 4, "B:\xff\x00", 4);
    /* a ping from the client is not part of EIO4 */
    eio_ws_message(sw, &ws, (const uint8_t *)"2", 1, 0);
    CHECK_INT(closed_count, 1);
    CHECK_INT(ws.closed, 1);
    eio_ws_closed(sw, &ws);
    eio_server_free(srv);
    flush_loop();
}

static void test_ws_only_and_large_frames(void)
{
    eio_server *srv = server(25000, 20000, 1 << 20);
    struct eio_request w = request(EIO_M_GET, "websocket", NULL);
    struct conn ws = {0};
    eio_session *s;
    CHECK_INT(eio_ws_open(srv, &w, &ws, &s), 0);
    CHECK_INT(ws.want, 1);
    uint8_t buf[64];
    int more;
    hub_frame *big;
    size_t n = eio_ws_writable(s, &ws, buf, sizeof buf, &more, &big);
    CHECK(n == 0 && big != NULL); /* the open packet is larger than this small buffer */
    size_t len;
    const uint8_t *bytes = hub_frame_ws(big, &len);
    CHECK(bytes[0] == 0x81 && bytes[2] == '0');
    CHECK(strstr((const char *)bytes + 2, "\"upgrades\":[]") != NULL);
    hub_frame_unref(big);
    struct eio_request bad = request(EIO_M_GET, "websocket", NULL);
    bad.eio = NULL;
    struct conn ws2 = {0};
    eio_session *s2;
    CHECK_INT(eio_ws_open(srv, &bad, &ws2, &s2), 5);
    eio_ws_closed(s, &ws);
    CHECK_STR(last_reason, "transport close");
    eio_server_free(srv);
    flush_loop();
}

static void test_slow_consumer(void)
{
    eio_server *srv = server(25000, 20000, 100);
    struct eio_request w = request(EIO_M_GET, "websocket", NULL);
    struct conn ws = {0};
    eio_session *s;
    eio_ws_open(srv, &w, &ws, &s);
    char big[200];
    memset(big, 'a', sizeof big);
    hub_frame *f = hub_frame_new_text(EIO_MESSAGE, big, sizeof big);
    CHECK_INT(eio_session_send(s, &f, 1), HUB_EFULL);
    hub_frame_unref(f);
    CHECK_INT(closed_count, 0); /* closed later, from the loop */
    run_until(&closed_count, 1, 1000);
    CHECK_INT(closed_count, 1);
    CHECK_STR(last_reason, "transport error");
    eio_ws_closed(s, &ws);
    eio_server_free(srv);
    flush_loop();
}

static void test_heartbeat(void)
{
    eio_server *srv = server(30, 30, 1 << 20);
    struct eio_request w = request(EIO_M_GET, "websocket", NULL);
    struct conn ws = {0};
    eio_session *s;
    eio_ws_open(srv, &w, &ws, &s);
    uint8_t buf[256];
    int more;
    hub_frame *big;
    eio_ws_writable(s, &ws, buf, sizeof buf, &more, &big);
    /* answer two pings, then stop answering */
    for (int i = 0; i < 2; i++) {
        int want = ws.want;
        run_until(&ws.want, want + 1, 1000);
        size_t n = eio_ws_writable(s, &ws, buf, sizeof buf, &more, &big);
        CHECK_MEM(buf, n, "\x81\x01" "2", 3);
        eio_ws_message(s, &ws, (const uint8_t *)"3", 1, 0);
    }
    CHECK_INT(closed_count, 0);
    run_until(&closed_count, 1, 1000);
    CHECK_STR(last_reason, "ping timeout");
    eio_ws_closed(s, &ws);
    eio_server_free(srv);
    flush_loop();
}

static void test_server_close_polling(void)
{
    eio_server *srv = server(25000, 20000, 1 << 20);
    char sid[32];
    eio_session *sess = handshake(srv, sid);
    hub_frame *f = hub_frame_new_text(EIO_MESSAGE, "41", 2);
    eio_session_send(sess, &f, 1);
    hub_frame_unref(f);
    eio_session_close(sess);
    CHECK_INT(closed_count, 0);
    struct eio_reply rep;
    eio_session *s;
    struct conn get = {0};
    struct eio_request g = request(EIO_M_GET, "polling", sid);
    CHECK_INT(eio_poll_request(srv, &g, &get, &s, &rep), EIO_HELD);
    CHECK_INT(eio_poll_reply(s, &get, &rep), 0);
    CHECK_MEM(rep.body, rep.len, "441\x1e" "1", 5);
    eio_reply_clear(&rep);
    eio_session_release(s);
    CHECK_INT(closed_count, 1);
    CHECK_STR(last_reason, "forced close");
    eio_server_free(srv);
    flush_loop();
}

int main(void)
{
    uv_loop_init(&loop);
    RUN(test_handshake_errors);
    RUN(test_open_packet);
    RUN(test_handshake_object);
    RUN(test_polling_flow);
    RUN(test_overlapping_get);
    RUN(test_post_close_noop);
    RUN(test_invalid_packet_closes);
    RUN(test_upgrade);
    RUN(test_ws_only_and_large_frames);
    RUN(test_slow_consumer);
    RUN(test_heartbeat);
    RUN(test_server_close_polling);
    flush_loop();
    uv_loop_close(&loop);
    return TEST_SUMMARY();
}
