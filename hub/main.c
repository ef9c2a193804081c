/* main.c - the hubbub daemon: configuration, the namespaces' built-in apps, then hub_run(). */
#include <stdio.h>
#include <uv.h>

#include "apps.h"
#include "bus_socket.h"
#include "config.h"
#include "hub_alloc.h"
#include "hubbub.h"
#include "log.h"
#include "memory/memory_bus.h"
#include "redis/redis.h"
#include "run.h"
#include "web.h"

int main(int argc, char **argv)
{
    static uv_loop_t loop;
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

    int status = 1;
    uv_loop_init(&loop);
    hub_server *srv = hub_server_new(&loop, &cfg);
    /* Before the apps: its handlers then run before an app's catch-all (bus_socket.h). */
    hub_bus_socket *bus = srv ? hub_bus_socket_new(srv, &cfg, hub_memory_bus_new, NULL) : NULL;
    if (!srv) {
        hub_log(HUB_LOG_ERROR, "cannot create the server");
        uv_loop_close(&loop);
    } else if (!bus || hub_apps_install(srv, &cfg) != 0 || hub_redis_attach(srv, &cfg) != 0) {
        hub_log(HUB_LOG_ERROR, "cannot set up the namespaces");
        hub_server_free(srv);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    } else {
        hub_routes *routes = hub_routes_new();
        hub_web *web = routes ? hub_web_install(routes, srv, &cfg) : NULL;
        if (!web || hub_bus_socket_add_routes(bus, routes) != 0) {
            hub_log(HUB_LOG_ERROR, "cannot set up the HTTP routes");
            hub_server_free(srv);
            uv_run(&loop, UV_RUN_DEFAULT);
            uv_loop_close(&loop);
        } else {
            struct hub_run_hooks hooks = {.routes = routes,
                                          .started = hub_bus_socket_run_started,
                                          .stopping = hub_bus_socket_run_stopping,
                                          .ud = bus};
            status = hub_run(srv, &cfg, &hooks);
        }
        hub_web_free(web);
        hub_routes_free(routes);
    }
    hub_bus_socket_free(bus);
    hub_config_free(&cfg);
    return status;
}
