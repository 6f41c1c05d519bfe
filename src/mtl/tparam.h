/* tparam.h - typed named parameters: the one schema of every loss-weighting
 * and gradient-combination method (methods.h), topology class and
 * regulariser (topology.h) and data source (src/lua/data_sources.c).
 *
 * An owner (a method, a class, a data constructor) lists its parameters in
 * a NULL-key-terminated array of mt_tparam_def: name, type, default, range,
 * choices and one line of help. From that one array come
 *   - validation of a script's table (src/lua/validate.c: vtparams), with
 *     messages that name the field and suggest the closest name;
 *   - the values the owner reads (tparam_num, tparam_list, tparam_text),
 *     the script's or the default;
 *   - for methods, the C parameter struct (tparam_fill via `field`) and its
 *     range check (tparam_check_struct);
 *   - the resolved record in config.json and the reference tables in the
 *     docs.
 * A value set (mt_tparams) stores only what was given (or resolved by the
 * owner); defaults are read from the definitions. */
#ifndef MT_TPARAM_H
#define MT_TPARAM_H

#include <stddef.h>
#include "core/limits.h"
#include "core/status.h"

#define MT_TPARAM_MAX 16      /* values per owner */
#define MT_TPARAM_LISTMAX MT_MAX_TASKS /* entries of a list value (one per task at most) */
#define MT_TPARAM_LISTDEF 8   /* ... unless `maxlen` says otherwise (one per layer) */
#define MT_TPARAM_TEXT 256    /* bytes of a string value (a path), with the NUL */

typedef enum {
    MT_TP_NUMBER,   /* a real in [lo, hi] */
    MT_TP_INT,      /* an integer in [lo, hi] */
    MT_TP_BOOL,
    MT_TP_INTS,     /* a list of integers in [lo, hi] (or one integer), up to `maxlen` */
    MT_TP_NUMBERS,  /* a list of reals in [lo, hi] (or one real), up to `maxlen` */
    MT_TP_CHOICE,   /* one of `choices` ("a|b|c") by name, or its index 0..n-1; stored as the index */
    MT_TP_STRING,   /* free text up to MT_TPARAM_TEXT - 1 characters; default `text` */
    MT_TP_TABLE,    /* a Lua table the owner reads itself (rows of data, a matrix); not stored */
    MT_TP_FUNCTION, /* a Lua function (a generator); not stored */
} mt_tparam_type;

/* flags */
#define MT_TPF_REQUIRED 1u /* a script must give it */
#define MT_TPF_DERIVED 2u  /* the default depends on other fields; `help` says how (the owner
                              resolves it, and may store the result with tparam_set_*) */

/* `field` says where tparam_fill stores the value in an owner's C struct:
 * MT_FIELD_DOUBLE(type, member) for NUMBER, MT_FIELD_INT(type, member) for
 * INT, BOOL and CHOICE. A member of another C type does not compile.
 * 0 = not stored in a struct (the owner reads values by key). */
#define MT_TPFIELD_DOUBLE 1u
#define MT_TPFIELD_INT 2u
#define MT_FIELD_DOUBLE(T, m) \
    ((unsigned)(offsetof(T, m) << 2 | MT_TPFIELD_DOUBLE) + 0 * sizeof(char[_Generic(((T *)0)->m, double: 1, default: -1)]))
#define MT_FIELD_INT(T, m) \
    ((unsigned)(offsetof(T, m) << 2 | MT_TPFIELD_INT) + 0 * sizeof(char[_Generic(((T *)0)->m, int: 1, default: -1)]))

typedef struct {
    const char *key;
    mt_tparam_type type;
    double dflt, lo, hi;  /* dflt: NUMBER, INT, BOOL (0/1), CHOICE (index), one value of a list */
    const char *choices;  /* MT_TP_CHOICE: "l1/l2|l1/linf|dirty" */
    const char *help;     /* one line */
    const char *text;     /* MT_TP_STRING: the default (NULL = "") */
    unsigned flags;       /* MT_TPF_* */
    unsigned field;       /* MT_FIELD_* or 0 */
    int maxlen;           /* lists: most entries, <= MT_TPARAM_LISTMAX; 0 = MT_TPARAM_LISTDEF */
} mt_tparam_def;

/* Values given by a script (defaults are not stored: read with the
 * accessors below, which fall back to the definition's default). */
typedef struct {
    int n;
    char key[MT_TPARAM_MAX][24];
    mt_tparam_type type[MT_TPARAM_MAX];
    double num[MT_TPARAM_MAX];                      /* NUMBER, INT, BOOL, CHOICE */
    double list[MT_TPARAM_MAX][MT_TPARAM_LISTMAX];  /* INTS, NUMBERS */
    int nlist[MT_TPARAM_MAX];
    char str[MT_TPARAM_MAX][MT_TPARAM_TEXT];        /* STRING */
} mt_tparams;

/* ---- reading ------------------------------------------------------------ */

const mt_tparam_def *tparam_def(const mt_tparam_def *defs, const char *key);
int tparam_count(const mt_tparam_def *defs);
/* 1 when the value set holds key (given by the script or resolved). */
int tparam_given(const mt_tparams *p, const char *key);
/* The value or the default (NAN for an unknown key). */
double tparam_num(const mt_tparams *p, const mt_tparam_def *defs, const char *key);
/* The most entries a list of d may have. */
int tparam_maxlen(const mt_tparam_def *d);
/* Copies a list into out (max entries); returns its length (0 if unset). */
int tparam_list(const mt_tparams *p, const char *key, double *out, int max);
const char *tparam_str(const mt_tparams *p, const char *key, const char *dflt);
/* A string value or its definition's default text. */
const char *tparam_text(const mt_tparams *p, const mt_tparam_def *defs, const char *key);

/* ---- writing ------------------------------------------------------------ */

/* Stores a value (replacing one with the same key); MT_ERR_ARG if full. */
mt_status tparam_set_num(mt_tparams *p, const char *key, mt_tparam_type type, double v);
mt_status tparam_set_list(mt_tparams *p, const char *key, mt_tparam_type type, const double *v, int n);
mt_status tparam_set_str(mt_tparams *p, const char *key, const char *v);

/* ---- choices ------------------------------------------------------------ */

int tparam_choice_count(const mt_tparam_def *d);
/* The i-th alternative of d->choices into out ("?" when out of range). */
void tparam_choice_name(const mt_tparam_def *d, int i, char *out, size_t n);
/* The index of name among d->choices, or -1. */
int tparam_choice_index(const mt_tparam_def *d, const char *name);
/* "a, b, c" into out. */
void tparam_choice_list(const mt_tparam_def *d, char *out, size_t n);

/* ---- checking ----------------------------------------------------------- */

/* Checks one number against its definition (an entry, for lists); NULL if
 * fine, else "expected ..., got v" (static storage). The same words as the
 * Lua validators' for the same kind of field. */
const char *tparam_check(const mt_tparam_def *d, double v);
/* Checks every stored value of p: a known key ("<prefix>.<key>: <owner>
 * takes no such parameter"), and the value against its definition
 * ("<prefix>.<key>: expected ..."). prefix may be "" or NULL. */
mt_status tparam_validate(const mt_tparams *p, const mt_tparam_def *defs, const char *prefix, const char *owner);

/* Checks a parameter list itself, for the registries' tests: at most
 * MT_TPARAM_MAX entries, unique keys that fit mt_tparams, help text, a
 * non-empty range, two or more distinct choices, list lengths within
 * MT_TPARAM_LISTMAX, and every plain default inside its range.
 * MT_ERR_ARG "<owner>.<key>: ..." naming the first fault. */
mt_status tparam_lint(const mt_tparam_def *defs, const char *owner);

/* ---- parameter structs (methods) -------------------------------------- */

/* Writes every parameter of defs that has a `field` into the struct at
 * dst: the value of p (may be NULL) or the default. */
void tparam_fill(const mt_tparam_def *defs, const mt_tparams *p, void *dst);
/* The value of d's field in the struct at src (NAN when d has no field). */
double tparam_field_value(const mt_tparam_def *d, const void *src);
/* Checks the fields of defs in the struct at src; the first bad one is
 * MT_ERR_ARG "<prefix><key>: expected ..., got v". */
mt_status tparam_check_struct(const mt_tparam_def *defs, const void *src, const char *prefix);

/* ---- text --------------------------------------------------------------- */

/* The default as a script would write it: 0.025, "l2", true, "" ; for a
 * derived default, "-" (the help says what). */
void tparam_default_text(const mt_tparam_def *d, char *out, size_t n);
/* The value of d (given or default) for messages and `mtlab check`:
 * 0.025, l2, true, {3,4}, text unquoted; a derived default that was not
 * resolved is "(derived)". */
void tparam_value_text(const mt_tparams *p, const mt_tparam_def *d, char *out, size_t n);
/* "key=value, ..." of every stored parameter of defs (the given ones and
 * the defaults). Returns the bytes written (truncated to n). */
size_t tparam_format(const mt_tparams *p, const mt_tparam_def *defs, char *buf, size_t n);
/* "lo..hi" / "[lo, hi]" / "a, b, c" / "" : the allowed values, for docs. */
void tparam_range_text(const mt_tparam_def *d, char *out, size_t n);

/* ---- markdown: the reference tables of the docs ----------------------- */

/* An appending writer that counts what the whole text needs (w), so a
 * caller can size its buffer like snprintf's; text beyond n is dropped and
 * buf stays terminated. buf may be NULL when n is 0. */
typedef struct {
    char *buf;
    size_t n, w;
} mt_md;

void tparam_md_printf(mt_md *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text with the characters markdown would read as markup escaped. */
void tparam_md_text(mt_md *o, const char *s);
/* "`lr` 0.025, `opt` "adam"": each parameter with its default. */
void tparam_md_defaults(mt_md *o, const mt_tparam_def *defs);
/* One row per parameter: | owner | `key` | default | allowed | meaning |
 * (the header is the caller's). */
void tparam_md_rows(mt_md *o, const char *owner, const mt_tparam_def *defs);
/* The same as plain text lines "      key = default   allowed   meaning"
 * (`mtlab --list-methods`, `--list-data`). */
void tparam_text_rows(mt_md *o, const mt_tparam_def *defs);

#endif
