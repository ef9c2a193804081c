/* test_admin.c - the pure parts of hub/admin.c and hub/admin_config.c: session tokens, crypt(3)
 * password checks, the hash kinds accepted, the "admin"/"dashboard" config keys, the rewrite of
 * the Admin UI's index.html, and its pages served through an in-memory exchange. The namespace
 * itself is driven by tests/integration/admin.test.js and tests/browser/admin.test.js. */
#include "admin.h"
#include "admin_config.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "metrics.h"
#include "testlib.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- an in-memory exchange ---- */

struct hub_httpx {
    const char *method, *path, *inm;
};

static struct {
    int status;
    char ctype[128];
    char headers[1024];
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
    (void)x;
    return "";
}

int hub_httpx_header(hub_httpx *x, const char *name, char *buf, size_t len)
{
    if (strcmp(name, "if-none-match") != 0 || !x->inm || strlen(x->inm) >= len) return -1;
    strcpy(buf, x->inm);
    return (int)strlen(buf);
}

void hub_httpx_on_abort(hub_httpx *x, void (*fn)(void *ud), void *ud)
{
    (void)x;
    (void)fn;
    (void)ud;
}

int hub_httpx_reply(hub_httpx *x, int status, const char *content_type, const char *const *headers,
                    const void *body, size_t len)
{
    (void)x;
    reply.status = status;
    snprintf(reply.ctype, sizeof(reply.ctype), "%s", content_type);
    reply.headers[0] = '\0';
    for (size_t i = 0; headers && headers[i]; i++) {
        strncat(reply.headers, headers[i], sizeof(reply.headers) - strlen(reply.headers) - 2);
        strcat(reply.headers, "\n");
    }
    free(reply.body);
    reply.body = malloc(len + 1);
    if (len) memcpy(reply.body, body, len);
    reply.body[len] = '\0';
    reply.len = len;
    return 0;
}

/* ---- helpers ---- */

static char dir[] = "/tmp/hubbub-test-admin-XXXXXX";

static void write_file(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* A bcrypt hash of password with the lowest cost (fast enough for tests). */
static void make_hash(const char *password, char out[128])
{
    char salt[64];
    struct crypt_data *d = calloc(1, sizeof(*d));

    CHECK(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)) != NULL);
    snprintf(out, 128, "%s", crypt_r(password, salt, d));
    free(d);
}

/* Parses text; *key (borrowed from the JSON) is copied before the JSON goes. */
static int parse(struct hub_admin_config **c, const char *text, int dashboard, const char **key,
                 char *msg)
{
    static char key_copy[64];
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    int rc = hub_admin_config_parse(v, dashboard, c, key, msg, 200);

    if (*key) {
        snprintf(key_copy, sizeof key_copy, "%s", *key);
        *key = key_copy;
    }
    json_decref(v);
    return rc;
}

/* ---- tests ---- */

static void test_sessions(void)
{
    char hash[128], token[HUB_ADMIN_SESSION_MAX], other[128];
    uint64_t now = 1700000000000ull;

    make_hash("s3cret", hash);
    make_hash("s3cret", other); /* same password, another salt: another key */
    CHECK(hub_admin_session_make(hash, "admin", now + 60000, token) > 0);
    CHECK(hub_admin_session_check(hash, "admin", token, now));
    CHECK(hub_admin_session_check(hash, "admin", token, now + 59999));
    CHECK(!hub_admin_session_check(hash, "admin", token, now + 60000)); /* expired */
    CHECK(!hub_admin_session_check(hash, "root", token, now));          /* another user */
    CHECK(!hub_admin_session_check(other, "admin", token, now));        /* another password */
    token[strlen(token) - 1] ^= 1;                                      /* tampered */
    CHECK(!hub_admin_session_check(hash, "admin", token, now));
    token[strlen(token) - 1] ^= 1;
    token[0] = token[0] == 'f' ? 'e' : 'f'; /* another expiry: the MAC no longer matches */
    CHECK(!hub_admin_session_check(hash, "admin", token, now));
    CHECK(!hub_admin_session_check(hash, "admin", "", now));
    CHECK(!hub_admin_session_check(hash, "admin", "zz.00", now));
    CHECK(!hub_admin_session_check(hash, "admin", NULL, now));
    CHECK_INT(hub_admin_session_make("", "admin", now, token), HUB_EINVAL);
}

static void test_passwords(void)
{
    char hash[128];

    make_hash("correct horse", hash);
    CHECK(hub_admin_password_check("correct horse", hash));
    CHECK(!hub_admin_password_check("correct horsE", hash));
    CHECK(!hub_admin_password_check("", hash));
    CHECK(!hub_admin_password_check("correct horse", "$2b$04$short"));
    /* bcryptjs's $2a$ hash of "changeit" (the admin-ui README's) */
    CHECK(hub_admin_password_check("changeit",
                                   "$2a$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS"));
    CHECK(hub_admin_hash_supported(hash));
    CHECK(hub_admin_hash_supported("$2a$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS"));
    CHECK(!hub_admin_hash_supported("changeit"));
    CHECK(!hub_admin_hash_supported("$2b$10$short"));
    CHECK(!hub_admin_hash_supported("$1$abc$defdefdef")); /* md5crypt: not accepted */
    CHECK(!hub_admin_hash_supported(""));
    CHECK(!hub_admin_hash_supported(NULL));
}

static void test_config(void)
{
    struct hub_admin_config *c = NULL, *copy;
    const char *key;
    char msg[200], hash[128], text[512];
    int failed;

    make_hash("pw", hash);
    CHECK_INT(parse(&c, "{\"password\": \"changeit\"}", 0, &key, msg), HUB_EINVAL);
    CHECK_STR(key, "password");
    CHECK(strstr(msg, "plain password") != NULL);
    CHECK_INT(parse(&c, "{\"passwordHash\": \"changeit\"}", 0, &key, msg), HUB_EINVAL);
    CHECK_STR(key, "passwordHash");
    CHECK_INT(parse(&c, "{\"mode\": \"debug\"}", 0, &key, msg), HUB_EINVAL);
    CHECK_INT(parse(&c, "{\"namespace\": \"admin\"}", 0, &key, msg), HUB_EINVAL);
    CHECK_INT(parse(&c, "{\"what\": 1}", 0, &key, msg), HUB_EINVAL);
    CHECK_STR(key, "what");
    CHECK_INT(parse(&c, "[]", 0, &key, msg), HUB_EINVAL);
    CHECK(key == NULL);
    hub_admin_config_free(c);
    c = NULL;
    /* credentials are required unless auth is off */
    CHECK_INT(parse(&c, "{\"username\": \"admin\"}", 0, &key, msg), 0);
    CHECK_INT(hub_admin_config_check(c, &key, msg, sizeof msg), HUB_EINVAL);
    CHECK_STR(key, "passwordHash");
    CHECK_INT(parse(&c, "{\"auth\": false}", 0, &key, msg), 0);
    CHECK_INT(hub_admin_config_check(c, &key, msg, sizeof msg), 0);
    hub_admin_config_free(c);
    c = NULL;
    snprintf(text, sizeof text,
             "{\"username\": \"admin\", \"passwordHash\": \"%s\", \"readonly\": true, \"mode\": "
             "\"production\", \"serverId\": \"eu-1\", \"sessionDuration\": 3600, \"uiPath\": "
             "\"/ops/admin\", \"namespace\": \"/ops\"}",
             hash);
    CHECK_INT(parse(&c, text, 0, &key, msg), 0);
    CHECK(c->enabled && c->auth && c->readonly && c->production);
    CHECK_STR(c->username, "admin");
    CHECK_STR(c->password_hash, hash);
    CHECK_STR(c->server_id, "eu-1");
    CHECK_STR(c->ui_path, "/ops/admin/");
    CHECK_STR(c->nsp, "/ops");
    CHECK_INT(c->session_s, 3600);
    CHECK(c->dashboard);
    CHECK_STR(c->dashboard_nsp, "/dashboard");
    CHECK_INT(parse(&c, "{\"namespace\": \"/ops\", \"interval\": 500}", 1, &key, msg), 0);
    CHECK_INT(hub_admin_config_check(c, &key, msg, sizeof msg), HUB_EINVAL); /* same namespace */
    CHECK_INT(parse(&c, "{\"namespace\": \"/live\"}", 1, &key, msg), 0);
    CHECK_INT(hub_admin_config_check(c, &key, msg, sizeof msg), 0);
    CHECK_INT(c->dashboard_interval_ms, 500);
    CHECK_INT(parse(&c, "{\"interval\": 5}", 1, &key, msg), HUB_EINVAL);
    CHECK_INT(parse(&c, "false", 1, &key, msg), 0);
    CHECK(!c->dashboard);
    copy = hub_admin_config_copy(c, &failed);
    CHECK(copy && !failed);
    CHECK_STR(copy->password_hash, hash);
    CHECK(copy->password_hash != c->password_hash);
    hub_admin_config_free(copy);
    CHECK(hub_admin_config_copy(NULL, &failed) == NULL && !failed);
    CHECK_INT(parse(&c, "{\"uiPath\": null}", 0, &key, msg), 0);
    CHECK(c->ui_path == NULL);
    hub_admin_config_free(c);
}

static const char index_html[] =
    "<!DOCTYPE html><html><head><title>Socket.IO Admin UI</title>"
    "<link rel=\"stylesheet\" href=\"https://fonts.googleapis.com/css?family=Roboto:100,300\">"
    "<link rel=\"stylesheet\" "
    "href=\"https://cdn.jsdelivr.net/npm/@mdi/font@latest/css/materialdesignicons.min.css\">"
    "<link href=\"css/app.css\" rel=\"stylesheet\"></head><body><div "
    "id=\"app\"></div></body></html>";

static void test_index_rewrite(void)
{
    size_t len;
    char *out = hub_admin_index_rewrite(index_html, strlen(index_html), &len);

    CHECK(out != NULL);
    CHECK_INT(strlen(out), len);
    CHECK(strstr(out, "googleapis") == NULL);
    CHECK(strstr(out, "jsdelivr") == NULL);
    CHECK(strstr(out, "<link rel=\"stylesheet\" href=\"mdi/css/materialdesignicons.min.css\">"));
    CHECK(strstr(out, "<link href=\"css/app.css\" rel=\"stylesheet\">"));
    CHECK(strstr(out, "<script src=\"hubbub-defaults.js\"></script></head>"));
    hub_free(out);
}

static void get(hub_route_fn fn, void *ud, const char *path, const char *inm)
{
    hub_httpx x = {.method = "GET", .path = path, .inm = inm};
    reply.status = 0;
    fn(ud, &x);
}

static void test_pages(void)
{
    uv_loop_t loop;
    struct hub_config cfg;
    char hash[128], p[600], etag[80];
    const char *key;
    char msg[200];
    struct hub_route_match rm, redirect;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(p, sizeof p, "%s/ui", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/ui/js", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/icons", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/icons/css", dir);
    mkdir(p, 0700);
    write_file("ui/index.html", index_html);
    write_file("ui/js/app.js", "console.log(1);");
    write_file("icons/css/materialdesignicons.min.css", ".mdi{}");
    write_file("icons/secret.txt", "no");
    write_file("outside.txt", "no");

    uv_loop_init(&loop);
    hub_config_init(&cfg);
    make_hash("pw", hash);
    snprintf(p, sizeof p,
             "{\"username\": \"a\", \"passwordHash\": \"%s\", \"uiDir\": \"%s/ui\", "
             "\"iconsDir\": \"%s/icons\"}",
             hash, dir, dir);
    CHECK_INT(parse(&cfg.admin, p, 0, &key, msg), 0);
    hub_server *srv = hub_server_new(&loop, &cfg);
    hub_metrics *m = hub_metrics_new(srv, NULL);
    hub_admin *a = hub_admin_new(srv, &cfg, m);
    CHECK(a != NULL);
    CHECK(hub_server_nsp(srv, "/admin") != NULL);
    CHECK(hub_admin_new(srv, &cfg, m) == NULL); /* the namespace is taken */
    hub_routes *routes = hub_routes_new();
    CHECK_INT(hub_admin_add_routes(a, routes), 0);
    CHECK_INT(hub_routes_match(routes, "GET", "/admin/js/app.js", &rm), 1);
    CHECK_INT(hub_routes_match(routes, "GET", "/admin", &redirect), 1);

    get(redirect.fn, redirect.ud, "/admin", NULL);
    CHECK_INT(reply.status, 301);
    CHECK(strstr(reply.headers, "location: /admin/\n") != NULL);
    get(rm.fn, rm.ud, "/admin/", NULL);
    CHECK_INT(reply.status, 200);
    CHECK_STR(reply.ctype, "text/html; charset=utf-8");
    CHECK(strstr(reply.body, "mdi/css/materialdesignicons.min.css") != NULL);
    CHECK(strstr(reply.body, "jsdelivr") == NULL);
    CHECK(sscanf(strstr(reply.headers, "etag: ") + 6, "%79s", etag) == 1);
    get(rm.fn, rm.ud, "/admin/index.html", etag);
    CHECK_INT(reply.status, 304);
    get(rm.fn, rm.ud, "/admin/js/app.js", NULL);
    CHECK_INT(reply.status, 200);
    CHECK_STR(reply.body, "console.log(1);");
    CHECK(strstr(reply.ctype, "javascript") != NULL);
    get(rm.fn, rm.ud, "/admin/mdi/css/materialdesignicons.min.css", NULL);
    CHECK_INT(reply.status, 200);
    CHECK_STR(reply.body, ".mdi{}");
    get(rm.fn, rm.ud, "/admin/mdi/secret.txt", NULL); /* only css/ and fonts/ of the icons */
    CHECK_INT(reply.status, 404);
    get(rm.fn, rm.ud, "/admin/../outside.txt", NULL);
    CHECK_INT(reply.status, 400);
    get(rm.fn, rm.ud, "/admin/nope.js", NULL);
    CHECK_INT(reply.status, 404);
    get(rm.fn, rm.ud, "/admin/hubbub-defaults.js", NULL);
    CHECK_INT(reply.status, 200);
    CHECK(strstr(reply.body, "\"namespace\":\"/admin\"") != NULL);
    CHECK(strstr(reply.body, "\"path\":\"/socket.io\"") != NULL);
    hub_httpx post = {.method = "POST", .path = "/admin/"};
    rm.fn(rm.ud, &post);
    CHECK_INT(reply.status, 405);

    hub_admin_stop(a);
    hub_server_free(srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    hub_admin_free(a);
    hub_metrics_free(m);
    hub_routes_free(routes);
    CHECK_INT(uv_loop_close(&loop), 0);
    hub_config_free(&cfg);
    free(reply.body);
    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    CHECK_INT(system(p), 0);
}

int main(void)
{
    hub_alloc_set(NULL);
    RUN(test_sessions);
    RUN(test_passwords);
    RUN(test_config);
    RUN(test_index_rewrite);
    RUN(test_pages);
    return TEST_SUMMARY();
}
