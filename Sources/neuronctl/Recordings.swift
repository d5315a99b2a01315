import ArgumentParser
import NeuronNetwork

// `--record FILE` of `run`, `sense` and `network`: a run saved in `Recording`'s format
// (Sources/NeuronNetwork/Recording.swift), one format for all three, so that `neuronctl replay FILE` checks them alike.

/// Writes `recording` to `path` (`--record`), whole to a temporary name and renamed, so a reader never sees half a
/// file and an earlier recording at `path` stays whole until the new one is complete. Errors are printed; throws
/// `ExitCode(2)`.
func write(_ recording: Recording, to path: String) throws {
    let text: String
    do { text = String(decoding: try recording.encoded(), as: UTF8.self) + "\n" } catch {
        printError("--record \(path): cannot encode the recording (\(error)). Fix: report this as a bug.")
        throw ExitCode(2)
    }
    try write(text, to: path, flag: "--record")
}
