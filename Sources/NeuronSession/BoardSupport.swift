public import NeuronBoard
public import NeuronBoardSim
import NeuronBoardLinux
public import NeuronControl
import NeuronHAL
public import NeuronNetwork
import NeuronSim
import NeuronLinux
import Foundation

// The bridge from a board brought up (NeuronBoard) to the engine's channels, and what only a simulated board does
// (fault injection, pacing by the real clock). The only place below the CLI that picks a backend.

extension BoardRuntime {
    /// Brings `description` up on the backend it names: simulated chips (`simulated: true`, with `overrides`) or the
    /// Linux devices.
    public convenience init(_ description: BoardDescription, overrides: SimulationOverrides = SimulationOverrides())
        throws(BoardError) {
        if description.board.simulated {
            try self.init(simulating: description, overrides: overrides)
        } else {
            try self.init(linux: description)
        }
    }
}

extension BoardProbe {
    /// Probes `board` on the backend it names (`simulated`, or `linux`). Never throws: every failure becomes a fault
    /// in the report.
    public static func run(_ board: BoardDescription) -> Report {
        board.board.simulated ? simulated(board) : linux(board)
    }
}

extension BoardDescription {
    /// The board file's `limits` as the control layer's type.
    public var stimulusLimits: StimulusLimits {
        StimulusLimits(voltage: limits.stimulus, maxPulseWidth: limits.maxPulseWidth, maxDutyCycle: limits.maxDutyCycle,
                       sampleRate: limits.sampleRate)
    }
}

extension EngineChannel {
    /// The neuron `id` of a board brought up, with its stimulus behind `SafeStimulusOutput` and the board's limits,
    /// and the detector's capacitance taken from the board file.
    public static func onBoard(_ runtime: BoardRuntime, id: Int, source: (any PulseSource)? = nil,
                               detector: DetectorConfiguration = DetectorConfiguration(), spikeOut: Bool = false,
                               traceStream: TraceStream? = nil, viewStream: TraceStream? = nil) throws -> EngineChannel {
        let hw = try runtime.neuron(id: id)
        let limits = runtime.description.stimulusLimits
        var d = detector
        d.capacitance = hw.channel.capacitance
        return EngineChannel(id: id, stimulus: try SafeStimulusOutput(hw.stimulus, limits: limits.voltage), membrane: hw.membrane,
                             limits: limits, detector: d, source: source, spikeOut: spikeOut ? hw.spikeOut : nil,
                             traceStream: traceStream, viewStream: viewStream)
    }
}

extension SensorValueFeed {
    /// The board's sensor `name`, sampled every `period`.
    public static func onBoard(_ runtime: BoardRuntime, sensor name: String, period: Duration) throws(BoardError) -> SensorValueFeed {
        let sensor = try runtime.sensor(named: name)
        return SensorValueFeed(period: period, read: sensor.read)
    }
}

extension Recording.Board {
    /// The board `runtime` was brought up from, with the text of its file at `path` or of the built-in board that
    /// `path` refers to (`BoardSource`; empty if it cannot be read again) and the simulation's model and seed.
    public init(path: String, runtime: BoardRuntime) {
        let yaml = (try? BoardSource(reference: path).text()) ?? ""
        self.init(name: runtime.description.board.name, file: path, yaml: yaml, simulated: runtime.description.board.simulated,
                  model: runtime.simulation?.model.rawValue, seed: runtime.simulation?.seed)
    }
}

extension SimulatedBoard {
    /// Seeded random faults on every simulated bus and device (deterministic for a given board seed).
    public func inject(_ f: FaultInjection) {
        let (p, kinds) = f.failure
        var k: UInt64 = 0
        func next() -> UInt64 { k += 1; return seed &* 0x2545_F491_4F6C_DD1D &+ k }
        for (_, bus) in i2cBuses.sorted(by: { $0.key < $1.key }) {
            if p > 0 { bus.faults.rate(p, kinds: kinds, seed: next()) }
            if f.corrupt > 0 { bus.faults.corruptReads(f.corrupt, seed: next()) }
        }
        for (_, dev) in spiDevices.sorted(by: { $0.key < $1.key }) {
            if p > 0 { dev.faults.rate(p, kinds: kinds, seed: next()) }
            if f.corrupt > 0 { dev.faults.corruptReads(f.corrupt, seed: next()) }
        }
    }
}

/// A clock for a real-time run on a simulated board: the simulated chips still live on their manual clock, but every
/// sleep first waits for the same instant on the real monotonic clock (`clock_nanosleep(TIMER_ABSTIME)`), so the
/// loop runs at the pace, and with the wake-up behaviour, it would have on hardware.
final class PacedClock: MonotonicClock {
    private let simulated: ManualClock
    private let real = LinuxClock()
    // Anchored at the first sleep, i.e. when the loop starts, not when the board was brought up.
    private var realStart: Int64?
    private var simStart = MonotonicInstant.zero
    init(_ simulated: ManualClock) {
        self.simulated = simulated
    }
    var now: MonotonicInstant { simulated.now }
    func sleep(until deadline: MonotonicInstant) {
        let start: Int64
        if let realStart {
            start = realStart
        } else {
            start = real.now.nanoseconds
            realStart = start
            simStart = simulated.now
        }
        real.sleep(until: MonotonicInstant(nanoseconds: start + deadline.nanoseconds - simStart.nanoseconds))
        simulated.sleep(until: deadline)
    }
}
