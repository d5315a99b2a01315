import ArgumentParser
import Foundation
import NeuronControl
import NeuronHAL
import NeuronNetwork
import NeuronSession

/// `neuronctl bench-forwarding`: the forwarding latency of issue #3, measured without a board, against the
/// kernel's floor measured in the same run (see `ForwardingBenchmark`).
struct ForwardingBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-forwarding",
        abstract: "Measure spike forwarding latency: from the loop stamping a crossing to the jAER datagram leaving.",
        discussion: """
            A producer thread set up like the real-time loop (SCHED_FIFO at --priority, --cpu, locked memory, each \
            where permitted) ticks at --tick-rate and publishes a threshold crossing every 1/--rate seconds, and \
            sends its jAER datagram from its own thread as `neuronctl run --realtime --udp` does. Blocks of bare \
            sendto calls of the same datagram at the same rate alternate with the spikes: the floor. Prints p50 / \
            p99 / p99.9 / max of the time from the crossing's stamp to the return of sendto (targets: p99 50 us, \
            and at most 1.2 times the floor's p99), the floor's, and what the send takes out of the spike's tick. \
            Build with -c release; no root needed (without CAP_SYS_NICE the threads run in the normal class and the \
            report says so).
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
        var plan = ForwardingBenchmark.Plan(spikes: spikes, ticksPerSpike: ticksPerSpike,
                                            tickNanoseconds: Int64((1e9 / tickRate.frequency.hertz).rounded()),
                                            realtime: placement.plan)
        if let udp, let d = UDPDestination(udp) { plan.destination = NetworkFile.Endpoint(host: d.host, port: d.port) }
        plan.record = !noRecord
        plan.receiverWaits = receiverWaits
        plan.rateHz = rate.frequency.hertz
        let result: ForwardingBenchResult
        do { result = try ForwardingBenchmark.run(plan) { printMessage($0) } } catch {
            printError(error.description)
            throw ExitCode(error.exitCode)
        }
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

extension ForwardingBenchResult {
    var text: String {
        func f(_ x: Double) -> String { formatted(x, digits: 1) }
        func line(_ l: LatencySummary) -> String { "p50 \(f(l.p50)) us, p99 \(f(l.p99)) us, p99.9 \(f(l.p999)) us, max \(f(l.max)) us" }
        var out: [String] = []
        out.append("forwarding bench: \(spikes) spikes at \(formatted(rateHz, digits: 0)) Hz and as many bare sends, in alternating blocks of \(spikesPerBlock), producer ticking at \(formatted(tickRateHz, digits: 0)) Hz, \(formatted(seconds, digits: 1)) s")
        out.append("sinks               udp \(destination) from the producer's thread\(receiver.map { " (the bench's receiver \($0))" } ?? "")\(record ? ", spike record (CSV to /dev/null)" : "")")
        out.append("producer            " + (producer.applied + producer.warnings.map { "NOT APPLIED: " + $0 }).joined(separator: "; "))
        out.append("forwarding thread   " + (forwarderWaiting == "poll" ? "polling the ring (never sleeps); " : "")
                   + (forwarder.applied + forwarder.warnings.map { "NOT APPLIED: " + $0 }).joined(separator: "; "))
        let l = latencyMicros
        out.append("crossing to sendto  \(line(l)) over \(l.count) spikes")
        out.append("floor, bare sendto  \(line(floorMicros)) over \(floorMicros.count) sends (same datagram, destination and rate)")
        let ratio = ratioP99.map { formatted($0, digits: 2) + "x" } ?? "n/a"
        let met = ratioP99.map { $0 <= Self.targetRatioToFloor } ?? false
        out.append("ratio to the floor  p99 \(ratio) (target at most \(formatted(Self.targetRatioToFloor, digits: 1))x): \(met ? "met" : "MISSED")")
        let s = sendInTickMicros
        out.append("send in the tick    p50 \(f(s.p50)) us, p99 \(f(s.p99)) us, max \(f(s.max)) us of the spike's \(f(1e6 / tickRateHz)) us tick (stamp to the tick's end)")
        let h = handoffMicros
        out.append("hand-over, complete p50 \(f(h.p50)) us, p99 \(f(h.p99)) us, max \(f(h.max)) us (stamp to the forwarding thread popping it, for the spike record)")
        var delivery = "sent \(sent), failed \(failures), floor sent \(floorSent), failed \(floorFailures), dropped at the ring \(droppedAtLoop)"
        if let received { delivery += ", received \(received)" }
        if let sequenceGaps { delivery += ", sequence gaps \(sequenceGaps) (jAER's check)" }
        if let lastError { delivery += "; last error: \(lastError)" }
        out.append("datagrams           " + delivery)
        out.append("target p99 \(f(Self.targetP99Micros)) us: \(l.count > 0 && l.p99 <= Self.targetP99Micros ? "met" : "MISSED")")
        let w = producerWakeMicros
        out.append("producer wake-up    p50 \(f(w.p50)) us, p99 \(f(w.p99)) us, p99.9 \(f(w.p999)) us, max \(f(w.max)) us late (what the forwarding costs the loop)")
        if let loadAverage { out.append("load average        \(loadAverage) (a shared or busy machine inflates the tail)") }
        return out.joined(separator: "\n")
    }
}
