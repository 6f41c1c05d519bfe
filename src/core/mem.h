/* mem.h - checked allocation and bump arenas.
 *
 * mt_alloc/mt_calloc/mt_realloc return NULL and record an error
 * (MT_ERR_NOMEM) instead of aborting. Float buffers handed to BLAS come
 * from mt_alloc_aligned (64-byte aligned; free with mt_free). */
#ifndef MT_MEM_H
#define MT_MEM_H

#include <stddef.h>
#include "status.h"

void *mt_alloc(size_t n);
void *mt_calloc(size_t count, size_t size);
void *mt_realloc(void *p, size_t n);
void *mt_alloc_aligned(size_t n); /* zeroed, 64-byte aligned */
void mt_free(void *p);
char *mt_strdup(const char *s);

/* How many allocations mt_alloc/mt_calloc/mt_realloc/mt_alloc_aligned have
 * made in this process: tests use it to prove a training step allocates
 * nothing. */
unsigned long mt_alloc_count(void);

/* Grows *buf (of *cap elements of `elem` bytes) to hold at least `need`. */
mt_status mt_grow(void **buf, size_t *cap, size_t need, size_t elem);

/* A bump arena: many allocations, one free. Blocks are chained so that
 * earlier pointers stay valid when the arena grows. */
typedef struct mt_arena_block mt_arena_block;
typedef struct {
    mt_arena_block *head; /* owned */
    size_t block_size;    /* default size of a new block */
    size_t used_total;    /* bytes handed out */
} mt_arena;

void mt_arena_init(mt_arena *a, size_t block_size);
/* 64-byte aligned, zeroed; NULL on failure (error recorded). */
void *mt_arena_alloc(mt_arena *a, size_t n);
char *mt_arena_strdup(mt_arena *a, const char *s);
void mt_arena_free(mt_arena *a);

#endif
