/* explain.h - what a pane shows, in two or three lines, for the `?`
 * overlay. Pure: a table of texts, tested against the names the run
 * publishes. */
#ifndef MT_TUI_EXPLAIN_H
#define MT_TUI_EXPLAIN_H

#include "layout.h"

/* The text for a matrix by its name (a per-layer matrix such as
 * "cross-stitch alpha L2" by its stem), or NULL when there is none. */
const char *explain_matrix(const char *name);
/* The text for pane p; for the matrix pane, for the matrix it shows.
 * NULL for panes that need none (the header, the footer). */
const char *explain_pane(tui_pane_id p, const char *matrix_name);

#endif
