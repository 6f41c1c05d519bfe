/* roles.c - the colours the screen and the SVG export share. */
#include "roles.h"

#include <stdio.h>

const short roles_heat256[2][TUI_HEAT_LEVELS] = {
    /* diverging: blue (low) .. grey .. red (high) */
    {19, 25, 67, 110, 250, 217, 210, 167, 124},
    /* sequential: dark purple .. teal .. yellow (viridis-like) */
    {53, 54, 60, 24, 30, 36, 71, 149, 226},
};

void roles_xterm_hex(int c, char out[8])
{
    int r, g, b;
    if (c >= 232) { /* the grey ramp */
        r = g = b = 8 + 10 * (c - 232);
    } else if (c >= 16) { /* the 6x6x6 cube */
        static const int level[6] = {0, 95, 135, 175, 215, 255};
        c -= 16;
        r = level[c / 36];
        g = level[(c / 6) % 6];
        b = level[c % 6];
    } else {
        r = g = b = c == 15 ? 255 : c == 0 ? 0 : 128;
    }
    snprintf(out, 8, "#%02x%02x%02x", r, g, b);
}
