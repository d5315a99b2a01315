// ADS1015 / ADS1115: 12-/16-bit, 4-input delta-sigma I2C ADCs with PGA, mux and comparator.
//
// Parts covered: TI ADS1015 (12-bit, 128...3300 SPS) and ADS1115 (16-bit, 8...860 SPS). The ADS1013/4 and
// ADS1113/4 share the register map but lack the mux (and the PGA/comparator on the xx13); not tested here.
// Datasheets: https://www.ti.com/lit/ds/symlink/ads1015.pdf — SBAS473E (ADS101x, rev. E);
//             https://www.ti.com/lit/ds/symlink/ads1115.pdf — SBAS444D (ADS111x, rev. D).
//
// Supported features:
//  - All four registers by address pointer (conversion, config, Lo_thresh, Hi_thresh).
//  - The config register as a value type with the datasheet's fields (OS, MUX, PGA, MODE, DR, COMP_MODE,
//    COMP_POL, COMP_LAT, COMP_QUE), defaults equal to the reset value 0x8583, pure encode/decode.
//  - Single-shot conversions (start with OS = 1, wait the conversion time on the injected clock, poll OS, read).
//  - Continuous conversion, waiting after each reconfiguration for the first valid result.
//  - ALERT/RDY as a conversion-ready pin (Hi_thresh MSB = 1, Lo_thresh MSB = 0, COMP_QUE != 11).
//  - `AnalogInput` channels (one mux/PGA/rate/mode each) sharing one driver.
// Not supported: comparator thresholds as values (only the conversion-ready use), SMBus alert response.
//
// Wire formats (datasheet "I2C interface" / "Reading and writing the registers" and "Register map" sections;
// section and figure numbers differ between the two sheets, so they are cited by title):
//
//  Write a register (pointer then 16-bit word, MSB first):
//   S | 1001 0 A1 A0 0 | A | 0 0 0 0 0 0 P1 P0 | A | D15 .. D8 | A | D7 .. D0 | A | P
//  Read a register (pointer write, repeated START, two bytes MSB first):
//   S | addr+W | A | pointer | A | Sr | addr+R | A | D15 .. D8 | A | D7 .. D0 | NA | P
//
//  Config register (pointer 01), reset 0x8583:
//   15   | 14:12 | 11:9 | 8    | 7:5 | 4         | 3        | 2        | 1:0
//   OS   | MUX   | PGA  | MODE | DR  | COMP_MODE | COMP_POL | COMP_LAT | COMP_QUE
//
//  Conversion register (pointer 00), two's complement:
//   ADS1015: D11 .. D0 0 0 0 0   (12-bit result left-aligned; the low nibble reads 0)
//   ADS1115: D15 .. D0
//
// Timing: a conversion takes 1/DR ("Output data rate and conversion time"); the internal oscillator may run up to
// 10 % slow (the data rate is specified to ±10 % in Electrical Characteristics), so the driver waits
// 1/DR + 10 % before reading, rounded up to whole microseconds as the Linux ads1015 driver computes it
// (drivers/iio/adc/ti-ads1015.c: DIV_ROUND_UP(USEC_PER_SEC, rate), then + 10 %). After a mux/PGA/rate change
// in continuous mode it waits the conversion in progress at the old rate plus one at the new rate (+10 %), as
// that driver does, before the first read.

public import NeuronHAL

/// Which chip: the resolution and the data-rate table differ; the register map does not.
public enum ADS1x15Variant: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// 12-bit, 128/250/490/920/1600/2400/3300 SPS (SBAS473E, config register DR field), default 1600.
    case ads1015
    /// 16-bit, 8/16/32/64/128/250/475/860 SPS (SBAS444D, config register DR field), default 128.
    case ads1115

    public var description: String { self == .ads1015 ? "ADS1015" : "ADS1115" }
    /// Result width in bits.
    public var resolutionBits: UInt8 { self == .ads1015 ? 12 : 16 }

    /// Samples per second for a DR code.
    /// (A switch, not an array lookup, so the conversion-time path allocates nothing.)
    public func samplesPerSecond(_ rate: ADS1x15Config.DataRate) -> Int {
        switch (self, rate) {
        case (.ads1015, .dr000): 128
        case (.ads1015, .dr001): 250
        case (.ads1015, .dr010): 490
        case (.ads1015, .dr011): 920
        case (.ads1015, .dr100): 1600
        case (.ads1015, .dr101): 2400
        case (.ads1015, .dr110), (.ads1015, .dr111): 3300
        case (.ads1115, .dr000): 8
        case (.ads1115, .dr001): 16
        case (.ads1115, .dr010): 32
        case (.ads1115, .dr011): 64
        case (.ads1115, .dr100): 128
        case (.ads1115, .dr101): 250
        case (.ads1115, .dr110): 475
        case (.ads1115, .dr111): 860
        }
    }
    /// The DR code for a rate this variant has, or `nil`.
    public func dataRate(samplesPerSecond sps: Int) -> ADS1x15Config.DataRate? {
        ADS1x15Config.DataRate.allCases.first { samplesPerSecond($0) == sps }
    }
    /// The distinct rates, ascending (IIO `sampling_frequency_available`).
    public var samplingFrequencyAvailable: [Int] {
        self == .ads1015 ? [128, 250, 490, 920, 1600, 2400, 3300] : [8, 16, 32, 64, 128, 250, 475, 860]
    }
}

/// Address pointer register values P1:P0 (datasheet "Address Pointer Register" field descriptions).
public enum ADS1x15Register: UInt8, Sendable, Hashable, CaseIterable {
    case conversion = 0b00
    case config = 0b01
    case loThresh = 0b10
    case hiThresh = 0b11
}

/// The config register (pointer 01). The defaults are the reset value 0x8583.
public struct ADS1x15Config: Hashable, Sendable, CustomStringConvertible {
    /// OS, config bit 15. Written: 1 starts a single conversion (in power-down state), 0 has no effect.
    /// Read: 0 while a conversion is in progress, 1 when idle.
    public enum OperationalStatus: UInt8, Sendable, Hashable {
        /// Read: converting. Written: no effect.
        case busy = 0
        /// Read: idle. Written: start a single conversion. Reset value.
        case idle = 1
        /// The value to write to start a conversion (same bit as `.idle`).
        public static var startConversion: OperationalStatus { .idle }
        /// The value to write for no effect (same bit as `.busy`).
        public static var noEffect: OperationalStatus { .busy }
    }

    /// MUX[2:0], config bits 14:12: AINP / AINN.
    public enum Mux: UInt8, Sendable, Hashable, CaseIterable {
        /// AINP = AIN0, AINN = AIN1 (reset value).
        case ain0ain1 = 0b000
        case ain0ain3 = 0b001
        case ain1ain3 = 0b010
        case ain2ain3 = 0b011
        /// AINP = AIN0, AINN = GND.
        case ain0gnd = 0b100
        case ain1gnd = 0b101
        case ain2gnd = 0b110
        case ain3gnd = 0b111
    }

    /// PGA[2:0], config bits 11:9: the full-scale range ±FSR. Codes 101, 110 and 111 all select ±0.256 V;
    /// decoding maps all three to `fsr0_256`, encoding writes 101.
    public enum PGA: UInt8, Sendable, Hashable, CaseIterable {
        case fsr6_144 = 0b000
        case fsr4_096 = 0b001
        /// ±2.048 V (reset value).
        case fsr2_048 = 0b010
        case fsr1_024 = 0b011
        case fsr0_512 = 0b100
        case fsr0_256 = 0b101

        /// The positive full-scale voltage (the range is −FSR ... +FSR − 1 LSB).
        public var fullScale: Voltage {
            switch self {
            case .fsr6_144: .volts(6.144)
            case .fsr4_096: .volts(4.096)
            case .fsr2_048: .volts(2.048)
            case .fsr1_024: .volts(1.024)
            case .fsr0_512: .volts(0.512)
            case .fsr0_256: .volts(0.256)
            }
        }
    }

    /// MODE, config bit 8.
    public enum Mode: UInt8, Sendable, Hashable, CaseIterable {
        case continuous = 0
        /// Single-shot / power-down (reset value).
        case singleShot = 1
    }

    /// DR[2:0], config bits 7:5. The rate each code selects depends on the variant:
    ///
    /// | code | ADS1015 | ADS1115 |
    /// |------|---------|---------|
    /// | 000  | 128     | 8       |
    /// | 001  | 250     | 16      |
    /// | 010  | 490     | 32      |
    /// | 011  | 920     | 64      |
    /// | 100  | 1600 (reset) | 128 (reset) |
    /// | 101  | 2400    | 250     |
    /// | 110  | 3300    | 475     |
    /// | 111  | 3300    | 860     |
    public enum DataRate: UInt8, Sendable, Hashable, CaseIterable {
        case dr000 = 0, dr001, dr010, dr011, dr100, dr101, dr110, dr111
        /// The reset value, 100 (1600 SPS on the ADS1015, 128 SPS on the ADS1115).
        public static var reset: DataRate { .dr100 }
    }

    /// COMP_MODE, config bit 4.
    public enum ComparatorMode: UInt8, Sendable, Hashable {
        case traditional = 0
        case window = 1
    }
    /// COMP_POL, config bit 3: ALERT/RDY polarity.
    public enum ComparatorPolarity: UInt8, Sendable, Hashable {
        case activeLow = 0
        case activeHigh = 1
    }
    /// COMP_LAT, config bit 2.
    public enum ComparatorLatch: UInt8, Sendable, Hashable {
        case nonLatching = 0
        case latching = 1
    }
    /// COMP_QUE[1:0], config bits 1:0.
    public enum ComparatorQueue: UInt8, Sendable, Hashable {
        case assertAfterOne = 0b00
        case assertAfterTwo = 0b01
        case assertAfterFour = 0b10
        /// Comparator disabled, ALERT/RDY high-impedance (reset value).
        case disabled = 0b11
    }

    public var os: OperationalStatus
    public var mux: Mux
    public var pga: PGA
    public var mode: Mode
    public var dataRate: DataRate
    public var compMode: ComparatorMode
    public var compPol: ComparatorPolarity
    public var compLat: ComparatorLatch
    public var compQue: ComparatorQueue

    public init(
        os: OperationalStatus = .idle, mux: Mux = .ain0ain1, pga: PGA = .fsr2_048, mode: Mode = .singleShot,
        dataRate: DataRate = .reset, compMode: ComparatorMode = .traditional,
        compPol: ComparatorPolarity = .activeLow, compLat: ComparatorLatch = .nonLatching,
        compQue: ComparatorQueue = .disabled
    ) {
        self.os = os
        self.mux = mux
        self.pga = pga
        self.mode = mode
        self.dataRate = dataRate
        self.compMode = compMode
        self.compPol = compPol
        self.compLat = compLat
        self.compQue = compQue
    }

    /// Decodes a register word; PGA 110/111 decode as `fsr0_256` (so they do not round-trip bit for bit).
    public init(decoding word: UInt16) {
        os = OperationalStatus(rawValue: UInt8((word >> 15) & 0b1))!
        mux = Mux(rawValue: UInt8((word >> 12) & 0b111))!
        pga = PGA(rawValue: min(UInt8((word >> 9) & 0b111), PGA.fsr0_256.rawValue))!
        mode = Mode(rawValue: UInt8((word >> 8) & 0b1))!
        dataRate = DataRate(rawValue: UInt8((word >> 5) & 0b111))!
        compMode = ComparatorMode(rawValue: UInt8((word >> 4) & 0b1))!
        compPol = ComparatorPolarity(rawValue: UInt8((word >> 3) & 0b1))!
        compLat = ComparatorLatch(rawValue: UInt8((word >> 2) & 0b1))!
        compQue = ComparatorQueue(rawValue: UInt8(word & 0b11))!
    }

    /// The register word.
    public func encode() -> UInt16 {
        (UInt16(os.rawValue) << 15) | (UInt16(mux.rawValue) << 12) | (UInt16(pga.rawValue) << 9)
            | (UInt16(mode.rawValue) << 8) | (UInt16(dataRate.rawValue) << 5) | (UInt16(compMode.rawValue) << 4)
            | (UInt16(compPol.rawValue) << 3) | (UInt16(compLat.rawValue) << 2) | UInt16(compQue.rawValue)
    }

    public var description: String {
        "Config(0x" + String(encode(), radix: 16) + ": \(os) \(mux) \(pga) \(mode) \(dataRate) \(compQue))"
    }
}

/// Pure encoders, decoders and timing of the ADS1x15 (no bus needed; unit-tested on their own).
public enum ADS1x15Wire {
    /// A register write: `[pointer, MSB, LSB]`.
    public static func encodeRegisterWrite(_ register: ADS1x15Register, _ word: UInt16) -> InlineArray<3, UInt8> {
        [register.rawValue, UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
    }

    /// A big-endian register word from the two bytes read.
    public static func decodeWord(_ bytes: InlineArray<2, UInt8>) -> UInt16 {
        (UInt16(bytes[0]) << 8) | UInt16(bytes[1])
    }

    /// The signed result in a conversion-register word: ADS1015 12-bit left-aligned (arithmetic shift right by 4),
    /// ADS1115 16-bit two's complement.
    public static func decodeConversion(_ word: UInt16, variant: ADS1x15Variant) -> ADCCode {
        switch variant {
        case .ads1015: ADCCode(Int32(Int16(bitPattern: word) >> 4), bits: 12)
        case .ads1115: ADCCode(Int32(Int16(bitPattern: word)), bits: 16)
        }
    }

    /// volts = code · FSR / 2^(bits−1).
    public static func voltage(for code: ADCCode, pga: ADS1x15Config.PGA) -> Voltage {
        pga.fullScale * (Double(code.value) / Double(Int32(1) << Int32(code.bits - 1)))
    }

    /// One conversion period plus 10 % (oscillator tolerance), in whole microseconds as the Linux driver computes
    /// it: ⌈10⁶ / SPS⌉ µs, plus a tenth of that (integer division).
    public static func conversionTime(variant: ADS1x15Variant, rate: ADS1x15Config.DataRate) -> Duration {
        let period = periodMicroseconds(variant: variant, rate: rate)
        return .microseconds(period + period / 10)
    }

    /// The wait after reconfiguring in continuous mode: the conversion in progress at `old` plus one at `new`,
    /// plus 10 %.
    public static func settleTime(
        variant: ADS1x15Variant, from old: ADS1x15Config.DataRate, to new: ADS1x15Config.DataRate
    ) -> Duration {
        let total = periodMicroseconds(variant: variant, rate: old) + periodMicroseconds(variant: variant, rate: new)
        return .microseconds(total + total / 10)
    }

    static func periodMicroseconds(variant: ADS1x15Variant, rate: ADS1x15Config.DataRate) -> Int64 {
        let sps = Int64(variant.samplesPerSecond(rate))
        return (1_000_000 + sps - 1) / sps
    }
}

/// Driver for one ADS1015 or ADS1115 on an I2C bus.
///
/// A `final class`, not a struct: the shadow `config` register is shared by every `ADS1x15Channel` handle on this
/// chip (they multiplex one converter), so a reconfiguration through one must be seen by the others. Not
/// `Sendable` and not thread-safe: it is owned by the real-time loop thread.
///
/// The initialiser does no I/O. Bus errors are rethrown unchanged; errors raised by the driver name the device as
/// `"ADS1015 @ 0x48"` (or `ADS1115`).
public final class ADS1x15<Bus: I2CBus, Clock: MonotonicClock> {
    public typealias Variant = ADS1x15Variant
    public typealias Register = ADS1x15Register
    public typealias Config = ADS1x15Config
    public typealias OperationalStatus = ADS1x15Config.OperationalStatus
    public typealias Mux = ADS1x15Config.Mux
    public typealias PGA = ADS1x15Config.PGA
    public typealias Mode = ADS1x15Config.Mode
    public typealias DataRate = ADS1x15Config.DataRate

    public let bus: Bus
    public let address: I2CAddress
    public let variant: Variant
    public let clock: Clock
    /// The config register as last written or read; `nil` before the first successful access.
    public private(set) var config: Config?

    /// Does no I/O. The address is 0x48...0x4B depending on the ADDR pin (GND, VDD, SDA, SCL).
    public init(bus: Bus, address: I2CAddress = I2CAddress(0x48), variant: Variant, clock: Clock) {
        self.bus = bus
        self.address = address
        self.variant = variant
        self.clock = clock
    }

    /// `"ADS1015 @ 0x48"`, used in errors the driver raises itself.
    public var deviceName: String { "\(variant) @ \(address)" }

    /// How many OS polls `readSingleShot` makes after the conversion time before giving up with `.timedOut`.
    public static var readyPollLimit: Int { 10 }

    // MARK: Register access

    /// Writes the config register; the shadow `config` is updated only if the write succeeded.
    public func configure(_ config: Config) throws(HardwareError) {
        try bus.write(address, ADS1x15Wire.encodeRegisterWrite(.config, config.encode()))
        self.config = config
    }

    /// Reads the config register (OS then reads 0 while converting) and stores it as the shadow.
    public func readConfig() throws(HardwareError) -> Config {
        let config = Config(decoding: try readRegister(.config))
        self.config = config
        return config
    }

    /// Reads the conversion register as it is (no conversion is started). Throws `.protocolViolation` if an
    /// ADS1015 returns non-zero bits in the low nibble, which the datasheet says always read 0.
    public func readConversionRaw() throws(HardwareError) -> ADCCode {
        let word = try readRegister(.conversion)
        if variant == .ads1015 && (word & 0x000F) != 0 {
            throw HardwareError(
                .protocolViolation, "conversion register 0x\(String(word, radix: 16)) has low nibble set",
                device: deviceName, operation: "read conversion register")
        }
        return ADS1x15Wire.decodeConversion(word, variant: variant)
    }

    /// One single-shot conversion: writes the config with OS = 1 and MODE = single-shot (comparator fields kept from
    /// the shadow), sleeps `conversionTime` on the clock, polls OS up to `readyPollLimit` times (sleeping a tenth of
    /// the conversion time between polls; `.timedOut` if still busy), then reads and scales the result.
    public func readSingleShot(mux: Mux, pga: PGA, rate: DataRate) throws(HardwareError) -> Voltage {
        var next = config ?? Config()
        next.os = .startConversion
        next.mux = mux
        next.pga = pga
        next.mode = .singleShot
        next.dataRate = rate
        try configure(next)
        let conversion = ADS1x15Wire.conversionTime(variant: variant, rate: rate)
        clock.sleep(for: conversion)
        var polls = 0
        while true {
            let status = Config(decoding: try readRegister(.config))
            polls += 1
            if status.os == .idle { break }
            if polls >= Self.readyPollLimit {
                throw HardwareError(
                    .timedOut, "conversion not finished (OS = 0) after \(polls) polls", device: deviceName,
                    operation: "single-shot conversion")
            }
            clock.sleep(for: conversion / 10)
        }
        return ADS1x15Wire.voltage(for: try readConversionRaw(), pga: pga)
    }

    /// Starts continuous conversion (OS = 0, MODE = continuous; comparator fields kept from the shadow) and waits
    /// `settleTime` on the clock so that the next conversion-register read holds a result for the new settings.
    /// The old rate is the shadow's (or the new rate when the chip has not been accessed yet).
    public func startContinuous(mux: Mux, pga: PGA, rate: DataRate) throws(HardwareError) {
        let old = config
        var next = old ?? Config()
        next.os = .noEffect
        next.mux = mux
        next.pga = pga
        next.mode = .continuous
        next.dataRate = rate
        try configure(next)
        let oldRate = (old?.mode == .continuous ? old?.dataRate : nil) ?? rate
        clock.sleep(for: ADS1x15Wire.settleTime(variant: variant, from: oldRate, to: rate))
    }

    /// Makes ALERT/RDY pulse once per conversion: Hi_thresh = 0x8000 (MSB 1), Lo_thresh = 0x0000 (MSB 0), then
    /// the config with COMP_QUE = assert-after-one (other fields kept from the shadow, or reset values).
    /// Polarity follows COMP_POL. The shadow changes only after the config write succeeds.
    public func enableConversionReadyPin() throws(HardwareError) {
        try bus.write(address, ADS1x15Wire.encodeRegisterWrite(.hiThresh, 0x8000))
        try bus.write(address, ADS1x15Wire.encodeRegisterWrite(.loThresh, 0x0000))
        var next = config ?? Config()
        next.os = .noEffect
        next.compQue = .assertAfterOne
        try configure(next)
    }

    /// An `AnalogInput` for one input configuration; several channels can share this driver.
    public func channel(
        mux: Mux, pga: PGA = .fsr2_048, rate: DataRate = .reset, mode: Mode = .singleShot
    ) -> ADS1x15Channel<Bus, Clock> {
        ADS1x15Channel(adc: self, mux: mux, pga: pga, rate: rate, mode: mode)
    }

    private func readRegister(_ register: Register) throws(HardwareError) -> UInt16 {
        let pointer: InlineArray<1, UInt8> = [register.rawValue]
        let bytes: InlineArray<2, UInt8> = try bus.writeRead(address, pointer)
        return ADS1x15Wire.decodeWord(bytes)
    }
}

/// One input of an ADS1x15 as an `AnalogInput` (volts = code · FSR / 2^(bits−1)).
///
/// Single-shot: every read is a `readSingleShot`. Continuous: if the chip's shadow config already has this
/// channel's mux, PGA, rate and continuous mode, the read is just the conversion register; otherwise the channel
/// calls `startContinuous` first, which waits for the first valid conversion. Not `Sendable` (it shares the driver).
public struct ADS1x15Channel<Bus: I2CBus, Clock: MonotonicClock>: AnalogInput {
    public let adc: ADS1x15<Bus, Clock>
    public let mux: ADS1x15Config.Mux
    public let pga: ADS1x15Config.PGA
    public let rate: ADS1x15Config.DataRate
    public let mode: ADS1x15Config.Mode

    /// Volts per code (IIO `scale`).
    public var scale: Voltage { pga.fullScale * (1 / Double(Int32(1) << Int32(adc.variant.resolutionBits - 1))) }

    public func readVoltage() throws(HardwareError) -> Voltage {
        switch mode {
        case .singleShot:
            return try adc.readSingleShot(mux: mux, pga: pga, rate: rate)
        case .continuous:
            if let c = adc.config, c.mode == .continuous, c.mux == mux, c.pga == pga, c.dataRate == rate {
                return ADS1x15Wire.voltage(for: try adc.readConversionRaw(), pga: pga)
            }
            try adc.startContinuous(mux: mux, pga: pga, rate: rate)
            return ADS1x15Wire.voltage(for: try adc.readConversionRaw(), pga: pga)
        }
    }
}
