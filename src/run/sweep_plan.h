/* sweep_plan.h - what a sweep runs: configurations (a base experiment
 * times one value of every grid axis) times seeds, each run an ordinary
 * `mtlab run` with --set overrides into DIR/<config>/seed-<n>/.
 *
 * The spec is what the script's mtl.sweep { ... } and the command line
 * declare (src/lua reads it; grid values arrive as --set texts). The plan
 * expands it: configuration names and directories, the runs in order
 * (configuration-major, so runs of one configuration that differ only in
 * the seed start together and train their single-task baselines side by
 * side), and the argument list of each run. Pure: no files, no processes. */
#ifndef MT_SWEEP_PLAN_H
#define MT_SWEEP_PLAN_H

#include <stddef.h>
#include "core/status.h"

#define MT_SWEEP_MAX_AXES 8
#define MT_SWEEP_MAX_VALUES 32
#define MT_SWEEP_MAX_SEEDS 256
#define MT_SWEEP_MAX_EXPS 32
#define MT_SWEEP_MAX_SEED_PATHS 4
#define MT_SWEEP_MAX_SETS 64
#define MT_SWEEP_VALUE 512
#define MT_SWEEP_LABEL 64
/* Seeds travel through JSON numbers: integers up to 2^53 are exact. */
#define MT_SWEEP_MAX_SEED 9007199254740992ULL

typedef struct {
    char key[128]; /* a --set path: "weighting", "topology.trunk" */
    int nvalues;
    char value[MT_SWEEP_MAX_VALUES][MT_SWEEP_VALUE]; /* --set text: "pcgrad", "{128,64}" */
    char label[MT_SWEEP_MAX_VALUES][MT_SWEEP_LABEL]; /* in names: "pcgrad", "128-64" */
} mt_sweep_axis;

typedef struct {
    char key[128];
    char value[MT_SWEEP_VALUE];
} mt_sweep_set;

typedef struct {
    char script[1024];
    int nexp; /* base experiments, in the order the script returns them */
    char exp_name[MT_SWEEP_MAX_EXPS][128];
    int naxes;
    mt_sweep_axis axis[MT_SWEEP_MAX_AXES];
    int nseeds;
    unsigned long long seed[MT_SWEEP_MAX_SEEDS];
    int nseed_paths; /* where a run's seed goes; default train.seed */
    char seed_path[MT_SWEEP_MAX_SEED_PATHS][64];
    int nsets; /* the command line's --set, applied before the grid's */
    mt_sweep_set set[MT_SWEEP_MAX_SETS];
    char reference[256]; /* a configuration's name or directory; "" = the first */
    int threads;         /* BLAS threads of each run (default 1) */
    int trust;           /* the runs get --trust (the sweep had it) */
    unsigned long long lua_mem; /* the runs' --lua-mem in bytes; 0: their default */
} mt_sweep_spec;

typedef struct {
    char name[256]; /* "mmoe weighting=pcgrad topology.trunk=128-64" */
    char dir[128];  /* "mmoe_weighting-pcgrad_topology.trunk-128-64" */
    int exp;        /* index into spec.exp_name */
    int point[MT_SWEEP_MAX_AXES]; /* value index on each axis */
} mt_sweep_config;

typedef struct {
    int config, seed; /* indices into config[] and spec.seed[] */
    char dir[160];    /* "<config dir>/seed-<n>", relative to the sweep's directory */
} mt_sweep_run;

typedef struct {
    mt_sweep_spec spec;
    int nconfigs;
    mt_sweep_config *config;
    int nruns;
    mt_sweep_run *run;
    int reference; /* index of the reference configuration */
} mt_sweep_plan;

/* Fills the defaults of an empty spec (seed path train.seed, 1 thread). */
void sweep_spec_defaults(mt_sweep_spec *s);

/* Expands spec into a plan (caller frees with sweep_plan_free). Errors
 * name the field: no seeds, an axis without values, an unknown reference,
 * too many runs. */
mt_status sweep_plan_build(const mt_sweep_spec *spec, mt_sweep_plan **out);
void sweep_plan_free(mt_sweep_plan *p);

/* The index of the configuration with this name or directory, or -1. */
int sweep_plan_find_config(const mt_sweep_plan *p, const char *name);

/* The arguments of `mtlab run` for run r (program name excluded):
 *   run SCRIPT [--experiment K] [--set K=V]... --set SEEDPATH=N...
 *   --threads T [--trust] [--lua-mem BYTES] --quiet --force --baselines OUT --out OUT/<config>/seed-<n>
 * argv points into buf; argv[argc] is NULL. */
#define MT_SWEEP_MAX_ARGS 200
typedef struct {
    int argc;
    char *argv[MT_SWEEP_MAX_ARGS + 1];
    char buf[65536];
} mt_sweep_argv;
mt_status sweep_plan_argv(const mt_sweep_plan *p, int r, const char *out_dir, mt_sweep_argv *a);

/* The same as one shell command line (arguments quoted where a shell
 * would split or expand them), for --list. Returns the length, or 0 when
 * it does not fit in n. */
size_t sweep_plan_command(const mt_sweep_plan *p, int r, const char *program, const char *out_dir,
                          char *buf, size_t n);

/* Seeds from "1..10", "1,2,5" or "1..3,7" (non-negative, no repeats). */
mt_status sweep_parse_seeds(const char *text, unsigned long long *seeds, int max, int *n);

#endif
