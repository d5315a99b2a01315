public import NeuronConfig
import NeuronHAL

/// Loads board files: parses the YAML, decodes the schema and validates every cross-reference and limit before
/// anything touches a bus. Errors name the file, the key path, the line and column, and the fix.
public enum BoardLoader {
    /// The mock board's file, relative to the repository root (the default board itself is compiled in:
    /// `BoardSource.default`).
    public static let defaultBoardPath = "Boards/mock.yaml"

    /// The decoder of board files (shared with network and sweep files; only the wording of its fixes differs).
    static let decoder = ConfigDecoder(kind: "board", example: defaultBoardPath)

    /// Reads and validates the board at `path`: a board description file, or a built-in board given by its
    /// reference (`built-in:mock`; `BoardSource` says how references are spelled).
    public static func load(path: String) throws(BoardError) -> BoardDescription {
        if case .builtIn = BoardSource(reference: path) { return try load(BoardSource(reference: path)) }
        return try validated(decoder.load(path: path))
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
        try validated(decoder.parse(yaml, source: source))
    }

    private static func validated(_ document: ConfigDocument) throws(BoardError) -> BoardDescription {
        var board = try document.decode(BoardDescription.self)
        board.source = document.source
        let issues = BoardValidator(board: board).validate()
        if let error = ConfigError.collected(issues.map { document.error(at: $0.path.map { ConfigKey($0) }, $0.problem, fix: $0.fix) }) {
            throw error
        }
        return board
    }
}
