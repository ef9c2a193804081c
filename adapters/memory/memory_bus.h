/* memory_bus.h - a hub_bus on the two in-memory stores (memory.h), in the shape of the bus factory
 * that hub/bus_socket.h takes. */
#ifndef HUB_ADAPTERS_MEMORY_BUS_H
#define HUB_ADAPTERS_MEMORY_BUS_H

#include <uv.h>

#include "bus.h"

/* Returns a new bus on loop owning a new in-memory queue store and topic store (default store
 * options), or NULL. opts may be NULL; ud is unused. Free it with hub_bus_free(). */
hub_bus *hub_memory_bus_new(uv_loop_t *loop, const struct hub_bus_options *opts, void *ud);

#endif
