/* map.h - an insertion-ordered hash map from byte-string keys to pointers, for rooms and sockets.
 *
 * Open addressing (linear probing) over an index of 32-bit slots that point into a dense array of
 * entries, as CPython's dict does: lookups, inserts and deletes are O(1) amortized, iteration walks
 * the dense array in insertion order and is as fast as walking an array. Keys come from clients
 * (room names), so the hash is SipHash-1-3 keyed with the map's own seed: collisions cannot be
 * forced.
 *
 * Keys are borrowed: the caller keeps each key's bytes alive and unchanged (usually inside the
 * value) until it is deleted. Values are never NULL. The struct is public so it can be embedded;
 * treat its fields as private. */
#ifndef HUB_MAP_H
#define HUB_MAP_H

#include <stddef.h>
#include <stdint.h>

struct hub_map_entry {
    const char *key; /* NULL: deleted */
    size_t len;
    void *value;
    uint64_t hash;
};

struct hub_map {
    uint32_t *index; /* nslots slots: 0 empty, UINT32_MAX deleted, else entry + 1 */
    struct hub_map_entry
        *entries;    /* dense, insertion order, with holes where entries were deleted */
    size_t nslots;   /* a power of two, or 0 before the first put */
    size_t used;     /* entries[0..used) in use, holes included */
    size_t count;    /* live entries */
    uint64_t k0, k1; /* hash seed */
};

/* Initialises an empty map that hashes with the seed (k0, k1). Allocates nothing. */
void hub_map_init(struct hub_map *m, uint64_t k0, uint64_t k1);
/* Frees the map's own memory (not the keys or values) and leaves it empty, seed kept. */
void hub_map_clear(struct hub_map *m);

static inline size_t hub_map_count(const struct hub_map *m)
{
    return m->count;
}

/* The value for key, or NULL. */
void *hub_map_get(const struct hub_map *m, const char *key, size_t len);
/* Adds key -> value (value not NULL). Returns 0, HUB_EEXISTS (nothing changed), HUB_EINVAL or
 * HUB_ENOMEM. */
int hub_map_put(struct hub_map *m, const char *key, size_t len, void *value);
/* Removes key and returns its value, or NULL when absent. Never allocates. */
void *hub_map_del(struct hub_map *m, const char *key, size_t len);

/* Iterates in insertion order: *pos starts at 0. Returns 1 with the next entry (key, len and value
 * may be NULL when not wanted), or 0 at the end. Deleting entries during an iteration is allowed
 * (deleted ones are skipped); adding entries is not. */
int hub_map_next(const struct hub_map *m, size_t *pos, const char **key, size_t *len, void **value);

/* SipHash-1-3 of len bytes with the key (k0, k1). */
uint64_t hub_map_hash(uint64_t k0, uint64_t k1, const void *data, size_t len);

#endif
