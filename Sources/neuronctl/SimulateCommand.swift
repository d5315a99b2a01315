import ArgumentParser
import Foundation
import NeuronExperiments
import NeuronHAL
import NeuronPhysics

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate neurons directly with the physics models (no board).",
        subcommands: [Population.self])

    enum EngineOption: String, ExpressibleByArgument, CaseIterable {
        case auto, fast, reference
        var engine: PopulationEngine { PopulationEngine(rawValue: rawValue)! }
    }

    enum ErrorOption: String, ExpressibleByArgument, CaseIterable {
        case ml
        case pooledRMS = "pooled-rms"
        case mae, rmse, relative
        var measure: RepresentationErrorMeasure { RepresentationErrorMeasure(rawValue: rawValue)! }
    }

    struct Population: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fig. 3: N stochastic neurons against N deterministic ones; raster, population code, representation error.",
            discussion: """
                Every neuron receives the same pulse train (default: 10 pulses of 0.75 V x 5 ms at 33 Hz). The \
                deterministic neuron switches after exactly 6.9 ms of cumulative bias, so it fires on every second \
                pulse. The stochastic population uses --model: paper (the paper's constant switching rate, mean 6.9 ms \
                of bias; the model behind the paper's Fig. 3) or device (the fitted model of the simulated board). \
                Writes population-raster.csv (Fig. 3b), population-code.csv (3c) and population-error.csv (3d) to \
                --output, plots them when Scripts/setup-plotting.sh has been run, and prints the crossover size: the \
                smallest population from which the stochastic one represents the input better.

                Representation error (--error): the input after pulse n is n and the population code is c(n). The \
                linear read-out is n_hat = c(n) / (N r), r = spikes per neuron per pulse over the whole train. \
                pooled-rms (default): root mean square of n_hat - n over all simulations and pulses together; mae, \
                rmse, relative: per simulation the mean |n_hat - n|, its RMS, or the mean |n_hat - n| / n, averaged \
                over simulations; ml: error probability of a maximum-likelihood decoder of n from c(n), the \
                likelihood being the distribution of c(n) over the simulations.

                --bench times the Fig. 3d workload (simulation and analysis, no files); build with -c release.

                --shard K/N simulates the K-th of N contiguous blocks of the simulations (each simulation's random \
                streams come from --seed and its number, as unsharded) and writes population.shard-K-of-N.csv: what \
                every neuron of the block did. neuronctl merge DIR SHARD-FILES... rebuilds the three files of the \
                unsharded run, byte for byte.
                """)

        @Option(help: ArgumentHelp("Stochastic neuron model: paper or device.", valueName: "model"))
        var model: ModelOption = .paper

        @Option(help: ArgumentHelp("Largest population size (Fig. 3d sizes 1...N).", valueName: "N"))
        var neurons = 100

        @Option(help: ArgumentHelp("Independent simulations averaged in Fig. 3d.", valueName: "n"))
        var simulations = 1000

        @Option(help: ArgumentHelp("Pulses in the train.", valueName: "n"))
        var pulses = 10

        @OptionGroup var pulse: PulseOptions

        @Option(name: .customLong("error"), help: ArgumentHelp("Representation error definition: pooled-rms, ml, mae, rmse or relative.", valueName: "kind"))
        var error: ErrorOption = .pooledRMS

        @Option(help: ArgumentHelp("auto (fast where exact, else reference), fast (paper/deterministic models) or reference (one PerovskiteNeuron per neuron).", valueName: "engine"))
        var engine: EngineOption = .auto

        @Option(help: ArgumentHelp("Random seed.", valueName: "n"))
        var seed: UInt64 = 1

        @Option(help: ArgumentHelp("Directory for the CSV files and plots.", valueName: "dir"))
        var output = "neuronhil-out"

        @Flag(name: .customLong("no-plot"), help: "Write the CSV files only.")
        var noPlot = false

        @Flag(help: "Time the Fig. 3d workload (no files written) and print the run time.")
        var bench = false

        @Option(help: ArgumentHelp("Benchmark repetitions (the fastest is reported, as for Brian2).", valueName: "n"))
        var repetitions = 5

        @Option(help: ArgumentHelp("Simulate only block K of N of the simulations (see above).", valueName: "K/N"))
        var shard: ShardArgument?

        func validate() throws {
            guard model != .deterministic else {
                throw ValidationError("--model deterministic: the deterministic population is always simulated alongside; choose paper or device for the stochastic one")
            }
            guard (1...100_000).contains(neurons) else { throw ValidationError("--neurons must be between 1 and 100000 (got \(neurons))") }
            guard (1...1_000_000).contains(simulations) else { throw ValidationError("--simulations must be between 1 and 1000000 (got \(simulations))") }
            guard (1...100_000).contains(pulses) else { throw ValidationError("--pulses must be between 1 and 100000 (got \(pulses))") }
            guard Double(neurons) * Double(simulations) * Double(pulses) <= 2e9 else {
                throw ValidationError("--neurons x --simulations x --pulses is over 2e9 neuron-pulses; use fewer")
            }
            guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
            if shard != nil && bench { throw ValidationError("--shard and --bench: the benchmark times the whole study; drop one") }
            guard pulse.width.duration > .zero, pulse.width.duration < pulse.frequency.frequency.period else {
                throw ValidationError("--width must be positive and shorter than one period (\(Milliseconds.describe(pulse.frequency.frequency.period)) at \(pulse.frequency.frequency))")
            }
            guard pulse.amplitude.voltage.volts.isFinite, pulse.amplitude.voltage.volts >= 0, pulse.amplitude.voltage.volts <= 10 else {
                throw ValidationError("--amplitude must be between 0 and 10 V")
            }
            if engine == .fast && !studyConfiguration.fastApplies {
                throw ValidationError("--engine fast is exact only for the paper model with pulses that keep the switch above threshold (\(model.rawValue), \(pulse.amplitude.voltage)); use --engine auto or reference")
            }
        }

        var studyConfiguration: PopulationStudy.Configuration {
            var c = PopulationStudy.Configuration()
            c.model = model.kind
            c.train = PopulationProtocol(amplitudeVolts: pulse.amplitude.voltage.volts, widthSeconds: pulse.width.duration.seconds,
                                         frequencyHertz: pulse.frequency.frequency.hertz, pulses: pulses)
            c.neurons = neurons
            c.simulations = simulations
            c.seed = seed
            c.measure = error.measure
            c.engine = engine.engine
            return c
        }

        func run() throws {
            let c = studyConfiguration
            if bench { return runBenchmark(c) }
            let tool = "neuronctl \(Neuronctl.version)"
            let start = ContinuousClock.now
            if let shard = shard?.shard {
                let (block, text) = PopulationStudy(c).runShard(shard, tool: tool)
                let path = "\(output)/\(PopulationStudy.shardFileName(shard))"
                try makeOutput()
                try write(text, to: path, flag: "--output")
                print("population shard \(shard): simulations \(block.lowerBound)..<\(block.upperBound) of \(c.simulations) in "
                      + "\(formatted((ContinuousClock.now - start).seconds * 1e3, digits: 1)) ms; file \(path)")
                return
            }
            let result = PopulationStudy(c).run()
            let elapsed = ContinuousClock.now - start
            try makeOutput()
            var files: [String] = []
            for f in result.files(tool: tool) {
                try write(f.text, to: "\(output)/\(f.name)", flag: "--output")
                files.append("\(output)/\(f.name)")
            }
            print(report(result, elapsed: elapsed, files: files))
            if !noPlot { PlotTool.plot(files) }
        }

        func makeOutput() throws {
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            } catch {
                printError("--output \(output): cannot create the directory (\(error.localizedDescription)). Fix: choose a writable directory.")
                throw ExitCode(2)
            }
        }

        func report(_ r: PopulationStudy.Result, elapsed: Duration, files: [String]) -> String {
            let c = r.configuration
            func f(_ x: Double, _ d: Int) -> String { formatted(x, digits: d) }
            var out: [String] = []
            out.append("NeuronHIL population simulation: model \(c.model.rawValue) (\(r.stochastic.engine.rawValue) engine) against deterministic, seed \(c.seed)")
            out.append("protocol            \(c.train.pulses) pulses of \(f(c.train.amplitudeVolts, 3)) V x \(f(c.train.widthSeconds * 1e3, 2)) ms at \(f(c.train.frequencyHertz, 2)) Hz")
            out.append("populations         \(c.neurons) neurons, \(c.simulations) simulations")
            let n = c.neurons, p = c.train.pulses
            let sStats = PopulationAnalysis.codeStatistics(r.stochastic, size: n)
            let dStats = PopulationAnalysis.codeStatistics(r.deterministic, size: n)
            let rateS = sStats.mean[p - 1] / Double(n * p), rateD = dStats.mean[p - 1] / Double(n * p)
            var expected = ""
            if c.model == .paper {
                expected = " (binomial: 1 - exp(-w/6.9 ms) = \(f(1 - Foundation.exp(-c.train.widthSeconds / c.parameters.meanSwitchingBiasSeconds), 3)))"
            }
            out.append("firing per pulse    stochastic \(f(rateS, 3))\(expected), deterministic \(f(rateD, 3))")
            out.append("code after pulse \(p)  stochastic mean \(f(sStats.mean[p - 1], 1)), sd \(f(sStats.sd[p - 1], 1)); deterministic \(f(dStats.mean[p - 1], 1))")
            for m in RepresentationErrorMeasure.allCases {
                guard let (s, d) = r.curves[m] else { continue }
                let mark = m == c.measure ? "*" : " "
                let cross = r.crossovers[m].map { "crossover at N = \($0)" } ?? "no crossover up to N = \(n)"
                out.append("error \(m.rawValue)\(String(repeating: " ", count: max(0, 11 - m.rawValue.count)))\(mark)  N=1: stochastic \(f(s.mean[0], 3)) vs deterministic \(f(d.mean[0], 3)); N=\(n): \(f(s.mean[n - 1], 3)) vs \(f(d.mean[n - 1], 3)); \(cross)")
            }
            let chosen = r.crossover.map(String.init) ?? "none"
            out.append("crossover           \(chosen) (error \(c.measure.rawValue): \(c.measure.explanation); the paper reports about 11)")
            out.append("simulated in        \(f(elapsed.seconds * 1e3, 1)) ms")
            out.append("files               " + files.joined(separator: ", "))
            return out.joined(separator: "\n")
        }

        func runBenchmark(_ c: PopulationStudy.Configuration) {
            var times: [Double] = []
            var crossover: Int?
            var engineUsed = ""
            for _ in 0..<repetitions {
                let start = ContinuousClock.now
                let r = PopulationStudy(c).run()
                times.append((ContinuousClock.now - start).seconds)
                crossover = r.crossover
                engineUsed = r.stochastic.engine.rawValue
            }
            times.sort()
            #if DEBUG
            let build = "debug build: use swift run -c release for meaningful figures"
            #else
            let build = "release build"
            #endif
            print("population benchmark (Fig. 3d workload): model \(c.model.rawValue) + deterministic, \(c.neurons) neurons x \(c.simulations) simulations x \(c.train.pulses) pulses, \(engineUsed) engine, \(build)")
            print("includes simulation of both populations, codes and all three error curves; excludes writing files")
            print("crossover (\(c.measure.rawValue)): \(crossover.map(String.init) ?? "none")")
            print("run time: min \(formatted(times.first! * 1e3, digits: 2)) ms, median \(formatted(times[times.count / 2] * 1e3, digits: 2)) ms over \(repetitions) repetitions")
            print("run_time_s: \(times.first!)")
        }
    }
}

extension PopulationStudy.Configuration {
    var fastApplies: Bool {
        PopulationSimulator(kind: model, parameters: parameters, train: train).fastPathApplies
    }
}
