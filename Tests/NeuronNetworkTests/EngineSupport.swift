import NeuronControl
import NeuronHAL

// The network tests read an engine result as per-channel arrays (the shape a recording has).
typealias NetworkRunResult = EngineResult

extension EngineResult {
    var channelIDs: [Int] { channels.map(\.id) }
    var time: [Int64] { traces.first.map { Array($0.time) } ?? [] }
    var stimulus: [[Double]] { traces.map { Array($0.stimulus) } }
    var membrane: [[Double]] { traces.map { Array($0.membrane) } }
    var pulseIndex: [[Int32]] { traces.map { Array($0.pulse) } }
    var skippedSamples: [Int] { channels.map(\.skippedSamples) }
}
