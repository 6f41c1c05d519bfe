/* multifashion.c - two-item canvases with an optional area resampling. */
#include "multifashion.h"

#include <string.h>

#include "core/mem.h"
#include "core/rng.h"

/* Test canvases use their own seed so that, with the same seed, canvas i of
 * the test part is not built from the same draws as canvas i of train. */
#define TEST_SEED_SALT 0x7465737463616e76ULL /* "testcanv" */

typedef struct {
    const mt_dataset *src;
    const mt_target *tsrc;
    int h, w, S, shift, out; /* item size, canvas side, max shift, output side (0 = S) */
    float *canvas;           /* (S, S) scratch */
    float *wy;               /* (out, S) area weights, normalised */
    float *tmp;              /* (out, S) after the row pass */
} composer;

static mt_status check_opts(composer *c, const mt_dataset *src, const multifashion_opts *o)
{
    memset(c, 0, sizeof *c);
    const char *tname = o->target ? o->target : "label";
    int t = dataset_target_index(src, tname);
    if (t < 0)
        return mt_fail(MT_ERR_ARG, "multi-fashion: the source has no target named '%s'", tname);
    if (src->targets[t].kind != MT_TARGET_CLASS)
        return mt_fail(MT_ERR_ARG, "multi-fashion: source target '%s' is not a class target",
                       tname);
    if (src->c != 1 || src->h < 1 || src->w < 1)
        return mt_fail(MT_ERR_ARG,
                       "multi-fashion: the source must hold one-channel images (c=%d h=%d w=%d)",
                       src->c, src->h, src->w);
    c->src = src;
    c->tsrc = &src->targets[t];
    c->h = src->h;
    c->w = src->w;
    c->shift = o->max_shift < 0 ? 4 : o->max_shift;
    c->S = o->canvas > 0 ? o->canvas : (c->h > c->w ? c->h : c->w) + 8;
    if (c->S < c->h + c->shift || c->S < c->w + c->shift)
        return mt_fail(MT_ERR_ARG,
                       "multi-fashion: a %dx%d canvas cannot hold %dx%d items shifted by up to %d",
                       c->S, c->S, c->h, c->w, c->shift);
    if (o->out_size < 0)
        return mt_fail(MT_ERR_ARG, "multi-fashion: out_size %d is negative", o->out_size);
    c->out = o->out_size ? o->out_size : c->S;
    return MT_OK;
}

/* Area weights for resampling S samples to `out`: w[i][k] = |[i*s,(i+1)*s)
 * ∩ [k,k+1)| / s. Computed in units of 1/out (the interval of output i is
 * [i*S, (i+1)*S) over a source pixel [k*out, (k+1)*out)), so the overlaps
 * are exact integers. */
static void area_weights(float *w, int out, int S)
{
    for (int i = 0; i < out; i++)
        for (int k = 0; k < S; k++) {
            long lo = (long)i * S > (long)k * out ? (long)i * S : (long)k * out;
            long hi =
                (long)(i + 1) * S < (long)(k + 1) * out ? (long)(i + 1) * S : (long)(k + 1) * out;
            w[(size_t)i * S + k] = hi > lo ? (float)((double)(hi - lo) / S) : 0.0f;
        }
}

static mt_status composer_alloc(composer *c)
{
    c->canvas = mt_alloc((size_t)c->S * c->S * sizeof(float));
    if (!c->canvas) return MT_ERR_NOMEM;
    if (c->out != c->S) {
        c->wy = mt_alloc((size_t)c->out * c->S * sizeof(float));
        c->tmp = mt_alloc((size_t)c->out * c->S * sizeof(float));
        if (!c->wy || !c->tmp) return MT_ERR_NOMEM;
        area_weights(c->wy, c->out, c->S);
    }
    return MT_OK;
}

static void composer_free(composer *c)
{
    mt_free(c->canvas);
    mt_free(c->wy);
    mt_free(c->tmp);
}

/* Puts the item of source row `row` at (y0, x0), keeping the larger value
 * where something is already drawn. */
static void draw_max(composer *c, int row, int y0, int x0)
{
    const float *img = c->src->x + (size_t)row * (size_t)c->src->d; /* (h, w) */
    for (int r = 0; r < c->h; r++) {
        float *dst = c->canvas + (size_t)(y0 + r) * c->S + x0;
        const float *s = img + (size_t)r * c->w;
        for (int k = 0; k < c->w; k++)
            if (s[k] > dst[k]) dst[k] = s[k];
    }
}

/* Separable box filter: rows then columns, both with the same weights
 * (the canvas is square). */
static void resample(composer *c, float *dst /* (out, out) */)
{
    int S = c->S, out = c->out;
    for (int i = 0; i < out; i++) /* tmp (out, S) = wy (out, S) @ canvas (S, S) */
        for (int k = 0; k < S; k++) {
            double acc = 0;
            for (int m = 0; m < S; m++)
                acc += (double)c->wy[(size_t)i * S + m] * c->canvas[(size_t)m * S + k];
            c->tmp[(size_t)i * S + k] = (float)acc;
        }
    for (int i = 0; i < out; i++) /* dst (out, out) = tmp (out, S) @ wy^T (S, out) */
        for (int j = 0; j < out; j++) {
            double acc = 0;
            for (int k = 0; k < S; k++)
                acc += (double)c->tmp[(size_t)i * S + k] * c->wy[(size_t)j * S + k];
            dst[(size_t)i * out + j] = (float)acc;
        }
}

/* Fills rows [row0, row0+count) of out from source rows idx[0..nidx). */
static void compose_rows(composer *c, mt_dataset *out, int row0, int count, const int *idx,
                         int nidx, uint64_t seed, int *placement)
{
    mt_target *L = &out->targets[0], *R = &out->targets[1];
    for (int i = 0; i < count; i++) {
        mt_rng r;
        mt_rng_init(&r, seed, (uint64_t)i);
        int a = idx[mt_rng_below(&r, (uint64_t)nidx)];
        int b = idx[mt_rng_below(&r, (uint64_t)nidx)];
        int ly = (int)mt_rng_below(&r, (uint64_t)c->shift + 1);
        int lx = (int)mt_rng_below(&r, (uint64_t)c->shift + 1);
        int ry = c->S - c->h - (int)mt_rng_below(&r, (uint64_t)c->shift + 1);
        int rx = c->S - c->w - (int)mt_rng_below(&r, (uint64_t)c->shift + 1);
        memset(c->canvas, 0, (size_t)c->S * c->S * sizeof(float));
        draw_max(c, a, ly, lx);
        draw_max(c, b, ry, rx);
        float *dst = out->x + (size_t)(row0 + i) * (size_t)out->d;
        if (c->out == c->S)
            memcpy(dst, c->canvas, (size_t)c->S * c->S * sizeof(float));
        else
            resample(c, dst);
        L->y[row0 + i] = c->tsrc->y[a];
        R->y[row0 + i] = c->tsrc->y[b];
        if (c->tsrc->mask) {
            L->mask[row0 + i] = c->tsrc->mask[a];
            R->mask[row0 + i] = c->tsrc->mask[b];
        }
        if (placement) {
            int *p = placement + (size_t)i * 6;
            p[0] = a, p[1] = b, p[2] = ly, p[3] = lx, p[4] = ry, p[5] = rx;
        }
    }
}

static mt_status make_out(mt_dataset *out, const composer *c, int n)
{
    mt_status s = dataset_alloc(out, "multi-fashion", n, c->out * c->out, 1, c->out, c->out);
    if (s) return s;
    const char *names[2] = {"left", "right"};
    for (int k = 0; k < 2; k++) {
        if (!dataset_add_target(out, names[k], MT_TARGET_CLASS, 1, c->tsrc->classes))
            return mt_last_status();
        if (c->tsrc->mask && !dataset_target_mask(out, k)) return MT_ERR_NOMEM;
    }
    return MT_OK;
}

/* Every row of [lo, hi) as an index list. */
static int *range_idx(int lo, int hi)
{
    int *p = mt_alloc((size_t)(hi > lo ? hi - lo : 1) * sizeof(int));
    if (p)
        for (int i = lo; i < hi; i++) p[i - lo] = i;
    return p;
}

mt_status multifashion_make(mt_dataset *out, const mt_dataset *src, const mt_index *from,
                            const multifashion_opts *o, int *placement)
{
    composer c;
    mt_status s = check_opts(&c, src, o);
    if (s) return s;
    if (o->n < 0) return mt_fail(MT_ERR_ARG, "multi-fashion: n = %d is negative", o->n);
    int *own = NULL;
    const int *idx;
    int nidx;
    if (from) {
        s = dataset_check_index(src, from, "source");
        if (s) return s;
        idx = from->idx;
        nidx = from->n;
    } else {
        own = range_idx(0, src->n);
        if (!own) return MT_ERR_NOMEM;
        idx = own;
        nidx = src->n;
    }
    if (nidx < 1 && o->n > 0)
        s = mt_fail(MT_ERR_ARG, "multi-fashion: no source rows to draw items from");
    if (!s) s = composer_alloc(&c);
    if (!s) s = make_out(out, &c, o->n);
    if (!s) compose_rows(&c, out, 0, o->n, idx, nidx, o->seed, placement);
    composer_free(&c);
    mt_free(own);
    if (s) dataset_free(out);
    return s;
}

mt_status multifashion_make_split(mt_dataset *out, const mt_dataset *src, int n_first, int n_train,
                                  int n_test, const multifashion_opts *o)
{
    composer c;
    mt_status s = check_opts(&c, src, o);
    if (s) return s;
    if (n_first < 0 || n_first > src->n || n_train < 0 || n_test < 0)
        return mt_fail(MT_ERR_ARG,
                       "multi-fashion: bad split (boundary %d of %d rows, %d train, %d test)",
                       n_first, src->n, n_train, n_test);
    if ((n_train > 0 && n_first < 1) || (n_test > 0 && n_first >= src->n))
        return mt_fail(MT_ERR_ARG,
                       "multi-fashion: %s canvases asked for but the source has no %s rows",
                       n_train > 0 && n_first < 1 ? "training" : "test",
                       n_train > 0 && n_first < 1 ? "training" : "test");
    int *idx = range_idx(0, src->n);
    if (!idx) return MT_ERR_NOMEM;
    s = composer_alloc(&c);
    if (!s) s = make_out(out, &c, n_train + n_test);
    if (!s) {
        compose_rows(&c, out, 0, n_train, idx, n_first, o->seed, NULL);
        compose_rows(&c, out, n_train, n_test, idx + n_first, src->n - n_first,
                     o->seed ^ TEST_SEED_SALT, NULL);
    }
    composer_free(&c);
    mt_free(idx);
    if (s) dataset_free(out);
    return s;
}
