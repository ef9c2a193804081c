/* redis_uv.h - hiredis on a libuv loop: Hubbub's copy of hiredis's adapters/libuv.h, with the fix
 * for failed connections (docs: /work/shared/protocols/libwebsockets-4.1.md, section 3).
 *
 * hiredis 0.14.1's adapter returns from its poll callback when libuv reports an error, which is
 * exactly what libuv does for a refused non-blocking connect: it stops the poll and reports
 * UV_EBADF. hiredis then never learns that the connect failed, never calls the connect or the
 * disconnect callback, and the context hangs for good (no reconnect after Redis comes back). Here
 * an error status is handed to hiredis as a read or write event, so it reads SO_ERROR (or the
 * failing read) and fails the context cleanly. */
#ifndef HUB_REDIS_UV_H
#define HUB_REDIS_UV_H

#include <hiredis/async.h>
#include <stddef.h>
#include <uv.h>

#include "config.h"

/* Attaches ac to loop: hiredis's read/write/cleanup hooks drive a uv_poll_t on its descriptor,
 * which is closed (on the loop) when hiredis frees the context. Returns REDIS_OK, or REDIS_ERR when
 * ac is attached already, out of memory or the descriptor cannot be polled (ac is left as it was:
 * free it). */
int hub_redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

/* Starts a connection to url on loop: a non-blocking connect, attached with hub_redis_uv_attach,
 * with ac->data, the connect and disconnect callbacks and TCP keep-alive set, and AUTH and SELECT
 * from the URL queued (a refusal of either is logged, naming what, and drops the connection; what is
 * borrowed and must outlive the context). Returns the context, or NULL with the reason in why
 * (len bytes) and nothing left to free. */
redisAsyncContext *hub_redis_dial(uv_loop_t *loop, const struct hub_redis_url *url, const char *what,
                                  void *data, redisConnectCallback *on_connect,
                                  redisDisconnectCallback *on_disconnect, char *why, size_t len);

#endif
