/* heat.h - the colour scale of the task-relationship heatmap.
 *
 * A measure with a natural signed range (a cosine, -1..1) uses a diverging
 * scale whose middle level is the neutral colour at the range's centre; a
 * non-negative measure (an expert usage, a transfer gain) a sequential one.
 * Values map to one of TUI_HEAT_LEVELS levels, clipped at the ends. */
#ifndef MT_TUI_HEAT_H
#define MT_TUI_HEAT_H

#include "roles.h"

typedef enum { HEAT_SEQUENTIAL, HEAT_DIVERGING } heat_kind;

typedef struct {
    heat_kind kind;
    double lo, hi; /* lo < hi */
} heat_scale;

/* The scale for n values: the natural range lo..hi when lo < hi (diverging
 * when lo < 0 < hi), else from the finite data (diverging and symmetric,
 * -m..m, when values of both signs occur; sequential min..max otherwise). */
heat_scale heat_scale_for(const double *v, int n, double lo, double hi);

/* heat_scale_for a rows x cols matrix, zoomed in when it is a signed
 * measure (lo < 0 < hi) whose values off the diagonal all lie within 5%
 * of the natural range (a transfer affinity of 3e-4 on -1..1 would be one
 * grey square): then -m..m for the largest such |value| m, and *zoomed
 * is 1. */
heat_scale heat_scale_zoomed(const double *v, int rows, int cols, double lo, double hi, int *zoomed);

/* 0..TUI_HEAT_LEVELS-1, clipped; -1 for NaN. */
int heat_level(const heat_scale *s, double v);

/* The colour role of a level (-1: ROLE_DIM). */
tui_role heat_role(const heat_scale *s, int level);

/* The value at the centre of level `level` (for the legend). */
double heat_level_value(const heat_scale *s, int level);

#endif
