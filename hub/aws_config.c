/* aws_config.c - see aws_config.h. */
#include "aws_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hub_alloc.h"
#include "hub_err.h"

#define DEFAULT_ACCOUNT "000000000000"
#define DEFAULT_REGION "us-east-1"

void hub_aws_config_free(struct hub_aws_config *c)
{
    if (!c) return;
    hub_free(c->account);
    hub_free(c->region);
    hub_free(c->advertised_url);
    for (size_t i = 0; c->access_keys && c->access_keys[i]; i++)
        hub_free(c->access_keys[i]);
    hub_free(c->access_keys);
    hub_free(c);
}

static int fail(const char **key, const char *k, char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;
    *key = k;
    if (msg && len) {
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return HUB_EINVAL;
}

static int region_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

static int account_valid(const char *s)
{
    if (strlen(s) != 12) return 0;
    for (size_t i = 0; i < 12; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* http(s)://host[:port] with an optional trailing '/', nothing else. */
static int base_url_valid(const char *s)
{
    const char *p = strncmp(s, "http://", 7) == 0    ? s + 7
                    : strncmp(s, "https://", 8) == 0 ? s + 8
                                                     : NULL;
    if (!p || !*p || *p == '/') return 0;
    for (; *p && *p != '/'; p++)
        if ((unsigned char)*p <= ' ' || strchr("?#@\\", *p) || (unsigned char)*p >= 0x7f) return 0;
    return *p == '\0' || (p[0] == '/' && p[1] == '\0');
}

static int key_chars_valid(const char *s, size_t n)
{
    if (n == 0 || n > 128) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f || s[i] == '/' || s[i] == ',')
            return 0;
    return 1;
}

int hub_aws_config_parse(const json_t *v, struct hub_aws_config **out, const char **key, char *msg,
                         size_t len)
{
    const char *k;
    json_t *m;
    *key = NULL;
    if (!json_is_object(v))
        return fail(key, NULL, msg, len, "must be an object ({\"enabled\": true, ...})");
    struct hub_aws_config *c = hub_calloc(1, sizeof *c);
    if (!c) return HUB_ENOMEM;
    c->enabled = 1;
    c->port = -1;
    int rc = 0;
    json_object_foreach((json_t *)v, k, m)
    {
        const char *s = json_string_value(m);
        if (strcmp(k, "enabled") == 0) {
            if (!json_is_boolean(m)) {
                rc = fail(key, k, msg, len, "must be true or false");
                break;
            }
            c->enabled = json_is_true(m);
        } else if (strcmp(k, "accountId") == 0) {
            if (!s || !account_valid(s)) {
                rc = fail(key, k, msg, len, "must be a string of 12 digits");
                break;
            }
            hub_free(c->account);
            if (!(c->account = hub_strdup(s))) rc = HUB_ENOMEM;
        } else if (strcmp(k, "region") == 0) {
            if (!s || !region_valid(s)) {
                rc = fail(key, k, msg, len, "must be a region name such as \"us-east-1\"");
                break;
            }
            hub_free(c->region);
            if (!(c->region = hub_strdup(s))) rc = HUB_ENOMEM;
        } else if (strcmp(k, "advertisedUrl") == 0) {
            hub_free(c->advertised_url);
            c->advertised_url = NULL;
            if (json_is_null(m)) continue;
            if (!s || !base_url_valid(s)) {
                rc = fail(key, k, msg, len,
                          "must be null or a base URL \"http(s)://host[:port]\" (no path)");
                break;
            }
            size_t n = strlen(s);
            if (!(c->advertised_url = hub_strndup(s, s[n - 1] == '/' ? n - 1 : n))) rc = HUB_ENOMEM;
        } else if (strcmp(k, "accessKeys") == 0) {
            const char *id;
            json_t *sec;
            if (!json_is_object(m)) {
                rc = fail(key, k, msg, len, "must be an object {\"ACCESS_KEY_ID\": \"secret\"}");
                break;
            }
            for (size_t i = 0; c->access_keys && c->access_keys[i]; i++)
                hub_free(c->access_keys[i]);
            hub_free(c->access_keys);
            c->access_keys = NULL;
            c->naccess_keys = 0;
            size_t n = json_object_size(m), i = 0;
            if (n == 0) continue;
            if (!(c->access_keys = hub_calloc(2 * n + 1, sizeof(char *)))) {
                rc = HUB_ENOMEM;
                break;
            }
            json_object_foreach(m, id, sec)
            {
                if (!key_chars_valid(id, strlen(id)) || !json_is_string(sec) ||
                    json_string_length(sec) == 0 ||
                    strlen(json_string_value(sec)) != json_string_length(sec)) {
                    rc = fail(key, k, msg, len,
                              "\"%.40s\": an access key id (printable ASCII, no '/') must map "
                              "to a non-empty secret string",
                              id);
                    break;
                }
                if (!(c->access_keys[i++] = hub_strdup(id)) ||
                    !(c->access_keys[i++] = hub_strdup(json_string_value(sec)))) {
                    rc = HUB_ENOMEM;
                    break;
                }
                c->naccess_keys++;
            }
            if (rc) break;
        } else if (strcmp(k, "port") == 0) {
            if (json_is_null(m)) {
                c->port = -1;
            } else if (!json_is_integer(m) || json_integer_value(m) < 0 ||
                       json_integer_value(m) > 65535) {
                rc = fail(key, k, msg, len,
                          "must be a port number 0-65535 (0: any free port) or null (the hub's "
                          "own listener)");
                break;
            } else {
                c->port = (int)json_integer_value(m);
            }
        } else {
            rc = fail(key, k, msg, len, "unknown key");
            break;
        }
        if (rc) break;
    }
    if (rc) {
        hub_aws_config_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

static int dup(char **dst, const char *src)
{
    *dst = src ? hub_strdup(src) : NULL;
    return src && !*dst;
}

struct hub_aws_config *hub_aws_config_copy(const struct hub_aws_config *c, int *failed)
{
    *failed = 0;
    if (!c) return NULL;
    struct hub_aws_config *d = hub_calloc(1, sizeof *d);
    if (!d) goto nomem;
    d->enabled = c->enabled;
    d->port = c->port;
    if (dup(&d->account, c->account) || dup(&d->region, c->region) ||
        dup(&d->advertised_url, c->advertised_url))
        goto nomem;
    if (c->access_keys) {
        if (!(d->access_keys = hub_calloc(2 * c->naccess_keys + 1, sizeof(char *)))) goto nomem;
        for (size_t i = 0; i < 2 * c->naccess_keys; i++)
            if (dup(&d->access_keys[i], c->access_keys[i])) goto nomem;
        d->naccess_keys = c->naccess_keys;
    }
    return d;
nomem:
    hub_aws_config_free(d);
    *failed = 1;
    return NULL;
}

int hub_aws_config_check(const struct hub_aws_config *c, const char *bus_region,
                         const char *bus_account, const char **key, char *msg, size_t len)
{
    *key = NULL;
    if (!c) return 0;
    if (c->account && bus_account && strcmp(c->account, bus_account) != 0)
        return fail(key, "accountId", msg, len, "\"%s\" differs from bus.account \"%s\"",
                    c->account, bus_account);
    if (c->region && bus_region && strcmp(c->region, bus_region) != 0)
        return fail(key, "region", msg, len, "\"%s\" differs from bus.region \"%s\"", c->region,
                    bus_region);
    return 0;
}

const char *hub_aws_config_account(const struct hub_aws_config *c, const char *bus_account)
{
    return bus_account ? bus_account : c && c->account ? c->account : DEFAULT_ACCOUNT;
}

const char *hub_aws_config_region(const struct hub_aws_config *c, const char *bus_region)
{
    return bus_region ? bus_region : c && c->region ? c->region : DEFAULT_REGION;
}
