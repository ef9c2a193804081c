/* socketio.c - Socket.IO v5 on top of the Engine.IO engine: the server, one client per Engine.IO
 * session, namespaces, CONNECT/DISCONNECT and event dispatch. Emitting lives in emit.c.
 *
 * The shape follows the reference's client.js (per session: decoder, sockets by namespace, connect
 * timeout), namespace.js (middlewares, then _doConnect) and socket.js (_onpacket, _onclose). Unlike
 * the reference, hooks run synchronously; the reference's process.nextTick hops only reorder user
 * code.
 *
 * A client over Engine.IO v3 (socket.io-client 2.x, Socket.IO protocol v4; allowEIO3) gets the
 * reference's conn.protocol === 3 branches: it is connected to "/" as soon as its session opens, a
 * namespace it names carries its query ("/nsp?a=b", the auth of that socket), a CONNECT is answered
 * without payload, a refusal carries the bare message (or the hook's data), and its socket on "/" has
 * the Engine.IO id. */
#include "sio_internal.h"

#include <stddef.h>
#include <string.h>

#include "hub_alloc.h"
#include "log.h"
#include "random.h"

#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct server_box {
    struct hub_server srv;
    struct hub_config own_cfg; /* used when hub_server_new() got no config */
    int has_own_cfg;
};

/* ---- deadlines: a min-heap on the server's one timer ------------------------------------------
 */

static void heap_set(hub_server *srv, size_t i, struct hub_deadline *dl)
{
    srv->heap[i] = dl;
    dl->idx = i;
}

static void heap_up(hub_server *srv, size_t i)
{
    struct hub_deadline *dl = srv->heap[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (srv->heap[parent]->due <= dl->due) break;
        heap_set(srv, i, srv->heap[parent]);
        i = parent;
    }
    heap_set(srv, i, dl);
}

static void heap_down(hub_server *srv, size_t i)
{
    struct hub_deadline *dl = srv->heap[i];
    size_t n = srv->heap_len;

    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        uint64_t due = dl->due;
        if (l < n && srv->heap[l]->due < due) {
            min = l;
            due = srv->heap[l]->due;
        }
        if (r < n && srv->heap[r]->due < due) min = r;
        if (min == i) break;
        heap_set(srv, i, srv->heap[min]);
        i = min;
    }
    heap_set(srv, i, dl);
}

static void on_timer(uv_timer_t *t);

static void timer_update(hub_server *srv)
{
    uint64_t now, due;

    if (srv->finalizing) return;
    if (!srv->heap_len) {
        uv_timer_stop(&srv->timer);
        return;
    }
    now = uv_now(srv->loop);
    due = srv->heap[0]->due;
    uv_timer_start(&srv->timer, on_timer, due > now ? due - now : 0, 0);
}

static void heap_remove(hub_server *srv, struct hub_deadline *dl)
{
    size_t i = dl->idx;
    struct hub_deadline *last = srv->heap[--srv->heap_len];

    dl->idx = HUB_DEADLINE_IDLE;
    if (last == dl) return;
    heap_set(srv, i, last);
    if (i > 0 && srv->heap[(i - 1) / 2]->due > last->due)
        heap_up(srv, i);
    else
        heap_down(srv, i);
}

void hub_sio_deadline_cancel(hub_server *srv, struct hub_deadline *dl)
{
    int was_root;

    if (dl->idx == HUB_DEADLINE_IDLE) return;
    was_root = dl->idx == 0;
    heap_remove(srv, dl);
    if (was_root) timer_update(srv);
}

int hub_sio_deadline_arm(hub_server *srv, struct hub_deadline *dl, uint64_t delay_ms)
{
    hub_sio_deadline_cancel(srv, dl);
    if (srv->finalizing) return HUB_ESTATE;
    if (srv->heap_len == srv->heap_cap) {
        size_t cap = srv->heap_cap ? srv->heap_cap * 2 : 64;
        struct hub_deadline **h = hub_realloc(srv->heap, cap * sizeof(*h));
        if (!h) return HUB_ENOMEM;
        srv->heap = h;
        srv->heap_cap = cap;
    }
    dl->due = uv_now(srv->loop) + delay_ms;
    heap_set(srv, srv->heap_len++, dl);
    heap_up(srv, dl->idx);
    if (dl->idx == 0) timer_update(srv);
    return 0;
}

static void on_timer(uv_timer_t *t)
{
    hub_server *srv = t->data;
    uint64_t now = uv_now(srv->loop);

    while (srv->heap_len && srv->heap[0]->due <= now) {
        struct hub_deadline *dl = srv->heap[0];
        heap_remove(srv, dl);
        dl->fire(dl);
    }
    timer_update(srv);
}

/* ---- sockets -----------------------------------------------------------------------------------
 */

void hub_sio_socket_hold(hub_socket *s)
{
    s->refs++;
}

void hub_sio_socket_release(hub_socket *s)
{
    if (--s->refs > 0) return;
    json_decref(s->handshake);
    json_decref(s->auth);
    json_decref(s->reject_data);
    hub_free(s->reject_msg);
    hub_free(s);
}

/* A new socket id (random.h: the reference's base64id), unique in the namespace. */
static int socket_id_new(const hub_nsp *nsp, char id[HUB_SOCKET_ID_LEN + 1])
{
    int attempt;

    for (attempt = 0; attempt < 8; attempt++) {
        hub_random_id(id);
        if (!hub_map_get(&nsp->sockets, id, HUB_SOCKET_ID_LEN)) return 0;
    }
    return HUB_EEXISTS;
}

static int client_v3(const struct hub_client *c)
{
    return c->es && eio_session_protocol(c->es) == 3;
}

/* The reference's id for a v3 client's socket (socket.js): the Engine.IO id on "/",
 * "<nsp>#<engine id>" elsewhere (the v2 client computes the same). Writes it into id and returns
 * its length, or 0 when there is none: a v4 client, an id that would pass HUB_SOCKET_ID_MAX, or one
 * already taken in the namespace. */
static size_t socket_id_v3(const hub_nsp *nsp, const struct hub_client *c,
                           char id[HUB_SOCKET_ID_MAX + 1])
{
    const char *eid;
    int n;

    if (!client_v3(c)) return 0;
    eid = eio_session_id(c->es);
    if (strcmp(nsp->name, "/") == 0)
        n = snprintf(id, HUB_SOCKET_ID_MAX + 1, "%s", eid);
    else
        n = snprintf(id, HUB_SOCKET_ID_MAX + 1, "%s#%s", nsp->name, eid);
    if (n <= 0 || n > HUB_SOCKET_ID_MAX || hub_map_get(&nsp->sockets, id, (size_t)n)) return 0;
    return (size_t)n;
}

static hub_socket *socket_new(hub_nsp *nsp, struct hub_client *c, json_t *auth)
{
    char id[HUB_SOCKET_ID_MAX + 1];
    size_t len = socket_id_v3(nsp, c, id);
    hub_socket *s;

    if (!len) {
        if (socket_id_new(nsp, id)) return NULL;
        len = HUB_SOCKET_ID_LEN;
    }
    if (!(s = hub_calloc(1, sizeof(*s) + len + 1))) return NULL;
    memcpy(s->id, id, len + 1);
    s->id_len = len;
    /* The handshake object is built on first use (hub_socket_handshake): an idle socket keeps only
     * its auth object, not kilobytes of JSON nobody reads. */
    s->auth = json_incref(auth);
    s->nsp = nsp;
    s->c = c;
    s->state = HUB_S_PRECONNECT;
    s->refs = 1;
    return s;
}

static void client_hold(struct hub_client *c);
static void client_release(struct hub_client *c);

/* The reference's socket._onclose(): leave everything, tell the user, fail the acks. */
static void socket_close(hub_socket *s, const char *reason)
{
    struct hub_client *c = s->c;
    hub_nsp *nsp = s->nsp;
    struct hub_hook *h;
    json_t *left = NULL;

    if (s->state != HUB_S_CONNECTED) return;
    s->state = HUB_S_CLOSED;
    if (s->prev)
        s->prev->next = s->next;
    else
        c->sockets = s->next;
    if (s->next) s->next->prev = s->prev;
    s->prev = s->next = NULL;
    hub_map_del(&nsp->sockets, s->id, s->id_len);
    /* observers hear of every room left, after the disconnect (the reference's order) */
    if (HUB_OBSERVED(nsp->srv, room_left)) {
        const char *room;
        size_t pos = 0;
        left = json_array();
        while (left && hub_rooms_of_next(nsp->rooms, s->id, &pos, &room))
            json_array_append_new(left, json_string(room));
    }
    hub_rooms_leave_all(nsp->rooms, s->id);
    nsp->srv->n.disconnects++;
    hub_log(HUB_LOG_DEBUG, "socket %s left %s: %s", s->id, nsp->name, reason);
    for (h = nsp->disconnect.head; h; h = h->next)
        h->fn.disconnect(s, reason, h->ud);
    hub_sio_socket_fail_acks(s);
    HUB_OBSERVE(nsp->srv, disconnected, s, reason);
    for (size_t i = 0; i < json_array_size(left); i++)
        HUB_OBSERVE(nsp->srv, room_left, s, json_string_value(json_array_get(left, i)));
    json_decref(left);
    hub_sio_socket_release(s); /* the client list's reference */
}

/* ---- clients -----------------------------------------------------------------------------------
 */

static void server_maybe_finalize(hub_server *srv);

static void client_hold(struct hub_client *c)
{
    c->refs++;
}

static void client_release(struct hub_client *c)
{
    hub_server *srv = c->srv;

    if (--c->refs > 0) return;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    srv->nclients--;
    hub_sio_deadline_cancel(srv, &c->connect_dl);
    sio_decoder_free(c->dec);
    hub_free(c);
    server_maybe_finalize(srv);
}

/* The session is gone (or the server lets go of it): every socket leaves with reason. */
static void client_detach(struct hub_client *c, const char *reason)
{
    if (!c->es) return;
    eio_session_set_user(c->es, NULL);
    c->es = NULL;
    c->closing = 1;
    hub_sio_deadline_cancel(c->srv, &c->connect_dl);
    client_hold(c);
    while (c->sockets)
        socket_close(c->sockets, reason);
    client_release(c);
    client_release(c); /* the session's reference */
}

/* A protocol violation or a server decision: the sockets leave now, the session closes. */
static void client_fail(struct hub_client *c, const char *reason)
{
    if (c->closing) return;
    c->closing = 1;
    client_hold(c);
    while (c->sockets)
        socket_close(c->sockets, reason);
    if (c->es) eio_session_close(c->es);
    client_release(c);
}

static void on_connect_timeout(struct hub_deadline *dl)
{
    struct hub_client *c = CONTAINER_OF(dl, struct hub_client, connect_dl);

    if (!c->sockets && !c->closing && c->es) {
        hub_log(HUB_LOG_DEBUG, "session %s: no namespace joined in time", eio_session_id(c->es));
        c->closing = 1;
        eio_session_close(c->es);
    }
}

static hub_socket *client_socket(const struct hub_client *c, const char *nsp)
{
    hub_socket *s;

    for (s = c->sockets; s; s = s->next)
        if (strcmp(s->nsp->name, nsp) == 0) return s;
    return NULL;
}

/* ---- CONNECT -----------------------------------------------------------------------------------
 */

static void connect_error(struct hub_client *c, const char *nsp, const char *message, json_t *data)
{
    json_t *o;

    if (client_v3(c)) { /* the reference: socket._error(err.data || err.message) */
        o = data ? json_incref(data) : json_string(message);
        if (o) hub_sio_send_packet(c, SIO_CONNECT_ERROR, nsp, o);
        json_decref(o);
        return;
    }
    o = json_object();

    if (o && !json_object_set_new(o, "message", json_string(message)) &&
        (!data || !json_object_set(o, "data", data)))
        hub_sio_send_packet(c, SIO_CONNECT_ERROR, nsp, o);
    json_decref(o);
}

/* Accepts s: the reference's _doConnect + _onconnect. Returns 0 or HUB_ENOMEM (s not accepted). */
static int socket_accept(hub_socket *s)
{
    struct hub_client *c = s->c;
    hub_nsp *nsp = s->nsp;
    json_t *reply;
    int rc;

    rc = hub_map_put(&nsp->sockets, s->id, s->id_len, s);
    if (rc) return rc;
    rc = hub_rooms_join(nsp->rooms, s->id, s, s->id);
    if (rc < 0) {
        hub_map_del(&nsp->sockets, s->id, s->id_len);
        return rc;
    }
    s->state = HUB_S_CONNECTED;
    s->next = c->sockets;
    if (c->sockets) c->sockets->prev = s;
    c->sockets = s;
    hub_sio_socket_hold(s); /* the client list's reference */
    hub_sio_deadline_cancel(c->srv, &c->connect_dl);
    if (client_v3(c)) {
        hub_sio_send_packet(c, SIO_CONNECT, nsp->name, NULL);
        return 0;
    }
    reply = json_pack("{s:s}", "sid", s->id);
    if (reply) hub_sio_send_packet(c, SIO_CONNECT, nsp->name, reply);
    json_decref(reply);
    return 0;
}

/* Runs the connect hooks of s from h on, then accepts or refuses it. A hook that defers stops the
 * run: s keeps its reference and its client stays held until hub_connect_resume(). */
static void connect_run(hub_socket *s, struct hub_hook *h, int refused)
{
    struct hub_client *c = s->c;
    hub_nsp *nsp = s->nsp;
    hub_server *srv = c->srv;
    int rc;

    for (; h && !refused && !c->closing && !srv->shut; h = h->next) {
        s->hooking = 1;
        rc = h->fn.connect(s, s->auth, h->ud);
        s->hooking = 0;
        if (s->deferred) {
            s->resume = h->next;
            return;
        }
        if (rc && !c->closing && !srv->shut) refused = 1;
    }
    if (c->closing || srv->shut) {
        /* the reference: "next called after client was closed - ignoring socket" */
        hub_rooms_leave_all(nsp->rooms, s->id);
    } else if (refused) {
        hub_rooms_leave_all(nsp->rooms, s->id);
        srv->n.connect_errors++;
        connect_error(c, nsp->name, s->reject_msg ? s->reject_msg : "connection rejected",
                      s->reject_data);
    } else if ((rc = socket_accept(s)) != 0) {
        hub_rooms_leave_all(nsp->rooms, s->id);
        srv->n.connect_errors++;
        connect_error(c, nsp->name, hub_strerror(rc), NULL);
    } else {
        hub_log(HUB_LOG_DEBUG, "socket %s joined %s", s->id, nsp->name);
        srv->n.connects++;
        HUB_OBSERVE(srv, connected, s);
        for (h = nsp->connection.head; h && s->state == HUB_S_CONNECTED; h = h->next)
            h->fn.connection(s, h->ud);
    }
    hub_sio_socket_release(s);
    client_release(c);
}

/* The reference's client.connect(name, auth); auth is borrowed. */
static void client_connect(struct hub_client *c, const char *name, json_t *auth)
{
    hub_nsp *nsp = hub_server_nsp(c->srv, name);
    hub_socket *s;

    if (!nsp) {
        json_t *o = json_pack("{s:s}", "message", "Invalid namespace");
        if (o) hub_sio_send_packet(c, SIO_CONNECT_ERROR, name, o);
        json_decref(o);
        return;
    }
    s = auth ? socket_new(nsp, c, auth) : NULL;
    if (!s) {
        connect_error(c, name, hub_strerror(HUB_ENOMEM), NULL);
        return;
    }
    client_hold(c); /* released by connect_run when it is done with s */
    connect_run(s, nsp->use.head, 0);
}

int hub_connect_defer(hub_socket *s)
{
    if (!s) return HUB_EINVAL;
    if (!s->hooking || s->deferred || s->state != HUB_S_PRECONNECT) return HUB_ESTATE;
    s->deferred = 1;
    return 0;
}

void hub_connect_resume(hub_socket *s, int refuse)
{
    if (!s || !s->deferred) return;
    s->deferred = 0;
    if (s->hooking) return; /* from the deferring hook itself: its return value decides */
    connect_run(s, s->resume, refuse);
}

/* ---- events ------------------------------------------------------------------------------------
 */

static void socket_event(hub_socket *s, const struct sio_packet *p)
{
    hub_nsp *nsp = s->nsp;
    const json_t *jname = json_array_get(p->data, 0);
    size_t n = json_array_size(p->data), i;
    struct hub_evhandlers *evh;
    struct hub_hook *h;
    struct hub_ack ack;
    struct hub_event ev;
    json_t *args = json_array();

    if (!args) return;
    for (i = 1; i < n; i++) {
        if (json_array_append(args, json_array_get(p->data, i))) {
            json_decref(args);
            return;
        }
    }
    ev.name = json_string_value(jname);
    ev.args = args;
    ev.bufs = p->bufs;
    ev.nbufs = p->nbufs;
    ev.ack = NULL;
    if (p->id != SIO_NO_ID) {
        memset(&ack, 0, sizeof(ack));
        ack.nsp = nsp;
        memcpy(ack.sid, s->id, s->id_len + 1);
        ack.id = p->id;
        ack.borrowed = 1;
        ev.ack = &ack;
    }
    hub_sio_socket_hold(s);
    nsp->srv->n.events_in++;
    HUB_OBSERVE(nsp->srv, event_received, s, p->data);
    for (h = nsp->any.head; h && s->state == HUB_S_CONNECTED; h = h->next)
        h->fn.event(s, &ev, h->ud);
    evh = hub_map_get(&nsp->events, ev.name, json_string_length(jname));
    for (h = evh ? evh->hooks.head : NULL; h && s->state == HUB_S_CONNECTED; h = h->next)
        h->fn.event(s, &ev, h->ud);
    hub_sio_socket_release(s);
    json_decref(args);
}

static void client_packet(struct hub_client *c, struct sio_packet *p)
{
    json_t *auth = NULL;
    hub_socket *s;

    if (client_v3(c)) { /* "/nsp?a=b": the namespace is the path, the auth the query */
        size_t len = strlen(p->nsp), path = sio_v3_nsp_split(p->nsp, len);
        if (p->type == SIO_CONNECT) auth = sio_v3_query_new(p->nsp, len);
        if (path < len) p->nsp[path] = '\0';
    } else if (p->type == SIO_CONNECT) {
        auth = p->data ? json_incref(p->data) : json_object();
    }
    s = client_socket(c, p->nsp);
    if (!s && p->type == SIO_CONNECT) {
        client_connect(c, p->nsp, auth);
        json_decref(auth);
        return;
    }
    json_decref(auth);
    if (!s || p->type == SIO_CONNECT || p->type == SIO_CONNECT_ERROR) {
        /* the reference's client.ondecoded(): "invalid state", client.close() */
        hub_log(HUB_LOG_DEBUG, "session %s: packet type %d for %s in the wrong state",
                c->es ? eio_session_id(c->es) : "?", (int)p->type, p->nsp);
        client_fail(c, "forced server close");
        return;
    }
    switch (p->type) {
    case SIO_EVENT:
    case SIO_BINARY_EVENT:
        socket_event(s, p);
        break;
    case SIO_ACK:
    case SIO_BINARY_ACK:
        hub_sio_on_ack(s, p);
        break;
    case SIO_DISCONNECT:
        socket_close(s, "client namespace disconnect");
        break;
    default:
        break;
    }
}

/* ---- Engine.IO callbacks -----------------------------------------------------------------------
 */

static void on_open(void *ud, eio_session *es)
{
    hub_server *srv = ud;
    struct hub_client *c;

    if (srv->shut) {
        eio_session_close(es);
        return;
    }
    c = hub_calloc(1, sizeof(*c));
    if (!c) goto fail;
    c->dec = sio_decoder_new(&srv->lim);
    if (!c->dec) {
        hub_free(c);
        goto fail;
    }
    c->srv = srv;
    c->es = es;
    c->refs = 1;
    c->connect_dl.idx = HUB_DEADLINE_IDLE;
    c->connect_dl.fire = on_connect_timeout;
    c->next = srv->clients;
    if (srv->clients) srv->clients->prev = c;
    srv->clients = c;
    srv->nclients++;
    eio_session_set_user(es, c);
    if (srv->cfg->connect_timeout_ms > 0 &&
        hub_sio_deadline_arm(srv, &c->connect_dl, (uint64_t)srv->cfg->connect_timeout_ms)) {
        c->closing = 1;
        goto fail;
    }
    if (eio_session_protocol(es) == 3) { /* the reference's onconnection: client.connect("/") */
        json_t *auth = json_object();
        client_hold(c);
        client_connect(c, "/", auth);
        json_decref(auth);
        client_release(c);
    }
    return;

fail:
    hub_log(HUB_LOG_ERROR, "out of memory opening a session");
    eio_session_close(es);
}

static void on_message(void *ud, eio_session *es, const uint8_t *data, size_t len, int binary)
{
    struct hub_client *c = eio_session_user(es);
    struct sio_packet p;
    int rc;

    (void)ud;
    if (!c || c->closing) return;
    rc = binary ? sio_decoder_feed_binary(c->dec, data, len, &p)
                : sio_decoder_feed_text(c->dec, (const char *)data, len, &p);
    if (rc < 0) {
        hub_log(HUB_LOG_DEBUG, "session %s: bad Socket.IO packet: %s", eio_session_id(es),
                hub_strerror(rc));
        client_fail(c, "parse error");
        return;
    }
    if (rc == 0) return;
    client_hold(c);
    client_packet(c, &p);
    sio_packet_clear(&p);
    client_release(c);
}

static void on_close(void *ud, eio_session *es, const char *reason)
{
    struct hub_client *c = eio_session_user(es);

    (void)ud;
    if (c) client_detach(c, reason);
}

static void on_upgrade(void *ud, eio_session *es)
{
    struct hub_client *c = eio_session_user(es);
    hub_socket *s;

    (void)ud;
    if (!c || c->closing || !HUB_OBSERVED(c->srv, upgraded)) return;
    client_hold(c);
    for (s = c->sockets; s; s = s->next)
        HUB_OBSERVE(c->srv, upgraded, s);
    client_release(c);
}

static const struct eio_callbacks engine_callbacks = {
    .open = on_open,
    .message = on_message,
    .close = on_close,
    .upgrade = on_upgrade,
};

/* ---- server ------------------------------------------------------------------------------------
 */

hub_server *hub_server_new(uv_loop_t *loop, const struct hub_config *cfg)
{
    struct server_box *box;
    hub_server *srv;
    struct eio_options opt;
    uint64_t seed[2];

    if (!loop) return NULL;
    hub_random_bytes(seed, sizeof(seed));
    box = hub_calloc(1, sizeof(*box));
    if (!box) return NULL;
    srv = &box->srv;
    if (!cfg) {
        hub_config_init(&box->own_cfg);
        box->has_own_cfg = 1;
        cfg = &box->own_cfg;
    }
    srv->loop = loop;
    srv->cfg = cfg;
    srv->k0 = seed[0];
    srv->k1 = seed[1];
    srv->lim.max_attachments = cfg->max_attachments;
    srv->lim.max_bytes = cfg->max_payload;
    hub_map_init(&srv->nsps, srv->k0, srv->k1);

    memset(&opt, 0, sizeof(opt));
    opt.ping_interval_ms = cfg->ping_interval_ms;
    opt.ping_timeout_ms = cfg->ping_timeout_ms;
    opt.upgrade_timeout_ms = cfg->upgrade_timeout_ms;
    opt.max_payload = cfg->max_payload;
    opt.max_buffered_bytes = cfg->max_buffered_bytes;
    opt.allow_eio3 = cfg->allow_eio3;
    srv->eio = eio_server_new(loop, &opt, &engine_callbacks, srv);
    if (!srv->eio) goto fail_eio;
    if (uv_timer_init(loop, &srv->timer)) goto fail_timer;
    srv->timer.data = srv;
    return srv;

fail_timer:
    eio_server_free(srv->eio);
fail_eio:
    if (box->has_own_cfg) hub_config_free(&box->own_cfg);
    hub_free(box);
    return NULL;
}

eio_server *hub_server_engine(hub_server *srv)
{
    return srv->eio;
}

uv_loop_t *hub_server_loop(hub_server *srv)
{
    return srv->loop;
}

const struct hub_config *hub_server_config(hub_server *srv)
{
    return srv->cfg;
}

void hub_server_shutdown(hub_server *srv)
{
    struct hub_client *c, *next;

    if (!srv || srv->shut) return;
    srv->shut = 1;
    c = srv->clients;
    if (c) client_hold(c);
    while (c) {
        client_detach(c, "server shutting down");
        next = c->next;
        if (next) client_hold(next);
        client_release(c);
        c = next;
    }
    hub_sio_server_fail_acks(srv);
    hub_cluster_shutdown(srv);
    if (srv->eio) {
        eio_server *eio = srv->eio;
        srv->eio = NULL;
        eio_server_free(eio);
    }
}

static void nsp_free(hub_nsp *nsp);

static void on_timer_closed(uv_handle_t *h)
{
    struct server_box *box = CONTAINER_OF(h, struct server_box, srv.timer);

    if (box->has_own_cfg) hub_config_free(&box->own_cfg);
    hub_free(box);
}

static void server_maybe_finalize(hub_server *srv)
{
    size_t pos = 0;
    void *v;

    if (!srv->freeing || srv->finalizing || srv->nclients) return;
    srv->finalizing = 1;
    while (hub_map_next(&srv->nsps, &pos, NULL, NULL, &v))
        nsp_free(v);
    hub_map_clear(&srv->nsps);
    hub_free(srv->heap);
    srv->heap = NULL;
    srv->heap_len = srv->heap_cap = 0;
    uv_timer_stop(&srv->timer);
    uv_close((uv_handle_t *)&srv->timer, on_timer_closed);
}

void hub_server_free(hub_server *srv)
{
    if (!srv) return;
    hub_server_shutdown(srv);
    srv->freeing = 1;
    server_maybe_finalize(srv);
}

/* ---- namespaces --------------------------------------------------------------------------------
 */

static void hooks_clear(struct hub_hooks *hs)
{
    struct hub_hook *h, *next;

    for (h = hs->head; h; h = next) {
        next = h->next;
        hub_free(h);
    }
    hs->head = hs->tail = NULL;
}

static int hooks_add(struct hub_hooks *hs, void *ud, struct hub_hook **out)
{
    struct hub_hook *h = hub_calloc(1, sizeof(*h));

    if (!h) return HUB_ENOMEM;
    h->ud = ud;
    if (hs->tail)
        hs->tail->next = h;
    else
        hs->head = h;
    hs->tail = h;
    *out = h;
    return 0;
}

static void handlers_clear(struct hub_map *events)
{
    size_t pos = 0;
    void *v;

    while (hub_map_next(events, &pos, NULL, NULL, &v)) {
        struct hub_evhandlers *evh = v;
        hooks_clear(&evh->hooks);
        hub_free(evh->name);
        hub_free(evh);
    }
    hub_map_clear(events);
}

static void nsp_free(hub_nsp *nsp)
{
    handlers_clear(&nsp->events);
    handlers_clear(&nsp->sevents);
    hooks_clear(&nsp->sany);
    hub_map_clear(&nsp->sockets);
    hooks_clear(&nsp->any);
    hooks_clear(&nsp->use);
    hooks_clear(&nsp->connection);
    hooks_clear(&nsp->disconnect);
    hub_rooms_free(nsp->rooms);
    hub_free(nsp->name);
    hub_free(nsp);
}

hub_nsp *hub_server_nsp(hub_server *srv, const char *name)
{
    if (!srv || !name) return NULL;
    return hub_map_get(&srv->nsps, name, strlen(name));
}

hub_nsp *hub_server_of(hub_server *srv, const char *name)
{
    hub_nsp *nsp;
    size_t len, slash;

    if (!srv || !name || srv->shut) return NULL;
    if (name[0] == '/' && (nsp = hub_server_nsp(srv, name))) return nsp;
    nsp = hub_calloc(1, sizeof(*nsp));
    if (!nsp) return NULL;
    slash = name[0] != '/';
    len = strlen(name) + slash;
    nsp->name = hub_malloc(len + 1);
    if (!nsp->name) goto fail_name;
    nsp->name[0] = '/';
    memcpy(nsp->name + slash, name, len + 1 - slash);
    if (slash) {
        hub_nsp *found = hub_server_nsp(srv, nsp->name);
        if (found) {
            hub_free(nsp->name);
            hub_free(nsp);
            return found;
        }
    }
    nsp->len = len;
    nsp->srv = srv;
    nsp->rooms = hub_rooms_new(srv->k0, srv->k1);
    if (!nsp->rooms) goto fail_rooms;
    hub_map_init(&nsp->sockets, srv->k0, srv->k1 ^ 0x5bd1e995ULL);
    hub_map_init(&nsp->events, srv->k0 ^ 0x5bd1e995ULL, srv->k1);
    hub_map_init(&nsp->sevents, srv->k0 ^ 0x7f4a7c15ULL, srv->k1);
    if (hub_map_put(&srv->nsps, nsp->name, nsp->len, nsp)) goto fail_put;
    hub_cluster_nsp_open(nsp);
    HUB_OBSERVE(srv, nsp_created, nsp);
    return nsp;

fail_put:
    hub_rooms_free(nsp->rooms);
fail_rooms:
    hub_free(nsp->name);
fail_name:
    hub_free(nsp);
    return NULL;
}

const char *hub_nsp_name(const hub_nsp *nsp)
{
    return nsp->name;
}

hub_server *hub_nsp_server(const hub_nsp *nsp)
{
    return nsp->srv;
}

size_t hub_nsp_count(const hub_nsp *nsp)
{
    return hub_map_count(&nsp->sockets);
}

hub_socket *hub_nsp_socket(hub_nsp *nsp, const char *id)
{
    if (!nsp || !id) return NULL;
    return hub_map_get(&nsp->sockets, id, strlen(id));
}

hub_socket *hub_nsp_sockets_next(hub_nsp *nsp, size_t *pos)
{
    void *v;

    return hub_map_next(&nsp->sockets, pos, NULL, NULL, &v) ? v : NULL;
}

size_t hub_nsp_room_size(const hub_nsp *nsp, const char *room)
{
    return room ? hub_rooms_size(nsp->rooms, room) : 0;
}

size_t hub_nsp_rooms_count(const hub_nsp *nsp)
{
    return hub_rooms_count(nsp->rooms);
}

hub_nsp *hub_server_nsps_next(hub_server *srv, size_t *pos)
{
    void *v;

    return hub_map_next(&srv->nsps, pos, NULL, NULL, &v) ? v : NULL;
}

/* ---- observers and counters ---------------------------------------------------------------------
 */

int hub_server_observe(hub_server *srv, const struct hub_observer *ob, void *ud)
{
    if (!srv || !ob) return HUB_EINVAL;
    if (srv->nobservers == HUB_OBSERVERS_MAX) return HUB_ELIMIT;
    srv->observers[srv->nobservers++] = (struct hub_observer_slot){.ob = ob, .ud = ud};
    return 0;
}

int hub_sio_observed(const hub_server *srv, size_t hook_offset)
{
    typedef void (*any_fn)(void);
    any_fn fn;

    for (size_t i = 0; i < srv->nobservers; i++) {
        memcpy(&fn, (const char *)srv->observers[i].ob + hook_offset, sizeof(fn));
        if (fn) return 1;
    }
    return 0;
}

void hub_sio_count_broadcast(hub_server *srv, size_t n)
{
    static const size_t bounds[HUB_FANOUT_BUCKETS] = HUB_FANOUT_BOUNDS;
    size_t b = 0;

    while (b + 1 < HUB_FANOUT_BUCKETS && n > bounds[b])
        b++;
    srv->n.broadcasts++;
    srv->n.broadcast_recipients += n;
    srv->n.fanout[b]++;
}

int hub_server_stats(hub_server *srv, struct hub_server_stats *st)
{
    if (!srv || !st) return HUB_EINVAL;
    memset(st, 0, sizeof(*st));
    if (srv->eio) eio_server_stats(srv->eio, &st->engine);
    st->clients = srv->nclients;
    st->namespaces = hub_map_count(&srv->nsps);
    st->connects = srv->n.connects;
    st->connect_errors = srv->n.connect_errors;
    st->disconnects = srv->n.disconnects;
    st->events_in = srv->n.events_in;
    st->events_out = srv->n.events_out;
    st->acks_pending = srv->n.acks_pending;
    st->acks_received = srv->n.acks_received;
    st->acks_timed_out = srv->n.acks_timed_out;
    st->broadcasts = srv->n.broadcasts;
    st->broadcast_recipients = srv->n.broadcast_recipients;
    memcpy(st->fanout, srv->n.fanout, sizeof(st->fanout));
    return 0;
}

int hub_nsp_use(hub_nsp *nsp, hub_connect_fn fn, void *ud)
{
    struct hub_hook *h;
    int rc;

    if (!nsp || !fn) return HUB_EINVAL;
    if ((rc = hooks_add(&nsp->use, ud, &h))) return rc;
    h->fn.connect = fn;
    return 0;
}

int hub_nsp_on_connection(hub_nsp *nsp, hub_connection_fn fn, void *ud)
{
    struct hub_hook *h;
    int rc;

    if (!nsp || !fn) return HUB_EINVAL;
    if ((rc = hooks_add(&nsp->connection, ud, &h))) return rc;
    h->fn.connection = fn;
    return 0;
}

int hub_nsp_on_disconnect(hub_nsp *nsp, hub_disconnect_fn fn, void *ud)
{
    struct hub_hook *h;
    int rc;

    if (!nsp || !fn) return HUB_EINVAL;
    if ((rc = hooks_add(&nsp->disconnect, ud, &h))) return rc;
    h->fn.disconnect = fn;
    return 0;
}

/* Adds a hook to the handlers of event in events (NULL event: to any). */
static int handler_add(struct hub_map *events, struct hub_hooks *any, const char *event, void *ud,
                       struct hub_hook **out)
{
    struct hub_evhandlers *evh;
    size_t len;

    if (!event) return hooks_add(any, ud, out);
    len = strlen(event);
    evh = hub_map_get(events, event, len);
    if (!evh) {
        evh = hub_calloc(1, sizeof(*evh));
        if (!evh) return HUB_ENOMEM;
        evh->name = hub_strndup(event, len);
        evh->len = len;
        if (!evh->name || hub_map_put(events, evh->name, len, evh)) {
            hub_free(evh->name);
            hub_free(evh);
            return HUB_ENOMEM;
        }
    }
    return hooks_add(&evh->hooks, ud, out);
}

int hub_nsp_on(hub_nsp *nsp, const char *event, hub_event_fn fn, void *ud)
{
    struct hub_hook *h;
    int rc;

    if (!nsp || !fn) return HUB_EINVAL;
    if ((rc = handler_add(&nsp->events, &nsp->any, event, ud, &h))) return rc;
    h->fn.event = fn;
    return 0;
}

int hub_nsp_on_server_event(hub_nsp *nsp, const char *event, hub_server_event_fn fn, void *ud)
{
    struct hub_hook *h;
    int rc;

    if (!nsp || !fn) return HUB_EINVAL;
    if ((rc = handler_add(&nsp->sevents, &nsp->sany, event, ud, &h))) return rc;
    h->fn.server_event = fn;
    return 0;
}

int hub_connect_reject(hub_socket *s, const char *message, json_t *data)
{
    char *msg;

    if (!s || !message) {
        json_decref(data);
        return HUB_EINVAL;
    }
    if (s->state != HUB_S_PRECONNECT) {
        json_decref(data);
        return HUB_ESTATE;
    }
    msg = hub_strdup(message);
    if (!msg) {
        json_decref(data);
        return HUB_ENOMEM;
    }
    hub_free(s->reject_msg);
    json_decref(s->reject_data);
    s->reject_msg = msg;
    s->reject_data = data;
    return 0;
}

/* ---- socket accessors, rooms, disconnect --------------------------------------------------------
 */

const char *hub_socket_id(const hub_socket *s)
{
    return s->id;
}

hub_nsp *hub_socket_nsp(const hub_socket *s)
{
    return s->nsp;
}

hub_server *hub_socket_server(const hub_socket *s)
{
    return s->nsp->srv;
}

int hub_socket_connected(const hub_socket *s)
{
    return s->state == HUB_S_CONNECTED;
}

json_t *hub_sio_socket_handshake_new(const hub_socket *s)
{
    json_t *h;

    if (s->handshake) return json_incref(s->handshake);
    h = s->c && s->c->es ? eio_session_handshake_new(s->c->es) : json_object();
    if (h && json_object_set(h, "auth", s->auth)) {
        json_decref(h);
        h = NULL;
    }
    return h;
}

const json_t *hub_socket_handshake(const hub_socket *s)
{
    hub_socket *m = (hub_socket *)s; /* a cache, filled on first use */

    if (!m->handshake) m->handshake = hub_sio_socket_handshake_new(m);
    return m->handshake;
}

const json_t *hub_socket_auth(const hub_socket *s)
{
    return s->auth;
}

json_t *hub_socket_handshake_new(const hub_socket *s)
{
    return hub_sio_socket_handshake_new(s);
}

const char *hub_socket_session_id(const hub_socket *s)
{
    return s->c && s->c->es ? eio_session_id(s->c->es) : NULL;
}

const char *hub_socket_transport(const hub_socket *s)
{
    return s->c && s->c->es ? eio_session_transport(s->c->es) : NULL;
}

void hub_socket_set_user(hub_socket *s, void *user)
{
    s->user = user;
}

void *hub_socket_user(const hub_socket *s)
{
    return s->user;
}

int hub_socket_join(hub_socket *s, const char *room)
{
    hub_rooms *rooms;
    size_t count, max;
    int rc;

    if (!s || !room) return HUB_EINVAL;
    if (s->state == HUB_S_CLOSED) return HUB_ECLOSED;
    rooms = s->nsp->rooms;
    if (hub_rooms_has(rooms, s->id, room)) return 0;
    count = hub_rooms_of_count(rooms, s->id);
    if (count && hub_rooms_has(rooms, s->id, s->id)) count--;
    max = s->nsp->srv->cfg->max_rooms_per_socket;
    if (max && count >= max) return HUB_ELIMIT;
    rc = hub_rooms_join(rooms, s->id, s, room);
    if (rc == 0 && s->state == HUB_S_CONNECTED) HUB_OBSERVE(s->nsp->srv, room_joined, s, room);
    return rc < 0 ? rc : 0;
}

int hub_socket_leave(hub_socket *s, const char *room)
{
    int rc;

    if (!s || !room) return HUB_EINVAL;
    rc = hub_rooms_leave(s->nsp->rooms, s->id, room);
    if (rc == 0 && s->state == HUB_S_CONNECTED) HUB_OBSERVE(s->nsp->srv, room_left, s, room);
    return rc;
}

size_t hub_socket_room_count(const hub_socket *s)
{
    return hub_rooms_of_count(s->nsp->rooms, s->id);
}

int hub_socket_in_room(const hub_socket *s, const char *room)
{
    return room ? hub_rooms_has(s->nsp->rooms, s->id, room) : 0;
}

int hub_socket_rooms_next(const hub_socket *s, size_t *pos, const char **room)
{
    return hub_rooms_of_next(s->nsp->rooms, s->id, pos, room);
}

int hub_socket_disconnect(hub_socket *s, int close_transport)
{
    struct hub_client *c;

    if (!s) return HUB_EINVAL;
    if (s->state == HUB_S_PRECONNECT) return HUB_ESTATE;
    if (s->state == HUB_S_CLOSED) return HUB_ECLOSED;
    c = s->c;
    if (!close_transport) {
        hub_sio_send_packet(c, SIO_DISCONNECT, s->nsp->name, NULL);
        socket_close(s, "server namespace disconnect");
        return 0;
    }
    /* the reference's client._disconnect(): every namespace, then the transport */
    client_hold(c);
    while (c->sockets) {
        hub_socket *t = c->sockets;
        hub_sio_send_packet(c, SIO_DISCONNECT, t->nsp->name, NULL);
        socket_close(t, "server namespace disconnect");
    }
    if (!c->closing) {
        c->closing = 1;
        if (c->es) eio_session_close(c->es);
    }
    client_release(c);
    return 0;
}
