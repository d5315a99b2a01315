import NeuronDrivers
import NeuronHAL
import NeuronTestSupport
import Testing

// Constants restated from the MCP4728 datasheet (DS22187E), not imported from the driver:
//  fast write: per channel A..D, byte 0 = 0 0 PD1 PD0 D11..D8, byte 1 = D7..D0            (Figure 5-7)
//  multi-write: byte 0 = 0100 0 DAC1 DAC0 UDAC = 0x40 | ch << 1 | UDAC                      (Figure 5-8)
//               byte 1 = VREF PD1 PD0 Gx D11..D8 (VREF = bit 7, PD = bits 6:5, Gx = bit 4)
//  read-back: 24 bytes; per channel the DAC register then the EEPROM, 3 bytes each;
//             byte 0 = RDY/BSY POR DAC1 DAC0 0 A2 A1 A0                                       (Figure 5-15)
//  VOUT = VDD · D / 4096 (VREF = VDD), 2.048 V · G · D / 4096 (internal)                     (Eq. 4-1, 4-2)
private let address: UInt8 = 0x60

private typealias DAC = MCP4728<ScriptedI2CBus, TestClock>

private func makeDAC(
    _ bus: ScriptedI2CBus, vdd: Double = 4.096, reference: MCP4728Reference = .vdd, gain: MCP4728Gain = .x1
) -> DAC {
    MCP4728(bus: bus, vdd: .volts(vdd), reference: reference, gain: gain, clock: TestClock())
}

private let fourValues: InlineArray<4, MCP4728FastValue> = [
    MCP4728FastValue(code: code12(0xABC), powerDown: .resistor100k),
    MCP4728FastValue(code: code12(0x5A3)),
    MCP4728FastValue(code: code12(0x1E7), powerDown: .resistor1k),
    MCP4728FastValue(code: code12(0x000), powerDown: .resistor500k),
]
private let fourBytes: [UInt8] = [0x2A, 0xBC, 0x05, 0xA3, 0x11, 0xE7, 0x30, 0x00]

/// A 24-byte read-back: channel A 0xABC internal x2 100 kΩ, B 0x5A3 VDD normal, C/D 0x000; EEPROM of A 0x1E7.
private let readBackBytes: [UInt8] = [
    0xC1, 0xDA, 0xBC, 0xC9, 0x01, 0xE7,  // A: register (VREF=1, PD=10, G=1, 0xABC), EEPROM (0x1E7), A2A1A0 = 001
    0xD1, 0x05, 0xA3, 0xD9, 0x00, 0x00,  // B (byte 0 bit 3 set on the EEPROM image: ignored)
    0xE1, 0x20, 0x00, 0xE1, 0x00, 0x00,  // C: PD = 01
    0xF1, 0x00, 0x00, 0xF1, 0x00, 0x00,  // D
]

@Suite("MCP4728 encoders and decoders")
struct MCP4728EncodingTests {
    @Test("fast write of all four channels")
    func fastWrite() {
        let b = MCP4728Wire.encodeFastWrite(fourValues)
        #expect((0..<8).map { b[$0] } == fourBytes)
    }

    @Test("multi-write", arguments: [
        (MCP4728ChannelID.a, MCP4728Reference.vdd, MCP4728PowerDown.normal, MCP4728Gain.x1, 0xABC, true, [0x40, 0x0A, 0xBC] as [UInt8]),
        (.b, .internal2048, .normal, .x2, 0x5A3, true, [0x42, 0x95, 0xA3]),
        (.c, .internal2048, .resistor100k, .x1, 0x1E7, false, [0x45, 0xC1, 0xE7]),
        (.d, .vdd, .resistor1k, .x1, 0x000, true, [0x46, 0x20, 0x00]),
    ] as [(MCP4728ChannelID, MCP4728Reference, MCP4728PowerDown, MCP4728Gain, Int, Bool, [UInt8])])
    func multiWrite(
        channel: MCP4728ChannelID, reference: MCP4728Reference, powerDown: MCP4728PowerDown, gain: MCP4728Gain,
        code: Int, update: Bool, expected: [UInt8]
    ) {
        let b = MCP4728Wire.encodeMultiWrite(
            channel: channel, reference: reference, powerDown: powerDown, gain: gain, code: code12(code), updateOutput: update)
        #expect([b[0], b[1], b[2]] == expected)
    }

    @Test("decode the 24-byte read-back")
    func decode() {
        var bytes = InlineArray<24, UInt8>(repeating: 0)
        for i in 0..<24 { bytes[i] = readBackBytes[i] }
        let s = MCP4728Wire.decodeReadBack(bytes)
        #expect(s.count == 4)
        #expect(s[0].register == MCP4728Register(
            ready: true, powerOnReset: true, channel: .a, addressBits: 1, reference: .internal2048,
            powerDown: .resistor100k, gain: .x2, code: code12(0xABC)))
        #expect(s[0].eeprom.code == code12(0x1E7) && s[0].eeprom.reference == .vdd && s[0].eeprom.gain == .x1)
        #expect(s[1].register.code == code12(0x5A3) && s[1].register.reference == .vdd && s[1].register.powerDown == .normal)
        #expect(s[1].eeprom.channel == .b)
        #expect(s[2].register.powerDown == .resistor1k && s[3].register.channel == .d)
    }

    @Test("codes and voltages (VDD reference, internal x1 and x2)")
    func codes() {
        #expect(MCP4728Wire.code(for: .volts(2.748), reference: .vdd, gain: .x1, vdd: .volts(4.096)) == code12(0xABC))
        #expect(MCP4728Wire.code(for: .volts(1.374), reference: .internal2048, gain: .x1, vdd: .volts(3.3)) == code12(0xABC))
        #expect(MCP4728Wire.code(for: .volts(2.748), reference: .internal2048, gain: .x2, vdd: .volts(5)) == code12(0xABC))
        // Internal x2 spans 4.096 V, but VOUT cannot exceed VDD = 3.3 V.
        #expect(MCP4728Wire.range(reference: .internal2048, gain: .x2, vdd: .volts(3.3)).upperBound == .volts(3.3))
        #expect(MCP4728Wire.code(for: .volts(3.4), reference: .internal2048, gain: .x2, vdd: .volts(3.3)) == nil)
        #expect(MCP4728Wire.code(for: .volts(2.1), reference: .internal2048, gain: .x1, vdd: .volts(3.3)) == nil)
        #expect(MCP4728Wire.code(for: .volts(.nan), reference: .vdd, gain: .x1, vdd: .volts(3.3)) == nil)
        #expect(approximately(MCP4728Wire.voltage(for: code12(0xABC), reference: .vdd, gain: .x1, vdd: .volts(4.096)), 2.748))
        #expect(approximately(MCP4728Wire.voltage(for: code12(0x5A3), reference: .internal2048, gain: .x2, vdd: .volts(5)), 1.443))
    }
}

@Suite("MCP4728 on a scripted bus")
struct MCP4728BusTests {
    @Test("the initialiser does no I/O")
    func noIO() {
        withScriptedI2C([]) { bus in
            let dac = makeDAC(bus)
            #expect(dac.shadow.allSatisfy { $0 == nil })
            #expect(bus.transcript.isEmpty)
        }
    }

    @Test("writeFast sends 8 bytes and updates every shadow")
    func writeFast() throws {
        try withScriptedI2C([.write(address, fourBytes)]) { bus in
            let dac = makeDAC(bus)
            try dac.writeFast(fourValues)
            #expect(dac.shadow(.a) == MCP4728Shadow(code: code12(0xABC), powerDown: .resistor100k, reference: nil, gain: nil))
            #expect(dac.shadow(.d)?.powerDown == .resistor500k)
        }
    }

    @Test("writeFast: a NAK leaves the shadows unchanged; a code wider than 12 bits never reaches the wire")
    func writeFastErrors() {
        withScriptedI2C([.write(address, fourBytes).failing(.noAcknowledge(.data))]) { bus in
            let dac = makeDAC(bus)
            let e = #expect(throws: HardwareError.self) { try dac.writeFast(fourValues) }
            #expect(e?.kind == .noAcknowledge(.data))
            #expect(dac.shadow.allSatisfy { $0 == nil })
            var wide = fourValues
            wide[2] = MCP4728FastValue(code: DACCode(0x1ABC, bits: 16)!)
            let e2 = #expect(throws: HardwareError.self) { try dac.writeFast(wide) }
            #expect(e2?.kind == .outOfRange)
            #expect(e2?.device == "MCP4728 @ 0x60")
            #expect(bus.transcript.count == 1)
        }
    }

    @Test("write(channel) multi-writes with the driver's reference and gain")
    func writeChannel() throws {
        try withScriptedI2C([.write(address, [0x42, 0x95, 0xA3])]) { bus in
            let dac = makeDAC(bus, vdd: 5, reference: .internal2048, gain: .x2)
            try dac.write(.b, code: code12(0x5A3))
            #expect(dac.shadow(.b) == MCP4728Shadow(code: code12(0x5A3), powerDown: .normal, reference: .internal2048, gain: .x2))
            #expect(dac.shadow(.a) == nil)
        }
    }

    @Test("write(channel) failure leaves the shadow unchanged; a wide code is refused")
    func writeChannelError() {
        withScriptedI2C([.write(address, [0x44, 0x0A, 0xBC]).failing(.busFault)]) { bus in
            let dac = makeDAC(bus)
            let e = #expect(throws: HardwareError.self) { try dac.write(.c, code: code12(0xABC)) }
            #expect(e?.kind == .busFault)
            #expect(dac.shadow(.c) == nil)
            let e2 = #expect(throws: HardwareError.self) { try dac.write(.c, code: DACCode(0x1000, bits: 16)!) }
            #expect(e2?.kind == .outOfRange)
        }
    }

    @Test("readBack decodes 24 bytes and updates every shadow")
    func readBack() throws {
        try withScriptedI2C([.read(address, reply: readBackBytes)]) { bus in
            let dac = makeDAC(bus)
            let s = try dac.readBack()
            #expect(s[0].register.code == code12(0xABC))
            #expect(dac.shadow(.a) == MCP4728Shadow(code: code12(0xABC), powerDown: .resistor100k, reference: .internal2048, gain: .x2))
            #expect(dac.shadow(.c)?.powerDown == .resistor1k)
        }
    }

    @Test("readBack: bus errors are rethrown and channel bits out of order are a protocol violation")
    func readBackErrors() {
        var scrambled = readBackBytes
        scrambled[6] = 0xC1  // channel B's register says A
        withScriptedI2C([
            .read(address, reply: readBackBytes).failing(.noAcknowledge(.address)),
            .read(address, reply: scrambled),
        ]) { bus in
            let dac = makeDAC(bus)
            let e = #expect(throws: HardwareError.self) { try dac.readBack() }
            #expect(e?.kind == .noAcknowledge(.address))
            let e2 = #expect(throws: HardwareError.self) { try dac.readBack() }
            #expect(e2?.kind == .protocolViolation)
            #expect(dac.shadow.allSatisfy { $0 == nil })
        }
    }
}

@Suite("MCP4728 channel as AnalogOutput")
struct MCP4728ChannelTests {
    @Test("setVoltage multi-writes the nearest code on its own channel")
    func setVoltage() throws {
        try withScriptedI2C([.write(address, [0x42, 0x0A, 0xBC])]) { bus in
            let dac = makeDAC(bus)
            let b = dac.channel(.b)
            #expect(b.range == Voltage.zero...Voltage.volts(4.096))
            try b.setVoltage(.volts(2.748))
            #expect(dac.shadow(.b)?.code == code12(0xABC))
        }
    }

    @Test("setVoltage refuses out-of-range values without touching the bus; bus errors leave the shadow")
    func setVoltageErrors() {
        withScriptedI2C([.write(address, [0x40, 0x9A, 0xBC]).failing(.noAcknowledge(.data))]) { bus in
            let dac = makeDAC(bus, vdd: 3.3, reference: .internal2048, gain: .x2)
            let a = dac.channel(.a)
            for v in [-0.001, 3.31, Double.nan] {
                let e = #expect(throws: HardwareError.self) { try a.setVoltage(.volts(v)) }
                #expect(e?.kind == .outOfRange)
            }
            #expect(bus.transcript.isEmpty)
            let e = #expect(throws: HardwareError.self) { try a.setVoltage(.volts(2.748)) }
            #expect(e?.kind == .noAcknowledge(.data))
            #expect(dac.shadow(.a) == nil)
        }
    }

    @Test("enterSafeState: that channel to code 0, powered down through 1 kΩ; errors rethrown")
    func safeState() throws {
        try withScriptedI2C([
            .write(address, [0x46, 0x20, 0x00]),
            .write(address, [0x44, 0x20, 0x00]).failing(.timedOut),
        ]) { bus in
            let dac = makeDAC(bus)
            try dac.channel(.d).enterSafeState()
            #expect(dac.shadow(.d) == MCP4728Shadow(code: code12(0), powerDown: .resistor1k, reference: .vdd, gain: .x1))
            let e = #expect(throws: HardwareError.self) { try dac.channel(.c).enterSafeState() }
            #expect(e?.kind == .timedOut)
            #expect(dac.shadow(.c) == nil)
        }
    }
}
