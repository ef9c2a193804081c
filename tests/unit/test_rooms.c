/* test_rooms.c - the ordered hash map (hub/map.h) and the rooms bookkeeping (hub/rooms.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_alloc.h"
#include "hub_err.h"
#include "map.h"
#include "rooms.h"
#include "testlib.h"

/* ---- map ---------------------------------------------------------------------------------------
 */

static void test_map_basic(void)
{
    struct hub_map m;
    int a = 1, b = 2, c = 3;
    const char *k;
    size_t len, pos = 0;
    void *v;

    hub_map_init(&m, 1, 2);
    CHECK(hub_map_get(&m, "a", 1) == NULL);
    CHECK(hub_map_del(&m, "a", 1) == NULL);
    CHECK_INT(hub_map_next(&m, &pos, &k, &len, &v), 0);
    CHECK_INT(hub_map_put(&m, "a", 1, &a), 0);
    CHECK_INT(hub_map_put(&m, "b", 1, &b), 0);
    CHECK_INT(hub_map_put(&m, "a", 1, &c), HUB_EEXISTS);
    CHECK_INT(hub_map_put(&m, "x", 1, NULL), HUB_EINVAL);
    CHECK(hub_map_get(&m, "a", 1) == &a);
    CHECK(hub_map_get(&m, "b", 1) == &b);
    CHECK(hub_map_get(&m, "ab", 2) == NULL);
    CHECK_INT(hub_map_count(&m), 2);
    /* keys are byte strings: an embedded NUL is part of the key */
    CHECK_INT(hub_map_put(&m, "a\0z", 3, &c), 0);
    CHECK(hub_map_get(&m, "a\0z", 3) == &c);
    CHECK(hub_map_get(&m, "a", 1) == &a);
    CHECK(hub_map_del(&m, "a", 1) == &a);
    CHECK(hub_map_get(&m, "a", 1) == NULL);
    CHECK_INT(hub_map_count(&m), 2);
    pos = 0;
    CHECK_INT(hub_map_next(&m, &pos, &k, &len, &v), 1);
    CHECK(v == &b && len == 1 && k[0] == 'b');
    CHECK_INT(hub_map_next(&m, &pos, &k, &len, &v), 1);
    CHECK(v == &c && len == 3);
    CHECK_INT(hub_map_next(&m, &pos, &k, &len, &v), 0);
    hub_map_clear(&m);
    CHECK_INT(hub_map_count(&m), 0);
    CHECK(hub_map_get(&m, "b", 1) == NULL);
}

#define MANY 20000

/* Insertion order survives growth, deletions and the rebuilds that squeeze out holes. */
static void test_map_many(void)
{
    static char keys[MANY][12];
    struct hub_map m;
    size_t i, pos, seen;
    void *v;
    int ok = 1;

    hub_map_init(&m, 0x0123456789abcdefULL, 42);
    for (i = 0; i < MANY; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
        if (hub_map_put(&m, keys[i], strlen(keys[i]), keys[i]) != 0) ok = 0;
    }
    CHECK(ok);
    CHECK_INT(hub_map_count(&m), MANY);
    for (i = 0; i < MANY; i += 2)
        if (hub_map_del(&m, keys[i], strlen(keys[i])) != keys[i]) ok = 0;
    CHECK(ok);
    CHECK_INT(hub_map_count(&m), MANY / 2);
    /* churn: delete and re-add, which forces rebuilds without growth */
    for (i = 0; i < 5 * MANY; i++) {
        size_t j = 2 * (i % (MANY / 2));
        if (hub_map_put(&m, keys[j], strlen(keys[j]), keys[j]) != 0 ||
            hub_map_del(&m, keys[j], strlen(keys[j])) != keys[j])
            ok = 0;
    }
    CHECK(ok);
    pos = 0;
    seen = 0;
    while (hub_map_next(&m, &pos, NULL, NULL, &v)) {
        if (v != keys[2 * seen + 1]) ok = 0;
        seen++;
    }
    CHECK(ok);
    CHECK_INT(seen, MANY / 2);
    for (i = 0; i < MANY; i++)
        if ((hub_map_get(&m, keys[i], strlen(keys[i])) != NULL) != (i % 2 == 1)) ok = 0;
    CHECK(ok);
    /* deleting every entry during an iteration */
    pos = 0;
    seen = 0;
    while (hub_map_next(&m, &pos, NULL, NULL, &v)) {
        CHECK(hub_map_del(&m, v, strlen(v)) == v);
        seen++;
    }
    CHECK_INT(seen, MANY / 2);
    CHECK_INT(hub_map_count(&m), 0);
    hub_map_clear(&m);
}

static void test_map_hash(void)
{
    /* SipHash-1-3 depends on the key and on every byte */
    CHECK(hub_map_hash(1, 2, "room", 4) != hub_map_hash(1, 3, "room", 4));
    CHECK(hub_map_hash(1, 2, "room", 4) != hub_map_hash(1, 2, "roon", 4));
    CHECK(hub_map_hash(1, 2, "room", 4) == hub_map_hash(1, 2, "room", 4));
    CHECK(hub_map_hash(1, 2, "", 0) != hub_map_hash(1, 2, "\0", 1));
    CHECK(hub_map_hash(1, 2, "12345678", 8) != hub_map_hash(1, 2, "123456789", 9));
}

/* ---- rooms -------------------------------------------------------------------------------------
 */

static int A, B, C, D;

static int contains(void **v, size_t n, void *p)
{
    size_t i;
    int count = 0;

    for (i = 0; i < n; i++)
        if (v[i] == p) count++;
    return count;
}

static void test_rooms_join_leave(void)
{
    hub_rooms *r = hub_rooms_new(7, 8);
    const char *room;
    size_t pos = 0;
    void *p;

    CHECK(r != NULL);
    CHECK_INT(hub_rooms_join(r, "a", &A, "a"), 0);
    CHECK_INT(hub_rooms_join(r, "a", &A, "lobby"), 0);
    CHECK_INT(hub_rooms_join(r, "a", &A, "lobby"), 1);
    CHECK_INT(hub_rooms_join(r, "a", &B, "x"), HUB_EINVAL); /* an id names one member */
    CHECK_INT(hub_rooms_join(r, "a", NULL, "x"), HUB_EINVAL);
    CHECK_INT(hub_rooms_join(r, "b", &B, "b"), 0);
    CHECK_INT(hub_rooms_join(r, "b", &B, "lobby"), 0);
    CHECK_INT(hub_rooms_count(r), 3);
    CHECK_INT(hub_rooms_members(r), 2);
    CHECK_INT(hub_rooms_size(r, "lobby"), 2);
    CHECK_INT(hub_rooms_size(r, "nope"), 0);
    CHECK_INT(hub_rooms_of_count(r, "a"), 2);
    CHECK(hub_rooms_has(r, "a", "lobby"));
    CHECK(!hub_rooms_has(r, "a", "b"));
    CHECK(!hub_rooms_has(r, "zz", "b"));

    /* joining order, own room first */
    CHECK_INT(hub_rooms_of_next(r, "a", &pos, &room), 1);
    CHECK_STR(room, "a");
    CHECK_INT(hub_rooms_of_next(r, "a", &pos, &room), 1);
    CHECK_STR(room, "lobby");
    CHECK_INT(hub_rooms_of_next(r, "a", &pos, &room), 0);
    pos = 0;
    CHECK_INT(hub_rooms_members_next(r, "lobby", &pos, &p), 1);
    CHECK(p == &A);
    CHECK_INT(hub_rooms_members_next(r, "lobby", &pos, &p), 1);
    CHECK(p == &B);
    CHECK_INT(hub_rooms_members_next(r, "lobby", &pos, &p), 0);

    CHECK_INT(hub_rooms_leave(r, "a", "nope"), HUB_ENOTFOUND);
    CHECK_INT(hub_rooms_leave(r, "zz", "lobby"), HUB_ENOTFOUND);
    CHECK_INT(hub_rooms_leave(r, "a", "lobby"), 0);
    CHECK_INT(hub_rooms_leave(r, "a", "lobby"), HUB_ENOTFOUND);
    CHECK_INT(hub_rooms_size(r, "lobby"), 1);
    /* an empty room disappears, and so does a member in no room */
    CHECK_INT(hub_rooms_leave(r, "b", "lobby"), 0);
    CHECK_INT(hub_rooms_count(r), 2);
    CHECK_INT(hub_rooms_leave(r, "a", "a"), 0);
    CHECK_INT(hub_rooms_members(r), 1);
    CHECK_INT(hub_rooms_of_count(r, "a"), 0);
    /* the id can come back with another pointer once it is gone */
    CHECK_INT(hub_rooms_join(r, "a", &C, "a"), 0);
    hub_rooms_leave_all(r, "a");
    hub_rooms_leave_all(r, "a");
    hub_rooms_leave_all(r, "b");
    CHECK_INT(hub_rooms_count(r), 0);
    CHECK_INT(hub_rooms_members(r), 0);
    hub_rooms_free(r);
    hub_rooms_free(NULL);
}

static void test_rooms_select(void)
{
    hub_rooms *r = hub_rooms_new(1, 1);
    const char *both[] = {"red", "blue"}, *dup[] = {"red", "red"}, *red[] = {"red"};
    const char *blue[] = {"blue"}, *none[] = {"nothing"}, *d[] = {"d"};
    void **v;
    size_t n;

    /* a: red; b: red+blue; c: blue; d: only its own room */
    hub_rooms_join(r, "a", &A, "a");
    hub_rooms_join(r, "b", &B, "b");
    hub_rooms_join(r, "c", &C, "c");
    hub_rooms_join(r, "d", &D, "d");
    hub_rooms_join(r, "a", &A, "red");
    hub_rooms_join(r, "b", &B, "red");
    hub_rooms_join(r, "b", &B, "blue");
    hub_rooms_join(r, "c", &C, "blue");

    /* union, each member once */
    CHECK_INT(hub_rooms_select(r, both, 2, NULL, 0, &v, &n), 0);
    CHECK_INT(n, 3);
    CHECK(contains(v, n, &A) == 1 && contains(v, n, &B) == 1 && contains(v, n, &C) == 1);
    hub_free(v);
    CHECK_INT(hub_rooms_select(r, dup, 2, NULL, 0, &v, &n), 0);
    CHECK_INT(n, 2);
    hub_free(v);
    /* except a room */
    CHECK_INT(hub_rooms_select(r, red, 1, blue, 1, &v, &n), 0);
    CHECK_INT(n, 1);
    CHECK(v[0] == &A);
    hub_free(v);
    /* everyone */
    CHECK_INT(hub_rooms_select(r, NULL, 0, NULL, 0, &v, &n), 0);
    CHECK_INT(n, 4);
    CHECK(v[0] == &A && v[3] == &D); /* members in the order they first joined */
    hub_free(v);
    /* everyone except blue and d's own room */
    {
        const char *ex[] = {"blue", "d"};
        CHECK_INT(hub_rooms_select(r, NULL, 0, ex, 2, &v, &n), 0);
        CHECK_INT(n, 1);
        CHECK(v[0] == &A);
        hub_free(v);
    }
    /* nobody */
    CHECK_INT(hub_rooms_select(r, none, 1, NULL, 0, &v, &n), 0);
    CHECK_INT(n, 0);
    CHECK(v == NULL);
    CHECK_INT(hub_rooms_select(r, d, 1, d, 1, &v, &n), 0);
    CHECK_INT(n, 0);
    CHECK(v == NULL);
    /* the marks of one selection do not leak into the next */
    CHECK_INT(hub_rooms_select(r, d, 1, NULL, 0, &v, &n), 0);
    CHECK_INT(n, 1);
    hub_free(v);
    hub_rooms_free(r);
}

static void test_rooms_many(void)
{
    hub_rooms *r = hub_rooms_new(3, 4);
    static char ids[1000][8];
    static int members[1000];
    const char *even[] = {"even"};
    size_t i, n;
    void **v;
    int ok = 1;

    for (i = 0; i < 1000; i++) {
        snprintf(ids[i], sizeof(ids[i]), "s%zu", i);
        if (hub_rooms_join(r, ids[i], &members[i], ids[i]) ||
            hub_rooms_join(r, ids[i], &members[i], i % 2 ? "odd" : "even") ||
            hub_rooms_join(r, ids[i], &members[i], "all"))
            ok = 0;
    }
    CHECK(ok);
    CHECK_INT(hub_rooms_count(r), 1003);
    CHECK_INT(hub_rooms_size(r, "all"), 1000);
    CHECK_INT(hub_rooms_select(r, even, 1, NULL, 0, &v, &n), 0);
    CHECK_INT(n, 500);
    hub_free(v);
    for (i = 0; i < 1000; i += 2)
        hub_rooms_leave_all(r, ids[i]);
    CHECK_INT(hub_rooms_size(r, "even"), 0);
    CHECK_INT(hub_rooms_size(r, "all"), 500);
    CHECK_INT(hub_rooms_count(r), 502);
    hub_rooms_free(r); /* frees the remaining members and rooms */
}

/* Fails the n-th allocation: every error path of join leaves the rooms as they were. */
static long fail_at = -1, allocs;
static void *f_malloc(size_t n)
{
    return ++allocs == fail_at ? NULL : malloc(n);
}
static void *f_calloc(size_t n, size_t s)
{
    return ++allocs == fail_at ? NULL : calloc(n, s);
}
static void *f_realloc(void *p, size_t n)
{
    return ++allocs == fail_at ? NULL : realloc(p, n);
}
static const struct hub_alloc_funcs failing = {f_malloc, f_calloc, f_realloc, free};

static void test_rooms_nomem(void)
{
    long i;
    int ok = 1;

    hub_alloc_set(&failing);
    for (i = 1; i < 40; i++) {
        hub_rooms *r;
        int rc;
        allocs = 0;
        fail_at = -1;
        r = hub_rooms_new(5, 6);
        hub_rooms_join(r, "a", &A, "a");
        allocs = 0;
        fail_at = i;
        rc = hub_rooms_join(r, "b", &B, "room");
        fail_at = -1;
        if (rc == 0) {
            if (!hub_rooms_has(r, "b", "room") || hub_rooms_count(r) != 2) ok = 0;
        } else if (rc != HUB_ENOMEM || hub_rooms_count(r) != 1 || hub_rooms_members(r) != 1 ||
                   hub_rooms_has(r, "b", "room")) {
            ok = 0;
        }
        hub_rooms_free(r);
    }
    hub_alloc_set(NULL);
    CHECK(ok);
}

int main(void)
{
    RUN(test_map_basic);
    RUN(test_map_many);
    RUN(test_map_hash);
    RUN(test_rooms_join_leave);
    RUN(test_rooms_select);
    RUN(test_rooms_many);
    RUN(test_rooms_nomem);
    return TEST_SUMMARY();
}
