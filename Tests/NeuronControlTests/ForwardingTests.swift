import Dispatch
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
    init(name: String, mayBlock: Bool = false, blockForever: Bool = false, fails: Bool = false) {
        self.name = name
        self.mayBlock = mayBlock
        gate = blockForever ? DispatchSemaphore(value: 0) : nil
        self.fails = fails
    }
    struct Failure: Error {}
    func deliver(_ event: SpikeEvent) throws {
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
    func ringConcurrent() async {
        let ring = SPSCRing<Int>(capacity: 64)
        let n = 200_000
        let consumer = Task.detached { () -> Bool in
            var expected = 0
            while expected < n {
                if let v = ring.pop() {
                    if v != expected { return false }
                    expected += 1
                }
            }
            return true
        }
        var i = 0
        while i < n { if ring.push(i) { i += 1 } }
        #expect(await consumer.value)
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
                                     outputs: SpikeOutputs(forwarder: forwarder), timingClock: timing)
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
}
