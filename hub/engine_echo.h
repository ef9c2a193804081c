/* engine_echo.h - a bare Engine.IO server that sends every message back as it came (text or binary).
 * Served on the configured engineEchoPath, for conformance tests and engine.io-client users. */
#ifndef HUB_ENGINE_ECHO_H
#define HUB_ENGINE_ECHO_H

#include "engine.h"

/* Returns a new echo engine on loop, or NULL. Free it with eio_server_free(). */
eio_server *eio_echo_server_new(uv_loop_t *loop, const struct eio_options *opt);

#endif
