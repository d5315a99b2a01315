import Foundation
import NeuronBoard
@testable import NeuronControl
import NeuronHAL
import NeuronPhysics
import NeuronSim
import Testing

// The engine with one channel against ControlLoop, the loop `run` had before the engine: the same board, seed and
// protocol must give byte-identical trace.csv and spikes.csv rows and the same summary.

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
    let runtime = try BoardRuntime(board, overrides: .init(seed: c.seed, model: c.model, recordsHistory: false))
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

func runControlLoop(_ c: ParityCase) throws -> RunBytes {
    let stop = StopRequest()
    let (runtime, stimulus, membrane, limits) = try parityBoard(c, stop: stop)
    let config = RunConfiguration(train: c.train, sampleRate: .hertz(c.sampleRate), recordTrace: false)
    try config.validate(against: limits)
    let stream = TraceStream(capacity: 1 << 20, waitsWhenFull: false)
    let outputs = SpikeOutputs(spikeOut: c.spikeOut ? try runtime.neuron(id: 0).spikeOut : nil)
    let r = ControlLoop(configuration: config, stimulus: stimulus, membrane: membrane, clock: runtime.clock, stop: stop, outputs: outputs,
                        faultPolicy: c.faultRate > 0 ? .tolerant : .stopOnFirst, traceStream: stream).run()
    // The same figures, as the engine reports them for its one channel.
    let outcome = ChannelOutcome(id: 0, pulsesApplied: r.pulsesApplied, skippedSamples: r.busFaults.skippedSamples,
                                 statistics: SpikeStatistics(r.spikes), traceSamplesDropped: r.traceSamplesDropped)
    let asEngine = EngineResult(
        channels: [outcome], spikes: r.spikes, pulses: [], traces: [], samples: r.samples, elapsed: r.elapsed,
        termination: r.termination, safeState: r.safeState, timing: r.timing, busFaults: r.busFaults, droppedPulses: 0,
        externalSpikes: 0, pulsesNotRecorded: 0, spikesNotRecorded: r.spikesNotRecorded)
    return try bytes(asEngine, trace: stream)
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

let parityCases: [ParityCase] = [
    ParityCase(seed: 1, train: .fig2c(count: 40)),
    ParityCase(seed: 2, train: .fig2c(count: 30), sampleRate: 5_000),
    ParityCase(seed: 7, model: .paper, train: PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(50), count: 40)),
    ParityCase(seed: 3, train: PulseTrain(amplitude: .volts(0.75), width: .microseconds(7500), frequency: .hertz(33), count: 30), sampleRate: 20_000),
    ParityCase(seed: 4, train: PulseTrain(amplitude: .volts(0.4), width: .milliseconds(5), frequency: .hertz(20), count: 20)),
    ParityCase(seed: 5, train: .fig2c(count: 40), faultRate: 0.01),
    ParityCase(seed: 6, train: .fig2c(count: 40), faultRate: 0.2),
    ParityCase(seed: 8, train: .fig2c(count: 40), stopAtRead: 4_321),
    ParityCase(seed: 9, train: .fig2c(count: 30), spikeOut: true),
]

@Test(arguments: parityCases)
func engineMatchesControlLoop(_ c: ParityCase) throws {
    let old = try runControlLoop(c)
    let (new, result) = try runEngine(c)
    #expect(result.channels[0].pulsesApplied > 0)
    #expect(old.trace.count > 1000, "the case records a trace")
    #expect(old.trace == new.trace, "trace.csv rows differ")
    #expect(old.spikes == new.spikes, "spikes.csv rows differ")
    #expect(old.summary == new.summary, "summaries differ:\n\(old.summary)\n\(new.summary)")
    if c.stopAtRead != nil { #expect(result.termination == .stopped(signal: 2)) }
    if c.faultRate > 0.1 { #expect(result.busFaults.failedTransfers > 0) }
}
