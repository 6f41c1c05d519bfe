/* layout.h - where each pane of the workbench goes, as a pure function of
 * the terminal size.
 *
 * No curses here: the screen calls layout_compute() on open and on every
 * resize and rebuilds its windows from the rectangles, and the tests run it
 * over hundreds of sizes. A pane whose rectangle has w == 0 is hidden. */
#ifndef MT_TUI_LAYOUT_H
#define MT_TUI_LAYOUT_H

#define TUI_MIN_COLS 60
#define TUI_MIN_LINES 18

typedef enum {
    TUI_PANE_HEADER,
    TUI_PANE_LOSS,
    TUI_PANE_MATRIX,
    TUI_PANE_WEIGHTS,
    TUI_PANE_TOPOLOGY,
    TUI_PANE_NOTES,
    TUI_PANE_CONSOLE,
    TUI_PANE_COMPARE_TABLE,
    TUI_PANE_COMPARE_SCATTER,
    TUI_PANE_COMPARE_CURVES,
    TUI_PANE_FOOTER,
    TUI_PANE_COUNT
} tui_pane_id;

/* Flags of the view that change the arrangement. */
enum {
    TUI_LAYOUT_COMPARE = 1u << 0,       /* the comparison view replaces the plots */
    TUI_LAYOUT_CONSOLE_FOCUS = 1u << 1, /* the console grows while typing */
    TUI_LAYOUT_MAXIMISE = 1u << 2,      /* the focused pane takes the screen but the footer's line */
    TUI_LAYOUT_LESSON = 1u << 3,        /* a lesson: its notes in a tall column on the right */
};

typedef struct {
    int x, y, w, h; /* columns/lines from the top-left; w == 0: hidden */
} tui_rect;

typedef struct {
    int cols, lines;
    int too_small;      /* 1 below TUI_MIN_COLS x TUI_MIN_LINES: draw `message` only */
    char message[96];   /* "terminal too small: 50x12, need 60x18" */
    tui_rect pane[TUI_PANE_COUNT];
} tui_layout;

/* Fills `out` for a terminal of cols x lines showing `ntasks` tasks (the
 * matrix pane is sized for a T x T heatmap). `focus` is the focused pane: it
 * is always visible (on a small terminal it takes the place of the loss
 * plot), and with TUI_LAYOUT_MAXIMISE it takes the whole screen but the
 * footer's line (the header goes too; in a lesson the notes stay beside
 * it). The header, the footer and the console are always visible unless a
 * pane is maximised. Visible panes never overlap and lie inside the
 * screen. */
void layout_compute(tui_layout *out, int cols, int lines, int ntasks, unsigned flags,
                    tui_pane_id focus);

/* 1 when the rectangle is shown. */
int layout_visible(const tui_layout *l, tui_pane_id p);

const char *layout_pane_name(tui_pane_id p);

#endif
