/* svg_panes.h - the screen's panes other than the loss and weight plots
 * (svg.h) as SVG: what `e` writes for every pane on screen. Each writes a
 * whole document to f, sized so that no label, legend or name is cut. */
#ifndef MT_TUI_SVG_PANES_H
#define MT_TUI_SVG_PANES_H

#include <stdio.h>
#include "run/monitor.h"
#include "run/result.h"
#include "tui/svg.h"

/* A relationship matrix as a heatmap of the values v (rows x cols: the
 * last update or an average), the screen's colour scale beside it. */
mt_status tui_svg_matrix(FILE *f, const mt_matrix *x, const double *v, const char *title, const char *subtitle);
/* Text as it is (wrap <= 0: lines kept whole) or wrapped to `wrap` columns. */
mt_status tui_svg_text_pane(FILE *f, const char *title, const char *text, int wrap);
/* The comparison table: the runs' numbers on split sp, tasks as in run ref. */
mt_status tui_svg_compare_table(FILE *f, const mt_run_result *r, int n, mt_result_split sp, int ref);
/* The Pareto scatter of tasks ta (x) and tb (y) on split sp. */
mt_status tui_svg_compare_scatter(FILE *f, const mt_run_result *r, int n, mt_result_split sp, const char *ta,
                                  const char *tb);
/* One task's loss curve of every run (val: the validation curve), with
 * each run's method switches. */
mt_status tui_svg_compare_curves(FILE *f, const mt_monitor *const *m, const mt_run_result *r, int n, const char *task,
                                 int val, long last_steps, int log_y);

#endif
