public import NeuronHAL

/// A deterministic clock for the simulated board: time moves only when someone sleeps on it or advances it.
///
/// `sleep(until:)` does not block; it moves `now` to the deadline (never backwards) and returns, so a 10 s
/// experiment runs in as long as the computation takes. Chip models read `now` to decide what the chip would
/// answer at that instant (conversion finished or not, EEPROM busy or not), and GPIO inputs advance it to the
/// edge they return. Shape after swift-nio's `EmbeddedEventLoop.advanceTime(by:)`.
///
/// Not thread-safe and not `Sendable`: one thread owns a simulated board and everything on it, as one thread owns
/// the real hardware handles.
public final class ManualClock: MonotonicClock {
    private struct State {
        var now: MonotonicInstant
        var sleepCount = 0
    }
    /// Behind a pointer: every model reads `now` on every transfer, so it skips dynamic exclusivity checks.
    private let state: UncheckedStorage<State>

    /// The current simulated instant, in nanoseconds from the start of the simulation.
    public var now: MonotonicInstant {
        get { state.pointer.pointee.now }
    }

    /// How many times `sleep(until:)` was called (a cheap counter, so tests can see a driver waited).
    public var sleepCount: Int { state.pointer.pointee.sleepCount }

    /// A clock starting at `start` (zero by default).
    public init(start: MonotonicInstant = .zero) {
        self.state = UncheckedStorage(State(now: start))
    }

    /// Moves `now` to `deadline` if it is later; returns immediately otherwise (a deadline in the past is not an
    /// error on a real clock either). Never moves time backwards.
    public func sleep(until deadline: MonotonicInstant) {
        let s = state.pointer
        s.pointee.sleepCount += 1
        if deadline > s.pointee.now { s.pointee.now = deadline }
    }

    /// Moves time forward by `duration`. Traps on a negative duration: a monotonic clock cannot go back, and
    /// asking it to is a programmer error in the test.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "ManualClock cannot go backwards")
        state.pointer.pointee.now = now + duration
    }

    /// Moves time forward to `instant`; does nothing if `instant` is not later than `now`.
    public func advance(to instant: MonotonicInstant) {
        if instant > now { state.pointer.pointee.now = instant }
    }
}
