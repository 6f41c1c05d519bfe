#include "compare.h"

#include <math.h>
#include <string.h>

double compare_loss(const mt_run_result *r, mt_result_split sp, const char *task)
{
    int k = result_find_task(r, task);
    return k >= 0 && (unsigned)sp < MT_RES_SPLITS ? r->loss[sp][k] : NAN;
}

double compare_metric(const mt_run_result *r, mt_result_split sp, const char *task)
{
    int k = result_find_task(r, task);
    return k >= 0 && (unsigned)sp < MT_RES_SPLITS ? r->metric[sp][k] : NAN;
}

int compare_metric_is_loss(const mt_run_result *r, int n, mt_result_split sp, const char *task)
{
    for (int e = 0; e < n; e++) {
        double m = compare_metric(&r[e], sp, task), l = compare_loss(&r[e], sp, task);
        int k = result_find_task(&r[e], task);
        if (k >= 0 && strcmp(r[e].metric_name[k], "loss") == 0) continue;
        /* the two are accumulated apart: equal to float rounding */
        if (isfinite(m) && !(fabs(m - l) <= 1e-5 * fmax(fabs(m), fabs(l)))) return 0;
    }
    return 1;
}

mt_result_split compare_default_split(const mt_run_result *r, int n)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < r[i].ntasks; k++)
            if (isfinite(r[i].loss[MT_RES_VAL][k])) return MT_RES_VAL;
    return MT_RES_TRAIN;
}

int compare_find_task(const mt_monitor *m, const char *name)
{
    for (int t = 0; t < m->ntasks; t++)
        if (strcmp(m->task[t], name) == 0) return t;
    return -1;
}

int compare_pick_tasks(const mt_run_result *r, int *ta, int *tb)
{
    int got[2], n = 0;
    for (int pass = 0; pass < 2 && n < 2; pass++)
        for (int t = 0; t < r->ntasks && n < 2; t++)
            if (r->aux[t] == pass) got[n++] = t;
    if (n > 0) *ta = got[0];
    if (n > 1) *tb = got[1];
    return n;
}

int compare_next_task(const mt_run_result *r, int at, int dir, int avoid)
{
    int n = r->ntasks;
    if (n <= 0) return -1;
    if (at < 0) at = dir > 0 ? -1 : 0;
    for (int i = 0; i < n; i++) {
        at = ((at + dir) % n + n) % n;
        if (at != avoid || n == 1) return at;
    }
    return at;
}

int compare_pareto(const double *a, const double *b, int n, int *optimal)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        optimal[i] = !isnan(a[i]) && !isnan(b[i]);
        for (int j = 0; j < n && optimal[i]; j++) {
            if (j == i || isnan(a[j]) || isnan(b[j])) continue;
            if (a[j] <= a[i] && b[j] <= b[i] && (a[j] < a[i] || b[j] < b[i])) optimal[i] = 0;
        }
        count += optimal[i];
    }
    return count;
}
