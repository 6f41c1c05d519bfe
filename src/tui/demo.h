/* demo.h - a monitor filled with synthetic training curves and matrices,
 * for trying the screen without a trainer and for documentation shots.
 * Deterministic: the same variant and step give the same numbers. */
#ifndef MT_TUI_DEMO_H
#define MT_TUI_DEMO_H

#include "run/monitor.h"

/* Sets m up (monitor_init with four tasks, two of them auxiliary) as demo
 * experiment `variant` (0..2: hard sharing, cross-stitch, MMoE, each with
 * its own curves), with a topology drawing and notes. m must not be
 * initialised; release it with monitor_free. */
mt_status tui_demo_init(mt_monitor *m, int variant, long total_steps);

/* Advances the demo run to `step`: pushes the training losses and
 * weights of every step since the last call, a validation loss every 50
 * steps, refreshed matrices every 25 steps, a log line every 500, and
 * updates the header fields. A step at or before the current one does
 * nothing. */
void tui_demo_fill(mt_monitor *m, long step);

#endif
