#define _GNU_SOURCE
#include "eg_gpio.h"

#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Size of the static aarch64 edgerun: the functions between EG_SIZE_BEGIN and EG_SIZE_END set up
 * `edgerun watch` or run once per GPIO event (waiting, reading a frame, writing the log line),
 * never inside an inference, so they get clang's `minsize` there (x86_64 keeps -O2). */
#if defined(__clang__) && defined(__aarch64__)
#define EG_SIZE_BEGIN _Pragma("clang attribute push(__attribute__((minsize)), apply_to = function)")
#define EG_SIZE_END _Pragma("clang attribute pop")
#else
#define EG_SIZE_BEGIN
#define EG_SIZE_END
#endif

EG_SIZE_BEGIN

/* Handles are the libgpiod objects themselves; the casts keep gpiod.h out of the header. */
static struct gpiod_chip *C(eg_chip *chip) { return (struct gpiod_chip *)chip; }
static struct gpiod_line *L(eg_line *line) { return (struct gpiod_line *)line; }
static int err_or(int fallback) { return errno != 0 ? errno : fallback; }

int eg_error_kind(int err) {
  switch (err) {
    case ENOENT: case ENODEV: case ENXIO: return EG_ERR_NO_CHIP;
    case EBUSY: return EG_ERR_BUSY;
    case EACCES: case EPERM: return EG_ERR_PERMISSION;
    case EINVAL: return EG_ERR_INVALID;
    default: return EG_ERR_OTHER;
  }
}

int eg_chip_open(const char *spec, eg_chip **chip) {
  errno = 0;
  struct gpiod_chip *c = gpiod_chip_open_lookup(spec);
  /* A label or name that matches nothing can leave errno 0: report it as ENOENT. */
  if (!c) return err_or(ENOENT);
  *chip = (eg_chip *)c;
  return 0;
}

void eg_chip_close(eg_chip *chip) {
  if (chip) gpiod_chip_close(C(chip));
}

const char *eg_chip_name(eg_chip *chip) { return gpiod_chip_name(C(chip)); }
const char *eg_chip_label(eg_chip *chip) { return gpiod_chip_label(C(chip)); }
unsigned eg_chip_lines(eg_chip *chip) { return gpiod_chip_num_lines(C(chip)); }

static int get_line(eg_chip *chip, unsigned offset, struct gpiod_line **line) {
  if (offset >= gpiod_chip_num_lines(C(chip))) return EINVAL;
  errno = 0;
  *line = gpiod_chip_get_line(C(chip), offset);
  return *line ? 0 : err_or(EINVAL);
}

int eg_request_events(eg_chip *chip, unsigned offset, int edges, const char *consumer, eg_line **out) {
  struct gpiod_line *line;
  int rc = get_line(chip, offset, &line);
  if (rc) return rc;
  errno = 0;
  if (edges == EG_EDGE_RISING) rc = gpiod_line_request_rising_edge_events(line, consumer);
  else if (edges == EG_EDGE_FALLING) rc = gpiod_line_request_falling_edge_events(line, consumer);
  else rc = gpiod_line_request_both_edges_events(line, consumer);
  if (rc < 0) return err_or(EIO);
  *out = (eg_line *)line;
  return 0;
}

int eg_request_output(eg_chip *chip, unsigned offset, const char *consumer, int value, eg_line **out) {
  struct gpiod_line *line;
  int rc = get_line(chip, offset, &line);
  if (rc) return rc;
  errno = 0;
  if (gpiod_line_request_output(line, consumer, value) < 0) return err_or(EIO);
  *out = (eg_line *)line;
  return 0;
}

int eg_set_value(eg_line *line, int value) {
  errno = 0;
  return gpiod_line_set_value(L(line), value) < 0 ? err_or(EIO) : 0;
}

int eg_get_value(eg_line *line) {
  errno = 0;
  const int v = gpiod_line_get_value(L(line));
  return v < 0 ? -err_or(EIO) : v;
}

void eg_release(eg_line *line) {
  if (line) gpiod_line_release(L(line));
}

/* ---- signals ---- */

static volatile sig_atomic_t stop_flag;
static sigset_t wait_mask; /* the mask in force before install: used while waiting */

static void on_stop_signal(int signo) {
  (void)signo;
  stop_flag = 1;
}

int eg_signals_install(void) {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &block, &wait_mask) != 0) return errno;
  sigdelset(&wait_mask, SIGINT);
  sigdelset(&wait_mask, SIGTERM);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) return errno;
  return 0;
}

int eg_stop_requested(void) { return stop_flag != 0; }
void eg_request_stop(void) { stop_flag = 1; }

int eg_wait_event(eg_line *line, int64_t timeout_ns, eg_event *event) {
  if (stop_flag) return 0;
  const int fd = gpiod_line_event_get_fd(L(line));
  if (fd < 0) return -err_or(EBADF);
  struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLPRI};
  if (timeout_ns < 0) timeout_ns = 0;
  struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
  /* The stop signals are blocked everywhere else: ppoll opens the only window for them, so
   * a signal either lands before the wait (and interrupts it at once) or inside it. */
  const int rv = ppoll(&pfd, 1, &ts, &wait_mask);
  if (rv < 0) return errno == EINTR ? 0 : -errno;
  if (rv == 0) return 0;
  struct gpiod_line_event ev;
  errno = 0;
  if (gpiod_line_event_read(L(line), &ev) < 0) return -err_or(EIO);
  event->edge = ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE ? EG_EDGE_RISING : EG_EDGE_FALLING;
  event->timestamp_ns = (int64_t)ev.ts.tv_sec * 1000000000 + ev.ts.tv_nsec;
  return 1;
}

/* ---- sensor input ---- */

int eg_source_open(const char *path, eg_source *source) {
  source->fd = -1;
  source->kind = EG_SOURCE_FILE;
  if (path[0] == '-' && path[1] == 0) {
    source->fd = 0;
    source->kind = EG_SOURCE_STREAM;
    return 0;
  }
  struct stat st;
  if (stat(path, &st) != 0) return errno;
  if (S_ISDIR(st.st_mode)) return EISDIR;
  if (S_ISFIFO(st.st_mode)) {
    /* O_RDWR keeps the FIFO open with no writer, so a producer that restarts causes no EOF
     * and opening does not block until the producer appears. */
    const int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return errno;
    source->fd = fd;
    source->kind = EG_SOURCE_STREAM;
    return 0;
  }
  if (!S_ISREG(st.st_mode)) source->kind = EG_SOURCE_DEVICE;
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

void eg_source_close(eg_source *source) {
  if (source->fd > 0) close(source->fd);
  source->fd = -1;
}

static int read_full(int fd, uint8_t *buf, size_t want, size_t *got) {
  *got = 0;
  while (*got < want) {
    const ssize_t n = read(fd, buf + *got, want - *got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    *got += (size_t)n;
  }
  return 0;
}

int eg_source_read(eg_source *source, const char *path, uint8_t *buf, size_t capacity, size_t frame, size_t *size) {
  *size = 0;
  if (frame > capacity) frame = capacity;
  if (source->kind == EG_SOURCE_STREAM) return read_full(source->fd, buf, frame, size);
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  if (source->kind == EG_SOURCE_DEVICE) {
    const int rc = read_full(fd, buf, frame, size);
    close(fd);
    return rc;
  }
  int rc = read_full(fd, buf, capacity, size);
  if (rc == 0 && *size == capacity) {
    /* Find out whether the file is larger than the buffer, to report its real size. */
    struct stat st;
    uint8_t probe;
    size_t extra = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      if ((size_t)st.st_size > capacity) *size = (size_t)st.st_size;
    } else if (read_full(fd, &probe, 1, &extra) == 0 && extra) {
      *size = capacity + 1;
    }
  }
  close(fd);
  return rc;
}

/* ---- log ---- */

int eg_log_open(const char *path, int *fd) {
  *fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  return *fd < 0 ? errno : 0;
}

int eg_log_write(int fd, const void *data, size_t size) {
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

int eg_log_flush(int fd) { return fsync(fd) != 0 && errno != EINVAL ? errno : 0; }
void eg_log_close(int fd) {
  if (fd >= 0) close(fd);
}

EG_SIZE_END
