/* landscape.h - two-objective test functions with exact gradients, for
 * watching gradient-combination methods (MGDA, PCGrad, CAGrad, Nash-MTL,
 * FAMO, ...) move on a known Pareto front. Not datasets: the "parameters"
 * are the point x itself.
 *
 * Each function writes f (2) and, when g is not NULL, g (2, d) row-major:
 * g[i*d + j] = d f_i / d x_j. */
#ifndef MT_LANDSCAPE_H
#define MT_LANDSCAPE_H

/* The 2-D toy of Liu et al. 2021 (CAGrad), reused by Navon et al. 2022
 * (Nash-MTL) and Liu et al. 2023 (FAMO), as in CAGrad's public toy script.
 * With x = (x1, x2), LOWER = 5e-6, t = tanh(x2):
 *   a  = 0.5 (-x1 - 7) + t          f1_log = log(max(|a|, LOWER)) + 6
 *   b  = 0.5 (-x1 + 3) - t + 2      f2_log = log(max(|b|, LOWER)) + 6
 *   f1_sq = ((x1 - 7)^2 + 0.1 (x2 + 8)^2) / 10 - 20
 *   f2_sq = ((x1 + 7)^2 + 0.1 (x2 + 8)^2) / 10 - 20
 *   c1 = max(tanh(x2 / 2), 0),  c2 = max(-tanh(x2 / 2), 0)
 *   f1 = c1 f1_log + c2 f1_sq,   f2 = c1 f2_log + c2 f2_sq.
 * (The script writes tanh(-x2) where t appears, with the opposite sign.)
 * Where |a| or |b| is below LOWER the log term is flat (gradient 0), as
 * the clamp makes it. The gradient is exact everywhere else; at the kink
 * x2 = 0, where c1 and c2 switch, both clamps pass their gradient (the
 * convention of torch.clamp the script relies on), so a start at (0, 0)
 * moves. Follow-up papers sometimes rescale an objective; callers can scale
 * f and g themselves. */
void landscape_cagrad_toy(const double *x /* (2) */, double *f /* (2) */, double *g /* (2, 2) */);

/* The starting points used in the CAGrad and Nash-MTL toy figures. */
#define LANDSCAPE_CAGRAD_NSTARTS 5
extern const double landscape_cagrad_starts[LANDSCAPE_CAGRAD_NSTARTS][2];

/* Lin et al. 2019 (Pareto MTL), in any dimension d >= 1:
 *   f1 = 1 - exp(-|x - 1/sqrt(d)|^2),  f2 = 1 - exp(-|x + 1/sqrt(d)|^2)
 * (1/sqrt(d) added to every coordinate). The Pareto set is the segment
 * between -1/sqrt(d) and +1/sqrt(d) on the diagonal; the front is concave.
 *   df1/dx_j = 2 (x_j - 1/sqrt(d)) exp(-|x - 1/sqrt(d)|^2), likewise f2. */
void landscape_lin2019(const double *x /* (d) */, int d, double *f /* (2) */,
                       double *g /* (2, d) */);

/* A landscape by name, for scripts: "cagrad_toy" (d = 2) or "lin2019"
 * (any d). NULL if unknown. */
typedef struct {
    const char *name;
    int dim; /* 0 = any */
    void (*eval)(const double *x, int d, double *f, double *g);
    double plane_lo, plane_hi; /* the square [lo, hi]^2 a picture of the 2-D plane shows */
} mt_landscape;

const mt_landscape *landscape_find(const char *name);

/* The Pareto set of a 2-D landscape as n points along it, from one end to
 * the other, into x (n, 2) row-major: the Pareto-stationary points, where
 * the two gradients are opposed (g1 x g2 = 0, g1 . g2 < 0). cagrad_toy:
 * for x1 evenly in [-7, 7], the x2 in [-15, 0) where the cross product
 * changes sign, found by bisection to 1e-12 (it lies near x2 = -8.4);
 * lin2019 in 2-D: the segment between -1/sqrt(2) and +1/sqrt(2) on the
 * diagonal. Returns n, or 0 when d != 2 or n < 2. */
int landscape_pareto_set(const mt_landscape *l, int d, int n, double *x);

#endif
