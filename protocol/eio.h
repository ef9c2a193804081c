/* eio.h - Engine.IO v4 packet codec (pure: no I/O, no allocation, no globals).
 *
 * An Engine.IO packet is a type digit followed by data ("4hello"), or, for binary data over WebSocket, the
 * raw bytes of a binary frame (no type byte; always a MESSAGE). Over HTTP long-polling a payload holds
 * packets separated by the record separator 0x1E, and a binary packet is written "b" + base64. Results point
 * into the caller's buffer. */
#ifndef HUB_EIO_H
#define HUB_EIO_H

#include <stddef.h>
#include <stdint.h>

#define EIO_SEPARATOR 0x1e

enum eio_type {
    EIO_OPEN = 0,
    EIO_CLOSE = 1,
    EIO_PING = 2,
    EIO_PONG = 3,
    EIO_MESSAGE = 4,
    EIO_UPGRADE = 5,
    EIO_NOOP = 6,
};

struct eio_packet {
    enum eio_type type;
    int binary;          /* 1: data is raw bytes (a binary MESSAGE) */
    const uint8_t *data; /* points into the input (text) or the caller's scratch (base64-decoded) */
    size_t len;
};

/* Decodes one text packet: a WebSocket text frame, or one polling segment that does not start with 'b'.
 * Returns 0, or HUB_EPARSE for an empty input or a type that is not a digit 0-6. */
int eio_decode_text(const char *s, size_t len, struct eio_packet *out);

/* Wraps the bytes of a WebSocket binary frame as a binary MESSAGE packet. Never fails. */
void eio_decode_binary(const uint8_t *data, size_t len, struct eio_packet *out);

/* Iterates the segments of a polling payload. *pos starts at 0. Returns 1 with *seg and *seg_len set to the
 * next segment (which may be empty: callers treat an empty segment as a parse error), or 0 at the end. */
int eio_payload_next(const char *buf, size_t len, size_t *pos, const char **seg, size_t *seg_len);

/* Decodes one polling segment. A segment starting with 'b' is base64: it is decoded into scratch, which
 * must hold b64_decoded_max(seg_len - 1) bytes (may be NULL when the segment is text). Returns 0 or
 * HUB_EPARSE. */
int eio_decode_segment(const char *seg, size_t seg_len, uint8_t *scratch, struct eio_packet *out);

/* Bytes eio_encode_segment() writes for a packet of this kind (text: 1 + len; binary: 1 + base64). */
size_t eio_segment_len(int binary, size_t len);
/* Writes one polling segment: type digit + data for text, "b" + base64(data) for binary. dst must hold
 * eio_segment_len() bytes. Returns the number of bytes written. */
size_t eio_encode_segment(enum eio_type type, int binary, const uint8_t *data, size_t len, char *dst);

#endif
