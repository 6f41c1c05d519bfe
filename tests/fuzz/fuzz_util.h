/* fuzz_util.h - what the libFuzzer harnesses share: the readers take a
 * path, so each input becomes an in-memory file (memfd) read through
 * /proc/self/fd, with no disk traffic. */
#ifndef MT_FUZZ_UTIL_H
#define MT_FUZZ_UTIL_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The same in-memory file for every input, rewritten each time; its path
 * goes to path (at least 64 bytes). */
static inline void fuzz_file(const uint8_t *data, size_t size, char *path, size_t cap)
{
    static int fd = -1;
    if (fd < 0) {
        fd = memfd_create("mtlab-fuzz", 0);
        if (fd < 0) abort();
    }
    if (ftruncate(fd, 0) != 0) abort();
    size_t done = 0;
    while (done < size) {
        ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);
        if (w <= 0) abort();
        done += (size_t)w;
    }
    snprintf(path, cap, "/proc/self/fd/%d", fd);
}

#endif
