import Dispatch
import Foundation
public import NeuronControl
import Synchronization

/// Streams the loop's trace to an append-only CSV file during the run: a writer thread drains the `TraceStream`
/// ring at least every `flushInterval` (50 ms by default) and hands each batch of complete rows to write(2) at once
/// (`LineWriter`, no user-space buffer). After a crash or `kill -9` the file holds every row up to at most
/// `flushInterval` plus one batch before the end, and every line in it is complete (a batch ends with a newline;
/// a reader drops a last line without one, which only a power cut mid-write(2) can leave).
///
/// The bytes are exactly those `RunRecords.traceCSV` writes for the same samples, so the same seed gives the same
/// file whether it was streamed or written at the end.
public final class TraceFileWriter: @unchecked Sendable {
    public let path: String
    public let stream: TraceStream
    public let flushInterval: Duration
    private let writer: LineWriter
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private var started = false
    // Writer thread only, until `finish` has joined it.
    private var written = 0
    private var failure: SinkError?

    /// Creates (truncates) `path` and writes the metadata header and the column names at once.
    public init(path: String, metadata: [(String, String)], stream: TraceStream,
                flushInterval: Duration = .milliseconds(50)) throws(SinkError) {
        self.path = path
        self.stream = stream
        self.flushInterval = flushInterval
        writer = try LineWriter(path: path)
        try writer.write(RunRecords.metadataHeader(metadata) + RunRecords.traceHeader)
    }

    /// Starts the writer thread.
    public func start() {
        precondition(!started, "a trace writer runs once")
        started = true
        let thread = Thread { [self] in
            let wait = Double(flushInterval.components.seconds) + Double(flushInterval.components.attoseconds) * 1e-18
            var text = ""
            text.reserveCapacity(1 << 20)
            while true {
                let last = stopping.load(ordering: .acquiring)
                drain(into: &text)
                if last { break }
                _ = stream.halfFull.wait(timeout: .now() + wait)
            }
            done.signal()
        }
        thread.name = "neuronhil-trace"
        thread.start()
    }

    private func drain(into text: inout String) {
        // Bounded batches (64 k rows, ~2.5 MB) so a long backlog does not build one huge string.
        repeat {
            text.removeAll(keepingCapacity: true)
            var n = 0
            while n < 65_536, let row = stream.ring.pop() {
                RunRecords.appendTraceRow(row, to: &text)
                n += 1
            }
            guard n > 0 else { return }
            if failure == nil {
                do { try writer.write(text) } catch { failure = error }
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
