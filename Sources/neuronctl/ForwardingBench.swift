import ArgumentParser
import Foundation
import NeuronControl
import NeuronHAL
import NeuronLinux
import NeuronNetwork
import NeuronSinks
import NeuronSession
import Synchronization

/// `neuronctl bench-forwarding`: the forwarding latency of issue #3, measured without a board.
///
/// A producer thread stands in for the control loop: it is set up exactly as `run --realtime` sets up the loop
/// (`RealtimeThread.run`: SCHED_FIFO, CPU, locked memory, cpu_dma_latency, each where permitted), wakes at the
/// loop's tick rate with absolute deadlines, and every so many ticks stamps a threshold crossing (`detectedAt`) and
/// publishes it, then the spike's complete event half a spike period later, as the detector does. The forwarder,
/// its thread setup and the sinks are the ones `run` uses: the jAER UDP sink (measuring to the return of
/// `sendto`) and, unless `--no-record`, the spike record (CSV, here to /dev/null), which `run` always has.
/// The datagrams go to a receiver thread on 127.0.0.1 that counts them (draining its socket every millisecond, so
/// that no sendto pays for waking it: in a deployment the receiver is on another machine), unless `--udp` names
/// another destination.
struct ForwardingBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-forwarding",
        abstract: "Measure spike forwarding latency: from the loop stamping a crossing to the jAER datagram leaving.",
        discussion: """
            A producer thread set up like the real-time loop (SCHED_FIFO at --priority, --cpu, locked memory, each \
            where permitted) ticks at --tick-rate and publishes a threshold crossing every 1/--rate seconds through \
            the same ring, forwarding thread and UDP sink as `neuronctl run --realtime --udp`. Prints p50 / p99 / \
            p99.9 / max of the time from the crossing's stamp to the return of sendto (target: p99 50 us), and the \
            part of it spent before the forwarding thread had the event. Build with -c release; no root needed \
            (without CAP_SYS_NICE both threads run in the normal class and the report says so).
            """)

    @Option(help: ArgumentHelp("Spikes to forward.", valueName: "n"))
    var spikes = 5000

    @Option(help: ArgumentHelp("Spikes per second.", valueName: "Hz"))
    var rate = FrequencyArgument(.hertz(500))

    @Option(name: .customLong("tick-rate"), help: ArgumentHelp("The producer's tick rate, as the loop's sample rate (Hz).", valueName: "Hz"))
    var tickRate = FrequencyArgument(.hertz(10_000))

    @Option(help: ArgumentHelp("Send the datagrams to HOST:PORT instead of the bench's own receiver on 127.0.0.1.", valueName: "host:port"))
    var udp: String?

    /// The producer's placement is the loop's (`--priority`, `--cpu`), with the same checks and defaults.
    @OptionGroup var placement: ThreadPlacementFlags

    @Flag(name: .customLong("no-record"), help: "Leave out the spike record sink (CSV to /dev/null) that `run` always has.")
    var noRecord = false

    @Flag(name: .customLong("receiver-waits"), help: "The bench's receiver sleeps in recvfrom, so each sendto also wakes it on this machine (default: it drains its socket every millisecond, as if it were on another machine).")
    var receiverWaits = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard spikes >= 1 else { throw ValidationError("--spikes must be at least 1 (got \(spikes))") }
        if let udp, UDPDestination(udp) == nil {
            throw ValidationError("--udp \(udp): expected HOST:PORT with an IPv4 address and a port 1-65535, e.g. 127.0.0.1:8991")
        }
        guard ticksPerSpike >= 2 else {
            throw ValidationError("--rate \(formatted(rate.frequency.hertz, digits: 0)) Hz: at most half the tick rate (\(formatted(tickRate.frequency.hertz / 2, digits: 0)) Hz), as a spike and its end take two ticks")
        }
    }

    var ticksPerSpike: Int { Int((tickRate.frequency.hertz / rate.frequency.hertz).rounded(.down)) }

    func run() throws {
        let clock = LinuxClock()
        var receiver: UDPReceiver?
        let received = DatagramCounter()
        let destination: UDPDestination
        if let udp, let d = UDPDestination(udp) {
            destination = d
        } else {
            do {
                let r = try UDPReceiver(host: "127.0.0.1", port: 0)
                receiver = r
                destination = UDPDestination("127.0.0.1:\(r.port)")!
            } catch {
                printError(error.description)
                throw ExitCode(2)
            }
        }
        var sinks: [any SpikeSink] = []
        let udpSink: UDPJAERSink
        do {
            if !noRecord { sinks.append(try CSVSpikeSink(path: "/dev/null", metadata: [("bench", "forwarding")])) }
            udpSink = try UDPJAERSink(host: destination.host, port: destination.port, clock: clock)
            sinks.append(udpSink)
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        // In a deployment the receiver (jAER, another board) is on another machine: sendto hands the datagram to
        // the NIC and wakes nobody here. A local receiver sleeping in recvfrom would add its wake-up (an IPI) to
        // every sendto; draining the socket every millisecond keeps that cost out unless --receiver-waits.
        receiver?.start(drainEvery: receiverWaits ? nil : .milliseconds(1)) { _, _ in received.count.add(1, ordering: .relaxed) }

        let p = placement
        let forwarder = SpikeForwarder(sinks: sinks, capacity: 4096, clock: clock, waiting: p.forwarderPoll ? .poll : .block)
        let forwarderReport = Session.start(forwarder, realtime: p.plan)

        let settings = RealtimeSettings(priority: p.loopPriority, cpu: p.cpu, lockMemory: !p.noMlock)
        let plan = ProducerPlan(spikes: spikes, ticksPerSpike: ticksPerSpike,
                                tickNanoseconds: Int64((1e9 / tickRate.frequency.hertz).rounded()))
        let job = Handover(value: forwarder)
        let started = clock.now
        let (producerWake, loopReport) = RealtimeThread.run(settings) {
            produce(plan, into: job.value, clock: LinuxClock())
        }
        let wall = (clock.now.nanoseconds - started.nanoseconds)
        for w in loopReport.warnings + (forwarderReport?.warnings ?? []) { printWarning("real-time: \(w)") }
        let report = forwarder.finish()
        // Give the last datagrams time to arrive before counting.
        if receiver != nil {
            var waited = 0
            while received.count.load(ordering: .relaxed) < spikes && waited < 50 {
                usleep(10_000)
                waited += 1
            }
            receiver?.stop()
        }
        let udpReport = report.sinks.first { $0.name == udpSink.name }
        let result = ForwardingBenchResult(
            spikes: spikes, rateHz: rate.frequency.hertz, tickRateHz: tickRate.frequency.hertz, seconds: Double(wall) * 1e-9,
            destination: "\(destination.host):\(destination.port)",
            receiver: receiver == nil ? nil : (receiverWaits ? "waits in recvfrom" : "drains every 1 ms"), received: receiver == nil ? nil : received.count.load(ordering: .relaxed),
            record: !noRecord, forwarderWaiting: p.forwarderPoll ? "poll" : "block", latencyMicros: udpReport?.latencyMicros ?? .empty, handoffMicros: report.handoffMicros ?? .empty,
            sent: udpReport?.delivered ?? 0, failures: udpReport?.failures ?? 0, lastError: udpReport?.lastError,
            droppedAtLoop: report.droppedAtLoop, producerWakeMicros: producerWake, producer: loopReport,
            forwarder: forwarderReport ?? RealtimeReport(), loadAverage: loadAverage())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(result.text)
        }
    }
}

/// Datagrams the bench's receiver got (its thread counts, the command reads).
final class DatagramCounter: Sendable {
    let count = Atomic<Int>(0)
}

/// What the producer does: `spikes` crossings, one every `ticksPerSpike` ticks of `tickNanoseconds`.
struct ProducerPlan: Sendable {
    var spikes: Int
    var ticksPerSpike: Int
    var tickNanoseconds: Int64
}

/// The stand-in for the control loop: absolute deadlines, one clock read and one `publish` per event, nothing
/// else (no allocation, no lock). Returns how late its wake-ups were, to show what the forwarder's placement costs
/// the loop.
func produce(_ plan: ProducerPlan, into forwarder: SpikeForwarder, clock: LinuxClock) -> WakeSummary {
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
struct WakeSummary: Encodable, Sendable {
    var p50 = 0.0, p99 = 0.0, p999 = 0.0, max = 0.0
}

func loadAverage() -> String? {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
    return text.split(separator: " ").first.map(String.init)
}

struct ForwardingBenchResult: Encodable {
    var spikes: Int
    var rateHz: Double
    var tickRateHz: Double
    var seconds: Double
    var destination: String
    /// How the bench's own receiver takes datagrams (nil when sending elsewhere).
    var receiver: String?
    /// Datagrams the bench's own receiver got (nil when sending elsewhere).
    var received: Int?
    var record: Bool
    /// How the forwarding thread waited: "block" (semaphore) or "poll".
    var forwarderWaiting: String
    /// Crossing stamped by the producer to `sendto` returning.
    var latencyMicros: LatencySummary
    /// Crossing stamped to the forwarding thread taking it from the ring (wake-up included).
    var handoffMicros: LatencySummary
    /// Datagrams `sendto` took.
    var sent: Int
    var failures: Int
    var lastError: String?
    var droppedAtLoop: Int
    /// How late the producer (the loop's stand-in) woke for its ticks.
    var producerWakeMicros: WakeSummary
    var producer: RealtimeReport
    var forwarder: RealtimeReport
    var loadAverage: String?

    static let targetP99Micros = 50.0

    var text: String {
        func f(_ x: Double) -> String { formatted(x, digits: 1) }
        var out: [String] = []
        out.append("forwarding bench: \(spikes) spikes at \(formatted(rateHz, digits: 0)) Hz, producer ticking at \(formatted(tickRateHz, digits: 0)) Hz, \(formatted(seconds, digits: 1)) s")
        out.append("sinks               udp \(destination)\(receiver.map { " (the bench's receiver \($0))" } ?? "")\(record ? ", spike record (CSV to /dev/null)" : "")")
        out.append("producer            " + (producer.applied + producer.warnings.map { "NOT APPLIED: " + $0 }).joined(separator: "; "))
        out.append("forwarding thread   " + (forwarderWaiting == "poll" ? "polling the ring (never sleeps); " : "")
                   + (forwarder.applied + forwarder.warnings.map { "NOT APPLIED: " + $0 }).joined(separator: "; "))
        let l = latencyMicros
        out.append("crossing to sendto  p50 \(f(l.p50)) us, p99 \(f(l.p99)) us, p99.9 \(f(l.p999)) us, max \(f(l.max)) us over \(l.count) spikes")
        let h = handoffMicros
        out.append("hand-over, any event p50 \(f(h.p50)) us, p99 \(f(h.p99)) us, p99.9 \(f(h.p999)) us, max \(f(h.max)) us (stamp to the forwarding thread popping it: the wake-up part)")
        var delivery = "sent \(sent), failed \(failures), dropped at the ring \(droppedAtLoop)"
        if let received { delivery += ", received \(received)" }
        if let lastError { delivery += "; last error: \(lastError)" }
        out.append("datagrams           " + delivery)
        out.append("target p99 \(f(Self.targetP99Micros)) us: \(l.count > 0 && l.p99 <= Self.targetP99Micros ? "met" : "MISSED")")
        let w = producerWakeMicros
        out.append("producer wake-up    p50 \(f(w.p50)) us, p99 \(f(w.p99)) us, p99.9 \(f(w.p999)) us, max \(f(w.max)) us late (what the forwarder's placement costs the loop)")
        if let loadAverage { out.append("load average        \(loadAverage) (a shared or busy machine inflates the tail)") }
        return out.joined(separator: "\n")
    }
}
