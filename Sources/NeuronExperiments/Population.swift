#if canImport(Glibc)
import Glibc  // math only
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import NeuronPhysics

// Fig. 3 of the paper: a population of N stochastic neurons against N deterministic ones, driven by the same pulse
// train. The population code after pulse n is the number of spikes the whole population fired in pulses 1...n.
// The neurons are simulated directly with the physics (no board): 1000 simulations of 100 neurons must be fast.

/// The pulse train every neuron of a population receives (the paper's Fig. 2c/3 protocol by default).
public struct PopulationProtocol: Sendable, Hashable {
    /// Pulse amplitude, volts.
    public var amplitudeVolts = 0.75
    /// Pulse width, seconds.
    public var widthSeconds = 5e-3
    /// Pulse frequency, hertz.
    public var frequencyHertz = 33.0
    /// Pulses in the train.
    public var pulses = 10

    public init() {}
    public init(amplitudeVolts: Double, widthSeconds: Double, frequencyHertz: Double, pulses: Int) {
        self.amplitudeVolts = amplitudeVolts
        self.widthSeconds = widthSeconds
        self.frequencyHertz = frequencyHertz
        self.pulses = pulses
    }

    public var periodSeconds: Double { 1 / frequencyHertz }
    /// Rising edge of pulse `k` (0-based), seconds.
    public func pulseStart(_ k: Int) -> Double { Double(k) * periodSeconds }
}

/// How a population is simulated.
public enum PopulationEngine: String, Sendable, CaseIterable {
    /// `fast` where it is exact for the model and protocol (see `PopulationSimulator.fastPathApplies`), else
    /// `reference`.
    case auto
    /// Event-driven, struct-of-arrays: for the paper and deterministic models only (constant switching rate or fixed
    /// bias threshold while biased), one comparison per neuron and pulse.
    case fast
    /// One `PerovskiteNeuron` per neuron, the same physics the simulated board runs: every model, any protocol.
    case reference
}

/// What a simulated population did: for every simulation, neuron and pulse, whether the neuron fired in that pulse
/// (a switch stays on until its pulse ends, so it fires at most once per pulse).
public struct PopulationRun: Sendable {
    public let model: NeuronModelKind
    public let engine: PopulationEngine
    public let simulations: Int
    public let neurons: Int
    public let pulses: Int
    /// fired[(s * neurons + i) * pulses + k] is 1 when neuron i of simulation s fired during pulse k.
    public let fired: [UInt8]
    /// Spike times (seconds from the train's start) of simulation 0, per neuron: the raster of Fig. 3b (no neurons
    /// for a block of simulations without the job's simulation 0).
    public let raster: [[Double]]

    /// The population code of simulation `s` for the first `size` neurons: cumulative spikes after each pulse.
    public func code(simulation s: Int, size: Int) -> [Int] {
        var out = [Int](repeating: 0, count: pulses)
        for i in 0..<size {
            let base = (s * neurons + i) * pulses
            for k in 0..<pulses { out[k] += Int(fired[base + k]) }
        }
        for k in 1..<max(pulses, 1) { out[k] += out[k - 1] }
        return out
    }
}

/// Simulates populations of independent neurons of one model on one pulse train.
public struct PopulationSimulator: Sendable {
    public var kind: NeuronModelKind
    public var parameters: NeuronParameters
    public var train: PopulationProtocol

    public init(kind: NeuronModelKind, parameters: NeuronParameters = NeuronParameters(), train: PopulationProtocol) {
        self.kind = kind
        self.parameters = parameters
        self.train = train
    }

    /// The smallest voltage the switch sees during a pulse while it is off, with the capacitor at its worst case:
    /// the off-state leak V·R_dis/(R_off + R_dis) plus what is left of a full spike after the gap between pulses
    /// (decaying with R_dis·C).
    public var worstCaseSwitchVoltage: Double {
        let p = parameters
        let a = train.amplitudeVolts
        let leak = a * p.dischargeResistanceOhms / (p.offResistanceOhms + p.dischargeResistanceOhms)
        let gap = train.periodSeconds - train.widthSeconds
        let residual = a * exp(-gap / (p.dischargeResistanceOhms * p.capacitanceFarads))
        return a - leak - residual
    }

    /// The fast path is exact when the switching law does not depend on the voltage above threshold (the paper's
    /// constant rate, the deterministic bias threshold) and the switch is above threshold for every whole pulse
    /// (`worstCaseSwitchVoltage` > V_th): then the only question per pulse is whether the bias the neuron still
    /// needs fits into the pulse.
    public var fastPathApplies: Bool {
        kind != .device && train.widthSeconds < train.periodSeconds && worstCaseSwitchVoltage > parameters.thresholdVolts
    }

    /// The engine a run with `engine` uses: `.auto` resolved by `fastPathApplies`.
    public func resolved(_ engine: PopulationEngine) -> PopulationEngine {
        switch engine {
        case .auto: return fastPathApplies ? .fast : .reference
        case .fast:
            precondition(fastPathApplies, "the fast path does not apply to this model and protocol; use .auto")
            return .fast
        case .reference: return .reference
        }
    }

    /// Simulates `simulations` independent populations of `neurons` neurons. Same arguments, same result.
    public func run(simulations: Int, neurons: Int, seed: UInt64, engine: PopulationEngine = .auto) -> PopulationRun {
        precondition(simulations >= 1, "empty population")
        return run(simulations: 0..<simulations, neurons: neurons, seed: seed, engine: engine)
    }

    /// Simulates only the populations numbered `simulations` of a larger job (a shard): each simulation's random
    /// streams come from its number, so they are exactly the ones the whole job draws for it. The run's
    /// simulation 0 is the first of the block; the raster is kept only when the block holds the job's simulation 0.
    public func run(simulations: Range<Int>, neurons: Int, seed: UInt64, engine: PopulationEngine = .auto) -> PopulationRun {
        precondition(simulations.lowerBound >= 0 && neurons >= 1 && train.pulses >= 1, "empty population")
        let useFast = resolved(engine) == .fast
        return useFast ? runFast(simulations, neurons, seed) : runReference(simulations, neurons, seed)
    }

    /// Event-driven struct-of-arrays path. Each neuron holds one number: the bias time it still needs before it
    /// switches. For the paper model that target is drawn as τ·Exp(1) at every reset (a constant rate 1/τ while
    /// biased is a Poisson process, so the bias time to switching is exponential with mean τ); for the
    /// deterministic model it is τ exactly. A pulse of width w either contains the switching instant (target ≤ w:
    /// a spike at pulse start + target; the switch then stays on until the pulse ends, and the reset draws a new
    /// target) or uses up w of it. This is the `PerovskiteNeuron` law solved in closed form instead of integrated
    /// in 50 µs steps; `PopulationTests` checks the two agree statistically.
    func runFast(_ simulations: Range<Int>, _ neurons: Int, _ seed: UInt64) -> PopulationRun {
        let p = train.pulses
        let w = train.widthSeconds
        let tau = parameters.meanSwitchingBiasSeconds
        let deterministic = kind == .deterministic
        var fired = [UInt8](repeating: 0, count: simulations.count * neurons * p)
        var raster = [[Double]](repeating: [], count: simulations.contains(0) ? neurons : 0)
        var remaining = [Double](repeating: 0, count: neurons)
        fired.withUnsafeMutableBufferPointer { out in
            remaining.withUnsafeMutableBufferPointer { need in
                for s in simulations {
                    var rng = SeededGenerator(seed: populationSeed(seed, kind: kind, simulation: s, neuron: 0))
                    for i in 0..<neurons { need[i] = deterministic ? tau : tau * rng.nextExponential() }
                    let base = (s - simulations.lowerBound) * neurons * p
                    for k in 0..<p {
                        // One pass over the population per pulse (the arrays stay in cache).
                        for i in 0..<neurons {
                            let r = need[i]
                            if r <= w {
                                out[base + i * p + k] = 1
                                if s == 0 { raster[i].append(train.pulseStart(k) + r) }
                                need[i] = deterministic ? tau : tau * rng.nextExponential()
                            } else {
                                need[i] = r - w
                            }
                        }
                    }
                }
            }
        }
        return PopulationRun(model: kind, engine: .fast, simulations: simulations.count, neurons: neurons, pulses: p,
                             fired: fired, raster: raster)
    }

    /// One `PerovskiteNeuron` per neuron, driven edge by edge: the physics of the simulated board, any model.
    func runReference(_ simulations: Range<Int>, _ neurons: Int, _ seed: UInt64) -> PopulationRun {
        let p = train.pulses
        var fired = [UInt8](repeating: 0, count: simulations.count * neurons * p)
        var raster = [[Double]](repeating: [], count: simulations.contains(0) ? neurons : 0)
        for s in simulations {
            for i in 0..<neurons {
                var neuron = PerovskiteNeuron(kind: kind, parameters: parameters,
                                              seed: populationSeed(seed, kind: kind, simulation: s, neuron: i + 1))
                let base = ((s - simulations.lowerBound) * neurons + i) * p
                for k in 0..<p {
                    let before = neuron.spikeCount
                    let t0 = train.pulseStart(k)
                    neuron.setInput(train.amplitudeVolts, at: t0)
                    neuron.setInput(0, at: t0 + train.widthSeconds)
                    if neuron.spikeCount > before {
                        fired[base + k] = 1
                        if s == 0, let e = neuron.lastEvent { raster[i].append(e.time) }
                    }
                }
            }
        }
        return PopulationRun(model: kind, engine: .reference, simulations: simulations.count, neurons: neurons, pulses: p,
                             fired: fired, raster: raster)
    }
}

/// A seed for simulation `s`, neuron `i` of a population of `kind`: SplitMix64 finalisers over the inputs, so
/// streams for different simulations, neurons and models do not overlap in any way that matters.
func populationSeed(_ seed: UInt64, kind: NeuronModelKind, simulation: Int, neuron: Int) -> UInt64 {
    func mix(_ x: UInt64) -> UInt64 { SplitMix64.finalize(x &+ SplitMix64.increment) }
    let tag: UInt64 = switch kind {
    case .device: 1
    case .paper: 2
    case .deterministic: 3
    }
    return mix(mix(mix(seed ^ (tag << 56)) &+ UInt64(simulation)) &+ UInt64(neuron))
}
