/* explain.c - what each pane and each relationship matrix shows, in two
 * or three lines: the text `?` opens above the keys. */
#include "explain.h"

#include <string.h>

typedef struct {
    const char *prefix; /* the matrix name, or its start ("cross-stitch alpha L1") */
    const char *text;
} explain_entry;

static const explain_entry matrices[] = {
    {"grad cosine",
     "Cosine of two tasks' gradients on the shared parameters, for one batch: 1 = the same direction, "
     "0 = unrelated, -0.3 = they pull partly against each other (a step for one raises the other's loss "
     "a little). One batch is noisy: 'a' shows an exponential average or the mean over the run."},
    {"grad magnitude sim",
     "How alike two tasks' gradient norms are: 2|g_i||g_j| / (|g_i|^2 + |g_j|^2). 1 = equal sizes; near 0 = "
     "one task's gradient dwarfs the other's and dominates a plain sum."},
    {"conflict fraction",
     "The share of the measured batches so far in which two tasks' gradients had a negative cosine (they "
     "conflicted). About 0.5 is a coin toss: the tasks are unrelated; well below 0.5, they agree."},
    {"grad norm",
     "The norm of each task's gradient on the shared parameters for one batch: which task the shared layers "
     "hear loudest."},
    {"condition number",
     "The condition number of the tasks' gradient matrix (largest over smallest singular value): large when "
     "the gradients are nearly dependent or of very different sizes, where MGDA-like solvers struggle."},
    {"transfer affinity",
     "Lookahead transfer (Fifty et al. 2021): row i, column j is 1 - L_j(after a step on task i alone) / L_j(before). "
     "Positive: task i's step lowers task j's loss; negative: it raises it. One small step moves a loss very "
     "little, so values are often tiny; the colour scale then zooms in and says so."},
    {"loss weights",
     "Each task's loss weight at the last evaluations (one column per evaluation step): how the weighting "
     "method moved them over time."},
    {"uncertainty sigma",
     "Uncertainty weighting's learned sigma per task (Kendall et al. 2018): a task's loss is weighted by "
     "1 / (2 sigma^2), so a large sigma means the method trusts that task less."},
    {"cross-stitch alpha",
     "Cross-stitch units (Misra et al. 2016): alpha[i][j] is how much of task j's column feeds task i's next "
     "layer. The diagonal is each task's own share; off-diagonal values near 0 mean no sharing at that layer."},
    {"sluice alpha",
     "Sluice networks (Ruder et al. 2019): alpha mixes the task subspaces between layers; off-diagonal weight is "
     "what one task's subspace takes from another's."},
    {"sluice beta",
     "Sluice networks: beta weighs each layer's output in a task's final representation (which depths the "
     "task uses)."},
    {"sluice subspace overlap",
     "How much the shared and private subspaces of the sluice network overlap; the orthogonality penalty "
     "pushes this towards 0."},
    {"soft distance",
     "Soft parameter sharing: the distance between two tasks' columns at this layer. The L2 pull shrinks it; "
     "small means the two tasks' layers became alike."},
    {"soft spectrum",
     "Soft sharing: the singular values of the tasks' stacked weights at this layer, as shares of their trace "
     "norm. One dominant share: the tasks' weights are nearly collinear (the trace-norm pull made them share)."},
    {"expert usage",
     "Mixture of experts: each task's average gate weight on each expert. A column used by every task is a "
     "shared expert; a row that concentrates on a few experts is a specialised task."},
    {"shared gate",
     "PLE's shared gate: how the shared experts' output mixes the experts of every group."},
    {"task covariance",
     "The learned covariance between tasks' weights (a relationship prior): positive entries pull two tasks' "
     "weights together, negative push them apart."},
    {"task correlation", "The learned correlation between tasks (the covariance scaled to unit diagonal)."},
    {"task distance",
     "Distances between tasks' weight vectors: small means the regulariser or the data made them alike."},
    {"task affinity",
     "The affinity between task branches that fully-adaptive feature sharing uses to decide which tasks share "
     "a branch when the network widens."},
    {"fafs tree", "The branching of the fully-adaptive network: which tasks share each branch at each layer."},
    {"group affinity",
     "The transfer affinity mtl.search.groups measured in its short joint run (mean over the run), with the tasks "
     "reordered by the groups it proposed: each group is a block on the diagonal. Bright blocks and a dark rest "
     "mean the groups keep together the tasks that help each other."},
    {"label stats",
     "Per task, over its labelled training examples: the entropy of its label distribution (class targets, in "
     "nats) and the excess kurtosis of its class frequencies or of its values (Alonso & Plank 2017: auxiliary "
     "tasks with compact, uniform label distributions tend to help). Published when a run has auxiliary tasks."},
    {"aux cosine",
     "The cosine of each task's gradient on the shared parameters with the main tasks' summed gradient. Positive: "
     "the task pulls the shared layers where the main tasks want them (aux_gate keeps such gradients, Du et al. "
     "2018). Near the end of training the gradients cancel and every cosine drifts toward -1, so read it early."},
    {"task groups", "The group of each task in the groups topology: tasks of one group share a network, groups share nothing."},
    {"cluster co-membership",
     "1 where two tasks sit in the same learned cluster (clustered MTL); compare with the true clusters."},
    {"distance to mean", "Each task's distance to the mean task weight (mean-regularised MTL)."},
    {"active features", "Which input features each task uses (block-sparse regularisation selects a shared support)."},
    {"feature use", "How strongly each task uses each input feature (the size of its weights on it)."},
    {"dirty B/S features", "The dirty model: features in the shared block B and the task-specific block S."},
    {"posterior band",
     "A non-graph model on one input: for each task the posterior mean (line), a band of +-2 sd and the training "
     "points. Where a task has few points, what the model shares from the other tasks keeps its band narrow."},
    {"kernel", "The kernel's learned hyperparameters (length scale, signal variance, ...), fitted by the marginal "
     "likelihood."},
    {"log marginal likelihood", "How well the model with these hyperparameters explains the training data (higher "
     "is better); the learning climbs it."},
    {"noise sd", "Each task's learned observation noise: large means the model treats that task's targets as noisy."},
    {"task matrix", "Kernel ridge's task matrix B: how strongly each pair of tasks shares its function; the "
     "diagonal is each task's own weight, off-diagonal 0 is no sharing."},
    {"task weights", "Each task's weights in the hierarchical model, drawn towards the common prior."},
    {"task weight sd", "The posterior spread of each task's weights: wide where a task has little data."},
    {"task responsibility", "A mixture prior: how much each task belongs to each prior component (its cluster)."},
    {"prior mean", "The common prior's mean weights the tasks are pulled towards (what they share)."},
    {"prior sd", "The common prior's spread: small means the model found the tasks alike and pulls them together."},
    {"prior weight", "The weight of each prior component in the mixture."},
    {"landscape",
     "The plane of the two-objective landscape (x1, x2), shaded by f1 + f2 (darker is lower), with its Pareto set "
     "as a thick line: every run of the script draws its path from its start (ring) to where its point is now "
     "(reverse video), one glyph per method; this run in bold. Where a method stops on the Pareto set, and "
     "where the paths split, is the story of gradient combination (CAGrad, Nash-MTL figures)."},
    {"position", "The point x the landscape's methods move; watch it travel towards the Pareto set."},
    {"objectives", "f1 and f2 at the last evaluation, without the offset."},
};

static const char *const panes[TUI_PANE_COUNT] = {
    [TUI_PANE_LOSS] = "Each task's training loss per step (solid) and validation loss at each evaluation (dashed); "
                      "auxiliary tasks dimmer. Dotted vertical lines mark switches of the loss weighting.",
    [TUI_PANE_WEIGHTS] = "Each task's loss weight per step as the weighting method sets it (sigma for uncertainty "
                         "weighting). Dotted vertical lines mark switches of the method.",
    [TUI_PANE_TOPOLOGY] = "The network as built: shared layers, each task's head and where it attaches.",
    [TUI_PANE_NOTES] = "The experiment's description from its script.",
    [TUI_PANE_CONSOLE] = "A Lua console on the run on screen: run:weights(), run:set_lr(3e-4), run:matrix('grad "
                         "cosine'), print(...). Tab completes run: and mtl. names; up/down walk the history.",
    [TUI_PANE_COMPARE_TABLE] = "Every experiment's final numbers on one split, exactly those of its summary.json; "
                               "the best of each column bright. delta_m: test metric against single-task baselines.",
    [TUI_PANE_COMPARE_SCATTER] = "The final losses of two tasks, one point per experiment (its table number): bright "
                                 "points are Pareto-optimal (no other run is better on both). x and y pick the tasks.",
    [TUI_PANE_COMPARE_CURVES] = "One task's loss curve for every experiment, on one split (t: task, v: split); "
                                "numbers as in the table.",
};

const char *explain_matrix(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof matrices / sizeof *matrices; i++)
        if (strncmp(name, matrices[i].prefix, strlen(matrices[i].prefix)) == 0) return matrices[i].text;
    return NULL;
}

const char *explain_pane(tui_pane_id p, const char *matrix_name)
{
    if (p == TUI_PANE_MATRIX) {
        const char *t = explain_matrix(matrix_name);
        return t ? t : "A task-relationship matrix the run publishes ('m' shows the next one).";
    }
    return (unsigned)p < TUI_PANE_COUNT ? panes[p] : NULL;
}
