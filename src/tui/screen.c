#include "screen_int.h"

#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "text.h"

const long tui_zoom_steps[TUI_ZOOM_LEVELS] = { 0, 1000, 200 };

#define KEY_ESC 27
#define CTRL(c) ((c) & 0x1f)

/* ---- signals ------------------------------------------------------------ */

static volatile sig_atomic_t quit_signal;
static volatile sig_atomic_t curses_on;

static void on_quit_signal(int sig) { quit_signal = sig; }

/* endwin() is not async-signal-safe, but the process is about to die with
 * a core anyway: a terminal left in raw mode is the worse outcome. */
static void on_crash_signal(int sig)
{
    signal(sig, SIG_DFL);
    if (curses_on) {
        curses_on = 0;
        endwin();
    }
    raise(sig);
}

void tui_install_crash_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_crash_signal;
    const int crash[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE };
    for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++) sigaction(crash[i], &sa, NULL);
    sa.sa_handler = on_quit_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int tui_quit_signal(void) { return (int)quit_signal; }

void tui_restore_terminal(void)
{
    if (curses_on) {
        curses_on = 0;
        endwin();
    }
}

/* ---- windows ------------------------------------------------------------ */

static void destroy_windows(tui_screen *s)
{
    for (int p = 0; p < TUI_PANE_COUNT; p++) {
        if (s->win[p]) delwin(s->win[p]);
        s->win[p] = NULL;
    }
}

static unsigned current_flags(const tui_screen *s)
{
    unsigned f = 0;
    if (s->compare) f |= TUI_LAYOUT_COMPARE;
    if (s->focus == TUI_PANE_CONSOLE) f |= TUI_LAYOUT_CONSOLE_FOCUS;
    if (s->maximise) f |= TUI_LAYOUT_MAXIMISE;
    if (s->lesson) f |= TUI_LAYOUT_LESSON;
    return f;
}

/* Windows are rebuilt from the pure layout whenever the size, the view
 * flags or (on a small terminal) the focus change what goes where. */
static void rebuild(tui_screen *s)
{
    destroy_windows(s);
    int lines, cols;
    getmaxyx(stdscr, lines, cols);
    s->layout_flags = current_flags(s);
    s->layout_focus = s->focus;
    layout_compute(&s->layout, cols, lines, s->ntasks, s->layout_flags, s->focus);
    if (!s->layout.too_small) {
        for (int p = 0; p < TUI_PANE_COUNT; p++) {
            tui_rect r = s->layout.pane[p];
            if (r.w <= 0 || r.h <= 0) continue;
            s->win[p] = newwin(r.h, r.w, r.y, r.x);
            if (s->win[p]) leaveok(s->win[p], TRUE);
        }
    }
    if (s->input) delwin(s->input);
    s->input = newwin(1, 1, 0, 0);
    if (s->input) {
        keypad(s->input, TRUE);
        leaveok(s->input, TRUE);
    }
    s->relayout = 0;
}

static int focusable(const tui_screen *s, tui_pane_id p)
{
    if (s->compare)
        return p == TUI_PANE_COMPARE_TABLE || p == TUI_PANE_COMPARE_SCATTER || p == TUI_PANE_COMPARE_CURVES ||
               p == TUI_PANE_CONSOLE;
    return p == TUI_PANE_LOSS || p == TUI_PANE_MATRIX || p == TUI_PANE_WEIGHTS ||
           p == TUI_PANE_TOPOLOGY || p == TUI_PANE_NOTES || p == TUI_PANE_CONSOLE;
}

static void set_focus(tui_screen *s, tui_pane_id p)
{
    if (s->focus == p) return;
    s->focus = p;
    s->relayout = 1;
}

static void cycle_focus(tui_screen *s, int dir)
{
    int p = s->focus;
    for (int i = 0; i < TUI_PANE_COUNT; i++) {
        p = (p + dir + TUI_PANE_COUNT) % TUI_PANE_COUNT;
        if (focusable(s, (tui_pane_id)p)) break;
    }
    set_focus(s, (tui_pane_id)p);
}

static void note(tui_screen *s, const char *msg)
{
    snprintf(s->note, sizeof s->note, "%s", msg);
    s->note_frame = s->frame;
}

/* ---- open / close ------------------------------------------------------- */

tui_screen *tui_open(const tui_options *o)
{
    setlocale(LC_ALL, "");
    tui_screen *s = mt_calloc(1, sizeof *s);
    if (!s) return NULL;
    const char *term = getenv("TERM");
    if (!term || !*term) {
        mt_free(s);
        mt_fail(MT_ERR_STATE, "tui: TERM is not set; cannot open the screen");
        return NULL;
    }
    s->term = newterm(NULL, o && o->out ? o->out : stdout, o && o->in ? o->in : stdin);
    if (!s->term) {
        mt_free(s);
        mt_fail(MT_ERR_STATE, "tui: cannot initialise terminal type '%s'", term);
        return NULL;
    }
    set_term(s->term);
    s->active = 1;
    curses_on = 1;
    const char *nc = getenv("NO_COLOR");
    s->mono = (o && o->force_mono) || (nc && *nc) || !has_colors();
    const char *cs = nl_langinfo(CODESET);
    s->ascii = !(cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0));
    s->log_scale = o ? o->log_scale : 0;
    s->focus = TUI_PANE_LOSS;
    s->ntasks = 1;
    s->cmp_split = s->cmp_task = s->pareto_a = s->pareto_b = -1;
    le_init(&s->edit);
    if (o && o->history_path) {
        snprintf(s->history_path, sizeof s->history_path, "%s", o->history_path);
        if (le_history_load(&s->edit, s->history_path)) note(s, mt_last_error());
    }
    if (o) {
        s->complete = o->complete;
        s->complete_ud = o->complete_ud;
    }
    cbreak();
    noecho();
    nonl();
    curs_set(0);
    set_escdelay(25);
    colors_init(s->mono);
    quit_signal = 0;
    tui_install_crash_handlers();
    rebuild(s);
    return s;
}

void tui_close(tui_screen *s)
{
    if (!s || !s->active) return;
    destroy_windows(s);
    if (s->input) delwin(s->input);
    s->input = NULL;
    curs_set(1);
    endwin();
    s->active = 0;
    curses_on = 0;
}

void tui_free(tui_screen *s)
{
    if (!s) return;
    tui_close(s);
    if (s->term) delscreen(s->term);
    plot_grid_free(&s->grid);
    mt_free(s);
}

int tui_requested_experiment(const tui_screen *s) { return s->requested; }
int tui_requested_window(const tui_screen *s) { return s->requested_window; }

void tui_svg_view(const tui_screen *s, tui_svg_options *o)
{
    memset(o, 0, sizeof *o);
    o->log_y = s->log_scale;
    o->last_steps = tui_zoom_steps[s->zoom % TUI_ZOOM_LEVELS];
}

const char *tui_action_name(tui_action a)
{
    static const char *const names[TUI_ACT_COUNT] = {
        [TUI_ACT_NONE] = "none",
        [TUI_ACT_QUIT] = "quit",
        [TUI_ACT_PAUSE_TOGGLE] = "pause",
        [TUI_ACT_STEP] = "step",
        [TUI_ACT_RELOAD] = "reload",
        [TUI_ACT_CYCLE_WEIGHTING] = "cycle-weighting",
        [TUI_ACT_LR_UP] = "lr-up",
        [TUI_ACT_LR_DOWN] = "lr-down",
        [TUI_ACT_SAVE] = "save",
        [TUI_ACT_EXPORT] = "export",
        [TUI_ACT_CONSOLE_LINE] = "console-line",
        [TUI_ACT_SELECT_EXPERIMENT] = "select-experiment",
        [TUI_ACT_RESIZE] = "resize",
        [TUI_ACT_SLOWER] = "slower",
        [TUI_ACT_FASTER] = "faster",
        [TUI_ACT_CYCLE_WEIGHTING_BACK] = "cycle-weighting-back",
        [TUI_ACT_AVERAGE_WINDOW] = "average-window",
        [TUI_ACT_LESSON_NEXT] = "lesson-next",
        [TUI_ACT_LESSON_BACK] = "lesson-back",
    };
    return (unsigned)a < TUI_ACT_COUNT ? names[a] : "?";
}

int tui_focus_pane(tui_screen *s, const char *pane, int enlarge)
{
    static const struct {
        const char *name;
        tui_pane_id id;
    } names[] = { { "loss", TUI_PANE_LOSS },         { "matrix", TUI_PANE_MATRIX }, { "weights", TUI_PANE_WEIGHTS },
                  { "topology", TUI_PANE_TOPOLOGY }, { "notes", TUI_PANE_NOTES },   { "console", TUI_PANE_CONSOLE } };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(names[i].name, pane) == 0) {
            if (s->compare) {
                s->compare = 0;
                s->relayout = 1;
            }
            set_focus(s, names[i].id);
            if (s->maximise != !!enlarge) s->relayout = 1;
            s->maximise = !!enlarge;
            return 0;
        }
    return -1;
}

int tui_show_matrix(tui_screen *s, const mt_monitor *m, const char *name)
{
    int k = pane_matrix_position(m, name);
    if (k < 0) return -1;
    s->matrix_sel = k;
    return 0;
}

/* A menu entry's detail at (y, 7) in `cols` columns: whole when it fits;
 * else, with a second line free, wrapped at the last space that fits and
 * the rest shortened in the middle (the experiment's name at its end stays
 * readable); else shortened in the middle on one line. */
static void menu_detail(const char *d, int y, int cols, int two_lines)
{
    char el[1024];
    if (cols < 1) return;
    int len = (int)strlen(d), fit = text_fit(d, len, cols);
    if (fit >= len || !two_lines) {
        pane_put(stdscr, y, 7, text_elide(el, sizeof el, d, cols), cols);
        return;
    }
    int cut = fit;
    while (cut > 0 && d[cut] != ' ') cut--;
    if (cut == 0) cut = fit;
    char head[1024];
    snprintf(head, sizeof head, "%.*s", cut, d);
    pane_put(stdscr, y, 7, head, cols);
    while (d[cut] == ' ') cut++;
    pane_put(stdscr, y + 1, 7, text_elide(el, sizeof el, d + cut, cols), cols);
}

int tui_menu(tui_screen *s, const char *title, const char *const *items, const char *const *details, int n,
             int *sel)
{
    if (!s || !s->active || n <= 0) return -1;
    int at = sel && *sel >= 0 && *sel < n ? *sel : 0, chosen = -2;
    destroy_windows(s);
    s->relayout = 1; /* the panes come back on the next frame */
    while (chosen == -2) {
        if (quit_signal) {
            chosen = -1;
            break;
        }
        int H, W;
        getmaxyx(stdscr, H, W);
        werase(stdscr);
        colors_set(stdscr, ROLE_TITLE, A_REVERSE);
        mvwhline(stdscr, 0, 0, ' ', W);
        pane_put(stdscr, 0, 1, title, W - 2);
        int per = H >= 3 * n + 4 ? 3 : 2, top = 2, first = at * per + top + per > H - 2 ? at - (H - 4) / per + 1 : 0;
        if (first < 0) first = 0;
        for (int i = first; i < n; i++) {
            int y = top + (i - first) * per;
            if (y + 1 >= H - 1) break;
            colors_set(stdscr, i == at ? ROLE_FOCUS : ROLE_NORMAL, i == at ? A_REVERSE | A_BOLD : A_BOLD);
            mvwhline(stdscr, y, 0, ' ', W);
            pane_putf(stdscr, y, 1, W - 2, "%s%d  %s", i == at ? "> " : "  ", i + 1, items[i]);
            colors_set(stdscr, ROLE_DIM, 0);
            if (details && details[i]) menu_detail(details[i], y + 1, W - 8, per == 3 && y + 2 < H - 1);
        }
        colors_set(stdscr, ROLE_KEY, 0);
        pane_put(stdscr, H - 1, 1, "up/down choose   enter or space start   1-9 start that one   q quit mtlab", W - 2);
        colors_set(stdscr, ROLE_NORMAL, 0);
        wnoutrefresh(stdscr);
        doupdate();
        wint_t ch;
        wtimeout(s->input, 200);
        int r = wget_wch(s->input, &ch);
        if (r == ERR) {
            napms(100); /* the input at its end returns at once: no busy loop */
            continue;
        }
        int k = (int)ch;
        if (r == KEY_CODE_YES) {
            if (k == KEY_UP) at = at > 0 ? at - 1 : n - 1;
            else if (k == KEY_DOWN) at = (at + 1) % n;
            else if (k == KEY_ENTER) chosen = at;
            else if (k == KEY_F(10)) chosen = -1;
            else if (k == KEY_RESIZE) clearok(curscr, TRUE);
            continue;
        }
        if (k == 'k') at = at > 0 ? at - 1 : n - 1;
        else if (k == 'j') at = (at + 1) % n;
        else if (k == '\r' || k == '\n' || k == ' ') chosen = at;
        else if (k >= '1' && k <= '9' && k - '1' < n) chosen = at = k - '1';
        else if (k == 'q' || k == KEY_ESC) chosen = -1;
    }
    if (sel && chosen >= 0) *sel = chosen;
    werase(stdscr);
    wnoutrefresh(stdscr);
    return chosen;
}

/* ---- drawing ------------------------------------------------------------ */

static void remember_view(tui_screen *s, const tui_view *v)
{
    s->count = v->count;
    s->selected = v->selected;
    s->lesson = v->lesson;
    const mt_monitor *m = panes_monitor(v);
    int nt = m ? m->ntasks : 1;
    if (nt != s->ntasks) {
        s->ntasks = nt;
        s->relayout = 1;
    }
    s->running = 0;
    for (int i = 0; i < v->count; i++)
        if (v->monitors[i] && v->monitors[i]->state == MT_RUN_RUNNING) s->running = 1;
    pane_compare_remember(s, v);
    if (m) s->ema_window = m->ema_window;
}

void tui_draw(tui_screen *s, const tui_view *v)
{
    if (!s || !s->active) return;
    s->frame++;
    remember_view(s, v);
    int lines, cols;
    getmaxyx(stdscr, lines, cols);
    if (lines != s->layout.lines || cols != s->layout.cols) s->relayout = 1;
    if (s->relayout || s->layout_flags != current_flags(s) ||
        (s->layout_focus != s->focus && !layout_visible(&s->layout, s->focus)))
        rebuild(s);
    if (s->layout.too_small) {
        panes_draw_too_small(s);
        doupdate();
        return;
    }
    for (int p = 0; p < TUI_PANE_COUNT; p++) {
        if (!s->win[p] || p == TUI_PANE_CONSOLE) continue;
        werase(s->win[p]);
        tui_pane_classes[p]->draw(s, s->win[p], v);
        wnoutrefresh(s->win[p]);
    }
    panes_draw_overlay(s, v);
    /* the console last, so the terminal cursor ends on its prompt */
    WINDOW *cw = s->win[TUI_PANE_CONSOLE];
    if (cw) {
        werase(cw);
        tui_pane_classes[TUI_PANE_CONSOLE]->draw(s, cw, v);
        int typing = s->focus == TUI_PANE_CONSOLE && !s->help && !s->confirm_quit;
        leaveok(cw, typing ? FALSE : TRUE);
        curs_set(typing ? 1 : 0);
        if (s->help || s->confirm_quit) {
            /* keep the overlay on top of the console */
            touchwin(cw);
            wnoutrefresh(cw);
            panes_draw_overlay(s, v);
        } else {
            wnoutrefresh(cw);
        }
    }
    doupdate();
}

/* ---- keys --------------------------------------------------------------- */


static int scroll_focused(tui_screen *s, int key)
{
    const tui_pane_class *pc = tui_pane_classes[s->focus];
    return pc && pc->key && pc->key(s, key);
}

static tui_action select_experiment(tui_screen *s, int idx)
{
    if (s->count <= 0) return TUI_ACT_NONE;
    idx = ((idx % s->count) + s->count) % s->count;
    if (idx == s->selected) return TUI_ACT_NONE;
    s->requested = idx;
    return TUI_ACT_SELECT_EXPERIMENT;
}

/* q and F10: quit, asking first while training runs; in a lesson they
 * leave it for the course's menu, and always ask (the steps taken are
 * not kept). */
static tui_action quit_key(tui_screen *s)
{
    if (!s->running && !s->lesson) return TUI_ACT_QUIT;
    s->confirm_quit = 1;
    return TUI_ACT_NONE;
}

/* ? explains the focused pane above the keys. */
static void open_help(tui_screen *s)
{
    s->help = 1;
    s->help_pane = s->focus;
}

/* Tab in the console: completes the name before the cursor; on an
 * empty line it moves to the next pane as elsewhere. */
static void console_tab(tui_screen *s)
{
    char before[LE_BYTES], insert[256], list[sizeof s->candidates];
    le_before_cursor(&s->edit, before, sizeof before);
    if (!before[0] || !s->complete) {
        if (!s->edit.len) cycle_focus(s, 1);
        return;
    }
    insert[0] = list[0] = '\0';
    int n = s->complete(s->complete_ud, before, insert, sizeof insert, list, sizeof list);
    if (insert[0]) le_insert(&s->edit, insert);
    if (n > 1) snprintf(s->candidates, sizeof s->candidates, "%s", list);
    else if (n == 0) snprintf(s->candidates, sizeof s->candidates, "(nothing to complete)");
}

/* Keys typed while the console prompt has focus edit the line. */
static tui_action console_key(tui_screen *s, int is_code, wint_t ch, char *line, size_t n)
{
    int k = (int)ch;
    s->candidates[0] = '\0';
    if (!is_code) {
        if (k == '\t') {
            console_tab(s);
        } else if (k == KEY_ESC) {
            set_focus(s, s->compare ? TUI_PANE_COMPARE_TABLE : TUI_PANE_LOSS);
        } else if (k == '\r' || k == '\n') {
            char buf[LE_BYTES];
            le_take(&s->edit, buf, sizeof buf);
            if (!buf[0]) return TUI_ACT_NONE;
            if (line && n) snprintf(line, n, "%s", buf);
            s->scroll[TUI_PANE_CONSOLE] = 0;
            if (s->history_path[0] && le_history_save(&s->edit, s->history_path)) {
                note(s, mt_last_error());
                s->history_path[0] = '\0'; /* said once */
            }
            return TUI_ACT_CONSOLE_LINE;
        } else if (k == 127 || k == CTRL('h')) {
            le_key(&s->edit, LE_BACKSPACE, 0);
        } else if (k == CTRL('u')) {
            le_key(&s->edit, LE_KILL, 0);
        } else if (k == CTRL('k')) {
            le_key(&s->edit, LE_KILL_END, 0);
        } else if (k == CTRL('w')) {
            le_key(&s->edit, LE_KILL_WORD, 0);
        } else if (k == CTRL('a')) {
            le_key(&s->edit, LE_HOME, 0);
        } else if (k == CTRL('e')) {
            le_key(&s->edit, LE_END, 0);
        } else {
            le_key(&s->edit, LE_CHAR, (uint32_t)ch);
        }
        return TUI_ACT_NONE;
    }
    switch (k) {
    case KEY_LEFT: le_key(&s->edit, LE_LEFT, 0); break;
    case KEY_RIGHT: le_key(&s->edit, LE_RIGHT, 0); break;
    case KEY_HOME: le_key(&s->edit, LE_HOME, 0); break;
    case KEY_END: le_key(&s->edit, LE_END, 0); break;
    case KEY_BACKSPACE: le_key(&s->edit, LE_BACKSPACE, 0); break;
    case KEY_DC: le_key(&s->edit, LE_DELETE, 0); break;
    case KEY_UP: le_key(&s->edit, LE_UP, 0); break;
    case KEY_DOWN: le_key(&s->edit, LE_DOWN, 0); break;
    case KEY_BTAB: cycle_focus(s, -1); break;
    case KEY_F(1): open_help(s); break;
    case KEY_F(10): return quit_key(s);
    case KEY_ENTER: return console_key(s, 0, '\r', line, n);
    default: scroll_focused(s, k); break;
    }
    return TUI_ACT_NONE;
}

static tui_action command_key(tui_screen *s, int is_code, wint_t ch)
{
    int k = (int)ch;
    if (is_code) {
        switch (k) {
        case KEY_BTAB: cycle_focus(s, -1); return TUI_ACT_NONE;
        case KEY_F(1): open_help(s); return TUI_ACT_NONE;
        case KEY_F(10): return quit_key(s);
        case KEY_BACKSPACE:
            if (s->lesson) return TUI_ACT_LESSON_BACK;
            /* fall through */
        default: scroll_focused(s, k); return TUI_ACT_NONE;
        }
    }
    if (k >= '1' && k <= '9') {
        if (k - '1' >= s->count) return TUI_ACT_NONE;
        return select_experiment(s, k - '1');
    }
    if (s->lesson) { /* a lesson: space and backspace walk its steps, p pauses */
        if (k == ' ') return TUI_ACT_LESSON_NEXT;
        if (k == 127 || k == CTRL('h')) return TUI_ACT_LESSON_BACK;
        if (k == 'p') return TUI_ACT_PAUSE_TOGGLE;
    }
    switch (k) {
    case ' ': return TUI_ACT_PAUSE_TOGGLE;
    case 'n': return TUI_ACT_STEP;
    case 'r': return TUI_ACT_RELOAD;
    case 'w': return TUI_ACT_CYCLE_WEIGHTING;
    case 'W': return TUI_ACT_CYCLE_WEIGHTING_BACK;
    case '+': case '=': return TUI_ACT_LR_UP;
    case '-': case '_': return TUI_ACT_LR_DOWN;
    case '<': case ',': return TUI_ACT_SLOWER;
    case '>': case '.': return TUI_ACT_FASTER;
    case 's': return TUI_ACT_SAVE;
    case 'e': return TUI_ACT_EXPORT;
    case '[': return select_experiment(s, s->selected - 1);
    case ']': return select_experiment(s, s->selected + 1);
    case 'q': return quit_key(s);
    case 'm': s->matrix_sel++; break;
    case 'a': {
        s->matrix_view = (s->matrix_view + 1) % MT_MAT_VIEWS;
        char b[96];
        if (s->matrix_view == MT_MAT_EMA)
            snprintf(b, sizeof b, "matrix: exponential average of ~%d updates ({ } change it)", s->ema_window);
        else snprintf(b, sizeof b, "matrix: %s", monitor_matrix_view_name((mt_matrix_view)s->matrix_view));
        note(s, b);
        break;
    }
    case '{':
    case '}': {
        int w = s->ema_window > 0 ? s->ema_window : MT_MON_EMA_WINDOW;
        w = k == '}' ? (w * 2 > 1000 ? 1000 : w * 2) : (w / 2 < 2 ? 2 : w / 2);
        s->requested_window = w;
        if (s->matrix_view != MT_MAT_EMA) s->matrix_view = MT_MAT_EMA;
        char b[96];
        snprintf(b, sizeof b, "matrix: exponential average of ~%d updates (from the next update on)", w);
        note(s, b);
        return TUI_ACT_AVERAGE_WINDOW;
    }
    case 'l':
        s->log_scale = !s->log_scale;
        note(s, s->log_scale ? "loss axis: log scale" : "loss axis: linear");
        break;
    case 'z': {
        s->zoom = (s->zoom + 1) % TUI_ZOOM_LEVELS;
        char b[64];
        if (tui_zoom_steps[s->zoom]) snprintf(b, sizeof b, "zoom: last %ld steps", tui_zoom_steps[s->zoom]);
        else snprintf(b, sizeof b, "zoom: whole run");
        note(s, b);
        break;
    }
    case 't': case 'T': case 'v': case 'x': case 'y':
        if (s->compare) pane_compare_key(s, k);
        else note(s, "t T v x y: keys of the comparison (c)");
        break;
    case 'f': s->maximise = !s->maximise; break;
    case 'c':
        s->compare = !s->compare;
        s->maximise = 0;
        if (s->focus != TUI_PANE_CONSOLE)
            s->focus = s->compare ? TUI_PANE_COMPARE_TABLE : TUI_PANE_LOSS;
        s->relayout = 1;
        break;
    case '?': case 'h': open_help(s); break;
    case '\t': cycle_focus(s, 1); break;
    case ':': set_focus(s, TUI_PANE_CONSOLE); break;
    case KEY_ESC: s->maximise = 0; break;
    default: break;
    }
    return TUI_ACT_NONE;
}

static tui_action handle_key(tui_screen *s, int is_code, wint_t ch, char *line, size_t n)
{
    if (is_code && ch == KEY_RESIZE) {
        s->relayout = 1;
        return TUI_ACT_RESIZE;
    }
    if (s->confirm_quit) {
        s->confirm_quit = 0;
        if (!is_code && (ch == 'y' || ch == 'Y')) return TUI_ACT_QUIT;
        note(s, s->lesson ? "still in the lesson" : "quit cancelled");
        return TUI_ACT_NONE;
    }
    if (!is_code && ch == CTRL('l')) {
        /* Ctrl-L: repaint every cell, whatever wrote over the screen */
        clearok(curscr, TRUE);
        s->relayout = 1;
        return TUI_ACT_NONE;
    }
    if (s->help) {
        s->help = 0; /* any key closes the help */
        return TUI_ACT_NONE;
    }
    if (s->focus == TUI_PANE_CONSOLE) return console_key(s, is_code, ch, line, n);
    return command_key(s, is_code, ch);
}

tui_action tui_poll(tui_screen *s, int timeout_ms, char *line, size_t n)
{
    if (line && n) line[0] = '\0';
    if (quit_signal) return TUI_ACT_QUIT;
    if (!s || !s->active || !s->input) return TUI_ACT_NONE;
    wtimeout(s->input, timeout_ms < 0 ? 0 : timeout_ms);
    /* the first key may wait; keys already typed are drained without
     * waiting, so typing in the console keeps up with the frame rate */
    for (int i = 0; i < 256; i++) {
        wint_t ch;
        int r = wget_wch(s->input, &ch);
        if (quit_signal) return TUI_ACT_QUIT;
        if (r == ERR) break;
        tui_action a = handle_key(s, r == KEY_CODE_YES, ch, line, n);
        if (a != TUI_ACT_NONE) return a;
        wtimeout(s->input, 0);
    }
    return TUI_ACT_NONE;
}
