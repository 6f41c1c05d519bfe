/* jsonrec.c - cJSON records with float32 numbers and repaired UTF-8. */
#include "jsonrec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *jrec_event(const char *name, long step)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    if (!cJSON_AddStringToObject(o, "event", name) || !cJSON_AddNumberToObject(o, "step", (double)step)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *jrec_num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

/* At most 9 significant digits identify any float (FLT_DECIMAL_DIG), so
 * the loop always ends with a decimal that strtof maps back to v. */
double jrec_f32_decimal(float v)
{
    if (!isfinite(v) || v == 0.0f) return (double)v;
    char buf[32];
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, (double)v);
        if (strtof(buf, NULL) == v) return strtod(buf, NULL);
    }
    return (double)v;
}

cJSON *jrec_f32(float v) { return isfinite(v) ? cJSON_CreateNumber(jrec_f32_decimal(v)) : cJSON_CreateNull(); }

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return len;
}

/* s with invalid bytes replaced by U+FFFD in a cJSON_malloc'd copy, or
 * NULL when s is already valid (or memory ran out: s is then kept). */
static char *utf8_repaired(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), bad = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k) bad++;
        i += k ? k : 1;
    }
    if (!bad) return NULL;
    char *out = cJSON_malloc(n + 2 * bad + 1);
    if (!out) return NULL;
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (k) {
            memcpy(out + w, p + i, k);
            w += k;
            i += k;
        } else {
            memcpy(out + w, "\xEF\xBF\xBD", 3);
            w += 3;
            i++;
        }
    }
    out[w] = '\0';
    return out;
}

void jrec_fix_utf8(cJSON *o)
{
    if (!o) return;
    if (o->string && !(o->type & cJSON_StringIsConst)) {
        char *k = utf8_repaired(o->string);
        if (k) {
            cJSON_free(o->string);
            o->string = k;
        }
    }
    if (cJSON_IsString(o) && o->valuestring) {
        char *v = utf8_repaired(o->valuestring);
        if (v) {
            cJSON_free(o->valuestring);
            o->valuestring = v;
        }
    }
    for (cJSON *c = o->child; c; c = c->next) jrec_fix_utf8(c);
}

char *jrec_print(cJSON *o)
{
    if (!o) return NULL;
    jrec_fix_utf8(o);
    return cJSON_PrintUnformatted(o);
}

char *jrec_print_pretty(cJSON *o)
{
    if (!o) return NULL;
    jrec_fix_utf8(o);
    return cJSON_Print(o);
}

/* Every parameter of defs into obj, resolved: the value given or the
 * default, as JSON types (a choice by name). A derived default the owner
 * did not resolve is null; tables and functions are data, not written. */
void jrec_params(cJSON *obj, const mt_tparams *p, const mt_tparam_def *defs)
{
    for (const mt_tparam_def *d = defs; d && d->key; d++) {
        double list[MT_TPARAM_LISTMAX];
        int n;
        if (d->type == MT_TP_TABLE || d->type == MT_TP_FUNCTION) continue;
        if (!tparam_given(p, d->key) && (d->flags & (MT_TPF_DERIVED | MT_TPF_REQUIRED))) {
            cJSON_AddNullToObject(obj, d->key);
            continue;
        }
        switch (d->type) {
        case MT_TP_BOOL: cJSON_AddBoolToObject(obj, d->key, tparam_num(p, defs, d->key) != 0); break;
        case MT_TP_CHOICE: {
            char name[64];
            tparam_choice_name(d, (int)tparam_num(p, defs, d->key), name, sizeof name);
            cJSON_AddStringToObject(obj, d->key, name);
            break;
        }
        case MT_TP_STRING: cJSON_AddStringToObject(obj, d->key, tparam_text(p, defs, d->key)); break;
        case MT_TP_INTS:
        case MT_TP_NUMBERS:
            if (!tparam_given(p, d->key)) { /* one value for every entry */
                cJSON_AddNumberToObject(obj, d->key, d->dflt);
                break;
            }
            n = tparam_list(p, d->key, list, MT_TPARAM_LISTMAX);
            cJSON_AddItemToObject(obj, d->key, cJSON_CreateDoubleArray(list, n));
            break;
        default: cJSON_AddNumberToObject(obj, d->key, tparam_num(p, defs, d->key)); break;
        }
    }
}
