/* eio3.c - Engine.IO v3 payload codec (engine.io's parser-v3). */
#include "eio3.h"

#include <string.h>

#include "b64.h"
#include "hub_err.h"

static int is_cont(uint8_t c)
{
    return (c & 0xC0) == 0x80;
}

/* The bytes of the character at s (at least 1) and, in *units, its UTF-16 code units. A byte that
 * starts no well-formed sequence is one character of one unit, as the decoder's U+FFFD. */
static size_t utf8_step(const uint8_t *s, size_t len, size_t *units)
{
    uint8_t c = s[0];

    *units = 1;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF && len >= 2 && is_cont(s[1])) return 2;
    if (c >= 0xE0 && c <= 0xEF && len >= 3 && is_cont(s[1]) && is_cont(s[2])) {
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F)) return 1;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4 && len >= 4 && is_cont(s[1]) && is_cont(s[2]) && is_cont(s[3])) {
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F)) return 1;
        *units = 2;
        return 4;
    }
    return 1;
}

size_t eio3_utf16_len(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, total = 0, u;

    while (i < len) {
        i += utf8_step(p + i, len - i, &u);
        total += u;
    }
    return total;
}

/* Reads decimal digits up to ':' from *pos; the value must fit in a size_t. */
static int read_length(const char *buf, size_t len, size_t *pos, size_t *n)
{
    size_t i = *pos, v = 0;

    if (i >= len || buf[i] == ':') return HUB_EPARSE;
    for (; i < len && buf[i] != ':'; i++) {
        if (buf[i] < '0' || buf[i] > '9') return HUB_EPARSE;
        if (v > (SIZE_MAX - 9) / 10) return HUB_EPARSE;
        v = v * 10 + (size_t)(buf[i] - '0');
    }
    if (i >= len) return HUB_EPARSE;
    *pos = i + 1;
    *n = v;
    return 0;
}

int eio3_payload_next(const char *buf, size_t len, size_t *pos, const char **pkt, size_t *pkt_len)
{
    if (len == 0) return HUB_EPARSE;
    while (*pos < len) {
        size_t i = *pos, n, start, u;
        int rc = read_length(buf, len, &i, &n);
        if (rc) return rc;
        start = i;
        while (n > 0) {
            if (i >= len) return HUB_EPARSE;
            i += utf8_step((const uint8_t *)buf + i, len - i, &u);
            if (u > n) return HUB_EPARSE; /* the record ends inside a surrogate pair */
            n -= u;
        }
        *pos = i;
        if (i > start) {
            *pkt = buf + start;
            *pkt_len = i - start;
            return 1;
        }
    }
    return 0;
}

int eio3_decode_packet(const char *s, size_t len, uint8_t *scratch, struct eio_packet *out)
{
    long n;

    if (len == 0 || s[0] != 'b') return eio_decode_text(s, len, out);
    if (len < 2 || s[1] < '0' || s[1] > '6') return HUB_EPARSE;
    if (!scratch && len > 2) return HUB_EINVAL;
    n = b64_decode(s + 2, len - 2, scratch);
    if (n < 0) return HUB_EPARSE;
    out->type = (enum eio_type)(s[1] - '0');
    out->binary = 1;
    out->data = scratch;
    out->len = (size_t)n;
    return 0;
}

int eio3_decode_binary(const uint8_t *data, size_t len, struct eio_packet *out)
{
    if (len == 0 || data[0] > EIO_NOOP) return HUB_EPARSE;
    out->type = (enum eio_type)data[0];
    out->binary = 1;
    out->data = data + 1;
    out->len = len - 1;
    return 0;
}

int eio3_binary_payload_next(const uint8_t *buf, size_t len, size_t *pos, int *is_string,
                             const uint8_t **rec, size_t *rec_len)
{
    size_t i = *pos, v = 0, digits = 0;

    if (i >= len) return 0;
    if (buf[i] > 1) return HUB_EPARSE;
    *is_string = buf[i] == 0;
    for (i++; i < len && buf[i] != 255; i++) {
        if (buf[i] > 9 || ++digits > EIO3_LEN_DIGITS_MAX) return HUB_EPARSE;
        if (v > (SIZE_MAX - 9) / 10) return HUB_EPARSE;
        v = v * 10 + buf[i];
    }
    if (i >= len || digits == 0) return HUB_EPARSE;
    i++;
    if (v > len - i) return HUB_EPARSE;
    *rec = buf + i;
    *rec_len = v;
    *pos = i + v;
    return 1;
}

/* Writes the decimal digits of v into dst as characters (ascii) or byte values. */
static size_t put_digits(uint8_t *dst, size_t v, int ascii)
{
    uint8_t tmp[24];
    size_t n = 0, i;

    do {
        tmp[n++] = (uint8_t)(v % 10);
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++)
        dst[i] = (uint8_t)(tmp[n - 1 - i] + (ascii ? '0' : 0));
    return n;
}

size_t eio3_text_header(char *dst, size_t units)
{
    size_t n = put_digits((uint8_t *)dst, units, 1);

    dst[n] = ':';
    return n + 1;
}

size_t eio3_binary_header(uint8_t *dst, int is_string, size_t len)
{
    size_t n;

    dst[0] = is_string ? 0 : 1;
    n = put_digits(dst + 1, len, 0);
    dst[1 + n] = 255;
    return n + 2;
}

size_t eio3_b64_len(size_t len)
{
    return 2 + b64_encoded_len(len);
}

size_t eio3_encode_b64(enum eio_type type, const uint8_t *data, size_t len, char *dst)
{
    dst[0] = 'b';
    dst[1] = (char)('0' + type);
    return 2 + b64_encode(data, len, dst + 2);
}
