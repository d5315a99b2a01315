import NeuronBoard
import NeuronControl
import NeuronHAL
import NeuronNetwork
import Foundation

/// What drives a session's channels: a pulse source per channel (trains, encoders over value streams), the value
/// streams' receivers and readers, and the inbox of external spikes. Everything is checked and bound in `init`;
/// `start()` starts the threads that receive values, `stop()` ends them.
final class SessionInputs {
    /// Per channel of the plan (nil: routed pulses only).
    private(set) var sources: [(any PulseSource)?] = []
    /// The stimulus's own length: the longest train, or a value file's end plus its hold; nil when a source has no
    /// end of its own.
    private(set) var naturalDuration: Duration?
    /// Values arrive in real time: the run is paced by the real clock.
    private(set) var paced = false
    private(set) var inbox: ExternalSpikeInbox?
    private var receivers: [UDPReceiver] = []
    private var starters: [() -> Void] = []
    private let say: @Sendable (SessionMessage) -> Void
    private var hasUnendingSource = false

    init(_ plan: SessionPlan, runtime: BoardRuntime, limits: StimulusLimits,
         messages: @escaping @Sendable (SessionMessage) -> Void) throws(SessionError) {
        say = messages
        for c in plan.channels {
            sources.append(try source(c.stimulus, plan: plan, runtime: runtime, limits: limits))
        }
        if hasUnendingSource || sources.allSatisfy({ $0 == nil }) { naturalDuration = nil }
        if let l = plan.listen { try listen(on: l, plan: plan) }
    }

    private func source(_ s: StimulusPlan, plan: SessionPlan, runtime: BoardRuntime, limits: StimulusLimits) throws(SessionError) -> (any PulseSource)? {
        switch s {
        case .none:
            return nil
        case .train(let t):
            try check(t, plan: plan, limits: limits)
            extend(to: t.duration)
            return TrainPulses(t)
        case .encoded(let config, let values):
            let encoder: StimulusEncoder
            do { encoder = try StimulusEncoder(config, limits: limits) } catch { throw SessionError("\(plan.board): \(error.description)") }
            for note in encoder.clampNotes { say(.note(note)) }
            return EncodedPulses(encoder: encoder, feed: try feed(values, runtime: runtime))
        case .combined(let parts):
            var all: [any PulseSource] = []
            for p in parts { if let s = try source(p, plan: plan, runtime: runtime, limits: limits) { all.append(s) } }
            return all.isEmpty ? nil : CombinedPulses(all)
        }
    }

    /// A train checked against the board's limits and the sample rate (a sample per pulse at least).
    private func check(_ t: PulseTrain, plan: SessionPlan, limits: StimulusLimits) throws(SessionError) {
        do { try t.validate(against: limits) } catch { throw SessionError("\(plan.board): \(error.description)") }
        guard plan.sampleRate.period < t.width else {
            throw SessionError("--sample-rate: one sample per \(plan.sampleRate.period.seconds * 1e3) ms cannot resolve \(t.width.seconds * 1e3) ms pulses. Fix: sample faster than the pulse width, e.g. 10000 Hz")
        }
    }

    private func extend(to d: Duration) {
        naturalDuration = max(naturalDuration ?? .zero, d)
    }

    private func feed(_ v: ValuePlan, runtime: BoardRuntime) throws(SessionError) -> any ValueFeed {
        if v.isLive {
            paced = true
            hasUnendingSource = true
        }
        switch v {
        case .file(let path, let interval, let hold):
            let f = try Self.fileFeed(path: path, interval: interval, hold: hold)
            extend(to: f.end)
            return f
        case .liveStandardInput:
            let live = LiveValueFeed()
            starters.append { [say] in Self.readStandardInput(into: live, say: say) }
            return live
        case .udp(let endpoint):
            let live = LiveValueFeed()
            let r: UDPReceiver
            do { r = try UDPReceiver(host: endpoint.host, port: endpoint.port) } catch { throw SessionError(error.description) }
            receivers.append(r)
            starters.append { r.start { bytes, sender in if let v = try? parseValueDatagram(bytes, sender: sender) { live.post(v) } } }
            return live
        case .sensor(let name, let period):
            do { return try SensorValueFeed.onBoard(runtime, sensor: name, period: period) } catch { throw SessionError(error.description) }
        }
    }

    static func fileFeed(path: String, interval: Duration, hold: Duration) throws(SessionError) -> TimedValueFeed {
        let text: String
        if path == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw SessionError("--input \(path): cannot read it (\(error.localizedDescription)). Fix: give a CSV file of 'time_s,value' lines.")
            }
        }
        do {
            return TimedValueFeed(values: try TimedValueFeed.parseCSV(text, source: path == "-" ? "stdin" : path, interval: interval), hold: hold)
        } catch {
            throw SessionError(error.description)
        }
    }

    /// Live standard input: a reader thread posts each value as it arrives (the latest holds); a bad line is reported
    /// with its number and skipped; the end of input ends the stream.
    static func readStandardInput(into live: LiveValueFeed, say: @escaping @Sendable (SessionMessage) -> Void) {
        let reader = Thread {
            var line = 0
            while let text = readLine() {
                line += 1
                do throws(InputError) {
                    if let v = try parseLiveValueLine(text, line: line, source: "stdin") { live.post(v) }
                } catch {
                    say(.error(error.description + " (line skipped)"))
                }
            }
            live.close()
        }
        reader.name = "neuronhil-stdin"
        reader.start()
    }

    /// Binds the UDP endpoint that external jAER spikes arrive on.
    private func listen(on l: NetworkFile.Endpoint, plan: SessionPlan) throws(SessionError) {
        let box = ExternalSpikeInbox(peers: plan.peers)
        let r: UDPReceiver
        do { r = try UDPReceiver(host: l.host, port: l.port) } catch {
            throw SessionError("\(plan.routeSource ?? "--listen"): listen: \(error.description)")
        }
        receivers.append(r)
        inbox = box
        paced = true
        starters.append { [say] in
            r.start { bytes, sender in box.accept(bytes, sender: sender) }
            // Scripts (and the tests) start the sending side once this line is out.
            say(.info("listening on \(r.host):\(r.port) for jAER spikes"))
        }
    }

    func start() {
        for s in starters { s() }
    }

    /// Stops the receivers, and says what the inbox refused or dropped.
    func stop() {
        for r in receivers { r.stop() }
        if let counts = inbox?.counts {
            if counts.rejected > 0 { say(.error("\(counts.rejected) datagrams refused; last: \(counts.lastError ?? "")")) }
            if counts.dropped > 0 { say(.error("\(counts.dropped) received spikes dropped: the loop was behind by the inbox's capacity")) }
        }
        if let r = inbox?.report, r.refusedDatagrams > 0 {
            say(.warning("\(r.refusedDatagrams) datagrams refused from senders that are not peers (\(r.refusedSenders.joined(separator: ", "))); peers: \(r.peers.joined(separator: ", "))"))
        }
    }
}
