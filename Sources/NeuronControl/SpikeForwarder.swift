import Dispatch
import Foundation
import Histogram
public import NeuronHAL
import Synchronization

/// A destination for spikes, fed by the forwarding thread, never by the real-time loop.
///
/// `deliver` receives the phases of every spike that the sink `accepts` (see `SpikeEvent.Phase`): UDP sends
/// crossings at once, record files write complete spikes. A sink that may block (files, pipes, slow devices)
/// says so with `mayBlock`, and the forwarder then gives it its own bounded queue and thread: when it stalls, only
/// its own queue fills and drops, and the loop and the other sinks never notice.
public protocol SpikeSink: AnyObject {
    var name: String { get }
    var mayBlock: Bool { get }
    /// Whether the sink wants events of this phase (default: both). The forwarder offers a sink only what it
    /// accepts, so a record that writes complete spikes does not have its thread woken for every crossing.
    func accepts(_ phase: SpikeEvent.Phase) -> Bool
    func deliver(_ event: SpikeEvent) throws
    /// Flush and close; called once, after the last `deliver`.
    func finish() throws
    /// Extra figures for the report (e.g. forwarding latency), if the sink measures any.
    var latency: LatencySummary? { get }
}

extension SpikeSink {
    public func accepts(_ phase: SpikeEvent.Phase) -> Bool { true }
    public var latency: LatencySummary? { nil }
}

/// A sink that the real-time loop feeds itself, in the tick that found the spikes, instead of the forwarding thread:
/// for an output whose send is one planned, non-blocking syscall (the jAER datagram), so a crossing leaves without
/// waiting for another thread's wake-up. It takes crossings only. The loop calls `stage` for each crossing of a tick
/// and `flush` once after the tick's last detection, so the tick's crossings leave together and none waits for a
/// later one. Both run on the loop's thread: no allocation, no lock, no blocking; a send the kernel refuses is
/// counted, never retried. `deliver` (one crossing, staged and flushed) serves callers without a loop.
public protocol LoopSpikeSink: SpikeSink {
    /// Adds one crossing to what this tick sends. No syscall unless the send buffer is full.
    func stage(_ crossing: SpikeEvent)
    /// Sends what was staged, if anything.
    func flush()
    /// Crossings sent and crossings whose send failed (with the last reason), read once the loop has ended.
    var counts: (delivered: Int, failures: Int, lastError: String?) { get }
}

/// What happened to one sink during a run.
public struct SinkReport: Sendable, Hashable, Codable {
    public var name: String
    public var delivered: Int
    /// Events its own queue refused because the sink was behind (blocking sinks only).
    public var dropped: Int
    public var failures: Int
    public var lastError: String?
    public var latencyMicros: LatencySummary?
}

/// Everything the forwarder reports at the end of a run.
public struct ForwardingReport: Sendable, Hashable, Codable {
    /// Events the real-time ring refused because the forwarding thread was behind.
    public var droppedAtLoop: Int
    public var sinks: [SinkReport]
    /// From the loop's stamp (`SpikeEvent.detectedAt`) to the forwarding thread taking the event from the ring:
    /// the hand-over and wake-up part of every sink's latency (nil unless the forwarder was given a clock).
    public var handoffMicros: LatencySummary?
}

/// How the forwarding thread waits for the loop's events.
public enum ForwarderWaiting: Sendable, Hashable {
    /// Sleeps on a semaphore that `publish` posts: a futex wake-up when the thread is asleep, which on a VM or a
    /// busy machine (an inter-processor interrupt through the host) is most of the forwarding latency.
    case block
    /// Polls the ring without ever sleeping: the hand-over is a cache-line transfer and `publish` makes no syscall.
    /// It occupies a whole CPU: give the forwarder a CPU of its own (not the loop's), in the normal scheduling class
    /// (the kernel throttles a real-time thread that never sleeps, by default 50 ms in every second).
    case poll
}

/// Takes spikes from the real-time loop through a preallocated SPSC ring and fans them out to sinks on its own
/// thread. `publish` (loop side) never blocks: a full ring counts a drop; the wake-up is one semaphore post, which
/// makes a syscall only when the forwarding thread is asleep waiting for work.
///
/// A `LoopSpikeSink` (the jAER datagram) is fed by the loop itself: `publish` stages each crossing for it and
/// `endTick` sends what the tick staged; such a sink never passes through the ring. A crossing goes into the ring
/// only when another sink takes crossings, so a run whose only crossing output is UDP wakes nobody at a crossing.
///
/// Fan-out order on the forwarding thread: the sinks that do not block get each event first, in the order given, and
/// only then are the blocking sinks' queues offered it (each offer may be a wake-up syscall for that sink's thread).
/// Reports list the sinks in the order given.
///
/// The forwarding path (staging and sending in the loop, ring pop, fan-out) allocates nothing per event.
public final class SpikeForwarder: @unchecked Sendable {
    private let ring: SPSCRing<SpikeEvent>
    private let wakeUp = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    /// In the order given (reports).
    private let channels: [SinkChannel]
    /// In fan-out order: non-blocking sinks first.
    private let fanOut: [SinkChannel]
    /// Fed by the loop's thread itself.
    private let inLoop: [any LoopSpikeSink]
    /// Whether any ring sink takes crossings / complete events (else they skip the ring and the wake-up).
    private let ringTakesCrossings: Bool
    private let ringTakesComplete: Bool
    /// Loop thread only: a crossing is staged and the tick has not ended.
    private var staged = false
    private let clock: (any MonotonicClock & Sendable)?
    private var handoff = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
    private var started = false
    public let waiting: ForwarderWaiting
    /// See `init`.
    public let waitsWhenFull: Bool

    /// `capacity`: the loop-side ring; `sinkQueueCapacity`: each blocking sink's own queue (default the same).
    /// `clock`: the loop's timing clock; given, the forwarder measures the hand-over of each event (`handoffMicros`).
    /// `waiting`: how the forwarding thread waits for events (see `ForwarderWaiting`). `waitsWhenFull`: for a run
    /// that is not real time (a simulated board run flat out), the loop waits for a full ring and the forwarding
    /// thread for a full sink queue, so every record is complete however far the loop outpaces the sinks, with
    /// memory fixed by the capacities; otherwise a full ring or queue drops and counts, and the loop never waits.
    public init(sinks: [any SpikeSink], capacity: Int = 4096, sinkQueueCapacity: Int? = nil,
                clock: (any MonotonicClock & Sendable)? = nil, waiting: ForwarderWaiting = .block, waitsWhenFull: Bool = false) {
        self.waiting = waiting
        self.waitsWhenFull = waitsWhenFull
        ring = SPSCRing(capacity: capacity)
        let queue = sinkQueueCapacity ?? capacity
        channels = sinks.map {
            if let loopSink = $0 as? any LoopSpikeSink { return LoopSinkChannel(loopSink) }
            return $0.mayBlock ? IsolatedSinkChannel(sink: $0, capacity: queue, waitsWhenFull: waitsWhenFull) : SinkChannel(sink: $0)
        }
        let threaded = channels.filter { !($0 is LoopSinkChannel) }
        fanOut = threaded.filter { !$0.sink.mayBlock } + threaded.filter { $0.sink.mayBlock }
        inLoop = sinks.compactMap { $0 as? any LoopSpikeSink }
        ringTakesCrossings = fanOut.contains { $0.wants(.crossing) }
        ringTakesComplete = fanOut.contains { $0.wants(.complete) }
        self.clock = clock
    }

    /// Starts the forwarding thread (and one thread per blocking sink), and returns once `threadSetup` has run on
    /// the forwarding thread, before any event is taken from the ring. The CLI uses it to give that thread a
    /// real-time priority just below the loop's (so a spike is forwarded as soon as the loop is idle rather than
    /// when the normal scheduler gets round to it), and to collect what the system refused.
    public func start(threadSetup: (@Sendable () -> Void)? = nil) {
        precondition(!started, "a forwarder runs once")
        started = true
        for c in channels { c.start() }
        let ready = DispatchSemaphore(value: 0)
        let polling = waiting == .poll
        let thread = Thread { [self] in
            threadSetup?()
            ready.signal()
            while true {
                if !polling { wakeUp.wait() }
                while let event = ring.pop() {
                    if let clock, event.detectedAt > 0 {
                        _ = handoff.record(UInt64(max(0, clock.now.nanoseconds - event.detectedAt)))
                    }
                    for c in fanOut where c.wants(event.phase) { c.offer(event) }
                }
                if stopping.load(ordering: .acquiring) && ring.count == 0 { break }
                // Polling: straight back to the ring (its head is one relaxed load while nothing arrives), reading
                // the clock on the way. That keeps the clock's path (its code, the vDSO) in cache and TLB: after
                // tens of milliseconds without an event the first read after a pop is otherwise cold, and that read
                // comes before the event's sends (docs/benchmarks.md). The CPU is the poller's own, so the reads cost
                // nothing else.
                if polling, let clock { _ = clock.now }
            }
            done.signal()
        }
        thread.name = "neuronhil-forwarder"
        thread.start()
        ready.wait()
    }

    /// Loop side: hands one event over (a crossing is staged for the loop's own sinks until `endTick`). Never
    /// allocates; blocks only when `waitsWhenFull` and the ring is full.
    @inline(__always)
    public func publish(_ event: SpikeEvent) {
        let crossing = event.phase == .crossing
        if crossing && !inLoop.isEmpty {
            for s in inLoop { s.stage(event) }
            staged = true
        }
        guard crossing ? ringTakesCrossings : ringTakesComplete else { return }
        if waitsWhenFull { waitForRoom() }
        _ = ring.push(event)
        if waiting == .block { wakeUp.signal() }
    }

    /// Loop side, once per tick after its detections: the loop's own sinks send what the tick staged (nothing to do,
    /// and no syscall, on a tick without a crossing).
    @inline(__always)
    public func endTick() {
        guard staged else { return }
        staged = false
        for s in inLoop { s.flush() }
    }

    private func waitForRoom() {
        while ring.count >= ring.capacity && started {
            wakeUp.signal()
            Thread.sleep(forTimeInterval: 0.0002)
        }
    }

    /// Drains what is queued, stops the threads, finishes every sink and reports. Call once, after the loop.
    public func finish() -> ForwardingReport {
        endTick()  // a crossing published without its tick's end still goes out
        if started {
            stopping.store(true, ordering: .releasing)
            wakeUp.signal()
            done.wait()
        }
        return ForwardingReport(droppedAtLoop: ring.dropped, sinks: channels.map { $0.finish() },
                                handoffMicros: clock == nil ? nil : LatencySummary(handoff))
    }
}

/// How the forwarding thread reaches one sink: directly, for a sink that does not block (this class), or
/// through a queue and a thread of its own (`IsolatedSinkChannel`).
class SinkChannel: @unchecked Sendable {
    let sink: any SpikeSink
    /// What the sink accepts (`SpikeSink.accepts`), asked once.
    private let acceptsCrossings: Bool
    private let acceptsComplete: Bool
    var delivered = 0
    var failures = 0
    var lastError: String?
    init(sink: any SpikeSink) {
        self.sink = sink
        acceptsCrossings = sink.accepts(.crossing)
        acceptsComplete = sink.accepts(.complete)
    }
    @inline(__always)
    final func wants(_ phase: SpikeEvent.Phase) -> Bool { phase == .crossing ? acceptsCrossings : acceptsComplete }
    func start() {}
    func offer(_ event: SpikeEvent) { deliver(event) }
    func finish() -> SinkReport { report(dropped: 0) }

    /// Delivers one event, counting failures; a failing sink keeps failing on its own.
    final func deliver(_ event: SpikeEvent) {
        do {
            try sink.deliver(event)
            delivered += 1
        } catch {
            failures += 1
            lastError = String(describing: error)
        }
    }

    final func report(dropped: Int) -> SinkReport {
        do {
            try sink.finish()
        } catch {
            failures += 1
            lastError = String(describing: error)
        }
        return SinkReport(name: sink.name, delivered: delivered, dropped: dropped, failures: failures,
                          lastError: lastError, latencyMicros: sink.latency)
    }
}

/// A sink the loop feeds itself (`LoopSpikeSink`): the forwarding thread never offers it anything; its counts are the
/// sink's own.
final class LoopSinkChannel: SinkChannel, @unchecked Sendable {
    private let loopSink: any LoopSpikeSink
    init(_ sink: any LoopSpikeSink) {
        loopSink = sink
        super.init(sink: sink)
    }
    override func offer(_ event: SpikeEvent) { preconditionFailure("the loop feeds \(sink.name) itself") }
    override func finish() -> SinkReport {
        (delivered, failures, lastError) = loopSink.counts
        return report(dropped: 0)
    }
}

/// A sink that may block, behind its own bounded queue and thread.
final class IsolatedSinkChannel: SinkChannel, @unchecked Sendable {
    private let queue: SPSCRing<SpikeEvent>
    private let wakeUp = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    private var running = false
    private var offered = 0  // forwarding thread only
    private let waitsWhenFull: Bool

    init(sink: any SpikeSink, capacity: Int, waitsWhenFull: Bool) {
        queue = SPSCRing(capacity: capacity)
        self.waitsWhenFull = waitsWhenFull
        super.init(sink: sink)
    }

    override func start() {
        running = true
        let thread = Thread { [self] in
            while true {
                wakeUp.wait()
                while let event = queue.pop() { deliver(event) }
                if stopping.load(ordering: .acquiring) && queue.count == 0 { break }
            }
            done.signal()
        }
        thread.name = "neuronhil-sink"
        thread.start()
    }

    override func offer(_ event: SpikeEvent) {
        offered += 1
        while waitsWhenFull && running && queue.count >= queue.capacity {
            wakeUp.signal()
            Thread.sleep(forTimeInterval: 0.0002)
        }
        _ = queue.push(event)
        wakeUp.signal()
    }

    /// Waits for the sink to drain its queue. A sink that is blocked for good (a pipe nobody reads) would hang
    /// here, so the wait is bounded: after 2 s what is left is reported as dropped.
    override func finish() -> SinkReport {
        if running {
            stopping.store(true, ordering: .releasing)
            wakeUp.signal()
            if done.wait(timeout: .now() + 2) == .timedOut {
                // Everything offered that was neither delivered nor failed is lost: the queue's refusals, what is
                // still queued, and the event stuck inside `deliver`.
                let lost = offered - delivered - failures
                return SinkReport(name: sink.name, delivered: delivered, dropped: lost, failures: failures,
                                  lastError: "still blocked 2 s after the run ended; \(lost - queue.dropped) events not delivered",
                                  latencyMicros: nil)
            }
        }
        return report(dropped: queue.dropped)
    }
}
