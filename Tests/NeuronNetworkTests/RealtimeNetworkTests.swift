import NeuronBoard
import NeuronBoardSim
@testable import NeuronControl
import NeuronHAL
@testable import NeuronNetwork
import NeuronSession
import NeuronSinks
import Testing

/// A timing clock that moves by `step` at every reading and never waits: a tick's duration is exactly one step, and
/// the test decides whether ticks overrun (a step above the tick period) without timing anything.
final class SteppingWallClock: MonotonicClock, @unchecked Sendable {
    private var t: Int64 = 0
    let step: Int64
    init(step: Duration) { self.step = step.nanosecondsValue }
    var now: MonotonicInstant {
        t += step
        return MonotonicInstant(nanoseconds: t)
    }
    func sleep(until deadline: MonotonicInstant) {}
}

/// A timing clock that reads the simulated board's clock, and `lateness` later after its first reading (the loop's
/// start): every wake-up is exactly that late, and a tick lasts as long as its work moves the simulated time.
final class LaggingClock: MonotonicClock, @unchecked Sendable {
    let base: any MonotonicClock
    let lateness: Duration
    private var started = false
    init(_ base: any MonotonicClock, lateness: Duration) {
        self.base = base
        self.lateness = lateness
    }
    var now: MonotonicInstant {
        defer { started = true }
        return started ? base.now + lateness : base.now
    }
    func sleep(until deadline: MonotonicInstant) {}
}

/// The two-neuron loop (A driven at 40 Hz, each of A's spikes routed to B) timed by `timing` (given the board).
func timedTwoNeuronLoop(timing: (BoardRuntime) -> any MonotonicClock & Sendable, policy: OverrunPolicy, seconds: Double = 0.5)
    throws -> (NetworkRunResult, BoardRuntime) {
    let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock-two-neurons.yaml")
    let runtime = try BoardRuntime(board, overrides: .init(seed: 5, recordsHistory: false))
    let file = try NetworkFile.load(path: repositoryRoot + "/Boards/networks/two-neuron-loop.yaml")
    let train = PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(40), count: Int(seconds * 40))
    let a = try EngineChannel.onBoard(runtime, id: 0, source: TrainPulses(train))
    let b = try EngineChannel.onBoard(runtime, id: 1)
    let loop = try Engine(channels: [a, b], routes: file.routes,
                               configuration: EngineConfiguration(sampleRate: .hertz(5000), duration: .seconds(seconds), keepTrace: false),
                               clock: runtime.clock, realtime: RealtimeOptions(timingClock: timing(runtime), overrunPolicy: policy))
    return (loop.run(), runtime)
}

@Suite("Network runs, real-time grade")
struct RealtimeNetworkTests {
    @Test("a timed network run reports wake-up latency, tick duration and overruns from its timing clock")
    func timingReport() throws {
        // Every wake-up 7 µs late; a tick lasts what its bus transfers take in simulated time (far below 200 µs), and
        // a stimulus edge and a sample due at the same instant share one tick: no tick ends past the next deadline.
        let (r, _) = try timedTwoNeuronLoop(timing: { LaggingClock($0.clock, lateness: .microseconds(7)) }, policy: .safeStateAfter(2))
        #expect(r.termination == .completed && r.safeState == .reached)
        let t = r.timing
        #expect(t.timed)
        // One tick per sample or edge instant; each is a wake-up, or a catch-up after an overrun.
        #expect(Int(t.wakeLatencyMicros.count) + t.catchUpTicks == Int(t.tickDurationMicros.count))
        #expect(t.catchUpTicks == t.overruns)
        let edgeTicks = Int(t.tickDurationMicros.count) - r.samples
        #expect(edgeTicks > 0 && edgeTicks <= 2 * r.pulses.count)
        #expect(abs(t.wakeLatencyMicros.p50 - 7) < 0.05 && abs(t.wakeLatencyMicros.max - 7) < 0.05, "\(t.wakeLatencyMicros)")
        #expect(t.tickDurationMicros.max < 200, "\(t.tickDurationMicros)")
        #expect(t.overruns == 0 && t.catchUpTicks == 0, "\(t)")
        // Spikes carry the timing clock's stamp, for the forwarder's latency figures.
        #expect(!r.spikes.isEmpty && r.spikes.allSatisfy { $0.detectedAt > 0 })
    }

    @Test("an untimed network run reports no timing")
    func untimed() throws {
        let (r, _) = try twoNeuronLoop(hertz: 40, seconds: 0.2)
        #expect(r.timing == .untimed)
    }

    @Test("the overrun policy stops a network run through the safe state; carry-on counts and finishes",
          arguments: [OverrunPolicy.safeStateAfter(5), .carryOn])
    func overrunPolicy(policy: OverrunPolicy) throws {
        // 300 µs per reading against ticks at most 200 µs apart: every tick overruns.
        let (r, runtime) = try timedTwoNeuronLoop(timing: { _ in SteppingWallClock(step: .microseconds(300)) }, policy: policy, seconds: 0.2)
        #expect(r.safeState == .reached)
        // Every DAC of the board at code 0 and powered down, on the simulated chips themselves.
        let dacs = runtime.simulation!.dacs
        #expect(dacs.count == 2)
        for (name, dac) in dacs { #expect(dac.code == 0 && dac.powerDown != .normal, "\(name)") }
        switch policy {
        case .safeStateAfter:
            #expect(r.termination == .overrunStorm(consecutive: 5))
            #expect(r.timing.overruns == 5 && r.timing.maxConsecutiveOverruns == 5)
        case .carryOn:
            #expect(r.termination == .completed)
            #expect(r.timing.overruns > 0 && r.timing.overruns == r.timing.maxConsecutiveOverruns)
            // Only the first tick woke from a sleep; every later one began after its deadline had passed.
            #expect(r.timing.wakeLatencyMicros.count == 1)
            #expect(r.timing.catchUpTicks == Int(r.timing.tickDurationMicros.count) - 1)
        }
    }

    @Test("a full routed-pulse queue drops the surplus and counts it")
    func overflowCounter() throws {
        let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock.yaml")
        let runtime = try BoardRuntime(board, overrides: .init(seed: 2, recordsHistory: false))
        let inbox = ExternalSpikeInbox()
        // Ten spikes from address 7 are waiting at the first sample: 10 x 5 routed pulses at once, into a queue of 8.
        for i in 0..<10 { inbox.accept(JAERPacket(sequence: Int32(i), events: [.init(address: 7, timestampMicros: 0)]).encoded(), sender: "127.0.0.1:9000") }
        let route = Route(source: .external(7), target: 0, pulses: 5, interval: .milliseconds(10))
        let loop = try Engine(channels: [try EngineChannel.onBoard(runtime, id: 0)], routes: [route],
                                   configuration: EngineConfiguration(sampleRate: .hertz(5000), duration: .seconds(1), keepTrace: false,
                                                        routedPulseCapacity: 8),
                                   clock: runtime.clock, inbox: inbox)
        let r = loop.run()
        #expect(r.termination == .completed && r.safeState == .reached)
        #expect(r.externalSpikes == 10)
        #expect(r.droppedPulses == 42)
        #expect(r.pulses(channel: 0).count == 8)
        #expect(r.pulsesNotRecorded == 0 && r.spikesNotRecorded == 0)
    }

    @Test("the routed-pulse queues keep start order, first in first out among equal starts, and refuse when full")
    func pendingQueues() {
        let q = PendingPulseQueues(channels: 2, capacity: 3)
        func pulse(_ start: Int64, _ tag: Int) -> PendingPulse {
            PendingPulse(start: start, amplitude: .volts(0.5), width: 1, cause: .route(tag))
        }
        #expect(q.firstStart(0) == .max)
        #expect(q.insert(pulse(20, 1), channel: 0))
        #expect(q.insert(pulse(10, 2), channel: 0))
        #expect(q.insert(pulse(20, 3), channel: 0))
        #expect(!q.insert(pulse(5, 4), channel: 0))
        #expect(q.insert(pulse(1, 5), channel: 1))
        #expect(q.count(0) == 3 && q.count(1) == 1 && q.firstStart(0) == 10 && q.firstStart(1) == 1)
        #expect([q.removeFirst(0), q.removeFirst(0), q.removeFirst(0)].map(\.cause) == [.route(2), .route(1), .route(3)])
        #expect(q.count(0) == 0 && q.firstStart(0) == .max && q.count(1) == 1)
    }

    @Test("the inbox counts what the loop did not take in time")
    func inboxOverflow() {
        let inbox = ExternalSpikeInbox(capacity: 4)
        for i in 0..<6 { inbox.accept(JAERPacket(sequence: Int32(i), events: [.init(address: Int32(i), timestampMicros: 0)]).encoded(), sender: "127.0.0.1:9000") }
        #expect(inbox.counts.received == 6 && inbox.counts.dropped == 2)
        var got: [Int32] = []
        while let a = inbox.next() { got.append(a) }
        #expect(got == [0, 1, 2, 3])
    }
}
