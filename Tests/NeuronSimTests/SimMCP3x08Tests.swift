import NeuronHAL
import NeuronSim
import Testing

@Suite struct SimMCP3x08Tests {
    @Test func mcp3208Channel5SingleEnded() throws {
        let clock = ManualClock()
        let adc = SimMCP3x08(variant: .mcp3208, clock: clock, reference: .volts(4.096))
        var sampledAt: MonotonicInstant?
        adc.setInput(channel: 5) { t in sampledAt = t; return .volts(2.5) }
        let dev = SimSPIDevice(name: "sim:spi0.0", target: adc)
        clock.advance(by: .microseconds(123))
        // [0000 0 1 SGL D2] [D1 D0 xxxxxx] [x]: channel 5 = 101
        let r = try spi(dev, [0x04 | 0x02 | 0x01, 0b01 << 6, 0x00])
        let code = (UInt16(r[1] & 0x0F) << 8) | UInt16(r[2])
        #expect(code == 2500)  // floor(4096 · 2.5 / 4.096)
        #expect(r[1] & 0x10 == 0)  // null bit
        #expect(r[0] == 0xFF && r[1] & 0xE0 == 0xE0)  // DOUT high-impedance before it
        #expect(sampledAt == .us(123))
        #expect(adc.lsb.volts == 0.001)
    }

    @Test func mcp3008FrameAndClamping() throws {
        let clock = ManualClock()
        let adc = SimMCP3x08(variant: .mcp3008, clock: clock, reference: .volts(3.3))
        adc.setInput(channel: 2, constant: .volts(1.0))
        adc.setInput(channel: 7, constant: .volts(5.0))
        let dev = SimSPIDevice(name: "sim:spi0.1", target: adc)
        func read(_ sgl: UInt8, _ ch: UInt8) throws -> UInt16 {
            let r = try spi(dev, [0x01, (sgl << 7) | (ch << 4), 0x00])
            #expect(r[1] & 0x04 == 0)  // null bit
            return (UInt16(r[1] & 0x03) << 8) | UInt16(r[2])
        }
        #expect(try read(1, 2) == 310)  // floor(1024 · 1.0 / 3.3)
        #expect(try read(1, 7) == 1023)  // above VREF: full scale
        #expect(try read(1, 0) == 0)
        // Differential: 010 = CH2+/CH3− (1.0 V), 011 = CH2−/CH3+ (−1.0 V → 0).
        #expect(try read(0, 0b010) == 310)
        #expect(try read(0, 0b011) == 0)
        #expect(adc.conversions == 5)
    }

    @Test func bitLevelDecodingAcceptsOtherAlignments() throws {
        // MCP3208 with the start bit as the LSB of byte 0 and the remaining bits shifted: 4-byte frame.
        let clock = ManualClock()
        let adc = SimMCP3x08(variant: .mcp3208, clock: clock, reference: .volts(4.096))
        adc.setInput(channel: 3, constant: .volts(1.234))
        let dev = SimSPIDevice(name: "sim:spi0.0", target: adc)
        // start at bit 7, SGL D2 D1 D0 = 1 011 at bits 8...11, null at 13, B11 at 14 ... B0 at 25.
        let r = try spi(dev, [0x01, 0b1011_0000, 0x00, 0x00])
        let code = ((UInt32(r[1]) << 16 | UInt32(r[2]) << 8 | UInt32(r[3])) >> 6) & 0xFFF
        #expect(code == 1234)
    }
}

@Suite struct SimSPIDeviceTests {
    @Test func injectedFaultDoesNotReachTheModel() throws {
        let clock = ManualClock()
        let adc = SimMCP3x08(variant: .mcp3008, clock: clock, reference: .volts(3.3))
        let dev = SimSPIDevice(name: "sim:spi0.1", target: adc)
        dev.faults.failNext(1, with: .busFault)
        #expect { _ = try spi(dev, [0x01, 0x80, 0x00]) } throws: { e in
            (e as? HardwareError)?.kind == .busFault && (e as? HardwareError)?.device == "sim:spi0.1"
        }
        #expect(adc.conversions == 0)
        _ = try spi(dev, [0x01, 0x80, 0x00])
        #expect(adc.conversions == 1 && dev.transactionCount == 2)
    }
}
