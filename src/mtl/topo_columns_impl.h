/* topo_columns_impl.h - building blocks shared by the column family
 * (topo_soft.c, topo_stitch.c, topo_sluice.c, topo_jmt.c, topo_tensor.c).
 * Internal to src/mtl; the public contract is topo_columns.h. */
#ifndef MT_TOPO_COLUMNS_IMPL_H
#define MT_TOPO_COLUMNS_IMPL_H

#include <stddef.h>
#include "mtl/topo_columns.h"

/* Every runtime state of the family starts with one of these, so that
 * topo_tensor_weight can tell a tensor state from another class's. */
typedef enum {
    TOPO_COLS_SOFT = 0x5f0f7,
    TOPO_COLS_STITCH,
    TOPO_COLS_SLUICE,
    TOPO_COLS_JMT,
    TOPO_COLS_TENSOR,
} topo_cols_kind;

/* Appends printf-style text at buf + *w (buf holds n bytes), truncating
 * and keeping the string terminated. */
void topo_cols_printf(char *buf, size_t n, size_t *w, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The arena slice of parameter node nd: data pointer (NULL when nd is not
 * a parameter of g or the arena is not allocated), *grad and *size. */
float *topo_cols_param(mt_graph *g, mt_params *p, mt_node nd, float **grad, size_t *size);

/* Per-layer strengths from a NUMBERS parameter: one entry for every layer
 * or one per layer; the class default when unset. out gets nlayers values.
 * MT_ERR_ARG (naming topology.<key>) on another length. */
mt_status topo_cols_strengths(const mt_tparams *p, const mt_tparam_def *defs, const char *key,
                              int nlayers, double *out);

/* The trunk layer (1..ntrunk) whose output task t's head reads. */
int topo_cols_attach(const mt_topo_spec *s, int t);

/* x W^T + bias "<prefix>.bias" (1, out), then the spec's norm
 * ("<prefix>.bn"/"<prefix>.ln"), activation and dropout: topo_hidden for a
 * weight node built elsewhere (a factorised product). */
mt_node topo_cols_dense_act(mt_graph *g, const mt_topo_spec *s, mt_node h, mt_node w,
                            const char *prefix, int group);

/* Describes task t's head: "  +--> name (aux): [what ->] dense 8 -> out 3". */
/* Every task head "own column" (or "own column, layer k"). */
void topo_cols_describe_own_heads(const mt_topo_spec *s, char *buf, size_t n, size_t *w);
void topo_cols_describe_head(const mt_topo_spec *s, int t, const char *what, char *buf, size_t n,
                             size_t *w);

/* "relu", " +bn", " +dropout" decorations of a dense layer line. */
const char *topo_cols_norm_tag(const mt_topo_spec *s);

/* Rejects a nonzero tasks[k].attach for classes that choose depths their
 * own way; `why` ends the message. */
mt_status topo_cols_no_attach(const mt_topo_spec *s, const char *why);

#endif
