/* aws_sigv4.c - see aws_sigv4.h. */
#include "aws_sigv4.h"

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
    /* AKID/date/region/service/aws4_request */
    const char *parts[5];
    size_t lens[5], k = 0;
    const char *p = cred, *end = cred + cn;
    while (k < 5) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        parts[k] = p;
        lens[k] = (size_t)((slash ? slash : end) - p);
        k++;
        if (!slash) break;
        p = slash + 1;
    }
    if (k != 5 || parts[4] + lens[4] != end || lens[4] != 12 ||
        strncmp(parts[4], "aws4_request", 12) != 0)
        return HUB_EPARSE;
    if (copy(out->access_key, sizeof out->access_key, parts[0], lens[0]) || lens[1] != 8 ||
        copy(out->date, sizeof out->date, parts[1], lens[1]) ||
        copy(out->region, sizeof out->region, parts[2], lens[2]) ||
        copy(out->service, sizeof out->service, parts[3], lens[3]) ||
        copy(out->signed_headers, sizeof out->signed_headers, sh, shn) || sn != 64 ||
        copy(out->signature, sizeof out->signature, sig, sn))
        return HUB_EPARSE;
    for (size_t i = 0; i < 64; i++) {
        char c = out->signature[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return HUB_EPARSE;
    }
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

/* Decodes %XX (not '+': SigV4 takes a '+' in a query as a literal, clients encode spaces as %20)
 * and re-encodes strictly. */
static void reencode(struct aws_buf *b, const char *s, size_t n)
{
    struct aws_buf d;
    aws_buf_init(&d);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            char c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            aws_buf_add(&d, &c, 1);
            i += 2;
        } else {
            aws_buf_add(&d, &s[i], 1);
        }
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

static void canonical_query(struct aws_buf *b, const char *q)
{
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
                                 const char *const *values, size_t n, const char *payload_hash)
{
    char names[AWS_SIGV4_MAX_HEADERS][64];
    int nn = aws_sigv4_header_names(signed_headers, names, AWS_SIGV4_MAX_HEADERS);
    aws_buf_adds(b, method);
    aws_buf_add(b, "\n", 1);
    encode(b, path && *path ? path : "/", path && *path ? strlen(path) : 1, 1);
    aws_buf_add(b, "\n", 1);
    canonical_query(b, query ? query : "");
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
