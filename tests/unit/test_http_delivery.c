/* test_http_delivery.c - the SNS HTTP delivery policy against a fake HTTP client on a real uv loop:
 * retries and their timing, permanent failures, the dead-letter hook, exactly-once completions, the
 * in-flight and queue bounds, close(), the SNS headers and signatures on the wire, and the back-off
 * arithmetic and DeliveryPolicy parsing. */
#include <stdlib.h>

#include "http_delivery.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "log.h"
#include "sns_test_key.h"
#include "testlib.h"

/* ---- a fake HTTP client: each POST completes after `delay_ms` with the next scripted status ----
 */

#define MAX_CALLS 256

struct fake_req {
    uv_timer_t timer;
    struct fake *f;
    int status;
    void (*done)(void *, int);
    void *ud;
};

struct fake {
    uv_loop_t *loop;
    int script[MAX_CALLS];    /* status for call i; 0 = 200 */
    int sync_fail[MAX_CALLS]; /* nonzero: post() returns this for call i */
    size_t calls;
    int delay_ms;
    size_t inflight, max_inflight;
    uint64_t started[MAX_CALLS];
    char url[MAX_CALLS][128];
    char body[MAX_CALLS][2048];
    size_t body_len[MAX_CALLS];
    char hdr_names[16][64];
    char hdr_values[16][256];
    size_t nhdrs; /* of the last call */
    int timeout_ms;
    int in_post; /* a done() inside post() would be a bug */
};

static void fake_fire(uv_timer_t *t)
{
    struct fake_req *r = t->data;

    r->f->inflight--;
    r->done(r->ud, r->status);
    uv_close((uv_handle_t *)&r->timer, (uv_close_cb)free);
}

static int fake_post(void *ctx, const char *url, const struct hub_http_header *hdrs, size_t nhdrs,
                     const char *body, size_t len, int timeout_ms, void (*done)(void *, int),
                     void *ud)
{
    struct fake *f = ctx;
    size_t i = f->calls++;
    struct fake_req *r;

    CHECK(i < MAX_CALLS);
    f->started[i] = uv_now(f->loop);
    snprintf(f->url[i], sizeof f->url[i], "%s", url);
    CHECK(len < sizeof f->body[i]);
    memcpy(f->body[i], body, len < sizeof f->body[i] ? len : 0);
    f->body_len[i] = len;
    f->nhdrs = nhdrs;
    for (size_t k = 0; k < nhdrs && k < 16; k++) {
        snprintf(f->hdr_names[k], sizeof f->hdr_names[k], "%s", hdrs[k].name);
        snprintf(f->hdr_values[k], sizeof f->hdr_values[k], "%s", hdrs[k].value);
    }
    f->timeout_ms = timeout_ms;
    if (f->sync_fail[i]) return f->sync_fail[i];
    r = calloc(1, sizeof *r);
    r->f = f;
    r->status = f->script[i] ? f->script[i] : 200;
    r->done = done;
    r->ud = ud;
    uv_timer_init(f->loop, &r->timer);
    r->timer.data = r;
    uv_timer_start(&r->timer, fake_fire, (uint64_t)f->delay_ms, 0);
    f->inflight++;
    if (f->inflight > f->max_inflight) f->max_inflight = f->inflight;
    return 0;
}

static const struct hub_http_client_ops fake_ops = {.post = fake_post};

static const char *fake_header(const struct fake *f, const char *name)
{
    for (size_t k = 0; k < f->nhdrs && k < 16; k++)
        if (!strcmp(f->hdr_names[k], name)) return f->hdr_values[k];
    return NULL;
}

/* ---- completions ---- */

struct done_rec {
    int calls;
    int result;
    int last_status;
    unsigned attempts;
    int seq; /* order among all completions and hook calls */
    uint64_t at;
};

static int seq_counter;
static uv_loop_t *g_loop;

static void on_complete(void *ud, int result, int last_status, unsigned attempts)
{
    struct done_rec *r = ud;

    r->calls++;
    r->result = result;
    r->last_status = last_status;
    r->attempts = attempts;
    r->seq = ++seq_counter;
    r->at = uv_now(g_loop);
}

struct hook_rec {
    int calls;
    int seq;
    int last_status;
    unsigned attempts;
    char url[128];
    char body[256];
    void *msg_ud;
};

static void on_failed(void *hook_ud, const struct hub_http_failure *f)
{
    struct hook_rec *h = hook_ud;

    h->calls++;
    h->seq = ++seq_counter;
    h->last_status = f->last_status;
    h->attempts = f->attempts;
    h->msg_ud = f->msg_ud;
    snprintf(h->url, sizeof h->url, "%s", f->url);
    snprintf(h->body, sizeof h->body, "%.*s", (int)f->len, f->body);
}

static void fast_policy(struct hub_http_retry_policy *p, int retries, int delay_ms)
{
    hub_http_retry_policy_default(p);
    p->num_retries = retries;
    p->min_delay_ms = p->max_delay_ms = delay_ms;
    p->timeout_ms = 1000;
}

struct env {
    uv_loop_t loop;
    struct fake fake;
    struct hook_rec hook;
    hub_http_delivery *d;
    int closed;
};

static void setup(struct env *e, size_t max_inflight, size_t max_queued, size_t max_total)
{
    struct hub_http_delivery_config cfg = {0};

    memset(e, 0, sizeof *e);
    uv_loop_init(&e->loop);
    g_loop = &e->loop;
    e->fake.loop = &e->loop;
    e->fake.delay_ms = 5;
    cfg.client = &fake_ops;
    cfg.client_ctx = &e->fake;
    cfg.max_inflight_per_endpoint = max_inflight;
    cfg.max_queued_per_endpoint = max_queued;
    cfg.max_queued_total = max_total;
    cfg.on_failed = on_failed;
    cfg.hook_ud = &e->hook;
    CHECK_INT(hub_http_delivery_new(&e->loop, &cfg, &e->d), 0);
}

static void on_closed(void *ud)
{
    ((struct env *)ud)->closed++;
}

static void teardown(struct env *e)
{
    if (e->d) {
        hub_http_delivery_close(e->d, on_closed, e);
        CHECK_INT(e->closed, 0); /* never inside the call */
        uv_run(&e->loop, UV_RUN_DEFAULT);
        CHECK_INT(e->closed, 1);
    }
    CHECK_INT(uv_loop_close(&e->loop), 0);
}

#define URL "http://127.0.0.1:9/hook"
static const struct hub_http_header hdr1[] = {{"Content-Type", "text/plain; charset=UTF-8"},
                                              {"X-A", "1"}};

/* ---- tests ---- */

static void test_success(void)
{
    struct env e;
    struct done_rec r = {0};
    struct hub_http_delivery_stats st;

    setup(&e, 0, 0, 0);
    CHECK_INT(hub_http_delivery_post(e.d, URL, hdr1, 2, "hello", 5, NULL, on_complete, &r), 0);
    CHECK_INT(e.fake.calls, 0); /* the first attempt starts from the loop */
    CHECK_INT(r.calls, 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(e.fake.calls, 1);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.result, 0);
    CHECK_INT(r.last_status, 200);
    CHECK_INT(r.attempts, 1);
    CHECK_STR(e.fake.url[0], URL);
    CHECK_MEM(e.fake.body[0], e.fake.body_len[0], "hello", 5);
    CHECK_INT(e.fake.nhdrs, 2);
    CHECK_STR(fake_header(&e.fake, "X-A"), "1");
    CHECK_INT(e.fake.timeout_ms, 15000); /* SNS's 15 s */
    CHECK_INT(e.hook.calls, 0);
    hub_http_delivery_stats(e.d, &st);
    CHECK_INT(st.posted, 1);
    CHECK_INT(st.delivered, 1);
    CHECK_INT(st.attempts, 1);
    CHECK_INT(st.retries, 0);
    CHECK_INT(st.inflight, 0);
    CHECK_INT(st.queued, 0);
    teardown(&e);
}

static void test_retry_then_success(void)
{
    struct env e;
    struct done_rec r = {0};
    struct hub_http_retry_policy p;
    struct hub_http_delivery_stats st;

    setup(&e, 0, 0, 0);
    fast_policy(&p, 3, 40);
    e.fake.script[0] = 500;
    e.fake.script[1] = HUB_ETIMEOUT;
    e.fake.script[2] = 101; /* SNS retries 100-101 as well */
    e.fake.script[3] = 204;
    CHECK_INT(hub_http_delivery_post(e.d, URL, hdr1, 2, "x", 1, &p, on_complete, &r), 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(e.fake.calls, 4);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.result, 0);
    CHECK_INT(r.last_status, 204);
    CHECK_INT(r.attempts, 4);
    /* Each retry starts min_delay after the previous attempt ended (attempts take 5 ms here). */
    for (int i = 1; i < 4; i++) {
        uint64_t gap = e.fake.started[i] - e.fake.started[i - 1];

        if (gap < 44 || gap > 1000)
            fprintf(stderr, "retry %d gap %llu ms\n", i, (unsigned long long)gap);
        CHECK(gap >= 44 && gap <= 1000);
    }
    CHECK_INT(e.fake.timeout_ms, 1000);
    hub_http_delivery_stats(e.d, &st);
    CHECK_INT(st.attempts, 4);
    CHECK_INT(st.retries, 3);
    CHECK_INT(st.delivered, 1);
    CHECK_INT(st.failed, 0);
    CHECK_INT(e.hook.calls, 0);
    teardown(&e);
}

static void test_exhausted_goes_to_dlq(void)
{
    struct env e;
    struct done_rec r = {0};
    struct hub_http_retry_policy p;
    struct hub_http_delivery_stats st;
    int tag;

    setup(&e, 0, 0, 0);
    fast_policy(&p, 2, 10);
    for (int i = 0; i < 10; i++)
        e.fake.script[i] = 503;
    CHECK_INT(hub_http_delivery_post(e.d, URL, hdr1, 2, "payload", 7, &p, on_complete, &r), 0);
    (void)tag;
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(e.fake.calls, 3); /* the first attempt and 2 retries */
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.result, HUB_ELIMIT);
    CHECK_INT(r.last_status, 503);
    CHECK_INT(r.attempts, 3);
    CHECK_INT(e.hook.calls, 1);
    CHECK(e.hook.seq < r.seq); /* the dead-letter hand-off comes before the completion */
    CHECK_STR(e.hook.url, URL);
    CHECK_STR(e.hook.body, "payload");
    CHECK_INT(e.hook.last_status, 503);
    CHECK_INT(e.hook.attempts, 3);
    CHECK(e.hook.msg_ud == &r);
    hub_http_delivery_stats(e.d, &st);
    CHECK_INT(st.failed, 1);
    CHECK_INT(st.delivered, 0);
    teardown(&e);
}

static void test_permanent_4xx(void)
{
    struct env e;
    struct done_rec r = {0};
    struct hub_http_retry_policy p;

    setup(&e, 0, 0, 0);
    fast_policy(&p, 5, 10);
    e.fake.script[0] = 404;
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "", 0, &p, on_complete, &r), 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(e.fake.calls, 1);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.result, HUB_ELIMIT);
    CHECK_INT(r.last_status, 404);
    CHECK_INT(e.hook.calls, 1);
    teardown(&e);
}

static void test_sync_post_failure(void)
{
    struct env e;
    struct done_rec r = {0};
    struct hub_http_retry_policy p;

    setup(&e, 0, 0, 0);
    fast_policy(&p, 2, 10);
    e.fake.sync_fail[0] = HUB_EIO;
    e.fake.sync_fail[1] = HUB_EIO;
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "b", 1, &p, on_complete, &r), 0);
    CHECK_INT(r.calls, 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(e.fake.calls, 3);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.result, 0);
    CHECK_INT(r.attempts, 3);

    /* All attempts failing synchronously, no retries left: still completes from the loop, once. */
    memset(&r, 0, sizeof r);
    fast_policy(&p, 0, 10);
    e.fake.sync_fail[3] = HUB_EIO;
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "b", 1, &p, on_complete, &r), 0);
    CHECK_INT(r.calls, 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.result, HUB_ELIMIT);
    CHECK_INT(r.last_status, HUB_EIO);
    teardown(&e);
}

static void test_inflight_bound(void)
{
    struct env e;
    struct done_rec r[10];
    struct hub_http_delivery_stats st;

    memset(r, 0, sizeof r);
    setup(&e, 2, 0, 0);
    e.fake.delay_ms = 20;
    for (int i = 0; i < 10; i++)
        CHECK_INT(hub_http_delivery_post(e.d, i < 7 ? URL : "https://other.example/x", NULL, 0, "m",
                                         1, NULL, on_complete, &r[i]),
                  0);
    hub_http_delivery_stats(e.d, &st);
    CHECK_INT(st.queued, 10);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(e.fake.calls, 10);
    CHECK_INT(e.fake.max_inflight, 4); /* 2 per endpoint, 2 endpoints */
    for (int i = 0; i < 10; i++) {
        CHECK_INT(r[i].calls, 1);
        CHECK_INT(r[i].result, 0);
    }
    /* FIFO per endpoint. */
    for (int i = 1; i < 7; i++)
        CHECK(r[i].seq > r[i - 1].seq);
    teardown(&e);
}

static void test_queue_bounds(void)
{
    struct env e;
    struct done_rec r[8];
    struct hub_http_delivery_stats st;

    memset(r, 0, sizeof r);
    setup(&e, 1, 3, 5);
    for (int i = 0; i < 3; i++)
        CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "m", 1, NULL, on_complete, &r[i]), 0);
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "m", 1, NULL, on_complete, &r[3]),
              HUB_EFULL);
    CHECK_INT(hub_http_delivery_post(e.d, "http://b/", NULL, 0, "m", 1, NULL, on_complete, &r[4]),
              0);
    CHECK_INT(hub_http_delivery_post(e.d, "http://b/", NULL, 0, "m", 1, NULL, on_complete, &r[5]),
              0);
    CHECK_INT(hub_http_delivery_post(e.d, "http://c/", NULL, 0, "m", 1, NULL, on_complete, &r[6]),
              HUB_EFULL);
    hub_http_delivery_stats(e.d, &st);
    CHECK_INT(st.dropped, 2);
    CHECK_INT(st.posted, 5);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(r[3].calls, 0); /* refused: no callback */
    CHECK_INT(r[6].calls, 0);
    for (int i = 0; i < 6; i++)
        if (i != 3) CHECK_INT(r[i].calls, 1);
    /* Once drained, there is room again. */
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "m", 1, NULL, on_complete, &r[7]), 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(r[7].calls, 1);
    /* The queue bound counts messages waiting for a retry too. */
    {
        struct hub_http_retry_policy p;
        struct done_rec w[4];
        size_t base = e.fake.calls;

        memset(w, 0, sizeof w);
        fast_policy(&p, 1, 200);
        for (int i = 0; i < 3; i++)
            e.fake.script[base + (size_t)i] = 500;
        for (int i = 0; i < 3; i++)
            CHECK_INT(
                hub_http_delivery_post(e.d, "http://w/", NULL, 0, "m", 1, &p, on_complete, &w[i]),
                0);
        while (e.fake.calls < base + 3 || e.fake.inflight)
            uv_run(&e.loop, UV_RUN_ONCE);
        /* all three now wait for their retry */
        CHECK_INT(hub_http_delivery_post(e.d, "http://w/", NULL, 0, "m", 1, &p, on_complete, &w[3]),
                  HUB_EFULL);
        uv_run(&e.loop, UV_RUN_DEFAULT);
        for (int i = 0; i < 3; i++)
            CHECK_INT(w[i].calls, 1);
    }
    teardown(&e);
}

static void test_invalid(void)
{
    struct env e;
    struct done_rec r = {0};
    struct hub_http_retry_policy p;

    setup(&e, 0, 0, 0);
    CHECK_INT(hub_http_delivery_post(e.d, "ftp://x/", NULL, 0, "m", 1, NULL, on_complete, &r),
              HUB_EINVAL);
    CHECK_INT(hub_http_delivery_post(e.d, "sqs-queue", NULL, 0, "m", 1, NULL, on_complete, &r),
              HUB_EINVAL);
    hub_http_retry_policy_default(&p);
    p.num_no_delay_retries = 4; /* more than num_retries */
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "m", 1, &p, on_complete, &r), HUB_EINVAL);
    hub_http_retry_policy_default(&p);
    p.min_delay_ms = 30000; /* above max */
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "m", 1, &p, on_complete, &r), HUB_EINVAL);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(r.calls, 0);
    CHECK_INT(e.fake.calls, 0);
    {
        struct hub_http_delivery_config cfg = {0};
        hub_http_delivery *d;

        CHECK_INT(hub_http_delivery_new(&e.loop, &cfg, &d), HUB_EINVAL);
    }
    teardown(&e);
}

static void test_close(void)
{
    struct env e;
    struct done_rec r[6];
    struct hub_http_retry_policy p;
    struct hub_http_delivery_stats st;

    memset(r, 0, sizeof r);
    setup(&e, 1, 0, 0);
    fast_policy(&p, 3, 1000);
    e.fake.delay_ms = 30;
    e.fake.script[0] = 500; /* r[0] will wait for a retry */
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "a", 1, &p, on_complete, &r[0]), 0);
    uv_run(&e.loop, UV_RUN_ONCE);
    while (e.fake.calls < 1 || e.fake.inflight)
        uv_run(&e.loop, UV_RUN_ONCE);
    /* r[0] waits 1 s for its retry; r[1] goes in flight; r[2] waits for the slot. */
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "b", 1, &p, on_complete, &r[1]), 0);
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "c", 1, &p, on_complete, &r[2]), 0);
    while (e.fake.calls < 2)
        uv_run(&e.loop, UV_RUN_ONCE);
    CHECK_INT(e.fake.inflight, 1);

    hub_http_delivery_close(e.d, on_closed, &e);
    hub_http_delivery_close(e.d, on_closed, &e); /* twice is a no-op */
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "d", 1, &p, on_complete, &r[3]),
              HUB_ESTATE);
    for (int i = 0; i < 3; i++)
        CHECK_INT(r[i].calls, 0); /* nothing inside the call */
    hub_http_delivery_stats(e.d, &st);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(r[0].calls, 1);
    CHECK_INT(r[0].result, HUB_ECLOSED);
    CHECK_INT(r[0].last_status, 500);
    CHECK_INT(r[1].calls, 1);
    CHECK_INT(r[1].result, 0); /* in flight: completes with what the client reports */
    CHECK_INT(r[2].calls, 1);
    CHECK_INT(r[2].result, HUB_ECLOSED);
    CHECK_INT(r[2].attempts, 0);
    CHECK(r[2].seq < r[1].seq); /* queued ones are cancelled at once, not after the in-flight one */
    CHECK_INT(r[3].calls, 0);
    CHECK_INT(e.closed, 1);
    CHECK_INT(e.fake.calls, 2);
    CHECK_INT(e.hook.calls, 0); /* cancelled messages are not dead-lettered */
    CHECK_INT(st.cancelled, 0);
    e.d = NULL;
    teardown(&e);
}

/* A completion callback may post again, and may close the engine. */
static struct env *reent_env;
static struct done_rec reent_second;
static int reent_closed;

static void reent_close_cb(void *ud)
{
    (void)ud;
    reent_closed++;
}

static void reent_cb(void *ud, int result, int last_status, unsigned attempts)
{
    on_complete(ud, result, last_status, attempts);
    CHECK_INT(hub_http_delivery_post(reent_env->d, URL, NULL, 0, "again", 5, NULL, on_complete,
                                     &reent_second),
              0);
}

static void close_cb_in_completion(void *ud, int result, int last_status, unsigned attempts)
{
    on_complete(ud, result, last_status, attempts);
    hub_http_delivery_close(reent_env->d, reent_close_cb, NULL);
}

static void test_reentrancy(void)
{
    struct env e;
    struct done_rec r = {0}, r2 = {0}, r3 = {0};

    setup(&e, 0, 0, 0);
    reent_env = &e;
    memset(&reent_second, 0, sizeof reent_second);
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "first", 5, NULL, reent_cb, &r), 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(r.calls, 1);
    CHECK_INT(reent_second.calls, 1);
    CHECK_INT(reent_second.result, 0);
    CHECK_INT(e.fake.calls, 2);

    reent_closed = 0;
    CHECK_INT(hub_http_delivery_post(e.d, URL, NULL, 0, "x", 1, NULL, close_cb_in_completion, &r2),
              0);
    CHECK_INT(hub_http_delivery_post(e.d, "http://z/", NULL, 0, "y", 1, NULL, on_complete, &r3), 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(r2.calls, 1);
    CHECK_INT(r3.calls, 1);
    CHECK_INT(reent_closed, 1);
    e.d = NULL;
    teardown(&e);
}

static void test_sns_on_the_wire(void)
{
    struct env e;
    struct done_rec r = {0};
    static const uint8_t secret[] = "k";
    hub_sns_key *key = sns_test_key_new();
    CHECK(key != NULL);
    struct hub_sns_signer s = {secret, 1, key, 2, "https://hub/cert.pem"};
    struct hub_sns_message m = {0};
    struct hub_http_retry_policy p;
    const char *sig;

    setup(&e, 0, 0, 0);
    m.type = HUB_SNS_NOTIFICATION;
    m.message_id = "id-1";
    m.topic_arn = "arn:aws:sns:us-east-1:000000000000:t";
    m.message = "{\"order\":1}";
    m.timestamp_ms = 1700000000000LL;
    m.unsubscribe_url =
        "http://hub/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:000000000000:t:s";
    CHECK_INT(hub_http_delivery_post_sns(e.d, URL, &m, "arn:aws:sns:us-east-1:000000000000:t:s", 0,
                                         &s, NULL, on_complete, &r),
              0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(r.calls, 1);
    CHECK_STR(fake_header(&e.fake, "x-amz-sns-message-type"), "Notification");
    CHECK_STR(fake_header(&e.fake, "x-amz-sns-message-id"), "id-1");
    CHECK_STR(fake_header(&e.fake, "x-amz-sns-topic-arn"), m.topic_arn);
    CHECK_STR(fake_header(&e.fake, "x-amz-sns-subscription-arn"),
              "arn:aws:sns:us-east-1:000000000000:t:s");
    CHECK_STR(fake_header(&e.fake, "Content-Type"), "text/plain; charset=UTF-8");
    CHECK(fake_header(&e.fake, "x-amz-sns-rawdelivery") == NULL);
    sig = fake_header(&e.fake, "X-Hubbub-Signature");
    CHECK(sig != NULL);
    CHECK_INT(hub_sns_body_signature_verify(secret, 1, e.fake.body[0], e.fake.body_len[0], sig), 0);
    CHECK_INT(hub_sns_envelope_verify(e.fake.body[0], e.fake.body_len[0], TEST_CERT_PEM,
                                      sizeof TEST_CERT_PEM - 1),
              0);
    CHECK(strstr(e.fake.body[0], "\"SignatureVersion\" : \"2\"") != NULL);

    /* Raw delivery: the bare message, and requestPolicy.headerContentType. */
    hub_http_retry_policy_default(&p);
    p.content_type = "application/json";
    CHECK_INT(hub_http_delivery_post_sns(e.d, URL, &m, "arn:sub", 1, &s, &p, on_complete, &r), 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_MEM(e.fake.body[1], e.fake.body_len[1], m.message, strlen(m.message));
    CHECK_STR(fake_header(&e.fake, "x-amz-sns-rawdelivery"), "true");
    CHECK_STR(fake_header(&e.fake, "Content-Type"), "application/json");
    CHECK_INT(hub_sns_body_signature_verify(secret, 1, e.fake.body[1], e.fake.body_len[1],
                                            fake_header(&e.fake, "X-Hubbub-Signature")),
              0);

    /* A plain post gets the policy's content type too, replacing or adding the header. */
    CHECK_INT(hub_http_delivery_post(e.d, URL, hdr1, 2, "z", 1, &p, on_complete, &r), 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(e.fake.nhdrs, 2);
    CHECK_STR(fake_header(&e.fake, "Content-Type"), "application/json");
    CHECK_INT(hub_http_delivery_post(e.d, URL, hdr1 + 1, 1, "z", 1, &p, on_complete, &r), 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(e.fake.nhdrs, 2);
    CHECK_STR(fake_header(&e.fake, "Content-Type"), "application/json");

    /* A subscription confirmation. */
    {
        char tok[HUB_SNS_TOKEN_SIZE], *url;
        struct hub_sns_message c = {0};

        CHECK_INT(hub_sns_token_make(secret, 1, "arn:sub", tok), 0);
        CHECK_INT(hub_sns_subscribe_url("http://hub", m.topic_arn, tok, &url), 0);
        c.type = HUB_SNS_SUBSCRIPTION_CONFIRMATION;
        c.message_id = "id-2";
        c.topic_arn = m.topic_arn;
        c.timestamp_ms = 1700000000000LL;
        c.token = tok;
        c.subscribe_url = url;
        CHECK_INT(hub_http_delivery_post_sns(e.d, URL, &c, "arn:sub", 1, &s, NULL, on_complete, &r),
                  0);
        hub_free(url);
        uv_run(&e.loop, UV_RUN_DEFAULT);
        CHECK_STR(fake_header(&e.fake, "x-amz-sns-message-type"), "SubscriptionConfirmation");
        CHECK(fake_header(&e.fake, "x-amz-sns-subscription-arn") == NULL);
        CHECK(strstr(e.fake.body[4], "\"Token\" : \"") != NULL);
        CHECK_INT(hub_sns_envelope_verify(e.fake.body[4], e.fake.body_len[4], TEST_CERT_PEM,
                                          sizeof TEST_CERT_PEM - 1),
                  0);
    }
    teardown(&e);
    hub_sns_key_unref(key);
}

static void test_backoff(void)
{
    struct hub_http_retry_policy p;

    hub_http_retry_policy_default(&p);
    CHECK_INT(p.num_retries, 3);
    for (int i = 1; i <= 3; i++)
        CHECK_INT(hub_http_retry_delay(&p, i), 20000);
    CHECK_INT(hub_http_retry_delay(&p, 4), HUB_ELIMIT);
    CHECK_INT(hub_http_retry_delay(&p, 0), HUB_ELIMIT);

    /* The documentation's example: max 40 s, linear: 20, 30, 40. */
    p.max_delay_ms = 40000;
    CHECK_INT(hub_http_retry_delay(&p, 1), 20000);
    CHECK_INT(hub_http_retry_delay(&p, 2), 30000);
    CHECK_INT(hub_http_retry_delay(&p, 3), 40000);

    /* All four phases: 2 immediate, 2 at min, 3 backing off, 1 at max. */
    p.num_retries = 8;
    p.num_no_delay_retries = 2;
    p.num_min_delay_retries = 2;
    p.num_max_delay_retries = 1;
    p.min_delay_ms = 1000;
    p.max_delay_ms = 9000;
    {
        static const int64_t want[] = {0, 0, 1000, 1000, 1000, 5000, 9000, 9000};

        for (int i = 1; i <= 8; i++)
            CHECK_INT(hub_http_retry_delay(&p, i), want[i - 1]);
    }
    /* The other curves stay within [min, max], rise monotonically and end at max. */
    for (int f = HUB_HTTP_BACKOFF_ARITHMETIC; f <= HUB_HTTP_BACKOFF_EXPONENTIAL; f++) {
        int64_t prev = 0;

        hub_http_retry_policy_default(&p);
        p.num_retries = 10;
        p.min_delay_ms = 5000;
        p.max_delay_ms = 260000;
        p.backoff = (enum hub_http_backoff)f;
        for (int i = 1; i <= 10; i++) {
            int64_t v = hub_http_retry_delay(&p, i);

            CHECK(v >= 5000 && v <= 260000 && v >= prev);
            prev = v;
        }
        CHECK_INT(hub_http_retry_delay(&p, 1), 5000);
        CHECK_INT(prev, 260000);
    }
    p.backoff = HUB_HTTP_BACKOFF_GEOMETRIC;
    CHECK_INT(hub_http_retry_delay(&p, 2), 7756); /* 5000 * 52^(1/9) */
    p.backoff = HUB_HTTP_BACKOFF_EXPONENTIAL;
    CHECK_INT(hub_http_retry_delay(&p, 3), 20000);
}

static void test_policy_parse(void)
{
    struct hub_http_retry_policy p;
    char err[200], *ct;

    hub_http_retry_policy_default(&p);
    const char *sub =
        "{\"healthyRetryPolicy\":{\"minDelayTarget\":1,\"maxDelayTarget\":60,\"numRetries\":5,"
        "\"numNoDelayRetries\":1,\"numMinDelayRetries\":1,\"numMaxDelayRetries\":1,"
        "\"backoffFunction\":\"exponential\"},\"throttlePolicy\":{\"maxReceivesPerSecond\":10},"
        "\"requestPolicy\":{\"headerContentType\":\"application/json\"}}";
    CHECK_INT(hub_http_retry_policy_parse(&p, sub, strlen(sub), &ct, err, sizeof err), 0);
    CHECK_INT(p.min_delay_ms, 1000);
    CHECK_INT(p.max_delay_ms, 60000);
    CHECK_INT(p.num_retries, 5);
    CHECK_INT(p.num_no_delay_retries, 1);
    CHECK_INT(p.num_min_delay_retries, 1);
    CHECK_INT(p.num_max_delay_retries, 1);
    CHECK_INT(p.backoff, HUB_HTTP_BACKOFF_EXPONENTIAL);
    CHECK_STR(p.content_type, "application/json");
    CHECK(p.content_type == ct);
    hub_free(ct);

    hub_http_retry_policy_default(&p);
    const char *topic = "{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":5},"
                        "\"disableSubscriptionOverrides\":false}}";
    CHECK_INT(hub_http_retry_policy_parse(&p, topic, strlen(topic), &ct, err, sizeof err), 0);
    CHECK_INT(p.num_retries, 5);
    CHECK_INT(p.min_delay_ms, 20000);
    CHECK(ct == NULL);

    hub_http_retry_policy_default(&p);
    {
        const char *big = "{\"healthyRetryPolicy\":{\"numRetries\":101}}";

        CHECK_INT(hub_http_retry_policy_parse(&p, big, strlen(big), NULL, err, sizeof err),
                  HUB_EINVAL);
    }
    CHECK(strncmp(err, "Invalid parameter: DeliveryPolicy: ", 35) == 0);
    CHECK_INT(p.num_retries, 3); /* unchanged on failure */
    {
        const char *bad[] = {
            "{\"healthyRetryPolicy\":{\"minDelayTarget\":30,\"maxDelayTarget\":20}}",
            "{\"healthyRetryPolicy\":{\"numRetries\":1,\"numNoDelayRetries\":2}}",
            "{\"healthyRetryPolicy\":{\"backoffFunction\":\"cubic\"}}",
            "{\"healthyRetryPolicy\":{\"numRetriez\":1}}",
            "{\"healthyRetryPolicy\":[]}",
            "{\"requestPolicy\":{\"headerContentType\":5}}",
        };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
            CHECK_INT(
                hub_http_retry_policy_parse(&p, bad[i], strlen(bad[i]), NULL, err, sizeof err),
                HUB_EINVAL);
    }
    CHECK_INT(hub_http_retry_policy_parse(&p, "[1]", 3, NULL, err, sizeof err), HUB_EPARSE);
    CHECK_INT(hub_http_retry_policy_parse(&p, "{", 1, NULL, err, sizeof err), HUB_EPARSE);
}

/* Allocation failures in post() are reported synchronously and run no callback. */
static long fail_at, count;

static void *t_malloc(size_t n)
{
    return (fail_at && ++count == fail_at) ? NULL : malloc(n);
}

static void *t_realloc(void *o, size_t n)
{
    return (fail_at && ++count == fail_at) ? NULL : realloc(o, n);
}

static const struct hub_alloc_funcs test_funcs = {t_malloc, NULL, t_realloc, free};

static void test_alloc_failures(void)
{
    struct env e;
    struct done_rec r[64];
    int ok = 0, nomem = 0;

    memset(r, 0, sizeof r);
    setup(&e, 0, 0, 0);
    hub_alloc_set(&test_funcs);
    for (long n = 1; n < 64 && !ok; n++) {
        char url[64];
        int rc;

        snprintf(url, sizeof url, "http://h%ld/", n); /* a new endpoint each time */
        fail_at = n;
        count = 0;
        rc = hub_http_delivery_post(e.d, url, hdr1, 2, "m", 1, NULL, on_complete, &r[n]);
        fail_at = 0;
        if (rc == 0)
            ok = 1;
        else {
            CHECK_INT(rc, HUB_ENOMEM);
            nomem++;
        }
    }
    hub_alloc_set(NULL);
    CHECK(ok);
    CHECK(nomem >= 2);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    for (int n = 1; n < 64; n++)
        CHECK(r[n].calls == (n == nomem + 1));
    teardown(&e);
}

int main(void)
{
    hub_log_set_level(HUB_LOG_ERROR); /* give-up and drop warnings are expected here */
    RUN(test_success);
    RUN(test_retry_then_success);
    RUN(test_exhausted_goes_to_dlq);
    RUN(test_permanent_4xx);
    RUN(test_sync_post_failure);
    RUN(test_inflight_bound);
    RUN(test_queue_bounds);
    RUN(test_invalid);
    RUN(test_close);
    RUN(test_reentrancy);
    RUN(test_sns_on_the_wire);
    RUN(test_backoff);
    RUN(test_policy_parse);
    RUN(test_alloc_failures);
    return TEST_SUMMARY();
}
