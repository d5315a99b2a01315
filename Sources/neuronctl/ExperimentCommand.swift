import ArgumentParser
import Foundation
import NeuronControl
import NeuronExperiments
import NeuronHAL
import NeuronSession

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run the paper's experiments on a board (the mock board by default): data (CSV) and plots (PNG).",
        discussion: """
            Each experiment runs its pulse trains through the whole board path (board file, drivers, buses, the loop, \
            the spike detector), writes CSV files with '# key: value' metadata to --output and plots them with \
            Scripts/plot.py when Scripts/setup-plotting.sh has been run. Release builds run the mock board far \
            faster than real time: swift run -c release neuronctl experiment fig4
            """,
        subcommands: [Fig2c.self, Fig4.self, TimeToSpikeCommand.self, Sweep.self])

    /// Options every experiment takes.
    struct Options: ParsableArguments {
        @OptionGroup var boardOptions: BoardOptions

        @Option(help: ArgumentHelp("Base random seed of the simulated neuron; run i of an experiment uses seed + i.", valueName: "n"))
        var seed: UInt64 = 1

        @Option(help: ArgumentHelp("Neuron physics of the simulated board: device, paper or deterministic (default: the board file's).", valueName: "model"))
        var model: ModelOption?

        @Option(name: .customLong("sample-rate"), help: ArgumentHelp("Membrane sampling rate (Hz).", valueName: "Hz"))
        var sampleRate = FrequencyArgument(.hertz(10_000))

        @Option(help: ArgumentHelp("Directory for the CSV files and plots.", valueName: "dir"))
        var output = "neuronhil-out"

        @Flag(name: .customLong("no-plot"), help: "Write the CSV files only.")
        var noPlot = false

        @Flag(help: "No progress lines on stderr.")
        var quiet = false

        /// Builds a session for `train` (the board loaded and the train checked against its limits; no files).
        func session(_ train: PulseTrain, seed: UInt64, trace: Bool) throws -> Session {
            do {
                return try Session(.train(train, board: boardOptions.board, tool: "neuronctl \(Neuronctl.version)", seed: seed,
                                          model: model?.kind, sampleRate: sampleRate.frequency, keepTrace: trace),
                                   stop: processStop)
            } catch {
                throw CLIError(description: error.description, exitCode: error.exitCode)
            }
        }

        /// Checks every train against the board before anything runs; errors name the point and the fix.
        func checkAll(_ points: [GridPoint], context: String) throws -> Session {
            var first: Session?
            for p in points {
                do {
                    let s = try session(p.train, seed: seed, trace: false)
                    if first == nil { first = s }
                } catch let e as CLIError {
                    printError("\(context), point \(p.sweep) \(BoardExperiments.describe(p.train)): \(e.description)")
                    throw ExitCode(e.exitCode)
                }
            }
            return first!
        }

        /// Runs trains through a `Session`, stopping on SIGINT/SIGTERM/SIGHUP (the run in progress ends in the safe
        /// state and the command exits with 128 + the signal).
        var runner: TrainRunner {
            installStopHandlers()
            return Session.trainRunner(board: boardOptions.board, tool: "neuronctl \(Neuronctl.version)", model: model?.kind,
                                       sampleRate: sampleRate.frequency, stop: processStop)
        }

        func makeOutputDirectory() throws {
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            } catch {
                printError("--output \(output): cannot create the directory (\(error.localizedDescription)). Fix: choose a writable directory.")
                throw ExitCode(2)
            }
        }

        /// The `# key: value` header of every file: what ran where, no dates or hosts (same seed, same bytes).
        func metadata(_ session: Session, experiment: String, figure: String?, file: String) -> [(String, String)] {
            var m: [(String, String)] = [("neuronhil", "\(file) written by neuronctl \(Neuronctl.version)"), ("experiment", experiment)]
            if let figure { m.append(("figure", figure)) }
            let d = session.detector
            m += [
                ("board", "\(session.board.board.name) (\(session.plan.board))"),
                ("simulated", String(session.board.board.simulated)),
                ("model", session.modelName),
                ("seed", String(seed)),
                ("sample_rate_hz", formatted(sampleRate.frequency.hertz, digits: 2)),
                ("detector", "threshold \(d.threshold.volts) V, rearm \(d.rearm.volts) V, smoothing \(d.smoothingWindow) samples, refractory \(d.refractory.seconds * 1e3) ms"),
            ]
            return m
        }

        /// Runs `body`, turning a `CLIError` or a `SessionError` into its message and exit code.
        func reportingErrors<T>(_ body: () throws -> T) throws -> T {
            do {
                return try body()
            } catch let e as CLIError {
                printError(e.description)
                throw ExitCode(e.exitCode)
            } catch let e as SessionError {
                printError(e.description)
                throw ExitCode(e.exitCode)
            }
        }
    }

    // MARK: fig2c

    struct Fig2c: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fig. 2c: the capacitor trace under 0.75 V x 5 ms pulses at 33 Hz, pulses shaded, spikes marked.")

        @OptionGroup var options: Options

        @Option(help: ArgumentHelp("Number of pulses.", valueName: "n"))
        var pulses = 20

        func validate() throws {
            guard (1...100_000).contains(pulses) else { throw ValidationError("--pulses must be between 1 and 100000 (got \(pulses))") }
        }

        func run() throws {
            let train = PulseTrain.fig2c(count: pulses)
            let session = try options.reportingErrors { try options.session(train, seed: options.seed, trace: true) }
            let result = try options.reportingErrors { try options.runner(train, options.seed, true) }
            try options.makeOutputDirectory()
            let tracePath = "\(options.output)/fig2c-trace.csv", spikesPath = "\(options.output)/fig2c-spikes.csv"
            var meta = options.metadata(session, experiment: "fig2c", figure: "fig2c", file: "fig2c-trace.csv")
            let protocolKeys: [(String, String)] = [
                ("amplitude_v", formatted(train.amplitude.volts, digits: 4)), ("width_ms", formatted(train.width.seconds * 1e3, digits: 4)),
                ("frequency_hz", formatted(train.frequency.hertz, digits: 4)), ("pulses", String(train.count)),
            ]
            meta += protocolKeys + [("spikes_file", "fig2c-spikes.csv"), ("read_with", "pandas.read_csv(path, comment='#')")]
            try write(RunRecords.traceCSV(result.traces[0], metadata: meta), to: tracePath, flag: "--output")
            var spikeMeta = options.metadata(session, experiment: "fig2c", figure: nil, file: "fig2c-spikes.csv")
            spikeMeta += protocolKeys + [("read_with", "pandas.read_csv(path, comment='#')")]
            try write(RunRecords.spikesCSV(result.spikes, metadata: spikeMeta), to: spikesPath, flag: "--output")
            let s = ChannelSummary(result.channels[0], elapsed: result.elapsed)
            print("fig2c on board \(session.board.board.name): \(BoardExperiments.describe(train)), \(pulses) pulses, model \(session.modelName), seed \(options.seed)")
            print("spikes              \(s.spikes) on \(s.firedPulses) of \(s.pulsesApplied) pulses (firing probability \(formatted(s.firingProbabilityPerPulse, digits: 3)))")
            if s.spikes > 0 {
                print("bias time           mean \(formatted(s.biasTimeMs.mean, digits: 2)) ms; peak mean \(formatted(s.peakVolts.mean, digits: 3)) V")
            }
            print("files               \(tracePath), \(spikesPath)")
            if !options.noPlot { PlotTool.plot([tracePath]) }
        }
    }

    // MARK: fig4

    struct Fig4: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fig. 4: firing probability per pulse against frequency, amplitude and pulse width, with error bars.",
            discussion: """
                Around 0.75 V x 5 ms at 33 Hz: frequency 20, 25, 33, 40, 50 Hz (Fig. 4b); amplitude 0.40-0.90 V \
                (Fig. 4c); pulse width 2-7.5 ms (Fig. S10). Each point runs --repetitions trains of --pulses pulses \
                (seeds seed, seed+1, ...); error bars are the SD over repetitions. Writes fig4-runs.csv (one row per \
                run) and fig4.csv (mean, SD, SEM per point).
                """)

        @OptionGroup var options: Options

        @Option(help: ArgumentHelp("Pulses per run.", valueName: "n"))
        var pulses = 100

        @Option(help: ArgumentHelp("Runs per point (error bars over these).", valueName: "n"))
        var repetitions = 5

        func validate() throws {
            guard (1...1_000_000).contains(pulses) else { throw ValidationError("--pulses must be between 1 and 1000000 (got \(pulses))") }
            guard (1...10_000).contains(repetitions) else { throw ValidationError("--repetitions must be between 1 and 10000 (got \(repetitions))") }
        }

        func run() throws {
            let points = BoardExperiments.fig4Grid(pulses: pulses)
            let session = try options.checkAll(points, context: "fig4")
            let progress = ProgressReporter(quiet: options.quiet)
            let rows = try options.reportingErrors {
                try BoardExperiments.tuning(points, repetitions: repetitions, seed: options.seed, runner: options.runner, progress: progress.report)
            }
            try writeTuning(rows, session: session, options: options, experiment: "fig4", figure: "fig4", stem: "fig4",
                            extra: [("pulses", String(pulses)), ("repetitions", String(repetitions))])
        }
    }

    // MARK: time to spike

    struct TimeToSpikeCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "time-to-spike",
            abstract: "Fig. S8a: histogram of the bias time before firing, with an exponential (Poisson) fit and its mean.",
            discussion: """
                Runs --repetitions trains of --pulses pulses (5 ms at 33 Hz, --amplitude) and collects the bias time of \
                every detected spike. The fit is the maximum-likelihood exponential (its mean is the sample mean); the \
                Kolmogorov-Smirnov distance says how exponential the data are. The paper: 6.9 ms at 0.75 V. \
                Writes time-to-spike.csv (one row per spike) and time-to-spike-histogram.csv.
                """)

        @OptionGroup var options: Options

        @Option(help: ArgumentHelp("Pulse amplitude (volts unless a unit is given).", valueName: "V"))
        var amplitude = VoltageArgument(.volts(0.75))

        @Option(help: ArgumentHelp("Pulses per run.", valueName: "n"))
        var pulses = 100

        @Option(help: ArgumentHelp("Runs.", valueName: "n"))
        var repetitions = 5

        @Option(help: ArgumentHelp("Histogram bin width (milliseconds unless a unit is given).", valueName: "ms"))
        var bin = DurationArgument<Milliseconds>(.milliseconds(1))

        func validate() throws {
            guard (1...1_000_000).contains(pulses) else { throw ValidationError("--pulses must be between 1 and 1000000 (got \(pulses))") }
            guard (1...10_000).contains(repetitions) else { throw ValidationError("--repetitions must be between 1 and 10000 (got \(repetitions))") }
            guard bin.duration > .zero else { throw ValidationError("--bin must be positive, e.g. 1ms") }
        }

        func run() throws {
            var train = PulseTrain.fig2c(count: pulses)
            train.amplitude = amplitude.voltage
            let session = try options.checkAll([GridPoint(sweep: "time-to-spike", train: train)], context: "time-to-spike")
            let progress = ProgressReporter(quiet: options.quiet)
            let data = try options.reportingErrors {
                try TimeToSpike.collect(train, repetitions: repetitions, seed: options.seed, runner: options.runner, progress: progress.report)
            }
            try options.makeOutputDirectory()
            let ci = data.meanInterval95
            let fit: [(String, String)] = [
                ("amplitude_v", formatted(train.amplitude.volts, digits: 4)), ("width_ms", formatted(train.width.seconds * 1e3, digits: 4)),
                ("frequency_hz", formatted(train.frequency.hertz, digits: 4)), ("pulses", String(pulses)),
                ("repetitions", String(repetitions)), ("spikes", String(data.samples.count)),
                ("fit", "exponential, maximum likelihood"),
                ("fit_mean_ms", formatted(data.meanMs, digits: 4)),
                ("fit_mean_ci95_ms", "\(formatted(ci.lowerBound, digits: 4)) \(formatted(ci.upperBound, digits: 4))"),
                ("sd_ms", formatted(data.sdMs, digits: 4)),
                ("ks_distance", formatted(data.ksDistance, digits: 4)),
                ("paper_mean_ms", "6.9 (Fig. S8a, 0.75 V)"),
            ]
            let samplesPath = "\(options.output)/time-to-spike.csv", histPath = "\(options.output)/time-to-spike-histogram.csv"
            var m1 = options.metadata(session, experiment: "time-to-spike", figure: nil, file: "time-to-spike.csv")
            m1 += fit + [("read_with", "pandas.read_csv(path, comment='#')")]
            try write(data.samplesCSV(metadata: m1), to: samplesPath, flag: "--output")
            var m2 = options.metadata(session, experiment: "time-to-spike", figure: "time-to-spike", file: "time-to-spike-histogram.csv")
            m2 += fit + [("bin_ms", formatted(bin.duration.seconds * 1e3, digits: 4)), ("read_with", "pandas.read_csv(path, comment='#')")]
            try write(data.histogramCSV(binMs: bin.duration.seconds * 1e3, metadata: m2), to: histPath, flag: "--output")
            print("time to spike on board \(session.board.board.name): \(BoardExperiments.describe(train)), \(repetitions) x \(pulses) pulses, model \(session.modelName), seed \(options.seed)")
            if data.samples.isEmpty {
                print("no spikes: nothing to fit (try more pulses or a higher amplitude)")
            } else {
                print("spikes              \(data.samples.count)")
                print("exponential fit     mean \(formatted(data.meanMs, digits: 2)) ms (95% CI \(formatted(ci.lowerBound, digits: 2))-\(formatted(ci.upperBound, digits: 2)) ms; paper, Fig. S8a: 6.9 ms at 0.75 V)")
                print("shape               sd \(formatted(data.sdMs, digits: 2)) ms (an exponential has sd = mean), Kolmogorov-Smirnov distance \(formatted(data.ksDistance, digits: 3))")
            }
            print("files               \(samplesPath), \(histPath)")
            if !options.noPlot && !data.samples.isEmpty { PlotTool.plot([histPath]) }
        }
    }

    // MARK: sweep file

    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run any parameter grid from a YAML sweep file: firing probability per grid point, with error bars.",
            discussion: """
                A sweep file (see Sweeps/ for examples):
                  name: amplitude-by-frequency   # optional (default: the file name)
                  pulses: 100                    # per run (default 100)
                  repetitions: 5                 # runs per grid point (default 5)
                  base: { amplitude-v: 0.75, width-ms: 5, frequency-hz: 33 }   # optional (default: Fig. 2c)
                  grid:                          # every combination runs
                    amplitude-v: [0.5, 0.6, 0.7, 0.8]
                    frequency-hz: { from: 20, to: 50, step: 10 }
                Parameters: amplitude-v, width-ms, frequency-hz. --pulses and --repetitions override the file. \
                Writes <name>-runs.csv and <name>.csv.

                --shard K/N runs the K-th of N contiguous blocks of the runs (run i * repetitions + r is point i's \
                repetition r, with seed base + that index, as unsharded) and writes <name>-runs.shard-K-of-N.csv; \
                neuronctl merge DIR SHARD-FILES... rebuilds both files of the unsharded run, byte for byte.
                """)

        @Argument(help: ArgumentHelp("Sweep file (YAML).", valueName: "file"))
        var file: String

        @OptionGroup var options: Options

        @Option(help: ArgumentHelp("Pulses per run (overrides the file).", valueName: "n"))
        var pulses: Int?

        @Option(help: ArgumentHelp("Runs per point (overrides the file).", valueName: "n"))
        var repetitions: Int?

        @Option(help: ArgumentHelp("Run only block K of N of the runs (see above).", valueName: "K/N"))
        var shard: ShardArgument?

        func validate() throws {
            if let pulses, !(1...1_000_000).contains(pulses) { throw ValidationError("--pulses must be between 1 and 1000000 (got \(pulses))") }
            if let repetitions, !(1...10_000).contains(repetitions) { throw ValidationError("--repetitions must be between 1 and 10000 (got \(repetitions))") }
        }

        func run() throws {
            var sweep: SweepFile
            do {
                sweep = try SweepFile.load(path: file)
            } catch {
                printError(error.description)
                throw ExitCode(2)
            }
            if let pulses { sweep.pulses = pulses }
            if let repetitions { sweep.repetitions = repetitions }
            let points = sweep.points
            let session = try options.checkAll(points, context: "sweep file \(file)")
            let progress = ProgressReporter(quiet: options.quiet)
            let rows = try options.reportingErrors {
                try BoardExperiments.tuning(points, repetitions: sweep.repetitions, seed: sweep.seed ?? options.seed,
                                            runner: options.runner, shard: shard?.shard ?? .whole, progress: progress.report)
            }
            let grid = sweep.grid.map(\.parameter.column).joined(separator: " ")
            let extra = [("sweep_file", file), ("grid", grid), ("pulses", String(sweep.pulses)), ("repetitions", String(sweep.repetitions))]
            if let shard = shard?.shard {
                try options.makeOutputDirectory()
                let path = "\(options.output)/\(sweep.name)-runs.\(shard.fileTag).csv"
                var m = options.metadata(session, experiment: "sweep", figure: nil, file: "\(sweep.name)-runs.csv")
                m += extra + [("read_with", "pandas.read_csv(path, comment='#')")]
                try write(BoardExperiments.shardCSV(rows, metadata: m, figure: "sweep", shard: shard, total: points.count * sweep.repetitions),
                          to: path, flag: "--output")
                print("sweep shard \(shard): \(rows.count) of \(points.count * sweep.repetitions) runs; file \(path)")
                return
            }
            try writeTuning(rows, session: session, options: options, experiment: "sweep", figure: "sweep", stem: sweep.name, extra: extra)
        }
    }
}

/// Writes `<stem>-runs.csv` and `<stem>.csv`, prints the tuning curve, plots it.
private func writeTuning(
    _ rows: [TuningRow], session: Session, options: ExperimentCommand.Options, experiment: String, figure: String,
    stem: String, extra: [(String, String)]
) throws {
    try options.makeOutputDirectory()
    let runsPath = "\(options.output)/\(stem)-runs.csv", summaryPath = "\(options.output)/\(stem).csv"
    let summaries = BoardExperiments.summarise(rows)
    var m1 = options.metadata(session, experiment: experiment, figure: nil, file: "\(stem)-runs.csv")
    m1 += extra + [("read_with", "pandas.read_csv(path, comment='#')")]
    try write(BoardExperiments.tuningCSV(rows, metadata: m1), to: runsPath, flag: "--output")
    let m2 = BoardExperiments.summaryMetadata(runs: m1, stem: stem, figure: figure)
    try write(BoardExperiments.summaryCSV(summaries, metadata: m2), to: summaryPath, flag: "--output")
    print("\(experiment) on board \(session.board.board.name), model \(session.modelName), base seed \(options.seed): \(rows.count) runs")
    print("  sweep         amplitude  width  frequency   P(fire) mean +- sd")
    for s in summaries {
        func pad(_ x: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - x.count)) + x }
        let t = s.point.train
        print("  " + s.point.sweep.padding(12) + pad(formatted(t.amplitude.volts, digits: 2) + " V", 10)
              + pad(formatted(t.width.seconds * 1e3, digits: 1) + " ms", 9) + pad(formatted(t.frequency.hertz, digits: 1) + " Hz", 10)
              + pad(formatted(s.mean, digits: 3), 10) + " +- " + formatted(s.sd, digits: 3))
    }
    print("files         \(summaryPath), \(runsPath)")
    if !options.noPlot { PlotTool.plot([summaryPath]) }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self + " " : self + String(repeating: " ", count: n - count) }
}

/// `--shard K/N`.
struct ShardArgument: ExpressibleByArgument {
    let shard: Shard
    init?(argument: String) {
        guard let s = Shard(argument) else { return nil }
        shard = s
    }
    static var defaultCompletionKind: CompletionKind { .default }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Rebuild an unsharded run's files from its shards' files (experiment sweep or simulate population --shard K/N).",
        discussion: """
            Checks that the files are one job's N shards, each once, then writes the files the unsharded run \
            writes, byte for byte, to DIR. Examples: neuronctl merge out shards/*-runs.shard-*-of-4.csv; \
            neuronctl merge out shards/population.shard-*-of-4.csv
            """)

    @Argument(help: ArgumentHelp("Directory for the merged files.", valueName: "dir"))
    var output: String

    @Argument(help: ArgumentHelp("The shards' files.", valueName: "shard-file"))
    var shards: [String]

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give the shards' files after DIR") }
    }

    func run() throws {
        var files: [(name: String, text: String)] = []
        for path in shards {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                printError("\(path): cannot read it. Fix: give the files --shard wrote.")
                throw ExitCode(2)
            }
            files.append((path, text))
        }
        let merged: [(name: String, text: String)]
        do { merged = try ShardMerge.merge(files) } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
            printError("\(output): cannot create the directory (\(error.localizedDescription)). Fix: choose a writable directory.")
            throw ExitCode(2)
        }
        for f in merged { try write(f.text, to: "\(output)/\(f.name)", flag: "merge") }
        print("merged \(shards.count) shards into " + merged.map { "\(output)/\($0.name)" }.joined(separator: ", "))
    }
}
