/* rng.h - a seeded, counter-based, reproducible random number generator.
 *
 * The value at position k of stream (seed, stream) is a pure function
 * mix(seed, stream, k), so a generator can be re-created at any position
 * and two streams never share state. Splitmix64's finaliser does the mixing. */
#ifndef MT_RNG_H
#define MT_RNG_H

#include <stdint.h>
#include <stddef.h>

typedef struct {
    uint64_t key;     /* derived from (seed, stream) */
    uint64_t counter; /* position in the stream */
    int has_spare;    /* Box-Muller keeps its second value */
    double spare;
} mt_rng;

void mt_rng_init(mt_rng *r, uint64_t seed, uint64_t stream);
uint64_t mt_rng_u64(mt_rng *r);
double mt_rng_uniform(mt_rng *r);         /* [0, 1) with 53 bits */
float mt_rng_uniformf(mt_rng *r);         /* [0, 1) */
double mt_rng_normal(mt_rng *r);          /* N(0, 1) */
uint64_t mt_rng_below(mt_rng *r, uint64_t n); /* uniform in [0, n), unbiased */
void mt_rng_shuffle(mt_rng *r, int *a, size_t n); /* Fisher-Yates */

/* A stateless hash of (key, counter): the mixing function itself. */
uint64_t mt_rng_hash(uint64_t key, uint64_t counter);

#endif
