// arc4random_buf for C libraries that lack it (musl 1.2): the Embedded Swift runtime calls it
// to seed hashing. Compiled in only when the toolset defines EP_ARC4RANDOM_SHIM
// (toolchains/aarch64-linux-musl-embedded.json); glibc >= 2.36 has its own.
#if defined(EP_ARC4RANDOM_SHIM)
#include <stddef.h>
#include <sys/random.h>

void arc4random_buf(void *buffer, size_t size) {
  unsigned char *p = buffer;
  while (size > 0) {
    // getrandom never returns short for <= 256 bytes from an initialized pool; loop for the rest.
    // A failure (ENOSYS on kernels < 3.17) leaves zeros: the runtime only seeds hash tables.
    const ssize_t n = getrandom(p, size, 0);
    if (n <= 0) {
      while (size > 0) { *p++ = 0; size--; }
      return;
    }
    p += n;
    size -= (size_t)n;
  }
}
#endif
