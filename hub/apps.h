/* apps.h - the two built-in namespace behaviours a config can name ("app": "echo" | "relay").
 *
 * echo: on connection it emits "auth" with the socket's handshake auth ({} when the client sent
 * none); "message" is answered with "message-back" carrying the same arguments and attachments;
 * "message-with-ack" is acknowledged with the same arguments and attachments.
 *
 * relay: "join" / "leave" with a room name (a string) put the socket in or out of a room and answer
 * an acknowledgement, when asked, with {"ok":true} or {"ok":false,"error":"..."}. Events named
 * "bus:..." belong to the event bus (bus_socket.h) and are left alone. Every other event is
 * re-emitted with its arguments and attachments to the rooms the sender joined (its own id room
 * left out), or to the whole namespace when it joined none, never to the sender; if the event asked
 * for an acknowledgement it gets {"ok":true} once the relay was queued.
 *
 * cluster: "join" / "leave" as relay, plus the cluster operations on request, each answering its
 * acknowledgement (spec is {"rooms": [...], "except": [...], "volatile", "local", "exceptSelf",
 * "timeout"}, every member optional; an empty spec is every socket on every node):
 *   "cluster:emit" (spec, event, ...args)           -> {"ok", "local": count}
 *   "cluster:emit-with-ack" (spec, event, ...args)  -> {"status", "responses", "expected"}
 *   "cluster:join" / "cluster:leave" (spec, [rooms]) -> {"ok", "local": count}
 *   "cluster:disconnect" (spec, close)              -> {"ok"}, then the sockets go
 *   "cluster:fetch" (spec)                          -> {"status", "sockets": [{"id", "rooms"}]}
 *   "cluster:rooms" ()                              -> {"status", "rooms"}
 *   "cluster:sse" (event, ...args)                  -> {"ok"}
 *   "cluster:sse-ack" (event, ...args)              -> {"status", "responses"}
 * status is "ok", "timeout" or an error text. A server-side event from another node is emitted to
 * this node's sockets as "server-event" (event, ...args) and, when acknowledged, answered with
 * {"kind": "hubbub", "clients": <sockets in the namespace on this node>}. It trusts its clients:
 * it is for tests and demonstrations. */
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
int hub_app_cluster_install(hub_nsp *nsp);

#endif
