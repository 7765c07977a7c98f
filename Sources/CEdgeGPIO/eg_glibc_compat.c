// glibc entry points that Debian's arm64 libgpiod.a (built against glibc with _FORTIFY_SOURCE)
// calls and musl lacks: the checked printf variants and the ctype table accessor. Compiled in
// only when the toolset defines EG_GLIBC_COMPAT (toolchains/aarch64-linux-musl-embedded.json);
// glibc builds use glibc's own.
#if defined(EG_GLIBC_COMPAT)
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

// The fortified variants only add a buffer-size check, which the callers' own sizes satisfy.
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *format, ...) {
  (void)flag;
  (void)slen;
  va_list args;
  va_start(args, format);
  const int n = vsnprintf(s, maxlen, format, args);
  va_end(args);
  return n;
}

int __asprintf_chk(char **result, int flag, const char *format, ...) {
  (void)flag;
  va_list args;
  va_start(args, format);
  const int n = vasprintf(result, format, args);
  va_end(args);
  return n;
}

// glibc's ctype classification table, indexed by -128..255 from the returned pointer, with
// glibc's little-endian bit layout (_ISupper 0x100 ... _ISalnum 0x8), built from musl's ctype.
static unsigned short table[384];
static const unsigned short *table_origin;

const unsigned short **__ctype_b_loc(void) {
  if (!table_origin) {
    for (int c = -128; c < 256; c++) {
      const int x = c < 0 ? c + 256 : c;
      unsigned short bits = 0;
      if (x < 128) {
        if (isupper(x)) bits |= 0x100;
        if (islower(x)) bits |= 0x200;
        if (isalpha(x)) bits |= 0x400;
        if (isdigit(x)) bits |= 0x800;
        if (isxdigit(x)) bits |= 0x1000;
        if (isspace(x)) bits |= 0x2000;
        if (isprint(x)) bits |= 0x4000;
        if (isgraph(x)) bits |= 0x8000;
        if (isblank(x)) bits |= 0x1;
        if (iscntrl(x)) bits |= 0x2;
        if (ispunct(x)) bits |= 0x4;
        if (isalnum(x)) bits |= 0x8;
      }
      table[c + 128] = bits;
    }
    table_origin = table + 128;
  }
  return &table_origin;
}
#endif
