import NeuronBoard
import NeuronControl
import NeuronHAL
import NeuronPhysics
import NeuronSim

/// The repository's Boards/ directory, found from this file so tests run from any working directory.
let boardsDirectory: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/NeuronControlTests/MockBoardHelpers.swift
    return parts.joined(separator: "/") + "/Boards"
}()

struct MockRun {
    let runtime: BoardRuntime
    let hardware: BoardRuntime.NeuronHardware
    let stimulus: SafeStimulusOutput
    let result: RunResult
    var sim: SimulatedBoard { runtime.simulation! }
    var physics: SimNeuronChannel { sim.neurons[hardware.channel.id]! }
}

/// Runs `train` on the default mock board through the real drivers, sim buses and physics.
func runOnMockBoard(
    _ train: PulseTrain, sampleRate: Double = 10_000, seed: UInt64 = 1, model: NeuronModelKind = .device,
    recordTrace: Bool = true, stop: StopRequest = StopRequest(), outputs: SpikeOutputs = SpikeOutputs(),
    timingClock: (any MonotonicClock & Sendable)? = nil, faultPolicy: BusFaultPolicy = .stopOnFirst,
    traceStream: TraceStream? = nil, buffers: any RunBufferAllocator = HeapRunBuffers(),
    prepare: (SimulatedBoard) -> Void = { _ in }
) throws -> MockRun {
    let board = try BoardLoader.load(path: boardsDirectory + "/mock.yaml")
    let runtime = try BoardRuntime(board, overrides: .init(seed: seed, model: model))
    let hw = try runtime.neuron(id: board.neurons[0].id)
    let l = board.limits
    let limits = StimulusLimits(voltage: l.stimulus, maxPulseWidth: l.maxPulseWidth, maxDutyCycle: l.maxDutyCycle, sampleRate: l.sampleRate)
    let config = RunConfiguration(train: train, sampleRate: .hertz(sampleRate), recordTrace: recordTrace)
    try config.validate(against: limits)
    let stimulus = try SafeStimulusOutput(hw.stimulus, limits: limits.voltage)
    prepare(runtime.simulation!)
    let result = ControlLoop(configuration: config, stimulus: stimulus, membrane: hw.membrane, clock: runtime.clock, stop: stop,
                             outputs: outputs, realtime: RealtimeOptions(timingClock: timingClock), faultPolicy: faultPolicy,
                             traceStream: traceStream, buffers: buffers).run()
    return MockRun(runtime: runtime, hardware: hw, stimulus: stimulus, result: result)
}

func train(volts: Double = 0.75, widthMs: Double = 5, hz: Double = 33, count: Int) -> PulseTrain {
    PulseTrain(amplitude: .volts(volts), width: .seconds(widthMs / 1000), frequency: .hertz(hz), count: count)
}
