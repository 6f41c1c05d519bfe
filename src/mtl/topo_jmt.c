/* topo_jmt.c - the joint many-task model (Hashimoto et al. 2017; survey
 * section 6.5): tasks at successive levels, each level a layer fed by the
 * input, the level below and optionally the lower tasks' predicted label
 * embeddings; successive regularisation keeps the lower levels from
 * drifting. See topo_columns.h for names, groups and the per-step order. */
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "topo_columns_impl.h"

typedef struct {
    topo_cols_kind kind;
    double succ;
    int first, end;  /* parameter indices [first, end): the levels below the top */
    size_t n;        /* floats in them */
    float *anchor;   /* (n) the lower parameters one step back; owned */
    float *cur;      /* (n) their values at the last snapshot; owned */
    int phase;       /* snapshots taken: 0, 1, 2 (= anchor valid) */
} jmt_state;

static const mt_tparam_def jmt_params[] = {
    {"levels", MT_TP_INTS, 0, 1, MT_MAX_TASKS, NULL, "level (1 = lowest) of each task, no gaps; default their order in tasks", .flags = MT_TPF_DERIVED},
    {"label_embed", MT_TP_BOOL, 0, 0, 1, NULL, "feed the lower tasks' predicted label distributions, embedded"},
    {"embed", MT_TP_INT, 8, 1, 4096, NULL, "width of a label embedding"},
    {"succ", MT_TP_NUMBER, 0.01, 0, 1e6, NULL, "strength of the successive regularisation of the lower levels"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* level[t] (0-based) for every task; returns the number of levels, or -1
 * with an error recorded. */
static int jmt_levels(const mt_topo_spec *s, int *level)
{
    double v[MT_TOPO_MAXLAYERS];
    int n = tparam_list(&s->params, "levels", v, MT_TOPO_MAXLAYERS);
    if (n == 0) {
        if (s->ntasks > MT_TOPO_MAXLAYERS) {
            mt_fail(MT_ERR_ARG, "topology.levels: %d tasks would make %d levels (at most %d); give levels", s->ntasks,
                    s->ntasks, MT_TOPO_MAXLAYERS);
            return -1;
        }
        for (int t = 0; t < s->ntasks; t++) level[t] = t;
        return s->ntasks;
    }
    if (n != s->ntasks) {
        mt_fail(MT_ERR_ARG, "topology.levels: %d entries for %d tasks", n, s->ntasks);
        return -1;
    }
    int nl = 0, used[MT_TOPO_MAXLAYERS] = {0};
    for (int t = 0; t < n; t++) {
        level[t] = (int)v[t] - 1;
        if (level[t] < 0 || level[t] >= MT_TOPO_MAXLAYERS) {
            mt_fail(MT_ERR_ARG, "topology.levels[%d]: expected a level 1..%d, got %g", t + 1, MT_TOPO_MAXLAYERS, v[t]);
            return -1;
        }
        used[level[t]] = 1;
        if (level[t] + 1 > nl) nl = level[t] + 1;
    }
    for (int l = 0; l < nl; l++)
        if (!used[l]) {
            mt_fail(MT_ERR_ARG, "topology.levels: no task at level %d (levels must run 1..%d without gaps)", l + 1, nl);
            return -1;
        }
    return nl;
}

int topo_jmt_level(const mt_topo_spec *s, int t)
{
    int level[MT_MAX_TASKS];
    if (t < 0 || t >= s->ntasks || s->ntasks > MT_MAX_TASKS) return -1;
    int nl = jmt_levels(s, level);
    if (nl < 0) {
        mt_clear_error();
        return -1;
    }
    return level[t];
}

static mt_status jmt_validate(const mt_topo_spec *s)
{
    int level[MT_MAX_TASKS];
    int nl = jmt_levels(s, level);
    if (nl < 0) return mt_last_status();
    if (s->ntrunk != 1 && s->ntrunk != nl)
        return mt_fail(MT_ERR_ARG, "topology.trunk: %d widths for %d levels (give one width or one per level)",
                       s->ntrunk, nl);
    return topo_cols_no_attach(s, "puts each task at its level; use levels");
}

/* The group of something used by the tasks at levels >= l: the one task's
 * own when there is a single one, else shared. */
static int jmt_group(const mt_topo_spec *s, const int *level, int l)
{
    int n = 0, who = -1;
    for (int t = 0; t < s->ntasks; t++)
        if (level[t] >= l) {
            n++;
            who = t;
        }
    return n == 1 ? 1 + who : 0;
}

/* topo_head with a chosen group (a lower task's head also serves the
 * levels above when its labels are embedded). */
static mt_node jmt_head(mt_graph *g, const mt_topo_spec *s, int t, mt_node h, int group)
{
    char nm[MT_PARAM_NAME];
    int nh;
    const int *hs = topo_task_head(s, t, &nh);
    for (int i = 0; i < nh; i++) {
        snprintf(nm, sizeof nm, "head.%s.%d", s->task[t].name, i);
        h = topo_hidden(g, s, h, hs[i], nm, group);
    }
    snprintf(nm, sizeof nm, "head.%s.out", s->task[t].name);
    return graph_linear(g, h, s->task[t].out_dim, nm, group);
}

static mt_status jmt_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                           mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    mt_status st = jmt_validate(s);
    if (st) return st;
    int level[MT_MAX_TASKS];
    int nl = jmt_levels(s, level), T = s->ntasks;
    int embed = tparam_num(&s->params, jmt_params, "label_embed") != 0;
    int ew = (int)tparam_num(&s->params, jmt_params, "embed");
    jmt_state *J = mt_calloc(1, sizeof *J);
    if (!J) return MT_ERR_NOMEM;
    J->kind = TOPO_COLS_JMT;
    J->succ = tparam_num(&s->params, jmt_params, "succ");
    mt_params *p = graph_params(g);
    J->first = p ? p->count : 0;
    J->end = J->first;
    char nm[MT_PARAM_NAME];
    mt_node front_w = MT_NONE;
    mt_node front = topo_front(g, s, x, in_c, "conv", 0, &front_w);
    mt_node h = MT_NONE;
    for (int l = 0; l < nl; l++) {
        mt_node parts[2 + MT_MAX_TASKS];
        int np = 0;
        parts[np++] = front;
        if (l > 0) parts[np++] = h;
        for (int k = 0; embed && l > 0 && k < T; k++) {
            if (level[k] != l - 1) continue;
            snprintf(nm, sizeof nm, "jmt.embed.%s", s->task[k].name);
            mt_node E = graph_param(g, nm, s->task[k].out_dim, ew, (mt_init){MT_INIT_XAVIER, 0, 0}, jmt_group(s, level, l), 1);
            mt_node dist = s->task[k].out_dim > 1 ? graph_softmax(g, out->out[k]) : out->out[k];
            parts[np++] = graph_matmul(g, dist, E, 0, 0);
        }
        if (l == nl - 1 && l > 0 && p) J->end = p->count; /* everything so far is below the top */
        mt_node in = np > 1 ? graph_concat(g, parts, np) : parts[0];
        snprintf(nm, sizeof nm, "jmt.%d", l);
        h = topo_hidden(g, s, in, s->trunk[s->ntrunk == 1 ? 0 : l], nm, jmt_group(s, level, l));
        if (l == 0) {
            out->shared = h;
            snprintf(nm, sizeof nm, "jmt.0.weight");
            out->shared_weight = graph_find(g, nm);
        }
        for (int t = 0; t < T; t++)
            if (level[t] == l) out->out[t] = jmt_head(g, s, t, h, embed && l < nl - 1 ? jmt_group(s, level, l) : 1 + t);
    }
    if (out->shared_weight == MT_NONE) out->shared_weight = -1;
    for (int i = J->first; p && i < J->end; i++) J->n += p->info[i].size;
    if (J->n) {
        J->anchor = mt_alloc_aligned(J->n * sizeof(float));
        J->cur = mt_alloc_aligned(J->n * sizeof(float));
        if (!J->anchor || !J->cur) {
            mt_free(J->anchor);
            mt_free(J->cur);
            mt_free(J);
            return MT_ERR_NOMEM;
        }
    }
    out->state = J;
    return MT_OK;
}

/* Copies the lower levels' parameters into dst. */
static void jmt_gather(const jmt_state *J, const mt_params *p, float *dst)
{
    for (int i = J->first; i < J->end; i++) {
        memcpy(dst, p->data + p->info[i].offset, p->info[i].size * sizeof(float));
        dst += p->info[i].size;
    }
}

static mt_status jmt_check(const jmt_state *J, const mt_params *p)
{
    if (J->end > p->count || !p->data) return mt_fail(MT_ERR_STATE, "jmt: the lower levels' parameters are not in the arena");
    return MT_OK;
}

static mt_status jmt_penalty(void *state, mt_graph *g, mt_params *p, double *value)
{
    (void)g;
    jmt_state *J = state;
    *value = 0;
    if (J->succ == 0 || J->n == 0) return MT_OK;
    mt_status st = jmt_check(J, p);
    if (st) return st;
    if (J->phase == 0) {
        jmt_gather(J, p, J->cur);
        J->phase = 1;
    }
    if (J->phase < 2) return MT_OK;
    const float *a = J->anchor;
    double acc = 0, k2 = 2 * J->succ;
    for (int i = J->first; i < J->end; i++) {
        const float *w = p->data + p->info[i].offset;
        float *gr = p->grad + p->info[i].offset;
        for (size_t q = 0; q < p->info[i].size; q++) {
            double d = (double)w[q] - a[q];
            acc += d * d;
            gr[q] += (float)(k2 * d);
        }
        a += p->info[i].size;
    }
    *value = J->succ * acc;
    return MT_OK;
}

/* The anchor becomes the previous snapshot, the snapshot the new values. */
static mt_status jmt_after_step(void *state, mt_graph *g, mt_params *p, double lr, long step)
{
    (void)g;
    (void)lr;
    (void)step;
    jmt_state *J = state;
    if (J->succ == 0 || J->n == 0) return MT_OK;
    mt_status st = jmt_check(J, p);
    if (st) return st;
    if (J->phase > 0) {
        float *t = J->anchor;
        J->anchor = J->cur;
        J->cur = t;
        J->phase = 2;
    } else {
        J->phase = 1;
    }
    jmt_gather(J, p, J->cur);
    return MT_OK;
}

static void jmt_free(void *state)
{
    jmt_state *J = state;
    if (!J) return;
    mt_free(J->anchor);
    mt_free(J->cur);
    mt_free(J);
}

static size_t jmt_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    int level[MT_MAX_TASKS];
    int nl = s->ntasks <= MT_MAX_TASKS ? jmt_levels(s, level) : -1;
    if (nl < 0) {
        mt_clear_error();
        topo_cols_printf(buf, n, &w, "joint many-task model: invalid levels\n");
        return w;
    }
    int embed = tparam_num(&s->params, jmt_params, "label_embed") != 0;
    int ew = (int)tparam_num(&s->params, jmt_params, "embed");
    double succ = tparam_num(&s->params, jmt_params, "succ");
    topo_cols_printf(buf, n, &w, "joint many-task model (%s): %d levels\n", topo_act_name(s->act), nl);
    topo_cols_printf(buf, n, &w, "input %d\n", in_dim);
    for (int i = 0; i < s->nconv; i++) topo_cols_printf(buf, n, &w, "  | conv 5x5 -> %d ch, pool 2   [shared]\n", s->conv[i]);
    for (int l = 0; l < nl; l++) {
        int width = s->ntrunk == 1 ? s->trunk[0] : l < s->ntrunk ? s->trunk[l] : 0;
        topo_cols_printf(buf, n, &w, "  | jmt.%d  dense %d%s <- input%s", l, width, topo_cols_norm_tag(s),
                         l > 0 ? " + level below" : "");
        int ne = 0;
        for (int k = 0; embed && l > 0 && k < s->ntasks; k++) ne += level[k] == l - 1;
        if (ne) topo_cols_printf(buf, n, &w, " + %d label emb x %d", ne, ew);
        topo_cols_printf(buf, n, &w, "\n");
        for (int t = 0; t < s->ntasks; t++) {
            if (level[t] != l) continue;
            char what[32];
            snprintf(what, sizeof what, "level %d", l + 1);
            topo_cols_describe_head(s, t, what, buf, n, &w);
        }
    }
    if (nl > 1 && succ > 0)
        topo_cols_printf(buf, n, &w, "  successive regularisation %g on levels 1..%d\n", succ, nl - 1);
    return w;
}

const mt_topo_class topo_class_jmt = {
    .name = "jmt",
    .summary = "joint many-task model: task levels with shortcuts, label embeddings, successive regularisation",
    .params = jmt_params,
    .validate = jmt_validate,
    .build = jmt_build,
    .describe = jmt_describe,
    .hooks = {.penalty = jmt_penalty, .after_step = jmt_after_step, .free = jmt_free},
};
