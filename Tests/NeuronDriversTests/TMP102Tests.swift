import NeuronDrivers
import NeuronHAL
import NeuronTestSupport
import Testing

// Constants restated from the TMP102 datasheet (SBOS397), not imported from the driver:
//  pointer: 0x00 temperature, 0x01 configuration                                  (Table 7-5)
//  temperature: big-endian, left-aligned two's complement, 0.0625 °C/LSB; 12-bit: value = word >> 4; extended
//  (EM = bit 0 of byte 2 = 1): 13-bit, value = word >> 3                          (Tables 7-6 to 7-9)
//  configuration: OS R1 R0 F1 F0 POL TM SD | CR1 CR0 AL EM 0 0 0 0; power-up 0x60A0 (Table 7-10)
private let address: UInt8 = 0x48

@Suite("TMP102 decoding")
struct TMP102EncodingTests {
    @Test("temperature register decode (datasheet Table 7-8 and 7-9 rows)", arguments: [
        (0x7F, 0xF0, 127.9375), (0x64, 0x00, 100), (0x50, 0x00, 80), (0x4B, 0x00, 75), (0x32, 0x00, 50),
        (0x19, 0x00, 25), (0x00, 0x40, 0.25), (0x00, 0x00, 0), (0xFF, 0xC0, -0.25), (0xE7, 0x00, -25),
        (0xC9, 0x00, -55), (0xAB, 0xC0, -84.25),
        // extended mode (EM = 1): word = counts << 3 | 1, e.g. 150 °C = 2400 counts = 0x4B01
        (0x4B, 0x01, 150), (0x40, 0x01, 128), (0xE4, 0x81, -55),
    ] as [(UInt8, UInt8, Double)])
    func decode(msb: UInt8, lsb: UInt8, celsius: Double) {
        #expect(TMP102Wire.decodeTemperature(msb, lsb) == .celsius(celsius))
    }

    @Test("encoding round-trips and clamps to the format")
    func encode() {
        for c in [-55.0, -0.0625, 0, 25.5, 127.9375] {
            let (m, l) = TMP102Wire.encodeTemperature(.celsius(c), extended: false)
            #expect(TMP102Wire.decodeTemperature(m, l) == .celsius(c))
            let (me, le) = TMP102Wire.encodeTemperature(.celsius(c), extended: true)
            #expect(TMP102Wire.decodeTemperature(me, le) == .celsius(c))
        }
        let (m, l) = TMP102Wire.encodeTemperature(.celsius(150), extended: false)
        #expect(TMP102Wire.decodeTemperature(m, l) == .celsius(127.9375))
    }

    @Test("configuration fields")
    func configuration() {
        var c = TMP102Config.powerUp
        #expect(c.conversionRate == .hz4 && !c.shutdown && !c.extendedMode && !c.oneShot)
        c.extendedMode = true
        c.conversionRate = .hz8
        c.shutdown = true
        #expect(c.raw == 0x61F0)
        let w = TMP102Wire.encodeConfigurationWrite(c)
        #expect([w[0], w[1], w[2]] == [0x01, 0x61, 0xF0])
    }
}

@Suite("TMP102 on a scripted bus")
struct TMP102BusTests {
    @Test("readTemperature writes pointer 0x00 and reads two bytes")
    func readTemperature() throws {
        try withScriptedI2C([.writeRead(address, [0x00], reply: [0xAB, 0xC0])]) { bus in
            let t = try TMP102(bus: bus).readTemperature()
            #expect(t == .celsius(-84.25))
        }
    }

    @Test("readTemperature rethrows bus errors")
    func readTemperatureError() {
        withScriptedI2C([.writeRead(address, [0x00], reply: [0, 0]).failing(.noAcknowledge(.address))]) { bus in
            let e = #expect(throws: HardwareError.self) { try TMP102(bus: bus).readTemperature() }
            #expect(e?.kind == .noAcknowledge(.address))
        }
    }

    @Test("configuration read and write")
    func configuration() throws {
        try withScriptedI2C([
            .writeRead(0x4B, [0x01], reply: [0x60, 0xA0]),
            .write(0x4B, [0x01, 0x60, 0xB0]),
        ]) { bus in
            let sensor = TMP102(bus: bus, address: I2CAddress(0x4B))
            var c = try sensor.readConfiguration()
            #expect(c == .powerUp)
            c.extendedMode = true
            try sensor.writeConfiguration(c)
        }
    }

    @Test("configuration read and write rethrow bus errors")
    func configurationErrors() {
        withScriptedI2C([
            .writeRead(address, [0x01], reply: [0, 0]).failing(.busFault),
            .write(address, [0x01, 0x60, 0xA0]).failing(.noAcknowledge(.data)),
        ]) { bus in
            let sensor = TMP102(bus: bus)
            let e = #expect(throws: HardwareError.self) { try sensor.readConfiguration() }
            #expect(e?.kind == .busFault)
            let e2 = #expect(throws: HardwareError.self) { try sensor.writeConfiguration(.powerUp) }
            #expect(e2?.kind == .noAcknowledge(.data))
        }
    }
}
