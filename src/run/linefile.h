/* linefile.h - an append-only file written in whole lines.
 *
 * Lines are kept in memory and written with as few write(2) calls as the
 * kernel allows, only ever up to the end of a line, so a reader (or a
 * kill -9 between writes) never sees half a record. One case is beyond
 * any writer: Linux checks for a fatal signal between the pages of a
 * write(2) to a regular file, so a SIGKILL that lands inside a write of
 * several pages ends it at a page boundary and the file's last line is
 * torn; the readers (run/runread.c) skip a last line without its
 * newline. Every line before it is whole. When a write fails
 * (a full disk, a file-size limit) the file is cut back to its last whole
 * line and the error is returned as an errno value; the caller decides
 * whether to go on. metrics.csv, events.jsonl and relations.jsonl are
 * linefiles (run/rundir.c). */
#ifndef MT_LINEFILE_H
#define MT_LINEFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Buffered bytes that make append write at once, whatever the caller's
 * schedule. */
#define LINEFILE_BUF_MAX (1u << 20)

typedef struct {
    int fd;     /* -1 when not open */
    char *buf;  /* (cap) whole lines not yet written; owned */
    size_t len, cap;
    off_t good; /* bytes on disk, ending with a whole line */
} mt_linefile;

/* Creates or truncates path. 0, or the errno of open(2). */
int linefile_open(mt_linefile *f, const char *path);
/* Appends text (n bytes, no newline) and a newline as one line; writes
 * when LINEFILE_BUF_MAX is reached. 0, or an errno (ENOMEM, a write's). */
int linefile_append(mt_linefile *f, const char *text, size_t n);
/* Writes every buffered line. 0, or the errno of the failed write (the
 * file then ends at its last whole line; the buffer is dropped). */
int linefile_write(mt_linefile *f);
/* Forgets the buffered lines without writing them. */
void linefile_drop(mt_linefile *f);
/* Writes what is buffered, fsyncs (when sync) and closes; frees the
 * buffer. 0, or the first errno. Safe on a file that is not open. */
int linefile_close(mt_linefile *f, int sync);

#endif
