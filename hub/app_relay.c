/* app_relay.c - the relay app (apps.h): rooms on request, everything else fanned out to them. */
#include "apps.h"

#include <string.h>

#include "hub_alloc.h"

#define ROOM_NAME_MAX 256
#define SMALL_ROOMS 16

static void answer(const struct hub_event *ev, const char *error)
{
    json_t *args;

    if (!ev->ack) return;
    args =
        error ? json_pack("[{s:b,s:s}]", "ok", 0, "error", error) : json_pack("[{s:b}]", "ok", 1);
    if (args) hub_ack_send(ev->ack, args, NULL, 0);
    json_decref(args);
}

/* The room argument, or NULL with *error set. A socket id other than the sender's is refused:
 * joining it would receive that socket's private messages. */
static const char *room_arg(hub_socket *s, const struct hub_event *ev, const char **error)
{
    const json_t *r = json_array_get(ev->args, 0);
    const char *room = json_string_value(r);
    hub_socket *owner;

    if (!room || strlen(room) != json_string_length(r)) {
        *error = "room must be a string";
        return NULL;
    }
    if (!room[0]) {
        *error = "room must not be empty";
        return NULL;
    }
    if (json_string_length(r) > ROOM_NAME_MAX) {
        *error = "room name too long";
        return NULL;
    }
    owner = hub_nsp_socket(hub_socket_nsp(s), room);
    if (owner || strcmp(room, hub_socket_id(s)) == 0) {
        *error = "reserved room";
        return NULL;
    }
    return room;
}

static void on_join(hub_socket *s, const struct hub_event *ev, void *ud)
{
    const char *error = NULL, *room = room_arg(s, ev, &error);
    int rc;

    (void)ud;
    if (room && (rc = hub_socket_join(s, room)) != 0)
        error = rc == HUB_ELIMIT ? "too many rooms" : hub_strerror(rc);
    answer(ev, error);
}

static void on_leave(hub_socket *s, const struct hub_event *ev, void *ud)
{
    const char *error = NULL, *room = room_arg(s, ev, &error);

    (void)ud;
    if (room) hub_socket_leave(s, room); /* leaving a room one is not in is fine */
    answer(ev, error);
}

static void on_any(hub_socket *s, const struct hub_event *ev, void *ud)
{
    const char *small[SMALL_ROOMS], **rooms = small, *room, *id = hub_socket_id(s);
    size_t n = hub_socket_room_count(s), k = 0, pos = 0;
    struct hub_target t;
    int rc;

    (void)ud;
    if (strcmp(ev->name, "join") == 0 || strcmp(ev->name, "leave") == 0) return;
    if (strncmp(ev->name, "bus:", 4) == 0) return; /* the event bus's (bus_socket.h) */
    if (n > SMALL_ROOMS && !(rooms = hub_calloc(n, sizeof(*rooms)))) {
        answer(ev, hub_strerror(HUB_ENOMEM));
        return;
    }
    while (k < n && hub_socket_rooms_next(s, &pos, &room))
        if (strcmp(room, id) != 0) rooms[k++] = room;
    memset(&t, 0, sizeof(t));
    t.rooms = rooms;
    t.nrooms = k;
    t.exclude = s;
    rc = hub_nsp_emit(hub_socket_nsp(s), &t, ev->name, ev->args, ev->bufs, ev->nbufs);
    if (rooms != small) hub_free(rooms);
    answer(ev, rc < 0 ? hub_strerror(rc) : NULL);
}

int hub_app_relay_install(hub_nsp *nsp)
{
    int rc;

    if ((rc = hub_nsp_on(nsp, "join", on_join, NULL)) ||
        (rc = hub_nsp_on(nsp, "leave", on_leave, NULL)) ||
        (rc = hub_nsp_on(nsp, NULL, on_any, NULL)))
        return rc;
    return 0;
}
