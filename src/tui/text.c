#include "text.h"

#include <string.h>

int text_decode(const char *s, int n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n <= 0) {
        *cp = 0;
        return 0;
    }
    unsigned c = u[0];
    int len;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2;
        v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        v = c & 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (len > n) {
        *cp = 0xFFFD;
        return 1;
    }
    for (int i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (u[i] & 0x3F);
    }
    *cp = v;
    return len;
}

int text_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    } else if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static int bytes_of(const char *s, int nbytes) { return nbytes < 0 ? (int)strlen(s) : nbytes; }

int text_columns(const char *s, int nbytes)
{
    int n = bytes_of(s, nbytes), cols = 0;
    for (int i = 0; i < n;) {
        uint32_t cp;
        i += text_decode(s + i, n - i, &cp);
        cols++;
    }
    return cols;
}

int text_fit(const char *s, int nbytes, int cols)
{
    int n = bytes_of(s, nbytes), i = 0;
    for (int c = 0; i < n && c < cols; c++) {
        uint32_t cp;
        i += text_decode(s + i, n - i, &cp);
    }
    return i;
}

/* One paragraph [p, p + n) into lines. */
static int wrap_paragraph(const char *p, int n, int base, int width, text_span *out, int cap,
                          int nlines)
{
    if (n == 0) {
        if (nlines < cap) out[nlines] = (text_span){ base, 0 };
        return nlines + 1;
    }
    int i = 0;
    while (i < n) {
        while (i < n && p[i] == ' ' && nlines > 0 && i > 0) i++; /* spaces at a break */
        if (i >= n) break;
        int fit = text_fit(p + i, n - i, width);
        int end = i + fit;
        if (end < n && p[end] != ' ') {
            /* back up to the last space in the line, if there is one */
            int k = end;
            while (k > i && p[k - 1] != ' ') k--;
            if (k > i) end = k;
        }
        int len = end - i;
        while (len > 0 && p[i + len - 1] == ' ') len--;
        if (nlines < cap) out[nlines] = (text_span){ base + i, len };
        nlines++;
        i = end;
    }
    return nlines;
}

int text_wrap(const char *s, int width, text_span *out, int cap)
{
    if (!s || width < 1) return 0;
    int total = (int)strlen(s);
    if (total == 0) return 0;
    int nlines = 0;
    int start = 0;
    for (;;) {
        const char *nl = memchr(s + start, '\n', (size_t)(total - start));
        int end = nl ? (int)(nl - s) : total;
        nlines = wrap_paragraph(s + start, end - start, start, width, out, cap, nlines);
        if (!nl) break;
        start = end + 1;
        if (start >= total) break;
    }
    return nlines;
}

char *text_elide(char *out, size_t cap, const char *s, int cols)
{
    if (!cap) return out;
    out[0] = '\0';
    if (!s || cols <= 0) return out;
    int total = text_columns(s, -1);
    size_t n = 0;
    if (total <= cols || cols < 4) {
        int b = text_fit(s, -1, cols);
        n = (size_t)b < cap - 1 ? (size_t)b : cap - 1;
        memcpy(out, s, n);
        out[n] = '\0';
        return out;
    }
    int head = (cols - 1) / 2, tail = cols - 1 - head;
    size_t hb = (size_t)text_fit(s, -1, head), tb = (size_t)text_fit(s, -1, total - tail);
    size_t tl = strlen(s + tb);
    if (hb + 1 + tl >= cap) return out; /* cap too small: nothing rather than a cut sequence */
    memcpy(out, s, hb);
    out[hb] = '~';
    memcpy(out + hb + 1, s + tb, tl + 1);
    return out;
}
