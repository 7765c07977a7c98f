/*
 * eg_format_test.c: the musl build's eg_snprintf/eg_asprintf (Sources/CEdgeGPIO/
 * eg_glibc_compat.c: libgpiod's snprintf and asprintf, a formatter for %s, %u and %% only)
 * against the C library's snprintf, on the format strings libgpiod 1.6 passes, random
 * arguments and every truncation length; and its qsort, strtoul and realpath (eg_qsort,
 * eg_strtoul, eg_realpath) against the C library's.
 * Exits 1 on the first difference, printing the seed.
 */
#define EG_GLIBC_COMPAT 1
#define EG_GLIBC_COMPAT_TEST 1
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
    const int n = uses_string ? eg_snprintf(got, cap, format, s)
                              : eg_snprintf(got, cap, format, a, b);
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
  const int n = uses_string ? eg_asprintf(&text, format, s) : eg_asprintf(&text, format, a, b);
  if (n != want_n || !text || strcmp(text, want) != 0) {
    printf("eg_format: seed %llu: asprintf \"%s\" got %d \"%s\", want %d \"%s\"\n", (unsigned long long)seed, format, n,
           text ? text : "(none)", want_n, want);
    failures++;
  }
  free(text);
}

static int compare_int(const void *a, const void *b) {
  const int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int compare_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

// Random arrays of every length up to 40 (ints with repeats: the same sorted sequence; distinct
// strings, as scandir sorts them: the same order) against the C library's qsort.
static void check_qsort(uint64_t seed, uint64_t *state) {
  for (size_t n = 0; n <= 40; n++) {
    int want[40], got[40];
    for (size_t i = 0; i < n; i++) want[i] = got[i] = (int)(rng_next(state) % 16) - 8;
    qsort(want, n, sizeof *want, compare_int);
    eg_qsort(got, n, sizeof *got, compare_int);
    if (memcmp(want, got, n * sizeof *want) != 0) {
      printf("eg_qsort: seed %llu: %zu ints sorted differently\n", (unsigned long long)seed, n);
      failures++;
    }
    char text[40][16];
    const char *want_names[40], *got_names[40];
    for (size_t i = 0; i < n; i++) {
      snprintf(text[i], sizeof text[i], "gpiochip%u", (unsigned)(rng_next(state) % 1000) * 40 + (unsigned)i);
      want_names[i] = got_names[i] = text[i];
    }
    qsort(want_names, n, sizeof *want_names, compare_name);
    eg_qsort(got_names, n, sizeof *got_names, compare_name);
    if (memcmp(want_names, got_names, n * sizeof *want_names) != 0) {
      printf("eg_qsort: seed %llu: %zu names sorted differently\n", (unsigned long long)seed, n);
      failures++;
    }
  }
}

static void check_strtoul_one(uint64_t seed, const char *text, int base) {
  char *want_end = (char *)text + 1000, *got_end = (char *)text + 1000;
  errno = 0;
  const unsigned long want = strtoul(text, &want_end, base);
  // No digits: musl sets EINVAL (the compat version follows musl), glibc leaves errno.
  const int want_errno = want_end == text && errno == 0 ? EINVAL : errno;
  errno = 0;
  const unsigned long got = eg_strtoul(text, &got_end, base);
  const int got_errno = errno;
  // A bad base: musl sets the end to `text`, glibc leaves it; compare value and errno only.
  const int bad_base = base < 0 || base == 1 || base > 36;
  if (want != got || want_errno != got_errno || (!bad_base && want_end != got_end) || (bad_base && got_end != text)) {
    printf("eg_strtoul: seed %llu: \"%s\" base %d: got %lu errno %d end +%td, want %lu errno %d end +%td\n",
           (unsigned long long)seed, text, base, got, got_errno, got_end - text, want, want_errno, want_end - text);
    failures++;
  }
}

static void check_strtoul(uint64_t seed, uint64_t *state) {
  static const char *const fixed[] = {
      "", "0", "7", "17", "4294967295", "4294967296", "18446744073709551615", "18446744073709551616",
      "99999999999999999999999", "-1", "-0", "+5", "+-5", "-+5", "  \t\n\v\f\r42x", " - 3", "0x", "0X1f", "0xg",
      "0x1G", "077", "08", "0b101", "z", "Zz", "1e5", "12 34", "-18446744073709551615", "-18446744073709551616",
      "0xFFFFFFFFFFFFFFFF", "0x10000000000000000", "1777777777777777777777", "2000000000000000000000",
  };
  static const int bases[] = {0, 2, 8, 10, 16, 36, 1, -1, 37};
  for (size_t f = 0; f < sizeof fixed / sizeof *fixed; f++) {
    for (size_t b = 0; b < sizeof bases / sizeof *bases; b++) check_strtoul_one(seed, fixed[f], bases[b]);
  }
  static const char alphabet[] = "0123456789abcdefxyzXZ +-\t";
  for (int i = 0; i < 20000; i++) {
    char text[28];
    const size_t length = (size_t)(rng_next(state) % 27);
    for (size_t k = 0; k < length; k++) {
      // Mostly digits, so that long runs reach the overflow boundary.
      const uint64_t r = rng_next(state);
      text[k] = r % 4 ? (char)('0' + (r >> 8) % 10) : alphabet[(r >> 8) % (sizeof alphabet - 1)];
    }
    text[length] = 0;
    check_strtoul_one(seed, text, (int)(rng_next(state) % 38));
  }
}

static void check_realpath(void) {
  char dir[] = "/tmp/eg_realpath_XXXXXX";
  if (!mkdtemp(dir)) {
    printf("eg_realpath: mkdtemp failed\n");
    failures++;
    return;
  }
  char file[64], link[64], dangling[64], loop[64];
  snprintf(file, sizeof file, "%s/file", dir);
  snprintf(link, sizeof link, "%s/link", dir);
  snprintf(dangling, sizeof dangling, "%s/dangling", dir);
  snprintf(loop, sizeof loop, "%s/loop", dir);
  FILE *f = fopen(file, "w");
  if (f) fclose(f);
  if (symlink("file", link) != 0 || symlink("missing", dangling) != 0 || symlink("loop", loop) != 0) {
    printf("eg_realpath: symlink failed\n");
    failures++;
  }
  char sub[80], viadot[96], underfile[80];
  snprintf(sub, sizeof sub, "%s/./link", dir);
  snprintf(viadot, sizeof viadot, "%s/../%s/file", dir, dir + 5);
  snprintf(underfile, sizeof underfile, "%s/x", file);
  const char *const paths[] = {"/", ".", "..", "/tmp", "/dev/null", "/proc/self", file, link, dangling, loop, sub, viadot,
                               underfile, "/nonexistent/x", ""};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    for (int allocate = 0; allocate < 2; allocate++) {
      char want_buffer[PATH_MAX], got_buffer[PATH_MAX];
      errno = 0;
      char *want = realpath(paths[i], allocate ? NULL : want_buffer);
      const int want_errno = errno;
      errno = 0;
      char *got = eg_realpath(paths[i], allocate ? NULL : got_buffer);
      const int got_errno = errno;
      if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0) || (!want && want_errno != got_errno)) {
        printf("eg_realpath(\"%s\"): \"%s\" errno %d, the C library's \"%s\" errno %d\n", paths[i],
               got ? got : "(null)", got_errno, want ? want : "(null)", want_errno);
        failures++;
      }
      if (allocate) {
        free(want);
        free(got);
      }
    }
  }
  unlink(file);
  unlink(link);
  unlink(dangling);
  unlink(loop);
  rmdir(dir);
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
  if (eg_snprintf(buffer, sizeof buffer, "%d", 3) != -1 || errno != EINVAL) {
    printf("eg_format: an unsupported conversion (%%d) must fail with EINVAL\n");
    failures++;
  }
  if (eg_snprintf(buffer, sizeof buffer, "[%s]", (const char *)NULL) != 8 ||
      strcmp(buffer, "[(null)]") != 0) {
    printf("eg_format: a null %%s must print (null) as musl does, got \"%s\"\n", buffer);
    failures++;
  }
  check_qsort(seed, &state);
  check_strtoul(seed, &state);
  check_realpath();
  printf("eg_format: %s\n", failures ? "FAILED" : "ok (libgpiod's format strings, every truncation length; qsort; strtoul; realpath)");
  return failures ? 1 : 0;
}
