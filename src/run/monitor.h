/* monitor.h - what a running experiment publishes: per-task series in
 * ring buffers, named T x T (or R x C) matrices, the run's state and a log.
 *
 * The trainer writes; the screen, the logs and the Lua console read. It all
 * runs on one thread (the screen trains between frames), so there is no
 * locking. A reader keeps only borrowed pointers for the duration of one
 * frame. */
#ifndef MT_MONITOR_H
#define MT_MONITOR_H

#include <stddef.h>
#include "core/limits.h"
#include "core/status.h"

#define MT_MON_NAME 64
#define MT_MON_MAX_MATRICES 24
#define MT_MON_LOG_LINES 256
#define MT_MON_LOG_WIDTH 240

/* A fixed-capacity ring of (x, y) points; the oldest are overwritten. When
 * full, every other point is dropped first so a long run keeps its whole
 * history at half the resolution (decimation) rather than only its tail. */
typedef struct {
    double *x; /* (cap) owned */
    double *y; /* (cap) owned */
    int cap, len;
    int stride;  /* keep one point in `stride` pushed (grows by decimation) */
    long pushed; /* points offered since the start */
} mt_series;

mt_status series_init(mt_series *s, int cap);
void series_free(mt_series *s);
void series_clear(mt_series *s);
void series_push(mt_series *s, double x, double y);
/* Last value, or NaN if empty. */
double series_last(const mt_series *s);

typedef enum {
    MT_RUN_IDLE,
    MT_RUN_RUNNING,
    MT_RUN_PAUSED,
    MT_RUN_FINISHED,
    MT_RUN_DIVERGED,
    MT_RUN_FAILED,
    MT_RUN_STOPPED, /* quit, reloaded or interrupted before the end */
} mt_run_state;

const char *monitor_state_name(mt_run_state s);

/* A named matrix with row and column labels, e.g. "grad cosine" (T x T over
 * the task names), "cross-stitch alpha layer 1", "expert usage" (T x E). */
typedef struct {
    char name[MT_MON_NAME];
    int rows, cols;
    double *v; /* (rows, cols) owned */
    char (*row_labels)[MT_MON_NAME]; /* (rows) owned */
    char (*col_labels)[MT_MON_NAME]; /* (cols) owned */
    double lo, hi; /* the natural scale: e.g. -1..1 for cosines; lo == hi: auto */
    long step;     /* training step of the last update */
    int valid;     /* 0 until first computed */
    /* running averages of the updates, kept by monitor_matrix_observe; a
     * change of shape or labels starts them afresh */
    double *ema;   /* (rows, cols) exponential average, owned */
    double *mean;  /* (rows, cols) mean over the run, owned */
    double *first; /* (rows, cols) the first update they start from, owned */
    int *count;    /* (rows, cols) finite values averaged, owned */
    long updates;  /* updates observed since the averages started */
    long first_step; /* step of the first of them */
    /* a matrix of one row and two columns (a point, such as a landscape's
     * "position") keeps its trail: every update observed, x = v[0], y =
     * v[1], decimated like a series; it restarts with the averages */
    mt_series trail;
} mt_matrix;

/* Which values of a matrix to read. */
typedef enum { MT_MAT_BATCH, MT_MAT_EMA, MT_MAT_MEAN, MT_MAT_VIEWS } mt_matrix_view;

/* A mark on the time axis: a change of the loss weighting, a reload. */
typedef struct {
    long step;
    char label[2 * MT_MON_NAME]; /* "gradnorm -> pcgrad" (UTF-8 arrow) */
} mt_mark;

#define MT_MON_MAX_MARKS 64
#define MT_MON_EMA_WINDOW 20 /* updates: the default window of the exponential average */

/* The posterior band of a non-graph model with one input dimension
 * (run/trainer_model.c), a matrix of 1 + 4T rows over MT_MON_BAND_GRID
 * columns: row 0 the inputs of the grid; for task t, rows 1+4t and 2+4t
 * its posterior mean and standard deviation on the grid (NaN where the
 * model has no variance), rows 3+4t and 4+4t the x and y of its training
 * points (up to the grid's length; NaN after the last). */
#define MT_MON_BAND "posterior band"
#define MT_MON_BAND_GRID 64
#define MT_MON_BAND_TASKS 15

/* The picture of a two-objective landscape's plane (mtl/topo_landscape.c),
 * published once, at a run's first evaluation: MT_MON_LANDSCAPE_GRID
 * columns and MT_MON_LANDSCAPE_GRID + 3 rows. Row 0: x1 lo, x1 hi, x2 lo,
 * x2 hi, the start point's x1 and x2 (NaN after them). Rows 1..G: f1 + f2
 * on the grid, row 1 at x2 = hi down to row G at x2 = lo, column 0 at
 * x1 = lo to column G - 1 at x1 = hi. Rows G + 1 and G + 2: the x1 and x2
 * of G points along the Pareto set (NaN where there is none). The point's
 * path is the trail of the 1 x 2 "position" matrix (MT_MON_POSITION). */
#define MT_MON_LANDSCAPE MT_LANDSCAPE_MATRIX
#define MT_MON_LANDSCAPE_GRID MT_LANDSCAPE_GRID
#define MT_MON_POSITION MT_LANDSCAPE_POSITION
#define MT_MON_TRAIL 1024 /* points a 1 x 2 matrix's trail keeps */
typedef struct {
    int ntasks;
    char task[MT_MAX_TASKS][MT_MON_NAME];
    int aux[MT_MAX_TASKS]; /* 1 for auxiliary tasks */

    mt_series train_loss[MT_MAX_TASKS]; /* x = step */
    mt_series val_loss[MT_MAX_TASKS];   /* x = step */
    mt_series val_metric[MT_MAX_TASKS]; /* x = step */
    mt_series weight[MT_MAX_TASKS];     /* loss weight (or sigma), x = step */
    /* a level each task's loss cannot beat, drawn as a reference line: the
     * noise floor of an MSE on a generator's noisy target (its noise
     * variance), chance level log K of a K-class cross-entropy; NaN: none */
    double ref_level[MT_MAX_TASKS];
    char ref_label[MT_MAX_TASKS][16];   /* "noise floor", "chance" */
    char weight_label[MT_MON_NAME];         /* "weight" or "sigma" */

    int nmatrices;
    mt_matrix matrix[MT_MON_MAX_MATRICES];

    /* header */
    char experiment[MT_MON_NAME * 2];
    char weighting[MT_MON_NAME];
    char description[4096]; /* the experiment's notes text */
    char topology[8192];    /* text drawing of the network, lines split by \n */
    mt_run_state state;
    long step, total_steps;
    int epoch, epochs;
    double samples_per_s;
    double lr;
    char status_msg[512];   /* e.g. the divergence message */

    /* a sweep's configuration read back (`mtlab open` on a sweep, run/runread.h):
     * the curves above are means over `spread_n` seeds' runs, and these hold
     * mean - sd and mean + sd (the sample sd over the seeds) at the same
     * steps. spread_n is 0 for a single run, and these stay empty. */
    int spread_n;
    mt_series train_lo[MT_MAX_TASKS], train_hi[MT_MAX_TASKS];
    mt_series val_lo[MT_MAX_TASKS], val_hi[MT_MAX_TASKS];

    /* method switches, oldest first (the oldest are dropped when full) */
    mt_mark mark[MT_MON_MAX_MARKS];
    int nmarks;
    int ema_window; /* updates; the exponential average's alpha is 2 / (window + 1) */

    /* log ring */
    char log[MT_MON_LOG_LINES][MT_MON_LOG_WIDTH];
    int log_level[MT_MON_LOG_LINES];
    int log_len;   /* lines stored (<= MT_MON_LOG_LINES) */
    long log_total;
} mt_monitor;

/* Sets up `ntasks` tasks (names borrowed and copied) with series of
 * capacity `cap` points each. */
mt_status monitor_init(mt_monitor *m, int ntasks, const char *const *names, const int *aux,
                       int cap);
void monitor_free(mt_monitor *m);
/* Finds or creates the named matrix with this shape (labels copied; NULL
 * labels leave them empty). Returns it (borrowed) or NULL on error. */
mt_matrix *monitor_matrix(mt_monitor *m, const char *name, int rows, int cols,
                          const char *const *row_labels, const char *const *col_labels);
mt_matrix *monitor_find_matrix(mt_monitor *m, const char *name);
/* Folds the matrix's current values (just written) into its averages with
 * the monitor's window. Non-finite cells are left out of the averages. */
void monitor_matrix_observe(const mt_monitor *m, mt_matrix *x);
/* The values to show: the last update, its exponential average or its
 * mean over the run (the last update while no average exists). */
const double *monitor_matrix_values(const mt_matrix *x, mt_matrix_view view);
const char *monitor_matrix_view_name(mt_matrix_view view);
/* Appends a mark (the oldest goes when full). */
void monitor_mark(mt_monitor *m, long step, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends a log line (truncated to the width; newlines split lines). */
void monitor_log(mt_monitor *m, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The i-th most recent log line (0 = newest) or NULL. */
const char *monitor_log_line(const mt_monitor *m, int i, int *level);

#endif
