/* bus.h - the event bus: SQS-style queues, SNS-style topics, and the store interface behind them.
 *
 * Two tables of asynchronous operations describe a back end: struct hub_queue_store_ops (queues and
 * their messages) and struct hub_topic_store_ops (topics and subscriptions). The in-memory back end
 * (adapters/memory/memory.h) is the single-node default; a Redis back end implements the same
 * tables. A hub_bus ties one queue store and one topic store together, validates requests the same
 * way for every back end, and fans a published message out to the topic's subscriptions: to queues,
 * to rooms of a namespace (through a hook the socket layer registers) and to HTTP(S) endpoints
 * (through a hook the HTTP delivery module registers). Everything that is not a wire format lives
 * here, so the AWS SQS/SNS wire APIs and the socket layer are thin layers over hub_bus_*.
 *
 * Names: stores know queues and topics by name ("orders", "events.fifo"; 1 to 80 characters of
 * [A-Za-z0-9_-], a FIFO name ends in ".fifo") and subscriptions by id (a UUID). ARNs are formed by
 * the bus from its region and account (hub_bus_queue_arn() ...); stores never see them.
 *
 * Time: durations in this interface are milliseconds, finer than SQS's seconds, so tests can use
 * short timeouts. The SQS attribute parser (hub_queue_config_parse) enforces SQS's ranges in
 * seconds; the struct-level API accepts any millisecond value. Timestamps are milliseconds since
 * the Unix epoch.
 *
 * Callback law (libuv's): an operation that returns an error never runs its callback; one that
 * returns 0 runs it exactly once, later, from the loop - never from inside the call. Arguments
 * passed in are borrowed for the duration of the call (a store copies what it keeps); arguments
 * passed to callbacks are borrowed for the duration of the callback (json_incref / copy to keep
 * them).
 *
 * Errors: 0 or a negative code: the generic HUB_E* of hub_err.h (HUB_ENOMEM, HUB_EINVAL,
 * HUB_ECLOSED when the store shuts down, HUB_EUNSUPPORTED for an operation a store does not
 * implement) or one of the SQS/SNS conditions below (HUB_BUS_E*), which hub_bus_error_name() names
 * as the AWS JSON protocol does. A store returns at once only for malformed arguments and memory;
 * conditions that depend on its state (QUEUE_DOES_NOT_EXIST, ...) arrive through the callback, as
 * they would from a remote store.
 *
 * Threading: one bus and its stores per event loop; no global mutable state. */
#ifndef HUB_BUS_H
#define HUB_BUS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sns_envelope.h"
#include <uv.h>

#include "hub_err.h"

/* ---- errors -------------------------------------------------------------------------------------
 */

/* X(name, code, JSON error shape, Query-protocol code, HTTP status, text). The shape is what the
 * AWS JSON protocol puts in "__type" (SQS) or the SNS error code; the Query code is SQS's <Code>
 * (SNS uses the shape). MESSAGE_TOO_LONG is a distinct condition that AWS reports as
 * InvalidParameterValue. */
#define HUB_BUS_ERRNO_MAP(X)                                                                       \
    X(QUEUE_DOES_NOT_EXIST, -100, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",  \
      400, "The specified queue does not exist.")                                                  \
    X(QUEUE_ALREADY_EXISTS, -101, "QueueNameExists", "QueueAlreadyExists", 400,                    \
      "A queue already exists with the same name and a different value for an attribute.")         \
    X(RECEIPT_HANDLE_IS_INVALID, -102, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 404,    \
      "The receipt handle is not valid (malformed, for another queue, or stale).")                 \
    X(MESSAGE_NOT_INFLIGHT, -103, "MessageNotInflight",                                            \
      "AWS.SimpleQueueService.MessageNotInflight", 400, "The message is not in flight.")           \
    X(MESSAGE_TOO_LONG, -104, "InvalidParameterValue", "InvalidParameterValue", 400,               \
      "The message is larger than the queue's MaximumMessageSize.")                                \
    X(INVALID_PARAMETER_VALUE, -105, "InvalidParameterValue", "InvalidParameterValue", 400,        \
      "A parameter value is not valid.")                                                           \
    X(MISSING_PARAMETER, -106, "MissingParameter", "MissingParameter", 400,                        \
      "A required parameter is missing.")                                                          \
    X(INVALID_ATTRIBUTE_NAME, -107, "InvalidAttributeName", "InvalidAttributeName", 400,           \
      "The attribute name is not valid.")                                                          \
    X(INVALID_ATTRIBUTE_VALUE, -108, "InvalidAttributeValue", "InvalidAttributeValue", 400,        \
      "The attribute value is not valid.")                                                         \
    X(INVALID_MESSAGE_CONTENTS, -109, "InvalidMessageContents", "InvalidMessageContents", 400,     \
      "The message contains characters outside the allowed set.")                                  \
    X(EMPTY_BATCH_REQUEST, -110, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest",  \
      400, "The batch request does not contain any entries.")                                      \
    X(TOO_MANY_ENTRIES_IN_BATCH_REQUEST, -111, "TooManyEntriesInBatchRequest",                     \
      "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400,                                  \
      "The batch request contains more than 10 entries.")                                          \
    X(BATCH_ENTRY_IDS_NOT_DISTINCT, -112, "BatchEntryIdsNotDistinct",                              \
      "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400,                                      \
      "Two or more batch entries have the same Id.")                                               \
    X(INVALID_BATCH_ENTRY_ID, -113, "InvalidBatchEntryId",                                         \
      "AWS.SimpleQueueService.InvalidBatchEntryId", 400,                                           \
      "A batch entry Id is not 1-80 characters of [A-Za-z0-9_-].")                                 \
    X(BATCH_REQUEST_TOO_LONG, -114, "BatchRequestTooLong",                                         \
      "AWS.SimpleQueueService.BatchRequestTooLong", 400,                                           \
      "The batch request is larger than the maximum total size.")                                  \
    X(PURGE_QUEUE_IN_PROGRESS, -115, "PurgeQueueInProgress",                                       \
      "AWS.SimpleQueueService.PurgeQueueInProgress", 403,                                          \
      "Only one PurgeQueue operation is allowed every 60 seconds.")                                \
    X(OVER_LIMIT, -116, "OverLimit", "OverLimit", 403,                                             \
      "Too many messages in flight for this queue.")                                               \
    X(UNSUPPORTED_OPERATION, -117, "UnsupportedOperation",                                         \
      "AWS.SimpleQueueService.UnsupportedOperation", 400,                                          \
      "The operation is not supported in this state.")                                             \
    X(RESOURCE_NOT_FOUND, -118, "ResourceNotFoundException", "ResourceNotFoundException", 404,     \
      "The message move task does not exist.")                                                     \
    X(NOT_FOUND, -119, "NotFound", "NotFound", 404, "The topic or subscription does not exist.")   \
    X(INVALID_PARAMETER, -120, "InvalidParameter", "InvalidParameter", 400,                        \
      "An SNS parameter is not valid.")

enum {
#define HUB_BUS_ERR_ENUM(name, code, shape, query, status, text) HUB_BUS_E##name = (code),
    HUB_BUS_ERRNO_MAP(HUB_BUS_ERR_ENUM)
#undef HUB_BUS_ERR_ENUM
};

/* The AWS JSON error shape of a HUB_BUS_E* code ("QueueDoesNotExist"); generic HUB_E* codes map to
 * "InternalFailure" (HUB_EUNSUPPORTED: "UnsupportedOperation"). Static strings. */
const char *hub_bus_error_name(int err);
/* The SQS Query-protocol <Code> ("AWS.SimpleQueueService.NonExistentQueue"). */
const char *hub_bus_error_query_code(int err);
/* The HTTP status AWS answers with (400, 403, 404; 500 for generic errors). */
int hub_bus_error_status(int err);
/* A human-readable text for any code (falls back to hub_strerror()). */
const char *hub_bus_strerror(int err);

/* ---- limits and defaults ------------------------------------------------------------------------
 */

#define HUB_BUS_NAME_MAX 80             /* queue names */
#define HUB_BUS_TOPIC_NAME_MAX 256      /* topic names */
#define HUB_BUS_BATCH_MAX 10            /* entries per batch, messages per receive */
#define HUB_BUS_BATCH_BYTES_MAX 1048576 /* total payload of one batch */
#define HUB_BUS_ATTRIBUTES_MAX 10       /* message attributes per message */
#define HUB_BUS_WAIT_MAX_MS 20000       /* long polling */
#define HUB_BUS_VISIBILITY_MAX_MS 43200000ULL
#define HUB_BUS_DELAY_MAX_MS 900000     /* per message and per queue */
#define HUB_BUS_SNS_MESSAGE_MAX 262144  /* SNS publish payload (message + attributes) */
#define HUB_BUS_DEDUP_WINDOW_MS 300000  /* FIFO de-duplication window */
#define HUB_BUS_PURGE_INTERVAL_MS 60000 /* one purge per queue per minute */
#define HUB_BUS_UUID_LEN 36             /* message ids, subscription ids, task handles */

/* ---- queues: data -------------------------------------------------------------------------------
 */

/* Bits of hub_queue_config.set: which fields a request gave. */
enum {
    HUB_QCFG_FIFO = 1u << 0,
    HUB_QCFG_CONTENT_DEDUP = 1u << 1,
    HUB_QCFG_VISIBILITY = 1u << 2,
    HUB_QCFG_DELAY = 1u << 3,
    HUB_QCFG_RETENTION = 1u << 4,
    HUB_QCFG_MAX_SIZE = 1u << 5,
    HUB_QCFG_WAIT = 1u << 6,
    HUB_QCFG_REDRIVE = 1u << 7, /* dlq + max_receive_count (dlq "" removes the policy) */
    HUB_QCFG_DEDUP_SCOPE = 1u << 8,
    HUB_QCFG_EXTRA = 1u << 9, /* the keys of extra (merged; a "" value removes a key) */
};

/* A queue's configuration. hub_queue_config_init() fills the SQS defaults. On create, the fields
 * named in set are compared with an existing queue of the same name (a difference is
 * QUEUE_ALREADY_EXISTS, as SQS does); on set-attributes only the fields named in set change. */
struct hub_queue_config {
    uint32_t set;           /* HUB_QCFG_* */
    int fifo;               /* FifoQueue; creation only, must match the ".fifo" suffix */
    int content_dedup;      /* ContentBasedDeduplication (FIFO) */
    uint64_t visibility_ms; /* VisibilityTimeout, default 30 s */
    uint64_t delay_ms;      /* DelaySeconds, default 0 */
    uint64_t retention_ms;  /* MessageRetentionPeriod, default 4 days (applies to new messages) */
    uint32_t max_message_size;      /* MaximumMessageSize, default 262144 bytes */
    uint64_t wait_ms;               /* ReceiveMessageWaitTimeSeconds, default 0 */
    char dlq[HUB_BUS_NAME_MAX + 1]; /* RedrivePolicy.deadLetterTargetArn as a queue name; "" none */
    uint32_t max_receive_count;     /* RedrivePolicy.maxReceiveCount (1..1000) */
    int dedup_scope_group;          /* DeduplicationScope=messageGroup (FIFO) */
    /* Owned (or NULL): attributes kept and echoed, not interpreted (string values): Policy,
     * RedriveAllowPolicy, FifoThroughputLimit, KmsMasterKeyId, KmsDataKeyReusePeriodSeconds,
     * SqsManagedSseEnabled. */
    json_t *extra;
};

/* Fills cfg with the SQS defaults, set = 0, extra = NULL. */
void hub_queue_config_init(struct hub_queue_config *cfg);
/* Releases cfg->extra. */
void hub_queue_config_clear(struct hub_queue_config *cfg);

/* A queue as a store reports it; borrowed for the duration of the callback. */
struct hub_queue_info {
    const char *name;
    const struct hub_queue_config *config;
    uint64_t created_ms, modified_ms; /* epoch ms */
    uint64_t visible;                 /* ApproximateNumberOfMessages */
    uint64_t inflight;                /* ...NotVisible */
    uint64_t delayed;                 /* ...Delayed */
    json_t *tags;                     /* {"key":"value"}, never NULL */
    int created;                      /* create: 1 when the call created it, 0 when it existed */
};

/* One message to send. Message attributes are in the SQS shape: {"Name":{"DataType":
 * "String"|"Number"|"Binary"[.custom], "StringValue":"..." | "BinaryValue":"<base64>"}}. */
struct hub_send_entry {
    const char *id;   /* batch entry id (1-80 of [A-Za-z0-9_-]); may be NULL when n == 1 */
    const char *body; /* UTF-8, not NUL-terminated necessarily */
    size_t body_len;
    json_t *attributes;        /* borrowed, or NULL */
    json_t *system_attributes; /* borrowed, or NULL ({"AWSTraceHeader":{...}}) */
    int64_t delay_ms;          /* -1: the queue's DelaySeconds; standard queues only */
    const char *group_id;      /* MessageGroupId: required on FIFO queues; kept on standard ones */
    const char *dedup_id;      /* MessageDeduplicationId: FIFO; required unless content-based */
    const char *sender_id;     /* SenderId to report on receive, or NULL */
};

/* The outcome of one send entry. A duplicate (FIFO, inside the window) succeeds with the message id
 * and sequence number of the original and is not enqueued again. */
struct hub_send_result {
    const char *id;           /* the entry's id (NULL when it had none) */
    int err;                  /* 0 or HUB_BUS_E* (MESSAGE_TOO_LONG, MISSING_PARAMETER, ...) */
    const char *message_id;   /* UUID v4 */
    uint64_t sequence_number; /* FIFO: increasing per queue; 0 on standard queues */
    int duplicate;
};

struct hub_receive_opts {
    uint32_t max_messages; /* 1..10; 0 means 1 */
    int64_t visibility_ms; /* -1: the queue's VisibilityTimeout */
    int64_t wait_ms;       /* -1: the queue's ReceiveMessageWaitTimeSeconds; 0..20000 */
};

/* A received message. The MD5s are the API layer's business (it has the body and attributes). */
struct hub_message {
    const char *message_id;
    const char *receipt_handle; /* opaque; identifies this receive, not the message */
    const char *body;
    size_t body_len;
    json_t *attributes;             /* SQS shape, or NULL */
    json_t *system_attributes;      /* or NULL */
    const char *sender_id;          /* or NULL */
    uint64_t sent_ms;               /* SentTimestamp */
    uint64_t first_receive_ms;      /* ApproximateFirstReceiveTimestamp */
    uint32_t receive_count;         /* ApproximateReceiveCount, this receive included */
    const char *group_id;           /* or NULL */
    const char *dedup_id;           /* FIFO, or NULL */
    uint64_t sequence_number;       /* FIFO, else 0 */
    const char *dead_letter_source; /* the queue it was moved from into this DLQ, or NULL */
};

/* A batch entry naming a receive: delete and change-visibility. */
struct hub_receipt_entry {
    const char *id; /* batch entry id; may be NULL when n == 1 */
    const char *receipt_handle;
    int64_t visibility_ms; /* change visibility only: 0..12 h from now */
};

struct hub_batch_result {
    const char *id;
    int err; /* 0, RECEIPT_HANDLE_IS_INVALID, MESSAGE_NOT_INFLIGHT, ... */
};

enum hub_move_status {
    HUB_MOVE_RUNNING,
    HUB_MOVE_COMPLETED,
    HUB_MOVE_CANCELLING,
    HUB_MOVE_CANCELLED,
    HUB_MOVE_FAILED,
};

/* A message move task (StartMessageMoveTask): moves the messages of a dead-letter queue back to the
 * queue each came from, or to a given queue. */
struct hub_move_task {
    const char *handle;      /* opaque task handle */
    const char *source;      /* the DLQ's name */
    const char *destination; /* a queue name, or NULL: each message's source queue */
    enum hub_move_status status;
    const char *failure_reason; /* FAILED: an error name, else NULL */
    uint64_t moved;             /* ApproximateNumberOfMessagesMoved */
    uint64_t to_move;           /* ApproximateNumberOfMessagesToMove (at start) */
    uint32_t max_per_second;    /* 0: as fast as the store can */
    uint64_t started_ms;
};

/* "RUNNING", "COMPLETED", ... as SQS spells them. */
const char *hub_move_status_name(enum hub_move_status s);

/* ---- queues: callbacks --------------------------------------------------------------------------
 */

typedef void (*hub_bus_done_cb)(void *ud, int err);
typedef void (*hub_queue_info_cb)(void *ud, int err, const struct hub_queue_info *info);
/* Names sorted in byte order. */
typedef void (*hub_bus_names_cb)(void *ud, int err, const char *const *names, size_t n);
/* err != 0: the whole request failed (QUEUE_DOES_NOT_EXIST ...), results NULL; otherwise one result
 * per entry, in the order of the entries. */
typedef void (*hub_send_cb)(void *ud, int err, const struct hub_send_result *results, size_t n);
typedef void (*hub_receive_cb)(void *ud, int err, const struct hub_message *msgs, size_t n);
typedef void (*hub_batch_cb)(void *ud, int err, const struct hub_batch_result *results, size_t n);
typedef void (*hub_move_cb)(void *ud, int err, const struct hub_move_task *task);
/* Most recent first. */
typedef void (*hub_move_list_cb)(void *ud, int err, const struct hub_move_task *tasks, size_t n);

/* ---- queues: the store interface ----------------------------------------------------------------
 */

/* A queue back end. self is the store object its constructor returned. Every operation follows the
 * callback law above. A NULL hook is an operation the store does not implement (the bus answers
 * HUB_EUNSUPPORTED). Stores validate what depends on queue state (existence, FIFO-ness, sizes
 * against MaximumMessageSize, receipt handles); the bus validates everything else before calling
 * them. */
struct hub_queue_store_ops {
    /* Frees the store. Pending callbacks (long polls) complete with HUB_ECLOSED from the loop;
     * memory still held is released by the loop (run it until uv_run returns). */
    void (*destroy)(void *self);

    /* Creates the queue or, when it exists with the same values for the fields in cfg->set, reports
     * it (info->created 0); different values: QUEUE_ALREADY_EXISTS. tags (borrowed, or NULL) apply
     * only to a new queue. A RedrivePolicy naming a missing queue or a queue of the other kind
     * (FIFO vs standard) is INVALID_PARAMETER_VALUE. */
    int (*create)(void *self, const char *name, const struct hub_queue_config *cfg, json_t *tags,
                  hub_queue_info_cb cb, void *ud);
    int (*get)(void *self, const char *name, hub_queue_info_cb cb, void *ud);
    /* Changes the fields in cfg->set (not FIFO-ness). */
    int (*set)(void *self, const char *name, const struct hub_queue_config *cfg, hub_bus_done_cb cb,
               void *ud);
    /* Deletes the queue and its messages; pending long polls on it complete with
     * QUEUE_DOES_NOT_EXIST. */
    int (*remove)(void *self, const char *name, hub_bus_done_cb cb, void *ud);
    /* Queue names starting with prefix (NULL or "": all). */
    int (*list)(void *self, const char *prefix, hub_bus_names_cb cb, void *ud);
    /* Adds or replaces tags ({"k":"v"}). */
    int (*tag)(void *self, const char *name, json_t *tags, hub_bus_done_cb cb, void *ud);
    int (*untag)(void *self, const char *name, const char *const *keys, size_t n,
                 hub_bus_done_cb cb, void *ud);

    /* Sends n (0..10) messages; n == 0 only checks that the queue exists. Entries arrive validated
     * for syntax (attributes, characters, delay range); the store checks sizes against the queue,
     * FIFO rules (group id, dedup id or content-based de-duplication, no per-message delay) and
     * de-duplicates. Messages become visible after their delay and wake long polls. */
    int (*send)(void *self, const char *queue, const struct hub_send_entry *entries, size_t n,
                hub_send_cb cb, void *ud);
    /* Receives up to opts->max_messages visible messages and makes them invisible for the
     * visibility timeout. With none visible and a wait time, waits until one arrives (a send, a
     * delay or a visibility timeout ending, a redrive) and answers at once, or answers with none
     * when the wait ends. FIFO: messages of one group in order, never while an earlier one of the
     * group is in flight. A message already received max_receive_count times moves to the
     * dead-letter queue instead. *ticket (may be NULL) receives a number for receive_cancel. */
    int (*receive)(void *self, const char *queue, const struct hub_receive_opts *opts,
                   hub_receive_cb cb, void *ud, uint64_t *ticket);
    /* Ends a pending long poll early: its callback runs (later) with HUB_ECLOSED and no messages.
     * HUB_ENOTFOUND when it already completed. Never runs a callback itself. */
    int (*receive_cancel)(void *self, uint64_t ticket);
    /* Deletes by receipt handle. A handle of a message that is gone succeeds (as SQS); a malformed
     * handle or a stale one (the message was received again since) is RECEIPT_HANDLE_IS_INVALID. */
    int (*delete_batch)(void *self, const char *queue, const struct hub_receipt_entry *entries,
                        size_t n, hub_batch_cb cb, void *ud);
    /* Sets the visibility timeout of in-flight messages to entries[i].visibility_ms from now (0
     * makes them visible at once). Not in flight: MESSAGE_NOT_INFLIGHT. */
    int (*change_visibility)(void *self, const char *queue, const struct hub_receipt_entry *entries,
                             size_t n, hub_batch_cb cb, void *ud);
    /* Deletes every message. A second purge within the purge interval: PURGE_QUEUE_IN_PROGRESS. */
    int (*purge)(void *self, const char *queue, hub_bus_done_cb cb, void *ud);

    /* Queues whose RedrivePolicy names dlq (ListDeadLetterSourceQueues). */
    int (*dlq_sources)(void *self, const char *dlq, hub_bus_names_cb cb, void *ud);
    /* Starts moving the visible messages of source (which must be some queue's DLQ; else
     * INVALID_PARAMETER_VALUE) to destination (NULL: each message's source queue), at most
     * max_per_second a second (0: no limit). One running task per source (else
     * UNSUPPORTED_OPERATION). Moved messages restart with a receive count of 0. */
    int (*move_start)(void *self, const char *source, const char *destination,
                      uint32_t max_per_second, hub_move_cb cb, void *ud);
    /* The recent tasks of source (up to 10, most recent first). */
    int (*move_list)(void *self, const char *source, hub_move_list_cb cb, void *ud);
    /* Cancels a running task (RESOURCE_NOT_FOUND: unknown handle; UNSUPPORTED_OPERATION: not
     * running). Messages moved so far stay moved. */
    int (*move_cancel)(void *self, const char *handle, hub_move_cb cb, void *ud);
};

/* ---- topics: data -------------------------------------------------------------------------------
 */

enum {
    HUB_TCFG_FIFO = 1u << 0,
    HUB_TCFG_CONTENT_DEDUP = 1u << 1,
    HUB_TCFG_EXTRA = 1u << 2,
};

/* A topic's configuration. */
struct hub_topic_config {
    uint32_t set;      /* HUB_TCFG_* */
    int fifo;          /* FifoTopic; creation only, must match the ".fifo" suffix */
    int content_dedup; /* ContentBasedDeduplication */
    json_t *extra;     /* owned or NULL: DisplayName, Policy, DeliveryPolicy, KmsMasterKeyId,
                        * SignatureVersion, TracingConfig, ArchivePolicy, FifoThroughputScope */
};

void hub_topic_config_init(struct hub_topic_config *cfg);
void hub_topic_config_clear(struct hub_topic_config *cfg);

struct hub_topic_info {
    const char *name;
    const struct hub_topic_config *config;
    uint64_t created_ms;
    uint64_t subs_confirmed, subs_pending, subs_deleted;
    json_t *tags; /* never NULL */
    int created;
};

enum {
    HUB_SCFG_RAW = 1u << 0,
    HUB_SCFG_FILTER = 1u << 1, /* filter_policy ("" or NULL removes it) */
    HUB_SCFG_FILTER_SCOPE = 1u << 2,
    HUB_SCFG_REDRIVE = 1u << 3, /* redrive_policy ("" or NULL removes it) */
    HUB_SCFG_EXTRA = 1u << 4,
};

/* A subscription's configuration: the SNS subscription attributes. Strings are borrowed. */
struct hub_sub_config {
    uint32_t set;               /* HUB_SCFG_* */
    int raw;                    /* RawMessageDelivery */
    const char *filter_policy;  /* FilterPolicy (JSON text) */
    int filter_scope_body;      /* FilterPolicyScope: MessageAttributes (0) or MessageBody (1) */
    const char *redrive_policy; /* RedrivePolicy: {"deadLetterTargetArn":"<queue arn>"} */
    json_t *extra;              /* owned or NULL: DeliveryPolicy, SubscriptionRoleArn, ... */
};

void hub_sub_config_init(struct hub_sub_config *cfg);
void hub_sub_config_clear(struct hub_sub_config *cfg);

/* Subscription protocols. "room" is Hubbub's: endpoint "<namespace>#<room>" (the namespace is what
 * precedes the first '#'), delivered to the sockets of that room as an event. */
#define HUB_PROTO_SQS "sqs"
#define HUB_PROTO_HTTP "http"
#define HUB_PROTO_HTTPS "https"
#define HUB_PROTO_ROOM "room"
/* Mobile push and SMS (SNS's own): "application" takes a platform endpoint ARN
 * (arn:aws:sns:<region>:<account>:endpoint/<platform>/<app>/<id>) and "sms" a phone number
 * (hub_bus_phone_valid). Standard topics only; handed to the mobile hook. */
#define HUB_PROTO_APPLICATION "application"
#define HUB_PROTO_SMS "sms"

/* A subscription as a store reports it; borrowed for the duration of the callback. */
struct hub_subscription {
    const char *id;       /* UUID; the ARN is "<topic arn>:<id>" */
    const char *topic;    /* topic name */
    const char *protocol; /* HUB_PROTO_* */
    const char *endpoint; /* sqs: queue ARN; http(s): URL; room: "<nsp>#<room>" */
    int pending;          /* http(s) until confirmed; pending ones get no notifications */
    const char *token;    /* the confirmation token while pending, else NULL */
    int raw;
    const char *filter_policy; /* or NULL */
    int filter_scope_body;
    const char *redrive_policy; /* or NULL */
    json_t *extra;              /* never NULL */
    uint64_t created_ms;
};

/* One message to publish. */
struct hub_publish_entry {
    const char *id;      /* batch entry id; may be NULL when n == 1 */
    const char *message; /* UTF-8 */
    size_t message_len;
    const char *subject;  /* or NULL */
    int structure_json;   /* MessageStructure=json: message is {"default":..., "sqs":..., ...} */
    json_t *attributes;   /* SNS attributes in the SQS shape (DataType String, String.Array,
                           * Number, Binary), borrowed or NULL */
    const char *group_id; /* FIFO topics: required */
    const char *dedup_id; /* FIFO topics: required unless content-based */
};

struct hub_publish_result {
    const char *id;
    int err;
    const char *message_id;
    uint64_t sequence_number; /* FIFO topics */
    const char *dedup_id;     /* FIFO: the effective de-duplication id (content hash or given) */
    int duplicate;            /* de-duplicated: not delivered again */
};

typedef void (*hub_topic_info_cb)(void *ud, int err, const struct hub_topic_info *info);
typedef void (*hub_sub_cb)(void *ud, int err, const struct hub_subscription *sub);
typedef void (*hub_sub_list_cb)(void *ud, int err, const struct hub_subscription *subs, size_t n);
typedef void (*hub_publish_cb)(void *ud, int err, const struct hub_publish_result *results,
                               size_t n);
/* The store's publish answer: the results, the topic's confirmed subscriptions at that moment and
 * its SignatureVersion attribute (NULL when not set), for the bus to fan out to. */
typedef void (*hub_topic_publish_cb)(void *ud, int err, const struct hub_publish_result *results,
                                     size_t n, const struct hub_subscription *subs, size_t nsubs,
                                     const char *signature_version);

/* ---- topics: the store interface ----------------------------------------------------------------
 */

struct hub_topic_store_ops {
    void (*destroy)(void *self);

    /* Creates the topic or reports the existing one (same values for the fields in cfg->set;
     * different: INVALID_PARAMETER). tags apply to a new topic. */
    int (*create)(void *self, const char *name, const struct hub_topic_config *cfg, json_t *tags,
                  hub_topic_info_cb cb, void *ud);
    int (*get)(void *self, const char *name, hub_topic_info_cb cb, void *ud);
    int (*set)(void *self, const char *name, const struct hub_topic_config *cfg, hub_bus_done_cb cb,
               void *ud);
    /* Deletes the topic and its subscriptions. Deleting a missing topic succeeds (as SNS). */
    int (*remove)(void *self, const char *name, hub_bus_done_cb cb, void *ud);
    int (*list)(void *self, hub_bus_names_cb cb, void *ud);
    int (*tag)(void *self, const char *name, json_t *tags, hub_bus_done_cb cb, void *ud);
    int (*untag)(void *self, const char *name, const char *const *keys, size_t n,
                 hub_bus_done_cb cb, void *ud);

    /* Subscribes; the same protocol and endpoint on the same topic reports the existing
     * subscription (different attributes: INVALID_PARAMETER). http and https subscriptions start
     * pending with a new token; others are confirmed at once. */
    int (*subscribe)(void *self, const char *topic, const char *protocol, const char *endpoint,
                     const struct hub_sub_config *cfg, hub_sub_cb cb, void *ud);
    /* Confirms the pending subscription of topic holding token (else NOT_FOUND /
     * INVALID_PARAMETER). */
    int (*confirm)(void *self, const char *topic, const char *token, hub_sub_cb cb, void *ud);
    int (*unsubscribe)(void *self, const char *sub_id, hub_bus_done_cb cb, void *ud);
    int (*sub_get)(void *self, const char *sub_id, hub_sub_cb cb, void *ud);
    int (*sub_set)(void *self, const char *sub_id, const struct hub_sub_config *cfg,
                   hub_bus_done_cb cb, void *ud);
    /* The subscriptions of topic (NULL: all), in creation order. */
    int (*sub_list)(void *self, const char *topic, hub_sub_list_cb cb, void *ud);

    /* Assigns message ids (and FIFO sequence numbers, de-duplicating inside the window per topic);
     * n == 0 only checks that the topic exists. Entries arrive validated for syntax; the store
     * checks the FIFO rules. Delivery is the bus's job. */
    int (*publish)(void *self, const char *topic, const struct hub_publish_entry *entries, size_t n,
                   hub_topic_publish_cb cb, void *ud);
};

/* ---- the bus ------------------------------------------------------------------------------------
 */

typedef struct hub_bus hub_bus;

struct hub_bus_options {
    const char *region;         /* ARNs; default "us-east-1" */
    const char *account;        /* default "000000000000" */
    const char *public_url;     /* base of UnsubscribeURL/SubscribeURL in SNS envelopes, default
                                 * "http://localhost:3000" */
    const char *signing_secret; /* HMAC key of X-Hubbub-Signature (sns_envelope.h); NULL: empty */
    /* The RSA key envelopes are signed with (sns_key.h; the bus takes a reference). NULL: the bus
     * generates one when it first needs it (hub_bus_signing_key). */
    hub_sns_key *signing_key;
    /* SigningCertURL; NULL: the key's certificate under public_url's origin
     * (hub_sns_key_cert_url). */
    const char *signing_cert_url;
};

/* A notification for a sink (HTTP or room). Borrowed for the duration of the hook call. */
struct hub_notification {
    const char *type;  /* "Notification" or "SubscriptionConfirmation" */
    const char *topic; /* topic name */
    const char *topic_arn;
    const char *subscription_arn;
    const char *message_id;
    const char *subject; /* or NULL */
    const char *message; /* the message for this subscription's protocol (MessageStructure) */
    size_t message_len;
    json_t *attributes; /* SQS shape, or NULL */
    uint64_t timestamp_ms;
    const char *token;    /* SubscriptionConfirmation only */
    const char *group_id; /* FIFO topics */
    const char *dedup_id;
    uint64_t sequence_number;
    const char *message_structure; /* "json" when published with MessageStructure=json, else NULL */
    int signature_version;         /* the topic's SignatureVersion: 1 (also for 0) or 2 */
};

/* Room hook: a message for the sockets of room in namespace nsp. body is the raw message when the
 * subscription has RawMessageDelivery, else the SNS JSON envelope; attributes in the SQS shape or
 * NULL. All arguments are borrowed for the call. */
typedef void (*hub_bus_room_sink)(void *ud, const char *nsp, const char *room, const char *topic,
                                  const char *message_id, const char *body, size_t body_len,
                                  json_t *attributes);
/* HTTP hook: deliver n to sub->endpoint (envelope, signature, retries are the hook's business;
 * hub_bus_envelope() builds the signed envelope). Called for notifications of confirmed
 * subscriptions and for the SubscriptionConfirmation of a new http(s) subscription. */
typedef void (*hub_bus_http_sink)(void *ud, const struct hub_subscription *sub,
                                  const struct hub_notification *n);
/* Mobile hook: a notification for an "application" or "sms" subscription (n->message is the
 * message for the endpoint's platform, or for "sms", under MessageStructure=json). */
typedef void (*hub_bus_mobile_sink)(void *ud, const struct hub_subscription *sub,
                                    const struct hub_notification *n);

/* Returns a new bus on loop that owns the two stores (destroyed with it), or NULL (the stores are
 * then still the caller's). opts may be NULL (defaults); its strings are copied. */
hub_bus *hub_bus_new(uv_loop_t *loop, const struct hub_queue_store_ops *qops, void *qstore,
                     const struct hub_topic_store_ops *tops, void *tstore,
                     const struct hub_bus_options *opts);
/* Destroys the stores and frees the bus. Pending callbacks complete with HUB_ECLOSED from the loop;
 * run it until uv_run returns. NULL is a no-op. */
void hub_bus_free(hub_bus *bus);
uv_loop_t *hub_bus_loop(const hub_bus *bus);

/* Registers the hooks (fn NULL removes one). Without a room hook room deliveries are dropped;
 * without an HTTP hook http(s) subscriptions stay pending and get nothing. */
void hub_bus_set_room_sink(hub_bus *bus, hub_bus_room_sink fn, void *ud);
void hub_bus_set_http_sink(hub_bus *bus, hub_bus_http_sink fn, void *ud);
/* Without a mobile hook "application" and "sms" deliveries are dropped. */
void hub_bus_set_mobile_sink(hub_bus *bus, hub_bus_mobile_sink fn, void *ud);

/* ARNs, written to buf (NUL-terminated; HUB_ETOOBIG when len is too small). */
int hub_bus_queue_arn(const hub_bus *bus, const char *name, char *buf, size_t len);
int hub_bus_topic_arn(const hub_bus *bus, const char *name, char *buf, size_t len);
int hub_bus_subscription_arn(const hub_bus *bus, const char *topic, const char *sub_id, char *buf,
                             size_t len);
/* The resource name of an ARN (its last ':' field), or of a URL (its last path segment), or name
 * itself; borrowed from s. NULL when empty. */
const char *hub_bus_arn_name(const char *s);

/* Queue operations: the store's, after validation. See struct hub_queue_store_ops for semantics. */
int hub_bus_queue_create(hub_bus *bus, const char *name, const struct hub_queue_config *cfg,
                         json_t *tags, hub_queue_info_cb cb, void *ud);
int hub_bus_queue_get(hub_bus *bus, const char *name, hub_queue_info_cb cb, void *ud);
int hub_bus_queue_set(hub_bus *bus, const char *name, const struct hub_queue_config *cfg,
                      hub_bus_done_cb cb, void *ud);
int hub_bus_queue_delete(hub_bus *bus, const char *name, hub_bus_done_cb cb, void *ud);
int hub_bus_queue_list(hub_bus *bus, const char *prefix, hub_bus_names_cb cb, void *ud);
int hub_bus_queue_tag(hub_bus *bus, const char *name, json_t *tags, hub_bus_done_cb cb, void *ud);
int hub_bus_queue_untag(hub_bus *bus, const char *name, const char *const *keys, size_t n,
                        hub_bus_done_cb cb, void *ud);
/* Batch checks (returned at once, no callback): EMPTY_BATCH_REQUEST,
 * TOO_MANY_ENTRIES_IN_BATCH_REQUEST, INVALID_BATCH_ENTRY_ID, BATCH_ENTRY_IDS_NOT_DISTINCT,
 * BATCH_REQUEST_TOO_LONG. Entry checks become that entry's result: MISSING_PARAMETER (empty body),
 * INVALID_MESSAGE_CONTENTS, INVALID_PARAMETER_VALUE (attributes, delay), MESSAGE_TOO_LONG. */
int hub_bus_send(hub_bus *bus, const char *queue, const struct hub_send_entry *entries, size_t n,
                 hub_send_cb cb, void *ud);
/* INVALID_PARAMETER_VALUE at once for max_messages > 10, wait > 20 s, visibility > 12 h. */
int hub_bus_receive(hub_bus *bus, const char *queue, const struct hub_receive_opts *opts,
                    hub_receive_cb cb, void *ud, uint64_t *ticket);
int hub_bus_receive_cancel(hub_bus *bus, uint64_t ticket);
int hub_bus_delete(hub_bus *bus, const char *queue, const struct hub_receipt_entry *entries,
                   size_t n, hub_batch_cb cb, void *ud);
int hub_bus_change_visibility(hub_bus *bus, const char *queue,
                              const struct hub_receipt_entry *entries, size_t n, hub_batch_cb cb,
                              void *ud);
int hub_bus_purge(hub_bus *bus, const char *queue, hub_bus_done_cb cb, void *ud);
int hub_bus_dlq_sources(hub_bus *bus, const char *dlq, hub_bus_names_cb cb, void *ud);
int hub_bus_move_start(hub_bus *bus, const char *source, const char *destination,
                       uint32_t max_per_second, hub_move_cb cb, void *ud);
int hub_bus_move_list(hub_bus *bus, const char *source, hub_move_list_cb cb, void *ud);
int hub_bus_move_cancel(hub_bus *bus, const char *handle, hub_move_cb cb, void *ud);

/* Topic operations. Subscribing validates the protocol (sqs/http/https/room), the endpoint, and the
 * filter policy (compiled: INVALID_PARAMETER with the reason when it does not compile); a FIFO
 * topic takes only FIFO queues, a standard one only standard queues. A new http(s) subscription's
 * SubscriptionConfirmation goes to the HTTP hook. */
int hub_bus_topic_create(hub_bus *bus, const char *name, const struct hub_topic_config *cfg,
                         json_t *tags, hub_topic_info_cb cb, void *ud);
int hub_bus_topic_get(hub_bus *bus, const char *name, hub_topic_info_cb cb, void *ud);
int hub_bus_topic_set(hub_bus *bus, const char *name, const struct hub_topic_config *cfg,
                      hub_bus_done_cb cb, void *ud);
int hub_bus_topic_delete(hub_bus *bus, const char *name, hub_bus_done_cb cb, void *ud);
int hub_bus_topic_list(hub_bus *bus, hub_bus_names_cb cb, void *ud);
int hub_bus_topic_tag(hub_bus *bus, const char *name, json_t *tags, hub_bus_done_cb cb, void *ud);
int hub_bus_topic_untag(hub_bus *bus, const char *name, const char *const *keys, size_t n,
                        hub_bus_done_cb cb, void *ud);
int hub_bus_subscribe(hub_bus *bus, const char *topic, const char *protocol, const char *endpoint,
                      const struct hub_sub_config *cfg, hub_sub_cb cb, void *ud);
int hub_bus_confirm_subscription(hub_bus *bus, const char *topic, const char *token, hub_sub_cb cb,
                                 void *ud);
int hub_bus_unsubscribe(hub_bus *bus, const char *sub_id, hub_bus_done_cb cb, void *ud);
int hub_bus_subscription_get(hub_bus *bus, const char *sub_id, hub_sub_cb cb, void *ud);
int hub_bus_subscription_set(hub_bus *bus, const char *sub_id, const struct hub_sub_config *cfg,
                             hub_bus_done_cb cb, void *ud);
int hub_bus_subscriptions_list(hub_bus *bus, const char *topic, hub_sub_list_cb cb, void *ud);
/* Publishes (batch up to 10) and fans each new message out to the confirmed subscriptions whose
 * filter policy matches: sqs -> sent to the queue (the SNS envelope as body, or with
 * RawMessageDelivery the message as body and the attributes as message attributes; FIFO group and
 * dedup ids carried; a failed send goes to the subscription's RedrivePolicy queue when it has one),
 * room -> the room hook, http(s)
 * -> the HTTP hook. cb runs once the store accepted the messages (queue sends are under way). Entry
 * checks as hub_bus_send(), plus INVALID_PARAMETER for a bad MessageStructure=json message. */
int hub_bus_publish(hub_bus *bus, const char *topic, const struct hub_publish_entry *entries,
                    size_t n, hub_publish_cb cb, void *ud);
/* Checks one entry as hub_bus_publish does (message text, subject, attributes, size, FIFO ids,
 * MessageStructure=json with a "default" string and string values only). Returns 0 with
 * *structure a new reference to the parsed MessageStructure object (NULL without one), or
 * INVALID_PARAMETER / HUB_ENOMEM. For publishes that bypass topics (SNS's direct publish). */
int hub_bus_publish_check(const struct hub_publish_entry *e, json_t **structure);
/* The message for key (a protocol, or a mobile platform) in a MessageStructure=json object: its
 * string under key, else under "default". Borrowed from structure; *len its length. */
const char *hub_bus_structure_message(const json_t *structure, const char *key, size_t *len);

/* ---- SQS/SNS attribute names <-> configurations (for the wire APIs) -----------------------------
 */

/* Parses SQS queue attributes ({"VisibilityTimeout":"60", ...}; values strings, numbers or
 * booleans) into cfg (initialise it first), with SQS's ranges. creating: FifoQueue is allowed.
 * Returns 0, INVALID_ATTRIBUTE_NAME (unknown, or FifoQueue when not creating) or
 * INVALID_ATTRIBUTE_VALUE, naming the attribute in *bad (borrowed from attrs) when bad is not NULL.
 */
int hub_queue_config_parse(struct hub_queue_config *cfg, const json_t *attrs, int creating,
                           const char **bad);
/* Writes the requested SQS attributes of info into a new object *out ({"Name":"value"} strings).
 * names: "All", or SQS names (NULL/n == 0: none). An unknown name: INVALID_ATTRIBUTE_NAME. */
int hub_queue_info_attributes(const hub_bus *bus, const struct hub_queue_info *info,
                              const char *const *names, size_t n, json_t **out);
/* The same for topics (SNS: all attributes) and subscriptions. INVALID_PARAMETER on a bad one. */
int hub_topic_config_parse(struct hub_topic_config *cfg, const json_t *attrs, int creating,
                           const char **bad);
int hub_topic_info_attributes(const hub_bus *bus, const struct hub_topic_info *info, json_t **out);
/* Strings in cfg are borrowed from attrs. */
int hub_sub_config_parse(struct hub_sub_config *cfg, const json_t *attrs, const char **bad);
int hub_subscription_attributes(const hub_bus *bus, const struct hub_subscription *sub,
                                json_t **out);

/* The key the bus signs envelopes with (borrowed; it lives as long as the bus): the one
 * hub_bus_options gave, else one generated on the first call. NULL when that failed. */
const hub_sns_key *hub_bus_signing_key(hub_bus *bus);
/* The SigningCertURL of the bus's envelopes (borrowed), or NULL as hub_bus_signing_key. */
const char *hub_bus_signing_cert_url(hub_bus *bus);

/* What the bus signs for notification n: the SNS message (a Notification, or a
 * SubscriptionConfirmation when n has a token) with UnsubscribeURL/SubscribeURL under the bus's
 * public_url, and the signer (the bus's secret, key and SigningCertURL, n's SignatureVersion).
 * hub_bus_sns_prepare copies what it needs: n may go once it returns. */
struct hub_bus_sns {
    struct hub_sns_message m;
    struct hub_sns_signer signer;
    char seq[24];
    char *url, *message; /* owned */
};
/* Fills s for n. Returns 0 (release s with hub_bus_sns_release), HUB_EIO (no signing key) or
 * HUB_ENOMEM; on failure there is nothing to release. */
int hub_bus_sns_prepare(hub_bus *bus, const struct hub_notification *n, struct hub_bus_sns *s);
void hub_bus_sns_release(struct hub_bus_sns *s);

/* The SNS JSON envelope of n, as sns_envelope.h builds it from hub_bus_sns_prepare's message and
 * signer. Returns 0 with a new NUL-terminated body in *out (hub_free) and its length in *len,
 * HUB_EINVAL, HUB_EIO or HUB_ENOMEM. */
int hub_bus_envelope(hub_bus *bus, const struct hub_notification *n, char **out, size_t *len);

/* ---- helpers for store implementations ----------------------------------------------------------
 */

/* Writes a random UUID v4 (36 characters and a NUL). */
void hub_bus_uuid(char out[HUB_BUS_UUID_LEN + 1]);
/* Lowercase hex SHA-256 of data (64 characters and a NUL): content-based de-duplication ids. */
void hub_bus_sha256_hex(const void *data, size_t len, char out[65]);
/* Size SQS counts against MaximumMessageSize: body plus each attribute's name, data type and value
 * (binary values decoded). */
size_t hub_bus_message_size(size_t body_len, const json_t *attributes);
/* 1 when name is a valid queue name (topic 0: 1-80 characters) or topic name (topic 1: 1-256) of
 * [A-Za-z0-9_-], optionally ending in ".fifo". */
int hub_bus_name_valid(const char *name, int topic);
/* 1 when s is a phone number SNS takes (E.164 as SNS and LocalStack check it: an optional '+',
 * then 2 to 15 digits, the first not 0). */
int hub_bus_phone_valid(const char *s);
/* The platform of a platform endpoint ARN "arn:aws:sns:<region>:<account>:endpoint/<platform>/
 * <app>/<id>" (every part non-empty, no more '/') into buf. Returns 0, or -1 when arn is not one
 * (or the platform does not fit). */
int hub_bus_endpoint_platform(const char *arn, char *buf, size_t len);

/* Receipt handles as the in-memory store makes them: base64url of (queue incarnation, message id,
 * receive number), 43 characters. Decode returns 0 or RECEIPT_HANDLE_IS_INVALID. */
#define HUB_RECEIPT_HANDLE_LEN 43
void hub_receipt_handle_encode(uint64_t queue_id, const char *message_id, uint64_t receive_no,
                               char out[HUB_RECEIPT_HANDLE_LEN + 1]);
int hub_receipt_handle_decode(const char *handle, uint64_t *queue_id,
                              char message_id[HUB_BUS_UUID_LEN + 1], uint64_t *receive_no);

/* Current wall-clock time in ms since the epoch. */
uint64_t hub_bus_now_ms(void);

#endif
