// `neuronctl` as a user runs it: exit codes, stdout/stderr, files on disk, signals. Every test spawns the built
// binary in a fresh temporary working directory, with the board given by absolute path.
//
// All subprocess suites are nested in this one `.serialized` suite, so at most one child runs at a time (the
// machine has two shared cores, and the signal tests time a real-time run).

import Foundation
import Testing

@Suite(.serialized) struct NeuronctlCLITests {}

extension NeuronctlCLITests {
    @Suite struct Run {
        @Test func twentyPulsesOnTheMockBoard() async throws {
            let out = try TemporaryDirectory()
            let r = try await CLI.run(["run", "--board", CLI.mockBoard, "--pulses", "20", "--output", out.url.path])
            #expect(r.exited(0), "\(r.description)")
            #expect(r.stderr.isEmpty)

            // The text summary: stable labels and values (the figures themselves are the physics' business).
            let lines = r.stdout.lines
            #expect(lines.first?.hasPrefix("NeuronHIL run on board mock (\(CLI.mockBoard))") == true)
            #expect(lines.contains("pulses applied      20"))
            #expect(lines.contains { $0.hasPrefix("firing probability  ") && $0.hasSuffix("of 20 pulses fired)") })
            #expect(lines.contains("ended               completed"))
            #expect(lines.contains {
                $0.hasPrefix("safe state          reached (DAC at 0 V, powered down)")
                    && $0.contains("DAC reads back 0.0 mV, powered down")
            })

            // trace.csv: metadata, header, one row per sample with a constant number of numeric fields.
            let trace = try RecordCSV.load(out.path("trace.csv"))
            #expect(trace.header == ["time_s", "stimulus_v", "membrane_v", "pulse"])
            #expect(trace.metadata["pulses"] == "20")
            #expect(trace.metadata["seed"] == "1")
            #expect(trace.metadata["read_with"] == "pandas.read_csv(path, comment='#')")
            // 20 periods of 1/33 s at 10 kS/s: about 6060 samples.
            #expect((6000...6100).contains(trace.rows.count), "\(trace.rows.count) trace rows")
            let times = trace.column("time_s")
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "time_s is not increasing")
            #expect(Set(trace.column("stimulus_v")).isSubset(of: [0, 0.75]))

            // spikes.csv: same format; every spike belongs to one of the 20 pulses.
            let spikes = try RecordCSV.load(out.path("spikes.csv"))
            #expect(spikes.header == ["spike", "channel", "pulse", "onset_s", "crossing_s", "peak_time_s",
                                      "bias_time_ms", "peak_v", "energy_pj", "fully_formed"])
            #expect(spikes.column("pulse").allSatisfy { (0..<20).contains($0) })

            // summary.json.
            let summary = try jsonObject(Data(contentsOf: URL(fileURLWithPath: out.path("summary.json"))))
            #expect(number(summary, "dac_read_back", "0", "volts") == 0)
            #expect(number(summary, "result", "channels", "0", "pulses_applied") == 20)
            #expect(string(summary, "result", "termination") == "completed")
            #expect(number(summary, "result", "channels", "0", "spikes") == Double(spikes.rows.count))
            #expect(number(summary, "result", "samples") == Double(trace.rows.count))
            #expect(string(summary, "board", "file") == CLI.mockBoard)
            // No partial files left behind by the write-then-rename.
            let names = try FileManager.default.contentsOfDirectory(atPath: out.url.path).sorted()
            #expect(names == ["spikes.csv", "summary.json", "trace.csv"])
        }

        @Test func sameSeedSameBytesDifferentSeedDifferentSpikes() async throws {
            // The same relative --output in two different working directories, so even the paths recorded in
            // summary.json are identical and the whole files can be compared byte for byte.
            let a = try TemporaryDirectory(), b = try TemporaryDirectory(), c = try TemporaryDirectory()
            let args = ["run", "--board", CLI.mockBoard, "--pulses", "30", "--seed", "7", "--output", "out"]
            let ra = try await CLI.run(args, in: a.url)
            let rb = try await CLI.run(args, in: b.url)
            #expect(ra.exited(0) && rb.exited(0), "\(ra.description)\n\(rb.description)")
            #expect(ra.stdout == rb.stdout)
            for file in ["trace.csv", "spikes.csv", "summary.json"] {
                let da = try Data(contentsOf: a.url.appendingPathComponent("out/\(file)"))
                let db = try Data(contentsOf: b.url.appendingPathComponent("out/\(file)"))
                #expect(!da.isEmpty)
                #expect(da == db, "\(file) differs between two runs with the same seed")
            }

            var other = args
            other[other.firstIndex(of: "7")!] = "8"
            let rc = try await CLI.run(other, in: c.url)
            #expect(rc.exited(0), "\(rc.description)")
            // Compare the spike rows, not the metadata (which names the seed and would differ trivially).
            let sa = try RecordCSV.load(a.path("out/spikes.csv"))
            let sc = try RecordCSV.load(c.path("out/spikes.csv"))
            #expect(!sa.rows.isEmpty)
            #expect(sa.rows != sc.rows, "a different seed gave the same spikes")
        }

        @Test func jsonFlagPrintsParseableJSON() async throws {
            let out = try TemporaryDirectory()
            let r = try await CLI.run(["run", "--board", CLI.mockBoard, "--pulses", "5", "--json", "--output", out.url.path])
            #expect(r.exited(0), "\(r.description)")
            let printed = try jsonObject(Data(r.stdout.utf8))
            #expect(number(printed, "result", "channels", "0", "pulses_applied") == 5)
            #expect(number(printed, "dac_read_back", "0", "volts") == 0)
            #expect(string(printed, "protocol", "amplitude_v") == "0.7500")
            #expect(string(printed, "tool")?.hasPrefix("neuronctl ") == true)
            // The same report as the file (the file only adds a trailing newline).
            let file = try String(contentsOfFile: out.path("summary.json"), encoding: .utf8)
            #expect(file == r.stdout)
        }
    }
}

// MARK: - Refused arguments

/// One bad invocation and what its error must say.
struct BadInvocation: Sendable, CustomTestStringConvertible {
    var flags: [String]
    var exitCode: Int32
    /// Substrings stderr must contain (case-sensitive); `{board}` stands for the board path.
    var mentions: [String]
    /// Whether to pass `--board <mock>` (false when the test gives its own).
    var withMockBoard = true
    var testDescription: String { flags.joined(separator: " ") }
}

// ArgumentParser reports parse and `validate()` errors with exit code 64 (EX_USAGE); neuronctl reports protocol
// and board problems with 2, after naming the board file and giving a Fix.
let badInvocations: [BadInvocation] = [
    BadInvocation(flags: ["--amplitude", "abc"], exitCode: 64, mentions: ["'abc'", "--amplitude"]),
    BadInvocation(flags: ["--pulses", "0"], exitCode: 64, mentions: ["--pulses", "at least 1"]),
    BadInvocation(flags: ["--pulses", "5", "--duration", "1"], exitCode: 64, mentions: ["--pulses", "--duration", "not both"]),
    BadInvocation(flags: ["--amplitude", "2"], exitCode: 2,
                  mentions: ["{board}", "amplitude", "outside the board's stimulus range", "Fix:"]),
    BadInvocation(flags: ["--width", "40"], exitCode: 2,
                  mentions: ["{board}", "width", "longer than the board allows", "20.0 ms", "Fix:"]),
    BadInvocation(flags: ["--sample-rate", "50000"], exitCode: 2,
                  mentions: ["{board}", "sample-rate", "outside", "20000", "Fix:"]),
    BadInvocation(flags: ["--board", "/nonexistent.yaml"], exitCode: 2,
                  mentions: ["/nonexistent.yaml", "does not exist", "Fix:"], withMockBoard: false),
    BadInvocation(flags: ["--model", "bogus"], exitCode: 64, mentions: ["'bogus'", "--model", "device", "paper", "deterministic"]),
]

extension NeuronctlCLITests {
    @Suite struct RefusedArguments {
        @Test(arguments: badInvocations)
        func clearErrorNonZeroExitAndNothingWritten(_ bad: BadInvocation) async throws {
            let scratch = try TemporaryDirectory()
            let output = scratch.path("out")  // does not exist yet; a run that started would create it
            let args = ["run"] + (bad.withMockBoard ? ["--board", CLI.mockBoard] : []) + bad.flags
                + ["--output", output]
            let r = try await CLI.run(args, in: scratch.url)
            #expect(r.exited(bad.exitCode), "\(r.description)")
            for m in bad.mentions {
                let needle = m.replacingOccurrences(of: "{board}", with: CLI.mockBoard)
                #expect(r.stderr.contains(needle), "stderr lacks '\(needle)':\n\(r.stderr)")
            }
            #expect(r.stdout.isEmpty, "stdout: \(r.stdout)")
            // Refused before any bus I/O: no output directory, no records, nothing in the working directory.
            #expect(!FileManager.default.fileExists(atPath: output))
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
        }
    }
}
