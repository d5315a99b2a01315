import ArgumentParser
import Foundation
import NeuronControl
import NeuronExperiments
import NeuronSession
import NeuronHAL

/// `neuronctl paper-check`: the paper's claims about one neuron (`PaperCheck`), measured on a board.
struct PaperCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paper-check",
        abstract: "Measure the paper's claims about one neuron on a board; one row per claim, exit 1 if any fails.",
        discussion: """
            Runs the trains each claim needs through the whole board path (board file, drivers, buses, the loop, the \
            detector): first spikes from rest (Fig. 2c), firing against frequency, amplitude and width (Fig. 4, S10), \
            bias times (Fig. S8a), spike energies, build-up before firing and intervals between spikes. Each row gives \
            the measured value with a 95 % interval (Wilson for proportions) and PASS or FAIL. On a real chip this is \
            the first characterisation to run. Progress goes to stderr; release builds take seconds on the mock board.
            """)

    @OptionGroup var boardOptions: BoardOptions

    @Option(help: ArgumentHelp("Neuron physics of a simulated board: device or paper (default: the board file's).", valueName: "model"))
    var model: ModelOption?

    @Option(help: ArgumentHelp("Base random seed; train i uses seed + i.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Trains from rest for the first-spike claims.", valueName: "n"))
    var trains = 200

    @Option(help: ArgumentHelp("Pulses per train for the firing probabilities.", valueName: "n"))
    var pulses = 300

    @Flag(help: "Print the rows as JSON.")
    var json = false

    @Flag(help: "No progress lines on stderr.")
    var quiet = false

    func validate() throws {
        guard model != .deterministic else { throw ValidationError("--model must be device or paper (got deterministic)") }
        guard (1...100_000).contains(trains) else { throw ValidationError("--trains must be between 1 and 100000 (got \(trains))") }
        guard (10...100_000).contains(pulses) else { throw ValidationError("--pulses must be between 10 and 100000 (got \(pulses))") }
    }

    func run() throws {
        installStopHandlers()
        let runner = Session.trainRunner(board: boardOptions.board, tool: "neuronctl \(Neuronctl.version)", model: model?.kind,
                                         stop: processStop)
        var configuration = PaperCheck.Configuration()
        configuration.trains = trains
        configuration.pulses = pulses
        configuration.seed = seed
        let quiet = quiet
        let rows: [PaperClaimRow]
        do {
            rows = try PaperCheck.run(configuration, runner: runner) { done, total, label in
                if !quiet { FileHandle.standardError.write(Data("paper-check [\(done)/\(total)] \(label)\n".utf8)) }
            }
        } catch let e as SessionError {
            printError(e.description)
            throw ExitCode(e.exitCode)
        }
        print(json ? PaperCheck.json(rows) : PaperCheck.table(rows), terminator: "")
        if rows.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }
}
