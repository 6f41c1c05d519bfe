/* test_tui_heat.c - the heatmap colour scale. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "tui/heat.h"

static void test_tui_heat_diverging_cosine(void **state)
{
    (void)state;
    heat_scale s = heat_scale_for(NULL, 0, -1, 1);
    assert_int_equal(s.kind, HEAT_DIVERGING);
    const int mid = (TUI_HEAT_LEVELS - 1) / 2;
    assert_int_equal(heat_level(&s, -1), 0);
    assert_int_equal(heat_level(&s, 1), TUI_HEAT_LEVELS - 1);
    assert_int_equal(heat_level(&s, 0), mid); /* neutral at zero */
    assert_int_equal(heat_level(&s, -5), 0);   /* clipped */
    assert_int_equal(heat_level(&s, 7), TUI_HEAT_LEVELS - 1);
    assert_int_equal(heat_level(&s, NAN), -1);
    assert_int_equal(heat_level(&s, INFINITY), TUI_HEAT_LEVELS - 1);
    assert_int_equal(heat_level(&s, -INFINITY), 0);
    /* level k covers values nearest lo + k (hi - lo) / (L - 1) */
    for (int k = 0; k < TUI_HEAT_LEVELS; k++) {
        double v = -1 + 2.0 * k / (TUI_HEAT_LEVELS - 1);
        assert_int_equal(heat_level(&s, v), k);
        assert_true(fabs(heat_level_value(&s, k) - v) < 1e-12);
        assert_int_equal(heat_role(&s, k), ROLE_DIV_0 + k);
    }
    /* symmetric: v and -v are mirror levels */
    for (double v = 0.03; v < 1; v += 0.07)
        assert_int_equal(heat_level(&s, v) + heat_level(&s, -v), TUI_HEAT_LEVELS - 1);
    assert_int_equal(heat_role(&s, -1), ROLE_DIM);
}

static void test_tui_heat_sequential_and_auto(void **state)
{
    (void)state;
    heat_scale s = heat_scale_for(NULL, 0, 0, 4);
    assert_int_equal(s.kind, HEAT_SEQUENTIAL);
    assert_int_equal(heat_level(&s, 0), 0);
    assert_int_equal(heat_level(&s, 2), (TUI_HEAT_LEVELS - 1) / 2);
    assert_int_equal(heat_level(&s, 4), TUI_HEAT_LEVELS - 1);
    assert_int_equal(heat_level(&s, -3), 0);
    assert_int_equal(heat_role(&s, 3), ROLE_SEQ_0 + 3);
    /* automatic from data: all positive -> sequential min..max */
    double pos[] = { 0.5, 2.5, NAN, 1.0 };
    s = heat_scale_for(pos, 4, 0, 0);
    assert_int_equal(s.kind, HEAT_SEQUENTIAL);
    assert_true(s.lo == 0.5 && s.hi == 2.5);
    /* both signs -> diverging, symmetric on the larger magnitude */
    double mixed[] = { -0.2, 0.8, 0.1 };
    s = heat_scale_for(mixed, 3, 0, 0);
    assert_int_equal(s.kind, HEAT_DIVERGING);
    assert_true(s.lo == -0.8 && s.hi == 0.8);
    assert_int_equal(heat_level(&s, 0), (TUI_HEAT_LEVELS - 1) / 2);
    /* constant data and no data still give a usable scale */
    double same[] = { 3, 3 };
    s = heat_scale_for(same, 2, 0, 0);
    assert_true(s.hi > s.lo);
    assert_true(heat_level(&s, 3) == (TUI_HEAT_LEVELS - 1) / 2);
    double none[] = { NAN };
    s = heat_scale_for(none, 1, 0, 0);
    assert_true(s.hi > s.lo);
    /* a natural range that does not straddle zero is sequential */
    s = heat_scale_for(NULL, 0, 1, 2);
    assert_int_equal(s.kind, HEAT_SEQUENTIAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tui_heat_diverging_cosine),
        cmocka_unit_test(test_tui_heat_sequential_and_auto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
