/* hub_alloc.h - every allocation in Hubbub goes through these wrappers.
 *
 * hub_alloc_set() replaces the allocator (tests use it to fail the Nth allocation); it also installs the
 * functions into jansson, so JSON values come from the same allocator. hub_calloc() checks n * size for
 * overflow. hub_free(NULL) is a no-op. */
#ifndef HUB_ALLOC_H
#define HUB_ALLOC_H

#include <stddef.h>

struct hub_alloc_funcs {
    void *(*malloc_fn)(size_t);
    void *(*calloc_fn)(size_t, size_t);
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
};

void *hub_malloc(size_t size);
void *hub_calloc(size_t n, size_t size);
void *hub_realloc(void *ptr, size_t size);
void hub_free(void *ptr);
/* Returns a new copy of the first n bytes of s, NUL-terminated; NULL on allocation failure. */
char *hub_strndup(const char *s, size_t n);
char *hub_strdup(const char *s);

/* Replaces the allocator process-wide (and in jansson). Call before anything else runs; NULL restores
 * libc's. malloc_fn, realloc_fn and free_fn are required; calloc_fn may be NULL (malloc_fn + memset).
 * This is configuration set once at start-up, not mutable per-loop state. */
void hub_alloc_set(const struct hub_alloc_funcs *funcs);

/* Number of allocations that have failed on the calling thread so far (through the wrappers, jansson's
 * included once hub_alloc_set() ran). Codecs compare it around a jansson call to tell HUB_ENOMEM from
 * malformed input. */
size_t hub_alloc_failures(void);

#endif
