#include "methods.h"

#include <stdio.h>
#include <string.h>

static const mt_method_param no_params[] = {{NULL, 0, 0, 0, NULL}};

static const mt_method_info methods[] = {
    {"equal", MT_METHOD_WEIGHTING, "every task weight 1", no_params},
    {"static", MT_METHOD_WEIGHTING, "the tasks' own weight fields, changeable while running", no_params},
};

#define NMETHODS ((int)(sizeof methods / sizeof methods[0]))

int method_count(void) { return NMETHODS; }
const mt_method_info *method_at(int i) { return i >= 0 && i < NMETHODS ? &methods[i] : NULL; }

const mt_method_info *method_info(const char *name)
{
    for (int i = 0; i < NMETHODS; i++)
        if (strcmp(methods[i].name, name) == 0) return &methods[i];
    return NULL;
}

int method_known(const char *name) { return method_info(name) != NULL; }

const char *method_names(void)
{
    static char buf[1024];
    buf[0] = '\0';
    for (int i = 0; i < NMETHODS; i++) {
        strncat(buf, methods[i].name, sizeof buf - strlen(buf) - 3);
        if (i + 1 < NMETHODS) strncat(buf, ", ", sizeof buf - strlen(buf) - 1);
    }
    return buf;
}

static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 30 || lb > 30) return 99;
    int d[31][31];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int s = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < s) s = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < s) s = d[i][j - 1] + 1;
            d[i][j] = s;
        }
    return d[la][lb];
}

const char *method_closest(const char *name)
{
    const char *best = NULL;
    int bd = 3;
    for (int i = 0; i < NMETHODS; i++) {
        int d = distance(name, methods[i].name);
        if (d < bd) {
            bd = d;
            best = methods[i].name;
        }
    }
    return best;
}

const char *method_check_param(const char *method, const char *key, double value)
{
    static char why[256];
    const mt_method_info *m = method_info(method);
    if (!m) return NULL; /* the name itself is reported */
    for (const mt_method_param *p = m->params; p->key; p++) {
        if (strcmp(p->key, key) != 0) continue;
        if (value < p->lo || value > p->hi) {
            snprintf(why, sizeof why, "expected a number in [%g, %g], got %g", p->lo, p->hi, value);
            return why;
        }
        return NULL;
    }
    char list[512] = "";
    for (const mt_method_param *p = m->params; p->key; p++) {
        strncat(list, p->key, sizeof list - strlen(list) - 3);
        if (p[1].key) strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    snprintf(why, sizeof why, "%s has no parameter '%s'%s%s", method, key,
             list[0] ? " (it takes: " : " (it takes none)", list[0] ? list : "");
    if (list[0]) strncat(why, ")", sizeof why - strlen(why) - 1);
    return why;
}

int method_param_enum(const char *method, const char *key, const char *value, double *out)
{
    (void)method;
    (void)key;
    (void)value;
    (void)out;
    return 0;
}
