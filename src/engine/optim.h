/* optim.h - optimizers, gradient clipping and learning-rate schedules.
 *
 * An optimizer updates a flat float vector from its gradient:
 *
 *   mt_optim_config cfg = optim_defaults(MT_OPTIM_ADAMW);
 *   cfg.lr = 1e-3f; cfg.weight_decay = 0.01f; cfg.clip_norm = 1.0f;
 *   mt_optim o;
 *   optim_init(&o, &cfg, graph_params(g)->total);
 *   ... each step: zero grads, forward, backward, then
 *   optim_step_params(&o, graph_params(g));
 *   optim_free(&o);
 *
 * optim_init allocates the state (two floats per element); optim_step*
 * never allocate. The same optimizer can drive any float array with its
 * own state, e.g. a second small optimizer for learned loss weights
 * (uncertainty weighting, GradNorm): optim_init(&ow, &cfg, ntasks) then
 * optim_step(&ow, w, dw, NULL).
 *
 * The update formulas are PyTorch's (torch.optim.SGD, Adam, AdamW):
 *
 *   SGD:   g = grad + wd*p            (only where decay applies)
 *          b = g on the first step, else b = mu*b + (1-dampening)*g
 *          g = nesterov ? g + mu*b : b          (when mu > 0)
 *          p = p - lr*g
 *   Adam:  g = grad + wd*p            (L2, only where decay applies)
 *          m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;  t = t+1
 *          p = p - lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)
 *   AdamW: p = p*(1 - lr*wd)          (decoupled, only where decay applies)
 *          then Adam with g = grad.
 *   RMSprop (torch.optim.RMSprop, centered = False):
 *          g = grad + wd*p;  v = alpha*v + (1-alpha)*g^2
 *          mu = 0:  p = p - lr * g / (sqrt(v) + eps)
 *          mu > 0:  b = mu*b + g / (sqrt(v) + eps);  p = p - lr*b
 *   Adagrad (torch.optim.Adagrad, initial accumulator 0):
 *          g = grad + wd*p;  v = v + g^2;  t = t+1
 *          p = p - lr / (1 + (t-1)*lr_decay) * g / (sqrt(v) + eps)
 * The state is the same two buffers for every kind: m (momentum or first
 * moment; RMSprop's b) and v (second moment, RMSprop's running mean of
 * g^2, Adagrad's sum of g^2), so a checkpoint round-trips any kind.
 *
 * "Where decay applies": per element, a decay mask (1 = decay); for the
 * params-aware step, mt_param_info.decay (matrices yes, biases no).
 *
 * Gradient clipping (cfg.clip_norm > 0) rescales the gradient used by the
 * update, never the caller's buffer, by max_norm/norm when the global L2
 * norm exceeds max_norm, so the clipped gradient has norm max_norm. */
#ifndef MT_OPTIM_H
#define MT_OPTIM_H

#include <stddef.h>
#include "core/status.h"
#include "engine/params.h"

typedef enum {
    MT_OPTIM_SGD,
    MT_OPTIM_ADAM,
    MT_OPTIM_ADAMW,
    MT_OPTIM_RMSPROP,
    MT_OPTIM_ADAGRAD,
    MT_OPTIM_KIND_COUNT
} mt_optim_kind;

typedef enum { MT_SCHED_CONSTANT, MT_SCHED_STEP, MT_SCHED_COSINE, MT_SCHED_PLATEAU, MT_SCHED_KIND_COUNT } mt_sched_kind;

/* Learning rate as a function of the step s = 0, 1, 2, ... (the number of
 * updates already made), with base rate lr:
 *
 *   warm-up (s < warmup):  lr * (s+1) / warmup
 *   then, with k = s - warmup:
 *     constant  lr
 *     step      lr * gamma^floor(k / step_size)
 *     cosine    min_lr + (lr - min_lr) * (1 + cos(pi * k / (total - warmup))) / 2
 *               for k < total - warmup, min_lr afterwards
 *     plateau   lr (as constant: the caller lowers lr itself when
 *               optim_plateau_step says so, see below)
 *
 * `total` counts every step including the warm-up. */
typedef struct {
    mt_sched_kind kind;
    int warmup;     /* linear warm-up steps; 0 = none */
    int step_size;  /* step: decay every step_size steps (> 0) */
    float gamma;    /* step: multiplicative factor (> 0) */
    int total;      /* cosine: total steps (> warmup) */
    float min_lr;   /* cosine: final rate (>= 0); plateau: the floor */
    int patience;   /* plateau: evaluations without improvement tolerated */
    float threshold; /* plateau: relative improvement that counts (>= 0) */
} mt_schedule;

/* Reduce-on-plateau (PyTorch's ReduceLROnPlateau, mode "min", relative
 * threshold, no cooldown): a value improves when it is below
 * best (1 - threshold); after more than `patience` values in a row
 * without improvement the rate is to be multiplied by gamma (not below
 * min_lr), and the count starts again. Start with best = +inf, bad = 0. */
typedef struct {
    double best;
    int bad;
} mt_plateau;

void optim_plateau_init(mt_plateau *p);
/* Takes the next monitored value (a NaN never improves); returns 1 when
 * the rate should be reduced now. */
int optim_plateau_step(mt_plateau *p, double value, double threshold, int patience);

typedef struct {
    mt_optim_kind kind;
    float lr;           /* base learning rate (>= 0) */
    float weight_decay; /* >= 0: L2 for SGD/Adam, decoupled for AdamW */
    /* SGD */
    float momentum;  /* mu >= 0; 0 = plain SGD */
    float dampening; /* in [0, 1) */
    int nesterov;    /* needs momentum > 0 and dampening == 0 (as PyTorch) */
    /* Adam, AdamW */
    float beta1, beta2; /* in [0, 1) */
    float eps;          /* > 0 (Adam, AdamW, RMSprop, Adagrad) */
    float alpha;        /* RMSprop: smoothing of v, in [0, 1) */
    float lr_decay;     /* Adagrad: >= 0 */
    /* both */
    float clip_norm;    /* > 0: clip the global gradient L2 norm to this */
    mt_schedule sched;
} mt_optim_config;

/* The most updates a counter (t, step) may hold: 1e15, far beyond any run,
 * so t + 1 never overflows and (double)t is exact. A checkpoint claiming
 * more is refused. */
#define OPTIM_MAX_STEPS 1000000000000000L

typedef struct {
    mt_optim_config cfg;
    size_t n;        /* elements updated by each step */
    float *m;        /* (n) owned: momentum buffer (SGD, RMSprop) or first moment (Adam) */
    float *v;        /* (n) owned: second moment (Adam, RMSprop; Adagrad's sum); kept
                        for SGD too so that switching kinds live never allocates */
    long t;          /* updates since the last state reset (Adam bias correction,
                        SGD "first step") */
    long step;       /* updates since init: the schedule position */
    float last_lr;   /* learning rate used by the last step */
    float last_norm; /* pre-clip global gradient norm of the last step
                        (computed only when clip_norm > 0, else -1) */
} mt_optim;

/* PyTorch's defaults for the kind: lr 1e-3 (Adam/AdamW) or 1e-2 (SGD,
 * RMSprop, Adagrad), betas (0.9, 0.999), eps 1e-8 (Adagrad 1e-10), RMSprop
 * alpha 0.99, Adagrad lr_decay 0, AdamW weight decay 1e-2 (0 for the
 * others), no momentum, no clipping, constant schedule. */
mt_optim_config optim_defaults(mt_optim_kind kind);

/* Checks every field; MT_ERR_ARG naming the field and value otherwise
 * ("optim: beta2 = 1.5 not in [0, 1)"). */
mt_status optim_config_check(const mt_optim_config *cfg);

/* Validates cfg and allocates zeroed state for n elements. On failure `o`
 * is left empty (safe to optim_free). */
mt_status optim_init(mt_optim *o, const mt_optim_config *cfg, size_t n);
void optim_free(mt_optim *o);

/* Replaces the settings live (validated first; on error nothing changes).
 * Switching kind (e.g. SGD -> Adam) resets the state, since the buffers
 * mean different things; other changes keep it. The schedule position is
 * kept. */
mt_status optim_set_config(mt_optim *o, const mt_optim_config *cfg);

/* Zeroes the moments and the bias-correction counter t; keeps the schedule
 * position `step`. */
void optim_reset_state(mt_optim *o);

/* One update of data (n) from grad (n), n as given to optim_init.
 * decay (n) may be NULL: then weight decay, if any, applies everywhere.
 * Returns MT_ERR_NUMERIC (nothing updated) if the gradient norm is not
 * finite when clipping is on. No allocation. */
mt_status optim_step(mt_optim *o, float *data, const float *grad, const unsigned char *decay);

/* One update of every parameter of p, decay from each parameter's info;
 * needs o->n == p->total. No allocation. */
mt_status optim_step_params(mt_optim *o, mt_params *p);

/* The learning rate at schedule position `step` for base rate lr. */
float optim_schedule_lr(const mt_schedule *s, float lr, long step);

/* Global L2 norm of g (n), accumulated in double. */
double optim_grad_norm(const float *g, size_t n);

/* Scales g (n) in place by max_norm/norm when its norm exceeds max_norm;
 * returns the norm before clipping. */
double optim_clip_grad_norm(float *g, size_t n, double max_norm);

/* "sgd", "adam", "adamw", "rmsprop", "adagrad" / "constant", "step",
 * "cosine", "plateau". */
const char *optim_kind_name(mt_optim_kind k);
const char *optim_sched_name(mt_sched_kind k);

#endif
