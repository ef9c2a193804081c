/* admin.h - the namespace the official Socket.IO Admin UI (@socket.io/admin-ui) speaks, its pages,
 * and the login that the Admin UI and the dashboard share.
 *
 * The Admin UI is a browser application; a Node.js server is made visible to it by the package's
 * instrument(io, opts), which adds the "/admin" namespace. Hubbub implements that namespace in C,
 * message for message (the package's dist/index.js, 0.5), so the prebuilt UI works against it:
 *
 *   on connection     "config" {supportedFeatures}, "session" <id> (after a password login) and,
 *                     in development mode, "all_sockets" [socket, ...] (hub_nsp_fetch_sockets of
 *                     every namespace: the sockets of every node of the cluster)
 *   every 2 s         "server_stats" {serverId, hostname, pid, uptime, clientsCount,
 *                     pollingClientsCount, aggregatedEvents, namespaces}
 *   development mode  "socket_connected" (socket, date), "socket_updated" {id, nsp, transport},
 *                     "socket_disconnected" (nsp, id, reason, date), "room_joined" / "room_left"
 *                     (nsp, room, id, date), "event_received" / "event_sent" (nsp, id, [event,
 *                     ...args], date) for the namespaces other than its own and the dashboard's
 *   actions           "emit" (nsp, filter, event, ...args), "join" (nsp, room, filter), "leave"
 *                     (nsp, room, filter), "_disconnect" (nsp, close, filter): filter is a room
 *                     (a socket id for one socket) or nothing for the whole namespace; they act
 *                     on every node (hub_nsp_sockets_join ...). Not in readonly mode.
 *
 * Everything it emits goes to the admin namespace with hub_nsp_emit, so in a cluster an Admin UI
 * connected to any node sees every node's sockets, events and stats, as with instrument() and a
 * cluster adapter. A socket is shown as {id, clientId (its Engine.IO session id, 12 characters),
 * transport, nsp, data: {}, handshake (without auth), rooms}.
 *
 * Login (hub_admin_auth): the CONNECT auth is {username, password} or {sessionId}. The password is
 * checked against the configured crypt(3) hash (bcrypt) with crypt_r on libuv's thread pool (a
 * bcrypt check takes tens of milliseconds: never on the loop), the connection waiting meanwhile
 * (hub_connect_defer); the plain password is wiped from the socket's auth object at once and from
 * the work buffer after the check, and never logged. A success emits "session": a token that
 * carries its expiry and an HMAC-SHA256 over it keyed by a hash of the password hash, so every node
 * with the same config accepts it without a shared store, and a changed password voids it. A
 * wrong password is CONNECT_ERROR "invalid credentials"; no password (a first visit, an expired
 * session) is CONNECT_ERROR "" with data {reason}, which the UI answers with its login form. At
 * most HUB_ADMIN_CHECKS_MAX checks run at once; more are refused. */
#ifndef HUB_ADMIN_H
#define HUB_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "admin_config.h"
#include "httpx.h"
#include "hubbub.h"
#include "metrics.h"

#define HUB_ADMIN_STATS_INTERVAL_MS 2000
#define HUB_ADMIN_CHECKS_MAX 4
#define HUB_ADMIN_SESSION_MAX 96 /* a session token, with its NUL */

/* ---- the login ---- */

typedef struct hub_admin_auth hub_admin_auth;

/* Returns a new login checker for the credentials of c (borrowed; must outlive it), or NULL. */
hub_admin_auth *hub_admin_auth_new(uv_loop_t *loop, const struct hub_admin_config *c);
/* Frees it; checks under way must have completed (run the loop dry first). NULL is a no-op. */
void hub_admin_auth_free(hub_admin_auth *a);
/* Protects nsp: adds the connect hook that checks the login, and the connection hook that emits
 * "session" after a password login. With auth off, nothing is added. Returns 0 or HUB_ENOMEM. */
int hub_admin_auth_install(hub_admin_auth *a, hub_nsp *nsp);

/* Pure parts, for the tests. A session token for username valid until expires_ms (epoch ms),
 * keyed by the password hash, written to out. Returns its length, or HUB_EINVAL. */
int hub_admin_session_make(const char *password_hash, const char *username, uint64_t expires_ms,
                           char out[HUB_ADMIN_SESSION_MAX]);
/* 1 when token is a session of username under password_hash that has not expired at now_ms. */
int hub_admin_session_check(const char *password_hash, const char *username, const char *token,
                            uint64_t now_ms);
/* 1 when password matches the crypt(3) hash (crypt_r: blocks for the hash's cost; thread-safe). */
int hub_admin_password_check(const char *password, const char *hash);

/* ---- the admin namespace and the UI's pages ---- */

typedef struct hub_admin hub_admin;

/* Returns a new admin namespace on srv as cfg->admin describes (it must be enabled), or NULL
 * (out of memory, or the namespace exists already). m (borrowed) gives the node's id and its
 * counters; srv, cfg and m must outlive it. Creating it installs the observer (development mode)
 * and starts the 2-second stats timer (unreferenced: it does not keep the loop alive). */
hub_admin *hub_admin_new(hub_server *srv, const struct hub_config *cfg, hub_metrics *m);
/* The login checker it uses (borrowed), for the dashboard to share. */
hub_admin_auth *hub_admin_get_auth(hub_admin *a);
/* Stops its timer; idempotent. Call it before the server shuts down (a hub_run stopping hook). */
void hub_admin_stop(hub_admin *a);
/* Frees it after the loop ran dry. NULL is a no-op. */
void hub_admin_free(hub_admin *a);

/* Adds the UI's pages at uiPath ("/admin/"; "/admin" redirects there): the files of uiDir, with
 * index.html rewritten to load the icon font from uiPath + "mdi/" (iconsDir) instead of a CDN and
 * no web font, plus uiPath + "hubbub-defaults.js", which points a first visit's connection form at
 * this server. Returns 0 (also when uiPath is null: nothing added), HUB_EEXISTS or HUB_ENOMEM. */
int hub_admin_add_routes(hub_admin *a, hub_routes *routes);

/* Rewrites the Admin UI's index.html (pure): drops <link> elements to other sites, except the
 * icon font's, which is pointed at "mdi/css/materialdesignicons.min.css", and adds the defaults
 * script before </head>. Returns a new string (hub_free) of *out_len bytes, or NULL. */
char *hub_admin_index_rewrite(const char *html, size_t len, size_t *out_len);

#endif
