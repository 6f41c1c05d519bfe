#include "rng.h"

#include <math.h>

static uint64_t splitmix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t mt_rng_hash(uint64_t key, uint64_t counter)
{
    return splitmix(key ^ splitmix(counter * 0xd1342543de82ef95ULL + 1));
}

void mt_rng_init(mt_rng *r, uint64_t seed, uint64_t stream)
{
    r->key = splitmix(splitmix(seed) ^ (stream * 0xa0761d6478bd642fULL + 0x3c6ef372fe94f82aULL));
    r->counter = 0;
    r->has_spare = 0;
    r->spare = 0.0;
}

uint64_t mt_rng_u64(mt_rng *r) { return mt_rng_hash(r->key, r->counter++); }

double mt_rng_uniform(mt_rng *r) { return (double)(mt_rng_u64(r) >> 11) * 0x1.0p-53; }

float mt_rng_uniformf(mt_rng *r) { return (float)(mt_rng_u64(r) >> 40) * 0x1.0p-24f; }

double mt_rng_normal(mt_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = mt_rng_uniform(r), u2 = mt_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    double rad = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
    r->spare = rad * sin(th);
    r->has_spare = 1;
    return rad * cos(th);
}

uint64_t mt_rng_below(mt_rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = mt_rng_u64(r);
    while (x >= limit);
    return x % n;
}

void mt_rng_shuffle(mt_rng *r, int *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)mt_rng_below(r, i);
        int t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
