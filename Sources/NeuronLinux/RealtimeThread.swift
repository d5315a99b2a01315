import CNeuronRealtime
import Foundation

/// How the control loop's thread is set up. Each setting is applied where the system permits it; where it does
/// not, the run goes on and the report says what was refused and how to allow it.
public struct RealtimeSettings: Sendable, Hashable {
    /// SCHED_FIFO priority 1...99; nil leaves the thread in the normal scheduling class.
    public var priority: Int32?
    /// Pin the thread to this CPU (an isolated one, ideally); nil leaves it free.
    public var cpu: Int?
    /// mlockall(MCL_CURRENT | MCL_FUTURE): no page faults once running (buffers allocated later are locked too).
    public var lockMemory: Bool
    /// Stack to touch before the loop starts, bytes.
    public var prefaultStack: Int
    /// Hold /dev/cpu_dma_latency at 0 while running, so no CPU enters a deep idle state (wake-up latency).
    public var holdDMALatency: Bool

    public init(priority: Int32? = 80, cpu: Int? = nil, lockMemory: Bool = true, prefaultStack: Int = 256 << 10,
                holdDMALatency: Bool = true) {
        self.priority = priority
        self.cpu = cpu
        self.lockMemory = lockMemory
        self.prefaultStack = prefaultStack
        self.holdDMALatency = holdDMALatency
    }
}

/// What was applied and what was refused (with the reason and the fix).
public struct RealtimeReport: Sendable, Hashable, Codable {
    public var applied: [String] = []
    public var warnings: [String] = []
    public init(applied: [String] = [], warnings: [String] = []) {
        self.applied = applied
        self.warnings = warnings
    }
}

/// Runs a body (the control loop) on a dedicated thread with real-time settings, and waits for it.
public enum RealtimeThread {
    /// Runs `body` on a new thread with `settings` applied where permitted; returns its result and the report.
    /// Memory locking and the DMA-latency request are process-wide and undone when the body returns.
    public static func run<T: Sendable>(_ settings: RealtimeSettings, _ body: @escaping @Sendable () -> T) -> (T, RealtimeReport) {
        let box = ResultBox<T>()
        let thread = Thread {
            var report = RealtimeReport()
            var dmaFD: Int32 = -1
            var locked = false
            if settings.lockMemory {
                let e = CNeuronLinux_rt_lock_memory()
                if e == 0 {
                    locked = true
                    report.applied.append("memory locked (mlockall MCL_CURRENT|MCL_FUTURE)")
                } else {
                    report.warnings.append("memory not locked: mlockall failed (\(describe(e))). Fix: raise RLIMIT_MEMLOCK (ulimit -l unlimited, or LimitMEMLOCK=infinity in the systemd unit), or run with CAP_IPC_LOCK")
                }
            }
            if settings.prefaultStack > 0 {
                CNeuronLinux_rt_prefault_stack(settings.prefaultStack)
                report.applied.append("stack prefaulted (\(settings.prefaultStack >> 10) KiB)")
            }
            if let cpu = settings.cpu {
                let e = CNeuronLinux_rt_set_affinity(Int32(cpu))
                if e == 0 {
                    report.applied.append("pinned to CPU \(cpu)")
                } else {
                    report.warnings.append("not pinned to CPU \(cpu) (\(describe(e))). Fix: choose a CPU between 0 and \(CNeuronLinux_rt_cpu_count() - 1) that this process may use (see isolcpus / cpuset)")
                }
            }
            if let priority = settings.priority {
                let e = CNeuronLinux_rt_set_fifo(priority)
                if e == 0 {
                    report.applied.append("SCHED_FIFO priority \(priority)")
                } else {
                    report.warnings.append("SCHED_FIFO priority \(priority) refused (\(describe(e))); running in the normal class. Fix: grant CAP_SYS_NICE (setcap cap_sys_nice+ep on the binary), or an rtprio limit (limits.conf / LimitRTPRIO=99), rather than running as root")
                }
            }
            if settings.holdDMALatency {
                let fd = CNeuronLinux_rt_hold_dma_latency()
                if fd >= 0 {
                    dmaFD = fd
                    report.applied.append("/dev/cpu_dma_latency held at 0 us")
                } else {
                    report.warnings.append("/dev/cpu_dma_latency not held (\(describe(-fd))). Fix: make it writable for this user (udev rule in Scripts/) or accept deeper CPU idle states")
                }
            }
            if settings.priority != nil {
                // Not a setting: what bounds the loop's wake-ups from below, reported with the others.
                let kernel = KernelPreemption.current.reportLine
                if kernel.applied { report.applied.append(kernel.text) } else { report.warnings.append(kernel.text) }
            }
            let value = body()
            CNeuronLinux_rt_release_dma_latency(dmaFD)
            if locked { CNeuronLinux_rt_unlock_memory() }
            box.set(value, report)
        }
        thread.name = "neuronhil-loop"
        thread.stackSize = max(1 << 20, settings.prefaultStack * 2)
        thread.start()
        return box.wait()
    }

    /// Sets up the calling thread as a real-time helper of the loop, such as the spike forwarder: SCHED_FIFO at
    /// `priority` and pinned to `cpu`, each where permitted, and `prefaultStack` bytes of stack touched. What the
    /// system refuses comes back as a warning with the reason and the fix, as for the loop's own thread, and the
    /// thread goes on in the normal class. Memory locking is process-wide: `run` does it for the loop.
    ///
    /// `cpuNeedsPriority`: `cpu` is the loop's own CPU, where the helper belongs only with a real-time priority
    /// below the loop's (then the loop preempts it at every deadline); without one it would compete with the loop
    /// for that CPU, so it is left unpinned and the report says why.
    /// `role` names the thread in the report ("forwarder"); `consequence` says what a refused priority costs.
    public static func setUpHelperThread(_ role: String, priority: Int32?, cpu: Int? = nil, cpuNeedsPriority: Bool = false,
                                         prefaultStack: Int = 64 << 10, consequence: String = "") -> RealtimeReport {
        var report = RealtimeReport()
        if prefaultStack > 0 {
            CNeuronLinux_rt_prefault_stack(prefaultStack)
            report.applied.append("\(role): stack prefaulted (\(prefaultStack >> 10) KiB)")
        }
        var prioritized = false
        if let priority {
            let e = CNeuronLinux_rt_set_fifo(priority)
            if e == 0 {
                prioritized = true
                report.applied.append("\(role): SCHED_FIFO priority \(priority)")
            } else {
                report.warnings.append("\(role): SCHED_FIFO priority \(priority) refused (\(describe(e))); running in the normal class\(consequence). Fix: grant CAP_SYS_NICE (setcap cap_sys_nice+ep on the binary), or an rtprio limit (limits.conf / LimitRTPRIO=99), rather than running as root")
            }
        }
        if let cpu {
            if cpuNeedsPriority && !prioritized {
                let note = "\(role): not pinned to the loop's CPU \(cpu): without a real-time priority below the loop's it would compete with the loop there"
                if priority == nil { report.applied.append(note) } else { report.warnings.append(note + ". Fix: as for the priority above") }
            } else {
                let e = CNeuronLinux_rt_set_affinity(Int32(cpu))
                if e == 0 {
                    report.applied.append("\(role): pinned to CPU \(cpu)")
                } else {
                    report.warnings.append("\(role): not pinned to CPU \(cpu) (\(describe(e))). Fix: choose a CPU between 0 and \(CNeuronLinux_rt_cpu_count() - 1) that this process may use (see isolcpus / cpuset)")
                }
            }
        }
        return report
    }

    static func describe(_ e: Int32) -> String {
        "\(String(cString: strerror(e))), errno \(e)"
    }
}

/// Hands the body's result back to the waiting thread.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var value: T?
    private var report = RealtimeReport()
    func set(_ v: T, _ r: RealtimeReport) {
        value = v
        report = r
        done.signal()
    }
    func wait() -> (T, RealtimeReport) {
        done.wait()
        return (value!, report)
    }
}
