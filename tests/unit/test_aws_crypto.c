/* test_aws_crypto.c - the MD5s SQS answers with (aws-wire §3.5 vectors; protocol/aws_attr.h and
 * hub/aws_crypto.h) and SigV4 (protocol/aws_sigv4.h; AWS's documented example request, AWS's
 * documented presigned URL, and a presigned SQS request signed offline by botocore's
 * SigV4QueryAuth). */
#include "aws_attr.h"
#include "aws_crypto.h"
#include "aws_sigv4.h"
#include "bus.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "testlib.h"

#include <stdlib.h>

static const char *md5_attrs(const char *json)
{
    static char out[40];
    json_t *j = json_loads(json, 0, NULL);
    CHECK(j != NULL);
    int rc = hub_aws_md5_of_attributes(j, out);
    json_decref(j);
    if (rc != 1) snprintf(out, sizeof out, "rc %d", rc);
    return out;
}

#define A1 "\"attribName1\":{\"DataType\":\"String\",\"StringValue\":\"attribValue 1\"}"
#define A2                                                                                         \
    "\"customNumberTypeAttrib\":{\"DataType\":\"Number.float\",\"StringValue\":"                   \
    "\"4563442423554324324264524243.32543234\"}"
#define A3                                                                                         \
    "\"binaryAttribute\":{\"DataType\":\"Binary\",\"BinaryValue\":\"SGVsbG8gYmluYXJ5IHdvcmxkIQ=="  \
    "\"}"

static void test_md5_vectors(void)
{
    char out[33];
    hub_aws_md5_hex("hello world", 11, out);
    CHECK_STR(out, "5eb63bbbe01eeed093cb22bb8f5acdc3");
    hub_aws_md5_hex("", 0, out);
    CHECK_STR(out, "d41d8cd98f00b204e9800998ecf8427e");
    CHECK_STR(md5_attrs("{" A1 "}"), "19e27d4e946b072f3f58da80d94fd778");
    CHECK_STR(md5_attrs("{" A2 "}"), "9fe1b90bbd9965bdf77bac517c7d2495");
    CHECK_STR(md5_attrs("{" A3 "}"), "31a92b15d92f8db860eda32aceb656c3");
    /* the order given does not matter: names are sorted */
    CHECK_STR(md5_attrs("{" A1 "," A2 "," A3 "}"), "c932db14a896c663f83c260297d594ff");
    CHECK_STR(md5_attrs("{" A3 "," A1 "," A2 "}"), "c932db14a896c663f83c260297d594ff");
}

static void test_digest_input(void)
{
    uint8_t *buf;
    size_t len;
    json_t *j = json_loads("{\"b\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AQI=\"},"
                           "\"a\":{\"DataType\":\"String\",\"StringValue\":\"xy\"}}",
                           0, NULL);
    CHECK_INT(aws_attr_digest_input(j, &buf, &len), 0);
    static const uint8_t want[] = {
        0, 0, 0, 1, 'a', 0, 0, 0, 6, 'S', 't', 'r', 'i', 'n', 'g', 1, 0, 0, 0, 2, 'x', 'y',
        0, 0, 0, 1, 'b', 0, 0, 0, 6, 'B', 'i', 'n', 'a', 'r', 'y', 2, 0, 0, 0, 2, 1,   2};
    CHECK_MEM(buf, len, want, sizeof want);
    hub_free(buf);
    json_decref(j);

    /* none: no MD5 at all */
    CHECK_INT(aws_attr_digest_input(NULL, &buf, &len), 0);
    CHECK(buf == NULL && len == 0);
    char out[33];
    j = json_object();
    CHECK_INT(hub_aws_md5_of_attributes(j, out), 0);
    json_decref(j);

    /* malformed */
    const char *bad[] = {
        "[]",
        "{\"a\":{\"StringValue\":\"x\"}}",
        "{\"a\":{\"DataType\":\"Text\",\"StringValue\":\"x\"}}",
        "{\"a\":{\"DataType\":\"String\"}}",
        "{\"a\":{\"DataType\":\"Binary\",\"StringValue\":\"x\"}}",
        "{\"a\":{\"DataType\":\"Binary\",\"BinaryValue\":\"@@@\"}}",
        "{\"a\":\"String\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = json_loads(bad[i], 0, NULL);
        CHECK_INT(aws_attr_digest_input(j, &buf, &len), HUB_EINVAL);
        json_decref(j);
    }
}

static void test_sigv4_parse(void)
{
    struct aws_sigv4_auth a;
    const char *h = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/sqs/aws4_request, "
                    "SignedHeaders=content-type;host;x-amz-date, Signature="
                    "3454675c0000000000000000000000000000000000000000000000000000abcd";
    CHECK_INT(aws_sigv4_parse(h, &a), 0);
    CHECK_STR(a.access_key, "AKIDEXAMPLE");
    CHECK_STR(a.date, "20261125");
    CHECK_STR(a.region, "us-east-1");
    CHECK_STR(a.service, "sqs");
    CHECK_STR(a.signed_headers, "content-type;host;x-amz-date");
    char names[4][64];
    CHECK_INT(aws_sigv4_header_names(a.signed_headers, names, 4), 3);
    CHECK_STR(names[2], "x-amz-date");
    CHECK_INT(aws_sigv4_header_names("a;b;c", names, 2), -1);
    CHECK_INT(aws_sigv4_header_names("a;;c", names, 4), -1);
    CHECK_INT(aws_sigv4_header_names("a;", names, 4), -1);

    const char *bad[] = {
        NULL,
        "",
        "AWS4-HMAC-SHA1 Credential=A/20261125/r/s/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=A/20261125/r/s/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=A/20261125/r/s, SignedHeaders=host, Signature="
        "0000000000000000000000000000000000000000000000000000000000000000",
        "AWS4-HMAC-SHA256 Credential=A/20261125/r/s/aws4_request/x, SignedHeaders=host, "
        "Signature=0000000000000000000000000000000000000000000000000000000000000000",
        "AWS4-HMAC-SHA256 Credential=A/2026/r/s/aws4_request, SignedHeaders=host, Signature="
        "0000000000000000000000000000000000000000000000000000000000000000",
        "AWS4-HMAC-SHA256 Credential=A/20261125/r/s/aws4_request, SignedHeaders=host, Signature="
        "000000000000000000000000000000000000000000000000000000000000000g",
        "AWS4-HMAC-SHA256 Credential=A/20261125/r/s/aws4_request, SignedHeaders=host, Signature="
        "00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(aws_sigv4_parse(bad[i], &a), HUB_EPARSE);
}

/* AWS's documented example (IAM ListUsers, "Create a signed AWS API request"). */
static void test_sigv4_example(void)
{
    struct aws_sigv4_auth a;
    const char *sig = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
    char h[400];
    snprintf(h, sizeof h,
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
             "SignedHeaders=content-type;host;x-amz-date, Signature=%s",
             sig);
    CHECK_INT(aws_sigv4_parse(h, &a), 0);
    const char *values[] = {"application/x-www-form-urlencoded; charset=utf-8",
                            "  iam.amazonaws.com ", "20150830T123600Z"};
    struct aws_buf b;
    aws_buf_init(&b);
    aws_sigv4_canonical_request(
        &b, "GET", "/", "Version=2010-05-08&Action=ListUsers", a.signed_headers, values, 3,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0);
    CHECK_STR(b.data, "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
                      "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
                      "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                      "content-type;host;x-amz-date\n"
                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char hash[65];
    hub_bus_sha256_hex(b.data, b.len, hash);
    CHECK_STR(hash, "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
    aws_buf_free(&b);

    struct hub_aws_sigv4_request r = {
        .method = "GET",
        .path = "/",
        .query = "Action=ListUsers&Version=2010-05-08",
        .amz_date = "20150830T123600Z",
        .values = values,
        .nvalues = 3,
        .body = "",
        .body_len = 0,
    };
    const char *secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), 0);
    CHECK_INT(hub_aws_sigv4_verify(&a, "wrong", &r), HUB_EINVAL);
    r.body = "x";
    r.body_len = 1;
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), HUB_EINVAL); /* the body changed */
    r.body_len = 0;
    r.content_sha256 = "0000";
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), HUB_EINVAL); /* a lying payload hash */
    r.content_sha256 = NULL;
    r.amz_date = "20150831T123600Z";
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), HUB_EINVAL); /* not the scope's day */
}

static void test_canonical_query(void)
{
    struct aws_buf b;
    aws_buf_init(&b);
    /* decoded then strictly re-encoded, sorted by name then value; spaces as %20; '/' encoded */
    aws_sigv4_canonical_request(&b, "POST", "/000000000000/my queue", "b=2&a=x%2Fy&a=%41 b&c",
                                "host", (const char *const[]){"h"}, 1, "p", 0);
    CHECK_STR(b.data, "POST\n/000000000000/my%20queue\na=A%20b&a=x%2Fy&b=2&c=\nhost:h\n\nhost\np");
    aws_buf_free(&b);
}

static void test_sigv4_parse_query(void)
{
    struct aws_sigv4_auth a;
    char why[320];
    /* not a presigned request */
    CHECK_INT(aws_sigv4_parse_query(NULL, &a, why, sizeof why), 1);
    CHECK_INT(aws_sigv4_parse_query("", &a, why, sizeof why), 1);
    CHECK_INT(aws_sigv4_parse_query("Action=ListQueues&X-Amz-Signature=ab&X-Amz-Date=x", &a, why,
                                    sizeof why),
              1);
    CHECK_INT(aws_sigv4_parse_query("X-Amz-Algorithmx=1", &a, why, sizeof why), 1);

    const char *q = "Action=ListQueues&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F"
                    "20261125%2Fus-east-1%2Fsns%2Faws4_request&X-Amz-Date=20261125T141039Z&X-Amz-"
                    "Expires=604800&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Content-Sha256="
                    "UNSIGNED-PAYLOAD&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789ab"
                    "cdef0123456789abcdef";
    CHECK_INT(aws_sigv4_parse_query(q, &a, why, sizeof why), 0);
    CHECK_INT(a.presigned, 1);
    CHECK_STR(a.access_key, "AKID");
    CHECK_STR(a.date, "20261125");
    CHECK_STR(a.region, "us-east-1");
    CHECK_STR(a.service, "sns");
    CHECK_STR(a.amz_date, "20261125T141039Z");
    CHECK_INT(a.expires, 604800);
    CHECK_STR(a.signed_headers, "content-type;host");
    CHECK_STR(a.content_sha256, "UNSIGNED-PAYLOAD");
    CHECK_STR(a.signature, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    /* no X-Amz-Expires: allowed (the 15-minute window of a header applies); a bad signature is
     * kept as "" and never matches */
    CHECK_INT(aws_sigv4_parse_query("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A/20261125/"
                                    "r/sqs/aws4_request&X-Amz-Date=20261125T141039Z&X-Amz-"
                                    "SignedHeaders=host&X-Amz-Signature=ABCD",
                                    &a, why, sizeof why),
              0);
    CHECK_INT(a.expires, 0);
    CHECK_STR(a.signature, "");

    /* the missing ones, named as AWS names them */
    CHECK_INT(aws_sigv4_parse_query("X-Amz-Algorithm&X-Amz-Date=20261125T141039Z&X-Amz-Credential=",
                                    &a, why, sizeof why),
              HUB_EPARSE);
    CHECK_STR(why, "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string "
                   "parameters must include 'X-Amz-Credential'. AWS query-string parameters must "
                   "include 'X-Amz-Signature'. AWS query-string parameters must include "
                   "'X-Amz-SignedHeaders'. Re-examine the query-string parameters.");
    char small[8];
    CHECK_INT(aws_sigv4_parse_query("X-Amz-Algorithm", &a, small, sizeof small), HUB_EPARSE);
    CHECK(strlen(small) == sizeof small - 1); /* cut to fit */
    CHECK_INT(aws_sigv4_parse_query("X-Amz-Algorithm", &a, NULL, 0), HUB_EPARSE);

#define GOOD_PREFIX                                                                                \
    "X-Amz-Credential=A%2F20261125%2Fr%2Fsqs%2Faws4_request&X-Amz-SignedHeaders=host&"
#define GOOD_SIG "X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef&"
    static const char *const bad[][2] = {
        {GOOD_PREFIX GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA512&X-Amz-Date=20261125T141039Z",
         "Unsupported AWS 'algorithm'"},
        {GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039Z&X-Amz-Credential="
                  "A%2F20261125%2Fr%2Fsqs&X-Amz-SignedHeaders=host",
         "exactly 5 slash-delimited"},
        {GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039Z&X-Amz-Credential="
                  "A%2F20261125%2Fr%2Fsqs%2Faws5_request&X-Amz-SignedHeaders=host",
         "Credential must be"},
        {GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039Z&X-Amz-Credential="
                  "A%2F2026112x%2Fr%2Fsqs%2Faws4_request&X-Amz-SignedHeaders=host",
         "Credential must be"},
        {GOOD_PREFIX GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=2026-11-25T14:10:39Z",
         "Date must be in ISO-8601"},
        {GOOD_PREFIX GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039",
         "Date must be in ISO-8601"},
        {GOOD_PREFIX GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039Z&"
                              "X-Amz-Expires=0",
         "X-Amz-Expires must be"},
        {GOOD_PREFIX GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039Z&"
                              "X-Amz-Expires=604801",
         "X-Amz-Expires must be"},
        {GOOD_PREFIX GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039Z&"
                              "X-Amz-Expires=-5",
         "X-Amz-Expires must be"},
        {GOOD_PREFIX GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039Z&"
                              "X-Amz-Expires=60s",
         "X-Amz-Expires must be"},
        {GOOD_PREFIX GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039Z&"
                              "X-Amz-Expires=",
         "X-Amz-Expires must be"},
        {GOOD_PREFIX GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039Z&"
                              "X-Amz-Date=20261125T141040Z",
         "repeated"},
        {GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039Z&X-Amz-Credential="
                  "A%2F20261125%2Fr%2Fsqs%2Faws4_request&X-Amz-SignedHeaders=host%3B%3Bx",
         "X-Amz-SignedHeaders must be"},
        {GOOD_PREFIX GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039Z&"
                              "X-Amz-Content-Sha256=" GOOD_SIG,
         "X-Amz-Content-Sha256 must be"},
        {GOOD_PREFIX GOOD_SIG "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=%0020261125T141039Z",
         "Date must be in ISO-8601"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = 'x';
        CHECK_INT(aws_sigv4_parse_query(bad[i][0], &a, why, sizeof why), HUB_EPARSE);
        CHECK(strstr(why, bad[i][1]) != NULL);
    }
    /* fields longer than their limits are refused, never cut */
    struct aws_buf b;
    aws_buf_init(&b);
    aws_buf_adds(&b, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T141039Z&"
                     "X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Credential=");
    for (int i = 0; i < 300; i++)
        aws_buf_adds(&b, "AK");
    aws_buf_adds(&b, "%2F20261125%2Fr%2Fsqs%2Faws4_request");
    CHECK_INT(aws_sigv4_parse_query(b.data, &a, why, sizeof why), HUB_EPARSE);
    aws_buf_free(&b);
#undef GOOD_PREFIX
#undef GOOD_SIG
}

/* AWS's documented presigned URL (S3 API reference, "Authenticating Requests: Using Query
 * Parameters"): GET /test.txt, signed with UNSIGNED-PAYLOAD as S3 presigners do. */
static void test_sigv4_presigned_example(void)
{
    struct aws_sigv4_auth a;
    char why[320], hash[65];
    const char *query =
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
        "east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-"
        "SignedHeaders=host&X-Amz-Signature="
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    CHECK_INT(aws_sigv4_parse_query(query, &a, why, sizeof why), 0);
    CHECK_INT(a.expires, 86400);
    const char *values[] = {"examplebucket.s3.amazonaws.com"};
    struct aws_buf b;
    aws_buf_init(&b);
    aws_sigv4_canonical_request(&b, "GET", "/test.txt", query, a.signed_headers, values, 1,
                                "UNSIGNED-PAYLOAD", AWS_SIGV4_PRESIGNED);
    CHECK_STR(b.data, "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                      "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
                      "20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
                      "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
    hub_bus_sha256_hex(b.data, b.len, hash);
    CHECK_STR(hash, "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
    aws_buf_free(&b);
    /* without the flag the signature would be signed too */
    aws_buf_init(&b);
    aws_sigv4_canonical_request(&b, "GET", "/test.txt", query, a.signed_headers, values, 1,
                                "UNSIGNED-PAYLOAD", 0);
    CHECK(strstr(b.data, "&X-Amz-Signature=aeeed9bb") != NULL);
    aws_buf_free(&b);

    struct hub_aws_sigv4_request r = {
        .method = "GET",
        .path = "/test.txt",
        .query = query,
        .values = values,
        .nvalues = 1,
        .body = "",
    };
    const char *secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), 0); /* UNSIGNED-PAYLOAD without a body */
    CHECK_INT(hub_aws_sigv4_verify(&a, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEX", &r), HUB_EINVAL);
    r.body = "Action=DeleteQueue";
    r.body_len = strlen(r.body);
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), HUB_EINVAL); /* a body it never signed */
    r.body_len = 0;
    r.path = "/test.txt2";
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), HUB_EINVAL);
    r.path = "/test.txt";
    r.method = "PUT";
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), HUB_EINVAL);
}

/* A presigned SQS SendMessage, signed offline by Debian's botocore 1.29 (SigV4QueryAuth, POST to
 * http://127.0.0.1:4566/, expires 900, with a session token, at 2026-11-25 14:10:39 UTC): the
 * payload hash is the empty body's SHA-256. */
static void test_sigv4_presigned_botocore(void)
{
    static const char query[] =
        "Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2F127.0.0.1%3A4566%2F0000000000"
        "00%2Forders&MessageBody=hi%20there%20%C3%BC%2B%2F%2A~&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-"
        "Amz-Credential=AKIDEXAMPLE%2F20261125%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=2026112"
        "5T141039Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=TOKEN%2Fx%2By%"
        "3D&X-Amz-Signature=966279899b65fee927acabd21229a9fc919ae5cb2ef9c9c14633349efc99babc";
    struct aws_sigv4_auth a;
    char why[320];
    CHECK_INT(aws_sigv4_parse_query(query, &a, why, sizeof why), 0);
    CHECK_STR(a.access_key, "AKIDEXAMPLE");
    CHECK_STR(a.service, "sqs");
    CHECK_INT(a.expires, 900);
    const char *values[] = {"127.0.0.1:4566"};
    struct aws_buf b;
    aws_buf_init(&b);
    aws_sigv4_canonical_request(&b, "POST", "/", query, a.signed_headers, values, 1,
                                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                                AWS_SIGV4_PRESIGNED);
    /* botocore's own canonical request, printed when it signed */
    CHECK_STR(b.data, "POST\n/\nAction=SendMessage&MessageBody=hi%20there%20%C3%BC%2B%2F%2A~&"
                      "QueueUrl=http%3A%2F%2F127.0.0.1%3A4566%2F000000000000%2Forders&Version="
                      "2012-11-05&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F"
                      "20261125%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=20261125T141039Z&X-Amz-"
                      "Expires=900&X-Amz-Security-Token=TOKEN%2Fx%2By%3D&X-Amz-SignedHeaders=host\n"
                      "host:127.0.0.1:4566\n\nhost\n"
                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    aws_buf_free(&b);
    struct hub_aws_sigv4_request r = {
        .method = "POST",
        .path = "/",
        .query = query,
        .amz_date = "20991231T000000Z", /* a header's date plays no part */
        .values = values,
        .nvalues = 1,
    };
    const char *secret = "hubbub-presign-secret";
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), 0);
    CHECK_INT(hub_aws_sigv4_verify(&a, "hubbub-presign-secreT", &r), HUB_EINVAL);
    values[0] = "127.0.0.1:4567";
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), HUB_EINVAL); /* another host */
    values[0] = "127.0.0.1:4566";
    r.body = "MessageBody=other";
    r.body_len = strlen(r.body);
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), HUB_EINVAL); /* a body it never signed */
    r.body_len = 0;
    r.content_sha256 = "UNSIGNED-PAYLOAD"; /* a declared hash must be the one signed */
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), HUB_EINVAL);
    r.content_sha256 = NULL;

    /* the parameters in another order: the same request */
    char moved[sizeof query + 8];
    const char *sig = strstr(query, "&X-Amz-Signature=");
    snprintf(moved, sizeof moved, "%s&%.*s", sig + 1, (int)(sig - query), query);
    r.query = moved;
    CHECK_INT(aws_sigv4_parse_query(moved, &a, why, sizeof why), 0);
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), 0);
    /* tampered: another message body, another token, another date */
    const char *tampered[] = {"MessageBody=hi%20there%20%C3%BC%2B%2F%2A~", "TOKEN%2Fx%2By%3D",
                              "X-Amz-Date=20261125T141039Z"};
    const char *with[] = {"MessageBody=hi%20there%20%C3%BC%2B%2F%2A%7E%20", "TOKEN%2Fx%2Bz%3D",
                          "X-Amz-Date=20261125T141040Z"};
    for (size_t i = 0; i < 3; i++) {
        char t[sizeof query + 16];
        const char *at = strstr(query, tampered[i]);
        CHECK(at != NULL);
        snprintf(t, sizeof t, "%.*s%s%s", (int)(at - query), query, with[i],
                 at + strlen(tampered[i]));
        r.query = t;
        CHECK_INT(aws_sigv4_parse_query(t, &a, why, sizeof why), 0);
        CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), HUB_EINVAL);
    }
    /* '~' and "%7E" are the same character: re-encoding makes them one */
    char same[sizeof query + 8];
    const char *tilde = strstr(query, "~&");
    snprintf(same, sizeof same, "%.*s%%7E%s", (int)(tilde - query), query, tilde + 1);
    r.query = same;
    CHECK_INT(aws_sigv4_parse_query(same, &a, why, sizeof why), 0);
    CHECK_INT(hub_aws_sigv4_verify(&a, secret, &r), 0);
}

int main(void)
{
    RUN(test_md5_vectors);
    RUN(test_digest_input);
    RUN(test_sigv4_parse);
    RUN(test_sigv4_example);
    RUN(test_canonical_query);
    RUN(test_sigv4_parse_query);
    RUN(test_sigv4_presigned_example);
    RUN(test_sigv4_presigned_botocore);
    return TEST_SUMMARY();
}
