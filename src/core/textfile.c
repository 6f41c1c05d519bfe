#include "textfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"

mt_status mt_read_text(const char *path, char **text, size_t *len)
{
    *text = NULL;
    if (len) *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return mt_fail(MT_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    size_t cap = 1 << 14, n = 0;
    char *buf = mt_alloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = mt_realloc(buf, cap * 2);
            if (!nb) {
                mt_free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - 1 - n, fp);
        n += r;
        if (r == 0) break;
    }
    int err = ferror(fp);
    fclose(fp);
    if (!buf) return mt_fail(MT_ERR_NOMEM, "%s: out of memory", path);
    if (err) {
        mt_free(buf);
        return mt_fail(MT_ERR_IO, "%s: read failed", path);
    }
    buf[n] = '\0';
    *text = buf;
    if (len) *len = n;
    return MT_OK;
}
