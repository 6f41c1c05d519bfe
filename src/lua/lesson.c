/* lesson.c - a lesson file (mtlua.h) read into a mtlua_lesson: run in the
 * scripts' sandbox, its table checked field by field with the same
 * readers and messages as an experiment's. */
#include <lauxlib.h>
#include <libgen.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lua_internal.h"

static const char *const panes[] = {"loss", "matrix", "weights", "topology", "notes", "console", NULL};

/* Text as written in a [[long string]], for the notes pane to wrap: a
 * line break inside a paragraph becomes a space; a blank line (a new
 * paragraph) and a line that starts indented (a formula) stay. */
static void reflow(char *t)
{
    size_t w = 0, len = strlen(t);
    size_t r = 0;
    while (r < len && t[r] == '\n') r++; /* [[ followed by a newline */
    for (; r < len; r++) {
        char ch = t[r];
        if (ch == '\n' && r + 1 < len && t[r + 1] != '\n' && t[r + 1] != ' ' && w > 0 && t[w - 1] != '\n') ch = ' ';
        t[w++] = ch;
    }
    while (w > 0 && (t[w - 1] == '\n' || t[w - 1] == ' ')) w--;
    t[w] = '\0';
}

static mt_status read_text(mtlua_vctx *c, int tidx, const char *key, int required, char *out, size_t n)
{
    mt_status st = vstring(c, tidx, key, required ? NULL : "", NULL, out, n);
    if (st) return st;
    reflow(out);
    return MT_OK;
}

static mt_status parse_step(mtlua_vctx *c, int tidx, mtlua_lesson_step *p)
{
    lua_State *L = c->L;
    static const char *const keys[] = {"say", "run_to", "run_to_epoch", "pause", "focus", "enlarge", "matrix",
                                       "weighting", "speed", "experiment", "ask", "answer", NULL};
    char d[96];
    if (!lua_istable(L, tidx))
        return vfail(c, NULL, "expected a step like { say = \"...\", run_to = 500 }, got %s", vdescribe(L, tidx, d, sizeof d));
    TRY(vcheck_keys(c, tidx, keys));
    TRY(read_text(c, tidx, "say", 1, p->say, sizeof p->say));
    lua_getfield(L, tidx, "run_to");
    int end = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "end") == 0;
    lua_pop(L, 1);
    long l;
    if (end) p->run_to = -1;
    else {
        TRY(vint(c, tidx, "run_to", 0, 1, 1000000000L, &l));
        p->run_to = l;
    }
    TRY(vint(c, tidx, "run_to_epoch", 0, 1, 1000000, &l));
    p->run_to_epoch = l;
    if (p->run_to && p->run_to_epoch) return vfail(c, "run_to_epoch", "give run_to or run_to_epoch, not both");
    int b;
    TRY(vbool(c, tidx, "pause", 0, &b));
    p->pause = b;
    TRY(vstring(c, tidx, "focus", "", panes, p->focus, sizeof p->focus));
    char en[16];
    TRY(vstring(c, tidx, "enlarge", "", panes, en, sizeof en));
    if (en[0]) {
        if (p->focus[0] && strcmp(p->focus, en) != 0)
            return vfail(c, "enlarge", "enlarges the focused pane: \"%s\" is not focus \"%s\"", en, p->focus);
        snprintf(p->focus, sizeof p->focus, "%s", en);
        p->enlarge = 1;
    }
    TRY(read_text(c, tidx, "matrix", 0, p->matrix, sizeof p->matrix));
    TRY(read_text(c, tidx, "weighting", 0, p->weighting, sizeof p->weighting));
    double v;
    TRY(vnumber(c, tidx, "speed", -1, 0, 1e9, &v));
    p->speed = v;
    TRY(vint(c, tidx, "experiment", 0, 1, 32, &l));
    p->experiment = (int)l;
    TRY(read_text(c, tidx, "ask", 0, p->ask, sizeof p->ask));
    TRY(read_text(c, tidx, "answer", 0, p->answer, sizeof p->answer));
    if (p->ask[0] && !p->answer[0]) return vfail(c, "answer", "a question (ask) needs its answer");
    if (p->answer[0] && !p->ask[0]) return vfail(c, "ask", "an answer needs its question (ask)");
    return MT_OK;
}

/* Runs the file (protected) and reads the table it returns. */
static mt_status parse(lua_State *L, mtlua_lesson *out)
{
    const char *path = out->path;
    if (luaL_loadfilex(L, path, "t") != LUA_OK)
        return mt_fail(MT_ERR_SCRIPT, "%s", lua_tostring(L, -1));
    mt_status st = mtlua_pcall(L, 0, 1, NULL);
    if (st) return st;
    int r = lua_gettop(L);
    char d[96];
    if (!lua_istable(L, r))
        return mt_fail(MT_ERR_SCRIPT, "%s: the lesson returned %s; expected a table { title = ..., script = ..., steps = { ... } }",
                       path, vdescribe(L, r, d, sizeof d));
    mtlua_vctx c = {.L = L, .script = path};
    static const char *const keys[] = {"title", "section", "summary", "script", "steps", NULL};
    snprintf(c.path, sizeof c.path, "lesson");
    TRY(vcheck_keys(&c, r, keys));
    TRY(read_text(&c, r, "title", 1, out->title, sizeof out->title));
    TRY(read_text(&c, r, "section", 1, out->section, sizeof out->section));
    TRY(read_text(&c, r, "summary", 0, out->summary, sizeof out->summary));
    char script[512];
    TRY(read_text(&c, r, "script", 1, script, sizeof script));
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    snprintf(out->script, sizeof out->script, "%s/%s", script[0] == '/' ? "" : dirname(dir), script);
    if (script[0] == '/') snprintf(out->script, sizeof out->script, "%s", script);
    if (access(out->script, R_OK) != 0) return vfail(&c, "script", "cannot read %s", out->script);
    lua_getfield(L, r, "steps");
    int sidx = lua_gettop(L);
    if (!lua_istable(L, sidx)) return vfail(&c, "steps", "expected a list of steps, got %s", vdescribe(L, sidx, d, sizeof d));
    lua_Integer n = luaL_len(L, sidx);
    if (n < 1 || n > MTLUA_LESSON_MAX_STEPS)
        return vfail(&c, "steps", "%lld steps (1..%d supported)", (long long)n, MTLUA_LESSON_MAX_STEPS);
    out->nsteps = (int)n;
    for (int i = 1; i <= n; i++) {
        lua_geti(L, sidx, i);
        snprintf(c.path, sizeof c.path, "steps[%d]", i);
        st = parse_step(&c, lua_gettop(L), &out->step[i - 1]);
        lua_pop(L, 1);
        if (st) return st;
    }
    return MT_OK;
}

typedef struct {
    mtlua_lesson *out;
    mt_status st;
} lesson_call;

static int protected_parse(lua_State *L)
{
    lesson_call *c = lua_touserdata(L, 1);
    lua_settop(L, 0);
    c->st = parse(L, c->out);
    return 0;
}

mt_status mtlua_lesson_load(const char *path, mtlua_lesson *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", path);
    if (access(path, R_OK) != 0) return mt_fail(MT_ERR_ARG, "%s: cannot read the lesson", path);
    char err[512];
    lua_State *L = mtlua_state_new(path, err, sizeof err);
    if (!L) return mt_fail(MT_ERR_STATE, "%s", err);
    /* the readers raise nothing, but a table's metamethod may: one
     * protected call around it all */
    lesson_call call = {out, MT_OK};
    lua_pushcfunction(L, protected_parse);
    lua_pushlightuserdata(L, &call);
    mtlua_enter();
    int rc = lua_pcall(L, 1, 0, 0);
    mtlua_leave();
    mt_status st = call.st;
    if (rc != LUA_OK) {
        char mem[256];
        st = mt_fail(MT_ERR_SCRIPT, "%s: %s", path,
                     rc == LUA_ERRMEM ? mtlua_memory_message(L, mem, sizeof mem) : lua_tostring(L, -1));
    }
    mtlua_state_close(L);
    return st;
}
