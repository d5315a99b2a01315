public import NeuronHAL

/// A manual monotonic clock for driver tests: `sleep(until:)` returns at once after moving `now` to the deadline,
/// and every sleep is recorded, so a test can assert that a driver waited long enough (and on which deadlines)
/// without waiting itself. Time moves only through `sleep` and `advance(by:)` (NIO `EmbeddedEventLoop` style).
///
/// Not thread-safe and not `Sendable`: one test owns it.
public final class TestClock: MonotonicClock {
    /// One call to `sleep(until:)`: when it was called and the deadline it was given.
    public struct Sleep: Hashable, Sendable, CustomStringConvertible {
        public var from: MonotonicInstant
        public var until: MonotonicInstant
        /// How long the caller asked to sleep (zero if the deadline had passed).
        public var duration: Duration { until > from ? until - from : .zero }
        public var description: String { "sleep \(from) -> \(until)" }
    }

    public private(set) var now: MonotonicInstant
    /// Every sleep, in call order.
    public private(set) var sleeps: [Sleep] = []

    public init(now: MonotonicInstant = .zero) { self.now = now }

    public func sleep(until deadline: MonotonicInstant) {
        sleeps.append(Sleep(from: now, until: deadline))
        if deadline > now { now = deadline }
    }

    /// Moves time forward without recording a sleep (time spent elsewhere, e.g. by the test itself).
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "a monotonic clock cannot go back")
        now = now + duration
    }

    /// The sum of all recorded sleep durations.
    public var totalSlept: Duration { sleeps.reduce(.zero) { $0 + $1.duration } }
}
