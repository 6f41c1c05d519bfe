/* pane_landscape.h - the classic picture of gradient combination (CAGrad,
 * Nash-MTL): the (x1, x2) plane of a two-objective landscape, shaded by
 * f1 + f2, with its Pareto set as a line and the path of every run on it,
 * each from its start to where the point is now.
 *
 * It reads the MT_MON_LANDSCAPE picture a landscape run publishes once
 * (layout in run/monitor.h) and the trail of its MT_MON_POSITION matrix.
 * The matrix pane draws it instead of a heatmap when that matrix is
 * selected (a landscape run publishes it first, so the pane opens on it);
 * every run of the script on the same plane is drawn at once, one style
 * per method (glyph and colour on the screen, dash pattern and colour in
 * the SVG), labelled in a legend, the shown run in bold. `e` and `mtlab
 * run` write it as SVG. The pure parts are tested without a terminal. */
#ifndef MT_TUI_PANE_LANDSCAPE_H
#define MT_TUI_PANE_LANDSCAPE_H

#include <stdio.h>
#include "core/status.h"
#include "run/monitor.h"

/* 1 when m is a computed landscape picture with the layout of monitor.h. */
int landscape_valid(const mt_matrix *m);

/* One run's path on the plane: n points (x1[i], x2[i]) from the start to
 * the current point, and the names it is labelled with. Borrowed. */
typedef struct {
    const char *run;    /* the experiment's name */
    const char *method; /* its loss weighting or gradient combiner: the style */
    const double *x1, *x2;
    int n;
} landscape_path;

/* The path of monitor m: its picture's start point, the trail of its
 * "position" and its current position (when it differs from the trail's
 * last point), into x1, x2 (cap points each; the trail is thinned evenly
 * when it has more). Returns the number of points, 0 without a picture. */
int landscape_monitor_path(const mt_monitor *m, double *x1, double *x2, int cap);

/* The distinct methods of the paths in order of first appearance: the
 * index of path i's method into style[i]; returns how many there are. */
int landscape_styles(const landscape_path *p, int n, int *style);

/* The picture as SVG: the plane shaded by f1 + f2 in greys (rank-scaled,
 * so a print in black and white keeps it), the Pareto set (polyline
 * class="pareto"), and per path a polyline class="path" with data-run and
 * data-method, its start (circle class="start") and its end (circle
 * class="end"). The Pareto set, the paths and their markers are drawn in
 * data coordinates inside <g class="plane" transform="..."> that maps
 * them onto the picture, so a point of a path is (x1, x2) as recorded.
 * Each method has its own colour and dash pattern, named in the legend;
 * `bold` (an index into p, or -1) is drawn thicker. width, height <= 0:
 * 960 x 720. */
mt_status landscape_svg_write(FILE *f, const mt_matrix *pic, const landscape_path *p, int n, int bold,
                              const char *title, int width, int height);
/* The same into `path`, atomically. */
mt_status landscape_export_svg(const char *path, const mt_matrix *pic, const landscape_path *p, int n, int bold,
                               const char *title);

/* The picture of every monitor on the same plane as monitors[selected]
 * (its picture), the selected in bold. */
mt_status landscape_svg_monitors(FILE *f, const mt_monitor *const *monitors, int count, int selected,
                                 const char *title);

#endif
