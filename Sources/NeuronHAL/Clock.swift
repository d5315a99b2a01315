/// A point on a monotonic clock, in nanoseconds from an arbitrary origin (CLOCK_MONOTONIC on Linux, zero at the
/// start of a simulation). An Int64 of nanoseconds lasts 292 years and compares in one instruction, which is why
/// the loop uses it instead of `ContinuousClock.Instant`.
public struct MonotonicInstant: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var nanoseconds: Int64
    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public static let zero = MonotonicInstant(nanoseconds: 0)
    @inlinable public static func < (a: MonotonicInstant, b: MonotonicInstant) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: MonotonicInstant, d: Duration) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: a.nanoseconds + d.nanosecondsValue)
    }
    @inlinable public static func - (a: MonotonicInstant, d: Duration) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: a.nanoseconds - d.nanosecondsValue)
    }
    @inlinable public static func - (a: MonotonicInstant, b: MonotonicInstant) -> Duration {
        .nanoseconds(a.nanoseconds - b.nanoseconds)
    }
    /// Seconds since the clock's origin (for reports and physics).
    @inlinable public var seconds: Double { Double(nanoseconds) * 1e-9 }
    public var description: String { "\(formatted(seconds, digits: 9)) s" }
}

/// A monotonic clock the loop can sleep on with absolute deadlines.
///
/// The standard library's `Clock.sleep` is `async`; the real-time loop runs on a dedicated thread and must not hop
/// executors, so this is a small blocking protocol. Linux implements `sleep(until:)` with
/// `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)`, retrying on EINTR; the simulated board implements it by
/// advancing a manual clock, so a 10 s experiment runs in milliseconds.
///
/// ## For backend authors
/// `sleep(until:)` returns at or after `deadline` (immediately if it has passed) and never throws.
public protocol MonotonicClock {
    var now: MonotonicInstant { get }
    func sleep(until deadline: MonotonicInstant)
}

extension MonotonicClock {
    @inlinable public func sleep(for duration: Duration) { sleep(until: now + duration) }
}
