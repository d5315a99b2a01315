public import NeuronHAL

/// Behavioural model of the TI TMP102 temperature sensor (datasheet SBOS397), written from the datasheet.
///
/// ## Bus side (section 7.5)
/// - A write's first byte sets the pointer (P1 P0; 0 = temperature, 1 = configuration, 2 = TLOW, 3 = THIGH);
///   two more bytes write that register (the temperature register is read-only: ignored). Reads return the
///   register the pointer names, MSB first, repeating.
/// - Temperature register: 12-bit two's complement, left-aligned, 0.0625 °C/LSB, bit 0 = EM; 13-bit with EM
///   set in the configuration (Table 7-7). It holds the last finished conversion: the model converts at the
///   configured rate (CR1 CR0: 0.25, 1, 4, 8 Hz; power-up 4 Hz), sampling `temperature` at the start of each
///   conversion period (the 26 ms conversion time is not modelled), and stops converting in shutdown.
/// - Configuration power-up value 0x60A0 (R1 R0 = 11 and AL are read-only). TLOW/THIGH are stored, not acted on.
///
/// ## Backend side
/// `temperature` is the die temperature as a function of time (a scripted waveform).
///
/// Not thread-safe and not `Sendable`: one thread owns a simulated board.
public final class SimTMP102: SimI2CTarget {
    public let clock: ManualClock
    /// The die temperature, °C, at an instant.
    public var temperature: (MonotonicInstant) -> Double
    public private(set) var pointer: UInt8 = 0
    /// Configuration register (16 bits, byte 1 high).
    public private(set) var configuration: UInt16 = 0x60A0
    public private(set) var lowLimit: UInt16 = 0x4B00
    public private(set) var highLimit: UInt16 = 0x5000
    /// The temperature register's last conversion, °C (rounded when read out).
    private var lastConversion: (instant: MonotonicInstant, celsius: Double)?

    public init(clock: ManualClock, temperature: @escaping (MonotonicInstant) -> Double) {
        self.clock = clock
        self.temperature = temperature
    }

    /// The conversion period the configuration selects.
    public var conversionPeriod: Duration { .nanoseconds(conversionPeriodNanoseconds) }
    private var conversionPeriodNanoseconds: Int64 {
        [4_000_000_000, 1_000_000_000, 250_000_000, 125_000_000][Int((configuration >> 6) & 0b11)]
    }

    /// What the temperature register holds now, °C (before quantisation).
    public var registerCelsius: Double {
        let shutdown = configuration & 0x0100 != 0
        if shutdown, let last = lastConversion { return last.celsius }
        let period = conversionPeriodNanoseconds
        let start = MonotonicInstant(nanoseconds: clock.now.nanoseconds / period * period)
        if lastConversion?.instant != start { lastConversion = (start, temperature(start)) }
        return lastConversion!.celsius
    }

    public func receive(_ bytes: UnsafeRawBufferPointer) throws(SimI2CDataNAK) {
        guard !bytes.isEmpty else { return }
        pointer = bytes[0] & 0b11
        guard bytes.count >= 3 else { return }
        let value = (UInt16(bytes[1]) << 8) | UInt16(bytes[2])
        switch pointer {
        case 1:
            // R1 R0 (bits 14:13), AL (bit 5) and the low nibble are read-only.
            var c = (configuration & 0x6020) | (value & ~0x602F)
            if c & 0x8000 != 0 && c & 0x0100 != 0 {
                // One-shot in shutdown: one conversion now; OS reads 1 once it has finished.
                lastConversion = (clock.now, temperature(clock.now))
            }
            if c & 0x0100 == 0 { c &= ~0x8000 }
            configuration = c
        case 2: lowLimit = value
        case 3: highLimit = value
        default: break
        }
    }

    public func transmit(into buffer: UnsafeMutableRawBufferPointer) {
        let word: UInt16
        switch pointer {
        case 0:
            let extended = configuration & 0x0010 != 0
            let (bits, shift) = extended ? (13, 3) : (12, 4)
            let limit = (1 << (bits - 1)) - 1
            let counts = max(-limit - 1, min(limit, Int((registerCelsius / 0.0625).rounded())))
            word = UInt16(bitPattern: Int16(counts << shift)) | (extended ? 1 : 0)
        case 1: word = configuration
        case 2: word = lowLimit
        default: word = highLimit
        }
        for i in 0..<buffer.count { buffer[i] = i % 2 == 0 ? UInt8(word >> 8) : UInt8(word & 0xFF) }
    }
}
