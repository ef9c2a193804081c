/* test_web.c - the hub's own HTTP endpoints (hub/web.c): content types, path safety, ETags, the
 * file cache, and the handlers driven through an in-memory exchange (the listener's part of
 * httpx.h is implemented here, so no socket is needed). */
#include "web.h"

#include "hub_alloc.h"
#include "hub_err.h"
#include "log.h"
#include "testlib.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/hubbub-test-web-XXXXXX";

/* ---- an in-memory exchange ---- */

struct hub_httpx {
    const char *method, *path, *query;
    const char *const *headers; /* "name", "value", ..., NULL */
};

static struct {
    int status;
    char ctype[128];
    char headers[2048]; /* "name: value\n"... */
    char *body;
    size_t len;
} reply;

const char *hub_httpx_method(const hub_httpx *x)
{
    return x->method;
}

const char *hub_httpx_path(const hub_httpx *x)
{
    return x->path;
}

const char *hub_httpx_query(const hub_httpx *x)
{
    return x->query ? x->query : "";
}

const char *hub_httpx_peer(const hub_httpx *x)
{
    return "127.0.0.1";
}

const char *hub_httpx_body(const hub_httpx *x, size_t *len)
{
    *len = 0;
    return "";
}

int hub_httpx_header(hub_httpx *x, const char *name, char *buf, size_t len)
{
    for (const char *const *h = x->headers; h && h[0]; h += 2) {
        if (strcasecmp(h[0], name) == 0) {
            if (strlen(h[1]) >= len)
                return -1;
            strcpy(buf, h[1]);
            return (int)strlen(buf);
        }
    }
    return -1;
}

void hub_httpx_on_abort(hub_httpx *x, void (*fn)(void *ud), void *ud)
{
}

int hub_httpx_reply(hub_httpx *x, int status, const char *content_type, const char *const *headers,
                    const void *body, size_t len)
{
    size_t n = 0;

    reply.status = status;
    snprintf(reply.ctype, sizeof(reply.ctype), "%s", content_type ? content_type : "");
    reply.headers[0] = '\0';
    for (const char *const *h = headers; h && *h; h++)
        n += (size_t)snprintf(reply.headers + n, sizeof(reply.headers) - n, "%s\n", *h);
    free(reply.body);
    reply.body = malloc(len + 1);
    memcpy(reply.body, body ? body : "", len);
    reply.body[len] = '\0';
    reply.len = len;
    return 0;
}

/* Runs the route for method and path with headers (name, value pairs, NULL-terminated); returns
 * the status (0: no route). */
static int request(hub_routes *routes, const char *method, const char *path,
                   const char *const *headers)
{
    struct hub_route_match m;
    hub_httpx x = {.method = method, .path = path, .headers = headers};

    reply.status = 0;
    if (!hub_routes_match(routes, method, path, &m))
        return 0;
    m.fn(m.ud, &x);
    return reply.status;
}

static int has_header(const char *line)
{
    return strstr(reply.headers, line) != NULL;
}

/* ---- files ---- */

static const char *tmp_path(const char *name)
{
    static char paths[8][512];
    static int slot;
    char *p = paths[slot++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *name, const char *text)
{
    FILE *f = fopen(tmp_path(name), "w");
    if (!f) {
        perror(name);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

/* ---- pure helpers ---- */

static void test_content_types(void)
{
    CHECK_STR(hub_web_content_type("/index.html"), "text/html; charset=utf-8");
    CHECK_STR(hub_web_content_type("a/INDEX.HTM"), "text/html; charset=utf-8");
    CHECK_STR(hub_web_content_type("chat.css"), "text/css; charset=utf-8");
    CHECK_STR(hub_web_content_type("chat.js"), "text/javascript; charset=utf-8");
    CHECK_STR(hub_web_content_type("m.mjs"), "text/javascript; charset=utf-8");
    CHECK_STR(hub_web_content_type("x.js.map"), "application/json; charset=utf-8");
    CHECK_STR(hub_web_content_type("d.json"), "application/json; charset=utf-8");
    CHECK_STR(hub_web_content_type("favicon.svg"), "image/svg+xml; charset=utf-8");
    CHECK_STR(hub_web_content_type("favicon.ico"), "image/x-icon");
    CHECK_STR(hub_web_content_type("shot.png"), "image/png");
    CHECK_STR(hub_web_content_type("font.woff2"), "font/woff2");
    CHECK_STR(hub_web_content_type("app.wasm"), "application/wasm");
    CHECK_STR(hub_web_content_type("README"), "application/octet-stream");
    CHECK_STR(hub_web_content_type("dir.html/README"), "application/octet-stream");
    CHECK_STR(hub_web_content_type("file."), "application/octet-stream");
    CHECK_STR(hub_web_content_type("x.exe"), "application/octet-stream");
}

static void test_path_check(void)
{
    static const char *const good[] = {"/", "/index.html", "/a/b/c.js", "/a.b/c", "/a..b", "/a/",
                                       "/x-y_z~1", "/über.html"};
    static const char *const bad[] = {"",        "index.html", "/..",         "/../etc/passwd",
                                      "/a/../b", "/a/..",      "/.",          "/./a",
                                      "/a/./b",  "/.git/config", "/a/.env",   "//etc/passwd",
                                      "/a//b",   "/a\\..\\b",  "/%2e%2e/x",   "/a%2fb",
                                      "/a\nb",   "/a\rb",      "/a\x7f",      "/a\tb"};

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int rc = hub_web_path_check(good[i]);
        if (rc != 0)
            fprintf(stderr, "  refused: %s\n", good[i]);
        CHECK_INT(rc, 0);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = hub_web_path_check(bad[i]);
        if (rc != HUB_EINVAL)
            fprintf(stderr, "  accepted: %s\n", bad[i]);
        CHECK_INT(rc, HUB_EINVAL);
    }
    CHECK_INT(hub_web_path_check(NULL), HUB_EINVAL);
}

static void test_file_path(void)
{
    char buf[64];

    CHECK_INT(hub_web_file_path("web", "/", buf, sizeof(buf)), 14);
    CHECK_STR(buf, "web/index.html");
    CHECK_INT(hub_web_file_path("/srv/web/", "/a/b.js", buf, sizeof(buf)), 15);
    CHECK_STR(buf, "/srv/web/a/b.js");
    CHECK_INT(hub_web_file_path("/srv/web//", "/admin/", buf, sizeof(buf)), 25);
    CHECK_STR(buf, "/srv/web/admin/index.html");
    CHECK_INT(hub_web_file_path("/", "/x", buf, sizeof(buf)), 2);
    CHECK_STR(buf, "/x");
    CHECK_INT(hub_web_file_path("web", "/../x", buf, sizeof(buf)), HUB_EINVAL);
    CHECK_INT(hub_web_file_path("web", "x", buf, sizeof(buf)), HUB_EINVAL);
    /* exactly full: "web/index.html" needs 15 bytes */
    CHECK_INT(hub_web_file_path("web", "/", buf, 15), 14);
    CHECK_INT(hub_web_file_path("web", "/", buf, 14), HUB_ETOOBIG);
    CHECK_INT(hub_web_file_path("web", "/abc", buf, 8), 7);
    CHECK_INT(hub_web_file_path("web", "/abcd", buf, 8), HUB_ETOOBIG);
}

static void test_etag(void)
{
    char a[HUB_WEB_ETAG_MAX], b[HUB_WEB_ETAG_MAX], c[HUB_WEB_ETAG_MAX], e[HUB_WEB_ETAG_MAX];
    char big[5000];

    hub_web_etag("hello", 5, a);
    hub_web_etag("hello", 5, b);
    hub_web_etag("hellp", 5, c);
    hub_web_etag("", 0, e);
    CHECK_STR(a, b);
    CHECK(strcmp(a, c) != 0);
    CHECK(a[0] == '"' && a[strlen(a) - 1] == '"');
    CHECK(strncmp(a, "\"5-", 3) == 0);
    CHECK_STR(e, "\"0-cbf29ce484222325\""); /* FNV-1a's offset basis */
    memset(big, 'x', sizeof(big));
    hub_web_etag(big, sizeof(big), a);
    CHECK(strncmp(a, "\"1388-", 6) == 0);
    CHECK(strlen(a) < HUB_WEB_ETAG_MAX);

    CHECK_INT(hub_web_etag_match("\"4.8.1\"", "\"4.8.1\""), 1);
    CHECK_INT(hub_web_etag_match("W/\"4.8.1\"", "\"4.8.1\""), 1); /* weak comparison */
    CHECK_INT(hub_web_etag_match("\"4.8.1\"", "W/\"4.8.1\""), 1);
    CHECK_INT(hub_web_etag_match("\"a\", \"4.8.1\"", "\"4.8.1\""), 1);
    CHECK_INT(hub_web_etag_match("\"a\",W/\"4.8.1\" ,\"b\"", "\"4.8.1\""), 1);
    CHECK_INT(hub_web_etag_match("*", "\"x\""), 1);
    CHECK_INT(hub_web_etag_match(" * ", "\"x\""), 1);
    CHECK_INT(hub_web_etag_match("\"4.8.0\"", "\"4.8.1\""), 0);
    CHECK_INT(hub_web_etag_match("4.8.1", "\"4.8.1\""), 0); /* unquoted is another tag */
    CHECK_INT(hub_web_etag_match("\"4.8.1", "\"4.8.1\""), 0);
    CHECK_INT(hub_web_etag_match("\"a,b\"", "\"a\""), 0); /* a comma inside quotes */
    CHECK_INT(hub_web_etag_match("\"a,b\"", "\"a,b\""), 1);
    CHECK_INT(hub_web_etag_match("", "\"a\""), 0);
    CHECK_INT(hub_web_etag_match(",,", "\"a\""), 0);
    CHECK_INT(hub_web_etag_match(NULL, "\"a\""), 0);
}

static void test_client_files(void)
{
    int is_map = -1;

    CHECK_INT(hub_web_client_file("socket.io.js", &is_map), 1);
    CHECK_INT(is_map, 0);
    CHECK_INT(hub_web_client_file("socket.io.min.js.map", &is_map), 1);
    CHECK_INT(is_map, 1);
    CHECK_INT(hub_web_client_file("socket.io.esm.min.js", &is_map), 1);
    CHECK_INT(hub_web_client_file("socket.io.msgpack.min.js", NULL), 1);
    CHECK_INT(hub_web_client_file("socket.io.msgpack.js", NULL), 0); /* not in dist/ */
    CHECK_INT(hub_web_client_file("../socket.io.js", NULL), 0);
    CHECK_INT(hub_web_client_file("socket.io.JS", NULL), 0);
    CHECK_INT(hub_web_client_file("", NULL), 0);
}

/* ---- the cache ---- */

static void test_cache(void)
{
    hub_web_cache *c = hub_web_cache_new(100, 60);
    const struct hub_web_file *f, *g;
    struct stat st;

    write_file("a.txt", "0123456789012345678901234567890123456789"); /* 40 bytes */
    write_file("b.txt", "abcdefghijabcdefghijabcdefghijabcdefghij");
    write_file("c.txt", "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ");
    write_file("big.txt", "0123456789012345678901234567890123456789012345678901234567890");
    mkdir(tmp_path("dir"), 0700);

    CHECK_INT(hub_web_cache_get(c, tmp_path("a.txt"), &f), 0);
    CHECK_INT(f->len, 40);
    CHECK(memcmp(f->data, "0123", 4) == 0 && f->data[40] == '\0');
    CHECK_INT(hub_web_cache_get(c, tmp_path("a.txt"), &g), 0);
    CHECK(f == g); /* from the cache */
    CHECK_INT(hub_web_cache_bytes(c), 40);
    CHECK_INT(hub_web_cache_get(c, tmp_path("b.txt"), &f), 0);
    CHECK_INT(hub_web_cache_get(c, tmp_path("a.txt"), &f), 0); /* a is now the most recent */
    CHECK_INT(hub_web_cache_count(c), 2);
    CHECK_INT(hub_web_cache_get(c, tmp_path("c.txt"), &f), 0); /* 120 > 100: b goes */
    CHECK_INT(hub_web_cache_count(c), 2);
    CHECK_INT(hub_web_cache_bytes(c), 80);
    CHECK(memcmp(f->data, "ABCD", 4) == 0);

    /* a changed file is read again, with a new ETag */
    CHECK_INT(hub_web_cache_get(c, tmp_path("a.txt"), &f), 0);
    {
        char old[HUB_WEB_ETAG_MAX];
        strcpy(old, f->etag);
        write_file("a.txt", "changed");
        CHECK_INT(hub_web_cache_get(c, tmp_path("a.txt"), &f), 0);
        CHECK_INT(f->len, 7);
        CHECK_STR(f->data, "changed");
        CHECK(strcmp(old, f->etag) != 0);
        CHECK_INT(hub_web_cache_bytes(c), 47);
    }
    /* same size, new modification time */
    write_file("a.txt", "CHANGED");
    CHECK_INT(stat(tmp_path("a.txt"), &st), 0);
    {
        struct timespec ts[2] = {st.st_atim, st.st_mtim};
        ts[1].tv_sec += 10;
        utimensat(AT_FDCWD, tmp_path("a.txt"), ts, 0);
    }
    CHECK_INT(hub_web_cache_get(c, tmp_path("a.txt"), &f), 0);
    CHECK_STR(f->data, "CHANGED");

    CHECK_INT(hub_web_cache_get(c, tmp_path("big.txt"), &f), HUB_ETOOBIG);
    CHECK_INT(hub_web_cache_get(c, tmp_path("none.txt"), &f), HUB_ENOTFOUND);
    CHECK_INT(hub_web_cache_get(c, tmp_path("dir"), &f), HUB_ENOTFOUND);
    CHECK_INT(hub_web_cache_get(c, tmp_path("a.txt/x"), &f), HUB_ENOTFOUND);
    /* a deleted file is dropped */
    unlink(tmp_path("c.txt"));
    CHECK_INT(hub_web_cache_get(c, tmp_path("c.txt"), &f), HUB_ENOTFOUND);
    CHECK_INT(hub_web_cache_count(c), 1);
    CHECK_INT(hub_web_cache_bytes(c), 7);
    hub_web_cache_free(c);
    hub_web_cache_free(NULL);

    /* a file bound larger than the cache is clamped to it */
    c = hub_web_cache_new(10, 100);
    CHECK_INT(hub_web_cache_get(c, tmp_path("b.txt"), &f), HUB_ETOOBIG);
    CHECK_INT(hub_web_cache_get(c, tmp_path("a.txt"), &f), 0);
    hub_web_cache_free(c);
}

/* ---- allocation failures ---- */

static long alloc_countdown = -1;

static int should_fail(void)
{
    return alloc_countdown >= 0 && alloc_countdown-- == 0;
}

static void *failing_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n);
}

static void *failing_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : calloc(n, size);
}

static void *failing_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n);
}

static const struct hub_alloc_funcs failing = {failing_malloc, failing_calloc, failing_realloc,
                                               free};

static void test_cache_alloc_failures(void)
{
    int ok = 0, nomem = 0;

    write_file("d.txt", "some bytes");
    hub_alloc_set(&failing);
    for (long n = 0; n < 100 && !ok; n++) {
        hub_web_cache *c;
        const struct hub_web_file *f;
        int rc;

        alloc_countdown = n;
        if (!(c = hub_web_cache_new(0, 0))) {
            nomem++;
            continue;
        }
        rc = hub_web_cache_get(c, tmp_path("d.txt"), &f);
        if (rc == 0) {
            CHECK_STR(f->data, "some bytes");
            ok = 1;
        } else {
            CHECK_INT(rc, HUB_ENOMEM);
            nomem++;
        }
        hub_web_cache_free(c);
    }
    alloc_countdown = -1;
    hub_alloc_set(NULL);
    CHECK(ok);
    CHECK(nomem >= 3);
}

/* ---- the handlers ---- */

static int ready_flag;

static int check_flag(void *ud, char *why, size_t len)
{
    if (*(int *)ud)
        return 1;
    snprintf(why, len, "flag is down");
    return 0;
}

static void setup_tree(void)
{
    char link_target[600];

    mkdir(tmp_path("root"), 0700);
    mkdir(tmp_path("root/sub"), 0700);
    mkdir(tmp_path("root/empty dir"), 0700);
    mkdir(tmp_path("client"), 0700);
    mkdir(tmp_path("client/dist"), 0700);
    write_file("root/index.html", "<!doctype html><title>home</title>");
    write_file("root/chat.js", "console.log(1);");
    write_file("root/sub/index.html", "<p>sub</p>");
    write_file("root/.secret", "hidden");
    write_file("outside.txt", "outside");
    snprintf(link_target, sizeof(link_target), "%s", tmp_path("outside.txt"));
    symlink(link_target, tmp_path("root/escape.txt"));
    symlink("chat.js", tmp_path("root/alias.js"));
    write_file("client/package.json", "{\"name\": \"socket.io-client\", \"version\": \"9.9.9\"}");
    write_file("client/dist/socket.io.js", "/*!\n * Socket.IO v9.9.9\n */\nvar io;\n");
    write_file("client/dist/socket.io.js.map", "{\"version\":3}");
}

static void test_pages(void)
{
    struct hub_config cfg;
    hub_routes *routes = hub_routes_new();
    hub_web *w;
    char etag[128], inm[160];
    const char *const none[] = {NULL};

    hub_config_init(&cfg);
    hub_free(cfg.web_root);
    cfg.web_root = hub_strdup(tmp_path("root"));
    hub_free(cfg.client_bundle_dir);
    cfg.client_bundle_dir = hub_strdup(tmp_path("client/dist"));
    w = hub_web_install(routes, NULL, &cfg);
    CHECK(w != NULL);

    CHECK_INT(request(routes, "GET", "/", none), 200);
    CHECK_STR(reply.ctype, "text/html; charset=utf-8");
    CHECK_STR(reply.body, "<!doctype html><title>home</title>");
    CHECK(has_header("cache-control: no-cache\n"));
    CHECK(has_header("x-content-type-options: nosniff\n"));
    {
        const char *e = strstr(reply.headers, "etag: ");
        CHECK(e != NULL);
        snprintf(etag, sizeof(etag), "%.*s", e ? (int)strcspn(e + 6, "\n") : 0, e ? e + 6 : "");
    }
    CHECK(etag[0] == '"');
    CHECK_INT(request(routes, "GET", "/index.html", none), 200);
    CHECK(strstr(reply.headers, etag) != NULL);

    /* If-None-Match */
    {
        const char *const h[] = {"If-None-Match", etag, NULL};
        CHECK_INT(request(routes, "GET", "/", h), 304);
        CHECK_INT(reply.len, 0);
        CHECK(strstr(reply.headers, etag) != NULL);
        snprintf(inm, sizeof(inm), "\"nope\", W/%s", etag);
        const char *const h2[] = {"if-none-match", inm, NULL};
        CHECK_INT(request(routes, "GET", "/", h2), 304);
        const char *const h3[] = {"if-none-match", "\"nope\"", NULL};
        CHECK_INT(request(routes, "GET", "/", h3), 200);
    }
    /* HEAD: the handler gives the GET body; the listener sends only its length */
    CHECK_INT(request(routes, "GET", "/chat.js", none), 200);
    size_t get_len = reply.len;
    CHECK_INT(request(routes, "HEAD", "/chat.js", none), 200);
    CHECK_STR(reply.ctype, "text/javascript; charset=utf-8");
    CHECK_INT(reply.len, get_len);
    CHECK_INT(request(routes, "POST", "/chat.js", none), 405);
    CHECK(has_header("allow: GET, HEAD\n"));

    /* directories */
    CHECK_INT(request(routes, "GET", "/sub/", none), 200);
    CHECK_STR(reply.body, "<p>sub</p>");
    CHECK_INT(request(routes, "GET", "/sub", none), 301);
    CHECK(has_header("location: /sub/\n"));
    CHECK_INT(request(routes, "GET", "/empty dir", none), 301);
    CHECK(has_header("location: /empty%20dir/\n"));
    CHECK_INT(request(routes, "GET", "/empty dir/", none), 404);

    /* what must not be served */
    CHECK_INT(request(routes, "GET", "/missing.html", none), 404);
    CHECK_INT(request(routes, "GET", "/.secret", none), 400);
    CHECK_INT(request(routes, "GET", "/../outside.txt", none), 400);
    CHECK_INT(request(routes, "GET", "/sub/../../outside.txt", none), 400);
    CHECK_INT(request(routes, "GET", "/%2e%2e/outside.txt", none), 400);
    CHECK_INT(request(routes, "GET", "//etc/passwd", none), 400);
    CHECK_INT(request(routes, "GET", "/escape.txt", none), 404); /* a link out of the root */
    CHECK(strstr(reply.body, "outside") == NULL);
    CHECK_INT(request(routes, "GET", "/alias.js", none), 200);   /* a link inside is fine */
    CHECK_STR(reply.body, "console.log(1);");
    CHECK_INT(request(routes, "GET", "/chat.js/x", none), 404);

    /* the client bundle */
    CHECK_INT(request(routes, "GET", "/socket.io/socket.io.js", none), 200);
    CHECK_STR(reply.ctype, "application/javascript; charset=utf-8");
    CHECK(has_header("etag: \"9.9.9\"\n"));
    CHECK(has_header("cache-control: public, max-age=0\n"));
    CHECK(strstr(reply.body, "Socket.IO v9.9.9") != NULL);
    CHECK_INT(request(routes, "GET", "/socket.io/socket.io.js.map", none), 200);
    CHECK_STR(reply.ctype, "application/json; charset=utf-8");
    CHECK_STR(reply.body, "{\"version\":3}");
    {
        const char *const h[] = {"if-none-match", "W/\"9.9.9\"", NULL};
        CHECK_INT(request(routes, "GET", "/socket.io/socket.io.js", h), 304);
        CHECK(has_header("etag: \"9.9.9\"\n"));
        const char *const h2[] = {"if-none-match", "\"9.9.8\"", NULL};
        CHECK_INT(request(routes, "GET", "/socket.io/socket.io.js", h2), 200);
    }
    CHECK_INT(request(routes, "HEAD", "/socket.io/socket.io.js", none), 200);
    CHECK(reply.len > 0); /* the GET body, for its length */
    CHECK_INT(request(routes, "GET", "/socket.io/socket.io.min.js", none), 404); /* not in dir */
    CHECK_INT(request(routes, "DELETE", "/socket.io/socket.io.js", none), 405);
    /* without CORS configured, no CORS headers */
    CHECK_INT(request(routes, "GET", "/socket.io/socket.io.js", none), 200);
    CHECK(!has_header("access-control-allow-origin"));

    /* health */
    CHECK_INT(request(routes, "GET", "/healthz", none), 200);
    CHECK_STR(reply.body, "{\"status\":\"ok\"}");
    CHECK_STR(reply.ctype, "application/json; charset=utf-8");
    CHECK_INT(request(routes, "POST", "/healthz", none), 405);
    CHECK_INT(request(routes, "GET", "/readyz", none), 200);
    CHECK_STR(reply.body, "{\"status\":\"ready\",\"checks\":{}}");
    ready_flag = 0;
    CHECK_INT(hub_web_ready_add(w, "flag", check_flag, &ready_flag), 0);
    CHECK_INT(hub_web_ready_add(w, "flag", check_flag, &ready_flag), HUB_EEXISTS);
    CHECK_INT(request(routes, "GET", "/readyz", none), 503);
    CHECK_STR(reply.body, "{\"status\":\"not ready\",\"checks\":{\"flag\":\"flag is down\"}}");
    ready_flag = 1;
    CHECK_INT(request(routes, "GET", "/readyz", none), 200);
    CHECK_STR(reply.body, "{\"status\":\"ready\",\"checks\":{\"flag\":\"ok\"}}");

    hub_web_free(w);
    hub_routes_free(routes);
    hub_config_free(&cfg);
}

static void test_cors_and_options(void)
{
    struct hub_config cfg;
    hub_routes *routes = hub_routes_new();
    hub_web *w;
    char *origins[] = {"https://a.example", NULL};
    const char *const from_a[] = {"origin", "https://a.example", NULL};
    const char *const from_b[] = {"origin", "https://b.example", NULL};

    hub_config_init(&cfg);
    hub_free(cfg.web_root);
    cfg.web_root = hub_strdup(""); /* no pages */
    hub_free(cfg.client_bundle_dir);
    cfg.client_bundle_dir = hub_strdup(tmp_path("client/dist"));
    cfg.cors_origins = origins;
    w = hub_web_install(routes, NULL, &cfg);
    CHECK_INT(request(routes, "GET", "/socket.io/socket.io.js", from_a), 200);
    CHECK(has_header("access-control-allow-origin: https://a.example\n"));
    CHECK(has_header("vary: Origin\n"));
    CHECK_INT(request(routes, "GET", "/socket.io/socket.io.js", from_b), 200);
    CHECK(!has_header("access-control-allow-origin"));
    CHECK_INT(request(routes, "OPTIONS", "/socket.io/socket.io.js", from_a), 204);
    CHECK(has_header("access-control-allow-methods: GET,HEAD\n"));
    CHECK_INT(request(routes, "GET", "/", from_a), 0); /* webRoot "" serves no pages */
    CHECK_INT(request(routes, "GET", "/healthz", from_a), 200);
    hub_web_free(w);
    hub_routes_free(routes);
    cfg.cors_origins = NULL;

    /* cors "*" and serveClient false */
    routes = hub_routes_new();
    cfg.cors_any = 1;
    w = hub_web_install(routes, NULL, &cfg);
    CHECK_INT(request(routes, "GET", "/socket.io/socket.io.js", from_b), 200);
    CHECK(has_header("access-control-allow-origin: *\n"));
    hub_web_free(w);
    hub_routes_free(routes);
    routes = hub_routes_new();
    cfg.serve_client = 0;
    w = hub_web_install(routes, NULL, &cfg);
    CHECK_INT(request(routes, "GET", "/socket.io/socket.io.js", from_b), 0);
    hub_web_free(w);
    hub_routes_free(routes);

    /* another Engine.IO path moves the bundle with it; a version from the banner alone */
    routes = hub_routes_new();
    cfg.serve_client = 1;
    cfg.cors_any = 0;
    hub_free(cfg.path);
    cfg.path = hub_strdup("/rt/");
    unlink(tmp_path("client/package.json"));
    w = hub_web_install(routes, NULL, &cfg);
    CHECK_INT(request(routes, "GET", "/socket.io/socket.io.js", from_b), 0);
    CHECK_INT(request(routes, "GET", "/rt/socket.io.js", from_b), 200);
    CHECK(has_header("etag: \"9.9.9\"\n"));
    hub_web_free(w);
    hub_routes_free(routes);
    hub_config_free(&cfg);
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];
    struct stat st;

    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    setup_tree();
    hub_log_set_level(HUB_LOG_ERROR); /* the warnings about missing bundle files are expected */
    RUN(test_content_types);
    RUN(test_path_check);
    RUN(test_file_path);
    RUN(test_etag);
    RUN(test_client_files);
    RUN(test_cache);
    RUN(test_cache_alloc_failures);
    RUN(test_pages);
    RUN(test_cors_and_options);
    remove_tree(tmpdir);
    free(reply.body);
    return TEST_SUMMARY();
}
