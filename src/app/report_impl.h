/* report_impl.h - what the parts of `mtlab report` share: the report being
 * written (its runs as read from their folders) and the small writers.
 * report.c reads the folders and writes the tables; report_pictures.c
 * writes the pictures (curves, Pareto, landscape, matrices, topology). */
#ifndef MT_REPORT_IMPL_H
#define MT_REPORT_IMPL_H

#include <cJSON.h>
#include <stdio.h>
#include "core/status.h"
#include "run/runread.h"

#define REPORT_MAX_RUNS 256
#define REPORT_MAX_STEPS 16

typedef struct {
    int n;
    char (*dir)[1024];     /* (n) each run's folder */
    mt_recorded **rec;     /* (n) owned */
    mt_monitor **mon;      /* (n) borrowed from rec */
    mt_run_result *res;    /* (n) the numbers, with name = the run's label */
    cJSON **cfg, **sum;    /* (n) config.json and summary.json (NULL when absent) */
    long steps[REPORT_MAX_STEPS];
    int nsteps;            /* matrices at these steps (0: the last update) */
    const char *const *args;
    int nargs;
} report;

/* writes one picture (an SVG document) to f */
typedef mt_status (*picture_fn)(FILE *f, const void *ud);

/* s as HTML text (escaped) */
void report_esc(FILE *f, const char *s);
/* the picture fn(ud) placed inline (without its XML prolog) in a <div class="cls"> */
mt_status report_inline_svg(FILE *f, picture_fn fn, const void *ud, const char *cls);
const cJSON *report_jget(const cJSON *o, const char *key);
const char *report_jstr(const cJSON *o, const char *key, const char *dflt);
/* the colour swatch of run i */
void report_swatch(FILE *f, int i);

/* the sections of report_pictures.c, in the page's order */
mt_status report_curves(FILE *f, const report *r);
mt_status report_pareto(FILE *f, const report *r);
mt_status report_landscape(FILE *f, const report *r);
mt_status report_matrices(FILE *f, report *r, int mixing);
mt_status report_topology(FILE *f, const report *r);
/* whether run i recorded a landscape path; whether any run has a matrix of
 * the mixing (1) or the relations (0) kind */
int report_is_path_run(const report *r, int i);
int report_any_matrix(const report *r, int mixing);

#endif
