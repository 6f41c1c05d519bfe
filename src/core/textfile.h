/* textfile.h - a whole file read into memory (run folders, summaries). */
#ifndef MT_TEXTFILE_H
#define MT_TEXTFILE_H

#include <stddef.h>
#include "core/status.h"

/* Reads path whole into *text (NUL-terminated; the caller frees it with
 * mt_free) and its length into *len (may be NULL). MT_ERR_IO naming the
 * path when it cannot be read. */
mt_status mt_read_text(const char *path, char **text, size_t *len);

#endif
