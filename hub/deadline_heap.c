/* deadline_heap.c - see deadline_heap.h. */
#include "deadline_heap.h"

#include "hub_alloc.h"
#include "hub_err.h"

static void set(struct hub_dheap *h, size_t i, struct hub_dnode *n)
{
    h->v[i] = n;
    n->idx = i;
}

static void up(struct hub_dheap *h, size_t i)
{
    struct hub_dnode *n = h->v[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h->v[p]->at <= n->at)
            break;
        set(h, i, h->v[p]);
        i = p;
    }
    set(h, i, n);
}

static void down(struct hub_dheap *h, size_t i)
{
    struct hub_dnode *n = h->v[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1]->at < h->v[c]->at)
            c++;
        if (n->at <= h->v[c]->at)
            break;
        set(h, i, h->v[c]);
        i = c;
    }
    set(h, i, n);
}

int hub_dheap_reserve(struct hub_dheap *h, size_t need)
{
    if (need <= h->cap)
        return 0;
    size_t cap = h->cap ? h->cap : 32;
    while (cap < need)
        cap *= 2;
    struct hub_dnode **v = hub_realloc(h->v, cap * sizeof *v);
    if (!v)
        return HUB_ENOMEM;
    h->v = v;
    h->cap = cap;
    return 0;
}

void hub_dheap_push(struct hub_dheap *h, struct hub_dnode *n)
{
    set(h, h->n++, n);
    up(h, n->idx);
}

void hub_dheap_remove(struct hub_dheap *h, struct hub_dnode *n)
{
    if (n->idx == HUB_DHEAP_NONE)
        return;
    size_t i = n->idx;
    struct hub_dnode *last = h->v[--h->n];
    n->idx = HUB_DHEAP_NONE;
    if (last == n)
        return;
    set(h, i, last);
    up(h, i);
    down(h, last->idx);
}

int hub_dheap_move(struct hub_dheap *h, struct hub_dnode *n, uint64_t at)
{
    n->at = at;
    if (n->idx == HUB_DHEAP_NONE) {
        int rc = hub_dheap_reserve(h, h->n + 1);
        if (rc)
            return rc;
        hub_dheap_push(h, n);
        return 0;
    }
    up(h, n->idx);
    down(h, n->idx);
    return 0;
}

void hub_dheap_free(struct hub_dheap *h)
{
    hub_free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}
