/* jsonp.c - the reference's JSONP polling framing (jsonp.h). */
#include "jsonp.h"

#include <stdint.h>
#include <string.h>

#include "qs.h"

static const char head[] = "___eio[";
static const char mid[] = "](";
static const char foot[] = ");";
static const char buffer_head[] = "{\"type\":\"Buffer\",\"data\":[";

size_t jsonp_index(const char *j, size_t len, char *dst)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        if (j[i] >= '0' && j[i] <= '9') dst[n++] = j[i];
    return n;
}

size_t jsonp_encoded_max(size_t idx_len, size_t len)
{
    size_t fixed = sizeof(head) + sizeof(mid) + sizeof(foot) + sizeof(buffer_head) + 4;

    /* a string byte takes at most 6 bytes (\u00XX), a Buffer byte 4 ("255,") */
    if (idx_len > SIZE_MAX - fixed || len > (SIZE_MAX - fixed - idx_len) / 6) return 0;
    return fixed + idx_len + 6 * len;
}

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* JSON.stringify of a string whose UTF-8 is s, plus the reference's U+2028/U+2029 escapes. */
static char *put_js_string(char *p, const uint8_t *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    *p++ = '"';
    for (i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20) {
            *p++ = '\\';
            switch (c) {
            case '\b': *p++ = 'b'; break;
            case '\f': *p++ = 'f'; break;
            case '\n': *p++ = 'n'; break;
            case '\r': *p++ = 'r'; break;
            case '\t': *p++ = 't'; break;
            default:
                p = put(p, "u00", 3);
                *p++ = hex[c >> 4];
                *p++ = hex[c & 15];
            }
        } else if (c == 0xE2 && i + 2 < len && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
            p = put(p, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
            i += 2;
        } else {
            *p++ = (char)c;
        }
    }
    *p++ = '"';
    return p;
}

static char *put_buffer(char *p, const uint8_t *s, size_t len)
{
    size_t i;

    p = put(p, buffer_head, sizeof(buffer_head) - 1);
    for (i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (i) *p++ = ',';
        if (c >= 100) *p++ = (char)('0' + c / 100);
        if (c >= 10) *p++ = (char)('0' + c / 10 % 10);
        *p++ = (char)('0' + c % 10);
    }
    return put(p, "]}", 2);
}

size_t jsonp_encode(const char *index, size_t idx_len, const uint8_t *payload, size_t len, int buffer,
                    char *dst)
{
    char *p = dst;

    p = put(p, head, sizeof(head) - 1);
    p = put(p, index, idx_len);
    p = put(p, mid, sizeof(mid) - 1);
    p = buffer ? put_buffer(p, payload, len) : put_js_string(p, payload, len);
    p = put(p, foot, sizeof(foot) - 1);
    return (size_t)(p - dst);
}

/* 1 when the decoded key s (len bytes) is "d". */
static int key_is_d(const char *s, size_t len)
{
    char k[4];

    if (len > 3) return 0; /* "d" is at most "%64" */
    return qs_unescape(s, len, k) == 1 && k[0] == 'd';
}

/* polling-jsonp.js onData: "\\n" stays, "\n" becomes a newline; then "\\n" becomes "\n". */
static size_t unescape_newlines(char *s, size_t len)
{
    size_t i = 0, n = 0;

    while (i < len) {
        if (s[i] == '\\' && i + 2 < len && s[i + 1] == '\\' && s[i + 2] == 'n') {
            s[n++] = '\\', s[n++] = '\\', s[n++] = 'n';
            i += 3;
        } else if (s[i] == '\\' && i + 1 < len && s[i + 1] == 'n') {
            s[n++] = '\n';
            i += 2;
        } else {
            s[n++] = s[i++];
        }
    }
    len = n;
    for (i = 0, n = 0; i < len;) {
        if (s[i] == '\\' && i + 2 < len && s[i + 1] == '\\' && s[i + 2] == 'n') {
            s[n++] = '\\', s[n++] = 'n';
            i += 3;
        } else {
            s[n++] = s[i++];
        }
    }
    return n;
}

int jsonp_decode_post(const char *body, size_t len, char *dst, size_t *out_len)
{
    const char *val = NULL;
    size_t pos = 0, val_len = 0, pairs = 0;
    int found = 0;

    while (pos < len && pairs < JSONP_FORM_PAIRS_MAX) {
        const char *pair = body + pos, *amp = memchr(pair, '&', len - pos);
        size_t plen = amp ? (size_t)(amp - pair) : len - pos;
        const char *eq = memchr(pair, '=', plen);
        size_t klen = eq ? (size_t)(eq - pair) : plen;

        pairs++;
        pos += plen + (amp ? 1 : 0);
        if (!plen) continue; /* an empty pair counts but adds no key */
        if (key_is_d(pair, klen)) {
            if (found++) return 0; /* d=..&d=..: an array, not a string, for the reference */
            val = eq ? eq + 1 : pair + plen;
            val_len = eq ? plen - klen - 1 : 0;
        }
    }
    if (!found) return 0;
    *out_len = unescape_newlines(dst, qs_unescape(val, val_len, dst));
    return 1;
}
