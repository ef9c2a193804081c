/* main.c - the hubbub daemon: configuration, the namespaces' built-in apps, then hub_run(). */
#include <stdio.h>
#include <uv.h>

#include "apps.h"
#include "aws_run.h"
#include "bus_socket.h"
#include "config.h"
#include "hub_alloc.h"
#include "hubbub.h"
#include "log.h"
#include "ops.h"
#include "redis/redis.h"
#include "redis/redis_bus.h"
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
    /* Metrics, the Admin UI, the dashboard (ops.h); its bus factory counts into the metrics. */
    struct hub_ops ops;
    int ops_rc = hub_ops_init(&ops, srv, &cfg);
    /* With "redis" the queues and topics live in Redis, shared by every node (redis_bus.h). */
    struct hub_redis_bus rbus = {0};
    int rbus_rc = cfg.redis ? hub_redis_bus_init(&rbus, &cfg) : 0;
    if (cfg.redis && ops_rc == 0 && ops.metrics) rbus.counts = hub_metrics_bus_counts(ops.metrics);
    /* The AWS SQS/SNS APIs (aws_run.h) wrap the bus factory and the run hooks. */
    struct hub_aws_run aws;
    int aws_rc = cfg.redis ? hub_aws_run_init(&aws, srv, &cfg, hub_redis_bus_new, &rbus)
                           : hub_aws_run_init(&aws, srv, &cfg, hub_ops_make_memory_bus, &ops);
    /* Before the apps: its handlers then run before an app's catch-all (bus_socket.h). */
    hub_bus_socket *bus = srv && aws_rc == 0 && rbus_rc == 0
                              ? hub_bus_socket_new(srv, &cfg, hub_aws_run_make_bus, &aws)
                              : NULL;
    aws.bus_socket = bus;
    if (!srv) {
        hub_log(HUB_LOG_ERROR, "cannot create the server");
        uv_loop_close(&loop);
    } else if (!bus || ops_rc != 0 || hub_apps_install(srv, &cfg) != 0 ||
               hub_redis_attach(srv, &cfg) != 0) {
        hub_log(HUB_LOG_ERROR, "cannot set up the namespaces");
        hub_server_free(srv);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    } else {
        hub_routes *routes = hub_routes_new();
        hub_web *web = routes ? hub_web_install(routes, srv, &cfg) : NULL;
        if (!web || hub_bus_socket_add_routes(bus, routes) != 0 ||
            hub_aws_run_add_routes(&aws, routes) != 0 ||
            hub_ops_install(&ops, srv, &cfg, bus, routes, web) != 0 ||
            (cfg.redis && hub_web_ready_add(web, "busStore", hub_redis_bus_ready, &rbus) != 0)) {
            hub_log(HUB_LOG_ERROR, "cannot set up the HTTP routes");
            hub_ops_stop(&ops);
            hub_server_free(srv);
            uv_run(&loop, UV_RUN_DEFAULT);
            uv_loop_close(&loop);
        } else {
            struct hub_run_hooks hooks = {.routes = routes,
                                          .started = hub_aws_run_started,
                                          .stopping = hub_aws_run_stopping,
                                          .ud = &aws};
            status = hub_run(srv, &cfg, hub_ops_hooks(&ops, &hooks));
        }
        hub_web_free(web);
        hub_routes_free(routes);
    }
    hub_bus_socket_free(bus);
    hub_aws_run_free(&aws);
    hub_ops_free(&ops);
    hub_redis_bus_clear(&rbus);
    hub_config_free(&cfg);
    return status;
}
