// Seam tests: every Linux backend path, including every error path, without hardware. Each test installs a
// SyscallMock (task-local, so tests run in parallel), drives the real backend code, and checks the exact calls it
// made (as text) and the errors it threw. Constants are restated from the kernel headers and datasheets here
// rather than imported.

import Glibc
import NeuronDrivers
import NeuronHAL
@testable import NeuronLinux
import Testing

// Restated from the datasheets: MCP4725 fast write of code 0xABC, power-down normal = [0x0A, 0xBC];
// ADS1x15 config register pointer 0x01, reset value 0x8583.
private let dac = I2CAddress(0x60)
private let adc = I2CAddress(0x48)

@Suite("Linux I2C through the seam")
struct LinuxI2CSeamTests {
    @Test func openQueriesFunctionalityAndDoesNoTransfer() throws {
        try SyscallMock.with { mock in
            let bus = try LinuxI2CBus(path: "/dev/i2c-1")
            #expect(mock.trace == ["open(/dev/i2c-1)", "ioctl(3, I2C_FUNCS)"])
            bus.close()
            #expect(mock.trace.last == "close(3)")
        }
    }

    @Test func mcp4725FastWriteIsWriteByteData() throws {
        try SyscallMock.with { mock in
            let bus = try LinuxI2CBus(path: "/dev/i2c-1")
            let driver = MCP4725(bus: bus, address: dac, reference: .volts(3.3), clock: LinuxClock())
            try driver.writeFast(code: DACCode(0xABC, bits: 12)!, powerDown: .normal)
            try driver.writeFast(code: DACCode(0x123, bits: 12)!, powerDown: .resistor1k)
            #expect(Array(mock.trace.dropFirst(2)) == [
                "ioctl(3, I2C_SLAVE, 0x60)",
                "i2c_smbus_write_byte_data(3, 0x0a, 0xbc)",
                // PD1 PD0 = 01 (1 kΩ) in bits 5..4 of the first byte; the address is selected only once.
                "i2c_smbus_write_byte_data(3, 0x11, 0x23)",
            ])
        }
    }

    @Test func ads1x15RegistersAreByteSwappedWordData() throws {
        try SyscallMock.with { mock in
            // The chip sends the config MSB first (0x85, 0x83); SMBus takes the first byte as the low byte.
            mock.responder = { name, _ in name == "i2c_smbus_read_word_data" ? 0x8385 : nil }
            let bus = try LinuxI2CBus(path: "/dev/i2c-1")
            let driver = ADS1x15(bus: bus, address: adc, variant: .ads1015, clock: LinuxClock())
            let config = try driver.readConfig()
            #expect(config.encode() == 0x8583)
            var next = config
            next.mux = .ain0ain1  // 0x0583 with OS = 0
            next.os = .noEffect
            try driver.configure(next)
            #expect(Array(mock.trace.dropFirst(2)) == [
                "ioctl(3, I2C_SLAVE, 0x48)",
                "i2c_smbus_read_word_data(3, 0x01)",
                "i2c_smbus_write_word_data(3, 0x01, 0x8305)",
            ])
        }
    }

    @Test func everyTransferShapeUsesItsSMBusForm() throws {
        try SyscallMock.with { mock in
            mock.responder = { name, buffer in
                if name == "i2c_smbus_read_i2c_block_data", let buffer {
                    for i in buffer.indices { buffer[i] = UInt8(0xA0 + i) }
                    return Int64(buffer.count)
                }
                if name == "i2c_smbus_read_byte_data" { return 0x5A }
                if name == "i2c_smbus_read_byte" { return 0xC1 }
                return nil
            }
            let bus = try LinuxI2CBus(path: "/dev/i2c-1")
            try bus.write(dac, InlineArray<0, UInt8>(repeating: 0))
            try bus.write(dac, [0x42] as InlineArray<1, UInt8>)
            try bus.write(dac, [0x01, 0x02, 0x03, 0x04] as InlineArray<4, UInt8>)
            let one: InlineArray<1, UInt8> = try bus.read(dac)
            let byteData: InlineArray<1, UInt8> = try bus.writeRead(dac, [0x07] as InlineArray<1, UInt8>)
            let block: InlineArray<3, UInt8> = try bus.writeRead(dac, [0x10] as InlineArray<1, UInt8>)
            #expect(one[0] == 0xC1 && byteData[0] == 0x5A)
            #expect(block[0] == 0xA0 && block[1] == 0xA1 && block[2] == 0xA2)
            #expect(Array(mock.trace.dropFirst(3)) == [
                "i2c_smbus_write_quick(3, 0)",
                "i2c_smbus_write_byte(3, 0x42)",
                "i2c_smbus_write_i2c_block_data(3, 0x01, [0x02, 0x03, 0x04])",
                "i2c_smbus_read_byte(3)",
                "i2c_smbus_read_byte_data(3, 0x07)",
                "i2c_smbus_read_i2c_block_data(3, 0x10, 3)",
            ])
        }
    }

    @Test func mcp4725ReadBackHasNoSMBusFormAndUsesI2CRDWR() throws {
        try SyscallMock.with { mock in
            // Figure 6-3: status C0 (RDY, POR), DAC register 0xAB 0xC0 (code 0xABC), EEPROM 0x0A 0xBC.
            mock.responder = { name, buffer in
                guard name == "ioctl(I2C_RDWR)", let buffer else { return nil }
                for (i, b) in [UInt8(0xC0), 0xAB, 0xC0, 0x0A, 0xBC].enumerated() { buffer[i] = b }
                return 1
            }
            let bus = try LinuxI2CBus(path: "/dev/i2c-1")
            let driver = MCP4725(bus: bus, address: dac, reference: .volts(3.3), clock: LinuxClock())
            let status = try driver.readBack()
            #expect(status.code.value == 0xABC && status.ready && status.powerDown == .normal)
            #expect(mock.trace.last == "ioctl(3, I2C_RDWR, 0x60, write [], read 5)")
            #expect(!mock.trace.contains { $0.contains("I2C_SLAVE") })
        }
    }

    @Test func smbusOnlyAdapterRefusesTransfersWithoutAnSMBusForm() throws {
        try SyscallMock.with { mock in
            // i2c-stub's default functionality: quick, byte, byte data, word data, I2C block; no I2C_FUNC_I2C.
            mock.responder = { name, _ in
                name == "ioctl(I2C_FUNCS)" ? Int64(LinuxI2CBus.Functionality.all.subtracting(.i2c).rawValue) : nil
            }
            let bus = try LinuxI2CBus(path: "/dev/i2c-0")
            let driver = MCP4725(bus: bus, address: dac, reference: .volts(3.3), clock: LinuxClock())
            let error = #expect(throws: HardwareError.self) { try driver.readBack() }
            #expect(error?.kind == .unsupported)
            #expect(error?.device == "/dev/i2c-0 @ 0x60")
            #expect(!mock.trace.contains { $0.contains("I2C_RDWR") })
        }
    }

    @Test func missingSMBusFunctionFallsBackToI2CRDWR() throws {
        try SyscallMock.with { mock in
            mock.responder = { name, _ in
                name == "ioctl(I2C_FUNCS)" ? Int64(LinuxI2CBus.Functionality([.i2c]).rawValue) : nil
            }
            let bus = try LinuxI2CBus(path: "/dev/i2c-1")
            try bus.write(dac, [0x0A, 0xBC] as InlineArray<2, UInt8>)
            #expect(mock.trace.last == "ioctl(3, I2C_RDWR, 0x60, write [0x0a, 0xbc], read 0)")
        }
    }

    @Test(arguments: [
        (EREMOTEIO, HardwareError.Kind.noAcknowledge(.unknown)),
        (ENXIO, .noAcknowledge(.address)),
        (ENODEV, .noAcknowledge(.address)),
        (EAGAIN, .arbitrationLost),
        (ETIMEDOUT, .timedOut),
        (EIO, .busFault),
        (EOPNOTSUPP, .unsupported),
        (EPROTO, .protocolViolation),
        (EBADMSG, .protocolViolation),
        (EBUSY, .deviceBusy),
        (EINVAL, .invalidArgument),
        (EACCES, .permissionDenied),
    ])
    func transferErrnoMapsToKind(errno: Int32, kind: HardwareError.Kind) throws {
        try SyscallMock.with { mock in
            mock.force(errno, on: "i2c_smbus_write_byte_data")
            let bus = try LinuxI2CBus(path: "/dev/i2c-1")
            let driver = MCP4725(bus: bus, address: dac, reference: .volts(3.3), clock: LinuxClock())
            let error = #expect(throws: HardwareError.self) { try driver.writeFast(code: DACCode(1, bits: 12)!) }
            #expect(error?.kind == kind)
            #expect(error?.errno == errno)
            #expect(error?.device == "/dev/i2c-1 @ 0x60")
            #expect(error?.operation == "i2c_smbus_write_byte_data")
            // The driver's shadow is not updated by a failed write.
            #expect(driver.lastCode == nil)
        }
    }

    @Test func eintrIsRetriedUntilTheCallCompletes() throws {
        try SyscallMock.with { mock in
            mock.force(EINTR, on: "i2c_smbus_write_byte_data", count: 2)
            let bus = try LinuxI2CBus(path: "/dev/i2c-1")
            try bus.write(dac, [0x0A, 0xBC] as InlineArray<2, UInt8>)
            #expect(mock.trace.filter { $0.hasPrefix("i2c_smbus_write_byte_data") }.count == 3)
        }
    }

    @Test func nakThenRecoveryKeepsTheSelectedAddress() throws {
        try SyscallMock.with { mock in
            mock.force(EREMOTEIO, on: "i2c_smbus_write_byte_data")
            let bus = try LinuxI2CBus(path: "/dev/i2c-1")
            #expect(throws: HardwareError.self) { try bus.write(dac, [0x0A, 0xBC] as InlineArray<2, UInt8>) }
            try bus.write(dac, [0x0A, 0xBC] as InlineArray<2, UInt8>)
            #expect(mock.trace.filter { $0.contains("I2C_SLAVE") }.count == 1)
        }
    }

    @Test func addressOwnedByAKernelDriverIsDeviceBusyAndReselected() throws {
        try SyscallMock.with { mock in
            mock.force(EBUSY, on: "ioctl(3, I2C_SLAVE")
            let bus = try LinuxI2CBus(path: "/dev/i2c-1")
            let error = #expect(throws: HardwareError.self) { try bus.write(dac, [0x0A, 0xBC] as InlineArray<2, UInt8>) }
            #expect(error?.kind == .deviceBusy)
            #expect(error?.operation == "ioctl(I2C_SLAVE)")
            #expect(error?.message.contains("kernel driver") == true)
            try bus.write(dac, [0x0A, 0xBC] as InlineArray<2, UInt8>)
            #expect(mock.trace.filter { $0.contains("I2C_SLAVE") }.count == 2)
        }
    }

    @Test(arguments: [
        (EACCES, HardwareError.Kind.permissionDenied), (EPERM, .permissionDenied), (ENOENT, .notFound),
        (ENODEV, .notFound), (EBUSY, .deviceBusy),
    ])
    func openErrnoMapsToKind(errno: Int32, kind: HardwareError.Kind) {
        SyscallMock.with { mock in
            mock.force(errno, on: "open")
            let error = #expect(throws: HardwareError.self) { try LinuxI2CBus(path: "/dev/i2c-1") }
            #expect(error?.kind == kind)
            #expect(error?.device == "/dev/i2c-1")
            #expect(mock.trace == ["open(/dev/i2c-1)"])
        }
    }

    @Test func permissionErrorNamesTheFix() {
        SyscallMock.with { mock in
            mock.force(EACCES, on: "open")
            let error = #expect(throws: HardwareError.self) { try LinuxI2CBus(path: "/dev/i2c-1") }
            #expect(error?.message.contains("Scripts/install-udev-rules.sh") == true)
        }
    }

    @Test func functionalityFailureClosesTheDescriptor() {
        SyscallMock.with { mock in
            mock.force(ENOTTY, on: "ioctl(3, I2C_FUNCS)")
            #expect(throws: HardwareError.self) { try LinuxI2CBus(path: "/dev/i2c-1") }
            #expect(mock.trace == ["open(/dev/i2c-1)", "ioctl(3, I2C_FUNCS)", "close(3)"])
        }
    }

    @Test func closeIsNotRetriedOnEINTR() throws {
        try SyscallMock.with { mock in
            mock.force(EINTR, on: "close")
            let bus = try LinuxI2CBus(path: "/dev/i2c-1")
            bus.close()
            bus.close()
            #expect(mock.trace.filter { $0.hasPrefix("close") } == ["close(3)"])
        }
    }

    @Test func shortBlockReadIsAProtocolViolation() throws {
        try SyscallMock.with { mock in
            mock.responder = { name, _ in name == "i2c_smbus_read_i2c_block_data" ? 2 : nil }
            let bus = try LinuxI2CBus(path: "/dev/i2c-1")
            let error = #expect(throws: HardwareError.self) {
                let _: InlineArray<4, UInt8> = try bus.writeRead(dac, [0x10] as InlineArray<1, UInt8>)
            }
            #expect(error?.kind == .protocolViolation)
        }
    }
}

@Suite("Linux SPI through the seam")
struct LinuxSPISeamTests {
    @Test func openSetsModeSpeedAndWordSize() throws {
        try SyscallMock.with { mock in
            let spi = try LinuxSPIDevice(path: "/dev/spidev0.0", mode: 3, maxSpeed: .hertz(1_000_000))
            #expect(spi.mode == 3 && spi.speed == .hertz(1_000_000))
            #expect(mock.trace == [
                "open(/dev/spidev0.0)", "ioctl(3, SPI_IOC_WR_MODE32, 3)", "ioctl(3, SPI_IOC_WR_MAX_SPEED_HZ, 1000000)",
                "ioctl(3, SPI_IOC_WR_BITS_PER_WORD, 8)",
            ])
        }
    }

    @Test func mcp3208ConversionIsOneMessage() throws {
        try SyscallMock.with { mock in
            // DS21298E Figure 6-1: single-ended CH2 = [0x06, 0x80, 0x00]; reply null bit 0, code 0x9A5.
            mock.responder = { name, buffer in
                guard name == "ioctl(SPI_IOC_MESSAGE(1))", let buffer else { return nil }
                buffer[0] = 0xFF; buffer[1] = 0xE9; buffer[2] = 0xA5
                return 3
            }
            let spi = try LinuxSPIDevice(path: "/dev/spidev0.0", mode: 0, maxSpeed: .hertz(1_000_000))
            let driver = MCP3x08(device: spi, variant: .mcp3208, reference: .volts(3.3))
            let code = try driver.readRaw(channel: 2)
            #expect(code.value == 0x9A5)
            #expect(mock.trace.last == "ioctl(3, SPI_IOC_MESSAGE(1), [0x06, 0x80, 0x00], 1000000 Hz)")
        }
    }

    @Test(arguments: [
        (EIO, HardwareError.Kind.busFault), (ETIMEDOUT, .timedOut), (EINVAL, .invalidArgument),
        (EBUSY, .deviceBusy), (EACCES, .permissionDenied), (EOPNOTSUPP, .unsupported),
    ])
    func transferErrnoMapsToKind(errno: Int32, kind: HardwareError.Kind) throws {
        try SyscallMock.with { mock in
            mock.force(errno, on: "ioctl(3, SPI_IOC_MESSAGE")
            let spi = try LinuxSPIDevice(path: "/dev/spidev0.0", mode: 0, maxSpeed: .hertz(1_000_000))
            let driver = MCP3x08(device: spi, variant: .mcp3208, reference: .volts(3.3))
            let error = #expect(throws: HardwareError.self) { try driver.readRaw(channel: 0) }
            #expect(error?.kind == kind)
            #expect(error?.device == "/dev/spidev0.0")
            #expect(error?.operation == "ioctl(SPI_IOC_MESSAGE(1))")
        }
    }

    @Test func transferEINTRIsRetried() throws {
        try SyscallMock.with { mock in
            mock.force(EINTR, on: "ioctl(3, SPI_IOC_MESSAGE", count: 3)
            let spi = try LinuxSPIDevice(path: "/dev/spidev0.0", mode: 0, maxSpeed: .hertz(1_000_000))
            _ = try spi.transfer([0x06, 0x00, 0x00] as InlineArray<3, UInt8>)
            #expect(mock.trace.filter { $0.contains("SPI_IOC_MESSAGE") }.count == 4)
        }
    }

    @Test func shortTransferIsAProtocolViolation() throws {
        try SyscallMock.with { mock in
            mock.responder = { name, _ in name == "ioctl(SPI_IOC_MESSAGE(1))" ? 2 : nil }
            let spi = try LinuxSPIDevice(path: "/dev/spidev0.0", mode: 0, maxSpeed: .hertz(1_000_000))
            let error = #expect(throws: HardwareError.self) { _ = try spi.transfer([1, 2, 3] as InlineArray<3, UInt8>) }
            #expect(error?.kind == .protocolViolation)
        }
    }

    @Test func modeTheControllerCannotDoIsRefusedAndClosed() {
        SyscallMock.with { mock in
            mock.force(EINVAL, on: "ioctl(3, SPI_IOC_WR_MODE32")
            let error = #expect(throws: HardwareError.self) {
                try LinuxSPIDevice(path: "/dev/spidev0.0", mode: 2, maxSpeed: .hertz(1_000_000))
            }
            #expect(error?.kind == .invalidArgument)
            #expect(error?.operation == "ioctl(SPI_IOC_WR_MODE32)")
            #expect(mock.trace.last == "close(3)")
        }
    }

    @Test func modeReadBackMismatchIsUnsupported() {
        SyscallMock.with { mock in
            mock.responder = { name, _ in name == "ioctl(SPI_IOC_WR_MODE32)" ? 0x4 : nil }  // SPI_CS_HIGH crept in
            let error = #expect(throws: HardwareError.self) {
                try LinuxSPIDevice(path: "/dev/spidev0.0", mode: 0, maxSpeed: .hertz(1_000_000))
            }
            #expect(error?.kind == .unsupported)
        }
    }

    @Test func openErrorsMap() {
        SyscallMock.with { mock in
            mock.force(ENOENT, on: "open")
            let error = #expect(throws: HardwareError.self) {
                try LinuxSPIDevice(path: "/dev/spidev0.0", mode: 0, maxSpeed: .hertz(1_000_000))
            }
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains("dtparam=spi=on") == true)
        }
    }
}

@Suite("libgpiod lines through the seam")
struct GPIODSeamTests {
    static let comparator = GPIODLineRequest.Settings(direction: .input, edge: .both, bias: .pullDown, activeLow: true)

    @Test func requestByNameResolvesChipAndLine() throws {
        try SyscallMock.with { mock in
            mock.responder = { name, _ in name == "gpiod_find_line" ? 27 : nil }
            let line = try GPIODLineRequest(chip: "gpiochip0", line: .name("GPIO27"), consumer: "neuronhil-comparator", settings: Self.comparator)
            #expect(line.offset == 27)
            #expect(mock.trace == [
                "gpiod_resolve_chip(gpiochip0)", "gpiod_find_line(/dev/gpiochip0, GPIO27)",
                "gpiod_request_line(/dev/gpiochip0, offset 27, input, edge 3, bias 3, active-low 1, initial 0, neuronhil-comparator)",
            ])
            line.release()
            #expect(mock.trace.last == "gpiod_release")
        }
    }

    @Test func outputSetAndGet() throws {
        try SyscallMock.with { mock in
            mock.responder = { name, _ in name == "gpiod_get_value" ? 1 : nil }
            let line = try GPIODLineRequest(
                chip: "/dev/gpiochip4", line: .offset(22), consumer: "spike",
                settings: .init(direction: .output, initial: .active))
            try line.set(.inactive)
            #expect(try line.get() == .active)
            #expect(Array(mock.trace.suffix(2)) == ["gpiod_set_value(0)", "gpiod_get_value"])
            #expect(mock.trace.contains("gpiod_request_line(/dev/gpiochip4, offset 22, output, edge 0, bias 0, active-low 0, initial 1, spike)"))
        }
    }

    @Test(arguments: [
        ("gpiod_resolve_chip", ENOENT, HardwareError.Kind.notFound),
        ("gpiod_find_line", ENOENT, .notFound),
        ("gpiod_request_line", EBUSY, .deviceBusy),
        ("gpiod_request_line", EACCES, .permissionDenied),
        ("gpiod_request_line", EINVAL, .invalidArgument),
    ])
    func requestErrorsMap(call: String, errno: Int32, kind: HardwareError.Kind) {
        SyscallMock.with { mock in
            mock.force(errno, on: call)
            let error = #expect(throws: HardwareError.self) {
                try GPIODLineRequest(chip: "gpiochip0", line: .name("GPIO27"), consumer: "c", settings: Self.comparator)
            }
            #expect(error?.kind == kind)
            #expect(error?.errno == errno)
        }
    }

    @Test func valueErrorsMap() throws {
        try SyscallMock.with { mock in
            let line = try GPIODLineRequest(chip: "gpiochip0", line: .offset(22), consumer: "c", settings: .init(direction: .output))
            mock.force(EIO, on: "gpiod_set_value")
            mock.force(EPERM, on: "gpiod_get_value")
            #expect(throws: HardwareError.self) { try line.set(.active) }
            let error = #expect(throws: HardwareError.self) { try line.get() }
            #expect(error?.kind == .permissionDenied)
            #expect(error?.device == "/dev/gpiochip0 line 22 (offset 22, c)")
        }
    }

    @Test func edgeEventCarriesTheKernelTimestampAndSequence() throws {
        try SyscallMock.with { mock in
            mock.responder = { name, buffer in
                switch name {
                case "gpiod_wait_event": return 1
                case "gpiod_read_event":
                    var event = cgpiodEvent(rising: true, timestamp: 123_456_789, seqno: 7)
                    withUnsafeBytes(of: &event) { buffer!.copyMemory(from: $0) }
                    return 0
                default: return nil
                }
            }
            let line = try GPIODLineRequest(chip: "gpiochip0", line: .offset(27), consumer: "c", settings: Self.comparator)
            let edge = try line.waitEdge(until: LinuxClock().now + .milliseconds(10))
            #expect(edge == EdgeEvent(kind: .rising, timestamp: MonotonicInstant(nanoseconds: 123_456_789), sequence: 7))
        }
    }

    @Test func waitResumesAfterEINTRAndTimesOut() throws {
        try SyscallMock.with { mock in
            mock.force(EINTR, on: "gpiod_wait_event", count: 2)
            let line = try GPIODLineRequest(chip: "gpiochip0", line: .offset(27), consumer: "c", settings: Self.comparator)
            let edge = try line.waitEdge(until: LinuxClock().now - .milliseconds(1))
            #expect(edge == nil)
            #expect(mock.trace.filter { $0.hasPrefix("gpiod_wait_event") } == [
                "gpiod_wait_event(0 ns)", "gpiod_wait_event(0 ns)", "gpiod_wait_event(0 ns)",
            ])
        }
    }

    @Test func waitAndReadErrorsMap() throws {
        try SyscallMock.with { mock in
            let line = try GPIODLineRequest(chip: "gpiochip0", line: .offset(27), consumer: "c", settings: Self.comparator)
            mock.force(EBADF, on: "gpiod_wait_event")
            #expect(throws: HardwareError.self) { try line.waitEdge(until: LinuxClock().now) }
            mock.responder = { name, _ in name == "gpiod_wait_event" ? 1 : nil }
            mock.force(EIO, on: "gpiod_read_event")
            let error = #expect(throws: HardwareError.self) { try line.waitEdge(until: LinuxClock().now) }
            #expect(error?.operation == "read edge event")
        }
    }
}

@Suite("Linux clock through the seam")
struct LinuxClockSeamTests {
    @Test func sleepRetriesEINTRWithTheSameAbsoluteDeadline() {
        SyscallMock.with { mock in
            mock.force(EINTR, on: "clock_nanosleep", count: 2)
            LinuxClock().sleep(until: MonotonicInstant(nanoseconds: 5_000))
            #expect(mock.trace == Array(repeating: "clock_nanosleep(MONOTONIC, ABSTIME, 5000)", count: 3))
        }
    }

    @Test func realClockIsMonotonicAndSleepsUntilTheDeadline() {
        let clock = LinuxClock()
        let start = clock.now
        clock.sleep(until: start + .milliseconds(2))
        #expect(clock.now >= start + .milliseconds(2))
    }
}

func cgpiodEvent(rising: Bool, timestamp: UInt64, seqno: UInt64) -> CGPIODEventForTests {
    CGPIODEventForTests(rising: rising ? 1 : 0, timestamp_ns: timestamp, line_seqno: seqno)
}

@Suite("Prefaulted run buffers")
struct PrefaultedRunBufferTests {
    @Test("sizes round up to 4 KB pages, and to 2 MB huge pages from 1 MB", arguments: [
        (1, 4096), (4096, 4096), (4097, 8192), (1 << 20, 2 << 20), (2_000_040, 2 << 20), ((2 << 20) + 1, 4 << 20),
    ])
    func mappedLength(bytes: Int, expected: Int) {
        #expect(PrefaultedRunBuffers.mappedLength(bytes) == expected)
    }

    @Test("buffers are writable end to end, zero-filled, huge ones 2 MB aligned", arguments: [1, 5000, 2_000_040, 5 << 20])
    func writable(bytes: Int) {
        let buffers = PrefaultedRunBuffers()
        let p = buffers.allocate(bytes: bytes)
        defer { buffers.deallocate(p, bytes: bytes) }
        #expect(Int(bitPattern: p) % 16 == 0)
        if bytes >= 1 << 20 { #expect(Int(bitPattern: p) % (2 << 20) == 0) }
        let bytesView = UnsafeMutableRawBufferPointer(start: p, count: bytes)
        #expect(bytesView.allSatisfy { $0 == 0 })
        for i in stride(from: 0, to: bytes, by: 977) { bytesView[i] = UInt8(truncatingIfNeeded: i) }
        bytesView[bytes - 1] = 0x5A
        #expect(bytesView[bytes - 1] == 0x5A)
    }

    @Test("a buffer given back and taken again is usable (no stale mapping)")
    func reuse() {
        let buffers = PrefaultedRunBuffers()
        for _ in 0..<4 {
            let p = buffers.allocate(bytes: 3 << 20)
            p.storeBytes(of: 7, toByteOffset: (3 << 20) - 8, as: Int64.self)
            #expect(p.load(fromByteOffset: (3 << 20) - 8, as: Int64.self) == 7)
            buffers.deallocate(p, bytes: 3 << 20)
        }
    }
}
