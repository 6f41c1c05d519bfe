/* test_e2e_sandbox.c - opening a script is safe, end to end: a script that
 * runs a program fails under `mtlab check` and `mtlab run` and the program
 * does not run; --trust and MTLAB_TRUST=1 allow it; the Lua memory limit;
 * integer options that overflow; the options --help lists are the ones
 * the man page documents; a second Ctrl-C stops a script stuck inside
 * Lua's C code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <signal.h>
#include <time.h>

#include "e2e_util.h"

/* A small experiment; CODE runs at the script's top level, on line 2. */
static const char *script_with(const char *name, const char *code, const char *train_extra, const char *extra)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "local mtl = require 'mtl'\n"
             "%s\n"
             "return mtl.experiment { name = 'k', data = mtl.data.kendall { train = 200, val = 50, test = 50 },\n"
             "  tasks = { mtl.task.regress { name = 'y1' }, mtl.task.regress { name = 'y2' } },\n"
             "  train = { batch = 50, epochs = 1 %s }, %s }\n",
             code, train_extra, extra);
    return e2e_write(name, buf);
}

static const char *tmp_path(const char *name)
{
    static char p[4][600];
    static int next;
    char *q = p[next++ % 4];
    snprintf(q, 600, "%s/%s", e2e_tmpdir(), name);
    return q;
}

/* Done means: os.execute("touch X") under check and run fails with the
 * message, and X is not created; with --trust (or MTLAB_TRUST=1) it runs. */
static void test_e2e_sandbox_os_execute(void **state)
{
    (void)state;
    const char *s = script_with("exec.lua", "os.execute('touch X')", "", "");
    char want[700], args[1024], *out, *err;
    snprintf(want, sizeof want, "mtlab: %s:2: os.execute is not available in the sandbox (run with --trust to allow it)",
             s);
    const char *cmds[] = {"check", "run"};
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args, "%s '%s' --out exec_run -q", cmds[i], s);
        assert_int_equal(e2e_run(args, &out, &err), 2);
        if (!strstr(err, want)) fprintf(stderr, "got: %s\nwant: %s\n", err, want);
        assert_non_null(strstr(err, want));
        assert_false(e2e_exists(tmp_path("X")));
        free(out);
        free(err);
    }
    /* check says which mode is on */
    snprintf(args, sizeof args, "check '%s'", script_with("plain.lua", "", "", ""));
    assert_int_equal(e2e_run(args, &out, &err), 0);
    assert_non_null(strstr(out, "lua       sandbox: no programs, file writes, C modules or debug library (--trust lifts it)"));
    free(out);
    free(err);
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args, "%s '%s' --trust --out exec_trust -q", cmds[i], s);
        assert_int_equal(e2e_run(args, &out, &err), 0);
        assert_true(e2e_exists(tmp_path("X")));
        if (i == 0) assert_non_null(strstr(out, "lua       trusted: the full Lua standard library"));
        free(out);
        free(err);
        assert_int_equal(unlink(tmp_path("X")), 0);
    }
    setenv("MTLAB_TRUST", "1", 1);
    snprintf(args, sizeof args, "check '%s'", s);
    assert_int_equal(e2e_run(args, &out, &err), 0);
    assert_true(e2e_exists(tmp_path("X")));
    free(out);
    free(err);
    assert_int_equal(unlink(tmp_path("X")), 0);
    setenv("MTLAB_TRUST", "0", 1);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    assert_false(e2e_exists(tmp_path("X")));
    free(err);
    setenv("MTLAB_TRUST", "yes", 1);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    assert_non_null(strstr(err, "mtlab: MTLAB_TRUST=yes: expected 1 (the full Lua standard library) or 0 (the sandbox)"));
    free(err);
    unsetenv("MTLAB_TRUST");
}

/* A callback runs in the sandbox too, and its print reaches stdout. */
static void test_e2e_sandbox_callbacks_and_print(void **state)
{
    (void)state;
    const char *s = script_with("cb.lua", "print('top level says hi')", ", callback_every = 1",
                                "on_step = function(run, step) print('step', step); if step == 2 then io.popen('ls') end end");
    char args[1024], *out, *err;
    snprintf(args, sizeof args, "run '%s' --out cb_run -q", s);
    assert_int_equal(e2e_run(args, &out, &err), 2);
    assert_non_null(strstr(out, "top level says hi\n"));
    assert_non_null(strstr(out, "step\t1\nstep\t2\n"));
    char want[700];
    snprintf(want, sizeof want, "%s:5: io.popen is not available in the sandbox (run with --trust to allow it)", s);
    assert_non_null(strstr(err, want));
    free(out);
    free(err);
}

static void test_e2e_sandbox_lua_memory_limit(void **state)
{
    (void)state;
    const char *s = script_with("big.lua", "local t = {} for i = 1, 1e8 do t[i] = { i } end", "", "");
    char args[1024], want[700], *err;
    snprintf(args, sizeof args, "check '%s' --lua-mem 16M", s);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    snprintf(want, sizeof want,
             "mtlab: %s: the script's Lua memory reached its limit of 16 MiB (a huge table or string?); --lua-mem SIZE "
             "raises it", s);
    assert_non_null(strstr(err, want));
    free(err);
    snprintf(args, sizeof args, "check '%s' --lua-mem 5X", s);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    assert_non_null(strstr(err, "mtlab: --lua-mem 5X: expected a size from 8 MiB to 1 TiB, such as 512M or 4G"));
    free(err);
    /* a script that needs more than a small limit runs under a larger one */
    s = script_with("mid.lua", "local s = string.rep('x', 20 * 1024 * 1024)", "", "");
    snprintf(args, sizeof args, "check '%s' --lua-mem 16M", s);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    free(err);
    snprintf(args, sizeof args, "check '%s' --lua-mem 64M", s);
    assert_int_equal(e2e_run(args, NULL, &err), 0);
    free(err);
}

/* Integer options that overflow are errors naming the option and the range. */
static void test_e2e_sandbox_integer_options_overflow(void **state)
{
    (void)state;
    const char *s = script_with("ints.lua", "", "", "");
    static const char *const cases[][2] = {
        {"--seed 99999999999999999999999",
         "mtlab: --seed 99999999999999999999999: train.seed: expected an integer in 0..9223372036854775807, got 1e+23"},
        {"--set train.epochs=99999999999999999999",
         "mtlab: --set train.epochs=99999999999999999999: train.epochs: expected an integer in 1..1000000, got 1e+20"},
        {"--set train.batch=-99999999999999999999",
         "mtlab: --set train.batch=-99999999999999999999: train.batch: expected an integer in 1..65536, got -1e+20"},
        {"--threads 99999999999999999999", "mtlab: --threads 99999999999999999999: expected an integer in 1..256"},
        {"--set 'tasks[99999999999999999999].weight=1'",
         "mtlab: --set tasks[99999999999999999999].weight=1: [99999999999999999999] is not a list position (1, 2, ...)"},
        {"--seed -3", "mtlab: --seed -3: expected a non-negative integer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char args[1024], *err;
        snprintf(args, sizeof args, "check '%s' %s", s, cases[i][0]);
        assert_int_equal(e2e_run(args, NULL, &err), 2);
        if (!strstr(err, cases[i][1])) fprintf(stderr, "got: %s\nwant: %s\n", err, cases[i][1]);
        assert_non_null(strstr(err, cases[i][1]));
        free(err);
    }
    /* the largest seed is accepted */
    char args[1024], *out;
    snprintf(args, sizeof args, "check '%s' --seed 9223372036854775807", s);
    assert_int_equal(e2e_run(args, &out, NULL), 0);
    assert_non_null(strstr(out, "seed 9223372036854775807"));
    free(out);
}

/* Every option --help lists is documented in docs/mtlab.1 and the README. */
static void test_e2e_sandbox_help_matches_docs(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(e2e_run("--help", &out, NULL), 0);
    char *man = e2e_read(MTLAB_ROOT "/docs/mtlab.1");
    char *readme = e2e_read(MTLAB_ROOT "/README.md");
    assert_non_null(man);
    assert_non_null(readme);
    int n = 0;
    for (char *line = out; line && *line;) {
        char *nl = strchr(line, '\n');
        const char *opt = strstr(line, "--");
        if (strncmp(line, "  -", 3) == 0 && opt && opt - line < 8) {
            char name[64], roff[128];
            size_t k = 0;
            for (const char *p = opt; *p && *p != ' ' && *p != ',' && *p != '\n' && k + 1 < sizeof name; p++)
                name[k++] = *p;
            name[k] = '\0';
            /* roff writes each '-' as '\-' */
            size_t w = 0;
            for (const char *p = name; *p && w + 3 < sizeof roff; p++) {
                if (*p == '-') roff[w++] = '\\';
                roff[w++] = *p;
            }
            roff[w] = '\0';
            if (!strstr(man, roff)) fprintf(stderr, "%s is not in docs/mtlab.1\n", name);
            assert_non_null(strstr(man, roff));
            if (!strstr(readme, name)) fprintf(stderr, "%s is not in README.md\n", name);
            assert_non_null(strstr(readme, name));
            n++;
        }
        line = nl ? nl + 1 : NULL;
    }
    assert_true(n >= 11);
    /* the Lua memory default, as --help prints it from the one constant */
    const char *d = strstr(out, "--lua-mem");
    assert_non_null(d);
    d = strstr(d, "(default ");
    assert_non_null(d);
    char dflt[32];
    assert_int_equal(sscanf(d, "(default %31[^)])", dflt), 1);
    char phrase[64];
    snprintf(phrase, sizeof phrase, "default %s", dflt);
    assert_non_null(strstr(man, phrase));
    assert_non_null(strstr(readme, phrase));
    char *api = e2e_read(MTLAB_ROOT "/docs/lua-api.md");
    assert_non_null(api);
    assert_non_null(strstr(api, phrase));
    free(api);
    assert_non_null(strstr(man, "MTLAB_TRUST"));
    assert_non_null(strstr(readme, "MTLAB_TRUST"));
    free(out);
    free(man);
    free(readme);
}

/* Runs `mtlab run SCRIPT --out OUT` in the background, waits (up to two
 * minutes) until its stdout shows `marker`, sends `sig1`, after `gap`
 * seconds `sig2` (none if NULL), and returns the exit code; a stuck
 * process is killed after two minutes (and the code is then 137). */
static int run_and_signal(const char *script, const char *out, const char *marker, const char *sig1,
                          const char *gap, const char *sig2)
{
    char cmd[4096], cwd[400], second[128] = "";
    if (!getcwd(cwd, sizeof cwd)) abort();
    const char *bin = e2e_binary();
    if (sig2) snprintf(second, sizeof second, "sleep %s; kill -%s $pid;", gap, sig2);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && { '%s%s%s' run '%s' --out %s >%s.out 2>%s.err & pid=$!; "
             "( trap 'kill $s; exit' TERM; sleep 120 & s=$!; wait $s; kill -KILL $pid ) >/dev/null 2>&1 & guard=$!; "
             "i=0; until grep -q '%s' %s.out 2>/dev/null || [ $i -ge 1200 ]; do sleep 0.1; i=$((i+1)); done; "
             "kill -%s $pid; %s "
             "wait $pid; echo $? > %s.rc; kill $guard 2>/dev/null; wait $guard 2>/dev/null; true; }",
             e2e_tmpdir(), bin[0] == '/' ? "" : cwd, bin[0] == '/' ? "" : "/", bin, script, out, out, out, marker,
             out, sig1, second, out);
    assert_int_equal(system(cmd), 0);
    char p[600];
    snprintf(p, sizeof p, "%s/%s.rc", e2e_tmpdir(), out);
    char *rc = e2e_read(p);
    assert_non_null(rc);
    int code = atoi(rc);
    free(rc);
    return code;
}

static cJSON *summary_of(const char *out)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s/summary.json", e2e_tmpdir(), out);
    char *s = e2e_read(p);
    assert_non_null(s);
    cJSON *o = cJSON_Parse(s);
    free(s);
    assert_non_null(o);
    return o;
}

static char *file_of(const char *out, const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s%s", e2e_tmpdir(), out, name);
    char *s = e2e_read(p);
    assert_non_null(s);
    return s;
}

#define STUCK_FIND "string.find(string.rep('a', 5000), '.-.-.-.-.-.-b')"

/* A callback stuck inside string.find ignores the first Ctrl-C (the hook
 * never runs); the second, within two seconds, stops the run at once: exit
 * 130, the run folder says "interrupted", the metrics so far are on disk. */
static void test_e2e_sandbox_second_interrupt_stops_stuck_script(void **state)
{
    (void)state;
    const char *s = script_with("stuck.lua", "", ", epochs = 1000, callback_every = 1",
                                "on_step = function(run, step) if step == 3 then print('stuck now'); " STUCK_FIND
                                " end end");
    const char *sigs[][2] = {{"INT", "INT"}, {"TERM", "TERM"}, {"INT", "TERM"}};
    const char *outs[] = {"stuck_int", "stuck_term", "stuck_mixed"};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(run_and_signal(s, outs[k], "stuck now", sigs[k][0], "0.4", sigs[k][1]), 130);
        cJSON *sum = summary_of(outs[k]);
        assert_string_equal(cJSON_GetObjectItem(sum, "status")->valuestring, "interrupted");
        assert_true(cJSON_GetObjectItem(sum, "steps")->valuedouble == 3);
        cJSON_Delete(sum);
        char *ev = file_of(outs[k], "/events.jsonl");
        assert_non_null(strstr(ev, "{\"event\":\"interrupted\",\"step\":3,"));
        assert_non_null(strstr(ev, "\"event\":\"finish\",\"step\":3,\"status\":\"interrupted\""));
        free(ev);
        char *err = file_of(outs[k], ".err");
        assert_non_null(strstr(err, "press Ctrl-C again to stop at once"));
        assert_non_null(strstr(err, "mtlab: stopped at once by a second interrupt while the script was busy"));
        free(err);
        char *csv = file_of(outs[k], "/metrics.csv");
        assert_non_null(strstr(csv, "step,epoch,split,task,loss,metric,weight,experiment,seed\n"));
        free(csv);
    }
}

/* Stuck at the script's top level: there is no run folder yet; exit 130. */
static void test_e2e_sandbox_second_interrupt_at_top_level(void **state)
{
    (void)state;
    const char *s = script_with("stuck_top.lua", "print('stuck now'); " STUCK_FIND, "", "");
    assert_int_equal(run_and_signal(s, "stuck_top", "stuck now", "INT", "0.3", "INT"), 130);
    char p[600];
    snprintf(p, sizeof p, "%s/stuck_top/summary.json", e2e_tmpdir());
    assert_false(e2e_exists(p));
}

/* Double Ctrl-C while the main thread is in the engine (a step of a wide
 * network), not in Lua: it stops in order after the step, and exits 130
 * with the run recorded as interrupted. */
static void test_e2e_sandbox_double_tap_between_steps(void **state)
{
    (void)state;
    const char *s = e2e_write("wide.lua",
        "local mtl = require 'mtl'\n"
        "return mtl.experiment { name = 'wide', data = mtl.data.kendall { train = 4096, val = 64, test = 64 },\n"
        "  tasks = { mtl.task.regress { name = 'y1' }, mtl.task.regress { name = 'y2' } },\n"
        "  topology = mtl.share.hard { trunk = { 1024, 1024 } },\n"
        "  train = { batch = 4096, epochs = 1000, callback_every = 1 },\n"
        "  on_step = function(run, step) if step == 1 then print('training') end end }\n");
    assert_int_equal(run_and_signal(s, "wide", "training", "INT", "0.2", "INT"), 130);
    cJSON *sum = summary_of("wide");
    assert_string_equal(cJSON_GetObjectItem(sum, "status")->valuestring, "interrupted");
    cJSON_Delete(sum);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_sandbox_os_execute),
        cmocka_unit_test(test_e2e_sandbox_callbacks_and_print),
        cmocka_unit_test(test_e2e_sandbox_lua_memory_limit),
        cmocka_unit_test(test_e2e_sandbox_integer_options_overflow),
        cmocka_unit_test(test_e2e_sandbox_help_matches_docs),
        cmocka_unit_test(test_e2e_sandbox_second_interrupt_stops_stuck_script),
        cmocka_unit_test(test_e2e_sandbox_second_interrupt_at_top_level),
        cmocka_unit_test(test_e2e_sandbox_double_tap_between_steps),
    };
    return cmocka_run_group_tests_name("e2e sandbox", tests, NULL, e2e_teardown);
}
