/* web.c - see web.h.
 *
 * Everything here runs on the loop thread and replies during the handler call, so a cached file's
 * bytes only need to live until hub_httpx_reply() has copied them.
 *
 * The file cache is keyed by the resolved (realpath) file name and validated with one stat() per
 * request: a page edited on disk is served fresh at once, and an unchanged one costs no read. */
#include "web.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hub_alloc.h"
#include "hub_err.h"
#include "log.h"
#include "map.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define JSON_TYPE "application/json; charset=utf-8"
#define TEXT_TYPE "text/plain; charset=utf-8"
#define CLIENT_CACHE_CONTROL "cache-control: public, max-age=0"
#define PAGE_CACHE_CONTROL "cache-control: no-cache"

/* ---- pure helpers ---- */

static const struct {
    const char *ext;
    const char *type;
} content_types[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json; charset=utf-8"},
    {"map", "application/json; charset=utf-8"},
    {"webmanifest", "application/manifest+json; charset=utf-8"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml; charset=utf-8"},
    {"svg", "image/svg+xml; charset=utf-8"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
};

const char *hub_web_content_type(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');

    if (dot && dot[1]) {
        for (size_t i = 0; i < NELEM(content_types); i++)
            if (strcasecmp(dot + 1, content_types[i].ext) == 0)
                return content_types[i].type;
    }
    return "application/octet-stream";
}

int hub_web_path_check(const char *path)
{
    if (!path || path[0] != '/')
        return HUB_EINVAL;
    for (const char *p = path; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || c == '\\' || c == '%')
            return HUB_EINVAL;
        /* p[1] starts a segment: no empty segment ("//") inside, no "." "..", no hidden names */
        if (c == '/' && (p[1] == '/' || p[1] == '.'))
            return HUB_EINVAL;
    }
    return 0;
}

int hub_web_file_path(const char *root, const char *path, char *buf, size_t len)
{
    size_t rlen, plen;
    int index;

    if (hub_web_path_check(path) != 0)
        return HUB_EINVAL;
    rlen = strlen(root);
    while (rlen > 1 && root[rlen - 1] == '/')
        rlen--; /* "web/" + "/a" is "web/a" */
    plen = strlen(path);
    index = path[plen - 1] == '/';
    if (rlen + plen + (index ? 10 : 0) + 1 > len)
        return HUB_ETOOBIG;
    memcpy(buf, root, rlen);
    if (rlen == 1 && root[0] == '/')
        rlen = 0; /* root "/" */
    memcpy(buf + rlen, path, plen + 1);
    if (index)
        memcpy(buf + rlen + plen, "index.html", 11);
    return (int)strlen(buf);
}

/* 64-bit FNV-1a: not cryptographic, but an ETag only has to change when the bytes change. */
static uint64_t fnv1a(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void hub_web_etag(const void *data, size_t len, char buf[HUB_WEB_ETAG_MAX])
{
    snprintf(buf, HUB_WEB_ETAG_MAX, "\"%zx-%016llx\"", len, (unsigned long long)fnv1a(data, len));
}

/* The opaque part of an ETag (without W/), as [*s, *s + *n). */
static void etag_opaque(const char *tag, size_t len, const char **s, size_t *n)
{
    if (len >= 2 && tag[0] == 'W' && tag[1] == '/') {
        tag += 2;
        len -= 2;
    }
    *s = tag;
    *n = len;
}

int hub_web_etag_match(const char *if_none_match, const char *etag)
{
    const char *want, *p = if_none_match;
    size_t want_len;

    if (!p || !etag)
        return 0;
    etag_opaque(etag, strlen(etag), &want, &want_len);
    while (*p) {
        const char *start, *end, *tag;
        size_t n;

        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        start = p;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p == '"') { /* a quoted tag may hold commas */
            const char *close = strchr(p + 1, '"');
            p = close ? close + 1 : p + strlen(p);
        }
        while (*p && *p != ',')
            p++;
        end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end - start == 1 && *start == '*')
            return 1;
        etag_opaque(start, (size_t)(end - start), &tag, &n);
        if (n == want_len && memcmp(tag, want, n) == 0)
            return 1;
    }
    return 0;
}

/* What the Node.js server serves: /socket\.io(\.msgpack|\.esm)?(\.min)?\.js(\.map)?/ for the files
 * that socket.io-client's dist/ holds. */
static const char *const client_files[] = {
    "socket.io.js",
    "socket.io.js.map",
    "socket.io.min.js",
    "socket.io.min.js.map",
    "socket.io.esm.min.js",
    "socket.io.esm.min.js.map",
    "socket.io.msgpack.min.js",
    "socket.io.msgpack.min.js.map",
};

int hub_web_client_file(const char *name, int *is_map)
{
    for (size_t i = 0; i < NELEM(client_files); i++) {
        if (strcmp(name, client_files[i]) == 0) {
            size_t n = strlen(name);
            if (is_map)
                *is_map = n > 4 && strcmp(name + n - 4, ".map") == 0;
            return 1;
        }
    }
    return 0;
}

/* ---- the file cache ---- */

struct entry {
    char *path;
    char *data;
    size_t len;
    char etag[HUB_WEB_ETAG_MAX];
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct entry *prev, *next; /* most recently used first */
    struct hub_web_file file;
};

struct hub_web_cache {
    struct hub_map by_path;
    struct entry *head, *tail;
    size_t bytes, max_bytes, max_file;
};

hub_web_cache *hub_web_cache_new(size_t max_bytes, size_t max_file)
{
    hub_web_cache *c = hub_calloc(1, sizeof(*c));
    uint64_t seed[2];

    if (!c)
        return NULL;
    /* the keys are resolved paths of files that exist, not attacker-chosen strings */
    seed[0] = (uint64_t)(uintptr_t)c;
    seed[1] = 0x7765622d63616368ull;
    hub_map_init(&c->by_path, seed[0], seed[1]);
    c->max_bytes = max_bytes ? max_bytes : HUB_WEB_CACHE_MAX_BYTES;
    c->max_file = max_file ? max_file : HUB_WEB_FILE_MAX_BYTES;
    if (c->max_file > c->max_bytes)
        c->max_file = c->max_bytes; /* one file always fits */
    return c;
}

static void lru_unlink(hub_web_cache *c, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(hub_web_cache *c, struct entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static void entry_drop(hub_web_cache *c, struct entry *e)
{
    lru_unlink(c, e);
    hub_map_del(&c->by_path, e->path, strlen(e->path));
    c->bytes -= e->len;
    hub_free(e->data);
    hub_free(e->path);
    hub_free(e);
}

void hub_web_cache_free(hub_web_cache *c)
{
    if (!c)
        return;
    while (c->head)
        entry_drop(c, c->head);
    hub_map_clear(&c->by_path);
    hub_free(c);
}

size_t hub_web_cache_bytes(const hub_web_cache *c)
{
    return c->bytes;
}

size_t hub_web_cache_count(const hub_web_cache *c)
{
    return hub_map_count(&c->by_path);
}

static int same_file(const struct entry *e, const struct stat *st)
{
    return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
           e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Reads the regular file at path into a new buffer; *st describes what was read. */
static int read_file(const char *path, size_t max, char **out, size_t *len, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    size_t got = 0;
    char *buf;

    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? HUB_ENOTFOUND : HUB_EIO;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return HUB_ENOTFOUND;
    }
    if ((unsigned long long)st->st_size > max) {
        close(fd);
        return HUB_ETOOBIG;
    }
    if (!(buf = hub_malloc((size_t)st->st_size + 1))) {
        close(fd);
        return HUB_ENOMEM;
    }
    while (got < (size_t)st->st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st->st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != (size_t)st->st_size) { /* shrank while read: the next request reads it again */
        hub_free(buf);
        return HUB_EIO;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}

int hub_web_cache_get(hub_web_cache *c, const char *path, const struct hub_web_file **out)
{
    struct entry *e = hub_map_get(&c->by_path, path, strlen(path));
    struct stat st;
    char *data;
    size_t len;
    int rc;

    if (e) {
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && same_file(e, &st)) {
            lru_unlink(c, e);
            lru_push(c, e);
            *out = &e->file;
            return 0;
        }
        entry_drop(c, e); /* changed or gone */
    }
    rc = read_file(path, c->max_file, &data, &len, &st);
    if (rc)
        return rc;
    if (!(e = hub_calloc(1, sizeof(*e))) || !(e->path = hub_strdup(path))) {
        hub_free(e);
        hub_free(data);
        return HUB_ENOMEM;
    }
    e->data = data;
    e->len = len;
    e->dev = st.st_dev;
    e->ino = st.st_ino;
    e->size = st.st_size;
    e->mtime = st.st_mtim;
    hub_web_etag(data, len, e->etag);
    e->file.data = e->data;
    e->file.len = e->len;
    memcpy(e->file.etag, e->etag, sizeof(e->etag));
    if ((rc = hub_map_put(&c->by_path, e->path, strlen(e->path), e)) != 0) {
        hub_free(e->data);
        hub_free(e->path);
        hub_free(e);
        return rc;
    }
    lru_push(c, e);
    c->bytes += len;
    while (c->bytes > c->max_bytes && c->tail != e)
        entry_drop(c, c->tail);
    *out = &e->file;
    return 0;
}

/* ---- the endpoints ---- */

struct ready_check {
    char *name;
    hub_ready_fn fn;
    void *ud;
};

struct client_route {
    hub_web *w;
    const char *name;
    int is_map;
};

struct hub_web {
    hub_server *srv;
    const struct hub_config *cfg;
    hub_web_cache *cache;
    struct ready_check *checks;
    size_t nchecks;
    char client_etag[HUB_WEB_ETAG_MAX]; /* "\"4.8.1\"", or "" to use each file's own */
    struct client_route client[NELEM(client_files)];
};

static int is_get_or_head(hub_httpx *x)
{
    const char *m = hub_httpx_method(x);
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

static void reply_text(hub_httpx *x, int status, const char *text, const char *const *headers)
{
    hub_httpx_reply(x, status, TEXT_TYPE, headers, text, strlen(text));
}

static void reply_not_allowed(hub_httpx *x)
{
    static const char *const allow[] = {"allow: GET, HEAD", NULL};
    reply_text(x, 405, "Method Not Allowed", allow);
}

static void reply_json(hub_httpx *x, int status, json_t *body)
{
    static const char *const headers[] = {"cache-control: no-store", NULL};
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

    if (!text) {
        reply_text(x, 500, "Internal Server Error", NULL);
        return;
    }
    json_free_t free_fn;

    hub_httpx_reply(x, status, JSON_TYPE, headers, text, strlen(text));
    json_get_alloc_funcs(NULL, &free_fn);
    free_fn(text);
}

/* Whether the request's If-None-Match matches etag. */
static int not_modified(hub_httpx *x, const char *etag)
{
    char inm[512];
    return hub_httpx_header(x, "if-none-match", inm, sizeof(inm)) > 0 &&
           hub_web_etag_match(inm, etag);
}

/* ---- /healthz, /readyz ---- */

static void on_healthz(void *ud, hub_httpx *x)
{
    json_t *body;

    (void)ud;
    if (!is_get_or_head(x)) {
        reply_not_allowed(x);
        return;
    }
    body = json_pack("{s:s}", "status", "ok");
    reply_json(x, 200, body);
    json_decref(body);
}

int hub_web_ready_add(hub_web *w, const char *name, hub_ready_fn fn, void *ud)
{
    struct ready_check *bigger;
    char *copy;

    for (size_t i = 0; i < w->nchecks; i++)
        if (strcmp(w->checks[i].name, name) == 0)
            return HUB_EEXISTS;
    if (!(copy = hub_strdup(name)))
        return HUB_ENOMEM;
    if (!(bigger = hub_realloc(w->checks, (w->nchecks + 1) * sizeof(*bigger)))) {
        hub_free(copy);
        return HUB_ENOMEM;
    }
    w->checks = bigger;
    w->checks[w->nchecks++] = (struct ready_check){.name = copy, .fn = fn, .ud = ud};
    return 0;
}

int hub_web_readiness(hub_web *w, json_t **body)
{
    json_t *checks = json_object();
    int ready = 1, oom = !checks;
    char why[256];

    if (w->srv) {
        int up = hub_server_engine(w->srv) != NULL;
        oom |= json_object_set_new(checks, "server", json_string(up ? "ok" : "shutting down"));
        ready &= up;
    }
    for (size_t i = 0; i < w->nchecks; i++) {
        int ok;
        why[0] = '\0';
        ok = w->checks[i].fn(w->checks[i].ud, why, sizeof(why)) == 1;
        why[sizeof(why) - 1] = '\0';
        oom |= json_object_set_new(checks, w->checks[i].name,
                                   json_string(ok ? "ok" : why[0] ? why : "not ready"));
        ready &= ok;
    }
    *body = oom ? NULL : json_pack("{s:s,s:o}", "status", ready ? "ready" : "not ready", "checks",
                                   checks);
    if (oom)
        json_decref(checks);
    return ready ? 200 : 503;
}

static void on_readyz(void *ud, hub_httpx *x)
{
    json_t *body;
    int status;

    if (!is_get_or_head(x)) {
        reply_not_allowed(x);
        return;
    }
    status = hub_web_readiness(ud, &body);
    reply_json(x, status, body);
    json_decref(body);
}

/* ---- the client bundle ---- */


/* Adds the CORS headers the `cors` package would (as lws_http.c does for Engine.IO) to h[*n..],
 * using buf for the allow-origin line. */
static void add_cors(hub_httpx *x, const struct hub_config *cfg, const char **h, size_t *n,
                     char *buf, size_t len)
{
    char origin[256];

    if (!cfg->cors_any && !cfg->cors_origins)
        return;
    if (cfg->cors_any && !cfg->cors_credentials) {
        h[(*n)++] = "access-control-allow-origin: *";
    } else {
        if (hub_httpx_header(x, "origin", origin, sizeof(origin)) > 0 &&
            hub_config_origin_allowed(cfg, origin)) {
            snprintf(buf, len, "access-control-allow-origin: %s", origin);
            h[(*n)++] = buf;
        }
        h[(*n)++] = "vary: Origin";
    }
    if (cfg->cors_credentials)
        h[(*n)++] = "access-control-allow-credentials: true";
}

static void on_client(void *ud, hub_httpx *x)
{
    struct client_route *r = ud;
    hub_web *w = r->w;
    const char *type = r->is_map ? "application/json; charset=utf-8"
                                 : "application/javascript; charset=utf-8";
    const char *h[8];
    size_t n = 0;
    char acao[300], etag_line[HUB_WEB_ETAG_MAX + 8], file[HUB_WEB_PATH_MAX];
    const struct hub_web_file *f;
    const char *etag;
    int rc;

    add_cors(x, w->cfg, h, &n, acao, sizeof(acao));
    if (strcmp(hub_httpx_method(x), "OPTIONS") == 0) {
        h[n++] = "access-control-allow-methods: GET,HEAD";
        h[n] = NULL;
        hub_httpx_reply(x, 204, TEXT_TYPE, h, NULL, 0);
        return;
    }
    if (!is_get_or_head(x)) {
        reply_not_allowed(x);
        return;
    }
    if ((size_t)snprintf(file, sizeof(file), "%s/%s", w->cfg->client_bundle_dir, r->name) >=
        sizeof(file)) {
        reply_text(x, 404, "Not Found", NULL);
        return;
    }
    /* With a known client version the ETag needs no file read, as in Node's serve(). */
    if (w->client_etag[0] && not_modified(x, w->client_etag)) {
        snprintf(etag_line, sizeof(etag_line), "etag: %s", w->client_etag);
        h[n++] = etag_line;
        h[n++] = CLIENT_CACHE_CONTROL;
        h[n] = NULL;
        hub_httpx_reply(x, 304, type, h, NULL, 0);
        return;
    }
    rc = hub_web_cache_get(w->cache, file, &f);
    if (rc) {
        if (rc != HUB_ENOTFOUND)
            hub_log(HUB_LOG_WARN, "web: %s: %s", file, hub_strerror(rc));
        reply_text(x, rc == HUB_ENOMEM ? 500 : 404, rc == HUB_ENOMEM ? "Internal Server Error"
                                                                    : "Not Found", NULL);
        return;
    }
    etag = w->client_etag[0] ? w->client_etag : f->etag;
    snprintf(etag_line, sizeof(etag_line), "etag: %s", etag);
    h[n++] = etag_line;
    h[n++] = CLIENT_CACHE_CONTROL;
    h[n] = NULL;
    if (!w->client_etag[0] && not_modified(x, etag))
        hub_httpx_reply(x, 304, type, h, NULL, 0);
    else
        hub_httpx_reply(x, 200, type, h, f->data, f->len);
}

/* The client's version, as Node's ETag has it: the package.json beside dist/, else the banner of
 * socket.io.js ("Socket.IO v4.8.1"). Writes "" when neither says. */
static void client_version(const char *dir, char *etag, size_t len)
{
    char file[HUB_WEB_PATH_MAX], head[256];
    json_t *pkg;
    const char *v, *mark;
    FILE *f;
    size_t n;

    etag[0] = '\0';
    snprintf(file, sizeof(file), "%s/../package.json", dir);
    if ((pkg = json_load_file(file, 0, NULL))) {
        v = json_string_value(json_object_get(pkg, "version"));
        if (v && *v && strlen(v) < 32)
            snprintf(etag, len, "\"%s\"", v);
        json_decref(pkg);
        if (etag[0])
            return;
    }
    snprintf(file, sizeof(file), "%s/socket.io.js", dir);
    if (!(f = fopen(file, "rb")))
        return;
    n = fread(head, 1, sizeof(head) - 1, f);
    fclose(f);
    head[n] = '\0';
    if ((mark = strstr(head, "Socket.IO v"))) {
        mark += strlen("Socket.IO v");
        n = strspn(mark, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+-");
        if (n > 0 && n < 32)
            snprintf(etag, len, "\"%.*s\"", (int)n, mark);
    }
}

/* ---- pages ---- */

/* Whether file (resolved) lies inside root (resolved). */
static int inside(const char *root, const char *file)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return 1;
    return strncmp(root, file, n) == 0 && (file[n] == '/' || file[n] == '\0');
}

/* "location: <path>/?<query>", with the decoded path encoded again. */
static void redirect_to_dir(hub_httpx *x, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *query = hub_httpx_query(x);
    char location[HUB_WEB_PATH_MAX * 3 + 32];
    const char *h[] = {location, NULL};
    size_t n = (size_t)snprintf(location, sizeof(location), "location: ");

    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (n + 4 >= sizeof(location))
            break;
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~!$&'()*+,;=:@", *p)) {
            location[n++] = (char)*p;
        } else {
            location[n++] = '%';
            location[n++] = hex[*p >> 4];
            location[n++] = hex[*p & 15];
        }
    }
    if (n + strlen(query) + 3 >= sizeof(location)) {
        reply_text(x, 404, "Not Found", NULL);
        return;
    }
    snprintf(location + n, sizeof(location) - n, "/%s%s", query[0] ? "?" : "", query);
    reply_text(x, 301, "Moved Permanently", h);
}

static void on_page(void *ud, hub_httpx *x)
{
    hub_web *w = ud;
    const char *path = hub_httpx_path(x), *root = w->cfg->web_root;
    char file[HUB_WEB_PATH_MAX], real[PATH_MAX], real_root[PATH_MAX];
    char etag_line[HUB_WEB_ETAG_MAX + 8];
    const struct hub_web_file *f;
    struct stat st;
    int rc;

    if (!is_get_or_head(x)) {
        reply_not_allowed(x);
        return;
    }
    if (hub_web_path_check(path) != 0) {
        reply_text(x, 400, "Bad Request", NULL);
        return;
    }
    if (!root || !root[0] || hub_web_file_path(root, path, file, sizeof(file)) < 0 ||
        !realpath(root, real_root) || !realpath(file, real) || !inside(real_root, real)) {
        reply_text(x, 404, "Not Found", NULL);
        return;
    }
    rc = hub_web_cache_get(w->cache, real, &f);
    if (rc == HUB_ENOTFOUND && stat(real, &st) == 0 && S_ISDIR(st.st_mode) &&
        path[strlen(path) - 1] != '/') {
        redirect_to_dir(x, path);
        return;
    }
    if (rc) {
        if (rc != HUB_ENOTFOUND)
            hub_log(HUB_LOG_WARN, "web: %s: %s", real, hub_strerror(rc));
        reply_text(x, rc == HUB_ENOMEM ? 500 : 404, rc == HUB_ENOMEM ? "Internal Server Error"
                                                                    : "Not Found", NULL);
        return;
    }
    snprintf(etag_line, sizeof(etag_line), "etag: %s", f->etag);
    {
        const char *h[] = {etag_line, PAGE_CACHE_CONTROL, "x-content-type-options: nosniff", NULL};
        if (not_modified(x, f->etag))
            hub_httpx_reply(x, 304, hub_web_content_type(real), h, NULL, 0);
        else
            hub_httpx_reply(x, 200, hub_web_content_type(real), h, f->data,
                            f->len);
    }
}

/* ---- install ---- */

static void warn_missing(const char *what, const char *dir, const char *probe)
{
    char file[HUB_WEB_PATH_MAX];
    struct stat st;

    snprintf(file, sizeof(file), "%s/%s", dir, probe);
    if (stat(file, &st) != 0)
        hub_log(HUB_LOG_WARN, "web: %s: %s not found; its paths will answer 404", what, file);
}

hub_web *hub_web_install(hub_routes *routes, hub_server *srv, const struct hub_config *cfg)
{
    hub_web *w = hub_calloc(1, sizeof(*w));
    char route[HUB_WEB_PATH_MAX];

    if (!w)
        return NULL;
    w->srv = srv;
    w->cfg = cfg;
    if (!(w->cache = hub_web_cache_new(0, 0)))
        goto fail;
    if (hub_routes_add(routes, "/healthz", 0, 0, on_healthz, w) ||
        hub_routes_add(routes, "/readyz", 0, 0, on_readyz, w))
        goto fail;
    if (cfg->serve_client && cfg->client_bundle_dir && cfg->client_bundle_dir[0]) {
        client_version(cfg->client_bundle_dir, w->client_etag, sizeof(w->client_etag));
        warn_missing("clientBundleDir", cfg->client_bundle_dir, "socket.io.min.js");
        for (size_t i = 0; i < NELEM(client_files); i++) {
            w->client[i] = (struct client_route){.w = w, .name = client_files[i]};
            hub_web_client_file(client_files[i], &w->client[i].is_map);
            snprintf(route, sizeof(route), "%s%s", cfg->path, client_files[i]);
            if (hub_routes_add(routes, route, 0, 0, on_client, &w->client[i]))
                goto fail;
        }
    }
    if (cfg->web_root && cfg->web_root[0]) {
        warn_missing("webRoot", cfg->web_root, "index.html");
        if (hub_routes_add(routes, "/", HUB_ROUTE_PREFIX, 0, on_page, w))
            goto fail;
    }
    return w;
fail:
    hub_web_free(w);
    return NULL;
}

void hub_web_free(hub_web *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nchecks; i++)
        hub_free(w->checks[i].name);
    hub_free(w->checks);
    hub_web_cache_free(w->cache);
    hub_free(w);
}
