/* fuzz_checkpoint.c - safetensors checkpoints on any bytes: open and list
 * every tensor and metadata value, read each tensor into a buffer of its
 * own size, then load the file into the seed model with and without
 * optimiser state, and take an optimiser step from what was loaded (the
 * counters must be in range and their arithmetic defined). Errors must
 * name the file and leave the model as it was. */
#include "fuzz_util.h"

#include <string.h>
#include "core/mem.h"
#include "core/status.h"
#include "engine/checkpoint.h"
#include "fuzz_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(const mt_ckpt *c)
{
    int n = checkpoint_count(c);
    for (int i = 0; i < n; i++) {
        const char *name = checkpoint_name(c, i);
        if (!name || checkpoint_find(c, name) < 0) abort();
        int shape[MT_CKPT_MAXDIM];
        int nd = checkpoint_shape(c, i, shape);
        size_t elems = 1;
        for (int d = 0; d < nd; d++) elems *= (size_t)shape[d];
        if (elems > (1u << 22)) continue; /* the file holds them, but not worth copying here */
        float *dst = mt_alloc((elems ? elems : 1) * sizeof(float));
        if (!dst) continue;
        if (checkpoint_read(c, name, dst, nd, shape) != MT_OK) abort(); /* its own shape always fits */
        mt_free(dst);
    }
    (void)checkpoint_meta(c, "optim.kind");
    (void)checkpoint_meta(c, "mtlab.experiment");
}

static int same(const mt_params *a, const float *before)
{
    return memcmp(a->data, before, a->total * sizeof(float)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    fuzz_file(data, size, path, sizeof path);
    mt_ckpt *c;
    if (checkpoint_open(path, &c) == MT_OK) {
        read_all(c);
        checkpoint_close(c);
    } else if (strncmp(mt_last_error(), path, strlen(path)) != 0) {
        abort();
    }
    mt_params p;
    if (fuzz_model(&p)) abort();
    float before[64];
    if (p.total > 64) abort();
    memcpy(before, p.data, p.total * sizeof(float));
    if (checkpoint_load_ex(path, &p, NULL, 0, 1) != MT_OK && !same(&p, before)) abort();
    memcpy(p.data, before, p.total * sizeof(float));
    static const mt_optim_kind kinds[] = {MT_OPTIM_ADAM, MT_OPTIM_SGD};
    for (int k = 0; k < 2; k++) {
        mt_optim o;
        mt_optim_config cfg = optim_defaults(kinds[k]);
        if (optim_init(&o, &cfg, p.total) != MT_OK) abort();
        if (checkpoint_load_train(path, &p, &o) == MT_OK) {
            if (o.t < 0 || o.t > o.step || o.step > OPTIM_MAX_STEPS) abort();
            for (size_t i = 0; i < p.total; i++) p.grad[i] = 0.5f;
            /* UBSan watches the counters' arithmetic; values may overflow
             * to Inf for extreme moments, which is the optimiser's right */
            if (optim_step_params(&o, &p) != MT_OK) abort();
        } else if (!same(&p, before)) {
            abort();
        }
        optim_free(&o);
        memcpy(p.data, before, p.total * sizeof(float));
    }
    params_free(&p);
    return 0;
}
