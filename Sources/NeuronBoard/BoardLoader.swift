public import NeuronConfig
import NeuronHAL

/// Loads board files: parses the YAML, decodes the schema and validates every cross-reference and limit before
/// anything touches a bus. Errors name the file, the key path, the line and column, and the fix.
public enum BoardLoader {
    /// The default board, relative to the repository root.
    public static let defaultBoardPath = "Boards/mock.yaml"

    /// The decoder of board files (shared with network and sweep files; only the wording of its fixes differs).
    static let decoder = ConfigDecoder(kind: "board", example: defaultBoardPath)

    /// Reads and validates the board file at `path`.
    public static func load(path: String) throws(BoardError) -> BoardDescription {
        try validated(decoder.load(path: path))
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
