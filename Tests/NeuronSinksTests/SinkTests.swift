#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import NeuronBoard
import NeuronBoardSim
import NeuronControl
import NeuronHAL
import NeuronSinks

let boards: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/") + "/Boards"
}()

/// A UDP socket on 127.0.0.1 with an ephemeral port, read without blocking.
final class UDPReceiver {
    let fd: Int32
    let port: UInt16
    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) == 0 && getsockname(fd, $0, &size) == 0 }
        }
        precondition(ok, "cannot bind a UDP socket on 127.0.0.1")
        var big: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, socklen_t(MemoryLayout<Int32>.size))
        port = UInt16(bigEndian: addr.sin_port)
    }
    deinit { close(fd) }
    func drain() -> [[UInt8]] {
        var out: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n <= 0 { break }
            out.append(Array(buffer[0..<n]))
        }
        return out
    }
}

func int32BE(_ b: [UInt8], _ i: Int) -> Int32 {
    Int32(bitPattern: UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3]))
}

@Suite("Spike sinks")
struct SinkTests {
    @Test("jAER encoding: big-endian sequence, address, timestamp")
    func jaerEncoding() {
        var bytes = [UInt8](repeating: 0, count: 12)
        UDPJAERSink.encode(sequence: 0x0102_0304, address: 7, timestampMicros: -2, into: &bytes)
        #expect(bytes == [1, 2, 3, 4, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFE])
    }

    @Test("The UDP sink takes crossings only; the spike record complete spikes only; JSON lines both")
    func acceptedPhases() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neuronhil-phases-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let udp = try UDPJAERSink(host: "127.0.0.1", port: 9)
        let csv = try CSVSpikeSink(path: dir.appendingPathComponent("s.csv").path, metadata: [])
        let jsonl = try JSONLinesSink(path: dir.appendingPathComponent("s.jsonl").path)
        #expect(udp.accepts(.crossing) && !udp.accepts(.complete))
        #expect(!csv.accepts(.crossing) && csv.accepts(.complete))
        #expect(jsonl.accepts(.crossing) && jsonl.accepts(.complete))
        #expect(!udp.mayBlock && csv.mayBlock && jsonl.mayBlock)
    }

    @Test("Consecutive crossings reuse the preencoded datagram: sequence numbers count up, each datagram is whole")
    func udpSequence() throws {
        let receiver = try UDPReceiver()
        let udp = try UDPJAERSink(host: "127.0.0.1", port: receiver.port)
        for i in 0..<5 {
            let e = SpikeEvent(phase: .crossing, index: i, channel: 3 - i, pulseIndex: i, onset: 0, crossing: Int64(i) * 1_500_000 + 999,
                               peakTime: 0, peak: .volts(0), energy: .picojoules(0), biasTime: .zero, fullyFormed: false)
            try udp.deliver(e)
        }
        var datagrams: [[UInt8]] = []
        for _ in 0..<100 where datagrams.count < 5 {
            datagrams += receiver.drain()
            if datagrams.count < 5 { usleep(10_000) }
        }
        #expect(datagrams.count == 5)
        for (i, d) in datagrams.enumerated() {
            #expect(d.count == 12)
            #expect(int32BE(d, 0) == Int32(i))
            #expect(int32BE(d, 4) == Int32(3 - i))
            #expect(int32BE(d, 8) == Int32(i * 1500))
        }
    }

    @Test("A JSON line per event, parseable, with the complete fields only when complete")
    func jsonLines() throws {
        var e = SpikeEvent(phase: .complete, index: 3, channel: 1, pulseIndex: 9, onset: 1_000_000, crossing: 1_100_000,
                           peakTime: 1_500_000, peak: .volts(0.5), energy: .picojoules(37.5), biasTime: .milliseconds(7),
                           fullyFormed: true)
        let complete = try JSONSerialization.jsonObject(with: Data(JSONLinesSink.line(e).utf8)) as! [String: Any]
        #expect(complete["phase"] as? String == "complete")
        #expect(complete["energy_pj"] as? Double == 37.5)
        #expect(complete["fully_formed"] as? Bool == true)
        e.phase = .crossing
        let crossing = try JSONSerialization.jsonObject(with: Data(JSONLinesSink.line(e).utf8)) as! [String: Any]
        #expect(crossing["peak_v"] == nil)
        #expect(crossing["crossing_s"] as? Double == 0.0011)
    }

    @Test("UDP datagrams received on loopback decode to exactly the spikes of the CSV record")
    func udpMatchesCSV() throws {
        let receiver = try UDPReceiver()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neuronhil-udp-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let csvPath = dir.appendingPathComponent("spikes.csv").path
        let udp = try UDPJAERSink(host: "127.0.0.1", port: receiver.port)
        let csv = try CSVSpikeSink(path: csvPath, metadata: [("test", "udp")])
        let forwarder = SpikeForwarder(sinks: [udp, csv])
        forwarder.start()

        let board = try BoardLoader.load(path: boards + "/mock.yaml")
        let runtime = try BoardRuntime(simulating: board, overrides: .init(seed: 9))
        let hw = try runtime.neuron(id: 0)
        let l = board.limits
        let limits = StimulusLimits(voltage: l.stimulus, maxPulseWidth: l.maxPulseWidth, maxDutyCycle: l.maxDutyCycle, sampleRate: l.sampleRate)
        let train = PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(33), count: 200)
        let channel = EngineChannel(id: 0, stimulus: try SafeStimulusOutput(hw.stimulus, limits: l.stimulus), membrane: hw.membrane,
                                    limits: limits, source: TrainPulses(train))
        let result = try Engine(channels: [channel], configuration: EngineConfiguration(duration: train.duration), clock: runtime.clock,
                                forwarder: forwarder).run()
        let report = forwarder.finish()
        #expect(report.sinks.allSatisfy { $0.failures == 0 && $0.dropped == 0 })

        let datagrams = receiver.drain()
        // The CSV record, read back as a person would.
        let rows = try String(contentsOfFile: csvPath, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst()
        #expect(rows.count == result.spikes.count)
        #expect(rows.count > 50)
        #expect(datagrams.count == rows.count)
        // jAER, reading the same datagrams by its own rules, finds no gap and the same spikes.
        var jaer = JAERRulesReceiver()
        for d in datagrams { jaer.receive(d) }
        #expect(jaer.dropped.isEmpty)
        #expect(jaer.events.count == rows.count)
        for (e, row) in zip(jaer.events, rows) {
            let f = row.split(separator: ",")
            #expect(e.address == Int32(f[1])! && e.timestamp == Int32((Double(f[4])! * 1e6).rounded()))
        }
        for (i, (d, row)) in zip(datagrams, rows).enumerated() {
            let f = row.split(separator: ",")
            #expect(d.count == 12)
            #expect(int32BE(d, 0) == Int32(i))                                  // sequence
            #expect(int32BE(d, 4) == Int32(f[1])!)                              // address = channel
            let crossingMicros = Int32((Double(f[4])! * 1e6).rounded())
            #expect(int32BE(d, 8) == crossingMicros, "spike \(i)")              // timestamp = crossing, µs
        }
    }
}
