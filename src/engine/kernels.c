/* kernels.c - forward/backward kernels on raw pointers (see kernels.h). */
#include "kernels.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "core/rng.h"

/* The reference path: the textbook triple loop with a double accumulator,
 * written independently of BLAS so the two can check each other. */
static void gemm_ref(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int p = 0; p < k; p++) {
                float av = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                float bv = tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += (double)av * bv;
            }
            float *cij = &c[(size_t)i * ldc + j];
            /* beta == 0 must ignore what C held (it may be uninitialised) */
            *cij = (float)(alpha * s) + (beta == 0.0f ? 0.0f : beta * *cij);
        }
}

/* Below this many multiply-adds a product runs on one thread. Handing a
 * small gemm to OpenBLAS's second thread costs a wake-up and a join
 * (microseconds when the machine is idle, far more when another process
 * holds the core: on a loaded 2-core machine 2-thread calls of 0.5M to 4M
 * multiply-adds took 9 to 90 times as long as 1-thread ones). At 2M
 * multiply-adds a product takes 50-100 us on one core, so the handoff is
 * a few percent where threading starts. OpenBLAS's own cut is at 0.26M. */
#define GEMM_SERIAL_MACS ((double)(1 << 21))

int kern_blas_serial_begin(double macs)
{
    int threads = macs < GEMM_SERIAL_MACS ? openblas_get_num_threads() : 1;
    if (threads > 1) openblas_set_num_threads(1);
    return threads;
}

void kern_blas_serial_end(int saved)
{
    if (saved > 1) openblas_set_num_threads(saved);
}

static void sgemm_call(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                       int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void kern_gemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
               int lda, const float *b, int ldb, float beta, float *c, int ldc, int ref)
{
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        /* an empty contraction: C = beta C */
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                c[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[(size_t)i * ldc + j];
        return;
    }
    if (ref) {
        gemm_ref(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    int saved = kern_blas_serial_begin((double)m * n * k);
    sgemm_call(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    kern_blas_serial_end(saved);
}

/* The hot elementwise loops below run in blocks of 8 on restrict pointers:
 * at -O2 GCC vectorises such fixed-size blocks (SLP) but not a plain loop
 * of unknown length, and the selects stay branch-free. */
#define BLK 8

void kern_axpy(float *restrict y, const float *restrict x, float alpha, size_t n)
{
    size_t i = 0;
    for (; i + BLK <= n; i += BLK)
        for (int k = 0; k < BLK; k++) y[i + k] = y[i + k] + alpha * x[i + k];
    for (; i < n; i++) y[i] += alpha * x[i];
}

void kern_add_forward(float *restrict out, const float *restrict a, const float *restrict b,
                      size_t n)
{
    size_t i = 0;
    for (; i + BLK <= n; i += BLK)
        for (int k = 0; k < BLK; k++) out[i + k] = a[i + k] + b[i + k];
    for (; i < n; i++) out[i] = a[i] + b[i];
}

void kern_sub_forward(float *out, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = a[i] - b[i];
}

void kern_mul_forward(float *out, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

void kern_mul_backward(float *da, float *db, const float *dy, const float *a, const float *b,
                       size_t n)
{
    if (da)
        for (size_t i = 0; i < n; i++) da[i] += dy[i] * b[i];
    if (db)
        for (size_t i = 0; i < n; i++) db[i] += dy[i] * a[i];
}

void kern_scale_forward(float *restrict out, const float *restrict x, float s, size_t n)
{
    size_t i = 0;
    for (; i + BLK <= n; i += BLK)
        for (int k = 0; k < BLK; k++) out[i + k] = s * x[i + k];
    for (; i < n; i++) out[i] = s * x[i];
}

void kern_bias_forward(float *restrict out, const float *restrict x, const float *restrict b,
                       int rows, int cols)
{
    for (int r = 0; r < rows; r++)
        kern_add_forward(out + (size_t)r * cols, x + (size_t)r * cols, b, (size_t)cols);
}

void kern_bias_backward(float *restrict db, const float *restrict dy, int rows, int cols)
{
    for (int r = 0; r < rows; r++) kern_axpy(db, dy + (size_t)r * cols, 1.0f, (size_t)cols);
}

void kern_relu_forward(float *restrict out, const float *restrict x, size_t n)
{
    size_t i = 0;
    for (; i + BLK <= n; i += BLK)
        for (int k = 0; k < BLK; k++) {
            float v = x[i + k];
            out[i + k] = v > 0.0f ? v : 0.0f;
        }
    for (; i < n; i++) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void kern_relu_backward(float *restrict dx, const float *restrict dy, const float *restrict y,
                        size_t n)
{
    size_t i = 0;
    for (; i + BLK <= n; i += BLK)
        for (int k = 0; k < BLK; k++) {
            float d = dy[i + k], v = y[i + k];
            float s = v > 0.0f ? d : 0.0f;
            dx[i + k] = dx[i + k] + s;
        }
    for (; i < n; i++) dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
}

void kern_relu_backward_set(float *restrict dx, const float *restrict dy,
                            const float *restrict y, size_t n)
{
    size_t i = 0;
    for (; i + BLK <= n; i += BLK)
        for (int k = 0; k < BLK; k++) {
            float d = dy[i + k], v = y[i + k];
            dx[i + k] = v > 0.0f ? d : 0.0f;
        }
    for (; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void kern_leaky_relu_forward(float *out, const float *x, float slope, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = x[i] > 0.0f ? x[i] : slope * x[i];
}

void kern_leaky_relu_backward(float *dx, const float *dy, const float *x, float slope, size_t n)
{
    for (size_t i = 0; i < n; i++) dx[i] += x[i] > 0.0f ? dy[i] : slope * dy[i];
}

void kern_tanh_forward(float *out, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = tanhf(x[i]);
}

void kern_tanh_backward(float *dx, const float *dy, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
}

void kern_sigmoid_forward(float *out, const float *x, size_t n)
{
    /* two branches so exp never overflows */
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        if (v >= 0.0f) {
            out[i] = 1.0f / (1.0f + expf(-v));
        } else {
            float e = expf(v);
            out[i] = e / (1.0f + e);
        }
    }
}

void kern_sigmoid_backward(float *dx, const float *dy, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}

#define GELU_C 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_A 0.044715f

void kern_gelu_forward(float *out, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        out[i] = 0.5f * v * (1.0f + tanhf(GELU_C * (v + GELU_A * v * v * v)));
    }
}

void kern_gelu_backward(float *dx, const float *dy, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float t = tanhf(GELU_C * (v + GELU_A * v * v * v));
        float du = GELU_C * (1.0f + 3.0f * GELU_A * v * v);
        dx[i] += dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
    }
}

void kern_softmax_forward(float *out, const float *x, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *o = out + (size_t)r * cols;
        float m = xr[0];
        for (int j = 1; j < cols; j++) m = xr[j] > m ? xr[j] : m;
        float s = 0.0f;
        for (int j = 0; j < cols; j++) {
            o[j] = expf(xr[j] - m);
            s += o[j];
        }
        float inv = 1.0f / s;
        for (int j = 0; j < cols; j++) o[j] *= inv;
    }
}

void kern_softmax_backward(float *dx, const float *dy, const float *y, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        const float *d = dy + (size_t)r * cols, *yr = y + (size_t)r * cols;
        float *o = dx + (size_t)r * cols;
        float dot = 0.0f;
        for (int j = 0; j < cols; j++) dot += d[j] * yr[j];
        for (int j = 0; j < cols; j++) o[j] += yr[j] * (d[j] - dot);
    }
}

void kern_dropout_mask(float *mask, size_t n, float p, uint64_t key)
{
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) {
        float u = (float)(mt_rng_hash(key, i) >> 40) * 0x1.0p-24f;
        mask[i] = u < p ? 0.0f : keep;
    }
}

/* One channel's normalise-and-scale over the batch, shared by the training
 * (batch statistics) and evaluation (running statistics) passes. */
static void bn_apply(float *out, float *xhat, const float *x, float m, float is, float gc, float bc,
                     int batch, size_t row, size_t off, int spatial)
{
    for (int b = 0; b < batch; b++) {
        size_t o = (size_t)b * row + off;
        for (int i = 0; i < spatial; i++) {
            float h = (x[o + i] - m) * is;
            xhat[o + i] = h;
            out[o + i] = gc * h + bc;
        }
    }
}

void kern_batchnorm_forward_train(float *out, float *xhat, float *inv_std, float *mean,
                                  float *var, const float *x, const float *gamma,
                                  const float *beta, int batch, int channels, int spatial,
                                  float eps)
{
    size_t row = (size_t)channels * spatial;
    double cnt = (double)batch * spatial;
    for (int c = 0; c < channels; c++) {
        /* two passes in double: the mean first, then squared deviations */
        double s = 0.0;
        for (int b = 0; b < batch; b++) {
            const float *xc = x + b * row + (size_t)c * spatial;
            for (int i = 0; i < spatial; i++) s += xc[i];
        }
        double mu = s / cnt, v = 0.0;
        for (int b = 0; b < batch; b++) {
            const float *xc = x + b * row + (size_t)c * spatial;
            for (int i = 0; i < spatial; i++) v += ((double)xc[i] - mu) * ((double)xc[i] - mu);
        }
        v /= cnt;
        float is = (float)(1.0 / sqrt(v + eps));
        mean[c] = (float)mu;
        var[c] = (float)v;
        inv_std[c] = is;
        bn_apply(out, xhat, x, (float)mu, is, gamma[c], beta[c], batch, row, (size_t)c * spatial, spatial);
    }
}

void kern_batchnorm_forward_eval(float *out, float *xhat, float *inv_std, const float *x,
                                 const float *gamma, const float *beta, const float *mean,
                                 const float *var, int batch, int channels, int spatial,
                                 float eps)
{
    size_t row = (size_t)channels * spatial;
    for (int c = 0; c < channels; c++) {
        float is = 1.0f / sqrtf(var[c] + eps);
        inv_std[c] = is;
        bn_apply(out, xhat, x, mean[c], is, gamma[c], beta[c], batch, row, (size_t)c * spatial, spatial);
    }
}

void kern_batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *xhat, const float *inv_std, const float *gamma,
                             int batch, int channels, int spatial, int train)
{
    size_t row = (size_t)channels * spatial;
    float cnt = (float)batch * (float)spatial;
    for (int c = 0; c < channels; c++) {
        float sdy = 0.0f, sdyx = 0.0f;
        for (int b = 0; b < batch; b++) {
            size_t o = b * row + (size_t)c * spatial;
            for (int i = 0; i < spatial; i++) {
                sdy += dy[o + i];
                sdyx += dy[o + i] * xhat[o + i];
            }
        }
        if (dgamma) dgamma[c] += sdyx;
        if (dbeta) dbeta[c] += sdy;
        if (!dx) continue;
        float k = gamma[c] * inv_std[c];
        for (int b = 0; b < batch; b++) {
            size_t o = b * row + (size_t)c * spatial;
            if (train) {
                /* dx = g/sigma (dy - mean(dy) - xhat mean(dy xhat)) */
                float mdy = sdy / cnt, mdyx = sdyx / cnt;
                for (int i = 0; i < spatial; i++)
                    dx[o + i] += k * (dy[o + i] - mdy - xhat[o + i] * mdyx);
            } else {
                for (int i = 0; i < spatial; i++) dx[o + i] += k * dy[o + i];
            }
        }
    }
}

void kern_layernorm_forward(float *out, float *xhat, float *inv_std, const float *x,
                            const float *gamma, const float *beta, int rows, int cols, float eps)
{
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *h = xhat + (size_t)r * cols, *o = out + (size_t)r * cols;
        double s = 0.0, v = 0.0;
        for (int j = 0; j < cols; j++) s += xr[j];
        double mu = s / cols;
        for (int j = 0; j < cols; j++) v += ((double)xr[j] - mu) * ((double)xr[j] - mu);
        v /= cols;
        float is = (float)(1.0 / sqrt(v + eps)), m = (float)mu;
        inv_std[r] = is;
        for (int j = 0; j < cols; j++) {
            h[j] = (xr[j] - m) * is;
            o[j] = gamma[j] * h[j] + beta[j];
        }
    }
}

void kern_layernorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *xhat, const float *inv_std, const float *gamma,
                             int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        const float *d = dy + (size_t)r * cols, *h = xhat + (size_t)r * cols;
        if (dgamma)
            for (int j = 0; j < cols; j++) dgamma[j] += d[j] * h[j];
        if (dbeta)
            for (int j = 0; j < cols; j++) dbeta[j] += d[j];
        if (!dx) continue;
        /* with g = dy*gamma: dx = inv_std (g - mean(g) - xhat mean(g xhat)) */
        float sg = 0.0f, sgh = 0.0f;
        for (int j = 0; j < cols; j++) {
            float gj = d[j] * gamma[j];
            sg += gj;
            sgh += gj * h[j];
        }
        sg /= (float)cols;
        sgh /= (float)cols;
        float is = inv_std[r], *o = dx + (size_t)r * cols;
        for (int j = 0; j < cols; j++) o[j] += is * (d[j] * gamma[j] - sg - h[j] * sgh);
    }
}

/* ---- losses -------------------------------------------------------------- */

static inline float mask_at(const float *mask, int b) { return mask ? mask[b] : 1.0f; }

double kern_mse_forward(const float *pred, const float *target, const float *mask, int batch,
                        int n, double *den)
{
    double num = 0.0, d = 0.0;
    for (int b = 0; b < batch; b++) {
        float m = mask_at(mask, b);
        if (m == 0.0f) continue;
        const float *p = pred + (size_t)b * n, *t = target + (size_t)b * n;
        double s = 0.0;
        for (int j = 0; j < n; j++) s += ((double)p[j] - t[j]) * ((double)p[j] - t[j]);
        num += m * s / n;
        d += m;
    }
    *den = d;
    return num;
}

void kern_mse_backward(float *dpred, float *dtarget, const float *pred, const float *target,
                       const float *mask, float scale, int batch, int n)
{
    float k0 = 2.0f * scale / (float)n;
    for (int b = 0; b < batch; b++) {
        float m = mask_at(mask, b);
        if (m == 0.0f) continue;
        size_t o = (size_t)b * n;
        float k = k0 * m;
        for (int j = 0; j < n; j++) {
            float g = k * (pred[o + j] - target[o + j]);
            if (dpred) dpred[o + j] += g;
            if (dtarget) dtarget[o + j] -= g;
        }
    }
}

double kern_l1_forward(const float *pred, const float *target, const float *mask, int batch,
                       int n, double *den)
{
    double num = 0.0, d = 0.0;
    for (int b = 0; b < batch; b++) {
        float m = mask_at(mask, b);
        if (m == 0.0f) continue;
        const float *p = pred + (size_t)b * n, *t = target + (size_t)b * n;
        double s = 0.0;
        for (int j = 0; j < n; j++) s += fabs((double)p[j] - t[j]);
        num += m * s / n;
        d += m;
    }
    *den = d;
    return num;
}

void kern_l1_backward(float *dpred, float *dtarget, const float *pred, const float *target,
                      const float *mask, float scale, int batch, int n)
{
    float k0 = scale / (float)n;
    for (int b = 0; b < batch; b++) {
        float m = mask_at(mask, b);
        if (m == 0.0f) continue;
        size_t o = (size_t)b * n;
        float k = k0 * m;
        for (int j = 0; j < n; j++) {
            float r = pred[o + j] - target[o + j];
            /* the subgradient 0 at r == 0 */
            float g = r > 0.0f ? k : r < 0.0f ? -k : 0.0f;
            if (dpred) dpred[o + j] += g;
            if (dtarget) dtarget[o + j] -= g;
        }
    }
}

double kern_huber_forward(const float *pred, const float *target, const float *mask, int batch,
                          int n, float delta, double *den)
{
    double num = 0.0, d = 0.0;
    for (int b = 0; b < batch; b++) {
        float m = mask_at(mask, b);
        if (m == 0.0f) continue;
        const float *p = pred + (size_t)b * n, *t = target + (size_t)b * n;
        double s = 0.0;
        for (int j = 0; j < n; j++) {
            double a = fabs((double)p[j] - t[j]);
            s += a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
        }
        num += m * s / n;
        d += m;
    }
    *den = d;
    return num;
}

void kern_huber_backward(float *dpred, float *dtarget, const float *pred, const float *target,
                         const float *mask, float scale, int batch, int n, float delta)
{
    float k0 = scale / (float)n;
    for (int b = 0; b < batch; b++) {
        float m = mask_at(mask, b);
        if (m == 0.0f) continue;
        size_t o = (size_t)b * n;
        float k = k0 * m;
        for (int j = 0; j < n; j++) {
            float r = pred[o + j] - target[o + j];
            r = r > delta ? delta : r < -delta ? -delta : r;
            if (dpred) dpred[o + j] += k * r;
            if (dtarget) dtarget[o + j] -= k * r;
        }
    }
}

/* A class index is usable when it is an integer in [0, n); the negated
 * test also rejects NaN. */
static inline int class_ok(float t, int n) { return t >= 0.0f && t < (float)n && t == floorf(t); }

double kern_softmax_ce_forward(float *probs, const float *logits, const float *target,
                               const float *mask, int batch, int n, double *den, int *n_bad)
{
    double num = 0.0, d = 0.0;
    int bad = 0;
    for (int b = 0; b < batch; b++) {
        float m = mask_at(mask, b);
        if (m == 0.0f) continue;
        const float *z = logits + (size_t)b * n;
        float *pr = probs + (size_t)b * n;
        d += m;
        if (!class_ok(target[b], n)) {
            bad++;
            for (int j = 0; j < n; j++) pr[j] = NAN;
            num += NAN;
            continue;
        }
        float mx = z[0];
        for (int j = 1; j < n; j++) mx = z[j] > mx ? z[j] : mx;
        double s = 0.0;
        for (int j = 0; j < n; j++) {
            float e = expf(z[j] - mx);
            pr[j] = e;
            s += e;
        }
        float inv = (float)(1.0 / s);
        for (int j = 0; j < n; j++) pr[j] *= inv;
        int c = (int)target[b];
        num += m * ((double)mx + log(s) - z[c]);
    }
    *den = d;
    *n_bad = bad;
    return num;
}

void kern_softmax_ce_backward(float *dlogits, const float *probs, const float *target,
                              const float *mask, float scale, int batch, int n)
{
    for (int b = 0; b < batch; b++) {
        float m = mask_at(mask, b);
        if (m == 0.0f || !class_ok(target[b], n)) continue;
        const float *pr = probs + (size_t)b * n;
        float *dz = dlogits + (size_t)b * n, k = scale * m;
        for (int j = 0; j < n; j++) dz[j] += k * pr[j];
        dz[(int)target[b]] -= k;
    }
}

double kern_bce_logits_forward(const float *logits, const float *target, const float *mask,
                               int batch, int n, double *den)
{
    double num = 0.0, d = 0.0;
    for (int b = 0; b < batch; b++) {
        float m = mask_at(mask, b);
        if (m == 0.0f) continue;
        const float *z = logits + (size_t)b * n, *t = target + (size_t)b * n;
        double s = 0.0;
        for (int j = 0; j < n; j++) {
            double zj = z[j];
            s += (zj > 0 ? zj : 0.0) - zj * t[j] + log1p(exp(-fabs(zj)));
        }
        num += m * s / n;
        d += m;
    }
    *den = d;
    return num;
}

void kern_bce_logits_backward(float *dlogits, float *dtarget, const float *logits,
                              const float *target, const float *mask, float scale, int batch,
                              int n)
{
    float k0 = scale / (float)n;
    for (int b = 0; b < batch; b++) {
        float m = mask_at(mask, b);
        if (m == 0.0f) continue;
        size_t o = (size_t)b * n;
        float k = k0 * m;
        for (int j = 0; j < n; j++) {
            float z = logits[o + j], s;
            if (z >= 0.0f) {
                s = 1.0f / (1.0f + expf(-z));
            } else {
                float e = expf(z);
                s = e / (1.0f + e);
            }
            if (dlogits) dlogits[o + j] += k * (s - target[o + j]);
            if (dtarget) dtarget[o + j] -= k * z;
        }
    }
}
