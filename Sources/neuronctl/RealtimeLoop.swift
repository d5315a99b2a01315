import NeuronControl
import NeuronHAL
import NeuronLinux

// The real-time path shared by `run`, `sense` and `network`: where the loop runs and how its timing is reported.

extension RealtimeFlags {
    /// Runs `loop` (the whole run, ending in the safe state) as the run's loop. When `timed` (`--realtime`, or a
    /// hardware board), on a dedicated thread with SCHED_FIFO at `--priority`, on `--cpu`, with locked memory and
    /// the DMA-latency request, each where permitted, while this thread waits; otherwise here. Settings the system
    /// refused are printed as `real-time: ...` with the reason and the fix (the forwarding thread's too, from
    /// `forwarder`), and the run goes on. Returns the loop's result and the merged report (nil when not timed).
    func runLoop<T>(timed: Bool, forwarder: RealtimeReport?, _ loop: @escaping () -> T) -> (T, RealtimeReport?) {
        guard timed else { return (loop(), nil) }
        let settings = RealtimeSettings(priority: loopPriority, cpu: cpu, lockMemory: !noMlock)
        let job = Handover(value: loop)
        let (value, report) = RealtimeThread.run(settings) { Handover(value: job.value()) }
        var merged = report
        merged.applied += forwarder?.applied ?? []
        merged.warnings += forwarder?.warnings ?? []
        for w in merged.warnings { printWarning("real-time: \(w)") }
        return (value.value, merged)
    }
}

/// The summary lines of a timed run (none when untimed): wake-up latency, tick duration and overruns.
func timingLines(_ t: LoopTimingReport) -> [String] {
    guard t.timed else { return [] }
    func f(_ x: Double) -> String { formatted(x, digits: 1) }
    let w = t.wakeLatencyMicros, d = t.tickDurationMicros
    return [
        "wake-up latency     p50 \(f(w.p50)) us, p99 \(f(w.p99)) us, max \(f(w.max)) us (\(w.count) wake-ups; \(t.catchUpTicks) ticks run late to catch up after overruns)",
        "tick duration       p50 \(f(d.p50)) us, p99 \(f(d.p99)) us, max \(f(d.max)) us; overruns \(t.overruns) (max \(t.maxConsecutiveOverruns) in a row)",
    ]
}

/// The summary line of what the real-time setup applied and refused.
func realtimeLine(_ r: RealtimeReport) -> String {
    "real-time           " + (r.applied + r.warnings.map { "NOT APPLIED: " + $0 }).joined(separator: "; ")
}
