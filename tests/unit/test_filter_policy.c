/* test_filter_policy.c - SNS subscription filter policies. The cases are the examples of the Amazon
 * SNS Developer Guide (example filter policies, string/numeric value matching, key matching, AND/OR
 * logic, filter policy constraints), plus the validation errors SNS answers with, plus every
 * allocation failure during a compile. */
#include <stdlib.h>

#include "filter_policy.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "testlib.h"

/* Match policy against a message-attribute object (JSON text) in the attribute scope: 1, 0, or -1
 * if the policy did not compile. */
static int ma(const char *policy, const char *attrs)
{
    char err[256];
    hub_filter *f;
    json_t *a = attrs ? json_loads(attrs, 0, NULL) : NULL;
    int rc;

    if (attrs && !a) {
        fprintf(stderr, "bad test attrs: %s\n", attrs);
        return -2;
    }
    if (hub_filter_compile_scoped(policy, strlen(policy), HUB_FILTER_SCOPE_ATTRIBUTES, &f, err,
                                  sizeof err)) {
        fprintf(stderr, "compile failed: %s: %s\n", policy, err);
        json_decref(a);
        return -1;
    }
    rc = hub_filter_match(f, a, NULL, 0);
    hub_filter_free(f);
    json_decref(a);
    return rc;
}

/* Same in the MessageBody scope; body is JSON text (or not JSON: then NULL is passed). */
static int mb(const char *policy, const char *body)
{
    char err[256];
    hub_filter *f;
    json_t *b = json_loads(body, JSON_DECODE_ANY, NULL);
    int rc;

    if (hub_filter_compile_scoped(policy, strlen(policy), HUB_FILTER_SCOPE_BODY, &f, err,
                                  sizeof err)) {
        fprintf(stderr, "compile failed: %s: %s\n", policy, err);
        json_decref(b);
        return -1;
    }
    rc = hub_filter_match(f, NULL, b, 1);
    hub_filter_free(f);
    json_decref(b);
    return rc;
}

static char last_err[512];

/* Compile only; returns the code and leaves the message in last_err. */
static int compile_rc(const char *policy, int scope)
{
    hub_filter *f = (hub_filter *)1;
    int rc =
        hub_filter_compile_scoped(policy, strlen(policy), scope, &f, last_err, sizeof last_err);

    if (rc == 0)
        hub_filter_free(f);
    else
        CHECK(f == NULL);
    return rc;
}

#define S(name, v) "\"" name "\":{\"DataType\":\"String\",\"StringValue\":\"" v "\"}"
#define N(name, v) "\"" name "\":{\"DataType\":\"Number\",\"StringValue\":\"" v "\"}"
#define SA(name, v) "\"" name "\":{\"DataType\":\"String.Array\",\"StringValue\":\"" v "\"}"

/* The example message of "Example filter policies" (in the publish shape the bus hands us). */
static const char example_attrs[] =
    "{" SA("customer_interests", "[\\\"soccer\\\", \\\"rugby\\\", \\\"hockey\\\"]") "," S(
        "store", "example_corp") "," S("event", "order_placed") "," N("price_usd", "210.75") "}";

static void test_doc_example_policies(void)
{
    CHECK_INT(ma("{\"store\":[\"example_corp\"],\"event\":[{\"anything-but\":\"order_cancelled\"}],"
                 "\"customer_interests\":[\"rugby\",\"football\",\"baseball\"],"
                 "\"price_usd\":[{\"numeric\":[\">=\",100]}]}",
                 example_attrs),
              1);
    CHECK_INT(
        ma("{\"store\":[\"example_corp\"],\"event\":[\"order_cancelled\"],\"encrypted\":[false],"
           "\"customer_interests\":[\"basketball\",\"baseball\"]}",
           example_attrs),
        0);
    /* The same envelope shape SNS shows ({"Type","Value"}) is accepted too. */
    CHECK_INT(ma("{\"store\":[\"example_corp\"]}",
                 "{\"store\":{\"Type\":\"String\",\"Value\":\"example_corp\"}}"),
              1);
}

static void test_string_exact(void)
{
    const char *p = "{\"customer_interests\":[\"rugby\",\"tennis\"]}";

    CHECK_INT(ma(p, "{" S("customer_interests", "rugby") "}"), 1);
    CHECK_INT(ma(p, "{" S("customer_interests", "tennis") "}"), 1);
    CHECK_INT(ma(p, "{" SA("customer_interests", "[\\\"rugby\\\", \\\"tennis\\\"]") "}"), 1);
    CHECK_INT(ma(p, "{" S("customer_interests", "baseball") "}"), 0);
    CHECK_INT(ma(p, "{" SA("customer_interests", "[\\\"baseball\\\"]") "}"), 0);
    CHECK_INT(ma(p, "{" S("customer_interests", "Rugby") "}"), 0); /* case-sensitive */
    CHECK_INT(ma(p, "{}"), 0);
    CHECK_INT(ma(p, NULL), 0);
    CHECK_INT(mb(p, "{\"customer_interests\":\"rugby\"}"), 1);
    CHECK_INT(mb(p, "{\"customer_interests\":\"tennis\"}"), 1);
    CHECK_INT(mb(p, "{\"customer_interests\":\"baseball\"}"), 0);
    CHECK_INT(mb(p, "{\"customer_interests\":[\"baseball\",\"rugby\"]}"), 1);
    /* MessageBody scope needs a JSON object body. */
    CHECK_INT(mb(p, "\"rugby\""), 0);
    CHECK_INT(mb(p, "not json"), 0);
}

static void test_string_prefix_suffix_case(void)
{
    const char *p = "{\"customer_interests\":[{\"prefix\":\"bas\"}]}";

    CHECK_INT(ma(p, "{" S("customer_interests", "baseball") "}"), 1);
    CHECK_INT(ma(p, "{" S("customer_interests", "basketball") "}"), 1);
    CHECK_INT(ma(p, "{" S("customer_interests", "rugby") "}"), 0);
    CHECK_INT(mb(p, "{\"customer_interests\":\"baseball\"}"), 1);

    p = "{\"customer_interests\":[{\"suffix\":\"ball\"}]}";
    CHECK_INT(ma(p, "{" S("customer_interests", "baseball") "}"), 1);
    CHECK_INT(ma(p, "{" S("customer_interests", "rugby") "}"), 0);
    CHECK_INT(mb(p, "{\"customer_interests\":\"basketball\"}"), 1);

    p = "{\"customer_interests\":[{\"equals-ignore-case\":\"tennis\"}]}";
    CHECK_INT(ma(p, "{" S("customer_interests", "TENNIS") "}"), 1);
    CHECK_INT(ma(p, "{" S("customer_interests", "Tennis") "}"), 1);
    CHECK_INT(ma(p, "{" S("customer_interests", "baseball") "}"), 0);
    CHECK_INT(mb(p, "{\"customer_interests\":\"teNnis\"}"), 1);
}

static void test_anything_but(void)
{
    const char *p = "{\"customer_interests\":[{\"anything-but\":[\"rugby\",\"tennis\"]}]}";

    CHECK_INT(ma(p, "{" S("customer_interests", "baseball") "}"), 1);
    CHECK_INT(ma(p, "{" S("customer_interests", "football") "}"), 1);
    CHECK_INT(ma(p, "{" SA("customer_interests", "[\\\"rugby\\\", \\\"baseball\\\"]") "}"), 1);
    CHECK_INT(ma(p, "{" S("customer_interests", "rugby") "}"), 0);
    CHECK_INT(ma(p, "{" S("other", "x") "}"),
              0); /* an absent key has no value to be anything else */
    CHECK_INT(mb(p, "{\"customer_interests\":\"baseball\"}"), 1);
    CHECK_INT(mb(p, "{\"customer_interests\":\"rugby\"}"), 0);

    p = "{\"event\":[{\"anything-but\":{\"prefix\":\"order-\"}}]}";
    CHECK_INT(ma(p, "{" S("event", "data-entry") "}"), 1);
    CHECK_INT(ma(p, "{" S("event", "order_number") "}"), 1);
    CHECK_INT(ma(p, "{" S("event", "order-cancelled") "}"), 0);

    p = "{\"event\":[{\"anything-but\":{\"suffix\":\".tmp\"}}]}";
    CHECK_INT(ma(p, "{" S("event", "a.csv") "}"), 1);
    CHECK_INT(ma(p, "{" S("event", "a.tmp") "}"), 0);

    p = "{\"event\":[{\"anything-but\":{\"equals-ignore-case\":[\"Test\",\"demo\"]}}]}";
    CHECK_INT(ma(p, "{" S("event", "prod") "}"), 1);
    CHECK_INT(ma(p, "{" S("event", "TEST") "}"), 0);
    CHECK_INT(ma(p, "{" S("event", "DeMo") "}"), 0);

    p = "{\"event\":[{\"anything-but\":\"order_cancelled\"}]}";
    CHECK_INT(ma(p, "{" S("event", "order_placed") "}"), 1);
    CHECK_INT(ma(p, "{" S("event", "order_cancelled") "}"), 0);

    /* anything-but combined with exists:false (values of one key are ORed). */
    p = "{\"event\":[{\"anything-but\":\"x\"},{\"exists\":false}]}";
    CHECK_INT(ma(p, "{" S("other", "1") "}"), 1);
    CHECK_INT(ma(p, "{" S("event", "y") "}"), 1);
    CHECK_INT(ma(p, "{" S("event", "x") "}"), 0);
}

static void test_numeric(void)
{
    const char *p = "{\"price_usd\":[{\"numeric\":[\"=\",301.5]}]}";

    CHECK_INT(ma(p, "{" N("price_usd", "301.5") "}"), 1);
    CHECK_INT(ma(p, "{" N("price_usd", "3.015e2") "}"), 1);
    CHECK_INT(ma(p, "{" N("price_usd", "301.25") "}"), 0);
    CHECK_INT(mb(p, "{\"price_usd\":301.5}"), 1);
    CHECK_INT(mb(p, "{\"price_usd\":3.015e2}"), 1);
    CHECK_INT(mb(p, "{\"price_usd\":\"301.5\"}"), 0); /* a string is not a number */

    p = "{\"price\":[{\"anything-but\":[100,500]}]}";
    CHECK_INT(ma(p, "{" N("price", "101") "}"), 1);
    CHECK_INT(ma(p, "{" N("price", "100.1") "}"), 1);
    CHECK_INT(ma(p, "{\"price\":{\"DataType\":\"Number.Array\",\"StringValue\":\"[100, 50]\"}}"),
              1);
    CHECK_INT(ma(p, "{" N("price", "100") "}"), 0);
    CHECK_INT(mb(p, "{\"price\":101}"), 1);
    CHECK_INT(mb(p, "{\"price\":100.1}"), 1);
    CHECK_INT(mb(p, "{\"price\":[100,50]}"), 1);
    CHECK_INT(mb(p, "{\"price\":100}"), 0);

    p = "{\"price_usd\":[{\"numeric\":[\"<\",0]}]}";
    CHECK_INT(ma(p, "{" N("price_usd", "-0.5") "}"), 1);
    CHECK_INT(ma(p, "{" N("price_usd", "0") "}"), 0);
    CHECK_INT(mb(p, "{\"price_usd\":-3}"), 1);

    p = "{\"price_usd\":[{\"numeric\":[\">\",0,\"<=\",150]}]}";
    CHECK_INT(ma(p, "{" N("price_usd", "150") "}"), 1);
    CHECK_INT(ma(p, "{" N("price_usd", "0.00001") "}"), 1);
    CHECK_INT(ma(p, "{" N("price_usd", "0") "}"), 0);
    CHECK_INT(ma(p, "{" N("price_usd", "150.5") "}"), 0);
    CHECK_INT(ma(p, "{" N("price_usd", "abc") "}"), 0);
    /* Types are strict: a String attribute holding digits is not a number, nor the other way round.
     */
    CHECK_INT(ma(p, "{" S("price_usd", "100") "}"), 0);
    CHECK_INT(ma("{\"n\":[100]}", "{" N("n", "1e2") "}"), 1);
    CHECK_INT(ma("{\"n\":[100]}", "{" S("n", "100") "}"), 0);
    CHECK_INT(ma("{\"n\":[\"100\"]}", "{" S("n", "100") "}"), 1);
    CHECK_INT(ma("{\"n\":[\"100\"]}", "{" N("n", "100") "}"), 0);
    /* Custom types keep their base type. */
    CHECK_INT(ma("{\"n\":[{\"numeric\":[\">=\",1]}]}",
                 "{\"n\":{\"DataType\":\"Number.float\",\"StringValue\":\"1.5\"}}"),
              1);
    CHECK_INT(ma("{\"s\":[\"x\"]}", "{\"s\":{\"DataType\":\"String.json\",\"StringValue\":\"x\"}}"),
              1);
}

static void test_cidr(void)
{
    const char *p = "{\"source_ip\":[{\"cidr\":\"10.0.0.0/24\"}]}";

    CHECK_INT(ma(p, "{" S("source_ip", "10.0.0.0") "}"), 1);
    CHECK_INT(ma(p, "{" S("source_ip", "10.0.0.255") "}"), 1);
    CHECK_INT(ma(p, "{" S("source_ip", "10.1.1.0") "}"), 0);
    CHECK_INT(ma(p, "{" S("source_ip", "not-an-ip") "}"), 0);
    CHECK_INT(mb(p, "{\"source_ip\":\"10.0.0.7\"}"), 1);

    p = "{\"ip\":[{\"cidr\":\"10.0.0.0/9\"}]}";
    CHECK_INT(ma(p, "{" S("ip", "10.127.255.255") "}"), 1);
    CHECK_INT(ma(p, "{" S("ip", "10.128.0.0") "}"), 0);

    p = "{\"ip\":[{\"cidr\":\"2001:db8::/32\"}]}";
    CHECK_INT(ma(p, "{" S("ip", "2001:db8:1::5") "}"), 1);
    CHECK_INT(ma(p, "{" S("ip", "2001:db9::1") "}"), 0);
    CHECK_INT(ma(p, "{" S("ip", "10.0.0.1") "}"), 0);
}

static void test_exists(void)
{
    const char *t = "{\"store\":[{\"exists\":true}]}", *f = "{\"store\":[{\"exists\":false}]}";
    const char *with = "{" S("store", "fans") "," SA("customer_interests",
                                                     "[\\\"baseball\\\", \\\"basketball\\\"]") "}";
    const char *without =
        "{" SA("customer_interests", "[\\\"baseball\\\", \\\"basketball\\\"]") "}";

    CHECK_INT(ma(t, with), 1);
    CHECK_INT(ma(t, without), 0);
    CHECK_INT(ma(f, with), 0);
    CHECK_INT(ma(f, without), 1);
    /* "exists": false only matches if at least one attribute is present. */
    CHECK_INT(ma(f, "{}"), 0);
    CHECK_INT(ma(f, NULL), 0);
    /* Binary attributes are ignored: as if absent. */
    CHECK_INT(ma(t, "{\"store\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AQID\"}}"), 0);

    CHECK_INT(mb(t, "{\"store\":\"fans\",\"customer_interests\":[\"baseball\",\"basketball\"]}"),
              1);
    CHECK_INT(mb(t, "{\"customer_interests\":[\"baseball\",\"basketball\"]}"), 0);
    CHECK_INT(mb(f, "{\"store\":\"fans\",\"customer_interests\":[\"baseball\",\"basketball\"]}"),
              0);
    CHECK_INT(mb(f, "{\"customer_interests\":[\"baseball\",\"basketball\"]}"), 1);
    /* exists needs a non-null, non-empty leaf value. */
    CHECK_INT(mb(t, "{\"store\":null}"), 0);
    CHECK_INT(mb(t, "{\"store\":[]}"), 0);
    CHECK_INT(mb(t, "{\"store\":{\"a\":1}}"), 0);
    CHECK_INT(mb(f, "{\"store\":null}"), 1);
}

static void test_and_or(void)
{
    const char *p =
        "{\"customer_interests\":[\"rugby\"],\"price_usd\":[{\"numeric\":[\">\",100]}]}";

    CHECK_INT(ma(p, "{" S("customer_interests", "rugby") "," N("price_usd", "100.5") "}"), 1);
    CHECK_INT(ma(p, "{" S("customer_interests", "rugby") "," N("price_usd", "99") "}"), 0);
    CHECK_INT(ma(p, "{" S("customer_interests", "rugby") "}"), 0);
    CHECK_INT(mb(p, "{\"customer_interests\":\"rugby\",\"price_usd\":101}"), 1);

    p = "{\"customer_interests\":[\"rugby\",\"football\",\"baseball\"]}";
    CHECK_INT(ma(p, "{" S("customer_interests", "football") "}"), 1);

    /* $or: "source" && ("metricName" || "namespace") */
    p = "{\"source\":[\"aws.cloudwatch\"],\"$or\":[{\"metricName\":[\"CPUUtilization\"]},"
        "{\"namespace\":[\"AWS/EC2\"]}]}";
    CHECK_INT(ma(p, "{" S("source", "aws.cloudwatch") "," S("metricName", "CPUUtilization") "}"),
              1);
    CHECK_INT(ma(p, "{" S("source", "aws.cloudwatch") "," S("namespace", "AWS/EC2") "}"), 1);
    CHECK_INT(ma(p, "{" S("source", "aws.cloudwatch") "," S("metricName", "Other") "}"), 0);
    CHECK_INT(ma(p, "{" S("source", "aws.s3") "," S("namespace", "AWS/EC2") "}"), 0);
    CHECK_INT(mb(p, "{\"source\":\"aws.cloudwatch\",\"namespace\":\"AWS/EC2\"}"), 1);

    /* Nested $or: "source" && ("metricName" || ("metricType" && ("metricId" || "spaces"))) */
    p = "{\"source\":[\"aws.cloudwatch\"],\"$or\":[{\"metricName\":[\"CPUUtilization\","
        "\"ReadLatency\"]},"
        "{\"metricType\":[\"MetricType\"],\"$or\":[{\"metricId\":[1234,4321]},{\"spaces\":[1000,"
        "2000,3000]}]}]}";
    CHECK_INT(
        mb(p, "{\"source\":\"aws.cloudwatch\",\"metricType\":\"MetricType\",\"spaces\":2000}"), 1);
    CHECK_INT(
        mb(p, "{\"source\":\"aws.cloudwatch\",\"metricType\":\"MetricType\",\"spaces\":2001}"), 0);
    CHECK_INT(mb(p, "{\"source\":\"aws.cloudwatch\",\"metricName\":\"ReadLatency\"}"), 1);

    /* "$or" that is not an array of >= 2 objects is an ordinary key. */
    CHECK_INT(ma("{\"$or\":[\"x\"]}", "{" S("$or", "x") "}"), 1);
    CHECK_INT(ma("{\"$or\":[{\"a\":[\"1\"]}]}", "{" S("a", "1") "}"),
              -1); /* an object is no value */
}

static void test_body_nested(void)
{
    const char *p = "{\"order\":{\"status\":[\"paid\"],\"total\":[{\"numeric\":[\">\",10]}]}}";

    CHECK_INT(mb(p, "{\"order\":{\"status\":\"paid\",\"total\":11}}"), 1);
    CHECK_INT(mb(p, "{\"order\":{\"status\":\"paid\",\"total\":9}}"), 0);
    CHECK_INT(mb(p, "{\"order\":\"paid\"}"), 0);
    CHECK_INT(mb(p, "{}"), 0);
    /* An array of objects matches when one element satisfies the whole nested policy. */
    CHECK_INT(
        mb(p, "{\"order\":[{\"status\":\"new\",\"total\":50},{\"status\":\"paid\",\"total\":20}]}"),
        1);
    CHECK_INT(
        mb(p, "{\"order\":[{\"status\":\"new\",\"total\":50},{\"status\":\"paid\",\"total\":5}]}"),
        0);
    /* exists:false under a missing parent. */
    CHECK_INT(mb("{\"a\":{\"b\":[{\"exists\":false}]}}", "{\"c\":1}"), 1);
    CHECK_INT(mb("{\"a\":{\"b\":[{\"exists\":false}]}}", "{\"a\":{\"b\":1}}"), 0);
    /* true, false and null match JSON literals of the body. */
    CHECK_INT(mb("{\"ok\":[true]}", "{\"ok\":true}"), 1);
    CHECK_INT(mb("{\"ok\":[true]}", "{\"ok\":\"true\"}"), 0);
    CHECK_INT(mb("{\"v\":[null]}", "{\"v\":null}"), 1);
    /* AWS's key-counting example: only parent keys count, so this 6-leaf policy is valid. */
    CHECK_INT(
        compile_rc(
            "{\"state\":[\"SUCCESS\"],\"severity\":[{\"exists\":true}],\"message\":[{\"exists\":"
            "true}],"
            "\"finding\":{\"standard_control\":[{\"exists\":true}],\"region\":[{\"exists\":true}],"
            "\"account\":[{\"exists\":true}]}}",
            HUB_FILTER_SCOPE_BODY),
        0);
    /* A nested policy cannot match flat attributes when compiled leniently. */
    {
        hub_filter *f;
        const char *pol = "{\"a\":{\"b\":[\"x\"]}}";
        json_t *attrs =
            json_loads("{\"a\":{\"DataType\":\"String\",\"StringValue\":\"x\"}}", 0, NULL);

        CHECK_INT(hub_filter_compile(pol, strlen(pol), &f, NULL, 0), 0);
        CHECK_INT(hub_filter_match(f, attrs, NULL, 0), 0);
        hub_filter_free(f);
        json_decref(attrs);
    }
}

static void test_empty_policy(void)
{
    CHECK_INT(ma("{}", "{" S("a", "b") "}"), 1);
    CHECK_INT(ma("{}", NULL), 1);
    CHECK_INT(mb("{}", "{}"), 1);
}

#define EXPECT_ERR(policy, scope, code, text)                                                      \
    do {                                                                                           \
        CHECK_INT(compile_rc(policy, scope), code);                                                \
        CHECK_STR(last_err, text);                                                                 \
    } while (0)

#define FP "Invalid parameter: FilterPolicy: "

static void test_limits(void)
{
    const int A = HUB_FILTER_SCOPE_ATTRIBUTES, B = HUB_FILTER_SCOPE_BODY;

    EXPECT_ERR(
        "{\"a\":[\"1\"],\"b\":[\"1\"],\"c\":[\"1\"],\"d\":[\"1\"],\"e\":[\"1\"],\"f\":[\"1\"]}", A,
        HUB_ELIMIT, FP "Filter policy can not have more than 5 keys");
    CHECK_INT(
        compile_rc("{\"a\":[\"1\"],\"b\":[\"1\"],\"c\":[\"1\"],\"d\":[\"1\"],\"e\":[\"1\"]}", A),
        0);
    /* 3 x 1 x 2 = 6 (the documentation's example) */
    CHECK_INT(
        compile_rc(
            "{\"key_a\":[\"value_one\",\"value_two\",\"value_three\"],\"key_b\":[\"value_one\"],"
            "\"key_c\":[\"value_one\",\"value_two\"]}",
            A),
        0);
    /* 5 x 5 x 6 = 150 is allowed, 5 x 5 x 7 = 175 is not. */
    CHECK_INT(compile_rc("{\"a\":[1,2,3,4,5],\"b\":[1,2,3,4,5],\"c\":[1,2,3,4,5,6]}", A), 0);
    EXPECT_ERR("{\"a\":[1,2,3,4,5],\"b\":[1,2,3,4,5],\"c\":[1,2,3,4,5,6,7]}", A, HUB_ELIMIT,
               FP "Filter policy is too complex");
    /* Nested: 4 values at level 3, 3 values at level 2: 3 x 4 x 2 x 3 = 72. */
    CHECK_INT(compile_rc("{\"key_a\":{\"key_b\":{\"key_c\":[\"v1\",\"v2\",\"v3\",\"v4\"]}},"
                         "\"key_d\":{\"key_e\":[\"v1\",\"v2\",\"v3\"]}}",
                         B),
              0);
    /* ... and one more value at level 2 (3 x 4 x 2 x 4 = 96), then at level 3 with 7 values:
     * 3*7*2*4 = 168. */
    EXPECT_ERR(
        "{\"key_a\":{\"key_b\":{\"key_c\":[1,2,3,4,5,6,7]}},\"key_d\":{\"key_e\":[1,2,3,4]}}", B,
        HUB_ELIMIT, FP "Filter policy is too complex");
    /* $or branches add up. */
    CHECK_INT(compile_rc("{\"$or\":[{\"a\":[1,2,3,4,5,6,7,8,9,10]},{\"b\":[1,2,3,4,5,6,7,8,9,10]}],"
                         "\"c\":[1,2,3,4,5,6,7]}",
                         A),
              0); /* (10 + 10) x 7 = 140 */
    EXPECT_ERR("{\"$or\":[{\"a\":[1,2,3,4,5,6,7,8,9,10]},{\"b\":[1,2,3,4,5,6,7,8,9,10]}],"
               "\"c\":[1,2,3,4,5,6,7,8]}",
               A, HUB_ELIMIT, FP "Filter policy is too complex"); /* 160 */
    EXPECT_ERR("{\"a\":{\"b\":[\"x\"]}}", A, HUB_EINVAL,
               "Invalid parameter: Filter policy scope MessageAttributes does not support nested "
               "filter policy");
}

static void test_errors(void)
{
    const int A = HUB_FILTER_SCOPE_ATTRIBUTES;

    EXPECT_ERR("{\"a\":[]}", A, HUB_EINVAL, FP "Empty arrays are not allowed");
    EXPECT_ERR("{\"a\":\"x\"}", A, HUB_EINVAL, FP "\"a\" must be an object or an array");
    EXPECT_ERR("{\"a\":5}", A, HUB_EINVAL, FP "\"a\" must be an object or an array");
    EXPECT_ERR("{\"a\":[[1]]}", A, HUB_EINVAL,
               FP "Match value must be String, number, true, false, or null");
    EXPECT_ERR("{\"a\":[{\"prefix\":\"x\",\"suffix\":\"y\"}]}", A, HUB_EINVAL,
               FP "Only one key allowed in match expression");
    EXPECT_ERR("{\"a\":[{\"prefix\":1}]}", A, HUB_EINVAL,
               FP "prefix match pattern must be a string");
    EXPECT_ERR("{\"a\":[{\"suffix\":[\"x\"]}]}", A, HUB_EINVAL,
               FP "suffix match pattern must be a string");
    EXPECT_ERR("{\"a\":[{\"equals-ignore-case\":1}]}", A, HUB_EINVAL,
               FP "equals-ignore-case match pattern must be a string");
    EXPECT_ERR("{\"a\":[{\"exists\":\"yes\"}]}", A, HUB_EINVAL,
               FP "exists match pattern must be either true or false.");
    EXPECT_ERR("{\"a\":[{\"regex\":\"x\"}]}", A, HUB_EINVAL, FP "Unrecognized match type regex");
    EXPECT_ERR("{\"a\":[{\"anything-but\":{\"wildcard\":\"x*\"}}]}", A, HUB_EINVAL,
               FP "Unsupported anything-but pattern: wildcard");
    EXPECT_ERR("{\"a\":[{\"anything-but\":[true]}]}", A, HUB_EINVAL,
               FP "Inside anything but list, start|null|boolean is not supported.");
    EXPECT_ERR("{\"a\":[{\"numeric\":[]}]}", A, HUB_EINVAL,
               FP "Invalid member in numeric match: ]");
    EXPECT_ERR("{\"a\":[{\"numeric\":[5]}]}", A, HUB_EINVAL,
               FP "Invalid member in numeric match: 5");
    EXPECT_ERR("{\"a\":[{\"numeric\":[\"!=\",5]}]}", A, HUB_EINVAL,
               FP "Unrecognized numeric range operator: !=");
    EXPECT_ERR("{\"a\":[{\"numeric\":[\"=\",\"5\"]}]}", A, HUB_EINVAL,
               FP "Value of equals must be numeric");
    EXPECT_ERR("{\"a\":[{\"numeric\":[\"<\",5]}]}", A, 0, "");
    EXPECT_ERR("{\"a\":[{\"numeric\":[\"<\",5,\">\",1]}]}", A, HUB_EINVAL,
               FP "Too many elements in numeric expression");
    EXPECT_ERR("{\"a\":[{\"numeric\":[\">\",5,\">\",10]}]}", A, HUB_EINVAL,
               FP "Bad numeric range operator: >");
    EXPECT_ERR("{\"a\":[{\"numeric\":[\">\",5,7,10]}]}", A, HUB_EINVAL,
               FP "Bad value in numeric range: 7");
    EXPECT_ERR("{\"a\":[{\"numeric\":[\">\",5,\"<\"]}]}", A, HUB_EINVAL,
               FP "Value of < must be numeric");
    EXPECT_ERR("{\"a\":[{\"numeric\":[\">\",5,\"<\",5]}]}", A, HUB_EINVAL,
               FP "Bottom must be less than top");
    EXPECT_ERR("{\"a\":[{\"numeric\":[\">\",5,\"<\",6,\"<\"]}]}", A, HUB_EINVAL,
               FP "Too many terms in numeric range expression");
    EXPECT_ERR("{\"a\":[{\"cidr\":\"10.0.0.0\"}]}", A, HUB_EINVAL,
               FP "Malformed CIDR, one '/' required");
    EXPECT_ERR("{\"a\":[{\"cidr\":\"10.0.0.0/x\"}]}", A, HUB_EINVAL,
               FP "Malformed CIDR, mask bits must be an integer");
    EXPECT_ERR("{\"a\":[{\"cidr\":\"10.0.0.300/8\"}]}", A, HUB_EINVAL,
               FP "Nonstandard IP address: 10.0.0.300");
    EXPECT_ERR("[1]", A, HUB_EINVAL, FP "Filter policy must be a JSON object");
    CHECK_INT(compile_rc("{\"a\":", A), HUB_EINVAL);
    CHECK(strncmp(last_err, FP "failed to parse JSON.", strlen(FP "failed to parse JSON.")) == 0);
    CHECK_INT(compile_rc("{\"a\":[1]}", 7), HUB_EINVAL);
    /* err may be NULL with errlen 0. */
    {
        hub_filter *f;

        CHECK_INT(hub_filter_compile("{\"a\":[]}", 8, &f, NULL, 0), HUB_EINVAL);
        CHECK(f == NULL);
    }
    /* A small err buffer is truncated, still terminated. */
    {
        hub_filter *f;
        char small[8];

        CHECK_INT(hub_filter_compile("{\"a\":[]}", 8, &f, small, sizeof small), HUB_EINVAL);
        CHECK_INT(strlen(small), 7);
    }
}

/* ---- every allocation failure during compile and match ---- */

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
    static const char policy[] = "{\"a\":[\"x\",{\"prefix\":\"p\"},{\"anything-but\":[\"u\",2]}],"
                                 "\"$or\":[{\"b\":[{\"numeric\":[\">\",1,"
                                 "\"<\",3]}]},{\"c\":[{\"cidr\":\"10.0.0.0/"
                                 "8\"},{\"anything-but\":{\"equals-ignore-case\":[\"Q\"]}}]}],"
                                 "\"d\":[{\"exists\":true}]}";
    static const char attrs_text[] =
        "{\"a\":{\"DataType\":\"String.Array\",\"StringValue\":\"[\\\"z\\\",\\\"x\\\"]\"},"
        "\"c\":{\"DataType\":\"String\",\"StringValue\":\"10.1.2.3\"},"
        "\"d\":{\"DataType\":\"String\",\"StringValue\":\"1\"}}";
    json_t *attrs;
    long n, base;
    int done = 0;

    hub_alloc_set(&test_funcs);
    attrs = json_loads(attrs_text, 0, NULL);
    CHECK(attrs != NULL);
    base = live;
    for (n = 1; n < 5000 && !done; n++) {
        hub_filter *f = NULL;
        char err[128];
        int rc;

        fail_at = n;
        count = 0;
        rc = hub_filter_compile(policy, strlen(policy), &f, err, sizeof err);
        if (rc == 0) {
            rc = hub_filter_match(f, attrs, NULL, 0);
            CHECK(rc == 1 || rc == HUB_ENOMEM);
            done = rc == 1;
            fail_at = 0;
            hub_filter_free(f);
        } else {
            fail_at = 0;
            if (rc != HUB_ENOMEM) fprintf(stderr, "allocation %ld: rc %d (%s)\n", n, rc, err);
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
    RUN(test_doc_example_policies);
    RUN(test_string_exact);
    RUN(test_string_prefix_suffix_case);
    RUN(test_anything_but);
    RUN(test_numeric);
    RUN(test_cidr);
    RUN(test_exists);
    RUN(test_and_or);
    RUN(test_body_nested);
    RUN(test_empty_policy);
    RUN(test_limits);
    RUN(test_errors);
    RUN(test_alloc_failures);
    return TEST_SUMMARY();
}
