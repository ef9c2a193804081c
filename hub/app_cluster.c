/* app_cluster.c - the cluster app (apps.h): rooms on request and the cluster operations of
 * hubbub.h driven by clients, so that a cluster can be exercised (and compared with the Node.js
 * reference, tests/reference/server.js) from socket.io-client alone. It trusts its clients: run it
 * for tests and demonstrations, not for the public. */
#include "apps.h"

#include <string.h>

#include "hub_alloc.h"

#define SMALL 16

/* A target read from {"rooms": [...], "except": [...], "volatile", "local", "exceptSelf"}; the
 * arrays point into spec (borrowed) and into storage the caller frees with target_free. */
struct spec {
    struct hub_target t;
    const char **rooms, **except;
    uint64_t timeout;
};

static const char **names(const json_t *arr, size_t *n, int *bad)
{
    const char **v;
    size_t i;

    *n = json_array_size(arr);
    if (arr && !json_is_array(arr)) *bad = 1;
    if (!*n) return NULL;
    v = hub_calloc(*n, sizeof(*v));
    if (!v) {
        *bad = 1;
        return NULL;
    }
    for (i = 0; i < *n; i++)
        if (!(v[i] = json_string_value(json_array_get(arr, i)))) *bad = 1;
    return v;
}

static int spec_read(const json_t *o, hub_socket *s, struct spec *sp)
{
    const json_t *to = json_object_get(o, "timeout");
    int bad = 0;

    memset(sp, 0, sizeof(*sp));
    if (o && !json_is_object(o)) return -1;
    sp->rooms = names(json_object_get(o, "rooms"), &sp->t.nrooms, &bad);
    sp->except = names(json_object_get(o, "except"), &sp->t.nexcept, &bad);
    sp->t.rooms = sp->rooms;
    sp->t.except = sp->except;
    sp->t.is_volatile = json_is_true(json_object_get(o, "volatile"));
    sp->t.is_local = json_is_true(json_object_get(o, "local"));
    if (json_is_true(json_object_get(o, "exceptSelf"))) sp->t.exclude = s;
    sp->timeout =
        json_is_integer(to) && json_integer_value(to) > 0 ? (uint64_t)json_integer_value(to) : 2000;
    return bad ? -1 : 0;
}

static void spec_free(struct spec *sp)
{
    hub_free(sp->rooms);
    hub_free(sp->except);
}

/* Answers ev's ack with one object (stolen). */
static void reply(hub_ack *ack, json_t *o)
{
    json_t *args = o ? json_pack("[o]", o) : NULL;

    if (ack && args) hub_ack_send(ack, args, NULL, 0);
    json_decref(args);
}

static json_t *status_word(int status)
{
    return json_string(status == 0              ? "ok"
                       : status == HUB_ETIMEOUT ? "timeout"
                                                : hub_strerror(status));
}

/* args[from..] as a new array. */
static json_t *tail(const json_t *args, size_t from)
{
    json_t *a = json_array();
    size_t i;

    for (i = from; a && i < json_array_size(args); i++)
        if (json_array_append(a, json_array_get(args, i))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static void on_room(hub_socket *s, const struct hub_event *ev, int join)
{
    const char *room = json_string_value(json_array_get(ev->args, 0));
    int rc = !room || !room[0] ? HUB_EINVAL : join ? hub_socket_join(s, room) : 0;

    if (room && room[0] && !join) hub_socket_leave(s, room);
    reply(ev->ack, rc ? json_pack("{s:b,s:s}", "ok", 0, "error", hub_strerror(rc))
                      : json_pack("{s:b}", "ok", 1));
}

static void on_join(hub_socket *s, const struct hub_event *ev, void *ud)
{
    on_room(s, ev, 1);
}

static void on_leave(hub_socket *s, const struct hub_event *ev, void *ud)
{
    on_room(s, ev, 0);
}

/* cluster:emit (spec, event, ...args) */
static void on_emit(hub_socket *s, const struct hub_event *ev, void *ud)
{
    const char *event = json_string_value(json_array_get(ev->args, 1));
    json_t *args = tail(ev->args, 2);
    struct spec sp;
    int rc = HUB_EINVAL;

    if (spec_read(json_array_get(ev->args, 0), s, &sp) == 0 && event && args)
        rc = hub_nsp_emit(hub_socket_nsp(s), &sp.t, event, args, ev->bufs, ev->nbufs);
    spec_free(&sp);
    json_decref(args);
    reply(ev->ack, rc < 0 ? json_pack("{s:b,s:s}", "ok", 0, "error", hub_strerror(rc))
                          : json_pack("{s:b,s:i}", "ok", 1, "local", rc));
}

static void on_emit_replies(hub_nsp *nsp, int status, const struct hub_reply *replies,
                            size_t nreplies, size_t expected, void *ud)
{
    hub_ack *ack = ud;
    json_t *responses = json_array();
    size_t i;

    for (i = 0; responses && i < nreplies; i++) {
        json_t *first = json_array_get(replies[i].args, 0);
        json_array_append_new(responses, first ? json_incref(first) : json_null());
    }
    reply(ack, json_pack("{s:o,s:o*,s:I}", "status", status_word(status), "responses", responses,
                         "expected", (json_int_t)expected));
    hub_ack_free(ack);
}

/* cluster:emit-with-ack (spec, event, ...args): the answers of every recipient on every node */
static void on_emit_with_ack(hub_socket *s, const struct hub_event *ev, void *ud)
{
    const char *event = json_string_value(json_array_get(ev->args, 1));
    json_t *args = tail(ev->args, 2);
    hub_ack *ack = hub_ack_take(ev->ack);
    struct spec sp;
    int rc = HUB_EINVAL;

    if (spec_read(json_array_get(ev->args, 0), s, &sp) == 0 && event && args)
        rc = hub_nsp_emit_with_ack(hub_socket_nsp(s), &sp.t, event, args, ev->bufs, ev->nbufs,
                                   sp.timeout, on_emit_replies, ack);
    spec_free(&sp);
    json_decref(args);
    if (rc < 0) {
        reply(ack, json_pack("{s:o}", "status", status_word(rc)));
        hub_ack_free(ack);
    }
}

static void rooms_op(hub_socket *s, const struct hub_event *ev, int join)
{
    const json_t *list = json_array_get(ev->args, 1);
    const char **rooms;
    size_t n;
    struct spec sp;
    int bad = 0, rc = HUB_EINVAL;

    memset(&sp, 0, sizeof(sp));
    rooms = names(list, &n, &bad);
    if (!bad && spec_read(json_array_get(ev->args, 0), s, &sp) == 0)
        rc = join ? hub_nsp_sockets_join(hub_socket_nsp(s), &sp.t, rooms, n)
                  : hub_nsp_sockets_leave(hub_socket_nsp(s), &sp.t, rooms, n);
    spec_free(&sp);
    hub_free(rooms);
    reply(ev->ack, rc < 0 ? json_pack("{s:b,s:s}", "ok", 0, "error", hub_strerror(rc))
                          : json_pack("{s:b,s:i}", "ok", 1, "local", rc));
}

/* cluster:join / cluster:leave (spec, [rooms]) */
static void on_sockets_join(hub_socket *s, const struct hub_event *ev, void *ud)
{
    rooms_op(s, ev, 1);
}

static void on_sockets_leave(hub_socket *s, const struct hub_event *ev, void *ud)
{
    rooms_op(s, ev, 0);
}

/* cluster:disconnect (spec, close): answered first, since the sender may be in the target */
static void on_disconnect_sockets(hub_socket *s, const struct hub_event *ev, void *ud)
{
    hub_nsp *nsp = hub_socket_nsp(s);
    struct spec sp;

    if (spec_read(json_array_get(ev->args, 0), s, &sp) != 0) {
        reply(ev->ack, json_pack("{s:b}", "ok", 0));
    } else {
        reply(ev->ack, json_pack("{s:b}", "ok", 1));
        hub_nsp_disconnect_sockets(nsp, &sp.t, json_is_true(json_array_get(ev->args, 1)));
    }
    spec_free(&sp);
}

/* The answer to a request: {"status", key: result}; for fetch, sockets as {id, rooms}. */
static void on_cluster_result(hub_nsp *nsp, int status, const json_t *result, void *ud,
                              const char *key, int fetch)
{
    hub_ack *ack = ud;
    json_t *out = json_array();
    const json_t *item;
    size_t i;

    json_array_foreach(result, i, item)
    {
        json_t *v = fetch ? json_pack("{s:O*,s:O*}", "id", json_object_get(item, "id"), "rooms",
                                      json_object_get(item, "rooms"))
                          : json_incref((json_t *)item);
        if (out && json_array_append_new(out, v)) {
            json_decref(out);
            out = NULL;
        }
    }
    reply(ack, json_pack("{s:o,s:o*}", "status", status_word(status), key, out));
    hub_ack_free(ack);
}

static void on_fetched(hub_nsp *nsp, int status, const json_t *result, void *ud)
{
    on_cluster_result(nsp, status, result, ud, "sockets", 1);
}

static void on_rooms(hub_nsp *nsp, int status, const json_t *result, void *ud)
{
    on_cluster_result(nsp, status, result, ud, "rooms", 0);
}

static void on_sse_answers(hub_nsp *nsp, int status, const json_t *result, void *ud)
{
    on_cluster_result(nsp, status, result, ud, "responses", 0);
}

/* Runs a request with a taken ack as its ud; answers at once when it cannot start. */
static void request(hub_ack *ack, int rc)
{
    if (rc < 0) {
        reply(ack, json_pack("{s:o}", "status", status_word(rc)));
        hub_ack_free(ack);
    }
}

/* cluster:fetch (spec) */
static void on_fetch(hub_socket *s, const struct hub_event *ev, void *ud)
{
    hub_ack *ack = hub_ack_take(ev->ack);
    struct spec sp;
    int rc = HUB_EINVAL;

    if (spec_read(json_array_get(ev->args, 0), s, &sp) == 0)
        rc = hub_nsp_fetch_sockets(hub_socket_nsp(s), &sp.t, on_fetched, ack);
    spec_free(&sp);
    request(ack, rc);
}

/* cluster:rooms () */
static void on_all_rooms(hub_socket *s, const struct hub_event *ev, void *ud)
{
    hub_ack *ack = hub_ack_take(ev->ack);

    request(ack, hub_nsp_all_rooms(hub_socket_nsp(s), on_rooms, ack));
}

/* cluster:sse (event, ...args) and cluster:sse-ack (event, ...args) */
static void on_sse(hub_socket *s, const struct hub_event *ev, void *ud)
{
    const char *event = json_string_value(json_array_get(ev->args, 0));
    json_t *args = tail(ev->args, 1);
    int rc = event && args ? hub_nsp_server_side_emit(hub_socket_nsp(s), event, args) : HUB_EINVAL;

    json_decref(args);
    reply(ev->ack, json_pack("{s:b}", "ok", rc == 0));
}

static void on_sse_ack(hub_socket *s, const struct hub_event *ev, void *ud)
{
    const char *event = json_string_value(json_array_get(ev->args, 0));
    json_t *args = tail(ev->args, 1);
    hub_ack *ack = hub_ack_take(ev->ack);
    int rc = HUB_EINVAL;

    if (event && args)
        rc = hub_nsp_server_side_emit_with_ack(hub_socket_nsp(s), event, args, on_sse_answers, ack);
    json_decref(args);
    request(ack, rc);
}

/* Another node's server-side event: shown to this node's clients as "server-event" (event,
 * ...args); an ack request is answered with {"kind": "hubbub", "clients": N}. */
static void on_server_event(hub_nsp *nsp, const struct hub_event *ev, void *ud)
{
    struct hub_target t;
    json_t *args = json_array();

    memset(&t, 0, sizeof(t));
    t.is_local = 1;
    if (args && !json_array_append_new(args, json_string(ev->name)) &&
        !json_array_extend(args, (json_t *)ev->args))
        hub_nsp_emit(nsp, &t, "server-event", args, NULL, 0);
    json_decref(args);
    if (ev->ack)
        reply(ev->ack,
              json_pack("{s:s,s:I}", "kind", "hubbub", "clients", (json_int_t)hub_nsp_count(nsp)));
}

int hub_app_cluster_install(hub_nsp *nsp)
{
    static const struct {
        const char *name;
        hub_event_fn fn;
    } events[] = {
        {"join", on_join},
        {"leave", on_leave},
        {"cluster:emit", on_emit},
        {"cluster:emit-with-ack", on_emit_with_ack},
        {"cluster:join", on_sockets_join},
        {"cluster:leave", on_sockets_leave},
        {"cluster:disconnect", on_disconnect_sockets},
        {"cluster:fetch", on_fetch},
        {"cluster:rooms", on_all_rooms},
        {"cluster:sse", on_sse},
        {"cluster:sse-ack", on_sse_ack},
    };
    size_t i;
    int rc;

    for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
        if ((rc = hub_nsp_on(nsp, events[i].name, events[i].fn, NULL))) return rc;
    return hub_nsp_on_server_event(nsp, NULL, on_server_event, NULL);
}
