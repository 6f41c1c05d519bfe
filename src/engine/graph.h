/* graph.h - a static computation graph with reverse-mode autodiff.
 *
 * Build once, compile once, then run many steps with no heap allocation:
 *
 *   mt_graph *g = graph_new();
 *   mt_node x  = graph_input(g, "x", 784);                 // (B, 784)
 *   mt_node y  = graph_input(g, "y", 1);                   // (B, 1) class ids
 *   mt_node h  = graph_relu(g, graph_linear(g, x, 256, "trunk.0", 0));
 *   mt_node lo = graph_linear(g, h, 10, "head.item", 1);
 *   mt_node L  = graph_loss_softmax_ce(g, lo, y, MT_NONE);  // (1, 1)
 *   graph_compile(g, 128);               // buffers for batches up to 128
 *   graph_init_params(g, seed);
 *   graph_set_batch(g, 64); fill graph_value(g, x) and graph_value(g, y);
 *   graph_forward(g, MT_TRAIN);
 *   graph_backward(g, &L, &one, 1, NULL);   // into graph_params(g)->grad
 *
 * Shapes. Every node is a row-major float32 matrix. A "batched" node has
 * B rows, B being the current batch (<= the compiled maximum); other nodes
 * (parameters, constants, scalar losses) have fixed rows. An image node is
 * a batched node whose columns are C*H*W in (C, H, W) order.
 *
 * Errors while building are sticky: a builder that fails records the
 * message (mt_last_error), returns MT_NONE, and every later builder taking
 * MT_NONE returns MT_NONE too; graph_compile then returns the first error.
 * So a topology builder can chain calls and check once.
 *
 * Nodes are numbered in creation order, which is a topological order.
 *
 * Gradients. Parameter gradients go to the destination chosen per backward
 * call (the arena's grad by default). Inputs take a gradient only after
 * graph_input_grad; constants and loss masks never do. The targets of the
 * mse/l1/huber/bce losses do (a target may be a computed node, as in
 * distillation); softmax CE's class indices do not. */
#ifndef MT_GRAPH_H
#define MT_GRAPH_H

#include <stddef.h>
#include "core/status.h"
#include "engine/params.h"

typedef int mt_node;
#define MT_NONE (-1)

typedef enum { MT_EVAL = 0, MT_TRAIN = 1 } mt_mode;

typedef enum {
    MT_INIT_ZEROS,
    MT_INIT_ONES,
    MT_INIT_CONST,      /* every element = a */
    MT_INIT_NORMAL,     /* N(0, a^2) */
    MT_INIT_UNIFORM,    /* U(-a, a) */
    MT_INIT_XAVIER,     /* U(-s, s), s = sqrt(6/(fan_in+fan_out)) */
    MT_INIT_HE,         /* N(0, 2/fan_in) */
    MT_INIT_IDENTITY,   /* a on the diagonal of a square (rows, cols), 0 off it;
                           for mixing units, (1-a)/(n-1) off it when b != 0
                           (n = cols; a non-square matrix gets the same rule
                           on its leading diagonal) */
} mt_init_kind;

typedef struct {
    mt_init_kind kind;
    float a, b;
} mt_init;

typedef struct mt_graph mt_graph;

mt_graph *graph_new(void);
void graph_free(mt_graph *g);

/* ---- leaves -------------------------------------------------------- */

/* A batched input the caller fills each step: (B, cols). */
mt_node graph_input(mt_graph *g, const char *name, int cols);
/* A batched image input: (B, c*h*w). */
mt_node graph_input_image(mt_graph *g, const char *name, int c, int h, int w);
/* A fixed (rows, cols) constant the caller fills after compile; no gradient. */
mt_node graph_const(mt_graph *g, const char *name, int rows, int cols);
/* A learned (rows, cols) parameter in the flat arena. `group` tags it
 * (0 shared, 1+k task k, by convention); `decay` = weight decay applies. */
mt_node graph_param(mt_graph *g, const char *name, int rows, int cols, mt_init init,
                    int group, int decay);
/* A learned vector of n (a bias, a norm's gain and shift, a mixing row):
 * a (1, n) row in the graph, registered in the arena (and so in
 * checkpoints) with PyTorch's shape [n]. Initialised as graph_param's
 * (1, n). */
mt_node graph_param_vec(mt_graph *g, const char *name, int n, mt_init init, int group, int decay);

/* ---- linear algebra ------------------------------------------------ */

/* out = op(a) op(b), op = transpose when the flag is set. Either side may
 * be batched or fixed (a parameter times a parameter builds factorised
 * weights). sgemm through cblas. Supported: fixed x fixed (any flags),
 * batched x fixed with trans_a = 0 (a (B, r) result), and batched^T x
 * batched (trans_a = 1, trans_b = 0: a fixed result summed over the batch).
 * A product whose columns would be the batch is a build error. */
mt_node graph_matmul(mt_graph *g, mt_node a, mt_node b, int trans_a, int trans_b);
/* x (B, in) times W^T, W a (out, in) node: (B, out). One sgemm forward,
 * two backward, no copies. W may be any fixed node (a factorised product). */
mt_node graph_dense(mt_graph *g, mt_node x, mt_node w);
/* x (B, n) plus a (1, n) row broadcast over the batch. */
mt_node graph_bias(mt_graph *g, mt_node x, mt_node b);
/* Convenience: creates "<prefix>.weight" (out, in; MT_INIT_XAVIER) and
 * "<prefix>.bias" (1, out; zeros) and returns dense + bias. */
mt_node graph_linear(mt_graph *g, mt_node x, int out, const char *prefix, int group);

/* ---- elementwise and structure ------------------------------------- */

mt_node graph_add(mt_graph *g, mt_node a, mt_node b);   /* same shape */
mt_node graph_sub(mt_graph *g, mt_node a, mt_node b);
mt_node graph_mul(mt_graph *g, mt_node a, mt_node b);   /* Hadamard */
mt_node graph_scale(mt_graph *g, mt_node a, float s);
mt_node graph_concat(mt_graph *g, const mt_node *xs, int n); /* along columns */
mt_node graph_slice_cols(mt_graph *g, mt_node x, int start, int count);
/* out = sum_k coef[0, offset+k] * xs[k]; xs all the same shape, coef a
 * fixed (1, m) or (r, m) node read at row `row`. Gradients flow into both
 * the xs and coef (cross-stitch and sluice units). */
mt_node graph_lincomb(mt_graph *g, const mt_node *xs, int n, mt_node coef, int row, int offset);
/* out[b, :] = sum_e gate[b, e] * xs[e][b, :]: gate (B, n), xs (B, d) each
 * (mixture-of-experts gating). */
mt_node graph_gate(mt_graph *g, const mt_node *xs, int n, mt_node gate);
/* (1, 1) sum of every element; mean divides by the element count. */
mt_node graph_sum(mt_graph *g, mt_node x);
mt_node graph_mean(mt_graph *g, mt_node x);

/* ---- activations ---------------------------------------------------- */

mt_node graph_relu(mt_graph *g, mt_node x);
mt_node graph_leaky_relu(mt_graph *g, mt_node x, float slope);
mt_node graph_tanh(mt_graph *g, mt_node x);
mt_node graph_sigmoid(mt_graph *g, mt_node x);
mt_node graph_gelu(mt_graph *g, mt_node x);    /* tanh approximation */
mt_node graph_softmax(mt_graph *g, mt_node x); /* along each row */
/* Inverted dropout with keep probability 1-p in MT_TRAIN, identity in
 * MT_EVAL. Masks come from the graph's counter-based RNG, so a run is
 * reproducible from its seed: the mask is a pure function of (seed, node,
 * pass), and each forward pass in MT_TRAIN is one pass of the stream. */
mt_node graph_dropout(mt_graph *g, mt_node x, float p);
/* Identity forward, -lambda times the gradient backward (Ganin & Lempitsky). */
mt_node graph_grad_reverse(mt_graph *g, mt_node x, float lambda);

/* ---- normalisation --------------------------------------------------- */

/* Batch norm over the batch for (B, n), or over (B, H, W) per channel for an
 * image node. Creates "<prefix>.gamma", "<prefix>.beta" and keeps running
 * mean/var (momentum 0.1) used in MT_EVAL. eps = 1e-5; the running variance
 * takes the unbiased batch variance (as PyTorch does). The running
 * statistics live in the arena as "<prefix>.running_mean" and
 * "<prefix>.running_var" (same group, decay 0) so checkpoints carry them;
 * they are not graph nodes, never receive a gradient, and are updated by
 * every MT_TRAIN forward pass. */
mt_node graph_batchnorm(mt_graph *g, mt_node x, const char *prefix, int group);
/* Layer norm over each row, with "<prefix>.gamma"/"<prefix>.beta"; eps 1e-5. */
mt_node graph_layernorm(mt_graph *g, mt_node x, const char *prefix, int group);

/* ---- convolution ----------------------------------------------------- */

/* x an image node (B, c*h*w); creates "<prefix>.weight" (out_c, c*k*k) and
 * "<prefix>.bias" (1, out_c); stride 1, zero padding `pad`. im2col of the
 * whole batch + one sgemm (see graph_conv_per_example).
 * Output image (B, out_c*oh*ow), oh = h + 2 pad - k + 1. The weight is
 * registered in the arena with shape (out_c, c, k, k), He-initialised
 * (fan_in c*k*k); the bias starts at zero. */
mt_node graph_conv2d(mt_graph *g, mt_node x, int out_c, int k, int pad, const char *prefix,
                     int group);
/* k x k max pooling with stride k on an image node; trailing rows and
 * columns that do not fill a window are dropped (oh = h / k). */
mt_node graph_maxpool(mt_graph *g, mt_node x, int k);
/* Forget the image layout: (B, c*h*w) as a plain batched node. */
mt_node graph_flatten(mt_graph *g, mt_node x);

/* ---- losses: (1, 1), the masked mean over examples ------------------
 * mask is MT_NONE or a (B, 1) node of 0/1: loss = sum_b m_b l_b / sum_b m_b
 * (0 when no example has a label), so an example lacking the label adds
 * nothing. A row with m_b = 0 is skipped entirely: its prediction and
 * target may hold anything, NaN included. Per-example l_b: */
mt_node graph_loss_mse(mt_graph *g, mt_node pred, mt_node target, mt_node mask);   /* mean_j (p-t)^2 */
mt_node graph_loss_l1(mt_graph *g, mt_node pred, mt_node target, mt_node mask);    /* mean_j |p-t| */
mt_node graph_loss_huber(mt_graph *g, mt_node pred, mt_node target, mt_node mask, float delta);
/* target (B, 1) holds class indices as floats. A labelled row whose target
 * is not an integer in 0..n-1 never indexes memory: the loss becomes NaN
 * (so the trainer's NaN check stops the run), the forward pass records an
 * MT_ERR_NUMERIC message naming the row and value, and that row gets no
 * gradient. */
mt_node graph_loss_softmax_ce(mt_graph *g, mt_node logits, mt_node target, mt_node mask);
/* target (B, n) of 0/1; mean_j of the binary cross-entropy with logits. */
mt_node graph_loss_bce_logits(mt_graph *g, mt_node logits, mt_node target, mt_node mask);

/* ---- custom operations ------------------------------------------------
 * A function the built-in ops cannot express (an analytic objective with
 * its exact gradient, a test double), given as a forward and a backward
 * callback on raw pointers. Operand k arrives as in[k], a row-major
 * (in_rows[k], in_cols[k]) buffer; a batched operand or output has the
 * current batch as its rows. Both callbacks run inside graph_forward /
 * graph_backward: to keep a step allocation-free they must not allocate,
 * and they must not call into the graph. */
typedef void (*mt_custom_fwd)(void *ud, const float *const *in, const int *in_rows,
                              const int *in_cols, int n_in, float *out /* (out_rows, out_cols) */,
                              int out_rows, int out_cols);
/* dout (out_rows, out_cols) is the gradient of the output and out its
 * forward value. din[k] is where operand k's gradient ACCUMULATES (add,
 * never overwrite: other consumers of the operand add there too), or NULL
 * when operand k takes no gradient in this pass (a constant, a parameter
 * outside only_group, an input without graph_input_grad). */
typedef void (*mt_custom_bwd)(void *ud, const float *const *in, const int *in_rows,
                              const int *in_cols, int n_in, const float *out, const float *dout,
                              int out_rows, int out_cols, float *const *din);

#define MT_ROWS_BATCHED 0

/* A node computed by fwd from the n operands `in` (any mix of batched and
 * fixed nodes): a (rows, out_cols) output, or (B, out_cols) when rows is
 * MT_ROWS_BATCHED (also when no operand is batched: a function of the
 * parameters broadcast over the batch). bwd NULL: nothing flows back
 * through the node. kind names the op for graph_node_kind ("custom" when
 * NULL; copied, at most 31 bytes). ud is borrowed and passed to both
 * callbacks: it must outlive the graph's last forward or backward pass. */
mt_node graph_custom(mt_graph *g, const char *kind, const mt_node *in, int n, int rows,
                     int out_cols, mt_custom_fwd fwd, mt_custom_bwd bwd, void *ud);

/* ---- compile and run --------------------------------------------------- */

/* Allocates every buffer for batches up to max_batch and the parameter
 * arena. Returns the first build error if any builder failed. */
mt_status graph_compile(mt_graph *g, int max_batch);
/* Fills every parameter from its mt_init using (seed, parameter index). */
void graph_init_params(mt_graph *g, unsigned long long seed);
/* Seeds the dropout stream; graph_forward advances it. */
void graph_set_seed(mt_graph *g, unsigned long long seed);
mt_status graph_set_batch(mt_graph *g, int batch);
int graph_batch(const mt_graph *g);

/* Runs every node in order. Allocates nothing. */
void graph_forward(mt_graph *g, mt_mode mode);
/* Runs only the nodes that `target` depends on. */
void graph_forward_to(mt_graph *g, mt_node target, mt_mode mode);

typedef struct {
    /* Destination of parameter gradients, laid out like the arena
     * (graph_params(g)->total floats); accumulated into. NULL means the
     * arena's own grad. */
    float *param_grad;
    /* When not MT_NONE, the gradient reaching this node is computed but not
     * propagated into its inputs (parameter gradients below it are not
     * touched): per-task gradients of a representation (MGDA-UB). */
    mt_node stop;
    /* When >= 0, only parameters with this group get gradients, others are
     * skipped (cheaper per-task passes on the shared part). -1: all. */
    int only_group;
    /* When not NULL, (graph_params(g)->count) pointers: where each
     * parameter's gradient goes in this pass instead of its slot in
     * param_grad (per-task gradients straight into the rows of a matrix);
     * a NULL entry keeps the slot. Borrowed for the pass (and for
     * graph_grad until the next one). */
    float *const *param_dest;
    /* 1: a parameter sent to param_dest that the pass reaches gets exactly
     * this pass's gradient (overwritten, not added to), and one it would
     * reach but gets nothing from (a loss with no labelled example) gets
     * zeros, so those destinations need no zeroing first. Parameters in
     * param_grad accumulate as always. */
    int overwrite;
} mt_backward_opts;

/* d(sum_k weights[k] * value(losses[k])) / d(everything upstream).
 * Intermediate gradients are recomputed from zero on every call; parameter
 * gradients accumulate into the destination (zeroing is the caller's). Must
 * follow a forward pass in the same mode. Only ancestors of the losses are
 * visited. weights may be NULL for all ones. Each loss must be a (1, 1)
 * node (MT_ERR_SHAPE otherwise); a visited node not computed by the last
 * forward pass (graph_forward_to elsewhere, or graph_set_batch since) is
 * MT_ERR_STATE. The stop node blocks only its own propagation: a node below
 * it that the losses also reach by another path still gets that path's
 * gradient. Allocates nothing. */
mt_status graph_backward(mt_graph *g, const mt_node *losses, const float *weights, int n,
                         const mt_backward_opts *opts);

/* The backward pass of a given gradient at one node: d(sum(value(node) .*
 * dnode)) / d(everything upstream of node), dnode laid out like
 * graph_value(g, node) at the current batch (borrowed, read once). The
 * options, the accumulation into parameter gradients and the errors are
 * graph_backward's. It takes a direction combined at a shared
 * representation down through the trunk in one pass. */
mt_status graph_backward_from(mt_graph *g, mt_node node, const float *dnode,
                              const mt_backward_opts *opts);

/* ---- access ------------------------------------------------------------ */

/* The node's value buffer (rows x cols, rows = B for batched nodes). For
 * inputs and constants this is where the caller writes. Borrowed. */
float *graph_value(mt_graph *g, mt_node n);
/* The gradient of the last backward pass with respect to the node: for a
 * parameter, its slot in that pass's destination (the arena's grad before
 * any pass); for other nodes, zeros when the pass did not reach them. */
float *graph_grad(mt_graph *g, mt_node n);
int graph_rows(const mt_graph *g, mt_node n); /* B for batched nodes (0 before compile) */
int graph_cols(const mt_graph *g, mt_node n);
int graph_is_batched(const mt_graph *g, mt_node n);
/* For parameter nodes, the index in graph_params(); otherwise -1. */
int graph_param_index(const mt_graph *g, mt_node n);
mt_params *graph_params(mt_graph *g); /* borrowed */
int graph_node_count(const mt_graph *g);
const char *graph_node_name(const mt_graph *g, mt_node n); /* "" if unnamed */
const char *graph_node_kind(const mt_graph *g, mt_node n); /* "dense", "relu", ... */
mt_node graph_find(const mt_graph *g, const char *name); /* input/const/param by name */

/* Use the slow reference loops instead of cblas (tests compare the two).
 * They run convolution and pooling one example at a time. */
void graph_use_reference_kernels(mt_graph *g, int on);
/* Convolution and max pooling run over the batch by default: the batch is
 * lowered (im2col) in chunks of as many examples as fit
 * GRAPH_CONV_COL_FLOATS floats of patches (at least one example), with one
 * gemm per product (forward, weight gradient, input gradient) per chunk.
 * The bound keeps a chunk's patches and their gradient (2 x 1 MB) in one
 * core's L2 cache between the lowering, the gemm and col2im: LeNet's
 * second convolution at batch 64 lowered whole is 20 MB, and streaming it
 * through memory three times cost about 18% more CPU per sample than
 * chunks of three examples that also re-lower for the weight gradient
 * (measured single-threaded, tests/bench/bench_lenet.c). A batch that fits
 * one chunk keeps its forward lowering for the backward. With on != 0 they
 * run one example at a time, the reference layout the batched path is
 * tested against (the same results to float32 rounding). Takes effect from
 * the next forward pass. */
#define GRAPH_CONV_COL_FLOATS ((size_t)1 << 18)
void graph_conv_per_example(mt_graph *g, int on);

/* Inputs take no gradient unless asked (the gradient w.r.t. a 784-wide
 * input costs as much as the first layer's weight gradient). With on != 0,
 * graph_backward also fills graph_grad(g, input). Before or after compile. */
mt_status graph_input_grad(mt_graph *g, mt_node input, int on);
/* 1 and (c, h, w) when n carries an image layout; 0 otherwise. */
int graph_image_shape(const mt_graph *g, mt_node n, int *c, int *h, int *w);

#endif
