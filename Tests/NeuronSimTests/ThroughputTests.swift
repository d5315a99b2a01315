import NeuronHAL
import NeuronSim
import Testing

@Suite struct ThroughputTests {
    /// Simulated seconds of a 10 kHz membrane loop: set the DAC rarely, read the ADC 10 000 times a second. The goal is
    /// ≥ 1000× real time in release builds; this debug-build check uses a loose bound (a shared 2-core machine).
    @Test func tenThousandADCReadsPerSimulatedSecond() throws {
        let clock = ManualClock()
        let bus = SimI2CBus(name: "sim:i2c1")
        let adc = SimADS1x15(variant: .ads1015, clock: clock)
        let dac = SimMCP4725(clock: clock, reference: .volts(3.3))
        bus.attach(adc, at: I2CAddress(0x48))
        bus.attach(dac, at: I2CAddress(0x60))
        adc.setInput(0) { t in .volts(0.5 + 0.1 * (t.seconds * 7).truncatingRemainder(dividingBy: 1)) }
        // AIN0 vs GND, ±2.048 V, continuous, 3300 SPS.
        let cfg: [UInt8] = [0x01, 0b0100_0100, 0b1100_0011]
        try cfg.withUnsafeBytes { w in
            try bus.transaction(I2CAddress(0x48), write: w, read: UnsafeMutableRawBufferPointer(start: nil, count: 0))
        }
        var pointer: UInt8 = 0
        var reply: (UInt8, UInt8) = (0, 0)
        var sum = 0
        var start = ContinuousClock.now
        for i in 1...110_000 {
            if i == 10_001 { start = ContinuousClock.now }  // the first simulated second warms up metadata caches
            clock.sleep(until: MonotonicInstant(nanoseconds: Int64(i) * 100_000))
            try withUnsafeBytes(of: &pointer) { w in
                try withUnsafeMutableBytes(of: &reply) { r in try bus.transaction(I2CAddress(0x48), write: w, read: r) }
            }
            sum &+= Int(reply.0)
        }
        let elapsed = ContinuousClock.now - start
        #expect(sum > 0)
        #expect(adc.conversionsCompleted <= 11 * 3300)  // lazily: at most one per conversion period
        #expect(elapsed < .seconds(10), "10 simulated seconds took \(elapsed)")
        print("100 000 ADS1015 reads (10 simulated seconds): \(elapsed)")
    }
}
