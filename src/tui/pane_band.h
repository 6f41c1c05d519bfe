/* pane_band.h - the picture of survey section 5: for a non-graph model on
 * one input dimension, each task's training points, posterior mean and a
 * +-2 sd band, live as the hyperparameters are learned.
 *
 * It reads the MT_MON_BAND matrix (layout in run/monitor.h) the trainer
 * publishes. The matrix pane draws it instead of a heatmap when that
 * matrix is selected (it is the first a model publishes, so a model run
 * opens on it); `e` on the screen and `mtlab run` write it as SVG. The
 * pure parts (validity, extent, the SVG) are tested without a terminal. */
#ifndef MT_TUI_PANE_BAND_H
#define MT_TUI_PANE_BAND_H

#include <stdio.h>
#include "core/status.h"
#include "run/monitor.h"

/* 1 when m is a computed band matrix with the layout of monitor.h. */
int band_valid(const mt_matrix *m);
int band_tasks(const mt_matrix *m);
/* Task t's name: its mean row's label without " mean" (into out). */
void band_task_name(const mt_matrix *m, int t, char *out, size_t n);
/* The data extent: x over the grid, y over every mean +- 2 sd and every
 * training point. 0 when nothing is finite. */
int band_extent(const mt_matrix *m, double *x0, double *x1, double *y0, double *y1);

/* The band as an SVG picture (title may be NULL): per task a translucent
 * polygon (class="band") between mean - 2 sd and mean + 2 sd, the mean
 * (polyline class="mean"), the training points (circle class="data"),
 * each with data-task="<index>"; axes and a legend. width, height <= 0:
 * 960 x 600. */
mt_status band_svg_write(FILE *f, const mt_matrix *m, const char *title, int width, int height);
/* The same into `path`, atomically (a reader never sees half a picture). */
mt_status band_export_svg(const char *path, const mt_matrix *m, const char *title);

#endif
