/* apps.c - installs the built-in apps (apps.h) that a config names. */
#include "apps.h"

int hub_apps_install(hub_server *srv, const struct hub_config *cfg)
{
    size_t i;
    int rc;

    if (!srv || !cfg) return HUB_EINVAL;
    if (!cfg->has_namespaces) {
        hub_nsp *nsp = hub_server_of(srv, "/");
        return nsp ? hub_app_relay_install(nsp) : HUB_ENOMEM;
    }
    for (i = 0; i < cfg->nnamespaces; i++) {
        const struct hub_nsp_config *nc = &cfg->namespaces[i];
        hub_nsp *nsp = hub_server_of(srv, nc->name);
        if (!nsp) return HUB_ENOMEM;
        switch (nc->app) {
        case HUB_APP_ECHO:
            rc = hub_app_echo_install(nsp);
            break;
        case HUB_APP_RELAY:
            rc = hub_app_relay_install(nsp);
            break;
        case HUB_APP_CLUSTER:
            rc = hub_app_cluster_install(nsp);
            break;
        case HUB_APP_NONE:
            rc = 0;
            break;
        default:
            rc = HUB_EINVAL;
            break;
        }
        if (rc) return rc;
    }
    return 0;
}
