public import NeuronHAL

/// Fault injection for one simulated bus, device or line: makes transfers fail or replies arrive corrupted, so the
/// drivers' and the control loop's error paths (retry, safe state) can be tested without a broken board.
///
/// Shape after Zephyr's `i2c_emul` `mock_api` override and swift-system's `ForceErrno.counted`: the override is
/// consulted before the chip model sees the transfer, so a failed transfer never reaches the model (the model's
/// state is what the hardware would hold had the address byte, or the first data byte, not been acknowledged).
///
/// Order of precedence on each transfer: a pending `failNext` count, then the seeded random `rate`. Corruption is
/// applied to successful reads only. Everything is deterministic for a given seed and a given sequence of calls.
///
/// Not thread-safe and not `Sendable`: owned by the thread that owns the simulated board.
public final class SimFaults {
    fileprivate struct State {
        var forcedCount = 0
        var forcedKind: HardwareError.Kind = .busFault
        var failureProbability = 0.0
        var failureKinds: [HardwareError.Kind] = []
        var failureRNG = SimRandom(seed: 0)
        var corruptionProbability = 0.0
        var corruptionRNG = SimRandom(seed: 0)
        var forcedCorruptions = 0
        var injectedFailures = 0
        var corruptedReplies = 0
    }
    private let storage = UncheckedStorage(State())
    private var s: UnsafeMutablePointer<State> { storage.pointer }

    /// Transfers that failed because of this injector.
    public var injectedFailures: Int { s.pointee.injectedFailures }
    /// Replies in which this injector flipped a bit.
    public var corruptedReplies: Int { s.pointee.corruptedReplies }
    /// Transfers this injector was consulted on (failed or not).
    public var consulted: Int { consultations }

    // Read on every transfer, from the inlined transfer paths; one thread owns a sim board, so no exclusivity checks.
    @usableFromInline @exclusivity(unchecked) var consultations = 0
    /// Whether anything was ever injected since the last `reset()`: while false, a transfer skips the injector's
    /// draws with one test.
    @usableFromInline @exclusivity(unchecked) var armed = false

    public init() {}

    /// The next `count` transfers fail with `kind` (e.g. `.noAcknowledge(.address)` for a chip that browned out,
    /// `.timedOut` for a stretched clock). Replaces any pending count.
    public func failNext(_ count: Int, with kind: HardwareError.Kind) {
        precondition(count >= 0)
        armed = true
        s.pointee.forcedCount = count
        s.pointee.forcedKind = kind
    }

    /// Each transfer fails with probability `probability` (0...1), with a kind drawn uniformly from `kinds`, from a
    /// generator seeded with `seed`. A probability of 0 turns random failures off.
    public func rate(_ probability: Double, kinds: [HardwareError.Kind], seed: UInt64) {
        precondition((0...1).contains(probability), "probability must be in 0...1")
        precondition(probability == 0 || !kinds.isEmpty, "give at least one kind to inject")
        armed = true
        s.pointee.failureProbability = probability
        s.pointee.failureKinds = kinds
        s.pointee.failureRNG = SimRandom(seed: seed)
    }

    /// Each successful read reply has one random bit flipped with probability `probability` (0...1), from a
    /// generator seeded with `seed`: the bus reports success and the data is wrong, as with a marginal pull-up or
    /// crosstalk on MISO. Drivers cannot detect this on chips without CRC; the test checks the loop copes.
    public func corruptReads(_ probability: Double, seed: UInt64) {
        precondition((0...1).contains(probability), "probability must be in 0...1")
        armed = true
        s.pointee.corruptionProbability = probability
        s.pointee.corruptionRNG = SimRandom(seed: seed)
    }

    /// The next `count` successful non-empty read replies each have one random bit flipped (drawn from the
    /// corruption generator, seeded by `corruptReads(_:seed:)`, seed 0 by default).
    public func corruptNextReads(_ count: Int) {
        precondition(count >= 0)
        armed = true
        s.pointee.forcedCorruptions = count
    }

    /// Turns every injection off and zeroes the counters.
    public func reset() {
        s.pointee = State()
        consultations = 0
        armed = false
    }

    /// Whether the next transfer must fail, and how. Consumes one forced failure or one random draw. The check for
    /// "nothing injected" is inlined into every transfer; the draw is not.
    @inlinable @inline(__always)
    func nextFailure() -> HardwareError.Kind? {
        consultations &+= 1
        return armed ? drawFailure() : nil
    }

    /// Counts a transfer the injector has nothing to do on (nothing injected since `reset()`) and says so; false
    /// leaves the transfer to `nextFailure` and `corrupt`, which count it. For transfer paths that keep the
    /// injector's work out of line.
    @inlinable @inline(__always)
    func passes() -> Bool {
        if armed { return false }
        consultations &+= 1
        return true
    }

    /// Flips one bit of `reply` if a corruption is due. No allocation.
    @inlinable @inline(__always)
    func corrupt(_ reply: UnsafeMutableRawBufferPointer) {
        if armed { corruptIfDue(reply) }
    }

    @usableFromInline @inline(never)  // the rare path: kept out of every transfer's frame
    func drawFailure() -> HardwareError.Kind? {
        let st = s
        guard st.pointee.forcedCount > 0 || st.pointee.failureProbability > 0 else { return nil }
        return st.pointee.drawFailure()
    }

    @usableFromInline @inline(never)
    func corruptIfDue(_ reply: UnsafeMutableRawBufferPointer) {
        let st = s
        guard st.pointee.forcedCorruptions > 0 || st.pointee.corruptionProbability > 0 else { return }
        st.pointee.corrupt(reply)
    }
}

fileprivate extension SimFaults.State {
    mutating func drawFailure() -> HardwareError.Kind? {
        if forcedCount > 0 {
            forcedCount -= 1
            injectedFailures += 1
            return forcedKind
        }
        if failureProbability > 0, failureRNG.nextUnit() < failureProbability {
            injectedFailures += 1
            return failureKinds[failureRNG.nextIndex(below: failureKinds.count)]
        }
        return nil
    }

    mutating func corrupt(_ reply: UnsafeMutableRawBufferPointer) {
        guard reply.count > 0 else { return }
        let due: Bool
        if forcedCorruptions > 0 {
            forcedCorruptions -= 1
            due = true
        } else if corruptionProbability > 0 {
            due = corruptionRNG.nextUnit() < corruptionProbability
        } else {
            due = false
        }
        guard due else { return }
        let bit = corruptionRNG.nextIndex(below: reply.count * 8)
        reply[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
        corruptedReplies += 1
    }
}
