/* test_tui_screen.c - the real screen on a terminal written to a file:
 * what a frame shows (read back from curses' idea of the screen), which
 * keys become which actions, the quit confirmation, the console prompt,
 * monochrome, "too small", and the signal handlers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "tui/demo.h"
#include "tui/tui.h"
#include "tui/screen_int.h" /* panes_help_key: the help overlay's table */

typedef struct {
    mt_monitor m[2];
    mt_run_result res[2];
    const mt_monitor *ptr[2];
    tui_view view;
    tui_screen *s;
    FILE *out, *in;
} ctx;

static int open_screen(ctx *c, int mono)
{
    c->out = tmpfile();
    c->in = fopen("/dev/null", "r");
    if (!c->out || !c->in) return -1;
    tui_options o = { .force_mono = mono, .out = c->out, .in = c->in };
    c->s = tui_open(&o);
    if (!c->s) {
        print_error("tui_open: %s\n", mt_last_error());
        return -1;
    }
    return 0;
}

static int setup_common(void **state, int mono)
{
    setenv("TERM", "xterm-256color", 1);
    setenv("LINES", "30", 1);
    setenv("COLUMNS", "100", 1);
    setenv("LC_ALL", "C.UTF-8", 1);
    unsetenv("NO_COLOR");
    ctx *c = calloc(1, sizeof *c);
    if (!c) return -1;
    for (int i = 0; i < 2; i++) {
        if (tui_demo_init(&c->m[i], i, 5000) != MT_OK) return -1;
        tui_demo_fill(&c->m[i], 1200);
        c->ptr[i] = &c->m[i];
    }
    /* the numbers the comparison shows: run 2 has the better item loss */
    for (int i = 0; i < 2; i++) {
        mt_run_result *r = &c->res[i];
        result_clear(r);
        snprintf(r->name, sizeof r->name, "%s", c->m[i].experiment);
        snprintf(r->status, sizeof r->status, "running");
        r->ntasks = c->m[i].ntasks;
        for (int k = 0; k < r->ntasks; k++) {
            snprintf(r->task[k], sizeof r->task[k], "%s", c->m[i].task[k]);
            snprintf(r->metric_name[k], sizeof r->metric_name[k], "accuracy");
            r->higher_better[k] = 1;
            r->aux[k] = c->m[i].aux[k];
            r->loss[MT_RES_TRAIN][k] = 0.5 + 0.125 * k + 0.01 * i;
            r->loss[MT_RES_VAL][k] = 0.75 - 0.0625 * k - 0.25 * i;
            r->metric[MT_RES_VAL][k] = 0.8125 + 0.0625 * i;
        }
    }
    c->view = (tui_view){ .monitors = c->ptr, .count = 2, .selected = 0, .script = "demo.lua", .results = c->res };
    *state = c;
    return open_screen(c, mono);
}

static int setup(void **state) { return setup_common(state, 0); }
static int setup_mono(void **state) { return setup_common(state, 1); }

static int teardown(void **state)
{
    ctx *c = *state;
    tui_free(c->s);
    if (c->out) fclose(c->out);
    if (c->in) fclose(c->in);
    for (int i = 0; i < 2; i++) monitor_free(&c->m[i]);
    free(c);
    return 0;
}

/* Row y of what curses believes is on the terminal. */
static void row_text(int y, wchar_t *out, int n)
{
    int cols = getmaxx(curscr);
    if (cols > n - 1) cols = n - 1;
    for (int x = 0; x < cols; x++) {
        cchar_t cc;
        wchar_t wch[CCHARW_MAX + 1] = { 0 };
        attr_t a;
        short pair;
        mvwin_wch(curscr, y, x, &cc);
        getcchar(&cc, wch, &a, &pair, NULL);
        out[x] = wch[0] ? wch[0] : L' ';
    }
    out[cols] = L'\0';
}

static int screen_has(const wchar_t *needle)
{
    wchar_t row[512];
    for (int y = 0; y < getmaxy(curscr); y++) {
        row_text(y, row, 512);
        if (wcsstr(row, needle)) return 1;
    }
    if (getenv("TUI_TEST_DUMP")) {
        for (int y = 0; y < getmaxy(curscr); y++) {
            row_text(y, row, 512);
            fprintf(stderr, "%2d|%ls\n", y, row);
        }
    }
    return 0;
}

/* Colour pairs used on row y. */
static int row_pairs(int y)
{
    int n = 0;
    for (int x = 0; x < getmaxx(curscr); x++) {
        cchar_t cc;
        wchar_t wch[CCHARW_MAX + 1];
        attr_t a;
        short pair;
        mvwin_wch(curscr, y, x, &cc);
        getcchar(&cc, wch, &a, &pair, NULL);
        n += pair != 0;
    }
    return n;
}

/* Feeds one key: a character, or a function key given as -KEY_xxx. */
static tui_action key(ctx *c, int k, char *line, size_t n)
{
    if (k < 0) ungetch(-k);
    else unget_wch((wchar_t)k);
    return tui_poll(c->s, 0, line, n);
}

static void test_tui_screen_frame_contents(void **state)
{
    ctx *c = *state;
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"hard sharing on Fashion-MNIST [1/2]"));
    assert_false(screen_has(L"[sandbox]"));
    assert_true(screen_has(L"running"));
    assert_true(screen_has(L"step 1200/5000"));
    assert_true(screen_has(L"epoch 2/5"));
    assert_true(screen_has(L"weighting uncertainty"));
    assert_true(screen_has(L" loss "));
    assert_true(screen_has(L" grad cosine (last) "));
    assert_true(screen_has(L" loss sigma "));
    assert_true(screen_has(L" console "));
    assert_true(screen_has(L"lua> "));
    assert_true(screen_has(L"item"));
    assert_true(screen_has(L"rotation aux"));
    /* braille cells of the curves are on screen */
    wchar_t row[512];
    int braille = 0;
    for (int y = 0; y < getmaxy(curscr); y++) {
        row_text(y, row, 512);
        for (int x = 0; row[x]; x++) braille += row[x] > 0x2800 && row[x] <= 0x28FF;
    }
    assert_true(braille > 50);
    /* colours: the header's state badge and the matrix cells use pairs */
    assert_true(row_pairs(0) > 0);
    /* a big terminal shows every pane and the script in the footer */
    resizeterm(48, 160);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L" topology "));
    assert_true(screen_has(L" notes "));
    assert_true(screen_has(L"demo.lua"));
    assert_true(screen_has(L"dense 256"));
    assert_true(screen_has(L"Multi-task learning shares"));
    /* the second experiment */
    c->view.selected = 1;
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"cross-stitch on Fashion-MNIST [2/2]"));
    /* a log line from the monitor reaches the console */
    monitor_log(&c->m[1], 3, "diverged at step %d", 77);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"diverged at step 77"));
}

/* The header says which Lua mode the script runs in. */
static void test_tui_screen_header_shows_lua_mode(void **state)
{
    ctx *c = *state;
    c->view.mode = "sandbox";
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"mtlab [sandbox] hard sharing"));
    c->view.mode = "trusted";
    c->view.mode_warn = 1;
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"mtlab [trusted] hard sharing"));
    assert_false(screen_has(L"[sandbox]"));
}

static void test_tui_screen_keys_to_actions(void **state)
{
    ctx *c = *state;
    tui_draw(c->s, &c->view);
    struct { int k; tui_action a; } map[] = {
        { ' ', TUI_ACT_PAUSE_TOGGLE }, { 'n', TUI_ACT_STEP },     { 'r', TUI_ACT_RELOAD },
        { 'w', TUI_ACT_CYCLE_WEIGHTING }, { '+', TUI_ACT_LR_UP }, { '-', TUI_ACT_LR_DOWN },
        { 's', TUI_ACT_SAVE },         { 'e', TUI_ACT_EXPORT },   { 'm', TUI_ACT_NONE },
        { '9', TUI_ACT_NONE },         { '1', TUI_ACT_NONE },
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        tui_action a = key(c, map[i].k, NULL, 0);
        if (a != map[i].a)
            fail_msg("key '%c': got %s, want %s", map[i].k, tui_action_name(a),
                     tui_action_name(map[i].a));
    }
    assert_int_equal(key(c, ']', NULL, 0), TUI_ACT_SELECT_EXPERIMENT);
    assert_int_equal(tui_requested_experiment(c->s), 1);
    assert_int_equal(key(c, '[', NULL, 0), TUI_ACT_SELECT_EXPERIMENT);
    assert_int_equal(tui_requested_experiment(c->s), 1); /* wraps from 0 to the last */
    assert_int_equal(key(c, '2', NULL, 0), TUI_ACT_SELECT_EXPERIMENT);
    assert_int_equal(tui_requested_experiment(c->s), 1);
    /* no key: nothing */
    assert_int_equal(tui_poll(c->s, 0, NULL, 0), TUI_ACT_NONE);
    assert_string_equal(tui_action_name(TUI_ACT_CONSOLE_LINE), "console-line");
}

static void test_tui_screen_view_keys(void **state)
{
    ctx *c = *state;
    tui_draw(c->s, &c->view);
    tui_svg_options o;
    tui_svg_view(c->s, &o);
    assert_int_equal(o.log_y, 0);
    assert_int_equal(o.last_steps, 0);
    assert_int_equal(key(c, 'l', NULL, 0), TUI_ACT_NONE);
    assert_int_equal(key(c, 'z', NULL, 0), TUI_ACT_NONE);
    tui_svg_view(c->s, &o);
    assert_int_equal(o.log_y, 1);
    assert_int_equal(o.last_steps, 1000);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"log  last 1000 steps"));
    key(c, 'z', NULL, 0);
    tui_svg_view(c->s, &o);
    assert_int_equal(o.last_steps, 200);
    key(c, 'z', NULL, 0);
    tui_svg_view(c->s, &o);
    assert_int_equal(o.last_steps, 0);
    /* m shows the next matrix */
    key(c, 'm', NULL, 0);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L" loss correlation (last) "));
    /* help overlay, closed by any key (which does nothing else) */
    key(c, '?', NULL, 0);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"next / previous weighting"));
    assert_int_equal(key(c, ' ', NULL, 0), TUI_ACT_NONE);
    tui_draw(c->s, &c->view);
    assert_false(screen_has(L"next / previous weighting"));
    /* comparison view: the validation numbers as given, what they are */
    key(c, 'c', NULL, 0);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L" comparison: final val numbers "));
    assert_true(screen_has(L" pareto: item vs group "));
    assert_true(screen_has(L" item val loss, every experiment "));
    assert_true(screen_has(L"1 hard sharing"));
    assert_true(screen_has(L"2 cross-stitch"));
    assert_true(screen_has(L"0.75")); /* run 1's item val loss */
    assert_true(screen_has(L"0.875")); /* run 2's val accuracy */
    assert_true(screen_has(L"val loss: at the last evaluation"));
    assert_true(screen_has(L"x item, y group: final val loss"));
    /* v: the training numbers (the mean since the previous evaluation) */
    key(c, 'v', NULL, 0); /* val -> test */
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L" comparison: final test numbers "));
    key(c, 'v', NULL, 0); /* test -> train */
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L" comparison: final train numbers "));
    assert_true(screen_has(L"0.625")); /* run 1's group train loss */
    assert_true(screen_has(L"train loss: the mean over the steps since the previous evaluation"));
    assert_true(screen_has(L" item train loss, every experiment "));
    /* x and y: other tasks on the Pareto axes; t: the curves' task */
    key(c, 'x', NULL, 0);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L" pareto: pixels vs group "));
    key(c, 'y', NULL, 0);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L" pareto: pixels vs rotation "));
    key(c, 't', NULL, 0);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L" group train loss, every experiment "));
    key(c, 'c', NULL, 0);
    tui_draw(c->s, &c->view);
    assert_false(screen_has(L" comparison: final "));
}

static void test_tui_screen_quit_confirmation(void **state)
{
    ctx *c = *state;
    tui_draw(c->s, &c->view);
    assert_int_equal(key(c, 'q', NULL, 0), TUI_ACT_NONE);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"Quit? (y/n)"));
    assert_int_equal(key(c, 'n', NULL, 0), TUI_ACT_NONE); /* cancels, no step */
    tui_draw(c->s, &c->view);
    assert_false(screen_has(L"Quit? (y/n)"));
    assert_int_equal(key(c, 'q', NULL, 0), TUI_ACT_NONE);
    assert_int_equal(key(c, 'y', NULL, 0), TUI_ACT_QUIT);
    /* nothing running: no question */
    c->m[0].state = MT_RUN_FINISHED;
    c->m[1].state = MT_RUN_PAUSED;
    tui_draw(c->s, &c->view);
    assert_int_equal(key(c, 'q', NULL, 0), TUI_ACT_QUIT);
}

static void test_tui_screen_console_prompt(void **state)
{
    ctx *c = *state;
    char line[64];
    tui_draw(c->s, &c->view);
    assert_int_equal(key(c, ':', line, sizeof line), TUI_ACT_NONE);
    /* letters that are commands elsewhere are text here */
    key(c, 'q', line, sizeof line);
    key(c, 'n', line, sizeof line);
    key(c, -KEY_LEFT, line, sizeof line);
    key(c, ' ', line, sizeof line);
    key(c, 0x3bb, line, sizeof line); /* lambda */
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"lua> q \x3bbn"));
    assert_int_equal(key(c, '\r', line, sizeof line), TUI_ACT_CONSOLE_LINE);
    assert_string_equal(line, "q \xce\xbbn");
    /* the history brings it back; enter on an empty line does nothing */
    key(c, -KEY_UP, line, sizeof line);
    key(c, -KEY_BACKSPACE, line, sizeof line);
    assert_int_equal(key(c, '\r', line, sizeof line), TUI_ACT_CONSOLE_LINE);
    assert_string_equal(line, "q \xce\xbb");
    assert_int_equal(key(c, '\r', line, sizeof line), TUI_ACT_NONE);
    /* escape leaves the console: space pauses again */
    key(c, 27, line, sizeof line);
    assert_int_equal(key(c, ' ', line, sizeof line), TUI_ACT_PAUSE_TOGGLE);
}

static void test_tui_screen_too_small_and_resize(void **state)
{
    ctx *c = *state;
    tui_draw(c->s, &c->view);
    resizeterm(12, 50);
    tui_action a = tui_poll(c->s, 0, NULL, 0);
    assert_true(a == TUI_ACT_RESIZE || a == TUI_ACT_NONE);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"terminal too small: 50x12, need 60x18"));
    assert_false(screen_has(L"lua> "));
    resizeterm(24, 80);
    tui_poll(c->s, 0, NULL, 0);
    tui_draw(c->s, &c->view);
    assert_false(screen_has(L"terminal too small"));
    assert_true(screen_has(L"lua> "));
    assert_true(screen_has(L" loss "));
}

static void test_tui_screen_monochrome(void **state)
{
    ctx *c = *state;
    tui_draw(c->s, &c->view);
    for (int y = 0; y < getmaxy(curscr); y++) assert_int_equal(row_pairs(y), 0);
    assert_true(screen_has(L" grad cosine (last) "));
    /* heat levels become shades instead of colours */
    assert_true(screen_has(L"\x2588\x2588") || screen_has(L"##"));
}

static void test_tui_screen_close_is_idempotent_and_sigint_quits(void **state)
{
    ctx *c = *state;
    tui_draw(c->s, &c->view);
    raise(SIGINT); /* the handler only sets a flag; the process goes on */
    assert_int_equal(tui_quit_signal(), SIGINT);
    assert_int_equal(tui_poll(c->s, 0, NULL, 0), TUI_ACT_QUIT);
    tui_close(c->s);
    tui_close(c->s);
    tui_draw(c->s, &c->view); /* does nothing after close */
    assert_int_equal(tui_poll(c->s, 0, NULL, 0), TUI_ACT_QUIT); /* the flag stays */
}

/* A crash restores the terminal and still dies of the same signal. */
static void test_tui_screen_crash_handler_reraises(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
        tui_options o = { .out = out, .in = in };
        tui_screen *s = tui_open(&o);
        if (!s) _exit(3);
        raise(SIGFPE);
        _exit(4); /* not reached */
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGFPE);
}

/* The man page's KEYS section names every key of the help overlay (roff
 * writes each '-' as '\\-'), so the two lists cannot drift apart. */
static void test_tui_screen_man_page_lists_every_key(void **state)
{
    (void)state;
    FILE *f = fopen(MTLAB_ROOT "/docs/mtlab.1", "r");
    assert_non_null(f);
    static char man[1 << 17];
    size_t n = fread(man, 1, sizeof man - 1, f);
    fclose(f);
    man[n] = '\0';
    char *keys = strstr(man, "\n.SH KEYS\n");
    assert_non_null(keys);
    char *end = strstr(keys + 1, "\n.SH ");
    if (end) *end = '\0';
    assert_true(panes_help_count() >= 25);
    for (int i = 0; i < panes_help_count(); i++) {
        const char *k = panes_help_key(i);
        char want[64];
        size_t w = 0;
        want[w++] = '\n';
        want[w++] = '.';
        want[w++] = 'B';
        want[w++] = ' ';
        int quote = strchr(k, ' ') != NULL;
        if (quote) want[w++] = '"';
        for (const char *p = k; *p && w + 4 < sizeof want; p++) {
            if (*p == '-') want[w++] = '\\';
            want[w++] = *p;
        }
        if (quote) want[w++] = '"';
        want[w++] = '\n';
        want[w] = '\0';
        if (!strstr(keys, want)) fail_msg("docs/mtlab.1, KEYS: no entry for the key \"%s\"", k);
    }
}

/* The help lists every key (W and F10 too) and, above them, what the
 * focused pane shows; F10 quits like q. */
static void test_tui_screen_help_lists_every_key(void **state)
{
    ctx *c = *state;
    tui_draw(c->s, &c->view);
    key(c, '?', NULL, 0);
    tui_draw(c->s, &c->view);
    static const wchar_t *const keys[] = {L"space", L"w / W", L"+ / -", L"< / >", L"{ / }", L"t / T", L"x / y",
                                          L"[ ] 1-9", L"^U ^K ^W", L"^L", L"? F1", L"q F10", L"up/down"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (!screen_has(keys[i])) fail_msg("the help does not list %ls", keys[i]);
    assert_true(screen_has(L"Each task's training loss")); /* the loss pane has the focus */
    key(c, 'x', NULL, 0);
    /* on the matrix pane: what a cosine of -0.3 means */
    key(c, '\t', NULL, 0);
    key(c, '?', NULL, 0);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"-0.3 = they pull partly against each other"));
    key(c, 'x', NULL, 0);
    tui_draw(c->s, &c->view);
    assert_false(screen_has(L"-0.3 = they pull"));
    /* F10: quit, asking while training runs */
    assert_int_equal(key(c, -KEY_F(10), NULL, 0), TUI_ACT_NONE);
    assert_int_equal(key(c, 'y', NULL, 0), TUI_ACT_QUIT);
    c->m[0].state = c->m[1].state = MT_RUN_PAUSED;
    tui_draw(c->s, &c->view);
    assert_int_equal(key(c, -KEY_F(10), NULL, 0), TUI_ACT_QUIT);
    /* Ctrl-L repaints and is nothing for the app */
    assert_int_equal(key(c, 0x0c, NULL, 0), TUI_ACT_NONE);
}

/* At the task limit (64 tasks named attribute_1 ... attribute_64) every
 * pane tells the tasks apart: the heatmap numbers its columns and rows
 * (with names kept distinct by their tails) and says which part shows;
 * the loss legend pages; the weights legend keeps the names' tails. */
static void test_tui_screen_many_tasks(void **state)
{
    ctx *c = *state;
    enum { T = MT_MAX_TASKS };
    static char names[T][24];
    const char *np[T];
    int aux[T] = { 0 };
    for (int k = 0; k < T; k++) {
        snprintf(names[k], sizeof names[k], "attribute_%d", k + 1);
        np[k] = names[k];
    }
    mt_monitor m;
    assert_int_equal(monitor_init(&m, T, np, aux, 64), MT_OK);
    snprintf(m.experiment, sizeof m.experiment, "many");
    snprintf(m.weight_label, sizeof m.weight_label, "weight");
    for (int s = 1; s <= 20; s++)
        for (int k = 0; k < T; k++) {
            series_push(&m.train_loss[k], s, 1.0 / (s + k));
            series_push(&m.weight[k], s, 1.0 + 0.01 * k);
        }
    mt_matrix *x = monitor_matrix(&m, "grad cosine", T, T, np, np);
    assert_non_null(x);
    for (int i = 0; i < T * T; i++) x->v[i] = (i % (T + 1)) == 0 ? 1.0 : 0.1;
    x->lo = -1;
    x->hi = 1;
    x->step = 20;
    x->valid = 1;
    monitor_matrix_observe(&m, x);
    const mt_monitor *mp = &m;
    tui_view v = { .monitors = &mp, .count = 1, .selected = 0, .script = "many.lua" };
    tui_draw(c->s, &v);
    assert_true(screen_has(L" 1  2  3  4"));   /* columns by number */
    assert_true(screen_has(L" 1 attr~te_1 ")); /* rows by number and name */
    assert_true(screen_has(L" 2 attr~te_2 "));
    assert_true(screen_has(L"/64 "));          /* which rows and columns show */
    assert_true(screen_has(L"tasks 1-"));      /* the loss legend pages */
    assert_true(screen_has(L"attr~ute_1 "));   /* weights legend */
    assert_false(screen_has(L"attribute_ "));  /* no name cut to the shared prefix */
    monitor_free(&m);
}

/* Reopens the screen at cols x lines. */
static void reopen_at(ctx *c, const char *cols, const char *lines)
{
    setenv("COLUMNS", cols, 1);
    setenv("LINES", lines, 1);
    tui_free(c->s);
    fclose(c->out);
    fclose(c->in);
    assert_int_equal(open_screen(c, 0), 0);
}

/* Names whole where the pane has room: a 2x2 matrix's task names
 * ("weather", not "weathe" or "we~er"), a statistics matrix's longer row
 * names; and the topology's long last line wraps rather than losing its
 * end ("-> out 32"). At 80x24 and 120x40. */
static void test_tui_screen_names_whole(void **state)
{
    ctx *c = *state;
    static const char *const sizes[][2] = { { "80", "24" }, { "120", "40" } };
    for (int z = 0; z < 2; z++) {
        reopen_at(c, sizes[z][0], sizes[z][1]);
        const char *np[4] = { "weather", "temp_max", "y3", "inputs" }; /* four tasks: the tour's matrix pane */
        int aux[4] = { 0, 0, 0, 1 };
        mt_monitor m;
        assert_int_equal(monitor_init(&m, 4, np, aux, 64), MT_OK);
        snprintf(m.experiment, sizeof m.experiment, "seattle");
        snprintf(m.topology, sizeof m.topology,
                 "hard parameter sharing (relu)\ninput 32\n  | trunk.0  dense 64   [shared]\n"
                 "  +--> y1: dense 16 -> out 1\n  +--> inputs (aux): dense 16 -> out 32\n");
        for (int st = 1; st <= 20; st++)
            for (int k = 0; k < 4; k++) series_push(&m.train_loss[k], st, 1.0 / (st + k));
        mt_matrix *x = monitor_matrix(&m, "grad cosine", 2, 2, np, np);
        assert_non_null(x);
        const double v[4] = { 1, -0.18, -0.18, 1 };
        memcpy(x->v, v, sizeof v);
        x->lo = -1;
        x->hi = 1;
        x->step = 20;
        x->valid = 1;
        monitor_matrix_observe(&m, x);
        const char *rows[2] = { "label entropy", "label kurtosis" }, *cols[4] = { "y1", "y2", "y3", "inputs" };
        mt_matrix *y = monitor_matrix(&m, "label stats", 2, 4, rows, cols);
        assert_non_null(y);
        for (int i = 0; i < 8; i++) y->v[i] = 0.25 + 0.03125 * i;
        y->lo = 0;
        y->hi = 1;
        y->step = 20;
        y->valid = 1;
        monitor_matrix_observe(&m, y);
        const mt_monitor *mp = &m;
        tui_view tv = { .monitors = &mp, .count = 1, .selected = 0, .script = "w.lua" };
        tui_draw(c->s, &tv);
        if (!screen_has(L"weather ") || !screen_has(L"temp_max ") || screen_has(L"we~") || screen_has(L"te~"))
            fail_msg("%sx%s: the task names are cut", sizes[z][0], sizes[z][1]);
        assert_true(screen_has(L" 1.00 "));
        assert_true(screen_has(L"-0.18"));
        key(c, 'm', NULL, 0); /* the statistics: longer row names */
        tui_draw(c->s, &tv);
        if (z == 0) { /* 30 columns cannot hold 14 + 4 cells: shortened in the middle, both ends kept */
            if (!screen_has(L"lab~opy ") || !screen_has(L"lab~sis ") || screen_has(L"label k"))
                fail_msg("80x24: the statistics' row names are not shortened in the middle");
        } else if (!screen_has(L"label entropy ") || !screen_has(L"label kurtosis ")) {
            fail_msg("%sx%s: the statistics' row names are cut", sizes[z][0], sizes[z][1]);
        }
        /* the topology: on a small screen it takes the loss plot's place when focused */
        int guard = 0;
        while (c->s->focus != TUI_PANE_TOPOLOGY && guard++ < TUI_PANE_COUNT) key(c, '\t', NULL, 0);
        tui_draw(c->s, &tv);
        if (!screen_has(L"inputs (aux): dense 16") || !screen_has(L"out 32"))
            fail_msg("%sx%s: the topology's last line lost its end", sizes[z][0], sizes[z][1]);
        assert_true(screen_has(L"y1: dense 16 -> out 1 ")); /* a line that fits stays one row */
        while (c->s->focus != TUI_PANE_LOSS && guard++ < 3 * TUI_PANE_COUNT) key(c, '\t', NULL, 0);
        monitor_free(&m);
    }
    reopen_at(c, "100", "30");
}

/* a: the matrix's running averages, the title saying which; { }: the
 * exponential average's window, which the app sets on the monitors. */
static void test_tui_screen_matrix_averages(void **state)
{
    ctx *c = *state;
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L" grad cosine (last) "));
    key(c, 'a', NULL, 0);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L" grad cosine (avg ~20) "));
    key(c, 'a', NULL, 0);
    tui_draw(c->s, &c->view);
    wchar_t want[64];
    swprintf(want, 64, L" grad cosine (mean of %ld) ", c->m[0].matrix[0].updates);
    assert_true(c->m[0].matrix[0].updates > 10);
    assert_true(screen_has(want));
    assert_int_equal(key(c, '}', NULL, 0), TUI_ACT_AVERAGE_WINDOW);
    assert_int_equal(tui_requested_window(c->s), 40);
    assert_int_equal(key(c, '{', NULL, 0), TUI_ACT_AVERAGE_WINDOW);
    assert_int_equal(tui_requested_window(c->s), 10);
    c->m[0].ema_window = 10;
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L" grad cosine (avg ~10) "));
}

/* A small value in a narrow cell is shown as briefly as it reads (-1e-3),
 * never as a blank cell that hides it. */
static void test_tui_screen_matrix_small_values_shown(void **state)
{
    ctx *c = *state;
    mt_matrix *x = &c->m[0].matrix[0];
    assert_true(x->rows >= 2);
    for (int i = 0; i < x->rows; i++)
        for (int j = 0; j < x->cols; j++) x->v[i * x->cols + j] = i == j ? 1 : -0.00107;
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"-1.1e-3") || screen_has(L"-1e-3"));
    /* a narrow terminal: the cells shrink, the value stays */
    setenv("COLUMNS", "72", 1);
    tui_free(c->s);
    fclose(c->out);
    fclose(c->in);
    assert_int_equal(open_screen(c, 0), 0);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"-1e-3"));
    setenv("COLUMNS", "100", 1);
}

/* The loss pane lists the method switches beside the curves; an entry too
 * long for the legend keeps the new method whole ("41923: → gradnorm")
 * rather than cutting it. */
static void test_tui_screen_switch_list_not_cut(void **state)
{
    ctx *c = *state;
    monitor_mark(&c->m[0], 300, "uncertainty \xe2\x86\x92 gradnorm");
    monitor_mark(&c->m[0], 41923, "aligned_mtl \xe2\x86\x92 nash_mtl");
    setenv("COLUMNS", "140", 1);
    tui_free(c->s);
    fclose(c->out);
    fclose(c->in);
    assert_int_equal(open_screen(c, 0), 0);
    key(c, 'f', NULL, 0); /* the loss pane maximised: its legend on the right */
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"300: uncertainty \u2192 gradnorm"));
    assert_true(screen_has(L"41923: \u2192 nash_mtl") || screen_has(L"41923: aligned_mtl \u2192 nash_mtl"));
    assert_false(screen_has(L"41923: aligned_mtl \u2192 nash_mt "));
    setenv("COLUMNS", "100", 1);
}

static int fake_complete(void *ud, const char *before, char *insert, size_t ni, char *list, size_t nl)
{
    (void)ud;
    if (strcmp(before, "run:ma") == 0) {
        snprintf(insert, ni, "tri");
        snprintf(list, nl, "matrices  matrix");
        return 2;
    }
    if (strcmp(before, "run:matrix") == 0) {
        snprintf(insert, ni, "(");
        return 1;
    }
    return 0;
}

/* Tab completes through the app's callback and shows the choices above
 * the prompt; on an empty line it moves the focus; Ctrl-W and Ctrl-K edit. */
static void test_tui_screen_console_completion(void **state)
{
    ctx *c = *state;
    tui_free(c->s);
    fclose(c->out);
    fclose(c->in);
    c->out = tmpfile();
    c->in = fopen("/dev/null", "r");
    tui_options o = { .out = c->out, .in = c->in, .complete = fake_complete };
    c->s = tui_open(&o);
    assert_non_null(c->s);
    char line[128];
    tui_draw(c->s, &c->view);
    key(c, ':', line, sizeof line);
    for (const char *p = "run:ma"; *p; p++) key(c, *p, line, sizeof line);
    key(c, '\t', line, sizeof line);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"lua> run:matri"));
    assert_true(screen_has(L"matrices  matrix"));
    key(c, 'x', line, sizeof line);
    key(c, '\t', line, sizeof line);
    tui_draw(c->s, &c->view);
    assert_true(screen_has(L"lua> run:matrix("));
    assert_false(screen_has(L"matrices  matrix"));
    key(c, 0x17, line, sizeof line); /* Ctrl-W: the word */
    tui_draw(c->s, &c->view);
    assert_false(screen_has(L"run:matrix("));
    for (const char *p = "1 + 1"; *p; p++) key(c, *p, line, sizeof line);
    key(c, 0x01, line, sizeof line); /* Ctrl-A */
    key(c, 0x0b, line, sizeof line); /* Ctrl-K: to the end */
    assert_int_equal(key(c, '\r', line, sizeof line), TUI_ACT_NONE); /* nothing left to run */
    /* an empty line: Tab moves on to the next pane */
    key(c, '\t', line, sizeof line);
    key(c, 'n', line, sizeof line);
    assert_int_equal(key(c, 'n', line, sizeof line), TUI_ACT_STEP);
}

/* e: every pane on screen becomes a picture named for what it shows. */
static void test_tui_screen_export_every_pane(void **state)
{
    ctx *c = *state;
    char dir[] = "/tmp/mtlab-export-XXXXXX", names[2048], path[256], cmd[128];
    assert_non_null(mkdtemp(dir));
    tui_draw(c->s, &c->view);
    int n = 0;
    assert_int_equal(tui_export_view(c->s, &c->view, dir, 1200, names, sizeof names, &n), MT_OK);
    /* 100x30: loss and weights (one picture), the matrix, the console */
    static const char *const normal[] = {"plots-step1200.svg", "matrix-grad-cosine-step1200.svg", "console-step1200.svg"};
    for (size_t i = 0; i < sizeof normal / sizeof *normal; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, normal[i]);
        if (access(path, R_OK) != 0) fail_msg("no %s (wrote: %s)", normal[i], names);
        assert_non_null(strstr(names, normal[i]));
    }
    assert_int_equal(n, 3);
    key(c, 'c', NULL, 0);
    tui_draw(c->s, &c->view);
    assert_int_equal(tui_export_view(c->s, &c->view, dir, 1300, names, sizeof names, &n), MT_OK);
    static const char *const compare[] = {"compare-val-step1300.svg", "curves-item-val-step1300.svg",
                                          "console-step1300.svg"};
    for (size_t i = 0; i < sizeof compare / sizeof *compare; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, compare[i]);
        if (access(path, R_OK) != 0) fail_msg("no %s (wrote: %s)", compare[i], names);
    }
    /* focus on the scatter: on this small screen it takes the curves' place */
    key(c, '\t', NULL, 0);
    tui_draw(c->s, &c->view);
    assert_int_equal(tui_export_view(c->s, &c->view, dir, 1400, names, sizeof names, &n), MT_OK);
    if (!strstr(names, "pareto-val-item-group-step1400.svg")) fail_msg("wrote: %s", names);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tui_screen_frame_contents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_header_shows_lua_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_keys_to_actions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_view_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_quit_confirmation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_help_lists_every_key, setup, teardown),
        cmocka_unit_test(test_tui_screen_man_page_lists_every_key),
        cmocka_unit_test_setup_teardown(test_tui_screen_matrix_averages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_names_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_many_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_matrix_small_values_shown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_switch_list_not_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_console_completion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_export_every_pane, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_console_prompt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_too_small_and_resize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_monochrome, setup_mono, teardown),
        cmocka_unit_test_setup_teardown(test_tui_screen_close_is_idempotent_and_sigint_quits,
                                        setup, teardown),
        cmocka_unit_test(test_tui_screen_crash_handler_reraises),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
