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
#include <uv.h>

/* Attaches ac to loop: hiredis's read/write/cleanup hooks drive a uv_poll_t on its descriptor,
 * which is closed (on the loop) when hiredis frees the context. Returns REDIS_OK, or REDIS_ERR when
 * ac is attached already, out of memory or the descriptor cannot be polled (ac is left as it was:
 * free it). */
int hub_redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
