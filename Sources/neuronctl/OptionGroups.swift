import ArgumentParser
import Foundation

// Option groups shared by the commands that run neurons (house style §9, argument-parser's `@OptionGroup`): a flag
// declared here has the same name, help text, default and parsing in every command that takes it. `BoardOptions`
// (--board) is in Neuronctl.swift. A group has no title, so its flags stay in the command's OPTIONS list, in the
// order the command declares its groups.

/// `--neuron`: which of the board's neurons a single-neuron command drives (`run`, `sense`).
struct NeuronOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Neuron channel id from the board file (default: the first).", valueName: "id"))
    var neuron: Int?
}

/// `--amplitude`, `--width`, `--frequency`: the pulse (`run`; `sense`, where the coded parameter replaces its
/// flag's value; `simulate population`).
struct PulseOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Pulse amplitude (volts unless a unit is given).", valueName: "V"))
    var amplitude = VoltageArgument(.volts(0.75))

    @Option(help: ArgumentHelp("Pulse width (milliseconds unless a unit is given).", valueName: "ms"))
    var width = DurationArgument<Milliseconds>(.milliseconds(5))

    @Option(help: ArgumentHelp("Pulse frequency (Hz).", valueName: "Hz"))
    var frequency = FrequencyArgument(.hertz(33))
}

/// `--sample-rate`, `--seed`, `--model`: how a run on a board samples its neurons, and what the simulated board's
/// neurons are (`run`, `sense`, `network`). The rate is checked against the board's limits once the board is loaded.
struct SamplingOptions: ParsableArguments {
    @Option(name: .customLong("sample-rate"), help: ArgumentHelp("Membrane sampling rate of every neuron (Hz).", valueName: "Hz"))
    var sampleRate = FrequencyArgument(.hertz(10_000))

    @Option(help: ArgumentHelp("Random seed of the simulated neurons (default: the board file's).", valueName: "n"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("Neuron physics of the simulated board: device, paper or deterministic (default: the board file's).", valueName: "model"))
    var model: ModelOption?
}

/// `--record`, `--json`: what a run on a board keeps for `neuronctl replay` and how it prints its summary (`run`,
/// `sense`, `network`).
struct ReportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Save board, protocol, ADC trace, pulses and spikes to this recording (JSON) for `neuronctl replay`.", valueName: "file"))
    var record: String?

    @Flag(help: "Print the summary as JSON instead of text.")
    var json = false

    func validate() throws {
        if let record, record.isEmpty { throw ValidationError("--record needs a file name, e.g. --record run.json") }
    }

    /// Refuses a recording path that cannot be written before any bus is touched, so a long run does not lose its
    /// recording to a typo at the end. Leaves nothing behind.
    func checkRecordPath() throws {
        guard let record else { return }
        let probe = record + ".partial"
        guard FileManager.default.createFile(atPath: probe, contents: nil) else {
            printError("--record \(record): cannot write there. Fix: choose a path in an existing, writable directory.")
            throw ExitCode(2)
        }
        try? FileManager.default.removeItem(atPath: probe)
    }
}
