/* adapter.h - the interface between the Socket.IO core and a cluster back end (Redis pub/sub:
 * adapters/redis/). The split is socket.io-adapter's ClusterAdapter's: the core keeps the rooms,
 * delivers locally, answers requests and tracks its own requests (ids, expected answers,
 * timeouts); a back end only publishes what the core hands it and reports what arrives. Without a
 * back end the server is a cluster of one (the memory case): nothing is published.
 *
 * Messages cross this interface decoded, as struct adapter_msg (protocol/adapter_msg.h, the
 * classic @socket.io/redis-adapter protocol), so the back end owns the encoding and the channel
 * names, and the core never sees bytes.
 *
 * Everything runs on the server's loop. The back end must not call the hub_adapter_on_* functions
 * after its close hook ran. */
#ifndef HUB_ADAPTER_H
#define HUB_ADAPTER_H

#include <stdint.h>

#include "adapter_msg.h"
#include "hubbub.h"

/* Longest node uid and request id the core makes or accepts for answers (longer ones are
 * ignored). */
#define HUB_ADAPTER_ID_MAX 64

/* One back end: a table of hooks filled statically with named fields. Every hook may be NULL
 * (publishing then fails with HUB_EUNSUPPORTED, server_count with it too). be is the back end's
 * own pointer, given to hub_adapter_attach(). Members of m are borrowed for the call. */
struct hub_adapter_ops {
    /* nsp exists (called at attach for the namespaces that exist, then for each new one): listen
     * to its channels. Returns 0 or a negative HUB_E*. */
    int (*nsp_open)(void *be, hub_nsp *nsp);
    /* Publishes a broadcast of nsp (m->uid, nsp, data, bufs, rooms, except, flags are set). */
    int (*publish_broadcast)(void *be, hub_nsp *nsp, const struct adapter_msg *m);
    /* Publishes a request of nsp to every node (m->type 0-7). */
    int (*publish_request)(void *be, hub_nsp *nsp, const struct adapter_msg *m);
    /* Publishes an answer (m->type names the request answered; m->request_id is set). */
    int (*publish_response)(void *be, hub_nsp *nsp, const struct adapter_msg *m);
    /* Asks how many nodes listen to nsp's requests, this one included. On success the answer comes
     * later, exactly once, through hub_adapter_on_count(srv, nsp, request_id, n) (n < 0: unknown);
     * request_id is copied. Returns 0 or a negative HUB_E* (no answer will come). */
    int (*server_count)(void *be, hub_nsp *nsp, const char *request_id);
    /* Fills the connection state (backend, connected, reconnects, latency, counters). */
    void (*status)(void *be, struct hub_cluster_status *st);
    /* The server shuts down: stop listening, release everything. Handles may close later, on the
     * loop; no hub_adapter_on_* call may follow. */
    void (*close)(void *be);
};

/* Attaches a back end to srv: the server gets a cluster uid (returned by hub_adapter_uid), every
 * existing namespace is opened, and from now on broadcasts and cluster operations go through ops.
 * requests_timeout_ms bounds cluster requests (fetch sockets, all rooms, server-side emit with
 * ack; the reference's requestsTimeout, 5000 by default). ops and be are borrowed until the close
 * hook runs (at hub_server_shutdown). Returns 0, HUB_EINVAL, HUB_EEXISTS (one is attached
 * already), HUB_ECLOSED (the server shut down) or HUB_ENOMEM. */
int hub_adapter_attach(hub_server *srv, const struct hub_adapter_ops *ops, void *be,
                       uint64_t requests_timeout_ms);
/* This node's uid on the cluster (borrowed, lives as long as the server), or NULL when no back end
 * is attached. */
const char *hub_adapter_uid(const hub_server *srv);

/* A broadcast arrived for nsp. The core drops it when it is its own (uid) or names another
 * namespace, and delivers it to its sockets in the target otherwise. The back end applies the
 * room-channel filter before decoding. m stays the caller's. */
void hub_adapter_on_broadcast(hub_server *srv, hub_nsp *nsp, struct adapter_msg *m);
/* A request arrived for nsp (its own included: the core recognises them). The core answers through
 * publish_response and may move members out of m (data, bufs); the caller clears m after. */
void hub_adapter_on_request(hub_server *srv, hub_nsp *nsp, struct adapter_msg *m);
/* A response arrived for nsp; ones that answer no pending request of this node are ignored. As
 * hub_adapter_on_request for m. */
void hub_adapter_on_response(hub_server *srv, hub_nsp *nsp, struct adapter_msg *m);
/* The answer to server_count. */
void hub_adapter_on_count(hub_server *srv, hub_nsp *nsp, const char *request_id, int n);

#endif
