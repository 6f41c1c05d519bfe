/* svg.h - the loss curves and loss weights of one experiment as an SVG
 * picture: a pure function of the monitor (and the screen's view of it:
 * log scale, zoom), so it is testable and the same in headless runs. */
#ifndef MT_TUI_SVG_H
#define MT_TUI_SVG_H

#include <stdio.h>
#include "core/status.h"
#include "run/monitor.h"

typedef struct {
    int width, height; /* pixels; 0 or less: 960 x 640 */
    int log_y;         /* loss axis in log10 (non-positive losses are left out) */
    long last_steps;   /* > 0: only the last N steps, like the screen's zoom */
} tui_svg_options;

/* Writes the picture to f: a loss panel (one polyline per task and series,
 * training solid, validation dashed, auxiliary tasks thinner and fainter),
 * a weights panel, axes with nice ticks and a legend with each task's
 * current values. A non-finite value breaks a polyline in two. Each
 * polyline carries class="train|val|weight" and data-task="<index>".
 * o may be NULL (defaults). */
mt_status tui_svg_write(FILE *f, const mt_monitor *m, const tui_svg_options *o);

/* tui_svg_write to `path`, through a temporary file renamed into place so
 * a reader never sees half a picture. MT_ERR_IO naming the path on failure. */
mt_status tui_export_svg(const char *path, const mt_monitor *m, const tui_svg_options *o);

#endif
