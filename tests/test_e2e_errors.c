/* test_e2e_errors.c - docs/errors.md is the test: every row of its tables
 * is a bad input (a command line run in a folder holding the page's
 * fixture files) with the exit code and the message it must produce. The
 * page and the program cannot drift apart: a changed message fails here.
 *
 * The page's format (see its top): fenced blocks whose info string holds
 * file=NAME (text), hex=NAME (bytes written as hex) or safetensors=NAME (a
 * JSON header packed into a checkpoint, zero data after it up to the last
 * data_offsets end, or data=N bytes) are written
 * into the folder first; then each table row | input | `command` | exit |
 * `message` | runs `command` with `mtlab` standing for the binary and
 * expects the exit code and the message within stdout + stderr.
 *
 * MTLAB_ERRORS_SHOW=1 prints what every row really printed (for writing
 * new rows); MTLAB_ERRORS_ONLY=N runs only the row on line N. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>

#include "e2e_util.h"

#define MAX_CASES 400

typedef struct {
    int line;
    char *what, *command, *message;
    int exit_code;
} err_case;

static err_case cases[MAX_CASES];
static int ncases, nfixtures;
static char *page;

/* The text of a table cell without its code span (`x` or `` x ``) and
 * with \| turned back into |; modifies s. */
static char *cell_text(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    size_t ticks = 0;
    while (s[ticks] == '`') ticks++;
    if (ticks && e - s > (ptrdiff_t)(2 * ticks) && strncmp(e - ticks, s, ticks) == 0) {
        s += ticks;
        e -= ticks;
        *e = '\0';
        if (ticks > 1 && *s == ' ') s++;
        if (ticks > 1 && e > s && e[-1] == ' ') *--e = '\0';
    }
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == '|') r++;
        *w++ = *r;
    }
    *w = '\0';
    return s;
}

/* Splits a table row into cells (modifying it); returns the count. */
static int split_row(char *line, char **cell, int max)
{
    int n = 0;
    char *p = line + 1; /* after the leading | */
    while (*p && n < max) {
        char *q = p;
        while (*q && !(*q == '|' && q[-1] != '\\')) q++;
        if (!*q) break;
        *q = '\0';
        cell[n++] = p;
        p = q + 1;
    }
    return n;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void write_bytes(const char *name, const void *data, size_t n)
{
    char p[800];
    snprintf(p, sizeof p, "%s/%s", e2e_tmpdir(), name);
    char *slash = strrchr(p, '/');
    if (slash > p + strlen(e2e_tmpdir())) { /* a fixture in a sub-folder */
        char cmd[900];
        *slash = '\0';
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", p);
        if (system(cmd) != 0) fail_msg("cannot create %s", p);
        *slash = '/';
    }
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) fail_msg("cannot write fixture %s", p);
}

/* A fenced block's body as the fixture its info string names. */
static void fixture(const char *info, const char *body, size_t len, int line)
{
    const char *k;
    char name[256];
    if ((k = strstr(info, "file=")) && sscanf(k + 5, "%255s", name) == 1) {
        write_bytes(name, body, len);
    } else if ((k = strstr(info, "hex=")) && sscanf(k + 4, "%255s", name) == 1) {
        unsigned char *b = malloc(len / 2 + 1);
        size_t n = 0;
        for (size_t i = 0; i + 1 < len; i++) {
            int a = hexval(body[i]), c = hexval(body[i + 1]);
            if (a >= 0 && c >= 0) {
                b[n++] = (unsigned char)(a * 16 + c);
                i++;
            }
        }
        write_bytes(name, b, n);
        free(b);
    } else if ((k = strstr(info, "safetensors=")) && sscanf(k + 12, "%255s", name) == 1) {
        /* 8-byte little-endian length, the header as written (newlines
         * dropped), then zeros up to the largest "data_offsets" end */
        char *json = malloc(len + 1);
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
            if (body[i] != '\n') json[n++] = body[i];
        json[n] = '\0';
        unsigned long end = 0;
        for (const char *q = json; (q = strstr(q, "\"data_offsets\":[")); q++) {
            unsigned long a, b;
            if (sscanf(q + 16, "%lu,%lu", &a, &b) == 2 && b > end && b < (1ul << 20)) end = b;
        }
        const char *d = strstr(info, " data=");
        if (d) end = strtoul(d + 6, NULL, 10); /* a data block of another size */
        unsigned char *out = calloc(1, 8 + n + end);
        for (int i = 0; i < 8; i++) out[i] = (unsigned char)((uint64_t)n >> (8 * i));
        memcpy(out + 8, json, n);
        write_bytes(name, out, 8 + n + end);
        free(out);
        free(json);
    } else {
        return;
    }
    (void)line;
    nfixtures++;
}

/* Reads docs/errors.md: fixtures written, cases collected. */
static void load_page(void)
{
    if (page) return;
    char p[600];
    snprintf(p, sizeof p, "%s/docs/errors.md", MTLAB_ROOT);
    page = e2e_read(p);
    if (!page) fail_msg("cannot read %s", p);
    char *s = page;
    int line = 0;
    while (*s) {
        char *nl = strchr(s, '\n');
        if (nl) *nl = '\0';
        line++;
        if (strncmp(s, "```", 3) == 0 && s[3]) {
            const char *info = s + 3;
            char *body = nl ? nl + 1 : s + strlen(s), *b = body;
            int start = line;
            for (;;) { /* to the closing fence */
                char *bn = strchr(b, '\n');
                if (!bn) fail_msg("errors.md:%d: unclosed code block", start);
                line++;
                if (strncmp(b, "```", 3) == 0) {
                    fixture(info, body, (size_t)(b - body), start);
                    *bn = '\0';
                    s = bn + 1;
                    break;
                }
                b = bn + 1;
            }
            continue;
        }
        char *cell[8];
        if (s[0] == '|' && ncases < MAX_CASES) {
            int n = split_row(s, cell, 8);
            /* a case: a code span for the command and a number for the exit */
            char *ex = n >= 4 ? cell_text(cell[2]) : NULL;
            if (n >= 4 && strchr(cell[1], '`') && isdigit((unsigned char)ex[0])) {
                char *cmd = cell_text(cell[1]);
                {
                    err_case *c = &cases[ncases++];
                    c->line = line;
                    c->what = cell_text(cell[0]);
                    c->command = cmd;
                    c->exit_code = atoi(ex);
                    c->message = cell_text(cell[3]);
                }
            }
        }
        if (!nl) break;
        s = nl + 1;
    }
}

/* Runs one row; returns 1 if it printed what the page says. */
static int run_case(const err_case *c, int show)
{
    char script[4096], sh[600], cwd[400], o[600];
    if (!getcwd(cwd, sizeof cwd)) abort();
    const char *bin = e2e_binary();
    snprintf(script, sizeof script, "mtlab() { '%s%s%s' \"$@\"; }\n%s\n", bin[0] == '/' ? "" : cwd,
             bin[0] == '/' ? "" : "/", bin, c->command);
    snprintf(sh, sizeof sh, "case-%d.sh", c->line);
    write_bytes(sh, script, strlen(script));
    snprintf(o, sizeof o, "%s/case-%d.out", e2e_tmpdir(), c->line);
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "cd '%s' && OPENBLAS_NUM_THREADS=1 timeout -s KILL 120 sh '%s' >'%s' 2>&1 </dev/null",
             e2e_tmpdir(), sh, o);
    int rc = system(cmd);
    rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
    char *out = e2e_read(o);
    if (!out) out = strdup("");
    int ok = rc == c->exit_code && strstr(out, c->message) != NULL;
    if (show || !ok)
        fprintf(stderr, "%s errors.md:%d: %s\n  $ %s\n  exit %d (page: %d)\n  page:   %s\n  output: %s\n",
                ok ? "ok" : "MISMATCH", c->line, c->what, c->command, rc, c->exit_code, c->message, out);
    free(out);
    return ok;
}

static void test_e2e_errors_page_is_a_catalogue(void **state)
{
    (void)state;
    load_page();
    fprintf(stderr, "  docs/errors.md: %d cases, %d fixtures\n", ncases, nfixtures);
    assert_true(ncases >= 100);
    for (int i = 0; i < ncases; i++) {
        if (!cases[i].message[0] || !cases[i].what[0]) fail_msg("errors.md:%d: a row without input or message", cases[i].line);
        if (cases[i].exit_code < 1) fail_msg("errors.md:%d: a bad input must exit non-zero", cases[i].line);
    }
}

static void test_e2e_errors_every_message(void **state)
{
    (void)state;
    load_page();
    const char *show = getenv("MTLAB_ERRORS_SHOW"), *only = getenv("MTLAB_ERRORS_ONLY");
    int bad = 0;
    for (int i = 0; i < ncases; i++) {
        if (only && atoi(only) != cases[i].line) continue;
        bad += !run_case(&cases[i], show && *show == '1');
    }
    if (bad) fail_msg("%d of %d rows of docs/errors.md do not match (see above)", bad, ncases);
}

static int teardown_all(void **state)
{
    (void)state;
    free(page);
    e2e_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_errors_page_is_a_catalogue),
        cmocka_unit_test(test_e2e_errors_every_message),
    };
    return cmocka_run_group_tests_name("e2e errors.md", tests, NULL, teardown_all);
}
