/* test_mtl_methods.c - the method registry (mtl/methods.h) and the one
 * parameter schema (mtl/tparam.h) of methods, topologies and regularisers:
 * every method resolvable by name and by kind, no duplicate names, every
 * default inside its range, every parameter stored where the C API reads
 * it, the C API's defaults equal to the registry's, range errors naming the
 * parameter, and the method tables of docs/lua-api.md and the parameter
 * reference of docs/topologies.md equal to the text the registries
 * generate. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"
#include "mtl/combine.h"
#include "mtl/methods.h"
#include "mtl/topology.h"
#include "mtl/weighting.h"
#include "docs_util.h"

/* A parameter list's shape (tparam_lint), failing with its message. */
static void check_defs(const char *owner, const mt_tparam_def *defs)
{
    if (tparam_lint(defs, owner)) fail_msg("%s", mt_last_error());
}

static void test_mtl_methods_every_method_resolvable(void **state)
{
    (void)state;
    int n = method_count();
    assert_true(n >= 21);
    int seen_w[MT_WEIGHT_KIND_COUNT] = {0}, seen_c[MT_COMBINE_KIND_COUNT] = {0};
    for (int i = 0; i < n; i++) {
        const mt_method_info *m = method_at(i);
        assert_ptr_equal(method_find(m->name), m);
        assert_non_null(m->summary);
        assert_true(strlen(m->summary) > 5);
        assert_true(strlen(m->name) < 32); /* mt_method_spec.name (run/experiment.h) */
        for (int j = 0; j < i; j++)
            if (strcmp(method_at(j)->name, m->name) == 0) fail_msg("method %s registered twice", m->name);
        assert_ptr_equal(method_of_kind(m->family, m->kind), m);
        const mt_method_info *found;
        assert_int_equal(method_lookup(m->name, &found), MT_OK);
        assert_ptr_equal(found, m);
        if (m->family == MT_METHOD_WEIGHTING) {
            assert_true(m->kind >= 0 && m->kind < MT_WEIGHT_KIND_COUNT);
            seen_w[m->kind]++;
            assert_string_equal(weighting_kind_name((mt_weighting_kind)m->kind), m->name);
            mt_weighting_kind k;
            assert_int_equal(weighting_kind_parse(m->name, &k), MT_OK);
            assert_int_equal((int)k, m->kind);
        } else {
            assert_int_equal(m->family, MT_METHOD_COMBINER);
            assert_true(m->kind >= 0 && m->kind < MT_COMBINE_KIND_COUNT);
            seen_c[m->kind]++;
            assert_string_equal(combine_kind_name((mt_combine_kind)m->kind), m->name);
            mt_combine_kind k;
            assert_int_equal(combine_kind_parse(m->name, &k), MT_OK);
            assert_int_equal((int)k, m->kind);
            /* a weighting name is not a combiner and the other way round */
            mt_weighting_kind wk;
            assert_int_equal(weighting_kind_parse(m->name, &wk), MT_ERR_ARG);
        }
    }
    /* every kind the C code implements has exactly one entry */
    for (int k = 0; k < MT_WEIGHT_KIND_COUNT; k++) assert_int_equal(seen_w[k], 1);
    for (int k = 0; k < MT_COMBINE_KIND_COUNT; k++) assert_int_equal(seen_c[k], 1);
    assert_null(method_find("nope"));
    const mt_method_info *m;
    assert_int_equal(method_lookup("upgard", &m), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "unknown method \"upgard\" (did you mean upgrad?)");
    assert_int_equal(method_lookup("zzzzzz", &m), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "(available: equal, static, uncertainty,"));
    assert_non_null(strstr(mt_last_error(), "db_mtl, excess_mtl)"));
}

/* Every method's schema, and every one creates with its defaults. */
static void test_mtl_methods_defaults_inside_ranges(void **state)
{
    (void)state;
    for (int i = 0; i < method_count(); i++) {
        const mt_method_info *m = method_at(i);
        check_defs(m->name, m->params);
        for (const mt_tparam_def *d = m->params; d->key; d++) {
            /* a method parameter lives in its family's struct, in a member
             * of the C type its kind needs */
            if (!d->field) fail_msg("%s.%s: no member of the parameter struct", m->name, d->key);
            unsigned tag = d->field & 3u;
            if (d->type == MT_TP_NUMBER) assert_int_equal(tag, MT_TPFIELD_DOUBLE);
            else if (d->type == MT_TP_INT || d->type == MT_TP_BOOL || d->type == MT_TP_CHOICE)
                assert_int_equal(tag, MT_TPFIELD_INT);
            else fail_msg("%s.%s: methods take numbers, integers, booleans and choices", m->name, d->key);
            size_t size = m->family == MT_METHOD_WEIGHTING ? sizeof(mt_weighting_params) : sizeof(mt_combine_params);
            assert_true((d->field >> 2) + (tag == MT_TPFIELD_DOUBLE ? sizeof(double) : sizeof(int)) <= size);
            if (d->type == MT_TP_CHOICE) assert_int_equal((int)d->hi, tparam_choice_count(d) - 1);
        }
        if (m->family == MT_METHOD_WEIGHTING) {
            mt_weighting_params p;
            weighting_params_default(&p);
            method_fill(m, NULL, &p);
            mt_weighting *w = NULL;
            assert_int_equal(weighting_new(&w, (mt_weighting_kind)m->kind, 3, &p), MT_OK);
            weighting_free(w);
        } else {
            mt_combine_params p;
            combine_params_default(&p);
            method_fill(m, NULL, &p);
            mt_combiner *c = NULL;
            assert_int_equal(combine_new(&c, (mt_combine_kind)m->kind, 3, &p), MT_OK);
            combine_free(c);
        }
    }
}

/* The C API's defaults are the registry's (MGDA's max_iter was 250 in
 * combine.c and 1000 in the docs), and a member two methods share has
 * one default, so the family's defaults do not depend on the order. */
static void test_mtl_methods_c_defaults_are_the_registry(void **state)
{
    (void)state;
    mt_weighting_params wp;
    mt_combine_params cp;
    weighting_params_default(&wp);
    combine_params_default(&cp);
    for (int i = 0; i < method_count(); i++) {
        const mt_method_info *m = method_at(i);
        const void *prm = m->family == MT_METHOD_WEIGHTING ? (const void *)&wp : (const void *)&cp;
        for (const mt_tparam_def *d = m->params; d->key; d++)
            if (tparam_field_value(d, prm) != d->dflt)
                fail_msg("%s.%s: the C default %g is not the registry's %g", m->name, d->key,
                         tparam_field_value(d, prm), d->dflt);
    }
    assert_int_equal(cp.mgda_max_iter, 250);
    assert_int_equal(cp.mgda_norm, MT_MGDA_NORM_L2);
    assert_int_equal(wp.opt, MT_WOPT_ADAM);
    assert_true(wp.static_w == NULL && wp.classify == NULL && wp.seed == 0 && cp.seed == 0);
}

/* Given values reach exactly their member: each parameter set to the end
 * of its range that differs from the default. */
static void test_mtl_methods_fill_reaches_every_member(void **state)
{
    (void)state;
    for (int i = 0; i < method_count(); i++) {
        const mt_method_info *m = method_at(i);
        for (const mt_tparam_def *d = m->params; d->key; d++) {
            mt_weighting_params wp;
            mt_combine_params cp;
            weighting_params_default(&wp);
            combine_params_default(&cp);
            void *prm = m->family == MT_METHOD_WEIGHTING ? (void *)&wp : (void *)&cp;
            double v = d->dflt != d->hi ? d->hi : d->lo;
            mt_tparams given;
            memset(&given, 0, sizeof given);
            assert_int_equal(tparam_set_num(&given, d->key, d->type, v), MT_OK);
            method_fill(m, &given, prm);
            assert_true(tparam_field_value(d, prm) == v);
            /* the method's other parameters keep their defaults */
            for (const mt_tparam_def *e = m->params; e->key; e++)
                if (e->field != d->field) assert_true(tparam_field_value(e, prm) == e->dflt);
        }
    }
    /* the same key of two methods sets two members */
    mt_combine_params cp;
    combine_params_default(&cp);
    mt_tparams given;
    memset(&given, 0, sizeof given);
    tparam_set_num(&given, "max_iter", MT_TP_INT, 7);
    method_fill(method_find("nash_mtl"), &given, &cp);
    assert_int_equal(cp.nash_max_iter, 7);
    assert_int_equal(cp.mgda_max_iter, 250);
}

/* Out-of-range members of the C structs are refused with the registry's
 * words, the creating method's own parameter named plainly, another
 * method's with its name. */
static void test_mtl_methods_struct_range_errors(void **state)
{
    (void)state;
    mt_combine_params cp;
    combine_params_default(&cp);
    cp.mgda_max_iter = 0;
    mt_combiner *c = NULL;
    assert_int_equal(combine_new(&c, MT_COMBINE_MGDA, 2, &cp), MT_ERR_ARG);
    assert_null(c);
    assert_string_equal(mt_last_error(), "combine mgda: max_iter: expected an integer in 1..1000000, got 0");
    assert_int_equal(combine_new(&c, MT_COMBINE_PCGRAD, 2, &cp), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "combine pcgrad: mgda.max_iter: expected an integer in 1..1000000, got 0");
    combine_params_default(&cp);
    cp.mgda_norm = 4;
    assert_int_equal(combine_new(&c, MT_COMBINE_MGDA, 2, &cp), MT_ERR_ARG);
    assert_string_equal(mt_last_error(),
                        "combine mgda: norm: expected one of none, l2, loss, loss+ (or an index 0..3), got 4");
    combine_params_default(&cp);
    cp.upgrad_reg = NAN;
    assert_int_equal(combine_new(&c, MT_COMBINE_UPGRAD, 2, &cp), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "combine upgrad: reg: expected a number in [0, 1], got nan");

    mt_weighting_params wp;
    weighting_params_default(&wp);
    wp.dwa_temp = 0;
    mt_weighting *w = NULL;
    assert_int_equal(weighting_new(&w, MT_WEIGHT_DWA, 2, &wp), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "weighting dwa: temp: expected a number in [1e-06, 1e+06], got 0");
    assert_int_equal(weighting_new(&w, MT_WEIGHT_EQUAL, 2, &wp), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "weighting equal: dwa.temp: expected a number in [1e-06, 1e+06], got 0");
    weighting_params_default(&wp);
    wp.opt = 2;
    assert_int_equal(weighting_new(&w, MT_WEIGHT_FAMO, 2, &wp), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "weighting famo: opt: expected one of sgd, adam (or an index 0..1), got 2");
    assert_null(w);
}

/* The topology classes and the regularisers use the same schema: their
 * defaults sit in their ranges, names are unique, the values of a spec
 * are checked the same way. */
static void test_mtl_methods_topologies_and_regs_share_the_schema(void **state)
{
    (void)state;
    for (int i = 0; i < topo_class_count(); i++) {
        const mt_topo_class *c = topo_class_at(i);
        check_defs(c->name, c->params);
        assert_ptr_equal(topo_find(c->name), c);
        for (int j = 0; j < i; j++) assert_string_not_equal(topo_class_at(j)->name, c->name);
        assert_non_null(c->summary);
    }
    for (int i = 0; i < reg_class_count(); i++) {
        const mt_reg_class *c = reg_class_at(i);
        check_defs(c->name, c->params);
        assert_ptr_equal(reg_find(c->name), c);
        for (int j = 0; j < i; j++) assert_string_not_equal(reg_class_at(j)->name, c->name);
    }
    assert_int_equal(topo_class_count(), 19); /* 16 networks, 3 models (model_classes.c) */
    assert_int_equal(reg_class_count(), 4);
    /* a spec's value out of range: the same words as a method's */
    mt_tparams p;
    memset(&p, 0, sizeof p);
    tparam_set_num(&p, "experts", MT_TP_INT, 0);
    assert_int_equal(tparam_validate(&p, topo_find("mmoe")->params, "topology", "mmoe"), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "topology.experts: expected an integer in 1..64, got 0");
    memset(&p, 0, sizeof p);
    tparam_set_num(&p, "expertz", MT_TP_INT, 2);
    assert_int_equal(tparam_validate(&p, topo_find("mmoe")->params, "topology", "mmoe"), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "topology.expertz: mmoe takes no such parameter");
}

/* Text of values and defaults: what `mtlab check`, the docs and
 * config.json show. */
static void test_mtl_methods_value_text(void **state)
{
    (void)state;
    const mt_method_info *m = method_find("mgda");
    char buf[256];
    mt_tparams p;
    memset(&p, 0, sizeof p);
    tparam_format(&p, m->params, buf, sizeof buf);
    assert_string_equal(buf, "rep_grad=false, norm=l2, max_iter=250, tol=1e-10");
    tparam_set_num(&p, "norm", MT_TP_CHOICE, 3);
    tparam_format(&p, m->params, buf, sizeof buf);
    assert_string_equal(buf, "rep_grad=false, norm=loss+, max_iter=250, tol=1e-10");
    const mt_tparam_def *d = tparam_def(m->params, "norm");
    tparam_default_text(d, buf, sizeof buf);
    assert_string_equal(buf, "\"l2\"");
    tparam_range_text(d, buf, sizeof buf);
    assert_string_equal(buf, "none, l2, loss, loss+");
    tparam_range_text(tparam_def(m->params, "max_iter"), buf, sizeof buf);
    assert_string_equal(buf, "1..1000000");
    tparam_range_text(tparam_def(method_find("dwa")->params, "window"), buf, sizeof buf);
    assert_string_equal(buf, ">= 0");
    const mt_tparam_def *after = tparam_def(topo_find("cross_stitch")->params, "after");
    memset(&p, 0, sizeof p);
    tparam_value_text(&p, after, buf, sizeof buf);
    assert_string_equal(buf, "(derived)");
    tparam_default_text(after, buf, sizeof buf);
    assert_string_equal(buf, "-");
    char list[256];
    method_list(MT_METHOD_WEIGHTING, 1, list, sizeof list);
    assert_string_equal(list, "equal, static, uncertainty, gradnorm, dwa, rlw, scale_inv, imtl_l, famo, gls, auto_lambda or stch");
}

/* The method tables of docs/lua-api.md are the registry's text. */
/* LibMTL's names and any case reach the registry's methods and topologies;
 * an alias never shadows a name, and unknown names stay unknown. */
static void test_mtl_methods_aliases(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"EW", "equal"},        {"ew", "equal"},         {"UW", "uncertainty"}, {"GradNorm", "gradnorm"},
        {"DWA", "dwa"},         {"MGDA", "mgda"},        {"PCGrad", "pcgrad"},  {"CAGrad", "cagrad"},
        {"Nash_MTL", "nash_mtl"}, {"Nash-MTL", "nash_mtl"}, {"RLW", "rlw"},    {"GradVac", "gradvac"},
        {"Aligned_MTL", "aligned_mtl"}, {"MGDA_UB", "mgda_ub"}, {"equal", "equal"}, {"DB_MTL", "db_mtl"},
        {"ExcessMTL", "excess_mtl"}, {"FairGrad", "fairgrad"}, {"MoCo", "moco"}, {"STCH", "stch"}, {"GLS", "gls"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        const mt_method_info *m = method_find(pairs[i][0]);
        if (!m) fail_msg("%s: not found", pairs[i][0]);
        assert_string_equal(m->name, pairs[i][1]);
    }
    assert_null(method_find("E W"));
    assert_null(method_find("EWX"));
    assert_null(method_find(""));
    char al[128];
    method_aliases(method_find("equal"), al, sizeof al);
    assert_string_equal(al, "EW");
    method_aliases(method_find("static"), al, sizeof al);
    assert_string_equal(al, "");
    /* every alias names a registered method, and no alias is another's name */
    for (int i = 0; i < method_count(); i++) {
        method_aliases(method_at(i), al, sizeof al);
        for (char *tok = strtok(al, ", "); tok; tok = strtok(NULL, ", ")) {
            assert_ptr_equal(method_find(tok), method_at(i));
            for (int j = 0; j < method_count(); j++)
                if (j != i) assert_false(mt_name_eq(tok, method_at(j)->name));
        }
    }
    static const char *const tpairs[][2] = {{"HPS", "hard"}, {"MMoE", "mmoe"}, {"CGC", "cgc"},
                                            {"PLE", "ple"},  {"Cross_stitch", "cross_stitch"}, {"Hard", "hard"},
                                            {"MTAN", "mtan"}, {"DSelect_k", "dselect_k"}, {"dselect-k", "dselect_k"}};
    for (size_t i = 0; i < sizeof tpairs / sizeof tpairs[0]; i++) {
        const mt_topo_class *c = topo_find(tpairs[i][0]);
        if (!c) fail_msg("%s: not found", tpairs[i][0]);
        assert_string_equal(c->name, tpairs[i][1]);
    }
    assert_null(topo_find("LTB")); /* LibMTL's learning-to-branch is not here */
}

static void test_mtl_methods_docs_match_registry(void **state)
{
    (void)state;
    char *gen = docs_generate(method_markdown);
    assert_non_null(gen);
    assert_true(docs_section_matches(MTLAB_ROOT "/docs/lua-api.md", "methods", gen));
    /* every method and parameter is in it */
    for (int i = 0; i < method_count(); i++) {
        char key[64], al[128], with[256];
        method_aliases(method_at(i), al, sizeof al);
        snprintf(key, sizeof key, "| `%s` |", method_at(i)->name);
        snprintf(with, sizeof with, "| `%s` (%s) |", method_at(i)->name, al); /* LibMTL's names beside it */
        assert_non_null(strstr(gen, al[0] ? with : key));
    }
    assert_non_null(strstr(gen, "| `mgda` | `max_iter` | 250 | 1..1000000 |"));
    /* a short buffer: truncated, terminated, the full length reported */
    char small[16];
    assert_int_equal(method_markdown(small, sizeof small), strlen(gen));
    assert_int_equal(strlen(small), sizeof small - 1);
    free(gen);
}

/* The parameter reference of docs/topologies.md is the registry's text. */
static void test_mtl_methods_topology_docs_match_registry(void **state)
{
    (void)state;
    char *gen = docs_generate(topo_markdown);
    assert_non_null(gen);
    assert_true(docs_section_matches(MTLAB_ROOT "/docs/topologies.md", "topologies", gen));
    for (int i = 0; i < topo_class_count() + reg_class_count(); i++) {
        char row[192], al[96] = "";
        int reg = i >= topo_class_count();
        if (!reg && topo_class_at(i)->model) continue; /* mtl.model.*: docs/lua-api.md's models section */
        const char *name = reg ? reg_class_at(i - topo_class_count())->name : topo_class_at(i)->name;
        if (!reg) topo_aliases(name, al, sizeof al);
        snprintf(row, sizeof row, "| `mtl.%s.%s`%s%s%s |", reg ? "reg" : "share", name, al[0] ? " (" : "", al,
                 al[0] ? ")" : "");
        assert_non_null(strstr(gen, row));
    }
    free(gen);
}

/* The lint finds faults a registry entry could have. */
static void test_mtl_methods_lint_finds_faults(void **state)
{
    (void)state;
    static const mt_tparam_def out_of_range[] = {{"k", MT_TP_NUMBER, 2, 0, 1, NULL, "h"}, {NULL}};
    assert_int_equal(tparam_lint(out_of_range, "x"), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "x.k: the default is outside the range: expected a number in [0, 1], got 2");
    static const mt_tparam_def twice[] = {{"k", MT_TP_INT, 0, 0, 1, NULL, "h"}, {"k", MT_TP_INT, 0, 0, 1, NULL, "h"}, {NULL}};
    assert_int_equal(tparam_lint(twice, "x"), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "x.k: listed twice");
    static const mt_tparam_def one_choice[] = {{"k", MT_TP_CHOICE, 0, 0, 0, "only", "h"}, {NULL}};
    assert_int_equal(tparam_lint(one_choice, "x"), MT_ERR_ARG);
    static const mt_tparam_def same_choice[] = {{"k", MT_TP_CHOICE, 0, 0, 1, "a|a", "h"}, {NULL}};
    assert_int_equal(tparam_lint(same_choice, "x"), MT_ERR_ARG);
    static const mt_tparam_def no_help[] = {{"k", MT_TP_BOOL, 0, 0, 1, NULL, ""}, {NULL}};
    assert_int_equal(tparam_lint(no_help, "x"), MT_ERR_ARG);
    static const mt_tparam_def derived[] = {{"k", MT_TP_INTS, -5, 0, 1, NULL, "h", .flags = MT_TPF_DERIVED}, {NULL}};
    assert_int_equal(tparam_lint(derived, "x"), MT_OK); /* a derived default is not a value */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_methods_every_method_resolvable),
        cmocka_unit_test(test_mtl_methods_defaults_inside_ranges),
        cmocka_unit_test(test_mtl_methods_c_defaults_are_the_registry),
        cmocka_unit_test(test_mtl_methods_fill_reaches_every_member),
        cmocka_unit_test(test_mtl_methods_struct_range_errors),
        cmocka_unit_test(test_mtl_methods_topologies_and_regs_share_the_schema),
        cmocka_unit_test(test_mtl_methods_value_text),
        cmocka_unit_test(test_mtl_methods_aliases),
        cmocka_unit_test(test_mtl_methods_docs_match_registry),
        cmocka_unit_test(test_mtl_methods_lint_finds_faults),
        cmocka_unit_test(test_mtl_methods_topology_docs_match_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
