/* csv.h - a dataset from a CSV file with a header row.
 *
 * Columns are chosen by their header name: some become the input block
 * (in the order given), others task targets, one column per target. A cell
 * of an input column must be a finite number; an empty cell of a target
 * column means "this example lacks that label" (mask 0); a class cell must
 * be a whole number in 0..classes-1 and a binary cell 0 or 1.
 *
 * Format: comma-separated, one record per line, LF or CRLF line ends;
 * blank lines are skipped; spaces around an unquoted field are ignored. A
 * field may be quoted ("a, b"), with "" standing for a quote inside it; a
 * quoted field cannot span lines. Columns not named are ignored (they may
 * hold anything).
 *
 * Errors name the file, the line (1 = the header) and the column (name and
 * 1-based position):
 *   "data.csv: no column named 'income'"
 *   "data.csv:4: 3 fields, header has 5"
 *   "data.csv:7: column 'age' (3): expected a number, got 'abc'" */
#ifndef MT_CSV_H
#define MT_CSV_H

#include "dataset.h"

typedef struct {
    const char *column;  /* header name of the column */
    mt_target_kind kind; /* MT_TARGET_CLASS, _REGRESS or _BINARY; dim 1 */
    int classes;         /* MT_TARGET_CLASS: class count; 0 = largest label + 1 (at least 2) */
    const char *name;    /* target name; NULL = the column name */
} csv_target;

/* Fills ds (initialised; freed first) from path: x (rows, ninputs) from the
 * input columns, one target per spec. On error ds is left empty. */
mt_status csv_load(mt_dataset *ds, const char *path, const char *const *inputs, int ninputs,
                   const csv_target *targets, int ntargets);

#endif
