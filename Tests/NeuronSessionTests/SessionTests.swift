import Foundation
import NeuronBoard
import NeuronControl
import NeuronHAL
import NeuronNetwork
import NeuronSession
import Testing

// Sessions in process: a plan in, an outcome and files out, as `neuronctl run`, `sense` and `network` use them.

let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/NeuronSessionTests/SessionTests.swift
    return parts.joined(separator: "/")
}()
let mockBoard = repositoryRoot + "/Boards/mock.yaml"
let twoNeuronBoard = repositoryRoot + "/Boards/mock-two-neurons.yaml"
let twoNeuronLoop = repositoryRoot + "/Boards/networks/two-neuron-loop.yaml"

/// A fresh temporary directory, removed when the test ends.
final class TempDir {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("neuronhil-session-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    var files: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}

/// Data rows of a CSV file written with a `# key: value` header.
func rows(_ path: String) throws -> [Substring] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst().map { $0 }
}

func runPlan(_ train: PulseTrain = .fig2c(count: 30), board: String = mockBoard, seed: UInt64 = 3, out: TempDir) -> SessionPlan {
    var plan = SessionPlan(command: "run", tool: "test", board: board, channels: [ChannelPlan(stimulus: .train(train))])
    plan.simulation.seed = seed
    plan.outputs.directory = out.path
    return plan
}

@Suite struct SessionTests {
    @Test("run: files, the summary's schema, the DAC read back at 0 V")
    func run() throws {
        let out = try TempDir()
        let outcome = try Session(runPlan(out: out)).run()
        #expect(outcome.exitStatus == 0)
        #expect(out.files == ["spikes.csv", "summary.json", "trace.csv"])
        let s = try SessionSummary.decode(Data(contentsOf: URL(fileURLWithPath: out.file("summary.json"))))
        #expect(s.schema == "neuronhil-summary/1" && s.command == "run" && s.board.simulated && s.board.seed == 3)
        #expect(s.result.channels.count == 1 && s.result.channels[0].pulsesApplied == 30)
        #expect(s.result.termination == "completed")
        #expect(s.dacReadBack.count == 1 && s.dacReadBack[0].neuron == 0 && s.dacReadBack[0].volts == 0 && s.dacReadBack[0].poweredDown == true)
        #expect(try rows(out.file("spikes.csv")).count == s.result.channels[0].spikes)
        #expect(try rows(out.file("trace.csv")).count == s.result.samples)
        #expect(s.protocolInfo["pulses"] == "30" && s.protocolInfo["seed"] == "3")
    }

    @Test("the same plan twice gives the same bytes")
    func deterministic() throws {
        let a = try TempDir(), b = try TempDir()
        _ = try Session(runPlan(out: a)).run()
        _ = try Session(runPlan(out: b)).run()
        for f in ["spikes.csv", "trace.csv"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: a.file(f))) == Data(contentsOf: URL(fileURLWithPath: b.file(f))))
        }
    }

    @Test("network: one trace file per neuron, JSON lines, the same summary schema with two channels")
    func network() throws {
        let out = try TempDir()
        var plan = SessionPlan(command: "network", tool: "test", board: twoNeuronBoard, channels: [])
        plan.network = try NetworkFile.load(path: twoNeuronLoop)
        plan.duration = .seconds(1)
        plan.outputs.directory = out.path
        plan.outputs.jsonLines = out.file("spikes.jsonl")
        let outcome = try Session(plan).run()
        #expect(outcome.exitStatus == 0)
        #expect(out.files == ["spikes.csv", "spikes.jsonl", "summary.json", "trace-neuron0.csv", "trace-neuron1.csv"])
        let r = outcome.summary.result
        #expect(r.channels.map(\.neuron) == [0, 1] && r.channels.allSatisfy { $0.spikes > 0 })
        let spikes = r.channels.reduce(0) { $0 + $1.spikes }
        #expect(try rows(out.file("spikes.csv")).count == spikes)
        let jsonl = try String(contentsOfFile: out.file("spikes.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(jsonl.count == 2 * spikes)  // a crossing and a complete event per spike
        #expect(try rows(out.file("trace-neuron1.csv")).count == r.samples)
        #expect(outcome.summary.dacReadBack.map(\.volts) == [0, 0])
    }

    @Test("sense: a value file through an encoder")
    func sense() throws {
        let out = try TempDir()
        try "0,0\n0.5,0.5\n1,1\n".write(toFile: out.file("values.csv"), atomically: true, encoding: .utf8)
        var plan = SessionPlan(command: "sense", tool: "test", board: mockBoard,
                               channels: [ChannelPlan(stimulus: .encoded(EncoderConfiguration(coding: .rate),
                                                                         .file(path: out.file("values.csv"), interval: .milliseconds(100),
                                                                               hold: .seconds(1))))])
        plan.outputs.directory = out.file("run")
        let outcome = try Session(plan).run()
        #expect(outcome.exitStatus == 0)
        // The file's end plus its hold.
        #expect(abs(outcome.summary.result.elapsedSeconds - 2) < 0.01)
        #expect(outcome.summary.result.channels[0].pulsesApplied > 40)
    }

    @Test("combined sources on one channel: both trains' pulses, in start order")
    func combined() throws {
        let out = try TempDir()
        let a = PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(10), count: 10)
        var b = PulseTrain(amplitude: .volts(0.6), width: .milliseconds(5), frequency: .hertz(10), count: 10)
        b.start = .milliseconds(50)
        var plan = runPlan(out: out)
        plan.channels = [ChannelPlan(stimulus: .combined([.train(a), .train(b)]))]
        plan.outputs.keepRecords = true
        let outcome = try Session(plan).run()
        #expect(outcome.exitStatus == 0)
        let pulses = outcome.result.pulses
        #expect(pulses.count == 20)
        #expect(pulses.map(\.startNs) == (0..<20).map { Int64($0) * 50_000_000 })
        #expect(pulses.map(\.amplitudeVolts) == (0..<20).map { $0 % 2 == 0 ? 0.75 : 0.6 })
    }

    @Test("a stop request ends the run through the safe state; the files are written; exit 128 + signal")
    func stopped() throws {
        let out = try TempDir()
        let stop = StopRequest()
        stop.request(signal: 15)
        let outcome = try Session(runPlan(out: out), stop: stop).run()
        #expect(outcome.exitStatus == 128 + 15)
        #expect(outcome.summary.result.termination == "stopped by signal 15")
        #expect(outcome.summary.dacReadBack[0].volts == 0)
        #expect(out.files.contains("summary.json"))
    }

    @Test("a recording replays to the run's spikes")
    func recording() throws {
        let out = try TempDir()
        var plan = runPlan(out: out)
        plan.outputs.recording = out.file("run.json")
        let outcome = try Session(plan).run()
        let rec = try Recording.load(path: out.file("run.json"))
        #expect(rec.spikes.count == outcome.summary.result.channels[0].spikes && rec.spikes.count > 0)
        #expect(Recording.difference(recorded: rec.spikes, replayed: rec.replay()) == nil)
        #expect(rec.protocolInfo["command"] == "run")
    }

    @Test("a recording may go into the output directory the run creates")
    func recordingInNewDirectory() throws {
        let out = try TempDir()
        var plan = runPlan(.fig2c(count: 3), out: out)
        plan.outputs.directory = out.file("new")
        plan.outputs.recording = out.file("new/run.json")
        _ = try Session(plan).run()
        #expect(FileManager.default.fileExists(atPath: out.file("new/run.json")))
        #expect(FileManager.default.fileExists(atPath: out.file("new/summary.json")))
    }

    @Test("refused before anything runs: the message names the place and the fix, nothing is written", arguments: [
        ("neuron", "the board has no neuron with id 7"),
        ("rate", "--sample-rate"),
        ("record", "more than a recording holds"),
        ("trace", "--trace names one file"),
        ("hardware", "applies to simulated boards only"),
    ])
    func refused(_ what: String, _ message: String) throws {
        let out = try TempDir()
        var plan = runPlan(out: out)
        switch what {
        case "neuron": plan.channels[0].neuron = 7
        case "rate": plan.sampleRate = .hertz(1_000_000)
        case "record":
            plan.channels = [ChannelPlan(stimulus: .train(.fig2c(count: 20_000)))]
            plan.outputs.recording = out.file("long.json")
        case "trace":
            plan = SessionPlan(command: "network", tool: "test", board: twoNeuronBoard, channels: [])
            plan.network = try NetworkFile.load(path: twoNeuronLoop)
            plan.duration = .seconds(1)
            plan.outputs.directory = out.path
            plan.outputs.tracePath = out.file("t.csv")
        default:
            plan.board = repositoryRoot + "/Boards/rpi4.yaml"
            plan.simulation.faults = .rate(0.01)
        }
        do {
            _ = try Session(plan)
            Issue.record("\(what): accepted")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
            #expect(error.description.contains("Fix:"), "\(error.description)")
            #expect(error.exitCode == 2)
        }
        #expect(!out.files.contains("summary.json") && !out.files.contains("long.json"))
    }

    @Test("a long run keeps a fixed number of spikes in memory; the files and the statistics have them all")
    func boundedRecords() throws {
        let out = try TempDir()
        // 50 Hz fires on most pulses: more spike events than the forwarder's ring holds, in an unpaced run.
        let train = PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(50), count: 6000)
        var plan = runPlan(train, out: out)
        plan.outputs.trace = false
        plan.sampleRate = .hertz(2_000)
        let outcome = try Session(plan).run()
        let spikes = outcome.summary.result.channels[0].spikes
        #expect(spikes > Session.recordLimit)
        #expect(outcome.result.spikes.count == Session.recordLimit)
        #expect(outcome.summary.result.spikesNotRecorded == spikes - Session.recordLimit)
        #expect(try rows(out.file("spikes.csv")).count == spikes)
        #expect(outcome.summary.forwarding?.droppedAtLoop == 0)
    }
}
