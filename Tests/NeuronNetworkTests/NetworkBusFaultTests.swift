import Foundation
import NeuronBoard
import NeuronBoardSim
import NeuronControl
import NeuronHAL
import NeuronNetwork
import NeuronSession
import Testing

/// A membrane input that fails (timed out) while `failing` is set and reads through otherwise: a fault on one
/// neuron's channel only (the two-neuron board reads both membranes through one MCP3208, whose simulated bus
/// fails for both).
final class SwitchableMembrane: AnalogInput {
    let input: any AnalogInput
    var failing = false
    private(set) var reads = 0
    init(_ input: any AnalogInput) { self.input = input }
    func readVoltage() throws(HardwareError) -> Voltage {
        reads += 1
        if failing { throw HardwareError(.timedOut, "test fault", device: "test", operation: "read membrane") }
        return try input.readVoltage()
    }
}

/// The two-neuron loop (Boards/networks/two-neuron-loop.yaml: A driven at 40 Hz, each of A's spikes routed to B) on
/// the simulated board under `policy`. `prepare` arms faults before the run; `membraneB` may wrap B's membrane input.
func twoNeuronLoop(policy: BusFaultPolicy, seconds: Double = 0.5, seed: UInt64 = 5,
                   prepare: (BoardRuntime) -> Void = { _ in },
                   membraneB: (any AnalogInput) -> any AnalogInput = { $0 }) throws -> (NetworkRunResult, BoardRuntime) {
    let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock-two-neurons.yaml")
    let runtime = try BoardRuntime(board, overrides: .init(seed: seed, recordsHistory: false))
    let file = try NetworkFile.load(path: repositoryRoot + "/Boards/networks/two-neuron-loop.yaml")
    let train = PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(40), count: Int(seconds * 40))
    let a = try EngineChannel.onBoard(runtime, id: 0, source: TrainPulses(train))
    let hw = try runtime.neuron(id: 1)
    let limits = runtime.description.stimulusLimits
    var detector = DetectorConfiguration()
    detector.capacitance = hw.channel.capacitance
    let b = EngineChannel(id: 1, stimulus: try SafeStimulusOutput(hw.stimulus, limits: limits.voltage),
                           membrane: membraneB(hw.membrane), limits: limits, detector: detector)
    prepare(runtime)
    let loop = try Engine(channels: [a, b], routes: file.routes,
                               configuration: EngineConfiguration(sampleRate: .hertz(5000), duration: .seconds(seconds), keepTrace: true),
                               clock: runtime.clock, faultPolicy: policy)
    return (loop.run(), runtime)
}

/// Calls `action` at the `n`th time the DAC of `dacName` rises above 0.5 V (a pulse's start), from inside that
/// write: whatever it arms hits the next transfers, i.e. the sample taken at the pulse's start.
func atRise(_ n: Int, of dacName: String, in runtime: BoardRuntime, _ action: @escaping () -> Void) {
    let dac = runtime.simulation!.dacs[dacName]!
    let previous = dac.onOutputChange
    var rises = 0
    dac.onOutputChange = { t, v in
        previous?(t, v)
        if v.volts > 0.5 {
            rises += 1
            if rises == n { action() }
        }
    }
}

/// Both DACs of the board at code 0 and powered down, on the simulated chips, and read back at 0 V over their buses.
func expectEveryDACSafe(_ runtime: BoardRuntime, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let dacs = runtime.simulation!.dacs
    #expect(dacs.count == 2, sourceLocation: sourceLocation)
    for (name, dac) in dacs {
        #expect(dac.code == 0 && dac.powerDown != .normal, "\(name): code \(dac.code), \(dac.powerDown)", sourceLocation: sourceLocation)
    }
    for id in [0, 1] {
        let r = try runtime.neuron(id: id).readBackStimulus()
        #expect(r.voltage == .zero && r.poweredDown, "neuron \(id) reads back \(r.voltage)", sourceLocation: sourceLocation)
    }
}

@Suite("Network runs, bus faults")
struct NetworkBusFaultTests {
    @Test("failed membrane reads: retries recover, a lone lost sample is skipped on its channel only, the run completes")
    func retriesAndSkips() throws {
        let clean = try twoNeuronLoop(policy: BusFaultPolicy(retries: 1, safeStateAfter: 3)).0
        let (r, runtime) = try twoNeuronLoop(policy: BusFaultPolicy(retries: 1, safeStateAfter: 3)) { runtime in
            let adc = runtime.simulation!.spiDevices["adc0"]!.faults
            // Each sample reads A, then B, through the one MCP3208. At A's 2nd pulse: A's read fails once and its
            // retry succeeds. At the 4th: A's read and its retry fail (A's sample skipped), then B's read fails once
            // and is recovered.
            atRise(2, of: "dac-a", in: runtime) { adc.failNext(1, with: .busFault) }
            atRise(4, of: "dac-a", in: runtime) { adc.failNext(3, with: .busFault) }
        }
        #expect(r.termination == .completed && r.safeState == .reached)
        let f = r.busFaults
        #expect(f.failedTransfers == 4 && f.adcReadFailures == 4 && f.dacWriteFailures == 0)
        #expect(f.byKind == ["bus-fault": 4])
        #expect(f.recoveredByRetry == 2)
        #expect(f.skippedSamples == 1 && f.maxConsecutiveSkipped == 1 && !f.stoppedByPolicy)
        #expect(f.policy == "retry:1,safe-state:3")
        #expect(r.skippedSamples == [1, 0])
        // B was read at that instant, so the row stands, with A's membrane NaN; nothing else differs in length.
        #expect(r.samples == clean.samples && r.time.count == clean.time.count)
        let missing = r.membrane[0].indices.filter { r.membrane[0][$0].isNaN }
        #expect(missing.count == 1 && !r.membrane[1].contains { $0.isNaN })
        if let i = missing.first {
            // The sample at A's 4th pulse start (edges first, so the pulse index is already 3).
            #expect(r.pulseIndex[0][i] == 3 && !clean.membrane[0][i].isNaN)
        }
        #expect(clean.busFaults.failedTransfers == 0 && clean.skippedSamples == [0, 0])
        try expectEveryDACSafe(runtime)
    }

    @Test("a recording of a run with a skipped sample stores it as null and replays to the same spikes")
    func recordingWithSkippedSample() throws {
        let (r, _) = try twoNeuronLoop(policy: .tolerant) { runtime in
            atRise(3, of: "dac-a", in: runtime) { runtime.simulation!.spiDevices["adc0"]!.faults.failNext(3, with: .timedOut) }
        }
        #expect(r.skippedSamples == [1, 0] && r.termination == .completed)
        let board = Recording.Board(name: "mock-two-neurons", file: "", yaml: "", simulated: true, model: nil, seed: 5)
        let recording = Recording(tool: "test", board: board, protocolInfo: [:], sampleInterval: .microseconds(200),
                                  detector: DetectorConfiguration(), result: r)
        #expect(recording.channels[0].membraneV.filter { $0 == nil }.count == 1)
        let data = try recording.encoded()  // NaN cannot be written as JSON; null can
        #expect(String(decoding: data, as: UTF8.self).contains("null"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("netfaults-\(UInt32.random(in: 0...UInt32.max)).json").path
        try data.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try Recording.load(path: path)
        #expect(loaded == recording)
        #expect(!r.spikes.isEmpty)
        #expect(Recording.difference(recorded: loaded.spikes, replayed: loaded.replay()) == nil)
    }

    @Test("one neuron's membrane lost: its samples are skipped until N in a row, then every channel's safe state")
    func persistentFaultOnOneChannel() throws {
        var membraneB: SwitchableMembrane?
        let (r, runtime) = try twoNeuronLoop(
            policy: BusFaultPolicy(retries: 2, safeStateAfter: 6),
            prepare: { runtime in atRise(5, of: "dac-a", in: runtime) { membraneB?.failing = true } },
            membraneB: {
                let m = SwitchableMembrane($0)
                membraneB = m
                return m
            })
        guard case .failed(let e) = r.termination else {
            Issue.record("expected the policy to stop the run, got \(r.termination)")
            return
        }
        #expect(e.kind == .timedOut)
        let f = r.busFaults
        #expect(f.stoppedByPolicy)
        // B's run of skipped samples counts on its own; A went on being read (and reset nothing of B's).
        #expect(r.skippedSamples == [0, 6] && f.skippedSamples == 6 && f.maxConsecutiveSkipped == 6)
        #expect(f.adcReadFailures == 18 && f.byKind == ["timed-out": 18])  // 6 samples x (1 try + 2 retries)
        #expect(!r.membrane[0].contains { $0.isNaN })
        // The last five rows hold A's reading and NaN for B (the sixth skip stopped the run before its row).
        #expect(r.membrane[1].suffix(5).allSatisfy(\.isNaN) && r.membrane[1].filter(\.isNaN).count == 5)
        #expect(r.pulses(channel: 0).count == 5)
        #expect(r.safeState == .reached)
        try expectEveryDACSafe(runtime)
    }

    @Test("every membrane lost: each neuron counts its own run, the first to reach N stops the run")
    func persistentFaultOnEveryChannel() throws {
        let (r, runtime) = try twoNeuronLoop(policy: BusFaultPolicy(retries: 1, safeStateAfter: 5)) { runtime in
            atRise(3, of: "dac-a", in: runtime) { runtime.simulation!.spiDevices["adc0"]!.faults.failNext(1_000_000, with: .noAcknowledge(.address)) }
        }
        guard case .failed(let e) = r.termination else {
            Issue.record("expected the policy to stop the run, got \(r.termination)")
            return
        }
        #expect(e.kind == .noAcknowledge(.address))
        // A is read first in each sample: its 5th skip stops the run before B's 5th read.
        #expect(r.skippedSamples == [5, 4])
        #expect(r.busFaults.skippedSamples == 9 && r.busFaults.maxConsecutiveSkipped == 5 && r.busFaults.adcReadFailures == 18)
        #expect(r.busFaults.byKind == ["no-acknowledge": 18] && r.busFaults.stoppedByPolicy)
        // No channel could be read: no row for those instants.
        #expect(r.membrane.allSatisfy { !$0.contains { $0.isNaN } } && r.time.count == r.samples)
        try expectEveryDACSafe(runtime)
    }

    @Test("a DAC write that fails every retry stops the whole run through every channel's safe state")
    func dacWriteExhausted() throws {
        let (r, runtime) = try twoNeuronLoop(policy: .tolerant) { runtime in
            // B's first routed pulse: its falling edge fails three times (1 try + 2 retries).
            let bus = runtime.simulation!.i2cBuses["i2c1"]!
            atRise(1, of: "dac-b", in: runtime) { bus.faults(at: I2CAddress(0x61)).failNext(3, with: .noAcknowledge(.data)) }
        }
        guard case .failed(let e) = r.termination else {
            Issue.record("expected a failure, got \(r.termination)")
            return
        }
        #expect(e.kind == .noAcknowledge(.data))
        let f = r.busFaults
        #expect(f.dacWriteFailures == 3 && f.adcReadFailures == 0 && f.failedTransfers == 3 && f.stoppedByPolicy)
        #expect(f.byKind == ["no-acknowledge": 3] && f.recoveredByRetry == 0 && f.skippedSamples == 0)
        #expect(r.pulses(channel: 1).count == 1)
        #expect(r.safeState == .reached)
        try expectEveryDACSafe(runtime)
    }

    @Test("a DAC write recovered by a retry: counted, and the run completes as without the fault")
    func dacWriteRecovered() throws {
        let clean = try twoNeuronLoop(policy: .tolerant).0
        let (r, runtime) = try twoNeuronLoop(policy: .tolerant) { runtime in
            let bus = runtime.simulation!.i2cBuses["i2c1"]!
            atRise(1, of: "dac-b", in: runtime) { bus.faults(at: I2CAddress(0x61)).failNext(2, with: .busFault) }
        }
        #expect(r.termination == .completed && r.safeState == .reached)
        #expect(r.busFaults.dacWriteFailures == 2 && r.busFaults.recoveredByRetry == 1 && !r.busFaults.stoppedByPolicy)
        #expect(r.pulses == clean.pulses && r.spikes.count == clean.spikes.count)
        try expectEveryDACSafe(runtime)
    }

    @Test("without a policy given, the first bus error ends a network run (BusFaultPolicy.stopOnFirst)")
    func defaultStopsOnFirst() throws {
        let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock-two-neurons.yaml")
        let runtime = try BoardRuntime(board, overrides: .init(seed: 5, recordsHistory: false))
        let train = PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(40), count: 20)
        let loop = try Engine(channels: [try EngineChannel.onBoard(runtime, id: 0, source: TrainPulses(train)),
                                              try EngineChannel.onBoard(runtime, id: 1)],
                                   configuration: EngineConfiguration(sampleRate: .hertz(5000), duration: .seconds(0.5)), clock: runtime.clock)
        atRise(2, of: "dac-a", in: runtime) { runtime.simulation!.spiDevices["adc0"]!.faults.failNext(1, with: .busFault) }
        let r = loop.run()
        #expect(r.termination != .completed)
        #expect(r.busFaults.policy == "stop" && r.busFaults.failedTransfers == 1 && !r.busFaults.stoppedByPolicy)
        #expect(r.busFaults.recoveredByRetry == 0)
        try expectEveryDACSafe(runtime)
    }

    @Test("BusFaultHandler: a value the limits refuse is not a bus fault (not retried, not counted); a NAK is")
    func limitsAreNotBusFaults() throws {
        let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock-two-neurons.yaml")
        let runtime = try BoardRuntime(board, overrides: .init(seed: 5, recordsHistory: false))
        let hw = try runtime.neuron(id: 0)
        let stimulus = try SafeStimulusOutput(hw.stimulus, limits: runtime.description.stimulusLimits.voltage)
        let bus = runtime.simulation!.i2cBuses["i2c1"]!
        var handler = BusFaultHandler(policy: .tolerant)
        let before = bus.faults.consulted
        do {
            try handler.write(.volts(2.5), to: stimulus)  // the board allows 0 ... 1 V
            Issue.record("2.5 V was written")
        } catch {
            #expect(error.kind == .outOfRange)
        }
        #expect(bus.faults.consulted == before, "nothing reached the bus")
        #expect(handler.report().failedTransfers == 0 && handler.report().dacWriteFailures == 0 && !handler.report().stoppedByPolicy)
        bus.faults(at: I2CAddress(0x60)).failNext(1, with: .noAcknowledge(.address))
        try handler.write(.volts(0.5), to: stimulus)
        #expect(handler.report().dacWriteFailures == 1 && handler.report().recoveredByRetry == 1)
        #expect(handler.report().byKind == ["no-acknowledge": 1])
        #expect(runtime.simulation!.dacs["dac-a"]!.code > 0)
    }

    @Test("random NAK/EIO/timeout at 1e-2 on every bus: every injected failure counted by kind, run completes",
          arguments: [UInt64(3), 11])
    func randomFaults(seed: UInt64) throws {
        let kinds: [HardwareError.Kind] = [.noAcknowledge(.address), .busFault, .timedOut]
        let (r, runtime) = try twoNeuronLoop(policy: .tolerant, seconds: 1) { runtime in
            runtime.simulation!.i2cBuses["i2c1"]!.faults.rate(1e-2, kinds: kinds, seed: seed)
            runtime.simulation!.spiDevices["adc0"]!.faults.rate(1e-2, kinds: kinds, seed: seed &+ 1)
        }
        let sim = runtime.simulation!
        let injected = sim.i2cBuses["i2c1"]!.faults.injectedFailures + sim.spiDevices["adc0"]!.faults.injectedFailures
        let f = r.busFaults
        #expect(r.termination == .completed && r.safeState == .reached)
        // Every failure the buses injected reached the loop, except any in the safe state's own writes (two tries on
        // each of the two DACs).
        #expect(f.failedTransfers <= injected && f.failedTransfers >= injected - 4, "loop saw \(f.failedTransfers), buses injected \(injected)")
        #expect(f.failedTransfers > 20)
        #expect(f.adcReadFailures + f.dacWriteFailures == f.failedTransfers)
        #expect(f.byKind.values.reduce(0, +) == f.failedTransfers)
        #expect(Set(f.byKind.keys).isSubset(of: ["no-acknowledge", "bus-fault", "timed-out"]) && f.byKind.count == 3)
        // Nearly every failure is recovered by a retry (a sample is lost only when three reads in a row fail, p^3).
        #expect(f.recoveredByRetry > 0 && f.recoveredByRetry <= f.failedTransfers && f.recoveredByRetry * 3 > f.failedTransfers)
        #expect(r.skippedSamples.reduce(0, +) == f.skippedSamples)
    }
}
