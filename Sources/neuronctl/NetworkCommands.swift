import ArgumentParser
import Foundation
import NeuronBoard
import NeuronControl
import NeuronHAL
import NeuronNetwork
import NeuronSession

// `neuronctl sense`, `neuronctl network` and `neuronctl replay`: sensor streams as pulses, closed loops over several
// neurons and boards, and recordings. `sense` and `network` map their flags to a `SessionPlan`, as `run` does.

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
    @OptionGroup var flags: SessionFlags
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
        let config = EncoderConfiguration(coding: coding.coding, mapping: mapping.mapping, input: range.range, output: outputRange?.range,
                                          amplitude: pulse.amplitude.voltage, width: pulse.width.duration,
                                          frequency: pulse.frequency.frequency)
        let values: ValuePlan
        if let input, input.hasPrefix("sensor:") {
            values = .sensor(name: String(input.dropFirst("sensor:".count)), period: interval.duration)
        } else if input == "-", duration != nil {
            values = .liveStandardInput
        } else if let input {
            values = .file(path: input, interval: interval.duration, hold: hold.duration)
        } else {
            values = .udp(NetworkFile.Endpoint(listen!)!)
        }
        var plan = flags.plan("sense", board: boardOptions.board,
                              channels: [ChannelPlan(neuron: neuronOptions.neuron, stimulus: .encoded(config, values))])
        plan.duration = duration?.duration
        plan.protocolInfo = [
            "source": input ?? "udp \(listen!)", "coding": coding.rawValue, "mapping": mapping.rawValue,
            "range": "\(range.range.lowerBound):\(range.range.upperBound)",
            "output_range": "\(config.output.lowerBound):\(config.output.upperBound) \(coding.coding.unit)",
        ]
        try execute(plan, json: flags.reporting.json)
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
    @OptionGroup var flags: SessionFlags

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
        var file: NetworkFile
        do { file = try NetworkFile.load(path: network) } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        if let listen { file.listen = NetworkFile.Endpoint(listen) }
        if let send { file.send = NetworkFile.Endpoint(send) }
        var plan = flags.plan("network", board: boardOptions.board, channels: [])
        plan.network = file
        plan.duration = duration.duration
        try execute(plan, json: flags.reporting.json)
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
