/* fuzz_sio.c - Socket.IO decoder driven with a sequence of messages.
 *
 * The input is split on 0x1E (as in a polling payload); a part that starts with 'b' is a binary
 * message carrying the bytes after the 'b', anything else is a text message. Every decoded packet
 * is encoded again and must decode to the same packet. A second decoder with tight limits sees the
 * same sequence. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hub_alloc.h"
#include "hub_err.h"
#include "sio.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) abort();                                                                         \
    } while (0)

static void check_round_trip(const struct sio_packet *p, const struct sio_limits *lim)
{
    /* Re-encoding may grow the text ("1e2" comes back as "100.0"), so only the count limit holds.
     */
    struct sio_limits wide = {lim->max_attachments, SIZE_MAX};
    size_t len, i;
    char *s = sio_encode(p->type, p->nsp, p->id, p->data, p->nbufs, &len);
    sio_decoder *d = sio_decoder_new(&wide);
    struct sio_packet q;
    int rc;

    REQUIRE(s && d);
    rc = sio_decoder_feed_text(d, s, len, &q);
    for (i = 0; rc == 0 && i < p->nbufs; i++)
        rc = sio_decoder_feed_binary(d, p->bufs[i].data, p->bufs[i].len, &q);
    REQUIRE(rc == 1);
    REQUIRE(q.type == p->type && strcmp(q.nsp, p->nsp) == 0 && q.id == p->id);
    REQUIRE(q.nbufs == p->nbufs);
    REQUIRE((q.data == NULL) == (p->data == NULL));
    REQUIRE(!q.data || json_equal(q.data, p->data));
    for (i = 0; i < q.nbufs; i++)
        REQUIRE(
            q.bufs[i].len == p->bufs[i].len &&
            (q.bufs[i].len == 0 || memcmp(q.bufs[i].data, p->bufs[i].data, q.bufs[i].len) == 0));
    sio_packet_clear(&q);
    sio_decoder_free(d);
    hub_free(s);
}

static void check_packet(const struct sio_packet *p, const struct sio_limits *lim)
{
    REQUIRE(p->nsp && p->nsp[0] == '/');
    REQUIRE(p->id == SIO_NO_ID || (p->id >= 0 && p->id <= SIO_MAX_ID));
    REQUIRE(sio_payload_check(p->type, p->data) == 0);
    REQUIRE((p->type == SIO_BINARY_EVENT || p->type == SIO_BINARY_ACK) == (p->nbufs > 0));
    REQUIRE(p->nbufs <= lim->max_attachments);
    if (p->nbufs) REQUIRE(sio_placeholders_check(p->data, p->nbufs) == 0);
    check_round_trip(p, lim);
}

static void feed(sio_decoder *d, const struct sio_limits *lim, const char *part, size_t n)
{
    struct sio_packet p;
    int rc;

    if (n && part[0] == 'b') {
        rc = sio_decoder_feed_binary(d, (const uint8_t *)part + 1, n - 1, &p);
    } else {
        struct sio_header h;
        int hrc = sio_header_parse(part, n, lim, &h);

        rc = sio_decoder_feed_text(d, part, n, &p);
        /* A packet the decoder takes has a header the parser takes. */
        if (rc >= 0) REQUIRE(hrc == 0);
        if (hrc == 0) {
            REQUIRE(h.data >= part && h.data + h.data_len == part + n);
            REQUIRE(h.nsp_len >= 1 && h.nsp[0] == '/');
        }
    }
    REQUIRE(rc == 0 || rc == 1 || rc == HUB_EPARSE || rc == HUB_ELIMIT);
    if (rc == 1) {
        check_packet(&p, lim);
        sio_packet_clear(&p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct sio_limits wide = SIO_LIMITS_DEFAULT, tight = {3, 64};
    sio_decoder *a = sio_decoder_new(&wide), *b = sio_decoder_new(&tight);
    const char *s = (const char *)data, *end = s + size;

    REQUIRE(a && b);
    for (;;) {
        const char *sep = memchr(s, 0x1e, (size_t)(end - s));
        const char *stop = sep ? sep : end;

        feed(a, &wide, s, (size_t)(stop - s));
        feed(b, &tight, s, (size_t)(stop - s));
        if (!sep) break;
        s = sep + 1;
    }
    sio_decoder_free(a);
    sio_decoder_free(b);
    return 0;
}
