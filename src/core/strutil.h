/* strutil.h - small string helpers shared by the layers above. */
#ifndef MT_STRUTIL_H
#define MT_STRUTIL_H

#include <stddef.h>

/* Levenshtein distance of a and b (strings up to 63 characters; longer
 * ones count as far apart). For "did you mean ...?" suggestions. */
int mt_edit_distance(const char *a, const char *b);

/* The candidate closest to `word` within `max_distance` edits, or NULL.
 * candidates is NULL-terminated. */
const char *mt_closest(const char *word, const char *const *candidates, int max_distance);

/* Whether two registry names are the same name: case-insensitive (ASCII),
 * with '-' the same as '_' ("Nash-MTL" is "nash_mtl"). */
int mt_name_eq(const char *a, const char *b);

/* A whole decimal integer (optional sign, digits, nothing else) in
 * [lo, hi]: 0 and *out set; -1 when s is not an integer; -2 when it is one
 * outside the range (including beyond 64 bits). */
int mt_parse_int(const char *s, long long lo, long long hi, long long *out);

/* A size: a number (decimals allowed) with an optional unit K, M, G or T
 * (powers of 1024; "KiB", "MB" and lower case accepted alike), or bytes
 * without a unit: "512M", "1.5G", "4096". 0 and *out set; -1 when s is not
 * a size; -2 when it is beyond 2^62 bytes. */
int mt_parse_size(const char *s, unsigned long long *out);

#endif
