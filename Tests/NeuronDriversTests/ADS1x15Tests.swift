import NeuronDrivers
import NeuronHAL
import NeuronTestSupport
import Testing

// Constants restated from the ADS1015 (SBAS473E) / ADS1115 (SBAS444D) datasheets, not imported from the driver:
//  pointer: conversion 0x00, config 0x01, Lo_thresh 0x02, Hi_thresh 0x03
//  config: OS 15 | MUX 14:12 | PGA 11:9 | MODE 8 | DR 7:5 | COMP_MODE 4 | COMP_POL 3 | COMP_LAT 2 | COMP_QUE 1:0
//  reset value 0x8583
//  conversion: ADS1015 12-bit left-aligned (low nibble 0), ADS1115 16-bit two's complement
//  conversion time 1/DR, +10 % for the oscillator (computed in whole µs like Linux ti-ads1015.c)
private let address: UInt8 = 0x48

private typealias ADC = ADS1x15<ScriptedI2CBus, TestClock>

private func makeADC(_ bus: ScriptedI2CBus, _ variant: ADS1x15Variant, clock: TestClock = TestClock()) -> ADC {
    ADS1x15(bus: bus, variant: variant, clock: clock)
}

@Suite("ADS1x15 encoders and decoders")
struct ADS1x15EncodingTests {
    @Test("the default config is the reset value 0x8583 and round-trips")
    func defaultConfig() {
        #expect(ADS1x15Config().encode() == 0x8583)
        #expect(ADS1x15Config(decoding: 0x8583) == ADS1x15Config())
        let c = ADS1x15Config()
        #expect(c.os == .idle && c.mux == .ain0ain1 && c.pga == .fsr2_048 && c.mode == .singleShot)
        #expect(c.dataRate == .dr100 && c.compQue == .disabled && c.compMode == .traditional)
        #expect(c.compPol == .activeLow && c.compLat == .nonLatching)
    }

    @Test("config fields encode at their datasheet positions", arguments: [
        (ADS1x15Config(os: .busy, mux: .ain3gnd, pga: .fsr0_256, mode: .continuous, dataRate: .dr111,
                       compMode: .window, compPol: .activeHigh, compLat: .latching, compQue: .assertAfterOne),
         UInt16(0b0_111_101_0_111_1_1_1_00)),
        (ADS1x15Config(os: .idle, mux: .ain1gnd, pga: .fsr4_096, mode: .singleShot, dataRate: .dr010,
                       compLat: .latching, compQue: .assertAfterTwo),
         0b1_101_001_1_010_0_0_1_01),
        (ADS1x15Config(os: .busy, mux: .ain0ain3, pga: .fsr6_144, mode: .continuous, dataRate: .dr000,
                       compQue: .assertAfterFour),
         0b0_001_000_0_000_0_0_0_10),
        (ADS1x15Config(mux: .ain2ain3, pga: .fsr0_512, mode: .continuous, dataRate: .dr110),
         0b1_011_100_0_110_0_0_0_11),
    ] as [(ADS1x15Config, UInt16)])
    func configRoundTrip(config: ADS1x15Config, word: UInt16) {
        #expect(config.encode() == word)
        #expect(ADS1x15Config(decoding: word) == config)
    }

    @Test("PGA codes 110 and 111 decode as ±0.256 V", arguments: [UInt16(0x8D83), 0x8F83])
    func pgaAliases(word: UInt16) {
        #expect(ADS1x15Config(decoding: word).pga == .fsr0_256)
    }

    @Test("full-scale voltages", arguments: [
        (ADS1x15Config.PGA.fsr6_144, 6.144), (.fsr4_096, 4.096), (.fsr2_048, 2.048),
        (.fsr1_024, 1.024), (.fsr0_512, 0.512), (.fsr0_256, 0.256),
    ] as [(ADS1x15Config.PGA, Double)])
    func fullScale(pga: ADS1x15Config.PGA, volts: Double) {
        #expect(pga.fullScale == .volts(volts))
    }

    @Test("register writes are [pointer, MSB, LSB]")
    func registerWrite() {
        let b = ADS1x15Wire.encodeRegisterWrite(.config, 0xD345)
        #expect([b[0], b[1], b[2]] == [0x01, 0xD3, 0x45])
        let t = ADS1x15Wire.encodeRegisterWrite(.hiThresh, 0x8000)
        #expect([t[0], t[1], t[2]] == [0x03, 0x80, 0x00])
        #expect(ADS1x15Wire.decodeWord([0xAB, 0xCD]) == 0xABCD)
    }

    @Test("ADS1015 conversion words (12-bit, left-aligned)", arguments: [
        (UInt16(0x7FF0), Int32(2047)), (0x8000, -2048), (0xFFF0, -1), (0x5A30, 0x5A3), (0xABC0, 0xABC - 4096),
        (0x0000, 0),
    ] as [(UInt16, Int32)])
    func ads1015Conversion(word: UInt16, expected: Int32) {
        #expect(ADS1x15Wire.decodeConversion(word, variant: .ads1015) == ADCCode(expected, bits: 12))
    }

    @Test("ADS1115 conversion words (16-bit two's complement)", arguments: [
        (UInt16(0x8000), Int32(-32768)), (0x7FFF, 32767), (0xABCD, 0xABCD - 65536), (0x5A3C, 0x5A3C), (0xFFFF, -1),
    ] as [(UInt16, Int32)])
    func ads1115Conversion(word: UInt16, expected: Int32) {
        #expect(ADS1x15Wire.decodeConversion(word, variant: .ads1115) == ADCCode(expected, bits: 16))
    }

    @Test("volts = code · FSR / 2^(bits−1)")
    func scaling() {
        #expect(approximately(ADS1x15Wire.voltage(for: ADCCode(16384, bits: 16), pga: .fsr4_096), 2.048))
        #expect(approximately(ADS1x15Wire.voltage(for: ADCCode(-1024, bits: 12), pga: .fsr4_096), -2.048))
        #expect(approximately(ADS1x15Wire.voltage(for: ADCCode(-32768, bits: 16), pga: .fsr0_256), -0.256))
        #expect(approximately(ADS1x15Wire.voltage(for: ADCCode(1, bits: 12), pga: .fsr2_048), 0.001))
    }

    @Test("conversion time = ⌈10⁶/SPS⌉ µs + 10 %", arguments: [
        (ADS1x15Variant.ads1015, ADS1x15Config.DataRate.dr100, 625 + 62),  // 1600 SPS
        (.ads1015, .dr111, 304 + 30),  // 3300 SPS
        (.ads1015, .dr000, 7813 + 781),  // 128 SPS
        (.ads1115, .dr100, 7813 + 781),  // 128 SPS
        (.ads1115, .dr000, 125_000 + 12_500),  // 8 SPS
        (.ads1115, .dr111, 1163 + 116),  // 860 SPS
    ] as [(ADS1x15Variant, ADS1x15Config.DataRate, Int)])
    func conversionTime(variant: ADS1x15Variant, rate: ADS1x15Config.DataRate, micros: Int) {
        #expect(ADS1x15Wire.conversionTime(variant: variant, rate: rate) == .microseconds(micros))
    }

    @Test("data-rate tables")
    func dataRates() {
        #expect(ADS1x15Config.DataRate.allCases.map { ADS1x15Variant.ads1015.samplesPerSecond($0) }
            == [128, 250, 490, 920, 1600, 2400, 3300, 3300])
        #expect(ADS1x15Config.DataRate.allCases.map { ADS1x15Variant.ads1115.samplesPerSecond($0) }
            == [8, 16, 32, 64, 128, 250, 475, 860])
        #expect(ADS1x15Variant.ads1015.dataRate(samplesPerSecond: 1600) == .dr100)
        #expect(ADS1x15Variant.ads1115.dataRate(samplesPerSecond: 860) == .dr111)
        #expect(ADS1x15Variant.ads1115.dataRate(samplesPerSecond: 1600) == nil)
    }
}

@Suite("ADS1x15 on a scripted bus")
struct ADS1x15BusTests {
    @Test("configure writes the config register and updates the shadow")
    func configure() throws {
        let config = ADS1x15Config(decoding: 0xD345)
        try withScriptedI2C([.write(address, [0x01, 0xD3, 0x45])]) { bus in
            let adc = makeADC(bus, .ads1015)
            #expect(adc.config == nil)
            try adc.configure(config)
            #expect(adc.config == config)
        }
    }

    @Test("configure failure leaves the shadow unchanged")
    func configureError() throws {
        try withScriptedI2C([
            .write(address, [0x01, 0x85, 0x83]),
            .write(address, [0x01, 0xD3, 0x45]).failing(.noAcknowledge(.address)),
        ]) { bus in
            let adc = makeADC(bus, .ads1115)
            try adc.configure(ADS1x15Config())
            let error = #expect(throws: HardwareError.self) { try adc.configure(ADS1x15Config(decoding: 0xD345)) }
            #expect(error?.kind == .noAcknowledge(.address))
            #expect(adc.config == ADS1x15Config())
        }
    }

    @Test("readConfig reads pointer 0x01 and updates the shadow")
    func readConfig() throws {
        try withScriptedI2C([.writeRead(address, [0x01], reply: [0x85, 0x83])]) { bus in
            let adc = makeADC(bus, .ads1015)
            let config = try adc.readConfig()
            #expect(config == ADS1x15Config())
            #expect(adc.config == ADS1x15Config())
        }
    }

    @Test("readConfig failure leaves the shadow unchanged")
    func readConfigError() {
        withScriptedI2C([.writeRead(address, [0x01], reply: [0, 0]).failing(.busFault)]) { bus in
            let adc = makeADC(bus, .ads1015)
            let error = #expect(throws: HardwareError.self) { try adc.readConfig() }
            #expect(error?.kind == .busFault)
            #expect(adc.config == nil)
        }
    }

    @Test("ADS1015 conversion 0x7FF0 reads +2047")
    func readConversionADS1015() throws {
        try withScriptedI2C([.writeRead(address, [0x00], reply: [0x7F, 0xF0])]) { bus in
            let code = try makeADC(bus, .ads1015).readConversionRaw()
            #expect(code == ADCCode(2047, bits: 12))
        }
    }

    @Test("ADS1115 conversion 0x8000 reads −32768")
    func readConversionADS1115() throws {
        try withScriptedI2C([.writeRead(address, [0x00], reply: [0x80, 0x00])]) { bus in
            let code = try makeADC(bus, .ads1115).readConversionRaw()
            #expect(code == ADCCode(-32768, bits: 16))
        }
    }

    @Test("readConversionRaw: bus errors are rethrown; an ADS1015 low nibble ≠ 0 is a protocol violation")
    func readConversionErrors() {
        withScriptedI2C([
            .writeRead(address, [0x00], reply: [0, 0]).failing(.noAcknowledge(.unknown)),
            .writeRead(address, [0x00], reply: [0x7F, 0xF5]),
        ]) { bus in
            let adc = makeADC(bus, .ads1015)
            let nak = #expect(throws: HardwareError.self) { try adc.readConversionRaw() }
            #expect(nak?.kind == .noAcknowledge(.unknown))
            let bad = #expect(throws: HardwareError.self) { try adc.readConversionRaw() }
            #expect(bad?.kind == .protocolViolation)
            #expect(bad?.device == "ADS1015 @ 0x48")
        }
    }

    @Test("single-shot: start, wait ≥ 1/DR + 10 %, poll OS, then read the conversion")
    func readSingleShot() throws {
        let clock = TestClock()
        // OS=1 MUX=100 (AIN0/GND) PGA=001 (±4.096 V) MODE=1 DR=100 (128 SPS on the ADS1115) COMP_QUE=11.
        let start: UInt16 = 0b1_100_001_1_100_0_0_0_11
        try withScriptedI2C([
            .write(address, [0x01, UInt8(start >> 8), UInt8(start & 0xFF)]),
            .writeRead(address, [0x01], reply: [0x43, 0x83]),  // OS = 0: still converting
            .writeRead(address, [0x01], reply: [0xC3, 0x83]),  // OS = 1: done
            .writeRead(address, [0x00], reply: [0x40, 0x00]),  // 16384 → 2.048 V at ±4.096 V
        ], clock: clock) { bus in
            let adc = makeADC(bus, .ads1115, clock: clock)
            let volts = try adc.readSingleShot(mux: .ain0gnd, pga: .fsr4_096, rate: .dr100)
            #expect(approximately(volts, 2.048))
            let t = bus.transcript.compactMap(\.at)
            let minimum = Duration.seconds(1.1 / 128)
            #expect(t[1] - t[0] >= minimum)
            #expect(t[3] - t[0] >= minimum)
            #expect(adc.config?.mux == .ain0gnd)
        }
    }

    @Test("single-shot on the ADS1015 with a 12-bit result")
    func readSingleShotADS1015() throws {
        let clock = TestClock()
        // OS=1 MUX=000 PGA=010 MODE=1 DR=100 (1600 SPS) COMP_QUE=11 = the reset value.
        try withScriptedI2C([
            .write(address, [0x01, 0x85, 0x83]),
            .writeRead(address, [0x01], reply: [0x85, 0x83]),
            .writeRead(address, [0x00], reply: [0xAB, 0xC0]),  // 0xABC → −1348 → −1.348 V at ±2.048 V
        ], clock: clock) { bus in
            let adc = makeADC(bus, .ads1015, clock: clock)
            let volts = try adc.readSingleShot(mux: .ain0ain1, pga: .fsr2_048, rate: .dr100)
            #expect(approximately(volts, -1.348))
            #expect(clock.now >= us(625 + 62))
        }
    }

    @Test("single-shot gives up with .timedOut when OS stays 0")
    func readSingleShotTimeout() {
        let clock = TestClock()
        let start: UInt16 = 0b1_100_010_1_111_0_0_0_11  // AIN0/GND, ±2.048 V, 3300 SPS
        let busy: I2CExpectation = .writeRead(address, [0x01], reply: [0x45, 0xE3])
        withScriptedI2C(
            [.write(address, [0x01, UInt8(start >> 8), UInt8(start & 0xFF)])]
                + Array(repeating: busy, count: 10),  // the driver polls OS at most 10 times
            clock: clock
        ) { bus in
            let adc = makeADC(bus, .ads1015, clock: clock)
            let error = #expect(throws: HardwareError.self) {
                try adc.readSingleShot(mux: .ain0gnd, pga: .fsr2_048, rate: .dr111)
            }
            #expect(error?.kind == .timedOut)
        }
    }

    @Test("single-shot failures: the start write (shadow unchanged) and the result read")
    func readSingleShotErrors() {
        withScriptedI2C([
            .write(address, [0x01, 0x85, 0x83]).failing(.noAcknowledge(.address)),
            .write(address, [0x01, 0x85, 0x83]),
            .writeRead(address, [0x01], reply: [0x85, 0x83]),
            .writeRead(address, [0x00], reply: [0, 0]).failing(.busFault),
        ]) { bus in
            let adc = makeADC(bus, .ads1115)
            let first = #expect(throws: HardwareError.self) {
                try adc.readSingleShot(mux: .ain0ain1, pga: .fsr2_048, rate: .dr100)
            }
            #expect(first?.kind == .noAcknowledge(.address))
            #expect(adc.config == nil)
            let second = #expect(throws: HardwareError.self) {
                try adc.readSingleShot(mux: .ain0ain1, pga: .fsr2_048, rate: .dr100)
            }
            #expect(second?.kind == .busFault)
        }
    }

    @Test("startContinuous writes MODE = 0 and waits for the first conversion")
    func startContinuous() throws {
        let clock = TestClock()
        try withScriptedI2C([.write(address, [0x01, 0x38, 0xC3])], clock: clock) { bus in
            let adc = makeADC(bus, .ads1015, clock: clock)
            try adc.startContinuous(mux: .ain2ain3, pga: .fsr0_512, rate: .dr110)
            #expect(adc.config?.mode == .continuous)
            // No earlier rate known: two periods at 3300 SPS (304 µs each) + 10 %.
            #expect(clock.now >= us(2 * 304 * 11 / 10))
        }
    }

    @Test("startContinuous failure leaves the shadow unchanged and does not wait")
    func startContinuousError() {
        let clock = TestClock()
        withScriptedI2C([.write(address, [0x01, 0x38, 0xC3]).failing(.noAcknowledge(.address))]) { bus in
            let adc = makeADC(bus, .ads1015, clock: clock)
            let error = #expect(throws: HardwareError.self) {
                try adc.startContinuous(mux: .ain2ain3, pga: .fsr0_512, rate: .dr110)
            }
            #expect(error?.kind == .noAcknowledge(.address))
            #expect(adc.config == nil)
            #expect(clock.sleeps.isEmpty)
        }
    }

    @Test("enableConversionReadyPin: Hi_thresh 0x8000, Lo_thresh 0x0000, COMP_QUE ≠ 11")
    func enableConversionReadyPin() throws {
        try withScriptedI2C([
            .write(address, [0x03, 0x80, 0x00]),
            .write(address, [0x02, 0x00, 0x00]),
            .write(address, [0x01, 0x05, 0x80]),  // reset config, OS = 0, COMP_QUE = 00
        ]) { bus in
            let adc = makeADC(bus, .ads1115)
            try adc.enableConversionReadyPin()
            #expect(adc.config?.compQue == .assertAfterOne)
        }
    }

    @Test("enableConversionReadyPin failure leaves the shadow unchanged")
    func enableConversionReadyPinError() throws {
        try withScriptedI2C([
            .write(address, [0x01, 0xD3, 0x45]),
            .write(address, [0x03, 0x80, 0x00]).failing(.noAcknowledge(.data)),
        ]) { bus in
            let adc = makeADC(bus, .ads1115)
            try adc.configure(ADS1x15Config(decoding: 0xD345))
            let error = #expect(throws: HardwareError.self) { try adc.enableConversionReadyPin() }
            #expect(error?.kind == .noAcknowledge(.data))
            #expect(adc.config == ADS1x15Config(decoding: 0xD345))
        }
    }

    @Test("a single-shot channel is an AnalogInput")
    func singleShotChannel() throws {
        let clock = TestClock()
        let start: UInt16 = 0b1_101_011_1_100_0_0_0_11  // AIN1/GND, ±1.024 V, 128 SPS
        try withScriptedI2C([
            .write(address, [0x01, UInt8(start >> 8), UInt8(start & 0xFF)]),
            .writeRead(address, [0x01], reply: [UInt8(start >> 8), UInt8(start & 0xFF)]),
            .writeRead(address, [0x00], reply: [0xC0, 0x00]),  // −16384 → −0.512 V
        ], clock: clock) { bus in
            let adc = makeADC(bus, .ads1115, clock: clock)
            let input: any AnalogInput = adc.channel(mux: .ain1gnd, pga: .fsr1_024)
            let volts = try input.readVoltage()
            #expect(approximately(volts, -0.512))
        }
    }

    @Test("a continuous channel configures and waits once, then only reads the conversion register")
    func continuousChannel() throws {
        let clock = TestClock()
        let config: UInt16 = 0b0_100_010_0_100_0_0_0_11  // AIN0/GND, ±2.048 V, continuous, 1600 SPS
        try withScriptedI2C([
            .write(address, [0x01, UInt8(config >> 8), UInt8(config & 0xFF)]),
            .writeRead(address, [0x00], reply: [0x40, 0x00]),  // 0x400 = 1024 → 1.024 V
            .writeRead(address, [0x00], reply: [0x5A, 0x30]),  // 0x5A3 = 1443 → 1.443 V
        ], clock: clock) { bus in
            let adc = makeADC(bus, .ads1015, clock: clock)
            let channel = adc.channel(mux: .ain0gnd, mode: .continuous)
            let first = try channel.readVoltage()
            let second = try channel.readVoltage()
            #expect(approximately(first, 1.024))
            #expect(approximately(second, 1.443))
            #expect(clock.sleeps.count == 1)
            let t = bus.transcript.compactMap(\.at)
            #expect(t[1] - t[0] >= .microseconds(2 * 625))
        }
    }

    @Test("switching continuous channels rewrites the mux and waits old + new conversion time")
    func continuousChannelSwitch() throws {
        let clock = TestClock()
        let first: UInt16 = 0b0_100_010_0_000_0_0_0_11  // AIN0/GND, 128 SPS
        let second: UInt16 = 0b0_101_010_0_111_0_0_0_11  // AIN1/GND, 3300 SPS
        try withScriptedI2C([
            .write(address, [0x01, UInt8(first >> 8), UInt8(first & 0xFF)]),
            .writeRead(address, [0x00], reply: [0x10, 0x00]),
            .write(address, [0x01, UInt8(second >> 8), UInt8(second & 0xFF)]),
            .writeRead(address, [0x00], reply: [0x20, 0x00]),
        ], clock: clock) { bus in
            let adc = makeADC(bus, .ads1015, clock: clock)
            let a = adc.channel(mux: .ain0gnd, rate: .dr000, mode: .continuous)
            let b = adc.channel(mux: .ain1gnd, rate: .dr111, mode: .continuous)
            let va = try a.readVoltage()
            let vb = try b.readVoltage()
            #expect(approximately(va, 0.256))
            #expect(approximately(vb, 0.512))
            let t = bus.transcript.compactMap(\.at)
            #expect(t[3] - t[2] >= .seconds(1.1 / 128 + 1.1 / 3300))
        }
    }

    @Test("a channel read failure is rethrown")
    func channelError() {
        withScriptedI2C([.write(address, [0x01, 0x44, 0x83]).failing(.noAcknowledge(.address))]) { bus in
            let adc = makeADC(bus, .ads1015)
            let channel = adc.channel(mux: .ain0gnd, mode: .continuous)
            let error = #expect(throws: HardwareError.self) { try channel.readVoltage() }
            #expect(error?.kind == .noAcknowledge(.address))
            #expect(adc.config == nil)
        }
    }
}
