public import NeuronHAL

/// Behavioural model of the Microchip MCP4728 quad 12-bit I2C DAC (datasheet DS22187E, 2009), written from the
/// datasheet independently of the driver so that integration tests catch disagreements.
///
/// ## Bus side (datasheet section 5.6)
/// ```
/// Fast write (C2C1 = 00), figure 5-7; channels A, B, C, D in turn, starting again at A after D:
///   [0 0 PD1 PD0 D11 D10 D9 D8] [D7 .. D0]
/// Multi-write (01000), figure 5-8; triples may repeat:
///   [0 1 0 0 0 DAC1 DAC0 UDAC] [VREF PD1 PD0 Gx D11 .. D8] [D7 .. D0]
/// Read, figure 5-15 (24 bytes, repeating from channel A):
///   per channel A..D: [RDY/BSY POR DAC1 DAC0 0 A2 A1 A0] [VREF PD1 PD0 Gx D11..D8] [D7..D0]   DAC input register
///                     [RDY/BSY POR DAC1 DAC0 0 A2 A1 A0] [VREF PD1 PD0 Gx D11..D8] [D7..D0]   EEPROM
/// ```
/// - LDAC is modelled as tied low: each channel's VOUT updates when its input register is written (fast write:
///   after that channel's second byte; multi-write: after the third byte, whatever UDAC says).
/// - An incomplete trailing command is ignored. The other commands (sequential / single write with EEPROM, the
///   address-bit, VREF, gain and power-down writes) are acknowledged and counted in `ignoredCommands`, not modelled.
/// - RDY/BSY and POR read 1 (no EEPROM write is ever in progress; the supply is up). The EEPROM holds the power-on
///   state given to `init`.
///
/// ## Backend side (physical units)
/// `outputVoltage(_:)` is VOUT of a channel (equations 4-1, 4-2: VDD · D / 4096 with VREF = VDD, 2.048 V · Gx ·
/// D / 4096 with the internal reference, capped at VDD; 0 V in power-down). `onOutputChange` fires with the channel
/// (0 = A ... 3 = D) on every change of a channel's VOUT or power-down mode.
///
/// Not thread-safe and not `Sendable`: one thread owns a simulated board.
public final class SimMCP4728: SimI2CTarget {
    /// One channel's DAC input register.
    public struct Register: Sendable, Hashable {
        /// VREF bit: false = VDD, true = internal 2.048 V.
        public var internalReference: Bool
        /// PD1PD0: 0 = normal, 1/2/3 = 1 kΩ / 100 kΩ / 500 kΩ to ground.
        public var powerDown: UInt8
        /// Gx bit: false = x1, true = x2.
        public var gainTwo: Bool
        /// The 12-bit code.
        public var code: UInt16
        public init(internalReference: Bool = false, powerDown: UInt8 = 0, gainTwo: Bool = false, code: UInt16 = 0) {
            self.internalReference = internalReference
            self.powerDown = powerDown
            self.gainTwo = gainTwo
            self.code = code
        }
    }

    public let clock: ManualClock
    /// VDD.
    public let vdd: Voltage
    /// A2A1A0 as the chip reports them in the read-back.
    public let addressBits: UInt8
    /// The four DAC input registers, A ... D.
    public private(set) var registers: [Register]
    /// The EEPROM copies (the power-on state).
    public private(set) var eeprom: [Register]
    /// Write commands that reached the chip: (instant, channel, register).
    public private(set) var writes: [(instant: MonotonicInstant, channel: Int, register: Register)] = []
    /// Keep `writes`; off for long runs.
    public var recordsWrites = true
    /// Commands acknowledged but not modelled.
    public private(set) var ignoredCommands = 0
    /// Called with the channel, the instant and the new VOUT on every change of a channel's VOUT or power-down mode.
    public var onOutputChange: ((Int, MonotonicInstant, Voltage) -> Void)?

    /// A chip just powered on: the input registers load from the EEPROM (`eeprom`, default all zero, VREF = VDD).
    public init(clock: ManualClock, vdd: Voltage, addressBits: UInt8 = 0, eeprom: [Register] = Array(repeating: Register(), count: 4)) {
        precondition(eeprom.count == 4 && eeprom.allSatisfy { $0.code <= 0xFFF && $0.powerDown <= 3 }, "MCP4728: four 12-bit registers")
        self.clock = clock
        self.vdd = vdd
        self.addressBits = addressBits & 0b111
        self.eeprom = eeprom
        self.registers = eeprom
    }

    // MARK: Backend side

    /// VOUT of `channel` (0 = A ... 3 = D).
    public func outputVoltage(_ channel: Int) -> Voltage {
        let r = registers[channel]
        guard r.powerDown == 0 else { return .zero }
        let span = r.internalReference ? 2.048 * (r.gainTwo ? 2 : 1) : vdd.volts
        return .volts(min(span * Double(r.code) / 4096, vdd.volts))
    }

    /// Puts a channel's input register back to a state it held before this model existed (the chip kept its supply
    /// while the controller process was replaced; see `SimStateFile`). No bus traffic, no write logged, no callback.
    public func restoreRegister(channel: Int, _ register: Register) {
        precondition(register.code <= 0xFFF && register.powerDown <= 3, "MCP4728 registers are 12-bit codes, PD 0...3")
        registers[channel] = register
    }

    // MARK: Bus side

    public func receive(_ bytes: UnsafeRawBufferPointer) throws(SimI2CDataNAK) {
        var i = 0
        var fastChannel = 0
        while i < bytes.count {
            let b0 = bytes[i]
            if b0 >> 6 == 0b00 {  // fast write
                guard i + 1 < bytes.count else { return }
                var r = registers[fastChannel]
                r.powerDown = (b0 >> 4) & 0b11
                r.code = (UInt16(b0 & 0x0F) << 8) | UInt16(bytes[i + 1])
                set(fastChannel, r)
                fastChannel = (fastChannel + 1) % 4
                i += 2
            } else if b0 >> 3 == 0b01000 {  // multi-write
                guard i + 2 < bytes.count else { return }
                let b1 = bytes[i + 1]
                let r = Register(
                    internalReference: b1 & 0x80 != 0, powerDown: (b1 >> 5) & 0b11, gainTwo: b1 & 0x10 != 0,
                    code: (UInt16(b1 & 0x0F) << 8) | UInt16(bytes[i + 2]))
                set(Int((b0 >> 1) & 0b11), r)
                i += 3
            } else {
                ignoredCommands += 1
                return
            }
        }
    }

    public func transmit(into buffer: UnsafeMutableRawBufferPointer) {
        for i in 0..<buffer.count {
            let k = i % 24
            let channel = k / 6
            let r = (k % 6) < 3 ? registers[channel] : eeprom[channel]
            let byte: UInt8
            switch k % 3 {
            case 0: byte = 0xC0 | (UInt8(channel) << 4) | addressBits
            case 1:
                byte = (r.internalReference ? 0x80 : 0) | (r.powerDown << 5) | (r.gainTwo ? 0x10 : 0)
                    | UInt8(truncatingIfNeeded: r.code >> 8)
            default: byte = UInt8(truncatingIfNeeded: r.code)
            }
            buffer[i] = byte
        }
    }

    private func set(_ channel: Int, _ r: Register) {
        let before = outputVoltage(channel)
        let pdBefore = registers[channel].powerDown
        registers[channel] = r
        if recordsWrites { writes.append((clock.now, channel, r)) }
        let after = outputVoltage(channel)
        if after != before || r.powerDown != pdBefore { onOutputChange?(channel, clock.now, after) }
    }
}
