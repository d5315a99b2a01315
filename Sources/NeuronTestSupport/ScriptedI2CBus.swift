public import NeuronHAL
public import Testing

// Scripted I2C bus for driver unit tests: the test lists the exact bus traffic it expects (at the level of
// `I2CBus.transaction`, so it does not matter which convenience the driver used) and the replies to give; the bus
// checks each transaction against the next expectation, and `withScriptedI2C` checks at the end that the whole
// script was consumed (swift-nio `EmbeddedChannel.finish()`), printing an expected/actual diff in hex at the
// caller's source location (swift-mmio `assertMMIOInterposerTrace`). The checking and reporting are
// `ScriptVerifier`'s (ScriptVerifier.swift), shared with `ScriptedSPIDevice`; this file says what an I2C step is.

/// One expected I2C transaction and the scripted answer to it.
///
/// The shape follows `I2CBus.transaction`: a write of `written` (possibly empty) followed, after a repeated START,
/// by a read of `reply.count` bytes (possibly none).
public struct I2CExpectation: ScriptStep, Hashable {
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

    var shapeName: String { i2cShapeName(writes: !written.isEmpty, reads: !reply.isEmpty) }

    public func mismatch(with actual: I2CTransfer) -> String? {
        if address != actual.address {
            return "address differs: expected \(address), got \(actual.address)"
        }
        if let bytes = byteDifference("written bytes", expected: written, actual: actual.written) { return bytes }
        if reply.count != actual.readCount {
            return "read length differs: expected \(reply.count), got \(actual.readCount)"
        }
        return nil
    }
}

/// "write", "read", "write-read" or "quick" (neither: an address-only probe).
func i2cShapeName(writes: Bool, reads: Bool) -> String {
    switch (writes, reads) {
    case (true, false): "write"
    case (false, true): "read"
    case (true, true): "write-read"
    case (false, false): "quick"
    }
}

/// A transaction the driver actually performed on a `ScriptedI2CBus`.
public struct I2CTransfer: ScriptedTransfer, Hashable {
    public var address: I2CAddress
    public var written: [UInt8]
    /// How many bytes the driver asked to read.
    public var readCount: Int
    /// What the bus answered (empty when it threw).
    public var reply: [UInt8]
    /// The bus clock's `now` when the transaction happened, if the bus was given a clock.
    public var at: MonotonicInstant?

    public var description: String {
        var s = "\(i2cShapeName(writes: !written.isEmpty, reads: readCount > 0)) \(address)"
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
/// every further transaction throws too, without more issues, so one mistake gives one report (`ScriptVerifier`).
/// `script`, `consumed`, `remaining`, `transcript`, `mismatched` and `finish()` come from `ScriptedBus`.
///
/// Not thread-safe and not `Sendable`: one test owns it. Prefer `withScriptedI2C`, which calls `finish()`.
public final class ScriptedI2CBus: I2CBus, ScriptedBus {
    public let verifier: ScriptVerifier<I2CExpectation>
    /// When set, each transfer in `transcript` is stamped with `clock.now`.
    public var clock: (any MonotonicClock)?

    public init(
        _ script: [I2CExpectation], clock: (any MonotonicClock)? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        verifier = ScriptVerifier(
            script, vocabulary: ScriptVocabulary(title: "Scripted I2C bus", transfer: "transaction", transfers: "transactions"),
            sourceLocation: sourceLocation)
        self.clock = clock
    }

    public func transaction(
        _ address: I2CAddress, write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer
    ) throws(HardwareError) {
        let transfer = I2CTransfer(
            address: address, written: Array(write), readCount: read.count, reply: [], at: clock?.now)
        try verifier.perform(transfer, device: "scripted-i2c @ \(address)", into: read)
    }
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
    try withFinishing(ScriptedI2CBus(expectations, clock: clock, sourceLocation: sourceLocation), body)
}
