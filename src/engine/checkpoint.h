/* checkpoint.h - parameters (and optimizer state) in safetensors files.
 *
 * The format (https://huggingface.co/docs/safetensors), readable by
 * safetensors/numpy/torch without mtlab:
 *
 *   u64 N, little-endian           header length in bytes
 *   N bytes of JSON                {"__metadata__": {"key": "value", ...},
 *                                   "trunk.0.weight": {"dtype": "F32",
 *                                     "shape": [256, 784],
 *                                     "data_offsets": [begin, end]}, ...}
 *                                  padded with spaces to a multiple of 8
 *   raw data                       little-endian; offsets are relative to
 *                                  the start of this block
 *
 * Tensor names are the parameter names of mt_params ("trunk.0.weight",
 * "head.item.bias", ...), stable across runs of the same script, with the
 * parameter's own shape: PyTorch's, so a bias is [n] (graph_param_vec),
 * and the names are a torch.nn module's state_dict keys (docs/
 * checkpoints.md gives the mapping). Optimizer state has its own name
 * space, "optim.m.<name>" and "optim.v.<name>" with the same shape, plus
 * the metadata "optim.kind", "optim.t" and "optim.step". Only F32 tensors
 * are read or written. A file that stores a vector parameter [n] as
 * [1, n] (written before vectors took PyTorch's shape) still loads.
 *
 * Writes are atomic: the file is written to "<path>.tmp.<pid>", flushed and
 * fsync'ed, then renamed over `path`; on any failure the temporary file is
 * removed and an existing `path` is left untouched.
 *
 * Reads load the whole file, check every header entry (dtype, shape, offsets
 * inside the data block, size = 4 * product of shape, no overlap) before
 * any value is copied, and never read past the file. Errors name the file
 * and what is wrong, e.g.
 *   "x.safetensors: header length 9999999 exceeds file size 120"
 *   "x.safetensors: tensor trunk.0.weight: data_offsets [0,40] do not match
 *    shape [3,4] of F32"
 *   "x.safetensors: header is not valid JSON at byte 17" (of the header). */
#ifndef MT_CHECKPOINT_H
#define MT_CHECKPOINT_H

#include <stddef.h>
#include "core/status.h"
#include "engine/params.h"
#include "engine/optim.h"

#define MT_CKPT_MAXDIM 8

/* A named float block besides the parameters. For saving, data is read
 * (n = product of shape floats); for loading, data is the destination. */
typedef struct {
    const char *name;
    int ndim;
    int shape[MT_CKPT_MAXDIM];
    float *data; /* borrowed */
} mt_ckpt_block;

/* Writes every parameter of p (p->data must be allocated), then the extra
 * blocks, with nmeta metadata string pairs. Names must be unique. */
mt_status checkpoint_save(const char *path, const mt_params *p, const char *const *meta_keys,
                          const char *const *meta_vals, int nmeta);
mt_status checkpoint_save_ex(const char *path, const mt_params *p, const mt_ckpt_block *extra,
                             int nextra, const char *const *meta_keys,
                             const char *const *meta_vals, int nmeta);

/* Loads every parameter of p by name; shapes must match. A parameter
 * missing from the file, or a tensor in the file that is not a parameter,
 * is an error naming it (and nothing is written into p). */
mt_status checkpoint_load(const char *path, mt_params *p);
/* The same with extra blocks that must also be present; when
 * ignore_unknown is set, other tensors in the file are skipped instead of
 * being an error (loading only the weights of a training checkpoint). */
mt_status checkpoint_load_ex(const char *path, mt_params *p, mt_ckpt_block *extra, int nextra,
                             int ignore_unknown);

/* Parameters plus the optimizer's moments and counters (o->n must equal
 * p->total). Loading restores both; the optimizer's settings (kind, lr,
 * ...) stay those of `o`, and a kind different from the saved one is an
 * error. */
mt_status checkpoint_save_train(const char *path, const mt_params *p, const mt_optim *o,
                                const char *const *meta_keys, const char *const *meta_vals,
                                int nmeta);
mt_status checkpoint_load_train(const char *path, mt_params *p, mt_optim *o);

/* ---- reading any safetensors file ------------------------------------ */

typedef struct mt_ckpt mt_ckpt;

/* Reads and validates the whole file. *out is owned by the caller, freed
 * with checkpoint_close. */
mt_status checkpoint_open(const char *path, mt_ckpt **out);
void checkpoint_close(mt_ckpt *c);
int checkpoint_count(const mt_ckpt *c);
/* Tensors in file order of their data offsets. Borrowed strings. */
const char *checkpoint_name(const mt_ckpt *c, int i);
int checkpoint_find(const mt_ckpt *c, const char *name); /* index or -1 */
/* Rank of tensor i; its dimensions go to shape (MT_CKPT_MAXDIM ints). */
int checkpoint_shape(const mt_ckpt *c, int i, int *shape);
/* Metadata value for key, or NULL. Borrowed. */
const char *checkpoint_meta(const mt_ckpt *c, const char *key);
/* Copies tensor `name` into dst after checking its shape equals
 * (ndim, shape). */
mt_status checkpoint_read(const mt_ckpt *c, const char *name, float *dst, int ndim,
                          const int *shape);

#endif
