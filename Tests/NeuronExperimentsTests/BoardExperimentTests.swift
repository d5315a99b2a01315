import Foundation
import NeuronBoard
import NeuronConfig
import NeuronControl
import NeuronHAL
import NeuronPhysics
import Testing
@testable import NeuronExperiments
import NeuronSession

/// Runs trains on the repository's mock board through the session, as the CLI's experiments do.
func mockRunner(model: NeuronModelKind = .device, boardPath: String? = nil) -> TrainRunner {
    let path = boardPath ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Boards/mock.yaml").path
    return Session.trainRunner(board: path, tool: "test", model: model, stop: StopRequest())
}

@Suite struct BoardExperimentTests {
    @Test func fig4GridIsThePapersThreeSweeps() {
        let g = BoardExperiments.fig4Grid(pulses: 10)
        #expect(g.filter { $0.sweep == "frequency" }.map(\.train.frequency.hertz) == [20, 25, 33, 40, 50])
        let amps = g.filter { $0.sweep == "amplitude" }.map(\.train.amplitude.volts)
        #expect(amps.first == 0.40 && amps.last == 0.90)
        let widths = g.filter { $0.sweep == "width" }.map { $0.train.width.seconds * 1e3 }
        #expect(abs(widths.first! - 2) < 1e-9 && abs(widths.last! - 7.5) < 1e-9)
        #expect(g.allSatisfy { $0.train.count == 10 })
    }

    /// The tuning machinery on the board: seeds are consecutive, the same seed gives the same row, and the
    /// firing probability responds to frequency as Fig. 4b says (20 Hz silent, 50 Hz firing).
    @Test func tuningOnTheMockBoard() throws {
        var low = PulseTrain.fig2c(count: 30)
        low.frequency = .hertz(20)
        var high = PulseTrain.fig2c(count: 30)
        high.frequency = .hertz(50)
        let points = [GridPoint(sweep: "frequency", train: low), GridPoint(sweep: "frequency", train: high)]
        var seen: [Int] = []
        let rows = try BoardExperiments.tuning(points, repetitions: 2, seed: 10, runner: mockRunner()) { done, total, _ in
            seen.append(done)
            #expect(total == 4)
        }
        #expect(seen == [1, 2, 3, 4])
        #expect(rows.map(\.seed) == [10, 11, 12, 13])
        #expect(rows.allSatisfy { $0.pulsesApplied == 30 })
        let summary = BoardExperiments.summarise(rows)
        #expect(summary.count == 2)
        #expect(summary[0].mean < 0.1, "20 Hz fires \(summary[0].mean)")
        #expect(summary[1].mean > 0.5, "50 Hz fires \(summary[1].mean)")
        let again = try BoardExperiments.tuning([points[1]], repetitions: 1, seed: 12, runner: mockRunner())
        #expect(again[0].firedPulses == rows[2].firedPulses && again[0].spikes == rows[2].spikes)
        let csv = BoardExperiments.summaryCSV(summary, metadata: [("figure", "fig4")])
        #expect(csv.hasPrefix("# figure: fig4\nsweep,amplitude_v,width_ms,frequency_hz,repetitions,probability_mean,probability_sd,probability_sem\nfrequency,0.7500,5.0000,20.0000,2,"))
    }

    /// Fig. S8a with the paper's constant-rate model on the board: the detected bias times are exponential with a
    /// mean near 6.9 ms.
    @Test func timeToSpikeWithThePaperModelIsExponential() throws {
        let data = try TimeToSpike.collect(.fig2c(count: 60), repetitions: 2, seed: 1, runner: mockRunner(model: .paper))
        #expect(data.samples.count > 40)
        let ci = data.meanInterval95
        #expect(ci.contains(6.9) || abs(data.meanMs - 6.9) < 1.5, "mean \(data.meanMs) ms, CI \(ci)")
        #expect(data.ksDistance < 0.2, "KS \(data.ksDistance)")
        let hist = data.histogram(binMs: 1)
        #expect(hist.map(\.count).reduce(0, +) == data.samples.count)
        #expect(data.histogramCSV(binMs: 1, metadata: []).hasPrefix("bin_start_ms,bin_end_ms,count,density,fit_density\n0.000,1.000,"))
    }

    @Test func statisticsOfKnownSamples() {
        let t = TimeToSpike(samples: [1, 2, 3, 6].enumerated().map { .init(repetition: 0, spike: $0.offset, pulse: 0, biasMs: $0.element) })
        #expect(t.meanMs == 3)
        #expect(abs(t.sdMs - (14.0 / 3).squareRoot()) < 1e-12)
        let s = BoardExperiments.summarise([
            TuningRow(point: GridPoint(sweep: "a", train: .fig2c()), repetition: 0, seed: 1, pulsesApplied: 10, firedPulses: 2, spikes: 2, probability: 0.2, meanBiasMs: 1),
            TuningRow(point: GridPoint(sweep: "a", train: .fig2c()), repetition: 1, seed: 2, pulsesApplied: 10, firedPulses: 4, spikes: 4, probability: 0.4, meanBiasMs: 1),
        ])
        #expect(abs(s[0].mean - 0.3) < 1e-12 && abs(s[0].sd - 0.02.squareRoot()) < 1e-12)
    }
}

@Suite struct SweepFileTests {
    @Test func gridIsTheProductOfTheValues() throws {
        let s = try SweepFile.parse("""
            name: af
            pulses: 12
            repetitions: 2
            seed: 9
            base: { width-ms: 4 }
            grid:
              amplitude-v: [0.5, 0.7]
              frequency-hz: { from: 20, to: 40, step: 10 }
            """, path: "x.yaml")
        #expect(s.name == "af" && s.pulses == 12 && s.repetitions == 2 && s.seed == 9)
        let p = s.points
        #expect(p.count == 6)
        #expect(p.map(\.train.frequency.hertz) == [20, 30, 40, 20, 30, 40])
        #expect(p.map(\.train.amplitude.volts) == [0.5, 0.5, 0.5, 0.7, 0.7, 0.7])
        #expect(p.allSatisfy { $0.train.width == .milliseconds(4) && $0.train.count == 12 && $0.sweep == "af" })
    }

    @Test(arguments: [
        ("grid: { amplitude-v: [0.5] }\nbogus: 1\n", "x.yaml:2:1: bogus: unknown key 'bogus'."),
        ("grid:\n  voltage: [0.5]\n", "x.yaml:2:3: grid.voltage: unknown parameter 'voltage'. Fix: use one of: amplitude-v, width-ms, frequency-hz"),
        ("grid:\n  amplitude-v: [0.5, abc]\n", "x.yaml:2:22: grid.amplitude-v[1]: expected a number, found 'abc'."),
        ("pulses: 0\ngrid: { amplitude-v: [0.5] }\n", "x.yaml:1:9: pulses: 0 is outside the accepted 1...1000000."),
        ("pulses: 3\n", "x.yaml:1:1: grid: the required key 'grid' is missing."),
        ("grid:\n  frequency-hz: [-3]\n", "x.yaml:2:18: grid.frequency-hz[0]: -3 Hz is not a usable frequency."),
        ("grid: [1, 2\n", "x.yaml:2:1: malformed YAML"),
        ("grid:\n  width-ms: { from: 5, to: 1, step: 1 }\n", "x.yaml:2:3: grid.width-ms: the range 5 to 1 in steps of 1"),
        // Refused before the 10^9 grid points are built.
        ("grid:\n  amplitude-v: { from: 0, to: 10, step: 0.01 }\n  width-ms: { from: 1, to: 1000, step: 1 }\n  frequency-hz: { from: 1, to: 1000, step: 1 }\n",
         "x.yaml:1:1: grid: the grid asks for 5005000000 runs. Fix: use at most 100000 runs"),
    ])
    func badFilesAreRefusedWithLocation(text: String, expected: String) {
        #expect(throws: ConfigError.self) { try SweepFile.parse(text, path: "x.yaml") }
        do {
            _ = try SweepFile.parse(text, path: "x.yaml")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
            #expect(error.description.contains("Fix: "))
        }
    }

    /// Sweep files are read by the board files' decoder: the same faults give the same located shape,
    /// `file:line:col: key.path: problem Fix: ...`, with the same wording.
    @Test(arguments: [
        ("duplicate key", "grid: { amplitude-v: [0.5] }\npulses: 3\npulses: 4\n", "x.yaml:3:1: pulses: the key 'pulses' appears twice.",
         "  max-duty-cycle: 0.5\n", "  max-duty-cycle: 0.5\n  max-duty-cycle: 0.4\n", "limits.max-duty-cycle: the key 'max-duty-cycle' appears twice."),
        ("unknown key", "grid: { amplitude-v: [0.5] }\nrepetition: 3\n", "x.yaml:2:1: repetition: unknown key 'repetition'. Fix: did you mean 'repetitions'?",
         "  max-duty-cycle: 0.5\n", "  max-duty-cycles: 0.5\n", "limits.max-duty-cycles: unknown key 'max-duty-cycles'. Fix: did you mean 'max-duty-cycle'?"),
        ("bad scalar", "grid: { amplitude-v: [0.5] }\nrepetitions: yes\n", "x.yaml:2:14: repetitions: expected a whole number, found 'yes'.",
         "  max-duty-cycle: 0.5\n", "  max-duty-cycle: yes\n", "limits.max-duty-cycle: expected a number, found 'yes'."),
        ("too deep", "grid:\n  amplitude-v:\n" + deepList(from: 2), "x.yaml:33:65: grid.amplitude-v" + String(repeating: "[0]", count: 30)
            + ": this nests 33 levels deep, more than the 32 a sweep file may use.",
         "  max-duty-cycle: 0.5\n", "  max-duty-cycle:\n" + deepList(from: 2), "this nests 33 levels deep, more than the 32 a board file may use."),
    ] as [(String, String, String, String, String, String)])
    func sameShapeAsBoardFiles(
        _ fault: String, sweep: String, sweepMessage: String, boardOld: String, boardNew: String, boardMessage: String
    ) throws {
        let sweepError = try #require(sweepRefusal(sweep), "\(fault): accepted")
        let boardError = try #require(boardRefusal(replacing: boardOld, with: boardNew), "\(fault): board accepted")
        #expect(sweepError.description.hasPrefix(sweepMessage), "\(sweepError)")
        #expect(boardError.description.contains(boardMessage), "\(boardError)")
        for error in [sweepError, boardError] {
            #expect(error.line != nil && error.column != nil, "\(fault): \(error)")
            #expect(error.message.wholeMatch(of: /[^:]+:\d+:\d+: ([^ ]+: )?.+ Fix: .+/) != nil, "\(fault): \(error)")
        }
    }
}

private func sweepRefusal(_ text: String) -> ConfigError? {
    do { _ = try SweepFile.parse(text, path: "x.yaml") } catch { return error }
    return nil
}

private func boardRefusal(replacing old: String, with new: String) -> ConfigError? {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Boards/mock.yaml").path
    guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains(old) else { return nil }
    do { _ = try BoardLoader.parse(yaml: text.replacingOccurrences(of: old, with: new), source: "b.yaml") } catch { return error }
    return nil
}

/// Lists nested in block style from indentation level `level` (two spaces each) to 40 levels: deeper than any
/// configuration file may nest, yet within what the text check lets through to the parser.
func deepList(from level: Int) -> String {
    (level..<40).map { String(repeating: "  ", count: $0) + "-\n" }.joined()
}
