/* trainer.h - the step API: one experiment's graph, optimiser, batches,
 * loss weighting, evaluation and what it publishes.
 *
 * The headless runner calls trainer_step until trainer_finished; the screen
 * calls it until its frame budget is spent. Every number the run produces
 * goes through the recorder (metrics.csv, events.jsonl, relations.jsonl)
 * and, when given, the monitor (the screen). */
#ifndef MT_TRAINER_H
#define MT_TRAINER_H

#include "core/status.h"
#include "run/experiment.h"
#include "run/monitor.h"

typedef enum { MT_SPLIT_TRAIN, MT_SPLIT_VAL, MT_SPLIT_TEST } mt_split_kind;
const char *split_kind_name(mt_split_kind s);

/* Where a trainer's records go; every callback may be NULL. */
typedef struct {
    void *ud;
    void (*metric)(void *ud, long step, int epoch, mt_split_kind split, const char *task,
                   double loss, double metric, double weight);
    /* one JSON object, no newline */
    void (*event)(void *ud, const char *json);
    /* a named matrix (rows x cols) at a step; labels borrowed */
    void (*matrix)(void *ud, long step, const char *name, int rows, int cols, const double *v,
                   const char (*row_labels)[MT_MON_NAME], const char (*col_labels)[MT_MON_NAME]);
} mt_recorder;

/* User hooks (the Lua callbacks), throttled by the trainer. */
typedef struct {
    void *ud;
    mt_status (*on_step)(void *ud, long step);
    mt_status (*on_eval)(void *ud, long step);
    mt_status (*on_epoch)(void *ud, int epoch);
} mt_hooks;

typedef struct {
    double loss[MT_MAX_TASKS];
    double metric[MT_MAX_TASKS];
    int n[MT_MAX_TASKS]; /* labelled examples seen */
} mt_eval_result;

typedef struct mt_trainer mt_trainer;

/* Builds the graph and optimiser for e (copied; the data reference is
 * retained). mon may be NULL. */
mt_status trainer_new(const mt_experiment *e, mt_monitor *mon, mt_trainer **out);
void trainer_free(mt_trainer *t);
void trainer_set_recorder(mt_trainer *t, const mt_recorder *r);
void trainer_set_hooks(mt_trainer *t, const mt_hooks *h);

/* One optimisation step, plus the evaluations and relation matrices that
 * fall due. MT_ERR_NUMERIC when a loss turns NaN/Inf (the message names the
 * task and the step; parameters are left as they were before the step). */
mt_status trainer_step(mt_trainer *t);
int trainer_finished(const mt_trainer *t);
/* 1 after a step failed because a loss or the gradient was NaN/Inf (a
 * method that cannot solve, like Nash-MTL on the front, fails instead). */
int trainer_diverged(const mt_trainer *t);
/* Final validation and test evaluation; publishes them. */
mt_status trainer_finish(mt_trainer *t);
mt_status trainer_evaluate(mt_trainer *t, mt_split_kind split, mt_eval_result *out);

long trainer_step_count(const mt_trainer *t);
long trainer_total_steps(const mt_trainer *t);
int trainer_epoch(const mt_trainer *t); /* 0-based epoch of the last step */
/* Completed passes over the training split (fractional). */
double trainer_epochs_done(const mt_trainer *t);
/* Losses of the last step (T). */
const double *trainer_step_loss(const mt_trainer *t);
double trainer_samples_per_s(const mt_trainer *t);
double trainer_lr(const mt_trainer *t);
/* Multiplies the base learning rate (the screen's + and - keys). */
void trainer_scale_lr(mt_trainer *t, double factor);
void trainer_set_lr(mt_trainer *t, double lr);
/* Current loss weights (T); the static weights can be set live. */
const float *trainer_weights(const mt_trainer *t);
mt_status trainer_set_static_weight(mt_trainer *t, int task, double w);
/* Switches the loss weighting or gradient combination method while
 * training continues; its state starts fresh at the current step. */
mt_status trainer_set_weighting(mt_trainer *t, const mt_method_spec *m);
const char *trainer_weighting_name(const mt_trainer *t);
const mt_experiment *trainer_experiment(const mt_trainer *t);
/* The monitor given to trainer_new (borrowed), or NULL. */
mt_monitor *trainer_monitor(const mt_trainer *t);
/* Publishes a matrix a script computed (run:publish) to the screen and
 * the recorder like the trainer's own: rows x cols row-major, labels
 * (rows / cols entries, or NULL: the task names when the side has T
 * entries) borrowed; lo = hi: the heat scale follows the values. */
void trainer_publish_matrix(mt_trainer *t, const char *name, int rows, int cols, const double *v, double lo,
                            double hi, const char *const *row_labels, const char *const *col_labels);
const mt_eval_result *trainer_last_val(const mt_trainer *t);
long trainer_val_count(const mt_trainer *t); /* validations so far: a new one changes it */
const mt_eval_result *trainer_last_test(const mt_trainer *t); /* after finish */
/* Last training losses (T), the mean over the current window. */
const double *trainer_train_loss(const mt_trainer *t);
struct mt_graph;
struct mt_graph *trainer_graph(mt_trainer *t);
/* Parameter counts: shared and per task. */
size_t trainer_params_shared(const mt_trainer *t);
size_t trainer_params_task(const mt_trainer *t, int task);
size_t trainer_params_total(const mt_trainer *t);
/* The text drawing of the network (borrowed). */
const char *trainer_topology_text(const mt_trainer *t);
mt_status trainer_save_checkpoint(mt_trainer *t, const char *path);
mt_status trainer_load_checkpoint(mt_trainer *t, const char *path);

#endif
