/* test_e2e_columns.c - experiments 10..15 (soft sharing, cross-stitch,
 * sluice, low supervision, joint many-task, tensor factorisation) run
 * headless through the real binary, each asserting that the claim the
 * script declares held (written once, in the script), and a bad column
 * parameter's message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>

#include "e2e_util.h"

#ifndef MTLAB_ROOT
#define MTLAB_ROOT "."
#endif

/* The script's claim held (exit 0, claims.json). */
static void claim_holds(const char *name) { e2e_claim_holds(MTLAB_ROOT, name, NULL, 0); }

static void test_e2e_columns_soft_sharing(void **state)
{
    (void)state;
    claim_holds("10_soft_sharing");
}

static void test_e2e_columns_cross_stitch(void **state)
{
    (void)state;
    claim_holds("11_cross_stitch");
}

static void test_e2e_columns_sluice(void **state)
{
    (void)state;
    claim_holds("12_sluice");
}

/* 13: its claim; the config records where each head attaches. */
static void test_e2e_columns_low_supervision(void **state)
{
    (void)state;
    const char *E = "13_low_supervision";
    claim_holds(E);
    char p[700];
    snprintf(p, sizeof p, "%s/%s/01-low-supervision/config.json", e2e_tmpdir(), E);
    cJSON *c = e2e_read_json(p);
    const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "tasks"), 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(t0, "attach")->valueint, 1);
    cJSON_Delete(c);
}

static void test_e2e_columns_joint_many_task(void **state)
{
    (void)state;
    claim_holds("14_joint_many_task");
}

static void test_e2e_columns_tensor_factorisation(void **state)
{
    (void)state;
    claim_holds("15_tensor_factorisation");
}

/* A script that names a column topology with a bad parameter fails with
 * the field in the message (the generic parameter path end to end). */
static void test_e2e_columns_bad_parameter(void **state)
{
    (void)state;
    const char *s = e2e_write("bad_sluice.lua",
                              "local mtl = require 'mtl'\n"
                              "return mtl.experiment {\n"
                              "  data = mtl.data.mmoe { tasks = 2, d = 8, train = 50, val = 10, test = 10 },\n"
                              "  tasks = { mtl.task.regress { name = 'y1' }, mtl.task.regress { name = 'y2' } },\n"
                              "  topology = mtl.share.sluice { trunk = { 6, 6 }, subspaces = 4 },\n"
                              "}\n");
    char args[700], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "check '%s'", s);
    int rc = e2e_run(args, &out, &err);
    assert_int_equal(rc, 2);
    assert_non_null(err);
    assert_non_null(strstr(err, "topology.subspaces: 4 does not divide the layer width 6"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_columns_soft_sharing),
        cmocka_unit_test(test_e2e_columns_cross_stitch),
        cmocka_unit_test(test_e2e_columns_sluice),
        cmocka_unit_test(test_e2e_columns_low_supervision),
        cmocka_unit_test(test_e2e_columns_joint_many_task),
        cmocka_unit_test(test_e2e_columns_tensor_factorisation),
        cmocka_unit_test(test_e2e_columns_bad_parameter),
    };
    return cmocka_run_group_tests(tests, NULL, e2e_teardown);
}
