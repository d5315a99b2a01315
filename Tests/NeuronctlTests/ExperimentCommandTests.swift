// `neuronctl experiment ...` and `neuronctl simulate population` end to end, as a user runs them: small sizes on the
// mock board, CSV files checked; plots checked where Scripts/setup-plotting.sh has made .venv-plot.

import Foundation
import Testing

/// The plotting venv of this checkout, when it exists and has matplotlib.
private let plottingAvailable: Bool = {
    let python = CLI.repoRoot.appendingPathComponent(".venv-plot/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: python) else { return false }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = ["-c", "import matplotlib"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
}()

/// A CSV with text columns (RecordCSV wants numbers only): metadata, header, rows of fields.
private struct TextCSV {
    var metadata: [String: String] = [:]
    var header: [String] = []
    var rows: [[String]] = []
    static func load(_ path: String) throws -> TextCSV {
        var csv = TextCSV()
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix("# "), let colon = line.firstIndex(of: ":") {
                csv.metadata[String(line[line.index(line.startIndex, offsetBy: 2)..<colon])] =
                    String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            } else if csv.header.isEmpty {
                csv.header = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            } else {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                #expect(fields.count == csv.header.count, "\(path): \(line)")
                csv.rows.append(fields)
            }
        }
        return csv
    }
    func column(_ name: String) -> [String] {
        guard let k = header.firstIndex(of: name) else { return [] }
        return rows.map { $0[k] }
    }
    func numbers(_ name: String) -> [Double] { column(name).map { Double($0) ?? .nan } }
}

private func isPNG(_ path: String) -> Bool {
    guard let data = FileManager.default.contents(atPath: path), data.count > 1000 else { return false }
    return Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
}

extension NeuronctlCLITests {
    @Suite struct Experiments {
        @Test func fig2c() async throws {
            let out = try TemporaryDirectory()
            let r = try await CLI.run(["experiment", "fig2c", "--board", CLI.mockBoard, "--pulses", "8", "--output", out.url.path, "--no-plot"])
            #expect(r.exited(0), "\(r.description)")
            let trace = try RecordCSV.load(out.path("fig2c-trace.csv"))
            #expect(trace.metadata["figure"] == "fig2c" && trace.metadata["spikes_file"] == "fig2c-spikes.csv")
            #expect(trace.header == ["time_s", "stimulus_v", "membrane_v", "pulse"])
            #expect((2400...2500).contains(trace.rows.count), "\(trace.rows.count) rows")
            let spikes = try RecordCSV.load(out.path("fig2c-spikes.csv"))
            #expect(spikes.column("pulse").allSatisfy { (0..<8).contains($0) })
        }

        @Test func fig4() async throws {
            let out = try TemporaryDirectory()
            let r = try await CLI.run(["experiment", "fig4", "--board", CLI.mockBoard, "--pulses", "4", "--repetitions", "2",
                                       "--output", out.url.path, "--no-plot"])
            #expect(r.exited(0), "\(r.description)")
            #expect(r.stderr.contains("[38/38]"), "progress: \(r.stderr)")
            let summary = try TextCSV.load(out.path("fig4.csv"))
            #expect(summary.rows.count == 19)
            #expect(summary.metadata["figure"] == "fig4" && summary.metadata["repetitions"] == "2")
            #expect(summary.numbers("probability_mean").allSatisfy { (0...1).contains($0) })
            let runs = try TextCSV.load(out.path("fig4-runs.csv"))
            #expect(runs.rows.count == 38)
            #expect(runs.numbers("seed") == (1...38).map(Double.init))
        }

        @Test func timeToSpike() async throws {
            let out = try TemporaryDirectory()
            let args = ["experiment", "time-to-spike", "--board", CLI.mockBoard, "--model", "paper", "--pulses", "20", "--repetitions", "2",
                        "--output", out.url.path, "--no-plot", "--quiet"]
            let r = try await CLI.run(args)
            #expect(r.exited(0), "\(r.description)")
            #expect(r.stderr.isEmpty)
            #expect(r.stdout.contains("exponential fit     mean "))
            let samples = try RecordCSV.load(out.path("time-to-spike.csv"))
            #expect(samples.rows.count > 5)
            let hist = try RecordCSV.load(out.path("time-to-spike-histogram.csv"))
            #expect(hist.column("count").reduce(0, +) == Double(samples.rows.count))
            #expect(Double(hist.metadata["fit_mean_ms"] ?? "") != nil)
            // Same seed, same bytes.
            let again = try TemporaryDirectory()
            var args2 = args
            args2[args2.firstIndex(of: out.url.path)!] = again.url.path
            _ = try await CLI.run(args2)
            #expect(FileManager.default.contents(atPath: out.path("time-to-spike.csv")) == FileManager.default.contents(atPath: again.path("time-to-spike.csv")))
        }

        @Test func sweepFile() async throws {
            let out = try TemporaryDirectory()
            let file = out.path("grid.yaml")
            try "name: small\npulses: 3\nrepetitions: 1\ngrid:\n  amplitude-v: [0.5, 0.8]\n  width-ms: [3, 6]\n".write(toFile: file, atomically: true, encoding: .utf8)
            let r = try await CLI.run(["experiment", "sweep", file, "--board", CLI.mockBoard, "--output", out.url.path, "--no-plot"])
            #expect(r.exited(0), "\(r.description)")
            let summary = try TextCSV.load(out.path("small.csv"))
            #expect(summary.rows.count == 4 && summary.metadata["grid"] == "amplitude_v width_ms")
            #expect(summary.numbers("width_ms") == [3, 6, 3, 6])
        }

        /// Runs shards 1...n of `command` into `dir`; returns each shard's file (`<stem>.shard-K-of-N.csv`).
        func runShards(_ command: [String], n: Int, into dir: String, stem: String) async throws -> [String] {
            var files: [String] = []
            for k in 1...n {
                let r = try await CLI.run(command + ["--output", dir, "--shard", "\(k)/\(n)"])
                #expect(r.exited(0), "\(r.description)")
                files.append(dir + "/\(stem).shard-\(k)-of-\(n).csv")
            }
            return files
        }

        @Test("sweep --shard K/N, merged, is the unsharded run byte for byte: N = 1, 2, 3, 7 (more shards than some points), 12 (one run each)")
        func shardedSweepMerges() async throws {
            let out = try TemporaryDirectory()
            let file = out.path("grid.yaml")
            try "name: small\npulses: 4\nrepetitions: 3\ngrid:\n  amplitude-v: [0.5, 0.8]\n  width-ms: [3, 6]\n".write(toFile: file, atomically: true, encoding: .utf8)
            let common = ["experiment", "sweep", file, "--board", CLI.mockBoard, "--no-plot", "--quiet", "--seed", "9"]
            let whole = out.path("whole")
            #expect(try await CLI.run(common + ["--output", whole]).exited(0))
            for n in [1, 2, 3, 7, 12] {
                let dir = out.path("n\(n)")
                let files = try await runShards(common, n: n, into: dir + "/shards", stem: "small-runs")
                let shard = try TextCSV.load(files[0])
                #expect(shard.metadata["shard"] == "1/\(n)" && shard.metadata["shard_seeds"]?.hasPrefix("9...") == true)
                let m = try await CLI.run(["merge", dir] + files.reversed())
                #expect(m.exited(0), "\(m.description)")
                for name in ["small-runs.csv", "small.csv"] {
                    let a = FileManager.default.contents(atPath: whole + "/" + name), b = FileManager.default.contents(atPath: dir + "/" + name)
                    #expect(a != nil && a == b, "N = \(n): \(name) differs from the unsharded run's")
                }
                if n > 1 {
                    let missing = try await CLI.run(["merge", dir + "/partial"] + files.dropLast())
                    #expect(missing.exited(2) && missing.stderr.contains("shards \(n)/\(n) are missing"), "\(missing.stderr)")
                }
            }
            let wrong = try await CLI.run(["merge", out.path("x"), whole + "/small.csv"])
            #expect(wrong.exited(2) && wrong.stderr.contains("not a shard's file"), "\(wrong.stderr)")
        }

        @Test func badSweepFilesAndPointsOutsideTheLimits() async throws {
            let out = try TemporaryDirectory()
            let bad = out.path("bad.yaml")
            try "grid:\n  amplitude-v: [0.5]\n  colour: [1]\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let r = try await CLI.run(["experiment", "sweep", bad, "--board", CLI.mockBoard, "--output", out.url.path])
            #expect(r.exited(2))
            #expect(r.stderr.contains("bad.yaml:3:3: grid.colour: unknown parameter 'colour'. Fix: use one of: amplitude-v, width-ms, frequency-hz"), "\(r.stderr)")
            // 1.5 V is outside the mock board's 0-1 V limit: refused before anything runs, naming the point.
            let high = out.path("high.yaml")
            try "grid:\n  amplitude-v: [0.5, 1.5]\n".write(toFile: high, atomically: true, encoding: .utf8)
            let h = try await CLI.run(["experiment", "sweep", high, "--board", CLI.mockBoard, "--output", out.url.path])
            #expect(h.exited(2))
            #expect(h.stderr.contains("point high 1.50 V x 5.0 ms at 33.0 Hz") && h.stderr.contains("amplitude:") && h.stderr.contains("Fix:"), "\(h.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path("high.csv")))
        }

        @Test func population() async throws {
            let out = try TemporaryDirectory()
            let r = try await CLI.run(["simulate", "population", "--neurons", "30", "--simulations", "50", "--output", out.url.path, "--no-plot"])
            #expect(r.exited(0), "\(r.description)")
            #expect(r.stdout.contains("crossover           "))
            let error = try TextCSV.load(out.path("population-error.csv"))
            #expect(error.rows.count == 150)  // 5 definitions x 30 sizes
            let code = try RecordCSV.load(out.path("population-code.csv"))
            #expect(code.column("deterministic_code") == [0, 30, 30, 60, 60, 90, 90, 120, 120, 150])
            let raster = try TextCSV.load(out.path("population-raster.csv"))
            #expect(raster.rows.count > 100)
            let d = try await CLI.run(["simulate", "population", "--model", "deterministic"])
            #expect(d.exited(64) && d.stderr.contains("--model deterministic"), "\(d.description)")
            let b = try await CLI.run(["simulate", "population", "--bench", "--neurons", "10", "--simulations", "10", "--repetitions", "2"])
            #expect(b.exited(0) && b.stdout.contains("run_time_s: "), "\(b.description)")
        }

        @Test("population --shard K/N, merged, is the unsharded run byte for byte: paper model (fast engine) for N = 1, 2, 3, 7, 12 (more shards than simulations); device model (reference engine) for N = 2, 7",
              arguments: [("paper", [1, 2, 3, 7, 12]), ("device", [2, 7])])
        func shardedPopulationMerges(model: String, counts: [Int]) async throws {
            let out = try TemporaryDirectory()
            func study(seed: Int) -> [String] {
                ["simulate", "population", "--model", model, "--neurons", "12", "--simulations", model == "paper" ? "10" : "5",
                 "--pulses", "6", "--seed", "\(seed)", "--no-plot"]
            }
            let common = study(seed: 4)
            let whole = out.path("whole")
            #expect(try await CLI.run(common + ["--output", whole]).exited(0))
            let names = ["population-raster.csv", "population-code.csv", "population-error.csv"]
            for n in counts {
                let dir = out.path("n\(n)")
                let files = try await runShards(common, n: n, into: dir + "/shards", stem: "population")
                let last = try TextCSV.load(files[n - 1])
                #expect(last.metadata["shard"] == "\(n)/\(n)" && last.metadata["shard_seeds"]?.hasPrefix("seed 4 mixed") == true)
                let m = try await CLI.run(["merge", dir] + files.reversed())
                #expect(m.exited(0), "\(m.description)")
                for name in names {
                    let a = FileManager.default.contents(atPath: whole + "/" + name), b = FileManager.default.contents(atPath: dir + "/" + name)
                    #expect(a != nil && a == b, "\(model), N = \(n): \(name) differs from the unsharded run's")
                }
            }
            // A shard of another job (another seed) is refused.
            let other = out.path("other")
            #expect(try await CLI.run(study(seed: 5) + ["--output", other, "--shard", "2/2"]).exited(0))
            let mixed = try await CLI.run(["merge", out.path("mixed"), out.path("n2/shards/population.shard-1-of-2.csv"),
                                           other + "/population.shard-2-of-2.csv"])
            #expect(mixed.exited(2) && mixed.stderr.contains("header differs"), "\(mixed.stderr)")
        }

        @Test(.enabled(if: plottingAvailable, "needs .venv-plot with matplotlib (Scripts/setup-plotting.sh)"))
        func plotsAreMade() async throws {
            let out = try TemporaryDirectory()
            let r = try await CLI.run(["experiment", "fig2c", "--board", CLI.mockBoard, "--pulses", "6", "--output", out.url.path])
            #expect(r.exited(0), "\(r.description)")
            #expect(isPNG(out.path("fig2c-trace.png")), "\(r.description)")
            let p = try await CLI.run(["simulate", "population", "--neurons", "20", "--simulations", "20", "--output", out.url.path])
            #expect(p.exited(0), "\(p.description)")
            for name in ["population-raster", "population-code", "population-error"] {
                #expect(isPNG(out.path(name + ".png")), "\(name).png")
            }
        }
    }
}

extension NeuronctlCLITests {
    @Suite struct PaperCheckCLI {
        /// A board whose front end loads the capacitor with 3 MΩ: only the energy claim fails, and the command
        /// exits 1 with the rows on stdout (JSON) and progress on stderr.
        @Test func aFailingClaimExitsOne() async throws {
            let dir = try TemporaryDirectory()
            let mock = try String(contentsOfFile: CLI.mockBoard, encoding: .utf8)
            let board = dir.path("mock-3megohm.yaml")
            try mock.replacingOccurrences(of: "    input-impedance-ohms: 10.0e6", with: "    input-impedance-ohms: 3.0e6")
                .write(toFile: board, atomically: true, encoding: .utf8)
            let r = try await CLI.run(["paper-check", "--board", board, "--json"], timeout: .seconds(120))
            #expect(r.exited(1), "\(r.description)")
            #expect(r.stderr.contains("paper-check ["))
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
            let failed = rows.filter { ($0["passed"] as? Bool) == false }.compactMap { $0["id"] as? String }
            #expect(failed == ["energy-20-60pj"], "\(r.stdout)")
            #expect(rows.count == 16)
        }
    }
}
