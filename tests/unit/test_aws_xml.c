/* test_aws_xml.c - Query protocol replies (protocol/aws_xml.h): escaping, SQS's flattened and SNS's
 * wrapped rendering of JSON results, error documents. */
#include "aws_xml.h"
#include "hub_alloc.h"
#include "testlib.h"

#include <stdlib.h>

static const struct aws_xml_rule sqs_rules[] = {
    {"QueueUrls", AWS_XML_LIST, "QueueUrl", NULL, NULL},
    {"Messages", AWS_XML_LIST, "Message", NULL, NULL},
    {"Attributes", AWS_XML_MAP, "Attribute", "Name", "Value"},
    {"MessageAttributes", AWS_XML_MAP, "MessageAttribute", "Name", "Value"},
    {"Tags", AWS_XML_MAP, "Tag", "Key", "Value"},
    {"Successful", AWS_XML_LIST, NULL, NULL, NULL},
    {"Failed", AWS_XML_LIST, "BatchResultErrorEntry", NULL, NULL},
    {NULL, 0, NULL, NULL, NULL},
};
static const struct aws_xml_style sqs = {"urn:sqs", 1, sqs_rules};
static const struct aws_xml_rule sns_rules[] = {
    {"Attributes", AWS_XML_MAP, NULL, "key", "value"},
    {NULL, 0, NULL, NULL, NULL},
};
static const struct aws_xml_style sns = {"urn:sns", 0, sns_rules};

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

/* The response of action with the JSON result text (NULL: none), as a static string. */
static const char *render(const struct aws_xml_style *st, const char *action, const char *json)
{
    static char out[4096];
    struct aws_buf b;
    json_t *j = json ? json_loads(json, 0, NULL) : NULL;
    aws_buf_init(&b);
    aws_xml_response(&b, st, action, j, "rid");
    json_decref(j);
    CHECK(!b.failed);
    /* drop the XML declaration and the metadata to keep the expectations short */
    const char *s = b.data ? b.data : "";
    if (strncmp(s, HEAD, strlen(HEAD)) == 0) s += strlen(HEAD);
    snprintf(out, sizeof out, "%s", s);
    char *meta = strstr(out, "<ResponseMetadata>");
    if (meta) {
        CHECK(strncmp(meta, "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>",
                      63) == 0);
        memmove(meta, meta + 63, strlen(meta + 63) + 1);
    }
    aws_buf_free(&b);
    return out;
}

static void test_escape(void)
{
    struct aws_buf b;
    aws_buf_init(&b);
    const char text[] = "a<b>&\"c'\r\n\td\xc3\xa9";
    aws_xml_text(&b, text, sizeof text - 1);
    CHECK_STR(b.data, "a&lt;b&gt;&amp;&quot;c&apos;&#xD;\n\td\xc3\xa9");
    aws_buf_free(&b);
    aws_buf_init(&b);
    aws_xml_elem(&b, "Body", "");
    aws_buf_addf(&b, "%d-%s", 7, "x");
    CHECK_STR(b.data, "<Body></Body>7-x");
    aws_buf_free(&b);
}

static void test_sqs(void)
{
    CHECK_STR(render(&sqs, "ListQueues", "{\"QueueUrls\":[\"http://h/1/a\",\"http://h/1/b&c\"]}"),
              "<ListQueuesResponse xmlns=\"urn:sqs\"><ListQueuesResult><QueueUrl>http://h/1/a"
              "</QueueUrl><QueueUrl>http://h/1/b&amp;c</QueueUrl></ListQueuesResult>"
              "</ListQueuesResponse>");
    CHECK_STR(render(&sqs, "DeleteQueue", NULL),
              "<DeleteQueueResponse xmlns=\"urn:sqs\"></DeleteQueueResponse>");
    CHECK_STR(render(&sqs, "ReceiveMessage",
                     "{\"Messages\":[{\"MessageId\":\"m\",\"Body\":\"x\",\"Attributes\":{"
                     "\"SentTimestamp\":\"1\"},\"MD5OfMessageAttributes\":\"5\","
                     "\"MessageAttributes\":{\"k\":{\"DataType\":\"Binary\",\"BinaryValue\":"
                     "\"AQI=\"}}}]}"),
              "<ReceiveMessageResponse xmlns=\"urn:sqs\"><ReceiveMessageResult><Message>"
              "<MessageId>m</MessageId><Body>x</Body><Attribute><Name>SentTimestamp</Name><Value>"
              "1</Value></Attribute><MD5OfMessageAttributes>5</MD5OfMessageAttributes>"
              "<MessageAttribute><Name>k</Name><Value><DataType>Binary</DataType><BinaryValue>"
              "AQI=</BinaryValue></Value></MessageAttribute></Message></ReceiveMessageResult>"
              "</ReceiveMessageResponse>");
    CHECK_STR(render(&sqs, "DeleteMessageBatch",
                     "{\"Successful\":[{\"Id\":\"a\"}],\"Failed\":[{\"Id\":\"b\",\"SenderFault\":"
                     "true,\"Code\":\"ReceiptHandleIsInvalid\",\"Message\":\"m\"}]}"),
              "<DeleteMessageBatchResponse xmlns=\"urn:sqs\"><DeleteMessageBatchResult>"
              "<DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry>"
              "<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>"
              "ReceiptHandleIsInvalid</Code><Message>m</Message></BatchResultErrorEntry>"
              "</DeleteMessageBatchResult></DeleteMessageBatchResponse>");
    CHECK_STR(render(&sqs, "ListQueueTags", "{\"Tags\":{\"team\":\"a\"}}"),
              "<ListQueueTagsResponse xmlns=\"urn:sqs\"><ListQueueTagsResult><Tag><Key>team</Key>"
              "<Value>a</Value></Tag></ListQueueTagsResult></ListQueueTagsResponse>");
    /* numbers and a member without a rule */
    CHECK_STR(render(&sqs, "X", "{\"N\":42,\"R\":1.5,\"F\":false,\"Z\":null,\"O\":{\"A\":\"b\"}}"),
              "<XResponse xmlns=\"urn:sqs\"><XResult><N>42</N><R>1.5</R><F>false</F><O><A>b</A>"
              "</O></XResult></XResponse>");
}

static void test_sns(void)
{
    CHECK_STR(render(&sns, "ListTopics",
                     "{\"Topics\":[{\"TopicArn\":\"arn:1\"},{\"TopicArn\":\"arn:2\"}],"
                     "\"NextToken\":\"t\"}"),
              "<ListTopicsResponse xmlns=\"urn:sns\"><ListTopicsResult><Topics><member><TopicArn>"
              "arn:1</TopicArn></member><member><TopicArn>arn:2</TopicArn></member></Topics>"
              "<NextToken>t</NextToken></ListTopicsResult></ListTopicsResponse>");
    CHECK_STR(render(&sns, "GetTopicAttributes", "{\"Attributes\":{\"Owner\":\"0\",\"A\":\"<\"}}"),
              "<GetTopicAttributesResponse xmlns=\"urn:sns\"><GetTopicAttributesResult>"
              "<Attributes><entry><key>Owner</key><value>0</value></entry><entry><key>A</key>"
              "<value>&lt;</value></entry></Attributes></GetTopicAttributesResult>"
              "</GetTopicAttributesResponse>");
    CHECK_STR(render(&sns, "ListTagsForResource", "{\"Tags\":[]}"),
              "<ListTagsForResourceResponse xmlns=\"urn:sns\"><ListTagsForResourceResult><Tags>"
              "</Tags></ListTagsForResourceResult></ListTagsForResourceResponse>");
}

static void test_error(void)
{
    struct aws_buf b;
    aws_buf_init(&b);
    aws_xml_error(&b, "urn:sqs", "Sender", "AWS.SimpleQueueService.NonExistentQueue",
                  "The specified queue does not exist.", "r1");
    CHECK_STR(b.data, HEAD "<ErrorResponse xmlns=\"urn:sqs\"><Error><Type>Sender</Type><Code>"
                           "AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified "
                           "queue does not exist.</Message><Detail/></Error><RequestId>r1"
                           "</RequestId></ErrorResponse>");
    aws_buf_free(&b);
}

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

static void test_alloc_failure(void)
{
    struct aws_buf b;
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hub_alloc_set(&failing);
    aws_buf_init(&b);
    aws_buf_adds(&b, "abc");
    countdown = 0;
    aws_buf_adds(&b, big); /* needs to grow: fails */
    aws_buf_adds(&b, "more");
    countdown = -1;
    CHECK(b.failed);
    aws_buf_free(&b);
    hub_alloc_set(NULL);
}

int main(void)
{
    RUN(test_escape);
    RUN(test_sqs);
    RUN(test_sns);
    RUN(test_error);
    RUN(test_alloc_failure);
    return TEST_SUMMARY();
}
