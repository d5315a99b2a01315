import NeuronControl
import NeuronHAL
import NeuronPhysics

// `simulate population --shard K/N` runs a contiguous block of the simulations and writes what they did, neuron by
// neuron; `neuronctl merge` puts the blocks back together and runs the one analysis (`PopulationStudy.analyse`) on
// them, so the merged files are the unsharded run's byte for byte.

extension PopulationStudy {
    /// The columns of a shard's file: per population, simulation and neuron, the pulses it fired in (one 0 or 1
    /// per pulse) and, for simulation 0, its spike times (seconds, `;`-separated, printed to round-trip exactly).
    static let shardColumns = "population,simulation,neuron,fired,spike_times_s"

    /// The shard's name in `--output`: "population.shard-2-of-4.csv".
    public static func shardFileName(_ shard: Shard) -> String { "population.\(shard.fileTag).csv" }

    /// Simulates the shard's block of simulations; returns the block and the shard's file text. `tool` names the
    /// program, as for the unsharded files.
    public func runShard(_ shard: Shard, tool: String) -> (simulations: Range<Int>, text: String) {
        let c = configuration
        let block = shard.range(of: c.simulations)
        let (stochastic, deterministic) = simulate(block)
        var m = [("neuronhil", "population simulations written by \(tool)")] + c.metadata(engine: stochastic.engine)
        m += [
            ("shard", shard.description),
            ("shard_simulations", "\(block.lowerBound)..<\(block.upperBound) of \(c.simulations)"),
            ("shard_seeds", "seed \(c.seed) mixed (SplitMix64) with the population's model, the simulation's number and, "
                + "in the reference engine, the neuron's: the unsharded run's streams for simulations \(block.lowerBound)..<\(block.upperBound)"),
            ("shard_train", "amplitude_v=\(c.train.amplitudeVolts) width_s=\(c.train.widthSeconds) frequency_hz=\(c.train.frequencyHertz)"),
            ("read_with", "pandas.read_csv(path, comment='#', dtype={'fired': str, 'spike_times_s': str})"),
        ]
        var s = RunRecords.metadataHeader(m) + Self.shardColumns + "\n"
        for (name, run) in [("stochastic", stochastic), ("deterministic", deterministic)] {
            run.fired.withUnsafeBufferPointer { f in
                for (local, sim) in block.enumerated() {
                    for i in 0..<c.neurons {
                        let base = (local * c.neurons + i) * run.pulses
                        let bits = String(decoding: f[base..<base + run.pulses].map { $0 == 0 ? UInt8(ascii: "0") : UInt8(ascii: "1") }, as: UTF8.self)
                        let times = sim == 0 ? run.raster[i].map { "\($0)" }.joined(separator: ";") : ""
                        s += "\(name),\(sim),\(i),\(bits),\(times)\n"
                    }
                }
            }
        }
        return (block, s)
    }

    /// The unsharded run's three files from its shards' files (in shard order).
    static func mergeShards(_ shards: [(Shard, CommentedCSV)]) throws(ShardError) -> [(name: String, text: String)] {
        let (c, engine, tool) = try shardConfiguration(shards[0].1)
        let n = c.neurons, p = c.train.pulses
        var fired = [[UInt8]](repeating: [UInt8](repeating: 0, count: c.simulations * n * p), count: 2)
        var raster = [[[Double]]](repeating: [[Double]](repeating: [], count: n), count: 2)
        var next = 0
        for (shard, csv) in shards {
            guard let text = csv.value("shard_simulations"), let block = simulationBlock(text, of: c.simulations), block.lowerBound == next else {
                throw ShardError("shard \(shard): its shard_simulations line does not continue the blocks before it at \(next). Fix: merge one job's shards.")
            }
            guard csv.rows.count == 2 * block.count * n else {
                throw ShardError("shard \(shard): \(csv.rows.count) rows, but \(block.count) simulations of 2 x \(n) neurons. Fix: rerun the shard (its file is cut short?).")
            }
            for row in csv.rows { try readRow(row, block: block, neurons: n, pulses: p, into: &fired, raster: &raster, shard: shard) }
            next = block.upperBound
        }
        guard next == c.simulations else { throw ShardError("the shards hold simulations 0..<\(next); the job has \(c.simulations).") }
        let deterministicEngine = PopulationSimulator(kind: .deterministic, parameters: c.parameters, train: c.train)
            .resolved(engine == .reference ? .reference : .auto)
        let stochastic = PopulationRun(model: c.model, engine: engine, simulations: c.simulations, neurons: n, pulses: p,
                                       fired: fired[0], raster: raster[0])
        let deterministic = PopulationRun(model: .deterministic, engine: deterministicEngine, simulations: c.simulations, neurons: n,
                                          pulses: p, fired: fired[1], raster: raster[1])
        return analyse(c, stochastic: stochastic, deterministic: deterministic).files(tool: tool)
    }

    /// The study's configuration, the stochastic population's engine and the tool, from a shard's header; checked
    /// by writing the configuration's lines again.
    static func shardConfiguration(_ csv: CommentedCSV) throws(ShardError) -> (Configuration, PopulationEngine, String) {
        guard csv.columns == shardColumns, let header = csv.value("neuronhil"), let by = header.firstRange(of: " written by ") else {
            throw ShardError("shard 1: not a population shard's file (columns or neuronhil line). Fix: give the files --shard wrote.")
        }
        var c = Configuration()
        let train = Dictionary(uniqueKeysWithValues: (csv.value("shard_train") ?? "").split(separator: " ").map {
            (String($0.prefix { $0 != "=" }), Double($0.drop { $0 != "=" }.dropFirst()))
        })
        guard let model = csv.value("model").flatMap(NeuronModelKind.init(rawValue:)),
              let engine = csv.value("engine").flatMap(PopulationEngine.init(rawValue:)),
              let seed = csv.value("seed").flatMap({ UInt64($0) }), let neurons = csv.value("neurons").flatMap({ Int($0) }),
              let simulations = csv.value("simulations").flatMap({ Int($0) }), let pulses = csv.value("pulses").flatMap({ Int($0) }),
              let measure = csv.value("error").flatMap(RepresentationErrorMeasure.init(rawValue:)),
              let amplitude = train["amplitude_v"] ?? nil, let width = train["width_s"] ?? nil, let frequency = train["frequency_hz"] ?? nil,
              neurons >= 1, simulations >= 1, pulses >= 1 else {
            throw ShardError("shard 1: its header lacks a line of the study's configuration. Fix: give the files --shard wrote.")
        }
        c.model = model
        c.engine = engine
        c.seed = seed
        c.neurons = neurons
        c.simulations = simulations
        c.measure = measure
        c.train = PopulationProtocol(amplitudeVolts: amplitude, widthSeconds: width, frequencyHertz: frequency, pulses: pulses)
        for (key, value) in c.metadata(engine: engine) where csv.value(key) != value {
            throw ShardError("shard 1: '\(key): \(csv.value(key) ?? "")' is not what this version writes ('\(value)'). Fix: merge with the neuronctl that ran the shards.")
        }
        return (c, engine, String(header[by.upperBound...]))
    }

    /// "a..<b of total".
    static func simulationBlock(_ text: String, of total: Int) -> Range<Int>? {
        let parts = text.split(separator: " ")
        guard parts.count == 3, parts[1] == "of", Int(parts[2]) == total else { return nil }
        let bounds = parts[0].split(separator: "..<", omittingEmptySubsequences: false)
        guard bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]), 0 <= a, a <= b, b <= total else { return nil }
        return a..<b
    }

    /// One row of a shard: its population's fired pulses (and simulation 0's spike times) into the whole job's.
    static func readRow(_ row: Substring, block: Range<Int>, neurons: Int, pulses: Int, into fired: inout [[UInt8]],
                        raster: inout [[[Double]]], shard: Shard) throws(ShardError) {
        let f = row.split(separator: ",", omittingEmptySubsequences: false)
        guard f.count == 5, let population = ["stochastic", "deterministic"].firstIndex(of: String(f[0])),
              let sim = Int(f[1]), block.contains(sim), let i = Int(f[2]), (0..<neurons).contains(i),
              f[3].utf8.count == pulses, f[3].utf8.allSatisfy({ $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "1") }) else {
            throw ShardError("shard \(shard): row '\(row.prefix(80))' is not a neuron of simulations \(block.lowerBound)..<\(block.upperBound).")
        }
        let base = (sim * neurons + i) * pulses
        for (k, bit) in f[3].utf8.enumerated() { fired[population][base + k] = bit == UInt8(ascii: "1") ? 1 : 0 }
        guard sim == 0, !f[4].isEmpty else { return }
        var times: [Double] = []
        for t in f[4].split(separator: ";") {
            guard let x = Double(t) else { throw ShardError("shard \(shard): spike time '\(t)' is not a number.") }
            times.append(x)
        }
        raster[population][i] = times
    }
}
