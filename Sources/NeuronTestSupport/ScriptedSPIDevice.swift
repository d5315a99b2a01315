public import NeuronHAL
public import Testing

// Scripted SPI device: the SPI twin of `ScriptedI2CBus` (see there for the model). Each expectation is one
// full-duplex `SPIDevice.transaction` (CS asserted, N bytes out and N in, CS deasserted).

/// One expected full-duplex SPI transfer and the bytes MISO answers with.
public struct SPIExpectation: Hashable, Sendable, CustomStringConvertible {
    /// The bytes the driver must clock out on MOSI.
    public var written: [UInt8]
    /// The bytes clocked in on MISO (same count as `written`).
    public var reply: [UInt8]
    /// When set, the device throws a `HardwareError` of this kind instead of answering.
    public var failure: HardwareError.Kind?

    /// One transfer of `tx.count` bytes; `reply` must have the same length (full duplex).
    public static func transfer(_ tx: [UInt8], reply: [UInt8]) -> SPIExpectation {
        precondition(tx.count == reply.count, "an SPI transfer clocks as many bytes in as out")
        precondition(!tx.isEmpty, "an SPI transfer needs at least one byte")
        return SPIExpectation(written: tx, reply: reply, failure: nil)
    }

    /// The same transfer, answered by throwing a `HardwareError` of `kind` (e.g. `.busFault`).
    public func failing(_ kind: HardwareError.Kind) -> SPIExpectation {
        var copy = self
        copy.failure = kind
        return copy
    }

    public var description: String {
        "transfer \(hexBytes(written))" + (failure.map { " FAILING(\($0))" } ?? " -> \(hexBytes(reply))")
    }
}

/// A transfer the driver actually performed on a `ScriptedSPIDevice`.
public struct SPITransfer: Hashable, Sendable, CustomStringConvertible {
    public var written: [UInt8]
    /// What MISO answered (empty when the device threw).
    public var reply: [UInt8]
    public var at: MonotonicInstant?
    public var description: String {
        "transfer \(hexBytes(written))" + (at.map { " at \($0)" } ?? "")
    }
}

/// An `SPIDevice` that answers from a script; mismatches are recorded as issues and throw
/// `HardwareError(.protocolViolation)`. Not thread-safe and not `Sendable`. Prefer `withScriptedSPI`.
public final class ScriptedSPIDevice: SPIDevice {
    public let script: [SPIExpectation]
    public private(set) var consumed = 0
    public private(set) var transcript: [SPITransfer] = []
    public var clock: (any MonotonicClock)?
    public private(set) var mismatched = false
    private let sourceLocation: SourceLocation
    private var finished = false
    private let device = "scripted-spi"

    public init(
        _ script: [SPIExpectation], clock: (any MonotonicClock)? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        self.script = script
        self.clock = clock
        self.sourceLocation = sourceLocation
    }

    public var remaining: ArraySlice<SPIExpectation> { script[consumed...] }

    public func transaction(write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer) throws(HardwareError) {
        precondition(write.count == read.count, "SPIDevice.transaction: write and read lengths differ")
        let transfer = SPITransfer(written: Array(write), reply: [], at: clock?.now)
        transcript.append(transfer)
        if mismatched {
            throw HardwareError(
                .protocolViolation, "transfer after a script mismatch", device: device, operation: "scripted transfer")
        }
        guard consumed < script.count else {
            mismatched = true
            report("Scripted SPI device: unexpected transfer after the end of the script",
                   expected: "(nothing)", actual: transfer.description)
            throw HardwareError(
                .protocolViolation, "transfer beyond the end of the script", device: device,
                operation: "scripted transfer")
        }
        let expected = script[consumed]
        guard expected.written == transfer.written else {
            mismatched = true
            let i = firstDifference(expected.written, transfer.written) ?? 0
            report("Scripted SPI device: transfer \(consumed + 1) of \(script.count) does not match the script",
                   expected: expected.description, actual: transfer.description,
                   note: "bytes differ at index \(i) (expected \(byteAt(expected.written, i)), "
                       + "got \(byteAt(transfer.written, i)))")
            throw HardwareError(
                .protocolViolation, "transfer does not match the script", device: device,
                operation: "scripted transfer")
        }
        consumed += 1
        if let failure = expected.failure {
            throw HardwareError(failure, "scripted failure", device: device, operation: "scripted transfer")
        }
        for (i, byte) in expected.reply.enumerated() { read[i] = byte }
        transcript[transcript.count - 1].reply = expected.reply
    }

    /// Records an issue for every expectation left unconsumed (unless a mismatch was already reported).
    @discardableResult
    public func finish() -> Bool {
        if finished { return !mismatched && consumed == script.count }
        finished = true
        if mismatched { return false }
        guard consumed == script.count else {
            let left = remaining.enumerated().map { "  \(consumed + $0.offset + 1). \($0.element)" }
            Issue.record(
                Comment(rawValue: """
                    Scripted SPI device: \(script.count - consumed) of \(script.count) expected transfers \
                    never happened:
                    \(left.joined(separator: "\n"))
                    Transcript:
                    \(transcriptText)
                    """),
                sourceLocation: sourceLocation)
            return false
        }
        return true
    }

    private var transcriptText: String {
        transcript.isEmpty
            ? "  (no transfers)"
            : transcript.enumerated().map { "  \($0.offset + 1). \($0.element)" }.joined(separator: "\n")
    }

    private func report(_ title: String, expected: String, actual: String, note: String? = nil) {
        var text = "\(title)\n  expected: \(expected)\n  actual:   \(actual)"
        if let note { text += "\n  \(note)" }
        text += "\nTranscript:\n\(transcriptText)"
        Issue.record(Comment(rawValue: text), sourceLocation: sourceLocation)
    }
}

/// Runs `body` with an SPI device that answers from `expectations`, then checks that all were consumed
/// (see `withScriptedI2C`).
public func withScriptedSPI<R, E: Error>(
    _ expectations: [SPIExpectation], clock: (any MonotonicClock)? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (ScriptedSPIDevice) throws(E) -> R
) throws(E) -> R {
    let device = ScriptedSPIDevice(expectations, clock: clock, sourceLocation: sourceLocation)
    defer { device.finish() }
    return try body(device)
}
