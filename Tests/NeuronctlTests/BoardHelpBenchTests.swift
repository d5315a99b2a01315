import Foundation
import Testing

extension NeuronctlCLITests {
    @Suite struct BoardValidate {
        @Test func mockBoardIsValid() async throws {
            let r = try await CLI.run(["board", "validate", CLI.mockBoard])
            #expect(r.exited(0), "\(r.description)")
            #expect(r.stdout.lines.contains("ok: \(CLI.mockBoard) is valid"))
            #expect(r.stdout.contains("dac0: microchip,mcp4725 @ 0x60"))
            #expect(r.stderr.isEmpty)
        }

        @Test func brokenBoardNamesFileLineAndKey() async throws {
            let dir = try TemporaryDirectory()
            let mock = try String(contentsOfFile: CLI.mockBoard, encoding: .utf8)
            let good = "address: 0x60"
            #expect(mock.components(separatedBy: good).count == 2, "mock.yaml changed: expected one '\(good)'")
            let broken = mock.replacingOccurrences(of: good, with: "address: 0x90")
            let path = dir.path("broken.yaml")
            try broken.write(toFile: path, atomically: true, encoding: .utf8)
            let line = try #require(broken.lines.firstIndex { $0.contains("address: 0x90") }) + 1

            let r = try await CLI.run(["board", "validate", path])
            #expect(r.exited(2), "\(r.description)")
            #expect(r.stderr.contains("\(path):\(line):"), "stderr does not name \(path):\(line):\n\(r.stderr)")
            #expect(r.stderr.contains("buses.i2c1.devices.dac0.address"))
            #expect(r.stderr.contains("0x90"))
            #expect(r.stderr.contains("Fix:"))
            #expect(!r.stdout.contains("ok:"))
        }
    }

    @Suite struct Help {
        /// A light golden check: these lines (left-trimmed, prefix match) must appear in order. Wrapped help
        /// text and the discussion paragraphs are not pinned, only usage and option names.
        func expectLines(_ expected: [String], in text: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let lines = text.lines.map { $0.drop(while: { $0 == " " }) }
            var from = 0
            for e in expected {
                guard let i = lines[from...].firstIndex(where: { $0.hasPrefix(e) }) else {
                    Issue.record("help lacks a line starting '\(e)' (in order):\n\(text)", sourceLocation: sourceLocation)
                    return
                }
                from = i + 1
            }
        }

        @Test func rootHelp() async throws {
            let r = try await CLI.run(["--help"])
            #expect(r.exited(0), "\(r.description)")
            expectLines([
                "OVERVIEW: Drive a halide-perovskite memristive neuron",
                "USAGE: neuronctl <subcommand>",
                "OPTIONS:",
                "--version",
                "-h, --help",
                "SUBCOMMANDS:",
                "run ",
                "board ",
                "bench ",
            ], in: r.stdout)
        }

        @Test func runHelp() async throws {
            let r = try await CLI.run(["run", "--help"])
            #expect(r.exited(0), "\(r.description)")
            expectLines([
                "OVERVIEW: Apply a pulse train to a neuron",
                "USAGE: neuronctl run <options>",
                "OPTIONS:",
                "--board <name|file>",
                "--neuron <id>",
                "--amplitude <V>",
                "--width <ms>",
                "--frequency <Hz>",
                "--pulses <n>",
                "--duration <s>",
                "--sample-rate <Hz>",
                "--seed <n>",
                "--model <model>",
                "--output <dir>",
                "--trace <file>",
                "--spikes <file>",
                "--no-trace",
                "--json",
                "--realtime",
            ], in: r.stdout)
            #expect(r.stdout.contains("(default: 0.75 V)"))
            #expect(r.stdout.contains("(values: device, paper, deterministic)"))
            #expect(r.stdout.contains("SIGINT/SIGTERM/SIGHUP"))
        }
    }

    @Suite struct Bench {
        @Test func printsARealTimeFactor() async throws {
            let r = try await CLI.run(["bench", "--board", CLI.mockBoard, "--pulses", "10", "--repetitions", "1"])
            #expect(r.exited(0), "\(r.description)")
            // Speed is not asserted (debug build, shared cores); only that the figure is reported.
            #expect(r.stdout.lines.contains { $0.hasPrefix("real-time factor: median ") && $0.contains("over 1 repetitions") })
            #expect(r.stdout.contains("10 pulses"))
        }

        @Test func forwardingBenchPrintsTheLatencyAgainstTheTarget() async throws {
            let r = try await CLI.run(["bench-forwarding", "--spikes", "40", "--rate", "1k"])
            #expect(r.exited(0), "\(r.description)")
            // Latency is not asserted (debug build, shared cores); only that the figures are reported and every
            // datagram reached the bench's receiver.
            #expect(r.stdout.lines.contains { $0.hasPrefix("crossing to sendto  p50 ") && $0.hasSuffix("over 40 spikes") })
            #expect(r.stdout.lines.contains { $0.hasPrefix("floor, bare sendto  p50 ") && $0.contains("over 40 sends") })
            #expect(r.stdout.lines.contains { $0.hasPrefix("ratio to the floor  p99 ") && $0.contains("x (target at most 1.2x): ") })
            #expect(r.stdout.lines.contains { $0.hasPrefix("send in the tick    p50 ") })
            #expect(r.stdout.lines.contains { $0.hasPrefix("hand-over, complete p50 ") })
            #expect(r.stdout.lines.contains {
                $0.hasPrefix("datagrams           sent 40, failed 0, floor sent 40, failed 0, dropped at the ring 0, received 80, sequence gaps 0")
            })
            #expect(r.stdout.lines.contains { $0.hasPrefix("target p99 50.0 us: ") })
            #expect(r.stdout.lines.contains { $0.hasPrefix("forwarding thread   ") })
        }
    }
}
