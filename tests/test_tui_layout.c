/* test_tui_layout.c - the pane layout over every terminal size. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "tui/layout.h"

static int overlap(tui_rect a, tui_rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/* Checks the invariants of one layout; returns the number of visible panes. */
static int check_layout(const tui_layout *l, int cols, int lines, unsigned flags, tui_pane_id focus)
{
    char where[128];
    snprintf(where, sizeof where, "%dx%d flags %u focus %s", cols, lines, flags,
             layout_pane_name(focus));
    assert_int_equal(l->too_small, 0);
    int visible = 0;
    long area = 0;
    for (int p = 0; p < TUI_PANE_COUNT; p++) {
        tui_rect r = l->pane[p];
        if (r.w == 0 && r.h == 0) continue;
        visible++;
        if (r.w <= 0 || r.h <= 0 || r.x < 0 || r.y < 0 || r.x + r.w > cols || r.y + r.h > lines) {
            fail_msg("%s: pane %s at %d,%d size %dx%d outside", where, layout_pane_name(p), r.x,
                     r.y, r.w, r.h);
        }
        /* a bordered pane needs room for its border and one line of text */
        if (p != TUI_PANE_HEADER && p != TUI_PANE_FOOTER && (r.w < 20 || r.h < 3))
            fail_msg("%s: pane %s is only %dx%d", where, layout_pane_name(p), r.w, r.h);
        area += (long)r.w * r.h;
        for (int q = p + 1; q < TUI_PANE_COUNT; q++) {
            if (layout_visible(l, q) && overlap(r, l->pane[q]))
                fail_msg("%s: %s overlaps %s", where, layout_pane_name(p), layout_pane_name(q));
        }
    }
    /* with no overlap, the areas summing to the screen means no gaps either */
    assert_int_equal(area, (long)cols * lines);
    /* enlarged (for projection) the header goes; the footer's line says how to return */
    if (flags & TUI_LAYOUT_MAXIMISE) assert_false(layout_visible(l, TUI_PANE_HEADER));
    else assert_true(layout_visible(l, TUI_PANE_HEADER));
    assert_true(layout_visible(l, TUI_PANE_FOOTER));
    if (!(flags & TUI_LAYOUT_MAXIMISE)) assert_true(layout_visible(l, TUI_PANE_CONSOLE));
    return visible;
}

static void test_tui_layout_every_size(void **state)
{
    (void)state;
    static const tui_pane_id focuses[] = { TUI_PANE_LOSS, TUI_PANE_MATRIX, TUI_PANE_WEIGHTS,
                                           TUI_PANE_TOPOLOGY, TUI_PANE_NOTES, TUI_PANE_CONSOLE };
    static const unsigned flagset[] = { 0, TUI_LAYOUT_CONSOLE_FOCUS, TUI_LAYOUT_MAXIMISE, TUI_LAYOUT_LESSON,
                                        TUI_LAYOUT_LESSON | TUI_LAYOUT_MAXIMISE };
    long layouts = 0;
    for (int cols = TUI_MIN_COLS; cols <= 250; cols += 3) {
        for (int lines = TUI_MIN_LINES; lines <= 80; lines++) {
            for (int ntasks = 1; ntasks <= 12; ntasks += 5) {
                for (size_t f = 0; f < sizeof flagset / sizeof *flagset; f++) {
                    for (size_t k = 0; k < sizeof focuses / sizeof *focuses; k++) {
                        tui_layout l;
                        layout_compute(&l, cols, lines, ntasks, flagset[f], focuses[k]);
                        check_layout(&l, cols, lines, flagset[f], focuses[k]);
                        /* the focused pane is always on screen */
                        assert_true(layout_visible(&l, focuses[k]));
                        int beside = (flagset[f] & TUI_LAYOUT_LESSON) && focuses[k] != TUI_PANE_NOTES &&
                                     focuses[k] != TUI_PANE_CONSOLE; /* a lesson's narration stays */
                        if (flagset[f] & TUI_LAYOUT_MAXIMISE) {
                            assert_int_equal(l.pane[focuses[k]].w, cols - (beside ? l.pane[TUI_PANE_NOTES].w : 0));
                            assert_int_equal(l.pane[focuses[k]].y, 0);
                            assert_int_equal(l.pane[focuses[k]].h, lines - 1);
                            if (beside) assert_true(layout_visible(&l, TUI_PANE_NOTES));
                        }
                        layouts++;
                    }
                }
            }
        }
    }
    assert_true(layouts > 10000);
}

static void test_tui_layout_compare_view(void **state)
{
    (void)state;
    for (int cols = TUI_MIN_COLS; cols <= 250; cols += 7) {
        for (int lines = TUI_MIN_LINES; lines <= 80; lines += 2) {
            tui_layout l;
            layout_compute(&l, cols, lines, 3, TUI_LAYOUT_COMPARE, TUI_PANE_COMPARE_TABLE);
            check_layout(&l, cols, lines, TUI_LAYOUT_COMPARE, TUI_PANE_COMPARE_TABLE);
            assert_true(layout_visible(&l, TUI_PANE_COMPARE_TABLE));
            assert_true(layout_visible(&l, TUI_PANE_COMPARE_CURVES));
            assert_false(layout_visible(&l, TUI_PANE_LOSS));
            /* big enough: all three; always: the focused one */
            if (cols >= 100 || lines >= 40) assert_true(layout_visible(&l, TUI_PANE_COMPARE_SCATTER));
            layout_compute(&l, cols, lines, 3, TUI_LAYOUT_COMPARE, TUI_PANE_COMPARE_SCATTER);
            check_layout(&l, cols, lines, TUI_LAYOUT_COMPARE, TUI_PANE_COMPARE_SCATTER);
            assert_true(layout_visible(&l, TUI_PANE_COMPARE_SCATTER));
            assert_true(layout_visible(&l, TUI_PANE_COMPARE_TABLE));
        }
    }
}

static void test_tui_layout_big_terminal_shows_everything(void **state)
{
    (void)state;
    tui_layout l;
    layout_compute(&l, 160, 48, 3, 0, TUI_PANE_LOSS);
    assert_int_equal(check_layout(&l, 160, 48, 0, TUI_PANE_LOSS), 8);
    /* the loss plot is the biggest pane */
    long loss = (long)l.pane[TUI_PANE_LOSS].w * l.pane[TUI_PANE_LOSS].h;
    for (int p = 0; p < TUI_PANE_COUNT; p++)
        assert_true((long)l.pane[p].w * l.pane[p].h <= loss);
    /* the console grows when it has focus */
    tui_layout f;
    layout_compute(&f, 160, 48, 3, TUI_LAYOUT_CONSOLE_FOCUS, TUI_PANE_CONSOLE);
    assert_true(f.pane[TUI_PANE_CONSOLE].h > l.pane[TUI_PANE_CONSOLE].h);
    /* a heatmap of more tasks gets a wider pane */
    tui_layout m;
    layout_compute(&m, 200, 48, 8, 0, TUI_PANE_LOSS);
    tui_layout s;
    layout_compute(&s, 200, 48, 2, 0, TUI_PANE_LOSS);
    assert_true(m.pane[TUI_PANE_MATRIX].w > s.pane[TUI_PANE_MATRIX].w);
}

static void test_tui_layout_small_terminal_swaps_focus_in(void **state)
{
    (void)state;
    tui_layout l;
    layout_compute(&l, 60, 18, 3, 0, TUI_PANE_LOSS);
    assert_true(layout_visible(&l, TUI_PANE_LOSS));
    assert_false(layout_visible(&l, TUI_PANE_TOPOLOGY));
    tui_rect loss = l.pane[TUI_PANE_LOSS];
    layout_compute(&l, 60, 18, 3, 0, TUI_PANE_TOPOLOGY);
    assert_false(layout_visible(&l, TUI_PANE_LOSS));
    assert_memory_equal(&l.pane[TUI_PANE_TOPOLOGY], &loss, sizeof loss);
}

static void test_tui_layout_too_small(void **state)
{
    (void)state;
    tui_layout l;
    layout_compute(&l, 50, 12, 3, 0, TUI_PANE_LOSS);
    assert_int_equal(l.too_small, 1);
    assert_string_equal(l.message, "terminal too small: 50x12, need 60x18");
    for (int p = 0; p < TUI_PANE_COUNT; p++) assert_false(layout_visible(&l, p));
    layout_compute(&l, 59, 80, 3, 0, TUI_PANE_LOSS);
    assert_int_equal(l.too_small, 1);
    layout_compute(&l, 200, 17, 3, 0, TUI_PANE_LOSS);
    assert_int_equal(l.too_small, 1);
    assert_string_equal(l.message, "terminal too small: 200x17, need 60x18");
    layout_compute(&l, 0, 0, 0, 0, TUI_PANE_LOSS);
    assert_int_equal(l.too_small, 1);
    layout_compute(&l, 60, 18, 3, 0, TUI_PANE_LOSS);
    assert_int_equal(l.too_small, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tui_layout_every_size),
        cmocka_unit_test(test_tui_layout_compare_view),
        cmocka_unit_test(test_tui_layout_big_terminal_shows_everything),
        cmocka_unit_test(test_tui_layout_small_terminal_swaps_focus_in),
        cmocka_unit_test(test_tui_layout_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
