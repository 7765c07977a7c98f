// A small allocator for the static musl build (compiled only when the toolset defines
// EP_SMALL_MALLOC): edgerun is single-threaded and allocates a few hundred blocks per process
// (the model's tensors, op records and arena, strings of its reports), so musl's mallocng
// (about 7 KB, built for long-running multi-threaded processes) is replaced by power-of-two
// size classes carved from 256 KB anonymous mappings, one free list per class, and a mapping
// of its own for each block over 64 KB. Not thread-safe.
//
// Every block starts with a 16-byte header: word 0 is the class (log2 of the block size,
// 5..16) or, for a mapped block, the mapping's length (> 65536); word 1 is 0 (or the next
// block while on a free list). A pointer from posix_memalign or aligned_alloc whose alignment
// is over 16 has a header of its own: word 0 is 0 and word 1 the underlying block's pointer.
// Tests/KernelTests/ep_malloc_test.c checks it (EP_MALLOC_TEST renames the functions).
#if defined(EP_SMALL_MALLOC)
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#if defined(EP_MALLOC_TEST)
#define EP_MALLOC_FN(name) ep_test_##name
#define EP_MALLOC_API static __attribute__((minsize, unused))
#else
#define EP_MALLOC_FN(name) name
#define EP_MALLOC_API __attribute__((minsize))
#endif

enum { EP_MIN_CLASS = 5, EP_MAX_CLASS = 16, EP_CHUNK = 1 << 18 };

static size_t *ep_free_lists[EP_MAX_CLASS + 1];
static char *ep_bump, *ep_bump_end;

__attribute__((minsize)) static void *ep_map(size_t len) {
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

// The header of the block that holds `p` (an aligned pointer's underlying block).
__attribute__((minsize)) static size_t *ep_header(void *p) {
  size_t *h = (size_t *)p - 2;
  return h[0] == 0 ? (size_t *)h[1] - 2 : h;
}

// Bytes usable from `p` to the end of its block.
__attribute__((minsize)) static size_t ep_usable(void *p) {
  size_t *h = ep_header(p);
  size_t size = h[0] <= EP_MAX_CLASS ? (size_t)1 << h[0] : h[0];
  return size - (size_t)((char *)p - (char *)h);
}

EP_MALLOC_API void *EP_MALLOC_FN(malloc)(size_t n) {
  size_t *b;
  if (n <= ((size_t)1 << EP_MAX_CLASS) - 16) {
    unsigned c = EP_MIN_CLASS;
    while (((size_t)1 << c) < n + 16) c++;
    b = ep_free_lists[c];
    if (b) {
      ep_free_lists[c] = (size_t *)b[1];
    } else {
      size_t size = (size_t)1 << c;
      if ((size_t)(ep_bump_end - ep_bump) < size) {
        char *chunk = ep_map(EP_CHUNK);
        if (!chunk) return NULL;
        ep_bump = chunk;
        ep_bump_end = chunk + EP_CHUNK;
      }
      b = (size_t *)ep_bump;
      ep_bump += size;
      b[0] = c;
    }
  } else {
    if (n > PTRDIFF_MAX - 16) {
      errno = ENOMEM;
      return NULL;
    }
    b = ep_map(n + 16);
    if (!b) return NULL;
    b[0] = n + 16;
  }
  b[1] = 0;
  return b + 2;
}

EP_MALLOC_API void EP_MALLOC_FN(free)(void *p) {
  if (!p) return;
  size_t *h = ep_header(p);
  if (h[0] > EP_MAX_CLASS) {
    munmap(h, h[0]);
  } else {
    h[1] = (size_t)ep_free_lists[h[0]];
    ep_free_lists[h[0]] = h;
  }
}

EP_MALLOC_API void *EP_MALLOC_FN(calloc)(size_t m, size_t n) {
  if (n && m > SIZE_MAX / n) {
    errno = ENOMEM;
    return NULL;
  }
  void *p = EP_MALLOC_FN(malloc)(m * n);
  // A mapped block is fresh from mmap, so already zero.
  if (p && m * n <= ((size_t)1 << EP_MAX_CLASS) - 16) memset(p, 0, m * n);
  return p;
}

EP_MALLOC_API void *EP_MALLOC_FN(realloc)(void *p, size_t n) {
  if (!p) return EP_MALLOC_FN(malloc)(n);
  size_t have = ep_usable(p);
  if (n <= have) return p;
  void *q = EP_MALLOC_FN(malloc)(n);
  if (!q) return NULL;
  memcpy(q, p, have);
  EP_MALLOC_FN(free)(p);
  return q;
}

EP_MALLOC_API void *EP_MALLOC_FN(aligned_alloc)(size_t align, size_t n) {
  if (align == 0 || (align & (align - 1)) != 0) {
    errno = EINVAL;
    return NULL;
  }
  if (align <= 16) return EP_MALLOC_FN(malloc)(n);
  if (n > PTRDIFF_MAX - 16 - align) {
    errno = ENOMEM;
    return NULL;
  }
  char *q = EP_MALLOC_FN(malloc)(n + align + 16);
  if (!q || ((uintptr_t)q & (align - 1)) == 0) return q;
  size_t *p = (size_t *)(((uintptr_t)q + 16 + align - 1) & ~(uintptr_t)(align - 1));
  p[-2] = 0;
  p[-1] = (size_t)(q);
  return p;
}

EP_MALLOC_API int EP_MALLOC_FN(posix_memalign)(void **result, size_t align, size_t n) {
  if (align < sizeof(void *)) return EINVAL;
  void *p = EP_MALLOC_FN(aligned_alloc)(align, n);
  if (!p) return errno;
  *result = p;
  return 0;
}

EP_MALLOC_API void *EP_MALLOC_FN(memalign)(size_t align, size_t n) {
  return EP_MALLOC_FN(aligned_alloc)(align, n);
}

EP_MALLOC_API size_t EP_MALLOC_FN(malloc_usable_size)(void *p) { return p ? ep_usable(p) : 0; }
#endif
