/* topo_groups.c - task groups (survey section 6.9; Fifty et al. 2021,
 * Standley et al. 2020): the tasks are split into groups, each group its
 * own hard-sharing network (convolutional front and dense trunk) with a
 * head per task, and nothing shared between groups. One group for every
 * task is hard sharing; a group per task is every task alone. Which tasks
 * go together is what `mtl.search.groups` proposes (mtl/groups.h).
 *
 * Parameter names: group<g>.conv.<i>.*, group<g>.<l>.* for group g
 * (1-based, numbered in the order of their first task), then the heads as
 * in hard sharing. A layer is tagged shared (group 0) when its group has
 * several tasks, else task-specific (1+t); out->shared is the trunk's top
 * only when one group holds every task. */
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "groups.h"
#include "topology.h"

static const mt_tparam_def groups_params[] = {
    {"groups", MT_TP_INTS, 1, 1, MT_MAX_TASKS, NULL,
     "each task's group, task 1 first ({ 1, 1, 2, 2 }: tasks 1, 2 share a network, 3, 4 another); default: one group",
     .flags = MT_TPF_DERIVED, .maxlen = MT_MAX_TASKS},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

typedef struct {
    int T;
    double assign[MT_MAX_TASKS]; /* each task's group, 1.. (published) */
} groups_state;

/* Each task's group, canonical (0.., in the order of first task). */
static void groups_of(const mt_topo_spec *s, int *a)
{
    double v[MT_MAX_TASKS];
    int n = tparam_list(&s->params, "groups", v, MT_MAX_TASKS);
    for (int t = 0; t < s->ntasks; t++) a[t] = n ? (int)v[t] : 1;
    groups_canonical(a, s->ntasks);
}

static mt_status groups_validate(const mt_topo_spec *s)
{
    double v[MT_MAX_TASKS];
    int n = tparam_list(&s->params, "groups", v, MT_MAX_TASKS);
    if (n && n != s->ntasks)
        return mt_fail(MT_ERR_ARG, "topology.groups: %d entries for %d tasks (one group number per task)", n,
                       s->ntasks);
    for (int t = 0; t < s->ntasks; t++)
        if (s->task[t].attach != 0)
            return mt_fail(MT_ERR_ARG, "tasks[%d].attach: the groups topology's heads sit on their group's top; "
                                       "attach is not supported", t + 1);
    return MT_OK;
}

static mt_status groups_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                              mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    int T = s->ntasks, a[MT_MAX_TASKS];
    groups_of(s, a);
    groups_state *st = mt_calloc(1, sizeof *st);
    if (!st) return MT_ERR_NOMEM;
    out->state = st;
    st->T = T;
    for (int t = 0; t < T; t++) st->assign[t] = a[t] + 1;
    int ng = 0;
    for (int t = 0; t < T; t++)
        if (a[t] + 1 > ng) ng = a[t] + 1;
    out->shared = MT_NONE;
    out->shared_weight = -1;
    char nm[MT_PARAM_NAME];
    for (int grp = 0; grp < ng; grp++) {
        int members = 0, first = -1;
        for (int t = 0; t < T; t++)
            if (a[t] == grp) {
                members++;
                if (first < 0) first = t;
            }
        int tag = members > 1 ? 0 : 1 + first;
        mt_node sw = MT_NONE;
        snprintf(nm, sizeof nm, "group%d.conv", grp + 1);
        mt_node h = topo_front(g, s, x, in_c, nm, tag, &sw);
        snprintf(nm, sizeof nm, "group%d", grp + 1);
        h = topo_dense_stack(g, s, h, s->trunk, s->ntrunk, nm, tag, NULL, &sw);
        for (int t = 0; t < T; t++)
            if (a[t] == grp) out->out[t] = topo_head(g, s, t, h);
        if (members == T) {
            out->shared = s->ntrunk || (in_c > 0 && s->nconv > 0) ? h : MT_NONE;
            out->shared_weight = sw == MT_NONE ? -1 : sw;
        }
    }
    return MT_OK;
}

static void groups_publish(void *state, mt_graph *g, mt_publish_fn fn, void *ud)
{
    (void)g;
    groups_state *st = state;
    if (!st) return;
    static const char *const row[] = {"group"};
    fn(ud, "task groups", 1, st->T, st->assign, row, NULL, 1, st->T);
}

static void groups_free(void *state) { mt_free(state); }

#define OUT(...) (w = topo_appendf(buf, n, w, __VA_ARGS__))

static size_t groups_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    int a[MT_MAX_TASKS], ng = 0;
    groups_of(s, a);
    for (int t = 0; t < s->ntasks; t++)
        if (a[t] + 1 > ng) ng = a[t] + 1;
    OUT("task groups (%s): %d group%s, nothing shared between groups\n", topo_act_name(s->act), ng, ng == 1 ? "" : "s");
    OUT("input %d\n", in_dim);
    for (int grp = 0; grp < ng; grp++) {
        OUT("  group %d {", grp + 1);
        int c = 0;
        for (int t = 0; t < s->ntasks; t++)
            if (a[t] == grp) OUT("%s%s", c++ ? "," : "", s->task[t].name);
        OUT("}%s\n", c > 1 ? "  [shared by the group]" : "");
        for (int i = 0; i < s->nconv; i++) OUT("    | conv 5x5 -> %d ch, pool 2\n", s->conv[i]);
        for (int l = 0; l < s->ntrunk; l++) OUT("    | group%d.%d dense %d\n", grp + 1, l, s->trunk[l]);
        for (int t = 0; t < s->ntasks; t++) {
            if (a[t] != grp) continue;
            int nh;
            const int *hs = topo_task_head(s, t, &nh);
            OUT("    --> %s%s: ", s->task[t].name, s->task[t].aux ? " (aux)" : "");
            for (int i = 0; i < nh; i++) OUT("dense %d -> ", hs[i]);
            OUT("out %d\n", s->task[t].out_dim);
        }
    }
    return w;
}

const mt_topo_class topo_class_groups = {
    .name = "groups",
    .summary = "task groups: each group its own hard-sharing network, nothing shared between groups (section 6.9)",
    .params = groups_params,
    .validate = groups_validate,
    .build = groups_build,
    .describe = groups_describe,
    .hooks = {.publish = groups_publish, .free = groups_free},
};
