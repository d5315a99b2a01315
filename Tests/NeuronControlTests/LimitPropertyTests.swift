import Testing
import NeuronBoard
import NeuronBoardSim
import NeuronControl
import NeuronHAL
import NeuronPhysics
import NeuronSim

/// Limits hold by construction: random commands through the public entries (pulse trains as the CLI and sweep
/// files build them, direct `SafeStimulusOutput` writes, stop requests, faults) never put a code above the board's
/// limit on the simulated DAC. Checked on every write the chip model received over its bus.
@Suite("Limits property")
struct LimitPropertyTests {
    struct Rand {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
        /// Mostly plausible values, sometimes wild ones (negative, huge, NaN, infinite).
        mutating func volts() -> Double {
            switch next() % 10 {
            case 0: return [Double.nan, .infinity, -.infinity, 1e300, -1e-300, 3.3, 4.0961, 1.0000001][Int(next() % 8)]
            case 1: return -unit()
            default: return unit() * 1.5
            }
        }
    }

    @Test("Random trains, writes and faults: every code the DAC latched is within the limits")
    func randomCommands() throws {
        let board = try BoardLoader.load(path: boardsDirectory + "/mock.yaml")
        let l = board.limits
        let limits = StimulusLimits(voltage: l.stimulus, maxPulseWidth: l.maxPulseWidth, maxDutyCycle: l.maxDutyCycle, sampleRate: l.sampleRate)
        let maxCode = Int((l.stimulus.upperBound.volts / 3.3 * 4096).rounded(.up))
        var r = Rand(state: 42)
        var accepted = 0, refused = 0, latched = 0
        for _ in 0..<60 {
            let runtime = try BoardRuntime(simulating: board, overrides: .init(seed: r.next()))
            let hw = try runtime.neuron(id: 0)
            let stimulus = try SafeStimulusOutput(hw.stimulus, limits: limits.voltage)
            let dac = runtime.simulation!.dacs["dac0"]!
            // Direct writes, as any future entry (replay, network) would make them.
            for _ in 0..<20 {
                do { try stimulus.set(.volts(r.volts())); accepted += 1 } catch { refused += 1 }
            }
            // A random train, as flags or a sweep file would build it; only validated ones run.
            let t = PulseTrain(amplitude: .volts(r.volts()), width: .seconds(r.unit() * 0.03),
                               frequency: .hertz(r.unit() * 120), count: 1 + Int(r.next() % 6))
            let config = EngineConfiguration(sampleRate: .hertz(100 + r.unit() * 30_000), duration: t.duration)
            if (try? t.validate(against: limits)) != nil, (try? config.validate(against: limits)) != nil {
                if r.next() % 3 == 0 {
                    runtime.simulation!.spiDevices["adc0"]!.faults.rate(0.05, kinds: [.busFault], seed: r.next())
                    runtime.simulation!.i2cBuses["i2c1"]!.faults.rate(0.05, kinds: [.noAcknowledge(.data)], seed: r.next())
                }
                let channel = EngineChannel(id: 0, stimulus: stimulus, membrane: hw.membrane, limits: limits, source: TrainPulses(t))
                _ = try Engine(channels: [channel], configuration: config, clock: runtime.clock, faultPolicy: .tolerant).run()
            }
            for w in dac.writes where w.accepted {
                latched += 1
                #expect(Int(w.code) <= maxCode, "code \(w.code) above the limit's \(maxCode)")
            }
        }
        #expect(accepted > 100 && refused > 50 && latched > 100)
    }
}
