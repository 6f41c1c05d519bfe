/* screen_int.h - what screen.c, panes.c and colors.c share; not part of
 * the module's contract (tui.h is). */
#ifndef MT_TUI_SCREEN_INT_H
#define MT_TUI_SCREEN_INT_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>

#include "layout.h"
#include "lineedit.h"
#include "plot.h"
#include "roles.h"
#include "tui.h"

enum { TUI_ZOOM_LEVELS = 3 };
extern const long tui_zoom_steps[TUI_ZOOM_LEVELS]; /* 0 (all), 1000, 200 */

struct tui_screen {
    int active;        /* curses is on */
    SCREEN *term;      /* owned by curses; freed in tui_free */
    int mono;          /* no colours: attributes and glyphs instead */
    int ascii;         /* the locale cannot show braille/box characters */
    tui_layout layout;
    WINDOW *win[TUI_PANE_COUNT]; /* owned; NULL for hidden panes */
    WINDOW *input;     /* 1x1, never drawn: keys are read through it */
    int relayout;      /* rebuild windows before the next frame */
    unsigned layout_flags; /* flags the windows were built for */
    tui_pane_id layout_focus;

    tui_pane_id focus;
    int compare, maximise, help, confirm_quit;
    int log_scale, zoom, matrix_sel;
    int matrix_view;   /* mt_matrix_view: last update, exponential average, mean */
    int scroll[TUI_PANE_COUNT];  /* lines scrolled back/down per pane */
    int hscroll[TUI_PANE_COUNT]; /* columns scrolled right */
    int scroll_max[TUI_PANE_COUNT]; /* set by the pane's draw */
    lineedit edit;
    char history_path[1024]; /* "" when the history is not kept */
    tui_complete_fn complete;
    void *complete_ud;
    char candidates[512];    /* the last Tab's choices, shown above the prompt until the next key */
    /* the comparison: its split (-1: the default), the task of the curves
     * and the tasks of the Pareto axes (-1: the first main tasks) */
    int cmp_split, cmp_task, pareto_a, pareto_b;
    mt_run_result cmp_ref; /* the shown experiment's numbers, from the last frame */
    int cmp_default_split;
    plot_grid grid;    /* scratch for every plot */

    /* from the last view drawn, for key handling */
    int ntasks, count, selected, running;
    int lesson;        /* the view is a lesson: space and backspace step through it */
    int requested;     /* experiment asked for by SELECT_EXPERIMENT */
    int ema_window;    /* the shown monitor's average window, from the last frame */
    int requested_window; /* asked for by AVERAGE_WINDOW */
    tui_pane_id help_pane; /* the pane `?` explains */
    char note[160];    /* the screen's own transient message */
    long note_frame;   /* frame the note was set */
    long frame;
};

/* colors.c */
void colors_init(int mono);
/* Sets the window's attributes for role r plus `extra` (A_BOLD, ...). */
void colors_set(WINDOW *w, tui_role r, attr_t extra);
attr_t colors_attr(tui_role r);
short colors_pair(tui_role r);
tui_role colors_task(int t);

/* panes.c */
typedef struct {
    const char *name;
    void (*draw)(tui_screen *s, WINDOW *w, const tui_view *v);
    /* a key while the pane has focus (scrolling); 1 when used */
    int (*key)(tui_screen *s, int key);
    int min_h;
} tui_pane_class;

extern const tui_pane_class *const tui_pane_classes[TUI_PANE_COUNT];

/* The help or quit-confirmation box over the panes, when shown. */
void panes_draw_overlay(tui_screen *s, const tui_view *v);
/* The keys the help lists: how many, and the i-th key's name. */
int panes_help_count(void);
const char *panes_help_key(int i);
/* The whole screen's "terminal too small" message. */
void panes_draw_too_small(tui_screen *s);
/* The selected monitor of v, or NULL. */
const mt_monitor *panes_monitor(const tui_view *v);


/* panes.c: drawing helpers shared with panes_compare.c */
typedef struct {
    const mt_series *s;
    int colour;  /* task index; + 32 for a dimmed (auxiliary) curve */
    plot_style style;
} plot_series;

#define PLOT_AUX 32

typedef struct {
    int log;      /* y axis in log10 */
    long zoom;    /* > 0: only the last `zoom` x units */
    double xpad;  /* fraction of the x span added on both sides */
} plot_opts;

/* Where draw_plot put things, for labels drawn over the plot. */
typedef struct {
    plot_range r;
    int px, py, pw, ph; /* the braille area in window cells */
} plot_frame;

/* Glyphs with an ASCII stand-in for terminals whose locale cannot show
 * them. */
typedef enum { G_LINE, G_DASH, G_DOT, G_BULLET, G_RING, G_ARROW, G_BLOCK, G_VBAR, G_TICK_Y,
               G_TICK_X, G_CORNER, G_HBAR, G_ELLIPSIS, G_MARK, G_COUNT } glyph;
int pane_put(WINDOW *w, int y, int x, const char *str, int maxcols);
int pane_putf(WINDOW *w, int y, int x, int maxcols, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void pane_frame(tui_screen *s, WINDOW *w, tui_pane_id id, const char *title, const char *extra);
void pane_centre_msg(WINDOW *w, const char *msg, tui_role r);
int pane_scroll_key(tui_screen *s, tui_pane_id id, int key, int page);
int pane_clamp_scroll(tui_screen *s, tui_pane_id id, int max);
int pane_draw_plot(tui_screen *s, WINDOW *w, int x, int y, int wd, int ht,
                     const plot_series *ser, int n, const plot_opts *o, plot_frame *out);
const char *pane_glyph(const tui_screen *s, glyph g);
tui_role pane_state_role(mt_run_state st);

/* Vertical marks (method switches) over a plot drawn by pane_draw_plot;
 * returns how many fell inside it. */
int pane_draw_marks(tui_screen *s, WINDOW *w, const plot_frame *pf, const mt_monitor *m);

/* panes_matrix.c: the matrix pane's class functions. */
void pane_draw_matrix(tui_screen *s, WINDOW *w, const tui_view *v);
int pane_matrix_key(tui_screen *s, int key);
/* The position in the cycle of `m` of the matrix named name, or -1. */
int pane_matrix_position(const mt_monitor *m, const char *name);
/* The matrix the matrix pane shows for m, or NULL. */
const mt_matrix *pane_shown_matrix(const tui_screen *s, const mt_monitor *m);

/* pane_band.c: the posterior band in the matrix pane when m is it
 * (returns 1 and draws it), else 0 */
int pane_band_draw(tui_screen *s, WINDOW *w, const mt_matrix *m, const char *extra);

/* pane_landscape.c: the plane of a two-objective landscape with every
 * run's path, in the matrix pane when pic is its picture (returns 1 and
 * draws it), else 0 */
int pane_landscape_draw(tui_screen *s, WINDOW *w, const tui_view *v, const mt_matrix *pic, const char *extra);

/* panes_compare.c */
void pane_draw_compare_table(tui_screen *s, WINDOW *w, const tui_view *v);
void pane_draw_compare_scatter(tui_screen *s, WINDOW *w, const tui_view *v);
void pane_draw_compare_curves(tui_screen *s, WINDOW *w, const tui_view *v);
int pane_table_key(tui_screen *s, int key);
/* The split the comparison shows now. */
mt_result_split pane_compare_split(const tui_screen *s);
/* Remembers what the comparison's keys need from the view. */
void pane_compare_remember(tui_screen *s, const tui_view *v);
/* The tasks of the Pareto axes (ta, tb) and of the curves (tc), by index
 * into the shown experiment's tasks; -1 when there is none. */
void pane_compare_tasks(const tui_screen *s, int *ta, int *tb, int *tc);
/* The comparison's keys (t T v x y); 1 when used. */
int pane_compare_key(tui_screen *s, int key);

#endif
