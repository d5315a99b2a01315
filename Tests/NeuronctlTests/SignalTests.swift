import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A stop signal and how the test sends it.
struct StopSignal: Sendable, CustomTestStringConvertible {
    var number: Int32
    var name: String
    var testDescription: String { name }

    func send(to child: CLI.Child) {
        switch number {
        case SIGINT: child.process.interrupt()
        case SIGTERM: child.process.terminate()
        default: _ = kill(child.pid, number)
        }
    }
}

extension NeuronctlCLITests {
    /// A real-time run stopped by a signal leaves through the safe state, writes everything it recorded and
    /// exits with 128 + the signal number.
    @Suite struct Signals {
        @Test(arguments: [
            StopSignal(number: SIGINT, name: "SIGINT"),
            StopSignal(number: SIGTERM, name: "SIGTERM"),
            StopSignal(number: SIGHUP, name: "SIGHUP"),
        ])
        func stopsThroughTheSafeStateAndKeepsTheRecords(_ signal: StopSignal) async throws {
            let dir = try TemporaryDirectory()
            let output = dir.path("out")
            let child = try CLI.Child(
                ["run", "--board", CLI.mockBoard, "--realtime", "--duration", "20", "--output", output], in: dir.url)
            defer { child.kill() }

            // ~0.7 s into the run, and only once the handlers are installed (a signal before that would kill the
            // process by default action: a slow start on a loaded machine must not make the test flaky).
            try await Task.sleep(for: .milliseconds(700))
            guard try await child.waitForHandler(signal.number) else {
                Issue.record("neuronctl did not install a \(signal.name) handler within 10 s")
                return
            }
            try #require(child.process.isRunning, "the 20 s real-time run ended before it was signalled")
            // And only once the loop has been sampling for 0.4 s of its paced time (the trace file streams every
            // 50 ms): bringing the board and the real-time threads up takes a varying time on a loaded machine.
            let sampling = ContinuousClock.now + .seconds(10)
            while traceRows(output + "/trace.csv") < 4_000 && ContinuousClock.now < sampling {
                try await Task.sleep(for: .milliseconds(20))
            }

            let sentAt = ContinuousClock.now
            signal.send(to: child)
            guard try await child.wait(timeout: .seconds(15)) else {
                Issue.record("neuronctl still running 15 s after \(signal.name); killed")
                return
            }
            let stopTime = ContinuousClock.now - sentAt
            #expect(stopTime < .seconds(5), "took \(stopTime) to stop")

            let r = child.outcome()
            #expect(r.exited(128 + signal.number), "\(r.description)")
            let lines = r.stdout.lines
            #expect(lines.contains("ended               stopped by signal \(signal.number)"), "\(r.stdout)")
            #expect(lines.contains { $0.hasPrefix("safe state          reached") && $0.contains("DAC reads back 0.0 mV") })

            let summary = try jsonObject(Data(contentsOf: URL(fileURLWithPath: output + "/summary.json")))
            #expect(string(summary, "result", "termination") == "stopped by signal \(signal.number)")
            #expect(number(summary, "dac_read_back", "0", "volts") == 0)
            #expect(string(summary, "result", "safe_state")?.hasPrefix("reached") == true)
            // Paced by the real clock and stopped early: well past the start, well short of the 20 s asked for.
            let elapsed = try #require(number(summary, "result", "elapsed_seconds"))
            #expect(elapsed > 0.3 && elapsed < 19, "simulated \(elapsed) s")
            let applied = try #require(number(summary, "result", "channels", "0", "pulses_applied"))
            #expect(applied >= 1 && applied < 660)

            // Nothing recorded is lost: every sample the loop took is in trace.csv.
            let trace = try RecordCSV.load(output + "/trace.csv")
            #expect(!trace.rows.isEmpty)
            #expect(number(summary, "result", "samples") == Double(trace.rows.count))
            let spikes = try RecordCSV.load(output + "/spikes.csv")
            #expect(number(summary, "result", "channels", "0", "spikes") == Double(spikes.rows.count))
        }
    }
}

/// Data rows in a streamed trace file so far (0 while it does not exist yet).
func traceRows(_ path: String) -> Int {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
    return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count - 1
}
