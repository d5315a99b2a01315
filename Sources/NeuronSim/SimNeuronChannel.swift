public import NeuronHAL
public import NeuronPhysics

/// The analogue side of one simulated neuron: the physics model between a DAC output and an ADC input.
///
/// Wiring, as on the mock board: DAC VOUT (through the optional stimulus gate, an analogue switch) drives the top
/// electrode; the capacitor node goes through the front end (buffer gain × divider) to the ADC pin. The physics is
/// advanced lazily, whenever the DAC changes or an ADC samples, so it costs nothing between samples and is exact
/// (the circuit is solved in closed form between events).
///
/// Causality: the physics never runs backwards; a query for an earlier instant returns the present state. Chip
/// models query at `clock.now`, which only moves forward, so this does not arise in the loop.
///
/// Not thread-safe: one thread owns a simulated board. The chip models' hooks hold this channel unretained
/// (`unowned(unsafe)`, or `SimAnalogSource.neuron` on the per-sample ADC path, so a sample costs no reference
/// counting):
/// whoever builds the wiring keeps the channel alive as long as the chips, as `SimulatedBoard` does.
public final class SimNeuronChannel {
    /// The physics, behind a pointer: it is mutated on every ADC sample, and a plain stored property of a class
    /// would pay a dynamic exclusivity check each time (one thread owns a sim board, so none is needed).
    private let storage: UncheckedStorage<PerovskiteNeuron>
    public var model: PerovskiteNeuron { storage.pointer.pointee }
    /// Front-end gain from the capacitor node to the ADC pin.
    public let frontEndGain: Double
    /// RMS noise added at the ADC pin (amplifier and reference noise of a real front end), volts; approximately
    /// Gaussian (`SeededGenerator.nextNoise`).
    public let noiseRMS: Double
    // Touched on every stimulus edge; one thread owns a sim board, so the dynamic exclusivity checks are skipped.
    /// The DAC voltage at its pin, and whether the stimulus gate connects it.
    @exclusivity(unchecked) public private(set) var dacVolts = 0.0
    @exclusivity(unchecked) public private(set) var gateClosed = true
    /// Keep `stimulusLog` and `switchEvents` (ground truth for tests). Off for long runs: the logs grow without
    /// bound and allocate as they grow.
    @exclusivity(unchecked) public var recordsHistory = true
    /// Every stimulus change the neuron saw, for tests (instant, volts at the electrode). Rare: two per pulse.
    @exclusivity(unchecked) public private(set) var stimulusLog: [(MonotonicInstant, Voltage)] = []
    /// Every switching event of the physics, in order (the ground truth for detector tests). Appended when a
    /// query notices a new one: a few per second, so it does not matter on the hot path.
    @exclusivity(unchecked) public private(set) var switchEvents: [NeuronSwitchEvent] = []
    @exclusivity(unchecked) private var noise: SeededGenerator

    public init(model: PerovskiteNeuron, frontEndGain: Double = 1, noiseRMS: Double = 0.5e-3, noiseSeed: UInt64) {
        self.storage = UncheckedStorage(model)
        self.frontEndGain = frontEndGain
        self.noiseRMS = noiseRMS
        self.noise = SeededGenerator(seed: noiseSeed ^ 0x6E6F_6973_65)
    }

    /// Connects the DAC model's output to the electrode.
    public func connect(dac: SimMCP4725) {
        dac.onOutputChange = { [unowned(unsafe) self] instant, voltage in
            self.dacVolts = voltage.volts
            self.apply(at: instant)
        }
    }

    /// Connects output `channel` (0 = A ... 3 = D) of a quad DAC model to the electrode. Other channels' changes go
    /// to whatever was connected before (another neuron on the same chip).
    public func connect(dac: SimMCP4728, channel: Int) {
        let previous = dac.onOutputChange
        dac.onOutputChange = { [unowned(unsafe) self] changed, instant, voltage in
            guard changed == channel else {
                previous?(changed, instant, voltage)
                return
            }
            self.dacVolts = voltage.volts
            self.apply(at: instant)
        }
    }

    /// Connects the gate line (an analogue switch in series with the DAC): the electrode sees 0 V while inactive.
    public func connect(gate: SimOutputLine) {
        gateClosed = gate.value.isActive
        gate.onChange = { [unowned(unsafe) self] instant, value in
            self.gateClosed = value.isActive
            self.apply(at: instant)
        }
    }

    @inline(__always)
    private func advance(to instant: MonotonicInstant) {
        let m = storage.pointer
        let before = m.pointee.spikeCount
        m.pointee.advance(to: instant.seconds)
        if m.pointee.spikeCount != before, recordsHistory, let e = m.pointee.lastEvent { switchEvents.append(e) }
    }

    private func apply(at instant: MonotonicInstant) {
        let v = gateClosed ? dacVolts : 0
        advance(to: instant)
        storage.pointer.pointee.setInput(v, at: instant.seconds)
        if recordsHistory { stimulusLog.append((instant, .volts(v))) }
    }

    /// The capacitor voltage at `instant` (advancing the physics), without front end or noise.
    public func capacitorVoltage(at instant: MonotonicInstant) -> Voltage {
        advance(to: instant)
        return .volts(storage.pointer.pointee.capacitorVolts)
    }

    /// What the ADC pin sees at `instant`: capacitor × front-end gain + noise.
    @inline(__always)
    public func adcPinVoltage(at instant: MonotonicInstant) -> Voltage {
        advance(to: instant)
        let n = noiseRMS > 0 ? noiseRMS * noise.nextNoise() : 0
        return .volts(storage.pointer.pointee.capacitorVolts * frontEndGain + n)
    }

    /// Feeds an MCP3x08 channel from the capacitor node (held unretained: see `SimAnalogSource`).
    public func connect(adc: SimMCP3x08, channel: Int) {
        adc.setInput(channel: channel, .neuron(self))
    }

    /// Feeds an ADS1x15 input pin from the capacitor node (held unretained: see `SimAnalogSource`).
    public func connect(adc: SimADS1x15, pin: Int) {
        adc.setInput(pin, .neuron(self))
    }

    /// Drives a comparator input line: active while the capacitor node is above `threshold`, scanned at
    /// `resolution` (10 µs resolves a 0.3 ms rise).
    public func connect(comparator line: SimInputLine, threshold: Voltage, resolution: Duration = .microseconds(10)) {
        line.setSource({ [unowned(unsafe) self] t in self.capacitorVoltage(at: t) > threshold }, resolution: resolution)
    }
}
