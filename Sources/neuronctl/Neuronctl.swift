import ArgumentParser

@main
struct Neuronctl: ParsableCommand {
    static let version = "0.1.0"
    static let configuration = CommandConfiguration(
        commandName: "neuronctl",
        abstract: "Drive a halide-perovskite memristive neuron: pulses through a DAC, capacitor through an ADC, spikes out.",
        discussion: """
            Every command takes --board (default Boards/mock.yaml, a simulated Raspberry Pi neuron HAT whose chips are \
            fed by a physics model of the neuron). Start with:
              neuronctl run                      # Fig. 2c's protocol on the mock board
              neuronctl board validate FILE      # check a board file before wiring anything
            """,
        version: version,
        subcommands: [RunCommand.self, BoardCommand.self, BenchCommand.self, ForwardingBenchCommand.self, ProbeCommand.self,
                      ExperimentCommand.self, SimulateCommand.self, SenseCommand.self, NetworkCommand.self, ReplayCommand.self,
                      SuperviseCommand.self, SafeStateCommand.self, PaperCheckCommand.self])
}

/// `--board FILE`, shared by every command that opens a board.
struct BoardOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Board description file (YAML).", valueName: "file"))
    var board: String = "Boards/mock.yaml"
}
