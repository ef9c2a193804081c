/* test_sns_envelope.c - the SNS envelope byte for byte (the layout of the SNS Developer Guide's
 * examples), SNS's canonical string-to-sign, the RSA signatures of both SignatureVersions (known
 * answers made independently with `openssl dgst -sha1|-sha256 -sign` and the key of
 * sns_test_key.h) and their verification with the certificate, the HMAC-SHA256 of the
 * X-Hubbub-Signature header against RFC 4231 and Python's hmac, headers, tokens and URLs. */
#include <stdlib.h>

#include "http_delivery.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "sns_envelope.h"
#include "sns_test_key.h"
#include "testlib.h"

static const uint8_t secret[] = "s3cret";
#define SECRET_LEN 6
#define CERT_URL "https://hub.example/_hubbub/sns/SigningCert-0123456789abcdef.pem"
static hub_sns_key *test_key;           /* TEST_KEY_PEM */
static struct hub_sns_signer signer;    /* version 1 */
static struct hub_sns_signer signer_v2; /* version 2 */

/* hub_sns_envelope_verify with the test certificate. */
static int verify(const char *body, size_t len)
{
    return hub_sns_envelope_verify(body, len, TEST_CERT_PEM, sizeof TEST_CERT_PEM - 1);
}

/* Known answers: printf '<string-to-sign>' | openssl dgst -sha1|-sha256 -sign key.pem | base64 */
#define NOTE_SIG_V1 \
    "l+TnHppwHw5ke4EaxnpNff759lldqIt/q4uIXi27Z0ybII7bSuFpOr/PDdl7KttN1PwClaGOEWBzYFYXAKZiTfQl" \
    "3LS5zLZYGr5XDtKXygPpV3TXtb0OAjVN+EscGU0idoMAUueCiK6o5go89yWQUnhZ/ooIKiLGddlvLL3LD9It+cFZ" \
    "FM8cSqJlbg00f8IXyEqbtvTUgRYkF4LMc27aJO/k9u4QR19TWBGXkFcJAFZg/r/nlo1AATAhNzgP9dBcUQmuUAOS" \
    "nOuLjF9saIQGaZHGhxuqq5uVmefbMzmDeeSGyrC8PI2Y44xvS/CPg2ri5Rbs0Hg7S7oLn7KIuDHodQ=="
#define NOTE_SIG_V2 \
    "eU3Chd7JuKCL1lUxlGkGRZQAFVkG/PRU1/A4gBV/81uaeRg1Ery7E7aM3Nu17jQ8k8u38eclVd8qWn8jkeW+ctsZ" \
    "P31JL5fCCfyq83Q01SwVRzB2K4tcCbvmMQ9GhW4LlJ2rsmMsoIb814X0JgMxmyGGFxgI3/4lK6zhJY0mpEZUVE2V" \
    "wrYvoJMSovm/A/b4wiJEwxsfn/1OwdMIWspT5K8F2nqGfqqvFX/Ww1tox7nqSgJ6paQFhwpYrwovCxIqKtijOUOD" \
    "RvQPf5jy/ZRZURkZOsLXhOsq4Jz/t0vnzbyE7JhFpxgFbW6APR3/N14mkK9Edy0N+As/NgHWPPbkHw=="
#define CONF_SIG_V1 \
    "p6zRHswUnI2f8LO6e3OhfIDJIhMR0Rqe2KzQxCWyFrHr3wJL8fvJCa69RFOEEUQkxOHgQXcXjBJLU1f5t0ZQ1EUT" \
    "/vgwfKeWNNi5CN0aSTqXuNr99JVTf8aLz9tU7YmwnBdBT9ciLDkNBZrIurmDIf6stqW1ghw35Kv2yLazrqO6GdEi" \
    "E/n+uDFC8iJVndw5idF+l2VlhgsFp2PcCsATJQnwyuY0eHOfhtJJ/zxhF5lNJKljguk2gcySCruBr+N4kgWyhbtn" \
    "ePTjuFk2lUK6+SxR20T2eYxb4/GBjr2efwBm+Y02n8uQ1vXCazzaUpZodgQcd8GXcz8C+hCw8AixWA=="
#define CONF_SIG_V2 \
    "R5SxO48uJw/DxGlGpYDiR/+5ziJtZ+fsKfSQO7O+Gk/WMHR6vs4buzhbkhG5tHFwHobpeYU3StY08yTLOTNcUxkK" \
    "FFzB9elw+cHGPHj5VYsIrMuNs7qCeW3YwBsKyXJaN/5/ifW0N7bWdf04KVPIf61VSCj491oIKKxSnUJMvu/tj9sY" \
    "U3qHakNUWff5ShCloIg9hXIPkl917ozOJDp3wIwxi6TlHfk3Xk5f4ylGnfTCNz7eyeQPu2km2GWQAnzFEAJ6HqtU" \
    "Zqpz0ytLqOvJR1Xqq+FPDaZUyViLbwr5a9P1brxS/6Bj7kyrpFQklAHTsIotdnscxhuUQRKrLw4gjg=="

#define TS_MS 1335919646655LL /* 2012-05-02T00:47:26.655Z */

static void hexify(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

static void check_hmac(const uint8_t *key, size_t klen, const void *data, size_t dlen,
                       const char *want)
{
    uint8_t mac[32];
    char hex[65];

    CHECK_INT(hub_sns_hmac_sha256(key, klen, data, dlen, mac), 0);
    hexify(mac, 32, hex);
    CHECK_STR(hex, want);
}

static void test_rfc4231(void)
{
    uint8_t k[131], d[50];

    memset(k, 0x0b, 20);
    check_hmac(k, 20, "Hi There", 8,
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    check_hmac((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k, 0xaa, 20);
    memset(d, 0xdd, 50);
    check_hmac(k, 20, d, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++)
        k[i] = (uint8_t)(i + 1);
    memset(d, 0xcd, 50);
    check_hmac(k, 25, d, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(k, 0xaa, 131);
    check_hmac(k, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    {
        const char *t7 =
            "This is a test using a larger than block-size key and a larger than block-size data. "
            "The key needs to be hashed before being used by the HMAC algorithm.";

        check_hmac(k, 131, t7, strlen(t7),
                   "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    }
    /* An empty key and empty data are fine (HMAC-SHA256("", "")). */
    check_hmac(NULL, 0, "", 0, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_timestamp(void)
{
    char ts[25];

    CHECK_INT(hub_sns_timestamp(TS_MS, ts), 0);
    CHECK_STR(ts, "2012-05-02T00:47:26.655Z");
    CHECK_INT(hub_sns_timestamp(0, ts), 0);
    CHECK_STR(ts, "1970-01-01T00:00:00.000Z");
    CHECK_INT(hub_sns_timestamp(1700000000007LL, ts), 0);
    CHECK_STR(ts, "2023-11-14T22:13:20.007Z");
    CHECK_INT(hub_sns_timestamp(-1, ts), HUB_EINVAL);
}

static const char notification[] =
    "{\n"
    "  \"Type\" : \"Notification\",\n"
    "  \"MessageId\" : \"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\",\n"
    "  \"TopicArn\" : \"arn:aws:sns:us-west-2:123456789012:MyTopic\",\n"
    "  \"Subject\" : \"My First Message\",\n"
    "  \"Message\" : \"Hello world!\",\n"
    "  \"Timestamp\" : \"2012-05-02T00:47:26.655Z\",\n"
    "  \"SignatureVersion\" : \"1\",\n"
    "  \"Signature\" : \"" NOTE_SIG_V1 "\",\n"
    "  \"SigningCertURL\" : \"" CERT_URL "\",\n"
    "  \"UnsubscribeURL\" : "
    "\"http://127.0.0.1:4566/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:"
    "123456789012:MyTopic:c9135db0\"\n"
    "}";

static struct hub_sns_message example(void)
{
    struct hub_sns_message m = {0};

    m.type = HUB_SNS_NOTIFICATION;
    m.message_id = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324";
    m.topic_arn = "arn:aws:sns:us-west-2:123456789012:MyTopic";
    m.subject = "My First Message";
    m.message = "Hello world!";
    m.timestamp_ms = TS_MS;
    m.unsubscribe_url =
        "http://127.0.0.1:4566/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:"
        "123456789012:MyTopic:c9135db0";
    return m;
}

static void test_notification(void)
{
    struct hub_sns_message m = example();
    char *body, *sts;
    size_t len, slen;

    CHECK_INT(hub_sns_string_to_sign(&m, &sts, &slen), 0);
    CHECK_STR(
        sts,
        "Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubject\nMy First "
        "Message\nTimestamp\n2012-05-02T00:47:26.655Z\nTopicArn\narn:aws:sns:us-west-2:"
        "123456789012:"
        "MyTopic\nType\nNotification\n");
    CHECK_INT(slen, strlen(sts));
    hub_free(sts);

    /* SignatureVersion 1 (SNS's default): SHA1withRSA, byte for byte. */
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len), 0);
    CHECK_STR(body, notification);
    CHECK_INT(len, strlen(notification));
    CHECK_INT(verify(body, len), 0);
    /* Change one character of the message: the signature no longer holds. */
    {
        char *p = strstr(body, "Hello world!");

        p[0] = 'J';
        CHECK_INT(verify(body, len), HUB_EINVAL);
        p[0] = 'H';
        CHECK_INT(verify(body, len), 0);
    }
    /* Claiming the other version fails: the digest is part of what is signed. */
    {
        char *p = strstr(body, "\"SignatureVersion\" : \"1\"");

        p[22] = '2';
        CHECK_INT(verify(body, len), HUB_EINVAL);
        p[22] = '3';
        CHECK_INT(verify(body, len), HUB_EINVAL);
    }
    hub_free(body);
    CHECK_INT(verify("nope", 4), HUB_EPARSE);

    /* SignatureVersion 2: SHA256withRSA over the same string. */
    CHECK_INT(hub_sns_envelope_build(&m, &signer_v2, &body, &len), 0);
    CHECK(strstr(body, "\"SignatureVersion\" : \"2\",\n  \"Signature\" : \"" NOTE_SIG_V2 "\"") !=
          NULL);
    CHECK_INT(verify(body, len), 0);
    /* Another certificate (another key) does not verify it; a malformed one neither. */
    {
        hub_sns_key *other;
        size_t clen;
        const char *cert;

        CHECK_INT(hub_sns_key_generate(&other), 0);
        cert = hub_sns_key_cert_pem(other, &clen);
        CHECK_INT(hub_sns_envelope_verify(body, len, cert, clen), HUB_EINVAL);
        CHECK_INT(hub_sns_envelope_verify(body, len, "-----BEGIN CERTIFICATE-----\n", 28),
                  HUB_EINVAL);
        hub_sns_key_unref(other);
    }
    hub_free(body);

    /* Without Subject the key disappears from both the envelope and the string-to-sign. */
    m.subject = NULL;
    CHECK_INT(hub_sns_string_to_sign(&m, &sts, &slen), 0);
    CHECK_STR(sts, "Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
                   "Timestamp\n2012-05-02T00:47:26.655Z\nTopicArn\narn:aws:sns:us-west-2:"
                   "123456789012:MyTopic\nType\nNotification\n");
    hub_free(sts);
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len), 0);
    CHECK(strstr(body, "Subject") == NULL);
    CHECK_INT(verify(body, len), 0);
    hub_free(body);

    /* Required fields; a signature needs a key and a known version. */
    {
        struct hub_sns_signer nokey = signer, v3 = signer;

        nokey.key = NULL;
        v3.version = 3;
        CHECK_INT(hub_sns_envelope_build(&m, &nokey, &body, &len), HUB_EINVAL);
        CHECK_INT(hub_sns_envelope_build(&m, NULL, &body, &len), HUB_EINVAL);
        CHECK_INT(hub_sns_envelope_build(&m, &v3, &body, &len), HUB_EINVAL);
    }
    m.message_id = NULL;
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len), HUB_EINVAL);
    CHECK(body == NULL);
}

static void test_attributes_and_escaping(void)
{
    struct hub_sns_message m = example();
    json_t *attrs =
        json_loads("{\"store\":{\"DataType\":\"String\",\"StringValue\":\"example_corp\"},"
                   "\"price\":{\"DataType\":\"Number\",\"StringValue\":\"210.75\"},"
                   "\"bin\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AQID\"}}",
                   0, NULL);
    char *body;
    size_t len;
    const char *tail = "  \"MessageAttributes\" : {\n"
                       "    \"store\" : {\"Type\":\"String\",\"Value\":\"example_corp\"},\n"
                       "    \"price\" : {\"Type\":\"Number\",\"Value\":\"210.75\"},\n"
                       "    \"bin\" : {\"Type\":\"Binary\",\"Value\":\"AQID\"}\n"
                       "  }\n}";

    m.attributes = attrs;
    m.message = "quote \" backslash \\ nl \n tab \t bell \x07 del \x7f slash / utf8 \xc3\xa9";
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len), 0);
    CHECK(len > strlen(tail) && strcmp(body + len - strlen(tail), tail) == 0);
    CHECK(strstr(body, "\"Message\" : \"quote \\\" backslash \\\\ nl \\n tab \\t bell \\u0007 del "
                       "\x7f slash / "
                       "utf8 \xc3\xa9\",\n") != NULL);
    /* It is JSON, and the fields read back as given. */
    {
        json_t *v = json_loadb(body, len, 0, NULL);

        CHECK(v != NULL);
        CHECK_STR(json_string_value(json_object_get(v, "Message")), m.message);
        CHECK_STR(json_string_value(json_object_get(
                      json_object_get(json_object_get(v, "MessageAttributes"), "price"), "Type")),
                  "Number");
        json_decref(v);
    }
    CHECK_INT(verify(body, len), 0);
    hub_free(body);

    m.message = "bad \xc3 utf8";
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len), HUB_EINVAL);
    m.message = "overlong \xc0\xaf";
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len), HUB_EINVAL);
    m.message = "surrogate \xed\xa0\x80";
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len), HUB_EINVAL);
    m.message = "ok \xf0\x9f\x98\x80";
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len), 0);
    hub_free(body);

    json_decref(attrs);
    attrs = json_loads("{\"x\":{\"DataType\":\"String\"}}", 0, NULL);
    m.attributes = attrs;
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len), HUB_EINVAL);
    json_decref(attrs);
}

static void test_fifo(void)
{
    struct hub_sns_message m = example();
    char *body;
    size_t len;

    m.subject = NULL;
    m.topic_arn = "arn:aws:sns:us-east-1:000000000000:demo-topic.fifo";
    m.sequence_number = "10000000000000003000";
    m.message = "group-1 - Message 1";
    m.unsubscribe_url =
        "https://x/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:000000000000:"
        "demo-topic.fifo:e7";
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len), 0);
    CHECK_STR(body, "{\n"
                    "  \"Type\" : \"Notification\",\n"
                    "  \"MessageId\" : \"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\",\n"
                    "  \"SequenceNumber\" : \"10000000000000003000\",\n"
                    "  \"TopicArn\" : \"arn:aws:sns:us-east-1:000000000000:demo-topic.fifo\",\n"
                    "  \"Message\" : \"group-1 - Message 1\",\n"
                    "  \"Timestamp\" : \"2012-05-02T00:47:26.655Z\",\n"
                    "  \"UnsubscribeURL\" : "
                    "\"https://x/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:"
                    "000000000000:demo-topic.fifo:e7\"\n"
                    "}");
    hub_free(body);
}

static void test_confirmation(void)
{
    struct hub_sns_message m = {0};
    char *body, *url, *sts;
    size_t len, slen;

    CHECK_INT(hub_sns_subscribe_url("http://127.0.0.1:4566",
                                    "arn:aws:sns:us-west-2:123456789012:MyTopic", "abc", &url),
              0);
    CHECK_STR(url, "http://127.0.0.1:4566/"
                   "?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:"
                   "MyTopic&Token=abc");
    m.type = HUB_SNS_SUBSCRIPTION_CONFIRMATION;
    m.message_id = "165545c9-2a5c-472c-8df2-7ff2be2b3b1b";
    m.topic_arn = "arn:aws:sns:us-west-2:123456789012:MyTopic";
    m.timestamp_ms = TS_MS;
    m.token = "abc";
    m.subscribe_url = url;
    CHECK_INT(hub_sns_string_to_sign(&m, &sts, &slen), 0);
    CHECK_STR(sts, "Message\nYou have chosen to subscribe to the topic "
                   "arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, "
                   "visit the SubscribeURL included in this message.\n"
                   "MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n"
                   "SubscribeURL\nhttp://127.0.0.1:4566/?Action=ConfirmSubscription&TopicArn="
                   "arn:aws:sns:us-west-2:123456789012:MyTopic&Token=abc\n"
                   "Timestamp\n2012-05-02T00:47:26.655Z\nToken\nabc\n"
                   "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n"
                   "Type\nSubscriptionConfirmation\n");
    hub_free(sts);
    CHECK_INT(hub_sns_envelope_build(&m, &signer_v2, &body, &len), 0);
    CHECK_STR(
        body,
        "{\n"
        "  \"Type\" : \"SubscriptionConfirmation\",\n"
        "  \"MessageId\" : \"165545c9-2a5c-472c-8df2-7ff2be2b3b1b\",\n"
        "  \"Token\" : \"abc\",\n"
        "  \"TopicArn\" : \"arn:aws:sns:us-west-2:123456789012:MyTopic\",\n"
        "  \"Message\" : \"You have chosen to subscribe to the topic "
        "arn:aws:sns:us-west-2:123456789012:MyTopic.\\n"
        "To confirm the subscription, visit the SubscribeURL included in this message.\",\n"
        "  \"SubscribeURL\" : "
        "\"http://127.0.0.1:4566/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:"
        "123456789012:MyTopic&Token=abc\",\n"
        "  \"Timestamp\" : \"2012-05-02T00:47:26.655Z\",\n"
        "  \"SignatureVersion\" : \"2\",\n"
        "  \"Signature\" : \"" CONF_SIG_V2 "\",\n"
        "  \"SigningCertURL\" : \"" CERT_URL "\"\n"
        "  }");
    CHECK_INT(verify(body, len), 0);
    /* The Token is signed: another one fails. */
    {
        char *p = strstr(body, "\"Token\" : \"abc\"");

        p[12] = 'x';
        CHECK_INT(verify(body, len), HUB_EINVAL);
    }
    hub_free(body);
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len), 0);
    CHECK(strstr(body, "\"SignatureVersion\" : \"1\",\n  \"Signature\" : \"" CONF_SIG_V1 "\"") !=
          NULL);
    CHECK_INT(verify(body, len), 0);
    hub_free(body);

    /* The unsubscribe confirmation names the subscription in its standard text. */
    m.type = HUB_SNS_UNSUBSCRIBE_CONFIRMATION;
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len),
              HUB_EINVAL); /* no subscription_arn */
    m.subscription_arn = "arn:aws:sns:us-west-2:123456789012:MyTopic:2bcf";
    CHECK_INT(hub_sns_envelope_build(&m, &signer_v2, &body, &len), 0);
    CHECK(strstr(body, "\"Type\" : \"UnsubscribeConfirmation\"") != NULL);
    CHECK(strstr(body, "You have chosen to deactivate subscription "
                       "arn:aws:sns:us-west-2:123456789012:MyTopic:2bcf."
                       "\\nTo cancel this operation and restore the subscription, visit the "
                       "SubscribeURL included "
                       "in this message.") != NULL);
    CHECK_INT(verify(body, len), 0);
    hub_free(body);

    m.token = NULL;
    CHECK_INT(hub_sns_envelope_build(&m, &signer, &body, &len), HUB_EINVAL);
    hub_free(url);

    CHECK_INT(hub_sns_unsubscribe_url("https://h", "arn:aws:sns:r:1:t:x y", &url), 0);
    CHECK_STR(url, "https://h/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:r:1:t:x%20y");
    hub_free(url);
}

static void test_body_signature_and_headers(void)
{
    struct hub_sns_message m = example();
    struct hub_sns_headers h;
    struct hub_http_header out[HUB_SNS_MAX_HEADERS];
    char sig[HUB_SNS_SIGNATURE_HEADER_SIZE];
    const char *body = "{\"a\":1}";

    CHECK_INT(hub_sns_body_signature(secret, SECRET_LEN, body, 7, sig), 0);
    CHECK_STR(sig, "sha256=5910e62016ef5034272c926c27071992a465c2335cecf41851bda071577f4f6d");
    CHECK_INT(hub_sns_body_signature_verify(secret, SECRET_LEN, body, 7, sig), 0);
    CHECK_INT(hub_sns_body_signature_verify(secret, SECRET_LEN, body, 6, sig), HUB_EINVAL);
    CHECK_INT(hub_sns_body_signature_verify(secret, SECRET_LEN, body, 7, "sha256=00"), HUB_EINVAL);
    CHECK_INT(hub_sns_body_signature_verify(secret, SECRET_LEN, body, 7, NULL), HUB_EINVAL);

    CHECK_INT(hub_sns_headers_fill(&h, &m, "arn:sub", 0, NULL, &signer, body, 7), 0);
    CHECK_INT(hub_sns_headers_export(&h, out), 7);
    CHECK_STR(out[0].name, "x-amz-sns-message-type");
    CHECK_STR(out[0].value, "Notification");
    CHECK_STR(out[1].name, "x-amz-sns-message-id");
    CHECK_STR(out[1].value, m.message_id);
    CHECK_STR(out[2].name, "x-amz-sns-topic-arn");
    CHECK_STR(out[3].name, "x-amz-sns-subscription-arn");
    CHECK_STR(out[3].value, "arn:sub");
    CHECK_STR(out[4].name, "Content-Type");
    CHECK_STR(out[4].value, "text/plain; charset=UTF-8");
    CHECK_STR(out[5].name, "User-Agent");
    CHECK_STR(out[6].name, "X-Hubbub-Signature");
    CHECK_STR(out[6].value, sig);

    /* Raw delivery and a DeliveryPolicy content type. */
    CHECK_INT(hub_sns_headers_fill(&h, &m, "arn:sub", 1, "application/json", &signer, body, 7), 0);
    CHECK_INT(h.n, 8);
    CHECK_STR(h.names[4], "x-amz-sns-rawdelivery");
    CHECK_STR(h.values[4], "true");
    CHECK_STR(h.values[5], "application/json");

    /* SNS sends no subscription ARN header with a SubscriptionConfirmation. */
    m.type = HUB_SNS_SUBSCRIPTION_CONFIRMATION;
    CHECK_INT(hub_sns_headers_fill(&h, &m, "arn:sub", 0, NULL, &signer, body, 7), 0);
    CHECK_INT(h.n, 6);
    for (size_t i = 0; i < h.n; i++)
        CHECK(strcmp(h.names[i], "x-amz-sns-subscription-arn") != 0);
    CHECK_STR(h.values[0], "SubscriptionConfirmation");
}

static void test_tokens(void)
{
    char tok[HUB_SNS_TOKEN_SIZE];
    const char *arn = "arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0";

    CHECK_INT(hub_sns_token_make(secret, SECRET_LEN, arn, tok), 0);
    CHECK_STR(tok, "c3e86e7ec25737940f35f06020e282c45867c5bb74bf7fa937a9a7a314f65eb8");
    CHECK_INT(hub_sns_token_verify(secret, SECRET_LEN, arn, tok), 0);
    CHECK_INT(hub_sns_token_verify(secret, SECRET_LEN, "arn:other", tok), HUB_EINVAL);
    CHECK_INT(hub_sns_token_verify((const uint8_t *)"x", 1, arn, tok), HUB_EINVAL);
    tok[10] ^= 1;
    CHECK_INT(hub_sns_token_verify(secret, SECRET_LEN, arn, tok), HUB_EINVAL);
    CHECK_INT(hub_sns_token_verify(secret, SECRET_LEN, arn, NULL), HUB_EINVAL);
}

/* Every allocation failure while building an envelope comes back as HUB_ENOMEM and leaks nothing.
 */
static long fail_at, count, live;

static void *t_malloc(size_t n)
{
    void *p = (fail_at && ++count == fail_at) ? NULL : malloc(n);
    live += p != NULL;
    return p;
}

static void *t_realloc(void *old, size_t n)
{
    void *p = (fail_at && ++count == fail_at) ? NULL : realloc(old, n);
    live += p != NULL && old == NULL;
    return p;
}

static void t_free(void *p)
{
    live -= p != NULL;
    free(p);
}

static const struct hub_alloc_funcs test_funcs = {t_malloc, NULL, t_realloc, t_free};

static void test_alloc_failures(void)
{
    struct hub_sns_message m = example();
    json_t *attrs;
    long n, base;
    int done = 0;

    hub_alloc_set(&test_funcs);
    attrs = json_loads("{\"store\":{\"DataType\":\"String\",\"StringValue\":\"example_corp\"}}", 0,
                       NULL);
    m.attributes = attrs;
    base = live;
    for (n = 1; n < 1000 && !done; n++) {
        char *body = NULL;
        size_t len;
        int rc;

        fail_at = n;
        count = 0;
        rc = hub_sns_envelope_build(&m, &signer, &body, &len);
        fail_at = 0;
        if (rc == 0) {
            done = 1;
            CHECK_INT(verify(body, len), 0);
            hub_free(body);
        } else {
            CHECK_INT(rc, HUB_ENOMEM);
        }
        CHECK_INT(live, base);
    }
    CHECK(done);
    json_decref(attrs);
    hub_alloc_set(NULL);
}

int main(void)
{
    if (!(test_key = sns_test_key_new())) return 1;
    signer = (struct hub_sns_signer){secret, SECRET_LEN, test_key, 1, CERT_URL};
    signer_v2 = signer;
    signer_v2.version = 2;
    RUN(test_rfc4231);
    RUN(test_timestamp);
    RUN(test_notification);
    RUN(test_attributes_and_escaping);
    RUN(test_fifo);
    RUN(test_confirmation);
    RUN(test_body_signature_and_headers);
    RUN(test_tokens);
    RUN(test_alloc_failures);
    hub_sns_key_unref(test_key);
    return TEST_SUMMARY();
}
