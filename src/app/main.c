/* main.c - mtlab's command line. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "app.h"

#define MTLAB_VERSION "0.1.0"

volatile sig_atomic_t app_stop_signal;

/* Signal handlers only set flags; the loops act on them. */
static void on_signal(int sig)
{
    (void)sig;
    app_stop_signal = 1;
    mtlua_interrupt();
}

void app_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void usage(FILE *f)
{
    fputs("usage: mtlab SCRIPT.lua [options]          open the workbench on a script\n"
          "       mtlab run SCRIPT.lua [options]      train headless, write a run directory\n"
          "       mtlab check SCRIPT.lua [options]    validate; print the experiment and its network\n"
          "       mtlab --help | --version\n"
          "\n"
          "options:\n"
          "  --out DIR          run directory (default runs/<script>-<date>-<time>)\n"
          "  --set KEY=VALUE    override a field of the experiment, e.g. --set train.epochs=2,\n"
          "                     --set tasks[2].weight=0.5, --set optim.lr=3e-4 (repeatable)\n"
          "  --seed N           the same as --set train.seed=N\n"
          "  --load FILE        start from the parameters (and optimiser state) of a\n"
          "                     checkpoint.safetensors; names and shapes must match\n"
          "  --threads N        BLAS threads (default: OPENBLAS_NUM_THREADS or 2)\n"
          "  --quiet            no progress output\n"
          "  --no-color         monochrome screen (NO_COLOR in the environment does the same)\n"
          "  --exit-when-done   workbench: quit when every experiment has finished\n"
          "  --speed N          workbench: start in slow motion, N steps per second\n"
          "                     (keys < and > change it; 0 = as fast as possible)\n"
          "\n"
          "A run directory holds config.json, metrics.csv (step,epoch,split,task,loss,metric,weight),\n"
          "events.jsonl, relations.jsonl, summary.json and checkpoint.safetensors; with several\n"
          "experiments, one sub-directory each. The workbench records the same; after a reload\n"
          "(r) the new run is in DIR and the previous one in DIR.before-reload-N.\n"
          "\n"
          "exit codes: 0 success, 1 the run failed (diverged, I/O error, interrupted),\n"
          "            2 usage or script error.\n"
          "\n"
          "workbench keys: space pause/resume, n step, r reload, w / W weighting, m matrix,\n"
          "  l log scale, z zoom, + / - learning rate, < / > slow motion, tab focus, f maximise,\n"
          "  : console, [ ] 1-9 experiment, c compare (v split, t task, x y Pareto axes),\n"
          "  s checkpoint, e export CSV+SVG, ctrl-L redraw, ? help, q quit.\n"
          "\n"
          "docs: README.md, docs/lua-api.md, docs/mtlab.1\n",
          f);
}

static int parse(int argc, char **argv, int start, app_options *o, char *seedbuf, size_t seedn)
{
    for (int i = start; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--out") == 0 && i + 1 < argc) o->out_dir = argv[++i];
        else if (strcmp(a, "--load") == 0 && i + 1 < argc) o->load = argv[++i];
        else if (strcmp(a, "--set") == 0 && i + 1 < argc) {
            if (o->nsets == APP_MAX_SETS) {
                fprintf(stderr, "mtlab: at most %d --set options\n", APP_MAX_SETS);
                return -1;
            }
            if (mtlua_parse_override(argv[++i], &o->sets[o->nsets])) {
                fprintf(stderr, "mtlab: %s\n", mt_last_error());
                return -1;
            }
            o->nsets++;
        } else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
            char *end;
            const char *v = argv[++i];
            strtoull(v, &end, 10);
            if (!*v || *end) {
                fprintf(stderr, "mtlab: --seed %s: expected a non-negative integer\n", v);
                return -1;
            }
            snprintf(seedbuf, seedn, "%s", v);
            if (o->nsets < APP_MAX_SETS) o->sets[o->nsets++] = (mtlua_override){"train.seed", seedbuf};
        } else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            o->threads = atoi(argv[++i]);
            if (o->threads < 1 || o->threads > 256) {
                fprintf(stderr, "mtlab: --threads %s: expected 1..256\n", argv[i]);
                return -1;
            }
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) o->quiet = 1;
        else if (strcmp(a, "--no-color") == 0) o->no_color = 1;
        else if (strcmp(a, "--exit-when-done") == 0) o->exit_when_done = 1;
        else if (strcmp(a, "--speed") == 0 && i + 1 < argc) {
            char *end;
            o->speed = strtod(argv[++i], &end);
            if (*end || !(o->speed >= 0) || o->speed > 1e9) {
                fprintf(stderr, "mtlab: --speed %s: expected steps per second (0 = unlimited)\n", argv[i]);
                return -1;
            }
        }
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "mtlab: unknown option %s (see mtlab --help)\n", a);
            return -1;
        } else if (!o->script) o->script = a;
        else {
            fprintf(stderr, "mtlab: unexpected argument %s (one script at a time)\n", a);
            return -1;
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
    char seedbuf[32];
    if (parse(argc, argv, start, &o, seedbuf, sizeof seedbuf)) return MT_EXIT_USAGE;
    /* BLAS threads: the caller's OPENBLAS_NUM_THREADS wins unless --threads */
    if (o.threads) openblas_set_num_threads(o.threads);
    else if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(2);
    app_install_signals();
    if (strcmp(cmd, "run") == 0) return app_run_headless(&o);
    if (strcmp(cmd, "check") == 0) return app_check(&o);
    return app_workbench(&o);
}
