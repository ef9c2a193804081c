/* main.c - the hubbub daemon: configuration, one event loop, the HTTP listener, signals. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "apps.h"
#include "config.h"
#include "http.h"
#include "hub_alloc.h"
#include "hubbub.h"
#include "log.h"

#define SHUTDOWN_GRACE_MS 200

struct daemon {
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    uv_timer_t grace;
    hub_server *srv;
    hub_http *http;
    int stopping;
};

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
    struct daemon *d = t->data;
    hub_http_stop(d->http);
    uv_close((uv_handle_t *)&d->grace, NULL);
}

/* SIGINT/SIGTERM: every client is disconnected ("server shutting down"), the close frames get a moment
 * to go out, then the listener stops and the loop runs dry. */
static void on_signal(uv_signal_t *sig, int signum)
{
    struct daemon *d = sig->data;
    if (d->stopping)
        return;
    d->stopping = 1;
    hub_log(HUB_LOG_INFO, "signal %d: shutting down", signum);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    hub_server_shutdown(d->srv);
    uv_timer_init(&d->loop, &d->grace);
    d->grace.data = d;
    uv_timer_start(&d->grace, on_grace, SHUTDOWN_GRACE_MS, 0);
}

static void close_any(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int main(int argc, char **argv)
{
    struct hub_config cfg;
    char err[512];
    hub_alloc_set(NULL); /* jansson allocates through our wrappers too */
    hub_config_init(&cfg);
    int rc = hub_config_parse_args(&cfg, argc, argv, err, sizeof err);
    if (rc != 0) {
        hub_config_free(&cfg);
        if (rc > 0)
            return 0;
        fprintf(stderr, "hubbub: %s\n", err);
        return 2;
    }
    hub_log_set_level(cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    static struct daemon d;
    int status = 1;
    uv_loop_init(&d.loop);
    d.srv = hub_server_new(&d.loop, &cfg);
    if (!d.srv) {
        hub_log(HUB_LOG_ERROR, "cannot create the server");
        goto fail_server;
    }
    if (hub_apps_install(d.srv, &cfg) != 0) {
        hub_log(HUB_LOG_ERROR, "cannot set up the namespaces");
        goto fail_apps;
    }
    d.http = hub_http_start(d.srv, &cfg, err, sizeof err);
    if (!d.http) {
        hub_log(HUB_LOG_ERROR, "%s", err);
        goto fail_apps;
    }
    uv_signal_init(&d.loop, &d.sigint);
    uv_signal_init(&d.loop, &d.sigterm);
    d.sigint.data = d.sigterm.data = &d;
    uv_signal_start(&d.sigint, on_signal, SIGINT);
    uv_signal_start(&d.sigterm, on_signal, SIGTERM);
    printf("listening on %s:%d\n", cfg.host, hub_http_port(d.http));
    fflush(stdout);
    hub_log(HUB_LOG_INFO, "hubbub %s listening on %s:%d", HUB_VERSION, cfg.host,
            hub_http_port(d.http));

    uv_run(&d.loop, UV_RUN_DEFAULT);
    hub_http_free(d.http);
    status = 0;

fail_apps:
    hub_server_free(d.srv);
fail_server:
    uv_walk(&d.loop, close_any, NULL);
    uv_run(&d.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&d.loop) != 0)
        hub_log(HUB_LOG_WARN, "event loop closed with handles still open");
    hub_config_free(&cfg);
    return status;
}
