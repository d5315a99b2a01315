import Foundation
import NeuronBoard
import NeuronNetwork
import NeuronSession
import Testing

/// A recording made on the built-in board keeps that board's text, as one made from a file keeps the file's.
@Test func aRecordingOfTheBuiltInBoardKeepsItsText() throws {
    let runtime = try BoardRuntime(try BoardLoader.load(BoardSource.default))
    let builtIn = Recording.Board(path: BoardSource.default.reference, runtime: runtime)
    #expect(builtIn.file == "built-in:mock" && builtIn.name == "mock")
    #expect(builtIn.yaml == BuiltInBoards.text(named: "mock"))
    let file = Recording.Board(path: repositoryRoot + "/Boards/mock.yaml", runtime: runtime)
    #expect(file.yaml == builtIn.yaml)
}
