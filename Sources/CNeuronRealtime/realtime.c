#ifdef __linux__
#define _GNU_SOURCE
#include "CNeuronRealtime.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int CNeuronLinux_rt_set_fifo(int priority) {
    struct sched_param p;
    memset(&p, 0, sizeof p);
    p.sched_priority = priority;
    return pthread_setschedparam(pthread_self(), SCHED_FIFO, &p);
}

int CNeuronLinux_rt_set_affinity(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int CNeuronLinux_rt_lock_memory(void) {
    return mlockall(MCL_CURRENT | MCL_FUTURE) == 0 ? 0 : errno;
}

void CNeuronLinux_rt_unlock_memory(void) { munlockall(); }

// Touches `bytes` of stack below the caller so those pages are mapped (and locked, after mlockall) before the
// loop starts: a first touch inside a tick would be a page fault.
void CNeuronLinux_rt_prefault_stack(size_t bytes) {
    volatile unsigned char *buffer = __builtin_alloca(bytes);
    for (size_t i = 0; i < bytes; i += 4096) buffer[i] = 0;
}

int CNeuronLinux_rt_hold_dma_latency(void) {
    int fd = open("/dev/cpu_dma_latency", O_RDWR | O_CLOEXEC);
    if (fd < 0) return -errno;
    int32_t zero = 0;
    if (write(fd, &zero, sizeof zero) != (ssize_t)sizeof zero) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

void CNeuronLinux_rt_release_dma_latency(int fd) {
    if (fd >= 0) close(fd);
}

int CNeuronLinux_rt_cpu_count(void) { return (int)sysconf(_SC_NPROCESSORS_ONLN); }
#endif
