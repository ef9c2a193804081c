/* test_bus_queue.c - SQS-style queues through the bus on the in-memory store: every semantic
 * (bus_queue_cases.h, shared with the Redis store's test), timing ones with short (millisecond)
 * timeouts, awaited by running the loop; and the allocation-failure walk over a whole scenario. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bus.h"
#include "bus_store_test.h"
#include "hub_alloc.h"
#include "memory/memory.h"
#include "testlib.h"

static hub_bus *store_bus_new(uv_loop_t *l, const struct store_opts *o,
                              const struct hub_bus_options *bo)
{
    struct hub_memory_options m = {0};
    if (o)
        m = (struct hub_memory_options){o->dedup_window_ms, o->purge_interval_ms, o->max_inflight};
    void *qs = hub_memory_queue_store_new(l, &m);
    void *ts = hub_memory_topic_store_new(l, &m);
    hub_bus *b = qs && ts ? hub_bus_new(l, hub_memory_queue_store_ops(), qs,
                                        hub_memory_topic_store_ops(), ts, bo)
                          : NULL;
    if (!b && qs) hub_memory_queue_store_ops()->destroy(qs);
    if (!b && ts) hub_memory_topic_store_ops()->destroy(ts);
    return b;
}

#include "bus_queue_cases.h"

/* ---- tests ---- */

static void test_errors_and_helpers(void)
{
    CHECK_STR(hub_bus_error_name(HUB_BUS_EQUEUE_DOES_NOT_EXIST), "QueueDoesNotExist");
    CHECK_STR(hub_bus_error_query_code(HUB_BUS_EQUEUE_DOES_NOT_EXIST),
              "AWS.SimpleQueueService.NonExistentQueue");
    CHECK_INT(hub_bus_error_status(HUB_BUS_ERECEIPT_HANDLE_IS_INVALID), 404);
    CHECK_INT(hub_bus_error_status(HUB_BUS_EPURGE_QUEUE_IN_PROGRESS), 403);
    CHECK_STR(hub_bus_error_name(HUB_BUS_EQUEUE_ALREADY_EXISTS), "QueueNameExists");
    CHECK_STR(hub_bus_error_query_code(HUB_BUS_EQUEUE_ALREADY_EXISTS), "QueueAlreadyExists");
    CHECK_STR(hub_bus_error_name(HUB_BUS_EMESSAGE_TOO_LONG), "InvalidParameterValue");
    CHECK_STR(hub_bus_error_name(HUB_ENOMEM), "InternalFailure");
    CHECK_INT(hub_bus_error_status(HUB_ENOMEM), 500);
    CHECK_STR(hub_bus_strerror(HUB_ENOMEM), hub_strerror(HUB_ENOMEM));
    CHECK_STR(hub_move_status_name(HUB_MOVE_COMPLETED), "COMPLETED");

    char id[HUB_BUS_UUID_LEN + 1], id2[HUB_BUS_UUID_LEN + 1], h[HUB_RECEIPT_HANDLE_LEN + 1];
    hub_bus_uuid(id);
    CHECK_INT(strlen(id), 36);
    CHECK(id[14] == '4' && strchr("89ab", id[19]) != NULL);
    hub_receipt_handle_encode(0x0102030405060708ULL, id, 42, h);
    CHECK_INT(strlen(h), HUB_RECEIPT_HANDLE_LEN);
    uint64_t q = 0, rn = 0;
    CHECK_INT(hub_receipt_handle_decode(h, &q, id2, &rn), 0);
    CHECK(q == 0x0102030405060708ULL && rn == 42);
    CHECK_STR(id2, id);
    CHECK_INT(hub_receipt_handle_decode("short", &q, id2, &rn), HUB_BUS_ERECEIPT_HANDLE_IS_INVALID);
    h[5] = '*';
    CHECK_INT(hub_receipt_handle_decode(h, &q, id2, &rn), HUB_BUS_ERECEIPT_HANDLE_IS_INVALID);

    char hex[65];
    hub_bus_sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hub_bus_name_valid("orders", 0));
    CHECK(hub_bus_name_valid("orders-1_x.fifo", 0));
    CHECK(!hub_bus_name_valid(".fifo", 0));
    CHECK(!hub_bus_name_valid("a b", 0));
    CHECK(!hub_bus_name_valid("", 0));
    char longname[100];
    memset(longname, 'a', 81);
    longname[81] = 0;
    CHECK(!hub_bus_name_valid(longname, 0));
    CHECK(hub_bus_name_valid(longname, 1));
    CHECK_STR(hub_bus_arn_name("arn:aws:sqs:us-east-1:000000000000:orders"), "orders");
    CHECK_STR(hub_bus_arn_name("http://127.0.0.1:4566/000000000000/orders.fifo"), "orders.fifo");
    CHECK_STR(hub_bus_arn_name("plain"), "plain");
    CHECK(hub_bus_arn_name("") == NULL);

    json_t *attrs =
        json_pack("{s:{s:s,s:s},s:{s:s,s:s}}", "ab", "DataType", "String", "StringValue", "xyz",
                  "b", "DataType", "Binary", "BinaryValue", "AQID");
    /* body 10 + "ab" "String" "xyz" (11) + "b" "Binary" 3 decoded bytes (10) */
    CHECK_INT(hub_bus_message_size(10, attrs), 31);
    json_decref(attrs);
}

static void test_config_parse(void)
{
    bus_up(NULL);
    struct hub_queue_config c;
    const char *bad = NULL;
    hub_queue_config_init(&c);
    json_t *a = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s}", "VisibilityTimeout", "60",
                          "DelaySeconds", 5, "MessageRetentionPeriod", "120", "MaximumMessageSize",
                          "2048", "ReceiveMessageWaitTimeSeconds", "20", "RedrivePolicy",
                          "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\","
                          "\"maxReceiveCount\":\"3\"}",
                          "Policy", "{\"Version\":\"2012-10-17\"}");
    CHECK_INT(hub_queue_config_parse(&c, a, 1, &bad), 0);
    CHECK(bad == NULL);
    CHECK(c.visibility_ms == 60000 && c.delay_ms == 5000 && c.retention_ms == 120000);
    CHECK(c.max_message_size == 2048 && c.wait_ms == 20000);
    CHECK_STR(c.dlq, "dlq");
    CHECK_INT(c.max_receive_count, 3);
    CHECK_STR(json_string_value(json_object_get(c.extra, "Policy")),
              "{\"Version\":\"2012-10-17\"}");
    CHECK(c.set & HUB_QCFG_REDRIVE);
    hub_queue_config_clear(&c);
    json_decref(a);

    struct {
        const char *k, *v;
        int creating, err;
    } cases[] = {
        {"VisibilityTimeout", "43201", 1, HUB_BUS_EINVALID_ATTRIBUTE_VALUE},
        {"VisibilityTimeout", "-1", 1, HUB_BUS_EINVALID_ATTRIBUTE_VALUE},
        {"DelaySeconds", "901", 1, HUB_BUS_EINVALID_ATTRIBUTE_VALUE},
        {"MessageRetentionPeriod", "59", 1, HUB_BUS_EINVALID_ATTRIBUTE_VALUE},
        {"MaximumMessageSize", "1023", 1, HUB_BUS_EINVALID_ATTRIBUTE_VALUE},
        {"ReceiveMessageWaitTimeSeconds", "21", 1, HUB_BUS_EINVALID_ATTRIBUTE_VALUE},
        {"RedrivePolicy", "{\"deadLetterTargetArn\":\"arn:x:dlq\"}", 1,
         HUB_BUS_EINVALID_ATTRIBUTE_VALUE},
        {"RedrivePolicy", "{\"deadLetterTargetArn\":\"arn:x:dlq\",\"maxReceiveCount\":1001}", 1,
         HUB_BUS_EINVALID_ATTRIBUTE_VALUE},
        {"FifoQueue", "true", 0, HUB_BUS_EINVALID_ATTRIBUTE_NAME},
        {"FifoQueue", "yes", 1, HUB_BUS_EINVALID_ATTRIBUTE_VALUE},
        {"DeduplicationScope", "everything", 1, HUB_BUS_EINVALID_ATTRIBUTE_VALUE},
        {"RedriveAllowPolicy", "{\"redrivePermission\":\"sometimes\"}", 1,
         HUB_BUS_EINVALID_ATTRIBUTE_VALUE},
        {"Bogus", "1", 1, HUB_BUS_EINVALID_ATTRIBUTE_NAME},
        {"SqsManagedSseEnabled", "TRUE", 1, 0},
        {"RedrivePolicy", "", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hub_queue_config_init(&c);
        a = json_pack("{s:s}", cases[i].k, cases[i].v);
        bad = NULL;
        int rc = hub_queue_config_parse(&c, a, cases[i].creating, &bad);
        CHECK_INT(rc, cases[i].err);
        if (rc) CHECK_STR(bad, cases[i].k);
        hub_queue_config_clear(&c);
        json_decref(a);
    }
    bus_down();
}

/* ---- allocation failures: fail the Nth allocation for N = 1, 2, ... through a whole scenario
 * (queues, FIFO, long poll, batches, topics with fan-out). Every call either fails at once (and its
 * callback never runs) or runs its callback exactly once; nothing leaks. ---- */

static long fail_at, alloc_count, live;

static int should_fail(void)
{
    return fail_at && ++alloc_count == fail_at;
}

static void *t_malloc(size_t n)
{
    void *p = should_fail() ? NULL : malloc(n);
    live += p != NULL;
    return p;
}

static void *t_calloc(size_t n, size_t size)
{
    void *p = should_fail() ? NULL : calloc(n, size);
    live += p != NULL;
    return p;
}

static void *t_realloc(void *old, size_t n)
{
    void *p = should_fail() ? NULL : realloc(old, n);
    live += p != NULL && old == NULL;
    return p;
}

static void t_free(void *p)
{
    live -= p != NULL;
    free(p);
}

struct cres {
    int calls, err, n;
    char handles[HUB_BUS_BATCH_MAX][HUB_RECEIPT_HANDLE_LEN + 1];
};

static void c_done(void *ud, int err)
{
    struct cres *c = ud;
    c->calls++;
    c->err = err;
}

static void c_info(void *ud, int err, const struct hub_queue_info *info)
{
    c_done(ud, err);
}

static void c_tinfo(void *ud, int err, const struct hub_topic_info *info)
{
    c_done(ud, err);
}

static void c_sub(void *ud, int err, const struct hub_subscription *s)
{
    c_done(ud, err);
}

static void c_send(void *ud, int err, const struct hub_send_result *r, size_t n)
{
    c_done(ud, err);
    for (size_t i = 0; i < n; i++)
        if (r[i].err) ((struct cres *)ud)->err = r[i].err;
}

static void c_pub(void *ud, int err, const struct hub_publish_result *r, size_t n)
{
    c_done(ud, err);
    for (size_t i = 0; i < n; i++)
        if (r[i].err) ((struct cres *)ud)->err = r[i].err;
}

static void c_batch(void *ud, int err, const struct hub_batch_result *r, size_t n)
{
    c_done(ud, err);
    for (size_t i = 0; i < n; i++)
        if (r[i].err) ((struct cres *)ud)->err = r[i].err;
}

static void c_recv(void *ud, int err, const struct hub_message *m, size_t n)
{
    struct cres *c = ud;
    c_done(ud, err);
    c->n = (int)n;
    for (size_t i = 0; i < n; i++)
        copy(c->handles[i], sizeof c->handles[i], m[i].receipt_handle);
}

/* Checks one call: rc != 0 means no callback ever; otherwise exactly one. Returns 1 when it all
 * succeeded. */
static int step_late(int rc, struct cres *c, int line, int early_ok)
{
    if (rc) {
        run_for(1);
        if (c->calls)
            fprintf(stderr, "  line %d: rc %d and a callback (fail_at %ld)\n", line, rc, fail_at);
        CHECK_INT(c->calls, 0);
        return 0;
    }
    if (!early_ok) CHECK_INT(c->calls, 0);
    for (int i = 0; i < 2000 && c->calls == 0; i++)
        uv_run(&loop, UV_RUN_ONCE);
    CHECK_INT(c->calls, 1);
    return c->err == 0;
}

static int step(int rc, struct cres *c, int line)
{
    return step_late(rc, c, line, 0);
}

static int chaos_scenario(void)
{
    int ok = 1;
    CHECK_INT(uv_loop_init(&loop), 0);
    uv_timer_init(&loop, &guard);
    void *qs = hub_memory_queue_store_new(&loop, NULL);
    void *ts = hub_memory_topic_store_new(&loop, NULL);
    bus = qs && ts ? hub_bus_new(&loop, hub_memory_queue_store_ops(), qs,
                                 hub_memory_topic_store_ops(), ts, NULL)
                   : NULL;
    if (!bus) {
        if (qs) hub_memory_queue_store_ops()->destroy(qs);
        if (ts) hub_memory_topic_store_ops()->destroy(ts);
        ok = 0;
        goto out;
    }
    struct cres c;
    struct hub_queue_config qc;
    hub_queue_config_init(&qc);
    qc.set = HUB_QCFG_VISIBILITY;
    qc.visibility_ms = 60000;
#define STEP(call)                                                                                 \
    do {                                                                                           \
        memset(&c, 0, sizeof c);                                                                   \
        ok &= step((call), &c, __LINE__);                                                          \
    } while (0)
    STEP(hub_bus_queue_create(bus, "q", &qc, NULL, c_info, &c));
    STEP(hub_bus_queue_create(bus, "w", &qc, NULL, c_info, &c));
    hub_queue_config_init(&qc);
    qc.fifo = 1;
    qc.set = HUB_QCFG_FIFO | HUB_QCFG_CONTENT_DEDUP;
    qc.content_dedup = 1;
    STEP(hub_bus_queue_create(bus, "f.fifo", &qc, NULL, c_info, &c));
    json_t *attrs = json_pack("{s:{s:s,s:s}}", "k", "DataType", "String", "StringValue", "v");
    if (!attrs) ok = 0;
    struct hub_send_entry e[3] = {
        {.id = "a", .body = "one", .body_len = 3, .attributes = attrs, .delay_ms = -1},
        {.id = "b", .body = "two", .body_len = 3, .delay_ms = 0},
        {.id = "c", .body = "three", .body_len = 5, .delay_ms = -1, .group_id = "g"},
    };
    STEP(hub_bus_send(bus, "q", e, 3, c_send, &c));
    STEP(hub_bus_send(bus, "f.fifo", e + 2, 1, c_send, &c));
    struct hub_receive_opts o = {.max_messages = 10, .visibility_ms = -1, .wait_ms = 0};
    STEP(hub_bus_receive(bus, "f.fifo", &o, c_recv, &c, NULL));

    /* A long poll served by a send. */
    struct cres w;
    memset(&w, 0, sizeof w);
    o.wait_ms = 300;
    int wrc = hub_bus_receive(bus, "w", &o, c_recv, &w, NULL);
    CHECK_INT(w.calls, 0);
    STEP(hub_bus_send(bus, "w", e + 1, 1, c_send, &c));
    ok &= step_late(wrc, &w, __LINE__, 1) && w.n == 1;

    o.wait_ms = 0;
    STEP(hub_bus_receive(bus, "q", &o, c_recv, &c, NULL));
    struct hub_receipt_entry d[HUB_BUS_BATCH_MAX];
    char handles[HUB_BUS_BATCH_MAX][HUB_RECEIPT_HANDLE_LEN + 1];
    int n = c.n;
    for (int i = 0; i < n; i++) {
        copy(handles[i], sizeof handles[i], c.handles[i]);
        d[i] = (struct hub_receipt_entry){.id = i ? "y" : "x", .receipt_handle = handles[i]};
    }
    if (n >= 2) {
        STEP(hub_bus_change_visibility(bus, "q", d, 1, c_batch, &c));
        STEP(hub_bus_delete(bus, "q", d, 2, c_batch, &c));
    } else {
        ok = 0;
    }

    struct hub_topic_config tc;
    hub_topic_config_init(&tc);
    STEP(hub_bus_topic_create(bus, "t", &tc, NULL, c_tinfo, &c));
    struct hub_sub_config sc;
    hub_sub_config_init(&sc);
    sc.set = HUB_SCFG_FILTER;
    sc.filter_policy = "{\"k\":[\"v\"]}";
    STEP(
        hub_bus_subscribe(bus, "t", "sqs", "arn:aws:sqs:us-east-1:000000000000:q", &sc, c_sub, &c));
    STEP(hub_bus_subscribe(bus, "t", "room", "/#r", NULL, c_sub, &c));
    struct hub_publish_entry p = {.message = "pub", .message_len = 3, .attributes = attrs};
    STEP(hub_bus_publish(bus, "t", &p, 1, c_pub, &c));
    STEP(hub_bus_purge(bus, "q", c_done, &c));
    json_decref(attrs);
#undef STEP
out:
    fail_at = 0; /* tear-down itself must not fail */
    hub_bus_free(bus);
    bus = NULL;
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
    return ok;
}

static void test_allocation_failures(void)
{
    static const struct hub_alloc_funcs funcs = {t_malloc, t_calloc, t_realloc, t_free};
    hub_alloc_set(&funcs);
    long n;
    for (n = 1; n < 20000; n++) {
        fail_at = n;
        alloc_count = 0;
        live = 0;
        int ok = chaos_scenario();
        if (live != 0) fprintf(stderr, "  %ld blocks leaked when allocation %ld failed\n", live, n);
        CHECK_INT(live, 0);
        if (alloc_count < n) { /* the scenario ran without reaching a failure */
            CHECK(ok);
            break;
        }
    }
    CHECK(n > 50 && n < 20000);
    fprintf(stderr, "  %ld allocation failure points\n", n - 1);
    hub_alloc_set(NULL);
}

int main(void)
{
    RUN(test_errors_and_helpers);
    RUN(test_config_parse);
    BUS_QUEUE_CASES(RUN);
    RUN(test_allocation_failures);
    return TEST_SUMMARY();
}
