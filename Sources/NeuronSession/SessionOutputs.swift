import NeuronBoard
import NeuronControl
import NeuronHAL
import NeuronLinux
import NeuronSinks
import Foundation

/// Where a session's records go: the output directory and its files (each channel's streamed trace, the spike
/// record), the other spike sinks (JSON lines, jAER UDP), the forwarder that feeds them (jAER UDP from the loop's own
/// thread, the others off it), and the header lines every file starts with. Files are created in `init`, once the plan has been checked.
final class SessionOutputs {
    /// Per channel of the plan.
    private(set) var traceStreams: [TraceStream?] = []
    private(set) var traceWriters: [TraceFileWriter] = []
    private(set) var forwarder: SpikeForwarder?
    /// The files by kind: trace (or trace-neuron<ID>), spikes, summary, record.
    private(set) var files: [String: String] = [:]
    let realtimeOptions: RealtimeOptions
    /// The `# key: value` header lines (without the first, which says what the file is).
    let header: [(String, String)]

    /// `header`: what `SessionOutputs.header` says about the run (the session also shows it in the live view).
    init(_ plan: SessionPlan, header: [(String, String)], neuronIDs: [Int], limits: StimulusLimits, timed: Bool,
         extraSinks: [any SpikeSink] = []) throws(SessionError) {
        self.header = header
        let timingClock: (any MonotonicClock & Sendable)? = timed ? LinuxClock() : nil
        realtimeOptions = RealtimeOptions(timingClock: timingClock, overrunPolicy: plan.realtime.overrunPolicy)
        let out = plan.outputs
        // The output directory first: a recording may be meant to go inside it.
        if let dir = out.directory { try Self.makeDirectory(dir) }
        if let record = out.recording { try Self.checkWritable(record, flag: "--record") }
        var sinks: [any SpikeSink] = extraSinks
        traceStreams = Array(repeating: nil, count: neuronIDs.count)
        do {
            if let dir = out.directory {
                files["summary"] = dir + "/summary.json"
                let spikes = out.spikesPath ?? dir + "/spikes.csv"
                files["spikes"] = spikes
                if out.trace { try openTraces(plan, directory: dir, neuronIDs: neuronIDs, limits: limits, timed: timed) }
                sinks.append(try CSVSpikeSink(path: spikes, metadata: [("neuronhil", "spike record written by \(plan.tool)")] + header))
            }
            if let path = out.jsonLines { sinks.append(try JSONLinesSink(path: path)) }
            if let path = out.aedat {
                sinks.append(try AEDATSpikeSink(path: path, comments: ["neuronhil: spike events written by \(plan.tool)"] + header.map { "\($0.0): \($0.1)" }))
                files["aedat"] = path
            }
            for d in out.udp { sinks.append(try UDPJAERSink(host: d.host, port: d.port, clock: timingClock)) }
        } catch let e as SessionError {
            throw e
        } catch {
            throw SessionError(String(describing: error))
        }
        if let record = out.recording { files["record"] = record }
        let polls = plan.realtime.forwarderPolls && timed
        forwarder = sinks.isEmpty ? nil : SpikeForwarder(sinks: sinks, clock: timingClock, waiting: polls ? .poll : .block,
                                                         waitsWhenFull: !timed)
    }

    /// One trace file per channel: `trace.csv` for one neuron, `trace-neuron<ID>.csv` for several (`.npy` for NPY).
    private func openTraces(_ plan: SessionPlan, directory dir: String, neuronIDs: [Int], limits: StimulusLimits, timed: Bool) throws {
        let format = plan.outputs.traceFormat, ext = format.fileExtension
        if plan.outputs.tracePath != nil && neuronIDs.count > 1 {
            throw SessionError("--trace names one file, and this run has \(neuronIDs.count) neurons. Fix: drop --trace; the traces go to \(dir)/trace-neuron<ID>.\(ext)")
        }
        if format == .npy { try Self.checkNPYStimulus(limits, board: plan.board) }
        for (i, id) in neuronIDs.enumerated() {
            let one = neuronIDs.count == 1
            let key = one ? "trace" : "trace-neuron\(id)"
            let path = one ? plan.outputs.tracePath ?? "\(dir)/trace.\(ext)" : "\(dir)/\(key).\(ext)"
            // A run that is not real time waits for the writer instead of dropping rows.
            let stream = TraceStream(waitsWhenFull: !timed)
            var meta = header
            if !one { meta.append(("trace_of_neuron", String(id))) }
            traceWriters.append(try TraceFileWriter(path: path, format: format,
                                                    metadata: [("neuronhil", "capacitor trace written by \(plan.tool)")] + meta, stream: stream))
            traceStreams[i] = stream
            files[key] = path
        }
    }

    /// The NPY trace keeps the stimulus in 0.1 mV as int16: every voltage the board's limits allow must fit.
    static func checkNPYStimulus(_ limits: StimulusLimits, board: String) throws(SessionError) {
        let reach = max(abs(limits.voltage.lowerBound.volts), abs(limits.voltage.upperBound.volts))
        guard reach <= NPYTraceRow.stimulusLimit else {
            throw SessionError("--trace-format npy: \(board) allows stimuli up to \(formatted(reach, digits: 4)) V, and the NPY trace holds "
                               + "±\(formatted(NPYTraceRow.stimulusLimit, digits: 4)) V (int16 in 0.1 mV). Fix: use --trace-format csv on this board.")
        }
    }

    static func makeDirectory(_ dir: String) throws(SessionError) {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw SessionError("--output \(dir): cannot create the directory (\(error.localizedDescription)). Fix: choose a writable directory.")
        }
    }

    static func checkWritable(_ path: String, flag: String) throws(SessionError) {
        let probe = path + ".partial"
        guard FileManager.default.createFile(atPath: probe, contents: nil) else {
            throw SessionError("\(flag) \(path): cannot write there. Fix: choose a path in an existing, writable directory.")
        }
        try? FileManager.default.removeItem(atPath: probe)
    }

    /// What every file's header says about the run. Deterministic: no dates, no host.
    static func header(_ plan: SessionPlan, board: BoardDescription, runtime: BoardRuntime, neuronIDs: [Int],
                       detector d: DetectorConfiguration) -> [(String, String)] {
        var m: [(String, String)] = [
            ("board", "\(board.board.name) (\(plan.board))"),
            ("simulated", String(board.board.simulated)),
        ]
        if let sim = runtime.simulation { m += [("model", sim.model.rawValue), ("seed", String(sim.seed))] }
        m.append((neuronIDs.count == 1 ? "neuron" : "neurons", neuronIDs.map(String.init).joined(separator: ", ")))
        if neuronIDs.count == 1, case .train(let t) = plan.channels[0].stimulus {
            m += [
                ("amplitude_v", formatted(t.amplitude.volts, digits: 4)),
                ("width_ms", formatted(t.width.seconds * 1e3, digits: 4)),
                ("frequency_hz", formatted(t.frequency.hertz, digits: 4)),
                ("pulses", String(t.count)),
            ]
        }
        m.append(("sample_rate_hz", formatted(plan.sampleRate.hertz, digits: 2)))
        m += plan.protocolInfo.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        m.append(("detector", "threshold \(d.threshold.volts) V, rearm \(d.rearm.volts) V, smoothing \(d.smoothingWindow) samples, refractory \(d.refractory.seconds * 1e3) ms"))
        m.append(("read_with", "pandas.read_csv(path, comment='#')"))
        return m
    }

    func startWriters() {
        for w in traceWriters { w.start() }
    }

    /// Joins the trace writers; what they could not write, by file.
    func finishWriters() -> [String] {
        traceWriters.compactMap { w in w.finish().error.map { "--trace \(w.path): \($0.description)" } }
    }
}
