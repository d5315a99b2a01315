public import Histogram
public import NeuronHAL

/// Percentiles of one latency distribution, microseconds.
public struct LatencySummary: Sendable, Hashable, Codable {
    public var count: UInt64
    public var p50: Double
    public var p99: Double
    public var p999: Double
    public var max: Double
    public static let empty = LatencySummary(count: 0, p50: 0, p99: 0, p999: 0, max: 0)

    public init(_ h: Histogram<UInt64>) {
        count = h.totalCount
        guard count > 0 else { self = .empty; return }
        p50 = Double(h.valueAtPercentile(50)) / 1000
        p99 = Double(h.valueAtPercentile(99)) / 1000
        p999 = Double(h.valueAtPercentile(99.9)) / 1000
        max = Double(h.max) / 1000
    }
    init(count: UInt64, p50: Double, p99: Double, p999: Double, max: Double) {
        self.count = count; self.p50 = p50; self.p99 = p99; self.p999 = p999; self.max = max
    }
}

/// How the loop kept time against the real clock.
public struct LoopTimingReport: Sendable, Hashable, Codable {
    /// Whether the run was timed (a real or paced clock); the figures are empty otherwise.
    public var timed: Bool
    /// How late each wake-up from a sleep was after its deadline (what cyclictest measures). Ticks that began late
    /// because the one before overran are not wake-ups: they are counted in `catchUpTicks` instead.
    public var wakeLatencyMicros: LatencySummary
    /// From wake-up to the end of the tick's work.
    public var tickDurationMicros: LatencySummary
    /// Ticks that ended after the next deadline.
    public var overruns: Int
    public var maxConsecutiveOverruns: Int
    /// Ticks whose deadline had already passed when the previous tick ended: the loop ran them at once to catch up
    /// (every sample is taken; cyclictest, in contrast, skips the periods it missed).
    public var catchUpTicks: Int
    public static let untimed = LoopTimingReport(timed: false, wakeLatencyMicros: .empty, tickDurationMicros: .empty,
                                                 overruns: 0, maxConsecutiveOverruns: 0, catchUpTicks: 0)
}

/// Timing bookkeeping inside the engine's loop: two HDR histograms
/// allocated before the run (recording into them allocates nothing) and the overrun counters.
///
/// Use: `init` before the run, `start()` at the run's start instant, then per tick `woke(deadline:)` right after
/// the sleep and `finishTick(nextDeadline:)` once the tick's work is done (true: the overrun policy says stop);
/// `report()` at the end. Deadlines are nanoseconds from the run's start. Not thread-safe: the loop's thread owns it.
public struct LoopTimer {
    public let clock: (any MonotonicClock & Sendable)?
    /// `clock != nil`, tested first on every call: unwrapping the optional existential copies it (value witness
    /// calls on every tick), which an untimed simulated run should not pay.
    public let timed: Bool
    public let policy: OverrunPolicy
    private var wallStart: Int64 = 0
    private var wokeAt: Int64 = 0
    private var wake: Histogram<UInt64>
    private var tick: Histogram<UInt64>
    public private(set) var overruns = 0
    public private(set) var consecutiveOverruns = 0
    private var maxConsecutive = 0
    private var catchUps = 0

    public init(clock: (any MonotonicClock & Sendable)?, policy: OverrunPolicy) {
        self.clock = clock
        self.timed = clock != nil
        self.policy = policy
        // 1 ns ... 10 s at 3 significant digits: a fixed table of counts, allocated here. An untimed run records
        // nothing, so it gets the smallest table instead of 2 × 400 KB to zero and fault in.
        let highest: UInt64 = clock == nil ? 2 : 10_000_000_000
        let digits: SignificantDigits = clock == nil ? .one : .three
        wake = Histogram(highestTrackableValue: highest, numberOfSignificantValueDigits: digits)
        tick = Histogram(highestTrackableValue: highest, numberOfSignificantValueDigits: digits)
    }

    public mutating func start() {
        if timed, let clock { wallStart = clock.now.nanoseconds }
    }

    /// Real-clock time now (0 when untimed).
    @inline(__always)
    public func stamp() -> Int64 {
        guard timed, let clock else { return 0 }
        return clock.now.nanoseconds
    }

    /// Records how late the wake-up for `deadline` (ns from the start) was. Call once per tick, before
    /// `finishTick`: when the previous tick overran, this tick's deadline had passed before the loop slept, so it
    /// is a catch-up tick, not a wake-up.
    @inline(__always)
    public mutating func woke(deadline: Int64) {
        guard timed, let clock else { return }
        let n = clock.now.nanoseconds
        wokeAt = n
        if consecutiveOverruns > 0 {
            catchUps += 1
        } else {
            _ = wake.record(UInt64(Swift.max(0, n - (wallStart + deadline))))
        }
    }

    /// Records the tick's duration; returns true when the overrun policy says to stop.
    @inline(__always)
    public mutating func finishTick(nextDeadline: Int64) -> Bool {
        guard timed, let clock else { return false }
        let n = clock.now.nanoseconds
        _ = tick.record(UInt64(Swift.max(0, n - wokeAt)))
        guard nextDeadline != Int64.max, n > wallStart + nextDeadline else {
            consecutiveOverruns = 0
            return false
        }
        overruns += 1
        consecutiveOverruns += 1
        maxConsecutive = Swift.max(maxConsecutive, consecutiveOverruns)
        if case .safeStateAfter(let limit) = policy, consecutiveOverruns >= limit { return true }
        return false
    }

    public func report() -> LoopTimingReport {
        guard clock != nil else { return .untimed }
        return LoopTimingReport(timed: true, wakeLatencyMicros: LatencySummary(wake), tickDurationMicros: LatencySummary(tick),
                                overruns: overruns, maxConsecutiveOverruns: maxConsecutive, catchUpTicks: catchUps)
    }
}
