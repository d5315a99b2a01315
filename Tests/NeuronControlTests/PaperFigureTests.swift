import Testing
import NeuronBoard
import NeuronControl
import NeuronHAL
import NeuronPhysics

/// The paper's observations, reproduced on the mock board through the whole path: board file → real drivers →
/// simulated buses and chips → neuron physics → loop → detector. Fixed seeds; each band is justified inline.
@Suite("Paper figures on the mock board")
struct PaperFigureTests {
    /// Pulses that carried a spike, over pulses applied (from rest), skipping the first `warmUp` pulses.
    static func probability(_ r: OneChannelResult, warmUp: Int = 0) -> Double {
        let fired = Set(r.spikes.map(\.pulseIndex).filter { $0 >= warmUp })
        return Double(fired.count) / Double(r.pulsesApplied - warmUp)
    }

    @Test("Fig. 2c: 0.75 V, 5 ms, 33 Hz fires stochastically; spikes stand out; fully formed spikes carry 20-60 pJ")
    func fig2c() throws {
        let run = try runOnMockBoard(train(count: 600), seed: 3)
        let r = run.result
        #expect(r.termination == .completed)
        #expect(r.pulsesApplied == 600)
        // Stochastic: fires on some pulses, not all and not none (the 0.5-0.8 band is checked over 2000 pulses in
        // `biasTime`, where the standard error is small enough).
        let p = Self.probability(r)
        #expect(p > 0.3 && p < 0.9, "firing probability \(p)")
        // Not periodic: the gaps between firing pulses take several values (a deterministic neuron has one).
        let firing = r.spikes.map(\.pulseIndex)
        let gaps = Set(zip(firing.dropFirst(), firing).map { $0 - $1 })
        #expect(gaps.count >= 3, "gaps \(gaps.sorted())")

        // Spikes stand out: every detected peak is at least 4x the highest sample outside switching events
        // (≤ 15 mV: the 1 GΩ/10 MΩ divider plus 0.5 mV noise), so a spike is never confused with the baseline.
        // Switching events come from the physics (ground truth), so undetected tiny events are excluded too.
        var inSpike = [Bool](repeating: false, count: r.trace.count)
        for e in run.physics.switchEvents {
            let on = Int64(e.time * 1e9)
            for i in 0..<r.trace.count where r.trace.time[i] >= on && r.trace.time[i] <= on + 30_000_000 {
                inSpike[i] = true
            }
        }
        let baseline = zip(r.trace.membrane, inSpike).filter { !$0.1 }.map { Double($0.0) }.max() ?? 0
        #expect(baseline < 0.015)
        #expect(r.spikes.allSatisfy { $0.peak.volts > 4 * 0.015 })

        // Fully formed spikes (plateau reached before the pulse ended) carry 20-60 pJ (paper: 20-60 pJ); spikes
        // cut short by the end of their pulse are counted as partial and carry less.
        let full = r.spikes.filter(\.fullyFormed)
        #expect(full.count >= 5)
        for s in full {
            #expect(s.energy.picojoules >= 20 && s.energy.picojoules <= 60, "spike \(s.index): \(s.energy)")
        }
        let partial = r.spikes.filter { !$0.fullyFormed }
        #expect(partial.allSatisfy { $0.energy.picojoules <= 60 })
    }

    @Test("Fig. 4a/4b: firing probability rises with frequency, 50 Hz > 33 Hz > 20 Hz, and 20 Hz (nearly) never fires")
    func fig4Frequency() throws {
        let p20 = Self.probability(try runOnMockBoard(train(hz: 20, count: 500), seed: 11, recordTrace: false).result)
        let p33 = Self.probability(try runOnMockBoard(train(hz: 33, count: 500), seed: 12, recordTrace: false).result)
        let p50 = Self.probability(try runOnMockBoard(train(hz: 50, count: 500), seed: 13, recordTrace: false).result)
        // Model values ≈ 0.002, 0.54, 0.99 from rest; standard errors ≤ 0.023 with 500 pulses. The 20 Hz target
        // (≤ 0.01, i.e. ≤ 5 spikes here) is about four Poisson SDs above the expected one spike.
        #expect(p20 <= 0.01, "20 Hz: \(p20)")
        #expect(p33 > p20 + 0.3, "33 Hz: \(p33)")
        #expect(p50 >= 0.85 && p50 > p33 + 0.15, "50 Hz: \(p50) vs 33 Hz: \(p33)")
    }

    @Test("Fig. 4c: 0.40 V pulses do not fire")
    func fig4Amplitude() throws {
        let r = try runOnMockBoard(train(volts: 0.40, count: 500), seed: 21, recordTrace: false).result
        #expect(r.spikes.isEmpty)
        #expect(r.pulsesApplied == 500)
    }

    @Test("Fig. S10: 7.5 ms pulses fire on (nearly) every pulse from rest; 2 ms pulses do not fire")
    func figS10() throws {
        let long = try runOnMockBoard(train(widthMs: 7.5, count: 300), seed: 31, recordTrace: false).result
        // Model: ≈ 0.997 per pulse from rest (SE 0.003 with 300 pulses) against the 0.95 target.
        #expect(Self.probability(long) >= 0.95, "\(Self.probability(long))")
        let short = try runOnMockBoard(train(widthMs: 2, count: 500), seed: 32, recordTrace: false).result
        #expect(short.spikes.isEmpty)
    }

    @Test("Bias time before a spike: exponential-like, mean 6.9 ± 0.5 ms at 0.75 V; 33 Hz fires on 0.5-0.8 of the pulses")
    func biasTime() throws {
        // Measured by the detector from the stimulus it applied: time under supra-threshold (> 0.3 V) pulses since
        // the end of the pulse that carried the previous spike, up to this spike's onset (half a sample after the
        // last sample below 20 mV). Every spike counts, the first (from rest) included.
        let r = try runOnMockBoard(train(count: 2000), seed: 41, recordTrace: false).result
        // Model ≈ 0.54; standard error 0.011 with 2000 pulses, so 0.5-0.8 holds by over three of them.
        let p = Self.probability(r)
        #expect(p >= 0.5 && p <= 0.8, "firing probability \(p)")
        let bias = r.spikes.map { $0.biasTime.seconds * 1e3 }
        #expect(bias.count > 800)
        let mean = bias.reduce(0, +) / Double(bias.count)
        let sd = (bias.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(bias.count)).squareRoot()
        // Paper (Fig. S8a): 6.9 ms, target ± 0.5 ms. Standard error here ≈ 0.12 ms (CV 0.55, ~1000 spikes).
        #expect(abs(mean - 6.9) <= 0.5, "mean \(mean) ms")
        // Exponential-like: spread comparable to the mean (CV 1 for an exponential, 0 for a fixed delay) and a
        // long tail: some spikes need more than two mean bias times.
        #expect(sd / mean > 0.4, "CV \(sd / mean)")
        #expect(bias.filter { $0 > 2 * mean }.count > bias.count / 50)
        // And it agrees with the physics' own count where the detector saw every switching event.
        let truth = try runOnMockBoard(train(count: 2000), seed: 41, recordTrace: false).physics.model.spikeCount
        #expect(r.spikes.count <= truth)
    }

    @Test("No capacitor build-up worth detecting during pulses that do not fire")
    func noBuildUp() throws {
        let run = try runOnMockBoard(train(count: 200), seed: 51)
        let r = run.result
        // Pulses in which the switch fired at all (ground truth, including events too late to detect).
        let period = 1.0 / 33
        let firing = Set(run.physics.switchEvents.map { Int($0.time / period) })
        var worst = 0.0
        for i in 0..<r.trace.count where r.trace.stimulus[i] > 0 && !firing.contains(Int(r.trace.pulse[i])) {
            worst = max(worst, Double(r.trace.membrane[i]))
        }
        // ≈ 7 mV from the 1 GΩ / 10 MΩ divider plus noise, against a 60 mV threshold and 0.4-0.6 V spikes.
        #expect(worst < 0.015, "worst \(worst) V")
        #expect(worst > 0.001)  // the trace is real: some build-up is there, just small
    }

    @Test("Detected spikes match the physics' switching events")
    func detectorAgainstTruth() throws {
        let run = try runOnMockBoard(train(count: 300), seed: 61)
        let r = run.result
        let truth = run.physics.model.spikeCount
        // Events in the last ~0.1 ms of a pulse barely charge the capacitor and are missed; no more than 15 %.
        #expect(r.spikes.count <= truth)
        #expect(Double(r.spikes.count) >= 0.85 * Double(truth), "\(r.spikes.count) of \(truth)")
    }

    @Test("Paper model: constant switching rate fires at 20 Hz too")
    func paperModel() throws {
        let r = try runOnMockBoard(train(hz: 20, count: 300), seed: 71, model: .paper, recordTrace: false).result
        // 1 − exp(−5/6.9) = 0.52 per pulse for a memoryless switch, minus the few the detector misses.
        let p = Self.probability(r)
        #expect(p > 0.4 && p < 0.6, "\(p)")
    }
}
