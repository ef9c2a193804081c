/* admin_config.c - see admin_config.h. */
#include "admin_config.h"

#include <crypt.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "hub_alloc.h"
#include "hub_err.h"

#ifndef HUB_ADMIN_UI_DIR
#define HUB_ADMIN_UI_DIR "node_modules/@socket.io/admin-ui/ui/dist"
#endif
#ifndef HUB_ICONS_DIR
#define HUB_ICONS_DIR "node_modules/@mdi/font"
#endif

struct hub_admin_config *hub_admin_config_new(void)
{
    struct hub_admin_config *c = hub_calloc(1, sizeof(*c));

    if (!c) return NULL;
    c->auth = 1;
    c->session_s = HUB_ADMIN_SESSION_DEFAULT_S;
    c->dashboard = 1;
    c->dashboard_interval_ms = HUB_DASHBOARD_INTERVAL_DEFAULT_MS;
    c->nsp = hub_strdup("/admin");
    c->ui_path = hub_strdup("/admin/");
    c->dashboard_nsp = hub_strdup("/dashboard");
    c->ui_dir = hub_config_default_dir("admin-ui", HUB_ADMIN_UI_DIR);
    c->icons_dir = hub_config_default_dir("mdi-font", HUB_ICONS_DIR);
    if (!c->nsp || !c->ui_path || !c->dashboard_nsp || !c->ui_dir || !c->icons_dir) {
        hub_admin_config_free(c);
        return NULL;
    }
    return c;
}

void hub_admin_config_free(struct hub_admin_config *c)
{
    if (!c) return;
    hub_free(c->username);
    if (c->password_hash) /* not a secret, but no reason to leave it in freed memory either */
        memset(c->password_hash, 0, strlen(c->password_hash));
    hub_free(c->password_hash);
    hub_free(c->nsp);
    hub_free(c->server_id);
    hub_free(c->ui_path);
    hub_free(c->ui_dir);
    hub_free(c->icons_dir);
    hub_free(c->dashboard_nsp);
    hub_free(c);
}

int hub_admin_hash_supported(const char *hash)
{
    static const char *const kinds[] = {"$2a$", "$2b$", "$2y$", "$y$", "$gy$", "$7$", "$5$", "$6$"};
    size_t n = hash ? strlen(hash) : 0;

    if (!n || crypt_checksalt(hash) != CRYPT_SALT_OK) return 0;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strncmp(hash, kinds[i], strlen(kinds[i])) == 0)
            /* a bcrypt hash is 60 characters: "$2b$" cost "$" 22 salt 31 hash */
            return kinds[i][1] != '2' || n == 60;
    }
    return 0;
}

static int set_str(char **field, const char *v)
{
    char *copy = v ? hub_strdup(v) : NULL;

    if (v && !copy) return HUB_ENOMEM;
    hub_free(*field);
    *field = copy;
    return 0;
}

#define FAIL(k, ...)                                                                               \
    do {                                                                                           \
        *key = (k);                                                                                \
        snprintf(msg, len, __VA_ARGS__);                                                           \
        return HUB_EINVAL;                                                                         \
    } while (0)

/* A namespace name: starts with '/', printable, short. */
static int nsp_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n > 200 || s[0] != '/') return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
    return 1;
}

static int parse_admin_key(struct hub_admin_config *c, const char *k, const json_t *v,
                           const char **key, char *msg, size_t len)
{
    const char *s = json_string_value(v);
    int rc;

    *key = k;
    if (strcmp(k, "password") == 0)
        FAIL(k, "a plain password is not accepted: put its bcrypt hash in \"passwordHash\" "
                "(docs/OPERATIONS.md shows how to make one)");
    if (strcmp(k, "auth") == 0 || strcmp(k, "readonly") == 0) {
        if (!json_is_boolean(v)) FAIL(k, "must be true or false");
        *(k[0] == 'a' ? &c->auth : &c->readonly) = json_is_true(v);
        return 0;
    }
    if (strcmp(k, "sessionDuration") == 0) {
        json_int_t n = json_integer_value(v);
        if (!json_is_integer(v) || n < 60 || n > 30 * 86400)
            FAIL(k, "must be a number of seconds from 60 to 2592000 (30 days)");
        c->session_s = (uint32_t)n;
        return 0;
    }
    if (strcmp(k, "uiPath") == 0 && json_is_null(v)) {
        hub_free(c->ui_path);
        c->ui_path = NULL;
        return 0;
    }
    if (strcmp(k, "serverId") == 0 && json_is_null(v)) return set_str(&c->server_id, NULL);
    if (!s) FAIL(k, "must be a string");
    if (strcmp(k, "username") == 0) {
        if (!s[0] || strlen(s) > 128) FAIL(k, "must be 1 to 128 characters");
        return set_str(&c->username, s);
    }
    if (strcmp(k, "passwordHash") == 0) {
        if (!hub_admin_hash_supported(s))
            FAIL(k, "must be a bcrypt hash (\"$2b$10$...\", 60 characters) or another salted "
                    "crypt(3) hash ($y$, $7$, $6$, $5$); a plain password is not accepted");
        return set_str(&c->password_hash, s);
    }
    if (strcmp(k, "namespace") == 0) {
        if (!nsp_ok(s)) FAIL(k, "must be a namespace name starting with '/'");
        return set_str(&c->nsp, s);
    }
    if (strcmp(k, "mode") == 0) {
        if (strcmp(s, "development") != 0 && strcmp(s, "production") != 0)
            FAIL(k, "must be \"development\" or \"production\"");
        c->production = s[0] == 'p';
        return 0;
    }
    if (strcmp(k, "serverId") == 0) {
        if (!s[0] || strlen(s) > 100) FAIL(k, "must be 1 to 100 characters");
        return set_str(&c->server_id, s);
    }
    if (strcmp(k, "uiPath") == 0) {
        size_t n = strlen(s);
        char *copy;
        if (n < 2 || s[0] != '/' || strpbrk(s, "?#% \\") || strstr(s, "//") || strstr(s, "/."))
            FAIL(k, "must be a plain URL path such as \"/admin/\" (or null)");
        if (!(copy = hub_malloc(n + 2))) return HUB_ENOMEM;
        memcpy(copy, s, n + 1);
        if (copy[n - 1] != '/') strcpy(copy + n, "/");
        hub_free(c->ui_path);
        c->ui_path = copy;
        return 0;
    }
    if (strcmp(k, "uiDir") == 0 || strcmp(k, "iconsDir") == 0) {
        if (!s[0]) FAIL(k, "must be a directory");
        rc = set_str(k[0] == 'u' ? &c->ui_dir : &c->icons_dir, s);
        return rc;
    }
    FAIL(k, "unknown key");
}

static int parse_dashboard_key(struct hub_admin_config *c, const char *k, const json_t *v,
                               const char **key, char *msg, size_t len)
{
    *key = k;
    if (strcmp(k, "namespace") == 0) {
        if (!json_is_string(v) || !nsp_ok(json_string_value(v)))
            FAIL(k, "must be a namespace name starting with '/'");
        return set_str(&c->dashboard_nsp, json_string_value(v));
    }
    if (strcmp(k, "interval") == 0) {
        json_int_t n = json_integer_value(v);
        if (!json_is_integer(v) || n < 100 || n > 60000)
            FAIL(k, "must be a number of milliseconds from 100 to 60000");
        c->dashboard_interval_ms = (uint32_t)n;
        return 0;
    }
    if (strcmp(k, "enabled") == 0) {
        if (!json_is_boolean(v)) FAIL(k, "must be true or false");
        c->dashboard = json_is_true(v);
        return 0;
    }
    FAIL(k, "unknown key");
}

int hub_admin_config_parse(const json_t *v, int dashboard, struct hub_admin_config **cp,
                           const char **key, char *msg, size_t len)
{
    struct hub_admin_config *c = *cp;
    const char *k;
    json_t *member;
    int rc;

    *key = NULL;
    if (!c && !(c = *cp = hub_admin_config_new())) return HUB_ENOMEM;
    if (dashboard && json_is_boolean(v)) {
        c->dashboard = json_is_true(v);
        return 0;
    }
    if (!json_is_object(v))
        FAIL(NULL, dashboard ? "must be an object, true or false" : "must be an object");
    if (!dashboard)
        c->enabled = 1;
    else
        c->dashboard = 1;
    json_object_foreach((json_t *)v, k, member)
    {
        rc = dashboard ? parse_dashboard_key(c, k, member, key, msg, len)
                       : parse_admin_key(c, k, member, key, msg, len);
        if (rc) return rc;
    }
    *key = NULL;
    return 0;
}

int hub_admin_config_check(const struct hub_admin_config *c, const char **key, char *msg,
                           size_t len)
{
    if (!c) return 0;
    if (c->enabled && c->auth && (!c->username || !c->password_hash))
        FAIL(c->username ? "passwordHash" : "username",
             "is required unless \"auth\" is false (the Admin UI must not be open to anyone)");
    if (c->enabled && c->dashboard && strcmp(c->nsp, c->dashboard_nsp) == 0)
        FAIL("namespace", "the Admin UI and the dashboard need namespaces of their own");
    return 0;
}

struct hub_admin_config *hub_admin_config_copy(const struct hub_admin_config *c, int *failed)
{
    struct hub_admin_config *d;

    *failed = 0;
    if (!c) return NULL;
    if (!(d = hub_calloc(1, sizeof(*d)))) {
        *failed = 1;
        return NULL;
    }
    *d = *c;
    d->username = d->password_hash = d->nsp = d->server_id = NULL;
    d->ui_path = d->ui_dir = d->icons_dir = d->dashboard_nsp = NULL;
    if (set_str(&d->username, c->username) || set_str(&d->password_hash, c->password_hash) ||
        set_str(&d->nsp, c->nsp) || set_str(&d->server_id, c->server_id) ||
        set_str(&d->ui_path, c->ui_path) || set_str(&d->ui_dir, c->ui_dir) ||
        set_str(&d->icons_dir, c->icons_dir) || set_str(&d->dashboard_nsp, c->dashboard_nsp)) {
        hub_admin_config_free(d);
        *failed = 1;
        return NULL;
    }
    return d;
}
