/// A 7-bit I2C address, right-aligned (0x48, not 0x90), as the Linux `I2C_SLAVE` ioctl and embedded-hal expect.
/// Only 0x03...0x77 is valid: 0x00-0x02 and 0x78-0x7F are reserved by the I2C specification (general call,
/// CBUS, 10-bit prefix).
public struct I2CAddress: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public let rawValue: UInt8
    public static let validRange: ClosedRange<UInt8> = 0x03...0x77

    /// A validated address; `nil` outside 0x03...0x77.
    @inlinable public init?(rawValue: UInt8) {
        guard Self.validRange.contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }
    /// An address from a constant; traps outside 0x03...0x77 (a programmer error). Use `init?(rawValue:)` for input.
    @inlinable public init(_ rawValue: UInt8) {
        precondition(Self.validRange.contains(rawValue), "I2C address out of 0x03...0x77")
        self.rawValue = rawValue
    }
    @inlinable public static func < (a: I2CAddress, b: I2CAddress) -> Bool { a.rawValue < b.rawValue }
    public var description: String { hex(rawValue) }
}

/// A converter code checked against its resolution: 0 ... 2^bits - 1.
public struct ConverterCode: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public let value: UInt16
    public let bits: UInt8
    @inlinable public static func maximum(bits: UInt8) -> UInt16 { UInt16((1 << UInt32(bits)) - 1) }
    /// `nil` if `value` does not fit in `bits` (1...16).
    @inlinable public init?(_ value: Int, bits: UInt8) {
        guard (1...16).contains(bits), value >= 0, value <= Int(Self.maximum(bits: bits)) else { return nil }
        self.value = UInt16(value)
        self.bits = bits
    }
    /// The nearest code to `fraction` of full scale, clamped to 0 ... max.
    @inlinable public init(fractionOfFullScale fraction: Double, bits: UInt8) {
        precondition((1...16).contains(bits))
        let maxCode = Double(Self.maximum(bits: bits))
        let scaled = (fraction * maxCode).rounded()
        self.value = UInt16(scaled.isNaN ? 0 : min(max(scaled, 0), maxCode))
        self.bits = bits
    }
    public var description: String { "\(value)/\(Self.maximum(bits: bits))" }
}

/// A DAC input code (e.g. 12-bit for MCP4725).
public typealias DACCode = ConverterCode

/// A signed ADC result (ADS1x15 results are two's complement; MCP3x08 results are unsigned, still fit).
public struct ADCCode: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public let value: Int32
    public let bits: UInt8
    @inlinable public init(_ value: Int32, bits: UInt8) { self.value = value; self.bits = bits }
    public var description: String { "\(value) (\(bits)-bit)" }
}

public func hex(_ v: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return "0x" + String(digits[Int(v >> 4)]) + String(digits[Int(v & 0xF)])
}
