/*
 * ek_test_support.h: what the kernel differential tests share: a seeded RNG (splitmix64, so a
 * printed seed reproduces a failure) and buffers that end just before a PROT_NONE guard page
 * (a kernel reading or writing past its EK_EXTRA_BYTES allowance faults instead of passing).
 */
#ifndef EK_TEST_SUPPORT_H
#define EK_TEST_SUPPORT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ek_common.h"

static inline uint64_t rng_next(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static inline int32_t rng_int(uint64_t *state, int32_t lo, int32_t hi) {
  return lo + (int32_t)(rng_next(state) % (uint64_t)((int64_t)hi - lo + 1));
}

/* Uniform in [lo, hi). */
static inline double rng_real(uint64_t *state, double lo, double hi) {
  return lo + (hi - lo) * (double)(rng_next(state) >> 11) * 0x1.0p-53;
}

/* A mapping of `usable` bytes followed by a PROT_NONE page. */
typedef struct guarded {
  uint8_t *base;
  size_t usable;
} guarded;

/* Room for `bytes` plus the kernels' over-read allowance; exits 2 when the mapping fails. */
static inline guarded guarded_new(size_t bytes) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t usable = (bytes + EK_EXTRA_BYTES + page - 1) / page * page;
  uint8_t *base = mmap(NULL, usable + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
  if (base == MAP_FAILED || mprotect(base + usable, page, PROT_NONE) != 0) {
    perror("kernel test: mmap");
    exit(2);
  }
  return (guarded){base, usable};
}

#endif
