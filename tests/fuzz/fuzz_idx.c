/* fuzz_idx.c - the IDX reader (plain and gzip) on any bytes: each input is
 * read as images (3 dimensions) and as labels (1 dimension), all items and
 * the first few, as fashion_load reads them. Success must hand out exactly
 * the bytes the header promises; failure must leave nothing behind. */
#include "fuzz_util.h"

#include <string.h>
#include "core/status.h"
#include "data/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    fuzz_file(data, size, path, sizeof path);
    static const struct {
        int ndims, keep;
    } ways[] = {{3, -1}, {3, 2}, {1, -1}, {1, 5}};
    for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++) {
        mt_idx ix;
        mt_status st = idx_read_u8(path, ways[w].ndims, ways[w].keep, "items", &ix);
        if (st == MT_OK) {
            if (ix.ndims != ways[w].ndims || ix.kept < 0 || ix.kept > ix.dims[0]) abort();
            /* touch every byte handed out: ASan checks the bounds */
            unsigned sum = 0;
            for (size_t i = 0; i < (size_t)ix.kept * ix.item_bytes; i++) sum += ix.data[i];
            (void)sum;
        } else {
            if (ix.data || !mt_last_error()[0]) abort();
            if (strncmp(mt_last_error(), path, strlen(path)) != 0) abort(); /* errors name the file */
        }
        idx_free(&ix);
    }
    return 0;
}
