/// Why a configuration file (board, network, sweep) was refused: which file, which key, where in the file, what is
/// wrong and how to fix it. The one diagnostic type of every file `ConfigDecoder` reads.
///
/// `description` reads like a compiler diagnostic, one line per problem:
/// ```
/// Boards/x.yaml:12:14: buses.i2c1.devices.dac0.address: 0x90 is not a 7-bit I2C address. Fix: use a 7-bit address between 0x03 and 0x77, e.g. 0x60.
/// ```
/// A validation pass may collect several problems: the first is held in this value's own fields and the rest, in
/// file order, in `more`. Decoding problems (malformed YAML, wrong types, unknown keys) stop at the first, since
/// later keys cannot be trusted.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (the path given to `load(path:)`, or the `source` given to `parse`).
    public var source: String
    /// Dotted path of the key at fault, e.g. `buses.i2c1.devices.dac0.address`; sequence elements as `[n]`.
    /// Empty when the problem concerns the whole file.
    public var keyPath: String
    /// 1-based line of the key or value in the file, when known.
    public var line: Int?
    /// 1-based column (in Unicode scalars), when known.
    public var column: Int?
    /// What is wrong, as one sentence.
    public var problem: String
    /// What to change in the file.
    public var fix: String
    /// Further problems found in the same pass, in file order.
    public var more: [ConfigError]

    public init(
        source: String, keyPath: String, line: Int? = nil, column: Int? = nil, problem: String, fix: String,
        more: [ConfigError] = []
    ) {
        self.source = source
        self.keyPath = keyPath
        self.line = line
        self.column = column
        self.problem = problem
        self.fix = fix
        self.more = more
    }

    /// This problem and the further ones, flattened.
    public var all: [ConfigError] {
        var first = self
        first.more = []
        return [first] + more.flatMap(\.all)
    }

    /// The single-line rendering of this problem alone (without `more`).
    public var message: String {
        var location = source
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        let key = keyPath.isEmpty ? "" : "\(keyPath): "
        return "\(location): \(key)\(problem) Fix: \(fix)"
    }

    public var description: String {
        all.map(\.message).joined(separator: "\n")
    }
}
