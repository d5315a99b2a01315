public import NeuronControl
import Dispatch
import FlyingFox
import Foundation
import Synchronization

/// The live view's publisher. It runs on a normal-priority thread of its own and is never reached by the loop: the
/// loop pushes each sample into the channel's view `TraceStream` and the forwarder hands each complete spike to
/// `spikeSink`, both preallocated rings that drop and count when full. Every `interval` the thread drains them,
/// folds the samples into display columns (min/max envelopes, `columnNanoseconds` wide), and sends each viewer the
/// new columns and spikes through the viewer's own bounded queue.
///
/// Bandwidth per viewer: at most one 20-byte column per channel per millisecond (whatever the sample rate), one
/// 12-byte header per channel per `interval`, about 150 bytes per spike and a status twice a second: 4 channels at
/// 10 kS/s need about 0.7 Mbit/s.
///
/// Slow viewers: a viewer whose queue is more than half full gets no trace messages (a gap in its trace, counted);
/// one whose queue is full when a spike, status or the end is due is closed (counted). Nothing waits for a viewer.
///
/// A viewer that joins late first gets the run so far: the last `historyColumns` columns of each channel and every
/// spike (up to `historySpikes`), so its counts match the run's.
public final class LiveFeed: @unchecked Sendable {
    public let info: LiveRunInfo
    public let columnNanoseconds: Int64
    /// Per channel position; nil where the feed is given samples directly (`ingest`, for recordings).
    public let streams: [TraceStream?]
    public let spikeSink: LiveSpikeSink
    public let interval: Duration
    public static let maxViewers = 32
    /// Live messages a viewer's queue holds besides the history it was sent on joining.
    public static let viewerQueue = 256
    let historyColumns: Int
    let historySpikes: Int

    // Publisher thread only (or the caller of `ingest`, before `finish`).
    private var open: [OpenColumn]
    private var pending: [[EnvelopeColumn]]
    private var pendingSamples: [Int]
    /// Pulses each channel has had: one more than the highest pulse index its samples carried.
    private var pulses: [Int]
    private var lastStatus = ContinuousClock.now

    private let shared: Mutex<Shared>
    private let stopSignal = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private var thread: Thread?

    /// `streams`: each channel's view stream (in the order of `info.neurons`). `historyBytes` bounds the trace kept
    /// for late viewers (split between the channels).
    public init(info: LiveRunInfo, streams: [TraceStream?], interval: Duration = .milliseconds(50),
                historyBytes: Int = 32 << 20, historySpikes: Int = 1 << 18) {
        let sampleNs = max(1, Int64(1e9 / max(1, info.sampleRateHz)))
        columnNanoseconds = max(sampleNs, 1_000_000)
        var i = info
        i.columnSeconds = Double(columnNanoseconds) * 1e-9
        self.info = i
        self.streams = streams
        self.interval = interval
        let n = info.neurons.count
        historyColumns = max(1024, historyBytes / max(1, n) / LiveWire.columnBytes)
        self.historySpikes = historySpikes
        spikeSink = LiveSpikeSink()
        open = Array(repeating: OpenColumn(), count: n)
        pending = Array(repeating: [], count: n)
        pendingSamples = Array(repeating: 0, count: n)
        pulses = Array(repeating: 0, count: n)
        shared = Mutex(Shared(neurons: info.neurons, historyColumns: historyColumns))
    }

    // MARK: publisher

    /// Starts the publishing thread.
    public func start() {
        precondition(thread == nil, "a live feed starts once")
        let wait = Double(interval.components.seconds) + Double(interval.components.attoseconds) * 1e-18
        let t = Thread { [self] in
            while stopSignal.wait(timeout: .now() + wait) == .timedOut { publish() }
            stopped.signal()
        }
        t.name = "neuronhil-live"
        thread = t
        t.start()
    }

    /// One round: drain the rings, send the new columns and spikes, and a status twice a second.
    func publish() {
        for (c, stream) in streams.enumerated() {
            guard let stream else { continue }
            while let s = stream.ring.pop() { ingest(s, channel: c) }
        }
        var spikes: [SpikeEvent] = []
        while let e = spikeSink.ring.pop() { spikes.append(e) }
        flush(spikes: spikes)
        if ContinuousClock.now - lastStatus >= .milliseconds(500) {
            lastStatus = .now
            shared.withLock { $0.broadcast(.text($0.statusText(loop: loopDrops()))) }
        }
    }

    /// Folds one sample of channel position `c` into its open column; a sample in a later column closes it.
    public func ingest(_ s: TraceSample, channel c: Int) {
        let column = UInt32(clamping: max(0, s.time) / columnNanoseconds)
        if open[c].samples > 0 && open[c].column.index != column { closeColumn(c) }
        open[c].add(s, column: column)
        pulses[c] = max(pulses[c], Int(s.pulse) + 1)
    }

    private func closeColumn(_ c: Int) {
        guard open[c].samples > 0 else { return }
        pending[c].append(open[c].column)
        pendingSamples[c] += open[c].samples
        open[c] = OpenColumn()
    }

    /// Hands spikes on directly (a recording's), as the publisher does with the live sink's.
    public func ingest(spikes: [SpikeEvent]) { flush(spikes: spikes) }

    /// Sends what is pending: each channel's new columns as one trace message, then the spikes.
    private func flush(spikes: [SpikeEvent]) {
        shared.withLock { sh in
            for c in pulses.indices { sh.figures[c].pulses = pulses[c] }
            for c in pending.indices where !pending[c].isEmpty {
                sh.append(columns: pending[c], samples: pendingSamples[c], channel: c)
                sh.broadcastTrace(.binary(LiveWire.trace(channel: c, samples: pendingSamples[c], columns: pending[c])))
                pending[c].removeAll(keepingCapacity: true)
                pendingSamples[c] = 0
            }
            for e in spikes {
                sh.record(e, limit: historySpikes)
                sh.broadcast(.text(LiveWire.json("spike", LiveSpike(e))))
            }
        }
    }

    private func loopDrops() -> (samples: Int, spikes: Int) {
        (streams.reduce(0) { $0 + ($1?.dropped ?? 0) }, spikeSink.ring.dropped)
    }

    /// Ends the feed: stops the thread, sends what is left, then the end message (the figures, how the run ended,
    /// and `summary`, a JSON object, when given). A viewer that joins afterwards gets the whole run and the end.
    public func finish(termination: String, summary: String? = nil) {
        if let thread, !thread.isFinished {
            stopSignal.signal()
            stopped.wait()
        }
        publish()
        for c in open.indices { closeColumn(c) }
        flush(spikes: [])
        let drops = loopDrops()
        shared.withLock { sh in
            sh.report.samplesDroppedAtLoop = drops.samples
            sh.report.spikesDroppedAtLoop = drops.spikes
            sh.end = sh.endText(termination: termination, summary: summary)
            sh.broadcast(.text(sh.end!), closing: true)
        }
    }

    /// Waits up to `timeout` for the viewers to go (the page closes its socket when it has the end message).
    public func waitForViewers(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        while shared.withLock({ !$0.viewers.isEmpty }) && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
    }

    // MARK: viewers

    /// A new viewer's outgoing frames: the hello, the run so far, then live messages, through a queue that holds
    /// the history plus `viewerQueue` messages. Nil when `maxViewers` are connected (counted).
    func join() -> (id: Int, frames: AsyncStream<WSFrame>)? {
        shared.withLock { sh in
            guard sh.viewers.count < Self.maxViewers else {
                sh.report.viewersRefused += 1
                return nil
            }
            let history = sh.historyMessages(info: info)
            let capacity = history.count + Self.viewerQueue
            let (stream, continuation) = AsyncStream.makeStream(of: WSFrame.self, bufferingPolicy: .bufferingOldest(capacity))
            for m in history { continuation.yield(m.frame) }
            sh.nextID += 1
            let id = sh.nextID
            sh.report.viewersServed += 1
            if sh.end != nil {
                continuation.finish()
            } else {
                sh.viewers[id] = Viewer(out: continuation, capacity: capacity, free: Self.viewerQueue)
            }
            // Not under this lock: finishing a stream (which the lock's holder does) may call this at once.
            continuation.onTermination = { [weak self] _ in
                guard let feed = self else { return }
                DispatchQueue.global().async { feed.leave(id) }
            }
            return (id, stream)
        }
    }

    func leave(_ id: Int) { shared.withLock { _ = $0.viewers.removeValue(forKey: id) } }

    /// The viewer's socket ended: answer its close and end its queue. `abruptly`: without a WebSocket close,
    /// counted while the run goes on (after the end, the server closing the socket ends it too).
    func close(_ id: Int, abruptly: Bool = false) {
        let v = shared.withLock { sh in
            if abruptly && sh.end == nil { sh.report.viewersCutOff += 1 }
            return sh.viewers.removeValue(forKey: id)
        }
        guard let v else { return }
        v.out.yield(.close(code: .normalClosure))
        v.out.finish()
    }

    func count(_ update: @Sendable (inout LiveReport) -> Void) { shared.withLock { update(&$0.report) } }

    /// Viewers, drops and refusals so far.
    public var report: LiveReport { shared.withLock { $0.report } }
    public var viewerCount: Int { shared.withLock { $0.viewers.count } }
    public var figures: [LiveChannelFigures] { shared.withLock { $0.figures } }
}

/// The column being filled, per channel.
private struct OpenColumn {
    var column = EnvelopeColumn(index: 0, membraneMin: .nan, membraneMax: .nan, stimulusMin: .infinity, stimulusMax: -.infinity)
    var samples = 0

    mutating func add(_ s: TraceSample, column index: UInt32) {
        column.index = index
        samples += 1
        if !s.membrane.isNaN {
            column.membraneMin = column.membraneMin.isNaN ? s.membrane : min(column.membraneMin, s.membrane)
            column.membraneMax = column.membraneMax.isNaN ? s.membrane : max(column.membraneMax, s.membrane)
        }
        column.stimulusMin = min(column.stimulusMin, s.stimulus)
        column.stimulusMax = max(column.stimulusMax, s.stimulus)
    }
}

/// A connected viewer's queue. `free` is what the queue reported at the last message put in it.
struct Viewer {
    let out: AsyncStream<WSFrame>.Continuation
    let capacity: Int
    var free: Int
}

/// One outgoing message: text or binary.
enum LiveMessage {
    case text(String)
    case binary(Data)
    var frame: WSFrame {
        switch self {
        case .text(let s): WSFrame(fin: true, opcode: .text, mask: nil, payload: Data(s.utf8))
        case .binary(let d): WSFrame(fin: true, opcode: .binary, mask: nil, payload: d)
        }
    }
}

/// What the publisher and the server's connection tasks share, behind one lock (neither is the loop).
struct Shared {
    var viewers: [Int: Viewer] = [:]
    var nextID = 0
    var report = LiveReport()
    var figures: [LiveChannelFigures]
    var history: [ColumnHistory]
    var historySamples: [Int]
    var spikes: [SpikeEvent] = []
    var spikesNotKept = 0
    var lastFired: [Int]
    var latest: Int64 = 0
    var end: String?
    let positions: [Int: Int]

    init(neurons: [Int], historyColumns: Int) {
        figures = neurons.map { LiveChannelFigures(neuron: $0) }
        history = neurons.map { _ in ColumnHistory(capacity: historyColumns) }
        historySamples = Array(repeating: 0, count: neurons.count)
        lastFired = Array(repeating: -1, count: neurons.count)
        positions = Dictionary(neurons.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    mutating func append(columns: [EnvelopeColumn], samples: Int, channel c: Int) {
        for col in columns { history[c].append(col) }
        historySamples[c] += samples
        figures[c].samples += samples
        if let last = columns.last { latest = max(latest, Int64(last.index)) }
    }

    /// Counts the pulses a channel has had from the samples' pulse index (kept by the caller), and the spike.
    mutating func record(_ e: SpikeEvent, limit: Int) {
        if spikes.count < limit { spikes.append(e) } else { spikesNotKept += 1 }
        guard let c = positions[e.channel] else { return }
        figures[c].spikes += 1
        if e.pulseIndex >= 0 && e.pulseIndex != lastFired[c] {
            figures[c].firedPulses += 1
            lastFired[c] = e.pulseIndex
        }
    }

    /// Trace messages: skipped for a viewer whose queue is over half full.
    mutating func broadcastTrace(_ m: LiveMessage) {
        let frame = m.frame
        for (id, v) in viewers {
            if v.free < v.capacity / 2 && v.free < LiveFeed.viewerQueue / 2 {
                report.traceMessagesSkipped += 1
                continue
            }
            put(frame, id: id)
        }
    }

    /// Messages every viewer must get; a viewer whose queue is full is closed.
    mutating func broadcast(_ m: LiveMessage, closing: Bool = false) {
        let frame = m.frame
        for id in Array(viewers.keys) {
            put(frame, id: id)
            if closing, let v = viewers[id] { v.out.finish() }
        }
    }

    private mutating func put(_ frame: WSFrame, id: Int) {
        guard let v = viewers[id] else { return }
        switch v.out.yield(frame) {
        case .enqueued(let remaining): viewers[id]?.free = remaining
        case .dropped:
            report.viewersDropped += 1
            viewers[id] = nil
            v.out.finish()
        case .terminated: viewers[id] = nil
        @unknown default: viewers[id] = nil
        }
    }

    func statusText(loop: (samples: Int, spikes: Int)) -> String {
        var r = report
        r.samplesDroppedAtLoop = loop.samples
        r.spikesDroppedAtLoop = loop.spikes
        return LiveWire.json("status", Status(figures: figures, viewers: viewers.count, report: r))
    }

    func endText(termination: String, summary: String?) -> String {
        let base = LiveWire.json("end", End(figures: figures, termination: termination, report: report))
        guard let summary, summary.hasPrefix("{") else { return base }
        return String(base.dropLast()) + #","summary":"# + summary + "}"
    }

    /// The hello, each channel's history in messages of up to 4096 columns (the last one carrying the samples they
    /// cover), the spikes in batches, a status, and the end if the run is over.
    func historyMessages(info: LiveRunInfo) -> [LiveMessage] {
        var out: [LiveMessage] = [.text(LiveWire.json("hello", info))]
        for c in history.indices {
            let cols = history[c].columns
            var start = 0
            repeat {
                let end = min(cols.count, start + 4096)
                out.append(.binary(LiveWire.trace(channel: c, samples: end == cols.count ? historySamples[c] : 0, columns: cols[start..<end])))
                start = end
            } while start < cols.count
        }
        for k in stride(from: 0, to: spikes.count, by: 1024) {
            out.append(.text(LiveWire.json("spikes", SpikeBatch(spikes: spikes[k..<min(spikes.count, k + 1024)].map(LiveSpike.init)))))
        }
        out.append(.text(statusText(loop: (report.samplesDroppedAtLoop, report.spikesDroppedAtLoop))))
        if let end { out.append(.text(end)) }
        return out
    }
}

/// The last `capacity` columns of one channel.
struct ColumnHistory {
    let capacity: Int
    private var ring: [EnvelopeColumn] = []
    private var next = 0
    init(capacity: Int) { self.capacity = capacity }
    mutating func append(_ c: EnvelopeColumn) {
        if ring.count < capacity { ring.append(c) } else {
            ring[next] = c
            next = (next + 1) % capacity
        }
    }
    /// Oldest first.
    var columns: [EnvelopeColumn] { Array(ring[next...] + ring[..<next]) }
}

private struct Status: Encodable {
    var figures: [LiveChannelFigures]
    var viewers: Int
    var report: LiveReport
}

private struct End: Encodable {
    var figures: [LiveChannelFigures]
    var termination: String
    var report: LiveReport
}

private struct SpikeBatch: Encodable { var spikes: [LiveSpike] }

/// The forwarder's sink for the live view: each complete spike into a preallocated ring the publisher drains.
/// Never blocks and never allocates; a full ring drops and counts.
public final class LiveSpikeSink: SpikeSink, @unchecked Sendable {
    public let ring = SPSCRing<SpikeEvent>(capacity: 4096)
    public var name: String { "live view" }
    public var mayBlock: Bool { false }
    public func accepts(_ phase: SpikeEvent.Phase) -> Bool { phase == .complete }
    public func deliver(_ event: SpikeEvent) throws { _ = ring.push(event) }
    public func finish() throws {}
}
