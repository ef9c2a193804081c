/* frame.c - shared, reference-counted encoded packets and the per-connection send queue. */
#include "frame.h"

#include <string.h>

#include "eio3.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "wsframe.h"

struct hub_frame {
    unsigned refs;
    uint8_t binary;
    uint8_t type;
    uint8_t hdr_len;    /* WebSocket header length; the header ends where the packet starts */
    size_t packet_len;  /* Engine.IO packet bytes */
    uint8_t bytes[];    /* [WSFRAME_MAX_HEADER - hdr_len unused][header][packet] */
};

static hub_frame *frame_alloc(int binary, enum eio_type type, size_t packet_len)
{
    if (packet_len > SIZE_MAX - sizeof(hub_frame) - WSFRAME_MAX_HEADER)
        return NULL;
    hub_frame *f = hub_malloc(sizeof(*f) + WSFRAME_MAX_HEADER + packet_len);
    if (!f)
        return NULL;
    f->refs = 1;
    f->binary = (uint8_t)binary;
    f->type = (uint8_t)type;
    f->packet_len = packet_len;
    f->hdr_len = (uint8_t)wsframe_header_len(packet_len);
    wsframe_header_write(f->bytes + WSFRAME_MAX_HEADER - f->hdr_len,
                         binary ? WSFRAME_OP_BINARY : WSFRAME_OP_TEXT, packet_len);
    return f;
}

hub_frame *hub_frame_new_text(enum eio_type type, const char *data, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    hub_frame *f = frame_alloc(0, type, len + 1);
    if (!f)
        return NULL;
    uint8_t *p = f->bytes + WSFRAME_MAX_HEADER;
    p[0] = (uint8_t)('0' + type);
    if (len)
        memcpy(p + 1, data, len);
    return f;
}

hub_frame *hub_frame_new_binary(const void *data, size_t len)
{
    hub_frame *f = frame_alloc(1, EIO_MESSAGE, len);
    if (!f)
        return NULL;
    if (len)
        memcpy(f->bytes + WSFRAME_MAX_HEADER, data, len);
    return f;
}

static size_t v3_packet_len(const hub_frame *f, int b64)
{
    return b64 ? eio3_b64_len(f->packet_len) : 1 + f->packet_len;
}

size_t hub_frame_v3_ws_len(const hub_frame *f, int b64)
{
    size_t n = v3_packet_len(f, b64);
    return wsframe_header_len(n) + n;
}

static void v3_packet_write(const hub_frame *f, int b64, uint8_t *dst)
{
    const uint8_t *data = f->bytes + WSFRAME_MAX_HEADER;

    if (b64) {
        eio3_encode_b64((enum eio_type)f->type, data, f->packet_len, (char *)dst);
        return;
    }
    dst[0] = f->type;
    if (f->packet_len)
        memcpy(dst + 1, data, f->packet_len);
}

size_t hub_frame_v3_ws_write(const hub_frame *f, int b64, uint8_t *dst)
{
    size_t n = v3_packet_len(f, b64);
    size_t h = wsframe_header_write(dst, b64 ? WSFRAME_OP_TEXT : WSFRAME_OP_BINARY, n);
    v3_packet_write(f, b64, dst + h);
    return h + n;
}

hub_frame *hub_frame_new_v3_ws(const hub_frame *f, int b64)
{
    hub_frame *g = frame_alloc(!b64, (enum eio_type)f->type, v3_packet_len(f, b64));
    if (g)
        v3_packet_write(f, b64, g->bytes + WSFRAME_MAX_HEADER);
    return g;
}

hub_frame *hub_frame_ref(hub_frame *f)
{
    f->refs++;
    return f;
}

void hub_frame_unref(hub_frame *f)
{
    if (f && --f->refs == 0)
        hub_free(f);
}

const uint8_t *hub_frame_ws(const hub_frame *f, size_t *len)
{
    *len = f->hdr_len + f->packet_len;
    return f->bytes + WSFRAME_MAX_HEADER - f->hdr_len;
}

const uint8_t *hub_frame_packet(const hub_frame *f, size_t *len)
{
    *len = f->packet_len;
    return f->bytes + WSFRAME_MAX_HEADER;
}

int hub_frame_is_binary(const hub_frame *f)
{
    return f->binary;
}

enum eio_type hub_frame_type(const hub_frame *f)
{
    return (enum eio_type)f->type;
}

static size_t frame_ws_len(const hub_frame *f)
{
    return f->hdr_len + f->packet_len;
}

void hub_outq_init(struct hub_outq *q)
{
    memset(q, 0, sizeof(*q));
}

void hub_outq_clear(struct hub_outq *q)
{
    hub_frame *f;
    while ((f = hub_outq_pop(q)))
        hub_frame_unref(f);
    hub_free(q->ring);
    hub_outq_init(q);
}

static int outq_reserve(struct hub_outq *q, size_t want)
{
    if (want <= q->cap)
        return 0;
    size_t cap = q->cap ? q->cap : 8;
    while (cap < want) {
        if (cap > SIZE_MAX / 2 / sizeof(hub_frame *))
            return HUB_ENOMEM;
        cap *= 2;
    }
    hub_frame **ring = hub_calloc(cap, sizeof(*ring));
    if (!ring)
        return HUB_ENOMEM;
    for (size_t i = 0; i < q->count; i++)
        ring[i] = q->ring[(q->head + i) % q->cap];
    hub_free(q->ring);
    q->ring = ring;
    q->cap = cap;
    q->head = 0;
    return 0;
}

int hub_outq_push(struct hub_outq *q, hub_frame *f)
{
    int rc = outq_reserve(q, q->count + 1);
    if (rc)
        return rc;
    q->ring[(q->head + q->count) % q->cap] = hub_frame_ref(f);
    q->count++;
    q->bytes += frame_ws_len(f);
    return 0;
}

hub_frame *hub_outq_peek(const struct hub_outq *q)
{
    return q->count ? q->ring[q->head] : NULL;
}

hub_frame *hub_outq_pop(struct hub_outq *q)
{
    if (!q->count)
        return NULL;
    hub_frame *f = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    q->bytes -= frame_ws_len(f);
    if (!q->count)
        q->head = 0;
    return f;
}

int hub_outq_move(struct hub_outq *dst, struct hub_outq *src)
{
    int rc = outq_reserve(dst, dst->count + src->count);
    if (rc)
        return rc;
    hub_frame *f;
    while ((f = hub_outq_pop(src))) {
        dst->ring[(dst->head + dst->count) % dst->cap] = f;
        dst->count++;
        dst->bytes += frame_ws_len(f);
    }
    return 0;
}
