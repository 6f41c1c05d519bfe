/* tmux_util.h - driving the real workbench under tmux, for end-to-end
 * tests of what a person sees: a session per test process (its own tmux
 * server socket), keys sent with send-keys, the screen read with
 * capture-pane -p. Include after e2e_util.h. */
#ifndef MT_TMUX_UTIL_H
#define MT_TMUX_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmux_sock[64];

/* The socket name of this process's tmux server; 0 when tmux is there. */
static inline int tmux_setup(void)
{
    if (system("command -v tmux >/dev/null 2>&1") != 0) {
        fprintf(stderr, "tmux is not installed (sh scripts/setup.sh installs it)\n");
        return -1;
    }
    snprintf(tmux_sock, sizeof tmux_sock, "mtlab-test-%d", (int)getpid());
    return 0;
}

static inline void tmux(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tmux(const char *fmt, ...)
{
    char args[2048], cmd[2300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "tmux -L %s %s >/dev/null 2>&1", tmux_sock, args);
    if (system(cmd) != 0) { /* kill-server at the end may find nothing */
    }
}

/* The cmocka group setup and teardown of a tmux driver: the socket
 * (tmux_setup), then the server killed and e2e_tmpdir() removed. */
static inline int tmux_group_setup(void **state)
{
    (void)state;
    return tmux_setup();
}

static inline int tmux_group_teardown(void **state)
{
    (void)state;
    tmux("kill-server");
    e2e_cleanup();
    return 0;
}

/* The visible screen as text (malloc'd). */
static inline char *tmux_capture(void)
{
    char cmd[800], path[600];
    snprintf(path, sizeof path, "%s/pane.txt", e2e_tmpdir());
    snprintf(cmd, sizeof cmd, "tmux -L %s capture-pane -p -t wb > '%s' 2>/dev/null", tmux_sock, path);
    if (system(cmd) != 0) return strdup("");
    char *s = e2e_read(path);
    return s ? s : strdup("");
}

/* Waits up to `secs` for the screen to contain needle; returns the screen
 * (malloc'd), which holds needle unless the time ran out. */
static inline char *tmux_wait_for(const char *needle, double secs)
{
    for (double t = 0; t < secs; t += 0.1) {
        char *s = tmux_capture();
        if (strstr(s, needle)) return s;
        free(s);
        usleep(100000);
    }
    char *s = tmux_capture();
    fprintf(stderr, "waited %.0fs for \"%s\"; the screen shows:\n%s\n", secs, needle, s);
    return s;
}

/* Waits up to `secs` until the screen no longer contains needle; returns
 * the screen (malloc'd). */
static inline char *tmux_wait_gone(const char *needle, double secs)
{
    for (double t = 0; t < secs; t += 0.1) {
        char *s = tmux_capture();
        if (!strstr(s, needle)) return s;
        free(s);
        usleep(100000);
    }
    char *s = tmux_capture();
    fprintf(stderr, "waited %.0fs for \"%s\" to go; the screen shows:\n%s\n", secs, needle, s);
    return s;
}

/* The absolute path of the binary under test. */
static inline const char *tmux_binary_path(void)
{
    static char bin[1024];
    char cwd[512];
    if (!getcwd(cwd, sizeof cwd)) abort();
    snprintf(bin, sizeof bin, "%s%s%s", e2e_binary()[0] == '/' ? "" : cwd, e2e_binary()[0] == '/' ? "" : "/",
             e2e_binary());
    return bin;
}

/* Starts `mtlab ARGS` in a cols x lines tmux session "wb", in the
 * temporary directory, reporting its exit code as MTLAB_EXITED=N. */
static inline void tmux_start(int cols, int lines, const char *args)
{
    tmux("kill-session -t wb");
    char cmd[256];
    snprintf(cmd, sizeof cmd, "tmux -L %s has-session -t wb >/dev/null 2>&1", tmux_sock);
    for (int i = 0; i < 50; i++) {
        tmux("new-session -d -s wb -x %d -y %d 'env -i PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 HOME=/tmp "
             "XDG_STATE_HOME=%s/state sh'",
             cols, lines, e2e_tmpdir());
        if (system(cmd) == 0) break;
        usleep(100000);
    }
    usleep(200000); /* the shell's prompt */
    tmux("send-keys -t wb \"cd '%s' && OPENBLAS_NUM_THREADS=1 '%s' %s; echo MTLAB_EXITED=\\$?\" Enter", e2e_tmpdir(),
         tmux_binary_path(), args);
}

#endif
