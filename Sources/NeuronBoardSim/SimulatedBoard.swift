public import NeuronConfig
public import NeuronHAL
public import NeuronSim
public import NeuronPhysics
import NeuronDrivers

/// A board brought up from its description: buses opened, drivers built, and for a simulated board the chip models
/// attached and fed by the neuron physics. The application reaches hardware only through `neuron(id:)`, which
/// hands out HAL protocols; tests reach the simulated chips through `simulation`.
///
/// Not thread-safe: hand it to one thread (the loop's) and keep it there.
public final class BoardRuntime {
    public let description: BoardDescription
    public let clock: any MonotonicClock
    /// The simulated chips and neurons, when the board is simulated.
    public let simulation: SimulatedBoard?
    /// The Linux buses and lines, when the board is real hardware (`simulated: false`).
    public let linux: LinuxBoard?
    private var channels: [Int: NeuronHardware] = [:]

    /// What the control layer gets for one neuron.
    public struct NeuronHardware {
        public let channel: NeuronChannel
        /// The stimulus output; when the board has a stimulus gate, it is closed on the first write and opened
        /// again by `enterSafeState()`.
        public let stimulus: any AnalogOutput
        /// The capacitor (membrane) voltage, with the front end's gain already divided out.
        public let membrane: any AnalogInput
        public let comparator: (any DigitalInput)?
        public let spikeOut: (any DigitalOutput)?
        /// Reads the stimulus DAC back over its bus: the voltage it outputs and whether it is powered down.
        public let readBackStimulus: () throws(HardwareError) -> (voltage: Voltage, poweredDown: Bool)
    }

    /// How to override the board file's simulation settings from the command line.
    public struct SimulationOverrides: Sendable {
        public var seed: UInt64?
        public var model: NeuronModelKind?
        /// Whether the simulated chips and neurons keep their logs (every DAC write, line change, switching event).
        /// Useful in tests; off for long runs, where the logs grow without bound.
        public var recordsHistory: Bool
        /// A file holding the DAC registers and GPIO outputs across processes (see `SimStateFile`): the board
        /// starts from the registers in it, and every change is stored in it. nil: the chips live in this process.
        public var stateFile: String?
        public init(seed: UInt64? = nil, model: NeuronModelKind? = nil, recordsHistory: Bool = true, stateFile: String? = nil) {
            self.seed = seed
            self.model = model
            self.recordsHistory = recordsHistory
            self.stateFile = stateFile
        }
    }

    /// Brings the board up. Building does no bus transfer; the first transfer is the loop's first write. A real
    /// board (`simulated: false`) opens its i2c-dev and spidev nodes and requests its GPIO lines here (outputs take
    /// their `initial` values), and fails with the node, the errno and the fix if one cannot be opened.
    public init(_ description: BoardDescription, overrides: SimulationOverrides = SimulationOverrides()) throws(BoardError) {
        self.description = description
        guard description.board.simulated else {
            // Real hardware: open the Linux buses and request the GPIO lines (no bus transfer yet).
            let linux = try LinuxBoard(description)
            self.simulation = nil
            self.linux = linux
            self.clock = linux.clock
            for neuron in description.neurons {
                channels[neuron.id] = linux.hardware(for: neuron)
            }
            return
        }
        let sim = SimulatedBoard(description, overrides: overrides)
        if let path = overrides.stateFile {
            // Restore before the physics is connected (it reads the DAC as it finds it), store after.
            sim.stateFile = try SimStateFile(path: path, dacs: sim.stateRegisters, lines: sim.gpio.outputLines, source: description.source)
        }
        self.simulation = sim
        self.linux = nil
        self.clock = sim.clock
        for neuron in description.neurons {
            channels[neuron.id] = sim.hardware(for: neuron)
        }
        sim.stateFile?.attach(dacs: sim.stateRegisters, lines: sim.gpio.outputLines)
    }

    /// Every neuron's stimulus to its safe state (DAC at 0 V and powered down, gate open), each tried even when
    /// another failed: what the supervisor and `neuronctl safe-state` do after a controller died. Returns one line
    /// per neuron saying what the DAC reads back, and whether all reached the safe state.
    public func enterSafeStateEverywhere() -> (reached: Bool, report: [String]) {
        var ok = true
        var lines: [String] = []
        for neuron in description.neurons {
            guard let hw = channels[neuron.id] else { continue }
            var failure: HardwareError?
            do { try hw.stimulus.enterSafeState() } catch {
                // One retry, as SafeStimulusOutput does: a single NAK must not leave the chip biased.
                do { try hw.stimulus.enterSafeState() } catch { failure = error }
            }
            let readBack: String
            do {
                let r = try hw.readBackStimulus()
                readBack = "DAC reads back \(r.voltage)\(r.poweredDown ? ", powered down" : "")"
                if !r.poweredDown || r.voltage != .zero { ok = false }
            } catch {
                readBack = "DAC read-back FAILED: \(error)"
                ok = false
            }
            if failure != nil { ok = false }
            lines.append("neuron \(neuron.id): " + (failure.map { "safe state FAILED: \($0); " } ?? "safe state reached; ") + readBack)
        }
        return (ok, lines)
    }

    /// A sensor the board file declares (`kind: sensor`, e.g. `ti,tmp102`), read through its driver on the board's
    /// bus (the simulated bus on a simulated board). `read` does one bus transaction and returns the value in
    /// `unit`; it belongs to the loop thread, like every other handle of the board.
    public struct Sensor {
        public let name: String
        /// `°C` for a TMP102.
        public let unit: String
        /// How often the chip produces a fresh value (TMP102: its power-up 4 Hz conversion rate).
        public let conversionRate: Frequency
        public let read: () throws(HardwareError) -> Double
    }

    /// The sensor named `name`, or a `BoardError` listing the board's sensors.
    public func sensor(named name: String) throws(BoardError) -> Sensor {
        let sensors = description.buses.flatMap(\.devices).filter { $0.kind == .sensor }
        guard let (bus, device) = description.device(named: name), device.kind == .sensor else {
            let names = sensors.map(\.name)
            throw BoardError(
                source: description.source, keyPath: "buses", line: nil, column: nil,
                problem: "the board has no sensor named '\(name)'.",
                fix: names.isEmpty ? "add one, e.g. `temp0: { compatible: ti,tmp102, address: 0x49 }` under an i2c bus"
                    : "choose one of: \(names.joined(separator: ", "))")
        }
        switch device.configuration {
        case .tmp102:
            let read: () throws(HardwareError) -> Double
            if let simulation {
                let driver = TMP102(bus: simulation.i2cBuses[bus.name]!, address: device.address!)
                read = { () throws(HardwareError) in try driver.readTemperature().celsius }
            } else {
                let driver = TMP102(bus: linux!.i2cBuses[bus.name]!, address: device.address!)
                read = { () throws(HardwareError) in try driver.readTemperature().celsius }
            }
            return Sensor(name: name, unit: "°C", conversionRate: .hertz(4), read: read)
        case .mcp4725, .mcp4728, .ads1x15, .mcp3x08:
            preconditionFailure("only sensors have kind .sensor")
        }
    }

    /// The hardware of the neuron with channel id `id`.
    public func neuron(id: Int) throws(BoardError) -> NeuronHardware {
        guard let hw = channels[id] else {
            let ids = description.neurons.map { String($0.id) }.joined(separator: ", ")
            throw BoardError(
                source: description.source, keyPath: "neurons", line: nil, column: nil,
                problem: "the board has no neuron with id \(id).", fix: "choose one of: \(ids)")
        }
        return hw
    }
}

/// The simulated side of a board: manual clock, sim buses with chip models, GPIO lines, and one
/// `SimNeuronChannel` per neuron. Real drivers talk to the models over the sim buses.
public final class SimulatedBoard {
    public let clock = ManualClock()
    public let model: NeuronModelKind
    public let seed: UInt64
    let recordsHistory: Bool
    public private(set) var i2cBuses: [String: SimI2CBus] = [:]
    public private(set) var spiDevices: [String: SimSPIDevice] = [:]
    public private(set) var dacs: [String: SimMCP4725] = [:]
    public private(set) var ads: [String: SimADS1x15] = [:]
    public private(set) var mcp3x08: [String: SimMCP3x08] = [:]
    public private(set) var mcp4728: [String: SimMCP4728] = [:]
    public private(set) var tmp102: [String: SimTMP102] = [:]
    public let gpio: SimGPIOChip
    /// The physics of each neuron, by channel id.
    public private(set) var neurons: [Int: SimNeuronChannel] = [:]
    private let board: BoardDescription
    var stateFile: SimStateFile?

    init(_ board: BoardDescription, overrides: BoardRuntime.SimulationOverrides) {
        self.board = board
        let settings = board.simulation
        seed = overrides.seed ?? settings?.seed ?? 1
        recordsHistory = overrides.recordsHistory
        model = overrides.model ?? (settings?.model == .paper ? .paper : .device)
        gpio = SimGPIOChip(name: board.gpio?.chip ?? "gpiochip0", clock: clock)
        for bus in board.buses {
            switch bus.kind {
            case .i2c:
                let simBus = SimI2CBus(name: "sim:\(bus.name)")
                i2cBuses[bus.name] = simBus
                for device in bus.devices {
                    guard let address = device.address else { continue }
                    switch device.configuration {
                    case .mcp4725(let c):
                        let m = SimMCP4725(clock: clock, reference: c.reference)
                        m.recordsWrites = overrides.recordsHistory
                        dacs[device.name] = m
                        simBus.attach(m, at: address)
                    case .ads1x15(let c):
                        let m = SimADS1x15(variant: c.chip == .ads1115 ? .ads1115 : .ads1015, clock: clock)
                        ads[device.name] = m
                        simBus.attach(m, at: address)
                    case .mcp4728(let c):
                        let m = SimMCP4728(clock: clock, vdd: c.vdd, addressBits: address.rawValue & 0b111)
                        m.recordsWrites = overrides.recordsHistory
                        mcp4728[device.name] = m
                        simBus.attach(m, at: address)
                    case .tmp102:
                        let ramp = settings?.temperature ?? Simulation.TemperatureRamp()
                        let m = SimTMP102(clock: clock) { ramp.celsius(atSeconds: $0.seconds) }
                        tmp102[device.name] = m
                        simBus.attach(m, at: address)
                    case .mcp3x08:
                        continue  // an SPI chip; validation keeps it off I2C buses
                    }
                }
            case .spi:
                for device in bus.devices {
                    guard case .mcp3x08(let c) = device.configuration else { continue }
                    let m = SimMCP3x08(variant: c.chip == .mcp3008 ? .mcp3008 : .mcp3208, clock: clock, reference: c.reference)
                    mcp3x08[device.name] = m
                    spiDevices[device.name] = SimSPIDevice(name: "sim:\(bus.name)", target: m)
                }
            }
        }
        for line in board.gpio?.lines ?? [] {
            switch line.direction {
            case .input: _ = gpio.input(line.name, activeLow: line.activeLow)
            case .output:
                gpio.output(line.name, activeLow: line.activeLow, initial: line.initial).recordsHistory = overrides.recordsHistory
            }
        }
    }

    /// Every DAC register a state file keeps: each MCP4725 by name, each MCP4728 output as `name/a` ... `name/d`.
    var stateRegisters: [String: SimStateFile.DACRegister] {
        var out: [String: SimStateFile.DACRegister] = [:]
        for (name, dac) in dacs { out[name] = SimStateFile.DACRegister(dac) }
        for (name, dac) in mcp4728 {
            guard case .mcp4728(let c)? = board.device(named: name)?.device.configuration else { continue }
            for (i, label) in MCP4728Configuration.channelLabels.enumerated() {
                out["\(name)/\(label)"] = SimStateFile.DACRegister(
                    dac, channel: i, internalReference: c.vref == .internal, gainTwo: c.gain == 2)
            }
        }
        return out
    }

    func hardware(for neuron: NeuronChannel) -> BoardRuntime.NeuronHardware {
        var parameters = NeuronParameters()
        parameters.capacitanceFarads = neuron.capacitance.farads
        if let r = board.frontEnd.membrane.inputImpedance { parameters.dischargeResistanceOhms = r.ohms }
        let gain = board.frontEnd.membrane.gain
        // Each neuron gets its own stream, derived from the board seed and its id.
        let neuronSeed = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(truncatingIfNeeded: neuron.id)
        let physics = SimNeuronChannel(
            model: PerovskiteNeuron(kind: model, parameters: parameters, seed: neuronSeed),
            frontEndGain: gain, noiseSeed: neuronSeed)
        physics.recordsHistory = recordsHistory
        neurons[neuron.id] = physics

        // Stimulus: the MCP4725 or MCP4728 driver over the sim I2C bus, feeding the physics.
        let (dacBus, dacDevice) = board.stimulus(of: neuron)
        let dac: any AnalogOutput
        let readBack: () throws(HardwareError) -> (voltage: Voltage, poweredDown: Bool)
        if case .mcp4728(let c) = dacDevice.configuration {
            let index = MCP4728Configuration.channelLabels.firstIndex(of: neuron.stimulusChannel!)!
            physics.connect(dac: mcp4728[dacDevice.name]!, channel: index)
            (dac, readBack) = Self.mcp4728Channel(
                bus: i2cBuses[dacBus.name]!, address: dacDevice.address!, configuration: c, index: index, clock: clock)
        } else {
            physics.connect(dac: dacs[dacDevice.name]!)
            (dac, readBack) = Self.mcp4725(
                bus: i2cBuses[dacBus.name]!, address: dacDevice.address!, reference: dacDevice.reference!, clock: clock)
        }
        let lines = board.lines(of: neuron)
        var stimulus: any AnalogOutput = dac
        if let gateLine = lines.stimulusGate, let gate = gpio.outputLine(named: gateLine.name) {
            physics.connect(gate: gate)
            stimulus = gated(dac, gate)
        }

        // Membrane: the ADC channel the board names, fed by the capacitor node through the front end.
        let (_, adcDevice, adcChannel) = board.membrane(of: neuron)
        let membrane: any AnalogInput
        switch adcDevice.configuration {
        case .mcp3x08(let c):
            let ch = c.channels.first { $0.label == adcChannel.label }!
            physics.connect(adc: mcp3x08[adcDevice.name]!, channel: ch.positive.index)
            let driver = MCP3x08(device: spiDevices[adcDevice.name]!, variant: c.chip == .mcp3008 ? .mcp3008 : .mcp3208, reference: c.reference)
            // Differential selections use the positive input's index as D2D1D0 (datasheet table 5-1/5-2).
            membrane = SimMCP3x08Input(channel: driver.channel(ch.positive.index, singleEnded: ch.negative == nil), gain: gain)
        case .ads1x15(let c):
            let ch = c.channels.first { $0.label == adcChannel.label }!
            let variant: ADS1x15Variant = c.chip == .ads1115 ? .ads1115 : .ads1015
            let model = ads[adcDevice.name]!
            physics.connect(adc: model, pin: Self.pin(ch.positive))
            let driver = ADS1x15(bus: i2cBuses[board.device(named: adcDevice.name)!.bus.name]!, address: adcDevice.address!,
                                 variant: variant, clock: clock)
            let rate = variant.dataRate(samplesPerSecond: Int(ch.dataRate.hertz)) ?? .reset
            membrane = FrontEndInput(
                input: driver.channel(mux: Self.mux(ch.positive, ch.negative), pga: Self.pga(ch.fullScale), rate: rate, mode: .continuous),
                gain: gain)
        case .mcp4725, .mcp4728, .tmp102:
            preconditionFailure("validation guarantees the membrane is an ADC")
        }

        if let comparatorLine = lines.comparator, let line = gpio.inputLine(named: comparatorLine.name),
           let threshold = board.frontEnd.comparatorThreshold {
            physics.connect(comparator: line, threshold: threshold)
        }
        let spikeOut: (any DigitalOutput)? = lines.spikeOut.flatMap { gpio.outputLine(named: $0.name) }
        let comparator: (any DigitalInput)? = lines.comparator.flatMap { gpio.inputLine(named: $0.name) }
        return BoardRuntime.NeuronHardware(
            channel: neuron, stimulus: stimulus, membrane: membrane, comparator: comparator, spikeOut: spikeOut,
            readBackStimulus: readBack)
    }

    /// An MCP4725 stimulus and its read-back (shared by the simulated and the Linux board).
    static func mcp4725<Bus: I2CBus, Clock: MonotonicClock>(
        bus: Bus, address: I2CAddress, reference: Voltage, clock: Clock
    ) -> (any AnalogOutput, () throws(HardwareError) -> (voltage: Voltage, poweredDown: Bool)) {
        let dac = MCP4725(bus: bus, address: address, reference: reference, clock: clock)
        return (dac, { () throws(HardwareError) in
            let status = try dac.readBack()
            let volts = status.powerDown == .normal ? dac.reference.volts * Double(status.code.value) / 4096 : 0
            return (Voltage.volts(volts), status.powerDown != .normal)
        })
    }

    /// One MCP4728 output as a stimulus and its read-back (the DAC input register of that channel).
    static func mcp4728Channel<Bus: I2CBus, Clock: MonotonicClock>(
        bus: Bus, address: I2CAddress, configuration c: MCP4728Configuration, index: Int, clock: Clock
    ) -> (any AnalogOutput, () throws(HardwareError) -> (voltage: Voltage, poweredDown: Bool)) {
        let reference: MCP4728Reference = c.vref == .vdd ? .vdd : .internal2048
        let dac = MCP4728(bus: bus, address: address, vdd: c.vdd, reference: reference, gain: c.gain == 2 ? .x2 : .x1, clock: clock)
        let id = MCP4728ChannelID(rawValue: UInt8(index))!
        return (dac.channel(id), { () throws(HardwareError) in
            let r = try dac.readBack()[index].register
            let volts = r.powerDown == .normal
                ? MCP4728Wire.voltage(for: r.code, reference: r.reference, gain: r.gain, vdd: dac.vdd) : .zero
            return (volts, r.powerDown != .normal)
        })
    }

    static func pin(_ input: ADS1x15Configuration.Input) -> Int {
        switch input {
        case .ain0: 0
        case .ain1: 1
        case .ain2: 2
        case .ain3, .gnd: 3
        }
    }

    static func mux(_ p: ADS1x15Configuration.Input, _ n: ADS1x15Configuration.Input) -> ADS1x15Config.Mux {
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

    static func pga(_ fs: ADS1x15Configuration.FullScale) -> ADS1x15Config.PGA {
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

/// The membrane channel of a simulated board as a concrete, non-generic type. The loop calls it through
/// `any AnalogInput`; a generic type's witness would run the unspecialised driver code (metadata look-ups on every
/// sample), while this one is compiled for `SimSPIDevice`, with the driver's @inlinable read path inlined.
struct SimMCP3x08Input: AnalogInput {
    let channel: MCP3x08Channel<SimSPIDevice>
    let gain: Double
    @inline(__always)  // into its protocol witness: the loop reaches it through that, once per sample
    func readVoltage() throws(HardwareError) -> Voltage {
        let v = try channel.readVoltage()
        return .volts(v.volts / gain)
    }
}

/// An ADC channel behind the membrane front end: divides the pin voltage by the front end's gain so the control
/// layer sees the capacitor voltage.
struct FrontEndInput<Input: AnalogInput>: AnalogInput {
    let input: Input
    let gain: Double
    func readVoltage() throws(HardwareError) -> Voltage {
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

/// What a neuron's stimulus DAC holds after a run, read back over its bus.
public struct DACReadBack: Sendable {
    /// The voltage it outputs; nil when every read failed.
    public var voltage: Voltage?
    public var poweredDown: Bool
    /// Reads that failed before the one that answered (or all of them).
    public var failedReads: Int
    public var lastError: HardwareError?

    /// For summaries: "DAC reads back 0.000 V, powered down", with the failed reads when there were any.
    public var text: String {
        guard let voltage else { return "DAC read-back FAILED after \(failedReads) reads: \(lastError.map { "\($0)" } ?? "no answer")" }
        let retried = failedReads == 0 ? "" : " (after \(failedReads) failed read\(failedReads == 1 ? "" : "s"))"
        return "DAC reads back \(voltage)\(poweredDown ? ", powered down" : "")\(retried)"
    }
}

extension BoardRuntime.NeuronHardware {
    /// Reads the stimulus DAC back, up to `attempts` times while the bus fails: a read changes nothing on the chip,
    /// so repeating it is safe, and one NAK on a noisy bus should not turn a safe state that was reached into an
    /// unknown one in the report. A DAC that never answers is reported with the last error.
    public func readBackStimulus(attempts: Int) -> DACReadBack {
        precondition(attempts >= 1, "at least one read")
        var failures = 0
        var last: HardwareError?
        while failures < attempts {
            do {
                let r = try readBackStimulus()
                return DACReadBack(voltage: r.voltage, poweredDown: r.poweredDown, failedReads: failures, lastError: last)
            } catch {
                failures += 1
                last = error
            }
        }
        return DACReadBack(voltage: nil, poweredDown: false, failedReads: failures, lastError: last)
    }
}
