/* methods.h - the registry of loss-weighting and gradient-combination
 * methods a script can name: their parameters, ranges and defaults. The
 * trainer and the Lua validator both read it, so a method is known in one
 * place. */
#ifndef MT_METHODS_H
#define MT_METHODS_H

typedef enum {
    MT_METHOD_WEIGHTING, /* weights the losses: one backward pass */
    MT_METHOD_COMBINER,  /* combines per-task gradients of the shared parameters */
} mt_method_family;

typedef struct {
    const char *key;
    double dflt, lo, hi;
    const char *help;
} mt_method_param;

typedef struct {
    const char *name;
    mt_method_family family;
    const char *summary;
    const mt_method_param *params; /* terminated by a NULL key */
} mt_method_info;

const mt_method_info *method_info(const char *name); /* NULL if unknown */
int method_known(const char *name);
/* Comma-separated names of every method. */
const char *method_names(void);
/* The known name closest to a misspelling, or NULL. */
const char *method_closest(const char *name);
/* NULL if value is fine for method.key, else why not (static storage). */
const char *method_check_param(const char *method, const char *key, double value);
/* String-valued parameters (MGDA's normalisation "l2", ...): 1 and *out set
 * when `value` names one. */
int method_param_enum(const char *method, const char *key, const char *value, double *out);
int method_count(void);
const mt_method_info *method_at(int i);

#endif
