// The libgpiod shim's own checks (Sources/CGPIOD/include/cgpiod.h), run against the kernel's gpio-sim in the VM
// test. Scripts/vm-test.sh compiles this file with cgpiod.c twice: against bookworm's libgpiod 1.6 (the branch the
// Swift VM tests also run) and against trixie's libgpiod 2.x (the branch current Raspberry Pi OS users get, which
// the Swift build on this machine never links). Both builds run the same checks, every function in cgpiod.h, in
// Scripts/vm/init.sh.
//
//   gpiod-shim-test API_MAJOR CHIP_DEV SIM_DIR LABEL
//
// CHIP_DEV is /dev/gpiochipN of a gpio-sim bank of 8 lines, named SHIM0..SHIM6, line 7 unnamed, labelled LABEL;
// SIM_DIR its sysfs directory (SIM_DIR/sim_gpioK/value is the level gpio-sim sees, writing pull-up or pull-down to
// SIM_DIR/sim_gpioK/pull drives an input from outside). The bank must be fresh: no line requested, all pulled down.
// Prints one PASS or FAIL line per check and a summary; exits 1 if any check failed, 2 on bad arguments.
#define _GNU_SOURCE
#include "cgpiod.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *tag;  // "gpiod v1" / "gpiod v2": which build printed a line
static const char *sim_dir;
static int checks, failures;

static void check(int ok, const char *format, ...) {
    va_list args;
    va_start(args, format);
    checks++;
    if (!ok) failures++;
    printf("[%s] %s ", tag, ok ? "PASS" : "FAIL");
    vprintf(format, args);
    putchar('\n');
    fflush(stdout);
    va_end(args);
}

static const char *errno_name(int e) {
    if (e == 0) return "0";
    const char *name = strerrorname_np(e);
    return name ? name : "?";
}

// A call that must fail with -1 (or NULL) and this errno.
static void check_errno(int failed, int saved, int want, const char *what) {
    check(failed && saved == want, "%s fails with %s (got %s, errno %s)", what, errno_name(want),
          failed ? "failure" : "success", errno_name(saved));
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void sleep_ms(long ms) {
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

// gpio-sim's side of line `offset`: the level it sees, and the pull that drives an input.
static int sim_level(unsigned int offset) {
    char path[512];
    snprintf(path, sizeof path, "%s/sim_gpio%u/value", sim_dir, offset);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int c = fgetc(f);
    fclose(f);
    return c == '1' ? 1 : c == '0' ? 0 : -1;
}

static void sim_pull(unsigned int offset, const char *pull) {
    char path[512];
    snprintf(path, sizeof path, "%s/sim_gpio%u/pull", sim_dir, offset);
    FILE *f = fopen(path, "w");
    if (!f || fputs(pull, f) < 0 || fclose(f) != 0) {
        check(0, "write %s to %s (%s)", pull, path, strerror(errno));
        return;
    }
}

static cgpiod_line_settings output(unsigned int offset, int active_low, int initial_active) {
    cgpiod_line_settings s = {.offset = offset, .direction = CGPIOD_DIRECTION_OUTPUT, .edge = CGPIOD_EDGE_NONE,
                              .bias = CGPIOD_BIAS_AS_IS, .active_low = active_low, .initial_active = initial_active};
    return s;
}

static cgpiod_line_settings input(unsigned int offset, int edge, int bias, int active_low) {
    cgpiod_line_settings s = {.offset = offset, .direction = CGPIOD_DIRECTION_INPUT, .edge = edge, .bias = bias,
                              .active_low = active_low, .initial_active = 0};
    return s;
}

// Waits up to 2 s for one edge and reads it; 0 if one came.
static int next_edge(cgpiod_request *r, cgpiod_edge_event *e) {
    int w = cgpiod_wait_event(r, 2000000000);
    if (w != 1) return -1;
    return cgpiod_read_event(r, e);
}

// No event within `ms`: the wait times out (0) no earlier than asked.
static void check_no_edge(cgpiod_request *r, long ms, const char *what) {
    uint64_t t0 = now_ns();
    int w = cgpiod_wait_event(r, (int64_t)ms * 1000000);
    uint64_t waited = now_ns() - t0;
    check(w == 0 && waited >= (uint64_t)ms * 1000000, "%s: wait(%ld ms) times out (returned %d after %.1f ms)", what,
          ms, w, waited / 1e6);
}

static void library(int major) {
    check(cgpiod_api_major() == major, "api major %d (want %d)", cgpiod_api_major(), major);
    const char *version = cgpiod_library_version();
    char want[8];
    snprintf(want, sizeof want, "%d.", major);
    check(version && strncmp(version, want, strlen(want)) == 0, "library version %s is %sx", version ? version : "(null)",
          want);
}

static void resolve(const char *chip, const char *label, const char *name) {
    char path[256], arg[64];
    errno = 0;
    int r = cgpiod_resolve_chip(chip, path, sizeof path);
    check(r == 0 && strcmp(path, chip) == 0, "resolve %s (a path) -> %s", chip, r == 0 ? path : strerror(errno));
    r = cgpiod_resolve_chip(name, path, sizeof path);
    check(r == 0 && strcmp(path, chip) == 0, "resolve %s (a node name) -> %s", name, r == 0 ? path : strerror(errno));
    snprintf(arg, sizeof arg, "%s", name + strlen("gpiochip"));
    r = cgpiod_resolve_chip(arg, path, sizeof path);
    check(r == 0 && strcmp(path, chip) == 0, "resolve %s (a number) -> %s", arg, r == 0 ? path : strerror(errno));
    r = cgpiod_resolve_chip(label, path, sizeof path);
    check(r == 0 && strcmp(path, chip) == 0, "resolve %s (a label) -> %s", label, r == 0 ? path : strerror(errno));

    static const struct { const char *chip, *what; int errno_wanted; } refused[] = {
        {"no-such-label", "resolve no-such-label", ENOENT},
        {"gpiochip99", "resolve gpiochip99", ENOENT},
        {"/dev/gpiochip99", "resolve /dev/gpiochip99", ENOENT},
        {"", "resolve \"\"", EINVAL},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        errno = 0;
        r = cgpiod_resolve_chip(refused[i].chip, path, sizeof path);
        check_errno(r == -1, errno, refused[i].errno_wanted, refused[i].what);
    }
}

static void chip_info(const char *chip, const char *label, const char *name) {
    char got_name[64], got_label[128];
    unsigned int lines = 0;
    errno = 0;
    int r = cgpiod_chip_info(chip, got_name, sizeof got_name, got_label, sizeof got_label, &lines);
    check(r == 0 && strcmp(got_name, name) == 0 && strcmp(got_label, label) == 0 && lines == 8,
          "chip info: name %s, label %s, %u lines (want %s, %s, 8)", r == 0 ? got_name : strerror(errno),
          r == 0 ? got_label : "", lines, name, label);
    errno = 0;
    r = cgpiod_chip_info("/dev/gpiochip99", got_name, sizeof got_name, got_label, sizeof got_label, &lines);
    check_errno(r == -1, errno, ENOENT, "chip info of /dev/gpiochip99");
    // Not a GPIO chip: libgpiod 1.6 says ENOTTY, 2.x ENODEV (both libraries' own choice).
    errno = 0;
    r = cgpiod_chip_info("/dev/null", got_name, sizeof got_name, got_label, sizeof got_label, &lines);
    int e = errno;
    check(r == -1 && (e == ENOTTY || e == ENODEV), "chip info of /dev/null (not a GPIO chip) fails with %s",
          errno_name(e));
}

static void lines(const char *chip) {
    unsigned int offset = 99;
    errno = 0;
    int r = cgpiod_find_line(chip, "SHIM5", &offset);
    check(r == 0 && offset == 5, "find line SHIM5 -> offset %u", offset);
    errno = 0;
    r = cgpiod_find_line(chip, "GPIO99", &offset);
    check_errno(r == -1, errno, ENOENT, "find line GPIO99 (no such name)");
    errno = 0;
    r = cgpiod_find_line("/dev/gpiochip99", "SHIM5", &offset);
    check_errno(r == -1, errno, ENOENT, "find line on /dev/gpiochip99");

    char name[64], consumer[64];
    int used = -1;
    errno = 0;
    r = cgpiod_line_info(chip, 5, name, sizeof name, consumer, sizeof consumer, &used);
    check(r == 0 && strcmp(name, "SHIM5") == 0 && consumer[0] == 0 && used == 0,
          "line info 5: name %s, consumer \"%s\", used %d (want SHIM5, \"\", 0)", r == 0 ? name : strerror(errno),
          r == 0 ? consumer : "", used);
    r = cgpiod_line_info(chip, 7, name, sizeof name, consumer, sizeof consumer, &used);
    check(r == 0 && name[0] == 0 && used == 0, "line info 7 (unnamed): name \"%s\", used %d", r == 0 ? name : "?",
          used);
    errno = 0;
    r = cgpiod_line_info(chip, 8, name, sizeof name, consumer, sizeof consumer, &used);
    check_errno(r == -1, errno, EINVAL, "line info of offset 8 (the bank has 8 lines)");
}

static void outputs(const char *chip) {
    cgpiod_line_settings s = output(0, 0, 0);
    errno = 0;
    cgpiod_request *out = cgpiod_request_line(chip, "shim-out", &s);
    check(out != NULL, "request line 0 as output, initially inactive (%s)", out ? "ok" : strerror(errno));
    if (!out) return;
    check(sim_level(0) == 0, "line 0 starts low (gpio-sim sees %d)", sim_level(0));
    char name[64], consumer[64];
    int used = 0;
    int r = cgpiod_line_info(chip, 0, name, sizeof name, consumer, sizeof consumer, &used);
    check(r == 0 && used == 1 && strcmp(consumer, "shim-out") == 0, "line info 0: used %d by \"%s\"", used,
          r == 0 ? consumer : "?");
    r = cgpiod_set_value(out, 1);
    check(r == 0 && sim_level(0) == 1 && cgpiod_get_value(out) == 1,
          "set active: gpio-sim sees %d, get returns %d", sim_level(0), cgpiod_get_value(out));
    r = cgpiod_set_value(out, 0);
    check(r == 0 && sim_level(0) == 0 && cgpiod_get_value(out) == 0,
          "set inactive: gpio-sim sees %d, get returns %d", sim_level(0), cgpiod_get_value(out));

    // The same line again, while held: EBUSY (the Swift side's .deviceBusy).
    errno = 0;
    cgpiod_request *again = cgpiod_request_line(chip, "shim-second", &s);
    int e = errno;
    check_errno(again == NULL, e, EBUSY, "request line 0 while it is held");
    if (again) cgpiod_release(again);
    cgpiod_release(out);
    r = cgpiod_line_info(chip, 0, name, sizeof name, consumer, sizeof consumer, &used);
    check(r == 0 && used == 0, "line 0 is free after release (used %d)", used);
    out = cgpiod_request_line(chip, "shim-again", &s);
    check(out != NULL, "line 0 can be requested again after release");
    if (out) cgpiod_release(out);

    // Initially active; active-low (logical active is electrical low).
    s = output(1, 0, 1);
    out = cgpiod_request_line(chip, "shim-out", &s);
    check(out && sim_level(1) == 1, "output requested initially active: gpio-sim sees %d", sim_level(1));
    if (out) cgpiod_release(out);
    s = output(2, 1, 0);
    out = cgpiod_request_line(chip, "shim-out-al", &s);
    check(out && sim_level(2) == 1, "active-low output, initially inactive: gpio-sim sees %d (want 1)",
          sim_level(2));
    if (out) {
        cgpiod_set_value(out, 1);
        check(sim_level(2) == 0 && cgpiod_get_value(out) == 1,
              "active-low output set active: gpio-sim sees %d (want 0), get returns %d", sim_level(2),
              cgpiod_get_value(out));
        cgpiod_release(out);
    }

    errno = 0;
    s = output(8, 0, 0);
    out = cgpiod_request_line(chip, "shim-bad", &s);
    e = errno;
    check_errno(out == NULL, e, EINVAL, "request offset 8 (the bank has 8 lines)");
    if (out) cgpiod_release(out);
    errno = 0;
    s = output(0, 0, 0);
    out = cgpiod_request_line("/dev/gpiochip99", "shim-bad", &s);
    e = errno;
    check_errno(out == NULL, e, ENOENT, "request a line on /dev/gpiochip99");
    if (out) cgpiod_release(out);
}

/// A request for one edge only (`rising`: 1 rising, 0 falling) on `line` reports that edge and not the other.
/// The line is left at the level the wanted edge's opposite sets (pulled up after a falling-only check, down after
/// a rising-only one).
static void single_edge(const char *chip, unsigned int line, cgpiod_line_settings s, int rising) {
    const char *name = rising ? "rising" : "falling";
    const char *wanted = rising ? "pull-up" : "pull-down", *other = rising ? "pull-down" : "pull-up";
    s.edge = rising ? CGPIOD_EDGE_RISING : CGPIOD_EDGE_FALLING;
    sim_pull(line, other);
    cgpiod_request *r = cgpiod_request_line(chip, rising ? "shim-rising" : "shim-falling", &s);
    check(r != NULL, "request line %u with %s edges only", line, name);
    if (!r) return;
    cgpiod_edge_event e = {0};
    sim_pull(line, wanted);
    int got = next_edge(r, &e);
    check(got == 0 && e.rising == rising, "%s-only: the %s edge is reported (rising %d)", name, name, e.rising);
    sim_pull(line, other);
    char what[64];
    snprintf(what, sizeof what, "%s-only: the %s edge", name, rising ? "falling" : "rising");
    check_no_edge(r, 50, what);
    cgpiod_release(r);
}

static void inputs(const char *chip) {
    // Driven from outside through gpio-sim's pull.
    sim_pull(3, "pull-up");
    cgpiod_line_settings s = input(3, CGPIOD_EDGE_NONE, CGPIOD_BIAS_AS_IS, 0);
    cgpiod_request *in = cgpiod_request_line(chip, "shim-in", &s);
    check(in != NULL, "request line 3 as input");
    if (!in) return;
    check(cgpiod_get_value(in) == 1, "input pulled up reads %d (want 1)", cgpiod_get_value(in));
    sim_pull(3, "pull-down");
    check(cgpiod_get_value(in) == 0, "input pulled down reads %d (want 0)", cgpiod_get_value(in));
    cgpiod_release(in);
    s.active_low = 1;
    in = cgpiod_request_line(chip, "shim-in-al", &s);
    check(in && cgpiod_get_value(in) == 1, "active-low input pulled down reads %d (want 1)",
          in ? cgpiod_get_value(in) : -1);
    if (in) cgpiod_release(in);

    // The request's own bias: gpio-sim applies pull-up/pull-down settings to the line.
    s = input(4, CGPIOD_EDGE_NONE, CGPIOD_BIAS_PULL_UP, 0);
    in = cgpiod_request_line(chip, "shim-bias", &s);
    check(in && cgpiod_get_value(in) == 1 && sim_level(4) == 1, "input with bias pull-up reads %d (gpio-sim %d)",
          in ? cgpiod_get_value(in) : -1, sim_level(4));
    if (in) cgpiod_release(in);
    s.bias = CGPIOD_BIAS_PULL_DOWN;
    in = cgpiod_request_line(chip, "shim-bias", &s);
    check(in && cgpiod_get_value(in) == 0 && sim_level(4) == 0, "input with bias pull-down reads %d (gpio-sim %d)",
          in ? cgpiod_get_value(in) : -1, sim_level(4));
    if (in) cgpiod_release(in);
}

static void edges(const char *chip) {
    const unsigned int line = 6;
    sim_pull(line, "pull-down");
    cgpiod_line_settings s = input(line, CGPIOD_EDGE_BOTH, CGPIOD_BIAS_AS_IS, 0);
    cgpiod_request *r = cgpiod_request_line(chip, "shim-edges", &s);
    check(r != NULL, "request line 6 as input with both edges");
    if (!r) return;
    int fd = cgpiod_fd(r);
    check(fd >= 0, "event file descriptor %d", fd);
    check(cgpiod_wait_event(r, 0) == 0, "nothing queued: wait(0) returns 0 at once");
    check(cgpiod_wait_event(r, -5) == 0, "negative timeout polls: wait(-5 ns) returns 0");
    check_no_edge(r, 20, "no edge");

    // Rising: the kernel stamps it on CLOCK_MONOTONIC, between the pull and our reading it.
    cgpiod_edge_event rising = {0}, falling = {0};
    uint64_t t0 = now_ns();
    sim_pull(line, "pull-up");
    int w = cgpiod_wait_event(r, 2000000000);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int readable = poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
    int got = w == 1 ? cgpiod_read_event(r, &rising) : -1;
    uint64_t t1 = now_ns();
    check(w == 1 && readable, "pull-up: wait returns %d, the fd is %sreadable", w, readable ? "" : "not ");
    check(got == 0 && rising.rising == 1, "rising edge read (rising %d)", rising.rising);
    check(got == 0 && rising.timestamp_ns >= t0 && rising.timestamp_ns <= t1,
          "rising edge at %.3f ms after the pull, %.3f ms before it was read (CLOCK_MONOTONIC)",
          ((double)rising.timestamp_ns - (double)t0) / 1e6, ((double)t1 - (double)rising.timestamp_ns) / 1e6);
    check(rising.line_seqno == 1, "first edge has line sequence number %llu (want 1)",
          (unsigned long long)rising.line_seqno);
    check(cgpiod_get_value(r) == 1, "line reads %d after the rising edge", cgpiod_get_value(r));
    check(cgpiod_wait_event(r, 0) == 0, "queue empty after reading the edge");

    // Falling, more than a jiffy (4 ms at HZ=250) later so even a jiffies clocksource moves on.
    sleep_ms(20);
    sim_pull(line, "pull-down");
    got = next_edge(r, &falling);
    check(got == 0 && falling.rising == 0, "pull-down: falling edge read (rising %d)", falling.rising);
    check(got == 0 && falling.timestamp_ns > rising.timestamp_ns,
          "falling edge %.3f ms after the rising one (timestamps increase)",
          ((double)falling.timestamp_ns - (double)rising.timestamp_ns) / 1e6);
    check(falling.line_seqno == rising.line_seqno + 1, "sequence number %llu follows %llu",
          (unsigned long long)falling.line_seqno, (unsigned long long)rising.line_seqno);

    // Four edges in a row, queued before any is read: all four, in order. (The kernel names a both-edges event from
    // the level its irq thread reads; in the VM, one CPU without preemption, that thread runs before each sysfs
    // write returns to us, so the level is still the one that edge set.)
    sim_pull(line, "pull-up");
    sim_pull(line, "pull-down");
    sim_pull(line, "pull-up");
    sim_pull(line, "pull-down");
    cgpiod_edge_event previous = falling;
    int in_order = 1, n = 0;
    for (; n < 4; n++) {
        cgpiod_edge_event e = {0};
        if (next_edge(r, &e) != 0) break;
        if (e.rising != (n % 2 == 0) || e.line_seqno != previous.line_seqno + 1 ||
            e.timestamp_ns < previous.timestamp_ns)
            in_order = 0;
        previous = e;
    }
    check(n == 4 && in_order, "4 queued edges read in order: %d read, alternating with consecutive sequence numbers "
                              "and non-decreasing timestamps: %s",
          n, in_order ? "yes" : "no");
    check_no_edge(r, 20, "after the burst");
    cgpiod_release(r);

    // Rising only, then falling only: the other edge is not reported.
    single_edge(chip, line, s, 1);
    single_edge(chip, line, s, 0);
    // Active-low: edges are logical, an electrical fall is a rising edge.
    s.edge = CGPIOD_EDGE_BOTH;
    s.active_low = 1;
    r = cgpiod_request_line(chip, "shim-edge-al", &s);
    check(r != NULL, "request line 6 active-low with both edges");
    if (r) {
        cgpiod_edge_event e = {0};
        sim_pull(line, "pull-down");
        int got = next_edge(r, &e);  // before check(): argument evaluation order is unspecified
        check(got == 0 && e.rising == 1, "active-low: the electrical fall is reported rising (%d)", e.rising);
        cgpiod_release(r);
    }
    cgpiod_release(NULL);  // a no-op, as documented
}

static void all_released(const char *chip) {
    int held = 0;
    for (unsigned int offset = 0; offset < 8; offset++) {
        char name[64], consumer[64];
        int used = 0;
        if (cgpiod_line_info(chip, offset, name, sizeof name, consumer, sizeof consumer, &used) != 0 || used) held++;
    }
    check(held == 0, "every line free at the end (%d held)", held);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s API_MAJOR CHIP_DEV SIM_DIR LABEL\n", argv[0]);
        return 2;
    }
    int major = atoi(argv[1]);
    const char *chip = argv[2], *label = argv[4];
    sim_dir = argv[3];
    tag = major == 2 ? "gpiod v2" : "gpiod v1";
    const char *name = strrchr(chip, '/') ? strrchr(chip, '/') + 1 : chip;

    library(major);
    resolve(chip, label, name);
    chip_info(chip, label, name);
    lines(chip);
    outputs(chip);
    inputs(chip);
    edges(chip);
    all_released(chip);
    printf("[%s] libgpiod %s through cgpiod.c: %d checks, %d failed: %s\n", tag, cgpiod_library_version(), checks,
           failures, failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
