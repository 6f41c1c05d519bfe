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

/* Building blocks for other pictures (the sweep's report draws its own
 * panels with them): the document's head with a title, XML-escaped text,
 * a panel's coordinates, its frame with nice y ticks (and x ticks unless
 * x_ticks is 0) and a label, the task colours, and writing through a
 * temporary file. The document ends with "</svg>\n". */
typedef struct {
    double px, py, pw, ph; /* the plot area in pixels */
    double x0, x1, y0, y1; /* data range (y in log10 when log) */
    int log;
} tui_svg_panel;
void tui_svg_begin(FILE *f, int width, int height, const char *title);
void tui_svg_text(FILE *f, const char *s);
double tui_svg_x(const tui_svg_panel *p, double x);
double tui_svg_y(const tui_svg_panel *p, double y);
void tui_svg_axes(FILE *f, const tui_svg_panel *p, const char *ylabel, int x_ticks);
const char *tui_svg_color(int i);
/* Calls write(f, ud) on path.tmp, then renames it to path. */
mt_status tui_svg_to_file(const char *path, mt_status (*write)(FILE *f, void *ud), void *ud);

#endif
