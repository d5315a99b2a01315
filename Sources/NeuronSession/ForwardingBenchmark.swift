public import NeuronControl
public import NeuronLinux
import NeuronHAL
public import NeuronNetwork
import NeuronSinks
import Foundation
import Synchronization

/// The forwarding latency measured without a board (`neuronctl bench-forwarding`).
///
/// A producer thread stands in for the engine: it is set up exactly as a real-time run sets up the loop
/// (`RealtimeThread.run`: SCHED_FIFO, CPU, locked memory, cpu_dma_latency, each where permitted), wakes at the
/// loop's tick rate with absolute deadlines, and every so many ticks stamps a threshold crossing (`detectedAt`) and
/// publishes it, then the spike's complete event half a spike period later, as the detector does. The forwarder,
/// its thread setup and the sinks are the ones a run uses: the jAER UDP sink (measuring to the return of `sendto`)
/// and, unless `record` is off, the spike record (CSV, here to /dev/null). The datagrams go to a receiver thread on
/// 127.0.0.1 that counts them (draining its socket every millisecond, so that no sendto pays for waking it: in a
/// deployment the receiver is on another machine), unless `destination` names another.
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
        let udpSink: UDPJAERSink
        do {
            if plan.record { sinks.append(try CSVSpikeSink(path: "/dev/null", metadata: [("bench", "forwarding")])) }
            udpSink = try UDPJAERSink(host: destination.host, port: destination.port, clock: clock)
            sinks.append(udpSink)
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
        let job = Handover(value: forwarder)
        let started = clock.now
        let (producerWake, loopReport) = RealtimeThread.run(settings) {
            produce(plan, into: job.value, clock: LinuxClock())
        }
        let wall = clock.now.nanoseconds - started.nanoseconds
        for w in loopReport.warnings + (forwarderReport?.warnings ?? []) { messages(.warning("real-time: \(w)")) }
        let report = forwarder.finish()
        // Give the last datagrams time to arrive before counting.
        if receiver != nil {
            var waited = 0
            while received.count.load(ordering: .relaxed) < plan.spikes && waited < 50 {
                usleep(10_000)
                waited += 1
            }
            receiver?.stop()
        }
        let udpReport = report.sinks.first { $0.name == udpSink.name }
        return ForwardingBenchResult(
            spikes: plan.spikes, rateHz: plan.rateHz, tickRateHz: 1e9 / Double(plan.tickNanoseconds), seconds: Double(wall) * 1e-9,
            destination: destination.description,
            receiver: receiver == nil ? nil : (plan.receiverWaits ? "waits in recvfrom" : "drains every 1 ms"),
            received: receiver == nil ? nil : received.count.load(ordering: .relaxed),
            record: plan.record, forwarderWaiting: rt.forwarderPolls ? "poll" : "block", latencyMicros: udpReport?.latencyMicros ?? .empty,
            handoffMicros: report.handoffMicros ?? .empty, sent: udpReport?.delivered ?? 0, failures: udpReport?.failures ?? 0,
            lastError: udpReport?.lastError, droppedAtLoop: report.droppedAtLoop, producerWakeMicros: producerWake, producer: loopReport,
            forwarder: forwarderReport ?? RealtimeReport(), loadAverage: loadAverage())
    }
}

/// Datagrams the bench's receiver got (its thread counts, the command reads).
final class DatagramCounter: Sendable {
    let count = Atomic<Int>(0)
}

/// The stand-in for the control loop: absolute deadlines, one clock read and one `publish` per event, nothing
/// else (no allocation, no lock). Returns how late its wake-ups were, to show what the forwarder's placement costs
/// the loop.
func produce(_ plan: ForwardingBenchmark.Plan, into forwarder: SpikeForwarder, clock: LinuxClock) -> WakeSummary {
    var late = WakeCounts()
    let t0 = clock.now.nanoseconds + 1_000_000
    let completeTick = plan.ticksPerSpike / 2
    var template = SpikeEvent(phase: .crossing, index: 0, channel: 0, pulseIndex: 0, onset: 0, crossing: 0, peakTime: 0,
                              peak: .volts(0.3), energy: .picojoules(13.5), biasTime: .milliseconds(7), fullyFormed: false)
    for tick in 0..<(plan.spikes * plan.ticksPerSpike) {
        let deadline = t0 + Int64(tick) * plan.tickNanoseconds
        clock.sleep(until: MonotonicInstant(nanoseconds: deadline))
        late.record(clock.now.nanoseconds - deadline)
        let (spike, phase) = tick.quotientAndRemainder(dividingBy: plan.ticksPerSpike)
        guard phase == 0 || phase == completeTick else { continue }
        template.index = spike
        template.pulseIndex = spike
        template.onset = deadline - t0
        template.crossing = deadline - t0
        template.peakTime = deadline - t0 + Int64(completeTick) * plan.tickNanoseconds / 2
        template.phase = phase == 0 ? .crossing : .complete
        template.detectedAt = clock.now.nanoseconds
        forwarder.publish(template)
    }
    return late.summary
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

    public static let targetP99Micros = 50.0
}
