public import NeuronHAL
public import NeuronControl
public import NeuronNetwork
public import NeuronPhysics

/// Everything one run is to do, in plain values: what `neuronctl run`, `sense` and `network` map their flags to,
/// and what a program or a test builds directly. `Session` checks it against the board before any bus is touched.
public struct SessionPlan: Sendable {
    /// "run", "sense" or "network": names the run in its files and summary.
    public var command: String
    /// Who wrote the files (e.g. "neuronctl 0.9").
    public var tool: String
    public var board: String
    public var simulation = SimulationPlan()
    /// The neurons driven; at least one. A board neuron not listed is not driven or read.
    public var channels: [ChannelPlan]
    /// Spikes of one channel, or jAER addresses received on `listen`, turned into pulses on another.
    public var routes: [Route] = []
    /// A network file: every neuron of the board becomes a channel (driven by its `drive` entry, or by routed pulses
    /// only), with the file's routes, `listen` and `send` (a jAER UDP output). Checked against the board first.
    public var network: NetworkFile?
    /// The file routes come from, named in their errors.
    public var routeSource: String?
    /// Receive jAER spikes (for routes from external addresses) on this UDP endpoint.
    public var listen: NetworkFile.Endpoint?
    /// The senders `listen` accepts (addresses or subnets); any other sender's datagrams are refused and counted.
    public var peers: PeerList = .loopback
    public var sampleRate: Frequency = .hertz(10_000)
    /// Run length; nil: the stimulus's own (a train's duration, a value file's end plus its hold).
    public var duration: Duration?
    public var outputs = OutputPlan()
    public var realtime = RealtimePlan()
    public var faultPolicy: BusFaultPolicy = .tolerant
    /// Extra `key: value` lines for the files' headers and the summary's `protocol` (e.g. the network file).
    public var protocolInfo: [String: String] = [:]

    public init(command: String, tool: String, board: String, channels: [ChannelPlan]) {
        self.command = command
        self.tool = tool
        self.board = board
        self.channels = channels
    }
}

/// One neuron of a plan and what drives it.
public struct ChannelPlan: Sendable {
    /// The neuron's id in the board file; nil: the board's first neuron.
    public var neuron: Int?
    public var stimulus: StimulusPlan
    public init(neuron: Int? = nil, stimulus: StimulusPlan) {
        self.neuron = neuron
        self.stimulus = stimulus
    }
}

/// What drives a channel's own pulses (routed pulses come from `SessionPlan.routes`).
public indirect enum StimulusPlan: Sendable {
    /// Only routed pulses.
    case none
    case train(PulseTrain)
    /// A value stream through an encoder (rate, amplitude or width coding); clamped to the board's limits.
    case encoded(EncoderConfiguration, ValuePlan)
    /// Several at once: the earliest due fires first.
    case combined([StimulusPlan])
}

/// Where a value stream comes from.
public enum ValuePlan: Sendable {
    /// A CSV file of `time_s,value` lines, or one value per line spaced by `interval` ("-": standard input, read to
    /// its end before the run). The last value holds for `hold`.
    case file(path: String, interval: Duration, hold: Duration)
    /// Standard input read live: each line's value holds until the next; the end of input ends the stream.
    case liveStandardInput
    /// UDP datagrams of ASCII decimal numbers on this endpoint; the latest value holds.
    case udp(NetworkFile.Endpoint)
    /// The board's sensor `name`, read through its driver every `period`.
    case sensor(name: String, period: Duration)

    /// Values that arrive in real time: the run must be paced by the real clock.
    var isLive: Bool {
        switch self {
        case .file: false
        case .liveStandardInput, .udp, .sensor: true
        }
    }
}

/// What a run writes and where its spikes go. Every command has every output.
public struct OutputPlan: Sendable {
    /// Directory for `trace.csv` (one channel) or `trace-neuron<ID>.csv` (several), `spikes.csv` and
    /// `summary.json`; nil: no files (in-process runs: experiments, benchmarks).
    public var directory: String?
    /// Stream each channel's capacitor trace to a file (about 30 bytes a sample).
    public var trace = true
    /// Override the trace file (one channel only) and the spike file.
    public var tracePath: String?
    public var spikesPath: String?
    /// Every spike event as JSON lines to this file ("-": standard output).
    public var jsonLines: String?
    /// Every complete spike as a jAER AEDAT 2.0 event to this file (address: channel, timestamp: crossing in µs).
    public var aedat: String?
    /// Each spike as a jAER UDP datagram to these endpoints.
    public var udp: [NetworkFile.Endpoint] = []
    /// Pulse each channel's spike-out line (when the board has one) for this long per spike; zero disables it.
    public var spikeOutWidth: Duration = .microseconds(500)
    /// Save board, protocol, the exact ADC trace, pulses and spikes for `neuronctl replay` (held in memory during
    /// the run, so its length is limited: `Session.recordingSampleLimit`).
    public var recording: String?
    /// Keep every pulse and spike in memory for the caller (`SessionOutcome.result`), as recordings do; otherwise
    /// the result keeps at most `Session.recordLimit` of each (the files and sinks get them all).
    public var keepRecords = false
    /// Keep every sample in memory for the caller (`EngineResult.traces`), as recordings do; limited as they are.
    public var keepTrace = false
    public init() {}
}

/// How the loop runs.
public struct RealtimePlan: Sendable {
    /// On a real-time thread, ticks timed against the real clock, a simulated board paced by it. A hardware board
    /// always runs this way.
    public var enabled = false
    /// Pace a simulated board by the real clock without the real-time thread (a peer on the network expects spikes
    /// in real time). Live value streams and `listen` pace a run anyway.
    public var paced = false
    /// SCHED_FIFO priority of the loop thread (nil: normal scheduling); the forwarder runs one below.
    public var priority: Int32? = 80
    public var cpu: Int?
    public var lockMemory = true
    public var forwarder = ForwarderPlacement.any
    /// The forwarding thread polls its ring instead of sleeping (needs a CPU of its own).
    public var forwarderPolls = false
    public var overrunPolicy = OverrunPolicy.carryOn
    public init() {}
}

/// Where the spike forwarding thread runs in a real-time run.
public enum ForwarderPlacement: Sendable, Hashable {
    /// The scheduler's choice.
    case any
    /// The loop's CPU.
    case loop
    case cpu(Int)
}

/// A simulated board's settings for this run (a hardware board refuses all but the defaults).
public struct SimulationPlan: Sendable {
    public var seed: UInt64?
    public var model: NeuronModelKind?
    /// Keep the DAC and GPIO registers in this file, so they outlive the process (`neuronctl supervise`).
    public var stateFile: String?
    public var faults: FaultInjection?
    public init(seed: UInt64? = nil, model: NeuronModelKind? = nil, stateFile: String? = nil, faults: FaultInjection? = nil) {
        self.seed = seed
        self.model = model
        self.stateFile = stateFile
        self.faults = faults
    }
}

/// Seeded random bus faults on every simulated bus and device.
public struct FaultInjection: Sendable, Hashable {
    /// Probability that a transfer fails with a NAK, an EIO (bus fault) or a timeout.
    public var nak: Double
    public var eio: Double
    public var timeout: Double
    /// Probability that a successful read reply has one bit flipped.
    public var corrupt: Double
    public init(nak: Double = 0, eio: Double = 0, timeout: Double = 0, corrupt: Double = 0) {
        self.nak = nak
        self.eio = eio
        self.timeout = timeout
        self.corrupt = corrupt
    }

    /// One rate: each transfer fails with probability p (NAK, EIO or timeout equally likely), and each successful
    /// read is corrupted with probability p.
    public static func rate(_ p: Double) -> FaultInjection { FaultInjection(nak: p / 3, eio: p / 3, timeout: p / 3, corrupt: p) }

    /// The failure probability and the kinds drawn, in proportion to their rates (a 30-slot table: exact for the
    /// one-rate form).
    var failure: (probability: Double, kinds: [HardwareError.Kind]) {
        let total = nak + eio + timeout
        guard total > 0 else { return (0, []) }
        var kinds: [HardwareError.Kind] = []
        for (p, k) in [(nak, HardwareError.Kind.noAcknowledge(.address)), (eio, .busFault), (timeout, .timedOut)] {
            kinds += Array(repeating: k, count: Int((p / total * 30).rounded()))
        }
        return (total, kinds.isEmpty ? [.busFault] : kinds)
    }
}
