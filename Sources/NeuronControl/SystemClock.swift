import Foundation
public import NeuronHAL

/// The process's monotonic clock (CLOCK_MONOTONIC on Linux, through `SuspendingClock`), for timing ticks and
/// stamping events. Its `sleep(until:)` is a portable fallback with scheduler-grade precision; the real-time path
/// on Linux sleeps with `clock_nanosleep(TIMER_ABSTIME)` instead (NeuronLinux's clock).
public final class SystemClock: MonotonicClock, Sendable {
    private let origin = SuspendingClock.now
    public init() {}
    public var now: MonotonicInstant {
        MonotonicInstant(nanoseconds: (SuspendingClock.now - origin).nanosecondsValue)
    }
    public func sleep(until deadline: MonotonicInstant) {
        let wait = deadline.nanoseconds - now.nanoseconds
        if wait > 0 { Thread.sleep(forTimeInterval: Double(wait) * 1e-9) }
    }
}
