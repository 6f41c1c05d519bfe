#include "layout.h"

#include <stdio.h>
#include <string.h>

static const char *const pane_names[TUI_PANE_COUNT] = {
    [TUI_PANE_HEADER] = "header",
    [TUI_PANE_LOSS] = "loss",
    [TUI_PANE_MATRIX] = "matrix",
    [TUI_PANE_WEIGHTS] = "weights",
    [TUI_PANE_TOPOLOGY] = "topology",
    [TUI_PANE_NOTES] = "notes",
    [TUI_PANE_CONSOLE] = "console",
    [TUI_PANE_COMPARE_TABLE] = "comparison",
    [TUI_PANE_COMPARE_SCATTER] = "pareto",
    [TUI_PANE_COMPARE_CURVES] = "curves",
    [TUI_PANE_FOOTER] = "footer",
};

const char *layout_pane_name(tui_pane_id p)
{
    return (unsigned)p < TUI_PANE_COUNT ? pane_names[p] : "?";
}

int layout_visible(const tui_layout *l, tui_pane_id p)
{
    return (unsigned)p < TUI_PANE_COUNT && l->pane[p].w > 0 && l->pane[p].h > 0;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static void put(tui_layout *l, tui_pane_id p, int x, int y, int w, int h)
{
    l->pane[p] = (tui_rect){ x, y, w, h };
}

/* The body panes (everything but header, footer and console) in the
 * normal, non-comparison view. The arrangement degrades with the space:
 * two rows of panes on a big terminal, the loss plot beside the heatmap on
 * a medium one, the loss plot alone on a small one. */
static void layout_body(tui_layout *l, int y, int mh, int ntasks)
{
    int cols = l->cols;
    int mw = clampi(16 + 6 * ntasks, 30, cols * 2 / 5);
    if (mh >= 22 && cols >= 110) {
        int th = mh * 3 / 5;
        int bh = mh - th;
        put(l, TUI_PANE_LOSS, 0, y, cols - mw, th);
        put(l, TUI_PANE_MATRIX, cols - mw, y, mw, th);
        int ww = cols * 2 / 5;
        int tw = (cols - ww) / 2;
        put(l, TUI_PANE_WEIGHTS, 0, y + th, ww, bh);
        put(l, TUI_PANE_TOPOLOGY, ww, y + th, tw, bh);
        put(l, TUI_PANE_NOTES, ww + tw, y + th, cols - ww - tw, bh);
    } else if (mh >= 34) {
        int r2 = mh * 3 / 10, r3 = mh / 5;
        int r1 = mh - r2 - r3;
        put(l, TUI_PANE_LOSS, 0, y, cols, r1);
        put(l, TUI_PANE_MATRIX, 0, y + r1, cols / 2, r2);
        put(l, TUI_PANE_WEIGHTS, cols / 2, y + r1, cols - cols / 2, r2);
        put(l, TUI_PANE_TOPOLOGY, 0, y + r1 + r2, cols / 2, r3);
        put(l, TUI_PANE_NOTES, cols / 2, y + r1 + r2, cols - cols / 2, r3);
    } else if (mh >= 22) {
        int r1 = mh * 3 / 5;
        put(l, TUI_PANE_LOSS, 0, y, cols, r1);
        put(l, TUI_PANE_MATRIX, 0, y + r1, cols / 2, mh - r1);
        put(l, TUI_PANE_WEIGHTS, cols / 2, y + r1, cols - cols / 2, mh - r1);
    } else if (cols >= 80) {
        put(l, TUI_PANE_LOSS, 0, y, cols - mw, mh);
        put(l, TUI_PANE_MATRIX, cols - mw, y, mw, mh);
    } else {
        put(l, TUI_PANE_LOSS, 0, y, cols, mh);
    }
}

/* A lesson: the narration (the notes pane) in a tall column on the
 * right, the loss plot above the matrix and the weights (or the topology
 * when it has the focus) on the left; on a short terminal the focused
 * plot alone beside the notes. */
static void layout_lesson(tui_layout *l, int y, int mh, tui_pane_id focus)
{
    int cols = l->cols;
    int nw = clampi(cols * 2 / 5, 28, 64), lw = cols - nw;
    put(l, TUI_PANE_NOTES, lw, y, nw, mh);
    tui_pane_id low = focus == TUI_PANE_TOPOLOGY ? TUI_PANE_TOPOLOGY : TUI_PANE_WEIGHTS;
    if (mh >= 16 && lw >= 40) {
        int r1 = mh / 2, half = lw / 2;
        put(l, TUI_PANE_LOSS, 0, y, lw, r1);
        put(l, TUI_PANE_MATRIX, 0, y + r1, half, mh - r1);
        put(l, low, half, y + r1, lw - half, mh - r1);
    } else {
        tui_pane_id one = focus == TUI_PANE_MATRIX || focus == TUI_PANE_WEIGHTS || focus == TUI_PANE_TOPOLOGY
                              ? focus : TUI_PANE_LOSS;
        put(l, one, 0, y, lw, mh);
    }
}

/* The comparison: the table across the top, the overlaid loss curves
 * and the Pareto scatter below, side by side when wide, stacked when
 * tall, and on a small terminal whichever of the two has the focus. */
static void layout_compare(tui_layout *l, int y, int mh, tui_pane_id focus)
{
    int cols = l->cols;
    int th = clampi(mh * 2 / 5, 3, mh - 3);
    int rh = mh - th;
    put(l, TUI_PANE_COMPARE_TABLE, 0, y, cols, th);
    if (cols >= 100) {
        int cw = cols * 3 / 5;
        put(l, TUI_PANE_COMPARE_CURVES, 0, y + th, cw, rh);
        put(l, TUI_PANE_COMPARE_SCATTER, cw, y + th, cols - cw, rh);
    } else if (rh >= 12) {
        put(l, TUI_PANE_COMPARE_CURVES, 0, y + th, cols, rh / 2);
        put(l, TUI_PANE_COMPARE_SCATTER, 0, y + th + rh / 2, cols, rh - rh / 2);
    } else {
        put(l, focus == TUI_PANE_COMPARE_SCATTER ? TUI_PANE_COMPARE_SCATTER : TUI_PANE_COMPARE_CURVES, 0, y + th,
            cols, rh);
    }
}

static int is_body_pane(tui_pane_id p)
{
    return p == TUI_PANE_LOSS || p == TUI_PANE_MATRIX || p == TUI_PANE_WEIGHTS ||
           p == TUI_PANE_TOPOLOGY || p == TUI_PANE_NOTES;
}

void layout_compute(tui_layout *out, int cols, int lines, int ntasks, unsigned flags,
                    tui_pane_id focus)
{
    memset(out, 0, sizeof *out);
    out->cols = cols;
    out->lines = lines;
    if (cols < TUI_MIN_COLS || lines < TUI_MIN_LINES) {
        out->too_small = 1;
        snprintf(out->message, sizeof out->message, "terminal too small: %dx%d, need %dx%d",
                 cols < 0 ? 0 : cols, lines < 0 ? 0 : lines, TUI_MIN_COLS, TUI_MIN_LINES);
        return;
    }
    if (ntasks < 1) ntasks = 1;
    const int top = 2; /* header lines */
    int body = lines - top - 1;
    put(out, TUI_PANE_HEADER, 0, 0, cols, top);
    put(out, TUI_PANE_FOOTER, 0, lines - 1, cols, 1);

    if ((flags & TUI_LAYOUT_MAXIMISE) && focus != TUI_PANE_HEADER && focus != TUI_PANE_FOOTER &&
        (unsigned)focus < TUI_PANE_COUNT) {
        /* for projection: the pane takes the whole screen but the last
         * line, where the footer says how to return (and what the header
         * would have said); in a lesson the narration stays beside it */
        out->pane[TUI_PANE_HEADER] = (tui_rect){ 0, 0, 0, 0 };
        int h = lines - 1;
        if ((flags & TUI_LAYOUT_LESSON) && focus != TUI_PANE_NOTES && focus != TUI_PANE_CONSOLE) {
            int nw = clampi(cols / 4, 24, 48);
            put(out, focus, 0, 0, cols - nw, h);
            put(out, TUI_PANE_NOTES, cols - nw, 0, nw, h);
            return;
        }
        put(out, focus, 0, 0, cols, h);
        return;
    }

    int ch = (flags & TUI_LAYOUT_CONSOLE_FOCUS) ? clampi(body / 3, 6, 16) : clampi(body / 5, 4, 10);
    ch = clampi(ch, 4, body - 8);
    int mh = body - ch;
    put(out, TUI_PANE_CONSOLE, 0, top + mh, cols, ch);

    if (flags & TUI_LAYOUT_COMPARE) {
        layout_compare(out, top, mh, focus);
        return;
    }
    if (flags & TUI_LAYOUT_LESSON) {
        layout_lesson(out, top, mh, focus);
        return;
    }
    layout_body(out, top, mh, ntasks);
    if (is_body_pane(focus) && !layout_visible(out, focus)) {
        out->pane[focus] = out->pane[TUI_PANE_LOSS];
        out->pane[TUI_PANE_LOSS] = (tui_rect){ 0, 0, 0, 0 };
    }
}
