/* panes_compare.c - the comparison view: a table of every experiment's
 * final numbers (the numbers of its summary.json), their loss curves
 * overlaid, and a Pareto scatter of two tasks' final losses; and the
 * overlays (help, the quit question, "terminal too small"). */
#include "screen_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "axis.h"
#include "compare.h"
#include "explain.h"
#include "text.h"

/* ---- what the comparison shows ------------------------------------------- */

void pane_compare_remember(tui_screen *s, const tui_view *v)
{
    if (!v->results || v->count <= 0) {
        memset(&s->cmp_ref, 0, sizeof s->cmp_ref);
        return;
    }
    int i = v->selected >= 0 && v->selected < v->count ? v->selected : 0;
    s->cmp_ref = v->results[i];
    s->cmp_default_split = compare_default_split(v->results, v->count);
}

mt_result_split pane_compare_split(const tui_screen *s)
{
    return s->cmp_split >= 0 && s->cmp_split < MT_RES_SPLITS ? (mt_result_split)s->cmp_split
                                                               : (mt_result_split)s->cmp_default_split;
}

/* The tasks the scatter's axes and the curves show, by index into the
 * shown experiment's tasks. */
void pane_compare_tasks(const tui_screen *s, int *ta, int *tb, int *tc)
{
    const mt_run_result *r = &s->cmp_ref;
    int a = -1, b = -1;
    compare_pick_tasks(r, &a, &b);
    *ta = s->pareto_a >= 0 && s->pareto_a < r->ntasks ? s->pareto_a : a;
    *tb = s->pareto_b >= 0 && s->pareto_b < r->ntasks ? s->pareto_b : b;
    if (tc) *tc = s->cmp_task >= 0 && s->cmp_task < r->ntasks ? s->cmp_task : a;
}

int pane_compare_key(tui_screen *s, int key)
{
    const mt_run_result *r = &s->cmp_ref;
    int ta, tb, tc;
    pane_compare_tasks(s, &ta, &tb, &tc);
    char b[160];
    switch (key) {
    case 't':
    case 'T':
        s->cmp_task = compare_next_task(r, tc, key == 't' ? 1 : -1, -1);
        if (s->cmp_task >= 0) snprintf(b, sizeof b, "curves: task %s", r->task[s->cmp_task]);
        else snprintf(b, sizeof b, "no tasks");
        break;
    case 'v':
        s->cmp_split = (pane_compare_split(s) + 1) % MT_RES_SPLITS;
        snprintf(b, sizeof b, "comparison: %s", result_split_definition((mt_result_split)s->cmp_split));
        break;
    case 'x':
        s->pareto_a = compare_next_task(r, ta, 1, tb);
        snprintf(b, sizeof b, "pareto x axis: %s", s->pareto_a >= 0 ? r->task[s->pareto_a] : "-");
        break;
    case 'y':
        s->pareto_b = compare_next_task(r, tb, 1, ta);
        snprintf(b, sizeof b, "pareto y axis: %s", s->pareto_b >= 0 ? r->task[s->pareto_b] : "-");
        break;
    default: return 0;
    }
    snprintf(s->note, sizeof s->note, "%s", b);
    s->note_frame = s->frame;
    return 1;
}

/* ---- the table ------------------------------------------------------------ */

int pane_table_key(tui_screen *s, int key) { return pane_scroll_key(s, TUI_PANE_COMPARE_TABLE, key, 5); }

enum { COL_LOSS = 11, COL_METRIC = 9, COL_DM = 10, COL_STATUS = 12 };

static const char *short_metric(const char *m)
{
    return strcmp(m, "accuracy") == 0 ? "acc" : m;
}

/* "%.4g", the precision the table shows the summary's numbers at. */
static void fmt_num(double v, char *b, size_t n)
{
    if (isnan(v)) snprintf(b, n, "-");
    else snprintf(b, n, "%.4g", v);
}

void pane_draw_compare_table(tui_screen *s, WINDOW *w, const tui_view *v)
{
    int H, W;
    getmaxyx(w, H, W);
    mt_result_split sp = pane_compare_split(s);
    char title[96];
    snprintf(title, sizeof title, "comparison: final %s numbers", result_split_name(sp));
    pane_frame(s, w, TUI_PANE_COMPARE_TABLE, title, "v: split  [ ] 1-9 select  c: back");
    const mt_run_result *R = v->results, *ref = &s->cmp_ref;
    if (!R || ref->ntasks == 0) {
        pane_centre_msg(w, "no numbers yet", ROLE_DIM);
        return;
    }
    int any_dm = 0, longest = 10;
    for (int e = 0; e < v->count; e++) {
        any_dm |= R[e].have_baselines;
        int l = text_columns(R[e].name, -1) + 3;
        if (l > longest) longest = l;
    }
    /* the columns: per task its loss and (unless the metric is the loss) its metric */
    typedef struct {
        int task, metric;
    } column;
    column cols[2 * MT_MAX_TASKS];
    int nc = 0, width = 0;
    for (int k = 0; k < ref->ntasks; k++) {
        cols[nc++] = (column){k, 0};
        width += COL_LOSS;
        if (!compare_metric_is_loss(R, v->count, sp, ref->task[k])) {
            cols[nc++] = (column){k, 1};
            width += COL_METRIC;
        }
    }
    width += (any_dm ? COL_DM : 0) + COL_STATUS;
    /* names get what the numbers leave, never cut when there is room */
    int namew = W - 3 - width;
    if (namew > longest) namew = longest;
    if (namew < 14) namew = 14;
    /* the number columns scroll sideways when the pane is narrow */
    int room = W - 3 - namew - COL_STATUS - (any_dm ? COL_DM : 0);
    int c0 = s->hscroll[TUI_PANE_COMPARE_TABLE] / 4;
    if (c0 > nc - 1) c0 = nc - 1;
    if (c0 < 0) c0 = 0;
    s->hscroll[TUI_PANE_COMPARE_TABLE] = c0 * 4;
    int x0 = 3 + namew;
    /* best per column, over experiments with the task */
    double best[2 * MT_MAX_TASKS];
    for (int c = 0; c < nc; c++) {
        int hib = cols[c].metric && ref->higher_better[cols[c].task];
        best[c] = NAN;
        for (int e = 0; e < v->count; e++) {
            const char *tn = ref->task[cols[c].task];
            double f = cols[c].metric ? compare_metric(&R[e], sp, tn) : compare_loss(&R[e], sp, tn);
            if (isnan(f)) continue;
            if (isnan(best[c]) || (hib ? f > best[c] : f < best[c])) best[c] = f;
        }
    }
    /* two header rows: task names over their columns, then what each is */
    colors_set(w, ROLE_TITLE, 0);
    pane_put(w, 2, 3, "experiment", namew);
    int x = x0, shown = 0;
    for (int c = c0; c < nc; c++) {
        int cw = cols[c].metric ? COL_METRIC : COL_LOSS;
        if (x + cw - x0 > room) break;
        int k = cols[c].task;
        if (!cols[c].metric) {
            colors_set(w, ref->aux[k] ? ROLE_AUX : colors_task(k), A_BOLD);
            pane_putf(w, 1, x, cw - 1, "%*.*s", cw - 1, cw - 1, ref->task[k]);
        }
        colors_set(w, ROLE_DIM, 0);
        pane_putf(w, 2, x, cw - 1, "%*s", cw - 1,
                  cols[c].metric ? short_metric(ref->metric_name[k]) : result_split_name(sp));
        x += cw;
        shown++;
    }
    int xs = x;
    if (any_dm) {
        colors_set(w, ROLE_TITLE, A_BOLD);
        pane_putf(w, 1, xs, COL_DM - 1, "%*s", COL_DM - 1, "\xce\x94m");
        colors_set(w, ROLE_DIM, 0);
        pane_putf(w, 2, xs, COL_DM - 1, "%*s", COL_DM - 1, "test %");
        xs += COL_DM;
    }
    colors_set(w, ROLE_TITLE, 0);
    pane_put(w, 2, xs + 1, "status", COL_STATUS - 1);
    if (c0 > 0 || c0 + shown < nc) {
        colors_set(w, ROLE_WARN, 0);
        pane_putf(w, 1, 3, namew - 1, "cols %d-%d/%d %s", c0 + 1, c0 + shown, nc, pane_glyph(s, G_ARROW));
    }
    int rows = H - 5; /* border, two headers, the definition line, border */
    int first = pane_clamp_scroll(s, TUI_PANE_COMPARE_TABLE, v->count - rows);
    for (int r = 0; r < rows && first + r < v->count; r++) {
        int e = first + r;
        const mt_run_result *m = &R[e];
        int y = 3 + r;
        int sel = e == v->selected;
        colors_set(w, sel ? ROLE_FOCUS : ROLE_DIM, 0);
        pane_putf(w, y, 1, 2, "%s", sel ? pane_glyph(s, G_ARROW) : " ");
        colors_set(w, ROLE_NORMAL, sel ? A_BOLD : 0);
        pane_putf(w, y, 3, namew - 1, "%c %s", e < 9 ? '1' + e : 'a' + (e - 9) % 26, m->name);
        x = x0;
        for (int c = c0; c < c0 + shown; c++) {
            int cw = cols[c].metric ? COL_METRIC : COL_LOSS;
            const char *tn = ref->task[cols[c].task];
            double f = cols[c].metric ? compare_metric(m, sp, tn) : compare_loss(m, sp, tn);
            char b[32];
            fmt_num(f, b, sizeof b);
            colors_set(w, !isnan(f) && f == best[c] && v->count > 1 ? ROLE_GOOD : ROLE_NORMAL, 0);
            pane_putf(w, y, x, cw - 1, "%*s", cw - 1, b);
            x += cw;
        }
        if (any_dm) {
            char b[32];
            if (m->have_baselines && isfinite(m->delta_m)) snprintf(b, sizeof b, "%+.2f", m->delta_m);
            else snprintf(b, sizeof b, "-");
            colors_set(w, m->have_baselines && m->delta_m > 0 ? ROLE_GOOD : ROLE_NORMAL, 0);
            pane_putf(w, y, x, COL_DM - 1, "%*s", COL_DM - 1, b);
            x += COL_DM;
        }
        mt_run_state st = MT_RUN_IDLE;
        if (e < v->count && v->monitors && v->monitors[e]) st = v->monitors[e]->state;
        colors_set(w, pane_state_role(st), 0);
        pane_put(w, y, x + 1, m->status, W - 2 - x - 1);
    }
    /* what the numbers are: one definition, as in summary.json */
    colors_set(w, ROLE_DIM, 0);
    pane_putf(w, H - 2, 2, W - 4, "%s; the metric on the same split, where it is not the loss%s (summary.json)",
              result_split_definition(sp), any_dm ? "; \xce\x94m: test metric vs single-task baselines" : "");
    colors_set(w, ROLE_NORMAL, 0);
}

/* ---- the Pareto scatter ---------------------------------------------------- */

void pane_draw_compare_scatter(tui_screen *s, WINDOW *w, const tui_view *v)
{
    int H, W;
    getmaxyx(w, H, W);
    const mt_run_result *R = v->results, *ref = &s->cmp_ref;
    int ta = -1, tb = -1;
    pane_compare_tasks(s, &ta, &tb, NULL);
    if (!R || ta < 0 || tb < 0 || ta == tb) {
        pane_frame(s, w, TUI_PANE_COMPARE_SCATTER, "pareto", NULL);
        pane_centre_msg(w, "needs two tasks", ROLE_DIM);
        return;
    }
    mt_result_split sp = pane_compare_split(s);
    char title[2 * MT_MON_NAME + 32];
    snprintf(title, sizeof title, "pareto: %.20s vs %.20s", ref->task[ta], ref->task[tb]);
    pane_frame(s, w, TUI_PANE_COMPARE_SCATTER, title, "x y: axes");
    enum { MAXE = 64 };
    double a[MAXE], b[MAXE];
    int opt[MAXE];
    int n = v->count < MAXE ? v->count : MAXE;
    for (int e = 0; e < n; e++) {
        a[e] = compare_loss(&R[e], sp, ref->task[ta]);
        b[e] = compare_loss(&R[e], sp, ref->task[tb]);
    }
    int nopt = compare_pareto(a, b, n, opt);
    /* the front as a staircase through the optimal points, sorted by a */
    double fx[2 * MAXE], fy[2 * MAXE];
    int order[MAXE], no = 0;
    for (int e = 0; e < n; e++)
        if (opt[e]) order[no++] = e;
    for (int i = 1; i < no; i++)
        for (int j = i; j > 0 && a[order[j]] < a[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    int nf = 0;
    for (int i = 0; i < no; i++) {
        if (i > 0) {
            fx[nf] = a[order[i]];
            fy[nf++] = b[order[i - 1]];
        }
        fx[nf] = a[order[i]];
        fy[nf++] = b[order[i]];
    }
    mt_series pts = { a, b, n, n, 1, n };
    mt_series front = { fx, fy, nf, nf, 1, nf };
    /* the points always, the front only when it is a line (two or more optimal points) */
    plot_series ser[2] = { { &pts, 0, PLOT_POINTS }, { &front, 2, PLOT_DOTTED } };
    int legend_rows = 2;
    plot_opts po = { 0, 0, 0.08 };
    plot_frame pf;
    if (!pane_draw_plot(s, w, 1, 1, W - 2, H - 2 - legend_rows, ser, nopt > 1 ? 2 : 1, &po, &pf)) {
        pane_centre_msg(w, "no final losses yet", ROLE_DIM);
        return;
    }
    /* labels over the points: the experiment's mark as in the table,
     * Pareto-optimal ones highlighted, the shown experiment reversed */
    const plot_range *r = &pf.r;
    for (int e = 0; e < n; e++) {
        if (!isfinite(a[e]) || !isfinite(b[e])) continue;
        int col = (int)floor((a[e] - r->x0) / (r->x1 - r->x0) * (2 * pf.pw - 1) + 0.5) / 2;
        int row = (int)floor((r->y1 - b[e]) / (r->y1 - r->y0) * (4 * pf.ph - 1) + 0.5) / 4;
        if (col < 0 || col >= pf.pw || row < 0 || row >= pf.ph) continue;
        colors_set(w, opt[e] ? ROLE_GOOD : ROLE_DIM, e == v->selected ? A_REVERSE : 0);
        pane_putf(w, pf.py + row, pf.px + col, 1, "%c", e < 9 ? '1' + e : 'a' + (e - 9) % 26);
    }
    colors_set(w, ROLE_DIM, 0);
    pane_putf(w, H - 3, 1, W - 2, "x %s, y %s: final %s loss (as in the table)", ref->task[ta], ref->task[tb],
              result_split_name(sp));
    colors_set(w, ROLE_GOOD, 0);
    int x = 1 + pane_put(w, H - 2, 1, "bright: Pareto-optimal", W - 2);
    colors_set(w, ROLE_DIM, 0);
    pane_putf(w, H - 2, x + 1, W - 3 - x, " dim: dominated  %s%s front", pane_glyph(s, G_DOT), pane_glyph(s, G_DOT));
    colors_set(w, ROLE_NORMAL, 0);
}

/* ---- the curves of every experiment ---------------------------------------- */

void pane_draw_compare_curves(tui_screen *s, WINDOW *w, const tui_view *v)
{
    int H, W;
    getmaxyx(w, H, W);
    const mt_run_result *ref = &s->cmp_ref;
    int ta, tb, tc;
    pane_compare_tasks(s, &ta, &tb, &tc);
    mt_result_split sp = pane_compare_split(s);
    int val = sp != MT_RES_TRAIN; /* test has no curve: its validation */
    if (tc < 0 || !v->monitors) {
        pane_frame(s, w, TUI_PANE_COMPARE_CURVES, "loss curves", NULL);
        pane_centre_msg(w, "no tasks", ROLE_DIM);
        return;
    }
    char title[MT_MON_NAME + 80];
    long zoom = tui_zoom_steps[s->zoom % TUI_ZOOM_LEVELS];
    int spread = 0;
    for (int e = 0; e < v->count; e++) spread |= v->monitors[e]->spread_n > 1;
    snprintf(title, sizeof title, "%s %s loss, every %s", ref->task[tc], val ? "val" : "train",
             spread ? "configuration: mean, dotted +-1 sd" : "experiment");
    pane_frame(s, w, TUI_PANE_COMPARE_CURVES, title, "t: task  v: split");
    /* the legend: marks and names, as many rows as they need (up to a third) */
    int lrows = 0, x = 1;
    for (int e = 0; e < v->count; e++) {
        int need = 4 + text_columns(v->monitors[e]->experiment, -1);
        if (need > W - 2) need = W - 2;
        if (x + need > W - 1 || e == 0) {
            lrows++;
            x = 1;
        }
        x += need;
    }
    int names = lrows <= (H - 2) / 3;
    if (!names) lrows = 1 + (2 * v->count) / (W - 2);
    plot_series ser[3 * 64];
    int n = 0;
    /* a sweep's configurations: first the band of one sd over the seeds
     * (dotted), so the mean curves win shared cells */
    for (int e = 0; e < v->count && e < 64; e++) {
        const mt_monitor *m = v->monitors[e];
        int k = compare_find_task(m, ref->task[tc]);
        if (k < 0 || m->spread_n < 2) continue;
        ser[n++] = (plot_series){ val ? &m->val_lo[k] : &m->train_lo[k], e % PLOT_AUX, PLOT_DOTTED };
        ser[n++] = (plot_series){ val ? &m->val_hi[k] : &m->train_hi[k], e % PLOT_AUX, PLOT_DOTTED };
    }
    /* the shown experiment last, so its curve wins shared cells */
    for (int pass = 0; pass < 2; pass++)
        for (int e = 0; e < v->count && e < 64; e++) {
            if ((e == v->selected) != (pass == 1)) continue;
            const mt_monitor *m = v->monitors[e];
            int k = compare_find_task(m, ref->task[tc]);
            if (k < 0) continue;
            ser[n++] = (plot_series){ val ? &m->val_loss[k] : &m->train_loss[k], e % PLOT_AUX,
                                      val ? PLOT_DASHED : PLOT_SOLID };
        }
    plot_opts po = { s->log_scale, zoom, 0.0 };
    plot_frame pf;
    if (!pane_draw_plot(s, w, 1, 1, W - 2, H - 2 - lrows, ser, n, &po, &pf))
        pane_centre_msg(w, val ? "no validation losses yet (v: train)" : "waiting for the first step", ROLE_DIM);
    else if (v->selected >= 0 && v->selected < v->count)
        pane_draw_marks(s, w, &pf, v->monitors[v->selected]);
    int y = H - 1 - lrows;
    x = 1;
    for (int e = 0; e < v->count; e++) {
        const char *nm = v->monitors[e]->experiment;
        int need = names ? 4 + text_columns(nm, -1) : 2;
        if (need > W - 2) need = W - 2;
        if (x + need > W - 1) {
            y++;
            x = 1;
        }
        if (y >= H - 1) break;
        colors_set(w, colors_task(e), e == v->selected ? A_BOLD | A_REVERSE : A_BOLD);
        pane_putf(w, y, x, 1, "%c", e < 9 ? '1' + e : 'a' + (e - 9) % 26);
        if (names) {
            colors_set(w, ROLE_NORMAL, 0);
            pane_put(w, y, x + 2, nm, need - 3);
        }
        x += need;
    }
    colors_set(w, ROLE_NORMAL, 0);
}

/* ---- overlays ------------------------------------------------------------- */

/* Every key, in the order a person needs them. The test holds the
 * screen's key handling to this list. */
static const char *const help_keys[][2] = {
    {"space", "pause / resume training"},
    {"n", "one step (pauses)"},
    {"r", "reload the script"},
    {"w / W", "next / previous weighting"},
    {"+ / -", "learning rate x2 / x1/2"},
    {"< / >", "slow motion; recorded: step time"},
    {"s", "save a checkpoint"},
    {"e", "export the panes as SVG, the CSV"},
    {"m", "next relationship matrix"},
    {"a", "matrix: last / average / mean"},
    {"{ / }", "matrix average window /2, x2"},
    {"l", "loss axis: log / linear"},
    {"z", "zoom: all / last 1000 / last 200"},
    {"f", "pane to whole screen (again: back)"},
    {"c", "compare the experiments"},
    {"v", "compare: split val/test/train"},
    {"t / T", "compare: task of the curves"},
    {"x / y", "compare: Pareto x / y task"},
    {"[ ] 1-9", "previous / next / n-th experiment"},
    {"tab", "next pane (shift-tab: back)"},
    {"arrows", "scroll; pgup/pgdn, home/end"},
    {":", "Lua console (esc leaves)"},
    {"tab", "console: complete run: mtl."},
    {"up/down", "console: history (kept)"},
    {"^A ^E", "console: start / end of line"},
    {"^U ^K ^W", "console: kill start/end/word"},
    {"^L", "redraw the screen"},
    {"spc bksp", "lesson: next step (or answer) / back"},
    {"p", "lesson: pause / resume training"},
    {"q", "lesson: leave for the menu (asks)"},
    {"? F1", "help; explains the focused pane"},
    {"q F10", "quit (asks while training)"},
};

int panes_help_count(void) { return (int)(sizeof help_keys / sizeof *help_keys); }
const char *panes_help_key(int i) { return i >= 0 && i < panes_help_count() ? help_keys[i][0] : NULL; }

void panes_draw_overlay(tui_screen *s, const tui_view *v)
{
    if (!s->help && !s->confirm_quit) return;
    int lines = s->layout.lines, cols = s->layout.cols;
    if (s->confirm_quit) {
        /* in a lesson q goes back to the course's menu: the question says so */
        const char *ask = s->lesson ? "Leave the lesson for the menu? (y/n)" : "Training is running. Quit? (y/n)";
        const char *more = s->lesson ? "(q in the menu quits mtlab)" : NULL;
        int h = more ? 6 : 5, w = cols - 2 < 46 ? cols - 2 : 46;
        WINDOW *o = newwin(h, w, (lines - h) / 2, (cols - w) / 2);
        if (!o) return;
        colors_set(o, ROLE_FOCUS, 0);
        box(o, 0, 0);
        colors_set(o, ROLE_WARN, 0);
        pane_put(o, 2, 2, ask, w - 4);
        if (more) {
            colors_set(o, ROLE_DIM, 0);
            pane_put(o, 3, 2, more, w - 4);
        }
        wnoutrefresh(o);
        delwin(o);
        return;
    }
    int n = panes_help_count();
    int two = cols >= 94;                /* keys in two columns when wide */
    int w = two ? 92 : (cols - 2 < 56 ? cols - 2 : 56);
    int colw = two ? (w - 4) / 2 : w - 4;
    int krows = two ? (n + 1) / 2 : n;
    /* what the focused pane shows, wrapped, above the keys */
    const char *matrix = NULL;
    const mt_matrix *x = s->help_pane == TUI_PANE_MATRIX ? pane_shown_matrix(s, panes_monitor(v)) : NULL;
    if (x) matrix = x->name;
    const char *about = explain_pane(s->help_pane, matrix);
    text_span sp[16];
    int nabout = about ? text_wrap(about, w - 4, sp, 16) : 0;
    if (nabout > 16) nabout = 16;
    int h = krows + 4 + (nabout ? nabout + 2 : 0);
    if (h > lines - 2) h = lines - 2;
    WINDOW *o = newwin(h, w, (lines - h) / 2, (cols - w) / 2);
    if (!o) return;
    werase(o);
    colors_set(o, ROLE_FOCUS, 0);
    box(o, 0, 0);
    int y = 1;
    if (nabout) {
        char t[64];
        snprintf(t, sizeof t, " %s ", x ? x->name : layout_pane_name(s->help_pane));
        pane_put(o, 0, 2, t, w - 4);
        colors_set(o, ROLE_NORMAL, 0);
        for (int i = 0; i < nabout && y < h - 1; i++, y++) mvwaddnstr(o, y, 2, about + sp[i].off, sp[i].len);
        y++;
        colors_set(o, ROLE_FOCUS, 0);
        pane_put(o, y++, 2, "keys (any key closes this)", w - 4);
    } else {
        pane_put(o, 0, 2, " keys (any key closes this) ", w - 4);
        y++;
    }
    for (int i = 0; i < n; i++) {
        int r = two ? i % krows : i, c = two ? i / krows : 0;
        int yy = y + r, xx = 2 + c * (colw + 1);
        if (yy >= h - 1) continue;
        colors_set(o, ROLE_KEY, 0);
        pane_put(o, yy, xx, help_keys[i][0], 9);
        colors_set(o, ROLE_NORMAL, 0);
        pane_put(o, yy, xx + 10, help_keys[i][1], colw - 10);
    }
    wnoutrefresh(o);
    delwin(o);
}

void panes_draw_too_small(tui_screen *s)
{
    werase(stdscr);
    int n = (int)strlen(s->layout.message);
    int y = s->layout.lines / 2, x = n < s->layout.cols ? (s->layout.cols - n) / 2 : 0;
    colors_set(stdscr, ROLE_WARN, 0);
    pane_put(stdscr, y < 0 ? 0 : y, x, s->layout.message, s->layout.cols);
    colors_set(stdscr, ROLE_NORMAL, 0);
    wnoutrefresh(stdscr);
}
