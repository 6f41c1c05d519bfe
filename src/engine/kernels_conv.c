/* kernels_conv.c - convolution lowering and max pooling (see kernels.h):
 * the per-example reference kernels and the batched ones the graph runs by
 * default. Both layouts are tested against each other. */
#include "kernels.h"

#include <string.h>

/* ---- one example: the reference layout ------------------------------------ */

void kern_im2col(float *col, const float *x, int channels, int h, int w, int k, int pad)
{
    int oh = h + 2 * pad - k + 1, ow = w + 2 * pad - k + 1;
    size_t plane = (size_t)oh * ow;
    for (int c = 0; c < channels; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *dst = col + ((size_t)(c * k + ky) * k + kx) * plane;
                const float *xc = x + (size_t)c * h * w;
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy + ky - pad;
                    float *d = dst + (size_t)oy * ow;
                    if (iy < 0 || iy >= h) {
                        memset(d, 0, (size_t)ow * sizeof *d);
                        continue;
                    }
                    for (int ox = 0; ox < ow; ox++) {
                        int ix = ox + kx - pad;
                        d[ox] = (ix >= 0 && ix < w) ? xc[(size_t)iy * w + ix] : 0.0f;
                    }
                }
            }
}

void kern_col2im(float *dx, const float *col, int channels, int h, int w, int k, int pad)
{
    int oh = h + 2 * pad - k + 1, ow = w + 2 * pad - k + 1;
    size_t plane = (size_t)oh * ow;
    for (int c = 0; c < channels; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *src = col + ((size_t)(c * k + ky) * k + kx) * plane;
                float *xc = dx + (size_t)c * h * w;
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy + ky - pad;
                    if (iy < 0 || iy >= h) continue;
                    const float *s = src + (size_t)oy * ow;
                    for (int ox = 0; ox < ow; ox++) {
                        int ix = ox + kx - pad;
                        if (ix >= 0 && ix < w) xc[(size_t)iy * w + ix] += s[ox];
                    }
                }
            }
}

void kern_maxpool_forward(float *out, int *arg, const float *x, int channels, int h, int w, int k)
{
    int oh = h / k, ow = w / k;
    for (int c = 0; c < channels; c++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                int best = (c * h + oy * k) * w + ox * k;
                float m = x[best];
                for (int dy = 0; dy < k; dy++)
                    for (int dx = 0; dx < k; dx++) {
                        int i = (c * h + oy * k + dy) * w + ox * k + dx;
                        if (x[i] > m) {
                            m = x[i];
                            best = i;
                        }
                    }
                size_t o = ((size_t)c * oh + oy) * ow + ox;
                out[o] = m;
                arg[o] = best;
            }
}

void kern_maxpool_backward(float *dx, const float *dy, const int *arg, size_t n_out)
{
    for (size_t i = 0; i < n_out; i++) dx[arg[i]] += dy[i];
}

/* ---- the whole batch ---------------------------------------------------------- */

/* dst[0..n) = src[0..n) for short rows (14 or 28 floats in LeNet), inline:
 * GCC turns a plain copy loop into a call of memcpy, whose entry costs as
 * much as such a row (a quarter of the lowering's time), but keeps a copy
 * of constant size inline as vector moves. */
static inline void copy_row(float *restrict dst, const float *restrict src, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) memcpy(dst + i, src + i, 8 * sizeof *dst);
    if (i + 4 <= n) {
        memcpy(dst + i, src + i, 4 * sizeof *dst);
        i += 4;
    }
    if (i + 2 <= n) {
        memcpy(dst + i, src + i, 2 * sizeof *dst);
        i += 2;
    }
    if (i < n) dst[i] = src[i];
}

/* dst[0..n) += src[0..n), the same way. */
static inline void add_row(float *restrict dst, const float *restrict src, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) dst[i + j] += src[i + j];
    for (; i < n; i++) dst[i] += src[i];
}

void kern_pad_batch(float *restrict xp, const float *restrict x, int planes, int h, int w,
                    int pad)
{
    int hp = h + 2 * pad, wp = w + 2 * pad;
    for (int p = 0; p < planes; p++) {
        float *d = xp + (size_t)p * hp * wp;
        const float *s = x + (size_t)p * h * w;
        memset(d, 0, (size_t)pad * wp * sizeof *d);
        for (int y = 0; y < h; y++) {
            float *r = d + (size_t)(y + pad) * wp;
            for (int i = 0; i < pad; i++) r[i] = r[pad + w + i] = 0.0f;
            copy_row(r + pad, s + (size_t)y * w, w);
        }
        memset(d + (size_t)(pad + h) * wp, 0, (size_t)pad * wp * sizeof *d);
    }
}

void kern_unpad_batch(float *restrict x, const float *restrict xp, int planes, int h, int w,
                      int pad, float beta)
{
    int hp = h + 2 * pad, wp = w + 2 * pad;
    for (int p = 0; p < planes; p++)
        for (int y = 0; y < h; y++) {
            float *d = x + ((size_t)p * h + y) * w;
            const float *s = xp + ((size_t)p * hp + y + pad) * wp + pad;
            if (beta == 0.0f)
                copy_row(d, s, w);
            else
                add_row(d, s, w);
        }
}

void kern_im2col_batch(float *restrict col, const float *restrict xp, int batch, int channels,
                       int hp, int wp, int k)
{
    int oh = hp - k + 1, ow = wp - k + 1;
    size_t plane = (size_t)oh * ow, ld = (size_t)batch * plane, img = (size_t)channels * hp * wp;
    for (int c = 0; c < channels; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(c * k + ky) * k + kx) * ld;
                for (int b = 0; b < batch; b++) {
                    const float *s = xp + b * img + ((size_t)c * hp + ky) * wp + kx;
                    float *d = row + b * plane;
                    for (int oy = 0; oy < oh; oy++) copy_row(d + (size_t)oy * ow, s + (size_t)oy * wp, ow);
                }
            }
}

void kern_col2im_batch(float *restrict dxp, const float *restrict col, int batch, int channels,
                       int hp, int wp, int k)
{
    int oh = hp - k + 1, ow = wp - k + 1;
    size_t plane = (size_t)oh * ow, ld = (size_t)batch * plane, img = (size_t)channels * hp * wp;
    memset(dxp, 0, (size_t)batch * img * sizeof *dxp);
    for (int c = 0; c < channels; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *row = col + ((size_t)(c * k + ky) * k + kx) * ld;
                for (int b = 0; b < batch; b++) {
                    float *d = dxp + b * img + ((size_t)c * hp + ky) * wp + kx;
                    const float *s = row + b * plane;
                    for (int oy = 0; oy < oh; oy++) add_row(d + (size_t)oy * wp, s + (size_t)oy * ow, ow);
                }
            }
}

void kern_conv_scatter_out(float *restrict y, const float *restrict yt, const float *restrict bias,
                           int batch, int oc, int plane)
{
    size_t ld = (size_t)batch * plane;
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < oc; o++) {
            float *d = y + ((size_t)b * oc + o) * plane, bo = bias[o];
            const float *s = yt + o * ld + (size_t)b * plane;
            for (int p = 0; p < plane; p++) d[p] = s[p] + bo;
        }
}

void kern_conv_gather_grad(float *restrict dyt, float *restrict dbias, const float *restrict dy,
                           int batch, int oc, int plane)
{
    size_t ld = (size_t)batch * plane;
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < oc; o++) {
            const float *s = dy + ((size_t)b * oc + o) * plane;
            float *d = dyt + o * ld + (size_t)b * plane;
            for (int p = 0; p < plane; p++) d[p] = s[p];
            if (dbias) {
                /* per example, then into the total: the reference path's order */
                float t = 0.0f;
                for (int p = 0; p < plane; p++) t += s[p];
                dbias[o] += t;
            }
        }
}

/* 2x2 windows, the common case, written so the compiler can vectorise the
 * selects; the first maximum in row-major window order wins, as in the
 * reference (a NaN in the first position stays). */
static void maxpool2_forward(float *restrict out, int *restrict arg, const float *restrict x,
                             int planes, int h, int w)
{
    int oh = h / 2, ow = w / 2;
    for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < oh; oy++) {
            const float *r0 = x + ((size_t)p * h + 2 * oy) * w, *r1 = r0 + w;
            float *o = out + ((size_t)p * oh + oy) * ow;
            int *a = arg + ((size_t)p * oh + oy) * ow;
            for (int ox = 0; ox < ow; ox++) {
                float m = r0[2 * ox], v;
                int best = 0;
                v = r0[2 * ox + 1];
                best = v > m ? 1 : best;
                m = v > m ? v : m;
                v = r1[2 * ox];
                best = v > m ? 2 : best;
                m = v > m ? v : m;
                v = r1[2 * ox + 1];
                best = v > m ? 3 : best;
                m = v > m ? v : m;
                o[ox] = m;
                a[ox] = best;
            }
        }
}

void kern_maxpool_forward_batch(float *restrict out, int *restrict arg, const float *restrict x,
                                int planes, int h, int w, int k)
{
    if (k == 2) {
        maxpool2_forward(out, arg, x, planes, h, w);
        return;
    }
    int oh = h / k, ow = w / k;
    for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                const float *win = x + ((size_t)p * h + oy * k) * w + ox * k;
                float m = win[0];
                int best = 0;
                for (int dy = 0; dy < k; dy++)
                    for (int dx = 0; dx < k; dx++) {
                        float v = win[(size_t)dy * w + dx];
                        if (v > m) {
                            m = v;
                            best = dy * k + dx;
                        }
                    }
                size_t o = ((size_t)p * oh + oy) * ow + ox;
                out[o] = m;
                arg[o] = best;
            }
}

/* 2x2 windows with beta 0: every element of each window written once. */
static void maxpool2_backward_set(float *restrict dx, const float *restrict dy,
                                  const int *restrict arg, int planes, int h, int w)
{
    int oh = h / 2, ow = w / 2;
    for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < oh; oy++) {
            const float *g = dy + ((size_t)p * oh + oy) * ow;
            const int *a = arg + ((size_t)p * oh + oy) * ow;
            float *r0 = dx + ((size_t)p * h + 2 * oy) * w, *r1 = r0 + w;
            for (int ox = 0; ox < ow; ox++) {
                float v = g[ox];
                int m = a[ox];
                r0[2 * ox] = m == 0 ? v : 0.0f;
                r0[2 * ox + 1] = m == 1 ? v : 0.0f;
                r1[2 * ox] = m == 2 ? v : 0.0f;
                r1[2 * ox + 1] = m == 3 ? v : 0.0f;
            }
        }
}

void kern_maxpool_backward_batch(float *restrict dx, const float *restrict dy,
                                 const int *restrict arg, int planes, int h, int w, int k,
                                 float beta)
{
    int oh = h / k, ow = w / k;
    /* windows do not overlap: with beta 0 each window is written whole, and
     * only the rows and columns no window covers need zeros of their own */
    if (beta == 0.0f && (oh * k != h || ow * k != w))
        memset(dx, 0, (size_t)planes * h * w * sizeof *dx);
    else if (beta == 0.0f && k == 2) {
        maxpool2_backward_set(dx, dy, arg, planes, h, w);
        return;
    }
    for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < oh; oy++) {
            const float *g = dy + ((size_t)p * oh + oy) * ow;
            const int *a = arg + ((size_t)p * oh + oy) * ow;
            float *base = dx + ((size_t)p * h + (size_t)oy * k) * w;
            if (beta == 0.0f) {
                for (int dyy = 0; dyy < k; dyy++) {
                    float *r = base + (size_t)dyy * w;
                    for (int ox = 0; ox < ow; ox++)
                        for (int dxx = 0; dxx < k; dxx++)
                            r[ox * k + dxx] = a[ox] == dyy * k + dxx ? g[ox] : 0.0f;
                }
            } else {
                for (int ox = 0; ox < ow; ox++)
                    base[(size_t)(a[ox] / k) * w + ox * k + a[ox] % k] += g[ox];
            }
        }
}
