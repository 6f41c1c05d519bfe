/* compare.h - the numbers behind the comparison view: final losses of each
 * experiment and which experiments are Pareto-optimal. Pure; the screen
 * and the SVG exporter draw them. */
#ifndef MT_TUI_COMPARE_H
#define MT_TUI_COMPARE_H

#include "run/monitor.h"

/* The loss a run ended (or is) at for task t: the last validation loss
 * when there is one, else the last training loss; NaN when neither. */
double compare_final_loss(const mt_monitor *m, int t);

/* The index of the task named `name` in m, or -1. */
int compare_find_task(const mt_monitor *m, const char *name);

/* The first two main (non-auxiliary) tasks of m, falling back to
 * auxiliary ones when there are fewer than two main tasks. Returns how
 * many were found (0..2). */
int compare_pick_tasks(const mt_monitor *m, int *ta, int *tb);

/* Marks in optimal[i] (1/0) the points (a[i], b[i]) that no other point
 * dominates when both are minimised: j dominates i when a[j] <= a[i],
 * b[j] <= b[i] and one is strictly smaller. Points with a NaN are never
 * optimal and never dominate. Returns the number of optimal points. */
int compare_pareto(const double *a, const double *b, int n, int *optimal);

#endif
