// The real-time setup of helper threads (the spike forwarder): what is refused is reported with the reason and
// the fix, and the thread goes on. Run on a thread of their own, so a setting that the system does grant never
// changes a test runner's thread; the requests below are ones no system grants (EINVAL), with or without privileges.

import Foundation
import NeuronLinux
import Testing

@Suite("Real-time helper threads")
struct RealtimeHelperTests {
    /// Runs `body` on a new thread and returns its result.
    func onOwnThread(_ body: @escaping @Sendable () -> RealtimeReport) -> RealtimeReport {
        final class Box: @unchecked Sendable {  // written by the thread before `done.signal()`, read after `wait()`
            var report = RealtimeReport()
            let done = DispatchSemaphore(value: 0)
        }
        let box = Box()
        let thread = Thread {
            box.report = body()
            box.done.signal()
        }
        thread.start()
        box.done.wait()
        return box.report
    }

    @Test("A refused priority and a refused CPU are warnings naming the thread, the reason and the fix")
    func refusalsAreWarnings() {
        let report = onOwnThread {
            RealtimeThread.setUpHelperThread("forwarder", priority: 100, cpu: 1 << 20, prefaultStack: 16 << 10,
                                             consequence: ", which costs latency")
        }
        #expect(report.warnings.count == 2, "\(report)")
        let priority = report.warnings.first { $0.contains("SCHED_FIFO priority 100 refused") }
        #expect(priority?.hasPrefix("forwarder: ") == true)
        #expect(priority?.contains("errno 22") == true)
        #expect(priority?.contains("running in the normal class, which costs latency") == true)
        #expect(priority?.contains("Fix: grant CAP_SYS_NICE") == true)
        let cpu = report.warnings.first { $0.contains("not pinned to CPU \(1 << 20)") }
        #expect(cpu?.hasPrefix("forwarder: ") == true)
        #expect(cpu?.contains("Fix: choose a CPU between 0 and") == true)
        #expect(report.applied == ["forwarder: stack prefaulted (16 KiB)"])
    }

    @Test("Nothing asked, nothing refused")
    func nothingAsked() {
        let report = onOwnThread { RealtimeThread.setUpHelperThread("forwarder", priority: nil, cpu: nil, prefaultStack: 0) }
        #expect(report == RealtimeReport())
    }
}

@Suite("Real-time helper threads on the loop's CPU")
struct RealtimeHelperPlacementTests {
    @Test("Without a real-time priority of its own, a helper is not put on the loop's CPU, and the report says why")
    func loopCPUNeedsAPriority() {
        let helper = RealtimeHelperTests()
        let unasked = helper.onOwnThread {
            RealtimeThread.setUpHelperThread("forwarder", priority: nil, cpu: 0, cpuNeedsPriority: true, prefaultStack: 0)
        }
        #expect(unasked.warnings.isEmpty)
        #expect(unasked.applied == ["forwarder: not pinned to the loop's CPU 0: without a real-time priority below the loop's it would compete with the loop there"])

        let refused = helper.onOwnThread {
            RealtimeThread.setUpHelperThread("forwarder", priority: 100, cpu: 0, cpuNeedsPriority: true, prefaultStack: 0)
        }
        #expect(refused.applied.isEmpty)
        #expect(refused.warnings.count == 2, "\(refused)")
        #expect(refused.warnings.first?.contains("SCHED_FIFO priority 100 refused") == true)
        #expect(refused.warnings.last?.hasPrefix("forwarder: not pinned to the loop's CPU 0") == true)
        #expect(refused.warnings.last?.hasSuffix("Fix: as for the priority above") == true)
    }
}

@Suite("Kernel preemption model")
struct KernelPreemptionTests {
    @Test("PREEMPT_RT is recognised from /sys/kernel/realtime or uname -v")
    func realtime() {
        #expect(KernelPreemption.classify(realtimeFlag: "1\n", version: "#1 SMP PREEMPT_DYNAMIC", dynamicModes: nil, commandLine: nil) == .realtime)
        #expect(KernelPreemption.classify(realtimeFlag: nil, version: "#1 SMP PREEMPT_RT Debian 6.12.57-1", dynamicModes: nil, commandLine: nil) == .realtime)
        #expect(KernelPreemption.realtime.reportLine.applied)
    }

    @Test("a PREEMPT_DYNAMIC kernel's mode comes from debugfs, else from preempt= on the command line")
    func dynamic() {
        let v = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)"
        #expect(KernelPreemption.classify(realtimeFlag: nil, version: v, dynamicModes: "none (voluntary) full\n", commandLine: nil) == .limited("voluntary"))
        #expect(KernelPreemption.classify(realtimeFlag: nil, version: v, dynamicModes: "none voluntary (full) lazy\n", commandLine: nil) == .full)
        #expect(KernelPreemption.classify(realtimeFlag: nil, version: v, dynamicModes: "none voluntary full (lazy)\n", commandLine: nil) == .full)
        #expect(KernelPreemption.classify(realtimeFlag: nil, version: v, dynamicModes: nil,
                                          commandLine: "BOOT_IMAGE=/vmlinuz root=/dev/sda1 preempt=full quiet\n") == .full)
        #expect(KernelPreemption.classify(realtimeFlag: nil, version: v, dynamicModes: nil, commandLine: "root=/dev/sda1 preempt=none") == .limited("none"))
        let unknown = KernelPreemption.classify(realtimeFlag: nil, version: v, dynamicModes: nil, commandLine: "root=/dev/sda1 quiet")
        #expect(unknown == .dynamicUnknown)
        #expect(!unknown.reportLine.applied && unknown.reportLine.text.contains("preempt=full"))
    }

    @Test("a static kernel is fully preemptible only with PREEMPT in its version; the warning names the fix")
    func staticKernels() {
        #expect(KernelPreemption.classify(realtimeFlag: nil, version: "#1 SMP PREEMPT Mon Jan 1", dynamicModes: nil, commandLine: nil) == .full)
        let plain = KernelPreemption.classify(realtimeFlag: "0", version: "#1 SMP Mon Jan 1", dynamicModes: nil, commandLine: nil)
        #expect(plain == .limited("none or voluntary"))
        #expect(!plain.reportLine.applied && plain.reportLine.text.contains("PREEMPT_RT"))
    }
}
