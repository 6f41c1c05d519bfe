/* gradcheck.c - finite-difference check of analytic gradients (gradcheck.h). */
#include "gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "graph_impl.h"

typedef struct {
    mt_graph *g;
    mt_node loss;
    mt_mode mode;
    uint64_t step; /* dropout pass to replay */
    double eps, tol;
    gradcheck_report rep;
} checker;

/* One forward pass with the dropout masks of the analytic pass. */
static double loss_at(checker *c)
{
    c->g->drop_step = c->step;
    graph_forward_to(c->g, c->loss, c->mode);
    return c->g->nodes[c->loss].value[0];
}

static void compare(checker *c, float *v, double analytic, const char *name, int r, int col)
{
    float orig = *v;
    if (!isfinite(orig)) return; /* e.g. a label in a masked-out row */
    float xp = orig + (float)c->eps, xm = orig - (float)c->eps;
    *v = xp;
    double fp = loss_at(c);
    *v = xm;
    double fm = loss_at(c);
    *v = orig;
    double numeric = (fp - fm) / ((double)xp - (double)xm);
    double ad = fabs(analytic - numeric);
    double den = fmax(fmax(fabs(analytic), fabs(numeric)), GRADCHECK_FLOOR);
    double rel = ad / den;
    gradcheck_report *o = &c->rep;
    o->n_checked++;
    if (!(rel <= c->tol)) o->n_failed++;
    if (!(ad <= o->max_abs_err)) o->max_abs_err = ad;
    /* NaN compares false, so a NaN entry becomes (and stays) the worst */
    if (o->n_checked == 1 || (!isnan(o->max_rel_err) && !(rel <= o->max_rel_err))) {
        o->max_rel_err = rel;
        o->worst_analytic = analytic;
        o->worst_numeric = numeric;
        snprintf(o->worst, sizeof o->worst, "%s[%d,%d]", name, r, col);
    }
}

mt_status gradcheck_run_mode(mt_graph *g, mt_node loss, mt_mode mode, double eps, double tol,
                             gradcheck_report *out)
{
    if (!g || !g->compiled) return mt_fail(MT_ERR_STATE, "gradcheck: graph not compiled");
    if (loss < 0 || loss >= g->n)
        return mt_fail(MT_ERR_ARG, "gradcheck: loss node %d does not exist", loss);
    const graph_node *ln = &g->nodes[loss];
    if (ln->batched || ln->rows != 1 || ln->cols != 1)
        return mt_fail(MT_ERR_SHAPE, "gradcheck: node %d (%s) is not a (1, 1) loss", loss,
                       graph_node_kind(g, loss));
    if (!(eps > 0) || !(tol > 0))
        return mt_fail(MT_ERR_ARG, "gradcheck: eps %g and tol %g must be positive", eps, tol);

    checker c = {.g = g, .loss = loss, .mode = mode, .step = g->drop_step, .eps = eps, .tol = tol};
    float *saved_pgrad = g->pgrad;
    float *const *saved_pdest = g->pdest;
    int saved_over = g->poverwrite;
    size_t total = g->params.total, in_floats = 0;
    unsigned char *anc = mt_alloc((size_t)g->n);
    float *saved = mt_alloc_aligned(total * sizeof(float) + 1);
    float *pg = mt_alloc_aligned(total * sizeof(float) + 1);
    float *ig = NULL;
    mt_status st = MT_OK;
    if (!anc || !saved || !pg) {
        st = MT_ERR_NOMEM;
        goto done;
    }
    memcpy(saved, g->params.data, total * sizeof(float));
    graph_mark_ancestors(g, &loss, 1, MT_NONE);
    memcpy(anc, g->mark, (size_t)g->n);
    for (int i = 0; i < g->n; i++)
        if (anc[i] && g->nodes[i].op == OP_INPUT && g->nodes[i].requires_grad)
            in_floats += (size_t)g->batch * g->nodes[i].cols;
    ig = mt_alloc_aligned(in_floats * sizeof(float) + 1);
    if (!ig) {
        st = MT_ERR_NOMEM;
        goto done;
    }

    /* the analytic pass, into private buffers */
    loss_at(&c);
    mt_backward_opts opts = {.param_grad = pg, .stop = MT_NONE, .only_group = -1};
    float one = 1.0f;
    if ((st = graph_backward(g, &loss, &one, 1, &opts)) != MT_OK) goto done;
    size_t off = 0;
    for (int i = 0; i < g->n; i++)
        if (anc[i] && g->nodes[i].op == OP_INPUT && g->nodes[i].requires_grad) {
            size_t m = (size_t)g->batch * g->nodes[i].cols;
            memcpy(ig + off, graph_grad(g, i), m * sizeof(float));
            off += m;
        }

    /* the numeric pass, element by element */
    off = 0;
    for (int i = 0; i < g->n; i++) {
        graph_node *nd = &g->nodes[i];
        if (!anc[i]) continue;
        if (nd->op == OP_PARAM) {
            size_t po = g->params.info[nd->param].offset;
            for (int r = 0; r < nd->rows; r++)
                for (int k = 0; k < nd->cols; k++) {
                    size_t e = (size_t)r * nd->cols + k;
                    compare(&c, &nd->value[e], pg[po + e], nd->name, r, k);
                }
        } else if (nd->op == OP_INPUT && nd->requires_grad) {
            for (int r = 0; r < g->batch; r++)
                for (int k = 0; k < nd->cols; k++) {
                    size_t e = (size_t)r * nd->cols + k;
                    compare(&c, &nd->value[e], ig[off + e], nd->name, r, k);
                }
            off += (size_t)g->batch * nd->cols;
        }
    }

    /* leave values as one unperturbed forward pass would */
    memcpy(g->params.data, saved, total * sizeof(float));
    loss_at(&c);
    memcpy(g->params.data, saved, total * sizeof(float));
    if (c.rep.n_failed > 0)
        st = mt_fail(MT_ERR_NUMERIC,
                     "gradcheck: %d of %d entries off; worst %s: analytic %.6g vs numeric %.6g "
                     "(relative error %.3g > tol %.3g)",
                     c.rep.n_failed, c.rep.n_checked, c.rep.worst, c.rep.worst_analytic,
                     c.rep.worst_numeric, c.rep.max_rel_err, tol);
done:
    if (st == MT_ERR_NOMEM) mt_fail(MT_ERR_NOMEM, "gradcheck: out of memory");
    g->pgrad = saved_pgrad;
    g->pdest = saved_pdest;
    g->poverwrite = saved_over;
    if (out) *out = c.rep;
    mt_free(anc);
    mt_free(saved);
    mt_free(pg);
    mt_free(ig);
    return st;
}

mt_status gradcheck_run(mt_graph *g, mt_node loss, double eps, double tol, gradcheck_report *out)
{
    return gradcheck_run_mode(g, loss, MT_TRAIN, eps, tol, out);
}
