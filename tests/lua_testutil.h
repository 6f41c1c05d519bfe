/* lua_testutil.h - scripts in a fresh temporary directory for the Lua
 * layer's test drivers (include after <cmocka.h>). */
#ifndef MT_LUA_TESTUTIL_H
#define MT_LUA_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];

/* Writes text to <dir>/<name>; the path is valid until the next call. */
static const char *write_script(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mtlab-lua-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
