/* store_lua.h - the one Lua script behind every operation of the Redis stores (see
 * store_internal.h for how it is called and docs/REDIS-STORE.md for the keys it keeps). */
#ifndef HUB_REDIS_STORE_LUA_H
#define HUB_REDIS_STORE_LUA_H

extern const char hub_redis_store_lua[];

#endif
