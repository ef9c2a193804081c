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
    char id[HUB_SOCKET_ID_LEN + 1];
    hub_nsp *nsp;
    struct hub_client *c;
    json_t *handshake;
    void *user;
    enum hub_socket_state state;
    int refs;
    char *reject_msg;
    json_t *reject_data;
    struct hub_pending *acks; /* acknowledgements it owes the server */
    hub_socket *prev, *next;  /* in the client's list */
};

/* One socket's outstanding acknowledgement, in the socket's list and (for a broadcast) the op's. */
struct hub_pending {
    struct hub_pending *s_prev, *s_next;
    struct hub_pending *o_prev, *o_next;
    hub_socket *s;
    struct hub_ackop *op;
};

struct hub_reply_rec {
    char id[HUB_SOCKET_ID_LEN + 1];
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
    size_t expected, nreplies;
    struct hub_reply_rec *replies;
    struct hub_ackop *prev, *next; /* multi: in the server's list */
};

struct hub_ack {
    hub_nsp *nsp;
    char sid[HUB_SOCKET_ID_LEN + 1];
    int64_t id;
    int answered;
    int borrowed; /* the dispatcher's handle (ev->ack), on its stack */
    int taken;    /* borrowed: hub_ack_take() moved it to a copy */
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
    uv_timer_t timer;
    struct hub_deadline **heap;
    size_t heap_len, heap_cap;
    int shut;
    int freeing;
    int finalizing;
};

/* socketio.c */
/* Arms dl to fire after delay_ms (re-arms when armed). Returns 0 or HUB_ENOMEM (not armed). */
int hub_sio_deadline_arm(hub_server *srv, struct hub_deadline *dl, uint64_t delay_ms);
void hub_sio_deadline_cancel(hub_server *srv, struct hub_deadline *dl);
void hub_sio_socket_hold(hub_socket *s);
void hub_sio_socket_release(hub_socket *s);

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

#endif
