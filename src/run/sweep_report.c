/* sweep_report.c - the aggregate of a sweep: statistics per configuration
 * and task, the paired comparison, the Pareto front, and the files
 * sweep.csv and sweep.json. */
#include "sweep_results.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/mem.h"
#include "run/rundir.h"

static const double *series(const mt_sweep_results *r, int c, int k, int q)
{
    return r->value + (((size_t)c * r->ntasks + k) * MT_SQ_COUNT + q) * r->nseeds;
}

static size_t cell(const mt_sweep_results *r, int c, int k, int q)
{
    return ((size_t)c * r->ntasks + k) * MT_SQ_COUNT + q;
}

mt_status sweep_table_compute(const mt_sweep_results *res, int reference, mt_sweep_table *t)
{
    memset(t, 0, sizeof *t);
    size_t ncell = (size_t)res->nconfigs * (res->ntasks ? res->ntasks : 1) * MT_SQ_COUNT;
    t->q = mt_alloc(ncell * sizeof *t->q);
    t->diff = mt_alloc(ncell * sizeof *t->diff);
    t->dm = mt_alloc((size_t)res->nconfigs * sizeof *t->dm);
    t->dm_diff = mt_alloc((size_t)res->nconfigs * sizeof *t->dm_diff);
    t->pareto = mt_calloc((size_t)res->nconfigs, sizeof *t->pareto);
    double *obj = mt_alloc((size_t)res->nconfigs * (res->ntasks ? res->ntasks : 1) * sizeof *obj);
    if (!t->q || !t->diff || !t->dm || !t->dm_diff || !t->pareto || !obj) {
        mt_free(obj);
        sweep_table_free(t);
        return MT_ERR_NOMEM;
    }
    t->reference = reference;
    int nmain = 0;
    for (int k = 0; k < res->ntasks; k++) nmain += !res->task[k].aux;
    for (int c = 0; c < res->nconfigs; c++) {
        int m = 0;
        for (int k = 0; k < res->ntasks; k++) {
            for (int q = 0; q < MT_SQ_COUNT; q++) {
                t->q[cell(res, c, k, q)] = stats_summarise(series(res, c, k, q), res->nseeds);
                t->diff[cell(res, c, k, q)] = stats_paired(series(res, c, k, q), series(res, reference, k, q), res->nseeds);
            }
            if (res->task[k].aux) continue;
            double mean = t->q[cell(res, c, k, res->score)].mean;
            obj[(size_t)c * nmain + m++] = res->task[k].higher_better ? mean : -mean;
        }
        t->dm[c] = stats_summarise(res->delta_m + (size_t)c * res->nseeds, res->nseeds);
        t->dm_diff[c] = stats_paired(res->delta_m + (size_t)c * res->nseeds,
                                     res->delta_m + (size_t)reference * res->nseeds, res->nseeds);
    }
    if (nmain > 0) stats_pareto(obj, res->nconfigs, nmain, t->pareto);
    mt_free(obj);
    return MT_OK;
}

void sweep_table_free(mt_sweep_table *t)
{
    mt_free(t->q);
    mt_free(t->diff);
    mt_free(t->dm);
    mt_free(t->dm_diff);
    mt_free(t->pareto);
    memset(t, 0, sizeof *t);
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* %.9g, or nothing for a missing number: pandas and R read both. */
static void csv_num(FILE *f, double v)
{
    fputc(',', f);
    if (isfinite(v)) fprintf(f, "%.9g", v);
}

static void csv_row(FILE *f, const mt_sweep_config *cf, const char *task, const char *quantity, const mt_stat *s,
                    const mt_stat *d, int pareto)
{
    csv_field(f, cf->name);
    fputc(',', f);
    csv_field(f, cf->dir);
    fputc(',', f);
    csv_field(f, task);
    fprintf(f, ",%s,%d", quantity, s->n);
    csv_num(f, s->mean);
    csv_num(f, s->std);
    csv_num(f, s->lo);
    csv_num(f, s->hi);
    if (d) {
        fprintf(f, ",%d", d->n);
        csv_num(f, d->mean);
        csv_num(f, d->lo);
        csv_num(f, d->hi);
        fprintf(f, ",%d", stats_excludes_zero(d));
    } else {
        fputs(",,,,,", f);
    }
    fprintf(f, ",%d\n", pareto);
}

mt_status sweep_write_csv(const char *path, const mt_sweep_plan *p, const mt_sweep_results *res,
                          const mt_sweep_table *t)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return mt_fail(MT_ERR_IO, "%s: cannot open for writing: %s", tmp, strerror(errno));
    fputs("config,dir,task,quantity,n,mean,std,ci95_low,ci95_high,diff_n,diff_mean,diff_ci95_low,diff_ci95_high,"
          "significant,pareto\n",
          f);
    for (int c = 0; c < res->nconfigs; c++) {
        int ref = c == t->reference;
        for (int k = 0; k < res->ntasks; k++)
            for (int q = 0; q < MT_SQ_COUNT; q++) {
                size_t i = cell(res, c, k, q);
                if (t->q[i].n == 0) continue; /* a quantity this task or split does not have */
                csv_row(f, &p->config[c], res->task[k].name, sweep_quantity_name(q), &t->q[i],
                        ref ? NULL : &t->diff[i], t->pareto[c]);
            }
        if (t->dm[c].n > 0) csv_row(f, &p->config[c], "", "delta_m_percent", &t->dm[c], ref ? NULL : &t->dm_diff[c], t->pareto[c]);
    }
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return mt_fail(MT_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    }
    return MT_OK;
}

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static cJSON *stat_json(const mt_stat *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", s->n);
    cJSON_AddItemToObject(o, "mean", num_or_null(s->mean));
    cJSON_AddItemToObject(o, "std", num_or_null(s->std));
    cJSON *ci = cJSON_AddArrayToObject(o, "ci95");
    cJSON_AddItemToArray(ci, num_or_null(s->lo));
    cJSON_AddItemToArray(ci, num_or_null(s->hi));
    return o;
}

static cJSON *diff_json(const mt_stat *s)
{
    cJSON *o = stat_json(s);
    cJSON_AddBoolToObject(o, "significant", stats_excludes_zero(s));
    return o;
}

mt_status sweep_write_json(const char *path, const mt_sweep_plan *p, const mt_sweep_results *res,
                           const mt_sweep_table *t)
{
    const mt_sweep_spec *s = &p->spec;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "script", s->script);
    cJSON_AddStringToObject(o, "reference", p->config[t->reference].name);
    cJSON_AddStringToObject(o, "score", sweep_quantity_name(res->score));
    cJSON_AddNumberToObject(o, "level", MT_STAT_LEVEL);
    cJSON *sd = cJSON_AddArrayToObject(o, "seeds");
    for (int i = 0; i < s->nseeds; i++) cJSON_AddItemToArray(sd, cJSON_CreateNumber((double)s->seed[i]));
    cJSON *front = cJSON_AddArrayToObject(o, "pareto_front");
    cJSON *cfgs = cJSON_AddArrayToObject(o, "configurations");
    for (int c = 0; c < res->nconfigs; c++) {
        const mt_sweep_config *cf = &p->config[c];
        if (t->pareto[c]) cJSON_AddItemToArray(front, cJSON_CreateString(cf->name));
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", cf->name);
        cJSON_AddStringToObject(x, "dir", cf->dir);
        cJSON_AddStringToObject(x, "experiment", s->exp_name[cf->exp]);
        cJSON *set = cJSON_AddObjectToObject(x, "settings");
        for (int a = 0; a < s->naxes; a++) cJSON_AddStringToObject(set, s->axis[a].key, s->axis[a].value[cf->point[a]]);
        cJSON *runs = cJSON_AddObjectToObject(x, "runs");
        for (int i = 0; i < s->nseeds; i++) {
            char seed[32];
            snprintf(seed, sizeof seed, "%llu", s->seed[i]);
            const char *st = res->status[(size_t)c * res->nseeds + i];
            cJSON_AddItemToObject(runs, seed, st[0] ? cJSON_CreateString(st) : cJSON_CreateNull());
        }
        cJSON_AddBoolToObject(x, "pareto", t->pareto[c]);
        cJSON *tasks = cJSON_AddObjectToObject(x, "tasks");
        for (int k = 0; k < res->ntasks; k++) {
            cJSON *tk = cJSON_CreateObject();
            cJSON_AddStringToObject(tk, "metric_name", res->task[k].metric);
            cJSON_AddBoolToObject(tk, "higher_is_better", res->task[k].higher_better);
            cJSON_AddBoolToObject(tk, "aux", res->task[k].aux);
            int any = 0;
            for (int q = 0; q < MT_SQ_COUNT; q++) {
                const mt_stat *st = &t->q[cell(res, c, k, q)];
                if (st->n == 0) continue;
                any = 1;
                cJSON *qq = stat_json(st);
                if (c != t->reference) cJSON_AddItemToObject(qq, "vs_reference", diff_json(&t->diff[cell(res, c, k, q)]));
                cJSON_AddItemToObject(tk, sweep_quantity_name(q), qq);
            }
            if (any) cJSON_AddItemToObject(tasks, res->task[k].name, tk);
            else cJSON_Delete(tk);
        }
        if (t->dm[c].n > 0) {
            cJSON *dm = stat_json(&t->dm[c]);
            if (c != t->reference) cJSON_AddItemToObject(dm, "vs_reference", diff_json(&t->dm_diff[c]));
            cJSON_AddItemToObject(x, "delta_m_percent", dm);
        }
        cJSON_AddItemToArray(cfgs, x);
    }
    mt_status st = rundir_write_json_path(path, o);
    cJSON_Delete(o);
    return st;
}
