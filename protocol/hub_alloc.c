/* hub_alloc.c - the allocator wrappers.
 *
 * The function table is configuration: it is set once at start-up (or by a test before it
 * allocates) and only read afterwards, so it needs no lock. */
#include "hub_alloc.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct hub_alloc_funcs funcs = {malloc, calloc, realloc, free};

/* Per thread, so that a codec can tell an allocation failure inside jansson (which reports most of
 * them as syntax errors) from malformed input without racing other loops. */
static _Thread_local size_t failures;

static void *counted(void *p, size_t size)
{
    if (!p && size) failures++;
    return p;
}

void *hub_malloc(size_t size)
{
    return counted(funcs.malloc_fn(size), size);
}

void *hub_calloc(size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size) return counted(NULL, 1);
    if (funcs.calloc_fn) return counted(funcs.calloc_fn(n, size), n * size);
    /* An allocator without calloc: zero what malloc gives. */
    p = counted(funcs.malloc_fn(n * size), n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void *hub_realloc(void *ptr, size_t size)
{
    return counted(funcs.realloc_fn(ptr, size), size);
}

void hub_free(void *ptr)
{
    if (ptr) funcs.free_fn(ptr);
}

char *hub_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = hub_malloc(len + 1);

    if (!p) return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *hub_strdup(const char *s)
{
    return hub_strndup(s, SIZE_MAX - 1);
}

void hub_alloc_set(const struct hub_alloc_funcs *f)
{
    if (f) {
        funcs = *f;
    } else {
        funcs.malloc_fn = malloc;
        funcs.calloc_fn = calloc;
        funcs.realloc_fn = realloc;
        funcs.free_fn = free;
    }
    /* jansson goes through the wrappers, so it follows any later change too. */
    json_set_alloc_funcs(hub_malloc, hub_free);
}

size_t hub_alloc_failures(void)
{
    return failures;
}
