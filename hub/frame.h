/* frame.h - an encoded Engine.IO packet, built once and shared by reference by every recipient.
 *
 * A frame holds a complete server WebSocket frame (header + payload) in one allocation, so a WebSocket
 * connection copies it into its write batch as is, and the Engine.IO packet bytes (the payload), which the
 * polling transport writes as a segment ("4..." for text, base64 for binary). Frames are immutable once
 * built and reference-counted; the loop is single-threaded, so the count is a plain integer.
 *
 * hub_outq is a connection's bounded send queue of frame references. */
#ifndef HUB_FRAME_H
#define HUB_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "eio.h"

typedef struct hub_frame hub_frame;

/* Returns a new frame (refcount 1) for a text packet: the type digit followed by len bytes of data.
 * NULL on allocation failure. */
hub_frame *hub_frame_new_text(enum eio_type type, const char *data, size_t len);
/* Returns a new frame (refcount 1) for a binary MESSAGE carrying len bytes. NULL on allocation failure. */
hub_frame *hub_frame_new_binary(const void *data, size_t len);
/* Engine.IO v3 sends a binary MESSAGE over the WebSocket as a binary frame that starts with the type
 * byte, or (b64) as a text frame "b4<base64>". hub_frame_v3_ws_len() is the size of that whole frame;
 * hub_frame_v3_ws_write() writes it into dst (that many bytes); hub_frame_new_v3_ws() returns a new
 * frame (refcount 1) whose WebSocket bytes are that frame, or NULL on allocation failure. For binary
 * frames only. */
size_t hub_frame_v3_ws_len(const hub_frame *f, int b64);
size_t hub_frame_v3_ws_write(const hub_frame *f, int b64, uint8_t *dst);
hub_frame *hub_frame_new_v3_ws(const hub_frame *f, int b64);
/* Returns frame with one more reference. */
hub_frame *hub_frame_ref(hub_frame *f);
/* Drops a reference; the last one frees the frame. NULL is a no-op. */
void hub_frame_unref(hub_frame *f);

/* The whole WebSocket frame (header and payload). Borrowed: valid while the caller holds a reference. */
const uint8_t *hub_frame_ws(const hub_frame *f, size_t *len);
/* The Engine.IO packet: for text, type digit + data; for binary, the raw bytes. */
const uint8_t *hub_frame_packet(const hub_frame *f, size_t *len);
int hub_frame_is_binary(const hub_frame *f);
enum eio_type hub_frame_type(const hub_frame *f);

/* A bounded FIFO of frame references. bytes counts the WebSocket sizes of queued frames. */
struct hub_outq {
    hub_frame **ring;
    size_t cap, head, count;
    size_t bytes;
};

void hub_outq_init(struct hub_outq *q);
/* Drops every reference and frees the ring. */
void hub_outq_clear(struct hub_outq *q);
/* Appends a new reference to f. Returns 0 or HUB_ENOMEM. Limits are the caller's business: check
 * q->bytes before pushing. */
int hub_outq_push(struct hub_outq *q, hub_frame *f);
/* The oldest frame (borrowed), or NULL. */
hub_frame *hub_outq_peek(const struct hub_outq *q);
/* Removes the oldest frame and returns its reference to the caller (who must unref it), or NULL. */
hub_frame *hub_outq_pop(struct hub_outq *q);
/* Moves every frame of src to the end of dst (src ends empty). Returns 0 or HUB_ENOMEM (nothing moved). */
int hub_outq_move(struct hub_outq *dst, struct hub_outq *src);

#endif
