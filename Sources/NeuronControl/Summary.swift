import NeuronHAL

/// Count, mean, standard deviation and range of a set of values, as a summary reports them.
public struct Stats: Sendable, Hashable, Codable {
    public var count: Int
    public var mean: Double
    public var sd: Double
    public var min: Double
    public var max: Double
    public init(_ s: RunningStats) {
        count = s.count
        mean = s.mean
        sd = s.sd
        min = s.min
        max = s.max
    }
}

/// The figures a person reads about one neuron after a run.
public struct ChannelSummary: Sendable, Hashable, Codable {
    public var neuron: Int
    public var pulsesApplied: Int
    public var spikes: Int
    /// Pulses that carried at least one spike, and their share of the pulses applied.
    public var firedPulses: Int
    public var firingProbabilityPerPulse: Double
    /// Spikes that reached their plateau before the pulse ended, and those cut short (see the detector).
    public var fullyFormedSpikes: Int
    public var partialSpikes: Int
    public var spikesPerSecond: Double
    /// Bias time before each spike, milliseconds.
    public var biasTimeMs: Stats
    /// Peak voltage of every spike, volts.
    public var peakVolts: Stats
    /// Energy ½CV² of every spike, and of the fully formed ones only, picojoules.
    public var energyPJ: Stats
    public var fullyFormedEnergyPJ: Stats
    /// Samples skipped because every read of this membrane failed (the bus-fault policy).
    public var skippedSamples: Int
    /// Trace rows lost because the trace file's writer was behind (0 unless the disk stalled for seconds).
    public var traceSamplesDropped: Int

    // "Pj" in the raw values: the summary is written with `convertToSnakeCase` (energy_pj) and read back with
    // `convertFromSnakeCase`, which gives "energyPj", not "energyPJ".
    enum CodingKeys: String, CodingKey {
        case neuron, pulsesApplied, spikes, firedPulses, firingProbabilityPerPulse, fullyFormedSpikes, partialSpikes,
             spikesPerSecond, biasTimeMs, peakVolts, skippedSamples, traceSamplesDropped
        case energyPJ = "energyPj", fullyFormedEnergyPJ = "fullyFormedEnergyPj"
    }

    public init(_ o: ChannelOutcome, elapsed: Duration) {
        let s = o.statistics
        neuron = o.id
        pulsesApplied = o.pulsesApplied
        spikes = s.spikes
        firedPulses = s.firedPulses
        firingProbabilityPerPulse = o.pulsesApplied > 0 ? Double(s.firedPulses) / Double(o.pulsesApplied) : 0
        fullyFormedSpikes = s.fullyFormed
        partialSpikes = s.spikes - s.fullyFormed
        spikesPerSecond = elapsed > .zero ? Double(s.spikes) / elapsed.seconds : 0
        biasTimeMs = Stats(s.biasTimeMs)
        peakVolts = Stats(s.peakVolts)
        energyPJ = Stats(s.energyPJ)
        fullyFormedEnergyPJ = Stats(s.fullyFormedEnergyPJ)
        skippedSamples = o.skippedSamples
        traceSamplesDropped = o.traceSamplesDropped
    }
}

/// The figures of a whole run, one `ChannelSummary` per neuron: the same shape for `run`, `sense` and `network`.
public struct RunSummary: Sendable, Hashable, Codable {
    public var samples: Int
    public var elapsedSeconds: Double
    public var channels: [ChannelSummary]
    /// How the run ended, and whether every DAC reached its safe state.
    public var termination: String
    public var safeState: String
    /// Wake-up latency, tick duration and overruns (`timed` is false for a simulated board run flat out).
    public var timing: LoopTimingReport
    /// Bus faults by kind and what they cost (retries, skipped samples), and whether they ended the run.
    public var busFaults: BusFaultReport
    public var routedPulsesDropped: Int
    public var externalSpikesReceived: Int
    /// Pulses and spikes beyond the in-memory record (applied, forwarded and in the files; not in the result).
    public var pulsesNotRecorded: Int
    public var spikesNotRecorded: Int

    public init(_ r: EngineResult) {
        samples = r.samples
        elapsedSeconds = r.elapsed.seconds
        channels = r.channels.map { ChannelSummary($0, elapsed: r.elapsed) }
        termination = Self.describe(r.termination, busFaults: r.busFaults)
        safeState = switch r.safeState {
        case .reached: r.channels.count == 1 ? "reached (DAC at 0 V, powered down)" : "reached (every DAC at 0 V, powered down)"
        case .failed(let e): "FAILED: \(e)"
        }
        timing = r.timing
        busFaults = r.busFaults
        routedPulsesDropped = r.droppedPulses
        externalSpikesReceived = r.externalSpikes
        pulsesNotRecorded = r.pulsesNotRecorded
        spikesNotRecorded = r.spikesNotRecorded
    }

    /// How a run ended, in the summary's words.
    public static func describe(_ t: Termination, busFaults: BusFaultReport = .none) -> String {
        switch t {
        case .completed: "completed"
        case .stopped(let s): s.map { "stopped by signal \($0)" } ?? "stopped"
        case .failed(let e) where busFaults.stoppedByPolicy: "stopped by the bus-fault policy (\(busFaults.policy)): \(e)"
        case .failed(let e): "failed: \(e)"
        case .overrunStorm(let n): "stopped by the overrun policy after \(n) consecutive overruns"
        }
    }
}
