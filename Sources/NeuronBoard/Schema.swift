public import NeuronConfig
public import NeuronHAL

/// A validated board file: everything needed to open the buses, drive the chips and keep a neuron within its
/// limits. Only `BoardLoader` makes one, after every cross-reference has been checked, so the lookups below
/// (`stimulus(of:)`, `membrane(of:)`, ...) always find what they look for.
///
/// Mapping entries (buses, devices, channels, lines, neurons) keep the order of the file.
public struct BoardDescription: Sendable, Hashable, Decodable {
    /// The file it was loaded from (or the `source` given to `BoardLoader.parse`).
    public internal(set) var source: String = ""
    /// `board`: name, description, whether it is simulated.
    public let board: BoardInfo
    /// `buses`: I2C and SPI buses with their devices.
    public let buses: [Bus]
    /// `gpio`: the GPIO chip and named lines; `nil` when the board uses none.
    public let gpio: GPIOConfiguration?
    /// `front-end`: the analogue path from the capacitor node to the ADC pin.
    public let frontEnd: FrontEnd
    /// `neurons`: which DAC, ADC channel and GPIO lines each neuron uses.
    public let neurons: [NeuronChannel]
    /// `limits`: what the control layer must never exceed.
    public let limits: Limits
    /// `simulation`: present exactly when `board.simulated` is true.
    public let simulation: Simulation?

    static let keys = ["board", "buses", "gpio", "front-end", "neurons", "limits", "simulation"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.keys(allowed: Self.keys)
        board = try c.required("board", example: "board: { name: my-board, simulated: true }")
        buses = try c.named("buses", as: Bus.self)
        gpio = try c.optional("gpio")
        frontEnd = try c.optional("front-end") ?? FrontEnd()
        neurons = try c.named("neurons", as: NeuronChannel.self)
        limits = try c.required("limits", example: "limits: { stimulus-volts: { min: 0.0, max: 1.0 }, ... }")
        simulation = try c.optional("simulation")
    }

    // MARK: Lookups

    /// The bus named `name`.
    public func bus(named name: String) -> Bus? { buses.first { $0.name == name } }

    /// The device named `name` and the bus it sits on (device names are unique across the board).
    public func device(named name: String) -> (bus: Bus, device: Device)? {
        for bus in buses {
            if let device = bus.devices.first(where: { $0.name == name }) { return (bus, device) }
        }
        return nil
    }

    /// The GPIO line named `name`.
    public func line(named name: String) -> GPIOLine? { gpio?.lines.first { $0.name == name } }

    /// The neuron with channel id `id`.
    public func neuron(id: Int) -> NeuronChannel? { neurons.first { $0.id == id } }

    /// The stimulus DAC of `neuron`, its bus, and its configuration (the output, for a quad DAC, is
    /// `neuron.stimulusChannel`).
    public func stimulus(of neuron: NeuronChannel) throws(BoardError) -> (bus: Bus, device: Device) {
        guard let found = device(named: neuron.stimulus) else {
            throw unresolved("neurons.\(neuron.name).stimulus", "no device is named '\(neuron.stimulus)'.")
        }
        return found
    }

    /// The membrane ADC of `neuron`, its bus, and the channel it samples.
    public func membrane(of neuron: NeuronChannel) throws(BoardError) -> (bus: Bus, device: Device, channel: ADCChannel) {
        guard let (bus, device) = device(named: neuron.membrane.device),
              let channel = device.channel(labeled: neuron.membrane.channel) else {
            throw unresolved("neurons.\(neuron.name).membrane", "no ADC channel is named '\(neuron.membrane)'.")
        }
        return (bus, device, channel)
    }

    /// A reference that validation would have refused: only a description that `BoardLoader` did not make (or a
    /// backend missing what the description names) gets here.
    package func unresolved(_ keyPath: String, _ problem: String) -> BoardError {
        BoardError(source: source, keyPath: keyPath, problem: problem,
                   fix: "load the board through BoardLoader (`neuronctl board validate \(source)` checks every reference); if it passes, report a bug")
    }

    /// The optional comparator, spike-out and stimulus-gate lines of `neuron`.
    public func lines(of neuron: NeuronChannel) -> (comparator: GPIOLine?, spikeOut: GPIOLine?, stimulusGate: GPIOLine?) {
        (neuron.comparator.flatMap(line(named:)), neuron.spikeOut.flatMap(line(named:)),
         neuron.stimulusGate.flatMap(line(named:)))
    }
}

/// `board:` — what this file describes.
public struct BoardInfo: Sendable, Hashable, Decodable {
    public let name: String
    /// `description`: free text for people.
    public let description: String?
    /// `simulated`: compatibles resolve to simulated chip models on simulated buses. Default false.
    public let simulated: Bool

    public init(from decoder: any Decoder) throws {
        let c = try decoder.keys(allowed: ["name", "description", "simulated"])
        name = try c.required("name", example: "name: my-board")
        description = try c.optional("description")
        simulated = try c.optional("simulated") ?? false
    }
}

// MARK: - Buses

public enum BusKind: String, Sendable, Hashable, CaseIterable {
    case i2c, spi
}

/// I2C adapter limitations the bus backend must work around.
public enum I2CQuirk: String, Sendable, Hashable, CaseIterable {
    /// A combined transfer may hold one read only, as its last message: transfers needing more are split.
    case singleReadLast = "single-read-last"
    /// The adapter does not honour clock stretching (bcm2835 hardware bug, `I2C_AQ_NO_CLK_STRETCH`): chips that
    /// stretch SCL must be avoided or the bus slowed down.
    case noClockStretch = "no-clock-stretch"
}

/// Bus-kind-specific settings.
public enum BusSettings: Sendable, Hashable {
    /// `frequency-hz` (SCL, default 100 kHz) and `quirks`.
    case i2c(frequency: Frequency, quirks: [I2CQuirk])
    /// `mode` (CPOL/CPHA 0-3, default 0) and `max-speed-hz` (SCLK, default 1 MHz).
    case spi(mode: Int, maxSpeed: Frequency)
}

/// `buses.<name>`: one I2C adapter or one spidev node (one chip select) with its devices.
public struct Bus: Sendable, Hashable, Decodable {
    public let name: String
    public let kind: BusKind
    /// `device`: the Linux device node, `/dev/i2c-N` or `/dev/spidevB.C`. Ignored by simulated boards.
    public let device: String
    public let settings: BusSettings
    /// `devices`: the chips on this bus, in file order.
    public let devices: [Device]

    /// SCL frequency (I2C) or maximum SCLK (SPI), in hertz.
    public var clock: Frequency {
        switch settings {
        case .i2c(let f, _): return f
        case .spi(_, let f): return f
        }
    }

    public init(from decoder: any Decoder) throws {
        name = decoder.nodeName
        let any = try decoder.container(keyedBy: ConfigKey.self)
        kind = try any.choice("kind", as: BusKind.self)
        let c = try decoder.keys(
            allowed: ["kind", "device", "devices"] + (kind == .i2c ? ["frequency-hz", "quirks"] : ["mode", "max-speed-hz"]))
        let example = kind == .i2c ? "device: /dev/i2c-1" : "device: /dev/spidev0.0"
        device = try c.required("device", example: example)
        switch kind {
        case .i2c:
            let hz = try c.number("frequency-hz", in: 10_000...3_400_000, unit: "Hz", example: "400000", default: 100_000)
            let names: [String] = try c.optional("quirks") ?? []
            let quirks = try names.enumerated().map { index, name in
                guard let quirk = I2CQuirk(rawValue: name) else {
                    throw DecodingError.configProblem(
                        at: c.path("quirks") + [ConfigKey.index(index)], "unknown quirk '\(name)'.",
                        fix: "use one of: \(I2CQuirk.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return quirk
            }
            settings = .i2c(frequency: .hertz(hz), quirks: quirks)
        case .spi:
            let mode = try c.optional("mode", as: Int.self) ?? 0
            guard (0...3).contains(mode) else {
                throw c.problem("mode", "SPI mode \(mode) does not exist.", fix: "use 0, 1, 2 or 3 (CPOL·2 + CPHA)")
            }
            let hz = try c.number("max-speed-hz", in: 1_000...125_000_000, unit: "Hz", example: "1000000", default: 1_000_000)
            settings = .spi(mode: mode, maxSpeed: .hertz(hz))
        }
        devices = try c.named("devices", as: Device.self)
    }
}

// MARK: - GPIO

/// `gpio:` — one GPIO chip and its named lines.
public struct GPIOConfiguration: Sendable, Hashable, Decodable {
    /// `chip`: the gpiochip name or path (`gpiochip0`, `/dev/gpiochip0`).
    public let chip: String
    public let lines: [GPIOLine]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.keys(allowed: ["chip", "lines"])
        chip = try c.required("chip", example: "chip: gpiochip0")
        lines = try c.named("lines", as: GPIOLine.self)
    }
}

/// `gpio.lines.<name>`: one line request (libgpiod line settings plus consumer).
public struct GPIOLine: Sendable, Hashable, Decodable {
    public enum Direction: String, Sendable, Hashable, CaseIterable { case input, output }
    /// Edge detection on an input (libgpiod `GPIOD_LINE_EDGE_*`).
    public enum Edge: String, Sendable, Hashable, CaseIterable { case none, rising, falling, both }
    /// Bias (libgpiod `GPIOD_LINE_BIAS_*`).
    public enum Bias: String, Sendable, Hashable, CaseIterable {
        case asIs = "as-is", disabled, pullUp = "pull-up", pullDown = "pull-down"
    }
    /// The line on the chip: by name (`GPIO27`, as the Raspberry Pi names them) or by offset (`27`).
    public enum LineID: Sendable, Hashable, CustomStringConvertible {
        case name(String), offset(Int)
        public var description: String {
            switch self {
            case .name(let n): return n
            case .offset(let o): return "offset \(o)"
            }
        }
    }

    /// The role name other sections refer to (`comparator`, `spike-out`).
    public let name: String
    public let line: LineID
    public let direction: Direction
    /// Inputs only; default `.none`.
    public let edge: Edge
    /// Outputs only: the logical value requested with the line; default `.inactive`.
    public let initial: LineValue
    /// `active-low`: logical active is electrical low; applied by the backend. Default false.
    public let activeLow: Bool
    public let bias: Bias
    /// `consumer`: the label shown by `gpioinfo`; default `neuronhil-<name>`.
    public let consumer: String

    public init(from decoder: any Decoder) throws {
        name = decoder.nodeName
        let any = try decoder.container(keyedBy: ConfigKey.self)
        direction = try any.choice("direction", as: Direction.self)
        let common = ["line", "direction", "active-low", "bias", "consumer"]
        if direction == .output && any.contains("edge") {
            throw any.problem("edge", "edge detection applies to input lines only.",
                              fix: "remove edge, or set direction: input if this line reads a signal")
        }
        if direction == .input && any.contains("initial") {
            throw any.problem("initial", "an initial value applies to output lines only.",
                              fix: "remove initial, or set direction: output if this line drives a signal")
        }
        let c = try decoder.keys(allowed: common + (direction == .input ? ["edge"] : ["initial"]))
        let id: String = try c.required("line", example: "line: GPIO27")
        if let offset = ConfigText.integer(id) {
            guard (0...511).contains(offset) else {
                throw c.problem("line", "\(offset) is not a plausible line offset.", fix: "use the line's name (e.g. GPIO27) or its offset on the chip (0-53 on a Pi)")
            }
            line = .offset(offset)
        } else {
            line = .name(id)
        }
        edge = direction == .input ? try c.choice("edge", as: Edge.self, default: Edge.none) : .none
        if direction == .output, let text = try c.optional("initial", as: String.self) {
            switch text {
            case "active": initial = .active
            case "inactive": initial = .inactive
            default: throw c.problem("initial", "'\(text)' is not a line value.", fix: "use active or inactive (logical, after active-low)")
            }
        } else {
            initial = .inactive
        }
        activeLow = try c.optional("active-low") ?? false
        bias = try c.choice("bias", as: Bias.self, default: .asIs)
        consumer = try c.optional("consumer") ?? "neuronhil-\(name)"
    }
}

// MARK: - Front end

/// `front-end:` — the analogue path between the capacitor node and the converters.
public struct FrontEnd: Sendable, Hashable, Decodable {
    public let membrane: MembraneFrontEnd
    /// `comparator-threshold-volts`: where the analogue comparator trips, in volts at the capacitor node.
    /// Required when a neuron uses a comparator line.
    public let comparatorThreshold: Voltage?

    init() {
        membrane = MembraneFrontEnd()
        comparatorThreshold = nil
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.keys(allowed: ["membrane", "comparator-threshold-volts"])
        membrane = try c.optional("membrane") ?? MembraneFrontEnd()
        if c.contains("comparator-threshold-volts") {
            comparatorThreshold = .volts(
                try c.number("comparator-threshold-volts", in: 0.001...5, unit: "V", example: "0.2"))
        } else {
            comparatorThreshold = nil
        }
    }
}

/// `front-end.membrane`: buffer and optional divider between the capacitor node and the ADC pin.
public struct MembraneFrontEnd: Sendable, Hashable, Decodable {
    /// `buffer-gain`: voltage gain of the buffer amplifier (1.0 = unity follower). Default 1.0.
    public let bufferGain: Double
    /// `divider`: an optional resistive divider after the buffer (Zephyr `voltage-divider`).
    public let divider: VoltageDivider?
    /// `input-impedance-ohms`: what the capacitor node sees, in ohms (the paper's scope: 10 MΩ).
    public let inputImpedance: Resistance?

    /// ADC-pin volts per capacitor-node volt: buffer gain × divider ratio.
    public var gain: Double { bufferGain * (divider?.ratio ?? 1) }

    init() {
        bufferGain = 1
        divider = nil
        inputImpedance = nil
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.keys(allowed: ["buffer-gain", "divider", "input-impedance-ohms"])
        bufferGain = try c.number("buffer-gain", in: 0.01...100, unit: "V/V", example: "1.0", default: 1)
        divider = try c.optional("divider")
        inputImpedance = c.contains("input-impedance-ohms")
            ? .ohms(try c.number("input-impedance-ohms", in: 1e3...1e13, unit: "Ω", example: "10.0e6")) : nil
    }
}

/// A resistive divider: `{ output-ohms: R2, full-ohms: R1 + R2 }`; Vout = Vin · output / full.
public struct VoltageDivider: Sendable, Hashable, Decodable {
    public let output: Resistance
    public let full: Resistance
    public var ratio: Double { output.ohms / full.ohms }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.keys(allowed: ["output-ohms", "full-ohms"])
        let out = try c.number("output-ohms", in: 1...1e10, unit: "Ω", example: "10000")
        let full = try c.number("full-ohms", in: 1...1e10, unit: "Ω", example: "20000")
        guard out <= full else {
            throw c.problem("output-ohms", "the output resistance \(ConfigText.number(out)) Ω exceeds the full \(ConfigText.number(full)) Ω.",
                            fix: "full-ohms is R1 + R2 and output-ohms is R2 (across the output), so output-ohms ≤ full-ohms")
        }
        self.output = .ohms(out)
        self.full = .ohms(full)
    }
}

// MARK: - Neurons

/// `neurons.<name>`: the wiring of one neuron channel.
public struct NeuronChannel: Sendable, Hashable, Decodable {
    public let name: String
    /// `id`: the channel number used in records and routing (unique, ≥ 0).
    public let id: Int
    /// `stimulus`: the DAC node that drives the memristor (the part before `/` in `dac1/a`).
    public let stimulus: String
    /// The output of a multi-channel DAC (`a` in `stimulus: dac1/a`, MCP4728); `nil` for a single-output DAC.
    public let stimulusChannel: String?
    /// `membrane`: the ADC channel that samples the capacitor node, as `node/label`.
    public let membrane: ChannelReference
    /// `comparator`: an input line with edge events from an analogue comparator.
    public let comparator: String?
    /// `spike-out`: an output line pulsed on each detected spike.
    public let spikeOut: String?
    /// `stimulus-gate`: an output line enabling the stimulus path (e.g. an analogue switch).
    public let stimulusGate: String?
    /// `capacitance-pf`: the membrane capacitor, picofarads in the file. Default 300 pF (the paper's).
    public let capacitance: Capacitance

    public init(from decoder: any Decoder) throws {
        name = decoder.nodeName
        let c = try decoder.keys(
            allowed: ["id", "stimulus", "membrane", "comparator", "spike-out", "stimulus-gate", "capacitance-pf"])
        id = try c.required("id", example: "id: 0")
        guard (0...65_535).contains(id) else {
            throw c.problem("id", "\(id) is not a usable channel id.", fix: "use a small whole number, 0 or more")
        }
        let stimulusText: String = try c.required("stimulus", example: "stimulus: dac0")
        let stimulusParts = stimulusText.split(separator: "/", omittingEmptySubsequences: false)
        guard stimulusParts.count <= 2, stimulusParts.allSatisfy({ !$0.isEmpty }) else {
            throw c.problem("stimulus", "'\(stimulusText)' is not a DAC reference.",
                            fix: "write the DAC's name (stimulus: dac0), or name/output for a quad DAC (stimulus: dac1/a)")
        }
        stimulus = String(stimulusParts[0])
        stimulusChannel = stimulusParts.count == 2 ? String(stimulusParts[1]) : nil
        let text: String = try c.required("membrane", example: "membrane: adc0/membrane")
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw c.problem("membrane", "'\(text)' is not an ADC channel reference.",
                            fix: "write node/channel, e.g. adc0/membrane (the ADC's name, then the channel label)")
        }
        membrane = ChannelReference(device: String(parts[0]), channel: String(parts[1]))
        comparator = try c.optional("comparator")
        spikeOut = try c.optional("spike-out")
        stimulusGate = try c.optional("stimulus-gate")
        capacitance = .picofarads(try c.number("capacitance-pf", in: 1...1e6, unit: "pF", example: "300", default: 300))
    }
}

/// `node/label`: an ADC channel.
public struct ChannelReference: Sendable, Hashable, CustomStringConvertible {
    public let device: String
    public let channel: String
    public var description: String { "\(device)/\(channel)" }
}

// MARK: - Limits

/// `limits:` — what the control layer enforces before any value reaches a DAC.
public struct Limits: Sendable, Hashable, Decodable {
    /// `stimulus-volts: { min, max }`: the DAC output range allowed, in volts.
    public let stimulus: ClosedRange<Voltage>
    /// `max-pulse-width-ms`: the longest single pulse, milliseconds in the file.
    public let maxPulseWidth: Duration
    /// `max-duty-cycle`: pulse-on time over period, in (0, 1].
    public let maxDutyCycle: Double
    /// `sample-rate-hz: { min, max }`: the membrane sampling rates allowed, in hertz.
    public let sampleRate: ClosedRange<Frequency>

    /// No board may allow more than this on a stimulus, whatever its DAC can do: 5 V.
    public static let stimulusHardCap = Voltage.volts(5)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.keys(allowed: ["stimulus-volts", "max-pulse-width-ms", "max-duty-cycle", "sample-rate-hz"])
        let v = try Self.range(c, "stimulus-volts", in: 0...1e6, unit: "V", example: "{ min: 0.0, max: 1.0 }")
        stimulus = Voltage.volts(v.lowerBound)...Voltage.volts(v.upperBound)
        let ms = try c.number("max-pulse-width-ms", in: 0.001...60_000, unit: "ms", example: "20")
        maxPulseWidth = .nanoseconds(Int64((ms * 1e6).rounded()))
        let duty = try c.number("max-duty-cycle", in: 0...1, unit: "", example: "0.5")
        guard duty > 0 else {
            throw c.problem("max-duty-cycle", "a duty cycle of 0 allows no stimulus at all.", fix: "use a value in (0, 1], e.g. 0.5")
        }
        maxDutyCycle = duty
        let f = try Self.range(c, "sample-rate-hz", in: 1...10_000_000, unit: "Hz", example: "{ min: 100, max: 20000 }")
        sampleRate = Frequency.hertz(f.lowerBound)...Frequency.hertz(f.upperBound)
    }

    private static func range(
        _ c: KeyedDecodingContainer<ConfigKey>, _ key: String, in bounds: ClosedRange<Double>, unit: String, example: String
    ) throws -> ClosedRange<Double> {
        guard c.contains(ConfigKey(key)) else {
            throw c.problem(key, "the required key '\(key)' is missing.", fix: "add `\(key): \(example)`")
        }
        let r = try c.nestedContainer(keyedBy: ConfigKey.self, forKey: ConfigKey(key))
        for k in r.allKeys where !["min", "max"].contains(k.stringValue) {
            throw r.problem(k.stringValue, "unknown key '\(k.stringValue)'.", fix: "a range has only min and max: \(example)")
        }
        let lo = try r.number("min", in: bounds, unit: unit, example: "\(ConfigText.number(bounds.lowerBound))")
        let hi = try r.number("max", in: bounds, unit: unit, example: "\(ConfigText.number(bounds.lowerBound))")
        guard lo < hi else {
            throw r.problem("min", "min \(ConfigText.number(lo)) \(unit) is not below max \(ConfigText.number(hi)) \(unit).",
                            fix: "make min smaller than max, e.g. \(example)")
        }
        return lo...hi
    }
}

// MARK: - Simulation

/// `simulation:` — settings of the simulated board (only when `board.simulated` is true).
public struct Simulation: Sendable, Hashable, Decodable {
    /// The neuron physics model (documented in NeuronPhysics).
    public enum Model: String, Sendable, Hashable, CaseIterable {
        /// The device model: volatile memristive switch with stochastic switching.
        case device
        /// The paper's model, with its published parameters.
        case paper
    }
    public let model: Model
    /// `seed`: the random seed of the stochastic switching, so runs repeat. Default 1.
    public let seed: UInt64
    /// `temperature`: the die temperature every simulated TMP102 reports, a ramp
    /// `{ from-celsius, to-celsius, ramp-s }` that then holds. Default 20 °C to 40 °C over 10 s.
    public let temperature: TemperatureRamp

    /// A linear ramp from `from` to `to` over `duration`, holding `to` afterwards.
    public struct TemperatureRamp: Sendable, Hashable, Decodable {
        public let from: Double
        public let to: Double
        public let duration: Duration
        public init(from: Double = 20, to: Double = 40, duration: Duration = .seconds(10)) {
            self.from = from
            self.to = to
            self.duration = duration
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.keys(allowed: ["from-celsius", "to-celsius", "ramp-s"])
            from = try c.number("from-celsius", in: -55...150, unit: "°C", example: "20", default: 20)
            to = try c.number("to-celsius", in: -55...150, unit: "°C", example: "40", default: 40)
            duration = .seconds(try c.number("ramp-s", in: 0.001...1e6, unit: "s", example: "10", default: 10))
        }
        /// The temperature `seconds` after the start, °C.
        public func celsius(atSeconds seconds: Double) -> Double {
            let d = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
            return from + (to - from) * min(max(seconds / d, 0), 1)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.keys(allowed: ["model", "seed", "temperature"])
        model = try c.choice("model", as: Model.self)
        seed = try c.optional("seed") ?? 1
        temperature = try c.optional("temperature") ?? TemperatureRamp()
    }
}
