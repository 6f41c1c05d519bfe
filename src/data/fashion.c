/* fashion.c - Fashion-MNIST loader: IDX pairs into one dataset. */
#include "fashion.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "idx.h"

const char *const fashion_class_names[FASHION_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

const char *const fashion_group_names[FASHION_GROUPS] = {
    "tops",
    "bottoms",
    "footwear",
    "bags and accessories",
};

const int fashion_group_of[FASHION_CLASSES] = {0, 1, 0, 0, 0, 2, 0, 2, 3, 2};

/* Finds NAME.gz or NAME in dir; 0 and an I/O error naming the first
 * candidate when neither exists. */
static mt_status find_file(char *out, size_t cap, const char *dir, const char *base)
{
    int k = snprintf(out, cap, "%s/%s.gz", dir, base);
    if (k < 0 || (size_t)k >= cap)
        return mt_fail(MT_ERR_ARG, "fashion-mnist: directory name too long: %s", dir);
    if (access(out, R_OK) == 0) return MT_OK;
    char plain[4096];
    snprintf(plain, sizeof plain, "%s/%s", dir, base);
    if (access(plain, R_OK) == 0) {
        snprintf(out, cap, "%s", plain);
        return MT_OK;
    }
    return mt_fail(MT_ERR_IO, "fashion-mnist: neither %s nor %s is readable", out, plain);
}

int fashion_available(const char *dir)
{
    static const char *const names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    char p[4096];
    for (int i = 0; i < 4; i++)
        if (find_file(p, sizeof p, dir ? dir : FASHION_DEFAULT_DIR, names[i])) {
            mt_clear_error();
            return 0;
        }
    return 1;
}

/* One images+labels pair, checked against each other. */
typedef struct {
    mt_idx img, lab;
    char img_path[4096], lab_path[4096];
} pair;

static mt_status load_pair(pair *p, const char *dir, const char *prefix, int keep, const char *what)
{
    char base[64];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", prefix);
    mt_status s = find_file(p->img_path, sizeof p->img_path, dir, base);
    if (s) return s;
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", prefix);
    s = find_file(p->lab_path, sizeof p->lab_path, dir, base);
    if (s) return s;
    s = idx_read_u8(p->img_path, 3, keep, "images", &p->img);
    if (s) return s;
    s = idx_read_u8(p->lab_path, 1, keep, "labels", &p->lab);
    if (s) return s;
    if (p->img.dims[0] != p->lab.dims[0])
        return mt_fail(MT_ERR_FORMAT, "%s has %d images but %s has %d labels", p->img_path,
                       p->img.dims[0], p->lab_path, p->lab.dims[0]);
    if (keep > p->img.dims[0])
        return mt_fail(MT_ERR_ARG, "fashion-mnist: asked for %d %s examples but %s has %d", keep,
                       what, p->img_path, p->img.dims[0]);
    for (int i = 0; i < p->lab.kept; i++)
        if (p->lab.data[i] >= FASHION_CLASSES)
            return mt_fail(MT_ERR_FORMAT, "%s: label %d of item %d is outside 0..%d", p->lab_path,
                           p->lab.data[i], i, FASHION_CLASSES - 1);
    return MT_OK;
}

static void pair_free(pair *p)
{
    idx_free(&p->img);
    idx_free(&p->lab);
}

/* Pixels through a 256-entry table: one load per byte instead of a
 * conversion and a division. */
static void fill_rows(mt_dataset *ds, const pair *p, int row0)
{
    float lut[256];
    for (int v = 0; v < 256; v++) lut[v] = (float)v / 255.0f;
    size_t d = (size_t)ds->d;
    const unsigned char *src = p->img.data;
    float *dst = ds->x + (size_t)row0 * d;
    size_t total = (size_t)p->img.kept * d;
    for (size_t i = 0; i < total; i++) dst[i] = lut[src[i]];
    float *y = ds->targets[0].y + row0;
    for (int i = 0; i < p->lab.kept; i++) y[i] = (float)p->lab.data[i];
}

mt_status fashion_load(mt_dataset *ds, const fashion_opts *o, int *n_train_out)
{
    fashion_opts def = {NULL, -1, -1};
    if (!o) o = &def;
    const char *dir = o->dir ? o->dir : FASHION_DEFAULT_DIR;
    pair tr, te;
    memset(&tr, 0, sizeof tr);
    memset(&te, 0, sizeof te);
    mt_status s = load_pair(&tr, dir, "train", o->n_train, "training");
    if (!s) s = load_pair(&te, dir, "t10k", o->n_test, "test");
    if (!s && (tr.img.dims[1] != te.img.dims[1] || tr.img.dims[2] != te.img.dims[2]))
        s = mt_fail(MT_ERR_FORMAT, "%s has %dx%d images but %s has %dx%d", tr.img_path,
                    tr.img.dims[1], tr.img.dims[2], te.img_path, te.img.dims[1], te.img.dims[2]);
    if (!s) {
        int h = tr.img.dims[1], w = tr.img.dims[2];
        s = dataset_alloc(ds, "fashion-mnist", tr.img.kept + te.img.kept, h * w, 1, h, w);
    }
    if (!s && !dataset_add_target(ds, "label", MT_TARGET_CLASS, 1, FASHION_CLASSES))
        s = mt_last_status();
    if (!s) {
        fill_rows(ds, &tr, 0);
        fill_rows(ds, &te, tr.img.kept);
        s = dataset_relabel(ds, "label", fashion_group_of, FASHION_CLASSES, "group");
    }
    if (!s && n_train_out) *n_train_out = tr.img.kept;
    pair_free(&tr);
    pair_free(&te);
    if (s) dataset_free(ds);
    return s;
}
