/* test_aws_crypto.c - the MD5s SQS answers with (aws-wire §3.5 vectors; protocol/aws_attr.h and
 * hub/aws_crypto.h) and SigV4 (protocol/aws_sigv4.h; AWS's documented example request). */
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
    aws_sigv4_canonical_request(&b, "GET", "/", "Version=2010-05-08&Action=ListUsers",
                                a.signed_headers, values, 3,
                                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
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
                                "host", (const char *const[]){"h"}, 1, "p");
    CHECK_STR(b.data, "POST\n/000000000000/my%20queue\na=A%20b&a=x%2Fy&b=2&c=\nhost:h\n\nhost\np");
    aws_buf_free(&b);
}

int main(void)
{
    RUN(test_md5_vectors);
    RUN(test_digest_input);
    RUN(test_sigv4_parse);
    RUN(test_sigv4_example);
    RUN(test_canonical_query);
    return TEST_SUMMARY();
}
