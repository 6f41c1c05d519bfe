/* checkpoint_impl.h - what checkpoint.c (reading) and checkpoint_write.c
 * (writing) share. Not part of the engine's interface. */
#ifndef MT_CHECKPOINT_IMPL_H
#define MT_CHECKPOINT_IMPL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "engine/checkpoint.h"

static inline int ckpt_host_le(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static inline void ckpt_bswap32(unsigned char *p, size_t nwords)
{
    for (size_t i = 0; i < nwords; i++, p += 4) {
        unsigned char a = p[0], b = p[1];
        p[0] = p[3];
        p[1] = p[2];
        p[2] = b;
        p[3] = a;
    }
}

static inline void ckpt_fmt_shape(char *buf, size_t cap, int ndim, const int *shape)
{
    size_t n = 0;
    n += (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%d", i ? "," : "", shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

static inline size_t ckpt_elems(int ndim, const int *shape)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
    return n;
}

/* Blocks "optim.m.<name>" and "optim.v.<name>" viewing o's buffers with
 * each parameter's shape; names live in one allocation freed with blocks. */
mt_status ckpt_optim_blocks(const char *path, const mt_params *p, const mt_optim *o, mt_ckpt_block **out,
                            char **names);

/* The first name that occurs twice among names (n), or NULL; O(n log n). */
const char *ckpt_first_duplicate(const char *const *names, int n);

#endif
