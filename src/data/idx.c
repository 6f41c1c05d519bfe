/* idx.c - reading unsigned-byte IDX files through zlib. */
#include "idx.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>

#include "core/mem.h"

void idx_free(mt_idx *ix)
{
    if (!ix) return;
    mt_free(ix->data);
    memset(ix, 0, sizeof *ix);
}

/* What the file says about its decompressed length without decompressing
 * it: the gzip trailer's ISIZE (length mod 2^32) or the plain file's size.
 * Only a hint: a multi-member gzip or a damaged trailer can disagree with
 * the real stream, in which case the caller measures the stream. */
typedef struct {
    int is_gz;
    unsigned long long len; /* ISIZE for gzip, bytes for a plain file */
    int known;
    long long file_size; /* on disk; -1 if unknown */
} len_hint;

static mt_status probe(const char *path, len_hint *h)
{
    memset(h, 0, sizeof *h);
    FILE *fp = fopen(path, "rb");
    if (!fp) return mt_fail(MT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char b[4];
    size_t n = fread(b, 1, 2, fp);
    off_t size = -1;
    if (fseeko(fp, 0, SEEK_END) == 0) size = ftello(fp);
    h->file_size = (long long)size;
    if (size >= 0) {
        h->is_gz = n == 2 && b[0] == 0x1f && b[1] == 0x8b;
        if (!h->is_gz) {
            h->len = (unsigned long long)size;
            h->known = 1;
        } else if (size >= 18 && fseeko(fp, size - 4, SEEK_SET) == 0 && fread(b, 1, 4, fp) == 4) {
            h->len = (unsigned long long)b[0] | (unsigned long long)b[1] << 8 |
                     (unsigned long long)b[2] << 16 | (unsigned long long)b[3] << 24;
            h->known = 1;
        }
    }
    fclose(fp);
    return MT_OK;
}

/* Reads up to n bytes; *got says how many arrived. A stream that simply
 * ends (a short plain file or a cut gzip) is a short read, not an error:
 * the caller turns it into a "truncated" message with the byte count.
 * Damaged compressed data is an error naming zlib's diagnosis. */
static mt_status read_some(gzFile f, const char *path, void *buf, size_t n, size_t *got)
{
    unsigned char *p = buf;
    *got = 0;
    while (*got < n) {
        size_t want = n - *got;
        if (want > (1u << 30)) want = 1u << 30;
        int r = gzread(f, p + *got, (unsigned)want);
        if (r <= 0) break;
        *got += (size_t)r;
    }
    int zerr = Z_OK;
    const char *msg = gzerror(f, &zerr);
    if (zerr == Z_ERRNO) return mt_fail(MT_ERR_IO, "%s: read failed: %s", path, strerror(errno));
    if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
        /* zlib's message starts with the path itself: say it once */
        size_t pl = strlen(path);
        if (msg && strncmp(msg, path, pl) == 0 && strncmp(msg + pl, ": ", 2) == 0) msg += pl + 2;
        return mt_fail(MT_ERR_FORMAT, "%s: corrupt gzip data: %s", path, msg ? msg : "?");
    }
    return MT_OK;
}

/* Reads up to n bytes into a buffer that grows with the data that really
 * arrives (doubling from 1 MiB), so a compressed header that claims a
 * terabyte costs memory only for what the stream holds. *buf is owned by
 * the caller, also on error. */
static mt_status read_growing(gzFile f, const char *path, size_t n, unsigned char **buf, size_t *got)
{
    size_t cap = n < (1u << 20) ? n : (1u << 20);
    *got = 0;
    *buf = mt_alloc(cap ? cap : 1);
    if (!*buf) return MT_ERR_NOMEM;
    while (*got < n) {
        if (*got == cap) {
            size_t nc = cap > n / 2 ? n : cap * 2;
            unsigned char *nb = mt_realloc(*buf, nc);
            if (!nb) return mt_fail(MT_ERR_NOMEM, "%s: out of memory after %zu bytes", path, *got);
            *buf = nb;
            cap = nc;
        }
        size_t r;
        mt_status s = read_some(f, path, *buf + *got, cap - *got, &r);
        if (s) return s;
        *got += r;
        if (r < cap - (*got - r)) break; /* the stream ended */
    }
    return MT_OK;
}

/* "60000 images of 28x28" / "60000 labels" */
static void describe(char *out, size_t cap, const mt_idx *ix, const char *noun)
{
    int k = snprintf(out, cap, "%d %s", ix->dims[0], noun);
    for (int i = 1; i < ix->ndims && k > 0 && (size_t)k < cap; i++)
        k += snprintf(out + k, cap - (size_t)k, "%s%d", i == 1 ? " of " : "x", ix->dims[i]);
}

static mt_status length_error(const char *path, const mt_idx *ix, const char *noun,
                              unsigned long long want, unsigned long long have)
{
    char what[96];
    describe(what, sizeof what, ix, noun);
    if (have < want)
        return mt_fail(MT_ERR_FORMAT,
                       "%s: truncated: header says %s (%llu bytes) but only %llu bytes follow",
                       path, what, want, have);
    return mt_fail(MT_ERR_FORMAT, "%s: header says %s (%llu bytes) but %llu bytes follow", path,
                   what, want, have);
}

static mt_status read_body(gzFile f, const char *path, int ndims, int keep, const char *noun,
                           const len_hint *hint, mt_idx *ix)
{
    unsigned char head[4 + 4 * IDX_MAX_DIMS];
    size_t hlen = 4 + 4 * (size_t)ndims, got;
    mt_status s = read_some(f, path, head, 4, &got);
    if (s) return s;
    if (got < 4)
        return mt_fail(MT_ERR_FORMAT, "%s: truncated: %zu bytes, too short for an IDX header", path,
                       got);
    unsigned magic =
        (unsigned)head[0] << 24 | (unsigned)head[1] << 16 | (unsigned)head[2] << 8 | head[3];
    unsigned want_magic = 0x0800u | (unsigned)ndims;
    if (magic != want_magic)
        return mt_fail(
            MT_ERR_FORMAT,
            "%s: bad magic 0x%08x: expected 0x%08x (IDX of unsigned bytes, %d dimension%s)", path,
            magic, want_magic, ndims, ndims == 1 ? "" : "s");
    s = read_some(f, path, head + 4, hlen - 4, &got);
    if (s) return s;
    if (got < hlen - 4)
        return mt_fail(
            MT_ERR_FORMAT,
            "%s: truncated: the header needs %zu bytes of dimensions but only %zu follow", path,
            hlen - 4, got);
    ix->ndims = ndims;
    unsigned long long item = 1;
    for (int i = 0; i < ndims; i++) {
        const unsigned char *q = head + 4 + 4 * i;
        unsigned long v =
            (unsigned long)q[0] << 24 | (unsigned long)q[1] << 16 | (unsigned long)q[2] << 8 | q[3];
        if (v == 0 || v > INT_MAX)
            return mt_fail(MT_ERR_FORMAT, "%s: dimension %d is %lu (must be 1..%d)", path, i, v,
                           INT_MAX);
        ix->dims[i] = (int)v;
        if (i > 0) item *= v;
    }
    /* 2^40 bytes per file is far beyond any IDX data set; the bound keeps the
     * products below from overflowing. */
    if (item > (1ULL << 32) || item * (unsigned long long)ix->dims[0] > (1ULL << 40))
        return mt_fail(MT_ERR_FORMAT, "%s: implausible dimensions (%llu bytes per item)", path,
                       item);
    ix->item_bytes = (size_t)item;
    unsigned long long payload = item * (unsigned long long)ix->dims[0];
    unsigned long long total = payload + hlen;
    int hint_ok =
        hint->known && (hint->is_gz ? (total & 0xffffffffULL) == hint->len : total == hint->len);

    int k = keep < 0 || keep > ix->dims[0] ? ix->dims[0] : keep;
    size_t need = (size_t)k * ix->item_bytes;
    /* A plain file's size is exact: a header that claims more than the
     * file holds is refused before anything is allocated. */
    if (hint->known && !hint->is_gz && !hint_ok)
        return length_error(path, ix, noun, payload, hint->len > hlen ? hint->len - hlen : 0);
    if (hint->known && !hint->is_gz) {
        ix->data = mt_alloc(need ? need : 1);
        if (!ix->data) return MT_ERR_NOMEM;
        s = read_some(f, path, ix->data, need, &got);
    } else {
        s = read_growing(f, path, need, &ix->data, &got);
    }
    if (s) return s;
    if (got < need) return length_error(path, ix, noun, payload, got);
    if (!hint_ok || k == ix->dims[0]) {
        /* Measure the rest: either the hint disagreed with the header, or
         * every item is kept and reading to the end checks the CRC. */
        unsigned char scratch[1 << 14];
        unsigned long long rest = 0;
        size_t r;
        do {
            s = read_some(f, path, scratch, sizeof scratch, &r);
            if (s) return s;
            rest += r;
        } while (r == sizeof scratch);
        if (need + rest != payload) return length_error(path, ix, noun, payload, need + rest);
    }
    ix->kept = k;
    return MT_OK;
}

mt_status idx_read_u8(const char *path, int ndims, int keep, const char *noun, mt_idx *out)
{
    memset(out, 0, sizeof *out);
    if (ndims < 1 || ndims > IDX_MAX_DIMS)
        return mt_fail(MT_ERR_ARG, "%s: IDX with %d dimensions is not supported", path, ndims);
    len_hint hint;
    mt_status s = probe(path, &hint);
    if (s) return s;
    gzFile f = gzopen(path, "rb");
    if (!f) return mt_fail(MT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    /* large buffers for the 30 MB data sets, small ones for small files */
    gzbuffer(f, hint.file_size >= 0 && hint.file_size < (1 << 16) ? 1u << 13 : 1u << 18);
    s = read_body(f, path, ndims, keep, noun ? noun : "items", &hint, out);
    gzclose(f);
    if (s) idx_free(out);
    return s;
}
