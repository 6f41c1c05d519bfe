#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static unsigned long n_allocs;

unsigned long mt_alloc_count(void) { return n_allocs; }

void *mt_alloc(size_t n)
{
    n_allocs++;
    void *p = malloc(n ? n : 1);
    if (!p) mt_fail(MT_ERR_NOMEM, "out of memory allocating %zu bytes", n);
    return p;
}

void *mt_calloc(size_t count, size_t size)
{
    n_allocs++;
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) mt_fail(MT_ERR_NOMEM, "out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

void *mt_realloc(void *p, size_t n)
{
    n_allocs++;
    void *q = realloc(p, n ? n : 1);
    if (!q) mt_fail(MT_ERR_NOMEM, "out of memory reallocating %zu bytes", n);
    return q;
}

void *mt_alloc_aligned(size_t n)
{
    n_allocs++;
    void *p = NULL;
    size_t sz = (n + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, sz ? sz : 64) != 0) {
        mt_fail(MT_ERR_NOMEM, "out of memory allocating %zu aligned bytes", n);
        return NULL;
    }
    memset(p, 0, sz ? sz : 64);
    return p;
}

void mt_free(void *p) { free(p); }

char *mt_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = mt_alloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

mt_status mt_grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return MT_OK;
    size_t nc = *cap ? *cap : 8;
    while (nc < need) nc *= 2;
    void *nb = mt_realloc(*buf, nc * elem);
    if (!nb) return MT_ERR_NOMEM;
    *buf = nb;
    *cap = nc;
    return MT_OK;
}

struct mt_arena_block {
    mt_arena_block *next;
    size_t cap, used;
    unsigned char *mem; /* (cap) 64-byte aligned */
};

void mt_arena_init(mt_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 1 << 16;
    a->used_total = 0;
}

void *mt_arena_alloc(mt_arena *a, size_t n)
{
    size_t need = (n + 63) & ~(size_t)63;
    if (need == 0) need = 64;
    mt_arena_block *b = a->head;
    if (!b || b->cap - b->used < need) {
        size_t cap = need > a->block_size ? need : a->block_size;
        b = mt_alloc(sizeof *b);
        if (!b) return NULL;
        b->mem = mt_alloc_aligned(cap);
        if (!b->mem) {
            free(b);
            return NULL;
        }
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->mem + b->used;
    b->used += need;
    a->used_total += need;
    memset(p, 0, need);
    return p;
}

char *mt_arena_strdup(mt_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = mt_arena_alloc(a, n);
    if (d) memcpy(d, s, n);
    return d;
}

void mt_arena_free(mt_arena *a)
{
    mt_arena_block *b = a->head;
    while (b) {
        mt_arena_block *n = b->next;
        free(b->mem);
        free(b);
        b = n;
    }
    a->head = NULL;
    a->used_total = 0;
}
