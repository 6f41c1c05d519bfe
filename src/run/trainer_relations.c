/* trainer_relations.c - what a run publishes about task relationships:
 * gradient relations, lookahead transfer affinity, and what topologies and
 * regularisers learn. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "mtl/auxtask.h"
#include "run/trainer_impl.h"

void tr_collect_hooks(const mt_trainer *t, tr_hook_list *l)
{
    l->n = 0;
    const mt_topo_class *c = topo_find(t->e.topo.type);
    if (c) {
        l->h[l->n] = &c->hooks;
        l->state[l->n++] = t->topo.state;
    }
    for (int r = 0; r < t->e.nreg; r++) {
        const mt_reg_class *rc = reg_find(t->e.reg[r].type);
        if (!rc) continue;
        l->h[l->n] = &rc->hooks;
        l->state[l->n++] = t->reg_state[r];
    }
}

/* Publishes a matrix to the screen and the recorder. Row and column
 * labels default to the task names when the side has T entries. */
void tr_record_matrix_labelled(mt_trainer *t, const char *name, int rows, int cols, const double *v, double lo,
                               double hi, const char *const *row_labels, const char *const *col_labels)
{
    const char *tasks[MT_MAX_TASKS];
    for (int k = 0; k < t->T; k++) tasks[k] = t->e.task[k].name;
    const char *const *rl = row_labels ? row_labels : rows == t->T ? tasks : NULL;
    const char *const *cl = col_labels ? col_labels : cols == t->T ? tasks : NULL;
    if (t->mon) {
        mt_matrix *mx = monitor_matrix(t->mon, name, rows, cols, rl, cl);
        if (mx) {
            memcpy(mx->v, v, (size_t)rows * (size_t)cols * sizeof *v);
            mx->lo = lo;
            mx->hi = hi;
            mx->step = t->step + t->in_step;
            mx->valid = 1;
            monitor_matrix_observe(t->mon, mx);
        }
    }
    /* label arrays for the recorder: matrices may be wider than T (a
     * regulariser's feature-use matrix has up to 32 columns) */
    enum { REC_MAXDIM = 64 };
    if (t->rec.matrix && rows <= REC_MAXDIM && cols <= REC_MAXDIM) {
        char rls[REC_MAXDIM][MT_MON_NAME], cls[REC_MAXDIM][MT_MON_NAME];
        for (int k = 0; k < REC_MAXDIM; k++) {
            snprintf(rls[k], MT_MON_NAME, "%s", rl && k < rows ? rl[k] : "");
            snprintf(cls[k], MT_MON_NAME, "%s", cl && k < cols ? cl[k] : "");
        }
        t->rec.matrix(t->rec.ud, t->step + t->in_step, name, rows, cols, v, (const char(*)[MT_MON_NAME])rls,
                      (const char(*)[MT_MON_NAME])cls);
    }
}

void trainer_publish_matrix(mt_trainer *t, const char *name, int rows, int cols, const double *v, double lo,
                            double hi, const char *const *row_labels, const char *const *col_labels)
{
    tr_record_matrix_labelled(t, name, rows, cols, v, lo, hi, row_labels, col_labels);
}

void tr_record_matrix(mt_trainer *t, const char *name, int rows, int cols, const double *v, double lo, double hi)
{
    tr_record_matrix_labelled(t, name, rows, cols, v, lo, hi, NULL, NULL);
}

/* The gradient-relation matrices of the current batch, from G (T, P)
 * filled by the caller: cosine, magnitude similarity, norms, the running
 * conflict fraction and the condition number of G. */
mt_status tr_publish_relations(mt_trainer *t)
{
    int T = t->T;
    double M[MT_MAX_TASKS * MT_MAX_TASKS], C[MT_MAX_TASKS * MT_MAX_TASKS], S[MT_MAX_TASKS * MT_MAX_TASKS];
    double n[MT_MAX_TASKS], work[2 * MT_MAX_TASKS * MT_MAX_TASKS + MT_MAX_TASKS], kappa;
    mt_status st = relations_gram(t->G, T, t->P, M);
    if (st) return st;
    relations_cosine_from_gram(M, T, C);
    relations_magnitude_from_gram(M, T, S);
    relations_norms_from_gram(M, T, n);
    relations_conflict_add(&t->conflicts, C);
    double F[MT_MAX_TASKS * MT_MAX_TASKS];
    relations_conflict_matrix(&t->conflicts, F);
    tr_record_matrix(t, "grad cosine", T, T, C, -1, 1);
    tr_record_matrix(t, "grad magnitude sim", T, T, S, 0, 1);
    tr_record_matrix(t, "conflict fraction", T, T, F, 0, 1);
    tr_record_matrix(t, "grad norm", 1, T, n, 0, 0);
    if (relations_condition(M, T, work, &kappa) == MT_OK) tr_record_matrix(t, "condition number", 1, 1, &kappa, 0, 0);
    /* with auxiliary tasks: each task's cosine with the main tasks' summed
     * gradient (section 7.9; summary.json keeps its mean over the run) */
    int is_main[MT_MAX_TASKS], nmain = 0, naux = 0;
    for (int k = 0; k < T; k++) {
        is_main[k] = !t->e.task[k].aux;
        nmain += is_main[k];
        naux += !is_main[k];
    }
    if (nmain && naux) {
        double c[MT_MAX_TASKS];
        auxtask_cosine_to_main(M, T, is_main, c);
        static const char *const row[] = {"cos to main"};
        tr_record_matrix_labelled(t, "aux cosine", 1, T, c, -1, 1, row, NULL);
    }
    return MT_OK;
}

/* With auxiliary tasks, before the first step: each task's label entropy
 * and kurtosis over the labelled training examples (auxtask.h; Alonso &
 * Plank 2017). A class target's entropy and the kurtosis of its class
 * frequencies; a binary target's the same over its 0/1 values; a
 * regression target's kurtosis of its values (entropy NaN). */
void tr_publish_label_stats(mt_trainer *t)
{
    int naux = 0;
    for (int k = 0; k < t->T; k++) naux += t->e.task[k].aux;
    if (!naux || t->T < 1) return;
    const mt_dataset *ds = &t->e.data->ds;
    const mt_index *tr = &t->e.data->split.train;
    double v[2 * MT_MAX_TASKS];
    double *x = mt_alloc((size_t)(tr->n > 0 ? tr->n : 1) * sizeof *x * 8);
    if (!x) return;
    for (int k = 0; k < t->T; k++) {
        const mt_target *tg = &ds->targets[t->e.task[k].target];
        double counts[1024] = {0};
        int K = tg->kind == MT_TARGET_CLASS ? (tg->classes < 1024 ? tg->classes : 1024) : 2;
        size_t n = 0;
        int cols = tg->dim < 8 ? tg->dim : 8;
        for (int i = 0; i < tr->n; i++) {
            int r = tr->idx[i];
            if (tg->mask && !tg->mask[r]) continue;
            for (int j = 0; j < cols; j++) {
                double y = tg->y[(size_t)r * tg->dim + j];
                if (tg->kind == MT_TARGET_REGRESS) {
                    x[n++] = y;
                } else {
                    int c = (int)y;
                    if (c >= 0 && c < K) counts[c] += 1;
                }
            }
        }
        if (tg->kind == MT_TARGET_REGRESS) {
            v[k] = NAN;
            v[t->T + k] = auxtask_kurtosis(x, n);
        } else {
            v[k] = auxtask_entropy(counts, K);
            v[t->T + k] = auxtask_kurtosis(counts, (size_t)K);
        }
    }
    mt_free(x);
    static const char *const rows[] = {"label entropy", "label kurtosis"};
    tr_record_matrix_labelled(t, "label stats", 2, t->T, v, 0, 0, rows, NULL);
}

/* Lookahead transfer affinity (Fifty et al. 2021) on the current batch:
 * for each task i, one SGD step of the shared parameters along g_i (at the
 * current learning rate), the losses of every task after it, and the
 * parameters restored. G must hold this batch's task gradients. */
mt_status tr_publish_affinity(mt_trainer *t)
{
    mt_params *p = graph_params(t->g);
    double before[MT_MAX_TASKS], after[MT_MAX_TASKS * MT_MAX_TASKS], Z[MT_MAX_TASKS * MT_MAX_TASKS];
    graph_forward(t->g, MT_EVAL); /* before and after alike without dropout */
    for (int j = 0; j < t->T; j++) before[j] = graph_value(t->g, t->loss[j])[0];
    memcpy(t->backup, p->data, p->total * sizeof(float));
    float lr = (float)t->lr_now;
    for (int i = 0; i < t->T; i++) {
        const float *g = t->G + (size_t)i * t->P;
        for (int r = 0; r < t->nsh; r++) {
            float *w = p->data + t->sh_off[r];
            for (size_t q = 0; q < t->sh_len[r]; q++) w[q] -= lr * g[q];
            g += t->sh_len[r];
        }
        graph_forward(t->g, MT_EVAL);
        for (int j = 0; j < t->T; j++) after[i * t->T + j] = graph_value(t->g, t->loss[j])[0];
        memcpy(p->data, t->backup, p->total * sizeof(float));
    }
    graph_forward(t->g, MT_TRAIN); /* restore this batch's activations for backward */
    if (relations_affinity(before, after, t->T, Z) == MT_OK)
        tr_record_matrix(t, "transfer affinity", t->T, t->T, Z, -1, 1);
    return MT_OK;
}

static void publish_cb(void *ud, const char *name, int rows, int cols, const double *v,
                       const char *const *rl, const char *const *cl, double lo, double hi)
{
    tr_record_matrix_labelled(ud, name, rows, cols, v, lo, hi, rl, cl);
}

/* Learned relationships of the topology and regularisers. */
void tr_publish_learned(mt_trainer *t)
{
    tr_hook_list l;
    tr_collect_hooks(t, &l);
    for (int i = 0; i < l.n; i++)
        if (l.h[i]->publish) l.h[i]->publish(l.state[i], t->g, publish_cb, t);
}

/* Uncertainty weighting's sigma per task (the weights pane shows it too),
 * so a run directory keeps what the method learned. */
void tr_publish_sigma(mt_trainer *t)
{
    if (!t->W || weighting_kind(t->W) != MT_WEIGHT_UNCERTAINTY) return;
    double v[MT_MAX_TASKS];
    for (int k = 0; k < t->T; k++) v[k] = weighting_sigma(t->W, k);
    static const char *const row[] = {"sigma"};
    tr_record_matrix_labelled(t, "uncertainty sigma", 1, t->T, v, 0, 0, row, NULL);
}

/* The loss weights over time as a matrix: a row per task, a column per
 * evaluation (the last TR_WEIGHT_HIST of them), labelled by step. */
void tr_publish_weight_history(mt_trainer *t)
{
    if (t->nwh == TR_WEIGHT_HIST) {
        memmove(t->wh, t->wh + 1, (TR_WEIGHT_HIST - 1) * sizeof t->wh[0]);
        memmove(t->wh_step, t->wh_step + 1, (TR_WEIGHT_HIST - 1) * sizeof t->wh_step[0]);
        t->nwh--;
    }
    for (int k = 0; k < t->T; k++) t->wh[t->nwh][k] = t->w[k];
    t->wh_step[t->nwh++] = t->step;
    double v[MT_MAX_TASKS * TR_WEIGHT_HIST];
    char names[TR_WEIGHT_HIST][24];
    const char *cols[TR_WEIGHT_HIST];
    for (int j = 0; j < t->nwh; j++) {
        snprintf(names[j], sizeof names[j], "%ld", t->wh_step[j]);
        cols[j] = names[j];
        for (int k = 0; k < t->T; k++) v[k * t->nwh + j] = t->wh[j][k];
    }
    tr_record_matrix_labelled(t, "loss weights", t->T, t->nwh, v, 0, 0, NULL, cols);
}
