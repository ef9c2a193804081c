/* aws_query.c - see aws_query.h.
 *
 * The pairs are kept sorted by name, so a scalar is a binary search and the items of a list or map
 * are a contiguous run of names sharing its prefix: a request of n pairs converts in O(n log n)
 * whatever its shape. */
#include "aws_query.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_alloc.h"
#include "hub_err.h"

#define NAME_MAX_LEN 512 /* longer names cannot be any member's */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into a new NUL-terminated string; *out_len gets its length. */
static int decode(const char *s, size_t n, char **out, size_t *out_len)
{
    char *d = hub_malloc(n + 1);
    size_t k = 0;
    if (!d) return HUB_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
                hub_free(d);
                return HUB_EPARSE;
            }
            c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
            i += 2;
        }
        d[k++] = (char)c;
    }
    d[k] = '\0';
    *out = d;
    *out_len = k;
    return 0;
}

static int pair_cmp(const void *a, const void *b)
{
    const struct aws_form_pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

int aws_form_parse(struct aws_form *f, const char *s, size_t len)
{
    size_t parts = 1, n0 = f->n;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '&') parts++;
    struct aws_form_pair *v = hub_realloc(f->pairs, (f->n + parts) * sizeof *v);
    if (!v) return HUB_ENOMEM;
    f->pairs = v;
    size_t i = 0;
    int rc = 0;
    while (i < len && rc == 0) {
        const char *part = s + i, *amp = memchr(part, '&', len - i);
        size_t plen = amp ? (size_t)(amp - part) : len - i;
        i += plen + 1;
        if (plen == 0) continue;
        const char *eq = memchr(part, '=', plen);
        size_t nlen = eq ? (size_t)(eq - part) : plen, name_len;
        struct aws_form_pair *p = &f->pairs[f->n];
        rc = decode(part, nlen, &p->name, &name_len);
        if (rc) break;
        rc = eq ? decode(eq + 1, plen - nlen - 1, &p->value, &p->value_len)
                : decode("", 0, &p->value, &p->value_len);
        if (rc) {
            hub_free(p->name);
            break;
        }
        p->order = f->n++;
    }
    if (rc) {
        for (size_t k = n0; k < f->n; k++) {
            hub_free(f->pairs[k].name);
            hub_free(f->pairs[k].value);
        }
        f->n = n0;
        return rc;
    }
    if (f->n) qsort(f->pairs, f->n, sizeof *f->pairs, pair_cmp);
    return 0;
}

void aws_form_clear(struct aws_form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        hub_free(f->pairs[i].name);
        hub_free(f->pairs[i].value);
    }
    hub_free(f->pairs);
    f->pairs = NULL;
    f->n = 0;
}

/* The index of the first pair whose name is >= name. */
static size_t lower_bound(const struct aws_form *f, const char *name)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(f->pairs[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const struct aws_form_pair *find(const struct aws_form *f, const char *name)
{
    size_t i = lower_bound(f, name);
    return i < f->n && strcmp(f->pairs[i].name, name) == 0 ? &f->pairs[i] : NULL;
}

const char *aws_form_get(const struct aws_form *f, const char *name, size_t *len)
{
    const struct aws_form_pair *p = find(f, name);
    if (len) *len = p ? p->value_len : 0;
    return p ? p->value : NULL;
}

/* ---- to JSON ---- */

struct conv {
    const struct aws_form *f;
    const char **bad;
};

static int put_string(struct conv *c, const struct aws_form_pair *p, json_t **out)
{
    size_t fails = hub_alloc_failures();
    *out = json_stringn(p->value, p->value_len);
    if (*out) return 0;
    if (hub_alloc_failures() != fails) return HUB_ENOMEM;
    if (c->bad) *c->bad = p->name;
    return HUB_EINVAL;
}

/* Writes a + b + c + d + e (NULLs skipped) into buf; 0, or -1 when it does not fit. */
static int join(char *buf, const char *a, const char *b, const char *c, const char *d,
                const char *e)
{
    size_t n = 0;
    const char *parts[5] = {a, b, c, d, e};
    for (int i = 0; i < 5; i++) {
        size_t l = parts[i] ? strlen(parts[i]) : 0;
        if (n + l >= NAME_MAX_LEN) return -1;
        if (l) memcpy(buf + n, parts[i], l);
        n += l;
    }
    buf[n] = '\0';
    return 0;
}

static int idx_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The distinct indexes N of names base + N (+ '.' when dotted, else end). New array in *out. */
static int indexes(const struct aws_form *f, const char *base, int dotted, uint32_t **out,
                   size_t *n)
{
    size_t blen = strlen(base), k = 0, cap = 0;
    uint32_t *v = NULL;
    for (size_t i = lower_bound(f, base); i < f->n; i++) {
        const char *name = f->pairs[i].name;
        if (strncmp(name, base, blen) != 0) break;
        const char *p = name + blen;
        uint64_t idx = 0;
        size_t digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 9) {
            idx = idx * 10 + (uint64_t)(*p++ - '0');
            digits++;
        }
        if (!digits || (dotted ? *p != '.' : *p != '\0')) continue;
        if (k && v[k - 1] == (uint32_t)idx) continue; /* sorted names: repeats are adjacent */
        if (k == cap) {
            cap = cap ? cap * 2 : 8;
            uint32_t *nv = hub_realloc(v, cap * sizeof *v);
            if (!nv) {
                hub_free(v);
                return HUB_ENOMEM;
            }
            v = nv;
        }
        v[k++] = (uint32_t)idx;
    }
    if (k > 1) {
        qsort(v, k, sizeof *v, idx_cmp);
        size_t u = 1;
        for (size_t i = 1; i < k; i++)
            if (v[i] != v[u - 1]) v[u++] = v[i];
        k = u;
    }
    *out = v;
    *n = k;
    return 0;
}

static int convert(struct conv *c, const char *prefix, const struct aws_member *members,
                   json_t *obj);

static int convert_member(struct conv *c, const char *prefix, const struct aws_member *m,
                          const char *loc, json_t *obj)
{
    char base[NAME_MAX_LEN], name[NAME_MAX_LEN];
    int rc = 0;
    if (m->kind == AWS_M_SCALAR) {
        const struct aws_form_pair *p;
        json_t *s;
        if (join(name, prefix, loc, NULL, NULL, NULL) || !(p = find(c->f, name))) return 0;
        if ((rc = put_string(c, p, &s))) return rc;
        return json_object_set_new(obj, m->json, s) ? HUB_ENOMEM : 0;
    }
    if (join(base, prefix, loc, ".", m->wrap, m->wrap ? "." : NULL)) return 0;
    uint32_t *idx;
    size_t n;
    if ((rc = indexes(c->f, base, m->kind != AWS_M_LIST, &idx, &n))) return rc;
    if (n == 0) return 0;
    json_t *out = m->kind == AWS_M_MAP ? json_object() : json_array();
    if (!out) rc = HUB_ENOMEM;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char num[16], item[NAME_MAX_LEN];
        snprintf(num, sizeof num, "%u", idx[i]);
        if (m->kind == AWS_M_LIST) {
            const struct aws_form_pair *p;
            json_t *s;
            if (join(name, base, num, NULL, NULL, NULL) || !(p = find(c->f, name))) continue;
            if ((rc = put_string(c, p, &s))) break;
            rc = json_array_append_new(out, s) ? HUB_ENOMEM : 0;
            continue;
        }
        if (join(item, base, num, ".", NULL, NULL)) continue;
        if (m->kind == AWS_M_STRUCT_LIST) {
            json_t *o = json_object();
            if (!o) {
                rc = HUB_ENOMEM;
                break;
            }
            rc = convert(c, item, m->members, o);
            if (rc == 0)
                rc = json_array_append_new(out, o) ? HUB_ENOMEM : 0;
            else
                json_decref(o);
            continue;
        }
        /* a map entry */
        const struct aws_form_pair *kp;
        if (join(name, item, m->key, NULL, NULL, NULL) || !(kp = find(c->f, name))) continue;
        json_t *v = NULL;
        if (m->members) {
            char sub[NAME_MAX_LEN];
            if (join(sub, item, m->value, ".", NULL, NULL)) continue;
            if (!(v = json_object())) {
                rc = HUB_ENOMEM;
                break;
            }
            rc = convert(c, sub, m->members, v);
        } else {
            const struct aws_form_pair *vp;
            if (!join(name, item, m->value, NULL, NULL, NULL) && (vp = find(c->f, name)))
                rc = put_string(c, vp, &v);
            else if (!(v = json_string("")))
                rc = HUB_ENOMEM;
        }
        if (rc == 0 && memchr(kp->value, '\0', kp->value_len)) {
            if (c->bad) *c->bad = kp->name;
            rc = HUB_EINVAL;
        }
        if (rc == 0) {
            size_t fails = hub_alloc_failures();
            int r = json_object_set_new(out, kp->value, v); /* steals v, also on failure */
            v = NULL;
            if (r && hub_alloc_failures() != fails) {
                rc = HUB_ENOMEM;
            } else if (r) {
                if (c->bad) *c->bad = kp->name;
                rc = HUB_EINVAL; /* the key is not UTF-8 */
            }
        }
        json_decref(v);
    }
    hub_free(idx);
    if (rc == 0 && (json_is_object(out) ? json_object_size(out) : json_array_size(out)))
        rc = json_object_set_new(obj, m->json, out) ? HUB_ENOMEM : 0;
    else
        json_decref(out);
    return rc;
}

static int convert(struct conv *c, const char *prefix, const struct aws_member *members,
                   json_t *obj)
{
    for (const struct aws_member *m = members; m && m->json; m++) {
        int rc = convert_member(c, prefix, m, m->loc, obj);
        if (rc == 0 && m->alt_loc && !json_object_get(obj, m->json))
            rc = convert_member(c, prefix, m, m->alt_loc, obj);
        if (rc) return rc;
    }
    return 0;
}

int aws_query_to_json(const struct aws_form *f, const struct aws_member *members, json_t **out,
                      const char **bad)
{
    struct conv c = {.f = f, .bad = bad};
    json_t *o = json_object();
    if (!o) return HUB_ENOMEM;
    int rc = convert(&c, "", members, o);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}
