/* roles.h - semantic colour roles.
 *
 * Pane code names what a thing is (a title, task 2, an auxiliary task, a
 * heat level); colors.c decides how that looks on this terminal, in colour
 * or in monochrome. No curses here, so pure code and tests can use it. */
#ifndef MT_TUI_ROLES_H
#define MT_TUI_ROLES_H

#define TUI_TASK_COLOURS 8
#define TUI_HEAT_LEVELS 9

typedef enum {
    ROLE_NORMAL,
    ROLE_TITLE,   /* header text, pane titles */
    ROLE_AXIS,    /* axes, ticks, borders */
    ROLE_DIM,     /* secondary text */
    ROLE_GOOD,    /* best value, running, Pareto-optimal */
    ROLE_BAD,     /* diverged, errors */
    ROLE_WARN,    /* paused, warnings */
    ROLE_FOCUS,   /* the focused pane's border and title */
    ROLE_KEY,     /* key names in the footer and help */
    ROLE_AUX,     /* auxiliary tasks */
    ROLE_TASK_0,  /* ROLE_TASK_0 + (t % TUI_TASK_COLOURS) */
    ROLE_DIV_0 = ROLE_TASK_0 + TUI_TASK_COLOURS, /* diverging heat, low .. high */
    ROLE_SEQ_0 = ROLE_DIV_0 + TUI_HEAT_LEVELS,   /* sequential heat, low .. high */
    ROLE_COUNT = ROLE_SEQ_0 + TUI_HEAT_LEVELS
} tui_role;

/* The 256-colour background of each heat level: [0] diverging, [1]
 * sequential (roles.c). The screen's colour pairs and the SVG heatmap
 * both take their colours from here. */
extern const short roles_heat256[2][TUI_HEAT_LEVELS];
/* "#rrggbb" of an xterm-256 colour index. */
void roles_xterm_hex(int c, char out[8]);

#endif
