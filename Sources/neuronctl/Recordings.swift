import ArgumentParser
import NeuronControl
import NeuronNetwork

// `--record FILE` of `run`, `sense` and `network`: a run saved in `Recording`'s format
// (Sources/NeuronNetwork/Recording.swift), one format for all three, so that `neuronctl replay FILE` checks them alike.

extension RunCommand {
    /// Writes `--record` once the run is over, however it ended (completed, stopped, failed): everything sampled up
    /// to the end is in it. The trace and spike files were streamed during the run and summary.json is written
    /// before this, so a recording that cannot be written costs nothing else. False when it could not be written
    /// (said on stderr); true when written or not asked for.
    func writeRecording(session: RunSession, result: RunResult) -> Bool {
        guard let path = reporting.record, let membrane = session.membraneRecorder else { return true }
        if membrane.overflow > 0 || membrane.count != result.trace.count {
            printError("--record \(path): \(membrane.count + membrane.overflow) membrane values for \(result.trace.count) trace samples; the recording keeps the first \(min(membrane.count, result.trace.count)).")
        }
        let keys: Set = ["neuron", "amplitude_v", "width_ms", "frequency_hz", "pulses", "sample_rate_hz"]
        var info = Dictionary(uniqueKeysWithValues: session.metadata("recording").filter { keys.contains($0.0) })
        info["command"] = "run"
        info["termination"] = LegacyRunSummary.describe(result.termination)
        let recording = Recording(tool: "neuronctl \(Neuronctl.version)", board: .init(path: session.boardPath, runtime: session.runtime),
                                  protocolInfo: info, run: result, membrane: membrane.values)
        do {
            try write(recording, to: path)
            return true
        } catch {
            return false
        }
    }
}

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
