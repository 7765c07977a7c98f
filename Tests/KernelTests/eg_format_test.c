/*
 * eg_format_test.c: the musl build's __snprintf_chk/__asprintf_chk (Sources/CEdgeGPIO/
 * eg_glibc_compat.c, a formatter for %s, %u and %% only) against the C library's snprintf, on
 * the format strings libgpiod 1.6 passes, random arguments and every truncation length.
 * Exits 1 on the first difference, printing the seed.
 */
#define EG_GLIBC_COMPAT 1
#include "../../Sources/CEdgeGPIO/eg_glibc_compat.c"

#include <stdint.h>
#include <stdio.h>

#include "ek_test_support.h"

static const char *const formats[] = {
    "/sys/bus/gpio/devices/%s/dev", "%u:%u", "/dev/%s", "/dev/gpiochip%u", "%s", "100%% %u%%",
};
static const char *const names[] = {"", "gpiochip0", "gpio-sim.0-node0", "a%sb", "x"};

static int failures;

static void check(uint64_t seed, const char *format, const char *s, unsigned a, unsigned b) {
  char want[128], got[128];
  const int uses_string = strstr(format, "%s") != NULL;
  const int want_n = uses_string ? snprintf(want, sizeof want, format, s) : snprintf(want, sizeof want, format, a, b);
  for (size_t cap = 0; cap <= (size_t)want_n + 2; cap++) {
    memset(got, 0x55, sizeof got);
    const int n = uses_string ? __snprintf_chk(got, cap, 1, sizeof got, format, s)
                              : __snprintf_chk(got, cap, 1, sizeof got, format, a, b);
    const size_t written = cap == 0 ? 0 : (cap - 1 < (size_t)want_n ? cap - 1 : (size_t)want_n);
    if (n != want_n || (cap > 0 && (memcmp(got, want, written) != 0 || got[written] != 0)) ||
        (unsigned char)got[cap == 0 ? 0 : written + 1] != 0x55) {
      printf("eg_format: seed %llu: \"%s\" cap %zu: got %d \"%.*s\", want %d \"%s\"\n", (unsigned long long)seed,
             format, cap, n, (int)written, got, want_n, want);
      failures++;
      return;
    }
  }
  char *text = NULL;
  const int n = uses_string ? __asprintf_chk(&text, 1, format, s) : __asprintf_chk(&text, 1, format, a, b);
  if (n != want_n || !text || strcmp(text, want) != 0) {
    printf("eg_format: seed %llu: asprintf \"%s\" got %d \"%s\", want %d \"%s\"\n", (unsigned long long)seed, format, n,
           text ? text : "(none)", want_n, want);
    failures++;
  }
  free(text);
}

int main(void) {
  const uint64_t seed = 20261123;
  uint64_t state = seed;
  for (size_t f = 0; f < sizeof formats / sizeof *formats; f++) {
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) check(seed, formats[f], names[i], 0, UINT32_MAX);
    for (int i = 0; i < 200; i++) {
      const unsigned a = (unsigned)(rng_next(&state) >> (rng_next(&state) % 32));
      const unsigned b = (unsigned)(rng_next(&state) >> (rng_next(&state) % 32));
      check(seed, formats[f], names[i % (sizeof names / sizeof *names)], a, b);
    }
  }
  char buffer[16];
  errno = 0;
  if (__snprintf_chk(buffer, sizeof buffer, 1, sizeof buffer, "%d", 3) != -1 || errno != EINVAL) {
    printf("eg_format: an unsupported conversion (%%d) must fail with EINVAL\n");
    failures++;
  }
  if (__snprintf_chk(buffer, sizeof buffer, 1, sizeof buffer, "[%s]", (const char *)NULL) != 8 ||
      strcmp(buffer, "[(null)]") != 0) {
    printf("eg_format: a null %%s must print (null) as musl does, got \"%s\"\n", buffer);
    failures++;
  }
  printf("eg_format: %s\n", failures ? "FAILED" : "ok (libgpiod's format strings, every truncation length)");
  return failures ? 1 : 0;
}
