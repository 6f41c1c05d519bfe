/* literal.c - a --set value written as a Lua table constructor, read as
 * data: numbers, quoted strings, true, false and nested tables, with the
 * syntax of Lua's constructors ({ 32, 16 }, { name = "adam", lr = 1e-3 },
 * { ["a b"] = 1 }). Nothing is evaluated, so `--set 'x={f()}'` is an error
 * with a position, not code that runs. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "lua_internal.h"

#define LIT_MAX_DEPTH 64

typedef struct {
    lua_State *L;
    const char *s;
    size_t pos;
    int depth;
} lit;

static const char *const reserved[] = {"and", "break", "do", "else", "elseif", "end", "false", "for",
                                       "function", "goto", "if", "in", "local", "nil", "not", "or",
                                       "repeat", "return", "then", "true", "until", "while", NULL};

/* Raises "<message> at character N of the value, found '...'" (found
 * omitted when what is NULL). */
static int lit_error(lit *p, size_t at, const char *msg, int show_found)
{
    if (!show_found) return luaL_error(p->L, "%s at character %d of the value", msg, (int)at + 1);
    if (!p->s[at]) return luaL_error(p->L, "%s at character %d of the value, found the end of it", msg, (int)at + 1);
    char near[16];
    size_t n = 0;
    while (p->s[at + n] && n < 12) {
        near[n] = p->s[at + n];
        n++;
    }
    near[n] = '\0';
    return luaL_error(p->L, "%s at character %d of the value, found '%s%s'", msg, (int)at + 1, near,
                      p->s[at + n] ? "..." : "");
}

static void skip_ws(lit *p)
{
    while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r')
        p->pos++;
}

static int is_name_start(int c) { return isalpha(c) || c == '_'; }
static int is_name_char(int c) { return isalnum(c) || c == '_'; }

static size_t name_len(const lit *p)
{
    size_t n = 0;
    if (!is_name_start((unsigned char)p->s[p->pos])) return 0;
    while (is_name_char((unsigned char)p->s[p->pos + n])) n++;
    return n;
}

static int is_reserved(const char *s, size_t n)
{
    for (const char *const *r = reserved; *r; r++)
        if (strlen(*r) == n && strncmp(*r, s, n) == 0) return 1;
    return 0;
}

/* A Lua numeral as llex.c reads it: digits, '.', exponents with a sign,
 * hex digits after 0x; letters glued to it make it malformed. */
static void parse_number(lit *p)
{
    size_t start = p->pos, i = p->pos;
    const char *expo = "Ee";
    if (p->s[i] == '0' && (p->s[i + 1] == 'x' || p->s[i + 1] == 'X')) {
        expo = "Pp";
        i += 2;
    }
    for (;;) {
        char c = p->s[i];
        if (c && strchr(expo, c)) {
            i++;
            if (p->s[i] == '+' || p->s[i] == '-') i++;
        } else if (isxdigit((unsigned char)c) || c == '.' || is_name_char((unsigned char)c)) {
            i++;
        } else {
            break;
        }
    }
    char tok[128];
    size_t n = i - start;
    if (n >= sizeof tok) lit_error(p, start, "a number too long", 0);
    memcpy(tok, p->s + start, n);
    tok[n] = '\0';
    if (lua_stringtonumber(p->L, tok) != n + 1)
        luaL_error(p->L, "malformed number '%s' at character %d of the value", tok, (int)start + 1);
    p->pos = i;
}

static int hexval(int c) { return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10; }

/* UTF-8 of x (up to 0x7FFFFFFF, as Lua's \u{...}) into buf; its length. */
static int utf8_encode(unsigned long x, char *buf)
{
    if (x < 0x80) {
        buf[0] = (char)x;
        return 1;
    }
    char tmp[8];
    int n = 0;
    unsigned long mfb = 0x3f;
    do {
        tmp[n++] = (char)(0x80 | (x & 0x3f));
        x >>= 6;
        mfb >>= 1;
    } while (x > mfb);
    tmp[n++] = (char)((~mfb << 1) | x);
    for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    return n;
}

/* A quoted string with Lua's escapes. */
static void parse_string(lit *p)
{
    char q = p->s[p->pos];
    size_t start = p->pos++;
    luaL_Buffer b;
    luaL_buffinit(p->L, &b);
    for (;;) {
        char c = p->s[p->pos];
        if (c == '\0' || c == '\n' || c == '\r') lit_error(p, start, "unfinished string starting", 0);
        p->pos++;
        if (c == q) break;
        if (c != '\\') {
            luaL_addchar(&b, c);
            continue;
        }
        size_t esc = p->pos - 1;
        char e = p->s[p->pos++];
        switch (e) {
        case 'a': luaL_addchar(&b, '\a'); break;
        case 'b': luaL_addchar(&b, '\b'); break;
        case 'f': luaL_addchar(&b, '\f'); break;
        case 'n': luaL_addchar(&b, '\n'); break;
        case 'r': luaL_addchar(&b, '\r'); break;
        case 't': luaL_addchar(&b, '\t'); break;
        case 'v': luaL_addchar(&b, '\v'); break;
        case '\\': case '"': case '\'': luaL_addchar(&b, e); break;
        case '\n': luaL_addchar(&b, '\n'); break;
        case 'z':
            while (isspace((unsigned char)p->s[p->pos])) p->pos++;
            break;
        case 'x': {
            int h1 = (unsigned char)p->s[p->pos], h2 = h1 ? (unsigned char)p->s[p->pos + 1] : 0;
            if (!isxdigit(h1) || !isxdigit(h2)) lit_error(p, esc, "\\x needs two hexadecimal digits", 0);
            luaL_addchar(&b, (char)(hexval(h1) * 16 + hexval(h2)));
            p->pos += 2;
            break;
        }
        case 'u': {
            if (p->s[p->pos] != '{') lit_error(p, esc, "\\u needs {hexadecimal digits}", 0);
            p->pos++;
            unsigned long x = 0;
            int nd = 0;
            while (isxdigit((unsigned char)p->s[p->pos])) {
                x = x * 16 + (unsigned long)hexval((unsigned char)p->s[p->pos++]);
                nd++;
                if (x > 0x7FFFFFFFUL) lit_error(p, esc, "\\u{...} beyond 7FFFFFFF", 0);
            }
            if (!nd || p->s[p->pos] != '}') lit_error(p, esc, "\\u needs {hexadecimal digits}", 0);
            p->pos++;
            char u[8];
            luaL_addlstring(&b, u, (size_t)utf8_encode(x, u));
            break;
        }
        default:
            if (isdigit((unsigned char)e)) {
                int v = e - '0';
                for (int k = 0; k < 2 && isdigit((unsigned char)p->s[p->pos]); k++) v = v * 10 + (p->s[p->pos++] - '0');
                if (v > 255) lit_error(p, esc, "decimal escape too large", 0);
                luaL_addchar(&b, (char)v);
            } else {
                lit_error(p, esc, "invalid escape sequence", 1);
            }
        }
    }
    luaL_pushresult(&b);
}

static void parse_value(lit *p);

/* { field, ... } with fields `value`, `name = value`, `[key] = value`. */
static void parse_table(lit *p)
{
    size_t open = p->pos++;
    if (++p->depth > LIT_MAX_DEPTH) lit_error(p, open, "tables nested deeper than 64 levels", 0);
    luaL_checkstack(p->L, 4, "nested tables");
    lua_newtable(p->L);
    int t = lua_gettop(p->L);
    lua_Integer n = 0;
    for (;;) {
        skip_ws(p);
        if (p->s[p->pos] == '}') break;
        size_t at = p->pos, nl = name_len(p);
        size_t after = p->pos + nl;
        while (p->s[after] == ' ' || p->s[after] == '\t') after++;
        if (p->s[p->pos] == '[' && p->s[p->pos + 1] != '[' && p->s[p->pos + 1] != '=') {
            p->pos++;
            skip_ws(p);
            size_t kat = p->pos;
            parse_value(p);
            if (lua_type(p->L, -1) != LUA_TSTRING && lua_type(p->L, -1) != LUA_TNUMBER)
                lit_error(p, kat, "a key in [ ] must be a string or a number", 0);
            skip_ws(p);
            if (p->s[p->pos] != ']') lit_error(p, p->pos, "expected ']'", 1);
            p->pos++;
            skip_ws(p);
            if (p->s[p->pos] != '=') lit_error(p, p->pos, "expected '=' after [key]", 1);
            p->pos++;
        } else if (nl && p->s[after] == '=' && p->s[after + 1] != '=') {
            if (is_reserved(p->s + p->pos, nl)) lit_error(p, at, "a reserved word cannot be a key; write [\"word\"] =", 1);
            lua_pushlstring(p->L, p->s + p->pos, nl);
            p->pos = after + 1;
        } else {
            lua_pushinteger(p->L, ++n);
        }
        lua_pushvalue(p->L, -1);
        if (lua_rawget(p->L, t) != LUA_TNIL) {
            lua_pop(p->L, 1);
            lit_error(p, at, lua_type(p->L, -1) == LUA_TNUMBER ? "a key given twice (a position and [n] = ...)"
                                                               : "a key given twice",
                      0);
        }
        lua_pop(p->L, 1);
        skip_ws(p);
        parse_value(p);
        lua_rawset(p->L, t);
        skip_ws(p);
        if (p->s[p->pos] == ',' || p->s[p->pos] == ';') {
            p->pos++;
            continue;
        }
        if (p->s[p->pos] != '}') lit_error(p, p->pos, "expected ',' or '}' after a field", 1);
        break;
    }
    p->pos++;
    p->depth--;
}

static void parse_value(lit *p)
{
    skip_ws(p);
    const char *s = p->s + p->pos;
    size_t nl = name_len(p);
    if (*s == '{') {
        parse_table(p);
    } else if (*s == '"' || *s == '\'') {
        parse_string(p);
    } else if (isdigit((unsigned char)*s) || (*s == '.' && isdigit((unsigned char)s[1]))) {
        parse_number(p);
    } else if (*s == '-' && s[1] != '-') {
        size_t at = p->pos++;
        skip_ws(p);
        const char *d = p->s + p->pos;
        if (!isdigit((unsigned char)*d) && !(*d == '.' && isdigit((unsigned char)d[1])))
            lit_error(p, at, "expected a number after '-'", 0);
        parse_number(p);
        lua_arith(p->L, LUA_OPUNM);
    } else if (nl == 4 && strncmp(s, "true", 4) == 0) {
        lua_pushboolean(p->L, 1);
        p->pos += 4;
    } else if (nl == 5 && strncmp(s, "false", 5) == 0) {
        lua_pushboolean(p->L, 0);
        p->pos += 5;
    } else if (nl == 3 && strncmp(s, "nil", 3) == 0) {
        lit_error(p, p->pos, "nil is not a value in a data table (leave the field out)", 0);
    } else if (nl) {
        lua_pushfstring(p->L, "a --set table holds data, not code: expected a number, a quoted string, true, false or "
                              "a table (for a string, write \"%s\")",
                        lua_pushlstring(p->L, s, nl));
        lit_error(p, p->pos, lua_tostring(p->L, -1), 1);
    } else if (*s == '[') {
        lit_error(p, p->pos, "long strings [[...]] are not read in --set; use quotes", 0);
    } else {
        lit_error(p, p->pos,
                  "a --set table holds data, not code: expected a number, a quoted string, true, false or a table", 1);
    }
}

static int literal_entry(lua_State *L)
{
    lit *p = lua_touserdata(L, 1);
    lua_settop(L, 0);
    p->L = L;
    parse_value(p);
    skip_ws(p);
    if (p->s[p->pos]) lit_error(p, p->pos, "unexpected text after the value", 1);
    return 1;
}

mt_status mtlua_push_literal(lua_State *L, const char *text, char *err, size_t errn)
{
    lit p = {.s = text};
    lua_pushcfunction(L, literal_entry);
    lua_pushlightuserdata(L, &p);
    int rc = lua_pcall(L, 1, 1, 0);
    if (rc == LUA_OK) return MT_OK;
    if (rc == LUA_ERRMEM) mtlua_memory_message(L, err, errn);
    else snprintf(err, errn, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return MT_ERR_ARG;
}
