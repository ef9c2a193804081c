/* cluster.c - the core half of a cluster (adapter.h): what a node publishes for its broadcasts and
 * room operations, how it answers the other nodes' requests, and its own requests (fetch sockets,
 * all rooms, server-side emit with ack) with their expected answers and timeouts.
 *
 * The rules are the classic @socket.io/redis-adapter's (its lib/index.ts), so that Hubbub nodes and
 * Node.js nodes make one cluster:
 *   - a node ignores its own messages: broadcasts and server-side emits by uid, requests by their
 *     pending request id; join/leave/disconnect are applied locally when called and their echo is
 *     skipped by uid (the reference applies them on the echo instead: either way, once);
 *   - fetch sockets and all rooms wait for as many answers as nodes listen (the back end's count,
 *     PUBSUB NUMSUB for Redis), this node counting as one; server-side emit with ack for one fewer;
 *   - answers are published on the generic response channel (publishOnSpecificResponseChannel
 *     false), which every requester listens to.
 * A request completes from the loop, never inside the call that made it: immediate completions go
 * through the server's deadline heap with a delay of 0. */
#include "sio_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hub_alloc.h"
#include "log.h"
#include "random.h"

#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))
#define UID_LEN 16
#define SMALL 8

/* ---- publishing --------------------------------------------------------------------------------
 */

enum which { PUB_BROADCAST, PUB_REQUEST, PUB_RESPONSE };

static int publish(hub_nsp *nsp, enum which w, const struct adapter_msg *m)
{
    struct hub_cluster *cl = nsp->srv->cluster;
    int (*fn)(void *, hub_nsp *, const struct adapter_msg *);
    int rc;

    if (!cl) return HUB_ECLOSED;
    fn = w == PUB_BROADCAST ? cl->ops->publish_broadcast
         : w == PUB_REQUEST ? cl->ops->publish_request
                            : cl->ops->publish_response;
    rc = fn ? fn(cl->be, nsp, m) : HUB_EUNSUPPORTED;
    if (rc < 0)
        hub_log(HUB_LOG_DEBUG, "cluster: %s on %s not published: %s",
                w == PUB_BROADCAST ? "broadcast"
                : w == PUB_REQUEST ? "request"
                                   : "response",
                nsp->name, hub_strerror(rc));
    return rc;
}

int hub_cluster_publish_response(hub_nsp *nsp, const struct adapter_msg *m)
{
    return publish(nsp, PUB_RESPONSE, m);
}

/* The except list of a target as the wire has it: the excluded socket is one more room (its own).
 * Writes a view (borrowed strings) into *sv, in small or in a new array it returns (hub_free). */
static int except_view(const struct hub_target *t, struct adapter_strv *sv, char **small,
                       char ***heap)
{
    size_t n = t ? t->nexcept : 0, i;
    char **v = small;

    *heap = NULL;
    sv->v = NULL;
    sv->n = 0;
    if (!t) return 0;
    if (n + 1 > SMALL && !(v = *heap = hub_calloc(n + 1, sizeof(*v)))) return HUB_ENOMEM;
    for (i = 0; i < n; i++)
        v[i] = (char *)t->except[i];
    if (t->exclude) v[n++] = (char *)t->exclude->id;
    sv->v = v;
    sv->n = n;
    return 0;
}

/* A message view over a target: borrowed members, never cleared. */
static int target_view(struct hub_cluster *cl, hub_nsp *nsp, const struct hub_target *t,
                       struct adapter_msg *m, char **small, char ***heap)
{
    adapter_msg_init(m);
    m->uid = cl->uid;
    m->nsp = nsp->name;
    m->has_opts = 1;
    if (t) {
        m->rooms.v = (char **)t->rooms;
        m->rooms.n = t->nrooms;
        m->flags.is_volatile = t->is_volatile;
    }
    return except_view(t, &m->except, small, heap);
}

void hub_cluster_publish_broadcast(hub_nsp *nsp, const struct hub_target *t, const json_t *data,
                                   const struct sio_buf *bufs, size_t nbufs)
{
    struct hub_cluster *cl = nsp->srv->cluster;
    struct adapter_msg m;
    char *small[SMALL], **heap;

    if (!cl || (t && t->is_local)) return;
    if (target_view(cl, nsp, t, &m, small, &heap)) {
        hub_log(HUB_LOG_ERROR, "cluster: out of memory publishing a broadcast");
        return;
    }
    m.data = (json_t *)data;
    m.bufs = (struct sio_buf *)bufs;
    m.nbufs = nbufs;
    publish(nsp, PUB_BROADCAST, &m);
    hub_free(heap);
}

/* ---- requests this node makes ------------------------------------------------------------------
 */

static void creq_free(struct hub_creq *r)
{
    json_decref(r->acc);
    adapter_msg_clear(&r->req);
    hub_free(r);
}

static void creq_unregister(struct hub_creq *r)
{
    struct hub_cluster *cl = r->srv->cluster;

    if (cl && hub_map_get(&cl->reqs, r->id, strlen(r->id)) == r)
        hub_map_del(&cl->reqs, r->id, strlen(r->id));
}

/* The result handed to the callback: the ordered set of rooms becomes an array. */
static json_t *creq_result(struct hub_creq *r)
{
    json_t *arr;
    const char *key;
    json_t *v;

    if (r->kind != HUB_CREQ_ROOMS) return json_incref(r->acc);
    arr = json_array();
    json_object_foreach(r->acc, key, v)
    {
        if (arr && json_array_append_new(arr, json_string(key))) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

static void creq_finish(struct hub_creq *r, int status)
{
    json_t *result;

    creq_unregister(r);
    hub_sio_deadline_cancel(r->srv, &r->dl);
    result = creq_result(r);
    if (!result) {
        hub_log(HUB_LOG_ERROR, "cluster: out of memory completing a request");
        result = json_array();
    }
    r->cb(r->nsp, status, result, r->ud);
    json_decref(result);
    creq_free(r);
}

static void creq_fire(struct hub_deadline *dl)
{
    struct hub_creq *r = CONTAINER_OF(dl, struct hub_creq, dl);

    if (!r->finishing)
        hub_log(HUB_LOG_WARN, "cluster: request %s on %s timed out (%lld of %lld answers)", r->id,
                r->nsp->name, (long long)r->received, (long long)r->expected);
    creq_finish(r, r->finishing ? r->status : HUB_ETIMEOUT);
}

static struct hub_creq *creq_new(hub_nsp *nsp, enum hub_creq_kind kind, hub_cluster_fn cb, void *ud)
{
    struct hub_cluster *cl = nsp->srv->cluster;
    struct hub_creq *r = hub_calloc(1, sizeof(*r));

    if (!r) return NULL;
    r->srv = nsp->srv;
    r->nsp = nsp;
    r->kind = kind;
    r->cb = cb;
    r->ud = ud;
    r->dl.idx = HUB_DEADLINE_IDLE;
    r->dl.fire = creq_fire;
    adapter_msg_init(&r->req);
    if (cl) { /* uid (16) + '.' + at most 20 digits: fits HUB_ADAPTER_ID_MAX */
        char seq[24];
        snprintf(seq, sizeof(seq), "%llu", (unsigned long long)++cl->seq);
        strcpy(r->id, cl->uid);
        strcat(r->id, ".");
        strcat(r->id, seq);
    }
    if (kind != HUB_CREQ_BROADCAST) {
        r->acc = kind == HUB_CREQ_ROOMS ? json_object() : json_array();
        if (!r->acc) {
            hub_free(r);
            return NULL;
        }
    }
    return r;
}

/* Completes r from the loop with status. Returns 0 or HUB_ENOMEM (nothing armed). */
static int creq_later(struct hub_creq *r, int status)
{
    r->finishing = 1;
    r->status = status;
    return hub_sio_deadline_arm(r->srv, &r->dl, 0);
}

/* Sends r to the cluster: registers it, arms its timeout and asks for the server count; the
 * request itself goes out when the count is known. Returns 0 (r now completes on its own) or
 * HUB_ENOMEM (r untouched, not registered). */
static int creq_start(struct hub_creq *r)
{
    struct hub_cluster *cl = r->srv->cluster;
    int rc;

    if ((rc = hub_sio_deadline_arm(r->srv, &r->dl, cl->requests_timeout_ms))) return rc;
    if ((rc = hub_map_put(&cl->reqs, r->id, strlen(r->id), r))) {
        hub_sio_deadline_cancel(r->srv, &r->dl);
        return rc;
    }
    r->counting = 1;
    rc = cl->ops->server_count ? cl->ops->server_count(cl->be, r->nsp, r->id) : HUB_EUNSUPPORTED;
    if (rc < 0) {
        r->counting = 0;
        creq_later(r, HUB_EIO); /* re-arms the armed deadline: cannot fail */
    }
    return 0;
}

void hub_cluster_request_drop(struct hub_creq *r)
{
    creq_unregister(r);
    creq_free(r);
}

/* Copies the target's rooms and except (the excluded socket as one more) into m. */
static int target_copy(const struct hub_target *t, struct adapter_msg *m)
{
    m->has_opts = 1;
    if (!t) return 0;
    if (adapter_strv_set(&m->rooms, t->rooms, t->nrooms) ||
        adapter_strv_set(&m->except, t->except, t->nexcept) ||
        (t->exclude && adapter_strv_push(&m->except, t->exclude->id)))
        return HUB_ENOMEM;
    return 0;
}

/* The local sockets of a target (connected, not excluded): a new array (hub_free) in *out. */
static int local_select(hub_nsp *nsp, const struct hub_target *t, hub_socket ***out, size_t *n)
{
    void **v;
    size_t i, k = 0;
    int rc;

    rc = t ? hub_rooms_select(nsp->rooms, t->rooms, t->nrooms, t->except, t->nexcept, &v, n)
           : hub_rooms_select(nsp->rooms, NULL, 0, NULL, 0, &v, n);
    if (rc) return rc;
    for (i = 0; i < *n; i++) {
        hub_socket *s = v[i];
        if (s->state == HUB_S_CONNECTED && !(t && s == t->exclude)) v[k++] = s;
    }
    *n = k;
    *out = (hub_socket **)v;
    return 0;
}

/* {id, handshake, rooms, data}: the reference's RemoteSocket as its adapter serialises it. */
static json_t *socket_json(hub_socket *s)
{
    json_t *o = json_object(), *rooms = json_array();
    const char *room;
    size_t pos = 0;

    if (!o || !rooms) goto fail;
    while (hub_socket_rooms_next(s, &pos, &room))
        if (json_array_append_new(rooms, json_string(room))) goto fail;
    if (json_object_set_new(o, "id", json_string(s->id)) ||
        json_object_set_new(o, "handshake", hub_sio_socket_handshake_new(s)))
        goto fail;
    /* set_new takes rooms even when it fails */
    if (json_object_set_new(o, "rooms", rooms) || json_object_set_new(o, "data", json_object())) {
        json_decref(o);
        return NULL;
    }
    return o;

fail:
    json_decref(rooms);
    json_decref(o);
    return NULL;
}

static int local_sockets_json(hub_nsp *nsp, const struct hub_target *t, json_t *arr)
{
    hub_socket **v;
    size_t n, i;
    int rc;

    if ((rc = local_select(nsp, t, &v, &n))) return rc;
    for (i = 0; i < n && !rc; i++)
        if (json_array_append_new(arr, socket_json(v[i]))) rc = HUB_ENOMEM;
    hub_free(v);
    return rc;
}

static int local_rooms_json(hub_nsp *nsp, json_t *set)
{
    const char *room;
    size_t pos = 0;

    while (hub_rooms_next(nsp->rooms, &pos, &room))
        if (json_object_set_new(set, room, json_true())) return HUB_ENOMEM;
    return 0;
}

/* Runs r as a cluster request when there is a cluster and it should go, else completes it with
 * what it already holds. Frees r on failure. */
static int creq_go(struct hub_creq *r, int local_only)
{
    int rc;

    if (local_only || !r->srv->cluster)
        rc = creq_later(r, 0);
    else
        rc = creq_start(r);
    if (rc) creq_free(r);
    return rc;
}

int hub_nsp_fetch_sockets(hub_nsp *nsp, const struct hub_target *t, hub_cluster_fn cb, void *ud)
{
    struct hub_creq *r;
    int rc;

    if (!nsp || !cb) return HUB_EINVAL;
    if (nsp->srv->shut) return HUB_ECLOSED;
    if (!(r = creq_new(nsp, HUB_CREQ_FETCH, cb, ud))) return HUB_ENOMEM;
    r->req.type = ADAPTER_REMOTE_FETCH;
    if ((rc = local_sockets_json(nsp, t, r->acc)) || (rc = target_copy(t, &r->req))) {
        creq_free(r);
        return rc;
    }
    return creq_go(r, t && t->is_local);
}

int hub_nsp_all_rooms(hub_nsp *nsp, hub_cluster_fn cb, void *ud)
{
    struct hub_creq *r;
    int rc;

    if (!nsp || !cb) return HUB_EINVAL;
    if (nsp->srv->shut) return HUB_ECLOSED;
    if (!(r = creq_new(nsp, HUB_CREQ_ROOMS, cb, ud))) return HUB_ENOMEM;
    r->req.type = ADAPTER_ALL_ROOMS;
    if ((rc = local_rooms_json(nsp, r->acc))) {
        creq_free(r);
        return rc;
    }
    return creq_go(r, 0);
}

static int is_reserved(const char *event)
{
    static const char *const reserved[] = {"connect",       "connect_error", "disconnect",
                                           "disconnecting", "newListener",   "removeListener"};
    size_t i;

    for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(reserved[i], event) == 0) return 1;
    return 0;
}

/* [event, ...args] as a new array. */
static int sse_data(const char *event, const json_t *args, json_t **out)
{
    json_t *data, *name;

    if (!event || is_reserved(event) || (args && !json_is_array(args))) return HUB_EINVAL;
    name = json_string(event);
    if (!name) return HUB_EINVAL; /* not UTF-8 (or out of memory) */
    data = json_array();
    if (!data || json_array_append_new(data, name)) {
        if (!data) json_decref(name);
        json_decref(data);
        return HUB_ENOMEM;
    }
    if (args && json_array_extend(data, (json_t *)args)) {
        json_decref(data);
        return HUB_ENOMEM;
    }
    *out = data;
    return 0;
}

int hub_nsp_server_side_emit(hub_nsp *nsp, const char *event, const json_t *args)
{
    struct adapter_msg m;
    json_t *data;
    int rc;

    if (!nsp) return HUB_EINVAL;
    if ((rc = sse_data(event, args, &data))) return rc;
    if (nsp->srv->cluster) {
        adapter_msg_init(&m);
        m.type = ADAPTER_SERVER_SIDE_EMIT;
        m.uid = nsp->srv->cluster->uid;
        m.data = data;
        rc = publish(nsp, PUB_REQUEST, &m) < 0 ? HUB_EIO : 0;
    }
    json_decref(data);
    return rc;
}

int hub_nsp_server_side_emit_with_ack(hub_nsp *nsp, const char *event, const json_t *args,
                                      hub_cluster_fn cb, void *ud)
{
    struct hub_creq *r;
    json_t *data;
    int rc;

    if (!nsp || !cb) return HUB_EINVAL;
    if (nsp->srv->shut) return HUB_ECLOSED;
    if ((rc = sse_data(event, args, &data))) return rc;
    if (!(r = creq_new(nsp, HUB_CREQ_SSE, cb, ud))) {
        json_decref(data);
        return HUB_ENOMEM;
    }
    r->req.type = ADAPTER_SERVER_SIDE_EMIT;
    r->req.data = data;
    return creq_go(r, 0);
}

/* The count is known: publish the request, or complete when nobody else listens. */
static void creq_counted(struct hub_creq *r, int n)
{
    struct hub_cluster *cl = r->srv->cluster;

    r->counting = 0;
    if (n < 0) {
        creq_finish(r, HUB_EIO);
        return;
    }
    if (r->kind == HUB_CREQ_SSE) {
        r->expected = n - 1;
        r->received = 0;
    } else {
        r->expected = n;
        r->received = 1;
    }
    if (r->received >= r->expected) {
        creq_finish(r, 0);
        return;
    }
    r->req.uid = hub_strdup(cl->uid);
    r->req.request_id = hub_strdup(r->id);
    if (!r->req.uid || !r->req.request_id || publish(r->nsp, PUB_REQUEST, &r->req) < 0)
        creq_finish(r, HUB_EIO);
}

/* An answer to r. */
static void creq_answer(struct hub_creq *r, struct adapter_msg *m)
{
    size_t i;
    int fail = 0;

    if (r->counting) return; /* not sent yet: not for us */
    r->received++;
    switch (r->kind) {
    case HUB_CREQ_FETCH:
        if (m->sockets) fail = json_array_extend(r->acc, m->sockets);
        break;
    case HUB_CREQ_ROOMS:
        for (i = 0; i < m->names.n && !fail; i++)
            fail = json_object_set_new(r->acc, m->names.v[i], json_true());
        break;
    case HUB_CREQ_SSE:
        fail = json_array_append_new(r->acc, m->data ? json_incref(m->data) : json_null());
        break;
    case HUB_CREQ_BROADCAST:
        break;
    }
    if (fail) hub_log(HUB_LOG_ERROR, "cluster: out of memory collecting answers");
    if (r->received >= r->expected) creq_finish(r, 0);
}

/* ---- a broadcast with acknowledgements across the cluster --------------------------------------
 */

int hub_cluster_broadcast_request(struct hub_ackop *op, const struct hub_target *t,
                                  const json_t *data, const struct sio_buf *bufs, size_t nbufs,
                                  uint64_t timeout_ms)
{
    hub_nsp *nsp = op->nsp;
    struct hub_cluster *cl = nsp->srv->cluster;
    struct adapter_msg m;
    struct hub_creq *r;
    char *small[SMALL], **heap;
    int rc;

    if (!cl) return HUB_ECLOSED;
    if (!(r = creq_new(nsp, HUB_CREQ_BROADCAST, NULL, NULL))) return HUB_ENOMEM;
    r->op = op;
    if ((rc = hub_map_put(&cl->reqs, r->id, strlen(r->id), r))) {
        creq_free(r);
        return rc;
    }
    if ((rc = target_view(cl, nsp, t, &m, small, &heap))) {
        hub_cluster_request_drop(r);
        return rc;
    }
    m.type = ADAPTER_BROADCAST;
    m.request_id = r->id;
    m.data = (json_t *)data;
    m.bufs = (struct sio_buf *)bufs;
    m.nbufs = nbufs;
    m.flags.is_volatile = 0;
    m.flags.timeout_ms = timeout_ms > INT64_MAX ? INT64_MAX : (int64_t)timeout_ms;
    rc = publish(nsp, PUB_REQUEST, &m);
    hub_free(heap);
    if (rc < 0) {
        hub_cluster_request_drop(r); /* the cluster cannot be reached: the broadcast stays local */
        return rc;
    }
    op->creq = r;
    if (!cl->ops->server_count || cl->ops->server_count(cl->be, nsp, r->id) < 0)
        op->servers = 1; /* unknown: wait for nobody else */
    return 0;
}

/* ---- room operations ---------------------------------------------------------------------------
 */

static int rooms_op(hub_nsp *nsp, const struct hub_target *t, const char *const *rooms,
                    size_t nrooms, int join)
{
    struct hub_cluster *cl;
    struct adapter_msg m;
    char *small[SMALL], **heap;
    hub_socket **v;
    size_t n, i, k;
    int rc;

    if (!nsp || (nrooms && !rooms)) return HUB_EINVAL;
    for (k = 0; k < nrooms; k++)
        if (!rooms[k]) return HUB_EINVAL;
    if ((rc = local_select(nsp, t, &v, &n))) return rc;
    for (i = 0; i < n; i++) {
        for (k = 0; k < nrooms; k++) {
            if (join)
                hub_socket_join(v[i], rooms[k]); /* a socket at its room limit stays out */
            else
                hub_socket_leave(v[i], rooms[k]);
        }
    }
    hub_free(v);
    cl = nsp->srv->cluster;
    if (cl && !(t && t->is_local)) {
        if (target_view(cl, nsp, t, &m, small, &heap)) return HUB_ENOMEM;
        m.type = join ? ADAPTER_REMOTE_JOIN : ADAPTER_REMOTE_LEAVE;
        m.names.v = (char **)rooms;
        m.names.n = nrooms;
        publish(nsp, PUB_REQUEST, &m);
        hub_free(heap);
    }
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

int hub_nsp_sockets_join(hub_nsp *nsp, const struct hub_target *t, const char *const *rooms,
                         size_t nrooms)
{
    return rooms_op(nsp, t, rooms, nrooms, 1);
}

int hub_nsp_sockets_leave(hub_nsp *nsp, const struct hub_target *t, const char *const *rooms,
                          size_t nrooms)
{
    return rooms_op(nsp, t, rooms, nrooms, 0);
}

/* Disconnects the local sockets of the target; ids are collected first, since each disconnect
 * runs hooks that may disconnect others. */
static int disconnect_local(hub_nsp *nsp, const struct hub_target *t, int close_transport)
{
    hub_socket **v;
    char *ids, *id;
    size_t n, i, total = 0;
    int rc, count = 0;

    if ((rc = local_select(nsp, t, &v, &n))) return rc;
    if (!n) return 0;
    for (i = 0; i < n; i++)
        total += v[i]->id_len + 1;
    if (!(ids = hub_malloc(total))) {
        hub_free(v);
        return HUB_ENOMEM;
    }
    for (i = 0, id = ids; i < n; id += v[i]->id_len + 1, i++)
        memcpy(id, v[i]->id, v[i]->id_len + 1);
    hub_free(v);
    for (i = 0, id = ids; i < n; id += strlen(id) + 1, i++) {
        hub_socket *s = hub_nsp_socket(nsp, id);
        if (s && hub_socket_disconnect(s, close_transport) == 0) count++;
    }
    hub_free(ids);
    return count;
}

int hub_nsp_disconnect_sockets(hub_nsp *nsp, const struct hub_target *t, int close_transport)
{
    struct hub_cluster *cl;
    struct adapter_msg m;
    char *small[SMALL], **heap;
    int count;

    if (!nsp) return HUB_EINVAL;
    cl = nsp->srv->cluster;
    /* published first: a disconnect hook of a local socket may be what frees the target's rooms */
    if (cl && !(t && t->is_local)) {
        if (target_view(cl, nsp, t, &m, small, &heap)) return HUB_ENOMEM;
        m.type = ADAPTER_REMOTE_DISCONNECT;
        m.close = close_transport != 0;
        publish(nsp, PUB_REQUEST, &m);
        hub_free(heap);
    }
    count = disconnect_local(nsp, t, close_transport);
    return count;
}

/* ---- what arrives ------------------------------------------------------------------------------
 */

static struct hub_creq *creq_find(struct hub_cluster *cl, const char *id)
{
    return id ? hub_map_get(&cl->reqs, id, strlen(id)) : NULL;
}

static int is_own(const struct hub_cluster *cl, const struct adapter_msg *m)
{
    return m->uid && strcmp(m->uid, cl->uid) == 0;
}

/* A target over a message's opts (borrowed), local only. */
static void msg_target(const struct adapter_msg *m, struct hub_target *t)
{
    memset(t, 0, sizeof(*t));
    t->rooms = (const char *const *)m->rooms.v;
    t->nrooms = m->rooms.n;
    t->except = (const char *const *)m->except.v;
    t->nexcept = m->except.n;
    t->is_volatile = m->flags.is_volatile;
    t->is_local = 1;
}

void hub_adapter_on_broadcast(hub_server *srv, hub_nsp *nsp, struct adapter_msg *m)
{
    struct hub_cluster *cl = srv->cluster;
    struct hub_target t;
    int rc;

    if (!cl || !nsp || is_own(cl, m)) return;
    if (!m->nsp || strcmp(m->nsp, nsp->name) != 0) return;
    if ((m->packet_type != SIO_EVENT && m->packet_type != SIO_BINARY_EVENT) ||
        !json_is_array(m->data) || !json_string_value(json_array_get(m->data, 0)))
        return;
    if (sio_placeholders_check(m->data, m->nbufs)) {
        hub_log(HUB_LOG_DEBUG, "cluster: broadcast on %s with bad placeholders dropped", nsp->name);
        return;
    }
    msg_target(m, &t);
    rc = hub_sio_broadcast_local(nsp, &t, m->data, m->bufs, m->nbufs);
    if (rc < 0) hub_log(HUB_LOG_ERROR, "cluster: broadcast on %s: %s", nsp->name, hub_strerror(rc));
}

/* Answers a request with a copy of names (0: the socket ids; 1: the rooms). */
static void answer(hub_nsp *nsp, const struct adapter_msg *req, int type, json_t *sockets,
                   struct adapter_strv *names)
{
    struct adapter_msg m;

    adapter_msg_init(&m);
    m.type = type;
    m.request_id = req->request_id;
    m.sockets = sockets;
    if (names) m.names = *names;
    publish(nsp, PUB_RESPONSE, &m);
}

static void answer_sockets(hub_nsp *nsp, const struct adapter_msg *req)
{
    struct adapter_strv ids = {NULL, 0};
    struct hub_target t;
    hub_socket **v;
    size_t n, i;

    memset(&t, 0, sizeof(t));
    t.rooms = (const char *const *)req->names.v;
    t.nrooms = req->names.n;
    if (local_select(nsp, &t, &v, &n)) return;
    for (i = 0; i < n; i++)
        if (adapter_strv_push(&ids, v[i]->id)) break;
    hub_free(v);
    if (i == n) answer(nsp, req, ADAPTER_SOCKETS, NULL, &ids);
    adapter_strv_clear(&ids);
}

static void answer_rooms(hub_nsp *nsp, const struct adapter_msg *req)
{
    struct adapter_strv rooms = {NULL, 0};
    const char *room;
    size_t pos = 0;
    int fail = 0;

    while (!fail && hub_rooms_next(nsp->rooms, &pos, &room))
        fail = adapter_strv_push(&rooms, room);
    if (!fail) answer(nsp, req, ADAPTER_ALL_ROOMS, NULL, &rooms);
    adapter_strv_clear(&rooms);
}

static void answer_fetch(hub_nsp *nsp, const struct adapter_msg *req)
{
    struct hub_target t;
    json_t *arr = json_array();

    msg_target(req, &t);
    t.is_volatile = 0;
    if (arr && local_sockets_json(nsp, &t, arr) == 0)
        answer(nsp, req, ADAPTER_REMOTE_FETCH, arr, NULL);
    json_decref(arr);
}

/* join/leave/disconnect from another node or the emitter: opts form, or the legacy one-socket
 * form (answered with {requestId}). */
static void remote_rooms(hub_nsp *nsp, const struct adapter_msg *m)
{
    struct hub_target t;
    size_t k;

    if (!m->has_opts) {
        hub_socket *s = m->sid ? hub_nsp_socket(nsp, m->sid) : NULL;
        if (!s) return;
        if (m->type == ADAPTER_REMOTE_DISCONNECT)
            hub_socket_disconnect(s, m->close);
        else if (m->room && m->type == ADAPTER_REMOTE_JOIN)
            hub_socket_join(s, m->room);
        else if (m->room)
            hub_socket_leave(s, m->room);
        if (m->request_id) answer(nsp, m, m->type, NULL, NULL);
        return;
    }
    msg_target(m, &t);
    t.is_volatile = 0;
    if (m->type == ADAPTER_REMOTE_DISCONNECT) {
        disconnect_local(nsp, &t, m->close);
        return;
    }
    for (k = 0; k < m->names.n; k++)
        if (!m->names.v[k]) return;
    rooms_op(nsp, &t, (const char *const *)m->names.v, m->names.n, m->type == ADAPTER_REMOTE_JOIN);
}

/* A server-side event: the handlers of nsp run with the rest of data as arguments. */
static void server_event(hub_nsp *nsp, const struct adapter_msg *m)
{
    const json_t *jname = json_array_get(m->data, 0);
    size_t n = json_array_size(m->data), i;
    struct hub_evhandlers *evh;
    struct hub_hook *h;
    struct hub_ack ack;
    struct hub_event ev;
    json_t *args;

    if (!json_is_string(jname)) return;
    if (!(args = json_array())) return;
    for (i = 1; i < n; i++) {
        if (json_array_append(args, json_array_get(m->data, i))) {
            json_decref(args);
            return;
        }
    }
    memset(&ev, 0, sizeof(ev));
    ev.name = json_string_value(jname);
    ev.args = args;
    if (m->request_id && strlen(m->request_id) <= HUB_ADAPTER_ID_MAX) {
        memset(&ack, 0, sizeof(ack));
        ack.nsp = nsp;
        ack.cluster = 1;
        ack.borrowed = 1;
        strcpy(ack.req_id, m->request_id);
        ev.ack = &ack;
    }
    for (h = nsp->sany.head; h; h = h->next)
        h->fn.server_event(nsp, &ev, h->ud);
    evh = hub_map_get(&nsp->sevents, ev.name, json_string_length(jname));
    for (h = evh ? evh->hooks.head : NULL; h; h = h->next)
        h->fn.server_event(nsp, &ev, h->ud);
    json_decref(args);
}

void hub_adapter_on_request(hub_server *srv, hub_nsp *nsp, struct adapter_msg *m)
{
    struct hub_cluster *cl = srv->cluster;

    if (!cl || !nsp || is_own(cl, m) || creq_find(cl, m->request_id)) return;
    switch (m->type) {
    case ADAPTER_SOCKETS:
        if (m->request_id) answer_sockets(nsp, m);
        break;
    case ADAPTER_ALL_ROOMS:
        if (m->request_id) answer_rooms(nsp, m);
        break;
    case ADAPTER_REMOTE_JOIN:
    case ADAPTER_REMOTE_LEAVE:
    case ADAPTER_REMOTE_DISCONNECT:
        remote_rooms(nsp, m);
        break;
    case ADAPTER_REMOTE_FETCH:
        if (m->request_id) answer_fetch(nsp, m);
        break;
    case ADAPTER_SERVER_SIDE_EMIT:
        server_event(nsp, m);
        break;
    case ADAPTER_BROADCAST:
        hub_sio_relay_broadcast(nsp, m);
        break;
    default:
        hub_log(HUB_LOG_DEBUG, "cluster: request type %d on %s ignored", m->type, nsp->name);
        break;
    }
}

void hub_adapter_on_response(hub_server *srv, hub_nsp *nsp, struct adapter_msg *m)
{
    struct hub_cluster *cl = srv->cluster;
    struct hub_creq *r;

    if (!cl || !(r = creq_find(cl, m->request_id)) || r->nsp != nsp) return;
    if (r->kind == HUB_CREQ_BROADCAST)
        hub_sio_op_response(r->op, m);
    else
        creq_answer(r, m);
}

void hub_adapter_on_count(hub_server *srv, hub_nsp *nsp, const char *request_id, int n)
{
    struct hub_cluster *cl = srv->cluster;
    struct hub_creq *r;

    if (!cl || !(r = creq_find(cl, request_id)) || r->nsp != nsp) return;
    if (r->kind == HUB_CREQ_BROADCAST)
        hub_sio_op_count(r->op, n);
    else if (r->counting)
        creq_counted(r, n);
}

int hub_cluster_ack_send(hub_ack *ack, const json_t *args)
{
    struct adapter_msg m;

    if (!ack->nsp->srv->cluster) return HUB_ECLOSED;
    adapter_msg_init(&m);
    m.type = ADAPTER_SERVER_SIDE_EMIT;
    m.request_id = ack->req_id;
    m.data = json_array_get(args, 0);
    return publish(ack->nsp, PUB_RESPONSE, &m) < 0 ? HUB_EIO : 0;
}

/* ---- membership --------------------------------------------------------------------------------
 */

void hub_cluster_nsp_open(hub_nsp *nsp)
{
    struct hub_cluster *cl = nsp->srv->cluster;
    int rc;

    if (!cl || !cl->ops->nsp_open) return;
    if ((rc = cl->ops->nsp_open(cl->be, nsp)) < 0)
        hub_log(HUB_LOG_ERROR, "cluster: cannot listen to %s: %s", nsp->name, hub_strerror(rc));
}

int hub_adapter_attach(hub_server *srv, const struct hub_adapter_ops *ops, void *be,
                       uint64_t requests_timeout_ms)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    struct hub_cluster *cl;
    unsigned char raw[UID_LEN];
    size_t pos = 0, i;
    void *v;

    if (!srv || !ops) return HUB_EINVAL;
    if (srv->shut) return HUB_ECLOSED;
    if (srv->cluster) return HUB_EEXISTS;
    hub_random_bytes(raw, sizeof(raw));
    cl = hub_calloc(1, sizeof(*cl));
    if (!cl) return HUB_ENOMEM;
    for (i = 0; i < UID_LEN; i++) /* 62 letters: the bias does not matter for an id */
        cl->uid[i] = alphabet[raw[i] % (sizeof(alphabet) - 1)];
    cl->uid[UID_LEN] = '\0';
    cl->ops = ops;
    cl->be = be;
    cl->requests_timeout_ms = requests_timeout_ms ? requests_timeout_ms : 5000;
    hub_map_init(&cl->reqs, srv->k0 ^ 0x2545f4914f6cdd1dULL, srv->k1);
    srv->cluster = cl;
    while (hub_map_next(&srv->nsps, &pos, NULL, NULL, &v))
        hub_cluster_nsp_open(v);
    return 0;
}

const char *hub_adapter_uid(const hub_server *srv)
{
    return srv && srv->cluster ? srv->cluster->uid : NULL;
}

void hub_cluster_shutdown(hub_server *srv)
{
    struct hub_cluster *cl = srv->cluster;
    size_t pos = 0;
    void *v;

    if (!cl) return;
    /* broadcasts with acks were failed before (hub_sio_server_fail_acks) and took their
     * requests with them; what is left are the callers' requests */
    while (hub_map_next(&cl->reqs, &pos, NULL, NULL, &v)) {
        struct hub_creq *r = v;
        if (r->kind == HUB_CREQ_BROADCAST)
            hub_cluster_request_drop(r);
        else
            creq_finish(r, HUB_ECLOSED);
    }
    if (cl->ops->close) cl->ops->close(cl->be);
    hub_map_clear(&cl->reqs);
    srv->cluster = NULL;
    hub_free(cl);
}

int hub_server_cluster_status(hub_server *srv, struct hub_cluster_status *st)
{
    if (!srv || !st) return HUB_EINVAL;
    memset(st, 0, sizeof(*st));
    st->latency_us = -1;
    if (!srv->cluster) {
        st->backend = "none";
        st->uid = "";
        st->connected = 1;
        return 0;
    }
    st->backend = "?";
    st->uid = srv->cluster->uid;
    if (srv->cluster->ops->status) srv->cluster->ops->status(srv->cluster->be, st);
    return 0;
}
