/* csv.c - the CSV reader: a line tokenizer and typed columns. */
#include "csv.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* One tokenised line: fields point into buf (unescaped, NUL-terminated). */
typedef struct {
    char *buf; /* (cap) owned */
    size_t cap;
    int *start; /* (fcap) offsets into buf, owned */
    size_t fcap;
    int n;
} fields;

static void fields_free(fields *f)
{
    mt_free(f->buf);
    mt_free(f->start);
}

static const char *field(const fields *f, int i) { return f->buf + f->start[i]; }

static int is_blank_char(char c) { return c == ' ' || c == '\t'; }

/* Splits line [p, end) into fields separated by sep (' ': runs of spaces
 * and tabs). `path` and `lineno` are for messages. */
static mt_status split_line(fields *f, const char *p, const char *end, char sep, const char *path, int lineno)
{
    size_t need = (size_t)(end - p) + 1;
    if (mt_grow((void **)&f->buf, &f->cap, need + 1, 1)) return MT_ERR_NOMEM;
    char *o = f->buf;
    f->n = 0;
    int ws = sep == ' ';
    /* around a field: spaces, and tabs unless they separate */
#define PAD(c) ((c) == ' ' || ((c) == '\t' && sep != '\t'))
    while (ws && p < end && is_blank_char(*p)) p++;
    for (;;) {
        if (mt_grow((void **)&f->start, &f->fcap, (size_t)f->n + 1, sizeof(int)))
            return MT_ERR_NOMEM;
        f->start[f->n++] = (int)(o - f->buf);
        while (p < end && PAD(*p)) p++;
        if (p < end && *p == '"') {
            p++;
            for (;;) {
                if (p >= end)
                    return mt_fail(MT_ERR_FORMAT, "%s:%d: field %d: unterminated quote", path,
                                   lineno, f->n);
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        *o++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *o++ = *p++;
            }
            if (!ws)
                while (p < end && PAD(*p)) p++;
            if (p < end && (ws ? !is_blank_char(*p) : *p != sep))
                return mt_fail(MT_ERR_FORMAT, "%s:%d: field %d: text after the closing quote", path,
                               lineno, f->n);
        } else {
            char *fs = o;
            while (p < end && (ws ? !is_blank_char(*p) : *p != sep)) *o++ = *p++;
            while (o > fs && PAD(o[-1])) o--;
        }
        *o++ = '\0';
        if (ws) {
            while (p < end && is_blank_char(*p)) p++;
            if (p >= end) break;
        } else {
            if (p >= end) break;
            p++; /* the separator */
        }
    }
#undef PAD
    return MT_OK;
}

/* The next line of [*pos, end): sets [*ls, *le) without the line end
 * (LF or CRLF) and advances *pos. 0 at the end of the text. */
static int next_line(const char **pos, const char *end, const char **ls, const char **le)
{
    if (*pos >= end) return 0;
    const char *p = *pos, *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    *pos = nl ? nl + 1 : end;
    if (e > p && e[-1] == '\r') e--;
    *ls = p;
    *le = e;
    return 1;
}

static int blank(const char *p, const char *e)
{
    for (; p < e; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r') return 0;
    return 1;
}

static mt_status read_file(const char *path, char **text, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return mt_fail(MT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = mt_alloc(cap);
    while (buf) {
        if (n == cap) {
            char *nb = mt_realloc(buf, cap * 2);
            if (!nb) {
                mt_free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        errno = 0;
        size_t r = fread(buf + n, 1, cap - n, fp);
        n += r;
        if (r == 0) break;
    }
    int err = ferror(fp) ? (errno ? errno : EIO) : 0;
    fclose(fp);
    if (!buf) return MT_ERR_NOMEM;
    if (err) {
        mt_free(buf);
        return mt_fail(MT_ERR_IO, "%s: read failed: %s", path, strerror(err));
    }
    *text = buf;
    *len = n;
    return MT_OK;
}

/* A finite number filling the whole cell: 1 if so, 0 if not a number,
 * -1 if it is a number a float32 cannot hold (1e39 would become Inf and
 * surface much later as a "diverged" run). Values too small for a float
 * become 0 as they always do. */
static int parse_number(const char *s, double *v)
{
    if (!*s) return 0;
    char *e;
    errno = 0;
    *v = strtod(s, &e);
    if (*e != '\0' || !isfinite(*v)) return 0;
    if (fabs(*v) > FLT_MAX) return -1;
    if (errno == ERANGE) *v = 0.0; /* underflow */
    return 1;
}

static mt_status number_error(int r, const char *path, int lineno, const char *colname, int col,
                              const char *cell)
{
    if (r < 0)
        return mt_fail(MT_ERR_FORMAT, "%s:%d: column '%s' (%d): %s does not fit in a float32 (at most %g)",
                       path, lineno, colname, col + 1, cell, (double)FLT_MAX);
    return mt_fail(MT_ERR_FORMAT, "%s:%d: column '%s' (%d): expected a number, got '%s'", path, lineno,
                   colname, col + 1, cell);
}

/* What a class column held, for the message about a label too large. */
typedef struct {
    int lo, hi, seen;      /* range of the labels within MT_MAX_CLASSES */
    int big_line, nbig;    /* first line with a label beyond it, and how many */
    char big[32];          /* that label, as written */
} class_range;

/* The distinct cells of a class (or guessed) column, by first appearance,
 * found through an open-addressing hash; and the id of each row's cell. A
 * column is text when one of its cells is not a number. */
typedef struct {
    char **name;    /* (n) owned strings */
    int n, cap;
    int *slot;      /* (nslot) id + 1, 0 = empty */
    size_t nslot;
    int *row;       /* (rows) the id of the row's cell, -1 = missing */
    int text;       /* a cell was not a number */
    int text_line;  /* where the first such cell was */
    char first_text[32];
    mt_status pending; /* a numeric check that failed: reported only if the column is not text */
    char pending_msg[512];
} label_table;

static void labels_free(label_table *lt)
{
    for (int i = 0; i < lt->n; i++) mt_free(lt->name[i]);
    mt_free(lt->name);
    mt_free(lt->slot);
    mt_free(lt->row);
}

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The id of cell in lt (added when new); -1 when out of memory. */
static int label_id(label_table *lt, const char *cell)
{
    if ((size_t)(lt->n + 1) * 2 > lt->nslot) { /* keep the table at most half full */
        size_t ns = lt->nslot ? lt->nslot * 2 : 64;
        int *sl = mt_calloc(ns, sizeof *sl);
        if (!sl) return -1;
        for (int i = 0; i < lt->n; i++) {
            size_t h = hash_str(lt->name[i]) & (ns - 1);
            while (sl[h]) h = (h + 1) & (ns - 1);
            sl[h] = i + 1;
        }
        mt_free(lt->slot);
        lt->slot = sl;
        lt->nslot = ns;
    }
    size_t h = hash_str(cell) & (lt->nslot - 1);
    while (lt->slot[h]) {
        if (strcmp(lt->name[lt->slot[h] - 1], cell) == 0) return lt->slot[h] - 1;
        h = (h + 1) & (lt->nslot - 1);
    }
    if (lt->n == lt->cap) {
        int nc = lt->cap ? lt->cap * 2 : 16;
        char **nn = mt_realloc(lt->name, (size_t)nc * sizeof *nn);
        if (!nn) return -1;
        lt->name = nn;
        lt->cap = nc;
    }
    size_t len = strlen(cell) + 1;
    char *copy = mt_alloc(len);
    if (!copy) return -1;
    memcpy(copy, cell, len);
    lt->name[lt->n] = copy;
    lt->slot[h] = lt->n + 1;
    return lt->n++;
}

typedef struct {
    int col;      /* 0-based column in the file */
    mt_target *t; /* NULL for inputs */
    int tindex;
} column_use;

/* The header's names for a message: "a, b, c" (the first 24, then how
 * many in all). */
static void header_list(const fields *hdr, char *out, size_t n)
{
    size_t w = 0;
    out[0] = '\0';
    for (int i = 0; i < hdr->n && w + 1 < n; i++) {
        int r = i < 24 ? snprintf(out + w, n - w, "%s%s", i ? ", " : "", field(hdr, i))
                       : snprintf(out + w, n - w, ", ... (%d columns)", hdr->n);
        if (r > 0) w += (size_t)r < n - w ? (size_t)r : n - w - 1;
        if (i >= 24) break;
    }
}

const char *csv_sep_name(char sep)
{
    return sep == ',' ? "comma" : sep == ';' ? "semicolon" : sep == '\t' ? "tab" : sep == ' ' ? "spaces" : "?";
}

static mt_status find_column(const fields *hdr, const char *name, const char *path, char sep, int no_header,
                             int *col)
{
    *col = -1;
    for (int i = 0; i < hdr->n; i++)
        if (strcmp(field(hdr, i), name) == 0) {
            if (*col >= 0)
                return mt_fail(MT_ERR_FORMAT,
                               "%s: column '%s' appears twice in the header (%d and %d)", path,
                               name, *col + 1, i + 1);
            *col = i;
        }
    if (*col >= 0) return MT_OK;
    char list[640];
    header_list(hdr, list, sizeof list);
    /* a header of numbers is a first line of data, or a line to skip */
    int numeric = 0, text = 0;
    for (int i = 0; i < hdr->n; i++) {
        double v;
        if (!*field(hdr, i)) continue;
        if (parse_number(field(hdr, i), &v) != 0) numeric++;
        else text++;
    }
    numeric = numeric > 0 && !text;
    const char *hint = no_header ? ""
                       : numeric ? "; that header is numbers: skip = N skips leading lines, header = false reads "
                                   "a file without one"
                                 : "";
    return mt_fail(MT_ERR_ARG, "%s: no column named '%s' (%s: %s; separator: %s%s)", path, name,
                   no_header ? "the columns are" : "the header has", list, csv_sep_name(sep), hint);
}

/* Parses one target cell into row `r` of target t. A class label beyond
 * MT_MAX_CLASSES is noted in cr (reported once the column is read); a
 * class (or guessed) column's cells go into lt, where text ones make it a
 * text column. */
static mt_status target_cell(mt_dataset *ds, int ti, const csv_target *spec, int r,
                             const char *cell, const char *path, int lineno, int col,
                             const char *colname, class_range *cr, label_table *lt)
{
    mt_target *t = &ds->targets[ti];
    if (!*cell || strcmp(cell, "NA") == 0) {
        unsigned char *m = dataset_target_mask(ds, ti);
        if (!m) return MT_ERR_NOMEM;
        m[r] = 0;
        if (lt->row) lt->row[r] = -1;
        return MT_OK;
    }
    double v;
    int pr = parse_number(cell, &v), ok = pr == 1;
    if (lt->row) {
        int id = label_id(lt, cell);
        if (id < 0) return MT_ERR_NOMEM;
        lt->row[r] = id;
        if (pr == 0 && !lt->text) {
            lt->text = 1;
            lt->text_line = lineno;
            snprintf(lt->first_text, sizeof lt->first_text, "%s", cell);
        }
        if (lt->text) return MT_OK; /* indices come at the end, from the sorted labels */
    }
    if (t->kind == MT_TARGET_REGRESS) {
        if (!ok) return number_error(pr, path, lineno, colname, col, cell);
    } else if (t->kind == MT_TARGET_BINARY) {
        if (!ok || (v != 0.0 && v != 1.0))
            return mt_fail(MT_ERR_FORMAT, "%s:%d: column '%s' (%d): expected 0 or 1, got '%s'",
                           path, lineno, colname, col + 1, cell);
    } else {
        mt_status st = MT_OK;
        if ((!ok && pr != -1) || v != floor(v) || v < 0)
            st = mt_fail(MT_ERR_FORMAT, "%s:%d: column '%s' (%d): expected a class index (0, 1, ...) or a text label, got '%s'",
                         path, lineno, colname, col + 1, cell);
        else if (spec->classes > 0 && v >= spec->classes)
            st = mt_fail(MT_ERR_FORMAT, "%s:%d: column '%s' (%d): class %.0f is outside 0..%d",
                         path, lineno, colname, col + 1, v, spec->classes - 1);
        if (st) { /* unless a later cell shows the column is text */
            if (!lt->pending) {
                lt->pending = st;
                snprintf(lt->pending_msg, sizeof lt->pending_msg, "%s", mt_last_error());
            }
            mt_clear_error();
            t->y[r] = 0;
            return MT_OK;
        }
        if (v >= MT_MAX_CLASSES) {
            if (!cr->nbig++) {
                snprintf(cr->big, sizeof cr->big, "%s", cell);
                cr->big_line = lineno;
            }
            t->y[r] = 0;
            return MT_OK;
        }
        int k = (int)v;
        if (!cr->seen++ || k < cr->lo) cr->lo = k;
        if (cr->seen == 1 || k > cr->hi) cr->hi = k;
        if (k + 1 > t->classes) t->classes = k + 1;
    }
    t->y[r] = (float)v;
    return MT_OK;
}

static const char *const *sort_names;
static int by_name(const void *a, const void *b)
{
    return strcmp(sort_names[*(const int *)a], sort_names[*(const int *)b]);
}

/* A text column's classes: its distinct labels in sorted order; each
 * row's index; the names kept in the target (classes beyond the labels
 * seen, when classes = K is given, are named by their index). */
static mt_status text_classes(mt_dataset *ds, int ti, const csv_target *spec, label_table *lt, const char *path,
                              int col)
{
    mt_target *t = &ds->targets[ti];
    if (lt->n > MT_MAX_CLASSES)
        return mt_fail(MT_ERR_FORMAT, "%s: column '%s' (%d): %d distinct labels exceed the limit of %d classes", path,
                       spec->column, col + 1, lt->n, MT_MAX_CLASSES);
    if (spec->classes > 0 && lt->n > spec->classes)
        return mt_fail(MT_ERR_FORMAT, "%s: column '%s' (%d): %d distinct labels, but classes = %d", path, spec->column,
                       col + 1, lt->n, spec->classes);
    int classes = spec->classes > 0 ? spec->classes : lt->n < 2 ? 2 : lt->n;
    int *order = mt_alloc((size_t)classes * sizeof *order);
    int *rank = mt_alloc((size_t)classes * sizeof *rank);
    const char **names = mt_alloc((size_t)classes * sizeof *names);
    char *numbers = mt_alloc((size_t)(classes - lt->n) * 12 + 1); /* "65535\0" for the unnamed ones */
    mt_status st = order && rank && names && numbers ? MT_OK : MT_ERR_NOMEM;
    if (!st) {
        for (int i = 0; i < lt->n; i++) order[i] = i;
        sort_names = (const char *const *)lt->name;
        qsort(order, (size_t)lt->n, sizeof *order, by_name);
        for (int i = 0; i < lt->n; i++) {
            rank[order[i]] = i;
            names[i] = lt->name[order[i]];
        }
        for (int i = lt->n; i < classes; i++) {
            char *w = numbers + (size_t)(i - lt->n) * 12;
            snprintf(w, 12, "%d", i);
            names[i] = w;
        }
        for (int r = 0; r < ds->n; r++)
            if (lt->row[r] >= 0) t->y[r] = (float)rank[lt->row[r]];
        t->kind = MT_TARGET_CLASS;
        t->classes = classes;
        st = dataset_set_labels(ds, ti, names, classes);
    }
    mt_free(order);
    mt_free(rank);
    mt_free(names);
    mt_free(numbers);
    return st;
}

/* The separator: one of , ; TAB found equally often (and at least once) on
 * each of the first five non-blank lines from pos, the most frequent
 * winning; else runs of spaces when the first line has several words; else
 * ','. Quoted text does not count. A file that splits at a tab and at
 * runs of spaces alike reads as spaces when those give more fields. */
static char detect_sep(const char *pos, const char *end)
{
    static const char cand[3] = {',', ';', '\t'};
    int count[5][3] = {{0}}, words[5] = {0}, nl = 0;
    const char *ls, *le;
    while (nl < 5 && next_line(&pos, end, &ls, &le)) {
        if (blank(ls, le)) continue;
        int q = 0, inword = 0;
        for (const char *p = ls; p < le; p++) {
            if (*p == '"') q = !q;
            if (q) continue;
            for (int c = 0; c < 3; c++) count[nl][c] += *p == cand[c];
            int b = *p == ' ' || *p == '\t';
            if (!b && !inword) words[nl]++;
            inword = !b;
        }
        nl++;
    }
    int same_words = nl > 0 && words[0] > 1;
    for (int l = 1; l < nl && same_words; l++) same_words = words[l] == words[0];
    int best = -1;
    for (int c = 0; c < 3; c++) {
        int same = nl > 0 && count[0][c] > 0;
        for (int l = 1; l < nl && same; l++) same = count[l][c] == count[0][c];
        if (same && (best < 0 || count[0][c] > count[0][best])) best = c;
    }
    /* a tab among runs of spaces (columns aligned by hand) is whitespace
     * too: more words than tab-separated fields, on every line alike */
    if (best == 2 && same_words && words[0] > count[0][2] + 1) return ' ';
    if (best >= 0) return cand[best];
    for (int c = 0; c < 3; c++) /* ragged: the most frequent one still names the lines at fault */
        if (nl > 0 && count[0][c] > 0 && (best < 0 || count[0][c] > count[0][best])) best = c;
    if (best >= 0) return cand[best];
    return words[0] > 1 ? ' ' : ',';
}

static mt_status parse(mt_dataset *ds, const char *path, const char *text, size_t len, csv_format *fmt,
                       const char *const *inputs, int ninputs, const csv_target *targets,
                       int ntargets, fields *f)
{
    const char *end = text + len, *pos = text, *ls, *le;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos += 3; /* a UTF-8 byte order mark */
    int lineno = 0;
    for (int i = 0; i < fmt->skip; i++) {
        if (!next_line(&pos, end, &ls, &le))
            return mt_fail(MT_ERR_FORMAT, "%s: skip = %d, but the file has %d line%s", path, fmt->skip, lineno,
                           lineno == 1 ? "" : "s");
        lineno++;
    }
    char sep = fmt->sep ? fmt->sep : detect_sep(pos, end);
    fmt->sep_used = sep;
    /* the header (or the first record): the first non-blank line */
    int have = 0;
    const char *first = pos;
    int first_lineno = lineno;
    while (next_line(&pos, end, &ls, &le)) {
        lineno++;
        if (!blank(ls, le)) {
            have = 1;
            break;
        }
    }
    if (!have)
        return fmt->skip ? mt_fail(MT_ERR_FORMAT, "%s: nothing after the %d skipped line%s", path, fmt->skip,
                                   fmt->skip == 1 ? "" : "s")
                         : mt_fail(MT_ERR_FORMAT, "%s: empty file (no header row)", path);
    fields hdr = {0};
    mt_status s = split_line(&hdr, ls, le, sep, path, lineno);
    if (!s && fmt->no_header) {
        /* the names: given, or the positions; the line read is a record */
        int nf = hdr.n;
        if (fmt->columns && fmt->ncolumns != nf)
            s = mt_fail(MT_ERR_ARG, "%s:%d: %d column names given, but the line has %d fields (separator: %s)", path,
                        lineno, fmt->ncolumns, nf, csv_sep_name(sep));
        size_t bytes = 0;
        for (int i = 0; !s && i < nf; i++) bytes += (fmt->columns ? strlen(fmt->columns[i]) : 11) + 1;
        if (!s && mt_grow((void **)&hdr.buf, &hdr.cap, bytes + 1, 1)) s = MT_ERR_NOMEM;
        char *o = hdr.buf;
        for (int i = 0; !s && i < nf; i++) {
            hdr.start[i] = (int)(o - hdr.buf);
            if (fmt->columns) o += sprintf(o, "%s", fmt->columns[i]) + 1;
            else o += sprintf(o, "%d", i + 1) + 1;
        }
        pos = first; /* the records start at the line just read */
        lineno = first_lineno;
    }
    int *cols = mt_calloc((size_t)(ninputs + ntargets), sizeof(int));
    if (!s && !cols) s = MT_ERR_NOMEM;
    for (int i = 0; !s && i < ninputs; i++) s = find_column(&hdr, inputs[i], path, sep, fmt->no_header, &cols[i]);
    for (int i = 0; !s && i < ntargets; i++)
        s = find_column(&hdr, targets[i].column, path, sep, fmt->no_header, &cols[ninputs + i]);
    int nhdr = hdr.n;
    const char **hnames = s ? NULL : mt_alloc((size_t)(nhdr > 0 ? nhdr : 1) * sizeof *hnames);
    if (!s && !hnames) s = MT_ERR_NOMEM;
    for (int i = 0; !s && i < nhdr; i++) hnames[i] = field(&hdr, i);
    char **columns = s ? NULL : dataset_names(hnames, nhdr);
    if (!s && !columns) s = MT_ERR_NOMEM;
    mt_free(hnames);
    fields_free(&hdr);
    if (s) {
        mt_free(columns);
        mt_free(cols);
        return s;
    }
    int header_line = lineno;

    /* count the records so the dataset is allocated once */
    int n = 0;
    const char *p2 = pos;
    while (next_line(&p2, end, &ls, &le)) n += !blank(ls, le);

    const char *base = strrchr(path, '/');
    s = dataset_alloc(ds, base ? base + 1 : path, n, ninputs, 0, 0, 0);
    if (!s) {
        ds->columns = columns;
        ds->ncolumns = nhdr;
        ds->x_names = dataset_names(inputs, ninputs);
        if (!ds->x_names) s = MT_ERR_NOMEM;
    } else {
        mt_free(columns);
    }
    for (int i = 0; !s && i < ntargets; i++) {
        const csv_target *sp = &targets[i];
        int classes = sp->kind == MT_TARGET_CLASS ? (sp->classes > 0 ? sp->classes : 2) : 0;
        if (!dataset_add_target(ds, sp->name ? sp->name : sp->column, sp->kind, 1, classes))
            s = mt_last_status();
        else if (sp->kind == MT_TARGET_CLASS && sp->classes <= 0)
            ds->targets[i].classes = 1; /* grows with the labels read; at least 2 below */
    }
    if (!s && n == 0)
        s = fmt->no_header ? mt_fail(MT_ERR_FORMAT, "%s: no data rows", path)
                           : mt_fail(MT_ERR_FORMAT, "%s: no data rows after the header (line %d)", path, header_line);
    class_range *cr = s ? NULL : mt_calloc((size_t)ntargets + 1, sizeof *cr);
    label_table *lt = s ? NULL : mt_calloc((size_t)ntargets + 1, sizeof *lt);
    if (!s && (!cr || !lt)) s = MT_ERR_NOMEM;
    for (int i = 0; !s && i < ntargets; i++)
        if (targets[i].kind == MT_TARGET_CLASS || targets[i].guess) {
            lt[i].row = mt_alloc((size_t)n * sizeof *lt[i].row);
            if (!lt[i].row) s = MT_ERR_NOMEM;
            for (int r = 0; !s && r < n; r++) lt[i].row[r] = -1;
        }
    lineno = header_line;
    int r = 0;
    while (!s && next_line(&pos, end, &ls, &le)) {
        lineno++;
        if (blank(ls, le)) continue;
        s = split_line(f, ls, le, sep, path, lineno);
        if (s) break;
        if (f->n != nhdr) {
            s = mt_fail(MT_ERR_FORMAT, "%s:%d: %d field%s, %s has %d (separator: %s)", path, lineno, f->n,
                        f->n == 1 ? "" : "s", fmt->no_header ? "the first line" : "header", nhdr, csv_sep_name(sep));
            break;
        }
        for (int i = 0; !s && i < ninputs; i++) {
            double v;
            const char *cell = field(f, cols[i]);
            int pr = parse_number(cell, &v);
            if (pr != 1) s = number_error(pr, path, lineno, inputs[i], cols[i], cell);
            else ds->x[(size_t)r * ninputs + i] = (float)v;
        }
        for (int i = 0; !s && i < ntargets; i++)
            s = target_cell(ds, i, &targets[i], r, field(f, cols[ninputs + i]), path, lineno,
                            cols[ninputs + i], targets[i].column, &cr[i], &lt[i]);
        r++;
    }
    for (int i = 0; !s && i < ntargets; i++) {
        if (lt[i].text) {
            if (targets[i].kind != MT_TARGET_CLASS && !targets[i].guess) /* not reached: only class and guess */
                s = mt_fail(MT_ERR_FORMAT, "%s:%d: column '%s': text label '%s'", path, lt[i].text_line,
                            targets[i].column, lt[i].first_text);
            else
                s = text_classes(ds, i, &targets[i], &lt[i], path, cols[ninputs + i]);
            continue;
        }
        if (lt[i].pending) s = mt_fail(lt[i].pending, "%s", lt[i].pending_msg);
    }
    /* a label too large is reported with what the rest of its column
     * holds, so a stray code (9999999 for "unknown") is easy to spot */
    for (int i = 0; !s && i < ntargets && cr; i++) {
        if (!cr[i].nbig || (lt && lt[i].text)) continue;
        char others[96];
        if (cr[i].seen) snprintf(others, sizeof others, "the column's other labels run %d..%d", cr[i].lo, cr[i].hi);
        else snprintf(others, sizeof others, "the column has no other labels");
        s = mt_fail(MT_ERR_FORMAT,
                    "%s:%d: column '%s' (%d): class label %s exceeds the limit of %d classes (%d such label%s; %s)",
                    path, cr[i].big_line, targets[i].column, cols[ninputs + i] + 1, cr[i].big, MT_MAX_CLASSES,
                    cr[i].nbig, cr[i].nbig == 1 ? "" : "s", others);
        break;
    }
    for (int i = 0; lt && i < ntargets; i++) labels_free(&lt[i]);
    mt_free(lt);
    mt_free(cr);
    for (int i = 0; !s && i < ntargets; i++)
        if (ds->targets[i].kind == MT_TARGET_CLASS && ds->targets[i].classes < 2)
            ds->targets[i].classes = 2;
    mt_free(cols);
    return s;
}

mt_status csv_load_fmt(mt_dataset *ds, const char *path, csv_format *fmt, const char *const *inputs, int ninputs,
                       const csv_target *targets, int ntargets)
{
    dataset_free(ds);
    csv_format dflt = {0};
    if (!fmt) fmt = &dflt;
    if (ninputs < 1 || !inputs)
        return mt_fail(MT_ERR_ARG, "%s: at least one input column is needed", path);
    if (ntargets < 0 || (ntargets > 0 && !targets))
        return mt_fail(MT_ERR_ARG, "%s: bad target list", path);
    if (fmt->sep && fmt->sep != ',' && fmt->sep != ';' && fmt->sep != '\t' && fmt->sep != ' ')
        return mt_fail(MT_ERR_ARG, "%s: separator '%c': expected ',', ';', tab or ' '", path, fmt->sep);
    if (fmt->skip < 0) return mt_fail(MT_ERR_ARG, "%s: skip = %d: expected 0 or more lines", path, fmt->skip);
    for (int i = 0; i < ntargets; i++)
        if (targets[i].kind == MT_TARGET_CLASS && targets[i].classes > MT_MAX_CLASSES)
            return mt_fail(MT_ERR_ARG, "%s: column '%s': %d classes exceed the limit of %d", path,
                           targets[i].column, targets[i].classes, MT_MAX_CLASSES);
    char *text = NULL;
    size_t len = 0;
    mt_status s = read_file(path, &text, &len);
    if (s) return s;
    fields f = {0};
    s = parse(ds, path, text, len, fmt, inputs, ninputs, targets, ntargets, &f);
    fields_free(&f);
    mt_free(text);
    if (s) dataset_free(ds);
    return s;
}

mt_status csv_load(mt_dataset *ds, const char *path, const char *const *inputs, int ninputs,
                   const csv_target *targets, int ntargets)
{
    return csv_load_fmt(ds, path, NULL, inputs, ninputs, targets, ntargets);
}
