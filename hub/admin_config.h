/* admin_config.h - the "admin" and "dashboard" keys of the configuration (docs/OPERATIONS.md).
 *
 *   "admin": {                            the Socket.IO Admin UI (admin.h); absent: no admin
 *     "username": "admin",
 *     "passwordHash": "$2b$10$...",       a crypt(3) hash: bcrypt ($2a$, $2b$, $2y$), yescrypt
 *                                         ($y$), scrypt ($7$) or SHA-crypt ($5$, $6$); never a
 *                                         plain password ("password" is refused)
 *     "auth": true,                       false: no login at all (the reference's auth: false)
 *     "namespace": "/admin",              the namespace the UI connects to
 *     "readonly": false,                  true: no join / leave / disconnect / emit actions
 *     "mode": "development",              "production": server stats only (no socket lists,
 *                                         no per-event messages)
 *     "serverId": null,                   this node's name in the UI; null: "<hostname>#<pid>"
 *     "sessionDuration": 86400,           seconds a login session (the UI's sessionId) lasts
 *     "uiPath": "/admin/",                where the UI's files are served; null: not served
 *     "uiDir": "...",                     @socket.io/admin-ui's ui/dist (default: the build's
 *                                         node_modules, or share/hubbub/admin-ui installed)
 *     "iconsDir": "..."                   @mdi/font (the icons the UI would load from a CDN)
 *   },
 *   "dashboard": {                        the live dashboard's feed (dashboard.h); false: off
 *     "namespace": "/dashboard",
 *     "interval": 1000                    ms between two snapshots
 *   }
 *
 * Both keys fill one struct. Strings are owned by it. */
#ifndef HUB_ADMIN_CONFIG_H
#define HUB_ADMIN_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct hub_admin_config {
    int enabled; /* "admin" was given */
    int auth;    /* default 1 */
    char *username;
    char *password_hash;
    char *nsp; /* default "/admin" */
    int readonly;
    int production;     /* mode "production" */
    char *server_id;    /* or NULL */
    uint32_t session_s; /* default 86400 */
    char *ui_path;      /* "/admin/" (always ends in '/'), or NULL: not served */
    char *ui_dir;
    char *icons_dir;
    int dashboard;                  /* default 1 */
    char *dashboard_nsp;            /* default "/dashboard" */
    uint32_t dashboard_interval_ms; /* default 1000 */
};

#define HUB_ADMIN_SESSION_DEFAULT_S 86400
#define HUB_DASHBOARD_INTERVAL_DEFAULT_MS 1000

/* A new config with the defaults (no admin, the dashboard on), or NULL. */
struct hub_admin_config *hub_admin_config_new(void);
/* Parses the value of "admin" (dashboard 0) or "dashboard" (dashboard 1) into *c, allocated with
 * the defaults when NULL. Returns 0, HUB_EINVAL with the offending key (borrowed from v; NULL for v
 * itself) in *key and a message in msg (len bytes), or HUB_ENOMEM. *c is left consistent (maybe
 * partly changed) on failure. */
int hub_admin_config_parse(const json_t *v, int dashboard, struct hub_admin_config **c,
                           const char **key, char *msg, size_t len);
/* Checks what depends on both keys (namespaces differ, credentials given when auth is on). Returns
 * 0 or HUB_EINVAL with *key (a static string) and msg. c NULL: 0. */
int hub_admin_config_check(const struct hub_admin_config *c, const char **key, char *msg,
                           size_t len);
/* A deep copy, or NULL (c NULL, or out of memory: *failed set). */
struct hub_admin_config *hub_admin_config_copy(const struct hub_admin_config *c, int *failed);
void hub_admin_config_free(struct hub_admin_config *c);

/* 1 when hash is a crypt(3) hash of a salted kind this build accepts (see above). */
int hub_admin_hash_supported(const char *hash);

#endif
