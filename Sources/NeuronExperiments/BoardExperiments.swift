#if canImport(Glibc)
import Glibc  // math only
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import NeuronControl
import NeuronHAL

// The paper's board experiments (Fig. 2c, Fig. 4, Fig. S8a and any sweep file) as data: which pulse trains to run,
// how often, and what to compute from the runs. Running a train is the caller's business (`TrainRunner`): the CLI
// runs it through a `Session` (board file, drivers, buses, the engine, the detector), tests through the mock board.

/// Runs one pulse train on a board with the given seed (for simulated boards) and returns what the engine recorded:
/// every pulse and spike, and the trace when `recordTrace`.
public typealias TrainRunner = (_ train: PulseTrain, _ seed: UInt64, _ recordTrace: Bool) throws -> EngineResult

/// Called after each run: runs done, runs in total, and what was just run.
public typealias ProgressHandler = (_ done: Int, _ total: Int, _ label: String) -> Void

/// One point of a parameter grid.
public struct GridPoint: Sendable, Hashable {
    /// The sweep (or Fig. 4 panel) this point belongs to: "frequency", "amplitude", "width", or a sweep file's name.
    public var sweep: String
    public var train: PulseTrain
    public init(sweep: String, train: PulseTrain) {
        self.sweep = sweep
        self.train = train
    }
}

/// One repetition at one grid point.
public struct TuningRow: Sendable, Hashable {
    public var point: GridPoint
    public var repetition: Int
    public var seed: UInt64
    public var pulsesApplied: Int
    public var firedPulses: Int
    public var spikes: Int
    /// Fired pulses over applied pulses.
    public var probability: Double
    /// Mean bias time before a spike, ms (NaN without spikes).
    public var meanBiasMs: Double
}

/// Mean and spread over the repetitions of one grid point.
public struct TuningSummary: Sendable, Hashable {
    public var point: GridPoint
    public var repetitions: Int
    public var mean: Double
    /// Sample standard deviation over repetitions (0 for one repetition).
    public var sd: Double
    public var sem: Double { Self.sem(sd: sd, repetitions: repetitions) }
    static func sem(sd: Double, repetitions: Int) -> Double { repetitions > 0 ? sd / Double(repetitions).squareRoot() : 0 }
}

public enum BoardExperiments {
    /// Fig. 4: firing probability per pulse against frequency (4b), amplitude (4c) and pulse width (S10), each
    /// varied around the Fig. 2c working point (0.75 V, 5 ms, 33 Hz).
    public static func fig4Grid(pulses: Int) -> [GridPoint] {
        let base = PulseTrain.fig2c(count: pulses)
        var points: [GridPoint] = []
        for f in [20.0, 25, 33, 40, 50] {
            var t = base
            t.frequency = .hertz(f)
            points.append(GridPoint(sweep: "frequency", train: t))
        }
        for a in [0.40, 0.50, 0.60, 0.70, 0.75, 0.80, 0.90] {
            var t = base
            t.amplitude = .volts(a)
            points.append(GridPoint(sweep: "amplitude", train: t))
        }
        for w in [2.0, 3, 4, 5, 6, 7, 7.5] {
            var t = base
            t.width = .seconds(w * 1e-3)
            points.append(GridPoint(sweep: "width", train: t))
        }
        return points
    }

    /// The seed of repetition `r` at grid point `i`: consecutive from the base seed, so a run can be repeated alone
    /// with `neuronctl run --seed`.
    public static func seed(base: UInt64, point i: Int, repetition r: Int, repetitions: Int) -> UInt64 {
        base &+ UInt64(i * repetitions + r)
    }

    /// Runs every point `repetitions` times (no traces) and returns one row per run, in grid order; with `shard`,
    /// only that shard's block of the runs (run `i * repetitions + r` is point i's repetition r).
    public static func tuning(
        _ points: [GridPoint], repetitions: Int, seed: UInt64, runner: TrainRunner, shard: Shard = .whole,
        progress: ProgressHandler = { _, _, _ in }
    ) throws -> [TuningRow] {
        var rows: [TuningRow] = []
        let runs = shard.range(of: points.count * repetitions)
        let total = runs.count
        for (i, point) in points.enumerated() {
            for r in 0..<repetitions where runs.contains(i * repetitions + r) {
                let s = Self.seed(base: seed, point: i, repetition: r, repetitions: repetitions)
                let result = try runner(point.train, s, false)
                let summary = ChannelSummary(result.channels[0], elapsed: result.elapsed)
                rows.append(TuningRow(
                    point: point, repetition: r, seed: s, pulsesApplied: summary.pulsesApplied, firedPulses: summary.firedPulses,
                    spikes: summary.spikes, probability: summary.firingProbabilityPerPulse,
                    meanBiasMs: summary.spikes > 0 ? summary.biasTimeMs.mean : .nan))
                progress(rows.count, total, "\(point.sweep) \(describe(point.train)), repetition \(r + 1)/\(repetitions)")
            }
        }
        return rows
    }

    /// Mean and SD of the firing probability over repetitions, per point, in grid order.
    public static func summarise(_ rows: [TuningRow]) -> [TuningSummary] {
        grouped(rows.map { ($0.point, $0.probability) }).map { p, v in
            let (mean, sd) = meanSD(v)
            return TuningSummary(point: p, repetitions: v.count, mean: mean, sd: sd)
        }
    }

    /// Values grouped by key, keys in first-seen order.
    static func grouped<K: Hashable>(_ pairs: [(K, Double)]) -> [(K, [Double])] {
        var order: [K] = []
        var values: [K: [Double]] = [:]
        for (k, v) in pairs {
            if values[k] == nil { order.append(k) }
            values[k, default: []].append(v)
        }
        return order.map { ($0, values[$0]!) }
    }

    /// Mean and sample SD (0 for one value).
    static func meanSD(_ v: [Double]) -> (mean: Double, sd: Double) {
        let mean = v.reduce(0, +) / Double(v.count)
        let sd = v.count > 1 ? (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count - 1)).squareRoot() : 0
        return (mean, sd)
    }

    public static func describe(_ t: PulseTrain) -> String {
        "\(formatted(t.amplitude.volts, digits: 2)) V x \(formatted(t.width.seconds * 1e3, digits: 1)) ms at \(formatted(t.frequency.hertz, digits: 1)) Hz"
    }

    static func pointColumns(_ p: GridPoint) -> String {
        let t = p.train
        return "\(p.sweep),\(formatted(t.amplitude.volts, digits: 4)),\(formatted(t.width.seconds * 1e3, digits: 4)),\(formatted(t.frequency.hertz, digits: 4))"
    }

    /// One row per run: sweep, amplitude_v, width_ms, frequency_hz, repetition, seed, pulses, fired_pulses, spikes,
    /// probability, mean_bias_ms (empty without spikes).
    public static func tuningCSV(_ rows: [TuningRow], metadata: [(String, String)]) -> String {
        var s = RunRecords.metadataHeader(metadata)
        s += "sweep,amplitude_v,width_ms,frequency_hz,repetition,seed,pulses,fired_pulses,spikes,probability,mean_bias_ms\n"
        for r in rows {
            s += pointColumns(r.point)
            s += ",\(r.repetition),\(r.seed),\(r.pulsesApplied),\(r.firedPulses),\(r.spikes),\(formatted(r.probability, digits: 5)),"
            s += (r.meanBiasMs.isNaN ? "" : formatted(r.meanBiasMs, digits: 4)) + "\n"
        }
        return s
    }

    /// One row per grid point: the tuning curve with its error bars (SD and SEM over repetitions).
    public static func summaryCSV(_ summaries: [TuningSummary], metadata: [(String, String)]) -> String {
        summaryCSV(summaries.map { (pointColumns($0.point), $0.repetitions, $0.mean, $0.sd) }, metadata: metadata)
    }

    static func summaryCSV(_ summaries: [(point: String, repetitions: Int, mean: Double, sd: Double)], metadata: [(String, String)]) -> String {
        var s = RunRecords.metadataHeader(metadata)
        s += "sweep,amplitude_v,width_ms,frequency_hz,repetitions,probability_mean,probability_sd,probability_sem\n"
        for p in summaries {
            let sem = TuningSummary.sem(sd: p.sd, repetitions: p.repetitions)
            s += p.point
            s += ",\(p.repetitions),\(formatted(p.mean, digits: 5)),\(formatted(p.sd, digits: 5)),\(formatted(sem, digits: 5))\n"
        }
        return s
    }

    /// The summary file's header from the runs file's: its own file name, the figure after `experiment`, the error
    /// bars before `read_with`.
    public static func summaryMetadata(runs m: [(String, String)], stem: String, figure: String) -> [(String, String)] {
        var out: [(String, String)] = []
        for (k, v) in m {
            if k == "read_with" { out.append(("error_bars", "sample SD over repetitions")) }
            out.append(k == "neuronhil" ? (k, v.replacing("\(stem)-runs.csv", with: "\(stem).csv")) : (k, v))
            if k == "experiment" { out.append(("figure", figure)) }
        }
        return out
    }

    /// A shard's runs file: the unsharded runs file's header and its shard, runs and seeds, then its rows.
    public static func shardCSV(_ rows: [TuningRow], metadata m: [(String, String)], figure: String, shard: Shard, total: Int) -> String {
        let runs = shard.range(of: total)
        let seeds = rows.isEmpty ? "none" : "\(rows.first!.seed)...\(rows.last!.seed)"
        return tuningCSV(rows, metadata: m + [
            ("shard", shard.description), ("shard_runs", "\(runs.lowerBound)..<\(runs.upperBound) of \(total)"),
            ("shard_seeds", seeds + " (base seed + run index; the unsharded run's seeds for these runs)"), ("summary_figure", figure),
        ])
    }

    /// The unsharded runs and summary files from the shards' runs files (in shard order).
    static func mergeTuning(_ shards: [CommentedCSV]) throws(ShardError) -> [(name: String, text: String)] {
        let first = shards[0]
        let m = first.metadata.filter { !ShardMerge.shardKeys.contains($0.0) }
        guard let header = first.value("neuronhil"), let name = header.split(separator: " ").first, name.hasSuffix("-runs.csv"),
              let figure = first.value("summary_figure"), let runs = first.value("shard_runs"),
              let total = runs.split(separator: " ").last.flatMap({ Int($0) }) else {
            throw ShardError("shard 1: not a sweep shard's runs file (no neuronhil, shard_runs or summary_figure line).")
        }
        let stem = String(name.dropLast("-runs.csv".count))
        let rows = shards.flatMap(\.rows)
        guard rows.count == total else { throw ShardError("the shards hold \(rows.count) runs; the job has \(total).") }
        var pairs: [(String, Double)] = []
        for row in rows {
            // sweep,amplitude_v,width_ms,frequency_hz,repetition,seed,pulses,fired_pulses,...: the probability again
            // from the integer counts, exactly as the run computed it.
            let f = row.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 8, let applied = Int(f[6]), let fired = Int(f[7]) else { throw ShardError("row '\(row)' is not a run.") }
            pairs.append((f[0...3].joined(separator: ","), applied > 0 ? Double(fired) / Double(applied) : 0))
        }
        let summaries = grouped(pairs).map { p, v in
            let (mean, sd) = meanSD(v)
            return (point: p, repetitions: v.count, mean: mean, sd: sd)
        }
        let runsText = RunRecords.metadataHeader(m) + first.columns + "\n" + rows.map { $0 + "\n" }.joined()
        return [("\(stem)-runs.csv", runsText),
                ("\(stem).csv", summaryCSV(summaries, metadata: summaryMetadata(runs: m, stem: stem, figure: figure)))]
    }
}

// MARK: - Time to spike (Fig. S8a)

/// The bias time before each spike over many runs, with an exponential (Poisson) fit.
public struct TimeToSpike: Sendable {
    public struct Sample: Sendable, Hashable {
        public var repetition: Int
        public var spike: Int
        public var pulse: Int
        public var biasMs: Double
    }
    public var samples: [Sample]

    /// Maximum-likelihood fit of an exponential distribution: the mean of the samples (ms). A Poisson switching
    /// process with a constant rate gives exponential waiting times, whose MLE rate is 1/mean.
    public var meanMs: Double { samples.isEmpty ? .nan : samples.map(\.biasMs).reduce(0, +) / Double(samples.count) }
    /// 95 % confidence interval of the fitted mean (exact for exponential samples: 2nμ/μ̂ ~ χ²(2n); normal
    /// approximation μ̂·(1 ± 1.96/√n) is used, fine for the dozens of spikes a run gives).
    public var meanInterval95: ClosedRange<Double> {
        let m = meanMs, n = Double(samples.count)
        guard n > 0 else { return .nan ... .nan }
        return m * max(0, 1 - 1.96 / n.squareRoot()) ... m * (1 + 1.96 / n.squareRoot())
    }
    public var sdMs: Double {
        let m = meanMs
        guard samples.count > 1 else { return 0 }
        return (samples.map { ($0.biasMs - m) * ($0.biasMs - m) }.reduce(0, +) / Double(samples.count - 1)).squareRoot()
    }
    /// Kolmogorov-Smirnov distance between the samples and the fitted exponential (0 = perfect; an exponential
    /// has SD equal to its mean, which this also tests).
    public var ksDistance: Double {
        let xs = samples.map(\.biasMs).sorted()
        let m = meanMs
        guard !xs.isEmpty, m > 0 else { return .nan }
        var d = 0.0
        for (i, x) in xs.enumerated() {
            let f = 1 - exp(-x / m)
            d = max(d, abs(f - Double(i) / Double(xs.count)), abs(Double(i + 1) / Double(xs.count) - f))
        }
        return d
    }

    /// Runs `repetitions` trains and collects the bias time of every spike.
    public static func collect(
        _ train: PulseTrain, repetitions: Int, seed: UInt64, runner: TrainRunner, progress: ProgressHandler = { _, _, _ in }
    ) throws -> TimeToSpike {
        var samples: [Sample] = []
        for r in 0..<repetitions {
            let result = try runner(train, BoardExperiments.seed(base: seed, point: 0, repetition: r, repetitions: repetitions), false)
            for e in result.spikes {
                samples.append(Sample(repetition: r, spike: e.index, pulse: e.pulseIndex, biasMs: e.biasTime.seconds * 1e3))
            }
            progress(r + 1, repetitions, "\(describe(train)), repetition \(r + 1)/\(repetitions)")
        }
        return TimeToSpike(samples: samples)
    }

    static func describe(_ t: PulseTrain) -> String { BoardExperiments.describe(t) }

    /// Histogram bins of `binMs` from 0 to past the largest sample: (start, end, count).
    public func histogram(binMs: Double) -> [(start: Double, end: Double, count: Int)] {
        guard let maxValue = samples.map(\.biasMs).max(), binMs > 0 else { return [] }
        let n = Int((maxValue / binMs).rounded(.down)) + 1
        var counts = [Int](repeating: 0, count: n)
        for s in samples { counts[min(n - 1, Int(s.biasMs / binMs))] += 1 }
        return (0..<n).map { (Double($0) * binMs, Double($0 + 1) * binMs, counts[$0]) }
    }

    public func samplesCSV(metadata: [(String, String)]) -> String {
        var s = RunRecords.metadataHeader(metadata)
        s += "repetition,spike,pulse,bias_time_ms\n"
        for x in samples { s += "\(x.repetition),\(x.spike),\(x.pulse),\(formatted(x.biasMs, digits: 4))\n" }
        return s
    }

    /// bin_start_ms, bin_end_ms, count, density (per ms), fit_density: the fitted exponential averaged over the bin.
    public func histogramCSV(binMs: Double, metadata: [(String, String)]) -> String {
        var s = RunRecords.metadataHeader(metadata)
        s += "bin_start_ms,bin_end_ms,count,density,fit_density\n"
        let n = Double(samples.count)
        let m = meanMs
        for b in histogram(binMs: binMs) {
            let density = n > 0 ? Double(b.count) / (n * binMs) : 0
            let fit = m > 0 ? (exp(-b.start / m) - exp(-b.end / m)) / binMs : 0
            s += "\(formatted(b.start, digits: 3)),\(formatted(b.end, digits: 3)),\(b.count),\(formatted(density, digits: 6)),\(formatted(fit, digits: 6))\n"
        }
        return s
    }
}
