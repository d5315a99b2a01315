// Integration tests: the real drivers (NeuronDrivers) against the behavioural chip models (NeuronSim) on a
// ManualClock (house style §6.2). The models were written from the datasheets independently of the drivers, so
// these tests catch disagreements between the two readings of each datasheet (framing, alignment, timing).
//
// Tolerances:
//  - MCP4725: VOUT = VREF · D / 4096 and the driver writes the nearest code, so a set voltage is within half an
//    LSB (VREF / 4096) of the request; we assert ≤ 1 LSB (`SimMCP4725.lsb`).
//  - ADS1x15: the model rounds to the nearest code (error ≤ ½ LSB, LSB = FSR / 2^(bits−1)); the assertion uses
//    the model's 1-LSB epsilon (`SimADS1x15.lsb(pga:)`, Zephyr `get_sample_range` style).
//  - MCP3x08: the model truncates (code = ⌊2^n · VIN / VREF⌋, DS21295D/DS21298E eq. 4-1), so a reading lies in
//    (VIN − 1 LSB, VIN]; we assert exactly that interval (plus 1e-12 V of floating-point slack).

import NeuronDrivers
import NeuronHAL
import NeuronSim
import Testing

private let dacAddress = I2CAddress(0x60)
private let adcAddress = I2CAddress(0x48)
private let slack = 1e-12

private func simVariant(_ v: ADS1x15Variant) -> SimADS1x15.Variant { v == .ads1015 ? .ads1015 : .ads1115 }
private func simVariant(_ v: MCP3x08Variant) -> SimMCP3x08.Variant { v == .mcp3008 ? .mcp3008 : .mcp3208 }

/// Runs `body`, which must throw a `HardwareError`, and returns it (or records an issue and returns nil).
private func hardwareError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(HardwareError) -> Void
) -> HardwareError? {
    do {
        try body()
        Issue.record("expected a HardwareError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

// MARK: - MCP4725

@Suite struct MCP4725IntegrationTests {
    let clock = ManualClock()
    let bus = SimI2CBus(name: "sim:i2c1")
    let sim: SimMCP4725
    let dac: MCP4725<SimI2CBus, ManualClock>

    init() {
        sim = SimMCP4725(clock: clock, reference: .volts(3.3))
        bus.attach(sim, at: dacAddress)
        dac = MCP4725(bus: bus, address: dacAddress, reference: .volts(3.3), clock: clock)
    }

    @Test(arguments: [0, 1, 0x555, 0xAAA, 0x800, 0xFFF])
    func writeFastThenReadBackAgreesWithTheModel(code: Int) throws {
        try dac.writeFast(code: DACCode(code, bits: 12)!)
        #expect(Int(sim.code) == code)
        #expect(sim.powerDown == .normal)
        let status = try dac.readBack()
        #expect(Int(status.code.value) == code)
        #expect(status.powerDown == .normal)
        #expect(status.ready && status.powerOnReset)
        #expect(dac.lastCode == DACCode(code, bits: 12))
        #expect(abs(sim.outputVoltage.volts - 3.3 * Double(code) / 4096) < slack)
    }

    @Test(arguments: [0.0, 0.25, 0.75, 1.0, 2.2, 3.29])
    func setVoltageLandsWithinOneLSB(volts: Double) throws {
        try dac.setVoltage(.volts(volts))
        #expect(abs(sim.outputVoltage.volts - volts) <= sim.lsb.volts)
        let status = try dac.readBack()
        #expect(status.code.value == sim.code)
        #expect(MCP4725Wire.voltage(for: status.code, reference: dac.reference).volts == sim.outputVoltage.volts)
    }

    @Test func setVoltageOutsideTheRangeTouchesNoBus() throws {
        try dac.setVoltage(.volts(1.0))
        let before = bus.transactionCount
        let e = hardwareError { () throws(HardwareError) in try dac.setVoltage(.volts(3.4)) }
        #expect(e?.kind == .outOfRange)
        #expect(bus.transactionCount == before)
        #expect(abs(sim.outputVoltage.volts - 1.0) <= sim.lsb.volts)
    }

    @Test func enterSafeStateZeroesAndPowersDown() throws {
        try dac.setVoltage(.volts(0.75))
        #expect(sim.outputVoltage.volts > 0.7)
        try dac.enterSafeState()
        #expect(sim.code == 0)
        #expect(sim.powerDown == .resistor1k)
        #expect(sim.outputVoltage == .zero)
        let status = try dac.readBack()
        #expect(status.code.value == 0)
        #expect(status.powerDown == .resistor1k)
    }

    @Test func writeDACAndEEPROMWaitsOutTheTypicalBusyTime() throws {
        let start = clock.now
        try dac.writeDACAndEEPROM(code: DACCode(0xABC, bits: 12)!, powerDown: .normal)
        // The driver polls RDY/BSY every 5 ms; the model is busy for the datasheet's typical 25 ms, so the driver
        // returns at the first poll at or after 25 ms: exactly 25 ms on the manual clock.
        #expect(clock.now - start == SimMCP4725.typicalEEPROMWriteTime)
        #expect(!sim.isEEPROMBusy)
        #expect(sim.eeprom.code == 0xABC && sim.eeprom.powerDown == .normal)
        #expect(sim.code == 0xABC)
        // A write right after is accepted (not ignored for a still-running EEPROM write).
        try dac.writeFast(code: DACCode(0x123, bits: 12)!)
        #expect(sim.ignoredWrites == 0)
        #expect(sim.code == 0x123)
        #expect(sim.eeprom.code == 0xABC)
    }

    @Test func writeDACAndEEPROMAtTheMaximumWriteTime() throws {
        sim.eepromWriteDuration = SimMCP4725.maximumEEPROMWriteTime
        let start = clock.now
        try dac.writeDACAndEEPROM(code: DACCode(0x321, bits: 12)!, powerDown: .resistor100k)
        #expect(clock.now - start == .milliseconds(50))
        #expect(sim.eeprom.code == 0x321 && sim.eeprom.powerDown == .resistor100k)
        #expect(sim.ignoredWrites == 0)
    }

    @Test func writeDACAndEEPROMTimesOutPastTheMaximum() throws {
        sim.eepromWriteDuration = .milliseconds(60)  // out of spec: the chip is broken or not an MCP4725
        let start = clock.now
        let e = hardwareError { () throws(HardwareError) in
            try dac.writeDACAndEEPROM(code: DACCode(0x321, bits: 12)!)
        }
        #expect(e?.kind == .timedOut)
        #expect(clock.now - start >= MCP4725Wire.eepromWriteTimeMaximum)
        #expect(clock.now - start < .milliseconds(60))
        #expect(dac.lastCode == DACCode(0x321, bits: 12))  // documented: the DAC register took the code
    }

    @Test func absentAddressIsNoAcknowledgeAddressThroughTheDriver() throws {
        let ghost = MCP4725(bus: bus, address: I2CAddress(0x61), reference: .volts(3.3), clock: clock)
        let e1 = hardwareError { () throws(HardwareError) in try ghost.writeFast(code: DACCode(5, bits: 12)!) }
        #expect(e1?.kind == .noAcknowledge(.address))
        #expect(e1?.device.contains("0x61") == true)
        let e2 = hardwareError { () throws(HardwareError) in _ = try ghost.readBack() }
        #expect(e2?.kind == .noAcknowledge(.address))
        #expect(ghost.lastCode == nil && ghost.lastPowerDown == nil)
        #expect(sim.writes.isEmpty)  // the chip at 0x60 saw nothing
    }

    @Test(arguments: [HardwareError.Kind.busFault, .noAcknowledge(.data), .arbitrationLost, .timedOut])
    func injectedFaultPropagatesAndShadowIsUnchanged(kind: HardwareError.Kind) throws {
        try dac.writeFast(code: DACCode(100, bits: 12)!)
        let writes = sim.writes.count

        bus.faults(at: dacAddress).failNext(1, with: kind)
        let e1 = hardwareError { () throws(HardwareError) in try dac.writeFast(code: DACCode(200, bits: 12)!) }
        #expect(e1?.kind == kind)

        bus.faults.failNext(1, with: kind)  // bus-wide injector
        let e2 = hardwareError { () throws(HardwareError) in try dac.setVoltage(.volts(2.0)) }
        #expect(e2?.kind == kind)

        bus.faults(at: dacAddress).failNext(1, with: kind)
        let e3 = hardwareError { () throws(HardwareError) in try dac.enterSafeState() }
        #expect(e3?.kind == kind)

        bus.faults(at: dacAddress).failNext(1, with: kind)
        let e4 = hardwareError { () throws(HardwareError) in
            try dac.writeDACAndEEPROM(code: DACCode(300, bits: 12)!)
        }
        #expect(e4?.kind == kind)

        #expect(dac.lastCode == DACCode(100, bits: 12))
        #expect(dac.lastPowerDown == .normal)
        #expect(sim.code == 100 && sim.powerDown == .normal)
        #expect(sim.writes.count == writes)  // no failed transfer reached the model
        // The injector is spent: the next write goes through.
        try dac.writeFast(code: DACCode(400, bits: 12)!)
        #expect(sim.code == 400)
    }
}

// MARK: - ADS1015 / ADS1115

@Suite struct ADS1x15IntegrationTests {
    let clock = ManualClock()
    let bus = SimI2CBus(name: "sim:i2c1")

    func make(_ variant: ADS1x15Variant) -> (SimADS1x15, ADS1x15<SimI2CBus, ManualClock>) {
        let sim = SimADS1x15(variant: simVariant(variant), clock: clock)
        bus.attach(sim, at: adcAddress)
        return (sim, ADS1x15(bus: bus, address: adcAddress, variant: variant, clock: clock))
    }

    @Test(arguments: ADS1x15Variant.allCases, ADS1x15Config.DataRate.allCases)
    func singleShotIsFreshAndWithinOneLSB(variant: ADS1x15Variant, rate: ADS1x15Config.DataRate) throws {
        let (sim, adc) = make(variant)
        let pga = ADS1x15Config.PGA.fsr4_096
        let lsb = sim.lsb(pga: pga.rawValue).volts
        clock.advance(by: .milliseconds(3))  // not at t = 0, so the timing below is relative

        for volts in [1.234_5, 0.321_7, -0.05] {  // each differs from the last: a stale result would show
            sim.setInput(2, constant: .volts(volts))
            let t0 = clock.now
            let transfers = bus.transactionCount
            let v = try adc.readSingleShot(mux: .ain2gnd, pga: pga, rate: rate)
            #expect(abs(v.volts - volts) <= lsb, "read \(v) for \(volts) V")
            // The driver's wait (1/DR + 10 %, whole µs) covers the model's conversion (1/DR nominal), so the first
            // OS poll already reads idle: config write, one poll, conversion read; no busy-poll retries.
            let waited = clock.now - t0
            #expect(waited == ADS1x15Wire.conversionTime(variant: variant, rate: rate))
            #expect(waited >= sim.conversionTime(dataRate: rate.rawValue))
            #expect(bus.transactionCount - transfers == 3)
            #expect(!sim.isConverting)
        }
        #expect(sim.conversionsStarted == 3)
        #expect(adc.config?.mux == .ain2gnd && adc.config?.mode == .singleShot && adc.config?.dataRate == rate)
    }

    @Test(arguments: ADS1x15Variant.allCases)
    func differentialSingleShot(variant: ADS1x15Variant) throws {
        let (sim, adc) = make(variant)
        sim.setInput(0, constant: .volts(1.2))
        sim.setInput(1, constant: .volts(0.2))
        sim.setInput(3, constant: .volts(1.7))
        let lsb = sim.lsb(pga: ADS1x15Config.PGA.fsr2_048.rawValue).volts
        let v01 = try adc.readSingleShot(mux: .ain0ain1, pga: .fsr2_048, rate: .reset)
        #expect(abs(v01.volts - 1.0) <= lsb)
        let v03 = try adc.readSingleShot(mux: .ain0ain3, pga: .fsr2_048, rate: .reset)
        #expect(abs(v03.volts - (-0.5)) <= lsb)  // negative differential: two's complement through the driver
        let v13 = try adc.readSingleShot(mux: .ain1ain3, pga: .fsr2_048, rate: .reset)
        #expect(abs(v13.volts - (-1.5)) <= lsb)
    }

    @Test(arguments: ADS1x15Variant.allCases)
    func singleShotChannelsShareOneDriver(variant: ADS1x15Variant) throws {
        let (sim, adc) = make(variant)
        for pin in 0..<4 { sim.setInput(pin, constant: .volts(0.1 + 0.4 * Double(pin))) }
        let muxes: [ADS1x15Config.Mux] = [.ain0gnd, .ain1gnd, .ain2gnd, .ain3gnd]
        let lsb = sim.lsb(pga: ADS1x15Config.PGA.fsr2_048.rawValue).volts
        for (pin, mux) in muxes.enumerated() {
            let v = try adc.channel(mux: mux).readVoltage()
            #expect(abs(v.volts - (0.1 + 0.4 * Double(pin))) <= lsb, "AIN\(pin)")
        }
    }

    @Test(arguments: ADS1x15Variant.allCases)
    func continuousChannelReads(variant: ADS1x15Variant) throws {
        let (sim, adc) = make(variant)
        let rate = ADS1x15Config.DataRate.reset
        let pga = ADS1x15Config.PGA.fsr4_096
        let lsb = sim.lsb(pga: pga.rawValue).volts
        sim.setInput(0, constant: .volts(1.5))
        sim.setInput(1, constant: .volts(0.6))
        let ch0 = adc.channel(mux: .ain0gnd, pga: pga, rate: rate, mode: .continuous)
        let ch1 = adc.channel(mux: .ain1gnd, pga: pga, rate: rate, mode: .continuous)

        // First read configures continuous mode and waits for the first conversion.
        #expect(abs(try ch0.readVoltage().volts - 1.5) <= lsb)
        #expect(adc.config?.mode == .continuous)
        #expect(sim.isConverting)  // continuous: OS reads 0 while the chip runs

        // Same channel again: no reconfiguration, just the conversion register; after one conversion period the
        // model has sampled the new input.
        sim.setInput(0, constant: .volts(0.9))
        clock.advance(by: ADS1x15Wire.conversionTime(variant: variant, rate: rate))
        let transfers = bus.transactionCount
        #expect(abs(try ch0.readVoltage().volts - 0.9) <= lsb)
        #expect(bus.transactionCount - transfers == 1)

        // Switching the mux mid-conversion: the model lets the conversion in flight finish with AIN0; the
        // driver's settle time (old + new period + 10 %) must skip it, so the value is AIN1's, not AIN0's.
        clock.advance(by: sim.conversionTime(dataRate: rate.rawValue) / 3)
        #expect(abs(try ch1.readVoltage().volts - 0.6) <= lsb)
        #expect(adc.config?.mux == .ain1gnd)
        // And back.
        clock.advance(by: sim.conversionTime(dataRate: rate.rawValue) / 2)
        #expect(abs(try ch0.readVoltage().volts - 0.9) <= lsb)
    }

    @Test(arguments: ADS1x15Variant.allCases)
    func conversionReadyPinConfigurationIsAccepted(variant: ADS1x15Variant) throws {
        let (sim, adc) = make(variant)
        let chip = SimGPIOChip(name: "sim:gpiochip0", clock: clock)
        let rdy = chip.input("ADC_RDY", activeLow: true, initialLevel: true)
        sim.connectAlert(to: rdy)
        try adc.enableConversionReadyPin()
        #expect(sim.hiThresh == 0x8000)  // Hi_thresh MSB = 1
        #expect(sim.loThresh == 0x0000)  // Lo_thresh MSB = 0
        #expect(sim.config & 0b11 == 0b00)  // COMP_QUE = assert after one conversion
        #expect(adc.config?.compQue == .assertAfterOne)
        #expect(try rdy.get() == .inactive)

        // A single-shot conversion keeps COMP_QUE from the shadow, so the model asserts ALERT/RDY at its end.
        sim.setInput(0, constant: .volts(0.5))
        let v = try adc.readSingleShot(mux: .ain0gnd, pga: .fsr2_048, rate: .reset)
        #expect(abs(v.volts - 0.5) <= sim.lsb(pga: ADS1x15Config.PGA.fsr2_048.rawValue).volts)
        #expect(sim.config & 0b11 == 0b00)
        #expect(try rdy.get() == .active)
    }

    @Test func absentAddressIsNoAcknowledgeAddressThroughTheDriver() throws {
        _ = make(.ads1015)
        let ghost = ADS1x15(bus: bus, address: I2CAddress(0x49), variant: .ads1115, clock: clock)
        let e1 = hardwareError { () throws(HardwareError) in
            _ = try ghost.readSingleShot(mux: .ain0gnd, pga: .fsr2_048, rate: .reset)
        }
        #expect(e1?.kind == .noAcknowledge(.address))
        #expect(e1?.device.contains("0x49") == true)
        let e2 = hardwareError { () throws(HardwareError) in _ = try ghost.readConfig() }
        #expect(e2?.kind == .noAcknowledge(.address))
        let e3 = hardwareError { () throws(HardwareError) in try ghost.enableConversionReadyPin() }
        #expect(e3?.kind == .noAcknowledge(.address))
        #expect(ghost.config == nil)
        #expect(clock.now == .zero)  // failed before any wait
    }

    @Test(arguments: [HardwareError.Kind.busFault, .noAcknowledge(.data), .timedOut])
    func injectedFaultPropagatesAndShadowIsUnchanged(kind: HardwareError.Kind) throws {
        let (sim, adc) = make(.ads1015)
        sim.setInput(0, constant: .volts(0.4))
        _ = try adc.readSingleShot(mux: .ain0gnd, pga: .fsr2_048, rate: .reset)
        let shadow = adc.config
        let modelConfig = sim.config
        let started = sim.conversionsStarted

        bus.faults(at: adcAddress).failNext(1, with: kind)
        let e1 = hardwareError { () throws(HardwareError) in
            _ = try adc.readSingleShot(mux: .ain1gnd, pga: .fsr0_512, rate: .dr111)
        }
        #expect(e1?.kind == kind)

        bus.faults.failNext(1, with: kind)
        let e2 = hardwareError { () throws(HardwareError) in
            try adc.configure(ADS1x15Config(mux: .ain3gnd, mode: .continuous))
        }
        #expect(e2?.kind == kind)

        bus.faults(at: adcAddress).failNext(1, with: kind)
        let e3 = hardwareError { () throws(HardwareError) in
            try adc.startContinuous(mux: .ain2gnd, pga: .fsr1_024, rate: .dr000)
        }
        #expect(e3?.kind == kind)

        bus.faults(at: adcAddress).failNext(1, with: kind)
        let e4 = hardwareError { () throws(HardwareError) in try adc.enableConversionReadyPin() }
        #expect(e4?.kind == kind)

        bus.faults(at: adcAddress).failNext(1, with: kind)
        let e5 = hardwareError { () throws(HardwareError) in _ = try adc.readConfig() }
        #expect(e5?.kind == kind)

        #expect(adc.config == shadow)
        #expect(sim.config == modelConfig)
        #expect(sim.conversionsStarted == started)
        #expect(sim.hiThresh == 0x7FFF && sim.loThresh == 0x8000)  // reset values: no write reached the model
    }

    @Test func failedReadConfigKeepsTheShadowOfTheLastWrite() throws {
        let (_, adc) = make(.ads1115)
        try adc.configure(ADS1x15Config(mux: .ain0gnd))
        bus.faults(at: adcAddress).failNext(1, with: .busFault)
        let e = hardwareError { () throws(HardwareError) in _ = try adc.readConfig() }
        #expect(e?.kind == .busFault)
        #expect(adc.config == ADS1x15Config(mux: .ain0gnd))
    }
}

// MARK: - MCP3008 / MCP3208

@Suite struct MCP3x08IntegrationTests {
    let clock = ManualClock()

    func make(_ variant: MCP3x08Variant) -> (SimMCP3x08, SimSPIDevice, MCP3x08<SimSPIDevice>) {
        let sim = SimMCP3x08(variant: simVariant(variant), clock: clock, reference: .volts(3.3))
        let device = SimSPIDevice(name: "sim:spi0.0", target: sim)
        return (sim, device, MCP3x08(device: device, variant: variant, reference: .volts(3.3)))
    }

    /// A truncating converter reads in (VIN − 1 LSB, VIN].
    func expectTruncated(_ read: Voltage, _ vin: Double, lsb: Voltage, _ comment: Comment? = nil,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(read.volts <= vin + slack && read.volts > vin - lsb.volts - slack, comment, sourceLocation: sourceLocation)
    }

    @Test(arguments: MCP3x08Variant.allCases)
    func singleEndedEveryChannelWithinOneLSB(variant: MCP3x08Variant) throws {
        let (sim, _, adc) = make(variant)
        func vin(_ ch: Int) -> Double { 0.123 + 0.391 * Double(ch) }  // distinct per channel, below VREF
        for ch in 0..<8 { sim.setInput(channel: ch, constant: .volts(vin(ch))) }
        for ch in 0..<8 {
            expectTruncated(try adc.channel(ch).readVoltage(), vin(ch), lsb: sim.lsb, "CH\(ch)")
            let raw = try adc.readRaw(channel: ch)
            #expect(raw.bits == variant.resolutionBits)
            #expect(UInt16(raw.value) == sim.lastCode)
        }
        #expect(sim.conversions == 16)
    }

    @Test(arguments: MCP3x08Variant.allCases)
    func fullScaleAndZero(variant: MCP3x08Variant) throws {
        let (sim, _, adc) = make(variant)
        sim.setInput(channel: 4, constant: .volts(3.3))
        sim.setInput(channel: 5, constant: .zero)
        let top = Int32(1 << Int(variant.resolutionBits)) - 1
        #expect(try adc.readRaw(channel: 4).value == top)
        #expect(try adc.readRaw(channel: 5).value == 0)
    }

    @Test(arguments: MCP3x08Variant.allCases)
    func differentialPairsWithinOneLSB(variant: MCP3x08Variant) throws {
        let (sim, _, adc) = make(variant)
        for selector in 0..<8 {
            // Table 5-2: even selector = CH(2k)+ CH(2k+1)−, odd = CH(2k)− CH(2k+1)+.
            let even = selector & 6
            let (plus, minus) = selector & 1 == 0 ? (even, even + 1) : (even + 1, even)
            for ch in 0..<8 { sim.setInput(channel: ch, constant: .volts(3.0)) }  // a wrong pair would show
            sim.setInput(channel: plus, constant: .volts(1.7))
            sim.setInput(channel: minus, constant: .volts(0.4))
            expectTruncated(try adc.channel(selector, singleEnded: false).readVoltage(), 1.3, lsb: sim.lsb,
                            "selector \(selector)")
            // Reversed polarity reads 0 (the chip clamps IN+ < IN−).
            sim.setInput(channel: plus, constant: .volts(0.4))
            sim.setInput(channel: minus, constant: .volts(1.7))
            #expect(try adc.readRaw(channel: selector, singleEnded: false).value == 0)
        }
    }

    @Test(arguments: MCP3x08Variant.allCases)
    func samplesAtTheInstantOfTheFrame(variant: MCP3x08Variant) throws {
        let (sim, _, adc) = make(variant)
        sim.setInput(channel: 0) { t in .volts(t < .ms(1) ? 0.5 : 2.5) }
        expectTruncated(try adc.channel(0).readVoltage(), 0.5, lsb: sim.lsb)
        clock.advance(by: .milliseconds(1))
        expectTruncated(try adc.channel(0).readVoltage(), 2.5, lsb: sim.lsb)
        #expect(sim.lastSampleInstant == .ms(1))
    }

    @Test(arguments: [HardwareError.Kind.busFault, .timedOut, .protocolViolation])
    func injectedFaultPropagates(kind: HardwareError.Kind) throws {
        let (sim, device, adc) = make(.mcp3208)
        sim.setInput(channel: 3, constant: .volts(1.0))
        device.faults.failNext(1, with: kind)
        let e = hardwareError { () throws(HardwareError) in _ = try adc.readRaw(channel: 3) }
        #expect(e?.kind == kind)
        #expect(sim.conversions == 0)  // the failed frame never reached the chip
        expectTruncated(try adc.channel(3).readVoltage(), 1.0, lsb: sim.lsb)
    }

    @Test func floatingMISOIsAProtocolViolation() throws {
        // A target that drives nothing: MISO floats high, so the null bit reads 1 and the driver refuses it.
        final class Floating: SimSPITarget {
            func exchange(mosi: UnsafeRawBufferPointer, miso: UnsafeMutableRawBufferPointer) {
                for i in 0..<miso.count { miso[i] = 0xFF }
            }
        }
        let adc = MCP3x08(device: SimSPIDevice(name: "sim:spi0.1", target: Floating()), variant: .mcp3008,
                          reference: .volts(3.3))
        let e = hardwareError { () throws(HardwareError) in _ = try adc.readRaw(channel: 0) }
        #expect(e?.kind == .protocolViolation)
    }
}
