/* spec.c - an experiment table into a validated mt_experiment. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lua_internal.h"
#include "mtl/methods.h"

static const char *const experiment_keys[] = {
    "name", "description", "data", "tasks", "topology", "regularizers", "weighting", "optim", "train",
    "on_step", "on_eval", "on_epoch", "claim", NULL};
static const char *const task_keys[] = {
    "name", "type", "target", "classes", "loss", "metric", "weight", "aux", "score", "attach",
    "head", "from", "huber_delta", "reverse", "detach", NULL};
static const char *const hard_keys[] = {"type", "trunk", "head", "conv", "act", "norm", "dropout",
                                        NULL};
static const char *const optim_keys[] = {
    "name", "lr", "momentum", "nesterov", "beta1", "beta2", "eps", "weight_decay", "clip",
    "schedule", "warmup", "step_size", "gamma", "min_lr", "alpha", "lr_decay", "patience", "threshold", NULL};
static const char *const train_keys[] = {
    "batch", "epochs", "steps", "eval_every", "seed", "relations_every", "affinity_every",
    "baselines", "callback_every", "keep_best", "pace", NULL};

#define TRY(x)                      \
    do {                            \
        mt_status st_ = (x);        \
        if (st_ != MT_OK) return st_; \
    } while (0)

/* The model classes' names, comma-separated, into buf. */
static const char *model_names(char *buf, size_t n)
{
    size_t w = 0;
    buf[0] = '\0';
    for (int i = 0; i < topo_class_count(); i++) {
        const mt_topo_class *k = topo_class_at(i);
        if (k->model) w = topo_appendf(buf, n, w, "%s%s", w ? ", " : "", k->name);
    }
    return buf;
}

static mt_status parse_topology(mtlua_vctx *c, int tidx, mt_experiment *e)
{
    lua_State *L = c->L;
    char d[96];
    if (lua_type(L, tidx) != LUA_TTABLE)
        return vfail(c, NULL, "expected mtl.share.hard { ... }, got %s", vdescribe(L, tidx, d, sizeof d));
    mt_topo_spec *s = &e->topo;
    TRY(vstring(c, tidx, "type", "hard", NULL, s->type, sizeof s->type));
    const mt_topo_class *cls = topo_find(s->type);
    /* mtl.model.<name> or mtl.share.<name> must name a model or a network;
     * a plain table ({ type = "gp", ... }, from --set) is what its type is */
    lua_getfield(L, tidx, "__kind");
    const char *kind = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    int as_model = strcmp(kind, "model") == 0, as_share = strcmp(kind, "share") == 0;
    lua_pop(L, 1);
    if (as_model && (!cls || !cls->model))
        return vfail(c, "type", "%s \"%s\" is not a model (models: %s)", cls ? "the sharing topology" : "unknown:",
                     s->type, model_names(d, sizeof d));
    if (!cls) return vfail(c, "type", "unknown sharing \"%s\" (available: %s)", s->type, topo_names());
    snprintf(s->type, sizeof s->type, "%s", cls->name); /* "HPS", "MMoE": the registry's name from here on */
    if (as_share && cls->model) return vfail(c, "type", "%s is a model, not a network: write mtl.model.%s { ... }", s->type, s->type);
    if (cls->model) { /* no layers: only its own parameters */
        static const char *const model_keys[] = {"type", NULL};
        TRY(vtparams(c, tidx, model_keys, cls->params, &s->params, cls->name));
        s->cls = cls;
        s->ntrunk = 0;
        return MT_OK;
    }
    TRY(vtparams(c, tidx, hard_keys, cls->params, &s->params, cls->name));
    s->cls = cls;
    TRY(vintlist(c, tidx, "trunk", s->trunk, &s->ntrunk, MT_TOPO_MAXLAYERS, 1));
    TRY(vintlist(c, tidx, "head", s->head, &s->nhead, MT_TOPO_MAXLAYERS, 1));
    TRY(vintlist(c, tidx, "conv", s->conv, &s->nconv, MT_TOPO_MAXLAYERS, 1));
    /* an explicit empty trunk means no shared layer */
    lua_getfield(L, tidx, "trunk");
    if (lua_istable(L, -1) && luaL_len(L, -1) == 0) s->ntrunk = 0;
    lua_pop(L, 1);
    char act[16], norm[16];
    static const char *const acts[] = {"relu", "tanh", "gelu", "leaky_relu", "sigmoid", NULL};
    static const char *const norms[] = {"none", "batch", "layer", NULL};
    TRY(vstring(c, tidx, "act", "relu", acts, act, sizeof act));
    topo_act_parse(act, &s->act);
    TRY(vstring(c, tidx, "norm", "none", norms, norm, sizeof norm));
    s->norm = strcmp(norm, "batch") == 0 ? MT_NORM_BATCH : strcmp(norm, "layer") == 0 ? MT_NORM_LAYER : MT_NORM_NONE;
    double dr;
    TRY(vnumber(c, tidx, "dropout", 0, 0, 0.95, &dr));
    s->dropout = (float)dr;
    return MT_OK;
}

/* weighting = "uncertainty" or mtl.weight.uncertainty { ... }: the name
 * and the parameters, checked against the registry (mtl/methods.h). */
mt_status mtlua_parse_method(mtlua_vctx *c, int tidx, mt_method_spec *m)
{
    lua_State *L = c->L;
    char d[96];
    memset(m, 0, sizeof *m);
    if (lua_type(L, tidx) == LUA_TSTRING) {
        if (lua_rawlen(L, tidx) >= sizeof m->name) return vfail(c, "method", "longer than %zu characters", sizeof m->name - 1);
        snprintf(m->name, sizeof m->name, "%s", lua_tostring(L, tidx));
    } else if (lua_type(L, tidx) == LUA_TTABLE) {
        TRY(vstring(c, tidx, "method", NULL, NULL, m->name, sizeof m->name));
    } else {
        return vfail(c, NULL, "expected a method name or mtl.weight.<method> { ... }, got %s",
                     vdescribe(L, tidx, d, sizeof d));
    }
    const mt_method_info *info;
    if (method_lookup(m->name, &info)) return vfail(c, "method", "%s", mt_last_error());
    snprintf(m->name, sizeof m->name, "%s", info->name); /* "PCGrad", "EW": the registry's name from here on */
    static const char *const method_keys[] = {"method", NULL};
    if (lua_type(L, tidx) == LUA_TTABLE) TRY(vtparams(c, tidx, method_keys, info->params, &m->params, info->name));
    return MT_OK;
}

static mt_status parse_optim(mtlua_vctx *c, int tidx, mt_optim_spec *o)
{
    lua_State *L = c->L;
    char d[96];
    static const char *const names[] = {"sgd", "adam", "adamw", "rmsprop", "adagrad", NULL};
    static const char *const scheds[] = {"constant", "step", "cosine", "plateau", NULL};
    if (lua_type(L, tidx) == LUA_TSTRING) {
        lua_newtable(L);
        lua_pushvalue(L, tidx);
        lua_setfield(L, -2, "name");
        lua_replace(L, tidx);
    }
    if (lua_type(L, tidx) != LUA_TTABLE)
        return vfail(c, NULL, "expected mtl.optim.adam { ... } or a name, got %s", vdescribe(L, tidx, d, sizeof d));
    TRY(vcheck_keys(c, tidx, optim_keys));
    TRY(vstring(c, tidx, "name", "adam", names, o->name, sizeof o->name));
    double v;
    int b;
    long l;
    int sgd = strcmp(o->name, "sgd") == 0, rms = strcmp(o->name, "rmsprop") == 0, ada = strcmp(o->name, "adagrad") == 0;
    TRY(vnumber(c, tidx, "lr", sgd || rms || ada ? 0.01 : 1e-3, 1e-12, 1e6, &v)); o->lr = (float)v;
    TRY(vnumber(c, tidx, "momentum", sgd || rms ? 0.0 : 0.9, 0, 0.9999, &v)); o->momentum = (float)v;
    TRY(vbool(c, tidx, "nesterov", 0, &b)); o->nesterov = b;
    if (b && sgd && o->momentum <= 0) return vfail(c, "nesterov", "needs momentum > 0");
    TRY(vnumber(c, tidx, "beta1", 0.9, 0, 0.999999, &v)); o->beta1 = (float)v;
    TRY(vnumber(c, tidx, "beta2", 0.999, 0, 0.999999, &v)); o->beta2 = (float)v;
    TRY(vnumber(c, tidx, "eps", ada ? 1e-10 : 1e-8, 1e-30, 1, &v)); o->eps = (float)v;
    TRY(vnumber(c, tidx, "alpha", 0.99, 0, 0.999999, &v)); o->alpha = (float)v;
    TRY(vnumber(c, tidx, "lr_decay", 0, 0, 1e6, &v)); o->lr_decay = (float)v;
    TRY(vnumber(c, tidx, "weight_decay", strcmp(o->name, "adamw") == 0 ? 0.01 : 0, 0, 1e3, &v)); o->weight_decay = (float)v;
    TRY(vnumber(c, tidx, "clip", 0, 0, INFINITY, &v)); o->clip = (float)v;
    TRY(vstring(c, tidx, "schedule", "constant", scheds, o->schedule, sizeof o->schedule));
    TRY(vint(c, tidx, "warmup", 0, 0, 100000000, &l)); o->warmup = (int)l;
    TRY(vint(c, tidx, "step_size", 1000, 1, 100000000, &l)); o->step_size = (int)l;
    TRY(vnumber(c, tidx, "gamma", 0.1, 1e-9, 1e3, &v)); o->gamma = (float)v;
    TRY(vnumber(c, tidx, "min_lr", 0, 0, 1e6, &v)); o->min_lr = (float)v;
    TRY(vint(c, tidx, "patience", 10, 0, 100000000, &l)); o->patience = (int)l;
    TRY(vnumber(c, tidx, "threshold", 1e-4, 0, 0.999999, &v)); o->threshold = (float)v;
    if (strcmp(o->schedule, "plateau") == 0 && !(o->gamma < 1))
        return vfail(c, "gamma", "the plateau schedule multiplies the rate by gamma: it must be below 1, got %g",
                     (double)o->gamma);
    if (o->min_lr > o->lr) return vfail(c, "min_lr", "larger than lr (%g > %g)", (double)o->min_lr, (double)o->lr);
    return MT_OK;
}

static mt_status parse_train(mtlua_vctx *c, int tidx, mt_train_spec *t)
{
    lua_State *L = c->L;
    char d[96];
    if (lua_type(L, tidx) != LUA_TTABLE)
        return vfail(c, NULL, "expected a table like { batch = 64, epochs = 5 }, got %s", vdescribe(L, tidx, d, sizeof d));
    TRY(vcheck_keys(c, tidx, train_keys));
    long l;
    int b;
    TRY(vint(c, tidx, "batch", 64, 1, 65536, &l)); t->batch = (int)l;
    TRY(vint(c, tidx, "epochs", 1, 1, 1000000, &l)); t->epochs = (int)l;
    TRY(vint(c, tidx, "steps", 0, 0, 1000000000L, &l)); t->steps = l;
    TRY(vint(c, tidx, "eval_every", 0, 0, 1000000000L, &l)); t->eval_every = (int)l;
    TRY(vint(c, tidx, "seed", 1, 0, 0x7fffffffffffffffL, &l)); t->seed = (uint64_t)l;
    TRY(vint(c, tidx, "relations_every", 0, 0, 1000000000L, &l)); t->relations_every = (int)l;
    TRY(vint(c, tidx, "affinity_every", 0, 0, 1000000000L, &l)); t->affinity_every = (int)l;
    TRY(vbool(c, tidx, "baselines", 0, &b)); t->baselines = b;
    TRY(vint(c, tidx, "callback_every", 0, 0, 1000000000L, &l)); t->callback_every = (int)l;
    TRY(vstring(c, tidx, "keep_best", "", NULL, t->keep_best, sizeof t->keep_best));
    /* pace = { speed = 250, until_step = 3000 }: the workbench's pace while
     * the interesting part runs */
    lua_getfield(L, tidx, "pace");
    int pidx = lua_gettop(L);
    mt_status st = MT_OK;
    if (!lua_isnil(L, pidx)) {
        static const char *const pace_keys[] = {"speed", "until_step", NULL};
        double v;
        if (lua_type(L, pidx) != LUA_TTABLE) {
            st = vfail(c, "pace", "expected a table like { speed = 250, until_step = 3000 }, got %s",
                       vdescribe(L, pidx, d, sizeof d));
        } else {
            char sp[sizeof c->path], sw[sizeof c->where];
            vpush(c, pidx, "pace", sp, sw);
            if (!(st = vcheck_keys(c, pidx, pace_keys)) && !(st = vnumber(c, pidx, "speed", 0, 1, 1e9, &v)) &&
                !(st = vint(c, pidx, "until_step", 0, 1, 1000000000L, &l))) {
                t->pace_speed = v;
                t->pace_until = l;
                if (!t->pace_speed || !t->pace_until)
                    st = vfail(c, NULL, "give both speed (steps per second) and until_step");
            }
            vpop(c, sp, sw);
        }
    }
    lua_pop(L, 1);
    return st;
}

/* One task table; the target is resolved later against the data. */
static mt_status parse_task(mtlua_vctx *c, int tidx, int k, mt_experiment *e)
{
    lua_State *L = c->L;
    mt_task_spec *t = &e->task[k];
    mt_topo_task *tt = &e->topo.task[k];
    char type[16];
    static const char *const types[] = {"class", "regress", "binary", NULL};
    TRY(vcheck_keys(c, tidx, task_keys));
    TRY(vstring(c, tidx, "name", NULL, NULL, t->name, sizeof t->name));
    if (!t->name[0] || strspn(t->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(t->name))
        return vfail(c, "name", "expected letters, digits, '_' or '-', got \"%s\"", t->name);
    TRY(vstring(c, tidx, "type", "class", types, type, sizeof type));
    t->kind = strcmp(type, "class") == 0 ? MT_TARGET_CLASS : strcmp(type, "regress") == 0 ? MT_TARGET_REGRESS : MT_TARGET_BINARY;
    static const char *const losses[] = {"cross_entropy", "mse", "l1", "huber", "bce", "value", NULL};
    static const char *const metrics[] = {"accuracy", "mse", "mae", "loss", NULL};
    char loss[16], metric[16];
    const char *dl = t->kind == MT_TARGET_CLASS ? "cross_entropy" : t->kind == MT_TARGET_REGRESS ? "mse" : "bce";
    const char *dm = t->kind == MT_TARGET_REGRESS ? "mse" : "accuracy";
    TRY(vstring(c, tidx, "loss", dl, losses, loss, sizeof loss));
    TRY(vstring(c, tidx, "metric", dm, metrics, metric, sizeof metric));
    t->loss = strcmp(loss, "cross_entropy") == 0 ? MT_LOSS_CE : strcmp(loss, "mse") == 0 ? MT_LOSS_MSE
            : strcmp(loss, "l1") == 0 ? MT_LOSS_L1 : strcmp(loss, "huber") == 0 ? MT_LOSS_HUBER
            : strcmp(loss, "value") == 0 ? MT_LOSS_VALUE : MT_LOSS_BCE;
    t->metric = strcmp(metric, "accuracy") == 0 ? MT_METRIC_ACCURACY : strcmp(metric, "mse") == 0 ? MT_METRIC_MSE
              : strcmp(metric, "mae") == 0 ? MT_METRIC_MAE : MT_METRIC_LOSS;
    if (t->kind == MT_TARGET_CLASS && t->loss != MT_LOSS_CE)
        return vfail(c, "loss", "a classification task uses cross_entropy, got \"%s\"", loss);
    if (t->kind != MT_TARGET_CLASS && t->loss == MT_LOSS_CE)
        return vfail(c, "loss", "cross_entropy needs a classification task (mtl.task.classify)");
    if (t->kind == MT_TARGET_BINARY && t->loss != MT_LOSS_BCE)
        return vfail(c, "loss", "a binary task uses bce, got \"%s\"", loss);
    if (t->kind != MT_TARGET_REGRESS && t->loss == MT_LOSS_VALUE)
        return vfail(c, "loss", "value (the output is the loss) needs mtl.task.regress");
    if (t->kind == MT_TARGET_REGRESS && t->loss == MT_LOSS_BCE)
        return vfail(c, "loss", "bce needs a binary task (mtl.task.binary)");
    if (t->kind == MT_TARGET_REGRESS && t->metric == MT_METRIC_ACCURACY)
        return vfail(c, "metric", "accuracy needs a classification or binary task");
    double v;
    TRY(vnumber(c, tidx, "weight", 1.0, 0, 1e6, &v)); t->weight = (float)v;
    TRY(vnumber(c, tidx, "huber_delta", 1.0, 1e-9, 1e9, &v)); t->huber_delta = (float)v;
    TRY(vnumber(c, tidx, "reverse", 0, 0, 1e6, &v)); tt->grad_reverse = (float)v;
    int det;
    TRY(vbool(c, tidx, "detach", 0, &det));
    tt->detach = det;
    if (tt->detach && tt->grad_reverse > 0) return vfail(c, "detach", "a probe sends no gradient; drop reverse");
    int b;
    TRY(vbool(c, tidx, "aux", 0, &b)); t->aux = b;
    TRY(vbool(c, tidx, "score", !t->aux, &b)); t->in_score = b;
    long l;
    TRY(vint(c, tidx, "classes", 0, 1, 1000000, &l));
    t->out_dim = (int)l; /* 0: from the target */
    TRY(vint(c, tidx, "attach", 0, 0, MT_TOPO_MAXLAYERS, &l));
    memcpy(tt->name, t->name, sizeof tt->name);
    tt->aux = t->aux;
    tt->attach = (int)l;
    tt->nhead = -1;
    lua_getfield(L, tidx, "head");
    int has_head = !lua_isnil(L, -1);
    int empty = lua_istable(L, -1) && luaL_len(L, -1) == 0;
    lua_pop(L, 1);
    if (has_head) {
        TRY(vintlist(c, tidx, "head", tt->head, &tt->nhead, MT_TOPO_MAXLAYERS, 1));
        if (empty) tt->nhead = 0;
    }
    return MT_OK;
}

mt_status mtlua_parse_experiment(mtlua_vctx *c, int tidx, mt_experiment *e)
{
    lua_State *L = c->L;
    tidx = lua_absindex(L, tidx);
    char sp[256], sw[256], d[96];
    TRY(vcheck_keys(c, tidx, experiment_keys));
    char name[128];
    TRY(vstring(c, tidx, "name", "experiment", NULL, name, sizeof name));
    snprintf(e->name, sizeof e->name, "%s", name);
    TRY(vstring(c, tidx, "description", "", NULL, e->description, sizeof e->description));
    /* a single line break is layout in the script, not in the text: the
     * screen wraps paragraphs itself; blank lines separate paragraphs */
    char *dsc = e->description, *o = dsc;
    while (*dsc == '\n' || *dsc == ' ') dsc++;
    for (; *dsc; dsc++) {
        if (*dsc == '\n' && dsc[1] == '\n') {
            *o++ = '\n';
            *o++ = '\n';
            while (dsc[1] == '\n') dsc++;
        } else if (*dsc == '\n') {
            if (o > e->description && o[-1] != ' ') *o++ = ' ';
        } else {
            *o++ = *dsc;
        }
    }
    while (o > e->description && (o[-1] == ' ' || o[-1] == '\n')) o--;
    *o = '\0';

    lua_getfield(L, tidx, "tasks");
    int ti = lua_gettop(L);
    if (lua_type(L, ti) != LUA_TTABLE) {
        mt_status st = vfail(c, "tasks", "expected a list of tasks, got %s", vdescribe(L, ti, d, sizeof d));
        lua_pop(L, 1);
        return st;
    }
    int n = (int)luaL_len(L, ti);
    if (n < 1 || n > MT_MAX_TASKS) {
        lua_pop(L, 1);
        return vfail(c, "tasks", "expected 1..%d tasks, got %d", MT_MAX_TASKS, n);
    }
    e->ntasks = n;
    e->topo.ntasks = n;
    for (int k = 1; k <= n; k++) {
        lua_geti(L, ti, k);
        char suf[32];
        snprintf(suf, sizeof suf, "tasks[%d]", k);
        vpush(c, -1, suf, sp, sw);
        mt_status st;
        if (lua_type(L, -1) != LUA_TTABLE) st = vfail(c, NULL, "expected mtl.task.classify { ... } or similar, got %s", vdescribe(L, -1, d, sizeof d));
        else st = parse_task(c, lua_gettop(L), k - 1, e);
        vpop(c, sp, sw);
        lua_pop(L, 1);
        if (st) {
            lua_pop(L, 1);
            return st;
        }
    }
    lua_pop(L, 1);
    for (int k = 0; k < n; k++)
        for (int j = 0; j < k; j++)
            if (strcmp(e->task[j].name, e->task[k].name) == 0) {
                snprintf(c->path, sizeof c->path, "tasks[%d]", k + 1);
                mt_status st = vfail(c, "name", "\"%s\" is already the name of tasks[%d]", e->task[k].name, j + 1);
                c->path[0] = '\0';
                return st;
            }

    struct { const char *key; int which; } parts[] = {{"topology", 0}, {"weighting", 1}, {"optim", 2}, {"train", 3}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        lua_getfield(L, tidx, parts[i].key);
        int pi = lua_gettop(L);
        if (lua_isnil(L, pi)) {
            lua_pop(L, 1);
            continue;
        }
        vpush(c, pi, parts[i].key, sp, sw);
        mt_status st = MT_OK;
        switch (parts[i].which) {
        case 0: st = parse_topology(c, pi, e); break;
        case 1: st = mtlua_parse_method(c, pi, &e->weighting); break;
        case 2: st = parse_optim(c, pi, &e->optim); break;
        case 3: st = parse_train(c, pi, &e->train); break;
        }
        vpop(c, sp, sw);
        lua_settop(L, pi - 1);
        if (st) return st;
    }
    for (int k = 0; k < n; k++)
        if (e->topo.task[k].attach > e->topo.ntrunk) {
            snprintf(c->path, sizeof c->path, "tasks[%d]", k + 1);
            mt_status st = vfail(c, "attach", "the trunk has %d layers, got %d", e->topo.ntrunk, e->topo.task[k].attach);
            c->path[0] = '\0';
            return st;
        }
    lua_getfield(L, tidx, "regularizers");
    int ri = lua_gettop(L);
    if (!lua_isnil(L, ri)) {
        mt_status st = MT_OK;
        if (!lua_istable(L, ri)) st = vfail(c, "regularizers", "expected a list like { mtl.reg.block_sparse { ... } }, got %s", vdescribe(L, ri, d, sizeof d));
        int nr = st ? 0 : (int)luaL_len(L, ri);
        if (!st && nr > MT_MAX_REGS) st = vfail(c, "regularizers", "%d regularisers, at most %d", nr, MT_MAX_REGS);
        for (int k = 1; !st && k <= nr; k++) {
            lua_geti(L, ri, k);
            char suf[32];
            snprintf(suf, sizeof suf, "regularizers[%d]", k);
            vpush(c, -1, suf, sp, sw);
            mt_reg_spec *r = &e->reg[k - 1];
            static const char *const reg_common[] = {"type", NULL};
            if (!lua_istable(L, -1)) st = vfail(c, NULL, "expected mtl.reg.<name> { ... }, got %s", vdescribe(L, -1, d, sizeof d));
            if (!st) st = vstring(c, lua_gettop(L), "type", NULL, NULL, r->type, sizeof r->type);
            if (!st && !(r->cls = reg_find(r->type)))
                st = vfail(c, "type", "unknown regulariser \"%s\" (available: %s)", r->type, reg_names());
            if (!st) st = vtparams(c, lua_gettop(L), reg_common, r->cls->params, &r->params, r->type);
            vpop(c, sp, sw);
            lua_pop(L, 1);
            e->nreg = k;
        }
        if (st) {
            lua_settop(L, ri - 1);
            return st;
        }
    }
    lua_settop(L, ri - 1);
    static const char *const cbs[] = {"on_step", "on_eval", "on_epoch"};
    for (int i = 0; i < 3; i++) {
        lua_getfield(L, tidx, cbs[i]);
        int bad = !lua_isnil(L, -1) && !lua_isfunction(L, -1);
        if (bad) vdescribe(L, -1, d, sizeof d);
        lua_pop(L, 1);
        if (bad) return vfail(c, cbs[i], "expected a function, got %s", d);
    }
    return MT_OK;
}

/* The --set keys a script's experiment has, one a line (bash completion):
 * the experiment's own fields, train.*, optim.*, weighting.* (every
 * method's parameters), data.* (every data constructor's) and topology.*
 * (the hard fields and every topology class's parameters), each once. */
size_t mtlua_set_keys(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    static const char *const callbacks[] = {"on_step", "on_eval", "on_epoch", NULL};
    for (const char *const *k = experiment_keys; *k; k++) {
        int cb = 0;
        for (const char *const *c = callbacks; *c; c++) cb |= strcmp(*k, *c) == 0;
        if (!cb) tparam_md_printf(&o, "%s\n", *k);
    }
    for (const char *const *k = train_keys; *k; k++) tparam_md_printf(&o, "train.%s\n", *k);
    for (const char *const *k = optim_keys; *k; k++) tparam_md_printf(&o, "optim.%s\n", *k);
    for (const char *const *k = hard_keys; *k; k++) tparam_md_printf(&o, "topology.%s\n", *k);
    for (int i = 0; i < method_count(); i++)
        for (const mt_tparam_def *d = method_at(i)->params; d && d->key; d++) {
            int seen = 0;
            for (int j = 0; j < i && !seen; j++) seen = tparam_def(method_at(j)->params, d->key) != NULL;
            if (!seen) tparam_md_printf(&o, "weighting.%s\n", d->key);
        }
    for (int i = 0; i < db_source_count(); i++)
        for (const mt_tparam_def *d = db_source_at(i)->params; d && d->key; d++) {
            int seen = 0;
            for (int j = 0; j < i && !seen; j++) seen = tparam_def(db_source_at(j)->params, d->key) != NULL;
            if (!seen) tparam_md_printf(&o, "data.%s\n", d->key);
        }
    for (int i = 0; i < topo_class_count(); i++) {
        for (const mt_tparam_def *d = topo_class_at(i)->params; d && d->key; d++) {
            int seen = 0;
            for (const char *const *k = hard_keys; *k && !seen; k++) seen = strcmp(*k, d->key) == 0;
            for (int j = 0; j < i && !seen; j++)
                seen = tparam_def(topo_class_at(j)->params, d->key) != NULL;
            if (!seen) tparam_md_printf(&o, "topology.%s\n", d->key);
        }
    }
    return o.w;
}
