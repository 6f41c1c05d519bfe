/* report.h - `mtlab report`: run folders as one self-contained HTML file
 * (docs/report.md). */
#ifndef MT_APP_REPORT_H
#define MT_APP_REPORT_H

#include "core/status.h"

/* Writes the report of the run folders dirs (each a run, a folder of a
 * script's runs or a sweep folder) to out, through a temporary file. The
 * relation matrices are shown at steps (nsteps of them; none: the last
 * update). An unreadable or malformed run folder is an error naming the
 * file. */
mt_status report_write(const char *out, const char *const *dirs, int ndirs, const long *steps, int nsteps);

/* mtlab report RUN_DIR... [-o FILE] [--steps LIST]: the exit code. */
int app_report(int argc, char **argv);

#endif
