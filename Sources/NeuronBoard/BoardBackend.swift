public import NeuronHAL
public import NeuronDrivers

/// What a board is brought up on: the buses, GPIO lines and clock of simulated chips (`SimulatedBoard`, in
/// NeuronBoardSim) or of the Linux kernel's devices (`LinuxBoard`, in NeuronBoardLinux). `BoardRuntime` builds the
/// same drivers over either, specialised for the backend's concrete types.
///
/// For backend authors: open (or simulate) every bus and line of the description in the initialiser, and hand
/// them out here by the board file's names. A name the description uses but the backend lacks is answered with
/// nil; the runtime turns that into a located `BoardError`.
public protocol BoardBackend: AnyObject {
    associatedtype I2C: I2CBus
    associatedtype SPI: SPIDevice
    associatedtype Output: DigitalOutput
    associatedtype Input: DigitalInput
    associatedtype Clock: MonotonicClock

    var clock: Clock { get }
    /// The adapter of the board file's I2C bus `bus`.
    func i2cBus(named bus: String) -> I2C?
    /// The SPI device `device` on the board file's SPI bus `bus`.
    func spiDevice(bus: String, device: String) -> SPI?
    /// The board file's GPIO output line `line`.
    func outputLine(named line: String) -> Output?
    /// The board file's GPIO input line `line`.
    func inputLine(named line: String) -> Input?
    /// What the backend itself connects for `neuron` once its drivers are built (a simulated board wires the
    /// neuron's physics between its DAC, ADC and lines). Does no bus transfer.
    func wire(_ neuron: NeuronChannel) throws(BoardError)
    /// The membrane input the loop reads once per sample, for a membrane on an MCP3x08: `frontEnd` as the backend
    /// wants it read. `FrontEndInput` is generic, so its own `AnalogInput` witness runs the driver's read path
    /// unspecialised; a backend whose per-sample cost matters wraps it in a non-generic type of its own, whose
    /// witness is compiled for its SPI device with that path inlined.
    func membrane(_ frontEnd: FrontEndInput<MCP3x08Channel<SPI>>) -> any AnalogInput
}

extension BoardBackend {
    /// Nothing to connect: real hardware is wired on the board.
    public func wire(_ neuron: NeuronChannel) throws(BoardError) {}
    /// The front end as it is: a bus transfer costs far more than the generic call.
    public func membrane(_ frontEnd: FrontEndInput<MCP3x08Channel<SPI>>) -> any AnalogInput { frontEnd }
}

/// The one per-neuron builder: DAC, ADC channel and GPIO lines from the description, as drivers over the backend's
/// buses. Generic over the backend, so each backend gets it specialised for its own bus types.
struct NeuronHardwareBuilder<Backend: BoardBackend> {
    let board: BoardDescription
    let backend: Backend

    func hardware(for neuron: NeuronChannel) throws(BoardError) -> BoardRuntime.NeuronHardware {
        let (dac, readBack) = try stimulus(of: neuron)
        let lines = board.lines(of: neuron)
        var stimulus: any AnalogOutput = dac
        if let gateLine = lines.stimulusGate {
            stimulus = gated(dac, try output(gateLine.name, of: neuron, "stimulus-gate"))
        }
        let spikeOut: (any DigitalOutput)? = try lines.spikeOut.map { line throws(BoardError) in try output(line.name, of: neuron, "spike-out") }
        let comparator: (any DigitalInput)? = try lines.comparator.map { line throws(BoardError) in
            guard let input = backend.inputLine(named: line.name) else {
                throw board.unresolved("neurons.\(neuron.name).comparator", "the board brought up has no input line '\(line.name)'.")
            }
            return input
        }
        return BoardRuntime.NeuronHardware(
            channel: neuron, stimulus: stimulus, membrane: try membrane(of: neuron), comparator: comparator,
            spikeOut: spikeOut, readBackStimulus: readBack)
    }

    /// The MCP4725, or the MCP4728 output, that drives `neuron`, and its read-back.
    func stimulus(of neuron: NeuronChannel) throws(BoardError)
        -> (any AnalogOutput, () throws(HardwareError) -> (voltage: Voltage, poweredDown: Bool)) {
        let key = "neurons.\(neuron.name).stimulus"
        let (bus, device) = try board.stimulus(of: neuron)
        let i2c = try i2cBus(bus.name, key)
        let address = try address(of: device, key)
        switch device.configuration {
        case .mcp4725(let c):
            return DACFactory.mcp4725(bus: i2c, address: address, reference: c.reference, clock: backend.clock)
        case .mcp4728(let c):
            guard let label = neuron.stimulusChannel, let index = MCP4728Configuration.channelLabels.firstIndex(of: label) else {
                throw board.unresolved(key, "\(device.name) is a quad DAC and '\(neuron.stimulusChannel ?? "")' is not one of its outputs a-d.")
            }
            return DACFactory.mcp4728Channel(bus: i2c, address: address, configuration: c, index: index, clock: backend.clock)
        case .ads1x15, .mcp3x08, .tmp102:
            throw board.unresolved(key, "\(device.name) is not a DAC.")
        }
    }

    /// The ADC channel that samples `neuron`'s membrane, behind the front end's gain.
    func membrane(of neuron: NeuronChannel) throws(BoardError) -> any AnalogInput {
        let key = "neurons.\(neuron.name).membrane"
        let (bus, device, channel) = try board.membrane(of: neuron)
        let gain = board.frontEnd.membrane.gain
        switch device.configuration {
        case .mcp3x08(let c):
            guard let ch = c.channels.first(where: { $0.label == channel.label }) else { throw board.unresolved(key, "\(device.name) has no channel '\(channel.label)'.") }
            guard let spi = backend.spiDevice(bus: bus.name, device: device.name) else {
                throw board.unresolved(key, "the board brought up has no SPI device '\(device.name)' on bus '\(bus.name)'.")
            }
            let driver = MCP3x08(device: spi, variant: c.chip == .mcp3008 ? .mcp3008 : .mcp3208, reference: c.reference)
            // Differential selections use the positive input's index as D2D1D0 (datasheet table 5-1/5-2).
            return backend.membrane(FrontEndInput(input: driver.channel(ch.positive.index, singleEnded: ch.negative == nil), gain: gain))
        case .ads1x15(let c):
            guard let ch = c.channels.first(where: { $0.label == channel.label }) else { throw board.unresolved(key, "\(device.name) has no channel '\(channel.label)'.") }
            let variant: ADS1x15Variant = c.chip == .ads1115 ? .ads1115 : .ads1015
            let driver = ADS1x15(bus: try i2cBus(bus.name, key), address: try address(of: device, key), variant: variant, clock: backend.clock)
            let rate = variant.dataRate(samplesPerSecond: Int(ch.dataRate.hertz)) ?? .reset
            return FrontEndInput(
                input: driver.channel(mux: ADS1x15Settings.mux(ch.positive, ch.negative), pga: ADS1x15Settings.pga(ch.fullScale), rate: rate, mode: .continuous),
                gain: gain)
        case .mcp4725, .mcp4728, .tmp102:
            throw board.unresolved(key, "\(device.name) is not an ADC.")
        }
    }

    /// The sensor `device` on `bus`, read through its driver.
    func sensor(_ device: Device, on bus: Bus) throws(BoardError) -> BoardRuntime.Sensor {
        let key = "buses.\(bus.name).devices.\(device.name)"
        switch device.configuration {
        case .tmp102:
            let driver = TMP102(bus: try i2cBus(bus.name, key), address: try address(of: device, key))
            return BoardRuntime.Sensor(name: device.name, unit: "°C", conversionRate: .hertz(4)) { () throws(HardwareError) in
                try driver.readTemperature().celsius
            }
        case .mcp4725, .mcp4728, .ads1x15, .mcp3x08:
            throw board.unresolved(key, "\(device.name) is not a sensor.")
        }
    }

    private func i2cBus(_ name: String, _ key: String) throws(BoardError) -> Backend.I2C {
        guard let bus = backend.i2cBus(named: name) else {
            throw board.unresolved(key, "the board brought up has no I2C bus '\(name)'.")
        }
        return bus
    }

    private func address(of device: Device, _ key: String) throws(BoardError) -> I2CAddress {
        guard let address = device.address else { throw board.unresolved(key, "\(device.name) has no I2C address.") }
        return address
    }

    private func output(_ line: String, of neuron: NeuronChannel, _ role: String) throws(BoardError) -> Backend.Output {
        guard let output = backend.outputLine(named: line) else {
            throw board.unresolved("neurons.\(neuron.name).\(role)", "the board brought up has no output line '\(line)'.")
        }
        return output
    }
}

/// The stimulus DACs as `AnalogOutput`s with their read-back (the runtime's builder and the probe share them).
package enum DACFactory {
    /// An MCP4725 stimulus and its read-back.
    package static func mcp4725<Bus: I2CBus, Clock: MonotonicClock>(
        bus: Bus, address: I2CAddress, reference: Voltage, clock: Clock
    ) -> (any AnalogOutput, () throws(HardwareError) -> (voltage: Voltage, poweredDown: Bool)) {
        let dac = MCP4725(bus: bus, address: address, reference: reference, clock: clock)
        return (dac, { () throws(HardwareError) in
            let status = try dac.readBack()
            let volts = status.powerDown == .normal ? dac.reference.volts * Double(status.code.value) / 4096 : 0
            return (Voltage.volts(volts), status.powerDown != .normal)
        })
    }

    /// One MCP4728 output as a stimulus and its read-back (the DAC input register of that channel). `index` is 0...3.
    package static func mcp4728Channel<Bus: I2CBus, Clock: MonotonicClock>(
        bus: Bus, address: I2CAddress, configuration c: MCP4728Configuration, index: Int, clock: Clock
    ) -> (any AnalogOutput, () throws(HardwareError) -> (voltage: Voltage, poweredDown: Bool)) {
        let reference: MCP4728Reference = c.vref == .vdd ? .vdd : .internal2048
        let dac = MCP4728(bus: bus, address: address, vdd: c.vdd, reference: reference, gain: c.gain == 2 ? .x2 : .x1, clock: clock)
        let id = MCP4728ChannelID.allCases[index]
        return (dac.channel(id), { () throws(HardwareError) in
            let r = try dac.readBack()[index].register
            let volts = r.powerDown == .normal
                ? MCP4728Wire.voltage(for: r.code, reference: r.reference, gain: r.gain, vdd: dac.vdd) : .zero
            return (volts, r.powerDown != .normal)
        })
    }
}

/// The ADS1x15 register settings a board file's channel asks for.
package enum ADS1x15Settings {
    package static func mux(_ p: ADS1x15Configuration.Input, _ n: ADS1x15Configuration.Input) -> ADS1x15Config.Mux {
        switch (p, n) {
        case (.ain0, .ain1): .ain0ain1
        case (.ain0, .ain3): .ain0ain3
        case (.ain1, .ain3): .ain1ain3
        case (.ain2, .ain3): .ain2ain3
        case (.ain1, _): .ain1gnd
        case (.ain2, _): .ain2gnd
        case (.ain3, _): .ain3gnd
        default: .ain0gnd
        }
    }

    package static func pga(_ fs: ADS1x15Configuration.FullScale) -> ADS1x15Config.PGA {
        switch fs {
        case .fs6_144: .fsr6_144
        case .fs4_096: .fsr4_096
        case .fs2_048: .fsr2_048
        case .fs1_024: .fsr1_024
        case .fs0_512: .fsr0_512
        case .fs0_256: .fsr0_256
        }
    }
}

/// An ADC channel behind the membrane front end: divides the pin voltage by the front end's gain so the control
/// layer sees the capacitor voltage. One type for every ADC and backend. The loop reaches it through
/// `any AnalogInput`; a generic type's witness runs unspecialised code, so a backend can wrap it in a concrete type
/// (`BoardBackend.membrane`), which inlines this read.
public struct FrontEndInput<Input: AnalogInput>: AnalogInput {
    public let input: Input
    public let gain: Double
    @inlinable @inline(__always)  // into the witness that wraps it: the loop reaches it once per sample
    public func readVoltage() throws(HardwareError) -> Voltage {
        let v = try input.readVoltage()
        return .volts(v.volts / gain)
    }
}

/// `GatedOutput` over an output known only as an existential (the generic function opens it).
func gated<Output: AnalogOutput, Gate: DigitalOutput>(_ output: Output, _ gate: Gate) -> any AnalogOutput {
    GatedOutput(output: output, gate: gate)
}

/// A DAC behind an analogue switch on a GPIO line: the switch closes before the first non-zero output and opens
/// after the DAC has reached its safe state.
final class GatedOutput<Output: AnalogOutput, Gate: DigitalOutput>: AnalogOutput {
    let output: Output
    let gate: Gate
    private var closed = false
    init(output: Output, gate: Gate) {
        self.output = output
        self.gate = gate
    }
    var range: ClosedRange<Voltage> { output.range }
    func setVoltage(_ voltage: Voltage) throws(HardwareError) {
        try output.setVoltage(voltage)
        if !closed {
            try gate.set(.active)
            closed = true
        }
    }
    func enterSafeState() throws(HardwareError) {
        var failure: HardwareError?
        do { try output.enterSafeState() } catch { failure = error }
        // Open the switch whatever the DAC did: the electrode is then floating at 0 V through the bleed path.
        do {
            try gate.set(.inactive)
            closed = false
        } catch { failure = failure ?? error }
        if let failure { throw failure }
    }
}
