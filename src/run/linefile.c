/* linefile.c - whole lines to an append-only file. */
#include "linefile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "core/mem.h"

int linefile_open(mt_linefile *f, const char *path)
{
    memset(f, 0, sizeof *f);
    f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    return f->fd < 0 ? errno : 0;
}

int linefile_write(mt_linefile *f)
{
    if (f->fd < 0 || !f->len) {
        f->len = 0;
        return 0;
    }
    size_t done = 0;
    while (done < f->len) {
        ssize_t r = write(f->fd, f->buf + done, f->len - done);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;
            /* a half-written line goes; what was whole stays */
            if (done && ftruncate(f->fd, f->good) == 0) lseek(f->fd, f->good, SEEK_SET);
            f->len = 0;
            return e;
        }
        done += (size_t)r;
    }
    f->good += (off_t)f->len;
    f->len = 0;
    return 0;
}

int linefile_append(mt_linefile *f, const char *text, size_t n)
{
    if (mt_grow((void **)&f->buf, &f->cap, f->len + n + 1, 1)) return ENOMEM;
    memcpy(f->buf + f->len, text, n);
    f->buf[f->len + n] = '\n';
    f->len += n + 1;
    return f->len >= LINEFILE_BUF_MAX ? linefile_write(f) : 0;
}

void linefile_drop(mt_linefile *f) { f->len = 0; }

int linefile_close(mt_linefile *f, int sync)
{
    int e = linefile_write(f);
    if (f->fd >= 0) {
        /* EINVAL: a file that cannot be synced (a pipe, /dev/null) */
        if (!e && sync && fsync(f->fd) != 0 && errno != EINVAL) e = errno;
        if (close(f->fd) != 0 && !e) e = errno;
    }
    mt_free(f->buf);
    f->buf = NULL;
    f->len = f->cap = 0;
    f->fd = -1;
    return e;
}
