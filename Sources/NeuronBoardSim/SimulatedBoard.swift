public import NeuronConfig
public import NeuronHAL
public import NeuronDrivers
public import NeuronSim
public import NeuronPhysics
public import NeuronBoard

extension BoardRuntime {
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

    /// Brings the simulated board `description` up: sim buses with the chip models its compatibles name, fed by the
    /// neuron physics, on a manual clock. With `overrides.stateFile`, the DAC registers and GPIO outputs start from
    /// that file and are kept in it.
    public convenience init(simulating description: BoardDescription, overrides: SimulationOverrides = SimulationOverrides())
        throws(BoardError) {
        guard description.board.simulated else {
            throw BoardError(
                source: description.source, keyPath: "board.simulated",
                problem: "the board describes real hardware (`simulated: false`); its chips have no simulated models to bring up.",
                fix: "bring it up on the Linux backends (NeuronBoardLinux), or set `simulated: true` with a `simulation` section")
        }
        let sim = SimulatedBoard(description, overrides: overrides)
        if let path = overrides.stateFile {
            // Restore before the physics is connected (it reads the DAC as it finds it), store after.
            sim.stateFile = try SimStateFile(path: path, dacs: sim.stateRegisters, lines: sim.gpio.outputLines, source: description.source)
        }
        try self.init(description, backend: sim)
        sim.stateFile?.attach(dacs: sim.stateRegisters, lines: sim.gpio.outputLines)
    }

    /// The simulated chips and neurons, when the board is simulated.
    public var simulation: SimulatedBoard? { backend as? SimulatedBoard }
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

    /// The neuron's physics between its chips: driven by its DAC (behind the gate, when it has one), feeding its
    /// ADC channel and its comparator line.
    public func wire(_ neuron: NeuronChannel) throws(BoardError) {
        var parameters = NeuronParameters()
        parameters.capacitanceFarads = neuron.capacitance.farads
        if let r = board.frontEnd.membrane.inputImpedance { parameters.dischargeResistanceOhms = r.ohms }
        // Each neuron gets its own stream, derived from the board seed and its id.
        let neuronSeed = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(truncatingIfNeeded: neuron.id)
        let physics = SimNeuronChannel(
            model: PerovskiteNeuron(kind: model, parameters: parameters, seed: neuronSeed),
            frontEndGain: board.frontEnd.membrane.gain, noiseSeed: neuronSeed)
        physics.recordsHistory = recordsHistory
        neurons[neuron.id] = physics
        try connectStimulus(of: neuron, to: physics)
        try connectMembrane(of: neuron, to: physics)
        let lines = board.lines(of: neuron)
        if let gateLine = lines.stimulusGate, let gate = gpio.outputLine(named: gateLine.name) {
            physics.connect(gate: gate)
        }
        if let comparatorLine = lines.comparator, let line = gpio.inputLine(named: comparatorLine.name),
           let threshold = board.frontEnd.comparatorThreshold {
            physics.connect(comparator: line, threshold: threshold)
        }
    }

    private func connectStimulus(of neuron: NeuronChannel, to physics: SimNeuronChannel) throws(BoardError) {
        let (_, device) = try board.stimulus(of: neuron)
        if case .mcp4728 = device.configuration {
            guard let model = mcp4728[device.name], let label = neuron.stimulusChannel,
                  let index = MCP4728Configuration.channelLabels.firstIndex(of: label) else {
                throw board.unresolved("neurons.\(neuron.name).stimulus", "no simulated MCP4728 output '\(neuron.stimulus)/\(neuron.stimulusChannel ?? "")'.")
            }
            physics.connect(dac: model, channel: index)
        } else {
            guard let model = dacs[device.name] else {
                throw board.unresolved("neurons.\(neuron.name).stimulus", "no simulated MCP4725 '\(device.name)'.")
            }
            physics.connect(dac: model)
        }
    }

    private func connectMembrane(of neuron: NeuronChannel, to physics: SimNeuronChannel) throws(BoardError) {
        let (_, device, channel) = try board.membrane(of: neuron)
        let missing = board.unresolved("neurons.\(neuron.name).membrane", "no simulated ADC channel '\(neuron.membrane)'.")
        switch device.configuration {
        case .mcp3x08(let c):
            guard let ch = c.channels.first(where: { $0.label == channel.label }), let model = mcp3x08[device.name] else { throw missing }
            physics.connect(adc: model, channel: ch.positive.index)
        case .ads1x15(let c):
            guard let ch = c.channels.first(where: { $0.label == channel.label }), let model = ads[device.name] else { throw missing }
            physics.connect(adc: model, pin: Self.pin(ch.positive))
        case .mcp4725, .mcp4728, .tmp102:
            throw missing
        }
    }

    static func pin(_ input: ADS1x15Configuration.Input) -> Int {
        switch input {
        case .ain0: 0
        case .ain1: 1
        case .ain2: 2
        case .ain3, .gnd: 3
        }
    }

}

extension SimulatedBoard: BoardBackend {
    public func i2cBus(named bus: String) -> SimI2CBus? { i2cBuses[bus] }
    /// Simulated SPI devices are kept by device name (each has its own chip model).
    public func spiDevice(bus: String, device: String) -> SimSPIDevice? { spiDevices[device] }
    public func outputLine(named line: String) -> SimOutputLine? { gpio.outputLine(named: line) }
    public func inputLine(named line: String) -> SimInputLine? { gpio.inputLine(named: line) }
    /// Concrete, so the per-sample read is compiled for `SimSPIDevice` (see `BoardBackend.membrane`).
    public func membrane(_ frontEnd: FrontEndInput<MCP3x08Channel<SimSPIDevice>>) -> any AnalogInput {
        SimMCP3x08Membrane(frontEnd: frontEnd)
    }
}

/// A simulated board's MCP3x08 membrane input as a non-generic box: the loop calls its `readVoltage` directly (one
/// virtual call per sample), compiled for `SimSPIDevice` with the front end and the driver's read path inlined.
final class SimMCP3x08Membrane: AnalogInputBox {
    let frontEnd: FrontEndInput<MCP3x08Channel<SimSPIDevice>>
    init(frontEnd: FrontEndInput<MCP3x08Channel<SimSPIDevice>>) { self.frontEnd = frontEnd }
    override func readVoltage() throws(HardwareError) -> Voltage { try frontEnd.readVoltage() }
}
