/* test_e2e_durable.c - a run loses nothing: folders that are not
 * overwritten silently, records that reach the disk while the run goes on
 * (a kill -9 keeps every evaluation up to the last one written), write
 * errors that stop the run at once with the file's name, a summary whose
 * status agrees with the exit code, and JSON lines that always parse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sys/mount.h>
#include <time.h>

#include "e2e_util.h"

#define BLOBS_DATA E2E_BLOBS_DATA(600, 100, 100)

/* A blobs experiment with the given train table body and extra fields. */
static const char *script(const char *name, const char *train, const char *extra)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "local mtl = require 'mtl'\n" BLOBS_DATA
             "return mtl.experiment { name = 'blobs', data = data,\n"
             "  tasks = { mtl.task.classify { name = 'cls' }, mtl.task.regress { name = 'dist' } },\n"
             "  topology = mtl.share.hard { trunk = { 16 }, head = { 8 } },\n"
             "  optim = mtl.optim.adam { lr = 0.001 },\n"
             "  train = { %s },\n"
             "  %s }\n",
             train, extra);
    return e2e_write(name, buf);
}

static char *tmp_path(char *buf, size_t n, const char *rel)
{
    snprintf(buf, n, "%s/%s", e2e_tmpdir(), rel);
    return buf;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Every line of a JSON-lines file parses; the file ends with a newline.
 * Returns the number of lines whose "event" is `event` (any when NULL). */
static int check_jsonl(const char *path, const char *event)
{
    char *s = e2e_read(path);
    assert_non_null(s);
    size_t n = strlen(s);
    if (n) assert_true(s[n - 1] == '\n');
    int count = 0;
    for (char *line = s; *line;) {
        char *e = strchr(line, '\n');
        *e = '\0';
        cJSON *o = cJSON_Parse(line);
        if (!o) fprintf(stderr, "%s: not JSON: %.200s\n", path, line);
        assert_non_null(o);
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
        if (!event || (cJSON_IsString(ev) && strcmp(ev->valuestring, event) == 0)) count++;
        cJSON_Delete(o);
        line = e + 1;
    }
    free(s);
    return count;
}

/* metrics.csv: the header, then complete 9-field rows; returns the rows. */
static int check_metrics(const char *path)
{
    char *m = e2e_read(path);
    assert_non_null(m);
    assert_true(strncmp(m, "step,epoch,split,task,loss,metric,weight,experiment,seed\n", 57) == 0);
    size_t n = strlen(m);
    assert_true(m[n - 1] == '\n');
    int rows = 0;
    for (char *line = strchr(m, '\n') + 1; *line; rows++) {
        char *e = strchr(line, '\n');
        int commas = 0;
        for (char *q = line; q < e; q++) commas += *q == ',';
        assert_int_equal(commas, 8);
        line = e + 1;
    }
    free(m);
    return rows;
}

/* Does metrics.csv hold the validation rows of `step`? */
static int metrics_has_val(const char *path, long step)
{
    char *m = e2e_read(path), needle[64];
    snprintf(needle, sizeof needle, "\n%ld,", step);
    int found = 0;
    for (char *p = strstr(m, needle); p && !found; p = strstr(p + 1, needle)) {
        char *e = strchr(p + 1, '\n');
        char *v = strstr(p + 1, ",val,");
        found = v && v < e;
    }
    free(m);
    return found;
}

static cJSON *read_json(const char *path)
{
    char *s = e2e_read(path);
    if (!s) return NULL;
    cJSON *o = cJSON_Parse(s);
    free(s);
    return o;
}

static const char *summary_status(cJSON *sum)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(sum, "status");
    return cJSON_IsString(st) ? st->valuestring : "?";
}

/* ---- folders are never overwritten silently -------------------------- */

static void test_durable_refuses_nonempty_out(void **state)
{
    (void)state;
    const char *s = script("fresh.lua", "batch = 32, epochs = 1", "");
    char p[600], args[1024], *err;
    mkdir(tmp_path(p, sizeof p, "taken"), 0777);
    e2e_write("taken/notes.txt", "mine\n");
    snprintf(args, sizeof args, "run '%s' --out taken -q", s);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    assert_non_null(strstr(err, "taken: already exists and is not empty (notes.txt)"));
    assert_non_null(strstr(err, "--force"));
    free(err);
    assert_false(e2e_exists(tmp_path(p, sizeof p, "taken/metrics.csv")));
    /* an empty folder is fine, --force writes into a full one */
    mkdir(tmp_path(p, sizeof p, "empty"), 0777);
    snprintf(args, sizeof args, "run '%s' --out empty -q", s);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    snprintf(args, sizeof args, "run '%s' --out taken -q --force", s);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    assert_true(e2e_exists(tmp_path(p, sizeof p, "taken/summary.json")));
    char *notes = e2e_read(tmp_path(p, sizeof p, "taken/notes.txt"));
    assert_string_equal(notes, "mine\n");
    free(notes);
}

/* A run that cannot start (a --load that does not fit) leaves the earlier
 * run in the folder exactly as it was, even with --force. */
static void test_durable_failed_load_keeps_folder(void **state)
{
    (void)state;
    const char *s = script("keep.lua", "batch = 32, epochs = 1", "");
    char args[1024], p[600], *err;
    snprintf(args, sizeof args, "run '%s' --out keep -q", s);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    const char *files[] = {"metrics.csv", "events.jsonl", "relations.jsonl", "summary.json", "config.json",
                           "checkpoint.safetensors"};
    char *before[6];
    for (int i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/keep/%s", e2e_tmpdir(), files[i]);
        before[i] = e2e_read(p);
        assert_non_null(before[i]);
    }
    e2e_write("junk.safetensors", "not a checkpoint at all");
    snprintf(args, sizeof args, "run '%s' --out keep -q --force --load junk.safetensors", s);
    int rc = e2e_run(args, NULL, &err);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err, "junk.safetensors"));
    free(err);
    /* another network's checkpoint: also refused before the folder opens */
    snprintf(args, sizeof args, "run '%s' --out keep -q --force --load keep/checkpoint.safetensors --set topology.trunk=32",
             s);
    assert_int_equal(e2e_run(args, NULL, NULL), 1);
    for (int i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/keep/%s", e2e_tmpdir(), files[i]);
        char *after = e2e_read(p);
        assert_non_null(after);
        assert_memory_equal(before[i], after, strlen(before[i]) + 1);
        free(after);
        free(before[i]);
    }
}

/* ---- records reach the disk while the run goes on --------------------- */

/* Starts mtlab in the background; returns its pid. */
static pid_t spawn(const char *args, const char *tag)
{
    char cmd[2048], cwd[400];
    if (!getcwd(cwd, sizeof cwd)) abort();
    const char *bin = e2e_binary();
    snprintf(cmd, sizeof cmd, "cd '%s' && { OPENBLAS_NUM_THREADS=1 '%s%s%s' %s >/dev/null 2>%s.err & echo $! > %s.pid; }",
             e2e_tmpdir(), bin[0] == '/' ? "" : cwd, bin[0] == '/' ? "" : "/", bin, args, tag, tag);
    assert_int_equal(system(cmd), 0);
    char p[600];
    snprintf(p, sizeof p, "%s/%s.pid", e2e_tmpdir(), tag);
    char *s = e2e_read(p);
    pid_t pid = (pid_t)atoi(s);
    free(s);
    assert_true(pid > 0);
    return pid;
}

/* Has the process stopped (state T in /proc/PID/stat)? */
static int is_stopped(pid_t pid)
{
    char p[64], buf[512];
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f) return 1; /* gone */
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close = strrchr(buf, ')'); /* the name may hold spaces */
    return !close || close[1] != ' ' || close[2] == 'T' || close[2] == 'Z' || close[2] == 'X';
}

/* kill -9, at a moment no write(2) of the run is under way. Linux checks
 * for a fatal signal between the pages of a write to a regular file, so a
 * SIGKILL that lands inside a write of several pages ends it at a page
 * boundary, mid-line (run/linefile.h; the readers skip such a torn last
 * line). What these tests check is what the run wrote before the kill,
 * not where the kernel cut a write: SIGSTOP takes effect only on the way
 * back to user space, after any write in progress has completed, so the
 * run is stopped first and killed once it is. */
static void kill_and_reap(pid_t pid)
{
    kill(pid, SIGSTOP);
    for (int i = 0; i < 1000 && !is_stopped(pid); i++) usleep(2000);
    kill(pid, SIGKILL);
    /* not our child (the shell's): wait until it is gone */
    for (int i = 0; i < 500 && kill(pid, 0) == 0; i++) usleep(10000);
}

/* The done-means of issue 12: kill -9 after the second evaluation; every
 * evaluation that events.jsonl records has its rows in metrics.csv, and
 * every line of every file is complete. */
static void test_durable_kill9_keeps_evaluations(void **state)
{
    (void)state;
    const char *s = script("kill.lua", "batch = 16, steps = 100000000, eval_every = 20, relations_every = 3", "");
    char args[1024], p[600];
    snprintf(args, sizeof args, "run '%s' --out killed -q", s);
    pid_t pid = spawn(args, "kill");
    tmp_path(p, sizeof p, "killed/events.jsonl");
    double t0 = now_s();
    int evals = 0;
    while (now_s() - t0 < 120) {
        char *ev = e2e_read(p);
        evals = 0;
        for (char *q = ev; q && (q = strstr(q, "\"event\":\"eval\"")); q++) evals++;
        free(ev);
        if (evals >= 2) break;
        usleep(20000);
    }
    kill_and_reap(pid);
    assert_true(evals >= 2);
    int in_events = check_jsonl(p, "eval");
    assert_true(in_events >= 2);
    check_jsonl(tmp_path(p, sizeof p, "killed/relations.jsonl"), NULL);
    tmp_path(p, sizeof p, "killed/metrics.csv");
    assert_true(check_metrics(p) >= 2 * 2 * 2); /* (train, val) x 2 tasks x 2 evaluations */
    for (long step = 20; step <= 20L * in_events; step += 20) assert_true(metrics_has_val(p, step));
}

/* Without evaluations the clock still writes: relations recorded every
 * step reach the disk within a few seconds of a run that goes on. */
static void test_durable_flushes_on_the_clock(void **state)
{
    (void)state;
    const char *s = script("clock.lua", "batch = 16, steps = 100000000, eval_every = 100000000, relations_every = 1", "");
    char args[1024], p[600];
    snprintf(args, sizeof args, "run '%s' --out clock -q", s);
    pid_t pid = spawn(args, "clock");
    tmp_path(p, sizeof p, "clock/relations.jsonl");
    double t0 = now_s();
    struct stat sb = {0};
    while (now_s() - t0 < 120 && (stat(p, &sb) != 0 || sb.st_size == 0)) usleep(50000);
    kill_and_reap(pid);
    assert_true(sb.st_size > 0);
    check_jsonl(p, NULL);
}

/* ---- events.jsonl is always JSON -------------------------------------- */

static void test_durable_events_always_json(void **state)
{
    (void)state;
    const char *s = script("ctl.lua", "batch = 32, epochs = 1",
                           "on_step = function(run, step) if step == 3 then error(string.rep('\\1', 1000) .. '\\xff\\xfe tail') end end");
    char args[1024], p[600], *err;
    snprintf(args, sizeof args, "run '%s' --out ctl -q", s);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    free(err);
    tmp_path(p, sizeof p, "ctl/events.jsonl");
    assert_int_equal(check_jsonl(p, "failed"), 1);
    char *ev = e2e_read(p);
    assert_non_null(strstr(ev, "\\u0001\\u0001"));
    assert_non_null(strstr(ev, "\xEF\xBF\xBD\xEF\xBF\xBD tail")); /* invalid bytes become U+FFFD */
    free(ev);
    cJSON *sum = read_json(tmp_path(p, sizeof p, "ctl/summary.json"));
    assert_non_null(sum);
    assert_string_equal(summary_status(sum), "failed");
    /* it failed before its first evaluation: no training window was closed,
     * so there is no training loss to report (null, not 0) */
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sum, "tasks"), "cls");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cls, "train_loss")));
    cJSON_Delete(sum);
    /* float32 settings read as written: lr 0.001, not 0.0010000000474974513 */
    s = script("lr.lua", "batch = 32, epochs = 1", "");
    snprintf(args, sizeof args, "run '%s' --out lr -q", s);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    ev = e2e_read(tmp_path(p, sizeof p, "lr/events.jsonl"));
    assert_non_null(strstr(ev, "\"lr\":0.001,"));
    free(ev);
    ev = e2e_read(tmp_path(p, sizeof p, "lr/config.json"));
    assert_non_null(strstr(ev, "\"lr\":\t0.001,"));
    assert_non_null(strstr(ev, "\"beta1\":\t0.9,"));
    free(ev);
}

/* ---- write errors stop the run ---------------------------------------- */

/* A tmpfs of `kb` KiB mounted at <tmp>/name; 0 when this machine does not
 * allow it (not root, no mount namespace rights). */
static int mount_small(const char *name, int kb, char *path, size_t n)
{
    tmp_path(path, n, name);
    mkdir(path, 0777);
    char opts[32];
    snprintf(opts, sizeof opts, "size=%dk", kb);
    if (geteuid() != 0 || mount("tmpfs", path, "tmpfs", 0, opts) != 0) {
        fprintf(stderr, "  (skipped: cannot mount a small tmpfs at %s: %s)\n", path,
                geteuid() ? "not root" : strerror(errno));
        return 0;
    }
    return 1;
}

/* On a full filesystem the run stops within seconds, names the file and
 * the error, and exits 1; whatever summary it managed to write says so. */
static void test_durable_full_disk_stops_the_run(void **state)
{
    (void)state;
    char mnt[600], args[1024], p[700], *err;
    if (!mount_small("full", 64, mnt, sizeof mnt)) skip();
    const char *s = script("full.lua", "batch = 16, steps = 100000000, eval_every = 50, relations_every = 1", "");
    snprintf(args, sizeof args, "run '%s' --out full/run -q", s);
    double t0 = now_s();
    int rc = e2e_run(args, NULL, &err);
    double secs = now_s() - t0;
    fprintf(stderr, "  full disk: exit %d after %.1fs\n", rc, secs);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "full/run/"));
    assert_non_null(strstr(err, "No space left on device"));
    free(err);
    snprintf(p, sizeof p, "%s/run/metrics.csv", mnt);
    check_metrics(p);
    snprintf(p, sizeof p, "%s/run/events.jsonl", mnt);
    check_jsonl(p, NULL);
    snprintf(p, sizeof p, "%s/run/relations.jsonl", mnt);
    check_jsonl(p, NULL);
    snprintf(p, sizeof p, "%s/run/summary.json", mnt);
    cJSON *sum = read_json(p);
    if (sum) assert_string_not_equal(summary_status(sum), "finished");
    cJSON_Delete(sum);
    assert_int_equal(umount(mnt), 0);
}

/* Only the checkpoint does not fit: the summary says "failed", names the
 * checkpoint, and the exit code is 1. */
static void check_checkpoint_failure(const char *dir, const char *needle, int rc, const char *err)
{
    char p[700];
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "checkpoint.safetensors"));
    assert_non_null(strstr(err, needle));
    snprintf(p, sizeof p, "%s/summary.json", dir);
    cJSON *sum = read_json(p);
    assert_non_null(sum);
    assert_string_equal(summary_status(sum), "failed");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(sum, "message");
    assert_true(cJSON_IsString(m) && strstr(m->valuestring, "checkpoint.safetensors"));
    cJSON_Delete(sum);
    snprintf(p, sizeof p, "%s/events.jsonl", dir);
    assert_int_equal(check_jsonl(p, "finish"), 1);
    char *ev = e2e_read(p);
    assert_non_null(strstr(ev, "\"status\":\"failed\""));
    free(ev);
    /* no temporary file is left behind */
    char cmd[800];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", dir);
    assert_int_not_equal(system(cmd), 0);
}

#define BIG_MODEL "topology = mtl.share.hard { trunk = { 512 }, head = { 64 } }"

static void test_durable_checkpoint_full_disk(void **state)
{
    (void)state;
    char mnt[600], args[1024], dir[700], *err;
    if (!mount_small("ckfull", 64, mnt, sizeof mnt)) skip();
    /* ~40k parameters: 480 KB of checkpoint with Adam's moments; the
     * rest of the run fits in a few pages */
    const char *s = e2e_write("ckfull.lua",
                              "local mtl = require 'mtl'\n" BLOBS_DATA
                              "return mtl.experiment { name = 'big', data = data,\n"
                              "  tasks = { mtl.task.classify { name = 'cls' } }, " BIG_MODEL ",\n"
                              "  train = { batch = 100, epochs = 1 } }\n");
    snprintf(args, sizeof args, "run '%s' --out ckfull/run -q", s);
    int rc = e2e_run(args, NULL, &err);
    snprintf(dir, sizeof dir, "%s/run", mnt);
    check_checkpoint_failure(dir, "No space left on device", rc, err);
    free(err);
    assert_int_equal(umount(mnt), 0);
}

/* The same without root: a file-size limit (SIGXFSZ ignored, so writes
 * fail with EFBIG) that the checkpoint exceeds. */
static void test_durable_checkpoint_file_limit(void **state)
{
    (void)state;
    const char *s = e2e_write("cklimit.lua",
                              "local mtl = require 'mtl'\n" BLOBS_DATA
                              "return mtl.experiment { name = 'big', data = data,\n"
                              "  tasks = { mtl.task.classify { name = 'cls' } }, " BIG_MODEL ",\n"
                              "  train = { batch = 100, epochs = 1 } }\n");
    char args[1024], dir[700], *err;
    /* ulimit -f counts 512-byte blocks in dash, 1024 in bash: 256 is 128
     * or 256 KiB, both below the checkpoint, both above the rest */
    snprintf(args, sizeof args, "run '%s' --out cklimit -q", s);
    char wrapped[1200];
    snprintf(wrapped, sizeof wrapped, "%s", args);
    char cmd[2048], cwd[400], o[600], e[600];
    if (!getcwd(cwd, sizeof cwd)) abort();
    const char *bin = e2e_binary();
    snprintf(o, sizeof o, "%s/cklimit.out", e2e_tmpdir());
    snprintf(e, sizeof e, "%s/cklimit.err", e2e_tmpdir());
    snprintf(cmd, sizeof cmd, "cd '%s' && trap '' XFSZ && ulimit -f 256 && OPENBLAS_NUM_THREADS=1 '%s%s%s' %s >'%s' 2>'%s'",
             e2e_tmpdir(), bin[0] == '/' ? "" : cwd, bin[0] == '/' ? "" : "/", bin, wrapped, o, e);
    int w = system(cmd);
    int rc = WIFEXITED(w) ? WEXITSTATUS(w) : 128 + WTERMSIG(w);
    err = e2e_read(e);
    snprintf(dir, sizeof dir, "%s/cklimit", e2e_tmpdir());
    check_checkpoint_failure(dir, "File too large", rc, err);
    free(err);
}

static int teardown_all(void **state)
{
    (void)state;
    char p[600];
    const char *mounts[] = {"full", "ckfull"};
    for (int i = 0; i < 2; i++) umount(tmp_path(p, sizeof p, mounts[i])); /* after a failed assertion */
    e2e_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durable_refuses_nonempty_out),
        cmocka_unit_test(test_durable_failed_load_keeps_folder),
        cmocka_unit_test(test_durable_kill9_keeps_evaluations),
        cmocka_unit_test(test_durable_flushes_on_the_clock),
        cmocka_unit_test(test_durable_events_always_json),
        cmocka_unit_test(test_durable_full_disk_stops_the_run),
        cmocka_unit_test(test_durable_checkpoint_full_disk),
        cmocka_unit_test(test_durable_checkpoint_file_limit),
    };
    return cmocka_run_group_tests_name("e2e durable", tests, NULL, teardown_all);
}
