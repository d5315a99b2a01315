import ArgumentParser
import NeuronBoard

struct BoardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board", abstract: "Work with board description files.", subcommands: [Validate.self, Show.self])

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load and check a board file without touching any bus; print what it describes.")

        @Argument(help: ArgumentHelp("Board description file (YAML), or a built-in board's name.", valueName: "file"))
        var file: String

        func run() throws {
            do {
                let board = try BoardLoader.load(BoardSource(argument: file))
                print(board.summary)
                print("ok: \(file) is valid")
            } catch {
                printError(error.description)
                throw ExitCode(2)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a built-in board's description file, as a start for one's own.",
            discussion: "For example: neuronctl board show mock > my-board.yaml, edit it, then neuronctl board validate my-board.yaml.")

        @Argument(help: ArgumentHelp("The built-in board (\(BuiltInBoards.names.joined(separator: ", "))).", valueName: "name"))
        var name: String = BuiltInBoards.defaultName

        func run() throws {
            guard let text = BuiltInBoards.text(named: name) else {
                printError("there is no built-in board named '\(name)' (built-in boards: \(BuiltInBoards.names.joined(separator: ", "))). A board file is already text: print it with cat.")
                throw ExitCode(2)
            }
            print(text, terminator: "")
        }
    }
}
