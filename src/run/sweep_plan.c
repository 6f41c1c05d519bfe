#include "sweep_plan.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"

#define MAX_RUNS 100000

void sweep_spec_defaults(mt_sweep_spec *s)
{
    memset(s, 0, sizeof *s);
    s->nseed_paths = 1;
    snprintf(s->seed_path[0], sizeof s->seed_path[0], "train.seed");
    s->threads = 1;
}

/* Appends text to the name, truncating at the buffer's end. */
static void name_add(char *name, size_t n, const char *sep, const char *text)
{
    size_t w = strlen(name);
    if (w && w < n) w += (size_t)snprintf(name + w, n - w, "%s", sep);
    if (w < n) snprintf(name + w, n - w, "%s", text);
}

/* A directory name from a configuration name: letters and digits in lower
 * case, '.' and '-' kept, '=' as '-', anything else one '_'. */
static void dir_slug(const char *name, char *out, size_t n)
{
    size_t w = 0;
    int sep = 1;
    for (const char *p = name; *p && w + 1 < n && w < 100; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) || c == '.' || c == '-') {
            out[w++] = (char)tolower(c);
            sep = 0;
        } else if (c == '=') {
            out[w++] = '-';
            sep = 1;
        } else if (!sep) {
            out[w++] = '_';
            sep = 1;
        }
    }
    while (w > 0 && (out[w - 1] == '_' || out[w - 1] == '-')) w--;
    if (w == 0) out[w++] = 'c';
    out[w] = '\0';
}

static int config_taken(const mt_sweep_plan *p, int upto, const char *name, int dir)
{
    for (int i = 0; i < upto; i++)
        if (strcmp(dir ? p->config[i].dir : p->config[i].name, name) == 0) return 1;
    return 0;
}

/* Names every configuration: the experiment's name when the base has
 * several, then key=label for every axis with more than one value (an axis
 * of one value is a setting, not a difference). Repeats get " #2". */
static void name_configs(mt_sweep_plan *p)
{
    const mt_sweep_spec *s = &p->spec;
    for (int c = 0; c < p->nconfigs; c++) {
        mt_sweep_config *cf = &p->config[c];
        cf->name[0] = '\0';
        if (s->nexp > 1) name_add(cf->name, sizeof cf->name, " ", s->exp_name[cf->exp]);
        for (int a = 0; a < s->naxes; a++) {
            if (s->axis[a].nvalues < 2) continue;
            char kv[256];
            snprintf(kv, sizeof kv, "%s=%s", s->axis[a].key, s->axis[a].label[cf->point[a]]);
            name_add(cf->name, sizeof cf->name, " ", kv);
        }
        if (!cf->name[0]) snprintf(cf->name, sizeof cf->name, "%s", s->nexp ? s->exp_name[cf->exp] : "base");
        if (!cf->name[0]) snprintf(cf->name, sizeof cf->name, "base");
        char base[256];
        snprintf(base, sizeof base, "%s", cf->name);
        for (int k = 2; config_taken(p, c, cf->name, 0); k++)
            snprintf(cf->name, sizeof cf->name, "%.240s #%d", base, k);
        char slug[128];
        dir_slug(cf->name, slug, sizeof slug);
        snprintf(cf->dir, sizeof cf->dir, "%s", slug);
        for (int k = 2; config_taken(p, c, cf->dir, 1); k++)
            snprintf(cf->dir, sizeof cf->dir, "%.100s-%d", slug, k);
    }
}

int sweep_plan_find_config(const mt_sweep_plan *p, const char *name)
{
    for (int c = 0; c < p->nconfigs; c++)
        if (strcmp(p->config[c].name, name) == 0 || strcmp(p->config[c].dir, name) == 0) return c;
    return -1;
}

mt_status sweep_plan_build(const mt_sweep_spec *spec, mt_sweep_plan **out)
{
    *out = NULL;
    if (spec->nexp < 1) return mt_fail(MT_ERR_ARG, "sweep.base: no experiment to sweep");
    if (spec->nseeds < 1)
        return mt_fail(MT_ERR_ARG, "sweep.seeds: no seeds (give seeds = { 1, 2, 3 } or --seeds 1..3)");
    if (spec->nseed_paths < 1) return mt_fail(MT_ERR_ARG, "sweep.seed_paths: at least one path is needed");
    long nconf = spec->nexp;
    for (int a = 0; a < spec->naxes; a++) {
        if (spec->axis[a].nvalues < 1)
            return mt_fail(MT_ERR_ARG, "sweep.grid[\"%s\"]: no values", spec->axis[a].key);
        nconf *= spec->axis[a].nvalues;
    }
    if (nconf * spec->nseeds > MAX_RUNS)
        return mt_fail(MT_ERR_ARG, "sweep: %ld configurations x %d seeds is more than %d runs", nconf,
                       spec->nseeds, MAX_RUNS);
    mt_sweep_plan *p = mt_calloc(1, sizeof *p);
    if (!p) return MT_ERR_NOMEM;
    p->spec = *spec;
    p->nconfigs = (int)nconf;
    p->nruns = (int)nconf * spec->nseeds;
    p->config = mt_calloc((size_t)p->nconfigs, sizeof *p->config);
    p->run = mt_calloc((size_t)p->nruns, sizeof *p->run);
    if (!p->config || !p->run) {
        sweep_plan_free(p);
        return MT_ERR_NOMEM;
    }
    /* experiments slowest, then the axes in order, the last fastest */
    for (int c = 0; c < p->nconfigs; c++) {
        int rest = c;
        for (int a = spec->naxes - 1; a >= 0; a--) {
            p->config[c].point[a] = rest % spec->axis[a].nvalues;
            rest /= spec->axis[a].nvalues;
        }
        p->config[c].exp = rest;
    }
    name_configs(p);
    for (int c = 0, r = 0; c < p->nconfigs; c++)
        for (int s = 0; s < spec->nseeds; s++, r++) {
            p->run[r].config = c;
            p->run[r].seed = s;
            snprintf(p->run[r].dir, sizeof p->run[r].dir, "%s/seed-%llu", p->config[c].dir, spec->seed[s]);
        }
    p->reference = 0;
    if (spec->reference[0]) {
        p->reference = sweep_plan_find_config(p, spec->reference);
        if (p->reference < 0) {
            char names[1024] = "";
            for (int c = 0; c < p->nconfigs && strlen(names) < 900; c++)
                name_add(names, sizeof names, ", ", p->config[c].name);
            mt_status st = mt_fail(MT_ERR_ARG, "reference '%s': no such configuration (there are: %s)",
                                   spec->reference, names);
            sweep_plan_free(p);
            return st;
        }
    }
    *out = p;
    return MT_OK;
}

void sweep_plan_free(mt_sweep_plan *p)
{
    if (!p) return;
    mt_free(p->config);
    mt_free(p->run);
    mt_free(p);
}

typedef struct {
    mt_sweep_argv *a;
    size_t used;
    int overflow;
} argv_builder;

static void arg_add(argv_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void arg_add(argv_builder *b, const char *fmt, ...)
{
    mt_sweep_argv *a = b->a;
    if (b->overflow || a->argc >= MT_SWEEP_MAX_ARGS) {
        b->overflow = 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(a->buf + b->used, sizeof a->buf - b->used, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= sizeof a->buf - b->used) {
        b->overflow = 1;
        return;
    }
    a->argv[a->argc++] = a->buf + b->used;
    b->used += (size_t)w + 1;
}

mt_status sweep_plan_argv(const mt_sweep_plan *p, int r, const char *out_dir, mt_sweep_argv *a)
{
    if (r < 0 || r >= p->nruns) return mt_fail(MT_ERR_ARG, "sweep: no run %d", r);
    const mt_sweep_spec *s = &p->spec;
    const mt_sweep_run *run = &p->run[r];
    const mt_sweep_config *cf = &p->config[run->config];
    argv_builder b = {a, 0, 0};
    a->argc = 0;
    arg_add(&b, "run");
    arg_add(&b, "%s", s->script);
    if (s->nexp > 1) {
        arg_add(&b, "--experiment");
        arg_add(&b, "%d", cf->exp + 1);
    }
    for (int i = 0; i < s->nsets; i++) {
        arg_add(&b, "--set");
        arg_add(&b, "%s=%s", s->set[i].key, s->set[i].value);
    }
    for (int i = 0; i < s->naxes; i++) {
        arg_add(&b, "--set");
        arg_add(&b, "%s=%s", s->axis[i].key, s->axis[i].value[cf->point[i]]);
    }
    for (int i = 0; i < s->nseed_paths; i++) {
        arg_add(&b, "--set");
        arg_add(&b, "%s=%llu", s->seed_path[i], s->seed[run->seed]);
    }
    arg_add(&b, "--threads");
    arg_add(&b, "%d", s->threads > 0 ? s->threads : 1);
    if (s->trust) arg_add(&b, "--trust"); /* the sweep's Lua policy holds for its runs */
    if (s->lua_mem) {
        arg_add(&b, "--lua-mem");
        arg_add(&b, "%llu", s->lua_mem);
    }
    arg_add(&b, "--quiet");
    arg_add(&b, "--force"); /* the sweep owns the folder: a redo writes over what an interrupted run left */
    arg_add(&b, "--baselines");
    arg_add(&b, "%s", out_dir);
    arg_add(&b, "--out");
    arg_add(&b, "%s/%s", out_dir, run->dir);
    a->argv[a->argc] = NULL;
    if (b.overflow) return mt_fail(MT_ERR_ARG, "sweep: the arguments of run %s are too long", run->dir);
    return MT_OK;
}

/* Single quotes around anything a shell would split or expand. */
static size_t shell_word(const char *w, char *buf, size_t n)
{
    int plain = *w != '\0';
    for (const char *p = w; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("@%_+=:,./-", *p)) plain = 0;
    size_t k = 0;
#define PUTC(ch)                    \
    do {                            \
        if (k + 1 < n) buf[k] = ch; \
        k++;                        \
    } while (0)
    if (plain) {
        for (const char *p = w; *p; p++) PUTC(*p);
    } else {
        PUTC('\'');
        for (const char *p = w; *p; p++) {
            if (*p == '\'') {
                PUTC('\'');
                PUTC('\\');
                PUTC('\'');
                PUTC('\'');
            } else {
                PUTC(*p);
            }
        }
        PUTC('\'');
    }
#undef PUTC
    if (n) buf[k < n ? k : n - 1] = '\0';
    return k;
}

size_t sweep_plan_command(const mt_sweep_plan *p, int r, const char *program, const char *out_dir,
                          char *buf, size_t n)
{
    mt_sweep_argv *a = mt_alloc(sizeof *a);
    if (!a) return 0;
    size_t w = 0;
    if (sweep_plan_argv(p, r, out_dir, a) == MT_OK) {
        w = shell_word(program, buf, n);
        for (int i = 0; i < a->argc && w < n; i++) {
            buf[w++] = ' ';
            w += shell_word(a->argv[i], buf + w, n - w);
        }
    }
    mt_free(a);
    if (w == 0 || w >= n) {
        if (n) buf[0] = '\0';
        return 0;
    }
    return w;
}

static int parse_seed(const char *s, const char *end, unsigned long long *v)
{
    if (s == end) return 0;
    unsigned long long x = 0;
    for (const char *p = s; p < end; p++) {
        if (!isdigit((unsigned char)*p)) return 0;
        x = x * 10 + (unsigned long long)(*p - '0');
        if (x > MT_SWEEP_MAX_SEED) return 0;
    }
    *v = x;
    return 1;
}

mt_status sweep_parse_seeds(const char *text, unsigned long long *seeds, int max, int *n)
{
    *n = 0;
    const char *p = text;
    if (!*p) return mt_fail(MT_ERR_ARG, "--seeds: empty (e.g. --seeds 1..10 or --seeds 1,2,5)");
    while (*p) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *dots = strstr(p, "..");
        unsigned long long lo, hi;
        if (dots && dots < end) {
            if (!parse_seed(p, dots, &lo) || !parse_seed(dots + 2, end, &hi) || hi < lo)
                return mt_fail(MT_ERR_ARG, "--seeds %s: '%.*s' is not a range A..B of seeds with A <= B", text,
                               (int)(end - p), p);
        } else if (!parse_seed(p, end, &lo)) {
            return mt_fail(MT_ERR_ARG, "--seeds %s: '%.*s' is not a non-negative integer", text, (int)(end - p), p);
        } else {
            hi = lo;
        }
        for (unsigned long long v = lo;; v++) {
            for (int i = 0; i < *n; i++)
                if (seeds[i] == v) return mt_fail(MT_ERR_ARG, "--seeds %s: seed %llu given twice", text, v);
            if (*n == max) return mt_fail(MT_ERR_ARG, "--seeds %s: more than %d seeds", text, max);
            seeds[(*n)++] = v;
            if (v == hi) break;
        }
        p = comma ? comma + 1 : end;
        if (comma && !*p) return mt_fail(MT_ERR_ARG, "--seeds %s: ends with a comma", text);
    }
    return MT_OK;
}
