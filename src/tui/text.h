/* text.h - UTF-8 text helpers for panes: column counting and word wrap.
 *
 * Independent of the locale: every code point counts as one column (the
 * topology and notes texts are Latin, box drawing and arrows), so the
 * result is the same in tests and on the terminal. */
#ifndef MT_TUI_TEXT_H
#define MT_TUI_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int off, len; /* byte offset and length in the source text */
} text_span;

/* Display columns of the first `nbytes` bytes of s (nbytes < 0: up to the
 * NUL). A malformed byte counts as one column. */
int text_columns(const char *s, int nbytes);

/* Byte length of the longest prefix of s (up to its NUL or `nbytes`) that
 * fits in `cols` columns, never splitting a UTF-8 sequence. */
int text_fit(const char *s, int nbytes, int cols);

/* s shortened to at most `cols` columns into out (cap bytes, NUL
 * included): unchanged when it fits, else its head, '~' and its tail, so
 * names that share a long prefix stay apart ("attribute_12" in 10 columns
 * is "attr~te_12"); below 4 columns just the head. Returns out. */
char *text_elide(char *out, size_t cap, const char *s, int cols);

/* Decodes one code point at s (at most n bytes); returns its byte length
 * (>= 1 for any non-empty input; a malformed byte decodes as U+FFFD). */
int text_decode(const char *s, int n, uint32_t *cp);

/* Encodes cp as UTF-8 into out (4 bytes room); returns the length. */
int text_encode(uint32_t cp, char *out);

/* Word-wraps s to `width` columns: paragraphs break at '\n', lines break
 * at spaces, a word longer than the width is cut. Writes up to `cap` line
 * spans (spaces at the break are left out) and returns the total number of
 * lines, which may exceed cap. An empty text has 0 lines. */
int text_wrap(const char *s, int width, text_span *out, int cap);

#endif
