/* b64.h - standard base64 (RFC 4648, with padding), used for binary packets over HTTP long-polling. */
#ifndef HUB_B64_H
#define HUB_B64_H

#include <stddef.h>
#include <stdint.h>

/* Bytes needed to encode n bytes (no NUL). */
size_t b64_encoded_len(size_t n);
/* Upper bound of bytes a decode of n characters writes. */
size_t b64_decoded_max(size_t n);
/* Encodes src into dst (which holds b64_encoded_len(n) bytes). Returns the number of bytes written. */
size_t b64_encode(const uint8_t *src, size_t n, char *dst);
/* Decodes n characters of src into dst (b64_decoded_max(n) bytes). Padding is optional, whitespace and
 * any other character are an error. Returns the number of bytes written, or HUB_EPARSE. */
long b64_decode(const char *src, size_t n, uint8_t *dst);

#endif
