import ArgumentParser
import Foundation
import NeuronControl
import NeuronNetwork
import NeuronSinks

/// `neuronctl export`: a run's records in the field's formats.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's spikes in another tool's format.",
        subcommands: [ExportAEDATCommand.self, ExportNWBCommand.self])
}

struct ExportAEDATCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aedat",
        abstract: "Convert a spike record or a recording to a jAER AEDAT 2.0 file.",
        discussion: """
            The events are those --aedat writes during a run: address = the neuron, timestamp = the threshold \
            crossing in microseconds. tonic, pyNAVIS and jAER read the file.
            """)

    @Argument(help: ArgumentHelp("A run's spikes.csv, its output directory, or a recording written with --record.", valueName: "source"))
    var source: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The AEDAT file to write (default: spikes.aedat next to the source).", valueName: "file"))
    var output: String?

    func run() throws {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory)
        let path = isDirectory.boolValue ? source + "/spikes.csv" : source
        guard exists else {
            printError("\(source): no such file or directory. Fix: give a run's spikes.csv, its output directory or a recording.")
            throw ExitCode(2)
        }
        let events = try Self.events(path)
        let out = output ?? URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("spikes.aedat").path
        let bytes = AEDAT2.file(events, created: Date(), comments: ["neuronhil: spike events exported from \(path) by neuronctl \(Neuronctl.version)"])
        try write(Data(bytes), to: out, flag: "--output")
        print("\(events.count) events written to \(out)")
    }

    /// The events of a spike record (CSV) or a recording (JSON, told apart by its first byte).
    static func events(_ path: String) throws -> [JAERPacket.Event] {
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("\(path): cannot read. Fix: check the path and its permissions.")
            throw ExitCode(2)
        }
        do {
            if data.first == UInt8(ascii: "{") {
                let r = try Recording.load(path: path)
                return r.spikes.map { AEDAT2.event(channel: $0.channel, crossingNanoseconds: $0.crossingNs) }
            }
            let record = try RecordFile.read(String(decoding: data, as: UTF8.self), source: path)
            return try AEDAT2.events(spikeRecord: record, source: path)
        } catch {
            printError(String(describing: error))
            throw ExitCode(2)
        }
    }
}

struct ExportNWBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nwb",
        abstract: "Write a run's output directory as an NWB file (Neurodata Without Borders).",
        discussion: """
            One unit per neuron with its spike times, the capacitor traces and the stimulus as time series in \
            volts, the pulses as time intervals, the board and protocol as metadata (docs/formats.md). Runs \
            Scripts/formats/export_nwb.py with pynwb in .venv-formats (Scripts/setup-formats.sh creates it).
            """)

    @Argument(help: ArgumentHelp("A run's output directory (trace, spikes.csv and summary.json).", valueName: "run"))
    var directory: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The NWB file to write (default: <run>/run.nwb).", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Who ran the experiment, as 'Last, First' (repeatable).", valueName: "name"))
    var experimenter: [String] = []

    @Option(help: ArgumentHelp("The institution where the run was made.", valueName: "name"))
    var institution: String?

    func run() throws {
        guard FileManager.default.fileExists(atPath: directory + "/summary.json") else {
            printError("\(directory): no summary.json. Fix: give the --output directory of a finished run.")
            throw ExitCode(2)
        }
        guard let root = PlotTool.repositoryRoot() else {
            printError("Scripts/formats/export_nwb.py not found. Fix: run neuronctl from the NeuronHIL checkout.")
            throw ExitCode(2)
        }
        let venv = root.appendingPathComponent(".venv-formats/bin/python").path
        let python = ProcessInfo.processInfo.environment["NEURONHIL_FORMATS_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? venv
        guard FileManager.default.isExecutableFile(atPath: python) else {
            printError("pynwb is not set up. Fix: run \(root.path)/Scripts/setup-formats.sh once (it creates .venv-formats).")
            throw ExitCode(2)
        }
        var arguments = [root.appendingPathComponent("Scripts/formats/export_nwb.py").path, directory]
        if let output { arguments.append(output) }
        for name in experimenter { arguments += ["--experimenter", name] }
        if let institution { arguments += ["--institution", institution] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        do { try process.run() } catch {
            printError("cannot run \(python) (\(error.localizedDescription)). Fix: rerun Scripts/setup-formats.sh")
            throw ExitCode(2)
        }
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            printError("the NWB export failed (\(python) exit \(process.terminationStatus), see above).")
            throw ExitCode(2)
        }
    }
}
