/* test_aws_query.c - AWS Query protocol requests (protocol/aws_query.h): form decoding and the
 * flattening of SQS and SNS members into the JSON protocol's shape, on the bodies real clients
 * send (aws-wire §4). Inputs end right before an unreadable page, so an over-read crashes. */
#include "aws_query.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "testlib.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard {
    uint8_t *map;
    size_t maplen;
};

static char *guarded(struct guard *g, const char *src)
{
    size_t n = strlen(src), pg = (size_t)sysconf(_SC_PAGESIZE), pages = n / pg + 1;
    g->maplen = (pages + 1) * pg;
    g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED || mprotect(g->map + pages * pg, pg, PROT_NONE) != 0) abort();
    char *p = (char *)g->map + pages * pg - n;
    memcpy(p, src, n);
    return p;
}

static void guard_free(struct guard *g)
{
    munmap(g->map, g->maplen);
}

/* Parses body (guarded) and converts it with members; returns the compact JSON text (static). */
static const char *convert(const char *body, const struct aws_member *members)
{
    static char out[4096];
    struct guard g;
    struct aws_form f = {0};
    json_t *j = NULL;
    char *p = guarded(&g, body);
    int rc = aws_form_parse(&f, p, strlen(body));
    if (rc == 0) rc = aws_query_to_json(&f, members, &j, NULL);
    guard_free(&g);
    aws_form_clear(&f);
    if (rc) {
        snprintf(out, sizeof out, "error %d", rc);
        return out;
    }
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(out, sizeof out, "%s", s);
    free(s);
    json_decref(j);
    return out;
}

#define S(n)                                                                                       \
    {                                                                                              \
        n, n, AWS_M_SCALAR, NULL, NULL, NULL, NULL, NULL                                           \
    }
#define END                                                                                        \
    {                                                                                              \
        NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL                                                \
    }

static const struct aws_member value_members[] = {S("DataType"), S("StringValue"), S("BinaryValue"),
                                                  END};
static const struct aws_member send_entry[] = {S("Id"),
                                               S("MessageBody"),
                                               S("MessageGroupId"),
                                               S("MessageDeduplicationId"),
                                               {"MessageAttributes", "MessageAttribute", AWS_M_MAP,
                                                NULL, "Name", "Value", value_members, NULL},
                                               END};
static const struct aws_member sqs[] = {
    S("QueueName"),
    S("QueueUrl"),
    S("MessageBody"),
    S("WaitTimeSeconds"),
    {"Attributes", "Attribute", AWS_M_MAP, NULL, "Name", "Value", NULL, NULL},
    {"tags", "Tag", AWS_M_MAP, NULL, "Key", "Value", NULL, NULL},
    {"AttributeNames", "AttributeName", AWS_M_LIST, NULL, NULL, NULL, NULL, NULL},
    {"MessageAttributes", "MessageAttribute", AWS_M_MAP, NULL, "Name", "Value", value_members,
     NULL},
    {"Entries", "SendMessageBatchRequestEntry", AWS_M_STRUCT_LIST, NULL, NULL, NULL, send_entry,
     "Entries"},
    END,
};
static const struct aws_member tag_members[] = {S("Key"), S("Value"), END};
static const struct aws_member publish_entry[] = {S("Id"),
                                                  S("Message"),
                                                  S("MessageGroupId"),
                                                  {"MessageAttributes", "MessageAttributes",
                                                   AWS_M_MAP, "entry", "Name", "Value",
                                                   value_members, NULL},
                                                  END};
static const struct aws_member sns[] = {
    S("Name"),
    S("TopicArn"),
    S("Message"),
    {"Attributes", "Attributes", AWS_M_MAP, "entry", "key", "value", NULL, NULL},
    {"Tags", "Tags", AWS_M_STRUCT_LIST, "member", NULL, NULL, tag_members, NULL},
    {"TagKeys", "TagKeys", AWS_M_LIST, "member", NULL, NULL, NULL, NULL},
    {"MessageAttributes", "MessageAttributes", AWS_M_MAP, "entry", "Name", "Value", value_members,
     NULL},
    {"PublishBatchRequestEntries", "PublishBatchRequestEntries", AWS_M_STRUCT_LIST, "member", NULL,
     NULL, publish_entry, NULL},
    END,
};

static void test_form(void)
{
    struct aws_form f = {0};
    struct guard g;
    const char *body = "Action=SendMessage&MessageBody=hello+world%21&empty=&flag&&x=%e2%82%ac"
                       "&dup=1&dup=2";
    char *p = guarded(&g, body);
    size_t len;
    CHECK_INT(aws_form_parse(&f, p, strlen(body)), 0);
    guard_free(&g);
    CHECK_STR(aws_form_get(&f, "Action", NULL), "SendMessage");
    CHECK_STR(aws_form_get(&f, "MessageBody", &len), "hello world!");
    CHECK_INT(len, 12);
    CHECK_STR(aws_form_get(&f, "empty", NULL), "");
    CHECK_STR(aws_form_get(&f, "flag", NULL), "");
    CHECK_STR(aws_form_get(&f, "x", NULL), "\xe2\x82\xac");
    CHECK_STR(aws_form_get(&f, "dup", NULL), "1"); /* the first wins */
    CHECK(aws_form_get(&f, "missing", NULL) == NULL);
    /* a second parse adds (query string, then body) */
    CHECK_INT(aws_form_parse(&f, "Version=2012-11-05", 18), 0);
    CHECK_STR(aws_form_get(&f, "Version", NULL), "2012-11-05");
    /* %00 decodes to a NUL inside the value */
    CHECK_INT(aws_form_parse(&f, "nul=a%00b", 9), 0);
    CHECK_STR(aws_form_get(&f, "nul", &len), "a");
    CHECK_INT(len, 3);
    /* malformed escapes leave the form as it was */
    size_t before = f.n;
    CHECK_INT(aws_form_parse(&f, "a=1&b=%zz", 9), HUB_EPARSE);
    CHECK_INT(aws_form_parse(&f, "b=%4", 4), HUB_EPARSE);
    CHECK_INT(aws_form_parse(&f, "b=%", 3), HUB_EPARSE);
    CHECK_INT(f.n, before);
    CHECK(aws_form_get(&f, "a", NULL) == NULL);
    aws_form_clear(&f);
    CHECK(f.n == 0 && f.pairs == NULL);
    /* an empty body */
    CHECK_INT(aws_form_parse(&f, "", 0), 0);
    CHECK_INT(f.n, 0);
    aws_form_clear(&f);
}

static void test_sqs_shapes(void)
{
    /* aws-wire §4.4: the CLI's CreateQueue and SendMessage */
    CHECK_STR(convert("Action=CreateQueue&Version=2012-11-05&QueueName=orders.fifo&Attribute.1."
                      "Name=FifoQueue&Attribute.1.Value=true&Attribute.2.Name="
                      "ContentBasedDeduplication&Attribute.2.Value=true&Tag.1.Key=team&Tag.1."
                      "Value=a",
                      sqs),
              "{\"Attributes\":{\"ContentBasedDeduplication\":\"true\",\"FifoQueue\":\"true\"},"
              "\"QueueName\":\"orders.fifo\",\"tags\":{\"team\":\"a\"}}");
    CHECK_STR(convert("Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2F127.0.0.1%3A42"
                      "073%2F000000000000%2Forders&MessageBody=hello+world&MessageAttribute.1.Name="
                      "trace&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value."
                      "StringValue=abc&MessageAttribute.2.Name=n&MessageAttribute.2.Value.DataType="
                      "Number&MessageAttribute.2.Value.StringValue=42",
                      sqs),
              "{\"MessageAttributes\":{\"n\":{\"DataType\":\"Number\",\"StringValue\":\"42\"},"
              "\"trace\":{\"DataType\":\"String\",\"StringValue\":\"abc\"}},\"MessageBody\":"
              "\"hello world\",\"QueueUrl\":\"http://127.0.0.1:42073/000000000000/orders\"}");
    /* lists keep numeric order (10 after 2), gaps are fine, scalars stay strings */
    CHECK_STR(convert("AttributeName.10=C&AttributeName.2=B&AttributeName.1=A&AttributeName.x=no"
                      "&AttributeName.=no&WaitTimeSeconds=20",
                      sqs),
              "{\"AttributeNames\":[\"A\",\"B\",\"C\"],\"WaitTimeSeconds\":\"20\"}");
    /* batches (and goaws' Entries.N spelling) */
    const char *batch = "{\"Entries\":[{\"Id\":\"a\",\"MessageBody\":\"one\","
                        "\"MessageDeduplicationId\":\"d1\",\"MessageGroupId\":\"g1\"},{\"Id\":"
                        "\"b\",\"MessageAttributes\":{\"k\":{\"DataType\":\"String\","
                        "\"StringValue\":\"v\"}},\"MessageBody\":\"two\",\"MessageGroupId\":"
                        "\"g1\"}]}";
    CHECK_STR(
        convert("SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.Message"
                "Body=one&SendMessageBatchRequestEntry.1.MessageGroupId=g1&SendMessageBatch"
                "RequestEntry.1.MessageDeduplicationId=d1&SendMessageBatchRequestEntry.2.Id="
                "b&SendMessageBatchRequestEntry.2.MessageBody=two&SendMessageBatchRequest"
                "Entry.2.MessageGroupId=g1&SendMessageBatchRequestEntry.2.MessageAttribute.1."
                "Name=k&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType="
                "String&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue=v",
                sqs),
        batch);
    CHECK_STR(convert("Entries.1.Id=a&Entries.1.MessageBody=one&Entries.1.MessageGroupId=g1&"
                      "Entries.1.MessageDeduplicationId=d1&Entries.2.Id=b&Entries.2.MessageBody="
                      "two&Entries.2.MessageGroupId=g1&Entries.2.MessageAttribute.1.Name=k&Entries"
                      ".2.MessageAttribute.1.Value.DataType=String&Entries.2.MessageAttribute.1."
                      "Value.StringValue=v",
                      sqs),
              batch);
    /* a map entry without its key is skipped; without its value it gets "" */
    CHECK_STR(convert("Attribute.1.Value=x&Attribute.2.Name=DelaySeconds", sqs),
              "{\"Attributes\":{\"DelaySeconds\":\"\"}}");
    /* nothing known: an empty object */
    CHECK_STR(convert("Action=ListQueues&Version=2012-11-05", sqs), "{}");
}

static void test_sns_shapes(void)
{
    /* aws-wire §4.3 */
    CHECK_STR(convert("Action=Publish&Version=2010-03-31&Message=hi%20there&TopicArn=arn%3Aaws%3A"
                      "sns%3Aus-east-1%3A000000000000%3Aevents&Subject=subj&MessageAttributes.entry"
                      ".1.Name=kind&MessageAttributes.entry.1.Value.DataType=String&Message"
                      "Attributes.entry.1.Value.StringValue=created&MessageAttributes.entry.3.Name="
                      "bin&MessageAttributes.entry.3.Value.DataType=Binary&MessageAttributes.entry"
                      ".3.Value.BinaryValue=eHl6",
                      sns),
              "{\"Message\":\"hi there\",\"MessageAttributes\":{\"bin\":{\"BinaryValue\":\"eHl6\","
              "\"DataType\":\"Binary\"},\"kind\":{\"DataType\":\"String\",\"StringValue\":"
              "\"created\"}},\"TopicArn\":\"arn:aws:sns:us-east-1:000000000000:events\"}");
    CHECK_STR(convert("Action=CreateTopic&Name=events.fifo&Attributes.entry.1.key=FifoTopic&"
                      "Attributes.entry.1.value=true&Tags.member.1.Key=team&Tags.member.1.Value=a"
                      "&Tags.member.2.Key=env&Tags.member.2.Value=prod",
                      sns),
              "{\"Attributes\":{\"FifoTopic\":\"true\"},\"Name\":\"events.fifo\",\"Tags\":[{"
              "\"Key\":\"team\",\"Value\":\"a\"},{\"Key\":\"env\",\"Value\":\"prod\"}]}");
    CHECK_STR(convert("TagKeys.member.2=b&TagKeys.member.1=a&TagKeys.1=flat-is-not-sns", sns),
              "{\"TagKeys\":[\"a\",\"b\"]}");
    CHECK_STR(convert("PublishBatchRequestEntries.member.1.Id=1&PublishBatchRequestEntries.member."
                      "1.Message=m1&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1."
                      "Name=k&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value."
                      "DataType=String&PublishBatchRequestEntries.member.1.MessageAttributes.entry."
                      "1.Value.StringValue=v&PublishBatchRequestEntries.member.1.MessageGroupId=g&"
                      "PublishBatchRequestEntries.member.2.Id=2&PublishBatchRequestEntries.member."
                      "2.Message=m2",
                      sns),
              "{\"PublishBatchRequestEntries\":[{\"Id\":\"1\",\"Message\":\"m1\","
              "\"MessageAttributes\":{\"k\":{\"DataType\":\"String\",\"StringValue\":\"v\"}},"
              "\"MessageGroupId\":\"g\"},{\"Id\":\"2\",\"Message\":\"m2\"}]}");
}

static void test_bad_text(void)
{
    struct aws_form f = {0};
    json_t *j = NULL;
    const char *bad = NULL;
    /* a value that is not UTF-8 is named */
    CHECK_INT(aws_form_parse(&f, "MessageBody=%ff%fe", 18), 0);
    CHECK_INT(aws_query_to_json(&f, sqs, &j, &bad), HUB_EINVAL);
    CHECK_STR(bad, "MessageBody");
    aws_form_clear(&f);
    /* so is a map key */
    CHECK_INT(aws_form_parse(&f, "Attribute.1.Name=%ff&Attribute.1.Value=1", 40), 0);
    CHECK_INT(aws_query_to_json(&f, sqs, &j, &bad), HUB_EINVAL);
    CHECK_STR(bad, "Attribute.1.Name");
    aws_form_clear(&f);
    /* NUL inside a value is kept (the bus refuses it as a character SQS does not allow) */
    CHECK_INT(aws_form_parse(&f, "MessageBody=a%00b", 17), 0);
    CHECK_INT(aws_query_to_json(&f, sqs, &j, &bad), 0);
    CHECK_INT(json_string_length(json_object_get(j, "MessageBody")), 3);
    json_decref(j);
    aws_form_clear(&f);
}

/* ---- allocation failures ---- */

static long countdown = -1;
static int fail_now(void)
{
    return countdown >= 0 && countdown-- == 0;
}
static void *f_malloc(size_t n)
{
    return fail_now() ? NULL : malloc(n);
}
static void *f_calloc(size_t n, size_t s)
{
    return fail_now() ? NULL : calloc(n, s);
}
static void *f_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : realloc(p, n);
}
static const struct hub_alloc_funcs failing = {f_malloc, f_calloc, f_realloc, free};

static void test_alloc_failures(void)
{
    const char *body = "QueueUrl=u&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEn"
                       "try.1.MessageBody=x&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name="
                       "k&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String&"
                       "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v&"
                       "Attribute.1.Name=A&Attribute.1.Value=1&AttributeName.1=All";
    int ok = 0, nomem = 0;
    hub_alloc_set(&failing);
    for (long n = 0; n < 2000 && !ok; n++) {
        struct aws_form f = {0};
        json_t *j = NULL;
        countdown = n;
        int rc = aws_form_parse(&f, body, strlen(body));
        if (rc == 0) rc = aws_query_to_json(&f, sqs, &j, NULL);
        countdown = -1;
        if (rc == 0)
            ok = json_array_size(json_object_get(j, "Entries")) == 1;
        else if (rc == HUB_ENOMEM)
            nomem++;
        else
            CHECK_INT(rc, HUB_ENOMEM);
        json_decref(j);
        aws_form_clear(&f);
    }
    hub_alloc_set(NULL);
    CHECK(ok);
    CHECK(nomem > 10);
}

int main(void)
{
    RUN(test_form);
    RUN(test_sqs_shapes);
    RUN(test_sns_shapes);
    RUN(test_bad_text);
    RUN(test_alloc_failures);
    return TEST_SUMMARY();
}
