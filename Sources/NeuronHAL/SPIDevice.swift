/// One device on an SPI bus, with its chip select managed below this protocol (on Linux, a spidev node is a device
/// and the kernel drives CS), as embedded-hal's `SpiDevice`.
///
/// ## The one primitive
/// `transaction(write:read:)` asserts CS, clocks `write.count` bytes out on MOSI while capturing the same number on
/// MISO into `read`, and deasserts CS: one full-duplex transfer (`SPI_IOC_MESSAGE(1)` on Linux).
/// `write.count` must equal `read.count` (a programmer error otherwise).
///
/// ## For driver authors
/// - Mode, clock rate and bit order are fixed by the board file when the device is opened, not per call.
/// - `transfer` in the extension takes and returns `InlineArray`; nothing is allocated.
///
/// ## For backend authors
/// - Deassert CS on every exit. Fill `read` completely or throw.
public protocol SPIDevice {
    func transaction(write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer) throws(HardwareError)
}

extension SPIDevice {
    /// One full-duplex transfer of `N` bytes; returns the bytes clocked in.
    @inlinable @inline(__always)
    public func transfer<let N: Int>(_ bytes: InlineArray<N, UInt8>) throws(HardwareError) -> InlineArray<N, UInt8> {
        var bytes = bytes
        var reply = InlineArray<N, UInt8>(repeating: 0)
        try withUnsafeBytes(of: &bytes) { (w) throws(HardwareError) in
            try withUnsafeMutableBytes(of: &reply) { (r) throws(HardwareError) in
                try transaction(write: w, read: r)
            }
        }
        return reply
    }
}
