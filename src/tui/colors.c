#include "screen_int.h"

/* One colour pair per role, so pane code names roles and this table alone
 * decides what they look like. */
static short role_pair[ROLE_COUNT];
static attr_t role_attr[ROLE_COUNT];

typedef struct {
    short fg, bg;  /* 8-colour terminal */
    short fg256, bg256;
    attr_t attr;   /* added in colour mode */
    attr_t mono;   /* the whole look in monochrome */
} role_style;

#define DEF (-1)

static const role_style styles[ROLE_COUNT] = {
    [ROLE_NORMAL] = { DEF, DEF, DEF, DEF, 0, 0 },
    [ROLE_TITLE] = { COLOR_WHITE, DEF, 231, DEF, A_BOLD, A_BOLD },
    [ROLE_AXIS] = { COLOR_WHITE, DEF, 244, DEF, 0, 0 },
    [ROLE_DIM] = { COLOR_WHITE, DEF, 242, DEF, 0, A_DIM },
    [ROLE_GOOD] = { COLOR_GREEN, DEF, 78, DEF, A_BOLD, A_BOLD },
    [ROLE_BAD] = { COLOR_RED, DEF, 203, DEF, A_BOLD, A_BOLD | A_UNDERLINE },
    [ROLE_WARN] = { COLOR_YELLOW, DEF, 221, DEF, A_BOLD, A_BOLD },
    [ROLE_FOCUS] = { COLOR_CYAN, DEF, 45, DEF, A_BOLD, A_BOLD | A_REVERSE },
    [ROLE_KEY] = { COLOR_BLACK, COLOR_CYAN, 16, 45, 0, A_REVERSE },
    [ROLE_AUX] = { COLOR_WHITE, DEF, 246, DEF, 0, A_DIM },
    /* tasks: blue, red, green, orange, purple, cyan, pink, brown (the SVG's
     * order); on 8 colours the readable approximations */
    [ROLE_TASK_0 + 0] = { COLOR_CYAN, DEF, 39, DEF, 0, A_BOLD },
    [ROLE_TASK_0 + 1] = { COLOR_RED, DEF, 203, DEF, 0, 0 },
    [ROLE_TASK_0 + 2] = { COLOR_GREEN, DEF, 77, DEF, 0, 0 },
    [ROLE_TASK_0 + 3] = { COLOR_YELLOW, DEF, 214, DEF, 0, 0 },
    [ROLE_TASK_0 + 4] = { COLOR_MAGENTA, DEF, 141, DEF, 0, 0 },
    [ROLE_TASK_0 + 5] = { COLOR_BLUE, DEF, 44, DEF, A_BOLD, 0 },
    [ROLE_TASK_0 + 6] = { COLOR_MAGENTA, DEF, 212, DEF, A_BOLD, 0 },
    [ROLE_TASK_0 + 7] = { COLOR_YELLOW, DEF, 137, DEF, A_DIM, 0 },
    /* diverging: blue (low) .. grey .. red (high), text readable on each;
     * the 256-colour backgrounds of the heat levels are roles_heat256 */
    [ROLE_DIV_0 + 0] = { COLOR_WHITE, COLOR_BLUE, 231, 0, 0, 0 },
    [ROLE_DIV_0 + 1] = { COLOR_WHITE, COLOR_BLUE, 231, 0, 0, 0 },
    [ROLE_DIV_0 + 2] = { COLOR_BLACK, COLOR_CYAN, 231, 0, 0, 0 },
    [ROLE_DIV_0 + 3] = { COLOR_BLACK, COLOR_CYAN, 16, 0, 0, 0 },
    [ROLE_DIV_0 + 4] = { COLOR_BLACK, COLOR_WHITE, 16, 0, 0, 0 },
    [ROLE_DIV_0 + 5] = { COLOR_BLACK, COLOR_YELLOW, 16, 0, 0, 0 },
    [ROLE_DIV_0 + 6] = { COLOR_BLACK, COLOR_YELLOW, 16, 0, 0, 0 },
    [ROLE_DIV_0 + 7] = { COLOR_WHITE, COLOR_RED, 231, 0, 0, 0 },
    [ROLE_DIV_0 + 8] = { COLOR_WHITE, COLOR_RED, 231, 0, 0, 0 },
    /* sequential: dark purple .. teal .. yellow (viridis-like) */
    [ROLE_SEQ_0 + 0] = { COLOR_WHITE, COLOR_BLACK, 231, 0, 0, 0 },
    [ROLE_SEQ_0 + 1] = { COLOR_WHITE, COLOR_BLUE, 231, 0, 0, 0 },
    [ROLE_SEQ_0 + 2] = { COLOR_WHITE, COLOR_BLUE, 231, 0, 0, 0 },
    [ROLE_SEQ_0 + 3] = { COLOR_WHITE, COLOR_CYAN, 231, 0, 0, 0 },
    [ROLE_SEQ_0 + 4] = { COLOR_BLACK, COLOR_CYAN, 231, 0, 0, 0 },
    [ROLE_SEQ_0 + 5] = { COLOR_BLACK, COLOR_GREEN, 16, 0, 0, 0 },
    [ROLE_SEQ_0 + 6] = { COLOR_BLACK, COLOR_GREEN, 16, 0, 0, 0 },
    [ROLE_SEQ_0 + 7] = { COLOR_BLACK, COLOR_YELLOW, 16, 0, 0, 0 },
    [ROLE_SEQ_0 + 8] = { COLOR_BLACK, COLOR_YELLOW, 16, 0, 0, 0 },
};

void colors_init(int mono)
{
    int use = !mono && has_colors() && start_color() == OK;
    if (use) use_default_colors();
    int c256 = use && COLORS >= 256;
    for (int r = 0; r < ROLE_COUNT; r++) {
        const role_style *st = &styles[r];
        if (!use || r + 1 >= COLOR_PAIRS) {
            role_pair[r] = 0;
            role_attr[r] = st->mono;
            continue;
        }
        short fg = c256 ? st->fg256 : st->fg, bg = c256 ? st->bg256 : st->bg;
        if (c256 && r >= ROLE_DIV_0 && r < ROLE_SEQ_0) bg = roles_heat256[0][r - ROLE_DIV_0];
        if (c256 && r >= ROLE_SEQ_0) bg = roles_heat256[1][r - ROLE_SEQ_0];
        init_pair((short)(r + 1), fg, bg);
        role_pair[r] = (short)(r + 1);
        role_attr[r] = st->attr;
    }
}

void colors_set(WINDOW *w, tui_role r, attr_t extra)
{
    if ((unsigned)r >= ROLE_COUNT) r = ROLE_NORMAL;
    wattr_set(w, role_attr[r] | extra, role_pair[r], NULL);
}

attr_t colors_attr(tui_role r) { return (unsigned)r < ROLE_COUNT ? role_attr[r] : 0; }

short colors_pair(tui_role r) { return (unsigned)r < ROLE_COUNT ? role_pair[r] : 0; }

tui_role colors_task(int t)
{
    if (t < 0) t = 0;
    return (tui_role)(ROLE_TASK_0 + t % TUI_TASK_COLOURS);
}
