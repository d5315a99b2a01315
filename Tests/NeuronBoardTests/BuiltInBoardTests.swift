import Foundation
import NeuronBoard
import Testing

@Suite("Built-in boards")
struct BuiltInBoardTests {
    /// The compiled-in copy is the file, byte for byte. Fix when this fails: Scripts/embed-boards.sh.
    @Test func mockIsACopyOfBoardsMockYAML() throws {
        let embedded = try #require(BuiltInBoards.text(named: "mock"))
        #expect(embedded == mockText, "Sources/NeuronBoard/BuiltInBoardTexts.swift differs from Boards/mock.yaml: run Scripts/embed-boards.sh")
        #expect(BuiltInBoards.names == ["mock"] && BuiltInBoards.defaultName == "mock")
    }

    @Test func theDefaultLoadsWithoutAnyFile() throws {
        let board = try BoardLoader.load(BoardSource.default)
        #expect(board.board.name == "mock" && board.board.simulated)
        #expect(board.source == "built-in:mock")
        let byPath = try BoardLoader.load(path: "built-in:mock")
        #expect(byPath.source == board.source && byPath.buses.map(\.name) == board.buses.map(\.name))
        #expect(try BoardLoader.load(path: mockPath).buses.map(\.name) == board.buses.map(\.name))
    }

    @Test(arguments: [
        ("mock", BoardSource.builtIn("mock")),
        ("built-in:mock", .builtIn("mock")),
        ("Boards/mock.yaml", .file("Boards/mock.yaml")),
        ("mock.yaml", .file("mock.yaml")),
        ("board.yml", .file("board.yml")),
        ("./mock", .file("./mock")),
        ("/etc/neuronhil/rpi4", .file("/etc/neuronhil/rpi4")),
    ])
    func anArgumentIsANameOrAPathBySpelling(argument: String, expected: BoardSource) throws {
        #expect(try BoardSource(argument: argument) == expected)
        #expect(BoardSource(reference: expected.reference) == expected)
    }

    @Test func anUnknownNameSaysHowToNameAFile() {
        #expect {
            try BoardSource(argument: "rpi4")
        } throws: { error in
            guard let error = error as? BoardError else { return false }
            return error.problem.contains("no built-in board named 'rpi4'") && error.problem.contains("mock")
                && error.fix.contains("./rpi4")
        }
        #expect(throws: BoardError.self) { try BoardLoader.load(path: "built-in:rpi4") }
    }

    /// A relative path that happens to start with the prefix stays a file through its reference.
    @Test func aFileNamedLikeAReferenceStaysAFile() {
        let odd = BoardSource.file("built-in:mock")
        #expect(odd.reference == "./built-in:mock")
        #expect(BoardSource(reference: odd.reference) == .file("./built-in:mock"))
    }
}
