// Short, seeded fuzzing of the sensor-stream and network inputs: CSV value streams, UDP value datagrams and network
// files. Each parser may refuse an input, naming the source, but must never trap.

import Foundation
import Testing
import NeuronConfig
import NeuronNetwork
import NeuronControl
import NeuronTestSupport

let inputFuzzIterations = Int(ProcessInfo.processInfo.environment["NEURONHIL_FUZZ_ITERATIONS"] ?? "") ?? 2_000

@Suite("Input fuzzing (short)")
struct InputFuzzTests {
    @Test("CSV value streams: mutated files parse or are refused naming the file")
    func csvStreams() throws {
        let valid = Array("# a sensor\ntime_s,value\n0.0,0.1\n0.5,0.4\n1.0,0.9\n".utf8)
        #expect(try TimedValueFeed.parseCSV(String(decoding: valid, as: UTF8.self), source: "in.csv").count == 3)
        var m = Mutator(seed: 11)
        for _ in 0..<inputFuzzIterations * 5 {
            do { _ = try TimedValueFeed.parseCSV(String(decoding: m.mutate(valid), as: UTF8.self), source: "in.csv") } catch {
                #expect(error.description.hasPrefix("in.csv"))
            }
        }
    }

    @Test("UDP value datagrams: random bytes decode or are refused naming the sender")
    func datagrams() throws {
        #expect(try parseValueDatagram(Array("0.25\n".utf8), sender: "127.0.0.1:9") == 0.25)
        var m = Mutator(seed: 12)
        for _ in 0..<inputFuzzIterations * 5 {
            do { _ = try parseValueDatagram(m.mutate(Array("0.25\n".utf8)), sender: "127.0.0.1:9") } catch {
                #expect(error.description.contains("127.0.0.1:9"))
            }
        }
    }

    @Test("Network files: mutated files parse or are refused naming the file; deep nesting is refused")
    func networkFiles() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: dir.appendingPathComponent("Boards/networks/two-neuron-loop.yaml"), encoding: .utf8)
        _ = try NetworkFile.parse(yaml: text, source: "net.yaml")
        let valid = Array(text.utf8)
        var m = Mutator(seed: 13)
        for _ in 0..<inputFuzzIterations {
            do { _ = try NetworkFile.parse(yaml: String(decoding: m.mutate(valid), as: UTF8.self), source: "net.yaml") } catch {
                #expect(error.description.hasPrefix("net.yaml"))
            }
        }
        #expect(throws: ConfigError.self) {
            try NetworkFile.parse(yaml: String(repeating: "{", count: 5000), source: "deep.yaml")
        }
        // Inputs that once crashed it (Fuzz/regressions/network): e.g. a base-60 integer that overflowed in Yams.
        let regressions = dir.appendingPathComponent("Fuzz/regressions/network")
        for name in try FileManager.default.contentsOfDirectory(atPath: regressions.path).sorted() {
            let text = String(decoding: try Data(contentsOf: regressions.appendingPathComponent(name)), as: UTF8.self)
            _ = try? NetworkFile.parse(yaml: text, source: name)
        }
        #expect(throws: ConfigError.self) { try NetworkFile.parse(yaml: "routes:\n  - from: 1:30\n    to: 1\n", source: "b60.yaml") }
    }
}

@Suite("Live standard input")
struct LiveInputTests {
    @Test("Lines of a live stream: numbers, time_s,value pairs, a header, comments; bad lines named")
    func lines() throws {
        #expect(try parseLiveValueLine("time_s,value", line: 1, source: "stdin") == nil)
        #expect(try parseLiveValueLine("0.5", line: 2, source: "stdin") == 0.5)
        #expect(try parseLiveValueLine(" 1.5 , 0.25 ", line: 3, source: "stdin") == 0.25)
        #expect(try parseLiveValueLine("# note", line: 4, source: "stdin") == nil)
        #expect(try parseLiveValueLine("", line: 5, source: "stdin") == nil)
        do {
            _ = try parseLiveValueLine("abc", line: 6, source: "stdin")
            Issue.record("a bad line was accepted")
        } catch {
            #expect(error.description.contains("stdin"))
            #expect(error.description.contains("6"))
        }
        #expect(throws: InputError.self) { try parseLiveValueLine("1,inf", line: 7, source: "stdin") }
    }
}
