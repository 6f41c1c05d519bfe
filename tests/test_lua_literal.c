/* test_lua_literal.c - --set values written as table constructors are read
 * as data. Valid inputs are checked against Lua's own reading of the same
 * text (an independent parser); invalid and hostile ones must fail fast
 * with a position, and nothing in them may run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua/lua_internal.h"

/* Deep equality of the values at a and b (types, integer/float subtype, keys). */
static int same(lua_State *L, int a, int b)
{
    a = lua_absindex(L, a);
    b = lua_absindex(L, b);
    if (lua_type(L, a) != lua_type(L, b)) return 0;
    if (lua_type(L, a) == LUA_TNUMBER && lua_isinteger(L, a) != lua_isinteger(L, b)) return 0;
    if (lua_type(L, a) != LUA_TTABLE) return lua_rawequal(L, a, b);
    int na = 0, nb = 0;
    lua_pushnil(L);
    while (lua_next(L, a)) {
        na++;
        lua_pushvalue(L, -2);
        lua_rawget(L, b);
        int ok = same(L, -1, -2);
        lua_pop(L, 2);
        if (!ok) {
            lua_pop(L, 1);
            return 0;
        }
    }
    lua_pushnil(L);
    while (lua_next(L, b)) {
        nb++;
        lua_pop(L, 1);
    }
    return na == nb;
}

static void expect_same_as_lua(lua_State *L, const char *text)
{
    char err[512];
    mt_status st = mtlua_push_literal(L, text, err, sizeof err);
    if (st) fprintf(stderr, "text: %s\nerror: %s\n", text, err);
    assert_int_equal(st, MT_OK);
    char code[4096];
    snprintf(code, sizeof code, "return %s", text);
    assert_int_equal(luaL_dostring(L, code), LUA_OK);
    if (!same(L, -1, -2)) fprintf(stderr, "differs from Lua: %s\n", text);
    assert_true(same(L, -1, -2));
    lua_pop(L, 2);
}

static void expect_error(lua_State *L, const char *text, const char *message)
{
    char err[512];
    int top = lua_gettop(L);
    assert_int_equal(mtlua_push_literal(L, text, err, sizeof err), MT_ERR_ARG);
    assert_int_equal(lua_gettop(L), top);
    if (strcmp(err, message) != 0) fprintf(stderr, "text: %s\ngot:  %s\nwant: %s\n", text, err, message);
    assert_string_equal(err, message);
}

static void test_lua_literal_matches_lua(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    static const char *const valid[] = {
        "{}", "{ }", "{32, 16}", "{ 32 , 16 , }", "{1; 2; 3}", "{-1, - 2, -0.5, -.5, .5}",
        "{1e3, 1E-3, 2.5e+2, 0x10, 0xfF, 0x1p4, 0x.8, 3., 0x7fffffffffffffff}",
        "{99999999999999999999, 9223372036854775807, -9223372036854775808, 0xffffffffffffffffff}",
        "{true, false}", "{name = \"adam\", lr = 1e-3, nesterov = true}",
        "{ trunk = { 64, 32 }, head = { { 8 }, {} }, deep = { a = { b = { c = { 1 } } } } }",
        "{[\"a b\"] = 1, [1] = 'x', [2.5] = 'y', [-3] = 'z', _under_score9 = 0}",
        "{'single', \"double\", 'it\\'s'}",
        "{'\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\'', '\\65\\066\\0677', '\\x41\\x7a', '\\u{48}\\u{e9}\\u{20AC}\\u{1F600}', "
        "'a\\z   b'}",
        "{ 'x',\n\t'y' }", "{ [1.0] = 'float key is integer 1' }", "{ [\"nil\"] = 1, [\"end\"] = 2 }",
        "{ 1, 2, n = 2 }",
    };
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) expect_same_as_lua(L, valid[i]);
    lua_close(L);
}

static void test_lua_literal_rejects_with_positions(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    expect_error(L, "{1,,2}",
                 "a --set table holds data, not code: expected a number, a quoted string, true, false or a table at "
                 "character 4 of the value, found ',2}'");
    expect_error(L, "{x}",
                 "a --set table holds data, not code: expected a number, a quoted string, true, false or a table (for a "
                 "string, write \"x\") at character 2 of the value, found 'x}'");
    expect_error(L, "{(function() while true do end end)()}",
                 "a --set table holds data, not code: expected a number, a quoted string, true, false or a table at "
                 "character 2 of the value, found '(function() ...'");
    expect_error(L, "{os.execute('touch X')}",
                 "a --set table holds data, not code: expected a number, a quoted string, true, false or a table (for a "
                 "string, write \"os\") at character 2 of the value, found 'os.execute('...'");
    expect_error(L, "{1 2}", "expected ',' or '}' after a field at character 4 of the value, found '2}'");
    expect_error(L, "{1, 2", "expected ',' or '}' after a field at character 6 of the value, found the end of it");
    expect_error(L, "{'abc}", "unfinished string starting at character 2 of the value");
    expect_error(L, "{nil}", "nil is not a value in a data table (leave the field out) at character 2 of the value");
    expect_error(L, "{a = 1, a = 2}", "a key given twice at character 9 of the value");
    expect_error(L, "{5, [1] = 6}", "a key given twice (a position and [n] = ...) at character 5 of the value");
    expect_error(L, "{1} x", "unexpected text after the value at character 5 of the value, found 'x'");
    expect_error(L, "{1e}", "malformed number '1e' at character 2 of the value");
    expect_error(L, "{0x}", "malformed number '0x' at character 2 of the value");
    expect_error(L, "{12abc}", "malformed number '12abc' at character 2 of the value");
    expect_error(L, "{end = 1}",
                 "a reserved word cannot be a key; write [\"word\"] = at character 2 of the value, found 'end = 1}'");
    expect_error(L, "{[[long]]}", "long strings [[...]] are not read in --set; use quotes at character 2 of the value");
    expect_error(L, "{[{}] = 1}", "a key in [ ] must be a string or a number at character 3 of the value");
    expect_error(L, "{'\\q'}", "invalid escape sequence at character 3 of the value, found '\\q'}'");
    expect_error(L, "{'\\x4'}", "\\x needs two hexadecimal digits at character 3 of the value");
    expect_error(L, "{'\\300'}", "decimal escape too large at character 3 of the value");
    expect_error(L, "{'\\u{80000000}'}", "\\u{...} beyond 7FFFFFFF at character 3 of the value");
    expect_error(L, "{-x}", "expected a number after '-' at character 2 of the value");
    expect_error(L, "{1 -- comment\n}", "expected ',' or '}' after a field at character 4 of the value, found '-- comment\n}'");
    expect_error(L, "{1, 2", "expected ',' or '}' after a field at character 6 of the value, found the end of it");
    lua_close(L);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Deep nesting stops at 64 levels; long flat input is linear, not slow. */
static void test_lua_literal_hostile_inputs(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    size_t n = 200000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '{', n);
    memset(deep + n, '}', n);
    deep[2 * n] = '\0';
    expect_error(L, deep, "tables nested deeper than 64 levels at character 65 of the value");
    /* exactly 64 levels is fine */
    char ok64[200];
    memset(ok64, '{', 64);
    memset(ok64 + 64, '}', 64);
    ok64[128] = '\0';
    char err[512];
    assert_int_equal(mtlua_push_literal(L, ok64, err, sizeof err), MT_OK);
    lua_pop(L, 1);
    free(deep);
    /* 100 000 numbers: parsed and checked in well under a second even under ASan */
    size_t cap = 100000 * 8 + 8;
    char *flat = malloc(cap);
    size_t w = 0;
    flat[w++] = '{';
    for (int i = 0; i < 100000; i++) w += (size_t)snprintf(flat + w, cap - w, "%d,", i);
    flat[w++] = '}';
    flat[w] = '\0';
    double t0 = now();
    assert_int_equal(mtlua_push_literal(L, flat, err, sizeof err), MT_OK);
    assert_true(now() - t0 < 5.0);
    assert_int_equal((int)luaL_len(L, -1), 100000);
    lua_geti(L, -1, 100000);
    assert_int_equal((int)lua_tointeger(L, -1), 99999);
    lua_pop(L, 2);
    free(flat);
    lua_close(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lua_literal_matches_lua),
        cmocka_unit_test(test_lua_literal_rejects_with_positions),
        cmocka_unit_test(test_lua_literal_hostile_inputs),
    };
    return cmocka_run_group_tests_name("lua literal", tests, NULL, NULL);
}
