import Testing
import NeuronPhysics

/// Drives the model directly with an ideal pulse train (no board) and reports per-pulse firing.
struct TrainResult {
    var pulses: Int
    var firedPulses: Int
    var biasTimes: [Double]
    var peakDuringSilentPulses: Double
    var probability: Double { Double(firedPulses) / Double(pulses) }
    var meanBiasTime: Double { biasTimes.reduce(0, +) / Double(max(biasTimes.count, 1)) }
}

func runTrain(
    _ kind: NeuronModelKind = .device, volts: Double = 0.75, width: Double = 5e-3, frequency: Double = 33,
    pulses: Int, seed: UInt64
) -> TrainResult {
    var n = PerovskiteNeuron(kind: kind, seed: seed)
    let period = 1 / frequency
    var fired = 0
    var bias: [Double] = []
    var silentPeak = 0.0
    for k in 0..<pulses {
        let start = Double(k) * period
        let before = n.spikeCount
        n.setInput(volts, at: start)
        // Sample the node inside the pulse to see any build-up before firing.
        var peak = 0.0
        var t = start
        while t < start + width {
            t += 100e-6
            n.advance(to: min(t, start + width))
            peak = max(peak, n.capacitorVolts)
        }
        n.setInput(0, at: start + width)
        n.advance(to: start + period)
        if n.spikeCount > before {
            fired += 1
            if let e = n.lastEvent { bias.append(e.biasTime) }
        } else {
            silentPeak = max(silentPeak, peak)
        }
    }
    return TrainResult(pulses: pulses, firedPulses: fired, biasTimes: bias, peakDuringSilentPulses: silentPeak)
}

@Suite("Perovskite neuron physics")
struct PerovskiteNeuronTests {
    // 2000 pulses: the standard error of a per-pulse probability near 0.66 is about 0.011, so the bands below
    // (several standard errors wide) hold for any seed while still failing for a model that does not follow the paper.
    @Test("Fig. 4a/4b: firing rises with frequency; 20 Hz (nearly) never fires")
    func frequencyTuning() {
        let p20 = runTrain(frequency: 20, pulses: 2000, seed: 1).probability
        let p33 = runTrain(frequency: 33, pulses: 2000, seed: 2).probability
        let p50 = runTrain(frequency: 50, pulses: 2000, seed: 3).probability
        #expect(p20 <= 0.01)
        #expect(p33 > 0.4 && p33 < 0.9)
        #expect(p50 > p33 + 0.1)
    }

    @Test("Fig. 4c: 0.40 V pulses do not fire")
    func lowAmplitude() {
        #expect(runTrain(volts: 0.40, pulses: 2000, seed: 4).firedPulses == 0)
    }

    @Test("Fig. S10: 7.5 ms pulses fire on (nearly) every pulse, 2 ms pulses do not")
    func widthTuning() {
        let long = runTrain(width: 7.5e-3, pulses: 1000, seed: 5)
        #expect(long.probability > 0.95)
        #expect(runTrain(width: 2e-3, pulses: 2000, seed: 6).probability < 0.01)
    }

    @Test("Fig. S8a: bias time before a spike is exponential-like with mean near 6.9 ms")
    func biasTime() {
        let r = runTrain(pulses: 3000, seed: 7)
        let mean = r.meanBiasTime
        let sd = (r.biasTimes.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(r.biasTimes.count)).squareRoot()
        #expect(r.biasTimes.count > 1000)
        // 6.9 ms ± 15 %: the fit was made on a grid; the standard error of the mean here is below 0.15 ms.
        #expect(abs(mean - 6.9e-3) < 1.0e-3, "mean bias time \(mean * 1e3) ms")
        // Exponential-like: coefficient of variation near 1 (an exponential has exactly 1; a fixed delay has 0).
        #expect(sd / mean > 0.5, "CV \(sd / mean)")
    }

    /// Fig. 2c: "firing pulses on the capacitor after one to three applied pulses". 1000 trains from rest; the
    /// model gives ≈ 0.95 within pulses 1-3 (SE 0.007 against the 0.80 target) and all within 1-5.
    @Test("Fig. 2c: from rest, the first spike comes within pulses 1-3 (>= 80 %) and 1-5 (>= 98 %)")
    func firstSpikeFromRest() {
        var within3 = 0, within5 = 0
        for seed in 0..<1000 {
            var n = PerovskiteNeuron(seed: UInt64(100 + seed))
            var first: Int?
            for k in 0..<8 where first == nil {
                n.setInput(0.75, at: Double(k) / 33)
                n.setInput(0, at: Double(k) / 33 + 5e-3)
                if n.spikeCount > 0 { first = k }
            }
            if let f = first, f < 3 { within3 += 1 }
            if let f = first, f < 5 { within5 += 1 }
        }
        #expect(within3 >= 800, "\(within3) of 1000 within 1-3")
        #expect(within5 >= 980, "\(within5) of 1000 within 1-5")
    }

    @Test("No capacitor build-up worth detecting during non-firing pulses")
    func noBuildUp() {
        let r = runTrain(pulses: 300, seed: 8)
        #expect(r.peakDuringSilentPulses < 0.015)  // < 15 mV, against spikes of 0.37-0.63 V
    }

    @Test("Paper model: constant rate, mean bias time 6.9 ms, fires even at 20 Hz")
    func paperModel() {
        let r = runTrain(.paper, frequency: 33, pulses: 3000, seed: 9)
        // P(fire within a 5 ms pulse) = 1 − exp(−5/6.9) = 0.515 for a memoryless switch.
        #expect(abs(r.probability - 0.515) < 0.04)
        #expect(abs(r.meanBiasTime - 6.9e-3) < 0.5e-3)
        #expect(runTrain(.paper, frequency: 20, pulses: 1000, seed: 10).probability > 0.4)
    }

    @Test("Deterministic model fires on every second 5 ms pulse")
    func deterministic() {
        var n = PerovskiteNeuron(kind: .deterministic, seed: 1)
        var fired: [Bool] = []
        for k in 0..<10 {
            let before = n.spikeCount
            n.setInput(0.75, at: Double(k) / 33)
            n.setInput(0, at: Double(k) / 33 + 5e-3)
            fired.append(n.spikeCount > before)
        }
        #expect(fired == [false, true, false, true, false, true, false, true, false, true])
    }

    @Test("Spike energy of fully formed spikes is 20-60 pJ")
    func spikeEnergy() {
        var n = PerovskiteNeuron(seed: 11)
        var peaks: [Double] = []
        var partial = 0
        for k in 0..<2000 {
            let start = Double(k) / 33
            n.setInput(0.75, at: start)
            let before = n.spikeCount
            n.advance(to: start + 5e-3)
            if n.spikeCount > before, let e = n.lastEvent {
                // Fully formed: on for at least 3 charging time constants (τ = R_on‖R_dis · C) before the pulse
                // ended, i.e. within 5 % of its plateau. Spikes cut short by the pulse end are partial.
                let tau = 300e-12 * (e.onResistanceOhms * 10e6) / (e.onResistanceOhms + 10e6)
                if start + 5e-3 - e.time >= 3 * tau { peaks.append(n.capacitorVolts) } else { partial += 1 }
            }
            n.setInput(0, at: start + 5e-3)
        }
        #expect(peaks.count > 100, "fully formed \(peaks.count), partial \(partial)")
        for v in peaks {
            let pj = 0.5 * 300e-12 * v * v * 1e12
            #expect(pj >= 20 && pj <= 60, "peak \(v) V = \(pj) pJ")
        }
    }

    @Test("Same seed, same spikes")
    func determinism() {
        #expect(runTrain(pulses: 200, seed: 42).biasTimes == runTrain(pulses: 200, seed: 42).biasTimes)
        #expect(runTrain(pulses: 200, seed: 42).biasTimes != runTrain(pulses: 200, seed: 43).biasTimes)
    }
}

@Suite("Measurement noise")
struct NoiseTests {
    /// Irwin-Hall of four uniforms, scaled to unit variance: mean 0, variance 1, support ±√12 = ±3.464. With 200 000
    /// draws the standard error of the mean is 0.0022 and of the variance about 0.003 (the fourth moment of this
    /// distribution is 2.7), so ±0.01 and ±0.015 are over four standard errors.
    @Test("nextNoise has mean 0, variance 1 and bounded tails")
    func moments() {
        var g = SeededGenerator(seed: 9)
        var sum = 0.0, sumSq = 0.0, beyond2 = 0
        let n = 200_000
        for _ in 0..<n {
            let x = g.nextNoise()
            #expect(abs(x) <= 3.4642)
            sum += x
            sumSq += x * x
            if abs(x) > 2 { beyond2 += 1 }
        }
        let mean = sum / Double(n)
        let variance = sumSq / Double(n) - mean * mean
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.015)
        // A Gaussian puts 4.55 % beyond 2σ; Irwin-Hall(4) about 4.0 %. Either way, clearly not uniform (0 %) or heavy.
        let fraction = Double(beyond2) / Double(n)
        #expect(fraction > 0.035 && fraction < 0.05, "beyond 2 sigma: \(fraction)")
    }
}

@Suite("SplitMix64")
struct SplitMix64Tests {
    @Test("matches the reference implementation's first outputs for seed 0 (Vigna's splitmix64.c)")
    func referenceVector() {
        var g = SplitMix64(seed: 0)
        #expect([g.next(), g.next(), g.next(), g.next()]
                == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC])
    }

    @Test("xoshiro256** is seeded from it: the same seed gives the same stream, another seed another")
    func seedsXoshiro() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let sa = (0..<8).map { _ in a.next() }, sb = (0..<8).map { _ in b.next() }, sc = (0..<8).map { _ in c.next() }
        #expect(sa == sb && sa != sc)
    }
}
