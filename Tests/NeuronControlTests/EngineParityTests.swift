import Foundation
import NeuronBoard
import NeuronBoardSim
@testable import NeuronControl
import NeuronHAL
import NeuronPhysics
import NeuronSim
import Testing

// The engine with one channel against ControlLoop, the loop `run` had before the engine. Both ran side by side on
// the same board, seed and protocol and gave byte-identical trace.csv and spikes.csv rows and the same summary;
// ControlLoop's outputs for the cases below are kept in Fixtures/control-loop-golden.json (the trace as its length
// and digest), and the engine must still give exactly them.

/// A membrane that asks the run to stop (as SIGINT would) at its `stopAt`-th read.
final class StoppingMembrane: AnalogInput {
    let input: any AnalogInput
    let stop: StopRequest
    let stopAt: Int
    var reads = 0
    init(_ input: any AnalogInput, stop: StopRequest, stopAt: Int) {
        self.input = input
        self.stop = stop
        self.stopAt = stopAt
    }
    func readVoltage() throws(HardwareError) -> Voltage {
        reads += 1
        if reads == stopAt { stop.request(signal: 2) }
        return try input.readVoltage()
    }
}

struct ParityCase: CustomStringConvertible, Sendable {
    var seed: UInt64
    var model: NeuronModelKind = .device
    var train: PulseTrain
    var sampleRate = 10_000.0
    var faultRate = 0.0
    var stopAtRead: Int?
    var spikeOut = false
    var description: String { "seed \(seed) \(model) \(train.frequency) \(train.width) \(sampleRate) faults \(faultRate) stop \(stopAtRead ?? 0)" }
}

/// What a run leaves behind, as bytes: the streamed trace rows, the spike rows, the summary JSON.
struct RunBytes: Equatable {
    var trace: String
    var spikes: String
    var summary: String
}

/// A fresh mock board, faults injected, the membrane wrapped for a stop: the same for both loops.
func parityBoard(_ c: ParityCase, stop: StopRequest) throws -> (BoardRuntime, SafeStimulusOutput, any AnalogInput, StimulusLimits) {
    let board = try BoardLoader.load(path: boardsDirectory + "/mock.yaml")
    let runtime = try BoardRuntime(simulating: board, overrides: .init(seed: c.seed, model: c.model, recordsHistory: false))
    if c.faultRate > 0 {
        for (i, name) in runtime.simulation!.i2cBuses.keys.sorted().enumerated() {
            runtime.simulation!.i2cBuses[name]!.faults.rate(c.faultRate, kinds: [.noAcknowledge(.data), .busFault], seed: c.seed + UInt64(i))
        }
    }
    let hw = try runtime.neuron(id: board.neurons[0].id)
    let l = board.limits
    let limits = StimulusLimits(voltage: l.stimulus, maxPulseWidth: l.maxPulseWidth, maxDutyCycle: l.maxDutyCycle, sampleRate: l.sampleRate)
    let membrane: any AnalogInput = c.stopAtRead.map { StoppingMembrane(hw.membrane, stop: stop, stopAt: $0) } ?? hw.membrane
    return (runtime, try SafeStimulusOutput(hw.stimulus, limits: limits.voltage), membrane, limits)
}

func drain(_ stream: TraceStream) -> String {
    var s = RunRecords.traceHeader
    while let row = stream.ring.pop() { RunRecords.appendTraceRow(row, to: &s) }
    return s
}

func bytes(_ r: EngineResult, trace: TraceStream) throws -> RunBytes {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys]
    var summary = RunSummary(r)
    summary.elapsedSeconds = (summary.elapsedSeconds * 1e9).rounded() / 1e9
    return RunBytes(trace: drain(trace), spikes: RunRecords.spikesCSV(r.spikes, metadata: []),
                    summary: String(decoding: try e.encode(summary), as: UTF8.self))
}

func runEngine(_ c: ParityCase) throws -> (RunBytes, EngineResult) {
    let stop = StopRequest()
    let (runtime, stimulus, membrane, limits) = try parityBoard(c, stop: stop)
    try c.train.validate(against: limits)
    let stream = TraceStream(capacity: 1 << 20, waitsWhenFull: false)
    let channel = EngineChannel(id: 0, stimulus: stimulus, membrane: membrane, limits: limits, source: TrainPulses(c.train),
                                spikeOut: c.spikeOut ? try runtime.neuron(id: 0).spikeOut : nil, traceStream: stream)
    let engine = try Engine(channels: [channel], configuration: EngineConfiguration(sampleRate: .hertz(c.sampleRate), duration: c.train.duration),
                            clock: runtime.clock, stop: stop, faultPolicy: c.faultRate > 0 ? .tolerant : .stopOnFirst)
    let r = engine.run()
    return (try bytes(r, trace: stream), r)
}

let goldenFile = boardsDirectory + "/../Tests/NeuronControlTests/Fixtures/control-loop-golden.json"

@Test func engineGivesControlLoopsRecordedOutputs() throws {
    let golden = try JSONDecoder().decode([GoldenRun].self, from: Data(contentsOf: URL(fileURLWithPath: goldenFile)))
    #expect(golden.map(\.name) == goldenCases.map(\.name))
    for ((name, c), expected) in zip(goldenCases, golden) {
        let (b, result) = try runEngine(c)
        let got = GoldenRun(name: name, traceBytes: b.trace.utf8.count, traceFNV1a: fnv1a(b.trace), spikes: b.spikes, summary: b.summary)
        #expect(expected.traceBytes > 10_000, "\(name): the case records a trace")
        #expect(got.traceBytes == expected.traceBytes && got.traceFNV1a == expected.traceFNV1a, "\(name): trace.csv rows differ")
        #expect(got.spikes == expected.spikes, "\(name): spikes.csv rows differ")
        // The golden summaries spell two keys as the properties do ("energyPJ"); they are now written "energyPj",
        // which survives a snake_case round trip. Same place in the sorted order.
        let summary = expected.summary.replacingOccurrences(of: "EnergyPJ\"", with: "EnergyPj\"")
            .replacingOccurrences(of: "\"energyPJ\"", with: "\"energyPj\"")
        #expect(got.summary == summary, "\(name): summaries differ:\n\(summary)\n\(got.summary)")
        if c.stopAtRead != nil { #expect(result.termination == .stopped(signal: 2)) }
        if c.faultRate > 0.1 { #expect(result.busFaults.failedTransfers > 0) }
    }
    // The cases exercise what they are meant to: spikes, bus faults, a stop.
    #expect(golden.contains { $0.spikes.split(separator: "\n").count > 5 })
}
/// The cases whose `ControlLoop` outputs are kept as the engine's golden record (paper and deterministic models,
/// whose physics the device-model fit does not touch).
let goldenCases: [(name: String, c: ParityCase)] = [
    ("paper-fig2c", ParityCase(seed: 1, model: .paper, train: .fig2c(count: 40))),
    ("paper-5ksps", ParityCase(seed: 2, model: .paper, train: .fig2c(count: 30), sampleRate: 5_000)),
    ("paper-50hz", ParityCase(seed: 7, model: .paper, train: PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(50), count: 40))),
    ("deterministic-7ms5-20ksps", ParityCase(seed: 3, model: .deterministic, train: PulseTrain(amplitude: .volts(0.75), width: .microseconds(7500), frequency: .hertz(33), count: 30), sampleRate: 20_000)),
    ("paper-0v4-20hz", ParityCase(seed: 4, model: .paper, train: PulseTrain(amplitude: .volts(0.4), width: .milliseconds(5), frequency: .hertz(20), count: 20))),
    ("paper-faults-1pc", ParityCase(seed: 5, model: .paper, train: .fig2c(count: 40), faultRate: 0.01)),
    ("paper-faults-20pc", ParityCase(seed: 6, model: .paper, train: .fig2c(count: 40), faultRate: 0.2)),
    ("paper-stopped", ParityCase(seed: 8, model: .paper, train: .fig2c(count: 40), stopAtRead: 4_321)),
    ("deterministic-spike-out", ParityCase(seed: 9, model: .deterministic, train: .fig2c(count: 30), spikeOut: true)),
]

/// FNV-1a, 64 bits: a digest of a trace file that needs no crypto library.
func fnv1a(_ s: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return String(h, radix: 16)
}

struct GoldenRun: Codable, Equatable {
    var name: String
    var traceBytes: Int
    var traceFNV1a: String
    var spikes: String
    var summary: String
}
