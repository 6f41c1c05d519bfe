/* rundir.c - the files of a run directory, written so that a crash, a
 * kill or a full disk loses little and says what happened. */
#include "rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cblas.h>
#include "core/mem.h"
#include "core/version.h"
#include "run/result.h"
#include "mtl/methods.h"
#include "run/jsonrec.h"
#include "run/linefile.h"

/* One record file of the run. */
typedef struct {
    const char *name; /* in the run directory */
    mt_linefile f;
} rd_stream;

enum { RD_METRICS, RD_RELATIONS, RD_EVENTS, RD_NSTREAMS }; /* also the order of writing */

struct mt_rundir {
    char dir[1024];
    rd_stream s[RD_NSTREAMS];
    double last_flush; /* monotonic seconds */
    mt_status err;     /* the first write error; nothing is written after it */
    char errmsg[1400];
    /* ",<experiment>,<seed>": the last two fields of every metrics.csv row
     * (set by rundir_write_config), so rows of several runs concatenate */
    char ident[300];
};

static double rd_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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

mt_status rundir_check_fresh(const char *dir, int force)
{
    if (!dir[0]) return mt_fail(MT_ERR_ARG, "the run directory is an empty path");
    if (strlen(dir) >= 1000) return mt_fail(MT_ERR_ARG, "run directory path too long");
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        if (errno == ENOENT) return MT_OK;
        return mt_fail(MT_ERR_IO, "%s: %s", dir, strerror(errno));
    }
    if (!S_ISDIR(sb.st_mode)) return mt_fail(MT_ERR_ARG, "%s: exists and is not a directory", dir);
    if (force) return MT_OK;
    DIR *d = opendir(dir);
    if (!d) return mt_fail(MT_ERR_IO, "%s: cannot read the directory: %s", dir, strerror(errno));
    char names[200] = "";
    size_t w = 0;
    int count = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (count < 3 && w < sizeof names)
            w += (size_t)snprintf(names + w, sizeof names - w, "%s%s", count ? ", " : "", de->d_name);
        count++;
    }
    closedir(d);
    if (!count) return MT_OK;
    return mt_fail(MT_ERR_STATE, "%s: already exists and is not empty (%s%s)", dir, names, count > 3 ? ", ..." : "");
}

const char *rundir_file(const mt_rundir *rd, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", rd->dir, name);
    return buf;
}

/* Keeps the first error only: the one that explains the rest. */
static void rd_fail(mt_rundir *rd, const char *name, const char *what, int e)
{
    if (rd->err) return;
    rd->err = MT_ERR_IO;
    snprintf(rd->errmsg, sizeof rd->errmsg, "%s/%s: %s: %s", rd->dir, name, what, strerror(e));
}

/* Writes one file's buffered lines; after the run's first error nothing
 * more is written anywhere (the error explains what is missing). */
static void stream_write(mt_rundir *rd, rd_stream *s)
{
    if (rd->err) {
        linefile_drop(&s->f);
        return;
    }
    int e = linefile_write(&s->f);
    if (e) rd_fail(rd, s->name, "write failed", e);
}

/* Appends text and a newline as one line. */
static void stream_line(mt_rundir *rd, rd_stream *s, const char *text, size_t n)
{
    if (rd->err || s->f.fd < 0) return;
    int e = linefile_append(&s->f, text, n);
    if (e) rd_fail(rd, s->name, e == ENOMEM ? "cannot buffer a record" : "write failed", e);
}

static mt_status rd_status(const mt_rundir *rd)
{
    return rd->err ? mt_fail(rd->err, "%s", rd->errmsg) : MT_OK;
}

mt_status rundir_flush(mt_rundir *rd)
{
    for (int i = 0; i < RD_NSTREAMS; i++) stream_write(rd, &rd->s[i]);
    rd->last_flush = rd_now();
    return rd_status(rd);
}

mt_status rundir_poll(mt_rundir *rd)
{
    if (rd_now() - rd->last_flush >= RUNDIR_FLUSH_S) return rundir_flush(rd);
    return rd_status(rd);
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
    static const char *const names[RD_NSTREAMS] = {"metrics.csv", "relations.jsonl", "events.jsonl"};
    for (int i = 0; i < RD_NSTREAMS; i++) {
        rd->s[i].name = names[i];
        rd->s[i].f.fd = -1;
    }
    for (int i = 0; i < RD_NSTREAMS; i++) {
        char p[1200];
        int e = linefile_open(&rd->s[i].f, rundir_file(rd, names[i], p, sizeof p));
        if (e) {
            rundir_close(rd);
            return mt_fail(MT_ERR_IO, "%s: cannot open for writing: %s", p, strerror(e));
        }
    }
    static const char header[] = "step,epoch,split,task,loss,metric,weight,experiment,seed";
    snprintf(rd->ident, sizeof rd->ident, ",,");
    stream_line(rd, &rd->s[RD_METRICS], header, sizeof header - 1);
    /* a full disk shows now, before any training */
    if (rundir_flush(rd)) return rundir_close(rd);
    *out = rd;
    return MT_OK;
}

mt_status rundir_seal(mt_rundir *rd)
{
    rundir_flush(rd);
    for (int i = 0; i < RD_NSTREAMS; i++) {
        if (rd->s[i].f.fd < 0) continue;
        int e = linefile_close(&rd->s[i].f, !rd->err);
        if (e) rd_fail(rd, rd->s[i].name, "fsync or close failed", e);
    }
    return rd_status(rd);
}

mt_status rundir_close(mt_rundir *rd)
{
    if (!rd) return MT_OK;
    mt_status st = rundir_seal(rd);
    mt_free(rd);
    return st;
}

const char *rundir_path(const mt_rundir *rd) { return rd->dir; }

mt_status rundir_mkdirs(const char *dir) { return mkdir_p(dir); }

/* %.9g round-trips a float and prints nan/inf as tokens readers know. */
static size_t put_num(char *out, size_t n, double v)
{
    int k = isnan(v)   ? snprintf(out, n, "nan")
            : isinf(v) ? snprintf(out, n, "%s", v > 0 ? "inf" : "-inf")
                       : snprintf(out, n, "%.9g", v);
    return k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1;
}

/* A CSV field: quoted (with "" for a quote) when it holds a comma, a
 * quote or a line break, as RFC 4180 has it. */
static size_t put_field(char *out, size_t n, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        int k = snprintf(out, n, "%s", s);
        return k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1;
    }
    size_t w = 0;
    if (w + 1 < n) out[w++] = '"';
    for (; *s && w + 3 < n; s++) {
        if (*s == '"') out[w++] = '"';
        out[w++] = *s;
    }
    if (w + 1 < n) out[w++] = '"';
    out[w] = '\0';
    return w;
}

static void rec_metric(void *ud, long step, int epoch, mt_split_kind split, const char *task,
                       double loss, double metric, double weight)
{
    mt_rundir *rd = ud;
    char line[512];
    size_t w = (size_t)snprintf(line, sizeof line, "%ld,%d,%s,", step, epoch, split_kind_name(split));
    w += put_field(line + w, sizeof line - w, task);
    const double v[3] = {loss, metric, weight};
    for (int i = 0; i < 3 && w + 1 < sizeof line; i++) {
        line[w++] = ',';
        w += put_num(line + w, sizeof line - w, v[i]);
    }
    int k = snprintf(line + w, sizeof line - w, "%s", rd->ident);
    w += k < 0 ? 0 : (size_t)k < sizeof line - w ? (size_t)k : sizeof line - w - 1;
    stream_line(rd, &rd->s[RD_METRICS], line, w);
}

/* An event (an evaluation among them) is a moment worth keeping: every
 * file is written out with it. */
static void rec_event(void *ud, const char *json)
{
    mt_rundir *rd = ud;
    stream_line(rd, &rd->s[RD_EVENTS], json, strlen(json));
    rundir_flush(rd);
}

static void rd_record(mt_rundir *rd, int stream, cJSON *o)
{
    char *s = jrec_print(o);
    if (s) {
        stream_line(rd, &rd->s[stream], s, strlen(s));
        cJSON_free(s);
    } else {
        rd_fail(rd, rd->s[stream].name, "cannot format a record", ENOMEM);
    }
    cJSON_Delete(o);
}

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
        for (int j = 0; j < cols; j++) cJSON_AddItemToArray(row, jrec_num(v[i * cols + j]));
        cJSON_AddItemToArray(vals, row);
    }
    rd_record(rd, RD_RELATIONS, o);
    if (rd->s[RD_RELATIONS].f.len && rd_now() - rd->last_flush >= RUNDIR_FLUSH_S) rundir_flush(rd);
}

mt_recorder rundir_recorder(mt_rundir *rd)
{
    mt_recorder r = {.ud = rd, .metric = rec_metric, .event = rec_event, .matrix = rec_matrix};
    return r;
}

void rundir_event(mt_rundir *rd, cJSON *rec)
{
    if (!rec) {
        rd_fail(rd, "events.jsonl", "cannot build a record", ENOMEM);
        return;
    }
    rd_record(rd, RD_EVENTS, rec);
    rundir_flush(rd);
}

/* Writes o to dir/name through a temporary file, fsync and rename, so the
 * file is either the old one or the complete new one. */
static mt_status write_json_file(const char *p, cJSON *o)
{
    char tmp[1300];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", p, (long)getpid()); /* per process: a sweep's runs share files */
    char *s = jrec_print_pretty(o);
    if (!s) return mt_fail(MT_ERR_NOMEM, "%s: cannot format JSON", p);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        int e = errno;
        cJSON_free(s);
        return mt_fail(MT_ERR_IO, "%s: cannot open for writing: %s", tmp, strerror(e));
    }
    int bad = fputs(s, f) < 0 || fputc('\n', f) == EOF || fflush(f) != 0 || fsync(fileno(f)) != 0;
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    cJSON_free(s);
    if (bad) {
        remove(tmp);
        return mt_fail(MT_ERR_IO, "%s: write failed: %s", p, strerror(e));
    }
    if (rename(tmp, p) != 0) {
        e = errno;
        remove(tmp);
        return mt_fail(MT_ERR_IO, "%s: cannot rename %s into place: %s", p, tmp, strerror(e));
    }
    return MT_OK;
}

/* Through a temporary file (named per process: runs of a sweep may write
 * one shared file) renamed into place, so a reader never sees half of it. */
mt_status rundir_write_json_path(const char *path, const cJSON *o)
{
    return write_json_file(path, (cJSON *)o);
}

static mt_status write_json(mt_rundir *rd, const char *name, cJSON *o)
{
    char p[1200];
    return rundir_write_json_path(rundir_file(rd, name, p, sizeof p), o);
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


cJSON *rundir_optim_json(const mt_optim_spec *op)
{
    cJSON *oo = cJSON_CreateObject();
    cJSON_AddStringToObject(oo, "name", op->name);
    cJSON_AddItemToObject(oo, "lr", jrec_f32(op->lr));
    cJSON_AddItemToObject(oo, "momentum", jrec_f32(op->momentum));
    cJSON_AddBoolToObject(oo, "nesterov", op->nesterov);
    cJSON_AddItemToObject(oo, "beta1", jrec_f32(op->beta1));
    cJSON_AddItemToObject(oo, "beta2", jrec_f32(op->beta2));
    cJSON_AddItemToObject(oo, "eps", jrec_f32(op->eps));
    cJSON_AddItemToObject(oo, "alpha", jrec_f32(op->alpha));
    cJSON_AddItemToObject(oo, "lr_decay", jrec_f32(op->lr_decay));
    cJSON_AddItemToObject(oo, "weight_decay", jrec_f32(op->weight_decay));
    cJSON_AddItemToObject(oo, "clip", jrec_f32(op->clip));
    cJSON_AddStringToObject(oo, "schedule", op->schedule);
    cJSON_AddNumberToObject(oo, "warmup", op->warmup);
    cJSON_AddNumberToObject(oo, "step_size", op->step_size);
    cJSON_AddItemToObject(oo, "gamma", jrec_f32(op->gamma));
    cJSON_AddItemToObject(oo, "min_lr", jrec_f32(op->min_lr));
    cJSON_AddNumberToObject(oo, "patience", op->patience);
    cJSON_AddItemToObject(oo, "threshold", jrec_f32(op->threshold));
    return oo;
}

/* Where a run comes from: which mtlab (version, commit), how it was
 * started, on what (BLAS threads and kernel, CPU), with which seed. */
static cJSON *provenance_json(const mt_experiment *e)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "version", MTLAB_VERSION);
    cJSON_AddStringToObject(p, "commit", mt_commit());
    int argc;
    char **argv = mt_command_line(&argc);
    cJSON *cl = cJSON_AddArrayToObject(p, "command_line");
    for (int i = 0; i < argc; i++) cJSON_AddItemToArray(cl, cJSON_CreateString(argv[i]));
    cJSON_AddNumberToObject(p, "threads", openblas_get_num_threads());
    cJSON_AddNumberToObject(p, "seed", (double)e->train.seed);
    cJSON_AddStringToObject(p, "cpu", mt_cpu_model());
    const char *core = openblas_get_corename();
    cJSON_AddStringToObject(p, "blas_kernel", core ? core : "");
    return p;
}

mt_status rundir_write_config(mt_rundir *rd, const mt_experiment *e, const mt_trainer *t)
{
    char name[260];
    put_field(name, sizeof name, e->name);
    snprintf(rd->ident, sizeof rd->ident, ",%s,%llu", name, (unsigned long long)e->train.seed);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", e->name);
    cJSON_AddStringToObject(o, "script", e->script);
    cJSON_AddStringToObject(o, "description", e->description);
    const mt_dataset *ds = &e->data->ds;
    cJSON *d = cJSON_AddObjectToObject(o, "data");
    cJSON_AddStringToObject(d, "name", ds->name);
    cJSON_AddStringToObject(d, "source", e->data->source);
    if (e->data->defs) {
        cJSON_AddStringToObject(d, "constructor", e->data->constructor);
        jrec_params(cJSON_AddObjectToObject(d, "params"), &e->data->params, e->data->defs);
    }
    cJSON_AddNumberToObject(d, "examples", ds->n);
    cJSON_AddNumberToObject(d, "features", ds->d);
    if (ds->c > 0) {
        int shape[3] = {ds->c, ds->h, ds->w};
        cJSON_AddItemToObject(d, "image", int_array(shape, 3));
    }
    if (e->data->ntruth > 0)
        cJSON_AddItemToObject(d, "clusters", int_array(e->data->truth_cluster, e->data->ntruth));
    if (e->data->nsupport > 0)
        cJSON_AddItemToObject(d, "support", int_array(e->data->truth_support, e->data->nsupport));
    /* a file's columns as read, and which of them are the inputs */
    if (ds->columns) {
        cJSON *a = cJSON_AddArrayToObject(d, "columns");
        for (int i = 0; i < ds->ncolumns; i++) cJSON_AddItemToArray(a, cJSON_CreateString(ds->columns[i]));
    }
    if (ds->x_names) {
        cJSON *a = cJSON_AddArrayToObject(d, "inputs");
        for (int i = 0; i < ds->d; i++) cJSON_AddItemToArray(a, cJSON_CreateString(ds->x_names[i]));
    }
    /* text class labels: the name of each class index; standardised
     * regression targets: the training statistics (original = y sd + mean) */
    cJSON *lab = NULL, *sc = NULL;
    for (int i = 0; i < ds->ntargets; i++) {
        const mt_target *tg = &ds->targets[i];
        if (tg->labels) {
            if (!lab) lab = cJSON_AddObjectToObject(d, "labels");
            cJSON *a = cJSON_AddArrayToObject(lab, tg->name);
            for (int k = 0; k < tg->classes; k++) cJSON_AddItemToArray(a, cJSON_CreateString(tg->labels[k]));
        }
        if (tg->scale > 0) {
            if (!sc) sc = cJSON_AddObjectToObject(d, "standardized_targets");
            cJSON *x = cJSON_AddObjectToObject(sc, tg->name);
            cJSON_AddItemToObject(x, "mean", jrec_num(tg->shift));
            cJSON_AddItemToObject(x, "sd", jrec_num(tg->scale));
        }
    }
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
        cJSON_AddItemToObject(x, "weight", jrec_f32(ts->weight));
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
    cJSON_AddItemToObject(tp, "dropout", jrec_f32(e->topo.dropout));
    if (t) {
        cJSON_AddNumberToObject(tp, "params_shared", (double)trainer_params_shared(t));
        cJSON_AddNumberToObject(tp, "params_total", (double)trainer_params_total(t));
        cJSON_AddStringToObject(tp, "drawing", trainer_topology_text(t)); /* what `mtlab check` prints */
    }
    if (e->topo.cls || topo_find(e->topo.type))
        jrec_params(tp, &e->topo.params, (e->topo.cls ? e->topo.cls : topo_find(e->topo.type))->params);
    cJSON *ra = cJSON_AddArrayToObject(o, "regularizers");
    for (int r = 0; r < e->nreg; r++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "type", e->reg[r].type);
        const mt_reg_class *rc = e->reg[r].cls ? e->reg[r].cls : reg_find(e->reg[r].type);
        if (rc) jrec_params(x, &e->reg[r].params, rc->params);
        cJSON_AddItemToArray(ra, x);
    }
    cJSON *w = cJSON_AddObjectToObject(o, "weighting");
    cJSON_AddStringToObject(w, "method", e->weighting.name);
    const mt_method_info *mi = method_find(e->weighting.name);
    if (mi) {
        cJSON_AddStringToObject(w, "family", method_family_name(mi->family));
        jrec_params(w, &e->weighting.params, mi->params);
    }
    cJSON_AddItemToObject(o, "optim", rundir_optim_json(&e->optim));
    const mt_train_spec *tr = &e->train;
    cJSON *to = cJSON_AddObjectToObject(o, "train");
    cJSON_AddNumberToObject(to, "batch", tr->batch);
    cJSON_AddNumberToObject(to, "epochs", tr->epochs);
    cJSON_AddNumberToObject(to, "steps", (double)(t ? trainer_total_steps(t) : tr->steps));
    cJSON_AddNumberToObject(to, "eval_every", tr->eval_every);
    cJSON_AddStringToObject(to, "keep_best", tr->keep_best);
    cJSON_AddNumberToObject(to, "seed", (double)tr->seed);
    cJSON_AddNumberToObject(to, "relations_every", tr->relations_every);
    cJSON_AddNumberToObject(to, "affinity_every", tr->affinity_every);
    cJSON_AddBoolToObject(to, "baselines", tr->baselines);
    cJSON_AddItemToObject(o, "provenance", provenance_json(e));
    mt_status st = write_json(rd, "config.json", o);
    cJSON_Delete(o);
    return st;
}

void rundir_best_clear(mt_run_best *b)
{
    for (int k = 0; k < MT_MAX_TASKS; k++) {
        b->train_loss[k] = b->val_loss[k] = b->val_metric[k] = b->weight[k] = NAN;
        b->train_loss_step[k] = b->val_loss_step[k] = b->val_metric_step[k] = -1;
        auxtask_curve_init(&b->curve[k], 0);
    }
}

void rundir_best_set_total(mt_run_best *b, long total_steps)
{
    for (int k = 0; k < MT_MAX_TASKS; k++) auxtask_curve_init(&b->curve[k], total_steps);
}

void rundir_best_note(mt_run_best *b, int k, int higher_is_better, mt_split_kind split, long step, double loss,
                      double metric, double weight)
{
    if (k < 0 || k >= MT_MAX_TASKS) return;
    if (split == MT_SPLIT_TRAIN) {
        b->weight[k] = weight;
        if (isfinite(loss) && !(b->train_loss[k] <= loss)) {
            b->train_loss[k] = loss;
            b->train_loss_step[k] = step;
        }
        return;
    }
    if (split != MT_SPLIT_VAL) return;
    auxtask_curve_note(&b->curve[k], step, loss);
    if (isfinite(loss) && !(b->val_loss[k] <= loss)) {
        b->val_loss[k] = loss;
        b->val_loss_step[k] = step;
    }
    if (isfinite(metric) && !(higher_is_better ? b->val_metric[k] >= metric : b->val_metric[k] <= metric)) {
        b->val_metric[k] = metric;
        b->val_metric_step[k] = step;
    }
}

/* rows x cols values as a list of rows (NaN as null). */
static cJSON *matrix_rows(const double *v, int rows, int cols)
{
    cJSON *a = cJSON_CreateArray();
    for (int r = 0; r < rows; r++) {
        cJSON *row = cJSON_CreateArray();
        for (int c = 0; c < cols; c++) cJSON_AddItemToArray(row, jrec_num(v[(size_t)r * cols + c]));
        cJSON_AddItemToArray(a, row);
    }
    return a;
}

static cJSON *labels_json(const char (*l)[MT_MON_NAME], int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(l ? l[i] : ""));
    return a;
}

/* The monitor's matrices: per name its shape, labels, the step of the
 * last update, how many updates the mean is over, the first and last
 * values and the mean over the run (first and mean start afresh when
 * the matrix changes shape). A model's posterior band is a picture (band.svg),
 * not a matrix to read, and stays out. */
static void add_matrices(cJSON *o, const mt_monitor *m)
{
    cJSON *ms = NULL;
    for (int i = 0; i < m->nmatrices; i++) {
        const mt_matrix *x = &m->matrix[i];
        if (!x->valid || strcmp(x->name, MT_MON_BAND) == 0) continue;
        if (!ms) ms = cJSON_AddObjectToObject(o, "matrices");
        cJSON *j = cJSON_AddObjectToObject(ms, x->name);
        cJSON_AddNumberToObject(j, "rows", x->rows);
        cJSON_AddNumberToObject(j, "cols", x->cols);
        cJSON_AddItemToObject(j, "row_labels", labels_json((const char (*)[MT_MON_NAME])x->row_labels, x->rows));
        cJSON_AddItemToObject(j, "col_labels", labels_json((const char (*)[MT_MON_NAME])x->col_labels, x->cols));
        cJSON_AddNumberToObject(j, "step", (double)x->step);
        cJSON_AddNumberToObject(j, "updates", (double)x->updates);
        cJSON_AddNumberToObject(j, "first_step", (double)x->first_step);
        if (x->first && x->updates > 0) cJSON_AddItemToObject(j, "first", matrix_rows(x->first, x->rows, x->cols));
        cJSON_AddItemToObject(j, "last", matrix_rows(x->v, x->rows, x->cols));
        cJSON_AddItemToObject(j, "mean", matrix_rows(monitor_matrix_values(x, MT_MAT_MEAN), x->rows, x->cols));
    }
}

mt_status rundir_write_summary(mt_rundir *rd, const mt_trainer *t, const char *status, const char *message,
                               double wall_s, const mt_baselines *b, const mt_run_best *best, const mt_monitor *mon)
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
        cJSON_AddItemToObject(x, "train_loss", jrec_num(res.loss[MT_RES_TRAIN][k]));
        cJSON_AddItemToObject(x, "val_loss", jrec_num(res.loss[MT_RES_VAL][k]));
        cJSON_AddItemToObject(x, "val_metric", jrec_num(res.metric[MT_RES_VAL][k]));
        cJSON_AddItemToObject(x, "test_loss", jrec_num(res.loss[MT_RES_TEST][k]));
        cJSON_AddItemToObject(x, "test_metric", jrec_num(res.metric[MT_RES_TEST][k]));
        if (res.have_baselines) cJSON_AddItemToObject(x, "single_task_metric", jrec_num(res.single_task_metric[k]));
        if (best) {
            cJSON_AddItemToObject(x, "best_train_loss", jrec_num(best->train_loss[k]));
            cJSON_AddItemToObject(x, "best_val_loss", jrec_num(best->val_loss[k]));
            cJSON_AddNumberToObject(x, "best_val_loss_step", (double)best->val_loss_step[k]);
            cJSON_AddItemToObject(x, "best_val_metric", jrec_num(best->val_metric[k]));
            cJSON_AddNumberToObject(x, "best_val_metric_step", (double)best->val_metric_step[k]);
            cJSON_AddItemToObject(x, "weight", jrec_num(best->weight[k]));
            double sl[AUXTASK_CURVE_N];
            auxtask_curve_slopes(&best->curve[k], sl);
            cJSON *a = cJSON_AddArrayToObject(x, "curve_slope");
            for (int f = 0; f < AUXTASK_CURVE_N; f++) cJSON_AddItemToArray(a, jrec_num(sl[f]));
        }
        if (res.have_baselines && b) {
            cJSON *a = cJSON_AddArrayToObject(x, "single_task_curve_slope");
            for (int f = 0; f < AUXTASK_CURVE_N; f++) cJSON_AddItemToArray(a, jrec_num(b->curve_slope[k][f]));
        }
    }
    if (res.have_baselines) cJSON_AddItemToObject(o, "delta_m_percent", jrec_num(res.delta_m));
    cJSON *cf = cJSON_AddArrayToObject(o, "curve_fractions");
    for (int f = 0; f < AUXTASK_CURVE_N; f++) cJSON_AddItemToArray(cf, cJSON_CreateNumber(auxtask_curve_fracs[f]));
    if (mon) add_matrices(o, mon);
    mt_status st = write_json(rd, "summary.json", o);
    cJSON_Delete(o);
    return st;
}
