/* version.c - the version string and the data folder (version.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "version.h"

#ifndef MTLAB_COMMIT
#define MTLAB_COMMIT ""
#endif

const char *mt_commit(void) { return MTLAB_COMMIT; }

const char *mt_version_string(void)
{
    static char s[96];
    if (!s[0]) {
        if (MTLAB_COMMIT[0]) snprintf(s, sizeof s, "%s (commit %s)", MTLAB_VERSION, MTLAB_COMMIT);
        else snprintf(s, sizeof s, "%s", MTLAB_VERSION);
    }
    return s;
}

static int readable(const char *dir, const char *file)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return access(p, R_OK) == 0;
}

/* dir resolved (symbolic links, "..") into out; 0 when it exists. */
static int resolve(const char *dir, char *out)
{
    char tmp[PATH_MAX];
    if (!realpath(dir, tmp)) return -1;
    snprintf(out, PATH_MAX, "%s", tmp);
    return 0;
}

const char *mt_datadir(void)
{
    static char dir[PATH_MAX];
    const char *env = getenv("MTLAB_DATADIR");
    if (env && *env) return env;
    if (dir[0]) return dir;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    *slash = '\0';
    char cand[PATH_MAX + 32];
    snprintf(cand, sizeof cand, "%s/../share/mtlab", exe);
    if (readable(cand, "lua/mtl.lua") && resolve(cand, dir) == 0) return dir;
    static const char *const up[] = {"/..", "/../..", "/../../.."};
    for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) {
        snprintf(cand, sizeof cand, "%s%s", exe, up[i]);
        if (readable(cand, "lua/mtl.lua") && readable(cand, "src/app/main.c") && resolve(cand, dir) == 0) return dir;
    }
    return NULL;
}

static int cmd_argc;
static char **cmd_argv;

void mt_set_command_line(int argc, char **argv)
{
    cmd_argc = argc;
    cmd_argv = argv;
}

char **mt_command_line(int *argc)
{
    *argc = cmd_argc;
    return cmd_argv;
}

const char *mt_cpu_model(void)
{
    static char model[128];
    static int done;
    if (done) return model;
    done = 1;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return model;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        /* x86: "model name : ..."; arm64 and others lack it, and "Hardware"
         * or "cpu model" names the chip there */
        if (strncmp(line, "model name", 10) && strncmp(line, "cpu model", 9) && strncmp(line, "Hardware", 8)) continue;
        char *v = strchr(line, ':');
        if (!v) continue;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        size_t n = strcspn(v, "\n");
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
        snprintf(model, sizeof model, "%.*s", (int)n, v);
        break;
    }
    fclose(f);
    return model;
}
