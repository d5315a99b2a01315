// TMP102: I2C digital temperature sensor, 12-bit (13-bit in extended mode), 0.0625 °C per LSB.
//
// Parts covered: Texas Instruments TMP102 (ADD0 strapped to GND/V+/SDA/SCL: 0x48-0x4B).
// Datasheet: https://www.ti.com/lit/ds/symlink/tmp102.pdf — SBOS397 (2007, rev. 2018).
//
// Supported features:
//  - Temperature register read (pointer 0x00), normal (12-bit) and extended (13-bit) format, told apart by the
//    EM flag in bit 0 of the second byte (section 7.5.4).
//  - Configuration register read and write (pointer 0x01): shutdown, one-shot, conversion rate, extended mode.
// Not supported: the alert limits TLOW/THIGH (pointers 0x02/0x03) and the SMBus alert response.
//
// Wire formats (section 7.5); S/P = START/STOP, Sr = repeated START, A = ACK:
//  Read a register: S | 1001 0 A1A0 0 | A | pointer | A | Sr | 1001 0 A1A0 1 | A | MSB | A | LSB | NAK | P
//  Write configuration: S | addr W | A | 0x01 | A | byte 1 | A | byte 2 | A | P
//
//  Temperature register (Table 7-6/7-7), big-endian, left-aligned, two's complement:
//   normal:   T11..T4 | T3 T2 T1 T0 0 0 0 0(EM)     value = (word >> 4) · 0.0625 °C
//   extended: T12..T5 | T4 T3 T2 T1 T0 0 0 1(EM)    value = (word >> 3) · 0.0625 °C
//  Configuration register (Table 7-10), power-up 0x60A0:
//   byte 1: OS R1 R0 F1 F0 POL TM SD    byte 2: CR1 CR0 AL EM 0 0 0 0

public import NeuronHAL

/// Conversion rate, bits CR1:CR0 (Table 7-11).
public enum TMP102ConversionRate: UInt8, Sendable, Hashable, CaseIterable {
    case hz0_25 = 0b00, hz1 = 0b01, hz4 = 0b10, hz8 = 0b11
    public var frequency: Frequency { .hertz([0.25, 1, 4, 8][Int(rawValue)]) }
}

/// The configuration register (Table 7-10). Only the bits a driver sets are modelled as fields; the rest are
/// carried in `raw`.
public struct TMP102Config: Hashable, Sendable {
    /// The 16-bit register value, byte 1 in the high half.
    public var raw: UInt16
    public init(raw: UInt16) { self.raw = raw }
    /// The power-up value: 12-bit resolution (R1R0 = 11), 4 Hz, AL = 1.
    public static var powerUp: TMP102Config { TMP102Config(raw: 0x60A0) }

    public var shutdown: Bool {
        get { raw & 0x0100 != 0 }
        set { raw = newValue ? raw | 0x0100 : raw & ~0x0100 }
    }
    /// OS: write 1 in shutdown mode to start one conversion; reads 1 when it has finished.
    public var oneShot: Bool {
        get { raw & 0x8000 != 0 }
        set { raw = newValue ? raw | 0x8000 : raw & ~0x8000 }
    }
    public var extendedMode: Bool {
        get { raw & 0x0010 != 0 }
        set { raw = newValue ? raw | 0x0010 : raw & ~0x0010 }
    }
    public var conversionRate: TMP102ConversionRate {
        get { TMP102ConversionRate(rawValue: UInt8((raw >> 6) & 0b11))! }
        set { raw = (raw & ~0x00C0) | (UInt16(newValue.rawValue) << 6) }
    }
}

/// Pure encoders and decoders of the TMP102 registers.
public enum TMP102Wire {
    /// Pointer register values (Table 7-5).
    public static var temperaturePointer: UInt8 { 0x00 }
    public static var configurationPointer: UInt8 { 0x01 }
    /// One LSB: 0.0625 °C.
    public static var resolution: Double { 0.0625 }

    /// Decodes the temperature register (normal or extended format, per the EM flag in bit 0).
    public static func decodeTemperature(_ msb: UInt8, _ lsb: UInt8) -> Temperature {
        let word = Int16(bitPattern: (UInt16(msb) << 8) | UInt16(lsb))
        let counts = (lsb & 1) != 0 ? word >> 3 : word >> 4  // arithmetic shift keeps the sign
        return .celsius(Double(counts) * resolution)
    }

    /// The register image for `temperature` (rounded to the nearest LSB, clamped to the format's range): used by
    /// tests and simulations.
    public static func encodeTemperature(_ temperature: Temperature, extended: Bool) -> (UInt8, UInt8) {
        let (bits, shift) = extended ? (13, 3) : (12, 4)
        let limit = (1 << (bits - 1)) - 1
        let counts = max(-limit - 1, min(limit, Int((temperature.celsius / resolution).rounded())))
        let word = UInt16(bitPattern: Int16(counts << shift)) | (extended ? 1 : 0)
        return (UInt8(word >> 8), UInt8(word & 0xFF))
    }

    /// The configuration write: `[0x01, byte 1, byte 2]`.
    public static func encodeConfigurationWrite(_ c: TMP102Config) -> InlineArray<3, UInt8> {
        [configurationPointer, UInt8(c.raw >> 8), UInt8(c.raw & 0xFF)]
    }
}

/// Driver for one TMP102 on an I2C bus. The initialiser does no I/O. Every read writes the pointer first (a
/// combined write-read), so it does not depend on what the pointer was left at. Bus errors are rethrown unchanged.
public struct TMP102<Bus: I2CBus> {
    public let bus: Bus
    public let address: I2CAddress

    public init(bus: Bus, address: I2CAddress = I2CAddress(0x48)) {
        self.bus = bus
        self.address = address
    }

    /// `"TMP102 @ 0x48"`.
    public var deviceName: String { "TMP102 @ \(address)" }

    /// Reads the temperature register (the last finished conversion).
    public func readTemperature() throws(HardwareError) -> Temperature {
        let r: InlineArray<2, UInt8> = try bus.writeRead(address, [TMP102Wire.temperaturePointer] as InlineArray<1, UInt8>)
        return TMP102Wire.decodeTemperature(r[0], r[1])
    }

    /// Reads the configuration register.
    public func readConfiguration() throws(HardwareError) -> TMP102Config {
        let r: InlineArray<2, UInt8> = try bus.writeRead(address, [TMP102Wire.configurationPointer] as InlineArray<1, UInt8>)
        return TMP102Config(raw: (UInt16(r[0]) << 8) | UInt16(r[1]))
    }

    /// Writes the configuration register. The read-only bits (R1 R0, AL, the low nibble) are ignored by the chip.
    public func writeConfiguration(_ configuration: TMP102Config) throws(HardwareError) {
        try bus.write(address, TMP102Wire.encodeConfigurationWrite(configuration))
    }
}
