import ArgumentParser
import Foundation
import NeuronControl
import NeuronLinux
import Synchronization

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
    func resolve(loopCPU: Int?) -> Int? {
        switch choice {
        case .loop: loopCPU
        case .any: nil
        case .cpu(let n): n
        }
    }

    /// Whether that CPU is the loop's (`loop`), where the forwarder goes only with a real-time priority below
    /// the loop's (`RealtimeThread.setUpHelperThread`'s `cpuNeedsPriority`). A CPU given by number is the user's call.
    var sharesLoopCPU: Bool { choice == .loop }

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

/// What the forwarding thread's setup reports, written on that thread and read after `start` returns.
private final class SetupReportBox: Sendable {
    let report = Mutex(RealtimeReport())
}

/// Starts `forwarder`. For a real-time run, its thread is set up first, as `run --realtime` and `bench-forwarding`
/// both do: SCHED_FIFO one priority below the loop (none when the loop has no real-time priority, or has the lowest),
/// placed by `--forwarder-cpu` (on the loop's CPU only with that priority), stack prefaulted; each where permitted. Returns what was applied and refused, for the
/// run's real-time report (nil when not real time).
func startForwarder(_ forwarder: SpikeForwarder, realtime: Bool, loopPriority: Int32?, loopCPU: Int?,
                    placement: ForwarderCPUArgument) -> RealtimeReport? {
    guard realtime else {
        forwarder.start()
        return nil
    }
    // A polling forwarder never sleeps: in a real-time class the kernel would throttle it (and everything of that
    // class on its CPU); in the normal class on a CPU of its own it just keeps that CPU.
    let priority: Int32? = forwarder.waiting == .poll ? nil : loopPriority.flatMap { $0 > 1 ? $0 - 1 : nil }
    let cpu = placement.resolve(loopCPU: loopCPU), needsPriority = placement.sharesLoopCPU
    let box = SetupReportBox()
    forwarder.start {
        let r = RealtimeThread.setUpHelperThread(
            "forwarder", priority: priority, cpu: cpu, cpuNeedsPriority: needsPriority,
            consequence: ", so each spike waits for the normal scheduler before it is forwarded (forwarding latency)")
        box.report.withLock { $0 = r }
    }
    return box.report.withLock { $0 }
}
