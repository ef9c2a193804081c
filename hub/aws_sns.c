/* aws_sns.c - the SNS actions over the bus (aws_internal.h), Query protocol only. Results are built
 * in the JSON shape of the SNS model and written as SNS's XML by aws.c (wrapped lists). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "aws_internal.h"
#include "aws_sns_mobile.h"
#include "b64.h"
#include "hub_alloc.h"
#include "hub_err.h"

#define PAGE 100

/* ---- Query members ---- */

#define M_SCALAR(name)                                                                             \
    {                                                                                              \
        name, name, AWS_M_SCALAR, NULL, NULL, NULL, NULL, NULL                                     \
    }
#define M_END                                                                                      \
    {                                                                                              \
        NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL                                                \
    }
#define M_ATTRIBUTES                                                                               \
    {                                                                                              \
        "Attributes", "Attributes", AWS_M_MAP, "entry", "key", "value", NULL, NULL                 \
    }

static const struct aws_member attr_value_members[] = {
    M_SCALAR("DataType"), M_SCALAR("StringValue"), M_SCALAR("BinaryValue"), M_END};
static const struct aws_member tag_members[] = {M_SCALAR("Key"), M_SCALAR("Value"), M_END};

#define M_MSG_ATTRS                                                                                \
    {                                                                                              \
        "MessageAttributes", "MessageAttributes", AWS_M_MAP, "entry", "Name", "Value",             \
            attr_value_members, NULL                                                               \
    }
#define M_TAGS                                                                                     \
    {                                                                                              \
        "Tags", "Tags", AWS_M_STRUCT_LIST, "member", NULL, NULL, tag_members, NULL                 \
    }

static const struct aws_member publish_members[] = {
    M_SCALAR("Id"),
    M_SCALAR("Message"),
    M_SCALAR("Subject"),
    M_SCALAR("MessageStructure"),
    M_MSG_ATTRS,
    M_SCALAR("MessageDeduplicationId"),
    M_SCALAR("MessageGroupId"),
    M_END,
};

static const struct aws_member q_create[] = {M_SCALAR("Name"), M_ATTRIBUTES, M_TAGS,
                                             M_SCALAR("DataProtectionPolicy"), M_END};
static const struct aws_member q_topic[] = {M_SCALAR("TopicArn"), M_END};
static const struct aws_member q_next[] = {M_SCALAR("NextToken"), M_END};
static const struct aws_member q_topic_next[] = {M_SCALAR("TopicArn"), M_SCALAR("NextToken"),
                                                 M_END};
static const struct aws_member q_set_topic[] = {M_SCALAR("TopicArn"), M_SCALAR("AttributeName"),
                                                M_SCALAR("AttributeValue"), M_END};
static const struct aws_member q_subscribe[] = {M_SCALAR("TopicArn"),
                                                M_SCALAR("Protocol"),
                                                M_SCALAR("Endpoint"),
                                                M_ATTRIBUTES,
                                                M_SCALAR("ReturnSubscriptionArn"),
                                                M_END};
static const struct aws_member q_confirm[] = {M_SCALAR("TopicArn"), M_SCALAR("Token"),
                                              M_SCALAR("AuthenticateOnUnsubscribe"), M_END};
static const struct aws_member q_sub[] = {M_SCALAR("SubscriptionArn"), M_END};
static const struct aws_member q_set_sub[] = {
    M_SCALAR("SubscriptionArn"), M_SCALAR("AttributeName"), M_SCALAR("AttributeValue"), M_END};
static const struct aws_member q_publish[] = {
    M_SCALAR("TopicArn"),
    M_SCALAR("TargetArn"),
    M_SCALAR("PhoneNumber"),
    M_SCALAR("Message"),
    M_SCALAR("Subject"),
    M_SCALAR("MessageStructure"),
    M_MSG_ATTRS,
    M_SCALAR("MessageDeduplicationId"),
    M_SCALAR("MessageGroupId"),
    M_END,
};
static const struct aws_member q_publish_batch[] = {
    M_SCALAR("TopicArn"),
    {"PublishBatchRequestEntries", "PublishBatchRequestEntries", AWS_M_STRUCT_LIST, "member", NULL,
     NULL, publish_members, NULL},
    M_END,
};
static const struct aws_member q_tag[] = {M_SCALAR("ResourceArn"), M_TAGS, M_END};
static const struct aws_member q_untag[] = {
    M_SCALAR("ResourceArn"),
    {"TagKeys", "TagKeys", AWS_M_LIST, "member", NULL, NULL, NULL, NULL},
    M_END,
};
static const struct aws_member q_resource[] = {M_SCALAR("ResourceArn"), M_END};
static const struct aws_member q_permission[] = {
    M_SCALAR("TopicArn"),
    M_SCALAR("Label"),
    {"AWSAccountId", "AWSAccountId", AWS_M_LIST, "member", NULL, NULL, NULL, NULL},
    {"ActionName", "ActionName", AWS_M_LIST, "member", NULL, NULL, NULL, NULL},
    M_END,
};

/* mobile push, SMS, data protection (aws_sns_mobile.c) */
static const struct aws_member q_none[] = {M_END};
static const struct aws_member q_create_app[] = {M_SCALAR("Name"), M_SCALAR("Platform"),
                                                 M_ATTRIBUTES, M_END};
static const struct aws_member q_app[] = {M_SCALAR("PlatformApplicationArn"), M_END};
static const struct aws_member q_app_attributes[] = {M_SCALAR("PlatformApplicationArn"),
                                                     M_ATTRIBUTES, M_END};
static const struct aws_member q_app_next[] = {M_SCALAR("PlatformApplicationArn"),
                                               M_SCALAR("NextToken"), M_END};
static const struct aws_member q_create_endpoint[] = {M_SCALAR("PlatformApplicationArn"),
                                                      M_SCALAR("Token"), M_SCALAR("CustomUserData"),
                                                      M_ATTRIBUTES, M_END};
static const struct aws_member q_endpoint[] = {M_SCALAR("EndpointArn"), M_END};
static const struct aws_member q_endpoint_attributes[] = {M_SCALAR("EndpointArn"), M_ATTRIBUTES,
                                                          M_END};
static const struct aws_member q_phone_lower[] = {M_SCALAR("phoneNumber"), M_END};
static const struct aws_member q_next_lower[] = {M_SCALAR("nextToken"), M_END};
static const struct aws_member q_get_sms[] = {
    {"attributes", "attributes", AWS_M_LIST, "member", NULL, NULL, NULL, NULL},
    M_END,
};
static const struct aws_member q_set_sms[] = {
    {"attributes", "attributes", AWS_M_MAP, "entry", "key", "value", NULL, NULL},
    M_END,
};
static const struct aws_member q_sandbox_create[] = {M_SCALAR("PhoneNumber"),
                                                     M_SCALAR("LanguageCode"), M_END};
static const struct aws_member q_phone[] = {M_SCALAR("PhoneNumber"), M_END};
static const struct aws_member q_sandbox_verify[] = {M_SCALAR("PhoneNumber"),
                                                     M_SCALAR("OneTimePassword"), M_END};
static const struct aws_member q_next_max[] = {M_SCALAR("NextToken"), M_SCALAR("MaxResults"),
                                               M_END};
static const struct aws_member q_put_policy[] = {M_SCALAR("ResourceArn"),
                                                 M_SCALAR("DataProtectionPolicy"), M_END};

/* ---- helpers ---- */

static void on_done(void *ud, int err)
{
    struct aws_req *r = ud;
    if (err)
        aws_fail(r, err, err == HUB_BUS_ENOT_FOUND ? "%s does not exist" : NULL,
                 r->topic[0] ? "Topic" : "Subscription");
    else
        aws_reply(r, NULL);
}

static void started(struct aws_req *r, int rc)
{
    if (rc) aws_fail(r, rc, NULL);
}

int aws_sns_topic_from(struct aws_req *r, const char *member)
{
    const char *arn = aws_in_str(r, member);
    if (!arn) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: %s", member);
        return -1;
    }
    if (!aws_topic_arn_name(r->aws, arn, r->topic, sizeof r->topic)) {
        if (strncmp(arn, "arn:aws:sns:", 12) == 0)
            aws_fail(r, HUB_BUS_ENOT_FOUND, "Topic does not exist");
        else
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                     "Invalid parameter: %s Reason: An ARN must "
                     "have at least 6 elements, not 1",
                     member);
        return -1;
    }
    return 0;
}

static int sub_from(struct aws_req *r, char id[HUB_BUS_UUID_LEN + 1])
{
    const char *arn = aws_in_str(r, "SubscriptionArn");
    if (!arn || aws_sub_arn_parse(r->aws, arn, r->topic, sizeof r->topic, id)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: SubscriptionArn");
        return -1;
    }
    r->topic[0] = '\0'; /* errors name the subscription */
    return 0;
}

static void sub_arn(const struct aws_req *r, const struct hub_subscription *s, char *buf,
                    size_t len)
{
    char arn[512];
    aws_arn(r->aws, "sns", s->topic, arn, sizeof arn);
    snprintf(buf, len, "%s:%s", arn, s->id);
}

/* {"k":"v"} from [{"Key":k,"Value":v}] (SNS tags), new reference, or NULL after answering. */
static json_t *tags_object(struct aws_req *r, json_t *list)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < json_array_size(list); i++) {
        json_t *t = json_array_get(list, i);
        const char *k = json_string_value(json_object_get(t, "Key"));
        const char *v = json_string_value(json_object_get(t, "Value"));
        if (!k || !v || !*k || strlen(k) > 128 || strlen(v) > 256) {
            json_decref(o);
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: Tags");
            return NULL;
        }
        if (json_object_set_new(o, k, json_string(v))) {
            json_decref(o);
            o = NULL;
        }
    }
    if (!o) aws_fail(r, HUB_ENOMEM, NULL);
    return o;
}

char *aws_token_make(const char *text)
{
    size_t n = strlen(text);
    char *t = hub_malloc(b64_encoded_len(n) + 1);
    if (t) t[b64_encode((const uint8_t *)text, n, t)] = '\0';
    return t;
}

int aws_token_read(const char *t, char *buf, size_t len)
{
    size_t n = strlen(t);
    if (b64_decoded_max(n) >= len) return -1;
    long got = b64_decode(t, n, (uint8_t *)buf);
    if (got <= 0) return -1;
    buf[got] = '\0';
    return 0;
}

/* ---- topics ---- */

static void on_topic_created(void *ud, int err, const struct hub_topic_info *info)
{
    struct aws_req *r = ud;
    char arn[512];
    if (err) {
        aws_fail(r, err,
                 err == HUB_BUS_EINVALID_PARAMETER
                     ? "Invalid parameter: Attributes Reason: Topic already exists with "
                       "different attributes"
                     : NULL);
        return;
    }
    const char *policy = aws_in_str(r, "DataProtectionPolicy");
    if (policy && *policy &&
        aws_mobile_policy_put(r->aws, info->name, info->created_ms, policy) != 0) {
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    aws_arn(r->aws, "sns", info->name, arn, sizeof arn);
    aws_reply(r, json_pack("{s:s}", "TopicArn", arn));
}

static void create_topic(struct aws_req *r)
{
    struct hub_topic_config cfg;
    const char *bad = NULL, *name = aws_need_str(r, "Name");
    hub_bus *bus;
    if (!name) return;
    size_t len = strlen(name);
    int fifo_name = len > 5 && strcmp(name + len - 5, ".fifo") == 0;
    hub_topic_config_init(&cfg);
    int rc = hub_topic_config_parse(&cfg, json_object_get(r->in, "Attributes"), 1, &bad);
    if (rc) {
        hub_topic_config_clear(&cfg);
        aws_fail(r, rc, "Invalid parameter: Attributes Reason: %s", bad ? bad : "");
        return;
    }
    if (!hub_bus_name_valid(name, 1) || fifo_name != (cfg.fifo != 0)) {
        hub_topic_config_clear(&cfg);
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                 fifo_name || cfg.fifo
                     ? "Invalid parameter: Fifo Topic names must end with .fifo and must be made "
                       "up of only uppercase and lowercase ASCII letters, numbers, underscores, "
                       "and hyphens, and must be between 1 and 256 characters long."
                     : "Invalid parameter: Topic Name");
        return;
    }
    const char *policy = aws_in_str(r, "DataProtectionPolicy");
    if (policy && *policy && aws_mobile_policy_check(r, policy)) {
        hub_topic_config_clear(&cfg);
        return;
    }
    json_t *tags = NULL;
    if (json_object_get(r->in, "Tags") &&
        !(tags = tags_object(r, json_object_get(r->in, "Tags")))) {
        hub_topic_config_clear(&cfg);
        return;
    }
    if (!(bus = aws_bus(r))) {
        json_decref(tags);
        hub_topic_config_clear(&cfg);
        return;
    }
    rc = hub_bus_topic_create(bus, name, &cfg, tags, on_topic_created, r);
    json_decref(tags);
    hub_topic_config_clear(&cfg);
    started(r, rc);
}

static void delete_topic(struct aws_req *r)
{
    hub_bus *bus;
    if (aws_sns_topic_from(r, "TopicArn") || !(bus = aws_bus(r))) return;
    aws_mobile_policy_drop(r->aws, r->topic);
    started(r, hub_bus_topic_delete(bus, r->topic, on_done, r));
}

static void on_topics(void *ud, int err, const char *const *names, size_t n)
{
    struct aws_req *r = ud;
    char after[HUB_BUS_TOPIC_NAME_MAX + 8] = "", arn[512];
    const char *token = aws_in_str(r, "NextToken");
    size_t i = 0, taken = 0;
    if (err) {
        aws_fail(r, err, NULL);
        return;
    }
    if (token && aws_token_read(token, after, sizeof after)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: NextToken");
        return;
    }
    if (after[0])
        while (i < n && strcmp(names[i], after) <= 0)
            i++;
    json_t *out = json_pack("{s:[]}", "Topics"), *list = json_object_get(out, "Topics");
    int bad = !out;
    for (; i < n && taken < PAGE && !bad; i++, taken++) {
        aws_arn(r->aws, "sns", names[i], arn, sizeof arn);
        bad = json_array_append_new(list, json_pack("{s:s}", "TopicArn", arn)) != 0;
    }
    if (!bad && i < n) {
        char *t = aws_token_make(names[i - 1]);
        bad = !t || json_object_set_new(out, "NextToken", json_string(t));
        hub_free(t);
    }
    if (bad) {
        json_decref(out);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    aws_reply(r, out);
}

static void list_topics(struct aws_req *r)
{
    hub_bus *bus;
    if (!(bus = aws_bus(r))) return;
    started(r, hub_bus_topic_list(bus, on_topics, r));
}

static void on_topic_attributes(void *ud, int err, const struct hub_topic_info *info)
{
    struct aws_req *r = ud;
    json_t *attrs = NULL;
    hub_bus *bus;
    if (err) {
        aws_fail(r, err, "Topic does not exist");
        return;
    }
    if (!(bus = aws_bus(r))) return;
    if (hub_topic_info_attributes(bus, info, &attrs)) {
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    aws_reply(r, json_pack("{s:o}", "Attributes", attrs));
}

static void get_topic_attributes(struct aws_req *r)
{
    hub_bus *bus;
    if (aws_sns_topic_from(r, "TopicArn") || !(bus = aws_bus(r))) return;
    started(r, hub_bus_topic_get(bus, r->topic, on_topic_attributes, r));
}

/* {AttributeName: AttributeValue}, new, or NULL after answering. */
static json_t *one_attribute(struct aws_req *r)
{
    const char *name = aws_need_str(r, "AttributeName");
    if (!name) return NULL;
    const char *value = aws_in_str(r, "AttributeValue");
    json_t *o = json_pack("{s:s}", name, value ? value : "");
    if (!o) aws_fail(r, HUB_ENOMEM, NULL);
    return o;
}

static void set_topic_attributes(struct aws_req *r)
{
    struct hub_topic_config cfg;
    const char *bad = NULL;
    hub_bus *bus;
    if (aws_sns_topic_from(r, "TopicArn")) return;
    json_t *attrs = one_attribute(r);
    if (!attrs) return;
    hub_topic_config_init(&cfg);
    int rc = hub_topic_config_parse(&cfg, attrs, 0, &bad);
    json_decref(attrs);
    if (rc) {
        hub_topic_config_clear(&cfg);
        aws_fail(r, rc, "Invalid parameter: AttributeName");
        return;
    }
    if (!(bus = aws_bus(r))) {
        hub_topic_config_clear(&cfg);
        return;
    }
    rc = hub_bus_topic_set(bus, r->topic, &cfg, on_done, r);
    hub_topic_config_clear(&cfg);
    started(r, rc);
}

/* ---- tags ---- */

static void on_tag_done(void *ud, int err)
{
    struct aws_req *r = ud;
    if (err == HUB_BUS_ENOT_FOUND)
        aws_fail(r, HUB_BUS_ERESOURCE_NOT_FOUND, "Resource does not exist");
    else
        on_done(r, err);
}

static int resource_from(struct aws_req *r)
{
    const char *arn = aws_in_str(r, "ResourceArn");
    if (!arn || !aws_topic_arn_name(r->aws, arn, r->topic, sizeof r->topic)) {
        aws_fail(r, arn ? HUB_BUS_ERESOURCE_NOT_FOUND : HUB_BUS_EINVALID_PARAMETER,
                 arn ? "Resource does not exist" : "Invalid parameter: ResourceArn");
        return -1;
    }
    return 0;
}

static void tag_resource(struct aws_req *r)
{
    hub_bus *bus;
    if (resource_from(r)) return;
    json_t *tags = tags_object(r, json_object_get(r->in, "Tags"));
    if (!tags) return;
    if (!json_object_size(tags)) {
        json_decref(tags);
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: Tags");
        return;
    }
    if (!(bus = aws_bus(r))) {
        json_decref(tags);
        return;
    }
    int rc = hub_bus_topic_tag(bus, r->topic, tags, on_tag_done, r);
    json_decref(tags);
    started(r, rc);
}

static void untag_resource(struct aws_req *r)
{
    const char **keys;
    size_t n;
    hub_bus *bus;
    if (resource_from(r) || aws_in_strings(r, "TagKeys", &keys, &n)) return;
    if (!(bus = aws_bus(r))) {
        hub_free(keys);
        return;
    }
    int rc = hub_bus_topic_untag(bus, r->topic, keys, n, on_tag_done, r);
    hub_free(keys);
    started(r, rc);
}

static void on_tags(void *ud, int err, const struct hub_topic_info *info)
{
    struct aws_req *r = ud;
    const char *k;
    json_t *v;
    if (err) {
        on_tag_done(r, err);
        return;
    }
    json_t *out = json_pack("{s:[]}", "Tags"), *list = json_object_get(out, "Tags");
    int bad = !out;
    json_object_foreach(info->tags, k, v)
    {
        if (!bad) bad = json_array_append_new(list, json_pack("{s:s,s:O}", "Key", k, "Value", v));
    }
    if (bad) {
        json_decref(out);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    aws_reply(r, out);
}

static void list_tags(struct aws_req *r)
{
    hub_bus *bus;
    if (resource_from(r) || !(bus = aws_bus(r))) return;
    started(r, hub_bus_topic_get(bus, r->topic, on_tags, r));
}

static void on_topic_exists(void *ud, int err, const struct hub_topic_info *info)
{
    (void)info;
    on_done(ud, err);
}

static void add_permission(struct aws_req *r)
{
    hub_bus *bus;
    if (aws_sns_topic_from(r, "TopicArn") || !aws_need_str(r, "Label") || !(bus = aws_bus(r)))
        return;
    started(r, hub_bus_topic_get(bus, r->topic, on_topic_exists, r));
}

/* ---- subscriptions ---- */

static void on_subscribed(void *ud, int err, const struct hub_subscription *s)
{
    struct aws_req *r = ud;
    char arn[600];
    if (err) {
        aws_fail(r, err, err == HUB_BUS_ENOT_FOUND ? "Topic does not exist" : NULL);
        return;
    }
    if (s->pending && !r->n1)
        snprintf(arn, sizeof arn, "pending confirmation");
    else
        sub_arn(r, s, arn, sizeof arn);
    aws_reply(r, json_pack("{s:s}", "SubscriptionArn", arn));
}

static void subscribe(struct aws_req *r)
{
    struct hub_sub_config cfg;
    const char *bad = NULL;
    int ret = 0;
    hub_bus *bus;
    if (aws_sns_topic_from(r, "TopicArn")) return;
    const char *proto = aws_need_str(r, "Protocol");
    if (!proto) return;
    const char *endpoint = aws_in_str(r, "Endpoint");
    if (aws_in_bool(r, "ReturnSubscriptionArn", &ret) < 0) return;
    r->n1 = ret;
    if (strcmp(proto, HUB_PROTO_SQS) && strcmp(proto, HUB_PROTO_HTTP) &&
        strcmp(proto, HUB_PROTO_HTTPS) && strcmp(proto, HUB_PROTO_ROOM) &&
        strcmp(proto, HUB_PROTO_APPLICATION) && strcmp(proto, HUB_PROTO_SMS)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER,
                 "Invalid parameter: Amazon SNS does not support this protocol string: %s "
                 "(Hubbub: sqs, http, https, application, sms, room)",
                 proto);
        return;
    }
    if (!endpoint || !*endpoint) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: Endpoint");
        return;
    }
    hub_sub_config_init(&cfg);
    int rc = hub_sub_config_parse(&cfg, json_object_get(r->in, "Attributes"), &bad);
    if (rc) {
        hub_sub_config_clear(&cfg);
        aws_fail(r, rc,
                 "Invalid parameter: Attributes Reason: Unknown attribute or invalid value "
                 "for %s",
                 bad ? bad : "?");
        return;
    }
    if (!(bus = aws_bus(r))) {
        hub_sub_config_clear(&cfg);
        return;
    }
    rc = hub_bus_subscribe(bus, r->topic, proto, endpoint, &cfg, on_subscribed, r);
    hub_sub_config_clear(&cfg);
    if (rc == HUB_BUS_EINVALID_PARAMETER)
        aws_fail(r, rc,
                 "Invalid parameter: the Endpoint does not fit the protocol (sqs: a queue "
                 "ARN of the topic's kind, standard or FIFO; http(s): a URL; application: a "
                 "platform endpoint ARN; sms: an E.164 phone number; room: "
                 "<namespace>#<room>; application and sms: standard topics only), or the "
                 "FilterPolicy is not valid");
    else
        started(r, rc);
}

static void on_confirmed(void *ud, int err, const struct hub_subscription *s)
{
    struct aws_req *r = ud;
    char arn[600];
    if (err) {
        aws_fail(r, err, err == HUB_BUS_ENOT_FOUND ? "Topic does not exist" : "Invalid token");
        return;
    }
    sub_arn(r, s, arn, sizeof arn);
    aws_reply(r, json_pack("{s:s}", "SubscriptionArn", arn));
}

static void confirm_subscription(struct aws_req *r)
{
    hub_bus *bus;
    if (aws_sns_topic_from(r, "TopicArn")) return;
    const char *token = aws_need_str(r, "Token");
    if (!token || !(bus = aws_bus(r))) return;
    started(r, hub_bus_confirm_subscription(bus, r->topic, token, on_confirmed, r));
}

static void unsubscribe(struct aws_req *r)
{
    char id[HUB_BUS_UUID_LEN + 1];
    hub_bus *bus;
    if (sub_from(r, id) || !(bus = aws_bus(r))) return;
    started(r, hub_bus_unsubscribe(bus, id, on_done, r));
}

static void on_subs(void *ud, int err, const struct hub_subscription *s, size_t n)
{
    struct aws_req *r = ud;
    char after[HUB_BUS_UUID_LEN + 8] = "", arn[600], tarn[512];
    const char *token = aws_in_str(r, "NextToken");
    size_t i = 0, taken = 0;
    if (err) {
        aws_fail(r, err, err == HUB_BUS_ENOT_FOUND ? "Topic does not exist" : NULL);
        return;
    }
    if (token && aws_token_read(token, after, sizeof after)) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: NextToken");
        return;
    }
    if (after[0]) {
        while (i < n && strcmp(s[i].id, after) != 0)
            i++;
        i = i < n ? i + 1 : n;
    }
    json_t *out = json_pack("{s:[]}", "Subscriptions"),
           *list = json_object_get(out, "Subscriptions");
    int bad = !out;
    for (; i < n && taken < PAGE && !bad; i++, taken++) {
        if (s[i].pending)
            snprintf(arn, sizeof arn, "PendingConfirmation");
        else
            sub_arn(r, &s[i], arn, sizeof arn);
        aws_arn(r->aws, "sns", s[i].topic, tarn, sizeof tarn);
        bad = json_array_append_new(list,
                                    json_pack("{s:s,s:s,s:s,s:s,s:s}", "SubscriptionArn", arn,
                                              "Owner", r->aws->account, "Protocol", s[i].protocol,
                                              "Endpoint", s[i].endpoint, "TopicArn", tarn)) != 0;
    }
    if (!bad && i < n) {
        char *t = aws_token_make(s[i - 1].id);
        bad = !t || json_object_set_new(out, "NextToken", json_string(t));
        hub_free(t);
    }
    if (bad) {
        json_decref(out);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    aws_reply(r, out);
}

static void on_subs_topic(void *ud, int err, const struct hub_topic_info *info)
{
    struct aws_req *r = ud;
    hub_bus *bus;
    (void)info;
    if (err) {
        aws_fail(r, err, "Topic does not exist");
        return;
    }
    if (aws_gone(r)) {
        aws_req_free(r);
        return;
    }
    if (!(bus = aws_bus(r))) return;
    started(r, hub_bus_subscriptions_list(bus, r->topic, on_subs, r));
}

static void list_subscriptions(struct aws_req *r)
{
    hub_bus *bus;
    if (!(bus = aws_bus(r))) return;
    started(r, hub_bus_subscriptions_list(bus, NULL, on_subs, r));
}

static void list_subscriptions_by_topic(struct aws_req *r)
{
    hub_bus *bus;
    if (aws_sns_topic_from(r, "TopicArn") || !(bus = aws_bus(r))) return;
    started(r, hub_bus_topic_get(bus, r->topic, on_subs_topic, r));
}

static void on_sub_attributes(void *ud, int err, const struct hub_subscription *s)
{
    struct aws_req *r = ud;
    json_t *attrs = NULL;
    hub_bus *bus;
    if (err) {
        aws_fail(r, err, err == HUB_BUS_ENOT_FOUND ? "Subscription does not exist" : NULL);
        return;
    }
    if (!(bus = aws_bus(r))) return;
    if (hub_subscription_attributes(bus, s, &attrs)) {
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    aws_reply(r, json_pack("{s:o}", "Attributes", attrs));
}

static void get_subscription_attributes(struct aws_req *r)
{
    char id[HUB_BUS_UUID_LEN + 1];
    hub_bus *bus;
    if (sub_from(r, id) || !(bus = aws_bus(r))) return;
    started(r, hub_bus_subscription_get(bus, id, on_sub_attributes, r));
}

static void set_subscription_attributes(struct aws_req *r)
{
    char id[HUB_BUS_UUID_LEN + 1];
    struct hub_sub_config cfg;
    const char *bad = NULL;
    hub_bus *bus;
    if (sub_from(r, id)) return;
    json_t *attrs = one_attribute(r);
    if (!attrs) return;
    hub_sub_config_init(&cfg);
    int rc = hub_sub_config_parse(&cfg, attrs, &bad);
    if (rc || !(bus = aws_bus(r))) {
        hub_sub_config_clear(&cfg);
        json_decref(attrs);
        if (rc) aws_fail(r, rc, "Invalid parameter: AttributeName");
        return;
    }
    rc = hub_bus_subscription_set(bus, id, &cfg, on_done, r);
    hub_sub_config_clear(&cfg);
    json_decref(attrs); /* the bus copied the strings cfg borrowed */
    if (rc == HUB_BUS_EINVALID_PARAMETER)
        aws_fail(r, rc, "Invalid parameter: %s",
                 json_string_value(json_object_get(r->in, "AttributeName")));
    else
        started(r, rc);
}

/* ---- publish ---- */

/* The entry of a publish (e in the JSON shape). Returns 0, or an error code for the entry. */
static int publish_entry(json_t *e, struct hub_publish_entry *out)
{
    json_t *msg = json_object_get(e, "Message");
    const char *structure = json_string_value(json_object_get(e, "MessageStructure"));
    memset(out, 0, sizeof *out);
    out->id = json_string_value(json_object_get(e, "Id"));
    out->message = json_string_value(msg);
    out->message_len = json_string_length(msg);
    out->subject = json_string_value(json_object_get(e, "Subject"));
    out->attributes = json_object_get(e, "MessageAttributes");
    out->group_id = json_string_value(json_object_get(e, "MessageGroupId"));
    out->dedup_id = json_string_value(json_object_get(e, "MessageDeduplicationId"));
    if (structure && strcmp(structure, "json") != 0) return HUB_BUS_EINVALID_PARAMETER;
    out->structure_json = structure != NULL;
    return 0;
}

const char *aws_sns_publish_error_text(int err)
{
    switch (err) {
    case HUB_BUS_EINVALID_PARAMETER:
        return "Invalid parameter: the message is empty, too long, not valid text, its "
               "attributes or subject are invalid, MessageStructure=json needs a \"default\" "
               "string, or a FIFO topic needs MessageGroupId (and MessageDeduplicationId unless "
               "ContentBasedDeduplication)";
    case HUB_BUS_ENOT_FOUND:
        return "Topic does not exist";
    default:
        return hub_bus_strerror(err);
    }
}

static void on_published_one(void *ud, int err, const struct hub_publish_result *res, size_t n)
{
    struct aws_req *r = ud;
    char seq[24];
    if (!err && n == 1) err = res[0].err;
    if (err) {
        aws_fail(r, err, "%s", aws_sns_publish_error_text(err));
        return;
    }
    json_t *out = json_pack("{s:s}", "MessageId", res[0].message_id);
    if (out && res[0].sequence_number) {
        snprintf(seq, sizeof seq, "%020" PRIu64, res[0].sequence_number);
        json_object_set_new(out, "SequenceNumber", json_string(seq));
    }
    aws_reply(r, out);
}

static void publish(struct aws_req *r)
{
    struct hub_publish_entry e;
    hub_bus *bus;
    int direct = aws_mobile_publish_direct(r); /* a phone number or a platform endpoint */
    if (!direct && aws_sns_topic_from(r, aws_in_str(r, "TopicArn") ? "TopicArn" : "TargetArn"))
        return;
    if (!json_is_string(json_object_get(r->in, "Message"))) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: Empty message");
        return;
    }
    int rc = publish_entry(r->in, &e);
    e.id = NULL;
    if (rc) {
        aws_fail(r, rc, "Invalid parameter: MessageStructure");
        return;
    }
    if (direct) {
        aws_mobile_publish(r, &e);
        return;
    }
    if (!(bus = aws_bus(r))) return;
    rc = hub_bus_publish(bus, r->topic, &e, 1, on_published_one, r);
    if (rc) aws_fail(r, rc, "%s", aws_sns_publish_error_text(rc));
}

static void on_published_batch(void *ud, int err, const struct hub_publish_result *res, size_t n)
{
    struct aws_req *r = ud;
    char seq[24];
    if (err) {
        aws_fail(r, err, "%s", aws_sns_publish_error_text(err));
        return;
    }
    json_t *out = json_pack("{s:[],s:[]}", "Successful", "Failed");
    json_t *ok = json_object_get(out, "Successful"), *failed = json_object_get(out, "Failed");
    int bad = !out;
    for (size_t i = 0; i < n && !bad; i++) {
        const char *id = res[i].id ? res[i].id : "";
        if (res[i].err) {
            const char *code;
            switch (res[i].err) {
            case HUB_BUS_ENOT_FOUND:
                code = "NotFound";
                break;
            case HUB_BUS_EINVALID_PARAMETER_VALUE:
                code = "ParameterValueInvalid";
                break;
            default:
                code = "InvalidParameter";
            }
            bad = json_array_append_new(failed,
                                        json_pack("{s:s,s:s,s:s,s:b}", "Id", id, "Code", code,
                                                  "Message", aws_sns_publish_error_text(res[i].err),
                                                  "SenderFault", 1)) != 0;
            continue;
        }
        json_t *o = json_pack("{s:s,s:s}", "Id", id, "MessageId", res[i].message_id);
        if (o && res[i].sequence_number) {
            snprintf(seq, sizeof seq, "%020" PRIu64, res[i].sequence_number);
            json_object_set_new(o, "SequenceNumber", json_string(seq));
        }
        bad = json_array_append_new(ok, o) != 0;
    }
    if (bad) {
        json_decref(out);
        aws_fail(r, HUB_ENOMEM, NULL);
        return;
    }
    aws_reply(r, out);
}

static void publish_batch(struct aws_req *r)
{
    struct hub_publish_entry e[HUB_BUS_BATCH_MAX];
    hub_bus *bus;
    if (aws_sns_topic_from(r, "TopicArn")) return;
    json_t *entries = json_object_get(r->in, "PublishBatchRequestEntries");
    size_t n = json_array_size(entries);
    if (n == 0 || n > HUB_BUS_BATCH_MAX) {
        aws_fail(r, n ? HUB_BUS_ETOO_MANY_ENTRIES_IN_BATCH_REQUEST : HUB_BUS_EEMPTY_BATCH_REQUEST,
                 n ? "The batch request contains more entries than permissible."
                   : "The batch request doesn't contain any entries.");
        return;
    }
    int structure_bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (publish_entry(json_array_get(entries, i), &e[i])) structure_bad = 1;
        if (!e[i].id) e[i].id = "";
    }
    if (structure_bad) {
        aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: MessageStructure");
        return;
    }
    if (!(bus = aws_bus(r))) return;
    int rc = hub_bus_publish(bus, r->topic, e, n, on_published_batch, r);
    if (rc == HUB_BUS_EBATCH_ENTRY_IDS_NOT_DISTINCT)
        aws_fail(r, rc, "Two or more batch entries in the request have the same Id.");
    else if (rc == HUB_BUS_EINVALID_BATCH_ENTRY_ID)
        aws_fail(r, rc,
                 "The Id of a batch entry in a batch request doesn't abide by the "
                 "specification.");
    else if (rc == HUB_BUS_EBATCH_REQUEST_TOO_LONG)
        aws_fail(r, rc, "The length of all the messages put together is more than the limit.");
    else if (rc)
        aws_fail(r, rc, "%s", aws_sns_publish_error_text(rc));
}

/* ---- the table ---- */

/* Every action of the SNS API reference (42). */
static const struct aws_action actions[] = {
    {"AddPermission", q_permission, add_permission, 1},
    {"CheckIfPhoneNumberIsOptedOut", q_phone_lower, aws_sns_check_if_phone_number_is_opted_out, 0},
    {"ConfirmSubscription", q_confirm, confirm_subscription, 0},
    {"CreatePlatformApplication", q_create_app, aws_sns_create_platform_application, 0},
    {"CreatePlatformEndpoint", q_create_endpoint, aws_sns_create_platform_endpoint, 0},
    {"CreateSMSSandboxPhoneNumber", q_sandbox_create, aws_sns_create_sms_sandbox_phone_number, 0},
    {"CreateTopic", q_create, create_topic, 0},
    {"DeleteEndpoint", q_endpoint, aws_sns_delete_endpoint, 1},
    {"DeletePlatformApplication", q_app, aws_sns_delete_platform_application, 1},
    {"DeleteSMSSandboxPhoneNumber", q_phone, aws_sns_delete_sms_sandbox_phone_number, 0},
    {"DeleteTopic", q_topic, delete_topic, 1},
    {"GetDataProtectionPolicy", q_resource, aws_sns_get_data_protection_policy, 0},
    {"GetEndpointAttributes", q_endpoint, aws_sns_get_endpoint_attributes, 0},
    {"GetPlatformApplicationAttributes", q_app, aws_sns_get_platform_application_attributes, 0},
    {"GetSMSAttributes", q_get_sms, aws_sns_get_sms_attributes, 0},
    {"GetSMSSandboxAccountStatus", q_none, aws_sns_get_sms_sandbox_account_status, 0},
    {"GetSubscriptionAttributes", q_sub, get_subscription_attributes, 0},
    {"GetTopicAttributes", q_topic, get_topic_attributes, 0},
    {"ListEndpointsByPlatformApplication", q_app_next,
     aws_sns_list_endpoints_by_platform_application, 0},
    {"ListOriginationNumbers", q_next_max, aws_sns_list_origination_numbers, 0},
    {"ListPhoneNumbersOptedOut", q_next_lower, aws_sns_list_phone_numbers_opted_out, 0},
    {"ListPlatformApplications", q_next, aws_sns_list_platform_applications, 0},
    {"ListSMSSandboxPhoneNumbers", q_next_max, aws_sns_list_sms_sandbox_phone_numbers, 0},
    {"ListSubscriptions", q_next, list_subscriptions, 0},
    {"ListSubscriptionsByTopic", q_topic_next, list_subscriptions_by_topic, 0},
    {"ListTagsForResource", q_resource, list_tags, 0},
    {"ListTopics", q_next, list_topics, 0},
    {"OptInPhoneNumber", q_phone_lower, aws_sns_opt_in_phone_number, 0},
    {"Publish", q_publish, publish, 0},
    {"PublishBatch", q_publish_batch, publish_batch, 0},
    {"PutDataProtectionPolicy", q_put_policy, aws_sns_put_data_protection_policy, 1},
    {"RemovePermission", q_permission, add_permission, 1},
    {"SetEndpointAttributes", q_endpoint_attributes, aws_sns_set_endpoint_attributes, 1},
    {"SetPlatformApplicationAttributes", q_app_attributes,
     aws_sns_set_platform_application_attributes, 1},
    {"SetSMSAttributes", q_set_sms, aws_sns_set_sms_attributes, 0},
    {"SetSubscriptionAttributes", q_set_sub, set_subscription_attributes, 1},
    {"SetTopicAttributes", q_set_topic, set_topic_attributes, 1},
    {"Subscribe", q_subscribe, subscribe, 0},
    {"TagResource", q_tag, tag_resource, 0},
    {"Unsubscribe", q_sub, unsubscribe, 1},
    {"UntagResource", q_untag, untag_resource, 0},
    {"VerifySMSSandboxPhoneNumber", q_sandbox_verify, aws_sns_verify_sms_sandbox_phone_number, 0},
};

const struct aws_action *aws_sns_action(const char *name)
{
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strcmp(actions[i].name, name) == 0) return &actions[i];
    return NULL;
}
