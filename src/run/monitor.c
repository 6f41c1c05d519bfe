#include "monitor.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"

mt_status series_init(mt_series *s, int cap)
{
    memset(s, 0, sizeof *s);
    if (cap < 4) cap = 4;
    s->x = mt_calloc((size_t)cap, sizeof *s->x);
    s->y = mt_calloc((size_t)cap, sizeof *s->y);
    if (!s->x || !s->y) return MT_ERR_NOMEM;
    s->cap = cap;
    s->stride = 1;
    return MT_OK;
}

void series_free(mt_series *s)
{
    mt_free(s->x);
    mt_free(s->y);
    memset(s, 0, sizeof *s);
}

void series_clear(mt_series *s)
{
    s->len = 0;
    s->stride = 1;
    s->pushed = 0;
}

/* Halving in place keeps the whole history visible: the screen's plot
 * spans the run from step 0 however long it gets, at a resolution that
 * never needs more than `cap` points. */
static void series_decimate(mt_series *s)
{
    int j = 0;
    for (int i = 0; i < s->len; i += 2, j++) {
        s->x[j] = s->x[i];
        s->y[j] = s->y[i];
    }
    s->len = j;
    s->stride *= 2;
}

void series_push(mt_series *s, double x, double y)
{
    if (!s->cap) return;
    long k = s->pushed++;
    if (k % s->stride != 0) return;
    if (s->len == s->cap) {
        series_decimate(s);
        if (k % s->stride != 0) return;
    }
    s->x[s->len] = x;
    s->y[s->len] = y;
    s->len++;
}

double series_last(const mt_series *s) { return s->len ? s->y[s->len - 1] : NAN; }

const char *monitor_state_name(mt_run_state st)
{
    switch (st) {
    case MT_RUN_IDLE: return "idle";
    case MT_RUN_RUNNING: return "running";
    case MT_RUN_PAUSED: return "paused";
    case MT_RUN_FINISHED: return "finished";
    case MT_RUN_DIVERGED: return "diverged";
    case MT_RUN_FAILED: return "failed";
    case MT_RUN_STOPPED: return "stopped";
    }
    return "?";
}

mt_status monitor_init(mt_monitor *m, int ntasks, const char *const *names, const int *aux,
                       int cap)
{
    memset(m, 0, sizeof *m);
    if (ntasks < 1 || ntasks > MT_MAX_TASKS)
        return mt_fail(MT_ERR_ARG, "monitor: %d tasks (1..%d supported)", ntasks,
                       MT_MAX_TASKS);
    m->ntasks = ntasks;
    m->ema_window = MT_MON_EMA_WINDOW;
    snprintf(m->weight_label, sizeof m->weight_label, "weight");
    for (int t = 0; t < ntasks; t++) {
        snprintf(m->task[t], MT_MON_NAME, "%s", names[t]);
        m->aux[t] = aux ? aux[t] : 0;
        m->ref_level[t] = NAN;
        if (series_init(&m->train_loss[t], cap) || series_init(&m->val_loss[t], cap) ||
            series_init(&m->val_metric[t], cap) || series_init(&m->weight[t], cap)) {
            monitor_free(m);
            return MT_ERR_NOMEM;
        }
    }
    return MT_OK;
}

static void matrix_free(mt_matrix *x)
{
    mt_free(x->v);
    mt_free(x->row_labels);
    mt_free(x->col_labels);
    mt_free(x->ema);
    mt_free(x->mean);
    mt_free(x->first);
    mt_free(x->count);
    series_free(&x->trail);
    memset(x, 0, sizeof *x);
}

void monitor_free(mt_monitor *m)
{
    for (int t = 0; t < MT_MAX_TASKS; t++) {
        series_free(&m->train_loss[t]);
        series_free(&m->val_loss[t]);
        series_free(&m->val_metric[t]);
        series_free(&m->weight[t]);
        series_free(&m->train_lo[t]);
        series_free(&m->train_hi[t]);
        series_free(&m->val_lo[t]);
        series_free(&m->val_hi[t]);
    }
    for (int i = 0; i < m->nmatrices; i++) matrix_free(&m->matrix[i]);
    m->nmatrices = 0;
}

mt_matrix *monitor_find_matrix(mt_monitor *m, const char *name)
{
    for (int i = 0; i < m->nmatrices; i++)
        if (strcmp(m->matrix[i].name, name) == 0) return &m->matrix[i];
    return NULL;
}

mt_matrix *monitor_matrix(mt_monitor *m, const char *name, int rows, int cols,
                          const char *const *row_labels, const char *const *col_labels)
{
    mt_matrix *x = monitor_find_matrix(m, name);
    if (x && (x->rows != rows || x->cols != cols)) {
        matrix_free(x);
    } else if (x) {
        /* new labels (the loss-weight history's columns move on): the
         * averages no longer belong to these cells */
        for (int j = 0; j < cols; j++)
            if (strcmp(x->col_labels[j], col_labels ? col_labels[j] : "") != 0) {
                snprintf(x->col_labels[j], MT_MON_NAME, "%s", col_labels ? col_labels[j] : "");
                x->updates = 0;
            }
        for (int i = 0; i < rows; i++)
            if (strcmp(x->row_labels[i], row_labels ? row_labels[i] : "") != 0) {
                snprintf(x->row_labels[i], MT_MON_NAME, "%s", row_labels ? row_labels[i] : "");
                x->updates = 0;
            }
        return x;
    } else {
        if (m->nmatrices == MT_MON_MAX_MATRICES) {
            mt_fail(MT_ERR_ARG, "monitor: more than %d matrices", MT_MON_MAX_MATRICES);
            return NULL;
        }
        x = &m->matrix[m->nmatrices++];
    }
    if (rows < 1 || cols < 1) {
        mt_fail(MT_ERR_ARG, "monitor: matrix %s has shape %dx%d", name, rows, cols);
        return NULL;
    }
    snprintf(x->name, sizeof x->name, "%s", name);
    x->rows = rows;
    x->cols = cols;
    x->v = mt_calloc((size_t)rows * (size_t)cols, sizeof *x->v);
    x->row_labels = mt_calloc((size_t)rows, sizeof *x->row_labels);
    x->col_labels = mt_calloc((size_t)cols, sizeof *x->col_labels);
    x->ema = mt_calloc((size_t)rows * (size_t)cols, sizeof *x->ema);
    x->mean = mt_calloc((size_t)rows * (size_t)cols, sizeof *x->mean);
    x->first = mt_calloc((size_t)rows * (size_t)cols, sizeof *x->first);
    x->count = mt_calloc((size_t)rows * (size_t)cols, sizeof *x->count);
    x->updates = 0;
    if (!x->v || !x->row_labels || !x->col_labels || !x->ema || !x->mean || !x->first || !x->count) return NULL;
    if (rows == 1 && cols == 2 && series_init(&x->trail, MT_MON_TRAIL)) return NULL;
    for (int i = 0; i < rows; i++)
        snprintf(x->row_labels[i], MT_MON_NAME, "%s", row_labels ? row_labels[i] : "");
    for (int j = 0; j < cols; j++)
        snprintf(x->col_labels[j], MT_MON_NAME, "%s", col_labels ? col_labels[j] : "");
    return x;
}

/* The exponential average weighs an update by alpha = 2 / (window + 1),
 * the usual "N-period" EMA: about 86% of its weight lies on the last
 * `window` updates. It starts at the first value, so it is never biased
 * towards zero; the mean is Welford's running mean. */
void monitor_matrix_observe(const mt_monitor *m, mt_matrix *x)
{
    if (!x->ema || !x->mean || !x->count) return;
    int n = x->rows * x->cols;
    if (x->updates == 0) {
        memset(x->count, 0, (size_t)n * sizeof *x->count);
        x->first_step = x->step;
        if (x->first) memcpy(x->first, x->v, (size_t)n * sizeof *x->first);
        series_clear(&x->trail);
    }
    if (x->trail.cap && isfinite(x->v[0]) && isfinite(x->v[1])) series_push(&x->trail, x->v[0], x->v[1]);
    int window = m && m->ema_window > 0 ? m->ema_window : MT_MON_EMA_WINDOW;
    double alpha = 2.0 / (window + 1.0);
    for (int i = 0; i < n; i++) {
        double v = x->v[i];
        if (!isfinite(v)) continue;
        int c = ++x->count[i];
        if (c == 1) {
            x->ema[i] = v;
            x->mean[i] = v;
        } else {
            x->ema[i] += alpha * (v - x->ema[i]);
            x->mean[i] += (v - x->mean[i]) / c;
        }
    }
    x->updates++;
}

const double *monitor_matrix_values(const mt_matrix *x, mt_matrix_view view)
{
    if (x->updates == 0 || view == MT_MAT_BATCH) return x->v;
    return view == MT_MAT_EMA ? x->ema : x->mean;
}

const char *monitor_matrix_view_name(mt_matrix_view view)
{
    switch (view) {
    case MT_MAT_EMA: return "exponential average";
    case MT_MAT_MEAN: return "mean over the run";
    default: return "last update";
    }
}

void monitor_mark(mt_monitor *m, long step, const char *fmt, ...)
{
    if (m->nmarks == MT_MON_MAX_MARKS) {
        memmove(m->mark, m->mark + 1, (MT_MON_MAX_MARKS - 1) * sizeof m->mark[0]);
        m->nmarks--;
    }
    mt_mark *k = &m->mark[m->nmarks++];
    k->step = step;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->label, sizeof k->label, fmt, ap);
    va_end(ap);
}

static void log_append(mt_monitor *m, int level, const char *line, size_t n)
{
    int slot = (int)(m->log_total % MT_MON_LOG_LINES);
    if (n >= MT_MON_LOG_WIDTH) n = MT_MON_LOG_WIDTH - 1;
    memcpy(m->log[slot], line, n);
    m->log[slot][n] = '\0';
    m->log_level[slot] = level;
    m->log_total++;
    if (m->log_len < MT_MON_LOG_LINES) m->log_len++;
}

void monitor_log(mt_monitor *m, int level, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *p = buf;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        log_append(m, level, p, n);
        if (!nl) break;
        p = nl + 1;
        if (!*p) break;
    }
}

const char *monitor_log_line(const mt_monitor *m, int i, int *level)
{
    if (i < 0 || i >= m->log_len) return NULL;
    int slot = (int)((m->log_total - 1 - i) % MT_MON_LOG_LINES);
    if (level) *level = m->log_level[slot];
    return m->log[slot];
}
