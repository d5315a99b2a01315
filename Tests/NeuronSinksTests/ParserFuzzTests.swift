// Short, seeded fuzzing of the input parsers (CI's version; Scripts/fuzz.sh runs libFuzzer for 1e6+ inputs each):
// mutated valid inputs and random bytes into the board loader, the jAER datagram decoder and the CSV record
// reader. A parser may refuse an input (with a message naming the source) but must never trap.

import Foundation
import Testing
import NeuronBoard
import NeuronControl
import NeuronSinks
import NeuronTestSupport

let fuzzIterations = Int(ProcessInfo.processInfo.environment["NEURONHIL_FUZZ_ITERATIONS"] ?? "") ?? 2_000

@Suite("Parser fuzzing (short)")
struct ParserFuzzTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("Board loader: mutated mock.yaml never traps; refusals name the source")
    func boardLoader() throws {
        let seed = Array(try String(contentsOf: Self.repo.appendingPathComponent("Boards/mock.yaml"), encoding: .utf8).utf8)
        var m = Mutator(seed: 1)
        var refused = 0
        for _ in 0..<(fuzzIterations / 4) {
            let text = String(decoding: m.mutate(seed), as: UTF8.self)
            do { _ = try BoardLoader.parse(yaml: text, source: "fuzz.yaml") } catch {
                refused += 1
                #expect(error.description.hasPrefix("fuzz.yaml"), "\(error.description.prefix(200))")
                #expect(error.all.allSatisfy { !$0.fix.isEmpty })
            }
        }
        #expect(refused > 0)
    }

    @Test("Inputs that crashed the parsers once are refused (Fuzz/regressions)")
    func regressions() throws {
        let dir = Self.repo.appendingPathComponent("Fuzz/regressions/board")
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() {
            let text = String(decoding: try Data(contentsOf: dir.appendingPathComponent(name)), as: UTF8.self)
            #expect(throws: BoardError.self, "\(name)") { try BoardLoader.parse(yaml: text, source: name) }
        }
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: BoardError.self) { try BoardLoader.parse(yaml: "a: " + deep, source: "deep.yaml") }
    }

    @Test("jAER decoder: random and mutated datagrams decode or are refused; encode/decode round-trips")
    func jaer() throws {
        var m = Mutator(seed: 2)
        let valid = JAERPacket(sequence: 7, events: [.init(address: 0, timestampMicros: 1234), .init(address: 3, timestampMicros: -1)])
        #expect(try JAERPacket.decode(valid.encoded()) == valid)
        // The sink's own encoder agrees with the decoder.
        var bytes = [UInt8](repeating: 0, count: 12)
        UDPJAERSink.encode(sequence: 9, address: 2, timestampMicros: 5000, into: &bytes)
        #expect(try JAERPacket.decode(bytes) == JAERPacket(sequence: 9, events: [.init(address: 2, timestampMicros: 5000)]))
        for _ in 0..<fuzzIterations * 10 {
            let input = m.mutate(valid.encoded())
            do {
                let p = try JAERPacket.decode(input, source: "udp test")
                #expect(p.encoded() == input)
            } catch {
                #expect(error.description.hasPrefix("udp test: byte "))
            }
        }
    }

    @Test("Record reader: mutated trace files parse or are refused with the line")
    func records() throws {
        let valid = Array("# neuronhil: capacitor trace\n# seed: 1\ntime_s,stimulus_v,membrane_v,pulse\n0.0000000,0.0000,0.001000,-1\n0.0001000,0.7500,0.002000,0\n".utf8)
        let parsed = try RecordFile.read(String(decoding: valid, as: UTF8.self), source: "t.csv")
        #expect(parsed.rows.count == 2 && parsed.metadata["seed"] == "1" && parsed.truncatedTail == 0)
        // A row cut by kill -9 is left out, not refused.
        let cut = try RecordFile.read(String(decoding: valid.dropLast(5), as: UTF8.self), source: "t.csv")
        #expect(cut.rows.count == 1 && cut.truncatedTail > 0)
        var m = Mutator(seed: 3)
        for _ in 0..<fuzzIterations * 5 {
            do { _ = try RecordFile.read(String(decoding: m.mutate(valid), as: UTF8.self), source: "t.csv") } catch {
                #expect(error.description.hasPrefix("t.csv:"))
            }
        }
    }
}
