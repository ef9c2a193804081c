/* ack_server.c - an embedding example: a Socket.IO server with an auth hook, acknowledgements both
 * ways, rooms and a broadcast that collects answers. Its Node.js twin is
 * tests/reference/example.js.
 *
 *     hubbub-example [--port N] [--host ADDR]      (defaults: 127.0.0.1, port 3000; 0 picks one)
 *
 * Namespace "/":
 *   connect hook   rejects unless auth.token == "secret": CONNECT_ERROR "unauthorized"
 * {"reason":"bad token"} on connection  emits "welcome" [socket id] "ask" [ms]     emits "question"
 * ["what?"] asking for an ack within ms, then "ask-result"
 *                  {"ok":true,"args":[...the answer...]} or {"ok":false,"error":"timeout"}
 *   "join" room    joins the room, acks {"ok":true}
 *   "to-room" (room, payload)   "room-msg" [payload] to the room, except the sender
 *   "ask-all" [ms] "question" to every socket with acks, then "ask-all-result"
 *                  {"count":N,"responses":[...]} (plus "error":"timeout" when some did not answer)
 *   "kick"         disconnects the socket from the namespace
 * SIGINT / SIGTERM: graceful shutdown, exit status 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "config.h"
#include "run.h"
#include "hubbub.h"


/* ---- hooks and handlers ------------------------------------------------------------------------
 */

static int on_connect(hub_socket *s, const json_t *auth, void *ud)
{
    const char *token = json_string_value(json_object_get(auth, "token"));

    (void)ud;
    if (token && strcmp(token, "secret") == 0) return 0;
    hub_connect_reject(s, "unauthorized", json_pack("{s:s}", "reason", "bad token"));
    return 1;
}

static void on_connection(hub_socket *s, void *ud)
{
    json_t *args = json_pack("[s]", hub_socket_id(s));

    (void)ud;
    hub_socket_emit(s, "welcome", args, NULL, 0);
    json_decref(args);
}

/* A timeout in ms from the first argument; like the reference's Number(ms) || 0, with 0 meaning
 * "at once" (our API reads 0 as "no timeout", so the shortest real one is used). */
static uint64_t arg_ms(const struct hub_event *ev)
{
    const json_t *v = json_array_get(ev->args, 0);
    double ms = json_is_number(v) ? json_number_value(v) : 0;

    return ms >= 1 ? (uint64_t)ms : 1;
}

static void on_question_answered(hub_socket *s, int status, const json_t *args,
                                 const struct sio_buf *bufs, size_t nbufs, void *ud)
{
    json_t *res;

    (void)ud;
    if (status == HUB_ECLOSED) return; /* the socket is gone: nobody to tell */
    if (status == 0)
        res = json_pack("[{s:b,s:O}]", "ok", 1, "args", (json_t *)args);
    else
        res = json_pack("[{s:b,s:s}]", "ok", 0, "error", "timeout");
    /* a binary answer keeps its placeholders: its buffers go out again with the result */
    if (res)
        hub_socket_emit(s, "ask-result", res, status == 0 ? bufs : NULL, status == 0 ? nbufs : 0);
    json_decref(res);
}

static void on_ask(hub_socket *s, const struct hub_event *ev, void *ud)
{
    json_t *q = json_pack("[s]", "what?");

    (void)ud;
    hub_socket_emit_with_ack(s, "question", q, NULL, 0, arg_ms(ev), on_question_answered, NULL);
    json_decref(q);
}

/* String(room), as the reference does. Returns a malloc'ed string. */
static char *room_name(const json_t *v)
{
    if (json_is_string(v)) return strdup(json_string_value(v));
    return v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : strdup("undefined");
}

static void on_join(hub_socket *s, const struct hub_event *ev, void *ud)
{
    char *room = room_name(json_array_get(ev->args, 0));
    json_t *ok;

    (void)ud;
    if (room) hub_socket_join(s, room);
    free(room);
    if (ev->ack && (ok = json_pack("[{s:b}]", "ok", 1))) {
        hub_ack_send(ev->ack, ok, NULL, 0);
        json_decref(ok);
    }
}

static void on_to_room(hub_socket *s, const struct hub_event *ev, void *ud)
{
    char *room = room_name(json_array_get(ev->args, 0));
    const json_t *payload = json_array_get(ev->args, 1);
    json_t *args = json_array();
    struct hub_target t = {0};

    (void)ud;
    if (room && args && !json_array_append(args, payload ? (json_t *)payload : json_null())) {
        const char *rooms[1] = {room};
        t.rooms = rooms;
        t.nrooms = 1;
        t.exclude = s;
        /* the payload's placeholders refer to the event's attachments: pass them along */
        hub_nsp_emit(hub_socket_nsp(s), &t, "room-msg", args, ev->bufs, ev->nbufs);
    }
    json_decref(args);
    free(room);
}

/* Returns a copy of v whose placeholders point shift buffers further on: the answers of several
 * sockets, each numbering its own attachments from 0, are merged into one array of buffers. */
static json_t *shift_placeholders(const json_t *v, size_t shift)
{
    const char *key;
    json_t *child, *out;
    size_t i;

    if (json_is_object(v) && json_is_true(json_object_get(v, "_placeholder")))
        return sio_placeholder_new((size_t)json_integer_value(json_object_get(v, "num")) + shift);
    if (json_is_array(v)) {
        out = json_array();
        json_array_foreach(v, i, child)
            json_array_append_new(out, shift_placeholders(child, shift));
        return out;
    }
    if (json_is_object(v)) {
        out = json_object();
        json_object_foreach((json_t *)v, key, child)
            json_object_set_new(out, key, shift_placeholders(child, shift));
        return out;
    }
    return json_incref((json_t *)v);
}

static void on_all_answered(hub_nsp *nsp, int status, const struct hub_reply *replies, size_t n,
                            size_t expected, void *ud)
{
    char *asker = ud;
    hub_socket *s = hub_nsp_socket(nsp, asker);
    json_t *responses = json_array(), *res = NULL, *args = NULL;
    struct sio_buf *bufs = NULL;
    size_t i, j, nbufs = 0, total = 0;

    if (!s || !responses) goto out;
    for (i = 0; i < n; i++)
        total += replies[i].nbufs;
    if (total && !(bufs = calloc(total, sizeof(*bufs)))) goto out;
    /* the reference's responses: the first argument of each answer */
    for (i = 0; i < n; i++) {
        const json_t *first = json_array_get(replies[i].args, 0);
        json_array_append_new(responses, first ? shift_placeholders(first, nbufs) : json_null());
        for (j = 0; j < replies[i].nbufs; j++)
            bufs[nbufs++] = replies[i].bufs[j];
    }
    res = json_pack("{s:I,s:O}", "count", (json_int_t)expected, "responses", responses);
    if (res && status != 0)
        json_object_set_new(res, "error",
                            json_string(status == HUB_ETIMEOUT ? "timeout" : "closed"));
    args = res ? json_pack("[O]", res) : NULL;
    if (args) hub_socket_emit(s, "ask-all-result", args, bufs, nbufs);
out:
    json_decref(args);
    json_decref(res);
    json_decref(responses);
    free(bufs);
    free(asker);
}

static void on_ask_all(hub_socket *s, const struct hub_event *ev, void *ud)
{
    char *asker = strdup(hub_socket_id(s));
    json_t *q = json_pack("[s]", "what?");

    (void)ud;
    if (asker && q &&
        hub_nsp_emit_with_ack(hub_socket_nsp(s), NULL, "question", q, NULL, 0, arg_ms(ev),
                              on_all_answered, asker) >= 0)
        asker = NULL; /* on_all_answered frees it */
    free(asker);
    json_decref(q);
}

static void on_kick(hub_socket *s, const struct hub_event *ev, void *ud)
{
    (void)ev;
    (void)ud;
    hub_socket_disconnect(s, 0);
}

static int setup(hub_server *srv)
{
    hub_nsp *nsp = hub_server_of(srv, "/");

    if (!nsp) return HUB_ENOMEM;
    if (hub_nsp_use(nsp, on_connect, NULL) || hub_nsp_on_connection(nsp, on_connection, NULL) ||
        hub_nsp_on(nsp, "ask", on_ask, NULL) || hub_nsp_on(nsp, "join", on_join, NULL) ||
        hub_nsp_on(nsp, "to-room", on_to_room, NULL) ||
        hub_nsp_on(nsp, "ask-all", on_ask_all, NULL) || hub_nsp_on(nsp, "kick", on_kick, NULL))
        return HUB_ENOMEM;
    return 0;
}

/* ---- process ----------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    static uv_loop_t loop;
    hub_server *srv;
    struct hub_config cfg;
    char err[512];
    char **args;
    int i, rc, status = 1;

    /* --host 127.0.0.1 first: the command line may override it */
    args = calloc((size_t)argc + 3, sizeof(*args));
    if (!args) return 1;
    args[0] = argv[0];
    args[1] = "--host";
    args[2] = "127.0.0.1";
    for (i = 1; i < argc; i++)
        args[i + 2] = argv[i];
    hub_config_init(&cfg);
    rc = hub_config_parse_args(&cfg, argc + 2, args, err, sizeof(err));
    free(args);
    if (rc != 0) {
        hub_config_free(&cfg);
        if (rc > 0) return 0;
        fprintf(stderr, "hubbub-example: %s\n", err);
        return 2;
    }
    uv_loop_init(&loop);
    srv = hub_server_new(&loop, &cfg);
    if (!srv || setup(srv)) {
        fprintf(stderr, "hubbub-example: out of memory\n");
        hub_server_free(srv);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    } else {
        status = hub_run(srv, &cfg, NULL); /* serves until SIGINT/SIGTERM, then frees srv */
    }
    hub_config_free(&cfg);
    return status;
}
