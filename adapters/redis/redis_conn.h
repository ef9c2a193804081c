/* redis_conn.h - one hiredis connection on a libuv loop that stays connected: the connect,
 * back-off and lifetime rules of /work/shared/protocols/libwebsockets-4.1.md section 3 in one
 * place, on the fixed loop binding of redis_uv.h.
 *
 * A connection starts connecting when it is made. A failed or lost connection is retried after a
 * back-off (100 ms doubling to 5 s; a connect that does not finish in 5 s counts as failed); the
 * first failure is logged as a warning, later ones now and then. AUTH and SELECT from the URL are
 * sent first on every connection. Hooks tell the owner when the connection is up (re-issue
 * SUBSCRIBEs there) and when it went down (hiredis has by then answered every pending command with
 * a NULL reply). hub_redis_conn_close() lets queued commands finish (1 s at most), then the
 * connection is gone and the closed hook runs once, from the loop. */
#ifndef HUB_REDIS_CONN_H
#define HUB_REDIS_CONN_H

#include <hiredis/async.h>
#include <uv.h>

#include "config.h"

typedef struct hub_redis_conn hub_redis_conn;

struct hub_redis_conn_hooks {
    void (*up)(void *ud, hub_redis_conn *c);     /* connected; commands may be sent */
    void (*down)(void *ud, hub_redis_conn *c);   /* an established connection was lost */
    void (*closed)(void *ud, hub_redis_conn *c); /* after hub_redis_conn_close(): c is freed */
};

/* Returns a new connection to url (copied) that starts connecting on loop, or NULL. what names it
 * in log lines ("bus store commands"; borrowed, must outlive it). hooks (borrowed, must outlive it)
 * may have NULL members. */
hub_redis_conn *hub_redis_conn_new(uv_loop_t *loop, const struct hub_redis_url *url,
                                   const char *what, const struct hub_redis_conn_hooks *hooks,
                                   void *ud);

/* The hiredis context while connected, else NULL. Borrowed: valid until the down hook. */
redisAsyncContext *hub_redis_conn_context(const hub_redis_conn *c);

/* Drops the connection (a server that stopped answering) and connects again after the back-off;
 * the down hook runs as for a lost connection. No-op while not connected. */
void hub_redis_conn_reset(hub_redis_conn *c);

/* Closes: queued commands are sent and answered (or answered with NULL after 1 s), then the
 * closed hook runs and c is freed. No hook but closed runs after this call. */
void hub_redis_conn_close(hub_redis_conn *c);

#endif
