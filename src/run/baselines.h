/* baselines.h - single-task baselines and delta_m, for a single run and a
 * sweep alike (a sweep's runs are single runs sharing one cache).
 *
 * A baseline trains each scored task alone with the multi-task run's data,
 * split, network and budget. Its results are cached as
 * <dir>/baselines-<hash>.json, where the hash is FNV-1a of the canonical
 * configuration JSON: every setting that changes what a single-task model
 * learns (the data by content, the split, the network, the optimiser, the
 * budget and seed, each task's target, loss, metric and head) or where its
 * learning curve is sampled (the evaluation interval: the curve's slopes
 * are cached too), and none that does not (the weighting, names of
 * experiments). Configurations that differ only in how they share
 * therefore train their baselines once per seed. */
#ifndef MT_BASELINES_H
#define MT_BASELINES_H

#include <stdint.h>
#include "core/status.h"
#include "mtl/auxtask.h"
#include "run/trainer.h"

struct cJSON;

/* Single-task results: per task the test metric (validation without a
 * test split) and the slopes of its validation loss curve at the fractions
 * of training auxtask_curve_fracs (mtl/auxtask.h); NaN for a task not in
 * the score. */
typedef struct {
    int have;
    double metric[MT_MAX_TASKS];
    double curve_slope[MT_MAX_TASKS][AUXTASK_CURVE_N];
} mt_baselines;

/* delta_m in percent: the mean over scored tasks of
 * (-1)^{lower is better} (M_mtl - M_single) / M_single * 100. NAN when no
 * task can be scored. */
double delta_m(const mt_experiment *e, const double *mtl, const mt_baselines *b);

/* FNV-1a over the inputs, every target (name, values, mask) and the split's
 * indices: the data by content. */
uint64_t baselines_data_fingerprint(const mt_data_ref *d);

/* The canonical configuration a baseline depends on (caller frees with
 * cJSON_Delete); NULL when out of memory. */
struct cJSON *baselines_config_json(const mt_experiment *e);

/* "<dir>/baselines-<16 hex digits>.json" for e into path. */
mt_status baselines_cache_path(const mt_experiment *e, const char *dir, char *path, size_t n);

/* Called with each single-task trainer once before its first step (step
 * count 0) and after every step; nonzero stops the training as
 * interrupted. */
typedef int (*mt_baseline_progress)(void *ud, mt_trainer *t, int task);

/* Trains every scored task of e alone into b. */
mt_status baselines_train(const mt_experiment *e, mt_baseline_progress progress, void *ud, mt_baselines *b);

/* The cached baselines of e in dir, or trains and caches them. Runs that
 * share dir and start together wait for the one training (an fcntl lock on
 * the cache file's .lock, when dir exists; without locking, each trains
 * and the cache is written atomically either way). *reused tells which happened; path
 * receives the cache file's name. */
mt_status baselines_obtain(const mt_experiment *e, const char *dir, mt_baseline_progress progress, void *ud,
                           mt_baselines *b, int *reused, char *path, size_t n);

#endif
