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
#include "report_impl.h"
#include "run/runread.h"
#include "tui/axis.h"
#include "tui/compare.h"
#include "tui/pane_band.h"
#include "tui/svg.h"
#include "tui/svg_panes.h"


/* ---- escaping and small writers --------------------------------------------- */

/* Text from a run folder as HTML text or attribute value. */
void report_esc(FILE *f, const char *s)
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
mt_status report_inline_svg(FILE *f, picture_fn fn, const void *ud, const char *cls)
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

const char *report_jstr(const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

const cJSON *report_jget(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

/* A JSON value in a table cell: strings as they are, others as compact JSON. */
static void json_cell(FILE *f, const cJSON *v)
{
    if (!v) {
        fputs("-", f);
        return;
    }
    if (cJSON_IsString(v)) {
        report_esc(f, v->valuestring);
        return;
    }
    char *s = cJSON_PrintUnformatted(v);
    report_esc(f, s ? s : "?");
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
            const cJSON *dm = report_jget(r->sum[i], "delta_m_percent");
            if (!dm) dm = report_jget(r->sum[i], "delta_m");
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
    if (r->n == 1) report_esc(f, r->res[0].name);
    else fprintf(f, "%d runs", r->n);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>mtlab report</h1>\n", css);
    fprintf(f, "<p class=\"note\">%d run%s from ", r->n, r->n == 1 ? "" : "s");
    for (int a = 0; a < r->nargs; a++) {
        fputs(a ? ", <code>" : "<code>", f);
        report_esc(f, r->args[a]);
        fputs("</code>", f);
    }
    fputs(". Every number below comes from the run folders' files: summary.json (final numbers), "
          "metrics.csv (curves), events.jsonl (method switches), relations.jsonl (matrices), "
          "config.json (settings).</p>\n",
          f);
}

void report_swatch(FILE *f, int i) { fprintf(f, "<span class=\"swatch\" style=\"background:%s\"></span>", tui_svg_color(i)); }

/* Where a run came from, when config.json records it: a "provenance"
 * object, or these keys at its top (version, commit, command line, ...). */
static void provenance(FILE *f, const cJSON *cfg)
{
    static const char *const keys[] = {"version", "commit", "command", "command_line", "argv",
                                       "threads", "cpu", "cpu_model", "host", "started"};
    const cJSON *p = report_jget(cfg, "provenance");
    int any = 0;
    if (cJSON_IsObject(p)) {
        const cJSON *v;
        cJSON_ArrayForEach(v, p)
        {
            fputs(any++ ? "" : "<table class=\"provenance\">", f);
            fputs("<tr><th>", f);
            report_esc(f, v->string);
            fputs("</th><td>", f);
            json_cell(f, v);
            fputs("</td></tr>", f);
        }
    }
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const cJSON *v = report_jget(cfg, keys[k]);
        if (!v) continue;
        fputs(any++ ? "" : "<table class=\"provenance\">", f);
        fprintf(f, "<tr><th>%s</th><td>", keys[k]);
        json_cell(f, v);
        fputs("</td></tr>", f);
    }
    if (any) fputs("</table>\n", f);
}

/* What a data set's numbers mean, when config.json records it: the name of
 * each class index of a target read as text (data.labels), and the
 * training mean and sd of each standardised regression target
 * (data.standardized_targets: original = y sd + mean). */
static void data_meaning(FILE *f, const cJSON *cfg)
{
    const cJSON *d = report_jget(cfg, "data"), *lab = report_jget(d, "labels"), *sc = report_jget(d, "standardized_targets"), *v;
    int any = 0;
    if (cJSON_IsObject(lab)) {
        cJSON_ArrayForEach(v, lab)
        {
            if (!cJSON_IsArray(v)) continue;
            fputs(any++ ? "" : "<table class=\"data-meaning\">", f);
            fputs("<tr><th>", f);
            report_esc(f, v->string);
            fputs("</th><td>classes: ", f);
            int k = 0;
            const cJSON *name;
            cJSON_ArrayForEach(name, v)
            {
                fprintf(f, "%s%d = ", k ? ", " : "", k);
                json_cell(f, name);
                k++;
            }
            fputs("</td></tr>", f);
        }
    }
    if (cJSON_IsObject(sc)) {
        cJSON_ArrayForEach(v, sc)
        {
            const cJSON *mean = report_jget(v, "mean"), *sd = report_jget(v, "sd");
            if (!cJSON_IsNumber(mean) || !cJSON_IsNumber(sd)) continue;
            fputs(any++ ? "" : "<table class=\"data-meaning\">", f);
            fputs("<tr><th>", f);
            report_esc(f, v->string);
            fprintf(f, "</th><td>standardised: mean %.6g, sd %.6g (original = y &times; sd + mean)</td></tr>",
                    mean->valuedouble, sd->valuedouble);
        }
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
        const cJSON *c = r->cfg[i], *tr = report_jget(c, "train"), *op = report_jget(c, "optim");
        fprintf(f, "<tr data-run=\"%d\"><td>", i);
        report_swatch(f, i);
        report_esc(f, r->res[i].name);
        fputs("</td><td><code>", f);
        report_esc(f, r->dir[i]);
        fputs("</code></td><td>", f);
        report_esc(f, r->res[i].status);
        fprintf(f, "</td><td class=\"num\">%ld</td><td>", r->mon[i]->step);
        report_esc(f, r->mon[i]->weighting);
        fputs("</td><td>", f);
        report_esc(f, report_jstr(report_jget(c, "topology"), "kind", "-"));
        fputs("</td><td>", f);
        report_esc(f, report_jstr(op, "kind", report_jstr(op, "name", "-")));
        const cJSON *lr = report_jget(op, "lr");
        if (cJSON_IsNumber(lr)) fprintf(f, ", lr %g", lr->valuedouble);
        fputs("</td><td>", f);
        json_cell(f, report_jget(tr, "batch"));
        fputs("</td><td>", f);
        json_cell(f, report_jget(tr, "epochs"));
        fputs("</td><td>", f);
        json_cell(f, report_jget(tr, "seed"));
        fputs("</td><td>", f);
        report_esc(f, report_jstr(report_jget(c, "data"), "source", report_jstr(report_jget(c, "data"), "name", "-")));
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    for (int i = 0; i < r->n; i++) {
        const mt_monitor *m = r->mon[i];
        if (r->n > 1 || m->description[0] || m->status_msg[0]) {
            fputs("<h3>", f);
            report_swatch(f, i);
            report_esc(f, r->res[i].name);
            fputs("</h3>\n", f);
        }
        if (m->description[0]) {
            fputs("<p>", f);
            report_esc(f, m->description);
            fputs("</p>\n", f);
        }
        if (m->status_msg[0]) {
            fputs("<p class=\"fails\">", f);
            report_esc(f, m->status_msg);
            fputs("</p>\n", f);
        }
        provenance(f, r->cfg[i]);
        data_meaning(f, r->cfg[i]);
        char *cfg = cJSON_Print(r->cfg[i]);
        fputs("<details><summary>config.json</summary><pre>", f);
        report_esc(f, cfg ? cfg : "?");
        fputs("</pre></details>\n", f);
        cJSON_free(cfg);
        fputs("<details><summary>log (events.jsonl)</summary><pre>", f);
        for (int k = m->log_len - 1; k >= 0; k--) {
            int level;
            const char *line = monitor_log_line(m, k, &level);
            if (!line) continue;
            report_esc(f, line);
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
        report_swatch(f, i);
        report_esc(f, x->name);
        fputs("</td><td>", f);
        report_esc(f, x->status);
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
            report_swatch(f, i);
            report_esc(f, x->name);
            fputs("</td><td>", f);
            report_esc(f, x->task[k]);
            if (x->aux[k]) fputs(" (aux)", f);
            fputs("</td><td>", f);
            report_esc(f, x->metric_name[k]);
            if (x->metric_name[k][0]) fputs(x->higher_better[k] ? " \xe2\x86\x91" : " \xe2\x86\x93", f);
            fputs("</td>", f);
            for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
                /* the task's name is an attribute value: escaped */
                char *a = NULL;
                size_t al = 0;
                FILE *af = open_memstream(&a, &al);
                if (!af) continue;
                fprintf(af, " data-run=\"%d\" data-key=\"%s\" data-task=\"", i, cols[c].key);
                report_esc(af, x->task[k]);
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
        report_esc(f, s);
        if (good || bad) fputs("</span>", f);
    } else if ((cJSON_IsObject(v) || cJSON_IsArray(v)) && depth < 3) {
        fputs("<table class=\"claim\">", f);
        const cJSON *c;
        int i = 0;
        cJSON_ArrayForEach(c, v)
        {
            fputs("<tr><th>", f);
            if (c->string) report_esc(f, c->string);
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
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) any |= report_jget(r->sum[i], keys[k]) != NULL;
    fputs("<h2 id=\"claims\">Claims</h2>\n", f);
    if (!any) {
        fputs("<p class=\"note\">No claim verdicts in these runs' summary.json.</p>\n", f);
        return;
    }
    fputs("<table class=\"claims\">\n", f);
    for (int i = 0; i < r->n; i++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const cJSON *v = report_jget(r->sum[i], keys[k]);
            if (!v) continue;
            fprintf(f, "<tr data-run=\"%d\"><td>", i);
            report_swatch(f, i);
            report_esc(f, r->res[i].name);
            fputs("</td><td>", f);
            claim_value(f, v, 0);
            fputs("</td></tr>\n", f);
        }
    fputs("</table>\n", f);
}

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
        report_esc(f, r->args[a]);
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
                report_esc(f, c);
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

/* The links to the sections this page has. */
static void nav(FILE *f, const report *r)
{
    int landscape = 0;
    for (int i = 0; i < r->n; i++) landscape |= report_is_path_run(r, i);
    fputs("<nav><a href=\"#settings\">settings</a><a href=\"#results\">results</a><a href=\"#claims\">claims</a>"
          "<a href=\"#curves\">curves</a><a href=\"#pareto\">Pareto</a>",
          f);
    if (landscape) fputs("<a href=\"#landscape\">landscape</a>", f);
    if (report_any_matrix(r, 1)) fputs("<a href=\"#mixing\">learned mixing</a>", f);
    if (report_any_matrix(r, 0)) fputs("<a href=\"#relations\">relations</a>", f);
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
    mt_status st = report_curves(f, r);
    if (!st) st = report_pareto(f, r);
    if (!st) st = report_landscape(f, r);
    if (!st) st = report_matrices(f, r, 1);
    if (!st) st = report_matrices(f, r, 0);
    if (!st) st = report_topology(f, r);
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
