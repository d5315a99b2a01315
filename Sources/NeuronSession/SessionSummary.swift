public import NeuronControl
public import NeuronLinux
public import Foundation

/// The JSON summary of a run (`summary.json`, `--json`): one schema for `run`, `sense` and `network`, documented in
/// docs/summary-schema.md. `schema` names the version; a change that renames or removes a field bumps it.
public struct SessionSummary: Sendable, Codable {
    public static let schemaVersion = "neuronhil-summary/1"

    public struct Board: Sendable, Codable, Hashable {
        public var name: String
        public var file: String
        public var simulated: Bool
        /// The simulated neurons' physics and seed (absent on hardware).
        public var model: String?
        public var seed: UInt64?
    }

    /// What one neuron's DAC holds after the safe state, read back over its bus.
    public struct DACReadBack: Sendable, Codable, Hashable {
        public var neuron: Int
        /// nil: every read failed (`text` says why).
        public var volts: Double?
        public var poweredDown: Bool?
        public var text: String
    }

    /// The jAER spikes received on the network file's `listen` endpoint, with jAER's sequence check per sender
    /// (`JAERSequenceCheck`: 0 first, then +1 wrapping as a Java int).
    public struct UDPInput: Sendable, Codable, Hashable {
        /// "host:port" bound.
        public var endpoint: String
        /// Datagrams whose sequence number was checked (every one at least 4 bytes long).
        public var datagrams: Int
        /// Jumps in a sender's sequence (what jAER's receiver logs as dropped packets) and the datagrams they skipped.
        public var sequenceGaps: Int
        public var missingDatagrams: Int
        /// Datagrams refused as malformed; spikes decoded; spikes dropped because the loop was behind.
        public var refusedDatagrams: Int
        public var spikesReceived: Int
        public var spikesDropped: Int
        public init(endpoint: String, datagrams: Int, sequenceGaps: Int, missingDatagrams: Int, refusedDatagrams: Int,
                    spikesReceived: Int, spikesDropped: Int) {
            self.endpoint = endpoint
            self.datagrams = datagrams
            self.sequenceGaps = sequenceGaps
            self.missingDatagrams = missingDatagrams
            self.refusedDatagrams = refusedDatagrams
            self.spikesReceived = spikesReceived
            self.spikesDropped = spikesDropped
        }
    }

    public var schema = SessionSummary.schemaVersion
    public var tool: String
    public var command: String
    public var board: Board
    /// What drove the run, as `key: value` pairs (the same lines as the files' headers).
    public var protocolInfo: [String: String]
    public var sampleRateHz: Double
    /// The run's figures, one entry per neuron in `result.channels`.
    public var result: RunSummary
    public var dacReadBack: [DACReadBack]
    public var forwarding: ForwardingReport?
    /// What the real-time set-up applied and refused (absent when the run was not real time).
    public var realtime: RealtimeReport?
    /// The files written, by kind: trace (or trace-neuron<ID>), spikes, summary, record.
    public var files: [String: String]
    /// The `listen` endpoint's datagrams (absent when the run listened for none).
    public var udpInput: UDPInput?

    enum CodingKeys: String, CodingKey {
        case schema, tool, command, board, protocolInfo = "protocol", sampleRateHz, result, dacReadBack, forwarding, realtime, files
        case udpInput
    }

    /// The JSON text: sorted keys, snake_case, two-space indentation.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads a summary written by `jsonText()`.
    public static func decode(_ data: Data) throws -> SessionSummary {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(SessionSummary.self, from: data)
    }
}
