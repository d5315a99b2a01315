import Foundation

/// Board descriptions compiled into the library, so that a program (an installed `neuronctl`, or a package that
/// depends on NeuronBoard) has a board to run without the repository's `Boards/` folder or a working directory
/// inside it. Each text is a byte-for-byte copy of its file under `Boards/`, written by `Scripts/embed-boards.sh`
/// (`BuiltInBoardTexts.swift`); a test fails while a copy differs from its file. Compiled-in text rather than a
/// SwiftPM resource: a resource bundle lives next to the build products, and an installed binary copied elsewhere
/// would not find it.
public enum BuiltInBoards {
    /// The board a command uses when none is named: `mock`, a simulated Raspberry Pi 4 neuron HAT
    /// (`Boards/mock.yaml`).
    public static let defaultName = "mock"

    /// Every built-in board's YAML text by name.
    public static let texts: [String: String] = ["mock": mockYAML]

    /// The names, sorted.
    public static var names: [String] { texts.keys.sorted() }

    /// The YAML text of the built-in board `name`, or nil if there is none.
    public static func text(named name: String) -> String? { texts[name] }
}

/// Where a board description comes from: a file, or a board compiled in (`BuiltInBoards`).
///
/// Commands and APIs that take a board as a `String` (`BoardLoader.load(path:)`, a recording's board file) carry a
/// source as its `reference`: the path for a file, `built-in:NAME` for a built-in board. Which one a reference
/// means is decided by its spelling alone, never by whether a file of that name exists, so a typo in a path cannot
/// silently load a built-in board. The one reference that cannot be spelled as itself, a relative path that starts
/// with `built-in:`, is written `./built-in:…` (`reference` does that).
public enum BoardSource: Sendable, Hashable, CustomStringConvertible {
    /// A board description file (YAML) at this path.
    case file(String)
    /// The built-in board of this name (`BuiltInBoards.texts`).
    case builtIn(String)

    /// What a reference to a built-in board starts with.
    public static let builtInPrefix = "built-in:"

    /// The default board: the built-in `mock`.
    public static let `default` = BoardSource.builtIn(BuiltInBoards.defaultName)

    /// The source a reference string names: `built-in:NAME` is a built-in board (whether or not such a board
    /// exists: loading says so), anything else a file path. The inverse of `reference`.
    public init(reference: String) {
        if reference.hasPrefix(Self.builtInPrefix) {
            self = .builtIn(String(reference.dropFirst(Self.builtInPrefix.count)))
        } else {
            self = .file(reference)
        }
    }

    /// The source a person means by a command-line argument (`neuronctl run --board ARG`): a path when it
    /// contains a `/` or ends in `.yaml` or `.yml`, a reference when it starts with `built-in:`, otherwise the
    /// name of a built-in board. Throws when no built-in board has that name, saying how to name a file instead.
    public init(argument: String) throws(BoardError) {
        if argument.hasPrefix(Self.builtInPrefix) || !Self.looksLikePath(argument) {
            let name = argument.hasPrefix(Self.builtInPrefix) ? String(argument.dropFirst(Self.builtInPrefix.count)) : argument
            guard BuiltInBoards.text(named: name) != nil else { throw Self.unknown(name, as: argument) }
            self = .builtIn(name)
        } else {
            self = .file(argument)
        }
    }

    /// The string that `init(reference:)` reads back as this source.
    public var reference: String {
        switch self {
        case .builtIn(let name): Self.builtInPrefix + name
        case .file(let path): path.hasPrefix(Self.builtInPrefix) ? "./" + path : path
        }
    }

    public var description: String { reference }

    /// The board's YAML text: the file's contents, or the built-in copy.
    public func text() throws(BoardError) -> String {
        switch self {
        case .builtIn(let name):
            guard let text = BuiltInBoards.text(named: name) else { throw Self.unknown(name, as: reference) }
            return text
        case .file(let path):
            do {
                return try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw BoardError(source: path, keyPath: "", problem: "the file cannot be read as UTF-8 text.",
                                 fix: "check the path; `neuronctl board validate FILE` says more")
            }
        }
    }

    private static func looksLikePath(_ argument: String) -> Bool {
        argument.contains("/") || argument.hasSuffix(".yaml") || argument.hasSuffix(".yml")
    }

    private static func unknown(_ name: String, as given: String) -> BoardError {
        BoardError(
            source: given, keyPath: "",
            problem: "there is no built-in board named '\(name)' (built-in boards: \(BuiltInBoards.names.joined(separator: ", "))).",
            fix: "name a built-in board, or give a board file as a path (./\(name) or a name ending in .yaml)")
    }
}
