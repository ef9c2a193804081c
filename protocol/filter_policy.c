/* filter_policy.c - SNS subscription filter policies.
 *
 * The policy JSON is compiled into a tree of nodes: a node is an AND of terms; a term is a leaf (a
 * key and its alternative patterns), a nested object (body scope) or an "$or" of nodes. Matching
 * walks that tree against the message and needs no allocation except to parse a String.Array
 * attribute.
 *
 * The error texts are the ones SNS answers SetSubscriptionAttributes with (as recorded by
 * LocalStack's snapshot tests). Where SNS's text is not known the wording follows the same style.
 */
#include "filter_policy.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_alloc.h"
#include "hub_err.h"

#define ERR_PREFIX "Invalid parameter: FilterPolicy: "
#define COMBINATIONS_CAP UINT32_MAX

enum lit_type { LIT_STRING, LIT_NUMBER, LIT_BOOL, LIT_NULL };

/* A literal of the policy, or a scalar of the message (then s points into the message). */
struct lit {
    enum lit_type type;
    const char *s;
    size_t len;
    double num;
    int b;
};

enum pat_kind {
    PAT_EXACT,
    PAT_PREFIX,
    PAT_SUFFIX,
    PAT_EQIC,
    PAT_EXISTS,
    PAT_NUMERIC,
    PAT_CIDR,
    PAT_BUT, /* anything-but a list of literals */
    PAT_BUT_PREFIX,
    PAT_BUT_SUFFIX,
    PAT_BUT_EQIC, /* anything-but equals-ignore-case a list of strings */
};

struct pat {
    enum pat_kind kind;
    struct lit lit;   /* EXACT; the string of PREFIX, SUFFIX, EQIC, BUT_PREFIX, BUT_SUFFIX */
    struct lit *lits; /* BUT, BUT_EQIC */
    size_t nlits;
    int exists;
    int has_lo, lo_incl, has_hi, hi_incl;
    double lo, hi;
    int family; /* AF_INET or AF_INET6 */
    unsigned char net[16];
    unsigned bits;
};

enum term_kind { TERM_LEAF, TERM_NESTED, TERM_OR };

struct node;

struct term {
    enum term_kind kind;
    char *key;
    struct pat *pats;
    size_t npats;
    struct node *sub; /* NESTED: one node; OR: nsub alternatives */
    size_t nsub;
};

struct node {
    struct term *terms;
    size_t nterms;
};

struct hub_filter {
    struct node root;
};

struct cc {
    int scope;
    int strict;
    char *err;
    size_t errlen;
};

/* ---- freeing ---- */

static void lit_clear(struct lit *l)
{
    if (l->type == LIT_STRING) hub_free((char *)l->s);
}

static void node_clear(struct node *n);

static void pat_clear(struct pat *p)
{
    lit_clear(&p->lit);
    for (size_t i = 0; i < p->nlits; i++)
        lit_clear(&p->lits[i]);
    hub_free(p->lits);
}

static void term_clear(struct term *t)
{
    hub_free(t->key);
    for (size_t i = 0; i < t->npats; i++)
        pat_clear(&t->pats[i]);
    hub_free(t->pats);
    for (size_t i = 0; i < t->nsub; i++)
        node_clear(&t->sub[i]);
    hub_free(t->sub);
}

static void node_clear(struct node *n)
{
    for (size_t i = 0; i < n->nterms; i++)
        term_clear(&n->terms[i]);
    hub_free(n->terms);
    n->terms = NULL;
    n->nterms = 0;
}

void hub_filter_free(hub_filter *f)
{
    if (!f) return;
    node_clear(&f->root);
    hub_free(f);
}

/* ---- compiling ---- */

static int fail(struct cc *c, int code, int prefixed, const char *fmt, ...)
{
    va_list ap;
    int n = 0;

    if (!c->errlen) return code;
    if (prefixed) n = snprintf(c->err, c->errlen, "%s", ERR_PREFIX);
    if (n < 0 || (size_t)n >= c->errlen) return code;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

static int nomem(struct cc *c)
{
    return fail(c, HUB_ENOMEM, 0, "out of memory");
}

/* A short rendering of a JSON value for an error text. */
static void render(const json_t *v, char *buf, size_t len)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

    if (!s) {
        snprintf(buf, len, "?");
        return;
    }
    snprintf(buf, len, "%s", s);
    hub_free(
        s); /* json_dumps allocates through jansson, which hub_alloc_set() points at our wrappers */
}

static int lit_from_json(struct cc *c, const json_t *v, struct lit *l)
{
    memset(l, 0, sizeof *l);
    switch (json_typeof(v)) {
    case JSON_STRING: {
        char *s = hub_malloc(json_string_length(v) + 1);

        if (!s) return nomem(c);
        memcpy(s, json_string_value(v), json_string_length(v) + 1);
        l->type = LIT_STRING;
        l->s = s;
        l->len = json_string_length(v);
        return 0;
    }
    case JSON_INTEGER:
    case JSON_REAL:
        l->type = LIT_NUMBER;
        l->num = json_number_value(v);
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        l->type = LIT_BOOL;
        l->b = json_is_true(v);
        return 0;
    case JSON_NULL:
        l->type = LIT_NULL;
        return 0;
    default:
        return fail(c, HUB_EINVAL, 1, "Match value must be String, number, true, false, or null");
    }
}

static int is_numeric_op(const char *s)
{
    return !strcmp(s, "=") || !strcmp(s, "<") || !strcmp(s, "<=") || !strcmp(s, ">") ||
           !strcmp(s, ">=");
}

static const char *op_word(const char *op)
{
    return strcmp(op, "=") ? op : "equals";
}

static int compile_numeric(struct cc *c, const json_t *v, struct pat *p)
{
    char buf[64];
    const json_t *op1, *op2, *n1, *n2;
    size_t n;

    if (!json_is_array(v)) return fail(c, HUB_EINVAL, 1, "Value of numeric must be an array.");
    n = json_array_size(v);
    if (n == 0) return fail(c, HUB_EINVAL, 1, "Invalid member in numeric match: ]");
    op1 = json_array_get(v, 0);
    if (!json_is_string(op1)) {
        render(op1, buf, sizeof buf);
        return fail(c, HUB_EINVAL, 1, "Invalid member in numeric match: %s", buf);
    }
    if (!is_numeric_op(json_string_value(op1)))
        return fail(c, HUB_EINVAL, 1, "Unrecognized numeric range operator: %s",
                    json_string_value(op1));
    n1 = json_array_get(v, 1);
    if (!n1 || !json_is_number(n1))
        return fail(c, HUB_EINVAL, 1, "Value of %s must be numeric",
                    op_word(json_string_value(op1)));

    p->kind = PAT_NUMERIC;
    {
        const char *o = json_string_value(op1);
        double x = json_number_value(n1);

        if (o[0] == '=') {
            p->has_lo = p->has_hi = p->lo_incl = p->hi_incl = 1;
            p->lo = p->hi = x;
        } else if (o[0] == '>') {
            p->has_lo = 1;
            p->lo_incl = o[1] == '=';
            p->lo = x;
        } else {
            p->has_hi = 1;
            p->hi_incl = o[1] == '=';
            p->hi = x;
        }
    }
    if (n == 2) return 0;

    if (!p->has_lo || p->has_hi)
        return fail(c, HUB_EINVAL, 1, "Too many elements in numeric expression");
    op2 = json_array_get(v, 2);
    if (!json_is_string(op2)) {
        render(op2, buf, sizeof buf);
        return fail(c, HUB_EINVAL, 1, "Bad value in numeric range: %s", buf);
    }
    if (strcmp(json_string_value(op2), "<") && strcmp(json_string_value(op2), "<="))
        return fail(c, HUB_EINVAL, 1, "Bad numeric range operator: %s", json_string_value(op2));
    n2 = json_array_get(v, 3);
    if (!n2 || !json_is_number(n2))
        return fail(c, HUB_EINVAL, 1, "Value of %s must be numeric", json_string_value(op2));
    if (json_number_value(n2) <= p->lo)
        return fail(c, HUB_EINVAL, 1, "Bottom must be less than top");
    if (n > 4) return fail(c, HUB_EINVAL, 1, "Too many terms in numeric range expression");
    p->has_hi = 1;
    p->hi_incl = json_string_value(op2)[1] == '=';
    p->hi = json_number_value(n2);
    return 0;
}

static int compile_cidr(struct cc *c, const json_t *v, struct pat *p)
{
    char addr[64];
    const char *s, *slash, *m;
    unsigned long bits = 0;
    unsigned max;

    if (!json_is_string(v)) return fail(c, HUB_EINVAL, 1, "prefix match pattern must be a string");
    s = json_string_value(v);
    slash = strchr(s, '/');
    if (!slash || strchr(slash + 1, '/'))
        return fail(c, HUB_EINVAL, 1, "Malformed CIDR, one '/' required");
    m = slash + 1;
    if (!*m || strlen(m) > 3 || strspn(m, "0123456789") != strlen(m))
        return fail(c, HUB_EINVAL, 1, "Malformed CIDR, mask bits must be an integer");
    bits = strtoul(m, NULL, 10);
    if ((size_t)(slash - s) >= sizeof addr)
        return fail(c, HUB_EINVAL, 1, "Nonstandard IP address: %.*s", (int)(slash - s), s);
    memcpy(addr, s, (size_t)(slash - s));
    addr[slash - s] = '\0';
    p->kind = PAT_CIDR;
    if (inet_pton(AF_INET, addr, p->net) == 1) {
        p->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, addr, p->net) == 1) {
        p->family = AF_INET6;
        max = 128;
    } else {
        return fail(c, HUB_EINVAL, 1, "Nonstandard IP address: %s", addr);
    }
    if (bits > max) return fail(c, HUB_EINVAL, 1, "Malformed CIDR, mask bits out of range");
    p->bits = (unsigned)bits;
    return 0;
}

/* The key and value of a one-member object. */
static const char *only_key(json_t *obj, json_t **value)
{
    void *it = json_object_iter(obj);

    *value = json_object_iter_value(it);
    return json_object_iter_key(it);
}

static int compile_string_arg(struct cc *c, const char *op, const json_t *v, struct lit *l)
{
    if (!json_is_string(v)) return fail(c, HUB_EINVAL, 1, "%s match pattern must be a string", op);
    return lit_from_json(c, v, l);
}

static int compile_anything_but(struct cc *c, const json_t *v, struct pat *p)
{
    if (json_is_string(v) || json_is_number(v)) {
        p->kind = PAT_BUT;
        p->lits = hub_calloc(1, sizeof *p->lits);
        if (!p->lits) return nomem(c);
        p->nlits = 1;
        return lit_from_json(c, v, &p->lits[0]);
    }
    if (json_is_array(v)) {
        size_t i, n = json_array_size(v);

        if (n == 0) return fail(c, HUB_EINVAL, 1, "Empty arrays are not allowed");
        p->kind = PAT_BUT;
        p->lits = hub_calloc(n, sizeof *p->lits);
        if (!p->lits) return nomem(c);
        for (i = 0; i < n; i++) {
            const json_t *e = json_array_get(v, i);
            int rc;

            if (!json_is_string(e) && !json_is_number(e))
                return fail(c, HUB_EINVAL, 1,
                            "Inside anything but list, start|null|boolean is not supported.");
            rc = lit_from_json(c, e, &p->lits[i]);
            p->nlits = i + 1;
            if (rc) return rc;
        }
        return 0;
    }
    if (json_is_object(v)) {
        const char *op;
        json_t *arg;

        if (json_object_size(v) != 1)
            return fail(c, HUB_EINVAL, 1, "Only one key allowed in match expression");
        op = only_key((json_t *)v, &arg);
        if (!strcmp(op, "prefix")) {
            p->kind = PAT_BUT_PREFIX;
            return compile_string_arg(c, "prefix", arg, &p->lit);
        }
        if (!strcmp(op, "suffix")) {
            p->kind = PAT_BUT_SUFFIX;
            return compile_string_arg(c, "suffix", arg, &p->lit);
        }
        if (!strcmp(op, "equals-ignore-case")) {
            size_t i, n = json_is_array(arg) ? json_array_size(arg) : 1;

            p->kind = PAT_BUT_EQIC;
            if (json_is_array(arg) && n == 0)
                return fail(c, HUB_EINVAL, 1, "Empty arrays are not allowed");
            p->lits = hub_calloc(n, sizeof *p->lits);
            if (!p->lits) return nomem(c);
            for (i = 0; i < n; i++) {
                int rc = compile_string_arg(c, "equals-ignore-case",
                                            json_is_array(arg) ? json_array_get(arg, i) : arg,
                                            &p->lits[i]);
                p->nlits = i + 1;
                if (rc) return rc;
            }
            return 0;
        }
        return fail(c, HUB_EINVAL, 1, "Unsupported anything-but pattern: %s", op);
    }
    return fail(c, HUB_EINVAL, 1, "Inside anything but list, start|null|boolean is not supported.");
}

static int compile_pat(struct cc *c, const json_t *v, struct pat *p)
{
    const char *op;
    json_t *arg;

    memset(p, 0, sizeof *p);
    if (!json_is_object(v)) {
        p->kind = PAT_EXACT;
        return lit_from_json(c, v, &p->lit);
    }
    if (json_object_size(v) != 1)
        return fail(c, HUB_EINVAL, 1, "Only one key allowed in match expression");
    op = only_key((json_t *)v, &arg);

    if (!strcmp(op, "prefix")) {
        p->kind = PAT_PREFIX;
        return compile_string_arg(c, op, arg, &p->lit);
    }
    if (!strcmp(op, "suffix")) {
        p->kind = PAT_SUFFIX;
        return compile_string_arg(c, op, arg, &p->lit);
    }
    if (!strcmp(op, "equals-ignore-case")) {
        p->kind = PAT_EQIC;
        return compile_string_arg(c, op, arg, &p->lit);
    }
    if (!strcmp(op, "exists")) {
        if (!json_is_boolean(arg))
            return fail(c, HUB_EINVAL, 1, "exists match pattern must be either true or false.");
        p->kind = PAT_EXISTS;
        p->exists = json_is_true(arg);
        return 0;
    }
    if (!strcmp(op, "anything-but")) return compile_anything_but(c, arg, p);
    if (!strcmp(op, "numeric")) return compile_numeric(c, arg, p);
    if (!strcmp(op, "cidr")) return compile_cidr(c, arg, p);
    return fail(c, HUB_EINVAL, 1, "Unrecognized match type %s", op);
}

static int is_reserved(const char *k)
{
    static const char *const words[] = {"prefix",  "suffix",  "anything-but",
                                        "numeric", "exists",  "equals-ignore-case",
                                        "cidr",    "wildcard"};

    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(k, words[i])) return 1;
    return 0;
}

/* SNS reads "$or" as OR only when it holds an array of at least two objects whose keys are not
 * operator names; otherwise it is an ordinary key. */
static int is_or(const char *key, const json_t *v)
{
    size_t i;

    if (strcmp(key, "$or") || !json_is_array(v) || json_array_size(v) < 2) return 0;
    for (i = 0; i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        const char *k;
        json_t *x;

        if (!json_is_object(e)) return 0;
        json_object_foreach((json_t *)e, k, x) if (is_reserved(k)) return 0;
    }
    return 1;
}

static uint64_t mul_cap(uint64_t a, uint64_t b)
{
    if (a && b > COMBINATIONS_CAP / a) return COMBINATIONS_CAP;
    return a * b;
}

static int compile_node(struct cc *c, const json_t *obj, unsigned depth, struct node *out,
                        uint64_t *combinations);

static int compile_term(struct cc *c, const char *key, const json_t *v, unsigned depth,
                        struct term *t, uint64_t *combinations)
{
    int rc;

    if (is_or(key, v)) {
        size_t i, n = json_array_size(v);
        uint64_t sum = 0;

        t->kind = TERM_OR;
        t->sub = hub_calloc(n, sizeof *t->sub);
        if (!t->sub) return nomem(c);
        for (i = 0; i < n; i++) {
            uint64_t k = 1;

            rc = compile_node(c, json_array_get(v, i), depth, &t->sub[i], &k);

            t->nsub = i + 1;
            if (rc) return rc;
            sum = sum + k > COMBINATIONS_CAP ? COMBINATIONS_CAP : sum + k;
        }
        *combinations = mul_cap(*combinations, sum);
        return 0;
    }

    t->key = hub_strdup(key);
    if (!t->key) return nomem(c);

    if (json_is_object(v)) {
        uint64_t k = 1;

        if (c->strict && c->scope == HUB_FILTER_SCOPE_ATTRIBUTES)
            return fail(c, HUB_EINVAL, 0,
                        "Invalid parameter: Filter policy scope MessageAttributes does not support "
                        "nested filter policy");
        if (depth + 1 > HUB_FILTER_MAX_DEPTH)
            return fail(c, HUB_ELIMIT, 1, "Filter policy is too deeply nested");
        if (json_object_size(v) == 0)
            return fail(c, HUB_EINVAL, 1, "\"%s\" must not be an empty object", key);
        t->kind = TERM_NESTED;
        t->sub = hub_calloc(1, sizeof *t->sub);
        if (!t->sub) return nomem(c);
        t->nsub = 1;
        rc = compile_node(c, v, depth + 1, t->sub, &k);
        if (rc) return rc;
        *combinations = mul_cap(*combinations, k);
        return 0;
    }
    if (json_is_array(v)) {
        size_t i, n = json_array_size(v);

        if (n == 0) return fail(c, HUB_EINVAL, 1, "Empty arrays are not allowed");
        t->kind = TERM_LEAF;
        t->pats = hub_calloc(n, sizeof *t->pats);
        if (!t->pats) return nomem(c);
        for (i = 0; i < n; i++) {
            rc = compile_pat(c, json_array_get(v, i), &t->pats[i]);
            t->npats = i + 1;
            if (rc) return rc;
        }
        /* SNS's documented arithmetic: each array contributes its length times its nesting level.
         */
        *combinations = mul_cap(*combinations, mul_cap(n, depth));
        return 0;
    }
    return fail(c, HUB_EINVAL, 1, "\"%s\" must be an object or an array", key);
}

static int compile_node(struct cc *c, const json_t *obj, unsigned depth, struct node *out,
                        uint64_t *combinations)
{
    const char *key;
    json_t *v;
    size_t i = 0;

    out->terms = hub_calloc(json_object_size(obj) ? json_object_size(obj) : 1, sizeof *out->terms);
    if (!out->terms) return nomem(c);
    json_object_foreach((json_t *)obj, key, v)
    {
        int rc = compile_term(c, key, v, depth, &out->terms[i], combinations);

        out->nterms = ++i;
        if (rc) return rc;
    }
    return 0;
}

static int compile(const char *json, size_t len, int scope, int strict, hub_filter **out, char *err,
                   size_t errlen)
{
    struct cc c = {scope, strict, err, errlen};
    json_error_t je;
    json_t *root;
    hub_filter *f;
    uint64_t combinations = 1;
    size_t failures = hub_alloc_failures();
    int rc;

    if (errlen) err[0] = '\0';
    *out = NULL;
    if (scope != HUB_FILTER_SCOPE_ATTRIBUTES && scope != HUB_FILTER_SCOPE_BODY)
        return fail(&c, HUB_EINVAL, 0,
                    "Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value");
    if (len > HUB_FILTER_MAX_POLICY_BYTES)
        return fail(&c, HUB_EINVAL, 1, "Filter policy is too large (maximum 256 KB)");

    /* jansson's lexer drops bytes it fails to buffer and still returns a value, so any failed
     * allocation during the parse voids the result. */
    root = json_loadb(json, len, 0, &je);
    if (hub_alloc_failures() != failures) {
        json_decref(root);
        return nomem(&c);
    }
    if (!root) {
        return fail(&c, HUB_EINVAL, 1, "failed to parse JSON. %s at line %d, column %d", je.text,
                    je.line, je.column);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return fail(&c, HUB_EINVAL, 1, "Filter policy must be a JSON object");
    }
    if (json_object_size(root) > HUB_FILTER_MAX_KEYS) {
        json_decref(root);
        return fail(&c, HUB_ELIMIT, 1, "Filter policy can not have more than %d keys",
                    HUB_FILTER_MAX_KEYS);
    }

    f = hub_calloc(1, sizeof *f);
    if (!f) {
        json_decref(root);
        return nomem(&c);
    }
    rc = compile_node(&c, root, 1, &f->root, &combinations);
    json_decref(root);
    if (rc == 0 && combinations > HUB_FILTER_MAX_COMBINATIONS)
        rc = fail(&c, HUB_ELIMIT, 1, "Filter policy is too complex");
    if (rc) {
        hub_filter_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

int hub_filter_compile_scoped(const char *policy_json, size_t len, int scope, hub_filter **out,
                              char *err, size_t errlen)
{
    return compile(policy_json, len, scope, 1, out, err, errlen);
}

int hub_filter_compile(const char *policy_json, size_t len, hub_filter **out, char *err,
                       size_t errlen)
{
    return compile(policy_json, len, HUB_FILTER_SCOPE_ATTRIBUTES, 0, out, err, errlen);
}

/* ---- matching ---- */

struct mc {
    int nomem;
    int attrs_nonempty;
};

static int ascii_lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Case-insensitive for ASCII letters; other bytes (UTF-8 included) compare exactly. */
static int eq_ignore_case(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen) return 0;
    for (size_t i = 0; i < alen; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i])) return 0;
    return 1;
}

static int has_prefix(const struct lit *v, const struct lit *p)
{
    return v->len >= p->len && memcmp(v->s, p->s, p->len) == 0;
}

static int has_suffix(const struct lit *v, const struct lit *p)
{
    return v->len >= p->len && memcmp(v->s + v->len - p->len, p->s, p->len) == 0;
}

static int lit_eq(const struct lit *a, const struct lit *b)
{
    if (a->type != b->type) return 0;
    switch (a->type) {
    case LIT_STRING:
        return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    case LIT_NUMBER:
        return a->num == b->num;
    case LIT_BOOL:
        return a->b == b->b;
    default:
        return 1;
    }
}

static int cidr_match(const struct pat *p, const struct lit *v)
{
    char buf[64];
    unsigned char ip[16];
    unsigned full, rest;

    if (v->type != LIT_STRING || v->len >= sizeof buf) return 0;
    memcpy(buf, v->s, v->len);
    buf[v->len] = '\0';
    if (inet_pton(p->family, buf, ip) != 1) return 0;
    full = p->bits / 8;
    rest = p->bits % 8;
    if (memcmp(ip, p->net, full) != 0) return 0;
    if (rest) {
        unsigned char mask = (unsigned char)(0xffu << (8 - rest));

        if ((ip[full] & mask) != (p->net[full] & mask)) return 0;
    }
    return 1;
}

static int numeric_match(const struct pat *p, double x)
{
    if (p->has_lo && (p->lo_incl ? x < p->lo : x <= p->lo)) return 0;
    if (p->has_hi && (p->hi_incl ? x > p->hi : x >= p->hi)) return 0;
    return 1;
}

/* One value pattern against one scalar value of the message. */
static int pat_match(const struct pat *p, const struct lit *v)
{
    size_t i;

    switch (p->kind) {
    case PAT_EXACT:
        return lit_eq(&p->lit, v);
    case PAT_PREFIX:
        return v->type == LIT_STRING && has_prefix(v, &p->lit);
    case PAT_SUFFIX:
        return v->type == LIT_STRING && has_suffix(v, &p->lit);
    case PAT_EQIC:
        return v->type == LIT_STRING && eq_ignore_case(v->s, v->len, p->lit.s, p->lit.len);
    case PAT_NUMERIC:
        return v->type == LIT_NUMBER && numeric_match(p, v->num);
    case PAT_CIDR:
        return cidr_match(p, v);
    case PAT_BUT:
        if (v->type == LIT_NULL) return 0;
        for (i = 0; i < p->nlits; i++)
            if (lit_eq(&p->lits[i], v)) return 0;
        return 1;
    case PAT_BUT_PREFIX:
        return v->type == LIT_STRING && !has_prefix(v, &p->lit);
    case PAT_BUT_SUFFIX:
        return v->type == LIT_STRING && !has_suffix(v, &p->lit);
    case PAT_BUT_EQIC:
        if (v->type != LIT_STRING) return 0;
        for (i = 0; i < p->nlits; i++)
            if (eq_ignore_case(v->s, v->len, p->lits[i].s, p->lits[i].len)) return 0;
        return 1;
    default:
        return 0;
    }
}

/* A scalar JSON value as a literal; 0 for arrays and objects. */
static int lit_of_json(const json_t *j, struct lit *l)
{
    memset(l, 0, sizeof *l);
    switch (json_typeof(j)) {
    case JSON_STRING:
        l->type = LIT_STRING;
        l->s = json_string_value(j);
        l->len = json_string_length(j);
        return 1;
    case JSON_INTEGER:
    case JSON_REAL:
        l->type = LIT_NUMBER;
        l->num = json_number_value(j);
        return 1;
    case JSON_TRUE:
    case JSON_FALSE:
        l->type = LIT_BOOL;
        l->b = json_is_true(j);
        return 1;
    case JSON_NULL:
        l->type = LIT_NULL;
        return 1;
    default:
        return 0;
    }
}

/* Any scalar in v (v itself, or the elements of an array) matching p. */
static int any_json_match(const struct pat *p, const json_t *v)
{
    struct lit l;

    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (lit_of_json(json_array_get(v, i), &l) && pat_match(p, &l)) return 1;
        return 0;
    }
    return lit_of_json(v, &l) && pat_match(p, &l);
}

static int has_value_pattern(const struct term *t)
{
    for (size_t i = 0; i < t->npats; i++)
        if (t->pats[i].kind != PAT_EXISTS) return 1;
    return 0;
}

/* "exists" looks at leaves: a key holding null, an empty array or only objects has no value. */
static int body_present(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_object(v)) return 0;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);

            if (!json_is_object(e) && !json_is_array(e) && !json_is_null(e)) return 1;
        }
        return 0;
    }
    return 1;
}

static int leaf_body(const struct term *t, const json_t *v)
{
    int present = body_present(v);

    for (size_t i = 0; i < t->npats; i++) {
        const struct pat *p = &t->pats[i];

        if (p->kind == PAT_EXISTS) {
            if (p->exists == present) return 1;
        } else if (v && any_json_match(p, v)) {
            return 1;
        }
    }
    return 0;
}

static int node_body(const struct node *n, const json_t *obj);

static int nested_body(const struct node *sub, const json_t *v)
{
    int saw_object = 0;

    if (json_is_object(v)) return node_body(sub, v);
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);

            if (!json_is_object(e)) continue;
            saw_object = 1;
            if (node_body(sub, e)) return 1;
        }
        if (saw_object) return 0;
    }
    return node_body(sub, NULL);
}

static int node_body(const struct node *n, const json_t *obj)
{
    for (size_t i = 0; i < n->nterms; i++) {
        const struct term *t = &n->terms[i];
        const json_t *v = (t->key && obj) ? json_object_get(obj, t->key) : NULL;
        int ok = 0;

        switch (t->kind) {
        case TERM_LEAF:
            ok = leaf_body(t, v);
            break;
        case TERM_NESTED:
            ok = nested_body(t->sub, v);
            break;
        case TERM_OR:
            for (size_t k = 0; k < t->nsub && !ok; k++)
                ok = node_body(&t->sub[k], obj);
            break;
        }
        if (!ok) return 0;
    }
    return 1;
}

static int starts_with(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* The attribute's type and value, from the publish shape (DataType/StringValue) or the envelope
 * shape (Type/Value). */
static const char *attr_field(const json_t *a, const char *k1, const char *k2)
{
    const json_t *v = json_object_get(a, k1);

    if (!v) v = json_object_get(a, k2);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int leaf_attr(struct mc *m, const struct term *t, const json_t *a)
{
    const char *type = NULL, *sval = NULL;
    int present = 0;
    json_t *arr = NULL;
    struct lit one;
    int have_one = 0, ok = 0;

    if (json_is_object(a)) {
        type = attr_field(a, "DataType", "Type");
        sval = attr_field(a, "StringValue", "Value");
        present = type && !starts_with(type, "Binary");
    }

    if (present && sval && has_value_pattern(t)) {
        memset(&one, 0, sizeof one);
        if (!strcmp(type, "String.Array") || !strcmp(type, "Number.Array")) {
            json_error_t je;
            size_t failures = hub_alloc_failures();

            arr = json_loads(sval, JSON_DECODE_ANY, &je);
            if (hub_alloc_failures() != failures) { /* see compile() */
                json_decref(arr);
                m->nomem = 1;
                return 0;
            }
            if (arr && !json_is_array(arr)) {
                json_decref(arr);
                arr = NULL;
            }
        } else if (starts_with(type, "Number")) {
            char *end;

            one.type = LIT_NUMBER;
            one.num = strtod(sval, &end);
            have_one = end != sval && *end == '\0';
        } else if (starts_with(type, "String")) {
            one.type = LIT_STRING;
            one.s = sval;
            one.len = strlen(sval);
            have_one = 1;
        }
    }

    for (size_t i = 0; i < t->npats && !ok; i++) {
        const struct pat *p = &t->pats[i];

        if (p->kind == PAT_EXISTS)
            ok = p->exists ? present : (!present && m->attrs_nonempty);
        else if (arr)
            ok = any_json_match(p, arr);
        else if (have_one)
            ok = pat_match(p, &one);
    }
    json_decref(arr);
    return ok;
}

static int node_attr(struct mc *m, const struct node *n, const json_t *attrs)
{
    for (size_t i = 0; i < n->nterms; i++) {
        const struct term *t = &n->terms[i];
        int ok = 0;

        switch (t->kind) {
        case TERM_LEAF:
            ok = leaf_attr(m, t, attrs ? json_object_get(attrs, t->key) : NULL);
            break;
        case TERM_NESTED: /* attributes are flat: a nested policy cannot match them */
            ok = 0;
            break;
        case TERM_OR:
            for (size_t k = 0; k < t->nsub && !ok && !m->nomem; k++)
                ok = node_attr(m, &t->sub[k], attrs);
            break;
        }
        if (m->nomem || !ok) return 0;
    }
    return 1;
}

int hub_filter_match(const hub_filter *f, const json_t *attributes, const json_t *body,
                     int scope_body)
{
    struct mc m = {0, 0};
    int ok;

    if (scope_body) return json_is_object(body) ? node_body(&f->root, body) : 0;
    m.attrs_nonempty = json_is_object(attributes) && json_object_size(attributes) > 0;
    ok = node_attr(&m, &f->root, json_is_object(attributes) ? attributes : NULL);
    return m.nomem ? HUB_ENOMEM : ok;
}
