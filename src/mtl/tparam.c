/* tparam.c - typed named parameters: lookup, defaults, checks, text. */
#include "tparam.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const mt_tparam_def *tparam_def(const mt_tparam_def *defs, const char *key)
{
    for (const mt_tparam_def *d = defs; d && d->key; d++)
        if (strcmp(d->key, key) == 0) return d;
    return NULL;
}

int tparam_count(const mt_tparam_def *defs)
{
    int n = 0;
    for (const mt_tparam_def *d = defs; d && d->key; d++) n++;
    return n;
}

static int tparam_index(const mt_tparams *p, const char *key)
{
    for (int i = 0; p && i < p->n; i++)
        if (strcmp(p->key[i], key) == 0) return i;
    return -1;
}

int tparam_given(const mt_tparams *p, const char *key) { return tparam_index(p, key) >= 0; }

double tparam_num(const mt_tparams *p, const mt_tparam_def *defs, const char *key)
{
    int i = tparam_index(p, key);
    if (i >= 0) return p->num[i];
    const mt_tparam_def *d = tparam_def(defs, key);
    return d ? d->dflt : NAN;
}

int tparam_maxlen(const mt_tparam_def *d)
{
    return d->maxlen > 0 && d->maxlen <= MT_TPARAM_LISTMAX ? d->maxlen : MT_TPARAM_LISTDEF;
}

int tparam_list(const mt_tparams *p, const char *key, double *out, int max)
{
    int i = tparam_index(p, key);
    if (i < 0) return 0;
    int n = p->nlist[i] < max ? p->nlist[i] : max;
    for (int k = 0; k < n; k++) out[k] = p->list[i][k];
    return n;
}

const char *tparam_str(const mt_tparams *p, const char *key, const char *dflt)
{
    int i = tparam_index(p, key);
    return i >= 0 ? p->str[i] : dflt;
}

const char *tparam_text(const mt_tparams *p, const mt_tparam_def *defs, const char *key)
{
    const mt_tparam_def *d = tparam_def(defs, key);
    return tparam_str(p, key, d && d->text ? d->text : "");
}

static int tparam_slot(mt_tparams *p, const char *key)
{
    int i = tparam_index(p, key);
    if (i >= 0) return i;
    if (p->n == MT_TPARAM_MAX || strlen(key) >= sizeof p->key[0]) return -1;
    i = p->n++;
    snprintf(p->key[i], sizeof p->key[i], "%s", key);
    return i;
}

mt_status tparam_set_num(mt_tparams *p, const char *key, mt_tparam_type type, double v)
{
    int i = tparam_slot(p, key);
    if (i < 0) return mt_fail(MT_ERR_ARG, "%s: too many parameters", key);
    p->type[i] = type;
    p->num[i] = v;
    return MT_OK;
}

mt_status tparam_set_list(mt_tparams *p, const char *key, mt_tparam_type type, const double *v, int n)
{
    if (n > MT_TPARAM_LISTMAX) return mt_fail(MT_ERR_ARG, "%s: %d entries, at most %d", key, n, MT_TPARAM_LISTMAX);
    int i = tparam_slot(p, key);
    if (i < 0) return mt_fail(MT_ERR_ARG, "%s: too many parameters", key);
    p->type[i] = type;
    p->nlist[i] = n;
    for (int k = 0; k < n; k++) p->list[i][k] = v[k];
    return MT_OK;
}

mt_status tparam_set_str(mt_tparams *p, const char *key, const char *v)
{
    if (strlen(v) >= MT_TPARAM_TEXT)
        return mt_fail(MT_ERR_ARG, "%s: longer than %d characters", key, MT_TPARAM_TEXT - 1);
    int i = tparam_slot(p, key);
    if (i < 0) return mt_fail(MT_ERR_ARG, "%s: too many parameters", key);
    p->type[i] = MT_TP_STRING;
    snprintf(p->str[i], sizeof p->str[i], "%s", v);
    return MT_OK;
}

int tparam_choice_count(const mt_tparam_def *d)
{
    if (!d->choices || !*d->choices) return 0;
    int n = 1;
    for (const char *p = d->choices; *p; p++) n += *p == '|';
    return n;
}

void tparam_choice_name(const mt_tparam_def *d, int i, char *out, size_t n)
{
    const char *p = d->choices;
    for (int k = 0; k < i && p; k++) {
        p = strchr(p, '|');
        if (p) p++;
    }
    if (!p || i < 0) p = "?";
    size_t len = strcspn(p, "|");
    if (len >= n) len = n - 1;
    memcpy(out, p, len);
    out[len] = '\0';
}

int tparam_choice_index(const mt_tparam_def *d, const char *name)
{
    size_t len = strlen(name);
    int idx = 0;
    for (const char *p = d->choices; p && *p; idx++) {
        size_t l = strcspn(p, "|");
        if (l == len && strncmp(p, name, l) == 0) return idx;
        p += l;
        if (*p) p++;
    }
    return -1;
}

void tparam_choice_list(const mt_tparam_def *d, char *out, size_t n)
{
    int k = tparam_choice_count(d);
    size_t w = 0;
    out[0] = '\0';
    for (int i = 0; i < k && w + 1 < n; i++) {
        char name[64];
        tparam_choice_name(d, i, name, sizeof name);
        int r = snprintf(out + w, n - w, "%s%s", i == 0 ? "" : ", ", name);
        if (r > 0) w += (size_t)r < n - w ? (size_t)r : n - w - 1;
    }
}

/* The integer bound as text: "1e+06" reads badly in an integer range. */
static void int_text(double v, char *out, size_t n)
{
    if (fabs(v) <= 9007199254740992.0) snprintf(out, n, "%.0f", v); /* exact below 2^53 */
    else snprintf(out, n, "%g", v);
}

const char *tparam_check(const mt_tparam_def *d, double v)
{
    static char why[256];
    char lo[32], hi[32];
    switch (d->type) {
    case MT_TP_BOOL:
        if (v != 0 && v != 1) {
            snprintf(why, sizeof why, "expected true or false, got %g", v);
            return why;
        }
        return NULL;
    case MT_TP_INT:
    case MT_TP_INTS:
        int_text(d->lo, lo, sizeof lo);
        int_text(d->hi, hi, sizeof hi);
        if (v != floor(v) || !(v >= d->lo && v <= d->hi)) {
            if (isinf(d->hi) || (d->hi >= 1e9 && !(v > d->hi)))
                snprintf(why, sizeof why, "expected an integer >= %s, got %g", lo, v);
            else snprintf(why, sizeof why, "expected an integer in %s..%s, got %g", lo, hi, v);
            return why;
        }
        return NULL;
    case MT_TP_NUMBER:
    case MT_TP_NUMBERS:
        if (!(v >= d->lo && v <= d->hi)) {
            if (isinf(d->hi)) snprintf(why, sizeof why, "expected a number >= %g, got %g", d->lo, v);
            else snprintf(why, sizeof why, "expected a number in [%g, %g], got %g", d->lo, d->hi, v);
            return why;
        }
        return NULL;
    case MT_TP_CHOICE: {
        int k = tparam_choice_count(d);
        if (v != floor(v) || !(v >= 0 && v < k)) {
            char list[256];
            tparam_choice_list(d, list, sizeof list);
            snprintf(why, sizeof why, "expected one of %s (or an index 0..%d), got %g", list, k - 1, v);
            return why;
        }
        return NULL;
    }
    case MT_TP_STRING:
    case MT_TP_TABLE:
    case MT_TP_FUNCTION: return NULL;
    }
    return NULL;
}

mt_status tparam_validate(const mt_tparams *p, const mt_tparam_def *defs, const char *prefix, const char *owner)
{
    const char *pre = prefix ? prefix : "", *dot = pre[0] ? "." : "";
    for (int i = 0; i < p->n; i++) {
        const mt_tparam_def *d = tparam_def(defs, p->key[i]);
        if (!d) return mt_fail(MT_ERR_ARG, "%s%s%s: %s takes no such parameter", pre, dot, p->key[i], owner);
        const char *why = NULL;
        if (d->type == MT_TP_INTS || d->type == MT_TP_NUMBERS) {
            if (p->nlist[i] > tparam_maxlen(d))
                return mt_fail(MT_ERR_ARG, "%s%s%s: %d entries, at most %d", pre, dot, d->key, p->nlist[i],
                               tparam_maxlen(d));
            for (int k = 0; k < p->nlist[i]; k++)
                if ((why = tparam_check(d, p->list[i][k])))
                    return mt_fail(MT_ERR_ARG, "%s%s%s[%d]: %s", pre, dot, d->key, k + 1, why);
        } else if ((why = tparam_check(d, p->num[i]))) {
            return mt_fail(MT_ERR_ARG, "%s%s%s: %s", pre, dot, d->key, why);
        }
    }
    return MT_OK;
}

mt_status tparam_lint(const mt_tparam_def *defs, const char *owner)
{
    if (!defs) return mt_fail(MT_ERR_ARG, "%s: no parameter list", owner);
    if (tparam_count(defs) > MT_TPARAM_MAX)
        return mt_fail(MT_ERR_ARG, "%s: %d parameters, at most %d", owner, tparam_count(defs), MT_TPARAM_MAX);
    for (const mt_tparam_def *d = defs; d->key; d++) {
        if (!d->key[0] || strlen(d->key) >= sizeof ((mt_tparams *)0)->key[0])
            return mt_fail(MT_ERR_ARG, "%s.%s: a key of 1..%zu characters", owner, d->key,
                           sizeof ((mt_tparams *)0)->key[0] - 1);
        if (!d->help || !d->help[0]) return mt_fail(MT_ERR_ARG, "%s.%s: no help text", owner, d->key);
        for (const mt_tparam_def *e = d + 1; e->key; e++)
            if (strcmp(d->key, e->key) == 0) return mt_fail(MT_ERR_ARG, "%s.%s: listed twice", owner, d->key);
        int numeric = d->type == MT_TP_NUMBER || d->type == MT_TP_INT || d->type == MT_TP_INTS || d->type == MT_TP_NUMBERS;
        if (numeric && !(d->lo <= d->hi))
            return mt_fail(MT_ERR_ARG, "%s.%s: the range [%g, %g] is empty", owner, d->key, d->lo, d->hi);
        if (d->maxlen < 0 || d->maxlen > MT_TPARAM_LISTMAX)
            return mt_fail(MT_ERR_ARG, "%s.%s: maxlen %d, at most %d", owner, d->key, d->maxlen, MT_TPARAM_LISTMAX);
        if (d->type == MT_TP_CHOICE) {
            int k = tparam_choice_count(d);
            if (k < 2) return mt_fail(MT_ERR_ARG, "%s.%s: a choice needs two or more alternatives", owner, d->key);
            for (int i = 0; i < k; i++) {
                char name[64];
                tparam_choice_name(d, i, name, sizeof name);
                if (!name[0] || tparam_choice_index(d, name) != i)
                    return mt_fail(MT_ERR_ARG, "%s.%s: alternative %d (\"%s\") is empty or repeated", owner, d->key, i,
                                   name);
            }
        }
        if ((d->flags & (MT_TPF_DERIVED | MT_TPF_REQUIRED)) || d->type == MT_TP_STRING || d->type == MT_TP_TABLE ||
            d->type == MT_TP_FUNCTION)
            continue;
        const char *why = tparam_check(d, d->dflt);
        if (why) return mt_fail(MT_ERR_ARG, "%s.%s: the default is outside the range: %s", owner, d->key, why);
    }
    return MT_OK;
}

void tparam_fill(const mt_tparam_def *defs, const mt_tparams *p, void *dst)
{
    for (const mt_tparam_def *d = defs; d && d->key; d++) {
        if (!d->field) continue;
        double v = tparam_num(p, defs, d->key);
        char *at = (char *)dst + (d->field >> 2);
        if ((d->field & 3u) == MT_TPFIELD_DOUBLE) *(double *)(void *)at = v;
        else *(int *)(void *)at = (int)v;
    }
}

double tparam_field_value(const mt_tparam_def *d, const void *src)
{
    if (!d->field) return NAN;
    const char *at = (const char *)src + (d->field >> 2);
    if ((d->field & 3u) == MT_TPFIELD_DOUBLE) return *(const double *)(const void *)at;
    return *(const int *)(const void *)at;
}

mt_status tparam_check_struct(const mt_tparam_def *defs, const void *src, const char *prefix)
{
    for (const mt_tparam_def *d = defs; d && d->key; d++) {
        if (!d->field) continue;
        const char *why = tparam_check(d, tparam_field_value(d, src));
        if (why) return mt_fail(MT_ERR_ARG, "%s%s: %s", prefix ? prefix : "", d->key, why);
    }
    return MT_OK;
}

/* One number as text; a choice by name, quoted when `quote`. */
static void num_text(const mt_tparam_def *d, double v, int quote, char *out, size_t n)
{
    switch (d->type) {
    case MT_TP_BOOL: snprintf(out, n, "%s", v != 0 ? "true" : "false"); break;
    case MT_TP_CHOICE: {
        char name[64];
        tparam_choice_name(d, (int)v, name, sizeof name);
        snprintf(out, n, quote ? "\"%s\"" : "%s", name);
        break;
    }
    default: snprintf(out, n, "%g", v); break;
    }
}

void tparam_default_text(const mt_tparam_def *d, char *out, size_t n)
{
    if (d->flags & (MT_TPF_DERIVED | MT_TPF_REQUIRED)) snprintf(out, n, "%s", d->flags & MT_TPF_REQUIRED ? "required" : "-");
    else if (d->type == MT_TP_STRING) snprintf(out, n, "\"%s\"", d->text ? d->text : "");
    else if (d->type == MT_TP_TABLE || d->type == MT_TP_FUNCTION) snprintf(out, n, "-");
    else num_text(d, d->dflt, 1, out, n);
}

void tparam_value_text(const mt_tparams *p, const mt_tparam_def *d, char *out, size_t n)
{
    int i = tparam_index(p, d->key);
    out[0] = '\0';
    if (d->type == MT_TP_TABLE || d->type == MT_TP_FUNCTION) {
        snprintf(out, n, "(%s)", d->type == MT_TP_TABLE ? "table" : "function");
        return;
    }
    if (i < 0 && (d->flags & (MT_TPF_DERIVED | MT_TPF_REQUIRED))) {
        snprintf(out, n, "(derived)");
        return;
    }
    if (d->type == MT_TP_STRING) {
        snprintf(out, n, "%s", i >= 0 ? p->str[i] : d->text ? d->text : "");
        return;
    }
    if (d->type == MT_TP_INTS || d->type == MT_TP_NUMBERS) {
        if (i < 0) {
            num_text(d, d->dflt, 0, out, n);
            return;
        }
        size_t w = 0;
        for (int k = 0; k < p->nlist[i] && w + 1 < n; k++) {
            int r = snprintf(out + w, n - w, "%s%g", k ? "," : "{", p->list[i][k]);
            if (r > 0) w += (size_t)r < n - w ? (size_t)r : n - w - 1;
        }
        if (w + 1 < n) snprintf(out + w, n - w, "%s", p->nlist[i] ? "}" : "{}");
        return;
    }
    num_text(d, i >= 0 ? p->num[i] : d->dflt, 0, out, n);
}

size_t tparam_format(const mt_tparams *p, const mt_tparam_def *defs, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    for (const mt_tparam_def *d = defs; d && d->key && w + 1 < n; d++) {
        if (d->type == MT_TP_TABLE || d->type == MT_TP_FUNCTION) continue;
        char v[MT_TPARAM_TEXT + 256];
        tparam_value_text(p, d, v, sizeof v);
        int r = snprintf(buf + w, n - w, "%s%s=%s", w ? ", " : "", d->key, v);
        if (r > 0) w += (size_t)r < n - w ? (size_t)r : n - w - 1;
    }
    return w;
}

void tparam_range_text(const mt_tparam_def *d, char *out, size_t n)
{
    char lo[32], hi[32];
    switch (d->type) {
    case MT_TP_INT:
    case MT_TP_INTS:
        int_text(d->lo, lo, sizeof lo);
        int_text(d->hi, hi, sizeof hi);
        if (isinf(d->hi) || d->hi >= 1e9) snprintf(out, n, ">= %s", lo);
        else snprintf(out, n, "%s..%s", lo, hi);
        break;
    case MT_TP_NUMBER:
    case MT_TP_NUMBERS:
        if (isinf(d->hi)) snprintf(out, n, ">= %g", d->lo);
        else snprintf(out, n, "[%g, %g]", d->lo, d->hi);
        break;
    case MT_TP_CHOICE: tparam_choice_list(d, out, n); break;
    case MT_TP_BOOL: snprintf(out, n, "true or false"); break;
    default: out[0] = '\0'; break;
    }
}

void tparam_md_printf(mt_md *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(o->w < o->n ? o->buf + o->w : NULL, o->w < o->n ? o->n - o->w : 0, fmt, ap);
    va_end(ap);
    if (r > 0) o->w += (size_t)r;
}

void tparam_md_text(mt_md *o, const char *s)
{
    for (; *s; s++) tparam_md_printf(o, "%s%c", *s == '*' || *s == '_' || *s == '|' ? "\\" : "", *s);
}

void tparam_md_defaults(mt_md *o, const mt_tparam_def *defs)
{
    for (const mt_tparam_def *d = defs; d && d->key; d++) {
        char dv[MT_TPARAM_TEXT + 8];
        tparam_default_text(d, dv, sizeof dv);
        tparam_md_printf(o, "%s`%s` ", d == defs ? "" : ", ", d->key);
        tparam_md_text(o, dv);
    }
}

void tparam_md_rows(mt_md *o, const char *owner, const mt_tparam_def *defs)
{
    for (const mt_tparam_def *d = defs; d && d->key; d++) {
        char dv[MT_TPARAM_TEXT + 8], range[256];
        tparam_default_text(d, dv, sizeof dv);
        tparam_range_text(d, range, sizeof range);
        tparam_md_printf(o, "| %s | `%s` | ", owner, d->key);
        tparam_md_text(o, dv);
        tparam_md_printf(o, " | %s | ", range);
        tparam_md_text(o, d->help);
        tparam_md_printf(o, " |\n");
    }
}

void tparam_text_rows(mt_md *o, const mt_tparam_def *defs)
{
    for (const mt_tparam_def *d = defs; d && d->key; d++) {
        char dv[MT_TPARAM_TEXT + 8], range[256], kv[MT_TPARAM_TEXT + 40];
        tparam_default_text(d, dv, sizeof dv);
        tparam_range_text(d, range, sizeof range);
        snprintf(kv, sizeof kv, "%s = %s", d->key, dv);
        tparam_md_printf(o, "      %-22s %-24s %s\n", kv, range, d->help);
    }
}
