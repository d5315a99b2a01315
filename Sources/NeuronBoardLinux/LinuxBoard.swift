public import NeuronConfig
import NeuronHAL
public import NeuronLinux
import NeuronDrivers
import Foundation

/// The Linux side of a board (`simulated: false`): i2c-dev buses, spidev devices and libgpiod line requests
/// opened from the board file, and the same drivers as the simulated board on top of them.
///
/// Not thread-safe and not `Sendable`: every handle belongs to the thread that runs the loop.
public final class LinuxBoard {
    public let clock = LinuxClock()
    /// Open I2C adapters, by bus name.
    public private(set) var i2cBuses: [String: LinuxI2CBus] = [:]
    /// Open spidev nodes, by bus name (one node is one chip select).
    public private(set) var spiDevices: [String: LinuxSPIDevice] = [:]
    /// Requested GPIO lines, by the board file's line name.
    public private(set) var lines: [String: GPIODLineRequest] = [:]
    private let board: BoardDescription

    /// Opens every bus and requests every line of `board`. The first failure is reported as a `BoardError` at the
    /// bus or line's key, with the errno's explanation and fix; what was opened until then is closed again.
    public init(_ board: BoardDescription) throws(BoardError) {
        self.board = board
        for bus in board.buses {
            do throws(HardwareError) {
                switch bus.settings {
                case .i2c:
                    i2cBuses[bus.name] = try LinuxI2CBus(path: bus.device)
                case .spi(let mode, let speed):
                    spiDevices[bus.name] = try LinuxSPIDevice(path: bus.device, mode: mode, maxSpeed: speed)
                }
            } catch {
                throw Self.boardError(board, "buses.\(bus.name).device", error)
            }
        }
        if let gpio = board.gpio {
            for line in gpio.lines {
                do throws(HardwareError) {
                    lines[line.name] = try GPIODLineRequest(
                        chip: gpio.chip, line: Self.lineID(line.line), consumer: line.consumer,
                        settings: Self.settings(line))
                } catch {
                    throw Self.boardError(board, "gpio.lines.\(line.name)", error)
                }
            }
        }
    }

    static func lineID(_ id: GPIOLine.LineID) -> GPIODLineRequest.Line {
        switch id {
        case .name(let n): return .name(n)
        case .offset(let o): return .offset(o)
        }
    }

    static func settings(_ line: GPIOLine) -> GPIODLineRequest.Settings {
        let edge: GPIODLineRequest.Edge
        switch line.edge {
        case .none: edge = .none
        case .rising: edge = .rising
        case .falling: edge = .falling
        case .both: edge = .both
        }
        let bias: GPIODLineRequest.Bias
        switch line.bias {
        case .asIs: bias = .asIs
        case .disabled: bias = .disabled
        case .pullUp: bias = .pullUp
        case .pullDown: bias = .pullDown
        }
        return GPIODLineRequest.Settings(
            direction: line.direction == .output ? .output : .input, edge: edge, bias: bias,
            activeLow: line.activeLow, initial: line.initial)
    }

    /// A hardware error at `keyPath` as a board error: the errno's explanation becomes the problem and its
    /// "Fix:" part the fix.
    static func boardError(_ board: BoardDescription, _ keyPath: String, _ error: HardwareError) -> BoardError {
        let parts = error.message.components(separatedBy: " Fix: ")
        let errno = error.errno.map { " (errno \($0))" } ?? ""
        var problem = "\(error.device): \(error.operation) failed: \(error.kind)\(errno): \(parts[0])"
        if !problem.hasSuffix(".") { problem += "." }
        let fix = parts.count > 1 ? parts[1] : "check the device node and the wiring, then run `neuronctl probe --board \(board.source)`"
        return BoardError(source: board.source, keyPath: keyPath, problem: problem, fix: fix)
    }

    func hardware(for neuron: NeuronChannel) -> BoardRuntime.NeuronHardware {
        let gain = board.frontEnd.membrane.gain
        let (dacBus, dacDevice) = board.stimulus(of: neuron)
        let dac: any AnalogOutput
        let readBack: () throws(HardwareError) -> (voltage: Voltage, poweredDown: Bool)
        if case .mcp4728(let c) = dacDevice.configuration {
            let index = MCP4728Configuration.channelLabels.firstIndex(of: neuron.stimulusChannel!)!
            (dac, readBack) = SimulatedBoard.mcp4728Channel(
                bus: i2cBuses[dacBus.name]!, address: dacDevice.address!, configuration: c, index: index, clock: clock)
        } else {
            (dac, readBack) = SimulatedBoard.mcp4725(
                bus: i2cBuses[dacBus.name]!, address: dacDevice.address!, reference: dacDevice.reference!, clock: clock)
        }
        let neuronLines = board.lines(of: neuron)
        var stimulus: any AnalogOutput = dac
        if let gateLine = neuronLines.stimulusGate, let gate = lines[gateLine.name] {
            stimulus = gated(dac, gate)
        }
        let (adcBus, adcDevice, adcChannel) = board.membrane(of: neuron)
        let membrane: any AnalogInput
        switch adcDevice.configuration {
        case .mcp3x08(let c):
            let ch = c.channels.first { $0.label == adcChannel.label }!
            let driver = MCP3x08(device: spiDevices[adcBus.name]!, variant: c.chip == .mcp3008 ? .mcp3008 : .mcp3208, reference: c.reference)
            membrane = LinuxMCP3x08Input(channel: driver.channel(ch.positive.index, singleEnded: ch.negative == nil), gain: gain)
        case .ads1x15(let c):
            let ch = c.channels.first { $0.label == adcChannel.label }!
            let variant: ADS1x15Variant = c.chip == .ads1115 ? .ads1115 : .ads1015
            let driver = ADS1x15(bus: i2cBuses[adcBus.name]!, address: adcDevice.address!, variant: variant, clock: clock)
            let rate = variant.dataRate(samplesPerSecond: Int(ch.dataRate.hertz)) ?? .reset
            membrane = FrontEndInput(
                input: driver.channel(
                    mux: SimulatedBoard.mux(ch.positive, ch.negative), pga: SimulatedBoard.pga(ch.fullScale), rate: rate,
                    mode: .continuous),
                gain: gain)
        case .mcp4725, .mcp4728, .tmp102:
            preconditionFailure("validation guarantees the membrane is an ADC")
        }
        let spikeOut: (any DigitalOutput)? = neuronLines.spikeOut.flatMap { lines[$0.name] }
        let comparator: (any DigitalInput)? = neuronLines.comparator.flatMap { lines[$0.name] }
        return BoardRuntime.NeuronHardware(
            channel: neuron, stimulus: stimulus, membrane: membrane, comparator: comparator, spikeOut: spikeOut,
            readBackStimulus: readBack)
    }
}

/// The membrane channel of a Linux board as a concrete type (see `SimMCP3x08Input` for why).
struct LinuxMCP3x08Input: AnalogInput {
    let channel: MCP3x08Channel<LinuxSPIDevice>
    let gain: Double
    func readVoltage() throws(HardwareError) -> Voltage {
        let v = try channel.readVoltage()
        return .volts(v.volts / gain)
    }
}
