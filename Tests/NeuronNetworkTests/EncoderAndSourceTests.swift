import Foundation
import NeuronBoard
import NeuronControl
import NeuronHAL
import NeuronNetwork
import NeuronSession
import NeuronSinks
import Synchronization
import Testing

/// The repository root, found from this file so tests run from any working directory.
let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/NeuronNetworkTests/<file>
    return parts.joined(separator: "/")
}()

/// The mock board's limits, restated: 0 ... 1 V, 20 ms, duty 0.5, 100 ... 20 000 Hz.
let mockLimits = StimulusLimits(voltage: .volts(0)...Voltage.volts(1), maxPulseWidth: .milliseconds(20), maxDutyCycle: 0.5,
                                sampleRate: Frequency.hertz(100)...Frequency.hertz(20_000))

@Suite("Encoders")
struct EncoderTests {
    @Test("linear rate coding maps the range onto 20 ... 50 Hz", arguments: [(0.0, 20.0), (0.5, 35.0), (1.0, 50.0), (-3.0, 20.0), (7.0, 50.0)])
    func rateLinear(value: Double, hertz: Double) throws {
        let e = try StimulusEncoder(EncoderConfiguration(coding: .rate), limits: mockLimits)
        let p = e.pulse(for: value)
        #expect(abs(1 / p.period.seconds - hertz) < 1e-6)
        #expect(p.amplitude == .volts(0.75))
        #expect(p.width == .milliseconds(5))
    }

    @Test("log mapping: equal ratios give equal steps")
    func logMapping() throws {
        let e = try StimulusEncoder(EncoderConfiguration(coding: .amplitude, mapping: .log, input: 1...10_000, output: 0.4...0.8), limits: mockLimits)
        #expect(abs(e.normalized(100) - 0.5) < 1e-12)
        #expect(abs(e.pulse(for: 10).amplitude.volts - 0.5) < 1e-9)
        #expect(e.pulse(for: 0.001).amplitude == .volts(0.4))  // clamped to the range
    }

    @Test("amplitudes, widths and rates are clamped to the board's limits")
    func clamping() throws {
        let amp = try StimulusEncoder(EncoderConfiguration(coding: .amplitude, output: 0.5...3.0), limits: mockLimits)
        #expect(amp.pulse(for: 1).amplitude == .volts(1))
        #expect(!amp.clampNotes.isEmpty)
        // 15 ms at 33 Hz would be a 0.5 duty cycle: clamped to half the period.
        let width = try StimulusEncoder(EncoderConfiguration(coding: .width, output: 2...19), limits: mockLimits)
        let w = width.pulse(for: 1)
        #expect(w.width.seconds <= 0.5 * w.period.seconds)
        // 5 ms pulses allow at most 100 Hz at duty 0.5.
        let rate = try StimulusEncoder(EncoderConfiguration(coding: .rate, output: 20...500), limits: mockLimits)
        let r = rate.pulse(for: 1)
        #expect(r.period >= .milliseconds(10))
        for p in [w, r, amp.pulse(for: 1)] {
            try PulseTrain(amplitude: p.amplitude, width: p.width, frequency: .hertz(1 / p.period.seconds), count: 1).validate(against: mockLimits)
        }
    }

    @Test("bad configurations name the parameter and the fix")
    func refusals() {
        #expect(throws: StimulusError.self) { try StimulusEncoder(EncoderConfiguration(coding: .rate, input: 1...1), limits: mockLimits) }
        do {
            _ = try StimulusEncoder(EncoderConfiguration(coding: .rate, mapping: .log, input: 0...1), limits: mockLimits)
            Issue.record("log mapping over 0 accepted")
        } catch {
            #expect(error.parameter == "range")
            #expect(error.fix.contains("--mapping linear"))
        }
        #expect(throws: StimulusError.self) {
            try StimulusEncoder(EncoderConfiguration(coding: .amplitude, output: 2...3), limits: mockLimits)
        }
    }
}

@Suite("Value sources")
struct ValueSourceTests {
    @Test("CSV with header, comments, and value-only lines")
    func csv() throws {
        let text = "# light sensor\ntime_s,value\n0,0.1\n0.5, 0.8\n\n1.0,0.2\n"
        let v = try TimedValueFeed.parseCSV(text, source: "light.csv")
        #expect(v == [TimedValue(time: .zero, value: 0.1), TimedValue(time: .milliseconds(500), value: 0.8), TimedValue(time: .seconds(1), value: 0.2)])
        let plain = try TimedValueFeed.parseCSV("1\n2\n3\n", source: "stdin", interval: .milliseconds(250))
        #expect(plain.map(\.time) == [.zero, .milliseconds(250), .milliseconds(500)])
        let feed = TimedValueFeed(values: v, hold: .milliseconds(100))
        #expect(feed.value(at: 499_999_999) == 0.1)
        #expect(feed.value(at: 500_000_000) == 0.8)
        #expect(!feed.finished(at: 1_099_999_999))
        #expect(feed.finished(at: 1_100_000_000))
    }

    @Test("CSV errors name the source, the line and the fix", arguments: [
        ("0,0.1\nabc,1\n", 2, "time in seconds"),
        ("0,0.1\n0.2,x\n", 2, "finite number"),
        ("0,1\n0.5,1\n0.4,1\n", 3, "sort the lines"),
        ("0,1,2\n", 1, "one time and one value"),
    ])
    func csvErrors(text: String, line: Int, fix: String) {
        do {
            _ = try TimedValueFeed.parseCSV(text, source: "in.csv")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.source == "in.csv")
            #expect(error.line == line)
            #expect(error.description.contains(fix), "\(error)")
        }
    }

    @Test("value datagrams: last line wins; garbage is refused naming the sender")
    func datagrams() throws {
        #expect(try parseValueDatagram(Array("0.25\n0.5\n".utf8), sender: "127.0.0.1:5000") == 0.5)
        #expect(throws: InputError.self) { try parseValueDatagram(Array("lux=3".utf8), sender: "127.0.0.1:5000") }
        #expect(throws: InputError.self) { try parseValueDatagram([0xFF, 0xFE], sender: "127.0.0.1:5000") }
    }

    @Test("jAER packets round-trip; short packets are refused")
    func jaer() throws {
        let events = [JAERPacket.Event(address: 1, timestampMicros: 1234), .init(address: -2, timestampMicros: 0x0102_0304)]
        let bytes = JAERPacket(sequence: 7, events: events).encoded()
        #expect(bytes.prefix(8) == [0, 0, 0, 7, 0, 0, 0, 1])
        let d = try JAERPacket.decode(bytes, source: "x")
        #expect(d.sequence == 7 && d.events == events)
        #expect(throws: JAERPacket.DecodeError.self) { try JAERPacket.decode([0, 0, 0, 1, 0, 0], source: "x") }
    }
}

@Suite("Sensor to spikes on the mock board")
struct SenseTests {
    @Test("a rising staircase: the spike rate follows it monotonically (rate coding)")
    func monotonicRate() throws {
        let counts = try staircaseSpikes(coding: .rate)
        #expect(zip(counts, counts.dropFirst()).allSatisfy { $0 <= $1 }, "spikes per step: \(counts)")
        #expect(counts.last! > counts.first! + 10, "spikes per step: \(counts)")
    }

    @Test("amplitude and width coding change the firing too (Fig. 4)", arguments: [Coding.amplitude, .width])
    func otherCodings(coding: Coding) throws {
        let counts = try staircaseSpikes(coding: coding, levels: [0, 1])
        #expect(counts[1] > counts[0] + 5, "spikes per step: \(counts)")
    }

    /// Holds each level for 1 s and counts the spikes per level.
    func staircaseSpikes(coding: Coding, levels: [Double] = [0, 0.25, 0.5, 0.75, 1]) throws -> [Int] {
        let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock.yaml")
        let runtime = try BoardRuntime(board, overrides: .init(seed: 3, recordsHistory: false))
        let values = levels.enumerated().map { TimedValue(time: .seconds($0.offset), value: $0.element) }
        let feed = TimedValueFeed(values: values, hold: .seconds(1))
        let encoder = try StimulusEncoder(EncoderConfiguration(coding: coding), limits: board.stimulusLimits)
        let channel = try EngineChannel.onBoard(runtime, id: 0, source: EncodedPulses(encoder: encoder, feed: feed))
        let loop = try Engine(channels: [channel], configuration: EngineConfiguration(sampleRate: .hertz(5000), duration: feed.end, keepTrace: false),
                                   clock: runtime.clock)
        let result = loop.run()
        #expect(result.termination == .completed)
        #expect(result.safeState == .reached)
        return levels.indices.map { i in
            result.spikes.filter { Int($0.onset / 1_000_000_000) == i }.count
        }
    }
}

@Suite("Live value feed")
struct LiveValueFeedTests {
    @Test("no value before the first post, then the latest one holds until closed")
    func latestHolds() {
        let feed = LiveValueFeed()
        #expect(feed.value(at: 0) == nil && !feed.finished(at: 0))
        feed.post(0.25)
        feed.post(-3.5)
        #expect(feed.value(at: 1_000) == -3.5)
        feed.post(.infinity)  // refused by every parser; ignored if one got through
        #expect(feed.value(at: 2_000) == -3.5)
        feed.post(0)  // zero is a value, not "none"
        #expect(feed.value(at: 3_000) == 0)
        feed.close()
        #expect(feed.finished(at: 4_000) && feed.value(at: 4_000) == 0)
    }

    @Test("values posted from another thread arrive whole and in order")
    func concurrentPosts() {
        let feed = LiveValueFeed()
        let n = 200_000
        // A thread of its own, not a task: this test spins on the feed, and a task could wait for a pool thread
        // that spinning tests hold.
        let poster = Thread {
            // Values whose two 32-bit halves both change, so a torn read would show up as a value never posted.
            for i in 1...n { feed.post(Double(i) * 1.000_000_1) }
            feed.close()
        }
        poster.start()
        var last = 0.0, reads = 0, torn = 0, backwards = 0
        while !feed.finished(at: 0) {
            if let v = feed.value(at: 0) {
                let i = (v / 1.000_000_1).rounded()
                if i < 1 || i > Double(n) || Double(i) * 1.000_000_1 != v { torn += 1 }
                if v < last { backwards += 1 }
                last = v
            }
            reads += 1
        }
        #expect(torn == 0 && backwards == 0, "\(torn) torn, \(backwards) out of order in \(reads) reads")
        #expect(feed.value(at: 0) == Double(n) * 1.000_000_1)
    }
}

@Suite("UDP receiver")
struct UDPReceiverTests {
    @Test("sleeping in recvfrom or draining every millisecond, every datagram arrives, whole, and stop returns",
          arguments: [nil, Duration.milliseconds(1)])
    func receivesEveryDatagram(drainEvery: Duration?) throws {
        final class Received: Sendable {
            let count = Atomic<Int>(0)
            let whole = Atomic<Bool>(true)
        }
        let received = Received()
        let receiver = try UDPReceiver(host: "127.0.0.1", port: 0)
        receiver.start(drainEvery: drainEvery) { bytes, sender in
            if bytes.count != 12 || !sender.hasPrefix("127.0.0.1:") { received.whole.store(false, ordering: .relaxed) }
            received.count.add(1, ordering: .relaxed)
        }
        let sink = try UDPJAERSink(host: "127.0.0.1", port: receiver.port)
        for i in 0..<20 {
            try sink.deliver(SpikeEvent(phase: .crossing, index: i, channel: 0, pulseIndex: i, onset: 0, crossing: Int64(i) * 1000,
                                        peakTime: 0, peak: .zero, energy: .picojoules(0), biasTime: .zero, fullyFormed: false))
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while received.count.load(ordering: .relaxed) < 20 && ContinuousClock.now < deadline { usleep(1000) }
        receiver.stop()
        #expect(received.count.load(ordering: .relaxed) == 20 && received.whole.load(ordering: .relaxed))
        #expect(receiver.sequence == (20, 0, 0))
    }

    @Test("counts sequence gaps as jAER does, per sender: a forward jump's datagrams are missing, a jump back resynchronises")
    func countsSequenceGaps() throws {
        final class Received: Sendable { let count = Atomic<Int>(0) }
        let received = Received()
        let receiver = try UDPReceiver(host: "127.0.0.1", port: 0)
        receiver.start { _, _ in received.count.add(1, ordering: .relaxed) }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_port = receiver.port.bigEndian
        to.sin_addr.s_addr = inet_addr("127.0.0.1")
        let sequences: [Int32] = [0, 1, 2, 5, 6, 3, 4]
        for s in sequences {
            let bytes = JAERPacket(sequence: s, events: [.init(address: 1, timestampMicros: 0)]).encoded()
            _ = withUnsafePointer(to: &to) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while received.count.load(ordering: .relaxed) < sequences.count && ContinuousClock.now < deadline { usleep(1000) }
        receiver.stop()
        #expect(receiver.sequence == (7, 2, 2))
    }
}
