/* graph_impl.h - the inside of mt_graph, shared by graph.c and gradcheck.c.
 * Not part of the public contract: other modules use graph.h only. */
#ifndef MT_GRAPH_IMPL_H
#define MT_GRAPH_IMPL_H

#include <stdint.h>
#include "engine/graph.h"

typedef enum {
    OP_INPUT, OP_CONST, OP_PARAM,
    OP_MATMUL, OP_DENSE, OP_BIAS,
    OP_ADD, OP_SUB, OP_MUL, OP_SCALE, OP_CONCAT, OP_SLICE_COLS, OP_LINCOMB, OP_GATE,
    OP_SUM, OP_MEAN,
    OP_RELU, OP_LEAKY_RELU, OP_TANH, OP_SIGMOID, OP_GELU, OP_SOFTMAX, OP_DROPOUT,
    OP_GRAD_REVERSE,
    OP_BATCHNORM, OP_LAYERNORM, OP_CONV2D, OP_MAXPOOL, OP_FLATTEN,
    OP_CUSTOM,
    OP_LOSS_MSE, OP_LOSS_L1, OP_LOSS_HUBER, OP_LOSS_SOFTMAX_CE, OP_LOSS_BCE_LOGITS,
    OP_COUNT
} graph_op;

#define GRAPH_MAX_IN 4

/* A custom op's callbacks and the argument arrays handed to them, sized
 * at build time so that running the op allocates nothing. */
typedef struct {
    char kind[32];          /* shown by graph_node_kind */
    mt_custom_fwd fwd;
    mt_custom_bwd bwd;      /* NULL: no gradient flows through the op */
    void *ud;               /* borrowed */
    const float **in;       /* (n_xs) operand values of the current call */
    int *in_rows, *in_cols; /* (n_xs) */
    float **din;            /* (n_xs) gradient destinations of the current call */
} graph_custom_op;

typedef struct {
    graph_op op;
    char name[MT_PARAM_NAME]; /* inputs, constants, parameters; "" otherwise */
    int batched;              /* 1: rows = the current batch */
    int rows;                 /* fixed rows; 0 for batched nodes */
    int cols;
    int c, h, w;              /* image layout when c > 0 (cols = c*h*w) */
    int n_in;
    mt_node in[GRAPH_MAX_IN]; /* fixed-arity inputs */
    int n_xs;
    mt_node *xs;              /* (n_xs) owned: concat, lincomb, gate operands */
    float f[2];               /* op scalars: slope, scale, p, lambda, delta */
    int iv[4];                /* op integers: transpose flags, start, row, k, pad */
    int param;                /* OP_PARAM: index in the arena; batchnorm: running mean */
    int param2;               /* batchnorm: running var index */
    int requires_grad;        /* OP_INPUT: compute its gradient */
    float *value;             /* (rows | max_batch, cols) owned, or the arena for params */
    float *grad;              /* (rows | max_batch, cols) owned; NULL for params */
    float *aux;               /* (n_aux) owned op scratch: masks, xhat, probs, im2col */
    size_t n_aux;
    int *iaux;                /* (n_iaux) owned: maxpool argmax */
    size_t n_iaux;
    graph_custom_op *cust;    /* OP_CUSTOM: owned (operands are xs) */
    uint64_t gen;             /* forward generation that computed value */
    int gstate;               /* 1: grad written in this backward pass */
} graph_node;

/* Initialisation recipe of one arena entry, indexed like mt_params.info. */
typedef struct {
    mt_init init;
    int fan_in, fan_out;
} graph_pinit;

struct mt_graph {
    graph_node *nodes; /* (n) owned */
    size_t cap;
    int n;
    mt_params params;
    graph_pinit *pinit; /* (params.count) owned */
    size_t pinit_cap;
    int compiled, max_batch, batch;
    mt_status err; /* first build error, sticky */
    char errmsg[512];
    int use_ref;
    int conv_per_example; /* convolution and pooling one example at a time */
    float *work;          /* (n_work) owned: shared transient scratch (graph_scratch.work) */
    size_t n_work;
    uint64_t drop_key;  /* from graph_set_seed */
    uint64_t drop_step; /* forward passes in MT_TRAIN so far */
    mt_mode mode;       /* of the last forward pass */
    uint64_t gen;       /* forward generation counter */
    unsigned char *mark; /* (n) scratch: ancestors */
    unsigned char *want; /* (n) scratch: needs a gradient in this pass */
    float *pgrad;        /* destination of the last backward's parameter gradients */
};

/* Marks in g->mark every node that one of `roots` depends on (roots
 * included). Nodes in `stop` are marked but not walked through. */
void graph_mark_ancestors(mt_graph *g, const mt_node *roots, int n, mt_node stop);


/* ---- shared by graph.c (building) and graph_run.c (running) ---- */
#define NORM_EPS 1e-5f
#define BN_MOMENTUM 0.1f
#define NODE(i) (&g->nodes[(i)])
#define VAL(i) (g->nodes[(i)].value)

/* ---- the op table (graph_ops.c) ------------------------------------------ */

#define GI_OP_LEAF 1u /* input, const, param: computed by nobody */
#define GI_OP_LOSS 2u /* operand 2 is a mask and never takes a gradient */

typedef void (*graph_op_fn)(mt_graph *g, int i, graph_node *nd);

/* The scratch a node needs for the compiled maximum batch. */
typedef struct {
    size_t floats; /* nd->aux: the node's own, kept from forward to backward */
    size_t ints;   /* nd->iaux */
    size_t work;   /* g->work: shared by every node, valid within one call only */
} graph_scratch;

/* One op: what it is called, its forward and backward side by side, and
 * the scratch its node needs (NULL: none). */
typedef struct {
    const char *name;
    unsigned flags;
    void (*scratch)(const mt_graph *g, const graph_node *nd, graph_scratch *s);
    graph_op_fn forward;  /* nd->value from the operands' values; g->mode is the pass's mode */
    graph_op_fn backward; /* adds nd->grad's contribution into the operands (gi_gacc) */
} graph_op_class;

extern const graph_op_class graph_ops[OP_COUNT];

static inline const char *gi_op_name(graph_op op) { return graph_ops[op].name; }
static inline int is_leaf(graph_op op) { return (graph_ops[op].flags & GI_OP_LEAF) != 0; }

/* graph_ops_layers.c: the entries with state or layout of their own */
void gi_batchnorm_scratch(const mt_graph *g, const graph_node *nd, graph_scratch *s);
void gi_batchnorm_fwd(mt_graph *g, int i, graph_node *nd);
void gi_batchnorm_bwd(mt_graph *g, int i, graph_node *nd);
void gi_layernorm_scratch(const mt_graph *g, const graph_node *nd, graph_scratch *s);
void gi_layernorm_fwd(mt_graph *g, int i, graph_node *nd);
void gi_layernorm_bwd(mt_graph *g, int i, graph_node *nd);
void gi_conv2d_scratch(const mt_graph *g, const graph_node *nd, graph_scratch *s);
void gi_conv2d_fwd(mt_graph *g, int i, graph_node *nd);
void gi_conv2d_bwd(mt_graph *g, int i, graph_node *nd);
void gi_maxpool_scratch(const mt_graph *g, const graph_node *nd, graph_scratch *s);
void gi_maxpool_fwd(mt_graph *g, int i, graph_node *nd);
void gi_maxpool_bwd(mt_graph *g, int i, graph_node *nd);
void gi_loss_scratch(const mt_graph *g, const graph_node *nd, graph_scratch *s);
void gi_loss_mse_fwd(mt_graph *g, int i, graph_node *nd);
void gi_loss_mse_bwd(mt_graph *g, int i, graph_node *nd);
void gi_loss_l1_fwd(mt_graph *g, int i, graph_node *nd);
void gi_loss_l1_bwd(mt_graph *g, int i, graph_node *nd);
void gi_loss_huber_fwd(mt_graph *g, int i, graph_node *nd);
void gi_loss_huber_bwd(mt_graph *g, int i, graph_node *nd);
void gi_loss_softmax_ce_fwd(mt_graph *g, int i, graph_node *nd);
void gi_loss_softmax_ce_bwd(mt_graph *g, int i, graph_node *nd);
void gi_loss_bce_logits_fwd(mt_graph *g, int i, graph_node *nd);
void gi_loss_bce_logits_bwd(mt_graph *g, int i, graph_node *nd);

/* graph_backward.c: where operand j's gradient accumulates in this pass,
 * or NULL when j takes none. gi_gacc zeroes a node's buffer the first time
 * it is touched; gi_gacc_beta does not and sets *beta to 0 when the buffer
 * is untouched (overwrite it: a gemm with beta 0, a copy) or 1 (add). */
float *gi_gacc(mt_graph *g, mt_node j);
float *gi_gacc_beta(mt_graph *g, mt_node j, float *beta);
/* dst = alpha src (beta 0) or dst += alpha src (beta 1). */
void gi_put(float *dst, const float *src, float alpha, size_t n, float beta);

/* Rows of a node now: the batch for batched nodes. */
static inline int nrows(const mt_graph *g, const graph_node *nd) { return nd->batched ? g->batch : nd->rows; }

static inline size_t nelem(const mt_graph *g, const graph_node *nd)
{
    return (size_t)nrows(g, nd) * (size_t)nd->cols;
}


/* Records a build error (sticky: the first one is kept) and returns MT_NONE. */
mt_node graph_build_fail(mt_graph *g, mt_status s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "(B, 784)" or "(3, 4)" for messages. */
const char *graph_shape_str(const graph_node *nd, char *buf, size_t cap);

/* graph.c: building blocks shared with graph_layers.c */
int gi_add_param(mt_graph *g, const char *name, int ndim, const int *shape, mt_init init,
                     int fan_in, int fan_out, int group, int decay);
mt_node *gi_copy_operands(mt_graph *g, const char *what, const mt_node *xs, int n);
int gi_operand_ok(mt_graph *g, const char *what, mt_node n);
mt_node gi_param_node(mt_graph *g, const char *name, int rows, int cols, int ndim,
                          const int *shape, mt_init init, int fan_in, int fan_out, int group,
                          int decay);
mt_node gi_push1(mt_graph *g, graph_op op, mt_node x);
mt_node gi_push(mt_graph *g, graph_op op, int batched, int rows, int cols);
mt_node gi_unary(mt_graph *g, graph_op op, mt_node x);

/* graph_run.c: operand k of a node, counting in[] then xs[] */
int gi_node_input(const graph_node *nd, int k);

#endif
