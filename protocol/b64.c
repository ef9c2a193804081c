/* b64.c - base64 (RFC 4648 alphabet, padded on output, padding optional on input). */
#include "b64.h"

#include "hub_err.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_encoded_len(size_t n)
{
    return (n / 3 + (n % 3 != 0)) * 4;
}

size_t b64_decoded_max(size_t n)
{
    return n / 4 * 3 + (n % 4 != 0) * 3;
}

size_t b64_encode(const uint8_t *src, size_t n, char *dst)
{
    size_t i, o = 0;

    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
        dst[o++] = alphabet[v >> 18];
        dst[o++] = alphabet[(v >> 12) & 63];
        dst[o++] = alphabet[(v >> 6) & 63];
        dst[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)src[i] << 16;
        dst[o++] = alphabet[v >> 18];
        dst[o++] = alphabet[(v >> 12) & 63];
        dst[o++] = '=';
        dst[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
        dst[o++] = alphabet[v >> 18];
        dst[o++] = alphabet[(v >> 12) & 63];
        dst[o++] = alphabet[(v >> 6) & 63];
        dst[o++] = '=';
    }
    return o;
}

/* Value of one base64 character, or -1. */
static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

long b64_decode(const char *src, size_t n, uint8_t *dst)
{
    size_t i, o = 0, pad = 0;
    uint32_t acc = 0;
    int bits = 0;

    /* Padding, when present, completes the last quantum: "QQ==" and "QQ" are both one byte, "QQ="
     * is neither. */
    while (pad < 2 && n > pad && src[n - 1 - pad] == '=')
        pad++;
    if (pad && n % 4 != 0) return HUB_EPARSE;
    n -= pad;
    if (n % 4 == 1) return HUB_EPARSE;
    for (i = 0; i < n; i++) {
        int v = sextet((unsigned char)src[i]);
        if (v < 0) return HUB_EPARSE;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* Leftover bits of a partial quantum are ignored, as Node's decoder does. */
    return (long)o;
}
