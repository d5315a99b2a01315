/// A deterministic clock for the simulated board: time moves only when someone sleeps on it or advances it.
///
/// `sleep(until:)` does not block; it moves `now` to the deadline (never backwards) and returns, so a 10 s
/// experiment runs in as long as the computation takes. Chip models read `now` to decide what the chip would
/// answer at that instant (conversion finished or not, EEPROM busy or not), and GPIO inputs advance it to the
/// edge they return. Shape after swift-nio's `EmbeddedEventLoop.advanceTime(by:)`.
///
/// In the HAL, next to `MonotonicClock`, so the engine can run a loop specialised for it: the loop reads and
/// sleeps on it twice per sample, and the inlined accessors cost a load and a store instead of two witness calls.
///
/// Not thread-safe and not `Sendable`: one thread owns a simulated board and everything on it, as one thread owns
/// the real hardware handles.
public final class ManualClock: MonotonicClock {
    /// Behind a pointer: every model reads `now` on every transfer, and a stored `var` of a class would pay a
    /// dynamic exclusivity check on each access (one thread owns a simulated board, so none is needed).
    @usableFromInline let state: UnsafeMutablePointer<(now: MonotonicInstant, sleepCount: Int)>

    /// The current simulated instant, in nanoseconds from the start of the simulation.
    @inlinable public var now: MonotonicInstant { state.pointee.now }

    /// How many times `sleep(until:)` was called (a cheap counter, so tests can see a driver waited).
    public var sleepCount: Int { state.pointee.sleepCount }

    /// A clock starting at `start` (zero by default).
    public init(start: MonotonicInstant = .zero) {
        state = .allocate(capacity: 1)
        state.initialize(to: (start, 0))
    }

    deinit { state.deallocate() }

    /// Moves `now` to `deadline` if it is later; returns immediately otherwise (a deadline in the past is not an
    /// error on a real clock either). Never moves time backwards.
    @inlinable
    public func sleep(until deadline: MonotonicInstant) {
        state.pointee.sleepCount &+= 1
        if deadline > state.pointee.now { state.pointee.now = deadline }
    }

    /// Moves time forward by `duration`. Traps on a negative duration: a monotonic clock cannot go back, and
    /// asking it to is a programmer error in the test.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "ManualClock cannot go backwards")
        state.pointee.now = now + duration
    }

    /// Moves time forward to `instant`; does nothing if `instant` is not later than `now`.
    public func advance(to instant: MonotonicInstant) {
        if instant > now { state.pointee.now = instant }
    }
}
