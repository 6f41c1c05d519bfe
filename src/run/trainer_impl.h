/* trainer_impl.h - the trainer's insides, shared by trainer.c (the step
 * loop and the lifecycle), trainer_method.c (how losses become an update)
 * and trainer_relations.c (what the run publishes about task
 * relationships). Not a public API. */
#ifndef MT_TRAINER_IMPL_H
#define MT_TRAINER_IMPL_H

#include <stdint.h>
#include "core/mem.h"
#include "engine/checkpoint.h"
#include "engine/graph.h"
#include "engine/optim.h"
#include "mtl/combine.h"
#include "mtl/relations.h"
#include "mtl/weighting.h"
#include "mtl/methods.h"
#include "run/trainer.h"

struct mt_trainer {
    mt_experiment e; /* copy; holds a data reference */
    mt_monitor *mon; /* borrowed, may be NULL */
    mt_recorder rec;
    mt_hooks hooks;
    int T;

    mt_graph *g;
    mt_topo_built topo;
    mt_node x;
    mt_node y[MT_MAX_TASKS], m[MT_MAX_TASKS], loss[MT_MAX_TASKS];
    int max_batch;

    mt_optim opt;
    mt_batcher tb;
    long step, total;
    int epoch, batches_per_epoch;
    long last_hook_step;
    double hook_s; /* seconds spent in on_step callbacks */
    double lr_base, lr_scale, lr_now;
    mt_plateau plateau; /* reduce-on-plateau's best value and count */
    float w[MT_MAX_TASKS]; /* current loss weights */

    /* training statistics over the window since the last evaluation */
    double win_loss[MT_MAX_TASKS], win_hit[MT_MAX_TASKS], win_cnt[MT_MAX_TASKS];
    long win_steps;
    double train_loss[MT_MAX_TASKS];
    double step_loss[MT_MAX_TASKS];
    mt_eval_result val, test;
    int have_val, have_test;
    long val_count; /* validations so far (keep_best watches it) */

    /* the shared parameters, as ranges of the arena */
    int nsh;
    size_t *sh_off, *sh_len; /* (nsh) */
    size_t P;                /* floats in all shared ranges */
    float *scratch;          /* (params total) a copy of the arena's gradient */
    float **pdest;           /* (T, params count) task k's backward destinations: the
                                shared parameters into G's row k, the others NULL (the arena) */
    int sh_contig;           /* the shared ranges are one run of the arena */
    float *G;                /* (T, P) per-task gradients of the shared parameters */

    /* how task losses become an update: one of the two is active */
    mt_method_family family;
    mt_weighting *W;
    mt_combiner *C;
    int rep_grad;  /* the combiner works on representation gradients (rep_grad) */
    float *dvec;   /* (P) combined direction of the shared parameters */
    float *zgrad;  /* (T, max_batch * R) representation gradients (rep_grad) */
    float *zdir;   /* (max_batch * R) their combination */
    size_t R;      /* columns of the shared representation */
    size_t gw_off, gw_len; /* the last shared layer's weight inside a G row */
    float gnorm[MT_MAX_TASKS];
    double win_method[MT_MAX_TASKS]; /* losses summed over the DWA window */
    long win_method_n;
    long method_window;              /* DWA's `window` in steps; 0 = an epoch */
    mt_conflict_tracker conflicts;
    float *backup; /* (params total) for lookahead affinity, or NULL */
    float *al_backup; /* (params total) auto_lambda's lookahead, or NULL */
    mt_batcher vb;    /* auto_lambda: batches of the validation split */
    int have_vb;
    void *reg_state[MT_MAX_REGS]; /* regularisers bound to the graph */
    double penalty;               /* the regularisers' last total */
    int restructures;             /* times the network was rebuilt (FAFS) */
    int diverged;                 /* a loss or the gradient turned NaN/Inf */
    int in_step;                  /* 1 while a step's matrices are computed: they
                                     belong to step t->step + 1 */
    /* the loss weights at the last evaluations, oldest first: the "loss
     * weights" matrix (tasks x evaluations) */
#define TR_WEIGHT_HIST 12
    double wh[TR_WEIGHT_HIST][MT_MAX_TASKS];
    long wh_step[TR_WEIGHT_HIST];
    int nwh;

    struct mt_model *model;  /* a non-graph model (trainer_model.c), or NULL; owned by topo.state */
    double busy_s;           /* seconds spent inside trainer_step */
    long samples;
    char topo_text[8192];
};

/* The hooks of the topology and of every regulariser, in order. */
typedef struct {
    const mt_topo_hooks *h[1 + MT_MAX_REGS];
    void *state[1 + MT_MAX_REGS];
    int n;
} tr_hook_list;

/* ---- trainer.c ---- */
double tr_current_lr(const mt_trainer *t);
double tr_now_s(void);
mt_status tr_evaluate_and_publish(mt_trainer *t);
/* What every step ends with (t0: when it began): its time, the monitor's
 * header, the evaluation that falls due and the on_step callback. */
mt_status tr_step_done(mt_trainer *t, double t0);

/* ---- trainer_model.c (a non-graph model instead of a network) ---- */
mt_params *tr_params(mt_trainer *t); /* the model's float view or the graph's */
mt_status tr_model_build(mt_trainer *t);
void tr_model_publish_start(mt_trainer *t);
/* The posterior band (one input feature; see MT_MON_BAND). */
void tr_model_publish_band(mt_trainer *t);
mt_status tr_model_step(mt_trainer *t);
mt_status tr_model_evaluate(mt_trainer *t, mt_split_kind split, mt_eval_result *out);
/* The model's values (and Adam moments) into the float view and t->opt
 * before saving; back after loading. */
void tr_model_sync(mt_trainer *t);
mt_status tr_model_restore(mt_trainer *t, int with_optim);

/* ---- trainer_method.c ---- */
/* Creates the method the spec names (allocation happens here, never in a
 * step); on failure the trainer keeps its previous method. */
mt_status tr_setup_method(mt_trainer *t, const mt_method_spec *m);
/* This step's gradient in the arena according to the method; G filled
 * when need_G. */
mt_status tr_method_gradient(mt_trainer *t, const double *lv, int n, int need_G);
mt_status tr_method_after_step(mt_trainer *t, const double *lv, int epoch_ended);
/* Per-task gradients of the shared parameters into G (T, P). */
mt_status tr_task_gradients(mt_trainer *t);
void tr_publish_weights(mt_trainer *t);
void tr_reference_levels(const mt_trainer *t, mt_monitor *mon);

/* ---- trainer_relations.c ---- */
void tr_collect_hooks(const mt_trainer *t, tr_hook_list *l);
void tr_record_matrix(mt_trainer *t, const char *name, int rows, int cols, const double *v, double lo, double hi);
/* The same with row/column labels (NULL: task names when a side has T entries). */
void tr_record_matrix_labelled(mt_trainer *t, const char *name, int rows, int cols, const double *v, double lo,
                               double hi, const char *const *row_labels, const char *const *col_labels);
mt_status tr_publish_relations(mt_trainer *t);
mt_status tr_publish_affinity(mt_trainer *t);
void tr_publish_label_stats(mt_trainer *t);
void tr_publish_learned(mt_trainer *t);
void tr_publish_weight_history(mt_trainer *t);
void tr_publish_sigma(mt_trainer *t);

/* A task's mse or mae metric in the original units of its target: a
 * target standardised by mtl.data.csv { standardize_targets = true } was
 * trained in units of its sd (target.scale), so mse is scaled by scale^2
 * and mae by scale. Any other metric (and the loss) is returned as is. */
double tr_metric_units(const mt_trainer *t, int k, double metric);

#endif
