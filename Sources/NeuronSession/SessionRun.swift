public import NeuronControl
public import NeuronLinux
import NeuronBoard
import NeuronHAL
import NeuronNetwork
import Foundation
import Synchronization

/// What a session produced.
public struct SessionOutcome: Sendable {
    /// The engine's result (pulses and spikes up to `Session.recordLimit` unless the plan kept everything).
    public var result: EngineResult
    public var summary: SessionSummary
    /// 0 completed; 128 + the signal when one stopped the run; 1 when a hardware error or a policy ended it; 2 when
    /// a file could not be written; 3 when the safe state was not confirmed (whatever ended the run).
    public var exitStatus: Int32
}

extension Session {
    /// Runs the plan once: starts the inputs, the forwarder and the trace writers, runs the engine (on a real-time
    /// thread when timed), then reads every DAC back and writes the summary and the recording. Never throws: what
    /// went wrong is in the outcome and was said through `messages`.
    public func run() -> SessionOutcome {
        precondition(!ran, "a session runs once")
        ran = true
        inputs.start()
        let forwarderSetup = startForwarder()
        outputs.startWriters()
        let (result, realtime) = runEngine(forwarderSetup: forwarderSetup)
        let forwarding = outputs.forwarder?.finish()
        for e in outputs.finishWriters() { say(.error(e)) }
        inputs.stop()
        var summary = makeSummary(result, forwarding: forwarding, realtime: realtime)
        if realClock { summary.startedUnixSeconds = result.startedUnixSeconds }
        var status = Self.exitStatus(result.termination, safeState: result.safeState)
        if !writeFiles(summary, result) && status == 0 { status = 2 }
        return SessionOutcome(result: result, summary: summary, exitStatus: status)
    }

    /// 3 when the safe state was not confirmed (whatever ended the run), 128 + the signal's number when a signal
    /// stopped it (as a shell reports a process the signal killed; SIGINT's 130 when the number is unknown), 1 when
    /// a hardware error, the bus-fault policy or the overrun policy ended it, 0 when it completed.
    static func exitStatus(_ termination: Termination, safeState: SafeStateOutcome) -> Int32 {
        switch (termination, safeState) {
        case (_, .failed): 3
        case (.completed, _): 0
        case (.stopped(let signal), _): 128 + (signal ?? 2)
        case (.failed, _), (.overrunStorm, _): 1
        }
    }

    /// Runs the engine here, or when timed on a dedicated thread with SCHED_FIFO, affinity, locked memory and the
    /// DMA-latency request, each where permitted, while this thread waits. Settings the system refused are said as
    /// warnings (the forwarding thread's too) and the run goes on.
    func runEngine(forwarderSetup: RealtimeReport?) -> (EngineResult, RealtimeReport?) {
        guard timed else { return (engine.run(), nil) }
        let rt = plan.realtime
        let settings = RealtimeSettings(priority: rt.priority, cpu: rt.cpu, lockMemory: rt.lockMemory)
        // The engine and its hardware are not thread-safe, but only one thread touches them at a time: this one waits.
        let job = Handover(value: engine)
        let (value, report) = RealtimeThread.run(settings) { Handover(value: job.value.run()) }
        var merged = report
        merged.applied += forwarderSetup?.applied ?? []
        merged.warnings += forwarderSetup?.warnings ?? []
        for w in merged.warnings { say(.warning("real-time: \(w)")) }
        return (value.value, merged)
    }

    func startForwarder() -> RealtimeReport? {
        guard let forwarder = outputs.forwarder else { return nil }
        return Self.start(forwarder, realtime: timed ? plan.realtime : nil)
    }

    /// Starts a forwarding thread. For a real-time run (`realtime` given): SCHED_FIFO one below the loop (a polling
    /// forwarder in the normal class: it never sleeps), on the CPU the plan places it on; returns what the system
    /// applied and refused.
    public static func start(_ forwarder: SpikeForwarder, realtime rt: RealtimePlan?) -> RealtimeReport? {
        guard let rt else {
            forwarder.start()
            return nil
        }
        let priority: Int32? = forwarder.waiting == .poll ? nil : rt.priority.flatMap { $0 > 1 ? $0 - 1 : nil }
        let cpu: Int? = switch rt.forwarder {
        case .any: nil
        case .loop: rt.cpu
        case .cpu(let n): n
        }
        let needsPriority = rt.forwarder == .loop
        let box = Mutex(RealtimeReport())
        forwarder.start {
            let r = RealtimeThread.setUpHelperThread(
                "forwarder", priority: priority, cpu: cpu, cpuNeedsPriority: needsPriority,
                consequence: ", so each spike waits for the normal scheduler before it is forwarded (forwarding latency)")
            box.withLock { $0 = r }
        }
        return box.withLock { $0 }
    }

    func makeSummary(_ r: EngineResult, forwarding: ForwardingReport?, realtime: RealtimeReport?) -> SessionSummary {
        let sim = runtime.simulation
        let boardInfo = SessionSummary.Board(name: board.board.name, file: plan.board, simulated: board.board.simulated,
                                             model: sim?.model.rawValue, seed: sim?.seed)
        var files = outputs.files
        if plan.outputs.directory == nil { files["summary"] = nil }
        return SessionSummary(
            tool: plan.tool, command: plan.command, board: boardInfo, protocolInfo: Dictionary(outputs.header, uniquingKeysWith: { $1 }),
            sampleRateHz: plan.sampleRate.hertz, result: RunSummary(r), dacReadBack: readBack(), forwarding: forwarding,
            realtime: realtime, udpInput: inputs.inbox?.report, files: files)
    }

    /// Every driven DAC read back over its bus (a read changes nothing, so a failed one is retried): the summary
    /// says what the chips hold, not what was asked for.
    func readBack() -> [SessionSummary.DACReadBack] {
        neuronIDs.map { id in
            guard let hw = try? runtime.neuron(id: id) else {
                return SessionSummary.DACReadBack(neuron: id, volts: nil, poweredDown: nil, text: "DAC read-back FAILED: no such neuron")
            }
            let dac = hw.readBackStimulus(attempts: 3)
            return SessionSummary.DACReadBack(neuron: id, volts: dac.voltage?.volts, poweredDown: dac.voltage == nil ? nil : dac.poweredDown,
                                              text: dac.text)
        }
    }

    /// summary.json, whole to a temporary name and renamed so a reader never sees half a file, then the recording.
    /// False when one could not be written (said as an error).
    func writeFiles(_ summary: SessionSummary, _ result: EngineResult) -> Bool {
        var ok = true
        if let path = outputs.files["summary"] {
            do { ok = write(try summary.jsonText() + "\n", to: path, flag: "--output") && ok } catch {
                say(.error("--output \(path): cannot encode the summary (\(error)). Fix: report this as a bug."))
                ok = false
            }
        }
        if let path = plan.outputs.recording {
            let recording = Recording(tool: plan.tool, board: .init(path: plan.board, runtime: runtime),
                                      protocolInfo: summary.protocolInfo.merging(["command": plan.command,
                                                                                   "termination": summary.result.termination]) { $1 },
                                      sampleInterval: plan.sampleRate.period, detector: detector, result: result)
            do { ok = write(String(decoding: try recording.encoded(), as: UTF8.self) + "\n", to: path, flag: "--record") && ok } catch {
                say(.error("--record \(path): cannot encode the recording (\(error)). Fix: report this as a bug."))
                ok = false
            }
        }
        return ok
    }

    func write(_ text: String, to path: String, flag: String) -> Bool {
        let tmp = path + ".partial"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: tmp))
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
            return true
        } catch {
            say(.error("\(flag) \(path): cannot write (\(error.localizedDescription)). Fix: choose a writable path with free space."))
            return false
        }
    }
}

/// Hands a value to another thread and back: for the engine and its hardware, which one thread at a time uses.
public struct Handover<T>: @unchecked Sendable {
    public let value: T
    public init(value: T) { self.value = value }
}
