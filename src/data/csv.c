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

/* Splits line [p, end) into fields. `path` and `lineno` are for messages. */
static mt_status split_line(fields *f, const char *p, const char *end, const char *path, int lineno)
{
    size_t need = (size_t)(end - p) + 1;
    if (mt_grow((void **)&f->buf, &f->cap, need + 1, 1)) return MT_ERR_NOMEM;
    char *o = f->buf;
    f->n = 0;
    for (;;) {
        if (mt_grow((void **)&f->start, &f->fcap, (size_t)f->n + 1, sizeof(int)))
            return MT_ERR_NOMEM;
        f->start[f->n++] = (int)(o - f->buf);
        while (p < end && (*p == ' ' || *p == '\t')) p++;
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
            while (p < end && (*p == ' ' || *p == '\t')) p++;
            if (p < end && *p != ',')
                return mt_fail(MT_ERR_FORMAT, "%s:%d: field %d: text after the closing quote", path,
                               lineno, f->n);
        } else {
            char *fs = o;
            while (p < end && *p != ',') *o++ = *p++;
            while (o > fs && (o[-1] == ' ' || o[-1] == '\t')) o--;
        }
        *o++ = '\0';
        if (p >= end) break;
        p++; /* the comma */
    }
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

typedef struct {
    int col;      /* 0-based column in the file */
    mt_target *t; /* NULL for inputs */
    int tindex;
} column_use;

static mt_status find_column(const fields *hdr, const char *name, const char *path, int *col)
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
    if (*col < 0) return mt_fail(MT_ERR_ARG, "%s: no column named '%s'", path, name);
    return MT_OK;
}

/* Parses one target cell into row `r` of target t. A class label beyond
 * MT_MAX_CLASSES is noted in cr (reported once the column is read). */
static mt_status target_cell(mt_dataset *ds, int ti, const csv_target *spec, int r,
                             const char *cell, const char *path, int lineno, int col,
                             const char *colname, class_range *cr)
{
    mt_target *t = &ds->targets[ti];
    if (!*cell) {
        unsigned char *m = dataset_target_mask(ds, ti);
        if (!m) return MT_ERR_NOMEM;
        m[r] = 0;
        return MT_OK;
    }
    double v;
    int pr = parse_number(cell, &v), ok = pr == 1;
    if (t->kind == MT_TARGET_REGRESS) {
        if (!ok) return number_error(pr, path, lineno, colname, col, cell);
    } else if (t->kind == MT_TARGET_BINARY) {
        if (!ok || (v != 0.0 && v != 1.0))
            return mt_fail(MT_ERR_FORMAT, "%s:%d: column '%s' (%d): expected 0 or 1, got '%s'",
                           path, lineno, colname, col + 1, cell);
    } else {
        if ((!ok && pr != -1) || v != floor(v) || v < 0)
            return mt_fail(MT_ERR_FORMAT,
                           "%s:%d: column '%s' (%d): expected a class index (0, 1, ...), got '%s'",
                           path, lineno, colname, col + 1, cell);
        if (spec->classes > 0 && v >= spec->classes)
            return mt_fail(MT_ERR_FORMAT, "%s:%d: column '%s' (%d): class %.0f is outside 0..%d",
                           path, lineno, colname, col + 1, v, spec->classes - 1);
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

static mt_status parse(mt_dataset *ds, const char *path, const char *text, size_t len,
                       const char *const *inputs, int ninputs, const csv_target *targets,
                       int ntargets, fields *f)
{
    const char *end = text + len, *pos = text, *ls, *le;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos += 3; /* a UTF-8 byte order mark */
    int lineno = 0;
    /* the header: the first non-blank line */
    int have = 0;
    while (next_line(&pos, end, &ls, &le)) {
        lineno++;
        if (!blank(ls, le)) {
            have = 1;
            break;
        }
    }
    if (!have) return mt_fail(MT_ERR_FORMAT, "%s: empty file (no header row)", path);
    fields hdr = {0};
    mt_status s = split_line(&hdr, ls, le, path, lineno);
    int *cols = mt_calloc((size_t)(ninputs + ntargets), sizeof(int));
    if (!s && !cols) s = MT_ERR_NOMEM;
    for (int i = 0; !s && i < ninputs; i++) s = find_column(&hdr, inputs[i], path, &cols[i]);
    for (int i = 0; !s && i < ntargets; i++)
        s = find_column(&hdr, targets[i].column, path, &cols[ninputs + i]);
    int nhdr = hdr.n;
    fields_free(&hdr);
    if (s) {
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
    for (int i = 0; !s && i < ntargets; i++) {
        const csv_target *sp = &targets[i];
        int classes = sp->kind == MT_TARGET_CLASS ? (sp->classes > 0 ? sp->classes : 2) : 0;
        if (!dataset_add_target(ds, sp->name ? sp->name : sp->column, sp->kind, 1, classes))
            s = mt_last_status();
        else if (sp->kind == MT_TARGET_CLASS && sp->classes <= 0)
            ds->targets[i].classes = 1; /* grows with the labels read; at least 2 below */
    }
    if (!s && n == 0)
        s = mt_fail(MT_ERR_FORMAT, "%s: no data rows after the header (line %d)", path, header_line);
    class_range *cr = s ? NULL : mt_calloc((size_t)ntargets + 1, sizeof *cr);
    if (!s && !cr) s = MT_ERR_NOMEM;
    lineno = header_line;
    int r = 0;
    while (!s && next_line(&pos, end, &ls, &le)) {
        lineno++;
        if (blank(ls, le)) continue;
        s = split_line(f, ls, le, path, lineno);
        if (s) break;
        if (f->n != nhdr) {
            s = mt_fail(MT_ERR_FORMAT, "%s:%d: %d field%s, header has %d", path, lineno, f->n,
                        f->n == 1 ? "" : "s", nhdr);
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
                            cols[ninputs + i], targets[i].column, &cr[i]);
        r++;
    }
    /* a label too large is reported with what the rest of its column
     * holds, so a stray code (9999999 for "unknown") is easy to spot */
    for (int i = 0; i < ntargets && cr; i++) {
        if (!cr[i].nbig) continue;
        char others[96];
        if (cr[i].seen) snprintf(others, sizeof others, "the column's other labels run %d..%d", cr[i].lo, cr[i].hi);
        else snprintf(others, sizeof others, "the column has no other labels");
        s = mt_fail(MT_ERR_FORMAT,
                    "%s:%d: column '%s' (%d): class label %s exceeds the limit of %d classes (%d such label%s; %s)",
                    path, cr[i].big_line, targets[i].column, cols[ninputs + i] + 1, cr[i].big, MT_MAX_CLASSES,
                    cr[i].nbig, cr[i].nbig == 1 ? "" : "s", others);
        break;
    }
    mt_free(cr);
    for (int i = 0; !s && i < ntargets; i++)
        if (ds->targets[i].kind == MT_TARGET_CLASS && ds->targets[i].classes < 2)
            ds->targets[i].classes = 2;
    mt_free(cols);
    return s;
}

mt_status csv_load(mt_dataset *ds, const char *path, const char *const *inputs, int ninputs,
                   const csv_target *targets, int ntargets)
{
    dataset_free(ds);
    if (ninputs < 1 || !inputs)
        return mt_fail(MT_ERR_ARG, "%s: at least one input column is needed", path);
    if (ntargets < 0 || (ntargets > 0 && !targets))
        return mt_fail(MT_ERR_ARG, "%s: bad target list", path);
    for (int i = 0; i < ntargets; i++)
        if (targets[i].kind == MT_TARGET_CLASS && targets[i].classes > MT_MAX_CLASSES)
            return mt_fail(MT_ERR_ARG, "%s: column '%s': %d classes exceed the limit of %d", path,
                           targets[i].column, targets[i].classes, MT_MAX_CLASSES);
    char *text = NULL;
    size_t len = 0;
    mt_status s = read_file(path, &text, &len);
    if (s) return s;
    fields f = {0};
    s = parse(ds, path, text, len, inputs, ninputs, targets, ntargets, &f);
    fields_free(&f);
    mt_free(text);
    if (s) dataset_free(ds);
    return s;
}
