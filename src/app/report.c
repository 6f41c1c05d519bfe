/* report.c - `mtlab report RUN_DIR... [-o report.html]`: one self-contained
 * HTML file (inline SVG and CSS, no script, nothing fetched) for one run,
 * several runs or a sweep folder.
 *
 * The run folders are read by run/runread.c (the reader of `mtlab open`),
 * and the pictures are the screen's SVG writers (tui/svg.c, svg_panes.c,
 * pane_band.c), each written into memory and placed inline without its XML
 * prolog. Only the landscape picture is drawn here, with the same building
 * blocks. Every text that comes from a run folder is escaped, and a
 * Content-Security-Policy forbids scripts and any load, so a hostile run
 * folder can neither inject markup nor make the page fetch anything. */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "app.h"
#include "core/mem.h"
#include "core/textfile.h"
#include "data/landscape.h"
#include "report.h"
#include "run/runread.h"
#include "tui/axis.h"
#include "tui/compare.h"
#include "tui/pane_band.h"
#include "tui/svg.h"
#include "tui/svg_panes.h"

#define REPORT_MAX_RUNS 256
#define REPORT_MAX_STEPS 16

typedef struct {
    int n;
    char (*dir)[1024];     /* (n) each run's folder */
    mt_recorded **rec;     /* (n) owned */
    mt_monitor **mon;      /* (n) borrowed from rec */
    mt_run_result *res;    /* (n) the numbers, with name = the run's label */
    cJSON **cfg, **sum;    /* (n) config.json and summary.json (NULL when absent) */
    long steps[REPORT_MAX_STEPS];
    int nsteps;            /* matrices at these steps (0: the last update) */
    const char *const *args;
    int nargs;
} report;

/* ---- escaping and small writers --------------------------------------------- */

/* Text from a run folder as HTML text or attribute value. */
static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n') fputc('?', f);
            else fputc(*s, f);
        }
    }
}

/* A number cell: the value shown to 6 digits, and exactly (the shortest
 * round trip of a double is at most 17 digits) in data-value, so a reader
 * of the page gets the number summary.json holds (percent: shown as
 * +0.123). attrs are the cell's
 * data-* attributes (already safe). */
static void num_cell(FILE *f, double v, int percent, const char *attrs)
{
    if (!isfinite(v)) {
        fprintf(f, "<td class=\"num none\"%s data-value=\"%s\">-</td>", attrs ? attrs : "",
                isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return;
    }
    char shown[64];
    if (percent) snprintf(shown, sizeof shown, "%+.3f", v);
    else snprintf(shown, sizeof shown, "%.6g", v);
    fprintf(f, "<td class=\"num\"%s data-value=\"%.17g\">%s</td>", attrs ? attrs : "", v, shown);
}

/* Writes a picture made by fn into f inline: fn writes a whole SVG document
 * to a memory stream; its XML prolog is dropped (HTML does not take it). */
typedef mt_status (*picture_fn)(FILE *f, const void *ud);

static mt_status inline_svg(FILE *f, picture_fn fn, const void *ud, const char *cls)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return mt_fail(MT_ERR_NOMEM, "report: out of memory");
    mt_status st = fn(m, ud);
    if (fclose(m) != 0 && !st) st = mt_fail(MT_ERR_NOMEM, "report: out of memory");
    if (!st && buf) {
        const char *p = buf;
        if (strncmp(p, "<?xml", 5) == 0) {
            const char *e = strstr(p, "?>");
            p = e ? e + 2 : p;
            while (*p == '\n') p++;
        }
        fprintf(f, "<figure class=\"%s\">", cls ? cls : "pic");
        fputs(p, f);
        fputs("</figure>\n", f);
    }
    free(buf);
    return st;
}

static const char *jstr(const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

static const cJSON *jget(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

/* A JSON value in a table cell: strings as they are, others as compact JSON. */
static void json_cell(FILE *f, const cJSON *v)
{
    if (!v) {
        fputs("-", f);
        return;
    }
    if (cJSON_IsString(v)) {
        esc(f, v->valuestring);
        return;
    }
    char *s = cJSON_PrintUnformatted(v);
    esc(f, s ? s : "?");
    cJSON_free(s);
}

/* ---- reading ------------------------------------------------------------------ */

static cJSON *read_json_file(const char *dir, const char *name, int *bad)
{
    char path[1200], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    *bad = 0;
    struct stat sb;
    if (stat(path, &sb) != 0) return NULL;
    if (mt_read_text(path, &text, &len)) {
        *bad = 1;
        return NULL;
    }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithOpts(text, &end, 1);
    if (!o || !cJSON_IsObject(o)) {
        long at = end ? (long)(end - text) : 0;
        mt_fail(MT_ERR_IO, "%s: not a JSON object (the parser stopped at byte %ld of %zu)", path, at, len);
        cJSON_Delete(o);
        o = NULL;
        *bad = 1;
    }
    mt_free(text);
    return o;
}

static void report_free(report *r)
{
    for (int i = 0; i < r->n; i++) {
        runread_free(r->rec[i]);
        cJSON_Delete(r->cfg[i]);
        cJSON_Delete(r->sum[i]);
    }
    mt_free(r->dir);
    mt_free(r->rec);
    mt_free(r->mon);
    mt_free(r->res);
    mt_free(r->cfg);
    mt_free(r->sum);
}

/* Labels for the legends: the experiment's name, or, when several runs
 * share it (a sweep's seeds), the folder below the argument it came from. */
static void label_runs(report *r, const int *from_arg)
{
    for (int i = 0; i < r->n; i++) {
        int dup = 0;
        for (int j = 0; j < r->n; j++) dup |= j != i && strcmp(r->res[i].name, r->res[j].name) == 0;
        if (!dup) continue;
        const char *arg = r->args[from_arg[i]];
        const char *rel = r->dir[i];
        size_t al = strlen(arg);
        if (strncmp(rel, arg, al) == 0 && rel[al] == '/') rel += al + 1;
        else if (strrchr(rel, '/')) rel = strrchr(rel, '/') + 1;
        snprintf(r->res[i].name, sizeof r->res[i].name, "%s", rel);
    }
    /* still equal (the same folder name under two arguments): number them */
    for (int i = 0; i < r->n; i++)
        for (int j = i + 1; j < r->n; j++)
            if (strcmp(r->res[i].name, r->res[j].name) == 0) {
                char b[sizeof r->res[j].name];
                snprintf(b, sizeof b, "%.100s (%d)", r->res[j].name, j + 1);
                snprintf(r->res[j].name, sizeof r->res[j].name, "%s", b);
            }
}

static mt_status report_load(report *r, const char *const *args, int nargs)
{
    static char paths[REPORT_MAX_RUNS][1024];
    int from_arg[REPORT_MAX_RUNS];
    r->args = args;
    r->nargs = nargs;
    r->dir = mt_calloc(REPORT_MAX_RUNS, sizeof *r->dir);
    r->rec = mt_calloc(REPORT_MAX_RUNS, sizeof *r->rec);
    r->mon = mt_calloc(REPORT_MAX_RUNS, sizeof *r->mon);
    r->res = mt_calloc(REPORT_MAX_RUNS, sizeof *r->res);
    r->cfg = mt_calloc(REPORT_MAX_RUNS, sizeof *r->cfg);
    r->sum = mt_calloc(REPORT_MAX_RUNS, sizeof *r->sum);
    if (!r->dir || !r->rec || !r->mon || !r->res || !r->cfg || !r->sum) return MT_ERR_NOMEM;
    for (int a = 0; a < nargs; a++) {
        int room = REPORT_MAX_RUNS - r->n;
        if (room <= 0) return mt_fail(MT_ERR_ARG, "report: at most %d runs in one report", REPORT_MAX_RUNS);
        int k = runread_find(args[a], paths, room);
        if (!k) return mt_last_status() ? mt_last_status() : MT_ERR_ARG;
        for (int j = 0; j < k; j++) {
            int i = r->n;
            snprintf(r->dir[i], sizeof r->dir[i], "%s", paths[j]);
            int bad;
            r->cfg[i] = read_json_file(paths[j], "config.json", &bad);
            if (bad || !r->cfg[i]) return mt_last_status() ? mt_last_status() : MT_ERR_IO;
            r->sum[i] = read_json_file(paths[j], "summary.json", &bad);
            if (bad) return mt_last_status();
            mt_status st = runread_open(paths[j], &r->rec[i]);
            if (st) return st;
            r->mon[i] = runread_monitor(r->rec[i]);
            r->res[i] = *runread_result(r->rec[i]);
            /* delta_m under the name summary.json gives it */
            const cJSON *dm = jget(r->sum[i], "delta_m_percent");
            if (!dm) dm = jget(r->sum[i], "delta_m");
            if (cJSON_IsNumber(dm)) {
                r->res[i].delta_m = dm->valuedouble;
                r->res[i].have_baselines = 1;
            }
            from_arg[i] = a;
            r->n++;
        }
    }
    label_runs(r, from_arg);
    return MT_OK;
}

/* ---- sections --------------------------------------------------------------------- */

static const char *css =
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}"
    "h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}"
    "h3{margin-top:1.4em}table{border-collapse:collapse;margin:.6em 0;font-size:.9em}"
    "th,td{border:1px solid #ddd;padding:.25em .5em;vertical-align:top}th{background:#f4f4f4;text-align:left}"
    "td.num{text-align:right;font-family:monospace}td.none{color:#999}"
    "figure{margin:.8em 0;overflow-x:auto}figure svg{max-width:100%;height:auto}"
    "pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:.85em}"
    ".holds{color:#1a7f37;font-weight:bold}.fails{color:#c62828;font-weight:bold}"
    ".note{color:#555}.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}"
    "nav a{margin-right:1em}details{margin:.4em 0}"
    ".row{display:flex;flex-wrap:wrap;gap:1em}.row figure{flex:1 1 480px;min-width:0}";

static void head(FILE *f, const report *r)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
          "img-src data:\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"mtlab report\">\n<title>mtlab report: ",
          f);
    if (r->n == 1) esc(f, r->res[0].name);
    else fprintf(f, "%d runs", r->n);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>mtlab report</h1>\n", css);
    fprintf(f, "<p class=\"note\">%d run%s from ", r->n, r->n == 1 ? "" : "s");
    for (int a = 0; a < r->nargs; a++) {
        fputs(a ? ", <code>" : "<code>", f);
        esc(f, r->args[a]);
        fputs("</code>", f);
    }
    fputs(". Every number below comes from the run folders' files: summary.json (final numbers), "
          "metrics.csv (curves), events.jsonl (method switches), relations.jsonl (matrices), "
          "config.json (settings).</p>\n",
          f);
}

static void swatch(FILE *f, int i) { fprintf(f, "<span class=\"swatch\" style=\"background:%s\"></span>", tui_svg_color(i)); }

/* Where a run came from, when config.json records it: a "provenance"
 * object, or these keys at its top (version, commit, command line, ...). */
static void provenance(FILE *f, const cJSON *cfg)
{
    static const char *const keys[] = {"version", "commit", "command", "command_line", "argv",
                                       "threads", "cpu", "cpu_model", "host", "started"};
    const cJSON *p = jget(cfg, "provenance");
    int any = 0;
    if (cJSON_IsObject(p)) {
        const cJSON *v;
        cJSON_ArrayForEach(v, p)
        {
            fputs(any++ ? "" : "<table class=\"provenance\">", f);
            fputs("<tr><th>", f);
            esc(f, v->string);
            fputs("</th><td>", f);
            json_cell(f, v);
            fputs("</td></tr>", f);
        }
    }
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const cJSON *v = jget(cfg, keys[k]);
        if (!v) continue;
        fputs(any++ ? "" : "<table class=\"provenance\">", f);
        fprintf(f, "<tr><th>%s</th><td>", keys[k]);
        json_cell(f, v);
        fputs("</td></tr>", f);
    }
    if (any) fputs("</table>\n", f);
}

static void settings(FILE *f, const report *r)
{
    fputs("<h2 id=\"settings\">Experiments and settings</h2>\n<table class=\"settings\">\n<tr><th>run</th>"
          "<th>folder</th><th>status</th><th>steps</th><th>weighting</th><th>topology</th><th>optimiser</th>"
          "<th>batch</th><th>epochs</th><th>seed</th><th>data</th></tr>\n",
          f);
    for (int i = 0; i < r->n; i++) {
        const cJSON *c = r->cfg[i], *tr = jget(c, "train"), *op = jget(c, "optim");
        fprintf(f, "<tr data-run=\"%d\"><td>", i);
        swatch(f, i);
        esc(f, r->res[i].name);
        fputs("</td><td><code>", f);
        esc(f, r->dir[i]);
        fputs("</code></td><td>", f);
        esc(f, r->res[i].status);
        fprintf(f, "</td><td class=\"num\">%ld</td><td>", r->mon[i]->step);
        esc(f, r->mon[i]->weighting);
        fputs("</td><td>", f);
        esc(f, jstr(jget(c, "topology"), "kind", "-"));
        fputs("</td><td>", f);
        esc(f, jstr(op, "kind", jstr(op, "name", "-")));
        const cJSON *lr = jget(op, "lr");
        if (cJSON_IsNumber(lr)) fprintf(f, ", lr %g", lr->valuedouble);
        fputs("</td><td>", f);
        json_cell(f, jget(tr, "batch"));
        fputs("</td><td>", f);
        json_cell(f, jget(tr, "epochs"));
        fputs("</td><td>", f);
        json_cell(f, jget(tr, "seed"));
        fputs("</td><td>", f);
        esc(f, jstr(jget(c, "data"), "source", jstr(jget(c, "data"), "name", "-")));
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    for (int i = 0; i < r->n; i++) {
        const mt_monitor *m = r->mon[i];
        if (r->n > 1 || m->description[0] || m->status_msg[0]) {
            fputs("<h3>", f);
            swatch(f, i);
            esc(f, r->res[i].name);
            fputs("</h3>\n", f);
        }
        if (m->description[0]) {
            fputs("<p>", f);
            esc(f, m->description);
            fputs("</p>\n", f);
        }
        if (m->status_msg[0]) {
            fputs("<p class=\"fails\">", f);
            esc(f, m->status_msg);
            fputs("</p>\n", f);
        }
        provenance(f, r->cfg[i]);
        char *cfg = cJSON_Print(r->cfg[i]);
        fputs("<details><summary>config.json</summary><pre>", f);
        esc(f, cfg ? cfg : "?");
        fputs("</pre></details>\n", f);
        cJSON_free(cfg);
        fputs("<details><summary>log (events.jsonl)</summary><pre>", f);
        for (int k = m->log_len - 1; k >= 0; k--) {
            int level;
            const char *line = monitor_log_line(m, k, &level);
            if (!line) continue;
            esc(f, line);
            fputc('\n', f);
        }
        fputs("</pre></details>\n", f);
    }
}

static void results(FILE *f, const report *r)
{
    int any_dm = 0;
    for (int i = 0; i < r->n; i++) any_dm |= r->res[i].have_baselines;
    fputs("<h2 id=\"results\">Results</h2>\n<p class=\"note\">Final numbers from summary.json: train is the mean "
          "training loss over the last evaluation window, val the last evaluation, test after training. "
          "\xce\x94m is the mean relative change of the test metrics against the single-task baselines, in percent "
          "(positive: better than single-task).</p>\n",
          f);
    fputs("<table class=\"summary\">\n<tr><th>run</th><th>status</th><th>steps</th>", f);
    if (any_dm) fputs("<th>\xce\x94m %</th>", f);
    fputs("</tr>\n", f);
    for (int i = 0; i < r->n; i++) {
        const mt_run_result *x = &r->res[i];
        fprintf(f, "<tr data-run=\"%d\"><td>", i);
        swatch(f, i);
        esc(f, x->name);
        fputs("</td><td>", f);
        esc(f, x->status);
        fprintf(f, "</td><td class=\"num\">%ld</td>", x->steps);
        if (any_dm) {
            char attrs[64];
            snprintf(attrs, sizeof attrs, " data-run=\"%d\" data-key=\"delta_m\"", i);
            num_cell(f, x->have_baselines ? x->delta_m : NAN, 1, attrs);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<table class=\"tasks\">\n<tr><th>run</th><th>task</th><th>metric</th><th>train loss</th>"
          "<th>val loss</th><th>val metric</th><th>test loss</th><th>test metric</th><th>single-task metric</th></tr>\n",
          f);
    static const struct {
        const char *key;
        int split, metric;
    } cols[] = {{"train_loss", MT_RES_TRAIN, 0}, {"val_loss", MT_RES_VAL, 0},   {"val_metric", MT_RES_VAL, 1},
                {"test_loss", MT_RES_TEST, 0},   {"test_metric", MT_RES_TEST, 1}};
    for (int i = 0; i < r->n; i++) {
        const mt_run_result *x = &r->res[i];
        for (int k = 0; k < x->ntasks; k++) {
            fprintf(f, "<tr data-run=\"%d\"><td>", i);
            swatch(f, i);
            esc(f, x->name);
            fputs("</td><td>", f);
            esc(f, x->task[k]);
            if (x->aux[k]) fputs(" (aux)", f);
            fputs("</td><td>", f);
            esc(f, x->metric_name[k]);
            if (x->metric_name[k][0]) fputs(x->higher_better[k] ? " \xe2\x86\x91" : " \xe2\x86\x93", f);
            fputs("</td>", f);
            for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
                /* the task's name is an attribute value: escaped */
                char *a = NULL;
                size_t al = 0;
                FILE *af = open_memstream(&a, &al);
                if (!af) continue;
                fprintf(af, " data-run=\"%d\" data-key=\"%s\" data-task=\"", i, cols[c].key);
                esc(af, x->task[k]);
                fputc('"', af);
                fclose(af);
                double v = cols[c].metric ? x->metric[cols[c].split][k] : x->loss[cols[c].split][k];
                num_cell(f, v, 0, a);
                free(a);
            }
            num_cell(f, x->single_task_metric[k], 0, NULL);
            fputs("</tr>\n", f);
        }
    }
    fputs("</table>\n", f);
}

/* A claim's verdict, whatever its shape: a string, a boolean, an object
 * (its fields as rows) or an array of those. */
static void claim_value(FILE *f, const cJSON *v, int depth)
{
    if (cJSON_IsBool(v)) {
        fprintf(f, "<span class=\"%s\">%s</span>", cJSON_IsTrue(v) ? "holds" : "fails",
                cJSON_IsTrue(v) ? "holds" : "does not hold");
    } else if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        int good = strcmp(s, "holds") == 0 || strcmp(s, "pass") == 0 || strcmp(s, "passed") == 0 ||
                   strcmp(s, "true") == 0 || strcmp(s, "ok") == 0;
        int bad = strcmp(s, "fails") == 0 || strcmp(s, "fail") == 0 || strcmp(s, "failed") == 0 ||
                  strcmp(s, "false") == 0 || strcmp(s, "does not hold") == 0;
        if (good || bad) fprintf(f, "<span class=\"%s\">", good ? "holds" : "fails");
        esc(f, s);
        if (good || bad) fputs("</span>", f);
    } else if ((cJSON_IsObject(v) || cJSON_IsArray(v)) && depth < 3) {
        fputs("<table class=\"claim\">", f);
        const cJSON *c;
        int i = 0;
        cJSON_ArrayForEach(c, v)
        {
            fputs("<tr><th>", f);
            if (c->string) esc(f, c->string);
            else fprintf(f, "%d", ++i);
            fputs("</th><td>", f);
            claim_value(f, c, depth + 1);
            fputs("</td></tr>", f);
        }
        fputs("</table>", f);
    } else {
        json_cell(f, v);
    }
}

static void claims(FILE *f, const report *r)
{
    int any = 0;
    static const char *const keys[] = {"claims", "claim", "verdict", "verdicts"};
    for (int i = 0; i < r->n; i++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) any |= jget(r->sum[i], keys[k]) != NULL;
    fputs("<h2 id=\"claims\">Claims</h2>\n", f);
    if (!any) {
        fputs("<p class=\"note\">No claim verdicts in these runs' summary.json.</p>\n", f);
        return;
    }
    fputs("<table class=\"claims\">\n", f);
    for (int i = 0; i < r->n; i++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const cJSON *v = jget(r->sum[i], keys[k]);
            if (!v) continue;
            fprintf(f, "<tr data-run=\"%d\"><td>", i);
            swatch(f, i);
            esc(f, r->res[i].name);
            fputs("</td><td>", f);
            claim_value(f, v, 0);
            fputs("</td></tr>\n", f);
        }
    fputs("</table>\n", f);
}

/* ---- pictures ---------------------------------------------------------------------- */

typedef struct {
    const report *r;
    const char *task;
    int val, log_y;
} curves_pic;

static mt_status draw_curves(FILE *f, const void *ud)
{
    const curves_pic *c = ud;
    return tui_svg_compare_curves(f, (const mt_monitor *const *)c->r->mon, c->r->res, c->r->n, c->task, c->val, 0,
                                  c->log_y);
}

/* Log scale when every value is positive and they span two decades. */
static int wants_log(const report *r, const char *task, int val)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < r->n; i++) {
        int k = compare_find_task(r->mon[i], task);
        if (k < 0) continue;
        const mt_series *s = val ? &r->mon[i]->val_loss[k] : &r->mon[i]->train_loss[k];
        for (int j = 0; j < s->len; j++) {
            if (!isfinite(s->y[j])) continue;
            if (s->y[j] <= 0) return 0;
            lo = fmin(lo, s->y[j]);
            hi = fmax(hi, s->y[j]);
        }
    }
    return lo < hi && hi / lo > 100;
}

static int has_series(const report *r, const char *task, int val)
{
    for (int i = 0; i < r->n; i++) {
        int k = compare_find_task(r->mon[i], task);
        if (k >= 0 && (val ? r->mon[i]->val_loss[k].len : r->mon[i]->train_loss[k].len)) return 1;
    }
    return 0;
}

/* The tasks of every run, each once, in the order they first appear. */
static int task_union(const report *r, const char *names[], int max)
{
    int n = 0;
    for (int i = 0; i < r->n; i++)
        for (int k = 0; k < r->mon[i]->ntasks; k++) {
            int seen = 0;
            for (int j = 0; j < n; j++) seen |= strcmp(names[j], r->mon[i]->task[k]) == 0;
            if (!seen && n < max) names[n++] = r->mon[i]->task[k];
        }
    return n;
}

typedef struct {
    const mt_monitor *m;
} monitor_pic;

static mt_status draw_monitor(FILE *f, const void *ud)
{
    const monitor_pic *p = ud;
    tui_svg_options o = {960, 560, 0, 0};
    return tui_svg_write(f, p->m, &o);
}

static mt_status curves(FILE *f, const report *r)
{
    fputs("<h2 id=\"curves\">Training and validation curves</h2>\n<p class=\"note\">Per task, every run's curve "
          "(training: the mean loss of each evaluation window; validation: dashed), method switches as dotted "
          "lines.</p>\n",
          f);
    const char *tasks[MT_MAX_TASKS * 4];
    int nt = task_union(r, tasks, MT_MAX_TASKS * 4);
    mt_status st = MT_OK;
    for (int t = 0; t < nt && !st; t++) {
        fputs("<div class=\"row\">\n", f);
        for (int val = 0; val < 2 && !st; val++) {
            if (!has_series(r, tasks[t], val)) continue;
            curves_pic c = {r, tasks[t], val, wants_log(r, tasks[t], val)};
            st = inline_svg(f, draw_curves, &c, "curves");
        }
        fputs("</div>\n", f);
    }
    if (r->n <= 8)
        for (int i = 0; i < r->n && !st; i++) {
            fputs("<details><summary>", f);
            esc(f, r->res[i].name);
            fputs(": every task's loss and loss weight</summary>\n", f);
            monitor_pic p = {r->mon[i]};
            st = inline_svg(f, draw_monitor, &p, "monitor");
            fputs("</details>\n", f);
        }
    return st;
}

typedef struct {
    const report *r;
    mt_result_split sp;
    const char *ta, *tb;
} scatter_pic;

static mt_status draw_scatter(FILE *f, const void *ud)
{
    const scatter_pic *s = ud;
    return tui_svg_compare_scatter(f, s->r->res, s->r->n, s->sp, s->ta, s->tb);
}

static mt_status pareto(FILE *f, const report *r)
{
    fputs("<h2 id=\"pareto\">Pareto scatter</h2>\n", f);
    int ta, tb;
    if (r->n < 2 || compare_pick_tasks(&r->res[0], &ta, &tb) < 2) {
        fputs("<p class=\"note\">Needs two runs with two tasks.</p>\n", f);
        return MT_OK;
    }
    mt_result_split sp = MT_RES_TRAIN;
    for (int i = 0; i < r->n; i++) {
        if (isfinite(r->res[i].loss[MT_RES_TEST][ta])) sp = MT_RES_TEST;
        else if (sp == MT_RES_TRAIN && isfinite(r->res[i].loss[MT_RES_VAL][ta])) sp = MT_RES_VAL;
    }
    fprintf(f, "<p class=\"note\">Final %s losses (%s).</p>\n", result_split_name(sp), result_split_definition(sp));
    scatter_pic s = {r, sp, r->res[0].task[ta], r->res[0].task[tb]};
    return inline_svg(f, draw_scatter, &s, "pareto");
}

/* ---- the landscape: the paths in the plane and in objective space --------------------- */

typedef struct {
    const report *r;
    const mt_landscape *ls; /* the background's function, or NULL */
} landscape_pic;

static int is_path_run(const report *r, int i)
{
    long st;
    int rows, cols;
    return runread_update(r->rec[i], "position", 0, &st, &rows, &cols) && rows == 1 && cols == 2;
}

/* The extent of matrix `name`'s (1 x 2) updates over the path runs. */
static int path_extent(const report *r, const char *name, double *x0, double *x1, double *y0, double *y1)
{
    *x0 = *y0 = INFINITY;
    *x1 = *y1 = -INFINITY;
    for (int i = 0; i < r->n; i++) {
        if (!is_path_run(r, i)) continue;
        long st;
        int rows, cols;
        const double *v;
        for (int u = 0; (v = runread_update(r->rec[i], name, u, &st, &rows, &cols)); u++) {
            if (rows * cols < 2 || !isfinite(v[0]) || !isfinite(v[1])) continue;
            *x0 = fmin(*x0, v[0]);
            *x1 = fmax(*x1, v[0]);
            *y0 = fmin(*y0, v[1]);
            *y1 = fmax(*y1, v[1]);
        }
    }
    if (!(*x0 <= *x1)) return 0;
    axis_pad_range(x0, x1, 0.08, 0);
    axis_pad_range(y0, y1, 0.08, 0);
    return 1;
}

static void path_panel(FILE *f, const report *r, const char *name, const tui_svg_panel *p)
{
    for (int i = 0; i < r->n; i++) {
        if (!is_path_run(r, i)) continue;
        long st;
        int rows, cols, open = 0;
        const double *v;
        double fx = NAN, fy = NAN, lx = NAN, ly = NAN;
        for (int u = 0; (v = runread_update(r->rec[i], name, u, &st, &rows, &cols)); u++) {
            if (rows * cols < 2 || !isfinite(v[0]) || !isfinite(v[1])) continue;
            double x = tui_svg_x(p, v[0]), y = tui_svg_y(p, v[1]);
            if (!open)
                fprintf(f, "<polyline class=\"path\" data-run=\"%d\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" "
                           "points=\"",
                        i, tui_svg_color(i));
            else fputc(' ', f);
            fprintf(f, "%.1f,%.1f", x, y);
            if (!open) fx = x, fy = y;
            lx = x, ly = y;
            open = 1;
        }
        if (!open) continue;
        fputs("\"/>\n", f);
        fprintf(f, "<circle class=\"start\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"white\" stroke=\"%s\" "
                   "stroke-width=\"2\"/>\n<circle class=\"end\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n",
                fx, fy, tui_svg_color(i), lx, ly, tui_svg_color(i));
    }
}

/* A grey background of f1 + f2 over the plane (darker is lower). */
static void landscape_background(FILE *f, const mt_landscape *ls, const tui_svg_panel *p)
{
    enum { G = 48 };
    static double v[G * G];
    double lo = INFINITY, hi = -INFINITY;
    for (int a = 0; a < G; a++)
        for (int b = 0; b < G; b++) {
            double x[2] = {p->x0 + (p->x1 - p->x0) * (b + 0.5) / G, p->y1 - (p->y1 - p->y0) * (a + 0.5) / G}, fv[2];
            ls->eval(x, 2, fv, NULL);
            v[a * G + b] = fv[0] + fv[1];
            if (isfinite(v[a * G + b])) lo = fmin(lo, v[a * G + b]), hi = fmax(hi, v[a * G + b]);
        }
    if (!(lo < hi)) return;
    double cw = p->pw / G, ch = p->ph / G;
    fputs("<g class=\"background\">\n", f);
    for (int a = 0; a < G; a++)
        for (int b = 0; b < G; b++) {
            double t = isfinite(v[a * G + b]) ? (v[a * G + b] - lo) / (hi - lo) : 1;
            int g = 150 + (int)(100 * t);
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.2f\" fill=\"rgb(%d,%d,%d)\"/>\n",
                    p->px + b * cw, p->py + a * ch, cw + 0.3, ch + 0.3, g, g, g + 5 > 255 ? 255 : g + 5);
        }
    fputs("</g>\n", f);
}

static mt_status draw_landscape(FILE *f, const void *ud)
{
    const landscape_pic *lp = ud;
    const report *r = lp->r;
    const double W = 1100, H = 560, top = 56, ph = 420, pw = 440;
    tui_svg_begin(f, (int)W, (int)H, "landscape: the path of each run's point x and of its objectives (f1, f2)");
    tui_svg_panel a = {70, top, pw, ph, 0, 1, 0, 1, 0}, b = {70 + pw + 90, top, pw, ph, 0, 1, 0, 1, 0};
    if (path_extent(r, "position", &a.x0, &a.x1, &a.y0, &a.y1)) {
        if (lp->ls) landscape_background(f, lp->ls, &a);
        tui_svg_axes(f, &a, lp->ls ? "x2 against x1, over f1 + f2 (darker: lower)" : "x2 against x1", 1);
        path_panel(f, r, "position", &a);
    }
    if (path_extent(r, "objectives", &b.x0, &b.x1, &b.y0, &b.y1)) {
        tui_svg_axes(f, &b, "f2 against f1", 1);
        path_panel(f, r, "objectives", &b);
    }
    fprintf(f, "<text x=\"70\" y=\"%.1f\" fill=\"#555\">open circle: start; filled: end; colours as in the "
               "tables</text>\n",
            top + ph + 36);
    fputs("</svg>\n", f);
    return ferror(f) ? mt_fail(MT_ERR_IO, "svg: write failed") : MT_OK;
}

static mt_status landscape(FILE *f, const report *r)
{
    int any = 0;
    const mt_landscape *ls = NULL;
    for (int i = 0; i < r->n; i++) {
        if (!is_path_run(r, i)) continue;
        const cJSON *tp = jget(r->cfg[i], "topology");
        const mt_landscape *l = landscape_find(jstr(tp, "problem", ""));
        if (!any) ls = l;
        else if (ls != l) ls = NULL; /* different problems: no common background */
        any = 1;
    }
    if (!any) return MT_OK;
    fputs("<h2 id=\"landscape\">Landscape</h2>\n", f);
    landscape_pic p = {r, ls};
    return inline_svg(f, draw_landscape, &p, "landscape");
}

/* ---- matrices ------------------------------------------------------------------------- */

typedef struct {
    const mt_matrix *x;
    const double *v;
    const char *title, *subtitle;
} matrix_pic;

static mt_status draw_matrix(FILE *f, const void *ud)
{
    const matrix_pic *p = ud;
    return tui_svg_matrix(f, p->x, p->v, p->title, p->subtitle);
}

static mt_status draw_band(FILE *f, const void *ud)
{
    const matrix_pic *p = ud;
    return band_svg_write(f, p->x, p->title, 0, 0);
}

/* What a topology learns (mixing weights, task covariances, expert
 * usage), as opposed to what the trainer measures between tasks. */
static int is_mixing(const char *name)
{
    static const char *const words[] = {"alpha", "beta", "covariance", "correlation", "expert", "gate",
                                        "task matrix", "responsibility", "co-membership", "task distance"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(name, words[i])) return 1;
    return 0;
}

static int skipped_matrix(const char *name)
{
    /* the landscape's paths and the weights' history have their own pictures */
    return strcmp(name, "position") == 0 || strcmp(name, "objectives") == 0 || strcmp(name, "loss weights") == 0;
}

static mt_status matrices(FILE *f, report *r, int mixing)
{
    mt_status st = MT_OK;
    int any = 0;
    for (int i = 0; i < r->n && !st; i++) {
        mt_recorded *rec = r->rec[i];
        mt_monitor *m = r->mon[i];
        int nst;
        const long *steps = runread_steps(rec, &nst);
        if (!nst) continue;
        long last = steps[nst - 1];
        runread_seek(rec, last);
        int header = 0;
        for (int k = 0; k < m->nmatrices && !st; k++) {
            char name[MT_MON_NAME];
            snprintf(name, sizeof name, "%s", m->matrix[k].name);
            if (skipped_matrix(name) || is_mixing(name) != mixing) continue;
            if (!header) {
                if (!any) {
                    fputs(mixing ? "<h2 id=\"mixing\">Learned mixing</h2>\n<p class=\"note\">What the topology "
                                   "learned: cross-stitch and sluice \xce\xb1 (\xce\xb2), the task covariance "
                                   "\xce\xa9 of a deep relationship network, expert usage and gates.</p>\n"
                                 : "<h2 id=\"relations\">Relation matrices</h2>\n<p class=\"note\">Measured between "
                                   "the tasks during training: the mean over the run and the value at the chosen "
                                   "steps (--steps; default the last update).</p>\n",
                          f);
                    any = 1;
                }
                fputs("<h3>", f);
                swatch(f, i);
                esc(f, r->res[i].name);
                fputs("</h3>\n", f);
                header = 1;
            }
            runread_seek(rec, last);
            mt_matrix *x = monitor_find_matrix(m, name);
            if (!x || !x->valid) continue;
            if (strcmp(name, MT_MON_BAND) == 0) {
                matrix_pic p = {x, x->v, name, NULL};
                st = inline_svg(f, draw_band, &p, "band");
                continue;
            }
            char sub[160];
            snprintf(sub, sizeof sub, "mean over %ld updates, steps %ld to %ld", x->updates, x->first_step, x->step);
            matrix_pic p = {x, monitor_matrix_values(x, MT_MAT_MEAN), name, sub};
            fprintf(f, "<div class=\"row matrix\" data-run=\"%d\">\n", i);
            st = inline_svg(f, draw_matrix, &p, "matrix mean");
            long at[REPORT_MAX_STEPS];
            int nat = r->nsteps;
            if (nat) memcpy(at, r->steps, sizeof at);
            else at[nat++] = last;
            for (int s = 0; s < nat && !st; s++) {
                runread_seek(rec, at[s]);
                x = monitor_find_matrix(m, name);
                if (!x || !x->valid) continue;
                snprintf(sub, sizeof sub, "at step %ld (the update of step %ld)", at[s], x->step);
                matrix_pic q = {x, x->v, name, sub};
                st = inline_svg(f, draw_matrix, &q, "matrix step");
            }
            fputs("</div>\n", f);
        }
        runread_seek(rec, last);
    }
    return st;
}

typedef struct {
    const char *title, *text;
} text_pic;

static mt_status draw_text(FILE *f, const void *ud)
{
    const text_pic *p = ud;
    return tui_svg_text_pane(f, p->title, p->text, 0);
}

static mt_status topology(FILE *f, const report *r)
{
    fputs("<h2 id=\"topology\">Topology</h2>\n", f);
    mt_status st = MT_OK;
    for (int i = 0; i < r->n && !st; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++) seen |= strcmp(r->mon[j]->topology, r->mon[i]->topology) == 0;
        if (seen || !r->mon[i]->topology[0]) continue;
        fputs("<p>", f);
        for (int j = i, first = 1; j < r->n; j++) {
            if (strcmp(r->mon[j]->topology, r->mon[i]->topology) != 0) continue;
            fputs(first ? "" : ", ", f);
            swatch(f, j);
            esc(f, r->res[j].name);
            first = 0;
        }
        fputs("</p>\n", f);
        char title[200];
        snprintf(title, sizeof title, "topology: %s", r->res[i].name);
        text_pic p = {title, r->mon[i]->topology};
        st = inline_svg(f, draw_text, &p, "topology");
    }
    return st;
}

/* A sweep folder's sweep.csv as a table. */
static void sweep_tables(FILE *f, const report *r)
{
    for (int a = 0; a < r->nargs; a++) {
        char path[1200], *text;
        snprintf(path, sizeof path, "%s/sweep.csv", r->args[a]);
        struct stat sb;
        if (stat(path, &sb) != 0) continue;
        if (mt_read_text(path, &text, NULL)) {
            mt_clear_error();
            continue;
        }
        fputs("<h2>Sweep: <code>", f);
        esc(f, r->args[a]);
        fputs("</code></h2>\n<p class=\"note\">sweep.csv: per configuration and quantity the mean, standard "
              "deviation and 95% interval over the seeds.</p>\n<table class=\"sweep\">\n",
              f);
        int row = 0;
        for (char *line = text; line && *line && row < 2000; row++) {
            char *nl = strchr(line, '\n');
            if (nl) *nl = '\0';
            fputs("<tr>", f);
            for (char *c = line;;) {
                char *comma = strchr(c, ',');
                if (comma) *comma = '\0';
                fputs(row ? "<td>" : "<th>", f);
                esc(f, c);
                fputs(row ? "</td>" : "</th>", f);
                if (!comma) break;
                c = comma + 1;
            }
            fputs("</tr>\n", f);
            line = nl ? nl + 1 : NULL;
        }
        fputs("</table>\n", f);
        mt_free(text);
    }
}

/* 1 when some run has a matrix of that kind (mixing or relations). */
static int any_matrix(const report *r, int mixing)
{
    for (int i = 0; i < r->n; i++)
        for (int k = 0; k < r->mon[i]->nmatrices; k++) {
            const char *name = r->mon[i]->matrix[k].name;
            if (!skipped_matrix(name) && is_mixing(name) == mixing) return 1;
        }
    return 0;
}

/* The links to the sections this page has. */
static void nav(FILE *f, const report *r)
{
    int landscape = 0;
    for (int i = 0; i < r->n; i++) landscape |= is_path_run(r, i);
    fputs("<nav><a href=\"#settings\">settings</a><a href=\"#results\">results</a><a href=\"#claims\">claims</a>"
          "<a href=\"#curves\">curves</a><a href=\"#pareto\">Pareto</a>",
          f);
    if (landscape) fputs("<a href=\"#landscape\">landscape</a>", f);
    if (any_matrix(r, 1)) fputs("<a href=\"#mixing\">learned mixing</a>", f);
    if (any_matrix(r, 0)) fputs("<a href=\"#relations\">relations</a>", f);
    fputs("<a href=\"#topology\">topology</a></nav>\n", f);
}

static mt_status write_report(FILE *f, void *ud)
{
    report *r = ud;
    head(f, r);
    nav(f, r);
    settings(f, r);
    results(f, r);
    claims(f, r);
    sweep_tables(f, r);
    mt_status st = curves(f, r);
    if (!st) st = pareto(f, r);
    if (!st) st = landscape(f, r);
    if (!st) st = matrices(f, r, 1);
    if (!st) st = matrices(f, r, 0);
    if (!st) st = topology(f, r);
    fputs("<p class=\"note\">Written by mtlab report.</p>\n</body>\n</html>\n", f);
    if (!st && ferror(f)) st = mt_fail(MT_ERR_IO, "write failed");
    return st;
}

mt_status report_write(const char *out, const char *const *dirs, int ndirs, const long *steps, int nsteps)
{
    report r = {0};
    if (nsteps > REPORT_MAX_STEPS) return mt_fail(MT_ERR_ARG, "report: at most %d steps", REPORT_MAX_STEPS);
    mt_status st = report_load(&r, dirs, ndirs);
    for (int s = 0; s < nsteps; s++) r.steps[s] = steps[s];
    r.nsteps = nsteps;
    if (!st) st = tui_svg_to_file(out, write_report, &r);
    report_free(&r);
    return st;
}

/* ---- the command ------------------------------------------------------------------------ */

static int parse_steps(const char *v, long *out, int max)
{
    int n = 0;
    for (const char *p = v; *p;) {
        char *end;
        errno = 0;
        long s = strtol(p, &end, 10);
        if (end == p || s < 0 || errno || (*end && *end != ',') || n == max) return -1;
        out[n++] = s;
        p = *end ? end + 1 : end;
    }
    return n ? n : -1;
}

int app_report(int argc, char **argv)
{
    const char *out = "report.html";
    const char *dirs[REPORT_MAX_RUNS];
    long steps[REPORT_MAX_STEPS];
    int ndirs = 0, nsteps = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int is_out = strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0;
        int is_steps = strcmp(a, "--steps") == 0;
        if (strncmp(a, "--output=", 9) == 0) is_out = 1, v = a + 9;
        if (strncmp(a, "--steps=", 8) == 0) is_steps = 1, v = a + 8;
        if (is_out || is_steps) {
            if (!v) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "mtlab report: %s needs a value: %s %s\n", a, a, is_out ? "FILE" : "LIST");
                    return MT_EXIT_USAGE;
                }
                v = argv[++i];
            }
            if (is_out) out = v;
            else if ((nsteps = parse_steps(v, steps, REPORT_MAX_STEPS)) < 0) {
                fprintf(stderr, "mtlab report: --steps %s: expected up to %d steps, e.g. 100,500,1000\n", v,
                        REPORT_MAX_STEPS);
                return MT_EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "mtlab report: unknown option %s (usage: mtlab report RUN_DIR... [-o FILE] [--steps "
                            "LIST])\n",
                    a);
            return MT_EXIT_USAGE;
        } else if (ndirs < REPORT_MAX_RUNS) {
            dirs[ndirs++] = a;
        }
    }
    if (!ndirs) {
        fprintf(stderr, "mtlab report: no run folder given (usage: mtlab report RUN_DIR... [-o FILE] [--steps "
                        "LIST])\n");
        return MT_EXIT_USAGE;
    }
    mt_status st = report_write(out, dirs, ndirs, steps, nsteps);
    if (st) {
        fprintf(stderr, "mtlab report: %s\n", mt_last_error());
        return st == MT_ERR_ARG ? MT_EXIT_USAGE : MT_EXIT_FAILED;
    }
    fprintf(stderr, "mtlab report: wrote %s\n", out);
    return MT_EXIT_OK;
}
