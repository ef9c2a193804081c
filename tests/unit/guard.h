/* guard.h - inputs that end right before an unreadable page, so that a codec that reads (or writes)
 * one byte too far crashes (picohttpparser's tests do the same). For the unit tests only. */
#ifndef HUB_TEST_GUARD_H
#define HUB_TEST_GUARD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard {
    uint8_t *map;
    size_t maplen;
};

/* Returns n writable bytes that end right before a PROT_NONE page, holding a copy of src (if any).
 * Release with guard_free(). */
static inline void *guard_copy(struct guard *g, const void *src, size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), pages = n / pg + 1;
    uint8_t *p;

    g->maplen = (pages + 1) * pg;
    g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED || mprotect(g->map + pages * pg, pg, PROT_NONE) != 0) abort();
    p = g->map + pages * pg - n;
    if (src && n) memcpy(p, src, n);
    return p;
}

static inline void guard_free(struct guard *g)
{
    munmap(g->map, g->maplen);
}

#endif
