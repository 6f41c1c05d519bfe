/* topology.h - how tasks share parameters, built into an engine graph.
 *
 * A topology spec says what is shared and what is task-specific; a builder
 * turns it into graph nodes and parameters whose group tags say the same
 * thing to the trainer: group 0 = shared, group 1+t = task t only. Every
 * topology yields one output node per task (logits or predictions) and,
 * where the network has one, the last shared representation (MGDA-UB
 * differentiates with respect to it; GradNorm measures gradient norms at
 * the last shared layer's weight). */
#ifndef MT_TOPOLOGY_H
#define MT_TOPOLOGY_H

#include <stddef.h>
#include "core/status.h"
#include "engine/graph.h"

#define MT_MAX_TASKS 16
#define MT_TOPO_MAXLAYERS 8
#define MT_TOPO_NAME 64

typedef enum {
    MT_TOPO_HARD, /* shared trunk, task heads (heads may attach at any depth) */
} mt_topo_kind;

typedef enum { MT_ACT_RELU, MT_ACT_TANH, MT_ACT_GELU, MT_ACT_LEAKY, MT_ACT_SIGMOID } mt_act;

typedef enum { MT_NORM_NONE, MT_NORM_BATCH, MT_NORM_LAYER } mt_norm;

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
} mt_topo_task;

typedef struct {
    mt_topo_kind kind;
    /* convolutional front for image inputs: conv 5x5 (pad 2) + act + 2x2
     * max-pool per entry, channels given; 0 entries = none */
    int conv[MT_TOPO_MAXLAYERS];
    int nconv;
    int trunk[MT_TOPO_MAXLAYERS]; /* dense shared layers */
    int ntrunk;
    int head[MT_TOPO_MAXLAYERS]; /* default hidden sizes of every head */
    int nhead;
    mt_act act;
    mt_norm norm;
    float dropout; /* after every hidden dense layer; 0 = none */
    int ntasks;
    mt_topo_task task[MT_MAX_TASKS];
} mt_topo_spec;

typedef struct {
    mt_node out[MT_MAX_TASKS]; /* per-task predictions */
    mt_node shared;            /* last shared representation, or MT_NONE */
    int shared_weight;         /* param index of the last shared layer's weight, or -1 */
    size_t n_shared;           /* parameter counts */
    size_t n_task[MT_MAX_TASKS];
} mt_topo_built;

void topo_spec_default(mt_topo_spec *s);
const char *topo_kind_name(mt_topo_kind k);
const char *topo_act_name(mt_act a);
int topo_act_parse(const char *s, mt_act *out);
/* Checks sizes, attach depths and the like; the message names the field. */
mt_status topo_validate(const mt_topo_spec *s);
/* Builds the network on input x, an image node (in_c, in_h, in_w) or a flat
 * node (in_c = 0). Fills `out`; parameter counts need graph_compile first
 * and are filled by topo_count_params. */
mt_status topo_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h,
                     int in_w, mt_topo_built *out);
void topo_count_params(mt_graph *g, const mt_topo_spec *s, mt_topo_built *b);
/* A text drawing of the network: shared layers, where each head attaches,
 * which tasks are auxiliary. Returns the bytes written (truncated to n). */
size_t topo_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n);

#endif
