import NeuronConfig
public import NeuronHAL

/// A device's vendor-prefixed compatible string, as Linux and Zephyr spell it.
public enum Compatible: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case mcp4725 = "microchip,mcp4725"
    case mcp4728 = "microchip,mcp4728"
    case ads1015 = "ti,ads1015"
    case ads1115 = "ti,ads1115"
    case mcp3008 = "microchip,mcp3008"
    case mcp3208 = "microchip,mcp3208"
    case tmp102 = "ti,tmp102"

    /// This compatible's entry in the binding table.
    public var binding: DeviceBinding { DeviceBinding.all.first { $0.compatible == self }! }
    public var description: String { rawValue }
}

/// What a device does for a neuron.
public enum DeviceKind: String, Sendable, Hashable {
    /// A digital-to-analogue converter: drives the stimulus.
    case dac
    /// An analogue-to-digital converter: samples the membrane (or monitors a node).
    case adc
    /// A sensor read as a value source (`neuronctl sense --input sensor:NAME`); no neuron role.
    case sensor
}

/// One row of the binding table (the kernel's `of_device_id`, Zephyr's `DT_DRV_COMPAT`): what a compatible is,
/// which bus it sits on, which properties it takes and what it can do. Each binding decodes and checks its own
/// properties.
public struct DeviceBinding: Sendable {
    public let compatible: Compatible
    public let kind: DeviceKind
    public let bus: BusKind
    /// The I2C addresses the chip can be strapped to (empty on SPI). The first is the default.
    public let addresses: [UInt8]
    /// Converter resolution in bits.
    public let resolutionBits: Int
    /// The fastest the chip converts, in samples per second (ADCs; datasheet maximum). `nil` for DACs.
    public let maxSampleRate: Frequency?
    /// The fastest bus clock the chip accepts (I2C SCL or SPI SCLK), in hertz.
    public let maxBusClock: Frequency
    /// Keys this binding accepts besides `compatible` (and `address` on I2C).
    public let properties: [String]
    /// One line for `neuronctl board validate` and error messages.
    public let summary: String
    let decode: @Sendable (any Decoder) throws -> DeviceConfiguration

    /// The address a chip has when the board file gives none (I2C only).
    public var defaultAddress: I2CAddress? { addresses.first.flatMap { I2CAddress(rawValue: $0) } }

    /// The table. Order is the order error messages list the known compatibles in.
    public static let all: [DeviceBinding] = [
        DeviceBinding(
            compatible: .mcp4725, kind: .dac, bus: .i2c, addresses: Array(0x60...0x67), resolutionBits: 12,
            maxSampleRate: nil, maxBusClock: .hertz(3_400_000), properties: ["vref-volts"],
            summary: "MCP4725 12-bit DAC, reference = VDD",
            decode: { .mcp4725(try MCP4725Configuration(from: $0)) }),
        DeviceBinding(
            compatible: .mcp4728, kind: .dac, bus: .i2c, addresses: Array(0x60...0x67), resolutionBits: 12,
            maxSampleRate: nil, maxBusClock: .hertz(3_400_000), properties: ["vref", "vdd-volts", "gain"],
            summary: "MCP4728 quad 12-bit DAC (channels a-d), reference VDD or internal 2.048 V with gain x1/x2",
            decode: { .mcp4728(try MCP4728Configuration(from: $0)) }),
        DeviceBinding(
            compatible: .ads1015, kind: .adc, bus: .i2c, addresses: Array(0x48...0x4B), resolutionBits: 12,
            maxSampleRate: .hertz(3300), maxBusClock: .hertz(3_400_000), properties: ["channels"],
            summary: "ADS1015 12-bit delta-sigma ADC with PGA, up to 3300 SPS",
            decode: { .ads1x15(try ADS1x15Configuration(from: $0)) }),
        DeviceBinding(
            compatible: .ads1115, kind: .adc, bus: .i2c, addresses: Array(0x48...0x4B), resolutionBits: 16,
            maxSampleRate: .hertz(860), maxBusClock: .hertz(3_400_000), properties: ["channels"],
            summary: "ADS1115 16-bit delta-sigma ADC with PGA, up to 860 SPS",
            decode: { .ads1x15(try ADS1x15Configuration(from: $0)) }),
        DeviceBinding(
            compatible: .mcp3008, kind: .adc, bus: .spi, addresses: [], resolutionBits: 10,
            maxSampleRate: .hertz(200_000), maxBusClock: .hertz(3_600_000), properties: ["vref-volts", "channels"],
            summary: "MCP3008 10-bit SAR ADC, 8 channels, 200 ksps at VDD = 5 V (75 ksps at 2.7 V)",
            decode: { .mcp3x08(try MCP3x08Configuration(from: $0)) }),
        DeviceBinding(
            compatible: .mcp3208, kind: .adc, bus: .spi, addresses: [], resolutionBits: 12,
            maxSampleRate: .hertz(100_000), maxBusClock: .hertz(2_000_000), properties: ["vref-volts", "channels"],
            summary: "MCP3208 12-bit SAR ADC, 8 channels, 100 ksps at VDD = 5 V (50 ksps at 2.7 V)",
            decode: { .mcp3x08(try MCP3x08Configuration(from: $0)) }),
        DeviceBinding(
            compatible: .tmp102, kind: .sensor, bus: .i2c, addresses: Array(0x48...0x4B), resolutionBits: 12,
            maxSampleRate: .hertz(8), maxBusClock: .hertz(3_400_000), properties: [],
            summary: "TMP102 temperature sensor, 12-bit (0.0625 °C), up to 8 conversions/s",
            decode: { _ in .tmp102 }),
    ]
}

/// A device's binding-specific properties.
public enum DeviceConfiguration: Sendable, Hashable {
    case mcp4725(MCP4725Configuration)
    case mcp4728(MCP4728Configuration)
    case ads1x15(ADS1x15Configuration)
    case mcp3x08(MCP3x08Configuration)
    /// `ti,tmp102` takes no properties.
    case tmp102
}

/// A chip on a bus: `buses.<bus>.devices.<name>`.
public struct Device: Sendable, Hashable, Decodable {
    /// The node name other sections refer to (`stimulus: dac0`, `membrane: adc0/membrane`).
    public let name: String
    public let compatible: Compatible
    /// The 7-bit address on I2C (the binding's default when the file gives none); `nil` on SPI.
    public let address: I2CAddress?
    public let configuration: DeviceConfiguration

    public var binding: DeviceBinding { compatible.binding }
    public var kind: DeviceKind { binding.kind }

    /// The converter's reference voltage where it has a fixed one: MCP4725 and MCP3x08 `vref-volts`. `nil` for
    /// ADS1x15, whose span is set per channel by the PGA.
    public var reference: Voltage? {
        switch configuration {
        case .mcp4725(let c): return c.reference
        case .mcp4728(let c): return c.outputMaximum
        case .mcp3x08(let c): return c.reference
        case .ads1x15, .tmp102: return nil
        }
    }

    /// The ADC channels in file order, chip-independent (empty for a DAC).
    public var channels: [ADCChannel] {
        switch configuration {
        case .mcp4725, .mcp4728, .tmp102: return []
        case .ads1x15(let c):
            return c.channels.map {
                ADCChannel(
                    label: $0.label, inputs: "\($0.positive.rawValue)-\($0.negative.rawValue)",
                    span: $0.fullScale.voltage, maxSampleRate: $0.dataRate)
            }
        case .mcp3x08(let c):
            let limit = binding.maxSampleRate!
            return c.channels.map { channel in
                let inputs = channel.negative.map { "\(channel.positive.rawValue)-\($0.rawValue)" }
                return ADCChannel(
                    label: channel.label, inputs: inputs ?? channel.positive.rawValue,
                    span: c.reference, maxSampleRate: limit)
            }
        }
    }

    /// The channel labelled `label`, or `nil`.
    public func channel(labeled label: String) -> ADCChannel? { channels.first { $0.label == label } }

    public init(from decoder: any Decoder) throws {
        name = decoder.nodeName
        let any = try decoder.container(keyedBy: ConfigKey.self)
        let known = Compatible.allCases.map(\.rawValue)
        let text: String = try any.required(
            "compatible", example: "compatible: microchip,mcp4725   # one of \(known.joined(separator: ", "))")
        guard let compatible = Compatible(rawValue: text) else {
            if let whole = known.first(where: { $0.hasPrefix(text + ",") }) {
                throw any.problem(
                    "compatible", "'\(text)' is only the vendor prefix: inside { ... } a comma ends the value.",
                    fix: "quote it, compatible: \"\(whole)\", or write the device in block style (one key per line)")
            }
            let hint = ConfigText.closest(to: text, in: known).map { "did you mean '\($0)'? " } ?? ""
            throw any.problem(
                "compatible", "unknown compatible '\(text)'.",
                fix: "\(hint)\(hint.isEmpty ? "U" : "u")se one of the supported chips: \(known.joined(separator: ", "))")
        }
        self.compatible = compatible
        let binding = compatible.binding
        let container = try decoder.keys(allowed: ["compatible", "address"] + binding.properties)
        if binding.bus == .spi && container.contains("address") {
            throw container.problem(
                "address", "the \(compatible) is an SPI chip and has no address.",
                fix: "remove address; the chip select is the spidev node (device: /dev/spidevB.C) of its spi bus")
        }
        if binding.bus == .i2c {
            let choices = binding.addresses.map(hex).joined(separator: ", ")
            if let raw = try container.optional("address", as: Int.self) {
                guard raw >= 0, raw <= 0x7F, let address = I2CAddress(rawValue: UInt8(raw)) else {
                    let shown = raw >= 0 && raw <= 0xFF ? hex(UInt8(raw)) : "\(raw)"
                    let shifted = raw >= 0 && raw <= 0xFF && I2CAddress(rawValue: UInt8(raw >> 1)) != nil
                        ? " (if \(shown) is the 8-bit write address, the 7-bit address is \(hex(UInt8(raw >> 1))))" : ""
                    throw container.problem(
                        "address", "\(shown) is not a 7-bit I2C address\(shifted).",
                        fix: "use a 7-bit address between 0x03 and 0x77, e.g. \(hex(binding.addresses[0])); the \(compatible) answers at \(choices)")
                }
                guard binding.addresses.contains(address.rawValue) else {
                    throw container.problem(
                        "address", "the \(compatible) cannot be strapped to \(address).",
                        fix: "use one of \(choices) (set by the chip's address pins)")
                }
                self.address = address
            } else {
                self.address = binding.defaultAddress
            }
        } else {
            self.address = nil
        }
        configuration = try binding.decode(decoder)
    }
}

/// A chip-independent view of one ADC channel.
public struct ADCChannel: Sendable, Hashable {
    /// The channel label (`membrane` in `adc0/membrane`).
    public let label: String
    /// The input pins as written, e.g. `ch0`, `ain0-gnd`.
    public let inputs: String
    /// The largest input the channel measures without clipping, in volts (PGA full scale or reference).
    public let span: Voltage
    /// The fastest this channel delivers fresh conversions, in samples per second.
    public let maxSampleRate: Frequency
}

// MARK: - MCP4725

/// `microchip,mcp4725`: 12-bit I2C DAC whose reference is its supply.
public struct MCP4725Configuration: Sendable, Hashable, Decodable {
    /// `vref-volts`: the chip's VDD, which is its reference (2.7-5.5 V). Output spans 0 ... vref.
    public let reference: Voltage

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        reference = .volts(try c.number("vref-volts", in: 2.7...5.5, unit: "V", example: "3.3"))
    }
}

// MARK: - MCP4728

/// `microchip,mcp4728`: quad 12-bit I2C DAC. A neuron names one output as `stimulus: dacN/a` (channels a, b, c, d).
public struct MCP4728Configuration: Sendable, Hashable, Decodable {
    /// `vref`: `vdd` (the supply is the reference) or `internal` (2.048 V, times `gain`).
    public enum Reference: String, Sendable, Hashable, CaseIterable {
        case vdd
        case `internal`
    }
    /// The output channel labels, DAC1:DAC0 = 00 ... 11.
    public static let channelLabels = ["a", "b", "c", "d"]

    public let vref: Reference
    /// `vdd-volts`: the chip's supply (2.7-5.5 V).
    public let vdd: Voltage
    /// `gain`: 1 or 2 (internal reference only). Default 1.
    public let gain: Int

    /// The highest output: VDD, or 2.048 V · gain capped at VDD.
    public var outputMaximum: Voltage {
        vref == .vdd ? vdd : min(.volts(2.048 * Double(gain)), vdd)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let text: String = try c.required("vref", example: "vref: vdd   # or internal (2.048 V)")
        guard let vref = Reference(rawValue: text) else {
            throw c.problem("vref", "'\(text)' is not an MCP4728 reference.", fix: "use vdd or internal")
        }
        self.vref = vref
        vdd = .volts(try c.number("vdd-volts", in: 2.7...5.5, unit: "V", example: "3.3"))
        let gain = try c.optional("gain", as: Int.self) ?? 1
        guard gain == 1 || gain == 2 else {
            throw c.problem("gain", "\(gain) is not an MCP4728 gain.", fix: "use 1 or 2")
        }
        if vref == .vdd && gain != 1 {
            throw c.problem("gain", "the gain applies only to the internal reference (with vref: vdd the output spans 0 ... VDD).",
                            fix: "remove gain, or use vref: internal")
        }
        self.gain = gain
    }
}

// MARK: - ADS1015 / ADS1115

/// `ti,ads1015` / `ti,ads1115`: 4-input delta-sigma I2C ADCs with a PGA and an input multiplexer.
public struct ADS1x15Configuration: Sendable, Hashable, Decodable {
    public let chip: Compatible
    /// `channels`: labelled input selections, in file order.
    public let channels: [Channel]

    /// A multiplexer input.
    public enum Input: String, Sendable, Hashable, CaseIterable {
        case ain0, ain1, ain2, ain3, gnd
    }

    /// PGA full-scale range (`full-scale-volts`), ± volts. Reset value ±2.048 V.
    public enum FullScale: Double, Sendable, Hashable, CaseIterable {
        case fs6_144 = 6.144, fs4_096 = 4.096, fs2_048 = 2.048, fs1_024 = 1.024, fs0_512 = 0.512, fs0_256 = 0.256
        public var voltage: Voltage { .volts(rawValue) }
    }

    /// The multiplexer settings the datasheet's MUX[2:0] table offers (positive, negative).
    public static let muxPairs: [(Input, Input)] = [
        (.ain0, .ain1), (.ain0, .ain3), (.ain1, .ain3), (.ain2, .ain3),
        (.ain0, .gnd), (.ain1, .gnd), (.ain2, .gnd), (.ain3, .gnd),
    ]

    /// The data rates (DR[2:0]) each chip offers, in samples per second; the reset value is marked in `defaultRate`.
    public static func dataRates(_ chip: Compatible) -> [Int] {
        chip == .ads1115 ? [8, 16, 32, 64, 128, 250, 475, 860] : [128, 250, 490, 920, 1600, 2400, 3300]
    }
    /// Reset data rate: 1600 SPS (ADS1015), 128 SPS (ADS1115).
    public static func defaultRate(_ chip: Compatible) -> Int { chip == .ads1115 ? 128 : 1600 }

    /// One channel: `channels.<label>: { inputs: [ain0, gnd], full-scale-volts: 2.048, data-rate-sps: 1600 }`.
    public struct Channel: Sendable, Hashable {
        public let label: String
        public let positive: Input
        public let negative: Input
        public let fullScale: FullScale
        /// Conversions per second the chip is set to (`data-rate-sps`).
        public let dataRate: Frequency
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let chip = Compatible(rawValue: try c.required("compatible", as: String.self, example: "compatible: ti,ads1015"))
        guard let chip, chip == .ads1015 || chip == .ads1115 else {
            throw decoder.problem("not an ADS1x15.", fix: "use compatible ti,ads1015 or ti,ads1115")
        }
        self.chip = chip
        channels = try c.named("channels", as: ChannelEntry.self).map { try $0.channel(for: chip) }
    }

    /// The raw entry, decoded before the chip is known to the channel.
    struct ChannelEntry: Decodable {
        let label: String
        let positive: Input, negative: Input
        let fullScale: FullScale
        let rate: Int?
        let path: [any CodingKey]

        init(from decoder: any Decoder) throws {
            label = decoder.nodeName
            path = decoder.codingPath
            let c = try decoder.keys(allowed: ["inputs", "full-scale-volts", "data-rate-sps"])
            let names: [String] = try c.required("inputs", example: "inputs: [ain0, gnd]")
            let inputs = try names.enumerated().map { index, name in
                guard let input = Input(rawValue: name) else {
                    throw DecodingError.configProblem(
                        at: c.path("inputs") + [ConfigKey.index(index)], "'\(name)' is not an ADS1x15 input.",
                        fix: "use ain0, ain1, ain2, ain3 or gnd")
                }
                return input
            }
            let pairs = ADS1x15Configuration.muxPairs.map { "[\($0.0.rawValue), \($0.1.rawValue)]" }.joined(separator: ", ")
            guard inputs.count == 1 || inputs.count == 2 else {
                throw c.problem("inputs", "an ADS1x15 channel takes one input (against gnd) or a pair.", fix: "use one of \(pairs)")
            }
            let pair = (inputs[0], inputs.count == 2 ? inputs[1] : .gnd)
            guard ADS1x15Configuration.muxPairs.contains(where: { $0 == pair }) else {
                throw c.problem(
                    "inputs", "[\(pair.0.rawValue), \(pair.1.rawValue)] is not in the ADS1x15 multiplexer table.",
                    fix: "use one of \(pairs)")
            }
            (positive, negative) = pair
            let fsNames = FullScale.allCases.map { ConfigText.number($0.rawValue) }
            if let fs = try c.optional("full-scale-volts", as: Double.self) {
                guard let value = FullScale.allCases.first(where: { abs($0.rawValue - fs) < 1e-9 }) else {
                    throw c.problem(
                        "full-scale-volts", "\(ConfigText.number(fs)) V is not a PGA setting.",
                        fix: "use one of \(fsNames.joined(separator: ", ")) (± volts)")
                }
                fullScale = value
            } else {
                fullScale = .fs2_048
            }
            rate = try c.optional("data-rate-sps", as: Int.self)
        }

        /// The channel, once the chip (and so its data-rate table) is known.
        func channel(for chip: Compatible) throws -> Channel {
            let rates = ADS1x15Configuration.dataRates(chip)
            let sps = rate ?? ADS1x15Configuration.defaultRate(chip)
            guard rates.contains(sps) else {
                let nearest = rates.min { abs($0 - sps) < abs($1 - sps) }!
                throw DecodingError.configProblem(
                    at: path + [ConfigKey("data-rate-sps")], "the \(chip) has no \(sps) SPS data rate.",
                    fix: "use one of \(rates.map(String.init).joined(separator: ", ")) SPS, e.g. \(nearest)")
            }
            return Channel(label: label, positive: positive, negative: negative, fullScale: fullScale,
                           dataRate: .hertz(Double(sps)))
        }
    }
}

// MARK: - MCP3008 / MCP3208

/// `microchip,mcp3008` / `microchip,mcp3208`: 8-channel SAR SPI ADCs (10 / 12 bit), unipolar 0 ... vref.
public struct MCP3x08Configuration: Sendable, Hashable, Decodable {
    public let chip: Compatible
    /// `vref-volts`: the voltage on VREF (0.25 V ... VDD ≤ 5.5 V). Inputs span 0 ... vref.
    public let reference: Voltage
    public let channels: [Channel]

    public enum Input: String, Sendable, Hashable, CaseIterable {
        case ch0, ch1, ch2, ch3, ch4, ch5, ch6, ch7
        public var index: Int { Input.allCases.firstIndex(of: self)! }
    }

    /// One channel: `inputs: [ch0]` single-ended, `[ch0, ch1]` pseudo-differential (IN+ = ch0, IN- = ch1).
    public struct Channel: Sendable, Hashable, Decodable {
        public let label: String
        public let positive: Input
        /// IN- for a pseudo-differential pair; `nil` for single-ended.
        public let negative: Input?

        public init(from decoder: any Decoder) throws {
            label = decoder.nodeName
            let c = try decoder.keys(allowed: ["inputs"])
            let names: [String] = try c.required("inputs", example: "inputs: [ch0]")
            let inputs = try names.enumerated().map { index, name in
                guard let input = Input(rawValue: name) else {
                    throw DecodingError.configProblem(
                        at: c.path("inputs") + [ConfigKey.index(index)], "'\(name)' is not an MCP3x08 input.",
                        fix: "use ch0 ... ch7")
                }
                return input
            }
            switch inputs.count {
            case 1:
                (positive, negative) = (inputs[0], nil)
            case 2 where inputs[0].index / 2 == inputs[1].index / 2 && inputs[0] != inputs[1]:
                (positive, negative) = (inputs[0], inputs[1])
            default:
                throw c.problem(
                    "inputs", "[\(names.joined(separator: ", "))] is neither one input nor a pseudo-differential pair.",
                    fix: "use [chN] for single-ended, or one of the pairs [ch0, ch1], [ch1, ch0], [ch2, ch3], ... [ch7, ch6]")
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let chip = Compatible(rawValue: try c.required("compatible", as: String.self, example: "compatible: microchip,mcp3208"))
        guard let chip, chip == .mcp3008 || chip == .mcp3208 else {
            throw decoder.problem("not an MCP3x08.", fix: "use compatible microchip,mcp3008 or microchip,mcp3208")
        }
        self.chip = chip
        reference = .volts(try c.number("vref-volts", in: 0.25...5.5, unit: "V", example: "3.3"))
        channels = try c.named("channels", as: Channel.self)
    }
}
