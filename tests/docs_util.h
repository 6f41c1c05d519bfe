/* docs_util.h - checks that a generated section of a checked-in document
 * equals the text a registry generates now (make docs regenerates it). */
#ifndef MT_DOCS_UTIL_H
#define MT_DOCS_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when the lines between "<!-- NAME:begin" and "<!-- NAME:end -->" of
 * the file at path are exactly gen; else 0, printing where they part. */
static inline int docs_section_matches(const char *path, const char *name, const char *gen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return 0;
    }
    static char doc[1 << 20];
    size_t len = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[len] = '\0';
    char bm[64], em[64];
    snprintf(bm, sizeof bm, "<!-- %s:begin", name);
    snprintf(em, sizeof em, "<!-- %s:end -->", name);
    const char *begin = strstr(doc, bm), *end = strstr(doc, em);
    if (!begin || !end || end < begin || !strchr(begin, '\n')) {
        fprintf(stderr, "%s: the %s:begin / %s:end markers are missing\n", path, name, name);
        return 0;
    }
    begin = strchr(begin, '\n') + 1;
    size_t have = (size_t)(end - begin), n = strlen(gen);
    if (have == n && memcmp(begin, gen, n) == 0) return 1;
    size_t i = 0;
    while (i < n && i < have && begin[i] == gen[i]) i++;
    fprintf(stderr, "%s: the %s section differs from the registry at byte %zu:\n  docs:     %.80s\n"
                    "  registry: %.80s\nrun `make docs` to regenerate it\n",
            path, name, i, begin + i, gen + i);
    return 0;
}

/* The whole text of a generator that works like snprintf (NULL, 0 gives
 * the length), malloc'd; NULL when it does not report its length
 * consistently or the allocation fails. */
static inline char *docs_generate(size_t (*gen)(char *, size_t))
{
    size_t n = gen(NULL, 0);
    char *text = malloc(n + 1);
    if (text && gen(text, n + 1) != n) {
        free(text);
        return NULL;
    }
    return text;
}

#endif
