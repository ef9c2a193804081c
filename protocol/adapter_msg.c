/* adapter_msg.c - see adapter_msg.h.
 *
 * MessagePack is read and written here rather than with msgpack-c: the prebuilt libmsgpackc caps
 * nesting at 32 containers (Node has no such cap), allocates from its own zones outside hub_alloc,
 * and what is needed is small: a bounds-checked reader that builds jansson values directly (bin
 * becoming placeholders) and a writer that produces the smallest encodings, as notepack does. Every
 * read checks the remaining length first, so a truncated message is HUB_EPARSE, never an over-read.
 * Recursion is bounded by adapter_limits.max_depth when reading and by WRITE_MAX_DEPTH when writing
 * (deeper than json_loadb() builds). */
#include "adapter_msg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hub_alloc.h"
#include "hub_err.h"

#define WRITE_MAX_DEPTH 4096
#define MS_MAX 8640000000000000LL /* the largest time value a JavaScript Date holds */

/* ---- small things ------------------------------------------------------------------------------
 */

void adapter_out_free(struct adapter_out *out)
{
    hub_free(out->data);
    out->data = NULL;
    out->len = out->cap = 0;
}

void adapter_strv_clear(struct adapter_strv *sv)
{
    size_t i;

    for (i = 0; i < sv->n; i++)
        hub_free(sv->v[i]);
    hub_free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

int adapter_strv_push(struct adapter_strv *sv, const char *s)
{
    char **v, *copy = hub_strdup(s);

    if (!copy) return HUB_ENOMEM;
    v = hub_realloc(sv->v, (sv->n + 1) * sizeof(*v));
    if (!v) {
        hub_free(copy);
        return HUB_ENOMEM;
    }
    v[sv->n++] = copy;
    sv->v = v;
    return 0;
}

int adapter_strv_set(struct adapter_strv *sv, const char *const *v, size_t n)
{
    size_t i;

    adapter_strv_clear(sv);
    for (i = 0; i < n; i++) {
        if (adapter_strv_push(sv, v[i])) {
            adapter_strv_clear(sv);
            return HUB_ENOMEM;
        }
    }
    return 0;
}

void adapter_msg_init(struct adapter_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->type = ADAPTER_NO_TYPE;
    m->packet_type = 2;
    m->flags.compress = -1;
    m->flags.timeout_ms = ADAPTER_NO_TIMEOUT;
}

static void bufs_free(struct sio_buf *bufs, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        hub_free(bufs[i].data);
    hub_free(bufs);
}

void adapter_msg_clear(struct adapter_msg *m)
{
    hub_free(m->uid);
    hub_free(m->request_id);
    hub_free(m->nsp);
    json_decref(m->data);
    bufs_free(m->bufs, m->nbufs);
    adapter_strv_clear(&m->rooms);
    adapter_strv_clear(&m->except);
    adapter_strv_clear(&m->names);
    hub_free(m->sid);
    hub_free(m->room);
    json_decref(m->sockets);
    adapter_msg_init(m);
}

/* ---- writing MessagePack -----------------------------------------------------------------------
 */

static int out_reserve(struct adapter_out *out, size_t more)
{
    size_t cap;
    uint8_t *p;

    if (out->cap - out->len >= more) return 0;
    if (more > SIZE_MAX / 2 - out->len) return HUB_ENOMEM;
    cap = out->cap ? out->cap : 256;
    while (cap - out->len < more)
        cap *= 2;
    p = hub_realloc(out->data, cap);
    if (!p) return HUB_ENOMEM;
    out->data = p;
    out->cap = cap;
    return 0;
}

static int put(struct adapter_out *out, const void *p, size_t n)
{
    if (out_reserve(out, n)) return HUB_ENOMEM;
    if (n) memcpy(out->data + out->len, p, n);
    out->len += n;
    return 0;
}

/* A type byte followed by an n-byte big-endian value. */
static int put_be(struct adapter_out *out, uint8_t type, uint64_t v, int n)
{
    uint8_t b[9];
    int i;

    b[0] = type;
    for (i = 0; i < n; i++)
        b[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return put(out, b, (size_t)n + 1);
}

static int put_byte(struct adapter_out *out, uint8_t b)
{
    return put(out, &b, 1);
}

/* A header of one of three sizes: fix (with its limit), 16 bits, 32 bits. */
static int put_head(struct adapter_out *out, size_t n, uint8_t fix, size_t fixmax, uint8_t t16,
                    uint8_t t32)
{
    if (n < fixmax) return put_byte(out, (uint8_t)(fix | n));
    if (n < 0x10000) return put_be(out, t16, n, 2);
    if ((uint64_t)n < 0x100000000ULL) return put_be(out, t32, n, 4);
    return HUB_EINVAL;
}

static int put_str(struct adapter_out *out, const char *s, size_t len)
{
    int rc;

    if (len < 0x20)
        rc = put_byte(out, (uint8_t)(0xa0 | len));
    else if (len < 0x100)
        rc = put_be(out, 0xd9, len, 1);
    else
        rc = put_head(out, len, 0, 0, 0xda, 0xdb);
    return rc ? rc : put(out, s, len);
}

static int put_cstr(struct adapter_out *out, const char *s)
{
    return put_str(out, s, strlen(s));
}

static int put_bin(struct adapter_out *out, const uint8_t *p, size_t len)
{
    int rc;

    if (len < 0x100)
        rc = put_be(out, 0xc4, len, 1);
    else
        rc = put_head(out, len, 0, 0, 0xc5, 0xc6);
    return rc ? rc : put(out, p, len);
}

static int put_array(struct adapter_out *out, size_t n)
{
    return put_head(out, n, 0x90, 0x10, 0xdc, 0xdd);
}

static int put_map(struct adapter_out *out, size_t n)
{
    return put_head(out, n, 0x80, 0x10, 0xde, 0xdf);
}

static int put_uint(struct adapter_out *out, uint64_t v)
{
    if (v < 0x80) return put_byte(out, (uint8_t)v);
    if (v < 0x100) return put_be(out, 0xcc, v, 1);
    if (v < 0x10000) return put_be(out, 0xcd, v, 2);
    if (v < 0x100000000ULL) return put_be(out, 0xce, v, 4);
    return put_be(out, 0xcf, v, 8);
}

static int put_int(struct adapter_out *out, int64_t v)
{
    if (v >= 0) return put_uint(out, (uint64_t)v);
    if (v >= -0x20) return put_byte(out, (uint8_t)(int8_t)v);
    if (v >= -0x80) return put_be(out, 0xd0, (uint64_t)v, 1);
    if (v >= -0x8000) return put_be(out, 0xd1, (uint64_t)v, 2);
    if (v >= -0x80000000LL) return put_be(out, 0xd2, (uint64_t)v, 4);
    return put_be(out, 0xd3, (uint64_t)v, 8);
}

/* notepack: an integer-valued number takes an integer encoding, anything else float64. */
static int put_number(struct adapter_out *out, double d)
{
    uint64_t bits;

    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == (double)(int64_t)d)
        return put_int(out, (int64_t)d);
    if (d >= 9223372036854775808.0 && d < 18446744073709551616.0) /* all integral up there */
        return put_uint(out, (uint64_t)d);
    memcpy(&bits, &d, sizeof(bits));
    return put_be(out, 0xcb, bits, 8);
}

struct wctx {
    const struct sio_buf *bufs;
    size_t nbufs;
};

static int put_json(struct adapter_out *out, const json_t *v, const struct wctx *w, int depth);

static int put_object(struct adapter_out *out, const json_t *v, const struct wctx *w, int depth)
{
    const char *key;
    size_t klen;
    json_t *child;
    int rc;

    if (w->nbufs) {
        const json_t *flag = json_object_get(v, "_placeholder");
        if (flag) {
            const json_t *num = json_object_get(v, "num");
            json_int_t n = json_integer_value(num);
            if (!json_is_true(flag) || !json_is_integer(num) || n < 0 || (uint64_t)n >= w->nbufs)
                return HUB_EINVAL;
            return put_bin(out, w->bufs[n].data, w->bufs[n].len);
        }
    }
    if ((rc = put_map(out, json_object_size(v)))) return rc;
    json_object_keylen_foreach((json_t *)v, key, klen, child)
    {
        if ((rc = put_str(out, key, klen)) || (rc = put_json(out, child, w, depth + 1))) return rc;
    }
    return 0;
}

static int put_json(struct adapter_out *out, const json_t *v, const struct wctx *w, int depth)
{
    size_t i;
    json_t *child;
    int rc;

    if (depth > WRITE_MAX_DEPTH) return HUB_EINVAL;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return put_object(out, v, w, depth);
    case JSON_ARRAY:
        if ((rc = put_array(out, json_array_size(v)))) return rc;
        json_array_foreach(v, i, child)
        {
            if ((rc = put_json(out, child, w, depth + 1))) return rc;
        }
        return 0;
    case JSON_STRING:
        return put_str(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return put_int(out, json_integer_value(v));
    case JSON_REAL:
        return put_number(out, json_real_value(v));
    case JSON_TRUE:
        return put_byte(out, 0xc3);
    case JSON_FALSE:
        return put_byte(out, 0xc2);
    case JSON_NULL:
        return put_byte(out, 0xc0);
    }
    return HUB_EINVAL;
}

static int put_strv(struct adapter_out *out, const struct adapter_strv *sv)
{
    size_t i;
    int rc;

    if ((rc = put_array(out, sv->n))) return rc;
    for (i = 0; i < sv->n; i++)
        if ((rc = put_cstr(out, sv->v[i]))) return rc;
    return 0;
}

/* {type, data, nsp} */
static int put_packet(struct adapter_out *out, const struct adapter_msg *m)
{
    struct wctx w = {m->bufs, m->nbufs};
    int rc;

    if ((rc = put_map(out, 3)) || (rc = put_cstr(out, "type")) ||
        (rc = put_int(out, m->packet_type)) || (rc = put_cstr(out, "data")) ||
        (rc = put_json(out, m->data, &w, 0)) || (rc = put_cstr(out, "nsp")) ||
        (rc = put_cstr(out, m->nsp)))
        return rc;
    return 0;
}

static int put_flags(struct adapter_out *out, const struct adapter_flags *f)
{
    size_t n = 0;
    int rc;

    n += f->is_volatile != 0;
    n += f->compress >= 0;
    n += f->timeout_ms >= 0;
    n += f->expect_single != 0;
    if ((rc = put_map(out, n))) return rc;
    if (f->is_volatile && ((rc = put_cstr(out, "volatile")) || (rc = put_byte(out, 0xc3))))
        return rc;
    if (f->compress >= 0 &&
        ((rc = put_cstr(out, "compress")) || (rc = put_byte(out, f->compress ? 0xc3 : 0xc2))))
        return rc;
    if (f->timeout_ms >= 0 &&
        ((rc = put_cstr(out, "timeout")) || (rc = put_int(out, f->timeout_ms))))
        return rc;
    if (f->expect_single &&
        ((rc = put_cstr(out, "expectSingleResponse")) || (rc = put_byte(out, 0xc3))))
        return rc;
    return 0;
}

/* {rooms, except, flags}, in the classic adapter's order */
static int put_opts(struct adapter_out *out, const struct adapter_msg *m)
{
    int rc;

    if ((rc = put_map(out, 3)) || (rc = put_cstr(out, "rooms")) ||
        (rc = put_strv(out, &m->rooms)) || (rc = put_cstr(out, "except")) ||
        (rc = put_strv(out, &m->except)) || (rc = put_cstr(out, "flags")) ||
        (rc = put_flags(out, &m->flags)))
        return rc;
    return 0;
}

/* Runs an encoder into out; on failure out is as it was. */
static int encode_into(struct adapter_out *out, int rc_in, size_t start)
{
    if (rc_in) out->len = start;
    return rc_in;
}

int adapter_broadcast_encode(const struct adapter_msg *m, struct adapter_out *out)
{
    size_t start = out->len;
    int rc;

    if (!m->uid || !m->nsp || !json_is_array(m->data) || (m->nbufs && !m->bufs)) return HUB_EINVAL;
    rc = put_array(out, 3);
    if (!rc) rc = put_cstr(out, m->uid);
    if (!rc) rc = put_packet(out, m);
    if (!rc) rc = put_opts(out, m);
    return encode_into(out, rc, start);
}

/* ---- reading MessagePack -----------------------------------------------------------------------
 */

struct rd {
    const uint8_t *p, *end;
    size_t depth, max_depth, max_bufs;
    struct sio_buf *bufs;
    size_t nbufs, cap;
};

static int rd_need(const struct rd *r, size_t n)
{
    return (size_t)(r->end - r->p) >= n ? 0 : HUB_EPARSE;
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Reads an n-byte big-endian length or value. */
static int rd_be(struct rd *r, int n, uint64_t *v)
{
    if (rd_need(r, (size_t)n)) return HUB_EPARSE;
    *v = be(r->p, n);
    r->p += n;
    return 0;
}

/* The kinds of header the reader tells apart. */
enum mk { MK_NIL, MK_BOOL, MK_UINT, MK_INT, MK_FLOAT, MK_STR, MK_BIN, MK_ARRAY, MK_MAP, MK_EXT };

struct head {
    enum mk kind;
    uint64_t u; /* MK_UINT value, MK_BOOL, or the length of str/bin/array/map/ext */
    int64_t i;  /* MK_INT */
    double d;   /* MK_FLOAT */
    int8_t ext; /* MK_EXT type */
};

static int rd_head(struct rd *r, struct head *h)
{
    uint8_t b;
    uint64_t v;
    float f;
    int rc = 0;

    if (rd_need(r, 1)) return HUB_EPARSE;
    b = *r->p++;
    memset(h, 0, sizeof(*h));
    if (b < 0x80) {
        h->kind = MK_UINT;
        h->u = b;
    } else if (b >= 0xe0) {
        h->kind = MK_INT;
        h->i = (int8_t)b;
    } else if ((b & 0xf0) == 0x80) {
        h->kind = MK_MAP;
        h->u = b & 0x0f;
    } else if ((b & 0xf0) == 0x90) {
        h->kind = MK_ARRAY;
        h->u = b & 0x0f;
    } else if ((b & 0xe0) == 0xa0) {
        h->kind = MK_STR;
        h->u = b & 0x1f;
    } else {
        switch (b) {
        case 0xc0:
            h->kind = MK_NIL;
            break;
        case 0xc2:
        case 0xc3:
            h->kind = MK_BOOL;
            h->u = b == 0xc3;
            break;
        case 0xc4:
        case 0xc5:
        case 0xc6:
            h->kind = MK_BIN;
            rc = rd_be(r, 1 << (b - 0xc4), &h->u);
            break;
        case 0xc7:
        case 0xc8:
        case 0xc9:
            h->kind = MK_EXT;
            rc = rd_be(r, 1 << (b - 0xc7), &h->u);
            if (!rc && !(rc = rd_be(r, 1, &v))) h->ext = (int8_t)(uint8_t)v;
            break;
        case 0xca:
            h->kind = MK_FLOAT;
            if (!(rc = rd_be(r, 4, &v))) {
                uint32_t u32 = (uint32_t)v;
                memcpy(&f, &u32, sizeof(f));
                h->d = f;
            }
            break;
        case 0xcb:
            h->kind = MK_FLOAT;
            if (!(rc = rd_be(r, 8, &v))) memcpy(&h->d, &v, sizeof(h->d));
            break;
        case 0xcc:
        case 0xcd:
        case 0xce:
        case 0xcf:
            h->kind = MK_UINT;
            rc = rd_be(r, 1 << (b - 0xcc), &h->u);
            break;
        case 0xd0:
        case 0xd1:
        case 0xd2:
        case 0xd3: {
            int n = 1 << (b - 0xd0);
            h->kind = MK_INT;
            if (!(rc = rd_be(r, n, &v))) {
                /* sign-extend from n bytes */
                if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~0ULL << (8 * n);
                h->i = (int64_t)v;
            }
            break;
        }
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
            h->kind = MK_EXT;
            h->u = 1u << (b - 0xd4);
            if (!(rc = rd_be(r, 1, &v))) h->ext = (int8_t)(uint8_t)v;
            break;
        case 0xd9:
        case 0xda:
        case 0xdb:
            h->kind = MK_STR;
            rc = rd_be(r, 1 << (b - 0xd9), &h->u);
            break;
        case 0xdc:
        case 0xdd:
            h->kind = MK_ARRAY;
            rc = rd_be(r, 2 << (b - 0xdc), &h->u);
            break;
        case 0xde:
        case 0xdf:
            h->kind = MK_MAP;
            rc = rd_be(r, 2 << (b - 0xde), &h->u);
            break;
        default: /* 0xc1, never used */
            return HUB_EPARSE;
        }
    }
    if (rc) return rc;
    /* Lengths of things that occupy bytes must fit in what is left; an array or map needs at least
     * one byte per element, which bounds the allocation a forged count can cause. */
    if ((h->kind == MK_STR || h->kind == MK_BIN || h->kind == MK_EXT) && rd_need(r, h->u))
        return HUB_EPARSE;
    if (h->kind == MK_ARRAY && rd_need(r, h->u)) return HUB_EPARSE;
    if (h->kind == MK_MAP && (h->u > SIZE_MAX / 2 || rd_need(r, 2 * h->u))) return HUB_EPARSE;
    return 0;
}

/* A copy of s with every invalid UTF-8 sequence replaced by U+FFFD, as a JavaScript decoder reads
 * it (hub_free), with its length in *olen; NULL when out of memory. */
static char *utf8_lossy(const char *s, size_t len, size_t *olen)
{
    char *buf, *o;
    size_t i = 0;

    if (len > SIZE_MAX / 3 - 1) return NULL;
    buf = hub_malloc(len * 3 + 1);
    if (!buf) return NULL;
    o = buf;
    while (i < len) {
        const uint8_t *p = (const uint8_t *)s + i;
        size_t left = len - i, n = 0;
        uint32_t cp = 0;
        if (p[0] < 0x80) {
            n = 1;
        } else if (p[0] >= 0xc2 && p[0] <= 0xdf && left >= 2 && (p[1] & 0xc0) == 0x80) {
            n = 2;
        } else if (p[0] >= 0xe0 && p[0] <= 0xef && left >= 3 && (p[1] & 0xc0) == 0x80 &&
                   (p[2] & 0xc0) == 0x80) {
            cp = ((uint32_t)(p[0] & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
            n = cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) ? 3 : 0;
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4 && left >= 4 && (p[1] & 0xc0) == 0x80 &&
                   (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80) {
            cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
                 ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
            n = cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0;
        }
        if (n) {
            memcpy(o, p, n);
            o += n;
            i += n;
        } else {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    *o = '\0';
    *olen = (size_t)(o - buf);
    return buf;
}

static json_t *string_new(const char *s, size_t len)
{
    json_t *v = json_stringn(s, len);
    char *fixed;
    size_t flen;

    if (v || !(fixed = utf8_lossy(s, len, &flen))) return v;
    v = json_stringn(fixed, flen);
    hub_free(fixed);
    return v;
}

/* Takes a bin of len bytes at r->p into the attachment list; returns its placeholder. */
static int take_bin(struct rd *r, size_t len, json_t **out)
{
    struct sio_buf *b;

    if (r->nbufs >= r->max_bufs) return HUB_ELIMIT;
    if (r->nbufs == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        b = hub_realloc(r->bufs, cap * sizeof(*b));
        if (!b) return HUB_ENOMEM;
        r->bufs = b;
        r->cap = cap;
    }
    b = &r->bufs[r->nbufs];
    b->data = hub_malloc(len ? len : 1);
    if (!b->data) return HUB_ENOMEM;
    if (len) memcpy(b->data, r->p, len);
    b->len = len;
    *out = sio_placeholder_new(r->nbufs);
    if (!*out) {
        hub_free(b->data);
        return HUB_ENOMEM;
    }
    r->nbufs++;
    r->p += len;
    return 0;
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* A timestamp (seconds, nanoseconds) as JSON.stringify writes the Date notepack makes of it. */
static json_t *timestamp_json(int64_t sec, uint32_t nsec)
{
    char buf[40];
    int64_t ms, days, msday, y;
    unsigned mo, d;

    if (sec > MS_MAX / 1000 || sec < -MS_MAX / 1000 || nsec >= 1000000000u) return json_null();
    ms = sec * 1000 + nsec / 1000000;
    if (ms < 0 && nsec % 1000000) ms++; /* the Date constructor truncates toward zero */
    if (ms > MS_MAX || ms < -MS_MAX) return json_null();
    days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    msday = ms - days * 86400000;
    civil(days, &y, &mo, &d);
    if (y >= 0 && y <= 9999)
        snprintf(buf, sizeof(buf), "%04lld", (long long)y);
    else
        snprintf(buf, sizeof(buf), "%c%06lld", y < 0 ? '-' : '+', (long long)(y < 0 ? -y : y));
    snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "-%02u-%02uT%02d:%02d:%02d.%03dZ", mo, d,
             (int)(msday / 3600000), (int)(msday / 60000 % 60), (int)(msday / 1000 % 60),
             (int)(msday % 1000));
    return json_string(buf);
}

static int read_ext(struct rd *r, const struct head *h, json_t **out)
{
    json_t *arr, *ph = NULL;
    int rc;

    if (h->ext == -1 && (h->u == 4 || h->u == 8 || h->u == 12)) {
        const uint8_t *p = r->p;
        int64_t sec;
        uint32_t nsec;
        if (h->u == 4) {
            sec = (int64_t)be(p, 4);
            nsec = 0;
        } else if (h->u == 8) {
            uint64_t v = be(p, 8);
            nsec = (uint32_t)(v >> 34);
            sec = (int64_t)(v & 0x3ffffffffULL);
        } else {
            nsec = (uint32_t)be(p, 4);
            sec = (int64_t)be(p + 4, 8);
        }
        r->p += h->u;
        *out = timestamp_json(sec, nsec);
        return *out ? 0 : HUB_ENOMEM;
    }
    /* notepack turns any other extension into [type, <Buffer>] */
    if ((rc = take_bin(r, h->u, &ph))) return rc;
    arr = json_array();
    if (!arr || json_array_append_new(arr, json_integer(h->ext)) ||
        json_array_append_new(arr, ph)) {
        if (!arr) json_decref(ph);
        json_decref(arr);
        return HUB_ENOMEM;
    }
    *out = arr;
    return 0;
}

static int read_value(struct rd *r, json_t **out);

/* A map key: notepack makes every key a string; integers are written in decimal. */
static int read_key(struct rd *r, char **key, size_t *len)
{
    struct head h;
    char num[32];
    int rc;

    if ((rc = rd_head(r, &h))) return rc;
    if (h.kind == MK_STR) {
        *key = utf8_lossy((const char *)r->p, h.u, len);
        r->p += h.u;
    } else if (h.kind == MK_UINT || h.kind == MK_INT) {
        if (h.kind == MK_UINT)
            snprintf(num, sizeof(num), "%llu", (unsigned long long)h.u);
        else
            snprintf(num, sizeof(num), "%lld", (long long)h.i);
        *len = strlen(num);
        *key = hub_strdup(num);
    } else {
        return HUB_EPARSE;
    }
    return *key ? 0 : HUB_ENOMEM;
}

static int read_container(struct rd *r, const struct head *h, json_t **out)
{
    json_t *c = h->kind == MK_ARRAY ? json_array() : json_object();
    uint64_t i;
    int rc = 0;

    if (!c) return HUB_ENOMEM;
    if (++r->depth > r->max_depth) {
        rc = HUB_ELIMIT;
        goto done;
    }
    for (i = 0; i < h->u && !rc; i++) {
        json_t *v = NULL;
        if (h->kind == MK_ARRAY) {
            if (!(rc = read_value(r, &v)) && json_array_append_new(c, v)) rc = HUB_ENOMEM;
        } else {
            char *key = NULL;
            size_t klen = 0;
            if (!(rc = read_key(r, &key, &klen)) && !(rc = read_value(r, &v)) &&
                json_object_setn_new_nocheck(c, key, klen, v))
                rc = HUB_ENOMEM;
            hub_free(key);
        }
    }
    r->depth--;
done:
    if (rc)
        json_decref(c);
    else
        *out = c;
    return rc;
}

static int read_value(struct rd *r, json_t **out)
{
    struct head h;
    int rc;

    *out = NULL;
    if ((rc = rd_head(r, &h))) return rc;
    switch (h.kind) {
    case MK_NIL:
        *out = json_null();
        break;
    case MK_BOOL:
        *out = json_boolean(h.u);
        break;
    case MK_UINT:
        *out = h.u <= INT64_MAX ? json_integer((json_int_t)h.u) : json_real((double)h.u);
        break;
    case MK_INT:
        *out = json_integer(h.i);
        break;
    case MK_FLOAT:
        *out = isfinite(h.d) ? json_real(h.d) : json_null();
        break;
    case MK_STR:
        *out = string_new((const char *)r->p, h.u);
        r->p += h.u;
        break;
    case MK_BIN:
        return take_bin(r, h.u, out);
    case MK_EXT:
        return read_ext(r, &h, out);
    case MK_ARRAY:
    case MK_MAP:
        return read_container(r, &h, out);
    }
    return *out ? 0 : HUB_ENOMEM;
}

static void rd_init(struct rd *r, const uint8_t *buf, size_t len, const struct adapter_limits *lim)
{
    static const struct adapter_limits defaults = ADAPTER_LIMITS_DEFAULT;

    if (!lim) lim = &defaults;
    memset(r, 0, sizeof(*r));
    r->p = buf;
    r->end = buf + len;
    r->max_depth = lim->max_depth;
    r->max_bufs = lim->max_attachments;
}

static void rd_free(struct rd *r)
{
    bufs_free(r->bufs, r->nbufs);
    r->bufs = NULL;
    r->nbufs = r->cap = 0;
}

/* Reads one whole MessagePack document; trailing bytes are an error, as in notepack. */
static int read_document(struct rd *r, json_t **out)
{
    int rc = read_value(r, out);

    if (!rc && r->p != r->end) {
        json_decref(*out);
        *out = NULL;
        rc = HUB_EPARSE;
    }
    return rc;
}

/* ---- from a decoded value to a message ---------------------------------------------------------
 */

/* A string member without NUL bytes, copied; absent or null leaves *dst NULL. */
static int get_str(const json_t *o, const char *key, char **dst)
{
    const json_t *v = json_object_get(o, key);

    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return HUB_EPARSE;
    *dst = hub_strdup(json_string_value(v));
    return *dst ? 0 : HUB_ENOMEM;
}

/* An array of room names into sv. Numbers are rooms too (7.0.1): integers in decimal. */
static int get_strv(const json_t *arr, struct adapter_strv *sv)
{
    size_t i, n = json_array_size(arr);
    char num[32];

    if (!json_is_array(arr)) return HUB_EPARSE;
    adapter_strv_clear(sv);
    if (!n) return 0;
    sv->v = hub_calloc(n, sizeof(*sv->v));
    if (!sv->v) return HUB_ENOMEM;
    for (i = 0; i < n; i++) {
        const json_t *e = json_array_get(arr, i);
        const char *s;
        if (json_is_string(e) && strlen(json_string_value(e)) == json_string_length(e)) {
            s = json_string_value(e);
        } else if (json_is_integer(e)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(e));
            s = num;
        } else {
            return HUB_EPARSE;
        }
        if (!(sv->v[i] = hub_strdup(s))) return HUB_ENOMEM;
        sv->n = i + 1;
    }
    return 0;
}

static int get_flags(const json_t *o, struct adapter_flags *f)
{
    const json_t *v;

    if (!o || json_is_null(o)) return 0;
    if (!json_is_object(o)) return HUB_EPARSE;
    f->is_volatile = json_is_true(json_object_get(o, "volatile"));
    f->local = json_is_true(json_object_get(o, "local"));
    f->expect_single = json_is_true(json_object_get(o, "expectSingleResponse"));
    v = json_object_get(o, "compress");
    f->compress = json_is_boolean(v) ? json_is_true(v) : -1;
    v = json_object_get(o, "timeout");
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        f->timeout_ms = json_integer_value(v);
    else if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9.2e18)
        f->timeout_ms = (int64_t)json_real_value(v);
    return 0;
}

/* opts: {rooms, except, flags}; a missing list is empty. */
static int get_opts(const json_t *o, struct adapter_msg *m)
{
    const json_t *v;
    int rc;

    if (!json_is_object(o)) return HUB_EPARSE;
    m->has_opts = 1;
    if ((v = json_object_get(o, "rooms")) && !json_is_null(v) && (rc = get_strv(v, &m->rooms)))
        return rc;
    if ((v = json_object_get(o, "except")) && !json_is_null(v) && (rc = get_strv(v, &m->except)))
        return rc;
    return get_flags(json_object_get(o, "flags"), &m->flags);
}

/* packet: {type, data, nsp} (the broadcast's and request 7's) */
static int get_packet(const json_t *o, struct adapter_msg *m)
{
    const json_t *t = json_object_get(o, "type"), *data = json_object_get(o, "data");
    int rc;

    if (!json_is_object(o)) return HUB_EPARSE;
    if (t && !json_is_integer(t)) return HUB_EPARSE;
    m->packet_type = t ? (int)json_integer_value(t) : 2;
    if (!json_is_array(data)) return HUB_EPARSE;
    m->data = json_incref((json_t *)data);
    if ((rc = get_str(o, "nsp", &m->nsp))) return rc;
    if (!m->nsp && !(m->nsp = hub_strdup("/"))) return HUB_ENOMEM;
    return 0;
}

static int get_type(const json_t *o, int *type)
{
    const json_t *t = json_object_get(o, "type");
    json_int_t v;

    if (!t) return 1;
    if (!json_is_integer(t)) return HUB_EPARSE;
    v = json_integer_value(t);
    *type = v >= 0 && v <= 1000 ? (int)v : 1000;
    return 0;
}

static int request_from(const json_t *o, struct adapter_msg *m)
{
    const json_t *v;
    int rc;

    if (!json_is_object(o)) return HUB_EPARSE;
    if ((rc = get_type(o, &m->type))) return rc > 0 ? HUB_EPARSE : rc;
    if ((rc = get_str(o, "uid", &m->uid)) || (rc = get_str(o, "requestId", &m->request_id)))
        return rc;
    switch (m->type) {
    case ADAPTER_SOCKETS:
        if ((v = json_object_get(o, "rooms")) && !json_is_null(v)) {
            if ((rc = get_strv(v, &m->names))) return rc;
            m->has_names = 1;
        }
        return 0;
    case ADAPTER_ALL_ROOMS:
        return 0;
    case ADAPTER_REMOTE_JOIN:
    case ADAPTER_REMOTE_LEAVE:
    case ADAPTER_REMOTE_DISCONNECT:
        if ((v = json_object_get(o, "opts")) && !json_is_null(v)) {
            if ((rc = get_opts(v, m))) return rc;
            if (m->type == ADAPTER_REMOTE_DISCONNECT) {
                m->close = json_is_true(json_object_get(o, "close"));
                return 0;
            }
            if ((v = json_object_get(o, "rooms"))) {
                if ((rc = get_strv(v, &m->names))) return rc;
                m->has_names = 1;
            }
            return 0;
        }
        /* the legacy form: one socket */
        if ((rc = get_str(o, "sid", &m->sid)) || (rc = get_str(o, "room", &m->room))) return rc;
        m->close = json_is_true(json_object_get(o, "close"));
        if (!m->sid) return HUB_EPARSE;
        return 0;
    case ADAPTER_REMOTE_FETCH:
        return get_opts(json_object_get(o, "opts"), m);
    case ADAPTER_SERVER_SIDE_EMIT:
        v = json_object_get(o, "data");
        if (!json_is_array(v)) return HUB_EPARSE;
        m->data = json_incref((json_t *)v);
        return 0;
    case ADAPTER_BROADCAST:
        if ((rc = get_packet(json_object_get(o, "packet"), m))) return rc;
        return get_opts(json_object_get(o, "opts"), m);
    default:
        return 0;
    }
}

static int response_from(const json_t *o, struct adapter_msg *m)
{
    const json_t *v;
    int rc;

    if (!json_is_object(o)) return HUB_EPARSE;
    if ((rc = get_type(o, &m->type)) < 0) return rc;
    if ((rc = get_str(o, "requestId", &m->request_id))) return rc;
    if (!m->request_id) return HUB_EPARSE;
    if ((v = json_object_get(o, "rooms")) && json_is_array(v)) {
        if ((rc = get_strv(v, &m->names))) return rc;
        m->has_names = 1;
    }
    if ((v = json_object_get(o, "sockets")) && json_is_array(v)) {
        const json_t *first = json_array_get(v, 0);
        if (first && !json_is_object(first)) {
            if ((rc = get_strv(v, &m->names))) return rc;
            m->has_names = 1;
        } else {
            m->sockets = json_incref((json_t *)v);
        }
    }
    v = json_object_get(o, "clientCount");
    if (json_is_integer(v)) m->client_count = json_integer_value(v);
    if (json_is_real(v)) m->client_count = (int64_t)json_real_value(v);
    if (m->type == ADAPTER_SERVER_SIDE_EMIT && (v = json_object_get(o, "data")))
        m->data = json_incref((json_t *)v);
    if (m->type == ADAPTER_BROADCAST_ACK && (v = json_object_get(o, "packet")))
        m->data = json_incref((json_t *)v);
    return 0;
}

/* JSON (first byte '{') or MessagePack to a value, the attachments in r. */
static int decode_any(const uint8_t *buf, size_t len, struct rd *r, json_t **out)
{
    json_error_t err;
    size_t failures;

    if (len && buf[0] == '{') {
        failures = hub_alloc_failures();
        *out = json_loadb((const char *)buf, len, JSON_ALLOW_NUL, &err);
        if (*out) return 0;
        return hub_alloc_failures() != failures || json_error_code(&err) == json_error_out_of_memory
                   ? HUB_ENOMEM
                   : HUB_EPARSE;
    }
    return read_document(r, out);
}

typedef int (*from_fn)(const json_t *o, struct adapter_msg *m);

static int decode_with(const uint8_t *buf, size_t len, const struct adapter_limits *lim,
                       struct adapter_msg *out, from_fn from)
{
    struct rd r;
    json_t *root = NULL;
    int rc;

    adapter_msg_init(out);
    rd_init(&r, buf, len, lim);
    rc = decode_any(buf, len, &r, &root);
    if (!rc) rc = from(root, out);
    json_decref(root);
    if (rc) {
        rd_free(&r);
        adapter_msg_clear(out);
        return rc;
    }
    out->bufs = r.bufs;
    out->nbufs = r.nbufs;
    return 0;
}

int adapter_request_decode(const uint8_t *buf, size_t len, const struct adapter_limits *lim,
                           struct adapter_msg *out)
{
    return decode_with(buf, len, lim, out, request_from);
}

int adapter_response_decode(const uint8_t *buf, size_t len, const struct adapter_limits *lim,
                            struct adapter_msg *out)
{
    return decode_with(buf, len, lim, out, response_from);
}

/* The broadcast envelope is read structurally, so that bin is only taken inside packet.data. */
static int read_str_member(struct rd *r, char **dst)
{
    struct head h;
    int rc;

    if ((rc = rd_head(r, &h))) return rc;
    if (h.kind == MK_NIL) return 0;
    if (h.kind != MK_STR || memchr(r->p, 0, h.u)) return HUB_EPARSE;
    hub_free(*dst);
    *dst = hub_strndup((const char *)r->p, h.u);
    r->p += h.u;
    return *dst ? 0 : HUB_ENOMEM;
}

/* Reads a value and throws it away (attachments outside packet.data are dropped). */
static int read_json_plain(struct rd *r, json_t **out)
{
    size_t before = r->nbufs;
    int rc = read_value(r, out);

    while (r->nbufs > before)
        hub_free(r->bufs[--r->nbufs].data);
    return rc;
}

static int key_is(const char *key, size_t klen, const char *want)
{
    return klen == strlen(want) && memcmp(key, want, klen) == 0;
}

static int read_map_head(struct rd *r, uint64_t *n)
{
    struct head h;
    int rc;

    if ((rc = rd_head(r, &h))) return rc;
    if (h.kind != MK_MAP) return HUB_EPARSE;
    *n = h.u;
    return 0;
}

static int read_bcast_packet(struct rd *r, struct adapter_msg *m)
{
    uint64_t n, i;
    int rc;

    if ((rc = read_map_head(r, &n))) return rc;
    for (i = 0; i < n; i++) {
        char *key = NULL;
        size_t klen;
        json_t *v = NULL;
        if ((rc = read_key(r, &key, &klen))) return rc;
        if (key_is(key, klen, "data")) {
            json_decref(m->data);
            m->data = NULL;
            rc = read_value(r, &m->data);
            if (!rc && !json_is_array(m->data)) rc = HUB_EPARSE;
        } else if (key_is(key, klen, "nsp")) {
            rc = read_str_member(r, &m->nsp);
        } else if (key_is(key, klen, "type")) {
            if (!(rc = read_json_plain(r, &v)) && !json_is_integer(v)) rc = HUB_EPARSE;
            if (!rc) m->packet_type = (int)json_integer_value(v);
        } else {
            rc = read_json_plain(r, &v);
        }
        json_decref(v);
        hub_free(key);
        if (rc) return rc;
    }
    if (!m->data) return HUB_EPARSE;
    if (!m->nsp && !(m->nsp = hub_strdup("/"))) return HUB_ENOMEM;
    return 0;
}

int adapter_broadcast_decode(const uint8_t *buf, size_t len, const struct adapter_limits *lim,
                             struct adapter_msg *out)
{
    struct rd r;
    struct head h;
    json_t *opts = NULL, *extra = NULL;
    uint64_t i;
    int rc;

    adapter_msg_init(out);
    rd_init(&r, buf, len, lim);
    r.depth = 2; /* the envelope and the packet map */
    rc = rd_head(&r, &h);
    if (!rc && (h.kind != MK_ARRAY || h.u < 3)) rc = HUB_EPARSE;
    if (!rc) {
        const uint8_t *at = r.p;
        if ((rc = read_str_member(&r, &out->uid)) == HUB_EPARSE) {
            /* a uid that is not a string cannot be anybody's: keep going without one */
            r.p = at;
            rc = read_json_plain(&r, &extra);
        }
    }
    if (!rc) rc = read_bcast_packet(&r, out);
    if (!rc) rc = read_json_plain(&r, &opts);
    if (!rc) rc = get_opts(opts, out);
    for (i = 3; !rc && i < h.u; i++) {
        json_decref(extra);
        extra = NULL;
        rc = read_json_plain(&r, &extra);
    }
    if (!rc && r.p != r.end) rc = HUB_EPARSE;
    json_decref(opts);
    json_decref(extra);
    if (rc) {
        rd_free(&r);
        adapter_msg_clear(out);
        return rc;
    }
    out->bufs = r.bufs;
    out->nbufs = r.nbufs;
    return 0;
}

/* ---- requests and responses --------------------------------------------------------------------
 */

static int dump_cb(const char *buffer, size_t size, void *data)
{
    return put(data, buffer, size) ? -1 : 0;
}

/* Appends o (stolen) as compact JSON. */
static int put_json_text(struct adapter_out *out, json_t *o)
{
    int rc;

    if (!o) return HUB_ENOMEM;
    rc = json_dump_callback(o, dump_cb, out, JSON_COMPACT) ? HUB_ENOMEM : 0;
    json_decref(o);
    return rc;
}

static json_t *strv_json(const struct adapter_strv *sv)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; a && i < sv->n; i++) {
        if (json_array_append_new(a, json_string(sv->v[i]))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Sets key to a new value; a NULL value (failed allocation) fails. */
static int set_new(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

static json_t *opts_json(const struct adapter_msg *m)
{
    json_t *o = json_object();

    if (!o || set_new(o, "rooms", strv_json(&m->rooms)) ||
        set_new(o, "except", strv_json(&m->except))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Builds the JSON of a request of type 0-6 (NULL on allocation failure, *bad set when invalid). */
static json_t *request_json(const struct adapter_msg *m, int *bad)
{
    json_t *o = json_object();
    int legacy = m->sid != NULL, fail = 0;

    if (!o) return NULL;
    if (m->uid) fail |= set_new(o, "uid", json_string(m->uid));
    if (m->request_id) fail |= set_new(o, "requestId", json_string(m->request_id));
    fail |= set_new(o, "type", json_integer(m->type));
    switch (m->type) {
    case ADAPTER_SOCKETS:
        fail |= set_new(o, "rooms", strv_json(&m->names));
        break;
    case ADAPTER_ALL_ROOMS:
        break;
    case ADAPTER_REMOTE_JOIN:
    case ADAPTER_REMOTE_LEAVE:
        if (legacy) {
            fail |= set_new(o, "sid", json_string(m->sid));
            if (!m->room) *bad = 1;
            fail |= m->room ? set_new(o, "room", json_string(m->room)) : 0;
        } else {
            fail |= set_new(o, "opts", opts_json(m));
            fail |= set_new(o, "rooms", strv_json(&m->names));
        }
        break;
    case ADAPTER_REMOTE_DISCONNECT:
        if (legacy)
            fail |= set_new(o, "sid", json_string(m->sid));
        else
            fail |= set_new(o, "opts", opts_json(m));
        fail |= set_new(o, "close", json_boolean(m->close));
        break;
    case ADAPTER_REMOTE_FETCH:
        fail |= set_new(o, "opts", opts_json(m));
        break;
    case ADAPTER_SERVER_SIDE_EMIT:
        if (!json_is_array(m->data))
            *bad = 1;
        else
            fail |= json_object_set(o, "data", m->data);
        break;
    default:
        *bad = 1;
    }
    if (fail || *bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int adapter_request_encode(const struct adapter_msg *m, struct adapter_out *out)
{
    size_t start = out->len;
    int rc, bad = 0;
    json_t *o;

    if (m->type == ADAPTER_BROADCAST) {
        if (!m->uid || !m->request_id || !m->nsp || !json_is_array(m->data) ||
            (m->nbufs && !m->bufs))
            return HUB_EINVAL;
        rc = put_map(out, 5);
        if (!rc) rc = put_cstr(out, "uid");
        if (!rc) rc = put_cstr(out, m->uid);
        if (!rc) rc = put_cstr(out, "requestId");
        if (!rc) rc = put_cstr(out, m->request_id);
        if (!rc) rc = put_cstr(out, "type");
        if (!rc) rc = put_int(out, ADAPTER_BROADCAST);
        if (!rc) rc = put_cstr(out, "packet");
        if (!rc) rc = put_packet(out, m);
        if (!rc) rc = put_cstr(out, "opts");
        if (!rc) rc = put_opts(out, m);
        return encode_into(out, rc, start);
    }
    if (m->type < 0 || m->type > ADAPTER_SERVER_SIDE_EMIT) return HUB_EINVAL;
    if ((m->type <= ADAPTER_ALL_ROOMS || m->type == ADAPTER_REMOTE_FETCH) && !m->request_id)
        return HUB_EINVAL;
    o = request_json(m, &bad);
    if (bad) return HUB_EINVAL;
    return encode_into(out, put_json_text(out, o), start);
}

int adapter_response_encode(const struct adapter_msg *m, struct adapter_out *out)
{
    size_t start = out->len;
    json_t *o;
    int fail = 0, rc;

    if (!m->request_id) return HUB_EINVAL;
    if (m->type == ADAPTER_BROADCAST_ACK) {
        struct wctx w = {m->bufs, m->nbufs};
        if (m->nbufs && !m->bufs) return HUB_EINVAL;
        rc = put_map(out, m->data ? 3 : 2);
        if (!rc) rc = put_cstr(out, "type");
        if (!rc) rc = put_int(out, ADAPTER_BROADCAST_ACK);
        if (!rc) rc = put_cstr(out, "requestId");
        if (!rc) rc = put_cstr(out, m->request_id);
        if (!rc && m->data) rc = put_cstr(out, "packet");
        if (!rc && m->data) rc = put_json(out, m->data, &w, 0);
        return encode_into(out, rc, start);
    }
    o = json_object();
    if (!o) return HUB_ENOMEM;
    switch (m->type) {
    case ADAPTER_SERVER_SIDE_EMIT:
    case ADAPTER_BROADCAST_CLIENT_COUNT:
        fail |= set_new(o, "type", json_integer(m->type));
        break;
    default:
        break;
    }
    fail |= set_new(o, "requestId", json_string(m->request_id));
    switch (m->type) {
    case ADAPTER_SOCKETS:
        fail |= set_new(o, "sockets", strv_json(&m->names));
        break;
    case ADAPTER_ALL_ROOMS:
        fail |= set_new(o, "rooms", strv_json(&m->names));
        break;
    case ADAPTER_REMOTE_JOIN:
    case ADAPTER_REMOTE_LEAVE:
    case ADAPTER_REMOTE_DISCONNECT:
        break;
    case ADAPTER_REMOTE_FETCH:
        if (!json_is_array(m->sockets)) {
            json_decref(o);
            return HUB_EINVAL;
        }
        fail |= json_object_set(o, "sockets", m->sockets);
        break;
    case ADAPTER_SERVER_SIDE_EMIT:
        if (m->data) fail |= json_object_set(o, "data", m->data);
        break;
    case ADAPTER_BROADCAST_CLIENT_COUNT:
        fail |= set_new(o, "clientCount", json_integer(m->client_count));
        break;
    default:
        json_decref(o);
        return HUB_EINVAL;
    }
    if (fail) {
        json_decref(o);
        return HUB_ENOMEM;
    }
    return encode_into(out, put_json_text(out, o), start);
}
