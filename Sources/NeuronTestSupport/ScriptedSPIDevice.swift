public import NeuronHAL
public import Testing

// Scripted SPI device: the SPI twin of `ScriptedI2CBus` (see there for the model), checked by the same
// `ScriptVerifier`. Each expectation is one full-duplex `SPIDevice.transaction` (CS asserted, N bytes out and N in,
// CS deasserted).

/// One expected full-duplex SPI transfer and the bytes MISO answers with.
public struct SPIExpectation: ScriptStep, Hashable {
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

    public func mismatch(with actual: SPITransfer) -> String? {
        byteDifference("bytes", expected: written, actual: actual.written)
    }
}

/// A transfer the driver actually performed on a `ScriptedSPIDevice`.
public struct SPITransfer: ScriptedTransfer, Hashable {
    public var written: [UInt8]
    /// What MISO answered (empty when the device threw).
    public var reply: [UInt8]
    public var at: MonotonicInstant?
    public var description: String {
        "transfer \(hexBytes(written))" + (at.map { " at \($0)" } ?? "")
    }
}

/// An `SPIDevice` that answers from a script; mismatches are recorded as issues and throw
/// `HardwareError(.protocolViolation)` (`ScriptVerifier`; `script`, `consumed`, `remaining`, `transcript`,
/// `mismatched` and `finish()` come from `ScriptedBus`). Not thread-safe and not `Sendable`. Prefer
/// `withScriptedSPI`.
public final class ScriptedSPIDevice: SPIDevice, ScriptedBus {
    public let verifier: ScriptVerifier<SPIExpectation>
    /// When set, each transfer in `transcript` is stamped with `clock.now`.
    public var clock: (any MonotonicClock)?

    public init(
        _ script: [SPIExpectation], clock: (any MonotonicClock)? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        verifier = ScriptVerifier(
            script, vocabulary: ScriptVocabulary(title: "Scripted SPI device", transfer: "transfer", transfers: "transfers"),
            sourceLocation: sourceLocation)
        self.clock = clock
    }

    public func transaction(write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer) throws(HardwareError) {
        precondition(write.count == read.count, "SPIDevice.transaction: write and read lengths differ")
        try verifier.perform(SPITransfer(written: Array(write), reply: [], at: clock?.now), device: "scripted-spi", into: read)
    }
}

/// Runs `body` with an SPI device that answers from `expectations`, then checks that all were consumed
/// (see `withScriptedI2C`).
public func withScriptedSPI<R, E: Error>(
    _ expectations: [SPIExpectation], clock: (any MonotonicClock)? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (ScriptedSPIDevice) throws(E) -> R
) throws(E) -> R {
    try withFinishing(ScriptedSPIDevice(expectations, clock: clock, sourceLocation: sourceLocation), body)
}
