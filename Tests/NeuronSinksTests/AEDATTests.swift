import Foundation
import Testing
import NeuronControl
import NeuronSinks

@Suite("AEDAT 2.0 files")
struct AEDATTests {
    // jAER's header lines, restated from AEFileOutputStream rather than taken from the encoder.
    static let jAERLines = [
        "#!AER-DAT2.0",
        "# This is a raw AE data file - do not edit",
        "# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event",
        "# Timestamps tick is 1 us",
    ]

    @Test("The header is jAER's: version line first, CRLF line ends, creation time as Java prints it, end marker last")
    func header() {
        let created = Date(timeIntervalSince1970: 1_796_466_552)  // 2026-12-05 10:29:12 UTC
        let text = AEDAT2.header(created: created, comments: ["seed: 3\nx"])
        #expect(text.hasPrefix("#!AER-DAT2.0\r\n"))
        #expect(text.hasSuffix("\r\n#End Of ASCII Header\r\n"))
        let lines = text.components(separatedBy: "\r\n")
        #expect(Array(lines.prefix(4)) == Self.jAERLines)
        #expect(lines[4] == "# created Sat Dec 05 10:29:12 UTC 2026")
        #expect(lines[5] == "# seed: 3 x")
        #expect(lines[6] == "#End Of ASCII Header")
        #expect(lines[7] == "")
        #expect(!text.replacing("\r\n", with: "").contains("\n"))
    }

    @Test("Each event is a big-endian int32 address then a big-endian int32 timestamp in µs")
    func eventBytes() {
        let e = AEDAT2.event(channel: 0x0102_0304, crossingNanoseconds: 0x0A0B_0C0D * 1000 + 999)
        #expect(AEDAT2.bytes(e) == [0x01, 0x02, 0x03, 0x04, 0x0A, 0x0B, 0x0C, 0x0D])
        // Past 2^31 µs the timestamp wraps as jAER's do.
        #expect(AEDAT2.event(channel: 1, crossingNanoseconds: (Int64(1) << 31) * 1000).timestampMicros == Int32.min)
    }

    @Test("The sink streams complete spikes only, each event whole on disk as soon as it is delivered")
    func sinkStreams() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("neuronhil-aedat-\(getpid()).aedat").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try AEDATSpikeSink(path: path, created: Date(timeIntervalSince1970: 0))
        var e = SpikeEvent(phase: .crossing, index: 0, channel: 2, pulseIndex: 0, onset: 0, crossing: 1_234_567,
                           peakTime: 1_300_000, peak: .volts(0.5), energy: .picojoules(37.5), biasTime: .milliseconds(1),
                           fullyFormed: true)
        #expect(!sink.accepts(.crossing))
        try sink.deliver(e)
        e.phase = .complete
        try sink.deliver(e)
        // Read before finish: nothing is buffered in user space.
        let bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        let header = Array(AEDAT2.header(created: Date(timeIntervalSince1970: 0)).utf8)
        #expect(Array(bytes.prefix(header.count)) == header)
        #expect(Array(bytes.dropFirst(header.count)) == [0, 0, 0, 2, 0, 0, 0x04, 0xD2])
        try sink.finish()
    }

    @Test("A spike record converts to events; a file that is not one is refused with the fix")
    func fromSpikeRecord() throws {
        let csv = RunRecords.metadataHeader([("seed", "1")]) + RunRecords.spikeHeader + "0,1,4,0.0100000,0.0123457,0.0130000,2.3,0.5,37.5,1\n"
        let events = try AEDAT2.events(spikeRecord: RecordFile.read(csv, source: "s.csv"), source: "s.csv")
        #expect(events == [JAERPacket.Event(address: 1, timestampMicros: 12345)])
        let trace = RunRecords.traceHeader + "0.0001000,0.0000,0.000000,-1\n"
        #expect(throws: SinkError.self) { try AEDAT2.events(spikeRecord: RecordFile.read(trace, source: "t.csv"), source: "t.csv") }
    }
}
