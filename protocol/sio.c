/* sio.c - Socket.IO v5 packet codec.
 *
 * The text layout follows socket.io-parser 4.2 (decodeString): the namespace is read only when the
 * character after the type (and attachment count) is '/', and it runs to ',' (consumed) or to the
 * end; ack id digits follow; whatever remains is JSON. Where the reference leans on JavaScript's
 * loose Number() conversions (" 1", "0x1" as counts or ids) we accept ASCII digits only. */
#include "sio.h"

#include <string.h>

#include "hub_alloc.h"
#include "hub_err.h"
#include "qs.h"

/* Deeper than anything json_loadb() returns (JSON_PARSER_MAX_DEPTH is 2048); guards hand-built
 * values. */
#define WALK_MAX_DEPTH 4096

static const struct sio_limits default_limits = SIO_LIMITS_DEFAULT;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_binary_type(enum sio_type t)
{
    return t == SIO_BINARY_EVENT || t == SIO_BINARY_ACK;
}

int sio_header_parse(const char *s, size_t len, const struct sio_limits *lim, struct sio_header *h)
{
    size_t i = 1;
    enum sio_type type;

    if (!lim) lim = &default_limits;
    if (len == 0 || s[0] < '0' || s[0] > '6') return HUB_EPARSE;
    type = (enum sio_type)(s[0] - '0');

    h->attachments = 0;
    if (is_binary_type(type)) {
        size_t start = i, count = 0;
        int over = 0;

        for (; i < len && is_digit(s[i]); i++) {
            if (count > lim->max_attachments || count > (SIZE_MAX - 9) / 10)
                over = 1; /* keep scanning; the value no longer matters */
            else
                count = count * 10 + (size_t)(s[i] - '0');
        }
        /* The reference refuses a missing '-' before it looks at the count, and a count below 1. */
        if (i == start || i == len || s[i] != '-') return HUB_EPARSE;
        i++;
        if (!over && count == 0) return HUB_EPARSE;
        if (over || count > lim->max_attachments) return HUB_ELIMIT;
        h->attachments = count;
    }

    if (i < len && s[i] == '/') {
        const char *comma = memchr(s + i, ',', len - i);
        size_t end = comma ? (size_t)(comma - s) : len;

        /* A NUL would silently shorten the NUL-terminated copy the decoder makes: refuse it. */
        if (memchr(s + i, '\0', end - i)) return HUB_EPARSE;
        h->nsp = s + i;
        h->nsp_len = end - i;
        i = comma ? end + 1 : len;
    } else {
        h->nsp = "/";
        h->nsp_len = 1;
    }

    h->id = SIO_NO_ID;
    if (i < len && is_digit(s[i])) {
        int64_t id = 0;

        for (; i < len && is_digit(s[i]); i++) {
            int d = s[i] - '0';
            if (id > (SIO_MAX_ID - d) / 10) return HUB_EPARSE;
            id = id * 10 + d;
        }
        h->id = id;
    }

    /* "21-[..]": an attachment count on a type that has none (no JSON payload starts with '-'). */
    if (!is_binary_type(type) && i < len && s[i] == '-') return HUB_EPARSE;

    h->type = type;
    h->data = s + i;
    h->data_len = len - i;
    return 0;
}

void sio_packet_clear(struct sio_packet *p)
{
    size_t i;

    hub_free(p->nsp);
    json_decref(p->data);
    for (i = 0; i < p->nbufs; i++)
        hub_free(p->bufs[i].data);
    hub_free(p->bufs);
    memset(p, 0, sizeof(*p));
    p->id = SIO_NO_ID;
}

/* Event names the reference refuses to receive: they mean something to its own emitters. */
static int is_reserved_event(const json_t *name)
{
    static const char *const reserved[] = {"connect",       "connect_error", "disconnect",
                                           "disconnecting", "newListener",   "removeListener"};
    const char *s = json_string_value(name);
    size_t n = json_string_length(name), i;

    for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strlen(reserved[i]) == n && memcmp(reserved[i], s, n) == 0) return 1;
    return 0;
}

int sio_payload_check(enum sio_type type, const json_t *data)
{
    switch (type) {
    case SIO_CONNECT:
        return !data || json_is_object(data) ? 0 : HUB_EPARSE;
    case SIO_DISCONNECT:
        return !data ? 0 : HUB_EPARSE;
    case SIO_EVENT:
    case SIO_BINARY_EVENT: {
        const json_t *name = json_array_get(data, 0);
        return json_is_string(name) && !is_reserved_event(name) ? 0 : HUB_EPARSE;
    }
    case SIO_ACK:
    case SIO_BINARY_ACK:
        return json_is_array(data) ? 0 : HUB_EPARSE;
    case SIO_CONNECT_ERROR:
        return json_is_object(data) || json_is_string(data) ? 0 : HUB_EPARSE;
    }
    return HUB_EPARSE;
}

static int walk_placeholders(const json_t *v, size_t nbufs, int depth)
{
    const char *key;
    json_t *child;
    size_t i;

    if (depth > WALK_MAX_DEPTH) return HUB_EPARSE;
    if (json_is_object(v)) {
        const json_t *flag = json_object_get(v, "_placeholder");
        if (flag) {
            const json_t *num = json_object_get(v, "num");
            json_int_t n;

            if (!json_is_true(flag) || !json_is_integer(num)) return HUB_EPARSE;
            n = json_integer_value(num);
            return n >= 0 && (uint64_t)n < nbufs ? 0 : HUB_EPARSE;
        }
        json_object_foreach((json_t *)v, key, child)
        {
            int rc = walk_placeholders(child, nbufs, depth + 1);
            if (rc) return rc;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, child)
        {
            int rc = walk_placeholders(child, nbufs, depth + 1);
            if (rc) return rc;
        }
    }
    return 0;
}

int sio_placeholders_check(const json_t *data, size_t nbufs)
{
    return data ? walk_placeholders(data, nbufs, 0) : 0;
}

json_t *sio_placeholder_new(size_t num)
{
    json_t *o = json_object();

    if (!o) return NULL;
    if (json_object_set_new(o, "_placeholder", json_true()) ||
        json_object_set_new(o, "num", json_integer((json_int_t)num))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* --- decoder -------------------------------------------------------------------------------------
 */

struct sio_decoder {
    struct sio_limits lim;
    struct sio_packet pending; /* a binary packet waiting for its attachments */
    size_t expected;           /* attachments it waits for; 0 when nothing is pending */
    size_t bytes;              /* text plus attachments received so far */
};

static void decoder_reset(sio_decoder *d)
{
    sio_packet_clear(&d->pending);
    d->expected = 0;
    d->bytes = 0;
}

sio_decoder *sio_decoder_new(const struct sio_limits *lim)
{
    sio_decoder *d = hub_calloc(1, sizeof(*d));

    if (!d) return NULL;
    d->lim = lim ? *lim : default_limits;
    d->pending.id = SIO_NO_ID;
    return d;
}

void sio_decoder_free(sio_decoder *d)
{
    if (!d) return;
    decoder_reset(d);
    hub_free(d);
}

/* Parses the JSON payload: exactly one value (whitespace around it allowed, as JSON.parse does). */
static int load_json(const char *s, size_t len, json_t **out)
{
    json_error_t err;
    size_t failures = hub_alloc_failures();
    json_t *v = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

    /* jansson reports most allocation failures as syntax errors; the wrappers' count knows better.
     */
    if (!v)
        return hub_alloc_failures() != failures || json_error_code(&err) == json_error_out_of_memory
                   ? HUB_ENOMEM
                   : HUB_EPARSE;
    if (hub_alloc_failures() != failures) {
        /* jansson can survive a failed allocation and return a value with bytes dropped */
        json_decref(v);
        return HUB_ENOMEM;
    }
    *out = v;
    return 0;
}

int sio_decoder_feed_text(sio_decoder *d, const char *s, size_t len, struct sio_packet *out)
{
    struct sio_header h;
    json_t *data = NULL;
    char *nsp;
    int rc;

    if (d->expected) {
        decoder_reset(d);
        return HUB_EPARSE;
    }
    if (len > d->lim.max_bytes) return HUB_ELIMIT;
    rc = sio_header_parse(s, len, &d->lim, &h);
    if (rc) return rc;
    if (h.data_len) {
        rc = load_json(h.data, h.data_len, &data);
        if (rc) return rc;
    }
    rc = sio_payload_check(h.type, data);
    if (rc == 0 && is_binary_type(h.type)) rc = sio_placeholders_check(data, h.attachments);
    if (rc) goto fail_data;
    nsp = hub_strndup(h.nsp, h.nsp_len);
    if (!nsp) {
        rc = HUB_ENOMEM;
        goto fail_data;
    }

    if (!is_binary_type(h.type)) {
        memset(out, 0, sizeof(*out));
        out->type = h.type;
        out->nsp = nsp;
        out->id = h.id;
        out->data = data;
        return 1;
    }

    d->pending.bufs = hub_calloc(h.attachments, sizeof(*d->pending.bufs));
    if (!d->pending.bufs) {
        rc = HUB_ENOMEM;
        goto fail_nsp;
    }
    d->pending.type = h.type;
    d->pending.nsp = nsp;
    d->pending.id = h.id;
    d->pending.data = data;
    d->pending.nbufs = 0;
    d->expected = h.attachments;
    d->bytes = len;
    return 0;

fail_nsp:
    hub_free(nsp);
fail_data:
    json_decref(data);
    return rc;
}

int sio_decoder_feed_binary(sio_decoder *d, const uint8_t *data, size_t len, struct sio_packet *out)
{
    struct sio_buf *b;
    int rc;

    if (!d->expected) return HUB_EPARSE;
    if (len > d->lim.max_bytes - d->bytes) {
        rc = HUB_ELIMIT;
        goto fail;
    }
    b = &d->pending.bufs[d->pending.nbufs];
    b->data = hub_malloc(len ? len : 1);
    if (!b->data) {
        rc = HUB_ENOMEM;
        goto fail;
    }
    if (len) memcpy(b->data, data, len);
    b->len = len;
    d->pending.nbufs++;
    d->bytes += len;
    if (d->pending.nbufs < d->expected) return 0;

    *out = d->pending;
    memset(&d->pending, 0, sizeof(d->pending));
    d->pending.id = SIO_NO_ID;
    d->expected = 0;
    d->bytes = 0;
    return 1;

fail:
    decoder_reset(d);
    return rc;
}

/* --- encoder -------------------------------------------------------------------------------------
 */

struct outbuf {
    char *p;
    size_t len, cap;
};

static int outbuf_put(struct outbuf *b, const char *s, size_t n)
{
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 64;
        char *p;

        while (n > cap - b->len) {
            if (cap > SIZE_MAX / 2) return -1;
            cap *= 2;
        }
        p = hub_realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static int dump_cb(const char *s, size_t n, void *ud)
{
    return outbuf_put(ud, s, n);
}

/* Writes v in decimal into dst (at least 20 bytes); returns the length. */
static size_t format_u64(uint64_t v, char *dst)
{
    char tmp[20];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    return n;
}

char *sio_encode(enum sio_type type, const char *nsp, int64_t id, const json_t *data,
                 size_t attachments, size_t *len)
{
    struct outbuf b = {NULL, 0, 0};
    char num[20];
    char c = (char)('0' + type);

    if ((unsigned)type > SIO_BINARY_ACK) return NULL;
    if (outbuf_put(&b, &c, 1)) goto fail;
    if (is_binary_type(type) &&
        (outbuf_put(&b, num, format_u64(attachments, num)) || outbuf_put(&b, "-", 1)))
        goto fail;
    if (nsp && strcmp(nsp, "/") != 0 &&
        (outbuf_put(&b, nsp, strlen(nsp)) || outbuf_put(&b, ",", 1)))
        goto fail;
    if (id >= 0 && outbuf_put(&b, num, format_u64((uint64_t)id, num))) goto fail;
    if (data && json_dump_callback(data, dump_cb, &b, JSON_COMPACT | JSON_ENCODE_ANY)) goto fail;
    if (outbuf_put(&b, "", 1)) goto fail;
    *len = b.len - 1;
    return b.p;

fail:
    hub_free(b.p);
    return NULL;
}

/* ---- protocol v4 namespaces with a query ---- */

size_t sio_v3_nsp_split(const char *nsp, size_t len)
{
    size_t i;

    for (i = 0; i < len && nsp[i] != '?' && nsp[i] != '#'; i++)
        ;
    return i;
}

/* Adds name=value to o; a repeated name collects an array. Returns 0, 1 (skipped: a name with a NUL
 * byte, or not UTF-8) or -1 (no memory). */
static int qs_add(json_t *o, const char *k, size_t kn, const char *v, size_t vn)
{
    json_t *name, *val, *old;
    const char *key;
    int rc;

    if (memchr(k, '\0', kn)) return 1;
    name = json_stringn(k, kn); /* checks the UTF-8 and gives a NUL-terminated copy */
    val = json_stringn(v, vn);
    if (!name || !val) {
        json_decref(name);
        json_decref(val);
        return 1;
    }
    key = json_string_value(name);
    old = json_object_get(o, key);
    if (!old) {
        rc = json_object_set_new(o, key, val);
    } else if (json_is_array(old)) {
        rc = json_array_append_new(old, val);
    } else {
        json_t *arr = json_pack("[Oo]", old, val);
        rc = !arr || json_object_set_new(o, key, arr) ? -1 : 0;
    }
    json_decref(name);
    return rc ? -1 : 0;
}

json_t *sio_v3_query_new(const char *nsp, size_t len)
{
    size_t path = sio_v3_nsp_split(nsp, len), end, i, pairs = 0;
    json_t *o = json_object();
    char *buf;

    if (!o || path >= len || nsp[path] != '?') return o;
    end = path + 1;
    while (end < len && nsp[end] != '#')
        end++;
    buf = hub_malloc(end - path);
    if (!buf) goto fail;
    for (i = path + 1; i < end && pairs < 1000;) {
        const char *piece = nsp + i, *amp = memchr(piece, '&', end - i), *eq;
        size_t pn = amp ? (size_t)(amp - piece) : end - i, kn, vn;
        i += pn + 1;
        if (pn == 0) continue;
        pairs++;
        eq = memchr(piece, '=', pn);
        kn = qs_unescape(piece, eq ? (size_t)(eq - piece) : pn, buf);
        vn = eq ? qs_unescape(eq + 1, pn - (size_t)(eq - piece) - 1, buf + kn) : 0;
        if (qs_add(o, buf, kn, buf + kn, vn) < 0) goto fail;
    }
    hub_free(buf);
    return o;

fail:
    hub_free(buf);
    json_decref(o);
    return NULL;
}
