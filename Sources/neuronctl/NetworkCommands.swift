import ArgumentParser
import Foundation
import NeuronBoard
import NeuronControl
import NeuronHAL
import NeuronLinux
import NeuronNetwork
import NeuronSinks

// `neuronctl sense`, `neuronctl network` and `neuronctl replay`: sensor streams as pulses, closed loops over several
// neurons and boards, and recordings. They run on `NetworkLoop` (NeuronNetwork), beside `run`'s `ControlLoop`.

/// `--range 0:1`, `--output-range 20:50`.
struct RangeArgument: ExpressibleByArgument, Sendable {
    var range: ClosedRange<Double>
    init?(argument: String) {
        let parts = argument.split(separator: ":")
        guard parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), a.isFinite, b.isFinite, a < b else { return nil }
        range = a...b
    }
    var defaultValueDescription: String { "\(range.lowerBound):\(range.upperBound)" }
}

/// `--coding rate|amplitude|width`.
enum CodingOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case rate, amplitude, width
    var coding: Coding { Coding(rawValue: rawValue)! }
}

/// `--mapping linear|log`.
enum MappingOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case linear, log
    var mapping: Mapping { Mapping(rawValue: rawValue)! }
}

/// Options shared by the commands that run a `NetworkLoop` on a board: the groups `run` takes too (the real-time
/// and bus-fault ones included), and `--spikes`, whose meaning differs from `run`'s (written only when given).
struct NetworkRunOptions: ParsableArguments {
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var reporting: ReportOptions

    @Option(help: ArgumentHelp("Write the complete spikes as CSV to this file.", valueName: "file"))
    var spikes: String?

    @OptionGroup var realtimeFlags: RealtimeFlags
    @OptionGroup var busFaults: BusFaultOptions
}

/// A board brought up for a network run.
struct NetworkBoard {
    let path: String
    let description: BoardDescription
    let runtime: BoardRuntime

    init(path: String, options: NetworkRunOptions) throws {
        try options.reporting.checkRecordPath()
        let sampling = options.sampling
        do {
            description = try BoardLoader.load(path: path)
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        let injected = options.busFaults.injectFaults
        if injected != nil && !description.board.simulated {
            printError("\(path): --inject-faults applies to simulated boards only, and this board is real hardware. Fix: drop it, or use a simulated board such as Boards/mock-two-neurons.yaml.")
            throw ExitCode(2)
        }
        do {
            runtime = try BoardRuntime(description, overrides: .init(seed: sampling.seed, model: sampling.model?.kind, recordsHistory: false))
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        if let injected, let sim = runtime.simulation {
            RunSession.inject(injected, into: sim)
        }
        self.path = path
        guard description.limits.sampleRate.contains(sampling.sampleRate.frequency) else {
            printError("--sample-rate \(sampling.sampleRate.frequency): outside the board's \(description.limits.sampleRate.lowerBound) ... \(description.limits.sampleRate.upperBound). Fix: choose a rate in that range, e.g. 10000")
            throw ExitCode(2)
        }
    }

    var clockForRun: (Bool) -> any MonotonicClock {
        { realtime in realtime ? self.runtime.simulation.map { PacedClock($0.clock) } ?? self.runtime.clock : self.runtime.clock }
    }

    /// Whether the loop runs real-time grade (`--realtime`, or always on a hardware board): on a `RealtimeThread`,
    /// its ticks timed against the real clock with the overrun policy.
    func isTimed(_ options: NetworkRunOptions) -> Bool { options.realtimeFlags.realtime || runtime.simulation == nil }

    /// The real clock a timed run's ticks are measured with (nil when not timed), and the overrun policy.
    func realtimeOptions(_ options: NetworkRunOptions) -> RealtimeOptions {
        RealtimeOptions(timingClock: isTimed(options) ? LinuxClock() : nil, overrunPolicy: options.realtimeFlags.overrunPolicy.policy)
    }

    /// Runs the loop (on a real-time thread when timed) with the forwarder's sinks, then writes the recording and
    /// spike file, and prints the summary. Throws only when a file cannot be written; the caller ends with
    /// `exit(after:)`, which gives the run's exit status.
    func execute(loop: NetworkLoop, forwarder: SpikeForwarder?, options: NetworkRunOptions, protocolInfo: [String: String],
                 detector: DetectorConfiguration) throws -> NetworkRunResult {
        installStopHandlers()
        let rt = options.realtimeFlags, timed = isTimed(options)
        var forwarderReport: RealtimeReport?
        if let forwarder {
            forwarderReport = startForwarder(forwarder, realtime: timed, loopPriority: rt.loopPriority, loopCPU: rt.cpu,
                                             placement: rt.forwarderCPU)
        }
        let (result, realtimeReport) = rt.runLoop(timed: timed, forwarder: forwarderReport) { loop.run() }
        let forwarding = forwarder?.finish()
        // Read every DAC back over its bus: the summary says what the chips hold, not what was asked for.
        var readBack: [(id: Int, volts: Double?, text: String)] = []
        for neuron in description.neurons {
            guard let hw = try? runtime.neuron(id: neuron.id) else { continue }
            let dac = hw.readBackStimulus(attempts: 3)
            readBack.append((neuron.id, dac.voltage?.volts, "neuron \(neuron.id) \(dac.text)"))
        }
        if let path = options.reporting.record {
            let recording = Recording(tool: "neuronctl \(Neuronctl.version)", board: .init(path: self.path, runtime: runtime),
                                      protocolInfo: protocolInfo, sampleInterval: options.sampling.sampleRate.frequency.period,
                                      detector: detector, result: result)
            try write(recording, to: path)
        }
        if let path = options.spikes {
            let meta = [("neuronhil", "spike record written by neuronctl \(Neuronctl.version)"), ("board", "\(description.board.name) (\(self.path))")]
                + protocolInfo.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            try write(RunRecords.spikesCSV(result.spikes, metadata: meta), to: path, flag: "--spikes")
        }
        var summary = NetworkSummary(result: result, forwarding: forwarding)
        summary.realtime = realtimeReport
        summary.readBack(readBack)
        if options.reporting.json {
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            e.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try e.encode(summary), as: UTF8.self))
        } else {
            print(summary.text)
        }
        return result
    }

    /// Ends the command with the run's exit status, as `run` does (`exitStatus`): 0 when it completed, 128 + the
    /// signal when one stopped it, 1 on a failure (the bus-fault policy's included), 3 without a confirmed safe state.
    static func exit(after result: NetworkRunResult) throws {
        let status = exitStatus(result.termination, safeState: result.safeState)
        if status != 0 { throw ExitCode(status) }
    }
}

/// What a network run prints.
struct NetworkSummary: Encodable {
    struct Channel: Encodable {
        var neuron: Int
        var pulses: Int
        var spikes: Int
        var spikesPerSecond: Double
        /// Samples of this neuron skipped after every read failed (the bus-fault policy).
        var skippedSamples: Int
    }
    var elapsedSeconds: Double
    var samples: Int
    var channels: [Channel]
    var externalSpikesReceived: Int
    var routedPulsesDropped: Int
    var pulsesNotRecorded: Int
    var spikesNotRecorded: Int
    var timing: LoopTimingReport
    var realtime: RealtimeReport?
    /// Bus faults of every neuron, by kind and cost, as `run` reports them (`summary.bus_faults`).
    var busFaults: BusFaultReport
    var termination: String
    var safeState: String
    /// Per neuron id, what its DAC holds after the safe state, read back over the bus (nil: the read failed).
    var dacReadBackVolts: [String: Double?] = [:]
    var readBackText: [String] = []
    var sinks: [SinkReport]

    enum CodingKeys: String, CodingKey {
        case elapsedSeconds, samples, channels, externalSpikesReceived, routedPulsesDropped, pulsesNotRecorded,
             spikesNotRecorded, timing, realtime, busFaults, termination, safeState, dacReadBackVolts, sinks
    }

    init(result r: NetworkRunResult, forwarding: ForwardingReport?) {
        elapsedSeconds = r.elapsed.seconds
        samples = r.samples
        channels = r.channelIDs.indices.map { i in
            let id = r.channelIDs[i]
            let n = r.spikes(channel: id).count
            return Channel(neuron: id, pulses: r.pulses(channel: id).count, spikes: n,
                           spikesPerSecond: r.elapsed > .zero ? Double(n) / r.elapsed.seconds : 0,
                           skippedSamples: i < r.skippedSamples.count ? r.skippedSamples[i] : 0)
        }
        externalSpikesReceived = r.externalSpikes
        routedPulsesDropped = r.droppedPulses
        pulsesNotRecorded = r.pulsesNotRecorded
        spikesNotRecorded = r.spikesNotRecorded
        timing = r.timing
        busFaults = r.busFaults
        termination = RunSummary.describe(r.termination, busFaults: r.busFaults)
        safeState = r.safeState == .reached ? "reached (every DAC at 0 V, powered down)" : "FAILED: \(r.safeState)"
        sinks = forwarding?.sinks ?? []
    }

    mutating func readBack(_ values: [(id: Int, volts: Double?, text: String)]) {
        for v in values {
            dacReadBackVolts[String(v.id)] = .some(v.volts)
            readBackText.append(v.text)
        }
    }

    var text: String {
        var out = ["elapsed             \(formatted(elapsedSeconds, digits: 3)) s, \(samples) samples"]
        for c in channels {
            out.append("neuron \(c.neuron)            \(c.pulses) pulses, \(c.spikes) spikes (\(formatted(c.spikesPerSecond, digits: 2)) /s)"
                       + (c.skippedSamples > 0 ? ", \(c.skippedSamples) samples skipped (bus faults)" : ""))
        }
        if externalSpikesReceived > 0 { out.append("external spikes     \(externalSpikesReceived) received") }
        if routedPulsesDropped > 0 { out.append("routed pulses       \(routedPulsesDropped) dropped (queue full)") }
        if pulsesNotRecorded > 0 || spikesNotRecorded > 0 {
            out.append("records             \(pulsesNotRecorded) pulses and \(spikesNotRecorded) spikes beyond the preallocated records (applied and forwarded, not listed)")
        }
        out += timingLines(timing)
        for s in sinks { out.append("sink \(s.name): delivered \(s.delivered), failed \(s.failures)\(s.lastError.map { "; last error: \($0)" } ?? "")") }
        if let line = busFaultLine(busFaults) { out.append(line) }
        out.append("ended               \(termination)")
        out.append("safe state          \(([safeState] + readBackText).joined(separator: "; "))")
        if let realtime { out.append(realtimeLine(realtime)) }
        return out.joined(separator: "\n")
    }
}

extension RunSummary {
    /// How a run ended, in the summary's words (`RunSummary.termination`'s, for a bus-fault policy stop too).
    static func describe(_ t: Termination, busFaults: BusFaultReport = .none) -> String {
        switch t {
        case .completed: "completed"
        case .stopped(let s): s.map { "stopped by signal \($0)" } ?? "stopped"
        case .failed(let e) where busFaults.stoppedByPolicy: "stopped by the bus-fault policy (\(busFaults.policy)): \(e)"
        case .failed(let e): "failed: \(e)"
        case .overrunStorm(let n): "stopped after \(n) consecutive overruns"
        }
    }
}

struct SenseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sense",
        abstract: "Turn a sensor value stream into pulses on a neuron (rate, amplitude or width coding).",
        discussion: """
            Sources: --input FILE (CSV 'time_s,value' lines, or one value per line spaced by --interval; '-' reads \
            standard input to its end; 'sensor:NAME' reads the board's sensor NAME, e.g. a ti,tmp102, through its \
            driver every --interval, needs --duration), or --listen HOST:PORT (UDP datagrams of ASCII decimal \
            numbers, one per line; the latest value holds; needs --duration, use --realtime).

            Values map from --range onto --output-range of the coded parameter (Hz, V or ms; defaults: the paper's \
            Fig. 4 tuning) and are clamped to the board's limits; --amplitude, --width and --frequency fix the two \
            parameters that are not coded.

              printf '0,0\\n1,0.5\\n2,1\\n' | neuronctl sense --input - --coding rate
            """)

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var runOptions: NetworkRunOptions
    @OptionGroup var neuronOptions: NeuronOptions

    @Option(help: ArgumentHelp("CSV value stream ('-': standard input: replayed when it ends, or read live with --duration), or sensor:NAME (a sensor on the board).", valueName: "file"))
    var input: String?

    @Option(help: ArgumentHelp("Receive values as UDP datagrams on HOST:PORT (127.0.0.1 if only a port is given).", valueName: "host:port"))
    var listen: String?

    @Option(help: ArgumentHelp("Which pulse parameter carries the value: rate, amplitude or width.", valueName: "coding"))
    var coding: CodingOption = .rate

    @Option(help: ArgumentHelp("linear or log.", valueName: "mapping"))
    var mapping: MappingOption = .linear

    @Option(help: ArgumentHelp("Value range LO:HI mapped onto the output range.", valueName: "lo:hi"))
    var range = RangeArgument(argument: "0:1")!

    @Option(name: .customLong("output-range"), help: ArgumentHelp("Output range LO:HI in Hz, V or ms (default: 20:50 Hz, 0.4:0.9 V, 2:7.5 ms).", valueName: "lo:hi"))
    var outputRange: RangeArgument?

    @OptionGroup var pulse: PulseOptions

    @Option(help: ArgumentHelp("Spacing of value-only lines.", valueName: "ms"))
    var interval = DurationArgument<Milliseconds>(.milliseconds(100))

    @Option(help: ArgumentHelp("How long the last value holds before the run ends.", valueName: "s"))
    var hold = DurationArgument<Seconds>(.seconds(1))

    @Option(help: ArgumentHelp("Run length (default: the stream's; required with --listen).", valueName: "s"))
    var duration: DurationArgument<Seconds>?

    func validate() throws {
        guard (input == nil) != (listen == nil) else { throw ValidationError("give exactly one of --input FILE and --listen HOST:PORT") }
        if let listen, NetworkFile.Endpoint(listen) == nil {
            throw ValidationError("--listen \(listen): expected HOST:PORT with an IPv4 address (or a port), e.g. 127.0.0.1:9500")
        }
        if listen != nil && duration == nil { throw ValidationError("--listen needs --duration (a UDP stream has no end)") }
        if let input, input.hasPrefix("sensor:") {
            if input.count == "sensor:".count { throw ValidationError("--input sensor:NAME: give the sensor's name from the board file, e.g. sensor:temp0") }
            if duration == nil { throw ValidationError("--input \(input) needs --duration (a sensor has no end)") }
        }
    }

    func run() throws {
        let board = try NetworkBoard(path: boardOptions.board, options: runOptions)
        let config = EncoderConfiguration(coding: coding.coding, mapping: mapping.mapping, input: range.range, output: outputRange?.range,
                                          amplitude: pulse.amplitude.voltage, width: pulse.width.duration,
                                          frequency: pulse.frequency.frequency)
        let encoder: StimulusEncoder
        do { encoder = try StimulusEncoder(config, limits: board.description.stimulusLimits) } catch {
            printError("\(board.path): \(error.description)")
            throw ExitCode(2)
        }
        for note in encoder.clampNotes { printError("note: \(note)") }
        let feed: any ValueFeed
        var runLength: Duration
        var receiver: UDPReceiver?
        if let input, input.hasPrefix("sensor:") {
            let name = String(input.dropFirst("sensor:".count))
            do { feed = try SensorValueFeed.onBoard(board.runtime, sensor: name, period: interval.duration) } catch {
                printError(error.description)
                throw ExitCode(2)
            }
            runLength = duration!.duration
        } else if input == "-", let duration {
            // Live standard input: a reader thread posts each value as it arrives (the latest holds); a bad line is
            // reported with its number and skipped; end of input ends the stream. The run is paced by the real clock
            // (values arrive in real time).
            let live = LiveValueFeed()
            let reader = Thread {
                var line = 0
                while let text = readLine() {
                    line += 1
                    do throws(InputError) {
                        if let v = try parseLiveValueLine(text, line: line, source: "stdin") { live.post(v) }
                    } catch {
                        printError(error.description + " (line skipped)")
                    }
                }
                live.close()
            }
            reader.name = "neuronhil-stdin"
            reader.start()
            feed = live
            runLength = duration.duration
        } else if let input {
            let text: String
            if input == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                do { text = try String(contentsOfFile: input, encoding: .utf8) } catch {
                    printError("--input \(input): cannot read it (\(error.localizedDescription)). Fix: give a CSV file of 'time_s,value' lines.")
                    throw ExitCode(2)
                }
            }
            do {
                let f = TimedValueFeed(values: try TimedValueFeed.parseCSV(text, source: input == "-" ? "stdin" : input, interval: interval.duration),
                                       hold: hold.duration)
                feed = f
                runLength = duration?.duration ?? f.end
            } catch {
                printError(error.description)
                throw ExitCode(2)
            }
        } else {
            let endpoint = NetworkFile.Endpoint(listen!)!
            let live = LiveValueFeed()
            do { receiver = try UDPReceiver(host: endpoint.host, port: endpoint.port) } catch {
                printError(error.description)
                throw ExitCode(2)
            }
            receiver!.start { bytes, sender in
                if let v = try? parseValueDatagram(bytes, sender: sender) { live.post(v) }
            }
            feed = live
            runLength = duration!.duration
        }
        defer { receiver?.stop() }
        let neuronID = neuronOptions.neuron ?? board.description.neurons[0].id
        let channel: NetworkChannel
        let loop: NetworkLoop
        do {
            channel = try NetworkChannel.onBoard(board.runtime, id: neuronID, generator: EncodedPulses(encoder: encoder, feed: feed))
            loop = try NetworkLoop(channels: [channel], configuration: .init(sampleRate: runOptions.sampling.sampleRate.frequency, duration: runLength),
                                   clock: board.clockForRun(runOptions.realtimeFlags.realtime || listen != nil || (input == "-" && duration != nil)),
                                   stop: processStop, realtime: board.realtimeOptions(runOptions), faultPolicy: runOptions.busFaults.policy)
        } catch {
            printError("\(board.path): \(error)")
            throw ExitCode(2)
        }
        let info = [
            "command": "sense", "source": input ?? "udp \(listen!)", "coding": coding.rawValue, "mapping": mapping.rawValue,
            "range": "\(range.range.lowerBound):\(range.range.upperBound)",
            "output_range": "\(encoder.configuration.output.lowerBound):\(encoder.configuration.output.upperBound) \(coding.coding.unit)",
            "neuron": String(neuronID),
        ]
        let result = try board.execute(loop: loop, forwarder: nil, options: runOptions, protocolInfo: info, detector: channel.detector)
        try NetworkBoard.exit(after: result)
    }
}

struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Run a network file on a board: driven neurons, spike routes, jAER spikes in and out over UDP.",
        discussion: """
            See Boards/networks/*.yaml. A two-neuron loop on the mock board:
              neuronctl network --board Boards/mock-two-neurons.yaml --network Boards/networks/two-neuron-loop.yaml --duration 3
            Two processes forming one network over loopback (start the receiver first):
              neuronctl network --network Boards/networks/udp-receiver.yaml --realtime --duration 3 &
              neuronctl network --network Boards/networks/udp-sender.yaml --realtime --duration 2
            """)

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var runOptions: NetworkRunOptions

    @Option(help: ArgumentHelp("Network file (YAML).", valueName: "file"))
    var network: String

    @Option(help: ArgumentHelp("Run length.", valueName: "s"))
    var duration: DurationArgument<Seconds>

    @Option(help: ArgumentHelp("Override the file's listen endpoint (HOST:PORT).", valueName: "host:port"))
    var listen: String?

    @Option(help: ArgumentHelp("Override the file's send endpoint (HOST:PORT).", valueName: "host:port"))
    var send: String?

    func validate() throws {
        for (flag, value) in [("--listen", listen), ("--send", send)] {
            if let value, NetworkFile.Endpoint(value) == nil {
                throw ValidationError("\(flag) \(value): expected HOST:PORT with an IPv4 address, e.g. 127.0.0.1:9531")
            }
        }
        guard duration.duration > .zero else { throw ValidationError("--duration must be above 0") }
    }

    func run() throws {
        let board = try NetworkBoard(path: boardOptions.board, options: runOptions)
        var file: NetworkFile
        do {
            file = try NetworkFile.load(path: network)
            try file.validateDrives(limits: board.description.stimulusLimits, neurons: Set(board.description.neurons.map(\.id)))
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        if let listen { file.listen = NetworkFile.Endpoint(listen) }
        if let send { file.send = NetworkFile.Endpoint(send) }
        var receiver: UDPReceiver?
        var inbox: ExternalSpikeInbox?
        if let l = file.listen {
            let box = ExternalSpikeInbox()
            do { receiver = try UDPReceiver(host: l.host, port: l.port) } catch {
                printError("\(network): listen: \(error.description)")
                throw ExitCode(2)
            }
            receiver!.start { bytes, sender in box.accept(bytes, sender: sender) }
            inbox = box
            // On stderr, so that scripts (and the tests) can start the sending side once this one is bound.
            FileHandle.standardError.write(Data("listening on \(receiver!.host):\(receiver!.port) for jAER spikes\n".utf8))
        }
        defer { receiver?.stop() }
        var sinks: [any SpikeSink] = []
        let realtime = board.realtimeOptions(runOptions)
        if let s = file.send {
            do { sinks.append(try UDPJAERSink(host: s.host, port: s.port, clock: realtime.timingClock)) } catch {
                printError("\(network): send: \(error.description)")
                throw ExitCode(2)
            }
        }
        let forwarder = sinks.isEmpty ? nil : SpikeForwarder(
            sinks: sinks, clock: realtime.timingClock,
            waiting: runOptions.realtimeFlags.forwarderWaiting(timed: board.isTimed(runOptions)))
        let loop: NetworkLoop
        var detector = DetectorConfiguration()
        do {
            var channels: [NetworkChannel] = []
            for neuron in board.description.neurons {
                let drive = file.drives.first { $0.neuron == neuron.id }
                let generator = drive.map {
                    TrainPulses(PulseTrain(amplitude: $0.amplitude, width: $0.width, frequency: $0.frequency,
                                           count: $0.pulses ?? max(1, Int(duration.duration.seconds * $0.frequency.hertz))))
                }
                channels.append(try NetworkChannel.onBoard(board.runtime, id: neuron.id, generator: generator))
            }
            detector = channels[0].detector
            loop = try NetworkLoop(channels: channels, routes: file.routes,
                                   configuration: .init(sampleRate: runOptions.sampling.sampleRate.frequency, duration: duration.duration),
                                   clock: board.clockForRun(runOptions.realtimeFlags.realtime || file.listen != nil || file.send != nil),
                                   stop: processStop, forwarder: forwarder, inbox: inbox, realtime: realtime,
                                   faultPolicy: runOptions.busFaults.policy, source: network)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        var info = ["command": "network", "network": "\(file.name) (\(network))", "duration_s": formatted(duration.duration.seconds, digits: 3)]
        if let l = file.listen { info["listen"] = l.description }
        if let s = file.send { info["send"] = s.description }
        let result = try board.execute(loop: loop, forwarder: forwarder, options: runOptions, protocolInfo: info, detector: detector)
        if let counts = inbox?.counts {
            if counts.rejected > 0 { printError("\(counts.rejected) datagrams refused; last: \(counts.lastError ?? "")") }
            if counts.dropped > 0 { printError("\(counts.dropped) received spikes dropped: the loop was behind by the inbox's capacity") }
        }
        try NetworkBoard.exit(after: result)
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run the spike detector on a recorded trace and compare with the recorded spikes.",
        discussion: """
            Exit status 0 when the detector finds exactly the recorded spikes, 1 when it differs (the difference is \
            printed): a recording is a golden-trace regression test. --threshold and --smoothing replay with other \
            detector settings.
            """)

    @Argument(help: ArgumentHelp("A recording written with --record.", valueName: "file"))
    var recording: String

    @Option(help: ArgumentHelp("Detector threshold (default: the recorded one).", valueName: "V"))
    var threshold: VoltageArgument?

    @Option(help: ArgumentHelp("Moving-average length in samples (default: the recorded one).", valueName: "n"))
    var smoothing: Int?

    @Option(help: ArgumentHelp("Write the replayed spikes as CSV to this file.", valueName: "file"))
    var spikes: String?

    func validate() throws {
        if let smoothing, smoothing < 1 { throw ValidationError("--smoothing must be at least 1 sample") }
    }

    func run() throws {
        let r: Recording
        do { r = try Recording.load(path: recording) } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        var detector = r.detector.configuration
        if let threshold { detector.threshold = threshold.voltage }
        if let smoothing { detector.smoothingWindow = smoothing }
        let replayed = r.replay(detector: detector)
        print("recording           \(recording): board \(r.board.name), \(r.timeNs.count) samples x \(r.channels.count) channels, \(r.spikes.count) spikes recorded")
        for c in r.channels {
            print("neuron \(c.id)            \(replayed.filter { $0.channel == c.id }.count) spikes replayed")
        }
        if let spikes {
            try write(RunRecords.spikesCSV(replayed, metadata: [("neuronhil", "spikes replayed from \(recording)")]), to: spikes, flag: "--spikes")
        }
        if let diff = Recording.difference(recorded: r.spikes, replayed: replayed) {
            print("DIFFERS from the recording: \(diff)")
            throw ExitCode(1)
        }
        print("matches the recording")
    }
}
