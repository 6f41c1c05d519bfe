/* tui.h - the interactive workbench screen (ncursesw).
 *
 * The application owns the event loop: it trains until a frame's time is
 * spent, calls tui_draw() (one doupdate per frame) and tui_poll(), whose
 * key wait is the frame sleep. The screen maps keys to actions it returns
 * to the application (pause, step, reload, ...) and handles view-only keys
 * itself (matrix choice, log scale, zoom, focus, scrolling, help,
 * comparison). It only reads the monitors, during the call.
 *
 * Typical loop:
 *     tui_screen *s = tui_open(&opts);            NULL: see mt_last_error()
 *     for (;;) {
 *         train_for_a_while();
 *         tui_draw(s, &view);
 *         tui_action a = tui_poll(s, 30, line, sizeof line);
 *         if (a == TUI_ACT_QUIT) break;
 *         ... act on a ...
 *     }
 *     tui_free(s);                                restores the terminal
 */
#ifndef MT_TUI_H
#define MT_TUI_H

#include <stddef.h>
#include <stdio.h>
#include "run/monitor.h"
#include "run/result.h"
#include "tui/svg.h"

typedef struct tui_screen tui_screen;

/* Completes the word before the console's cursor (`before` is the text
 * up to the cursor): the text to insert at the cursor into insert, the
 * candidates (when more than one) separated by two spaces into list.
 * Returns the number of candidates. */
typedef int (*tui_complete_fn)(void *ud, const char *before, char *insert, size_t ni, char *list, size_t nl);

typedef struct {
    int force_mono; /* no colours even when the terminal has them */
    int log_scale;  /* start with the loss axis in log scale */
    FILE *out, *in; /* the terminal's streams; NULL: stdout, stdin */
    const char *history_path; /* the console's history file (read at open, written after each line), or NULL */
    tui_complete_fn complete; /* Tab in the console, or NULL */
    void *complete_ud;
} tui_options;

/* What to show this frame. Everything is borrowed for the call only. */
typedef struct {
    const mt_monitor *const *monitors; /* (count) one per experiment */
    int count;
    int selected;         /* the experiment shown, 0..count-1 */
    const char *script;   /* the script's path for the footer, or NULL */
    const char *message;  /* a line from the app ("checkpoint saved to ..."), or NULL */
    const char *mode;     /* the script's Lua mode for the header ("sandbox", "trusted"), or NULL */
    int mode_warn;        /* draw the mode as a warning (the script has the full standard library) */
    const mt_run_result *results; /* (count) the numbers summary.json holds, or NULL */
    int readonly;         /* recorded runs (mtlab open): nothing trains */
    /* a lesson (mtlab learn): its narration replaces the notes, and space
     * and backspace step through it (p pauses) */
    int lesson;
    const char *notes_title; /* the notes pane's title, or NULL */
    const char *notes;       /* the notes pane's text instead of the description, or NULL */
} tui_view;

typedef enum {
    TUI_ACT_NONE,             /* nothing for the app (view keys were handled) */
    TUI_ACT_QUIT,             /* confirmed, or forced by SIGINT/SIGTERM */
    TUI_ACT_PAUSE_TOGGLE,     /* space */
    TUI_ACT_STEP,             /* n: one training step */
    TUI_ACT_RELOAD,           /* r: reload the script */
    TUI_ACT_CYCLE_WEIGHTING,  /* w */
    TUI_ACT_LR_UP,            /* + */
    TUI_ACT_LR_DOWN,          /* - */
    TUI_ACT_SAVE,             /* s: save a checkpoint */
    TUI_ACT_EXPORT,           /* e: metrics CSV and SVG (see tui_svg_view) */
    TUI_ACT_CONSOLE_LINE,     /* enter in the console: the line is in `line` */
    TUI_ACT_SELECT_EXPERIMENT,/* [ ] 1-9: see tui_requested_experiment() */
    TUI_ACT_RESIZE,           /* the terminal changed size (already re-laid out) */
    TUI_ACT_SLOWER,           /* < or ,: fewer training steps per second (teaching) */
    TUI_ACT_FASTER,           /* > or .: more, up to unlimited */
    TUI_ACT_CYCLE_WEIGHTING_BACK, /* W: the previous loss weighting */
    TUI_ACT_AVERAGE_WINDOW,   /* { }: see tui_requested_window() */
    TUI_ACT_LESSON_NEXT,      /* space in a lesson: the next step (or the answer) */
    TUI_ACT_LESSON_BACK,      /* backspace in a lesson: the previous step */
    TUI_ACT_COUNT
} tui_action;

/* Sets the locale, starts curses (colours from semantic roles, monochrome
 * when the terminal has none, NO_COLOR is set non-empty or
 * o->force_mono), installs the signal handlers and forgets any earlier
 * quit signal. NULL with an error message when the terminal cannot be
 * used. o may be NULL. */
tui_screen *tui_open(const tui_options *o);

/* Restores the terminal. Idempotent: safe to call again, and `s` stays
 * valid (tui_draw and tui_poll then do nothing). */
void tui_close(tui_screen *s);

/* tui_close, then frees s. NULL is fine. */
void tui_free(tui_screen *s);

/* Draws one frame of `v`; a single doupdate(). */
void tui_draw(tui_screen *s, const tui_view *v);

/* Waits up to timeout_ms for keys and returns the first action for the
 * app (view-only keys are handled on the way and give TUI_ACT_NONE). For
 * TUI_ACT_CONSOLE_LINE the submitted line is copied to line[0..n). A
 * pending SIGINT/SIGTERM gives TUI_ACT_QUIT without confirmation. */
tui_action tui_poll(tui_screen *s, int timeout_ms, char *line, size_t n);

/* The experiment index asked for by the last TUI_ACT_SELECT_EXPERIMENT. */
int tui_requested_experiment(const tui_screen *s);

/* The window (in updates) of the matrices' exponential average asked for
 * by the last TUI_ACT_AVERAGE_WINDOW; the app sets it on every monitor. */
int tui_requested_window(const tui_screen *s);

/* `e`: writes every pane of the last frame drawn as SVG into dir, with
 * the screen's settings; file names say what each shows and end in
 * -step<step>.svg (the topology and the notes do not change). The names
 * written go to `written` (space separated), their number to *count. */
mt_status tui_export_view(tui_screen *s, const tui_view *v, const char *dir, long step, char *written, size_t n,
                          int *count);

/* The SVG options that match what the screen shows (log scale, zoom). */
void tui_svg_view(const tui_screen *s, tui_svg_options *o);

/* Puts the focus on the pane named `pane` ("loss", "matrix", "weights",
 * "topology", "notes", "console") and enlarges it to the whole screen
 * (as f does) or not. 0, or -1 for an unknown name. */
int tui_focus_pane(tui_screen *s, const char *pane, int enlarge);

/* Shows the matrix named `name` of m in the matrix pane (as pressing m
 * until it comes); 0, or -1 when m has no such matrix (yet). */
int tui_show_matrix(tui_screen *s, const mt_monitor *m, const char *name);

/* A menu over the whole screen: a title, then n items (a label and a line
 * of detail each); arrows or j/k move, enter or space choose, a digit
 * 1-9 chooses directly, q or escape leave. Returns the chosen index, or
 * -1 (also on SIGINT/SIGTERM). *sel is where it starts and ends. */
int tui_menu(tui_screen *s, const char *title, const char *const *items, const char *const *details, int n,
             int *sel);

/* A stable name for an action ("pause", "console-line", ...). */
const char *tui_action_name(tui_action a);

/* On SIGSEGV/SIGABRT/SIGBUS/SIGFPE: restore the terminal (best effort) and
 * re-raise with the default action. SIGINT/SIGTERM only set a flag that
 * tui_poll reports as TUI_ACT_QUIT. tui_open calls this; calling it again
 * is harmless. */
void tui_install_crash_handlers(void);

/* The signal (SIGINT/SIGTERM) that asked to quit, or 0. */
int tui_quit_signal(void);

/* Best-effort endwin() when curses is active; for the app's own fatal
 * paths (atexit). */
void tui_restore_terminal(void);

#endif
