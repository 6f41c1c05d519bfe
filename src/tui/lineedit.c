#include "lineedit.h"

#include <string.h>
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

int le_text(const lineedit *e, char *out, size_t n)
{
    if (!out || n == 0) return 0;
    size_t k = 0;
    for (int i = 0; i < e->len; i++) {
        char b[4];
        int l = text_encode(e->buf[i], b);
        if (k + (size_t)l + 1 > n) break;
        memcpy(out + k, b, (size_t)l);
        k += (size_t)l;
    }
    out[k] = '\0';
    return (int)k;
}

int le_take(lineedit *e, char *out, size_t n)
{
    char line[LE_BYTES];
    le_text(e, line, sizeof line);
    int len = le_text(e, out, n);
    if (line[0] && (e->nhist == 0 || strcmp(e->hist[e->nhist - 1], line) != 0)) {
        if (e->nhist == LE_HIST) {
            memmove(e->hist[0], e->hist[1], (size_t)(LE_HIST - 1) * sizeof e->hist[0]);
            e->nhist--;
        }
        memcpy(e->hist[e->nhist++], line, sizeof line);
    }
    e->len = e->cur = 0;
    e->hpos = -1;
    return len;
}

int le_cursor(const lineedit *e) { return e->cur; }
