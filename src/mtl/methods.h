/* methods.h - the registry of loss-weighting and gradient-combination
 * methods: the ONLY place that names a method, its family, its one-line
 * description and its parameters (tparam.h: type, default, range, help,
 * and the member of mt_weighting_params / mt_combine_params it sets).
 *
 * Everything else is derived from it: the kind names of weighting.c and
 * combine.c and their parameter defaults and checks, the Lua validation of
 * `weighting = ...` and `mtl.methods.<name>`, `--set weighting.<key>=...`,
 * the workbench's `w` list, the resolved parameters in config.json, the
 * method tables of docs/lua-api.md (`mtlab --list-methods --markdown`;
 * tests/test_mtl_methods.c fails when the checked-in tables differ).
 *
 * Adding a method: an enum value in weighting.h or combine.h, its
 * parameters' members in the family's params struct, one entry in
 * methods.c (and its LibMTL name in method_alias_table there, when it has
 * one), and its implementation. A parameter every combiner takes
 * (issue 14's rep_grad) is one line in COMBINER_COMMON in methods.c;
 * the combiners that are always (mgda_ub, graddrop_rep) or never (moco,
 * db_mtl, excess_mtl: a state per shared parameter) on the representation
 * leave it out. */
#ifndef MT_METHODS_H
#define MT_METHODS_H

#include <stddef.h>
#include "core/status.h"
#include "mtl/tparam.h"

typedef enum {
    MT_METHOD_WEIGHTING, /* weights the losses: one backward pass (weighting.h) */
    MT_METHOD_COMBINER,  /* combines per-task gradients of the shared parameters (combine.h) */
} mt_method_family;

typedef struct {
    const char *name;
    mt_method_family family;
    int kind;                    /* mt_weighting_kind or mt_combine_kind */
    const char *summary;         /* one line: who and what */
    const mt_tparam_def *params; /* terminated by a NULL key */
} mt_method_info;

int method_count(void);
const mt_method_info *method_at(int i); /* registry order: weighting, then combiners */
/* The method a script names: its name or one of its aliases (LibMTL's
 * names: "EW", "UW", "PCGrad", "Nash_MTL", ...), case-insensitive, '-'
 * read as '_'. NULL if unknown. */
const mt_method_info *method_find(const char *name);
/* The method's other names, ", "-separated ("EW"), "" when none; the docs
 * tables and --list-methods show them. */
void method_aliases(const mt_method_info *m, char *buf, size_t n);
const mt_method_info *method_of_kind(mt_method_family f, int kind);
const char *method_family_name(mt_method_family f); /* "weighting", "combiner" */

/* "a, b, c" (or "a, b or c" with `with_or`) of the methods of family f
 * (-1: all) into buf. */
void method_list(int family, int with_or, char *buf, size_t n);
/* The known name closest to a misspelling (within two edits), or NULL. */
const char *method_closest(const char *name);
/* The method called name, or MT_ERR_ARG "unknown method "x" (did you mean
 * y?)" / "(available: ...)". */
mt_status method_lookup(const char *name, const mt_method_info **out);

/* Writes the method's parameters - the given ones, else the defaults - into
 * its family's struct prm (mt_weighting_params or mt_combine_params).
 * Members of other methods are left alone. given may be NULL. */
void method_fill(const mt_method_info *m, const mt_tparams *given, void *prm);
/* Every registered parameter's default into the family's struct (the
 * weighting_params_default / combine_params_default of the C API). */
void method_family_defaults(mt_method_family f, void *prm);
/* Checks every registered member of the family's struct against its
 * range: the method `kind`'s own first ("lr: expected ..."), then the
 * others' ("dwa.temp: expected ..."). */
mt_status method_check_struct(mt_method_family f, int kind, const void *prm);

/* The reference tables of docs/lua-api.md (markdown, ending in a newline):
 * the methods of each family with their parameters, then one row per
 * parameter with default, range and meaning. Returns the length it needs
 * (like snprintf); the text is truncated to n. */
size_t method_markdown(char *buf, size_t n);

#endif
