/* config.h - the hub's configuration: defaults, the JSON config file and command-line flags.
 *
 * hub_config_load() reads a JSON file into a hub_config; hub_config_parse_args() applies flags on top
 * (flags override the file). Every key is known: an unknown key, a wrong type or an out-of-range value is
 * an error that names the file, the key path (e.g. "namespaces./chat.app") and the line where known. */
#ifndef HUB_CONFIG_H
#define HUB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum hub_app {
    HUB_APP_NONE = 0, /* no built-in behaviour: C code registers handlers */
    HUB_APP_ECHO,
    HUB_APP_RELAY,
    HUB_APP_CLUSTER, /* relay plus the cluster operations on request (apps.h) */
};

enum hub_log_level { HUB_LOG_ERROR = 0, HUB_LOG_WARN, HUB_LOG_INFO, HUB_LOG_DEBUG };

struct hub_nsp_config {
    char *name;          /* "/chat" */
    enum hub_app app;    /* "app", default "none" */
    int bus;             /* "bus": true lets its sockets use the event bus (bus_socket.h) */
};

struct hub_bus_config; /* "bus", "queues", "topics", "bridges": bus_config.h */
struct hub_aws_config; /* "aws": aws_config.h */
struct hub_admin_config; /* "admin", "dashboard": admin_config.h */

struct hub_config {
    char *host;                 /* "host", default "0.0.0.0" */
    int port;                   /* "port", default 3000; 0 picks a free port */
    char *path;                 /* "path", default "/socket.io/" (always starts and ends with '/') */
    int ping_interval_ms;       /* "pingInterval", default 25000 */
    int ping_timeout_ms;        /* "pingTimeout", default 20000 */
    int connect_timeout_ms;     /* "connectTimeout", default 45000 */
    int upgrade_timeout_ms;     /* "upgradeTimeout", default 10000 */
    size_t max_payload;         /* "maxPayload", default 1000000 bytes */
    size_t max_buffered_bytes;  /* "maxBufferedBytes": per connection send queue, default 8 MiB */
    size_t max_rooms_per_socket;/* "maxRoomsPerSocket", default 1000 */
    size_t max_attachments;     /* "maxAttachments", default 256 */
    int allow_eio3;             /* "allowEIO3", default false */
    char *engine_echo_path;     /* "engineEchoPath", default NULL (off), e.g. "/engine.io/" */
    /* "cors": {"origin": "*" | "https://a.example" | ["https://a", "https://b"], "credentials": bool}
     * or the shorthand "cors": "*" / "cors": ["..."]. Default: no cross-origin origin allowed. */
    int cors_any;               /* origin "*" */
    char **cors_origins;        /* NULL-terminated list, or NULL */
    int cors_credentials;
    enum hub_log_level log_level; /* "logLevel": "error" | "warn" | "info" | "debug", default "info" */
    struct hub_nsp_config *namespaces; /* "namespaces": {"/": {"app": "echo"}}; see has_namespaces */
    size_t nnamespaces;
    int has_namespaces;         /* the config named namespaces; otherwise "/" runs relay */
    char *web_root;             /* "webRoot": the pages' directory, served at "/"; default the
                                 * source tree's web/, or share/hubbub/web when installed */
    char *client_bundle_dir;    /* "clientBundleDir": socket.io-client's dist/ files; default
                                 * node_modules/socket.io-client/dist, or share/hubbub's copy */
    int serve_client;           /* "serveClient", default true: the bundle at <path>socket.io.js */
    char *config_file;          /* the file it was loaded from, or NULL */
    /* "redis": "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]", default NULL: no cluster. Every node
     * on the same Redis shares rooms and broadcasts (the @socket.io/redis-adapter protocol). */
    char *redis;
    char *redis_key;              /* "redisKey": the channel prefix, default "socket.io" */
    int redis_requests_timeout_ms; /* "redisRequestsTimeout", default 5000 */
    struct hub_bus_config *bus;   /* the event bus's keys (bus_config.h), or NULL when none */
    struct hub_aws_config *aws;   /* "aws": the SQS/SNS wire APIs (aws_config.h), or NULL */
    struct hub_admin_config *admin; /* "admin", "dashboard" (admin_config.h); NULL: defaults */
};

/* A parsed redis:// URL. */
struct hub_redis_url {
    char host[256];     /* a name or an address; an IPv6 address without its brackets */
    int port;           /* default 6379 */
    int db;             /* default 0 */
    char user[128];     /* "" when none (AUTH with the password alone) */
    char password[256]; /* "" when none; percent-decoded, as user */
};

/* Parses "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]" (HOST may be [IPv6]). Returns 0, or
 * HUB_EINVAL with a message in err (errlen bytes). */
int hub_config_redis_url(const char *url, struct hub_redis_url *out, char *err, size_t errlen);

/* Fills cfg with the defaults (no namespaces: "/" will run relay). Returns 0, or HUB_ENOMEM with cfg
 * zeroed (hub_config_free() on it is still fine). */
int hub_config_init(struct hub_config *cfg);
/* Frees everything cfg owns and leaves it zeroed. */
void hub_config_free(struct hub_config *cfg);

/* Loads a JSON config file over the values in cfg. Returns 0, or a negative HUB_E* with a message naming
 * the file, key and line written to err (errlen bytes, NUL-terminated): HUB_EIO (cannot read the file),
 * HUB_EPARSE (not JSON: "file:line:column: ..."), HUB_EINVAL (unknown key, wrong type or range:
 * "file:line: key.path: ..."), HUB_ENOMEM. On failure cfg is unchanged. "cors" and "namespaces" replace
 * what cfg held; on success cfg->config_file names file. */
int hub_config_load(struct hub_config *cfg, const char *file, char *err, size_t errlen);

/* Parses command-line flags: --help, --version, --port N, --host ADDR, --config FILE, --log-level L,
 * --redis URL.
 * --config is applied first, wherever it stands; the other flags then override the file. Returns 0 to run,
 * 1 when --help or --version printed their text to stdout (exit 0), or a negative HUB_E* with a message in
 * err (exit 2). */
int hub_config_parse_args(struct hub_config *cfg, int argc, char **argv, char *err, size_t errlen);

/* 1 when cors lets pages from origin (the Origin header's value) in: "*" or a listed origin. */
int hub_config_origin_allowed(const struct hub_config *cfg, const char *origin);

/* A default directory: <exe dir>/<share dir>/<installed> when the running program is an installed
 * one (its share dir holds web/), else build_default. Returns a new string (hub_free), or NULL. */
char *hub_config_default_dir(const char *installed, const char *build_default);

/* The namespace settings for name, or NULL when the config does not declare it. */
const struct hub_nsp_config *hub_config_nsp(const struct hub_config *cfg, const char *name);

#endif
