public import NeuronPhysics
import NeuronHAL
import NeuronControl

/// The paper's Fig. 3: N stochastic neurons (the paper's constant-rate model, or the device model) against N
/// deterministic ones (switching after exactly 6.9 ms of cumulative bias), all on the same pulse train.
public struct PopulationStudy: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// The stochastic population's model (`.paper` for the paper's result, or `.device`).
        public var model: NeuronModelKind = .paper
        public var parameters = NeuronParameters()
        public var train = PopulationProtocol()
        /// Largest population (Fig. 3b raster and 3c code use this many neurons; Fig. 3d sizes 1...neurons).
        public var neurons = 100
        /// Independent simulations averaged in Fig. 3d.
        public var simulations = 1000
        public var seed: UInt64 = 1
        /// The error definition used for the crossover (all three are computed).
        public var measure: RepresentationErrorMeasure = .pooledRMS
        public var engine: PopulationEngine = .auto
        public init() {}
    }

    public struct Result: Sendable {
        public var configuration: Configuration
        public var stochastic: PopulationRun
        public var deterministic: PopulationRun
        /// Fig. 3d curves per error definition: (stochastic, deterministic).
        public var curves: [RepresentationErrorMeasure: (stochastic: ErrorCurve, deterministic: ErrorCurve)]
        /// The crossover size per error definition (nil: the stochastic population never ends up better).
        public var crossovers: [RepresentationErrorMeasure: Int]

        public var crossover: Int? { crossovers[configuration.measure] }
    }

    public let configuration: Configuration
    public init(_ configuration: Configuration) { self.configuration = configuration }

    public func run() -> Result {
        let (stochastic, deterministic) = simulate(0..<configuration.simulations)
        return Self.analyse(configuration, stochastic: stochastic, deterministic: deterministic)
    }

    /// Both populations for the simulations numbered `block` (all of them, or a shard's).
    func simulate(_ block: Range<Int>) -> (stochastic: PopulationRun, deterministic: PopulationRun) {
        let c = configuration
        let stochastic = PopulationSimulator(kind: c.model, parameters: c.parameters, train: c.train)
            .run(simulations: block, neurons: c.neurons, seed: c.seed, engine: c.engine)
        // All deterministic neurons are identical, but they are simulated like the others (the same engine) so
        // that the comparison runs the same code path.
        let deterministic = PopulationSimulator(kind: .deterministic, parameters: c.parameters, train: c.train)
            .run(simulations: block, neurons: c.neurons, seed: c.seed, engine: c.engine == .reference ? .reference : .auto)
        return (stochastic, deterministic)
    }

    /// Fig. 3d's curves and crossovers from the simulated populations.
    static func analyse(_ c: Configuration, stochastic: PopulationRun, deterministic: PopulationRun) -> Result {
        var curves: [RepresentationErrorMeasure: (stochastic: ErrorCurve, deterministic: ErrorCurve)] = [:]
        var crossovers: [RepresentationErrorMeasure: Int] = [:]
        for m in RepresentationErrorMeasure.allCases {
            let s = PopulationAnalysis.errorCurve(stochastic, measure: m)
            let d = PopulationAnalysis.errorCurve(deterministic, measure: m)
            curves[m] = (s, d)
            crossovers[m] = PopulationAnalysis.crossover(stochastic: s, deterministic: d)
        }
        return Result(configuration: c, stochastic: stochastic, deterministic: deterministic, curves: curves,
                      crossovers: crossovers)
    }
}

extension PopulationStudy.Result {
    /// The files the study writes (Fig. 3b, 3c, 3d), named and with their text; `tool` names the program.
    public func files(tool: String) -> [(name: String, text: String)] {
        [("population-raster.csv", "population-raster", rasterCSV),
         ("population-code.csv", "population-code", codeCSV),
         ("population-error.csv", "population-error", errorCSV)].map { name, figure, text in
            var meta = metadata(name, tool: tool)
            meta.insert(("figure", figure), at: 1)
            return (name, text(meta))
        }
    }

    /// `# key: value` lines describing the study, for every file it writes.
    public func metadata(_ kind: String, tool: String) -> [(String, String)] {
        var m = [("neuronhil", "\(kind) written by \(tool)")] + configuration.metadata(engine: stochastic.engine)
        for e in RepresentationErrorMeasure.allCases {
            m.append(("crossover_\(e.rawValue)", crossovers[e].map(String.init) ?? "none"))
        }
        m.append(("read_with", "pandas.read_csv(path, comment='#')"))
        return m
    }

    /// Fig. 3b: one row per spike of simulation 0.
    public func rasterCSV(metadata: [(String, String)]) -> String {
        var s = RunRecords.metadataHeader(metadata)
        s += "population,neuron,pulse,time_s\n"
        let f = configuration.train.frequencyHertz
        for (name, run) in [("stochastic", stochastic), ("deterministic", deterministic)] {
            for (i, times) in run.raster.enumerated() {
                for t in times {
                    s += "\(name),\(i),\(Int((t * f).rounded(.down))),\(formatted(t, digits: 7))\n"
                }
            }
        }
        return s
    }

    /// Fig. 3c: the code of the full population after each pulse (simulation 0, and mean and SD over simulations).
    public func codeCSV(metadata: [(String, String)]) -> String {
        let n = configuration.neurons
        let s0 = stochastic.code(simulation: 0, size: n)
        let d0 = deterministic.code(simulation: 0, size: n)
        let ss = PopulationAnalysis.codeStatistics(stochastic, size: n)
        let ds = PopulationAnalysis.codeStatistics(deterministic, size: n)
        var s = RunRecords.metadataHeader(metadata)
        s += "pulse,stochastic_code,stochastic_mean,stochastic_sd,deterministic_code,deterministic_mean,deterministic_sd\n"
        for k in 0..<stochastic.pulses {
            s += "\(k + 1),\(s0[k]),\(formatted(ss.mean[k], digits: 4)),\(formatted(ss.sd[k], digits: 4)),"
            s += "\(d0[k]),\(formatted(ds.mean[k], digits: 4)),\(formatted(ds.sd[k], digits: 4))\n"
        }
        return s
    }

    /// Fig. 3d: error against size for every definition (the selected one is named in the metadata).
    public func errorCSV(metadata: [(String, String)]) -> String {
        var s = RunRecords.metadataHeader(metadata)
        s += "measure,size,stochastic_mean,stochastic_sd,deterministic_mean,deterministic_sd,stochastic_gain,deterministic_gain\n"
        for m in RepresentationErrorMeasure.allCases {
            guard let (st, de) = curves[m] else { continue }
            for i in st.sizes.indices {
                s += "\(m.rawValue),\(st.sizes[i]),\(formatted(st.mean[i], digits: 6)),\(formatted(st.sd[i], digits: 6)),"
                s += "\(formatted(de.mean[i], digits: 6)),\(formatted(de.sd[i], digits: 6)),"
                s += "\(formatted(st.gain[i], digits: 6)),\(formatted(de.gain[i], digits: 6))\n"
            }
        }
        return s
    }
}

extension PopulationStudy.Configuration {
    /// The study's `# key: value` lines that describe its configuration (`engine`: the stochastic one's, as run).
    func metadata(engine: PopulationEngine) -> [(String, String)] {
        [
            ("experiment", "population"),
            ("model", model.rawValue),
            ("engine", engine.rawValue),
            ("seed", String(seed)),
            ("neurons", String(neurons)),
            ("simulations", String(simulations)),
            ("amplitude_v", formatted(train.amplitudeVolts, digits: 4)),
            ("width_ms", formatted(train.widthSeconds * 1e3, digits: 4)),
            ("frequency_hz", formatted(train.frequencyHertz, digits: 4)),
            ("pulses", String(train.pulses)),
            ("deterministic_bias_ms", formatted(parameters.meanSwitchingBiasSeconds * 1e3, digits: 4)),
            ("error", measure.rawValue),
            ("error_definition", measure.explanation),
        ]
    }
}
