import Testing
import NeuronControl
import NeuronHAL

/// The detector on synthetic traces whose spikes are known exactly.
@Suite("Spike detector")
struct SpikeDetectorTests {
    /// A 33 Hz / 5 ms train sampled at 10 kS/s; `spikes` lists (pulse, ms into the pulse, plateau volts, τ ms).
    static func synthesize(pulses: Int, spikes: [(Int, Double, Double, Double)], noise: [Double] = []) -> [SpikeEvent] {
        let period = 30_303_030.0, width = 5_000_000.0, dt: Int64 = 100_000
        var detector = SpikeDetector(configuration: DetectorConfiguration(), channel: 7, sampleInterval: .nanoseconds(dt))
        var out: [SpikeEvent] = []
        var t: Int64 = 0
        var i = 0
        while Double(t) < Double(pulses) * period {
            let k = Int(Double(t) / period)
            let start = Double(k) * period
            let on = Double(t) - start < width
            let state = StimulusState(pulseIndex: k, pulseStart: Int64(start), pulseEnd: Int64(start + width), isOn: on, isSupraThreshold: true)
            var v = 0.005
            for (p, atMs, plateau, tauMs) in spikes {
                let s = Double(p) * period + atMs * 1e6, end = Double(p) * period + width
                let x = Double(t)
                if x >= s && x <= end { v += plateau * (1 - exp(-(x - s) / (tauMs * 1e6))) }
                if x > end {
                    let peak = plateau * (1 - exp(-(end - s) / (tauMs * 1e6)))
                    v += peak * exp(-(x - end) / 3e6)
                }
            }
            if !noise.isEmpty { v += noise[i % noise.count] }
            if let e = detector.process(time: t, membrane: .volts(v), stimulus: state), e.phase == .complete { out.append(e) }
            t += dt
            i += 1
        }
        if let e = detector.finish(at: t) { out.append(e) }
        return out
    }

    @Test("A fully formed spike: onset, pulse, peak, energy")
    func fullSpike() {
        let s = Self.synthesize(pulses: 3, spikes: [(1, 1.0, 0.5, 0.4)])
        #expect(s.count == 1)
        guard let e = s.first else { return }
        #expect(e.channel == 7)
        #expect(e.pulseIndex == 1)
        // True onset 30.303 + 1.0 ms; estimate is half a sample after the last sample under 20 mV.
        #expect(abs(Double(e.onset) * 1e-6 - 31.303) < 0.15)
        #expect(abs(e.peak.volts - 0.5 - 0.005) < 0.01)
        #expect(e.fullyFormed)
        #expect(abs(e.energy.picojoules - 0.5 * 300e-12 * e.peak.volts * e.peak.volts * 1e12) < 1e-9)
        // Bias: pulse 0 (5 ms) + 1 ms into pulse 1.
        #expect(abs(e.biasTime.seconds * 1e3 - 6.0) < 0.15)
    }

    @Test("A spike cut short by the pulse end is partial")
    func partialSpike() {
        let s = Self.synthesize(pulses: 2, spikes: [(0, 4.2, 0.5, 0.8)])
        #expect(s.count == 1)
        #expect(s.first?.fullyFormed == false)
        #expect((s.first?.peak.volts ?? 1) < 0.4)
    }

    @Test("Bias time counts from the end of the pulse that carried the previous spike")
    func biasAcrossPulses() {
        let s = Self.synthesize(pulses: 5, spikes: [(0, 4.0, 0.5, 0.3), (3, 2.0, 0.5, 0.3)])
        #expect(s.count == 2)
        guard s.count == 2 else { return }
        #expect(abs(s[0].biasTime.seconds * 1e3 - 4.0) < 0.15)
        // Pulses 1 and 2 (5 ms each) + 2 ms into pulse 3; pulse 0 carried the previous spike.
        #expect(abs(s[1].biasTime.seconds * 1e3 - 12.0) < 0.15)
        #expect(s[1].index == 1)
    }

    @Test("Noise around the threshold does not split or invent spikes (hysteresis)")
    func hysteresis() {
        // Up to 35 mV raw on a 5 mV baseline, below the 60 mV threshold: no event.
        let quiet = Self.synthesize(pulses: 4, spikes: [], noise: [0.0, 0.02, -0.02, 0.03])
        #expect(quiet.isEmpty)
        // A spike with ±15 mV noise on its plateau and decay is still one spike.
        let noisy = Self.synthesize(pulses: 3, spikes: [(1, 1.0, 0.4, 0.4)], noise: [0.015, -0.015, 0.01, -0.01])
        #expect(noisy.count == 1)
    }

    @Test("Each spike is reported at its crossing, then complete with the same index")
    func phases() {
        var detector = SpikeDetector(configuration: DetectorConfiguration(), channel: 0, sampleInterval: .microseconds(100))
        let on = StimulusState(pulseIndex: 0, pulseStart: 0, pulseEnd: 5_000_000, isOn: true, isSupraThreshold: true)
        var events: [SpikeEvent] = []
        for (i, v) in [0.0, 0.0, 0.3, 0.5, 0.5, 0.2, 0.0, 0.0, 0.0].enumerated() {
            if let e = detector.process(time: Int64(i) * 100_000, membrane: .volts(v), stimulus: on) { events.append(e) }
        }
        #expect(events.map(\.phase) == [.crossing, .complete])
        #expect(events.map(\.index) == [0, 0])
        #expect(events[0].crossing == 200_000)
        #expect(events[1].peak.volts > events[0].peak.volts)
    }

    @Test("Spikes in consecutive pulses are separate events")
    func consecutive() {
        let s = Self.synthesize(pulses: 4, spikes: [(1, 1.0, 0.5, 0.3), (2, 1.0, 0.5, 0.3)])
        #expect(s.map(\.pulseIndex) == [1, 2])
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
