import ArgumentParser
import Foundation
import NeuronControl
import NeuronSession

/// `--forwarder-cpu any | loop | N`: where the spike forwarding thread runs in a real-time run.
///
/// `any` (the default) leaves it to the scheduler. `loop` puts it on the loop's CPU (`--cpu`), and only when the
/// forwarder has a real-time priority below the loop's: there it runs exactly while the loop sleeps between ticks
/// and is preempted at each deadline, and the loop wakes it without an inter-processor interrupt, which shortens
/// the median hand-over. Its tail follows the loop's lateness, though: a forwarder on the loop's CPU also waits
/// whenever the loop catches up after a late wake-up. So it is a choice for a target whose loop wakes on time (an
/// isolated core, PREEMPT_RT), to be confirmed with `bench-forwarding` there; figures in docs/benchmarks.md.
struct ForwarderCPUArgument: ExpressibleByArgument, Sendable, Hashable {
    enum Choice: Sendable, Hashable {
        case loop, any
        case cpu(Int)
    }
    var choice: Choice
    init(_ choice: Choice) { self.choice = choice }
    init?(argument: String) {
        switch argument {
        case "loop": choice = .loop
        case "any": choice = .any
        default:
            guard let n = Int(argument), n >= 0 else { return nil }
            choice = .cpu(n)
        }
    }
    var defaultValueDescription: String { "any" }
    static let help = "CPU of the spike forwarding thread with --realtime: any (the scheduler's choice), loop (the loop's --cpu), or a number."

    /// The CPU to pin the forwarder to, given the loop's; nil leaves it to the scheduler.
    /// Whether that CPU is the loop's (`loop`), where the forwarder goes only with a real-time priority below
    /// the loop's (`RealtimeThread.setUpHelperThread`'s `cpuNeedsPriority`). A CPU given by number is the user's call.
    var placement: ForwarderPlacement {
        switch choice {
        case .loop: .loop
        case .any: .any
        case .cpu(let n): .cpu(n)
        }
    }

    static let pollHelp = "With --realtime: the forwarding thread polls the ring instead of sleeping (no wake-up in the forwarding latency, no syscall in the loop per spike). It takes a whole CPU: needs --forwarder-cpu N, a CPU other than the loop's; it runs in the normal scheduling class there."

    /// `--forwarder-poll` needs a CPU of its own for the forwarder: a number, and not the loop's.
    func validatePolling(loopCPU: Int?, loopFlag: String) throws {
        guard case .cpu(let n) = choice else {
            throw ValidationError("--forwarder-poll needs --forwarder-cpu N: a CPU for the polling forwarder alone (it never sleeps), e.g. --forwarder-cpu 2")
        }
        if let loopCPU, loopCPU == n {
            throw ValidationError("--forwarder-poll with --forwarder-cpu \(n): that is the loop's CPU (\(loopFlag) \(n)); a polling forwarder would take the loop's CPU whenever the loop sleeps. Give it another CPU.")
        }
    }
}
