import NeuronHAL
import NeuronSim
import Testing

// Constants restated from DS22039D, not imported from a driver.
private let dacAddress: UInt8 = 0x60
private let writeDAC: UInt8 = 0b010_00000  // C2C1C0 = 010
private let writeDACAndEEPROM: UInt8 = 0b011_00000

@Suite struct SimMCP4725Tests {
    let clock = ManualClock()
    let bus = SimI2CBus(name: "sim:i2c1")
    let dac: SimMCP4725

    init() {
        dac = SimMCP4725(clock: clock, reference: .volts(3.3))
        bus.attach(dac, at: I2CAddress(dacAddress))
    }

    @Test func fastModeWriteSetsCodeAndPowerDown() throws {
        _ = try i2c(bus, dacAddress, [0x2A, 0xBC])  // C2C1 = 00, PD = 10 (100 kΩ), code 0xABC
        #expect(dac.code == 0xABC)
        #expect(dac.powerDown == .resistor100k)
        #expect(dac.outputVoltage == .zero)
        _ = try i2c(bus, dacAddress, [0x0A, 0xBC])
        #expect(dac.powerDown == .normal)
        #expect(abs(dac.outputVoltage.volts - 3.3 * 0xABC / 4096) < 1e-12)
        #expect(dac.writtenCodes == [0xABC, 0xABC])
        #expect(dac.writes.map(\.command) == [.fastMode, .fastMode])
    }

    @Test func fastModeRepeatedPairsAndIncompleteTrailingByte() throws {
        _ = try i2c(bus, dacAddress, [0x01, 0x23, 0x04, 0x56, 0x07])
        #expect(dac.writtenCodes == [0x123, 0x456])
        #expect(dac.code == 0x456)
    }

    @Test func writeDACRegisterThreeBytes() throws {
        var changes: [(MonotonicInstant, Voltage)] = []
        dac.onOutputChange = { changes.append(($0, $1)) }
        clock.advance(by: .milliseconds(3))
        _ = try i2c(bus, dacAddress, [writeDAC | (0b01 << 1), 0x9C, 0x40])  // PD = 01 (1 kΩ), code 0x9C4
        #expect(dac.code == 0x9C4)
        #expect(dac.powerDown == .resistor1k)
        #expect(dac.powerDown.pullDown == .kiloohms(1))
        _ = try i2c(bus, dacAddress, [writeDAC, 0x9C, 0x40])
        #expect(changes.count == 2)
        #expect(changes[0].0 == .ms(3) && changes[0].1 == .zero)
        #expect(abs(changes[1].1.volts - 3.3 * 0x9C4 / 4096) < 1e-12)
        #expect(dac.lsb.volts == 3.3 / 4096)
    }

    @Test func fiveByteReadBack() throws {
        _ = try i2c(bus, dacAddress, [writeDAC | (0b11 << 1), 0x5A, 0x70])  // code 0x5A7, PD 11
        let r = try i2c(bus, dacAddress, [], read: 5)
        // RDY=1 POR=1 PD=11; DAC D11..D4, D3..D0<<4; EEPROM x PD1 PD0 x D11..D8, D7..D0 (factory 0, normal)
        #expect(r == [0b1100_0110, 0x5A, 0x70, 0x00, 0x00])
        let six = try i2c(bus, dacAddress, [], read: 6)
        #expect(six[5] == six[0])  // bytes repeat after the fifth
    }

    @Test func eepromWriteBusyTimingAndIgnoredWrites() throws {
        dac.eepromWriteDuration = SimMCP4725.maximumEEPROMWriteTime
        clock.advance(by: .milliseconds(1))
        _ = try i2c(bus, dacAddress, [writeDACAndEEPROM | (0b10 << 1), 0x80, 0x10])  // 0x801, PD 10
        #expect(dac.code == 0x801)  // the DAC register updates at once
        var r = try i2c(bus, dacAddress, [], read: 5)
        #expect(r[0] & 0x80 == 0)  // RDY/BSY low: busy
        #expect(r[3] == 0x00 && r[4] == 0x00)  // EEPROM not written yet
        // A write during the EEPROM write is acknowledged and ignored.
        clock.advance(by: .milliseconds(49))
        _ = try i2c(bus, dacAddress, [0x01, 0x11])
        #expect(dac.code == 0x801)
        #expect(dac.ignoredWrites == 1)
        #expect(dac.writes.last?.accepted == false)
        #expect(dac.writtenCodes == [0x801])
        clock.advance(by: .milliseconds(1))  // 50 ms after the write
        r = try i2c(bus, dacAddress, [], read: 5)
        #expect(r[0] & 0x80 == 0x80)
        #expect(r[3] == (0b10 << 5) | 0x08 && r[4] == 0x01)
        _ = try i2c(bus, dacAddress, [0x01, 0x11])
        #expect(dac.code == 0x111)
        // A power-on reset reloads the EEPROM value.
        dac.reset()
        #expect(dac.code == 0x801 && dac.powerDown == .resistor100k)
        dac.wakeUp()
        #expect(dac.powerDown == .normal)
    }

    @Test func reservedCommandsAreIgnored() throws {
        _ = try i2c(bus, dacAddress, [0b100_00000, 0xFF, 0xF0])
        #expect(dac.writes.isEmpty && dac.code == 0)
    }
}
