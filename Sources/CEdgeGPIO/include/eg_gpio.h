/*
 * eg_gpio.h: the GPIO and sensor-input seam of `edgerun watch`.
 *
 * Wraps the libgpiod 1.6 (v1) API behind opaque handles so that Swift never sees gpiod.h and
 * the same code links statically on x86_64 and aarch64. Functions return 0 on success or an
 * errno value (ENOENT no such chip, EBUSY line taken, EACCES/EPERM no permission, EINVAL bad
 * offset); they never print and never allocate after the lines are requested.
 */
#ifndef EG_GPIO_H
#define EG_GPIO_H

#include <stddef.h>
#include <stdint.h>

typedef struct eg_chip eg_chip;
typedef struct eg_line eg_line;

/* Error kinds of an errno value from this seam (so Swift needs no errno.h). */
enum { EG_ERR_OTHER = 0, EG_ERR_NO_CHIP = 1, EG_ERR_BUSY = 2, EG_ERR_PERMISSION = 3, EG_ERR_INVALID = 4 };
int eg_error_kind(int err);

/* Edge selection for eg_request_events. */
enum { EG_EDGE_RISING = 1, EG_EDGE_FALLING = 2, EG_EDGE_BOTH = 3 };

/* Opens a chip by /dev path, name ("gpiochip0"), label ("pinctrl-bcm2711") or number. */
int eg_chip_open(const char *spec, eg_chip **chip);
void eg_chip_close(eg_chip *chip);
/* Name, label and line count of an open chip (strings owned by the chip). */
const char *eg_chip_name(eg_chip *chip);
const char *eg_chip_label(eg_chip *chip);
unsigned eg_chip_lines(eg_chip *chip);

/* Requests edge events on `offset` as `consumer`. */
int eg_request_events(eg_chip *chip, unsigned offset, int edges, const char *consumer, eg_line **line);
/* Requests `offset` as an output driven to `value` (0 or 1). */
int eg_request_output(eg_chip *chip, unsigned offset, const char *consumer, int value, eg_line **line);
int eg_set_value(eg_line *line, int value);
/* Current level of a requested line: 0, 1, or -errno. */
int eg_get_value(eg_line *line);
void eg_release(eg_line *line);

/* One edge: 1 rising or 2 falling, with the kernel's timestamp (CLOCK_MONOTONIC on Linux >= 5.7). */
typedef struct eg_event {
  int edge;
  int64_t timestamp_ns;
} eg_event;

/* Waits up to `timeout_ns` for an edge. Returns 1 with *event filled, 0 on timeout or when a
 * stop signal arrived (check eg_stop_requested), or -errno. SIGINT and SIGTERM are only
 * delivered inside this wait (see eg_signals_install), so no inference is interrupted. */
int eg_wait_event(eg_line *line, int64_t timeout_ns, eg_event *event);

/* Blocks SIGINT and SIGTERM for the process and installs handlers that set a stop flag;
 * eg_wait_event unblocks them only while it sleeps. */
int eg_signals_install(void);
int eg_stop_requested(void);
/* Sets the stop flag as a signal would (tests and error paths). */
void eg_request_stop(void);

/* Sensor input. A regular file is read whole on every event; a device is opened on every
 * event and one frame read from it; a FIFO or standard input ("-") stays open and gives one
 * frame per event. */
enum { EG_SOURCE_FILE = 0, EG_SOURCE_STREAM = 1, EG_SOURCE_DEVICE = 2 };
typedef struct eg_source {
  int fd;        /* open descriptor for stream sources, -1 otherwise */
  int kind;      /* EG_SOURCE_* */
} eg_source;

int eg_source_open(const char *path, eg_source *source);
void eg_source_close(eg_source *source);
/* Reads one input into buf. Files: the whole file; *size may exceed `capacity` (then the data
 * is cut and the caller reports the size). Streams and devices: exactly `frame` bytes
 * (<= capacity); a short read at end of data gives *size < frame. */
int eg_source_read(eg_source *source, const char *path, uint8_t *buf, size_t capacity, size_t frame, size_t *size);

/* Appends to a log file (created 0644); eg_log_flush makes it durable. */
int eg_log_open(const char *path, int *fd);
int eg_log_write(int fd, const void *data, size_t size);
int eg_log_flush(int fd);
void eg_log_close(int fd);

#endif
