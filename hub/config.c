/* config.c - see config.h.
 *
 * Every key the file may hold is one row of a key table; a row names the key, the function that
 * checks and stores its value, where in the struct it goes and, for numbers, the range. Adding a
 * key is adding a field to struct hub_config, a default in hub_config_init() and one row here (and,
 * for a key that owns memory, a line in config_free()/config_copy()).
 *
 * A file is applied to a copy of the config and the copy replaces it only when the whole file was
 * good, so a failed load leaves the caller's config as it was.
 *
 * jansson gives positions for syntax errors but none for the keys of a parsed value, so when a key
 * is wrong the file text is read again and walked (it is valid JSON by then) to find the line of
 * that key. */
#include "config.h"

#include "hub_alloc.h"
#include "hub_err.h"
#include "bus_config.h"
#include "aws_config.h"
#include "admin_config.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MS_PER_DAY 86400000LL
/* The largest value a size_t key may take: a json_int_t is a long long. */
#define SIZE_KEY_MAX ((unsigned long long)SIZE_MAX < (unsigned long long)LLONG_MAX \
                          ? (long long)SIZE_MAX : LLONG_MAX)
#define MAX_PATH_DEPTH 16

static const char *const log_level_names[] = {
    [HUB_LOG_ERROR] = "error",
    [HUB_LOG_WARN] = "warn",
    [HUB_LOG_INFO] = "info",
    [HUB_LOG_DEBUG] = "debug",
};

static const char *const app_names[] = {
    [HUB_APP_NONE] = "none",
    [HUB_APP_ECHO] = "echo",
    [HUB_APP_RELAY] = "relay",
    [HUB_APP_CLUSTER] = "cluster",
};

/* ---- the state of one load: where we are in the file, for error messages ---- */

struct path_part {
    const char *key; /* borrowed from the JSON value; NULL for an array element */
    size_t index;
};

struct load {
    const char *file;
    char *err;
    size_t errlen;
    struct path_part path[MAX_PATH_DEPTH];
    size_t depth;
};

struct key_def;
typedef int (*key_apply_fn)(struct load *ld, const struct key_def *def, json_t *value, void *base);

struct key_def {
    const char *name;
    key_apply_fn apply;
    size_t offset; /* of the field in the struct the table describes */
    long long min, max;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The tables nest at most a few levels, so the path never outgrows MAX_PATH_DEPTH; were it to, the
 * deeper parts would just be left out of messages. */
static void path_push_key(struct load *ld, const char *key)
{
    if (ld->depth < MAX_PATH_DEPTH) {
        ld->path[ld->depth].key = key;
        ld->path[ld->depth].index = 0;
    }
    ld->depth++;
}

static void path_push_index(struct load *ld, size_t index)
{
    if (ld->depth < MAX_PATH_DEPTH) {
        ld->path[ld->depth].key = NULL;
        ld->path[ld->depth].index = index;
    }
    ld->depth++;
}

static void path_pop(struct load *ld)
{
    ld->depth--;
}

static void path_format(const struct load *ld, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < ld->depth && i < MAX_PATH_DEPTH && n < len; i++) {
        int m;
        if (ld->path[i].key)
            m = snprintf(buf + n, len - n, "%s%s", i ? "." : "", ld->path[i].key);
        else
            m = snprintf(buf + n, len - n, "[%zu]", ld->path[i].index);
        if (m < 0)
            break;
        n += (size_t)m;
    }
}

/* Reads the whole file into a new NUL-terminated buffer, or returns NULL. */
static char *read_text(const char *file, size_t *len)
{
    FILE *f = fopen(file, "rb");
    char *buf = NULL, *bigger;
    size_t cap = 0, n = 0, got;

    if (!f)
        return NULL;
    do {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            bigger = hub_realloc(buf, cap);
            if (!bigger) {
                hub_free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    if (ferror(f)) {
        hub_free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* ---- finding the line of a key path in valid JSON text ---- */

#define SCAN_STACK 64

struct scan_level {
    char type;       /* '{' or '[' */
    char on_path;    /* this container is the value at path[0 .. level-1] */
    char expect_key; /* object: the next string is a key */
    size_t count;    /* array: index of the current element */
};

/* Returns the 1-based line where the last part of path stands in text (the key, or the array
 * element), or 0 when it cannot be found (for instance because the key is written with escapes). */
static int find_path_line(const char *text, size_t len, const struct path_part *path, size_t depth)
{
    struct scan_level st[SCAN_STACK];
    int line = 1, pending = 1; /* the top-level value is on the (empty) path prefix */
    size_t sp = 0, extra = 0; /* st[0 .. sp-1] are open; extra: containers too deep to track */

    if (depth == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        struct scan_level *top = sp && !extra ? &st[sp - 1] : NULL;

        if (c == '\n') {
            line++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == ':')
            continue;
        if (c == ',') {
            if (top && top->type == '{')
                top->expect_key = 1;
            else if (top)
                top->count++;
            continue;
        }
        if (c == '}' || c == ']') {
            if (extra)
                extra--;
            else if (sp)
                sp--;
            continue;
        }
        if (top && top->type == '{' && top->expect_key && c == '"') {
            size_t start = ++i, level = sp - 1;
            while (i < len && text[i] != '"')
                i += text[i] == '\\' ? 2 : 1;
            top->expect_key = 0;
            pending = 0;
            if (top->on_path && level < depth && path[level].key &&
                strlen(path[level].key) == i - start &&
                memcmp(text + start, path[level].key, i - start) == 0) {
                if (level + 1 == depth)
                    return line;
                pending = 1;
            }
            continue;
        }
        /* The start of a value. */
        if (top && top->type == '[') {
            size_t level = sp - 1;
            pending = 0;
            if (top->on_path && level < depth && !path[level].key &&
                path[level].index == top->count) {
                if (level + 1 == depth)
                    return line;
                pending = 1;
            }
        }
        if (c == '{' || c == '[') {
            if (extra || sp == SCAN_STACK) {
                extra++;
            } else {
                st[sp].type = c;
                st[sp].on_path = (char)pending;
                st[sp].expect_key = c == '{';
                st[sp].count = 0;
                sp++;
            }
        } else if (c == '"') {
            i++;
            while (i < len && text[i] != '"')
                i += text[i] == '\\' ? 2 : 1;
        } else {
            while (i + 1 < len && !strchr(",}] \t\r\n", text[i + 1]))
                i++;
        }
        pending = 0;
    }
    return 0;
}

/* Writes "file:line: key.path: message" (the line when it can be found) and returns code. */
static int key_err(struct load *ld, int code, const char *fmt, ...)
{
    char path[256], msg[256];
    char *text;
    size_t len = 0;
    int line = 0;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    path_format(ld, path, sizeof(path));
    text = read_text(ld->file, &len);
    if (text) {
        line = find_path_line(text, len, ld->path,
                              ld->depth < MAX_PATH_DEPTH ? ld->depth : MAX_PATH_DEPTH);
        hub_free(text);
    }
    if (line > 0)
        set_err(ld->err, ld->errlen, "%s:%d: %s: %s", ld->file, line, path, msg);
    else
        set_err(ld->err, ld->errlen, "%s: %s: %s", ld->file, path, msg);
    return code;
}

static int nomem(struct load *ld)
{
    set_err(ld->err, ld->errlen, "%s: out of memory", ld->file);
    return HUB_ENOMEM;
}

/* ---- checking and storing values ---- */

#define FIELD(base, def, type) ((type *)((char *)(base) + (def)->offset))

static int get_integer(struct load *ld, const struct key_def *def, json_t *value, long long *out)
{
    if (!json_is_integer(value))
        return key_err(ld, HUB_EINVAL, "must be an integer from %lld to %lld", def->min, def->max);
    *out = (long long)json_integer_value(value);
    if (*out < def->min || *out > def->max)
        return key_err(ld, HUB_EINVAL, "%lld is out of range (%lld to %lld)", *out, def->min,
                       def->max);
    return 0;
}

static int apply_int(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    long long v = 0;
    int rc = get_integer(ld, def, value, &v);

    if (rc == 0)
        *FIELD(base, def, int) = (int)v;
    return rc;
}

static int apply_size(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    long long v = 0;
    int rc = get_integer(ld, def, value, &v);

    if (rc == 0)
        *FIELD(base, def, size_t) = (size_t)v;
    return rc;
}

static int apply_bool(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    if (!json_is_boolean(value))
        return key_err(ld, HUB_EINVAL, "must be true or false");
    *FIELD(base, def, int) = json_is_true(value);
    return 0;
}

/* Engine.IO v3 (Socket.IO v2 clients) is not implemented: say so rather than ignore the key. */
/* A string without NUL bytes; the empty string is refused. Returns a borrowed pointer. */
static int get_string(struct load *ld, json_t *value, const char **out)
{
    if (!json_is_string(value))
        return key_err(ld, HUB_EINVAL, "must be a string");
    *out = json_string_value(value);
    if (strlen(*out) != json_string_length(value))
        return key_err(ld, HUB_EINVAL, "must not contain NUL characters");
    if (**out == '\0')
        return key_err(ld, HUB_EINVAL, "must not be empty");
    return 0;
}

static int apply_string(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    const char *s = NULL;
    char *copy, **field = FIELD(base, def, char *);
    int rc = get_string(ld, value, &s);

    if (rc)
        return rc;
    copy = hub_strdup(s);
    if (!copy)
        return nomem(ld);
    hub_free(*field);
    *field = copy;
    return 0;
}

/* A URL path: starts with '/', gets a trailing '/' added when missing. */
static int apply_url_path(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    const char *s;
    char *copy, **field = FIELD(base, def, char *);
    size_t len;
    int rc = get_string(ld, value, &s);

    if (rc)
        return rc;
    if (s[0] != '/')
        return key_err(ld, HUB_EINVAL, "must start with '/'");
    len = strlen(s);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == '?' || s[i] == '#' || s[i] == 0x7f)
            return key_err(ld, HUB_EINVAL, "must be a plain URL path (no spaces, '?' or '#')");
    copy = hub_malloc(len + 2);
    if (!copy)
        return nomem(ld);
    memcpy(copy, s, len);
    if (s[len - 1] != '/')
        copy[len++] = '/';
    copy[len] = '\0';
    hub_free(*field);
    *field = copy;
    return 0;
}

/* A URL path, or null for "off". */
static int apply_opt_url_path(struct load *ld, const struct key_def *def, json_t *value,
                              void *base)
{
    char **field = FIELD(base, def, char *);

    if (json_is_null(value)) {
        hub_free(*field);
        *field = NULL;
        return 0;
    }
    return apply_url_path(ld, def, value, base);
}

/* A string naming one of names[0 .. n-1]; stores its index as an int-sized enum. */
static int get_choice(struct load *ld, json_t *value, const char *const *names, size_t n, int *out)
{
    char choices[128];
    size_t len = 0;

    if (json_is_string(value)) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(json_string_value(value), names[i]) == 0) {
                *out = (int)i;
                return 0;
            }
        }
    }
    choices[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof(choices); i++) {
        int m = snprintf(choices + len, sizeof(choices) - len, "%s\"%s\"", i ? ", " : "",
                         names[i]);
        if (m < 0)
            break;
        len += (size_t)m;
    }
    return key_err(ld, HUB_EINVAL, "must be one of %s", choices);
}

static int apply_log_level(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    int v = 0;
    int rc = get_choice(ld, value, log_level_names, sizeof(log_level_names) / sizeof(char *), &v);

    if (rc == 0)
        *FIELD(base, def, enum hub_log_level) = (enum hub_log_level)v;
    return rc;
}

static int apply_app(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    int v = 0;
    int rc = get_choice(ld, value, app_names, sizeof(app_names) / sizeof(char *), &v);

    if (rc == 0)
        *FIELD(base, def, enum hub_app) = (enum hub_app)v;
    return rc;
}

/* Applies every member of an object through a key table; an unknown member is an error. */
static int apply_object(struct load *ld, const struct key_def *table, size_t n, json_t *obj,
                        void *base)
{
    const char *key;
    json_t *value;

    if (!json_is_object(obj))
        return key_err(ld, HUB_EINVAL, "must be an object");
    json_object_foreach(obj, key, value) {
        const struct key_def *def = NULL;
        int rc;

        for (size_t i = 0; i < n && !def; i++)
            if (strcmp(table[i].name, key) == 0)
                def = &table[i];
        path_push_key(ld, key);
        rc = def ? def->apply(ld, def, value, base) : key_err(ld, HUB_EINVAL, "unknown key");
        path_pop(ld);
        if (rc)
            return rc;
    }
    return 0;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void free_string_list(char **list)
{
    if (!list)
        return;
    for (char **p = list; *p; p++)
        hub_free(*p);
    hub_free(list);
}

/* An origin as a browser sends it: scheme://host[:port], nothing after. */
static int is_origin(const char *s)
{
    const char *p = s, *sep = strstr(s, "://");

    if (!sep || sep == s)
        return 0;
    for (; p < sep; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (p > s && ((*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))))
            return 0;
    p = sep + 3;
    if (*p == '\0')
        return 0;
    for (; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '/' || *p == '?' || *p == '#' || *p == 0x7f)
            return 0;
    return 1;
}

/* "origin": "*" | "https://a" | ["https://a", ...]. Stores into the hub_config's cors fields. */
static int apply_cors_origin(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    struct hub_config *cfg = base;
    json_t *one = json_is_string(value) ? value : NULL;
    size_t n = one ? 1 : json_array_size(value), k = 0;
    char **list;
    int any = 0;

    if (!one && !json_is_array(value))
        return key_err(ld, HUB_EINVAL, "must be \"*\", an origin or an array of origins");
    list = hub_calloc(n + 1, sizeof(char *));
    if (!list)
        return nomem(ld);
    for (size_t i = 0; i < n; i++) {
        json_t *item = one ? one : json_array_get(value, i);
        const char *s;
        int rc;

        if (!one)
            path_push_index(ld, i);
        rc = get_string(ld, item, &s);
        if (rc == 0 && strcmp(s, "*") != 0 && !is_origin(s))
            rc = key_err(ld, HUB_EINVAL,
                         "\"%s\" is not an origin (scheme://host[:port], no path)", s);
        if (!one)
            path_pop(ld);
        if (rc) {
            free_string_list(list);
            return rc;
        }
        if (strcmp(s, "*") == 0) {
            any = 1;
            continue;
        }
        list[k] = hub_strdup(s);
        if (!list[k]) {
            free_string_list(list);
            return nomem(ld);
        }
        k++;
    }
    free_string_list(cfg->cors_origins);
    cfg->cors_origins = NULL;
    if (k == 0)
        hub_free(list);
    else
        cfg->cors_origins = list;
    cfg->cors_any = any;
    return 0;
}

/* ---- redis:// URLs ---- */

/* Copies the percent-decoded text [s, s + n) into dst (size dstlen). Returns 0 or -1 (bad escape,
 * NUL, too long). */
static int url_decode(const char *s, size_t n, char *dst, size_t dstlen)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, k = 0;

    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            const char *hi, *lo;
            if (i + 2 >= n || !s[i + 1] || !s[i + 2] ||
                !(hi = strchr(hex, tolower((unsigned char)s[i + 1]))) ||
                !(lo = strchr(hex, tolower((unsigned char)s[i + 2]))))
                return -1;
            c = (int)((hi - hex) * 16 + (lo - hex));
            i += 2;
        }
        if (c == 0 || k + 1 >= dstlen) return -1;
        dst[k++] = (char)c;
    }
    dst[k] = '\0';
    return 0;
}

int hub_config_redis_url(const char *url, struct hub_redis_url *out, char *err, size_t errlen)
{
    static const char scheme[] = "redis://";
    const char *p, *at, *host, *end, *colon = NULL, *slash;
    size_t hlen;

    memset(out, 0, sizeof(*out));
    out->port = 6379;
    if (!url || strncmp(url, scheme, sizeof(scheme) - 1) != 0) {
        set_err(err, errlen, "must be a redis:// URL (redis://[[USER]:PASSWORD@]HOST[:PORT][/DB])");
        return HUB_EINVAL;
    }
    p = url + sizeof(scheme) - 1;
    slash = strchr(p, '/');
    end = slash ? slash : p + strlen(p);
    at = memrchr(p, '@', (size_t)(end - p));
    if (at) {
        const char *sep = memchr(p, ':', (size_t)(at - p));
        if (!sep || url_decode(p, (size_t)(sep - p), out->user, sizeof(out->user)) ||
            url_decode(sep + 1, (size_t)(at - sep - 1), out->password, sizeof(out->password))) {
            set_err(err, errlen, "the credentials must be USER:PASSWORD or :PASSWORD (%%-encoded)");
            return HUB_EINVAL;
        }
        p = at + 1;
    }
    host = p;
    if (*host == '[') {
        const char *close = memchr(host, ']', (size_t)(end - host));
        if (!close) {
            set_err(err, errlen, "an IPv6 host needs its closing ']'");
            return HUB_EINVAL;
        }
        hlen = (size_t)(close - host - 1);
        host++;
        if (close + 1 < end) {
            if (close[1] != ':') {
                set_err(err, errlen, "unexpected text after the host");
                return HUB_EINVAL;
            }
            colon = close + 1;
        }
    } else {
        colon = memchr(host, ':', (size_t)(end - host));
        hlen = (size_t)((colon ? colon : end) - host);
    }
    if (hlen == 0 || hlen >= sizeof(out->host)) {
        set_err(err, errlen, "the host is missing or too long");
        return HUB_EINVAL;
    }
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';
    for (size_t i = 0; i < hlen; i++) {
        if ((unsigned char)out->host[i] <= ' ' || strchr("/?#@%", out->host[i])) {
            set_err(err, errlen, "the host is not a name or an address");
            return HUB_EINVAL;
        }
    }
    if (colon) {
        char *stop;
        long v;
        errno = 0;
        v = colon[1] >= '0' && colon[1] <= '9' ? strtol(colon + 1, &stop, 10) : -1;
        if (v < 1 || v > 65535 || errno || stop != end) {
            set_err(err, errlen, "the port must be a number from 1 to 65535");
            return HUB_EINVAL;
        }
        out->port = (int)v;
    }
    if (slash && slash[1]) {
        char *stop;
        long v;
        errno = 0;
        v = slash[1] >= '0' && slash[1] <= '9' ? strtol(slash + 1, &stop, 10) : -1;
        if (v < 0 || v > 1000000 || errno || *stop) {
            set_err(err, errlen, "the database must be a number (redis://HOST:PORT/DB)");
            return HUB_EINVAL;
        }
        out->db = (int)v;
    }
    return 0;
}

/* "redis": a redis:// URL, or null for none. */
static int apply_redis_url(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    struct hub_redis_url url;
    char msg[200];

    if (json_is_null(value)) {
        hub_free(*FIELD(base, def, char *));
        *FIELD(base, def, char *) = NULL;
        return 0;
    }
    if (json_is_string(value) &&
        hub_config_redis_url(json_string_value(value), &url, msg, sizeof(msg)) != 0)
        return key_err(ld, HUB_EINVAL, "%s", msg);
    return apply_string(ld, def, value, base);
}

/* "redisKey": a channel prefix; glob characters would change the subscription patterns. */
static int apply_redis_key(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    if (json_is_string(value) && strpbrk(json_string_value(value), "*?[]\\"))
        return key_err(ld, HUB_EINVAL, "must not contain *, ?, [, ] or \\");
    return apply_string(ld, def, value, base);
}

#define CFG(field) offsetof(struct hub_config, field)

static const struct key_def cors_keys[] = {
    {"origin", apply_cors_origin, 0, 0, 0},
    {"credentials", apply_bool, CFG(cors_credentials), 0, 0},
};

/* "cors": a cors object, or the shorthand: an origin value alone. Replaces earlier cors
 * settings. */
static int apply_cors(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    struct hub_config *cfg = base;

    free_string_list(cfg->cors_origins);
    cfg->cors_origins = NULL;
    cfg->cors_any = 0;
    cfg->cors_credentials = 0;
    if (!json_is_object(value))
        return apply_cors_origin(ld, def, value, base);
    return apply_object(ld, cors_keys, NELEM(cors_keys), value, base);
}

static const struct key_def nsp_keys[] = {
    {"app", apply_app, offsetof(struct hub_nsp_config, app), 0, 0},
    {"bus", apply_bool, offsetof(struct hub_nsp_config, bus), 0, 0},
};

static void free_namespaces(struct hub_nsp_config *nsps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hub_free(nsps[i].name);
    hub_free(nsps);
}

/* "namespaces": {"/name": {"app": ...}, ...}. Replaces earlier namespaces. A namespace that names
 * no app gets HUB_APP_NONE. */
static int apply_namespaces(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    struct hub_config *cfg = base;
    struct hub_nsp_config *nsps;
    const char *name;
    json_t *item;
    size_t n = 0;

    if (!json_is_object(value))
        return key_err(ld, HUB_EINVAL, "must be an object of \"/name\": {\"app\": ...}");
    nsps = hub_calloc(json_object_size(value) + 1, sizeof(*nsps));
    if (!nsps)
        return nomem(ld);
    json_object_foreach(value, name, item) {
        int rc;

        path_push_key(ld, name);
        if (name[0] != '/')
            rc = key_err(ld, HUB_EINVAL, "a namespace name must start with '/'");
        else if (!(nsps[n].name = hub_strdup(name)))
            rc = nomem(ld);
        else
            rc = apply_object(ld, nsp_keys, NELEM(nsp_keys), item, &nsps[n++]);
        path_pop(ld);
        if (rc) {
            free_namespaces(nsps, n);
            return rc;
        }
    }
    free_namespaces(cfg->namespaces, cfg->nnamespaces);
    cfg->namespaces = nsps;
    cfg->nnamespaces = n;
    cfg->has_namespaces = 1;
    return 0;
}

/* "bus", "queues", "topics", "bridges": kept whole, parsed by bus_finish() (bus_config.h). */
static int apply_bus_key(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    struct hub_config *cfg = base;

    return hub_bus_config_set(&cfg->bus, def->name, value) ? nomem(ld) : 0;
}

/* "aws": the SQS/SNS wire APIs (aws_config.h). Replaces an earlier "aws". */
static int apply_aws(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    struct hub_config *cfg = base;
    struct hub_aws_config *c = NULL;
    const char *key;
    char msg[200];
    int rc = hub_aws_config_parse(value, &c, &key, msg, sizeof msg);

    if (rc == HUB_ENOMEM)
        return nomem(ld);
    if (rc) {
        if (key)
            path_push_key(ld, key);
        rc = key_err(ld, rc, "%s", msg);
        if (key)
            path_pop(ld);
        return rc;
    }
    hub_aws_config_free(cfg->aws);
    cfg->aws = c;
    return 0;
}

/* "admin" and "dashboard": the Admin UI and the dashboard (admin_config.h), one struct. */
static int apply_admin(struct load *ld, const struct key_def *def, json_t *value, void *base)
{
    struct hub_config *cfg = base;
    const char *key;
    char msg[200];
    int rc = hub_admin_config_parse(value, strcmp(def->name, "dashboard") == 0, &cfg->admin, &key,
                                    msg, sizeof msg);

    if (rc == HUB_ENOMEM)
        return nomem(ld);
    if (rc) {
        if (key)
            path_push_key(ld, key);
        rc = key_err(ld, rc, "%s", msg);
        if (key)
            path_pop(ld);
    }
    return rc;
}

static int admin_finish(struct load *ld, struct hub_config *cfg)
{
    const char *key;
    char msg[200];
    int rc = hub_admin_config_check(cfg->admin, &key, msg, sizeof msg);

    if (rc) {
        path_push_key(ld, "admin");
        path_push_key(ld, key);
        rc = key_err(ld, rc, "%s", msg);
        ld->depth -= 2;
    }
    return rc;
}

/* "aws" and "bus" both name the account and region: they must agree. */
static int aws_finish(struct load *ld, struct hub_config *cfg)
{
    const char *key;
    char msg[200];
    int rc = hub_aws_config_check(cfg->aws, cfg->bus ? cfg->bus->region : NULL,
                                  cfg->bus ? cfg->bus->account : NULL, &key, msg, sizeof msg);

    if (rc) {
        path_push_key(ld, "aws");
        path_push_key(ld, key);
        rc = key_err(ld, rc, "%s", msg);
        ld->depth -= 2;
    }
    return rc;
}

/* Parses the bus's keys once the whole file is read (they refer to each other and to namespaces);
 * an error names the key path below the bus key it is in. */
static int bus_finish(struct load *ld, struct hub_config *cfg)
{
    struct hub_bus_error e;
    size_t depth = ld->depth;
    int rc = hub_bus_config_finish(&cfg->bus, cfg, &e);

    if (rc == HUB_ENOMEM)
        return nomem(ld);
    if (rc) {
        for (size_t i = 0; i < e.depth; i++) {
            if (e.path[i].key)
                path_push_key(ld, e.path[i].key);
            else
                path_push_index(ld, e.path[i].index);
        }
        rc = key_err(ld, rc, "%s", e.msg);
        ld->depth = depth;
    }
    return rc;
}

/* The keys of the config file. One row per key. */
static const struct key_def top_keys[] = {
    {"port", apply_int, CFG(port), 0, 65535},
    {"host", apply_string, CFG(host), 0, 0},
    {"path", apply_url_path, CFG(path), 0, 0},
    {"pingInterval", apply_int, CFG(ping_interval_ms), 1, MS_PER_DAY},
    {"pingTimeout", apply_int, CFG(ping_timeout_ms), 1, MS_PER_DAY},
    {"connectTimeout", apply_int, CFG(connect_timeout_ms), 1, MS_PER_DAY},
    {"upgradeTimeout", apply_int, CFG(upgrade_timeout_ms), 1, MS_PER_DAY},
    {"maxPayload", apply_size, CFG(max_payload), 1, SIZE_KEY_MAX},
    {"maxBufferedBytes", apply_size, CFG(max_buffered_bytes), 1, SIZE_KEY_MAX},
    {"maxRoomsPerSocket", apply_size, CFG(max_rooms_per_socket), 1, SIZE_KEY_MAX},
    {"maxAttachments", apply_size, CFG(max_attachments), 0, SIZE_KEY_MAX},
    {"allowEIO3", apply_bool, CFG(allow_eio3), 0, 0},
    {"engineEchoPath", apply_opt_url_path, CFG(engine_echo_path), 0, 0},
    {"cors", apply_cors, 0, 0, 0},
    {"logLevel", apply_log_level, CFG(log_level), 0, 0},
    {"namespaces", apply_namespaces, 0, 0, 0},
    {"redis", apply_redis_url, CFG(redis), 0, 0},
    {"redisKey", apply_redis_key, CFG(redis_key), 0, 0},
    {"redisRequestsTimeout", apply_int, CFG(redis_requests_timeout_ms), 1, MS_PER_DAY},
    {"webRoot", apply_string, CFG(web_root), 0, 0},
    {"clientBundleDir", apply_string, CFG(client_bundle_dir), 0, 0},
    {"serveClient", apply_bool, CFG(serve_client), 0, 0},
    {"bus", apply_bus_key, 0, 0, 0},
    {"queues", apply_bus_key, 0, 0, 0},
    {"topics", apply_bus_key, 0, 0, 0},
    {"bridges", apply_bus_key, 0, 0, 0},
    {"aws", apply_aws, 0, 0, 0},
    {"admin", apply_admin, 0, 0, 0},
    {"dashboard", apply_admin, 0, 0, 0},
};

/* ---- the config's lifetime ---- */

static void config_free(struct hub_config *cfg)
{
    hub_free(cfg->host);
    hub_free(cfg->path);
    hub_free(cfg->engine_echo_path);
    free_string_list(cfg->cors_origins);
    free_namespaces(cfg->namespaces, cfg->nnamespaces);
    hub_free(cfg->web_root);
    hub_free(cfg->client_bundle_dir);
    hub_free(cfg->config_file);
    hub_free(cfg->redis);
    hub_free(cfg->redis_key);
    hub_bus_config_unref(cfg->bus);
    hub_aws_config_free(cfg->aws);
    hub_admin_config_free(cfg->admin);
    memset(cfg, 0, sizeof(*cfg));
}

static int dup_field(char **dst, const char *src)
{
    *dst = src ? hub_strdup(src) : NULL;
    return src && !*dst ? HUB_ENOMEM : 0;
}

/* Makes dst a deep copy of src. On failure dst owns what was copied so far (free it). */
static int config_copy(struct hub_config *dst, const struct hub_config *src)
{
    *dst = *src;
    dst->host = dst->path = dst->engine_echo_path = dst->config_file = NULL;
    dst->web_root = dst->client_bundle_dir = NULL;
    dst->redis = dst->redis_key = NULL;
    dst->cors_origins = NULL;
    dst->namespaces = NULL;
    dst->nnamespaces = 0;
    hub_bus_config_ref(dst->bus); /* shared; changed only through copies (bus_config.h) */
    int aws_failed;
    dst->aws = hub_aws_config_copy(src->aws, &aws_failed); /* NULL on failure: never shared */
    if (aws_failed)
        return HUB_ENOMEM;
    dst->admin = hub_admin_config_copy(src->admin, &aws_failed);
    if (aws_failed)
        return HUB_ENOMEM;
    if (dup_field(&dst->host, src->host) || dup_field(&dst->path, src->path) ||
        dup_field(&dst->engine_echo_path, src->engine_echo_path) ||
        dup_field(&dst->config_file, src->config_file) ||
        dup_field(&dst->web_root, src->web_root) ||
        dup_field(&dst->client_bundle_dir, src->client_bundle_dir))
        return HUB_ENOMEM;
    if (dup_field(&dst->redis, src->redis) || dup_field(&dst->redis_key, src->redis_key))
        return HUB_ENOMEM;
    if (src->cors_origins) {
        size_t n = 0;
        while (src->cors_origins[n])
            n++;
        if (!(dst->cors_origins = hub_calloc(n + 1, sizeof(char *))))
            return HUB_ENOMEM;
        for (size_t i = 0; i < n; i++)
            if (dup_field(&dst->cors_origins[i], src->cors_origins[i]))
                return HUB_ENOMEM;
    }
    if (src->namespaces) {
        if (!(dst->namespaces = hub_calloc(src->nnamespaces + 1, sizeof(*dst->namespaces))))
            return HUB_ENOMEM;
        for (size_t i = 0; i < src->nnamespaces; i++) {
            dst->namespaces[i] = src->namespaces[i];
            dst->namespaces[i].name = NULL;
            dst->nnamespaces = i + 1;
            if (dup_field(&dst->namespaces[i].name, src->namespaces[i].name))
                return HUB_ENOMEM;
        }
    }
    return 0;
}

/* A default directory: <exe dir>/HUB_SHARE_REL/<installed> when the running program is an installed
 * one (that share dir holds web/), else the build-time build_default. Returns a new string. */
char *hub_config_default_dir(const char *installed, const char *build_default)
{
    char exe[PATH_MAX], dir[PATH_MAX + 128], *slash;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    struct stat st;

    if (n > 0) {
        exe[n] = '\0';
        if ((slash = strrchr(exe, '/')))
            *slash = '\0';
        snprintf(dir, sizeof(dir), "%s/%s/web", exe, HUB_SHARE_REL);
        if (slash && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
            snprintf(dir, sizeof(dir), "%s/%s/%s", exe, HUB_SHARE_REL, installed);
            return hub_strdup(dir);
        }
    }
    return hub_strdup(build_default);
}

int hub_config_init(struct hub_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->port = 3000;
    cfg->ping_interval_ms = 25000;
    cfg->ping_timeout_ms = 20000;
    cfg->connect_timeout_ms = 45000;
    cfg->upgrade_timeout_ms = 10000;
    cfg->max_payload = 1000000;
    cfg->max_buffered_bytes = 8u << 20;
    cfg->max_rooms_per_socket = 1000;
    cfg->max_attachments = 256;
    cfg->log_level = HUB_LOG_INFO;
    cfg->redis_requests_timeout_ms = 5000;
    cfg->redis_key = hub_strdup("socket.io");
    cfg->host = hub_strdup("0.0.0.0");
    cfg->path = hub_strdup("/socket.io/");
    cfg->serve_client = 1;
    cfg->web_root = hub_config_default_dir("web", HUB_WEB_ROOT);
    cfg->client_bundle_dir = hub_config_default_dir("socket.io-client/dist", HUB_CLIENT_DIR);
    if (!cfg->redis_key || !cfg->host || !cfg->path || !cfg->web_root || !cfg->client_bundle_dir) {
        config_free(cfg);
        return HUB_ENOMEM;
    }
    return 0;
}

void hub_config_free(struct hub_config *cfg)
{
    config_free(cfg);
}

int hub_config_load(struct hub_config *cfg, const char *file, char *err, size_t errlen)
{
    struct load ld = {.file = file, .err = err, .errlen = errlen};
    struct hub_config next;
    json_error_t jerr;
    struct stat sb;
    json_t *root;
    int rc;

    if (stat(file, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        set_err(err, errlen, "%s: cannot read the config file: %s", file, strerror(EISDIR));
        return HUB_EIO;
    }
    errno = 0;
    root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        int saved_errno = errno;
        switch (json_error_code(&jerr)) {
        case json_error_cannot_open_file:
            set_err(err, errlen, "%s: cannot read the config file: %s", file,
                    strerror(saved_errno ? saved_errno : EIO));
            return HUB_EIO;
        case json_error_out_of_memory:
            return nomem(&ld);
        default:
            if (jerr.line > 0)
                set_err(err, errlen, "%s:%d:%d: invalid JSON: %s", file, jerr.line, jerr.column,
                        jerr.text);
            else
                set_err(err, errlen, "%s: invalid JSON: %s", file, jerr.text);
            return HUB_EPARSE;
        }
    }
    if (!json_is_object(root)) {
        json_decref(root);
        set_err(err, errlen, "%s: the config must be a JSON object", file);
        return HUB_EINVAL;
    }
    rc = config_copy(&next, cfg);
    if (rc == 0)
        rc = apply_object(&ld, top_keys, NELEM(top_keys), root, &next);
    else
        nomem(&ld);
    if (rc == 0)
        rc = bus_finish(&ld, &next);
    if (rc == 0)
        rc = aws_finish(&ld, &next);
    if (rc == 0)
        rc = admin_finish(&ld, &next);
    json_decref(root);
    if (rc == 0) {
        hub_free(next.config_file);
        if (!(next.config_file = hub_strdup(file)))
            rc = nomem(&ld);
    }
    if (rc) {
        config_free(&next);
        return rc;
    }
    config_free(cfg);
    *cfg = next;
    return 0;
}

/* ---- command-line flags ---- */

enum flag_id { FLAG_HELP, FLAG_VERSION, FLAG_PORT, FLAG_HOST, FLAG_CONFIG, FLAG_LOG_LEVEL, FLAG_REDIS };

struct flag_def {
    const char *name;
    enum flag_id id;
    const char *arg; /* the value's name in --help, or NULL for a flag without a value */
    const char *help;
};

static const struct flag_def flags[] = {
    {"help", FLAG_HELP, NULL, "print this help and exit"},
    {"version", FLAG_VERSION, NULL, "print the version and exit"},
    {"port", FLAG_PORT, "N", "listen on port N (0-65535, 0 picks a free port; default 3000)"},
    {"host", FLAG_HOST, "ADDR", "listen on address ADDR (default 0.0.0.0)"},
    {"config", FLAG_CONFIG, "FILE", "load the JSON config FILE first; other flags override it"},
    {"log-level", FLAG_LOG_LEVEL, "LEVEL", "error, warn, info (default) or debug"},
    {"redis", FLAG_REDIS, "URL", "join the cluster on redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]"},
};

static void print_help(const char *prog)
{
    printf("Usage: %s [options]\n\nHubbub %s, a Socket.IO v5 / Engine.IO v4 server.\n\nOptions:\n",
           prog, HUB_VERSION);
    for (size_t i = 0; i < NELEM(flags); i++) {
        char left[32];
        snprintf(left, sizeof(left), "--%s%s%s", flags[i].name, flags[i].arg ? " " : "",
                 flags[i].arg ? flags[i].arg : "");
        printf("  %-20s %s\n", left, flags[i].help);
    }
    printf("\nConfig file keys (JSON object):\n ");
    for (size_t i = 0, col = 1; i < NELEM(top_keys); i++) {
        size_t w = strlen(top_keys[i].name) + 2;
        if (col + w > 78) {
            printf("\n ");
            col = 1;
        }
        printf(" %s%s", top_keys[i].name, i + 1 < NELEM(top_keys) ? "," : "\n");
        col += w;
    }
}

static int parse_port(const char *s, int *out)
{
    char *end;
    long v;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > 65535)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_log_level(const char *s, enum hub_log_level *out)
{
    for (size_t i = 0; i < NELEM(log_level_names); i++) {
        if (strcmp(s, log_level_names[i]) == 0) {
            *out = (enum hub_log_level)i;
            return 0;
        }
    }
    return -1;
}

int hub_config_parse_args(struct hub_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    const char *prog = argc > 0 && argv[0] ? argv[0] : "hubbub";
    const char *host = NULL, *config = NULL, *redis = NULL;
    int help = 0, version = 0, port = -1, has_level = 0;
    enum hub_log_level level = HUB_LOG_INFO;

    /* First check every flag, so nothing is applied when one is wrong. */
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *eq, *value = NULL;
        const struct flag_def *def = NULL;
        size_t len;

        if (strcmp(arg, "-h") == 0)
            arg = "--help";
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            set_err(err, errlen, "unexpected argument '%s' (see --help)", arg);
            return HUB_EINVAL;
        }
        eq = strchr(arg + 2, '=');
        len = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
        for (size_t k = 0; k < NELEM(flags) && !def; k++)
            if (strlen(flags[k].name) == len && strncmp(flags[k].name, arg + 2, len) == 0)
                def = &flags[k];
        if (!def) {
            set_err(err, errlen, "unknown flag '%.*s' (see --help)", (int)(len + 2), arg);
            return HUB_EINVAL;
        }
        if (!def->arg && eq) {
            set_err(err, errlen, "--%s takes no value", def->name);
            return HUB_EINVAL;
        }
        if (def->arg) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else {
                set_err(err, errlen, "--%s needs a value (%s)", def->name, def->arg);
                return HUB_EINVAL;
            }
        }
        switch (def->id) {
        case FLAG_HELP:
            help = 1;
            break;
        case FLAG_VERSION:
            version = 1;
            break;
        case FLAG_PORT:
            if (parse_port(value, &port) != 0) {
                set_err(err, errlen, "--port: '%s' is not a port number (0-65535)", value);
                return HUB_EINVAL;
            }
            break;
        case FLAG_HOST:
            if (*value == '\0') {
                set_err(err, errlen, "--host: the address must not be empty");
                return HUB_EINVAL;
            }
            host = value;
            break;
        case FLAG_CONFIG:
            if (*value == '\0') {
                set_err(err, errlen, "--config: the file name must not be empty");
                return HUB_EINVAL;
            }
            config = value;
            break;
        case FLAG_REDIS: {
            struct hub_redis_url url;
            char msg[200];
            if (hub_config_redis_url(value, &url, msg, sizeof(msg)) != 0) {
                set_err(err, errlen, "--redis: '%s' %s", value, msg);
                return HUB_EINVAL;
            }
            redis = value;
            break;
        }
        case FLAG_LOG_LEVEL:
            if (parse_log_level(value, &level) != 0) {
                set_err(err, errlen, "--log-level: '%s' is not one of error, warn, info, debug",
                        value);
                return HUB_EINVAL;
            }
            has_level = 1;
            break;
        }
    }

    if (help) {
        print_help(prog);
        return 1;
    }
    if (version) {
        printf("hubbub %s\n", HUB_VERSION);
        return 1;
    }
    if (config) {
        int rc = hub_config_load(cfg, config, err, errlen);
        if (rc)
            return rc;
    }
    if (host) {
        char *copy = hub_strdup(host);
        if (!copy) {
            set_err(err, errlen, "out of memory");
            return HUB_ENOMEM;
        }
        hub_free(cfg->host);
        cfg->host = copy;
    }
    if (redis) {
        char *copy = hub_strdup(redis);
        if (!copy) {
            set_err(err, errlen, "out of memory");
            return HUB_ENOMEM;
        }
        hub_free(cfg->redis);
        cfg->redis = copy;
    }
    if (port >= 0)
        cfg->port = port;
    if (has_level)
        cfg->log_level = level;
    return 0;
}

const struct hub_nsp_config *hub_config_nsp(const struct hub_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nnamespaces; i++)
        if (strcmp(cfg->namespaces[i].name, name) == 0)
            return &cfg->namespaces[i];
    return NULL;
}

int hub_config_origin_allowed(const struct hub_config *cfg, const char *origin)
{
    if (cfg->cors_any)
        return 1;
    for (char **o = cfg->cors_origins; o && *o; o++)
        if (strcmp(*o, origin) == 0)
            return 1;
    return 0;
}
