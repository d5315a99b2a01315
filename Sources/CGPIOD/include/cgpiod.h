// CGPIOD: one small C interface over libgpiod 1.6 (Debian bookworm, Raspberry Pi OS bookworm) and libgpiod 2.x
// (Debian trixie, current Raspberry Pi OS). Their APIs are incompatible and <gpiod.h> has no version macro; only
// v1's header defines GPIOD_LINE_BULK_MAX_LINES, so cgpiod.c compiles one branch or the other from that.
// Scripts/check-gpiod-v2.sh compiles this file against trixie's 2.x headers in CI, and Scripts/vm-test.sh runs both
// branches against the kernel's gpio-sim: Scripts/vm/gpiod-shim-test.c calls every function below, built once with
// bookworm's libgpiod 1.6 and once with trixie's libgpiod.so.3.
//
// One request holds one line. Values are logical (active-low applied by the kernel through libgpiod), edges are
// logical too, and event timestamps are the kernel's CLOCK_MONOTONIC in nanoseconds (the v1 uAPI has used
// CLOCK_MONOTONIC since Linux 5.7; v2 defaults to it). v1 events carry no sequence number: the shim counts them.
//
// Errors: -1 (or NULL) with errno set, as libgpiod does. The two libraries agree on the errnos callers act on (ENOENT,
// EBUSY, EINVAL) but not on every other one: a path that exists but is not a GPIO chip is ENOTTY with 1.6, ENODEV
// with 2.x. Not thread-safe: a request belongs to one thread.
#ifndef CGPIOD_H
#define CGPIOD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __linux__

typedef struct cgpiod_request cgpiod_request;

enum { CGPIOD_DIRECTION_INPUT = 0, CGPIOD_DIRECTION_OUTPUT = 1 };
enum { CGPIOD_EDGE_NONE = 0, CGPIOD_EDGE_RISING = 1, CGPIOD_EDGE_FALLING = 2, CGPIOD_EDGE_BOTH = 3 };
enum { CGPIOD_BIAS_AS_IS = 0, CGPIOD_BIAS_DISABLED = 1, CGPIOD_BIAS_PULL_UP = 2, CGPIOD_BIAS_PULL_DOWN = 3 };

typedef struct {
    unsigned int offset;
    int direction;       // CGPIOD_DIRECTION_*
    int edge;            // CGPIOD_EDGE_*, inputs only
    int bias;            // CGPIOD_BIAS_*
    int active_low;      // non-zero: logical active is electrical low
    int initial_active;  // outputs: the logical value requested with the line
} cgpiod_line_settings;

typedef struct {
    int rising;             // 1: to active, 0: to inactive (logical)
    uint64_t timestamp_ns;  // kernel CLOCK_MONOTONIC
    uint64_t line_seqno;    // per-line sequence number (v1: counted by the shim)
} cgpiod_edge_event;

/// 1 for libgpiod 1.x, 2 for 2.x: which API this build uses.
int cgpiod_api_major(void);
/// The library's own version string (gpiod_version_string / gpiod_api_version).
const char *cgpiod_library_version(void);

/// Resolves `chip` to a character device path: an absolute path as is, `gpiochipN` or `N` under /dev, otherwise
/// a chip label (e.g. `pinctrl-rp1`, the Raspberry Pi 5 header chip whatever its number). 0, or -1 and errno
/// (ENOENT when nothing matches).
int cgpiod_resolve_chip(const char *chip, char *path, size_t path_size);
/// The chip's name, label and number of lines.
int cgpiod_chip_info(const char *path, char *name, size_t name_size, char *label, size_t label_size,
                     unsigned int *num_lines);
/// The offset of the line named `name` on the chip (as `gpioinfo` prints the name); -1 with ENOENT if none.
int cgpiod_find_line(const char *path, const char *name, unsigned int *offset);
/// Name, consumer and whether the line is in use.
int cgpiod_line_info(const char *path, unsigned int offset, char *name, size_t name_size, char *consumer,
                     size_t consumer_size, int *used);

/// Requests one line. NULL and errno on failure (EBUSY: the line is in use).
cgpiod_request *cgpiod_request_line(const char *path, const char *consumer, const cgpiod_line_settings *settings);
void cgpiod_release(cgpiod_request *request);
/// The logical value: 1 active, 0 inactive, -1 and errno.
int cgpiod_get_value(cgpiod_request *request);
int cgpiod_set_value(cgpiod_request *request, int active);
/// The file descriptor that becomes readable when an edge event is queued.
int cgpiod_fd(cgpiod_request *request);
/// Waits up to `timeout_ns` (0 polls) for an edge event: 1 one is queued, 0 timed out, -1 and errno (EINTR).
int cgpiod_wait_event(cgpiod_request *request, int64_t timeout_ns);
/// Reads one queued edge event (blocks if none is queued). 0, or -1 and errno.
int cgpiod_read_event(cgpiod_request *request, cgpiod_edge_event *event);

#endif  // __linux__
#endif  // CGPIOD_H
