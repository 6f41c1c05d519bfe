#include "screen_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "axis.h"
#include "compare.h"
#include "heat.h"
#include "text.h"

/* ---- small drawing helpers ---------------------------------------------- */

static const char *const glyph_utf8[G_COUNT] = { "━", "┄", "·", "●", "○", "▶", "█", "│", "┤",
                                                 "┬", "└", "─", "…", "┊" };
static const char *const glyph_ascii[G_COUNT] = { "-", ".", ".", "*", "o", ">", "#", "|", "+",
                                                  "+", "+", "-", "~", ":" };

const char *pane_glyph(const tui_screen *s, glyph g) { return s->ascii ? glyph_ascii[g] : glyph_utf8[g]; }

/* Writes UTF-8 text clipped to `maxcols` columns; returns columns used. */
int pane_put(WINDOW *w, int y, int x, const char *str, int maxcols)
{
    if (maxcols <= 0 || !str) return 0;
    int b = text_fit(str, -1, maxcols);
    mvwaddnstr(w, y, x, str, b);
    return text_columns(str, b);
}

int pane_putf(WINDOW *w, int y, int x, int maxcols, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int pane_putf(WINDOW *w, int y, int x, int maxcols, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return pane_put(w, y, x, buf, maxcols);
}

static void put_cell(WINDOW *w, int y, int x, wchar_t ch, tui_role r, attr_t extra)
{
    cchar_t cc;
    wchar_t wc[2] = { ch, 0 };
    setcchar(&cc, wc, colors_attr(r) | extra, colors_pair(r), NULL);
    mvwadd_wch(w, y, x, &cc);
}

static const char *fmtv(double v, char *buf, size_t n)
{
    axis_format(v, 0, buf, n);
    return buf;
}

const mt_monitor *panes_monitor(const tui_view *v)
{
    if (!v || v->count <= 0 || !v->monitors) return NULL;
    int i = v->selected;
    if (i < 0 || i >= v->count) i = 0;
    return v->monitors[i];
}

/* The border and title of a pane; the focused pane's in the focus role. */
void pane_frame(tui_screen *s, WINDOW *w, tui_pane_id id, const char *title, const char *extra)
{
    int focused = s->focus == id;
    colors_set(w, focused ? ROLE_FOCUS : ROLE_AXIS, 0);
    box(w, 0, 0);
    int W = getmaxx(w);
    colors_set(w, focused ? ROLE_FOCUS : ROLE_TITLE, 0);
    int c = pane_putf(w, 0, 2, W - 4, " %s ", title);
    if (extra && *extra) {
        colors_set(w, ROLE_DIM, 0);
        pane_putf(w, 0, 2 + c, W - 4 - c, "%s ", extra);
    }
    colors_set(w, ROLE_NORMAL, 0);
}

void pane_centre_msg(WINDOW *w, const char *msg, tui_role r)
{
    int H, W;
    getmaxyx(w, H, W);
    int n = text_columns(msg, -1);
    colors_set(w, r, 0);
    pane_put(w, H / 2, n < W - 2 ? (W - n) / 2 : 1, msg, W - 2);
    colors_set(w, ROLE_NORMAL, 0);
}

/* Scroll keys shared by the text panes; the pane's draw clamps. */
int pane_scroll_key(tui_screen *s, tui_pane_id id, int key, int page)
{
    switch (key) {
    case KEY_UP: s->scroll[id]--; break;
    case KEY_DOWN: s->scroll[id]++; break;
    case KEY_PPAGE: s->scroll[id] -= page; break;
    case KEY_NPAGE: s->scroll[id] += page; break;
    case KEY_HOME: s->scroll[id] = 0; break;
    case KEY_END: s->scroll[id] = 1 << 20; break;
    case KEY_LEFT: s->hscroll[id] -= 4; break;
    case KEY_RIGHT: s->hscroll[id] += 4; break;
    default: return 0;
    }
    if (s->hscroll[id] < 0) s->hscroll[id] = 0;
    if (s->scroll[id] < 0) s->scroll[id] = 0;
    return 1;
}

int pane_clamp_scroll(tui_screen *s, tui_pane_id id, int max)
{
    if (max < 0) max = 0;
    s->scroll_max[id] = max;
    if (s->scroll[id] > max) s->scroll[id] = max;
    if (s->scroll[id] < 0) s->scroll[id] = 0;
    return s->scroll[id];
}

/* ---- the braille plot ----------------------------------------------------- */


static void plot_cells(tui_screen *s, WINDOW *w, int y, int x)
{
    const plot_grid *g = &s->grid;
    for (int cy = 0; cy < g->h; cy++) {
        for (int cx = 0; cx < g->w; cx++) {
            int c = cy * g->w + cx;
            uint8_t mask = g->dots[c];
            if (!mask) continue;
            int col = g->colour[c] < 0 ? 0 : g->colour[c];
            tui_role role = colors_task(col % PLOT_AUX);
            attr_t extra = col >= PLOT_AUX ? A_DIM : 0;
            wchar_t ch;
            if (s->ascii) {
                int top = mask & 0x1B, bottom = mask & 0xE4;
                ch = top && bottom ? ':' : top ? '\'' : '.';
            } else {
                ch = (wchar_t)(0x2800 + mask);
            }
            put_cell(w, y + cy, x + cx, ch, role, extra);
        }
    }
}



/* Plots `n` series in the rectangle (x, y, wd, ht) of w with a y axis of
 * tick labels on the left and an x axis below. Returns 0 when there is
 * nothing to plot yet. */
int pane_draw_plot(tui_screen *s, WINDOW *w, int x, int y, int wd, int ht,
                     const plot_series *ser, int n, const plot_opts *o, plot_frame *out)
{
    int log = o->log;
    double xmin = INFINITY, xmax = -INFINITY;
    for (int i = 0; i < n; i++) {
        const mt_series *q = ser[i].s;
        for (int k = 0; k < q->len; k++) {
            if (!isfinite(q->x[k])) continue;
            if (q->x[k] < xmin) xmin = q->x[k];
            if (q->x[k] > xmax) xmax = q->x[k];
        }
    }
    if (!(xmin <= xmax)) return 0;
    if (o->zoom > 0 && xmax - (double)o->zoom > xmin) xmin = xmax - (double)o->zoom;
    double lo = INFINITY, hi = -INFINITY;
    int pts = 0;
    for (int i = 0; i < n; i++)
        pts += plot_y_extent(ser[i].s->x, ser[i].s->y, ser[i].s->len, xmin, xmax, log, &lo, &hi);
    if (!pts) return 0;
    if (o->xpad > 0) axis_pad_range(&xmin, &xmax, o->xpad, 0);
    if (xmax <= xmin) xmax = xmin + 1;
    if (log) {
        lo = log10(lo);
        hi = log10(hi);
    }
    axis_pad_range(&lo, &hi, 0.04, log);

    const int lw = 8; /* tick labels */
    int px = x + lw + 1, pw = wd - lw - 1, ph = ht - 2;
    if (pw < 4 || ph < 2) {
        colors_set(w, ROLE_DIM, 0);
        pane_put(w, y, x, "(no room)", wd);
        return 1;
    }
    if (out) *out = (plot_frame){ { xmin, xmax, lo, hi, log }, px, y, pw, ph };
    if (plot_grid_reset(&s->grid, pw, ph) != MT_OK) return 1;
    plot_range r = { xmin, xmax, lo, hi, log };
    for (int i = 0; i < n; i++)
        plot_raster(&s->grid, ser[i].s->x, ser[i].s->y, ser[i].s->len, &r, ser[i].colour,
                    ser[i].style);
    plot_cells(s, w, y, px);

    /* y axis */
    colors_set(w, ROLE_AXIS, 0);
    for (int row = 0; row < ph; row++) pane_put(w, y + row, px - 1, pane_glyph(s, G_VBAR), 1);
    double t[16], step = 0;
    int maxn = ph / 2 + 1;
    if (maxn > 8) maxn = 8;
    if (maxn < 2) maxn = 2;
    int nt = log ? axis_log_ticks(pow(10.0, lo), pow(10.0, hi), maxn, t, 16)
                 : axis_ticks(lo, hi, maxn, t, 16, &step);
    /* log ticks within one decade are close together: label them with the
     * decimals their spacing needs, or they all read "0.018" */
    if (log && nt >= 2) {
        step = INFINITY;
        for (int i = 1; i < nt; i++)
            if (t[i] - t[i - 1] < step) step = t[i] - t[i - 1];
    }
    int last_row = -1;
    for (int i = nt - 1; i >= 0; i--) {
        double tv = log ? log10(t[i]) : t[i];
        double fy = (hi - tv) / (hi - lo) * (4 * ph - 1);
        int row = (int)floor(fy + 0.5) / 4;
        if (row < 0 || row >= ph || row == last_row) continue;
        last_row = row;
        char lab[16];
        axis_format(t[i], step, lab, sizeof lab);
        int lc = text_columns(lab, -1);
        colors_set(w, ROLE_AXIS, 0);
        pane_put(w, y + row, px - 1, pane_glyph(s, G_TICK_Y), 1);
        colors_set(w, ROLE_DIM, 0);
        pane_put(w, y + row, px - 2 - (lc < lw ? lc : lw), lab, lw);
    }
    /* x axis */
    colors_set(w, ROLE_AXIS, 0);
    pane_put(w, y + ph, px - 1, pane_glyph(s, G_CORNER), 1);
    for (int c = 0; c < pw; c++) pane_put(w, y + ph, px + c, pane_glyph(s, G_HBAR), 1);
    int xn = axis_ticks(xmin, xmax, pw / 10 < 2 ? 2 : (pw / 10 > 10 ? 10 : pw / 10), t, 16, &step);
    int next_free = 0;
    for (int i = 0; i < xn; i++) {
        double fx = (t[i] - xmin) / (xmax - xmin) * (2 * pw - 1);
        int col = (int)floor(fx + 0.5) / 2;
        if (col < 0 || col >= pw) continue;
        char lab[16];
        axis_format(t[i], step, lab, sizeof lab);
        int lc = text_columns(lab, -1);
        int lx = col - lc / 2;
        if (lx < 0) lx = 0;
        if (lx + lc > pw) lx = pw - lc;
        if (lx < next_free) continue;
        colors_set(w, ROLE_AXIS, 0);
        pane_put(w, y + ph, px + col, pane_glyph(s, G_TICK_X), 1);
        colors_set(w, ROLE_DIM, 0);
        pane_put(w, y + ph + 1, px + lx, lab, pw - lx);
        next_free = lx + lc + 2;
    }
    colors_set(w, ROLE_NORMAL, 0);
    return 1;
}

/* A method switch as a dotted vertical line at its step, drawn only in
 * cells no curve uses (the plot's grid is still the last one drawn), and
 * its label at the top when there is room. */
int pane_draw_marks(tui_screen *s, WINDOW *w, const plot_frame *pf, const mt_monitor *m)
{
    if (!m || !pf || pf->pw <= 0) return 0;
    const plot_grid *g = &s->grid;
    int col[MT_MON_MAX_MARKS], shown = 0;
    for (int i = 0; i < m->nmarks; i++) {
        double x = (double)m->mark[i].step;
        col[i] = -1;
        if (x < pf->r.x0 || x > pf->r.x1) continue;
        col[i] = (int)floor((x - pf->r.x0) / (pf->r.x1 - pf->r.x0) * (2 * pf->pw - 1) + 0.5) / 2;
        if (col[i] < 0 || col[i] >= pf->pw) {
            col[i] = -1;
            continue;
        }
        colors_set(w, ROLE_WARN, 0);
        for (int row = 0; row < pf->ph; row++) {
            int c = row * g->w + col[i];
            if (g->w == pf->pw && c < g->w * g->h && g->dots[c]) continue;
            pane_put(w, pf->py + row, pf->px + col[i], pane_glyph(s, G_MARK), 1);
        }
        shown++;
    }
    /* the new method's name right of its line, where it fits before the next line */
    for (int i = 0; i < m->nmarks; i++) {
        if (col[i] < 0) continue;
        int room = pf->pw - col[i] - 1;
        for (int k = i + 1; k < m->nmarks; k++)
            if (col[k] >= col[i] && col[k] - col[i] - 1 < room) room = col[k] - col[i] - 1;
        const char *to = strstr(m->mark[i].label, "\xe2\x86\x92 ");
        to = to ? to + 4 : m->mark[i].label;
        if (text_columns(to, -1) > room) continue;
        colors_set(w, ROLE_WARN, 0);
        pane_put(w, pf->py, pf->px + col[i] + 1, to, room);
    }
    colors_set(w, ROLE_NORMAL, 0);
    return shown;
}

/* ---- header and footer ---------------------------------------------------- */

tui_role pane_state_role(mt_run_state st)
{
    switch (st) {
    case MT_RUN_RUNNING: return ROLE_GOOD;
    case MT_RUN_PAUSED: return ROLE_WARN;
    case MT_RUN_FINISHED: return ROLE_TITLE;
    case MT_RUN_STOPPED: return ROLE_WARN;
    case MT_RUN_DIVERGED: case MT_RUN_FAILED: return ROLE_BAD;
    default: return ROLE_DIM;
    }
}

/* The newest message, as the header shows it (and the footer while a
 * pane is enlarged): a run's failure, a key's note, the view's message,
 * the run's status; NULL when there is none. */
static const char *header_message(const tui_screen *s, const tui_view *v, const mt_monitor *m, tui_role *role)
{
    *role = ROLE_NORMAL;
    if (m && m->status_msg[0] && (m->state == MT_RUN_DIVERGED || m->state == MT_RUN_FAILED)) {
        *role = ROLE_BAD;
        return m->status_msg;
    }
    if (s->note[0] && s->frame - s->note_frame < 40) {
        *role = ROLE_WARN;
        return s->note;
    }
    if (v->message && v->message[0]) return v->message;
    if (m && m->status_msg[0]) return m->status_msg;
    return NULL;
}

/* The footer while a pane is enlarged for projection (the header is gone):
 * how to return first (in a lesson also how to go on), the run's state
 * and step, then the newest message, cut at the edge. */
static void draw_enlarged_footer(tui_screen *s, WINDOW *w, const tui_view *v, int lesson)
{
    static const char *const keys[][2] = { { "f", "back to every pane" }, { "spc", "next" }, { "q", "menu" } };
    int W = getmaxx(w), x = 0;
    for (int i = 0; i < (lesson ? 3 : 1) && x < W - 4; i++) {
        colors_set(w, ROLE_KEY, 0);
        x += pane_put(w, 0, x, keys[i][0], W - x);
        colors_set(w, ROLE_NORMAL, 0);
        x += pane_putf(w, 0, x, W - x, " %s  ", keys[i][1]);
    }
    const mt_monitor *m = panes_monitor(v);
    char st[96];
    if (m && x < W - 4) {
        if (m->total_steps > 0)
            snprintf(st, sizeof st, "%s %s, step %ld/%ld", pane_glyph(s, G_BULLET), monitor_state_name(m->state),
                     m->step, m->total_steps);
        else snprintf(st, sizeof st, "%s %s, step %ld", pane_glyph(s, G_BULLET), monitor_state_name(m->state), m->step);
        colors_set(w, pane_state_role(m->state), 0);
        x += pane_put(w, 0, x, st, W - x) + 2;
    }
    tui_role mr;
    const char *msg = header_message(s, v, m, &mr);
    if (msg && x < W - 4) {
        colors_set(w, mr, 0);
        pane_put(w, 0, x, msg, W - x);
    }
    colors_set(w, ROLE_NORMAL, 0);
}

static void draw_header(tui_screen *s, WINDOW *w, const tui_view *v)
{
    int W = getmaxx(w);
    const mt_monitor *m = panes_monitor(v);
    colors_set(w, ROLE_TITLE, A_REVERSE);
    mvwhline(w, 0, 0, ' ', W);
    int x = pane_put(w, 0, 1, "mtlab", W - 2) + 2;
    if (v->mode) {
        colors_set(w, v->mode_warn ? ROLE_WARN : ROLE_TITLE, A_REVERSE);
        x += pane_putf(w, 0, x, W - x - 1, "[%s]", v->mode) + 1;
        colors_set(w, ROLE_TITLE, A_REVERSE);
    }
    if (!m) {
        colors_set(w, ROLE_NORMAL, 0);
        pane_put(w, 1, 1, "no experiment loaded", W - 2);
        return;
    }
    char b[64], c[64];
    /* line 1: what runs and the values the person steers; the name gets
     * what the rest leaves */
    char steer[2 * MT_MON_NAME];
    snprintf(steer, sizeof steer, " weighting %s  lr %s", m->weighting[0] ? m->weighting : "-",
             fmtv(m->lr, c, sizeof c));
    int namew = W - x - 1 - (v->count > 1 ? 8 : 0) - (int)strlen(monitor_state_name(m->state)) - 6 -
                text_columns(steer, -1);
    if (namew < 12) namew = 12;
    x += pane_putf(w, 0, x, namew, "%s", m->experiment[0] ? m->experiment : "experiment");
    if (v->count > 1) x += pane_putf(w, 0, x, W - x - 1, " [%d/%d]", v->selected + 1, v->count);
    colors_set(w, pane_state_role(m->state), A_REVERSE);
    x += pane_putf(w, 0, x + 1, W - x - 2, " %s %s ", pane_glyph(s, G_BULLET), monitor_state_name(m->state)) + 2;
    colors_set(w, ROLE_TITLE, A_REVERSE);
    x += pane_put(w, 0, x, steer, W - x - 1);

    /* line 2: progress, then the numbers that move, then the newest message */
    colors_set(w, ROLE_NORMAL, 0);
    int bw = W / 5 < 10 ? 10 : (W / 5 > 40 ? 40 : W / 5);
    double frac = m->total_steps > 0 ? (double)m->step / (double)m->total_steps : 0.0;
    if (frac > 1) frac = 1;
    if (frac < 0) frac = 0;
    int full = (int)(frac * bw);
    colors_set(w, pane_state_role(m->state), 0);
    for (int i = 0; i < bw; i++) pane_put(w, 1, 1 + i, i < full ? pane_glyph(s, G_BLOCK) : pane_glyph(s, G_DOT), 1);
    colors_set(w, ROLE_NORMAL, 0);
    x = 2 + bw;
    x += pane_putf(w, 1, x, W - x - 1, "%3.0f%%  ", frac * 100);
    if (m->total_steps > 0)
        x += pane_putf(w, 1, x, W - x - 1, "step %ld/%ld", m->step, m->total_steps);
    else
        x += pane_putf(w, 1, x, W - x - 1, "step %ld", m->step);
    if (m->epochs > 0) x += pane_putf(w, 1, x, W - x - 1, "  epoch %d/%d", m->epoch, m->epochs);
    colors_set(w, ROLE_DIM, 0);
    x += pane_putf(w, 1, x, W - x - 1, "  %s samples/s", fmtv(m->samples_per_s, b, sizeof b)) + 3;
    tui_role mr;
    const char *msg = header_message(s, v, m, &mr);
    if (msg) {
        colors_set(w, mr, 0);
        pane_put(w, 1, x, msg, W - x - 1);
    }
    colors_set(w, ROLE_NORMAL, 0);
}

static void draw_footer(tui_screen *s, WINDOW *w, const tui_view *v)
{
    /* most needed first: a narrow terminal cuts the tail, and ? lists all */
    static const char *const keys[][2] = {
        { "?", "help" },   { "spc", "pause" }, { "n", "step" },  { "q", "quit" },
        { "tab", "focus" }, { ":", "lua" },    { "w", "weight" }, { "m", "matrix" },
        { "l", "log" },    { "z", "zoom" },    { "c", "compare" }, { "r", "reload" },
    };
    static const char *const console_keys[][2] = {
        { "enter", "run" }, { "\xe2\x86\x91\xe2\x86\x93", "history" }, { "tab", "complete" },
        { "esc", "leave" },  { "pgup", "scroll" },
    };
    static const char *const recorded_keys[][2] = {
        { "?", "help" }, { "< >", "matrices over time" }, { "m", "matrix" }, { "a", "average" },
        { "c", "compare" }, { "[ ]", "run" }, { "e", "export" }, { "q", "quit" },
    };
    static const char *const lesson_keys[][2] = {
        { "spc", "next (or the answer)" }, { "bksp", "back" }, { "p", "pause" }, { "?", "help" }, { "f", "enlarge" },
        { "tab", "focus" }, { "m", "matrix" }, { "w", "weight" }, { "q", "menu" },
    };
    int W = getmaxx(w);
    int x = 0;
    int console = s->focus == TUI_PANE_CONSOLE && !v->readonly;
    int lesson = v->lesson && !console;
    if (!console && !layout_visible(&s->layout, TUI_PANE_HEADER)) {
        draw_enlarged_footer(s, w, v, lesson);
        return;
    }
    int nk = console       ? (int)(sizeof console_keys / sizeof *console_keys)
             : lesson      ? (int)(sizeof lesson_keys / sizeof *lesson_keys)
             : v->readonly ? (int)(sizeof recorded_keys / sizeof *recorded_keys)
                           : (int)(sizeof keys / sizeof *keys);
    for (int i = 0; i < nk && x < W - 4; i++) {
        const char *k = console ? console_keys[i][0] : lesson ? lesson_keys[i][0] : v->readonly ? recorded_keys[i][0] : keys[i][0];
        const char *l = console ? console_keys[i][1] : lesson ? lesson_keys[i][1] : v->readonly ? recorded_keys[i][1] : keys[i][1];
        if (s->ascii && console && i == 1) k = "up/dn";
        colors_set(w, ROLE_KEY, 0);
        x += pane_put(w, 0, x, k, W - x);
        colors_set(w, ROLE_NORMAL, 0);
        x += pane_putf(w, 0, x, W - x, " %s  ", l);
    }
    if (v->script && x < W - 10) {
        colors_set(w, ROLE_DIM, 0);
        int n = text_columns(v->script, -1);
        int room = W - x - 1;
        if (n <= room) pane_put(w, 0, W - n - 1, v->script, n);
    }
    colors_set(w, ROLE_NORMAL, 0);
}

/* ---- loss pane ------------------------------------------------------------ */

static void draw_loss(tui_screen *s, WINDOW *w, const tui_view *v)
{
    const mt_monitor *m = panes_monitor(v);
    int H, W;
    getmaxyx(w, H, W);
    long zoom = tui_zoom_steps[s->zoom % TUI_ZOOM_LEVELS];
    char extra[96];
    snprintf(extra, sizeof extra, "%s%s%s", s->log_scale ? "log  " : "",
             zoom ? "last " : "whole run", "");
    if (zoom) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%ld steps", zoom);
    if (m && m->spread_n > 1)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "  mean of %d seeds, dotted: +-1 sd",
                 m->spread_n);
    int iw = W - 2, ih = H - 2;
    /* legend on the right when wide, else below */
    int right = iw >= 70;
    int lw = right ? 30 : 0;
    int per_row = right ? 1 : (iw / 22 < 1 ? 1 : iw / 22);
    int entry_w = right ? lw : iw / per_row;
    int lrows = right || !m ? 0 : (m->ntasks + per_row - 1) / per_row;
    if (lrows > ih / 3) lrows = ih / 3;
    /* more tasks than legend entries: the legend pages (up/down, pgup/pgdn) */
    int two_lines = m && right && 2 * m->ntasks + 1 <= ih;
    int fit = right ? ih - 1 : lrows * per_row, first = 0;
    if (m && fit > 0 && m->ntasks > fit) {
        first = pane_clamp_scroll(s, TUI_PANE_LOSS, m->ntasks - fit);
        int last = first + fit < m->ntasks ? first + fit : m->ntasks;
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "  tasks %d-%d/%d", first + 1, last,
                 m->ntasks);
    }
    pane_frame(s, w, TUI_PANE_LOSS, "loss", extra);
    if (!m) return;
    plot_series ser[7 * MT_MAX_TASKS];
    int n = 0;
    /* a sweep's configuration: the band of one sd over the seeds around the
     * main tasks' mean curves, drawn first so the means win shared cells */
    for (int t = 0; m->spread_n > 1 && t < m->ntasks; t++) {
        if (m->aux[t]) continue;
        ser[n++] = (plot_series){ &m->val_lo[t], t, PLOT_DOTTED };
        ser[n++] = (plot_series){ &m->val_hi[t], t, PLOT_DOTTED };
        ser[n++] = (plot_series){ &m->train_lo[t], t, PLOT_DOTTED };
        ser[n++] = (plot_series){ &m->train_hi[t], t, PLOT_DOTTED };
    }
    /* the reference lines (dim, dotted): a level the task's loss cannot
     * beat, across the span of its curve */
    static double rx[MT_MAX_TASKS][2], ry[MT_MAX_TASKS][2];
    static mt_series rs[MT_MAX_TASKS];
    for (int t = 0; t < m->ntasks; t++) {
        const mt_series *q = &m->train_loss[t];
        if (!isfinite(m->ref_level[t]) || q->len < 1) continue;
        rx[t][0] = q->x[0], rx[t][1] = q->x[q->len - 1] > q->x[0] ? q->x[q->len - 1] : q->x[0] + 1;
        ry[t][0] = ry[t][1] = m->ref_level[t];
        rs[t] = (mt_series){ .x = rx[t], .y = ry[t], .cap = 2, .len = 2, .stride = 1 };
        ser[n++] = (plot_series){ &rs[t], t + PLOT_AUX, PLOT_DOTTED };
    }
    /* auxiliary first and main training last, so main curves win shared cells */
    for (int pass = 0; pass < 2; pass++) {
        for (int t = 0; t < m->ntasks; t++) {
            int aux = m->aux[t] != 0;
            if (aux != (pass == 0)) continue;
            ser[n++] = (plot_series){ &m->val_loss[t], t + (aux ? PLOT_AUX : 0),
                                      aux ? PLOT_POINTS : PLOT_DASHED };
            ser[n++] = (plot_series){ &m->train_loss[t], t + (aux ? PLOT_AUX : 0),
                                      aux ? PLOT_DOTTED : PLOT_SOLID };
        }
    }
    plot_opts po = { s->log_scale, zoom, 0.0 };
    plot_frame pf;
    if (!pane_draw_plot(s, w, 1, 1, iw - lw - (right ? 1 : 0), ih - lrows, ser, n, &po, &pf))
        pane_centre_msg(w, "waiting for the first training step", ROLE_DIM);
    else
        pane_draw_marks(s, w, &pf, m);
    /* legend */
    int row = 0;
    if (right) {
        colors_set(w, ROLE_DIM, 0);
        pane_putf(w, 1, W - 1 - lw, lw, "%s%s train (step) %s%s val (eval)", pane_glyph(s, G_LINE),
                  pane_glyph(s, G_LINE), pane_glyph(s, G_DASH), pane_glyph(s, G_DASH));
        row = 1;
    }
    for (int t = first; t < m->ntasks; t++) {
        int y, x, cw;
        if (right) {
            y = 1 + row;
            x = W - 1 - lw;
            cw = lw;
            if (y >= H - 1) break;
        } else {
            int r = (t - first) / per_row;
            if (r >= lrows) break;
            y = H - 1 - lrows + r;
            x = 1 + ((t - first) % per_row) * entry_w;
            cw = entry_w - 1;
        }
        attr_t dim = m->aux[t] ? A_DIM : 0;
        char a[16], b[16];
        fmtv(series_last(&m->train_loss[t]), a, sizeof a);
        fmtv(series_last(&m->val_loss[t]), b, sizeof b);
        colors_set(w, colors_task(t), dim | A_BOLD);
        int c = pane_putf(w, y, x, cw, "%s%s ", pane_glyph(s, G_LINE), pane_glyph(s, G_LINE));
        colors_set(w, ROLE_NORMAL, dim);
        char nm[MT_MON_NAME];
        int nw = cw - c - (m->aux[t] ? 4 : 0) - (two_lines ? 0 : 7);
        c += pane_put(w, y, x + c, text_elide(nm, sizeof nm, m->task[t], nw), nw);
        if (m->aux[t]) {
            colors_set(w, ROLE_AUX, 0);
            c += pane_put(w, y, x + c, " aux", cw - c);
        }
        if (two_lines) {
            colors_set(w, ROLE_NORMAL, 0);
            pane_putf(w, y + 1, x + 3, cw - 3, "%-8s", a);
            colors_set(w, ROLE_DIM, 0);
            if (m->val_loss[t].len) pane_putf(w, y + 1, x + 12, cw - 12, "val %s", b);
            if (isfinite(m->ref_level[t])) { /* the reference beside the name */
                char r[16];
                fmtv(m->ref_level[t], r, sizeof r);
                pane_putf(w, y, x + c + 1, cw - c - 1, "%s%s %s %s", pane_glyph(s, G_DOT), pane_glyph(s, G_DOT),
                          m->ref_label[t], r);
            }
            row += 2;
        } else {
            colors_set(w, ROLE_NORMAL, 0);
            pane_putf(w, y, x + c + 1, cw - c - 1, "%s", a);
            row += 1;
        }
    }
    /* the method switches, newest last, as many as fit under the tasks */
    if (right && m->nmarks > 0) {
        int room = H - 2 - row - 1;
        int from = m->nmarks > room ? m->nmarks - room : 0;
        for (int i = from; i < m->nmarks && room > 0; i++) {
            colors_set(w, ROLE_WARN, 0);
            int c = pane_put(w, 2 + row, W - 1 - lw, pane_glyph(s, G_MARK), 1);
            colors_set(w, ROLE_DIM, 0);
            char text[2 * MT_MON_NAME + 32];
            snprintf(text, sizeof text, "%ld: %s", m->mark[i].step, m->mark[i].label);
            const char *to = strstr(m->mark[i].label, "\xe2\x86\x92 ");
            if (to && text_columns(text, -1) > lw - c - 1) /* too long: the new method (the line above has the old) */
                snprintf(text, sizeof text, "%ld: %s", m->mark[i].step, to);
            pane_put(w, 2 + row, W - 1 - lw + c + 1, text, lw - c - 1);
            row++;
        }
    }
    colors_set(w, ROLE_NORMAL, 0);
}

/* ---- weights pane --------------------------------------------------------- */

static void draw_weights(tui_screen *s, WINDOW *w, const tui_view *v)
{
    const mt_monitor *m = panes_monitor(v);
    int H, W;
    getmaxyx(w, H, W);
    char title[MT_MON_NAME + 8], extra[48] = "";
    snprintf(title, sizeof title, "loss %s", m && m->weight_label[0] ? m->weight_label : "weight");
    /* the one-line legend pages through the tasks (up/down, pgup/pgdn) */
    int first = m ? pane_clamp_scroll(s, TUI_PANE_WEIGHTS, m->ntasks - 1) : 0;
    if (first > 0 || (m && m->ntasks > 8)) snprintf(extra, sizeof extra, "from task %d/%d", first + 1, m->ntasks);
    pane_frame(s, w, TUI_PANE_WEIGHTS, title, extra);
    if (!m) return;
    plot_series ser[MT_MAX_TASKS];
    int n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int t = 0; t < m->ntasks; t++)
            if ((m->aux[t] != 0) == (pass == 0))
                ser[n++] = (plot_series){ &m->weight[t], t + (m->aux[t] ? PLOT_AUX : 0),
                                          m->aux[t] ? PLOT_DOTTED : PLOT_SOLID };
    int legend = H >= 7 ? 1 : 0;
    long zoom = tui_zoom_steps[s->zoom % TUI_ZOOM_LEVELS];
    plot_opts po = { 0, zoom, 0.0 };
    plot_frame pf;
    if (!pane_draw_plot(s, w, 1, 1, W - 2, H - 2 - legend, ser, n, &po, &pf))
        pane_centre_msg(w, "no weights recorded yet", ROLE_DIM);
    else
        pane_draw_marks(s, w, &pf, m);
    if (!legend) return;
    int x = 1;
    for (int t = first; t < m->ntasks && x < W - 2; t++) {
        char a[16], nm[MT_MON_NAME];
        colors_set(w, colors_task(t), m->aux[t] ? A_DIM : A_BOLD);
        x += pane_put(w, H - 2, x, pane_glyph(s, G_LINE), 1) + 1;
        colors_set(w, ROLE_NORMAL, m->aux[t] ? A_DIM : 0);
        x += pane_putf(w, H - 2, x, W - 1 - x, "%s %s  ", text_elide(nm, sizeof nm, m->task[t], 10),
                       fmtv(series_last(&m->weight[t]), a, sizeof a));
    }
    colors_set(w, ROLE_NORMAL, 0);
}

/* ---- topology and notes ------------------------------------------------ */

static int loss_key(tui_screen *s, int key) { return pane_scroll_key(s, TUI_PANE_LOSS, key, 8); }
static int weights_key(tui_screen *s, int key) { return pane_scroll_key(s, TUI_PANE_WEIGHTS, key, 4); }
static int topology_key(tui_screen *s, int key) { return pane_scroll_key(s, TUI_PANE_TOPOLOGY, key, 8); }
static int notes_key(tui_screen *s, int key) { return pane_scroll_key(s, TUI_PANE_NOTES, key, 8); }

/* The topology's lines as rows `width` columns wide: a line too long
 * wraps at a space, its further rows indented past its own indent, so a
 * head's last words ("-> out 1") stay on screen. Draws the rows from
 * `first` on (at most `rows`) into w when w is given; returns how many
 * rows there are. */
static int topology_rows(WINDOW *w, const char *text, int width, int first, int rows)
{
    int n = 0;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        int ind = 0;
        while (ind < len && (p[ind] == ' ' || p[ind] == '|' || p[ind] == '+' || p[ind] == '-' || p[ind] == '>'))
            ind++;
        ind += 2; /* the further rows start past the line's tree marks */
        if (ind > width / 3) ind = width / 3;
        int at = 0, cont = 0;
        while (at < len || (at == 0 && len == 0)) {
            int room = cont ? width - ind : width;
            if (room < 1) room = 1;
            int take = text_fit(p + at, len - at, room);
            if (at + take < len) { /* break at the last space that leaves a word on this row */
                int k = take;
                while (k > 0 && p[at + k] != ' ') k--;
                if (k > 0) take = k;
            }
            if (w && n >= first && n < first + rows) mvwaddnstr(w, 1 + n - first, 1 + (cont ? ind : 0), p + at, take);
            n++;
            at += take;
            while (at < len && p[at] == ' ') at++;
            cont = 1;
            if (len == 0) break;
        }
        p = nl ? nl + 1 : NULL;
    }
    return n;
}

static void draw_topology(tui_screen *s, WINDOW *w, const tui_view *v)
{
    const mt_monitor *m = panes_monitor(v);
    int H, W;
    getmaxyx(w, H, W);
    pane_frame(s, w, TUI_PANE_TOPOLOGY, "topology", NULL);
    if (!m || !m->topology[0]) {
        pane_centre_msg(w, "no topology description", ROLE_DIM);
        return;
    }
    int nrows = topology_rows(NULL, m->topology, W - 2, 0, 0);
    int first = pane_clamp_scroll(s, TUI_PANE_TOPOLOGY, nrows - (H - 2));
    colors_set(w, ROLE_NORMAL, 0);
    topology_rows(w, m->topology, W - 2, first, H - 2);
    if (nrows > H - 2) {
        colors_set(w, ROLE_DIM, 0);
        pane_putf(w, H - 1, W - 14, 12, " %d/%d ", first + 1, nrows);
    }
    colors_set(w, ROLE_NORMAL, 0);
}

static void draw_notes(tui_screen *s, WINDOW *w, const tui_view *v)
{
    const mt_monitor *m = panes_monitor(v);
    int H, W;
    getmaxyx(w, H, W);
    pane_frame(s, w, TUI_PANE_NOTES, v->notes_title ? v->notes_title : "notes", NULL);
    const char *text = v->notes ? v->notes : m ? m->description : "";
    if (!text[0]) {
        pane_centre_msg(w, "no description", ROLE_DIM);
        return;
    }
    text_span sp[512];
    int n = text_wrap(text, W - 3, sp, 512);
    if (n > 512) n = 512;
    int first = pane_clamp_scroll(s, TUI_PANE_NOTES, n - (H - 2));
    colors_set(w, ROLE_NORMAL, 0);
    for (int row = 0; row < H - 2 && first + row < n; row++) {
        text_span t = sp[first + row];
        mvwaddnstr(w, 1 + row, 2, text + t.off, t.len);
    }
    if (n > H - 2) {
        colors_set(w, ROLE_DIM, 0);
        pane_putf(w, H - 1, W - 14, 12, " %d/%d ", first + 1, n);
    }
    colors_set(w, ROLE_NORMAL, 0);
}

/* ---- console -------------------------------------------------------------- */

static int console_key(tui_screen *s, int key)
{
    int page = s->layout.pane[TUI_PANE_CONSOLE].h - 3;
    if (page < 1) page = 1;
    /* newest at the bottom: scrolling up goes back in time */
    switch (key) {
    case KEY_PPAGE: s->scroll[TUI_PANE_CONSOLE] += page; return 1;
    case KEY_NPAGE: s->scroll[TUI_PANE_CONSOLE] -= page; break;
    case KEY_UP: s->scroll[TUI_PANE_CONSOLE]++; return 1;
    case KEY_DOWN: s->scroll[TUI_PANE_CONSOLE]--; break;
    case KEY_END: s->scroll[TUI_PANE_CONSOLE] = 0; break;
    default: return 0;
    }
    if (s->scroll[TUI_PANE_CONSOLE] < 0) s->scroll[TUI_PANE_CONSOLE] = 0;
    return 1;
}

static tui_role log_role(int level)
{
    switch (level) {
    case 0: return ROLE_DIM;  /* debug */
    case 2: return ROLE_WARN;
    case 3: return ROLE_BAD;
    default: return ROLE_NORMAL;
    }
}

static void draw_console(tui_screen *s, WINDOW *w, const tui_view *v)
{
    const mt_monitor *m = panes_monitor(v);
    int H, W;
    getmaxyx(w, H, W);
    pane_frame(s, w, TUI_PANE_CONSOLE, "console", s->focus == TUI_PANE_CONSOLE ? "typing: esc leaves" : ": to type Lua");
    int rows = H - 3; /* border, border, prompt */
    if (m && rows > 0) {
        int back = pane_clamp_scroll(s, TUI_PANE_CONSOLE, m->log_len - rows);
        for (int row = 0; row < rows; row++) {
            int level = 1;
            const char *l = monitor_log_line(m, back + rows - 1 - row, &level);
            if (!l) continue;
            colors_set(w, log_role(level), 0);
            pane_put(w, 1 + row, 1, l, W - 2);
        }
        if (back > 0) {
            colors_set(w, ROLE_WARN, 0);
            pane_putf(w, 0, W - 16, 14, " %d back ", back);
        }
    }
    /* the prompt, scrolled so the cursor stays visible */
    int py = H - 2;
    if (s->candidates[0] && py - 1 >= 1) {
        colors_set(w, ROLE_FOCUS, 0);
        mvwhline(w, py - 1, 1, ' ', W - 2);
        pane_put(w, py - 1, 1, s->candidates, W - 2);
    }
    colors_set(w, s->focus == TUI_PANE_CONSOLE ? ROLE_FOCUS : ROLE_DIM, 0);
    int pl = pane_put(w, py, 1, "lua> ", W - 2);
    colors_set(w, ROLE_NORMAL, 0);
    int room = W - 2 - pl - 1;
    if (room < 1) return;
    char text[LE_BYTES];
    le_text(&s->edit, text, sizeof text);
    int cur = le_cursor(&s->edit);
    int start = cur > room ? cur - room : 0;
    int skip = text_fit(text, -1, start);
    pane_put(w, py, 1 + pl, text + skip, room);
    wmove(w, py, 1 + pl + cur - start);
}

/* ---- the pane classes ----------------------------------------------------- */

static const tui_pane_class header_class = { .name = "header", .draw = draw_header, .min_h = 2 };
static const tui_pane_class footer_class = { .name = "footer", .draw = draw_footer, .min_h = 1 };
static const tui_pane_class loss_class = { .name = "loss", .draw = draw_loss, .key = loss_key, .min_h = 6 };
static const tui_pane_class matrix_class = { .name = "matrix", .draw = pane_draw_matrix,
                                             .key = pane_matrix_key, .min_h = 5 };
static const tui_pane_class weights_class = { .name = "weights", .draw = draw_weights, .key = weights_key,
                                              .min_h = 5 };
static const tui_pane_class topology_class = { .name = "topology", .draw = draw_topology,
                                               .key = topology_key, .min_h = 3 };
static const tui_pane_class notes_class = { .name = "notes", .draw = draw_notes, .key = notes_key,
                                            .min_h = 3 };
static const tui_pane_class console_class = { .name = "console", .draw = draw_console,
                                              .key = console_key, .min_h = 4 };
static const tui_pane_class table_class = { .name = "comparison", .draw = pane_draw_compare_table,
                                            .key = pane_table_key, .min_h = 4 };
static const tui_pane_class scatter_class = { .name = "pareto", .draw = pane_draw_compare_scatter,
                                              .min_h = 6 };
static const tui_pane_class curves_class = { .name = "curves", .draw = pane_draw_compare_curves, .min_h = 6 };

const tui_pane_class *const tui_pane_classes[TUI_PANE_COUNT] = {
    [TUI_PANE_HEADER] = &header_class,
    [TUI_PANE_LOSS] = &loss_class,
    [TUI_PANE_MATRIX] = &matrix_class,
    [TUI_PANE_WEIGHTS] = &weights_class,
    [TUI_PANE_TOPOLOGY] = &topology_class,
    [TUI_PANE_NOTES] = &notes_class,
    [TUI_PANE_CONSOLE] = &console_class,
    [TUI_PANE_COMPARE_TABLE] = &table_class,
    [TUI_PANE_COMPARE_SCATTER] = &scatter_class,
    [TUI_PANE_COMPARE_CURVES] = &curves_class,
    [TUI_PANE_FOOTER] = &footer_class,
};
