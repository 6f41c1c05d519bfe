/* main.c - mtlab's command line. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "app.h"
#include "claims.h"
#include "core/strutil.h"
#include "mtl/methods.h"
#include "mtl/model.h"
#include "sweep.h"
#include "mtl/topology.h"

#define MTLAB_VERSION "0.1.0"

/* The options: one table for the parser, --help and the test that holds
 * docs/mtlab.1 to it. */
enum {
    OPT_OUT, OPT_FORCE, OPT_SET, OPT_SEED, OPT_LOAD, OPT_THREADS, OPT_EXPERIMENT, OPT_BASELINES,
    OPT_SEEDS, OPT_JOBS, OPT_REFERENCE, OPT_LIST, OPT_COLLECT, OPT_TRUST, OPT_LUA_MEM, OPT_QUIET, OPT_NO_COLOR,
    OPT_EXIT_WHEN_DONE, OPT_SPEED, OPT_DRAW, OPT_CLAIMS_THOROUGH, OPT_COUNT
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
};

static void usage(FILE *f)
{
    fputs("usage: mtlab SCRIPT.lua [options]          open the workbench on a script\n"
          "       mtlab open RUN_DIR... [--no-color]  recorded run folders in the workbench, read only:\n"
          "                                           curves, matrices over time (< >), comparison\n"
          "       mtlab run SCRIPT.lua [options]      train headless, write a run directory\n"
          "       mtlab check SCRIPT.lua [options]    validate; print the experiment and its network\n"
          "       mtlab learn [DIR|LESSON.lua]        guided lessons in the survey's order (default\n"
          "                                           experiments/lessons): a menu, then each lesson\n"
          "                                           on the workbench (space next, backspace back)\n"
          "       mtlab --list-methods [--markdown]   the loss weightings and gradient combiners,\n"
          "                                           their parameters, defaults and ranges\n"
          "       mtlab --list-data [--markdown]      the mtl.data constructors and their parameters\n"
          "       mtlab sweep SCRIPT.lua --out DIR [options]  every configuration x seed of an mtl.sweep,\n"
          "                                           with mean, std, 95% intervals, paired differences\n"
          "       mtlab sweep --collect DIR           aggregate a sweep's runs (after --list)\n"
          "       mpirun -np N mtlab sweep ...        the same over MPI ranks (shared filesystem)\n"
          "       mtlab --list-topologies [--markdown]  the topologies and regularisers likewise\n"
          "       mtlab --list-models [--markdown]      the non-graph models (mtl.model.*) and their parameters\n"
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
          "events.jsonl, relations.jsonl, summary.json and checkpoint.safetensors (a landscape's\n"
          "runs also landscape.svg: the plane, the Pareto set, every run's path); with several\n"
          "experiments, one sub-directory each. The workbench records the same; after a reload\n"
          "(r) the new run is in DIR and the previous one in DIR.before-reload-N. A sweep's DIR\n"
          "holds <config>/seed-<n>/ run directories, sweep-plan.json, sweep.csv, sweep.json and\n"
          "sweep.svg.\n"
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
          "  < / > slow motion, tab focus, f enlarge the pane, : console (tab completes), [ ] 1-9\n"
          "  experiment, c compare (v split, t task, x y Pareto axes), s checkpoint, e export\n"
          "  CSV+SVG, ctrl-L redraw, ? help (and what the focused pane shows), q or F10 quit.\n"
          "  In a lesson (mtlab learn): space next step (a question's answer first),\n"
          "  backspace back, p pause, q leave.\n"
          "\n"
          "docs: README.md, docs/lua-api.md, docs/errors.md (every error message), docs/mtlab.1\n",
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
            tparam_md_printf(&o, "  %-12s %s\n", m->name, m->summary);
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
        case OPT_CLAIMS_THOROUGH: o->claims_thorough = 1; break;
        case OPT_DRAW:
            if (int_option(a, v, 0, 1000000000, &n)) return -1;
            o->draw = n;
            break;
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
    if (!o->script && !o->collect && !o->learn) {
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
    if (strcmp(argv[1], "--version") == 0) {
        printf("mtlab %s (MPI: %s)\n", MTLAB_VERSION, sweep_mpi_version()[0] ? sweep_mpi_version() : "not built in");
        return MT_EXIT_OK;
    }
    if (strcmp(argv[1], "open") == 0) return app_open(argc - 2, argv + 2);
    const char *cmd = "workbench";
    int start = 1;
    if (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "check") == 0 || strcmp(argv[1], "sweep") == 0 ||
        strcmp(argv[1], "learn") == 0) {
        cmd = argv[1];
        start = 2;
    }
    app_options o = {.learn = strcmp(cmd, "learn") == 0};
    if (parse(argc, argv, start, &o)) return MT_EXIT_USAGE;
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
