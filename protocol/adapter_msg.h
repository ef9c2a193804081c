/* adapter_msg.h - the messages of the classic @socket.io/redis-adapter protocol (8.x), as published
 * by Node.js socket.io servers, @socket.io/redis-emitter and Hubbub nodes. A pure codec: no I/O, no
 * channels (the back end names those), everything allocated through hub_alloc.
 *
 * Three kinds of message travel (docs: /work/shared/protocols/redis-adapter.md, sections 1.3-1.6):
 *   - a broadcast, on <key>#<nsp># or <key>#<nsp>#<room>#: always MessagePack, the array
 *     [uid, {type: 2, data, nsp}, {rooms, except, flags}];
 *   - a request, on <key>-request#<nsp>#: a JSON object (first byte '{'), or a MessagePack map
 *     (BROADCAST, type 7, which may carry binary);
 *   - a response, on <key>-response#<nsp># (or its per-node variant): JSON, or MessagePack for
 *     BROADCAST_ACK (type 9). Answers to SOCKETS, ALL_ROOMS, REMOTE_FETCH and the legacy
 * join/leave/ disconnect forms carry no type: the requester knows what it asked by the request id.
 *
 * The MessagePack dialect is notepack.io 3's: strings are str (UTF-8), binary is bin, integers take
 * the smallest encoding, other numbers are float64, maps have string keys. Decoding accepts every
 * MessagePack type: float32, any integer width, ext (timestamp ext -1 becomes an ISO-8601 string as
 * Node would send a Date; another ext becomes [type, <binary>]); invalid UTF-8 in a str is replaced
 * with U+FFFD as notepack does; NaN and infinities become null as JSON.stringify makes them.
 *
 * Binary: on Hubbub's side it stays in Socket.IO's wire form, JSON holding placeholders
 * {"_placeholder":true,"num":N} plus an array of struct sio_buf; on the Redis side each bin value
 * sits where its placeholder was. Decoding turns every bin into a placeholder, in document order;
 * encoding turns placeholders back into bin when nbufs > 0 (with nbufs 0 an object that looks like
 * a placeholder is plain data, as in Socket.IO). JSON requests and responses cannot carry binary
 * (Node turns a Buffer into {"type":"Buffer","data":[...]}): only broadcasts and types 7 and 9 do.
 */
#ifndef HUB_ADAPTER_MSG_H
#define HUB_ADAPTER_MSG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sio.h"

/* The request types of the classic adapter (its RequestType enum). */
enum adapter_type {
    ADAPTER_SOCKETS = 0,
    ADAPTER_ALL_ROOMS = 1,
    ADAPTER_REMOTE_JOIN = 2,
    ADAPTER_REMOTE_LEAVE = 3,
    ADAPTER_REMOTE_DISCONNECT = 4,
    ADAPTER_REMOTE_FETCH = 5,
    ADAPTER_SERVER_SIDE_EMIT = 6,
    ADAPTER_BROADCAST = 7,
    ADAPTER_BROADCAST_CLIENT_COUNT = 8,
    ADAPTER_BROADCAST_ACK = 9,
};
/* A decoded response without a "type" member. */
#define ADAPTER_NO_TYPE (-1)
/* flags.timeout absent. */
#define ADAPTER_NO_TIMEOUT (-1)

/* An owned array of owned NUL-terminated strings. */
struct adapter_strv {
    char **v;
    size_t n;
};

/* opts.flags. Unknown flags are ignored when decoding and never written. */
struct adapter_flags {
    int is_volatile;    /* "volatile" */
    int compress;       /* "compress": -1 absent, else 0/1 */
    int local;          /* "local" (never published by Node; accepted) */
    int expect_single;  /* "expectSingleResponse" */
    int64_t timeout_ms; /* "timeout", ADAPTER_NO_TIMEOUT when absent */
};

/* One message of any kind; which members mean something depends on the kind and the type, as
 * noted. Everything is owned by the message: free with adapter_msg_clear(). A zeroed message with
 * adapter_msg_init() applied is empty. */
struct adapter_msg {
    int type;         /* a request or response type; for a broadcast: ADAPTER_NO_TYPE */
    char *uid;        /* the sender (broadcast, requests); NULL when absent (the emitter's 2/3/4) */
    char *request_id; /* requests 0, 1, 5, 6 (with ack), 7 and legacy 2/3/4; every response */

    /* broadcast and BROADCAST (7): the Socket.IO packet */
    int packet_type; /* 2 (EVENT) on the wire */
    char *nsp;       /* packet.nsp, "/" when absent */
    /* broadcast, 7: packet.data [event, ...args]; SERVER_SIDE_EMIT: data [event, ...args];
     * response 6: data (the ack argument, NULL when absent); response 9: packet (the client's first
     * ack argument, NULL when absent) */
    json_t *data;
    struct sio_buf *bufs; /* the attachments the placeholders in data refer to */
    size_t nbufs;

    /* broadcast, 2, 3, 4, 5, 7: opts */
    int has_opts;
    struct adapter_strv rooms;  /* opts.rooms; empty means every socket */
    struct adapter_strv except; /* opts.except */
    struct adapter_flags flags; /* opts.flags */

    /* request 0: rooms; requests 2/3: the rooms to join or leave; response to 1: rooms; response
     * to 0: the socket ids ("sockets") */
    struct adapter_strv names;
    int has_names;
    int close;            /* request 4 */
    char *sid;            /* legacy 2/3/4: the socket */
    char *room;           /* legacy 2/3: the room */
    json_t *sockets;      /* response to 5: [{id, handshake, rooms, data}, ...] */
    int64_t client_count; /* response 8 */
};

/* Decoding limits. */
struct adapter_limits {
    size_t max_depth;       /* nesting of arrays/maps in a MessagePack message; default 512 */
    size_t max_attachments; /* bin values per message; default 256 */
};
// clang-format off
#define ADAPTER_LIMITS_DEFAULT {512, 256}
// clang-format on

/* A growable output buffer (hub_alloc). Start zeroed; adapter_out_free() when done. */
struct adapter_out {
    uint8_t *data;
    size_t len, cap;
};
void adapter_out_free(struct adapter_out *out);

void adapter_msg_init(struct adapter_msg *m);
/* Frees everything m owns and re-initialises it. */
void adapter_msg_clear(struct adapter_msg *m);

/* Broadcast: appends the MessagePack array [uid, {type, data, nsp}, {rooms, except, flags}] to
 * out, from m->uid, m->packet_type, m->data (+ bufs), m->nsp, m->rooms, m->except and m->flags
 * (only the flags that are set). Returns 0, HUB_EINVAL (uid, nsp or data missing; a placeholder
 * that does not match bufs) or HUB_ENOMEM (out keeps what it had). */
int adapter_broadcast_encode(const struct adapter_msg *m, struct adapter_out *out);
/* Decodes a broadcast into out (which must be initialised and is overwritten). Returns 0,
 * HUB_EPARSE (not a MessagePack array of uid, packet map and opts map; trailing bytes, as
 * notepack), HUB_ELIMIT (deeper or more attachments than lim allows; lim NULL for the defaults) or
 * HUB_ENOMEM. On error out is left empty. */
int adapter_broadcast_decode(const uint8_t *buf, size_t len, const struct adapter_limits *lim,
                             struct adapter_msg *out);

/* Request: appends m (m->type 0..7) to out as the classic adapter writes it: JSON for types 0-6,
 * MessagePack for BROADCAST (7). Members written per type: 0 uid, requestId, rooms (names);
 * 1 uid, requestId; 2/3 uid, opts, rooms (names) - or, with sid set, the legacy requestId, sid,
 * room; 4 uid, opts, close - or legacy requestId, sid, close; 5 uid, requestId, opts; 6 uid, data,
 * requestId when set; 7 uid, requestId, packet, opts with flags. uid NULL is left out (as the
 * emitter does). Returns 0, HUB_EINVAL or HUB_ENOMEM. */
int adapter_request_encode(const struct adapter_msg *m, struct adapter_out *out);
/* Decodes a request (JSON when the first byte is '{', else MessagePack). Returns 0, HUB_EPARSE
 * (malformed, not an object, no integer type, a member of the wrong type), HUB_ELIMIT or
 * HUB_ENOMEM. Unknown types decode (type set, nothing else): the caller ignores them. */
int adapter_request_decode(const uint8_t *buf, size_t len, const struct adapter_limits *lim,
                           struct adapter_msg *out);

/* Response: m->type names the request it answers: 0 {requestId, sockets: names}, 1 {requestId,
 * rooms: names}, 2/3/4 {requestId} (legacy), 5 {requestId, sockets}, 6 {type, requestId, data}, 8
 * {type, requestId, clientCount} as JSON; 9 {type, requestId, packet: data} as MessagePack.
 * Returns 0, HUB_EINVAL or HUB_ENOMEM. */
int adapter_response_encode(const struct adapter_msg *m, struct adapter_out *out);
/* Decodes a response (JSON or MessagePack, as requests). type is ADAPTER_NO_TYPE when the message
 * has none; names/has_names come from "rooms", or from "sockets" when it holds strings, sockets
 * from "sockets" when it holds objects. Returns 0, HUB_EPARSE (also: no string requestId),
 * HUB_ELIMIT or HUB_ENOMEM. */
int adapter_response_decode(const uint8_t *buf, size_t len, const struct adapter_limits *lim,
                            struct adapter_msg *out);

/* Copies n strings into sv (replacing what it held). Returns 0 or HUB_ENOMEM (sv empty). */
int adapter_strv_set(struct adapter_strv *sv, const char *const *v, size_t n);
/* Appends a copy of s. Returns 0 or HUB_ENOMEM. */
int adapter_strv_push(struct adapter_strv *sv, const char *s);
void adapter_strv_clear(struct adapter_strv *sv);

#endif
