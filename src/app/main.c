/* main.c - mtlab's command line. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "app.h"
#include "core/strutil.h"

#define MTLAB_VERSION "0.1.0"

/* The options: one table for the parser, --help and the test that holds
 * docs/mtlab.1 to it. */
enum {
    OPT_OUT, OPT_SET, OPT_SEED, OPT_LOAD, OPT_THREADS, OPT_TRUST, OPT_LUA_MEM, OPT_QUIET, OPT_NO_COLOR,
    OPT_EXIT_WHEN_DONE, OPT_SPEED, OPT_COUNT
};

typedef struct {
    const char *name, *alias, *arg; /* "--out", NULL, "DIR" */
    const char *help;               /* lines after the first are indented */
} app_opt;

#define THREADS_MAX 256
#define LUA_MEM_MIN ((unsigned long long)8 << 20)
#define LUA_MEM_MAX ((unsigned long long)1 << 40)

static const app_opt opts[OPT_COUNT] = {
    [OPT_OUT] = {"--out", NULL, "DIR", "run directory (default runs/<script>-<date>-<time>)"},
    [OPT_SET] = {"--set", NULL, "KEY=VALUE",
                 "override a field of the experiment, e.g. --set train.epochs=2,\n"
                 "--set tasks[2].weight=0.5, --set 'topology.trunk={64, 32}' (repeatable;\n"
                 "a table is read as data, never run)"},
    [OPT_SEED] = {"--seed", NULL, "N", "the same as --set train.seed=N"},
    [OPT_LOAD] = {"--load", NULL, "FILE",
                  "start from the parameters (and optimiser state) of a\n"
                  "checkpoint.safetensors; names and shapes must match"},
    [OPT_THREADS] = {"--threads", NULL, "N", "BLAS threads (default: OPENBLAS_NUM_THREADS or 2)"},
    [OPT_TRUST] = {"--trust", NULL, NULL,
                   "give the script the full Lua standard library (programs, file\n"
                   "writes, C modules); MTLAB_TRUST=1 does the same. Without it a\n"
                   "script runs in a sandbox (see README, \"Opening scripts safely\")"},
    [OPT_LUA_MEM] = {"--lua-mem", NULL, "SIZE", "memory limit of the script's Lua state, e.g. 512M or 4G"},
    [OPT_QUIET] = {"--quiet", "-q", NULL, "no progress output"},
    [OPT_NO_COLOR] = {"--no-color", NULL, NULL, "monochrome screen (NO_COLOR in the environment does the same)"},
    [OPT_EXIT_WHEN_DONE] = {"--exit-when-done", NULL, NULL, "workbench: quit when every experiment has finished"},
    [OPT_SPEED] = {"--speed", NULL, "N",
                   "workbench: start in slow motion, N steps per second\n"
                   "(keys < and > change it; 0 = as fast as possible)"},
};

static void usage(FILE *f)
{
    fputs("usage: mtlab SCRIPT.lua [options]          open the workbench on a script\n"
          "       mtlab run SCRIPT.lua [options]      train headless, write a run directory\n"
          "       mtlab check SCRIPT.lua [options]    validate; print the experiment and its network\n"
          "       mtlab --help | --version\n"
          "\n"
          "options:\n",
          f);
    for (int i = 0; i < OPT_COUNT; i++) {
        char head[64];
        snprintf(head, sizeof head, "%s%s%s%s%s", opts[i].alias ? opts[i].alias : "", opts[i].alias ? ", " : "",
                 opts[i].name, opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
        fprintf(f, "  %-19s", head);
        for (const char *p = opts[i].help; *p;) {
            const char *nl = strchr(p, '\n');
            int len = nl ? (int)(nl - p) : (int)strlen(p);
            fprintf(f, "%s%.*s", p == opts[i].help ? "" : "                     ", len, p);
            p += len;
            if (*p) {
                fputc('\n', f);
                p++;
            }
        }
        if (i == OPT_LUA_MEM) {
            char d[32];
            mtlua_format_size(MTLUA_MEM_DEFAULT, d, sizeof d);
            fprintf(f, "\n                     (default %s)", d);
        }
        fputc('\n', f);
    }
    fputs("\n"
          "A run directory holds config.json, metrics.csv (step,epoch,split,task,loss,metric,weight),\n"
          "events.jsonl, relations.jsonl, summary.json and checkpoint.safetensors; with several\n"
          "experiments, one sub-directory each.\n"
          "\n"
          "Ctrl-C (or SIGTERM) stops after the current step; a second one within two seconds\n"
          "stops at once, even inside a long call of the script, and exits 130.\n"
          "\n"
          "exit codes: 0 success, 1 the run failed (diverged, I/O error, interrupted),\n"
          "            2 usage or script error, 130 stopped at once by a second interrupt.\n"
          "\n"
          "workbench keys: space pause/resume, n step, r reload, w weighting, m matrix, l log scale,\n"
          "  z zoom, + / - learning rate, < / > slow motion, tab focus, : console,\n"
          "  [ ] experiment, c compare,\n"
          "  s checkpoint, e export CSV+SVG, ? help, q quit.\n"
          "\n"
          "docs: README.md, docs/lua-api.md, docs/mtlab.1\n",
          f);
}

static int find_opt(const char *a)
{
    for (int i = 0; i < OPT_COUNT; i++)
        if (strcmp(a, opts[i].name) == 0 || (opts[i].alias && strcmp(a, opts[i].alias) == 0)) return i;
    return -1;
}

/* An integer option in [lo, hi]; overflow is an error, not a saturated value. */
static int int_option(const char *name, const char *v, long long lo, long long hi, long long *out)
{
    if (mt_parse_int(v, lo, hi, out) == 0) return 0;
    fprintf(stderr, "mtlab: %s %s: expected an integer in %lld..%lld\n", name, v, lo, hi);
    return -1;
}

static int parse(int argc, char **argv, int start, app_options *o)
{
    const char *env = getenv("MTLAB_TRUST");
    if (env && *env) {
        if (strcmp(env, "1") != 0 && strcmp(env, "0") != 0) {
            fprintf(stderr, "mtlab: MTLAB_TRUST=%s: expected 1 (the full Lua standard library) or 0 (the sandbox)\n",
                    env);
            return -1;
        }
        o->trust = env[0] == '1';
    }
    o->lua_mem = MTLUA_MEM_DEFAULT;
    for (int i = start; i < argc; i++) {
        const char *a = argv[i];
        int k = find_opt(a);
        if (k < 0) {
            if (a[0] == '-' && a[1]) {
                fprintf(stderr, "mtlab: unknown option %s (see mtlab --help)\n", a);
                return -1;
            }
            if (o->script) {
                fprintf(stderr, "mtlab: unexpected argument %s (one script at a time)\n", a);
                return -1;
            }
            o->script = a;
            continue;
        }
        const char *v = NULL;
        if (opts[k].arg) {
            if (i + 1 >= argc) {
                fprintf(stderr, "mtlab: %s needs a value: %s %s\n", a, a, opts[k].arg);
                return -1;
            }
            v = argv[++i];
        }
        long long n;
        switch (k) {
        case OPT_OUT: o->out_dir = v; break;
        case OPT_LOAD: o->load = v; break;
        case OPT_SET:
            if (o->nsets == APP_MAX_SETS) {
                fprintf(stderr, "mtlab: at most %d --set options\n", APP_MAX_SETS);
                return -1;
            }
            if (mtlua_parse_override(argv[i], &o->sets[o->nsets])) {
                fprintf(stderr, "mtlab: %s\n", mt_last_error());
                return -1;
            }
            o->nsets++;
            break;
        case OPT_SEED:
            /* the range is train.seed's, checked where the field is validated */
            if (mt_parse_int(v, 0, LLONG_MAX, &n) == -1 || v[0] == '-' || v[0] == '+') {
                fprintf(stderr, "mtlab: --seed %s: expected a non-negative integer\n", v);
                return -1;
            }
            if (o->nsets == APP_MAX_SETS) {
                fprintf(stderr, "mtlab: at most %d --set options\n", APP_MAX_SETS);
                return -1;
            }
            o->sets[o->nsets++] = (mtlua_override){"train.seed", v, "--seed"};
            break;
        case OPT_THREADS:
            if (int_option(a, v, 1, THREADS_MAX, &n)) return -1;
            o->threads = (int)n;
            break;
        case OPT_TRUST: o->trust = 1; break;
        case OPT_LUA_MEM: {
            unsigned long long z;
            int r = mt_parse_size(v, &z);
            if (r || z < LUA_MEM_MIN || z > LUA_MEM_MAX) {
                char lo[32], hi[32];
                mtlua_format_size(LUA_MEM_MIN, lo, sizeof lo);
                mtlua_format_size(LUA_MEM_MAX, hi, sizeof hi);
                fprintf(stderr, "mtlab: --lua-mem %s: expected a size from %s to %s, such as 512M or 4G\n", v, lo, hi);
                return -1;
            }
            o->lua_mem = (size_t)z;
            break;
        }
        case OPT_QUIET: o->quiet = 1; break;
        case OPT_NO_COLOR: o->no_color = 1; break;
        case OPT_EXIT_WHEN_DONE: o->exit_when_done = 1; break;
        case OPT_SPEED: {
            char *end;
            o->speed = strtod(v, &end);
            if (!*v || *end || !(o->speed >= 0) || o->speed > 1e9) {
                fprintf(stderr, "mtlab: --speed %s: expected steps per second from 0 to 1e9 (0 = unlimited)\n", v);
                return -1;
            }
            break;
        }
        default: break;
        }
    }
    if (!o->script) {
        fprintf(stderr, "mtlab: no script given (see mtlab --help)\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MT_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return MT_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mtlab %s\n", MTLAB_VERSION);
        return MT_EXIT_OK;
    }
    const char *cmd = "workbench";
    int start = 1;
    if (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "check") == 0) {
        cmd = argv[1];
        start = 2;
    }
    app_options o = {0};
    if (parse(argc, argv, start, &o)) return MT_EXIT_USAGE;
    mtlua_policy pol = {.trust = o.trust, .mem_limit = o.lua_mem};
    mtlua_set_policy(&pol);
    /* BLAS threads: the caller's OPENBLAS_NUM_THREADS wins unless --threads */
    if (o.threads) openblas_set_num_threads(o.threads);
    else if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(2);
    app_install_signals();
    if (strcmp(cmd, "run") == 0 || strcmp(cmd, "check") == 0) {
        app_signal_hints(1);
        return app_exit_code(strcmp(cmd, "run") == 0 ? app_run_headless(&o) : app_check(&o));
    }
    return app_exit_code(app_workbench(&o));
}
