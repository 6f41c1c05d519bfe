/* fuzz_model.h - the small model whose checkpoints seed the checkpoint
 * harness and which the harness loads them into: the names and shapes of
 * a hard-sharing network's parameters. */
#ifndef MT_FUZZ_MODEL_H
#define MT_FUZZ_MODEL_H

#include "engine/optim.h"
#include "engine/params.h"

/* "trunk.0.weight" (3, 4), "trunk.0.bias" (4), "head.a.weight" (2, 4),
 * "head.a.bias" (2), values 0.25 * (i % 7) - 0.75. */
static inline int fuzz_model(mt_params *p)
{
    params_init(p);
    int w[2] = {3, 4}, b[1] = {4}, h[2] = {2, 4}, hb[1] = {2};
    if (params_add(p, "trunk.0.weight", 2, w, 0, 1) < 0 || params_add(p, "trunk.0.bias", 1, b, 0, 0) < 0 ||
        params_add(p, "head.a.weight", 2, h, 1, 1) < 0 || params_add(p, "head.a.bias", 1, hb, 1, 0) < 0 ||
        params_alloc(p) != MT_OK)
        return -1;
    for (size_t i = 0; i < p->total; i++) p->data[i] = 0.25f * (float)(i % 7) - 0.75f;
    return 0;
}

#endif
