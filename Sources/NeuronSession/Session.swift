public import NeuronBoard
public import NeuronControl
public import NeuronHAL
public import NeuronPhysics
import NeuronNetwork
import NeuronSinks
import NeuronLinux
import Foundation

/// A plan refused before any bus was touched, or output that cannot be written: the message names the place (the
/// board file, the flag) and the fix; `exitCode` is what a command exits with.
public struct SessionError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public var exitCode: Int32
    public init(_ description: String, exitCode: Int32 = 2) {
        self.description = description
        self.exitCode = exitCode
    }
}

/// Something said during a session, for the caller to show (the CLI prints it on stderr).
public enum SessionMessage: Sendable, Hashable {
    /// A plain line (e.g. "listening on 127.0.0.1:9531 for jAER spikes", which scripts wait for).
    case info(String)
    case note(String)
    case warning(String)
    case error(String)
}

/// Turns a plan into an outcome: brings the board up, checks the plan against it, wires the stimulus sources, the
/// sinks and the trace files to one `Engine`, runs it (on a real-time thread when asked, or on hardware), and
/// afterwards reads every DAC back and writes the summary and the recording. `run`, `sense`, `network`, the
/// experiments and the benchmarks all run through it; the CLI only maps flags to a `SessionPlan` and the
/// `SessionOutcome` to text and an exit status.
///
/// `init` does everything that can fail before the run (the board, the plan's values, the inputs, the output
/// files) and touches no bus; `run()` runs once.
public final class Session {
    /// Pulses and spikes kept in `SessionOutcome.result` when the plan keeps nothing in memory: enough for a
    /// summary's first rows, fixed so a run's memory does not grow with its length.
    public static let recordLimit = 4096
    /// Samples × channels a recording may hold: it keeps the whole trace in memory for `replay` (24 bytes a
    /// sample, 100 MB here; about 7 minutes of one neuron at 10 kS/s).
    public static let recordingSampleLimit = 1 << 22

    public let plan: SessionPlan
    public let board: BoardDescription
    public let runtime: BoardRuntime
    /// The neurons driven, in the plan's order.
    public let neuronIDs: [Int]
    public let duration: Duration
    /// Real-time grade: a real-time thread and ticks timed against the real clock (asked for, or a hardware board).
    public let timed: Bool
    /// The run's time is the real clock's (timed, or paced by it): its summary gives the wall-clock start.
    public var realClock: Bool { timed || inputs.paced || plan.realtime.paced }
    public let detector: DetectorConfiguration
    let stop: StopRequest
    let say: @Sendable (SessionMessage) -> Void
    let inputs: SessionInputs
    let outputs: SessionOutputs
    let live: SessionLive?
    let engine: Engine
    var ran = false

    public var simulated: Bool { runtime.simulation != nil }
    /// The simulated neurons' physics ("hardware" on a real board).
    public var modelName: String { runtime.simulation?.model.rawValue ?? "hardware" }

    /// Checks `plan` against its board and prepares the run. `messages` receives notes and warnings as they arise,
    /// during `init` and `run()` (from other threads too).
    public init(_ plan: SessionPlan, stop: StopRequest = StopRequest(),
                messages: @escaping @Sendable (SessionMessage) -> Void = { _ in }) throws(SessionError) {
        self.stop = stop
        say = messages
        (board, runtime) = try Self.bringUp(plan)
        var plan = try Self.expandNetwork(plan, board: board)
        // A live view of a simulated run that ends in milliseconds shows nothing: pace it by the real clock.
        if plan.outputs.live != nil { plan.realtime.paced = true }
        self.plan = plan
        neuronIDs = try Self.resolveNeurons(plan, board: board)
        let limits = board.stimulusLimits
        do { try EngineConfiguration(duration: .zero).with(sampleRate: plan.sampleRate).validate(against: limits) } catch {
            throw SessionError("\(plan.board): --sample-rate \(plan.sampleRate): \(error.problem) Fix: \(error.fix)")
        }
        timed = plan.realtime.enabled || runtime.simulation == nil
        inputs = try SessionInputs(plan, runtime: runtime, limits: limits, messages: messages)
        duration = try Self.resolveDuration(plan, inputs: inputs)
        var d = DetectorConfiguration()
        d.capacitance = try Self.capacitance(runtime, neuronIDs)
        detector = d
        try Self.checkRecordingLength(plan, duration: duration, channels: neuronIDs.count)
        let header = SessionOutputs.header(plan, board: board, runtime: runtime, neuronIDs: neuronIDs, detector: d)
        if let endpoint = plan.outputs.live {
            live = try SessionLive(plan, endpoint: endpoint, boardName: "\(board.board.name) (\(plan.board))", neuronIDs: neuronIDs,
                                   duration: duration, protocolText: Self.protocolText(header))
        } else {
            live = nil
        }
        outputs = try SessionOutputs(plan, header: header, neuronIDs: neuronIDs, limits: limits, timed: timed,
                                     extraSinks: live.map { [$0.feed.spikeSink] } ?? [])
        engine = try Self.makeEngine(plan, runtime: runtime, neuronIDs: neuronIDs, inputs: inputs, outputs: outputs,
                                     viewStreams: live?.streams, duration: duration, timed: timed, stop: stop)
        for m in live?.announcements ?? [] { messages(m) }
    }

    /// Loads the board file and brings the board up (no bus transfer yet).
    static func bringUp(_ plan: SessionPlan) throws(SessionError) -> (BoardDescription, BoardRuntime) {
        let description: BoardDescription
        do { description = try BoardLoader.load(path: plan.board) } catch { throw SessionError(error.description) }
        let sim = plan.simulation
        let simOnly = [sim.stateFile.map { _ in "--sim-state" }, sim.faults.map { _ in "--inject-faults" }].compactMap { $0 }
        if !description.board.simulated, !simOnly.isEmpty {
            let them = simOnly.joined(separator: " and ")
            throw SessionError("\(plan.board): \(them) \(simOnly.count == 1 ? "applies" : "apply") to simulated boards only, and this board is real hardware. Fix: drop \(simOnly.count == 1 ? "it" : "them"), or use a simulated board such as Boards/mock.yaml.")
        }
        do {
            // No sim logs: a run may be long, and the logs would grow (and allocate) without bound.
            let runtime = try BoardRuntime(description, overrides: .init(seed: sim.seed, model: sim.model, recordsHistory: false,
                                                                         stateFile: sim.stateFile))
            if let faults = sim.faults, let s = runtime.simulation { s.inject(faults) }
            return (description, runtime)
        } catch {
            throw SessionError(error.description)
        }
    }

    /// A plan with a network file, as channels, routes and endpoints: every board neuron a channel, driven by the
    /// file's `drive` entry (a train over the whole run unless it gives `pulses`) or by routed pulses only.
    static func expandNetwork(_ plan: SessionPlan, board: BoardDescription) throws(SessionError) -> SessionPlan {
        guard let file = plan.network else { return plan }
        do { try file.validateDrives(limits: board.stimulusLimits, neurons: Set(board.neurons.map(\.id))) } catch {
            throw SessionError(error.description)
        }
        guard let duration = plan.duration else { throw SessionError("\(file.source): a network run needs a duration. Fix: give --duration") }
        var p = plan
        p.channels = board.neurons.map { neuron in
            guard let d = file.drives.first(where: { $0.neuron == neuron.id }) else { return ChannelPlan(neuron: neuron.id, stimulus: .none) }
            let count = d.pulses ?? max(1, Int(duration.seconds * d.frequency.hertz))
            return ChannelPlan(neuron: neuron.id, stimulus: .train(PulseTrain(amplitude: d.amplitude, width: d.width, frequency: d.frequency, count: count)))
        }
        p.routes = file.routes
        p.listen = file.listen
        p.peers = file.peers
        if let send = file.send {
            p.outputs.udp.append(send)
            // The peer expects spikes in real time.
            p.realtime.paced = true
        }
        p.protocolInfo["network"] = "\(file.name) (\(file.source))"
        if let l = file.listen {
            p.protocolInfo["listen"] = l.description
            p.protocolInfo["peers"] = file.peers.description
        }
        if let s = file.send { p.protocolInfo["send"] = s.description }
        p.network = nil
        p.routeSource = file.source
        return p
    }

    static func resolveNeurons(_ plan: SessionPlan, board: BoardDescription) throws(SessionError) -> [Int] {
        guard !plan.channels.isEmpty else { throw SessionError("\(plan.board): the plan drives no neuron. Fix: name at least one.") }
        let ids = plan.channels.map { $0.neuron ?? board.neurons[0].id }
        let known = Set(board.neurons.map(\.id))
        for id in ids where !known.contains(id) {
            throw SessionError("\(plan.board): the board has no neuron with id \(id). Fix: choose one of: \(board.neurons.map { String($0.id) }.joined(separator: ", "))")
        }
        guard Set(ids).count == ids.count else {
            throw SessionError("\(plan.board): a neuron is driven twice. Fix: give each neuron one stimulus (combine sources on one channel).")
        }
        return ids
    }

    /// The plan's duration, or the stimulus's own: the longest train, or a value file's end plus its hold.
    static func resolveDuration(_ plan: SessionPlan, inputs: SessionInputs) throws(SessionError) -> Duration {
        if let d = plan.duration {
            guard d > .zero else { throw SessionError("--duration must be above 0. Fix: give e.g. --duration 2s") }
            return d
        }
        guard let d = inputs.naturalDuration else {
            throw SessionError("the run has no end of its own (a live value stream, or only routed pulses). Fix: give --duration")
        }
        return d
    }

    static func capacitance(_ runtime: BoardRuntime, _ ids: [Int]) throws(SessionError) -> Capacitance {
        do { return try runtime.neuron(id: ids[0]).channel.capacitance } catch { throw SessionError(error.description) }
    }

    /// A recording holds the whole trace in memory: refused up front when the run would not fit.
    static func checkRecordingLength(_ plan: SessionPlan, duration: Duration, channels: Int) throws(SessionError) {
        guard plan.outputs.recording != nil || plan.outputs.keepTrace else { return }
        let samples = Int(duration.nanosecondsValue / max(1, plan.sampleRate.period.nanosecondsValue)) + 2
        guard samples.multipliedReportingOverflow(by: channels).partialValue <= recordingSampleLimit, samples <= recordingSampleLimit else {
            let flag = plan.outputs.recording != nil ? "--record" : "keeping the run in memory"
            throw SessionError("\(flag): \(samples) samples × \(channels) neurons is more than a recording holds (\(recordingSampleLimit) samples in all; the trace stays in memory until the run ends). Fix: shorten the run, lower --sample-rate, or drop --record and use the streamed trace files.")
        }
    }

    /// The protocol as one line for the live view, from the files' header.
    static func protocolText(_ header: [(String, String)]) -> String {
        header.filter { !["board", "simulated", "read_with", "detector"].contains($0.0) }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    }

    static func makeEngine(_ plan: SessionPlan, runtime: BoardRuntime, neuronIDs: [Int], inputs: SessionInputs, outputs: SessionOutputs,
                           viewStreams: [TraceStream]?, duration: Duration, timed: Bool, stop: StopRequest) throws(SessionError) -> Engine {
        let recording = plan.outputs.recording != nil
        let config = EngineConfiguration(sampleRate: plan.sampleRate, duration: duration, keepTrace: recording || plan.outputs.keepTrace,
                                         recordLimit: recording || plan.outputs.keepRecords ? .max : recordLimit,
                                         spikeOutWidth: plan.outputs.spikeOutWidth)
        let clock: any MonotonicClock = (timed || inputs.paced || plan.realtime.paced)
            ? runtime.simulation.map { PacedClock($0.clock) } ?? runtime.clock : runtime.clock
        do {
            var channels: [EngineChannel] = []
            for (i, id) in neuronIDs.enumerated() {
                channels.append(try EngineChannel.onBoard(runtime, id: id, source: inputs.sources[i],
                                                          spikeOut: plan.outputs.spikeOutWidth > .zero,
                                                          traceStream: outputs.traceStreams[i], viewStream: viewStreams?[i]))
            }
            return try Engine(channels: channels, routes: plan.routes, configuration: config, clock: clock, stop: stop,
                              forwarder: outputs.forwarder, inbox: inputs.inbox, realtime: outputs.realtimeOptions,
                              faultPolicy: plan.faultPolicy, buffers: PrefaultedRunBuffers(),
                              source: plan.routeSource ?? plan.board)
        } catch let e as NetworkError {
            throw SessionError(e.description)
        } catch {
            throw SessionError("\(plan.board): \(error)")
        }
    }
}

extension EngineConfiguration {
    func with(sampleRate: Frequency) -> EngineConfiguration {
        var c = self
        c.sampleRate = sampleRate
        return c
    }
}

extension SessionPlan {
    /// One pulse train on the board's first neuron, no files: what experiments and benchmarks run.
    public static func train(_ train: PulseTrain, board: String, tool: String, seed: UInt64? = nil, model: NeuronModelKind? = nil,
                             sampleRate: Frequency = .hertz(10_000), keepTrace: Bool = false) -> SessionPlan {
        var plan = SessionPlan(command: "run", tool: tool, board: board, channels: [ChannelPlan(stimulus: .train(train))])
        plan.simulation = SimulationPlan(seed: seed, model: model)
        plan.sampleRate = sampleRate
        plan.faultPolicy = .stopOnFirst
        plan.outputs.directory = nil
        plan.outputs.keepRecords = true
        plan.outputs.keepTrace = keepTrace
        return plan
    }
}

extension Session {
    /// Runs one pulse train per call, each on a freshly brought-up board with the given seed, no files: what the
    /// experiments and `paper-check` run (`TrainRunner`). A run that did not complete, or did not reach the safe
    /// state, throws a `SessionError` with the exit status `run` would give.
    public static func trainRunner(board: String, tool: String, model: NeuronModelKind?, sampleRate: Frequency = .hertz(10_000),
                                   stop: StopRequest) -> (PulseTrain, UInt64, Bool) throws -> EngineResult {
        { train, seed, trace in
            let outcome = try Session(.train(train, board: board, tool: tool, seed: seed, model: model, sampleRate: sampleRate,
                                             keepTrace: trace), stop: stop).run()
            let r = outcome.result
            guard outcome.exitStatus != 0 else { return r }
            let why = switch (r.termination, r.safeState) {
            case (_, .failed(let e)): "safe state FAILED after a run: \(e)"
            case (.stopped(let signal), _): "stopped by signal \(signal ?? 2) (the board is in its safe state); files not written"
            default: "run \(outcome.summary.result.termination)"
            }
            throw SessionError(why, exitCode: outcome.exitStatus)
        }
    }
}
