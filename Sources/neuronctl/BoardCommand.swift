import ArgumentParser
import NeuronBoard

struct BoardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board", abstract: "Work with board description files.", subcommands: [Validate.self])

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load and check a board file without touching any bus; print what it describes.")

        @Argument(help: ArgumentHelp("Board description file (YAML).", valueName: "file"))
        var file: String

        func run() throws {
            do {
                let board = try BoardLoader.load(path: file)
                print(board.summary)
                print("ok: \(file) is valid")
            } catch {
                printError(error.description)
                throw ExitCode(2)
            }
        }
    }
}
