/* engine.h - Engine.IO v4 sessions, independent of how bytes reach them.
 *
 * An eio_server owns the sessions of one event loop. The transports (HTTP long-polling and WebSocket,
 * in the libwebsockets glue, or an in-memory transport in tests) feed it requests and frames; the layer
 * above (Socket.IO) sees only sessions that open, deliver MESSAGE packets, accept frames to send and close.
 *
 * Lifetimes: a session exists from the open callback until the close callback returns; after that the
 * pointer is gone. Callbacks run on the loop thread, never re-entrantly from eio_session_send(). */
#ifndef HUB_ENGINE_H
#define HUB_ENGINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "frame.h"

typedef struct eio_server eio_server;
typedef struct eio_session eio_session;

struct eio_options {
    int ping_interval_ms;      /* default 25000 */
    int ping_timeout_ms;       /* default 20000 */
    int upgrade_timeout_ms;    /* default 10000 */
    size_t max_payload;        /* largest packet or polling body accepted, default 1000000 */
    size_t max_buffered_bytes; /* a session whose send queue grows past this is closed */
    int allow_eio3;
};

struct eio_callbacks {
    /* A session finished its handshake. */
    void (*open)(void *ud, eio_session *s);
    /* A MESSAGE packet arrived; data is borrowed for the duration of the call. */
    void (*message)(void *ud, eio_session *s, const uint8_t *data, size_t len, int binary);
    /* The session is closed; it is freed when this returns. reason is the reference server's word:
     * "transport close", "transport error", "ping timeout", "parse error", "forced close",
     * "server shutting down". */
    void (*close)(void *ud, eio_session *s, const char *reason);
    /* Optional: the session moved from polling to the WebSocket. */
    void (*upgrade)(void *ud, eio_session *s);
};

/* The reasons a session closes, in the order of eio_close_reason_name(). */
enum eio_close_reason {
    EIO_CLOSE_TRANSPORT_CLOSE,
    EIO_CLOSE_TRANSPORT_ERROR,
    EIO_CLOSE_PING_TIMEOUT,
    EIO_CLOSE_PARSE_ERROR,
    EIO_CLOSE_FORCED,
    EIO_CLOSE_SHUTDOWN,
    EIO_CLOSE_OTHER,
    EIO_CLOSE_REASONS
};

/* The reference's word for a close reason ("transport close", ...; "other"). A static string. */
const char *eio_close_reason_name(enum eio_close_reason r);

/* What a server counted since it started: plain integers updated on the loop, read by metrics. Packets
 * are Engine.IO packets of every type (pings, pongs and messages; an attachment is a packet of its
 * own); bytes are their encoded sizes (the type digit and the data, binary data raw), without the
 * transports' framing. A packet sent to n sessions counts n times. */
struct eio_stats {
    uint64_t opened;                      /* sessions that finished their handshake */
    uint64_t closed[EIO_CLOSE_REASONS];   /* sessions closed, by reason */
    uint64_t upgrades;                    /* polling sessions that moved to the WebSocket */
    uint64_t packets_in, bytes_in;        /* received from clients */
    uint64_t packets_out, bytes_out;      /* queued for clients */
    uint64_t slow_consumers;              /* closed for a send queue over maxBufferedBytes */
    size_t open;                          /* sessions open now */
    size_t websocket;                     /* ... of which on the WebSocket (the others poll) */
};

/* Returns a new server on loop, or NULL. cb and ud are borrowed for the server's life. */
eio_server *eio_server_new(uv_loop_t *loop, const struct eio_options *opt, const struct eio_callbacks *cb,
                           void *ud);
/* Closes every session ("server shutting down": queued packets are flushed where the transport allows,
 * then a close packet) and frees the server once they are gone. */
void eio_server_free(eio_server *srv);
uv_loop_t *eio_server_loop(const eio_server *srv);
/* Number of open sessions. */
size_t eio_server_count(const eio_server *srv);
/* Number of sessions closed because their send queue went over max_buffered_bytes. */
uint64_t eio_server_slow_consumers(const eio_server *srv);
/* Copies the server's counters into *st. */
void eio_server_stats(const eio_server *srv, struct eio_stats *st);

/* Queues n frames to be sent in order, as one unit: all or none. Takes its own references. Returns 0;
 * HUB_ECLOSED when the session is closing; HUB_EFULL when the queue would exceed max_buffered_bytes, in
 * which case the session is closed as a slow consumer (its close callback runs later, from the loop). */
int eio_session_send(eio_session *s, hub_frame *const *frames, size_t n);
/* 1 when a packet sent now would be written without waiting behind a backlog (for volatile emits). */
int eio_session_writable(const eio_session *s);
/* Closes the session from the server side: queued packets are flushed, then a close packet is sent.
 * The close callback runs later with reason "forced close". */
void eio_session_close(eio_session *s);

const char *eio_session_id(const eio_session *s);
/* The Engine.IO revision the client speaks: 4, or 3 (only with allow_eio3). */
int eio_session_protocol(const eio_session *s);
/* "polling" or "websocket". */
const char *eio_session_transport(const eio_session *s);
/* Returns a new object with the handshake details: {"headers":{...},"time":"<date>","address":"<ip>",
 * "xdomain":bool,"secure":bool,"issued":<ms>,"url":"<request url>","query":{...}}, or NULL on
 * allocation failure. Built on each call from a compact copy of the request (an idle session keeps
 * no JSON); the caller owns the result. */
json_t *eio_session_handshake_new(const eio_session *s);
void eio_session_set_user(eio_session *s, void *user);
void *eio_session_user(const eio_session *s);

#endif
