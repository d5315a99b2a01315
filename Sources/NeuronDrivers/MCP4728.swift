// MCP4728: quad 12-bit I2C DAC with EEPROM and an internal 2.048 V reference.
//
// Parts covered: Microchip MCP4728 (address bits A2A1A0 from its EEPROM: 0x60-0x67).
// Datasheet: https://ww1.microchip.com/downloads/en/DeviceDoc/22187E.pdf — DS22187E (Rev. E, 2009).
//
// Supported features:
//  - Fast write (C2C1 = 00) of the four DAC input registers, with power-down bits (8 bytes, Figure 5-7).
//  - Multi-write (C2C1C0 W1W0 = 01000) of one channel: VREF, power-down, gain and code (3 bytes, Figure 5-8).
//  - Read-back of all four channels: DAC input register and EEPROM, 3 bytes each (24 bytes, Figure 5-15).
//  - VREF = VDD or the internal 2.048 V reference; gain x1 / x2 (internal reference only).
//  - `MCP4728Channel`: one channel as an `AnalogOutput`, with a safe state (code 0, powered down, 1 kΩ to GND).
// Not supported: EEPROM writes (sequential / single write), the address-bit write (needs LDAC toggling), the
// general-call commands (they address every chip on the bus; a board-level action), and the separate VREF /
// gain / power-down commands (multi-write sets all of them per channel).
//
// The driver assumes LDAC is tied low (the usual board wiring) or UDAC = 0, so every write updates VOUT at once.
//
// Wire formats (datasheet section 5.6); S/P = START/STOP, A = ACK:
//
//  Fast write (Figure 5-7), C2 C1 = 0 0, channels A, B, C, D in order:
//   S | 1100 A2A1A0 0 | A | 0 0 PD1 PD0 D11..D8 | A | D7..D0 | A | ... (x4) | P
//
//  Multi-write (Figure 5-8), one channel:
//   S | 1100 A2A1A0 0 | A | 0 1 0 0 0 DAC1 DAC0 UDAC | A | VREF PD1 PD0 Gx D11..D8 | A | D7..D0 | A | P
//
//  Read (Figure 5-15), 24 bytes after the address with R/W = 1; for channel A, B, C, D in turn:
//   DAC input register:  RDY/BSY POR DAC1 DAC0 0 A2 A1 A0 | VREF PD1 PD0 Gx D11..D8 | D7..D0
//   EEPROM:              RDY/BSY POR DAC1 DAC0 0 A2 A1 A0 | VREF PD1 PD0 Gx D11..D8 | D7..D0
//
// Output (section 4.2, equations 4-1 and 4-2): VREF = VDD: VOUT = VDD · Dn / 4096 (gain ignored);
// internal: VOUT = 2.048 V · Dn / 4096 · Gx. VOUT cannot exceed VDD.

public import NeuronHAL

/// One of the four outputs, bits DAC1:DAC0.
public enum MCP4728ChannelID: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case a = 0, b = 1, c = 2, d = 3
    public var description: String { ["A", "B", "C", "D"][Int(rawValue)] }
}

/// Output power-down mode, bits PD1:PD0 (datasheet Table 5-5).
public enum MCP4728PowerDown: UInt8, Sendable, Hashable, CaseIterable {
    /// 00: output enabled.
    case normal = 0b00
    /// 01: powered down, VOUT loaded with 1 kΩ to GND.
    case resistor1k = 0b01
    /// 10: powered down, 100 kΩ to GND.
    case resistor100k = 0b10
    /// 11: powered down, 500 kΩ to GND.
    case resistor500k = 0b11
}

/// The voltage reference selection, bit VREF.
public enum MCP4728Reference: UInt8, Sendable, Hashable, CaseIterable {
    /// 0: the supply VDD is the reference (gain is ignored).
    case vdd = 0
    /// 1: the internal 2.048 V reference.
    case internal2048 = 1
}

/// The output amplifier gain, bit Gx (internal reference only).
public enum MCP4728Gain: UInt8, Sendable, Hashable, CaseIterable {
    case x1 = 0, x2 = 1
    public var factor: Double { self == .x1 ? 1 : 2 }
}

/// One channel's code and power-down bits for a fast write.
public struct MCP4728FastValue: Hashable, Sendable {
    public var code: DACCode
    public var powerDown: MCP4728PowerDown
    public init(code: DACCode, powerDown: MCP4728PowerDown = .normal) {
        self.code = code
        self.powerDown = powerDown
    }
}

/// One 3-byte register image from the read-back (a DAC input register or its EEPROM copy).
public struct MCP4728Register: Hashable, Sendable {
    /// RDY/BSY: true when no EEPROM write is in progress.
    public var ready: Bool
    /// POR: true once the power-on reset has released the device.
    public var powerOnReset: Bool
    public var channel: MCP4728ChannelID
    /// A2A1A0, the address bits the chip answers with.
    public var addressBits: UInt8
    public var reference: MCP4728Reference
    public var powerDown: MCP4728PowerDown
    public var gain: MCP4728Gain
    public var code: DACCode

    public init(
        ready: Bool, powerOnReset: Bool, channel: MCP4728ChannelID, addressBits: UInt8,
        reference: MCP4728Reference, powerDown: MCP4728PowerDown, gain: MCP4728Gain, code: DACCode
    ) {
        self.ready = ready
        self.powerOnReset = powerOnReset
        self.channel = channel
        self.addressBits = addressBits
        self.reference = reference
        self.powerDown = powerDown
        self.gain = gain
        self.code = code
    }
}

/// What the 24-byte read returns for one channel.
public struct MCP4728ChannelStatus: Hashable, Sendable {
    public var register: MCP4728Register
    public var eeprom: MCP4728Register
    public init(register: MCP4728Register, eeprom: MCP4728Register) {
        self.register = register
        self.eeprom = eeprom
    }
}

/// What the driver last wrote to (or read from) one channel's DAC input register.
public struct MCP4728Shadow: Hashable, Sendable {
    public var code: DACCode
    public var powerDown: MCP4728PowerDown
    /// `nil` when only fast writes (which leave VREF and gain as they are) reached the channel.
    public var reference: MCP4728Reference?
    public var gain: MCP4728Gain?
    public init(code: DACCode, powerDown: MCP4728PowerDown, reference: MCP4728Reference?, gain: MCP4728Gain?) {
        self.code = code
        self.powerDown = powerDown
        self.reference = reference
        self.gain = gain
    }
}

/// Pure encoders and decoders of the MCP4728 wire formats (no bus needed; unit-tested on their own).
public enum MCP4728Wire {
    /// The DAC resolution in bits.
    public static var resolutionBits: UInt8 { 12 }
    /// The internal reference (section 4.2): 2.048 V.
    public static var internalReference: Voltage { .volts(2.048) }

    /// Fast write (Figure 5-7): `[0 0 PD1 PD0 D11..D8, D7..D0]` for channels A, B, C, D. Traps if a code exceeds
    /// 12 bits.
    public static func encodeFastWrite(_ values: InlineArray<4, MCP4728FastValue>) -> InlineArray<8, UInt8> {
        var bytes = InlineArray<8, UInt8>(repeating: 0)
        for i in 0..<4 {
            let v = values[i]
            precondition(v.code.value <= 0x0FFF, "MCP4728 code exceeds 12 bits")
            bytes[2 * i] = (v.powerDown.rawValue << 4) | UInt8(truncatingIfNeeded: v.code.value >> 8)
            bytes[2 * i + 1] = UInt8(truncatingIfNeeded: v.code.value)
        }
        return bytes
    }

    /// Multi-write of one channel (Figure 5-8): `[0 1 0 0 0 DAC1 DAC0 UDAC, VREF PD1 PD0 Gx D11..D8, D7..D0]`.
    /// `updateOutput` true sends UDAC = 0 (VOUT updates at the last ACK). Traps if `code` exceeds 12 bits.
    public static func encodeMultiWrite(
        channel: MCP4728ChannelID, reference: MCP4728Reference, powerDown: MCP4728PowerDown, gain: MCP4728Gain,
        code: DACCode, updateOutput: Bool = true
    ) -> InlineArray<3, UInt8> {
        precondition(code.value <= 0x0FFF, "MCP4728 code exceeds 12 bits")
        let first: UInt8 = 0b0100_0000 | (channel.rawValue << 1) | (updateOutput ? 0 : 1)
        let middle = (reference.rawValue << 7) | (powerDown.rawValue << 5) | (gain.rawValue << 4)
            | UInt8(truncatingIfNeeded: code.value >> 8)
        return [first, middle, UInt8(truncatingIfNeeded: code.value)]
    }

    /// Decodes one 3-byte register image (Figure 5-15). Bit 3 of the first byte is ignored.
    public static func decodeRegister(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8) -> MCP4728Register {
        MCP4728Register(
            ready: (b0 & 0x80) != 0, powerOnReset: (b0 & 0x40) != 0,
            channel: MCP4728ChannelID(rawValue: (b0 >> 4) & 0b11)!, addressBits: b0 & 0b111,
            reference: MCP4728Reference(rawValue: b1 >> 7)!, powerDown: MCP4728PowerDown(rawValue: (b1 >> 5) & 0b11)!,
            gain: MCP4728Gain(rawValue: (b1 >> 4) & 1)!,
            code: DACCode(Int((UInt16(b1 & 0x0F) << 8) | UInt16(b2)), bits: 12)!)
    }

    /// Decodes the 24-byte read (Figure 5-15) into channels A, B, C, D in wire order.
    public static func decodeReadBack(_ bytes: InlineArray<24, UInt8>) -> [MCP4728ChannelStatus] {
        (0..<4).map { i in
            let o = 6 * i
            return MCP4728ChannelStatus(
                register: decodeRegister(bytes[o], bytes[o + 1], bytes[o + 2]),
                eeprom: decodeRegister(bytes[o + 3], bytes[o + 4], bytes[o + 5]))
        }
    }

    /// The full-scale span: VDD with VREF = VDD, 2.048 V · gain with the internal reference (equations 4-1, 4-2).
    public static func span(reference: MCP4728Reference, gain: MCP4728Gain, vdd: Voltage) -> Voltage {
        reference == .vdd ? vdd : internalReference * gain.factor
    }

    /// The output range: 0 ... span, capped at VDD (the output amplifier cannot exceed its supply).
    public static func range(reference: MCP4728Reference, gain: MCP4728Gain, vdd: Voltage) -> ClosedRange<Voltage> {
        .zero...min(span(reference: reference, gain: gain, vdd: vdd), vdd)
    }

    /// The nearest code for `voltage` (VOUT = span · D / 4096), or `nil` outside `range`. The span itself maps to
    /// the top code 4095.
    public static func code(
        for voltage: Voltage, reference: MCP4728Reference, gain: MCP4728Gain, vdd: Voltage
    ) -> DACCode? {
        let r = range(reference: reference, gain: gain, vdd: vdd)
        guard voltage.volts.isFinite, r.contains(voltage) else { return nil }
        let scaled = (voltage.volts / span(reference: reference, gain: gain, vdd: vdd).volts * 4096).rounded()
        return DACCode(min(Int(scaled), 0x0FFF), bits: 12)
    }

    /// The output voltage for `code` with the output enabled: span · D / 4096, capped at VDD.
    public static func voltage(
        for code: DACCode, reference: MCP4728Reference, gain: MCP4728Gain, vdd: Voltage
    ) -> Voltage {
        min(span(reference: reference, gain: gain, vdd: vdd) * (Double(code.value) / 4096), vdd)
    }
}

/// Driver for one MCP4728 quad DAC on an I2C bus.
///
/// A `final class`, as `MCP4725`: the shadow of each channel is shared by the driver and the four
/// `MCP4728Channel` views of it. Not `Sendable` and not thread-safe: it is owned by the loop thread.
///
/// The initialiser does no I/O; call `readBack()` at start-up to learn the chip's state. Bus errors are rethrown
/// unchanged; errors raised by the driver itself name the device as `"MCP4728 @ 0x60"`.
public final class MCP4728<Bus: I2CBus, Clock: MonotonicClock> {
    public let bus: Bus
    public let address: I2CAddress
    /// The supply, which is also the reference when `reference` is `.vdd`.
    public let vdd: Voltage
    /// The reference and gain every multi-write (and so every `MCP4728Channel` write) selects.
    public let reference: MCP4728Reference
    public let gain: MCP4728Gain
    public let clock: Clock

    /// Each channel's DAC input register after the last successful write or read-back (`nil` before the first),
    /// indexed by `MCP4728ChannelID.rawValue`.
    public private(set) var shadow: [MCP4728Shadow?] = [nil, nil, nil, nil]

    /// Does no I/O. `vdd` must be positive.
    public init(
        bus: Bus, address: I2CAddress = I2CAddress(0x60), vdd: Voltage, reference: MCP4728Reference = .vdd,
        gain: MCP4728Gain = .x1, clock: Clock
    ) {
        precondition(vdd.volts > 0 && vdd.volts.isFinite, "MCP4728 VDD must be positive")
        self.bus = bus
        self.address = address
        self.vdd = vdd
        self.reference = reference
        self.gain = gain
        self.clock = clock
    }

    /// `"MCP4728 @ 0x60"`, used in errors the driver raises itself.
    public var deviceName: String { "MCP4728 @ \(address)" }

    /// The output range of every channel with this driver's reference and gain.
    public var range: ClosedRange<Voltage> { MCP4728Wire.range(reference: reference, gain: gain, vdd: vdd) }

    /// The `AnalogOutput` view of one channel.
    public func channel(_ id: MCP4728ChannelID) -> MCP4728Channel<Bus, Clock> { MCP4728Channel(dac: self, id: id) }

    /// The shadow of `id`.
    public func shadow(_ id: MCP4728ChannelID) -> MCP4728Shadow? { shadow[Int(id.rawValue)] }

    // MARK: Bus operations

    /// Fast write of all four DAC input registers (8 bytes); VREF and gain stay as they are.
    /// Throws `.outOfRange` (nothing written) if a code exceeds 12 bits; rethrows bus errors (shadow unchanged).
    public func writeFast(_ values: InlineArray<4, MCP4728FastValue>) throws(HardwareError) {
        for i in 0..<4 { try checkCode(values[i].code, operation: "fast write") }
        try bus.write(address, MCP4728Wire.encodeFastWrite(values))
        for i in 0..<4 {
            let old = shadow[i]
            shadow[i] = MCP4728Shadow(
                code: values[i].code, powerDown: values[i].powerDown, reference: old?.reference, gain: old?.gain)
        }
    }

    /// Multi-write of one channel (3 bytes, UDAC = 0) with this driver's reference and gain. Errors as `writeFast`.
    public func write(_ id: MCP4728ChannelID, code: DACCode, powerDown: MCP4728PowerDown = .normal) throws(HardwareError) {
        try checkCode(code, operation: "multi-write channel \(id)")
        try bus.write(
            address,
            MCP4728Wire.encodeMultiWrite(channel: id, reference: reference, powerDown: powerDown, gain: gain, code: code))
        shadow[Int(id.rawValue)] = MCP4728Shadow(code: code, powerDown: powerDown, reference: reference, gain: gain)
    }

    /// Reads all four channels (24 bytes) and updates the shadow from the DAC input registers. Throws
    /// `.protocolViolation` if the channel bits do not read A, B, C, D in order (shadow unchanged).
    public func readBack() throws(HardwareError) -> [MCP4728ChannelStatus] {
        let bytes: InlineArray<24, UInt8> = try bus.read(address)
        let status = MCP4728Wire.decodeReadBack(bytes)
        for (i, s) in status.enumerated() where s.register.channel.rawValue != UInt8(i) || s.eeprom.channel.rawValue != UInt8(i) {
            throw HardwareError(
                .protocolViolation, "read-back entry \(i) names channel \(s.register.channel), expected \(MCP4728ChannelID(rawValue: UInt8(i))!)",
                device: deviceName, operation: "read back")
        }
        for (i, s) in status.enumerated() {
            shadow[i] = MCP4728Shadow(
                code: s.register.code, powerDown: s.register.powerDown, reference: s.register.reference, gain: s.register.gain)
        }
        return status
    }

    private func checkCode(_ code: DACCode, operation: String) throws(HardwareError) {
        guard code.value <= 0x0FFF else {
            throw HardwareError(
                .outOfRange, "code \(code.value) exceeds 12 bits (0...4095)", device: deviceName, operation: operation)
        }
    }
}

/// One MCP4728 output as an `AnalogOutput`. A view: the state lives in the shared driver.
public struct MCP4728Channel<Bus: I2CBus, Clock: MonotonicClock>: AnalogOutput {
    public let dac: MCP4728<Bus, Clock>
    public let id: MCP4728ChannelID

    public init(dac: MCP4728<Bus, Clock>, id: MCP4728ChannelID) {
        self.dac = dac
        self.id = id
    }

    /// 0 V ... span (VDD, or 2.048 V · gain), capped at VDD.
    public var range: ClosedRange<Voltage> { dac.range }

    /// Multi-writes the nearest code with the output enabled. Throws `.outOfRange` outside `range` (or for NaN)
    /// without touching the bus; it never clamps.
    public func setVoltage(_ voltage: Voltage) throws(HardwareError) {
        guard let code = MCP4728Wire.code(for: voltage, reference: dac.reference, gain: dac.gain, vdd: dac.vdd) else {
            throw HardwareError(
                .outOfRange, "\(voltage) is outside \(range.lowerBound) ... \(range.upperBound)", device: dac.deviceName,
                operation: "set voltage (channel \(id))")
        }
        try dac.write(id, code: code, powerDown: .normal)
    }

    /// Multi-writes code 0 with power-down `resistor1k` on this channel only: the output amplifier is off and VOUT
    /// is pulled to GND through 1 kΩ. The other channels and the EEPROM are not touched.
    public func enterSafeState() throws(HardwareError) {
        try dac.write(id, code: DACCode(0, bits: 12)!, powerDown: .resistor1k)
    }
}
