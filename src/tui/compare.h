/* compare.h - the numbers behind the comparison view: each experiment's
 * final losses and metrics (run/result.h, the numbers of summary.json),
 * which split is shown, which tasks the Pareto axes take and which
 * experiments are Pareto-optimal. Pure; the screen and the SVG exporter
 * draw them. */
#ifndef MT_TUI_COMPARE_H
#define MT_TUI_COMPARE_H

#include "run/monitor.h"
#include "run/result.h"

/* The final loss / metric of the task named `task` in r on split sp (see
 * result.h for what "final" means on each split); NaN when r has no such
 * task or no value there. */
double compare_loss(const mt_run_result *r, mt_result_split sp, const char *task);
double compare_metric(const mt_run_result *r, mt_result_split sp, const char *task);

/* 1 when the task's metric column would repeat its loss column on split
 * sp: the metric is the loss itself, or no run has a metric there, or
 * every run's metric equals its loss (a regression scored by the MSE it
 * trains on). */
int compare_metric_is_loss(const mt_run_result *r, int n, mt_result_split sp, const char *task);

/* The split the comparison opens on: validation when any run has a
 * validation loss, else training (a landscape has no held-out data). */
mt_result_split compare_default_split(const mt_run_result *r, int n);

/* The index of the task named `name` in m, or -1. */
int compare_find_task(const mt_monitor *m, const char *name);

/* The first two main (non-auxiliary) tasks of r, falling back to
 * auxiliary ones when there are fewer than two main tasks. Returns how
 * many were found (0..2). */
int compare_pick_tasks(const mt_run_result *r, int *ta, int *tb);

/* The task after (dir = 1) or before (-1) `at` in r's order, skipping
 * `avoid` (the other axis); at < 0 starts from the first. */
int compare_next_task(const mt_run_result *r, int at, int dir, int avoid);

/* Marks in optimal[i] (1/0) the points (a[i], b[i]) that no other point
 * dominates when both are minimised: j dominates i when a[j] <= a[i],
 * b[j] <= b[i] and one is strictly smaller. Points with a NaN are never
 * optimal and never dominate. Returns the number of optimal points. */
int compare_pareto(const double *a, const double *b, int n, int *optimal);

#endif
