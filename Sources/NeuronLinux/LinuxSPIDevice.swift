#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import NeuronHAL

/// One SPI device through spidev (`/dev/spidevB.C`): the kernel drives chip select C on bus B, so this is an
/// `SPIDevice` in embedded-hal's sense. Mode, clock and word size are set once when opened (the board file's
/// `mode` and `max-speed-hz`) and read back; each `transaction` is one `ioctl(SPI_IOC_MESSAGE(1))`, full duplex,
/// CS asserted throughout and released at the end (the kernel does it, also on errors).
///
/// Nothing is allocated per transfer: the `spi_ioc_transfer` lives on the C shim's stack and points at the
/// caller's buffers. EINTR is retried.
///
/// Not thread-safe and not `Sendable`: owned by the loop thread.
public final class LinuxSPIDevice: SPIDevice {
    /// The device node, e.g. `/dev/spidev0.0`.
    public let path: String
    /// SPI mode 0-3 (CPOL·2 + CPHA), as read back from the kernel.
    public let mode: Int
    /// The SCLK rate used for every transfer, in hertz, as read back.
    public let speed: Frequency
    private let fd: Int32
    private let speedHz: UInt32
    private var closed = false

    /// Opens `path`, sets mode, maximum speed and 8 bits per word, and checks that the kernel kept them.
    public init(path: String, mode: Int, maxSpeed: Frequency) throws(HardwareError) {
        precondition((0...3).contains(mode), "SPI mode must be 0...3")
        self.path = path
        let opened = Syscalls.open(path, flags: O_RDWR)
        guard !opened.failed else { throw Syscalls.error(.open, errno: opened.errno, device: path, operation: "open") }
        fd = Int32(opened.value)
        let hz = UInt32(max(1, min(maxSpeed.hertz.rounded(), Double(UInt32.max))))
        let m = Syscalls.spiSetMode(fd, UInt32(mode))
        let s = m.failed ? m : Syscalls.spiSetMaxSpeed(fd, hz)
        let b = s.failed ? s : Syscalls.spiSetBitsPerWord(fd, 8)
        if let (result, op) = [(m, "ioctl(SPI_IOC_WR_MODE32)"), (s, "ioctl(SPI_IOC_WR_MAX_SPEED_HZ)"), (b, "ioctl(SPI_IOC_WR_BITS_PER_WORD)")]
            .first(where: { $0.0.failed }) {
            _ = Syscalls.close(fd)
            throw Syscalls.error(.spi, errno: result.errno, device: path, operation: op)
        }
        // SPI_CPHA = 0x01, SPI_CPOL = 0x02 (linux/spi/spi.h); other mode bits (CS_HIGH, LSB_FIRST) must stay clear.
        guard m.value & 0x3 == Int64(mode), m.value & ~0x3 & 0xFF == 0, b.value == 8 else {
            _ = Syscalls.close(fd)
            throw HardwareError(
                .unsupported, "the controller kept mode bits 0x\(String(m.value, radix: 16)) and \(b.value) bits per word instead of mode \(mode), 8 bits",
                device: path, operation: "ioctl(SPI_IOC_RD_MODE32)")
        }
        self.mode = mode
        speedHz = UInt32(truncatingIfNeeded: s.value)
        speed = .hertz(Double(speedHz))
    }

    deinit { if !closed { _ = Syscalls.close(fd) } }

    public func close() {
        guard !closed else { return }
        closed = true
        _ = Syscalls.close(fd)
    }

    public func transaction(write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer) throws(HardwareError) {
        precondition(!closed, "transaction on a closed LinuxSPIDevice")
        precondition(write.count == read.count, "SPI transaction: write and read must have the same length")
        guard write.count > 0 else { return }
        let result = Syscalls.spiTransfer(fd, write: write, read: read, speedHz: speedHz)
        guard !result.failed else {
            throw Syscalls.error(.spi, errno: result.errno, device: path, operation: "ioctl(SPI_IOC_MESSAGE(1))")
        }
        guard result.value == Int64(write.count) else {
            throw HardwareError(
                .protocolViolation, "short transfer: \(result.value) of \(write.count) bytes", device: path,
                operation: "ioctl(SPI_IOC_MESSAGE(1))")
        }
    }
}
