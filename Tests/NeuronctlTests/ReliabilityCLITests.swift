// Exit paths a process cannot handle in itself (SIGKILL, a crash), the supervisor that covers them, records that
// survive `kill -9`, and the bus-fault flags, through the built executable.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The simulated board's registers as the state file shows them (`SimStateFile`).
struct SimState {
    var dacCode: Int
    var dacPowerDown: Int
    var gate: Int
    init(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var code = -1, pd = -1, gate = -1
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 4, f[0] == "dac", f[1] == "dac0" {
                code = Int(f[2].dropFirst(5), radix: 16) ?? -1
                pd = Int(f[3].dropFirst(11)) ?? -1
            }
            if f.count == 3, f[0] == "line", f[1] == "stimulus-gate" { gate = f[2] == "value=1" ? 1 : 0 }
        }
        dacCode = code; dacPowerDown = pd; self.gate = gate
    }
    var isSafe: Bool { dacCode == 0 && dacPowerDown != 0 && gate == 0 }
}

/// Lines of a CSV record up to the last complete one (a line without its newline is dropped, as the records
/// promise only complete lines survive), checked to parse.
func completeRows(_ path: String) throws -> (header: [String], rows: [[Double]]) {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    lines.removeLast()  // "" after the last newline, or a partial line
    let body = lines.filter { !$0.hasPrefix("#") }
    guard let header = body.first else { return ([], []) }
    let names = header.split(separator: ",").map(String.init)
    var rows: [[Double]] = []
    for (n, line) in body.dropFirst().enumerated() {
        let v = line.split(separator: ",", omittingEmptySubsequences: false).compactMap { Double($0) }
        #expect(v.count == names.count, "\(path) row \(n + 1) does not parse: \(line)")
        rows.append(v)
    }
    return (names, rows)
}

extension NeuronctlCLITests {
    @Suite struct Reliability {
        /// Starts `args`, waits until the trace has at least `rows` rows on disk (so the run is well under way).
        func startAndWait(_ args: [String], in dir: TemporaryDirectory, trace: String, rows: Int = 2000) async throws -> CLI.Child {
            let child = try CLI.Child(args, in: dir.url)
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline, child.process.isRunning {
                if let t = try? String(contentsOfFile: trace, encoding: .utf8), t.split(separator: "\n").count > rows { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            return child
        }

        @Test("kill -9 mid-run: the trace and spike records parse up to their last complete row, at most ~100 ms behind")
        func recordsSurviveKill9() async throws {
            let dir = try TemporaryDirectory()
            let out = dir.path("out")
            let child = try await startAndWait(
                ["run", "--board", CLI.mockBoard, "--realtime", "--duration", "20", "--output", out], in: dir, trace: out + "/trace.csv")
            defer { child.kill() }
            try #require(child.process.isRunning)
            // Let it run on, then kill it without warning; note how far it had got by the wall clock.
            try await Task.sleep(for: .milliseconds(500))
            let wall = ContinuousClock.now - child.startedAt
            _ = kill(child.pid, SIGKILL)
            child.process.waitUntilExit()
            #expect(child.process.terminationReason == .uncaughtSignal)

            let trace = try completeRows(out + "/trace.csv")
            #expect(trace.header == ["time_s", "stimulus_v", "membrane_v", "pulse"])
            #expect(trace.rows.count > 2000)
            let times = trace.rows.map { $0[0] }
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
            // Samples are 0.1 ms apart with none missing.
            #expect(abs((times.last! - times.first!) / 1e-4 + 1 - Double(times.count)) < 2)
            // The run is paced by the real clock and started after process start-up: the last sample on disk is
            // within the flush interval (50 ms) plus slack of where the run was when killed, and not past it.
            #expect(times.last! < wall.seconds + 0.01)
            #expect(!FileManager.default.fileExists(atPath: out + "/summary.json"))
            let spikes = try completeRows(out + "/spikes.csv")
            #expect(spikes.header.first == "spike")
            #expect(spikes.rows.allSatisfy { $0[4] <= times.last! + 0.05 })
        }

        @Test("kill -9 of an unsupervised controller leaves the simulated chip biased; under supervise it is made safe")
        func supervisorAfterKill9() async throws {
            let dir = try TemporaryDirectory()
            let state = dir.path("board.state")
            let runArgs = ["run", "--board", CLI.mockBoard, "--realtime", "--duration", "20", "--sim-state", state]

            // Unsupervised: nothing can run after SIGKILL; the gate stays closed and the DAC powered.
            let bare = try await startAndWait(runArgs + ["--output", dir.path("a")], in: dir, trace: dir.path("a/trace.csv"))
            _ = kill(bare.pid, SIGKILL)
            bare.process.waitUntilExit()
            let after = try SimState(state)
            #expect(!after.isSafe, "the bare run left \(after)")
            #expect(after.gate == 1 && after.dacPowerDown == 0)

            // Supervised: kill -9 the controller (the child); the supervisor puts the board in the safe state.
            let sup = try CLI.Child(["supervise", "--"] + runArgs + ["--output", dir.path("b")], in: dir.url)
            defer { sup.kill() }
            var childPID: Int32?
            let deadline = ContinuousClock.now + .seconds(20)
            while childPID == nil, ContinuousClock.now < deadline {
                let err = (try? String(contentsOf: sup.io.url.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
                if let r = err.range(of: "controller pid ") {
                    childPID = Int32(err[r.upperBound...].prefix { $0.isNumber })
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let pid = try #require(childPID)
            let trace = dir.path("b/trace.csv")
            while ContinuousClock.now < deadline, ((try? String(contentsOfFile: trace, encoding: .utf8))?.count ?? 0) < 60_000 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try !SimState(state).isSafe, "the controller should be driving the chip before the kill")
            _ = kill(pid, SIGKILL)
            #expect(try await sup.wait(timeout: .seconds(15)))
            let r = sup.outcome()
            #expect(r.exited(128 + SIGKILL), "\(r.description)")
            #expect(r.stderr.contains("controller killed by signal 9"), "\(r.stderr)")
            #expect(r.stderr.contains("safe state reached; DAC reads back 0.0 mV, powered down"), "\(r.stderr)")
            #expect(try SimState(state).isSafe)
        }

        @Test("A crash of the controller (SIGSEGV, SIGABRT) is covered by the supervisor too", arguments: [SIGSEGV, SIGABRT])
        func supervisorAfterCrash(_ sig: Int32) async throws {
            let dir = try TemporaryDirectory()
            let state = dir.path("board.state")
            // Swift's backtracer catches SIGSEGV/SIGABRT; one sent from outside (not a faulting instruction) is then
            // survived. Without it, the signal's default action ends the process exactly as a real crash would.
            let sup = try CLI.Child(["supervise", "--", "run", "--board", CLI.mockBoard, "--realtime", "--duration", "20",
                                     "--sim-state", state, "--output", dir.path("o")], in: dir.url,
                                    environment: ["SWIFT_BACKTRACE": "enable=no"])
            defer { sup.kill() }
            let deadline = ContinuousClock.now + .seconds(20)
            var pid: Int32?
            while ContinuousClock.now < deadline {
                let err = (try? String(contentsOf: sup.io.url.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
                if pid == nil, let r = err.range(of: "controller pid ") { pid = Int32(err[r.upperBound...].prefix { $0.isNumber }) }
                if pid != nil, ((try? String(contentsOfFile: dir.path("o/trace.csv"), encoding: .utf8))?.count ?? 0) > 60_000 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            _ = kill(try #require(pid), sig)
            #expect(try await sup.wait(timeout: .seconds(30)))
            let r = sup.outcome()
            #expect(r.exited(128 + sig), "\(r.description)")
            #expect(r.stderr.contains("safe state reached"), "\(r.stderr)")
            #expect(try SimState(state).isSafe)
        }

        @Test("Normal end and SIGTERM under the supervisor: child's status passed on, board safe")
        func supervisedNormalAndTerm() async throws {
            let dir = try TemporaryDirectory()
            let state = dir.path("board.state")
            let r = try await CLI.run(["supervise", "--", "run", "--board", CLI.mockBoard, "--pulses", "5", "--sim-state", state,
                                       "--output", dir.path("o")], in: dir.url)
            #expect(r.exited(0), "\(r.description)")
            #expect(r.stderr.contains("controller exited with status 0"))
            #expect(try SimState(state).isSafe)

            let sup = try CLI.Child(["supervise", "--", "run", "--board", CLI.mockBoard, "--realtime", "--duration", "20",
                                     "--sim-state", state, "--output", dir.path("p")], in: dir.url)
            defer { sup.kill() }
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline, ((try? String(contentsOfFile: dir.path("p/trace.csv"), encoding: .utf8))?.count ?? 0) < 60_000 {
                try await Task.sleep(for: .milliseconds(20))
            }
            sup.process.terminate()  // SIGTERM to the supervisor, forwarded to the controller
            #expect(try await sup.wait(timeout: .seconds(15)))
            let o = sup.outcome()
            #expect(o.exited(128 + SIGTERM), "\(o.description)")
            #expect(o.stdout.contains("ended               stopped by signal 15"))
            #expect(try SimState(state).isSafe)
        }

        @Test("--inject-faults 1e-2: the run completes, counts the faults, and is the same for the same seed")
        func injectedFaultsDeterministic() async throws {
            let dir = try TemporaryDirectory()
            var summaries: [[String: Any]] = []
            var traces: [Data] = []
            for name in ["a", "b"] {
                let r = try await CLI.run(["run", "--board", CLI.mockBoard, "--pulses", "30", "--inject-faults", "1e-2", "--json",
                                           "--output", dir.path(name)], in: dir.url)
                #expect(r.exited(0), "\(r.description)")
                summaries.append(try jsonObject(Data(r.stdout.utf8)))
                traces.append(try Data(contentsOf: URL(fileURLWithPath: dir.path(name + "/trace.csv"))))
            }
            #expect(traces[0] == traces[1])
            let failed = try #require(number(summaries[0], "result", "bus_faults", "failed_transfers"))
            #expect(failed > 0)
            #expect(number(summaries[1], "result", "bus_faults", "failed_transfers") == failed)
            #expect(string(summaries[0], "result", "bus_faults", "policy") == "retry:2,safe-state:10")
        }

        @Test("Bad fault flags and sim-only flags on hardware are refused with the fix", arguments: [
            (["--inject-faults", "2"], "--inject-faults"),
            (["--inject-faults", "nak=0.5,bogus=1"], "--inject-faults"),
            (["--bus-fault-policy", "retry:-1,safe-state:3"], "--bus-fault-policy"),
            (["--bus-fault-policy", "safe-state:0"], "--bus-fault-policy"),
        ])
        func badFlags(_ args: [String], _ mentions: String) async throws {
            let r = try await CLI.run(["run", "--board", CLI.mockBoard, "--pulses", "1"] + args)
            #expect(r.exited(64), "\(r.description)")
            #expect(r.stderr.contains(mentions))
        }
    }
}
