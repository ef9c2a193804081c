/* engine_transport.h - the side of the Engine.IO engine that transports drive.
 *
 * A transport (the libwebsockets glue, or an in-memory transport in tests) turns HTTP requests and
 * WebSocket frames into these calls and writes what they return. It never interprets Engine.IO itself.
 *
 * Connections are the transport's opaque pointers (void *conn). The engine asks for writes with
 * ops->want_write(conn) and closes WebSocket connections with ops->close(conn); the transport then calls
 * eio_ws_writable()/eio_poll_reply() from its writeable callback, and eio_ws_closed()/eio_poll_dropped()
 * when a connection ends. Sessions handed to the transport are held (eio_session_hold) and released by
 * the transport when its connection is done with them; calls on a closed session are harmless. */
#ifndef HUB_ENGINE_TRANSPORT_H
#define HUB_ENGINE_TRANSPORT_H

#include "engine.h"

struct eio_transport_ops {
    /* Call back eio_ws_writable() (WebSocket) or eio_poll_reply() (a held GET) when writeable. */
    void (*want_write)(void *conn);
    /* Close a WebSocket connection (after what was already handed to it is written, if possible). */
    void (*close)(void *conn);
    /* Optional: 0 when the peer of a held GET has already gone (checked when another GET arrives, so a
     * client that dropped its poll and polls again is not taken for an overlapping poll). */
    int (*alive)(void *conn);
};

void eio_server_set_transport(eio_server *srv, const struct eio_transport_ops *ops);

enum eio_method { EIO_M_GET, EIO_M_POST, EIO_M_OPTIONS, EIO_M_OTHER };

/* What the transport read from an HTTP request (or WebSocket upgrade request). All borrowed. */
struct eio_request {
    enum eio_method method;
    const char *eio;       /* query EIO, or NULL */
    const char *transport; /* query transport, or NULL */
    const char *sid;       /* query sid, or NULL */
    const char *url;       /* path and query as received */
    const char *address;   /* peer IP */
    int secure;
    int binary_content;    /* Content-Type: application/octet-stream (refused in EIO4) */
    int b64;               /* query b64 given: EIO3 binary goes as base64 text on this transport */
    const char *jsonp;     /* query j, or NULL; given to a polling handshake, the session is JSONP */
    json_t *headers;       /* lower-case name -> value, for the handshake object */
    json_t *query;         /* name -> value */
};

/* A reply to write: status, content type and body (owned: hub_free). */
struct eio_reply {
    int status;
    const char *content_type; /* static string */
    char *body;
    size_t len;
};
void eio_reply_clear(struct eio_reply *r);

enum eio_poll_result {
    EIO_REPLY_NOW = 0, /* reply is filled: write it */
    EIO_HELD = 1,      /* a GET is held: want_write(conn) will come, then call eio_poll_reply() */
    EIO_READ_BODY = 2, /* a POST for *session: read the body (eio_post_limit bytes at most), then
                          call eio_poll_post() */
};

/* Handles a polling request (handshake, GET, or the head of a POST). For EIO_HELD and EIO_READ_BODY,
 * *session is set and held for the transport. */
enum eio_poll_result eio_poll_request(eio_server *srv, const struct eio_request *req, void *conn,
                                      eio_session **session, struct eio_reply *reply);
/* Builds the reply of a held GET (after want_write). Returns 0, or HUB_ESTATE when nothing is to be
 * sent yet (spurious writeable). */
int eio_poll_reply(eio_session *s, void *conn, struct eio_reply *reply);
/* The transport lost a held GET's connection before it was answered: the session closes. */
void eio_poll_dropped(eio_session *s, void *conn);
/* Largest POST body accepted (maxPayload). */
size_t eio_post_limit(const eio_server *srv);
/* A POST body arrived whole. Fills the reply ("ok", or an error). */
void eio_poll_post(eio_session *s, const char *body, size_t len, struct eio_reply *reply);
/* A POST body went over eio_post_limit(): fills a 413 reply; the session stays open. */
void eio_poll_post_too_large(eio_session *s, struct eio_reply *reply);

/* Fills a 400 reply with the Engine.IO error body {"code":code,"message":"..."}. */
void eio_reply_error(struct eio_reply *reply, int code);

/* A WebSocket upgrade request: a new session (no sid) or the probe of a polling session. Returns 0 with
 * *session held for conn, or an Engine.IO error code (0, 1, 3, 5) to refuse the upgrade. */
int eio_ws_open(eio_server *srv, const struct eio_request *req, void *conn, eio_session **session);
/* A whole WebSocket message arrived on conn. */
void eio_ws_message(eio_session *s, void *conn, const uint8_t *data, size_t len, int binary);
/* A message went over maxPayload: the session closes. */
void eio_ws_too_large(eio_session *s, void *conn);
/* Copies whole queued WebSocket frames for conn into buf (cap bytes). Returns the bytes copied and sets
 * *more when frames remain. When the first frame alone is larger than cap, nothing is copied and *big is
 * set to a new reference to that frame (already taken off the queue): write it on its own. */
size_t eio_ws_writable(eio_session *s, void *conn, uint8_t *buf, size_t cap, int *more,
                       hub_frame **big);
/* conn closed (by either side). */
void eio_ws_closed(eio_session *s, void *conn);

void eio_session_hold(eio_session *s);
void eio_session_release(eio_session *s);

#endif
