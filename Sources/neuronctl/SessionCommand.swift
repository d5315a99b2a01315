import ArgumentParser
import Foundation
import NeuronControl
import NeuronHAL
import NeuronNetwork
import NeuronSession

// What `run`, `sense` and `network` share: the flags that fill a `SessionPlan` (outputs, sampling, real time, bus
// faults), running the session, and the outcome as text or JSON and an exit status.

/// An error the CLI reports as it is (already naming the place and the fix), with an exit code.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32 = 2
}

/// Where a run's records go; every command that runs neurons has all of them.
struct OutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Directory for trace.csv (trace-neuron<ID>.csv per neuron when there are several), spikes.csv and summary.json.", valueName: "dir"))
    var output = "neuronhil-out"

    @Option(help: ArgumentHelp("Trace file of a one-neuron run (default: <output>/trace.csv).", valueName: "file"))
    var trace: String?

    @Option(help: ArgumentHelp("Spike record file (default: <output>/spikes.csv).", valueName: "file"))
    var spikes: String?

    @Flag(name: .customLong("no-trace"), help: "Do not record the capacitor trace.")
    var noTrace = false

    @Option(help: ArgumentHelp("Also send each spike as a jAER UDP datagram to HOST:PORT (e.g. 127.0.0.1:8991).", valueName: "host:port"))
    var udp: String?

    @Option(help: ArgumentHelp("Also write every spike event as JSON lines to FILE ('-' for standard output).", valueName: "file"))
    var jsonl: String?

    @Option(help: ArgumentHelp("Also write every spike as a jAER AEDAT 2.0 event to FILE (address: neuron, timestamp: us).", valueName: "file"))
    var aedat: String?

    @Option(name: .customLong("spike-out-width"), help: ArgumentHelp("Width of the pulse on the board's spike-out line per spike (0 disables it).", valueName: "us"))
    var spikeOutWidth = DurationArgument<Microseconds>(.microseconds(500))

    func validate() throws {
        if let udp, UDPDestination(udp) == nil {
            throw ValidationError("--udp \(udp): expected HOST:PORT with an IPv4 address and a port 1-65535, e.g. 127.0.0.1:8991")
        }
    }

    func apply(to o: inout OutputPlan) {
        o.directory = output
        o.trace = !noTrace
        o.tracePath = trace
        o.spikesPath = spikes
        o.jsonLines = jsonl
        o.aedat = aedat
        if let udp, let d = UDPDestination(udp) { o.udp.append(NetworkFile.Endpoint(host: d.host, port: d.port)) }
        o.spikeOutWidth = spikeOutWidth.duration
    }
}

/// The flags of every command that runs neurons, besides what drives them.
struct SessionFlags: ParsableArguments {
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var outputs: OutputOptions
    @OptionGroup var reporting: ReportOptions
    @OptionGroup var realtimeFlags: RealtimeFlags
    @OptionGroup var busFaults: BusFaultOptions

    /// A plan for `command` on `board` with these flags.
    func plan(_ command: String, board: String, channels: [ChannelPlan]) -> SessionPlan {
        var p = SessionPlan(command: command, tool: "neuronctl \(Neuronctl.version)", board: board, channels: channels)
        p.sampleRate = sampling.sampleRate.frequency
        p.simulation = SimulationPlan(seed: sampling.seed, model: sampling.model?.kind, faults: busFaults.injectFaults?.injection)
        outputs.apply(to: &p.outputs)
        p.outputs.recording = reporting.record
        p.realtime = realtimeFlags.plan
        p.faultPolicy = busFaults.policy
        return p
    }
}

/// Runs `plan` to its end or a signal (SIGINT, SIGTERM, SIGHUP stop it through the safe state), prints the outcome
/// (text, or the summary JSON with `json`) and ends with the run's exit status.
func execute(_ plan: SessionPlan, json: Bool) throws {
    let session: Session
    do {
        session = try Session(plan, stop: processStop, messages: printMessage)
    } catch {
        printError(error.description)
        throw ExitCode(error.exitCode)
    }
    installStopHandlers()
    let outcome = session.run()
    if json {
        do { print(try outcome.summary.jsonText()) } catch {
            printError("cannot encode the summary (\(error)). Fix: report this as a bug.")
            throw ExitCode(2)
        }
    } else {
        print(summaryText(outcome))
    }
    if outcome.exitStatus != 0 { throw ExitCode(outcome.exitStatus) }
}

@Sendable func printMessage(_ m: SessionMessage) {
    switch m {
    case .info(let s): FileHandle.standardError.write(Data((s + "\n").utf8))
    case .note(let s): printError("note: " + s)
    case .warning(let s): printWarning(s)
    case .error(let s): printError(s)
    }
}

/// The outcome as a person reads it: the run, each neuron's figures (and the first spikes of a one-neuron run), the
/// loop's timing, the sinks, bus faults, how it ended and what the DACs read back.
func summaryText(_ o: SessionOutcome) -> String {
    let s = o.summary, r = s.result
    func f(_ x: Double, _ d: Int) -> String { formatted(x, digits: d) }
    var out = ["NeuronHIL \(s.command) on board \(s.board.name) (\(s.board.file))"
               + (s.board.simulated ? ", simulated: model \(s.board.model ?? "?"), seed \(s.board.seed ?? 0)" : "")]
    out.append("protocol            " + protocolLine(s))
    out.append("samples             \(r.samples) in \(f(r.elapsedSeconds, 3)) s")
    for c in r.channels {
        if r.channels.count > 1 { out.append("neuron \(c.neuron)") }
        out += channelLines(c)
    }
    if r.channels.count == 1, !o.result.spikes.isEmpty { out += spikeTable(o.result.spikes, more: r.channels[0].spikes, files: s.files) }
    if r.externalSpikesReceived > 0 { out.append("external spikes     \(r.externalSpikesReceived) received") }
    if let u = s.udpInput {
        out.append("jAER input          \(u.datagrams) datagrams from peers (\(u.peers.joined(separator: ", "))), \(u.lostDatagrams) lost "
                   + "(\(u.sequenceGaps) sequence gaps), \(u.malformedDatagrams) malformed; \(u.refusedDatagrams) refused from other senders")
    }
    if r.routedPulsesDropped > 0 { out.append("routed pulses       \(r.routedPulsesDropped) dropped (queue full)") }
    out += timingLines(r.timing)
    for sink in s.forwarding?.sinks ?? [] {
        var line = "sink \(sink.name): delivered \(sink.delivered), dropped \(sink.dropped), failed \(sink.failures)"
        if let l = sink.latencyMicros, l.count > 0 { line += "; latency p50 \(f(l.p50, 1)) us, p99 \(f(l.p99, 1)) us, max \(f(l.max, 1)) us" }
        if let e = sink.lastError { line += "; last error: \(e)" }
        out.append(line)
    }
    if let h = s.forwarding?.handoffMicros, h.count > 0 {
        out.append("forwarder hand-over p50 \(f(h.p50, 1)) us, p99 \(f(h.p99, 1)) us, max \(f(h.max, 1)) us (from the loop's stamp to the forwarding thread; part of each sink's latency)")
    }
    if let drops = s.forwarding?.droppedAtLoop, drops > 0 { out.append("forwarding ring     \(drops) events dropped (forwarder behind)") }
    if let line = busFaultLine(r.busFaults) { out.append(line) }
    out.append("ended               \(r.termination)")
    out.append("safe state          \(([r.safeState] + s.dacReadBack.map { (r.channels.count > 1 ? "neuron \($0.neuron) " : "") + $0.text }).joined(separator: "; "))")
    if let rt = s.realtime { out.append(realtimeLine(rt)) }
    let order = s.files.keys.filter { $0.hasPrefix("trace") }.sorted() + ["spikes", "aedat", "summary", "record"]
    let files = order.compactMap { s.files[$0] }
    if !files.isEmpty { out.append("files               " + files.joined(separator: ", ")) }
    return out.joined(separator: "\n")
}

func protocolLine(_ s: SessionSummary) -> String {
    let p = s.protocolInfo
    if let a = p["amplitude_v"].flatMap(Double.init), let w = p["width_ms"].flatMap(Double.init),
       let hz = p["frequency_hz"].flatMap(Double.init), let n = p["pulses"] {
        return "\(n) pulses of \(formatted(a, digits: 3)) V x \(formatted(w, digits: 2)) ms at \(formatted(hz, digits: 2)) Hz, "
            + "sampled at \(formatted(s.sampleRateHz, digits: 0)) Hz"
    }
    let keys = ["network", "source", "coding", "mapping", "range", "output_range", "listen", "send"].filter { p[$0] != nil }
    return (keys.map { "\($0) \(p[$0]!)" } + ["sampled at \(formatted(s.sampleRateHz, digits: 0)) Hz"]).joined(separator: ", ")
}

func channelLines(_ c: ChannelSummary) -> [String] {
    func f(_ x: Double, _ d: Int) -> String { formatted(x, digits: d) }
    var out = [
        "pulses applied      \(c.pulsesApplied)",
        "spikes              \(c.spikes) (fully formed \(c.fullyFormedSpikes), partial \(c.partialSpikes): cut short by the pulse end)",
        "firing probability  \(f(c.firingProbabilityPerPulse, 3)) per pulse (\(c.firedPulses) of \(c.pulsesApplied) pulses fired)",
    ]
    if c.spikes > 0 {
        out.append("bias time           mean \(f(c.biasTimeMs.mean, 2)) ms, sd \(f(c.biasTimeMs.sd, 2)) ms, range \(f(c.biasTimeMs.min, 2))-\(f(c.biasTimeMs.max, 2)) ms")
        out.append("peak voltage        mean \(f(c.peakVolts.mean, 3)) V, range \(f(c.peakVolts.min, 3))-\(f(c.peakVolts.max, 3)) V")
        let full = c.fullyFormedEnergyPJ
        let fullText = full.count == 0 ? "none fully formed" : "fully formed: mean \(f(full.mean, 1)) pJ, range \(f(full.min, 1))-\(f(full.max, 1)) pJ"
        out.append("energy (1/2 CV^2)   mean \(f(c.energyPJ.mean, 1)) pJ, range \(f(c.energyPJ.min, 1))-\(f(c.energyPJ.max, 1)) pJ; \(fullText)")
    }
    if c.skippedSamples > 0 { out.append("skipped samples     \(c.skippedSamples) (bus faults)") }
    if c.traceSamplesDropped > 0 { out.append("trace file          \(c.traceSamplesDropped) rows dropped (the disk was too slow)") }
    return out
}

/// The first 20 spikes of a one-neuron run.
func spikeTable(_ spikes: [SpikeEvent], more total: Int, files: [String: String]) -> [String] {
    func f(_ x: Double, _ d: Int) -> String { formatted(x, digits: d) }
    func pad(_ x: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - x.count)) + x }
    var out = ["", "    #  pulse   onset_s  bias_ms  peak_V  energy_pJ  formed"]
    let shown = spikes.prefix(20)
    for e in shown {
        out.append(pad(String(e.index), 5) + pad(String(e.pulseIndex), 7) + pad(f(Double(e.onset) * 1e-9, 4), 10)
                   + pad(f(e.biasTime.seconds * 1e3, 2), 9) + pad(f(e.peak.volts, 3), 8) + pad(f(e.energy.picojoules, 1), 11)
                   + "  " + (e.fullyFormed ? "full" : "partial"))
    }
    if total > shown.count { out.append("  ... \(total - shown.count) more in \(files["spikes"] ?? "spikes.csv")") }
    out.append("")
    return out
}

/// Writes `text` to `path` whole to a temporary name and renamed, so a reader never sees half a file.
func write(_ text: String, to path: String, flag: String) throws {
    try write(Data(text.utf8), to: path, flag: flag)
}

/// Writes `data` to `path` whole to a temporary name and renamed, so a reader never sees half a file.
func write(_ data: Data, to path: String, flag: String) throws {
    let tmp = path + ".partial"
    do {
        try data.write(to: URL(fileURLWithPath: tmp))
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: tmp, toPath: path)
    } catch {
        printError("\(flag) \(path): cannot write (\(error.localizedDescription)). Fix: choose a writable path with free space.")
        throw ExitCode(2)
    }
}
