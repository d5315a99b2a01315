#if canImport(Glibc)
import Glibc
#endif
import Testing
import NeuronControl
import NeuronHAL
import NeuronSinks

/// jAER's receiver as it reads a datagram, restated from jAER's source (SensorsINI/jaer,
/// `src/net/sf/jaer/eventio/AEUnicastInput.java`: `checkSequenceNumber` and the non-cAER branch of `extractEvents`),
/// not from our decoder: "Use normal jAER UDP protocol" with the dialog's defaults (sequence numbers on, address
/// first, 4-byte addresses and timestamps, no byte swap, timestamp multiplier 1, a 63 000-byte buffer). Java `int`
/// arithmetic wraps, as `&+` and `&-` do.
struct JAERRulesReceiver {
    /// `datagramCounter`: the sequence number awaited; jAER starts it at 0.
    var datagramCounter: Int32 = 0
    /// What jAER logs for each sequence mismatch ("Dropped %d packets ...").
    var dropped: [Int32] = []
    var timeZero: Int32 = 0
    var events: [(address: Int32, timestamp: Int32)] = []
    static let bufferSize = 63_000

    mutating func receive(_ datagram: [UInt8]) {
        let limit = min(datagram.count, Self.bufferSize)  // DatagramChannel.receive drops what does not fit
        var position = 0
        func getInt() -> Int32 {
            defer { position += 4 }
            return Int32(bitPattern: UInt32(datagram[position]) << 24 | UInt32(datagram[position + 1]) << 16
                                     | UInt32(datagram[position + 2]) << 8 | UInt32(datagram[position + 3]))
        }
        let sequence = getInt()
        if sequence != datagramCounter {
            dropped.append(sequence &- datagramCounter)
            datagramCounter = sequence
        }
        datagramCounter &+= 1
        for _ in 0..<((limit - 4) / 8) {
            let address = getInt()
            let rawTime = getInt()
            let zeroed = rawTime &- timeZero  // readTimeZeroAlready starts true: timeZero stays 0
            let float = Float(1) * Float(zeroed)
            let time: Int32
            if float >= Float(Int32.max) || float <= Float(Int32.min) {
                timeZero = rawTime
                time = Int32.min &+ Int32(clamping: Int64(float - Float(Int32.max)))
            } else {
                time = Int32(float)
            }
            events.append((address, time))
        }
    }
}

func crossing(channel: Int, at micros: Int64, stamp: Int64 = 0) -> SpikeEvent {
    SpikeEvent(phase: .crossing, index: 0, channel: channel, pulseIndex: 0, onset: micros * 1000, crossing: micros * 1000,
               peakTime: 0, peak: .zero, energy: .picojoules(0), biasTime: .zero, fullyFormed: false, detectedAt: stamp)
}

@Suite("jAER's rules")
struct JAERRulesTests {
    @Test("The crossings of one tick leave in one datagram at the tick's end, before the next tick; jAER reads them all, with no sequence gap")
    func oneDatagramPerTick() throws {
        let receiver = try UDPReceiver()
        let forwarder = SpikeForwarder(sinks: [try UDPJAERSink(host: "127.0.0.1", port: receiver.port)])
        var jaer = JAERRulesReceiver()
        func tick(_ crossings: [SpikeEvent]) -> [[UInt8]] {
            for c in crossings { forwarder.publish(c) }
            forwarder.publish(SpikeEvent(phase: .complete, index: 0, channel: 9, pulseIndex: 0, onset: 0, crossing: 0, peakTime: 0,
                                         peak: .zero, energy: .picojoules(0), biasTime: .zero, fullyFormed: true))
            forwarder.endTick()
            var got: [[UInt8]] = []
            for _ in 0..<100 where got.isEmpty && !crossings.isEmpty {
                got = receiver.drain()
                if got.isEmpty { usleep(1000) }
            }
            return got
        }
        // Sent before the next tick begins: nothing of a tick waits for a later crossing.
        let first = tick([crossing(channel: 0, at: 1000), crossing(channel: 1, at: 1000), crossing(channel: 5, at: 1000)])
        let second = tick([crossing(channel: 1, at: 1100)])
        let quiet = tick([])
        #expect(first.map(\.count) == [4 + 3 * 8])
        #expect(second.map(\.count) == [4 + 8])
        #expect(quiet.isEmpty && receiver.drain().isEmpty)
        for d in first + second { jaer.receive(d) }
        #expect(jaer.dropped.isEmpty)
        #expect(jaer.events.map(\.address) == [0, 1, 5, 1])
        #expect(jaer.events.map(\.timestamp) == [1000, 1000, 1000, 1100])
        let report = forwarder.finish()
        #expect(report.sinks.map(\.delivered) == [4] && report.sinks.map(\.failures) == [0])
    }

    @Test("A tick with more crossings than jAER's 63 000-byte buffer holds sends them in whole datagrams that fit")
    func datagramsFitJAERsBuffer() throws {
        let receiver = try UDPReceiver()
        let sink = try UDPJAERSink(host: "127.0.0.1", port: receiver.port)
        let n = JAERPacket.maxSentEvents + 3
        for i in 0..<n { sink.stage(crossing(channel: i, at: 2000)) }
        sink.flush()
        var datagrams: [[UInt8]] = []
        for _ in 0..<100 where datagrams.count < 2 {
            datagrams += receiver.drain()
            usleep(1000)
        }
        #expect(datagrams.map(\.count) == [4 + 8 * JAERPacket.maxSentEvents, 4 + 8 * 3])
        #expect(datagrams.allSatisfy { $0.count <= JAERRulesReceiver.bufferSize })
        var jaer = JAERRulesReceiver()
        for d in datagrams { jaer.receive(d) }
        #expect(jaer.dropped.isEmpty)
        #expect(jaer.events.map(\.address) == (0..<n).map(Int32.init))
    }

    @Test("Across the wrap of the sequence number, jAER sees no gap (the sink started 3 datagrams before it)")
    func noGapAcrossTheWrap() throws {
        let receiver = try UDPReceiver()
        let start = Int32.max - 2
        let sink = try UDPJAERSink(host: "127.0.0.1", port: receiver.port, firstSequence: start)
        for i in 0..<6 {
            sink.stage(crossing(channel: i, at: Int64(i)))
            sink.flush()
        }
        var datagrams: [[UInt8]] = []
        for _ in 0..<100 where datagrams.count < 6 {
            datagrams += receiver.drain()
            usleep(1000)
        }
        #expect(datagrams.map { int32BE($0, 0) } == [start, start + 1, Int32.max, Int32.min, Int32.min + 1, Int32.min + 2])
        var jaer = JAERRulesReceiver(datagramCounter: start)  // as if it had followed the stream from 0
        for d in datagrams { jaer.receive(d) }
        #expect(jaer.dropped.isEmpty)
        #expect(jaer.events.count == 6)
    }

    /// Why the numbering is 0 first and two's complement: jAER's own sender (`AEUnicastOutput`, 1 first and
    /// `Int32.max` followed by 0) is reported by jAER's receiver as a drop at the start and one at the wrap.
    @Test("Our numbering passes jAER's check at the start and the wrap; AEUnicastOutput's trips it at both",
          arguments: [true, false])
    func numberingAgainstJAERsCheck(ours: Bool) {
        func next(_ s: Int32) -> Int32 { ours ? JAERSequence.next(after: s) : (s < Int32.max ? s + 1 : 0) }
        let first = ours ? JAERSequence.first : 1
        func receive(_ count: Int, from start: Int32, into jaer: inout JAERRulesReceiver) {
            var s = start
            for _ in 0..<count {
                jaer.receive(JAERPacket(sequence: s, events: []).encoded())
                s = next(s)
            }
        }
        var fresh = JAERRulesReceiver()
        receive(3, from: first, into: &fresh)
        var wrapping = JAERRulesReceiver(datagramCounter: Int32.max - 1)
        receive(3, from: Int32.max - 1, into: &wrapping)
        #expect(fresh.dropped == (ours ? [] : [1]))
        #expect(wrapping.dropped == (ours ? [] : [Int32.min]))
    }

    @Test("jAER's check as our receivers make it: gaps resynchronise, forward jumps count the datagrams missing")
    func sequenceCheck() {
        var check = JAERSequenceCheck()
        for s: Int32 in [0, 1, 2, 5, 6, 3, 4] { check.check(s) }
        #expect(check.datagrams == 7 && check.gaps == 2 && check.missing == 2 && check.expected == 5)
        var wrap = JAERSequenceCheck(expecting: .max)
        for s: Int32 in [.max, .min, .min + 1] { wrap.check(s) }
        #expect(wrap.gaps == 0 && wrap.missing == 0)
    }
}
