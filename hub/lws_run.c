/* lws_run.c - the process life of a hub (see run.h). Part of the glue library because it drives the
 * listener; it does not touch libwebsockets itself. */
#include "run.h"

#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

#include "http.h"
#include "log.h"

#define SHUTDOWN_GRACE_MS 200

struct run {
    const struct hub_run_hooks *hooks;
    uv_signal_t sigint, sigterm;
    uv_timer_t grace;
    hub_server *srv;
    hub_http *http;
    int stopping;
};

/* Many connections want many descriptors: take the hard limit. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void on_grace(uv_timer_t *t)
{
    struct run *r = t->data;
    hub_http_stop(r->http);
    uv_close((uv_handle_t *)&r->grace, NULL);
}

static void on_signal(uv_signal_t *sig, int signum)
{
    struct run *r = sig->data;
    if (r->stopping)
        return;
    r->stopping = 1;
    hub_log(HUB_LOG_INFO, "signal %d: shutting down", signum);
    uv_close((uv_handle_t *)&r->sigint, NULL);
    uv_close((uv_handle_t *)&r->sigterm, NULL);
    if (r->hooks && r->hooks->stopping)
        r->hooks->stopping(r->hooks->ud);
    hub_server_shutdown(r->srv);
    uv_timer_init(hub_server_loop(r->srv), &r->grace);
    r->grace.data = r;
    uv_timer_start(&r->grace, on_grace, SHUTDOWN_GRACE_MS, 0);
}

static void close_any(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int hub_run(hub_server *srv, const struct hub_config *cfg, const struct hub_run_hooks *hooks)
{
    struct run r = {.srv = srv, .hooks = hooks};
    uv_loop_t *loop = hub_server_loop(srv);
    char err[512];
    int status = 1;

    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    r.http = hub_http_start(srv, cfg, hooks ? hooks->routes : NULL, err, sizeof err);
    if (!r.http) {
        hub_log(HUB_LOG_ERROR, "%s", err);
        goto out;
    }
    if (hooks && hooks->started && hooks->started(r.http, hooks->ud) != 0) {
        hub_log(HUB_LOG_ERROR, "start-up failed");
        hub_http_stop(r.http);
        uv_run(loop, UV_RUN_DEFAULT);
        hub_http_free(r.http);
        goto out;
    }
    uv_signal_init(loop, &r.sigint);
    uv_signal_init(loop, &r.sigterm);
    r.sigint.data = r.sigterm.data = &r;
    uv_signal_start(&r.sigint, on_signal, SIGINT);
    uv_signal_start(&r.sigterm, on_signal, SIGTERM);
    printf("listening on %s:%d\n", cfg->host, hub_http_port(r.http));
    fflush(stdout);
    hub_log(HUB_LOG_INFO, "hubbub %s listening on %s:%d", HUB_VERSION, cfg->host,
            hub_http_port(r.http));
    uv_run(loop, UV_RUN_DEFAULT);
    hub_http_free(r.http);
    status = 0;
out:
    hub_server_free(srv);
    uv_walk(loop, close_any, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    if (uv_loop_close(loop) != 0)
        hub_log(HUB_LOG_WARN, "event loop closed with handles still open");
    return status;
}
