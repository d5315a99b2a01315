public import NeuronHAL
public import Testing

// Scripted I2C bus for driver unit tests: the test lists the exact bus traffic it expects (at the level of
// `I2CBus.transaction`, so it does not matter which convenience the driver used) and the replies to give; the bus
// checks each transaction against the next expectation, and `withScriptedI2C` checks at the end that the whole
// script was consumed (swift-nio `EmbeddedChannel.finish()`), printing an expected/actual diff in hex at the
// caller's source location (swift-mmio `assertMMIOInterposerTrace`).

/// One expected I2C transaction and the scripted answer to it.
///
/// The shape follows `I2CBus.transaction`: a write of `written` (possibly empty) followed, after a repeated START,
/// by a read of `reply.count` bytes (possibly none).
public struct I2CExpectation: Hashable, Sendable, CustomStringConvertible {
    public var address: I2CAddress
    /// The bytes the driver must write.
    public var written: [UInt8]
    /// The bytes the bus answers; its count is the number of bytes the driver must ask for.
    public var reply: [UInt8]
    /// When set, the bus throws a `HardwareError` of this kind instead of answering (the transaction still counts
    /// as consumed, as a NAK on real hardware ends the transfer).
    public var failure: HardwareError.Kind?

    public init(address: I2CAddress, written: [UInt8], reply: [UInt8], failure: HardwareError.Kind? = nil) {
        self.address = address
        self.written = written
        self.reply = reply
        self.failure = failure
    }

    /// START, address+W, `bytes`, STOP.
    public static func write(_ address: I2CAddress, _ bytes: [UInt8]) -> I2CExpectation {
        I2CExpectation(address: address, written: bytes, reply: [])
    }
    /// START, address+R, `reply.count` bytes, STOP.
    public static func read(_ address: I2CAddress, reply: [UInt8]) -> I2CExpectation {
        precondition(!reply.isEmpty, "a scripted read needs at least one reply byte")
        return I2CExpectation(address: address, written: [], reply: reply)
    }
    /// START, address+W, `bytes`, repeated START, address+R, `reply.count` bytes, STOP.
    public static func writeRead(_ address: I2CAddress, _ bytes: [UInt8], reply: [UInt8]) -> I2CExpectation {
        precondition(!bytes.isEmpty && !reply.isEmpty, "a scripted write-read needs bytes both ways")
        return I2CExpectation(address: address, written: bytes, reply: reply)
    }

    /// `.write(0x60, …)` with a literal address (validated like `I2CAddress.init(_:)`).
    public static func write(_ address: UInt8, _ bytes: [UInt8]) -> I2CExpectation {
        write(I2CAddress(address), bytes)
    }
    public static func read(_ address: UInt8, reply: [UInt8]) -> I2CExpectation {
        read(I2CAddress(address), reply: reply)
    }
    public static func writeRead(_ address: UInt8, _ bytes: [UInt8], reply: [UInt8]) -> I2CExpectation {
        writeRead(I2CAddress(address), bytes, reply: reply)
    }

    /// The same transaction, answered by throwing a `HardwareError` of `kind` (e.g. `.noAcknowledge(.address)`).
    public func failing(_ kind: HardwareError.Kind) -> I2CExpectation {
        var copy = self
        copy.failure = kind
        return copy
    }

    public var description: String {
        var s = "\(shapeName) \(address)"
        if !written.isEmpty { s += " " + hexBytes(written) }
        if !reply.isEmpty { s += " -> read \(reply.count)" }
        if let failure { s += " FAILING(\(failure))" } else if !reply.isEmpty { s += " " + hexBytes(reply) }
        return s
    }

    var shapeName: String {
        switch (written.isEmpty, reply.isEmpty) {
        case (false, true): "write"
        case (true, false): "read"
        case (false, false): "write-read"
        case (true, true): "quick"
        }
    }
}

/// A transaction the driver actually performed on a `ScriptedI2CBus`.
public struct I2CTransfer: Hashable, Sendable, CustomStringConvertible {
    public var address: I2CAddress
    public var written: [UInt8]
    /// How many bytes the driver asked to read.
    public var readCount: Int
    /// What the bus answered (empty when it threw).
    public var reply: [UInt8]
    /// The bus clock's `now` when the transaction happened, if the bus was given a clock.
    public var at: MonotonicInstant?

    public var description: String {
        var s = ""
        switch (written.isEmpty, readCount == 0) {
        case (false, true): s = "write"
        case (true, false): s = "read"
        case (false, false): s = "write-read"
        case (true, true): s = "quick"
        }
        s += " \(address)"
        if !written.isEmpty { s += " " + hexBytes(written) }
        if readCount > 0 { s += " -> read \(readCount)" }
        if let at { s += " at \(at)" }
        return s
    }
}

/// An `I2CBus` that answers from a script and records issues when the traffic differs from it.
///
/// A transaction that does not match the next expectation is recorded as a test issue (with a diff) and throws
/// `HardwareError(.protocolViolation)`, so the driver stops as it would on a confused bus; after the first mismatch
/// every further transaction throws too, without more issues, so one mistake gives one report.
///
/// Not thread-safe and not `Sendable`: one test owns it. Prefer `withScriptedI2C`, which calls `finish()`.
public final class ScriptedI2CBus: I2CBus {
    public let script: [I2CExpectation]
    /// How many expectations have been consumed.
    public private(set) var consumed = 0
    /// Every transaction the driver performed, in order (matching or not).
    public private(set) var transcript: [I2CTransfer] = []
    /// When set, each transfer in `transcript` is stamped with `clock.now`.
    public var clock: (any MonotonicClock)?
    /// True once a transaction failed to match the script.
    public private(set) var mismatched = false
    private let sourceLocation: SourceLocation
    private var finished = false

    public init(
        _ script: [I2CExpectation], clock: (any MonotonicClock)? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        self.script = script
        self.clock = clock
        self.sourceLocation = sourceLocation
    }

    /// The expectations not consumed yet.
    public var remaining: ArraySlice<I2CExpectation> { script[consumed...] }

    public func transaction(
        _ address: I2CAddress, write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer
    ) throws(HardwareError) {
        let transfer = I2CTransfer(
            address: address, written: Array(write), readCount: read.count, reply: [], at: clock?.now)
        transcript.append(transfer)
        let device = "scripted-i2c @ \(address)"
        if mismatched {
            throw HardwareError(
                .protocolViolation, "transaction after a script mismatch", device: device,
                operation: "scripted transaction")
        }
        guard consumed < script.count else {
            mismatched = true
            report("Scripted I2C bus: unexpected transaction after the end of the script",
                   expected: "(nothing)", actual: transfer.description)
            throw HardwareError(
                .protocolViolation, "transaction beyond the end of the script", device: device,
                operation: "scripted transaction")
        }
        let expected = script[consumed]
        guard expected.address == address, expected.written == transfer.written,
              expected.reply.count == read.count
        else {
            mismatched = true
            report("Scripted I2C bus: transaction \(consumed + 1) of \(script.count) does not match the script",
                   expected: expected.description, actual: transfer.description,
                   note: Self.difference(expected: expected, actual: transfer))
            throw HardwareError(
                .protocolViolation, "transaction does not match the script", device: device,
                operation: "scripted transaction")
        }
        consumed += 1
        if let failure = expected.failure {
            throw HardwareError(failure, "scripted failure", device: device, operation: "scripted transaction")
        }
        for (i, byte) in expected.reply.enumerated() { read[i] = byte }
        transcript[transcript.count - 1].reply = expected.reply
    }

    /// Records an issue for every expectation left unconsumed (unless a mismatch was already reported).
    /// Returns true when the script was consumed exactly. Idempotent.
    @discardableResult
    public func finish() -> Bool {
        if finished { return !mismatched && consumed == script.count }
        finished = true
        if mismatched { return false }
        guard consumed == script.count else {
            let left = remaining.enumerated().map { "  \(consumed + $0.offset + 1). \($0.element)" }
            Issue.record(
                Comment(rawValue: """
                    Scripted I2C bus: \(script.count - consumed) of \(script.count) expected transactions \
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
            ? "  (no transactions)"
            : transcript.enumerated().map { "  \($0.offset + 1). \($0.element)" }.joined(separator: "\n")
    }

    private func report(_ title: String, expected: String, actual: String, note: String? = nil) {
        var text = "\(title)\n  expected: \(expected)\n  actual:   \(actual)"
        if let note { text += "\n  \(note)" }
        text += "\nTranscript:\n\(transcriptText)"
        Issue.record(Comment(rawValue: text), sourceLocation: sourceLocation)
    }

    static func difference(expected: I2CExpectation, actual: I2CTransfer) -> String {
        if expected.address != actual.address {
            return "address differs: expected \(expected.address), got \(actual.address)"
        }
        if let i = firstDifference(expected.written, actual.written) {
            return "written bytes differ at index \(i)"
                + " (expected \(byteAt(expected.written, i)), got \(byteAt(actual.written, i)))"
        }
        return "read length differs: expected \(expected.reply.count), got \(actual.readCount)"
    }
}

func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
    for i in 0..<max(a.count, b.count) where i >= a.count || i >= b.count || a[i] != b[i] { return i }
    return nil
}

func byteAt(_ bytes: [UInt8], _ i: Int) -> String { i < bytes.count ? hex(bytes[i]) : "nothing" }

/// `[0x2a 0xbc]`, the form every scripted-bus diff prints bytes in.
public func hexBytes(_ bytes: [UInt8]) -> String {
    "[" + bytes.map { hex($0) }.joined(separator: " ") + "]"
}

/// Runs `body` with a bus that answers from `expectations`, then checks that every expectation was consumed.
///
/// Mismatches and leftovers are recorded as issues at `sourceLocation` (the caller's line) with an expected/actual
/// diff in hex. A mismatch inside `body` also throws `HardwareError(.protocolViolation)` from the bus, so the driver
/// under test stops. Pass `clock` to stamp each transfer in `bus.transcript` with the time it happened.
///
/// ```swift
/// try withScriptedI2C([.write(0x60, [0x2A, 0xBC])]) { bus in
///     let dac = MCP4725(bus: bus, reference: .volts(3.3), clock: TestClock())
///     try dac.writeFast(code: code, powerDown: .resistor100k)
/// }
/// ```
public func withScriptedI2C<R, E: Error>(
    _ expectations: [I2CExpectation], clock: (any MonotonicClock)? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (ScriptedI2CBus) throws(E) -> R
) throws(E) -> R {
    let bus = ScriptedI2CBus(expectations, clock: clock, sourceLocation: sourceLocation)
    defer { bus.finish() }
    return try body(bus)
}
