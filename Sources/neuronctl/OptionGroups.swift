import ArgumentParser
import Foundation
import NeuronControl
import NeuronSession

// Option groups shared by the commands that run neurons (house style §9, argument-parser's `@OptionGroup`): a flag
// declared here has the same name, help text, default and parsing in every command that takes it. `BoardOptions`
// (--board) is in Neuronctl.swift. A group has no title, so its flags stay in the command's OPTIONS list, in the
// order the command declares its groups.

/// `--neuron`: which of the board's neurons a single-neuron command drives (`run`, `sense`).
struct NeuronOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Neuron channel id from the board file (default: the first).", valueName: "id"))
    var neuron: Int?
}

/// `--amplitude`, `--width`, `--frequency`: the pulse (`run`; `sense`, where the coded parameter replaces its
/// flag's value; `simulate population`).
struct PulseOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Pulse amplitude (volts unless a unit is given).", valueName: "V"))
    var amplitude = VoltageArgument(.volts(0.75))

    @Option(help: ArgumentHelp("Pulse width (milliseconds unless a unit is given).", valueName: "ms"))
    var width = DurationArgument<Milliseconds>(.milliseconds(5))

    @Option(help: ArgumentHelp("Pulse frequency (Hz).", valueName: "Hz"))
    var frequency = FrequencyArgument(.hertz(33))
}

/// `--sample-rate`, `--seed`, `--model`: how a run on a board samples its neurons, and what the simulated board's
/// neurons are (`run`, `sense`, `network`). The rate is checked against the board's limits once the board is loaded.
struct SamplingOptions: ParsableArguments {
    @Option(name: .customLong("sample-rate"), help: ArgumentHelp("Membrane sampling rate of every neuron (Hz).", valueName: "Hz"))
    var sampleRate = FrequencyArgument(.hertz(10_000))

    @Option(help: ArgumentHelp("Random seed of the simulated neurons (default: the board file's).", valueName: "n"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("Neuron physics of the simulated board: device, paper or deterministic (default: the board file's).", valueName: "model"))
    var model: ModelOption?
}

/// `--record`, `--json`: what a run on a board keeps for `neuronctl replay` and how it prints its summary (`run`,
/// `sense`, `network`).
struct ReportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Save board, protocol, ADC trace, pulses and spikes to this recording (JSON) for `neuronctl replay`.", valueName: "file"))
    var record: String?

    @Flag(help: "Print the summary as JSON instead of text.")
    var json = false

    func validate() throws {
        if let record, record.isEmpty { throw ValidationError("--record needs a file name, e.g. --record run.json") }
    }
}

/// `--priority`, `--cpu`, `--forwarder-cpu`, `--forwarder-poll`, `--no-mlock`: where the loop's thread and the
/// forwarding thread run and how (`RealtimeFlags` of `run`, `sense`, `network`; `bench-forwarding`, whose producer
/// stands in for the loop and is set up the same way).
struct ThreadPlacementFlags: ParsableArguments {
    @Option(help: ArgumentHelp("SCHED_FIFO priority of the loop thread in a real-time run (1-99; 0: normal scheduling); the forwarder runs one below.", valueName: "n"))
    var priority: Int32 = 80

    @Option(help: ArgumentHelp("Pin the loop thread to this CPU in a real-time run.", valueName: "n"))
    var cpu: Int?

    @Option(name: .customLong("forwarder-cpu"), help: ArgumentHelp(ForwarderCPUArgument.help, valueName: "cpu"))
    var forwarderCPU = ForwarderCPUArgument(.any)

    @Flag(name: .customLong("forwarder-poll"), help: ArgumentHelp(ForwarderCPUArgument.pollHelp))
    var forwarderPoll = false

    @Flag(name: .customLong("no-mlock"), help: "In a real-time run, do not lock the process's memory.")
    var noMlock = false

    func validate() throws {
        guard (0...99).contains(priority) else {
            throw ValidationError("--priority \(priority): SCHED_FIFO priorities are 1-99 (0 keeps normal scheduling)")
        }
        if let cpu, cpu < 0 { throw ValidationError("--cpu \(cpu): CPU numbers start at 0") }
        if forwarderPoll { try forwarderCPU.validatePolling(loopCPU: cpu, loopFlag: "--cpu") }
    }

    /// The loop thread's SCHED_FIFO priority; nil for normal scheduling (`--priority 0`).
    var loopPriority: Int32? { priority == 0 ? nil : priority }

    /// Where the loop and forwarding threads run, as a real-time plan (enabled).
    var plan: RealtimePlan {
        var p = RealtimePlan()
        p.enabled = true
        p.priority = loopPriority
        p.cpu = cpu
        p.lockMemory = !noMlock
        p.forwarder = forwarderCPU.placement
        p.forwarderPolls = forwarderPoll
        return p
    }
}

/// `--realtime`, `--overrun-policy` and the thread placement (`ThreadPlacementFlags`): how a run's loop keeps real
/// time (`run`, `sense`, `network`). With `--realtime` (always on a hardware board) the loop runs on a
/// `RealtimeThread` set up with these settings, each where permitted (what is refused is printed with the fix), and
/// its ticks are timed against the real clock with the overrun policy; a simulated board is paced by that clock.
struct RealtimeFlags: ParsableArguments {
    @Flag(help: "Run the loop on a real-time thread (SCHED_FIFO, --cpu, locked memory, each where permitted) and time its ticks; a simulated board is paced by the real clock, as hardware would run.")
    var realtime = false

    @OptionGroup var placement: ThreadPlacementFlags

    @Option(name: .customLong("overrun-policy"), help: ArgumentHelp("carry-on, or safe-state:N to stop after N consecutive overruns.", valueName: "policy"))
    var overrunPolicy = OverrunPolicyArgument(.carryOn)

    var priority: Int32 { placement.priority }
    var cpu: Int? { placement.cpu }
    var forwarderCPU: ForwarderCPUArgument { placement.forwarderCPU }
    var noMlock: Bool { placement.noMlock }
    var loopPriority: Int32? { placement.loopPriority }

    /// How the forwarding thread waits: polling only when the run is timed, i.e. when the forwarder's thread is set
    /// up and placed on its CPU (an unplaced poller would spin wherever the scheduler put it).
    func forwarderWaiting(timed: Bool) -> ForwarderWaiting { placement.forwarderPoll && timed ? .poll : .block }

    /// The flags as a session's real-time plan.
    var plan: RealtimePlan {
        var p = placement.plan
        p.enabled = realtime
        p.overrunPolicy = overrunPolicy.policy
        return p
    }
}
