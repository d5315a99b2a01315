// The one seam between NeuronLinux and the kernel (swift-system's `Internals/Syscalls.swift` + `Mocking.swift`).
//
// Every open, close, ioctl, SMBus call, libgpiod call and clock_nanosleep of the Linux backends goes through
// `Syscalls` below. In normal use each function is a direct call into the C shims (CNeuronLinux, CGPIOD). While a
// test has a `SyscallMock` installed (`SyscallMock.with { mock in ... }`, a task-local, so parallel tests do not
// see each other's), the call is not made: it is appended to the mock's trace as text (`ioctl(3, I2C_SLAVE,
// 0x48)`) and answered by the mock, which can force any errno (EINTR, EREMOTEIO, ENXIO, EBUSY, EACCES, ...) on
// the n-th matching call. That is how every backend error path is tested without hardware.
//
// Cost when no mock is installed: one relaxed atomic load per call, no allocation.
//
// Errno → `HardwareError.Kind` lives in exactly one function, `Syscalls.error(_:errno:device:operation:)`.

import CGPIOD
import CNeuronLinux
import NeuronHAL
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The result of a seam call: `value` on success (`errno == 0`), or the error number.
struct SyscallResult {
    var value: Int64
    var errno: Int32
    @inline(__always) var failed: Bool { errno != 0 }
    @inline(__always) static func ok(_ value: Int64) -> SyscallResult { SyscallResult(value: value, errno: 0) }
    @inline(__always) static func failure(_ errno: Int32) -> SyscallResult { SyscallResult(value: -1, errno: errno) }
}

/// How many mocks are installed anywhere; zero in production, so the check is one relaxed load.
let installedSyscallMocks = Atomic<Int>(0)

/// A recorder and responder installed for the duration of a test body (see the file comment).
/// Owned by the test that installs it; `@unchecked Sendable` only because task-local values must be `Sendable`.
final class SyscallMock: @unchecked Sendable {
    @TaskLocal static var current: SyscallMock?

    /// Every call made while installed, as text, in order.
    private(set) var trace: [String] = []
    private struct Forced {
        var name: String?
        var errno: Int32
        var skip: Int
        var remaining: Int
    }
    private var forced: [Forced] = []
    /// Answers a call: return a value (and fill `buffer` for calls that read data), or `nil` for the default answer
    /// (open: the next fd from 3; read calls: 0 and a zero-filled buffer; transfers: the full length).
    var responder: (_ name: String, _ buffer: UnsafeMutableRawBufferPointer?) -> Int64? = { _, _ in nil }
    private var nextFD: Int64 = 3

    /// Makes calls whose trace text starts with `name` (any call when `nil`) fail with `errno`, `count` times,
    /// after letting `skip` matching calls through.
    func force(_ errno: Int32, on name: String? = nil, skip: Int = 0, count: Int = 1) {
        forced.append(Forced(name: name, errno: errno, skip: skip, remaining: count))
    }

    /// Runs `body` with a fresh mock installed on this task.
    static func with<R>(_ body: (SyscallMock) throws -> R) rethrows -> R {
        let mock = SyscallMock()
        installedSyscallMocks.add(1, ordering: .relaxed)
        defer { installedSyscallMocks.subtract(1, ordering: .relaxed) }
        return try $current.withValue(mock) { try body(mock) }
    }

    func handle(_ name: String, _ text: String, buffer: UnsafeMutableRawBufferPointer?, defaultValue: Int64) -> SyscallResult {
        trace.append(text)
        for i in forced.indices where forced[i].remaining > 0 && (forced[i].name.map { text.hasPrefix($0) } ?? true) {
            if forced[i].skip > 0 {
                forced[i].skip -= 1
                continue
            }
            forced[i].remaining -= 1
            return .failure(forced[i].errno)
        }
        if let value = responder(name, buffer) { return .ok(value) }
        if let buffer, let base = buffer.baseAddress { base.initializeMemory(as: UInt8.self, repeating: 0, count: buffer.count) }
        if name == "open" || name == "gpiod_request_line" {
            defer { nextFD += 1 }
            return .ok(nextFD)
        }
        return .ok(defaultValue)
    }
}

/// The seam. Each function names the C call it makes; `retryOnInterrupt` is explicit (swift-system rule).
enum Syscalls {
    /// Routes one call through the installed mock, if any, or makes it. `describe` builds the trace text (only
    /// when mocked); `real` makes the call and returns its value or errno.
    @inline(__always)
    static func call(
        _ name: String, retryOnInterrupt: Bool, buffer: UnsafeMutableRawBufferPointer? = nil, defaultValue: Int64 = 0,
        _ describe: () -> String, _ real: () -> SyscallResult
    ) -> SyscallResult {
        while true {
            let result: SyscallResult
            if installedSyscallMocks.load(ordering: .relaxed) != 0, let mock = SyscallMock.current {
                result = mock.handle(name, describe(), buffer: buffer, defaultValue: defaultValue)
            } else {
                result = real()
            }
            if result.errno == EINTR && retryOnInterrupt { continue }
            return result
        }
    }

    @inline(__always) static func fromC(_ r: Int32) -> SyscallResult { r < 0 ? .failure(errno) : .ok(Int64(r)) }
    /// libi2c returns -errno.
    @inline(__always) static func fromSMBus(_ r: Int32) -> SyscallResult { r < 0 ? .failure(-r) : .ok(Int64(r)) }

    // MARK: Files

    static func open(_ path: String, flags: Int32) -> SyscallResult {
        call("open", retryOnInterrupt: true, { "open(\(path))" }) { fromC(Glibc.open(path, flags | O_CLOEXEC)) }
    }

    /// Never retried: on Linux the descriptor is gone even when close reports EINTR.
    static func close(_ fd: Int32) -> SyscallResult {
        call("close", retryOnInterrupt: false, { "close(\(fd))" }) { fromC(Glibc.close(fd)) }
    }

    // MARK: I2C

    static func i2cSetAddress(_ fd: Int32, _ address: UInt8) -> SyscallResult {
        call("ioctl", retryOnInterrupt: true, { "ioctl(\(fd), I2C_SLAVE, \(hex(address)))" }) {
            fromC(CNeuronLinux_i2c_set_address(fd, UInt16(address)))
        }
    }

    static func i2cFunctionality(_ fd: Int32) -> SyscallResult {
        call("ioctl(I2C_FUNCS)", retryOnInterrupt: true, defaultValue: Int64(bitPattern: UInt64(LinuxI2CBus.Functionality.all.rawValue)),
             { "ioctl(\(fd), I2C_FUNCS)" }) {
            var funcs: UInt = 0
            let r = CNeuronLinux_i2c_functionality(fd, &funcs)
            return r < 0 ? .failure(errno) : .ok(Int64(bitPattern: UInt64(funcs)))
        }
    }

    static func i2cReadWrite(
        _ fd: Int32, _ address: UInt8, write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer
    ) -> SyscallResult {
        call("ioctl(I2C_RDWR)", retryOnInterrupt: true, buffer: read.count > 0 ? read : nil, defaultValue: 2, {
            "ioctl(\(fd), I2C_RDWR, \(hex(address)), write \(bytesText(write)), read \(read.count))"
        }) {
            fromC(CNeuronLinux_i2c_rdwr(
                fd, UInt16(address), write.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt16(write.count),
                read.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt16(read.count)))
        }
    }

    static func smbusWriteQuick(_ fd: Int32, _ value: UInt8) -> SyscallResult {
        call("i2c_smbus_write_quick", retryOnInterrupt: true, { "i2c_smbus_write_quick(\(fd), \(value))" }) {
            fromSMBus(CNeuronLinux_smbus_write_quick(fd, value))
        }
    }

    static func smbusReadByte(_ fd: Int32) -> SyscallResult {
        call("i2c_smbus_read_byte", retryOnInterrupt: true, { "i2c_smbus_read_byte(\(fd))" }) {
            fromSMBus(CNeuronLinux_smbus_read_byte(fd))
        }
    }

    static func smbusWriteByte(_ fd: Int32, _ value: UInt8) -> SyscallResult {
        call("i2c_smbus_write_byte", retryOnInterrupt: true, { "i2c_smbus_write_byte(\(fd), \(hex(value)))" }) {
            fromSMBus(CNeuronLinux_smbus_write_byte(fd, value))
        }
    }

    static func smbusReadByteData(_ fd: Int32, _ command: UInt8) -> SyscallResult {
        call("i2c_smbus_read_byte_data", retryOnInterrupt: true, { "i2c_smbus_read_byte_data(\(fd), \(hex(command)))" }) {
            fromSMBus(CNeuronLinux_smbus_read_byte_data(fd, command))
        }
    }

    static func smbusWriteByteData(_ fd: Int32, _ command: UInt8, _ value: UInt8) -> SyscallResult {
        call("i2c_smbus_write_byte_data", retryOnInterrupt: true, {
            "i2c_smbus_write_byte_data(\(fd), \(hex(command)), \(hex(value)))"
        }) { fromSMBus(CNeuronLinux_smbus_write_byte_data(fd, command, value)) }
    }

    static func smbusReadWordData(_ fd: Int32, _ command: UInt8) -> SyscallResult {
        call("i2c_smbus_read_word_data", retryOnInterrupt: true, { "i2c_smbus_read_word_data(\(fd), \(hex(command)))" }) {
            fromSMBus(CNeuronLinux_smbus_read_word_data(fd, command))
        }
    }

    static func smbusWriteWordData(_ fd: Int32, _ command: UInt8, _ value: UInt16) -> SyscallResult {
        call("i2c_smbus_write_word_data", retryOnInterrupt: true, {
            "i2c_smbus_write_word_data(\(fd), \(hex(command)), \(wordText(value)))"
        }) { fromSMBus(CNeuronLinux_smbus_write_word_data(fd, command, value)) }
    }

    static func smbusReadI2CBlockData(_ fd: Int32, _ command: UInt8, _ read: UnsafeMutableRawBufferPointer) -> SyscallResult {
        call("i2c_smbus_read_i2c_block_data", retryOnInterrupt: true, buffer: read, defaultValue: Int64(read.count), {
            "i2c_smbus_read_i2c_block_data(\(fd), \(hex(command)), \(read.count))"
        }) {
            fromSMBus(CNeuronLinux_smbus_read_i2c_block_data(
                fd, command, UInt8(read.count), read.baseAddress!.assumingMemoryBound(to: UInt8.self)))
        }
    }

    static func smbusWriteI2CBlockData(_ fd: Int32, _ command: UInt8, _ write: UnsafeRawBufferPointer) -> SyscallResult {
        call("i2c_smbus_write_i2c_block_data", retryOnInterrupt: true, {
            "i2c_smbus_write_i2c_block_data(\(fd), \(hex(command)), \(bytesText(write)))"
        }) {
            fromSMBus(CNeuronLinux_smbus_write_i2c_block_data(
                fd, command, UInt8(write.count), write.baseAddress?.assumingMemoryBound(to: UInt8.self)))
        }
    }

    // MARK: SPI

    static func spiSetMode(_ fd: Int32, _ mode: UInt32) -> SyscallResult {
        call("ioctl(SPI_IOC_WR_MODE32)", retryOnInterrupt: true, defaultValue: Int64(mode), {
            "ioctl(\(fd), SPI_IOC_WR_MODE32, \(mode))"
        }) {
            var readBack: UInt32 = 0
            let r = CNeuronLinux_spi_set_mode(fd, mode, &readBack)
            return r < 0 ? .failure(errno) : .ok(Int64(readBack))
        }
    }

    static func spiSetMaxSpeed(_ fd: Int32, _ hertz: UInt32) -> SyscallResult {
        call("ioctl(SPI_IOC_WR_MAX_SPEED_HZ)", retryOnInterrupt: true, defaultValue: Int64(hertz), {
            "ioctl(\(fd), SPI_IOC_WR_MAX_SPEED_HZ, \(hertz))"
        }) {
            var readBack: UInt32 = 0
            let r = CNeuronLinux_spi_set_max_speed(fd, hertz, &readBack)
            return r < 0 ? .failure(errno) : .ok(Int64(readBack))
        }
    }

    static func spiSetBitsPerWord(_ fd: Int32, _ bits: UInt8) -> SyscallResult {
        call("ioctl(SPI_IOC_WR_BITS_PER_WORD)", retryOnInterrupt: true, defaultValue: Int64(bits), {
            "ioctl(\(fd), SPI_IOC_WR_BITS_PER_WORD, \(bits))"
        }) {
            var readBack: UInt8 = 0
            let r = CNeuronLinux_spi_set_bits_per_word(fd, bits, &readBack)
            return r < 0 ? .failure(errno) : .ok(Int64(readBack))
        }
    }

    static func spiTransfer(
        _ fd: Int32, write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer, speedHz: UInt32
    ) -> SyscallResult {
        call("ioctl(SPI_IOC_MESSAGE(1))", retryOnInterrupt: true, buffer: read, defaultValue: Int64(write.count), {
            "ioctl(\(fd), SPI_IOC_MESSAGE(1), \(bytesText(write)), \(speedHz) Hz)"
        }) {
            fromC(CNeuronLinux_spi_transfer(
                fd, write.baseAddress?.assumingMemoryBound(to: UInt8.self),
                read.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(write.count), speedHz))
        }
    }

    // MARK: Clock

    static func monotonicNow() -> Int64 { CNeuronLinux_monotonic_ns() }

    /// clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME): retried on EINTR (an absolute deadline makes that exact).
    static func sleepUntil(_ deadline: Int64) -> SyscallResult {
        call("clock_nanosleep", retryOnInterrupt: true, { "clock_nanosleep(MONOTONIC, ABSTIME, \(deadline))" }) {
            let r = CNeuronLinux_sleep_until_ns(deadline)
            return r == 0 ? .ok(0) : .failure(r)
        }
    }

    // MARK: GPIO (libgpiod through CGPIOD)

    static func gpiodResolveChip(_ chip: String) -> (SyscallResult, String) {
        var path = [CChar](repeating: 0, count: 256)
        let r = call("gpiod_resolve_chip", retryOnInterrupt: true, { "gpiod_resolve_chip(\(chip))" }) {
            fromC(cgpiod_resolve_chip(chip, &path, path.count))
        }
        if r.failed { return (r, "") }
        if path[0] == 0 { return (r, chip.hasPrefix("/") ? chip : "/dev/\(chip)") }  // mocked
        return (r, String(decoding: path.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    static func gpiodFindLine(_ path: String, _ name: String) -> SyscallResult {
        call("gpiod_find_line", retryOnInterrupt: true, { "gpiod_find_line(\(path), \(name))" }) {
            var offset: UInt32 = 0
            let r = cgpiod_find_line(path, name, &offset)
            return r < 0 ? .failure(errno) : .ok(Int64(offset))
        }
    }

    static func gpiodChipInfo(_ path: String) -> (SyscallResult, name: String, label: String, lines: Int) {
        var name = [CChar](repeating: 0, count: 64)
        var label = [CChar](repeating: 0, count: 128)
        var lines: UInt32 = 0
        let r = call("gpiod_chip_info", retryOnInterrupt: true, defaultValue: 54, { "gpiod_chip_info(\(path))" }) {
            let r = cgpiod_chip_info(path, &name, name.count, &label, label.count, &lines)
            return r < 0 ? .failure(errno) : .ok(Int64(lines))
        }
        return (r, cString(name), cString(label), Int(r.value))
    }

    static func gpiodLineInfo(_ path: String, _ offset: UInt32) -> (SyscallResult, name: String, consumer: String, used: Bool) {
        var name = [CChar](repeating: 0, count: 64)
        var consumer = [CChar](repeating: 0, count: 64)
        var used: Int32 = 0
        let r = call("gpiod_line_info", retryOnInterrupt: true, { "gpiod_line_info(\(path), \(offset))" }) {
            fromC(cgpiod_line_info(path, offset, &name, name.count, &consumer, consumer.count, &used))
        }
        return (r, cString(name), cString(consumer), used != 0)
    }

    /// Requests one line. The value is an opaque handle (the `cgpiod_request` pointer) on success.
    static func gpiodRequestLine(
        _ path: String, consumer: String, settings: cgpiod_line_settings
    ) -> (SyscallResult, OpaquePointer?) {
        var handle: OpaquePointer?
        let r = call("gpiod_request_line", retryOnInterrupt: true, {
            "gpiod_request_line(\(path), offset \(settings.offset), \(settings.direction == 1 ? "output" : "input"), edge \(settings.edge), bias \(settings.bias), active-low \(settings.active_low), initial \(settings.initial_active), \(consumer))"
        }) {
            var s = settings
            handle = cgpiod_request_line(path, consumer, &s)
            return handle == nil ? .failure(errno) : .ok(0)
        }
        // A mocked request has no C object; hand out a sentinel that gpiodRelease recognises.
        if !r.failed && handle == nil { handle = mockedRequestHandle }
        return (r, handle)
    }

    static func gpiodRelease(_ handle: OpaquePointer?) {
        _ = call("gpiod_release", retryOnInterrupt: false, { "gpiod_release" }) {
            if handle != mockedRequestHandle { cgpiod_release(handle) }
            return .ok(0)
        }
    }

    static func gpiodGetValue(_ handle: OpaquePointer?) -> SyscallResult {
        call("gpiod_get_value", retryOnInterrupt: true, { "gpiod_get_value" }) { fromC(cgpiod_get_value(handle)) }
    }

    static func gpiodSetValue(_ handle: OpaquePointer?, _ active: Bool) -> SyscallResult {
        call("gpiod_set_value", retryOnInterrupt: true, { "gpiod_set_value(\(active ? 1 : 0))" }) {
            fromC(cgpiod_set_value(handle, active ? 1 : 0))
        }
    }

    /// Not retried here: the caller recomputes the timeout from its deadline.
    static func gpiodWaitEvent(_ handle: OpaquePointer?, timeoutNanoseconds: Int64) -> SyscallResult {
        call("gpiod_wait_event", retryOnInterrupt: false, { "gpiod_wait_event(\(timeoutNanoseconds) ns)" }) {
            fromC(cgpiod_wait_event(handle, timeoutNanoseconds))
        }
    }

    static func gpiodReadEvent(_ handle: OpaquePointer?, _ event: inout cgpiod_edge_event) -> SyscallResult {
        withUnsafeMutableBytes(of: &event) { raw in
            call("gpiod_read_event", retryOnInterrupt: true, buffer: raw, { "gpiod_read_event" }) {
                fromC(cgpiod_read_event(handle, raw.baseAddress!.assumingMemoryBound(to: cgpiod_edge_event.self)))
            }
        }
    }

    static func gpiodLibrary() -> (api: Int, version: String) {
        (Int(cgpiod_api_major()), String(cString: cgpiod_library_version()))
    }

    // MARK: Errors

    /// What the backends need to know to interpret an errno.
    enum Context {
        /// open() of a device node.
        case open
        /// An I2C transfer (I2C_RDWR or SMBus) or I2C_SLAVE.
        case i2c
        /// An SPI ioctl.
        case spi
        /// A libgpiod call.
        case gpio
    }

    /// The errno → `HardwareError` table, the only one in NeuronLinux.
    ///
    /// I2C follows the kernel's `Documentation/i2c/fault-codes.rst`: ENXIO is "the address phase of a transfer
    /// didn't get an ACK" (nothing at that address); EREMOTEIO is what i2c-bcm2835, the Raspberry Pi adapter,
    /// returns for every NAK (address or data, it cannot tell, `drivers/i2c/busses/i2c-bcm2835.c`); ENODEV is what
    /// i2c-stub returns for an address it does not simulate (fault-codes lists ENODEV as ENXIO's alternative);
    /// EAGAIN is lost arbitration; ETIMEDOUT a transfer that took too long (clock stretching, stuck bus); EIO a
    /// vague bus error; EPROTO/EBADMSG a reply that breaks the protocol (bad length, bad PEC); EOPNOTSUPP an
    /// operation the adapter cannot do (I2C_RDWR on an SMBus-only adapter); EBUSY the bus busy for too long, or on
    /// I2C_SLAVE a kernel driver owning the address; ESHUTDOWN a suspended adapter.
    static func error(
        _ context: Context, errno e: Int32, device: String, operation: String,
        file: String = #fileID, line: Int = #line, function: String = #function
    ) -> HardwareError {
        let kind: HardwareError.Kind
        let message: String
        switch (context, e) {
        case (_, EACCES), (_, EPERM):
            kind = .permissionDenied
            message = "permission denied. Fix: run Scripts/install-udev-rules.sh and add your user to the i2c, spi and gpio groups (then log in again), or run as root"
        case (.open, ENOENT), (.open, ENODEV), (.open, ENXIO):
            kind = .notFound
            message = "no such device node. Fix: enable the bus (dtparam=i2c_arm=on / dtparam=spi=on in config.txt, see Boards/README.md) and check the node name in the board file"
        case (.gpio, ENOENT):
            kind = .notFound
            message = "no such GPIO chip or line. Fix: compare the board file with what `gpioinfo` prints"
        case (.i2c, ENXIO), (.i2c, ENODEV):
            kind = .noAcknowledge(.address)
            message = "nothing acknowledged the address. Fix: check the address pins, power, SDA/SCL wiring and pull-ups (i2cdetect -y N lists what answers)"
        case (.i2c, EREMOTEIO):
            kind = .noAcknowledge(.unknown)
            message = "the chip did not acknowledge (the adapter cannot say whether the address or a data byte). Fix: check the address, power and wiring; a chip busy writing EEPROM also NAKs"
        case (.i2c, EAGAIN):
            kind = .arbitrationLost
            message = "arbitration lost: another master drove the bus"
        case (_, ETIMEDOUT):
            kind = .timedOut
            message = "the transfer timed out (a chip holding SCL low, or a stuck bus). Fix: power-cycle the chips; lower the bus clock"
        case (.i2c, EIO), (.spi, EIO):
            kind = .busFault
            message = "bus error (misplaced START/STOP or a stuck line). Fix: check the wiring and pull-ups"
        case (_, EPROTO), (_, EBADMSG):
            kind = .protocolViolation
            message = "the reply broke the protocol (wrong length or checksum)"
        case (_, EOPNOTSUPP):
            kind = .unsupported
            message = "the adapter or driver does not support this operation"
        case (.i2c, EBUSY) where operation.contains("I2C_SLAVE"):
            kind = .deviceBusy
            message = "a kernel driver owns this address (e.g. an overlay's IIO driver). Fix: remove the dtoverlay or unbind the driver; NeuronHIL never forces (I2C_SLAVE_FORCE)"
        case (.gpio, EBUSY):
            kind = .deviceBusy
            message = "the line is in use by another consumer. Fix: `gpioinfo` shows who holds it; stop that program or disable its overlay"
        case (_, EBUSY):
            kind = .deviceBusy
            message = "the device or bus is busy"
        case (_, EINVAL):
            kind = .invalidArgument
            message = "the kernel refused the arguments (e.g. an SPI mode or speed the controller cannot do, or a GPIO setting the kernel does not support)"
        case (_, ESHUTDOWN):
            kind = .other
            message = "the adapter is suspended"
        case (_, EINTR):
            kind = .other
            message = "interrupted by a signal"
        default:
            kind = .other
            message = String(cString: strerror(e))
        }
        return HardwareError(kind, message, device: device, operation: operation, errno: e, file: file, line: line, function: function)
    }
}

private func bytesText(_ bytes: UnsafeRawBufferPointer) -> String {
    "[" + bytes.map { hex($0) }.joined(separator: ", ") + "]"
}

private func wordText(_ v: UInt16) -> String {
    let digits = Array("0123456789abcdef")
    return "0x" + String((0..<4).reversed().map { digits[Int((v >> (UInt16($0) * 4)) & 0xF)] })
}

private func cString(_ chars: [CChar]) -> String {
    String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The handle of a line requested while a mock was installed (never dereferenced).
var mockedRequestHandle: OpaquePointer? { OpaquePointer(bitPattern: 0x1) }

/// EINTR for files that do not import Glibc.
let EINTR_VALUE: Int32 = EINTR
