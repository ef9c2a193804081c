/* rooms.h - the rooms of one namespace: room -> members and member -> rooms, both ways O(1).
 *
 * This is the bookkeeping half of socket.io-adapter's in-memory Adapter (its `rooms` and `sids`
 * maps), kept in the core so that a cluster back end only publishes and reports what arrives. A
 * member is known by its id (a socket id, which is also the name of the member's own room) and
 * carries an opaque pointer (the socket). A member exists while it is in at least one room; a room
 * exists while it has at least one member. Iteration is in insertion order, as the reference's
 * Sets.
 *
 * Strings passed in are copied or compared, never kept. */
#ifndef HUB_ROOMS_H
#define HUB_ROOMS_H

#include <stddef.h>
#include <stdint.h>

typedef struct hub_rooms hub_rooms;

/* Returns new, empty rooms whose hash tables use the seed (k0, k1), or NULL. */
hub_rooms *hub_rooms_new(uint64_t k0, uint64_t k1);
/* Frees everything (member pointers are not touched). NULL is a no-op. */
void hub_rooms_free(hub_rooms *r);

/* Adds member id (with its pointer ptr) to room. Returns 0 when it joined, 1 when it was already in
 * the room (ptr is not changed), HUB_EINVAL (ptr NULL or a different ptr for a known id) or
 * HUB_ENOMEM (nothing changed). */
int hub_rooms_join(hub_rooms *r, const char *id, void *ptr, const char *room);
/* Removes member id from room. Returns 0, or HUB_ENOTFOUND when it was not in it. */
int hub_rooms_leave(hub_rooms *r, const char *id, const char *room);
/* Removes member id from every room. Never fails. */
void hub_rooms_leave_all(hub_rooms *r, const char *id);

/* Number of rooms. */
size_t hub_rooms_count(const hub_rooms *r);
/* Number of members (in at least one room). */
size_t hub_rooms_members(const hub_rooms *r);
/* Number of members in room (0 when it does not exist). */
size_t hub_rooms_size(const hub_rooms *r, const char *room);
/* Number of rooms member id is in. */
size_t hub_rooms_of_count(const hub_rooms *r, const char *id);
/* 1 when member id is in room. */
int hub_rooms_has(const hub_rooms *r, const char *id, const char *room);

/* Iterates the rooms of member id in the order it joined them: *pos starts at 0. Returns 1 with
 * *room set (borrowed: valid until the member leaves it), or 0 at the end. The member may leave
 * rooms during the iteration, not join any. */
int hub_rooms_of_next(const hub_rooms *r, const char *id, size_t *pos, const char **room);
/* Iterates the rooms (names, in creation order) in the same way: returns 1 with *room set
 * (borrowed: valid until the room empties), or 0 at the end. */
int hub_rooms_next(const hub_rooms *r, size_t *pos, const char **room);
/* Iterates the members of room (pointers, in joining order) in the same way. */
int hub_rooms_members_next(const hub_rooms *r, const char *room, size_t *pos, void **ptr);

/* Collects the members targeted by a broadcast, as the reference adapter's apply(): the members of
 * any of rooms (every member when nrooms is 0), each once, minus the members of any of except.
 * Writes a new array (hub_free) of member pointers to *out (NULL when empty) and their number to
 * *n. Returns 0 or HUB_ENOMEM. */
int hub_rooms_select(hub_rooms *r, const char *const *rooms, size_t nrooms,
                     const char *const *except, size_t nexcept, void ***out, size_t *n);

#endif
