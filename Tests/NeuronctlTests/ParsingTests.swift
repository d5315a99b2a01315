// Argument parsing in process (house style §9: `parseAsRoot`), fast and without a board: unit suffixes, defaults,
// cross-field `validate()` errors. What happens after parsing (board limits, files, signals) is tested through
// the executable in RunCommandTests.swift.

import ArgumentParser
@testable import neuronctl
import Testing
import NeuronSession
import NeuronSinks

@Suite struct ParsingTests {
    func parseRun(_ args: [String]) throws -> RunCommand {
        let command = try Neuronctl.parseAsRoot(["run"] + args)
        return try #require(command as? RunCommand)
    }

    /// `--board` names a built-in board or a file by its spelling alone (`BoardSource(argument:)`), whatever exists
    /// in the working directory; the commands receive a reference that `BoardLoader.load(path:)` loads.
    @Test func boardNamesABuiltInBoardOrAFile() throws {
        #expect(try parseRun(["--board", "mock"]).boardOptions.board == "built-in:mock")
        #expect(try parseRun(["--board", "built-in:mock"]).boardOptions.board == "built-in:mock")
        #expect(try parseRun(["--board", "Boards/mock.yaml"]).boardOptions.board == "Boards/mock.yaml")
        #expect(try parseRun(["--board", "my-board.yml"]).boardOptions.board == "my-board.yml")
        #expect(try parseRun(["--board", "/etc/neuronhil/rpi4"]).boardOptions.board == "/etc/neuronhil/rpi4")
        #expect(throws: (any Error).self) { _ = try parseRun(["--board", "mok"]) }
        let message = Neuronctl.message(for: BoardOptionsError.capture { _ = try parseRun(["--board", "mok"]) })
        #expect(message.contains("no built-in board named 'mok'") && message.contains("./mok"), "\(message)")
        #expect(try Neuronctl.parseAsRoot(["board", "show"]) is BoardCommand.Show)
    }

    @Test func defaultsAreTheFig2cProtocol() throws {
        let run = try parseRun([])
        #expect(run.pulse.amplitude.voltage.volts == 0.75)
        #expect(run.pulse.width.duration == .milliseconds(5))
        #expect(run.pulse.frequency.frequency.hertz == 33)
        #expect(run.flags.sampling.sampleRate.frequency.hertz == 10_000)
        #expect(run.pulseCount == 100)
        #expect(run.boardOptions.board == "built-in:mock")
        #expect(run.flags.outputs.output == "neuronhil-out")
        #expect(!run.flags.reporting.json && !run.flags.realtimeFlags.realtime && !run.flags.outputs.noTrace)
        #expect(run.flags.sampling.seed == nil && run.flags.sampling.model == nil)
        #expect(run.flags.outputs.traceFormat == .csv)
    }

    @Test func traceFormat() throws {
        var plan = OutputPlan()
        try parseRun(["--trace-format", "npy"]).flags.outputs.apply(to: &plan)
        #expect(plan.traceFormat == .npy && plan.trace)
        #expect(throws: (any Error).self) { try parseRun(["--trace-format", "hdf5"]) }
    }

    @Test func unitSuffixes() throws {
        let run = try parseRun([
            "--amplitude", "750mV", "--width", "2500us", "--frequency", "0.1kHz", "--sample-rate", "10k",
            "--duration", "2s", "--model", "paper", "--seed", "42",
        ])
        #expect(abs(run.pulse.amplitude.voltage.volts - 0.75) < 1e-12)
        #expect(run.pulse.width.duration == .microseconds(2500))
        #expect(run.pulse.frequency.frequency.hertz == 100)
        #expect(run.flags.sampling.sampleRate.frequency.hertz == 10_000)
        #expect(run.duration?.duration == .seconds(2))
        #expect(run.pulseCount == 200)  // whole periods in 2 s at 100 Hz
        #expect(run.flags.sampling.model == .paper)
        #expect(run.flags.sampling.seed == 42)
    }

    @Test func bareNumbersTakeTheDocumentedUnits() throws {
        let run = try parseRun(["--amplitude", "0.5", "--width", "5", "--duration", "1"])
        #expect(run.pulse.amplitude.voltage.volts == 0.5)  // volts
        #expect(run.pulse.width.duration == .milliseconds(5))  // milliseconds
        #expect(run.duration?.duration == .seconds(1))  // seconds
        #expect(run.pulseCount == 33)
    }

    @Test(arguments: [
        (["--amplitude", "abc"], "'abc'"),
        (["--width", "-1"], "--width"),
        (["--frequency", "0"], "--frequency"),
        (["--pulses", "0"], "at least 1"),
        (["--pulses", "5", "--duration", "1"], "not both"),
        (["--duration", "10ms"], "shorter than one period"),
        (["--model", "bogus"], "'bogus'"),
        (["--seed", "-3"], "--seed"),
    ])
    func refusedWithAUsageError(args: [String], message: String) {
        do {
            _ = try parseRun(args)
            Issue.record("\(args) was accepted")
        } catch {
            #expect(Neuronctl.exitCode(for: error) == .validationFailure)  // 64, EX_USAGE
            #expect(Neuronctl.message(for: error).contains(message), "\(Neuronctl.message(for: error))")
        }
    }

    /// The OPTIONS line of `help` that describes `flag` (help printed wide enough that no description wraps).
    func helpLine(_ flag: String, in help: String) -> String? {
        help.split(separator: "\n").first { $0.hasPrefix("  \(flag) ") }.map(String.init)
    }

    @Test("run, sense and network describe the flags they share with the same words (one option group each)")
    func sharedFlagsReadTheSame() {
        let run = RunCommand.helpMessage(columns: 1000)
        let sense = SenseCommand.helpMessage(columns: 1000)
        let network = NetworkCommand.helpMessage(columns: 1000)
        let population = SimulateCommand.Population.helpMessage(columns: 1000)
        for flag in ["--board", "--sample-rate", "--seed", "--model", "--record", "--json", "--bus-fault-policy", "--inject-faults"] {
            let line = helpLine(flag, in: run)
            #expect(line != nil, "run --help lacks \(flag)")
            #expect(helpLine(flag, in: sense) == line && helpLine(flag, in: network) == line, "\(flag)")
        }
        for flag in ["--neuron", "--amplitude", "--width", "--frequency"] {
            let line = helpLine(flag, in: run)
            #expect(line != nil && helpLine(flag, in: sense) == line, "\(flag)")
        }
        for flag in ["--amplitude", "--width", "--frequency"] {
            #expect(helpLine(flag, in: population) == helpLine(flag, in: run), "\(flag)")
        }
    }

    @Test("run, sense and network parse and refuse the shared flags alike", arguments: [
        ["run"], ["sense", "--input", "in.csv"], ["network", "--network", "net.yaml", "--duration", "1"],
    ])
    func sharedFlagsParseAlike(command: [String]) throws {
        let parsed = try Neuronctl.parseAsRoot(command + ["--sample-rate", "5k", "--seed", "7", "--model", "paper", "--record", "r.json", "--json"])
        let groups: (SamplingOptions, ReportOptions)? = switch parsed {
        case let c as RunCommand: (c.flags.sampling, c.flags.reporting)
        case let c as SenseCommand: (c.flags.sampling, c.flags.reporting)
        case let c as NetworkCommand: (c.flags.sampling, c.flags.reporting)
        default: nil
        }
        let (sampling, reporting) = try #require(groups)
        #expect(sampling.sampleRate.frequency.hertz == 5000 && sampling.seed == 7 && sampling.model == .paper)
        #expect(reporting.record == "r.json" && reporting.json)
        for bad in [["--sample-rate", "0"], ["--model", "bogus"], ["--record", ""]] {
            #expect(throws: (any Error).self, "\(command[0]) \(bad)") { try Neuronctl.parseAsRoot(command + bad) }
        }
    }

    @Test func subcommandsAreRegistered() throws {
        #expect(try Neuronctl.parseAsRoot(["board", "validate", "x.yaml"]) is BoardCommand.Validate)
        #expect(try Neuronctl.parseAsRoot(["bench", "--pulses", "3"]) is BenchCommand)
        #expect(throws: (any Error).self) { try Neuronctl.parseAsRoot(["bench", "--repetitions", "0"]) }
        let check = try #require(try Neuronctl.parseAsRoot(["paper-check", "--model", "paper", "--json"]) as? PaperCheckCommand)
        #expect(check.model == .paper && check.json && check.trains == 200 && check.pulses == 300)
        #expect(throws: (any Error).self) { try Neuronctl.parseAsRoot(["paper-check", "--model", "deterministic"]) }
        let population = try #require(try Neuronctl.parseAsRoot(["simulate", "population"]) as? SimulateCommand.Population)
        #expect(population.error == .pooledRMS)
    }

    @Test func forwarderCPUIsFreeByDefault() throws {
        let run = try parseRun(["--realtime", "--cpu", "1"])
        #expect(run.flags.realtimeFlags.forwarderCPU.choice == .any)
        #expect(run.flags.realtimeFlags.forwarderCPU.placement == .any)
        let loop = try parseRun(["--realtime", "--cpu", "1", "--forwarder-cpu", "loop"]).flags.realtimeFlags.forwarderCPU
        #expect(loop.placement == .loop)
        let numbered = try parseRun(["--realtime", "--forwarder-cpu", "0"]).flags.realtimeFlags.forwarderCPU
        #expect(numbered.placement == .cpu(0))
    }

    @Test func forwarderPollsOnlyWhenAskedAndTimed() throws {
        let plain = try parseRun(["--realtime", "--cpu", "1"]).flags.realtimeFlags
        #expect(!plain.placement.forwarderPoll && plain.forwarderWaiting(timed: true) == .block)
        let polling = try parseRun(["--realtime", "--cpu", "1", "--forwarder-cpu", "0", "--forwarder-poll"]).flags.realtimeFlags
        #expect(polling.forwarderWaiting(timed: true) == .poll)
        #expect(polling.forwarderWaiting(timed: false) == .block, "an untimed run does not place the forwarder")
        let network = try #require(try Neuronctl.parseAsRoot(
            ["network", "--network", "Boards/networks/two-neuron-loop.yaml", "--duration", "1", "--realtime", "--forwarder-cpu", "1",
             "--forwarder-poll"]) as? NetworkCommand)
        #expect(network.flags.realtimeFlags.placement.forwarderPoll)
    }

    @Test(arguments: [
        (["--forwarder-cpu", "-1", "--realtime"], "--forwarder-cpu"),
        (["--forwarder-cpu", "same"], "'same'"),
        (["--realtime", "--forwarder-poll"], "needs --forwarder-cpu N"),
        (["--realtime", "--cpu", "0", "--forwarder-cpu", "0", "--forwarder-poll"], "the loop's CPU"),
    ])
    func forwarderCPURefused(args: [String], message: String) {
        do {
            _ = try parseRun(args)
            Issue.record("\(args) was accepted")
        } catch {
            #expect(Neuronctl.exitCode(for: error) == .validationFailure)
            #expect(Neuronctl.message(for: error).contains(message), "\(Neuronctl.message(for: error))")
        }
    }

    func parseForwardingBench(_ args: [String]) throws -> ForwardingBenchCommand {
        try #require(try Neuronctl.parseAsRoot(["bench-forwarding"] + args) as? ForwardingBenchCommand)
    }

    @Test func forwardingBenchDefaults() throws {
        let bench = try parseForwardingBench([])
        #expect(bench.spikes == 5000)
        #expect(bench.rate.frequency.hertz == 500)
        #expect(bench.tickRate.frequency.hertz == 10_000)
        #expect(bench.ticksPerSpike == 20)
        #expect(bench.placement.priority == 80)
        #expect(bench.placement.cpu == nil && bench.udp == nil)
        #expect(bench.placement.forwarderCPU.choice == .any)
        #expect(!bench.placement.noMlock && !bench.noRecord && !bench.json)
        let custom = try parseForwardingBench(["--spikes", "300", "--rate", "33Hz", "--tick-rate", "20k", "--cpu", "1",
                                               "--forwarder-cpu", "loop", "--udp", "10.0.0.2:8991", "--no-record"])
        #expect(custom.spikes == 300 && custom.ticksPerSpike == 606 && custom.placement.cpu == 1 && custom.noRecord)
        #expect(custom.placement.forwarderCPU.choice == .loop && custom.udp == "10.0.0.2:8991")
        #expect(!bench.placement.forwarderPoll)
        let polling = try parseForwardingBench(["--forwarder-poll", "--forwarder-cpu", "0", "--cpu", "1"])
        #expect(polling.placement.forwarderPoll && polling.placement.forwarderCPU.choice == .cpu(0))
    }

    @Test(arguments: [
        (["--spikes", "0"], "at least 1"),
        (["--rate", "6k"], "at most half the tick rate"),
        (["--udp", "localhost"], "HOST:PORT"),
        (["--priority", "100"], "1-99"),
        (["--cpu", "-2"], "--cpu"),
        (["--forwarder-poll"], "needs --forwarder-cpu N"),
        (["--forwarder-poll", "--forwarder-cpu", "loop", "--cpu", "1"], "needs --forwarder-cpu N"),
        (["--forwarder-poll", "--forwarder-cpu", "1", "--cpu", "1"], "the loop's CPU"),
    ])
    func forwardingBenchRefused(args: [String], message: String) {
        do {
            _ = try parseForwardingBench(args)
            Issue.record("\(args) was accepted")
        } catch {
            #expect(Neuronctl.exitCode(for: error) == .validationFailure)
            #expect(Neuronctl.message(for: error).contains(message), "\(Neuronctl.message(for: error))")
        }
    }

    /// `network` and `sense` take `run`'s real-time flags, from the same group, with the same defaults and checks.
    @Test func networkAndSenseTakeTheRealtimeFlags() throws {
        let network = try #require(try Neuronctl.parseAsRoot(
            ["network", "--network", "n.yaml", "--duration", "1", "--realtime", "--priority", "70", "--cpu", "1",
             "--forwarder-cpu", "loop", "--no-mlock", "--overrun-policy", "safe-state:3"]) as? NetworkCommand)
        let rt = network.flags.realtimeFlags
        #expect(rt.realtime && rt.priority == 70 && rt.loopPriority == 70 && rt.cpu == 1 && rt.noMlock)
        #expect(rt.forwarderCPU.choice == .loop && rt.overrunPolicy.policy == .safeStateAfter(3))
        let sense = try #require(try Neuronctl.parseAsRoot(
            ["sense", "--input", "v.csv", "--realtime", "--priority", "0", "--overrun-policy", "carry-on"]) as? SenseCommand)
        let srt = sense.flags.realtimeFlags
        #expect(srt.realtime && srt.loopPriority == nil && srt.cpu == nil && !srt.noMlock && srt.overrunPolicy.policy == .carryOn)
        // Defaults, as for `run`.
        let plain = try #require(try Neuronctl.parseAsRoot(["network", "--network", "n.yaml", "--duration", "1"]) as? NetworkCommand)
        let d = plain.flags.realtimeFlags, r = try parseRun([]).flags.realtimeFlags
        #expect(!d.realtime && d.priority == 80 && d.cpu == nil && d.forwarderCPU.choice == .any && !d.noMlock && d.overrunPolicy.policy == .carryOn)
        #expect(r.priority == d.priority && r.cpu == d.cpu && r.noMlock == d.noMlock && r.overrunPolicy.policy == d.overrunPolicy.policy)
    }

    /// `network` and `sense` take `run`'s bus-fault flags, from the same group, with the same default (`tolerant`).
    @Test func networkAndSenseTakeTheBusFaultFlags() throws {
        let network = try #require(try Neuronctl.parseAsRoot(
            ["network", "--network", "n.yaml", "--duration", "1", "--bus-fault-policy", "retry:1,safe-state:4",
             "--inject-faults", "nak=0.01,timeout=0.02"]) as? NetworkCommand)
        #expect(network.flags.busFaults.policy.description == "retry:1,safe-state:4")
        let injected = try #require(network.flags.busFaults.injectFaults)
        #expect(injected.injection == FaultInjection(nak: 0.01, eio: 0, timeout: 0.02, corrupt: 0))
        let sense = try #require(try Neuronctl.parseAsRoot(["sense", "--input", "v.csv", "--bus-fault-policy", "stop"]) as? SenseCommand)
        #expect(sense.flags.busFaults.policy.description == "stop" && sense.flags.busFaults.injectFaults == nil)
        // Defaults, as for `run`.
        let plain = try #require(try Neuronctl.parseAsRoot(["network", "--network", "n.yaml", "--duration", "1"]) as? NetworkCommand)
        let plainSense = try #require(try Neuronctl.parseAsRoot(["sense", "--input", "v.csv"]) as? SenseCommand)
        let tolerant = "retry:2,safe-state:10"
        #expect(try parseRun([]).flags.busFaults.policy.description == tolerant)
        #expect(plain.flags.busFaults.policy.description == tolerant && plainSense.flags.busFaults.policy.description == tolerant)
        #expect(plain.flags.busFaults.injectFaults == nil)
    }

    @Test(arguments: [
        (["network", "--network", "n.yaml", "--duration", "1", "--bus-fault-policy", "retry:11,safe-state:3"], "--bus-fault-policy"),
        (["sense", "--input", "v.csv", "--inject-faults", "nak=0.5,bogus=1"], "--inject-faults"),
        (["network", "--network", "n.yaml", "--duration", "1", "--priority", "100"], "1-99"),
        (["network", "--network", "n.yaml", "--duration", "1", "--cpu", "-1"], "--cpu"),
        (["sense", "--input", "v.csv", "--overrun-policy", "safe-state:0"], "--overrun-policy"),
        (["sense", "--input", "v.csv", "--forwarder-cpu", "same"], "'same'"),
    ])
    func networkRealtimeFlagsRefused(args: [String], message: String) {
        do {
            _ = try Neuronctl.parseAsRoot(args)
            Issue.record("\(args) was accepted")
        } catch {
            #expect(Neuronctl.exitCode(for: error) == .validationFailure)
            #expect(Neuronctl.message(for: error).contains(message), "\(Neuronctl.message(for: error))")
        }
    }
}

/// The error a parse threw, for reading its message.
enum BoardOptionsError {
    static func capture(_ body: () throws -> Void) -> any Error {
        do { try body() } catch { return error }
        Issue.record("no error thrown")
        return CancellationError()
    }
}
