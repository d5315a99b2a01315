/// Count, mean, standard deviation and range of a stream of values, in one pass (Welford's update), so a run's
/// summary needs no list of its spikes: memory stays the same however long the run.
public struct RunningStats: Sendable, Hashable {
    public private(set) var count = 0
    public private(set) var mean = 0.0
    private var m2 = 0.0
    public private(set) var min = 0.0
    public private(set) var max = 0.0
    public init() {}

    @inline(__always)
    public mutating func add(_ x: Double) {
        count += 1
        if count == 1 {
            min = x
            max = x
        } else {
            min = Swift.min(min, x)
            max = Swift.max(max, x)
        }
        let delta = x - mean
        mean += delta / Double(count)
        m2 += delta * (x - mean)
    }

    /// Population standard deviation (0 for fewer than two values).
    public var sd: Double { count > 1 ? (m2 / Double(count)).squareRoot() : 0 }
}

/// The figures of one channel's complete spikes, kept as they happen: what the summary reports per neuron. Plain
/// numbers, updated in the loop per complete spike without allocating.
public struct SpikeStatistics: Sendable, Hashable {
    public private(set) var spikes = 0
    public private(set) var fullyFormed = 0
    /// Pulses that carried at least one spike.
    public private(set) var firedPulses = 0
    private var lastFiredPulse = -1
    /// Bias time before each spike (ms), peak (V), energy ½CV² (pJ) of every spike and of the fully formed ones.
    public private(set) var biasTimeMs = RunningStats()
    public private(set) var peakVolts = RunningStats()
    public private(set) var energyPJ = RunningStats()
    public private(set) var fullyFormedEnergyPJ = RunningStats()
    public init() {}

    /// The statistics of `spikes`, in order.
    public init(_ spikes: some Sequence<SpikeEvent>) {
        for s in spikes { add(s) }
    }

    /// Adds a complete spike. A channel's spikes come in time order, so its pulse indices never decrease: a new
    /// index is a newly fired pulse.
    public mutating func add(_ e: SpikeEvent) {
        spikes += 1
        if e.fullyFormed {
            fullyFormed += 1
            fullyFormedEnergyPJ.add(e.energy.picojoules)
        }
        if e.pulseIndex >= 0 && e.pulseIndex != lastFiredPulse {
            firedPulses += 1
            lastFiredPulse = e.pulseIndex
        }
        biasTimeMs.add(e.biasTime.seconds * 1e3)
        peakVolts.add(e.peak.volts)
        energyPJ.add(e.energy.picojoules)
    }
}
