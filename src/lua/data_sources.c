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

static const char *const fashion_keys[] = {"path", "train", "val", "test", "seed", "standardize", NULL};

mt_status db_build_fashion(mtlua_vctx *c, int tidx, mt_data_ref *r)
{
    db_split_opts o;
    TRY(vcheck_keys(c, tidx, fashion_keys));
    TRY(db_read_split(c, tidx, &o, 10000, 1000, 2000));
    char path[512];
    TRY(vstring(c, tidx, "path", FASHION_DEFAULT_DIR, NULL, path, sizeof path));
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
    snprintf(r->source, sizeof r->source, "fashion_mnist(%s)", path);
    return db_finish(c, r, &o, ntr);
}

/* Reads a list of numbers (up to max) at key; returns its length, 0 if absent. */
static mt_status read_numbers(mtlua_vctx *c, int tidx, const char *key, double *out, int max, int *n)
{
    lua_State *L = c->L;
    char d[96];
    *n = 0;
    lua_getfield(L, tidx, key);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return MT_OK;
    }
    if (!lua_istable(L, -1)) {
        vdescribe(L, -1, d, sizeof d);
        lua_pop(L, 1);
        return vfail(c, key, "expected a list of numbers, got %s", d);
    }
    int len = (int)luaL_len(L, -1);
    if (len > max) {
        lua_pop(L, 1);
        return vfail(c, key, "%d entries, at most %d", len, max);
    }
    for (int i = 0; i < len; i++) {
        lua_geti(L, -1, i + 1);
        if (lua_type(L, -1) != LUA_TNUMBER) {
            vdescribe(L, -1, d, sizeof d);
            lua_pop(L, 2);
            char f[64];
            snprintf(f, sizeof f, "%s[%d]", key, i + 1);
            return vfail(c, f, "expected a number, got %s", d);
        }
        out[i] = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    *n = len;
    return MT_OK;
}

/* The examples a synthetic generator must make: train + val + test. */
static mt_status synth_split(mtlua_vctx *c, int tidx, db_split_opts *o, long dtrain)
{
    TRY(db_read_split(c, tidx, o, dtrain, dtrain / 4, dtrain / 4));
    return MT_OK;
}

static const char *const mmoe_keys[] = {"d", "tasks", "p", "R", "c", "m", "noise", "train", "val", "test", "seed", "standardize", NULL};

mt_status db_build_mmoe(mtlua_vctx *c, int tidx, mt_data_ref *r)
{
    TRY(vcheck_keys(c, tidx, mmoe_keys));
    synth_mmoe_opts o;
    synth_mmoe_defaults(&o);
    db_split_opts so;
    TRY(synth_split(c, tidx, &so, 2000));
    long l;
    double v;
    TRY(vint(c, tidx, "tasks", 2, 1, MT_MAX_TASKS, &l)); o.ntasks = (int)l;
    TRY(vint(c, tidx, "d", o.d, 1, 100000, &l)); o.d = (int)l;
    TRY(vnumber(c, tidx, "p", o.p, -1, 1, &v)); o.p = v;
    TRY(vnumber(c, tidx, "c", o.c, 0, 1e6, &v)); o.c = v;
    TRY(vint(c, tidx, "m", o.m, 0, 1000, &l)); o.m = (int)l;
    TRY(vnumber(c, tidx, "noise", o.noise, 0, 1e6, &v)); o.noise = v;
    TRY(vint(c, tidx, "seed", 1, 0, 0x7fffffffffffffffL, &l)); o.seed = (uint64_t)l;
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
            int n = 0;
            mt_status st = MT_OK;
            if (!lua_istable(L, -1) || (int)luaL_len(L, -1) != T) st = vfail(c, key, "expected a row of %d numbers", T);
            for (int j = 0; !st && j < T; j++) {
                lua_geti(L, -1, j + 1);
                if (lua_type(L, -1) != LUA_TNUMBER) st = vfail(c, key, "entry %d is not a number", j + 1);
                else R[i * T + j] = lua_tonumber(L, -1);
                lua_pop(L, 1);
                n++;
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
    char corr[32];
    if (has_R) snprintf(corr, sizeof corr, "R given");
    else snprintf(corr, sizeof corr, "p=%g", o.p);
    snprintf(r->source, sizeof r->source, "mmoe(tasks=%d, d=%d, %s, m=%d, noise=%g, seed=%llu)", o.ntasks, o.d,
             corr, o.m, o.noise, (unsigned long long)o.seed);
    return db_finish(c, r, &so, -1);
}

static const char *const gradnorm_keys[] = {"d_in", "d_out", "sigmas", "b_var", "eps_var", "train", "val", "test", "seed", "standardize", NULL};

mt_status db_build_gradnorm(mtlua_vctx *c, int tidx, mt_data_ref *r)
{
    TRY(vcheck_keys(c, tidx, gradnorm_keys));
    synth_gradnorm_opts o;
    synth_gradnorm_defaults(&o);
    db_split_opts so;
    TRY(synth_split(c, tidx, &so, 2000));
    long l;
    double v, sig[MT_MAX_TASKS];
    int ns;
    TRY(vint(c, tidx, "d_in", o.d_in, 1, 100000, &l)); o.d_in = (int)l;
    TRY(vint(c, tidx, "d_out", o.d_out, 1, 100000, &l)); o.d_out = (int)l;
    TRY(vnumber(c, tidx, "b_var", o.b_var, 0, 1e6, &v)); o.b_var = v;
    TRY(vnumber(c, tidx, "eps_var", o.eps_var, 0, 1e6, &v)); o.eps_var = v;
    TRY(vint(c, tidx, "seed", 1, 0, 0x7fffffffffffffffL, &l)); o.seed = (uint64_t)l;
    TRY(read_numbers(c, tidx, "sigmas", sig, MT_MAX_TASKS, &ns));
    if (ns) {
        o.ntasks = ns;
        o.sigma = sig;
    }
    o.n = (int)(so.train + so.val + so.test);
    if (synth_gradnorm(&r->ds, &o)) return vfail(c, NULL, "%s", mt_last_error());
    snprintf(r->source, sizeof r->source, "gradnorm(tasks=%d, d_in=%d, d_out=%d, seed=%llu)", o.ntasks, o.d_in,
             o.d_out, (unsigned long long)o.seed);
    return db_finish(c, r, &so, -1);
}

static const char *const kendall_keys[] = {"normal", "train", "val", "test", "seed", "standardize", NULL};

mt_status db_build_kendall(mtlua_vctx *c, int tidx, mt_data_ref *r)
{
    TRY(vcheck_keys(c, tidx, kendall_keys));
    synth_kendall_opts o;
    synth_kendall_defaults(&o);
    db_split_opts so;
    TRY(synth_split(c, tidx, &so, 1000));
    long l;
    int b;
    TRY(vbool(c, tidx, "normal", 0, &b)); o.x_normal = b;
    TRY(vint(c, tidx, "seed", 1, 0, 0x7fffffffffffffffL, &l)); o.seed = (uint64_t)l;
    o.n = (int)(so.train + so.val + so.test);
    if (synth_kendall(&r->ds, &o)) return vfail(c, NULL, "%s", mt_last_error());
    snprintf(r->source, sizeof r->source, "kendall(n=%d, seed=%llu)", o.n, (unsigned long long)o.seed);
    return db_finish(c, r, &so, -1);
}

static const char *const related_keys[] = {"tasks", "clusters", "d", "support", "within", "n_each", "n_per_task",
                                           "noise", "noise_per_task", "shared", "val", "test", "seed", "standardize", NULL};

/* Related-task families. The split is over all examples (each belongs to
 * one task unless shared): val and test are fractions of the total when
 * below 1, counts otherwise. */
mt_status db_build_related(mtlua_vctx *c, int tidx, mt_data_ref *r)
{
    TRY(vcheck_keys(c, tidx, related_keys));
    synth_cluster_opts o;
    synth_cluster_defaults(&o);
    long l;
    double v;
    int b;
    TRY(vint(c, tidx, "tasks", o.ntasks, 1, MT_MAX_TASKS, &l)); o.ntasks = (int)l;
    TRY(vint(c, tidx, "clusters", o.nclusters, 1, MT_MAX_TASKS, &l)); o.nclusters = (int)l;
    TRY(vint(c, tidx, "d", o.d, 1, 100000, &l)); o.d = (int)l;
    TRY(vint(c, tidx, "support", o.support, 1, 100000, &l)); o.support = (int)l;
    TRY(vnumber(c, tidx, "within", o.within, 0, 1e6, &v)); o.within = v;
    TRY(vint(c, tidx, "n_each", o.n_each, 1, 10000000L, &l)); o.n_each = (int)l;
    TRY(vnumber(c, tidx, "noise", o.noise, 0, 1e6, &v)); o.noise = v;
    TRY(vbool(c, tidx, "shared", 0, &b)); o.shared = b;
    TRY(vint(c, tidx, "seed", 1, 0, 0x7fffffffffffffffL, &l)); o.seed = (uint64_t)l;
    double npt[MT_MAX_TASKS], nzt[MT_MAX_TASKS];
    int nn, nz, ipt[MT_MAX_TASKS];
    TRY(read_numbers(c, tidx, "n_per_task", npt, MT_MAX_TASKS, &nn));
    TRY(read_numbers(c, tidx, "noise_per_task", nzt, MT_MAX_TASKS, &nz));
    if (nn) {
        if (nn != o.ntasks) return vfail(c, "n_per_task", "%d entries for %d tasks", nn, o.ntasks);
        for (int i = 0; i < nn; i++) {
            if (npt[i] < 1 || npt[i] != (int)npt[i]) return vfail(c, "n_per_task", "entry %d: expected a positive integer", i + 1);
            ipt[i] = (int)npt[i];
        }
        o.n_per_task = ipt;
    }
    if (nz) {
        if (nz != o.ntasks) return vfail(c, "noise_per_task", "%d entries for %d tasks", nz, o.ntasks);
        o.noise_per_task = nzt;
    }
    synth_cluster_truth truth;
    memset(&truth, 0, sizeof truth);
    if (synth_clustered(&r->ds, &o, &truth)) return vfail(c, NULL, "%s", mt_last_error());
    r->ntruth = o.ntasks;
    for (int t = 0; t < o.ntasks; t++) r->truth_cluster[t] = truth.cluster[t];
    synth_cluster_truth_free(&truth);
    double fv, ft;
    TRY(vnumber(c, tidx, "val", 0.2, 0, 1e9, &fv));
    TRY(vnumber(c, tidx, "test", 0.2, 0, 1e9, &ft));
    db_split_opts so = {0};
    so.val = fv < 1 ? (long)(fv * r->ds.n) : (long)fv;
    so.test = ft < 1 ? (long)(ft * r->ds.n) : (long)ft;
    so.train = r->ds.n - so.val - so.test;
    if (so.train < 1) return vfail(c, "val", "nothing left to train on (%d examples)", r->ds.n);
    TRY(vint(c, tidx, "seed", 1, 0, 0x7fffffffffffffffL, &so.seed));
    TRY(vbool(c, tidx, "standardize", 0, &so.standardize));
    snprintf(r->source, sizeof r->source, "related(tasks=%d, clusters=%d, d=%d, support=%d, seed=%llu)", o.ntasks,
             o.nclusters, o.d, o.support, (unsigned long long)o.seed);
    return db_finish(c, r, &so, -1);
}

static const char *const multi_keys[] = {"path", "train", "val", "test", "size", "shift", "seed", NULL};

mt_status db_build_multi_fashion(mtlua_vctx *c, int tidx, mt_data_ref *r)
{
    TRY(vcheck_keys(c, tidx, multi_keys));
    db_split_opts so;
    TRY(db_read_split(c, tidx, &so, 10000, 1000, 2000));
    char path[512];
    TRY(vstring(c, tidx, "path", FASHION_DEFAULT_DIR, NULL, path, sizeof path));
    long size, shift;
    TRY(vint(c, tidx, "size", 36, 8, 36, &size));
    TRY(vint(c, tidx, "shift", 4, 0, 8, &shift));
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
    snprintf(r->source, sizeof r->source, "multi_fashion(%s, %ldx%ld)", path, size, size);
    return db_finish(c, r, &so, (int)(so.train + so.val));
}

static const char *const csv_keys[] = {"path", "inputs", "targets", "types", "classes", "train", "val", "test", "seed", "standardize", NULL};

/* csv { path, inputs = { "a", "b" }, targets = { "y", "z" }, types = { y = "class" } } */
mt_status db_build_csv(mtlua_vctx *c, int tidx, mt_data_ref *r)
{
    lua_State *L = c->L;
    TRY(vcheck_keys(c, tidx, csv_keys));
    char path[512];
    TRY(vstring(c, tidx, "path", NULL, NULL, path, sizeof path));
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
        mt_target_kind k = MT_TARGET_REGRESS;
        if (kind) TRY(db_parse_kind(c, "types", kind, &k));
        specs[i] = (csv_target){.column = tnames[i], .kind = k, .classes = classes, .name = NULL};
    }
    if (csv_load(&r->ds, full, inputs, ni, specs, nt)) {
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
    db_split_opts so;
    TRY(db_read_split(c, tidx, &so, 1, 0, 0));
    db_inline_split(&so, r->ds.n, db_has_field(L, tidx, "train"), db_has_field(L, tidx, "val"), db_has_field(L, tidx, "test"));
    snprintf(r->source, sizeof r->source, "csv(%s)", full);
    return db_finish(c, r, &so, -1);
}

/* mtl.data.landscape {}: what a landscape topology trains on. The point x
 * is the whole model, so the data is one dummy example: an input feature
 * nobody reads and two zero regression targets "f1" and "f2" (the tasks'
 * "value" losses ignore them), all in the training split. */
mt_status db_build_landscape(mtlua_vctx *c, int tidx, mt_data_ref *r)
{
    lua_State *L = c->L;
    int t = lua_absindex(L, tidx);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING && strncmp(lua_tostring(L, -1), "__", 2) == 0) continue;
        char key[64];
        if (lua_type(L, -1) == LUA_TSTRING) snprintf(key, sizeof key, "%s", lua_tostring(L, -1));
        else snprintf(key, sizeof key, "[%s]", luaL_typename(L, -1));
        lua_pop(L, 1);
        return vfail(c, key, "mtl.data.landscape takes no fields (the landscape is chosen by mtl.share.landscape)");
    }
    if (dataset_alloc(&r->ds, "landscape", 1, 1, 0, 0, 0)) return vfail(c, NULL, "%s", mt_last_error());
    if (!dataset_add_target(&r->ds, "f1", MT_TARGET_REGRESS, 1, 0) ||
        !dataset_add_target(&r->ds, "f2", MT_TARGET_REGRESS, 1, 0))
        return vfail(c, NULL, "%s", mt_last_error());
    snprintf(r->source, sizeof r->source, "landscape(one dummy example; targets f1, f2)");
    db_split_opts o = {.train = 1, .val = 0, .test = 0, .seed = 1, .standardize = 0};
    return db_finish(c, r, &o, -1);
}

static const char *const gpfam_keys[] = {"tasks", "n", "val", "test", "correlation", "groups", "across",
                                         "lengthscale", "noise", "range", "seed", NULL};

/* mtl.data.gp_family { ... }: related 1-D tasks with a known correlation
 * (data/gpfamily.h), for the multi-task GP and kernel ridge. Tasks in the
 * same group (all of them by default) have correlation `correlation`,
 * tasks in different groups `across`. The split is the generator's own:
 * `n` training examples per task (a number, or one per task), then `val`
 * and `test` examples labelled for every task. */
mt_status db_build_gp_family(mtlua_vctx *c, int tidx, mt_data_ref *r)
{
    TRY(vcheck_keys(c, tidx, gpfam_keys));
    gpfam_opts o;
    gpfam_defaults(&o);
    long l;
    double v, nlist[GPFAM_MAX_TASKS], groups[GPFAM_MAX_TASKS], across, R[GPFAM_MAX_TASKS * GPFAM_MAX_TASKS];
    int nn, ng, counts[GPFAM_MAX_TASKS];
    TRY(vint(c, tidx, "tasks", o.ntasks, 1, GPFAM_MAX_TASKS, &l)); o.ntasks = (int)l;
    TRY(vint(c, tidx, "val", o.n_val, 0, 1000000, &l)); o.n_val = (int)l;
    TRY(vint(c, tidx, "test", o.n_test, 0, 1000000, &l)); o.n_test = (int)l;
    TRY(vnumber(c, tidx, "correlation", o.rho, -1, 1, &v)); o.rho = v;
    TRY(vnumber(c, tidx, "across", 0, -1, 1, &across));
    TRY(vnumber(c, tidx, "lengthscale", o.lengthscale, 1e-6, 1e6, &v)); o.lengthscale = v;
    TRY(vnumber(c, tidx, "noise", o.noise, 0, 1e6, &v)); o.noise = v;
    TRY(vnumber(c, tidx, "range", o.range, 1e-6, 1e6, &v)); o.range = v;
    TRY(vint(c, tidx, "seed", 1, 0, 0x7fffffffffffffffL, &l)); o.seed = (uint64_t)l;
    int T = o.ntasks;
    lua_getfield(c->L, tidx, "n");
    int scalar = lua_type(c->L, -1) == LUA_TNUMBER;
    lua_pop(c->L, 1);
    if (scalar) {
        TRY(vint(c, tidx, "n", o.n_each, 0, 1000000, &l));
        o.n_each = (int)l;
    } else {
        TRY(read_numbers(c, tidx, "n", nlist, GPFAM_MAX_TASKS, &nn));
        if (nn && nn != T) return vfail(c, "n", "%d entries for %d tasks", nn, T);
        for (int t = 0; t < nn; t++) {
            if (nlist[t] < 0 || nlist[t] != (int)nlist[t]) return vfail(c, "n", "entry %d: expected an integer >= 0", t + 1);
            counts[t] = (int)nlist[t];
        }
        if (nn) o.n_train = counts;
    }
    TRY(read_numbers(c, tidx, "groups", groups, GPFAM_MAX_TASKS, &ng));
    if (ng && ng != T) return vfail(c, "groups", "%d entries for %d tasks", ng, T);
    for (int s = 0; s < T; s++)
        for (int t = 0; t < T; t++)
            R[s * T + t] = s == t ? 1 : !ng || groups[s] == groups[t] ? o.rho : across;
    o.R = R;
    if (gpfam_make(&r->ds, &r->split, &o)) return vfail(c, NULL, "%s", mt_last_error());
    snprintf(r->source, sizeof r->source, "gp_family(tasks=%d, correlation=%g, across=%g, lengthscale=%g, noise=%g, seed=%llu)",
             T, o.rho, across, o.lengthscale, o.noise, (unsigned long long)o.seed);
    return MT_OK;
}
