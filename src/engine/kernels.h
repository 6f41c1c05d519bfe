/* kernels.h - the engine's numerical kernels on raw float32 pointers.
 *
 * Free functions, no allocation, no graph knowledge. Arguments go
 * out, in, weights, dims. Every `*_backward` ACCUMULATES into its gradient
 * outputs (+=); zeroing is the caller's step. A gradient output passed as
 * NULL is skipped, so a caller computes only what it needs. Output and
 * input buffers never overlap (several kernels take restrict pointers).
 *
 * Layouts: matrices are row-major; an image batch is (B, C*H*W) with each
 * example in (C, H, W) order; "S" below is H*W, the spatial size. */
#ifndef MT_KERNELS_H
#define MT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* The thread rule of the BLAS calls of a training step: fewer than 2M
 * multiply-adds run on one OpenBLAS thread (kernels.c says why). Put
 * kern_blas_serial_begin(macs) before such a call and
 * kern_blas_serial_end(its result) after it. */
int kern_blas_serial_begin(double macs);
void kern_blas_serial_end(int saved);

/* C (m, n) = alpha op(A) op(B) + beta C, op(X) = X^T when the flag is set,
 * leading dimensions as in BLAS (row-major). ref != 0 runs the plain loop
 * path instead of cblas_sgemm; both give the same result up to rounding.
 * A product of fewer than 2M multiply-adds runs on one OpenBLAS thread
 * (kernels.c says why); larger ones on openblas_get_num_threads(). */
void kern_gemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
               int lda, const float *b, int ldb, float beta, float *c, int ldc, int ref);

/* y += alpha x over n elements. */
void kern_axpy(float *restrict y, const float *restrict x, float alpha, size_t n);

/* ---- elementwise ------------------------------------------------------ */

void kern_add_forward(float *restrict out, const float *restrict a, const float *restrict b,
                      size_t n);
void kern_sub_forward(float *out, const float *a, const float *b, size_t n);
void kern_mul_forward(float *out, const float *a, const float *b, size_t n);
/* da += dy*b, db += dy*a. */
void kern_mul_backward(float *da, float *db, const float *dy, const float *a, const float *b,
                       size_t n);
void kern_scale_forward(float *restrict out, const float *restrict x, float s, size_t n);

/* out (rows, cols) = x (rows, cols) + b (cols) broadcast over rows. */
void kern_bias_forward(float *restrict out, const float *restrict x, const float *restrict b,
                       int rows, int cols);
/* db (cols) += column sums of dy (rows, cols). */
void kern_bias_backward(float *restrict db, const float *restrict dy, int rows, int cols);

/* ---- activations -------------------------------------------------------- */

void kern_relu_forward(float *restrict out, const float *restrict x, size_t n);
/* dx += dy where the forward OUTPUT y was positive. */
void kern_relu_backward(float *restrict dx, const float *restrict dy, const float *restrict y,
                        size_t n);
/* The same, overwriting dx: saves zeroing a fresh gradient buffer. */
void kern_relu_backward_set(float *restrict dx, const float *restrict dy,
                            const float *restrict y, size_t n);
void kern_leaky_relu_forward(float *out, const float *x, float slope, size_t n);
void kern_leaky_relu_backward(float *dx, const float *dy, const float *x, float slope, size_t n);
void kern_tanh_forward(float *out, const float *x, size_t n);
void kern_tanh_backward(float *dx, const float *dy, const float *y, size_t n); /* y = output */
void kern_sigmoid_forward(float *out, const float *x, size_t n);
void kern_sigmoid_backward(float *dx, const float *dy, const float *y, size_t n);
/* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
void kern_gelu_forward(float *out, const float *x, size_t n);
void kern_gelu_backward(float *dx, const float *dy, const float *x, size_t n);
/* Row-wise softmax of x (rows, cols), max-subtracted. */
void kern_softmax_forward(float *out, const float *x, int rows, int cols);
/* dx += y (dy - sum_j dy_j y_j) per row, y = softmax output. */
void kern_softmax_backward(float *dx, const float *dy, const float *y, int rows, int cols);

/* Fills mask (n) with 0 or 1/(1-p): element i is dropped when the uniform
 * made from mt_rng_hash(key, i) falls below p. A pure function of
 * (key, i), so a mask can be recomputed. */
void kern_dropout_mask(float *mask, size_t n, float p, uint64_t key);

/* ---- normalisation -----------------------------------------------------
 * Batch norm: statistics per channel over (B, S); a plain (B, n) matrix is
 * C = n channels with S = 1. */
void kern_batchnorm_forward_train(float *out, float *xhat, float *inv_std, float *mean,
                                  float *var, const float *x, const float *gamma,
                                  const float *beta, int batch, int channels, int spatial,
                                  float eps);
/* Normalises with given (running) mean/var; xhat (B, C*S) and inv_std (C)
 * are written for the backward pass. */
void kern_batchnorm_forward_eval(float *out, float *xhat, float *inv_std, const float *x,
                                 const float *gamma, const float *beta, const float *mean,
                                 const float *var, int batch, int channels, int spatial,
                                 float eps);
/* train != 0: through the batch statistics; 0: statistics are constants. */
void kern_batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *xhat, const float *inv_std, const float *gamma,
                             int batch, int channels, int spatial, int train);

/* Layer norm over each row of x (rows, cols); xhat (rows, cols), inv_std (rows). */
void kern_layernorm_forward(float *out, float *xhat, float *inv_std, const float *x,
                            const float *gamma, const float *beta, int rows, int cols, float eps);
void kern_layernorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *xhat, const float *inv_std, const float *gamma,
                             int rows, int cols);

/* ---- convolution and pooling (kernels_conv.c) ------------------------------
 * One example, the reference layout: col (C*k*k, OH*OW) from x (C, H, W),
 * stride 1, zero padding `pad`, OH = H + 2 pad - k + 1. col2im is its
 * adjoint and accumulates into dx. */
void kern_im2col(float *col, const float *x, int channels, int h, int w, int k, int pad);
void kern_col2im(float *dx, const float *col, int channels, int h, int w, int k, int pad);

/* k x k max pooling, stride k, over x (C, H, W) into out (C, H/k, W/k);
 * arg (C*(H/k)*(W/k)) records the index in x of each maximum. */
void kern_maxpool_forward(float *out, int *arg, const float *x, int channels, int h, int w, int k);
void kern_maxpool_backward(float *dx, const float *dy, const int *arg, size_t n_out);

/* The whole batch at once. pad_batch copies `planes` = B*C planes of
 * H x W into xp with a zero border of `pad` (HP = H + 2 pad, WP likewise);
 * unpad_batch takes the interior back, overwriting x (beta 0) or adding to
 * it (beta 1). im2col_batch lowers a padded batch xp (B, C*HP*WP) to col
 * (C*k*k, B*OH*OW), column b*OH*OW + oy*OW + ox holding example b's patch
 * at (oy, ox), OH = HP - k + 1: one gemm W (OC, C*k*k) col then gives
 * every example's output as yt (OC, B*OH*OW). col2im_batch is its
 * adjoint, overwriting the padded dxp. */
void kern_pad_batch(float *xp, const float *x, int planes, int h, int w, int pad);
void kern_unpad_batch(float *x, const float *xp, int planes, int h, int w, int pad, float beta);
void kern_im2col_batch(float *col, const float *xp, int batch, int channels, int hp, int wp,
                       int k);
void kern_col2im_batch(float *dxp, const float *col, int batch, int channels, int hp, int wp,
                       int k);
/* y (B, OC*S) = yt (OC, B*S) reordered, plus bias (OC) per channel. */
void kern_conv_scatter_out(float *y, const float *yt, const float *bias, int batch, int oc,
                           int plane);
/* dyt (OC, B*S) = dy (B, OC*S) reordered; dbias (OC), unless NULL, +=
 * each example's channel sums. */
void kern_conv_gather_grad(float *dyt, float *dbias, const float *dy, int batch, int oc,
                           int plane);
/* Max pooling over `planes` = B*C planes of H x W at once; arg records the
 * maximum's offset in its window (dy*k + dx; the first maximum wins, as in
 * the one-example kernel). The backward overwrites dx (B*C*H*W) with beta
 * 0, adds into it with beta 1. */
void kern_maxpool_forward_batch(float *out, int *arg, const float *x, int planes, int h, int w,
                                int k);
void kern_maxpool_backward_batch(float *dx, const float *dy, const int *arg, int planes, int h,
                                 int w, int k, float beta);

/* ---- losses ------------------------------------------------------------
 * pred, target (B, n); mask (B) of weights or NULL for all ones. Each
 * forward returns sum_b m_b l_b and stores sum_b m_b in *den. Rows with
 * m_b == 0 are skipped entirely, so an unlabelled row may hold anything
 * (NaN, -1). Each backward adds scale * m_b * dl_b/dpred into dpred and,
 * when dtarget is not NULL, the derivative w.r.t. target into dtarget. */
double kern_mse_forward(const float *pred, const float *target, const float *mask, int batch,
                        int n, double *den);
void kern_mse_backward(float *dpred, float *dtarget, const float *pred, const float *target,
                       const float *mask, float scale, int batch, int n);
double kern_l1_forward(const float *pred, const float *target, const float *mask, int batch,
                       int n, double *den);
void kern_l1_backward(float *dpred, float *dtarget, const float *pred, const float *target,
                      const float *mask, float scale, int batch, int n);
double kern_huber_forward(const float *pred, const float *target, const float *mask, int batch,
                          int n, float delta, double *den);
void kern_huber_backward(float *dpred, float *dtarget, const float *pred, const float *target,
                         const float *mask, float scale, int batch, int n, float delta);
/* target (B) holds class indices as floats. probs (B, n) receives the
 * softmax of each used row. A used row whose target is not an integer in
 * [0, n) contributes NaN (so the loss is NaN), its probs row is set to NaN
 * and the count of such rows goes to *n_bad; its index is never used to
 * read or write memory. */
double kern_softmax_ce_forward(float *probs, const float *logits, const float *target,
                               const float *mask, int batch, int n, double *den, int *n_bad);
/* dlogits += scale m_b (probs - onehot(target)); rows with a bad target
 * get no gradient. */
void kern_softmax_ce_backward(float *dlogits, const float *probs, const float *target,
                              const float *mask, float scale, int batch, int n);
/* Binary cross-entropy with logits in the stable form
 * max(z, 0) - z t + log(1 + exp(-|z|)), averaged over the n columns. */
double kern_bce_logits_forward(const float *logits, const float *target, const float *mask,
                               int batch, int n, double *den);
void kern_bce_logits_backward(float *dlogits, float *dtarget, const float *logits,
                              const float *target, const float *mask, float scale, int batch,
                              int n);

#endif
