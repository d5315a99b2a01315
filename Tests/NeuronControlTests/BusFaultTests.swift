import Testing
import NeuronBoard
import NeuronBoardSim
import NeuronControl
import NeuronHAL
import NeuronSim

/// The bus-fault policy on the mock board with seeded random faults on every bus: the loop never crashes, counts
/// every fault the buses injected, and always ends in the safe state, read from the simulated chip itself.
@Suite("Bus faults")
struct BusFaultTests {
    func inject(_ p: Double, into sim: SimulatedBoard, seed: UInt64) {
        let kinds: [HardwareError.Kind] = [.noAcknowledge(.address), .busFault, .timedOut]
        sim.i2cBuses["i2c1"]!.faults.rate(p, kinds: kinds, seed: seed)
        sim.i2cBuses["i2c1"]!.faults.corruptReads(p, seed: seed &+ 1)
        sim.spiDevices["adc0"]!.faults.rate(p, kinds: kinds, seed: seed &+ 2)
        sim.spiDevices["adc0"]!.faults.corruptReads(p, seed: seed &+ 3)
    }

    @Test("Injected NAK/EIO/timeout/corruption at 1e-3, 1e-2, 1e-1: counted, survived, safe state", arguments: [1e-3, 1e-2, 1e-1])
    func randomFaults(rate: Double) throws {
        let run = try runOnMockBoard(train(count: 60), faultPolicy: .tolerant) { sim in
            inject(rate, into: sim, seed: 7)
        }
        let sim = run.sim
        let injected = sim.i2cBuses["i2c1"]!.faults.injectedFailures + sim.spiDevices["adc0"]!.faults.injectedFailures
        let f = run.result.busFaults
        // Every injected transfer failure reached the loop and was counted (the safe state's own tries aside); a
        // corrupted ADC reply that breaks the MCP3208's null bit is a detected fault of its own (protocol violation).
        let detectedCorruptions = f.byKind["protocol-violation", default: 0]
        #expect(f.failedTransfers - detectedCorruptions <= injected)
        #expect(f.failedTransfers - detectedCorruptions >= injected - 2, "loop saw \(f.failedTransfers), buses injected \(injected)")
        #expect(f.adcReadFailures + f.dacWriteFailures == f.failedTransfers)
        #expect(f.byKind.values.reduce(0, +) == f.failedTransfers)
        #expect(injected > 0)
        // With two retries, a sample is lost only when three reads in a row fail (p^3): rare below 1e-1.
        if rate <= 1e-2 {
            #expect(run.result.termination == .completed)
            #expect(f.skippedSamples <= 2)
        }
        switch run.result.termination {
        case .completed: #expect(run.result.pulsesApplied == 60)
        case .failed: #expect(f.stoppedByPolicy)
        default: Issue.record("unexpected end: \(run.result.termination)")
        }
        #expect(run.result.samples + f.skippedSamples >= run.result.trace.count)
        let dac = sim.dacs["dac0"]!
        #expect(dac.code == 0 && dac.powerDown != .normal)
        #expect(run.result.safeState == .reached)
        #expect(sim.gpio.outputLine(named: "stimulus-gate")!.value == .inactive)
    }

    @Test("A persistent ADC fault: samples skipped until N in a row, then the safe state")
    func persistentFaultStopsAfterN() throws {
        let run = try runOnMockBoard(train(count: 20), faultPolicy: BusFaultPolicy(retries: 1, safeStateAfter: 5)) { sim in
            let dac = sim.dacs["dac0"]!
            let previous = dac.onOutputChange
            var rises = 0
            dac.onOutputChange = { [unowned sim] t, v in
                previous?(t, v)
                if v.volts > 0.5 { rises += 1; if rises == 3 { sim.spiDevices["adc0"]!.faults.failNext(1_000_000, with: .timedOut) } }
            }
        }
        let f = run.result.busFaults
        guard case .failed(let e) = run.result.termination else {
            Issue.record("expected the policy to stop the run, got \(run.result.termination)")
            return
        }
        #expect(e.kind == .timedOut)
        #expect(f.stoppedByPolicy)
        #expect(f.skippedSamples == 5 && f.maxConsecutiveSkipped == 5)
        #expect(f.adcReadFailures == 10)  // 5 samples x (1 try + 1 retry)
        #expect(f.byKind == ["timed-out": 10])
        #expect(RunSummary(run.result.engine).termination.hasPrefix("stopped by the bus-fault policy"))
        #expect(run.sim.dacs["dac0"]!.powerDown != .normal && run.result.safeState == .reached)
    }

    @Test("A single failed read is retried and recovered; a lone lost sample is skipped and the run carries on")
    func retryAndSkip() throws {
        let run = try runOnMockBoard(train(count: 10), faultPolicy: BusFaultPolicy(retries: 1, safeStateAfter: 3)) { sim in
            let dac = sim.dacs["dac0"]!
            let previous = dac.onOutputChange
            var rises = 0
            dac.onOutputChange = { [unowned sim] t, v in
                previous?(t, v)
                if v.volts > 0.5 {
                    rises += 1
                    if rises == 2 { sim.spiDevices["adc0"]!.faults.failNext(1, with: .busFault) }  // recovered by retry
                    if rises == 4 { sim.spiDevices["adc0"]!.faults.failNext(2, with: .busFault) }  // sample skipped
                }
            }
        }
        let f = run.result.busFaults
        #expect(run.result.termination == .completed)
        #expect(f.recoveredByRetry == 1 && f.skippedSamples == 1 && f.failedTransfers == 3)
        #expect(run.result.trace.count == run.result.samples)
        #expect(run.result.safeState == .reached)
    }

    @Test("A DAC write that fails every retry stops the run through the safe state")
    func dacWriteExhausted() throws {
        var armed = false
        let run = try runOnMockBoard(train(count: 20), faultPolicy: .tolerant) { sim in
            let bus = sim.i2cBuses["i2c1"]!
            let dac = sim.dacs["dac0"]!
            let previous = dac.onOutputChange
            dac.onOutputChange = { [unowned bus] t, v in
                previous?(t, v)
                // The falling edge after the 3rd rise fails three times (1 try + 2 retries); the safe state then succeeds.
                if v.volts > 0.5, !armed, t.seconds > 2.0 / 33 { armed = true; bus.faults(at: I2CAddress(0x60)).failNext(3, with: .noAcknowledge(.data)) }
            }
        }
        guard case .failed(let e) = run.result.termination else {
            Issue.record("expected a failure, got \(run.result.termination)")
            return
        }
        #expect(e.kind == .noAcknowledge(.data))
        #expect(run.result.busFaults.dacWriteFailures == 3 && run.result.busFaults.stoppedByPolicy)
        let dac = run.sim.dacs["dac0"]!
        #expect(dac.code == 0 && dac.powerDown != .normal && run.result.safeState == .reached)
    }
}
