import NeuronHAL

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
/// `stopOnFirst` (no retry, stop at the first failure) is what a caller gets by default; `neuronctl run` uses
/// `tolerant` unless told otherwise (`--bus-fault-policy`).
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

/// The loop's fault counters: plain integers, so counting allocates nothing (the error being counted already did,
/// in whoever threw it; the fault-free tick stays allocation-free).
struct BusFaultCounter {
    var noAcknowledge = 0, busFault = 0, timedOut = 0, protocolViolation = 0, arbitrationLost = 0, other = 0
    var adcReadFailures = 0, dacWriteFailures = 0, recoveredByRetry = 0
    var skippedSamples = 0, consecutiveSkipped = 0, maxConsecutiveSkipped = 0
    var stoppedByPolicy = false

    mutating func count(_ kind: HardwareError.Kind) {
        if kind.isNoAcknowledge { noAcknowledge += 1 }
        else if kind == .busFault { busFault += 1 }
        else if kind == .timedOut { timedOut += 1 }
        else if kind == .protocolViolation { protocolViolation += 1 }
        else if kind == .arbitrationLost { arbitrationLost += 1 }
        else { other += 1 }
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
