/* http_delivery.c - SNS's HTTP/S delivery policy on a libuv loop.
 *
 * Every message is one allocation (headers and body copied in) owned by the engine from a
 * successful hub_http_delivery_post() until its completion callback. It is always in exactly one
 * place: an endpoint's ready queue (waiting for an in-flight slot), in flight in the HTTP client,
 * or on the retry list (sorted by due time, served by the engine's one timer). Endpoints are keyed
 * by URL and exist while they hold messages.
 *
 * Nothing calls the HTTP client or a completion callback from inside a public call: post() only
 * queues and arms the timer at 0, close() only flags and arms it. Completion callbacks run from the
 * timer or from the client's done callback, where they may call post() or close() again; endpoints
 * are therefore released only at the end of those handlers, never while a loop still points at
 * them. */
#include "http_delivery.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hub_alloc.h"
#include "hub_err.h"
#include "log.h"
#include "map.h"

#define DEFAULT_INFLIGHT 4
#define DEFAULT_QUEUED 1000
#define DEFAULT_QUEUED_TOTAL 100000
#define MAX_RETRIES 100
#define DROP_LOG_INTERVAL_MS 1000

enum msg_state { M_READY, M_INFLIGHT, M_WAITING };

struct endpoint;

struct msg {
    struct msg *next, *prev; /* ready queue (next only) or retry list */
    hub_http_delivery *d;
    struct endpoint *ep;
    enum msg_state state;
    struct hub_http_header *hdrs;
    size_t nhdrs;
    char *body;
    size_t len;
    struct hub_http_retry_policy policy; /* content_type points into this allocation */
    hub_http_delivery_cb cb;
    void *ud;
    unsigned attempts;
    int last_status;
    uint64_t due;
};

struct endpoint {
    char *url;
    size_t inflight;
    size_t queued; /* ready + waiting for a retry */
    struct msg *ready_head, *ready_tail;
    struct endpoint *pump_next; /* on d->pump while it has ready messages to start */
    int on_pump;
    int busy; /* a handler is using it: do not free */
};

struct hub_http_delivery {
    uv_loop_t *loop;
    uv_timer_t timer;
    struct hub_http_delivery_config cfg;
    struct hub_http_delivery_stats stats;
    struct hub_map endpoints;
    struct endpoint *pump_head, *pump_tail;
    struct msg *wait_head, *wait_tail;
    size_t nmsgs;
    uint64_t last_drop_log;
    uint64_t drops_since_log;
    int closing, timer_closing;
    void (*close_cb)(void *);
    void *close_ud;
};

/* ---- policy ---- */

void hub_http_retry_policy_default(struct hub_http_retry_policy *p)
{
    memset(p, 0, sizeof *p);
    p->num_retries = 3;
    p->min_delay_ms = 20000;
    p->max_delay_ms = 20000;
    p->backoff = HUB_HTTP_BACKOFF_LINEAR;
    p->timeout_ms = 15000;
}

static int policy_valid(const struct hub_http_retry_policy *p)
{
    return p->num_retries >= 0 && p->num_retries <= MAX_RETRIES && p->num_no_delay_retries >= 0 &&
           p->num_min_delay_retries >= 0 && p->num_max_delay_retries >= 0 &&
           p->num_no_delay_retries + p->num_min_delay_retries + p->num_max_delay_retries <=
               p->num_retries &&
           p->min_delay_ms >= 0 && p->max_delay_ms >= p->min_delay_ms && p->timeout_ms > 0 &&
           p->backoff >= HUB_HTTP_BACKOFF_LINEAR && p->backoff <= HUB_HTTP_BACKOFF_EXPONENTIAL;
}

/* SNS publishes the back-off curves only as a graph; these follow its shape: linear steps evenly
 * from the minimum to the maximum delay, arithmetic grows slowly then fast (quadratic), geometric
 * multiplies by a constant ratio, exponential doubles from the minimum and is capped at the
 * maximum. */
int64_t hub_http_retry_delay(const struct hub_http_retry_policy *p, int retry)
{
    int r, count;
    double lo, hi, pos, delay;

    if (retry < 1 || retry > p->num_retries) return HUB_ELIMIT;
    if (retry <= p->num_no_delay_retries) return 0;
    r = retry - p->num_no_delay_retries;
    if (r <= p->num_min_delay_retries) return p->min_delay_ms;
    r -= p->num_min_delay_retries;
    count = p->num_retries - p->num_no_delay_retries - p->num_min_delay_retries -
            p->num_max_delay_retries;
    if (r > count) return p->max_delay_ms; /* post-back-off phase */
    if (count <= 1) return p->min_delay_ms;
    lo = p->min_delay_ms;
    hi = p->max_delay_ms;
    pos = (double)(r - 1) / (count - 1);
    switch (p->backoff) {
    case HUB_HTTP_BACKOFF_ARITHMETIC:
        delay = lo + (hi - lo) * pos * pos;
        break;
    case HUB_HTTP_BACKOFF_GEOMETRIC:
        delay = lo > 0 ? lo * pow(hi / lo, pos) : hi * pos;
        break;
    case HUB_HTTP_BACKOFF_EXPONENTIAL:
        delay = (lo > 0 ? lo : 1) * ldexp(1.0, r - 1 > 60 ? 60 : r - 1);
        if (delay > hi) delay = hi;
        if (r == count) delay = hi;
        break;
    default:
        delay = lo + (hi - lo) * pos;
    }
    if (delay < lo) delay = lo;
    if (delay > hi) delay = hi;
    return (int64_t)(delay + 0.5);
}

static int perr(char *err, size_t errlen, int code, const char *what)
{
    if (errlen) snprintf(err, errlen, "Invalid parameter: DeliveryPolicy: %s", what);
    return code;
}

static int get_int(const json_t *o, const char *key, int lo, int hi, int *out)
{
    const json_t *v = json_object_get(o, key);

    if (!v) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) return -1;
    *out = (int)json_integer_value(v);
    return 0;
}

int hub_http_retry_policy_parse(struct hub_http_retry_policy *p, const char *json, size_t len,
                                char **content_type_out, char *err, size_t errlen)
{
    struct hub_http_retry_policy q = *p;
    json_t *root, *o, *hr, *rp;
    json_error_t je;
    size_t failures = hub_alloc_failures();
    int min_s = q.min_delay_ms / 1000, max_s = q.max_delay_ms / 1000, rc = 0;
    const char *key;
    json_t *v;

    if (errlen) err[0] = '\0';
    if (content_type_out) *content_type_out = NULL;
    root = json_loadb(json, len, 0, &je);
    if (hub_alloc_failures() != failures) {
        json_decref(root);
        return HUB_ENOMEM;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return perr(err, errlen, HUB_EPARSE, "not a JSON object");
    }
    o = root;
    hr = json_object_get(o, "healthyRetryPolicy");
    rp = json_object_get(o, "requestPolicy");
    if (json_object_get(root, "http")) { /* a topic's policy */
        o = json_object_get(root, "http");
        if (!json_is_object(o)) {
            rc = perr(err, errlen, HUB_EINVAL, "http must be an object");
            goto out;
        }
        hr = json_object_get(o, "defaultHealthyRetryPolicy");
        rp = json_object_get(o, "defaultRequestPolicy");
    }
    if (hr) {
        if (!json_is_object(hr)) {
            rc = perr(err, errlen, HUB_EINVAL, "healthyRetryPolicy must be an object");
            goto out;
        }
        json_object_foreach(hr, key, v)
        {
            static const char *const known[] = {
                "minDelayTarget",     "maxDelayTarget",     "numRetries",     "numNoDelayRetries",
                "numMinDelayRetries", "numMaxDelayRetries", "backoffFunction"};
            size_t i;

            for (i = 0; i < sizeof known / sizeof known[0]; i++)
                if (!strcmp(key, known[i])) break;
            if (i == sizeof known / sizeof known[0]) {
                rc = perr(err, errlen, HUB_EINVAL, "unknown key in healthyRetryPolicy");
                goto out;
            }
        }
        if (get_int(hr, "minDelayTarget", 1, 3600, &min_s) ||
            get_int(hr, "maxDelayTarget", 1, 3600, &max_s) ||
            get_int(hr, "numRetries", 0, MAX_RETRIES, &q.num_retries) ||
            get_int(hr, "numNoDelayRetries", 0, MAX_RETRIES, &q.num_no_delay_retries) ||
            get_int(hr, "numMinDelayRetries", 0, MAX_RETRIES, &q.num_min_delay_retries) ||
            get_int(hr, "numMaxDelayRetries", 0, MAX_RETRIES, &q.num_max_delay_retries)) {
            rc = perr(err, errlen, HUB_EINVAL, "healthyRetryPolicy has a value out of range");
            goto out;
        }
        if (json_object_get(hr, "minDelayTarget")) q.min_delay_ms = min_s * 1000;
        if (json_object_get(hr, "maxDelayTarget")) q.max_delay_ms = max_s * 1000;
        v = json_object_get(hr, "backoffFunction");
        if (v) {
            const char *f = json_string_value(v);

            if (!f) f = "";
            if (!strcmp(f, "linear"))
                q.backoff = HUB_HTTP_BACKOFF_LINEAR;
            else if (!strcmp(f, "arithmetic"))
                q.backoff = HUB_HTTP_BACKOFF_ARITHMETIC;
            else if (!strcmp(f, "geometric"))
                q.backoff = HUB_HTTP_BACKOFF_GEOMETRIC;
            else if (!strcmp(f, "exponential"))
                q.backoff = HUB_HTTP_BACKOFF_EXPONENTIAL;
            else {
                rc = perr(err, errlen, HUB_EINVAL,
                          "backoffFunction must be linear, arithmetic, geometric or "
                          "exponential");
                goto out;
            }
        }
        if (!policy_valid(&q)) {
            rc = perr(err, errlen, HUB_EINVAL,
                      "minDelayTarget must not exceed maxDelayTarget, and the phase retries must "
                      "not exceed "
                      "numRetries");
            goto out;
        }
    }
    if (rp) {
        const json_t *ct = json_is_object(rp) ? json_object_get(rp, "headerContentType") : NULL;

        if (!json_is_object(rp) || (ct && !json_is_string(ct))) {
            rc = perr(err, errlen, HUB_EINVAL, "requestPolicy.headerContentType must be a string");
            goto out;
        }
        if (ct && content_type_out) {
            *content_type_out = hub_strdup(json_string_value(ct));
            if (!*content_type_out) {
                rc = HUB_ENOMEM;
                goto out;
            }
            q.content_type = *content_type_out;
        }
    }
    *p = q;
out:
    json_decref(root);
    return rc;
}

/* ---- engine ---- */

static void on_timer(uv_timer_t *t);

int hub_http_delivery_new(uv_loop_t *loop, const struct hub_http_delivery_config *cfg,
                          hub_http_delivery **out)
{
    hub_http_delivery *d;
    uint64_t seed[2] = {0, 0};

    *out = NULL;
    if (!loop || !cfg || !cfg->client || !cfg->client->post) return HUB_EINVAL;
    d = hub_calloc(1, sizeof *d);
    if (!d) return HUB_ENOMEM;
    d->loop = loop;
    d->cfg = *cfg;
    if (!d->cfg.max_inflight_per_endpoint) d->cfg.max_inflight_per_endpoint = DEFAULT_INFLIGHT;
    if (!d->cfg.max_queued_per_endpoint) d->cfg.max_queued_per_endpoint = DEFAULT_QUEUED;
    if (!d->cfg.max_queued_total) d->cfg.max_queued_total = DEFAULT_QUEUED_TOTAL;
    if (uv_random(NULL, NULL, seed, sizeof seed, 0, NULL) != 0) {
        seed[0] = uv_hrtime();
        seed[1] = (uint64_t)(uintptr_t)d;
    }
    hub_map_init(&d->endpoints, seed[0], seed[1]);
    uv_timer_init(loop, &d->timer); /* cannot fail */
    d->timer.data = d;
    *out = d;
    return 0;
}

void hub_http_delivery_stats(const hub_http_delivery *d, struct hub_http_delivery_stats *out)
{
    size_t pos = 0;
    void *v;

    *out = d->stats;
    out->inflight = out->queued = 0;
    while (hub_map_next(&d->endpoints, &pos, NULL, NULL, &v)) {
        const struct endpoint *ep = v;

        out->inflight += ep->inflight;
        out->queued += ep->queued;
    }
}

static void rearm(hub_http_delivery *d)
{
    uint64_t now;

    if (d->timer_closing) return;
    if (d->closing || d->pump_head) {
        uv_timer_start(&d->timer, on_timer, 0, 0);
        return;
    }
    if (!d->wait_head) {
        uv_timer_stop(&d->timer);
        return;
    }
    now = uv_now(d->loop);
    uv_timer_start(&d->timer, on_timer, d->wait_head->due > now ? d->wait_head->due - now : 0, 0);
}

static void pump_add(hub_http_delivery *d, struct endpoint *ep)
{
    if (ep->on_pump) return;
    ep->on_pump = 1;
    ep->pump_next = NULL;
    if (d->pump_tail)
        d->pump_tail->pump_next = ep;
    else
        d->pump_head = ep;
    d->pump_tail = ep;
}

static void ready_push(hub_http_delivery *d, struct msg *m)
{
    struct endpoint *ep = m->ep;

    m->state = M_READY;
    m->next = NULL;
    if (ep->ready_tail)
        ep->ready_tail->next = m;
    else
        ep->ready_head = m;
    ep->ready_tail = m;
    pump_add(d, ep);
}

static struct msg *ready_pop(struct endpoint *ep)
{
    struct msg *m = ep->ready_head;

    if (m) {
        ep->ready_head = m->next;
        if (!ep->ready_head) ep->ready_tail = NULL;
        m->next = NULL;
    }
    return m;
}

/* Sorted by due; equal times keep their order. Retries mostly share one delay, so search from the
 * tail. */
static void wait_insert(hub_http_delivery *d, struct msg *m)
{
    struct msg *after = d->wait_tail;

    while (after && after->due > m->due)
        after = after->prev;
    m->prev = after;
    m->next = after ? after->next : d->wait_head;
    if (m->next)
        m->next->prev = m;
    else
        d->wait_tail = m;
    if (after)
        after->next = m;
    else
        d->wait_head = m;
    m->state = M_WAITING;
}

static void wait_remove(hub_http_delivery *d, struct msg *m)
{
    if (m->prev)
        m->prev->next = m->next;
    else
        d->wait_head = m->next;
    if (m->next)
        m->next->prev = m->prev;
    else
        d->wait_tail = m->prev;
    m->next = m->prev = NULL;
}

static void ep_release_if_idle(hub_http_delivery *d, struct endpoint *ep)
{
    if (ep->busy || ep->on_pump || ep->inflight || ep->queued || ep->ready_head) return;
    hub_map_del(&d->endpoints, ep->url, strlen(ep->url));
    hub_free(ep->url);
    hub_free(ep);
}

static void maybe_close(hub_http_delivery *d);

/* Completes m: counters, then the callback, then the memory. The endpoint is left for the caller.
 */
static void finish(struct msg *m, int result)
{
    hub_http_delivery *d = m->d;

    d->nmsgs--;
    if (result == 0)
        d->stats.delivered++;
    else if (result == HUB_ECLOSED)
        d->stats.cancelled++;
    if (m->cb) m->cb(m->ud, result, m->last_status, m->attempts);
    hub_free(m);
}

static void give_up(struct msg *m)
{
    hub_http_delivery *d = m->d;

    d->stats.failed++;
    if (d->cfg.on_failed) {
        struct hub_http_failure f = {m->ep->url, m->hdrs,        m->nhdrs,    m->body,
                                     m->len,     m->last_status, m->attempts, m->ud};

        d->cfg.on_failed(d->cfg.hook_ud, &f);
    }
    hub_log(HUB_LOG_WARN, "http delivery to %s failed after %u attempt%s (last: %d)", m->ep->url,
            m->attempts, m->attempts == 1 ? "" : "s", m->last_status);
    finish(m, HUB_ELIMIT);
}

/* SNS: 2xx is success, 4xx a permanent failure (no retries), anything else (and a timeout or a
 * connection error) a failure worth retrying. */
static void attempt_failed(struct msg *m, int status)
{
    hub_http_delivery *d = m->d;
    int retry = (int)m->attempts; /* the next retry's number */

    m->last_status = status;
    if (d->closing) {
        finish(m, HUB_ECLOSED);
        return;
    }
    if ((status >= 400 && status <= 499) || retry > m->policy.num_retries) {
        give_up(m);
        return;
    }
    m->due = uv_now(d->loop) + (uint64_t)hub_http_retry_delay(&m->policy, retry);
    m->ep->queued++;
    wait_insert(d, m);
    rearm(d);
}

static void on_done(void *ud, int status)
{
    struct msg *m = ud;
    hub_http_delivery *d = m->d;
    struct endpoint *ep = m->ep;

    ep->busy++;
    ep->inflight--;
    if (status >= 200 && status <= 299) {
        m->last_status = status;
        finish(m, 0);
    } else {
        attempt_failed(m, status ? status : HUB_EIO);
    }
    if (ep->ready_head) pump_add(d, ep);
    ep->busy--;
    ep_release_if_idle(d, ep);
    rearm(d);
    maybe_close(d);
}

static void dispatch(hub_http_delivery *d, struct msg *m)
{
    struct endpoint *ep = m->ep;
    int rc;

    m->state = M_INFLIGHT;
    ep->inflight++;
    m->attempts++;
    d->stats.attempts++;
    if (m->attempts > 1) d->stats.retries++;
    rc = d->cfg.client->post(d->cfg.client_ctx, ep->url, m->hdrs, m->nhdrs, m->body, m->len,
                             m->policy.timeout_ms, on_done, m);
    if (rc < 0) { /* no callback will come: count it as a failed attempt now */
        ep->inflight--;
        attempt_failed(m, rc);
    }
}

static void pump(hub_http_delivery *d, struct endpoint *ep)
{
    ep->busy++;
    while (!d->closing && ep->ready_head && ep->inflight < d->cfg.max_inflight_per_endpoint) {
        struct msg *m = ready_pop(ep);

        ep->queued--;
        dispatch(d, m);
    }
    ep->busy--;
}

/* Completes every message not in flight with HUB_ECLOSED (post() refuses new ones by now, so the
 * callbacks cannot add any). */
static void flush(hub_http_delivery *d)
{
    struct endpoint *ep;
    struct msg *m;
    size_t pos = 0;
    void *v;

    while ((m = d->wait_head)) {
        wait_remove(d, m);
        m->ep->queued--;
        finish(m, HUB_ECLOSED);
    }
    while ((ep = d->pump_head)) {
        d->pump_head = ep->pump_next;
        if (!d->pump_head) d->pump_tail = NULL;
        ep->on_pump = 0;
    }
    while (hub_map_next(&d->endpoints, &pos, NULL, NULL, &v)) {
        ep = v;
        ep->busy++;
        while ((m = ready_pop(ep))) {
            ep->queued--;
            finish(m, HUB_ECLOSED);
        }
        ep->busy--;
        ep_release_if_idle(d, ep); /* deleting during the iteration is allowed */
    }
}

static void on_timer_closed(uv_handle_t *h)
{
    hub_http_delivery *d = h->data;
    void (*cb)(void *) = d->close_cb;
    void *ud = d->close_ud;

    hub_map_clear(&d->endpoints);
    hub_free(d);
    if (cb) cb(ud);
}

static void maybe_close(hub_http_delivery *d)
{
    if (!d->closing || d->timer_closing || d->nmsgs) return;
    d->timer_closing = 1;
    uv_timer_stop(&d->timer);
    uv_close((uv_handle_t *)&d->timer, on_timer_closed);
}

static void on_timer(uv_timer_t *t)
{
    hub_http_delivery *d = t->data;
    uint64_t now = uv_now(d->loop);
    struct msg *m;
    struct endpoint *ep;

    if (d->closing) {
        flush(d);
        maybe_close(d);
        return;
    }
    while ((m = d->wait_head) && m->due <= now) {
        wait_remove(d, m); /* still counted in ep->queued: waiting and ready are both "queued" */
        ready_push(d, m);
    }
    while (!d->closing && (ep = d->pump_head)) {
        d->pump_head = ep->pump_next;
        if (!d->pump_head) d->pump_tail = NULL;
        ep->on_pump = 0;
        pump(d, ep);
        /* Messages left behind wait for an in-flight slot: on_done pumps the endpoint again. */
        ep_release_if_idle(d, ep);
    }
    rearm(d);
    maybe_close(d);
}

static int url_ok(const char *url)
{
    return !strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8);
}

static void note_drop(hub_http_delivery *d, const char *url, const char *why)
{
    uint64_t now = uv_now(d->loop);

    d->stats.dropped++;
    d->drops_since_log++;
    if (d->last_drop_log && now - d->last_drop_log < DROP_LOG_INTERVAL_MS) return;
    hub_log(HUB_LOG_WARN,
            "http delivery: dropped %llu message%s (%s, last for %s; %llu dropped in total)",
            (unsigned long long)d->drops_since_log, d->drops_since_log == 1 ? "" : "s", why, url,
            (unsigned long long)d->stats.dropped);
    d->last_drop_log = now ? now : 1;
    d->drops_since_log = 0;
}

int hub_http_delivery_post(hub_http_delivery *d, const char *url,
                           const struct hub_http_header *hdrs, size_t nhdrs, const char *body,
                           size_t len, const struct hub_http_retry_policy *policy,
                           hub_http_delivery_cb cb, void *msg_ud)
{
    struct hub_http_retry_policy pol;
    struct endpoint *ep;
    struct msg *m;
    size_t i, strings = 0, nout, ctype_len = 0, size;
    int add_ctype = 0;
    char *p;

    if (!d || !url || (nhdrs && !hdrs) || (len && !body)) return HUB_EINVAL;
    if (d->closing) return HUB_ESTATE;
    if (!url_ok(url)) return HUB_EINVAL;
    if (policy)
        pol = *policy;
    else
        hub_http_retry_policy_default(&pol);
    if (pol.timeout_ms == 0) pol.timeout_ms = 15000;
    if (!policy_valid(&pol)) return HUB_EINVAL;

    ep = hub_map_get(&d->endpoints, url, strlen(url));
    if (ep && ep->queued >= d->cfg.max_queued_per_endpoint) {
        note_drop(d, url, "endpoint queue full");
        return HUB_EFULL;
    }
    if (d->nmsgs >= d->cfg.max_queued_total) {
        note_drop(d, url, "delivery queue full");
        return HUB_EFULL;
    }

    /* One block: the message, its header array, the header strings, the content type, the body. */
    for (i = 0; i < nhdrs; i++) {
        if (!hdrs[i].name || !hdrs[i].value) return HUB_EINVAL;
        strings += strlen(hdrs[i].name) + 1 + strlen(hdrs[i].value) + 1;
    }
    if (pol.content_type) {
        ctype_len = strlen(pol.content_type) + 1;
        add_ctype = 1;
        for (i = 0; i < nhdrs; i++)
            if (!strcasecmp(hdrs[i].name, "Content-Type")) add_ctype = 0;
    }
    nout = nhdrs + (size_t)add_ctype;
    size =
        sizeof *m + nout * sizeof *m->hdrs + strings + ctype_len + sizeof "Content-Type" + len + 1;
    m = hub_malloc(size);
    if (!m) return HUB_ENOMEM;
    memset(m, 0, sizeof *m);
    m->hdrs = (struct hub_http_header *)(m + 1);
    p = (char *)(m->hdrs + nout);
    if (pol.content_type) {
        memcpy(p, pol.content_type, ctype_len);
        pol.content_type = p;
        p += ctype_len;
    }
    for (i = 0; i < nhdrs; i++) {
        size_t nl = strlen(hdrs[i].name) + 1, vl = strlen(hdrs[i].value) + 1;

        memcpy(p, hdrs[i].name, nl);
        m->hdrs[i].name = p;
        p += nl;
        if (pol.content_type && !strcasecmp(hdrs[i].name, "Content-Type")) {
            m->hdrs[i].value = pol.content_type; /* requestPolicy.headerContentType wins */
        } else {
            memcpy(p, hdrs[i].value, vl);
            m->hdrs[i].value = p;
            p += vl;
        }
    }
    if (add_ctype) {
        memcpy(p, "Content-Type", sizeof "Content-Type");
        m->hdrs[nhdrs].name = p;
        m->hdrs[nhdrs].value = pol.content_type;
        p += sizeof "Content-Type";
    }
    m->nhdrs = nout;
    m->body = p;
    if (len) memcpy(p, body, len);
    p[len] = '\0';
    m->len = len;
    m->policy = pol;
    m->cb = cb;
    m->ud = msg_ud;
    m->d = d;

    if (!ep) {
        ep = hub_calloc(1, sizeof *ep);
        if (ep) ep->url = hub_strdup(url);
        if (!ep || !ep->url || hub_map_put(&d->endpoints, ep->url, strlen(ep->url), ep) != 0) {
            if (ep) hub_free(ep->url);
            hub_free(ep);
            hub_free(m);
            return HUB_ENOMEM;
        }
    }
    m->ep = ep;
    d->nmsgs++;
    d->stats.posted++;
    ep->queued++;
    ready_push(d, m);
    rearm(d);
    return 0;
}

int hub_http_delivery_post_sns(hub_http_delivery *d, const char *url,
                               const struct hub_sns_message *m, const char *subscription_arn,
                               int raw, const struct hub_sns_signer *s,
                               const struct hub_http_retry_policy *policy, hub_http_delivery_cb cb,
                               void *msg_ud)
{
    struct hub_sns_headers h;
    struct hub_http_header hdrs[HUB_SNS_MAX_HEADERS];
    char *envelope = NULL;
    const char *body;
    size_t len, n;
    int rc;

    if (!d || !m) return HUB_EINVAL;
    if (d->closing) return HUB_ESTATE;
    raw = raw && m->type == HUB_SNS_NOTIFICATION;
    if (raw) {
        if (!m->message) return HUB_EINVAL;
        body = m->message;
        len = strlen(m->message);
    } else {
        rc = hub_sns_envelope_build(m, s, &envelope, &len);
        if (rc) return rc;
        body = envelope;
    }
    rc = hub_sns_headers_fill(&h, m, subscription_arn, raw, policy ? policy->content_type : NULL, s,
                              body, len);
    if (rc == 0) {
        n = hub_sns_headers_export(&h, hdrs);
        rc = hub_http_delivery_post(d, url, hdrs, n, body, len, policy, cb, msg_ud);
    }
    hub_free(envelope);
    return rc;
}

void hub_http_delivery_close(hub_http_delivery *d, void (*close_cb)(void *ud), void *ud)
{
    if (!d || d->closing) return;
    d->closing = 1;
    d->close_cb = close_cb;
    d->close_ud = ud;
    uv_timer_start(&d->timer, on_timer, 0, 0);
}
