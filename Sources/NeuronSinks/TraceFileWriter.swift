import Dispatch
import Foundation
public import NeuronControl
import Synchronization

/// Streams the loop's trace to an append-only file during the run, as CSV text or as NPY records
/// (`TraceFormat`): a writer thread drains the `TraceStream` ring at least every `flushInterval` (50 ms by default)
/// and hands each batch of complete rows to write(2) at once (`LineWriter`, no user-space buffer). After a crash or
/// `kill -9` the file holds every row up to at most `flushInterval` plus one batch before the end.
///
/// CSV: every line in it is complete (a batch ends with a newline; a reader drops a last line without one, which
/// only a power cut mid-write(2) can leave). The bytes are exactly those `RunRecords.traceCSV` writes for the same
/// samples, so the same seed gives the same file whether it was streamed or written at the end.
///
/// NPY: after each batch the header's row count is rewritten in place (pwrite(2) of its fixed-length header), so
/// `np.load` reads every row up to the last batch even after `kill -9`, and reading the records after the header
/// (docs/formats.md) recovers every whole row on disk.
public final class TraceFileWriter: @unchecked Sendable {
    public let path: String
    public let format: TraceFormat
    public let stream: TraceStream
    public let flushInterval: Duration
    private let writer: LineWriter
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private var started = false
    // Writer thread only, until `finish` has joined it.
    private var written = 0
    private var failure: SinkError?

    /// Creates (truncates) `path` and writes its header at once: for CSV the metadata lines and the column names,
    /// for NPY the array header with no rows (NPY has no place for the metadata; summary.json holds it).
    public init(path: String, format: TraceFormat = .csv, metadata: [(String, String)], stream: TraceStream,
                flushInterval: Duration = .milliseconds(50)) throws(SinkError) {
        self.path = path
        self.format = format
        self.stream = stream
        self.flushInterval = flushInterval
        writer = try LineWriter(path: path)
        switch format {
        case .csv: try writer.write(RunRecords.metadataHeader(metadata) + RunRecords.traceHeader)
        case .npy: try writer.write(NPYTraceRow.header(rows: 0))
        }
    }

    /// Starts the writer thread.
    public func start() {
        precondition(!started, "a trace writer runs once")
        started = true
        let thread = Thread { [self] in
            let wait = Double(flushInterval.components.seconds) + Double(flushInterval.components.attoseconds) * 1e-18
            var batch = TraceBatch(format: format)
            while true {
                let last = stopping.load(ordering: .acquiring)
                drain(into: &batch)
                if last { break }
                _ = stream.halfFull.wait(timeout: .now() + wait)
            }
            done.signal()
        }
        thread.name = "neuronhil-trace"
        thread.start()
    }

    private func drain(into batch: inout TraceBatch) {
        // Bounded batches (64 k rows: ~2.5 MB of CSV, 640 kB of NPY) so a long backlog does not build one huge buffer.
        repeat {
            batch.removeAll()
            var n = 0
            while n < 65_536, let row = stream.ring.pop() {
                batch.append(row)
                n += 1
            }
            guard n > 0 else { return }
            if failure == nil {
                do { try batch.write(to: writer, rowsBefore: written) } catch { failure = error }
            }
            written += n
        } while true
    }

    /// Stops the writer after it has written everything queued; returns the rows written and the first write error.
    /// Call once, after the loop has returned.
    public func finish() -> (rows: Int, error: SinkError?) {
        if started {
            stopping.store(true, ordering: .releasing)
            stream.halfFull.signal()
            done.wait()
        }
        stream.close()
        return (written, failure)
    }
}

/// One batch of trace rows, encoded in the file's format; its storage is kept from batch to batch.
struct TraceBatch {
    let format: TraceFormat
    private var text = ""
    private var bytes: [UInt8] = []
    private var rows = 0

    init(format: TraceFormat) {
        self.format = format
        switch format {
        case .csv: text.reserveCapacity(1 << 20)
        case .npy: bytes.reserveCapacity(65_536 * NPYTraceRow.size)
        }
    }

    mutating func removeAll() {
        text.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
        rows = 0
    }

    mutating func append(_ row: TraceSample) {
        rows += 1
        switch format {
        case .csv:
            RunRecords.appendTraceRow(row, to: &text)
        case .npy:
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: NPYTraceRow.size))
            bytes.withUnsafeMutableBytes { NPYTraceRow.encode(row, to: $0.baseAddress! + start) }
        }
    }

    /// Appends the batch to the file; for NPY then rewrites the header with the new row count, so the header never
    /// counts rows that are not on disk yet.
    func write(to writer: LineWriter, rowsBefore: Int) throws(SinkError) {
        switch format {
        case .csv:
            try writer.write(text)
        case .npy:
            try writer.write(bytes)
            try writer.write(NPYTraceRow.header(rows: rowsBefore + rows), at: 0)
        }
    }
}
