import Testing
import NeuronHAL
import NeuronSim

/// The word-wide fast path (frames up to 8 bytes) must answer exactly like the bit-by-bit path (longer frames).
@Suite("SimMCP3x08 fast path")
struct SimMCP3x08FastPathTests {
    @Test("3-byte frames agree with the same frame behind 6 leading zero bytes", arguments: [SimMCP3x08.Variant.mcp3008, .mcp3208])
    func agrees(variant: SimMCP3x08.Variant) {
        let clock = ManualClock()
        let adc = SimMCP3x08(variant: variant, clock: clock, reference: .volts(3.3))
        for ch in 0..<8 { adc.setInput(channel: ch, constant: .volts(0.1 + 0.37 * Double(ch))) }
        var rng = SimRandom(seed: 5)
        for _ in 0..<500 {
            let frame: [UInt8] = [UInt8(truncatingIfNeeded: rng.next() & 0x0F), UInt8(truncatingIfNeeded: rng.next()), UInt8(truncatingIfNeeded: rng.next())]
            let short = exchange(adc, frame)
            let long = exchange(adc, [0, 0, 0, 0, 0, 0] + frame)
            #expect(Array(long.suffix(3)) == short, "frame \(frame)")
            #expect(long.prefix(6).allSatisfy { $0 == 0xFF })
        }
    }

    @Test("frames of 1 to 8 bytes agree with the bit-by-bit path, including the LSB-first repeat", arguments: [SimMCP3x08.Variant.mcp3008, .mcp3208])
    func everyLength(variant: SimMCP3x08.Variant) {
        let clock = ManualClock()
        let adc = SimMCP3x08(variant: variant, clock: clock, reference: .volts(3.3))
        for ch in 0..<8 { adc.setInput(channel: ch, constant: .volts(0.05 + 0.41 * Double(ch))) }
        var rng = SimRandom(seed: 11)
        for length in 1...8 {
            for _ in 0..<200 {
                var frame = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                // Start bits late in the frame too, where the reply is cut short.
                let zeros = Int(rng.next() % UInt64(length))
                for i in 0..<zeros { frame[i] = 0 }
                let short = exchange(adc, frame)
                let long = exchange(adc, [UInt8](repeating: 0, count: 9) + frame)  // > 8 bytes: the bit-by-bit path
                #expect(Array(long.suffix(length)) == short, "frame \(frame)")
            }
        }
    }

    @Test("the transfer function clamps: negative and NaN inputs read 0, VREF and above read full scale")
    func clamps() {
        let clock = ManualClock()
        let adc = SimMCP3x08(variant: .mcp3208, clock: clock, reference: .volts(3.3))
        adc.setInput(channel: 0, constant: .volts(-0.2))
        adc.setInput(channel: 1, .function { _ in .volts(.nan) })
        adc.setInput(channel: 2, constant: .volts(3.3))
        adc.setInput(channel: 3, constant: .volts(9))
        adc.setInput(channel: 4, constant: .volts(3.3 * 2748.5 / 4096))  // 0xABC and a half: truncates
        #expect(adc.code(singleEnded: true, select: 0, at: .zero) == 0)
        #expect(adc.code(singleEnded: true, select: 1, at: .zero) == 0)
        #expect(adc.code(singleEnded: true, select: 2, at: .zero) == 4095)
        #expect(adc.code(singleEnded: true, select: 3, at: .zero) == 4095)
        #expect(adc.code(singleEnded: true, select: 4, at: .zero) == 0xABC)
        #expect(adc.code(singleEnded: false, select: 0, at: .zero) == 0)  // CH0+ below CH1−... both invalid: 0
    }

    func exchange(_ adc: SimMCP3x08, _ tx: [UInt8]) -> [UInt8] {
        var rx = [UInt8](repeating: 0, count: tx.count)
        tx.withUnsafeBytes { w in rx.withUnsafeMutableBytes { r in adc.exchange(mosi: w, miso: r) } }
        return rx
    }
}
