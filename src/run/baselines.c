#include "baselines.h"

#include <cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "run/jsonrec.h"
#include "run/rundir.h"

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

#define FNV_OFFSET 0xcbf29ce484222325ULL

/* FNV-1a over bytes. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

uint64_t baselines_data_fingerprint(const mt_data_ref *d)
{
    const mt_dataset *ds = &d->ds;
    uint64_t h = fnv(FNV_OFFSET, ds->x, (size_t)ds->n * (size_t)ds->d * sizeof(float));
    for (int t = 0; t < ds->ntargets; t++) {
        h = fnv(h, ds->targets[t].name, strlen(ds->targets[t].name));
        h = fnv(h, ds->targets[t].y, (size_t)ds->n * (size_t)ds->targets[t].dim * sizeof(float));
        if (ds->targets[t].mask) h = fnv(h, ds->targets[t].mask, (size_t)ds->n);
    }
    h = fnv(h, d->split.train.idx, (size_t)d->split.train.n * sizeof(int));
    h = fnv(h, d->split.val.idx, (size_t)d->split.val.n * sizeof(int));
    return fnv(h, d->split.test.idx, (size_t)d->split.test.n * sizeof(int));
}

static cJSON *int_list(const int *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

/* Fields in a fixed order, numbers as cJSON prints them (exactly
 * round-tripping), 64-bit values as text: the same experiment gives the
 * same bytes on every machine. */
cJSON *baselines_config_json(const mt_experiment *e)
{
    char text[2048];
    cJSON *o = cJSON_CreateObject();
    cJSON *d = cJSON_AddObjectToObject(o, "data");
    cJSON_AddStringToObject(d, "source", e->data->source);
    snprintf(text, sizeof text, "%016llx", (unsigned long long)baselines_data_fingerprint(e->data));
    cJSON_AddStringToObject(d, "fingerprint", text);
    const mt_train_spec *tr = &e->train;
    cJSON *t = cJSON_AddObjectToObject(o, "train");
    cJSON_AddNumberToObject(t, "batch", tr->batch);
    cJSON_AddNumberToObject(t, "epochs", tr->epochs);
    cJSON_AddNumberToObject(t, "steps", (double)tr->steps);
    cJSON_AddNumberToObject(t, "eval_every", tr->eval_every); /* the points of the learning curve */
    snprintf(text, sizeof text, "%llu", (unsigned long long)tr->seed);
    cJSON_AddStringToObject(t, "seed", text);
    cJSON_AddItemToObject(o, "optim", rundir_optim_json(&e->optim));
    const mt_topo_spec *s = &e->topo;
    cJSON *tp = cJSON_AddObjectToObject(o, "topology");
    cJSON_AddStringToObject(tp, "type", s->type);
    cJSON_AddStringToObject(tp, "activation", topo_act_name(s->act));
    cJSON_AddNumberToObject(tp, "norm", (int)s->norm);
    cJSON_AddNumberToObject(tp, "dropout", s->dropout);
    const mt_topo_class *cls = topo_find(s->type);
    tparam_format(&s->params, cls ? cls->params : NULL, text, sizeof text);
    cJSON_AddStringToObject(tp, "params", text);
    cJSON_AddItemToObject(tp, "conv", int_list(s->conv, s->nconv));
    cJSON_AddItemToObject(tp, "trunk", int_list(s->trunk, s->ntrunk));
    cJSON *ta = cJSON_AddArrayToObject(o, "tasks");
    for (int k = 0; k < e->ntasks; k++) {
        const mt_task_spec *ts = &e->task[k];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", ts->name);
        cJSON_AddStringToObject(x, "target", e->data->ds.targets[ts->target].name);
        cJSON_AddBoolToObject(x, "in_score", ts->in_score);
        cJSON_AddStringToObject(x, "loss", loss_kind_name(ts->loss));
        cJSON_AddStringToObject(x, "metric", metric_kind_name(ts->metric));
        cJSON_AddNumberToObject(x, "attach", s->task[k].attach);
        cJSON_AddBoolToObject(x, "detach", s->task[k].detach);
        cJSON_AddNumberToObject(x, "grad_reverse", s->task[k].grad_reverse);
        cJSON_AddNumberToObject(x, "huber_delta", ts->huber_delta);
        int nh;
        const int *hs = topo_task_head(s, k, &nh);
        cJSON_AddItemToObject(x, "head", int_list(hs, nh));
        cJSON_AddItemToArray(ta, x);
    }
    return o;
}

mt_status baselines_cache_path(const mt_experiment *e, const char *dir, char *path, size_t n)
{
    cJSON *o = baselines_config_json(e);
    char *s = o ? jrec_print(o) : NULL;
    cJSON_Delete(o);
    if (!s) return mt_fail(MT_ERR_NOMEM, "baselines: cannot format the configuration");
    snprintf(path, n, "%s/baselines-%016llx.json", dir, (unsigned long long)fnv(FNV_OFFSET, s, strlen(s)));
    cJSON_free(s);
    return MT_OK;
}

/* The cached results when the file's configuration is e's (a hash
 * collision or an edited file does not pass), else 0. */
static int cache_load(const char *path, const cJSON *config, mt_baselines *b, int ntasks)
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
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "config");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metric");
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(o, "curve_slope"); /* a cache without it is trained anew */
    int ok = c && cJSON_Compare(c, config, 1) && cJSON_IsArray(m) && cJSON_GetArraySize(m) == ntasks &&
             cJSON_IsArray(cs) && cJSON_GetArraySize(cs) == ntasks;
    for (int i = 0; ok && i < ntasks; i++) {
        const cJSON *v = cJSON_GetArrayItem(m, i), *row = cJSON_GetArrayItem(cs, i);
        b->metric[i] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        ok = cJSON_IsArray(row) && cJSON_GetArraySize(row) == AUXTASK_CURVE_N;
        for (int q = 0; ok && q < AUXTASK_CURVE_N; q++) {
            const cJSON *x = cJSON_GetArrayItem(row, q);
            b->curve_slope[i][q] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
        }
    }
    cJSON_Delete(o);
    b->have = ok;
    return ok;
}

static mt_status cache_save(const char *dir, const char *path, const cJSON *config, const mt_baselines *b,
                            const mt_experiment *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "config", cJSON_Duplicate(config, 1));
    cJSON *names = cJSON_AddArrayToObject(o, "tasks");
    cJSON *m = cJSON_AddArrayToObject(o, "metric");
    cJSON *cs = cJSON_AddArrayToObject(o, "curve_slope");
    for (int i = 0; i < e->ntasks; i++) {
        cJSON_AddItemToArray(names, cJSON_CreateString(e->task[i].name));
        cJSON_AddItemToArray(m, jrec_num(b->metric[i]));
        cJSON *row = cJSON_CreateArray();
        for (int f = 0; f < AUXTASK_CURVE_N; f++) cJSON_AddItemToArray(row, jrec_num(b->curve_slope[i][f]));
        cJSON_AddItemToArray(cs, row);
    }
    /* the top directory of a run may not exist yet (run folders are made
     * only once their trainer is built): made when there is something to
     * keep */
    mt_status st = rundir_mkdirs(dir);
    if (!st) st = rundir_write_json_path(path, o);
    cJSON_Delete(o);
    return st;
}

/* Without the directory (a single run's first baselines) there is no one
 * to wait for: -1, unlocked. */
static int cache_lock(const char *path)
{
    char lp[1200];
    snprintf(lp, sizeof lp, "%s.lock", path);
    int fd = open(lp, O_RDWR | O_CREAT, 0666);
    if (fd < 0) return -1;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLKW, &fl) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

mt_status baselines_train(const mt_experiment *e, mt_baseline_progress progress, void *ud, mt_baselines *b)
{
    memset(b, 0, sizeof *b);
    for (int k = 0; k < e->ntasks; k++) {
        b->metric[k] = NAN;
        for (int f = 0; f < AUXTASK_CURVE_N; f++) b->curve_slope[k][f] = NAN;
        if (!e->task[k].in_score) continue;
        mt_experiment single;
        experiment_single_task(e, k, &single);
        mt_trainer *t;
        mt_status st = trainer_new(&single, NULL, &t);
        if (st) {
            experiment_free(&single);
            return st;
        }
        /* the task's validation loss curve, one point per validation */
        auxtask_curve curve;
        auxtask_curve_init(&curve, trainer_total_steps(t));
        long vals = trainer_val_count(t);
        int stop = progress && progress(ud, t, k);
        while (!st && !stop && !trainer_finished(t)) {
            st = trainer_step(t);
            if (!st && trainer_val_count(t) != vals && trainer_last_val(t)) {
                vals = trainer_val_count(t);
                auxtask_curve_note(&curve, trainer_step_count(t), trainer_last_val(t)->loss[0]);
            }
            stop = progress && progress(ud, t, k);
        }
        if (!st && stop) st = mt_fail(MT_ERR_INTERRUPTED, "interrupted while training baselines");
        if (!st) st = trainer_finish(t);
        if (!st) {
            const mt_eval_result *r = trainer_last_test(t) ? trainer_last_test(t) : trainer_last_val(t);
            b->metric[k] = r ? r->metric[0] : NAN;
            if (trainer_val_count(t) != vals && trainer_last_val(t))
                auxtask_curve_note(&curve, trainer_step_count(t), trainer_last_val(t)->loss[0]);
            auxtask_curve_slopes(&curve, b->curve_slope[k]);
        }
        trainer_free(t);
        experiment_free(&single);
        if (st) return mt_fail_prefix(st, "baseline %s", e->task[k].name);
    }
    b->have = 1;
    return MT_OK;
}

mt_status baselines_obtain(const mt_experiment *e, const char *dir, mt_baseline_progress progress, void *ud,
                           mt_baselines *b, int *reused, char *path, size_t n)
{
    *reused = 0;
    mt_status st = baselines_cache_path(e, dir, path, n);
    cJSON *config = st ? NULL : baselines_config_json(e);
    if (!st && !config) st = mt_fail(MT_ERR_NOMEM, "baselines: cannot build the configuration");
    if (st) {
        cJSON_Delete(config);
        return st;
    }
    int lock = cache_lock(path);
    if (cache_load(path, config, b, e->ntasks)) {
        *reused = 1;
    } else {
        st = baselines_train(e, progress, ud, b);
        if (!st) st = cache_save(dir, path, config, b, e);
    }
    if (lock >= 0) close(lock);
    cJSON_Delete(config);
    return st;
}
