/* lineedit.h - the console's one-line editor with history.
 *
 * Pure (no curses): the screen translates keys into le_op values, so the
 * editing rules are unit-tested. Text is kept as code points so the cursor
 * moves by characters, and handed out as UTF-8. */
#ifndef MT_TUI_LINEEDIT_H
#define MT_TUI_LINEEDIT_H

#include <stddef.h>
#include <stdint.h>
#include "core/status.h"

#define LE_CAP 400   /* code points in a line */
#define LE_HIST 200  /* lines of history kept (and saved) */
#define LE_BYTES (LE_CAP * 4 + 1)

typedef enum {
    LE_CHAR,      /* insert `ch` at the cursor */
    LE_LEFT,
    LE_RIGHT,
    LE_HOME,
    LE_END,
    LE_BACKSPACE, /* delete before the cursor */
    LE_DELETE,    /* delete under the cursor */
    LE_KILL,      /* delete from the start to the cursor (Ctrl-U) */
    LE_KILL_END,  /* delete from the cursor to the end (Ctrl-K) */
    LE_KILL_WORD, /* delete the word before the cursor and the spaces after it (Ctrl-W) */
    LE_UP,        /* older history line */
    LE_DOWN,      /* newer history line, then back to the line being typed */
    LE_ENTER,
} le_op;

typedef enum { LE_NONE, LE_CHANGED, LE_SUBMIT } le_result;

typedef struct {
    uint32_t buf[LE_CAP]; /* (len) code points */
    int len, cur;         /* cur in 0..len */
    char hist[LE_HIST][LE_BYTES]; /* (nhist) oldest first */
    int nhist;
    int hpos;             /* -1: editing a new line; else the history line shown */
    uint32_t saved[LE_CAP]; /* the new line while browsing history */
    int saved_len;
} lineedit;

void le_init(lineedit *e);
/* Applies one key. LE_SUBMIT on ENTER: the caller takes the line with
 * le_take(). Control characters (< 0x20, 0x7f) inserted as LE_CHAR are
 * ignored; a full line ignores further characters. */
le_result le_key(lineedit *e, le_op k, uint32_t ch);
/* The current text as UTF-8 (truncated to n-1 bytes on a character
 * boundary); returns its length. */
int le_text(const lineedit *e, char *out, size_t n);
/* The current text, then: added to the history (unless empty or equal to
 * the newest entry), and the line cleared. Returns the length. */
int le_take(lineedit *e, char *out, size_t n);
/* Columns before the cursor, for placing the terminal cursor. */
int le_cursor(const lineedit *e);
/* The text before the cursor as UTF-8 (for completion); its length. */
int le_before_cursor(const lineedit *e, char *out, size_t n);
/* Inserts UTF-8 text at the cursor (what fits); the code points added. */
int le_insert(lineedit *e, const char *utf8);

/* The history kept from one start to the next: one line per entry,
 * oldest first. le_history_load appends the file's lines (a missing file
 * is no history: MT_OK); le_history_save writes every entry through a
 * temporary file renamed into place, creating the folder. MT_ERR_IO
 * naming the path otherwise. */
mt_status le_history_load(lineedit *e, const char *path);
mt_status le_history_save(const lineedit *e, const char *path);

#endif
