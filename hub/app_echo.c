/* app_echo.c - the echo app (apps.h): a test partner that sends back what it gets. */
#include "apps.h"

static void on_connection(hub_socket *s, void *ud)
{
    const json_t *auth = hub_socket_auth(s);
    json_t *args = json_array();

    (void)ud;
    if (!args) return;
    if (!(auth ? json_array_append(args, (json_t *)auth)
               : json_array_append_new(args, json_object())))
        hub_socket_emit(s, "auth", args, NULL, 0);
    json_decref(args);
}

static void on_message(hub_socket *s, const struct hub_event *ev, void *ud)
{
    (void)ud;
    hub_socket_emit(s, "message-back", ev->args, ev->bufs, ev->nbufs);
}

static void on_message_with_ack(hub_socket *s, const struct hub_event *ev, void *ud)
{
    (void)s;
    (void)ud;
    if (ev->ack) hub_ack_send(ev->ack, ev->args, ev->bufs, ev->nbufs);
}

int hub_app_echo_install(hub_nsp *nsp)
{
    int rc;

    if ((rc = hub_nsp_on_connection(nsp, on_connection, NULL)) ||
        (rc = hub_nsp_on(nsp, "message", on_message, NULL)) ||
        (rc = hub_nsp_on(nsp, "message-with-ack", on_message_with_ack, NULL)))
        return rc;
    return 0;
}
