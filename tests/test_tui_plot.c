/* test_tui_plot.c - the braille rasteriser: exact dots for hand-made lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "tui/plot.h"

typedef struct {
    plot_grid g;
} ctx;

static int setup(void **state)
{
    static ctx c;
    memset(&c, 0, sizeof c);
    *state = &c;
    return 0;
}

static int teardown(void **state)
{
    ctx *c = *state;
    plot_grid_free(&c->g);
    return 0;
}

static int lit_count(const plot_grid *g)
{
    int n = 0;
    for (int py = 0; py < 4 * g->h; py++)
        for (int px = 0; px < 2 * g->w; px++) n += plot_get_dot(g, px, py);
    return n;
}

static void test_tui_plot_braille_bits(void **state)
{
    ctx *c = *state;
    /* the Unicode braille numbering: dots 1,2,3,7 left, 4,5,6,8 right */
    assert_int_equal(plot_dot_bit(0, 0), 0x01);
    assert_int_equal(plot_dot_bit(0, 1), 0x02);
    assert_int_equal(plot_dot_bit(0, 2), 0x04);
    assert_int_equal(plot_dot_bit(1, 0), 0x08);
    assert_int_equal(plot_dot_bit(1, 1), 0x10);
    assert_int_equal(plot_dot_bit(1, 2), 0x20);
    assert_int_equal(plot_dot_bit(0, 3), 0x40);
    assert_int_equal(plot_dot_bit(1, 3), 0x80);
    assert_int_equal(plot_dot_bit(2, 0), 0);
    assert_int_equal(plot_grid_reset(&c->g, 3, 2), MT_OK);
    plot_set_dot(&c->g, 5, 7, 4); /* last cell, bottom-right dot */
    assert_int_equal(c->g.dots[1 * 3 + 2], 0x80);
    assert_int_equal(c->g.colour[1 * 3 + 2], 4);
    assert_int_equal(c->g.colour[0], -1);
    plot_set_dot(&c->g, 6, 0, 1); /* outside: ignored */
    plot_set_dot(&c->g, -1, 0, 1);
    plot_set_dot(&c->g, 0, 8, 1);
    assert_int_equal(lit_count(&c->g), 1);
}

static void test_tui_plot_horizontal_line(void **state)
{
    ctx *c = *state;
    assert_int_equal(plot_grid_reset(&c->g, 4, 2), MT_OK); /* 8 x 8 dots */
    /* y range 0..7 maps y = 3 to dot row 7 - 3 = 4: the top row of cell row 1 */
    plot_range r = { 0, 1, 0, 7, 0 };
    double x[] = { 0, 1 }, y[] = { 3, 3 };
    plot_raster(&c->g, x, y, 2, &r, 2, PLOT_SOLID);
    for (int cx = 0; cx < 4; cx++) {
        assert_int_equal(c->g.dots[0 * 4 + cx], 0);
        assert_int_equal(c->g.dots[1 * 4 + cx], 0x01 | 0x08);
        assert_int_equal(c->g.colour[1 * 4 + cx], 2);
        assert_int_equal(c->g.colour[cx], -1);
    }
    assert_int_equal(lit_count(&c->g), 8);
}

static void test_tui_plot_diagonal(void **state)
{
    ctx *c = *state;
    assert_int_equal(plot_grid_reset(&c->g, 4, 2), MT_OK);
    /* data (k, k) -> dot column k, dot row 7 - k: bottom-left to top-right */
    plot_range r = { 0, 7, 0, 7, 0 };
    double x[] = { 0, 7 }, y[] = { 0, 7 };
    plot_raster(&c->g, x, y, 2, &r, 0, PLOT_SOLID);
    /* each cell covers two columns k, k+1 at rows 7-k, 6-k: left dot one
     * row below the right dot. Cell (cx=0, cy=1): k=0 row 7 (dy 3, dot 7)
     * and k=1 row 6 (dy 2, dot 6); cell (1,1): k=2 row 5 (dy 1, dot 2),
     * k=3 row 4 (dy 0, dot 4); the top row repeats the pattern. */
    const uint8_t want[2][4] = { { 0, 0, 0x40 | 0x20, 0x02 | 0x08 },
                                 { 0x40 | 0x20, 0x02 | 0x08, 0, 0 } };
    for (int cy = 0; cy < 2; cy++)
        for (int cx = 0; cx < 4; cx++) assert_int_equal(c->g.dots[cy * 4 + cx], want[cy][cx]);
    for (int k = 0; k < 8; k++) assert_true(plot_get_dot(&c->g, k, 7 - k));
    assert_int_equal(lit_count(&c->g), 8);
}

static void test_tui_plot_clipping(void **state)
{
    ctx *c = *state;
    assert_int_equal(plot_grid_reset(&c->g, 4, 2), MT_OK);
    plot_range r = { 0, 7, 0, 7, 0 };
    /* a horizontal line reaching far outside on both sides: exactly one row */
    double x[] = { -100, 200 }, y[] = { 7, 7 };
    plot_raster(&c->g, x, y, 2, &r, 0, PLOT_SOLID);
    for (int px = 0; px < 8; px++) assert_true(plot_get_dot(&c->g, px, 0));
    assert_int_equal(lit_count(&c->g), 8);
    /* a segment entirely above the range and a lone point outside: nothing */
    plot_grid_clear(&c->g);
    double x2[] = { 0, 7, 8 }, y2[] = { 9, 12, 3 };
    plot_raster(&c->g, x2, y2, 2, &r, 0, PLOT_SOLID);
    plot_raster(&c->g, x2 + 2, y2 + 2, 1, &r, 0, PLOT_SOLID);
    assert_int_equal(lit_count(&c->g), 0);
    /* a steep segment leaving through the top: clipped where it crosses
     * y = 7 (x = 3.5 on the line from (0,0) to (7,14)) */
    double x3[] = { 0, 7 }, y3[] = { 0, 14 };
    plot_raster(&c->g, x3, y3, 2, &r, 0, PLOT_SOLID);
    assert_true(plot_get_dot(&c->g, 0, 7));
    for (int px = 5; px < 8; px++)
        for (int py = 0; py < 8; py++) assert_false(plot_get_dot(&c->g, px, py));
    assert_true(plot_get_dot(&c->g, 4, 0) || plot_get_dot(&c->g, 3, 0));
}

static void test_tui_plot_nan_breaks_line(void **state)
{
    ctx *c = *state;
    assert_int_equal(plot_grid_reset(&c->g, 6, 1), MT_OK); /* 12 x 4 dots */
    plot_range r = { 0, 11, 0, 3, 0 };
    double x[] = { 0, 3, 5, 8, 11 }, y[] = { 0, 0, NAN, 0, 0 };
    plot_raster(&c->g, x, y, 5, &r, 0, PLOT_SOLID);
    /* 0..3 and 8..11 lit on the bottom row, 4..7 dark (no bridge over NaN) */
    for (int px = 0; px < 12; px++) assert_int_equal(plot_get_dot(&c->g, px, 3), px <= 3 || px >= 8);
    assert_int_equal(lit_count(&c->g), 8);
    /* a point isolated between NaNs is still drawn, as one dot */
    plot_grid_clear(&c->g);
    double x2[] = { 1, 6, 9 }, y2[] = { NAN, 3, NAN };
    plot_raster(&c->g, x2, y2, 3, &r, 0, PLOT_SOLID);
    assert_int_equal(lit_count(&c->g), 1);
    assert_true(plot_get_dot(&c->g, 6, 0));
    /* infinities break too, and a degenerate range draws nothing */
    plot_grid_clear(&c->g);
    double x3[] = { 0, 5, 11 }, y3[] = { 1, INFINITY, 1 };
    plot_raster(&c->g, x3, y3, 3, &r, 0, PLOT_SOLID);
    assert_int_equal(lit_count(&c->g), 2);
    plot_range bad = { 1, 1, 0, 3, 0 };
    plot_grid_clear(&c->g);
    plot_raster(&c->g, x, y, 2, &bad, 0, PLOT_SOLID);
    assert_int_equal(lit_count(&c->g), 0);
}

static void test_tui_plot_dashes_and_points(void **state)
{
    ctx *c = *state;
    assert_int_equal(plot_grid_reset(&c->g, 6, 1), MT_OK);
    plot_range r = { 0, 11, 0, 3, 0 };
    double x[] = { 0, 11 }, y[] = { 1, 1 };
    plot_raster(&c->g, x, y, 2, &r, 0, PLOT_DASHED);
    /* two on, two off along the 12 dots of row 3 - 1 = 2 */
    for (int px = 0; px < 12; px++) assert_int_equal(plot_get_dot(&c->g, px, 2), (px % 4) < 2);
    /* the pattern continues across a joint instead of restarting */
    plot_grid_clear(&c->g);
    double xj[] = { 0, 5, 11 }, yj[] = { 1, 1, 1 };
    plot_raster(&c->g, xj, yj, 3, &r, 0, PLOT_DASHED);
    for (int px = 0; px < 12; px++) assert_int_equal(plot_get_dot(&c->g, px, 2), (px % 4) < 2);
    /* dotted: one on, two off */
    plot_grid_clear(&c->g);
    plot_raster(&c->g, x, y, 2, &r, 0, PLOT_DOTTED);
    for (int px = 0; px < 12; px++) assert_int_equal(plot_get_dot(&c->g, px, 2), px % 3 == 0);
    plot_grid_clear(&c->g);
    double xp[] = { 0, 4, 11 }, yp[] = { 0, 3, 1 };
    plot_raster(&c->g, xp, yp, 3, &r, 0, PLOT_POINTS);
    assert_int_equal(lit_count(&c->g), 3);
    assert_true(plot_get_dot(&c->g, 0, 3));
    assert_true(plot_get_dot(&c->g, 4, 0));
    assert_true(plot_get_dot(&c->g, 11, 2));
}

static void test_tui_plot_log_axis(void **state)
{
    ctx *c = *state;
    assert_int_equal(plot_grid_reset(&c->g, 6, 1), MT_OK); /* 12 x 4 dots */
    /* log10 range -1..2 over 4 dot rows: 0.1 -> row 3, 1 -> 2, 10 -> 1, 100 -> 0 */
    plot_range r = { 0, 11, -1, 2, 1 };
    double x[] = { 0, 3, 6, 9, 11 }, y[] = { 0.1, 1, 0, 10, 100 };
    plot_raster(&c->g, x, y, 5, &r, 0, PLOT_POINTS);
    assert_true(plot_get_dot(&c->g, 0, 3));
    assert_true(plot_get_dot(&c->g, 3, 2));
    assert_true(plot_get_dot(&c->g, 9, 1));
    assert_true(plot_get_dot(&c->g, 11, 0));
    assert_int_equal(lit_count(&c->g), 4); /* the zero is not drawable */
    /* as a line, the zero breaks it: nothing between x = 3 and x = 9 */
    plot_grid_clear(&c->g);
    plot_raster(&c->g, x, y, 5, &r, 0, PLOT_SOLID);
    for (int px = 4; px <= 8; px++)
        for (int py = 0; py < 4; py++) assert_false(plot_get_dot(&c->g, px, py));
}

static void test_tui_plot_grid_reuse_and_extent(void **state)
{
    ctx *c = *state;
    assert_int_equal(plot_grid_reset(&c->g, 10, 10), MT_OK);
    int cap = c->g.cap;
    plot_set_dot(&c->g, 3, 3, 1);
    assert_int_equal(plot_grid_reset(&c->g, 5, 4), MT_OK);
    assert_int_equal(c->g.cap, cap); /* shrinking keeps the buffer */
    assert_int_equal(lit_count(&c->g), 0);
    double x[] = { 0, 1, 2, 3, 4 }, y[] = { 5, -1, NAN, 9, 0.5 };
    double lo = INFINITY, hi = -INFINITY;
    assert_int_equal(plot_y_extent(x, y, 5, 0, 3, 0, &lo, &hi), 3);
    assert_true(lo == -1 && hi == 9);
    lo = INFINITY, hi = -INFINITY;
    assert_int_equal(plot_y_extent(x, y, 5, 0, 10, 1, &lo, &hi), 3);
    assert_true(lo == 0.5 && hi == 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tui_plot_braille_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_plot_horizontal_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_plot_diagonal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_plot_clipping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_plot_nan_breaks_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_plot_dashes_and_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_plot_log_axis, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tui_plot_grid_reuse_and_extent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
