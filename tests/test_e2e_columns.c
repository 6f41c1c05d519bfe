/* test_e2e_columns.c - experiments 10..15 (soft sharing, cross-stitch,
 * sluice, low supervision, joint many-task, tensor factorisation) run
 * headless through the real binary, each asserting the claim its comment
 * block makes, from summary.json and relations.jsonl. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <math.h>

#include "e2e_util.h"

#ifndef MTLAB_ROOT
#define MTLAB_ROOT "."
#endif

/* Runs experiments/<name>.lua into <tmp>/<name>; asserts success. */
static void run_experiment(const char *name)
{
    char args[1024], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "run '%s/experiments/%s.lua' --out '%s' --quiet", MTLAB_ROOT, name, name);
    int rc = e2e_run(args, &out, &err);
    if (rc != 0) fprintf(stderr, "%s: exit %d\n%s\n%s\n", name, rc, out ? out : "", err ? err : "");
    assert_int_equal(rc, 0);
    free(out);
    free(err);
}

static cJSON *read_json(const char *path)
{
    char *s = e2e_read(path);
    if (!s) fprintf(stderr, "missing %s\n", path);
    assert_non_null(s);
    cJSON *o = cJSON_Parse(s);
    free(s);
    assert_non_null(o);
    return o;
}

static cJSON *summary(const char *exp, const char *sub)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s/%s/summary.json", e2e_tmpdir(), exp, sub);
    return read_json(p);
}

static double task_num(const cJSON *s, const char *task, const char *field)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "tasks"), task);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(t, field);
    if (!cJSON_IsNumber(x)) fprintf(stderr, "no number %s.%s\n", task, field);
    assert_true(cJSON_IsNumber(x));
    return x->valuedouble;
}

/* The mean test loss over the tasks of one run. */
static double mean_test_loss(const char *exp, const char *sub)
{
    cJSON *s = summary(exp, sub);
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(s, "tasks"), *t;
    double sum = 0;
    int n = 0;
    cJSON_ArrayForEach(t, tasks)
    {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(t, "test_loss");
        assert_true(cJSON_IsNumber(x));
        sum += x->valuedouble;
        n++;
    }
    cJSON_Delete(s);
    assert_true(n > 0);
    return sum / n;
}

static double params_total(const char *exp, const char *sub)
{
    cJSON *s = summary(exp, sub);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "params"), "total");
    assert_true(cJSON_IsNumber(x));
    double v = x->valuedouble;
    cJSON_Delete(s);
    return v;
}

static double accuracy(const char *exp, const char *sub, const char *task)
{
    cJSON *s = summary(exp, sub);
    double v = task_num(s, task, "test_metric");
    cJSON_Delete(s);
    return v;
}

/* The last matrix called `name` in <exp>/<sub>/relations.jsonl, into v
 * (row-major, at most cap entries); asserts its shape. */
static void last_matrix(const char *exp, const char *sub, const char *name, int rows, int cols, double *v)
{
    char p[700];
    if (sub) snprintf(p, sizeof p, "%s/%s/%s/relations.jsonl", e2e_tmpdir(), exp, sub);
    else snprintf(p, sizeof p, "%s/%s/relations.jsonl", e2e_tmpdir(), exp);
    char *text = e2e_read(p);
    assert_non_null(text);
    int found = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        cJSON *o = cJSON_Parse(line);
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
        if (o && cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0) {
            assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "rows")->valueint, rows);
            assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "cols")->valueint, cols);
            const cJSON *vals = cJSON_GetObjectItemCaseSensitive(o, "values");
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) {
                    const cJSON *x = cJSON_GetArrayItem(cJSON_GetArrayItem(vals, i), j);
                    assert_true(cJSON_IsNumber(x));
                    v[i * cols + j] = x->valuedouble;
                }
            found = 1;
        }
        cJSON_Delete(o);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    if (!found) fprintf(stderr, "%s: no matrix \"%s\"\n", p, name);
    assert_true(found);
}

/* mean of the off-diagonal entries of a symmetric T x T matrix */
static double mean_offdiag(const double *D, int T)
{
    double s = 0;
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++)
            if (i != j) s += D[i * T + j];
    return s / (T * (T - 1));
}

static void test_e2e_columns_soft_sharing(void **state)
{
    (void)state;
    const char *E = "10_soft_sharing";
    run_experiment(E);
    double ind = mean_test_loss(E, "01-independent-columns"), l2 = mean_test_loss(E, "02-soft-l2"),
           tr = mean_test_loss(E, "03-soft-trace");
    fprintf(stderr, "soft: test loss independent %.4f, L2 %.4f, trace %.4f\n", ind, l2, tr);
    assert_true(l2 < 0.7 * ind);
    assert_true(tr < 0.7 * ind);
    double Di[9], Dl[9], Si[3], St[3];
    last_matrix(E, "01-independent-columns", "soft distance L1", 3, 3, Di);
    last_matrix(E, "02-soft-l2", "soft distance L1", 3, 3, Dl);
    fprintf(stderr, "soft: layer-1 distance independent %.3f, L2 %.3f\n", mean_offdiag(Di, 3), mean_offdiag(Dl, 3));
    assert_true(mean_offdiag(Dl, 3) < 0.2 * mean_offdiag(Di, 3));
    last_matrix(E, "01-independent-columns", "soft spectrum L1", 1, 3, Si);
    last_matrix(E, "03-soft-trace", "soft spectrum L1", 1, 3, St);
    fprintf(stderr, "soft: top singular share independent %.3f, trace %.3f\n", Si[0], St[0]);
    assert_true(St[0] > Si[0] + 0.15);
}

/* |a_ij| + |a_ji| summed over both stitched layers */
static double stitch_mixing(const double *A1, const double *A2, int i, int j)
{
    return fabs(A1[i * 3 + j]) + fabs(A1[j * 3 + i]) + fabs(A2[i * 3 + j]) + fabs(A2[j * 3 + i]);
}

static void test_e2e_columns_cross_stitch(void **state)
{
    (void)state;
    const char *E = "11_cross_stitch";
    run_experiment(E);
    double A1[9], A2[9];
    last_matrix(E, NULL, "cross-stitch alpha L1", 3, 3, A1);
    last_matrix(E, NULL, "cross-stitch alpha L2", 3, 3, A2);
    double rel = stitch_mixing(A1, A2, 0, 1);
    double unrel = fmax(stitch_mixing(A1, A2, 0, 2), stitch_mixing(A1, A2, 1, 2));
    fprintf(stderr, "cross-stitch: mixing y1/y2 %.3f, largest with y3 %.3f (start 0.2)\n", rel, unrel);
    assert_true(rel > 1.5 * unrel);
    assert_true(rel > 0.2);
}

static void test_e2e_columns_sluice(void **state)
{
    (void)state;
    const char *E = "12_sluice";
    run_experiment(E);
    double sl = mean_test_loss(E, "01-sluice"), ind = mean_test_loss(E, "03-independent-columns");
    fprintf(stderr, "sluice: test loss %.4f, independent columns %.4f\n", sl, ind);
    assert_true(sl < 0.95 * ind);
    double O1[6], O0[6], A[36];
    last_matrix(E, "01-sluice", "sluice subspace overlap", 3, 2, O1);
    last_matrix(E, "02-sluice-without-ortho", "sluice subspace overlap", 3, 2, O0);
    double m1 = 0, m0 = 0;
    for (int k = 0; k < 6; k++) {
        m1 += O1[k] / 6;
        m0 += O0[k] / 6;
    }
    fprintf(stderr, "sluice: subspace overlap with ortho %.4f, without %.4f\n", m1, m0);
    assert_true(m0 > 0);
    assert_true(m1 < 0.25 * m0);
    last_matrix(E, "01-sluice", "sluice alpha L2", 6, 6, A);
    double cross = 0;
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            if (i / 2 != j / 2) cross += fabs(A[i * 6 + j]) / 24;
    fprintf(stderr, "sluice: mean cross-task |alpha| in layer 2 %.3f (start %.3f)\n", cross, 0.7 / 5);
    assert_true(cross > 1.2 * 0.7 / 5);
    double B[6];
    last_matrix(E, "01-sluice", "sluice beta", 3, 2, B);
    for (int k = 0; k < 6; k++) assert_true(isfinite(B[k]));
}

static void test_e2e_columns_low_supervision(void **state)
{
    (void)state;
    const char *E = "13_low_supervision";
    run_experiment(E);
    double hi_low = accuracy(E, "01-low-supervision", "high"), hi_top = accuracy(E, "02-both-at-the-top", "high");
    double hi_alone = accuracy(E, "03-high-alone", "high");
    double lo_low = accuracy(E, "01-low-supervision", "low"), lo_top = accuracy(E, "02-both-at-the-top", "low");
    fprintf(stderr, "low supervision: high %.3f (top %.3f, alone %.3f), low %.3f (top %.3f)\n", hi_low, hi_top,
            hi_alone, lo_low, lo_top);
    assert_true(hi_low > hi_alone + 0.02);
    assert_true(fabs(hi_low - hi_top) < 0.02);
    assert_true(lo_low > lo_top - 0.01);
    /* the config records where each head attaches */
    char p[700];
    snprintf(p, sizeof p, "%s/%s/01-low-supervision/config.json", e2e_tmpdir(), E);
    cJSON *c = read_json(p);
    const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "tasks"), 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(t0, "attach")->valueint, 1);
    cJSON_Delete(c);
}

static void test_e2e_columns_joint_many_task(void **state)
{
    (void)state;
    const char *E = "14_joint_many_task";
    run_experiment(E);
    double dep = accuracy(E, "01-jmt", "dep"), chunk = accuracy(E, "01-jmt", "chunk");
    double dep_nl = accuracy(E, "02-jmt-without-label-embeddings", "dep");
    double chunk_nl = accuracy(E, "02-jmt-without-label-embeddings", "chunk");
    double dep_alone = accuracy(E, "04-dep-alone", "dep");
    fprintf(stderr, "jmt: dep %.3f (no labels %.3f, alone %.3f), chunk %.3f (no labels %.3f)\n", dep, dep_nl,
            dep_alone, chunk, chunk_nl);
    assert_true(dep > dep_nl + 0.04);
    assert_true(chunk > chunk_nl + 0.015);
    assert_true(dep > dep_alone + 0.10);
}

static void test_e2e_columns_tensor_factorisation(void **state)
{
    (void)state;
    const char *E = "15_tensor_factorisation";
    run_experiment(E);
    double tk = mean_test_loss(E, "01-tucker"), tt = mean_test_loss(E, "02-tensor-train"),
           ind = mean_test_loss(E, "03-independent-columns");
    double ptk = params_total(E, "01-tucker"), ptt = params_total(E, "02-tensor-train"),
           pind = params_total(E, "03-independent-columns");
    fprintf(stderr, "tensor: test loss tucker %.4f (%g params), tt %.4f (%g), independent %.4f (%g)\n", tk, ptk, tt,
            ptt, ind, pind);
    assert_true(ptk < 0.3 * pind);
    assert_true(ptt < 0.3 * pind);
    assert_true(tk < 0.5 * ind);
    assert_true(tt < 0.5 * ind);
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

static int teardown_all(void **state)
{
    (void)state;
    e2e_cleanup();
    return 0;
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
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
