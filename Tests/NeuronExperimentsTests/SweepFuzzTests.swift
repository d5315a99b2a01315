// Short, seeded fuzzing of the sweep-file parser (CI's version; Scripts/fuzz.sh runs libFuzzer for 1e6+ inputs).

import Foundation
import Testing
import NeuronExperiments

@Suite("Sweep file fuzzing (short)")
struct SweepFuzzTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("Mutated sweep files parse or are refused with the file, the key and a fix; never trap")
    func sweepFiles() throws {
        let seed = Array(try String(contentsOf: Self.repo.appendingPathComponent("Sweeps/amplitude-by-frequency.yaml"), encoding: .utf8).utf8)
        var state: UInt64 = 4
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let tokens = ["1e308", "-1", "1e-300", "NaN", ".inf", "0", "99999999999", "{ from: 1, to: 1e9, step: 1e-9 }", "[]", ":", "\n  ", "#"]
        let n = Int(ProcessInfo.processInfo.environment["NEURONHIL_FUZZ_ITERATIONS"] ?? "") ?? 2_000
        var refused = 0
        for _ in 0..<(n / 4) {
            var b = seed
            for _ in 0...(next() % 3) {
                let i = Int(next() % UInt64(b.count + 1))
                switch next() % 4 {
                case 0: b.insert(contentsOf: Array(tokens[Int(next() % UInt64(tokens.count))].utf8), at: i)
                case 1 where i < b.count: b.remove(at: i)
                case 2 where i < b.count: b[i] ^= UInt8(1) << UInt8(next() % 8)
                default: b.insert(UInt8(truncatingIfNeeded: next()), at: i)
                }
            }
            do { _ = try SweepFile.parse(String(decoding: b, as: UTF8.self), path: "fuzz-sweep.yaml") } catch {
                refused += 1
                #expect(error.description.contains("fuzz-sweep.yaml"), "\(error.description.prefix(200))")
            }
        }
        #expect(refused > 0)
    }
}
