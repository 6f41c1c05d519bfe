/* fashion.h - Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) from its IDX files.
 *
 * The four files train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte are looked up in a
 * directory, each as NAME.gz first and then as plain NAME. The default
 * directory is where Debian's dataset-fashion-mnist package installs them.
 *
 * The loaded dataset holds the kept training examples first, then the kept
 * test examples: rows [0, n_train) come from train-*, rows [n_train, n)
 * from t10k-*, so split_make_fixed(sp, ds->n, n_train, n_val, seed) keeps
 * the published train/test boundary. Inputs are (n, 1*28*28) with pixels
 * scaled to [0, 1] (byte / 255), image layout c=1, h=28, w=28 (the sizes
 * in the files' headers; train and test must agree).
 *
 * Targets:
 *   "label" - the 10-class item (fashion_class_names), kept as the original;
 *   "group" - a coarse 4-class group (fashion_group_of):
 *       0 tops      = T-shirt/top(0), Pullover(2), Dress(3), Coat(4), Shirt(6)
 *       1 bottoms   = Trouser(1)
 *       2 footwear  = Sandal(5), Sneaker(7), Ankle boot(9)
 *       3 bags and accessories = Bag(8)
 * Any other relabelling: dataset_relabel(ds, "label", map, 10, "name"). */
#ifndef MT_FASHION_H
#define MT_FASHION_H

#include "dataset.h"

#define FASHION_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define FASHION_CLASSES 10
#define FASHION_GROUPS 4

extern const char *const fashion_class_names[FASHION_CLASSES];
extern const char *const fashion_group_names[FASHION_GROUPS];
extern const int fashion_group_of[FASHION_CLASSES]; /* class -> group */

typedef struct {
    const char *dir; /* NULL = FASHION_DEFAULT_DIR */
    int n_train;     /* training examples to keep (the first ones); < 0 = all */
    int n_test;      /* test examples to keep (the first ones); < 0 = all */
} fashion_opts;

/* Fills ds (initialised with dataset_init; freed first) as described
 * above; *n_train_out (may be NULL) gets the number of training rows.
 * Reads only the bytes of the kept examples. Errors name the file and the problem: a missing file, a bad
 * magic, dimensions that disagree with the file's length, corrupt gzip
 * data, images and labels counts that differ, a label above 9, or asking
 * for more examples than a file holds. */
mt_status fashion_load(mt_dataset *ds, const fashion_opts *o, int *n_train_out);

/* 1 if the four files are present in dir (NULL = default). */
int fashion_available(const char *dir);

#endif
