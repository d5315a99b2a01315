import NeuronDrivers
import NeuronHAL
import NeuronTestSupport
import Testing

// Frames restated from the datasheets (DS21295D / DS21298E, Figure 6-1 "SPI communication using 8-bit segments"):
//  MCP3008 tx: 0000 0001 | SGL D2 D1 D0 xxxx | xxxx xxxx;  rx1 bit 2 = null bit (0), rx1 bits 1:0 = B9 B8
//  MCP3208 tx: 0000 01 SGL D2 | D1 D0 xx xxxx | xxxx xxxx;  rx1 bit 4 = null bit (0), rx1 bits 3:0 = B11..B8
//  Code = 2^bits · VIN / VREF.

private typealias ADC = MCP3x08<ScriptedSPIDevice>

@Suite("MCP3x08 encoders and decoders")
struct MCP3x08EncodingTests {
    @Test("request frames", arguments: [
        (MCP3x08Variant.mcp3208, 5, true, [0x07, 0x40, 0x00] as [UInt8]),  // 0000 0111 | 01xx xxxx
        (.mcp3208, 3, true, [0x06, 0xC0, 0x00]),
        (.mcp3208, 2, false, [0x04, 0x80, 0x00]),
        (.mcp3208, 6, false, [0x05, 0x80, 0x00]),
        (.mcp3008, 5, true, [0x01, 0xD0, 0x00]),  // SGL=1 D=101
        (.mcp3008, 6, false, [0x01, 0x60, 0x00]),
        (.mcp3008, 0, true, [0x01, 0x80, 0x00]),
    ] as [(MCP3x08Variant, Int, Bool, [UInt8])])
    func request(variant: MCP3x08Variant, channel: Int, singleEnded: Bool, expected: [UInt8]) {
        let b = MCP3x08Wire.encodeRequest(channel: channel, singleEnded: singleEnded, variant: variant)
        #expect([b[0], b[1], b[2]] == expected)
    }

    @Test("replies", arguments: [
        (MCP3x08Variant.mcp3208, [0x00, 0x0A, 0xBC] as [UInt8], UInt16(0xABC) as UInt16?),
        (.mcp3208, [0xE0, 0xE5, 0xA3], 0x5A3),  // Hi-Z bits before the null bit are don't-care
        (.mcp3208, [0xFF, 0xFF, 0xFF], nil),  // MISO floating high: null bit is 1
        (.mcp3208, [0x00, 0x10, 0x00], nil),
        (.mcp3008, [0x00, 0x02, 0xA3], 0x2A3),
        (.mcp3008, [0xF8, 0xF9, 0x5A], 0x15A),
        (.mcp3008, [0x00, 0x04, 0x00], nil),
    ] as [(MCP3x08Variant, [UInt8], UInt16?)])
    func reply(variant: MCP3x08Variant, bytes: [UInt8], expected: UInt16?) {
        #expect(MCP3x08Wire.decodeReply([bytes[0], bytes[1], bytes[2]], variant: variant) == expected)
    }

    @Test("volts = raw · VREF / 2^bits")
    func scaling() {
        #expect(approximately(MCP3x08Wire.voltage(for: ADCCode(2048, bits: 12), reference: .volts(4.096)), 2.048))
        #expect(approximately(MCP3x08Wire.voltage(for: ADCCode(0x2A3, bits: 10), reference: .volts(1.024)), 0.675))
    }
}

@Suite("MCP3x08 on a scripted SPI device")
struct MCP3x08BusTests {
    @Test("MCP3208 channel 5 single-ended")
    func readRawMCP3208() throws {
        try withScriptedSPI([.transfer([0x07, 0x40, 0x00], reply: [0x00, 0x0A, 0xBC])]) { device in
            let adc = MCP3x08(device: device, variant: .mcp3208, reference: .volts(3.3))
            let raw = try adc.readRaw(channel: 5)
            #expect(raw == ADCCode(0xABC, bits: 12))
        }
    }

    @Test("MCP3008 pseudo-differential pair 6 (CH6+ CH7−)")
    func readRawMCP3008() throws {
        try withScriptedSPI([.transfer([0x01, 0x60, 0x00], reply: [0x00, 0x01, 0x5A])]) { device in
            let adc = MCP3x08(device: device, variant: .mcp3008, reference: .volts(3.3))
            let raw = try adc.readRaw(channel: 6, singleEnded: false)
            #expect(raw == ADCCode(0x15A, bits: 10))
        }
    }

    @Test("readRaw: SPI errors are rethrown; a null bit of 1 is a protocol violation")
    func readRawErrors() {
        withScriptedSPI([
            .transfer([0x07, 0x40, 0x00], reply: [0, 0, 0]).failing(.busFault),
            .transfer([0x07, 0x40, 0x00], reply: [0xFF, 0xFF, 0xFF]),
        ]) { device in
            let adc = MCP3x08(device: device, variant: .mcp3208, reference: .volts(3.3))
            let fault = #expect(throws: HardwareError.self) { try adc.readRaw(channel: 5) }
            #expect(fault?.kind == .busFault)
            let floating = #expect(throws: HardwareError.self) { try adc.readRaw(channel: 5) }
            #expect(floating?.kind == .protocolViolation)
        }
    }

    @Test("a channel is an AnalogInput in volts")
    func channel() throws {
        try withScriptedSPI([.transfer([0x06, 0xC0, 0x00], reply: [0x00, 0x08, 0x00])]) { device in
            let adc = MCP3x08(device: device, variant: .mcp3208, reference: .volts(4.096))
            let input: any AnalogInput = adc.channel(3)
            let volts = try input.readVoltage()
            #expect(approximately(volts, 2.048))
            #expect(approximately(adc.channel(3).scale, 0.001))
        }
    }

    @Test("a channel read failure is rethrown")
    func channelError() {
        withScriptedSPI([.transfer([0x01, 0x80, 0x00], reply: [0, 0, 0]).failing(.timedOut)]) { device in
            let adc = MCP3x08(device: device, variant: .mcp3008, reference: .volts(3.3))
            let error = #expect(throws: HardwareError.self) { try adc.channel(0).readVoltage() }
            #expect(error?.kind == .timedOut)
        }
    }
}
