import NeuronHAL
public import NeuronControl
public import Foundation

/// A run saved to one file: the board (its YAML text), the protocol, the detector settings, the ADC trace of every
/// channel, the pulses applied and the spikes detected. JSON with sorted keys, so the same run gives the same
/// bytes; membrane values are stored as the exact doubles the detector saw, so `replay` reproduces the run's
/// spikes bit for bit, and a recording kept under Tests/ is a golden-trace regression test for `SpikeDetector`.
///
/// Read it in Python with `json.load(open(path))`: `time_ns` and `channels[i].membrane_v` are parallel arrays.
/// A `membrane_v` entry is `null` where that channel's sample was skipped after a bus fault (a network run; the
/// other channels were read at that instant); the detector did not see it, and `replay` skips it too.
///
/// Written by `neuronctl run`, `sense` and `network` (an `Engine` run of any number of channels); `replay` treats
/// them alike.
public struct Recording: Sendable, Codable, Hashable {
    public struct Board: Sendable, Codable, Hashable {
        public var name: String
        public var file: String
        public var yaml: String
        public var simulated: Bool
        public var model: String?
        public var seed: UInt64?
        public init(name: String, file: String, yaml: String, simulated: Bool, model: String?, seed: UInt64?) {
            self.name = name; self.file = file; self.yaml = yaml; self.simulated = simulated; self.model = model; self.seed = seed
        }
    }
    /// The detector's settings, in plain units.
    public struct Detector: Sendable, Codable, Hashable {
        public var smoothingWindow: Int
        public var thresholdVolts: Double
        public var rearmVolts: Double
        public var onsetLevelVolts: Double
        public var refractoryNs: Int64
        public var switchingThresholdVolts: Double
        public var plateauWindowNs: Int64
        public var plateauTolerance: Double
        public var capacitancePicofarads: Double

        public init(_ c: DetectorConfiguration) {
            smoothingWindow = c.smoothingWindow
            thresholdVolts = c.threshold.volts
            rearmVolts = c.rearm.volts
            onsetLevelVolts = c.onsetLevel.volts
            refractoryNs = c.refractory.nanosecondsValue
            switchingThresholdVolts = c.switchingThreshold.volts
            plateauWindowNs = c.plateauWindow.nanosecondsValue
            plateauTolerance = c.plateauTolerance
            capacitancePicofarads = c.capacitance.farads * 1e12
        }

        public var configuration: DetectorConfiguration {
            var c = DetectorConfiguration()
            c.smoothingWindow = smoothingWindow
            c.threshold = .volts(thresholdVolts)
            c.rearm = .volts(rearmVolts)
            c.onsetLevel = .volts(onsetLevelVolts)
            c.refractory = .nanoseconds(refractoryNs)
            c.switchingThreshold = .volts(switchingThresholdVolts)
            c.plateauWindow = .nanoseconds(plateauWindowNs)
            c.plateauTolerance = plateauTolerance
            c.capacitance = .picofarads(capacitancePicofarads)
            return c
        }
    }
    public struct Channel: Sendable, Codable, Hashable {
        public var id: Int
        public var stimulusV: [Double]
        /// nil: the sample was skipped (every read of this membrane failed; the engine's trace holds NaN).
        public var membraneV: [Double?]
        public var pulse: [Int32]
    }
    /// A spike with every field the detector reports (`detectedAt`, a wall-clock stamp, is left out).
    public struct Spike: Sendable, Codable, Hashable {
        public var index: Int
        public var channel: Int
        public var pulse: Int
        public var onsetNs: Int64
        public var crossingNs: Int64
        public var peakTimeNs: Int64
        public var peakVolts: Double
        public var energyJoules: Double
        public var biasTimeNs: Int64
        public var fullyFormed: Bool
        public init(_ e: SpikeEvent) {
            index = e.index; channel = e.channel; pulse = e.pulseIndex; onsetNs = e.onset; crossingNs = e.crossing
            peakTimeNs = e.peakTime; peakVolts = e.peak.volts; energyJoules = e.energy.joules
            biasTimeNs = e.biasTime.nanosecondsValue; fullyFormed = e.fullyFormed
        }
    }

    public var format = "neuronhil-recording"
    public var version = 1
    public var tool: String
    public var board: Board
    /// What drove the run, as `key: value` pairs (encoder, train, network file, …).
    public var protocolInfo: [String: String]
    public var sampleIntervalNs: Int64
    public var detector: Detector
    public var timeNs: [Int64]
    public var channels: [Channel]
    public var pulses: [PulseRecord]
    public var spikes: [Spike]

    enum CodingKeys: String, CodingKey {
        case format, version, tool, board, protocolInfo = "protocol", sampleIntervalNs, detector, timeNs, channels, pulses, spikes
    }

    /// An engine run that kept its trace (`EngineConfiguration.keepTrace`), whatever ended it: everything sampled up
    /// to the end is kept, with the exact values the detector saw, so `replay` finds the same spikes bit for bit.
    /// `detector` is the channels' detector settings (every channel of a board runs the same). The run must have
    /// kept every pulse and spike (`EngineConfiguration.recordLimit` above its counts).
    public init(tool: String, board: Board, protocolInfo: [String: String], sampleInterval: Duration,
                detector: DetectorConfiguration, result: EngineResult) {
        let time = result.traces.first.map { Array($0.time) } ?? []
        self.init(tool: tool, board: board, protocolInfo: protocolInfo, sampleInterval: sampleInterval, detector: detector,
                  time: time,
                  channels: result.traces.map {
                      Channel(id: $0.id, stimulusV: Array($0.stimulus), membraneV: $0.membrane.map { $0.isNaN ? nil : $0 },
                              pulse: Array($0.pulse))
                  },
                  pulses: result.pulses, spikes: result.spikes)
    }

    init(tool: String, board: Board, protocolInfo: [String: String], sampleInterval: Duration, detector: DetectorConfiguration,
         time: [Int64], channels: [Channel], pulses: [PulseRecord], spikes: [SpikeEvent]) {
        self.tool = tool
        self.board = board
        self.protocolInfo = protocolInfo
        sampleIntervalNs = sampleInterval.nanosecondsValue
        self.detector = Detector(detector)
        timeNs = time
        self.channels = channels
        self.pulses = pulses
        self.spikes = spikes.map(Spike.init)
    }

    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.keyEncodingStrategy = .convertToSnakeCase
        return try e.encode(self)
    }

    /// Reads a recording; errors name the file and what is wrong.
    public static func load(path: String) throws(InputError) -> Recording {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw InputError(source: path, line: nil, problem: "cannot read the file (\(error.localizedDescription)).", fix: "give the path of a recording written with --record")
        }
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        let r: Recording
        do { r = try d.decode(Recording.self, from: data) } catch {
            throw InputError(source: path, line: nil, problem: "not a NeuronHIL recording (\(error)).", fix: "give a file written by neuronctl run/sense/network --record")
        }
        guard r.format == "neuronhil-recording", r.version == 1 else {
            throw InputError(source: path, line: nil, problem: "format \(r.format) version \(r.version) is not supported.", fix: "record it again with this neuronctl")
        }
        for c in r.channels where c.membraneV.count != r.timeNs.count || c.pulse.count != r.timeNs.count {
            throw InputError(source: path, line: nil, problem: "channel \(c.id) has \(c.membraneV.count) samples for \(r.timeNs.count) times.", fix: "the file is damaged; record it again")
        }
        return r
    }

    /// Runs `SpikeDetector` (with `detector`, default the recorded settings) over the recorded trace, channel by
    /// channel, and returns the spikes in the same order as a live run records them.
    public func replay(detector override: DetectorConfiguration? = nil) -> [SpikeEvent] {
        let config = override ?? detector.configuration
        var out: [(Int, Int, SpikeEvent)] = []  // (sample, channel order, spike) to merge channels as the loop does
        for (order, ch) in channels.enumerated() {
            let pulses = self.pulses.filter { $0.channel == ch.id }.sorted { $0.index < $1.index }
            var det = SpikeDetector(configuration: config, channel: ch.id, sampleInterval: .nanoseconds(sampleIntervalNs))
            for i in timeNs.indices {
                let k = Int(ch.pulse[i])
                var state = StimulusState.idle
                if k >= 0, k < pulses.count {
                    let p = pulses[k]
                    state = StimulusState(pulseIndex: k, pulseStart: p.startNs, pulseEnd: p.endNs, isOn: timeNs[i] < p.endNs,
                                          isSupraThreshold: Voltage.volts(p.amplitudeVolts) > config.switchingThreshold)
                }
                // A skipped sample (null): the live detector did not see it either.
                guard let m = ch.membraneV[i] else { continue }
                if let s = det.process(time: timeNs[i], membrane: .volts(m), stimulus: state), s.phase == .complete {
                    out.append((i, order, s))
                }
            }
            if let s = det.finish(at: timeNs.last ?? 0) { out.append((timeNs.count, order, s)) }
        }
        return out.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }

    /// Compares replayed spikes with the recorded ones; nil when equal, otherwise a description of the first
    /// difference (for the CLI and for golden tests).
    public static func difference(recorded: [Spike], replayed: [SpikeEvent]) -> String? {
        let replayed = replayed.map(Spike.init)
        for (i, (a, b)) in zip(recorded, replayed).enumerated() where a != b {
            return "spike \(i) differs:\n  recorded \(a)\n  replayed \(b)"
        }
        if recorded.count != replayed.count {
            return "recorded \(recorded.count) spikes, replay found \(replayed.count)"
        }
        return nil
    }
}
