/* synth.h - seeded synthetic multi-task problems from the MTL literature.
 *
 * Every generator fills an initialised mt_dataset (freed first; left empty
 * on error), draws everything from core/rng.h streams of o->seed (so the
 * same options give the same bytes), and fills its options struct's
 * defaults with a *_defaults() function. Inputs are flat (c = h = w = 0). */
#ifndef MT_SYNTH_H
#define MT_SYNTH_H

#include <stdint.h>
#include "dataset.h"

/* ---- Correlation-controlled regression (Ma et al., KDD 2018, MMoE) ----
 *
 *   u_1..u_T orthonormal in R^d (Gram-Schmidt of Gaussian vectors),
 *   R = L L^T (Cholesky; R positive semi-definite, symmetric, unit diagonal),
 *   w_k = c * sum_j L[k][j] u_j            so |w_k| = c, cos(w_i, w_j) = R_ij,
 *   x ~ N(0, I_d),
 *   y_k = w_k^T x + sum_{i=1..m} sin(alpha_i w_k^T x + beta_i) + eps_k,
 *   alpha_i, beta_i ~ N(0, 1) shared by all tasks, eps_k ~ N(0, noise^2).
 * With m = 0 and noise = 0, corr(y_i, y_j) = R_ij in expectation. For two
 * tasks R = [[1, p], [p, 1]] (o->R NULL uses o->p), which is Ma et al.'s
 * setting: w1 = c u1, w2 = c (p u1 + sqrt(1-p^2) u2).
 * Targets "y1".."yT", regression, dim 1. */
typedef struct {
    int n;           /* examples */
    int d;           /* input dimension, >= ntasks */
    int ntasks;      /* T >= 1 */
    double p;        /* T = 2 correlation when R is NULL */
    const double *R; /* (T, T) row-major correlation matrix, or NULL */
    double c;        /* weight norm */
    int m;           /* sine terms */
    double noise;    /* std of eps */
    uint64_t seed;
} synth_mmoe_opts;

/* n 1000, d 100, 2 tasks, p 0.5, c 1, m 10, noise 0.01, seed 1 (the paper's
 * d = 100, c = 1, m = 10). */
void synth_mmoe_defaults(synth_mmoe_opts *o);
/* w, when not NULL, receives the task weights (T, d). Errors name the
 * problem: "mmoe synthetic: correlation matrix is not symmetric: ...". */
mt_status synth_mmoe(mt_dataset *ds, const synth_mmoe_opts *o, float *w);

/* Checks that R (T, T) is a correlation matrix (unit diagonal, symmetric,
 * entries in [-1, 1], positive semi-definite) and writes its lower
 * Cholesky factor into L (T, T); a zero pivot is allowed where the rest of
 * its column is zero (rank-deficient R). Messages start with `who`. */
mt_status synth_corr_factor(const char *who, const double *R, int T, double *L);

/* ---- Sigma-scaled regression (Chen et al. 2018, GradNorm) ----
 *
 *   x ~ N(0, I_{d_in}),  y_i = sigma_i * tanh((B + eps_i) x)   (d_out values)
 *   B (d_out, d_in) shared, entries N(0, b_var); eps_i (d_out, d_in) per
 *   task, entries N(0, eps_var).
 * The paper writes N(0, 10) and N(0, 3.5); these are read as VARIANCES
 * (std sqrt(10) and sqrt(3.5)). With d_in = 250 the pre-activations have a
 * std near 58, so the tanh mostly saturates and task i's outputs have a
 * scale close to sigma_i: the tasks differ in loss scale by sigma_i^2.
 * B comes from one stream, eps_i from a stream of its own per task i and x
 * from another, so two calls with the same seed and different sigmas give
 * exactly proportional targets. Targets "t1".."tT", regression, dim d_out. */
typedef struct {
    int n;
    int d_in, d_out; /* 250 and 100 in the paper */
    int ntasks;
    const double *sigma; /* (ntasks); NULL = all 1 */
    double b_var;        /* variance of B's entries (10) */
    double eps_var;      /* variance of eps_i's entries (3.5) */
    uint64_t seed;
} synth_gradnorm_opts;

/* n 1000, d_in 250, d_out 100, 2 tasks, sigma NULL, b_var 10, eps_var 3.5, seed 1. */
void synth_gradnorm_defaults(synth_gradnorm_opts *o);
mt_status synth_gradnorm(mt_dataset *ds, const synth_gradnorm_opts *o);

/* ---- Heteroscedastic two-task toy (Kendall, Gal & Cipolla 2018) ----
 *
 *   x ~ U(-1, 1) (default) or N(0, 1),
 *   y1 = 2x + 8 + 10 e1,   y2 = 3x + 3 + e2,   e1, e2 ~ N(0, 1) independent,
 * so task 1's noise std is 10 and task 2's is 1: uncertainty weighting
 * should learn weights near 1/100 and 1. Targets "y1", "y2"; d = 1. */
typedef struct {
    int n;
    int x_normal; /* 0: x ~ U(-1, 1); 1: x ~ N(0, 1) */
    uint64_t seed;
} synth_kendall_opts;

void synth_kendall_defaults(synth_kendall_opts *o); /* n 1000, uniform, seed 1 */
mt_status synth_kendall(mt_dataset *ds, const synth_kendall_opts *o);

/* ---- Related-task families: task clusters on a shared sparse support ----
 *
 *   S = `support` features of d drawn at random (the shared support),
 *   v_1..v_K: cluster centres, orthogonal, zero outside S, norm sqrt(|S|)
 *             (entries of unit scale),
 *   task t belongs to cluster k(t) (a seeded, balanced assignment: cluster
 *   sizes differ by at most one),
 *   w_t = v_{k(t)} + within * g_t,  g_t ~ N(0, 1) on S, zero elsewhere,
 *   x ~ N(0, I_d),  y_t = w_t^T x + noise_t * e,  e ~ N(0, 1).
 * Same-cluster weights have cosine about 1/(1 + within^2); other-cluster
 * weights are nearly orthogonal; every row j outside S of the (T, d) weight
 * matrix is zero in every task (block sparsity). The setting of task
 * clustering (Jacob et al. 2009, Kang et al. 2011) and of the l1/l2 shared
 * support (Argyriou et al. 2008).
 *
 * Layout: by default each example belongs to one task: task t's n_t
 * examples are rows [sum_{s<t} n_s, ... + n_t) and every other task's mask
 * is 0 there. With `shared`, n_each examples carry a label for every task.
 * Targets "task1".."taskT", regression, dim 1. */
typedef struct {
    int ntasks, nclusters;        /* T >= 1, 1 <= K <= T, K <= support */
    int d, support;               /* features, relevant features (1..d) */
    double within;                /* spread of tasks around their centre */
    int n_each;                   /* examples per task (or in all, when shared) */
    const int *n_per_task;        /* (T) or NULL = n_each each; not with shared */
    double noise;                 /* label noise std */
    const double *noise_per_task; /* (T) or NULL = noise each */
    int shared;                   /* 1: every example labelled for every task */
    uint64_t seed;
} synth_cluster_opts;

/* What the generator drew, for tests and experiments to compare with. */
typedef struct {
    int ntasks, nclusters, d, support;
    int *cluster;     /* (ntasks) owned: task -> cluster */
    int *support_idx; /* (support) owned: the relevant features, ascending */
    float *w;         /* (ntasks, d) owned: true weights */
} synth_cluster_truth;

/* T 8, K 2, d 50, support 10, within 0.1, n_each 200, noise 0.1, seed 1. */
void synth_cluster_defaults(synth_cluster_opts *o);
/* truth may be NULL; when given, it is filled (free with synth_cluster_truth_free). */
mt_status synth_clustered(mt_dataset *ds, const synth_cluster_opts *o, synth_cluster_truth *truth);
void synth_cluster_truth_free(synth_cluster_truth *t);

/* ---- Many binary attributes of one latent (a CelebA-like family) ----
 *
 *   z ~ N(0, I_r)                        the latent, r = `latent`
 *   x = tanh(M z) + input_noise * e      M (d, r), entries N(0, 1/r): the
 *                                        inputs show z only through a
 *                                        nonlinear mixing
 *   v_1..v_G orthonormal in R^r          one direction per group (G <= r)
 *   attribute t belongs to group g(t)    (a seeded, balanced assignment)
 *   w_t = unit(v_g(t) + within * u_t),   u_t ~ N(0, I_r / r)
 *   y_t = 1[w_t^T z + noise * e_t > b_t],  b_t ~ U(-bias, bias).
 * Every attribute is a function of the same latent; the scores of two
 * attributes of one group correlate by cos(w_i, w_j), near
 * 1 / (1 + within^2), those of different groups by nearly 0.
 * P(y_t = 1) = Phi(-b_t / sqrt(1 + noise^2)) sets how common attribute t
 * is. Targets "a1".."aT", binary, dim 1; every example is labelled for
 * every attribute. */
typedef struct {
    int n, d, latent; /* examples, input features, latent dimension */
    int ntasks, groups;
    double within;      /* spread of the attributes around their group's direction */
    double bias;        /* thresholds b_t ~ U(-bias, bias) */
    double noise;       /* label noise std (on the score) */
    double input_noise; /* std of the noise added to the inputs */
    uint64_t seed;
} synth_attr_opts;

/* n 2000, d 64, latent 16, 40 attributes, 8 groups, within 0.5, bias 1,
 * noise 0.3, input_noise 0.1, seed 1. */
void synth_attr_defaults(synth_attr_opts *o);
/* group, when not NULL, receives each attribute's group (ntasks). */
mt_status synth_attributes(mt_dataset *ds, const synth_attr_opts *o, int *group);

#endif
