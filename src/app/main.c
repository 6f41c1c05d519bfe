/* main.c - mtlab's command line. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cblas.h>
#include "app.h"
#include "claims.h"
#include "core/strutil.h"
#include "core/version.h"
#include "mtl/methods.h"
#include "mtl/model.h"
#include "report.h"
#include "sweep.h"
#include "mtl/topology.h"

/* The options: one table for the parser (getopt_long's long options are
 * made from it), --help, bash completion and the test that holds
 * docs/mtlab.1 to it. */
enum {
    OPT_OUT, OPT_FORCE, OPT_SET, OPT_SEED, OPT_LOAD, OPT_THREADS, OPT_EXPERIMENT, OPT_BASELINES,
    OPT_SEEDS, OPT_JOBS, OPT_REFERENCE, OPT_LIST, OPT_COLLECT, OPT_TRUST, OPT_LUA_MEM, OPT_QUIET, OPT_NO_COLOR,
    OPT_EXIT_WHEN_DONE, OPT_SPEED, OPT_DRAW, OPT_CLAIMS_THOROUGH, OPT_HELP, OPT_VERSION, OPT_COUNT
};

typedef struct {
    const char *name, *alias, *arg; /* "--out", NULL, "DIR" */
    const char *help;               /* lines after the first are indented */
} app_opt;

#define THREADS_MAX 256
#define LUA_MEM_MIN ((unsigned long long)8 << 20)
#define LUA_MEM_MAX ((unsigned long long)1 << 40)

static const app_opt opts[OPT_COUNT] = {
    [OPT_OUT] = {"--out", NULL, "DIR",
                 "run directory (default runs/<script>-<date>-<time>); a folder\n"
                 "that exists and is not empty is refused"},
    [OPT_FORCE] = {"--force", NULL, NULL, "write into a non-empty --out folder, replacing its run files"},
    [OPT_SET] = {"--set", NULL, "KEY=VALUE",
                 "override a field of the experiment, e.g. --set train.epochs=2,\n"
                 "--set tasks[2].weight=0.5, --set 'topology.trunk={64, 32}' (repeatable;\n"
                 "a table is read as data, never run)"},
    [OPT_SEED] = {"--seed", NULL, "N",
                  "the same as --set train.seed=N; a script that runs several\n"
                  "seeds itself (mtl.seeds) runs N, N+1, ... instead"},
    [OPT_LOAD] = {"--load", NULL, "FILE",
                  "start from the parameters (and optimiser state) of a\n"
                  "checkpoint.safetensors; names and shapes must match"},
    [OPT_THREADS] = {"--threads", NULL, "N", "BLAS threads (default: OPENBLAS_NUM_THREADS or 2)"},
    [OPT_EXPERIMENT] = {"--experiment", NULL, "N", "run: only experiment N (1-based, or its name) of the script"},
    [OPT_BASELINES] = {"--baselines", NULL, "DIR", "run: cache single-task baselines in DIR (default: the --out directory)"},
    [OPT_SEEDS] = {"--seeds", NULL, "LIST", "sweep: the seeds, e.g. 1..10 or 1,2,5 (default: the script's)"},
    [OPT_JOBS] = {"--jobs", "-j", "N", "sweep: runs at a time on this machine (or MPI rank; default 1)"},
    [OPT_REFERENCE] = {"--reference", NULL, "NAME", "sweep: the configuration differences are taken against (default: first)"},
    [OPT_LIST] = {"--list", NULL, NULL, "sweep: print one `mtlab run` command per run, run nothing"},
    [OPT_COLLECT] = {"--collect", NULL, "DIR", "sweep: aggregate the runs in DIR into sweep.csv, sweep.json, sweep.svg"},
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
                   "(keys < and > change it; 0 = as fast as possible); it overrides\n"
                   "a script's train.pace and, in mtlab learn, every lesson's speed"},
    [OPT_DRAW] = {"--draw", NULL, "N",
                  "data draw N: every mtl.data seed (and mtl.data_seed) moves\n"
                  "by 1000 N, so the data are drawn afresh (0 = as shipped)"},
    [OPT_CLAIMS_THOROUGH] = {"--claims-thorough", NULL, NULL,
                             "run: check the script's claims over the seeds x draws\n"
                             "they state (-j runs at a time), with 95% intervals"},
    [OPT_HELP] = {"--help", "-h", NULL, "this text"},
    [OPT_VERSION] = {"--version", NULL, NULL, "the version and the commit it was built from"},
};

static void usage(FILE *f)
{
    fputs("usage: mtlab SCRIPT.lua [options]          open the workbench on a script\n"
          "       mtlab open RUN_DIR... [--no-color]  recorded run folders in the workbench, read only:\n"
          "                                           curves, matrices over time (< >), comparison;\n"
          "                                           a sweep's DIR: each configuration's mean +- sd\n"
          "       mtlab run SCRIPT.lua [options]      train headless, write a run directory\n"
          "       mtlab report RUN_DIR... [-o FILE] [--steps LIST]  one self-contained HTML page (default\n"
          "                                           report.html) of runs or a sweep: settings, numbers,\n"
          "                                           curves, matrices (at steps LIST), Pareto, landscape\n"
          "       mtlab check SCRIPT.lua [options]    validate; print the experiment and its network\n"
          "       mtlab learn [DIR|LESSON.lua]        guided lessons in the survey's order (default\n"
          "                                           experiments/lessons): a menu, then each lesson\n"
          "                                           on the workbench (space next, backspace back)\n"
          "       mtlab sweep SCRIPT.lua --out DIR [options]  every configuration x seed of an mtl.sweep,\n"
          "                                           with mean, std, 95% intervals, paired differences\n"
          "       mtlab sweep --collect DIR           aggregate a sweep's runs (after --list)\n"
          "       mpirun -np N mtlab sweep ...        the same over MPI ranks (shared filesystem)\n"
          "       mtlab --list-methods [--markdown]   the loss weightings and gradient combiners,\n"
          "                                           their parameters, defaults and ranges\n"
          "       mtlab --list-data [--markdown]      the mtl.data constructors and their parameters\n"
          "       mtlab --list-topologies [--markdown]  the topologies and regularisers likewise\n"
          "       mtlab --list-models [--markdown]    the non-graph models (mtl.model.*) and their\n"
          "                                           parameters\n"
          "       mtlab --complete WHAT               words for shell completion: commands, options,\n"
          "                                           valued, set-keys, methods, datadir\n"
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
          "A run directory holds config.json, metrics.csv (step,epoch,split,task,loss,metric,weight,\n"
          "experiment,seed), events.jsonl, relations.jsonl, summary.json (delta_m_percent) and\n"
          "checkpoint.safetensors (a landscape's runs also landscape.svg: the plane, the Pareto set,\n"
          "every run's path); with several experiments, one sub-directory each. The workbench\n"
          "records the same; after a reload (r) the new run is in DIR and the previous one in\n"
          "DIR.before-reload-N. A sweep's DIR holds <config>/seed-<n>/ run directories,\n"
          "sweep-plan.json, sweep.csv, sweep.json and sweep.svg.\n"
          "\n"
          "Ctrl-C (or SIGTERM) stops after the current step; a second one within two seconds\n"
          "stops at once, even inside a long call of the script, and exits 130.\n"
          "\n"
          "exit codes: 0 success, 1 the run failed (diverged, I/O error, interrupted),\n"
          "            2 usage or script error, 3 every run finished but a claim of the\n"
          "            script failed, 130 stopped at once by a second interrupt.\n"
          "\n"
          "workbench keys: space pause/resume, n step, r reload, w / W weighting, m matrix,\n"
          "  a matrix average, { } its window, l log scale, z zoom, + / - learning rate,\n"
          "  < / > slow motion, tab focus, f the pane to the whole screen (again: back),\n"
          "  : console (tab completes), [ ] 1-9 experiment, c compare (v split, t task,\n"
          "  x y Pareto axes), s checkpoint, e export CSV+SVG, ctrl-L redraw, ? help (and\n"
          "  what the focused pane shows), q or F10 quit.\n"
          "  In a lesson (mtlab learn): space next step (a question's answer first),\n"
          "  backspace back, p pause, q leave for the menu (asks; q in the menu quits).\n"
          "\n"
          "docs: README.md, docs/lua-api.md, docs/errors.md (every error message), docs/mtlab.1;\n"
          "installed: man mtlab, PREFIX/share/doc/mtlab, experiments in PREFIX/share/mtlab\n",
          f);
}

/* mtlab --list-methods / --list-data: a registry as text, or as the
 * markdown tables of docs/lua-api.md (make docs splices them in). */
static size_t methods_text(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    for (int f = 0; f < 2; f++) {
        tparam_md_printf(&o, "%s%s\n", f ? "\n" : "",
                         f ? "gradient combination (one backward pass per task): weighting = NAME or mtl.combine.NAME { ... }"
                           : "loss weighting (one backward pass): weighting = NAME or mtl.weight.NAME { ... }");
        for (int i = 0; i < method_count(); i++) {
            const mt_method_info *m = method_at(i);
            if ((int)m->family != f) continue;
            char al[128];
            method_aliases(m, al, sizeof al);
            tparam_md_printf(&o, "  %-12s %s%s%s%s\n", m->name, m->summary, al[0] ? " (also " : "", al, al[0] ? ")" : "");
            tparam_text_rows(&o, m->params);
        }
    }
    return o.w;
}

static int list_registry(size_t (*gen)(char *, size_t))
{
    size_t n = gen(NULL, 0);
    char *buf = malloc(n + 1);
    if (!buf) return MT_EXIT_FAILED;
    gen(buf, n + 1);
    fputs(buf, stdout);
    free(buf);
    return MT_EXIT_OK;
}

/* mtlab --complete WHAT: the words bash completion offers
 * (scripts/mtlab.bash-completion), one a line, from the tables that define
 * them, so the completion never lists an option or key mtlab lacks. */
static const char *const commands[] = {"run", "check", "open", "sweep", "report", "learn", "help", NULL};
static const char *const top_options[] = {"--help", "--version", "--list-methods", "--list-data",
                                          "--list-topologies", "--list-models", "--complete", NULL};

static size_t complete_commands(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    for (const char *const *c = commands; *c; c++) tparam_md_printf(&o, "%s\n", *c);
    for (const char *const *c = top_options; *c; c++) tparam_md_printf(&o, "%s\n", *c);
    return o.w;
}

static size_t complete_options(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    for (int i = 0; i < OPT_COUNT; i++)
        tparam_md_printf(&o, "%s%s\n", opts[i].name, opts[i].arg ? "=" : "");
    return o.w;
}

/* Options that take a value, one a line: bash completes their value. */
static size_t complete_valued(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    for (int i = 0; i < OPT_COUNT; i++)
        if (opts[i].arg) tparam_md_printf(&o, "%s %s\n", opts[i].name, opts[i].arg);
    return o.w;
}

static size_t complete_methods(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    for (int i = 0; i < method_count(); i++) tparam_md_printf(&o, "%s\n", method_at(i)->name);
    return o.w;
}

static size_t complete_datadir(char *buf, size_t n)
{
    const char *d = mt_datadir();
    return (size_t)snprintf(buf, n, "%s\n", d ? d : ".");
}

static int complete(int argc, char **argv)
{
    static const struct {
        const char *what;
        size_t (*gen)(char *, size_t);
    } kinds[] = {{"commands", complete_commands}, {"options", complete_options}, {"valued", complete_valued},
                 {"set-keys", mtlua_set_keys},    {"methods", complete_methods},   {"datadir", complete_datadir}};
    for (size_t k = 0; argc == 3 && k < sizeof kinds / sizeof kinds[0]; k++)
        if (strcmp(argv[2], kinds[k].what) == 0) return list_registry(kinds[k].gen);
    fprintf(stderr, "mtlab: usage: mtlab --complete commands|options|valued|set-keys|methods|datadir\n");
    return MT_EXIT_USAGE;
}

static void print_version(void)
{
    printf("mtlab %s (MPI: %s)\n", mt_version_string(), sweep_mpi_version()[0] ? sweep_mpi_version() : "not built in");
}

/* An integer option in [lo, hi]; overflow is an error, not a saturated value. */
static int int_option(const char *name, const char *v, long long lo, long long hi, long long *out)
{
    if (mt_parse_int(v, lo, hi, out) == 0) return 0;
    fprintf(stderr, "mtlab: %s %s: expected an integer in %lld..%lld\n", name, v, lo, hi);
    return -1;
}

/* What went wrong with the option word `w` that getopt_long refused. */
static void option_error(const char *w, int missing)
{
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(w, "="), w);
    for (int i = 0; i < OPT_COUNT; i++) {
        int is = strcmp(name, opts[i].name) == 0 || (opts[i].alias && strcmp(name, opts[i].alias) == 0);
        if (!is) continue;
        if (missing || opts[i].arg) fprintf(stderr, "mtlab: %s needs a value: %s %s\n", name, opts[i].name, opts[i].arg);
        else fprintf(stderr, "mtlab: %s takes no value\n", opts[i].name);
        return;
    }
    /* getopt_long takes an unambiguous prefix; an ambiguous one lists its options */
    char maybe[256] = "";
    size_t w2 = 0;
    int hits = 0;
    for (int i = 0; strncmp(name, "--", 2) == 0 && name[2] && i < OPT_COUNT; i++)
        if (strncmp(opts[i].name, name, strlen(name)) == 0 && w2 < sizeof maybe) {
            w2 += (size_t)snprintf(maybe + w2, sizeof maybe - w2, "%s%s", hits ? ", " : "", opts[i].name);
            hits++;
        }
    if (hits > 1) fprintf(stderr, "mtlab: ambiguous option %s (%s?)\n", name, maybe);
    else fprintf(stderr, "mtlab: unknown option %s (see mtlab --help)\n", name);
}

/* The command's arguments through getopt_long, in order ("-" first in the
 * option string: a script name is returned where it stands, whatever
 * POSIXLY_CORRECT says). Returns 0, 1 when --help or --version was
 * answered, -1 on a usage error (said on stderr). */
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
    struct option longs[OPT_COUNT + 1];
    char shorts[8 + 3 * OPT_COUNT] = "-:";
    for (int i = 0; i < OPT_COUNT; i++) {
        longs[i] = (struct option){opts[i].name + 2, opts[i].arg ? required_argument : no_argument, NULL, 256 + i};
        if (opts[i].alias) {
            size_t w = strlen(shorts);
            snprintf(shorts + w, sizeof shorts - w, "%c%s", opts[i].alias[1], opts[i].arg ? ":" : "");
        }
    }
    longs[OPT_COUNT] = (struct option){NULL, 0, NULL, 0};
    /* argv[start - 1] stands for the program name getopt skips */
    int n_args = argc - start + 1;
    char **args = argv + start - 1;
    optind = 0; /* 0: GNU getopt starts afresh */
    opterr = 0;
    for (;;) {
        int c = getopt_long(n_args, args, shorts, longs, NULL);
        if (c == -1) break;
        if (c == 1) { /* a script */
            if (o->script) {
                fprintf(stderr, "mtlab: unexpected argument %s (one script at a time)\n", optarg);
                return -1;
            }
            o->script = optarg;
            continue;
        }
        if (c == '?' || c == ':') {
            option_error(args[optind - 1], c == ':');
            return -1;
        }
        int k = c >= 256 ? c - 256 : -1;
        for (int i = 0; k < 0 && i < OPT_COUNT; i++)
            if (opts[i].alias && opts[i].alias[1] == c) k = i;
        if (k < 0) {
            option_error(args[optind - 1], 0);
            return -1;
        }
        const char *a = opts[k].name, *v = optarg;
        if (opts[k].arg && !*v && strchr(args[optind - 1], '=')) { /* "--out=" (an empty word is the value's check) */
            option_error(a, 1);
            return -1;
        }
        long long n;
        switch (k) {
        case OPT_OUT: o->out_dir = v; break;
        case OPT_FORCE: o->force = 1; break;
        case OPT_EXPERIMENT: o->experiment = v; break;
        case OPT_BASELINES: o->baselines_dir = v; break;
        case OPT_SEEDS: o->seeds = v; break;
        case OPT_REFERENCE: o->reference = v; break;
        case OPT_COLLECT: o->collect = v; break;
        case OPT_LIST: o->list = 1; break;
        case OPT_JOBS:
            if (int_option(a, v, 1, 256, &n)) return -1;
            o->jobs = (int)n;
            break;
        case OPT_LOAD: o->load = v; break;
        case OPT_SET:
            if (o->nsets == APP_MAX_SETS) {
                fprintf(stderr, "mtlab: at most %d --set options\n", APP_MAX_SETS);
                return -1;
            }
            if (mtlua_parse_override(optarg, &o->sets[o->nsets])) {
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
        case OPT_CLAIMS_THOROUGH: o->claims_thorough = 1; break;
        case OPT_DRAW:
            if (int_option(a, v, 0, 1000000000, &n)) return -1;
            o->draw = n;
            break;
        case OPT_HELP: usage(stdout); return 1;
        case OPT_VERSION: print_version(); return 1;
        case OPT_SPEED: {
            char *end;
            o->speed = strtod(v, &end);
            o->speed_given = 1;
            if (!*v || *end || !(o->speed >= 0) || o->speed > 1e9) {
                fprintf(stderr, "mtlab: --speed %s: expected steps per second from 0 to 1e9 (0 = unlimited)\n", v);
                return -1;
            }
            break;
        }
        default: break;
        }
    }
    for (int i = optind; i < n_args; i++) { /* after "--": scripts only */
        if (o->script) {
            fprintf(stderr, "mtlab: unexpected argument %s (one script at a time)\n", args[i]);
            return -1;
        }
        o->script = args[i];
    }
    if (!o->script && !o->collect && !o->learn) {
        fprintf(stderr, "mtlab: no script given (see mtlab --help)\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    mt_set_command_line(argc, argv); /* config.json's provenance */
    if (argc < 2) {
        usage(stderr);
        return MT_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return MT_EXIT_OK;
    }
    static const struct {
        const char *option;
        size_t (*text)(char *, size_t), (*markdown)(char *, size_t);
    } lists[] = {{"--list-methods", methods_text, method_markdown},
                 {"--list-data", mtlua_data_text, mtlua_data_markdown},
                 {"--list-topologies", topo_text, topo_markdown},
                 {"--list-models", model_text, model_markdown}};
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        if (strcmp(argv[1], lists[k].option) != 0) continue;
        if (argc > 3 || (argc == 3 && strcmp(argv[2], "--markdown") != 0)) {
            fprintf(stderr, "mtlab: usage: mtlab %s [--markdown]\n", argv[1]);
            return MT_EXIT_USAGE;
        }
        return list_registry(argc == 3 ? lists[k].markdown : lists[k].text);
    }
    if (strcmp(argv[1], "--complete") == 0) return complete(argc, argv);
    if (strcmp(argv[1], "--version") == 0) {
        print_version();
        return MT_EXIT_OK;
    }
    if (strcmp(argv[1], "open") == 0) return app_open(argc - 2, argv + 2);
    if (strcmp(argv[1], "report") == 0) return app_report(argc - 2, argv + 2);
    const char *cmd = "workbench";
    int start = 1;
    if (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "check") == 0 || strcmp(argv[1], "sweep") == 0 ||
        strcmp(argv[1], "learn") == 0) {
        cmd = argv[1];
        start = 2;
    } else if (argv[1][0] != '-' && !strchr(argv[1], '.') && !strchr(argv[1], '/') && access(argv[1], F_OK) != 0) {
        /* a bare word that names no file: a mistyped command, most likely */
        char list[128];
        size_t w = 0;
        list[0] = '\0';
        for (const char *const *c = commands; *c; c++)
            w += (size_t)snprintf(list + w, w < sizeof list ? sizeof list - w : 0, "%s%s", w ? ", " : "", *c);
        fprintf(stderr, "mtlab: %s: no such command or script (commands: %s; see mtlab --help)\n", argv[1], list);
        return MT_EXIT_USAGE;
    }
    app_options o = {.learn = strcmp(cmd, "learn") == 0};
    int pr = parse(argc, argv, start, &o);
    if (pr) return pr > 0 ? MT_EXIT_OK : MT_EXIT_USAGE;
    mtlua_policy pol = {.trust = o.trust, .mem_limit = o.lua_mem};
    mtlua_set_policy(&pol);
    mtlua_set_draw(o.draw);
    /* BLAS threads: the caller's OPENBLAS_NUM_THREADS wins unless --threads */
    if (o.threads) openblas_set_num_threads(o.threads);
    else if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(2);
    app_install_signals();
    if (strcmp(cmd, "workbench") == 0) return app_exit_code(app_workbench(&o));
    if (strcmp(cmd, "learn") == 0) return app_exit_code(app_learn(&o));
    app_signal_hints(1);
    if (strcmp(cmd, "run") == 0 && o.claims_thorough) return app_exit_code(app_claims_thorough(&o));
    if (strcmp(cmd, "run") == 0) return app_exit_code(app_run_headless(&o));
    if (strcmp(cmd, "check") == 0) return app_exit_code(app_check(&o));
    return app_exit_code(app_sweep(&o));
}
