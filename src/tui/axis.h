/* axis.h - tick positions and compact labels for plot axes.
 *
 * Ticks are "nice": multiples of 1, 2 or 5 x 10^k, so labels stay short
 * and readable as a live range drifts; on a log axis, powers of ten. */
#ifndef MT_TUI_AXIS_H
#define MT_TUI_AXIS_H

#include <stddef.h>

/* The smallest nice step (1, 2, 5 x 10^k) giving at most `maxn` ticks in
 * [lo, hi], and the ticks (multiples of the step inside the range) written
 * to out[0..cap). Returns the number of ticks. lo > hi is swapped; a
 * degenerate range (lo == hi) is widened by 10% of |lo| (or 1 around 0) so
 * the value itself gets a tick. Non-finite input or maxn < 2 gives 0. */
int axis_ticks(double lo, double hi, int maxn, double *out, int cap, double *step);

/* Ticks for a log axis over the VALUES [lo, hi] (both > 0): 1, 2, 5 x 10^k
 * when at least two and at most maxn of them fall inside; else powers of
 * ten (every k-th decade when there are more than maxn); failing that,
 * linear nice ticks. Returns the count (0 when lo <= 0). */
int axis_log_ticks(double lo, double hi, int maxn, double *out, int cap);

/* Widens [*lo, *hi] for plotting: a degenerate range as axis_ticks does,
 * then `pad` (a fraction of the span) on each side. With `log`, the values
 * are log10 already and a degenerate range is widened by 0.5 decade. */
void axis_pad_range(double *lo, double *hi, double pad, int log);

/* A compact label for v: "0", "0.25", "12", "1.2e-3", "12k", "1.5M".
 * With step > 0 (the tick step) the number of decimals follows the step so
 * neighbouring ticks read differently; with step == 0 about three
 * significant digits. At most 8 characters plus the NUL when n allows.
 * Returns the length written. */
int axis_format(double v, double step, char *buf, size_t n);

#endif
