public import NeuronLive
public import NeuronControl
import NeuronHAL
public import NeuronNetwork
import Foundation

/// A run's live view (`OutputPlan.live`): one view stream per channel for the loop to push samples into, the
/// publisher that reads them and the forwarder's live sink, and the server, listening from `init` on (a port in
/// use fails the plan before any bus is touched).
final class SessionLive {
    let streams: [TraceStream]
    let feed: LiveFeed
    let server: LiveServer

    init(_ plan: SessionPlan, endpoint: LiveEndpoint, boardName: String, neuronIDs: [Int], duration: Duration,
         protocolText: String) throws(SessionError) {
        // Dropped and counted when the publisher is behind: the loop never waits for a viewer.
        streams = neuronIDs.map { _ in TraceStream(capacity: 1 << 16, waitsWhenFull: false) }
        let info = LiveRunInfo(mode: "live", command: plan.command, board: boardName, neurons: neuronIDs,
                               sampleRateHz: plan.sampleRate.hertz, durationSeconds: duration.seconds, protocolText: protocolText)
        feed = LiveFeed(info: info, streams: streams)
        do { server = try LiveServer(feed: feed, endpoint: endpoint) } catch { throw SessionError(error.description) }
    }

    /// What `init` says once the server listens: the address (and, off loopback, who can reach it).
    var announcements: [SessionMessage] {
        var out: [SessionMessage] = [.info("live view: \(server.url) (read-only)")]
        if !server.endpoint.isLoopback {
            out.append(.note("the live view listens on \(server.endpoint.host): any machine that reaches this one can watch the run (it cannot change it)"))
        }
        return out
    }

    /// Sends the end (with the summary), gives the viewers up to 2 s to take it, and closes the server.
    func finish(termination: String, summary: String?) -> SessionMessage {
        feed.finish(termination: termination, summary: summary)
        feed.waitForViewers(timeout: .seconds(2))
        server.stop()
        let r = feed.report
        return .info("live view: \(r.viewersServed) viewers served, \(r.traceMessagesSkipped) trace messages skipped for slow viewers, "
                     + "\(r.viewersDropped) viewers dropped, \(r.samplesDroppedAtLoop) samples and \(r.spikesDroppedAtLoop) spikes dropped at the loop, "
                     + "\(r.badRequests) malformed or cut-short requests, \(r.viewersCutOff) viewers cut off, "
                     + "\(r.refusedRequests) refused (not GET, or not found)")
    }
}

/// Plays a recording (the file `--record` writes: board, protocol, the exact trace, pulses and spikes) in the live
/// view's page, with a time slider, until `stop` is requested.
public final class RecordingView {
    public let feed: LiveFeed
    public let server: LiveServer
    public let recording: Recording

    public init(path: String, endpoint: LiveEndpoint) throws(SessionError) {
        do { recording = try Recording.load(path: path) } catch { throw SessionError(error.description) }
        let r = recording
        let neurons = r.channels.map(\.id)
        let end = Double(r.timeNs.last ?? 0) * 1e-9 + Double(r.sampleIntervalNs) * 1e-9
        let text = r.protocolInfo.sorted { $0.key < $1.key }.filter { !["read_with", "detector"].contains($0.key) }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let info = LiveRunInfo(mode: "view", command: r.protocolInfo["command"] ?? "run", board: "\(r.board.name) (\(path))",
                               neurons: neurons, sampleRateHz: r.sampleIntervalNs > 0 ? 1e9 / Double(r.sampleIntervalNs) : 0,
                               durationSeconds: end, protocolText: text)
        feed = LiveFeed(info: info, streams: neurons.map { _ in nil })
        for (c, ch) in r.channels.enumerated() {
            for i in r.timeNs.indices {
                feed.ingest(TraceSample(time: r.timeNs[i], stimulus: Float(ch.stimulusV[i]), membrane: Float(ch.membraneV[i] ?? .nan),
                                        pulse: ch.pulse[i]), channel: c)
            }
        }
        feed.ingest(spikes: r.spikes.map(\.event))
        feed.finish(termination: r.protocolInfo["termination"] ?? "recorded")
        do { server = try LiveServer(feed: feed, endpoint: endpoint) } catch { throw SessionError(error.description) }
    }

    /// Serves until `stop` is requested (polled every 100 ms), then closes the server.
    public func serve(until stop: StopRequest) {
        while !stop.isRequested { Thread.sleep(forTimeInterval: 0.1) }
        server.stop()
    }
}

extension Recording.Spike {
    /// The spike as the loop reported it (complete).
    var event: SpikeEvent {
        SpikeEvent(phase: .complete, index: index, channel: channel, pulseIndex: pulse, onset: onsetNs, crossing: crossingNs,
                   peakTime: peakTimeNs, peak: .volts(peakVolts), energy: Energy(joules: energyJoules),
                   biasTime: .nanoseconds(biasTimeNs), fullyFormed: fullyFormed)
    }
}
