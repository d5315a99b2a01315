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

    func exchange(_ adc: SimMCP3x08, _ tx: [UInt8]) -> [UInt8] {
        var rx = [UInt8](repeating: 0, count: tx.count)
        tx.withUnsafeBytes { w in rx.withUnsafeMutableBytes { r in adc.exchange(mosi: w, miso: r) } }
        return rx
    }
}
