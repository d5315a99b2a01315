import ArgumentParser
import NeuronControl
import NeuronHAL
import NeuronSession

/// `--bus-fault-policy`, `--inject-faults`: what a run does when a bus transfer fails, and (simulated boards only)
/// faults to test that with (`run`, `sense`, `network`). One option group (declared here, beside the argument types,
/// like the groups in OptionGroups.swift), so the flags read and parse the same in every command.
struct BusFaultOptions: ParsableArguments {
    @Option(name: .customLong("bus-fault-policy"), help: ArgumentHelp(BusFaultPolicyArgument.help, valueName: "policy"))
    var busFaultPolicy = BusFaultPolicyArgument(.tolerant)

    @Option(name: .customLong("inject-faults"), help: ArgumentHelp(FaultInjectionArgument.help, valueName: "rate"))
    var injectFaults: FaultInjectionArgument?

    var policy: BusFaultPolicy { busFaultPolicy.policy }
}

/// The summary's `bus faults` line (nil when no transfer failed), for `run`, `sense` and `network` alike.
func busFaultLine(_ f: BusFaultReport) -> String? {
    guard f.failedTransfers > 0 || f.stoppedByPolicy else { return nil }
    let kinds = f.byKind.keys.sorted().map { "\($0) \(f.byKind[$0]!)" }.joined(separator: ", ")
    return "bus faults          \(f.failedTransfers) failed transfers (\(kinds)); recovered by retry \(f.recoveredByRetry), samples skipped \(f.skippedSamples) (max \(f.maxConsecutiveSkipped) in a row); policy \(f.policy)"
}

/// `--bus-fault-policy stop | retry:R,safe-state:N` (see `BusFaultPolicy`).
struct BusFaultPolicyArgument: ExpressibleByArgument, Sendable {
    var policy: BusFaultPolicy
    init(_ p: BusFaultPolicy) { policy = p }
    init?(argument: String) {
        if argument == "stop" { policy = .stopOnFirst; return }
        var retries: Int?, limit: Int?
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            let kv = part.split(separator: ":", omittingEmptySubsequences: false)
            guard kv.count == 2, let n = Int(kv[1]) else { return nil }
            switch kv[0] {
            case "retry" where retries == nil && (0...10).contains(n): retries = n
            case "safe-state" where limit == nil && (1...1_000_000).contains(n): limit = n
            default: return nil
            }
        }
        guard let retries, let limit else { return nil }
        policy = BusFaultPolicy(retries: retries, safeStateAfter: limit)
    }
    var defaultValueDescription: String { policy.description }
    static let help = "stop (first failure ends the run), or retry:R,safe-state:N: retry each failed transfer R times (0-10), skip a sample whose reads all failed, stop through the safe state after N skipped in a row; a DAC write that fails R+1 times always stops the run."
}

/// `--inject-faults RATE` or `--inject-faults nak=P,eio=P,timeout=P,corrupt=P`: seeded random faults on every
/// simulated bus (per transfer), for testing the bus-fault policy on the mock board.
struct FaultInjectionArgument: ExpressibleByArgument, Sendable {
    var injection: FaultInjection
    init?(argument: String) {
        if let p = Double(argument) {
            guard p.isFinite, (0...1).contains(p) else { return nil }
            injection = .rate(p)
            return
        }
        var f = FaultInjection()
        var seen = Set<Substring>()
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            let kv = part.split(separator: "=", omittingEmptySubsequences: false)
            guard kv.count == 2, let p = Double(kv[1]), p.isFinite, (0...1).contains(p), seen.insert(kv[0]).inserted else { return nil }
            switch kv[0] {
            case "nak": f.nak = p
            case "eio": f.eio = p
            case "timeout": f.timeout = p
            case "corrupt": f.corrupt = p
            default: return nil
            }
        }
        guard f.nak + f.eio + f.timeout <= 1 else { return nil }
        injection = f
    }
    static let help = "Simulated boards only: make each bus transfer fail with this probability (NAK, EIO, timeout) and corrupt each read reply with it, seeded by --seed; or give rates per kind: nak=P,eio=P,timeout=P,corrupt=P."
}
