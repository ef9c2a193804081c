/* engine_echo.c - the Engine.IO echo endpoint. */
#include "engine_echo.h"

static void echo_message(void *ud, eio_session *s, const uint8_t *data, size_t len, int binary)
{
    hub_frame *f = binary ? hub_frame_new_binary(data, len)
                          : hub_frame_new_text(EIO_MESSAGE, (const char *)data, len);
    if (!f) {
        eio_session_close(s);
        return;
    }
    eio_session_send(s, &f, 1);
    hub_frame_unref(f);
}

static const struct eio_callbacks echo_callbacks = {
    .message = echo_message,
};

eio_server *eio_echo_server_new(uv_loop_t *loop, const struct eio_options *opt)
{
    return eio_server_new(loop, opt, &echo_callbacks, NULL);
}
