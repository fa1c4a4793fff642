/*
** bench/rng.h — the benchmark generator's PRNG: SplitMix64 and the draws
** built on it, exactly as ../shared/bench/oopsla/README.md ("Draw order")
** specifies, so that any implementation of that spec produces the same
** stores and requests from the same seed.
**
** Every draw goes through pc_rng_unit() (53 random bits scaled to [0,1)),
** never through `next() % n`, because the spec defines below(n) as
** floor(unit() * n); using modulo would give different numbers.
*/
#ifndef PC_BENCH_RNG_H
#define PC_BENCH_RNG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct pc_rng {
    uint64_t state;
} pc_rng;

/* The request stream starts this far from the entity stream, so changing R
   never changes the store. */
#define PC_RNG_REQUEST_OFFSET 0x632BE59BD9B4E019ULL

static inline uint64_t pc_rng_next(pc_rng *r)
{
    r->state += 0x9E3779B97F4A7C15ULL;
    uint64_t z = r->state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A double in [0, 1): the top 53 bits times 2^-53. */
static inline double pc_rng_unit(pc_rng *r)
{
    return (double)(pc_rng_next(r) >> 11) * 0x1.0p-53;
}

static inline bool pc_rng_chance(pc_rng *r, double p) { return pc_rng_unit(r) < p; }

/* floor(unit() * n): uniform in 0..n-1 (n > 0; the caller checks). */
static inline uint64_t pc_rng_below(pc_rng *r, uint64_t n)
{
    return (uint64_t)(pc_rng_unit(r) * (double)n);
}

/* Uniform in lo..hi inclusive. */
static inline uint64_t pc_rng_between(pc_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + pc_rng_below(r, hi - lo + 1);
}

#endif
