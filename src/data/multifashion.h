/* multifashion.h - Multi-Fashion: two items on one canvas, two class tasks
 * (after MultiMNIST in Sabour et al. 2017, as used for multi-task learning
 * by Sener & Koltun 2018 and Lin et al. 2019).
 *
 * Canvas i (of side S) is built from two source images (h x w, one channel)
 * chosen uniformly at random from the source rows allowed:
 *   - the "left" item's top-left corner goes to (ly, lx),
 *   - the "right" item's top-left corner goes to (S-h-ry, S-w-rx),
 * with ly, lx, ry, rx drawn uniformly from 0..max_shift: the left item sits
 * near the top-left corner, the right one near the bottom-right, each pushed
 * up to max_shift pixels toward the centre. Where the items overlap a pixel
 * takes the maximum of the two; the rest of the canvas is 0. The default S
 * is h + 8 (36 for 28x28 items) with max_shift 4.
 *
 * Optionally the canvas is resampled to out_size x out_size by area
 * averaging: output pixel (i, j) is the mean of the canvas over the square
 * [i*s, (i+1)*s) x [j*s, (j+1)*s), s = S / out_size, source pixels counted
 * by their overlapping area (an exact box filter; it preserves the mean and
 * keeps values within the source range). Lin et al. use 36 -> 28.
 *
 * Targets: "left" and "right", class targets with the source target's class
 * count, holding the class of each item (a source mask is carried over).
 * Canvas i depends only on (seed, i) and the source rows, so the first k
 * canvases are the same whatever n is. */
#ifndef MT_MULTIFASHION_H
#define MT_MULTIFASHION_H

#include <stdint.h>
#include "dataset.h"

typedef struct {
    int n;              /* canvases to make (multifashion_make only) */
    int canvas;         /* canvas side S; 0 = h + 8 */
    int max_shift;      /* 0..max_shift pixels; < 0 = 4 */
    int out_size;       /* 0 = keep S x S; else area-resample to out_size^2 */
    const char *target; /* source class target; NULL = "label" */
    uint64_t seed;
} multifashion_opts;

/* Fills out (initialised; freed first) with o->n canvases built from the
 * source rows listed in `from` (NULL = every row of src). src must hold
 * one-channel images (c = 1). placement, when not NULL, is (o->n, 6) and
 * receives per canvas: left source row, right source row, ly, lx and the
 * right item's corner (S-h-ry, S-w-rx), all in canvas pixels. */
mt_status multifashion_make(mt_dataset *out, const mt_dataset *src, const mt_index *from,
                            const multifashion_opts *o, int *placement);

/* For a source with a train/test boundary (fashion_load): n_train canvases
 * from source rows [0, n_first) then n_test canvases from [n_first, src->n),
 * so split_make_fixed(sp, out->n, n_train, ...) keeps train and test items
 * apart. o->n is ignored. */
mt_status multifashion_make_split(mt_dataset *out, const mt_dataset *src, int n_first, int n_train,
                                  int n_test, const multifashion_opts *o);

#endif
