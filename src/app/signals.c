/* signals.c - Ctrl-C and SIGTERM.
 *
 * The first signal asks politely: the handler sets app_stop_signal (the
 * loops stop after the current step and write everything) and makes
 * running Lua code raise "interrupted" at the count hook. A long call
 * inside Lua's C code (string.find on a pathological pattern) never
 * reaches the hook, so a second signal within two seconds escalates.
 *
 * The handler itself only sets flags and writes one byte to a pipe
 * (async-signal-safe). A watchdog thread reads the pipe and decides:
 *   - main thread inside Lua: it will not come back; the watchdog keeps it
 *     there (mtlua_hold_main), restores the terminal, records every
 *     registered run folder as "interrupted" and exits 130;
 *   - main thread between steps: it sees app_escalated(), shuts down in
 *     order and exits 130 itself; if it has not within five seconds, the
 *     watchdog does the same as above.
 * Headless, a first signal that the script does not answer within a
 * moment gets a hint on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "app.h"
#include "run/jsonrec.h"
#include "tui/tui.h"

#define ESCALATE_WINDOW_S 2.0 /* a second signal this soon after the first stops at once */
#define HINT_AFTER_S 0.3      /* headless: say so when a first signal is not answered by then */
#define MAIN_GRACE_S 5.0      /* a responsive main thread gets this long to exit in order */
#define MAX_GUARDED 64

volatile sig_atomic_t app_stop_signal;

static atomic_int escalated;
static _Atomic long long last_signal_ms = -1000000; /* CLOCK_MONOTONIC, for the two-second window */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "the signal handler needs lock-free atomics");
static atomic_int hints;
static int wake[2] = {-1, -1};

int app_escalated(void) { return atomic_load(&escalated); }
void app_signal_hints(int on) { atomic_store(&hints, on); }
int app_exit_code(int code) { return app_escalated() ? APP_EXIT_ESCALATED : code; }

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- run folders to finalise on the way out ---------------------------- */

typedef struct {
    mt_rundir *rd;
    mt_trainer *t;
    double t0;
} guarded;

static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static guarded guards[MAX_GUARDED];
static int nguards;

void app_guard_run(mt_rundir *rd, mt_trainer *t, double t0)
{
    pthread_mutex_lock(&guard_lock);
    if (nguards < MAX_GUARDED) guards[nguards++] = (guarded){rd, t, t0};
    pthread_mutex_unlock(&guard_lock);
}

void app_unguard_run(const mt_rundir *rd)
{
    pthread_mutex_lock(&guard_lock);
    for (int i = 0; i < nguards; i++)
        if (guards[i].rd == rd) guards[i--] = guards[--nguards];
    pthread_mutex_unlock(&guard_lock);
}

/* The main thread is held inside Lua (or has not answered for
 * MAIN_GRACE_S): restore the terminal, record the runs, exit 130. */
static void stop_at_once(void)
{
    tui_restore_terminal();
    static const char msg[] = "stopped at once by a second interrupt while the script was busy";
    pthread_mutex_lock(&guard_lock);
    for (int i = 0; i < nguards; i++) {
        guarded *g = &guards[i];
        long step = trainer_step_count(g->t);
        cJSON *ev = jrec_event("interrupted", step);
        cJSON_AddStringToObject(ev, "message", msg);
        rundir_event(g->rd, ev);
        ev = jrec_event("finish", step);
        cJSON_AddStringToObject(ev, "status", "interrupted");
        cJSON_AddNumberToObject(ev, "wall_time_s", round((mono() - g->t0) * 1000) / 1000);
        rundir_event(g->rd, ev);
        /* the records on disk (and closed: the main thread's later ones are
         * dropped), then the summary */
        rundir_seal(g->rd);
        rundir_write_summary(g->rd, g->t, "interrupted", msg, mono() - g->t0, NULL, NULL, NULL);
        fprintf(stderr, "mtlab: %s: interrupted at step %ld; recorded in %s\n", trainer_experiment(g->t)->name, step,
                rundir_path(g->rd));
    }
    fprintf(stderr, "mtlab: %s\n", msg);
    /* what the main thread printed so far (the report), unless it is
     * stuck inside a write to stdout */
    if (ftrylockfile(stdout) == 0) {
        fflush(stdout);
        funlockfile(stdout);
    }
    _exit(APP_EXIT_ESCALATED);
}

static void escalate(void)
{
    app_stop_signal = 1;
    mtlua_interrupt();
    if (!mtlua_hold_main()) {
        /* between steps: the main thread shuts down in order and exits 130 */
        double until = mono() + MAIN_GRACE_S;
        while (mono() < until) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            if (mtlua_hold_main()) break; /* it went into Lua and stays there */
        }
    }
    stop_at_once();
}

static void *watchdog(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    double hint_at = -1;
    for (;;) {
        int timeout = -1;
        if (hint_at > 0) timeout = (int)((hint_at - mono()) * 1000) + 1;
        if (hint_at > 0 && timeout < 0) timeout = 0;
        struct pollfd p = {.fd = wake[0], .events = POLLIN};
        int r = poll(&p, 1, timeout);
        if (r < 0) {
            if (errno == EINTR) continue;
            return NULL;
        }
        double now = mono();
        if (r == 0) { /* the hint's time */
            hint_at = -1;
            if (atomic_load(&hints) && mtlua_busy() && !app_escalated()) {
                fprintf(stderr, "\nmtlab: the script is busy in a call that Ctrl-C cannot interrupt; press Ctrl-C again "
                                "to stop at once\n");
                fflush(stderr);
            }
            continue;
        }
        char buf[16];
        if (read(wake[0], buf, sizeof buf) <= 0) continue;
        if (app_escalated()) escalate(); /* does not return */
        hint_at = now + HINT_AFTER_S;
    }
}

/* Signal handlers only set flags and wake the watchdog. Whether this is
 * the second signal within the window is decided here, so a main thread
 * that returns right after it still exits 130. clock_gettime and lock-free
 * atomics are async-signal-safe. */
static void on_signal(int sig)
{
    int saved = errno;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    long long prev = atomic_exchange(&last_signal_ms, now);
    if (now - prev <= (long long)(ESCALATE_WINDOW_S * 1000)) atomic_store(&escalated, 1);
    app_stop_signal = 1;
    mtlua_interrupt();
    if (wake[1] >= 0) {
        char c = (char)sig;
        ssize_t w = write(wake[1], &c, 1);
        (void)w;
    }
    errno = saved;
}

void app_install_signals(void)
{
    static int started; /* the main thread calls this, once more after tui_open */
    if (!started && pipe(wake) == 0) {
        for (int i = 0; i < 2; i++) {
            fcntl(wake[i], F_SETFL, fcntl(wake[i], F_GETFL) | O_NONBLOCK);
            fcntl(wake[i], F_SETFD, FD_CLOEXEC);
        }
        pthread_t th;
        if (pthread_create(&th, NULL, watchdog, NULL) == 0) {
            pthread_detach(th);
            started = 1;
        } else {
            close(wake[0]);
            close(wake[1]);
            wake[0] = wake[1] = -1;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
