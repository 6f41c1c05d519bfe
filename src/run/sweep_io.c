/* sweep_io.c - the plan file of a sweep and the numbers read back from its
 * runs' summary.json files. */
#include "sweep_results.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/mem.h"
#include "run/rundir.h"

static const char *const quantity_names[MT_SQ_COUNT] = {"val_loss", "val_metric", "test_loss", "test_metric"};

const char *sweep_quantity_name(mt_sweep_quantity q) { return q < MT_SQ_COUNT ? quantity_names[q] : "?"; }

/* A whole small file into a malloc'd string (NULL when unreadable). */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    while (s) {
        n += fread(s + n, 1, cap - n - 1, f);
        if (n < cap - 1) break;
        char *g = realloc(s, cap * 2);
        if (!g) {
            free(s);
            s = NULL;
            break;
        }
        s = g;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!s || bad) {
        free(s);
        return NULL;
    }
    s[n] = '\0';
    return s;
}

void sweep_run_identity(const mt_sweep_plan *p, int r, char *buf, size_t n)
{
    const mt_sweep_spec *s = &p->spec;
    const mt_sweep_config *cf = &p->config[p->run[r].config];
    size_t w = 0;
    buf[0] = '\0';
#define ADD(...)                                                          \
    do {                                                                  \
        if (w < n) {                                                      \
            int k_ = snprintf(buf + w, n - w, __VA_ARGS__);               \
            w += k_ > 0 ? (size_t)k_ : 0;                                 \
        }                                                                 \
    } while (0)
    if (s->nexp > 1) ADD("--experiment %d ", cf->exp + 1);
    for (int i = 0; i < s->nsets; i++) ADD("--set %s=%s ", s->set[i].key, s->set[i].value);
    for (int i = 0; i < s->naxes; i++) ADD("--set %s=%s ", s->axis[i].key, s->axis[i].value[cf->point[i]]);
    for (int i = 0; i < s->nseed_paths; i++) ADD("--set %s=%llu ", s->seed_path[i], s->seed[p->run[r].seed]);
    ADD("--threads %d", s->threads);
#undef ADD
}

static cJSON *strings(const char (*v)[MT_SWEEP_VALUE], int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

mt_status sweep_plan_save(const char *path, const mt_sweep_plan *p, const mt_sweep_task *tasks, int ntasks)
{
    const mt_sweep_spec *s = &p->spec;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "script", s->script);
    cJSON *ex = cJSON_AddArrayToObject(o, "experiments");
    for (int i = 0; i < s->nexp; i++) cJSON_AddItemToArray(ex, cJSON_CreateString(s->exp_name[i]));
    cJSON *g = cJSON_AddArrayToObject(o, "grid");
    for (int a = 0; a < s->naxes; a++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "key", s->axis[a].key);
        cJSON_AddItemToObject(x, "values", strings(s->axis[a].value, s->axis[a].nvalues));
        cJSON *l = cJSON_AddArrayToObject(x, "labels");
        for (int i = 0; i < s->axis[a].nvalues; i++) cJSON_AddItemToArray(l, cJSON_CreateString(s->axis[a].label[i]));
        cJSON_AddItemToArray(g, x);
    }
    cJSON *sd = cJSON_AddArrayToObject(o, "seeds");
    for (int i = 0; i < s->nseeds; i++) cJSON_AddItemToArray(sd, cJSON_CreateNumber((double)s->seed[i]));
    cJSON *sp = cJSON_AddArrayToObject(o, "seed_paths");
    for (int i = 0; i < s->nseed_paths; i++) cJSON_AddItemToArray(sp, cJSON_CreateString(s->seed_path[i]));
    cJSON *st = cJSON_AddArrayToObject(o, "sets");
    for (int i = 0; i < s->nsets; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "key", s->set[i].key);
        cJSON_AddStringToObject(x, "value", s->set[i].value);
        cJSON_AddItemToArray(st, x);
    }
    cJSON_AddStringToObject(o, "reference", p->config[p->reference].name);
    cJSON_AddNumberToObject(o, "threads", s->threads);
    cJSON *ta = cJSON_AddArrayToObject(o, "tasks");
    for (int k = 0; k < ntasks; k++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", tasks[k].name);
        cJSON_AddStringToObject(x, "metric", tasks[k].metric);
        cJSON_AddBoolToObject(x, "higher_is_better", tasks[k].higher_better);
        cJSON_AddBoolToObject(x, "aux", tasks[k].aux);
        cJSON_AddBoolToObject(x, "in_score", tasks[k].in_score);
        cJSON_AddItemToArray(ta, x);
    }
    cJSON *runs = cJSON_AddArrayToObject(o, "runs");
    for (int r = 0; r < p->nruns; r++) {
        char id[4096];
        sweep_run_identity(p, r, id, sizeof id);
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "dir", p->run[r].dir);
        cJSON_AddStringToObject(x, "config", p->config[p->run[r].config].name);
        cJSON_AddNumberToObject(x, "seed", (double)s->seed[p->run[r].seed]);
        cJSON_AddStringToObject(x, "identity", id);
        cJSON_AddItemToArray(runs, x);
    }
    mt_status rc = rundir_write_json_path(path, o);
    cJSON_Delete(o);
    return rc;
}

static int copy_str(const cJSON *v, char *out, size_t n)
{
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= n) return 0;
    snprintf(out, n, "%s", v->valuestring);
    return 1;
}

static mt_status plan_from_json(const cJSON *o, const char *path, mt_sweep_spec *s, mt_sweep_task *tasks, int *ntasks)
{
    sweep_spec_defaults(s);
    s->nseed_paths = 0;
#define BAD(what) mt_fail(MT_ERR_FORMAT, "%s: %s is missing or malformed", path, what)
    if (!copy_str(cJSON_GetObjectItemCaseSensitive(o, "script"), s->script, sizeof s->script)) return BAD("script");
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "experiments"))
    {
        if (s->nexp == MT_SWEEP_MAX_EXPS || !copy_str(x, s->exp_name[s->nexp], sizeof s->exp_name[0]))
            return BAD("experiments");
        s->nexp++;
    }
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "grid"))
    {
        if (s->naxes == MT_SWEEP_MAX_AXES) return BAD("grid");
        mt_sweep_axis *ax = &s->axis[s->naxes++];
        if (!copy_str(cJSON_GetObjectItemCaseSensitive(x, "key"), ax->key, sizeof ax->key)) return BAD("grid key");
        const cJSON *v, *labels = cJSON_GetObjectItemCaseSensitive(x, "labels");
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(x, "values"))
        {
            if (ax->nvalues == MT_SWEEP_MAX_VALUES || !copy_str(v, ax->value[ax->nvalues], MT_SWEEP_VALUE) ||
                !copy_str(cJSON_GetArrayItem(labels, ax->nvalues), ax->label[ax->nvalues], MT_SWEEP_LABEL))
                return BAD("grid values");
            ax->nvalues++;
        }
    }
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "seeds"))
    {
        if (s->nseeds == MT_SWEEP_MAX_SEEDS || !cJSON_IsNumber(x) || x->valuedouble < 0 ||
            x->valuedouble > (double)MT_SWEEP_MAX_SEED)
            return BAD("seeds");
        s->seed[s->nseeds++] = (unsigned long long)x->valuedouble;
    }
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "seed_paths"))
    {
        if (s->nseed_paths == MT_SWEEP_MAX_SEED_PATHS ||
            !copy_str(x, s->seed_path[s->nseed_paths], sizeof s->seed_path[0]))
            return BAD("seed_paths");
        s->nseed_paths++;
    }
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "sets"))
    {
        if (s->nsets == MT_SWEEP_MAX_SETS ||
            !copy_str(cJSON_GetObjectItemCaseSensitive(x, "key"), s->set[s->nsets].key, sizeof s->set[0].key) ||
            !copy_str(cJSON_GetObjectItemCaseSensitive(x, "value"), s->set[s->nsets].value, MT_SWEEP_VALUE))
            return BAD("sets");
        s->nsets++;
    }
    copy_str(cJSON_GetObjectItemCaseSensitive(o, "reference"), s->reference, sizeof s->reference);
    x = cJSON_GetObjectItemCaseSensitive(o, "threads");
    s->threads = cJSON_IsNumber(x) && x->valueint > 0 ? x->valueint : 1;
    if (tasks) {
        *ntasks = 0;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "tasks"))
        {
            if (*ntasks == MT_SWEEP_MAX_TASKS) return BAD("tasks");
            mt_sweep_task *t = &tasks[(*ntasks)++];
            memset(t, 0, sizeof *t);
            if (!copy_str(cJSON_GetObjectItemCaseSensitive(x, "name"), t->name, sizeof t->name) ||
                !copy_str(cJSON_GetObjectItemCaseSensitive(x, "metric"), t->metric, sizeof t->metric))
                return BAD("tasks");
            t->higher_better = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "higher_is_better"));
            t->aux = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "aux"));
            t->in_score = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "in_score"));
        }
    }
#undef BAD
    return MT_OK;
}

mt_status sweep_plan_load(const char *path, mt_sweep_plan **out, mt_sweep_task *tasks, int *ntasks)
{
    *out = NULL;
    char *text = read_text(path);
    if (!text) return mt_fail(MT_ERR_IO, "%s: cannot read the sweep's plan: %s", path, strerror(errno));
    cJSON *o = cJSON_Parse(text);
    free(text);
    if (!o) return mt_fail(MT_ERR_FORMAT, "%s: not valid JSON", path);
    mt_sweep_spec *s = mt_alloc(sizeof *s);
    mt_status st = s ? plan_from_json(o, path, s, tasks, ntasks) : MT_ERR_NOMEM;
    cJSON_Delete(o);
    if (!st) st = sweep_plan_build(s, out);
    if (st && st != MT_ERR_NOMEM && st != MT_ERR_FORMAT) mt_fail_prefix(st, "%s", path);
    mt_free(s);
    return st;
}

void sweep_plan_old_identity(const char *path, const char *run_dir, char *buf, size_t n)
{
    buf[0] = '\0';
    char *text = read_text(path);
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "runs"))
    {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(x, "dir");
        if (cJSON_IsString(d) && strcmp(d->valuestring, run_dir) == 0) {
            copy_str(cJSON_GetObjectItemCaseSensitive(x, "identity"), buf, n);
            break;
        }
    }
    cJSON_Delete(o);
}

mt_status sweep_results_new(const mt_sweep_plan *p, const mt_sweep_task *tasks, int ntasks, mt_sweep_results **out)
{
    *out = NULL;
    mt_sweep_results *r = mt_calloc(1, sizeof *r);
    if (!r) return MT_ERR_NOMEM;
    r->ntasks = ntasks < MT_SWEEP_MAX_TASKS ? ntasks : MT_SWEEP_MAX_TASKS;
    memcpy(r->task, tasks, sizeof r->task[0] * (size_t)r->ntasks);
    r->nconfigs = p->nconfigs;
    r->nseeds = p->spec.nseeds;
    size_t nv = (size_t)r->nconfigs * (size_t)(r->ntasks ? r->ntasks : 1) * MT_SQ_COUNT * (size_t)r->nseeds;
    size_t nd = (size_t)r->nconfigs * (size_t)r->nseeds;
    r->value = mt_alloc(nv * sizeof *r->value);
    r->delta_m = mt_alloc(nd * sizeof *r->delta_m);
    r->status = mt_calloc(nd, sizeof *r->status);
    if (!r->value || !r->delta_m || !r->status) {
        sweep_results_free(r);
        return MT_ERR_NOMEM;
    }
    for (size_t i = 0; i < nv; i++) r->value[i] = NAN;
    for (size_t i = 0; i < nd; i++) r->delta_m[i] = NAN;
    r->score = MT_SQ_TEST_METRIC;
    *out = r;
    return MT_OK;
}

void sweep_results_free(mt_sweep_results *r)
{
    if (!r) return;
    mt_free(r->value);
    mt_free(r->delta_m);
    mt_free(r->status);
    mt_free(r);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

mt_status sweep_results_add(mt_sweep_results *res, const mt_sweep_plan *p, int r, const char *summary_json)
{
    cJSON *o = cJSON_Parse(summary_json);
    if (!o) return mt_fail(MT_ERR_FORMAT, "%s/summary.json: not valid JSON", p->run[r].dir);
    int c = p->run[r].config, s = p->run[r].seed;
    char *st = res->status[(size_t)c * res->nseeds + s];
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(o, "status");
    snprintf(st, 16, "%s", cJSON_IsString(status) ? status->valuestring : "unknown");
    res->delta_m[(size_t)c * res->nseeds + s] = num(o, "delta_m_percent");
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(o, "tasks");
    for (int k = 0; k < res->ntasks; k++) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(tasks, res->task[k].name);
        if (!t) continue;
        for (int q = 0; q < MT_SQ_COUNT; q++)
            res->value[(((size_t)c * res->ntasks + k) * MT_SQ_COUNT + q) * res->nseeds + s] = num(t, quantity_names[q]);
    }
    cJSON_Delete(o);
    /* the score: the test metric when any run has one, else validation */
    int any_test = 0;
    size_t nv = (size_t)res->nconfigs * res->ntasks * MT_SQ_COUNT * res->nseeds;
    for (size_t i = 0; i < nv && !any_test; i++)
        any_test = (i / res->nseeds) % MT_SQ_COUNT == MT_SQ_TEST_METRIC && isfinite(res->value[i]);
    res->score = any_test ? MT_SQ_TEST_METRIC : MT_SQ_VAL_METRIC;
    return MT_OK;
}

void sweep_results_read(mt_sweep_results *res, const mt_sweep_plan *p, const char *dir)
{
    for (int r = 0; r < p->nruns; r++) {
        if (res->status[(size_t)p->run[r].config * res->nseeds + p->run[r].seed][0]) continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s/summary.json", dir, p->run[r].dir);
        char *text = read_text(path);
        if (text) sweep_results_add(res, p, r, text);
        free(text);
    }
}

void sweep_run_status(const char *dir, const char *run_dir, char *status, size_t n)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/%s/summary.json", dir, run_dir);
    status[0] = '\0';
    char *text = read_text(path);
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "status");
    if (cJSON_IsString(s)) snprintf(status, n, "%s", s->valuestring);
    cJSON_Delete(o);
}

int sweep_status_done(const char *status)
{
    return strcmp(status, "finished") == 0 || strcmp(status, "diverged") == 0;
}
