import Foundation
import Yams

/// The one reader of the project's YAML files (board, network and sweep files): strict, bounded, and located.
///
/// - Before parsing, it refuses files over `maxBytes` and nesting deeper than `maxDepth` (Yams recurses once per
///   level, so a few thousand `{` would overflow the stack).
/// - After parsing, before any schema runs, it refuses duplicate keys, keys that are not plain scalars, nesting
///   deeper than `maxDepth` and more than `maxNodes` values (aliases expand).
/// - Decoding (`ConfigDocument.decode`) keeps mapping order, reads scalars strictly (booleans are `true`/`false`,
///   whole numbers refuse fractions and leading zeros, numbers refuse quotes and `.inf`), and refuses any key that
///   the schema neither read nor declared with `keys(allowed:)`.
///
/// Every refusal is a `ConfigError` located as `file:line:col: key.path: problem Fix: ...`.
public struct ConfigDecoder: Sendable {
    /// What the files describe, for messages: "board", "network", "sweep".
    public var kind: String
    /// A file to start from, named in fixes, e.g. `Boards/mock.yaml`.
    public var example: String
    /// The largest file accepted, in bytes (UTF-8).
    public var maxBytes: Int
    /// The deepest nesting of mappings and lists accepted; the top level is depth 1.
    public var maxDepth: Int
    /// The most values (scalars, mappings, lists) a file may hold once aliases are expanded.
    public var maxNodes: Int

    public init(kind: String, example: String, maxBytes: Int = 1 << 20, maxDepth: Int = 32, maxNodes: Int = 100_000) {
        self.kind = kind
        self.example = example
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    /// Reads the file at `path` and checks its structure; `path` names it in errors.
    public func load(path: String) throws(ConfigError) -> ConfigDocument {
        let data = try read(path)
        guard data.count <= maxBytes else { throw tooLarge(data.count, source: path) }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(source: path, keyPath: "", problem: "the file is not UTF-8 text.", fix: "save it as UTF-8")
        }
        return try parse(text, source: path)
    }

    /// The bytes of the file at `path`, or an error that says what `path` actually is: missing, a directory, a
    /// device such as `/dev/null`, a socket, unreadable (and why), or empty. Pipes are read (`--board <(...)`).
    func read(_ path: String) throws(ConfigError) -> Data {
        func refuse(_ problem: String, _ fix: String) -> ConfigError {
            ConfigError(source: path, keyPath: "", problem: problem, fix: fix)
        }
        let fm = FileManager.default
        let anyFile = "give the path of a \(kind) file (YAML), e.g. \(example)"
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw refuse("the file does not exist.", "check the path; \(example) is an example of a \(kind) file")
        }
        if isDirectory.boolValue {
            let files = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
            let directory = path.hasSuffix("/") ? path : path + "/"
            let name = (example as NSString).lastPathComponent
            throw refuse("this is a directory, not a \(kind) file.",
                         files.isEmpty ? anyFile
                             : "give the path of one of its files, e.g. \(directory)\(files.contains(name) ? name : files[0]) (it holds \(files.joined(separator: ", ")))")
        }
        // attributesOfItem does not follow symbolic links; the type that matters is the target's.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        switch (try? fm.attributesOfItem(atPath: target))?[.type] as? FileAttributeType {
        case .typeCharacterSpecial?, .typeBlockSpecial?:
            throw refuse("this is a device (\(target)), not a \(kind) file.", anyFile)
        case .typeSocket?:
            throw refuse("this is a socket, not a \(kind) file.", anyFile)
        default:
            break  // a regular file, a pipe, or a link into /proc whose target cannot be resolved: read it
        }
        let data: Data
        do {
            // A file handle, not Data(contentsOf:), which refuses pipes.
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.readToEnd() ?? Data()
        } catch {
            let denied = (error as? CocoaError)?.code == .fileReadNoPermission || !fm.isReadableFile(atPath: path)
            if denied {
                throw refuse("the file exists but this user may not read it (permission denied).",
                             "check its permissions and owner (ls -l \(path)): make it readable, e.g. chmod a+r, or run as a user who may read it")
            }
            throw refuse("the file cannot be read: \(error.localizedDescription)", "check that the file is intact and readable")
        }
        if data.isEmpty {
            throw refuse("the file is empty (0 bytes).", "describe the \(kind), starting from a copy of \(example)")
        }
        return data
    }

    /// Parses `text` and checks its structure; `source` names it in errors (a path, or e.g. `"<stdin>"`).
    public func parse(_ text: String, source: String) throws(ConfigError) -> ConfigDocument {
        let size = text.utf8.count
        guard size <= maxBytes else { throw tooLarge(size, source: source) }
        if let deep = excessiveYAMLNesting(text, limit: maxDepth) {
            throw ConfigError(
                source: source, keyPath: "", line: deep.line, column: deep.column,
                problem: "the YAML is \(deep.problem); no \(kind) file nests like this.",
                fix: "check for unbalanced brackets or a corrupted file")
        }
        let composed: Node?
        do {
            composed = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw yamlError(error, source: source)
        } catch {
            throw ConfigError(source: source, keyPath: "", problem: "the YAML cannot be read: \(error).", fix: "check the syntax")
        }
        guard let root = composed, !root.isNull else {
            throw ConfigError(
                source: source, keyPath: "", line: 1, column: 1, problem: "the file is empty.",
                fix: "describe the \(kind), starting from \(example)")
        }
        let document = ConfigDocument(source: source, root: root, decoder: self)
        var count = 0
        try document.checkStructure(root, path: [], depth: 1, count: &count)
        return document
    }

    /// Parses `text` and decodes a `T` from it.
    public func decode<T: Decodable>(_ type: T.Type, from text: String, source: String) throws(ConfigError) -> T {
        try parse(text, source: source).decode(T.self)
    }

    private func tooLarge(_ size: Int, source: String) -> ConfigError {
        ConfigError(
            source: source, keyPath: "", problem: "the file is \(size) bytes, more than the \(maxBytes) a \(kind) file may have.",
            fix: "check that this is a \(kind) file (\(example) is one)")
    }

    private func yamlError(_ error: YamlError, source: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let where_ = context.map { " (\($0.text))" } ?? ""
            return ConfigError(
                source: source, keyPath: "", line: mark.line, column: mark.column,
                problem: "malformed YAML: \(problem)\(where_).",
                fix: "check the indentation (spaces, not tabs), colons after keys and closing brackets near this line")
        case .reader(let problem, _, _, _):
            return ConfigError(source: source, keyPath: "", problem: "the YAML cannot be read: \(problem).",
                               fix: "save the file as UTF-8 text")
        default:
            return ConfigError(source: source, keyPath: "", problem: "the YAML cannot be read: \(error).",
                               fix: "check the syntax")
        }
    }
}

/// A parsed file whose structure has been checked: decode it into a schema type, and locate further problems
/// (cross-references, limits) found after decoding.
public struct ConfigDocument {
    /// The file, as named in errors.
    public let source: String
    let root: Node
    let decoder: ConfigDecoder

    /// Decodes a `T`. Schema types read it through the standard `Decoder` API and the helpers in
    /// `SchemaHelpers.swift` (`keys(allowed:)`, `required`, `number(_:in:)`, ...).
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws(ConfigError) -> T {
        let usage = KeyUsage()
        let value: T
        do {
            value = try T(from: NodeDecoder(node: root, codingPath: [], usage: usage))
        } catch let error as DecodingError {
            throw convert(error)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(source: source, keyPath: "", problem: "\(error)", fix: "check the file against \(decoder.example)")
        }
        if let unread = firstUnreadKey(usage) { throw unread }
        return value
    }

    /// A problem at `path` (e.g. `["routes", .index(0), "to"]`), located in the file: at the value for scalars, at
    /// the key for mappings and lists or when `onKey`; a path that is not in the file gets the position of the
    /// deepest part that is.
    public func error(at path: [ConfigKey], _ problem: String, fix: String, onKey: Bool = false) -> ConfigError {
        let mark = NodeLocator(root: root).mark(for: path, onKey: onKey)
        return ConfigError(source: source, keyPath: keyPathString(path), line: mark?.line, column: mark?.column,
                           problem: problem, fix: fix)
    }

    /// Where `path` is in the file (as `error(at:)` would locate it), for checks made later on the decoded value.
    public func location(of path: [ConfigKey], onKey: Bool = false) -> ConfigLocation? {
        NodeLocator(root: root).mark(for: path, onKey: onKey).map { ConfigLocation(line: $0.line, column: $0.column) }
    }

    // MARK: Structure

    func checkStructure(_ node: Node, path: [ConfigKey], depth: Int, count: inout Int) throws(ConfigError) {
        count += 1
        guard count <= decoder.maxNodes else {
            throw error(at: path, "the file holds more than \(decoder.maxNodes) values (aliases expanded).",
                        fix: "write the values out without aliases; a \(decoder.kind) file holds a few hundred")
        }
        guard depth <= decoder.maxDepth else {
            throw error(at: path, "this nests \(depth) levels deep, more than the \(decoder.maxDepth) a \(decoder.kind) file may use.",
                        fix: "check the indentation and brackets; see \(decoder.example) for the shape")
        }
        switch node {
        case .scalar:
            return
        case .mapping(let mapping):
            var seen: Set<String> = []
            for (keyNode, value) in mapping {
                guard case .scalar(let scalar) = keyNode, !isNull(scalar) else {
                    let mark = keyNode.mark
                    throw ConfigError(
                        source: source, keyPath: keyPathString(path), line: mark?.line, column: mark?.column,
                        problem: "a key is \(describe(keyNode)), not a plain name.", fix: "use plain kebab-case names as keys")
                }
                let name = scalar.string
                guard seen.insert(name).inserted else {
                    let mark = keyNode.mark
                    throw ConfigError(
                        source: source, keyPath: keyPathString(path + [ConfigKey(name)]), line: mark?.line, column: mark?.column,
                        problem: "the key '\(name)' appears twice.",
                        fix: "keep one '\(name)' entry; keys must be unique within a mapping")
                }
                try checkStructure(value, path: path + [ConfigKey(name)], depth: depth + 1, count: &count)
            }
        case .sequence(let sequence):
            for (index, element) in sequence.enumerated() {
                try checkStructure(element, path: path + [.index(index)], depth: depth + 1, count: &count)
            }
        }
    }

    // MARK: Errors from decoding

    /// The first key, in file order, of a mapping the schema opened but neither read nor declared.
    private func firstUnreadKey(_ usage: KeyUsage) -> ConfigError? {
        var first: (key: Node, path: [any CodingKey], known: Set<String>)?
        for (path, mapping) in usage.mappings {
            let known = usage.known(at: path)
            for (key, _) in mapping {
                guard let name = key.string, !known.contains(name) else { continue }
                if first == nil || (key.mark?.line ?? .max, key.mark?.column ?? .max)
                    < (first!.key.mark?.line ?? .max, first!.key.mark?.column ?? .max) {
                    first = (key, path, known)
                }
                break
            }
        }
        guard let (key, path, known) = first, let name = key.string else { return nil }
        let names = known.sorted()
        let listing = names.joined(separator: ", ")
        let fix = ConfigText.closest(to: name, in: names).map { "did you mean '\($0)'? Keys read here: \(listing)" }
            ?? (names.isEmpty ? "remove it" : "remove it; keys read here: \(listing)")
        return ConfigError(source: source, keyPath: keyPathString(path + [ConfigKey(name)]), line: key.mark?.line,
                           column: key.mark?.column, problem: "unknown key '\(name)'.", fix: fix)
    }

    private func convert(_ error: DecodingError) -> ConfigError {
        var path: [any CodingKey]
        var problem: String
        var fix = "check the file against \(decoder.example)"
        var onKey = false
        switch error {
        case .dataCorrupted(let context):
            path = context.codingPath
            problem = context.debugDescription
            if let inner = context.underlyingError as? ConfigProblem {
                problem = inner.problem
                fix = inner.fix
                onKey = inner.onKey
            }
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
            problem = "the required key '\(key.stringValue)' is missing."
            fix = "add '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            path = context.codingPath
            problem = context.debugDescription
        @unknown default:
            path = []
            problem = "\(error)"
        }
        let mark = NodeLocator(root: root).mark(for: path, onKey: onKey)
        return ConfigError(source: source, keyPath: keyPathString(path), line: mark?.line, column: mark?.column,
                           problem: problem, fix: fix)
    }
}

/// A 1-based line and column (in Unicode scalars) in a file.
public struct ConfigLocation: Hashable, Sendable {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

extension ConfigError {
    /// A problem at `keyPath` of `source`, at `location` when known (e.g. from `ConfigDocument.location(of:)`).
    public init(source: String, keyPath: String, at location: ConfigLocation?, problem: String, fix: String) {
        self.init(source: source, keyPath: keyPath, line: location?.line, column: location?.column, problem: problem, fix: fix)
    }

    /// Several problems as one error, in file order (problems without a line last, otherwise in the given order),
    /// or nil when there are none.
    public static func collected(_ errors: [ConfigError]) -> ConfigError? {
        let ordered = errors.enumerated()
            .sorted { ($0.element.line ?? .max, $0.element.column ?? .max, $0.offset) < ($1.element.line ?? .max, $1.element.column ?? .max, $1.offset) }
            .map(\.element)
        guard var first = ordered.first else { return nil }
        first.more = Array(ordered.dropFirst())
        return first
    }
}

extension Node {
    fileprivate var isNull: Bool {
        if case .scalar(let s) = self { return NeuronConfig.isNull(s) }
        return false
    }
}

/// Where YAML nests deeper than `limit`, or nil. Counted on the text, before Yams parses it (libyaml's events,
/// then a recursive composer, recurse once per level: found by Scripts/fuzz.sh, fuzz-board): flow brackets outside
/// quotes and comments, block indentation (4 columns a level), and `- `/`? ` markers at the start of a line.
func excessiveYAMLNesting(_ text: String, limit: Int) -> (line: Int, column: Int, problem: String)? {
    var flow = 0, line = 1, column = 0
    var quote: UInt8? = nil
    var atLineStart = true, indent = 0, dashes = 0, comment = false
    for c in text.utf8 {
        if c == 0x0A {
            line += 1; column = 0; atLineStart = true; indent = 0; dashes = 0; comment = false
            continue
        }
        // Columns count Unicode scalars, as Yams' marks do: skip UTF-8 continuation bytes.
        if c & 0xC0 != 0x80 { column += 1 }
        if comment { continue }
        if atLineStart {
            if c == 0x20 {
                indent += 1
                if indent > 4 * limit { return (line, column, "indented \(indent) columns deep") }
                continue
            }
            if c == 0x2D || c == 0x3F {
                dashes += 1
                if dashes > limit { return (line, column, "more than \(limit) nested sequence markers") }
                continue
            }
            atLineStart = false
        }
        if let q = quote {
            if c == q { quote = nil }
            continue
        }
        switch c {
        case 0x22, 0x27: quote = c
        case 0x23: comment = true
        case 0x7B, 0x5B:
            flow += 1
            if flow > limit { return (line, column, "brackets nested more than \(limit) deep") }
        case 0x7D, 0x5D: flow = max(0, flow - 1)
        default: break
        }
    }
    return nil
}
