#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mt_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 1 << 20;
    int d[64][64];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int s = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < s) s = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < s) s = d[i][j - 1] + 1;
            d[i][j] = s;
        }
    return d[la][lb];
}

const char *mt_closest(const char *word, const char *const *candidates, int max_distance)
{
    const char *best = NULL;
    int bd = max_distance + 1;
    for (const char *const *c = candidates; c && *c; c++) {
        int d = mt_edit_distance(word, *c);
        if (d < bd) {
            bd = d;
            best = *c;
        }
    }
    return best;
}

int mt_parse_int(const char *s, long long lo, long long hi, long long *out)
{
    const char *d = s + (*s == '-' || *s == '+');
    if (!*d) return -1;
    for (const char *p = d; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE || v < lo || v > hi) return -2;
    *out = v;
    return 0;
}

int mt_parse_size(const char *s, unsigned long long *out)
{
    if (!isdigit((unsigned char)*s) && *s != '.') return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !(v >= 0)) return errno == ERANGE ? -2 : -1;
    static const char units[] = "KMGT";
    double scale = 1;
    if (*end) {
        const char *u = strchr(units, toupper((unsigned char)*end));
        if (!u) return -1;
        for (const char *k = units; k <= u; k++) scale *= 1024;
        end++;
        if (*end == 'i' || *end == 'I') end++;
        if (*end == 'B' || *end == 'b') end++;
    }
    if (*end) return -1;
    double bytes = v * scale;
    if (bytes > 4611686018427387904.0) return -2; /* 2^62 */
    *out = (unsigned long long)bytes;
    return 0;
}

int mt_name_eq(const char *a, const char *b)
{
    if (!a || !b) return 0;
    for (;; a++, b++) {
        int x = *a == '-' ? '_' : tolower((unsigned char)*a), y = *b == '-' ? '_' : tolower((unsigned char)*b);
        if (x != y) return 0;
        if (!x) return 1;
    }
}
