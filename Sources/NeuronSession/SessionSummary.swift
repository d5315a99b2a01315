public import NeuronControl
public import NeuronLinux
public import NeuronNetwork
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
    /// The wall-clock time (CLOCK_REALTIME, seconds since 1970) at the run's time 0, for runs paced by the real
    /// clock: every time in this board's files is from that instant, so it relates them to another board's (absent
    /// on a simulated clock, where a run's files are the same bytes every time).
    public var startedUnixSeconds: Double?
    /// What the jAER input received, lost and refused (absent when the run did not listen).
    public var udpInput: UDPInputReport?
    /// The files written, by kind: trace (or trace-neuron<ID>), spikes, summary, record.
    public var files: [String: String]

    enum CodingKeys: String, CodingKey {
        case schema, tool, command, board, protocolInfo = "protocol", sampleRateHz, result, dacReadBack, forwarding, realtime, startedUnixSeconds, udpInput, files
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
