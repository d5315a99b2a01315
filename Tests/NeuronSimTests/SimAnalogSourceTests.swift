import Testing
import NeuronHAL
import NeuronPhysics
import NeuronSim

@Suite("Analogue sources of the ADC models")
struct SimAnalogSourceTests {
    /// A neuron wired straight to an MCP3208 channel reads what its capacitor holds through the front end, at the
    /// instant of each frame, as the closure it replaced did.
    @Test("a neuron source reads the capacitor through the front-end gain at the frame's instant")
    func neuronSource() throws {
        let clock = ManualClock()
        let neuron = SimNeuronChannel(model: PerovskiteNeuron(kind: .deterministic, seed: 1), frontEndGain: 0.5,
                                      noiseRMS: 0, noiseSeed: 1)
        let dac = SimMCP4725(clock: clock, reference: .volts(3.3))
        neuron.connect(dac: dac)
        let adc = SimMCP3x08(variant: .mcp3208, clock: clock, reference: .volts(3.3))
        neuron.connect(adc: adc, channel: 5)
        adc.setInput(channel: 6, .function { _ in .volts(1.0) })
        // Fast-mode write of code 931 (0.75 V): the pulse starts; the deterministic switch fires after 6.9 ms of bias.
        let write: [UInt8] = [0x03, 0xA3]
        try write.withUnsafeBytes { try dac.receive($0) }
        var sawSpike = false
        for step in 1...120 {
            clock.advance(to: MonotonicInstant(nanoseconds: Int64(step) * 100_000))
            let code = adc.code(singleEnded: true, select: 5, at: clock.now)
            let expected = UInt16((neuron.capacitorVoltage(at: clock.now).volts * 0.5 * 4096 / 3.3).rounded(.down))
            #expect(code == expected, "at \(step * 100) us")
            if neuron.capacitorVoltage(at: clock.now).volts > 0.2 { sawSpike = true }
            #expect(adc.code(singleEnded: true, select: 6, at: clock.now) == 1241)  // floor(1.0 / 3.3 * 4096)
        }
        #expect(sawSpike, "the capacitor charged after the switch fired")
    }
}
