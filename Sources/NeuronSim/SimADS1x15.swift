public import NeuronHAL

/// Behavioural model of the TI ADS1015 (12-bit, SBAS473E) and ADS1115 (16-bit, SBAS444D) I2C delta-sigma ADCs,
/// written from the datasheets independently of the driver so that integration tests catch disagreements.
///
/// ## Bus side (datasheet section 9.5 "Register map", 9.5.3 "Writing/Reading the registers")
/// ```
/// Write pointer only:       [0 0 0 0 0 0 P1 P0]
/// Write register:           [pointer] [MSB] [LSB]          (big-endian)
/// Read register at pointer: Sr ADDR+R [MSB] [LSB]           (further bytes read 0xFF: SDA released)
/// Pointer: 00 conversion (read-only), 01 config, 10 Lo_thresh, 11 Hi_thresh
/// Config:  OS[15] MUX[14:12] PGA[11:9] MODE[8] DR[7:5] COMP_MODE[4] COMP_POL[3] COMP_LAT[2] COMP_QUE[1:0]
///          reset 0x8583; Lo_thresh reset 0x8000, Hi_thresh reset 0x7FFF
/// ```
/// - Single-shot (MODE = 1): writing OS = 1 while powered down starts a conversion that ends exactly one nominal
///   period 1/DR later (rounded to the nanosecond; the real chip's oscillator is within ±10 %). OS reads 0 until
///   it ends. Writing OS = 1 during a conversion has no effect (the datasheet: "start a single conversion (when in
///   power-down state)"). Until it ends the conversion register holds the previous result (stale data).
/// - Continuous (MODE = 0): conversions end every 1/DR after the write; each result samples the inputs at its end
///   instant, computed lazily when read (the latest conversion end ≤ now). OS reads 0 (the device is always
///   converting). A config write while converting lets the conversion in flight finish with the old settings and
///   starts the new ones after it (the conservative assumption of Linux `ads1015.c`, which waits old + new
///   conversion times after a change); so a driver must wait one old plus one new period to see the new mux.
/// - Results: ADS1115 16-bit two's complement; ADS1015 12-bit two's complement left-aligned (bits 3:0 are 0).
///   Code = round(V / LSB), LSB = FSR / 2^15 (ADS1115) or FSR / 2^11 (ADS1015), clipped to 0x7FFF/0x8000 (or
///   0x7FF0/0x8000) beyond ±FSR (section 9.3.3). Single-ended inputs below ground give small negative codes, as
///   the chip does; supply-rail limits are not modelled.
/// - ALERT/RDY: only the conversion-ready function (Hi_thresh MSB = 1, Lo_thresh MSB = 0, COMP_QUE ≠ 11,
///   section 9.3.8) is modelled, on a `SimInputLine` given to `connectAlert(to:)`: single-shot asserts at the end
///   of a conversion until the next one starts; continuous pulses for 8 µs at each conversion end. Asserted is
///   low for COMP_POL = 0. The threshold comparator is not modelled (the pin then stays deasserted).
///
/// ## Backend side
/// `setInput(_:_:)` gives a pin a voltage source, a function of the sampling instant (Zephyr's
/// `adc_emul_value_func`); unconnected pins read 0 V.
///
/// The read path does not allocate. Not thread-safe and not `Sendable`: one thread owns a simulated board.
public final class SimADS1x15: SimI2CTarget {
    public enum Variant: Sendable, Hashable {
        case ads1015, ads1115
        /// Result resolution in bits (12 or 16).
        public var bits: Int { self == .ads1015 ? 12 : 16 }
        /// Nominal data rates in samples per second, indexed by the DR field (table 8 of each datasheet).
        public var dataRates: [Int] {
            switch self {
            case .ads1015: [128, 250, 490, 920, 1600, 2400, 3300, 3300]
            case .ads1115: [8, 16, 32, 64, 128, 250, 475, 860]
            }
        }
    }

    /// Full-scale range ±FSR in volts for each PGA field value (000 … 111).
    public static let fullScaleVolts: [Double] = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256]
    /// Width of the conversion-ready pulse in continuous mode (about 8 µs, section 9.3.8).
    public static let readyPulseWidth: Duration = .microseconds(8)

    public let variant: Variant
    public let clock: ManualClock
    private let storage: UncheckedStorage<Engine>
    private var alertLine: SimInputLine?

    public init(variant: Variant, clock: ManualClock) {
        self.variant = variant
        self.clock = clock
        self.storage = UncheckedStorage(Engine(variant: variant))
    }

    /// Register pointer (0 conversion, 1 config, 2 Lo_thresh, 3 Hi_thresh).
    public var pointer: UInt8 { storage.pointer.pointee.pointer }
    public var loThresh: UInt16 { storage.pointer.pointee.loThresh }
    public var hiThresh: UInt16 { storage.pointer.pointee.hiThresh }
    /// Conversions whose results were computed (each sampled the inputs once).
    public var conversionsCompleted: Int { storage.pointer.pointee.conversionsCompleted }
    /// Single-shot conversions started by OS = 1 writes.
    public var conversionsStarted: Int { storage.pointer.pointee.conversionsStarted }

    // MARK: Backend side

    /// Connects pin AIN`pin` (0...3) to `source` (a constant, a neuron's front end, or a function of the instant).
    public func setInput(_ pin: Int, _ source: SimAnalogSource) {
        precondition((0...3).contains(pin), "ADS1x15 has AIN0...AIN3")
        storage.pointer.pointee.inputs[pin] = source
    }

    /// Connects pin AIN`pin` (0...3) to `source`, called with the instant each conversion samples.
    public func setInput(_ pin: Int, _ source: @escaping (MonotonicInstant) -> Voltage) {
        setInput(pin, .function(source))
    }

    /// Holds pin AIN`pin` at a constant voltage.
    public func setInput(_ pin: Int, constant voltage: Voltage) {
        setInput(pin, .constant(voltage))
    }

    /// Makes the model drive `line`'s electrical level as the ALERT/RDY pin (open drain with a pull-up).
    public func connectAlert(to line: SimInputLine) {
        alertLine = line
        let engine = storage.pointer
        line.setSource(
            level: { [weak self] t in
                guard self != nil else { return true }  // chip gone: pulled up
                return engine.pointee.alertLevel(at: t.nanoseconds)
            },
            nextChange: { [weak self] t in
                guard self != nil else { return nil }
                return engine.pointee.alertNextChange(after: t.nanoseconds)
            })
    }

    /// The config register as a read would return it now (OS computed).
    public var config: UInt16 { storage.pointer.pointee.readConfig(now: clock.now.nanoseconds) }

    /// True while a conversion is in flight (OS reads 0).
    public var isConverting: Bool { config & 0x8000 == 0 }

    /// The conversion register as a read would return it now.
    public var conversionRegister: UInt16 { storage.pointer.pointee.readConversion(now: clock.now.nanoseconds) }

    /// ±FSR for a PGA field value (0...7).
    public static func fullScale(pga: UInt8) -> Voltage { .volts(fullScaleVolts[Int(pga & 7)]) }

    /// One code step at a PGA field value: FSR / 2^15 (ADS1115) or FSR / 2^11 (ADS1015). Use as the tolerance of a
    /// read-back (rounding to nearest gives at most half of it).
    public func lsb(pga: UInt8) -> Voltage {
        Self.fullScale(pga: pga) * (1.0 / Double(1 << (variant.bits - 1)))
    }

    /// One code step with the current PGA setting.
    public var lsb: Voltage { lsb(pga: UInt8((storage.pointer.pointee.configBits >> 9) & 7)) }

    /// The nominal conversion time 1/DR for a DR field value (0...7), rounded to the nanosecond.
    public func conversionTime(dataRate: UInt8) -> Duration { .nanoseconds(storage.pointer.pointee.periods[Int(dataRate & 7)]) }

    /// The nominal conversion time with the current DR setting.
    public var conversionTime: Duration { conversionTime(dataRate: UInt8((storage.pointer.pointee.configBits >> 5) & 7)) }

    // MARK: Bus side

    public func receive(_ bytes: UnsafeRawBufferPointer) throws(SimI2CDataNAK) {
        guard bytes.count > 0 else { return }
        let e = storage.pointer
        e.pointee.pointer = bytes[0] & 0x3
        guard bytes.count >= 3 else { return }  // a register changes only when its LSB arrives
        let value = (UInt16(bytes[1]) << 8) | UInt16(bytes[2])
        switch e.pointee.pointer {
        case 1:
            alertLine?.catchUp(through: clock.now)
            e.pointee.writeConfig(value, now: clock.now.nanoseconds)
            alertLine?.sourceDidChange()
        case 2:
            alertLine?.catchUp(through: clock.now)
            e.pointee.loThresh = value
            alertLine?.sourceDidChange()
        case 3:
            alertLine?.catchUp(through: clock.now)
            e.pointee.hiThresh = value
            alertLine?.sourceDidChange()
        default: break  // the conversion register is read-only
        }
    }

    public func transmit(into buffer: UnsafeMutableRawBufferPointer) {
        let value = storage.pointer.pointee.read(now: clock.now.nanoseconds)
        for i in 0..<buffer.count {
            buffer[i] = i == 0 ? UInt8(value >> 8) : i == 1 ? UInt8(value & 0xFF) : 0xFF
        }
    }
}

/// The ADS1x15's state and behaviour, kept in a struct behind `UncheckedStorage` so the read path does not pay
/// for dynamic exclusivity checks.
private struct Engine {
    let bits: Int
    let periods: [Int64]
    let inputs = SimAnalogPins(count: 4)
    var pointer: UInt8 = 0
    var loThresh: UInt16 = 0x8000
    var hiThresh: UInt16 = 0x7FFF
    var configBits: UInt16 = 0x0583  // OS is computed on read
    var result: UInt16 = 0
    var conversionsCompleted = 0
    var conversionsStarted = 0
    // A conversion in flight that ends at `pendEnd` and then powers down (single-shot, or the last continuous one).
    var hasPending = false
    var pendEnd: Int64 = 0
    var pendMux: UInt8 = 0
    var pendPGA: UInt8 = 0
    // Continuous conversions: the first starts at `contStart`, each lasts `contPeriod`.
    var contRunning = false
    var contStart: Int64 = 0
    var contPeriod: Int64 = 1
    var contMux: UInt8 = 0
    var contPGA: UInt8 = 0
    var contLastEnd: Int64 = .min
    // Last single-shot conversion, for ALERT/RDY.
    var lastSingleEnd: Int64?

    init(variant: SimADS1x15.Variant) {
        bits = variant.bits
        periods = variant.dataRates.map { dr in (1_000_000_000 + Int64(dr) / 2) / Int64(dr) }
    }

    var isBusy: Bool { hasPending || contRunning }

    mutating func read(now: Int64) -> UInt16 {
        switch pointer {
        case 0: readConversion(now: now)
        case 1: readConfig(now: now)
        case 2: loThresh
        default: hiThresh
        }
    }

    mutating func readConversion(now: Int64) -> UInt16 {
        materialize(now)
        return result
    }

    mutating func readConfig(now: Int64) -> UInt16 {
        materialize(now)
        return configBits | (isBusy ? 0 : 0x8000)
    }

    mutating func writeConfig(_ value: UInt16, now: Int64) {
        materialize(now)
        if contRunning {
            if now >= contStart {
                // The conversion in flight finishes with the old settings.
                let k = (now - contStart) / contPeriod
                hasPending = true
                pendEnd = contStart + (k + 1) * contPeriod
                pendMux = contMux
                pendPGA = contPGA
            }  // else: the previous conversion (already pending) has not finished yet; the new run waits for it.
            contRunning = false
        }
        configBits = value & 0x7FFF
        let mux = UInt8((value >> 12) & 7)
        let pga = UInt8((value >> 9) & 7)
        let period = periods[Int((value >> 5) & 7)]
        if value & 0x0100 == 0 {
            contRunning = true
            contStart = hasPending ? pendEnd : now
            contPeriod = period
            contMux = mux
            contPGA = pga
            contLastEnd = .min
        } else if value & 0x8000 != 0, !hasPending {
            hasPending = true
            pendEnd = now + period
            pendMux = mux
            pendPGA = pga
            lastSingleEnd = pendEnd
            conversionsStarted += 1
        }
    }

    /// Brings the conversion register up to date with every conversion that ended at or before `now`.
    mutating func materialize(_ now: Int64) {
        if hasPending, pendEnd <= now {
            result = convert(at: pendEnd, mux: pendMux, pga: pendPGA)
            hasPending = false
        }
        if contRunning, now >= contStart &+ contPeriod {
            let end = contStart + ((now - contStart) / contPeriod) * contPeriod
            if end != contLastEnd {
                result = convert(at: end, mux: contMux, pga: contPGA)
                contLastEnd = end
            }
        }
    }

    mutating func convert(at instant: Int64, mux: UInt8, pga: UInt8) -> UInt16 {
        conversionsCompleted &+= 1
        let t = MonotonicInstant(nanoseconds: instant)
        let v: Double
        switch mux {
        case 0: v = inputs.voltage(0, at: t) - inputs.voltage(1, at: t)
        case 1: v = inputs.voltage(0, at: t) - inputs.voltage(3, at: t)
        case 2: v = inputs.voltage(1, at: t) - inputs.voltage(3, at: t)
        case 3: v = inputs.voltage(2, at: t) - inputs.voltage(3, at: t)
        default: v = inputs.voltage(Int(mux - 4), at: t)
        }
        let half = Double(1 << (bits - 1))
        var code = (v / SimADS1x15.fullScaleVolts[Int(pga)] * half).rounded()
        if code.isNaN { code = 0 }
        code = min(max(code, -half), half - 1)
        return UInt16(bitPattern: Int16(code) << Int16(16 - bits))
    }

    var conversionReadyMode: Bool {
        hiThresh & 0x8000 != 0 && loThresh & 0x8000 == 0 && configBits & 0x3 != 0x3
    }

    func alertLevel(at t: Int64) -> Bool {
        guard conversionReadyMode else { return true }  // released: pulled up
        let asserted: Bool
        if contRunning {
            let first = contStart + contPeriod
            asserted = t >= first && (t - contStart) % contPeriod < SimADS1x15.readyPulseWidth.nanosecondsValue
        } else if let end = lastSingleEnd {
            asserted = t >= end
        } else {
            asserted = false
        }
        let activeHigh = configBits & 0x8 != 0
        return asserted == activeHigh
    }

    func alertNextChange(after t: Int64) -> MonotonicInstant? {
        guard conversionReadyMode else { return nil }
        if contRunning {
            let w = SimADS1x15.readyPulseWidth.nanosecondsValue
            let first = contStart + contPeriod
            if t < first { return MonotonicInstant(nanoseconds: first) }
            let end = contStart + ((t - contStart) / contPeriod) * contPeriod
            return MonotonicInstant(nanoseconds: t < end + w ? end + w : end + contPeriod)
        }
        if let end = lastSingleEnd, end > t { return MonotonicInstant(nanoseconds: end) }
        return nil
    }
}
