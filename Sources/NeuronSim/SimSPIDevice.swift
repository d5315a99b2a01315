public import NeuronHAL

/// A chip model's SPI bus side: one chip-select frame, full duplex.
///
/// ## For model authors
/// `exchange` sees the whole frame (CS asserted, `mosi.count` bytes clocked, CS deasserted) at one simulated
/// instant; fill all of `miso` (bits the chip does not drive are whatever the model says the floating line reads).
/// No allocation on this path.
public protocol SimSPITarget: AnyObject {
    func exchange(mosi: UnsafeRawBufferPointer, miso: UnsafeMutableRawBufferPointer)
}

/// A simulated spidev node bound to one chip model: each `transaction` is one CS frame delivered to the model.
///
/// Not thread-safe and not `Sendable`: one thread owns a simulated board.
public final class SimSPIDevice: SPIDevice {
    /// The node's name, e.g. `"sim:spi0.0"`; appears in every error.
    public let name: String
    /// The chip model answering on this chip select.
    public let target: any SimSPITarget
    /// Faults injected on transfers to this device.
    public let faults = SimFaults()
    /// Frames attempted, including failed ones.
    public var transactionCount: Int { transactions }
    // Bumped on every transfer; one thread owns a sim board, so the dynamic exclusivity check is skipped.
    @usableFromInline @exclusivity(unchecked) var transactions = 0

    public init(name: String, target: any SimSPITarget) {
        self.name = name
        self.target = target
    }

    /// One full-duplex frame. `write.count` must equal `read.count` (traps otherwise, as the protocol says).
    /// Inlinable, with the injector's work out of line: a driver's read path (the membrane, once per sample) then
    /// runs a frame with no call or error value of its own, and the length check folds away for fixed-size frames.
    @inlinable @inline(__always)
    public func transaction(write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer) throws(HardwareError) {
        precondition(write.count == read.count, "SPI transaction: write and read lengths differ")
        transactions &+= 1
        guard faults.passes() else { return try transactionWithFaults(write: write, read: read) }
        target.exchange(mosi: write, miso: read)
    }

    /// A frame while faults are injected: the injector decides whether it fails, or whether its reply is corrupted.
    @usableFromInline @inline(never)
    func transactionWithFaults(write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer) throws(HardwareError) {
        if let kind = faults.nextFailure() { throw injected(kind, bytes: write.count) }
        target.exchange(mosi: write, miso: read)
        faults.corrupt(read)
    }

    /// Built out of line: the message formatting would otherwise make every (successful) frame pay for its stack.
    @usableFromInline @inline(never)
    func injected(_ kind: HardwareError.Kind, bytes: Int) -> HardwareError {
        HardwareError(kind, "injected fault", device: name, operation: "transaction(\(bytes) bytes)")
    }
}
