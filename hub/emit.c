/* emit.c - everything the server sends: events to one socket or a broadcast, acknowledgements both
 * ways. A packet is encoded once into frames (text, then one binary frame per attachment) and the
 * same frames go to every recipient by reference, in one eio_session_send() each, so attachments
 * never interleave with other packets.
 *
 * Acknowledgement ids come from the namespace's counter (the reference's nsp._ids), so a broadcast
 * with acks uses one id for every recipient and is still encoded once. Each recipient owes a
 * hub_pending entry, linked in its socket's list (found when the ACK comes back, failed when it
 * disconnects) and in the operation's list (dropped on completion). */
#include "sio_internal.h"

#include <string.h>

#include "hub_alloc.h"
#include "log.h"

#define SMALL_FRAMES 4

struct frameset {
    hub_frame **v;
    size_t n;
    hub_frame *small[SMALL_FRAMES];
};

static void frames_clear(struct frameset *fs)
{
    size_t i;

    for (i = 0; i < fs->n; i++)
        hub_frame_unref(fs->v[i]);
    if (fs->v != fs->small) hub_free(fs->v);
    fs->v = NULL;
    fs->n = 0;
}

/* Encodes one packet (EVENT or ACK, made binary when nbufs > 0) into fs. Returns 0 or HUB_ENOMEM.
 */
static int frames_build(struct frameset *fs, enum sio_type type, const char *nsp, int64_t id,
                        const json_t *data, const struct sio_buf *bufs, size_t nbufs)
{
    size_t len, i;
    char *text;

    fs->n = 0;
    fs->v = nbufs < SMALL_FRAMES ? fs->small : hub_calloc(nbufs + 1, sizeof(*fs->v));
    if (!fs->v) return HUB_ENOMEM;
    if (nbufs)
        type = type == SIO_ACK ? SIO_BINARY_ACK : type == SIO_EVENT ? SIO_BINARY_EVENT : type;
    text = sio_encode(type, nsp, id, data, nbufs, &len);
    if (!text) goto fail;
    fs->v[0] = hub_frame_new_text(EIO_MESSAGE, text, len);
    hub_free(text);
    if (!fs->v[0]) goto fail;
    fs->n = 1;
    for (i = 0; i < nbufs; i++) {
        fs->v[fs->n] = hub_frame_new_binary(bufs[i].data, bufs[i].len);
        if (!fs->v[fs->n]) goto fail;
        fs->n++;
    }
    return 0;

fail:
    frames_clear(fs);
    return HUB_ENOMEM;
}

static int client_send(struct hub_client *c, struct frameset *fs)
{
    if (c->closing || !c->es) return HUB_ECLOSED;
    return eio_session_send(c->es, fs->v, fs->n);
}

static int client_writable(const struct hub_client *c)
{
    return !c->closing && c->es && eio_session_writable(c->es);
}

int hub_sio_send_packet(struct hub_client *c, enum sio_type type, const char *nsp,
                        const json_t *data)
{
    struct frameset fs;
    size_t len;
    char *text;
    int rc;

    if (c->closing || !c->es) return HUB_ECLOSED;
    text = sio_encode(type, nsp, SIO_NO_ID, data, 0, &len);
    if (!text) return HUB_ENOMEM;
    fs.v = fs.small;
    fs.v[0] = hub_frame_new_text(EIO_MESSAGE, text, len);
    hub_free(text);
    if (!fs.v[0]) return HUB_ENOMEM;
    fs.n = 1;
    rc = client_send(c, &fs);
    frames_clear(&fs);
    return rc;
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

static int check_args(const json_t *args, const struct sio_buf *bufs, size_t nbufs)
{
    if (args && !json_is_array(args)) return HUB_EINVAL;
    if (nbufs && (!bufs || sio_placeholders_check(args, nbufs))) return HUB_EINVAL;
    return 0;
}

/* Builds [event, ...args] into *out (a new reference). */
static int event_data(const char *event, const json_t *args, const struct sio_buf *bufs,
                      size_t nbufs, json_t **out)
{
    json_t *data, *name;
    int rc;

    if (!event || is_reserved(event)) return HUB_EINVAL;
    if ((rc = check_args(args, bufs, nbufs))) return rc;
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

static int64_t next_ack_id(hub_nsp *nsp)
{
    int64_t id = nsp->next_ack_id;

    nsp->next_ack_id = id >= SIO_MAX_ID ? 0 : id + 1;
    return id;
}

static int socket_usable(const hub_socket *s)
{
    if (!s) return HUB_EINVAL;
    if (s->state == HUB_S_PRECONNECT) return HUB_ESTATE;
    if (s->state == HUB_S_CLOSED || s->c->closing) return HUB_ECLOSED;
    return 0;
}

/* ---- pending lists -----------------------------------------------------------------------------
 */

static void s_link(hub_socket *s, struct hub_pending *e)
{
    s->nsp->srv->n.acks_pending++;
    e->s = s;
    e->s_prev = NULL;
    e->s_next = s->acks;
    if (s->acks) s->acks->s_prev = e;
    s->acks = e;
}

static void s_unlink(struct hub_pending *e)
{
    e->s->nsp->srv->n.acks_pending--;
    if (e->s_prev)
        e->s_prev->s_next = e->s_next;
    else
        e->s->acks = e->s_next;
    if (e->s_next) e->s_next->s_prev = e->s_prev;
    e->s_prev = e->s_next = NULL;
}

static void o_link(struct hub_ackop *op, struct hub_pending *e)
{
    e->op = op;
    e->o_prev = NULL;
    e->o_next = op->entries;
    if (op->entries) op->entries->o_prev = e;
    op->entries = e;
}

static void o_unlink(struct hub_pending *e)
{
    struct hub_ackop *op = e->op;

    if (e->o_prev)
        e->o_prev->o_next = e->o_next;
    else
        op->entries = e->o_next;
    if (e->o_next) e->o_next->o_prev = e->o_prev;
    e->o_prev = e->o_next = NULL;
}

/* An event was queued for s: counted, and told to the observers. */
static void sent_one(hub_socket *s, const json_t *data)
{
    hub_server *srv = s->nsp->srv;

    srv->n.events_out++;
    HUB_OBSERVE(srv, event_sent, s, data);
}

/* ---- one socket --------------------------------------------------------------------------------
 */

int hub_socket_emit(hub_socket *s, const char *event, const json_t *args,
                    const struct sio_buf *bufs, size_t nbufs)
{
    struct frameset fs;
    json_t *data;
    int rc;

    if ((rc = socket_usable(s))) return rc;
    if ((rc = event_data(event, args, bufs, nbufs, &data))) return rc;
    rc = frames_build(&fs, SIO_EVENT, s->nsp->name, SIO_NO_ID, data, bufs, nbufs);
    if (rc) {
        json_decref(data);
        return rc;
    }
    rc = client_send(s->c, &fs);
    frames_clear(&fs);
    if (rc == 0) sent_one(s, data);
    json_decref(data);
    return rc;
}

/* Ends a single acknowledgement: everything is unlinked and freed before the callback runs. */
static void single_complete(struct hub_ackop *op, int status, const json_t *args,
                            const struct sio_buf *bufs, size_t nbufs)
{
    hub_socket *s = op->one.s;
    hub_reply_fn cb = op->cb;
    void *ud = op->ud;

    s_unlink(&op->one);
    hub_sio_deadline_cancel(op->srv, &op->dl);
    hub_free(op);
    hub_sio_socket_hold(s);
    cb(s, status, args, bufs, nbufs, ud);
    hub_sio_socket_release(s);
}

static void single_timeout(struct hub_deadline *dl)
{
    ((struct hub_ackop *)(void *)dl)->srv->n.acks_timed_out++;
    single_complete((struct hub_ackop *)(void *)dl, HUB_ETIMEOUT, NULL, NULL, 0);
}

int hub_socket_emit_with_ack(hub_socket *s, const char *event, const json_t *args,
                             const struct sio_buf *bufs, size_t nbufs, uint64_t timeout_ms,
                             hub_reply_fn cb, void *ud)
{
    struct hub_ackop *op;
    struct frameset fs;
    json_t *data;
    int rc;

    if (!cb) return HUB_EINVAL;
    if ((rc = socket_usable(s))) return rc;
    if ((rc = event_data(event, args, bufs, nbufs, &data))) return rc;
    op = hub_calloc(1, sizeof(*op));
    if (!op) {
        rc = HUB_ENOMEM;
        goto fail_op;
    }
    op->srv = s->nsp->srv;
    op->nsp = s->nsp;
    op->cb = cb;
    op->ud = ud;
    op->dl.idx = HUB_DEADLINE_IDLE;
    op->dl.fire = single_timeout;
    op->id = next_ack_id(s->nsp);
    if ((rc = frames_build(&fs, SIO_EVENT, s->nsp->name, op->id, data, bufs, nbufs)))
        goto fail_frames;
    if (timeout_ms && (rc = hub_sio_deadline_arm(op->srv, &op->dl, timeout_ms))) goto fail_arm;
    if ((rc = client_send(s->c, &fs))) goto fail_send;
    frames_clear(&fs);
    sent_one(s, data);
    json_decref(data);
    op->one.op = op;
    op->entries = &op->one;
    s_link(s, &op->one);
    return 0;

fail_send:
    hub_sio_deadline_cancel(op->srv, &op->dl);
fail_arm:
    frames_clear(&fs);
fail_frames:
    hub_free(op);
fail_op:
    json_decref(data);
    return rc;
}

/* ---- broadcasts --------------------------------------------------------------------------------
 */

static int select_targets(hub_nsp *nsp, const struct hub_target *t, hub_socket ***out, size_t *n)
{
    void **v;
    int rc;

    if (t)
        rc = hub_rooms_select(nsp->rooms, t->rooms, t->nrooms, t->except, t->nexcept, &v, n);
    else
        rc = hub_rooms_select(nsp->rooms, NULL, 0, NULL, 0, &v, n);
    *out = (hub_socket **)v;
    return rc;
}

/* 1 when s gets the packet: connected, not excluded, and able to write a volatile one. */
static int recipient_ok(const hub_socket *s, const struct hub_target *t)
{
    if (s->state != HUB_S_CONNECTED || s->c->closing || !s->c->es) return 0;
    if (t && s == t->exclude) return 0;
    if (t && t->is_volatile && !client_writable(s->c)) return 0;
    return 1;
}

int hub_sio_broadcast_local(hub_nsp *nsp, const struct hub_target *t, const json_t *data,
                            const struct sio_buf *bufs, size_t nbufs)
{
    hub_socket **v = NULL;
    struct frameset fs;
    size_t n, i;
    int rc, count = 0;

    if ((rc = select_targets(nsp, t, &v, &n))) return rc;
    if (!n) {
        hub_sio_count_broadcast(nsp->srv, 0);
        return 0;
    }
    if ((rc = frames_build(&fs, SIO_EVENT, nsp->name, SIO_NO_ID, data, bufs, nbufs))) goto out;
    for (i = 0; i < n; i++) {
        if (!recipient_ok(v[i], t) || client_send(v[i]->c, &fs) != 0) continue;
        if (count < INT32_MAX) count++;
        sent_one(v[i], data);
    }
    frames_clear(&fs);
    hub_sio_count_broadcast(nsp->srv, (size_t)count);
    rc = count;
out:
    hub_free(v);
    return rc;
}

int hub_nsp_emit(hub_nsp *nsp, const struct hub_target *t, const char *event, const json_t *args,
                 const struct sio_buf *bufs, size_t nbufs)
{
    json_t *data;
    int rc;

    if (!nsp) return HUB_EINVAL;
    if ((rc = event_data(event, args, bufs, nbufs, &data))) return rc;
    rc = hub_sio_broadcast_local(nsp, t, data, bufs, nbufs);
    if (rc >= 0) hub_cluster_publish_broadcast(nsp, t, data, bufs, nbufs);
    json_decref(data);
    return rc;
}

/* A new slot for an answer, or NULL when out of memory (the answer is counted, not kept). */
static struct hub_reply_rec *reply_slot(struct hub_ackop *op)
{
    struct hub_reply_rec *r;

    if (op->nreplies == op->cap) {
        size_t cap = op->cap ? op->cap * 2 : 4;
        r = hub_realloc(op->replies, cap * sizeof(*r));
        if (!r) {
            hub_log(HUB_LOG_ERROR, "out of memory keeping an acknowledgement");
            return NULL;
        }
        op->replies = r;
        op->cap = cap;
    }
    r = &op->replies[op->nreplies++];
    memset(r, 0, sizeof(*r));
    return r;
}

/* Every local recipient answered and, in a cluster, every other node counted its recipients and
 * all of those answered (the reference's BroadcastOperator.emit completeness check). */
static int op_done(const struct hub_ackop *op)
{
    if (op->nlocal < op->expected) return 0;
    if (!op->creq) return 1;
    return op->servers >= 0 && op->servers_seen >= op->servers - 1 &&
           op->nremote >= op->remote_expected;
}

static void multi_complete(struct hub_ackop *op, int status)
{
    hub_server *srv = op->srv;
    struct hub_reply *views = NULL;
    size_t i;
    int64_t expected = (int64_t)op->expected + op->remote_expected;

    hub_sio_deadline_cancel(srv, &op->dl);
    while (op->entries) {
        struct hub_pending *e = op->entries;
        o_unlink(e);
        s_unlink(e);
    }
    if (op->prev)
        op->prev->next = op->next;
    else
        srv->multi_ops = op->next;
    if (op->next) op->next->prev = op->prev;
    if (op->creq) {
        hub_cluster_request_drop(op->creq);
        op->creq = NULL;
    }
    if (op->nreplies) {
        views = hub_calloc(op->nreplies, sizeof(*views));
        if (!views) /* the callback must run: it gets the count, not the replies */
            hub_log(HUB_LOG_ERROR, "out of memory collecting %zu acknowledgements", op->nreplies);
    }
    for (i = 0; views && i < op->nreplies; i++) {
        const struct hub_reply_rec *r = &op->replies[i];
        views[i].id = r->long_id ? r->long_id : r->id[0] ? r->id : NULL;
        views[i].args = op->replies[i].p.data;
        views[i].bufs = op->replies[i].p.bufs;
        views[i].nbufs = op->replies[i].p.nbufs;
    }
    if (op->bcb)
        op->bcb(op->nsp, status, views, views ? op->nreplies : 0,
                expected > 0 ? (size_t)expected : 0, op->ud);
    hub_free(views);
    for (i = 0; i < op->nreplies; i++) {
        sio_packet_clear(&op->replies[i].p);
        hub_free(op->replies[i].long_id);
    }
    hub_free(op->replies);
    hub_free(op->block);
    hub_free(op);
}

static void multi_timeout(struct hub_deadline *dl)
{
    struct hub_ackop *op = (struct hub_ackop *)(void *)dl;
    struct hub_pending *e;

    for (e = op->entries; e; e = e->o_next)
        op->srv->n.acks_timed_out++;
    multi_complete(op, op_done(op) ? 0 : HUB_ETIMEOUT);
}

/* A multi op for the target with its entries' storage; sends nothing yet. */
static struct hub_ackop *multi_new(hub_nsp *nsp, size_t n)
{
    struct hub_ackop *op = hub_calloc(1, sizeof(*op));

    if (!op) return NULL;
    if (n && (!(op->block = hub_calloc(n, sizeof(*op->block))) ||
              !(op->replies = hub_calloc(n, sizeof(*op->replies))))) {
        hub_free(op->block);
        hub_free(op);
        return NULL;
    }
    op->cap = n;
    op->srv = nsp->srv;
    op->nsp = nsp;
    op->multi = 1;
    op->servers = -1;
    op->dl.idx = HUB_DEADLINE_IDLE;
    op->dl.fire = multi_timeout;
    op->id = next_ack_id(nsp);
    return op;
}

static void multi_free(struct hub_ackop *op)
{
    hub_free(op->replies);
    hub_free(op->block);
    hub_free(op);
}

/* Sends fs (the packet of data) to every usable recipient and links it as owing an answer. */
static void multi_send(struct hub_ackop *op, hub_socket **v, size_t n, const struct hub_target *t,
                       struct frameset *fs, const json_t *data)
{
    size_t i;

    for (i = 0; i < n; i++) {
        struct hub_pending *e;
        if (!recipient_ok(v[i], t) || client_send(v[i]->c, fs) != 0) continue;
        e = &op->block[op->expected++];
        s_link(v[i], e);
        o_link(op, e);
        sent_one(v[i], data);
    }
    hub_sio_count_broadcast(op->srv, op->expected);
}

static void multi_link(struct hub_ackop *op)
{
    hub_server *srv = op->srv;

    op->next = srv->multi_ops;
    if (srv->multi_ops) srv->multi_ops->prev = op;
    srv->multi_ops = op;
}

int hub_nsp_emit_with_ack(hub_nsp *nsp, const struct hub_target *t, const char *event,
                          const json_t *args, const struct sio_buf *bufs, size_t nbufs,
                          uint64_t timeout_ms, hub_broadcast_reply_fn cb, void *ud)
{
    hub_server *srv;
    hub_socket **v = NULL;
    struct hub_ackop *op;
    struct frameset fs;
    size_t n;
    json_t *data;
    int rc;

    if (!nsp || !cb || !timeout_ms) return HUB_EINVAL;
    srv = nsp->srv;
    if (srv->shut) return HUB_ECLOSED;
    if ((rc = event_data(event, args, bufs, nbufs, &data))) return rc;
    if ((rc = select_targets(nsp, t, &v, &n))) goto fail_select;
    rc = HUB_ENOMEM;
    op = multi_new(nsp, n);
    if (!op) goto fail_op;
    op->bcb = cb;
    op->ud = ud;
    if (n && (rc = frames_build(&fs, SIO_EVENT, nsp->name, op->id, data, bufs, nbufs)))
        goto fail_frames;
    /* armed before anything is sent, so that nothing can fail once recipients owe an answer */
    if ((rc = hub_sio_deadline_arm(srv, &op->dl, timeout_ms))) goto fail_arm;
    multi_send(op, v, n, t, &fs, data);
    if (n) frames_clear(&fs);
    if (srv->cluster && !(t && t->is_local))
        hub_cluster_broadcast_request(op, t, data, bufs, nbufs, timeout_ms);
    if (op_done(op) && (rc = hub_sio_deadline_arm(srv, &op->dl, 0)))
        goto fail_arm; /* cannot happen: re-arming an armed deadline needs no memory */
    multi_link(op);
    hub_free(v);
    json_decref(data);
    return op->expected > INT32_MAX ? INT32_MAX : (int)op->expected;

fail_arm:
    if (n) frames_clear(&fs);
fail_frames:
    multi_free(op);
fail_op:
    hub_free(v);
fail_select:
    json_decref(data);
    return rc;
}

void hub_sio_op_count(struct hub_ackop *op, int n)
{
    op->servers = n < 1 ? 1 : n;
    if (op_done(op)) multi_complete(op, 0);
}

void hub_sio_op_response(struct hub_ackop *op, struct adapter_msg *m)
{
    struct hub_reply_rec *rec;

    if (m->type == ADAPTER_BROADCAST_CLIENT_COUNT) {
        op->servers_seen++;
        if (m->client_count > 0) op->remote_expected += m->client_count;
    } else if (m->type == ADAPTER_BROADCAST_ACK) {
        op->nremote++;
        if ((rec = reply_slot(op))) {
            rec->p.type = SIO_ACK;
            rec->p.id = op->id;
            rec->p.data = json_array();
            if (rec->p.data && m->data && json_array_append(rec->p.data, m->data))
                hub_log(HUB_LOG_ERROR, "out of memory keeping an acknowledgement");
            rec->p.bufs = m->bufs;
            rec->p.nbufs = m->nbufs;
            m->bufs = NULL;
            m->nbufs = 0;
        }
    } else {
        return;
    }
    if (op_done(op)) multi_complete(op, 0);
}

void hub_sio_relay_broadcast(hub_nsp *nsp, struct adapter_msg *m)
{
    hub_server *srv = nsp->srv;
    struct hub_target t;
    struct adapter_msg count;
    hub_socket **v = NULL;
    struct hub_ackop *op;
    struct frameset fs;
    uint64_t timeout;
    size_t n;

    if (!m->request_id || strlen(m->request_id) > HUB_ADAPTER_ID_MAX || !json_is_array(m->data) ||
        !json_array_size(m->data) || srv->shut || sio_placeholders_check(m->data, m->nbufs))
        return;
    memset(&t, 0, sizeof(t));
    t.rooms = (const char *const *)m->rooms.v;
    t.nrooms = m->rooms.n;
    t.except = (const char *const *)m->except.v;
    t.nexcept = m->except.n;
    t.is_local = 1;
    if (select_targets(nsp, &t, &v, &n)) goto fail;
    op = multi_new(nsp, n);
    if (!op) goto fail;
    op->relay = 1;
    strcpy(op->relay_id, m->request_id);
    timeout = m->flags.timeout_ms >= 0 ? (uint64_t)m->flags.timeout_ms
              : srv->cluster           ? srv->cluster->requests_timeout_ms
                                       : 5000;
    if (n && frames_build(&fs, SIO_EVENT, nsp->name, op->id, m->data, m->bufs, m->nbufs)) {
        multi_free(op);
        goto fail;
    }
    if (hub_sio_deadline_arm(srv, &op->dl, timeout)) {
        if (n) frames_clear(&fs);
        multi_free(op);
        goto fail;
    }
    multi_send(op, v, n, &t, &fs, m->data);
    if (n) frames_clear(&fs);
    hub_free(v);
    v = NULL;
    /* the count goes out first, even when it is 0: the requester waits for every node's */
    adapter_msg_init(&count);
    count.type = ADAPTER_BROADCAST_CLIENT_COUNT;
    count.request_id = op->relay_id;
    count.client_count = (int64_t)op->expected;
    hub_cluster_publish_response(nsp, &count);
    if (!op->expected) hub_sio_deadline_arm(srv, &op->dl, 0);
    multi_link(op);
    return;

fail:
    hub_free(v);
    hub_log(HUB_LOG_ERROR, "out of memory relaying a broadcast with acknowledgements");
}

/* Publishes a relayed broadcast's answer: the first argument only, as the reference does. */
static void relay_answer(struct hub_ackop *op, const struct sio_packet *p)
{
    struct adapter_msg m;

    adapter_msg_init(&m);
    m.type = ADAPTER_BROADCAST_ACK;
    m.request_id = op->relay_id;
    m.data = json_array_get(p->data, 0);
    m.bufs = p->bufs;
    m.nbufs = p->nbufs;
    hub_cluster_publish_response(op->nsp, &m);
}

/* ---- acknowledgements from clients -------------------------------------------------------------
 */

void hub_sio_on_ack(hub_socket *s, struct sio_packet *p)
{
    struct hub_pending *e;
    struct hub_ackop *op;
    struct hub_reply_rec *rec;

    for (e = s->acks; e; e = e->s_next)
        if (e->op->id == p->id) break;
    if (!e) {
        hub_log(HUB_LOG_DEBUG, "socket %s: ack %lld matches nothing", s->id, (long long)p->id);
        return;
    }
    s->nsp->srv->n.acks_received++;
    op = e->op;
    if (!op->multi) {
        single_complete(op, 0, p->data, p->bufs, p->nbufs);
        return;
    }
    s_unlink(e);
    o_unlink(e);
    op->nlocal++;
    if (op->relay) {
        relay_answer(op, p);
    } else if ((rec = reply_slot(op))) {
        if (s->id_len < sizeof(rec->id))
            memcpy(rec->id, s->id, s->id_len + 1);
        else if (!(rec->long_id = hub_strdup(s->id)))
            hub_log(HUB_LOG_ERROR, "out of memory keeping an acknowledgement");
        rec->p = *p;
        memset(p, 0, sizeof(*p));
        p->id = SIO_NO_ID;
    }
    if (op_done(op)) multi_complete(op, 0);
}

void hub_sio_socket_fail_acks(hub_socket *s)
{
    while (s->acks) {
        struct hub_pending *e = s->acks;
        if (!e->op->multi) {
            single_complete(e->op, HUB_ECLOSED, NULL, NULL, 0);
        } else {
            s_unlink(e);
            o_unlink(e);
        }
    }
}

void hub_sio_server_fail_acks(hub_server *srv)
{
    while (srv->multi_ops)
        multi_complete(srv->multi_ops, HUB_ECLOSED);
}

/* ---- acknowledgements to clients ---------------------------------------------------------------
 */

int hub_ack_send(hub_ack *ack, const json_t *args, const struct sio_buf *bufs, size_t nbufs)
{
    struct frameset fs;
    hub_socket *s;
    json_t *empty = NULL;
    int rc;

    if (!ack) return HUB_EINVAL;
    if (ack->answered || (ack->borrowed && ack->taken)) return HUB_ESTATE;
    if ((rc = check_args(args, bufs, nbufs))) return rc;
    if (ack->cluster) {
        if ((rc = hub_cluster_ack_send(ack, args)) == 0) ack->answered = 1;
        return rc;
    }
    s = hub_nsp_socket(ack->nsp, ack->sid);
    if ((rc = socket_usable(s))) return rc == HUB_EINVAL ? HUB_ECLOSED : rc;
    if (!args && !(args = empty = json_array())) return HUB_ENOMEM;
    rc = frames_build(&fs, SIO_ACK, ack->nsp->name, ack->id, args, bufs, nbufs);
    json_decref(empty);
    if (rc) return rc;
    rc = client_send(s->c, &fs);
    frames_clear(&fs);
    if (rc == 0) ack->answered = 1;
    return rc;
}

hub_ack *hub_ack_take(hub_ack *ack)
{
    hub_ack *copy;

    if (!ack || !ack->borrowed || ack->taken) return NULL;
    copy = hub_malloc(sizeof(*copy));
    if (!copy) return NULL;
    *copy = *ack;
    copy->borrowed = 0;
    copy->taken = 0;
    ack->taken = 1;
    return copy;
}

void hub_ack_free(hub_ack *ack)
{
    if (ack && !ack->borrowed) hub_free(ack);
}
