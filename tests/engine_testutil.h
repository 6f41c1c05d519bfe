/* engine_testutil.h - helpers shared by the test_engine_* drivers. */
#ifndef MT_ENGINE_TESTUTIL_H
#define MT_ENGINE_TESTUTIL_H

#include <math.h>
#include <stddef.h>

#include "core/rng.h"
#include "engine/graph.h"

/* v[i] ~ U(lo, hi) from a fixed stream. */
static inline void tu_fill(float *v, size_t n, unsigned long long seed, float lo, float hi)
{
    mt_rng r;
    mt_rng_init(&r, seed, 99);
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * mt_rng_uniformf(&r);
}

/* Uniform values whose magnitude is at least `gap`: no relu/|.| kinks. */
static inline void tu_fill_away(float *v, size_t n, unsigned long long seed, float gap, float hi)
{
    mt_rng r;
    mt_rng_init(&r, seed, 98);
    for (size_t i = 0; i < n; i++) {
        float u = gap + (hi - gap) * mt_rng_uniformf(&r);
        v[i] = (mt_rng_u64(&r) & 1) ? u : -u;
    }
}

static inline float tu_max_abs_diff(const float *a, const float *b, size_t n)
{
    float m = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]);
        if (!(d <= m)) m = d;
    }
    return m;
}

/* A batched weighting input r (B, cols) and loss = sum(y .* r): turns any
 * batched node into a scalar with a non-uniform upstream gradient. */
static inline mt_node tu_project(mt_graph *g, mt_node y, const char *rname)
{
    mt_node r = graph_input(g, rname, graph_cols(g, y));
    return graph_sum(g, graph_mul(g, y, r));
}

#endif
