/* http_delivery.h - delivery of SNS notifications to HTTP/S endpoints: the retry policy,
 * per-endpoint bounds and the dead-letter hand-off, independent of the HTTP client that does the
 * POST.
 *
 * The HTTP client is a small ops table (struct hub_http_client_ops). Hubbub's real one is
 * hub_lws_http_client_ops() in hub/lws_client.c (libwebsockets client connections on the hub's
 * context); tests plug in a fake. Single-threaded: everything runs on the loop given to
 * hub_http_delivery_new().
 *
 * Retries follow SNS's HTTP delivery policy ("healthyRetryPolicy"): after the first attempt,
 * num_no_delay_retries immediate retries, then num_min_delay_retries at min_delay_ms, then the
 * back-off phase (delays from min_delay_ms to max_delay_ms by the back-off function), then
 * num_max_delay_retries at max_delay_ms - num_retries in total. The delay runs from the end of the
 * failed attempt. As in SNS, an attempt succeeds on a 2xx status, a 4xx status is a permanent
 * failure (no retries), and any other status (1xx, 3xx - redirects are not followed - and 5xx), a
 * timeout or a connection error is retried. When the engine gives up, the message goes to the
 * on_failed hook (the dead-letter hand-off), then its completion callback runs.
 *
 * Shutdown order: hub_http_delivery_close() before the HTTP client's context goes away (for lws:
 * before lws_context_destroy()), so that the failures the dying context reports are not retried. */
#ifndef HUB_HTTP_DELIVERY_H
#define HUB_HTTP_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "sns_envelope.h"

struct hub_http_header {
    const char *name;
    const char *value;
};

/* One HTTP client. post() starts a POST of body to url (http:// or https://) with the given headers
 * and a whole-request timeout. Callback law: if post() returns a negative HUB_E* the callback never
 * runs; otherwise done(ud, status_or_err) runs exactly once, never inside post(), with the HTTP
 * status (100-599) or a negative HUB_E* (HUB_ETIMEOUT, HUB_EIO for connect/TLS/protocol errors and
 * for a context torn down under the request). url, hdrs and body stay valid until done runs (the
 * caller keeps them), so the client may keep pointers to them. ctx is the client's own context (for
 * lws: the struct lws_context *). */
struct hub_http_client_ops {
    int (*post)(void *ctx, const char *url, const struct hub_http_header *hdrs, size_t nhdrs,
                const char *body, size_t len, int timeout_ms,
                void (*done)(void *ud, int status_or_err), void *ud);
};

enum hub_http_backoff {
    HUB_HTTP_BACKOFF_LINEAR = 0, /* SNS's default */
    HUB_HTTP_BACKOFF_ARITHMETIC,
    HUB_HTTP_BACKOFF_GEOMETRIC,
    HUB_HTTP_BACKOFF_EXPONENTIAL,
};

/* SNS's healthyRetryPolicy, with delays in milliseconds so tests can use small ones. */
struct hub_http_retry_policy {
    int num_retries;               /* 0..100, default 3 (so at most 4 attempts) */
    int num_no_delay_retries;      /* default 0 */
    int num_min_delay_retries;     /* default 0 */
    int num_max_delay_retries;     /* default 0 */
    int min_delay_ms;              /* default 20000 */
    int max_delay_ms;              /* default 20000 */
    enum hub_http_backoff backoff; /* default linear */
    int timeout_ms;                /* per attempt; default 15000 (SNS waits 15 s for a response) */
    const char
        *content_type; /* requestPolicy.headerContentType, NULL = SNS's text/plain (borrowed) */
};

/* Fills p with SNS's default HTTP delivery policy (values as commented above). */
void hub_http_retry_policy_default(struct hub_http_retry_policy *p);

/* Applies an SNS DeliveryPolicy JSON text ({"healthyRetryPolicy": {"numRetries": 3,
 * "minDelayTarget": 20, ...}, "requestPolicy": {"headerContentType": "application/json"}}, delays
 * in seconds) over p. Accepts the top-level {"http": {...}} form of a topic's policy too.
 * content_type, if set, points into a new string stored in *content_type_out (hub_free; NULL when
 * absent). Returns 0, HUB_EPARSE (not JSON) or HUB_EINVAL (a value SNS rejects) with a message in
 * err, or HUB_ENOMEM. p is unchanged on failure. */
int hub_http_retry_policy_parse(struct hub_http_retry_policy *p, const char *json, size_t len,
                                char **content_type_out, char *err, size_t errlen);

/* The delay in ms before retry number `retry` (1-based: retry 1 follows the first attempt) under p,
 * or a negative HUB_ELIMIT when retry > p->num_retries. Exposed for tests and documentation. */
int64_t hub_http_retry_delay(const struct hub_http_retry_policy *p, int retry);

/* Handed to on_failed when a message runs out of retries. Everything is borrowed for the call only.
 */
struct hub_http_failure {
    const char *url;
    const struct hub_http_header *hdrs;
    size_t nhdrs;
    const char *body;
    size_t len;
    int last_status; /* last HTTP status, or a negative HUB_E* (timeout, connection error) */
    unsigned attempts;
    void *msg_ud; /* the ud given to hub_http_delivery_post */
};

struct hub_http_delivery_config {
    const struct hub_http_client_ops *client; /* required */
    void *client_ctx;
    size_t max_inflight_per_endpoint; /* concurrent POSTs to one URL, default 4 */
    size_t max_queued_per_endpoint;   /* messages waiting (for a slot or a retry) per URL, default
                                         1000 */
    size_t max_queued_total;          /* over all URLs, default 100000 */
    /* Dead-letter hand-off, may be NULL. Runs once per message whose retries are exhausted, before
     * its completion callback. */
    void (*on_failed)(void *hook_ud, const struct hub_http_failure *f);
    void *hook_ud;
};

struct hub_http_delivery_stats {
    uint64_t posted;    /* accepted by hub_http_delivery_post */
    uint64_t delivered; /* got a 2xx */
    uint64_t attempts;  /* POSTs started */
    uint64_t retries;   /* attempts after the first */
    uint64_t failed;    /* retries exhausted (handed to on_failed) */
    uint64_t dropped;   /* refused with HUB_EFULL because a bound was reached */
    uint64_t cancelled; /* completed with HUB_ECLOSED by hub_http_delivery_close */
    size_t inflight;
    size_t queued;
};

typedef struct hub_http_delivery hub_http_delivery;

/* Completion of one message: result 0 (delivered: a 2xx), HUB_ELIMIT (retries exhausted, after
 * on_failed), or HUB_ECLOSED (hub_http_delivery_close ran first). last_status is the last HTTP
 * status or negative HUB_E* of the transport (0 when no attempt was made). */
typedef void (*hub_http_delivery_cb)(void *msg_ud, int result, int last_status, unsigned attempts);

/* Creates a delivery engine on loop. Zero fields in cfg take the defaults. Returns 0 and *out,
 * HUB_EINVAL (no client), or HUB_ENOMEM. */
int hub_http_delivery_new(uv_loop_t *loop, const struct hub_http_delivery_config *cfg,
                          hub_http_delivery **out);

/* Queues a POST of body to url with hdrs under policy (NULL = the default policy). url, hdrs (names
 * and values), body and policy->content_type are copied. The first attempt starts from the loop,
 * never inside this call. Returns 0 - then cb (may be NULL) runs exactly once, never inside this
 * call - or HUB_EFULL (a bound was reached: the message is dropped, counted in stats.dropped and
 * logged), HUB_ESTATE (closing), HUB_EINVAL (url is not http:// or https://), or HUB_ENOMEM; on
 * error cb never runs. */
int hub_http_delivery_post(hub_http_delivery *d, const char *url,
                           const struct hub_http_header *hdrs, size_t nhdrs, const char *body,
                           size_t len, const struct hub_http_retry_policy *policy,
                           hub_http_delivery_cb cb, void *msg_ud);

/* Builds the SNS envelope of m (raw == 0) or takes m->message as the body (raw != 0), adds SNS's
 * headers and X-Hubbub-Signature (hub_sns_headers_fill) and posts it to url, as
 * hub_http_delivery_post. This is how a topic delivers to an HTTP/S subscription, and how a
 * SubscriptionConfirmation is sent (m->type, m->token, m->subscribe_url; raw is ignored for
 * confirmations). Same returns and callback law. */
int hub_http_delivery_post_sns(hub_http_delivery *d, const char *url,
                               const struct hub_sns_message *m, const char *subscription_arn,
                               int raw, const struct hub_sns_signer *s,
                               const struct hub_http_retry_policy *policy, hub_http_delivery_cb cb,
                               void *msg_ud);

/* Copies the counters into *out. */
void hub_http_delivery_stats(const hub_http_delivery *d, struct hub_http_delivery_stats *out);

/* Shuts the engine down: queued and retry-waiting messages complete with HUB_ECLOSED (not handed to
 * on_failed); in-flight POSTs are not retried, and complete when the client reports them. When
 * nothing is left the engine is freed and close_cb(ud) runs (never inside this call). d must not be
 * used after this call except by completion callbacks already due. Calling it twice is a no-op. */
void hub_http_delivery_close(hub_http_delivery *d, void (*close_cb)(void *ud), void *ud);

#endif
