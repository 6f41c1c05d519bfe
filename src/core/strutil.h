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

#endif
