public import NeuronHAL

/// Behavioural model of the Microchip MCP3008 (10-bit, DS21295D) and MCP3208 (12-bit, DS21298E) 8-channel SPI
/// successive-approximation ADCs, written from the datasheets independently of the driver.
///
/// ## Bus side (datasheet section 6.1, figures 6-1/6-2 "SPI communication using 8-bit segments")
/// The model decodes the frame bit by bit, as the chip does, so any alignment of the command works:
/// leading zeros are ignored until the start bit; then SGL/DIFF, D2, D1, D0; the input is sampled; DOUT sends a
/// null bit (0) two clocks after D0, then the result MSB first, then (CS still low) the result again LSB first
/// from B1, then zeros. Before the null bit DOUT is high-impedance; the model reads those bits as 1 so a driver
/// that forgets to mask them gets a wrong answer. The usual 3-byte frames are:
/// ```
/// MCP3008 MOSI [0000 0001] [SGL D2 D1 D0 xxxx] [xxxx xxxx]   MISO [???? ????] [???? ?0 B9 B8] [B7 .. B0]
/// MCP3208 MOSI [0000 01 SGL D2] [D1 D0 xx xxxx] [xxxx xxxx]   MISO [???? ????] [???0 B11 .. B8] [B7 .. B0]
/// ```
/// Channel selection (tables 5-2/5-1, the same on both): SGL = 1 single-ended CH0…CH7 against AGND;
/// SGL = 0 differential pairs 000 CH0+/CH1−, 001 CH0−/CH1+, 010 CH2+/CH3−, 011 CH2−/CH3+, 100 CH4+/CH5−,
/// 101 CH4−/CH5+, 110 CH6+/CH7−, 111 CH6−/CH7+.
///
/// Code = floor(2^n · VIN / VREF) (equation 4-1), clamped to 0 … 2^n − 1: a differential input with IN− above
/// IN+ reads 0, and VIN ≥ VREF reads full scale. The input is sampled at the simulated instant of the frame.
///
/// ## Backend side
/// `setInput(channel:_:)` gives a channel a voltage source: a constant, a neuron's front end (`SimAnalogSource`), or
/// a function of the sampling instant.
///
/// The frame path does not allocate. Not thread-safe and not `Sendable`: one thread owns a simulated board.
public final class SimMCP3x08: SimSPITarget {
    public enum Variant: Sendable, Hashable {
        case mcp3008, mcp3208
        /// Result resolution in bits (10 or 12).
        public var bits: Int { self == .mcp3008 ? 10 : 12 }
    }

    public let variant: Variant
    public let clock: ManualClock
    /// VREF: the voltage at full scale.
    public let reference: Voltage
    /// Frames that contained a start bit and a channel selection (conversions performed).
    // Written on every conversion; one thread owns a sim board, so dynamic exclusivity checks are skipped.
    @exclusivity(unchecked) public private(set) var conversions = 0
    /// The last code converted, and the instant it sampled.
    @exclusivity(unchecked) public private(set) var lastCode: UInt16 = 0
    @exclusivity(unchecked) public private(set) var lastSampleInstant: MonotonicInstant = .zero

    private let inputs = SimAnalogPins(count: 8)
    /// 2^n / VREF and 2^n, computed once: the transfer function runs on every frame.
    private let codesPerVolt: Double
    private let fullScale: Double

    public init(variant: Variant, clock: ManualClock, reference: Voltage) {
        precondition(reference.volts > 0, "VREF must be positive")
        self.variant = variant
        self.clock = clock
        self.reference = reference
        fullScale = Double(1 << variant.bits)
        codesPerVolt = fullScale / reference.volts
    }

    /// One code step, VREF / 2^n; a reading is within one LSB below the input (the transfer function truncates).
    public var lsb: Voltage { reference * (1.0 / Double(1 << variant.bits)) }

    /// Connects CH`channel` (0...7) to `source` (a constant, a neuron's front end, or a function of the instant).
    public func setInput(channel: Int, _ source: SimAnalogSource) {
        precondition((0...7).contains(channel), "MCP3x08 has CH0...CH7")
        inputs[channel] = source
    }

    /// Connects CH`channel` (0...7) to `source`, called with the instant each frame samples.
    public func setInput(channel: Int, _ source: @escaping (MonotonicInstant) -> Voltage) {
        setInput(channel: channel, .function(source))
    }

    /// Holds CH`channel` at a constant voltage.
    public func setInput(channel: Int, constant voltage: Voltage) {
        setInput(channel: channel, .constant(voltage))
    }

    /// The code the chip would produce for a selection at `instant` (SGL/DIFF and D2D1D0 as in the frame).
    @inline(__always)
    public func code(singleEnded: Bool, select: UInt8, at instant: MonotonicInstant) -> UInt16 {
        let v: Double
        if singleEnded {
            v = inputs.voltage(Int(select & 7), at: instant)
        } else {
            let even = Int(select & 6)
            let (plus, minus) = select & 1 == 0 ? (even, even + 1) : (even + 1, even)
            v = inputs.voltage(plus, at: instant) - inputs.voltage(minus, at: instant)
        }
        // Clamped first, then truncated: for c ≥ 0 truncation is floor (and needs no libm call per sample).
        var c = v * codesPerVolt
        if !(c >= 0) { c = 0 }  // negative or NaN
        return UInt16(min(c, fullScale - 1))
    }

    public func exchange(mosi: UnsafeRawBufferPointer, miso: UnsafeMutableRawBufferPointer) {
        switch mosi.count {
        case 3 where miso.count == 3:  // the drivers' frame: unrolled for it
            exchangeWord(mosi: mosi, miso: miso, count: 3, replyCount: 3)
        case 0...8: exchangeWord(mosi: mosi, miso: miso, count: mosi.count, replyCount: min(mosi.count, miso.count))
        default: exchangeBits(mosi: mosi, miso: miso)
        }
    }

    /// The same protocol as `exchangeBits`, computed on a 64-bit word for frames of up to 8 bytes (every frame
    /// the drivers send): the membrane is read this way 10 000 times per simulated second.
    @inline(__always)
    private func exchangeWord(mosi: UnsafeRawBufferPointer, miso: UnsafeMutableRawBufferPointer, count: Int,
                              replyCount: Int) {
        guard count > 0, let input = mosi.baseAddress, let output = miso.baseAddress else { return }
        // Masking shifts and truncating conversions throughout: every shift count is below 64 by construction
        // (count ≤ 8), and the checked forms cost more than the frame decode itself on this path.
        let totalBits = count &* 8
        var word: UInt64 = 0
        for i in 0..<count { word = (word &<< 8) | UInt64(input.load(fromByteOffset: i, as: UInt8.self)) }
        word = word &<< UInt64(truncatingIfNeeded: 64 &- totalBits)  // MSB-aligned: bit 0 of the frame is bit 63
        var out = UInt64.max  // DOUT high-impedance (reads 1) until the null bit
        if word != 0 {
            let startBit = word.leadingZeroBitCount
            if startBit &+ 4 < totalBits {
                let command = UInt8(truncatingIfNeeded: (word &<< UInt64(truncatingIfNeeded: startBit &+ 1)) &>> 60)  // SGL D2 D1 D0
                let now = clock.now
                let result = code(singleEnded: command & 0x8 != 0, select: command & 7, at: now)
                lastCode = result
                lastSampleInstant = now
                conversions &+= 1
                let n = variant.bits
                // After D0 comes one sample bit, then the null bit, then B(n-1)...B0 (MSB first), then B1...B(n-1)
                // (LSB first), then zeros. Built as one MSB-aligned word starting at the null bit.
                let nullBit = startBit &+ 6
                var stream = UInt64(result) &<< UInt64(truncatingIfNeeded: 63 &- n)
                if nullBit &+ 1 &+ n < totalBits {  // the LSB-first repeat starts inside this frame
                    stream |= UInt64(Self.reversed16(result &>> 1) &>> UInt16(truncatingIfNeeded: 16 &- (n &- 1)))
                        &<< UInt64(truncatingIfNeeded: 63 &- n &- (n &- 1))
                }
                if nullBit < 64 {
                    let ones = nullBit == 0 ? 0 : UInt64.max &<< UInt64(truncatingIfNeeded: 64 &- nullBit)
                    out = ones | (stream &>> UInt64(truncatingIfNeeded: nullBit))
                }
            }
        }
        for i in 0..<replyCount {
            output.storeBytes(of: UInt8(truncatingIfNeeded: out &>> UInt64(truncatingIfNeeded: 56 &- 8 &* i)),
                              toByteOffset: i, as: UInt8.self)
        }
    }

    /// The 16 bits of `x` in reverse order.
    @inline(__always)
    static func reversed16(_ x: UInt16) -> UInt16 {
        var v = x
        v = ((v >> 1) & 0x5555) | ((v & 0x5555) << 1)
        v = ((v >> 2) & 0x3333) | ((v & 0x3333) << 2)
        v = ((v >> 4) & 0x0F0F) | ((v & 0x0F0F) << 4)
        return (v >> 8) | (v << 8)
    }

    /// Bit-by-bit reference implementation, for frames longer than 8 bytes.
    @inline(never)
    private func exchangeBits(mosi: UnsafeRawBufferPointer, miso: UnsafeMutableRawBufferPointer) {
        let totalBits = mosi.count * 8
        let n = variant.bits
        var startBit = -1
        var command: UInt8 = 0  // SGL D2 D1 D0 once complete
        var result: UInt16 = 0
        var d0Bit = Int.max
        for i in 0..<miso.count { miso[i] = 0 }
        for bit in 0..<totalBits {
            let inBit = (mosi[bit / 8] >> UInt8(7 - bit % 8)) & 1
            var out: UInt8 = 1  // DOUT high-impedance
            if startBit < 0 {
                if inBit == 1 { startBit = bit }
            } else if bit <= startBit + 4 {
                command = (command << 1) | inBit
                if bit == startBit + 4 {
                    d0Bit = bit
                    let now = clock.now
                    result = code(singleEnded: command & 0x8 != 0, select: command & 7, at: now)
                    lastCode = result
                    lastSampleInstant = now
                    conversions &+= 1
                }
            }
            if d0Bit != Int.max, bit > d0Bit + 1 {
                let k = bit - (d0Bit + 2)  // 0: null bit, 1...n: MSB first, then LSB first from B1
                if k == 0 {
                    out = 0
                } else if k <= n {
                    out = UInt8((result >> UInt16(n - k)) & 1)
                } else if k <= 2 * n - 1 {
                    out = UInt8((result >> UInt16(k - n)) & 1)
                } else {
                    out = 0
                }
            }
            if out != 0 { miso[bit / 8] |= UInt8(1) << UInt8(7 - bit % 8) }
        }
    }
}
