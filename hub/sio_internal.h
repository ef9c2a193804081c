/* sio_internal.h - the Socket.IO layer's private structures, shared by socketio.c (server, clients,
 * namespaces, connect and dispatch) and emit.c (encoding, emits, broadcasts, acknowledgements).
 * Not installed, not for embedders: hubbub.h is the contract.
 *
 * Ownership: the server owns its namespaces (freed with it) and its clients (one per Engine.IO
 * session). A client owns its connected sockets. Sockets and clients are reference-counted so that
 * user code may disconnect them from inside a callback that is still using them: the struct
 * outlives the call. */
#ifndef HUB_SIO_INTERNAL_H
#define HUB_SIO_INTERNAL_H

#include "adapter.h"
#include "hubbub.h"
#include "map.h"
#include "rooms.h"

#define HUB_DEADLINE_IDLE ((size_t)-1)

/* A timeout on the server's one timer: a min-heap of deadlines. */
struct hub_deadline {
    uint64_t due; /* loop time (ms) */
    size_t idx;   /* place in the heap, HUB_DEADLINE_IDLE when not armed */
    void (*fire)(struct hub_deadline *dl);
};

struct hub_hook {
    struct hub_hook *next;
    union {
        hub_connect_fn connect;
        hub_connection_fn connection;
        hub_disconnect_fn disconnect;
        hub_event_fn event;
        hub_server_event_fn server_event;
    } fn;
    void *ud;
};

struct hub_hooks {
    struct hub_hook *head, *tail;
};

/* The handlers of one event name. */
struct hub_evhandlers {
    char *name;
    size_t len;
    struct hub_hooks hooks;
};

struct hub_nsp {
    hub_server *srv;
    char *name;
    size_t len;
    struct hub_map sockets; /* id -> hub_socket, connected ones */
    hub_rooms *rooms;
    int64_t next_ack_id;   /* shared by every socket, as the reference's nsp._ids */
    struct hub_map events; /* name -> hub_evhandlers */
    struct hub_hooks any, use, connection, disconnect;
    struct hub_map sevents; /* server-side events: name -> hub_evhandlers */
    struct hub_hooks sany;
};

struct hub_pending;

enum hub_socket_state { HUB_S_PRECONNECT, HUB_S_CONNECTED, HUB_S_CLOSED };

struct hub_client {
    hub_server *srv;
    eio_session *es; /* NULL once detached from its session */
    sio_decoder *dec;
    hub_socket *sockets; /* connected sockets, one per namespace */
    struct hub_deadline connect_dl;
    int refs;
    int closing; /* no more packets in or out */
    struct hub_client *prev, *next;
};

struct hub_socket {
    size_t id_len;
    hub_nsp *nsp;
    struct hub_client *c;
    json_t *handshake; /* built on first hub_socket_handshake(), then kept; NULL until then */
    json_t *auth;      /* the CONNECT payload, or an empty object */
    void *user;
    enum hub_socket_state state;
    int refs;
    char *reject_msg;
    json_t *reject_data;
    struct hub_pending *acks; /* acknowledgements it owes the server */
    int hooking;              /* a connect hook of it is running */
    int deferred;             /* a connect hook called hub_connect_defer */
    struct hub_hook *resume;  /* deferred: the next connect hook to run */
    hub_socket *prev, *next;  /* in the client's list */
    char id[];                /* id_len characters and a NUL, allocated with the socket */
};

/* One socket's outstanding acknowledgement, in the socket's list and (for a broadcast) the op's. */
struct hub_pending {
    struct hub_pending *s_prev, *s_next;
    struct hub_pending *o_prev, *o_next;
    hub_socket *s;
    struct hub_ackop *op;
};

struct hub_reply_rec {
    char id[HUB_SOCKET_ID_LEN + 1]; /* the answering socket's id, "" for a remote answer */
    char *long_id;                  /* new: an id longer than HUB_SOCKET_ID_LEN, or NULL */
    struct sio_packet p;
};

/* An emit waiting for acknowledgements: one socket's (single) or a broadcast's (multi). */
struct hub_ackop {
    struct hub_deadline dl;
    hub_server *srv;
    hub_nsp *nsp;
    int64_t id;
    int multi;
    hub_reply_fn cb;
    hub_broadcast_reply_fn bcb;
    void *ud;
    struct hub_pending *entries; /* outstanding */
    struct hub_pending one;      /* single: the entry */
    struct hub_pending *block;   /* multi: the entries' storage */
    size_t expected;             /* local recipients */
    size_t nlocal;               /* local answers received */
    size_t nreplies, cap;        /* answers stored (local and remote) */
    struct hub_reply_rec *replies;
    struct hub_ackop *prev, *next; /* multi: in the server's list */
    /* multi, in a cluster: the other nodes were asked (the reference's BROADCAST request) */
    struct hub_creq *creq;   /* the request, or NULL when the broadcast stayed local */
    int64_t servers;         /* nodes listening, this one included; -1 until known */
    int64_t servers_seen;    /* client counts received from other nodes */
    int64_t remote_expected; /* their sum */
    int64_t nremote;         /* answers relayed by other nodes */
    /* multi, relaying for another node: each answer is published, nothing is stored */
    int relay;
    char relay_id[HUB_ADAPTER_ID_MAX + 1];
};

struct hub_ack {
    hub_nsp *nsp;
    char sid[HUB_SOCKET_ID_MAX + 1];
    int64_t id;
    int answered;
    int borrowed; /* the dispatcher's handle (ev->ack), on its stack */
    int taken;    /* borrowed: hub_ack_take() moved it to a copy */
    int cluster;  /* a server-side event's: answered on the cluster to request req_id */
    char req_id[HUB_ADAPTER_ID_MAX + 1];
};

/* A request this node sent to the cluster, waiting for its answers (cluster.c). */
enum hub_creq_kind { HUB_CREQ_FETCH, HUB_CREQ_ROOMS, HUB_CREQ_SSE, HUB_CREQ_BROADCAST };

struct hub_creq {
    struct hub_deadline dl; /* the request timeout, or 0 to complete with status */
    hub_server *srv;
    hub_nsp *nsp;
    enum hub_creq_kind kind;
    char id[HUB_ADAPTER_ID_MAX + 1];
    int status;             /* the status to complete with when dl fires early */
    int finishing;          /* dl armed with 0: complete with status */
    int counting;           /* waiting for the server count */
    int64_t expected;       /* answers to wait for (FETCH/ROOMS: nodes; SSE: other nodes) */
    int64_t received;       /* FETCH/ROOMS start at 1: this node */
    json_t *acc;            /* FETCH, SSE: an array; ROOMS: an object used as an ordered set */
    struct adapter_msg req; /* the request, published once the count is known */
    hub_cluster_fn cb;
    void *ud;
    struct hub_ackop *op; /* BROADCAST: the broadcast it belongs to */
};

/* A server's cluster membership (cluster.c). */
struct hub_cluster {
    const struct hub_adapter_ops *ops;
    void *be;
    char uid[HUB_ADAPTER_ID_MAX + 1];
    uint64_t requests_timeout_ms;
    uint64_t seq;
    struct hub_map reqs; /* request id -> hub_creq */
};

/* The Socket.IO layer's counters (hub_server_stats). */
struct hub_sio_counters {
    uint64_t connects, connect_errors, disconnects;
    uint64_t events_in, events_out;
    uint64_t acks_pending, acks_received, acks_timed_out;
    uint64_t broadcasts, broadcast_recipients;
    uint64_t fanout[HUB_FANOUT_BUCKETS];
};

struct hub_observer_slot {
    const struct hub_observer *ob;
    void *ud;
};

struct hub_server {
    uv_loop_t *loop;
    const struct hub_config *cfg;
    eio_server *eio;
    struct sio_limits lim;
    uint64_t k0, k1;
    struct hub_map nsps; /* name -> hub_nsp */
    struct hub_client *clients;
    size_t nclients;
    struct hub_ackop *multi_ops;
    struct hub_cluster *cluster; /* NULL: a cluster of one */
    uv_timer_t timer;
    struct hub_deadline **heap;
    size_t heap_len, heap_cap;
    int shut;
    int freeing;
    int finalizing;
    struct hub_sio_counters n;
    struct hub_observer_slot observers[HUB_OBSERVERS_MAX];
    size_t nobservers;
};

/* Runs hook `fn` of every observer of srv that has one, with the arguments after ud. */
#define HUB_OBSERVE(srv, fn, ...)                                                                  \
    do {                                                                                           \
        for (size_t ob_i_ = 0; ob_i_ < (srv)->nobservers; ob_i_++)                                 \
            if ((srv)->observers[ob_i_].ob->fn)                                                    \
                (srv)->observers[ob_i_].ob->fn((srv)->observers[ob_i_].ud, __VA_ARGS__);           \
    } while (0)
/* 1 when some observer of srv has hook fn. */
#define HUB_OBSERVED(srv, fn) hub_sio_observed((srv), offsetof(struct hub_observer, fn))
int hub_sio_observed(const hub_server *srv, size_t hook_offset);

/* socketio.c */
/* Arms dl to fire after delay_ms (re-arms when armed). Returns 0 or HUB_ENOMEM (not armed). */
int hub_sio_deadline_arm(hub_server *srv, struct hub_deadline *dl, uint64_t delay_ms);
void hub_sio_deadline_cancel(hub_server *srv, struct hub_deadline *dl);
void hub_sio_socket_hold(hub_socket *s);
void hub_sio_socket_release(hub_socket *s);
/* A new reference to the socket's handshake object (the cached one, or one built now and not kept:
 * cluster replies about many sockets must not leave a copy on each). */
json_t *hub_sio_socket_handshake_new(const hub_socket *s);

/* Counts a broadcast that reached n local sockets. */
void hub_sio_count_broadcast(hub_server *srv, size_t n);

/* emit.c */
/* Sends a packet with no payload or a given one (CONNECT, CONNECT_ERROR, DISCONNECT) on nsp name.
 */
int hub_sio_send_packet(struct hub_client *c, enum sio_type type, const char *nsp,
                        const json_t *data);
/* An ACK or BINARY_ACK arrived for s; p may be emptied (its contents moved). */
void hub_sio_on_ack(hub_socket *s, struct sio_packet *p);
/* s disconnected: its single acks complete with HUB_ECLOSED, it leaves the broadcasts it was in. */
void hub_sio_socket_fail_acks(hub_socket *s);
/* Completes every broadcast-with-ack with HUB_ECLOSED (shutdown). */
void hub_sio_server_fail_acks(hub_server *srv);
/* Delivers data ([event, ...args], placeholders matching bufs) to the local sockets of the target,
 * encoded once. Returns the number of sockets it was queued for, or HUB_ENOMEM. */
int hub_sio_broadcast_local(hub_nsp *nsp, const struct hub_target *t, const json_t *data,
                            const struct sio_buf *bufs, size_t nbufs);
/* Another node's BROADCAST request (type 7): delivers it locally asking for acknowledgements,
 * publishes the client count at once, then each answer as it comes. */
void hub_sio_relay_broadcast(hub_nsp *nsp, struct adapter_msg *m);
/* A broadcast-with-ack's request learnt the server count (n < 0: unknown) or got an answer. */
void hub_sio_op_count(struct hub_ackop *op, int n);
void hub_sio_op_response(struct hub_ackop *op, struct adapter_msg *m);
/* cluster.c */
/* Publishes a broadcast of data (+ bufs) to the target, unless there is no cluster or the target
 * is local. Errors are logged, not returned: local delivery already happened. */
void hub_cluster_publish_broadcast(hub_nsp *nsp, const struct hub_target *t, const json_t *data,
                                   const struct sio_buf *bufs, size_t nbufs);
/* Asks the other nodes to broadcast data with acknowledgements for op (flags.timeout timeout_ms).
 * Sets op->creq and asks for the server count; returns 0, or an error (op stays local). */
int hub_cluster_broadcast_request(struct hub_ackop *op, const struct hub_target *t,
                                  const json_t *data, const struct sio_buf *bufs, size_t nbufs,
                                  uint64_t timeout_ms);
/* op completed: forget its request. */
void hub_cluster_request_drop(struct hub_creq *r);
/* Publishes an answer m on nsp's cluster. Returns 0 or a negative HUB_E*. */
int hub_cluster_publish_response(hub_nsp *nsp, const struct adapter_msg *m);
/* Answers a server-side event's acknowledgement with args[0]. */
int hub_cluster_ack_send(hub_ack *ack, const json_t *args);
/* A namespace was created: the back end listens to it. */
void hub_cluster_nsp_open(hub_nsp *nsp);
/* Shutdown: pending requests complete with HUB_ECLOSED, the back end closes. */
void hub_cluster_shutdown(hub_server *srv);

#endif
