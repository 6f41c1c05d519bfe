/* plot.h - the braille rasteriser behind every line plot of the screen.
 *
 * A terminal cell holds one braille character (U+2800 + mask): a 2 x 4 grid
 * of dots, so a plot of w x h cells has 2w x 4h dots. Rasterising is a pure
 * function of the data, the ranges and the grid size; the screen turns the
 * masks into characters and colours afterwards, and the tests check dots.
 *
 * Dot coordinates: column px in 0..2w-1 from the left, row py in 0..4h-1
 * from the TOP. Data value x0 maps to px 0, x1 to px 2w-1; y1 maps to py 0
 * (the top), y0 to py 4h-1 (the bottom); positions are rounded to the
 * nearest dot. */
#ifndef MT_TUI_PLOT_H
#define MT_TUI_PLOT_H

#include <stdint.h>
#include "core/status.h"

typedef struct {
    int w, h;             /* cells */
    uint8_t *dots;        /* (h, w) braille masks, owned */
    signed char *colour;  /* (h, w) colour index of the last curve drawn in the cell; -1 none */
    int cap;              /* cells allocated */
} plot_grid;

typedef struct {
    double x0, x1; /* x0 < x1 */
    double y0, y1; /* y0 < y1; log10 of the values when log_y */
    int log_y;     /* plot log10(y); points with y <= 0 break the line */
} plot_range;

typedef enum {
    PLOT_SOLID,  /* consecutive points joined by lines */
    PLOT_DASHED, /* the same line, two dots on, two dots off */
    PLOT_DOTTED, /* the same line, one dot on, two off */
    PLOT_POINTS, /* one dot per point, no lines */
} plot_style;

/* A grid of w x h cells, cleared. Grows its buffers only when the size
 * exceeds what it has, so resizing every frame allocates nothing.
 * `g` must be zeroed before the first call. */
mt_status plot_grid_reset(plot_grid *g, int w, int h);
void plot_grid_clear(plot_grid *g);
void plot_grid_free(plot_grid *g);

/* The braille bit of the dot at (dx, dy) inside a cell, dx 0..1, dy 0..3. */
uint8_t plot_dot_bit(int dx, int dy);
/* Lights one dot (in dot coordinates); outside the grid it does nothing. */
void plot_set_dot(plot_grid *g, int px, int py, int colour);
/* 1 when the dot is lit. */
int plot_get_dot(const plot_grid *g, int px, int py);

/* Draws n points (x[i], y[i]) in `style` with colour index `colour`.
 * Segments are clipped to the range; a point with a non-finite coordinate
 * (or y <= 0 on a log axis) breaks the line (no segment joins across it). An isolated point is drawn
 * as a dot. A degenerate or non-finite range draws nothing. */
void plot_raster(plot_grid *g, const double *x, const double *y, int n, const plot_range *r,
                 int colour, plot_style style);

/* The range of the finite points of y (over the points with x in
 * [xmin, xmax]) merged into *lo and *hi; with `positive` only y > 0 counts (for
 * log scale). Returns how many points counted. */
int plot_y_extent(const double *x, const double *y, int n, double xmin, double xmax, int positive,
                  double *lo, double *hi);

#endif
