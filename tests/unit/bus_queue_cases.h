/* bus_queue_cases.h - the queue semantics every store must have, checked through the bus: included
 * by test_bus_queue.c (the in-memory store) and test_redis_store.c (the Redis store), each of which
 * defines store_bus_new() (bus_store_test.h) first. Timing checks use millisecond timeouts and run
 * the loop until they are met. BUS_QUEUE_CASES(RUN) runs them all. */
#ifndef HUB_TEST_BUS_QUEUE_CASES_H
#define HUB_TEST_BUS_QUEUE_CASES_H

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bus.h"
#include "bus_store_test.h"
#include "hub_alloc.h"
#include "testlib.h"

static uv_loop_t loop;
static uv_timer_t guard;
static hub_bus *bus;

static void bus_up(const struct store_opts *opt)
{
    CHECK_INT(uv_loop_init(&loop), 0);
    uv_timer_init(&loop, &guard);
    bus = store_bus_new(&loop, opt, NULL);
    CHECK(bus != NULL);
}

static void bus_down(void)
{
    hub_bus_free(bus);
    bus = NULL;
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
}

static void on_guard(uv_timer_t *t)
{
    *(int *)t->data = 1;
}

/* Runs the loop until *flag is set or ms pass. Returns *flag. */
static int run_until(int *flag, uint64_t ms)
{
    int expired = 0;
    guard.data = &expired;
    uv_timer_start(&guard, on_guard, ms, 0);
    while (!*flag && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    uv_timer_stop(&guard);
    return *flag;
}

static void run_for(uint64_t ms)
{
    int never = 0;
    run_until(&never, ms);
}

static uint64_t now_ms(void)
{
    return uv_hrtime() / 1000000;
}

/* ---- results ---- */

struct res {
    int done, err;
    size_t n;
    uint64_t at;
    struct {
        int err, dup;
        char id[96];
        char msg_id[40];
        uint64_t seq;
    } s[HUB_BUS_BATCH_MAX];
    struct {
        char id[40], handle[48], group[130], dedup[130], dlq[96], sender[64];
        char body[2048];
        size_t len;
        uint32_t count;
        uint64_t first, sent, seq;
        json_t *attrs;
    } m[HUB_BUS_BATCH_MAX];
    uint64_t visible, inflight, delayed;
    int created;
    json_t *json;
    char names[32][96];
    struct {
        char handle[40], dest[96];
        int status;
        uint64_t moved, to_move;
        char failure[64];
    } t[10];
};

static struct res *res_new(void)
{
    return calloc(1, sizeof(struct res));
}

static void res_free(struct res *r)
{
    for (size_t i = 0; i < HUB_BUS_BATCH_MAX; i++)
        json_decref(r->m[i].attrs);
    json_decref(r->json);
    free(r);
}

/* Clears r for the next request (releasing what it holds). */
static void res_reset(struct res *r)
{
    for (size_t i = 0; i < HUB_BUS_BATCH_MAX; i++)
        json_decref(r->m[i].attrs);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

static void res_done(struct res *r, int err)
{
    r->done++;
    r->err = err;
    r->at = now_ms();
}

static void copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static void on_info(void *ud, int err, const struct hub_queue_info *info)
{
    struct res *r = ud;
    res_done(r, err);
    if (!info) return;
    r->visible = info->visible;
    r->inflight = info->inflight;
    r->delayed = info->delayed;
    r->created = info->created;
    const char *all[] = {"All"};
    json_decref(r->json);
    r->json = NULL;
    CHECK_INT(hub_queue_info_attributes(bus, info, all, 1, &r->json), 0);
    json_t *tags = json_deep_copy(info->tags);
    json_object_set_new(r->json, "(tags)", tags);
}

static void on_done(void *ud, int err)
{
    res_done(ud, err);
}

static void on_send(void *ud, int err, const struct hub_send_result *res, size_t n)
{
    struct res *r = ud;
    res_done(r, err);
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        r->s[i].err = res[i].err;
        r->s[i].dup = res[i].duplicate;
        r->s[i].seq = res[i].sequence_number;
        copy(r->s[i].id, sizeof r->s[i].id, res[i].id);
        copy(r->s[i].msg_id, sizeof r->s[i].msg_id, res[i].err ? NULL : res[i].message_id);
    }
}

static void on_recv(void *ud, int err, const struct hub_message *m, size_t n)
{
    struct res *r = ud;
    res_done(r, err);
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        copy(r->m[i].id, sizeof r->m[i].id, m[i].message_id);
        copy(r->m[i].handle, sizeof r->m[i].handle, m[i].receipt_handle);
        copy(r->m[i].group, sizeof r->m[i].group, m[i].group_id);
        copy(r->m[i].dedup, sizeof r->m[i].dedup, m[i].dedup_id);
        copy(r->m[i].dlq, sizeof r->m[i].dlq, m[i].dead_letter_source);
        copy(r->m[i].sender, sizeof r->m[i].sender, m[i].sender_id);
        r->m[i].len = m[i].body_len;
        size_t len = m[i].body_len < sizeof r->m[i].body ? m[i].body_len : sizeof r->m[i].body - 1;
        memcpy(r->m[i].body, m[i].body, len);
        r->m[i].body[len] = '\0';
        r->m[i].count = m[i].receive_count;
        r->m[i].first = m[i].first_receive_ms;
        r->m[i].sent = m[i].sent_ms;
        r->m[i].seq = m[i].sequence_number;
        json_decref(r->m[i].attrs);
        r->m[i].attrs = m[i].attributes ? json_deep_copy(m[i].attributes) : NULL;
    }
}

static void on_batch(void *ud, int err, const struct hub_batch_result *res, size_t n)
{
    struct res *r = ud;
    res_done(r, err);
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        r->s[i].err = res[i].err;
        copy(r->s[i].id, sizeof r->s[i].id, res[i].id);
    }
}

static void on_names(void *ud, int err, const char *const *names, size_t n)
{
    struct res *r = ud;
    res_done(r, err);
    r->n = n;
    for (size_t i = 0; i < n && i < 32; i++)
        copy(r->names[i], sizeof r->names[i], names[i]);
}

static void task_copy(struct res *r, size_t i, const struct hub_move_task *t)
{
    copy(r->t[i].handle, sizeof r->t[i].handle, t->handle);
    copy(r->t[i].dest, sizeof r->t[i].dest, t->destination);
    copy(r->t[i].failure, sizeof r->t[i].failure, t->failure_reason);
    r->t[i].status = (int)t->status;
    r->t[i].moved = t->moved;
    r->t[i].to_move = t->to_move;
}

static void on_move(void *ud, int err, const struct hub_move_task *t)
{
    struct res *r = ud;
    res_done(r, err);
    r->n = t ? 1 : 0;
    if (t) task_copy(r, 0, t);
}

static void on_move_list(void *ud, int err, const struct hub_move_task *t, size_t n)
{
    struct res *r = ud;
    res_done(r, err);
    r->n = n;
    for (size_t i = 0; i < n && i < 10; i++)
        task_copy(r, i, &t[i]);
}

/* ---- synchronous helpers (the callback law is checked on every call) ---- */

static int await(int rc, struct res *r)
{
    if (rc) return rc;
    CHECK_INT(r->done, 0); /* never from inside the call */
    CHECK(run_until(&r->done, 5000));
    CHECK_INT(r->done, 1);
    return r->err;
}

static int create_q(const char *name, const struct hub_queue_config *cfg)
{
    struct res *r = res_new();
    struct hub_queue_config def;
    hub_queue_config_init(&def);
    def.fifo = strstr(name, ".fifo") != NULL;
    int rc = await(hub_bus_queue_create(bus, name, cfg ? cfg : &def, NULL, on_info, r), r);
    res_free(r);
    return rc;
}

static int get_q(const char *name, struct res *r)
{
    memset(r->s, 0, sizeof r->s);
    r->done = 0;
    return await(hub_bus_queue_get(bus, name, on_info, r), r);
}

static const char *qattr(struct res *r, const char *name)
{
    return json_string_value(json_object_get(r->json, name));
}

/* Sends one message; returns the entry's error (or the request's). */
static int send_msg(const char *q, const char *body, int64_t delay_ms, const char *group,
                    const char *dedup, struct res *r)
{
    struct hub_send_entry e = {
        .body = body,
        .body_len = strlen(body),
        .delay_ms = delay_ms,
        .group_id = group,
        .dedup_id = dedup,
    };
    r->done = 0;
    int rc = await(hub_bus_send(bus, q, &e, 1, on_send, r), r);
    return rc ? rc : r->s[0].err;
}

static int send1(const char *q, const char *body)
{
    struct res *r = res_new();
    int rc = send_msg(q, body, -1, NULL, NULL, r);
    res_free(r);
    return rc;
}

static int recv_start(const char *q, uint32_t max, int64_t vis, int64_t wait, struct res *r,
                      uint64_t *ticket)
{
    struct hub_receive_opts o = {.max_messages = max, .visibility_ms = vis, .wait_ms = wait};
    r->done = 0;
    r->n = 0;
    int rc = hub_bus_receive(bus, q, &o, on_recv, r, ticket);
    if (!rc) CHECK_INT(r->done, 0);
    return rc;
}

static int recv_msgs(const char *q, uint32_t max, int64_t vis, int64_t wait, struct res *r)
{
    int rc = recv_start(q, max, vis, wait, r, NULL);
    if (rc) return rc;
    CHECK(run_until(&r->done, 5000 + (uint64_t)(wait > 0 ? wait : 0)));
    return r->err;
}

static int delete_msg(const char *q, const char *handle)
{
    struct res *r = res_new();
    struct hub_receipt_entry e = {.receipt_handle = handle};
    int rc = await(hub_bus_delete(bus, q, &e, 1, on_batch, r), r);
    if (!rc) rc = r->s[0].err;
    res_free(r);
    return rc;
}

static int change_vis(const char *q, const char *handle, int64_t ms)
{
    struct res *r = res_new();
    struct hub_receipt_entry e = {.receipt_handle = handle, .visibility_ms = ms};
    int rc = await(hub_bus_change_visibility(bus, q, &e, 1, on_batch, r), r);
    if (!rc) rc = r->s[0].err;
    res_free(r);
    return rc;
}

static void test_create_get_list_delete(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_q("orders", NULL), 0);
    CHECK_INT(get_q("orders", r), 0);
    CHECK_STR(qattr(r, "VisibilityTimeout"), "30");
    CHECK_STR(qattr(r, "DelaySeconds"), "0");
    CHECK_STR(qattr(r, "MessageRetentionPeriod"), "345600");
    CHECK_STR(qattr(r, "MaximumMessageSize"), "262144");
    CHECK_STR(qattr(r, "ReceiveMessageWaitTimeSeconds"), "0");
    CHECK_STR(qattr(r, "QueueArn"), "arn:aws:sqs:us-east-1:000000000000:orders");
    CHECK_STR(qattr(r, "ApproximateNumberOfMessages"), "0");
    CHECK_STR(qattr(r, "ApproximateNumberOfMessagesNotVisible"), "0");
    CHECK_STR(qattr(r, "ApproximateNumberOfMessagesDelayed"), "0");
    CHECK(qattr(r, "CreatedTimestamp") && qattr(r, "LastModifiedTimestamp"));
    CHECK(qattr(r, "FifoQueue") == NULL); /* standard queues do not report it */
    CHECK(qattr(r, "RedrivePolicy") == NULL);

    /* Same name, same attributes: the existing queue. Different: QueueAlreadyExists. */
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    c.set = HUB_QCFG_VISIBILITY;
    c.visibility_ms = 30000;
    CHECK_INT(create_q("orders", &c), 0);
    c.visibility_ms = 60000;
    CHECK_INT(create_q("orders", &c), HUB_BUS_EQUEUE_ALREADY_EXISTS);
    res_reset(r);
    CHECK_INT(await(hub_bus_queue_create(bus, "orders", &c, NULL, on_info, r), r),
              HUB_BUS_EQUEUE_ALREADY_EXISTS);
    c.visibility_ms = 30000;
    r->done = 0;
    CHECK_INT(await(hub_bus_queue_create(bus, "orders", &c, NULL, on_info, r), r), 0);
    CHECK_INT(r->created, 0);

    /* Names. */
    hub_queue_config_init(&c);
    CHECK_INT(hub_bus_queue_create(bus, "bad name", &c, NULL, on_info, r),
              HUB_BUS_EINVALID_PARAMETER_VALUE);
    CHECK_INT(hub_bus_queue_create(bus, "nofifo.fifo", &c, NULL, on_info, r),
              HUB_BUS_EINVALID_PARAMETER_VALUE);
    c.fifo = 1;
    CHECK_INT(hub_bus_queue_create(bus, "fifo-without-suffix", &c, NULL, on_info, r),
              HUB_BUS_EINVALID_PARAMETER_VALUE);
    CHECK_INT(create_q("jobs.fifo", &c), 0);
    CHECK_INT(create_q("order-archive", NULL), 0);

    res_reset(r);
    CHECK_INT(await(hub_bus_queue_list(bus, "order", on_names, r), r), 0);
    CHECK_INT(r->n, 2);
    CHECK_STR(r->names[0], "order-archive");
    CHECK_STR(r->names[1], "orders");
    res_reset(r);
    CHECK_INT(await(hub_bus_queue_list(bus, NULL, on_names, r), r), 0);
    CHECK_INT(r->n, 3);

    res_reset(r);
    CHECK_INT(get_q("jobs.fifo", r), 0);
    CHECK_STR(qattr(r, "FifoQueue"), "true");
    CHECK_STR(qattr(r, "ContentBasedDeduplication"), "false");
    CHECK_STR(qattr(r, "DeduplicationScope"), "queue");
    CHECK_STR(qattr(r, "FifoThroughputLimit"), "perQueue");

    /* Requested names only; unknown names are an error. */
    const char *names[] = {"VisibilityTimeout", "QueueArn"};
    json_t *out = NULL;
    struct hub_queue_info info = {.name = "x", .config = &c, .tags = NULL};
    CHECK_INT(hub_queue_info_attributes(bus, &info, names, 2, &out), 0);
    CHECK_INT(json_object_size(out), 2);
    json_decref(out);
    const char *unknown[] = {"Nope"};
    CHECK_INT(hub_queue_info_attributes(bus, &info, unknown, 1, &out),
              HUB_BUS_EINVALID_ATTRIBUTE_NAME);

    res_reset(r);
    CHECK_INT(await(hub_bus_queue_delete(bus, "orders", on_done, r), r), 0);
    res_reset(r);
    CHECK_INT(get_q("orders", r), HUB_BUS_EQUEUE_DOES_NOT_EXIST);
    res_reset(r);
    CHECK_INT(await(hub_bus_queue_delete(bus, "orders", on_done, r), r),
              HUB_BUS_EQUEUE_DOES_NOT_EXIST);
    CHECK_INT(send1("orders", "x"), HUB_BUS_EQUEUE_DOES_NOT_EXIST);
    res_free(r);
    bus_down();
}

static void test_set_attributes_and_tags(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_q("q", NULL), 0);
    CHECK_INT(create_q("dlq.fifo", NULL), 0);
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    json_t *a = json_pack("{s:s,s:s}", "VisibilityTimeout", "45", "KmsMasterKeyId", "alias/x");
    CHECK_INT(hub_queue_config_parse(&c, a, 0, NULL), 0);
    CHECK_INT(await(hub_bus_queue_set(bus, "q", &c, on_done, r), r), 0);
    hub_queue_config_clear(&c);
    json_decref(a);
    CHECK_INT(get_q("q", r), 0);
    CHECK_STR(qattr(r, "VisibilityTimeout"), "45");
    CHECK_STR(qattr(r, "KmsMasterKeyId"), "alias/x");
    CHECK_STR(qattr(r, "DelaySeconds"), "0");

    /* FIFO-only attributes on a standard queue, FifoQueue on set, a missing or mismatched DLQ. */
    hub_queue_config_init(&c);
    c.set = HUB_QCFG_CONTENT_DEDUP;
    c.content_dedup = 1;
    res_reset(r);
    CHECK_INT(await(hub_bus_queue_set(bus, "q", &c, on_done, r), r),
              HUB_BUS_EINVALID_ATTRIBUTE_NAME);
    c.set = HUB_QCFG_FIFO;
    CHECK_INT(hub_bus_queue_set(bus, "q", &c, on_done, r), HUB_BUS_EINVALID_ATTRIBUTE_NAME);
    c.set = HUB_QCFG_REDRIVE;
    snprintf(c.dlq, sizeof c.dlq, "missing");
    c.max_receive_count = 2;
    res_reset(r);
    CHECK_INT(await(hub_bus_queue_set(bus, "q", &c, on_done, r), r),
              HUB_BUS_EINVALID_PARAMETER_VALUE);
    snprintf(c.dlq, sizeof c.dlq, "dlq.fifo");
    res_reset(r);
    CHECK_INT(await(hub_bus_queue_set(bus, "q", &c, on_done, r), r),
              HUB_BUS_EINVALID_PARAMETER_VALUE);
    res_reset(r);
    CHECK_INT(await(hub_bus_queue_set(bus, "nope", &c, on_done, r), r),
              HUB_BUS_EQUEUE_DOES_NOT_EXIST);

    /* Tags. */
    json_t *tags = json_pack("{s:s,s:s}", "team", "a", "env", "dev");
    res_reset(r);
    CHECK_INT(await(hub_bus_queue_tag(bus, "q", tags, on_done, r), r), 0);
    json_decref(tags);
    const char *keys[] = {"env"};
    res_reset(r);
    CHECK_INT(await(hub_bus_queue_untag(bus, "q", keys, 1, on_done, r), r), 0);
    CHECK_INT(get_q("q", r), 0);
    json_t *t = json_object_get(r->json, "(tags)");
    CHECK_INT(json_object_size(t), 1);
    CHECK_STR(json_string_value(json_object_get(t, "team")), "a");
    tags = json_pack("{s:i}", "bad", 1);
    CHECK_INT(hub_bus_queue_tag(bus, "q", tags, on_done, r), HUB_BUS_EINVALID_PARAMETER_VALUE);
    json_decref(tags);
    /* Tags given at creation. */
    tags = json_pack("{s:s}", "k", "v");
    hub_queue_config_init(&c);
    res_reset(r);
    CHECK_INT(await(hub_bus_queue_create(bus, "tagged", &c, tags, on_info, r), r), 0);
    CHECK_STR(json_string_value(json_object_get(json_object_get(r->json, "(tags)"), "k")), "v");
    json_decref(tags);
    res_free(r);
    bus_down();
}

static void test_send_receive_delete(void)
{
    bus_up(NULL);
    struct res *r = res_new(), *s = res_new();
    CHECK_INT(create_q("q", NULL), 0);
    json_t *attrs =
        json_pack("{s:{s:s,s:s},s:{s:s,s:s},s:{s:s,s:s}}", "trace", "DataType", "String",
                  "StringValue", "abc", "n", "DataType", "Number.int", "StringValue", "42", "bin",
                  "DataType", "Binary", "BinaryValue", "AQID");
    struct hub_send_entry e = {.body = "hello world",
                               .body_len = 11,
                               .attributes = attrs,
                               .delay_ms = -1,
                               .sender_id = "AIDAEXAMPLE"};
    uint64_t before = hub_bus_now_ms();
    CHECK_INT(await(hub_bus_send(bus, "q", &e, 1, on_send, s), s), 0);
    CHECK_INT(s->n, 1);
    CHECK_INT(s->s[0].err, 0);
    CHECK_INT(strlen(s->s[0].msg_id), 36);
    CHECK_INT(s->s[0].seq, 0);
    json_decref(attrs);

    CHECK_INT(get_q("q", r), 0);
    CHECK_INT(r->visible, 1);

    CHECK_INT(recv_msgs("q", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->m[0].id, s->s[0].msg_id);
    CHECK_STR(r->m[0].body, "hello world");
    CHECK_INT(r->m[0].len, 11);
    CHECK_INT(r->m[0].count, 1);
    CHECK(r->m[0].sent >= before && r->m[0].sent <= hub_bus_now_ms());
    CHECK(r->m[0].first >= r->m[0].sent);
    CHECK_STR(r->m[0].sender, "AIDAEXAMPLE");
    CHECK_INT(strlen(r->m[0].handle), HUB_RECEIPT_HANDLE_LEN);
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(r->m[0].attrs, "n"), "StringValue")),
        "42");
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(r->m[0].attrs, "bin"), "BinaryValue")),
        "AQID");
    char handle[48];
    copy(handle, sizeof handle, r->m[0].handle);

    /* In flight: not received again, counted as not visible. */
    CHECK_INT(recv_msgs("q", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 0);
    CHECK_INT(get_q("q", r), 0);
    CHECK_INT(r->visible, 0);
    CHECK_INT(r->inflight, 1);
    CHECK_STR(qattr(r, "ApproximateNumberOfMessagesNotVisible"), "1");

    CHECK_INT(delete_msg("q", handle), 0);
    CHECK_INT(get_q("q", r), 0);
    CHECK_INT(r->inflight, 0);
    /* Deleting again succeeds (the message is gone), as SQS. */
    CHECK_INT(delete_msg("q", handle), 0);
    CHECK_INT(delete_msg("q", "not-a-handle"), HUB_BUS_ERECEIPT_HANDLE_IS_INVALID);
    CHECK_INT(recv_msgs("nope", 1, -1, 0, r), HUB_BUS_EQUEUE_DOES_NOT_EXIST);

    /* Argument checks answered at once. */
    struct hub_receive_opts o = {.max_messages = 11, .visibility_ms = -1, .wait_ms = 0};
    CHECK_INT(hub_bus_receive(bus, "q", &o, on_recv, r, NULL), HUB_BUS_EINVALID_PARAMETER_VALUE);
    o.max_messages = 1;
    o.wait_ms = 20001;
    CHECK_INT(hub_bus_receive(bus, "q", &o, on_recv, r, NULL), HUB_BUS_EINVALID_PARAMETER_VALUE);
    o.wait_ms = 0;
    o.visibility_ms = 43200001;
    CHECK_INT(hub_bus_receive(bus, "q", &o, on_recv, r, NULL), HUB_BUS_EINVALID_PARAMETER_VALUE);

    /* Several messages, max respected. */
    for (int i = 0; i < 5; i++)
        CHECK_INT(send1("q", "m"), 0);
    CHECK_INT(recv_msgs("q", 3, -1, 0, r), 0);
    CHECK_INT(r->n, 3);
    CHECK_INT(recv_msgs("q", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 2);
    res_free(r);
    res_free(s);
    bus_down();
}

static void test_visibility_timeout_and_stale_handle(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    c.set = HUB_QCFG_VISIBILITY;
    c.visibility_ms = 100;
    CHECK_INT(create_q("q", &c), 0);
    CHECK_INT(send1("q", "again"), 0);
    CHECK_INT(recv_msgs("q", 1, -1, 0, r), 0);
    CHECK_INT(r->n, 1);
    char first[48];
    copy(first, sizeof first, r->m[0].handle);
    uint64_t t0 = now_ms();

    /* A long poll is woken when the visibility timeout ends; the message comes back. */
    CHECK_INT(recv_msgs("q", 1, -1, 3000, r), 0);
    uint64_t waited = r->at - t0;
    CHECK_INT(r->n, 1);
    CHECK_INT(r->m[0].count, 2);
    CHECK(waited >= 80 && waited < 2000);
    CHECK(strcmp(first, r->m[0].handle) != 0);

    /* The first receive's handle is stale now: it cannot delete or change the message. */
    CHECK_INT(delete_msg("q", first), HUB_BUS_ERECEIPT_HANDLE_IS_INVALID);
    CHECK_INT(change_vis("q", first, 1000), HUB_BUS_ERECEIPT_HANDLE_IS_INVALID);
    CHECK_INT(delete_msg("q", r->m[0].handle), 0);
    CHECK_INT(get_q("q", r), 0);
    CHECK(r->visible == 0 && r->inflight == 0);

    /* A visibility timeout given on receive overrides the queue's. */
    CHECK_INT(send1("q", "override"), 0);
    CHECK_INT(recv_msgs("q", 1, 60000, 0, r), 0);
    CHECK_INT(r->n, 1);
    run_for(200);
    CHECK_INT(recv_msgs("q", 1, -1, 0, r), 0);
    CHECK_INT(r->n, 0);

    /* A handle from another queue is invalid. */
    CHECK_INT(create_q("other", NULL), 0);
    CHECK_INT(send1("other", "x"), 0);
    CHECK_INT(recv_msgs("other", 1, -1, 0, r), 0);
    CHECK_INT(delete_msg("q", r->m[0].handle), HUB_BUS_ERECEIPT_HANDLE_IS_INVALID);
    res_free(r);
    bus_down();
}

static void test_change_visibility(void)
{
    bus_up(NULL);
    struct res *r = res_new(), *w = res_new();
    CHECK_INT(create_q("q", NULL), 0);
    CHECK_INT(send1("q", "cv"), 0);
    CHECK_INT(recv_msgs("q", 1, -1, 0, r), 0);
    CHECK_INT(r->n, 1);

    /* A waiting long poll is woken by ChangeMessageVisibility(0). */
    CHECK_INT(recv_start("q", 1, -1, 5000, w, NULL), 0);
    run_for(20);
    CHECK_INT(w->done, 0);
    uint64_t t0 = now_ms();
    CHECK_INT(change_vis("q", r->m[0].handle, 0), 0);
    CHECK(run_until(&w->done, 2000));
    CHECK(w->at - t0 < 1000);
    CHECK_INT(w->n, 1);
    CHECK_INT(w->m[0].count, 2);
    /* The old handle is stale; the message is in flight again under the new one. */
    CHECK_INT(change_vis("q", r->m[0].handle, 0), HUB_BUS_ERECEIPT_HANDLE_IS_INVALID);

    /* Extending: still invisible after the original timeout would have ended. */
    CHECK_INT(change_vis("q", w->m[0].handle, 60000), 0);
    CHECK_INT(recv_msgs("q", 1, -1, 0, r), 0);
    CHECK_INT(r->n, 0);
    /* Shortening to 50 ms makes it come back. */
    CHECK_INT(change_vis("q", w->m[0].handle, 50), 0);
    CHECK_INT(recv_msgs("q", 1, -1, 3000, r), 0);
    CHECK_INT(r->n, 1);
    CHECK_INT(r->m[0].count, 3);
    /* A visible message is not in flight. */
    CHECK_INT(change_vis("q", r->m[0].handle, 0), 0);
    CHECK_INT(change_vis("q", r->m[0].handle, 10), HUB_BUS_EMESSAGE_NOT_INFLIGHT);
    /* Range. */
    struct hub_receipt_entry e = {.receipt_handle = r->m[0].handle, .visibility_ms = 43200001};
    res_reset(w);
    CHECK_INT(await(hub_bus_change_visibility(bus, "q", &e, 1, on_batch, w), w), 0);
    CHECK_INT(w->s[0].err, HUB_BUS_EINVALID_PARAMETER_VALUE);
    res_free(r);
    res_free(w);
    bus_down();
}

static void test_delay(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_q("q", NULL), 0);
    CHECK_INT(send_msg("q", "later", 100, NULL, NULL, r), 0);
    CHECK_INT(get_q("q", r), 0);
    CHECK_INT(r->delayed, 1);
    CHECK_INT(r->visible, 0);
    CHECK_STR(qattr(r, "ApproximateNumberOfMessagesDelayed"), "1");
    CHECK_INT(recv_msgs("q", 1, -1, 0, r), 0);
    CHECK_INT(r->n, 0);
    /* A long poll is woken when the delay ends. */
    uint64_t t0 = now_ms();
    CHECK_INT(recv_msgs("q", 1, -1, 3000, r), 0);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->m[0].body, "later");
    CHECK(r->at - t0 >= 70 && r->at - t0 < 2000);

    /* The queue's default delay. */
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    c.set = HUB_QCFG_DELAY;
    c.delay_ms = 80;
    CHECK_INT(create_q("slow", &c), 0);
    CHECK_INT(send1("slow", "x"), 0);
    CHECK_INT(recv_msgs("slow", 1, -1, 0, r), 0);
    CHECK_INT(r->n, 0);
    CHECK_INT(recv_msgs("slow", 1, -1, 3000, r), 0);
    CHECK_INT(r->n, 1);
    /* A per-message delay of 0 overrides it. */
    CHECK_INT(send_msg("slow", "now", 0, NULL, NULL, r), 0);
    CHECK_INT(recv_msgs("slow", 1, -1, 0, r), 0);
    CHECK_INT(r->n, 1);
    /* Range. */
    CHECK_INT(send_msg("slow", "x", 900001, NULL, NULL, r), HUB_BUS_EINVALID_PARAMETER_VALUE);
    res_free(r);
    bus_down();
}

static void test_long_poll(void)
{
    bus_up(NULL);
    struct res *r = res_new(), *w = res_new(), *w2 = res_new();
    CHECK_INT(create_q("q", NULL), 0);

    /* Woken by a send, at once. */
    CHECK_INT(recv_start("q", 10, -1, 5000, w, NULL), 0);
    run_for(30);
    CHECK_INT(w->done, 0);
    uint64_t t0 = now_ms();
    CHECK_INT(send1("q", "wake"), 0);
    CHECK(run_until(&w->done, 3000));
    CHECK(w->at - t0 < 1000);
    CHECK_INT(w->n, 1);
    CHECK_STR(w->m[0].body, "wake");

    /* Times out with no message. */
    t0 = now_ms();
    CHECK_INT(recv_msgs("q", 1, -1, 150, r), 0);
    CHECK_INT(r->n, 0);
    CHECK(r->at - t0 >= 130 && r->at - t0 < 2000);

    /* Two pollers: first come, first served; a batch send serves both. */
    CHECK_INT(recv_start("q", 1, -1, 5000, w, NULL), 0);
    CHECK_INT(recv_start("q", 1, -1, 5000, w2, NULL), 0);
    struct hub_send_entry e[2] = {{.id = "a", .body = "1", .body_len = 1, .delay_ms = -1},
                                  {.id = "b", .body = "2", .body_len = 1, .delay_ms = -1}};
    res_reset(r);
    CHECK_INT(await(hub_bus_send(bus, "q", e, 2, on_send, r), r), 0);
    CHECK(run_until(&w->done, 3000));
    CHECK(run_until(&w2->done, 3000));
    CHECK_STR(w->m[0].body, "1");
    CHECK_STR(w2->m[0].body, "2");

    /* The queue's ReceiveMessageWaitTimeSeconds applies when the request gives none. */
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    c.set = HUB_QCFG_WAIT;
    c.wait_ms = 100;
    CHECK_INT(create_q("lp", &c), 0);
    t0 = now_ms();
    CHECK_INT(recv_msgs("lp", 1, -1, -1, r), 0);
    CHECK(r->at - t0 >= 80);
    t0 = now_ms();
    CHECK_INT(recv_msgs("lp", 1, -1, 0, r), 0); /* explicit 0: short poll */
    CHECK(r->at - t0 < 80);

    /* Cancel. */
    uint64_t ticket = 0;
    CHECK_INT(recv_start("q", 1, -1, 5000, w, &ticket), 0);
    CHECK(ticket != 0);
    CHECK_INT(hub_bus_receive_cancel(bus, ticket), 0);
    CHECK_INT(w->done, 0);
    CHECK(run_until(&w->done, 1000));
    CHECK_INT(w->err, HUB_ECLOSED);
    CHECK_INT(w->n, 0);
    CHECK_INT(hub_bus_receive_cancel(bus, ticket), HUB_ENOTFOUND);
    /* The message sent after the cancel stays for the next receive. */
    CHECK_INT(send1("q", "kept"), 0);
    CHECK_INT(recv_msgs("q", 1, -1, 0, r), 0);
    CHECK_INT(r->n, 1);

    /* Deleting the queue ends its long polls. */
    CHECK_INT(recv_start("q", 1, -1, 5000, w, NULL), 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_queue_delete(bus, "q", on_done, r), r), 0);
    CHECK(run_until(&w->done, 1000));
    CHECK_INT(w->err, HUB_BUS_EQUEUE_DOES_NOT_EXIST);

    /* Freeing the bus ends the rest with HUB_ECLOSED. */
    CHECK_INT(recv_start("lp", 1, -1, 5000, w2, NULL), 0);
    res_free(r);
    res_free(w);
    hub_bus_free(bus);
    bus = NULL;
    CHECK_INT(w2->done, 0);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(w2->done, 1);
    CHECK_INT(w2->err, HUB_ECLOSED);
    CHECK_INT(uv_loop_close(&loop), 0);
    res_free(w2);
}

static void test_fifo_order_and_group_lock(void)
{
    bus_up(NULL);
    struct res *r = res_new(), *s = res_new();
    CHECK_INT(create_q("q.fifo", NULL), 0);
    const char *bodies[] = {"a1", "a2", "b1", "a3", "b2"};
    const char *groups[] = {"A", "A", "B", "A", "B"};
    uint64_t last = 0;
    for (int i = 0; i < 5; i++) {
        char dedup[8];
        snprintf(dedup, sizeof dedup, "d%d", i);
        CHECK_INT(send_msg("q.fifo", bodies[i], -1, groups[i], dedup, s), 0);
        CHECK(s->s[0].seq > last);
        last = s->s[0].seq;
    }
    /* One at a time: A's first, then B's first (A is locked while a1 is in flight). */
    CHECK_INT(recv_msgs("q.fifo", 1, -1, 0, r), 0);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->m[0].body, "a1");
    CHECK_STR(r->m[0].group, "A");
    CHECK_STR(r->m[0].dedup, "d0");
    CHECK(r->m[0].seq > 0);
    char a1[48];
    copy(a1, sizeof a1, r->m[0].handle);
    CHECK_INT(recv_msgs("q.fifo", 1, -1, 0, r), 0);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->m[0].body, "b1");
    char b1[48];
    copy(b1, sizeof b1, r->m[0].handle);
    CHECK_INT(recv_msgs("q.fifo", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 0);

    /* Deleting a1 unlocks A: a2 and a3 come in order, in one receive. A long poll waiting on the
     * locked queue is woken by the unlock. */
    struct res *w = res_new();
    CHECK_INT(recv_start("q.fifo", 10, -1, 5000, w, NULL), 0);
    run_for(20);
    CHECK_INT(w->done, 0);
    CHECK_INT(delete_msg("q.fifo", a1), 0);
    CHECK(run_until(&w->done, 2000));
    CHECK_INT(w->n, 2);
    CHECK_STR(w->m[0].body, "a2");
    CHECK_STR(w->m[1].body, "a3");
    CHECK(w->m[0].seq < w->m[1].seq);

    /* A message of a group that returns (visibility 0) comes back before the later ones. */
    CHECK_INT(change_vis("q.fifo", w->m[0].handle, 0), 0);
    CHECK_INT(recv_msgs("q.fifo", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 0); /* a3 is still in flight: A stays locked */
    CHECK_INT(change_vis("q.fifo", w->m[1].handle, 0), 0);
    CHECK_INT(delete_msg("q.fifo", b1), 0);
    CHECK_INT(recv_msgs("q.fifo", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 3);
    CHECK_STR(r->m[0].body, "a2");
    CHECK_STR(r->m[1].body, "a3");
    CHECK_STR(r->m[2].body, "b2");
    CHECK_INT(r->m[0].count, 2);

    /* FIFO rules: group id required, no per-message delay, dedup id or content-based needed. */
    CHECK_INT(send_msg("q.fifo", "x", -1, NULL, "d", s), HUB_BUS_EMISSING_PARAMETER);
    CHECK_INT(send_msg("q.fifo", "x", 5, "g", "d", s), HUB_BUS_EINVALID_PARAMETER_VALUE);
    CHECK_INT(send_msg("q.fifo", "x", -1, "g", NULL, s), HUB_BUS_EINVALID_PARAMETER_VALUE);
    CHECK_INT(send_msg("q.fifo", "x", -1, "bad group", "d", s), HUB_BUS_EINVALID_PARAMETER_VALUE);
    /* Standard queues refuse a dedup id, keep a group id. */
    CHECK_INT(create_q("std", NULL), 0);
    CHECK_INT(send_msg("std", "x", -1, NULL, "d", s), HUB_BUS_EINVALID_PARAMETER_VALUE);
    CHECK_INT(send_msg("std", "x", -1, "g", NULL, s), 0);
    CHECK_INT(recv_msgs("std", 1, -1, 0, r), 0);
    CHECK_STR(r->m[0].group, "g");
    CHECK_INT(r->m[0].seq, 0);
    res_free(r);
    res_free(s);
    res_free(w);
    bus_down();
}

static void test_fifo_dedup(void)
{
    struct store_opts opt = {.dedup_window_ms = 150};
    bus_up(&opt);
    struct res *r = res_new(), *s = res_new();
    CHECK_INT(create_q("q.fifo", NULL), 0);
    CHECK_INT(send_msg("q.fifo", "one", -1, "g", "same", s), 0);
    char id[40];
    copy(id, sizeof id, s->s[0].msg_id);
    uint64_t seq = s->s[0].seq;
    CHECK_INT(s->s[0].dup, 0);
    /* A duplicate succeeds with the original's id and sequence number, and is not enqueued. */
    CHECK_INT(send_msg("q.fifo", "two", -1, "g", "same", s), 0);
    CHECK_INT(s->s[0].dup, 1);
    CHECK_STR(s->s[0].msg_id, id);
    CHECK(s->s[0].seq == seq);
    CHECK_INT(get_q("q.fifo", r), 0);
    CHECK_INT(r->visible, 1);
    /* Even after the original was deleted, inside the window. */
    CHECK_INT(recv_msgs("q.fifo", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 1);
    CHECK_INT(delete_msg("q.fifo", r->m[0].handle), 0);
    CHECK_INT(send_msg("q.fifo", "three", -1, "g", "same", s), 0);
    CHECK_INT(s->s[0].dup, 1);
    /* After the window the id is accepted again. */
    run_for(200);
    CHECK_INT(send_msg("q.fifo", "four", -1, "g", "same", s), 0);
    CHECK_INT(s->s[0].dup, 0);
    CHECK(strcmp(s->s[0].msg_id, id) != 0);

    /* Content-based de-duplication: SHA-256 of the body. */
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    c.fifo = 1;
    c.set = HUB_QCFG_FIFO | HUB_QCFG_CONTENT_DEDUP;
    c.content_dedup = 1;
    CHECK_INT(create_q("cbd.fifo", &c), 0);
    CHECK_INT(send_msg("cbd.fifo", "body", -1, "g", NULL, s), 0);
    CHECK_INT(send_msg("cbd.fifo", "body", -1, "h", NULL, s), 0);
    CHECK_INT(s->s[0].dup, 1);
    CHECK_INT(send_msg("cbd.fifo", "other", -1, "g", NULL, s), 0);
    CHECK_INT(s->s[0].dup, 0);
    /* An explicit id wins over the hash. */
    CHECK_INT(send_msg("cbd.fifo", "body", -1, "g", "explicit", s), 0);
    CHECK_INT(s->s[0].dup, 0);
    CHECK_INT(recv_msgs("cbd.fifo", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 3);
    char hash[65];
    hub_bus_sha256_hex("body", 4, hash);
    CHECK_STR(r->m[0].dedup, hash);

    /* DeduplicationScope=messageGroup: ids are per group. */
    hub_queue_config_init(&c);
    c.fifo = 1;
    c.set = HUB_QCFG_FIFO | HUB_QCFG_DEDUP_SCOPE;
    c.dedup_scope_group = 1;
    CHECK_INT(create_q("pg.fifo", &c), 0);
    CHECK_INT(send_msg("pg.fifo", "x", -1, "g1", "d", s), 0);
    CHECK_INT(send_msg("pg.fifo", "x", -1, "g2", "d", s), 0);
    CHECK_INT(s->s[0].dup, 0);
    CHECK_INT(send_msg("pg.fifo", "x", -1, "g2", "d", s), 0);
    CHECK_INT(s->s[0].dup, 1);
    res_free(r);
    res_free(s);
    bus_down();
}

static void test_dlq_and_redrive(void)
{
    bus_up(NULL);
    struct res *r = res_new(), *s = res_new();
    CHECK_INT(create_q("dlq", NULL), 0);
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    c.set = HUB_QCFG_REDRIVE | HUB_QCFG_VISIBILITY;
    c.visibility_ms = 30;
    snprintf(c.dlq, sizeof c.dlq, "dlq");
    c.max_receive_count = 2;
    CHECK_INT(create_q("src", &c), 0);
    CHECK_INT(get_q("src", r), 0);
    CHECK_STR(qattr(r, "RedrivePolicy"),
              "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\","
              "\"maxReceiveCount\":2}");

    CHECK_INT(send_msg("src", "poison", -1, NULL, NULL, s), 0);
    char id[40];
    copy(id, sizeof id, s->s[0].msg_id);
    CHECK_INT(recv_msgs("src", 1, -1, 0, r), 0);
    CHECK_INT(r->m[0].count, 1);
    CHECK_INT(recv_msgs("src", 1, -1, 3000, r), 0);
    CHECK_INT(r->m[0].count, 2);
    /* The third receive finds it over maxReceiveCount: it moves to the DLQ instead. */
    struct res *w = res_new();
    CHECK_INT(recv_start("dlq", 1, -1, 5000, w, NULL), 0);
    CHECK_INT(recv_msgs("src", 1, -1, 300, r), 0);
    CHECK_INT(r->n, 0);
    CHECK(run_until(&w->done, 2000)); /* the move woke the DLQ's long poll */
    CHECK_INT(w->n, 1);
    CHECK_STR(w->m[0].id, id);
    CHECK_STR(w->m[0].body, "poison");
    CHECK_STR(w->m[0].dlq, "src");
    CHECK_INT(w->m[0].count, 3);

    res_reset(r);
    CHECK_INT(await(hub_bus_dlq_sources(bus, "dlq", on_names, r), r), 0);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->names[0], "src");

    /* Redrive back to the source: the message returns with its receive count restarted. */
    CHECK_INT(change_vis("dlq", w->m[0].handle, 0), 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_move_start(bus, "dlq", NULL, 0, on_move, r), r), 0);
    CHECK_INT(r->t[0].status, HUB_MOVE_RUNNING);
    CHECK_INT(r->t[0].to_move, 1);
    char task[40];
    copy(task, sizeof task, r->t[0].handle);
    CHECK_INT(recv_msgs("src", 1, -1, 2000, r), 0);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->m[0].id, id);
    CHECK_INT(r->m[0].count, 1);
    CHECK_STR(r->m[0].dlq, "");
    res_reset(r);
    CHECK_INT(await(hub_bus_move_list(bus, "dlq", on_move_list, r), r), 0);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->t[0].handle, task);
    CHECK_INT(r->t[0].status, HUB_MOVE_COMPLETED);
    CHECK_INT(r->t[0].moved, 1);
    res_reset(r);
    CHECK_INT(await(hub_bus_move_cancel(bus, task, on_move, r), r), HUB_BUS_EUNSUPPORTED_OPERATION);
    res_reset(r);
    CHECK_INT(await(hub_bus_move_cancel(bus, "nope", on_move, r), r), HUB_BUS_ERESOURCE_NOT_FOUND);
    /* Only a DLQ can be a source. */
    res_reset(r);
    CHECK_INT(await(hub_bus_move_start(bus, "src", NULL, 0, on_move, r), r),
              HUB_BUS_EINVALID_PARAMETER_VALUE);

    /* A rate-limited move to a given queue, cancelled after its first second's worth. */
    CHECK_INT(create_q("other", NULL), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT(send1("dlq", "x"), 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_move_start(bus, "dlq", "other", 1, on_move, r), r), 0);
    copy(task, sizeof task, r->t[0].handle);
    CHECK_STR(r->t[0].dest, "other");
    /* One running task per source. */
    res_reset(r);
    CHECK_INT(await(hub_bus_move_start(bus, "dlq", NULL, 0, on_move, r), r),
              HUB_BUS_EUNSUPPORTED_OPERATION);
    CHECK_INT(recv_msgs("other", 10, -1, 2000, r), 0);
    CHECK_INT(r->n, 1);
    res_reset(r);
    CHECK_INT(await(hub_bus_move_cancel(bus, task, on_move, r), r), 0);
    CHECK_INT(r->t[0].status, HUB_MOVE_CANCELLED);
    CHECK_INT(r->t[0].moved, 1);
    run_for(50);
    CHECK_INT(get_q("dlq", r), 0);
    CHECK_INT(r->visible, 2);
    /* Messages sent to the DLQ directly have no source: a move without destination fails. */
    res_reset(r);
    CHECK_INT(await(hub_bus_move_start(bus, "dlq", NULL, 0, on_move, r), r), 0);
    run_for(30);
    res_reset(r);
    CHECK_INT(await(hub_bus_move_list(bus, "dlq", on_move_list, r), r), 0);
    CHECK_INT(r->n, 3);
    CHECK_INT(r->t[0].status, HUB_MOVE_FAILED);
    CHECK_STR(r->t[0].failure, "QueueDoesNotExist");
    CHECK_INT(r->t[1].status, HUB_MOVE_CANCELLED);
    res_free(r);
    res_free(s);
    res_free(w);
    bus_down();
}

static void test_fifo_dlq(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_q("dlq.fifo", NULL), 0);
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    c.fifo = 1;
    c.set = HUB_QCFG_FIFO | HUB_QCFG_REDRIVE | HUB_QCFG_CONTENT_DEDUP;
    c.content_dedup = 1;
    snprintf(c.dlq, sizeof c.dlq, "dlq.fifo");
    c.max_receive_count = 1;
    CHECK_INT(create_q("src.fifo", &c), 0);
    CHECK_INT(send_msg("src.fifo", "m1", -1, "g", NULL, r), 0);
    CHECK_INT(send_msg("src.fifo", "m2", -1, "g", NULL, r), 0);
    CHECK_INT(recv_msgs("src.fifo", 1, -1, 0, r), 0);
    CHECK_STR(r->m[0].body, "m1");
    CHECK_INT(change_vis("src.fifo", r->m[0].handle, 0), 0);
    /* m1 is over the limit: it moves, and m2 (same group, next in order) is received. */
    CHECK_INT(recv_msgs("src.fifo", 1, -1, 0, r), 0);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->m[0].body, "m2");
    CHECK_INT(recv_msgs("dlq.fifo", 1, -1, 0, r), 0);
    CHECK_INT(r->n, 1);
    CHECK_STR(r->m[0].body, "m1");
    CHECK_STR(r->m[0].group, "g");
    res_free(r);
    bus_down();
}

static void test_retention(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    c.set = HUB_QCFG_RETENTION;
    c.retention_ms = 100;
    CHECK_INT(create_q("short", &c), 0);
    CHECK_INT(send1("short", "visible"), 0);
    CHECK_INT(send1("short", "inflight"), 0);
    CHECK_INT(send_msg("short", "delayed", 500, NULL, NULL, r), 0);
    CHECK_INT(recv_msgs("short", 1, 60000, 0, r), 0);
    CHECK_INT(r->n, 1);
    char handle[48];
    copy(handle, sizeof handle, r->m[0].handle);
    CHECK_INT(get_q("short", r), 0);
    CHECK(r->visible == 1 && r->inflight == 1 && r->delayed == 1);
    run_for(200);
    CHECK_INT(get_q("short", r), 0);
    CHECK(r->visible == 0 && r->inflight == 0 && r->delayed == 0);
    /* Its handle now names a message that is gone: deleting succeeds, changing does not. */
    CHECK_INT(delete_msg("short", handle), 0);
    res_free(r);
    bus_down();
}

static void test_purge(void)
{
    struct store_opts opt = {.purge_interval_ms = 100};
    bus_up(&opt);
    struct res *r = res_new();
    CHECK_INT(create_q("q", NULL), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT(send1("q", "x"), 0);
    CHECK_INT(send_msg("q", "d", 1000, NULL, NULL, r), 0);
    CHECK_INT(recv_msgs("q", 1, -1, 0, r), 0);
    char handle[48];
    copy(handle, sizeof handle, r->m[0].handle);
    res_reset(r);
    CHECK_INT(await(hub_bus_purge(bus, "q", on_done, r), r), 0);
    CHECK_INT(get_q("q", r), 0);
    CHECK(r->visible == 0 && r->inflight == 0 && r->delayed == 0);
    CHECK_INT(change_vis("q", handle, 0), HUB_BUS_ERECEIPT_HANDLE_IS_INVALID);
    res_reset(r);
    CHECK_INT(await(hub_bus_purge(bus, "q", on_done, r), r), HUB_BUS_EPURGE_QUEUE_IN_PROGRESS);
    run_for(150);
    res_reset(r);
    CHECK_INT(await(hub_bus_purge(bus, "q", on_done, r), r), 0);
    res_reset(r);
    CHECK_INT(await(hub_bus_purge(bus, "nope", on_done, r), r), HUB_BUS_EQUEUE_DOES_NOT_EXIST);
    res_free(r);
    bus_down();
}

static void test_batches(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    c.set = HUB_QCFG_MAX_SIZE;
    c.max_message_size = 1024;
    CHECK_INT(create_q("q", &c), 0);
    static char big[1100];
    memset(big, 'x', sizeof big - 1);
    struct hub_send_entry e[5] = {
        {.id = "ok", .body = "fine", .body_len = 4, .delay_ms = -1},
        {.id = "big", .body = big, .body_len = 1025, .delay_ms = -1},
        {.id = "empty", .body = "", .body_len = 0, .delay_ms = -1},
        {.id = "chars", .body = "a\x01", .body_len = 2, .delay_ms = -1},
        {.id = "exact", .body = big, .body_len = 1024, .delay_ms = -1},
    };
    CHECK_INT(await(hub_bus_send(bus, "q", e, 5, on_send, r), r), 0);
    CHECK_INT(r->n, 5);
    CHECK_STR(r->s[0].id, "ok");
    CHECK_INT(r->s[0].err, 0);
    CHECK_STR(r->s[1].id, "big");
    CHECK_INT(r->s[1].err, HUB_BUS_EMESSAGE_TOO_LONG);
    CHECK_INT(r->s[2].err, HUB_BUS_EMISSING_PARAMETER);
    CHECK_INT(r->s[3].err, HUB_BUS_EINVALID_MESSAGE_CONTENTS);
    CHECK_STR(r->s[4].id, "exact");
    CHECK_INT(r->s[4].err, 0);

    /* Request-level checks, answered at once. */
    struct hub_send_entry many[11];
    char ids[11][4];
    for (int i = 0; i < 11; i++) {
        snprintf(ids[i], sizeof ids[i], "e%d", i);
        many[i] = (struct hub_send_entry){.id = ids[i], .body = "x", .body_len = 1, .delay_ms = -1};
    }
    CHECK_INT(hub_bus_send(bus, "q", many, 11, on_send, r),
              HUB_BUS_ETOO_MANY_ENTRIES_IN_BATCH_REQUEST);
    CHECK_INT(hub_bus_send(bus, "q", many, 0, on_send, r), HUB_BUS_EEMPTY_BATCH_REQUEST);
    many[1].id = "e0";
    CHECK_INT(hub_bus_send(bus, "q", many, 2, on_send, r), HUB_BUS_EBATCH_ENTRY_IDS_NOT_DISTINCT);
    many[1].id = "bad id";
    CHECK_INT(hub_bus_send(bus, "q", many, 2, on_send, r), HUB_BUS_EINVALID_BATCH_ENTRY_ID);
    many[1].id = NULL;
    CHECK_INT(hub_bus_send(bus, "q", many, 2, on_send, r), HUB_BUS_EINVALID_BATCH_ENTRY_ID);
    char *huge = malloc(600000);
    memset(huge, 'y', 600000);
    struct hub_send_entry two[2] = {
        {.id = "a", .body = huge, .body_len = 600000, .delay_ms = -1},
        {.id = "b", .body = huge, .body_len = 600000, .delay_ms = -1},
    };
    CHECK_INT(hub_bus_send(bus, "q", two, 2, on_send, r), HUB_BUS_EBATCH_REQUEST_TOO_LONG);
    free(huge);

    /* Delete batch with partial failures. */
    CHECK_INT(recv_msgs("q", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 2);
    char h0[48], h1[48];
    copy(h0, sizeof h0, r->m[0].handle);
    copy(h1, sizeof h1, r->m[1].handle);
    CHECK_INT(change_vis("q", h1, 0), 0);
    CHECK_INT(recv_msgs("q", 10, -1, 0, r), 0); /* h1 is stale now */
    CHECK_INT(r->n, 1);
    struct hub_receipt_entry d[4] = {
        {.id = "good", .receipt_handle = h0},
        {.id = "stale", .receipt_handle = h1},
        {.id = "junk", .receipt_handle = "junk"},
        {.id = "missing", .receipt_handle = NULL},
    };
    res_reset(r);
    CHECK_INT(await(hub_bus_delete(bus, "q", d, 4, on_batch, r), r), 0);
    CHECK_INT(r->n, 4);
    CHECK_STR(r->s[0].id, "good");
    CHECK_INT(r->s[0].err, 0);
    CHECK_STR(r->s[1].id, "stale");
    CHECK_INT(r->s[1].err, HUB_BUS_ERECEIPT_HANDLE_IS_INVALID);
    CHECK_INT(r->s[2].err, HUB_BUS_ERECEIPT_HANDLE_IS_INVALID);
    CHECK_INT(r->s[3].err, HUB_BUS_EMISSING_PARAMETER);
    d[1].id = "good";
    CHECK_INT(hub_bus_delete(bus, "q", d, 2, on_batch, r), HUB_BUS_EBATCH_ENTRY_IDS_NOT_DISTINCT);
    res_reset(r);
    CHECK_INT(await(hub_bus_delete(bus, "nope", d, 1, on_batch, r), r),
              HUB_BUS_EQUEUE_DOES_NOT_EXIST);

    /* Change-visibility batch. */
    CHECK_INT(send1("q", "cv1"), 0);
    CHECK_INT(send1("q", "cv2"), 0);
    CHECK_INT(recv_msgs("q", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 2); /* the third message is still in flight */
    struct hub_receipt_entry v[3] = {
        {.id = "a", .receipt_handle = r->m[0].handle, .visibility_ms = 0},
        {.id = "b", .receipt_handle = r->m[1].handle, .visibility_ms = -5},
        {.id = "c", .receipt_handle = "junk", .visibility_ms = 0},
    };
    struct res *b = res_new();
    CHECK_INT(await(hub_bus_change_visibility(bus, "q", v, 3, on_batch, b), b), 0);
    CHECK_INT(b->s[0].err, 0);
    CHECK_INT(b->s[1].err, HUB_BUS_EINVALID_PARAMETER_VALUE);
    CHECK_INT(b->s[2].err, HUB_BUS_ERECEIPT_HANDLE_IS_INVALID);
    res_free(b);
    res_free(r);
    bus_down();
}

static void test_attribute_validation(void)
{
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_q("q", NULL), 0);
    const char *bad[] = {
        "{\"AWS.x\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}",
        "{\"a..b\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}",
        "{\".a\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}",
        "{\"a\":{\"DataType\":\"Float\",\"StringValue\":\"v\"}}",
        "{\"a\":{\"DataType\":\"String.\",\"StringValue\":\"v\"}}",
        "{\"a\":{\"DataType\":\"String\",\"StringValue\":\"\"}}",
        "{\"a\":{\"DataType\":\"String\"}}",
        "{\"a\":{\"DataType\":\"Number\",\"StringValue\":\"12x\"}}",
        "{\"a\":{\"DataType\":\"Binary\",\"BinaryValue\":\"***\"}}",
        "{\"a\":{\"DataType\":\"Binary\",\"StringValue\":\"AQID\"}}",
        "{\"a\":\"string\"}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *a = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        CHECK(a != NULL);
        struct hub_send_entry e = {.body = "x", .body_len = 1, .attributes = a, .delay_ms = -1};
        res_reset(r);
        CHECK_INT(await(hub_bus_send(bus, "q", &e, 1, on_send, r), r), 0);
        if (r->s[0].err != HUB_BUS_EINVALID_PARAMETER_VALUE)
            fprintf(stderr, "  accepted: %s\n", bad[i]);
        CHECK_INT(r->s[0].err, HUB_BUS_EINVALID_PARAMETER_VALUE);
        json_decref(a);
    }
    /* Eleven attributes are too many; ten are fine. Custom types, numbers. */
    json_t *a = json_object();
    for (int i = 0; i < 10; i++) {
        char k[8];
        snprintf(k, sizeof k, "k%d", i);
        json_object_set_new(
            a, k, json_pack("{s:s,s:s}", "DataType", "Number.float", "StringValue", "-1.5e3"));
    }
    struct hub_send_entry e = {.body = "x", .body_len = 1, .attributes = a, .delay_ms = -1};
    res_reset(r);
    CHECK_INT(await(hub_bus_send(bus, "q", &e, 1, on_send, r), r), 0);
    CHECK_INT(r->s[0].err, 0);
    json_object_set_new(a, "k10", json_pack("{s:s,s:s}", "DataType", "String", "StringValue", "v"));
    res_reset(r);
    CHECK_INT(await(hub_bus_send(bus, "q", &e, 1, on_send, r), r), 0);
    CHECK_INT(r->s[0].err, HUB_BUS_EINVALID_PARAMETER_VALUE);
    json_decref(a);
    /* Attributes count toward the size limit. */
    struct hub_queue_config c;
    hub_queue_config_init(&c);
    c.set = HUB_QCFG_MAX_SIZE;
    c.max_message_size = 1024;
    CHECK_INT(create_q("small", &c), 0);
    static char body[1024];
    memset(body, 'b', sizeof body);
    a = json_pack("{s:{s:s,s:s}}", "k", "DataType", "String", "StringValue", "v");
    struct hub_send_entry e2 = {.body = body, .body_len = 1020, .attributes = a, .delay_ms = -1};
    res_reset(r);
    CHECK_INT(await(hub_bus_send(bus, "small", &e2, 1, on_send, r), r), 0);
    CHECK_INT(r->s[0].err, HUB_BUS_EMESSAGE_TOO_LONG); /* 1020 + 1 + 6 + 1 */
    e2.body_len = 1016;
    res_reset(r);
    CHECK_INT(await(hub_bus_send(bus, "small", &e2, 1, on_send, r), r), 0);
    CHECK_INT(r->s[0].err, 0);
    json_decref(a);
    /* System attributes: only AWSTraceHeader. UTF-8 bodies pass; broken UTF-8 does not. */
    json_t *sys = json_pack("{s:{s:s,s:s}}", "Other", "DataType", "String", "StringValue", "v");
    struct hub_send_entry e3 = {
        .body = "x", .body_len = 1, .system_attributes = sys, .delay_ms = -1};
    res_reset(r);
    CHECK_INT(await(hub_bus_send(bus, "q", &e3, 1, on_send, r), r), 0);
    CHECK_INT(r->s[0].err, HUB_BUS_EINVALID_PARAMETER_VALUE);
    json_decref(sys);
    CHECK_INT(send1("q", "h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x98\x80"), 0);
    CHECK_INT(send1("q", "\xc3"), HUB_BUS_EINVALID_MESSAGE_CONTENTS);
    CHECK_INT(send1("q", "\xef\xbf\xbe"), HUB_BUS_EINVALID_MESSAGE_CONTENTS); /* U+FFFE */
    res_free(r);
    bus_down();
}

static void test_over_limit(void)
{
    struct store_opts opt = {.max_inflight = 2};
    bus_up(&opt);
    struct res *r = res_new();
    CHECK_INT(create_q("q", NULL), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT(send1("q", "x"), 0);
    CHECK_INT(recv_msgs("q", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 2);
    CHECK_INT(recv_msgs("q", 10, -1, 0, r), HUB_BUS_EOVER_LIMIT);
    CHECK_INT(delete_msg("q", r->m[0].handle), 0);
    CHECK_INT(recv_msgs("q", 10, -1, 0, r), 0);
    CHECK_INT(r->n, 1);
    res_free(r);
    bus_down();
}

static void test_many_messages(void)
{
    /* Enough messages and deadlines to exercise the heap and maps; order of a standard queue
     * without redeliveries is the send order. */
    bus_up(NULL);
    struct res *r = res_new();
    CHECK_INT(create_q("q", NULL), 0);
    for (int i = 0; i < 300; i++) {
        char body[16];
        snprintf(body, sizeof body, "%d", i);
        CHECK_INT(send_msg("q", body, i % 3 ? -1 : 20 + i % 7, NULL, NULL, r), 0);
    }
    int got = 0, in_order = 1, last = -1;
    while (got < 200) {
        CHECK_INT(recv_msgs("q", 10, 20 + got % 50, 0, r), 0);
        for (size_t i = 0; i < r->n; i++) {
            int v = atoi(r->m[i].body);
            if (v % 3 == 0) continue;
            if (v < last) in_order = 0;
            last = v;
            CHECK_INT(delete_msg("q", r->m[i].handle), 0);
            got++;
        }
        if (!r->n) break;
    }
    CHECK_INT(got, 200);
    CHECK(in_order);
    /* The delayed ones and the undeleted ones come back; receive until all are deleted. */
    int left = 100;
    while (left > 0) {
        CHECK_INT(recv_msgs("q", 10, -1, 2000, r), 0);
        if (!r->n) break;
        for (size_t i = 0; i < r->n; i++)
            if (delete_msg("q", r->m[i].handle) == 0) left--;
    }
    CHECK_INT(left, 0);
    CHECK_INT(get_q("q", r), 0);
    CHECK(r->visible == 0 && r->inflight == 0 && r->delayed == 0);
    res_free(r);
    bus_down();
}

#define BUS_QUEUE_CASES(RUNNER)                                                                    \
    RUNNER(test_create_get_list_delete);                                                           \
    RUNNER(test_set_attributes_and_tags);                                                          \
    RUNNER(test_send_receive_delete);                                                              \
    RUNNER(test_visibility_timeout_and_stale_handle);                                              \
    RUNNER(test_change_visibility);                                                                \
    RUNNER(test_delay);                                                                            \
    RUNNER(test_long_poll);                                                                        \
    RUNNER(test_fifo_order_and_group_lock);                                                        \
    RUNNER(test_fifo_dedup);                                                                       \
    RUNNER(test_dlq_and_redrive);                                                                  \
    RUNNER(test_fifo_dlq);                                                                         \
    RUNNER(test_retention);                                                                        \
    RUNNER(test_purge);                                                                            \
    RUNNER(test_batches);                                                                          \
    RUNNER(test_attribute_validation);                                                             \
    RUNNER(test_over_limit);                                                                       \
    RUNNER(test_many_messages)

#endif
