/* test_e2e_course.c - the workbench as a classroom: the landscape drawn
 * with every method's path (headless landscape.svg and the pane under
 * tmux, with `e`), `f` enlarging a pane, and `mtlab learn` driven through
 * every lesson to its end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <dirent.h>
#include <math.h>

#include "e2e_util.h"
#include "tmux_util.h"
#include "lua/mtlua.h"
#include "run/trainer.h"
#include "tui/svg.h"

/* ---- run folders ------------------------------------------------------- */

typedef struct {
    char name[160];
    double x[2];  /* the last recorded position */
    double x0[2]; /* the first point of the path: the start */
} run_end;

/* The last "position" of dir/relations.jsonl into x; 0 when none. */
static int last_position(const char *dir, double *x)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/relations.jsonl", dir);
    char *s = e2e_read(p);
    if (!s) return 0;
    int found = 0;
    for (char *line = s; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (strstr(line, "\"position\"")) {
            cJSON *o = cJSON_Parse(line);
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
            if (cJSON_IsString(nm) && strcmp(nm->valuestring, "position") == 0) {
                const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "values"), 0);
                x[0] = cJSON_GetArrayItem(row, 0)->valuedouble;
                x[1] = cJSON_GetArrayItem(row, 1)->valuedouble;
                found = 1;
            }
            cJSON_Delete(o);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(s);
    return found;
}

/* The name of the run in dir once it has ended. */
static int run_name(const char *dir, char *out, size_t n)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/summary.json", dir);
    char *s = e2e_read(p);
    if (!s) return 0;
    cJSON *o = cJSON_Parse(s);
    free(s);
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
    int ok = cJSON_IsString(nm) && cJSON_IsString(st) && strcmp(st->valuestring, "running") != 0; /* ended */
    if (ok) snprintf(out, n, "%s", nm->valuestring);
    cJSON_Delete(o);
    return ok;
}

/* The sub-folders of out that hold a finished run: name and end point. */
static int run_ends(const char *out, run_end *r, int max)
{
    DIR *d = opendir(out);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.') continue;
        char dir[1200];
        snprintf(dir, sizeof dir, "%s/%s", out, e->d_name);
        if (!run_name(dir, r[n].name, sizeof r[n].name) || !last_position(dir, r[n].x)) continue;
        n++;
    }
    closedir(d);
    return n;
}

/* ---- SVG paths ------------------------------------------------------------ */

typedef struct {
    char run[160], method[64], dash[64];
    double first[2], last[2];
    int n;
} svg_path;

/* The value of attribute `name` in the tag starting at tag (up to '>'). */
static int attr(const char *tag, const char *name, char *out, size_t n)
{
    const char *end = strchr(tag, '>');
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *a = strstr(tag, key);
    if (!a || (end && a > end)) return 0;
    a += strlen(key);
    const char *b = strchr(a, '"');
    if (!b) return 0;
    snprintf(out, n, "%.*s", (int)(b - a), a);
    return 1;
}

/* Every <polyline class="path"> of the SVG text: its run, method, dash
 * pattern, first and last point. */
static int svg_paths(const char *svg, svg_path *p, int max)
{
    int n = 0;
    static char pts[1 << 20];
    for (const char *t = strstr(svg, "<polyline class=\"path\""); t && n < max;
         t = strstr(t + 1, "<polyline class=\"path\"")) {
        svg_path *q = &p[n];
        memset(q, 0, sizeof *q);
        attr(t, "data-run", q->run, sizeof q->run);
        attr(t, "data-method", q->method, sizeof q->method);
        attr(t, "stroke-dasharray", q->dash, sizeof q->dash);
        if (!attr(t, "points", pts, sizeof pts)) continue;
        char *s = pts;
        double x, y;
        int used;
        while (sscanf(s, " %lf,%lf%n", &x, &y, &used) == 2) {
            if (q->n == 0) q->first[0] = x, q->first[1] = y;
            q->last[0] = x, q->last[1] = y;
            q->n++;
            s += used;
        }
        n++;
    }
    return n;
}

static const svg_path *path_of(const svg_path *p, int n, const char *run)
{
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].run, run) == 0) return &p[i];
    return NULL;
}

static void assert_near(double a, double b, const char *what, const char *run)
{
    if (!(fabs(a - b) <= 1e-6 * (1 + fabs(b)))) fail_msg("%s: %s %.9g, recorded %.9g", run, what, a, b);
}

/* Every run's path in the SVG ends where its run recorded its last
 * position, and starts at the start its name gives. */
static void check_paths_end_where_recorded(const char *svg_file, const run_end *r, int nr, int want_paths)
{
    char *svg = e2e_read(svg_file);
    if (!svg) fail_msg("no %s", svg_file);
    static svg_path p[64];
    int np = svg_paths(svg, p, 64);
    assert_int_equal(np, want_paths);
    assert_non_null(strstr(svg, "class=\"pareto\""));
    for (int i = 0; i < nr; i++) {
        const svg_path *q = path_of(p, np, r[i].name);
        if (!q) fail_msg("%s: no path for run \"%s\"", svg_file, r[i].name);
        assert_true(q->n >= 3);
        assert_near(q->last[0], r[i].x[0], "path ends at x1", r[i].name);
        assert_near(q->last[1], r[i].x[1], "path ends at x2", r[i].name);
        double sx, sy; /* "<method> from (x1, x2)" */
        const char *from = strstr(r[i].name, " from (");
        assert_non_null(from);
        assert_int_equal(sscanf(from, " from (%lf, %lf)", &sx, &sy), 2);
        assert_near(q->first[0], sx, "path starts at x1", r[i].name);
        assert_near(q->first[1], sy, "path starts at x2", r[i].name);
    }
    free(svg);
}

/* ---- the landscape ---------------------------------------------------------- */

/* Experiment 40 run headless to its end (each run 20000 steps instead of
 * 100000, to spare the machine: the picture's faithfulness does not
 * depend on the budget): landscape.svg holds every run's path, each
 * ending where the run recorded its last position (also the runs that
 * end with an error), one dash pattern per method; each run's folder has
 * its own picture too. */
static void test_e2e_course_landscape_headless(void **state)
{
    (void)state;
    char args[1200], out[700];
    snprintf(args, sizeof args, "run '%s/experiments/40_landscape_combiners.lua' --out l40 -q --set train.steps=20000",
             MTLAB_ROOT);
    char *o = NULL, *e = NULL;
    int rc = e2e_run(args, &o, &e);
    /* 1: a nash_mtl or imtl_g run ended with its error; 3: the claim is
     * about the full budget */
    if (rc != 0 && rc != 1 && rc != 3) fail_msg("exit %d\n%s", rc, e ? e : "");
    free(o);
    free(e);
    snprintf(out, sizeof out, "%s/l40", e2e_tmpdir());
    static run_end r[64];
    int nr = run_ends(out, r, 64);
    assert_int_equal(nr, 30);
    char svg[800];
    snprintf(svg, sizeof svg, "%s/landscape.svg", out);
    check_paths_end_where_recorded(svg, r, nr, 30);
    /* six methods, each its own dash pattern */
    char *text = e2e_read(svg);
    static svg_path p[64];
    int np = svg_paths(text, p, 64);
    char methods[8][64], dash[8][64];
    int nm = 0;
    for (int i = 0; i < np; i++) {
        int k = 0;
        while (k < nm && strcmp(methods[k], p[i].method) != 0) k++;
        if (k == nm) {
            assert_true(nm < 8);
            snprintf(methods[nm], 64, "%s", p[i].method);
            snprintf(dash[nm++], 64, "%s", p[i].dash);
        } else {
            assert_string_equal(dash[k], p[i].dash);
        }
    }
    assert_int_equal(nm, 6);
    for (int a = 0; a < nm; a++)
        for (int b = a + 1; b < nm; b++) assert_string_not_equal(dash[a], dash[b]);
    free(text);
    /* and one run's own picture */
    DIR *d = opendir(out);
    struct dirent *de;
    int checked = 0;
    while ((de = readdir(d)) && !checked) {
        if (strncmp(de->d_name, "01-", 3) != 0) continue;
        char dir[1200], one[1300];
        snprintf(dir, sizeof dir, "%s/%s", out, de->d_name);
        run_end r1;
        assert_true(run_name(dir, r1.name, sizeof r1.name) && last_position(dir, r1.x));
        snprintf(one, sizeof one, "%s/landscape.svg", dir);
        check_paths_end_where_recorded(one, &r1, 1, 1);
        checked = 1;
    }
    closedir(d);
    assert_true(checked);
}

/* The pane on the screen: after experiment 40 (short runs) ends, the
 * matrix pane shows the plane with every method in the legend; `f`
 * enlarges it to the whole screen and again returns; `e` writes the same
 * picture, whose paths end where the runs recorded their ends. */
static void test_e2e_course_landscape_screen(void **state)
{
    (void)state;
    char args[1200], out[700];
    snprintf(args, sizeof args,
             "'%s/experiments/40_landscape_combiners.lua' --out w40 --no-color --set train.steps=3000 "
             "--set train.eval_every=250",
             MTLAB_ROOT);
    tmux_start(120, 40, args);
    snprintf(out, sizeof out, "%s/w40", e2e_tmpdir());
    static run_end r[64];
    int nr = 0;
    for (double t = 0; t < 120 && nr < 30; t += 0.5) {
        usleep(500000);
        nr = run_ends(out, r, 64);
    }
    assert_int_equal(nr, 30);
    char *s = tmux_wait_for("landscape: f1 + f2", 10);
    assert_non_null(strstr(s, "landscape: f1 + f2"));
    free(s);
    tmux("send-keys -t wb Tab"); /* focus: the matrix pane */
    usleep(300000);
    tmux("send-keys -t wb f");
    s = tmux_wait_gone(" console ", 5); /* the other panes and the header go; a hint line stays */
    assert_non_null(strstr(s, "f back to every pane"));
    assert_null(strstr(s, "mtlab ["));
    static const char *const legend[] = {"o equal", "+ mgda", "x pcgrad", "* cagrad", "# nash_mtl", "% imtl_g",
                                         "Pareto set"};
    for (size_t i = 0; i < sizeof legend / sizeof *legend; i++)
        if (!strstr(s, legend[i])) fail_msg("no \"%s\" in the enlarged pane:\n%s", legend[i], s);
    assert_null(strstr(s, " notes "));
    assert_null(strstr(s, " topology "));
    free(s);
    tmux("send-keys -t wb e");
    s = tmux_wait_for("exported", 10);
    assert_non_null(strstr(s, "landscape-step"));
    free(s);
    tmux("send-keys -t wb f"); /* back */
    s = tmux_wait_for(" console ", 5);
    assert_non_null(strstr(s, " notes "));
    free(s);
    /* the exported picture is in the shown run's folder */
    DIR *d = opendir(out);
    struct dirent *de;
    char svg[1400] = "";
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "01-", 3) == 0) {
            char sub[1200];
            snprintf(sub, sizeof sub, "%s/%s", out, de->d_name);
            DIR *d2 = opendir(sub);
            struct dirent *f;
            while (d2 && (f = readdir(d2)))
                if (strncmp(f->d_name, "landscape-step", 14) == 0) snprintf(svg, sizeof svg, "%s/%s", sub, f->d_name);
            if (d2) closedir(d2);
        }
    closedir(d);
    if (!svg[0]) fail_msg("no landscape-step*.svg in the first run's folder");
    check_paths_end_where_recorded(svg, r, nr, 30);
    tmux("send-keys -t wb q");
    /* 0, or 3: the script's claim is about the full budget, not 3000 steps */
    int code = -1;
    for (double t = 0; t < 20 && code < 0; t += 0.2) {
        s = tmux_capture();
        for (const char *ex = strstr(s, "MTLAB_EXITED="); ex; ex = strstr(ex + 1, "MTLAB_EXITED="))
            if (ex[13] >= '0' && ex[13] <= '9') code = atoi(ex + 13);
        free(s);
        if (code < 0) usleep(200000);
    }
    if (code != 0 && code != 3) fail_msg("the workbench exited with %d", code);
}

/* The step counter "step N/M" of the header, or -1. */
static long header_step(const char *screen)
{
    const char *p = strstr(screen, "step ");
    while (p) {
        char *end;
        long v = strtol(p + 5, &end, 10);
        if (end != p + 5 && *end == '/') return v;
        p = strstr(p + 5, "step ");
    }
    return -1;
}

/* The tour (make run) starts in slow motion, says so in the header, and
 * goes to full speed by itself after its train.pace (here shortened to
 * step 400 with --set). */
static void test_e2e_course_tour_pace(void **state)
{
    (void)state;
    char args[1200];
    snprintf(args, sizeof args,
             "'%s/experiments/00_workbench_tour.lua' --out tour --set 'train.pace={speed = 100, until_step = 400}'",
             MTLAB_ROOT);
    tmux_start(120, 40, args);
    char *s = tmux_wait_for("slow motion to step 400, then full speed", 15);
    assert_non_null(strstr(s, "slow motion to step 400, then full speed"));
    free(s);
    /* the tour's targets carry noise of sd 0.05: the loss legend names the floor */
    s = tmux_wait_for("noise floor 2.5e-3", 10);
    assert_non_null(strstr(s, "noise floor 2.5e-3"));
    free(s);
    usleep(1000000);
    s = tmux_capture();
    long a = header_step(s);
    free(s);
    assert_true(a > 0 && a < 400); /* about 100 a second */
    s = tmux_wait_for("full speed since step 400", 20);
    assert_non_null(strstr(s, "full speed since step 400"));
    free(s);
    usleep(1000000);
    s = tmux_capture();
    long b = header_step(s);
    free(s);
    assert_true(b > 1000); /* far faster than 100 a second */
    tmux("send-keys -t wb q");
    usleep(300000);
    tmux("send-keys -t wb y");
    s = tmux_wait_for("MTLAB_EXITED=0", 20);
    assert_non_null(strstr(s, "MTLAB_EXITED=0"));
    free(s);
}

/* ---- reference lines ------------------------------------------------------ */

/* The monitor of experiment 1 of script after trainer_new. */
static void reference_levels(const char *script, mt_monitor *m)
{
    mtlua_session *s;
    if (mtlua_open(script, NULL, 0, &s)) fail_msg("%s", mt_last_error());
    const mt_experiment *x = mtlua_experiment(s, 0);
    const char *names[MT_MAX_TASKS];
    for (int k = 0; k < x->ntasks; k++) names[k] = x->task[k].name;
    assert_int_equal(monitor_init(m, x->ntasks, names, NULL, 64), MT_OK);
    mt_trainer *t;
    if (trainer_new(x, m, &t)) fail_msg("%s", mt_last_error());
    trainer_free(t);
    mtlua_close(s);
}

/* The loss plot's reference lines: Kendall's toy has label noise of
 * variance 100 and 1 (the MSE floors), a K-class task has chance level
 * log K; the SVG of the loss plot draws them. */
static void test_e2e_course_reference_lines(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/experiments/41_kendall_uncertainty.lua", MTLAB_ROOT);
    static mt_monitor m;
    reference_levels(path, &m);
    assert_float_equal(m.ref_level[0], 100.0, 0);
    assert_float_equal(m.ref_level[1], 1.0, 0);
    assert_string_equal(m.ref_label[0], "noise floor");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    series_push(&m.train_loss[0], 1, 150);
    series_push(&m.train_loss[0], 2, 120);
    series_push(&m.train_loss[1], 1, 3);
    series_push(&m.train_loss[1], 2, 2);
    assert_int_equal(tui_svg_write(f, &m, NULL), MT_OK);
    fclose(f);
    assert_non_null(strstr(buf, "class=\"reference\" data-task=\"0\""));
    assert_non_null(strstr(buf, "class=\"reference\" data-task=\"1\""));
    assert_non_null(strstr(buf, "noise floor y1"));
    free(buf);
    monitor_free(&m);
    const char *cls = e2e_write("classes.lua",
        "local mtl = require 'mtl'\n"
        "local data = mtl.data.generate { n = 60, fn = function(i)\n"
        "  return { i % 7, i % 3 }, { digit = i % 10, y = i / 60 } end,\n"
        "  types = { digit = 'class', y = 'regress' } }\n"
        "return mtl.experiment { name = 'chance', data = data,\n"
        "  tasks = { mtl.task.classify { name = 'digit', classes = 10 }, mtl.task.regress { name = 'y' } },\n"
        "  topology = mtl.share.hard { trunk = { 4 } }, train = { batch = 8, steps = 2 } }\n");
    reference_levels(cls, &m);
    assert_float_equal(m.ref_level[0], log(10.0), 1e-12);
    assert_string_equal(m.ref_label[0], "chance");
    assert_true(isnan(m.ref_level[1])); /* data from a function: its noise is not known */
    monitor_free(&m);
}

/* ---- the lessons ------------------------------------------------------------ */

/* The lesson files of experiments/lessons: how many. */
static int count_lessons(void)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/experiments/lessons", MTLAB_ROOT);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        n += len > 4 && strcmp(e->d_name + len - 4, ".lua") == 0;
    }
    closedir(d);
    return n;
}

/* `mtlab learn` driven by keys through every lesson to its end, as a
 * student would: enter takes the lesson the menu offers (after a lesson
 * it offers the next), space walks the steps (showing each question's
 * answer first), and the end checks the script's claim live: it must
 * hold. --speed 0 keeps it fast (the lessons' slow motion is skipped). */
static void test_e2e_course_learn_every_lesson(void **state)
{
    (void)state;
    int n = count_lessons();
    assert_true(n >= 7); /* one per survey section 3-7, one on weighting, one on gradient combination */
    char args[1200];
    snprintf(args, sizeof args, "learn '%s/experiments/lessons' --out lessons --speed 0 --no-color", MTLAB_ROOT);
    tmux_start(120, 40, args);
    int answers = 0;
    static const char *const sections[] = {"section 3", "section 4", "section 5", "section 6", "section 7", "weighting",
                                           "combination"};
    int seen_section[7] = {0};
    for (int k = 0; k < n; k++) {
        char *s = tmux_wait_for("mtlab learn:", 20); /* the menu */
        if (!strstr(s, "mtlab learn:")) fail_msg("lesson %d: no menu", k + 1);
        free(s);
        tmux("send-keys -t wb Enter");
        s = tmux_wait_for(", step 1/", 30);
        if (!strstr(s, ", step 1/")) fail_msg("lesson %d did not start", k + 1);
        for (int j = 0; j < 7; j++)
            if (strstr(s, sections[j])) seen_section[j] = 1;
        free(s);
        int steps_seen = 1, ended = 0;
        if (k == 0) { /* backspace goes back a step, and the runs stay where they are */
            tmux("send-keys -t wb Space");
            free(tmux_wait_for(", step 2/", 10));
            tmux("send-keys -t wb BSpace");
            s = tmux_wait_for(", step 1/", 10);
            if (!strstr(s, ", step 1/")) fail_msg("backspace did not go back to step 1");
            free(s);
        }
        for (int press = 0; press < 80 && !ended; press++) {
            tmux("send-keys -t wb Space");
            usleep(400000);
            s = tmux_capture();
            if (strstr(s, "Answer:")) answers++;
            if (strstr(s, ": the claim")) {
                free(s);
                s = tmux_wait_for("the lesson's claim", 120); /* every run to its end, then the verdict */
                /* the header says it, the notes pane gives the verdict's numbers */
                if (!strstr(s, "the lesson's claim held") || !strstr(s, "claim held: "))
                    fail_msg("lesson %d: the claim did not hold:\n%s", k + 1, s);
                ended = 1;
            } else {
                steps_seen++;
            }
            free(s);
        }
        if (!ended) fail_msg("lesson %d never reached its end", k + 1);
        assert_true(steps_seen >= 3);
        tmux("send-keys -t wb Space"); /* back to the menu */
    }
    for (int j = 0; j < 7; j++)
        if (!seen_section[j]) fail_msg("no lesson for %s", sections[j]);
    assert_true(answers >= n); /* every lesson asks at least one question */
    char *s = tmux_wait_for("mtlab learn:", 20);
    free(s);
    tmux("send-keys -t wb q");
    s = tmux_wait_for("MTLAB_EXITED=0", 20);
    assert_non_null(strstr(s, "MTLAB_EXITED=0"));
    free(s);
    /* every lesson recorded its runs */
    char dir[700];
    snprintf(dir, sizeof dir, "%s/lessons", e2e_tmpdir());
    DIR *d = opendir(dir);
    assert_non_null(d);
    int folders = 0;
    struct dirent *e;
    while ((e = readdir(d))) folders += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(folders, n);
}


/* q in a lesson asks what it does (leave the lesson for the menu), n
 * stays, y goes back to the menu, whose bottom line says q quits; q
 * there quits mtlab. */
static void test_e2e_course_learn_quit_question(void **state)
{
    (void)state;
    char args[1200];
    snprintf(args, sizeof args, "learn '%s/experiments/lessons' --out lessons_q --speed 0 --no-color", MTLAB_ROOT);
    tmux_start(80, 24, args);
    char *s = tmux_wait_for("q quit mtlab", 20); /* the menu says what q does there */
    assert_non_null(strstr(s, "mtlab learn:"));
    assert_non_null(strstr(s, "q quit mtlab"));
    /* a summary too long for 80 columns is shortened in its middle: the
     * experiment it names, at its end, stays readable */
    assert_non_null(strstr(s, "(10_soft_sharing)"));
    assert_non_null(strstr(s, "(31_mean_regularised)"));
    free(s);
    tmux("send-keys -t wb Enter");
    free(tmux_wait_for(", step 1/", 30));
    tmux("send-keys -t wb q");
    s = tmux_wait_for("Leave the lesson for the menu? (y/n)", 10);
    if (!strstr(s, "Leave the lesson for the menu? (y/n)")) fail_msg("q in a lesson asked nothing:\n%s", s);
    assert_non_null(strstr(s, "q in the menu quits mtlab"));
    assert_null(strstr(s, "Quit? (y/n)"));
    free(s);
    tmux("send-keys -t wb n"); /* stay */
    s = tmux_wait_gone("Leave the lesson", 10);
    assert_null(strstr(s, "Leave the lesson"));
    assert_null(strstr(s, "mtlab learn:"));
    free(s);
    tmux("send-keys -t wb q");
    free(tmux_wait_for("Leave the lesson for the menu?", 10));
    tmux("send-keys -t wb y");
    s = tmux_wait_for("mtlab learn:", 20);
    if (!strstr(s, "mtlab learn:")) fail_msg("y did not go back to the menu:\n%s", s);
    assert_null(strstr(s, "MTLAB_EXITED"));
    free(s);
    tmux("send-keys -t wb q");
    s = tmux_wait_for("MTLAB_EXITED=0", 20);
    assert_non_null(strstr(s, "MTLAB_EXITED=0"));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_course_landscape_headless),
        cmocka_unit_test(test_e2e_course_landscape_screen),
        cmocka_unit_test(test_e2e_course_tour_pace),
        cmocka_unit_test(test_e2e_course_reference_lines),
        cmocka_unit_test(test_e2e_course_learn_quit_question),
        cmocka_unit_test(test_e2e_course_learn_every_lesson),
    };
    /* MTLAB_TEST_FILTER=test_e2e_course_learn_quit* runs the matching tests only */
    if (getenv("MTLAB_TEST_FILTER")) cmocka_set_test_filter(getenv("MTLAB_TEST_FILTER"));
    return cmocka_run_group_tests(tests, tmux_group_setup, tmux_group_teardown);
}
