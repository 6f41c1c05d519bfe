/* experiment.h - a validated, fully resolved experiment: data, tasks,
 * topology, loss weighting, optimiser and training budget.
 *
 * The Lua layer fills one from a script (validating every field with a
 * message naming it); the trainer runs it; the run directory writes it back
 * as config.json. Nothing here knows about Lua or screens. */
#ifndef MT_EXPERIMENT_H
#define MT_EXPERIMENT_H

#include <stdint.h>
#include "core/status.h"
#include "data/dataset.h"
#include "mtl/topology.h"

/* A loss-weighting or gradient-combination method by its registry name
 * (mtl/methods.h) and the parameters the script gave; the others take the
 * registry's defaults. { "gradnorm", alpha = 1.5 }. */
typedef struct {
    char name[32];
    mt_tparams params;
} mt_method_spec;

/* MT_LOSS_VALUE: the task's output is its loss (the mean over the batch);
 * for analytic objectives such as the two-objective landscapes. */
typedef enum { MT_LOSS_CE, MT_LOSS_MSE, MT_LOSS_L1, MT_LOSS_HUBER, MT_LOSS_BCE, MT_LOSS_VALUE } mt_loss_kind;
typedef enum { MT_METRIC_ACCURACY, MT_METRIC_MSE, MT_METRIC_MAE, MT_METRIC_LOSS } mt_metric_kind;

const char *loss_kind_name(mt_loss_kind k);
const char *metric_kind_name(mt_metric_kind k);
int metric_higher_is_better(mt_metric_kind k);

typedef struct {
    char name[MT_TOPO_NAME];
    int target;          /* index of the target block in the dataset */
    mt_target_kind kind; /* copied from the target block */
    int out_dim;         /* classes for CLASS, dim otherwise */
    mt_loss_kind loss;
    float huber_delta;
    mt_metric_kind metric;
    float weight; /* static weight (1 by default) */
    int aux;      /* auxiliary: trained, reported apart */
    int in_score; /* counts in the main-task score (default: !aux) */
} mt_task_spec;

typedef struct {
    char name[16];  /* sgd, adam, adamw, rmsprop, adagrad */
    float lr, momentum, beta1, beta2, eps, weight_decay, clip;
    float alpha;       /* rmsprop: smoothing of the squared gradients */
    float lr_decay;    /* adagrad */
    int nesterov;
    char schedule[16]; /* constant, step, cosine, plateau */
    int warmup;        /* steps of linear warm-up */
    int step_size;     /* step schedule: every step_size steps ... */
    float gamma;       /* ... multiply by gamma */
    float min_lr;      /* cosine, plateau: the floor */
    int patience;      /* plateau: evaluations without improvement tolerated */
    float threshold;   /* plateau: relative improvement that counts */
} mt_optim_spec;

typedef struct {
    int batch;
    int epochs;           /* used when steps == 0 */
    long steps;           /* total optimisation steps; 0 = epochs * batches */
    int eval_every;       /* steps between validation passes; 0 = each epoch */
    uint64_t seed;
    int relations_every;  /* steps between gradient-relation matrices; 0 = with eval */
    int affinity_every;   /* steps between lookahead transfer affinity; 0 = never */
    int baselines;        /* train single-task baselines and report delta_m */
    int callback_every;   /* steps between on_step callbacks; 0 = automatic: every
                             step while callbacks take under a tenth of the
                             training time, fewer when they would take more */
    char keep_best[64];   /* "" = off; "dm" (delta_m, needs baselines) or a task's
                             name: keep the checkpoint of the best validation as
                             best.safetensors */
    double pace_speed;    /* workbench: steps per second at the start (0: full speed) ... */
    long pace_until;      /* ... until this step, then full speed (the numbers do not change) */
} mt_train_spec;

/* The dataset and its split, shared by every experiment a script returns
 * (same data, same split) and freed with the last reference. */
#define MT_TRUTH_SUPPORT_MAX 1024 /* true support features recorded (config.json) */

typedef struct {
    mt_dataset ds;
    mt_split split;
    int refs;
    char source[512]; /* how it was made: "mmoe(tasks=2, d=100, ...)" */
    /* the constructor (mtl.data.<constructor>), its parameter schema
     * (static) and its values: the given ones and the derived ones the
     * builder resolved; defaults from defs. For config.json. */
    char constructor[32];
    const mt_tparam_def *defs;
    mt_tparams params;
    /* the true task clusters of a synthetic related-task family, for
     * comparing with learned relationships (ntruth = 0 otherwise) */
    int ntruth;
    int truth_cluster[MT_MAX_TASKS];
    /* the true shared support (0-based feature indices, ascending) of such
     * a family, for judging feature selection (nsupport = 0 otherwise) */
    int nsupport;
    int truth_support[MT_TRUTH_SUPPORT_MAX];
} mt_data_ref;

mt_data_ref *data_ref_new(void);
void data_ref_retain(mt_data_ref *r);
void data_ref_release(mt_data_ref *r);

typedef struct {
    char name[128];
    char description[4096];
    char script[512]; /* the file it came from */
    mt_data_ref *data; /* counted reference */
    int ntasks;
    mt_task_spec task[MT_MAX_TASKS];
    mt_topo_spec topo;
    int nreg;
    mt_reg_spec reg[MT_MAX_REGS]; /* regularisers on top of the topology */
    mt_method_spec weighting;
    mt_optim_spec optim;
    mt_train_spec train;
} mt_experiment;

/* Defaults for every field but data and tasks. */
void experiment_defaults(mt_experiment *e);
void experiment_free(mt_experiment *e); /* releases the data */
/* Cross-field checks the trainer relies on (tasks against the dataset,
 * sizes, budget); the message names the field. */
mt_status experiment_validate(const mt_experiment *e);
/* The part of it for a non-graph model (mtl/model.h; in trainer_model.c):
 * regression tasks only, no weighting, regulariser or optimiser it cannot
 * use, data within its size limits. MT_OK for a network. */
mt_status experiment_validate_model(const mt_experiment *e);
/* A single-task copy of e for task t: same data, budget, seed, optimiser;
 * weighting "equal". Retains the data. */
void experiment_single_task(const mt_experiment *e, int t, mt_experiment *out);

#endif
