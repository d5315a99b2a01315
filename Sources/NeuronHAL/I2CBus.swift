/// An I2C bus master, addressed per transfer.
///
/// ## The one primitive
/// `transaction(_:write:read:)` sends `write` to `address` and then, if `read` is not empty, reads `read.count`
/// bytes after a repeated START:
///
/// ```
///  S ADDR+W [A] w0 [A] w1 [A] ... Sr ADDR+R [A] r0 A r1 A ... rN NA P      (write then read)
///  S ADDR+W [A] w0 [A] ... P                                              (read empty)
///  S ADDR+R [A] r0 A ... rN NA P                                          (write empty)
/// ```
/// This is narrower than embedded-hal's list of operations on purpose: it is exactly the set of shapes that SMBus
/// can express (write byte/word data, read word data, read block), so the Linux backend can use libi2c's
/// `i2c_smbus_*` calls (the only form i2c-stub and some adapters speak) and fall back to `I2C_RDWR` only where no
/// SMBus form exists. Every chip NeuronHIL drives needs nothing more.
///
/// `write`, `read` and `writeRead` are extension methods built on the primitive, so the Linux bus, the simulated bus
/// and the scripted test bus cannot diverge, and traces are the same whichever convenience a driver used.
///
/// ## For driver authors
/// - The call returns after the STOP condition: the bytes are on the wire, nothing is buffered.
/// - A NAK on the address byte throws `.noAcknowledge(.address)` (or `.unknown` where the adapter cannot tell).
/// - The bus is not thread-safe; the loop thread owns it.
/// - The conveniences take and return `InlineArray`, so a transfer allocates nothing.
///
/// ## For backend authors
/// - Leave the bus idle (STOP sent) on every exit, including errors.
/// - Fill `read` completely or throw; never return a short read.
/// - Put the device and the operation in every `HardwareError` you throw.
public protocol I2CBus {
    func transaction(
        _ address: I2CAddress, write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer
    ) throws(HardwareError)
}

extension I2CBus {
    /// Writes `bytes` in one transfer (START, address, bytes, STOP).
    @inlinable
    public func write<let N: Int>(_ address: I2CAddress, _ bytes: InlineArray<N, UInt8>) throws(HardwareError) {
        var bytes = bytes
        try withUnsafeBytes(of: &bytes) { (w) throws(HardwareError) in
            try transaction(address, write: w, read: UnsafeMutableRawBufferPointer(start: nil, count: 0))
        }
    }

    /// Reads `N` bytes in one transfer (START, address+R, bytes, STOP).
    @inlinable
    public func read<let N: Int>(_ address: I2CAddress) throws(HardwareError) -> InlineArray<N, UInt8> {
        var reply = InlineArray<N, UInt8>(repeating: 0)
        try withUnsafeMutableBytes(of: &reply) { (r) throws(HardwareError) in
            try transaction(address, write: UnsafeRawBufferPointer(start: nil, count: 0), read: r)
        }
        return reply
    }

    /// Writes `bytes` then reads `M` bytes after a repeated START (register read).
    @inlinable
    public func writeRead<let N: Int, let M: Int>(
        _ address: I2CAddress, _ bytes: InlineArray<N, UInt8>
    ) throws(HardwareError) -> InlineArray<M, UInt8> {
        var bytes = bytes
        var reply = InlineArray<M, UInt8>(repeating: 0)
        try withUnsafeBytes(of: &bytes) { (w) throws(HardwareError) in
            try withUnsafeMutableBytes(of: &reply) { (r) throws(HardwareError) in
                try transaction(address, write: w, read: r)
            }
        }
        return reply
    }
}
