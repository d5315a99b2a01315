public import Foundation
public import NeuronControl

/// jAER's AEDAT 2.0 file, as jAER's `AEFileOutputStream` writes it and `AEFileInputStream`, tonic and pyNAVIS read it:
///
/// ```
///  #!AER-DAT2.0\r\n                                   first line: the format and its version
///  # This is a raw AE data file - do not edit\r\n
///  # Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event\r\n
///  # Timestamps tick is 1 us\r\n
///  # created Sat Dec 05 10:29:12 UTC 2026\r\n        Java's Date.toString() form
///  #End Of ASCII Header\r\n
///  then per event: int32 address, int32 timestamp in µs, both big-endian
/// ```
///
/// Address = the neuron channel id, timestamp = the spike's threshold crossing in µs since the run started, as the
/// jAER UDP stream has them (the timestamp wraps after 2^31 µs, 35.8 min, as jAER's own do).
public enum AEDAT2 {
    /// Header lines between the version line and the end marker, without their CRLF.
    public static func headerLines(created: Date, comments: [String] = []) -> [String] {
        [
            "#!AER-DAT2.0",
            "# This is a raw AE data file - do not edit",
            "# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event",
            "# Timestamps tick is 1 us",
            "# created " + javaDate(created),
        ] + comments.map { "# " + $0.replacing("\r", with: " ").replacing("\n", with: " ") } + ["#End Of ASCII Header"]
    }

    /// The whole ASCII header, CRLF line ends included.
    public static func header(created: Date, comments: [String] = []) -> String {
        headerLines(created: created, comments: comments).map { $0 + "\r\n" }.joined()
    }

    /// `date` as Java's `Date.toString()` prints it in UTC: `EEE MMM dd HH:mm:ss zzz yyyy`.
    public static func javaDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE MMM dd HH:mm:ss 'UTC' yyyy"
        return f.string(from: date)
    }

    /// One event's 8 bytes.
    public static func bytes(_ e: JAERPacket.Event) -> [UInt8] {
        let a = UInt32(bitPattern: e.address), t = UInt32(bitPattern: e.timestampMicros)
        return [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: a >> $0) } + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: t >> $0) }
    }

    /// The event a spike becomes (address: its channel; timestamp: its crossing in µs, wrapping at 2^31).
    public static func event(channel: Int, crossingNanoseconds ns: Int64) -> JAERPacket.Event {
        JAERPacket.Event(address: Int32(truncatingIfNeeded: channel), timestampMicros: Int32(truncatingIfNeeded: ns / 1000))
    }

    /// A whole file's bytes (`neuronctl export aedat`).
    public static func file(_ events: [JAERPacket.Event], created: Date, comments: [String] = []) -> [UInt8] {
        Array(header(created: created, comments: comments).utf8) + events.flatMap(bytes)
    }

    /// The events of a spike record (`spikes.csv`): its `channel` and `crossing_s` columns. The record holds the
    /// crossing to 0.1 µs, so a crossing within 0.05 µs of a whole µs may land on the next one.
    public static func events(spikeRecord r: RecordFile, source: String) throws(SinkError) -> [JAERPacket.Event] {
        guard let c = r.header.firstIndex(of: "channel"), let t = r.header.firstIndex(of: "crossing_s") else {
            throw SinkError(sink: source, problem: "no channel and crossing_s columns: not a spike record.",
                                       fix: "give the spikes.csv of a run (or a recording made with --record)")
        }
        var events: [JAERPacket.Event] = []
        events.reserveCapacity(r.rows.count)
        for (k, row) in r.rows.enumerated() {
            guard let channel = Int32(exactly: row[c]), (0...1e9).contains(row[t]) else {
                throw SinkError(sink: source, problem: "spike row \(k + 1): channel \(row[c]) or crossing_s \(row[t]) out of range.",
                                           fix: "channels are whole numbers, crossings seconds from the run's start")
            }
            events.append(event(channel: Int(channel), crossingNanoseconds: Int64((row[t] * 1e7).rounded()) * 100))
        }
        return events
    }
}

/// Complete spikes streamed to an AEDAT 2.0 file (`--aedat FILE`), one write(2) per event like the CSV record, so
/// after a crash or `kill -9` the file holds every event written so far (a reader drops a partial last event, which
/// only a power cut mid-write can leave).
public final class AEDATSpikeSink: SpikeSink, @unchecked Sendable {
    public let name: String
    public let mayBlock = true
    private let writer: LineWriter

    /// Creates (truncates) `path` and writes the header; `comments` become extra `#` lines (run metadata).
    public init(path: String, comments: [String] = [], created: Date = Date()) throws(SinkError) {
        name = "aedat \(path)"
        writer = try LineWriter(path: path)
        try writer.write(AEDAT2.header(created: created, comments: comments))
    }

    /// Complete spikes only, as in the spike record, so both files list the same spikes.
    public func accepts(_ phase: SpikeEvent.Phase) -> Bool { phase == .complete }

    public func deliver(_ event: SpikeEvent) throws {
        guard event.phase == .complete else { return }
        // Big-endian on the stack: no allocation per event.
        var record = (UInt32(truncatingIfNeeded: event.channel).bigEndian, UInt32(truncatingIfNeeded: event.crossing / 1000).bigEndian)
        try withUnsafeBytes(of: &record) { try writer.write($0) }
    }

    public func finish() throws {}
}
