#include "strutil.h"

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
