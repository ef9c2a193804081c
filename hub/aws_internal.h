/* aws_internal.h - what hub/aws.c (HTTP, routing, replies) shares with the SQS and SNS actions
 * (aws_sqs.c, aws_sns.c). Not a public interface.
 *
 * One struct aws_req per request, from the route handler to the reply. An action's run() starts
 * the work and answers with aws_reply() or aws_fail() - at once, or from a bus callback (the bus
 * never calls back from inside a call). Either frees the request; when the client went away first
 * (r->x NULL) they free it without writing. */
#ifndef HUB_AWS_INTERNAL_H
#define HUB_AWS_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "aws.h"
#include "aws_config.h"
#include "aws_query.h"
#include "bus.h"
#include "map.h"

enum aws_service { AWS_SQS, AWS_SNS };

struct aws_req;

struct aws_action {
    const char *name;
    const struct aws_member *query; /* the Query protocol's members (aws_query.h) */
    void (*run)(struct aws_req *r);
    int no_result; /* Query: no <ActionResult> element */
};

struct hub_aws {
    const struct hub_config *cfg;
    const struct hub_aws_config *acfg; /* cfg->aws, may be NULL */
    hub_bus *bus;                      /* borrowed; NULL: none yet, or taken away */
    char account[16], region[64];
    struct aws_req *reqs;              /* every request in progress */
    struct hub_map attempts;           /* ReceiveRequestAttemptId -> struct aws_attempt */
    struct aws_attempt *attempts_head; /* by expiry (insertion order; constant window) */
    struct aws_attempt *attempts_tail;
    uint64_t rid_prefix, rid_counter; /* request ids */
    struct aws_mobile *mobile;        /* SNS mobile push, SMS, data protection (aws_sns_mobile.h) */
};

struct aws_req {
    hub_aws *aws;
    hub_httpx *x; /* NULL once the client went away */
    struct aws_req *prev, *next;
    enum aws_service service;
    int json; /* 1: AWS JSON 1.0, 0: Query */
    const struct aws_action *action;
    json_t *in; /* the request's members (JSON protocol shape) */
    char id[HUB_BUS_UUID_LEN + 1];
    char base_url[320];                    /* scheme://host[:port] of queue URLs */
    char path_queue[HUB_BUS_NAME_MAX + 1]; /* a queue named by the request path, or "" */
    char sender[132];                      /* the SigV4 access key id, or "" */
    char queue[HUB_BUS_NAME_MAX + 1];      /* the queue the action works on */
    char topic[HUB_BUS_TOPIC_NAME_MAX + 1];
    /* long polls */
    uint64_t ticket;
    int polling;
    /* scratch of the action */
    json_t *out;    /* a result being built (freed with the request) */
    int step;       /* ListDeadLetterSourceQueues: 1 ("queueUrls") */
    int64_t n1;     /* MaxResults / ReturnSubscriptionArn */
    char text[512]; /* a repeated batch entry id, for the error text */
};

/* ---- replies (aws.c) ---- */

/* Answers with result (stolen; NULL: no output) and frees r. */
void aws_reply(struct aws_req *r, json_t *result);
/* Answers with the error of code err (a HUB_BUS_E*, or a generic HUB_E*: InternalFailure /
 * ServiceUnavailable) and a message (printf-style; NULL format: the code's own text), then frees
 * r. */
void aws_fail(struct aws_req *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answers with an error given by its parts (codes outside the bus's table) and frees r. shape is
 * the JSON __type (full, with its namespace), code the Query code. */
void aws_fail_raw(struct aws_req *r, int status, const char *shape, const char *code,
                  const char *message);
/* 1 when the client went away (the action should stop and aws_req_free). */
int aws_gone(const struct aws_req *r);
/* Frees r without answering. */
void aws_req_free(struct aws_req *r);
/* The bus, or NULL after aws_fail(r, HUB_ECLOSED) answered (the bus is gone). */
hub_bus *aws_bus(struct aws_req *r);

/* ---- request members (aws.c) ---- */

/* The string member name, or NULL when absent or not a string. */
const char *aws_in_str(const struct aws_req *r, const char *name);
/* An integer member (a JSON number, or its decimal text in Query). Returns 1 with *out set, 0 when
 * absent; on a bad value or one outside [min, max] answers InvalidParameterValue (naming it) and
 * returns -1 (r is freed). */
int aws_in_int(struct aws_req *r, const char *name, int64_t min, int64_t max, int64_t *out);
/* A boolean member (true/false, or "true"/"false"). 1 with *out set, 0 absent, -1 answered. */
int aws_in_bool(struct aws_req *r, const char *name, int *out);
/* A list of strings: a new array of n borrowed pointers in *out (hub_free it), NULL when absent.
 * Returns 0, or -1 after answering (not a list of strings, or out of memory). */
int aws_in_strings(struct aws_req *r, const char *name, const char ***out, size_t *n);
/* Answers MissingParameter for name when the string member is absent; returns it, or NULL. */
const char *aws_need_str(struct aws_req *r, const char *name);

/* ---- names, URLs, ARNs (aws.c) ---- */

/* Resolves the queue of the request (QueueUrl, or the request path) into r->queue. Returns 0, or -1
 * after answering (MissingParameter / QueueDoesNotExist). */
int aws_queue_from_request(struct aws_req *r);
/* Writes the URL of queue into buf (base URL + "/<account>/<name>"). */
void aws_queue_url(const struct aws_req *r, const char *queue, char *buf, size_t len);
/* Writes "arn:aws:<service>:<region>:<account>:<name>" into buf (as the bus forms ARNs). */
void aws_arn(const hub_aws *aws, const char *service, const char *name, char *buf, size_t len);
/* The queue name of a queue ARN of this account and region, or NULL (borrowed from arn). */
const char *aws_queue_arn_name(const hub_aws *aws, const char *arn);
/* The topic name of a topic ARN of this account and region, or NULL. */
const char *aws_topic_arn_name(const hub_aws *aws, const char *arn, char *buf, size_t len);
/* The topic name and subscription id of a subscription ARN, or -1. */
int aws_sub_arn_parse(const hub_aws *aws, const char *arn, char *topic, size_t tlen,
                      char id[HUB_BUS_UUID_LEN + 1]);

/* ---- the services ---- */

const struct aws_action *aws_sqs_action(const char *name);
const struct aws_action *aws_sns_action(const char *name);
/* Ends the ReceiveRequestAttemptId cache (aws_sqs.c). */
void aws_sqs_attempts_clear(hub_aws *aws);

/* ---- SNS helpers (aws_sns.c) ---- */

/* The topic of member (a topic ARN of this account and region) into r->topic. Returns 0, or -1
 * after answering (InvalidParameter / NotFound). */
int aws_sns_topic_from(struct aws_req *r, const char *member);
/* The text of an SNS publish error (InvalidParameter: what can be wrong with a message). */
const char *aws_sns_publish_error_text(int err);
/* A list's NextToken for the last item returned (text): new, hub_free it; NULL when out of
 * memory. */
char *aws_token_make(const char *text);
/* The text of a NextToken into buf. Returns 0, or -1 when it is not one of ours or too long. */
int aws_token_read(const char *token, char *buf, size_t len);

#endif
