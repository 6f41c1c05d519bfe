/* topology.h - how tasks share parameters, built into an engine graph.
 *
 * A topology spec says what is shared and what is task-specific; a builder
 * turns it into graph nodes and parameters whose group tags say the same
 * thing to the trainer: group 0 = shared, group 1+t = task t only. Every
 * topology yields one output node per task (logits or predictions) and,
 * where the network has one, the last shared representation (MGDA-UB
 * differentiates with respect to it; GradNorm measures gradient norms at
 * the last shared layer's weight).
 *
 * Topologies and regularisers are classes in a registry (topo_find,
 * reg_find): a name, the parameters a script may give (the typed schema of
 * tparam.h, validated generically, so the Lua layer needs no per-topology
 * code), a builder and
 * optional per-step hooks. The common fields (trunk, head, conv, act, norm,
 * dropout) mean the same for every topology: for one-column-per-task
 * topologies (soft sharing, cross-stitch, sluice, ...) `trunk` gives each
 * column's layer widths. */
#ifndef MT_TOPOLOGY_H
#define MT_TOPOLOGY_H

#include <stddef.h>
#include "core/limits.h"
#include "core/status.h"
#include "engine/graph.h"
#include "mtl/tparam.h"

#define MT_TOPO_MAXLAYERS 8
#define MT_TOPO_NAME 64
#define MT_MAX_REGS 4   /* regularisers per experiment */

typedef enum { MT_ACT_RELU, MT_ACT_TANH, MT_ACT_GELU, MT_ACT_LEAKY, MT_ACT_SIGMOID } mt_act;
typedef enum { MT_NORM_NONE, MT_NORM_BATCH, MT_NORM_LAYER } mt_norm;

/* ---- the spec --------------------------------------------------------- */

typedef struct {
    char name[MT_TOPO_NAME];
    int out_dim;  /* logits (classes) or regression/binary outputs */
    int aux;      /* auxiliary task: drawn and reported apart */
    /* Trunk layer whose output feeds this task's head, 1..ntrunk; 0 = the
     * last. A low-level task supervised at a lower layer is "low
     * supervision" (Sogaard & Goldberg 2016). */
    int attach;
    int head[MT_TOPO_MAXLAYERS]; /* hidden sizes of this task's head */
    int nhead;                   /* -1: use the spec's default head */
    /* > 0: an adversarial task (Ganin & Lempitsky 2015): its head reads
     * the shared representation through a gradient reversal with this
     * lambda, so the trunk learns to make the task hard. */
    float grad_reverse;
    /* 1: a probe - the head reads the representation through a stop-gradient
     * and does not train the shared layers (measures what they encode). */
    int detach;
} mt_topo_task;

typedef struct mt_topo_class mt_topo_class;

typedef struct {
    char type[32];              /* registry name: "hard", "cross_stitch", ... */
    const mt_topo_class *cls;   /* resolved by topo_validate */
    /* convolutional front for image inputs: conv 5x5 (pad 2) + act + 2x2
     * max-pool per entry, channels given; 0 entries = none */
    int conv[MT_TOPO_MAXLAYERS];
    int nconv;
    int trunk[MT_TOPO_MAXLAYERS]; /* dense layers (shared, or each column's) */
    int ntrunk;
    int head[MT_TOPO_MAXLAYERS]; /* default hidden sizes of every head */
    int nhead;
    mt_act act;
    mt_norm norm;
    float dropout; /* after every hidden dense layer; 0 = none */
    mt_tparams params; /* the topology's own parameters */
    int ntasks;
    mt_topo_task task[MT_MAX_TASKS];
} mt_topo_spec;

/* A regulariser applied on top of any topology (survey section 5). */
typedef struct mt_reg_class mt_reg_class;
typedef struct {
    char type[32];
    const mt_reg_class *cls;
    mt_tparams params;
} mt_reg_spec;

typedef struct {
    mt_node out[MT_MAX_TASKS]; /* per-task predictions */
    mt_node shared;            /* last shared representation, or MT_NONE */
    int shared_weight;         /* node (after build) / param index (after count) of the
                                  last shared layer's weight, or -1 */
    size_t n_shared;           /* parameter counts */
    size_t n_task[MT_MAX_TASKS];
    void *state;               /* the class's runtime state (owned; topo_built_free) */
} mt_topo_built;

/* ---- hooks a topology or regulariser may provide ----------------------- */

/* Publishes a learned matrix: name, rows x cols (row-major), labels may be
 * NULL (task names are used when rows/cols == T). */
typedef void (*mt_publish_fn)(void *ud, const char *name, int rows, int cols, const double *v,
                              const char *const *row_labels, const char *const *col_labels,
                              double lo, double hi);

typedef struct {
    /* Called after backward and before the optimiser step: add the
     * penalty's gradient into p->grad (the per-task gradient methods see it
     * on the shared parameters through the combined gradient); *value gets
     * the penalty (for logging). */
    mt_status (*penalty)(void *state, mt_graph *g, mt_params *p, double *value);
    /* Called after the optimiser step: proximal operators, closed-form
     * updates (a task covariance), snapshots (successive regularisation). */
    mt_status (*after_step)(void *state, mt_graph *g, mt_params *p, double lr, long step);
    /* Learned relationships for the screen and relations.jsonl. */
    void (*publish)(void *state, mt_graph *g, mt_publish_fn fn, void *ud);
    /* Fully-adaptive sharing: 1 and a new spec in *next when the network
     * should be rebuilt now (the trainer copies parameters by name). */
    int (*restructure)(void *state, mt_graph *g, long step, mt_topo_spec *next);
    void (*free)(void *state);
    /* After a restructure: for a parameter `name` of the rebuilt network
     * that the previous one lacks (a new branch), writes into src (n
     * bytes) the name of the previous network's parameter it starts from;
     * the trainer copies its values and optimiser moments when the sizes
     * agree. `state` is the PREVIOUS network's state. 0 = none (the
     * parameter keeps its fresh initialisation). */
    int (*inherit)(void *state, const char *name, char *src, size_t n);
    /* Called once after the parameters were initialised from their
     * mt_init: values that depend on the spec (a landscape's start point). */
    void (*init_params)(void *state, mt_graph *g, mt_params *p);
} mt_topo_hooks;

struct mt_topo_class {
    const char *name;
    const char *summary;        /* one line for docs and `mtlab check` */
    const mt_tparam_def *params; /* terminated by a NULL key */
    /* Extra checks beyond the parameter ranges; NULL = none. */
    mt_status (*validate)(const mt_topo_spec *s);
    /* Builds the network on input x, an image node (in_c, in_h, in_w) or a
     * flat node (in_c = 0), filling `out` (out->state may be set). */
    mt_status (*build)(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                       mt_topo_built *out);
    /* A text drawing of the network (shared layers, where each head
     * attaches, which tasks are auxiliary, learned mixing). */
    size_t (*describe)(const mt_topo_spec *s, int in_dim, char *buf, size_t n);
    mt_topo_hooks hooks;
    /* Not NULL: a non-graph model (model.h; mtl.model.<name> in scripts),
     * built by the trainer from the data instead of `build`. */
    const struct mt_model_class *model;
};

struct mt_reg_class {
    const char *name;
    const char *summary;
    const mt_tparam_def *params;
    /* Binds to a built graph (finds its parameters by the spec); *state
     * is passed to the hooks and freed with hooks.free. */
    mt_status (*attach)(const mt_reg_spec *r, const mt_topo_spec *s, mt_graph *g, void **state);
    mt_topo_hooks hooks;
};

/* ---- registry and helpers -------------------------------------------------- */

void topo_spec_default(mt_topo_spec *s);
/* The class a script names: its name or an alias (LibMTL's "HPS", "MMoE",
 * "CGC", "PLE", ...), case-insensitive, '-' read as '_'. NULL if unknown. */
const mt_topo_class *topo_find(const char *name);
/* The topology's other names, ", "-separated, "" when none (docs tables). */
void topo_aliases(const char *name, char *buf, size_t n);
int topo_class_count(void);
const mt_topo_class *topo_class_at(int i);
const mt_reg_class *reg_find(const char *name);
int reg_class_count(void);
const mt_reg_class *reg_class_at(int i);
/* Comma-separated names, for messages. */
const char *topo_names(void);
const char *reg_names(void);
/* The reference tables of docs/topologies.md (markdown): every topology
 * and regulariser with its parameters' defaults, then one row per
 * parameter. Returns the length it needs (like snprintf). */
size_t topo_markdown(char *buf, size_t n);
/* The same as plain text, for `mtlab --list-topologies`. */
size_t topo_text(char *buf, size_t n);

const char *topo_act_name(mt_act a);
int topo_act_parse(const char *s, mt_act *out);

/* Checks s->type, the common fields and the class's own rules; the
 * message names the field. (s->cls is a cache set by topo_resolve; the
 * functions here look the class up by name when it is NULL.) */
mt_status topo_validate(const mt_topo_spec *s);
void topo_resolve(mt_topo_spec *s);
mt_status topo_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                     mt_topo_built *out);
/* Parameter counts by group; call after graph_compile. */
void topo_count_params(mt_graph *g, const mt_topo_spec *s, mt_topo_built *b);
size_t topo_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n);
void topo_built_free(const mt_topo_spec *s, mt_topo_built *b);

/* Appends printf-style text to buf (n bytes) at offset w, truncating;
 * returns the new offset. For describe() functions. */
size_t topo_appendf(char *buf, size_t n, size_t w, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Building blocks every topology shares (topo_hard.c). */
mt_node topo_activate(mt_graph *g, mt_node h, mt_act a);
/* linear + optional norm + activation + dropout; params "<prefix>.weight" ... */
mt_node topo_hidden(mt_graph *g, const mt_topo_spec *s, mt_node h, int width, const char *prefix,
                    int group);
/* What follows a hidden layer's affine map h: the spec's norm
 * ("<prefix>.bn" / ".ln"), activation and dropout. */
mt_node topo_hidden_tail(mt_graph *g, const mt_topo_spec *s, mt_node h, const char *prefix, int group);
/* Dense layers sizes[0..n-1] named "<prefix>.<l>" (topo_hidden) on h;
 * returns the top. levels[l] (if not NULL) gets layer l's output;
 * *last_weight (if not NULL) gets the last layer's weight node, or stays
 * when n == 0. */
mt_node topo_dense_stack(mt_graph *g, const mt_topo_spec *s, mt_node h, const int *sizes, int n, const char *prefix,
                         int group, mt_node *levels, mt_node *last_weight);
/* The conv front (if image input and s->nconv) and flatten; *last_weight
 * gets the last conv weight node or stays. */
mt_node topo_front(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, const char *prefix,
                   int group, mt_node *last_weight);
/* The hidden sizes of task t's head (its own or the default). */
const int *topo_task_head(const mt_topo_spec *s, int t, int *n);
/* A task head on h: hidden layers "head.<task>.<i>" then "head.<task>.out". */
mt_node topo_head(mt_graph *g, const mt_topo_spec *s, int t, mt_node h);

#endif
