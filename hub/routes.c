/* routes.c - the route table: a short array searched linearly (a hub has a handful of routes). */
#include <stdio.h>
#include <string.h>

#include "httpx.h"
#include "hub_alloc.h"
#include "hub_err.h"

struct route {
    char *method; /* NULL: any */
    char *path;
    size_t len;
    struct hub_route_match m;
};

struct hub_routes {
    struct route *v;
    size_t n, cap;
};

hub_routes *hub_routes_new(void)
{
    return hub_calloc(1, sizeof(hub_routes));
}

void hub_routes_free(hub_routes *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        hub_free(r->v[i].path);
        hub_free(r->v[i].method);
    }
    hub_free(r->v);
    hub_free(r);
}

static int same_method(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int hub_routes_add(hub_routes *r, const char *path, int flags, size_t max_body, hub_route_fn fn, void *ud)
{
    return hub_routes_add_method(r, NULL, path, flags, max_body, fn, ud);
}

int hub_routes_add_method(hub_routes *r, const char *method, const char *path, int flags,
                          size_t max_body, hub_route_fn fn, void *ud)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].path, path) == 0 && same_method(r->v[i].method, method) &&
            (r->v[i].m.flags & HUB_ROUTE_PREFIX) == (flags & HUB_ROUTE_PREFIX))
            return HUB_EEXISTS;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        struct route *v = hub_realloc(r->v, cap * sizeof(*v));
        if (!v)
            return HUB_ENOMEM;
        r->v = v;
        r->cap = cap;
    }
    char *p = hub_strdup(path), *m = method ? hub_strdup(method) : NULL;
    if (!p || (method && !m)) {
        hub_free(p);
        hub_free(m);
        return HUB_ENOMEM;
    }
    r->v[r->n++] = (struct route){
        .method = m,
        .path = p,
        .len = strlen(p),
        .m = {.flags = flags, .max_body = max_body, .fn = fn, .ud = ud},
    };
    return 0;
}

/* The most specific route among those for this method (want_method) or for any method. */
static const struct route *find(const hub_routes *r, const char *method, const char *path,
                                int want_method)
{
    const struct route *best = NULL;
    for (size_t i = 0; i < r->n; i++) {
        const struct route *e = &r->v[i];
        if (want_method ? !e->method || strcmp(e->method, method) != 0 : e->method != NULL)
            continue;
        if (!(e->m.flags & HUB_ROUTE_PREFIX)) {
            if (strcmp(e->path, path) == 0)
                return e;
        } else if (strncmp(e->path, path, e->len) == 0 && (!best || e->len > best->len)) {
            best = e;
        }
    }
    return best;
}

int hub_routes_match(const hub_routes *r, const char *method, const char *path,
                     struct hub_route_match *m)
{
    if (!r)
        return 0;
    const struct route *e = find(r, method, path, 1);
    if (!e)
        e = find(r, method, path, 0);
    if (e)
        *m = e->m;
    return e != NULL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX and '+' of src[0..n) into buf. Returns the length, or -1 when it does not fit. */
static int url_decode(const char *src, size_t n, char *buf, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)src[i];
        if (c == '+')
            c = ' ';
        else if (c == '%' && i + 2 < n && hexval(src[i + 1]) >= 0 && hexval(src[i + 2]) >= 0) {
            c = hexval(src[i + 1]) * 16 + hexval(src[i + 2]);
            i += 2;
        }
        if (o + 1 >= len)
            return -1;
        buf[o++] = (char)c;
    }
    buf[o] = '\0';
    return (int)o;
}

int hub_query_get(const char *query, const char *name, char *buf, size_t len)
{
    size_t nlen = strlen(name);
    const char *p = query;
    while (p && *p) {
        const char *end = strchr(p, '&');
        size_t seg = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', seg);
        size_t klen = eq ? (size_t)(eq - p) : seg;
        char key[256];
        if (klen < sizeof key && url_decode(p, klen, key, sizeof key) >= 0 && strlen(key) == nlen &&
            memcmp(key, name, nlen) == 0) {
            if (!eq) {
                if (len == 0)
                    return -1;
                buf[0] = '\0';
                return 0;
            }
            return url_decode(eq + 1, seg - klen - 1, buf, len);
        }
        p = end ? end + 1 : NULL;
    }
    return -1;
}
