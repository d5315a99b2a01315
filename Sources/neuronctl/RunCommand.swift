import ArgumentParser
import Foundation
import NeuronBoard
import NeuronControl
import NeuronHAL
import NeuronSinks
import NeuronLinux

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Apply a pulse train to a neuron, record the capacitor and detect spikes.",
        discussion: """
            Defaults are the paper's Fig. 2c protocol: 0.75 V, 5 ms pulses at 33 Hz, sampled at 10 kS/s. \
            Writes trace.csv (time_s, stimulus_v, membrane_v, pulse), spikes.csv and summary.json to --output; \
            read the CSVs with pandas.read_csv(path, comment='#'). SIGINT/SIGTERM/SIGHUP stop the run through the \
            safe state (DAC at 0 V, powered down) and the files are still written.

            Units may be given: --amplitude 750mV, --width 5ms, --frequency 33Hz, --duration 2s, --sample-rate 10k.

            --record FILE also saves the run (board, protocol, the exact ADC trace, pulses and spikes) when it ends, \
            however it ends, for `neuronctl replay FILE` to check.
            """)

    @OptionGroup var boardOptions: BoardOptions

    @OptionGroup var neuronOptions: NeuronOptions
    @OptionGroup var pulse: PulseOptions

    @Option(help: ArgumentHelp("Number of pulses (default 100; exclusive with --duration).", valueName: "n"))
    var pulses: Int?

    @Option(help: ArgumentHelp("Run length (seconds unless a unit is given); as many whole periods as fit.", valueName: "s"))
    var duration: DurationArgument<Seconds>?

    @OptionGroup var sampling: SamplingOptions

    @Option(help: ArgumentHelp("Directory for trace.csv, spikes.csv and summary.json.", valueName: "dir"))
    var output = "neuronhil-out"

    @Option(help: ArgumentHelp("Trace file (default: <output>/trace.csv).", valueName: "file"))
    var trace: String?

    @Option(help: ArgumentHelp("Spike record file (default: <output>/spikes.csv).", valueName: "file"))
    var spikes: String?

    @Flag(name: .customLong("no-trace"), help: "Do not record the capacitor trace.")
    var noTrace = false

    @OptionGroup var reporting: ReportOptions

    @OptionGroup var realtimeFlags: RealtimeFlags

    @Option(help: ArgumentHelp("Also send each spike as a jAER UDP datagram to HOST:PORT (e.g. 127.0.0.1:8991).", valueName: "host:port"))
    var udp: String?

    @Option(help: ArgumentHelp("Also write every spike event as JSON lines to FILE ('-' for standard output).", valueName: "file"))
    var jsonl: String?

    @Option(name: .customLong("spike-out-width"), help: ArgumentHelp("Width of the pulse on the board's spike-out line per spike (0 disables it).", valueName: "us"))
    var spikeOutWidth = DurationArgument<Microseconds>(.microseconds(500))

    @OptionGroup var busFaults: BusFaultOptions

    @Option(name: .customLong("sim-state"), help: ArgumentHelp("Simulated boards only: keep the DAC and GPIO registers in FILE, so they outlive this process (for `neuronctl supervise` and its tests).", valueName: "file"))
    var simState: String?

    func validate() throws {
        if let udp, UDPDestination(udp) == nil {
            throw ValidationError("--udp \(udp): expected HOST:PORT with an IPv4 address and a port 1-65535, e.g. 127.0.0.1:8991")
        }
        if pulses != nil && duration != nil {
            throw ValidationError("give either --pulses or --duration, not both")
        }
        if let pulses, pulses < 1 {
            throw ValidationError("--pulses must be at least 1 (got \(pulses))")
        }
        if let d = duration, d.duration < pulse.frequency.frequency.period {
            throw ValidationError("--duration \(Seconds.describe(d.duration)) is shorter than one period at \(pulse.frequency.frequency); give at least \(Seconds.describe(pulse.frequency.frequency.period))")
        }
    }

    var pulseCount: Int {
        if let pulses { return pulses }
        if let d = duration { return max(1, Int(d.duration.seconds * pulse.frequency.frequency.hertz + 1e-9)) }
        return 100
    }

    func run() throws {
        let train = PulseTrain(amplitude: pulse.amplitude.voltage, width: pulse.width.duration, frequency: pulse.frequency.frequency,
                               count: pulseCount)
        let session: RunSession
        do {
            session = try RunSession(
                boardPath: boardOptions.board, neuronID: neuronOptions.neuron, train: train, sampleRate: sampling.sampleRate.frequency,
                seed: sampling.seed, model: sampling.model?.kind, recordTrace: false, stateFile: simState, injectFaults: busFaults.injectFaults,
                recording: reporting.record != nil)
        } catch let e as CLIError {
            printError(e.description)
            throw ExitCode(e.exitCode)
        }
        let files = outputPaths()
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        } catch {
            printError("--output \(output): cannot create the directory (\(error.localizedDescription)). Fix: choose a writable directory.")
            throw ExitCode(2)
        }
        try reporting.checkRecordPath()
        // A hardware board always runs against the real clock; a simulated one only with --realtime (paced).
        let onHardware = session.runtime.simulation == nil
        let rt = realtimeFlags
        let timed = rt.realtime || onHardware
        let timingClock: (any MonotonicClock & Sendable)? = timed ? LinuxClock() : nil
        var sinks: [any SpikeSink] = []
        // The trace streams to its file during the run (at most 50 ms + one batch at risk on kill -9); an unpaced
        // simulated run waits for the writer instead of dropping rows.
        var traceWriter: TraceFileWriter?
        do {
            if let tracePath = files["trace"] {
                traceWriter = try TraceFileWriter(path: tracePath, metadata: session.metadata("capacitor trace"),
                                                  stream: TraceStream(waitsWhenFull: !timed))
            }
            sinks.append(try CSVSpikeSink(path: files["spikes"]!, metadata: session.metadata("spike record")))
            if let jsonl { sinks.append(try JSONLinesSink(path: jsonl)) }
            if let udp, let dest = UDPDestination(udp) {
                sinks.append(try UDPJAERSink(host: dest.host, port: dest.port, clock: timingClock))
            }
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        // Room for every event of the run (at most one spike, two events, per pulse), up to 2^18: a simulated run
        // outpaces real time, and a forwarding thread kept off the CPU by a busy machine must not cost records.
        let forwarder = SpikeForwarder(sinks: sinks, capacity: min(max(4096, 2 * pulseCount + 64), 1 << 18), clock: timingClock,
                                       waiting: rt.forwarderWaiting(timed: timed))
        let spikeOut = spikeOutWidth.duration > .zero ? session.hardware.spikeOut : nil
        let outputs = SpikeOutputs(forwarder: forwarder, spikeOut: spikeOut, spikeOutWidth: spikeOutWidth.duration)

        installStopHandlers()
        let clock: (any MonotonicClock)? = rt.realtime ? session.runtime.simulation.map { PacedClock($0.clock) } : nil
        let options = RealtimeOptions(timingClock: timingClock, overrunPolicy: rt.overrunPolicy.policy)
        // The forwarding thread: SCHED_FIFO one below the loop, placed by `--forwarder-cpu` (free by default).
        let forwarderReport = startForwarder(forwarder, realtime: timed, loopPriority: rt.loopPriority,
                                             loopCPU: rt.cpu, placement: rt.forwarderCPU)
        traceWriter?.start()
        let faultPolicy = busFaults.policy
        let traceStream = traceWriter?.stream
        // When timed, the loop runs on its own thread with SCHED_FIFO, affinity, locked memory and the DMA-latency
        // request, each where permitted; this thread waits.
        let (result, realtimeReport) = rt.runLoop(timed: timed, forwarder: forwarderReport) {
            session.execute(clock: clock, stop: processStop, outputs: outputs, realtime: options,
                            faultPolicy: faultPolicy, traceStream: traceStream)
        }
        let forwarding = forwarder.finish()
        if let traceWriter, let error = traceWriter.finish().error {
            printError("--trace \(traceWriter.path): \(error.description)")
        }

        // Read the DAC back over its bus: the report says what the chip holds, not what we asked for.
        let dac = session.hardware.readBackStimulus(attempts: 3)
        let readBack = dac.text
        let readBackVolts = dac.voltage?.volts

        let summary = RunSummary(result)
        try writeRecords(session: session, result: result, summary: summary, forwarding: forwarding,
                         dacReadBackVolts: readBackVolts, realtime: realtimeReport, files: files)
        let recorded = writeRecording(session: session, result: result)
        var report = RunReport(session: session, summary: summary, forwarding: forwarding, files: files, dacReadBackVolts: readBackVolts)
        report.realtime = realtimeReport
        if reporting.json {
            print(try report.jsonText())
        } else {
            var text = textSummary(session: session, result: result, summary: summary, forwarding: forwarding, readBack: readBack, files: files)
            if let r = realtimeReport { text += "\n" + realtimeLine(r) }
            print(text)
        }
        let status = exitStatus(result.termination, safeState: result.safeState)
        if status == 0 && !recorded { throw ExitCode(2) }
        if status != 0 { throw ExitCode(status) }
    }

    /// Where this run's files go.
    func outputPaths() -> [String: String] {
        var files = ["spikes": spikes ?? "\(output)/spikes.csv", "summary": "\(output)/summary.json"]
        if !noTrace { files["trace"] = trace ?? "\(output)/trace.csv" }
        if let record = reporting.record { files["record"] = record }
        return files
    }

    /// Writes the JSON summary (the spike record and the trace were streamed during the run), whole to a temporary
    /// name and renamed, so a reader never sees half a file.
    func writeRecords(session: RunSession, result: RunResult, summary: RunSummary, forwarding: ForwardingReport,
                      dacReadBackVolts: Double?, realtime: RealtimeReport?, files: [String: String]) throws {
        var report = RunReport(session: session, summary: summary, forwarding: forwarding, files: files, dacReadBackVolts: dacReadBackVolts)
        report.realtime = realtime
        try write(try report.jsonText() + "\n", to: files["summary"]!, flag: "--output")
    }
}

func write(_ text: String, to path: String, flag: String) throws {
    let tmp = path + ".partial"
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: tmp))
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: tmp, toPath: path)
    } catch {
        printError("\(flag) \(path): cannot write (\(error.localizedDescription)). Fix: choose a writable path with free space.")
        throw ExitCode(2)
    }
}

/// The machine-readable summary (`--json`, and summary.json).
struct RunReport: Encodable {
    struct ProtocolInfo: Encodable {
        var amplitudeVolts: Double
        var widthMs: Double
        var frequencyHz: Double
        var pulses: Int
        var sampleRateHz: Double
    }
    var tool = "neuronctl \(Neuronctl.version)"
    var board: String
    var boardFile: String
    var simulated: Bool
    var model: String
    var seed: UInt64
    var neuron: Int
    var stimulus: ProtocolInfo
    var summary: RunSummary
    var forwarding: ForwardingReport
    var realtime: RealtimeReport?
    var dacReadBackVolts: Double?
    var files: [String: String]

    init(session: RunSession, summary: RunSummary, forwarding: ForwardingReport, files: [String: String], dacReadBackVolts: Double?) {
        let t = session.configuration.train
        board = session.runtime.description.board.name
        boardFile = session.boardPath
        simulated = session.runtime.description.board.simulated
        model = session.model.rawValue
        seed = session.seed
        neuron = session.hardware.channel.id
        stimulus = ProtocolInfo(amplitudeVolts: t.amplitude.volts, widthMs: t.width.seconds * 1e3, frequencyHz: t.frequency.hertz,
                                pulses: t.count, sampleRateHz: session.configuration.sampleRate.hertz)
        self.summary = summary
        self.forwarding = forwarding
        self.files = files
        self.dacReadBackVolts = dacReadBackVolts
    }

    func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

func textSummary(session: RunSession, result: RunResult, summary s: RunSummary, forwarding: ForwardingReport, readBack: String,
                 files: [String: String]) -> String {
    let t = session.configuration.train
    func f(_ x: Double, _ d: Int) -> String { formatted(x, digits: d) }
    var out: [String] = []
    out.append("NeuronHIL run on board \(session.runtime.description.board.name) (\(session.boardPath))\(session.runtime.description.board.simulated ? ", simulated: model \(session.model.rawValue), seed \(session.seed)" : "")")
    out.append("protocol            \(t.count) pulses of \(f(t.amplitude.volts, 3)) V x \(f(t.width.seconds * 1e3, 2)) ms at \(f(t.frequency.hertz, 2)) Hz, sampled at \(f(session.configuration.sampleRate.hertz, 0)) Hz (\(f(t.duration.seconds, 3)) s)")
    out.append("pulses applied      \(s.pulsesApplied)")
    out.append("samples             \(s.samples)")
    out.append("spikes              \(s.spikes) (fully formed \(s.fullyFormedSpikes), partial \(s.partialSpikes): cut short by the pulse end)")
    out.append("firing probability  \(f(s.firingProbabilityPerPulse, 3)) per pulse (\(s.firedPulses) of \(s.pulsesApplied) pulses fired)")
    if s.spikes > 0 {
        out.append("bias time           mean \(f(s.biasTimeMs.mean, 2)) ms, sd \(f(s.biasTimeMs.sd, 2)) ms, range \(f(s.biasTimeMs.min, 2))-\(f(s.biasTimeMs.max, 2)) ms")
        out.append("peak voltage        mean \(f(s.peakVolts.mean, 3)) V, range \(f(s.peakVolts.min, 3))-\(f(s.peakVolts.max, 3)) V")
        let full = s.fullyFormedEnergyPJ
        let fullText = full.count == 0 ? "none fully formed"
            : "fully formed: mean \(f(full.mean, 1)) pJ, range \(f(full.min, 1))-\(f(full.max, 1)) pJ"
        out.append("energy (1/2 CV^2)   mean \(f(s.energyPJ.mean, 1)) pJ, range \(f(s.energyPJ.min, 1))-\(f(s.energyPJ.max, 1)) pJ; \(fullText)")
        out.append("")
        out.append("    #  pulse   onset_s  bias_ms  peak_V  energy_pJ  formed")
        let shown = result.spikes.prefix(20)
        for e in shown {
            func pad(_ x: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - x.count)) + x }
            out.append(pad(String(e.index), 5) + pad(String(e.pulseIndex), 7) + pad(f(Double(e.onset) * 1e-9, 4), 10)
                       + pad(f(e.biasTime.seconds * 1e3, 2), 9) + pad(f(e.peak.volts, 3), 8) + pad(f(e.energy.picojoules, 1), 11)
                       + "  " + (e.fullyFormed ? "full" : "partial"))
        }
        if result.spikes.count > shown.count { out.append("  ... \(result.spikes.count - shown.count) more in \(files["spikes"] ?? "spikes.csv")") }
        out.append("")
    }
    out += timingLines(s.timing)
    for sink in forwarding.sinks {
        var line = "sink \(sink.name): delivered \(sink.delivered), dropped \(sink.dropped), failed \(sink.failures)"
        if let l = sink.latencyMicros, l.count > 0 { line += "; latency p50 \(f(l.p50, 1)) us, p99 \(f(l.p99, 1)) us, max \(f(l.max, 1)) us" }
        if let e = sink.lastError { line += "; last error: \(e)" }
        out.append(line)
    }
    if let h = forwarding.handoffMicros, h.count > 0 {
        out.append("forwarder hand-over p50 \(f(h.p50, 1)) us, p99 \(f(h.p99, 1)) us, max \(f(h.max, 1)) us (from the loop's stamp to the forwarding thread; part of each sink's latency)")
    }
    if let line = busFaultLine(s.busFaults) { out.append(line) }
    if s.traceSamplesDropped > 0 { out.append("trace file          \(s.traceSamplesDropped) rows dropped (the disk was too slow)") }
    if forwarding.droppedAtLoop > 0 { out.append("forwarding ring     \(forwarding.droppedAtLoop) events dropped (forwarder behind)") }
    out.append("ended               \(s.termination)")
    out.append("safe state          \(s.safeState); \(readBack)")
    out.append("files               " + ["trace", "spikes", "summary", "record"].compactMap { files[$0] }.joined(separator: ", "))
    return out.joined(separator: "\n")
}
