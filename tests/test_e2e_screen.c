/* test_e2e_screen.c - the real workbench under tmux: what a person sees.
 * It starts a script, reads the screen, and checks that the task names,
 * the matrix labels and the step counter are shown and advancing; that
 * pausing stops the counter; that a resize to a tiny terminal says so and
 * back draws again; that help opens; and that after quitting the terminal
 * works normally. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "e2e_util.h"

static char sock[64];

static void tmux(const char *fmt, ...)
{
    char args[2048], cmd[2300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "tmux -L %s %s >/dev/null 2>&1", sock, args);
    if (system(cmd) != 0) { /* kill-server at the end may find nothing */
    }
}

/* The visible screen as text (malloc'd). */
static char *capture(void)
{
    char cmd[256], path[600];
    snprintf(path, sizeof path, "%s/pane.txt", e2e_tmpdir());
    snprintf(cmd, sizeof cmd, "tmux -L %s capture-pane -p -t wb > '%s' 2>/dev/null", sock, path);
    if (system(cmd) != 0) return strdup("");
    char *s = e2e_read(path);
    return s ? s : strdup("");
}

/* Waits up to `secs` for the screen to contain needle; returns the screen. */
static char *wait_for(const char *needle, double secs)
{
    for (double t = 0; t < secs; t += 0.1) {
        char *s = capture();
        if (strstr(s, needle)) return s;
        free(s);
        usleep(100000);
    }
    char *s = capture();
    fprintf(stderr, "waited %.0fs for \"%s\"; the screen shows:\n%s\n", secs, needle, s);
    return s;
}

/* The N of "step N/M" on the screen, or -1. */
static long step_counter(void)
{
    char *s = capture();
    char *p = strstr(s, "step ");
    long n = -1;
    while (p) {
        char *end;
        long v = strtol(p + 5, &end, 10);
        if (end != p + 5 && *end == '/') {
            n = v;
            break;
        }
        p = strstr(p + 5, "step ");
    }
    free(s);
    return n;
}

static int setup(void **state)
{
    (void)state;
    if (system("command -v tmux >/dev/null 2>&1") != 0) {
        fprintf(stderr, "tmux is not installed (sh scripts/setup.sh installs it)\n");
        return -1;
    }
    snprintf(sock, sizeof sock, "mtlab-test-%d", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tmux("kill-server");
    e2e_cleanup();
    return 0;
}

static void test_e2e_screen_session(void **state)
{
    (void)state;
    const char *script = e2e_write("screen.lua",
        "local mtl = require 'mtl'\n"
        "math.randomseed(3)\n"
        "local data = mtl.data.generate { n = 400, fn = function(i)\n"
        "  local x = { math.random(), math.random(), math.random() }\n"
        "  return x, { alpha = x[1] + x[2], beta = x[2] - x[3] } end,\n"
        "  types = { alpha = 'regress', beta = 'regress' } }\n"
        "return mtl.experiment { name = 'screen test', data = data,\n"
        "  description = 'A two-task screen test.',\n"
        "  tasks = { mtl.task.regress { name = 'alpha' }, mtl.task.regress { name = 'beta' } },\n"
        "  topology = mtl.share.hard { trunk = { 8 } },\n"
        "  train = { batch = 16, steps = 100000000, eval_every = 50, relations_every = 10 } }\n");
    char cwd[512], bin[1024];
    if (!getcwd(cwd, sizeof cwd)) abort();
    snprintf(bin, sizeof bin, "%s%s%s", e2e_binary()[0] == '/' ? "" : cwd, e2e_binary()[0] == '/' ? "" : "/",
             e2e_binary());
    /* a plain shell in a 120x40 terminal; the workbench is typed into it */
    tmux("new-session -d -s wb -x 120 -y 40 'env -i PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 HOME=/tmp sh'");
    tmux("send-keys -t wb \"cd '%s' && OPENBLAS_NUM_THREADS=1 '%s' '%s' --out screen-run; echo MTLAB_EXITED=\\$?\" Enter",
         e2e_tmpdir(), bin, script);

    char *s = wait_for("grad cosine", 15);
    assert_non_null(strstr(s, "screen test"));
    assert_non_null(strstr(s, "alpha"));
    assert_non_null(strstr(s, "beta"));
    assert_non_null(strstr(s, "grad cosine")); /* the matrix and its labels */
    assert_non_null(strstr(s, "running"));
    free(s);

    long a = step_counter();
    usleep(700000);
    long b = step_counter();
    assert_true(a > 0);
    assert_true(b > a); /* advancing */

    tmux("send-keys -t wb ' '");
    s = wait_for("paused", 5);
    assert_non_null(strstr(s, "paused"));
    free(s);
    usleep(300000);
    long c = step_counter();
    usleep(700000);
    long d = step_counter();
    assert_true(c > 0);
    assert_int_equal(c, d); /* stopped */

    tmux("send-keys -t wb n");
    usleep(500000);
    assert_int_equal(step_counter(), d + 1); /* one step */

    tmux("resize-window -t wb -x 50 -y 12");
    s = wait_for("too small", 5);
    assert_non_null(strstr(s, "too small"));
    free(s);
    tmux("resize-window -t wb -x 120 -y 40");
    s = wait_for("grad cosine", 5);
    assert_non_null(strstr(s, "screen test"));
    free(s);

    tmux("send-keys -t wb '?'");
    s = wait_for("pause / resume", 5);
    assert_non_null(strstr(s, "pause / resume"));
    free(s);
    tmux("send-keys -t wb Escape");
    usleep(300000);

    /* resume, then quit: running, so it asks first */
    tmux("send-keys -t wb ' '");
    usleep(300000);
    tmux("send-keys -t wb q");
    usleep(400000);
    tmux("send-keys -t wb y");
    s = wait_for("MTLAB_EXITED=0", 10);
    assert_non_null(strstr(s, "MTLAB_EXITED=0"));
    free(s);

    /* the terminal is usable again: echo on, canonical mode, newlines */
    tmux("send-keys -t wb 'echo usable-$((40+2)); stty -a | tr \" \" \"\\n\" | grep -x -e icanon -e echo | tr \"\\n\" +' Enter");
    s = wait_for("icanon+echo+", 5);
    assert_non_null(strstr(s, "usable-42"));
    assert_non_null(strstr(s, "icanon+echo+"));
    free(s);

    char p[700];
    snprintf(p, sizeof p, "%s/screen-run/metrics.csv", e2e_tmpdir());
    assert_true(e2e_exists(p));
    tmux("kill-session -t wb");
}

/* --speed N: slow motion at N steps per second; '>' makes it 4x faster. */
static void test_e2e_screen_slow_motion(void **state)
{
    (void)state;
    const char *script = e2e_write("slow.lua",
        "local mtl = require 'mtl'\n"
        "local data = mtl.data.generate { n = 100, fn = function(i) return { i / 100 }, { y = i % 2 } end }\n"
        "return mtl.experiment { name = 'slow', data = data, tasks = { mtl.task.classify { name = 'y' } },\n"
        "  train = { batch = 10, steps = 100000 } }\n");
    char cwd[512], bin[1024];
    if (!getcwd(cwd, sizeof cwd)) abort();
    snprintf(bin, sizeof bin, "%s%s%s", e2e_binary()[0] == '/' ? "" : cwd, e2e_binary()[0] == '/' ? "" : "/",
             e2e_binary());
    tmux("new-session -d -s wb -x 120 -y 40 \"cd '%s' && OPENBLAS_NUM_THREADS=1 '%s' '%s' --speed 10 --out slow-run\"",
         e2e_tmpdir(), bin, script);
    char *s = wait_for("slow", 15);
    free(s);
    long a = step_counter();
    usleep(2000000);
    long b = step_counter();
    /* 10 steps/s for 2 s: 20, with room for a loaded machine */
    assert_true(b - a >= 8 && b - a <= 40);
    tmux("send-keys -t wb '>'");
    s = wait_for("slow motion: 40 steps/s", 5);
    assert_non_null(strstr(s, "slow motion: 40 steps/s"));
    free(s);
    usleep(300000);
    long c = step_counter();
    usleep(2000000);
    long d = step_counter();
    assert_true(d - c >= 40 && d - c <= 160);
    /* a runaway console line: Ctrl-C stops the line, not the workbench */
    tmux("send-keys -t wb :");
    usleep(200000);
    tmux("send-keys -t wb 'while true do end' Enter");
    usleep(800000);
    tmux("send-keys -t wb C-c");
    s = wait_for("interrupted", 5);
    assert_non_null(strstr(s, "interrupted"));
    free(s);
    tmux("send-keys -t wb Escape");
    long e1 = step_counter();
    usleep(1500000);
    assert_true(step_counter() > e1); /* still training */
    tmux("kill-session -t wb");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_screen_session),
        cmocka_unit_test(test_e2e_screen_slow_motion),
    };
    return cmocka_run_group_tests_name("e2e screen", tests, setup, teardown);
}
