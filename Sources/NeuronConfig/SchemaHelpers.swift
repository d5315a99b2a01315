// Helpers the schema types of board, network and sweep files use in their `init(from:)`. They work with any
// `Decoder`; through `ConfigDocument.decode` the errors they throw also get a file, line and column.

extension Decoder {
    /// The keyed container of this node, after refusing any key not in `allowed` (typos must not be ignored).
    public func keys(allowed: [String]) throws -> KeyedDecodingContainer<ConfigKey> {
        let container = try self.container(keyedBy: ConfigKey.self)
        (self as? NodeDecoder)?.usage.allow(allowed, at: codingPath)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            let known = allowed.joined(separator: ", ")
            let fix: String
            if let near = ConfigText.closest(to: key.stringValue, in: allowed) {
                fix = "did you mean '\(near)'? Keys allowed here: \(known)"
            } else {
                fix = "remove it; keys allowed here: \(known)"
            }
            throw DecodingError.configProblem(
                at: codingPath + [key], "unknown key '\(key.stringValue)'.", fix: fix, onKey: true)
        }
        return container
    }

    /// What this node is in the file (a scalar, a mapping, a list, or nothing), for schemas that accept several
    /// shapes; nil when the decoder is not `ConfigDocument`'s.
    public var configShape: ConfigShape? {
        guard let decoder = self as? NodeDecoder else { return nil }
        switch decoder.node {
        case .scalar(let s): return isNull(s) ? .null : .scalar
        case .mapping: return .mapping
        case .sequence: return .list
        }
    }

    /// The name of this node: the key it sits under (device, bus, line, channel and neuron names).
    public var nodeName: String { codingPath.last?.stringValue ?? "" }

    public func problem(_ problem: String, fix: String, onKey: Bool = false) -> DecodingError {
        .configProblem(at: codingPath, problem, fix: fix, onKey: onKey)
    }
}

extension KeyedDecodingContainer where Key == ConfigKey {
    public func path(_ key: String) -> [any CodingKey] { codingPath + [ConfigKey(key)] }

    /// A problem at `key`, located at its value, or at the key itself when `onKey`.
    public func problem(_ key: String, _ problem: String, fix: String, onKey: Bool = false) -> DecodingError {
        .configProblem(at: path(key), problem, fix: fix, onKey: onKey)
    }

    /// The value under `key`, or `nil` when the key is absent or empty (`key:` or `key: ~`).
    public func optional<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T? {
        let k = ConfigKey(key)
        guard contains(k), try !decodeNil(forKey: k) else { return nil }
        return try decode(T.self, forKey: k)
    }

    /// The value under `key`; when absent, an error saying what to add (`example` is a YAML line).
    public func required<T: Decodable>(_ key: String, as type: T.Type = T.self, example: String) throws -> T {
        guard let value = try optional(key, as: T.self) else {
            throw problem(key, "the required key '\(key)' is missing.", fix: "add `\(example)`")
        }
        return value
    }

    /// A number under `key` checked against `range`; `unit` names the quantity's unit for the message.
    public func number(
        _ key: String, in range: ClosedRange<Double>, unit: String, example: String, default value: Double? = nil
    ) throws -> Double {
        try bounded(key, in: range, unit: " \(unit)", kind: "a value", example: example, default: value, text: ConfigText.number)
    }

    /// A whole number under `key` checked against `range`; `unit` (may be empty) names what it counts.
    public func integer(
        _ key: String, in range: ClosedRange<Int>, unit: String = "", example: String, default value: Int? = nil
    ) throws -> Int {
        try bounded(key, in: range, unit: unit.isEmpty ? "" : " \(unit)", kind: "a whole number", example: example, default: value,
                    text: { String($0) })
    }

    /// A value under `key` (or `value` when absent) checked against `range`; `unit` comes with its leading space.
    private func bounded<T: Decodable & Comparable>(
        _ key: String, in range: ClosedRange<T>, unit: String, kind: String, example: String, default value: T?,
        text: (T) -> String
    ) throws -> T {
        let number: T
        if let present = try optional(key, as: T.self) {
            number = present
        } else if let value {
            return value
        } else {
            throw problem(key, "the required key '\(key)' is missing.", fix: "add `\(key): \(example)`")
        }
        guard range.contains(number) else {
            let lo = text(range.lowerBound), hi = text(range.upperBound)
            throw problem(
                key, "\(text(number))\(unit) is outside the accepted \(lo)...\(hi)\(unit).",
                fix: "use \(kind) between \(lo) and \(hi)\(unit), e.g. \(example)")
        }
        return number
    }

    /// A closed-set value spelled as one of `Value`'s raw values.
    public func choice<Value: RawRepresentable & CaseIterable>(
        _ key: String, as type: Value.Type, default value: Value? = nil
    ) throws -> Value where Value.RawValue == String {
        let names = Value.allCases.map(\.rawValue)
        guard let text = try optional(key, as: String.self) else {
            if let value { return value }
            throw problem(key, "the required key '\(key)' is missing.", fix: "add `\(key): \(names[0])`; one of \(names.joined(separator: ", "))")
        }
        guard let chosen = Value(rawValue: text) else {
            let hint = ConfigText.closest(to: text, in: names).map { "did you mean '\($0)'? " } ?? ""
            throw problem(key, "'\(text)' is not a valid \(key).", fix: "\(hint)use one of: \(names.joined(separator: ", "))")
        }
        return chosen
    }

    /// A mapping of author-chosen names to entries, in file order. Names must be usable in references.
    public func named<T: Decodable>(_ key: String, as type: T.Type) throws -> [T] {
        guard try optional(key, as: Ignored.self) != nil else { return [] }
        let nested = try nestedContainer(keyedBy: ConfigKey.self, forKey: ConfigKey(key))
        var entries: [T] = []
        for name in nested.allKeys {
            guard ConfigText.isValidName(name.stringValue) else {
                throw nested.problem(
                    name.stringValue, "'\(name.stringValue)' is not a usable name.",
                    fix: "use letters, digits, '-' and '_' only (names are referred to as node/channel)")
            }
            entries.append(try nested.decode(T.self, forKey: name))
        }
        return entries
    }
}

/// The shape of a node in a configuration file.
public enum ConfigShape: Sendable {
    case null, scalar, mapping, list
}

/// Decodes anything, keeping nothing (used to test a key's presence without committing to a shape).
public struct Ignored: Decodable {
    public init(from decoder: any Decoder) throws {}
}

/// Text helpers for schema messages, shared so every file kind words numbers and suggestions alike.
public enum ConfigText {
    /// Whether `name` can be used as a node name and in references (`node/channel`).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }
    }

    /// A number without a trailing ".0" for whole values: 3.3 → "3.3", 400000 → "400000".
    public static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// An integer written as the decoder accepts one (`42`, `0x2a`, `0b101`, `0o52`, `1_000`), or nil.
    public static func integer(_ text: String) -> Int? { parseInteger(text).value }

    /// The candidate nearest to `word` by edit distance, if it is close enough to be a plausible typo.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let d = editDistance(word.lowercased(), candidate.lowercased())
            if best == nil || d < best!.1 { best = (candidate, d) }
        }
        guard let (candidate, distance) = best else { return nil }
        return distance <= max(2, candidate.count / 3) ? candidate : nil
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
