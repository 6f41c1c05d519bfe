/* test_lua_sandbox.c - what a script may use by default, what it may not
 * (each refusal's message, with the script line and the option that
 * allows it), bytecode refusal, the memory limit, and --trust. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua/mtlua.h"

static char dir[64];

static const char *path_in(const char *name)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static const char *write_file(const char *name, const char *text)
{
    const char *p = path_in(name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static void set_policy(int trust, size_t mem)
{
    mtlua_policy p = {.trust = trust, .mem_limit = mem};
    mtlua_set_policy(&p);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mtlab-sandbox-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char sub[128];
    snprintf(sub, sizeof sub, "%s/inside", dir);
    return mkdir(sub, 0700);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int reset_policy(void **state)
{
    (void)state;
    set_policy(0, 0);
    mtlua_set_print(NULL, NULL);
    return 0;
}

/* A script: CODE on line 2, then a tiny valid experiment. */
#define TAIL "\nreturn mtl.experiment { data = mtl.data.kendall { train = 100, val = 50, test = 50 }, tasks = { mtl.task.regress { name = 'y1' } } }\n"

static mt_status open_code(const char *name, const char *code, mtlua_session **s)
{
    char text[8192];
    snprintf(text, sizeof text, "local mtl = require 'mtl'\n%s" TAIL, code);
    return mtlua_open(write_file(name, text), NULL, 0, s);
}

/* The script fails with exactly "<dir>/<name>:2: <message>" on its first line. */
static void expect_refusal(const char *code, const char *message)
{
    mtlua_session *s = NULL;
    assert_int_equal(open_code("r.lua", code, &s), MT_ERR_SCRIPT);
    assert_null(s);
    char want[1024];
    snprintf(want, sizeof want, "%s/r.lua:2: %s\n", dir, message);
    if (strncmp(mt_last_error(), want, strlen(want)) != 0)
        fprintf(stderr, "code: %s\ngot:  %s\nwant: %s\n", code, mt_last_error(), want);
    assert_memory_equal(mt_last_error(), want, strlen(want));
}

static void expect_ok(const char *code)
{
    mtlua_session *s = NULL;
    mt_status st = open_code("ok.lua", code, &s);
    if (st) fprintf(stderr, "code: %s\nerror: %s\n", code, mt_last_error());
    assert_int_equal(st, MT_OK);
    mtlua_close(s);
}

#define NA(f) f " is not available in the sandbox (run with --trust to allow it)"

static void test_lua_sandbox_refuses_each_function(void **state)
{
    (void)state;
    expect_refusal("os.execute('touch X')", NA("os.execute"));
    expect_refusal("os.remove('x')", NA("os.remove"));
    expect_refusal("os.rename('a', 'b')", NA("os.rename"));
    expect_refusal("os.exit(3)", NA("os.exit"));
    expect_refusal("os.tmpname()", NA("os.tmpname"));
    expect_refusal("os.setlocale('C')", NA("os.setlocale"));
    expect_refusal("io.popen('ls')", NA("io.popen"));
    expect_refusal("io.read('l')", NA("io.read"));
    expect_refusal("io.close()", NA("io.close"));
    expect_refusal("io.output('x')", NA("io.output"));
    expect_refusal("io.input('x')", NA("io.input"));
    expect_refusal("io.tmpfile()", NA("io.tmpfile"));
    expect_refusal("local f = io.stdout", NA("io.stdout"));
    expect_refusal("local f = io.stderr", NA("io.stderr"));
    expect_refusal("package.loadlib('libc.so.6', 'system')", NA("package.loadlib"));
    expect_refusal("package.searchpath('x', '/etc/?')", NA("package.searchpath"));
    expect_refusal("local p = package.cpath", NA("package.cpath"));
    expect_refusal("debug.getinfo(1)", NA("debug.getinfo"));
    expect_refusal("debug.sethook()", NA("debug.sethook"));
    expect_refusal("debug.getregistry()", NA("debug.getregistry"));
    expect_refusal("warn('@on')", NA("warn"));
    /* the same functions through package.loaded and require */
    expect_refusal("require('os').execute('ls')", NA("os.execute"));
    expect_refusal("package.loaded.io.popen('ls')", NA("io.popen"));
    expect_refusal("require('debug').getlocal(1, 1)", NA("debug.getlocal"));
    /* writing files, in any mode that writes */
    expect_refusal("io.open('w.txt', 'w')",
                   "io.open: writing files (mode \"w\") is not available in the sandbox (run with --trust to allow it)");
    expect_refusal("io.open('w.txt', 'a')",
                   "io.open: writing files (mode \"a\") is not available in the sandbox (run with --trust to allow it)");
    expect_refusal("io.open('ok.lua', 'r+')",
                   "io.open: writing files (mode \"r+\") is not available in the sandbox (run with --trust to allow it)");
    expect_refusal("io.lines()",
                   "io.lines: reading standard input is not available in the sandbox (run with --trust to allow it)");
    expect_refusal("dofile()",
                   "dofile: reading standard input is not available in the sandbox (run with --trust to allow it)");
    assert_false(access(path_in("w.txt"), F_OK) == 0);
}

/* Every member of os, io, package and debug in a full state is, in the
 * sandbox, either one the docs list as available or a refusal that names
 * it. */
static void test_lua_sandbox_every_other_member_refuses(void **state)
{
    (void)state;
    static const char *const allowed[] = {"os.time", "os.clock", "os.date", "os.difftime", "os.getenv",
                                          "io.open", "io.lines", "io.write", "io.type", "package.loaded",
                                          "package.preload", "package.config", "package.path", "package.searchers",
                                          NULL};
    lua_State *full = luaL_newstate();
    luaL_openlibs(full);
    const char *libs[] = {"os", "io", "package", "debug"};
    int checked = 0;
    for (int l = 0; l < 4; l++) {
        lua_getglobal(full, libs[l]);
        lua_pushnil(full);
        while (lua_next(full, -2)) {
            char name[64];
            snprintf(name, sizeof name, "%s.%s", libs[l], lua_tostring(full, -2));
            int ok = 0;
            for (const char *const *a = allowed; *a; a++) ok |= strcmp(*a, name) == 0;
            int fn = lua_isfunction(full, -1);
            lua_pop(full, 1);
            if (ok) continue;
            char code[128], msg[160];
            if (fn) snprintf(code, sizeof code, "%s()", name);
            else snprintf(code, sizeof code, "local v = %s", name);
            snprintf(msg, sizeof msg, NA("%s"), name);
            expect_refusal(code, msg);
            checked++;
        }
        lua_pop(full, 1);
    }
    lua_close(full);
    assert_true(checked >= 30); /* debug alone has 16 functions */
}

/* The test scripts name files by absolute path: substitute DIR. */
static void expect_ok_in_dir(const char *code_with_dir)
{
    char code[4096];
    size_t w = 0;
    for (const char *p = code_with_dir; *p && w + 80 < sizeof code;) {
        if (strncmp(p, "DIR", 3) == 0) {
            w += (size_t)snprintf(code + w, sizeof code - w, "%s", dir);
            p += 3;
        } else {
            code[w++] = *p++;
        }
    }
    code[w] = '\0';
    expect_ok(code);
}

static char printed[4096];
static size_t nprinted;

static void capture(void *ud, const char *text, size_t len)
{
    assert_ptr_equal(ud, printed);
    if (nprinted + len < sizeof printed) {
        memcpy(printed + nprinted, text, len);
        nprinted += len;
        printed[nprinted] = '\0';
    }
}

static void test_lua_sandbox_allows_what_computes(void **state)
{
    (void)state;
    write_file("inside/data.txt", "first line\nsecond line\n");
    write_file("helper.lua", "return { twice = function(x) return 2 * x end }\n");
    write_file("inside/deep.lua", "return 'deep'\n");
    write_file("value.lua", "return 41 + 1\n");
    nprinted = 0;
    mtlua_set_print(capture, printed);
    expect_ok_in_dir("assert(string.rep('ab', 3) == 'ababab' and ('x'):upper() == 'X')\n"
              "assert(table.concat({ 1, 2, 3 }, ',') == '1,2,3' and select('#', table.unpack({ 1, 2 })) == 2)\n"
              "assert(math.floor(math.pi * 100) == 314 and math.type(1) == 'integer')\n"
              "assert(utf8.len('h\\u{e9}') == 2 and utf8.char(233) == '\\u{e9}')\n"
              "local co = coroutine.wrap(function() coroutine.yield(1) return 2 end); assert(co() == 1 and co() == 2)\n"
              "assert(os.time() > 0 and os.clock() >= 0 and #os.date('%Y') == 4 and os.difftime(2, 1) == 1)\n"
              "assert(os.getenv('PATH') ~= nil)\n"
              "local f = assert(io.open('DIR/inside/data.txt')); assert(f:read('l') == 'first line'); f:close()\n"
              "local n = 0; for l in io.lines('DIR/inside/data.txt') do n = n + 1 end; assert(n == 2)\n"
              "assert(io.type(io.open('DIR/inside/data.txt')) == 'file')\n"
              "assert(require('helper').twice(21) == 42 and require('inside.deep') == 'deep')\n"
              "assert(dofile('DIR/value.lua') == 42 and loadfile('DIR/value.lua')() == 42)\n"
              "assert(load('return 1 + 1')() == 2 and load(function() return nil end) ~= nil)\n"
              "assert(pcall(error, 'x') == false and type(getmetatable('').__index) == 'table')\n"
              "print('a', 1, nil, true); io.write('b', 2, '\\n')\n");
    assert_string_equal(printed, "a\t1\tnil\ttrue\nb2\n");
}

static void test_lua_sandbox_reads_only_under_the_folder(void **state)
{
    (void)state;
    char code[512], msg[512];
    /* outside, by absolute path, by .., and through a symlink */
    snprintf(msg, sizeof msg,
             "io.open: /etc/passwd is outside the script's folder (%s); the sandbox reads files only there (run with "
             "--trust to allow it)", dir);
    expect_refusal("io.open('/etc/passwd')", msg);
    snprintf(code, sizeof code, "io.open('%s/../x')", dir);
    snprintf(msg, sizeof msg,
             "io.open: %s/../x is outside the script's folder (%s); the sandbox reads files only there (run with "
             "--trust to allow it)", dir, dir);
    expect_refusal(code, msg);
    assert_int_equal(symlink("/etc/passwd", path_in("inside/link")), 0);
    snprintf(code, sizeof code, "io.lines('%s/inside/link')", dir);
    snprintf(msg, sizeof msg,
             "io.lines: %s/inside/link is outside the script's folder (%s); the sandbox reads files only there (run "
             "with --trust to allow it)", dir, dir);
    expect_refusal(code, msg);
    snprintf(msg, sizeof msg,
             "dofile: /etc/hostname is outside the script's folder (%s); the sandbox reads files only there (run "
             "with --trust to allow it)", dir);
    expect_refusal("dofile('/etc/hostname')", msg);
    snprintf(msg, sizeof msg,
             "loadfile: /etc/hostname is outside the script's folder (%s); the sandbox reads files only there (run "
             "with --trust to allow it)", dir);
    expect_refusal("loadfile('/etc/hostname')", msg);
    /* a missing file inside the folder is io.open's usual nil, message */
    expect_ok_in_dir("local f, m = io.open('DIR/none.txt'); assert(f == nil and m:find('No such file'))\n");
    /* require finds nothing outside the two folders, and says C modules are off */
    mtlua_session *s;
    assert_int_equal(open_code("r.lua", "require('..etc.passwd')", &s), MT_ERR_SCRIPT);
    assert_non_null(strstr(mt_last_error(), "module '..etc.passwd' not found"));
    assert_int_equal(open_code("r.lua", "require('socket.core')", &s), MT_ERR_SCRIPT);
    assert_non_null(strstr(mt_last_error(), "no C modules in the sandbox (run with --trust to allow it)"));
}

static int dump_writer(lua_State *L, const void *p, size_t n, void *ud)
{
    (void)L;
    return fwrite(p, 1, n, ud) == n ? 0 : 1;
}

static const char *bytecode_file(const char *name, const char *source)
{
    lua_State *L = luaL_newstate();
    assert_int_equal(luaL_loadstring(L, source), LUA_OK);
    const char *p = path_in(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(lua_dump(L, dump_writer, f, 0), 0);
    fclose(f);
    lua_close(L);
    return p;
}

static void test_lua_sandbox_refuses_bytecode(void **state)
{
    (void)state;
    const char *script = bytecode_file("compiled.lua", "local mtl = require 'mtl'" TAIL);
    for (int trust = 0; trust < 2; trust++) {
        set_policy(trust, 0);
        mtlua_session *s = NULL;
        assert_int_equal(mtlua_open(script, NULL, 0, &s), MT_ERR_SCRIPT);
        char want[512];
        snprintf(want, sizeof want, "%s: precompiled Lua bytecode is not accepted; give the script's source text (.lua)",
                 script);
        assert_string_equal(mt_last_error(), want);
    }
    set_policy(0, 0);
    bytecode_file("mod.lua", "return 42");
    char msg[512];
    snprintf(msg, sizeof msg,
             "module 'mod': %s/mod.lua is precompiled bytecode; the sandbox loads Lua source only (run with --trust "
             "to allow it)", dir);
    expect_refusal("require 'mod'", msg);
    char code[256];
    snprintf(code, sizeof code, "dofile('%s/mod.lua')", dir);
    snprintf(msg, sizeof msg,
             "dofile: %s/mod.lua is precompiled bytecode; the sandbox loads Lua source only (run with --trust to "
             "allow it)", dir);
    expect_refusal(code, msg);
    expect_refusal("load(string.dump(function() return 1 end))",
                   "load: precompiled (binary) chunks are not available in the sandbox (run with --trust to allow it)");
    expect_refusal("local s, i = string.dump(function() end), 0; load(function() i = i + 1; return i == 1 and s or nil end)",
                   "load: precompiled (binary) chunks are not available in the sandbox (run with --trust to allow it)");
}

/* Scripts that build too much hit the limit with a message, not an OOM kill. */
static void test_lua_sandbox_memory_limit(void **state)
{
    (void)state;
    set_policy(0, (size_t)32 << 20);
    mtlua_session *s = NULL;
    assert_int_equal(open_code("big.lua", "local t = {}\nfor i = 1, 1e8 do t[i] = { i } end", &s), MT_ERR_SCRIPT);
    char want[512];
    snprintf(want, sizeof want,
             "%s/big.lua: the script's Lua memory reached its limit of 32 MiB (a huge table or string?); --lua-mem SIZE "
             "raises it", dir);
    assert_string_equal(mt_last_error(), want);
    assert_int_equal(open_code("big.lua", "local s = string.rep('x', 64 * 1024 * 1024)", &s), MT_ERR_SCRIPT);
    assert_string_equal(mt_last_error(), want);
    /* the limit holds in a pcall inside the script too: the script sees the error */
    expect_ok("local ok, e = pcall(string.rep, 'x', 1 << 26); assert(not ok and e == 'not enough memory')");
    /* the same script fits under the default limit */
    set_policy(0, 0);
    expect_ok("local s = string.rep('x', 64 * 1024 * 1024); assert(#s == 1 << 26)");
    /* a limit too small for the libraries themselves is an error, not a crash */
    set_policy(0, 4096);
    assert_int_not_equal(open_code("tiny.lua", "", &s), MT_OK);
    assert_non_null(strstr(mt_last_error(), "memory"));
}

static void test_lua_sandbox_trust_gives_everything(void **state)
{
    (void)state;
    set_policy(1, 0);
    char code[512];
    snprintf(code, sizeof code,
             "assert(os.execute('touch %s/made-by-trust') == true)\n"
             "local f = assert(io.open('%s/written.txt', 'w')); f:write('x'); f:close()\n"
             "assert(debug.getinfo(1, 'l').currentline == 4 and type(package.loadlib) == 'function')\n"
             "assert(io.popen and io.stdout and load(string.dump(function() return 7 end))() == 7)",
             dir, dir);
    mtlua_session *s = NULL;
    assert_int_equal(open_code("trust.lua", code, &s), MT_OK);
    assert_true(mtlua_trusted(s));
    mtlua_close(s);
    assert_int_equal(access(path_in("made-by-trust"), F_OK), 0);
    assert_int_equal(access(path_in("written.txt"), F_OK), 0);
    set_policy(0, 0);
    assert_int_equal(open_code("plain.lua", "", &s), MT_OK);
    assert_false(mtlua_trusted(s));
    mtlua_close(s);
}

/* A script's metatables run while C reads its tables: an error there, or
 * a non-string error object, is a message, not a Lua panic. */
static void test_lua_sandbox_hostile_metatables(void **state)
{
    (void)state;
    const char *p = write_file("meta.lua",
        "local mtl = require 'mtl'\n"
        "local e = mtl.experiment { data = mtl.data.kendall { train = 100, val = 50, test = 50 }, tasks = { mtl.task.regress { name = 'y1' } } }\n"
        "return setmetatable(e, { __index = function(t, k) error('no field ' .. k) end })\n");
    mtlua_session *s = NULL;
    assert_int_equal(mtlua_open(p, NULL, 0, &s), MT_ERR_SCRIPT);
    assert_non_null(strstr(mt_last_error(), "meta.lua:3: no field"));
    p = write_file("meta2.lua",
        "local mtl = require 'mtl'\n"
        "local e = mtl.experiment { data = mtl.data.kendall { train = 100, val = 50, test = 50 }, tasks = { mtl.task.regress { name = 'y1' } } }\n"
        "return setmetatable(e, { __index = function(t, k) error({}) end })\n");
    assert_int_equal(mtlua_open(p, NULL, 0, &s), MT_ERR_SCRIPT);
    assert_non_null(strstr(mt_last_error(), "meta2.lua"));
}

/* The count hook still interrupts plain Lua loops in a sandboxed script. */
static void test_lua_sandbox_interrupt(void **state)
{
    (void)state;
    mtlua_interrupt();
    mtlua_session *s = NULL;
    assert_int_equal(open_code("spin.lua", "while true do end", &s), MT_ERR_INTERRUPTED);
    assert_non_null(strstr(mt_last_error(), "interrupted"));
    mtlua_clear_interrupt();
    assert_false(mtlua_busy());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_lua_sandbox_refuses_each_function, reset_policy),
        cmocka_unit_test_setup(test_lua_sandbox_every_other_member_refuses, reset_policy),
        cmocka_unit_test_setup(test_lua_sandbox_allows_what_computes, reset_policy),
        cmocka_unit_test_setup(test_lua_sandbox_reads_only_under_the_folder, reset_policy),
        cmocka_unit_test_setup(test_lua_sandbox_refuses_bytecode, reset_policy),
        cmocka_unit_test_setup(test_lua_sandbox_memory_limit, reset_policy),
        cmocka_unit_test_setup(test_lua_sandbox_trust_gives_everything, reset_policy),
        cmocka_unit_test_setup(test_lua_sandbox_hostile_metatables, reset_policy),
        cmocka_unit_test_setup(test_lua_sandbox_interrupt, reset_policy),
    };
    return cmocka_run_group_tests_name("lua sandbox", tests, setup, teardown);
}
