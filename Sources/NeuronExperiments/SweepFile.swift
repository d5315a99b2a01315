public import NeuronControl
public import NeuronConfig
import NeuronHAL

/// A parameter grid read from a YAML sweep file. Every combination of the `grid` values is run `repetitions`
/// times; parameters not in the grid come from `base` (default: the Fig. 2c working point).
///
/// ```yaml
/// name: amplitude-by-frequency   # optional (default: the file name)
/// pulses: 100                    # per run (default 100)
/// repetitions: 5                 # runs per grid point (default 5)
/// seed: 1                        # optional; run i of the sweep uses seed + i
/// base: { amplitude-v: 0.75, width-ms: 5, frequency-hz: 33 }   # optional
/// grid:
///   amplitude-v: [0.5, 0.6, 0.7, 0.8]
///   frequency-hz: { from: 20, to: 50, step: 10 }
/// ```
public struct SweepFile: Sendable, Hashable {
    /// The parameters a sweep can vary, with their keys in the file.
    public enum Parameter: String, Sendable, CaseIterable {
        case amplitude = "amplitude-v"
        case width = "width-ms"
        case frequency = "frequency-hz"

        /// The column of the result files that holds this parameter.
        public var column: String {
            switch self {
            case .amplitude: "amplitude_v"
            case .width: "width_ms"
            case .frequency: "frequency_hz"
            }
        }

        func apply(_ value: Double, to train: inout PulseTrain) {
            switch self {
            case .amplitude: train.amplitude = .volts(value)
            case .width: train.width = .seconds(value * 1e-3)
            case .frequency: train.frequency = .hertz(value)
            }
        }
    }

    public var path: String
    public var name: String
    public var pulses: Int
    public var repetitions: Int
    public var seed: UInt64?
    public var base: PulseTrain
    /// The varied parameters in file order, each with its values.
    public var grid: [(parameter: Parameter, values: [Double])]

    public static func == (a: SweepFile, b: SweepFile) -> Bool {
        a.path == b.path && a.name == b.name && a.pulses == b.pulses && a.repetitions == b.repetitions && a.seed == b.seed
            && a.base == b.base && a.grid.map(\.parameter) == b.grid.map(\.parameter) && a.grid.map(\.values) == b.grid.map(\.values)
    }
    public func hash(into h: inout Hasher) {
        h.combine(path); h.combine(name); h.combine(pulses)
    }

    /// Every combination of the grid values (the last parameter varies fastest), in file order.
    public var points: [GridPoint] {
        var trains = [base]
        trains[0].count = pulses
        for (parameter, values) in grid {
            trains = trains.flatMap { t in
                values.map { v in
                    var u = t
                    parameter.apply(v, to: &u)
                    return u
                }
            }
        }
        return trains.map { GridPoint(sweep: name, train: $0) }
    }

    /// The decoder of sweep files: the one shared with board and network files.
    static let decoder = ConfigDecoder(kind: "sweep", example: "Sweeps/amplitude-by-frequency.yaml")

    /// The most runs (grid points × repetitions) one sweep may ask for.
    static let maxRuns = 100_000

    /// Reads and checks a sweep file. Errors are located as `file:line:col: key.path: problem Fix: ...`.
    public static func load(path: String) throws(ConfigError) -> SweepFile {
        try parse(decoder.load(path: path))
    }

    public static func parse(_ text: String, path: String) throws(ConfigError) -> SweepFile {
        try parse(decoder.parse(text, source: path))
    }

    private static func parse(_ document: ConfigDocument) throws(ConfigError) -> SweepFile {
        let schema = try document.decode(Schema.self)
        var sweep = SweepFile(path: document.source, name: schema.name ?? baseName(document.source), pulses: schema.pulses,
                              repetitions: schema.repetitions, seed: schema.seed, base: schema.base, grid: schema.grid)
        // Counted before any grid point is built: three ranges of 1000 values would be 10^9 points.
        let runs = sweep.grid.reduce(sweep.repetitions) { runs, entry in
            let (product, overflow) = runs.multipliedReportingOverflow(by: entry.values.count)
            return overflow ? .max : product
        }
        guard runs <= maxRuns else {
            throw document.error(at: ["grid"], "the grid asks for \(runs == .max ? "more than \(maxRuns)" : String(runs)) runs.",
                                 fix: "use at most \(maxRuns) runs (fewer values or repetitions)", onKey: true)
        }
        sweep.base.count = sweep.pulses
        return sweep
    }

    // MARK: Schema

    private struct Schema: Decodable {
        var name: String?
        var pulses: Int
        var repetitions: Int
        var seed: UInt64?
        var base: PulseTrain = .fig2c(count: 100)
        var grid: [(parameter: Parameter, values: [Double])] = []

        init(from decoder: any Decoder) throws {
            let c = try decoder.keys(allowed: ["name", "pulses", "repetitions", "seed", "base", "grid"])
            if let name = try c.optional("name", as: String.self) {
                guard !name.isEmpty, !name.contains(","), !name.contains("\n") else {
                    throw c.problem("name", "the name must be one line of text without commas.", fix: "e.g. name: amplitude-by-frequency")
                }
                self.name = name
            }
            pulses = try c.integer("pulses", in: 1...1_000_000, example: "100", default: 100)
            repetitions = try c.integer("repetitions", in: 1...10_000, example: "5", default: 5)
            seed = try c.optional("seed")
            if c.contains("base") {
                let b = try c.nestedContainer(keyedBy: ConfigKey.self, forKey: "base")
                for key in b.allKeys {
                    let parameter = try Parameter.named(key.stringValue, in: b)
                    let value = try b.decode(Double.self, forKey: key)
                    try parameter.check(value, at: b.path(key.stringValue))
                    parameter.apply(value, to: &base)
                }
            }
            _ = try c.required("grid", as: Ignored.self, example: "grid: { amplitude-v: [0.5, 0.6, 0.7] }")
            let g = try c.nestedContainer(keyedBy: ConfigKey.self, forKey: "grid")
            guard !g.allKeys.isEmpty else {
                throw c.problem("grid", "'grid' has no parameters.", fix: "e.g. grid: { amplitude-v: [0.5, 0.6, 0.7] }", onKey: true)
            }
            for key in g.allKeys {
                let parameter = try Parameter.named(key.stringValue, in: g)
                grid.append((parameter, try g.decode(GridValues.self, forKey: key).values))
            }
        }
    }

    /// A grid entry: a list of values, a range `{ from, to, step }`, or one value; each checked for its parameter
    /// (the key it sits under).
    private struct GridValues: Decodable {
        var values: [Double] = []

        init(from decoder: any Decoder) throws {
            let parameter = Parameter(rawValue: decoder.nodeName)
            switch decoder.configShape {
            case .mapping:
                let r = try decoder.keys(allowed: ["from", "to", "step"])
                let from = try r.required("from", as: Double.self, example: "from: 20")
                let to = try r.required("to", as: Double.self, example: "to: 50")
                let step = try r.required("step", as: Double.self, example: "step: 10")
                guard step > 0, to >= from, (to - from) / step <= 1000 else {
                    throw decoder.problem(
                        "the range \(ConfigText.number(from)) to \(ConfigText.number(to)) in steps of \(ConfigText.number(step)) is empty or has over 1000 values.",
                        fix: "use a positive step and from <= to")
                }
                var i = 0
                while from + Double(i) * step <= to + 1e-9 * Swift.max(1, abs(to)) {
                    values.append(((from + Double(i) * step) * 1e9).rounded() / 1e9)
                    i += 1
                }
                for x in values { try parameter?.check(x, at: decoder.codingPath) }
            case .list:
                var list = try decoder.unkeyedContainer()
                while !list.isAtEnd {
                    let path = decoder.codingPath + [ConfigKey.index(list.currentIndex)]
                    let x = try list.decode(Double.self)
                    try parameter?.check(x, at: path)
                    values.append(x)
                }
                guard !values.isEmpty else {
                    throw decoder.problem("no values.", fix: "give a list, e.g. [0.5, 0.6], or a range { from: .., to: .., step: .. }")
                }
            default:
                let x = try decoder.singleValueContainer().decode(Double.self)
                try parameter?.check(x, at: decoder.codingPath)
                values = [x]
            }
        }
    }

    private static func baseName(_ path: String) -> String {
        var name = path.split(separator: "/").last.map(String.init) ?? path
        for ext in [".yaml", ".yml"] where name.hasSuffix(ext) { name.removeLast(ext.count) }
        return name.replacing(",", with: "_")
    }
}

extension SweepFile.Parameter {
    /// The parameter a `base` or `grid` key names, or an error at that key listing the parameters.
    static func named(_ name: String, in c: KeyedDecodingContainer<ConfigKey>) throws -> Self {
        guard let parameter = Self(rawValue: name) else {
            throw c.problem(name, "unknown parameter '\(name)'.",
                            fix: "use one of: \(allCases.map(\.rawValue).joined(separator: ", "))", onKey: true)
        }
        return parameter
    }

    /// Refuses values no board could use (the board's own limits are checked when the sweep runs).
    func check(_ x: Double, at path: [any CodingKey]) throws {
        let value = ConfigText.number(x)
        switch self {
        case .amplitude where x < 0 || x > 10:
            throw DecodingError.configProblem(at: path, "\(value) V is not a usable amplitude.", fix: "give volts, e.g. 0.75 (the board's limits apply too)")
        case .width where x <= 0:
            throw DecodingError.configProblem(at: path, "\(value) ms is not a usable pulse width.", fix: "give milliseconds above 0, e.g. 5")
        case .frequency where x <= 0 || x > 10_000:
            throw DecodingError.configProblem(at: path, "\(value) Hz is not a usable frequency.", fix: "give hertz above 0 and at most 10000, e.g. 33")
        default: return
        }
    }
}
