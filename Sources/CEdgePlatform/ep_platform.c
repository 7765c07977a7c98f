#define _GNU_SOURCE
#include "ep_platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Size of the static aarch64 edgerun: the functions between EP_SIZE_BEGIN and EP_SIZE_END run
 * once per process or per I/O call (opening, reading and writing files, the environment, error
 * text), never per inference, so they get clang's `minsize` there (x86_64 keeps -O2). The clock
 * reads, which `edgerun bench` makes around every inference, stay outside. */
#if defined(__clang__) && defined(__aarch64__)
#define EP_SIZE_BEGIN _Pragma("clang attribute push(__attribute__((minsize)), apply_to = function)")
#define EP_SIZE_END _Pragma("clang attribute pop")
#else
#define EP_SIZE_BEGIN
#define EP_SIZE_END
#endif

EP_SIZE_BEGIN

int ep_map_file(const char *path, ep_mapping *mapping) {
  mapping->data = NULL;
  mapping->size = 0;
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return err;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
  }
  if (st.st_size == 0) {
    close(fd);
    return 0;
  }
  void *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  close(fd);
  if (data == MAP_FAILED) return err;
  mapping->data = data;
  mapping->size = (size_t)st.st_size;
  return 0;
}

void ep_unmap(ep_mapping *mapping) {
  if (mapping->data != NULL) munmap((void *)mapping->data, mapping->size);
  mapping->data = NULL;
  mapping->size = 0;
}

int ep_read_all(const char *path, int fd, size_t padding, uint8_t **data, size_t *size) {
  *data = NULL;
  *size = 0;
  int own = 0;
  if (path != NULL) {
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    own = 1;
  }
  size_t capacity = 65536, used = 0;
  uint8_t *buffer = malloc(capacity + padding);
  if (buffer == NULL) {
    if (own) close(fd);
    return ENOMEM;
  }
  for (;;) {
    if (used == capacity) {
      capacity *= 2;
      uint8_t *grown = realloc(buffer, capacity + padding);
      if (grown == NULL) {
        free(buffer);
        if (own) close(fd);
        return ENOMEM;
      }
      buffer = grown;
    }
    const ssize_t n = read(fd, buffer + used, capacity - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      free(buffer);
      if (own) close(fd);
      return err;
    }
    if (n == 0) break;
    used += (size_t)n;
  }
  if (own) close(fd);
  memset(buffer + used, 0, padding);
  *data = buffer;
  *size = used;
  return 0;
}

int ep_write_fd(int fd, const void *data, size_t size) {
  const uint8_t *p = data;
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    size -= (size_t)n;
  }
  return 0;
}

int ep_write_file_atomic(const char *path, const void *data, size_t size) {
  const size_t length = strlen(path);
  char *temp = malloc(length + 16);
  if (temp == NULL) return ENOMEM;
  memcpy(temp, path, length);
  memcpy(temp + length, ".tmp-XXXXXX", 12);
  const int fd = mkstemp(temp);
  if (fd < 0) {
    const int err = errno;
    free(temp);
    return err;
  }
  int err = ep_write_fd(fd, data, size);
  if (err == 0 && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && chmod(temp, 0644) != 0) err = errno;
  if (err == 0 && rename(temp, path) != 0) err = errno;
  if (err != 0) unlink(temp);
  free(temp);
  return err;
}

void *ep_alloc_aligned(size_t size) {
  void *p = NULL;
  if (posix_memalign(&p, 64, size == 0 ? 64 : size) != 0) return NULL;
  memset(p, 0, size);
  return p;
}

void ep_free(void *pointer) { free(pointer); }

int ep_is_terminal(int fd) { return isatty(fd); }

EP_SIZE_END

uint64_t ep_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ep_wall_time(int64_t *seconds, int32_t *nanoseconds) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  *seconds = (int64_t)ts.tv_sec;
  *nanoseconds = (int32_t)ts.tv_nsec;
}

EP_SIZE_BEGIN

const char *ep_getenv(const char *name) { return getenv(name); }

uint64_t ep_peak_rss_bytes(void) {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return (uint64_t)usage.ru_maxrss * 1024u;
}

void ep_error_text(int errnum, char *buf, size_t size) {
  if (size == 0) return;
  const char *text = strerror(errnum);
  if (text == NULL) text = "unknown error";
  // A copy loop, not snprintf: printf would pull about 25 KB of formatting code into edgerun.
  size_t i = 0;
  for (; i + 1 < size && text[i] != '\0'; i++) buf[i] = text[i];
  buf[i] = '\0';
}

void ep_exit(int code) {
  fflush(stdout);
  exit(code);
}

EP_SIZE_END
