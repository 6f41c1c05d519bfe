/* e2e_util.h - helpers for end-to-end tests that run the real mtlab binary. */
#ifndef MT_E2E_UTIL_H
#define MT_E2E_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char e2e_dir[256];

/* A fresh temporary directory for this driver's files. */
static inline const char *e2e_tmpdir(void)
{
    if (!e2e_dir[0]) {
        snprintf(e2e_dir, sizeof e2e_dir, "/tmp/mtlab-e2e-XXXXXX");
        if (!mkdtemp(e2e_dir)) abort();
    }
    return e2e_dir;
}

static inline void e2e_cleanup(void)
{
    if (e2e_dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", e2e_dir);
        if (system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
    }
}

static inline const char *e2e_binary(void)
{
    static char path[512];
    const char *b = getenv("MTLAB_BUILD");
    snprintf(path, sizeof path, "%s/mtlab", b && *b ? b : "build");
    return path;
}

/* Writes text to <tmp>/<name> and returns the path (static buffer per call site). */
static inline const char *e2e_write(const char *name, const char *text)
{
    static char paths[16][512];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, 512, "%s/%s", e2e_tmpdir(), name);
    FILE *f = fopen(p, "w");
    if (!f) abort();
    fputs(text, f);
    fclose(f);
    return p;
}

/* Reads a whole file into a malloc'd string (NULL if absent). */
static inline char *e2e_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* Runs `mtlab ARGS` with a time limit; stdout and stderr are captured into
 * *out and *err (malloc'd). Returns the exit code (or 128+signal). */
static inline int e2e_run(const char *args, char **out, char **err)
{
    char cmd[4096], o[600], e[600];
    snprintf(o, sizeof o, "%s/stdout.txt", e2e_tmpdir());
    snprintf(e, sizeof e, "%s/stderr.txt", e2e_tmpdir());
    snprintf(cmd, sizeof cmd, "cd '%s' && OPENBLAS_NUM_THREADS=1 timeout -s KILL 300 '%s' %s >'%s' 2>'%s'",
             e2e_tmpdir(), e2e_binary()[0] == '/' ? e2e_binary() : "", args, o, e);
    if (e2e_binary()[0] != '/') {
        char cwd[400];
        if (!getcwd(cwd, sizeof cwd)) abort();
        snprintf(cmd, sizeof cmd, "cd '%s' && OPENBLAS_NUM_THREADS=1 timeout -s KILL 300 '%s/%s' %s >'%s' 2>'%s'",
                 e2e_tmpdir(), cwd, e2e_binary(), args, o, e);
    }
    int rc = system(cmd);
    if (out) *out = e2e_read(o);
    if (err) *err = e2e_read(e);
    if (WIFEXITED(rc)) return WEXITSTATUS(rc);
    return 128 + WTERMSIG(rc);
}

static inline int e2e_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static inline int count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++) n += *s == '\n';
    return n;
}

#endif
