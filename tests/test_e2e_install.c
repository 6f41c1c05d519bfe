/* test_e2e_install.c - installing and versions: `make install DESTDIR=...
 * PREFIX=/usr` gives a binary that runs an installed experiment from
 * another folder and holds no path of the build tree; the version is one
 * constant that --version, the man page and the changelog agree on; bash
 * completion offers the option table's options and the registry's keys. */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <string.h>

#include "core/version.h"
#include "e2e_util.h"

/* Runs a shell command; its stdout into *out (malloc'd) when out. */
static int sh(const char *cmd, char **out)
{
    char full[8192], o[600];
    snprintf(o, sizeof o, "%s/sh-out.txt", e2e_tmpdir());
    snprintf(full, sizeof full, "( %s ) >'%s'", cmd, o);
    int rc = system(full);
    if (out) *out = e2e_read(o);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

static int contains_bytes(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n);
    size_t got = fread(b, 1, (size_t)n, f);
    fclose(f);
    int hit = memmem(b, got, needle, strlen(needle)) != NULL;
    free(b);
    return hit;
}

/* The build folder as make knows it (BUILD=...), relative to the tree. */
static const char *build_dir(void)
{
    const char *b = getenv("MTLAB_BUILD");
    return b && *b ? b : "build";
}

static void test_install_runs_from_anywhere(void **state)
{
    (void)state;
    char dest[512], cmd[4096], *out = NULL;
    snprintf(dest, sizeof dest, "%s/stage", e2e_tmpdir());
    /* -o: install the binary as built; never rebuild it with other flags
     * (nor with those of a `make test SANITIZE=1` this test runs under) */
    snprintf(cmd, sizeof cmd,
             "env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C '%s' --no-print-directory -o '%s/mtlab' install "
             "DESTDIR='%s' PREFIX=/usr BUILD='%s' 2>&1",
             MTLAB_ROOT, build_dir(), dest, build_dir());
    int rc = sh(cmd, &out);
    if (rc) fprintf(stderr, "%s\n", out);
    assert_int_equal(rc, 0);
    free(out);
    static const char *const files[] = {"usr/bin/mtlab", "usr/share/mtlab/lua/mtl.lua",
                                        "usr/share/mtlab/experiments/35_multitask_krr.lua",
                                        "usr/share/man/man1/mtlab.1",
                                        "usr/share/bash-completion/completions/mtlab",
                                        "usr/share/doc/mtlab/LICENSE",
                                        "usr/share/mtlab/scripts/torch_load_checkpoint.py", NULL};
    for (const char *const *f = files; *f; f++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dest, *f);
        if (!e2e_exists(p)) fprintf(stderr, "not installed: %s\n", *f);
        assert_true(e2e_exists(p));
    }

    /* no path of the build tree inside the binary (strings would show it) */
    char bin[1024];
    snprintf(bin, sizeof bin, "%s/usr/bin/mtlab", dest);
    assert_int_equal(contains_bytes(bin, MTLAB_ROOT), 0);

    /* from another folder, with no source tree in sight: an installed
     * experiment runs, and the data folder is the installed one */
    char elsewhere[600];
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", e2e_tmpdir());
    assert_int_equal(mkdir(elsewhere, 0755), 0);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && env -u MTLAB_LUA_PATH -u MTLAB_DATADIR OPENBLAS_NUM_THREADS=1 '%s' run "
             "'%s/usr/share/mtlab/experiments/35_multitask_krr.lua' --out run1 --quiet 2>&1",
             elsewhere, bin, dest);
    rc = sh(cmd, &out);
    if (rc) fprintf(stderr, "%s\n", out);
    assert_int_equal(rc, 0);
    free(out);
    char summary[1024];
    snprintf(summary, sizeof summary, "%s/run1/01-independent-b-i/summary.json", elsewhere);
    assert_true(e2e_exists(summary));
    snprintf(cmd, sizeof cmd, "cd / && env -u MTLAB_DATADIR '%s' --complete datadir", bin);
    assert_int_equal(sh(cmd, &out), 0);
    char want[1024];
    snprintf(want, sizeof want, "%s/usr/share/mtlab\n", dest);
    char real[1024];
    assert_non_null(realpath(dest, real)); /* mt_datadir resolves links */
    snprintf(want, sizeof want, "%s/usr/share/mtlab\n", real);
    assert_string_equal(out, want);
    free(out);

    /* the man page is found where man looks */
    snprintf(cmd, sizeof cmd, "command -v man >/dev/null || exit 0; MANPATH='%s/usr/share/man' man -w mtlab", dest);
    assert_int_equal(sh(cmd, &out), 0);
    free(out);

    /* bash completion: an option, a --set key of the registry, a method */
    snprintf(cmd, sizeof cmd,
             "bash -c 'source %s/usr/share/bash-completion/completions/mtlab; "
             "c() { COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _mtlab; echo \"${COMPREPLY[*]}\"; }; "
             "c %s run x.lua --thr; c %s run x.lua --set train.epo; c %s run x.lua --set weighting = pcg; "
             "cd /; c %s 35_multi'",
             dest, bin, bin, bin, bin);
    assert_int_equal(sh(cmd, &out), 0);
    snprintf(want, sizeof want, "--threads\ntrain.epochs=\npcgrad\n%s/usr/share/mtlab/experiments/35_multitask_krr.lua\n",
             real);
    assert_string_equal(out, want);
    free(out);
}

static char *first_line_with(const char *text, const char *prefix)
{
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (strncmp(p, prefix, strlen(prefix)) == 0) return strndup(p, len);
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

/* One version: --version says MTLAB_VERSION (and the commit when built
 * from git), the man page's header and the changelog's newest release
 * heading say the same. */
static void test_one_version(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(e2e_run("--version", &out, NULL), 0);
    char want[128];
    snprintf(want, sizeof want, "mtlab %s", MTLAB_VERSION);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    if (e2e_exists(MTLAB_ROOT "/.git") && sh("command -v git >/dev/null", NULL) == 0)
        assert_non_null(strstr(out, "(commit "));
    free(out);

    char *man = e2e_read(MTLAB_ROOT "/docs/mtlab.1");
    assert_non_null(man);
    char *th = first_line_with(man, ".TH MTLAB 1 ");
    assert_non_null(th);
    snprintf(want, sizeof want, "\"mtlab %s\"", MTLAB_VERSION);
    if (!strstr(th, want)) fprintf(stderr, "docs/mtlab.1: %s (make docs writes %s)\n", th, want);
    assert_non_null(strstr(th, want));
    free(th);
    free(man);

    char *log = e2e_read(MTLAB_ROOT "/CHANGELOG.md");
    assert_non_null(log);
    snprintf(want, sizeof want, "\n## %s", MTLAB_VERSION);
    assert_non_null(strstr(log, want));
    free(log);
    assert_true(e2e_exists(MTLAB_ROOT "/LICENSE"));
}

/* config.json says where a run comes from: version, commit, the command
 * line, the BLAS threads, the seed and the CPU. */
static void test_config_provenance(void **state)
{
    (void)state;
    char args[1024], *out;
    snprintf(args, sizeof args, "run '%s/experiments/35_multitask_krr.lua' --out prov --threads 1 --seed 5 --quiet",
             MTLAB_ROOT);
    assert_int_equal(e2e_run(args, &out, NULL), 0);
    free(out);
    char p[700];
    snprintf(p, sizeof p, "%s/prov/01-independent-b-i/config.json", e2e_tmpdir());
    char *text = e2e_read(p);
    assert_non_null(text);
    cJSON *o = cJSON_Parse(text);
    free(text);
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(o, "provenance");
    assert_non_null(pv);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(pv, "version")->valuestring, MTLAB_VERSION);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(pv, "commit")->valuestring, mt_commit());
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(pv, "command_line");
    assert_int_equal(cJSON_GetArraySize(cl), 10);
    assert_string_equal(cJSON_GetArrayItem(cl, 1)->valuestring, "run");
    assert_string_equal(cJSON_GetArrayItem(cl, 9)->valuestring, "--quiet");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(pv, "threads")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(pv, "seed")->valueint, 5);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(pv, "cpu")->valuestring, mt_cpu_model());
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(pv, "blas_kernel")));
    cJSON_Delete(o);
}

/* Every command and top-level option the usage of `mtlab --help` shows
 * ("mtlab WORD", "mtlab --a | --b") is a word of `mtlab --complete
 * commands`, and bash completion offers it as the first word. */
static void test_help_commands_complete(void **state)
{
    (void)state;
    char cmd[2048], *help = NULL, *words = NULL, *bash = NULL;
    snprintf(cmd, sizeof cmd, "'%s' --help", e2e_binary());
    assert_int_equal(sh(cmd, &help), 0);
    snprintf(cmd, sizeof cmd, "'%s' --complete commands", e2e_binary());
    assert_int_equal(sh(cmd, &words), 0);
    snprintf(cmd, sizeof cmd,
             "bash -c 'source %s/scripts/mtlab.bash-completion; COMP_WORDS=(\"%s\" \"\"); COMP_CWORD=1; _mtlab; "
             "printf \"%%s\\n\" \"${COMPREPLY[@]}\"; COMP_WORDS=(\"%s\" --); _mtlab; printf \"%%s\\n\" \"${COMPREPLY[@]}\"'",
             MTLAB_ROOT, e2e_binary(), e2e_binary());
    assert_int_equal(sh(cmd, &bash), 0);
    int n = 0;
    for (char *line = strtok(help, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "options:", 8) == 0) break; /* the usage ends there */
        char *p = strstr(line, "mtlab ");
        if (!p) continue;
        p += 6;
        /* "--help | --version": each alternative */
        for (;;) {
            size_t len = strcspn(p, " \t[");
            int is_word = len && (p[0] == '-' || (p[0] >= 'a' && p[0] <= 'z'));
            if (is_word) {
                char w[64], line_w[70];
                snprintf(w, sizeof w, "%.*s", (int)len, p);
                snprintf(line_w, sizeof line_w, "\n%s\n", w);
                char *in_words = NULL, *in_bash = NULL;
                if (asprintf(&in_words, "\n%s", words) < 0 || asprintf(&in_bash, "\n%s", bash) < 0) abort();
                if (!strstr(in_words, line_w)) fprintf(stderr, "--help shows \"%s\"; --complete commands lacks it\n", w);
                if (!strstr(in_bash, line_w)) fprintf(stderr, "--help shows \"%s\"; bash does not complete it\n", w);
                assert_non_null(strstr(in_words, line_w));
                assert_non_null(strstr(in_bash, line_w));
                free(in_words);
                free(in_bash);
                n++;
            }
            if (strncmp(p + len, " | ", 3) != 0) break;
            p += len + 3;
        }
    }
    assert_true(n >= 10); /* run check open sweep report, the --list-* and --help --version */
    free(help);
    free(words);
    free(bash);
}

/* Compiles one object into a fresh build folder (make BUILD=dir); returns
 * 1 when make compiled it, 0 when it was up to date, -1 on failure. */
static int compiles(const char *dir, const char *extra)
{
    char cmd[2048], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C '%s' --no-print-directory MPI=0 SANITIZE=0 "
             "BUILD='%s' %s '%s/obj/core/log.o' 2>&1",
             MTLAB_ROOT, dir, extra, dir);
    int rc = sh(cmd, &out);
    int r = rc ? -1 : strstr(out, "src/core/log.c -o") != NULL;
    if (rc) fprintf(stderr, "%s\n", out);
    free(out);
    return r;
}

/* A change of the compile flags rebuilds the objects compiled with the old
 * ones (each build folder keeps its flags in flags.stamp), and only then. */
static void test_flags_change_rebuilds(void **state)
{
    (void)state;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/flagbuild", e2e_tmpdir());
    assert_int_equal(compiles(dir, ""), 1);
    assert_int_equal(compiles(dir, ""), 0);
    assert_int_equal(compiles(dir, "O=-O1"), 1);
    assert_int_equal(compiles(dir, "O=-O1"), 0);
    assert_int_equal(compiles(dir, "EXTRA_WARN=-Wno-unused-variable"), 1);
    assert_int_equal(compiles(dir, ""), 1);
    assert_int_equal(compiles(dir, ""), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_version),
        cmocka_unit_test(test_install_runs_from_anywhere),
        cmocka_unit_test(test_config_provenance),
        cmocka_unit_test(test_flags_change_rebuilds),
        cmocka_unit_test(test_help_commands_complete),
    };
    return cmocka_run_group_tests_name("e2e install", tests, NULL, e2e_teardown);
}
