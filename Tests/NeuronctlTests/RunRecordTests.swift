// `neuronctl run --record FILE`: the run saved in the recording format of `sense` and `network`, which `replay`
// checks against the detector. Nested in the serialized CLI suite (one child at a time).

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension NeuronctlCLITests {
    @Suite struct RunRecord {
        /// The parts of a recording these tests read.
        struct Recording: Decodable {
            struct Channel: Decodable { var id: Int; var membraneV: [Double]; var stimulusV: [Double]; var pulse: [Int32] }
            struct Pulse: Decodable { var index: Int; var startNs: Int64; var endNs: Int64 }
            struct Spike: Decodable { var index: Int; var pulse: Int }
            var format: String
            var `protocol`: [String: String]
            var timeNs: [Int64]
            var channels: [Channel]
            var pulses: [Pulse]
            var spikes: [Spike]

            static func load(_ path: String) throws -> Recording {
                let d = JSONDecoder()
                d.keyDecodingStrategy = .convertFromSnakeCase
                return try d.decode(Recording.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            }
        }

        @Test("run --record: replay finds exactly the run's spikes, and the recording agrees with spikes.csv and summary.json")
        func recordAndReplay() async throws {
            let dir = try TemporaryDirectory()
            let r = try await CLI.run(["run", "--board", CLI.mockBoard, "--pulses", "30", "--seed", "3", "--output", "out",
                                       "--record", "run.json"], in: dir.url)
            #expect(r.exited(0), "\(r.description)")
            #expect(r.stdout.lines.contains { $0.hasPrefix("files ") && $0.hasSuffix("out/summary.json, run.json") }, "\(r.stdout)")

            let rec = try Recording.load(dir.path("run.json"))
            let summary = try jsonObject(Data(contentsOf: URL(fileURLWithPath: dir.path("out/summary.json"))))
            let spikes = try RecordCSV.load(dir.path("out/spikes.csv"))
            #expect(rec.format == "neuronhil-recording")
            #expect(rec.protocol["command"] == "run" && rec.protocol["pulses"] == "30" && rec.protocol["termination"] == "completed")
            #expect(rec.channels.count == 1 && rec.channels[0].id == 0)
            #expect(Double(rec.timeNs.count) == number(summary, "result", "samples"))
            #expect(rec.channels[0].membraneV.count == rec.timeNs.count && rec.channels[0].pulse.count == rec.timeNs.count)
            #expect(Set(rec.channels[0].stimulusV).isSubset(of: [0, 0.75]))
            #expect(rec.pulses.map(\.index) == Array(0..<30))
            #expect(rec.spikes.count > 5 && Double(rec.spikes.count) == number(summary, "result", "channels", "0", "spikes"))
            #expect(rec.spikes.map { Double($0.pulse) } == spikes.column("pulse"))
            #expect(string(summary, "files", "record") == "run.json")

            let replay = try await CLI.run(["replay", "run.json"], in: dir.url)
            #expect(replay.exited(0) && replay.stdout.contains("matches the recording"), "\(replay.description)")
            #expect(replay.stdout.contains("board mock, \(rec.timeNs.count) samples x 1 channels, \(rec.spikes.count) spikes recorded"))
            let changed = try await CLI.run(["replay", "run.json", "--threshold", "0.2"], in: dir.url)
            #expect(changed.exited(1) && changed.stdout.contains("DIFFERS"), "\(changed.description)")

            // The same seed gives the same recording, byte for byte.
            let again = try await CLI.run(["run", "--board", CLI.mockBoard, "--pulses", "30", "--seed", "3", "--output", "out2",
                                           "--record", "again.json"], in: dir.url)
            #expect(again.exited(0), "\(again.description)")
            #expect(try Data(contentsOf: dir.url.appendingPathComponent("run.json"))
                        == Data(contentsOf: dir.url.appendingPathComponent("again.json")))
        }

        @Test("run --record with bus faults: a run that skips samples and ends failed still records, and replays")
        func recordWithFaults() async throws {
            let dir = try TemporaryDirectory()
            // Every failed read skips its sample; a DAC write that fails ends the run through the safe state (with
            // seed 1 it does, after about 3600 samples). Either way the recording must replay.
            let r = try await CLI.run(["run", "--board", CLI.mockBoard, "--pulses", "30", "--inject-faults", "2e-2",
                                       "--bus-fault-policy", "retry:0,safe-state:1000", "--output", "out",
                                       "--record", "faulty.json"], in: dir.url)
            #expect(r.exited(0) || r.exited(1), "\(r.description)")
            let rec = try Recording.load(dir.path("faulty.json"))
            let ended = r.stdout.lines.first { $0.hasPrefix("ended ") }.map { String($0.dropFirst("ended".count).drop { $0 == " " }) }
            #expect(ended != nil && rec.protocol["termination"] == ended, "\(r.stdout)")
            #expect(rec.timeNs.count > 300, "\(rec.timeNs.count) samples")
            // Skipped samples leave gaps of two intervals (200 µs at 10 kS/s) in the recorded times.
            #expect(zip(rec.timeNs, rec.timeNs.dropFirst()).contains { $1 - $0 > 150_000 })
            let replay = try await CLI.run(["replay", "faulty.json"], in: dir.url)
            #expect(replay.exited(0) && replay.stdout.contains("matches the recording"), "\(replay.description)")
        }

        @Test("a run stopped by SIGINT still writes its recording, up to the stop, and it replays")
        func stoppedRunKeepsItsRecording() async throws {
            let dir = try TemporaryDirectory()
            let child = try CLI.Child(["run", "--board", CLI.mockBoard, "--realtime", "--duration", "30", "--output", "out",
                                       "--record", "stopped.json"], in: dir.url)
            defer { child.kill() }
            try await Task.sleep(for: .milliseconds(800))
            guard try await child.waitForHandler(SIGINT) else {
                Issue.record("neuronctl did not install a SIGINT handler within 10 s")
                return
            }
            try #require(child.process.isRunning, "the 30 s real-time run ended before it was signalled")
            child.process.interrupt()
            guard try await child.wait(timeout: .seconds(20)) else {
                Issue.record("neuronctl still running 20 s after SIGINT")
                return
            }
            let r = child.outcome()
            #expect(r.exited(128 + SIGINT), "\(r.description)")
            let rec = try Recording.load(dir.path("stopped.json"))
            #expect(rec.protocol["termination"] == "stopped by signal 2")
            #expect(!rec.timeNs.isEmpty && rec.timeNs.count < 300_000, "\(rec.timeNs.count) samples of a 30 s run")
            #expect(rec.pulses.count < 990)
            let replay = try await CLI.run(["replay", "stopped.json"], in: dir.url)
            #expect(replay.exited(0) && replay.stdout.contains("matches the recording"), "\(replay.description)")
        }

        @Test("a --record path that cannot be written is refused before the run, for run, sense and network alike")
        func unwritableRecordPath() async throws {
            let dir = try TemporaryDirectory()
            try "0,0\n1,1\n".write(toFile: dir.path("in.csv"), atomically: true, encoding: .utf8)
            let record = ["--record", dir.path("missing-dir/rec.json")]
            let commands: [[String]] = [
                ["run", "--board", CLI.mockBoard, "--pulses", "5", "--output", "out"],
                ["sense", "--board", CLI.mockBoard, "--input", "in.csv"],
                ["network", "--board", CLI.mockBoard, "--network", NetworkCommandTests.path("Boards/networks/udp-sender.yaml"),
                 "--duration", "1"],
            ]
            for args in commands {
                let r = try await CLI.run(args + record, in: dir.url)
                #expect(r.exited(2) && r.stderr.contains("--record \(dir.path("missing-dir/rec.json")): cannot write there"),
                        "\(args[0]): \(r.description)")
                #expect(!r.stdout.contains("ended"), "\(args[0]) ran: \(r.stdout)")
            }
            let empty = try await CLI.run(["run", "--board", CLI.mockBoard, "--record", ""], in: dir.url)
            #expect(empty.exited(64) && empty.stderr.contains("--record needs a file name"), "\(empty.description)")
        }
    }
}
