/* model.h - non-graph models (survey section 5: multi-task kernel ridge,
 * the ICM multi-task Gaussian process, the hierarchical Bayesian linear
 * model) as classes beside the topologies.
 *
 * A topology class whose `model` field is set is not built into an engine
 * graph. The trainer (run/trainer_model.c) gathers the labelled (example,
 * task) pairs of the training split, creates an mt_model, and calls its
 * step (one Adam step on the hyperparameters, one EM iteration, or the
 * closed-form fit), predict and publish; the model then lives in the
 * topology's state (mt_topo_built.state), freed and published by the
 * class's hooks like any topology's. Scripts give its parameters like a
 * topology's (mt_tparam_def); the Lua constructor is mtl.model.<name>.
 *
 * Every learned value also has a float32 view in `arena` (named and
 * grouped as a network's parameters: 0 shared, 1+t task t), so parameter
 * counts, config.json and checkpoints treat a model like a network. The
 * numerics themselves are double precision (model_kernel.h, model_gp.h,
 * model_krr.h, model_hb.h). */
#ifndef MT_MODEL_H
#define MT_MODEL_H

#include <stdint.h>
#include "core/status.h"
#include "data/dataset.h"
#include "engine/params.h"
#include "model_kernel.h"
#include "topology.h"

/* The exact models factorise (and the GP inverts) an N x N matrix of the
 * N labelled training (example, task) pairs: O(N^3) time per step and
 * 8 N^2 bytes. Beyond this N a step takes minutes and the memory runs to
 * gigabytes, so it is refused with a message saying so. */
#define MT_MODEL_MAX_OBS 4000
/* The hierarchical model's weights per task (inputs + bias): d x d
 * factorisations per task and component, and the (T, d) matrices. */
#define MT_MODEL_MAX_DIM 256

typedef struct mt_model mt_model;

typedef struct mt_model_class {
    /* 0: fitted in closed form by its first step (the budget is one step) */
    int iterative;
    /* 1: learns by gradient with the experiment's optimiser, which must be Adam */
    int uses_adam;
    /* input features it takes at most (0: any) */
    int max_dim;
    /* what it fits, for messages: "its exact log marginal likelihood" */
    const char *fits;
    /* Creates m->impl from the observations and registers and allocates
     * m->arena. */
    mt_status (*create)(mt_model *m);
    /* One step; loo (n) gets every training pair's leave-one-out residual
     * at the values the step started from, *objective the model's log
     * marginal likelihood there (NaN when it has none). */
    mt_status (*step)(mt_model *m, const mk_adam_cfg *c, double *loo, double *objective);
    /* The latent posterior of task t at X (n, d): mean (n), variance (n,
     * may be NULL; NaN when the model has none). */
    mt_status (*predict)(mt_model *m, int t, const double *X, int n, double *mean, double *var);
    /* Each task's noise standard deviation (T); NaN when the model has none. */
    void (*noise_sd)(mt_model *m, double *sd);
    void (*publish)(mt_model *m, mt_publish_fn fn, void *ud);
    /* The float view: the learned values into m->arena.data and, when am
     * is not NULL, the Adam moments (arena-sized) and step count; load
     * does the reverse (an imported model is ready to predict). */
    void (*save)(mt_model *m, float *am, float *av, long *adam_t);
    mt_status (*load)(mt_model *m, const float *am, const float *av, long adam_t);
    void (*free_impl)(void *impl);
    /* Its parameters for task t alone (the single-task baselines): what
     * only makes sense for several tasks becomes its one-task form. NULL:
     * the same parameters. */
    void (*single_task)(mt_tparams *p, int t, int T);
} mt_model_class;

struct mt_model {
    const mt_model_class *cls;
    const mt_topo_class *topo; /* the registry entry (name, params) */
    mt_tparams params;
    int T, d, n;
    double *X;  /* (n, d) the labelled training pairs' inputs */
    double *y;  /* (n) */
    int *task;  /* (n) */
    char task_name[MT_MAX_TASKS][MT_TOPO_NAME];
    uint64_t seed;
    double *loo; /* (n) work: the last step's leave-one-out residuals */
    void *impl;
    mt_params arena;
    double objective; /* after the last step */
};

/* The labelled pairs (example of `train`, task t) with targets[t] a
 * one-column target of ds. */
int model_count_obs(const mt_dataset *ds, const mt_index *train, const int *targets, int T);
/* What a model needs of the data: one real-valued target per task, at
 * least one and at most MT_MODEL_MAX_OBS labelled training pairs, and no
 * more input features than the class takes. The message says why. */
mt_status model_check_data(const mt_topo_spec *s, const mt_dataset *ds, const mt_index *train, const int *targets);
/* Builds the model the spec's class names; the message names what is
 * wrong (too many observations, a bad parameter such as a B that is not
 * positive semi-definite). */
mt_status model_new(const mt_topo_spec *s, const mt_dataset *ds, const mt_index *train, const int *targets,
                    uint64_t seed, mt_model **out);
void model_free(mt_model *m);
/* The class of a topology spec, or NULL for a network. */
const mt_model_class *model_class_of(const mt_topo_spec *s);

/* A model spec of T tasks made the spec of its task t alone (the
 * single-task baselines): rank or clusters at most 1, B its t-th diagonal
 * entry. Nothing for a network. */
void model_single_task(mt_topo_spec *s, int t, int T);

/* The model's hooks as a topology's: publish(state = mt_model), free. */
void model_hook_publish(void *state, mt_graph *g, mt_publish_fn fn, void *ud);
void model_hook_free(void *state);

/* The model classes as the markdown tables of docs/lua-api.md (`make docs`
 * splices them in; a test compares) and as text for `mtlab --list-models`.
 * Return the bytes the whole text needs (written up to n, terminated). */
size_t model_markdown(char *buf, size_t n);
size_t model_text(char *buf, size_t n);

/* The float view, parameter by parameter at their (aligned) offsets: v
 * holds every value in the order the parameters were registered; buf is
 * arena-shaped (the arena's data, or the optimiser's moments). */
void model_view_store(const mt_model *m, const double *v, float *buf);
void model_view_load(const mt_model *m, const float *buf, double *v);

/* Helpers for the classes: the task-name labels of a T-sized side, the
 * input-feature labels ("x1".."xD", then "bias") of a weight vector. */
void model_feature_label(const mt_model *m, int j, int bias, char *out, size_t n);

#endif
