// The C library functions that libgpiod 1.6 calls, in small versions for the musl build of
// edgerun. Compiled in only when the toolset defines EG_GLIBC_COMPAT
// (toolchains/aarch64-linux-musl-embedded.json), which links the libgpiod.a that
// scripts/build-libgpiod-musl.sh builds from source against musl with snprintf and asprintf
// renamed to eg_snprintf and eg_asprintf; glibc builds link Debian's libgpiod.a and glibc.
// qsort (through scandir), strtoul and realpath replace musl's, which bring about 5 KB.
#if defined(EG_GLIBC_COMPAT)
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

// Everything here runs a few times per process (opening the GPIO chip and lines): optimized for
// size, which the eg_format_test build compiles too (the attribute is in the source).
#define EG_SMALL __attribute__((minsize))

// libgpiod's snprintf and asprintf format with eg_format, not musl's vsnprintf: printf_core
// brings about 25 KB of floating-point and long-double code into edgerun for the four format
// strings libgpiod 1.6's core and helpers pass here: "/sys/bus/gpio/devices/%s/dev", "%u:%u",
// "/dev/%s" and "/dev/gpiochip%u" (Tests/KernelTests/eg_format_test.c compares them with the C
// library's).

// vsnprintf for %s, %u and %% without flags, width or precision (musl's output for these,
// "(null)" for a null string included); any other conversion fails with EINVAL. Writes at most
// `cap` bytes including the terminating NUL and returns the full length.
EG_SMALL static int eg_format(char *out, size_t cap, const char *format, va_list args) {
  size_t n = 0;
  for (const char *p = format; *p; p++) {
    char digits[3 * sizeof(unsigned)];
    const char *s = p;
    size_t len = 1;
    if (*p == '%') {
      p++;
      if (*p == 's') {
        s = va_arg(args, const char *);
        if (!s) s = "(null)";
        len = strlen(s);
      } else if (*p == 'u') {
        unsigned v = va_arg(args, unsigned);
        char *end = digits + sizeof digits;
        char *d = end;
        do { *--d = (char)('0' + v % 10); v /= 10; } while (v);
        s = d;
        len = (size_t)(end - d);
      } else if (*p == '%') {
        s = p;
      } else {
        errno = EINVAL;
        return -1;
      }
    }
    for (size_t i = 0; i < len; i++, n++) {
      if (n + 1 < cap) out[n] = s[i];
    }
  }
  if (cap > 0) out[n < cap ? n : cap - 1] = 0;
  if (n > INT_MAX) {
    errno = EOVERFLOW;
    return -1;
  }
  return (int)n;
}

EG_SMALL int eg_snprintf(char *s, size_t maxlen, const char *format, ...) {
  va_list args;
  va_start(args, format);
  const int n = eg_format(s, maxlen, format, args);
  va_end(args);
  return n;
}

EG_SMALL int eg_asprintf(char **result, const char *format, ...) {
  va_list args, again;
  va_start(args, format);
  va_copy(again, args);
  int n = eg_format(NULL, 0, format, args);
  va_end(args);
  char *buffer = n < 0 ? NULL : malloc((size_t)n + 1);
  if (buffer) {
    eg_format(buffer, (size_t)n + 1, format, again);
  } else {
    n = -1;
  }
  va_end(again);
  *result = buffer;
  return n;
}

// qsort for musl's scandir, which libgpiod's chip iterator calls on /dev with a filter that keeps
// the gpiochip entries (a handful): an insertion sort, about 100 bytes instead of musl's 2 KB
// smoothsort. Sorted output for any comparison function; elements that compare equal keep their
// order (qsort promises no order for them; names in a directory are distinct anyway).
EG_SMALL static void eg_qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *)) {
  unsigned char *bytes = base;
  for (size_t i = 1; i < count; i++) {
    for (size_t j = i; j > 0 && compare(bytes + (j - 1) * size, bytes + j * size) > 0; j--) {
      unsigned char *a = bytes + (j - 1) * size, *b = bytes + j * size;
      for (size_t k = 0; k < size; k++) {
        const unsigned char t = a[k];
        a[k] = b[k];
        b[k] = t;
      }
    }
  }
}

// strtoul as the C standard defines it (musl's goes through the 1.7 KB __intscan shared with
// the scanf family): leading white space, an optional sign (a minus negates the result in
// unsigned arithmetic), base 0 (prefix 0x/0X: 16, 0: 8, else 10) or 2...36 with an optional 0x
// prefix for 16; ULONG_MAX and ERANGE on overflow, EINVAL and 0 for a bad base or no digits (as
// musl), `*end` after the last digit used (at `text` when there is none; after the "0" of a "0x"
// without hex digits).
EG_SMALL static int eg_digit(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20;
  return c >= 'a' && c <= 'z' ? c - 'a' + 10 : 99;
}

EG_SMALL static unsigned long eg_strtoul(const char *text, char **end, int base) {
  const char *p = text;
  if (base < 0 || base == 1 || base > 36) {
    errno = EINVAL;
    if (end) *end = (char *)text;
    return 0;
  }
  while (*p == ' ' || (*p >= '\t' && *p <= '\r')) p++;
  const int negative = *p == '-';
  if (*p == '-' || *p == '+') p++;
  if ((base == 0 || base == 16) && p[0] == '0' && (p[1] | 0x20) == 'x' && eg_digit((unsigned char)p[2]) < 16) {
    p += 2;
    base = 16;
  } else if (base == 0) {
    base = p[0] == '0' ? 8 : 10;
  }
  const char *digits = p;
  unsigned long value = 0;
  int overflow = 0;
  for (int d; (d = eg_digit((unsigned char)*p)) < base; p++) {
    if (value > (ULONG_MAX - (unsigned long)d) / (unsigned long)base) overflow = 1;
    value = value * (unsigned long)base + (unsigned long)d;
  }
  if (end) *end = (char *)(p == digits ? text : p);
  if (p == digits) {
    errno = EINVAL;  // musl's choice (glibc leaves errno)
    return 0;
  }
  if (overflow) {
    errno = ERANGE;
    return ULONG_MAX;
  }
  return negative ? -value : value;
}

// realpath through the kernel (libgpiod's gpiod_chip_open resolves the chip path with it):
// open the path with O_PATH and read back /proc/self/fd/N, checking that the name read back
// is the same file (musl 1.1's realpath; 1.2's walks the path in user space, 1.4 KB). Errors
// are the open's (ENOENT, ENOTDIR, EACCES, ELOOP, as musl's) or ELOOP for a name that no
// longer resolves to the opened file.
EG_SMALL static char *eg_realpath(const char *restrict path, char *restrict resolved) {
  if (!path) {
    errno = EINVAL;
    return NULL;
  }
  const int fd = open(path, O_PATH | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return NULL;
  char proc[32] = "/proc/self/fd/";
  char digits[3 * sizeof(int)];
  char *d = digits + sizeof digits;
  unsigned v = (unsigned)fd;
  size_t n = strlen(proc);
  do { *--d = (char)('0' + v % 10); v /= 10; } while (v);
  while (d < digits + sizeof digits) proc[n++] = *d++;
  proc[n] = 0;
  char name[PATH_MAX];
  char *result = NULL;
  const ssize_t length = readlink(proc, name, sizeof name - 1);
  if (length >= 0) {
    name[length] = 0;
    struct stat opened, named;
    const int named_ok = fstat(fd, &opened) == 0 && stat(name, &named) == 0;
    if (named_ok && opened.st_dev == named.st_dev && opened.st_ino == named.st_ino) {
      result = resolved ? strcpy(resolved, name) : strdup(name);
    } else if (named_ok) {
      errno = ELOOP;
    }
  }
  const int saved = errno;
  close(fd);
  errno = saved;
  return result;
}

#if !defined(EG_GLIBC_COMPAT_TEST)
EG_SMALL char *realpath(const char *restrict path, char *restrict resolved) { return eg_realpath(path, resolved); }

EG_SMALL void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *)) {
  eg_qsort(base, count, size, compare);
}

EG_SMALL unsigned long strtoul(const char *text, char **end, int base) { return eg_strtoul(text, end, base); }
#endif
#endif
