/* map.c - an ordered open-addressing map. The index only ever holds slots for entries[0..used),
 * holes included, and used stays below 3/4 of the slots, so probing always finds an empty slot.
 * Holes are squeezed out when the entries array fills up (rebuild), which also drops the index's
 * deleted marks. */
#include "map.h"

#include <string.h>

#include "hub_alloc.h"
#include "hub_err.h"

#define SLOT_EMPTY 0u
#define SLOT_DELETED UINT32_MAX
#define MIN_SLOTS 8u

static inline uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = rotl(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = rotl(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = rotl(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = rotl(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = rotl(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = rotl(v2, 32);                                                                         \
    } while (0)

uint64_t hub_map_hash(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    uint64_t m, b = (uint64_t)len << 56;
    size_t i, left = len & 7;
    const uint8_t *end = p + (len - left);

    for (; p != end; p += 8) {
        m = 0;
        for (i = 0; i < 8; i++)
            m |= (uint64_t)p[i] << (8 * i);
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    for (i = 0; i < left; i++)
        b |= (uint64_t)p[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

static size_t entry_cap(size_t nslots)
{
    return nslots / 2 + nslots / 4;
}

void hub_map_init(struct hub_map *m, uint64_t k0, uint64_t k1)
{
    memset(m, 0, sizeof(*m));
    m->k0 = k0;
    m->k1 = k1;
}

void hub_map_clear(struct hub_map *m)
{
    hub_free(m->index);
    hub_free(m->entries);
    hub_map_init(m, m->k0, m->k1);
}

/* The slot holding key, or the first empty slot of its probe sequence when absent (*found 0). */
static size_t probe(const struct hub_map *m, const char *key, size_t len, uint64_t h, int *found)
{
    size_t mask = m->nslots - 1, i = (size_t)h & mask;

    for (;; i = (i + 1) & mask) {
        uint32_t s = m->index[i];
        if (s == SLOT_EMPTY) {
            *found = 0;
            return i;
        }
        if (s != SLOT_DELETED) {
            const struct hub_map_entry *e = &m->entries[s - 1];
            if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0) {
                *found = 1;
                return i;
            }
        }
    }
}

void *hub_map_get(const struct hub_map *m, const char *key, size_t len)
{
    int found;
    size_t i;

    if (!m->count) return NULL;
    i = probe(m, key, len, hub_map_hash(m->k0, m->k1, key, len), &found);
    return found ? m->entries[m->index[i] - 1].value : NULL;
}

/* Compacts the entries into a table sized for at least twice the live count plus one. */
static int rebuild(struct hub_map *m)
{
    size_t nslots = MIN_SLOTS, i, j, mask;
    uint32_t *index;
    struct hub_map_entry *entries;

    while (entry_cap(nslots) < 2 * (m->count + 1)) {
        if (nslots > (size_t)UINT32_MAX / 2) return HUB_ENOMEM;
        nslots *= 2;
    }
    index = hub_calloc(nslots, sizeof(*index));
    if (!index) return HUB_ENOMEM;
    entries = hub_calloc(entry_cap(nslots), sizeof(*entries));
    if (!entries) {
        hub_free(index);
        return HUB_ENOMEM;
    }
    mask = nslots - 1;
    for (i = 0, j = 0; i < m->used; i++) {
        size_t s;
        if (!m->entries[i].key) continue;
        entries[j] = m->entries[i];
        for (s = (size_t)entries[j].hash & mask; index[s] != SLOT_EMPTY; s = (s + 1) & mask)
            ;
        index[s] = (uint32_t)(j + 1);
        j++;
    }
    hub_free(m->index);
    hub_free(m->entries);
    m->index = index;
    m->entries = entries;
    m->nslots = nslots;
    m->used = j;
    return 0;
}

int hub_map_put(struct hub_map *m, const char *key, size_t len, void *value)
{
    uint64_t h;
    size_t i;
    int found, rc;

    if (!key || !value) return HUB_EINVAL;
    h = hub_map_hash(m->k0, m->k1, key, len);
    if (m->count) {
        probe(m, key, len, h, &found);
        if (found) return HUB_EEXISTS;
    }
    if (m->used >= entry_cap(m->nslots)) {
        rc = rebuild(m);
        if (rc) return rc;
    }
    i = probe(m, key, len, h, &found);
    m->entries[m->used] = (struct hub_map_entry){key, len, value, h};
    m->index[i] = (uint32_t)(m->used + 1);
    m->used++;
    m->count++;
    return 0;
}

void *hub_map_del(struct hub_map *m, const char *key, size_t len)
{
    struct hub_map_entry *e;
    void *value;
    size_t i;
    int found;

    if (!m->count) return NULL;
    i = probe(m, key, len, hub_map_hash(m->k0, m->k1, key, len), &found);
    if (!found) return NULL;
    e = &m->entries[m->index[i] - 1];
    value = e->value;
    e->key = NULL;
    e->value = NULL;
    m->index[i] = SLOT_DELETED;
    if (--m->count == 0) hub_map_clear(m);
    return value;
}

int hub_map_next(const struct hub_map *m, size_t *pos, const char **key, size_t *len, void **value)
{
    while (*pos < m->used) {
        const struct hub_map_entry *e = &m->entries[(*pos)++];
        if (!e->key) continue;
        if (key) *key = e->key;
        if (len) *len = e->len;
        if (value) *value = e->value;
        return 1;
    }
    return 0;
}
