/* test_tui_band.c - the posterior band of a non-graph model: recognising
 * the matrix, its extent, the SVG (every band, mean and data point where
 * the axes put it), the atomic export, and the band in the matrix pane of
 * the real screen (written to a file). */
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
#include <wchar.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "tui/pane_band.h"
#include "tui/screen_int.h" /* the focus, to move it to the matrix pane */
#include "tui/tui.h"

#define G MT_MON_BAND_GRID

/* Two tasks on [-2, 2]: A = sin(x) with sd 0.2 and 5 points on it, B =
 * sin(x) + 1 with sd 0.1 and 30 points. */
static mt_matrix *make_band(mt_monitor *m)
{
    static const char *const names[] = {"A", "B"};
    assert_int_equal(monitor_init(m, 2, names, NULL, 100), MT_OK);
    const char *rl[9] = {"x", "A mean", "A sd", "A data x", "A data y", "B mean", "B sd", "B data x", "B data y"};
    mt_matrix *b = monitor_matrix(m, MT_MON_BAND, 9, G, rl, NULL);
    assert_non_null(b);
    for (int j = 0; j < G; j++) b->v[j] = -2 + 4.0 * j / (G - 1);
    for (int t = 0; t < 2; t++) {
        double *mu = b->v + (size_t)(1 + 4 * t) * G, *sd = mu + G, *px = sd + G, *py = px + G;
        int npts = t == 0 ? 5 : 30;
        for (int j = 0; j < G; j++) {
            mu[j] = sin(b->v[j]) + t;
            sd[j] = t == 0 ? 0.2 : 0.1;
            px[j] = j < npts ? -1.9 + 3.8 * j / (npts - 1) : NAN;
            py[j] = j < npts ? sin(px[j]) + t : NAN;
        }
    }
    b->valid = 1;
    b->step = 42;
    return b;
}

static void test_tui_band_matrix_and_extent(void **state)
{
    (void)state;
    mt_monitor m;
    mt_matrix *b = make_band(&m);
    assert_true(band_valid(b));
    assert_int_equal(band_tasks(b), 2);
    char name[64];
    band_task_name(b, 1, name, sizeof name);
    assert_string_equal(name, "B");
    double x0, x1, y0, y1;
    assert_true(band_extent(b, &x0, &x1, &y0, &y1));
    assert_true(x0 == -2 && x1 == 2);
    /* A's lowest mean - 2 sd is near sin(-pi/2) - 0.4, B's highest mean + 2 sd near 2.2 */
    assert_true(fabs(y0 + 1.4) < 0.01 && fabs(y1 - 2.2) < 0.01);
    /* not a band: another name, or rows that do not fit the layout */
    mt_matrix *c = monitor_matrix(&m, "task correlation", 2, 2, NULL, NULL);
    c->valid = 1;
    assert_false(band_valid(c));
    b->valid = 0;
    assert_false(band_valid(b));
    monitor_free(&m);
}

/* Reads the numbers after `key="` in s. */
static double attr(const char *s, const char *key)
{
    char k[32];
    snprintf(k, sizeof k, " %s=\"", key);
    const char *p = strstr(s, k);
    assert_non_null(p);
    return atof(p + strlen(k));
}

static void test_tui_band_svg(void **state)
{
    (void)state;
    mt_monitor m;
    mt_matrix *b = make_band(&m);
    FILE *f = tmpfile();
    assert_int_equal(band_svg_write(f, b, "transfer <A & B>", 0, 0), MT_OK);
    long n = ftell(f);
    rewind(f);
    char *s = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), n);
    fclose(f);
    assert_non_null(strstr(s, "transfer &lt;A &amp; B&gt;"));
    assert_non_null(strstr(s, "step 42"));
    int bands = 0, means = 0, circles[2] = {0, 0};
    /* the frame: 64..764 in x for x in [-2, 2], the y range padded */
    for (const char *p = s; (p = strstr(p, "<circle class=\"data\"")); p++) {
        int t = (int)attr(p, "data-task");
        circles[t]++;
        double cx = attr(p, "cx");
        /* the k-th point of the task is at x = -1.9 + 3.8 k / (n - 1) */
        double x = -2 + (cx - 64) / 700 * 4;
        int npts = t == 0 ? 5 : 30, k = circles[t] - 1;
        assert_true(fabs(x - (-1.9 + 3.8 * k / (npts - 1))) < 0.01);
    }
    for (const char *p = s; (p = strstr(p, "<polygon class=\"band\"")); p++) {
        bands++;
        /* 2 G vertices: the upper edge forward, the lower back */
        const char *q = strstr(p, "points=\"");
        int commas = 0;
        for (q += 8; *q != '"'; q++) commas += *q == ',';
        assert_int_equal(commas, 2 * G);
    }
    for (const char *p = s; (p = strstr(p, "<polyline class=\"mean\"")); p++) means++;
    assert_int_equal(bands, 2);
    assert_int_equal(means, 2);
    assert_int_equal(circles[0], 5);
    assert_int_equal(circles[1], 30);
    free(s);
    /* a task without variances (kernel ridge) has a mean and no band */
    for (int j = 0; j < G; j++) b->v[2 * G + j] = NAN;
    f = tmpfile();
    assert_int_equal(band_svg_write(f, b, NULL, 0, 0), MT_OK);
    n = ftell(f);
    rewind(f);
    s = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), n);
    fclose(f);
    bands = 0;
    for (const char *p = s; (p = strstr(p, "<polygon class=\"band\"")); p++) bands++;
    assert_int_equal(bands, 1);
    free(s);
    /* the export is atomic and says what went wrong */
    char path[64];
    snprintf(path, sizeof path, "/tmp/mtlab-band-%d.svg", (int)getpid());
    assert_int_equal(band_export_svg(path, b, "x"), MT_OK);
    assert_int_equal(access(path, R_OK), 0);
    remove(path);
    assert_int_equal(band_export_svg("/nonexistent-dir/band.svg", b, "x"), MT_ERR_IO);
    assert_non_null(strstr(mt_last_error(), "/nonexistent-dir/band.svg"));
    b->valid = 0;
    f = tmpfile();
    assert_int_equal(band_svg_write(f, b, NULL, 0, 0), MT_ERR_ARG);
    fclose(f);
    monitor_free(&m);
}

/* What curses believes is on the terminal, row by row, and the number of
 * cells holding ch. */
static int screen_count(wchar_t ch, const wchar_t *needle, int *found)
{
    int n = 0;
    *found = 0;
    for (int y = 0; y < getmaxy(curscr); y++) {
        wchar_t row[512];
        int cols = getmaxx(curscr) < 511 ? getmaxx(curscr) : 511;
        for (int x = 0; x < cols; x++) {
            cchar_t cc;
            wchar_t wch[CCHARW_MAX + 1] = {0};
            attr_t a;
            short pair;
            mvwin_wch(curscr, y, x, &cc);
            getcchar(&cc, wch, &a, &pair, NULL);
            row[x] = wch[0] ? wch[0] : L' ';
            n += row[x] == ch;
        }
        row[cols] = L'\0';
        if (wcsstr(row, needle)) *found = 1;
    }
    return n;
}

static void test_tui_band_on_screen(void **state)
{
    (void)state;
    setenv("TERM", "xterm-256color", 1);
    setenv("LINES", "40", 1);
    setenv("COLUMNS", "120", 1);
    setenv("LC_ALL", "C.UTF-8", 1);
    mt_monitor m;
    make_band(&m);
    snprintf(m.experiment, sizeof m.experiment, "band test");
    m.state = MT_RUN_RUNNING;
    const mt_monitor *ptr[1] = {&m};
    tui_view v = {ptr, 1, 0, "band.lua", NULL};
    FILE *out = tmpfile(), *in = fopen("/dev/null", "r");
    tui_options o = {.out = out, .in = in};
    tui_screen *s = tui_open(&o);
    assert_non_null(s);
    tui_draw(s, &v);
    /* the band is the first matrix: the matrix pane shows it */
    int title, names, legend, shade;
    screen_count(L'●', L" posterior band ", &title);
    screen_count(L'●', L"━ A  ━ B", &names);
    assert_true(title);
    assert_true(names);
    /* maximised (focus the matrix pane, then f): the points (some share a
     * cell), the shaded band and the whole legend */
    int guard = 0;
    char line[64];
    while (s->focus != TUI_PANE_MATRIX && guard++ < TUI_PANE_COUNT) {
        unget_wch(L'\t');
        tui_poll(s, 0, line, sizeof line);
    }
    unget_wch(L'f');
    tui_poll(s, 0, line, sizeof line);
    tui_draw(s, &v);
    int bullets = screen_count(L'●', L"+-2sd", &legend);
    assert_true(legend);
    assert_true(bullets >= 25);
    assert_true(screen_count(L'░', L"", &shade) > 50);
    tui_free(s);
    fclose(out);
    fclose(in);
    monitor_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tui_band_matrix_and_extent),
        cmocka_unit_test(test_tui_band_svg),
        cmocka_unit_test(test_tui_band_on_screen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
