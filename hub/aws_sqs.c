/* aws_sqs.c - the SQS actions over the bus (aws_internal.h). Each action reads its members in the
 * JSON protocol's shape (the Query protocol's were converted by aws.c), calls the bus and answers
 * with the JSON protocol's result object (aws.c writes it as JSON or XML). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "aws_crypto.h"
#include "aws_internal.h"
#include "b64.h"
#include "hub_alloc.h"
#include "hub_err.h"

#define ATTEMPT_WINDOW_MS (5 * 60 * 1000)
#define LIST_MAX 1000

/* ---- Query members ---- */

#define M_SCALAR(name)                                                                             \
    {                                                                                              \
        name, name, AWS_M_SCALAR, NULL, NULL, NULL, NULL, NULL                                     \
    }
#define M_END                                                                                      \
    {                                                                                              \
        NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL                                                \
    }

static const struct aws_member attr_value_members[] = {
    M_SCALAR("DataType"), M_SCALAR("StringValue"), M_SCALAR("BinaryValue"), M_END};

#define M_QUEUE_URL M_SCALAR("QueueUrl")
#define M_ATTRIBUTES                                                                               \
    {                                                                                              \
        "Attributes", "Attribute", AWS_M_MAP, NULL, "Name", "Value", NULL, NULL                    \
    }
#define M_MSG_ATTRS                                                                                \
    {                                                                                              \
        "MessageAttributes", "MessageAttribute", AWS_M_MAP, NULL, "Name", "Value",                 \
            attr_value_members, NULL                                                               \
    }
#define M_SYS_ATTRS                                                                                \
    {                                                                                              \
        "MessageSystemAttributes", "MessageSystemAttribute", AWS_M_MAP, NULL, "Name", "Value",     \
            attr_value_members, NULL                                                               \
    }
#define M_LIST(json, loc)                                                                          \
    {                                                                                              \
        json, loc, AWS_M_LIST, NULL, NULL, NULL, NULL, NULL                                        \
    }
#define M_ENTRIES(loc, members)                                                                    \
    {                                                                                              \
        "Entries", loc, AWS_M_STRUCT_LIST, NULL, NULL, NULL, members, "Entries"                    \
    }

static const struct aws_member q_create[] = {
    M_SCALAR("QueueName"),
    M_ATTRIBUTES,
    {"tags", "Tag", AWS_M_MAP, NULL, "Key", "Value", NULL, NULL},
    M_END,
};
static const struct aws_member q_get_url[] = {M_SCALAR("QueueName"),
                                              M_SCALAR("QueueOwnerAWSAccountId"), M_END};
static const struct aws_member q_list[] = {M_SCALAR("QueueNamePrefix"), M_SCALAR("NextToken"),
                                           M_SCALAR("MaxResults"), M_END};
static const struct aws_member q_queue[] = {M_QUEUE_URL, M_END};
static const struct aws_member q_get_attrs[] = {M_QUEUE_URL,
                                                M_LIST("AttributeNames", "AttributeName"), M_END};
static const struct aws_member q_set_attrs[] = {M_QUEUE_URL, M_ATTRIBUTES, M_END};
static const struct aws_member send_members[] = {
    M_SCALAR("Id"),
    M_SCALAR("MessageBody"),
    M_SCALAR("DelaySeconds"),
    M_MSG_ATTRS,
    M_SYS_ATTRS,
    M_SCALAR("MessageDeduplicationId"),
    M_SCALAR("MessageGroupId"),
    M_END,
};
static const struct aws_member q_send[] = {
    M_QUEUE_URL,
    M_SCALAR("MessageBody"),
    M_SCALAR("DelaySeconds"),
    M_MSG_ATTRS,
    M_SYS_ATTRS,
    M_SCALAR("MessageDeduplicationId"),
    M_SCALAR("MessageGroupId"),
    M_END,
};
static const struct aws_member q_send_batch[] = {
    M_QUEUE_URL, M_ENTRIES("SendMessageBatchRequestEntry", send_members), M_END};
static const struct aws_member q_receive[] = {
    M_QUEUE_URL,
    M_LIST("AttributeNames", "AttributeName"),
    M_LIST("MessageSystemAttributeNames", "MessageSystemAttributeName"),
    M_LIST("MessageAttributeNames", "MessageAttributeName"),
    M_SCALAR("MaxNumberOfMessages"),
    M_SCALAR("VisibilityTimeout"),
    M_SCALAR("WaitTimeSeconds"),
    M_SCALAR("ReceiveRequestAttemptId"),
    M_END,
};
static const struct aws_member q_delete[] = {M_QUEUE_URL, M_SCALAR("ReceiptHandle"), M_END};
static const struct aws_member delete_members[] = {M_SCALAR("Id"), M_SCALAR("ReceiptHandle"),
                                                   M_END};
static const struct aws_member q_delete_batch[] = {
    M_QUEUE_URL, M_ENTRIES("DeleteMessageBatchRequestEntry", delete_members), M_END};
static const struct aws_member q_change[] = {M_QUEUE_URL, M_SCALAR("ReceiptHandle"),
                                             M_SCALAR("VisibilityTimeout"), M_END};
static const struct aws_member change_members[] = {M_SCALAR("Id"), M_SCALAR("ReceiptHandle"),
                                                   M_SCALAR("VisibilityTimeout"), M_END};
static const struct aws_member q_change_batch[] = {
    M_QUEUE_URL, M_ENTRIES("ChangeMessageVisibilityBatchRequestEntry", change_members), M_END};
static const struct aws_member q_tag[] = {
    M_QUEUE_URL, {"Tags", "Tag", AWS_M_MAP, NULL, "Key", "Value", NULL, NULL}, M_END};
static const struct aws_member q_untag[] = {M_QUEUE_URL, M_LIST("TagKeys", "TagKey"), M_END};
static const struct aws_member q_dlq[] = {M_QUEUE_URL, M_SCALAR("NextToken"),
                                          M_SCALAR("MaxResults"), M_END};
static const struct aws_member q_move_start[] = {M_SCALAR("SourceArn"), M_SCALAR("DestinationArn"),
                                                 M_SCALAR("MaxNumberOfMessagesPerSecond"), M_END};
static const struct aws_member q_move_cancel[] = {M_SCALAR("TaskHandle"), M_END};
static const struct aws_member q_move_list[] = {M_SCALAR("SourceArn"), M_SCALAR("MaxResults"),
                                                M_END};
static const struct aws_member q_add_perm[] = {M_QUEUE_URL, M_SCALAR("Label"),
                                               M_LIST("AWSAccountIds", "AWSAccountId"),
                                               M_LIST("Actions", "ActionName"), M_END};
static const struct aws_member q_remove_perm[] = {M_QUEUE_URL, M_SCALAR("Label"), M_END};

/* ---- shared callbacks and helpers ---- */

static void on_done(void *ud, int err)
{
    struct aws_req *r = ud;
    if (err)
        aws_fail(r, err, NULL);
    else
        aws_reply(r, NULL);
}

/* Answers the immediate error of a bus call (rc != 0). */
static void started(struct aws_req *r, int rc)
{
    if (rc) aws_fail(r, rc, NULL);
}

static int set_str(json_t *o, const char *k, const char *v)
{
    return json_object_set_new(o, k, json_string(v));
}

static int set_u64(json_t *o, const char *k, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return set_str(o, k, buf);
}

static void sequence_text(uint64_t seq, char buf[24])
{
    snprintf(buf, 24, "%020" PRIu64, seq);
}

/* NextToken: base64 of the last name returned. */
static char *token_make(const char *name)
{
    size_t n = strlen(name);
    char *t = hub_malloc(b64_encoded_len(n) + 1);
    if (t) t[b64_encode((const uint8_t *)name, n, t)] = '\0';
    return t;
}

/* The name a NextToken holds, into buf; -1 when it is not one of ours. */
static int token_read(const char *t, char *buf, size_t len)
{
    size_t n = strlen(t);
    if (b64_decoded_max(n) >= len) return -1;
    long got = b64_decode(t, n, (uint8_t *)buf);
    if (got <= 0) return -1;
    buf[got] = '\0';
    return 0;
}

/* Pages names (sorted) into r->out[key] as queue URLs: after token, at most max (0: LIST_MAX,
 * no NextToken). Returns 0 or -1 after answering. */
static int page_urls(struct aws_req *r, const char *key, const char *const *names, size_t n,
                     int64_t max, const char *token)
{
    char after[HUB_BUS_NAME_MAX + 8] = "", url[512];
    size_t i = 0, taken = 0, limit = max > 0 ? (size_t)max : LIST_MAX;
    if (token && token_read(token, after, sizeof after)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER_VALUE, "Invalid NextToken value.");
        return -1;
    }
    if (after[0])
        while (i < n && strcmp(names[i], after) <= 0)
            i++;
    json_t *urls = json_array();
    if (!urls) goto nomem;
    for (; i < n && taken < limit; i++, taken++) {
        aws_queue_url(r, names[i], url, sizeof url);
        if (json_array_append_new(urls, json_string(url))) goto nomem;
    }
    if (json_array_size(urls) && json_object_set(r->out, key, urls)) goto nomem;
    json_decref(urls);
    urls = NULL;
    if (max > 0 && i < n && taken) {
        char *t = token_make(names[i - 1]);
        if (!t || set_str(r->out, "NextToken", t)) {
            hub_free(t);
            goto nomem;
        }
        hub_free(t);
    }
    return 0;
nomem:
    json_decref(urls);
    aws_fail(r, HUB_ENOMEM, NULL);
    return -1;
}

/* ---- queues ---- */

static void on_url(void *ud, int err, const struct hub_queue_info *info)
{
    struct aws_req *r = ud;
    char url[512];
    if (err) {
        aws_fail(r, err, NULL);
        return;
    }
    aws_queue_url(r, info->name, url, sizeof url);
    aws_reply(r, json_pack("{s:s}", "QueueUrl", url));
}

static void create_queue(struct aws_req *r)
{
    const char *name = aws_need_str(r, "QueueName"), *bad = NULL;
    struct hub_queue_config cfg;
    hub_bus *bus;
    if (!name) return;
    if (!hub_bus_name_valid(name, 0)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER_VALUE,
                 "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in "
                 "length");
        return;
    }
    json_t *tags = json_object_get(r->in, "tags");
    if (!tags) tags = json_object_get(r->in, "Tags");
    hub_queue_config_init(&cfg);
    int rc = hub_queue_config_parse(&cfg, json_object_get(r->in, "Attributes"), 1, &bad);
    if (rc == 0 && !(cfg.set & HUB_QCFG_FIFO) && strlen(name) > 5 &&
        strcmp(name + strlen(name) - 5, ".fifo") == 0)
        rc = HUB_BUS_EINVALID_PARAMETER_VALUE; /* SQS wants FifoQueue=true with a .fifo name */
    if (rc) {
        hub_queue_config_clear(&cfg);
        if (rc == HUB_BUS_EINVALID_ATTRIBUTE_NAME)
            aws_fail(r, rc, "Unknown Attribute %s.", bad ? bad : "");
        else if (rc == HUB_BUS_EINVALID_ATTRIBUTE_VALUE)
            aws_fail(r, rc, "Invalid value for the parameter %s.", bad ? bad : "");
        else if (rc == HUB_BUS_EINVALID_PARAMETER_VALUE)
            aws_fail(r, rc,
                     "The name of a FIFO queue can only include alphanumeric characters, "
                     "hyphens, or underscores, must end with .fifo suffix and be 1 to 80 "
                     "in length. Set the FifoQueue attribute to true for it.");
        else
            aws_fail(r, rc, NULL);
        return;
    }
    if (!(bus = aws_bus(r))) {
        hub_queue_config_clear(&cfg);
        return;
    }
    rc = hub_bus_queue_create(bus, name, &cfg, tags, on_url, r);
    hub_queue_config_clear(&cfg);
    if (rc == HUB_BUS_EINVALID_PARAMETER_VALUE)
        aws_fail(r, rc,
                 "The queue name and its FifoQueue attribute do not agree (a FIFO queue's "
                 "name ends in .fifo), or the tags are invalid.");
    else
        started(r, rc);
}

static void get_queue_url(struct aws_req *r)
{
    const char *name = aws_need_str(r, "QueueName");
    const char *owner = aws_in_str(r, "QueueOwnerAWSAccountId");
    hub_bus *bus;
    if (!name) return;
    if ((owner && strcmp(owner, r->aws->account) != 0) || !hub_bus_name_valid(name, 0)) {
        aws_fail(r, HUB_BUS_EQUEUE_DOES_NOT_EXIST, NULL);
        return;
    }
    if (!(bus = aws_bus(r))) return;
    started(r, hub_bus_queue_get(bus, name, on_url, r));
}

static void on_listed(void *ud, int err, const char *const *names, size_t n)
{
    struct aws_req *r = ud;
    if (err) {
        aws_fail(r, err, NULL);
        return;
    }
    if (!(r->out = json_object())) {
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    if (page_urls(r, r->step ? "queueUrls" : "QueueUrls", names, n, r->n1,
                  aws_in_str(r, "NextToken")))
        return;
    json_t *out = r->out;
    r->out = NULL;
    aws_reply(r, out);
}

static void list_queues(struct aws_req *r)
{
    int64_t max = 0;
    hub_bus *bus;
    if (aws_in_int(r, "MaxResults", 1, LIST_MAX, &max) < 0) return;
    r->n1 = max;
    if (!(bus = aws_bus(r))) return;
    started(r, hub_bus_queue_list(bus, aws_in_str(r, "QueueNamePrefix"), on_listed, r));
}

static void delete_queue(struct aws_req *r)
{
    hub_bus *bus;
    if (aws_queue_from_request(r) || !(bus = aws_bus(r))) return;
    started(r, hub_bus_queue_delete(bus, r->queue, on_done, r));
}

static void purge_queue(struct aws_req *r)
{
    hub_bus *bus;
    if (aws_queue_from_request(r) || !(bus = aws_bus(r))) return;
    started(r, hub_bus_purge(bus, r->queue, on_done, r));
}

static void on_attributes(void *ud, int err, const struct hub_queue_info *info)
{
    struct aws_req *r = ud;
    const char **names = NULL;
    size_t n = 0;
    json_t *attrs = NULL;
    if (err) {
        aws_fail(r, err, NULL);
        return;
    }
    hub_bus *bus = aws_bus(r);
    if (!bus || aws_in_strings(r, "AttributeNames", &names, &n)) return;
    int rc = hub_queue_info_attributes(bus, info, names, n, &attrs);
    if (rc == HUB_BUS_EINVALID_ATTRIBUTE_NAME) {
        const char *bad = "";
        for (size_t i = 0; i < n; i++) {
            json_t *one = NULL;
            if (hub_queue_info_attributes(bus, info, &names[i], 1, &one) != 0) {
                bad = names[i];
                break;
            }
            json_decref(one);
        }
        aws_fail(r, rc, "Unknown Attribute %s.", bad);
        hub_free(names);
        return;
    }
    hub_free(names);
    if (rc) {
        aws_fail(r, rc, NULL);
        return;
    }
    json_t *out = json_object();
    if (out && json_object_size(attrs)) json_object_set(out, "Attributes", attrs);
    json_decref(attrs);
    if (!out)
        aws_fail(r, HUB_ENOMEM, NULL);
    else
        aws_reply(r, out);
}

static void get_queue_attributes(struct aws_req *r)
{
    hub_bus *bus;
    if (aws_queue_from_request(r) || !(bus = aws_bus(r))) return;
    started(r, hub_bus_queue_get(bus, r->queue, on_attributes, r));
}

static void set_queue_attributes(struct aws_req *r)
{
    struct hub_queue_config cfg;
    const char *bad = NULL;
    hub_bus *bus;
    if (aws_queue_from_request(r)) return;
    json_t *attrs = json_object_get(r->in, "Attributes");
    hub_queue_config_init(&cfg);
    int rc = hub_queue_config_parse(&cfg, attrs, 0, &bad);
    if (rc) {
        hub_queue_config_clear(&cfg);
        if (rc == HUB_BUS_EINVALID_ATTRIBUTE_NAME)
            aws_fail(r, rc, "Unknown Attribute %s.", bad ? bad : "");
        else if (rc == HUB_BUS_EINVALID_ATTRIBUTE_VALUE)
            aws_fail(r, rc, "Invalid value for the parameter %s.", bad ? bad : "");
        else
            aws_fail(r, rc, NULL);
        return;
    }
    if (!(bus = aws_bus(r))) {
        hub_queue_config_clear(&cfg);
        return;
    }
    rc = hub_bus_queue_set(bus, r->queue, &cfg, on_done, r);
    hub_queue_config_clear(&cfg);
    started(r, rc);
}

/* ---- tags ---- */

static void on_tags(void *ud, int err, const struct hub_queue_info *info)
{
    struct aws_req *r = ud;
    if (err) {
        aws_fail(r, err, NULL);
        return;
    }
    json_t *out = json_object();
    if (out && json_object_size(info->tags))
        json_object_set_new(out, "Tags", json_deep_copy(info->tags));
    aws_reply(r, out);
}

static void list_queue_tags(struct aws_req *r)
{
    hub_bus *bus;
    if (aws_queue_from_request(r) || !(bus = aws_bus(r))) return;
    started(r, hub_bus_queue_get(bus, r->queue, on_tags, r));
}

static void tag_queue(struct aws_req *r)
{
    hub_bus *bus;
    if (aws_queue_from_request(r)) return;
    json_t *tags = json_object_get(r->in, "Tags");
    const char *k;
    json_t *v;
    if (!json_is_object(tags) || json_object_size(tags) == 0) {
        aws_fail(r, HUB_BUS_EMISSING_PARAMETER, "The request must contain the parameter Tags.");
        return;
    }
    json_object_foreach(tags, k, v)
    {
        if (!json_is_string(v) || !*k || strlen(k) > 128 || json_string_length(v) > 256) {
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER_VALUE, "Invalid tag %s.", k);
            return;
        }
    }
    if (!(bus = aws_bus(r))) return;
    started(r, hub_bus_queue_tag(bus, r->queue, tags, on_done, r));
}

static void untag_queue(struct aws_req *r)
{
    const char **keys;
    size_t n;
    hub_bus *bus;
    if (aws_queue_from_request(r) || aws_in_strings(r, "TagKeys", &keys, &n)) return;
    if (!n) {
        aws_fail(r, HUB_BUS_EMISSING_PARAMETER, "The request must contain the parameter TagKeys.");
        return;
    }
    if (!(bus = aws_bus(r))) {
        hub_free(keys);
        return;
    }
    int rc = hub_bus_queue_untag(bus, r->queue, keys, n, on_done, r);
    hub_free(keys);
    started(r, rc);
}

/* ---- permissions (accepted, not enforced) ---- */

static void on_queue_exists(void *ud, int err, const struct hub_queue_info *info)
{
    (void)info;
    on_done(ud, err);
}

static void add_permission(struct aws_req *r)
{
    hub_bus *bus;
    if (aws_queue_from_request(r) || !aws_need_str(r, "Label") || !(bus = aws_bus(r))) return;
    started(r, hub_bus_queue_get(bus, r->queue, on_queue_exists, r));
}

static void remove_permission(struct aws_req *r)
{
    add_permission(r);
}

/* ---- messages ---- */

/* Adds MD5OfMessageAttributes (key) of attrs to o when there are any. 0, or -1 on failure. */
static int put_attr_md5(json_t *o, const char *key, const json_t *attrs)
{
    char md5[33];
    int rc = hub_aws_md5_of_attributes(attrs, md5);
    if (rc < 0) return -1;
    return rc == 1 && set_str(o, key, md5) ? -1 : 0;
}

/* The entry of one send (single or batch entry e, JSON shape); *bad_delay when DelaySeconds is not
 * a number in range (the bus then fails the entry). */
static void send_entry(struct aws_req *r, json_t *e, struct hub_send_entry *out)
{
    json_t *body = json_object_get(e, "MessageBody");
    json_t *delay = json_object_get(e, "DelaySeconds");
    memset(out, 0, sizeof *out);
    out->id = json_string_value(json_object_get(e, "Id"));
    out->body = json_string_value(body);
    out->body_len = json_string_length(body);
    out->attributes = json_object_get(e, "MessageAttributes");
    out->system_attributes = json_object_get(e, "MessageSystemAttributes");
    out->group_id = json_string_value(json_object_get(e, "MessageGroupId"));
    out->dedup_id = json_string_value(json_object_get(e, "MessageDeduplicationId"));
    out->sender_id = r->sender[0] ? r->sender : r->aws->account;
    out->delay_ms = -1;
    if (delay && !json_is_null(delay)) {
        long long v = -1;
        char *end = NULL;
        if (json_is_integer(delay))
            v = json_integer_value(delay);
        else if (json_is_string(delay) && *json_string_value(delay))
            v = strtoll(json_string_value(delay), &end, 10);
        if ((end && *end) || v < 0 || v > 900)
            out->delay_ms = INT64_MAX; /* out of the bus's range: the entry fails */
        else
            out->delay_ms = (int64_t)v * 1000;
    }
}

/* The SQS text of an entry error. */
static const char *entry_error_text(int err)
{
    switch (err) {
    case HUB_BUS_EMESSAGE_TOO_LONG:
        return "One or more parameters are invalid. Reason: Message must be shorter than the "
               "queue's MaximumMessageSize.";
    case HUB_BUS_EMISSING_PARAMETER:
        return "The request must contain a non-empty message body.";
    case HUB_BUS_EINVALID_MESSAGE_CONTENTS:
        return "Invalid binary character in the message body.";
    case HUB_BUS_EINVALID_PARAMETER_VALUE:
        return "One or more parameters are invalid (message attributes, DelaySeconds, "
               "MessageGroupId or MessageDeduplicationId).";
    default:
        return hub_bus_strerror(err);
    }
}

/* Success members of a send: MD5s, MessageId, SequenceNumber. */
static int send_success(json_t *o, json_t *e, const struct hub_send_result *res)
{
    char md5[33], seq[24];
    json_t *body = json_object_get(e, "MessageBody");
    hub_aws_md5_hex(json_string_value(body), json_string_length(body), md5);
    if (set_str(o, "MessageId", res->message_id) || set_str(o, "MD5OfMessageBody", md5) ||
        put_attr_md5(o, "MD5OfMessageAttributes", json_object_get(e, "MessageAttributes")) ||
        put_attr_md5(o, "MD5OfMessageSystemAttributes",
                     json_object_get(e, "MessageSystemAttributes")))
        return -1;
    if (res->sequence_number) {
        sequence_text(res->sequence_number, seq);
        if (set_str(o, "SequenceNumber", seq)) return -1;
    }
    return 0;
}

static void on_sent_one(void *ud, int err, const struct hub_send_result *res, size_t n)
{
    struct aws_req *r = ud;
    if (!err && n == 1) err = res[0].err;
    if (err) {
        aws_fail(r, err, "%s", err <= -100 ? entry_error_text(err) : hub_bus_strerror(err));
        return;
    }
    json_t *out = json_object();
    if (!out || send_success(out, r->in, &res[0])) {
        json_decref(out);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    aws_reply(r, out);
}

static void send_message(struct aws_req *r)
{
    struct hub_send_entry e;
    hub_bus *bus;
    if (aws_queue_from_request(r)) return;
    json_t *body = json_object_get(r->in, "MessageBody");
    if (!json_is_string(body)) {
        aws_fail(r, HUB_BUS_EMISSING_PARAMETER,
                 "The request must contain the parameter "
                 "MessageBody.");
        return;
    }
    send_entry(r, r->in, &e);
    e.id = NULL;
    if (!(bus = aws_bus(r))) return;
    int rc = hub_bus_send(bus, r->queue, &e, 1, on_sent_one, r);
    if (rc) aws_fail(r, rc, "%s", rc <= -100 ? entry_error_text(rc) : hub_bus_strerror(rc));
}

/* The batch errors SQS names with their own texts. */
static void batch_fail(struct aws_req *r, int rc)
{
    switch (rc) {
    case HUB_BUS_EEMPTY_BATCH_REQUEST:
        aws_fail(r, rc, "There should be at least one %s in the request.",
                 r->action->name[0] == 'S'   ? "SendMessageBatchRequestEntry"
                 : r->action->name[0] == 'D' ? "DeleteMessageBatchRequestEntry"
                                             : "ChangeMessageVisibilityBatchRequestEntry");
        break;
    case HUB_BUS_ETOO_MANY_ENTRIES_IN_BATCH_REQUEST:
        aws_fail(r, rc, "Maximum number of entries per request are 10. You have sent %zu.",
                 json_array_size(json_object_get(r->in, "Entries")));
        break;
    case HUB_BUS_EBATCH_ENTRY_IDS_NOT_DISTINCT:
        aws_fail(r, rc, "Id %s repeated.", r->text);
        break;
    case HUB_BUS_EINVALID_BATCH_ENTRY_ID:
        aws_fail(r, rc,
                 "A batch entry id can only contain alphanumeric characters, hyphens and "
                 "underscores. It can be at most 80 letters long.");
        break;
    case HUB_BUS_EBATCH_REQUEST_TOO_LONG:
        aws_fail(r, rc, "Batch requests cannot be longer than 1048576 bytes.");
        break;
    default:
        aws_fail(r, rc, NULL);
    }
}

/* The entries array (JSON "Entries") in *out (borrowed; NULL when absent). Returns 0, or -1 after
 * answering. Remembers a repeated id in r->text for the error text. */
static int batch_entries(struct aws_req *r, json_t **out)
{
    json_t *entries = json_object_get(r->in, "Entries");
    *out = entries;
    if (entries && !json_is_array(entries)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER_VALUE, "Entries must be a list.");
        return -1;
    }
    size_t n = json_array_size(entries);
    for (size_t i = 0; i < n; i++) {
        const char *a = json_string_value(json_object_get(json_array_get(entries, i), "Id"));
        for (size_t j = 0; a && j < i; j++) {
            const char *b = json_string_value(json_object_get(json_array_get(entries, j), "Id"));
            if (b && strcmp(a, b) == 0) snprintf(r->text, sizeof r->text, "%s", a);
        }
    }
    return 0;
}

/* A new {"Successful":[],"Failed":[]}, or NULL. */
static json_t *batch_result(void)
{
    return json_pack("{s:[],s:[]}", "Successful", "Failed");
}

/* Failed entry. */
static int put_failed(json_t *failed, const char *id, int err)
{
    json_t *o = json_pack("{s:s,s:b,s:s,s:s}", "Id", id ? id : "", "SenderFault", 1, "Code",
                          hub_bus_error_query_code(err), "Message", entry_error_text(err));
    return json_array_append_new(failed, o);
}

static void on_sent_batch(void *ud, int err, const struct hub_send_result *res, size_t n)
{
    struct aws_req *r = ud;
    json_t *entries = json_object_get(r->in, "Entries");
    if (err) {
        aws_fail(r, err, NULL);
        return;
    }
    json_t *out = batch_result();
    json_t *ok = json_object_get(out, "Successful"), *failed = json_object_get(out, "Failed");
    int bad = !out;
    for (size_t i = 0; i < n && !bad; i++) {
        if (res[i].err) {
            bad = put_failed(failed, res[i].id, res[i].err) != 0;
            continue;
        }
        json_t *o = json_object();
        if (!o || set_str(o, "Id", res[i].id ? res[i].id : "") ||
            send_success(o, json_array_get(entries, i), &res[i])) {
            json_decref(o);
            bad = 1;
        } else {
            bad = json_array_append_new(ok, o) != 0;
        }
    }
    if (bad) {
        json_decref(out);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    aws_reply(r, out);
}

static void send_message_batch(struct aws_req *r)
{
    struct hub_send_entry e[HUB_BUS_BATCH_MAX];
    hub_bus *bus;
    if (aws_queue_from_request(r)) return;
    json_t *entries;
    if (batch_entries(r, &entries)) return;
    size_t n = json_array_size(entries);
    if (n == 0 || n > HUB_BUS_BATCH_MAX) {
        batch_fail(r,
                   n ? HUB_BUS_ETOO_MANY_ENTRIES_IN_BATCH_REQUEST : HUB_BUS_EEMPTY_BATCH_REQUEST);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        send_entry(r, json_array_get(entries, i), &e[i]);
        if (!e[i].id) e[i].id = ""; /* an invalid id, not "no id" */
    }
    if (!(bus = aws_bus(r))) return;
    int rc = hub_bus_send(bus, r->queue, e, n, on_sent_batch, r);
    if (rc) batch_fail(r, rc);
}

/* ---- receive ---- */

struct aws_attempt {
    char *key;
    size_t klen;
    uint64_t expires_ms;
    json_t *result;
    struct aws_attempt *next;
};

static void attempt_free(struct aws_attempt *a)
{
    hub_free(a->key);
    json_decref(a->result);
    hub_free(a);
}

static void attempts_expire(hub_aws *aws, uint64_t now)
{
    while (aws->attempts_head && aws->attempts_head->expires_ms <= now) {
        struct aws_attempt *a = aws->attempts_head;
        aws->attempts_head = a->next;
        if (!aws->attempts_head) aws->attempts_tail = NULL;
        hub_map_del(&aws->attempts, a->key, a->klen);
        attempt_free(a);
    }
}

void aws_sqs_attempts_clear(hub_aws *aws)
{
    attempts_expire(aws, UINT64_MAX);
}

static int attempt_key(const struct aws_req *r, char *buf, size_t len)
{
    const char *id = aws_in_str(r, "ReceiveRequestAttemptId");
    if (!id || !*id) return -1;
    int n = snprintf(buf, len, "%s\n%s", r->queue, id);
    return n < 0 || (size_t)n >= len ? -1 : n;
}

static void attempt_store(struct aws_req *r, json_t *result)
{
    char key[512];
    int n = attempt_key(r, key, sizeof key);
    if (n < 0 || hub_map_get(&r->aws->attempts, key, (size_t)n)) return;
    struct aws_attempt *a = hub_calloc(1, sizeof *a);
    if (!a || !(a->key = hub_strndup(key, (size_t)n))) {
        hub_free(a);
        return;
    }
    a->klen = (size_t)n;
    a->expires_ms = hub_bus_now_ms() + ATTEMPT_WINDOW_MS;
    a->result = json_incref(result);
    if (hub_map_put(&r->aws->attempts, a->key, a->klen, a)) {
        attempt_free(a);
        return;
    }
    if (r->aws->attempts_tail)
        r->aws->attempts_tail->next = a;
    else
        r->aws->attempts_head = a;
    r->aws->attempts_tail = a;
}

/* 1 when name is asked for by the list of attribute names (All, exact, or "prefix.*"). */
static int wanted(const json_t *names, const char *name, int message_attributes)
{
    for (size_t i = 0; i < json_array_size(names); i++) {
        const char *w = json_string_value(json_array_get(names, i));
        size_t wl = w ? strlen(w) : 0;
        if (!w) continue;
        if (strcmp(w, "All") == 0 || strcmp(w, name) == 0) return 1;
        if (message_attributes && strcmp(w, ".*") == 0) return 1;
        if (message_attributes && wl > 2 && strcmp(w + wl - 2, ".*") == 0 &&
            strncmp(name, w, wl - 1) == 0)
            return 1;
    }
    return 0;
}

static int system_attributes(struct aws_req *r, const struct hub_message *m, json_t *names,
                             json_t *o)
{
    char seq[24], arn[512];
    int rc = 0;
#define WANT(n) wanted(names, n, 0)
    if (WANT("SenderId"))
        rc |= set_str(o, "SenderId", m->sender_id ? m->sender_id : r->aws->account);
    if (WANT("SentTimestamp")) rc |= set_u64(o, "SentTimestamp", m->sent_ms);
    if (WANT("ApproximateReceiveCount"))
        rc |= set_u64(o, "ApproximateReceiveCount", m->receive_count);
    if (WANT("ApproximateFirstReceiveTimestamp"))
        rc |= set_u64(o, "ApproximateFirstReceiveTimestamp", m->first_receive_ms);
    if (m->sequence_number && WANT("SequenceNumber")) {
        sequence_text(m->sequence_number, seq);
        rc |= set_str(o, "SequenceNumber", seq);
    }
    if (m->group_id && WANT("MessageGroupId")) rc |= set_str(o, "MessageGroupId", m->group_id);
    if (m->dedup_id && WANT("MessageDeduplicationId"))
        rc |= set_str(o, "MessageDeduplicationId", m->dedup_id);
    const char *trace = json_string_value(
        json_object_get(json_object_get(m->system_attributes, "AWSTraceHeader"), "StringValue"));
    if (trace && WANT("AWSTraceHeader")) rc |= set_str(o, "AWSTraceHeader", trace);
    if (m->dead_letter_source && WANT("DeadLetterQueueSourceArn")) {
        aws_arn(r->aws, "sqs", m->dead_letter_source, arn, sizeof arn);
        rc |= set_str(o, "DeadLetterQueueSourceArn", arn);
    }
#undef WANT
    return rc ? -1 : 0;
}

/* A new copy of a stored attribute value with only the members SQS defines: the rest never reaches
 * a client (their names would be XML element names in a Query reply). */
static json_t *attr_value(const json_t *v)
{
    static const char *const keys[] = {"StringValue", "BinaryValue", "DataType"};
    json_t *o = json_object();
    for (size_t i = 0; o && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *m = json_object_get(v, keys[i]);
        if (json_is_string(m) && json_object_set(o, keys[i], m)) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

static json_t *message_json(struct aws_req *r, const struct hub_message *m, json_t *sys_names,
                            json_t *attr_names)
{
    char md5[33];
    json_t *o = json_object(), *attrs = json_object(), *mattrs = json_object();
    int bad = !o || !attrs || !mattrs;
    hub_aws_md5_hex(m->body, m->body_len, md5);
    bad = bad || set_str(o, "MessageId", m->message_id) ||
          set_str(o, "ReceiptHandle", m->receipt_handle) || set_str(o, "MD5OfBody", md5) ||
          json_object_set_new(o, "Body", json_stringn(m->body, m->body_len)) ||
          system_attributes(r, m, sys_names, attrs);
    if (!bad && json_object_size(attrs)) bad = json_object_set(o, "Attributes", attrs) != 0;
    const char *k;
    json_t *v;
    if (!bad && json_is_object(m->attributes)) json_object_foreach(m->attributes, k, v)
        {
            if (wanted(attr_names, k, 1) && json_object_set_new(mattrs, k, attr_value(v))) bad = 1;
        }
    if (!bad && json_object_size(mattrs))
        bad = put_attr_md5(o, "MD5OfMessageAttributes", mattrs) ||
              json_object_set(o, "MessageAttributes", mattrs);
    json_decref(attrs);
    json_decref(mattrs);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static void on_received(void *ud, int err, const struct hub_message *msgs, size_t n)
{
    struct aws_req *r = ud;
    r->polling = 0;
    if (aws_gone(r)) {
        aws_req_free(r);
        return;
    }
    if (err == HUB_ECLOSED) { /* the bus was taken away: an empty receive, as a timeout */
        aws_reply(r, json_object());
        return;
    }
    if (err) {
        aws_fail(r, err, NULL);
        return;
    }
    json_t *sys = json_array(), *out = json_object(), *list = json_array();
    json_t *a = json_object_get(r->in, "AttributeNames");
    json_t *b = json_object_get(r->in, "MessageSystemAttributeNames");
    int bad = !sys || !out || !list || (json_is_array(a) && json_array_extend(sys, a)) ||
              (json_is_array(b) && json_array_extend(sys, b));
    for (size_t i = 0; i < n && !bad; i++) {
        json_t *m = message_json(r, &msgs[i], sys, json_object_get(r->in, "MessageAttributeNames"));
        bad = !m || json_array_append_new(list, m);
    }
    if (!bad && n) bad = json_object_set(out, "Messages", list) != 0;
    json_decref(sys);
    json_decref(list);
    if (bad) {
        json_decref(out);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    if (n) attempt_store(r, out);
    aws_reply(r, out);
}

static void receive_message(struct aws_req *r)
{
    int64_t max = 1, vis = -1, wait = -1;
    hub_bus *bus;
    if (aws_queue_from_request(r) ||
        aws_in_int(r, "MaxNumberOfMessages", 1, HUB_BUS_BATCH_MAX, &max) < 0 ||
        aws_in_int(r, "VisibilityTimeout", 0, 43200, &vis) < 0 ||
        aws_in_int(r, "WaitTimeSeconds", 0, 20, &wait) < 0)
        return;
    char key[512];
    int kn = attempt_key(r, key, sizeof key);
    if (kn >= 0) {
        attempts_expire(r->aws, hub_bus_now_ms());
        struct aws_attempt *at = hub_map_get(&r->aws->attempts, key, (size_t)kn);
        if (at) {
            aws_reply(r, json_deep_copy(at->result));
            return;
        }
    }
    struct hub_receive_opts o = {
        .max_messages = (uint32_t)max,
        .visibility_ms = vis >= 0 ? vis * 1000 : -1,
        .wait_ms = wait >= 0 ? wait * 1000 : -1,
    };
    if (!(bus = aws_bus(r))) return;
    int rc = hub_bus_receive(bus, r->queue, &o, on_received, r, &r->ticket);
    if (rc)
        aws_fail(r, rc, NULL);
    else
        r->polling = 1;
}

/* ---- delete, change visibility ---- */

static void receipt_fail(struct aws_req *r, int err, const char *handle)
{
    if (err == HUB_BUS_ERECEIPT_HANDLE_IS_INVALID)
        aws_fail(r, err, "The input receipt handle \"%.200s\" is not a valid receipt handle.",
                 handle ? handle : "");
    else if (err == HUB_BUS_EMESSAGE_NOT_INFLIGHT)
        aws_fail(r, err,
                 "Message does not exist or is not available for visibility timeout "
                 "change.");
    else if (err == HUB_BUS_EMISSING_PARAMETER)
        aws_fail(r, err, "The request must contain the parameter ReceiptHandle.");
    else
        aws_fail(r, err, NULL);
}

static void on_receipt_one(void *ud, int err, const struct hub_batch_result *res, size_t n)
{
    struct aws_req *r = ud;
    if (!err && n == 1) err = res[0].err;
    if (err)
        receipt_fail(r, err, aws_in_str(r, "ReceiptHandle"));
    else
        aws_reply(r, NULL);
}

static void delete_message(struct aws_req *r)
{
    hub_bus *bus;
    if (aws_queue_from_request(r)) return;
    const char *h = aws_need_str(r, "ReceiptHandle");
    if (!h || !(bus = aws_bus(r))) return;
    struct hub_receipt_entry e = {.receipt_handle = h};
    int rc = hub_bus_delete(bus, r->queue, &e, 1, on_receipt_one, r);
    if (rc) receipt_fail(r, rc, h);
}

static void change_visibility(struct aws_req *r)
{
    int64_t vis = 0;
    hub_bus *bus;
    if (aws_queue_from_request(r)) return;
    const char *h = aws_need_str(r, "ReceiptHandle");
    if (!h) return;
    int got = aws_in_int(r, "VisibilityTimeout", 0, 43200, &vis);
    if (got < 0) return;
    if (got == 0) {
        aws_fail(r, HUB_BUS_EMISSING_PARAMETER,
                 "The request must contain the parameter VisibilityTimeout.");
        return;
    }
    if (!(bus = aws_bus(r))) return;
    struct hub_receipt_entry e = {.receipt_handle = h, .visibility_ms = vis * 1000};
    int rc = hub_bus_change_visibility(bus, r->queue, &e, 1, on_receipt_one, r);
    if (rc) receipt_fail(r, rc, h);
}

static void on_receipt_batch(void *ud, int err, const struct hub_batch_result *res, size_t n)
{
    struct aws_req *r = ud;
    if (err) {
        aws_fail(r, err, NULL);
        return;
    }
    json_t *out = batch_result();
    json_t *ok = json_object_get(out, "Successful"), *failed = json_object_get(out, "Failed");
    int bad = !out;
    for (size_t i = 0; i < n && !bad; i++) {
        if (res[i].err)
            bad = put_failed(failed, res[i].id, res[i].err) != 0;
        else
            bad = json_array_append_new(ok, json_pack("{s:s}", "Id", res[i].id ? res[i].id : ""));
    }
    if (bad) {
        json_decref(out);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    aws_reply(r, out);
}

static void receipt_batch(struct aws_req *r, int visibility)
{
    struct hub_receipt_entry e[HUB_BUS_BATCH_MAX];
    hub_bus *bus;
    if (aws_queue_from_request(r)) return;
    json_t *entries;
    if (batch_entries(r, &entries)) return;
    size_t n = json_array_size(entries);
    if (n == 0 || n > HUB_BUS_BATCH_MAX) {
        batch_fail(r,
                   n ? HUB_BUS_ETOO_MANY_ENTRIES_IN_BATCH_REQUEST : HUB_BUS_EEMPTY_BATCH_REQUEST);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(entries, i), *v = json_object_get(it, "VisibilityTimeout");
        const char *id = json_string_value(json_object_get(it, "Id"));
        e[i] = (struct hub_receipt_entry){
            .id = id ? id : "",
            .receipt_handle = json_string_value(json_object_get(it, "ReceiptHandle")),
            .visibility_ms = -1,
        };
        if (visibility) {
            long long s = -1;
            char *end = NULL;
            if (json_is_integer(v))
                s = json_integer_value(v);
            else if (json_is_string(v) && *json_string_value(v))
                s = strtoll(json_string_value(v), &end, 10);
            if ((!end || !*end) && s >= 0 && s <= 43200) e[i].visibility_ms = s * 1000;
        }
    }
    if (!(bus = aws_bus(r))) return;
    int rc = visibility ? hub_bus_change_visibility(bus, r->queue, e, n, on_receipt_batch, r)
                        : hub_bus_delete(bus, r->queue, e, n, on_receipt_batch, r);
    if (rc) batch_fail(r, rc);
}

static void delete_message_batch(struct aws_req *r)
{
    receipt_batch(r, 0);
}

static void change_visibility_batch(struct aws_req *r)
{
    receipt_batch(r, 1);
}

/* ---- dead-letter queues and message move tasks ---- */

static void on_dlq_sources(void *ud, int err, const char *const *names, size_t n)
{
    struct aws_req *r = ud;
    r->step = 1; /* "queueUrls" */
    on_listed(r, err, names, n);
}

static void on_dlq_exists(void *ud, int err, const struct hub_queue_info *info)
{
    struct aws_req *r = ud;
    hub_bus *bus;
    (void)info;
    if (err) {
        aws_fail(r, err, NULL);
        return;
    }
    if (aws_gone(r)) {
        aws_req_free(r);
        return;
    }
    if (!(bus = aws_bus(r))) return;
    started(r, hub_bus_dlq_sources(bus, r->queue, on_dlq_sources, r));
}

static void list_dlq_sources(struct aws_req *r)
{
    int64_t max = 0;
    hub_bus *bus;
    if (aws_queue_from_request(r) || aws_in_int(r, "MaxResults", 1, LIST_MAX, &max) < 0) return;
    r->n1 = max;
    if (!(bus = aws_bus(r))) return;
    started(r, hub_bus_queue_get(bus, r->queue, on_dlq_exists, r));
}

/* Move tasks name queues by ARN; a missing queue is ResourceNotFoundException. */
static void move_fail(struct aws_req *r, int err)
{
    if (err == HUB_BUS_EQUEUE_DOES_NOT_EXIST || err == HUB_BUS_ERESOURCE_NOT_FOUND)
        aws_fail(r, HUB_BUS_ERESOURCE_NOT_FOUND,
                 "The resource that you specified for the %s "
                 "parameter doesn't exist.",
                 r->action->name[0] == 'C' ? "TaskHandle" : "SourceArn");
    else if (err == HUB_BUS_EUNSUPPORTED_OPERATION)
        aws_fail(r, err,
                 "A message movement task is already running on the queue, or the task "
                 "is not running.");
    else if (err == HUB_BUS_EINVALID_PARAMETER_VALUE)
        aws_fail(r, err, "Source queue must be configured as a Dead Letter Queue.");
    else
        aws_fail(r, err, NULL);
}

static void on_move_started(void *ud, int err, const struct hub_move_task *t)
{
    struct aws_req *r = ud;
    if (err)
        move_fail(r, err);
    else
        aws_reply(r, json_pack("{s:s}", "TaskHandle", t->handle));
}

static void start_move_task(struct aws_req *r)
{
    int64_t rate = 0;
    hub_bus *bus;
    const char *src = aws_need_str(r, "SourceArn");
    if (!src || aws_in_int(r, "MaxNumberOfMessagesPerSecond", 1, 500, &rate) < 0) return;
    const char *dst_arn = aws_in_str(r, "DestinationArn");
    const char *source = aws_queue_arn_name(r->aws, src);
    const char *dest = dst_arn ? aws_queue_arn_name(r->aws, dst_arn) : NULL;
    if (!source || (dst_arn && !dest)) {
        move_fail(r, HUB_BUS_ERESOURCE_NOT_FOUND);
        return;
    }
    if (!(bus = aws_bus(r))) return;
    int rc = hub_bus_move_start(bus, source, dest, (uint32_t)rate, on_move_started, r);
    if (rc) move_fail(r, rc);
}

static void on_move_cancelled(void *ud, int err, const struct hub_move_task *t)
{
    struct aws_req *r = ud;
    if (err)
        move_fail(r, err);
    else
        aws_reply(r, json_pack("{s:I}", "ApproximateNumberOfMessagesMoved", (json_int_t)t->moved));
}

static void cancel_move_task(struct aws_req *r)
{
    hub_bus *bus;
    const char *h = aws_need_str(r, "TaskHandle");
    if (!h || !(bus = aws_bus(r))) return;
    int rc = hub_bus_move_cancel(bus, h, on_move_cancelled, r);
    if (rc) move_fail(r, rc);
}

static void on_move_list(void *ud, int err, const struct hub_move_task *t, size_t n)
{
    struct aws_req *r = ud;
    char arn[512];
    if (err) {
        move_fail(r, err);
        return;
    }
    json_t *list = json_array(), *out = json_object();
    int bad = !list || !out;
    for (size_t i = 0; i < n && !bad && (r->n1 <= 0 || (int64_t)i < r->n1); i++) {
        json_t *o = json_object();
        bad = !o || json_array_append_new(list, o);
        if (bad) break;
        if (t[i].status == HUB_MOVE_RUNNING) bad |= set_str(o, "TaskHandle", t[i].handle);
        bad |= set_str(o, "Status", hub_move_status_name(t[i].status));
        aws_arn(r->aws, "sqs", t[i].source, arn, sizeof arn);
        bad |= set_str(o, "SourceArn", arn);
        if (t[i].destination) {
            aws_arn(r->aws, "sqs", t[i].destination, arn, sizeof arn);
            bad |= set_str(o, "DestinationArn", arn);
        }
        if (t[i].max_per_second)
            bad |= json_object_set_new(o, "MaxNumberOfMessagesPerSecond",
                                       json_integer(t[i].max_per_second));
        bad |= json_object_set_new(o, "ApproximateNumberOfMessagesMoved",
                                   json_integer((json_int_t)t[i].moved));
        bad |= json_object_set_new(o, "ApproximateNumberOfMessagesToMove",
                                   json_integer((json_int_t)t[i].to_move));
        if (t[i].failure_reason) bad |= set_str(o, "FailureReason", t[i].failure_reason);
        bad |=
            json_object_set_new(o, "StartedTimestamp", json_integer((json_int_t)t[i].started_ms));
    }
    if (!bad && json_array_size(list)) bad = json_object_set(out, "Results", list) != 0;
    json_decref(list);
    if (bad) {
        json_decref(out);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    aws_reply(r, out);
}

static void list_move_tasks(struct aws_req *r)
{
    int64_t max = 1;
    hub_bus *bus;
    const char *src = aws_need_str(r, "SourceArn");
    if (!src || aws_in_int(r, "MaxResults", 1, 10, &max) < 0) return;
    r->n1 = max;
    const char *source = aws_queue_arn_name(r->aws, src);
    if (!source) {
        move_fail(r, HUB_BUS_ERESOURCE_NOT_FOUND);
        return;
    }
    if (!(bus = aws_bus(r))) return;
    int rc = hub_bus_move_list(bus, source, on_move_list, r);
    if (rc) move_fail(r, rc);
}

/* ---- the table ---- */

static const struct aws_action actions[] = {
    {"AddPermission", q_add_perm, add_permission, 1},
    {"CancelMessageMoveTask", q_move_cancel, cancel_move_task, 0},
    {"ChangeMessageVisibility", q_change, change_visibility, 1},
    {"ChangeMessageVisibilityBatch", q_change_batch, change_visibility_batch, 0},
    {"CreateQueue", q_create, create_queue, 0},
    {"DeleteMessage", q_delete, delete_message, 1},
    {"DeleteMessageBatch", q_delete_batch, delete_message_batch, 0},
    {"DeleteQueue", q_queue, delete_queue, 1},
    {"GetQueueAttributes", q_get_attrs, get_queue_attributes, 0},
    {"GetQueueUrl", q_get_url, get_queue_url, 0},
    {"ListDeadLetterSourceQueues", q_dlq, list_dlq_sources, 0},
    {"ListMessageMoveTasks", q_move_list, list_move_tasks, 0},
    {"ListQueueTags", q_queue, list_queue_tags, 0},
    {"ListQueues", q_list, list_queues, 0},
    {"PurgeQueue", q_queue, purge_queue, 1},
    {"ReceiveMessage", q_receive, receive_message, 0},
    {"RemovePermission", q_remove_perm, remove_permission, 1},
    {"SendMessage", q_send, send_message, 0},
    {"SendMessageBatch", q_send_batch, send_message_batch, 0},
    {"SetQueueAttributes", q_set_attrs, set_queue_attributes, 1},
    {"StartMessageMoveTask", q_move_start, start_move_task, 0},
    {"TagQueue", q_tag, tag_queue, 1},
    {"UntagQueue", q_untag, untag_queue, 1},
};

const struct aws_action *aws_sqs_action(const char *name)
{
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strcmp(actions[i].name, name) == 0) return &actions[i];
    return NULL;
}
