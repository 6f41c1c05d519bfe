/* gradcheck.h - compares a graph's analytic gradients with central finite
 * differences.
 *
 * For every parameter that the loss depends on, and every input the loss
 * depends on whose gradient was requested with graph_input_grad, each
 * element x is moved to x+eps and x-eps; the numeric derivative is
 * (L(x+) - L(x-)) / (x+ - x-), dividing by the step actually taken in
 * float32 rather than by 2 eps. An element fails when
 *     |analytic - numeric| / max(|analytic|, |numeric|, GRADCHECK_FLOOR) > tol,
 * the floor keeping float32 rounding noise on tiny gradients from counting
 * as relative error. In float32, eps ~ 1e-3 on values of order one and
 * tol ~ 1e-2 are sensible; keep the loss itself of order one, since its
 * float32 rounding divided by 2 eps is the noise floor. Inputs should avoid
 * kinks (relu at 0, ties in max pooling, |r| = delta in Huber) by
 * construction. Non-finite elements (a NaN label in a masked-out row) are
 * skipped; a NaN derivative counts as a failure.
 *
 * The check leaves the graph as it found it: parameter values (running
 * batch-norm statistics included) are restored, the arena's gradients are
 * untouched (the analytic pass goes into a private buffer), and every
 * forward pass reuses the same dropout masks, which the dropout stream
 * advances by one pass as a single forward would. It allocates; it is a
 * test tool, not part of a training step. */
#ifndef MT_GRADCHECK_H
#define MT_GRADCHECK_H

#include "core/status.h"
#include "engine/graph.h"

#define GRADCHECK_FLOOR 1e-2

typedef struct {
    int n_checked;          /* scalar entries compared */
    int n_failed;           /* entries over tol */
    double max_abs_err;     /* max |analytic - numeric| */
    double max_rel_err;     /* max of the relative error above */
    char worst[160];        /* the entry with max_rel_err: "w[1,2]" */
    double worst_analytic, worst_numeric;
} gradcheck_report;

/* Checks d loss / d(everything) in MT_TRAIN mode. loss must be a (1, 1)
 * node of a compiled graph whose inputs the caller has filled. Returns
 * MT_OK when every entry passes, MT_ERR_NUMERIC (message naming the worst
 * entry and both values) when some fail, another status on bad arguments.
 * `out` may be NULL. */
mt_status gradcheck_run(mt_graph *g, mt_node loss, double eps, double tol, gradcheck_report *out);
/* The same in a chosen mode (MT_EVAL checks batch norm's eval path). */
mt_status gradcheck_run_mode(mt_graph *g, mt_node loss, mt_mode mode, double eps, double tol,
                             gradcheck_report *out);

#endif
