/* test_tui_svg.c - the SVG export and the comparison numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "tui/svg.h"
#include "tui/svg_panes.h"
#include "tui/compare.h"

typedef struct {
    mt_monitor m;
    char *buf;
    size_t len;
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);
    if (!c) return -1;
    const char *names[] = { "age", "gender <&> \"x\"", "pixels" };
    int aux[] = { 0, 0, 1 };
    if (monitor_init(&c->m, 3, names, aux, 64) != MT_OK) return -1;
    snprintf(c->m.experiment, sizeof c->m.experiment, "hard sharing & friends");
    snprintf(c->m.weighting, sizeof c->m.weighting, "uncertainty");
    /* task 0: 10 training points; task 1: 10 with a NaN at step 4 (two
     * pieces of 4 and 5 points); task 2: 6 points, one of them zero */
    for (int s = 0; s < 10; s++) {
        series_push(&c->m.train_loss[0], s, 2.0 / (s + 1));
        series_push(&c->m.train_loss[1], s, s == 4 ? NAN : 1.0 + 0.1 * s);
        series_push(&c->m.weight[0], s, 1.0);
        series_push(&c->m.weight[1], s, 0.5 + 0.05 * s);
        series_push(&c->m.weight[2], s, 0.1);
    }
    for (int s = 0; s < 6; s++) series_push(&c->m.train_loss[2], s * 2, s == 3 ? 0.0 : 0.3);
    for (int s = 0; s < 10; s += 3) series_push(&c->m.val_loss[0], s, 2.5 / (s + 1));
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    ctx *c = *state;
    monitor_free(&c->m);
    free(c->buf);
    free(c);
    return 0;
}

static void render(ctx *c, const tui_svg_options *o)
{
    free(c->buf);
    c->buf = NULL;
    FILE *f = open_memstream(&c->buf, &c->len);
    assert_non_null(f);
    assert_int_equal(tui_svg_write(f, &c->m, o), MT_OK);
    fclose(f);
}

/* Points per polyline of class `cls` for `task`, in document order, into
 * pts[]; returns the number of polylines. */
static int polylines(const char *svg, const char *cls, int task, int *pts, int cap)
{
    char key[96];
    snprintf(key, sizeof key, "<polyline class=\"%s\" data-task=\"%d\"", cls, task);
    int n = 0;
    for (const char *p = strstr(svg, key); p; p = strstr(p + 1, key)) {
        const char *q = strstr(p, "points=\"");
        assert_non_null(q);
        q += 8;
        const char *end = strchr(q, '"');
        int k = 0;
        for (const char *r = q; r < end; r++) k += *r == ',';
        if (n < cap) pts[n] = k;
        n++;
    }
    return n;
}

/* A small well-formedness check: tags nest and close, attributes are
 * quoted, and every '&' starts an entity. */
static void assert_well_formed(const char *s)
{
    const char *stack[64];
    size_t stlen[64];
    int depth = 0;
    const char *p = s;
    assert_true(strncmp(p, "<?xml", 5) == 0);
    p = strstr(p, "?>") + 2;
    for (; *p; p++) {
        if (*p == '&') {
            assert_true(strncmp(p, "&amp;", 5) == 0 || strncmp(p, "&lt;", 4) == 0 ||
                        strncmp(p, "&gt;", 4) == 0 || strncmp(p, "&quot;", 6) == 0 ||
                        strncmp(p, "&apos;", 6) == 0);
            continue;
        }
        if (*p == '>') fail_msg("stray '>' at offset %ld", (long)(p - s));
        if (*p != '<') continue;
        const char *end = p + 1;
        int inq = 0;
        while (*end && (inq || *end != '>')) {
            if (*end == '"') inq = !inq;
            if (!inq && (*end == '<' || *end == '&')) fail_msg("bad tag at %ld", (long)(p - s));
            end++;
        }
        assert_true(*end == '>');
        if (p[1] == '/') {
            assert_true(depth > 0);
            depth--;
            assert_true(strncmp(p + 2, stack[depth], stlen[depth]) == 0);
        } else if (end[-1] != '/') {
            assert_true(depth < 64);
            stack[depth] = p + 1;
            stlen[depth] = strcspn(p + 1, " >");
            depth++;
        }
        p = end;
    }
    assert_int_equal(depth, 0);
}

static void test_tui_svg_polylines_and_legend(void **state)
{
    ctx *c = *state;
    render(c, NULL);
    assert_well_formed(c->buf);
    int pts[8];
    assert_int_equal(polylines(c->buf, "train", 0, pts, 8), 1);
    assert_int_equal(pts[0], 10);
    /* the NaN at step 4 splits task 1 into 4 + 5 points */
    assert_int_equal(polylines(c->buf, "train", 1, pts, 8), 2);
    assert_int_equal(pts[0], 4);
    assert_int_equal(pts[1], 5);
    assert_int_equal(polylines(c->buf, "train", 2, pts, 8), 1);
    assert_int_equal(pts[0], 6);
    assert_int_equal(polylines(c->buf, "val", 0, pts, 8), 1);
    assert_int_equal(pts[0], 4); /* steps 0, 3, 6, 9 */
    assert_int_equal(polylines(c->buf, "val", 1, pts, 8), 0);
    for (int t = 0; t < 3; t++) {
        assert_int_equal(polylines(c->buf, "weight", t, pts, 8), 1);
        assert_int_equal(pts[0], 10);
    }
    /* legend: names escaped, aux marked, current values */
    assert_non_null(strstr(c->buf, ">age</text>"));
    assert_non_null(strstr(c->buf, ">gender &lt;&amp;&gt; &quot;x&quot;</text>"));
    assert_non_null(strstr(c->buf, ">pixels (aux)</text>"));
    assert_non_null(strstr(c->buf, "train 0.2  val 0.25  w 1<"));
    assert_non_null(strstr(c->buf, "hard sharing &amp; friends"));
    assert_non_null(strstr(c->buf, "weighting uncertainty"));
    /* validation dashed, auxiliary fainter */
    assert_non_null(strstr(c->buf, "data-task=\"0\" fill=\"none\" stroke=\"#1f77b4\" "
                                   "stroke-width=\"1.8\" stroke-dasharray"));
    assert_non_null(strstr(c->buf, "data-task=\"2\" fill=\"none\" stroke=\"#2ca02c\" "
                                   "stroke-width=\"1\" stroke-opacity=\"0.55\""));
}

/* A sweep's configuration (mtlab open on a sweep): each main task's band
 * of one sd, mean -/+ sd as dotted lines, and the y range holds its top. */
static void test_tui_svg_sweep_band(void **state)
{
    ctx *c = *state;
    render(c, NULL);
    assert_null(strstr(c->buf, "class=\"band\""));
    free(c->buf);
    c->buf = NULL;
    c->m.spread_n = 3;
    assert_int_equal(series_init(&c->m.train_lo[0], 16), MT_OK);
    assert_int_equal(series_init(&c->m.train_hi[0], 16), MT_OK);
    for (int s = 0; s < 10; s++) {
        series_push(&c->m.train_lo[0], s, 1.0 / (s + 1));
        series_push(&c->m.train_hi[0], s, 9.0 / (s + 1)); /* above every curve at step 0 */
    }
    render(c, NULL);
    assert_well_formed(c->buf);
    int pts[8];
    assert_int_equal(polylines(c->buf, "band", 0, pts, 8), 2);
    assert_int_equal(pts[0], 10);
    assert_int_equal(polylines(c->buf, "band", 2, pts, 8), 0); /* auxiliary: none */
    assert_non_null(strstr(c->buf, "stroke-dasharray=\"1,3\""));
    /* the top of the band is inside the panel: some tick reads 8 or more */
    assert_true(strstr(c->buf, ">8</text>") || strstr(c->buf, ">9</text>") || strstr(c->buf, ">10</text>"));
}

static void test_tui_svg_log_scale_and_zoom(void **state)
{
    ctx *c = *state;
    tui_svg_options o = { 800, 500, 1, 0 };
    render(c, &o);
    assert_well_formed(c->buf);
    int pts[8];
    /* log scale: the zero loss of task 2 (step 6) cannot be drawn and
     * breaks its line into 3 + 2 points */
    assert_int_equal(polylines(c->buf, "train", 2, pts, 8), 2);
    assert_int_equal(pts[0], 3);
    assert_int_equal(pts[1], 2);
    assert_non_null(strstr(c->buf, "loss (log scale)"));
    assert_non_null(strstr(c->buf, "width=\"800\" height=\"500\""));
    /* zoom on the last 4 steps: the newest point is task 2's step 10, so
     * x in [6, 10] keeps steps 6..9 of task 0 */
    tui_svg_options z = { 0, 0, 0, 4 };
    render(c, &z);
    assert_int_equal(polylines(c->buf, "train", 0, pts, 8), 1);
    assert_int_equal(pts[0], 4);
    assert_int_equal(polylines(c->buf, "val", 0, pts, 8), 1);
    assert_int_equal(pts[0], 2); /* steps 6 and 9 */
    /* all points lie inside the loss frame */
    const char *fr = strstr(c->buf, "<g id=\"loss\">\n<rect x=\"");
    assert_non_null(fr);
    double fx, fy, fw, fh;
    assert_int_equal(sscanf(fr, "<g id=\"loss\">\n<rect x=\"%lf\" y=\"%lf\" width=\"%lf\" height=\"%lf\"",
                            &fx, &fy, &fw, &fh), 4);
    const char *p = strstr(c->buf, "points=\"");
    double x, y;
    assert_int_equal(sscanf(p, "points=\"%lf,%lf", &x, &y), 2);
    assert_true(x >= fx - 0.05 && x <= fx + fw + 0.05 && y >= fy - 0.05 && y <= fy + fh + 0.05);
}

static void test_tui_svg_export_file(void **state)
{
    ctx *c = *state;
    char path[] = "/tmp/mtlab_svg_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(tui_export_svg(path, &c->m, NULL), MT_OK);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char head[64] = { 0 };
    assert_true(fread(head, 1, 38, f) == 38);
    fclose(f);
    assert_true(strncmp(head, "<?xml version=\"1.0\"", 19) == 0);
    remove(path);
    mt_clear_error();
    assert_int_equal(tui_export_svg("/nonexistent-dir/x.svg", &c->m, NULL), MT_ERR_IO);
    assert_non_null(strstr(mt_last_error(), "/nonexistent-dir/x.svg.tmp: cannot create"));
}

static void test_tui_compare_pareto(void **state)
{
    (void)state;
    /* (1,5) (2,2) (5,1) are a front; (3,3) is dominated by (2,2); (2,6)
     * by (1,5); a duplicate of a front point stays optimal; NaN never */
    double a[] = { 1, 2, 5, 3, 2, 2, NAN };
    double b[] = { 5, 2, 1, 3, 6, 2, 0 };
    int opt[7];
    assert_int_equal(compare_pareto(a, b, 7, opt), 4);
    const int want[] = { 1, 1, 1, 0, 0, 1, 0 };
    for (int i = 0; i < 7; i++) assert_int_equal(opt[i], want[i]);
    /* brute force against the definition on random points */
    srand(3);
    for (int trial = 0; trial < 50; trial++) {
        double x[12], y[12];
        int o[12];
        for (int i = 0; i < 12; i++) {
            x[i] = rand() % 6;
            y[i] = rand() % 6;
        }
        compare_pareto(x, y, 12, o);
        for (int i = 0; i < 12; i++) {
            int dominated = 0;
            for (int j = 0; j < 12; j++)
                dominated |= x[j] <= x[i] && y[j] <= y[i] && (x[j] + y[j] < x[i] + y[i]);
            assert_int_equal(o[i], !dominated);
        }
    }
}

/* A result with tasks a, b (main) and pixels (auxiliary). */
static void three_tasks(mt_run_result *r)
{
    memset(r, 0, sizeof *r);
    r->ntasks = 3;
    const char *names[] = {"a", "b", "pixels"};
    for (int k = 0; k < 3; k++) {
        snprintf(r->task[k], sizeof r->task[k], "%s", names[k]);
        snprintf(r->metric_name[k], sizeof r->metric_name[k], "%s", k == 0 ? "accuracy" : "mse");
        r->higher_better[k] = k == 0;
        for (int sp = 0; sp < MT_RES_SPLITS; sp++) r->loss[sp][k] = r->metric[sp][k] = NAN;
        r->loss[MT_RES_TRAIN][k] = 0.5 + k;
    }
    r->aux[2] = 1;
}

static void test_tui_compare_results_and_pick(void **state)
{
    (void)state;
    mt_run_result r[2];
    three_tasks(&r[0]);
    three_tasks(&r[1]);
    /* no run has validation numbers: the comparison opens on train */
    assert_int_equal(compare_default_split(r, 2), MT_RES_TRAIN);
    r[1].loss[MT_RES_VAL][1] = 0.25;
    r[1].metric[MT_RES_VAL][0] = 0.9;
    assert_int_equal(compare_default_split(r, 2), MT_RES_VAL);
    assert_true(compare_loss(&r[1], MT_RES_VAL, "b") == 0.25);
    assert_true(compare_metric(&r[1], MT_RES_VAL, "a") == 0.9);
    assert_true(compare_loss(&r[0], MT_RES_TRAIN, "pixels") == 2.5);
    assert_true(isnan(compare_loss(&r[0], MT_RES_VAL, "b")));
    assert_true(isnan(compare_loss(&r[0], MT_RES_TRAIN, "nope")));
    
    /* a metric column that would repeat the loss is left out */
    assert_false(compare_metric_is_loss(r, 2, MT_RES_VAL, "a")); /* accuracy 0.9 beside loss NaN */
    assert_true(compare_metric_is_loss(r, 2, MT_RES_TRAIN, "a"));  /* no train metric */
    r[0].loss[MT_RES_VAL][1] = 0.5;                                /* mse scored by the mse it trains on, */
    r[0].metric[MT_RES_VAL][1] = 0.5 * (1 + 1e-7);                 /* accumulated apart */
    assert_true(compare_metric_is_loss(r, 2, MT_RES_VAL, "b"));
    r[1].metric[MT_RES_VAL][1] = 0.3;                              /* one run differs: shown */
    assert_false(compare_metric_is_loss(r, 2, MT_RES_VAL, "b"));
    int ta = -1, tb = -1;
    assert_int_equal(compare_pick_tasks(&r[0], &ta, &tb), 2);
    assert_int_equal(ta, 0);
    assert_int_equal(tb, 1);
    /* the axes cycle through the tasks, never onto the other axis */
    assert_int_equal(compare_next_task(&r[0], 0, 1, 1), 2);
    assert_int_equal(compare_next_task(&r[0], 2, 1, 1), 0);
    assert_int_equal(compare_next_task(&r[0], 0, -1, 2), 1);
    assert_int_equal(compare_next_task(&r[0], -1, 1, -1), 0);
    /* with one main task, the auxiliary one completes the pair */
    r[0].aux[1] = 1;
    assert_int_equal(compare_pick_tasks(&r[0], &ta, &tb), 2);
    assert_int_equal(ta, 0);
    assert_int_equal(tb, 1);
    r[0].aux[0] = 1;
    r[0].aux[1] = 0;
    assert_int_equal(compare_pick_tasks(&r[0], &ta, &tb), 2);
    assert_int_equal(ta, 1);
    assert_int_equal(tb, 0);
}

/* The widest text a document draws: the largest x + 6.7 px per column
 * over its left-anchored <text> elements (end-anchored ones end at x). */
static double rightmost_text(const char *svg)
{
    double r = 0;
    for (const char *p = strstr(svg, "<text x=\""); p; p = strstr(p + 1, "<text x=\"")) {
        double x;
        if (sscanf(p, "<text x=\"%lf\"", &x) != 1) continue;
        const char *gt = strchr(p, '>'), *end = strstr(p, "</text>");
        if (!gt || !end) continue;
        int anchored = memchr(p, 'a', (size_t)(gt - p)) && strstr(p, "text-anchor") && strstr(p, "text-anchor") < gt;
        int cols = 0;
        for (const char *q = gt + 1; q < end; q++) {
            if (*q == '&') q = strchr(q, ';');
            if (((unsigned char)*q & 0xc0) != 0x80) cols++;
        }
        double right = anchored ? x : x + 6.7 * cols;
        if (right > r) r = right;
    }
    return r;
}

static double svg_width(const char *svg)
{
    double w = 0;
    const char *p = strstr(svg, "<svg ");
    assert_non_null(p);
    assert_int_equal(sscanf(strstr(p, "width=\""), "width=\"%lf\"", &w), 1);
    return w;
}

/* Method switches: a dashed line at their step on both time axes and a
 * legend entry each; a long task name widens the legend instead of being
 * cut; many tasks make the picture taller. */
static void test_tui_svg_marks_and_unclipped_legend(void **state)
{
    ctx *c = *state;
    monitor_mark(&c->m, 5, "uncertainty \xe2\x86\x92 pcgrad");
    monitor_mark(&c->m, 50, "outside the plotted steps");
    snprintf(c->m.task[0], sizeof c->m.task[0], "a rather long task name that would not fit the legend");
    render(c, NULL);
    assert_well_formed(c->buf);
    int lines = 0;
    for (const char *p = strstr(c->buf, "class=\"mark\""); p; p = strstr(p + 1, "class=\"mark\"")) lines++;
    assert_int_equal(lines, 2); /* step 5 on the loss and the weight axes; step 50 is beyond them */
    assert_non_null(strstr(c->buf, "uncertainty \xe2\x86\x92 pcgrad at step 5</text>"));
    assert_non_null(strstr(c->buf, "outside the plotted steps at step 50</text>"));
    assert_true(rightmost_text(c->buf) <= svg_width(c->buf));
}

static void test_tui_svg_panes(void **state)
{
    (void)state;
    /* a heatmap of tiny signed values zooms its colours and says so */
    mt_monitor m;
    const char *names[] = {"y1", "y2", "a much longer row label"};
    assert_int_equal(monitor_init(&m, 3, names, NULL, 16), MT_OK);
    mt_matrix *x = monitor_matrix(&m, "transfer affinity", 3, 3, names, names);
    assert_non_null(x);
    double v[9] = {0.01, 3e-4, -2e-4, 1e-4, 0.02, 5e-5, -4e-4, 2e-4, 0.015};
    memcpy(x->v, v, sizeof v);
    x->lo = -1;
    x->hi = 1;
    x->valid = 1;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(tui_svg_matrix(f, x, x->v, x->name, "the update of step 7"), MT_OK);
    fclose(f);
    assert_well_formed(buf);
    int cells = 0;
    for (const char *p = strstr(buf, "class=\"cell\""); p; p = strstr(p + 1, "class=\"cell\"")) cells++;
    assert_int_equal(cells, 9);
    assert_non_null(strstr(buf, ">3e-4</text>"));
    assert_non_null(strstr(buf, "the colours span \xc2\xb1" "4e-4, not \xc2\xb1" "1"));
    assert_true(rightmost_text(buf) <= svg_width(buf));
    free(buf);
    /* text kept whole */
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(tui_svg_text_pane(f, "topology", "input 32\n  | trunk.0  dense 64 <shared>\n", 0), MT_OK);
    fclose(f);
    assert_well_formed(buf);
    assert_non_null(strstr(buf, "  | trunk.0  dense 64 &lt;shared&gt;</text>"));
    free(buf);
    /* the comparison: the table's numbers, the scatter's optimal points, the curves */
    mt_run_result r[3];
    for (int e = 0; e < 3; e++) {
        result_clear(&r[e]);
        snprintf(r[e].name, sizeof r[e].name, "run number %d with a long name", e + 1);
        snprintf(r[e].status, sizeof r[e].status, "finished");
        r[e].ntasks = 2;
        snprintf(r[e].task[0], sizeof r[e].task[0], "y1");
        snprintf(r[e].task[1], sizeof r[e].task[1], "y2");
        snprintf(r[e].metric_name[0], 16, "accuracy");
        snprintf(r[e].metric_name[1], 16, "loss");
        r[e].loss[MT_RES_VAL][0] = 1.0 + e;
        r[e].loss[MT_RES_VAL][1] = 3.0 - e * (e == 2 ? 0.5 : 1.0); /* run 3 dominated by run 2? (3, 2) vs (2, 2): yes */
        r[e].metric[MT_RES_VAL][0] = 0.5 + 0.125 * e;
    }
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(tui_svg_compare_table(f, r, 3, MT_RES_VAL, 0), MT_OK);
    fclose(f);
    assert_well_formed(buf);
    assert_non_null(strstr(buf, ">0.625</text>"));
    assert_non_null(strstr(buf, "run number 3 with a long name</text>"));
    assert_true(rightmost_text(buf) <= svg_width(buf));
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(tui_svg_compare_scatter(f, r, 3, MT_RES_VAL, "y1", "y2"), MT_OK);
    fclose(f);
    assert_well_formed(buf);
    int opt = 0, dom = 0;
    for (const char *p = strstr(buf, "class=\"pareto\""); p; p = strstr(p + 1, "class=\"pareto\"")) opt++;
    for (const char *p = strstr(buf, "class=\"dominated\""); p; p = strstr(p + 1, "class=\"dominated\"")) dom++;
    assert_int_equal(opt, 2);
    assert_int_equal(dom, 1);
    assert_true(rightmost_text(buf) <= svg_width(buf));
    free(buf);
    const mt_monitor *ms[3] = {&m, &m, &m};
    for (int s = 0; s < 5; s++) series_push(&m.train_loss[0], s, 1.0 / (s + 1));
    monitor_mark(&m, 2, "equal \xe2\x86\x92 mgda");
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(tui_svg_compare_curves(f, ms, r, 3, "y1", 0, 0, 0), MT_OK);
    fclose(f);
    assert_well_formed(buf);
    assert_non_null(strstr(buf, "data-experiment=\"2\""));
    assert_non_null(strstr(buf, "equal \xe2\x86\x92 mgda at 2</text>"));
    assert_true(rightmost_text(buf) <= svg_width(buf));
    assert_null(strstr(buf, "class=\"band\""));
    free(buf);
    /* a sweep's configuration (mtlab open on a sweep): a shaded band of one
     * sd around the mean, one polygon per configuration, under the curves */
    m.spread_n = 3;
    assert_int_equal(series_init(&m.train_lo[0], 8), MT_OK);
    assert_int_equal(series_init(&m.train_hi[0], 8), MT_OK);
    for (int s = 0; s < 5; s++) {
        series_push(&m.train_lo[0], s, 0.5 / (s + 1));
        series_push(&m.train_hi[0], s, 2.0 / (s + 1));
    }
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(tui_svg_compare_curves(f, ms, r, 3, "y1", 0, 0, 0), MT_OK);
    fclose(f);
    assert_well_formed(buf);
    int bands = 0;
    for (const char *q = strstr(buf, "<polygon class=\"band\""); q; q = strstr(q + 1, "<polygon class=\"band\"")) bands++;
    assert_int_equal(bands, 3);
    assert_true(strstr(buf, "<polygon class=\"band\"") < strstr(buf, "<polyline"));
    assert_non_null(strstr(buf, "every configuration: mean, shaded +-1 sd over the seeds"));
    /* its points: 5 along the upper edge and 5 back along the lower */
    const char *pts = strstr(strstr(buf, "<polygon class=\"band\""), "points=\"");
    int commas = 0;
    for (const char *q = pts; *q && *q != '/'; q++) commas += *q == ',';
    assert_int_equal(commas, 10);
    free(buf);
    /* on a log axis too */
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(tui_svg_compare_curves(f, ms, r, 3, "y1", 0, 0, 1), MT_OK);
    fclose(f);
    assert_well_formed(buf);
    assert_non_null(strstr(buf, "<polygon class=\"band\""));
    free(buf);
    monitor_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tui_svg_polylines_and_legend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_svg_log_scale_and_zoom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_svg_sweep_band, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_svg_export_file, setup, teardown),
        cmocka_unit_test(test_tui_compare_pareto),
        cmocka_unit_test_setup_teardown(test_tui_svg_marks_and_unclipped_legend, setup, teardown),
        cmocka_unit_test(test_tui_svg_panes),
        cmocka_unit_test(test_tui_compare_results_and_pick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
