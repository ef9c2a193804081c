/* web.h - the hub's own HTTP endpoints: its pages, the Socket.IO client bundle and health checks.
 *
 * hub_web_install() adds routes to a route table (httpx.h):
 *   /healthz                  200 {"status":"ok"} while the loop runs
 *   /readyz                   200 {"status":"ready",...} or 503 {"status":"not ready",...}: the
 *                             server accepts sessions and every readiness check passes
 *   <path>socket.io.js, .min.js, .esm.min.js, .msgpack.min.js and their .map files (path is the
 *                             Engine.IO path, "/socket.io/"): the socket.io-client browser bundle
 *                             from clientBundleDir, with the headers the Node.js server sends
 *                             (ETag "<client version>", If-None-Match -> 304, "public, max-age=0")
 *   / and below               files under webRoot (GET and HEAD; a directory serves its index.html)
 *
 * Files are read on first use and kept in a bounded cache (struct hub_web_cache) that re-reads a
 * file when its size or modification time changes. A path with a "." or ".." segment, a hidden
 * name, a backslash or a '%' left after decoding is refused with 400; a file that resolves (through
 * a symbolic link) outside webRoot is 404.
 *
 * The pure parts (content types, path checks, ETags, the cache) are exported for the unit tests. */
#ifndef HUB_WEB_H
#define HUB_WEB_H

#include <jansson.h>
#include <stddef.h>

#include "config.h"
#include "httpx.h"
#include "hubbub.h"

#define HUB_WEB_CACHE_MAX_BYTES (32u << 20) /* default bound of the whole file cache */
#define HUB_WEB_FILE_MAX_BYTES (8u << 20)   /* default bound of one file; larger ones are 404 */
#define HUB_WEB_ETAG_MAX 48                 /* an ETag with its quotes and NUL fits */
#define HUB_WEB_PATH_MAX 4096

/* ---- pure helpers ---- */

/* The Content-Type for a file name, by its extension (case-insensitive); text types carry
 * "; charset=utf-8". Unknown extensions are "application/octet-stream". Returns a static string. */
const char *hub_web_content_type(const char *name);

/* Checks a decoded URL path before it is mapped to a file: it must start with '/', and must not
 * hold a "." or ".." segment, a segment starting with '.' (hidden files), "//", a backslash, a '%'
 * (a second level of encoding), or a control character. Returns 0 when safe, else HUB_EINVAL. */
int hub_web_path_check(const char *path);

/* Writes root + path into buf, adding "index.html" when path ends in '/'. path must have passed
 * hub_web_path_check(). Returns the length, HUB_EINVAL for an unsafe path or HUB_ETOOBIG when buf
 * (len bytes) is too small. */
int hub_web_file_path(const char *root, const char *path, char *buf, size_t len);

/* Writes a strong ETag for the bytes (their length and a 64-bit FNV-1a hash, quoted) into buf,
 * which holds HUB_WEB_ETAG_MAX bytes. */
void hub_web_etag(const void *data, size_t len, char buf[HUB_WEB_ETAG_MAX]);

/* Whether an If-None-Match header value (a list of ETags, weak or strong, or "*") matches etag
 * with the weak comparison RFC 9110 asks for there. Returns 1 or 0; NULL or "" is 0. */
int hub_web_etag_match(const char *if_none_match, const char *etag);

/* Whether name ("socket.io.min.js", without the path) is a file of the client bundle; then *is_map
 * tells a source map. Returns 1 or 0. */
int hub_web_client_file(const char *name, int *is_map);

/* ---- the file cache ---- */

typedef struct hub_web_cache hub_web_cache;

struct hub_web_file {
    const char *data; /* the contents (NUL-terminated for convenience) */
    size_t len;
    char etag[HUB_WEB_ETAG_MAX];
};

/* Returns a new cache that holds at most max_bytes of file contents and no file larger than
 * max_file (0 for the defaults above), or NULL. */
hub_web_cache *hub_web_cache_new(size_t max_bytes, size_t max_file);
void hub_web_cache_free(hub_web_cache *c);
/* Finds the regular file at path, from the cache when it did not change, else read again; the
 * least recently used files are dropped to stay within max_bytes. *out is borrowed until the next
 * call on c. Returns 0, HUB_ENOTFOUND (missing or not a regular file), HUB_ETOOBIG (over max_file),
 * HUB_EIO or HUB_ENOMEM. */
int hub_web_cache_get(hub_web_cache *c, const char *path, const struct hub_web_file **out);
/* The bytes and files held now. */
size_t hub_web_cache_bytes(const hub_web_cache *c);
size_t hub_web_cache_count(const hub_web_cache *c);

/* ---- the endpoints ---- */

typedef struct hub_web hub_web;

/* A readiness check: returns 1 when ready, or 0 with a short reason written to why (len bytes).
 * It runs on the loop for each /readyz request, so it must not block. */
typedef int (*hub_ready_fn)(void *ud, char *why, size_t len);

/* Adds the routes above to routes. srv (may be NULL in tests) is asked whether it still accepts
 * sessions; cfg gives path, webRoot, clientBundleDir, serveClient and cors, and must outlive the
 * result; both are borrowed. A missing webRoot or client bundle is logged, not fatal (their paths
 * answer 404). Returns a new handle to free with hub_web_free() after the routes are no longer
 * served, or NULL (out of memory; routes may hold some of the routes then: free the table). */
hub_web *hub_web_install(hub_routes *routes, hub_server *srv, const struct hub_config *cfg);
void hub_web_free(hub_web *w);

/* Adds a readiness check named name (copied; e.g. "redis") that /readyz runs after the server's
 * own. Returns 0, HUB_EEXISTS or HUB_ENOMEM. */
int hub_web_ready_add(hub_web *w, const char *name, hub_ready_fn fn, void *ud);
/* Runs the readiness checks. Returns 200 or 503 and sets *body to a new JSON object
 * ({"status":"ready"|"not ready","checks":{"server":"ok",...}}), or NULL when out of memory. */
int hub_web_readiness(hub_web *w, json_t **body);

#endif
