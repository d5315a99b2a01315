import Testing
import NeuronBoard
import NeuronBoardSim
import NeuronControl
import NeuronHAL
import NeuronSim

/// Every exit of the loop leaves the DAC at 0 V and powered down, and nothing outside the board's limits reaches
/// the DAC. Checked on the simulated chip itself (what it latched from the bus), not on our own bookkeeping.
@Suite("Safe state and limits")
struct SafetyTests {
    func expectSafe(_ run: MockRun, sourceLocation: SourceLocation = #_sourceLocation) {
        let dac = run.sim.dacs["dac0"]!
        #expect(dac.code == 0, sourceLocation: sourceLocation)
        #expect(dac.powerDown != .normal, sourceLocation: sourceLocation)
        #expect(dac.outputVoltage == .zero, sourceLocation: sourceLocation)
        #expect(run.result.safeState == .reached, sourceLocation: sourceLocation)
        // The stimulus gate is open again (electrode disconnected).
        #expect(run.sim.gpio.outputLine(named: "stimulus-gate")!.value == .inactive, sourceLocation: sourceLocation)
    }

    @Test("Normal end: DAC at 0 V and powered down")
    func normalEnd() throws {
        let run = try runOnMockBoard(train(count: 10))
        #expect(run.result.termination == .completed)
        expectSafe(run)
    }

    @Test("Stop request mid-run (what SIGINT/SIGTERM/SIGHUP set): safe state, partial records kept")
    func stopRequest() throws {
        let stop = StopRequest()
        // Request the stop from inside the run, at the 40th pulse's rising edge, while the DAC is at 0.75 V.
        let run = try runOnMockBoard(train(count: 100), stop: stop) { sim in
            let dac = sim.dacs["dac0"]!
            let previous = dac.onOutputChange
            var rises = 0
            dac.onOutputChange = { t, v in
                previous?(t, v)
                if v.volts > 0.5 { rises += 1; if rises == 40 { stop.request(signal: 2) } }
            }
        }
        #expect(run.result.termination == .stopped(signal: 2))
        #expect(run.result.pulsesApplied == 40)
        #expect(run.result.trace.count > 1000)
        expectSafe(run)
    }

    @Test("A persistent ADC bus fault ends the run with the error, in the safe state", arguments: [
        HardwareError.Kind.busFault, .timedOut, .noAcknowledge(.address),
    ])
    func adcFault(kind: HardwareError.Kind) throws {
        let run = try runOnMockBoard(train(count: 50)) { sim in
            // From the 5th pulse's rising edge on (DAC at 0.75 V), every membrane read fails.
            let dac = sim.dacs["dac0"]!
            let previous = dac.onOutputChange
            var rises = 0
            dac.onOutputChange = { [unowned sim] t, v in
                previous?(t, v)
                if v.volts > 0.5 { rises += 1; if rises == 5 { sim.spiDevices["adc0"]!.faults.failNext(1_000_000, with: kind) } }
            }
        }
        #expect(run.result.pulsesApplied == 5)
        guard case .failed(let e) = run.result.termination else {
            Issue.record("expected a failure, got \(run.result.termination)")
            return
        }
        #expect(e.kind == kind)
        expectSafe(run)
    }

    @Test("A DAC bus fault mid-run ends the run, and the safe state retries through a single NAK")
    func dacFault() throws {
        var armed = false
        let run = try runOnMockBoard(train(count: 50)) { sim in
            let bus = sim.i2cBuses["i2c1"]!
            let dac = sim.dacs["dac0"]!
            let previous = dac.onOutputChange
            dac.onOutputChange = { [unowned bus] t, v in
                previous?(t, v)
                // After the 5th rise, the next DAC write (the falling edge) fails, and so does the first safe-state try.
                if v.volts > 0.5, !armed, t.seconds > 4.0 / 33 { armed = true; bus.faults(at: I2CAddress(0x60)).failNext(2, with: .noAcknowledge(.data)) }
            }
        }
        guard case .failed(let e) = run.result.termination else {
            Issue.record("expected a failure, got \(run.result.termination)")
            return
        }
        #expect(e.kind == .noAcknowledge(.data))
        expectSafe(run)
    }

    @Test("Limits: a train outside the board's limits is refused before any bus traffic")
    func limitsRefused() throws {
        let board = try BoardLoader.load(path: boardsDirectory + "/mock.yaml")
        let l = board.limits
        let limits = StimulusLimits(voltage: l.stimulus, maxPulseWidth: l.maxPulseWidth, maxDutyCycle: l.maxDutyCycle, sampleRate: l.sampleRate)
        let bad: [(PulseTrain, String)] = [
            (train(volts: 1.2, count: 10), "amplitude"),
            (train(volts: -0.1, count: 10), "amplitude"),
            (PulseTrain(amplitude: .volts(.nan), width: .milliseconds(5), frequency: .hertz(33), count: 10), "amplitude"),
            (train(widthMs: 25, hz: 10, count: 10), "width"),
            (train(widthMs: 15, hz: 50, count: 10), "width"),  // duty 0.75 > 0.5
            (train(widthMs: 5, hz: 0, count: 10), "frequency"),
            (train(count: 0), "pulses"),
        ]
        for (t, parameter) in bad {
            #expect(throws: StimulusError.self) { try t.validate(against: limits) }
            do { try t.validate(against: limits) } catch { #expect(error.parameter == parameter); #expect(!error.fix.isEmpty) }
        }
        // Sample rate above the board's maximum.
        let config = EngineConfiguration(sampleRate: .hertz(50_000), duration: .seconds(1))
        #expect(throws: StimulusError.self) { try config.validate(against: limits) }
    }

    @Test("SafeStimulusOutput never lets an out-of-limit value reach the DAC", arguments: [1.0001, 1.5, 3.3, -0.001, .infinity, .nan])
    func safeOutputRefuses(volts: Double) throws {
        let board = try BoardLoader.load(path: boardsDirectory + "/mock.yaml")
        let runtime = try BoardRuntime(simulating: board)
        let hw = try runtime.neuron(id: 0)
        let out = try SafeStimulusOutput(hw.stimulus, limits: board.limits.stimulus)
        let dac = runtime.simulation!.dacs["dac0"]!
        try out.set(.volts(0.5))
        let writes = dac.writes.count
        #expect(throws: HardwareError.self) { try out.set(.volts(volts)) }
        #expect(dac.writes.count == writes)
        #expect(abs(dac.outputVoltage.volts - 0.5) < 0.001)
        // Every code the DAC ever latched is within the limits.
        for code in dac.writtenCodes { #expect(Double(code) * 3.3 / 4096 <= 1.0 + 0.001) }
    }
}

/// A timing clock where every reading is 300 µs after the previous one: every 100 µs tick overruns.
final class SlowWallClock: MonotonicClock, @unchecked Sendable {
    private var t: Int64 = 0
    var now: MonotonicInstant {
        t += 300_000
        return MonotonicInstant(nanoseconds: t)
    }
    func sleep(until deadline: MonotonicInstant) {}
}

/// A timing clock that reads the simulated board's clock: every tick wakes exactly on time and takes no time.
final class PunctualClock: MonotonicClock, @unchecked Sendable {
    let simulated: any MonotonicClock
    init(_ simulated: any MonotonicClock) { self.simulated = simulated }
    var now: MonotonicInstant { simulated.now }
    func sleep(until deadline: MonotonicInstant) {}
}

@Suite("Overrun policy")
struct OverrunPolicyTests {
    /// Five Fig. 2c pulses on the engine, timed by `realtime`.
    func fivePulses(_ hw: BoardRuntime.NeuronHardware, board: BoardDescription, clock: any MonotonicClock,
                    realtime: RealtimeOptions) throws -> OneChannelResult {
        let l = board.limits
        let limits = StimulusLimits(voltage: l.stimulus, maxPulseWidth: l.maxPulseWidth, maxDutyCycle: l.maxDutyCycle, sampleRate: l.sampleRate)
        let t = train(count: 5)
        let channel = EngineChannel(id: 0, stimulus: try SafeStimulusOutput(hw.stimulus, limits: l.stimulus), membrane: hw.membrane,
                                    limits: limits, source: TrainPulses(t))
        return OneChannelResult(engine: try Engine(channels: [channel], configuration: EngineConfiguration(duration: t.duration),
                                                   clock: clock, realtime: realtime).run())
    }

    @Test("A punctual loop: every tick is a wake-up, none runs late, nothing overruns")
    func punctual() throws {
        let board = try BoardLoader.load(path: boardsDirectory + "/mock.yaml")
        let runtime = try BoardRuntime(simulating: board)
        let hw = try runtime.neuron(id: 0)
        let r = try fivePulses(hw, board: board, clock: runtime.clock, realtime: RealtimeOptions(timingClock: PunctualClock(runtime.clock)))
        #expect(r.termination == .completed)
        #expect(r.timing.overruns == 0 && r.timing.catchUpTicks == 0)
        #expect(r.timing.wakeLatencyMicros.count == r.timing.tickDurationMicros.count)
        #expect(r.timing.wakeLatencyMicros.count > UInt64(r.samples))  // samples plus the pulse edges
        #expect(r.timing.wakeLatencyMicros.max == 0)
    }

    @Test("Safe state after N consecutive overruns; carry-on counts them and finishes")
    func overrunStorm() throws {
        let board = try BoardLoader.load(path: boardsDirectory + "/mock.yaml")
        for policy in [OverrunPolicy.safeStateAfter(5), .carryOn] {
            let runtime = try BoardRuntime(simulating: board)
            let hw = try runtime.neuron(id: 0)
            let r = try fivePulses(hw, board: board, clock: runtime.clock,
                                   realtime: RealtimeOptions(timingClock: SlowWallClock(), overrunPolicy: policy))
            let dac = runtime.simulation!.dacs["dac0"]!
            #expect(dac.code == 0 && dac.powerDown != .normal)
            #expect(r.safeState == .reached)
            #expect(r.timing.timed)
            switch policy {
            case .safeStateAfter:
                #expect(r.termination == .overrunStorm(consecutive: 5))
                #expect(r.timing.overruns == 5)
            case .carryOn:
                #expect(r.termination == .completed)
                // Every tick overran but the last, which has no next deadline to miss.
                #expect(r.timing.overruns == Int(r.timing.tickDurationMicros.count) - 1)
                #expect(r.timing.maxConsecutiveOverruns == r.timing.overruns)
                // Only the first tick woke from a sleep; every later one began after its deadline had passed.
                #expect(r.timing.wakeLatencyMicros.count == 1)
                #expect(r.timing.catchUpTicks == Int(r.timing.tickDurationMicros.count) - 1)
            }
        }
    }
}
