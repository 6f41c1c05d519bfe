/* test_tui_text.c - UTF-8 columns, word wrap and the console line editor. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/text.h"
#include "tui/lineedit.h"

static void span_is(const char *s, text_span sp, const char *want)
{
    char buf[256];
    memcpy(buf, s + sp.off, (size_t)sp.len);
    buf[sp.len] = '\0';
    assert_string_equal(buf, want);
}

static void test_tui_text_utf8_columns(void **state)
{
    (void)state;
    const char *s = "a\xe2\x94\x80\xe2\x96\xb6" "b"; /* a ─ ▶ b */
    assert_int_equal(text_columns(s, -1), 4);
    assert_int_equal(text_fit(s, -1, 2), 4);  /* 'a' + 3-byte box line */
    assert_int_equal(text_fit(s, -1, 3), 7);
    assert_int_equal(text_fit(s, -1, 10), 8);
    uint32_t cp;
    assert_int_equal(text_decode(s + 1, 7, &cp), 3);
    assert_int_equal(cp, 0x2500);
    /* a truncated sequence or a stray continuation byte is one column */
    assert_int_equal(text_decode("\xe2\x94", 2, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
    assert_int_equal(text_columns("\x80\x80z", -1), 3);
    char out[4];
    uint32_t cps[] = { 0x41, 0xe9, 0x2800 + 0x47, 0x1F600 };
    for (int i = 0; i < 4; i++) {
        int n = text_encode(cps[i], out);
        assert_int_equal(n, i + 1);
        assert_int_equal(text_decode(out, n, &cp), n);
        assert_int_equal(cp, cps[i]);
    }
}

/* Elision keeps head and tail, never splits a UTF-8 sequence, and keeps
 * names with a long common prefix apart. */
static void test_tui_text_elide(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(text_elide(out, sizeof out, "attribute_12", 10), "attr~te_12");
    assert_string_equal(text_elide(out, sizeof out, "attribute_13", 10), "attr~te_13");
    assert_string_equal(text_elide(out, sizeof out, "attribute_12", 12), "attribute_12");
    assert_string_equal(text_elide(out, sizeof out, "attribute_12", 3), "att");
    assert_string_equal(text_elide(out, sizeof out, "attribute_12", 0), "");
    /* a ─ ▶ b c d e f: 8 columns into 5 -> "a ─" head, "~", "ef" tail */
    const char *u = "a\xe2\x94\x80\xe2\x96\xb6" "bcdef";
    text_elide(out, sizeof out, u, 5);
    assert_int_equal(text_columns(out, -1), 5);
    assert_string_equal(out, "a\xe2\x94\x80~ef");
    text_elide(out, sizeof out, u, 6); /* head 2, tail 3 */
    assert_string_equal(out, "a\xe2\x94\x80~def");
    char small[6];
    assert_string_equal(text_elide(small, sizeof small, "attribute_12", 10), ""); /* no room: nothing */
}

static void test_tui_text_wrap(void **state)
{
    (void)state;
    text_span sp[16];
    const char *s = "the quick brown fox jumps over the lazy dog";
    int n = text_wrap(s, 10, sp, 16);
    assert_int_equal(n, 5);
    span_is(s, sp[0], "the quick");
    span_is(s, sp[1], "brown fox");
    span_is(s, sp[2], "jumps over"); /* exactly 10 columns still fits */
    span_is(s, sp[3], "the lazy");
    span_is(s, sp[4], "dog");
    /* paragraphs, a blank line, an over-long word cut at the width */
    const char *p = "ab cd\n\nabcdefghijkl x";
    n = text_wrap(p, 5, sp, 16);
    assert_int_equal(n, 5);
    span_is(p, sp[0], "ab cd");
    span_is(p, sp[1], "");
    span_is(p, sp[2], "abcde");
    span_is(p, sp[3], "fghij");
    span_is(p, sp[4], "kl x");
    /* every line fits, for every width */
    const char *u = "Hard sharing \xe2\x86\x92 one trunk, many heads; "
                    "soft sharing \xe2\x86\x92 one network per task.";
    for (int w = 1; w < 60; w++) {
        n = text_wrap(u, w, sp, 16);
        assert_true(n >= 1);
        for (int i = 0; i < n && i < 16; i++) assert_true(text_columns(u + sp[i].off, sp[i].len) <= w);
    }
    /* the count goes on past the cap */
    assert_int_equal(text_wrap(s, 3, sp, 2), text_wrap(s, 3, sp, 16));
    assert_int_equal(text_wrap("", 10, sp, 16), 0);
    assert_int_equal(text_wrap(s, 0, sp, 16), 0);
}

static void typed(lineedit *e, const char *s)
{
    for (; *s; s++) le_key(e, LE_CHAR, (unsigned char)*s);
}

static void text_is(const lineedit *e, const char *want)
{
    char buf[LE_BYTES];
    le_text(e, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void test_tui_text_lineedit_editing(void **state)
{
    (void)state;
    lineedit *e = malloc(sizeof *e);
    assert_non_null(e);
    le_init(e);
    typed(e, "print(1)");
    text_is(e, "print(1)");
    assert_int_equal(le_cursor(e), 8);
    le_key(e, LE_LEFT, 0);
    le_key(e, LE_LEFT, 0);
    le_key(e, LE_BACKSPACE, 0); /* removes '(' */
    typed(e, " ");
    text_is(e, "print 1)");
    le_key(e, LE_HOME, 0);
    assert_int_equal(le_cursor(e), 0);
    assert_int_equal(le_key(e, LE_LEFT, 0), LE_NONE);
    assert_int_equal(le_key(e, LE_BACKSPACE, 0), LE_NONE);
    le_key(e, LE_DELETE, 0);
    text_is(e, "rint 1)");
    le_key(e, LE_END, 0);
    assert_int_equal(le_key(e, LE_RIGHT, 0), LE_NONE);
    assert_int_equal(le_key(e, LE_DELETE, 0), LE_NONE);
    /* control characters are not inserted; non-ASCII is one character */
    assert_int_equal(le_key(e, LE_CHAR, '\t'), LE_NONE);
    le_key(e, LE_CHAR, 0x3bb); /* lambda */
    text_is(e, "rint 1)\xce\xbb");
    le_key(e, LE_LEFT, 0);
    le_key(e, LE_LEFT, 0);
    le_key(e, LE_KILL, 0);
    text_is(e, ")\xce\xbb");
    assert_int_equal(le_cursor(e), 0);
    assert_int_equal(le_key(e, LE_ENTER, 0), LE_SUBMIT);
    char out[8];
    assert_int_equal(le_take(e, out, sizeof out), 3);
    assert_string_equal(out, ")\xce\xbb");
    text_is(e, "");
    /* a full line ignores more characters; a short buffer never splits a
     * character */
    for (int i = 0; i < LE_CAP + 10; i++) le_key(e, LE_CHAR, 0x3bb);
    assert_int_equal(e->len, LE_CAP);
    assert_int_equal(le_text(e, out, 6), 4);
    free(e);
}

static void test_tui_text_lineedit_history(void **state)
{
    (void)state;
    lineedit *e = malloc(sizeof *e);
    assert_non_null(e);
    le_init(e);
    char out[64];
    typed(e, "a = 1");
    le_take(e, out, sizeof out);
    typed(e, "b = 2");
    le_take(e, out, sizeof out);
    typed(e, "b = 2"); /* a repeat is not stored twice */
    le_take(e, out, sizeof out);
    le_take(e, out, sizeof out); /* nor an empty line */
    assert_int_equal(e->nhist, 2);
    typed(e, "draft");
    le_key(e, LE_UP, 0);
    text_is(e, "b = 2");
    le_key(e, LE_UP, 0);
    text_is(e, "a = 1");
    le_key(e, LE_UP, 0); /* stays at the oldest */
    text_is(e, "a = 1");
    le_key(e, LE_DOWN, 0);
    text_is(e, "b = 2");
    le_key(e, LE_DOWN, 0); /* back to what was being typed */
    text_is(e, "draft");
    assert_int_equal(le_cursor(e), 5);
    le_key(e, LE_DOWN, 0);
    text_is(e, "draft");
    /* the history keeps the newest LE_HIST lines */
    le_take(e, out, sizeof out);
    for (int i = 0; i < LE_HIST + 5; i++) {
        char l[16];
        snprintf(l, sizeof l, "x%d", i);
        typed(e, l);
        le_take(e, out, sizeof out);
    }
    assert_int_equal(e->nhist, LE_HIST);
    char want[16];
    snprintf(want, sizeof want, "x%d", LE_HIST + 4);
    assert_string_equal(e->hist[LE_HIST - 1], want);
    assert_string_equal(e->hist[0], "x5");
    free(e);
}

/* Ctrl-W deletes the word before the cursor (and the spaces after it),
 * Ctrl-K the rest of the line; completion inserts at the cursor; the
 * history survives a save and a load, and a missing file is no history. */
static void test_tui_text_lineedit_kill_insert_history_file(void **state)
{
    (void)state;
    lineedit *e = malloc(sizeof *e);
    le_init(e);
    typed(e, "run:set_lr(3e-4)  x");
    assert_int_equal(le_key(e, LE_KILL_WORD, 0), LE_CHANGED);
    text_is(e, "run:set_lr(3e-4)  ");
    assert_int_equal(le_key(e, LE_KILL_WORD, 0), LE_CHANGED); /* the spaces and the word */
    text_is(e, "");
    typed(e, "a b c");
    le_key(e, LE_LEFT, 0);
    le_key(e, LE_LEFT, 0);
    assert_int_equal(le_key(e, LE_KILL_END, 0), LE_CHANGED);
    text_is(e, "a b");
    assert_int_equal(le_key(e, LE_KILL_END, 0), LE_NONE);
    le_key(e, LE_HOME, 0);
    assert_int_equal(le_key(e, LE_KILL_WORD, 0), LE_NONE);
    /* completion: text inserted at the cursor, the text before it read back */
    le_key(e, LE_KILL_END, 0);
    typed(e, "run:ma()");
    le_key(e, LE_LEFT, 0);
    le_key(e, LE_LEFT, 0);
    char before[64];
    le_before_cursor(e, before, sizeof before);
    assert_string_equal(before, "run:ma");
    assert_int_equal(le_insert(e, "trix\xce\xbb"), 5); /* UTF-8 counts code points */
    text_is(e, "run:matrix\xce\xbb()");
    /* the history file */
    char dir[] = "/tmp/mtlab-hist-XXXXXX", path[128], cmd[160];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/state/mtlab/history", dir);
    le_init(e);
    assert_int_equal(le_history_load(e, path), MT_OK); /* no file yet */
    assert_int_equal(e->nhist, 0);
    char out[LE_BYTES];
    typed(e, "1 + 1");
    le_take(e, out, sizeof out);
    typed(e, "run:weights()");
    le_take(e, out, sizeof out);
    assert_int_equal(le_history_save(e, path), MT_OK); /* makes state/mtlab/ */
    lineedit *f = malloc(sizeof *f);
    le_init(f);
    assert_int_equal(le_history_load(f, path), MT_OK);
    assert_int_equal(f->nhist, 2);
    assert_string_equal(f->hist[1], "run:weights()");
    le_key(f, LE_UP, 0);
    text_is(f, "run:weights()");
    /* an unwritable place is an error naming the path */
    assert_int_equal(le_history_save(f, "/proc/nope/history"), MT_ERR_IO);
    assert_non_null(strstr(mt_last_error(), "/proc/nope"));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tui_text_utf8_columns),
        cmocka_unit_test(test_tui_text_elide),
        cmocka_unit_test(test_tui_text_wrap),
        cmocka_unit_test(test_tui_text_lineedit_editing),
        cmocka_unit_test(test_tui_text_lineedit_history),
        cmocka_unit_test(test_tui_text_lineedit_kill_insert_history_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
