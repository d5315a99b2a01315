import NeuronDrivers
import NeuronHAL
import NeuronSim
import Testing

@Suite struct SimMCP4728Tests {
    let clock = ManualClock()
    let bus = SimI2CBus(name: "sim:i2c1")
    let model: SimMCP4728

    init() {
        model = SimMCP4728(clock: clock, vdd: .volts(3.3), addressBits: 1)
        bus.attach(model, at: I2CAddress(0x61))
    }

    @Test func fastWriteSetsAllFourChannels() throws {
        _ = try i2c(bus, 0x61, [0x2A, 0xBC, 0x05, 0xA3, 0x11, 0xE7, 0x30, 0x00])
        #expect(model.registers.map(\.code) == [0xABC, 0x5A3, 0x1E7, 0x000])
        #expect(model.registers.map(\.powerDown) == [2, 0, 1, 3])
        #expect(model.outputVoltage(0) == .zero)
        #expect(abs(model.outputVoltage(1).volts - 3.3 * 0x5A3 / 4096) < 1e-12)
    }

    @Test func multiWriteSetsReferenceGainAndFiresTheHook() throws {
        var changes: [(Int, Double)] = []
        model.onOutputChange = { ch, _, v in changes.append((ch, v.volts)) }
        _ = try i2c(bus, 0x61, [0x42, 0x95, 0xA3])  // B: internal, x2, 0x5A3
        #expect(model.registers[1] == SimMCP4728.Register(internalReference: true, powerDown: 0, gainTwo: true, code: 0x5A3))
        #expect(abs(model.outputVoltage(1).volts - 4.096 * 0x5A3 / 4096) < 1e-12)
        _ = try i2c(bus, 0x61, [0x46, 0x9F, 0xFF])  // D: internal x2 full scale: capped at VDD
        #expect(model.outputVoltage(3) == .volts(3.3))
        #expect(changes.map(\.0) == [1, 3])
    }

    @Test func driverAgainstModel() throws {
        let dac = MCP4728(bus: bus, address: I2CAddress(0x61), vdd: .volts(3.3), clock: clock)
        try dac.channel(.c).setVoltage(.volts(0.75))
        #expect(abs(model.outputVoltage(2).volts - 0.75) < 3.3 / 4096)
        try dac.writeFast([
            MCP4728FastValue(code: DACCode(0xABC, bits: 12)!), MCP4728FastValue(code: DACCode(0x123, bits: 12)!),
            MCP4728FastValue(code: DACCode(0x5A3, bits: 12)!, powerDown: .resistor500k), MCP4728FastValue(code: DACCode(7, bits: 12)!),
        ])
        let back = try dac.readBack()
        #expect(back.map(\.register.code.value) == [0xABC, 0x123, 0x5A3, 7])
        #expect(back.map(\.register.addressBits) == [1, 1, 1, 1])
        #expect(back[2].register.powerDown == .resistor500k)
        #expect(back.allSatisfy { $0.eeprom.code.value == 0 && $0.register.ready && $0.register.powerOnReset })
        try dac.channel(.a).enterSafeState()
        #expect(model.registers[0].powerDown == 1 && model.registers[0].code == 0 && model.outputVoltage(0) == .zero)
    }
}

@Suite struct SimTMP102Tests {
    @Test func followsTheWaveformAtTheConversionRate() throws {
        let clock = ManualClock()
        let bus = SimI2CBus(name: "sim:i2c1")
        let model = SimTMP102(clock: clock) { 20 + $0.seconds }  // 1 °C per second
        bus.attach(model, at: I2CAddress(0x48))
        let sensor = TMP102(bus: bus)
        #expect(try sensor.readTemperature() == .celsius(20))
        clock.advance(by: .milliseconds(240))
        #expect(try sensor.readTemperature() == .celsius(20))  // still the conversion started at 0 (4 Hz)
        clock.advance(by: .milliseconds(20))
        #expect(try sensor.readTemperature() == .celsius(20.25))
        var c = try sensor.readConfiguration()
        #expect(c == .powerUp)
        c.extendedMode = true
        c.conversionRate = .hz8
        try sensor.writeConfiguration(c)
        #expect(try sensor.readConfiguration() == c)
        clock.advance(by: .seconds(150))
        #expect(try sensor.readTemperature() == .celsius(170.25))  // beyond 128 °C: extended format
    }

    @Test func negativeTemperaturesAndShutdown() throws {
        let clock = ManualClock()
        let bus = SimI2CBus(name: "sim:i2c1")
        let model = SimTMP102(clock: clock) { -10 - $0.seconds }
        bus.attach(model, at: I2CAddress(0x4A))
        let sensor = TMP102(bus: bus, address: I2CAddress(0x4A))
        #expect(try sensor.readTemperature() == .celsius(-10))
        var c = TMP102Config.powerUp
        c.shutdown = true
        try sensor.writeConfiguration(c)
        clock.advance(by: .seconds(5))
        #expect(try sensor.readTemperature() == .celsius(-10))  // no conversions in shutdown
        c.oneShot = true
        try sensor.writeConfiguration(c)
        #expect(try sensor.readTemperature() == .celsius(-15))
    }
}
