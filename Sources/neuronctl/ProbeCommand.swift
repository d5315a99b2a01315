import ArgumentParser
import NeuronBoard

/// `neuronctl probe --board FILE`: open every bus, check every chip and GPIO line, print a table.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Open every bus of a board, check every chip (ACK, configuration read-back) and GPIO line.",
        discussion: """
            Prints one row per bus, chip and line. Exits 0 when everything answered, 1 naming each fault and its \
            fix, 2 when the board file itself is broken. Probing never writes a DAC; it configures each ADS1x15 \
            for the board's first channel and converts once. A simulated board is probed through its models.
            """)

    @OptionGroup var boardOptions: BoardOptions

    func run() throws {
        let board: BoardDescription
        do {
            board = try BoardLoader.load(path: boardOptions.board)
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        let report = BoardProbe.run(board)
        print(report.text, terminator: "")
        if !report.passed { throw ExitCode(1) }
    }
}
