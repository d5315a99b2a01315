import NeuronControl
import NeuronHAL
import NeuronLinux

// How a real-time run's timing and set-up read in a summary.

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
