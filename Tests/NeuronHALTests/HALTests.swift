import Testing
import NeuronHAL

/// A bus that records what reached the one primitive, to check that every convenience is built on it.
final class RecordingBus: I2CBus, SPIDevice {
    var calls: [(address: UInt8?, write: [UInt8], readCount: Int)] = []
    var reply: [UInt8] = []
    func transaction(_ address: I2CAddress, write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer) throws(HardwareError) {
        calls.append((address.rawValue, Array(write), read.count))
        for i in 0..<read.count { read[i] = reply[i] }
    }
    func transaction(write: UnsafeRawBufferPointer, read: UnsafeMutableRawBufferPointer) throws(HardwareError) {
        calls.append((nil, Array(write), read.count))
        for i in 0..<read.count { read[i] = reply[i] }
    }
}

@Suite("HAL")
struct HALTests {
    @Test("I2C conveniences all go through the one primitive, with the right shapes")
    func i2cConveniences() throws {
        let bus = RecordingBus()
        bus.reply = [0xA5, 0x3C, 0x0F]
        try bus.write(I2CAddress(0x60), [0x0A, 0xBC] as InlineArray<2, UInt8>)
        let r: InlineArray<2, UInt8> = try bus.read(I2CAddress(0x48))
        let wr: InlineArray<3, UInt8> = try bus.writeRead(I2CAddress(0x49), [0x01] as InlineArray<1, UInt8>)
        #expect(bus.calls.count == 3)
        #expect(bus.calls[0].address == 0x60 && bus.calls[0].write == [0x0A, 0xBC] && bus.calls[0].readCount == 0)
        #expect(bus.calls[1].address == 0x48 && bus.calls[1].write.isEmpty && bus.calls[1].readCount == 2)
        #expect(bus.calls[2].address == 0x49 && bus.calls[2].write == [0x01] && bus.calls[2].readCount == 3)
        #expect(r[0] == 0xA5 && r[1] == 0x3C)
        #expect(wr[0] == 0xA5 && wr[1] == 0x3C && wr[2] == 0x0F)
    }

    @Test("SPI transfer is one full-duplex primitive call")
    func spiTransfer() throws {
        let dev = RecordingBus()
        dev.reply = [0xFF, 0xE5, 0x5A]
        let r = try dev.transfer([0x06, 0x40, 0x00] as InlineArray<3, UInt8>)
        #expect(dev.calls.count == 1 && dev.calls[0].write == [0x06, 0x40, 0x00] && dev.calls[0].readCount == 3)
        #expect(r[1] == 0xE5 && r[2] == 0x5A)
    }

    @Test("I2C addresses are 7-bit, 0x03...0x77", arguments: [(0x00, false), (0x02, false), (0x03, true), (0x48, true), (0x77, true), (0x78, false), (0x90, false)] as [(UInt8, Bool)])
    func addresses(raw: UInt8, valid: Bool) {
        #expect((I2CAddress(rawValue: raw) != nil) == valid)
    }

    @Test("Converter codes are checked against their resolution")
    func codes() {
        #expect(DACCode(0xABC, bits: 12)?.value == 0xABC)
        #expect(DACCode(0x1000, bits: 12) == nil)
        #expect(DACCode(-1, bits: 12) == nil)
        #expect(DACCode(fractionOfFullScale: 0.5, bits: 12).value == 2048)
        #expect(DACCode(fractionOfFullScale: 1.7, bits: 12).value == 4095)
        #expect(DACCode(fractionOfFullScale: -.infinity, bits: 12).value == 0)
        #expect(DACCode(fractionOfFullScale: .nan, bits: 12).value == 0)
    }

    @Test("Units: energy ½CV², periods, durations")
    func units() {
        #expect(abs(Energy.stored(on: .picofarads(300), at: .volts(0.5)).picojoules - 37.5) < 1e-9)
        #expect(Frequency.hertz(33).period == .nanoseconds(30_303_030))
        #expect(Duration.milliseconds(5).nanosecondsValue == 5_000_000)
        #expect(abs(Duration.microseconds(250).seconds - 250e-6) < 1e-15)
        #expect(MonotonicInstant(nanoseconds: 10) + .nanoseconds(5) == MonotonicInstant(nanoseconds: 15))
        #expect(formatted(1.23456, digits: 2) == "1.23")
        #expect(formatted(-0.004, digits: 2) == "0.00")
        #expect(formatted(-1.5, digits: 1) == "-1.5")
        #expect(Voltage.millivolts(750) == .volts(0.75))
    }

    @Test("Errors carry kind, device, operation and errno in their description")
    func errors() {
        let e = HardwareError(.noAcknowledge(.address), "no chip answered", device: "/dev/i2c-1 @ 0x48", operation: "ioctl(I2C_RDWR)", errno: 6)
        #expect(e.kind.isNoAcknowledge)
        #expect(e.description.contains("/dev/i2c-1 @ 0x48"))
        #expect(e.description.contains("ioctl(I2C_RDWR)"))
        #expect(e.description.contains("errno 6"))
        #expect(e.location.file.hasSuffix("HALTests.swift"))
        #expect(HardwareError.Kind.busFault != .timedOut)
    }
}
