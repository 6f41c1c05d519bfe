/* csv.h - a dataset from a delimited text file (CSV, TSV, semicolons, or
 * columns separated by runs of spaces).
 *
 * Columns are chosen by name: some become the input block (in the order
 * given), others task targets, one column per target. The names are the
 * header's (the first line read), or, for a file without a header, the
 * ones given (csv_format.columns) or the 1-based positions "1", "2", ...
 *
 * A cell of an input column must be a finite number. An empty cell (or
 * NA) of a target column means "this example lacks that label" (mask 0).
 * A class column holds whole numbers 0..classes-1, or text labels: when a
 * cell of it is not a number, every distinct cell becomes a class, indexed
 * in sorted (byte) order, and the names are kept in the target's labels.
 * A binary cell is 0 or 1. A target whose kind was not given (guess) is a
 * regression target when every cell is a number and a class target when
 * one is text.
 *
 * Format: one record per line, LF or CRLF line ends; blank lines are
 * skipped; spaces around an unquoted field are ignored. The separator is
 * ',', ';', '\t' or ' ' (one or more spaces or tabs, as in R's and
 * numpy's whitespace-delimited files), given or detected from the first
 * lines: the one of , ; TAB that occurs equally often (and at least once)
 * on each of the first five lines, the most frequent winning (but tabs
 * among runs of spaces that split every line into more words count as
 * spaces); else runs of spaces when the first line has several words;
 * else ','. A field may be
 * quoted ("a, b"), with "" standing for a quote inside it; a quoted field
 * cannot span lines. Columns not named are ignored (they may hold anything).
 *
 * Errors name the file, the line (1 = the file's first line) and the
 * column (name and 1-based position):
 *   "data.csv: no column named 'income' (the header has: id, age, inc; separator ',')"
 *   "data.csv:4: 3 fields, header has 5"
 *   "data.csv:7: column 'age' (3): expected a number, got 'abc'" */
#ifndef MT_CSV_H
#define MT_CSV_H

#include "dataset.h"

typedef struct {
    const char *column;  /* name of the column */
    mt_target_kind kind; /* MT_TARGET_CLASS, _REGRESS or _BINARY; dim 1 */
    int classes;         /* MT_TARGET_CLASS: class count; 0 = from the labels (at least 2) */
    const char *name;    /* target name; NULL = the column name */
    int guess;           /* 1: kind not given; text cells make it a class target, else regression */
} csv_target;

typedef struct {
    char sep;      /* ',', ';', '\t', ' ' (runs of spaces and tabs), or 0: detected */
    int skip;      /* lines skipped at the start, before the header (or the first record) */
    int no_header; /* 1: the first line read is a record; columns named by `columns`, else "1", "2", ... */
    const char *const *columns; /* no_header: the names of the columns, in order (NULL: by position) */
    int ncolumns;
    char sep_used; /* out: the separator read with */
} csv_format;

/* Fills ds (initialised; freed first) from path: x (rows, ninputs) from the
 * input columns, one target per spec. fmt NULL: detected separator, a
 * header, nothing skipped. On error ds is left empty. */
mt_status csv_load_fmt(mt_dataset *ds, const char *path, csv_format *fmt, const char *const *inputs, int ninputs,
                       const csv_target *targets, int ntargets);
/* csv_load_fmt with fmt NULL. */
mt_status csv_load(mt_dataset *ds, const char *path, const char *const *inputs, int ninputs,
                   const csv_target *targets, int ntargets);

/* "comma", "semicolon", "tab", "spaces": the separator's name for messages
 * and config.json. */
const char *csv_sep_name(char sep);

#endif
