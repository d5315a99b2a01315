import NeuronHAL

/// The figures a person reads after a run, computed from a `RunResult`.
public struct LegacyRunSummary: Sendable, Hashable, Codable {
    public struct Stats: Sendable, Hashable, Codable {
        public var count: Int
        public var mean: Double
        public var sd: Double
        public var min: Double
        public var max: Double
        public init(_ values: [Double]) {
            count = values.count
            guard !values.isEmpty else { mean = 0; sd = 0; min = 0; max = 0; return }
            let m = values.reduce(0, +) / Double(values.count)
            mean = m
            sd = (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count)).squareRoot()
            min = values.min()!
            max = values.max()!
        }
    }

    public var pulsesApplied: Int
    public var samples: Int
    public var spikes: Int
    /// Pulses that carried at least one spike.
    public var firedPulses: Int
    /// firedPulses / pulsesApplied.
    public var firingProbabilityPerPulse: Double
    /// Spikes that reached their plateau before the pulse ended, and those cut short (see the detector).
    public var fullyFormedSpikes: Int
    public var partialSpikes: Int
    /// Bias time before each spike, milliseconds.
    public var biasTimeMs: Stats
    /// Peak voltage of every spike, volts.
    public var peakVolts: Stats
    /// Energy ½CV² of every spike, and of the fully formed ones only, picojoules.
    public var energyPJ: Stats
    public var fullyFormedEnergyPJ: Stats
    public var elapsedSeconds: Double
    public var termination: String
    public var safeState: String
    /// Wake-up latency, tick duration and overruns (`timed` is false for a simulated board run flat out).
    public var timing: LoopTimingReport
    /// Bus faults by kind and what they cost (retries, skipped samples), and whether they ended the run.
    public var busFaults: BusFaultReport
    /// Trace rows lost because the trace file's writer was behind (0 unless the disk stalled for seconds).
    public var traceSamplesDropped: Int

    public init(_ r: RunResult) {
        pulsesApplied = r.pulsesApplied
        samples = r.samples
        spikes = r.spikes.count
        var pulses = Set<Int>()
        for s in r.spikes where s.pulseIndex >= 0 { pulses.insert(s.pulseIndex) }
        firedPulses = pulses.count
        firingProbabilityPerPulse = r.pulsesApplied > 0 ? Double(firedPulses) / Double(r.pulsesApplied) : 0
        fullyFormedSpikes = r.spikes.filter(\.fullyFormed).count
        partialSpikes = r.spikes.count - fullyFormedSpikes
        biasTimeMs = Stats(r.spikes.map { $0.biasTime.seconds * 1e3 })
        peakVolts = Stats(r.spikes.map(\.peak.volts))
        energyPJ = Stats(r.spikes.map(\.energy.picojoules))
        fullyFormedEnergyPJ = Stats(r.spikes.filter(\.fullyFormed).map(\.energy.picojoules))
        elapsedSeconds = r.elapsed.seconds
        switch r.termination {
        case .completed: termination = "completed"
        case .stopped(let signal): termination = signal.map { "stopped by signal \($0)" } ?? "stopped"
        case .failed(let e) where r.busFaults.stoppedByPolicy:
            termination = "stopped by the bus-fault policy (\(r.busFaults.policy)): \(e)"
        case .failed(let e): termination = "failed: \(e)"
        case .overrunStorm(let n): termination = "stopped by the overrun policy after \(n) consecutive overruns"
        }
        timing = r.timing
        busFaults = r.busFaults
        traceSamplesDropped = r.traceSamplesDropped
        switch r.safeState {
        case .reached: safeState = "reached (DAC at 0 V, powered down)"
        case .failed(let e): safeState = "FAILED: \(e)"
        }
    }
}

/// CSV files with a metadata header of `# key: value` lines. pandas reads them with
/// `pandas.read_csv(path, comment="#")`; every row has the same columns and plain decimal numbers.
/// Output depends only on the inputs (no dates, no host names), so the same seed gives the same bytes.
public enum RunRecords {
    public static func metadataHeader(_ metadata: [(String, String)]) -> String {
        var s = ""
        for (k, v) in metadata {
            s += "# \(k): \(v.replacing("\n", with: " "))\n"
        }
        return s
    }

    /// The trace's column names.
    public static let traceHeader = "time_s,stimulus_v,membrane_v,pulse\n"

    /// time_s, stimulus_v, membrane_v, pulse: one row per sample.
    public static func traceCSV(_ trace: Trace, metadata: [(String, String)]) -> String {
        var s = metadataHeader(metadata)
        s.reserveCapacity(s.utf8.count + trace.count * 40)
        s += traceHeader
        for i in 0..<trace.count {
            appendTraceRow(TraceSample(time: trace.time[i], stimulus: trace.stimulus[i], membrane: trace.membrane[i],
                                       pulse: trace.pulse[i]), to: &s)
        }
        return s
    }

    /// One trace row, newline included, appended to `s` (the streamed trace file and `traceCSV` share it, so
    /// both give the same bytes).
    public static func appendTraceRow(_ r: TraceSample, to s: inout String) {
        s += formatted(Double(r.time) * 1e-9, digits: 7)
        s += ","
        s += formatted(Double(r.stimulus), digits: 4)
        s += ","
        s += formatted(Double(r.membrane), digits: 6)
        s += ","
        s += String(r.pulse)
        s += "\n"
    }

    /// The spike record's column names.
    public static let spikeHeader = "spike,channel,pulse,onset_s,crossing_s,peak_time_s,bias_time_ms,peak_v,energy_pj,fully_formed\n"

    /// One row of the spike record (a complete spike), newline included.
    public static func spikeRow(_ e: SpikeEvent) -> String {
        var s = "\(e.index),\(e.channel),\(e.pulseIndex),"
        s += formatted(Double(e.onset) * 1e-9, digits: 7) + ","
        s += formatted(Double(e.crossing) * 1e-9, digits: 7) + ","
        s += formatted(Double(e.peakTime) * 1e-9, digits: 7) + ","
        s += formatted(e.biasTime.seconds * 1e3, digits: 4) + ","
        s += formatted(e.peak.volts, digits: 6) + ","
        s += formatted(e.energy.picojoules, digits: 3) + ","
        s += (e.fullyFormed ? "1" : "0") + "\n"
        return s
    }

    /// One row per spike.
    public static func spikesCSV(_ spikes: [SpikeEvent], metadata: [(String, String)]) -> String {
        var s = metadataHeader(metadata)
        s += spikeHeader
        for e in spikes { s += spikeRow(e) }
        return s
    }
}
