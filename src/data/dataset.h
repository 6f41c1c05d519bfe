/* dataset.h - the dataset model: one input block, one named target block
 * per task, optional per-task label masks; splits and seeded batching.
 *
 * Everything a dataset owns is freed by dataset_free. Generators and
 * loaders fill an mt_dataset and return a status with a message naming
 * the file and the problem on failure.
 *
 * The rest of the module, each with its own header: fashion.h (Fashion-
 * MNIST and its coarse groups, over idx.h, the gzip IDX reader),
 * multifashion.h (two items per canvas), csv.h (columns by name), synth.h
 * (seeded synthetic MTL problems) and landscape.h (analytic two-objective
 * functions with gradients). */
#ifndef MT_DATASET_H
#define MT_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include "core/status.h"

#define MT_NAME 64
/* The most classes a class target may have: far more than any data set
 * here, far fewer than an out-of-memory head (a stray 9999999 label). */
#define MT_MAX_CLASSES 65536

typedef enum {
    MT_TARGET_CLASS,   /* dim 1, a class index 0..classes-1 stored as float */
    MT_TARGET_REGRESS, /* dim k, real values */
    MT_TARGET_BINARY,  /* dim k, 0/1 values */
} mt_target_kind;

typedef struct {
    char name[MT_NAME];
    mt_target_kind kind;
    int dim;             /* columns of y */
    int classes;         /* MT_TARGET_CLASS only */
    float *y;            /* (n, dim) owned */
    unsigned char *mask; /* (n) owned; 1 = labelled; NULL = every example labelled */
    /* MT_TARGET_CLASS read from text: the name of each class index,
     * (classes) strings in one owned block (dataset_set_labels); NULL when
     * the labels were numbers. */
    char **labels;
    /* scale > 0: y was standardised (dataset_standardize_targets); a value
     * in the original units is y * scale + shift. 0 = y as given. */
    double shift, scale;
    double noise_var;    /* the variance of the noise a generator added to y: the floor of the
                            test MSE (the loss plot's reference line); NaN when unknown */
} mt_target;

typedef struct {
    char name[MT_NAME];
    int n;       /* examples */
    int d;       /* input features per example (= c*h*w for images) */
    int c, h, w; /* image layout; all 0 for flat inputs */
    float *x;    /* (n, d) owned */
    int ntargets;
    mt_target *targets; /* (ntargets) owned */
    /* a file's dataset (csv): the name of each input feature (d), and the
     * file's columns in order as named (a header, given names, or
     * positions "1", "2", ...); one owned block each (dataset_names), or
     * NULL. config.json records them. */
    char **x_names;
    char **columns;
    int ncolumns;
} mt_dataset;

void dataset_init(mt_dataset *ds);
void dataset_free(mt_dataset *ds);
/* Allocates x (n, d) zeroed; sets n, d (and the image layout if c > 0). */
mt_status dataset_alloc(mt_dataset *ds, const char *name, int n, int d, int c, int h, int w);
/* Adds a zeroed target block; returns it (borrowed) or NULL on error. */
mt_target *dataset_add_target(mt_dataset *ds, const char *name, mt_target_kind kind, int dim,
                              int classes);
mt_target *dataset_target(mt_dataset *ds, const char *name); /* NULL if absent */
int dataset_target_index(const mt_dataset *ds, const char *name); /* -1 if absent */
/* Gives target t a mask (all ones) if it has none; returns it. */
unsigned char *dataset_target_mask(mt_dataset *ds, int t);

/* A split is a list of example indices into one dataset. */
typedef struct {
    int *idx; /* (n) owned */
    int n;
} mt_index;

/* Adds a class target `name` derived from the class target `from` through
 * map: new label = map[old label]. map has nmap >= classes(from) entries,
 * all >= 0; the new target has max(map)+1 classes (at least 2) and copies
 * from's mask. Used for Fashion-MNIST's coarse groups and any user-defined
 * relabelling (an auxiliary task built from the main task's label). */
mt_status dataset_relabel(mt_dataset *ds, const char *from, const int *map, int nmap,
                          const char *name);
/* How many examples of `set` (NULL = the whole dataset) carry target t's label. */
int dataset_target_labelled(const mt_dataset *ds, int t, const mt_index *set);
/* Errors (naming `what` and the position) if an index of set is outside 0..n-1. */
mt_status dataset_check_index(const mt_dataset *ds, const mt_index *set, const char *what);

typedef struct {
    mt_index train, val, test;
} mt_split;

/* Seeded shuffle, then the first n_train, next n_val, next n_test (n_test
 * < 0 means "the rest"). Errors when they do not fit. */
mt_status split_make(mt_split *sp, int n, int n_train, int n_val, int n_test, uint64_t seed);
/* Keeps the split's declared train/test boundary (for Fashion-MNIST's own
 * 60k/10k): the first n_first examples are train+val, the rest test. */
mt_status split_make_fixed(mt_split *sp, int n, int n_first, int n_val, uint64_t seed);
/* Keeps only the first n of train (already shuffled), for small-data runs. */
void split_subsample_train(mt_split *sp, int n);
void split_free(mt_split *sp);

/* Per-feature standardisation with mean/std from the train indices only;
 * std below 1e-6 is treated as 1. mean and std are (d) caller-owned, may be
 * NULL. Changes ds->x in place. */
mt_status dataset_standardize(mt_dataset *ds, const mt_index *train, float *mean, float *std);
/* Standardises every regression target with the mean and standard
 * deviation of its labelled train rows (sd below 1e-12: left as is), and
 * records them in the target's shift and scale so metrics can be reported
 * in the original units. A target already standardised is left alone. */
mt_status dataset_standardize_targets(mt_dataset *ds, const mt_index *train);
/* n strings copied into one block (the pointers, then the text), freed
 * with mt_free; NULL when out of memory. */
char **dataset_names(const char *const *names, int n);
/* Names the classes of target t: n strings copied into one block owned by
 * the target (n must equal its classes). */
mt_status dataset_set_labels(mt_dataset *ds, int t, const char *const *names, int n);

/* Shuffled mini-batches over an index list, reproducible from the seed:
 * epoch e uses the permutation drawn from stream (seed, e). */
typedef struct {
    const mt_index *set; /* borrowed */
    int *order;          /* (set->n) owned */
    int batch, pos, epoch;
    uint64_t seed;
    int shuffle;
} mt_batcher;

mt_status batcher_init(mt_batcher *b, const mt_index *set, int batch, uint64_t seed, int shuffle);
/* Points *rows at the next batch's dataset indices (borrowed) and returns its
 * size (the last batch of an epoch may be short); 0 at the end of an epoch,
 * after which the next call starts epoch+1 with a fresh permutation. */
int batcher_next(mt_batcher *b, const int **rows);
void batcher_free(mt_batcher *b);

/* Copies the inputs of `rows` into x (nrows, d). */
void dataset_gather_x(const mt_dataset *ds, const int *rows, int nrows, float *x);
/* Copies target t of `rows` into y (nrows, dim) and its mask into m (nrows,
 * as 0/1 floats; all 1 without a mask). m may be NULL. */
void dataset_gather_y(const mt_dataset *ds, int t, const int *rows, int nrows, float *y, float *m);

#endif
