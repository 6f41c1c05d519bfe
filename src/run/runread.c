/* runread.c - a run folder read back for `mtlab open`. */
#include "runread.h"

#include <cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/mem.h"
#include "core/textfile.h"

#define RR_SERIES_POINTS 4096

/* One recorded update of a matrix. Labels are shared with the previous
 * update when they did not change (own = 0). */
typedef struct {
    long step;
    int rows, cols;
    double *v;                  /* (rows, cols) owned */
    char (*labels)[MT_MON_NAME]; /* (rows + cols): rows first */
    int own;
} rr_update;

typedef struct {
    char name[MT_MON_NAME];
    rr_update *u; /* (n) */
    int n, cap;
} rr_matrix;

struct mt_recorded {
    char dir[1024];
    mt_monitor mon;
    mt_run_result res;
    rr_matrix mx[MT_MON_MAX_MATRICES];
    int nmx;
    long *steps; /* (nsteps) the union of the update steps */
    int nsteps;
    long cursor;
};

static cJSON *read_json(const char *dir, const char *name, int required)
{
    char path[1200], *text;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (mt_read_text(path, &text, NULL)) {
        if (!required) mt_clear_error();
        return NULL;
    }
    cJSON *o = cJSON_Parse(text);
    mt_free(text);
    if (!o) mt_fail(MT_ERR_IO, "%s: not valid JSON", path);
    return o;
}

static const char *jstr(const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

static double jnum(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* ---- metrics.csv ----------------------------------------------------------- */

/* Splits one CSV line into at most max fields (RFC 4180 quotes), in place. */
static int csv_fields(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        if (*p == '"') {
            char *w = ++p;
            f[n++] = w;
            while (*p && !(*p == '"' && p[1] != '"')) {
                if (*p == '"') p++;
                *w++ = *p++;
            }
            if (*p == '"') p++;
            *w = '\0';
            if (*p != ',') break;
            p++;
        } else {
            f[n++] = p;
            char *c = strchr(p, ',');
            if (!c) break;
            *c = '\0';
            p = c + 1;
        }
    }
    return n;
}

static double csv_num(const char *s)
{
    if (strcmp(s, "nan") == 0) return NAN;
    if (strcmp(s, "inf") == 0) return INFINITY;
    if (strcmp(s, "-inf") == 0) return -INFINITY;
    char *end;
    double v = strtod(s, &end);
    return end == s ? NAN : v;
}

/* The curves, and the numbers of a run without a summary: each split's
 * last row per task. */
static mt_status read_metrics(mt_recorded *r, double last[MT_RES_SPLITS][2][MT_MAX_TASKS])
{
    char path[1200], *text;
    snprintf(path, sizeof path, "%s/metrics.csv", r->dir);
    mt_status st = mt_read_text(path, &text, NULL);
    if (st) return st;
    /* a torn last line (a kill inside a write, run/linefile.h) is not read:
     * its last number may be cut short */
    char *whole = strrchr(text, '\n');
    if (whole) whole[1] = '\0';
    mt_monitor *m = &r->mon;
    char *line = strchr(text, '\n'); /* past the header */
    while (line && *++line) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        char *f[10]; /* 9 fields; 7 in runs before the experiment and seed columns */
        int nf = csv_fields(line, f, 10);
        if (nf == 7 || nf == 9) {
            long step = strtol(f[0], NULL, 10);
            int epoch = (int)strtol(f[1], NULL, 10);
            int k = -1;
            for (int t = 0; t < m->ntasks; t++)
                if (strcmp(m->task[t], f[3]) == 0) k = t;
            double loss = csv_num(f[4]), metric = csv_num(f[5]), weight = csv_num(f[6]);
            int sp = strcmp(f[2], "train") == 0 ? MT_RES_TRAIN : strcmp(f[2], "val") == 0 ? MT_RES_VAL : MT_RES_TEST;
            if (k >= 0) {
                if (sp == MT_RES_TRAIN) {
                    series_push(&m->train_loss[k], (double)step, loss);
                    series_push(&m->weight[k], (double)step, weight);
                } else if (sp == MT_RES_VAL) {
                    series_push(&m->val_loss[k], (double)step, loss);
                    series_push(&m->val_metric[k], (double)step, metric);
                }
                last[sp][0][k] = loss;
                last[sp][1][k] = metric;
            }
            if (step > m->step) m->step = step;
            if (epoch > m->epoch) m->epoch = epoch;
        }
        line = nl;
    }
    mt_free(text);
    return MT_OK;
}

/* ---- relations.jsonl --------------------------------------------------------- */

static rr_matrix *matrix_named(mt_recorded *r, const char *name)
{
    for (int i = 0; i < r->nmx; i++)
        if (strcmp(r->mx[i].name, name) == 0) return &r->mx[i];
    if (r->nmx == MT_MON_MAX_MATRICES) return NULL;
    rr_matrix *x = &r->mx[r->nmx++];
    snprintf(x->name, sizeof x->name, "%s", name);
    return x;
}

static int labels_equal(char (*a)[MT_MON_NAME], char (*b)[MT_MON_NAME], int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(a[i], b[i]) != 0) return 0;
    return 1;
}

static mt_status add_update(mt_recorded *r, const cJSON *o)
{
    const char *name = jstr(o, "name", NULL);
    const cJSON *rl = cJSON_GetObjectItemCaseSensitive(o, "row_labels");
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(o, "col_labels");
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(o, "values");
    int rows = (int)jnum(o, "rows", 0), cols = (int)jnum(o, "cols", 0);
    if (!name || rows < 1 || cols < 1 || rows > 4096 || cols > 4096 || !cJSON_IsArray(vals)) return MT_OK;
    rr_matrix *x = matrix_named(r, name);
    if (!x) return MT_OK; /* more matrices than the screen keeps */
    if (x->n == x->cap) {
        size_t cap = (size_t)x->cap;
        if (mt_grow((void **)&x->u, &cap, (size_t)x->n + 1, sizeof *x->u)) return MT_ERR_NOMEM;
        x->cap = (int)cap;
    }
    rr_update *u = &x->u[x->n];
    memset(u, 0, sizeof *u);
    u->step = (long)jnum(o, "step", 0);
    u->rows = rows;
    u->cols = cols;
    u->v = mt_calloc((size_t)rows * (size_t)cols, sizeof *u->v);
    u->labels = mt_calloc((size_t)(rows + cols), sizeof *u->labels);
    if (!u->v || !u->labels) {
        mt_free(u->v);
        mt_free(u->labels);
        return MT_ERR_NOMEM;
    }
    u->own = 1;
    for (int i = 0; i < rows; i++) {
        const cJSON *row = cJSON_GetArrayItem(vals, i);
        for (int j = 0; j < cols; j++) {
            const cJSON *c = cJSON_GetArrayItem(row, j);
            u->v[i * cols + j] = cJSON_IsNumber(c) ? c->valuedouble : NAN;
        }
        const cJSON *l = cJSON_GetArrayItem(rl, i);
        snprintf(u->labels[i], MT_MON_NAME, "%s", cJSON_IsString(l) ? l->valuestring : "");
    }
    for (int j = 0; j < cols; j++) {
        const cJSON *l = cJSON_GetArrayItem(cl, j);
        snprintf(u->labels[rows + j], MT_MON_NAME, "%s", cJSON_IsString(l) ? l->valuestring : "");
    }
    /* most matrices keep their labels: share the previous update's */
    const rr_update *p = x->n ? &x->u[x->n - 1] : NULL;
    if (p && p->rows == rows && p->cols == cols && labels_equal(p->labels, u->labels, rows + cols)) {
        mt_free(u->labels);
        u->labels = p->labels;
        u->own = 0;
    }
    x->n++;
    return MT_OK;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

static mt_status read_relations(mt_recorded *r)
{
    char path[1200], *text;
    snprintf(path, sizeof path, "%s/relations.jsonl", r->dir);
    if (mt_read_text(path, &text, NULL)) {
        mt_clear_error(); /* no matrices recorded */
        return MT_OK;
    }
    mt_status st = MT_OK;
    for (char *line = text; line && *line && !st;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        cJSON *o = cJSON_Parse(line);
        if (o) st = add_update(r, o); /* a torn last line (a killed run) is skipped */
        cJSON_Delete(o);
        line = nl ? nl + 1 : NULL;
    }
    mt_free(text);
    if (st) return mt_fail(st, "%s: out of memory", path);
    size_t total = 0;
    for (int i = 0; i < r->nmx; i++) total += (size_t)r->mx[i].n;
    r->steps = mt_calloc(total + 1, sizeof *r->steps);
    if (!r->steps) return MT_ERR_NOMEM;
    for (int i = 0; i < r->nmx; i++)
        for (int k = 0; k < r->mx[i].n; k++) r->steps[r->nsteps++] = r->mx[i].u[k].step;
    qsort(r->steps, (size_t)r->nsteps, sizeof *r->steps, cmp_long);
    int w = 0;
    for (int i = 0; i < r->nsteps; i++)
        if (w == 0 || r->steps[w - 1] != r->steps[i]) r->steps[w++] = r->steps[i];
    r->nsteps = w;
    /* the monitor's matrices in the order they first appeared */
    for (int i = 0; i < r->nmx; i++) {
        const rr_update *u = &r->mx[i].u[0];
        const char *rl[4096], *cl[4096];
        for (int k = 0; k < u->rows; k++) rl[k] = u->labels[k];
        for (int k = 0; k < u->cols; k++) cl[k] = u->labels[u->rows + k];
        if (!monitor_matrix(&r->mon, r->mx[i].name, u->rows, u->cols, rl, cl)) return mt_last_status();
    }
    return MT_OK;
}

/* ---- events.jsonl ------------------------------------------------------------ */

static void read_events(mt_recorded *r, long *total, double *lr)
{
    char path[1200], *text;
    snprintf(path, sizeof path, "%s/events.jsonl", r->dir);
    if (mt_read_text(path, &text, NULL)) {
        mt_clear_error();
        return;
    }
    mt_monitor *m = &r->mon;
    char method[32];
    snprintf(method, sizeof method, "%s", m->weighting);
    int evals = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        cJSON *o = cJSON_Parse(line);
        const char *ev = jstr(o, "event", "");
        long step = (long)jnum(o, "step", 0);
        if (strcmp(ev, "start") == 0) {
            *total = (long)jnum(o, "total_steps", 0);
            monitor_log(m, 1, "step %ld: start, %ld steps", step, *total);
        } else if (strcmp(ev, "eval") == 0) {
            *lr = jnum(o, "lr", *lr);
            evals++;
        } else if (strcmp(ev, "weighting") == 0) {
            const char *to = jstr(o, "method", "?");
            monitor_mark(m, step, "%s \xe2\x86\x92 %s", method, to);
            monitor_log(m, 1, "step %ld: weighting %s -> %s", step, method, to);
            snprintf(method, sizeof method, "%s", to);
        } else if (strcmp(ev, "finish") == 0) {
            monitor_log(m, 1, "step %ld: finish, %s after %.1f s (%d evaluations)", step, jstr(o, "status", "?"),
                        jnum(o, "wall_time_s", 0), evals);
        } else if (o && ev[0]) {
            monitor_log(m, ev[0] == 'd' || ev[0] == 'f' ? 3 : 2, "step %ld: %s: %s", step, ev, jstr(o, "message", ""));
        }
        cJSON_Delete(o);
        line = nl ? nl + 1 : NULL;
    }
    mt_free(text);
}

/* ---- config.json: the tasks, the notes and the network in words -------- */

static void int_list(const cJSON *a, char *out, size_t n)
{
    size_t w = 0;
    out[0] = '\0';
    const cJSON *v;
    cJSON_ArrayForEach(v, a) w += (size_t)snprintf(out + w, w < n ? n - w : 0, "%s%d", w ? ", " : "", (int)v->valuedouble);
    if (!w) snprintf(out, n, "-");
}

static void describe_network(const cJSON *cfg, char *out, size_t n)
{
    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(cfg, "topology");
    char trunk[256], head[256];
    int_list(cJSON_GetObjectItemCaseSensitive(tp, "trunk"), trunk, sizeof trunk);
    int_list(cJSON_GetObjectItemCaseSensitive(tp, "head"), head, sizeof head);
    size_t w = (size_t)snprintf(out, n,
                                "%s sharing (%s, norm %s, dropout %g)\ntrunk %s; head %s\nparameters: %.0f shared of %.0f\n",
                                jstr(tp, "kind", "?"), jstr(tp, "activation", "?"), jstr(tp, "norm", "?"),
                                jnum(tp, "dropout", 0), trunk, head, jnum(tp, "params_shared", 0),
                                jnum(tp, "params_total", 0));
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(cfg, "tasks"))
    {
        if (w >= n) break;
        w += (size_t)snprintf(out + w, n - w, "  +--> %s%s: %s on %s, loss %s, %.0f parameters\n", jstr(t, "name", "?"),
                              cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "aux")) ? " (aux)" : "",
                              jstr(t, "kind", "?"), jstr(t, "target", "?"), jstr(t, "loss", "?"), jnum(t, "params", 0));
    }
    if (w < n) snprintf(out + w, n - w, "(from config.json; mtlab check SCRIPT draws the layers)\n");
}

mt_status runread_open(const char *dir, mt_recorded **out)
{
    *out = NULL;
    mt_recorded *r = mt_calloc(1, sizeof *r);
    if (!r) return MT_ERR_NOMEM;
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    cJSON *cfg = read_json(dir, "config.json", 1);
    if (!cfg) {
        mt_status st = mt_last_status();
        mt_fail_prefix(st ? st : MT_ERR_IO, "%s is not a run folder", dir);
        runread_free(r);
        return st ? st : MT_ERR_IO;
    }
    const char *names[MT_MAX_TASKS];
    int aux[MT_MAX_TASKS], nt = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(cfg, "tasks"))
    {
        if (nt == MT_MAX_TASKS) break;
        names[nt] = jstr(t, "name", "?");
        aux[nt++] = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "aux"));
    }
    mt_status st = nt ? monitor_init(&r->mon, nt, names, aux, RR_SERIES_POINTS)
                      : mt_fail(MT_ERR_IO, "%s/config.json: no tasks", dir);
    mt_monitor *m = &r->mon;
    if (!st) {
        snprintf(m->experiment, sizeof m->experiment, "%s", jstr(cfg, "name", dir));
        snprintf(m->description, sizeof m->description, "%s", jstr(cfg, "description", ""));
        snprintf(m->weighting, sizeof m->weighting, "%s",
                 jstr(cJSON_GetObjectItemCaseSensitive(cfg, "weighting"), "method", ""));
        const char *drawing = jstr(cJSON_GetObjectItemCaseSensitive(cfg, "topology"), "drawing", NULL);
        if (drawing) snprintf(m->topology, sizeof m->topology, "%s", drawing);
        else describe_network(cfg, m->topology, sizeof m->topology);
    }
    double last[MT_RES_SPLITS][2][MT_MAX_TASKS];
    for (int s = 0; s < MT_RES_SPLITS; s++)
        for (int k = 0; k < MT_MAX_TASKS; k++) last[s][0][k] = last[s][1][k] = NAN;
    if (!st) st = read_metrics(r, last);
    if (!st) st = read_relations(r);
    long total = 0;
    double lr = NAN;
    if (!st) read_events(r, &total, &lr);
    cJSON *sum = st ? NULL : read_json(dir, "summary.json", 0);
    if (sum && result_read_summary_json(sum, &r->res) == MT_OK) {
        m->step = (long)jnum(sum, "steps", (double)m->step);
        m->samples_per_s = jnum(sum, "samples_per_s", 0);
        snprintf(m->weighting, sizeof m->weighting, "%s", jstr(sum, "weighting", m->weighting));
        const char *msg = jstr(sum, "message", "");
        if (msg[0]) snprintf(m->status_msg, sizeof m->status_msg, "%s", msg);
    } else if (!st) { /* killed before the summary: the last rows */
        result_clear(&r->res);
        snprintf(r->res.name, sizeof r->res.name, "%s", m->experiment);
        snprintf(r->res.status, sizeof r->res.status, "no summary");
        r->res.steps = m->step;
        r->res.ntasks = nt;
        for (int k = 0; k < nt; k++) {
            snprintf(r->res.task[k], sizeof r->res.task[k], "%s", names[k]);
            r->res.aux[k] = aux[k];
            for (int s = 0; s < MT_RES_SPLITS; s++) {
                r->res.loss[s][k] = last[s][0][k];
                if (s != MT_RES_TRAIN) r->res.metric[s][k] = last[s][1][k];
            }
        }
        monitor_log(m, 2, "no summary.json: the run was killed before it ended; numbers from metrics.csv");
    }
    cJSON_Delete(sum);
    cJSON_Delete(cfg);
    if (st) {
        runread_free(r);
        return st;
    }
    const char *status = r->res.status;
    m->state = strcmp(status, "finished") == 0   ? MT_RUN_FINISHED
               : strcmp(status, "diverged") == 0 ? MT_RUN_DIVERGED
               : strcmp(status, "failed") == 0   ? MT_RUN_FAILED
                                                 : MT_RUN_STOPPED;
    m->total_steps = total > 0 ? total : m->step;
    m->epochs = m->epoch;
    m->lr = lr;
    monitor_log(m, 1, "opened %s read only: %s at step %ld", dir, status, m->step);
    runread_seek(r, r->nsteps ? r->steps[r->nsteps - 1] : 0);
    *out = r;
    return MT_OK;
}

void runread_free(mt_recorded *r)
{
    if (!r) return;
    for (int i = 0; i < r->nmx; i++) {
        for (int k = 0; k < r->mx[i].n; k++) {
            mt_free(r->mx[i].u[k].v);
            if (r->mx[i].u[k].own) mt_free(r->mx[i].u[k].labels);
        }
        mt_free(r->mx[i].u);
    }
    mt_free(r->steps);
    monitor_free(&r->mon);
    mt_free(r);
}

void runread_seek(mt_recorded *r, long step)
{
    r->cursor = step;
    for (int i = 0; i < r->nmx; i++) {
        const rr_matrix *h = &r->mx[i];
        mt_matrix *x = monitor_find_matrix(&r->mon, h->name);
        if (x) {
            x->updates = 0;
            x->valid = 0;
        }
        for (int k = 0; k < h->n && h->u[k].step <= step; k++) {
            const rr_update *u = &h->u[k];
            const char *rl[4096], *cl[4096];
            for (int q = 0; q < u->rows; q++) rl[q] = u->labels[q];
            for (int q = 0; q < u->cols; q++) cl[q] = u->labels[u->rows + q];
            x = monitor_matrix(&r->mon, h->name, u->rows, u->cols, rl, cl);
            if (!x) break;
            memcpy(x->v, u->v, (size_t)u->rows * (size_t)u->cols * sizeof *x->v);
            x->lo = x->hi = 0; /* the natural range is not recorded: colours scale to the values */
            x->step = u->step;
            x->valid = 1;
            monitor_matrix_observe(&r->mon, x);
        }
    }
}

static int cmp_path(const void *a, const void *b) { return strcmp(a, b); }

/* Adds the run folders at or under dir (down to `depth` more levels) to
 * paths; a folder holding config.json is a run and is not descended. */
static int find_runs(const char *dir, int depth, char (*paths)[1024], int n, int max)
{
    char probe[1200];
    struct stat sb;
    snprintf(probe, sizeof probe, "%s/config.json", dir);
    if (stat(probe, &sb) == 0) {
        if (n < max) snprintf(paths[n++], 1024, "%s", dir);
        return n;
    }
    DIR *d = depth > 0 ? opendir(dir) : NULL;
    if (!d) return n;
    struct dirent *de;
    while ((de = readdir(d)) && n < max) {
        if (de->d_name[0] == '.') continue;
        snprintf(probe, sizeof probe, "%s/%s", dir, de->d_name);
        if (stat(probe, &sb) == 0 && S_ISDIR(sb.st_mode) && strlen(probe) < 1024)
            n = find_runs(probe, depth - 1, paths, n, max);
    }
    closedir(d);
    return n;
}

int runread_find(const char *dir, char (*paths)[1024], int max)
{
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        mt_fail(MT_ERR_ARG, "%s: not a run folder (%s)", dir, stat(dir, &sb) != 0 ? "no such folder" : "not a folder");
        return 0;
    }
    /* a run, a script's experiments (DIR/<experiment>/) or a sweep
     * (DIR/<configuration>/seed-<n>/, or with several experiments one
     * level more) */
    int n = find_runs(dir, 3, paths, 0, max);
    if (n > 1) qsort(paths, (size_t)n, sizeof *paths, cmp_path);
    if (!n) mt_fail(MT_ERR_ARG, "%s: not a run folder: no config.json in it or in its sub-folders", dir);
    return n;
}

mt_monitor *runread_monitor(mt_recorded *r) { return &r->mon; }
const mt_run_result *runread_result(const mt_recorded *r) { return &r->res; }
const char *runread_dir(const mt_recorded *r) { return r->dir; }
long runread_cursor(const mt_recorded *r) { return r->cursor; }

const double *runread_update(const mt_recorded *r, const char *name, int i, long *step, int *rows, int *cols)
{
    for (int k = 0; k < r->nmx; k++) {
        const rr_matrix *x = &r->mx[k];
        if (strcmp(x->name, name) != 0) continue;
        if (i < 0 || i >= x->n) return NULL;
        *step = x->u[i].step;
        *rows = x->u[i].rows;
        *cols = x->u[i].cols;
        return x->u[i].v;
    }
    return NULL;
}

const long *runread_steps(const mt_recorded *r, int *n)
{
    *n = r->nsteps;
    return r->steps;
}

/* ---- a sweep's configuration: its seeds' runs as one ------------------------ */

/* The mean over the seeds of one curve at the steps every seed reached,
 * into mean (cleared first), and mean - sd, mean + sd into lo and hi when
 * they are not NULL (sd: the sample standard deviation; with one seed the
 * band is the curve). The series of runs of one configuration hold the
 * same steps (the same schedule, decimated alike), so steps are matched
 * exactly; a seed that stopped early ends the curve where it stopped. */
static mt_status spread_series(const mt_series *const *in, int n, mt_series *mean, mt_series *lo, mt_series *hi)
{
    /* mean may be the first seed's own series: the means go to x, y first */
    int cap = in[0]->len > 4 ? in[0]->len : 4;
    mt_status st = MT_OK;
    if (lo && !lo->cap) st = series_init(lo, cap);
    if (!st && hi && !hi->cap) st = series_init(hi, cap);
    if (st) return st;
    double *x = mt_calloc((size_t)cap * 2, sizeof *x);
    if (!x) return MT_ERR_NOMEM;
    double *y = x + cap;
    int len = 0;
    int *at = mt_calloc((size_t)n, sizeof *at);
    if (!at) {
        mt_free(x);
        return MT_ERR_NOMEM;
    }
    for (int i = 0; i < in[0]->len; i++) {
        double step = in[0]->x[i], sum = 0, sq = 0;
        int all = 1;
        for (int k = 0; k < n && all; k++) {
            const mt_series *q = in[k];
            while (at[k] < q->len && q->x[at[k]] < step) at[k]++;
            all = at[k] < q->len && q->x[at[k]] == step;
            if (all) sum += q->y[at[k]];
        }
        if (!all) continue;
        double mu = sum / n;
        for (int k = 0; k < n; k++) sq += (in[k]->y[at[k]] - mu) * (in[k]->y[at[k]] - mu);
        double sd = n > 1 ? sqrt(sq / (n - 1)) : 0;
        x[len] = step;
        y[len++] = mu;
        if (lo) series_push(lo, step, mu - sd);
        if (hi) series_push(hi, step, mu + sd);
    }
    series_clear(mean);
    for (int i = 0; i < len; i++) series_push(mean, x[i], y[i]);
    mt_free(at);
    mt_free(x);
    return MT_OK;
}

/* The mean of the finite values v[0..n) (NaN when any is missing: a
 * number over fewer seeds would not be comparable with the others). */
static double mean_of(const double *v, int n)
{
    double s = 0;
    for (int k = 0; k < n; k++) {
        if (!isfinite(v[k])) return NAN;
        s += v[k];
    }
    return n ? s / n : NAN;
}

mt_status runread_open_runs(const char *name, const char *const *dirs, int n, mt_recorded **out)
{
    *out = NULL;
    if (n < 1) return mt_fail(MT_ERR_ARG, "%s: no run folders", name);
    mt_recorded *seeds[256];
    if (n > 256) n = 256;
    mt_status st = MT_OK;
    int opened = 0;
    for (; opened < n && !st; opened++)
        if ((st = runread_open(dirs[opened], &seeds[opened]))) break;
    mt_recorded *r = opened ? seeds[0] : NULL;
    for (int k = 1; k < opened && !st; k++)
        if (seeds[k]->mon.ntasks != r->mon.ntasks)
            st = mt_fail(MT_ERR_IO, "%s: %d tasks, but %s has %d: not runs of one configuration", dirs[k],
                         seeds[k]->mon.ntasks, dirs[0], r->mon.ntasks);
    mt_monitor *m = r ? &r->mon : NULL;
    for (int t = 0; m && t < m->ntasks && !st; t++) {
        const mt_series *in[256];
        for (int k = 0; k < n; k++) in[k] = &seeds[k]->mon.train_loss[t];
        st = spread_series(in, n, &m->train_loss[t], &m->train_lo[t], &m->train_hi[t]);
        for (int k = 0; k < n && !st; k++) in[k] = &seeds[k]->mon.val_loss[t];
        if (!st) st = spread_series(in, n, &m->val_loss[t], &m->val_lo[t], &m->val_hi[t]);
        for (int k = 0; k < n && !st; k++) in[k] = &seeds[k]->mon.val_metric[t];
        if (!st) st = spread_series(in, n, &m->val_metric[t], NULL, NULL);
        for (int k = 0; k < n && !st; k++) in[k] = &seeds[k]->mon.weight[t];
        if (!st) st = spread_series(in, n, &m->weight[t], NULL, NULL);
    }
    if (!st) {
        m->spread_n = n;
        mt_run_result *res = &r->res;
        double v[256];
        for (int sp = 0; sp < MT_RES_SPLITS; sp++)
            for (int t = 0; t < res->ntasks; t++) {
                for (int k = 0; k < n; k++) v[k] = seeds[k]->res.loss[sp][t];
                res->loss[sp][t] = mean_of(v, n);
                for (int k = 0; k < n; k++) v[k] = seeds[k]->res.metric[sp][t];
                res->metric[sp][t] = mean_of(v, n);
                for (int k = 0; k < n; k++) v[k] = seeds[k]->res.single_task_metric[t];
                res->single_task_metric[t] = mean_of(v, n);
            }
        for (int k = 0; k < n; k++) v[k] = seeds[k]->res.delta_m;
        res->delta_m = mean_of(v, n);
        int finished = 0;
        long steps = 0;
        for (int k = 0; k < n; k++) {
            finished += strcmp(seeds[k]->res.status, "finished") == 0;
            if (seeds[k]->mon.step > steps) steps = seeds[k]->mon.step;
        }
        if (finished == n) snprintf(res->status, sizeof res->status, "%d seed%s", n, n == 1 ? "" : "s");
        else snprintf(res->status, sizeof res->status, "%d/%d finished", finished, n);
        snprintf(res->name, sizeof res->name, "%s", name);
        snprintf(m->experiment, sizeof m->experiment, "%s (%d seed%s)", name, n, n == 1 ? "" : "s");
        m->state = finished == n ? MT_RUN_FINISHED : MT_RUN_STOPPED;
        m->step = steps;
        monitor_log(m, 1, "%s: the mean of %d seeds' runs, dotted: mean -/+ one standard deviation; "
                          "the numbers are the means of their summaries, the matrices those of %s",
                    name, n, dirs[0]);
    }
    for (int k = 1; k < opened; k++) runread_free(seeds[k]);
    if (st) {
        runread_free(r);
        return st;
    }
    *out = r;
    return MT_OK;
}
