import NeuronHAL
import NeuronSim
import Testing

// Register constants restated from SBAS473E / SBAS444D, not imported from a driver.
private let adcAddress: UInt8 = 0x48
private let pConversion: UInt8 = 0x00
private let pConfig: UInt8 = 0x01
private let pLoThresh: UInt8 = 0x02
private let pHiThresh: UInt8 = 0x03

/// Builds a config word from its datasheet fields.
private func config(
    os: UInt16 = 1, mux: UInt16, pga: UInt16 = 0b010, mode: UInt16 = 1, dr: UInt16, compPol: UInt16 = 0,
    compQue: UInt16 = 0b11
) -> UInt16 {
    (os << 15) | (mux << 12) | (pga << 9) | (mode << 8) | (dr << 5) | (compPol << 3) | compQue
}

@Suite struct SimADS1x15Tests {
    let clock = ManualClock()
    let bus = SimI2CBus(name: "sim:i2c1")

    func make(_ variant: SimADS1x15.Variant) -> SimADS1x15 {
        let adc = SimADS1x15(variant: variant, clock: clock)
        bus.attach(adc, at: I2CAddress(adcAddress))
        return adc
    }

    func writeRegister(_ pointer: UInt8, _ value: UInt16) throws {
        _ = try i2c(bus, adcAddress, [pointer, UInt8(value >> 8), UInt8(value & 0xFF)])
    }

    func readRegister(_ pointer: UInt8) throws -> UInt16 {
        let r = try i2c(bus, adcAddress, [pointer], read: 2)
        return (UInt16(r[0]) << 8) | UInt16(r[1])
    }

    @Test func resetValues() throws {
        _ = make(.ads1015)
        #expect(try readRegister(pConfig) == 0x8583)
        #expect(try readRegister(pLoThresh) == 0x8000)
        #expect(try readRegister(pHiThresh) == 0x7FFF)
        #expect(try readRegister(pConversion) == 0x0000)
    }

    @Test func ads1015SingleShotStaleThenFresh() throws {
        let adc = make(.ads1015)
        adc.setInput(0, constant: .volts(1.0))
        // AIN0 vs GND (100), ±2.048 V, single-shot, DR 100 = 1600 SPS: 1/DR = 625 000 ns.
        try writeRegister(pConfig, config(mux: 0b100, dr: 0b100))
        #expect(try readRegister(pConfig) & 0x8000 == 0)  // converting
        clock.advance(by: .nanoseconds(624_999))
        #expect(try readRegister(pConversion) == 0x0000)  // stale (the reset value)
        #expect(try readRegister(pConfig) & 0x8000 == 0)
        clock.advance(by: .nanoseconds(1))
        #expect(try readRegister(pConfig) == config(mux: 0b100, dr: 0b100))  // OS = 1 again
        let raw = try readRegister(pConversion)
        #expect(raw & 0x000F == 0)  // 12-bit left-aligned
        #expect(Int16(bitPattern: raw) >> 4 == 1000)  // 1.0 V / 1 mV
        #expect(adc.lsb == .millivolts(1))
        // A second conversion: the register holds the first result until it ends.
        adc.setInput(0, constant: .volts(0.5))
        try writeRegister(pConfig, config(mux: 0b100, dr: 0b100))
        clock.advance(by: .microseconds(300))
        #expect(Int16(bitPattern: try readRegister(pConversion)) >> 4 == 1000)
        clock.advance(by: .microseconds(325))
        #expect(Int16(bitPattern: try readRegister(pConversion)) >> 4 == 500)
        #expect(adc.conversionsStarted == 2)
    }

    @Test func writingOSDuringAConversionHasNoEffect() throws {
        let adc = make(.ads1115)
        adc.setInput(1, constant: .volts(0.1))
        try writeRegister(pConfig, config(mux: 0b101, dr: 0b111))  // 860 SPS
        clock.advance(by: .microseconds(500))
        try writeRegister(pConfig, config(mux: 0b101, dr: 0b111))
        #expect(adc.conversionsStarted == 1)
        clock.sleep(until: MonotonicInstant(nanoseconds: 0) + adc.conversionTime)
        #expect(try readRegister(pConfig) & 0x8000 != 0)
        #expect(adc.conversionTime == .nanoseconds(1_162_791))
    }

    @Test func continuousModeSamplesAtEachConversionEnd() throws {
        let adc = make(.ads1115)
        var sampled: [MonotonicInstant] = []
        adc.setInput(2) { t in
            sampled.append(t)
            return .volts(t.seconds)  // 1 V/s ramp
        }
        clock.advance(by: .milliseconds(1))
        // AIN2 vs GND, ±4.096 V, continuous, 128 SPS (DR 100): period 7 812 500 ns.
        try writeRegister(pConfig, config(os: 0, mux: 0b110, pga: 0b001, mode: 0, dr: 0b100))
        let period: Int64 = 7_812_500
        clock.advance(by: .nanoseconds(period - 1))
        #expect(try readRegister(pConversion) == 0)  // no conversion finished yet
        #expect(sampled.isEmpty)
        clock.advance(by: .nanoseconds(1))
        let first = Int16(bitPattern: try readRegister(pConversion))
        #expect(sampled == [MonotonicInstant(nanoseconds: 1_000_000 + period)])
        let lsb: Double = 4.096 / 32768
        let expectedVolts: Double = Double(1_000_000 + period) * 1e-9
        let measured: Double = Double(first) * lsb
        #expect(abs(measured - expectedVolts) <= lsb)
        _ = try readRegister(pConversion)  // same conversion: not sampled again
        #expect(sampled.count == 1)
        clock.advance(by: .nanoseconds(3 * period + 17))  // skips two results: only the latest is sampled
        _ = try readRegister(pConversion)
        #expect(sampled.last == MonotonicInstant(nanoseconds: 1_000_000 + 4 * period))
        #expect(sampled.count == 2)
        #expect(try readRegister(pConfig) & 0x8000 == 0)  // always converting
    }

    @Test func configChangeInContinuousModeFinishesTheConversionInFlight() throws {
        let adc = make(.ads1015)
        adc.setInput(0, constant: .volts(1.0))
        adc.setInput(1, constant: .volts(0.25))
        // AIN0, 1600 SPS continuous (625 µs), then switch to AIN1 at 1000 µs.
        try writeRegister(pConfig, config(os: 0, mux: 0b100, mode: 0, dr: 0b100))
        clock.advance(by: .microseconds(1000))
        try writeRegister(pConfig, config(os: 0, mux: 0b101, mode: 0, dr: 0b100))
        clock.sleep(until: .us(1250))  // the old-mux conversion in flight ends here
        #expect(Int16(bitPattern: try readRegister(pConversion)) >> 4 == 1000)
        clock.sleep(until: .us(1874))
        #expect(Int16(bitPattern: try readRegister(pConversion)) >> 4 == 1000)
        clock.sleep(until: .us(1875))  // first new-mux result
        #expect(Int16(bitPattern: try readRegister(pConversion)) >> 4 == 250)
    }

    @Test(arguments: [
        (SimADS1x15.Variant.ads1115, 3.0, UInt16(0x7FFF)),
        (SimADS1x15.Variant.ads1115, -3.0, UInt16(0x8000)),
        (SimADS1x15.Variant.ads1015, 3.0, UInt16(0x7FF0)),
        (SimADS1x15.Variant.ads1015, -3.0, UInt16(0x8000)),
    ])
    func pgaClipping(variant: SimADS1x15.Variant, volts: Double, expected: UInt16) throws {
        let adc = make(variant)
        adc.setInput(0, constant: .volts(volts))
        try writeRegister(pConfig, config(mux: 0b000, pga: 0b010, dr: 0b111))  // AIN0−AIN1, ±2.048 V
        clock.advance(by: .milliseconds(2))
        #expect(try readRegister(pConversion) == expected)
    }

    @Test func negativeDifferentialCodes() throws {
        let adc = make(.ads1115)
        adc.setInput(2, constant: .volts(0.100))
        adc.setInput(3, constant: .volts(0.350))
        try writeRegister(pConfig, config(mux: 0b011, pga: 0b100, dr: 0b111))  // AIN2−AIN3, ±0.512 V
        clock.advance(by: .milliseconds(2))
        let code = Int16(bitPattern: try readRegister(pConversion))
        #expect(code == -16000)  // −0.25 V / (0.512 V / 32768)
        #expect(abs(Double(code) * adc.lsb.volts + 0.25) <= adc.lsb.volts)
    }

    @Test(arguments: Array(0..<8))
    func muxSettings(mux: Int) throws {
        let adc = make(.ads1115)
        let pins = [0.5, 0.2, 1.1, 0.7]
        for (i, v) in pins.enumerated() { adc.setInput(i, constant: .volts(v)) }
        let expected = [pins[0] - pins[1], pins[0] - pins[3], pins[1] - pins[3], pins[2] - pins[3],
                        pins[0], pins[1], pins[2], pins[3]][mux]
        try writeRegister(pConfig, config(mux: UInt16(mux), pga: 0b010, dr: 0b111))
        clock.advance(by: .milliseconds(2))
        let v = Double(Int16(bitPattern: try readRegister(pConversion))) * adc.lsb.volts
        #expect(abs(v - expected) <= adc.lsb.volts)
    }

    @Test func pointerOnlyWriteThenReadAndPartialWriteIgnored() throws {
        _ = make(.ads1115)
        _ = try i2c(bus, adcAddress, [pHiThresh])
        #expect(try i2c(bus, adcAddress, [], read: 2) == [0x7F, 0xFF])
        _ = try i2c(bus, adcAddress, [pLoThresh, 0x12])  // no LSB: not written
        #expect(try readRegister(pLoThresh) == 0x8000)
        try writeRegister(pLoThresh, 0x1234)
        #expect(try readRegister(pLoThresh) == 0x1234)
    }

    @Test func alertReadyInSingleShot() throws {
        let adc = make(.ads1015)
        let chip = SimGPIOChip(name: "sim:gpiochip0", clock: clock)
        let rdy = chip.input("ADC_RDY", activeLow: true, initialLevel: true)
        adc.connectAlert(to: rdy)
        try writeRegister(pHiThresh, 0x8000)
        try writeRegister(pLoThresh, 0x0000)
        #expect(try rdy.get() == .inactive)
        clock.advance(by: .milliseconds(1))
        try writeRegister(pConfig, config(mux: 0b100, dr: 0b100, compQue: 0b00))
        let edge = try rdy.waitEdge(until: .ms(5))
        #expect(edge?.kind == .rising)  // active-low pin asserted
        #expect(edge?.timestamp == MonotonicInstant(nanoseconds: 1_625_000))
        #expect(clock.now == MonotonicInstant(nanoseconds: 1_625_000))
        #expect(try rdy.get() == .active)
        try writeRegister(pConfig, config(mux: 0b100, dr: 0b100, compQue: 0b00))  // next conversion deasserts
        let e2 = try rdy.waitEdge(until: .ms(5))
        #expect(e2?.kind == .falling && e2?.timestamp == MonotonicInstant(nanoseconds: 1_625_000))
        let e3 = try rdy.waitEdge(until: .ms(5))
        #expect(e3?.kind == .rising && e3?.timestamp == MonotonicInstant(nanoseconds: 2_250_000))
        #expect(e3.map(\.sequence) == 3)
    }

    @Test func alertReadyPulsesInContinuousMode() throws {
        let adc = make(.ads1115)
        let chip = SimGPIOChip(name: "sim:gpiochip0", clock: clock)
        let rdy = chip.input("ADC_RDY", activeLow: true, initialLevel: true)
        adc.connectAlert(to: rdy)
        try writeRegister(pHiThresh, 0x8000)
        try writeRegister(pLoThresh, 0x0000)
        try writeRegister(pConfig, config(os: 0, mux: 0b100, mode: 0, dr: 0b111, compQue: 0b00))  // 860 SPS
        var edges: [EdgeEvent] = []
        while let e = try rdy.waitEdge(until: .ms(4)) { edges.append(e) }
        let p: Int64 = 1_162_791
        #expect(edges.map(\.timestamp.nanoseconds) == [p, p + 8000, 2 * p, 2 * p + 8000, 3 * p, 3 * p + 8000])
        #expect(edges.map(\.kind) == [.rising, .falling, .rising, .falling, .rising, .falling])
        #expect(clock.now == .ms(4))
    }
}
