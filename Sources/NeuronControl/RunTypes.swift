public import NeuronHAL
import Synchronization

/// A stop request shared with signal handlers: an atomic flag, so setting it is async-signal-safe.
public final class StopRequest: Sendable {
    private let flag = Atomic<Int32>(0)
    public init() {}
    /// Asks the loop to stop; `signal` is recorded for the report (e.g. SIGINT = 2).
    public func request(signal: Int32 = -1) { flag.store(signal == 0 ? -1 : signal, ordering: .relaxed) }
    public var isRequested: Bool { flag.load(ordering: .relaxed) != 0 }
    /// The signal number given to `request(signal:)`, or nil.
    public var signal: Int32? {
        let v = flag.load(ordering: .relaxed)
        return v > 0 ? v : nil
    }
}

/// How a run ended.
public enum Termination: Sendable, Hashable {
    case completed
    /// A stop was requested (SIGINT, SIGTERM, …); the signal number when known.
    case stopped(signal: Int32?)
    /// A hardware error ended the run.
    case failed(HardwareError)
    /// The overrun policy stopped the run after this many consecutive overruns.
    case overrunStorm(consecutive: Int)
}

/// Whether the safe state was reached at the end of a run.
public enum SafeStateOutcome: Sendable, Hashable {
    case reached
    case failed(HardwareError)
}

/// What the loop does when a tick runs past the next deadline.
public enum OverrunPolicy: Sendable, Hashable {
    /// Count it and carry on.
    case carryOn
    /// After this many consecutive overruns, stop through the safe state (the stimulus timing can no longer be
    /// trusted).
    case safeStateAfter(Int)
}

/// Real-time options of a run. Without a real clock (a simulated board running flat out), nothing is timed.
public struct RealtimeOptions: Sendable {
    /// The real monotonic clock ticks are timed with; nil: no timing (the loop's clock is simulated and unpaced).
    public var timingClock: (any MonotonicClock & Sendable)?
    public var overrunPolicy: OverrunPolicy
    public init(timingClock: (any MonotonicClock & Sendable)? = nil, overrunPolicy: OverrunPolicy = .carryOn) {
        self.timingClock = timingClock
        self.overrunPolicy = overrunPolicy
    }
}
