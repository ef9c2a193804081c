/* redis_conn.c - see redis_conn.h. The rules it keeps (libwebsockets-4.1.md, section 3): after a
 * connect callback with an error and after any disconnect callback hiredis has freed the context
 * already; a context returned with err set is ours to free; the disconnect callback also runs
 * during our own close, so nothing is retried once closing. */
#include "redis_conn.h"

#include <string.h>

#include "hub_alloc.h"
#include "log.h"
#include "redis_uv.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define CONNECT_TIMEOUT_MS 5000
#define CLOSE_GRACE_MS 1000

struct hub_redis_conn {
    uv_loop_t *loop;
    struct hub_redis_url url;
    const char *what;
    const struct hub_redis_conn_hooks *hooks;
    void *ud;
    redisAsyncContext *ac; /* NULL while down; hiredis frees it on failure and disconnect */
    int ready;
    uv_timer_t timer; /* the back-off, the connect timeout, or the close grace */
    unsigned backoff_ms;
    unsigned failures;
    int closing, timer_closing;
};

static void start(hub_redis_conn *c);

static void on_timer_closed(uv_handle_t *h)
{
    hub_redis_conn *c = h->data;
    if (c->hooks->closed) c->hooks->closed(c->ud, c);
    hub_free(c);
}

/* Closing: the timer goes once the context is gone; then the connection is freed. */
static void finish_close(hub_redis_conn *c)
{
    if (!c->closing || c->ac || c->timer_closing) return;
    c->timer_closing = 1;
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

static void on_timer(uv_timer_t *t)
{
    hub_redis_conn *c = t->data;
    redisAsyncContext *ac = c->ac;

    if (c->closing) {
        /* the grace for a clean disconnect ran out */
        c->ac = NULL;
        if (ac) redisAsyncFree(ac);
        finish_close(c);
        return;
    }
    if (ac && !c->ready) {
        hub_log(c->failures++ ? HUB_LOG_DEBUG : HUB_LOG_WARN,
                "redis: %s: connecting to %s:%d timed out; retrying", c->what, c->url.host,
                c->url.port);
        c->ac = NULL;
        redisAsyncFree(ac); /* not connected: no disconnect callback */
        uv_timer_start(&c->timer, on_timer, c->backoff_ms, 0);
        return;
    }
    if (!ac) start(c);
}

static void retry_later(hub_redis_conn *c)
{
    if (c->closing) return;
    uv_timer_start(&c->timer, on_timer, c->backoff_ms, 0);
    c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

static void log_failure(hub_redis_conn *c, const char *why)
{
    c->failures++;
    /* the first failure says it clearly; then a line now and then, not one per attempt */
    hub_log(c->failures == 1 || c->failures % 50 == 0 ? HUB_LOG_WARN : HUB_LOG_DEBUG,
            "redis: %s: cannot connect to %s:%d: %s; retrying (attempt %u)", c->what, c->url.host,
            c->url.port, why, c->failures);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    hub_redis_conn *c = ac->data;

    uv_timer_stop(&c->timer);
    if (status != REDIS_OK) {
        c->ac = NULL; /* hiredis frees it */
        if (c->closing) {
            finish_close(c);
            return;
        }
        log_failure(c, ac->errstr[0] ? ac->errstr : "connection failed");
        retry_later(c);
        return;
    }
    c->ready = 1;
    if (c->failures)
        hub_log(HUB_LOG_INFO, "redis: %s: connected to %s:%d after %u failed attempts", c->what,
                c->url.host, c->url.port, c->failures);
    c->failures = 0;
    c->backoff_ms = BACKOFF_MIN_MS;
    if (c->closing) return;
    if (c->hooks->up) c->hooks->up(c->ud, c);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    hub_redis_conn *c = ac->data;
    int was_ready = c->ready;

    c->ac = NULL;
    c->ready = 0;
    if (c->closing) {
        uv_timer_stop(&c->timer);
        finish_close(c);
        return;
    }
    hub_log(HUB_LOG_WARN, "redis: %s: connection to %s:%d lost: %s", c->what, c->url.host,
            c->url.port, status == REDIS_OK ? "reset" : ac->errstr);
    if (was_ready && c->hooks->down) c->hooks->down(c->ud, c);
    c->backoff_ms = BACKOFF_MIN_MS;
    if (!c->closing) retry_later(c);
}

static void start(hub_redis_conn *c)
{
    char why[128];

    if (c->closing || c->ac) return;
    c->ac = hub_redis_dial(c->loop, &c->url, c->what, c, on_connect, on_disconnect, why, sizeof why);
    if (!c->ac) {
        log_failure(c, why);
        retry_later(c);
        return;
    }
    uv_timer_start(&c->timer, on_timer, CONNECT_TIMEOUT_MS, 0);
}

static const struct hub_redis_conn_hooks no_hooks;

hub_redis_conn *hub_redis_conn_new(uv_loop_t *loop, const struct hub_redis_url *url,
                                   const char *what, const struct hub_redis_conn_hooks *hooks,
                                   void *ud)
{
    hub_redis_conn *c;

    if (!loop || !url || !what) return NULL;
    if (!(c = hub_calloc(1, sizeof(*c)))) return NULL;
    c->loop = loop;
    c->url = *url;
    c->what = what;
    c->hooks = hooks ? hooks : &no_hooks;
    c->ud = ud;
    c->backoff_ms = BACKOFF_MIN_MS;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    start(c);
    return c;
}

redisAsyncContext *hub_redis_conn_context(const hub_redis_conn *c)
{
    return c && c->ready && !c->closing ? c->ac : NULL;
}

void hub_redis_conn_reset(hub_redis_conn *c)
{
    if (!c || c->closing || !c->ac || !c->ready) return;
    redisAsyncFree(c->ac); /* the disconnect callback runs (now or after the current callback) */
}

void hub_redis_conn_close(hub_redis_conn *c)
{
    if (!c || c->closing) return;
    c->closing = 1;
    uv_timer_stop(&c->timer);
    if (c->ac && c->ready) {
        /* sends what is queued, then closes; forced if Redis does not answer in time */
        redisAsyncDisconnect(c->ac);
        if (c->ac) uv_timer_start(&c->timer, on_timer, CLOSE_GRACE_MS, 0);
    } else if (c->ac) {
        redisAsyncContext *ac = c->ac;
        c->ac = NULL;
        redisAsyncFree(ac);
    }
    finish_close(c);
}
