/* sweep_mpi.c - a sweep spread over MPI ranks (`mpirun -np N mtlab sweep
 * ...`). Rank 0 plans, hands out one run at a time to each rank that asks,
 * runs its own share too, and gathers every run's summary.json; the other
 * ranks only run what they are given. A run is the same child process
 * `mtlab run ...` as on one machine, writing its folder itself: the
 * sweep's directory must be on a filesystem every rank sees. When a rank
 * dies, mpirun ends the job; finished runs keep their folders and the
 * next invocation redoes only the rest.
 *
 * The only file that includes <mpi.h>; built without MPI (no pkg-config
 * ompi-c or mpi) it says so when started by mpirun. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app.h"
#include "core/mem.h"
#include "run/rundir.h"
#include "sweep.h"

/* The number of processes a launcher says it started, or 0. */
static int launched_size(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", NULL};
    for (const char *const *v = vars; *v; v++) {
        const char *s = getenv(*v);
        if (s && atoi(s) > 0) return atoi(s);
    }
    return 0;
}

#ifndef MTLAB_MPI

int sweep_mpi_start(int *rank, int *size)
{
    *rank = 0;
    *size = 1;
    int n = launched_size();
    if (n <= 1) return 0;
    fprintf(stderr,
            "mtlab: sweep: started by mpirun with %d processes, but MPI is not built in to this mtlab.\n"
            "mtlab: install libopenmpi-dev and openmpi-bin (sh scripts/setup.sh) and rebuild, or run the\n"
            "mtlab: sweep without mpirun (-j N runs N at a time on this machine)\n",
            n);
    return -1;
}

void sweep_exec_mpi(app_sweep_ctx *c, const int *todo, int n, int jobs) { sweep_exec_local(c, todo, n, jobs); }
int sweep_mpi_worker(void) { return MT_EXIT_OK; }
void sweep_mpi_stop(int rank) { (void)rank; }
const char *sweep_mpi_version(void) { return ""; }

#else

#include <mpi.h>

enum { TAG_READY = 1, TAG_RESULT, TAG_WORK, TAG_STOP };

static int mpi_size, workers_stopped;

const char *sweep_mpi_version(void)
{
    static char v[64];
#ifdef OMPI_MAJOR_VERSION
    snprintf(v, sizeof v, "Open MPI %d.%d.%d", OMPI_MAJOR_VERSION, OMPI_MINOR_VERSION, OMPI_RELEASE_VERSION);
#else
    snprintf(v, sizeof v, "MPI %d.%d", MPI_VERSION, MPI_SUBVERSION);
#endif
    return v;
}

int sweep_mpi_start(int *rank, int *size)
{
    *rank = 0;
    *size = 1;
    if (launched_size() < 1) return 0;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        fprintf(stderr, "mtlab: sweep: MPI_Init failed\n");
        return -1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    mpi_size = *size;
    /* mpirun forwards SIGINT/SIGTERM; the sweep's handlers stay in place */
    app_install_signals();
    return 1;
}

/* Receives one message of any length from anyone; the caller frees *buf. */
static void recv_any(MPI_Status *st, char **buf, int *len)
{
    MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, st);
    MPI_Get_count(st, MPI_CHAR, len);
    *buf = malloc((size_t)*len + 1);
    MPI_Recv(*buf, *len, MPI_CHAR, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    (*buf)[*len] = '\0';
}

/* WORK: "<run>\0<log>\0<run dir>\0<arg>\0<arg>...\0". */
static int send_work(const app_sweep_ctx *c, int r, int to)
{
    mt_sweep_argv *a = mt_alloc(sizeof *a);
    char *msg = mt_alloc(sizeof a->buf + 4096);
    int ok = a && msg && sweep_plan_argv(c->plan, r, c->out, a) == MT_OK;
    size_t w = 0;
    if (ok) {
        w += (size_t)sprintf(msg + w, "%d", r) + 1;
        w += (size_t)sprintf(msg + w, "%.1400s/%s/run.log", c->out, c->plan->run[r].dir) + 1;
        w += (size_t)sprintf(msg + w, "%.1400s/%s", c->out, c->plan->run[r].dir) + 1;
        for (int i = 0; i < a->argc; i++) {
            size_t l = strlen(a->argv[i]) + 1;
            memcpy(msg + w, a->argv[i], l);
            w += l;
        }
        MPI_Send(msg, (int)w, MPI_CHAR, to, TAG_WORK, MPI_COMM_WORLD);
    }
    mt_free(a);
    mt_free(msg);
    return ok;
}

void sweep_exec_mpi(app_sweep_ctx *c, const int *todo, int n, int jobs)
{
    int active = mpi_size - 1 - workers_stopped;
    double *worker_t0 = mt_calloc((size_t)mpi_size, sizeof *worker_t0);
    c->summary = mt_calloc((size_t)c->plan->nruns, sizeof *c->summary);
    sweep_slots own; /* this rank's own share */
    if (!worker_t0 || !c->summary || sweep_slots_init(&own, jobs)) {
        mt_free(worker_t0);
        return;
    }
    int next = 0;
    while (active > 0 || own.running > 0 || next < n) {
        int did = sweep_slots_step(c, &own, todo, n, &next, "rank 0");
        /* the other ranks */
        int flag = 0;
        MPI_Status st;
        if (active > 0) MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (flag) {
            char *buf;
            int len;
            recv_any(&st, &buf, &len);
            int from = st.MPI_SOURCE;
            if (st.MPI_TAG == TAG_RESULT) {
                int r = -1, code = 1, off = 0;
                if (sscanf(buf, "%d %d%n", &r, &code, &off) >= 2 && r >= 0 && r < c->plan->nruns) {
                    const char *text = buf + off + 1 <= buf + len ? buf + off + 1 : "";
                    if (*text) {
                        c->summary[r] = mt_strdup(text);
                    }
                    char where[32];
                    snprintf(where, sizeof where, "rank %d", from);
                    sweep_run_ended(c, r, code, sweep_now() - worker_t0[from], where);
                }
            }
            free(buf);
            if (next < n) {
                int r = todo[next++];
                if (send_work(c, r, from)) {
                    worker_t0[from] = sweep_now();
                } else {
                    sweep_run_ended(c, r, MT_EXIT_FAILED, 0, "not sent");
                    MPI_Send(NULL, 0, MPI_CHAR, from, TAG_STOP, MPI_COMM_WORLD);
                    active--;
                    workers_stopped++;
                }
            } else {
                MPI_Send(NULL, 0, MPI_CHAR, from, TAG_STOP, MPI_COMM_WORLD);
                active--;
                workers_stopped++;
            }
            did = 1;
        }
        if (!did) usleep(10000);
    }
    mt_free(worker_t0);
    sweep_slots_free(&own);
}

int sweep_mpi_worker(void)
{
    int code_all = MT_EXIT_OK;
    MPI_Send(NULL, 0, MPI_CHAR, 0, TAG_READY, MPI_COMM_WORLD);
    for (;;) {
        MPI_Status st;
        char *buf;
        int len;
        recv_any(&st, &buf, &len);
        if (st.MPI_TAG != TAG_WORK) {
            free(buf);
            break;
        }
        /* unpack the NUL-separated fields */
        char *f[MT_SWEEP_MAX_ARGS + 4];
        int nf = 0;
        for (char *p = buf; p < buf + len && nf < MT_SWEEP_MAX_ARGS + 3; p += strlen(p) + 1) f[nf++] = p;
        f[nf] = NULL;
        int r = nf >= 4 ? atoi(f[0]) : -1, code = MT_EXIT_FAILED;
        char exe[4096];
        ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (r >= 0 && el > 0 && rundir_mkdirs(f[2]) == MT_OK) {
            exe[el] = '\0';
            pid_t pid = sweep_spawn(exe, f + 3, f[1]);
            int forwarded = 0;
            while (pid > 0 && !sweep_reap(pid, &code)) {
                if (app_stop_signal && !forwarded) {
                    kill(pid, SIGINT);
                    forwarded = 1;
                }
                usleep(20000);
            }
        }
        if (code) code_all = MT_EXIT_FAILED;
        /* RESULT: "<run> <code>\n<summary.json text>" */
        char path[1500];
        snprintf(path, sizeof path, "%s/summary.json", nf >= 3 ? f[2] : ".");
        FILE *sf = fopen(path, "rb");
        size_t cap = 1 << 16, w = 0;
        char *msg = malloc(cap);
        if (msg) {
            w = (size_t)snprintf(msg, cap, "%d %d\n", r, code);
            if (sf) w += fread(msg + w, 1, cap - w - 1, sf);
            msg[w] = '\0';
            MPI_Send(msg, (int)w + 1, MPI_CHAR, 0, TAG_RESULT, MPI_COMM_WORLD);
        }
        if (sf) fclose(sf);
        free(msg);
        free(buf);
    }
    return code_all;
}

void sweep_mpi_stop(int rank)
{
    if (mpi_size == 0) return;
    /* rank 0 answers every worker still waiting (an early error, --list,
     * --collect) with stop, so no rank is left blocked */
    while (rank == 0 && workers_stopped < mpi_size - 1) {
        MPI_Status st;
        char *buf;
        int len;
        recv_any(&st, &buf, &len);
        free(buf);
        MPI_Send(NULL, 0, MPI_CHAR, st.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
        workers_stopped++;
    }
    MPI_Finalize();
}

#endif
