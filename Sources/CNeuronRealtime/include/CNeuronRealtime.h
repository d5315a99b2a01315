// Real-time setup of the control loop's thread: scheduling class, CPU affinity, locked and prefaulted memory,
// and the PM QoS request that keeps CPUs out of deep idle states. Each returns 0 or an errno value.
#pragma once
#include <stddef.h>

int CNeuronLinux_rt_set_fifo(int priority);
int CNeuronLinux_rt_set_affinity(int cpu);
int CNeuronLinux_rt_lock_memory(void);
void CNeuronLinux_rt_unlock_memory(void);
void CNeuronLinux_rt_prefault_stack(size_t bytes);
// Opens /dev/cpu_dma_latency and writes 0 (µs); returns the fd to keep open, or -errno.
int CNeuronLinux_rt_hold_dma_latency(void);
void CNeuronLinux_rt_release_dma_latency(int fd);
int CNeuronLinux_rt_cpu_count(void);
