/* test_run_runread.c - run folders read back (`mtlab open`): a sweep's
 * configuration read as one (runread_open_runs), checked against numbers
 * worked out by hand from folders this test writes, and a torn last line
 * of metrics.csv (a kill inside a write) that is skipped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/runread.h"

static char root[256];

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/mtlab-test-runread-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *dir, const char *name, const char *text)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A run folder of two tasks (a, b) with validation losses at steps 10,
 * 20 (and 30 when `steps` is 30): a's loss at step s is base + s / 100,
 * b's 2 base; summary.json says val_loss a = base, delta_m = 10 base. */
static void make_run(const char *dir, double base, int steps, const char *status)
{
    mkdir(dir, 0777);
    put(dir, "config.json",
        "{\"name\":\"x\",\"tasks\":[{\"name\":\"a\",\"aux\":false},{\"name\":\"b\",\"aux\":false}],"
        "\"weighting\":{\"method\":\"equal\"},\"topology\":{\"kind\":\"hard\"}}");
    char m[2048];
    size_t w = (size_t)snprintf(m, sizeof m, "step,epoch,split,task,loss,metric,weight\n");
    for (int s = 10; s <= steps; s += 10) {
        w += (size_t)snprintf(m + w, sizeof m - w, "%d,1,train,a,%.17g,%.17g,1\n", s, 1 + base, 1 + base);
        w += (size_t)snprintf(m + w, sizeof m - w, "%d,1,val,a,%.17g,%.17g,1\n", s, base + s / 100.0, base);
        w += (size_t)snprintf(m + w, sizeof m - w, "%d,1,val,b,%.17g,%.17g,1\n", s, 2 * base, 2 * base);
    }
    put(dir, "metrics.csv", m);
    put(dir, "events.jsonl", "");
    char sum[1024];
    snprintf(sum, sizeof sum,
             "{\"name\":\"x\",\"status\":\"%s\",\"steps\":%d,\"weighting\":\"equal\",\"delta_m\":%.17g,"
             "\"tasks\":{\"a\":{\"aux\":false,\"metric_name\":\"loss\",\"val_loss\":%.17g,\"val_metric\":%.17g},"
             "\"b\":{\"aux\":false,\"metric_name\":\"loss\",\"val_loss\":%.17g,\"val_metric\":%.17g}}}",
             status, steps, 10 * base, base, base, 2 * base, 2 * base);
    put(dir, "summary.json", sum);
}

/* Three seeds with base 1, 2, 6: at each step the mean of a's val loss is
 * 3 + s/100 and the sample sd of (1, 2, 6) is sqrt(((-2)^2 + (-1)^2 +
 * 3^2) / 2) = sqrt(7); the third seed stopped after step 20, so the mean
 * curve ends there. The numbers are the summaries' means. */
static void test_run_runread_sweep_configuration(void **state)
{
    (void)state;
    char d[3][400];
    const double base[3] = {1, 2, 6};
    for (int k = 0; k < 3; k++) {
        snprintf(d[k], sizeof d[k], "%s/seed-%d", root, k + 1);
        make_run(d[k], base[k], k == 2 ? 20 : 30, k == 2 ? "interrupted" : "finished");
    }
    const char *dirs[3] = {d[0], d[1], d[2]};
    mt_recorded *r;
    assert_int_equal(runread_open_runs("weighting=equal", dirs, 3, &r), MT_OK);
    mt_monitor *m = runread_monitor(r);
    assert_int_equal(m->spread_n, 3);
    assert_string_equal(m->experiment, "weighting=equal (3 seeds)");
    const mt_series *v = &m->val_loss[0], *lo = &m->val_lo[0], *hi = &m->val_hi[0];
    assert_int_equal(v->len, 2); /* steps 10 and 20: the ones every seed reached */
    assert_int_equal(lo->len, 2);
    assert_int_equal(hi->len, 2);
    for (int i = 0; i < 2; i++) {
        double s = 10.0 * (i + 1);
        assert_true(v->x[i] == s && lo->x[i] == s && hi->x[i] == s);
        assert_true(fabs(v->y[i] - (3 + s / 100)) < 1e-12);
        assert_true(fabs(hi->y[i] - v->y[i] - sqrt(7.0)) < 1e-12);
        assert_true(fabs(v->y[i] - lo->y[i] - sqrt(7.0)) < 1e-12);
    }
    /* b: 2 base, mean 6, sd 2 sqrt(7); training: 1 + base */
    assert_true(fabs(m->val_loss[1].y[1] - 6) < 1e-12);
    assert_true(fabs(m->val_hi[1].y[1] - 6 - 2 * sqrt(7.0)) < 1e-12);
    assert_true(fabs(m->train_loss[0].y[0] - 4) < 1e-12);
    assert_true(fabs(m->train_lo[0].y[0] - 4 + sqrt(7.0)) < 1e-12);
    const mt_run_result *res = runread_result(r);
    assert_true(fabs(res->loss[MT_RES_VAL][0] - 3) < 1e-12);
    assert_true(fabs(res->metric[MT_RES_VAL][1] - 6) < 1e-12);
    assert_true(fabs(res->delta_m - 30) < 1e-12);
    assert_string_equal(res->status, "2/3 finished");
    assert_int_equal(m->state, MT_RUN_STOPPED);
    runread_free(r);
    /* one seed: the curve itself, a band of width 0 */
    assert_int_equal(runread_open_runs("one", dirs, 1, &r), MT_OK);
    m = runread_monitor(r);
    assert_int_equal(m->val_loss[0].len, 3);
    assert_true(m->val_hi[0].y[2] == m->val_loss[0].y[2] && m->val_lo[0].y[2] == m->val_loss[0].y[2]);
    assert_string_equal(runread_result(r)->status, "1 seed");
    runread_free(r);
    /* a folder that is not a run is named */
    char bad[400];
    snprintf(bad, sizeof bad, "%s/nothing", root);
    const char *baddirs[2] = {d[0], bad};
    assert_int_not_equal(runread_open_runs("bad", baddirs, 2, &r), MT_OK);
    assert_null(r);
    assert_non_null(strstr(mt_last_error(), bad));
}

/* A kill inside a write can leave metrics.csv's last line without its
 * newline and with a number cut short, even with all seven fields: that
 * line is not read. */
static void test_run_runread_skips_torn_last_line(void **state)
{
    (void)state;
    char d[400];
    snprintf(d, sizeof d, "%s/torn", root);
    make_run(d, 1, 20, "finished");
    char p[600];
    snprintf(p, sizeof p, "%s/metrics.csv", d);
    FILE *f = fopen(p, "a");
    assert_non_null(f);
    fputs("30,1,val,a,1.3,1.3,0", f); /* seven fields, the weight cut short (was 0.5...) */
    fclose(f);
    unlink(strcat(strcpy(p, d), "/summary.json")); /* killed: the numbers come from metrics.csv */
    mt_recorded *r;
    assert_int_equal(runread_open(d, &r), MT_OK);
    const mt_monitor *m = runread_monitor(r);
    assert_int_equal(m->val_loss[0].len, 2);
    assert_true(m->val_loss[0].x[1] == 20);
    assert_true(fabs(runread_result(r)->loss[MT_RES_VAL][0] - 1.2) < 1e-12);
    runread_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_runread_sweep_configuration),
        cmocka_unit_test(test_run_runread_skips_torn_last_line),
    };
    return cmocka_run_group_tests_name("run runread", tests, setup, teardown);
}
