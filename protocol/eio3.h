/* eio3.h - Engine.IO v3 payload codec (pure: no I/O, no allocation, no globals).
 *
 * What v3 (the reference's engine.io/build/parser-v3, from engine.io-parser 2.2) does differently
 * from v4 (eio.h):
 * - a text polling payload frames each packet as "<length>:<packet>", the length counted in UTF-16
 *   code units as a JavaScript string counts them; a binary packet in it is "b" + type digit + base64;
 * - a binary polling payload (Content-Type application/octet-stream, XHR2) frames each packet as one
 *   byte (0: string, 1: binary), the length as one byte per decimal digit, the byte 255, then the
 *   packet: a string packet as its UTF-8 bytes, a binary one as the type byte followed by the data;
 * - a WebSocket binary frame starts with the type byte.
 * Results point into the caller's buffer (or the caller's scratch for base64). */
#ifndef HUB_EIO3_H
#define HUB_EIO3_H

#include <stddef.h>
#include <stdint.h>

#include "eio.h"

/* The reference refuses a binary payload length of more than this many digits. */
#define EIO3_LEN_DIGITS_MAX 310
/* Room eio3_text_header() and eio3_binary_header() need. */
#define EIO3_HEADER_MAX 24

/* UTF-16 code units of the UTF-8 text s (a 4-byte sequence counts 2; a byte that starts no valid
 * sequence counts 1, as the U+FFFD a decoder puts in its place). */
size_t eio3_utf16_len(const char *s, size_t len);

/* Iterates the packets of a text payload. *pos starts at 0. Returns 1 with *pkt and *pkt_len set to
 * the next packet (never empty: empty records "0:" are skipped, as the reference does), 0 at the
 * end, or HUB_EPARSE for an empty payload, a length that is not decimal digits, a record that is
 * shorter than its length or splits a character, or trailing bytes. */
int eio3_payload_next(const char *buf, size_t len, size_t *pos, const char **pkt, size_t *pkt_len);

/* Decodes one text packet: "<type digit><data>", or "b<type digit><base64>" for binary data, which is
 * decoded into scratch (b64_decoded_max(len) bytes; may be NULL for other packets). Returns 0 or
 * HUB_EPARSE (empty, type not 0-6, bad base64). */
int eio3_decode_packet(const char *s, size_t len, uint8_t *scratch, struct eio_packet *out);

/* Decodes a binary packet (a WebSocket binary frame, or a binary record of a binary payload): the
 * type byte, then the data. Returns 0 or HUB_EPARSE (empty, type over 6). */
int eio3_decode_binary(const uint8_t *data, size_t len, struct eio_packet *out);

/* Iterates the records of a binary payload. *pos starts at 0. Returns 1 with *is_string, *rec and
 * *rec_len set (a string record holds a text packet for eio3_decode_packet(), a binary one a packet
 * for eio3_decode_binary()), 0 at the end, or HUB_EPARSE for a bad kind byte, a missing 255, a
 * length of no digit, of a byte over 9 or of more than EIO3_LEN_DIGITS_MAX digits, or a record
 * shorter than its length. */
int eio3_binary_payload_next(const uint8_t *buf, size_t len, size_t *pos, int *is_string,
                             const uint8_t **rec, size_t *rec_len);

/* Writes "<units>:" into dst (EIO3_HEADER_MAX bytes). Returns the bytes written. */
size_t eio3_text_header(char *dst, size_t units);
/* Writes a binary payload record header: is_string ? 0 : 1, the decimal digits of len as bytes, 255.
 * dst holds EIO3_HEADER_MAX bytes. Returns the bytes written. */
size_t eio3_binary_header(uint8_t *dst, int is_string, size_t len);

/* Bytes eio3_encode_b64() writes for len bytes of data ("b" + type digit + base64). */
size_t eio3_b64_len(size_t len);
/* Writes "b<type digit><base64(data)>" into dst (eio3_b64_len(len) bytes). Returns the bytes written. */
size_t eio3_encode_b64(enum eio_type type, const uint8_t *data, size_t len, char *dst);

#endif
