public import NeuronControl
import NeuronHAL
import Foundation
import NeuronBoard
import Yams

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

    /// Reads and checks a sweep file. Errors name the file, line, key and the fix.
    public static func load(path: String) throws(SweepFileError) -> SweepFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SweepFileError(path: path, key: "", problem: "cannot read the file (\(error)).",
                                 fix: "check the path; sweep files are YAML, see `neuronctl experiment sweep --help`")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(SweepFileError) -> SweepFile {
        if let deep = excessiveYAMLNesting(text) {
            throw SweepFileError(path: path, key: "", line: deep.line, problem: "the YAML is \(deep.problem); no sweep file nests like this.",
                                 fix: "check for unbalanced brackets or a corrupted file")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw SweepFileError(path: path, key: "", problem: "the file is empty.", fix: "give at least a 'grid' mapping")
            }
            root = node
        } catch let e as SweepFileError {
            throw e
        } catch let e as YamlError {
            var line: Int?
            var column: Int?
            switch e {
            case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
                line = mark.line
                column = mark.column
            default: break
            }
            throw SweepFileError(path: path, key: "", line: line, column: column, problem: "not valid YAML (\(e)).",
                                 fix: "fix the YAML syntax at that place")
        } catch {
            throw SweepFileError(path: path, key: "", problem: "not valid YAML (\(error)).", fix: "fix the YAML syntax")
        }
        guard let top = root.mapping else {
            throw SweepFileError(path: path, key: "", line: root.mark?.line, problem: "the top level must be a mapping.",
                                 fix: "write 'grid:', 'pulses:' etc. as keys at the top level")
        }
        func fail(_ key: String, _ node: Node?, _ problem: String, _ fix: String) -> SweepFileError {
            SweepFileError(path: path, key: key, line: node?.mark?.line, column: node?.mark?.column, problem: problem, fix: fix)
        }
        func number(_ key: String, _ node: Node) throws(SweepFileError) -> Double {
            guard let s = node.scalar?.string, let v = Double(s), v.isFinite else {
                throw fail(key, node, "'\(node.scalar?.string ?? "(not a scalar)")' is not a number.", "write a plain number, e.g. 0.75")
            }
            return v
        }
        func integer(_ key: String, _ node: Node, min: Int) throws(SweepFileError) -> Int {
            guard let s = node.scalar?.string, let v = Int(s), v >= min else {
                throw fail(key, node, "'\(node.scalar?.string ?? "(not a scalar)")' is not a whole number of at least \(min).",
                           "write a whole number, e.g. \(Swift.max(min, 5))")
            }
            return v
        }
        let knownTop = ["name", "pulses", "repetitions", "seed", "base", "grid"]
        let parameterKeys = Parameter.allCases.map(\.rawValue).joined(separator: ", ")

        var sweep = SweepFile(path: path, name: baseName(path), pulses: 100, repetitions: 5, seed: nil,
                              base: .fig2c(count: 100), grid: [])
        for (keyNode, value) in top {
            guard let key = keyNode.string else { continue }
            switch key {
            case "name":
                guard let s = value.scalar?.string, !s.isEmpty, !s.contains(","), !s.contains("\n") else {
                    throw fail(key, value, "the name must be one line of text without commas.", "e.g. name: amplitude-by-frequency")
                }
                sweep.name = s
            case "pulses": sweep.pulses = try integer(key, value, min: 1)
            case "repetitions": sweep.repetitions = try integer(key, value, min: 1)
            case "seed":
                guard let s = value.scalar?.string, let v = UInt64(s) else {
                    throw fail(key, value, "'\(value.scalar?.string ?? "")' is not a seed.", "write a non-negative whole number, e.g. 1")
                }
                sweep.seed = v
            case "base":
                guard let m = value.mapping else {
                    throw fail(key, value, "'base' must be a mapping.", "e.g. base: { amplitude-v: 0.75, width-ms: 5, frequency-hz: 33 }")
                }
                for (k, v) in m {
                    let name = k.string ?? ""
                    guard let p = Parameter(rawValue: name) else {
                        throw fail("base.\(name)", k, "unknown parameter '\(name)'.", "use one of: \(parameterKeys)")
                    }
                    let x = try number("base.\(name)", v)
                    try check(p, x, key: "base.\(name)", node: v, fail: fail)
                    p.apply(x, to: &sweep.base)
                }
            case "grid":
                guard let m = value.mapping, m.count > 0 else {
                    throw fail(key, value, "'grid' must be a non-empty mapping of parameters to values.",
                               "e.g. grid: { amplitude-v: [0.5, 0.6, 0.7] }")
                }
                for (k, v) in m {
                    let name = k.string ?? ""
                    let keyPath = "grid.\(name)"
                    guard let p = Parameter(rawValue: name) else {
                        throw fail(keyPath, k, "unknown parameter '\(name)'.", "use one of: \(parameterKeys)")
                    }
                    var values: [Double] = []
                    if let seq = v.sequence {
                        for item in seq { values.append(try number(keyPath, item)) }
                    } else if let r = v.mapping {
                        guard let from = r["from"], let to = r["to"], let step = r["step"], r.count == 3 else {
                            throw fail(keyPath, v, "a range needs exactly 'from', 'to' and 'step'.", "e.g. { from: 20, to: 50, step: 10 }")
                        }
                        let a = try number(keyPath + ".from", from), b = try number(keyPath + ".to", to)
                        let s = try number(keyPath + ".step", step)
                        guard s > 0, b >= a, (b - a) / s <= 1000 else {
                            throw fail(keyPath, step, "the range \(a) to \(b) in steps of \(s) is empty or has over 1000 values.",
                                       "use a positive step and from <= to")
                        }
                        var i = 0
                        while a + Double(i) * s <= b + 1e-9 * Swift.max(1, abs(b)) {
                            values.append(((a + Double(i) * s) * 1e9).rounded() / 1e9)
                            i += 1
                        }
                    } else if v.scalar != nil {
                        values = [try number(keyPath, v)]
                    }
                    guard !values.isEmpty else {
                        throw fail(keyPath, v, "no values.", "give a list, e.g. [0.5, 0.6], or a range { from: .., to: .., step: .. }")
                    }
                    for x in values { try check(p, x, key: keyPath, node: v, fail: fail) }
                    guard !sweep.grid.contains(where: { $0.parameter == p }) else {
                        throw fail(keyPath, k, "'\(name)' appears twice.", "keep one entry per parameter")
                    }
                    sweep.grid.append((p, values))
                }
            default:
                throw fail(key, keyNode, "unknown key '\(key)'.", "use one of: \(knownTop.joined(separator: ", "))")
            }
        }
        guard !sweep.grid.isEmpty else {
            throw SweepFileError(path: path, key: "grid", problem: "the file has no 'grid'.",
                                 fix: "add e.g. grid: { amplitude-v: [0.5, 0.6, 0.7] }")
        }
        let runs = sweep.points.count * sweep.repetitions
        guard runs <= 100_000 else {
            throw SweepFileError(path: path, key: "grid", problem: "the grid asks for \(runs) runs.", fix: "use at most 100000 runs (fewer values or repetitions)")
        }
        sweep.base.count = sweep.pulses
        return sweep
    }

    private static func check(
        _ p: Parameter, _ x: Double, key: String, node: Node,
        fail: (String, Node?, String, String) -> SweepFileError
    ) throws(SweepFileError) {
        switch p {
        case .amplitude where x < 0 || x > 10:
            throw fail(key, node, "\(x) V is not a usable amplitude.", "give volts, e.g. 0.75 (the board's limits apply too)")
        case .width where x <= 0:
            throw fail(key, node, "\(x) ms is not a usable pulse width.", "give milliseconds above 0, e.g. 5")
        case .frequency where x <= 0 || x > 10_000:
            throw fail(key, node, "\(x) Hz is not a usable frequency.", "give hertz above 0 and at most 10000, e.g. 33")
        default: return
        }
    }

    private static func baseName(_ path: String) -> String {
        var name = path.split(separator: "/").last.map(String.init) ?? path
        for ext in [".yaml", ".yml"] where name.hasSuffix(ext) { name.removeLast(ext.count) }
        return name.replacing(",", with: "_")
    }
}

/// Why a sweep file was refused: `path:line:column: key: problem Fix: fix`.
public struct SweepFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var key: String
    public var line: Int?
    public var column: Int?
    public var problem: String
    public var fix: String
    public init(path: String, key: String, line: Int? = nil, column: Int? = nil, problem: String, fix: String) {
        self.path = path
        self.key = key
        self.line = line
        self.column = column
        self.problem = problem
        self.fix = fix
    }
    public var description: String {
        var location = path
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return "\(location): \(key.isEmpty ? "" : key + ": ")\(problem) Fix: \(fix)"
    }
}
