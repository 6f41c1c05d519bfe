/* data_sources.c - the data constructors backed by files and generators:
 * Fashion-MNIST, Multi-Fashion, CSV, the synthetic MTL problems and the
 * landscapes (the data built in Lua, table and generate, are in
 * data_build.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "data/csv.h"
#include "data/fashion.h"
#include "data/gpfamily.h"
#include "data/multifashion.h"
#include "data/synth.h"
#include "lua_internal.h"

static const mt_tparam_def fashion_params[] = {
    {"path", MT_TP_STRING, 0, 0, 0, NULL, "directory of the IDX files", FASHION_DEFAULT_DIR},
    DB_SPLIT_PARAMS(10000, 1000, 2000),
    {NULL},
};

static mt_status build_fashion(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r)
{
    (void)tidx;
    db_split_opts o;
    db_split_read(p, fashion_params, &o);
    const char *path = tparam_text(p, fashion_params, "path");
    if (o.train + o.val > 60000)
        return vfail(c, "train", "train + val = %ld, but Fashion-MNIST has 60000 training images", o.train + o.val);
    if (o.test > 10000) return vfail(c, "test", "%ld, but Fashion-MNIST has 10000 test images", o.test);
    fashion_opts fo = {.dir = path, .n_train = (int)(o.train + o.val), .n_test = (int)o.test};
    int ntr = 0;
    if (fashion_load(&r->ds, &fo, &ntr)) {
        char why[1024];
        snprintf(why, sizeof why, "%s", mt_last_error()); /* fashion_available may overwrite it */
        int missing = !fashion_available(path);
        if (missing && strcmp(path, FASHION_DEFAULT_DIR) == 0)
            return vfail(c, "path", "%s (install Debian's dataset-fashion-mnist: sh scripts/setup.sh)", why);
        return vfail(c, missing ? "path" : NULL, "%s", why);
    }
    return db_finish(c, r, &o, ntr);
}

const db_source db_source_fashion = {"fashion_mnist", "Fashion-MNIST images (28x28); targets `label` (10 classes) and `group` (4: tops, bottoms, footwear, bags)",
                                     fashion_params, build_fashion};

#define MMOE(m) MT_FIELD_INT(synth_mmoe_opts, m)
#define MMOED(m) MT_FIELD_DOUBLE(synth_mmoe_opts, m)
static const mt_tparam_def mmoe_params[] = {
    {"tasks", MT_TP_INT, 2, 1, MT_MAX_TASKS, NULL, "number of tasks T", .field = MMOE(ntasks)},
    {"d", MT_TP_INT, 100, 1, 100000, NULL, "input dimension", .field = MMOE(d)},
    {"p", MT_TP_NUMBER, 0.5, -1, 1, NULL, "correlation of the task weights (when R is not given)", .field = MMOED(p)},
    {"R", MT_TP_TABLE, 0, 0, 0, NULL, "T x T correlation matrix of the task weights (a list of rows)"},
    {"c", MT_TP_NUMBER, 1, 0, 1e6, NULL, "norm of the weight vectors", .field = MMOED(c)},
    {"m", MT_TP_INT, 10, 0, 1000, NULL, "sine terms", .field = MMOE(m)},
    {"noise", MT_TP_NUMBER, 0.01, 0, 1e6, NULL, "standard deviation of the label noise", .field = MMOED(noise)},
    DB_SPLIT_PARAMS(2000, 500, 500),
    {NULL},
};

static mt_status build_mmoe(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r)
{
    synth_mmoe_opts o;
    synth_mmoe_defaults(&o);
    tparam_fill(mmoe_params, p, &o);
    db_split_opts so;
    db_split_read(p, mmoe_params, &so);
    o.seed = (uint64_t)so.seed;
    double R[MT_MAX_TASKS * MT_MAX_TASKS];
    lua_State *L = c->L;
    lua_getfield(L, tidx, "R");
    int has_R = !lua_isnil(L, -1);
    if (has_R) {
        int T = o.ntasks;
        if (!lua_istable(L, -1) || (int)luaL_len(L, -1) != T) {
            lua_pop(L, 1);
            return vfail(c, "R", "expected a %d x %d correlation matrix (a list of %d rows)", T, T, T);
        }
        for (int i = 0; i < T; i++) {
            lua_geti(L, -1, i + 1);
            char key[24];
            snprintf(key, sizeof key, "R[%d]", i + 1);
            mt_status st = MT_OK;
            if (!lua_istable(L, -1) || (int)luaL_len(L, -1) != T) st = vfail(c, key, "expected a row of %d numbers", T);
            for (int j = 0; !st && j < T; j++) {
                lua_geti(L, -1, j + 1);
                if (lua_type(L, -1) != LUA_TNUMBER) st = vfail(c, key, "entry %d is not a number", j + 1);
                else R[i * T + j] = lua_tonumber(L, -1);
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
            if (st) {
                lua_pop(L, 1);
                return st;
            }
        }
        o.R = R;
    }
    lua_pop(L, 1);
    o.n = (int)(so.train + so.val + so.test);
    if (synth_mmoe(&r->ds, &o, NULL)) return vfail(c, has_R ? "R" : NULL, "%s", mt_last_error());
    return db_finish(c, r, &so, -1);
}

const db_source db_source_mmoe = {"mmoe", "Ma et al. 2018's regression tasks of controlled correlation (sums of m sines); targets `y1`..`yT`", mmoe_params,
                                  build_mmoe};

#define GN(m) MT_FIELD_INT(synth_gradnorm_opts, m)
#define GND(m) MT_FIELD_DOUBLE(synth_gradnorm_opts, m)
static const mt_tparam_def gradnorm_params[] = {
    {"sigmas", MT_TP_NUMBERS, 1, 0, 1e6, NULL, "scale of each task's targets, one per task (default { 1, 1 }: two tasks)",
     .flags = MT_TPF_DERIVED, .maxlen = MT_MAX_TASKS},
    {"d_in", MT_TP_INT, 250, 1, 100000, NULL, "input dimension", .field = GN(d_in)},
    {"d_out", MT_TP_INT, 100, 1, 100000, NULL, "outputs of each task", .field = GN(d_out)},
    {"b_var", MT_TP_NUMBER, 10, 0, 1e6, NULL, "variance of the shared matrix B's entries", .field = GND(b_var)},
    {"eps_var", MT_TP_NUMBER, 3.5, 0, 1e6, NULL, "variance of each task's own matrix's entries", .field = GND(eps_var)},
    DB_SPLIT_PARAMS(2000, 500, 500),
    {NULL},
};

static mt_status build_gradnorm(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r)
{
    (void)tidx;
    synth_gradnorm_opts o;
    synth_gradnorm_defaults(&o);
    tparam_fill(gradnorm_params, p, &o);
    db_split_opts so;
    db_split_read(p, gradnorm_params, &so);
    o.seed = (uint64_t)so.seed;
    double sig[MT_MAX_TASKS];
    int ns = tparam_list(p, "sigmas", sig, MT_MAX_TASKS);
    if (ns) {
        o.ntasks = ns;
        o.sigma = sig;
    } else { /* the resolved default, for config.json */
        for (int i = 0; i < o.ntasks; i++) sig[i] = 1;
        TRY(tparam_set_list(p, "sigmas", MT_TP_NUMBERS, sig, o.ntasks));
    }
    o.n = (int)(so.train + so.val + so.test);
    if (synth_gradnorm(&r->ds, &o)) return vfail(c, NULL, "%s", mt_last_error());
    return db_finish(c, r, &so, -1);
}

const db_source db_source_gradnorm = {"gradnorm", "Chen et al. 2018's regression tasks of different scales; targets `t1`..`tT` (d_out outputs each)",
                                      gradnorm_params, build_gradnorm};

static const mt_tparam_def kendall_params[] = {
    {"normal", MT_TP_BOOL, 0, 0, 1, NULL, "x ~ N(0, 1) instead of U(-1, 1)", .field = MT_FIELD_INT(synth_kendall_opts, x_normal)},
    DB_SPLIT_PARAMS(1000, 250, 250),
    {NULL},
};

static mt_status build_kendall(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r)
{
    (void)tidx;
    synth_kendall_opts o;
    synth_kendall_defaults(&o);
    tparam_fill(kendall_params, p, &o);
    db_split_opts so;
    db_split_read(p, kendall_params, &so);
    o.seed = (uint64_t)so.seed;
    o.n = (int)(so.train + so.val + so.test);
    if (synth_kendall(&r->ds, &o)) return vfail(c, NULL, "%s", mt_last_error());
    return db_finish(c, r, &so, -1);
}

const db_source db_source_kendall = {"kendall", "Kendall et al. 2018's toy of two noise levels; targets `y1` = 2x + 8 + 10 eps, `y2` = 3x + 3 + eps",
                                     kendall_params, build_kendall};

#define REL(m) MT_FIELD_INT(synth_cluster_opts, m)
#define RELD(m) MT_FIELD_DOUBLE(synth_cluster_opts, m)
static const mt_tparam_def related_params[] = {
    {"tasks", MT_TP_INT, 8, 1, MT_MAX_TASKS, NULL, "number of tasks T", .field = REL(ntasks)},
    {"clusters", MT_TP_INT, 2, 1, MT_MAX_TASKS, NULL, "clusters of tasks (<= tasks)", .field = REL(nclusters)},
    {"d", MT_TP_INT, 50, 1, 100000, NULL, "features", .field = REL(d)},
    {"support", MT_TP_INT, 10, 1, 100000, NULL, "features the tasks use (<= d)", .field = REL(support)},
    {"within", MT_TP_NUMBER, 0.1, 0, 1e6, NULL, "spread of a cluster's tasks around its centre", .field = RELD(within)},
    {"n_each", MT_TP_INT, 200, 1, 1e7, NULL, "examples of each task (of all, when shared)", .field = REL(n_each)},
    {"n_per_task", MT_TP_INTS, 0, 1, 1e7, NULL, "examples of each task, one per task (default: n_each each)",
     .flags = MT_TPF_DERIVED, .maxlen = MT_MAX_TASKS},
    {"noise", MT_TP_NUMBER, 0.1, 0, 1e6, NULL, "standard deviation of the label noise", .field = RELD(noise)},
    {"noise_per_task", MT_TP_NUMBERS, 0, 0, 1e6, NULL, "label noise of each task (default: noise each)",
     .flags = MT_TPF_DERIVED, .maxlen = MT_MAX_TASKS},
    {"shared", MT_TP_BOOL, 0, 0, 1, NULL, "every example labelled for every task", .field = REL(shared)},
    {"val", MT_TP_NUMBER, 0.2, 0, 1e9, NULL, "validation examples: a fraction of all below 1, else a count"},
    {"test", MT_TP_NUMBER, 0.2, 0, 1e9, NULL, "test examples: a fraction of all below 1, else a count"},
    DB_SEED_PARAM,
    DB_STANDARDIZE_PARAM,
    {NULL},
};

/* Related-task families. The split is over all examples (each belongs to
 * one task unless shared): val and test are fractions of the total when
 * below 1, counts otherwise. */
static mt_status build_related(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r)
{
    (void)tidx;
    synth_cluster_opts o;
    synth_cluster_defaults(&o);
    tparam_fill(related_params, p, &o);
    db_split_opts so = {0};
    db_split_read(p, related_params, &so);
    o.seed = (uint64_t)so.seed;
    double npt[MT_MAX_TASKS], nzt[MT_MAX_TASKS];
    int ipt[MT_MAX_TASKS];
    int nn = tparam_list(p, "n_per_task", npt, MT_MAX_TASKS), nz = tparam_list(p, "noise_per_task", nzt, MT_MAX_TASKS);
    if (nn) {
        if (nn != o.ntasks) return vfail(c, "n_per_task", "%d entries for %d tasks", nn, o.ntasks);
        for (int i = 0; i < nn; i++) ipt[i] = (int)npt[i];
        o.n_per_task = ipt;
    }
    if (nz) {
        if (nz != o.ntasks) return vfail(c, "noise_per_task", "%d entries for %d tasks", nz, o.ntasks);
        o.noise_per_task = nzt;
    }
    /* the resolved defaults, for config.json */
    for (int i = 0; i < o.ntasks; i++) {
        if (!nn) npt[i] = o.n_each;
        if (!nz) nzt[i] = o.noise;
    }
    if (!nn && !o.shared) TRY(tparam_set_list(p, "n_per_task", MT_TP_INTS, npt, o.ntasks));
    if (!nz) TRY(tparam_set_list(p, "noise_per_task", MT_TP_NUMBERS, nzt, o.ntasks));
    synth_cluster_truth truth;
    memset(&truth, 0, sizeof truth);
    if (synth_clustered(&r->ds, &o, &truth)) return vfail(c, NULL, "%s", mt_last_error());
    r->ntruth = o.ntasks;
    for (int t = 0; t < o.ntasks; t++) r->truth_cluster[t] = truth.cluster[t];
    if (truth.support_idx && truth.support <= MT_TRUTH_SUPPORT_MAX) {
        r->nsupport = truth.support;
        memcpy(r->truth_support, truth.support_idx, (size_t)truth.support * sizeof *truth.support_idx);
    }
    synth_cluster_truth_free(&truth);
    double fv = tparam_num(p, related_params, "val"), ft = tparam_num(p, related_params, "test");
    so.val = fv < 1 ? (long)(fv * r->ds.n) : (long)fv;
    so.test = ft < 1 ? (long)(ft * r->ds.n) : (long)ft;
    so.train = r->ds.n - so.val - so.test;
    if (so.train < 1) return vfail(c, "val", "nothing left to train on (%d examples)", r->ds.n);
    return db_finish(c, r, &so, -1);
}

const db_source db_source_related = {"related", "clusters of related linear tasks (survey 5.2); targets `task1`..`taskT`, each example labelled for one task unless shared; the true clusters go to config.json",
                                     related_params, build_related};

#define ATT(m) MT_FIELD_INT(synth_attr_opts, m)
#define ATTD(m) MT_FIELD_DOUBLE(synth_attr_opts, m)
static const mt_tparam_def attr_params[] = {
    {"n", MT_TP_INT, 2000, 1, 1e7, NULL, "examples", .field = ATT(n)},
    {"tasks", MT_TP_INT, 40, 1, MT_MAX_TASKS, NULL, "number of attributes T", .field = ATT(ntasks)},
    {"groups", MT_TP_INT, 8, 1, MT_MAX_TASKS, NULL, "hidden groups of related attributes (<= tasks, <= latent)",
     .field = ATT(groups)},
    {"latent", MT_TP_INT, 16, 1, 10000, NULL, "dimension of the latent z", .field = ATT(latent)},
    {"d", MT_TP_INT, 64, 1, 100000, NULL, "input features, tanh(M z) + noise", .field = ATT(d)},
    {"within", MT_TP_NUMBER, 0.5, 0, 1e6, NULL, "spread of a group's attributes around its direction",
     .field = ATTD(within)},
    {"bias", MT_TP_NUMBER, 1, 0, 1e6, NULL, "thresholds drawn from U(-bias, bias): how rare attributes get",
     .field = ATTD(bias)},
    {"noise", MT_TP_NUMBER, 0.3, 0, 1e6, NULL, "standard deviation of the noise on each score", .field = ATTD(noise)},
    {"input_noise", MT_TP_NUMBER, 0.1, 0, 1e6, NULL, "standard deviation of the noise on the inputs",
     .field = ATTD(input_noise)},
    {"val", MT_TP_NUMBER, 0.2, 0, 1e9, NULL, "validation examples: a fraction of all below 1, else a count"},
    {"test", MT_TP_NUMBER, 0.2, 0, 1e9, NULL, "test examples: a fraction of all below 1, else a count"},
    DB_SEED_PARAM,
    DB_STANDARDIZE_PARAM,
    {NULL},
};

/* Many binary attributes of one latent (synth_attributes); the groups are
 * the true task clusters. val and test as for related. */
static mt_status build_attributes(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r)
{
    (void)tidx;
    synth_attr_opts o;
    synth_attr_defaults(&o);
    tparam_fill(attr_params, p, &o);
    db_split_opts so = {0};
    db_split_read(p, attr_params, &so);
    o.seed = (uint64_t)so.seed;
    int group[MT_MAX_TASKS];
    if (synth_attributes(&r->ds, &o, group)) return vfail(c, NULL, "%s", mt_last_error());
    r->ntruth = o.ntasks;
    memcpy(r->truth_cluster, group, (size_t)o.ntasks * sizeof *group);
    double fv = tparam_num(p, attr_params, "val"), ft = tparam_num(p, attr_params, "test");
    so.val = fv < 1 ? (long)(fv * r->ds.n) : (long)fv;
    so.test = ft < 1 ? (long)(ft * r->ds.n) : (long)ft;
    so.train = r->ds.n - so.val - so.test;
    if (so.train < 1) return vfail(c, "val", "nothing left to train on (%d examples)", r->ds.n);
    return db_finish(c, r, &so, -1);
}

const db_source db_source_attributes = {"attributes", "many binary attributes of one latent z in hidden groups (CelebA-like; src/data/synth.h); targets `a1`..`aT`, every example labelled for all; the true groups go to config.json",
                                        attr_params, build_attributes};

static const mt_tparam_def multi_params[] = {
    {"path", MT_TP_STRING, 0, 0, 0, NULL, "directory of the Fashion-MNIST IDX files", FASHION_DEFAULT_DIR},
    DB_SPLIT_PARAMS(10000, 1000, 2000),
    {"size", MT_TP_INT, 36, 8, 36, NULL, "canvas side in pixels (below 36: area-resampled)"},
    {"shift", MT_TP_INT, 4, 0, 8, NULL, "largest shift of each item, in pixels"},
    {NULL},
};

static mt_status build_multi_fashion(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r)
{
    (void)tidx;
    db_split_opts so;
    db_split_read(p, multi_params, &so);
    const char *path = tparam_text(p, multi_params, "path");
    long size = (long)tparam_num(p, multi_params, "size"), shift = (long)tparam_num(p, multi_params, "shift");
    if (so.train + so.val > 60000) return vfail(c, "train", "train + val = %ld canvases, at most 60000", so.train + so.val);
    if (so.test > 10000) return vfail(c, "test", "%ld canvases, at most 10000", so.test);
    /* source items: as many as canvases need (two per canvas, reused cyclically is avoided) */
    int need_tr = (int)((so.train + so.val) * 2 < 60000 ? (so.train + so.val) * 2 : 60000);
    int need_te = (int)(so.test * 2 < 10000 ? so.test * 2 : 10000);
    mt_dataset src;
    dataset_init(&src);
    fashion_opts fo = {.dir = path, .n_train = need_tr, .n_test = need_te};
    int ntr = 0;
    if (fashion_load(&src, &fo, &ntr)) {
        dataset_free(&src);
        return vfail(c, "path", "%s", mt_last_error());
    }
    multifashion_opts mo = {.canvas = 0, .max_shift = (int)shift, .out_size = size == 36 ? 0 : (int)size,
                            .target = "label", .seed = (uint64_t)so.seed};
    mt_status st = multifashion_make_split(&r->ds, &src, ntr, (int)(so.train + so.val), (int)so.test, &mo);
    dataset_free(&src);
    if (st) return vfail(c, NULL, "%s", mt_last_error());
    return db_finish(c, r, &so, (int)(so.train + so.val));
}

const db_source db_source_multi_fashion = {"multi_fashion",
                                           "two Fashion-MNIST items side by side on one canvas; targets `left` and `right` (10 classes each)",
                                           multi_params, build_multi_fashion};

static const mt_tparam_def csv_params[] = {
    {"path", MT_TP_STRING, 0, 0, 0, NULL, "the CSV file, relative to the script", .flags = MT_TPF_REQUIRED},
    {"inputs", MT_TP_TABLE, 0, 0, 0, NULL, "the input columns, a list of names", .flags = MT_TPF_REQUIRED},
    {"targets", MT_TP_TABLE, 0, 0, 0, NULL, "the target columns, a list of names", .flags = MT_TPF_REQUIRED},
    {"sep", MT_TP_STRING, 0, 0, 0, NULL, "the separator: \"auto\" (detected among comma, semicolon, tab and runs of spaces), \",\", \";\", \"\\t\" (or \"tab\"), or \" \" (or \"space\": runs of spaces and tabs)", .text = "auto"},
    {"skip", MT_TP_INT, 0, 0, 1e6, NULL, "lines skipped at the start, before the header"},
    {"header", MT_TP_BOOL, 1, 0, 1, NULL, "the first line names the columns; false: every line is a record"},
    {"columns", MT_TP_TABLE, 0, 0, 0, NULL, "with header = false, the columns' names in order (default: \"1\", \"2\", ...)"},
    {"standardize_targets", MT_TP_BOOL, 0, 0, 1, NULL, "standardise each regression target with the training split's mean and sd; mse and mae are reported in the original units"},
    DB_TARGET_KIND_PARAMS,
    DB_INLINE_SPLIT_PARAMS,
    {NULL},
};

/* csv { path, inputs = { "a", "b" }, targets = { "y", "z" }, types = { y = "class" } } */
static mt_status build_csv(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r)
{
    lua_State *L = c->L;
    const char *path = tparam_text(p, csv_params, "path");
    /* a relative path is relative to the script */
    char full[1200];
    if (path[0] != '/' && c->script) {
        const char *slash = strrchr(c->script, '/');
        if (slash) snprintf(full, sizeof full, "%.*s/%s", (int)(slash - c->script), c->script, path);
        else snprintf(full, sizeof full, "%s", path);
    } else {
        snprintf(full, sizeof full, "%s", path);
    }
    const char *inputs[1024], *tnames[MT_MAX_TASKS];
    int ni = 0, nt = 0;
    const char *keys[2] = {"inputs", "targets"};
    for (int which = 0; which < 2; which++) {
        lua_getfield(L, tidx, keys[which]);
        if (!lua_istable(L, -1)) {
            lua_pop(L, 1);
            return vfail(c, keys[which], "expected a list of column names");
        }
        int n = (int)luaL_len(L, -1);
        if (n < 1 || n > (which ? MT_MAX_TASKS : 1024)) {
            lua_pop(L, 1);
            return vfail(c, keys[which], "expected 1..%d column names, got %d", which ? MT_MAX_TASKS : 1024, n);
        }
        for (int i = 0; i < n; i++) {
            lua_geti(L, -1, i + 1);
            if (lua_type(L, -1) != LUA_TSTRING) {
                lua_pop(L, 2);
                char f[48];
                snprintf(f, sizeof f, "%s[%d]", keys[which], i + 1);
                return vfail(c, f, "expected a column name");
            }
            /* the strings stay alive: they are referenced from the script's table */
            if (which) tnames[nt++] = lua_tostring(L, -1);
            else inputs[ni++] = lua_tostring(L, -1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    csv_target specs[MT_MAX_TASKS];
    for (int i = 0; i < nt; i++) {
        const char *kind;
        int classes;
        db_target_type(L, tidx, tnames[i], &kind, &classes);
        mt_target_kind k = classes > 0 ? MT_TARGET_CLASS : MT_TARGET_REGRESS;
        if (kind) TRY(db_parse_kind(c, "types", kind, &k));
        /* no kind given: numbers are a regression target, text a class target */
        specs[i] = (csv_target){.column = tnames[i], .kind = k, .classes = classes, .name = NULL,
                                .guess = !kind && classes <= 0};
    }
    csv_format fmt = {0};
    const char *sep = tparam_text(p, csv_params, "sep");
    if (strcmp(sep, "auto") == 0) fmt.sep = 0;
    else if (strcmp(sep, ",") == 0 || strcmp(sep, "comma") == 0) fmt.sep = ',';
    else if (strcmp(sep, ";") == 0 || strcmp(sep, "semicolon") == 0) fmt.sep = ';';
    else if (strcmp(sep, "\t") == 0 || strcmp(sep, "tab") == 0) fmt.sep = '\t';
    else if (strcmp(sep, " ") == 0 || strcmp(sep, "space") == 0 || strcmp(sep, "spaces") == 0) fmt.sep = ' ';
    else return vfail(c, "sep", "\"%s\": expected \"auto\", \",\", \";\", \"\\t\" (tab) or \" \" (runs of spaces)", sep);
    fmt.skip = (int)tparam_num(p, csv_params, "skip");
    fmt.no_header = tparam_num(p, csv_params, "header") == 0;
    const char *colnames[1024];
    lua_getfield(L, tidx, "columns");
    if (!lua_isnil(L, -1)) {
        if (!fmt.no_header) {
            lua_pop(L, 1);
            return vfail(c, "columns", "names the columns of a file without a header: give header = false too");
        }
        int n = lua_istable(L, -1) ? (int)luaL_len(L, -1) : -1;
        if (n < 1 || n > 1024) {
            lua_pop(L, 1);
            return vfail(c, "columns", "expected a list of 1..1024 column names");
        }
        for (int i = 0; i < n; i++) {
            lua_geti(L, -1, i + 1);
            if (lua_type(L, -1) != LUA_TSTRING) {
                lua_pop(L, 2);
                char f[48];
                snprintf(f, sizeof f, "columns[%d]", i + 1);
                return vfail(c, f, "expected a column name");
            }
            colnames[i] = lua_tostring(L, -1); /* alive: referenced from the script's table */
            lua_pop(L, 1);
        }
        fmt.columns = colnames;
        fmt.ncolumns = n;
    }
    lua_pop(L, 1);
    if (csv_load_fmt(&r->ds, full, &fmt, inputs, ni, specs, nt)) {
        /* a missing column is a mistake in the lists, not in the path */
        char why[1024];
        snprintf(why, sizeof why, "%s", mt_last_error());
        const char *field = "path";
        const char *q = strstr(why, "no column named '");
        if (q) {
            q += strlen("no column named '");
            size_t len = strcspn(q, "'");
            for (int i = 0; i < nt; i++)
                if (strlen(tnames[i]) == len && strncmp(tnames[i], q, len) == 0) field = "targets";
            for (int i = 0; i < ni; i++)
                if (strlen(inputs[i]) == len && strncmp(inputs[i], q, len) == 0) field = "inputs";
        }
        return vfail(c, field, "%s", why);
    }
    /* the separator read with, for config.json */
    char used[2] = {fmt.sep_used, '\0'};
    TRY(tparam_set_str(p, "sep", used));
    db_split_opts so;
    TRY(db_inline_split(p, csv_params, r->ds.n, &so));
    TRY(db_finish(c, r, &so, -1));
    if (tparam_num(p, csv_params, "standardize_targets") != 0 && dataset_standardize_targets(&r->ds, &r->split.train))
        return vfail(c, "standardize_targets", "%s", mt_last_error());
    return MT_OK;
}

const db_source db_source_csv = {"csv", "a delimited text file (CSV, TSV, ';', runs of spaces); one target per target column, an empty cell or NA is a missing label, text labels are classes",
                                 csv_params, build_csv};

/* mtl.data.landscape {}: what a landscape topology trains on. The point x
 * is the whole model, so the data is one dummy example: an input feature
 * nobody reads and two zero regression targets "f1" and "f2" (the tasks'
 * "value" losses ignore them), all in the training split. */
static const mt_tparam_def landscape_params[] = {{NULL}};

static mt_status build_landscape(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r)
{
    (void)tidx;
    (void)p;
    if (dataset_alloc(&r->ds, "landscape", 1, 1, 0, 0, 0)) return vfail(c, NULL, "%s", mt_last_error());
    if (!dataset_add_target(&r->ds, "f1", MT_TARGET_REGRESS, 1, 0) ||
        !dataset_add_target(&r->ds, "f2", MT_TARGET_REGRESS, 1, 0))
        return vfail(c, NULL, "%s", mt_last_error());
    db_split_opts o = {.train = 1, .val = 0, .test = 0, .seed = 1, .standardize = 0};
    return db_finish(c, r, &o, -1);
}

const db_source db_source_landscape = {"landscape",
                                       "one dummy example, targets `f1` and `f2`: the data of mtl.share.landscape",
                                       landscape_params, build_landscape};

#define GPF(m) MT_FIELD_INT(gpfam_opts, m)
#define GPFD(m) MT_FIELD_DOUBLE(gpfam_opts, m)
static const mt_tparam_def gpfam_params[] = {
    {"tasks", MT_TP_INT, 2, 1, GPFAM_MAX_TASKS, NULL, "number of tasks T", .field = GPF(ntasks)},
    {"n", MT_TP_INTS, 20, 0, 1e6, NULL, "training examples of each task: one number, or one per task", .maxlen = GPFAM_MAX_TASKS},
    {"val", MT_TP_INT, 50, 0, 1e6, NULL, "validation examples, labelled for every task", .field = GPF(n_val)},
    {"test", MT_TP_INT, 200, 0, 1e6, NULL, "test examples, labelled for every task", .field = GPF(n_test)},
    {"correlation", MT_TP_NUMBER, 0.8, -1, 1, NULL, "correlation of the tasks' functions (within a group)", .field = GPFD(rho)},
    {"groups", MT_TP_INTS, 1, 0, 1e6, NULL, "a group label per task (default: one group)", .maxlen = GPFAM_MAX_TASKS},
    {"across", MT_TP_NUMBER, 0, -1, 1, NULL, "correlation between tasks of different groups"},
    {"lengthscale", MT_TP_NUMBER, 1, 1e-6, 1e6, NULL, "length-scale of the functions (RBF)", .field = GPFD(lengthscale)},
    {"noise", MT_TP_NUMBER, 0.1, 0, 1e6, NULL, "standard deviation of the label noise", .field = GPFD(noise)},
    {"range", MT_TP_NUMBER, 5, 1e-6, 1e6, NULL, "inputs uniform in [-range, range]", .field = GPFD(range)},
    DB_SEED_PARAM,
    {NULL},
};

/* Related 1-D tasks with a known correlation (data/gpfamily.h), for the
 * multi-task GP and kernel ridge: tasks in the same group have correlation
 * `correlation`, in different groups `across`. The split is the
 * generator's own: `n` training examples per task, then `val` and `test`
 * examples labelled for every task. */
static mt_status build_gp_family(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r)
{
    (void)tidx;
    gpfam_opts o;
    gpfam_defaults(&o);
    tparam_fill(gpfam_params, p, &o);
    o.seed = (uint64_t)tparam_num(p, gpfam_params, "seed");
    int T = o.ntasks, counts[GPFAM_MAX_TASKS];
    double nl[GPFAM_MAX_TASKS], groups[GPFAM_MAX_TASKS], R[GPFAM_MAX_TASKS * GPFAM_MAX_TASKS];
    double across = tparam_num(p, gpfam_params, "across");
    int nn = tparam_list(p, "n", nl, GPFAM_MAX_TASKS), ng = tparam_list(p, "groups", groups, GPFAM_MAX_TASKS);
    if (nn > 1 && nn != T) return vfail(c, "n", "%d entries for %d tasks (give one number, or one per task)", nn, T);
    if (ng && ng != T) return vfail(c, "groups", "%d entries for %d tasks", ng, T);
    for (int t = 0; t < T; t++) counts[t] = nn ? (int)nl[nn > 1 ? t : 0] : o.n_each;
    o.n_train = counts;
    for (int s = 0; s < T; s++)
        for (int t = 0; t < T; t++) R[s * T + t] = s == t ? 1 : !ng || groups[s] == groups[t] ? o.rho : across;
    o.R = R;
    if (gpfam_make(&r->ds, &r->split, &o)) return vfail(c, NULL, "%s", mt_last_error());
    return MT_OK;
}

const db_source db_source_gp_family = {"gp_family",
                                       "related 1-D regression tasks with exactly the given correlation (survey 5, the multi-task GP); "
                                       "targets `t1`..`tT`; `n` training examples per task, `val` and `test` labelled for every task",
                                       gpfam_params, build_gp_family};
