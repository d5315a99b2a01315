public import Foundation
import NeuronControl

/// One display column of one channel: the extremes of the capacitor and of the stimulus over the samples that fell
/// in it (a scope's peak-detect mode, so a spike narrower than a column still shows at full height).
public struct EnvelopeColumn: BitwiseCopyable, Sendable, Hashable {
    /// The column's index: it covers [index, index + 1) × the run's column width from the run's start.
    public var index: UInt32
    /// NaN when every sample of the column was skipped (a bus fault).
    public var membraneMin: Float
    public var membraneMax: Float
    public var stimulusMin: Float
    public var stimulusMax: Float
}

/// The messages between the publisher and the page. Trace columns go as binary WebSocket messages (20 bytes a
/// column), everything else as small JSON texts:
///
/// ```
/// trace (binary, little-endian):  u8 kind = 1 | u8 0 | u16 channel (position in hello.neurons) | u32 samples | u32 n |
///                                 n × (u32 column, f32 membrane min, max, f32 stimulus min, max)
/// {"type":"hello", ...LiveRunInfo}      first, once
/// {"type":"spike", ...}                 each complete spike (every one of the run, replayed to a late viewer)
/// {"type":"status", ...}                twice a second: run time, pulses per channel, viewer counts
/// {"type":"end", ...}                   the run's summary; nothing follows
/// ```
public enum LiveWire {
    public static let traceKind: UInt8 = 1
    public static let headerBytes = 12
    public static let columnBytes = 20

    /// A binary trace message of `columns` of channel position `channel`, covering `samples` samples.
    public static func trace(channel: Int, samples: Int, columns: some Collection<EnvelopeColumn>) -> Data {
        var d = Data(capacity: headerBytes + columns.count * columnBytes)
        d.append(traceKind)
        d.append(0)
        append(UInt16(truncatingIfNeeded: channel), to: &d)
        append(UInt32(truncatingIfNeeded: samples), to: &d)
        append(UInt32(truncatingIfNeeded: columns.count), to: &d)
        for c in columns {
            append(c.index, to: &d)
            for v in [c.membraneMin, c.membraneMax, c.stimulusMin, c.stimulusMax] { append(v.bitPattern, to: &d) }
        }
        return d
    }

    /// Decodes a binary trace message (tests; the page has its own reader).
    public static func decodeTrace(_ d: Data) -> (channel: Int, samples: Int, columns: [EnvelopeColumn])? {
        let b = [UInt8](d)
        guard b.count >= headerBytes, b[0] == traceKind else { return nil }
        func u32(_ i: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[i + $1]) << (8 * UInt32($1)) } }
        let n = Int(u32(8))
        guard b.count == headerBytes + n * columnBytes else { return nil }
        let columns = (0..<n).map { k -> EnvelopeColumn in
            let o = headerBytes + k * columnBytes
            return EnvelopeColumn(index: u32(o), membraneMin: Float(bitPattern: u32(o + 4)), membraneMax: Float(bitPattern: u32(o + 8)),
                                  stimulusMin: Float(bitPattern: u32(o + 12)), stimulusMax: Float(bitPattern: u32(o + 16)))
        }
        return (Int(b[2]) | Int(b[3]) << 8, Int(u32(4)), columns)
    }

    private static func append<T: FixedWidthInteger>(_ v: T, to d: inout Data) {
        withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) }
    }

    /// A JSON text message: `{"type": type, ...fields of value}`.
    public static func json(_ type: String, _ value: some Encodable) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let body = try? e.encode(value), var text = String(data: body, encoding: .utf8), text.hasPrefix("{") else {
            return #"{"type":"\#(type)"}"#
        }
        text.removeFirst()
        return #"{"type":"\#(type)""# + (text == "}" ? "}" : "," + text)
    }
}

/// What the page is told first: what runs, on what, for how long.
public struct LiveRunInfo: Sendable, Codable, Hashable {
    /// "live" (a run in progress) or "view" (a recording played back).
    public var mode: String
    public var command: String
    public var board: String
    /// The channels' neuron ids; trace messages name a channel by its position here.
    public var neurons: [Int]
    public var sampleRateHz: Double
    /// The planned run length (the progress bar's end).
    public var durationSeconds: Double
    /// One column's width; the page draws one column per pixel or fewer.
    public var columnSeconds: Double
    public var protocolText: String
    public init(mode: String, command: String, board: String, neurons: [Int], sampleRateHz: Double, durationSeconds: Double,
                columnSeconds: Double = 0, protocolText: String) {
        self.mode = mode
        self.command = command
        self.board = board
        self.neurons = neurons
        self.sampleRateHz = sampleRateHz
        self.durationSeconds = durationSeconds
        self.columnSeconds = columnSeconds
        self.protocolText = protocolText
    }
}

/// One complete spike as the page gets it.
struct LiveSpike: Codable, Hashable {
    var neuron: Int
    var index: Int
    var pulse: Int
    var onset: Double
    var peakTime: Double
    var peakVolts: Double
    var energyPJ: Double
    var biasMs: Double
    var fullyFormed: Bool
    init(_ e: SpikeEvent) {
        neuron = e.channel
        index = e.index
        pulse = e.pulseIndex
        onset = Double(e.onset) * 1e-9
        peakTime = Double(e.peakTime) * 1e-9
        peakVolts = e.peak.volts
        energyPJ = e.energy.picojoules
        biasMs = e.biasTime.seconds * 1e3
        fullyFormed = e.fullyFormed
    }
}

/// Per channel, what the feed has seen so far: the figures the page's table shows while the run goes on, and the
/// end summary's.
public struct LiveChannelFigures: Sendable, Encodable, Hashable {
    public var neuron: Int
    public var samples = 0
    public var pulses = 0
    public var spikes = 0
    public var firedPulses = 0
    public var firingProbability: Double { pulses == 0 ? 0 : Double(firedPulses) / Double(pulses) }
    public init(neuron: Int) { self.neuron = neuron }
    enum CodingKeys: String, CodingKey { case neuron, samples, pulses, spikes, firedPulses, firingProbability }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(neuron, forKey: .neuron)
        try c.encode(samples, forKey: .samples)
        try c.encode(pulses, forKey: .pulses)
        try c.encode(spikes, forKey: .spikes)
        try c.encode(firedPulses, forKey: .firedPulses)
        try c.encode(firingProbability, forKey: .firingProbability)
    }
}

/// What the live view did, for the run's report: viewers, and what was dropped and refused.
public struct LiveReport: Sendable, Codable, Hashable {
    public var viewersServed = 0
    /// Trace messages not sent to a viewer whose queue was over half full (it sees a gap, the run does not wait).
    public var traceMessagesSkipped = 0
    /// Viewers closed because their queue was full even of spikes (too slow to follow the run).
    public var viewersDropped = 0
    /// Viewers refused because `LiveFeed.maxViewers` were connected.
    public var viewersRefused = 0
    /// Samples the loop's view streams refused because the publisher was behind.
    public var samplesDroppedAtLoop = 0
    /// Spikes the live sink's ring refused.
    public var spikesDroppedAtLoop = 0
    /// Malformed or cut-short HTTP requests, and responses whose client went away mid-write (the server logged an
    /// error and closed that connection; nothing else noticed).
    public var badRequests = 0
    /// Viewers whose connection ended, while the run went on, without a WebSocket close (a closed tab's socket
    /// reset, a network cut): that viewer's queue is ended, nothing else noticed.
    public var viewersCutOff = 0
    /// Requests for something the server does not have, or with a method other than GET.
    public var refusedRequests = 0
    /// WebSocket messages that viewers sent (ignored: the view is read-only).
    public var ignoredMessages = 0
    public init() {}
}
