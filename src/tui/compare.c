#include "compare.h"

#include <math.h>
#include <string.h>

double compare_final_loss(const mt_monitor *m, int t)
{
    if (t < 0 || t >= m->ntasks) return NAN;
    double v = series_last(&m->val_loss[t]);
    if (isfinite(v)) return v;
    return series_last(&m->train_loss[t]);
}

int compare_find_task(const mt_monitor *m, const char *name)
{
    for (int t = 0; t < m->ntasks; t++)
        if (strcmp(m->task[t], name) == 0) return t;
    return -1;
}

int compare_pick_tasks(const mt_monitor *m, int *ta, int *tb)
{
    int got[2], n = 0;
    for (int pass = 0; pass < 2 && n < 2; pass++)
        for (int t = 0; t < m->ntasks && n < 2; t++)
            if (m->aux[t] == pass) got[n++] = t;
    if (n > 0) *ta = got[0];
    if (n > 1) *tb = got[1];
    return n;
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
