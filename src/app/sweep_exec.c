/* sweep_exec.c - a sweep's runs as child processes: each is this mtlab
 * binary running `mtlab run ...` exactly as `mtlab sweep --list` prints it,
 * so a run started here, on an MPI rank or by hand writes the same files. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "app.h"
#include "core/mem.h"
#include "run/rundir.h"
#include "sweep.h"

double sweep_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

pid_t sweep_spawn(const char *exe, char *const *args, const char *log)
{
    char *argv[MT_SWEEP_MAX_ARGS + 2];
    int n = 0;
    argv[n++] = (char *)exe;
    for (; args[n - 1] && n < MT_SWEEP_MAX_ARGS + 1; n++) argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "mtlab: sweep: cannot start a run: %s\n", strerror(errno));
        return -1;
    }
    if (pid > 0) return pid;
    /* the child: a run whose sweep (or MPI rank) is gone stops too */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(128 + SIGTERM);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    int in = open("/dev/null", O_RDONLY);
    if (fd < 0 || in < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || dup2(in, 0) < 0) _exit(127);
    close(fd);
    close(in);
    execv(exe, argv);
    fprintf(stderr, "mtlab: sweep: cannot run %s: %s\n", exe, strerror(errno));
    _exit(127);
}

int sweep_reap(pid_t pid, int *code)
{
    int st;
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == 0) return 0;
    if (w < 0) {
        *code = MT_EXIT_FAILED;
        return 1;
    }
    *code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 1;
}

pid_t sweep_start_run(const app_sweep_ctx *c, int r)
{
    char dir[1400], log[1500];
    snprintf(dir, sizeof dir, "%s/%s", c->out, c->plan->run[r].dir);
    if (rundir_mkdirs(dir)) {
        fprintf(stderr, "mtlab: sweep: %s\n", mt_last_error());
        return -1;
    }
    snprintf(log, sizeof log, "%s/run.log", dir);
    mt_sweep_argv *a = mt_alloc(sizeof *a);
    if (!a) return -1;
    pid_t pid = -1;
    if (sweep_plan_argv(c->plan, r, c->out, a) == MT_OK) pid = sweep_spawn(c->exe, a->argv, log);
    else fprintf(stderr, "mtlab: sweep: %s\n", mt_last_error());
    mt_free(a);
    return pid;
}

void sweep_run_ended(app_sweep_ctx *c, int r, int code, double secs, const char *where)
{
    char status[32];
    sweep_run_status(c->out, c->plan->run[r].dir, status, sizeof status);
    if (c->summary && c->summary[r] && !status[0]) snprintf(status, sizeof status, "(gathered)");
    c->ended++;
    int ok = sweep_status_done(status);
    if (!ok) c->failed++;
    if (c->quiet && ok) return;
    const mt_sweep_run *run = &c->plan->run[r];
    fprintf(stderr, "mtlab: sweep [%d/%d] %s seed %llu: %s (%.1fs%s%s)\n", c->ended, c->total,
            c->plan->config[run->config].name, c->plan->spec.seed[run->seed], status[0] ? status : "no summary",
            secs, where[0] ? ", " : "", where);
    if (!ok) fprintf(stderr, "mtlab: sweep:   exit code %d; see %s/%s/run.log\n", code, c->out, run->dir);
}

mt_status sweep_slots_init(sweep_slots *s, int jobs)
{
    memset(s, 0, sizeof *s);
    s->jobs = jobs;
    s->pid = mt_calloc((size_t)jobs, sizeof *s->pid);
    s->run = mt_calloc((size_t)jobs, sizeof *s->run);
    s->t0 = mt_calloc((size_t)jobs, sizeof *s->t0);
    if (s->pid && s->run && s->t0) return MT_OK;
    sweep_slots_free(s);
    return MT_ERR_NOMEM;
}

void sweep_slots_free(sweep_slots *s)
{
    mt_free(s->pid);
    mt_free(s->run);
    mt_free(s->t0);
    memset(s, 0, sizeof *s);
}

int sweep_slots_step(app_sweep_ctx *c, sweep_slots *s, const int *todo, int n, int *next, const char *where)
{
    int did = 0;
    if (app_stop_signal) {
        *next = n; /* start nothing more; let the running ones stop */
        if (!s->forwarded)
            for (int j = 0; j < s->jobs; j++)
                if (s->pid[j] > 0) kill(s->pid[j], SIGINT);
        s->forwarded = 1;
    }
    for (int j = 0; j < s->jobs && *next < n; j++) {
        if (s->pid[j] > 0) continue;
        int r = todo[(*next)++];
        s->pid[j] = sweep_start_run(c, r);
        if (s->pid[j] < 0) {
            s->pid[j] = 0;
            sweep_run_ended(c, r, MT_EXIT_FAILED, 0, where);
            continue;
        }
        s->run[j] = r;
        s->t0[j] = sweep_now();
        s->running++;
        did = 1;
    }
    for (int j = 0; j < s->jobs; j++) {
        int code;
        if (s->pid[j] <= 0 || !sweep_reap(s->pid[j], &code)) continue;
        s->pid[j] = 0;
        s->running--;
        did = 1;
        sweep_run_ended(c, s->run[j], code, sweep_now() - s->t0[j], where);
    }
    return did;
}

void sweep_exec_local(app_sweep_ctx *c, const int *todo, int n, int jobs)
{
    sweep_slots s;
    if (sweep_slots_init(&s, jobs)) return;
    int next = 0;
    while (next < n || s.running > 0)
        if (!sweep_slots_step(c, &s, todo, n, &next, "")) usleep(20000);
    sweep_slots_free(&s);
}
