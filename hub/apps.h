/* apps.h - the two built-in namespace behaviours a config can name ("app": "echo" | "relay").
 *
 * echo: on connection it emits "auth" with the socket's handshake auth ({} when the client sent
 * none); "message" is answered with "message-back" carrying the same arguments and attachments;
 * "message-with-ack" is acknowledged with the same arguments and attachments.
 *
 * relay: "join" / "leave" with a room name (a string) put the socket in or out of a room and answer
 * an acknowledgement, when asked, with {"ok":true} or {"ok":false,"error":"..."}. Every other event
 * is re-emitted with its arguments and attachments to the rooms the sender joined (its own id room
 * left out), or to the whole namespace when it joined none, never to the sender; if the event asked
 * for an acknowledgement it gets {"ok":true} once the relay was queued. */
#ifndef HUB_APPS_H
#define HUB_APPS_H

#include "config.h"
#include "hubbub.h"

/* Creates the namespaces cfg declares, each with its app (HUB_APP_NONE: the namespace only); when
 * cfg declares none (has_namespaces 0), creates "/" running relay. Returns 0, HUB_ENOMEM or
 * HUB_EINVAL. */
int hub_apps_install(hub_server *srv, const struct hub_config *cfg);

/* Installs one app's handlers on nsp. Return 0 or HUB_ENOMEM. */
int hub_app_echo_install(hub_nsp *nsp);
int hub_app_relay_install(hub_nsp *nsp);

#endif
