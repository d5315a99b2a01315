import Foundation
import NeuronBoard
import NeuronControl
import NeuronHAL
import NeuronPhysics
import NeuronSim
import NeuronLinux

/// An error the CLI reports as it is (already naming the place and the fix), with an exit code.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32 = 2
}

/// Everything needed for one run on one neuron: the board brought up, the protocol checked against its limits,
/// and the stimulus wrapped so no value outside the limits can reach the DAC. Nothing touches a bus until
/// `execute()`.
struct RunSession {
    let boardPath: String
    let runtime: BoardRuntime
    let hardware: BoardRuntime.NeuronHardware
    let configuration: RunConfiguration
    let stimulus: SafeStimulusOutput
    let limits: StimulusLimits
    /// With `recording`: the membrane input the loop reads through, keeping every value for `Recording`.
    let membraneRecorder: MembraneRecorder?

    /// `recording`: keep the trace in memory (as `recordTrace` does) and the exact membrane values the detector saw,
    /// for `Recording(run:membrane:)`; about 28 bytes per sample.
    init(boardPath: String, neuronID: Int?, train: PulseTrain, sampleRate: Frequency, seed: UInt64?,
         model: NeuronModelKind?, recordTrace: Bool, stateFile: String? = nil, injectFaults: FaultInjectionArgument? = nil,
         recording: Bool = false) throws {
        let description: BoardDescription
        do {
            description = try BoardLoader.load(path: boardPath)
        } catch {
            throw CLIError(description: error.description)
        }
        do {
            // No sim logs: a CLI run may be long, and the logs would grow (and allocate) without bound.
            if !description.board.simulated, stateFile != nil || injectFaults != nil {
                throw CLIError(description: "\(boardPath): --sim-state and --inject-faults apply to simulated boards only, and this board is real hardware. Fix: drop them, or use a simulated board such as Boards/mock.yaml.")
            }
            runtime = try BoardRuntime(description, overrides: .init(seed: seed, model: model, recordsHistory: false, stateFile: stateFile))
            if let injectFaults, let sim = runtime.simulation {
                Self.inject(injectFaults, into: sim)
            }
            let id = neuronID ?? description.neurons[0].id
            hardware = try runtime.neuron(id: id)
        } catch {
            throw CLIError(description: String(describing: error))
        }
        self.boardPath = boardPath
        let l = description.limits
        limits = StimulusLimits(voltage: l.stimulus, maxPulseWidth: l.maxPulseWidth, maxDutyCycle: l.maxDutyCycle, sampleRate: l.sampleRate)
        var detector = DetectorConfiguration()
        detector.capacitance = hardware.channel.capacitance
        configuration = RunConfiguration(train: train, sampleRate: sampleRate, detector: detector,
                                         channel: hardware.channel.id, recordTrace: recordTrace || recording)
        do {
            try configuration.validate(against: limits)
            stimulus = try SafeStimulusOutput(hardware.stimulus, limits: limits.voltage)
        } catch {
            throw CLIError(description: "\(boardPath): \(error.description)")
        }
        // As many values as the loop's trace can hold (ControlLoop: one sample per interval up to the end, plus 2).
        let samples = Int(train.duration.nanosecondsValue / max(1, configuration.sampleInterval.nanosecondsValue)) + 2
        membraneRecorder = recording ? MembraneRecorder(hardware.membrane, capacity: samples) : nil
    }

    var model: NeuronModelKind { runtime.simulation?.model ?? .device }
    var seed: UInt64 { runtime.simulation?.seed ?? 0 }

    /// Runs the loop on `clock` (the board's own clock unless paced).
    func execute(clock: (any MonotonicClock)? = nil, stop: StopRequest, outputs: SpikeOutputs = SpikeOutputs(),
                 realtime: RealtimeOptions = RealtimeOptions(), faultPolicy: BusFaultPolicy = .stopOnFirst,
                 traceStream: TraceStream? = nil) -> RunResult {
        ControlLoop(configuration: configuration, stimulus: stimulus, membrane: membraneRecorder ?? hardware.membrane,
                    clock: clock ?? runtime.clock, stop: stop, outputs: outputs, realtime: realtime,
                    faultPolicy: faultPolicy, traceStream: traceStream, buffers: PrefaultedRunBuffers()).run()
    }

    /// Seeded random faults on every simulated bus and device (deterministic for a given seed).
    static func inject(_ f: FaultInjectionArgument, into sim: SimulatedBoard) {
        let (p, kinds) = f.failure
        var k: UInt64 = 0
        func next() -> UInt64 { k += 1; return sim.seed &* 0x2545_F491_4F6C_DD1D &+ k }
        for name in sim.i2cBuses.keys.sorted() {
            let bus = sim.i2cBuses[name]!
            if p > 0 { bus.faults.rate(p, kinds: kinds, seed: next()) }
            if f.corrupt > 0 { bus.faults.corruptReads(f.corrupt, seed: next()) }
        }
        for name in sim.spiDevices.keys.sorted() {
            let dev = sim.spiDevices[name]!
            if p > 0 { dev.faults.rate(p, kinds: kinds, seed: next()) }
            if f.corrupt > 0 { dev.faults.corruptReads(f.corrupt, seed: next()) }
        }
    }

    /// The `# key: value` header of every file this run writes. Deterministic: no dates, no host.
    func metadata(_ kind: String) -> [(String, String)] {
        let t = configuration.train
        return [
            ("neuronhil", "\(kind) written by neuronctl \(Neuronctl.version)"),
            ("board", "\(runtime.description.board.name) (\(boardPath))"),
            ("simulated", String(runtime.description.board.simulated)),
            ("model", model.rawValue),
            ("seed", String(seed)),
            ("neuron", String(hardware.channel.id)),
            ("amplitude_v", formatted(t.amplitude.volts, digits: 4)),
            ("width_ms", formatted(t.width.seconds * 1e3, digits: 4)),
            ("frequency_hz", formatted(t.frequency.hertz, digits: 4)),
            ("pulses", String(t.count)),
            ("sample_rate_hz", formatted(configuration.sampleRate.hertz, digits: 2)),
            ("detector", "threshold \(configuration.detector.threshold.volts) V, rearm \(configuration.detector.rearm.volts) V, smoothing \(configuration.detector.smoothingWindow) samples, refractory \(configuration.detector.refractory.seconds * 1e3) ms"),
            ("read_with", "pandas.read_csv(path, comment='#')"),
        ]
    }
}

/// A membrane input that keeps every value it returns, for `neuronctl run --record`: the loop's trace stores the
/// membrane as `Float`, but a recording must hold the exact values the detector saw, so that `replay` finds the
/// same spikes bit for bit. Each successful read is one sample of the loop (a failed read throws and is not kept).
///
/// The storage is allocated once, here: a read stores one `Double` and allocates nothing, so the loop's ticks stay
/// allocation-free. Values beyond `capacity` are counted in `overflow`, not kept. Not thread-safe: the loop's
/// thread owns it while the run lasts.
final class MembraneRecorder: AnalogInput {
    private let input: any AnalogInput
    private let storage: UnsafeMutablePointer<Double>
    let capacity: Int
    private(set) var count = 0
    private(set) var overflow = 0

    init(_ input: any AnalogInput, capacity: Int) {
        self.input = input
        self.capacity = max(0, capacity)
        storage = .allocate(capacity: self.capacity)
    }

    deinit { storage.deallocate() }

    func readVoltage() throws(HardwareError) -> Voltage {
        let v = try input.readVoltage()
        if count < capacity {
            storage[count] = v.volts
            count += 1
        } else {
            overflow += 1
        }
        return v
    }

    /// The values read, in order.
    var values: [Double] { Array(UnsafeBufferPointer(start: storage, count: count)) }
}

/// A clock for `--realtime` on a simulated board: the simulated chips still live on their manual clock, but every
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

/// Hands the loop and its hardware to the real-time thread and back. The hardware is not thread-safe, but only one
/// thread touches it at a time: this thread waits while the loop thread runs.
struct Handover<T>: @unchecked Sendable {
    let value: T
}
