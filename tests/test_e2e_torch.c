/* test_e2e_torch.c - an mtlab checkpoint read by PyTorch: a hard-sharing
 * run on CSV data (a classification and a regression, with layer norm and
 * standardised inputs, with batch norm and its running statistics), then
 * scripts/torch_load_checkpoint.py builds the
 * network in torch.nn, loads the checkpoint with load_state_dict(strict=
 * True) and recomputes each task's test loss on the same split; it must
 * equal summary.json's to 1e-4 (relative). Skipped, with a message, where
 * Debian's python3-torch is not installed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "e2e_util.h"

static char repo[512];

static int torch_available(void)
{
    return system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

/* 300 rows of three inputs, a 3-class label and a smooth regression
 * target, every number with four decimals; no random draws, so the file
 * is the same everywhere. */
static void write_csv(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/data.csv", e2e_tmpdir());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("a,b,c,cls,y\n", f);
    for (int i = 0; i < 300; i++) {
        double a = 2.0 * sin(0.7 * i + 0.3), b = 2.0 * cos(1.3 * i), c = 1.5 * sin(0.11 * i * i);
        double s = a + b;
        int cls = s < -0.8 ? 0 : s < 0.9 ? 1 : 2;
        fprintf(f, "%.4f,%.4f,%.4f,%d,%.4f\n", a, b, c, cls, sin(a) + 0.5 * c);
    }
    fclose(f);
}

static void run_and_load(const char *topology, const char *extra_data)
{
    char script[2048], args[256];
    snprintf(script, sizeof script,
             "local mtl = require 'mtl'\n"
             "return mtl.experiment {\n"
             "  name = 'csv hard sharing',\n"
             "  data = mtl.data.csv { path = 'data.csv', inputs = { 'a', 'b', 'c' }, targets = { 'cls', 'y' },\n"
             "    types = { cls = 'class', y = 'regress' }, val = 50, test = 80, seed = 4 %s },\n"
             "  tasks = { mtl.task.classify { name = 'cls' }, mtl.task.regress { name = 'y' } },\n"
             "  topology = %s,\n"
             "  optim = mtl.optim.adam { lr = 0.01 },\n"
             "  train = { batch = 32, epochs = 5, seed = 3 },\n"
             "}\n",
             extra_data, topology);
    e2e_write("torch.lua", script);
    snprintf(args, sizeof args, "run torch.lua --out torchrun --force -q");
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    char cmd[2048], out[600];
    snprintf(out, sizeof out, "%s/torch.out", e2e_tmpdir());
    snprintf(cmd, sizeof cmd, "cd '%s' && /usr/bin/python3 '%s/scripts/torch_load_checkpoint.py' torchrun >'%s' 2>&1",
             e2e_tmpdir(), repo, out);
    int rc = system(cmd);
    char *text = e2e_read(out);
    print_message("%s", text ? text : "(no output)\n");
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    assert_non_null(strstr(text, "the losses agree"));
    free(text);
}

static void test_e2e_torch_reproduces_test_loss(void **state)
{
    (void)state;
    if (!torch_available()) {
        print_message("python3-torch is not installed: skipped (apt-get install python3-torch to run it)\n");
        skip();
    }
    write_csv();
    run_and_load("mtl.share.hard { trunk = { 16, 8 }, head = { 8 } }", "");
    run_and_load("mtl.share.hard { trunk = { 12 }, head = { 6 }, norm = 'layer', act = 'tanh' }",
                 ", standardize = true");
    run_and_load("mtl.share.hard { trunk = { 12, 8 }, head = {}, norm = 'batch', act = 'gelu' }", "");
}

int main(void)
{
    if (!getcwd(repo, sizeof repo)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_torch_reproduces_test_loss),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2e_cleanup();
    return rc;
}
