/* idx.h - IDX files (the MNIST family's format), gzip-compressed or plain.
 *
 * An IDX file is a 4-byte magic (0, 0, type, ndims), ndims big-endian
 * 32-bit dimensions, then the items, row-major. Only type 0x08 (unsigned
 * bytes) is read here, the type of every MNIST-like file.
 *
 * The reader validates the magic, the dimensions and the payload length
 * against the header before handing anything out, and reads only the items
 * asked for: the decompressed length comes from the gzip trailer (ISIZE),
 * or from the file size for a plain file; when that hint disagrees with the
 * header the whole stream is decompressed to measure the real length, so
 * the error says exactly how many bytes follow the header. When every item
 * is kept the stream is read to its end, so the gzip CRC is checked too. */
#ifndef MT_IDX_H
#define MT_IDX_H

#include <stddef.h>
#include "core/status.h"

#define IDX_MAX_DIMS 3

typedef struct {
    int ndims;              /* 1..IDX_MAX_DIMS */
    int dims[IDX_MAX_DIMS]; /* dims[0] = items in the file */
    int kept;               /* items read into data (<= dims[0]) */
    size_t item_bytes;      /* product of dims[1..ndims-1] (1 for ndims = 1) */
    unsigned char *data;    /* (kept, item_bytes) owned; free with idx_free */
} mt_idx;

/* Reads the unsigned-byte IDX file `path` (gzip or plain, detected from
 * its first bytes), which must have `ndims` dimensions, keeping the first
 * `keep` items (keep < 0 or > dims[0]: all of them). `noun` names the items
 * in messages ("images", "labels"). Errors (MT_ERR_IO, MT_ERR_FORMAT) start
 * with the path and say what is wrong, e.g. "PATH: truncated: header says
 * 60000 images of 28x28 (47040000 bytes) but only 1000 bytes follow". On
 * error *out is left empty. */
mt_status idx_read_u8(const char *path, int ndims, int keep, const char *noun, mt_idx *out);
void idx_free(mt_idx *ix);

#endif
