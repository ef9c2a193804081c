/* fuzz_eio.c - Engine.IO codec: the input as one text packet, as a polling payload (each segment
 * decoded, re-encoded and decoded again), and as bytes to base64 and back; and the v3 codec
 * (eio3.h): the input as a v3 text payload and as a v3 binary payload (each packet decoded, framed
 * again and split again), and as a Socket.IO protocol v4 namespace with a query; and the JSONP
 * framing (jsonp.h): the input as a POST form, its payload (and the input) wrapped for a GET. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "eio.h"
#include "eio3.h"
#include "hub_err.h"
#include "jsonp.h"
#include "sio.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) abort();                                                                         \
    } while (0)

static void check_segment(const char *seg, size_t n)
{
    size_t scratch_len = n > 1 ? b64_decoded_max(n - 1) : 0;
    uint8_t *scratch = malloc(scratch_len + 1);
    struct eio_packet p, q;
    char *enc;
    uint8_t *scratch2;
    size_t elen;
    int rc;

    REQUIRE(scratch);
    rc = eio_decode_segment(seg, n, scratch, &p);
    REQUIRE(rc == 0 || rc == HUB_EPARSE);
    if (rc != 0) {
        free(scratch);
        return;
    }
    REQUIRE(p.type <= EIO_NOOP);
    REQUIRE(p.binary ? p.len <= scratch_len : p.data == (const uint8_t *)seg + 1);

    elen = eio_segment_len(p.binary, p.len);
    enc = malloc(elen);
    REQUIRE(enc);
    REQUIRE(eio_encode_segment(p.type, p.binary, p.data, p.len, enc) == elen);
    if (!p.binary) REQUIRE(elen == n && memcmp(enc, seg, n) == 0);
    scratch2 = malloc(b64_decoded_max(elen) + 1);
    REQUIRE(scratch2);
    REQUIRE(eio_decode_segment(enc, elen, scratch2, &q) == 0);
    REQUIRE(q.type == p.type && q.binary == p.binary && q.len == p.len);
    REQUIRE(p.len == 0 || memcmp(q.data, p.data, p.len) == 0);
    free(scratch2);
    free(enc);
    free(scratch);
}

/* One v3 text packet: decodes; a binary one is framed again as "b<type><base64>" and decodes to the
 * same bytes. */
static void check_v3_packet(const char *pkt, size_t n)
{
    uint8_t *scratch = malloc(b64_decoded_max(n) + 1), *scratch2;
    struct eio_packet p, q;
    char *enc;
    size_t elen;
    int rc;

    REQUIRE(scratch);
    rc = eio3_decode_packet(pkt, n, scratch, &p);
    REQUIRE(rc == 0 || rc == HUB_EPARSE);
    if (rc == 0 && p.binary) {
        REQUIRE(p.type <= EIO_NOOP);
        elen = eio3_b64_len(p.len);
        enc = malloc(elen);
        scratch2 = malloc(b64_decoded_max(elen) + 1);
        REQUIRE(enc && scratch2);
        REQUIRE(eio3_encode_b64(p.type, p.data, p.len, enc) == elen);
        REQUIRE(eio3_decode_packet(enc, elen, scratch2, &q) == 0);
        REQUIRE(q.type == p.type && q.binary && q.len == p.len);
        REQUIRE(p.len == 0 || memcmp(q.data, p.data, p.len) == 0);
        free(scratch2);
        free(enc);
    } else if (rc == 0) {
        REQUIRE(p.data == (const uint8_t *)pkt + 1 && p.len == n - 1);
    }
    free(scratch);
}

/* The input as a v3 text payload: every packet is checked, and the packets framed again with
 * eio3_text_header() split into the same packets. */
static void check_v3_text(const char *s, size_t size)
{
    size_t pos = 0, n, o = 0, pos2 = 0, n2, count = 0;
    const char *pkt, *pkt2;
    char *re = malloc(size + 1);
    int rc;

    REQUIRE(re);
    while ((rc = eio3_payload_next(s, size, &pos, &pkt, &n)) == 1) {
        char head[EIO3_HEADER_MAX];
        size_t h = eio3_text_header(head, eio3_utf16_len(pkt, n));
        REQUIRE(n > 0 && pkt >= s && pkt + n <= s + size && pos <= size);
        check_v3_packet(pkt, n);
        REQUIRE(o + h + n <= size); /* a record never grows when framed again */
        memcpy(re + o, head, h);
        memcpy(re + o + h, pkt, n);
        o += h + n;
        count++;
    }
    REQUIRE(rc == 0 || rc == HUB_EPARSE);
    while (o && eio3_payload_next(re, o, &pos2, &pkt2, &n2) == 1)
        count--;
    REQUIRE(o == 0 || count == 0);
    free(re);
}

/* The input as a v3 binary payload: records stay inside the input, string records decode as text
 * packets, binary ones as binary packets, and a record framed again with eio3_binary_header() reads
 * back the same. */
static void check_v3_binary(const uint8_t *data, size_t size)
{
    size_t pos = 0, n;
    const uint8_t *rec;
    int is_string, rc;

    while ((rc = eio3_binary_payload_next(data, size, &pos, &is_string, &rec, &n)) == 1) {
        uint8_t head[EIO3_HEADER_MAX], *re;
        size_t h = eio3_binary_header(head, is_string, n), p2 = 0, n2;
        const uint8_t *rec2;
        int s2;
        struct eio_packet p;

        REQUIRE(rec >= data && rec + n <= data + size && pos <= size);
        if (is_string)
            check_v3_packet((const char *)rec, n);
        else if (eio3_decode_binary(rec, n, &p) == 0)
            REQUIRE(p.binary && p.data == rec + 1 && p.len == n - 1);
        re = malloc(h + n + 1);
        REQUIRE(re);
        memcpy(re, head, h);
        memcpy(re + h, rec, n);
        REQUIRE(eio3_binary_payload_next(re, h + n, &p2, &s2, &rec2, &n2) == 1);
        REQUIRE(s2 == is_string && n2 == n && p2 == h + n && memcmp(rec2, rec, n) == 0);
        free(re);
    }
    REQUIRE(rc == 0 || rc == HUB_EPARSE);
}

/* The input as "/nsp?query": the query parses into an object (or allocation fails). */
static void check_v3_nsp(const char *s, size_t size)
{
    json_t *q = sio_v3_query_new(s, size);

    REQUIRE(sio_v3_nsp_split(s, size) <= size);
    if (q) REQUIRE(json_is_object(q));
    json_decref(q);
}

/* The input as a JSONP POST body: the payload fits the body; it and the input, wrapped as text and
 * as a Buffer, stay within jsonp_encoded_max() and keep the head and foot. */
static void check_jsonp(const uint8_t *data, size_t size)
{
    char *form = malloc(size + 1), *idx = malloc(size + 1), *out;
    size_t n = 0, ilen, max;
    int rc, buffer;

    REQUIRE(form && idx);
    rc = jsonp_decode_post((const char *)data, size, form, &n);
    REQUIRE(rc == 0 || rc == 1);
    REQUIRE(rc == 0 || n <= size);
    ilen = jsonp_index((const char *)data, size < 32 ? size : 32, idx);
    for (buffer = 0; buffer < 2; buffer++) {
        const uint8_t *in = rc == 1 ? (const uint8_t *)form : data;
        size_t len = rc == 1 ? n : size;
        max = jsonp_encoded_max(ilen, len);
        REQUIRE(max > 0);
        out = malloc(max);
        REQUIRE(out);
        len = jsonp_encode(idx, ilen, in, len, buffer, out);
        REQUIRE(len <= max && len >= 11 && memcmp(out, "___eio[", 7) == 0);
        REQUIRE(memcmp(out + len - 2, ");", 2) == 0);
        free(out);
    }
    free(idx);
    free(form);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct eio_packet p;
    size_t pos = 0, seg_len, segs = 0, total = 0;
    const char *seg;
    char *enc;
    uint8_t *dec;
    long n;

    if (eio_decode_text(s, size, &p) == 0) REQUIRE(p.len == size - 1 && p.data == data + 1);

    while (eio_payload_next(s, size, &pos, &seg, &seg_len)) {
        REQUIRE(seg >= s && seg + seg_len <= s + size);
        REQUIRE(memchr(seg, EIO_SEPARATOR, seg_len) == NULL);
        check_segment(seg, seg_len);
        segs++;
        total += seg_len;
    }
    REQUIRE(total + segs - 1 == size);

    /* base64 round trip of the raw bytes. */
    enc = malloc(b64_encoded_len(size) + 1);
    dec = malloc(size + 1);
    REQUIRE(enc && dec);
    REQUIRE(b64_encode(data, size, enc) == b64_encoded_len(size));
    n = b64_decode(enc, b64_encoded_len(size), dec);
    REQUIRE(n == (long)size && memcmp(dec, data, size) == 0);
    free(dec);
    free(enc);

    check_jsonp(data, size);

    check_v3_text(s, size);
    check_v3_binary(data, size);
    check_v3_nsp(s, size);
    return 0;
}
