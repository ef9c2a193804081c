/* aws_sigv4.c - see aws_sigv4.h. */
#include "aws_sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_alloc.h"
#include "hub_err.h"

/* Copies s[0..n) into dst (cap bytes with the NUL); -1 when it does not fit or is empty. */
static int copy(char *dst, size_t cap, const char *s, size_t n)
{
    if (n == 0 || n >= cap) return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

/* The value of "key=" in the comma-separated list p (spaces around parts allowed); NULL if absent.
 * *n gets its length. */
static const char *field(const char *p, const char *key, size_t *n)
{
    size_t klen = strlen(key);
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            const char *v = p + klen + 1, *e = end;
            while (e > v && e[-1] == ' ')
                e--;
            *n = (size_t)(e - v);
            return v;
        }
        p = end;
    }
    return NULL;
}

/* Fills the scope fields of out from "AKID/yyyymmdd/region/service/aws4_request" (cred[0..n)).
 * Returns 0; -1 when there are not exactly 5 parts; -2 when a part is empty, too long, not 8
 * digits (the date) or not aws4_request (the last). */
static int credential(const char *cred, size_t n, struct aws_sigv4_auth *out)
{
    const char *parts[5];
    size_t lens[5], k = 0;
    const char *p = cred, *end = cred + n;
    while (k < 5) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        parts[k] = p;
        lens[k] = (size_t)((slash ? slash : end) - p);
        k++;
        if (!slash) break;
        p = slash + 1;
    }
    if (k != 5 || parts[4] + lens[4] != end) return -1;
    if (lens[4] != 12 || strncmp(parts[4], "aws4_request", 12) != 0 || lens[1] != 8 ||
        copy(out->access_key, sizeof out->access_key, parts[0], lens[0]) ||
        copy(out->date, sizeof out->date, parts[1], lens[1]) ||
        copy(out->region, sizeof out->region, parts[2], lens[2]) ||
        copy(out->service, sizeof out->service, parts[3], lens[3]))
        return -2;
    for (size_t i = 0; i < 8; i++)
        if (out->date[i] < '0' || out->date[i] > '9') return -2;
    return 0;
}

/* 1 when s[0..n) is 64 lowercase hex digits. */
static int hex64(const char *s, size_t n)
{
    if (n != 64) return 0;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

int aws_sigv4_parse(const char *h, struct aws_sigv4_auth *out)
{
    static const char algo[] = "AWS4-HMAC-SHA256";
    const char *cred, *sh, *sig;
    size_t cn, shn, sn;
    memset(out, 0, sizeof *out);
    if (!h) return HUB_EPARSE;
    while (*h == ' ')
        h++;
    if (strncmp(h, algo, sizeof algo - 1) != 0 || h[sizeof algo - 1] != ' ') return HUB_EPARSE;
    h += sizeof algo;
    if (!(cred = field(h, "Credential", &cn)) || !(sh = field(h, "SignedHeaders", &shn)) ||
        !(sig = field(h, "Signature", &sn)))
        return HUB_EPARSE;
    if (credential(cred, cn, out) ||
        copy(out->signed_headers, sizeof out->signed_headers, sh, shn) || !hex64(sig, sn))
        return HUB_EPARSE;
    memcpy(out->signature, sig, 64);
    return 0;
}

int aws_sigv4_header_names(const char *s, char names[][64], size_t max)
{
    size_t n = 0;
    while (*s) {
        const char *end = strchr(s, ';');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (n == max || copy(names[n], 64, s, len)) return -1;
        n++;
        if (!end) break;
        s = end + 1;
        if (!*s) return -1;
    }
    return (int)n;
}

static int unreserved(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

static void encode(struct aws_buf *b, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            aws_buf_add(b, &s[i], 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            aws_buf_add(b, e, 3);
        }
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The byte at s[*i] of the query text s[0..n), a %XX decoded (not '+': SigV4 takes a '+' in a
 * query as a literal, clients encode spaces as %20); *i moves past it. */
static char unescape(const char *s, size_t n, size_t *i)
{
    size_t k = *i;
    if (s[k] == '%' && k + 2 < n && hexval(s[k + 1]) >= 0 && hexval(s[k + 2]) >= 0) {
        *i = k + 3;
        return (char)(hexval(s[k + 1]) * 16 + hexval(s[k + 2]));
    }
    *i = k + 1;
    return s[k];
}

/* Decodes s[0..n) into dst (cap bytes with the NUL). Returns the length, or -1 when it does not
 * fit or holds a NUL. */
static int decode(char *dst, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        char c = unescape(s, n, &i);
        if (c == '\0' || k + 1 >= cap) return -1;
        dst[k++] = c;
    }
    dst[k] = '\0';
    return (int)k;
}

/* Decodes s[0..n) and re-encodes it strictly. */
static void reencode(struct aws_buf *b, const char *s, size_t n)
{
    struct aws_buf d;
    aws_buf_init(&d);
    for (size_t i = 0; i < n;) {
        char c = unescape(s, n, &i);
        aws_buf_add(&d, &c, 1);
    }
    if (d.failed)
        b->failed = 1;
    else
        encode(b, d.data ? d.data : "", d.len, 0);
    aws_buf_free(&d);
}

struct qpart {
    char *text; /* "name=value", encoded */
    size_t name_len;
};

static int qpart_cmp(const void *a, const void *b)
{
    const struct qpart *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->text, y->text, n);
    if (c) return c;
    if (x->name_len != y->name_len) return x->name_len < y->name_len ? -1 : 1;
    return strcmp(x->text + x->name_len, y->text + y->name_len);
}

static void canonical_query(struct aws_buf *b, const char *q, unsigned flags)
{
    static const char sig[] = "X-Amz-Signature";
    size_t n = 1, k = 0, len = strlen(q);
    if (len == 0) return;
    for (size_t i = 0; i < len; i++)
        if (q[i] == '&') n++;
    struct qpart *parts = hub_calloc(n, sizeof *parts);
    if (!parts) {
        b->failed = 1;
        return;
    }
    const char *p = q;
    while (p <= q + len && k < n) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        if (plen) {
            const char *eq = memchr(p, '=', plen);
            size_t nl = eq ? (size_t)(eq - p) : plen;
            struct aws_buf t;
            aws_buf_init(&t);
            reencode(&t, p, nl);
            size_t enl = t.len;
            aws_buf_add(&t, "=", 1);
            if (eq) reencode(&t, eq + 1, plen - nl - 1);
            if (t.failed) {
                b->failed = 1;
                aws_buf_free(&t);
            } else if ((flags & AWS_SIGV4_PRESIGNED) && enl == sizeof sig - 1 &&
                       memcmp(t.data, sig, enl) == 0) {
                aws_buf_free(&t);
            } else {
                parts[k].text = t.data;
                parts[k].name_len = enl;
                k++;
            }
        }
        if (!amp) break;
        p = amp + 1;
    }
    qsort(parts, k, sizeof *parts, qpart_cmp);
    for (size_t i = 0; i < k; i++) {
        if (i) aws_buf_add(b, "&", 1);
        aws_buf_adds(b, parts[i].text);
        hub_free(parts[i].text);
    }
    hub_free(parts);
}

/* Trims and collapses runs of spaces. */
static void header_value(struct aws_buf *b, const char *v)
{
    if (!v) return;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < n; i++) {
        if ((v[i] == ' ' || v[i] == '\t') && i && (v[i - 1] == ' ' || v[i - 1] == '\t')) continue;
        aws_buf_add(b, v[i] == '\t' ? " " : &v[i], 1);
    }
}

void aws_sigv4_canonical_request(struct aws_buf *b, const char *method, const char *path,
                                 const char *query, const char *signed_headers,
                                 const char *const *values, size_t n, const char *payload_hash,
                                 unsigned flags)
{
    char names[AWS_SIGV4_MAX_HEADERS][64];
    int nn = aws_sigv4_header_names(signed_headers, names, AWS_SIGV4_MAX_HEADERS);
    aws_buf_adds(b, method);
    aws_buf_add(b, "\n", 1);
    encode(b, path && *path ? path : "/", path && *path ? strlen(path) : 1, 1);
    aws_buf_add(b, "\n", 1);
    canonical_query(b, query ? query : "", flags);
    aws_buf_add(b, "\n", 1);
    for (int i = 0; i < nn; i++) {
        aws_buf_adds(b, names[i]);
        aws_buf_add(b, ":", 1);
        header_value(b, (size_t)i < n ? values[i] : NULL);
        aws_buf_add(b, "\n", 1);
    }
    aws_buf_add(b, "\n", 1);
    aws_buf_adds(b, signed_headers);
    aws_buf_add(b, "\n", 1);
    aws_buf_adds(b, payload_hash);
}

void aws_sigv4_string_to_sign(struct aws_buf *b, const char *amz_date,
                              const struct aws_sigv4_auth *a, const char *canonical_hash)
{
    aws_buf_adds(b, "AWS4-HMAC-SHA256\n");
    aws_buf_adds(b, amz_date);
    aws_buf_addf(b, "\n%s/%s/%s/aws4_request\n", a->date, a->region, a->service);
    aws_buf_adds(b, canonical_hash);
}

/* The query parameters of a presigned request; the first Q_REQUIRED must be there. */
enum { Q_ALGORITHM, Q_CREDENTIAL, Q_SIGNATURE, Q_SIGNED_HEADERS, Q_DATE, Q_EXPIRES, Q_SHA256, Q_N };
#define Q_REQUIRED 5
static const char *const qnames[Q_N] = {
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",      "X-Amz-SignedHeaders",
    "X-Amz-Date",      "X-Amz-Expires",    "X-Amz-Content-Sha256",
};

/* Appends to the NUL-terminated why (whylen bytes); returns HUB_EPARSE. */
static int say(char *why, size_t whylen, const char *text)
{
    size_t used = whylen ? strlen(why) : 0;
    if (used + 1 < whylen) snprintf(why + used, whylen - used, "%s", text);
    return HUB_EPARSE;
}

/* 1 when s is yyyymmddThhmmssZ. */
static int basic_date(const char *s)
{
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z') return 0;
    for (size_t i = 0; i < 15; i++)
        if (i != 8 && (s[i] < '0' || s[i] > '9')) return 0;
    return 1;
}

int aws_sigv4_parse_query(const char *q, struct aws_sigv4_auth *out, char *why, size_t whylen)
{
    const char *val[Q_N] = {0};
    size_t vlen[Q_N] = {0}, seen[Q_N] = {0};
    int repeated = 0;
    memset(out, 0, sizeof *out);
    if (whylen) why[0] = '\0';
    const char *p = q ? q : "", *end = p + strlen(p);
    for (;;) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        char name[24];
        if (decode(name, sizeof name, p, (size_t)((eq ? eq : e) - p)) > 0) {
            for (int k = 0; k < Q_N; k++) {
                if (strcmp(name, qnames[k]) != 0) continue;
                repeated |= seen[k]++ > 0;
                val[k] = eq ? eq + 1 : e;
                vlen[k] = eq ? (size_t)(e - eq - 1) : 0;
            }
        }
        if (!amp) break;
        p = amp + 1;
    }
    if (!seen[Q_ALGORITHM]) return 1;
    int missing = 0;
    for (int k = 0; k < Q_REQUIRED; k++) {
        if (vlen[k]) continue;
        char text[96];
        snprintf(text, sizeof text, "AWS query-string parameters must include '%s'. ", qnames[k]);
        missing = say(why, whylen, text);
    }
    if (missing) return say(why, whylen, "Re-examine the query-string parameters.");
    if (repeated)
        return say(why, whylen, "An AWS query-string authentication parameter is repeated.");
    char alg[24], cred[256], sig[72], expires[16];
    if (decode(alg, sizeof alg, val[Q_ALGORITHM], vlen[Q_ALGORITHM]) < 0 ||
        strcmp(alg, "AWS4-HMAC-SHA256") != 0)
        return say(why, whylen, "Unsupported AWS 'algorithm' (only AWS4-HMAC-SHA256 for now).");
    if (decode(out->amz_date, sizeof out->amz_date, val[Q_DATE], vlen[Q_DATE]) < 0 ||
        !basic_date(out->amz_date))
        return say(why, whylen, "Date must be in ISO-8601 'basic format' (yyyymmddThhmmssZ).");
    int c = decode(cred, sizeof cred, val[Q_CREDENTIAL], vlen[Q_CREDENTIAL]);
    if (c < 0 || (c = credential(cred, (size_t)c, out)) == -1)
        return say(why, whylen,
                   "Credential must have exactly 5 slash-delimited elements, e.g. "
                   "keyid/date/region/service/term.");
    if (c)
        return say(why, whylen,
                   "Credential must be keyid/yyyymmdd/region/service/aws4_request, each part "
                   "shorter than its limit.");
    char names[AWS_SIGV4_MAX_HEADERS][64];
    if (decode(out->signed_headers, sizeof out->signed_headers, val[Q_SIGNED_HEADERS],
               vlen[Q_SIGNED_HEADERS]) < 0 ||
        aws_sigv4_header_names(out->signed_headers, names, AWS_SIGV4_MAX_HEADERS) <= 0)
        return say(why, whylen,
                   "X-Amz-SignedHeaders must be at most 32 header names separated by ';'.");
    if (seen[Q_EXPIRES]) {
        char *e = NULL;
        int n = decode(expires, sizeof expires, val[Q_EXPIRES], vlen[Q_EXPIRES]);
        long v = n > 0 && expires[0] >= '0' && expires[0] <= '9' ? strtol(expires, &e, 10) : 0;
        if (!e || *e || v < 1 || v > AWS_SIGV4_MAX_EXPIRES)
            return say(why, whylen, "X-Amz-Expires must be a number of seconds from 1 to 604800.");
        out->expires = v;
    }
    if (vlen[Q_SHA256] &&
        decode(out->content_sha256, sizeof out->content_sha256, val[Q_SHA256], vlen[Q_SHA256]) < 0)
        return say(why, whylen,
                   "X-Amz-Content-Sha256 must be a SHA-256 in hex or UNSIGNED-PAYLOAD.");
    int sn = decode(sig, sizeof sig, val[Q_SIGNATURE], vlen[Q_SIGNATURE]);
    if (sn > 0 && hex64(sig, (size_t)sn)) memcpy(out->signature, sig, 65);
    out->presigned = 1;
    return 0;
}
