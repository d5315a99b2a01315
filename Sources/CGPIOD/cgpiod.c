// See include/cgpiod.h. One file, two implementations: libgpiod 1.x (GPIOD_LINE_BULK_MAX_LINES defined) and 2.x.
#ifdef __linux__
#define _GNU_SOURCE
#include "cgpiod.h"

#include <dirent.h>
#include <errno.h>
#if !__has_include(<gpiod.h>)
#error "<gpiod.h> not found: install libgpiod-dev (Debian, Ubuntu: apt-get install libgpiod-dev; or run Scripts/bootstrap.sh)"
#endif
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void copy_string(char *dst, size_t size, const char *src) {
    if (size == 0) return;
    snprintf(dst, size, "%s", src ? src : "");
}

static int is_digits(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

static int chip_label(const char *path, char *label, size_t size);

int cgpiod_resolve_chip(const char *chip, char *path, size_t path_size) {
    struct stat st;
    if (!chip || !*chip) {
        errno = EINVAL;
        return -1;
    }
    if (chip[0] == '/') {
        copy_string(path, path_size, chip);
    } else if (is_digits(chip)) {
        snprintf(path, path_size, "/dev/gpiochip%s", chip);
    } else {
        snprintf(path, path_size, "/dev/%s", chip);
    }
    if (stat(path, &st) == 0) return 0;
    if (chip[0] == '/' || is_digits(chip) || strncmp(chip, "gpiochip", 8) == 0) {
        errno = ENOENT;
        return -1;
    }
    // Not a node name: look for a chip with this label.
    DIR *dir = opendir("/dev");
    if (!dir) return -1;
    struct dirent *entry;
    int found = 0;
    while (!found && (entry = readdir(dir)) != NULL) {
        if (strncmp(entry->d_name, "gpiochip", 8) != 0) continue;
        char candidate[300], label[128];
        snprintf(candidate, sizeof candidate, "/dev/%s", entry->d_name);
        if (chip_label(candidate, label, sizeof label) == 0 && strcmp(label, chip) == 0) {
            copy_string(path, path_size, candidate);
            found = 1;
        }
    }
    closedir(dir);
    if (!found) {
        errno = ENOENT;
        return -1;
    }
    return 0;
}

#ifdef GPIOD_LINE_BULK_MAX_LINES
// ---------------------------------------------------------------------------------------------------------------
// libgpiod 1.x (1.6 on Debian bookworm): chips and lines are objects; a request is a line requested in place.

struct cgpiod_request {
    struct gpiod_chip *chip;
    struct gpiod_line *line;
    uint64_t seqno;
};

int cgpiod_api_major(void) { return 1; }
const char *cgpiod_library_version(void) { return gpiod_version_string(); }

static int chip_label(const char *path, char *label, size_t size) {
    struct gpiod_chip *chip = gpiod_chip_open(path);
    if (!chip) return -1;
    copy_string(label, size, gpiod_chip_label(chip));
    gpiod_chip_close(chip);
    return 0;
}

int cgpiod_chip_info(const char *path, char *name, size_t name_size, char *label, size_t label_size,
                     unsigned int *num_lines) {
    struct gpiod_chip *chip = gpiod_chip_open(path);
    if (!chip) return -1;
    copy_string(name, name_size, gpiod_chip_name(chip));
    copy_string(label, label_size, gpiod_chip_label(chip));
    *num_lines = gpiod_chip_num_lines(chip);
    gpiod_chip_close(chip);
    return 0;
}

int cgpiod_find_line(const char *path, const char *name, unsigned int *offset) {
    struct gpiod_chip *chip = gpiod_chip_open(path);
    if (!chip) return -1;
    struct gpiod_line *line = gpiod_chip_find_line(chip, name);
    int saved = errno;
    if (line) *offset = gpiod_line_offset(line);
    gpiod_chip_close(chip);
    if (!line) {
        errno = saved ? saved : ENOENT;
        return -1;
    }
    return 0;
}

int cgpiod_line_info(const char *path, unsigned int offset, char *name, size_t name_size, char *consumer,
                     size_t consumer_size, int *used) {
    struct gpiod_chip *chip = gpiod_chip_open(path);
    if (!chip) return -1;
    struct gpiod_line *line = gpiod_chip_get_line(chip, offset);
    if (!line) {
        int saved = errno;
        gpiod_chip_close(chip);
        errno = saved;
        return -1;
    }
    copy_string(name, name_size, gpiod_line_name(line));
    copy_string(consumer, consumer_size, gpiod_line_consumer(line));
    *used = gpiod_line_is_used(line) ? 1 : 0;
    gpiod_chip_close(chip);
    return 0;
}

cgpiod_request *cgpiod_request_line(const char *path, const char *consumer, const cgpiod_line_settings *s) {
    struct gpiod_line_request_config config;
    memset(&config, 0, sizeof config);
    config.consumer = consumer;
    if (s->direction == CGPIOD_DIRECTION_OUTPUT) {
        config.request_type = GPIOD_LINE_REQUEST_DIRECTION_OUTPUT;
    } else {
        switch (s->edge) {
        case CGPIOD_EDGE_RISING: config.request_type = GPIOD_LINE_REQUEST_EVENT_RISING_EDGE; break;
        case CGPIOD_EDGE_FALLING: config.request_type = GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE; break;
        case CGPIOD_EDGE_BOTH: config.request_type = GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES; break;
        default: config.request_type = GPIOD_LINE_REQUEST_DIRECTION_INPUT; break;
        }
    }
    if (s->active_low) config.flags |= GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW;
    switch (s->bias) {
    case CGPIOD_BIAS_DISABLED: config.flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE; break;
    case CGPIOD_BIAS_PULL_UP: config.flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP; break;
    case CGPIOD_BIAS_PULL_DOWN: config.flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN; break;
    default: break;
    }
    cgpiod_request *request = calloc(1, sizeof *request);
    if (!request) return NULL;
    request->chip = gpiod_chip_open(path);
    if (!request->chip) goto fail;
    request->line = gpiod_chip_get_line(request->chip, s->offset);
    if (!request->line) goto fail;
    if (gpiod_line_request(request->line, &config, s->initial_active ? 1 : 0) < 0) goto fail;
    return request;
fail: {
    int saved = errno;
    if (request->chip) gpiod_chip_close(request->chip);
    free(request);
    errno = saved;
    return NULL;
}
}

void cgpiod_release(cgpiod_request *request) {
    if (!request) return;
    gpiod_line_release(request->line);
    gpiod_chip_close(request->chip);
    free(request);
}

int cgpiod_get_value(cgpiod_request *request) { return gpiod_line_get_value(request->line); }
int cgpiod_set_value(cgpiod_request *request, int active) {
    return gpiod_line_set_value(request->line, active ? 1 : 0);
}
int cgpiod_fd(cgpiod_request *request) { return gpiod_line_event_get_fd(request->line); }

int cgpiod_wait_event(cgpiod_request *request, int64_t timeout_ns) {
    if (timeout_ns < 0) timeout_ns = 0;
    struct timespec timeout = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
    return gpiod_line_event_wait(request->line, &timeout);
}

int cgpiod_read_event(cgpiod_request *request, cgpiod_edge_event *event) {
    struct gpiod_line_event e;
    if (gpiod_line_event_read(request->line, &e) < 0) return -1;
    event->rising = e.event_type == GPIOD_LINE_EVENT_RISING_EDGE;
    event->timestamp_ns = (uint64_t)e.ts.tv_sec * 1000000000u + (uint64_t)e.ts.tv_nsec;
    event->line_seqno = ++request->seqno;
    return 0;
}

#else
// ---------------------------------------------------------------------------------------------------------------
// libgpiod 2.x: settings -> line config -> request config -> one request object owning the fd.

struct cgpiod_request {
    struct gpiod_line_request *request;
    struct gpiod_edge_event_buffer *events;  // capacity 1, allocated with the request so reads allocate nothing
    unsigned int offset;
};

int cgpiod_api_major(void) { return 2; }
const char *cgpiod_library_version(void) { return gpiod_api_version(); }

static int chip_label(const char *path, char *label, size_t size) {
    struct gpiod_chip *chip = gpiod_chip_open(path);
    if (!chip) return -1;
    struct gpiod_chip_info *info = gpiod_chip_get_info(chip);
    if (!info) {
        int saved = errno;
        gpiod_chip_close(chip);
        errno = saved;
        return -1;
    }
    copy_string(label, size, gpiod_chip_info_get_label(info));
    gpiod_chip_info_free(info);
    gpiod_chip_close(chip);
    return 0;
}

int cgpiod_chip_info(const char *path, char *name, size_t name_size, char *label, size_t label_size,
                     unsigned int *num_lines) {
    struct gpiod_chip *chip = gpiod_chip_open(path);
    if (!chip) return -1;
    struct gpiod_chip_info *info = gpiod_chip_get_info(chip);
    if (!info) {
        int saved = errno;
        gpiod_chip_close(chip);
        errno = saved;
        return -1;
    }
    copy_string(name, name_size, gpiod_chip_info_get_name(info));
    copy_string(label, label_size, gpiod_chip_info_get_label(info));
    *num_lines = (unsigned int)gpiod_chip_info_get_num_lines(info);
    gpiod_chip_info_free(info);
    gpiod_chip_close(chip);
    return 0;
}

int cgpiod_find_line(const char *path, const char *name, unsigned int *offset) {
    struct gpiod_chip *chip = gpiod_chip_open(path);
    if (!chip) return -1;
    int result = gpiod_chip_get_line_offset_from_name(chip, name);
    int saved = errno;
    gpiod_chip_close(chip);
    if (result < 0) {
        errno = saved ? saved : ENOENT;
        return -1;
    }
    *offset = (unsigned int)result;
    return 0;
}

int cgpiod_line_info(const char *path, unsigned int offset, char *name, size_t name_size, char *consumer,
                     size_t consumer_size, int *used) {
    struct gpiod_chip *chip = gpiod_chip_open(path);
    if (!chip) return -1;
    struct gpiod_line_info *info = gpiod_chip_get_line_info(chip, offset);
    if (!info) {
        int saved = errno;
        gpiod_chip_close(chip);
        errno = saved;
        return -1;
    }
    copy_string(name, name_size, gpiod_line_info_get_name(info));
    copy_string(consumer, consumer_size, gpiod_line_info_get_consumer(info));
    *used = gpiod_line_info_is_used(info) ? 1 : 0;
    gpiod_line_info_free(info);
    gpiod_chip_close(chip);
    return 0;
}

cgpiod_request *cgpiod_request_line(const char *path, const char *consumer, const cgpiod_line_settings *s) {
    struct gpiod_chip *chip = NULL;
    struct gpiod_line_settings *settings = NULL;
    struct gpiod_line_config *line_config = NULL;
    struct gpiod_request_config *request_config = NULL;
    cgpiod_request *request = calloc(1, sizeof *request);
    int saved = 0;
    if (!request) return NULL;
    request->offset = s->offset;
    chip = gpiod_chip_open(path);
    settings = gpiod_line_settings_new();
    line_config = gpiod_line_config_new();
    request_config = gpiod_request_config_new();
    request->events = gpiod_edge_event_buffer_new(1);
    if (!chip || !settings || !line_config || !request_config || !request->events) goto fail;
    if (s->direction == CGPIOD_DIRECTION_OUTPUT) {
        if (gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_OUTPUT) < 0) goto fail;
        if (gpiod_line_settings_set_output_value(settings, s->initial_active ? GPIOD_LINE_VALUE_ACTIVE
                                                                             : GPIOD_LINE_VALUE_INACTIVE) < 0)
            goto fail;
    } else {
        if (gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_INPUT) < 0) goto fail;
        enum gpiod_line_edge edge = GPIOD_LINE_EDGE_NONE;
        switch (s->edge) {
        case CGPIOD_EDGE_RISING: edge = GPIOD_LINE_EDGE_RISING; break;
        case CGPIOD_EDGE_FALLING: edge = GPIOD_LINE_EDGE_FALLING; break;
        case CGPIOD_EDGE_BOTH: edge = GPIOD_LINE_EDGE_BOTH; break;
        default: break;
        }
        if (gpiod_line_settings_set_edge_detection(settings, edge) < 0) goto fail;
        if (gpiod_line_settings_set_event_clock(settings, GPIOD_LINE_CLOCK_MONOTONIC) < 0) goto fail;
    }
    enum gpiod_line_bias bias = GPIOD_LINE_BIAS_AS_IS;
    switch (s->bias) {
    case CGPIOD_BIAS_DISABLED: bias = GPIOD_LINE_BIAS_DISABLED; break;
    case CGPIOD_BIAS_PULL_UP: bias = GPIOD_LINE_BIAS_PULL_UP; break;
    case CGPIOD_BIAS_PULL_DOWN: bias = GPIOD_LINE_BIAS_PULL_DOWN; break;
    default: break;
    }
    if (gpiod_line_settings_set_bias(settings, bias) < 0) goto fail;
    gpiod_line_settings_set_active_low(settings, s->active_low ? true : false);
    unsigned int offset = s->offset;
    if (gpiod_line_config_add_line_settings(line_config, &offset, 1, settings) < 0) goto fail;
    gpiod_request_config_set_consumer(request_config, consumer);
    request->request = gpiod_chip_request_lines(chip, request_config, line_config);
    if (!request->request) goto fail;
    gpiod_request_config_free(request_config);
    gpiod_line_config_free(line_config);
    gpiod_line_settings_free(settings);
    gpiod_chip_close(chip);  // the request keeps its own file descriptor
    return request;
fail:
    saved = errno;
    if (request_config) gpiod_request_config_free(request_config);
    if (line_config) gpiod_line_config_free(line_config);
    if (settings) gpiod_line_settings_free(settings);
    if (chip) gpiod_chip_close(chip);
    if (request->events) gpiod_edge_event_buffer_free(request->events);
    free(request);
    errno = saved ? saved : EINVAL;
    return NULL;
}

void cgpiod_release(cgpiod_request *request) {
    if (!request) return;
    gpiod_line_request_release(request->request);
    gpiod_edge_event_buffer_free(request->events);
    free(request);
}

int cgpiod_get_value(cgpiod_request *request) {
    enum gpiod_line_value value = gpiod_line_request_get_value(request->request, request->offset);
    if (value == GPIOD_LINE_VALUE_ERROR) return -1;
    return value == GPIOD_LINE_VALUE_ACTIVE ? 1 : 0;
}

int cgpiod_set_value(cgpiod_request *request, int active) {
    return gpiod_line_request_set_value(request->request, request->offset,
                                        active ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE);
}

int cgpiod_fd(cgpiod_request *request) { return gpiod_line_request_get_fd(request->request); }

int cgpiod_wait_event(cgpiod_request *request, int64_t timeout_ns) {
    if (timeout_ns < 0) timeout_ns = 0;
    return gpiod_line_request_wait_edge_events(request->request, timeout_ns);
}

int cgpiod_read_event(cgpiod_request *request, cgpiod_edge_event *event) {
    int n = gpiod_line_request_read_edge_events(request->request, request->events, 1);
    if (n < 0) return -1;
    if (n == 0) {
        errno = EAGAIN;
        return -1;
    }
    struct gpiod_edge_event *e = gpiod_edge_event_buffer_get_event(request->events, 0);
    event->rising = gpiod_edge_event_get_event_type(e) == GPIOD_EDGE_EVENT_RISING_EDGE;
    event->timestamp_ns = gpiod_edge_event_get_timestamp_ns(e);
    event->line_seqno = gpiod_edge_event_get_line_seqno(e);
    return 0;
}
#endif  // GPIOD_LINE_BULK_MAX_LINES
#endif  // __linux__
