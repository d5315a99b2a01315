public import NeuronControl
public import NeuronLinux
import NeuronHAL
public import NeuronNetwork
import NeuronSinks
import Foundation
import Synchronization

/// The forwarding latency measured without a board (`neuronctl bench-forwarding`), against the kernel's floor.
///
/// A producer thread stands in for the engine: it is set up exactly as a real-time run sets up the loop
/// (`RealtimeThread.run`: SCHED_FIFO, CPU, locked memory, cpu_dma_latency, each where permitted), wakes at the
/// loop's tick rate with absolute deadlines, and every so many ticks stamps a threshold crossing (`detectedAt`),
/// publishes it and ends the tick, as the engine does (the jAER UDP sink sends from the loop's thread, measuring to
/// the return of `sendto`); the spike's complete event follows half a spike period later, through the forwarder to
/// the spike record (CSV, here to /dev/null) unless `record` is off.
///
/// The floor, in the same run: blocks of spikes alternate with blocks of bare `sendto`s of the same one-event
/// datagram to the same destination at the same rate (`UDPFloorSender`, its own socket), timed from just before the
/// call to its return. The complete events go on in both blocks, so both sends see the same background.
///
/// The datagrams go to a receiver thread on 127.0.0.1 that counts them and checks their sequence numbers as jAER
/// does (draining its socket every millisecond, so that no sendto pays for waking it: in a deployment the receiver
/// is on another machine), unless `destination` names another.
public enum ForwardingBenchmark {
    public struct Plan: Sendable {
        public var spikes: Int
        public var ticksPerSpike: Int
        public var tickNanoseconds: Int64
        public var rateHz: Double = 0
        public var realtime: RealtimePlan
        /// nil: the bench's own receiver on 127.0.0.1.
        public var destination: NetworkFile.Endpoint?
        public var record = true
        public var receiverWaits = false
        public init(spikes: Int, ticksPerSpike: Int, tickNanoseconds: Int64, realtime: RealtimePlan) {
            self.spikes = spikes
            self.ticksPerSpike = ticksPerSpike
            self.tickNanoseconds = tickNanoseconds
            self.realtime = realtime
        }
        /// Spikes (and floor sends) per block: about a second's worth, so each block runs long at the rate it measures.
        public var spikesPerBlock: Int { Swift.max(1, Swift.min(spikes, Int(rateHz.rounded()))) }
    }

    public static func run(_ plan: Plan, messages: @escaping @Sendable (SessionMessage) -> Void = { _ in }) throws(SessionError) -> ForwardingBenchResult {
        let clock = LinuxClock()
        var receiver: UDPReceiver?
        let received = DatagramCounter()
        let destination: NetworkFile.Endpoint
        if let d = plan.destination {
            destination = d
        } else {
            do { receiver = try UDPReceiver(host: "127.0.0.1", port: 0) } catch { throw SessionError(error.description) }
            destination = NetworkFile.Endpoint(host: "127.0.0.1", port: receiver!.port)
        }
        var sinks: [any SpikeSink] = []
        let udpSink: UDPJAERSink, floor: UDPFloorSender
        do {
            if plan.record { sinks.append(try CSVSpikeSink(path: "/dev/null", metadata: [("bench", "forwarding")])) }
            udpSink = try UDPJAERSink(host: destination.host, port: destination.port, clock: clock)
            sinks.append(udpSink)
            floor = try UDPFloorSender(host: destination.host, port: destination.port, clock: clock)
        } catch {
            throw SessionError(error.description)
        }
        // In a deployment the receiver (jAER, another board) is on another machine: sendto hands the datagram to
        // the NIC and wakes nobody here. A local receiver sleeping in recvfrom would add its wake-up (an IPI) to
        // every sendto; draining the socket every millisecond keeps that cost out unless `receiverWaits`.
        receiver?.start(drainEvery: plan.receiverWaits ? nil : .milliseconds(1)) { _, _ in received.count.add(1, ordering: .relaxed) }

        let rt = plan.realtime
        let forwarder = SpikeForwarder(sinks: sinks, capacity: 4096, clock: clock, waiting: rt.forwarderPolls ? .poll : .block)
        let forwarderReport = Session.start(forwarder, realtime: rt)
        let settings = RealtimeSettings(priority: rt.priority, cpu: rt.cpu, lockMemory: rt.lockMemory)
        let job = Handover(value: (forwarder, floor))
        let started = clock.now
        let (producer, loopReport) = RealtimeThread.run(settings) {
            produce(plan, into: job.value.0, floor: job.value.1, clock: LinuxClock())
        }
        let wall = clock.now.nanoseconds - started.nanoseconds
        for w in loopReport.warnings + (forwarderReport?.warnings ?? []) { messages(.warning("real-time: \(w)")) }
        let report = forwarder.finish()
        // Give the last datagrams time to arrive before counting.
        if let receiver {
            var waited = 0
            while received.count.load(ordering: .relaxed) < plan.spikes + floor.sent && waited < 50 {
                usleep(10_000)
                waited += 1
            }
            receiver.stop()
        }
        let udpReport = report.sinks.first { $0.name == udpSink.name }
        var result = ForwardingBenchResult(
            spikes: plan.spikes, rateHz: plan.rateHz, tickRateHz: 1e9 / Double(plan.tickNanoseconds), seconds: Double(wall) * 1e-9,
            destination: destination.description,
            receiver: receiver == nil ? nil : (plan.receiverWaits ? "waits in recvfrom" : "drains every 1 ms"),
            received: receiver == nil ? nil : received.count.load(ordering: .relaxed),
            record: plan.record, forwarderWaiting: rt.forwarderPolls ? "poll" : "block", latencyMicros: udpReport?.latencyMicros ?? .empty,
            handoffMicros: report.handoffMicros ?? .empty, sent: udpReport?.delivered ?? 0, failures: udpReport?.failures ?? 0,
            lastError: udpReport?.lastError, droppedAtLoop: report.droppedAtLoop, producerWakeMicros: producer.wake, producer: loopReport,
            forwarder: forwarderReport ?? RealtimeReport(), loadAverage: loadAverage())
        result.spikesPerBlock = plan.spikesPerBlock
        result.floorMicros = floor.latency
        result.floorSent = floor.sent
        result.floorFailures = floor.failures
        result.sendInTickMicros = producer.sendInTick
        result.sequenceGaps = receiver?.sequence.gaps
        let ours = result.latencyMicros, bare = result.floorMicros
        result.ratioP99 = ours.count > 0 && bare.count > 0 && bare.p99 > 0 ? ours.p99 / bare.p99 : nil
        return result
    }
}

/// Datagrams the bench's receiver got (its thread counts, the command reads).
final class DatagramCounter: Sendable {
    let count = Atomic<Int>(0)
}

/// What the producer measured on its own thread.
struct ProducerFigures {
    /// How late its wake-ups were.
    var wake: WakeSummary
    /// On a spike's tick, from the crossing's stamp to the end of the tick (`publish` and `endTick`, the send
    /// included): what sending from the loop takes out of that tick.
    var sendInTick: WakeSummary
}

/// The stand-in for the control loop: a tick at every deadline (absolute), each ended with `endTick` as the engine
/// ends its samples; on a spike's tick one clock read and one `publish` before it (the tick's end sends the
/// datagram), or in a floor block one bare send instead; nothing else (no allocation, no lock).
/// Returns how late its wake-ups were, to show what the forwarding costs the loop.
func produce(_ plan: ForwardingBenchmark.Plan, into forwarder: SpikeForwarder, floor: UDPFloorSender, clock: LinuxClock) -> ProducerFigures {
    var late = WakeCounts(), sendInTick = WakeCounts()
    let t0 = clock.now.nanoseconds + 1_000_000
    let completeTick = plan.ticksPerSpike / 2
    var template = SpikeEvent(phase: .crossing, index: 0, channel: 0, pulseIndex: 0, onset: 0, crossing: 0, peakTime: 0,
                              peak: .volts(0.3), energy: .picojoules(13.5), biasTime: .milliseconds(7), fullyFormed: false)
    // Slots of one spike period; the first block is ours, then the floor's, alternating, until both have `spikes`.
    var done = (ours: 0, floor: 0), inBlock = 0, floorTurn = false
    for slot in 0..<(2 * plan.spikes) {
        let index = floorTurn ? done.floor : done.ours
        for phase in 0..<plan.ticksPerSpike {
            let deadline = t0 + Int64(slot * plan.ticksPerSpike + phase) * plan.tickNanoseconds
            clock.sleep(until: MonotonicInstant(nanoseconds: deadline))
            late.record(clock.now.nanoseconds - deadline)
            guard phase == 0 || phase == completeTick else {
                forwarder.endTick()  // as the engine ends every sample's tick
                continue
            }
            if phase == 0 && floorTurn {
                floor.send(address: 0, timestampMicros: Int32(truncatingIfNeeded: (deadline - t0) / 1000))
                continue
            }
            template.index = index
            template.pulseIndex = index
            template.onset = deadline - t0
            template.crossing = deadline - t0
            template.peakTime = deadline - t0 + Int64(completeTick) * plan.tickNanoseconds / 2
            template.phase = phase == 0 ? .crossing : .complete
            template.detectedAt = clock.now.nanoseconds
            forwarder.publish(template)
            forwarder.endTick()
            if phase == 0 { sendInTick.record(clock.now.nanoseconds - template.detectedAt) }
        }
        if floorTurn { done.floor += 1 } else { done.ours += 1 }
        inBlock += 1
        let finished = floorTurn ? done.floor : done.ours
        if inBlock == plan.spikesPerBlock || finished == plan.spikes {
            inBlock = 0
            if (floorTurn ? done.ours : done.floor) < plan.spikes { floorTurn.toggle() }
        }
    }
    return ProducerFigures(wake: late.summary, sendInTick: sendInTick.summary)
}

/// How late the producer woke, counted per microsecond up to 100 ms (later ones in the last bin, the maximum kept
/// exactly): preallocated, so recording inside the producer's ticks allocates nothing, whatever the run's length.
struct WakeCounts {
    private var bins = [Int](repeating: 0, count: 100_001)
    private var total = 0
    private var maxNanoseconds: Int64 = 0

    mutating func record(_ nanoseconds: Int64) {
        let ns = Swift.max(0, nanoseconds)
        bins[Int(Swift.min(ns / 1000, Int64(bins.count - 1)))] += 1
        total += 1
        maxNanoseconds = Swift.max(maxNanoseconds, ns)
    }

    /// The smallest bin (µs) below which a fraction `q` of the wake-ups fall.
    func percentile(_ q: Double) -> Double {
        let rank = Swift.max(1, Int((q * Double(total)).rounded(.up)))
        var seen = 0
        for (micros, n) in bins.enumerated() {
            seen += n
            if seen >= rank { return Double(micros) }
        }
        return Double(bins.count - 1)
    }

    var summary: WakeSummary {
        total == 0 ? WakeSummary() : WakeSummary(p50: percentile(0.5), p99: percentile(0.99), p999: percentile(0.999),
                                                 max: Double(maxNanoseconds) / 1000)
    }
}

/// Percentiles of the producer's wake-up lateness, microseconds (1 µs resolution).
public struct WakeSummary: Encodable, Sendable {
    public var p50 = 0.0, p99 = 0.0, p999 = 0.0, max = 0.0
}

func loadAverage() -> String? {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
    return text.split(separator: " ").first.map(String.init)
}

public struct ForwardingBenchResult: Encodable, Sendable {
    public var spikes: Int
    public var rateHz: Double
    public var tickRateHz: Double
    public var seconds: Double
    public var destination: String
    /// How the bench's own receiver takes datagrams (nil when sending elsewhere).
    public var receiver: String?
    /// Datagrams the bench's own receiver got (nil when sending elsewhere).
    public var received: Int?
    public var record: Bool
    /// How the forwarding thread waited: "block" (semaphore) or "poll".
    public var forwarderWaiting: String
    /// Crossing stamped by the producer to `sendto` returning.
    public var latencyMicros: LatencySummary
    /// Crossing stamped to the forwarding thread taking it from the ring (wake-up included).
    public var handoffMicros: LatencySummary
    /// Datagrams `sendto` took.
    public var sent: Int
    public var failures: Int
    public var lastError: String?
    public var droppedAtLoop: Int
    /// How late the producer (the loop's stand-in) woke for its ticks.
    public var producerWakeMicros: WakeSummary
    public var producer: RealtimeReport
    public var forwarder: RealtimeReport
    public var loadAverage: String?
    /// Spikes, then floor sends, per alternating block.
    public var spikesPerBlock = 0
    /// The floor: a bare `sendto` of the same datagram at the same rate, from its call to its return.
    public var floorMicros = LatencySummary.empty
    public var floorSent = 0
    public var floorFailures = 0
    /// On a spike's tick, from the crossing's stamp to the end of the tick: what sending from the loop costs the tick.
    public var sendInTickMicros = WakeSummary()
    /// Gaps in the sequence numbers of the datagrams the bench's receiver got, by jAER's check (nil when sending
    /// elsewhere).
    public var sequenceGaps: Int?

    /// Our p99 over the floor's (nil without both).
    public var ratioP99: Double?

    public static let targetP99Micros = 50.0
    /// Our p99 at most this many times the floor's.
    public static let targetRatioToFloor = 1.2
}
