import NeuronBoard
import NeuronBoardSim
@testable import NeuronControl
import NeuronHAL
import NeuronPhysics
import NeuronSim

/// The repository's Boards/ directory, found from this file so tests run from any working directory.
let boardsDirectory: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/NeuronControlTests/MockBoardHelpers.swift
    return parts.joined(separator: "/") + "/Boards"
}()

/// A one-neuron engine run as these tests read it: the engine's result for its one channel.
struct OneChannelResult {
    let engine: EngineResult
    var trace: ChannelTrace { engine.traces.first ?? emptyTrace }
    var spikes: [SpikeEvent] { engine.spikes }
    var pulsesApplied: Int { engine.channels[0].pulsesApplied }
    var samples: Int { engine.samples }
    var termination: Termination { engine.termination }
    var safeState: SafeStateOutcome { engine.safeState }
    var busFaults: BusFaultReport { engine.busFaults }
    var timing: LoopTimingReport { engine.timing }
    var elapsed: Duration { engine.elapsed }
    var traceSamplesDropped: Int { engine.channels[0].traceSamplesDropped }
    var spikesNotRecorded: Int { engine.spikesNotRecorded }
    private var emptyTrace: ChannelTrace { TraceBuffer(capacity: 0, channels: 1, allocator: HeapRunBuffers()).channelTrace(0, id: 0, count: 0) }
}

struct MockRun {
    let runtime: BoardRuntime
    let hardware: BoardRuntime.NeuronHardware
    let stimulus: SafeStimulusOutput
    let result: OneChannelResult
    var sim: SimulatedBoard { runtime.simulation! }
    var physics: SimNeuronChannel { sim.neurons[hardware.channel.id]! }
}

/// Runs `train` on the default mock board through the real drivers, sim buses and physics, on the engine with one
/// channel, as `neuronctl run` does.
func runOnMockBoard(
    _ train: PulseTrain, sampleRate: Double = 10_000, seed: UInt64 = 1, model: NeuronModelKind = .device,
    recordTrace: Bool = true, stop: StopRequest = StopRequest(), forwarder: SpikeForwarder? = nil,
    spikeOut: (any DigitalOutput)? = nil, spikeOutWidth: Duration = .microseconds(500),
    timingClock: (any MonotonicClock & Sendable)? = nil, faultPolicy: BusFaultPolicy = .stopOnFirst,
    traceStream: TraceStream? = nil, buffers: any RunBufferAllocator = HeapRunBuffers(),
    prepare: (SimulatedBoard) -> Void = { _ in }
) throws -> MockRun {
    let board = try BoardLoader.load(path: boardsDirectory + "/mock.yaml")
    let runtime = try BoardRuntime(simulating: board, overrides: .init(seed: seed, model: model))
    let hw = try runtime.neuron(id: board.neurons[0].id)
    let l = board.limits
    let limits = StimulusLimits(voltage: l.stimulus, maxPulseWidth: l.maxPulseWidth, maxDutyCycle: l.maxDutyCycle, sampleRate: l.sampleRate)
    try train.validate(against: limits)
    let stimulus = try SafeStimulusOutput(hw.stimulus, limits: limits.voltage)
    prepare(runtime.simulation!)
    let channel = EngineChannel(id: hw.channel.id, stimulus: stimulus, membrane: hw.membrane, limits: limits,
                                source: TrainPulses(train), spikeOut: spikeOut, traceStream: traceStream)
    let config = EngineConfiguration(sampleRate: .hertz(sampleRate), duration: train.duration, keepTrace: recordTrace,
                                     spikeOutWidth: spikeOutWidth)
    let result = try Engine(channels: [channel], configuration: config, clock: runtime.clock, stop: stop, forwarder: forwarder,
                            realtime: RealtimeOptions(timingClock: timingClock), faultPolicy: faultPolicy, buffers: buffers).run()
    return MockRun(runtime: runtime, hardware: hw, stimulus: stimulus, result: OneChannelResult(engine: result))
}

func train(volts: Double = 0.75, widthMs: Double = 5, hz: Double = 33, count: Int) -> PulseTrain {
    PulseTrain(amplitude: .volts(volts), width: .seconds(widthMs / 1000), frequency: .hertz(hz), count: count)
}
