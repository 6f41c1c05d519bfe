#include "rundir.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include "core/mem.h"
#include "run/result.h"

struct mt_rundir {
    char dir[1024];
    FILE *metrics, *events, *relations;
    int write_error;
};

static mt_status mkdir_p(const char *dir)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", dir);
    size_t n = strlen(buf);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return mt_fail(MT_ERR_IO, "%s: cannot create directory: %s", buf, strerror(errno));
        buf[i] = c;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return mt_fail(MT_ERR_IO, "%s: not a directory", dir);
    return MT_OK;
}

const char *rundir_file(const mt_rundir *rd, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", rd->dir, name);
    return buf;
}

static FILE *open_in(mt_rundir *rd, const char *name)
{
    char p[1200];
    rundir_file(rd, name, p, sizeof p);
    FILE *f = fopen(p, "w");
    if (!f) mt_fail(MT_ERR_IO, "%s: cannot open for writing: %s", p, strerror(errno));
    return f;
}

mt_status rundir_open(const char *dir, mt_rundir **out)
{
    *out = NULL;
    if (strlen(dir) >= 1000) return mt_fail(MT_ERR_ARG, "run directory path too long");
    mt_status st = mkdir_p(dir);
    if (st) return st;
    mt_rundir *rd = mt_calloc(1, sizeof *rd);
    if (!rd) return MT_ERR_NOMEM;
    snprintf(rd->dir, sizeof rd->dir, "%s", dir);
    rd->metrics = open_in(rd, "metrics.csv");
    rd->events = rd->metrics ? open_in(rd, "events.jsonl") : NULL;
    rd->relations = rd->events ? open_in(rd, "relations.jsonl") : NULL;
    if (!rd->relations) {
        st = mt_last_status();
        rundir_close(rd);
        return st;
    }
    fprintf(rd->metrics, "step,epoch,split,task,loss,metric,weight\n");
    *out = rd;
    return MT_OK;
}

mt_status rundir_close(mt_rundir *rd)
{
    if (!rd) return MT_OK;
    int bad = rd->write_error;
    FILE *fs[] = {rd->metrics, rd->events, rd->relations};
    for (int i = 0; i < 3; i++)
        if (fs[i]) {
            if (ferror(fs[i])) bad = 1;
            if (fclose(fs[i]) != 0) bad = 1;
        }
    mt_status st = bad ? mt_fail(MT_ERR_IO, "%s: error writing the run files", rd->dir) : MT_OK;
    mt_free(rd);
    return st;
}

const char *rundir_path(const mt_rundir *rd) { return rd->dir; }

void rundir_flush(mt_rundir *rd)
{
    fflush(rd->metrics);
    fflush(rd->events);
    fflush(rd->relations);
}

/* %.9g round-trips a float and prints nan/inf as JSON-safe tokens in CSV. */
static void put_num(FILE *f, double v)
{
    if (isnan(v)) fputs("nan", f);
    else if (isinf(v)) fputs(v > 0 ? "inf" : "-inf", f);
    else fprintf(f, "%.9g", v);
}

static void rec_metric(void *ud, long step, int epoch, mt_split_kind split, const char *task,
                       double loss, double metric, double weight)
{
    mt_rundir *rd = ud;
    fprintf(rd->metrics, "%ld,%d,%s,%s,", step, epoch, split_kind_name(split), task);
    put_num(rd->metrics, loss);
    fputc(',', rd->metrics);
    put_num(rd->metrics, metric);
    fputc(',', rd->metrics);
    put_num(rd->metrics, weight);
    fputc('\n', rd->metrics);
}

static void rec_event(void *ud, const char *json)
{
    mt_rundir *rd = ud;
    fputs(json, rd->events);
    fputc('\n', rd->events);
}

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static void rec_matrix(void *ud, long step, const char *name, int rows, int cols, const double *v,
                       const char (*rl)[MT_MON_NAME], const char (*cl)[MT_MON_NAME])
{
    mt_rundir *rd = ud;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "step", (double)step);
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddNumberToObject(o, "rows", rows);
    cJSON_AddNumberToObject(o, "cols", cols);
    cJSON *r = cJSON_AddArrayToObject(o, "row_labels");
    for (int i = 0; i < rows; i++) cJSON_AddItemToArray(r, cJSON_CreateString(rl[i]));
    cJSON *c = cJSON_AddArrayToObject(o, "col_labels");
    for (int j = 0; j < cols; j++) cJSON_AddItemToArray(c, cJSON_CreateString(cl[j]));
    cJSON *vals = cJSON_AddArrayToObject(o, "values");
    for (int i = 0; i < rows; i++) {
        cJSON *row = cJSON_CreateArray();
        for (int j = 0; j < cols; j++) cJSON_AddItemToArray(row, num_or_null(v[i * cols + j]));
        cJSON_AddItemToArray(vals, row);
    }
    char *s = cJSON_PrintUnformatted(o);
    if (s) {
        fputs(s, rd->relations);
        fputc('\n', rd->relations);
        cJSON_free(s);
    } else {
        rd->write_error = 1;
    }
    cJSON_Delete(o);
}

mt_recorder rundir_recorder(mt_rundir *rd)
{
    mt_recorder r = {.ud = rd, .metric = rec_metric, .event = rec_event, .matrix = rec_matrix};
    return r;
}

void rundir_event(mt_rundir *rd, const char *name, long step, const char *extra_fmt, ...)
{
    char extra[2048];
    va_list ap;
    va_start(ap, extra_fmt);
    vsnprintf(extra, sizeof extra, extra_fmt, ap);
    va_end(ap);
    cJSON *nm = cJSON_CreateString(name);
    char *q = cJSON_PrintUnformatted(nm);
    fprintf(rd->events, "{\"event\":%s,\"step\":%ld%s%s}\n", q ? q : "\"?\"", step, extra[0] ? "," : "",
            extra);
    cJSON_free(q);
    cJSON_Delete(nm);
}

const char *rundir_json_string(const char *s, char *buf, size_t n)
{
    cJSON *str = cJSON_CreateString(s);
    char *q = str ? cJSON_PrintUnformatted(str) : NULL;
    snprintf(buf, n, "%s", q ? q : "\"\"");
    cJSON_free(q);
    cJSON_Delete(str);
    return buf;
}

static mt_status write_json(mt_rundir *rd, const char *name, cJSON *o)
{
    char p[1200], tmp[1300];
    rundir_file(rd, name, p, sizeof p);
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    char *s = cJSON_Print(o);
    if (!s) return mt_fail(MT_ERR_NOMEM, "%s: cannot format JSON", p);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cJSON_free(s);
        return mt_fail(MT_ERR_IO, "%s: cannot open for writing: %s", tmp, strerror(errno));
    }
    int bad = fputs(s, f) < 0 || fputc('\n', f) == EOF;
    bad |= fclose(f) != 0;
    cJSON_free(s);
    if (bad || rename(tmp, p) != 0) {
        remove(tmp);
        return mt_fail(MT_ERR_IO, "%s: write failed: %s", p, strerror(errno));
    }
    return MT_OK;
}

static const char *target_kind_name(mt_target_kind k)
{
    return k == MT_TARGET_CLASS ? "class" : k == MT_TARGET_REGRESS ? "regress" : "binary";
}

static cJSON *int_array(const int *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

mt_status rundir_write_config(mt_rundir *rd, const mt_experiment *e, const mt_trainer *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", e->name);
    cJSON_AddStringToObject(o, "script", e->script);
    cJSON_AddStringToObject(o, "description", e->description);
    const mt_dataset *ds = &e->data->ds;
    cJSON *d = cJSON_AddObjectToObject(o, "data");
    cJSON_AddStringToObject(d, "name", ds->name);
    cJSON_AddStringToObject(d, "source", e->data->source);
    cJSON_AddNumberToObject(d, "examples", ds->n);
    cJSON_AddNumberToObject(d, "features", ds->d);
    if (ds->c > 0) {
        int shape[3] = {ds->c, ds->h, ds->w};
        cJSON_AddItemToObject(d, "image", int_array(shape, 3));
    }
    if (e->data->ntruth > 0)
        cJSON_AddItemToObject(d, "clusters", int_array(e->data->truth_cluster, e->data->ntruth));
    cJSON_AddNumberToObject(d, "train", e->data->split.train.n);
    cJSON_AddNumberToObject(d, "val", e->data->split.val.n);
    cJSON_AddNumberToObject(d, "test", e->data->split.test.n);
    cJSON *ta = cJSON_AddArrayToObject(o, "tasks");
    for (int k = 0; k < e->ntasks; k++) {
        const mt_task_spec *ts = &e->task[k];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", ts->name);
        cJSON_AddStringToObject(x, "kind", target_kind_name(ts->kind));
        cJSON_AddStringToObject(x, "target", ds->targets[ts->target].name);
        cJSON_AddNumberToObject(x, ts->kind == MT_TARGET_CLASS ? "classes" : "outputs", ts->out_dim);
        cJSON_AddStringToObject(x, "loss", loss_kind_name(ts->loss));
        cJSON_AddStringToObject(x, "metric", metric_kind_name(ts->metric));
        cJSON_AddNumberToObject(x, "weight", ts->weight);
        cJSON_AddBoolToObject(x, "aux", ts->aux);
        cJSON_AddBoolToObject(x, "in_score", ts->in_score);
        cJSON_AddNumberToObject(x, "attach", e->topo.task[k].attach);
        if (e->topo.task[k].nhead >= 0)
            cJSON_AddItemToObject(x, "head", int_array(e->topo.task[k].head, e->topo.task[k].nhead));
        if (t) cJSON_AddNumberToObject(x, "params", (double)trainer_params_task(t, k));
        cJSON_AddItemToArray(ta, x);
    }
    cJSON *tp = cJSON_AddObjectToObject(o, "topology");
    cJSON_AddStringToObject(tp, "kind", e->topo.type);
    cJSON_AddItemToObject(tp, "conv", int_array(e->topo.conv, e->topo.nconv));
    cJSON_AddItemToObject(tp, "trunk", int_array(e->topo.trunk, e->topo.ntrunk));
    cJSON_AddItemToObject(tp, "head", int_array(e->topo.head, e->topo.nhead));
    cJSON_AddStringToObject(tp, "activation", topo_act_name(e->topo.act));
    cJSON_AddStringToObject(tp, "norm", e->topo.norm == MT_NORM_BATCH ? "batch"
                                        : e->topo.norm == MT_NORM_LAYER ? "layer" : "none");
    cJSON_AddNumberToObject(tp, "dropout", e->topo.dropout);
    if (t) {
        cJSON_AddNumberToObject(tp, "params_shared", (double)trainer_params_shared(t));
        cJSON_AddNumberToObject(tp, "params_total", (double)trainer_params_total(t));
    }
    cJSON *w = cJSON_AddObjectToObject(o, "weighting");
    cJSON_AddStringToObject(w, "method", e->weighting.name);
    for (int i = 0; i < e->weighting.nparams; i++)
        cJSON_AddNumberToObject(w, e->weighting.key[i], e->weighting.val[i]);
    const mt_optim_spec *op = &e->optim;
    cJSON *oo = cJSON_AddObjectToObject(o, "optim");
    cJSON_AddStringToObject(oo, "name", op->name);
    cJSON_AddNumberToObject(oo, "lr", op->lr);
    cJSON_AddNumberToObject(oo, "momentum", op->momentum);
    cJSON_AddBoolToObject(oo, "nesterov", op->nesterov);
    cJSON_AddNumberToObject(oo, "beta1", op->beta1);
    cJSON_AddNumberToObject(oo, "beta2", op->beta2);
    cJSON_AddNumberToObject(oo, "eps", op->eps);
    cJSON_AddNumberToObject(oo, "weight_decay", op->weight_decay);
    cJSON_AddNumberToObject(oo, "clip", op->clip);
    cJSON_AddStringToObject(oo, "schedule", op->schedule);
    cJSON_AddNumberToObject(oo, "warmup", op->warmup);
    cJSON_AddNumberToObject(oo, "step_size", op->step_size);
    cJSON_AddNumberToObject(oo, "gamma", op->gamma);
    cJSON_AddNumberToObject(oo, "min_lr", op->min_lr);
    const mt_train_spec *tr = &e->train;
    cJSON *to = cJSON_AddObjectToObject(o, "train");
    cJSON_AddNumberToObject(to, "batch", tr->batch);
    cJSON_AddNumberToObject(to, "epochs", tr->epochs);
    cJSON_AddNumberToObject(to, "steps", (double)(t ? trainer_total_steps(t) : tr->steps));
    cJSON_AddNumberToObject(to, "eval_every", tr->eval_every);
    cJSON_AddNumberToObject(to, "seed", (double)tr->seed);
    cJSON_AddNumberToObject(to, "relations_every", tr->relations_every);
    cJSON_AddNumberToObject(to, "affinity_every", tr->affinity_every);
    cJSON_AddBoolToObject(to, "baselines", tr->baselines);
    mt_status st = write_json(rd, "config.json", o);
    cJSON_Delete(o);
    return st;
}

double delta_m(const mt_experiment *e, const double *mtl, const mt_baselines *b)
{
    if (!b || !b->have) return NAN;
    double s = 0;
    int n = 0;
    for (int k = 0; k < e->ntasks; k++) {
        const mt_task_spec *ts = &e->task[k];
        if (!ts->in_score || !isfinite(mtl[k]) || !isfinite(b->metric[k]) || b->metric[k] == 0) continue;
        double rel = (mtl[k] - b->metric[k]) / b->metric[k];
        s += metric_higher_is_better(ts->metric) ? rel : -rel;
        n++;
    }
    return n ? 100.0 * s / n : NAN;
}

mt_status rundir_write_summary(mt_rundir *rd, const mt_trainer *t, const char *status,
                               const char *message, double wall_s, const mt_baselines *b)
{
    const mt_experiment *e = trainer_experiment(t);
    mt_run_result res; /* the numbers, as the workbench shows them */
    result_from_trainer(t, b, status, &res);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", e->name);
    cJSON_AddStringToObject(o, "status", status);
    if (message && *message) cJSON_AddStringToObject(o, "message", message);
    cJSON_AddNumberToObject(o, "steps", (double)trainer_step_count(t));
    cJSON_AddNumberToObject(o, "epochs", trainer_epochs_done(t));
    cJSON_AddNumberToObject(o, "wall_time_s", wall_s);
    cJSON_AddNumberToObject(o, "samples_per_s", trainer_samples_per_s(t));
    cJSON_AddStringToObject(o, "weighting", trainer_weighting_name(t));
    cJSON *pa = cJSON_AddObjectToObject(o, "params");
    cJSON_AddNumberToObject(pa, "shared", (double)trainer_params_shared(t));
    cJSON_AddNumberToObject(pa, "total", (double)trainer_params_total(t));
    cJSON *tasks = cJSON_AddObjectToObject(o, "tasks");
    for (int k = 0; k < e->ntasks; k++) {
        const mt_task_spec *ts = &e->task[k];
        cJSON *x = cJSON_AddObjectToObject(tasks, ts->name);
        cJSON_AddBoolToObject(x, "aux", ts->aux);
        cJSON_AddStringToObject(x, "metric_name", metric_kind_name(ts->metric));
        cJSON_AddBoolToObject(x, "higher_is_better", res.higher_better[k]);
        cJSON_AddNumberToObject(x, "params", (double)trainer_params_task(t, k));
        cJSON_AddItemToObject(x, "train_loss", num_or_null(res.loss[MT_RES_TRAIN][k]));
        cJSON_AddItemToObject(x, "val_loss", num_or_null(res.loss[MT_RES_VAL][k]));
        cJSON_AddItemToObject(x, "val_metric", num_or_null(res.metric[MT_RES_VAL][k]));
        cJSON_AddItemToObject(x, "test_loss", num_or_null(res.loss[MT_RES_TEST][k]));
        cJSON_AddItemToObject(x, "test_metric", num_or_null(res.metric[MT_RES_TEST][k]));
        if (res.have_baselines) cJSON_AddItemToObject(x, "single_task_metric", num_or_null(res.single_task_metric[k]));
    }
    if (res.have_baselines) cJSON_AddItemToObject(o, "delta_m", num_or_null(res.delta_m));
    mt_status st = write_json(rd, "summary.json", o);
    cJSON_Delete(o);
    return st;
}

int baselines_load(const char *path, const char *key, mt_baselines *b, int ntasks)
{
    memset(b, 0, sizeof *b);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *o = cJSON_Parse(buf);
    if (!o) return 0;
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "key");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metric");
    int ok = cJSON_IsString(k) && strcmp(k->valuestring, key) == 0 && cJSON_IsArray(m) &&
             cJSON_GetArraySize(m) == ntasks;
    for (int i = 0; ok && i < ntasks; i++) {
        const cJSON *v = cJSON_GetArrayItem(m, i);
        b->metric[i] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    }
    cJSON_Delete(o);
    b->have = ok;
    return ok;
}

mt_status baselines_save(const char *path, const char *key, const mt_baselines *b, int ntasks,
                         const mt_experiment *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "key", key);
    cJSON *names = cJSON_AddArrayToObject(o, "tasks");
    cJSON *m = cJSON_AddArrayToObject(o, "metric");
    for (int i = 0; i < ntasks; i++) {
        cJSON_AddItemToArray(names, cJSON_CreateString(e->task[i].name));
        cJSON_AddItemToArray(m, num_or_null(b->metric[i]));
    }
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    if (!s) return MT_ERR_NOMEM;
    FILE *f = fopen(path, "w");
    if (!f) {
        cJSON_free(s);
        return mt_fail(MT_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
    }
    int bad = fputs(s, f) < 0;
    bad |= fclose(f) != 0;
    cJSON_free(s);
    return bad ? mt_fail(MT_ERR_IO, "%s: write failed", path) : MT_OK;
}
