#include "demo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/rng.h"

typedef struct {
    const char *name;
    const char *weighting;
    double floor_[4], amp[4], tau[4]; /* loss = floor + amp * exp(-step / tau) */
    double overfit;                   /* validation gap growth per 1000 steps */
} demo_spec;

static const demo_spec specs[3] = {
    { "hard sharing on Fashion-MNIST", "uncertainty",
      { 0.32, 0.55, 0.012, 0.9 }, { 2.0, 0.6, 0.08, 0.5 }, { 700, 400, 900, 1500 }, 0.02 },
    { "cross-stitch on Fashion-MNIST", "equal",
      { 0.28, 0.60, 0.010, 0.8 }, { 2.1, 0.5, 0.09, 0.6 }, { 900, 600, 800, 1200 }, 0.01 },
    { "MMoE (4 experts) on Fashion-MNIST", "gradnorm",
      { 0.30, 0.50, 0.015, 0.85 }, { 2.0, 0.6, 0.07, 0.6 }, { 800, 500, 700, 1400 }, 0.015 },
};

static const char *const task_names[4] = { "item", "group", "pixels", "rotation" };
static const int task_aux[4] = { 0, 0, 1, 1 };

static const char *const topologies[3] = {
    "input 28x28\n"
    "   \xe2\x94\x82\n"
    "dense 256 \xe2\x94\x80 relu      shared trunk\n"
    "   \xe2\x94\x82\n"
    "dense 128 \xe2\x94\x80 relu\n"
    "   \xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 item:     dense 64 \xe2\x94\x80 dense 10  (softmax)\n"
    "   \xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 group:    dense 64 \xe2\x94\x80 dense 3   (softmax)\n"
    "   \xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 pixels:   dense 784            (aux, mse)\n"
    "   \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 rotation: dense 4              (aux, softmax)\n",
    "two columns, one per main task, joined by cross-stitch units\n"
    "item column            group column\n"
    "dense 256               dense 256\n"
    "   \xe2\x95\xb2\xe2\x95\xb1 cross-stitch \xce\xb1 (2x2)\n"
    "dense 128               dense 128\n"
    "   \xe2\x95\xb2\xe2\x95\xb1 cross-stitch \xce\xb1 (2x2)\n"
    "head item (10)          head group (3)\n"
    "aux heads on the item column: pixels (784), rotation (4)\n",
    "input \xe2\x94\x80\xe2\x94\x80\xe2\x94\xac\xe2\x94\x80\xe2\x94\x80 expert 1 (dense 128)\n"
    "         \xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 expert 2 (dense 128)\n"
    "         \xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 expert 3 (dense 128)\n"
    "         \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 expert 4 (dense 128)\n"
    "one softmax gate per task mixes the experts\n"
    "gate item -> tower 64 -> 10\n"
    "gate group -> tower 64 -> 3\n"
    "gate pixels -> 784 (aux)\n"
    "gate rotation -> 4 (aux)\n",
};

static const char *const notes =
    "Multi-task learning shares what one task learns with the others: an inductive bias that "
    "favours representations useful for several tasks (Ruder 2017, section 3).\n"
    "\n"
    "This demo run shows two main tasks, the item class and its coarse group, and two "
    "auxiliary tasks that exist only to shape the shared trunk: reconstructing the pixels "
    "and predicting the image's rotation. Auxiliary losses are drawn dimmer and dotted.\n"
    "\n"
    "Watch the gradient cosine matrix: the auxiliary tasks start aligned with the main ones "
    "and drift towards orthogonal as the trunk specialises. Press w to change the loss "
    "weighting, m to see the other matrices, c to compare the three experiments.";

mt_status tui_demo_init(mt_monitor *m, int variant, long total_steps)
{
    if (variant < 0 || variant > 2)
        return mt_fail(MT_ERR_ARG, "tui_demo_init: variant %d (0..2)", variant);
    mt_status st = monitor_init(m, 4, task_names, task_aux, 512);
    if (st) return st;
    const demo_spec *sp = &specs[variant];
    snprintf(m->experiment, sizeof m->experiment, "%s", sp->name);
    snprintf(m->weighting, sizeof m->weighting, "%s", sp->weighting);
    snprintf(m->weight_label, sizeof m->weight_label, "%s",
             variant == 0 ? "sigma" : "weight");
    snprintf(m->topology, sizeof m->topology, "%s", topologies[variant]);
    snprintf(m->description, sizeof m->description, "%s", notes);
    m->state = MT_RUN_RUNNING;
    m->total_steps = total_steps > 0 ? total_steps : 5000;
    m->epochs = 5;
    m->lr = 1e-3;
    m->step = -1;
    /* the variant is kept in samples_per_s's initial value until the first
     * fill; the index is also recoverable from the name */
    return MT_OK;
}

static int variant_of(const mt_monitor *m)
{
    for (int v = 0; v < 3; v++)
        if (strcmp(m->experiment, specs[v].name) == 0) return v;
    return 0;
}

/* Noise that is a pure function of (variant, task, step). */
static double noise(int variant, int task, long step)
{
    uint64_t h = mt_rng_hash((uint64_t)(variant * 64 + task + 1), (uint64_t)step);
    return (double)(h >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

static double loss_at(const demo_spec *sp, int variant, int t, long s, int val)
{
    double base = sp->floor_[t] + sp->amp[t] * exp(-(double)s / sp->tau[t]);
    double gap = val ? sp->overfit * (double)s / 1000.0 * sp->floor_[t] / 0.3 + 0.02 : 0.0;
    double n = val ? 0.01 * noise(variant, t + 8, s) : 0.03 * noise(variant, t, s);
    return (base + gap) * (1.0 + n);
}

static void fill_matrices(mt_monitor *m, int variant, long s)
{
    const char *const *names = task_names;
    mt_matrix *cos = monitor_matrix(m, "grad cosine", 4, 4, names, names);
    if (cos) {
        double drift = 1.0 - exp(-(double)s / 1500.0);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j <= i; j++) {
                double v;
                if (i == j) {
                    v = 1.0;
                } else {
                    double start = (task_aux[i] != task_aux[j]) ? 0.6 : 0.35;
                    double end = (task_aux[i] && task_aux[j]) ? 0.1 : (task_aux[i] || task_aux[j]) ? -0.25 : 0.2;
                    v = start + (end - start) * drift + 0.05 * noise(variant, 16 + i * 4 + j, s);
                }
                cos->v[i * 4 + j] = cos->v[j * 4 + i] = v;
            }
        }
        cos->lo = -1;
        cos->hi = 1;
        cos->step = s;
        cos->valid = 1;
        monitor_matrix_observe(m, cos);
    }
    mt_matrix *corr = monitor_matrix(m, "loss correlation", 4, 4, names, names);
    if (corr) {
        for (int i = 0; i < 4; i++)
            for (int j = 0; j <= i; j++)
                corr->v[i * 4 + j] = corr->v[j * 4 + i] =
                    i == j ? 1.0 : 0.9 - 0.15 * (i + j) + 0.05 * noise(variant, 40 + i + j, s);
        corr->lo = -1;
        corr->hi = 1;
        corr->step = s;
        corr->valid = 1;
        monitor_matrix_observe(m, corr);
    }
    if (variant == 2) {
        const char *experts[4] = { "e1", "e2", "e3", "e4" };
        mt_matrix *use = monitor_matrix(m, "expert usage", 4, 4, names, experts);
        if (use) {
            for (int i = 0; i < 4; i++) {
                double sum = 0;
                for (int j = 0; j < 4; j++) {
                    double pref = (i % 4 == j) ? 1.0 + (double)s / 2000.0 : 0.4;
                    use->v[i * 4 + j] = pref * (1.0 + 0.1 * noise(variant, 60 + i * 4 + j, s));
                    sum += use->v[i * 4 + j];
                }
                for (int j = 0; j < 4; j++) use->v[i * 4 + j] /= sum;
            }
            use->lo = use->hi = 0; /* automatic scale: sequential */
            use->step = s;
            use->valid = 1;
            monitor_matrix_observe(m, use);
        }
    }
}

void tui_demo_fill(mt_monitor *m, long step)
{
    int variant = variant_of(m);
    const demo_spec *sp = &specs[variant];
    if (step > m->total_steps) step = m->total_steps;
    for (long s = m->step + 1; s <= step; s++) {
        for (int t = 0; t < m->ntasks; t++) {
            series_push(&m->train_loss[t], (double)s, loss_at(sp, variant, t, s, 0));
            double w;
            if (variant == 0) /* uncertainty: sigma settles near sqrt(loss) */
                w = sqrt(sp->floor_[t] + sp->amp[t] * exp(-(double)s / sp->tau[t]));
            else if (variant == 1)
                w = 1.0;
            else
                w = 1.0 + 0.5 * sin((double)s / 400.0 + t) * exp(-(double)s / 3000.0);
            series_push(&m->weight[t], (double)s, w);
            if (s % 50 == 0) {
                series_push(&m->val_loss[t], (double)s, loss_at(sp, variant, t, s, 1));
                series_push(&m->val_metric[t], (double)s, 1.0 - loss_at(sp, variant, t, s, 1) / 3);
            }
        }
        if (s % 25 == 0) fill_matrices(m, variant, s);
        if (s > 0 && s % 500 == 0) {
            monitor_log(m, 1, "step %ld: val item %.3f, group %.3f", s,
                        series_last(&m->val_loss[0]), series_last(&m->val_loss[1]));
            if (s % 1500 == 0)
                monitor_log(m, 2, "step %ld: pixels loss plateaued; consider a smaller weight", s);
        }
    }
    if (step > m->step) m->step = step;
    long per_epoch = m->total_steps / (m->epochs > 0 ? m->epochs : 1);
    m->epoch = (int)(m->step / (per_epoch > 0 ? per_epoch : 1)) + 1;
    if (m->epoch > m->epochs) m->epoch = m->epochs;
    m->samples_per_s = 11800.0 + 900.0 * noise(variant, 99, m->step / 20);
    if (m->step >= m->total_steps) m->state = MT_RUN_FINISHED;
}
