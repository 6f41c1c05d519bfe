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

/* ---- pieces for other pictures (pane_band.c) ----------------------------- */

/* Text with XML's special characters escaped. */
void svg_text(FILE *f, const char *s);
/* Task t's colour: the screen's hue for it. */
const char *svg_task_colour(int t);
/* A plot area in pixels and the data range it shows (y in log10 when log). */
typedef struct {
    double px, py, pw, ph;
    double x0, x1, y0, y1;
    int log;
} svg_frame;
double svg_frame_x(const svg_frame *fr, double x);
double svg_frame_y(const svg_frame *fr, double y);
/* Its border, the x and y ticks with labels, and `label` above it. */
void svg_frame_axes(FILE *f, const svg_frame *fr, const char *label);
/* write(f, ctx) into "<path>.tmp", renamed to path when it succeeded;
 * MT_ERR_IO naming the path otherwise. */
mt_status svg_export_file(const char *path, mt_status (*write)(FILE *f, const void *ctx), const void *ctx);

#endif
