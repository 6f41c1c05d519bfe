/* e2e_util.h - helpers for end-to-end tests that run the real mtlab binary. */
#ifndef MT_E2E_UTIL_H
#define MT_E2E_UTIL_H

#include <cJSON.h>
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

/* BLAS threads of every mtlab the tests start: the caller's
 * OPENBLAS_NUM_THREADS (scripts/run-tests.sh defaults it to 1), so
 * `OPENBLAS_NUM_THREADS=2 make test-e2e` checks the claims with two
 * threads. OPENBLAS_CORETYPE passes through the environment as it is. */
static inline const char *e2e_threads(void)
{
    const char *t = getenv("OPENBLAS_NUM_THREADS");
    return t && *t && strspn(t, "0123456789") == strlen(t) ? t : "1";
}

/* Lua text declaring `data`: the blobs of several drivers' scripts, n
 * rows (val and test of them held out) in three clusters, targets cls
 * (3 classes) and dist (regression); seeded (math.randomseed(7)). */
#define E2E_BLOBS_DATA(n, val, test)                                                                   \
    "math.randomseed(7)\n"                                                                             \
    "local data = mtl.data.generate { n = " #n ", val = " #val ", test = " #test ",\n"                 \
    "  fn = function(i)\n"                                                                             \
    "    local c = math.fmod(i, 3)\n"                                                                  \
    "    local x = { math.random() + c, math.random() - c, math.random() }\n"                          \
    "    return x, { cls = c, dist = x[1] * 0.5 + x[3] }\n"                                            \
    "  end, types = { cls = 'class', dist = 'regress' } }\n"

/* Parses the JSON file at path; a missing file or one that is not JSON
 * fails the test, naming it. Needs cmocka.h included first. */
static inline cJSON *e2e_read_json(const char *path)
{
    char *s = e2e_read(path);
    if (!s) fail_msg("cannot read %s", path);
    cJSON *o = cJSON_Parse(s);
    free(s);
    if (!o) fail_msg("%s is not JSON", path);
    return o;
}

/* e2e_read_json of <dir>/<file>. */
static inline cJSON *e2e_read_json_in(const char *dir, const char *file)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return e2e_read_json(p);
}

/* The group teardown of a driver whose only shared state is e2e_tmpdir(). */
static inline int e2e_teardown(void **state)
{
    (void)state;
    e2e_cleanup();
    return 0;
}

/* With MTLAB_E2E_LR_SCALE set (e.g. 1.000001), `run 'SCRIPT'` gets --set
 * optim.lr=<the learning rate of the script's first optimiser constructor
 * (mtl.optim.NAME { lr = X }) times the scale>: the whole suite reruns
 * with every learning rate moved by 1e-6, to see which claims are luck
 * (scripts/check-portable.sh). Not a run that sets optim itself (a test
 * that needs lr ~ 0 keeps it), and not a sweep (the sweep tests compare
 * a local and an MPI sweep byte for byte). Writes the extra arguments
 * into out (empty when not set or not found). */
static inline void e2e_lr_perturbation(const char *args, char *out, size_t n)
{
    out[0] = '\0';
    const char *sc = getenv("MTLAB_E2E_LR_SCALE");
    if (!sc || !*sc || strstr(args, "optim")) return;
    const char *a = strncmp(args, "run '", 5) == 0 ? args : NULL;
    if (!a) return;
    a = strchr(a, '\'') + 1;
    const char *b = strchr(a, '\'');
    if (!b || (size_t)(b - a) >= 900) return;
    char path[1024];
    if (a[0] == '/') snprintf(path, sizeof path, "%.*s", (int)(b - a), a);
    else snprintf(path, sizeof path, "%s/%.*s", e2e_dir, (int)(b - a), a);
    char *text = e2e_read(path);
    if (!text) return;
    const char *o = strstr(text, "mtl.optim.");
    const char *open = o ? strchr(o, '{') : NULL, *close = open ? strchr(open, '}') : NULL;
    for (const char *q = open; q && q < close; q++) {
        if (q[0] != 'l' || q[1] != 'r' || (q[-1] != ' ' && q[-1] != '{' && q[-1] != ',')) continue;
        const char *eq = q + 2;
        while (*eq == ' ') eq++;
        if (*eq != '=') continue;
        char *end;
        double lr = strtod(eq + 1, &end);
        if (end > eq + 1 && lr > 0) snprintf(out, n, " --set optim.lr=%.17g", lr * atof(sc));
        break;
    }
    if (!out[0]) fprintf(stderr, "e2e: MTLAB_E2E_LR_SCALE: no optimiser learning rate in %s\n", path);
    free(text);
}

/* Runs `mtlab ARGS` with a time limit; stdout and stderr are captured into
 * *out and *err (malloc'd). Returns the exit code (or 128+signal). */
static inline int e2e_run(const char *args, char **out, char **err)
{
    char cmd[4096], o[600], e[600], bin[1024], extra[128];
    snprintf(o, sizeof o, "%s/stdout.txt", e2e_tmpdir());
    snprintf(e, sizeof e, "%s/stderr.txt", e2e_tmpdir());
    if (e2e_binary()[0] == '/') {
        snprintf(bin, sizeof bin, "%s", e2e_binary());
    } else {
        char cwd[400];
        if (!getcwd(cwd, sizeof cwd)) abort();
        snprintf(bin, sizeof bin, "%s/%s", cwd, e2e_binary());
    }
    e2e_lr_perturbation(args, extra, sizeof extra);
    snprintf(cmd, sizeof cmd, "cd '%s' && OPENBLAS_NUM_THREADS=%s timeout -s KILL 300 '%s' %s%s >'%s' 2>'%s'",
             e2e_tmpdir(), e2e_threads(), bin, args, extra, o, e);
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

/* Fails naming the first line of `s` that ends in a space or a tab
 * (printed reports end each line at its last character). */
static inline void e2e_no_trailing_blanks(const char *s, const char *what)
{
    for (const char *line = s; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
            fail_msg("%s: a line ends in a blank: \"%.*s\"", what, (int)len, line);
        line = end ? end + 1 : line + len;
    }
}

/* Runs `mtlab run experiments/<name>.lua --out <name> -q [extra]` and
 * asserts that the script's claims held: the exit code is expect_rc (0:
 * every run finished and every claim held; 1 for a script whose runs are
 * meant to fail) and every claim in <tmp>/<name>/claims.json says
 * "held": true (each verdict goes to stderr). The claim itself is written
 * once, in the script. Returns the run's top folder (static). */
static inline const char *e2e_claim_holds(const char *root, const char *name, const char *extra, int expect_rc)
{
    static char top[700];
    char args[1600], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "run '%s/experiments/%s.lua' --out '%s' -q%s%s", root, name, name,
             extra ? " " : "", extra ? extra : "");
    int rc = e2e_run(args, &out, &err);
    snprintf(top, sizeof top, "%s/%s", e2e_tmpdir(), name);
    char p[800];
    snprintf(p, sizeof p, "%s/claims.json", top);
    char *claims = e2e_read(p);
    const char *line = out ? strstr(out, "claim ") : NULL;
    for (; line; line = strstr(line + 1, "\nclaim ")) {
        const char *l = line[0] == '\n' ? line + 1 : line, *nl = strchr(l, '\n');
        fprintf(stderr, "  %s: %.*s\n", name, nl ? (int)(nl - l) : (int)strlen(l), l);
    }
    int bad = rc != expect_rc || !claims || strstr(claims, "\"held\":\tfalse") || strstr(claims, "\"held\":\tnull");
    if (bad)
        fprintf(stderr, "mtlab %s: exit %d (expected %d)\n%s\n%s\n%s\n", args, rc, expect_rc, out ? out : "",
                err ? err : "", claims ? claims : "(no claims.json)");
    free(out);
    free(err);
    free(claims);
    if (bad) {
        fprintf(stderr, "%s: the claim did not hold (or a run failed)\n", name);
        fail();
    }
    return top;
}

#endif
