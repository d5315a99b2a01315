// Heap allocations per loop tick, counted by ordo-one's malloc interposer (every malloc/calloc/realloc/
// posix_memalign of the process goes through it).
//
// Each run is the `Engine` as the commands build it: a forwarder, spike-out lines, every channel streaming its trace,
// ticks timed. A run allocates a fixed number of blocks when it starts (records, histograms, detector buffers) and
// when it ends (the result); none of these depend on the run's length. So two runs that differ only in length
// allocate the same number of blocks exactly when a tick allocates nothing:
//     allocations per tick = (mallocs(long) − mallocs(short)) / (ticks(long) − ticks(short)).
// The simulated chips' logs are off (`recordsHistory: false`), as in `neuronctl`.
//
// `run`: the Fig. 2c train, 330 against 660 pulses. Then `network` the same way (Boards/networks/two-neuron-loop.yaml
// on Boards/mock-two-neurons.yaml, neuron A driven at 33 Hz, each of its spikes routed to B): 3 s against 6 s.
//
// Then a live `sense` run the same way: one neuron whose rate-coded pulses follow a `LiveValueFeed` that another
// thread posts to all along (as `sense --listen` or live standard input do): 3 s against 6 s; 0 allocations.
//
// Then a `run` with the live view and 10 viewers connected (raw WebSocket clients reading everything): the
// publisher and the server allocate on their own threads all along, so this figure counts only the allocations
// made on the loop's thread (an allocation hook that checks the thread), 330 against 660 pulses.
//
// Then the forwarding path on its own, the same way: the UDP sink as the loop feeds it (stage, and at the tick's end
// sendto and the latency histogram) and the forwarder (ring push and pop, fan-out), for N and 2N spikes; the
// difference must be 0 allocations.
// Build in release mode: swift run -c release neuronhil-alloc-bench
import Foundation
import MallocInterposerSwift
import NeuronBoard
import NeuronControl
import NeuronHAL
import NeuronLive
import NeuronNetwork
import NeuronSinks
import NeuronSession
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

struct Measurement {
    var mallocs: Int
    var ticks: Int
    var spikes: Int
}

/// A forwarder with a sink that does nothing: what the loop does per spike (ring push, semaphore post) is counted;
/// the forwarding thread's own work is not the loop's and is stopped before counting ends.
final class NullSink: SpikeSink, @unchecked Sendable {
    let name = "null"
    let mayBlock = false
    func deliver(_ event: SpikeEvent) throws {}
    func finish() throws {}
}

/// A board brought up as the commands bring it up (no sim logs, seed 7).
func bringUp(_ path: String) throws -> (BoardDescription, BoardRuntime) {
    let board = try BoardLoader.load(path: path)
    return (board, try BoardRuntime(board, overrides: .init(seed: 7, recordsHistory: false)))
}

/// Runs `engine` with the interposer hooked: its ticks are samples plus pulse edges. Each channel streams its trace
/// (a ring nobody drains, large enough for the run: the push is what is counted), as the commands' trace files do.
func measure(_ engine: Engine, forwarder: SpikeForwarder) throws -> Measurement {
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    let result = engine.run()
    MallocInterposerSwift.unhook()
    let stats = MallocInterposerSwift.getStatistics()
    _ = forwarder.finish()
    guard result.termination == .completed, result.safeState == .reached else {
        throw NetworkError(source: "bench", key: "run", problem: "ended \(result.termination), safe state \(result.safeState).", fix: "see the engine's tests")
    }
    let pulses = result.channels.reduce(0) { $0 + $1.pulsesApplied }
    let spikes = result.channels.reduce(0) { $0 + $1.statistics.spikes }
    return Measurement(mallocs: stats.mallocCount, ticks: result.samples + 2 * pulses, spikes: spikes)
}

/// An engine over `channels` as `neuronctl` builds one: a forwarder with a jAER UDP sink (sending from the loop, to
/// the discard port on loopback) and a sink on the forwarding thread, spike-out lines, ticks timed.
func engine(_ channels: [EngineChannel], routes: [Route] = [], duration: Duration, runtime: BoardRuntime) throws -> (Engine, SpikeForwarder) {
    let forwarder = SpikeForwarder(sinks: [try UDPJAERSink(host: "127.0.0.1", port: 9, clock: SystemClock()), NullSink()])
    forwarder.start()
    let e = try Engine(channels: channels, routes: routes, configuration: EngineConfiguration(duration: duration, recordLimit: 4096),
                       clock: runtime.clock, forwarder: forwarder, realtime: RealtimeOptions(timingClock: SystemClock()))
    return (e, forwarder)
}

func traceStream() -> TraceStream { TraceStream(capacity: 1 << 17, waitsWhenFull: false) }

/// `run`: the Fig. 2c train on the board's first neuron.
func measureRun(pulses: Int, path: String) throws -> Measurement {
    let (board, runtime) = try bringUp(path)
    let train = PulseTrain.fig2c(count: pulses)
    let channel = try EngineChannel.onBoard(runtime, id: board.neurons[0].id, source: TrainPulses(train), spikeOut: true,
                                            traceStream: traceStream())
    let (e, f) = try engine([channel], duration: train.duration, runtime: runtime)
    return try measure(e, forwarder: f)
}

/// `network`: the network file on its board, each neuron streaming its trace (see the header).
func measureNetwork(seconds: Double, boardPath: String, networkPath: String) throws -> Measurement {
    let (board, runtime) = try bringUp(boardPath)
    let file = try NetworkFile.load(path: networkPath)
    var channels: [EngineChannel] = []
    for neuron in board.neurons {
        let source = file.drives.first { $0.neuron == neuron.id }.map {
            TrainPulses(PulseTrain(amplitude: $0.amplitude, width: $0.width, frequency: $0.frequency,
                                   count: $0.pulses ?? max(1, Int(seconds * $0.frequency.hertz))))
        }
        channels.append(try EngineChannel.onBoard(runtime, id: neuron.id, source: source, spikeOut: true, traceStream: traceStream()))
    }
    let (e, f) = try engine(channels, routes: file.routes, duration: .seconds(seconds), runtime: runtime)
    return try measure(e, forwarder: f)
}

/// Allocations of a `sense`-like run of `seconds` on the first neuron of `boardPath`: rate-coded pulses from a live
/// feed that a second thread keeps posting a sweeping value to, without pause, while the loop runs.
/// The unpaced run lasts tens of milliseconds, which a host can take from the poster's CPU whole; a run during
/// which nothing was posted did not exercise the live path, so it is repeated, up to a hundred times (a few
/// seconds at most): on a loaded 2-core machine most runs can pass without a post, five in a row often do.
func measureLiveSense(seconds: Double, boardPath: String) throws -> Measurement {
    for _ in 1..<100 {
        if let m = try measureLiveSenseOnce(seconds: seconds, boardPath: boardPath) { return m }
    }
    guard let m = try measureLiveSenseOnce(seconds: seconds, boardPath: boardPath) else {
        throw NetworkError(source: boardPath, key: "sense", problem: "in a hundred runs, no value was posted while the loop ran.",
                           fix: "rerun on a less busy machine")
    }
    return m
}

/// One such run; nil when no value was posted while the loop ran.
func measureLiveSenseOnce(seconds: Double, boardPath: String) throws -> Measurement? {
    let (board, runtime) = try bringUp(boardPath)
    let feed = LiveValueFeed()
    let encoder = try StimulusEncoder(EncoderConfiguration(coding: .rate, input: 0...1), limits: board.stimulusLimits)
    let channel = try EngineChannel.onBoard(runtime, id: board.neurons[0].id, source: EncodedPulses(encoder: encoder, feed: feed),
                                            spikeOut: true, traceStream: traceStream())
    let (e, f) = try engine([channel], duration: .seconds(seconds), runtime: runtime)
    let posting = Atomic<Bool>(true)
    let posted = Atomic<Int>(0)
    // The poster never sleeps: the run is not paced and lasts tens of milliseconds, and values must keep arriving
    // while it goes on (a sleeping poster on a busy machine may not post at all in that time).
    let poster = Thread {
        var i = 0
        while posting.load(ordering: .acquiring) {
            feed.post(Double(i % 1000) / 1000)
            posted.add(1, ordering: .relaxed)
            i += 1
        }
    }
    poster.start()
    while posted.load(ordering: .relaxed) == 0 { usleep(100) }  // posting before the run starts
    let before = posted.load(ordering: .relaxed)
    let m = try measure(e, forwarder: f)
    let during = posted.load(ordering: .relaxed) - before
    posting.store(false, ordering: .releasing)
    return during > 0 ? m : nil
}

/// Allocations made on the thread in `loopThread` while the hook is in.
let loopAllocations = Atomic<Int>(0)
nonisolated(unsafe) var loopThread = pthread_self()

/// The Fig. 2c train with the live view: the channel's view stream, the live sink on the forwarder, the publisher
/// running and `viewers` WebSocket clients connected. Counts only the loop thread's allocations.
func measureLiveRun(pulses: Int, path: String, viewers: Int) throws -> Measurement {
    let (board, runtime) = try bringUp(path)
    let train = PulseTrain.fig2c(count: pulses)
    let view = TraceStream(capacity: 1 << 16, waitsWhenFull: false)
    let feed = LiveFeed(info: LiveRunInfo(mode: "live", command: "run", board: "mock", neurons: [board.neurons[0].id],
                                          sampleRateHz: 10_000, durationSeconds: train.duration.seconds, protocolText: "bench"),
                        streams: [view])
    let server = try LiveServer(feed: feed, endpoint: LiveEndpoint(host: "127.0.0.1", port: 0))
    let clients = (0..<viewers).map { _ in WebSocketReader(port: server.port) }
    while feed.viewerCount < viewers { usleep(1000) }
    feed.start()
    let channel = try EngineChannel.onBoard(runtime, id: board.neurons[0].id, source: TrainPulses(train), spikeOut: true,
                                            traceStream: traceStream(), viewStream: view)
    let forwarder = SpikeForwarder(sinks: [NullSink(), feed.spikeSink])
    forwarder.start()
    let e = try Engine(channels: [channel], configuration: EngineConfiguration(duration: train.duration, recordLimit: 4096),
                       clock: runtime.clock, forwarder: forwarder, realtime: RealtimeOptions(timingClock: SystemClock()))
    loopThread = pthread_self()
    loopAllocations.store(0, ordering: .relaxed)
    MallocInterposerSwift.setAllocationHook { _ in
        if pthread_equal(pthread_self(), loopThread) != 0 { loopAllocations.add(1, ordering: .relaxed) }
    }
    MallocInterposerSwift.hook()
    let result = e.run()
    MallocInterposerSwift.unhook()
    MallocInterposerSwift.setAllocationHook(nil)
    _ = forwarder.finish()
    feed.finish(termination: "completed")
    let received = clients.reduce(0) { $0 + $1.stop() }
    server.stop()
    guard received > 0, feed.report.viewersServed == viewers else {
        throw NetworkError(source: "bench", key: "live", problem: "the \(viewers) viewers received \(received) bytes.", fix: "see NeuronLiveTests")
    }
    let spikes = result.channels.reduce(0) { $0 + $1.statistics.spikes }
    return Measurement(mallocs: loopAllocations.load(ordering: .relaxed), ticks: result.samples + 2 * result.channels[0].pulsesApplied,
                       spikes: spikes)
}

/// A WebSocket viewer of the bare protocol: the handshake, then every byte read and counted until the server closes.
final class WebSocketReader: @unchecked Sendable {
    let fd: Int32
    private let bytes = Atomic<Int>(0)
    private let done = DispatchSemaphore(value: 0)

    init(port: UInt16) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let hello = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        _ = hello.withCString { send(fd, $0, strlen($0), 0) }
        let t = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                bytes.add(n, ordering: .relaxed)
            }
            done.signal()
        }
        t.start()
    }

    /// Bytes received; waits up to 5 s for the server to close, then closes.
    func stop() -> Int {
        _ = done.wait(timeout: .now() + 5)
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        return bytes.load(ordering: .relaxed)
    }
}

/// Counts the events the forwarding thread handed over.
final class CountingSink: SpikeSink, @unchecked Sendable {
    let name = "count"
    let mayBlock = false
    let count = Atomic<Int>(0)
    func deliver(_ event: SpikeEvent) throws { count.add(1, ordering: .releasing) }
    func finish() throws {}
}

/// Allocations while `spikes` spikes (crossing and complete) go through the forwarder and the UDP sink, which sends
/// from the publishing thread at each tick's end to the discard port on loopback (nothing listens: `sendto` still
/// completes).
func forwardingAllocations(spikes: Int) throws -> Int {
    let clock = SystemClock()
    let counter = CountingSink()
    let forwarder = SpikeForwarder(sinks: [try UDPJAERSink(host: "127.0.0.1", port: 9, clock: clock), counter],
                                   capacity: 4 * spikes, clock: clock)
    forwarder.start()
    func event(_ i: Int, _ phase: SpikeEvent.Phase) -> SpikeEvent {
        SpikeEvent(phase: phase, index: i, channel: 0, pulseIndex: i, onset: Int64(i) * 1000, crossing: Int64(i) * 1000,
                   peakTime: Int64(i) * 1000, peak: .volts(0.1), energy: .picojoules(1.5), biasTime: .milliseconds(7),
                   fullyFormed: false, detectedAt: max(1, clock.now.nanoseconds))
    }
    func forward(_ n: Int, from start: Int) {
        let target = counter.count.load(ordering: .acquiring) + 2 * n
        for i in start..<(start + n) {
            forwarder.publish(event(i, .crossing))
            forwarder.endTick()
            forwarder.publish(event(i, .complete))
        }
        while counter.count.load(ordering: .acquiring) < target { usleep(1000) }
    }
    forward(16, from: 0)  // warm-up: first-use caches, lazily created runtime state
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    forward(spikes, from: 16)
    MallocInterposerSwift.unhook()
    let mallocs = MallocInterposerSwift.getStatistics().mallocCount
    let udp = forwarder.finish().sinks.first { $0.name.hasPrefix("udp") }
    guard udp?.delivered == 16 + spikes, udp?.failures == 0 else {
        throw NetworkError(source: "bench", key: "udp", problem: "the UDP sink sent \(udp?.delivered ?? 0) of \(16 + spikes) crossings (\(udp?.lastError ?? "")).",
                           fix: "check loopback UDP on this machine")
    }
    return mallocs
}

let path = CommandLine.arguments.dropFirst().first ?? "Boards/mock.yaml"
let networkBoard = CommandLine.arguments.dropFirst(2).first ?? "Boards/mock-two-neurons.yaml"
let networkFile = CommandLine.arguments.dropFirst(3).first ?? "Boards/networks/two-neuron-loop.yaml"
/// The run with the fewest allocations of `repetitions`. Starting and stopping the forwarder's threads occasionally
/// costs one allocation more or less (seen in CI: 10 against 9 for the same run), which would make the difference
/// of two single runs ±1e-5 per tick. A tick that allocated would add at least one allocation per tick to every
/// repetition, so the minimum still shows it.
func fewest(_ repetitions: Int, _ run: () throws -> Measurement) rethrows -> Measurement {
    var best = try run()
    for _ in 1..<repetitions {
        let m = try run()
        if m.mallocs < best.mallocs { best = m }
    }
    return best
}

/// One figure of the header: a warm-up run (lazy runtime metadata, first-use caches), then the fewest allocations
/// of three runs at each of two lengths; prints both runs and "allocations per NAME: X (target 0)", returns X.
func allocationsPerTick(_ name: String, short shortLabel: String, long longLabel: String,
                        warmUp: () throws -> Measurement, short: () throws -> Measurement,
                        long: () throws -> Measurement) throws -> Double {
    _ = try warmUp()
    let s = try fewest(3, short), l = try fewest(3, long)
    let perTick = Double(l.mallocs - s.mallocs) / Double(l.ticks - s.ticks)
    print("\(shortLabel): \(s.ticks) ticks, \(s.spikes) spikes, \(s.mallocs) allocations (fixed per run)")
    print("\(longLabel): \(l.ticks) ticks, \(l.spikes) spikes, \(l.mallocs) allocations (fixed per run)")
    print("allocations per \(name): \(perTick == 0 ? "0" : String(perTick)) (target 0)")
    return perTick
}

MallocInterposerSwift.initialize()
do {
    let perTick = try allocationsPerTick(
        "tick", short: "run of 330 pulses", long: "run of 660 pulses",
        warmUp: { try measureRun(pulses: 10, path: path) },
        short: { try measureRun(pulses: 330, path: path) },
        long: { try measureRun(pulses: 660, path: path) })
    let perNetworkTick = try allocationsPerTick(
        "network tick", short: "network run of 3 s (\(networkFile) on \(networkBoard))", long: "network run of 6 s",
        warmUp: { try measureNetwork(seconds: 0.2, boardPath: networkBoard, networkPath: networkFile) },
        short: { try measureNetwork(seconds: 3, boardPath: networkBoard, networkPath: networkFile) },
        long: { try measureNetwork(seconds: 6, boardPath: networkBoard, networkPath: networkFile) })
    let perSenseTick = try allocationsPerTick(
        "live sense tick", short: "live sense run of 3 s (rate-coded from a feed posted to by another thread)",
        long: "live sense run of 6 s",
        warmUp: { try measureLiveSense(seconds: 0.2, boardPath: path) },
        short: { try measureLiveSense(seconds: 3, boardPath: path) },
        long: { try measureLiveSense(seconds: 6, boardPath: path) })
    let perLiveTick = try allocationsPerTick(
        "live-view tick (10 viewers, loop thread)", short: "run of 330 pulses with the live view and 10 viewers",
        long: "run of 660 pulses with the live view and 10 viewers",
        warmUp: { try measureLiveRun(pulses: 10, path: path, viewers: 10) },
        short: { try measureLiveRun(pulses: 330, path: path, viewers: 10) },
        long: { try measureLiveRun(pulses: 660, path: path, viewers: 10) })
    let fewer = try forwardingAllocations(spikes: 500), more = try forwardingAllocations(spikes: 1000)
    let perSpike = Double(more - fewer) / 500
    print("forwarding 500 / 1000 spikes through the UDP sink: \(fewer) / \(more) allocations")
    print("allocations per forwarded spike: \(perSpike == 0 ? "0" : String(perSpike)) (target 0)")
    let ok = perTick == 0 && perNetworkTick == 0 && perSenseTick == 0 && perLiveTick == 0 && perSpike == 0
    if !ok { print("FAILED: a figure above is not 0") }
    exit(ok ? 0 : 1)
} catch {
    print("error: \(error)")
    exit(2)
}
