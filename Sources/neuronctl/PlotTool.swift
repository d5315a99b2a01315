import Foundation
import NeuronHAL

/// Finds and runs `Scripts/plot.py` (matplotlib, in the `.venv-plot` virtual environment that
/// `Scripts/setup-plotting.sh` creates). Plots are made from the CSV files, so they can always be remade later with
/// `Scripts/plot.py FILE.csv`.
enum PlotTool {
    /// The repository root holding `Scripts/plot.py`: the working directory or one above it, or one above the
    /// executable (a build under `.build*/`).
    static func repositoryRoot() -> URL? {
        let fm = FileManager.default
        var starts = [URL(fileURLWithPath: fm.currentDirectoryPath)]
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath() { starts.append(exe.deletingLastPathComponent()) }
        for start in starts {
            var dir = start.standardizedFileURL
            while true {
                if fm.fileExists(atPath: dir.appendingPathComponent("Scripts/plot.py").path) { return dir }
                let up = dir.deletingLastPathComponent()
                if up.path == dir.path { break }
                dir = up
            }
        }
        return nil
    }

    /// The Python to run the plot script with: $NEURONHIL_PLOT_PYTHON, or `<root>/.venv-plot/bin/python`.
    static func python(root: URL) -> String? {
        if let p = ProcessInfo.processInfo.environment["NEURONHIL_PLOT_PYTHON"], !p.isEmpty { return p }
        let venv = root.appendingPathComponent(".venv-plot/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }

    /// Plots `csvFiles` (each becomes a PNG next to it). Prints what it made, or how to get plots; never fails
    /// the command: the data files are already written.
    static func plot(_ csvFiles: [String]) {
        guard let root = repositoryRoot() else {
            printNote("plots skipped: Scripts/plot.py not found (run neuronctl from the NeuronHIL checkout). The CSV files are written; plot them later with Scripts/plot.py \(csvFiles.joined(separator: " "))")
            return
        }
        let script = root.appendingPathComponent("Scripts/plot.py").path
        guard let python = python(root: root) else {
            printNote("plots skipped: matplotlib is not set up. Run \(root.path)/Scripts/setup-plotting.sh once (it creates .venv-plot), then \(script) \(csvFiles.joined(separator: " ")), or rerun this command")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + csvFiles
        let errors = Pipe()
        let output = Pipe()
        process.standardError = errors
        process.standardOutput = output
        do {
            try process.run()
            let out = output.fileHandleForReading.readDataToEndOfFile()
            let err = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let made = String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
            if process.terminationStatus == 0 {
                if !made.isEmpty { print("plots               " + made.joined(separator: ", ")) }
            } else {
                printNote("plotting failed (\(python) \(script), exit \(process.terminationStatus)); the CSV files are written.\n" + String(decoding: err, as: UTF8.self))
            }
        } catch {
            printNote("plotting failed: cannot run \(python) (\(error.localizedDescription)). Fix: rerun Scripts/setup-plotting.sh")
        }
    }
}

/// Progress of a long run on stderr: a line about every 5 % (and the last), with the time so far and left.
final class ProgressReporter {
    private let quiet: Bool
    private let start = ContinuousClock.now
    private var lastShown = -1
    init(quiet: Bool) { self.quiet = quiet }
    func report(_ done: Int, _ total: Int, _ label: String) {
        guard !quiet, total > 1 else { return }
        let step = max(1, total / 20)
        guard done == total || done / step != lastShown / step else { return }
        lastShown = done
        let elapsed = (ContinuousClock.now - start).seconds
        let left = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let width = String(total).count
        let count = String(repeating: " ", count: max(0, width - String(done).count)) + String(done)
        FileHandle.standardError.write(Data("[\(count)/\(total)] \(label)  (\(formatted(elapsed, digits: 1)) s, ~\(formatted(left, digits: 1)) s left)\n".utf8))
    }
}
