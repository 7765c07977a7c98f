/*
 * ep_malloc_test.c: the musl build's allocator (Sources/CEdgePlatform/ep_malloc.c, compiled here
 * under ep_test_* names) on random sequences of malloc, calloc, realloc, aligned_alloc,
 * posix_memalign and free: every block is filled with a pattern of its own and checked before it
 * is resized or freed (an overlap between two live blocks or a lost byte in realloc changes
 * one), alignments and usable sizes are checked, and calloc must return zeros also for reused
 * blocks. Exits 1 on the first difference, printing the seed.
 */
#define EP_SMALL_MALLOC 1
#define EP_MALLOC_TEST 1
#include "../../Sources/CEdgePlatform/ep_malloc.c"

#include <stdio.h>

#include "ek_test_support.h"

enum { SLOTS = 300 };

static struct {
  unsigned char *p;
  size_t n;
  unsigned char tag;
} live[SLOTS];

static int failed(uint64_t seed, int step, const char *what) {
  printf("ep_malloc: %s at step %d (seed %llu)\n", what, step, (unsigned long long)seed);
  return 1;
}

static size_t random_size(uint64_t *state) {
  switch (rng_next(state) % 8) {
  case 0: return 0;
  case 1: return (size_t)(rng_next(state) % 200000);  // mapped blocks too
  case 2: return (size_t)(rng_next(state) % 65536);
  default: return (size_t)(rng_next(state) % 300);
  }
}

static int intact(size_t i) {
  for (size_t k = 0; k < live[i].n; k++) {
    if (live[i].p[k] != (unsigned char)(live[i].tag + k)) return 0;
  }
  return 1;
}

static void fill(size_t i, size_t from) {
  for (size_t k = from; k < live[i].n; k++) live[i].p[k] = (unsigned char)(live[i].tag + k);
}

int main(void) {
  const uint64_t seed = 20261207;
  uint64_t state = seed;
  for (int step = 0; step < 60000; step++) {
    const size_t i = (size_t)(rng_next(&state) % SLOTS);
    if (live[i].p && !intact(i)) return failed(seed, step, "a live block changed");
    const size_t n = random_size(&state);
    const unsigned op = (unsigned)(rng_next(&state) % 6);
    if (live[i].p && op < 2) {
      ep_test_free(live[i].p);
      live[i].p = NULL;
      continue;
    }
    if (live[i].p && op < 4) {
      unsigned char *q = ep_test_realloc(live[i].p, n);
      if (!q) return failed(seed, step, "realloc failed");
      live[i].p = q;
      const size_t kept = n < live[i].n ? n : live[i].n;
      live[i].n = kept;
      if (!intact(i)) return failed(seed, step, "realloc lost bytes");
      live[i].n = n;
      fill(i, kept);
      continue;
    }
    if (live[i].p) ep_test_free(live[i].p);
    size_t align = 16;
    size_t n_used = n;
    unsigned char *p;
    if (op == 4) {
      const size_t count = 1 + (size_t)(rng_next(&state) % 4);
      n_used = count * (n / 4 + 1);
      p = ep_test_calloc(count, n / 4 + 1);
      if (!p) return failed(seed, step, "calloc failed");
      for (size_t k = 0; k < n_used; k++) {
        if (p[k]) return failed(seed, step, "calloc returned a nonzero byte");
      }
    } else if (rng_next(&state) % 2) {
      align = (size_t)1 << (rng_next(&state) % 13);
      p = ep_test_aligned_alloc(align, n);
      if (!p) return failed(seed, step, "aligned_alloc failed");
    } else {
      align = (size_t)1 << (3 + rng_next(&state) % 10);
      void *v = NULL;
      if (ep_test_posix_memalign(&v, align, n) != 0) return failed(seed, step, "posix_memalign failed");
      p = v;
    }
    if ((uintptr_t)p % (align < 16 ? align : 16) != 0 || (uintptr_t)p % align != 0) {
      return failed(seed, step, "misaligned block");
    }
    if (ep_test_malloc_usable_size(p) < n_used) return failed(seed, step, "usable size below the request");
    live[i].p = p;
    live[i].n = n_used;
    live[i].tag = (unsigned char)rng_next(&state);
    fill(i, 0);
  }
  for (size_t i = 0; i < SLOTS; i++) {
    if (live[i].p && !intact(i)) return failed(seed, -1, "a live block changed");
    ep_test_free(live[i].p);
  }
  void *v = NULL;
  errno = 0;
  if (ep_test_aligned_alloc(24, 8) != NULL || errno != EINVAL) return failed(seed, -1, "alignment 24 must fail with EINVAL");
  if (ep_test_posix_memalign(&v, 4, 8) != EINVAL) return failed(seed, -1, "posix_memalign alignment 4 must be EINVAL");
  errno = 0;
  if (ep_test_malloc(SIZE_MAX - 8) != NULL || errno != ENOMEM) return failed(seed, -1, "a huge malloc must fail with ENOMEM");
  errno = 0;
  if (ep_test_calloc(SIZE_MAX / 2, 3) != NULL || errno != ENOMEM) return failed(seed, -1, "an overflowing calloc must fail");
  if (ep_test_malloc_usable_size(NULL) != 0) return failed(seed, -1, "usable size of NULL");
  printf("ep_malloc: ok (60000 random malloc/calloc/realloc/aligned/free steps, errors)\n");
  return 0;
}
