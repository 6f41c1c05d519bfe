/* panes_compare.c - the comparison view (a table of final losses and a
 * Pareto scatter of several experiments) and the overlays (help, the quit
 * question, "terminal too small"). */
#include "screen_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "axis.h"
#include "compare.h"

/* ---- comparison ----------------------------------------------------------- */

int pane_table_key(tui_screen *s, int key) { return pane_scroll_key(s, TUI_PANE_COMPARE_TABLE, key, 5); }

void pane_draw_compare_table(tui_screen *s, WINDOW *w, const tui_view *v)
{
    int H, W;
    getmaxyx(w, H, W);
    pane_frame(s, w, TUI_PANE_COMPARE_TABLE, "final losses (validation, else training)",
               "[ ] 1-9 select  c: back");
    const mt_monitor *ref = panes_monitor(v);
    if (!ref) return;
    int namew = W / 3 > 24 ? 24 : W / 3;
    int colw = 9;
    int ncols = (W - 2 - namew - 3) / colw;
    if (ncols > ref->ntasks) ncols = ref->ntasks;
    /* best (lowest) final loss per column, over experiments with the task */
    double best[MT_MAX_TASKS];
    for (int t = 0; t < ncols; t++) {
        best[t] = INFINITY;
        for (int e = 0; e < v->count; e++) {
            int k = compare_find_task(v->monitors[e], ref->task[t]);
            double f = k >= 0 ? compare_final_loss(v->monitors[e], k) : NAN;
            if (f < best[t]) best[t] = f;
        }
    }
    colors_set(w, ROLE_TITLE, 0);
    pane_put(w, 1, 3, "experiment", namew);
    for (int t = 0; t < ncols; t++) {
        colors_set(w, ref->aux[t] ? ROLE_AUX : colors_task(t), A_BOLD);
        pane_putf(w, 1, 3 + namew + t * colw, colw - 1, "%*.*s", colw - 1, colw - 1, ref->task[t]);
    }
    int rows = H - 3;
    int first = pane_clamp_scroll(s, TUI_PANE_COMPARE_TABLE, v->count - rows);
    for (int r = 0; r < rows && first + r < v->count; r++) {
        int e = first + r;
        const mt_monitor *m = v->monitors[e];
        int y = 2 + r;
        int sel = e == v->selected;
        colors_set(w, sel ? ROLE_FOCUS : ROLE_DIM, 0);
        pane_putf(w, y, 1, 2, "%s", sel ? pane_glyph(s, G_ARROW) : " ");
        colors_set(w, ROLE_NORMAL, sel ? A_BOLD : 0);
        pane_putf(w, y, 3, namew - 1, "%d %s", e + 1, m->experiment);
        for (int t = 0; t < ncols; t++) {
            int k = compare_find_task(m, ref->task[t]);
            double f = k >= 0 ? compare_final_loss(m, k) : NAN;
            char b[16];
            if (isnan(f)) snprintf(b, sizeof b, "-");
            else axis_format(f, 0, b, sizeof b);
            int is_best = !isnan(f) && f == best[t] && v->count > 1;
            colors_set(w, is_best ? ROLE_GOOD : ROLE_NORMAL, 0);
            pane_putf(w, y, 3 + namew + t * colw, colw - 1, "%*s", colw - 1, b);
        }
        colors_set(w, pane_state_role(m->state), 0);
        int sx = 3 + namew + ncols * colw;
        if (sx < W - 3) pane_put(w, y, sx, monitor_state_name(m->state), W - 2 - sx);
    }
    colors_set(w, ROLE_NORMAL, 0);
}

void pane_draw_compare_scatter(tui_screen *s, WINDOW *w, const tui_view *v)
{
    int H, W;
    getmaxyx(w, H, W);
    const mt_monitor *ref = panes_monitor(v);
    int ta = 0, tb = 0;
    if (!ref || compare_pick_tasks(ref, &ta, &tb) < 2) {
        pane_frame(s, w, TUI_PANE_COMPARE_SCATTER, "pareto", NULL);
        pane_centre_msg(w, "needs two tasks", ROLE_DIM);
        return;
    }
    char title[2 * MT_MON_NAME + 16];
    snprintf(title, sizeof title, "pareto: %.24s vs %.24s", ref->task[ta], ref->task[tb]);
    pane_frame(s, w, TUI_PANE_COMPARE_SCATTER, title, NULL);
    enum { MAXE = 64 };
    double a[MAXE], b[MAXE];
    int opt[MAXE];
    int n = v->count < MAXE ? v->count : MAXE;
    for (int e = 0; e < n; e++) {
        const mt_monitor *m = v->monitors[e];
        a[e] = compare_final_loss(m, compare_find_task(m, ref->task[ta]));
        b[e] = compare_final_loss(m, compare_find_task(m, ref->task[tb]));
    }
    int nopt = compare_pareto(a, b, n, opt);
    /* the front as a staircase through the optimal points, sorted by a */
    mt_series front = { 0 };
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
    front = (mt_series){ fx, fy, nf, nf, 1, nf };
    /* the points always, the front only when it is a line (two or more optimal points) */
    plot_series ser[2] = { { &pts, 0, PLOT_POINTS }, { &front, 2, PLOT_DOTTED } };
    int legend_rows = 1;
    int ph = H - 2 - legend_rows;
    plot_opts po = { 0, 0, 0.08 };
    plot_frame pf;
    if (!pane_draw_plot(s, w, 1, 1, W - 2, ph, ser, nopt > 1 ? 2 : 1, &po, &pf)) {
        pane_centre_msg(w, "no final losses yet", ROLE_DIM);
        return;
    }
    /* labels over the points: the experiment's number, Pareto-optimal ones
     * highlighted, the shown experiment reversed */
    const plot_range *r = &pf.r;
    for (int e = 0; e < n; e++) {
        if (!isfinite(a[e]) || !isfinite(b[e])) continue;
        int col = (int)floor((a[e] - r->x0) / (r->x1 - r->x0) * (2 * pf.pw - 1) + 0.5) / 2;
        int row = (int)floor((r->y1 - b[e]) / (r->y1 - r->y0) * (4 * pf.ph - 1) + 0.5) / 4;
        if (col < 0 || col >= pf.pw || row < 0 || row >= pf.ph) continue;
        colors_set(w, opt[e] ? ROLE_GOOD : ROLE_DIM, e == v->selected ? A_REVERSE : 0);
        pane_putf(w, pf.py + row, pf.px + col, 1, "%c", e < 9 ? '1' + e : 'a' + (e - 9) % 26);
    }
    colors_set(w, ROLE_GOOD, 0);
    int x = 1 + pane_put(w, H - 2, 1, "run no. bright: Pareto-optimal", W - 2);
    colors_set(w, ROLE_DIM, 0);
    pane_putf(w, H - 2, x + 1, W - 3 - x, " dim: dominated  %s%s front   x %.16s, y %.16s (final loss)",
         pane_glyph(s, G_DOT), pane_glyph(s, G_DOT), ref->task[ta], ref->task[tb]);
    colors_set(w, ROLE_NORMAL, 0);
}

/* ---- overlays ------------------------------------------------------------- */

static const char *const help_lines[] = {
    "space    pause / resume training",
    "n        one training step (while paused)",
    "r        reload the script",
    "w        cycle the loss weighting",
    "+ / -    learning rate up / down",
    "< / >    slower / faster: steps per second (slow motion)",
    "s        save a checkpoint",
    "e        export metrics CSV and an SVG of the plots",
    "m        next relationship matrix",
    "l        loss axis: log / linear",
    "z        zoom: whole run / last 1000 / last 200 steps",
    "f        maximise the focused pane (esc restores)",
    "c        compare experiments (table and Pareto plot)",
    "[ ] 1-9  previous / next / n-th experiment",
    "tab      next pane (shift-tab: previous)",
    "arrows   scroll the focused pane, pgup/pgdn, home/end",
    ":        type a Lua line in the console (esc leaves)",
    "?        this help (any key closes it)",
    "q        quit (asks while training runs)",
};

void panes_draw_overlay(tui_screen *s, const tui_view *v)
{
    (void)v;
    if (!s->help && !s->confirm_quit) return;
    int lines = s->layout.lines, cols = s->layout.cols;
    int n = s->help ? (int)(sizeof help_lines / sizeof *help_lines) : 1;
    int h = n + 4, w = s->help ? 60 : 46;
    if (h > lines - 2) h = lines - 2;
    if (w > cols - 2) w = cols - 2;
    WINDOW *o = newwin(h, w, (lines - h) / 2, (cols - w) / 2);
    if (!o) return;
    colors_set(o, ROLE_FOCUS, 0);
    box(o, 0, 0);
    if (s->help) {
        pane_put(o, 0, 2, " keys ", w - 4);
        for (int i = 0; i < n && 2 + i < h - 1; i++) {
            colors_set(o, ROLE_KEY, 0);
            pane_put(o, 2 + i, 2, help_lines[i], 8);
            colors_set(o, ROLE_NORMAL, 0);
            pane_put(o, 2 + i, 11, help_lines[i] + 9, w - 13);
        }
    } else {
        colors_set(o, ROLE_WARN, 0);
        pane_put(o, 2, 2, "Training is running. Quit? (y/n)", w - 4);
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
