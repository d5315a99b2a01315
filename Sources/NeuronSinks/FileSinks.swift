#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import NeuronControl
import NeuronHAL

/// An append-only text file (or standard output) written with write(2) line by line: nothing is held in a
/// user-space buffer, so after a crash or `kill -9` the file holds every line written so far, each complete.
/// A full disk or a pipe nobody reads makes writes fail or block; the forwarder runs these sinks on their own
/// thread (`mayBlock`), so that only costs this sink.
public final class LineWriter: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool

    /// `path` "-" is standard output. Creates or truncates the file.
    public init(path: String) throws(SinkError) {
        self.path = path
        if path == "-" {
            fd = STDOUT_FILENO
            ownsDescriptor = false
        } else {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            ownsDescriptor = true
            guard fd >= 0 else {
                throw SinkError(sink: path, problem: "cannot open for writing (errno \(errno)).", fix: "choose a writable path")
            }
        }
    }

    deinit { if ownsDescriptor { close(fd) } }

    /// Writes all of `text`, retrying on EINTR and short writes.
    public func write(_ text: String) throws(SinkError) {
        var t = text
        var failure: SinkError?
        t.withUTF8 { bytes in
            do throws(SinkError) { try write(UnsafeRawBufferPointer(bytes)) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes all of `bytes` at once (binary records), retrying on EINTR and short writes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SinkError) {
        var failure: Int32 = 0
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            offset += n
        }
        if failure != 0 {
            throw SinkError(sink: path, problem: "write failed (errno \(failure)\(failure == ENOSPC ? ", disk full" : failure == EPIPE ? ", reader gone" : "")).",
                            fix: "free space or fix the destination; the other outputs are unaffected")
        }
    }
}

/// Complete spikes as CSV rows, streamed as they happen (the same columns and formatting as `RunRecords`).
public final class CSVSpikeSink: SpikeSink, @unchecked Sendable {
    public let name: String
    public let mayBlock = true
    private let writer: LineWriter

    public init(path: String, metadata: [(String, String)]) throws(SinkError) {
        name = "csv \(path)"
        writer = try LineWriter(path: path)
        try writer.write(RunRecords.metadataHeader(metadata) + RunRecords.spikeHeader)
    }

    /// Complete spikes only: the forwarder does not wake this sink's thread for crossings.
    public func accepts(_ phase: SpikeEvent.Phase) -> Bool { phase == .complete }

    public func deliver(_ event: SpikeEvent) throws {
        guard event.phase == .complete else { return }
        try writer.write(RunRecords.spikeRow(event))
    }

    public func finish() throws {}
}

/// Every event (crossings and complete spikes) as one JSON object per line, to a file or standard output.
public final class JSONLinesSink: SpikeSink, @unchecked Sendable {
    public let name: String
    public let mayBlock = true
    private let writer: LineWriter

    public init(path: String) throws(SinkError) {
        name = "jsonl \(path)"
        writer = try LineWriter(path: path)
    }

    /// The JSON object for one event, newline included (pure; tested on its own).
    public static func line(_ e: SpikeEvent) -> String {
        var s = "{\"event\":\"spike\",\"phase\":\"\(e.phase == .crossing ? "crossing" : "complete")\""
        s += ",\"index\":\(e.index),\"channel\":\(e.channel),\"pulse\":\(e.pulseIndex)"
        s += ",\"onset_s\":\(formatted(Double(e.onset) * 1e-9, digits: 7)),\"crossing_s\":\(formatted(Double(e.crossing) * 1e-9, digits: 7))"
        s += ",\"bias_time_ms\":\(formatted(e.biasTime.seconds * 1e3, digits: 4))"
        if e.phase == .complete {
            s += ",\"peak_v\":\(formatted(e.peak.volts, digits: 6)),\"energy_pj\":\(formatted(e.energy.picojoules, digits: 3))"
            s += ",\"fully_formed\":\(e.fullyFormed)"
        }
        return s + "}\n"
    }

    public func deliver(_ event: SpikeEvent) throws {
        try writer.write(Self.line(event))
    }

    public func finish() throws {}
}
