public import NeuronHAL

/// Behavioural model of the Microchip MCP4725 12-bit I2C DAC with EEPROM (datasheet DS22039D, 2009), written
/// from the datasheet independently of the driver so that integration tests catch disagreements.
///
/// ## Bus side (datasheet section 6)
/// ```
/// Fast mode write (C2C1 = 00), figure 6-1; pairs may repeat:
///   [0 0 PD1 PD0 D11 D10 D9 D8] [D7 .. D0]
/// Write DAC register (C2C1C0 = 010) / DAC register and EEPROM (011), figure 6-2; triples may repeat:
///   [C2 C1 C0 x x PD1 PD0 x] [D11 .. D4] [D3 D2 D1 D0 x x x x]
/// Read, figure 6-3 (bytes repeat from the first after the fifth):
///   [RDY/BSY POR x x x PD1 PD0 x] [D11 .. D4] [D3 .. D0 x x x x]   DAC register
///   [x PD1 PD0 x D11 D10 D9 D8] [D7 .. D0]                           EEPROM
/// ```
/// - A command takes effect after its last byte (VOUT updates after that ACK); an incomplete trailing command is
///   ignored, as are the reserved commands C2 = 1 (section 6.1).
/// - An EEPROM write starts at the end of the 011 command and lasts `eepromWriteDuration` (25 ms typical, 50 ms
///   maximum, table 1-1 "EEPROM write time" T_WRITE); RDY/BSY reads 0 until it ends, and "any new write command
///   including repeat bytes during the EEPROM write mode is ignored" (figure 6-2 note 1). The model still
///   acknowledges those bytes and counts them in `ignoredWrites`.
/// - POR reads 1 (the supply is up). Power-down modes PD1PD0 = 01/10/11 load VOUT with 1 kΩ/100 kΩ/500 kΩ to
///   ground (table 5-2); the DAC register keeps the code written with them.
///
/// ## Backend side (physical units)
/// `outputVoltage` is VOUT = VREF · code / 4096 (equation 4-1), 0 V in power-down; `onOutputChange` fires on every
/// change of it or of the power-down mode; `writes` records every command that reached the chip.
///
/// Not thread-safe and not `Sendable`: one thread owns a simulated board.
public final class SimMCP4725: SimI2CTarget {
    /// Power-down selection PD1PD0 (table 5-2).
    public enum PowerDown: UInt8, Sendable, Hashable, CaseIterable {
        case normal = 0, resistor1k = 1, resistor100k = 2, resistor500k = 3
        /// The resistor from VOUT to ground in this mode; nil in normal mode (the amplifier drives VOUT).
        public var pullDown: Resistance? {
            switch self {
            case .normal: nil
            case .resistor1k: .kiloohms(1)
            case .resistor100k: .kiloohms(100)
            case .resistor500k: .kiloohms(500)
            }
        }
    }

    /// Which write command a logged write was.
    public enum Command: Sendable, Hashable {
        case fastMode, writeDACRegister, writeDACRegisterAndEEPROM
    }

    /// One write command that reached the chip.
    public struct Write: Sendable, Hashable {
        public var instant: MonotonicInstant
        public var command: Command
        /// The 12-bit code (0...4095) in the command.
        public var code: UInt16
        public var powerDown: PowerDown
        /// False when the chip ignored it because an EEPROM write was in progress.
        public var accepted: Bool
    }

    /// The datasheet's typical EEPROM write time (25 ms); 50 ms is the maximum.
    public static let typicalEEPROMWriteTime: Duration = .milliseconds(25)
    public static let maximumEEPROMWriteTime: Duration = .milliseconds(50)

    public let clock: ManualClock
    /// VREF, which is VDD on the MCP4725.
    public let reference: Voltage
    /// How long an EEPROM write keeps the chip busy; set to `maximumEEPROMWriteTime` to test the worst case.
    public var eepromWriteDuration: Duration = SimMCP4725.typicalEEPROMWriteTime

    // The registers and the log are touched on every stimulus edge; one thread owns a sim board, so the dynamic
    // exclusivity checks are skipped (as in the other models).
    /// The 12-bit code in the DAC register.
    @exclusivity(unchecked) public private(set) var code: UInt16
    /// The power-down mode in the DAC register.
    @exclusivity(unchecked) public private(set) var powerDown: PowerDown
    /// Every write command received, in order, including ignored ones (DAC writes are rare, so this may grow).
    @exclusivity(unchecked) public private(set) var writes: [Write] = []
    /// Keep `writes`; turn off for long runs, where the log would grow without bound (and allocate per write).
    @exclusivity(unchecked) public var recordsWrites = true
    /// Codes of the accepted writes, in order.
    public var writtenCodes: [UInt16] { writes.lazy.filter(\.accepted).map(\.code) }
    /// Write commands ignored because an EEPROM write was in progress.
    public private(set) var ignoredWrites = 0
    /// Called with the instant and the new VOUT on every change of VOUT or of the power-down mode.
    public var onOutputChange: ((MonotonicInstant, Voltage) -> Void)?

    private var eepromValue: (code: UInt16, powerDown: PowerDown)
    private var eepromBusyUntil: MonotonicInstant?
    private var eepromPendingValue: (code: UInt16, powerDown: PowerDown) = (0, .normal)

    /// A chip just powered on: the DAC register loads from EEPROM (`eepromCode`, `eepromPowerDown`).
    public init(
        clock: ManualClock, reference: Voltage, eepromCode: UInt16 = 0, eepromPowerDown: PowerDown = .normal
    ) {
        precondition(eepromCode <= 0xFFF, "MCP4725 codes are 12-bit")
        self.clock = clock
        self.reference = reference
        self.eepromValue = (eepromCode, eepromPowerDown)
        self.code = eepromCode
        self.powerDown = eepromPowerDown
    }

    // MARK: Backend side

    /// One code step of VOUT: VREF / 4096.
    public var lsb: Voltage { reference * (1.0 / 4096) }

    /// VOUT: VREF · code / 4096, or 0 V in power-down (the output is pulled to ground through `powerDown.pullDown`).
    public var outputVoltage: Voltage {
        powerDown == .normal ? reference * (Double(code) / 4096) : .zero
    }

    /// True while an EEPROM write is in progress (RDY/BSY low).
    public var isEEPROMBusy: Bool {
        settleEEPROM()
        return eepromBusyUntil != nil
    }

    /// The code and power-down mode stored in EEPROM (updated when an EEPROM write completes).
    public var eeprom: (code: UInt16, powerDown: PowerDown) {
        settleEEPROM()
        return eepromValue
    }

    /// Power-on reset (or the general call reset, 0x00 0x06): the DAC register reloads from EEPROM.
    public func reset() {
        settleEEPROM()
        apply(code: eepromValue.code, powerDown: eepromValue.powerDown)
    }

    /// Puts the DAC register back to a state it held before this model existed: the chip kept its supply while
    /// the controller process was replaced (see `SimStateFile`). No bus traffic, no write logged, no change callback
    /// (nothing changed on VOUT).
    public func restoreRegister(code c: UInt16, powerDown pd: PowerDown) {
        precondition(c <= 0xFFF, "MCP4725 codes are 12-bit")
        code = c
        powerDown = pd
    }

    /// General call wake-up (0x00 0x09): clears the power-down bits, keeping the code (section 6.3.2).
    public func wakeUp() {
        apply(code: code, powerDown: .normal)
    }

    // MARK: Bus side

    public func receive(_ bytes: UnsafeRawBufferPointer) throws(SimI2CDataNAK) {
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i]
            switch b0 >> 5 {
            case 0b000, 0b001:  // fast mode, C2C1 = 00
                guard i + 1 < bytes.count else { return }
                let c = (UInt16(b0 & 0x0F) << 8) | UInt16(bytes[i + 1])
                command(.fastMode, code: c, powerDown: PowerDown(rawValue: (b0 >> 4) & 0x3)!)
                i += 2
            case 0b010, 0b011:
                guard i + 2 < bytes.count else { return }
                let c = (UInt16(bytes[i + 1]) << 4) | UInt16(bytes[i + 2] >> 4)
                let kind: Command = (b0 >> 5) == 0b011 ? .writeDACRegisterAndEEPROM : .writeDACRegister
                command(kind, code: c, powerDown: PowerDown(rawValue: (b0 >> 1) & 0x3)!)
                i += 3
            default:
                return  // reserved commands are ignored (section 6.1)
            }
        }
    }

    public func transmit(into buffer: UnsafeMutableRawBufferPointer) {
        settleEEPROM()
        let status: UInt8 =
            (eepromBusyUntil == nil ? 0x80 : 0) | 0x40 /* POR */ | (powerDown.rawValue << 1)
        let e = eepromValue
        for i in 0..<buffer.count {
            let byte: UInt8
            switch i % 5 {
            case 0: byte = status
            case 1: byte = UInt8(truncatingIfNeeded: code >> 4)
            case 2: byte = UInt8(truncatingIfNeeded: (code & 0xF) << 4)
            case 3: byte = (e.powerDown.rawValue << 5) | UInt8(truncatingIfNeeded: e.code >> 8)
            default: byte = UInt8(truncatingIfNeeded: e.code)
            }
            buffer[i] = byte
        }
    }

    // MARK: Internals

    private func command(_ kind: Command, code c: UInt16, powerDown pd: PowerDown) {
        settleEEPROM()
        let now = clock.now
        guard eepromBusyUntil == nil else {
            ignoredWrites += 1
            if recordsWrites { writes.append(Write(instant: now, command: kind, code: c, powerDown: pd, accepted: false)) }
            return
        }
        if recordsWrites { writes.append(Write(instant: now, command: kind, code: c, powerDown: pd, accepted: true)) }
        apply(code: c, powerDown: pd)
        if kind == .writeDACRegisterAndEEPROM {
            eepromPendingValue = (c, pd)
            eepromBusyUntil = now + eepromWriteDuration
        }
    }

    private func apply(code c: UInt16, powerDown pd: PowerDown) {
        let before = outputVoltage
        let pdBefore = powerDown
        code = c
        powerDown = pd
        if outputVoltage != before || pd != pdBefore { onOutputChange?(clock.now, outputVoltage) }
    }

    private func settleEEPROM() {
        if let end = eepromBusyUntil, clock.now >= end {
            eepromValue = eepromPendingValue
            eepromBusyUntil = nil
        }
    }
}
