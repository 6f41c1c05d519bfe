/* test_mtl_relations.c - task-relationship measures against hand values and
 * independent references. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/status.h"
#include "mtl/relations.h"

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

/* g1 = (1,0,0), g2 = (1,1,0), g3 = (-2,0,0), g4 = 0 */
static const float G4[12] = {1, 0, 0, 1, 1, 0, -2, 0, 0, 0, 0, 0};

static void test_mtl_relations_cosine_hand(void **state)
{
    (void)state;
    double C[16], M[16], C2[16];
    assert_int_equal(relations_cosine(G4, 4, 3, C), MT_OK);
    const double s2 = 1 / sqrt(2.0);
    const double ref[16] = {
        1, s2, -1, 0, /**/ s2, 1, -s2, 0, /**/ -1, -s2, 1, 0, /**/ 0, 0, 0, 0,
    };
    for (int k = 0; k < 16; k++) NEAR(C[k], ref[k], 1e-12);
    /* from a Gram matrix, also in place */
    assert_int_equal(relations_gram(G4, 4, 3, M), MT_OK);
    NEAR(M[1 * 4 + 2], -2, 1e-12);
    relations_cosine_from_gram(M, 4, C2);
    assert_memory_equal(C, C2, sizeof C);
    relations_cosine_from_gram(M, 4, M);
    assert_memory_equal(C, M, sizeof C);
}

static void test_mtl_relations_magnitude_and_norms(void **state)
{
    (void)state;
    double S[16], n[4];
    assert_int_equal(relations_magnitude(G4, 4, 3, S), MT_OK);
    /* norms 1, sqrt2, 2, 0 */
    NEAR(S[0 * 4 + 1], 2 * sqrt(2.0) / 3, 1e-12);
    NEAR(S[0 * 4 + 2], 0.8, 1e-12);
    NEAR(S[1 * 4 + 2], 2 * sqrt(2.0) * 2 / 6, 1e-12);
    NEAR(S[0 * 4 + 3], 0.0, 1e-12);
    NEAR(S[3 * 4 + 3], 1.0, 1e-12);
    NEAR(S[2 * 4 + 1], S[1 * 4 + 2], 0);
    assert_int_equal(relations_norms(G4, 4, 3, n), MT_OK);
    NEAR(n[0], 1, 1e-12);
    NEAR(n[1], sqrt(2.0), 1e-12);
    NEAR(n[2], 2, 1e-12);
    NEAR(n[3], 0, 0);
    double M[16], n2[4];
    assert_int_equal(relations_gram(G4, 4, 3, M), MT_OK);
    relations_norms_from_gram(M, 4, n2);
    assert_memory_equal(n, n2, sizeof n);
}

/* Sums in double: two long, nearly orthogonal gradients still give the
 * cosine of a double-precision reference. */
static void test_mtl_relations_precision_long_vectors(void **state)
{
    (void)state;
    const size_t P = 200000;
    float *G = mt_alloc(2 * P * sizeof(float));
    assert_non_null(G);
    mt_rng r;
    mt_rng_init(&r, 1, 0);
    double ab = 0, aa = 0, bb = 0;
    for (size_t p = 0; p < P; p++) {
        G[p] = (float)(1.0 + mt_rng_normal(&r));
        G[P + p] = (float)mt_rng_normal(&r);
    }
    for (size_t p = 0; p < P; p++) {
        ab += (double)G[p] * G[P + p];
        aa += (double)G[p] * G[p];
        bb += (double)G[P + p] * G[P + p];
    }
    double C[4];
    assert_int_equal(relations_cosine(G, 2, P, C), MT_OK);
    NEAR(C[1], ab / sqrt(aa * bb), 1e-10);
    mt_free(G);
}

static void householder(int n, const double *v, double *H)
{
    double vn = 0;
    for (int i = 0; i < n; i++) vn += v[i] * v[i];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) H[i * n + j] = (i == j) - 2 * v[i] * v[j] / vn;
}

static void test_mtl_relations_condition_number(void **state)
{
    (void)state;
    double work[2 * 16 + 4], kappa, M[16];
    /* G = U diag(3, 2, 0.5) W^T: kappa = 6 */
    const double u[3] = {1, 2, -1}, w[5] = {0.5, -1, 2, 1, 0.3}, S[3] = {3, 2, 0.5};
    double U[9], W[25];
    householder(3, u, U);
    householder(5, w, W);
    float G[15];
    for (int i = 0; i < 3; i++)
        for (int p = 0; p < 5; p++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += U[i * 3 + k] * S[k] * W[p * 5 + k];
            G[i * 5 + p] = (float)s;
        }
    assert_int_equal(relations_gram(G, 3, 5, M), MT_OK);
    assert_int_equal(relations_condition(M, 3, work, &kappa), MT_OK);
    NEAR(kappa, 6.0, 1e-5);
    /* orthogonal rows of equal norm: 1 */
    const float E[6] = {0, 2, 0, 0, 0, 2};
    assert_int_equal(relations_gram(E, 2, 3, M), MT_OK);
    assert_int_equal(relations_condition(M, 2, work, &kappa), MT_OK);
    NEAR(kappa, 1.0, 1e-12);
    /* T > P: rank deficient */
    const float D[3] = {1, 2, 3};
    assert_int_equal(relations_gram(D, 3, 1, M), MT_OK);
    assert_int_equal(relations_condition(M, 3, work, &kappa), MT_OK);
    assert_true(isinf(kappa));
    const float Z[4] = {0, 0, 0, 0};
    assert_int_equal(relations_gram(Z, 2, 2, M), MT_OK);
    assert_int_equal(relations_condition(M, 2, work, &kappa), MT_OK);
    assert_true(isnan(kappa));
    M[0] = NAN;
    assert_int_equal(relations_condition(M, 2, work, &kappa), MT_ERR_NUMERIC);
    assert_string_equal(mt_last_error(), "relations_condition: Gram matrix is not finite");
}

static void test_mtl_relations_conflict_tracker(void **state)
{
    (void)state;
    mt_conflict_tracker t;
    assert_int_equal(relations_conflict_init(&t, 3), MT_OK);
    NEAR(relations_conflict_fraction(&t, 0, 1), 0, 0);
    /* pair (0,1) conflicts in 3 of 4 calls, (0,2) in 1, (1,2) never */
    for (int k = 0; k < 4; k++) {
        double C[9] = {1, k < 3 ? -0.5 : 0.5, k == 0 ? -0.1 : 0.0, 0, 1, 0.2, 0, 0.2, 1};
        C[3] = C[1];
        C[6] = C[2];
        assert_int_equal(relations_conflict_add(&t, C), MT_OK);
    }
    NEAR(relations_conflict_fraction(&t, 0, 1), 0.75, 1e-15);
    NEAR(relations_conflict_fraction(&t, 1, 0), 0.75, 1e-15);
    NEAR(relations_conflict_fraction(&t, 2, 0), 0.25, 1e-15);
    NEAR(relations_conflict_fraction(&t, 1, 2), 0.0, 0);
    assert_true(isnan(relations_conflict_fraction(&t, 3, 0)));
    double F[9];
    relations_conflict_matrix(&t, F);
    NEAR(F[0 * 3 + 2], 0.25, 1e-15);
    NEAR(F[0], 0, 0);
    /* the cosines of real gradients feed it */
    double C[16];
    mt_conflict_tracker t4;
    assert_int_equal(relations_conflict_init(&t4, 4), MT_OK);
    assert_int_equal(relations_cosine(G4, 4, 3, C), MT_OK);
    assert_int_equal(relations_conflict_add(&t4, C), MT_OK);
    NEAR(relations_conflict_fraction(&t4, 0, 2), 1.0, 0);
    NEAR(relations_conflict_fraction(&t4, 0, 3), 0.0, 0); /* zero gradient: no conflict */
    relations_conflict_reset(&t);
    NEAR(relations_conflict_fraction(&t, 0, 1), 0, 0);
    relations_conflict_free(&t);
    relations_conflict_free(&t4);
    assert_int_equal(relations_conflict_init(&t, 0), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "relations_conflict_init: task count 0 (must be >= 1)");
}

static void test_mtl_relations_affinity(void **state)
{
    (void)state;
    const double before[2] = {2, 4};
    const double after[4] = {1, 5, 2, 3}; /* step on 0: L = (1,5); step on 1: L = (2,3) */
    double Z[4];
    assert_int_equal(relations_affinity(before, after, 2, Z), MT_OK);
    NEAR(Z[0], 0.5, 1e-15);   /* 0 helped itself */
    NEAR(Z[1], -0.25, 1e-15); /* 0 hurt 1 */
    NEAR(Z[2], 0.0, 1e-15);
    NEAR(Z[3], 0.25, 1e-15);
    const double bad[2] = {2, 0};
    assert_int_equal(relations_affinity(bad, after, 2, Z), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "relations_affinity: before[1] is 0 (loss must be finite and > 0)");
    const double nan_after[4] = {1, NAN, 2, 3};
    assert_int_equal(relations_affinity(before, nan_after, 2, Z), MT_ERR_NUMERIC);
    assert_string_equal(mt_last_error(), "relations_affinity: after[0][1] is nan");
}

static void test_mtl_relations_bad_input(void **state)
{
    (void)state;
    double C[4];
    assert_int_equal(relations_cosine(G4, 2, 0, C), MT_ERR_SHAPE);
    assert_string_equal(mt_last_error(), "relations_cosine: relations_gram: P = 0 parameters out of range 1..2147483647");
    assert_int_equal(relations_cosine(NULL, 2, 3, C), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "relations_cosine: relations_gram: NULL argument");
    assert_int_equal(relations_norms(G4, 0, 3, C), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "relations_norms: task count 0 (must be >= 1)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_relations_cosine_hand),
        cmocka_unit_test(test_mtl_relations_magnitude_and_norms),
        cmocka_unit_test(test_mtl_relations_precision_long_vectors),
        cmocka_unit_test(test_mtl_relations_condition_number),
        cmocka_unit_test(test_mtl_relations_conflict_tracker),
        cmocka_unit_test(test_mtl_relations_affinity),
        cmocka_unit_test(test_mtl_relations_bad_input),
    };
    return cmocka_run_group_tests_name("mtl_relations", tests, NULL, NULL);
}
