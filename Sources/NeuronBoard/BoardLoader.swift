import Foundation
import NeuronHAL
import Yams

/// Loads board files: parses the YAML, decodes the schema and validates every cross-reference and limit before
/// anything touches a bus. Errors name the file, the key path, the line and column, and the fix.
public enum BoardLoader {
    /// The mock board's file, relative to the repository root (the default board itself is compiled in:
    /// `BoardSource.default`).
    public static let defaultBoardPath = "Boards/mock.yaml"

    /// Reads and validates the board at `path`: a board description file, or a built-in board given by its
    /// reference (`built-in:mock`; `BoardSource` says how references are spelled).
    public static func load(path: String) throws(BoardError) -> BoardDescription {
        if case .builtIn = BoardSource(reference: path) { return try load(BoardSource(reference: path)) }
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw BoardError(
                source: path, keyPath: "",
                problem: exists ? "the file cannot be read." : "the file does not exist.",
                fix: exists ? "check its permissions" : "check the path; the default board is \(defaultBoardPath)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw BoardError(source: path, keyPath: "", problem: "the file is not UTF-8 text.", fix: "save it as UTF-8")
        }
        return try parse(yaml: text, source: path)
    }

    /// Reads and validates the board `source` names (a built-in board's text has its reference as its source).
    public static func load(_ source: BoardSource) throws(BoardError) -> BoardDescription {
        switch source {
        case .builtIn: try parse(yaml: source.text(), source: source.reference)
        case .file: try load(path: source.reference)
        }
    }

    /// Parses and validates board YAML; `source` names it in errors (a path, or e.g. `"<stdin>"`).
    public static func parse(yaml: String, source: String) throws(BoardError) -> BoardDescription {
        if let deep = excessiveYAMLNesting(yaml) {
            throw BoardError(source: source, keyPath: "", line: deep.line, problem: "the YAML is \(deep.problem); no board file nests like this.",
                             fix: "check for unbalanced brackets or a corrupted file")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw BoardError(
                    source: source, keyPath: "", line: 1, column: 1, problem: "the file is empty.",
                    fix: "describe the board, starting from Boards/mock.yaml")
            }
            root = node
        } catch let error as BoardError {
            throw error
        } catch let error as YamlError {
            throw yamlError(error, source: source)
        } catch {
            throw BoardError(source: source, keyPath: "", problem: "the YAML cannot be read: \(error).", fix: "check the syntax")
        }
        if case .scalar(let s) = root, isNull(s) {
            throw BoardError(
                source: source, keyPath: "", line: 1, column: 1, problem: "the file is empty.",
                fix: "describe the board, starting from Boards/mock.yaml")
        }
        let locator = NodeLocator(root: root)
        var board: BoardDescription
        do {
            board = try BoardDescription(from: NodeDecoder(node: root, codingPath: []))
        } catch let error as DecodingError {
            throw convert(error, source: source, locator: locator)
        } catch {
            throw BoardError(source: source, keyPath: "", problem: "\(error)", fix: "check the file against Boards/mock.yaml")
        }
        board.source = source
        let issues = BoardValidator(board: board).validate()
        guard issues.isEmpty else {
            let errors = issues.map { issue in
                let mark = locator.mark(for: issue.path.map { AnyKey($0) })
                return BoardError(source: source, keyPath: issue.path.joined(separator: "."), line: mark?.line,
                                  column: mark?.column, problem: issue.problem, fix: issue.fix)
            }
            .enumerated()
            .sorted { ($0.element.line ?? Int.max, $0.offset) < ($1.element.line ?? Int.max, $1.offset) }
            .map(\.element)
            var first = errors[0]
            first.more = Array(errors.dropFirst())
            throw first
        }
        return board
    }

    private static func yamlError(_ error: YamlError, source: String) -> BoardError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let where_ = context.map { " (\($0.text))" } ?? ""
            return BoardError(
                source: source, keyPath: "", line: mark.line, column: mark.column,
                problem: "malformed YAML: \(problem)\(where_).",
                fix: "check the indentation (spaces, not tabs), colons after keys and closing brackets near this line")
        case .reader(let problem, _, _, _):
            return BoardError(source: source, keyPath: "", problem: "the YAML cannot be read: \(problem).",
                              fix: "save the file as UTF-8 text")
        default:
            return BoardError(source: source, keyPath: "", problem: "the YAML cannot be read: \(error).",
                              fix: "check the syntax")
        }
    }

    private static func convert(_ error: DecodingError, source: String, locator: NodeLocator) -> BoardError {
        var path: [any CodingKey]
        var problem: String
        var fix = "check the file against Boards/mock.yaml"
        var knownMark: (line: Int, column: Int?)?
        switch error {
        case .dataCorrupted(let context):
            path = context.codingPath
            problem = context.debugDescription
            if let inner = context.underlyingError as? BoardError {
                problem = inner.problem
                fix = inner.fix
                if let line = inner.line { knownMark = (line, inner.column) }
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
        let mark = locator.mark(for: path).map { (line: $0.line, column: Optional($0.column)) }
        let at = knownMark ?? mark
        return BoardError(source: source, keyPath: keyPathString(path), line: at?.line, column: at?.column ?? nil,
                          problem: problem, fix: fix)
    }
}
/// Where YAML nests deeper than a human-written file ever does, or nil. Yams (libyaml's events, then a recursive
/// composer) recurses once per level, so a few thousand `{` overflow the stack: found by Scripts/fuzz.sh
/// (fuzz-board). Counted here before parsing: flow brackets outside quotes and comments, block indentation, and
/// `- ` sequence markers at the start of a line. Every YAML loader of the project calls it (board and sweep files).
public func excessiveYAMLNesting(_ text: String, limit: Int = 64) -> (line: Int, problem: String)? {
    var flow = 0, line = 1
    var quote: UInt8? = nil
    var atLineStart = true, indent = 0, dashes = 0, comment = false
    for c in text.utf8 {
        if c == 0x0A {
            line += 1; atLineStart = true; indent = 0; dashes = 0; comment = false
            continue
        }
        if comment { continue }
        if atLineStart {
            if c == 0x20 { indent += 1; if indent > 4 * limit { return (line, "indented \(indent) columns deep") }; continue }
            if c == 0x2D || c == 0x3F { dashes += 1; if dashes > limit { return (line, "more than \(limit) nested sequence markers") }; continue }
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
            if flow > limit { return (line, "brackets nested more than \(limit) deep") }
        case 0x7D, 0x5D: flow = max(0, flow - 1)
        default: break
        }
    }
    return nil
}
