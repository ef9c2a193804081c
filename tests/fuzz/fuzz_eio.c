/* fuzz_eio.c - Engine.IO codec: the input as one text packet, as a polling payload (each segment
 * decoded, re-encoded and decoded again), and as bytes to base64 and back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "eio.h"
#include "hub_err.h"

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
    return 0;
}
