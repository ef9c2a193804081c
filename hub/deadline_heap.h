/* deadline_heap.h - a binary min-heap of deadlines whose nodes know their place, so a node can be
 * removed or moved in O(log n). The queue stores keep every timed thing (visibility, delays,
 * retention, long polls, tasks) in one such heap behind one timer. Nodes are embedded in their
 * owners; the heap holds pointers and never frees them. */
#ifndef HUB_DEADLINE_HEAP_H
#define HUB_DEADLINE_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HUB_DHEAP_NONE SIZE_MAX /* idx of a node not in the heap */

struct hub_dnode {
    uint64_t at; /* the deadline */
    size_t idx;  /* its place, or HUB_DHEAP_NONE */
    int kind;    /* the owner's tag */
};

struct hub_dheap {
    struct hub_dnode **v;
    size_t n, cap;
};

/* Grows the capacity to at least need. Returns 0 or HUB_ENOMEM. */
int hub_dheap_reserve(struct hub_dheap *h, size_t need);
/* Adds n; the capacity must already be there (hub_dheap_reserve). */
void hub_dheap_push(struct hub_dheap *h, struct hub_dnode *n);
/* Removes n when it is in the heap. */
void hub_dheap_remove(struct hub_dheap *h, struct hub_dnode *n);
/* Sets n's deadline to at, adding n when it is not in the heap. Returns 0 or HUB_ENOMEM. */
int hub_dheap_move(struct hub_dheap *h, struct hub_dnode *n, uint64_t at);
/* The earliest node, or NULL. */
static inline struct hub_dnode *hub_dheap_top(const struct hub_dheap *h)
{
    return h->n ? h->v[0] : NULL;
}
/* Frees the array (not the nodes). */
void hub_dheap_free(struct hub_dheap *h);

#endif
