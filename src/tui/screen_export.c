/* screen_export.c - `e`: every pane on screen as an SVG picture, drawn
 * with the screen's settings (log scale, zoom, the matrix and its
 * average, the comparison's split and tasks). */
#include "screen_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "compare.h"
#include "pane_band.h"
#include "pane_landscape.h"
#include "svg_panes.h"

static void slug(const char *s, char *out, size_t n)
{
    size_t w = 0;
    int dash = 0;
    for (; *s && w + 2 < n; s++) {
        if (isalnum((unsigned char)*s)) {
            out[w++] = (char)tolower((unsigned char)*s);
            dash = 0;
        } else if (!dash && w > 0) {
            out[w++] = '-';
            dash = 1;
        }
    }
    while (w > 0 && out[w - 1] == '-') w--;
    out[w] = '\0';
}

typedef struct {
    tui_screen *s;
    const tui_view *v;
    tui_pane_id pane;
} export_job;

static void console_text(const mt_monitor *m, char *out, size_t n)
{
    size_t w = 0;
    out[0] = '\0';
    for (int i = m->log_len - 1; i >= 0 && w < n; i--)
        w += (size_t)snprintf(out + w, n - w, "%s\n", monitor_log_line(m, i, NULL));
}

static mt_status write_pane(FILE *f, void *ud)
{
    export_job *j = ud;
    tui_screen *s = j->s;
    const tui_view *v = j->v;
    const mt_monitor *m = panes_monitor(v);
    switch (j->pane) {
    case TUI_PANE_LOSS:
    case TUI_PANE_WEIGHTS: {
        tui_svg_options o;
        tui_svg_view(s, &o);
        return tui_svg_write(f, m, &o);
    }
    case TUI_PANE_MATRIX: {
        const mt_matrix *x = pane_shown_matrix(s, m);
        if (band_valid(x)) return band_svg_write(f, x, m->experiment, 0, 0); /* a model's posterior band */
        if (landscape_valid(x)) /* the plane with every run's path */
            return landscape_svg_monitors(f, v->monitors, v->count, v->selected, m->experiment);
        mt_matrix_view view = x->updates ? (mt_matrix_view)(s->matrix_view % MT_MAT_VIEWS) : MT_MAT_BATCH;
        char sub[160];
        if (view == MT_MAT_EMA)
            snprintf(sub, sizeof sub, "%s: exponential average of ~%d updates, steps %ld-%ld", m->experiment,
                     m->ema_window, x->first_step, x->step);
        else if (view == MT_MAT_MEAN)
            snprintf(sub, sizeof sub, "%s: mean of %ld updates, steps %ld-%ld", m->experiment, x->updates, x->first_step,
                     x->step);
        else snprintf(sub, sizeof sub, "%s: the update of step %ld", m->experiment, x->step);
        return tui_svg_matrix(f, x, monitor_matrix_values(x, view), x->name, sub);
    }
    case TUI_PANE_TOPOLOGY: return tui_svg_text_pane(f, "topology", m->topology, 0);
    case TUI_PANE_NOTES: return tui_svg_text_pane(f, m->experiment, m->description, 90);
    case TUI_PANE_CONSOLE: {
        static char text[MT_MON_LOG_LINES * MT_MON_LOG_WIDTH];
        console_text(m, text, sizeof text);
        return tui_svg_text_pane(f, "console", text, 0);
    }
    case TUI_PANE_COMPARE_TABLE:
        return tui_svg_compare_table(f, v->results, v->count, pane_compare_split(s), v->selected);
    case TUI_PANE_COMPARE_SCATTER: {
        int ta, tb, tc;
        pane_compare_tasks(s, &ta, &tb, &tc);
        return tui_svg_compare_scatter(f, v->results, v->count, pane_compare_split(s), s->cmp_ref.task[ta],
                                       s->cmp_ref.task[tb]);
    }
    case TUI_PANE_COMPARE_CURVES: {
        int ta, tb, tc;
        pane_compare_tasks(s, &ta, &tb, &tc);
        return tui_svg_compare_curves(f, v->monitors, v->results, v->count, s->cmp_ref.task[tc],
                                      pane_compare_split(s) != MT_RES_TRAIN, tui_zoom_steps[s->zoom % TUI_ZOOM_LEVELS],
                                      s->log_scale);
    }
    default: return mt_fail(MT_ERR_ARG, "svg: the %s pane has no picture", layout_pane_name(j->pane));
    }
}

/* The file a pane goes to (its name says what it shows); 0 when the pane
 * has nothing to draw. */
static int pane_file(tui_screen *s, const tui_view *v, tui_pane_id p, long step, char *name, size_t n)
{
    const mt_monitor *m = panes_monitor(v);
    char a[96], b[96];
    int ta = -1, tb = -1, tc = -1;
    if (p >= TUI_PANE_COMPARE_TABLE && p <= TUI_PANE_COMPARE_CURVES) {
        if (!v->results || v->count <= 0 || s->cmp_ref.ntasks == 0) return 0;
        pane_compare_tasks(s, &ta, &tb, &tc);
    }
    const char *split = result_split_name(pane_compare_split(s));
    switch (p) {
    case TUI_PANE_LOSS: snprintf(name, n, "plots-step%ld.svg", step); return 1;
    case TUI_PANE_MATRIX: {
        const mt_matrix *x = pane_shown_matrix(s, m);
        if (!x || !x->valid) return 0;
        if (band_valid(x)) {
            snprintf(name, n, "band-step%ld.svg", step);
            return 1;
        }
        if (landscape_valid(x)) {
            snprintf(name, n, "landscape-step%ld.svg", step);
            return 1;
        }
        slug(x->name, a, sizeof a);
        snprintf(name, n, "matrix-%s-step%ld.svg", a, step);
        return 1;
    }
    case TUI_PANE_TOPOLOGY: snprintf(name, n, "topology.svg"); return m && m->topology[0];
    case TUI_PANE_NOTES: snprintf(name, n, "notes.svg"); return m && m->description[0];
    case TUI_PANE_CONSOLE: snprintf(name, n, "console-step%ld.svg", step); return m && m->log_len > 0;
    case TUI_PANE_COMPARE_TABLE: snprintf(name, n, "compare-%s-step%ld.svg", split, step); return 1;
    case TUI_PANE_COMPARE_SCATTER:
        if (ta < 0 || tb < 0 || ta == tb) return 0;
        slug(s->cmp_ref.task[ta], a, sizeof a);
        slug(s->cmp_ref.task[tb], b, sizeof b);
        snprintf(name, n, "pareto-%s-%s-%s-step%ld.svg", split, a, b, step);
        return 1;
    case TUI_PANE_COMPARE_CURVES:
        if (tc < 0) return 0;
        slug(s->cmp_ref.task[tc], a, sizeof a);
        snprintf(name, n, "curves-%s-%s-step%ld.svg", a, pane_compare_split(s) == MT_RES_TRAIN ? "train" : "val", step);
        return 1;
    default: return 0;
    }
}

mt_status tui_export_view(tui_screen *s, const tui_view *v, const char *dir, long step, char *written, size_t n,
                          int *count)
{
    *count = 0;
    if (n) written[0] = '\0';
    if (!s || !v || !panes_monitor(v)) return mt_fail(MT_ERR_ARG, "export: nothing on screen");
    size_t w = 0;
    int plots = 0;
    for (int p = 0; p < TUI_PANE_COUNT; p++) {
        if (!layout_visible(&s->layout, (tui_pane_id)p) || p == TUI_PANE_HEADER || p == TUI_PANE_FOOTER) continue;
        tui_pane_id id = p == TUI_PANE_WEIGHTS ? TUI_PANE_LOSS : (tui_pane_id)p; /* one picture holds both */
        if (id == TUI_PANE_LOSS && plots++) continue;
        char name[256], path[4096];
        if (!pane_file(s, v, id, step, name, sizeof name)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        export_job j = {s, v, id};
        mt_status st = tui_svg_to_file(path, write_pane, &j);
        if (st) return st;
        (*count)++;
        if (w < n) w += (size_t)snprintf(written + w, n - w, "%s%s", w ? " " : "", name);
    }
    return MT_OK;
}
