/* rooms.c - two maps that point at each other: a room holds its members keyed by member id, a
 * member holds its rooms keyed by room name; each key string is owned by the struct it names. A
 * broadcast de-duplicates with an epoch mark on the members instead of building a set. */
#include "rooms.h"

#include <string.h>

#include "hub_alloc.h"
#include "hub_err.h"
#include "map.h"

struct member {
    char *id;
    size_t len;
    void *ptr;
    struct hub_map rooms; /* room name -> struct room */
    uint64_t mark;        /* the last selection epoch that saw this member */
};

struct room {
    char *name;
    size_t len;
    struct hub_map members; /* member id -> struct member */
};

struct hub_rooms {
    struct hub_map rooms;   /* name -> struct room */
    struct hub_map members; /* id -> struct member */
    uint64_t k0, k1;
    uint64_t epoch;
};

hub_rooms *hub_rooms_new(uint64_t k0, uint64_t k1)
{
    hub_rooms *r = hub_calloc(1, sizeof(*r));

    if (!r) return NULL;
    r->k0 = k0;
    r->k1 = k1;
    hub_map_init(&r->rooms, k0, k1);
    hub_map_init(&r->members, k0 ^ 0x9e3779b97f4a7c15ULL, k1);
    return r;
}

static void room_free(struct room *rm)
{
    hub_map_clear(&rm->members);
    hub_free(rm->name);
    hub_free(rm);
}

static void member_free(struct member *m)
{
    hub_map_clear(&m->rooms);
    hub_free(m->id);
    hub_free(m);
}

void hub_rooms_free(hub_rooms *r)
{
    size_t pos = 0;
    void *v;

    if (!r) return;
    while (hub_map_next(&r->rooms, &pos, NULL, NULL, &v))
        room_free(v);
    pos = 0;
    while (hub_map_next(&r->members, &pos, NULL, NULL, &v))
        member_free(v);
    hub_map_clear(&r->rooms);
    hub_map_clear(&r->members);
    hub_free(r);
}

static struct member *member_get(const hub_rooms *r, const char *id)
{
    return hub_map_get(&r->members, id, strlen(id));
}

static struct room *room_get(const hub_rooms *r, const char *room)
{
    return hub_map_get(&r->rooms, room, strlen(room));
}

static struct member *member_new(hub_rooms *r, const char *id, void *ptr)
{
    struct member *m = hub_calloc(1, sizeof(*m));

    if (!m) return NULL;
    m->len = strlen(id);
    m->id = hub_strndup(id, m->len);
    if (!m->id) goto fail_id;
    m->ptr = ptr;
    hub_map_init(&m->rooms, r->k0, r->k1);
    if (hub_map_put(&r->members, m->id, m->len, m)) goto fail_put;
    return m;

fail_put:
    hub_free(m->id);
fail_id:
    hub_free(m);
    return NULL;
}

static struct room *room_new(hub_rooms *r, const char *name)
{
    struct room *rm = hub_calloc(1, sizeof(*rm));

    if (!rm) return NULL;
    rm->len = strlen(name);
    rm->name = hub_strndup(name, rm->len);
    if (!rm->name) goto fail_name;
    hub_map_init(&rm->members, r->k0 ^ 0x9e3779b97f4a7c15ULL, r->k1);
    if (hub_map_put(&r->rooms, rm->name, rm->len, rm)) goto fail_put;
    return rm;

fail_put:
    hub_free(rm->name);
fail_name:
    hub_free(rm);
    return NULL;
}

/* Drops the room or the member when it became empty. */
static void room_gc(hub_rooms *r, struct room *rm)
{
    if (hub_map_count(&rm->members) == 0) {
        hub_map_del(&r->rooms, rm->name, rm->len);
        room_free(rm);
    }
}

static void member_gc(hub_rooms *r, struct member *m)
{
    if (hub_map_count(&m->rooms) == 0) {
        hub_map_del(&r->members, m->id, m->len);
        member_free(m);
    }
}

int hub_rooms_join(hub_rooms *r, const char *id, void *ptr, const char *room)
{
    struct member *m;
    struct room *rm;

    if (!ptr) return HUB_EINVAL;
    m = member_get(r, id);
    if (m && m->ptr != ptr) return HUB_EINVAL;
    rm = room_get(r, room);
    if (m && rm && hub_map_get(&m->rooms, rm->name, rm->len)) return 1;
    if (!m && !(m = member_new(r, id, ptr))) return HUB_ENOMEM;
    if (!rm && !(rm = room_new(r, room))) goto fail_room;
    if (hub_map_put(&rm->members, m->id, m->len, m)) goto fail_members;
    if (hub_map_put(&m->rooms, rm->name, rm->len, rm)) goto fail_rooms;
    return 0;

fail_rooms:
    hub_map_del(&rm->members, m->id, m->len);
fail_members:
    room_gc(r, rm);
fail_room:
    member_gc(r, m);
    return HUB_ENOMEM;
}

int hub_rooms_leave(hub_rooms *r, const char *id, const char *room)
{
    struct member *m = member_get(r, id);
    struct room *rm;

    if (!m) return HUB_ENOTFOUND;
    rm = hub_map_del(&m->rooms, room, strlen(room));
    if (!rm) return HUB_ENOTFOUND;
    hub_map_del(&rm->members, m->id, m->len);
    room_gc(r, rm);
    member_gc(r, m);
    return 0;
}

void hub_rooms_leave_all(hub_rooms *r, const char *id)
{
    struct member *m = member_get(r, id);
    size_t pos = 0;
    void *v;

    if (!m) return;
    while (hub_map_next(&m->rooms, &pos, NULL, NULL, &v)) {
        struct room *rm = v;
        hub_map_del(&rm->members, m->id, m->len);
        room_gc(r, rm);
    }
    hub_map_del(&r->members, m->id, m->len);
    member_free(m);
}

size_t hub_rooms_count(const hub_rooms *r)
{
    return hub_map_count(&r->rooms);
}

size_t hub_rooms_members(const hub_rooms *r)
{
    return hub_map_count(&r->members);
}

size_t hub_rooms_size(const hub_rooms *r, const char *room)
{
    const struct room *rm = room_get(r, room);
    return rm ? hub_map_count(&rm->members) : 0;
}

size_t hub_rooms_of_count(const hub_rooms *r, const char *id)
{
    const struct member *m = member_get(r, id);
    return m ? hub_map_count(&m->rooms) : 0;
}

int hub_rooms_has(const hub_rooms *r, const char *id, const char *room)
{
    const struct member *m = member_get(r, id);
    return m && hub_map_get(&m->rooms, room, strlen(room)) != NULL;
}

int hub_rooms_of_next(const hub_rooms *r, const char *id, size_t *pos, const char **room)
{
    const struct member *m = member_get(r, id);
    return m ? hub_map_next(&m->rooms, pos, room, NULL, NULL) : 0;
}

int hub_rooms_next(const hub_rooms *r, size_t *pos, const char **room)
{
    return hub_map_next(&r->rooms, pos, room, NULL, NULL);
}

int hub_rooms_members_next(const hub_rooms *r, const char *room, size_t *pos, void **ptr)
{
    const struct room *rm = room_get(r, room);
    void *v;

    if (!rm || !hub_map_next(&rm->members, pos, NULL, NULL, &v)) return 0;
    *ptr = ((struct member *)v)->ptr;
    return 1;
}

int hub_rooms_select(hub_rooms *r, const char *const *rooms, size_t nrooms,
                     const char *const *except, size_t nexcept, void ***out, size_t *n)
{
    uint64_t epoch = ++r->epoch;
    size_t i, cap = 0, k = 0, pos;
    void **v = NULL, *e;
    struct room *rm;

    *out = NULL;
    *n = 0;
    if (nrooms) {
        for (i = 0; i < nrooms; i++)
            if ((rm = room_get(r, rooms[i]))) cap += hub_map_count(&rm->members);
    } else {
        cap = hub_map_count(&r->members);
    }
    if (!cap) return 0;
    for (i = 0; i < nexcept; i++) {
        if (!(rm = room_get(r, except[i]))) continue;
        pos = 0;
        while (hub_map_next(&rm->members, &pos, NULL, NULL, &e))
            ((struct member *)e)->mark = epoch;
    }
    v = hub_calloc(cap, sizeof(*v));
    if (!v) return HUB_ENOMEM;
    if (nrooms) {
        for (i = 0; i < nrooms; i++) {
            if (!(rm = room_get(r, rooms[i]))) continue;
            pos = 0;
            while (hub_map_next(&rm->members, &pos, NULL, NULL, &e)) {
                struct member *m = e;
                if (m->mark == epoch) continue;
                m->mark = epoch;
                v[k++] = m->ptr;
            }
        }
    } else {
        pos = 0;
        while (hub_map_next(&r->members, &pos, NULL, NULL, &e)) {
            struct member *m = e;
            if (m->mark != epoch) v[k++] = m->ptr;
        }
    }
    if (!k) {
        hub_free(v);
        return 0;
    }
    *out = v;
    *n = k;
    return 0;
}
