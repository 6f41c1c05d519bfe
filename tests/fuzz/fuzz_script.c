/* fuzz_script.c - the script path: each input is up to 8 lines, each a
 * --set override ("train.epochs=2", "topology.trunk={4,4}") given to the
 * override parser, then applied to tests/fuzz/script.lua and validated as
 * `mtlab check` does. Any outcome but a crash, a leak or undefined
 * behaviour is fine; an error must come with a message. */
#include "fuzz_util.h"

#include <string.h>
#include "core/status.h"
#include "lua/mtlua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SETS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char text[4097];
    memcpy(text, data, size);
    text[size] = '\0';
    if (strlen(text) != size) return 0; /* a NUL cannot come through argv */
    mtlua_override ov[MAX_SETS];
    int n = 0;
    for (char *line = text, *next; line && n < MAX_SETS; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (!*line) continue;
        if (mtlua_parse_override(line, &ov[n]) == MT_OK) n++;
        else if (!mt_last_error()[0]) abort();
    }
    mtlua_session *s;
    mt_clear_error();
    if (mtlua_open(MTLAB_ROOT "/tests/fuzz/script.lua", ov, n, &s) == MT_OK) {
        for (int i = 0; i < mtlua_count(s); i++)
            if (!mtlua_experiment(s, i)->ntasks) abort();
        mtlua_close(s);
    } else if (!mt_last_error()[0]) {
        abort();
    }
    return 0;
}
