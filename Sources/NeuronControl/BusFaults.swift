public import NeuronHAL

/// What the loop does when a bus transfer fails.
///
/// - A failed membrane read is retried at once, up to `retries` more times: a conversion read has no side effect,
///   so repeating it is safe. If every attempt fails, the sample is skipped (no trace row, the detector does not
///   see it) and the run carries on, until `safeStateAfter` samples in a row have been skipped: then the run stops
///   through the safe state (the membrane can no longer be watched, so stimulating it is blind).
/// - A failed DAC write is retried the same way (an MCP4725 write sets an absolute code, so repeating it is
///   idempotent). If every attempt fails, the run stops through the safe state at once: the voltage on the
///   electrode is then unknown, and a falling edge that never landed would stretch the pulse past the board's
///   limits.
/// - Any other failure (the spike-out line) stops the run through the safe state.
///
/// The engine applies it to each neuron's membrane on its own (a skipped sample is that neuron's; any DAC write that
/// keeps failing stops the whole run).
///
/// `stopOnFirst` (no retry, stop at the first failure) is what a caller gets by default; `neuronctl run`, `sense` and
/// `network` use `tolerant` unless told otherwise (`--bus-fault-policy`).
public struct BusFaultPolicy: Sendable, Hashable, CustomStringConvertible {
    /// Extra attempts after a failed transfer that is safe to repeat (0: none).
    public var retries: Int
    /// Stop through the safe state after this many consecutive skipped samples (1: at the first).
    public var safeStateAfter: Int

    public init(retries: Int, safeStateAfter: Int) {
        precondition(retries >= 0 && safeStateAfter >= 1, "retries >= 0, safeStateAfter >= 1")
        self.retries = retries
        self.safeStateAfter = safeStateAfter
    }

    /// No retry; the first failure ends the run through the safe state.
    public static let stopOnFirst = BusFaultPolicy(retries: 0, safeStateAfter: 1)
    /// Two retries per transfer; skip samples; safe state after 10 skipped in a row (1 ms at 10 kS/s).
    public static let tolerant = BusFaultPolicy(retries: 2, safeStateAfter: 10)

    public var description: String {
        self == .stopOnFirst ? "stop" : "retry:\(retries),safe-state:\(safeStateAfter)"
    }
}

/// Bus faults the loop saw during a run, by kind and by what they cost.
public struct BusFaultReport: Sendable, Hashable, Codable {
    /// The policy, as `--bus-fault-policy` spells it.
    public var policy: String
    /// Failed transfers the loop saw (every attempt counts, retried or not).
    public var failedTransfers: Int
    /// Failed transfers by kind: "no-acknowledge", "bus-fault", "timed-out", "protocol-violation",
    /// "arbitration-lost", "other". Kinds that did not occur are left out.
    public var byKind: [String: Int]
    /// Failed membrane reads and DAC writes (attempts).
    public var adcReadFailures: Int
    public var dacWriteFailures: Int
    /// Operations that failed at first and succeeded on a retry.
    public var recoveredByRetry: Int
    /// Samples given up after every retry failed.
    public var skippedSamples: Int
    /// The longest run of consecutive skipped samples.
    public var maxConsecutiveSkipped: Int
    /// True when the policy ended the run (too many skipped samples in a row, or a DAC write that kept failing).
    public var stoppedByPolicy: Bool

    public static let none = BusFaultReport(
        policy: BusFaultPolicy.stopOnFirst.description, failedTransfers: 0, byKind: [:], adcReadFailures: 0,
        dacWriteFailures: 0, recoveredByRetry: 0, skippedSamples: 0, maxConsecutiveSkipped: 0, stoppedByPolicy: false)
}

/// The policy's bookkeeping: what each failed attempt counts for, and whether the policy allows another attempt,
/// skips the sample or stops the run. Plain integers, so counting allocates nothing (the error being counted already
/// did, in whoever threw it; the fault-free tick stays allocation-free). `BusFaultHandler` wraps it around a
/// membrane read or a DAC write.
struct BusFaultCounter {
    var noAcknowledge = 0, busFault = 0, timedOut = 0, protocolViolation = 0, arbitrationLost = 0, other = 0
    var adcReadFailures = 0, dacWriteFailures = 0, recoveredByRetry = 0
    /// The current run of skipped samples is per membrane (`BusFaultHandler.Skips`), passed to
    /// `sampleSkipped(consecutive:policy:)`.
    var skippedSamples = 0, maxConsecutiveSkipped = 0
    var stoppedByPolicy = false

    mutating func count(_ kind: HardwareError.Kind) {
        if kind.isNoAcknowledge { noAcknowledge += 1 }
        else if kind == .busFault { busFault += 1 }
        else if kind == .timedOut { timedOut += 1 }
        else if kind == .protocolViolation { protocolViolation += 1 }
        else if kind == .arbitrationLost { arbitrationLost += 1 }
        else { other += 1 }
    }

    /// Attempt `attempt` (0: the first) of a membrane read failed with `kind`: counted. True when the policy allows
    /// another attempt.
    @inline(__always)
    mutating func adcReadFailed(_ kind: HardwareError.Kind, attempt: Int, policy: BusFaultPolicy) -> Bool {
        count(kind)
        adcReadFailures += 1
        return attempt < policy.retries
    }

    /// Every attempt at a sample failed and it is skipped; `consecutive` counts it already (the membrane's run of
    /// skipped samples). True when the run must stop through the safe state.
    @inline(__always)
    mutating func sampleSkipped(consecutive: Int, policy: BusFaultPolicy) -> Bool {
        skippedSamples += 1
        maxConsecutiveSkipped = max(maxConsecutiveSkipped, consecutive)
        guard consecutive >= policy.safeStateAfter else { return false }
        // `stop` (no retry, stop at the first) is the policy ending the run only in name.
        stoppedByPolicy = policy.safeStateAfter > 1 || policy.retries > 0
        return true
    }

    /// Attempt `attempt` (0: the first) of a DAC write failed with `kind`: counted. True when the policy allows
    /// another attempt; false when the run must stop through the safe state.
    @inline(__always)
    mutating func dacWriteFailed(_ kind: HardwareError.Kind, attempt: Int, policy: BusFaultPolicy) -> Bool {
        count(kind)
        dacWriteFailures += 1
        guard attempt < policy.retries else {
            stoppedByPolicy = policy.retries > 0
            return false
        }
        return true
    }

    var failedTransfers: Int { noAcknowledge + busFault + timedOut + protocolViolation + arbitrationLost + other }

    func report(policy: BusFaultPolicy) -> BusFaultReport {
        var kinds: [String: Int] = [:]
        for (name, n) in [("no-acknowledge", noAcknowledge), ("bus-fault", busFault), ("timed-out", timedOut),
                          ("protocol-violation", protocolViolation), ("arbitration-lost", arbitrationLost), ("other", other)]
        where n > 0 { kinds[name] = n }
        return BusFaultReport(
            policy: policy.description, failedTransfers: failedTransfers, byKind: kinds, adcReadFailures: adcReadFailures,
            dacWriteFailures: dacWriteFailures, recoveredByRetry: recoveredByRetry, skippedSamples: skippedSamples,
            maxConsecutiveSkipped: maxConsecutiveSkipped, stoppedByPolicy: stoppedByPolicy)
    }
}

/// A loop's side of a `BusFaultPolicy` as one call per transfer: a membrane read or a DAC write with the policy's
/// retries, the decision to skip a sample or stop the run, and the counts for the run's `BusFaultReport`.
/// The engine goes through it for every neuron.
///
/// The fault-free path of `read` and `write` is the transfer and a reset of the caller's skip count; the retries,
/// the counting and the decision are out of line, so they cost nothing until a transfer fails. Nothing here
/// allocates.
///
/// A loop that watches several membranes keeps one `Skips` per membrane and passes it to `read`: `safeStateAfter`
/// applies to each on its own (`maxConsecutiveSkipped` in the report is the longest run on any).
///
/// Not thread-safe: a value owned by the loop's thread for the run.
public struct BusFaultHandler {
    /// One membrane's skipped samples: the current run of them, which `safeStateAfter` applies to, and the total
    /// (the one that stopped the run included).
    public struct Skips: Sendable, Hashable {
        public var consecutive = 0
        public var total = 0
        public init() {}
    }

    public let policy: BusFaultPolicy
    private var counts = BusFaultCounter()

    public init(policy: BusFaultPolicy) {
        self.policy = policy
    }

    /// After a failed first read of `membrane`: retries it up to `policy.retries` times.
    ///
    /// - Returns: the voltage (and the run in `skips` ended), or nil when every attempt failed and the sample is
    ///   to be skipped (`skips` then counts it).
    /// - Throws: the last attempt's error when this skip makes `skips.consecutive` reach `policy.safeStateAfter`
    ///   (`skips` counts it too): the caller must stop the run through the safe state.
    ///
    /// Out of line: the fault-free read (the caller's) pays nothing for it.
    @inline(never)
    public mutating func retry<Membrane: AnalogInput>(
        _ membrane: Membrane, after first: HardwareError, skips: inout Skips
    ) throws(HardwareError) -> Voltage? {
        var error = first
        var attempt = 0
        while counts.adcReadFailed(error.kind, attempt: attempt, policy: policy) {
            attempt += 1
            do {
                let v = try membrane.readVoltage()
                counts.recoveredByRetry += 1
                skips.consecutive = 0
                return v
            } catch let e {
                error = e
            }
        }
        // Every attempt failed: skip this sample, or stop once too many in a row are lost.
        skips.consecutive += 1
        skips.total += 1
        if counts.sampleSkipped(consecutive: skips.consecutive, policy: policy) { throw error }
        return nil
    }

    /// Writes `voltage` through `stimulus`, retrying a failed write up to `policy.retries` times (an absolute DAC
    /// code: repeating it is idempotent).
    ///
    /// - Throws: a value the limits refuse (`.outOfRange`) at once, uncounted: it is not a bus fault and retrying
    ///   cannot help; otherwise the last attempt's error when every attempt failed: the caller must stop the run
    ///   through the safe state.
    @inline(__always)
    public mutating func write(_ voltage: Voltage, to stimulus: SafeStimulusOutput) throws(HardwareError) {
        do {
            try stimulus.set(voltage)
        } catch {
            try writeFailed(voltage, to: stimulus, error)
        }
    }

    /// The retries after a failed first write.
    @inline(never)
    mutating func writeFailed(_ voltage: Voltage, to stimulus: SafeStimulusOutput, _ first: HardwareError) throws(HardwareError) {
        var error = first
        var attempt = 0
        while true {
            // A value refused by the limits is not a bus fault, and retrying it cannot help.
            if error.kind == .outOfRange { throw error }
            guard counts.dacWriteFailed(error.kind, attempt: attempt, policy: policy) else { throw error }
            attempt += 1
            do {
                try stimulus.set(voltage)
                counts.recoveredByRetry += 1
                return
            } catch let e {
                error = e
            }
        }
    }

    /// Failed transfers so far (every attempt counts).
    public var failedTransfers: Int { counts.failedTransfers }

    /// The counts so far, for the run's result (allocates: call it after the run).
    public func report() -> BusFaultReport { counts.report(policy: policy) }
}
