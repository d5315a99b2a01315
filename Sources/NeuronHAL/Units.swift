// Typed physical units. Plain structs over Double (not Foundation `Measurement`) so they cost nothing on the
// real-time path and cannot be mixed up: a `Voltage` is never passed where a `Resistance` is expected.

/// An electrical potential in volts.
public struct Voltage: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var volts: Double
    @inlinable public init(volts: Double) { self.volts = volts }
    @inlinable public static func volts(_ v: Double) -> Voltage { Voltage(volts: v) }
    @inlinable public static func millivolts(_ mv: Double) -> Voltage { Voltage(volts: mv / 1000) }
    public static let zero = Voltage(volts: 0)
    @inlinable public var millivolts: Double { volts * 1000 }
    @inlinable public static func < (a: Voltage, b: Voltage) -> Bool { a.volts < b.volts }
    @inlinable public static func + (a: Voltage, b: Voltage) -> Voltage { Voltage(volts: a.volts + b.volts) }
    @inlinable public static func - (a: Voltage, b: Voltage) -> Voltage { Voltage(volts: a.volts - b.volts) }
    @inlinable public static func * (a: Voltage, k: Double) -> Voltage { Voltage(volts: a.volts * k) }
    @inlinable public static prefix func - (a: Voltage) -> Voltage { Voltage(volts: -a.volts) }
    public var description: String { "\(formatted(volts * 1000, digits: 1)) mV" }
}

/// A resistance in ohms.
public struct Resistance: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var ohms: Double
    @inlinable public init(ohms: Double) { self.ohms = ohms }
    @inlinable public static func ohms(_ v: Double) -> Resistance { Resistance(ohms: v) }
    @inlinable public static func kiloohms(_ v: Double) -> Resistance { Resistance(ohms: v * 1e3) }
    @inlinable public static func megaohms(_ v: Double) -> Resistance { Resistance(ohms: v * 1e6) }
    @inlinable public static func gigaohms(_ v: Double) -> Resistance { Resistance(ohms: v * 1e9) }
    @inlinable public static func < (a: Resistance, b: Resistance) -> Bool { a.ohms < b.ohms }
    public var description: String { "\(formatted(ohms / 1e6, digits: 3)) MΩ" }
}

/// A capacitance in farads.
public struct Capacitance: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var farads: Double
    @inlinable public init(farads: Double) { self.farads = farads }
    @inlinable public static func picofarads(_ v: Double) -> Capacitance { Capacitance(farads: v * 1e-12) }
    @inlinable public static func < (a: Capacitance, b: Capacitance) -> Bool { a.farads < b.farads }
    public var description: String { "\(formatted(farads * 1e12, digits: 1)) pF" }
}

/// An energy in joules.
public struct Energy: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var joules: Double
    @inlinable public init(joules: Double) { self.joules = joules }
    @inlinable public static func picojoules(_ v: Double) -> Energy { Energy(joules: v * 1e-12) }
    @inlinable public var picojoules: Double { joules * 1e12 }
    /// Energy stored on a capacitor charged to `voltage`: E = ½·C·V².
    @inlinable public static func stored(on c: Capacitance, at voltage: Voltage) -> Energy {
        Energy(joules: 0.5 * c.farads * voltage.volts * voltage.volts)
    }
    @inlinable public static func < (a: Energy, b: Energy) -> Bool { a.joules < b.joules }
    public var description: String { "\(formatted(picojoules, digits: 1)) pJ" }
}

/// A frequency in hertz.
public struct Frequency: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var hertz: Double
    @inlinable public init(hertz: Double) { self.hertz = hertz }
    @inlinable public static func hertz(_ v: Double) -> Frequency { Frequency(hertz: v) }
    @inlinable public static func kilohertz(_ v: Double) -> Frequency { Frequency(hertz: v * 1e3) }
    /// One period, rounded to the nanosecond. Traps on a non-positive frequency (a programmer error).
    public var period: Duration {
        precondition(hertz > 0, "period of a non-positive frequency")
        return .nanoseconds(Int64((1e9 / hertz).rounded()))
    }
    @inlinable public static func < (a: Frequency, b: Frequency) -> Bool { a.hertz < b.hertz }
    public var description: String { "\(formatted(hertz, digits: 2)) Hz" }
}

extension Duration {
    /// The duration in seconds as a Double (for physics and reports, not for deadlines).
    @inlinable public var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
    /// The duration in whole nanoseconds, truncated toward zero.
    @inlinable public var nanosecondsValue: Int64 {
        let c = components
        return c.seconds &* 1_000_000_000 &+ c.attoseconds / 1_000_000_000
    }
    /// A duration from seconds, rounded to the nanosecond.
    @inlinable public static func seconds(_ s: Double) -> Duration {
        .nanoseconds(Int64((s * 1e9).rounded()))
    }
}

/// Fixed-point text without Foundation: `formatted(1.23456, digits: 2)` is "1.23".
public func formatted(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<max(0, digits) { scale *= 10 }
    // Beyond 2^53 the fixed-point path would overflow Int64 (a trap, found by the limits property test with a
    // 1e300 V request); such values only appear in error messages, so the shortest round-trip form will do.
    guard abs(value) * scale < 9.0e15 else { return "\(value)" }
    if digits <= 0 { return String(Int64(value.rounded())) }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int64(scaled / scale)
    let frac = Int64(scaled - Double(whole) * scale)
    var fracText = String(frac)
    while fracText.count < digits { fracText = "0" + fracText }
    let sign = (value < 0 && scaled != 0) ? "-" : ""
    return "\(sign)\(whole).\(fracText)"
}

/// A temperature in degrees Celsius (sensor readings; TMP102).
public struct Temperature: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public let celsius: Double
    @inlinable public init(celsius: Double) { self.celsius = celsius }
    @inlinable public static func celsius(_ v: Double) -> Temperature { Temperature(celsius: v) }
    @inlinable public static func < (a: Temperature, b: Temperature) -> Bool { a.celsius < b.celsius }
    public var description: String { "\(celsius) °C" }
}
