import ArgumentParser
import NeuronBoard

@main
struct Neuronctl: ParsableCommand {
    static let version = "0.1.0"
    static let configuration = CommandConfiguration(
        commandName: "neuronctl",
        abstract: "Drive a halide-perovskite memristive neuron: pulses through a DAC, capacitor through an ADC, spikes out.",
        discussion: """
            Every command takes --board (default: the built-in mock board, a simulated Raspberry Pi neuron HAT whose \
            chips are fed by a physics model of the neuron). Start with:
              neuronctl run                        # Fig. 2c's protocol on the mock board
              neuronctl board show mock > my.yaml  # a start for your own board file
              neuronctl board validate my.yaml     # check a board file before wiring anything
            """,
        version: version,
        subcommands: [RunCommand.self, BoardCommand.self, BenchCommand.self, ForwardingBenchCommand.self, ProbeCommand.self,
                      ExperimentCommand.self, SimulateCommand.self, SenseCommand.self, NetworkCommand.self, ReplayCommand.self,
                      SuperviseCommand.self, SafeStateCommand.self, PaperCheckCommand.self, MergeCommand.self,
                      ExportCommand.self])
}

/// `--board NAME|FILE`, shared by every command that opens a board.
///
/// `board` is a board reference (`BoardSource.reference`): `built-in:mock` by default and for `--board mock`, the
/// path as given for `--board FILE`. Commands hand it to `BoardLoader.load(path:)` (or anything that takes a board
/// path), which loads either. Which one an argument means follows `BoardSource(argument:)`: a path contains a `/`
/// or ends in `.yaml`/`.yml`, anything else names a built-in board.
struct BoardOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "A built-in board's name (\(BuiltInBoards.names.joined(separator: ", ")); default \(BuiltInBoards.defaultName)) or a board description file (YAML; a path with a / or ending in .yaml).",
            valueName: "name|file"),
        transform: BoardOptions.reference(forArgument:))
    var board: String = BoardSource.default.reference

    static func reference(forArgument argument: String) throws -> String {
        do {
            return try BoardSource(argument: argument).reference
        } catch {
            throw ValidationError("\(error.problem) Fix: \(error.fix).")
        }
    }
}
