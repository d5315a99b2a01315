#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CNeuronLinux
public import NeuronHAL

/// An I2C adapter through i2c-dev (`/dev/i2c-N`), speaking SMBus through libi2c wherever the transfer has an SMBus
/// form and `I2C_RDWR` only where it has none.
///
/// `I2CBus.transaction(_:write:read:)` (write, repeated START, read) maps onto SMBus like this; each row is the
/// same bytes on the wire as the combined transfer, so drivers cannot tell the difference:
///
/// | write | read | call                                                      | used by                        |
/// |-------|------|-----------------------------------------------------------|--------------------------------|
/// | 0     | 0    | `i2c_smbus_write_quick(0)`                                | probing (ACK only)             |
/// | 1     | 0    | `i2c_smbus_write_byte(w0)`                                |                                |
/// | 2     | 0    | `i2c_smbus_write_byte_data(w0, w1)`                       | MCP4725 fast write             |
/// | 3     | 0    | `i2c_smbus_write_word_data(w0, w1 | w2 << 8)`             | ADS1x15 register write; MCP4725 register write |
/// | 4…33  | 0    | `i2c_smbus_write_i2c_block_data(w0, w1…)`                 |                                |
/// | 0     | 1    | `i2c_smbus_read_byte()`                                   | MCP4725 RDY/BSY poll           |
/// | 1     | 1    | `i2c_smbus_read_byte_data(w0)`                            |                                |
/// | 1     | 2    | `i2c_smbus_read_word_data(w0)`, r0 = low byte, r1 = high  | ADS1x15 register read          |
/// | 1     | 3…32 | `i2c_smbus_read_i2c_block_data(w0, n)`                    |                                |
/// | other |      | `ioctl(I2C_RDWR)` (one write message, one read message)   | MCP4725 5-byte read-back       |
///
/// SMBus sends a word low byte first, so a big-endian chip register (ADS1x15: MSB first) appears byte-swapped in
/// the SMBus value; the table does that swap, not the drivers. When the adapter lacks an SMBus function
/// (`I2C_FUNCS`), the transfer goes through `I2C_RDWR` if the adapter has `I2C_FUNC_I2C`; an adapter that speaks
/// SMBus only (i2c-stub, some PC controllers) throws `.unsupported` for the rows marked `I2C_RDWR`.
///
/// EINTR is retried (an ioctl interrupted before the transfer started has not touched the bus). Errors carry the
/// node and address (`/dev/i2c-1 @ 0x60`), the C call, the errno and a kind from `Syscalls.error`.
///
/// Nothing here allocates on the transfer path: the buffers are the caller's, the SMBus calls take scalars.
///
/// Not thread-safe and not `Sendable`: the descriptor's target address (`I2C_SLAVE`) is state. Create it on, and
/// keep it on, the thread that runs the loop; drivers that share the bus share this object on that thread.
public final class LinuxI2CBus: I2CBus {
    /// Adapter functionality bits (`I2C_FUNCS`).
    public struct Functionality: OptionSet, Sendable, Hashable {
        public let rawValue: UInt
        public init(rawValue: UInt) { self.rawValue = rawValue }
        public static let i2c = Functionality(rawValue: CNeuronLinux_I2C_FUNC_I2C())
        public static let quick = Functionality(rawValue: CNeuronLinux_I2C_FUNC_SMBUS_QUICK())
        public static let readByte = Functionality(rawValue: CNeuronLinux_I2C_FUNC_SMBUS_READ_BYTE())
        public static let writeByte = Functionality(rawValue: CNeuronLinux_I2C_FUNC_SMBUS_WRITE_BYTE())
        public static let readByteData = Functionality(rawValue: CNeuronLinux_I2C_FUNC_SMBUS_READ_BYTE_DATA())
        public static let writeByteData = Functionality(rawValue: CNeuronLinux_I2C_FUNC_SMBUS_WRITE_BYTE_DATA())
        public static let readWordData = Functionality(rawValue: CNeuronLinux_I2C_FUNC_SMBUS_READ_WORD_DATA())
        public static let writeWordData = Functionality(rawValue: CNeuronLinux_I2C_FUNC_SMBUS_WRITE_WORD_DATA())
        public static let readI2CBlock = Functionality(rawValue: CNeuronLinux_I2C_FUNC_SMBUS_READ_I2C_BLOCK())
        public static let writeI2CBlock = Functionality(rawValue: CNeuronLinux_I2C_FUNC_SMBUS_WRITE_I2C_BLOCK())
        public static let all: Functionality = [
            .i2c, .quick, .readByte, .writeByte, .readByteData, .writeByteData, .readWordData, .writeWordData,
            .readI2CBlock, .writeI2CBlock,
        ]
    }

    /// The device node, e.g. `/dev/i2c-1`.
    public let path: String
    /// What the adapter can do, as `I2C_FUNCS` reported at open.
    public let functionality: Functionality
    private let fd: Int32
    private var target: UInt8?
    private var closed = false

    /// Opens `path` and reads the adapter's functionality. Does no bus transfer.
    public init(path: String) throws(HardwareError) {
        self.path = path
        let opened = Syscalls.open(path, flags: O_RDWR)
        guard !opened.failed else { throw Syscalls.error(.open, errno: opened.errno, device: path, operation: "open") }
        fd = Int32(opened.value)
        let funcs = Syscalls.i2cFunctionality(fd)
        guard !funcs.failed else {
            _ = Syscalls.close(fd)
            throw Syscalls.error(.i2c, errno: funcs.errno, device: path, operation: "ioctl(I2C_FUNCS)")
        }
        functionality = Functionality(rawValue: UInt(UInt64(bitPattern: funcs.value)))
    }

    deinit { if !closed { _ = Syscalls.close(fd) } }

    /// Closes the descriptor now (otherwise on deinit). Further transactions are a programmer error.
    public func close() {
        guard !closed else { return }
        closed = true
        _ = Syscalls.close(fd)
    }

    public func transaction(
        _ address: I2CAddress, write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer
    ) throws(HardwareError) {
        precondition(!closed, "transaction on a closed LinuxI2CBus")
        let w = write.count
        let r = read.count
        switch (w, r) {
        case (0, 0) where functionality.contains(.quick):
            try select(address)
            try check(Syscalls.smbusWriteQuick(fd, 0), address, "i2c_smbus_write_quick")
        case (1, 0) where functionality.contains(.writeByte):
            try select(address)
            try check(Syscalls.smbusWriteByte(fd, write[0]), address, "i2c_smbus_write_byte")
        case (2, 0) where functionality.contains(.writeByteData):
            try select(address)
            try check(Syscalls.smbusWriteByteData(fd, write[0], write[1]), address, "i2c_smbus_write_byte_data")
        case (3, 0) where functionality.contains(.writeWordData):
            try select(address)
            let word = UInt16(write[1]) | (UInt16(write[2]) << 8)
            try check(Syscalls.smbusWriteWordData(fd, write[0], word), address, "i2c_smbus_write_word_data")
        case (4...33, 0) where functionality.contains(.writeI2CBlock):
            try select(address)
            try check(
                Syscalls.smbusWriteI2CBlockData(fd, write[0], UnsafeRawBufferPointer(rebasing: write[1...])),
                address, "i2c_smbus_write_i2c_block_data")
        case (0, 1) where functionality.contains(.readByte):
            try select(address)
            let v = try check(Syscalls.smbusReadByte(fd), address, "i2c_smbus_read_byte")
            read[0] = UInt8(truncatingIfNeeded: v)
        case (1, 1) where functionality.contains(.readByteData):
            try select(address)
            let v = try check(Syscalls.smbusReadByteData(fd, write[0]), address, "i2c_smbus_read_byte_data")
            read[0] = UInt8(truncatingIfNeeded: v)
        case (1, 2) where functionality.contains(.readWordData):
            try select(address)
            let v = try check(Syscalls.smbusReadWordData(fd, write[0]), address, "i2c_smbus_read_word_data")
            read[0] = UInt8(truncatingIfNeeded: v)        // SMBus: low byte first on the wire
            read[1] = UInt8(truncatingIfNeeded: v >> 8)
        case (1, 3...32) where functionality.contains(.readI2CBlock):
            try select(address)
            let n = try check(Syscalls.smbusReadI2CBlockData(fd, write[0], read), address, "i2c_smbus_read_i2c_block_data")
            guard n == Int64(r) else {
                throw HardwareError(
                    .protocolViolation, "short block read: \(n) of \(r) bytes", device: deviceName(address),
                    operation: "i2c_smbus_read_i2c_block_data")
            }
        default:
            guard functionality.contains(.i2c) else {
                throw HardwareError(
                    .unsupported,
                    "a transfer of \(w) byte(s) written then \(r) read has no SMBus form, and the adapter speaks SMBus only (no I2C_FUNC_I2C; i2c-stub is such an adapter)",
                    device: deviceName(address), operation: "ioctl(I2C_RDWR)")
            }
            precondition(w <= 8192 && r <= 8192, "I2C transfer longer than 8192 bytes")
            try check(Syscalls.i2cReadWrite(fd, address.rawValue, write: write, read: read), address, "ioctl(I2C_RDWR)")
        }
    }

    /// Points the descriptor at `address` (`ioctl(I2C_SLAVE)`) unless it already is; no bus traffic.
    private func select(_ address: I2CAddress) throws(HardwareError) {
        guard target != address.rawValue else { return }
        let result = Syscalls.i2cSetAddress(fd, address.rawValue)
        guard !result.failed else {
            target = nil
            throw Syscalls.error(.i2c, errno: result.errno, device: deviceName(address), operation: "ioctl(I2C_SLAVE)")
        }
        target = address.rawValue
    }

    @discardableResult
    private func check(_ result: SyscallResult, _ address: I2CAddress, _ operation: String) throws(HardwareError) -> Int64 {
        guard !result.failed else {
            throw Syscalls.error(.i2c, errno: result.errno, device: deviceName(address), operation: operation)
        }
        return result.value
    }

    private func deviceName(_ address: I2CAddress) -> String { "\(path) @ \(address)" }
}
