// MCP3008 / MCP3208: 8-channel 10-/12-bit successive-approximation SPI ADCs.
//
// Parts covered: Microchip MCP3008 (10-bit) and MCP3208 (12-bit). The 4-channel MCP3004/MCP3204 use the same
// frames with D2 ignored; not tested here.
// Datasheets: https://ww1.microchip.com/downloads/en/DeviceDoc/21295d.pdf — DS21295D (MCP3004/3008, rev. D);
//             https://ww1.microchip.com/downloads/en/DeviceDoc/21298e.pdf — DS21298E (MCP3204/3208, rev. E).
//
// Supported features:
//  - Single-ended and pseudo-differential conversions on any of the 8 input configurations (Table 5-2 in both
//    datasheets), one 3-byte full-duplex transfer each (section 6.1, "Using the MCP3x0x with MCU SPI ports").
//  - Null-bit check: DOUT drives a 0 ("null bit") just before the MSB; a 1 there means nothing (or something
//    else) is driving MISO, and the reply is refused as `.protocolViolation`.
//  - `AnalogInput` channels: volts = raw · VREF / 2^bits (Digital output code = 2^bits · VIN / VREF, section 4).
// Not supported: the longer-than-12-bit LSB-first trailing output (only the MSB-first result is read).
//
// Wire formats (SPI mode 0,0; MSB first; one transaction with CS low throughout). x = don't care, ? = Hi-Z:
//
//  MCP3008 (DS21295D Figure 6-1), start bit aligned so the result ends on the last byte:
//   MOSI: 0000 0001 | SGL D2 D1 D0 x x x x | xxxx xxxx
//   MISO: ???? ???? | ???? ? 0  B9 B8      | B7 .. B0          (0 = null bit, rx1 bit 2)
//
//  MCP3208 (DS21298E Figure 6-1):
//   MOSI: 0000 0 1 SGL D2 | D1 D0 xx xxxx  | xxxx xxxx
//   MISO: ???? ????       | ?? ? 0 B11..B8 | B7 .. B0          (0 = null bit, rx1 bit 4)
//
//  SGL/DIFF = 1: single-ended, channel = D2 D1 D0. SGL/DIFF = 0: pseudo-differential pairs (Table 5-2):
//   000 CH0+ CH1−   001 CH0− CH1+   010 CH2+ CH3−   011 CH2− CH3+
//   100 CH4+ CH5−   101 CH4− CH5+   110 CH6+ CH7−   111 CH6− CH7+
//
// Timing: the conversion is clocked by SCLK (sample 1.5 clocks, then one clock per bit), so there is nothing to
// wait for in the driver. The SPI clock (MCP3008: 3.6 MHz max at VDD = 5 V, 1.35 MHz at 2.7 V; MCP3208: 2 MHz at
// 5 V, 1 MHz at 2.7 V; Electrical Characteristics, fCLK), the minimum CS-high time (tCSH) and a minimum clock
// rate (≈ 10 kHz or more, so the sample-and-hold does not droop; see the datasheets' application section) are
// the backend's and the board file's business.

public import NeuronHAL

/// Which chip: the resolution differs; the frames differ in where the start bit sits.
public enum MCP3x08Variant: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// 10-bit.
    case mcp3008
    /// 12-bit.
    case mcp3208

    public var resolutionBits: UInt8 { self == .mcp3008 ? 10 : 12 }
    public var description: String { self == .mcp3008 ? "MCP3008" : "MCP3208" }
}

/// Pure encoders and decoders of the MCP3x08 frames (no bus needed; unit-tested on their own).
public enum MCP3x08Wire {
    /// The 3 bytes to clock out for one conversion of `channel` (0...7; a pair selector when not single-ended).
    @inlinable @inline(__always)
    public static func encodeRequest(
        channel: Int, singleEnded: Bool, variant: MCP3x08Variant
    ) -> InlineArray<3, UInt8> {
        precondition((0...7).contains(channel), "MCP3x08 channel must be 0...7")
        let d = UInt8(channel)
        let sgl: UInt8 = singleEnded ? 1 : 0
        switch variant {
        case .mcp3008:
            return [0x01, (sgl << 7) | (d << 4), 0x00]
        case .mcp3208:
            return [0x04 | (sgl << 1) | (d >> 2), (d & 0b11) << 6, 0x00]
        }
    }

    /// The result in the 3 bytes clocked in, or `nil` if the null bit is 1 (no valid reply).
    @inlinable @inline(__always)
    public static func decodeReply(_ reply: InlineArray<3, UInt8>, variant: MCP3x08Variant) -> UInt16? {
        switch variant {
        case .mcp3008:
            guard reply[1] & 0b0000_0100 == 0 else { return nil }
            return (UInt16(reply[1] & 0x03) << 8) | UInt16(reply[2])
        case .mcp3208:
            guard reply[1] & 0b0001_0000 == 0 else { return nil }
            return (UInt16(reply[1] & 0x0F) << 8) | UInt16(reply[2])
        }
    }

    /// volts = raw · VREF / 2^bits.
    @inlinable
    public static func voltage(for code: ADCCode, reference: Voltage) -> Voltage {
        // 2^-bits written as its IEEE-754 bit pattern (biased exponent 1023 − bits): exact, no division per sample.
        reference * (Double(code.value) * Double(bitPattern: UInt64(1023 - Int(code.bits)) << 52))
    }
}

/// Driver for one MCP3008 or MCP3208 on an SPI device (chip select managed below the `SPIDevice`).
///
/// A `final class`, not a struct, so that the eight `MCP3x08Channel` handles share one driver (and one SPI
/// device) like the other drivers' channels do. Not `Sendable` and not thread-safe: owned by the loop thread.
/// The initialiser does no I/O; bus errors are rethrown unchanged.
///
/// Channel numbers outside 0...7 are programmer errors (board files are validated when loaded) and trap.
public final class MCP3x08<Device: SPIDevice> {
    public typealias Variant = MCP3x08Variant

    public let device: Device
    public let variant: Variant
    /// VREF (the REF pin), full scale of the conversion.
    public let reference: Voltage

    /// Does no I/O. `reference` must be positive.
    public init(device: Device, variant: Variant, reference: Voltage) {
        precondition(reference.volts > 0 && reference.volts.isFinite, "MCP3x08 reference must be positive")
        self.device = device
        self.variant = variant
        self.reference = reference
    }

    @inlinable
    public var deviceName: String { "\(variant) (SPI)" }

    // MARK: Bus operations
    // The membrane is read through here on every tick, so the read path is @inlinable: the loop's module then
    // specialises it for the concrete SPI device, with no generic dispatch or metadata look-ups per sample.

    /// One conversion. Throws `.protocolViolation` if the null bit reads 1 (MISO not driven by the chip);
    /// rethrows SPI errors.
    @inlinable @inline(__always)
    public func readRaw(channel: Int, singleEnded: Bool = true) throws(HardwareError) -> ADCCode {
        let request = MCP3x08Wire.encodeRequest(channel: channel, singleEnded: singleEnded, variant: variant)
        let reply = try device.transfer(request)
        guard let value = MCP3x08Wire.decodeReply(reply, variant: variant) else {
            throw nullBitError(reply, channel: channel)
        }
        return ADCCode(Int32(value), bits: variant.resolutionBits)
    }

    /// Out of line, so the per-sample read path does not carry the message formatting.
    @usableFromInline @inline(never)
    func nullBitError(_ reply: InlineArray<3, UInt8>, channel: Int) -> HardwareError {
        HardwareError(
            .protocolViolation,
            "null bit read 1 (reply \(hex(reply[0])) \(hex(reply[1])) \(hex(reply[2]))): is MISO connected?",
            device: deviceName, operation: "read channel \(channel)")
    }

    /// An `AnalogInput` for one channel (or pair selector when `singleEnded` is false).
    public func channel(_ n: Int, singleEnded: Bool = true) -> MCP3x08Channel<Device> {
        precondition((0...7).contains(n), "MCP3x08 channel must be 0...7")
        return MCP3x08Channel(adc: self, number: n, singleEnded: singleEnded)
    }
}

/// One MCP3x08 input as an `AnalogInput`. Not `Sendable` (it shares the driver).
public struct MCP3x08Channel<Device: SPIDevice>: AnalogInput {
    public let adc: MCP3x08<Device>
    public let number: Int
    public let singleEnded: Bool

    /// Volts per code (IIO `scale`): VREF / 2^bits.
    public var scale: Voltage { adc.reference * (1 / Double(Int32(1) << Int32(adc.variant.resolutionBits))) }

    @inlinable @inline(__always)
    public func readVoltage() throws(HardwareError) -> Voltage {
        let raw = try adc.readRaw(channel: number, singleEnded: singleEnded)
        return MCP3x08Wire.voltage(for: raw, reference: adc.reference)
    }
}
