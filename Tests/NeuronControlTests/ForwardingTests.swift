import Dispatch
import Foundation
import Synchronization
import Testing
import NeuronControl
import NeuronHAL

/// A sink that records what it gets, optionally blocking forever or failing.
final class RecordingSink: SpikeSink, @unchecked Sendable {
    let name: String
    let mayBlock: Bool
    var events: [SpikeEvent] = []
    let gate: DispatchSemaphore?
    let fails: Bool
    /// The phases it accepts (`SpikeSink.accepts`); nil: the protocol's default (both).
    let phases: Set<SpikeEvent.Phase>?
    /// Called at the start of each delivery, on the delivering thread.
    let onDeliver: (@Sendable (SpikeEvent) -> Void)?
    init(name: String, mayBlock: Bool = false, blockForever: Bool = false, fails: Bool = false,
         phases: Set<SpikeEvent.Phase>? = nil, onDeliver: (@Sendable (SpikeEvent) -> Void)? = nil) {
        self.name = name
        self.mayBlock = mayBlock
        gate = blockForever ? DispatchSemaphore(value: 0) : nil
        self.fails = fails
        self.phases = phases
        self.onDeliver = onDeliver
    }
    struct Failure: Error {}
    func accepts(_ phase: SpikeEvent.Phase) -> Bool { phases?.contains(phase) ?? true }
    func deliver(_ event: SpikeEvent) throws {
        onDeliver?(event)
        if let gate { gate.wait() }
        if fails { throw Failure() }
        events.append(event)
    }
    func finish() throws {}
}

@Suite("SPSC ring and forwarding")
struct ForwardingTests {
    @Test("The ring keeps order, refuses when full and counts the drops")
    func ringBasics() {
        let ring = SPSCRing<Int>(capacity: 5)
        #expect(ring.capacity == 8)
        for i in 0..<10 { _ = ring.push(i) }
        #expect(ring.dropped == 2)
        var out: [Int] = []
        while let v = ring.pop() { out.append(v) }
        #expect(out == Array(0..<8))
        #expect(ring.pop() == nil)
    }

    @Test("One producer and one consumer on two threads: every value once, in order")
    func ringConcurrent() {
        let ring = SPSCRing<Int>(capacity: 64)
        let n = 200_000
        // The consumer is a thread of its own, not a task: this test spins pushing, and a task could wait forever
        // for a pool thread held by spinning tests (two on a 2-core machine).
        final class Outcome: Sendable {
            let inOrder = Atomic<Bool>(true)
            let done = DispatchSemaphore(value: 0)
        }
        let outcome = Outcome()
        let consumer = Thread {
            var expected = 0
            while expected < n {
                if let v = ring.pop() {
                    if v != expected { outcome.inOrder.store(false, ordering: .relaxed); break }
                    expected += 1
                }
            }
            outcome.done.signal()
        }
        consumer.start()
        var i = 0
        while i < n && outcome.inOrder.load(ordering: .relaxed) { if ring.push(i) { i += 1 } }
        outcome.done.wait()
        let inOrder = outcome.inOrder.load(ordering: .relaxed)
        #expect(inOrder)
    }

    @Test("A sink that blocks forever loses only its own events; the run and the other sinks are unaffected")
    func blockedSink() throws {
        let blocked = RecordingSink(name: "stuck", mayBlock: true, blockForever: true)
        let healthy = RecordingSink(name: "ok")
        let failing = RecordingSink(name: "bad", fails: true)
        let capacity = 16
        // The loop-side ring holds every event of the run, so only the stuck sink's own small queue can overflow,
        // however late the forwarding thread runs on a busy machine.
        let forwarder = SpikeForwarder(sinks: [blocked, healthy, failing], capacity: 4096, sinkQueueCapacity: capacity)
        forwarder.start()
        let timing = SystemClock()
        let run = try runOnMockBoard(train(count: 300), seed: 5, recordTrace: false,
                                     forwarder: forwarder, timingClock: timing)
        let report = forwarder.finish()
        let reference = try runOnMockBoard(train(count: 300), seed: 5, recordTrace: false, timingClock: timing)

        // The loop did all its work, and detected exactly what it detects without any sink.
        #expect(run.result.termination == .completed)
        #expect(run.result.samples == reference.result.samples)
        func untimed(_ s: [SpikeEvent]) -> [SpikeEvent] { s.map { var e = $0; e.detectedAt = 0; return e } }
        #expect(untimed(run.result.spikes) == untimed(reference.result.spikes))
        let events = 2 * run.result.spikes.count  // crossing + complete per spike
        #expect(events > 2 * capacity)
        #expect(report.droppedAtLoop == 0)
        // The healthy sink got every event in order; the failing one failed each time, on its own.
        #expect(healthy.events.count == events)
        #expect(healthy.events.filter { $0.phase == .complete }.map(\.index) == run.result.spikes.map(\.index))
        let r = Dictionary(uniqueKeysWithValues: report.sinks.map { ($0.name, $0) })
        #expect(r["ok"]?.delivered == events && r["ok"]?.dropped == 0)
        #expect(r["bad"]?.failures == events && r["bad"]?.delivered == 0)
        // The stuck sink holds one event in `deliver` and `capacity` in its queue, and its queue refused the rest:
        // all of them are reported lost.
        #expect(r["stuck"]?.delivered == 0)
        #expect(r["stuck"]?.dropped == events, "\(String(describing: r["stuck"]))")
        // Tick timing: the blocked sink does not slow ticks down. The loop never waits on a sink (a stall would have
        // kept this run from finishing at all); the bounds are generous because CI machines are shared and other
        // tests run in parallel.
        let with = run.result.timing.tickDurationMicros, without = reference.result.timing.tickDurationMicros
        #expect(with.count == without.count)
        #expect(with.p50 < 3 * without.p50 + 10, "p50 \(with.p50) us with the blocked sink, \(without.p50) us without")
        #expect(with.p99 < 10 * without.p99 + 200, "p99 \(with.p99) us with the blocked sink, \(without.p99) us without")
        blocked.gate?.signal()
    }

    /// Events as the detector reports them: a crossing, then the complete spike, for `count` spikes.
    static func spikeEvents(_ count: Int, detectedAt: Int64 = 0) -> [SpikeEvent] {
        (0..<count).flatMap { i -> [SpikeEvent] in
            let t = Int64(i) * 30_000_000
            let crossing = SpikeEvent(phase: .crossing, index: i, channel: 0, pulseIndex: i, onset: t, crossing: t, peakTime: t,
                                      peak: .volts(0.06), energy: .picojoules(0.5), biasTime: .milliseconds(7),
                                      fullyFormed: false, detectedAt: detectedAt)
            var complete = crossing
            complete.phase = .complete
            return [crossing, complete]
        }
    }

    @Test("A polling forwarder delivers every event, in order, to every sink, and stops when finished")
    func polling() async {
        let direct = RecordingSink(name: "direct")
        let isolated = RecordingSink(name: "isolated", mayBlock: true)
        // Room for every event: on a loaded machine the polling thread may not run for a while, and this test is about
        // delivery, not about the ring's overflow (tested above).
        let forwarder = SpikeForwarder(sinks: [direct, isolated], capacity: 512, waiting: .poll)
        #expect(forwarder.waiting == .poll)
        forwarder.start()
        let events = Self.spikeEvents(200)
        // Published in a few bursts with pauses, so the thread is found both busy and idle.
        for chunk in stride(from: 0, to: events.count, by: 100) {
            for e in events[chunk..<min(chunk + 100, events.count)] { forwarder.publish(e) }
            try? await Task.sleep(for: .milliseconds(1))
        }
        let report = forwarder.finish()
        #expect(direct.events == events)
        #expect(isolated.events == events)
        #expect(report.droppedAtLoop == 0)
        #expect(report.sinks.map(\.delivered) == [400, 400])  // a crossing and a complete event per spike
    }

    @Test("A sink is offered only the phases it accepts, on the forwarding thread or on its own")
    func phaseFilter() {
        let crossingsOnly = RecordingSink(name: "crossings", phases: [.crossing])
        let completeOnly = RecordingSink(name: "complete", mayBlock: true, phases: [.complete])
        let both = RecordingSink(name: "both", mayBlock: true)
        let forwarder = SpikeForwarder(sinks: [crossingsOnly, completeOnly, both])
        forwarder.start()
        let events = Self.spikeEvents(25)
        for e in events { forwarder.publish(e) }
        let report = forwarder.finish()
        #expect(crossingsOnly.events == events.filter { $0.phase == .crossing })
        #expect(completeOnly.events == events.filter { $0.phase == .complete })
        #expect(both.events == events)
        #expect(report.sinks.map(\.name) == ["crossings", "complete", "both"], "reports keep the order the sinks were given")
        #expect(report.sinks.map(\.delivered) == [25, 25, 50])
        #expect(report.sinks.allSatisfy { $0.dropped == 0 && $0.failures == 0 })
    }

    @Test("Non-blocking sinks have every event before any blocking sink's thread sees it, whatever the order given")
    func nonBlockingSinksFirst() {
        // For the first crossings, the non-blocking sink waits (up to 200 ms) for the blocking sink's thread to
        // report that event: it must not, because the blocking sink is offered an event only after every
        // non-blocking sink has returned. (With the blocking sink offered first, its thread reports it at once.)
        let checked = 3
        final class Probe: Sendable {
            let queuedSaw = (0..<3).map { _ in DispatchSemaphore(value: 0) }
            let violations = Atomic<Int>(0)
        }
        let probe = Probe()
        let queued = RecordingSink(name: "record", mayBlock: true, onDeliver: { e in
            if e.phase == .crossing && e.index < checked { probe.queuedSaw[e.index].signal() }
        })
        let direct = RecordingSink(name: "udp-like", phases: [.crossing], onDeliver: { e in
            if e.index < checked && probe.queuedSaw[e.index].wait(timeout: .now() + .milliseconds(200)) == .success {
                probe.violations.add(1, ordering: .relaxed)
            }
        })
        // The blocking sink is given first, as `neuronctl run` gives the spike record before UDP.
        let forwarder = SpikeForwarder(sinks: [queued, direct])
        forwarder.start()
        for e in Self.spikeEvents(50) { forwarder.publish(e) }
        let report = forwarder.finish()
        #expect(queued.events.count == 100)
        #expect(direct.events.count == 50)
        let violations = probe.violations.load(ordering: .relaxed)
        #expect(violations == 0, "the blocking sink saw \(violations) of the first \(checked) crossings before the non-blocking one was done")
        #expect(report.sinks.map(\.name) == ["record", "udp-like"])
    }

    @Test("start returns after the thread setup has run on the forwarding thread")
    func setupRunsBeforeStartReturns() {
        final class Flag: Sendable { let ran = Atomic<Bool>(false) }
        let flag = Flag()
        let forwarder = SpikeForwarder(sinks: [RecordingSink(name: "ok")])
        forwarder.start { flag.ran.store(true, ordering: .releasing) }
        let ran = flag.ran.load(ordering: .acquiring)
        #expect(ran)
        _ = forwarder.finish()
    }

    @Test("Given a clock, the forwarder reports the hand-over of every stamped event; without one, nothing")
    func handoffReport() {
        let clock = SystemClock()
        let timed = SpikeForwarder(sinks: [RecordingSink(name: "ok")], clock: clock)
        timed.start()
        let stamped = Self.spikeEvents(20, detectedAt: max(1, clock.now.nanoseconds))
        for e in stamped { timed.publish(e) }
        // Unstamped events (an untimed run) are forwarded but not measured.
        for e in Self.spikeEvents(5) { timed.publish(e) }
        let report = timed.finish()
        #expect(report.handoffMicros?.count == 40)
        #expect(report.sinks.first?.delivered == 50)

        let untimed = SpikeForwarder(sinks: [RecordingSink(name: "ok")])
        untimed.start()
        for e in stamped { untimed.publish(e) }
        #expect(untimed.finish().handoffMicros == nil)
    }
}
