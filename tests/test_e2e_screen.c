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
#include <cJSON.h>
#include <math.h>
#include <unistd.h>

#include "e2e_util.h"
#include "lua/mtlua.h"
#include "run/trainer.h"
#include "tui/explain.h"

#include "tmux_util.h"

#define capture tmux_capture
#define wait_for tmux_wait_for
#define binary_path tmux_binary_path

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


/* Starts `mtlab ARGS` in a 120x40 tmux session "wb", in the temporary
 * directory, reporting its exit code as MTLAB_EXITED=N when it ends. */
static void start_workbench(const char *args) { tmux_start(120, 40, args); }

/* q, and the workbench ends with exit code 0 (a question first while
 * training runs: then y). */
static void quit_workbench(int asks)
{
    tmux("send-keys -t wb q");
    if (asks) {
        usleep(300000);
        tmux("send-keys -t wb y");
    }
    char *s = wait_for("MTLAB_EXITED=0", 30);
    assert_non_null(strstr(s, "MTLAB_EXITED=0"));
    free(s);
}

/* Polls until the step counter has moved past `than` (up to secs). */
static long step_after(long than, double secs)
{
    long n = -1;
    for (double t = 0; t < secs; t += 0.1) {
        n = step_counter();
        if (n > than) return n;
        usleep(100000);
    }
    return n;
}

/* The first line of the screen. */
static char *first_line(void)
{
    char *s = capture();
    char *nl = strchr(s, '\n');
    if (nl) *nl = '\0';
    return s;
}

/* Whether a line of a pane (it starts with the border: a box-drawing
 * line, or 'x' where the terminal draws lines with the alternate
 * character set), not the title bar, holds needle. */
static int console_has(const char *needle)
{
    char *s = capture();
    int found = 0;
    for (char *line = s; line && *line && !found;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        int border = strncmp(line, "\xe2\x94\x82", 3) == 0 || line[0] == 'x';
        if (border && strstr(line, needle)) found = 1;
        line = nl ? nl + 1 : NULL;
    }
    free(s);
    return found;
}

static int wait_console(const char *needle, double secs)
{
    for (double t = 0; t < secs; t += 0.1) {
        if (console_has(needle)) return 1;
        usleep(100000);
    }
    char *s = capture();
    fprintf(stderr, "waited %.0fs for \"%s\" in the console; the screen shows:\n%s\n", secs, needle, s);
    free(s);
    return 0;
}

static cJSON *read_json_file(const char *path)
{
    char *text = e2e_read(path);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", path);
        return NULL;
    }
    cJSON *o = cJSON_Parse(text);
    free(text);
    return o;
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


/* A script the reload test rewrites between reloads: `name` tells which
 * version runs, `extra` adds fields to the experiment. */
static const char *reload_script(const char *name, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             "local mtl = require 'mtl'\n"
             "local data = mtl.data.generate { n = 200, fn = function(i) return { i / 200, (i %% 7) / 7 },\n"
             "  { y = i %% 2, r = i / 200 } end, types = { r = 'regress' } }\n"
             "return mtl.experiment { name = '%s', data = data,\n"
             "  tasks = { mtl.task.classify { name = 'y' }, mtl.task.regress { name = 'r' } },\n"
             "  topology = mtl.share.hard { trunk = { 8 } },\n"
             "  train = { batch = 10, steps = 100000000, eval_every = 50%s } }\n",
             name, extra);
    return e2e_write("reload.lua", text);
}

/* r three times during a run: after each reload the new run is on the
 * screen, its step counter advances from a fresh start, and --out holds
 * the reloaded run (the previous ones moved aside, each complete and
 * "stopped"). A reload of a script with a syntax error, or of one whose
 * field read raises in a metamethod, keeps the old run going with the
 * error in the console. */
static void test_e2e_screen_reload(void **state)
{
    (void)state;
    const char *script = reload_script("reload 0", "");
    char args[1200];
    snprintf(args, sizeof args, "'%s' --out reload-run", script);
    start_workbench(args);
    char *s = wait_for("reload 0", 30);
    free(s);
    long before = step_after(0, 30);
    assert_true(before > 0);
    for (int k = 1; k <= 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "reload %d", k);
        reload_script(name, "");
        tmux("send-keys -t wb r");
        s = wait_for(name, 30);
        assert_non_null(strstr(s, name));
        free(s);
        long a = step_after(-1, 10);
        long b = step_after(a, 30);
        assert_true(a >= 0);
        assert_true(b > a); /* advancing */
    }
    /* a syntax error: the old run goes on, the error is in the console */
    e2e_write("reload.lua", "local mtl = require 'mtl'\nreturn mtl.experiment { name = = 1 }\n");
    tmux("send-keys -t wb r");
    assert_true(wait_console("reload failed", 20));
    assert_true(wait_console("reload.lua:2:", 5));
    long a = step_after(-1, 5);
    assert_true(step_after(a, 30) > a);
    s = capture();
    assert_non_null(strstr(s, "reload 3"));
    free(s);
    /* a field read through a metamethod that raises */
    e2e_write("reload.lua",
              "local mtl = require 'mtl'\n"
              "local data = mtl.data.generate { n = 50, fn = function(i) return { i / 50 }, { y = i % 2 } end }\n"
              "return mtl.experiment { name = 'reload 4', data = data, tasks = { mtl.task.classify { name = 'y' } },\n"
              "  train = setmetatable({ batch = 10 }, { __index = function() error('raised in a metamethod') end }) }\n");
    tmux("send-keys -t wb r");
    assert_true(wait_console("raised in a metamethod", 20));
    a = step_after(-1, 5);
    assert_true(step_after(a, 30) > a);
    s = capture();
    assert_non_null(strstr(s, "reload 3"));
    free(s);
    /* quit: the run on the screen is the one in --out */
    tmux("send-keys -t wb ' '");
    s = wait_for("paused", 10);
    free(s);
    quit_workbench(0);
    char p[800];
    for (int k = 0; k <= 3; k++) {
        if (k < 3) snprintf(p, sizeof p, "%s/reload-run.before-reload-%d/summary.json", e2e_tmpdir(), k + 1);
        else snprintf(p, sizeof p, "%s/reload-run/summary.json", e2e_tmpdir());
        cJSON *sum = read_json_file(p);
        assert_non_null(sum);
        char name[32];
        snprintf(name, sizeof name, "reload %d", k);
        assert_string_equal(cJSON_GetObjectItem(sum, "name")->valuestring, name);
        assert_string_equal(cJSON_GetObjectItem(sum, "status")->valuestring, "stopped");
        assert_true(cJSON_GetObjectItem(sum, "steps")->valuedouble > 0);
        cJSON_Delete(sum);
        snprintf(p + strlen(p) - strlen("summary.json"), 40, "checkpoint.safetensors");
        assert_true(e2e_exists(p));
    }
    tmux("kill-session -t wb");
}

/* print and io.write from the console and from on_eval land in the
 * console pane: the title stays on the first line. Ctrl-L repaints what
 * something else wrote over the screen. */
static void test_e2e_screen_print_and_redraw(void **state)
{
    (void)state;
    const char *script = e2e_write("print.lua",
        "local mtl = require 'mtl'\n"
        "local data = mtl.data.generate { n = 200, fn = function(i) return { i / 200 }, { y = i % 2 } end }\n"
        "return mtl.experiment { name = 'printing', data = data, tasks = { mtl.task.classify { name = 'y' } },\n"
        "  description = 'static notes so the pane does not change',\n"
        "  train = { batch = 10, steps = 100000000, eval_every = 2000 },\n"
        "  on_eval = function(run, step) if step == 2000 then print('EVALPRINT', step) io.write('half ') "
        "io.write('line\\n') end end }\n");
    char args[1200];
    snprintf(args, sizeof args, "'%s' --out print-run", script);
    start_workbench(args);
    char *s = wait_for("printing", 30);
    free(s);
    assert_true(wait_console("EVALPRINT", 60)); /* print's tab shows as spaces */
    assert_true(wait_console("half line", 5));
    s = first_line();
    assert_non_null(strstr(s, "mtlab"));
    assert_non_null(strstr(s, "printing"));
    free(s);
    tmux("send-keys -t wb :");
    usleep(300000);
    tmux("send-keys -t wb 'for i = 1, 3 do print(\"console-print-\" .. i) end' Enter");
    assert_true(wait_console("console-print-3", 10));
    assert_true(console_has("console-print-1"));
    assert_true(console_has("console-print-2"));
    tmux("send-keys -t wb 'io.write(\"no newline\")' Enter");
    assert_true(wait_console("no newline", 10));
    s = first_line();
    assert_non_null(strstr(s, "mtlab"));
    assert_non_null(strstr(s, "printing"));
    free(s);
    tmux("send-keys -t wb Escape");
    /* something writes over the screen behind curses' back; Ctrl-L repaints */
    char cmd[600], tty[128] = "";
    snprintf(cmd, sizeof cmd, "tmux -L %s display -p -t wb '#{pane_tty}'", tmux_sock);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    assert_non_null(fgets(tty, sizeof tty, f));
    pclose(f);
    tty[strcspn(tty, "\n")] = '\0';
    snprintf(cmd, sizeof cmd, "printf '\\033[22;70HGARBAGE-XYZ' > %s", tty);
    assert_int_equal(system(cmd), 0);
    s = wait_for("GARBAGE-XYZ", 5);
    assert_non_null(strstr(s, "GARBAGE-XYZ"));
    free(s);
    tmux("send-keys -t wb C-l");
    int gone = 0;
    for (int i = 0; i < 50 && !gone; i++) {
        s = capture();
        gone = !strstr(s, "GARBAGE-XYZ") && strstr(s, "printing");
        free(s);
        usleep(100000);
    }
    assert_true(gone);
    quit_workbench(1);
    tmux("kill-session -t wb");
}

/* The + and - keys (learning rate x2, /2) and s (save a checkpoint) are
 * recorded in events.jsonl: "lr" events, why "scaled", with the step, the
 * factor and the new rate, and a "checkpoint" event with the step and the
 * file, checkpoint-<step>.safetensors, still there after the run ended. */
static void test_e2e_screen_keys_recorded(void **state)
{
    (void)state;
    const char *script = e2e_write("keys.lua",
        "local mtl = require 'mtl'\n"
        "math.randomseed(5)\n"
        "local data = mtl.data.generate { n = 200, fn = function(i)\n"
        "  local x = { math.random(), math.random() }\n"
        "  return x, { a = x[1] + x[2], b = x[1] - x[2] } end,\n"
        "  types = { a = 'regress', b = 'regress' } }\n"
        "return mtl.experiment { name = 'keys test', data = data,\n"
        "  tasks = { mtl.task.regress { name = 'a' }, mtl.task.regress { name = 'b' } },\n"
        "  topology = mtl.share.hard { trunk = { 4 } },\n"
        "  train = { batch = 16, steps = 100000000, eval_every = 50 } }\n");
    char args[900];
    snprintf(args, sizeof args, "'%s' --out keys-run", script);
    start_workbench(args);
    char *s = wait_for("running", 15);
    free(s);
    tmux("send-keys -t wb ' '");
    s = wait_for("paused", 5);
    free(s);
    usleep(300000);
    long at = step_counter();
    assert_true(at > 0);
    tmux("send-keys -t wb +");
    s = wait_for("learning rate", 5);
    free(s);
    tmux("send-keys -t wb +");
    usleep(200000);
    tmux("send-keys -t wb -");
    usleep(200000);
    tmux("send-keys -t wb s");
    char saved[64];
    snprintf(saved, sizeof saved, "saved checkpoint-%ld", at); /* the header may cut the rest */
    s = wait_for(saved, 5);
    assert_non_null(strstr(s, saved));
    free(s);
    quit_workbench(1);
    tmux("kill-session -t wb");

    char p[700];
    snprintf(p, sizeof p, "%s/keys-run/config.json", e2e_tmpdir());
    cJSON *cfg = read_json_file(p);
    assert_non_null(cfg);
    const cJSON *lr0 = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "optim"), "lr");
    assert_true(cJSON_IsNumber(lr0));
    double base = lr0->valuedouble;
    cJSON_Delete(cfg);

    snprintf(p, sizeof p, "%s/keys-run/events.jsonl", e2e_tmpdir());
    char *text = e2e_read(p);
    assert_non_null(text);
    const double want[] = {2 * base, 4 * base, 2 * base};
    int n_lr = 0, n_ck = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o);
        const char *ev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "event"));
        const cJSON *step = cJSON_GetObjectItemCaseSensitive(o, "step");
        if (ev && strcmp(ev, "lr") == 0) {
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "why")), "scaled");
            assert_true(cJSON_GetObjectItemCaseSensitive(o, "factor")->valuedouble == (n_lr < 2 ? 2.0 : 0.5));
            assert_int_equal((long)step->valuedouble, at);
            assert_true(n_lr < 3);
            double lr = cJSON_GetObjectItemCaseSensitive(o, "lr")->valuedouble;
            /* the rate as the optimiser holds it: float32 */
            assert_true(fabs(lr - want[n_lr]) <= 1e-6 * want[n_lr]);
            n_lr++;
        } else if (ev && strcmp(ev, "checkpoint") == 0) {
            assert_int_equal(n_lr, 3); /* in the order of the keys */
            assert_int_equal((long)step->valuedouble, at);
            /* its own file: the end of the run writes checkpoint.safetensors */
            char want_file[64];
            snprintf(want_file, sizeof want_file, "checkpoint-%ld.safetensors", at);
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "file")), want_file);
            snprintf(p, sizeof p, "%s/keys-run/%s", e2e_tmpdir(), want_file);
            assert_true(e2e_exists(p));
            n_ck++;
        }
        cJSON_Delete(o);
    }
    free(text);
    assert_int_equal(n_lr, 3);
    assert_int_equal(n_ck, 1);
}

/* Sorted names of the files in dir, one per line (malloc'd). */
static char *list_dir(const char *dir)
{
    char cmd[800], path[700];
    snprintf(path, sizeof path, "%s/ls.txt", e2e_tmpdir());
    snprintf(cmd, sizeof cmd, "ls -1 '%s' | sort > '%s'", dir, path);
    if (system(cmd) != 0) return strdup("");
    char *t = e2e_read(path);
    return t ? t : strdup("");
}

static char *run_file(const char *run, const char *name)
{
    char p[800];
    snprintf(p, sizeof p, "%s/%s/%s", e2e_tmpdir(), run, name);
    char *t = e2e_read(p);
    if (!t) fprintf(stderr, "missing %s\n", p);
    return t;
}

/* Two JSON values equal, but for the keys that measure time. */
static int json_same(const cJSON *a, const cJSON *b)
{
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, a)
        {
            if (strcmp(x->string, "wall_time_s") == 0 || strcmp(x->string, "samples_per_s") == 0) continue;
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y || !json_same(x, y)) {
                fprintf(stderr, "differs at \"%s\"\n", x->string);
                return 0;
            }
        }
        return 1;
    }
    return cJSON_Compare(a, b, 1);
}

/* A workbench run folder is a headless one: the same files, the same
 * events in the same order, byte-identical metrics, relations, config and
 * checkpoint, and the same summary but for the times (one thread, same
 * seed). With baselines, both train and cache them alike. */

/* config.json without its provenance (the command line and threads differ
 * between `mtlab run` and the workbench), as compact JSON; frees text. */
static char *without_provenance(char *text)
{
    cJSON *o = cJSON_Parse(text);
    free(text);
    assert_non_null(o);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "provenance");
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *copy = strdup(p);
    cJSON_free(p);
    return copy;
}

static void test_e2e_screen_folder_same_as_headless(void **state)
{
    (void)state;
    const char *script = e2e_write("same.lua",
        "local mtl = require 'mtl'\n"
        "local data = mtl.data.generate { n = 300, fn = function(i) local a, b = (i % 17) / 17, (i % 5) / 5\n"
        "  return { a, b, a * b }, { c = (a + b > 1) and 1 or 0, r = a - b } end, types = { r = 'regress' } }\n"
        "return mtl.experiment { name = 'same folder', data = data,\n"
        "  tasks = { mtl.task.classify { name = 'c' }, mtl.task.regress { name = 'r' } },\n"
        "  topology = mtl.share.hard { trunk = { 8 } }, weighting = 'uncertainty',\n"
        "  train = { batch = 16, steps = 240, eval_every = 40, relations_every = 20, affinity_every = 60,\n"
        "            baselines = true, seed = 3 } }\n");
    char args[1200], *out, *err;
    snprintf(args, sizeof args, "run '%s' --out hl-run --quiet", script);
    assert_int_equal(e2e_run(args, &out, &err), 0);
    free(out);
    free(err);
    snprintf(args, sizeof args, "'%s' --out wb-run --exit-when-done", script);
    start_workbench(args);
    char *s = wait_for("MTLAB_EXITED=0", 120);
    assert_non_null(strstr(s, "MTLAB_EXITED=0"));
    free(s);
    tmux("kill-session -t wb");
    char a[700], b[700];
    snprintf(a, sizeof a, "%s/hl-run", e2e_tmpdir());
    snprintf(b, sizeof b, "%s/wb-run", e2e_tmpdir());
    char *la = list_dir(a), *lb = list_dir(b);
    assert_string_equal(la, lb);
    assert_non_null(strstr(la, "summary.json"));
    assert_non_null(strstr(la, "checkpoint.safetensors"));
    assert_non_null(strstr(la, "baselines-"));
    free(la);
    free(lb);
    const char *identical[] = {"metrics.csv", "relations.jsonl", "config.json"};
    for (size_t i = 0; i < sizeof identical / sizeof *identical; i++) {
        char *x = run_file("hl-run", identical[i]), *y = run_file("wb-run", identical[i]);
        assert_non_null(x);
        assert_non_null(y);
        if (strcmp(identical[i], "config.json") == 0) { /* all but how each was started (provenance) */
            x = without_provenance(x);
            y = without_provenance(y);
        }
        if (strcmp(x, y) != 0) fprintf(stderr, "%s differs\n", identical[i]);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "cmp -s '%s/checkpoint.safetensors' '%s/checkpoint.safetensors'", a, b);
    assert_int_equal(system(cmd), 0);
    /* events: line by line, equal but for the wall time */
    char *ea = run_file("hl-run", "events.jsonl"), *eb = run_file("wb-run", "events.jsonl");
    assert_int_equal(count_lines(ea), count_lines(eb));
    assert_non_null(strstr(ea, "\"event\":\"start\""));
    assert_non_null(strstr(ea, "\"event\":\"finish\""));
    char *pa = ea, *pb = eb;
    int n = 0;
    while (*pa && *pb) {
        char *na = strchr(pa, '\n'), *nb = strchr(pb, '\n');
        *na = *nb = '\0';
        cJSON *ja = cJSON_Parse(pa), *jb = cJSON_Parse(pb);
        assert_non_null(ja);
        assert_non_null(jb);
        if (!json_same(ja, jb)) fprintf(stderr, "event %d: %s\n   vs: %s\n", n, pa, pb);
        assert_true(json_same(ja, jb));
        cJSON_Delete(ja);
        cJSON_Delete(jb);
        pa = na + 1;
        pb = nb + 1;
        n++;
    }
    assert_true(n >= 8); /* start, 6 evals, finish */
    free(ea);
    free(eb);
    char *sa = run_file("hl-run", "summary.json"), *sb = run_file("wb-run", "summary.json");
    cJSON *ja = cJSON_Parse(sa), *jb = cJSON_Parse(sb);
    assert_true(json_same(ja, jb));
    assert_string_equal(cJSON_GetObjectItem(jb, "status")->valuestring, "finished");
    assert_non_null(cJSON_GetObjectItem(jb, "delta_m_percent"));
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    free(sa);
    free(sb);
}

/* The row of the comparison table that names `name`: the tokens after the
 * name (numbers, then the status) into tok (at most 16). */
static int table_row(const char *screen, const char *name, char tok[][32], int max)
{
    const char *at = strstr(screen, name);
    if (!at) return -1;
    at += strlen(name);
    const char *end = strchr(at, '\n');
    int n = 0;
    while (at < end && n < max) {
        while (at < end && (*at == ' ' || (unsigned char)*at >= 0x80 || *at == 'x')) {
            if ((unsigned char)*at >= 0x80 || *at == 'x') { /* the border */
                at = end;
                break;
            }
            at++;
        }
        if (at >= end) break;
        int k = 0;
        while (at < end && *at != ' ' && k < 31) tok[n][k++] = *at++;
        tok[n][k] = '\0';
        n++;
    }
    return n;
}

static void fmt4(char *b, size_t n, const cJSON *v)
{
    if (cJSON_IsNumber(v)) snprintf(b, n, "%.4g", v->valuedouble);
    else snprintf(b, n, "-");
}

/* The comparison table shows each experiment's summary.json: on each
 * split (v cycles them) the loss and metric of every task, and delta_m. */
static void test_e2e_screen_comparison_equals_summaries(void **state)
{
    (void)state;
    const char *script = e2e_write("cmp.lua",
        "local mtl = require 'mtl'\n"
        "local data = mtl.data.generate { n = 400, fn = function(i) local a, b = (i % 13) / 13, (i % 7) / 7\n"
        "  return { a, b }, { c = (a > b) and 1 or 0, r = a + b } end, types = { r = 'regress' } }\n"
        "local function exp(name, w) return mtl.experiment { name = name, data = data, weighting = w,\n"
        "  tasks = { mtl.task.classify { name = 'c' }, mtl.task.regress { name = 'r' } },\n"
        "  topology = mtl.share.hard { trunk = { 8 } },\n"
        "  train = { batch = 16, steps = 150, eval_every = 40, baselines = true, seed = 2 } } end\n"
        "return { exp('cmp equal', 'equal'), exp('cmp uncertainty', 'uncertainty'), exp('cmp pcgrad', 'pcgrad') }\n");
    char args[1200];
    snprintf(args, sizeof args, "'%s' --out cmp-run", script);
    start_workbench(args);
    char *s = wait_for("cmp equal", 30);
    free(s);
    tmux("send-keys -t wb c");
    /* wait until every row says finished */
    int done = 0;
    for (int i = 0; i < 600 && !done; i++) {
        s = capture();
        int n = 0;
        for (char *p = strstr(s, "finished"); p; p = strstr(p + 1, "finished")) n++;
        done = n >= 3;
        free(s);
        if (!done) usleep(100000);
    }
    assert_true(done);
    static const char *const names[] = {"cmp equal", "cmp uncertainty", "cmp pcgrad"};
    static const char *const dirs[] = {"01-cmp-equal", "02-cmp-uncertainty", "03-cmp-pcgrad"};
    static const char *const splits[] = {"val", "test", "train"};
    for (int sp = 0; sp < 3; sp++) {
        s = capture();
        char want_title[64];
        snprintf(want_title, sizeof want_title, "comparison: final %s numbers", splits[sp]);
        if (!strstr(s, want_title)) fprintf(stderr, "%s\n", s);
        assert_non_null(strstr(s, want_title));
        for (int e = 0; e < 3; e++) {
            char p[800];
            snprintf(p, sizeof p, "%s/cmp-run/%s/summary.json", e2e_tmpdir(), dirs[e]);
            cJSON *sum = read_json_file(p);
            assert_non_null(sum);
            cJSON *tasks = cJSON_GetObjectItem(sum, "tasks");
            char want[8][32];
            int nw = 0;
            const char *tn[] = {"c", "r"};
            for (int k = 0; k < 2; k++) {
                cJSON *t = cJSON_GetObjectItem(tasks, tn[k]);
                char key[32];
                snprintf(key, sizeof key, "%s_loss", splits[sp]);
                fmt4(want[nw++], 32, cJSON_GetObjectItem(t, key));
                /* the accuracy of c beside its loss; r's metric is its MSE loss, not repeated,
                 * and no metric is kept for the training window */
                if (k == 1 || sp == 2) continue;
                snprintf(key, sizeof key, "%s_metric", splits[sp]);
                fmt4(want[nw++], 32, cJSON_GetObjectItem(t, key));
            }
            snprintf(want[nw++], 32, "%+.2f", cJSON_GetObjectItem(sum, "delta_m_percent")->valuedouble);
            snprintf(want[nw++], 32, "%s", cJSON_GetObjectItem(sum, "status")->valuestring);
            char tok[16][32], row[64];
            snprintf(row, sizeof row, "%d %s", e + 1, names[e]); /* the table's mark, then the name */
            int n = table_row(s, row, tok, 16);
            if (n != nw) fprintf(stderr, "row %s: %d tokens, want %d\n%s\n", names[e], n, nw, s);
            assert_int_equal(n, nw);
            for (int i = 0; i < nw; i++) {
                if (strcmp(tok[i], want[i]) != 0) fprintf(stderr, "%s %s column %d: %s, summary %s\n", names[e], splits[sp], i, tok[i], want[i]);
                assert_string_equal(tok[i], want[i]);
            }
            cJSON_Delete(sum);
        }
        free(s);
        tmux("send-keys -t wb v");
        usleep(400000);
    }
    quit_workbench(0);
    tmux("kill-session -t wb");
}

/* mtlab open: recorded run folders, read only. A finished script of two
 * experiments and a run killed before its summary: the comparison shows
 * the summaries' numbers (and "no summary" for the killed one), < and >
 * step the matrices through their recorded updates, keys that would
 * train say the run is read only, and q leaves without writing. */
static void test_e2e_screen_open_recorded(void **state)
{
    (void)state;
    const char *script = e2e_write("open.lua",
        "local mtl = require 'mtl'\n"
        "local data = mtl.data.generate { n = 300, fn = function(i) local a, b = (i % 11) / 11, (i % 5) / 5\n"
        "  return { a, b }, { c = (a > b) and 1 or 0, r = a - b } end, types = { r = 'regress' } }\n"
        "local function exp(name, w, steps) return mtl.experiment { name = name, data = data, weighting = w,\n"
        "  tasks = { mtl.task.classify { name = 'c' }, mtl.task.regress { name = 'r' } },\n"
        "  topology = mtl.share.hard { trunk = { 8 } },\n"
        "  train = { batch = 16, steps = steps, eval_every = 20, relations_every = 10, seed = 4 } } end\n"
        "return { exp('open equal', 'equal', 120), exp('open pcgrad', 'pcgrad', 120) }\n");
    char args[1200], *out, *err;
    snprintf(args, sizeof args, "run '%s' --out open-run --quiet", script);
    assert_int_equal(e2e_run(args, &out, &err), 0);
    free(out);
    free(err);
    /* a run killed (SIGKILL) long before its end: no summary.json */
    const char *slow = e2e_write("killed.lua",
        "local mtl = require 'mtl'\n"
        "local data = mtl.data.generate { n = 300, fn = function(i) return { i / 300 }, { c = i % 2 } end }\n"
        "return mtl.experiment { name = 'killed run', data = data, tasks = { mtl.task.classify { name = 'c' } },\n"
        "  train = { batch = 16, steps = 100000000, eval_every = 50 } }\n");
    char cmd[2048], cwd[512];
    if (!getcwd(cwd, sizeof cwd)) abort();
    snprintf(cmd, sizeof cmd, "cd '%s' && timeout -s KILL 3 '%s' run '%s' --out killed-run --quiet >/dev/null 2>&1",
             e2e_tmpdir(), binary_path(), slow);
    assert_int_not_equal(system(cmd), 0);
    char p[800];
    snprintf(p, sizeof p, "%s/killed-run/summary.json", e2e_tmpdir());
    assert_false(e2e_exists(p));
    start_workbench("open open-run killed-run");
    char *s = wait_for("[recorded]", 30);
    assert_non_null(strstr(s, "[recorded]"));
    assert_non_null(strstr(s, "open equal"));
    free(s);
    /* keys that would change a run */
    tmux("send-keys -t wb ' '");
    s = wait_for("read only", 10);
    assert_non_null(strstr(s, "read only"));
    free(s);
    /* the matrices over time: back one update, then forward again */
    tmux("send-keys -t wb '<'");
    s = wait_for("matrices at step", 10);
    char *at = strstr(s, "matrices at step");
    assert_non_null(at);
    long step1 = strtol(at + 17, NULL, 10);
    free(s);
    tmux("send-keys -t wb '<'");
    usleep(500000);
    s = capture();
    at = strstr(s, "matrices at step");
    assert_non_null(at);
    long step2 = strtol(at + 17, NULL, 10);
    free(s);
    assert_true(step2 < step1);
    assert_true(step1 <= 120 && step2 >= 1);
    /* the comparison: the summaries' numbers, and the killed run's */
    tmux("send-keys -t wb c");
    s = wait_for("comparison: final val numbers", 10);
    static const char *const dirs[] = {"01-open-equal", "02-open-pcgrad"};
    static const char *const names[] = {"open equal", "open pcgrad"};
    for (int e = 0; e < 2; e++) {
        snprintf(p, sizeof p, "%s/open-run/%s/summary.json", e2e_tmpdir(), dirs[e]);
        cJSON *sum = read_json_file(p);
        assert_non_null(sum);
        char want[3][32], tok[16][32], row[64];
        cJSON *tasks = cJSON_GetObjectItem(sum, "tasks");
        fmt4(want[0], 32, cJSON_GetObjectItem(cJSON_GetObjectItem(tasks, "c"), "val_loss"));
        fmt4(want[1], 32, cJSON_GetObjectItem(cJSON_GetObjectItem(tasks, "c"), "val_metric"));
        fmt4(want[2], 32, cJSON_GetObjectItem(cJSON_GetObjectItem(tasks, "r"), "val_loss")); /* its metric is the loss */
        snprintf(row, sizeof row, "%d %s", e + 1, names[e]);
        int n = table_row(s, row, tok, 16);
        if (n != 4) fprintf(stderr, "%s\n", s);
        assert_int_equal(n, 4);
        for (int i = 0; i < 3; i++) assert_string_equal(tok[i], want[i]);
        assert_string_equal(tok[3], "finished");
        cJSON_Delete(sum);
    }
    assert_non_null(strstr(s, "3 killed run"));
    assert_non_null(strstr(s, "no summary"));
    free(s);
    quit_workbench(0);
    /* read only: nothing was written into the folders */
    snprintf(p, sizeof p, "%s/killed-run/summary.json", e2e_tmpdir());
    assert_false(e2e_exists(p));
    tmux("kill-session -t wb");
}

/* `mtlab open` on a sweep's folder: one entry per configuration, its
 * curves the mean of the seeds' runs with a dotted band of one standard
 * deviation, and the comparison table's numbers those of sweep.json (the
 * means over the seeds). */
static void test_e2e_screen_open_sweep(void **state)
{
    (void)state;
    const char *script = e2e_write("sw.lua",
        "local mtl = require 'mtl'\n"
        "local data = mtl.data.generate { n = 300, fn = function(i) local a, b = (i % 11) / 11, (i % 5) / 5\n"
        "  return { a, b }, { c = (a > b) and 1 or 0, r = a - b } end, types = { r = 'regress' } }\n"
        "local base = mtl.experiment { name = 'sw', data = data,\n"
        "  tasks = { mtl.task.classify { name = 'c' }, mtl.task.regress { name = 'r' } },\n"
        "  topology = mtl.share.hard { trunk = { 8 } },\n"
        "  train = { batch = 16, steps = 60, eval_every = 20, seed = 4 } }\n"
        "return mtl.sweep { base = base, grid = { weighting = { 'equal', 'pcgrad' } }, seeds = { 1, 2, 3 } }\n");
    char args[1200], *out, *err;
    snprintf(args, sizeof args, "sweep '%s' --out sweep-dir --quiet", script);
    int rc = e2e_run(args, &out, &err);
    if (rc) fprintf(stderr, "%s\n%s\n", out ? out : "", err ? err : "");
    assert_int_equal(rc, 0);
    free(out);
    free(err);
    start_workbench("open sweep-dir");
    char *s = wait_for("[recorded]", 30);
    assert_non_null(strstr(s, "weighting=equal (3 seeds)"));
    assert_non_null(strstr(s, "mean of 3 seeds, dotted: +-1 sd"));
    free(s);
    tmux("send-keys -t wb c");
    s = wait_for("comparison: final val numbers", 10);
    assert_non_null(strstr(s, "every configuration: mean, dotted +-1 sd"));
    char p[800];
    snprintf(p, sizeof p, "%s/sweep-dir/sweep.json", e2e_tmpdir());
    cJSON *sw = read_json_file(p);
    assert_non_null(sw);
    const cJSON *cfg;
    int rows = 0;
    cJSON_ArrayForEach(cfg, cJSON_GetObjectItem(sw, "configurations"))
    {
        const cJSON *tasks = cJSON_GetObjectItem(cfg, "tasks");
        char want[3][32], tok[16][32], row[128];
        fmt4(want[0], 32, cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(tasks, "c"), "val_loss"), "mean"));
        fmt4(want[1], 32, cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(tasks, "c"), "val_metric"), "mean"));
        fmt4(want[2], 32, cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(tasks, "r"), "val_loss"), "mean"));
        snprintf(row, sizeof row, "%d %s", rows + 1, cJSON_GetObjectItem(cfg, "name")->valuestring);
        int n = table_row(s, row, tok, 16);
        if (n != 5) fprintf(stderr, "%s\n", s);
        assert_int_equal(n, 5); /* three numbers and the status "3 seeds" */
        for (int i = 0; i < 3; i++) assert_string_equal(tok[i], want[i]);
        assert_string_equal(tok[3], "3");
        assert_string_equal(tok[4], "seeds");
        rows++;
    }
    assert_int_equal(rows, 2);
    cJSON_Delete(sw);
    free(s);
    /* e: the comparison's SVG into the configuration's folder, the band shaded */
    tmux("send-keys -t wb e");
    s = wait_for("exported", 10);
    assert_non_null(strstr(s, "exported"));
    free(s);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "grep -q '<polygon class=\"band\"' '%s'/sweep-dir/weighting-equal/curves-c-val-step*.svg",
             e2e_tmpdir());
    assert_int_equal(system(cmd), 0);
    quit_workbench(0);
    tmux("kill-session -t wb");
}

/* `?` on the matrix pane explains the matrix shown: every matrix the
 * experiments publish (gradient relations, affinity, what the topologies
 * and regularisers learn) has its text. The experiments run a few steps
 * in this process, with relations and affinity every few steps. */
static void test_e2e_screen_every_matrix_is_explained(void **state)
{
    (void)state;
    static const char *const scripts[] = {"00_workbench_tour", "10_soft_sharing", "11_cross_stitch", "12_sluice", "14_joint_many_task",
                                          "15_tensor_factorisation", "20_mmoe_correlation", "21_ple", "22_fafs", "23_deep_relationship",
                                          "30_block_sparse", "31_mean_regularised", "32_task_clustering",
                                          "33_task_covariance", "35_multitask_krr", "36_multitask_gp", "37_gp_task_correlation",
                                          "38_hierarchical_bayes", "40_landscape_combiners", "41_kendall_uncertainty"};
    mtlua_override ov[] = {{"train.steps", "24"}, {"train.eval_every", "8"}, {"train.relations_every", "4"},
                           {"train.affinity_every", "8"}, {"train.baselines", "false"}};
    int checked = 0;
    char missing[2048] = "";
    for (size_t i = 0; i < sizeof scripts / sizeof *scripts; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/experiments/%s.lua", MTLAB_ROOT, scripts[i]);
        mtlua_session *s;
        if (mtlua_open(path, ov, 5, &s)) fail_msg("%s: %s", scripts[i], mt_last_error());
        for (int e = 0; e < mtlua_count(s) && e < 3; e++) {
            const mt_experiment *x = mtlua_experiment(s, e);
            const char *names[MT_MAX_TASKS];
            int aux[MT_MAX_TASKS];
            for (int k = 0; k < x->ntasks; k++) {
                names[k] = x->task[k].name;
                aux[k] = x->task[k].aux;
            }
            mt_monitor m;
            assert_int_equal(monitor_init(&m, x->ntasks, names, aux, 64), MT_OK);
            mt_trainer *t;
            if (trainer_new(x, &m, &t)) fail_msg("%s: %s", scripts[i], mt_last_error());
            mt_status st = MT_OK;
            while (!st && !trainer_finished(t)) st = trainer_step(t);
            if (!st) st = trainer_finish(t);
            for (int k = 0; k < m.nmatrices; k++) {
                if (!explain_matrix(m.matrix[k].name) && !strstr(missing, m.matrix[k].name))
                    snprintf(missing + strlen(missing), sizeof missing - strlen(missing), " \"%s\" (%s)",
                             m.matrix[k].name, scripts[i]);
                checked++;
            }
            trainer_free(t);
            monitor_free(&m);
        }
        mtlua_close(s);
    }
    if (missing[0]) fail_msg("matrices with no explanation for ?:%s", missing);
    assert_true(checked >= 40);
}

/* SIGTERM ends the workbench as it ends a headless run: every unfinished
 * run recorded as interrupted (event, checkpoint, summary) and exit 1. */
static void test_e2e_screen_sigterm(void **state)
{
    (void)state;
    const char *script = reload_script("terminated", "");
    char args[1200];
    snprintf(args, sizeof args, "'%s' --out term-run", script);
    start_workbench(args);
    char *s = wait_for("terminated", 30);
    free(s);
    assert_true(step_after(0, 30) > 0);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "pid=$(tmux -L %s display -p -t wb '#{pane_pid}'); kill -TERM $(pgrep -P \"$pid\" -f mtlab)", tmux_sock);
    assert_int_equal(system(cmd), 0);
    s = wait_for("MTLAB_EXITED=1", 30);
    assert_non_null(strstr(s, "MTLAB_EXITED=1"));
    free(s);
    char p[800];
    snprintf(p, sizeof p, "%s/term-run/summary.json", e2e_tmpdir());
    cJSON *sum = read_json_file(p);
    assert_non_null(sum);
    assert_string_equal(cJSON_GetObjectItem(sum, "status")->valuestring, "interrupted");
    cJSON_Delete(sum);
    snprintf(p, sizeof p, "%s/term-run/events.jsonl", e2e_tmpdir());
    char *ev = e2e_read(p);
    assert_non_null(ev);
    assert_non_null(strstr(ev, "\"event\":\"interrupted\""));
    assert_non_null(strstr(ev, "\"status\":\"interrupted\""));
    free(ev);
    snprintf(p, sizeof p, "%s/term-run/checkpoint.safetensors", e2e_tmpdir());
    assert_true(e2e_exists(p));
    tmux("kill-session -t wb");
}

/* When every run has finished, the notes pane shows the script's claim
 * and its verdict, and the run folder has claims.json as headless. */
static void test_e2e_screen_claim_verdict_in_notes(void **state)
{
    (void)state;
    const char *script = e2e_write("claimwb.lua",
        "local mtl = require 'mtl'\n"
        "return mtl.experiment { name = 'claim on screen', description = 'Notes first.',\n"
        "  data = mtl.data.generate { n = 200, fn = function(i) return { i % 7, i % 3 }, { y = i % 7 } end,\n"
        "    types = { y = 'regress' } },\n"
        "  tasks = { mtl.task.regress { name = 'y' } }, train = { epochs = 2 },\n"
        "  claim = { text = 'the loss is finite', check = function(r)\n"
        "    local l = r[1].tasks.y.test_loss return l == l, 'VERDICTNOTE' end } }\n");
    char args[800];
    snprintf(args, sizeof args, "'%s' --out wb-claim", script);
    start_workbench(args);
    char *s = wait_for("VERDICTNOTE", 30);
    assert_non_null(strstr(s, "claim held: VERDICTNOTE"));
    free(s);
    quit_workbench(0);
    char p[700];
    snprintf(p, sizeof p, "%s/wb-claim/claims.json", e2e_tmpdir());
    char *c = e2e_read(p);
    assert_non_null(c);
    assert_non_null(strstr(c, "\"held\":\ttrue"));
    free(c);
    /* a claim that fails: the verdict on the terminal after the screen
     * closes, and exit 3 as headless */
    const char *bad = e2e_write("claimwb_bad.lua",
        "local mtl = require 'mtl'\n"
        "return mtl.experiment { name = 'claim fails', data = mtl.data.generate { n = 100,\n"
        "    fn = function(i) return { i % 7 }, { y = i % 7 } end, types = { y = 'regress' } },\n"
        "  tasks = { mtl.task.regress { name = 'y' } }, train = { epochs = 1 },\n"
        "  claim = { text = 'negative loss', check = function(r) return r[1].tasks.y.test_loss < 0, 'NEVERNOTE' end } }\n");
    snprintf(args, sizeof args, "'%s' --out wb-claim-bad --exit-when-done", bad);
    start_workbench(args);
    s = wait_for("MTLAB_EXITED=3", 30);
    assert_non_null(strstr(s, "MTLAB_EXITED=3"));
    assert_non_null(strstr(s, "claim FAILED: NEVERNOTE"));
    free(s);
}

/* Line i (from 0) of a screen capture, copied into out. */
static void screen_line(const char *screen, int i, char *out, size_t n)
{
    const char *p = screen;
    for (int k = 0; k < i && p; k++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    size_t len = 0;
    if (p) {
        const char *nl = strchr(p, '\n');
        len = nl ? (size_t)(nl - p) : strlen(p);
    }
    if (len >= n) len = n - 1;
    if (p) memcpy(out, p, len);
    out[len] = '\0';
}

/* f enlarges the focused pane to the whole screen for projection: its
 * border on the first line, the header gone, the last line saying how to
 * return (and showing a key's note); f again, or Esc, brings every pane
 * back. At 80x24 and 120x40. */
static void test_e2e_screen_enlarge_whole_screen(void **state)
{
    (void)state;
    static const int size[][2] = { { 80, 24 }, { 120, 40 } };
    for (int z = 0; z < 2; z++) {
        int cols = size[z][0], lines = size[z][1];
        char args[1200], line[1024];
        snprintf(args, sizeof args, "'%s/experiments/00_workbench_tour.lua' --out enlarge%d --no-color", MTLAB_ROOT,
                 cols);
        tmux_start(cols, lines, args);
        char *s = wait_for(" console ", 20);
        assert_non_null(strstr(s, "mtlab [sandbox]"));
        free(s);
        for (int back = 0; back < 2; back++) {
            tmux("send-keys -t wb f");
            s = wait_for("f back to every pane", 5);
            screen_line(s, 0, line, sizeof line);
            if (!strstr(line, "loss")) fail_msg("%dx%d: the first line is not the loss pane's: %s", cols, lines, line);
            screen_line(s, lines - 1, line, sizeof line);
            if (strncmp(line, "f back to every pane", 20) != 0)
                fail_msg("%dx%d: the last line is not the hint: %s", cols, lines, line);
            assert_non_null(strstr(line, "running, step "));
            screen_line(s, lines - 2, line, sizeof line);
            /* the pane's bottom border just above the hint ('m' where the
             * terminal draws lines with the alternate character set) */
            if (strncmp(line, "\xe2\x94\x94", 3) != 0 && strncmp(line, "mqq", 3) != 0)
                fail_msg("%dx%d: line %d is not the pane's bottom: %s", cols, lines, lines - 2, line);
            assert_null(strstr(s, "mtlab [sandbox]"));
            assert_null(strstr(s, " console "));
            free(s);
            tmux("send-keys -t wb l"); /* a key's note shows on the hint line */
            s = wait_for("loss axis: log scale", 5);
            screen_line(s, lines - 1, line, sizeof line);
            if (!strstr(line, "loss axis: log scale")) fail_msg("%dx%d: no note on the hint line: %s", cols, lines, line);
            free(s);
            tmux("send-keys -t wb l");
            tmux(back ? "send-keys -t wb Escape" : "send-keys -t wb f");
            s = wait_for("mtlab [sandbox]", 5);
            screen_line(s, 0, line, sizeof line);
            if (!strstr(line, "mtlab [sandbox]")) fail_msg("%dx%d: the header did not come back: %s", cols, lines, line);
            assert_non_null(strstr(s, " console "));
            assert_null(strstr(s, "back to every pane"));
            free(s);
        }
        quit_workbench(1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_screen_session),
        cmocka_unit_test(test_e2e_screen_slow_motion),
        cmocka_unit_test(test_e2e_screen_keys_recorded),
        cmocka_unit_test(test_e2e_screen_reload),
        cmocka_unit_test(test_e2e_screen_sigterm),
        cmocka_unit_test(test_e2e_screen_print_and_redraw),
        cmocka_unit_test(test_e2e_screen_folder_same_as_headless),
        cmocka_unit_test(test_e2e_screen_comparison_equals_summaries),
        cmocka_unit_test(test_e2e_screen_open_recorded),
        cmocka_unit_test(test_e2e_screen_open_sweep),
        cmocka_unit_test(test_e2e_screen_every_matrix_is_explained),
        cmocka_unit_test(test_e2e_screen_claim_verdict_in_notes),
        cmocka_unit_test(test_e2e_screen_enlarge_whole_screen),
    };
    /* MTLAB_TEST_FILTER=test_e2e_screen_enlarge* runs the matching tests only */
    if (getenv("MTLAB_TEST_FILTER")) cmocka_set_test_filter(getenv("MTLAB_TEST_FILTER"));
    return cmocka_run_group_tests_name("e2e screen", tests, tmux_group_setup, tmux_group_teardown);
}
