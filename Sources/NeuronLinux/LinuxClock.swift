public import NeuronHAL

/// `CLOCK_MONOTONIC`, the clock of the kernel's GPIO edge timestamps, so `EdgeEvent.timestamp` and `now` compare
/// directly. `sleep(until:)` is `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)`, retried on EINTR: with an
/// absolute deadline a retry neither drifts nor oversleeps.
///
/// Stateless, so it is `Sendable`; any thread may use it.
public struct LinuxClock: MonotonicClock, Sendable {
    public init() {}
    public var now: MonotonicInstant { MonotonicInstant(nanoseconds: Syscalls.monotonicNow()) }
    public func sleep(until deadline: MonotonicInstant) {
        _ = Syscalls.sleepUntil(deadline.nanoseconds)
    }
}
