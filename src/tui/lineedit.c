#include "lineedit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "core/status.h"
#include "text.h"

void le_init(lineedit *e)
{
    memset(e, 0, sizeof *e);
    e->hpos = -1;
}

static void load_utf8(lineedit *e, const char *s)
{
    int n = (int)strlen(s);
    e->len = 0;
    for (int i = 0; i < n && e->len < LE_CAP;) {
        uint32_t cp;
        i += text_decode(s + i, n - i, &cp);
        e->buf[e->len++] = cp;
    }
    e->cur = e->len;
}

static void history_up(lineedit *e)
{
    if (e->nhist == 0) return;
    if (e->hpos == -1) {
        memcpy(e->saved, e->buf, (size_t)e->len * sizeof *e->buf);
        e->saved_len = e->len;
        e->hpos = e->nhist - 1;
    } else if (e->hpos > 0) {
        e->hpos--;
    } else {
        return;
    }
    load_utf8(e, e->hist[e->hpos]);
}

static void history_down(lineedit *e)
{
    if (e->hpos == -1) return;
    if (e->hpos < e->nhist - 1) {
        e->hpos++;
        load_utf8(e, e->hist[e->hpos]);
        return;
    }
    e->hpos = -1;
    memcpy(e->buf, e->saved, (size_t)e->saved_len * sizeof *e->buf);
    e->len = e->saved_len;
    e->cur = e->len;
}

le_result le_key(lineedit *e, le_op k, uint32_t ch)
{
    switch (k) {
    case LE_CHAR:
        if (ch < 0x20 || ch == 0x7f || e->len >= LE_CAP) return LE_NONE;
        memmove(e->buf + e->cur + 1, e->buf + e->cur, (size_t)(e->len - e->cur) * sizeof *e->buf);
        e->buf[e->cur++] = ch;
        e->len++;
        return LE_CHANGED;
    case LE_LEFT:
        if (e->cur == 0) return LE_NONE;
        e->cur--;
        return LE_CHANGED;
    case LE_RIGHT:
        if (e->cur == e->len) return LE_NONE;
        e->cur++;
        return LE_CHANGED;
    case LE_HOME:
        e->cur = 0;
        return LE_CHANGED;
    case LE_END:
        e->cur = e->len;
        return LE_CHANGED;
    case LE_BACKSPACE:
        if (e->cur == 0) return LE_NONE;
        memmove(e->buf + e->cur - 1, e->buf + e->cur, (size_t)(e->len - e->cur) * sizeof *e->buf);
        e->cur--;
        e->len--;
        return LE_CHANGED;
    case LE_DELETE:
        if (e->cur == e->len) return LE_NONE;
        memmove(e->buf + e->cur, e->buf + e->cur + 1,
                (size_t)(e->len - e->cur - 1) * sizeof *e->buf);
        e->len--;
        return LE_CHANGED;
    case LE_KILL:
        memmove(e->buf, e->buf + e->cur, (size_t)(e->len - e->cur) * sizeof *e->buf);
        e->len -= e->cur;
        e->cur = 0;
        return LE_CHANGED;
    case LE_KILL_END:
        if (e->cur == e->len) return LE_NONE;
        e->len = e->cur;
        return LE_CHANGED;
    case LE_KILL_WORD: {
        int start = e->cur;
        while (start > 0 && e->buf[start - 1] == ' ') start--;
        while (start > 0 && e->buf[start - 1] != ' ') start--;
        if (start == e->cur) return LE_NONE;
        memmove(e->buf + start, e->buf + e->cur, (size_t)(e->len - e->cur) * sizeof *e->buf);
        e->len -= e->cur - start;
        e->cur = start;
        return LE_CHANGED;
    }
    case LE_UP:
        history_up(e);
        return LE_CHANGED;
    case LE_DOWN:
        history_down(e);
        return LE_CHANGED;
    case LE_ENTER:
        return LE_SUBMIT;
    }
    return LE_NONE;
}


/* Appends a line to the history unless empty or the newest again. */
static void history_add(lineedit *e, const char *line)
{
    if (!line[0] || (e->nhist > 0 && strcmp(e->hist[e->nhist - 1], line) == 0)) return;
    if (e->nhist == LE_HIST) {
        memmove(e->hist[0], e->hist[1], (size_t)(LE_HIST - 1) * sizeof e->hist[0]);
        e->nhist--;
    }
    snprintf(e->hist[e->nhist++], sizeof e->hist[0], "%s", line);
}

int le_take(lineedit *e, char *out, size_t n)
{
    char line[LE_BYTES];
    le_text(e, line, sizeof line);
    int len = le_text(e, out, n);
    history_add(e, line);
    e->len = e->cur = 0;
    e->hpos = -1;
    return len;
}

/* Code points [0, upto) of the line as UTF-8. */
static int encode(const lineedit *e, int upto, char *out, size_t n)
{
    if (!out || n == 0) return 0;
    size_t k = 0;
    for (int i = 0; i < upto; i++) {
        char b[4];
        int l = text_encode(e->buf[i], b);
        if (k + (size_t)l + 1 > n) break;
        memcpy(out + k, b, (size_t)l);
        k += (size_t)l;
    }
    out[k] = '\0';
    return (int)k;
}

int le_text(const lineedit *e, char *out, size_t n) { return encode(e, e->len, out, n); }
int le_before_cursor(const lineedit *e, char *out, size_t n) { return encode(e, e->cur, out, n); }

int le_insert(lineedit *e, const char *utf8)
{
    int n = (int)strlen(utf8), added = 0;
    for (int i = 0; i < n;) {
        uint32_t cp;
        i += text_decode(utf8 + i, n - i, &cp);
        if (le_key(e, LE_CHAR, cp) != LE_CHANGED) break;
        added++;
    }
    return added;
}

mt_status le_history_load(lineedit *e, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? MT_OK : mt_fail(MT_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    char line[LE_BYTES + 2];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        history_add(e, line);
    }
    fclose(f);
    return MT_OK;
}

/* The folders of path, made as needed (the state folder may not exist). */
static int make_parents(const char *path)
{
    char d[4096];
    snprintf(d, sizeof d, "%s", path);
    for (char *p = d + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(d, 0700) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return 0;
}

mt_status le_history_save(const lineedit *e, const char *path)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (make_parents(path) != 0) return mt_fail(MT_ERR_IO, "%s: cannot create its folder: %s", path, strerror(errno));
    FILE *f = fopen(tmp, "w");
    if (!f) return mt_fail(MT_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
    int bad = 0;
    for (int i = 0; i < e->nhist; i++) bad |= fprintf(f, "%s\n", e->hist[i]) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return mt_fail(MT_ERR_IO, "%s: cannot write the console history: %s", path, strerror(errno));
    }
    return MT_OK;
}

int le_cursor(const lineedit *e) { return e->cur; }
