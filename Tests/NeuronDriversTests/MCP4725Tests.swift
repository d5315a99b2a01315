import NeuronDrivers
import NeuronHAL
import NeuronTestSupport
import Testing

// Constants restated from the MCP4725 datasheet (DS22039D), not imported from the driver:
//  fast write byte 0 = C2 C1 PD1 PD0 D11 D10 D9 D8 (C2C1 = 00)      (Figure 6-1)
//  write DAC register: byte 0 = 010x xPPx = 0x40 | PD << 1          (Figure 6-2)
//  write DAC register + EEPROM: 011x xPPx = 0x60 | PD << 1
//  read: RDY/BSY = bit 7, POR = bit 6, PD = bits 2:1 of byte 0; EEPROM PD = bits 6:5 of byte 3 (Figure 6-3)
//  TWRITE max = 50 ms (Table 1-1); the driver polls every 5 ms (its own choice, see MCP4725Wire).
private let address: UInt8 = 0x60

private typealias DAC = MCP4725<ScriptedI2CBus, TestClock>

private func makeDAC(_ bus: ScriptedI2CBus, reference: Double = 4.096, clock: TestClock = TestClock()) -> DAC {
    MCP4725(bus: bus, reference: .volts(reference), clock: clock)
}

@Suite("MCP4725 encoders and decoders")
struct MCP4725EncodingTests {
    @Test("fast write", arguments: [
        (0xABC, MCP4725PowerDown.resistor100k, [0x2A, 0xBC] as [UInt8]),
        (0x5A3, .normal, [0x05, 0xA3]),
        (0x5A3, .resistor1k, [0x15, 0xA3]),
        (0x000, .resistor500k, [0x30, 0x00]),
        (0x1E7, .normal, [0x01, 0xE7]),
    ] as [(Int, MCP4725PowerDown, [UInt8])])
    func fastWrite(code: Int, powerDown: MCP4725PowerDown, expected: [UInt8]) {
        let bytes = MCP4725Wire.encodeFastWrite(code: code12(code), powerDown: powerDown)
        #expect([bytes[0], bytes[1]] == expected)
    }

    @Test("fast write is also reachable on the driver type")
    func fastWriteOnDriverType() {
        let bytes = DAC.encodeFastWrite(code: code12(0xABC), powerDown: .resistor100k)
        #expect([bytes[0], bytes[1]] == [0x2A, 0xBC])
    }

    @Test("register writes", arguments: [
        (0xABC, MCP4725PowerDown.normal, false, [0x40, 0xAB, 0xC0] as [UInt8]),
        (0x5A3, .resistor1k, false, [0x42, 0x5A, 0x30]),
        (0x5A3, .resistor500k, true, [0x66, 0x5A, 0x30]),
        (0xABC, .resistor100k, true, [0x64, 0xAB, 0xC0]),
    ] as [(Int, MCP4725PowerDown, Bool, [UInt8])])
    func registerWrite(code: Int, powerDown: MCP4725PowerDown, eeprom: Bool, expected: [UInt8]) {
        let b = MCP4725Wire.encodeRegisterWrite(code: code12(code), powerDown: powerDown, eeprom: eeprom)
        #expect([b[0], b[1], b[2]] == expected)
    }

    @Test("decode status")
    func decodeStatus() {
        let a = MCP4725Wire.decodeStatus([0xC4, 0xAB, 0xC0, 0x25, 0xA3])
        #expect(a == MCP4725Status(
            ready: true, powerOnReset: true, powerDown: .resistor100k, code: code12(0xABC),
            eepromPowerDown: .resistor1k, eepromCode: code12(0x5A3)))
        // Don't-care bits set (byte 2 low nibble, byte 3 bits 7 and 4) must be ignored.
        let b = MCP4725Wire.decodeStatus([0x02, 0x5A, 0x3F, 0xFA, 0xBC])
        #expect(b == MCP4725Status(
            ready: false, powerOnReset: false, powerDown: .resistor1k, code: code12(0x5A3),
            eepromPowerDown: .resistor500k, eepromCode: code12(0xABC)))
    }

    @Test("nearest code for a voltage (VOUT = VDD · D / 4096)", arguments: [
        (2.748, 0xABC), (1.443, 0x5A3), (0.0, 0), (4.096, 0xFFF), (0.0004, 0), (0.0006, 1),
    ] as [(Double, Int)])
    func codeForVoltage(volts: Double, expected: Int) {
        #expect(MCP4725Wire.code(for: .volts(volts), reference: .volts(4.096)) == code12(expected))
    }

    @Test("voltages outside 0...VDD have no code", arguments: [-0.001, 4.0961, Double.nan, Double.infinity])
    func noCode(volts: Double) {
        #expect(MCP4725Wire.code(for: .volts(volts), reference: .volts(4.096)) == nil)
    }
}

@Suite("MCP4725 on a scripted bus")
struct MCP4725BusTests {
    @Test("writeFast 0xABC with 100 kΩ power-down sends [0x2A, 0xBC]")
    func writeFast() throws {
        try withScriptedI2C([.write(address, [0x2A, 0xBC])]) { bus in
            let dac = makeDAC(bus)
            #expect(dac.lastCode == nil)
            try dac.writeFast(code: code12(0xABC), powerDown: .resistor100k)
            #expect(dac.lastCode == code12(0xABC))
            #expect(dac.lastPowerDown == .resistor100k)
        }
    }

    @Test("writeFast failure leaves the shadow unchanged")
    func writeFastError() throws {
        try withScriptedI2C([
            .write(address, [0x05, 0xA3]),
            .write(address, [0x0A, 0xBC]).failing(.noAcknowledge(.address)),
        ]) { bus in
            let dac = makeDAC(bus)
            try dac.writeFast(code: code12(0x5A3))
            let error = #expect(throws: HardwareError.self) { try dac.writeFast(code: code12(0xABC)) }
            #expect(error?.kind == .noAcknowledge(.address))
            #expect(dac.lastCode == code12(0x5A3))
            #expect(dac.lastPowerDown == .normal)
        }
    }

    @Test("a code wider than 12 bits is refused before the wire")
    func writeFastCodeTooWide() {
        withScriptedI2C([]) { bus in
            let dac = makeDAC(bus)
            let error = #expect(throws: HardwareError.self) {
                try dac.writeFast(code: DACCode(0x1ABC, bits: 16)!)
            }
            #expect(error?.kind == .outOfRange)
            #expect(error?.device == "MCP4725 @ 0x60")
            #expect(bus.transcript.isEmpty)
        }
    }

    @Test("writeDACRegister sends C2C1C0 = 010")
    func writeDACRegister() throws {
        try withScriptedI2C([.write(address, [0x42, 0x5A, 0x30])]) { bus in
            let dac = makeDAC(bus)
            try dac.writeDACRegister(code: code12(0x5A3), powerDown: .resistor1k)
            #expect(dac.lastCode == code12(0x5A3))
            #expect(dac.lastPowerDown == .resistor1k)
        }
    }

    @Test("writeDACRegister failure leaves the shadow unchanged")
    func writeDACRegisterError() {
        withScriptedI2C([.write(address, [0x40, 0xAB, 0xC0]).failing(.busFault)]) { bus in
            let dac = makeDAC(bus)
            let error = #expect(throws: HardwareError.self) { try dac.writeDACRegister(code: code12(0xABC)) }
            #expect(error?.kind == .busFault)
            #expect(dac.lastCode == nil)
            #expect(dac.lastPowerDown == nil)
        }
    }

    @Test("writeDACAndEEPROM polls RDY/BSY every 5 ms until ready")
    func writeDACAndEEPROM() throws {
        let clock = TestClock()
        try withScriptedI2C([
            .write(address, [0x60, 0xAB, 0xC0]),
            .read(address, reply: [0x40]),  // busy (RDY = 0, POR = 1)
            .read(address, reply: [0x40]),
            .read(address, reply: [0xC0]),  // ready
        ], clock: clock) { bus in
            let dac = makeDAC(bus, clock: clock)
            try dac.writeDACAndEEPROM(code: code12(0xABC))
            #expect(dac.lastCode == code12(0xABC))
            #expect(bus.transcript.map(\.at) == [ms(0), ms(5), ms(10), ms(15)])
        }
    }

    @Test("writeDACAndEEPROM times out after 50 ms of RDY/BSY = 0")
    func writeDACAndEEPROMTimeout() {
        let clock = TestClock()
        let polls = 50 / 5  // TWRITE max / poll interval
        withScriptedI2C(
            [.write(address, [0x66, 0x5A, 0x30])] + Array(repeating: .read(address, reply: [0x00]), count: polls),
            clock: clock
        ) { bus in
            let dac = makeDAC(bus, clock: clock)
            let error = #expect(throws: HardwareError.self) {
                try dac.writeDACAndEEPROM(code: code12(0x5A3), powerDown: .resistor500k)
            }
            #expect(error?.kind == .timedOut)
            #expect(error?.device == "MCP4725 @ 0x60")
            #expect(clock.now >= ms(50))
            // The DAC register took the code when the write was acknowledged.
            #expect(dac.lastCode == code12(0x5A3))
        }
    }

    @Test("writeDACAndEEPROM: a NAK on the write leaves the shadow unchanged; a NAK while polling is rethrown")
    func writeDACAndEEPROMErrors() {
        withScriptedI2C([
            .write(address, [0x60, 0xAB, 0xC0]).failing(.noAcknowledge(.data)),
            .write(address, [0x60, 0x5A, 0x30]),
            .read(address, reply: [0x00]).failing(.noAcknowledge(.unknown)),
        ]) { bus in
            let dac = makeDAC(bus)
            let first = #expect(throws: HardwareError.self) { try dac.writeDACAndEEPROM(code: code12(0xABC)) }
            #expect(first?.kind == .noAcknowledge(.data))
            #expect(dac.lastCode == nil)
            let second = #expect(throws: HardwareError.self) { try dac.writeDACAndEEPROM(code: code12(0x5A3)) }
            #expect(second?.kind == .noAcknowledge(.unknown))
        }
    }

    @Test("readBack decodes 5 bytes and updates the shadow")
    func readBack() throws {
        try withScriptedI2C([.read(address, reply: [0xC4, 0xAB, 0xC0, 0x25, 0xA3])]) { bus in
            let dac = makeDAC(bus)
            let status = try dac.readBack()
            #expect(status.code == code12(0xABC))
            #expect(status.powerDown == .resistor100k)
            #expect(status.eepromCode == code12(0x5A3))
            #expect(status.eepromPowerDown == .resistor1k)
            #expect(status.ready && status.powerOnReset)
            #expect(dac.lastCode == code12(0xABC))
            #expect(dac.lastPowerDown == .resistor100k)
        }
    }

    @Test("readBack failure leaves the shadow unchanged")
    func readBackError() {
        withScriptedI2C([.read(address, reply: [0, 0, 0, 0, 0]).failing(.noAcknowledge(.address))]) { bus in
            let dac = makeDAC(bus)
            let error = #expect(throws: HardwareError.self) { try dac.readBack() }
            #expect(error?.kind == .noAcknowledge(.address))
            #expect(dac.lastCode == nil)
        }
    }

    @Test("AnalogOutput range is 0...VDD")
    func range() {
        withScriptedI2C([]) { bus in
            #expect(makeDAC(bus, reference: 3.3).range == Voltage.zero...Voltage.volts(3.3))
        }
    }

    @Test("setVoltage writes the nearest code with the output enabled")
    func setVoltage() throws {
        try withScriptedI2C([.write(address, [0x0A, 0xBC]), .write(address, [0x05, 0xA3])]) { bus in
            let dac = makeDAC(bus)
            try dac.setVoltage(.volts(2.748))
            try dac.setVoltage(.millivolts(1443.2))
            #expect(dac.lastCode == code12(0x5A3))
            #expect(dac.lastPowerDown == .normal)
        }
    }

    @Test("setVoltage out of range throws and writes nothing", arguments: [-0.01, 4.2, Double.nan])
    func setVoltageOutOfRange(volts: Double) {
        withScriptedI2C([]) { bus in
            let dac = makeDAC(bus)
            let error = #expect(throws: HardwareError.self) { try dac.setVoltage(.volts(volts)) }
            #expect(error?.kind == .outOfRange)
            #expect(bus.transcript.isEmpty)
            #expect(dac.lastCode == nil)
        }
    }

    @Test("setVoltage bus failure leaves the shadow unchanged")
    func setVoltageError() {
        withScriptedI2C([.write(address, [0x0A, 0xBC]).failing(.arbitrationLost)]) { bus in
            let dac = makeDAC(bus)
            let error = #expect(throws: HardwareError.self) { try dac.setVoltage(.volts(2.748)) }
            #expect(error?.kind == .arbitrationLost)
            #expect(dac.lastCode == nil)
        }
    }

    @Test("enterSafeState fast-writes code 0 with the 1 kΩ pull-down")
    func enterSafeState() throws {
        try withScriptedI2C([.write(address, [0x10, 0x00])]) { bus in
            let dac = makeDAC(bus)
            try dac.enterSafeState()
            #expect(dac.lastCode == code12(0))
            #expect(dac.lastPowerDown == .resistor1k)
        }
    }

    @Test("enterSafeState failure is thrown, not swallowed")
    func enterSafeStateError() throws {
        try withScriptedI2C([
            .write(address, [0x0A, 0xBC]),
            .write(address, [0x10, 0x00]).failing(.noAcknowledge(.address)),
        ]) { bus in
            let dac = makeDAC(bus)
            try dac.writeFast(code: code12(0xABC))
            let error = #expect(throws: HardwareError.self) { try dac.enterSafeState() }
            #expect(error?.kind == .noAcknowledge(.address))
            #expect(dac.lastCode == code12(0xABC))
            #expect(dac.lastPowerDown == .normal)
        }
    }

    @Test("a non-default address is used on the wire")
    func otherAddress() throws {
        try withScriptedI2C([.write(0x63, [0x2A, 0xBC])]) { bus in
            let dac = MCP4725(bus: bus, address: I2CAddress(0x63), reference: .volts(3.3), clock: TestClock())
            try dac.writeFast(code: code12(0xABC), powerDown: .resistor100k)
        }
    }
}
