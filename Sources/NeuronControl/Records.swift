import NeuronHAL

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

    /// time_s, stimulus_v, membrane_v, pulse: one row per sample, as the streamed trace file has them.
    public static func traceCSV(_ trace: ChannelTrace, metadata: [(String, String)]) -> String {
        var s = metadataHeader(metadata)
        s.reserveCapacity(s.utf8.count + trace.count * 40)
        s += traceHeader
        for i in 0..<trace.count {
            appendTraceRow(TraceSample(time: trace.time[i], stimulus: Float(trace.stimulus[i]), membrane: Float(trace.membrane[i]),
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
