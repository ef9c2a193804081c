/* bus_config.h - the event bus's part of the configuration: queues, topics with their
 * subscriptions, bridges from socket events to topics, and the bus options (docs/BUS.md, "Sockets
 * and bridges").
 *
 * The config file holds them under four top-level keys, "bus" (options), "queues", "topics" and
 * "bridges"; config.c hands each value to hub_bus_config_set() as it reads the file and calls
 * hub_bus_config_finish() once the whole file was read, which parses every definition and checks
 * the references between them (a bridge naming an unknown topic, a subscription naming an unknown
 * queue, a FIFO topic feeding a standard queue ...). The same parsers read definitions made at run
 * time (the socket events bus:createQueue ..., hub/bus_socket.h), so a queue means the same in
 * both.
 *
 * Units: durations are seconds in JSON (fractions allowed, as in "visibilityTimeout": 0.5) and
 * milliseconds in the structs. Strings in the structs are owned by the struct (clear functions free
 * them). Errors name the key path of the bad value ("topics.pickup.subscriptions[0].queue") in a
 * struct hub_bus_error, whose key strings are borrowed from the JSON given. */
#ifndef HUB_BUS_CONFIG_H
#define HUB_BUS_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "sns_key.h"

#define HUB_BUS_ERROR_DEPTH 8

/* Where a definition is wrong and why. path[i].key is a key (borrowed), or NULL for the array
 * element path[i].index. */
struct hub_bus_error {
    size_t depth;
    struct {
        const char *key;
        size_t index;
    } path[HUB_BUS_ERROR_DEPTH];
    char msg[240];
};

/* Writes "key.path[1].x: message" (or the message alone at depth 0) into buf. */
void hub_bus_error_format(const struct hub_bus_error *e, char *buf, size_t len);

/* "queues": {"<name>": {...}}. -1 in a duration or size: the SQS default. */
struct hub_queue_def {
    char *name;
    int fifo;                   /* "fifo" (defaults to the ".fifo" suffix; must agree with it) */
    int content_dedup;          /* "contentBasedDeduplication" (FIFO) */
    int64_t visibility_ms;      /* "visibilityTimeout" 0..43200 s (default 30) */
    int64_t delay_ms;           /* "delay" 0..900 s (default 0) */
    int64_t retention_ms;       /* "retention" 1..1209600 s (default 4 days) */
    int64_t wait_ms;            /* "receiveWaitTime" 0..20 s (default 0) */
    int64_t max_message_size;   /* "maxMessageSize" 1024..1048576 bytes (default 262144) */
    char *dlq;                  /* "deadLetterQueue": {"queue": "<name>", "maxReceiveCount": n} */
    uint32_t max_receive_count; /* 1..1000 */
};

/* One of "topics"."<name>"."subscriptions": exactly one of queue, room, url. */
struct hub_sub_def {
    char *queue;           /* "queue": a queue name */
    char *room;            /* "room": "<namespace>#<room>"; the room may hold {field} templates */
    char *url;             /* "url": an http:// or https:// endpoint */
    char *event;           /* "event" (room only): the event name; NULL: the topic's name */
    int raw;               /* "raw": RawMessageDelivery, default true */
    char *filter_policy;   /* "filterPolicy": an object, kept as JSON text; NULL: none */
    int filter_scope_body; /* "filterPolicyScope": "MessageAttributes" (default) | "MessageBody" */
    char *dlq;             /* "deadLetterQueue": a queue name (RedrivePolicy) */
    char *delivery_policy; /* "deliveryPolicy" (url only): SNS's DeliveryPolicy object, as text */
};

/* "topics": {"<name>": {...}}. */
struct hub_topic_def {
    char *name;
    int fifo;                 /* "fifo" (defaults to the ".fifo" suffix; must agree with it) */
    int content_dedup;        /* "contentBasedDeduplication" */
    struct hub_sub_def *subs; /* "subscriptions": [...] */
    size_t nsubs;
};

/* "bridges": [{...}]: event `event` emitted by a client in namespace `nsp` is published to
 * `topic`. The templates take "{field}" (or "{a.b}") from the event's first argument. */
struct hub_bridge_def {
    char *nsp;         /* "namespace" */
    char *event;       /* "event" */
    char *topic;       /* "topic" */
    char **attributes; /* "attributes": fields of the first argument sent as message attributes
                        * (NULL-terminated, or NULL) */
    size_t nattributes;
    char *group_id; /* "groupId" template (FIFO topics; default: the emitter's socket id) */
    char *dedup_id; /* "deduplicationId" template (FIFO topics) */
    char *subject;  /* "subject" template */
};

/* The bus's part of a hub_config. Shared by copies of the config (refs); hub_bus_config_set()
 * copies it before changing a shared one. */
struct hub_bus_config {
    size_t refs;
    json_t *json[4]; /* the values of "bus", "queues", "topics", "bridges" as given */
    /* Filled by hub_bus_config_finish(): */
    char *region, *account, *signing_secret, *public_url, *signing_cert_url; /* "bus" */
    char *signing_key_file, *signing_cert_file; /* "bus": PEM files of the SNS signing key */
    hub_sns_key *signing_key;                   /* loaded from them (a reference), or NULL */
    struct hub_queue_def *queues;
    size_t nqueues;
    struct hub_topic_def *topics;
    size_t ntopics;
    struct hub_bridge_def *bridges;
    size_t nbridges;
};

/* 1 when key is one of the four top-level keys above. */
int hub_bus_config_key(const char *key);
/* Keeps value (a new reference is taken) for key in *cfg, creating *cfg or copying a shared one
 * first. Returns 0, HUB_EINVAL (not a bus key) or HUB_ENOMEM. */
int hub_bus_config_set(struct hub_bus_config **cfg, const char *key, json_t *value);
/* Parses every kept value of *cfg (copied first when shared) and checks the references
 * (namespaces against hc's). Returns 0, HUB_EINVAL with *e filled (paths start at the top-level
 * key) or HUB_ENOMEM. NULL *cfg: 0. */
int hub_bus_config_finish(struct hub_bus_config **cfg, const struct hub_config *hc,
                          struct hub_bus_error *e);
/* A new reference to cfg (NULL stays NULL). */
struct hub_bus_config *hub_bus_config_ref(struct hub_bus_config *cfg);
/* Drops a reference; the last one frees it. NULL is a no-op. */
void hub_bus_config_unref(struct hub_bus_config *cfg);

/* 1 when the config asks for a bus: a namespace with "bus": true, or any queue, topic or bridge. */
int hub_bus_config_wanted(const struct hub_config *hc);

/* The parsers of single definitions, as the file holds them. On failure the definition is left
 * cleared; e's path is relative to v. Return 0, HUB_EINVAL or HUB_ENOMEM. */
int hub_queue_def_parse(struct hub_queue_def *d, const char *name, const json_t *v,
                        struct hub_bus_error *e);
int hub_topic_def_parse(struct hub_topic_def *d, const char *name, const json_t *v,
                        struct hub_bus_error *e);
int hub_sub_def_parse(struct hub_sub_def *d, const json_t *v, struct hub_bus_error *e);
/* default_nsp (may be NULL) stands in for a missing "namespace". */
int hub_bridge_def_parse(struct hub_bridge_def *d, const json_t *v, const char *default_nsp,
                         struct hub_bus_error *e);
/* The checks between a subscription and the queues it names, given the topic's FIFO-ness and a
 * lookup of queues by name (NULL: no such queue). */
int hub_sub_def_check(const struct hub_sub_def *d, int topic_fifo,
                      const struct hub_queue_def *(*find)(void *ud, const char *name), void *ud,
                      struct hub_bus_error *e);

void hub_queue_def_clear(struct hub_queue_def *d);
void hub_sub_def_clear(struct hub_sub_def *d);
void hub_topic_def_clear(struct hub_topic_def *d);
void hub_bridge_def_clear(struct hub_bridge_def *d);

/* 1 when name may be a bridged event: not empty, not a Socket.IO reserved name, not "bus:...". */
int hub_bridge_event_valid(const char *name);

#endif
