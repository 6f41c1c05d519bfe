/* combine_impl.h - what the two halves of the gradient combiners share:
 * the combiner itself and the internal entry points. combine.c holds the
 * life cycle, the methods that work on the Gram matrix alone and
 * combine_run; combine_direct.c the ones that read the task gradients G
 * themselves (Krum, the trimmed mean, GradDrop, MoCo, DB-MTL, ExcessMTL). */
#ifndef MT_COMBINE_IMPL_H
#define MT_COMBINE_IMPL_H

#include <stddef.h>
#include "cagrad.h"
#include "combine.h"
#include "core/rng.h"
#include "minnorm.h"

#define NVEC 8
/* doubles of solver work: min-norm points, NNLS, factorisations */
#define COMBINE_QPW(T) (CAGRAD_WORK(T) > MINNORM_WORK(T) + 2 * (T) * (T) + 4 * (T) ? CAGRAD_WORK(T) \
                        : MINNORM_WORK(T) + 2 * (T) * (T) + 4 * (T))

struct mt_combiner {
    mt_combine_kind kind;
    int T;
    mt_combine_params prm;
    double *M;     /* (T, T) Gram of the last G */
    double *A;     /* (T, T) scratch */
    double *B;     /* (T, T) scratch */
    double *V;     /* (T, T) eigenvectors (columns), or a square root R of M (rows) */
    double *C;     /* (T, T) row i: coefficients of modified g_i over {g_j} */
    double *ema;   /* (T, T) GradVac targets */
    double *qpw;   /* (COMBINE_QPW(T)) QP, min-norm and factorisation work */
    double *vec[NVEC]; /* (T) each */
    double *alpha; /* (T) */
    int *iwork;    /* (3T) solver work */
    int *perm;     /* (T) */
    int *act;      /* (T) active task indices */
    int *is_main;  /* (T) aux_gate: 1 for a main task (default: all) */
    double *chunk; /* (T, LINALG_GRAM_CHUNK) */
    float *alpha_f; /* (T) */
    double *prev;  /* (T) nash_mtl: the last solved alpha (reuse, warm start);
                      moco: lambda; excess_mtl: log w */
    double *e0;    /* (T) excess_mtl: reference excess risks */
    long calls;    /* nash_mtl, moco, db_mtl, excess_mtl: calls since reset */
    int have_prev;
    float *state;  /* (T, sP) moco's Y, db_mtl's buffers, excess_mtl's accumulators */
    size_t sP;     /* columns of state (combine_reserve) */
    mt_rng rng;
};

/* Krum and the trimmed mean need enough tasks for their parameters */
mt_status combine_robust_check(mt_combine_kind kind, int T, const mt_combine_params *p);
/* numerical rank of a descending spectrum (as in Aligned-MTL's code) */
int combine_spectrum_rank(const double *l, int T);
/* each fills c->alpha (and d where it takes d) from G (T x P) and c->M */
void combine_run_krum(mt_combiner *c);
void combine_run_trimmed_mean(mt_combiner *c, const float *G, size_t P, float *d);
void combine_alpha_least_squares(mt_combiner *c, const float *G, size_t P, const float *d);
void combine_run_graddrop(mt_combiner *c, const float *G, size_t P, float *d);
void combine_run_moco(mt_combiner *c, const float *G, size_t P, const float *losses, float *d);
void combine_run_db_mtl(mt_combiner *c, const float *G, size_t P, const float *losses, float *d);
void combine_run_excess_mtl(mt_combiner *c, const float *G, size_t P);

#endif
