/* panes_matrix.c - the relationship matrix pane: a heatmap of the last
 * update, its exponential average or its mean over the run, with the
 * colour scale (zoomed in, and saying so, when the values are tiny). */
#include "screen_int.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "axis.h"
#include "heat.h"
#include "text.h"

/* ---- matrix pane ---------------------------------------------------------- */

static const char *const shade_utf8[TUI_HEAT_LEVELS] = { " ", "░", "░", "▒", "▒", "▒", "▓",
                                                         "▓", "█" };
static const char *const shade_ascii[TUI_HEAT_LEVELS] = { " ", ".", ".", ":", ":", "+", "*",
                                                          "#", "@" };

/* The glyph for a level in monochrome: density grows with the distance
 * from the neutral middle on a diverging scale, with the level on a
 * sequential one. */
static const char *mono_shade(const tui_screen *s, const heat_scale *hs, int level)
{
    if (level < 0) return "?";
    int k = level;
    if (hs->kind == HEAT_DIVERGING) {
        int mid = (TUI_HEAT_LEVELS - 1) / 2;
        k = (level > mid ? level - mid : mid - level) * 2;
    }
    if (k >= TUI_HEAT_LEVELS) k = TUI_HEAT_LEVELS - 1;
    return s->ascii ? shade_ascii[k] : shade_utf8[k];
}

int pane_matrix_key(tui_screen *s, int key)
{
    return pane_scroll_key(s, TUI_PANE_MATRIX, key, 5);
}

/* The cell's number: as many decimals as the cell holds, rounded, never
 * cut; small values in exponent form so 3e-4 does not read as 0.00. */
static void cell_number(double val, int cw, char *num, size_t n)
{
    int room = cw - 1 - (val < 0) - 2; /* sign, "0." */
    if (isnan(val)) snprintf(num, n, "nan");
    else if (val != 0 && fabs(val) < 0.005) axis_format(val, 0, num, n);
    else if (fabs(val) < 9.5 && room >= 1) snprintf(num, n, "%.*f", room > 2 ? 2 : room, val);
    else axis_format(val, 0, num, n);
    if ((int)strlen(num) > cw - 1 && val != 0 && fabs(val) < 0.005) {
        /* a narrow cell: one significant digit (-1e-3) rather than none */
        int ex = (int)floor(log10(fabs(val)));
        long mant = lround(val / pow(10.0, ex));
        if (labs(mant) == 10) {
            mant /= 10;
            ex++;
        }
        snprintf(num, n, "%lde%d", mant, ex);
    }
    if ((int)strlen(num) > cw - 1) num[0] = '\0';
}

/* A picture (a model's posterior band, a landscape's plane) comes first
 * in the cycle of `m` whenever it was published, so the pane opens on it
 * even when a relationship matrix was published before it. */
static int is_picture(const mt_matrix *x)
{
    return strcmp(x->name, MT_MON_BAND) == 0 || strcmp(x->name, MT_MON_LANDSCAPE) == 0;
}

/* The matrix at position k of the cycle: the pictures, then the others in
 * the order they were published. */
static int cycle_index(const mt_monitor *m, int k)
{
    for (int pass = 0, at = 0; pass < 2; pass++)
        for (int i = 0; i < m->nmatrices; i++)
            if (is_picture(&m->matrix[i]) == (pass == 0) && at++ == k) return i;
    return k;
}

int pane_matrix_position(const mt_monitor *m, const char *name)
{
    for (int k = 0; m && k < m->nmatrices; k++)
        if (strcmp(m->matrix[cycle_index(m, k)].name, name) == 0) return k;
    return -1;
}

const mt_matrix *pane_shown_matrix(const tui_screen *s, const mt_monitor *m)
{
    if (!m || m->nmatrices == 0) return NULL;
    int k = ((s->matrix_sel % m->nmatrices) + m->nmatrices) % m->nmatrices;
    return &m->matrix[cycle_index(m, k)];
}

void pane_draw_matrix(tui_screen *s, WINDOW *w, const tui_view *v)
{
    const mt_monitor *m = panes_monitor(v);
    int H, W;
    getmaxyx(w, H, W);
    const mt_matrix *x = pane_shown_matrix(s, m);
    if (!x) {
        pane_frame(s, w, TUI_PANE_MATRIX, "task relationships", NULL);
        pane_centre_msg(w, "no matrices yet", ROLE_DIM);
        return;
    }
    int k = ((s->matrix_sel % m->nmatrices) + m->nmatrices) % m->nmatrices;
    mt_matrix_view view = (mt_matrix_view)(s->matrix_view % MT_MAT_VIEWS);
    if (x->updates == 0) view = MT_MAT_BATCH;
    /* the title says which values these are */
    char title[MT_MON_NAME + 48], extra[64];
    if (view == MT_MAT_EMA) snprintf(title, sizeof title, "%s (avg ~%d)", x->name, m->ema_window);
    else if (view == MT_MAT_MEAN) snprintf(title, sizeof title, "%s (mean of %ld)", x->name, x->updates);
    else snprintf(title, sizeof title, "%s (last)", x->name);
    snprintf(extra, sizeof extra, "%d/%d  m: next  a: average", k + 1, m->nmatrices);
    if (pane_band_draw(s, w, x, extra)) return; /* a model's posterior band: a picture, not a heatmap */
    if (pane_landscape_draw(s, w, v, x, extra)) return; /* a landscape's plane and every run's path */
    pane_frame(s, w, TUI_PANE_MATRIX, title, extra);
    if (!x->valid) {
        pane_centre_msg(w, "not computed yet", ROLE_DIM);
        return;
    }
    const double *vals = monitor_matrix_values(x, view);
    int mono = s->mono;
    int zoomed;
    heat_scale hs = heat_scale_zoomed(vals, x->rows, x->cols, x->lo, x->hi, &zoomed);
    int iw = W - 2, ih = H - 2;
    int rowlab = 0, collab = 0;
    for (int i = 0; i < x->rows; i++) {
        int l = text_columns(x->row_labels[i], -1);
        if (l > rowlab) rowlab = l;
    }
    for (int j = 0; j < x->cols; j++) {
        int l = text_columns(x->col_labels[j], -1);
        if (l > collab) collab = l;
    }
    if (rowlab > 16) rowlab = 16;
    /* Names whole when they fit: the row names, and cells as wide as the
     * longest column name (at least 7 for a number, at most 13), or
     * narrower cells. Else the cells at up to 7 and the row names get
     * what they leave, at least a quarter of the width; the names are
     * then shortened in the middle. */
    int lab = rowlab, cw = collab + 1 < 7 ? 7 : collab + 1 > 13 ? 13 : collab + 1;
    /* narrower cells (down to 5, a number still shows) before a shortened row name */
    for (int c = 7; c >= 5 && x->cols > 0 && lab + 1 + x->cols * cw > iw; c--) cw = c;
    if (x->cols <= 0 || lab + 1 + x->cols * cw > iw) {
        cw = 7;
        int room = iw - 1 - x->cols * cw;
        lab = rowlab < (room > iw / 4 ? room : iw / 4) ? rowlab : (room > iw / 4 ? room : iw / 4);
        cw = x->cols > 0 ? (iw - lab - 1) / x->cols : 0;
        if (cw > 7) cw = 7;
        if (cw < 2) cw = 2;
    }
    int avail = iw - lab - 1;
    /* A task x task matrix whose names do not fit the columns (many
     * tasks) numbers them: the columns by number, the rows by number and
     * name, so every cell can be read off; 40 columns headed "a" could
     * not be. */
    int numbered = 0;
    if (x->rows == x->cols) {
        int same = 1, wide = 0;
        for (int j = 0; j < x->cols; j++) {
            same &= strcmp(x->row_labels[j], x->col_labels[j]) == 0;
            wide |= text_columns(x->col_labels[j], -1) > cw - 1;
        }
        numbered = same && wide;
    }
    int digits = x->cols >= 10 ? 2 : 1;
    if (numbered) {
        /* the row labels gain their numbers; the cells make room */
        lab += digits + 1;
        if (lab > iw / 4) lab = iw / 4;
        avail = iw - lab - 1;
        cw = avail / x->cols;
        if (cw > 7) cw = 7;
        if (cw < digits + 1) cw = digits + 1;
    }
    int vis_cols = avail / cw;
    if (vis_cols > x->cols) vis_cols = x->cols;
    int c0 = s->hscroll[TUI_PANE_MATRIX] / 4;
    if (c0 > x->cols - vis_cols) c0 = x->cols - vis_cols;
    if (c0 < 0) c0 = 0;
    s->hscroll[TUI_PANE_MATRIX] = c0 * 4;
    /* rows: header, cells, a gap, the legend (and the zoom note) */
    int legend = ih >= 4 ? 2 + (zoomed && ih >= 8) : 0;
    int rh = (ih - 1 - legend) / (x->rows > 0 ? x->rows : 1) >= 2 && cw >= 5 ? 2 : 1;
    int vis_rows = (ih - 1 - legend) / rh;
    if (vis_rows > x->rows) vis_rows = x->rows;
    if (vis_rows < 0) vis_rows = 0;
    int r0 = pane_clamp_scroll(s, TUI_PANE_MATRIX, x->rows - vis_rows);
    int x0 = 1 + lab + 1, y0 = 2;
    /* column labels */
    colors_set(w, ROLE_DIM, 0);
    char label[MT_MON_NAME + 8], el[MT_MON_NAME + 8];
    for (int j = 0; j < vis_cols; j++) {
        if (numbered) snprintf(label, sizeof label, "%*d", cw - 1, c0 + j + 1);
        else text_elide(label, sizeof label, x->col_labels[c0 + j], cw - 1);
        pane_put(w, 1, x0 + j * cw, label, cw - 1);
    }
    for (int i = 0; i < vis_rows; i++) {
        int ri = r0 + i;
        colors_set(w, ROLE_DIM, 0);
        if (numbered) {
            text_elide(el, sizeof el, x->row_labels[ri], lab - digits - 1);
            snprintf(label, sizeof label, "%*d %s", digits, ri + 1, el);
        } else {
            text_elide(label, sizeof label, x->row_labels[ri], lab);
        }
        pane_put(w, y0 + i * rh, 1, label, lab);
        for (int j = 0; j < vis_cols; j++) {
            double val = vals[ri * x->cols + c0 + j];
            int level = heat_level(&hs, val);
            tui_role role = heat_role(&hs, level);
            char num[16] = "", batch[16] = "";
            if (cw >= 5) cell_number(val, cw, num, sizeof num);
            /* an average shows the last update beside it, on the cell's second line */
            if (cw >= 5 && rh >= 2 && view != MT_MAT_BATCH) cell_number(x->v[ri * x->cols + c0 + j], cw, batch, sizeof batch);
            for (int rr = 0; rr < rh; rr++) {
                int yy = y0 + i * rh + rr;
                int xx = x0 + j * cw;
                if (mono) {
                    colors_set(w, ROLE_NORMAL, 0);
                    if (num[0] && rr == 0) {
                        attr_t a = (level >= 0 && level != (TUI_HEAT_LEVELS - 1) / 2 && hs.kind == HEAT_DIVERGING &&
                                    val < 0) ? A_UNDERLINE : 0;
                        colors_set(w, ROLE_NORMAL, a);
                        pane_putf(w, yy, xx, cw - 1, "%*s", cw - 1, num);
                    } else if (batch[0] && rr == 1) {
                        colors_set(w, ROLE_DIM, 0);
                        pane_putf(w, yy, xx, cw - 1, "%*s", cw - 1, batch);
                    } else {
                        const char *g = mono_shade(s, &hs, level);
                        for (int c = 0; c < cw - 1; c++) pane_put(w, yy, xx + c, g, 1);
                    }
                } else {
                    colors_set(w, role, 0);
                    mvwhline(w, yy, xx, ' ', cw - 1);
                    if (num[0] && rr == 0) pane_putf(w, yy, xx, cw - 1, "%*s", cw - 1, num);
                    else if (batch[0] && rr == 1) {
                        colors_set(w, role, A_DIM);
                        pane_putf(w, yy, xx, cw - 1, "%*s", cw - 1, batch);
                    }
                }
            }
        }
    }
    /* the colour scale */
    if (legend && ih - 1 >= 2) {
        int ly = H - 2;
        char a[16], b[16];
        axis_format(hs.lo, 0, a, sizeof a);
        axis_format(hs.hi, 0, b, sizeof b);
        colors_set(w, ROLE_DIM, 0);
        int c = pane_put(w, ly, 1, a, 8) + 2;
        int sw = iw >= 44 ? 2 : 1; /* swatch width */
        for (int l = 0; l < TUI_HEAT_LEVELS && c + sw < iw; l++, c += sw) {
            if (mono) {
                colors_set(w, ROLE_NORMAL, 0);
                for (int q = 0; q < sw; q++) pane_put(w, ly, c + q, mono_shade(s, &hs, l), 1);
            } else {
                colors_set(w, heat_role(&hs, l), 0);
                mvwhline(w, ly, c, ' ', sw);
            }
        }
        colors_set(w, ROLE_DIM, 0);
        c += 1 + pane_put(w, ly, c + 1, b, 8);
        if (view == MT_MAT_BATCH) pane_putf(w, ly, c + 2, iw - c - 2, "step %ld", x->step);
        else pane_putf(w, ly, c + 2, iw - c - 2, "steps %ld-%ld%s", x->first_step, x->step, rh >= 2 ? ", dim: last" : "");
        if (zoomed && ih >= 8) {
            char mx[16], nat[16];
            axis_format(hs.hi, 0, mx, sizeof mx);
            axis_format(x->hi, 0, nat, sizeof nat);
            colors_set(w, ROLE_WARN, 0);
            pane_putf(w, ly - 1, 1, iw, "tiny values: colours %s%s, not %s%s (?: why)", "\xc2\xb1", mx,
                      "\xc2\xb1", nat);
        }
    }
    /* which rows and columns show, on the bottom border (the top one holds
     * the title and the keys) */
    if (x->rows > vis_rows || x->cols > vis_cols) {
        char pos[48];
        int n = snprintf(pos, sizeof pos, " rows %d-%d/%d  cols %d-%d/%d ", r0 + 1, r0 + vis_rows, x->rows,
                         c0 + 1, c0 + vis_cols, x->cols);
        colors_set(w, ROLE_WARN, 0);
        if (n < W - 2) pane_put(w, H - 1, W - 1 - n, pos, n);
    }
    colors_set(w, ROLE_NORMAL, 0);
}

