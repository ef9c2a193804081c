/* jsonp.h - the reference's JSONP polling framing (engine.io build/transports/polling-jsonp.js), pure:
 * no I/O, no allocation, no globals.
 *
 * A polling session opened with a `j` query parameter (any Engine.IO revision) wraps each GET body
 * as `___eio[<digits of j>](<payload as JSON>);` and takes POST bodies form-encoded as `d=<payload>`.
 * The payload inside is the session's normal framing. */
#ifndef HUB_JSONP_H
#define HUB_JSONP_H

#include <stddef.h>
#include <stdint.h>

/* The reference reads at most this many '&'-separated pairs of a form body (querystring maxKeys). */
#define JSONP_FORM_PAIRS_MAX 1000

/* Writes the decimal digits of the j value (len bytes) into dst (len bytes at most): the callback
 * index, as the reference's j.replace(/[^0-9]/g, ""). Returns the digits written. */
size_t jsonp_index(const char *j, size_t len, char *dst);

/* Bytes jsonp_encode() may write for a payload of len bytes and an index of idx_len digits, or 0
 * when that would overflow a size_t. */
size_t jsonp_encoded_max(size_t idx_len, size_t len);

/* Writes `___eio[<index>](<js>);` into dst (jsonp_encoded_max() bytes). For a text payload (buffer
 * 0) js is JSON.stringify(payload) with U+2028 and U+2029 written as \u2028 and \u2029, as the
 * reference does (bytes that are not UTF-8 are copied as they are); for a binary one (buffer 1, a
 * v3 XHR2 payload) it is what JSON.stringify makes of a Node Buffer: {"type":"Buffer","data":[...]}.
 * Returns the bytes written. */
size_t jsonp_encode(const char *index, size_t idx_len, const uint8_t *payload, size_t len, int buffer,
                    char *dst);

/* Decodes a JSONP POST body (len bytes, form-encoded) as the reference's onData: the value of the
 * `d` key among the first JSONP_FORM_PAIRS_MAX pairs, '+' as a space and %XX decoded (a '%' that
 * starts no %XX stays as it is), then "\n" (backslash, n) turned into a newline and "\\n" into "\n".
 * Writes it into dst (len bytes at most). Returns 1 with *out_len set, or 0 when the body has no `d`
 * or more than one (the reference then ignores the body). Bytes that are not UTF-8 are kept as
 * they are (Node would put U+FFFD in their place). */
int jsonp_decode_post(const char *body, size_t len, char *dst, size_t *out_len);

#endif
