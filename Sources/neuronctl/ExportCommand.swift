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
        subcommands: [ExportAEDATCommand.self])
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
