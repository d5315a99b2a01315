// MCP4725: 12-bit single-channel I2C DAC with EEPROM.
//
// Parts covered: Microchip MCP4725 (A0/A1/A2/A3 address variants).
// Datasheet: https://ww1.microchip.com/downloads/en/DeviceDoc/22039d.pdf — DS22039D (Rev. D, 2009).
//
// Supported features:
//  - Fast write (2 bytes, C2C1 = 00) of the DAC register with power-down bits.
//  - Write DAC register (C2C1C0 = 010) and write DAC register + EEPROM (011), polling RDY/BSY for the EEPROM
//    write on the injected clock with a 50 ms deadline.
//  - Read-back of the status byte, the DAC register and the EEPROM (5 bytes).
//  - The three power-down modes (1 kΩ, 100 kΩ, 500 kΩ to GND).
//  - `AnalogOutput`: nearest-code voltage writes (VOUT = VDD · D / 4096), refusing out-of-range values, and a safe
//    state (code 0, output powered down and pulled to GND through 1 kΩ).
// Not supported: general-call reset/wake-up (they address every chip on the bus; a board-level action).
//
// Wire formats (datasheet section 6, Figures 6-1, 6-2, 6-3); S/P = START/STOP, A = ACK:
//
//  Fast mode write (Figure 6-1), C2 C1 = 0 0:
//   S | 1100 A2A1A0 0 | A | C2 C1 PD1 PD0 D11 D10 D9 D8 | A | D7 D6 D5 D4 D3 D2 D1 D0 | A | P
//
//  Write DAC register (C2C1C0 = 010) / DAC register and EEPROM (C2C1C0 = 011) (Figure 6-2):
//   S | 1100 A2A1A0 0 | A | C2 C1 C0 x x PD1 PD0 x | A | D11 .. D4 | A | D3 D2 D1 D0 x x x x | A | P
//
//  Read (Figure 6-3), five bytes after the address with R/W = 1:
//   byte 0: RDY/BSY POR x x x PD1 PD0 x       (status + DAC register power-down bits)
//   byte 1: D11 D10 D9 D8 D7 D6 D5 D4          (DAC register)
//   byte 2: D3 D2 D1 D0 x x x x
//   byte 3: x PD1 PD0 x D11 D10 D9 D8          (EEPROM)
//   byte 4: D7 D6 D5 D4 D3 D2 D1 D0
//
// Timing (datasheet Electrical Characteristics, "EEPROM Write Time" TWRITE): 25 ms typical, 50 ms maximum.
// RDY/BSY (read byte 0, bit 7) reads 0 while the EEPROM write is in progress (section 6, "Read Command").

public import NeuronHAL

/// Output power-down mode, bits PD1:PD0 (datasheet "Power-Down Bits" table, section 5).
public enum MCP4725PowerDown: UInt8, Sendable, Hashable, CaseIterable {
    /// 00: output enabled.
    case normal = 0b00
    /// 01: powered down, VOUT pulled to GND through 1 kΩ.
    case resistor1k = 0b01
    /// 10: powered down, VOUT pulled to GND through 100 kΩ.
    case resistor100k = 0b10
    /// 11: powered down, VOUT pulled to GND through 500 kΩ.
    case resistor500k = 0b11
}

/// What the 5-byte read returns (datasheet Figure 6-3).
public struct MCP4725Status: Hashable, Sendable {
    /// RDY/BSY: true when no EEPROM write is in progress.
    public var ready: Bool
    /// POR: true once the power-on reset has released the device (normal operation).
    public var powerOnReset: Bool
    /// PD1:PD0 of the DAC register.
    public var powerDown: MCP4725PowerDown
    /// The DAC register code (what the output shows now, unless powered down).
    public var code: DACCode
    /// PD1:PD0 stored in EEPROM (loaded at power-on).
    public var eepromPowerDown: MCP4725PowerDown
    /// The code stored in EEPROM (loaded at power-on).
    public var eepromCode: DACCode

    public init(
        ready: Bool, powerOnReset: Bool, powerDown: MCP4725PowerDown, code: DACCode,
        eepromPowerDown: MCP4725PowerDown, eepromCode: DACCode
    ) {
        self.ready = ready
        self.powerOnReset = powerOnReset
        self.powerDown = powerDown
        self.code = code
        self.eepromPowerDown = eepromPowerDown
        self.eepromCode = eepromCode
    }
}

/// Pure encoders and decoders of the MCP4725 wire formats (no bus needed; unit-tested on their own).
public enum MCP4725Wire {
    /// The DAC resolution in bits.
    public static var resolutionBits: UInt8 { 12 }
    /// EEPROM write time, maximum (Electrical Characteristics, TWRITE = 50 ms): the deadline for RDY/BSY.
    public static var eepromWriteTimeMaximum: Duration { .milliseconds(50) }
    /// How often RDY/BSY is polled during an EEPROM write (a driver choice; typical write time is 25 ms).
    public static var eepromPollInterval: Duration { .milliseconds(5) }

    /// Fast-mode write (Figure 6-1): `[C2C1=00 PD1 PD0 D11..D8, D7..D0]`. Traps if `code` exceeds 12 bits.
    public static func encodeFastWrite(code: DACCode, powerDown: MCP4725PowerDown) -> InlineArray<2, UInt8> {
        precondition(code.value <= 0x0FFF, "MCP4725 code exceeds 12 bits")
        let high = (powerDown.rawValue << 4) | UInt8(truncatingIfNeeded: code.value >> 8)
        let low = UInt8(truncatingIfNeeded: code.value)
        return [high, low]
    }

    /// Write DAC register (C2C1C0 = 010) or DAC register and EEPROM (011) (Figure 6-2):
    /// `[C2 C1 C0 x x PD1 PD0 x, D11..D4, D3..D0 x x x x]`. Traps if `code` exceeds 12 bits.
    public static func encodeRegisterWrite(
        code: DACCode, powerDown: MCP4725PowerDown, eeprom: Bool
    ) -> InlineArray<3, UInt8> {
        precondition(code.value <= 0x0FFF, "MCP4725 code exceeds 12 bits")
        let command: UInt8 = eeprom ? 0b011 : 0b010
        let first = (command << 5) | (powerDown.rawValue << 1)
        let middle = UInt8(truncatingIfNeeded: code.value >> 4)
        let last = UInt8(truncatingIfNeeded: code.value << 4)
        return [first, middle, last]
    }

    /// Decodes the 5-byte read (Figure 6-3). Don't-care bits are ignored.
    public static func decodeStatus(_ bytes: InlineArray<5, UInt8>) -> MCP4725Status {
        let code = (UInt16(bytes[1]) << 4) | (UInt16(bytes[2]) >> 4)
        let eepromCode = (UInt16(bytes[3] & 0x0F) << 8) | UInt16(bytes[4])
        return MCP4725Status(
            ready: (bytes[0] & 0x80) != 0,
            powerOnReset: (bytes[0] & 0x40) != 0,
            powerDown: MCP4725PowerDown(rawValue: (bytes[0] >> 1) & 0b11)!,
            code: DACCode(Int(code), bits: 12)!,
            eepromPowerDown: MCP4725PowerDown(rawValue: (bytes[3] >> 5) & 0b11)!,
            eepromCode: DACCode(Int(eepromCode), bits: 12)!)
    }

    /// The nearest code for `voltage` (VOUT = VREF · D / 4096, datasheet section 4, "DAC Output Voltage"), or `nil` outside
    /// 0...reference. The reference itself maps to the top code 4095 (VREF · 4095/4096, the nearest the chip has).
    public static func code(for voltage: Voltage, reference: Voltage) -> DACCode? {
        guard voltage.volts.isFinite, voltage >= .zero, voltage <= reference else { return nil }
        let scaled = (voltage.volts / reference.volts * 4096).rounded()
        return DACCode(min(Int(scaled), 0x0FFF), bits: 12)
    }

    /// The output voltage for `code`: VREF · D / 4096.
    public static func voltage(for code: DACCode, reference: Voltage) -> Voltage {
        reference * (Double(code.value) / 4096)
    }
}

/// Driver for one MCP4725 DAC on an I2C bus.
///
/// A `final class`, not a struct: the DAC's shadow state (`lastCode`, `lastPowerDown`) must be shared by every
/// handle that drives this chip (the driver itself and the `AnalogOutput` view of it), so that a write through one
/// is seen by the others. Not `Sendable` and not thread-safe: it is owned by the real-time loop thread, like the
/// bus it holds.
///
/// The initialiser does no I/O; call `readBack()` at start-up to learn the chip's state. Bus errors are rethrown
/// unchanged (they already name the bus and the address); errors raised by the driver itself name the device as
/// `"MCP4725 @ 0x60"`.
public final class MCP4725<Bus: I2CBus, Clock: MonotonicClock>: AnalogOutput {
    public typealias PowerDown = MCP4725PowerDown
    public typealias Status = MCP4725Status

    public let bus: Bus
    public let address: I2CAddress
    /// VDD, which is also the DAC reference.
    public let reference: Voltage
    public let clock: Clock

    // Written on every stimulus edge; a driver is owned by one thread (the type is not thread-safe), so the
    // dynamic exclusivity checks are skipped.
    /// The DAC register code after the last successful write or read-back; `nil` before the first.
    @exclusivity(unchecked) public private(set) var lastCode: DACCode?
    /// The DAC register power-down bits after the last successful write or read-back; `nil` before the first.
    @exclusivity(unchecked) public private(set) var lastPowerDown: PowerDown?

    /// Does no I/O. `reference` is VDD (the MCP4725 uses its supply as reference) and must be positive.
    public init(bus: Bus, address: I2CAddress = I2CAddress(0x60), reference: Voltage, clock: Clock) {
        precondition(reference.volts > 0 && reference.volts.isFinite, "MCP4725 reference must be positive")
        self.bus = bus
        self.address = address
        self.reference = reference
        self.clock = clock
    }

    /// `"MCP4725 @ 0x60"`, used in errors the driver raises itself.
    public var deviceName: String { "MCP4725 @ \(address)" }

    // MARK: Pure encoders (forwarded from `MCP4725Wire`)

    /// See `MCP4725Wire.encodeFastWrite(code:powerDown:)`.
    public static func encodeFastWrite(code: DACCode, powerDown: PowerDown) -> InlineArray<2, UInt8> {
        MCP4725Wire.encodeFastWrite(code: code, powerDown: powerDown)
    }
    /// See `MCP4725Wire.decodeStatus(_:)`.
    public static func decodeStatus(_ bytes: InlineArray<5, UInt8>) -> Status { MCP4725Wire.decodeStatus(bytes) }

    // MARK: Bus operations

    /// Fast-mode write of the DAC register (2 bytes); the output changes at the end of the last byte's ACK.
    /// Throws `.outOfRange` (nothing written) if `code` exceeds 12 bits; rethrows bus errors (shadow unchanged).
    public func writeFast(code: DACCode, powerDown: PowerDown = .normal) throws(HardwareError) {
        try checkCode(code, operation: "fast write")
        try bus.write(address, MCP4725Wire.encodeFastWrite(code: code, powerDown: powerDown))
        lastCode = code
        lastPowerDown = powerDown
    }

    /// Writes the DAC register (C2C1C0 = 010, 3 bytes). Errors as `writeFast`.
    public func writeDACRegister(code: DACCode, powerDown: PowerDown = .normal) throws(HardwareError) {
        try checkCode(code, operation: "write DAC register")
        try bus.write(address, MCP4725Wire.encodeRegisterWrite(code: code, powerDown: powerDown, eeprom: false))
        lastCode = code
        lastPowerDown = powerDown
    }

    /// Writes the DAC register and the EEPROM (C2C1C0 = 011), then polls RDY/BSY with 1-byte reads every
    /// `eepromPollInterval` on the clock until it reads 1, or throws `.timedOut` once `eepromWriteTimeMaximum`
    /// has passed since the write.
    ///
    /// The DAC register takes the new code as soon as the write is acknowledged, so the shadow is updated then;
    /// a poll failure or time-out leaves the shadow at the new code (the EEPROM content is then unknown).
    public func writeDACAndEEPROM(code: DACCode, powerDown: PowerDown = .normal) throws(HardwareError) {
        try checkCode(code, operation: "write DAC register and EEPROM")
        try bus.write(address, MCP4725Wire.encodeRegisterWrite(code: code, powerDown: powerDown, eeprom: true))
        lastCode = code
        lastPowerDown = powerDown
        let deadline = clock.now + MCP4725Wire.eepromWriteTimeMaximum
        while true {
            clock.sleep(for: MCP4725Wire.eepromPollInterval)
            let status: InlineArray<1, UInt8> = try bus.read(address)
            if (status[0] & 0x80) != 0 { return }
            if clock.now >= deadline {
                throw HardwareError(
                    .timedOut, "EEPROM write not finished (RDY/BSY still 0) after 50 ms (TWRITE max)",
                    device: deviceName, operation: "write DAC register and EEPROM")
            }
        }
    }

    /// Reads the status, the DAC register and the EEPROM (5 bytes) and updates the shadow from the DAC register.
    public func readBack() throws(HardwareError) -> Status {
        let bytes: InlineArray<5, UInt8> = try bus.read(address)
        let status = MCP4725Wire.decodeStatus(bytes)
        lastCode = status.code
        lastPowerDown = status.powerDown
        return status
    }

    // MARK: AnalogOutput

    /// 0 V ... VDD. The top code gives VDD · 4095/4096.
    public var range: ClosedRange<Voltage> { .zero...reference }

    /// Fast-writes the nearest code with the output enabled. Throws `.outOfRange` outside `range` (or for NaN)
    /// without touching the bus; it never clamps.
    public func setVoltage(_ voltage: Voltage) throws(HardwareError) {
        guard let code = MCP4725Wire.code(for: voltage, reference: reference) else {
            throw HardwareError(
                .outOfRange, "\(voltage) is outside 0 V ... \(reference)", device: deviceName,
                operation: "set voltage")
        }
        try writeFast(code: code, powerDown: .normal)
    }

    /// Fast-writes code 0 with power-down `resistor1k`: the output amplifier is off and VOUT is pulled to GND
    /// through 1 kΩ (the strongest pull-down the chip has), so the neuron sees 0 V even if the code were lost.
    /// The EEPROM is not touched (a power cycle restores its content).
    public func enterSafeState() throws(HardwareError) {
        try writeFast(code: DACCode(0, bits: 12)!, powerDown: .resistor1k)
    }

    private func checkCode(_ code: DACCode, operation: String) throws(HardwareError) {
        guard code.value <= 0x0FFF else {
            throw HardwareError(
                .outOfRange, "code \(code.value) exceeds 12 bits (0...4095)", device: deviceName,
                operation: operation)
        }
    }
}
