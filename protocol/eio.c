/* eio.c - Engine.IO v4 packet codec. */
#include "eio.h"

#include <string.h>

#include "b64.h"
#include "hub_err.h"

int eio_decode_text(const char *s, size_t len, struct eio_packet *out)
{
    if (len == 0 || s[0] < '0' || s[0] > '6') return HUB_EPARSE;
    out->type = (enum eio_type)(s[0] - '0');
    out->binary = 0;
    out->data = (const uint8_t *)s + 1;
    out->len = len - 1;
    return 0;
}

void eio_decode_binary(const uint8_t *data, size_t len, struct eio_packet *out)
{
    out->type = EIO_MESSAGE;
    out->binary = 1;
    out->data = data;
    out->len = len;
}

/* Splits like the reference's String.split("\x1e"): n separators give n + 1 segments, so "" is one
 * empty segment and a trailing separator gives an empty last one. *pos == len + 1 marks the end. */
int eio_payload_next(const char *buf, size_t len, size_t *pos, const char **seg, size_t *seg_len)
{
    const char *sep;
    size_t start = *pos;

    if (start > len) return 0;
    sep = start < len ? memchr(buf + start, EIO_SEPARATOR, len - start) : NULL;
    *seg = buf + start;
    if (sep) {
        *seg_len = (size_t)(sep - (buf + start));
        *pos = (size_t)(sep - buf) + 1;
    } else {
        *seg_len = len - start;
        *pos = len + 1;
    }
    return 1;
}

int eio_decode_segment(const char *seg, size_t seg_len, uint8_t *scratch, struct eio_packet *out)
{
    long n;

    if (seg_len == 0 || seg[0] != 'b') return eio_decode_text(seg, seg_len, out);
    if (!scratch && seg_len > 1) return HUB_EINVAL;
    n = b64_decode(seg + 1, seg_len - 1, scratch);
    if (n < 0) return HUB_EPARSE;
    eio_decode_binary(scratch, (size_t)n, out);
    return 0;
}

size_t eio_segment_len(int binary, size_t len)
{
    return 1 + (binary ? b64_encoded_len(len) : len);
}

size_t eio_encode_segment(enum eio_type type, int binary, const uint8_t *data, size_t len,
                          char *dst)
{
    if (binary) {
        dst[0] = 'b';
        return 1 + b64_encode(data, len, dst + 1);
    }
    dst[0] = (char)('0' + type);
    if (len) memcpy(dst + 1, data, len);
    return 1 + len;
}
