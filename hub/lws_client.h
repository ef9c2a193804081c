/* lws_client.h - Hubbub's HTTP(S) client on libwebsockets: the struct hub_http_client_ops that
 * hub/http_delivery.c posts through, running on the hub's own lws context (and so on its loop).
 *
 * Wiring, in hub/lws_http.c (which includes libwebsockets.h before this header):
 *   - add HUB_LWS_CLIENT_PROTOCOL as an entry of the vhost's protocols array, before the
 * terminator. It is a constant initializer, so it fits a static const array;
 * hub_lws_client_protocol is the same entry as an object, for arrays filled at run time;
 *   - add LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT to the context options, so https:// URLs get a
 * client TLS context (peers are verified against the system CA store);
 *   - give hub_lws_http_client_ops() and the struct lws_context * to hub_http_delivery_new()
 *     (cfg.client, cfg.client_ctx), and call hub_http_delivery_close() before
 * lws_context_destroy(). Only hub/lws_*.c include libwebsockets.h: the lws-typed declarations
 * appear only for them. */
#ifndef HUB_LWS_CLIENT_H
#define HUB_LWS_CLIENT_H

#include "http_delivery.h"

struct lws_protocols;

/* The protocol entry ("hubbub-http-client") that carries the client connections. */
extern const struct lws_protocols hub_lws_client_protocol;

#if defined(LWS_PRE) /* libwebsockets.h was included */
/* The protocol's callback, exported only so that HUB_LWS_CLIENT_PROTOCOL can name it. */
int hub_lws_client_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                            size_t len);
#define HUB_LWS_CLIENT_PROTOCOL                                                                    \
    {                                                                                              \
        .name = "hubbub-http-client", .callback = hub_lws_client_callback,                         \
    }
#endif

/* The client ops table; its ctx argument is the struct lws_context * the protocol was registered
 * on. Per the ops contract the caller keeps url, headers and body alive until done runs; post()
 * keeps pointers to them and copies only the parsed URL. */
const struct hub_http_client_ops *hub_lws_http_client_ops(void);

#endif
