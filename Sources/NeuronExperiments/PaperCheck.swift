#if canImport(Glibc)
import Glibc  // math only
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import NeuronControl
import NeuronHAL

// The paper's quantitative claims about one neuron, measured on a board (simulated or real) through the whole path:
// each claim is one row with what was measured, its uncertainty and whether the claim holds. Trains run through
// the caller's `TrainRunner`, as every board experiment does; `neuronctl paper-check` prints the rows.

/// One claim of the paper, measured.
public struct PaperClaimRow: Sendable, Hashable {
    /// Short stable name (for JSON and tests), e.g. "first-spike-1-3".
    public var id: String
    /// The figure or passage of the paper the claim comes from.
    public var figure: String
    /// The claim as the check states it, with its threshold.
    public var claim: String
    /// The measured value, in `unit`.
    public var value: Double
    /// A 95 % interval of the measured value (Wilson for proportions), or nil where none applies.
    public var interval: ClosedRange<Double>?
    public var unit: String
    /// What went into the value (trains, pulses, spikes).
    public var basis: String
    public var passed: Bool
}

/// Wilson score interval (95 %) of a binomial proportion: k successes out of n.
public func wilsonInterval(successes k: Int, trials n: Int, z: Double = 1.96) -> ClosedRange<Double> {
    guard n > 0 else { return 0...1 }
    let p = Double(k) / Double(n), nn = Double(n)
    let centre = (p + z * z / (2 * nn)) / (1 + z * z / nn)
    let half = z / (1 + z * z / nn) * (p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot()
    return (k == 0 ? 0 : max(0, centre - half))...(k == n ? 1 : min(1, centre + half))
}

public enum PaperCheck {
    public struct Configuration: Sendable, Hashable {
        /// Trains from rest for the first-spike claims (8 pulses each).
        public var trains = 200
        /// Pulses per train for the per-pulse firing probabilities.
        public var pulses = 300
        /// Base seed; every train gets its own seed from it.
        public var seed: UInt64 = 1
        public init() {}
    }

    /// Runs every train the claims need on `runner` and returns one row per claim.
    public static func run(
        _ configuration: Configuration = Configuration(), runner: TrainRunner, progress: ProgressHandler = { _, _, _ in }
    ) throws -> [PaperClaimRow] {
        let c = configuration
        let base = PulseTrain.fig2c(count: c.pulses)
        func variant(volts: Double = 0.75, widthMs: Double = 5, hz: Double = 33) -> PulseTrain {
            var t = base
            t.amplitude = .volts(volts)
            t.width = .seconds(widthMs * 1e-3)
            t.frequency = .hertz(hz)
            return t
        }
        let frequencies = [20.0, 25, 33, 40, 50], amplitudes = [0.40, 0.50, 0.60, 0.70, 0.75, 0.80], widths = [2.0, 3, 4, 5, 6, 7.5]
        let total = c.trains + 1 + frequencies.count + amplitudes.count + widths.count
        var done = 0
        var seed = c.seed
        func next(_ train: PulseTrain, trace: Bool = false, label: String) throws -> EngineResult {
            let r = try runner(train, seed, trace)
            seed &+= 1
            done += 1
            progress(done, total, label)
            return r
        }

        // Fig. 2c from rest: the first spike of a train.
        var within3 = 0, within5 = 0
        for i in 0..<c.trains {
            let r = try next(.fig2c(count: 8), label: "first spike from rest, train \(i + 1)/\(c.trains)")
            if let first = r.spikes.map(\.pulseIndex).min() {
                if first < 3 { within3 += 1 }
                if first < 5 { within5 += 1 }
            }
        }
        // Fig. 2c protocol, long, with the trace (energies, build-up, intervals, bias times).
        let fig2c = try next(base, trace: true, label: "Fig. 2c protocol, \(c.pulses) pulses with trace")
        func probability(_ r: EngineResult) -> (k: Int, n: Int) {
            (Set(r.spikes.map(\.pulseIndex)).count, r.channels[0].pulsesApplied)
        }
        var byFrequency: [(Double, Int, Int)] = [], byAmplitude: [(Double, Int, Int)] = [], byWidth: [(Double, Int, Int)] = []
        for f in frequencies {
            let (k, n) = f == 33 ? probability(fig2c) : probability(try next(variant(hz: f), label: "\(f) Hz"))
            byFrequency.append((f, k, n))
        }
        for a in amplitudes {
            let (k, n) = a == 0.75 ? probability(fig2c) : probability(try next(variant(volts: a), label: "\(a) V"))
            byAmplitude.append((a, k, n))
        }
        for w in widths {
            let (k, n) = w == 5 ? probability(fig2c) : probability(try next(variant(widthMs: w), label: "\(w) ms"))
            byWidth.append((w, k, n))
        }
        progress(total, total, "done")

        var rows: [PaperClaimRow] = []
        func proportionRow(_ id: String, _ figure: String, _ claim: String, _ k: Int, _ n: Int, _ basis: String,
                           _ pass: (Double) -> Bool) {
            let p = n > 0 ? Double(k) / Double(n) : .nan
            rows.append(PaperClaimRow(id: id, figure: figure, claim: claim, value: p, interval: wilsonInterval(successes: k, trials: n),
                                      unit: "fraction", basis: basis, passed: n > 0 && pass(p)))
        }
        proportionRow("first-spike-1-3", "Fig. 2c", "from rest, the first spike comes within pulses 1-3 in >= 80 % of trains",
                      within3, c.trains, "\(c.trains) trains of 8 pulses") { $0 >= 0.80 }
        proportionRow("first-spike-1-5", "Fig. 2c", "from rest, the first spike comes within pulses 1-5 in >= 98 % of trains",
                      within5, c.trains, "\(c.trains) trains of 8 pulses") { $0 >= 0.98 }
        let pulsesBasis = "\(c.pulses) pulses"
        let (k33, n33) = probability(fig2c)
        proportionRow("fires-33hz", "Fig. 2c", "0.75 V x 5 ms at 33 Hz fires on 0.5-0.8 of the pulses (stochastic)",
                      k33, n33, pulsesBasis) { $0 >= 0.5 && $0 <= 0.8 }
        let f20 = byFrequency[0]
        proportionRow("silent-20hz", "Fig. 4b", "at 20 Hz the neuron does not fire (<= 0.01 of the pulses)",
                      f20.1, f20.2, pulsesBasis) { $0 <= 0.01 }
        let f50 = byFrequency[byFrequency.count - 1]
        proportionRow("fires-50hz", "Fig. 4a", "at 50 Hz it fires on >= 0.85 of the pulses, more than at 33 Hz",
                      f50.1, f50.2, pulsesBasis) { $0 >= 0.85 && $0 > Double(k33) / Double(max(n33, 1)) }
        let a40 = byAmplitude[0]
        proportionRow("silent-0.40v", "Fig. 4c", "0.40 V pulses do not fire (no spike)", a40.1, a40.2, pulsesBasis) { $0 == 0 }
        let w2 = byWidth[0]
        proportionRow("silent-2ms", "Fig. S10", "2 ms pulses do not fire (no spike)", w2.1, w2.2, pulsesBasis) { $0 == 0 }
        let w75 = byWidth[byWidth.count - 1]
        proportionRow("fires-7.5ms", "Fig. S10", "7.5 ms pulses fire on >= 0.95 of the pulses", w75.1, w75.2, pulsesBasis) { $0 >= 0.95 }
        for (id, figure, name, unit, sweep) in [("rises-with-frequency", "Fig. 4a/4b", "frequency", "Hz", byFrequency),
                                                ("rises-with-amplitude", "Fig. 4c", "amplitude", "V", byAmplitude),
                                                ("rises-with-width", "Fig. S10", "pulse width", "ms", byWidth)] {
            rows.append(monotoneRow(id: id, figure: figure, name: name, unit: unit, sweep, pulses: c.pulses))
        }

        // Fig. S8a: bias time before a spike.
        let bias = fig2c.spikes.map { $0.biasTime.seconds * 1e3 }
        let mean = bias.isEmpty ? Double.nan : bias.reduce(0, +) / Double(bias.count)
        let sd = bias.count > 1 ? (bias.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(bias.count - 1)).squareRoot() : .nan
        let sem = sd / Double(max(bias.count, 1)).squareRoot()
        rows.append(PaperClaimRow(
            id: "bias-mean", figure: "Fig. S8a", claim: "mean bias time before a spike is 6.9 +- 0.5 ms at 0.75 V",
            value: mean, interval: bias.isEmpty ? nil : (mean - 1.96 * sem)...(mean + 1.96 * sem), unit: "ms",
            basis: "\(bias.count) spikes", passed: abs(mean - 6.9) <= 0.5))
        let cv = sd / mean
        rows.append(PaperClaimRow(
            id: "bias-spread", figure: "Fig. S8a",
            claim: "bias times spread like a Poisson process's: coefficient of variation >= 0.5 (exponential 1, fixed delay 0)",
            value: cv, interval: nil, unit: "SD/mean", basis: "\(bias.count) spikes", passed: cv >= 0.5))

        // Energy per spike, E = C·V²/2 at the detected peak.
        let inRange = fig2c.spikes.filter { $0.energy.picojoules >= 20 && $0.energy.picojoules <= 60 }.count
        proportionRow("energy-20-60pj", "p. 5", ">= 70 % of spikes carry 20-60 pJ", inRange, fig2c.spikes.count,
                      "\(fig2c.spikes.count) spikes") { $0 >= 0.70 }

        // No build-up: under each pulse, the membrane before that pulse's detected spike (the whole pulse if it
        // carries none). The level the node builds up to is the median of the second half of those samples: a
        // slow rise through the high-resistance switch shows there, while a switching event too late in its pulse
        // for the detector (a spike, not build-up) touches only the last few samples.
        var onsetByPulse: [Int32: Int64] = [:]
        for s in fig2c.spikes { onsetByPulse[Int32(s.pulseIndex)] = min(onsetByPulse[Int32(s.pulseIndex)] ?? .max, s.onset) }
        var underPulse: [Int32: [Double]] = [:]
        let t = fig2c.traces[0]
        for i in 0..<t.count where t.stimulus[i] > 0 && t.pulse[i] >= 0 {
            if let onset = onsetByPulse[t.pulse[i]], t.time[i] >= onset { continue }
            underPulse[t.pulse[i], default: []].append(t.membrane[i])
        }
        var worst = 0.0
        for (pulse, all) in underPulse {
            // In a pulse that fired, the last sample before the onset may already carry the switch's first
            // microseconds (the onset is placed half a sample after it): leave it out.
            let v = onsetByPulse[pulse] == nil ? all[...] : all.dropLast()
            guard v.count >= 4 else { continue }
            let late = v[(v.startIndex + v.count / 2)...].sorted()
            worst = max(worst, Double(late[late.count / 2]))
        }
        rows.append(PaperClaimRow(
            id: "no-build-up", figure: "p. 5, Fig. 2b", claim: "no voltage build-up above 10 mV under a pulse before firing",
            value: worst * 1e3, interval: nil, unit: "mV", basis: "\(underPulse.count) pulses, median of each one's later half",
            passed: !underPulse.isEmpty && worst <= 0.010))

        // Intervals between spikes, in pulses.
        let firing = Set(fig2c.spikes.map(\.pulseIndex)).sorted()
        let gaps = zip(firing.dropFirst(), firing).map { $0 - $1 }
        proportionRow("interval-1-3", "Fig. 2c", "the interval between spikes is 1-3 pulses for >= 80 % of intervals",
                      gaps.filter { $0 <= 3 }.count, gaps.count, "\(gaps.count) intervals") { $0 >= 0.80 }
        return rows
    }

    /// Whether firing probability rises along a sweep: no step may fall by more than two binomial standard errors.
    static func monotoneRow(id: String, figure: String, name: String, unit: String, _ sweep: [(Double, Int, Int)], pulses: Int)
        -> PaperClaimRow {
        var worstDrop = 0.0
        var ok = true
        for (a, b) in zip(sweep, sweep.dropFirst()) {
            let pa = Double(a.1) / Double(max(a.2, 1)), pb = Double(b.1) / Double(max(b.2, 1))
            let se = ((pa * (1 - pa) / Double(max(a.2, 1))) + (pb * (1 - pb) / Double(max(b.2, 1)))).squareRoot()
            worstDrop = max(worstDrop, pa - pb)
            if pa - pb > 2 * se { ok = false }
        }
        let values = sweep.map { "\(formatted($0.0, digits: 2)) \(unit): \(formatted(Double($0.1) / Double(max($0.2, 1)), digits: 2))" }
        return PaperClaimRow(
            id: id, figure: figure, claim: "firing probability rises with \(name)", value: worstDrop, interval: nil,
            unit: "largest drop", basis: values.joined(separator: ", "), passed: ok)
    }

    /// The rows as a table for a terminal.
    public static func table(_ rows: [PaperClaimRow]) -> String {
        var s = ""
        for r in rows {
            let value = r.value.isNaN ? "n/a" : formatted(r.value, digits: 3)
            let interval = r.interval.map { " [\(formatted($0.lowerBound, digits: 3)), \(formatted($0.upperBound, digits: 3))]" } ?? ""
            s += "\(r.passed ? "PASS" : "FAIL")  \(r.figure): \(r.claim)\n"
            s += "      measured \(value)\(interval) \(r.unit) (\(r.basis))\n"
        }
        let failed = rows.filter { !$0.passed }.count
        s += failed == 0 ? "all \(rows.count) claims hold\n" : "\(failed) of \(rows.count) claims fail\n"
        return s
    }

    /// The rows as a JSON array (no Foundation on this path: the strings are escaped here).
    public static func json(_ rows: [PaperClaimRow]) -> String {
        func str(_ s: String) -> String {
            var out = "\""
            for ch in s.unicodeScalars {
                switch ch {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                default: out.unicodeScalars.append(ch)
                }
            }
            return out + "\""
        }
        func num(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
        let items = rows.map { r in
            let interval = r.interval.map { "[\(num($0.lowerBound)), \(num($0.upperBound))]" } ?? "null"
            return "  {\"id\": \(str(r.id)), \"figure\": \(str(r.figure)), \"claim\": \(str(r.claim)), \"value\": \(num(r.value)), "
                + "\"interval95\": \(interval), \"unit\": \(str(r.unit)), \"basis\": \(str(r.basis)), \"passed\": \(r.passed)}"
        }
        return "[\n" + items.joined(separator: ",\n") + "\n]\n"
    }
}
