/* split.c - seeded train/validation/test splits and the mini-batcher. */
#include "dataset.h"

#include <string.h>

#include "core/mem.h"
#include "core/rng.h"

/* The RNG stream of split shuffles ("split" in ASCII): far from the small
 * epoch numbers the batcher uses as streams, so the same seed can drive
 * both without the split permutation equalling an epoch's. */
#define SPLIT_STREAM 0x73706c6974ULL

static mt_status index_alloc(mt_index *ix, int n)
{
    ix->n = 0;
    ix->idx = mt_alloc((size_t)(n > 0 ? n : 1) * sizeof(int));
    if (!ix->idx) return MT_ERR_NOMEM;
    ix->n = n;
    return MT_OK;
}

static mt_status index_from(mt_index *ix, const int *src, int n)
{
    mt_status s = index_alloc(ix, n);
    if (s) return s;
    if (n > 0) memcpy(ix->idx, src, (size_t)n * sizeof(int));
    return MT_OK;
}

void split_free(mt_split *sp)
{
    if (!sp) return;
    mt_free(sp->train.idx);
    mt_free(sp->val.idx);
    mt_free(sp->test.idx);
    memset(sp, 0, sizeof *sp);
}

/* Builds the three lists from one permutation `perm` of `count` entries:
 * [0, a) train, [a, a+b) val, [a+b, a+b+c) test. */
static mt_status split_cut(mt_split *sp, const int *perm, int a, int b, int c)
{
    memset(sp, 0, sizeof *sp);
    if (index_from(&sp->train, perm, a) || index_from(&sp->val, perm + a, b) ||
        index_from(&sp->test, perm + a + b, c)) {
        split_free(sp);
        return MT_ERR_NOMEM;
    }
    return MT_OK;
}

static int *perm_make(int n, uint64_t seed)
{
    int *p = mt_alloc((size_t)(n > 0 ? n : 1) * sizeof(int));
    if (!p) return NULL;
    for (int i = 0; i < n; i++) p[i] = i;
    mt_rng r;
    mt_rng_init(&r, seed, SPLIT_STREAM);
    mt_rng_shuffle(&r, p, (size_t)n);
    return p;
}

mt_status split_make(mt_split *sp, int n, int n_train, int n_val, int n_test, uint64_t seed)
{
    memset(sp, 0, sizeof *sp);
    if (n < 0 || n_train < 0 || n_val < 0)
        return mt_fail(MT_ERR_ARG, "split: negative size (n=%d train=%d val=%d)", n, n_train,
                       n_val);
    long long used = (long long)n_train + n_val;
    if (n_test < 0) n_test = used <= n ? (int)(n - used) : 0;
    if (used + n_test > n)
        return mt_fail(MT_ERR_ARG,
                       "split: train %d + val %d + test %d = %lld examples, but the dataset has %d",
                       n_train, n_val, n_test, used + n_test, n);
    int *p = perm_make(n, seed);
    if (!p) return MT_ERR_NOMEM;
    mt_status s = split_cut(sp, p, n_train, n_val, n_test);
    mt_free(p);
    return s;
}

mt_status split_make_fixed(mt_split *sp, int n, int n_first, int n_val, uint64_t seed)
{
    memset(sp, 0, sizeof *sp);
    if (n_first < 0 || n_first > n || n_val < 0 || n_val > n_first)
        return mt_fail(MT_ERR_ARG,
                       "split: %d train+val examples with %d for validation do not fit a dataset "
                       "of %d",
                       n_first, n_val, n);
    int *p = perm_make(n_first, seed);
    if (!p) return MT_ERR_NOMEM;
    mt_status s = MT_OK;
    if (index_from(&sp->val, p, n_val) || index_from(&sp->train, p + n_val, n_first - n_val) ||
        index_alloc(&sp->test, n - n_first)) {
        split_free(sp);
        s = MT_ERR_NOMEM;
    } else {
        for (int i = 0; i < n - n_first; i++) sp->test.idx[i] = n_first + i;
    }
    mt_free(p);
    return s;
}

void split_subsample_train(mt_split *sp, int n)
{
    if (n >= 0 && n < sp->train.n) sp->train.n = n;
}

/* Epoch e's order is the set's order shuffled by stream (seed, e): any epoch
 * can be reproduced without replaying the ones before it. */
static void batcher_fill(mt_batcher *b)
{
    int n = b->set->n;
    if (n > 0) memcpy(b->order, b->set->idx, (size_t)n * sizeof(int));
    if (b->shuffle) {
        mt_rng r;
        mt_rng_init(&r, b->seed, (uint64_t)b->epoch);
        mt_rng_shuffle(&r, b->order, (size_t)n);
    }
    b->pos = 0;
}

mt_status batcher_init(mt_batcher *b, const mt_index *set, int batch, uint64_t seed, int shuffle)
{
    memset(b, 0, sizeof *b);
    if (!set || set->n < 0 || batch < 1)
        return mt_fail(MT_ERR_ARG, "batcher: batch size %d (needs >= 1) or missing index list",
                       batch);
    b->order = mt_alloc((size_t)(set->n > 0 ? set->n : 1) * sizeof(int));
    if (!b->order) return MT_ERR_NOMEM;
    b->set = set;
    b->batch = batch;
    b->seed = seed;
    b->shuffle = shuffle;
    b->epoch = 0;
    batcher_fill(b);
    return MT_OK;
}

int batcher_next(mt_batcher *b, const int **rows)
{
    int n = b->set->n;
    if (b->pos >= n) {
        b->epoch++;
        batcher_fill(b);
        *rows = b->order;
        return 0;
    }
    int k = n - b->pos < b->batch ? n - b->pos : b->batch;
    *rows = b->order + b->pos;
    b->pos += k;
    return k;
}

void batcher_free(mt_batcher *b)
{
    if (!b) return;
    mt_free(b->order);
    memset(b, 0, sizeof *b);
}
