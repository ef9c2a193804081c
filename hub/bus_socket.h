/* bus_socket.h - the event bus (bus.h) over Socket.IO: bridges from socket events to topics, the
 * bus:* events of bus namespaces, deliveries to rooms and to HTTP(S) endpoints, and definitions
 * made at run time. docs/BUS.md, "Sockets and bridges", is the user's description.
 *
 * Bridges (config "bridges", or hub_bus_socket_add_bridge): an event E emitted by a client in
 * namespace N is published to topic T. The body is the event's argument (a string as it is, other
 * JSON as its text; several arguments: the JSON array of them); the bridge's "attributes" fields
 * of the first argument become message attributes, "groupId"/"deduplicationId"/"subject" are
 * {field} templates over it. The emitter's acknowledgement, when it asked for one, is answered
 * once the topic stored the message: {"ok":true,"messageId":...} or
 * {"ok":false,"error":{"code":...,"message":...}}.
 *
 * Bus namespaces ("bus": true): the reserved events
 *   bus:publish (topic, message, {attributes, groupId, deduplicationId, subject})
 *   bus:send (queue, body, {delay, attributes, groupId, deduplicationId})
 *   bus:subscribe (queue, {maxInFlight, visibilityTimeout}) / bus:unsubscribe (queue)
 *   bus:createQueue (name, queue definition) / bus:createTopic (name, topic definition)
 *   bus:subscribeTopic (topic, subscription definition) / bus:createBridge (bridge definition)
 *   bus:confirmSubscription (topic, token)
 *   bus:join (room) / bus:leave (room): the rooms room subscriptions deliver to
 * each answering its acknowledgement with {"ok":true,...} or {"ok":false,"error":{...}}. After
 * bus:subscribe the hub pushes bus:message (queue, {id, body, attributes, receiveCount, groupId,
 * sequenceNumber, sentTimestamp}) asking for an acknowledgement: acknowledging deletes the message
 * (acknowledging with false releases it at once), no acknowledgement within the visibility timeout
 * or a disconnect makes it visible again for another consumer. At most maxInFlight (default 10)
 * unacknowledged messages per subscriber; the subscribers of a queue take turns (the store serves
 * waiting receives first come, first served, and each subscriber asks for one message at a time).
 *
 * Rooms: a topic subscription "<nsp>#<room>" emits the message to that room as event (the
 * subscription's "event", default the topic's name) with one argument {id, topic, body,
 * attributes}. {field} in the room is filled per message from its attributes, or else from the
 * body's JSON fields ("/caps#vendor:{vendorId}").
 *
 * Threading and lifetime: the loop's thread only. Create the integration before
 * hub_apps_install() (its handlers then run before an app's catch-all), start it once the listener
 * runs (hub_bus_socket_run_started as hub_run's started hook does it), stop it before the server
 * shuts down (hub_bus_socket_run_stopping) and free it after the loop ran dry. */
#ifndef HUB_BUS_SOCKET_H
#define HUB_BUS_SOCKET_H

#include "bus.h"
#include "bus_config.h"
#include "config.h"
#include "http_delivery.h"
#include "httpx.h"
#include "hubbub.h"

typedef struct hub_bus_socket hub_bus_socket;

/* The default number of unacknowledged bus:message events per subscriber, and the bound. */
#define HUB_BUS_SOCKET_MAX_INFLIGHT 10
#define HUB_BUS_SOCKET_MAX_INFLIGHT_LIMIT 1000
/* The path of the SNS confirmation / unsubscribe links (SubscribeURL, UnsubscribeURL). */
#define HUB_BUS_SOCKET_ROUTE "/bus/"

/* Makes the bus when the integration starts (the daemon: hub_memory_bus_new, memory_bus.h). opts
 * carry the config's "bus" options; returns a new bus or NULL. */
typedef hub_bus *(*hub_bus_factory)(uv_loop_t *loop, const struct hub_bus_options *opts, void *ud);

/* Returns a new integration for srv, or NULL (out of memory, or a handler could not be added).
 * It installs its handlers on the namespaces cfg marks "bus": true and on those its bridges name
 * (creating them when needed) and registers the config's bridges. srv and cfg are borrowed and
 * must outlive it. There is no bus yet: hub_bus_socket_start() makes it with make_bus(loop, opts,
 * make_ud). */
hub_bus_socket *hub_bus_socket_new(hub_server *srv, const struct hub_config *cfg,
                                   hub_bus_factory make_bus, void *make_ud);

/* Adds GET HUB_BUS_SOCKET_ROUTE to routes: "?Action=ConfirmSubscription&TopicArn=..&Token=.."
 * confirms an http(s) subscription, "?Action=Unsubscribe&SubscriptionArn=.." removes one (SNS's
 * SubscribeURL and UnsubscribeURL). And GET/HEAD under HUB_SNS_CERT_PATH (sns_key.h): the
 * certificate envelopes are signed with, as its fingerprinted name (cacheable) and as
 * HUB_SNS_CERT_ALIAS, PEM (503 before start, 404 for other names). Returns 0, HUB_EEXISTS or
 * HUB_ENOMEM. */
int hub_bus_socket_add_routes(hub_bus_socket *bs, hub_routes *routes);

/* Makes the bus (owned from now on) and creates the config's queues, topics and subscriptions in
 * order; client (may be NULL: http(s) subscriptions then get nothing) is the HTTP client for
 * endpoint deliveries. port completes the default publicUrl (http://<host>:<port>/bus; host
 * 127.0.0.1 when listening on every address). The bus signs envelopes with the config's key
 * (bus.signingKeyFile) or one generated here, once; SigningCertURL is bus.signingCertUrl, else
 * the key's certificate under bus.publicUrl's origin, aws.advertisedUrl's (when the AWS APIs share
 * the hub's listener) or the hub's own address. done(ud, err, what) runs once, from the loop, when
 * the definitions exist (err 0) or one could not be created (what names it, borrowed for the
 * call). Returns 0, or HUB_ESTATE (started already), HUB_ENOMEM, HUB_EIO (no key could be
 * generated) or the bus's error for the first definition: then done never runs and there is no
 * bus. */
int hub_bus_socket_start(hub_bus_socket *bs, const struct hub_http_client_ops *client,
                         void *client_ctx, int port,
                         void (*done)(void *ud, int err, const char *what), void *ud);

/* Ends every subscription's receive, closes the HTTP deliveries and frees the bus; later socket
 * events are answered with an error. Callbacks still due complete from the loop. Idempotent. */
void hub_bus_socket_stop(hub_bus_socket *bs);

/* Stops (if not done yet) and frees. Call it after the loop ran dry. NULL is a no-op. */
void hub_bus_socket_free(hub_bus_socket *bs);

/* The bus (borrowed), or NULL before start and after stop. */
hub_bus *hub_bus_socket_bus(hub_bus_socket *bs);

/* The loop it runs on. */
uv_loop_t *hub_bus_socket_loop(const hub_bus_socket *bs);
/* 1 when its config asks for a bus (hub_bus_config_wanted). */
int hub_bus_socket_wanted(const hub_bus_socket *bs);

/* hub_run hooks (run.h), ud being the integration; in the glue library (hub/lws_bus.c) since they
 * use the listener. started starts it, when the config asks for a bus, with the listener's HTTP
 * client and port, and runs the loop until the config's definitions exist; it returns non-zero
 * (the run stops) when one cannot be created. stopping is hub_bus_socket_stop. */
struct hub_http;
int hub_bus_socket_run_started(struct hub_http *http, void *ud);
void hub_bus_socket_run_stopping(void *ud);

/* ---- definitions at run time ---- */

/* The end of a creation: err 0 or a negative HUB_E* / HUB_BUS_E*, with a text naming what failed
 * (borrowed for the call), and for a subscription its id and pending state (http(s) subscriptions
 * wait for their confirmation). */
typedef void (*hub_bus_socket_cb)(void *ud, int err, const char *what, const char *sub_id,
                                  int pending);

/* Creates a queue / a topic with its subscriptions (in order, stopping at the first error) / one
 * subscription of topic. Definitions are borrowed for the call. A room subscription's "event" is
 * remembered for the room deliveries. Return 0 (cb runs once, from the loop), or HUB_ESTATE (not
 * started), HUB_ENOMEM or the bus's immediate answer to the first step (a HUB_BUS_E*): then cb
 * never runs. */
int hub_bus_socket_create_queue(hub_bus_socket *bs, const struct hub_queue_def *d,
                                hub_bus_socket_cb cb, void *ud);
int hub_bus_socket_create_topic(hub_bus_socket *bs, const struct hub_topic_def *d,
                                hub_bus_socket_cb cb, void *ud);
int hub_bus_socket_subscribe(hub_bus_socket *bs, const char *topic, const struct hub_sub_def *d,
                             hub_bus_socket_cb cb, void *ud);

/* Adds a bridge (d is copied) and installs the handler on its namespace, which must exist.
 * Returns 0, HUB_EEXISTS (the event of that namespace is bridged already), HUB_ENOTFOUND (no such
 * namespace), HUB_EINVAL or HUB_ENOMEM. The topic is not checked here (publishing to a missing
 * topic answers NotFound). */
int hub_bus_socket_add_bridge(hub_bus_socket *bs, const struct hub_bridge_def *d);

#endif
