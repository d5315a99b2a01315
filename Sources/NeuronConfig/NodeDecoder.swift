import Yams

// A `Decoder` over a composed Yams `Node` tree. Unlike `YAMLDecoder` it keeps mapping order (so buses, devices and
// lines keep the order of the file), refuses quoted numbers, non-finite numbers and YAML 1.1 surprises (`yes`,
// `060`, `1:30`), and every error it throws carries a coding path that `NodeLocator` maps back to a line and
// column. Duplicate keys, non-scalar keys and depth are refused before decoding starts (`ConfigDecoder`).

struct NodeDecoder: Decoder {
    let node: Node
    let codingPath: [any CodingKey]
    /// Shared by every container of one decode: which keys the schema read or declared (`keys(allowed:)`), so that
    /// a key no schema type looked at is refused rather than silently ignored.
    let usage: KeyUsage
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let mapping) = node else {
            throw mismatch(expected: "a mapping of keys to values", found: node, at: codingPath,
                           fix: "indent the keys under this one, one `key: value` per line")
        }
        usage.opened(mapping, at: codingPath)
        return KeyedDecodingContainer(KeyedNodeContainer<Key>(mapping: mapping, codingPath: codingPath, usage: usage))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let sequence) = node else {
            throw mismatch(expected: "a list", found: node, at: codingPath,
                           fix: "write a list in brackets, e.g. [1, 2], or one '- ' entry per line")
        }
        return UnkeyedNodeContainer(nodes: Array(sequence), codingPath: codingPath, usage: usage)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath, usage: usage)
    }
}

/// A string coding key: for mappings whose keys are names chosen by the file's author, and for schema keys.
public struct ConfigKey: CodingKey, Hashable, Sendable, ExpressibleByStringLiteral {
    public var stringValue: String
    public var intValue: Int?
    public init(_ string: String) { self.stringValue = string }
    public init(stringLiteral value: String) { self.stringValue = value }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) {
        self.stringValue = "[\(intValue)]"
        self.intValue = intValue
    }
    /// The key of a list element.
    public static func index(_ index: Int) -> ConfigKey { ConfigKey(intValue: index)! }
}

/// The problem and fix carried inside a `DecodingError`; `ConfigDocument.decode` turns it into a `ConfigError`.
struct ConfigProblem: Error {
    var problem: String
    var fix: String
    /// Point at the key rather than at its value (unknown and duplicate keys).
    var onKey: Bool
}

extension DecodingError {
    /// A data-corrupted error carrying a problem and its fix at `path`; the decoder adds the file, line and column.
    /// `onKey` points the location at the key itself instead of its value (for a key that should not be there).
    public static func configProblem(
        at path: [any CodingKey], _ problem: String, fix: String, onKey: Bool = false
    ) -> DecodingError {
        .dataCorrupted(.init(
            codingPath: path, debugDescription: "\(problem) Fix: \(fix)",
            underlyingError: ConfigProblem(problem: problem, fix: fix, onKey: onKey)))
    }
}

/// `buses.i2c1.devices[0].address` from a coding path.
func keyPathString(_ path: [any CodingKey]) -> String {
    var text = ""
    for key in path {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            if !text.isEmpty { text += "." }
            text += key.stringValue
        }
    }
    return text
}

func describe(_ node: Node) -> String {
    switch node {
    case .scalar(let s):
        if isNull(s) { return "nothing" }
        let text = s.string.count > 40 ? String(s.string.prefix(37)) + "..." : s.string
        return s.style == .plain || s.style == .any ? "'\(text)'" : "the quoted string \"\(text)\""
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    }
}

func isNull(_ s: Node.Scalar) -> Bool {
    (s.style == .plain || s.style == .any) && ["", "~", "null", "Null", "NULL"].contains(s.string)
}

private func mismatch(expected: String, found node: Node, at path: [any CodingKey], fix: String) -> DecodingError {
    .configProblem(at: path, "expected \(expected), found \(describe(node)).", fix: fix)
}

// MARK: - Which keys the schema looked at

/// Records, per opened mapping, the keys the schema read or declared. A path is identified by its keys joined with
/// NUL, which no YAML key written by hand contains, so `a.b` as one key and `a: { b }` stay apart.
final class KeyUsage {
    private(set) var mappings: [(path: [any CodingKey], mapping: Node.Mapping)] = []
    private var openedPaths: Set<String> = []
    private var known: [String: Set<String>] = [:]

    static func id(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: "\u{0}") }

    func opened(_ mapping: Node.Mapping, at path: [any CodingKey]) {
        if openedPaths.insert(Self.id(path)).inserted { mappings.append((path, mapping)) }
    }
    func read(_ key: String, at path: [any CodingKey]) { known[Self.id(path), default: []].insert(key) }
    func allow(_ keys: [String], at path: [any CodingKey]) { known[Self.id(path), default: []].formUnion(keys) }
    func known(at path: [any CodingKey]) -> Set<String> { known[Self.id(path)] ?? [] }
}

// MARK: - Scalars

/// Parses an integer the way a person writes one: decimal, `0x` hex, `0b` binary or `0o` octal, `_` separators,
/// optional sign. A leading zero on a decimal is refused (YAML 1.1 would read `060` as octal 48).
func parseInteger(_ raw: String) -> (value: Int?, tooLarge: Bool, ambiguousOctal: Bool) {
    var text = raw.filter { $0 != "_" }
    var negative = false
    if text.hasPrefix("-") || text.hasPrefix("+") {
        negative = text.hasPrefix("-")
        text.removeFirst()
    }
    var radix = 10
    for (prefix, r) in [("0x", 16), ("0X", 16), ("0b", 2), ("0o", 8)] where text.hasPrefix(prefix) {
        radix = r
        text.removeFirst(2)
        break
    }
    guard !text.isEmpty, text.allSatisfy({ $0.isHexDigit }) else { return (nil, false, false) }
    if radix == 10 && text.count > 1 && text.hasPrefix("0") && text.allSatisfy(\.isNumber) {
        return (nil, false, true)
    }
    if let magnitude = Int(text, radix: radix) {
        return (negative ? -magnitude : magnitude, false, false)
    }
    let digitsValid = text.allSatisfy { $0.isHexDigit && Int(String($0), radix: radix) != nil }
    return (nil, digitsValid, false)
}

private struct SingleNodeContainer: SingleValueDecodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    let usage: KeyUsage

    func decodeNil() -> Bool {
        if case .scalar(let s) = node { return isNull(s) }
        return false
    }

    private func plainScalar(expected: String, example: String) throws -> String {
        guard case .scalar(let s) = node, !isNull(s) else {
            throw mismatch(expected: expected, found: node, at: codingPath, fix: "write \(expected), e.g. \(example)")
        }
        guard s.style == .plain || s.style == .any else {
            throw mismatch(expected: expected, found: node, at: codingPath,
                           fix: "remove the quotes, e.g. \(example)")
        }
        return s.string
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .scalar(let s) = node, !isNull(s) else {
            throw mismatch(expected: "a text value", found: node, at: codingPath, fix: "write a single word or a quoted text")
        }
        return s.string
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        let text = try plainScalar(expected: "true or false", example: "true")
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            throw mismatch(expected: "true or false", found: node, at: codingPath, fix: "write true or false")
        }
    }

    func decodeInteger() throws -> Int {
        let text = try plainScalar(expected: "a whole number", example: "42 or 0x2a")
        let parsed = parseInteger(text)
        if let value = parsed.value { return value }
        if parsed.tooLarge {
            throw DecodingError.configProblem(
                at: codingPath, "\(text) is far too large a number.", fix: "write a realistic value for this key")
        }
        if parsed.ambiguousOctal {
            throw DecodingError.configProblem(
                at: codingPath, "\(text) has a leading zero, which YAML may read as octal.",
                fix: "write \(text.drop { $0 == "0" }) for decimal or 0x\(text.drop { $0 == "0" }) for hex")
        }
        throw mismatch(expected: "a whole number", found: node, at: codingPath, fix: "write a whole number, e.g. 42 or 0x2a")
    }

    func decode(_ type: Double.Type) throws -> Double {
        let text = try plainScalar(expected: "a number", example: "3.3")
        if let integer = parseInteger(text).value { return Double(integer) }
        let cleaned = text.filter { $0 != "_" }
        guard let value = Double(cleaned), cleaned.allSatisfy({ "0123456789.eE+-".contains($0) }) else {
            throw mismatch(expected: "a number", found: node, at: codingPath, fix: "write a plain number, e.g. 3.3 or 10.0e6")
        }
        guard value.isFinite, abs(value) < 1e15 else {
            throw DecodingError.configProblem(
                at: codingPath, "\(text) is far too large a number.", fix: "write a realistic value for this key")
        }
        return value
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func decode(_ type: Int.Type) throws -> Int { try decodeInteger() }
    func decode(_ type: Int8.Type) throws -> Int8 { try narrow(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try narrow(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try narrow(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try narrow(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try narrow(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try narrow(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try narrow(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try narrow(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try narrow(UInt64.self) }

    private func narrow<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let value = try decodeInteger()
        guard let narrowed = T(exactly: value) else {
            throw DecodingError.configProblem(
                at: codingPath, "\(value) is outside \(T.min)...\(T.max).",
                fix: "write a whole number between \(T.min) and \(T.max)")
        }
        return narrowed
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type: return try decode(String.self) as! T
        case is Bool.Type: return try decode(Bool.self) as! T
        case is Double.Type: return try decode(Double.self) as! T
        case is Int.Type: return try decode(Int.self) as! T
        case is UInt8.Type: return try decode(UInt8.self) as! T
        case is UInt64.Type: return try decode(UInt64.self) as! T
        default: return try T(from: NodeDecoder(node: node, codingPath: codingPath, usage: usage))
        }
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let mapping: Node.Mapping
    let codingPath: [any CodingKey]
    let usage: KeyUsage
    /// Key → value; keys are unique and scalar (checked before decoding).
    private let index: [String: Node]

    init(mapping: Node.Mapping, codingPath: [any CodingKey], usage: KeyUsage) {
        self.mapping = mapping
        self.codingPath = codingPath
        self.usage = usage
        var index: [String: Node] = [:]
        for (key, value) in mapping { index[key.string ?? ""] = value }
        self.index = index
    }

    var allKeys: [Key] { mapping.compactMap { $0.key.string.flatMap(Key.init(stringValue:)) } }
    func contains(_ key: Key) -> Bool { index[key.stringValue] != nil }

    private func child(_ key: Key) throws -> SingleNodeContainer {
        guard let node = index[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "missing key '\(key.stringValue)'"))
        }
        usage.read(key.stringValue, at: codingPath)
        return SingleNodeContainer(node: node, codingPath: codingPath + [ConfigKey(key.stringValue)], usage: usage)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try child(key).decodeNil() }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try child(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try child(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try child(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try child(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try child(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try child(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try child(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try child(key).decode(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let c = try child(key)
        return try NodeDecoder(node: c.node, codingPath: c.codingPath, usage: usage).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let c = try child(key)
        return try NodeDecoder(node: c.node, codingPath: c.codingPath, usage: usage).unkeyedContainer()
    }
    func superDecoder() throws -> any Decoder {
        NodeDecoder(node: .mapping(mapping), codingPath: codingPath, usage: usage)
    }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        let c = try child(key)
        return NodeDecoder(node: c.node, codingPath: c.codingPath, usage: usage)
    }
}

private struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let nodes: [Node]
    let codingPath: [any CodingKey]
    let usage: KeyUsage
    var currentIndex = 0
    var count: Int? { nodes.count }
    var isAtEnd: Bool { currentIndex >= nodes.count }

    init(nodes: [Node], codingPath: [any CodingKey], usage: KeyUsage) {
        self.nodes = nodes
        self.codingPath = codingPath
        self.usage = usage
    }

    private mutating func next() throws -> SingleNodeContainer {
        guard !isAtEnd else {
            throw DecodingError.configProblem(at: codingPath, "the list is too short.", fix: "add the missing entries")
        }
        defer { currentIndex += 1 }
        return SingleNodeContainer(node: nodes[currentIndex], codingPath: codingPath + [ConfigKey.index(currentIndex)], usage: usage)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if SingleNodeContainer(node: nodes[currentIndex], codingPath: codingPath, usage: usage).decodeNil() {
            currentIndex += 1
            return true
        }
        return false
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }
    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let c = try next()
        return try NodeDecoder(node: c.node, codingPath: c.codingPath, usage: usage).container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let c = try next()
        return try NodeDecoder(node: c.node, codingPath: c.codingPath, usage: usage).unkeyedContainer()
    }
    mutating func superDecoder() throws -> any Decoder {
        let c = try next()
        return NodeDecoder(node: c.node, codingPath: c.codingPath, usage: usage)
    }
}

// MARK: - Locating a coding path in the file

/// Finds the line and column of a coding path in a composed tree: the value's position for scalars, the key's
/// position for mappings and lists (whose own mark is their first entry, on the next line), and the key's position
/// when `onKey` (a key that should not be there). A path that leaves the tree (a missing key) gets the position of
/// the deepest node it reaches.
struct NodeLocator {
    let root: Node

    func mark(for path: [any CodingKey], onKey: Bool = false) -> Mark? {
        var node = root
        var best: Mark? = root.mark
        for (depth, key) in path.enumerated() {
            switch node {
            case .mapping(let mapping):
                guard let pair = mapping.first(where: { $0.key.string == key.stringValue }) else { return best }
                if case .scalar = pair.value, let valueMark = pair.value.mark, !(onKey && depth == path.count - 1) {
                    best = valueMark
                } else {
                    best = pair.key.mark ?? best
                }
                node = pair.value
            case .sequence(let sequence):
                guard let index = key.intValue, index < sequence.count else { return best }
                node = sequence[index]
                best = node.mark ?? best
            case .scalar:
                return best
            }
        }
        return best
    }
}
