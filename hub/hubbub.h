/* hubbub.h - the public C API of Hubbub: a Socket.IO v5 server on a libuv loop.
 *
 * One hub_server per event loop. It owns an Engine.IO server (engine.h) that a transport feeds (the
 * libwebsockets glue, http.h); on top of it it runs Socket.IO: namespaces (hub_nsp), the sockets
 * connected to them (hub_socket), rooms, events and acknowledgements. Behaviour follows the Node.js
 * reference (socket.io 4.8); the names are the reference's where it has one:
 *
 *     io.of("/chat")                      hub_server_of(srv, "/chat")
 *     nsp.use((socket, next) => ...)      hub_nsp_use(nsp, fn, ud) + hub_connect_reject()
 *     nsp.on("connection", ...)           hub_nsp_on_connection(nsp, fn, ud)
 *     socket.on("disconnect", ...)        hub_nsp_on_disconnect(nsp, fn, ud)
 *     socket.on("ev", (..., ack) => ...)  hub_nsp_on(nsp, "ev", fn, ud) (registered per namespace)
 *     socket.onAny(...)                   hub_nsp_on(nsp, NULL, fn, ud)
 *     socket.emit("ev", ...)              hub_socket_emit()
 *     socket.timeout(ms).emit("ev", cb)   hub_socket_emit_with_ack()
 *     nsp.to(r).except(x).emit(...)       hub_nsp_emit(nsp, &target, ...)
 *     socket.to(r).emit(...)              hub_nsp_emit() with target.exclude = socket
 *     nsp.timeout(ms).emit("ev", cb)      hub_nsp_emit_with_ack()
 *     nsp.local.emit(...)                 hub_nsp_emit() with target.is_local
 *     nsp.in(r).socketsJoin(rooms)        hub_nsp_sockets_join()
 *     nsp.in(r).socketsLeave(rooms)       hub_nsp_sockets_leave()
 *     nsp.in(r).disconnectSockets(close)  hub_nsp_disconnect_sockets()
 *     nsp.in(r).fetchSockets()            hub_nsp_fetch_sockets()
 *     nsp.adapter.allRooms()              hub_nsp_all_rooms()
 *     nsp.serverSideEmit("ev", ...)       hub_nsp_server_side_emit(), ..._with_ack()
 *     nsp.on("ev", ...) (server-side)     hub_nsp_on_server_event()
 *
 * Cluster: with a cluster back end attached (adapter.h; the Redis one: hub_redis_attach()), every
 * broadcast, room operation and request above reaches the other nodes sharing the back end, Node.js
 * socket.io servers with @socket.io/redis-adapter included; without one the server is a cluster of
 * one and the same calls act on its own sockets only.
 *
 * Threading: everything runs on the loop's thread; no function may be called from another thread.
 *
 * Errors: int functions return 0 (or a count) on success and a negative HUB_E* code (hub_err.h).
 * Callbacks follow libuv's law: when a call that takes a callback returns an error, the callback
 * never runs; otherwise it runs exactly once, never from inside the call that registered it.
 *
 * JSON: event arguments are jansson arrays. Arguments passed in are borrowed (the hub takes its own
 * references); arguments passed to callbacks are borrowed for the duration of the call (json_incref
 * to keep them). Binary data travels in Socket.IO's wire form: the JSON holds placeholders
 * {"_placeholder":true,"num":N} (sio_placeholder_new(N)) that refer to the N-th buffer of a
 * struct sio_buf array passed alongside.
 *
 * Lifetimes: a hub_socket exists from the connect hooks until the disconnect hooks return; a
 * hub_nsp until hub_server_free(). Code that answers later keeps the socket id (hub_socket_id) and
 * finds the socket again with hub_nsp_socket(), or keeps an ack handle (hub_ack_take). */
#ifndef HUBBUB_H
#define HUBBUB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "engine.h"
#include "hub_err.h"
#include "sio.h"

typedef struct hub_server hub_server;
typedef struct hub_nsp hub_nsp;
typedef struct hub_socket hub_socket;
typedef struct hub_ack hub_ack;

/* Length of a socket id the hub makes up: 20 URL-safe base64 characters from 15 random bytes (plus
 * the NUL). An Engine.IO v3 client's socket on a namespace other than "/" is instead "<nsp>#<engine
 * id>", as the reference names it, and may be up to HUB_SOCKET_ID_MAX characters. */
#define HUB_SOCKET_ID_LEN 20
/* The longest socket id: a v3 client on a namespace whose name is too long for "<nsp>#<engine id>"
 * to fit gets a random id instead. Buffers that hold any socket id take HUB_SOCKET_ID_MAX + 1. */
#define HUB_SOCKET_ID_MAX 255

/* ---- server ------------------------------------------------------------------------------------
 */

/* Returns a new server on loop, or NULL. It creates its Engine.IO server with the options of cfg
 * (pingInterval, pingTimeout, upgradeTimeout, maxPayload, maxBufferedBytes, allowEIO3) and reads
 * connectTimeout, maxRoomsPerSocket and maxAttachments. cfg is borrowed and must outlive the
 * server. No namespace exists yet: create them with hub_server_of() (or hub_apps_install(),
 * apps.h). */
hub_server *hub_server_new(uv_loop_t *loop, const struct hub_config *cfg);
/* The Engine.IO server, for the transport to feed (borrowed). NULL after hub_server_shutdown(). */
eio_server *hub_server_engine(hub_server *srv);
uv_loop_t *hub_server_loop(hub_server *srv);
const struct hub_config *hub_server_config(hub_server *srv);

/* Graceful stop: every socket is disconnected with reason "server shutting down" (disconnect hooks
 * run; no DISCONNECT packet is sent, as in the reference), pending acknowledgements complete with
 * HUB_ECLOSED, then the Engine.IO server is freed (each session gets a close packet). New sessions
 * are refused. Namespaces and handlers stay until hub_server_free(). Calling it again is a no-op.
 */
void hub_server_shutdown(hub_server *srv);
/* Shuts down (if not done yet) and frees the server, its namespaces and handlers. Memory still held
 * by closing sessions and the server's timer is released by the loop: run it (uv_run) until it
 * returns after this call. NULL is a no-op. Ack handles (hub_ack_take) must be freed before. */
void hub_server_free(hub_server *srv);

/* ---- namespaces --------------------------------------------------------------------------------
 */

/* Returns the namespace name, creating it when it does not exist yet (a name without a leading '/'
 * gets one, as io.of() does). Borrowed: it lives as long as the server. NULL on allocation failure
 * or after shutdown. A client's CONNECT to a namespace that was never created gets CONNECT_ERROR
 * {"message":"Invalid namespace"} and its connection stays open. */
hub_nsp *hub_server_of(hub_server *srv, const char *name);
/* The namespace name if it exists, or NULL. */
hub_nsp *hub_server_nsp(hub_server *srv, const char *name);

const char *hub_nsp_name(const hub_nsp *nsp);
hub_server *hub_nsp_server(const hub_nsp *nsp);
/* Number of connected sockets. */
size_t hub_nsp_count(const hub_nsp *nsp);
/* The connected socket with this id, or NULL (it disconnected, or never existed). */
hub_socket *hub_nsp_socket(hub_nsp *nsp, const char *id);
/* Iterates the connected sockets: *pos starts at 0; returns the next socket or NULL at the end. Do
 * not connect or disconnect sockets during an iteration (collect ids first). */
hub_socket *hub_nsp_sockets_next(hub_nsp *nsp, size_t *pos);
/* Number of connected sockets in room (socket ids are rooms too). */
size_t hub_nsp_room_size(const hub_nsp *nsp, const char *room);
/* Number of rooms of nsp on this node, the sockets' own rooms included. */
size_t hub_nsp_rooms_count(const hub_nsp *nsp);
/* Iterates the namespaces of srv in creation order: *pos starts at 0; returns the next
 * namespace or NULL at the end. Do not create namespaces during an iteration. */
hub_nsp *hub_server_nsps_next(hub_server *srv, size_t *pos);

/* ---- connection hooks --------------------------------------------------------------------------
 */

/* A connect hook (the reference's namespace middleware) runs when a client CONNECTs, before it is
 * accepted; auth is the CONNECT payload ({} when the client sent none), borrowed. Return 0 to go on
 * to the next hook and then accept. To refuse, call hub_connect_reject() and return non-zero (a
 * non-zero return without it refuses with the message "connection rejected"). While the hook runs
 * the socket is not connected yet: hub_socket_handshake/id/user/join work, emits return HUB_ESTATE.
 */
typedef int (*hub_connect_fn)(hub_socket *s, const json_t *auth, void *ud);
/* After a socket is accepted: its CONNECT reply was sent and it is in its own room. */
typedef void (*hub_connection_fn)(hub_socket *s, void *ud);
/* A connected socket left: reason is the reference's ("client namespace disconnect", "server
 * namespace disconnect", "server shutting down", "transport close", "transport error", "ping
 * timeout", "parse error", "forced close", "forced server close"). The socket has left its rooms
 * and is no longer found by hub_nsp_socket(); emits to it return HUB_ECLOSED. It is freed when the
 * hook returns. */
typedef void (*hub_disconnect_fn)(hub_socket *s, const char *reason, void *ud);

/* Each adds a hook, run in the order added. Return 0 or HUB_ENOMEM. */
int hub_nsp_use(hub_nsp *nsp, hub_connect_fn fn, void *ud);
int hub_nsp_on_connection(hub_nsp *nsp, hub_connection_fn fn, void *ud);
int hub_nsp_on_disconnect(hub_nsp *nsp, hub_disconnect_fn fn, void *ud);

/* From a connect hook: the decision comes later (a password checked off the loop, a remote lookup).
 * The hook's return value is then ignored and the hooks after it wait. Returns 0, HUB_EINVAL, or
 * HUB_ESTATE (not called from a connect hook of s, or deferred already). The caller must then call
 * hub_connect_resume() exactly once, from the loop; until then s stays allocated and is not
 * connected (hub_socket_id/handshake/auth work; hub_connect_reject sets the refusal). A waiting
 * connection holds its client, so hub_server_free() finishes only after the resume: keep the loop
 * alive until then (a libuv request does, as uv_queue_work's). */
int hub_connect_defer(hub_socket *s);
/* Goes on with a deferred connection: refuse non-zero refuses it (with the message set by
 * hub_connect_reject, else "connection rejected"); otherwise the remaining hooks run and the socket
 * is accepted. When the client went away or the server shut down meanwhile, it only lets go of s.
 * s must not be used after the call (unless the connection hooks keep it). Called from the
 * deferring hook itself, it cancels the deferral: the hook's return value decides. */
void hub_connect_resume(hub_socket *s, int refuse);

/* From a connect hook: refuses the connection with CONNECT_ERROR {"message":message,"data":data}
 * ("data" left out when data is NULL). Steals data (even on error). The last call wins. Returns 0,
 * HUB_EINVAL (message NULL) or HUB_ESTATE (the socket is already connected). */
int hub_connect_reject(hub_socket *s, const char *message, json_t *data);

/* ---- events ------------------------------------------------------------------------------------
 */

/* An event received from a client; everything borrowed for the duration of the handler call. */
struct hub_event {
    const char *name;           /* the event name */
    const json_t *args;         /* array of the arguments after the name; placeholders intact */
    const struct sio_buf *bufs; /* the attachments the placeholders refer to */
    size_t nbufs;
    hub_ack *ack; /* the client asked for an acknowledgement; NULL when it did not */
};

typedef void (*hub_event_fn)(hub_socket *s, const struct hub_event *ev, void *ud);

/* Adds a handler for event on every socket of nsp, run in the order added; event NULL adds a
 * catch-all, which runs before the named handlers (the reference's onAny). Handlers stop running
 * for an event once its socket disconnected. Returns 0 or HUB_ENOMEM. */
int hub_nsp_on(hub_nsp *nsp, const char *event, hub_event_fn fn, void *ud);

/* Answers an acknowledgement with ACK (BINARY_ACK when nbufs > 0) carrying args (a JSON array, NULL
 * for none, borrowed) and bufs (borrowed). Works during the handler call on ev->ack, and later on a
 * taken handle. Returns 0; HUB_ESTATE when it was already answered (only the first answer is sent,
 * as in the reference); HUB_ECLOSED when the socket disconnected; HUB_EINVAL, HUB_ENOMEM,
 * HUB_EFULL. */
int hub_ack_send(hub_ack *ack, const json_t *args, const struct sio_buf *bufs, size_t nbufs);
/* Takes ownership of ev->ack so it can be answered after the handler returned. Returns the handle
 * (the caller frees it with hub_ack_free, answered or not) or NULL when ack is NULL, already taken
 * or out of memory. Once taken, ev->ack itself answers HUB_ESTATE. The handle keeps the namespace,
 * the socket id and the ack id, not the socket: it stays safe to use when the socket goes away. */
hub_ack *hub_ack_take(hub_ack *ack);
/* Frees a taken handle (without answering, if not answered yet). NULL is a no-op. */
void hub_ack_free(hub_ack *ack);

/* ---- emitting ----------------------------------------------------------------------------------
 */

/* Sends event with args (a JSON array of the arguments after the name, NULL for none; borrowed) and
 * bufs (borrowed) to the socket: EVENT, or BINARY_EVENT followed by the attachments in one unit.
 * Returns 0; HUB_EINVAL (a reserved name: connect, connect_error, disconnect, disconnecting,
 * newListener, removeListener; args not an array; placeholders not matching bufs); HUB_ESTATE (not
 * connected yet); HUB_ECLOSED; HUB_EFULL (the client's queue is full: it is being disconnected);
 * HUB_ENOMEM. */
int hub_socket_emit(hub_socket *s, const char *event, const json_t *args,
                    const struct sio_buf *bufs, size_t nbufs);

/* An acknowledgement from one socket: status 0 with the reply's args (an array) and attachments,
 * HUB_ETIMEOUT, or HUB_ECLOSED (the socket disconnected or the server shut down) with args NULL.
 * s is the socket (borrowed); on HUB_ECLOSED it is the disconnecting socket, whose emits fail. */
typedef void (*hub_reply_fn)(hub_socket *s, int status, const json_t *args,
                             const struct sio_buf *bufs, size_t nbufs, void *ud);

/* Like hub_socket_emit(), asking for an acknowledgement: cb runs exactly once, with the reply, on
 * timeout (timeout_ms; 0 for none) or when the socket disconnects. Returns as hub_socket_emit(); on
 * error cb never runs. */
int hub_socket_emit_with_ack(hub_socket *s, const char *event, const json_t *args,
                             const struct sio_buf *bufs, size_t nbufs, uint64_t timeout_ms,
                             hub_reply_fn cb, void *ud);

/* Who a broadcast goes to: the sockets in any of rooms (every socket of the namespace when nrooms
 * is 0), each once, minus the sockets in any of except, minus exclude (a socket, or NULL).
 * is_volatile drops the packet for the sockets that cannot write it right away. is_local keeps the
 * operation on this node (the reference's .local): nothing is sent to the cluster. A NULL target
 * means everyone, on every node. */
struct hub_target {
    const char *const *rooms;
    size_t nrooms;
    const char *const *except;
    size_t nexcept;
    const hub_socket *exclude;
    int is_volatile;
    int is_local;
};

/* Broadcasts event to the target in nsp. The packet is encoded once and its frames are shared by
 * every recipient. Unless the target is_local, it is also published to the cluster, whose nodes
 * deliver it to their own sockets in the target. Returns the number of local sockets it was queued
 * for (>= 0), or HUB_EINVAL / HUB_ENOMEM. Recipients whose queue is full are disconnected and not
 * counted. A cluster that cannot be reached does not make the call fail (see
 * hub_server_cluster_status). */
int hub_nsp_emit(hub_nsp *nsp, const struct hub_target *t, const char *event, const json_t *args,
                 const struct sio_buf *bufs, size_t nbufs);

/* One socket's answer to a broadcast (borrowed for the duration of the callback). */
struct hub_reply {
    const char *id;     /* the socket id; NULL for a socket of another node */
    const json_t *args; /* the reply's arguments (an array); from another node, only the first
                           argument crosses the cluster (as in the reference adapter) */
    const struct sio_buf *bufs;
    size_t nbufs;
};

/* The end of a broadcast with acknowledgements: status 0 when every recipient answered,
 * HUB_ETIMEOUT when timeout_ms passed first, HUB_ECLOSED when the server shut down; replies holds
 * the answers that arrived, in arrival order, and expected the number of recipients (on every node
 * that reported its count). The reference's responses array is replies[i].args[0] for each i. */
typedef void (*hub_broadcast_reply_fn)(hub_nsp *nsp, int status, const struct hub_reply *replies,
                                       size_t nreplies, size_t expected, void *ud);

/* Broadcasts event to the target asking every recipient for an acknowledgement (the reference's
 * nsp.timeout(ms).emit(ev, ..., (err, responses) => ...)). timeout_ms must be > 0. cb runs exactly
 * once (from the loop, also when there is no recipient). Recipients that disconnect before
 * answering are still expected, as in the reference. In a cluster, the other nodes report how many
 * of their sockets got it and relay each one's answer; cb runs when every node counted (as many as
 * the back end reports listening) and every counted socket answered, or at the timeout. Returns
 * the number of local recipients (>= 0) or HUB_EINVAL / HUB_ENOMEM (cb never runs). */
int hub_nsp_emit_with_ack(hub_nsp *nsp, const struct hub_target *t, const char *event,
                          const json_t *args, const struct sio_buf *bufs, size_t nbufs,
                          uint64_t timeout_ms, hub_broadcast_reply_fn cb, void *ud);

/* ---- sockets -----------------------------------------------------------------------------------
 */

/* The socket id: NUL-terminated, borrowed; HUB_SOCKET_ID_LEN characters, or for a v3 client on a
 * namespace other than "/" "<nsp>#<engine id>" (at most HUB_SOCKET_ID_MAX). */
const char *hub_socket_id(const hub_socket *s);
hub_nsp *hub_socket_nsp(const hub_socket *s);
hub_server *hub_socket_server(const hub_socket *s);
/* 1 while connected (after the connect hooks accepted it, before it disconnected). */
int hub_socket_connected(const hub_socket *s);
/* The handshake, borrowed: the Engine.IO handshake object (headers, time, address, xdomain, secure,
 * issued, url, query) plus "auth" (the CONNECT payload, {} when none). */
const json_t *hub_socket_handshake(const hub_socket *s);
/* The auth object the client sent with CONNECT (an empty object when none), borrowed. Cheaper than
 * hub_socket_handshake(), which builds the whole handshake object on first use. */
const json_t *hub_socket_auth(const hub_socket *s);
/* A new reference to the handshake object: the one hub_socket_handshake() keeps when it was asked
 * for, else one built now and not kept (for tools that describe many sockets once). NULL when out
 * of memory. */
json_t *hub_socket_handshake_new(const hub_socket *s);
/* The Engine.IO session id of the client (not the socket id), or NULL once it is gone. */
const char *hub_socket_session_id(const hub_socket *s);
/* "polling" or "websocket", or NULL once the session is gone. */
const char *hub_socket_transport(const hub_socket *s);

void hub_socket_set_user(hub_socket *s, void *user);
void *hub_socket_user(const hub_socket *s);

/* Joins room. Returns 0 (also when already in it); HUB_ELIMIT when the socket is in
 * maxRoomsPerSocket rooms besides its own; HUB_ECLOSED when it disconnected; HUB_EINVAL;
 * HUB_ENOMEM. */
int hub_socket_join(hub_socket *s, const char *room);
/* Leaves room. Returns 0 or HUB_ENOTFOUND (not in it). */
int hub_socket_leave(hub_socket *s, const char *room);
/* Number of rooms the socket is in, its own included. */
size_t hub_socket_room_count(const hub_socket *s);
int hub_socket_in_room(const hub_socket *s, const char *room);
/* Iterates the socket's rooms in joining order (its own id first): *pos starts at 0; returns 1 with
 * *room set (borrowed, valid until the socket leaves it) or 0 at the end. */
int hub_socket_rooms_next(const hub_socket *s, size_t *pos, const char **room);

/* Disconnects the socket from its namespace: DISCONNECT is sent and the disconnect hooks run with
 * "server namespace disconnect". With close_transport, every namespace of the client is
 * disconnected that way and then its Engine.IO session is closed. Returns 0, HUB_ESTATE (not
 * connected yet: refuse from a connect hook instead) or HUB_ECLOSED (already disconnected). */
int hub_socket_disconnect(hub_socket *s, int close_transport);

/* ---- the cluster -------------------------------------------------------------------------------
 */

/* Makes the sockets of the target (on every node; a NULL target: all of them) join every room of
 * rooms (each a NUL-terminated name). Local sockets join right away (a socket at its
 * maxRoomsPerSocket joins no more); other nodes apply it when the message reaches them. Returns the
 * number of local sockets selected (>= 0), HUB_EINVAL or HUB_ENOMEM. */
int hub_nsp_sockets_join(hub_nsp *nsp, const struct hub_target *t, const char *const *rooms,
                         size_t nrooms);
/* The same, leaving the rooms. */
int hub_nsp_sockets_leave(hub_nsp *nsp, const struct hub_target *t, const char *const *rooms,
                          size_t nrooms);
/* Disconnects the sockets of the target on every node, as hub_socket_disconnect(s,
 * close_transport) would one by one. Returns the number of local sockets disconnected (>= 0),
 * HUB_EINVAL or HUB_ENOMEM. */
int hub_nsp_disconnect_sockets(hub_nsp *nsp, const struct hub_target *t, int close_transport);

/* The end of a cluster request: status 0, HUB_ETIMEOUT (some node did not answer within the
 * back end's request timeout; result holds what arrived), HUB_EIO (the cluster could not be
 * reached; result holds this node's part) or HUB_ECLOSED (the server shut down). result is
 * borrowed for the duration of the call (json_incref to keep it):
 *   fetch sockets: an array of {"id", "handshake", "rooms": [...], "data"} objects (the shape of
 *                  the reference's RemoteSocket), this node's first;
 *   all rooms:     an array of room names, each once, this node's first;
 *   server-side emit with ack: an array of the other nodes' answers, one per node. */
typedef void (*hub_cluster_fn)(hub_nsp *nsp, int status, const json_t *result, void *ud);

/* Collects the sockets of the target on every node (the reference's fetchSockets()). cb runs
 * exactly once, never from inside this call. Returns 0, HUB_EINVAL, HUB_ECLOSED or HUB_ENOMEM (cb
 * never runs). */
int hub_nsp_fetch_sockets(hub_nsp *nsp, const struct hub_target *t, hub_cluster_fn cb, void *ud);
/* Collects the names of the rooms of nsp on every node (socket ids included, as the reference's
 * adapter.allRooms()). As hub_nsp_fetch_sockets(). */
int hub_nsp_all_rooms(hub_nsp *nsp, hub_cluster_fn cb, void *ud);

/* Sends event with args (a JSON array, NULL for none; borrowed; no binary) to the server-side
 * handlers of nsp on every other node (hub_nsp_on_server_event; Node.js: nsp.on(event, ...)); this
 * node's own handlers do not run, as in the reference. Returns 0 (also without a cluster: there
 * is no other node), HUB_EINVAL (reserved name, args not an array), HUB_EIO (the cluster could not
 * be reached) or HUB_ENOMEM. */
int hub_nsp_server_side_emit(hub_nsp *nsp, const char *event, const json_t *args);
/* The same, asking each other node for an acknowledgement: cb gets the array of their answers
 * (each node's first ack argument). Returns as hub_nsp_fetch_sockets(). */
int hub_nsp_server_side_emit_with_ack(hub_nsp *nsp, const char *event, const json_t *args,
                                      hub_cluster_fn cb, void *ud);

/* A server-side event from another node: ev->bufs is empty; ev->ack, when the sender asked for an
 * acknowledgement, is answered with hub_ack_send() (only args[0] travels) and may be taken with
 * hub_ack_take(). Everything is borrowed for the duration of the call. */
typedef void (*hub_server_event_fn)(hub_nsp *nsp, const struct hub_event *ev, void *ud);
/* Adds a handler for server-side event (NULL: every event, run first), in the order added.
 * Returns 0, HUB_EINVAL or HUB_ENOMEM. */
int hub_nsp_on_server_event(hub_nsp *nsp, const char *event, hub_server_event_fn fn, void *ud);

/* ---- observing: admin tools and metrics -------------------------------------------------------
 */

/* Hooks that watch what happens on a server, for tools (the Admin UI's namespace, admin.h) rather
 * than applications. Every hook may be NULL. Arguments are borrowed for the call; a hook may emit
 * (even to the socket it is told about) but must not disconnect sockets or free anything the
 * server owns. The table is borrowed and must outlive the server.
 *   nsp_created     a namespace was created (hub_server_of)
 *   connected       a socket was accepted, before the namespace's connection hooks
 *   disconnected    a socket left, after the namespace's disconnect hooks
 *   room_joined     a connected socket joined a room (not its own room: connected reports that)
 *   room_left       a socket left a room; when it disconnects, once per room after disconnected
 *   event_received  a client's event, data being [event, ...args] (placeholders intact)
 *   event_sent      an event queued for socket s (a broadcast reports each local recipient)
 *   upgraded        the socket's client moved from polling to the WebSocket */
struct hub_observer {
    void (*nsp_created)(void *ud, hub_nsp *nsp);
    void (*connected)(void *ud, hub_socket *s);
    void (*disconnected)(void *ud, hub_socket *s, const char *reason);
    void (*room_joined)(void *ud, hub_socket *s, const char *room);
    void (*room_left)(void *ud, hub_socket *s, const char *room);
    void (*event_received)(void *ud, hub_socket *s, const json_t *data);
    void (*event_sent)(void *ud, hub_socket *s, const json_t *data);
    void (*upgraded)(void *ud, hub_socket *s);
};

#define HUB_OBSERVERS_MAX 4

/* Adds an observer (ob borrowed, ud its data). Returns 0, HUB_EINVAL or HUB_ELIMIT (more than
 * HUB_OBSERVERS_MAX). */
int hub_server_observe(hub_server *srv, const struct hub_observer *ob, void *ud);

/* Broadcast fan-out buckets: a broadcast reaching n local sockets counts in the first bucket whose
 * bound is >= n (HUB_FANOUT_BOUNDS), or in the last one. */
#define HUB_FANOUT_BUCKETS 6
#define HUB_FANOUT_BOUNDS {1, 10, 100, 1000, 10000, 0 /* +Inf */}

/* What a server counted since it started (plain integers kept on the loop). Events sent count once
 * per recipient. Acknowledgements are the server's requests: pending counts the recipients that
 * owe an answer now. */
struct hub_server_stats {
    struct eio_stats engine;
    size_t clients;    /* Socket.IO clients (Engine.IO sessions with the Socket.IO layer) */
    size_t namespaces;
    uint64_t connects, connect_errors, disconnects;
    uint64_t events_in, events_out;
    uint64_t acks_pending, acks_received, acks_timed_out;
    uint64_t broadcasts, broadcast_recipients;
    uint64_t fanout[HUB_FANOUT_BUCKETS];
};
/* Fills st (zeros for the engine after shutdown). Returns 0 or HUB_EINVAL. */
int hub_server_stats(hub_server *srv, struct hub_server_stats *st);

/* The state of the cluster back end, for health checks and metrics. */
struct hub_cluster_status {
    const char *backend; /* "redis"; "none" when the server runs alone */
    const char *uid;     /* this node's id on the cluster, "" when alone (borrowed) */
    int connected;       /* 1 when it can publish and receive right now */
    uint64_t reconnects; /* connections re-established after a loss */
    int64_t latency_us;  /* the last measured round trip to the broker, -1 when unknown */
    uint64_t published;  /* messages handed to the broker */
    uint64_t received;   /* messages received from it */
    uint64_t dropped;    /* messages not published because it was unreachable or backed up */
};
/* Fills st. Returns 0 (also when alone: backend "none", connected 1) or HUB_EINVAL. */
int hub_server_cluster_status(hub_server *srv, struct hub_cluster_status *st);

#endif
