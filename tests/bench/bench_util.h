/* bench_util.h - what the bench drivers share: the clock, the timing
 * budget, peak memory. */
#ifndef MT_BENCH_UTIL_H
#define MT_BENCH_UTIL_H

#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of the whole process (every thread) so far: on a shared
 * machine, with one thread, a steadier measure of work than wall time. */
static inline double bench_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds per measurement: BENCH_MIN_TIME, or dflt. */
static inline double bench_min_time(double dflt)
{
    const char *s = getenv("BENCH_MIN_TIME");
    double t = s ? atof(s) : dflt;
    return t > 0 ? t : dflt;
}

/* The process's peak resident set in MB (getrusage's ru_maxrss). */
static inline double bench_peak_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_maxrss / 1024.0;
}

#endif
