public import NeuronHAL

/// A chip model's I2C bus side: what the chip does with the bytes of one transfer.
///
/// The simulated bus calls `receive` with the bytes written after the address byte (the write phase), then, if the
/// transfer has a read phase (after a repeated START), `transmit` to fill the bytes the chip clocks out. Both run at
/// the same simulated instant; models read the time from the `ManualClock` they were built with.
///
/// ## For model authors
/// - `receive` is called for every transfer with a write phase, and for a zero-length write with no read phase
///   (an SMBus quick command, how `i2cdetect` probes). It is not called for a read-only transfer.
/// - Throw `SimI2CDataNAK` to refuse a data byte: the bus reports `.noAcknowledge(.data)`; the model decides
///   which bytes before it took effect.
/// - Fill the whole `transmit` buffer: a real chip always clocks out something (0xFF when it releases SDA).
/// - No allocation: a membrane ADC is read thousands of times per simulated second.
public protocol SimI2CTarget: AnyObject {
    func receive(_ bytes: UnsafeRawBufferPointer) throws(SimI2CDataNAK)
    func transmit(into buffer: UnsafeMutableRawBufferPointer)
}

/// Thrown by a model that does not acknowledge data byte `byteIndex` (0 is the first byte after the address).
public struct SimI2CDataNAK: Error, Sendable, Hashable {
    public var byteIndex: Int
    public init(byteIndex: Int) { self.byteIndex = byteIndex }
}

/// A simulated I2C adapter that routes each transfer to the chip model attached at its address (Zephyr
/// `i2c_emul`, Linux `i2c-stub`), with fault injection on the whole bus and per address.
///
/// An address with no model attached does not acknowledge: the transfer throws `.noAcknowledge(.address)` with
/// device `"<name> @ 0x50"`, as `/dev/i2c-N` reports ENXIO.
///
/// Not thread-safe and not `Sendable`: one thread owns a simulated board.
public final class SimI2CBus: I2CBus {
    /// The adapter's name, e.g. `"sim:i2c1"`; appears in every error.
    public let name: String
    /// Faults injected on every transfer on this bus, before the per-address injector is consulted.
    public let faults = SimFaults()
    /// Transfers attempted on this bus, including failed ones.
    public var transactionCount: Int { state.pointer.pointee.transactionCount }

    private struct Routing {
        var transactionCount = 0
        var targets: [(any SimI2CTarget)?] = Array(repeating: nil, count: 128)
        var addressFaults: [SimFaults?] = Array(repeating: nil, count: 128)
    }
    /// Routing table and counter, behind a pointer so the per-transfer path skips dynamic exclusivity checks.
    private let state = UncheckedStorage(Routing())
    private var targets: [(any SimI2CTarget)?] {
        get { state.pointer.pointee.targets }
        _modify { yield &state.pointer.pointee.targets }
    }
    private var addressFaults: [SimFaults?] {
        get { state.pointer.pointee.addressFaults }
        _modify { yield &state.pointer.pointee.addressFaults }
    }

    public init(name: String) {
        self.name = name
    }

    /// Attaches `target` at `address`. Traps if the address is taken (two chips at one address is a wiring error
    /// the board file must catch, not something to simulate).
    public func attach(_ target: any SimI2CTarget, at address: I2CAddress) {
        let i = Int(address.rawValue)
        precondition(targets[i] == nil, "\(name): address \(address) already has a model attached")
        targets[i] = target
    }

    /// Removes the model at `address` (the chip is unplugged: later transfers are not acknowledged).
    public func detach(at address: I2CAddress) {
        targets[Int(address.rawValue)] = nil
    }

    /// The model attached at `address`, if any.
    public func target(at address: I2CAddress) -> (any SimI2CTarget)? {
        targets[Int(address.rawValue)]
    }

    /// Faults injected only on transfers to `address` (created on first use). Consulted after the bus-wide
    /// injector, and also when no model is attached.
    public func faults(at address: I2CAddress) -> SimFaults {
        let i = Int(address.rawValue)
        if let f = addressFaults[i] { return f }
        let f = SimFaults()
        addressFaults[i] = f
        return f
    }

    /// Runs one transfer: the write phase, then the read phase after a repeated START (either may be empty).
    public func transaction(
        _ address: I2CAddress, write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer
    ) throws(HardwareError) {
        let r = state.pointer
        r.pointee.transactionCount &+= 1
        let i = Int(address.rawValue)
        let perAddress = r.pointee.addressFaults[i]
        if let kind = faults.nextFailure() ?? perAddress?.nextFailure() {
            throw HardwareError(
                kind, "injected fault", device: deviceName(address), operation: operationName(write, read))
        }
        guard let target = r.pointee.targets[i] else {
            throw HardwareError(
                .noAcknowledge(.address), "no device acknowledged the address", device: deviceName(address),
                operation: operationName(write, read))
        }
        if write.count > 0 || read.count == 0 {
            do {
                try target.receive(write)
            } catch {
                throw HardwareError(
                    .noAcknowledge(.data), "data byte \(error.byteIndex) not acknowledged",
                    device: deviceName(address), operation: operationName(write, read))
            }
        }
        if read.count > 0 {
            target.transmit(into: read)
            faults.corrupt(read)
            perAddress?.corrupt(read)
        }
    }

    private func deviceName(_ address: I2CAddress) -> String { "\(name) @ \(address)" }

    private func operationName(_ write: UnsafeRawBufferPointer, _ read: UnsafeMutableRawBufferPointer) -> String {
        "transaction(write: \(write.count) bytes, read: \(read.count) bytes)"
    }
}
