public import NeuronHAL
public import NeuronControl

#if canImport(Glibc)
import Glibc  // log, exp
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which pulse parameter carries a sensor value.
///
/// The paper's Fig. 4 shows that all three change the firing of the device: at 0.75 V and 5 ms, 20 Hz trains
/// almost never fire while 33 Hz fire on about two pulses in three and 50 Hz on nearly every pulse (Fig. 4b);
/// at 33 Hz and 5 ms, 0.40 V stays below 7.5 % (Fig. 4c); at 0.75 V and 33 Hz, 2 ms pulses stay below 1 % and
/// 7.5 ms fire on nearly every pulse (Fig. S10). The default output ranges below span those working points.
public enum Coding: String, Sendable, Hashable, CaseIterable, Codable {
    /// Value → pulse frequency (Hz); amplitude and width fixed. Default 20 ... 50 Hz at 0.75 V, 5 ms.
    case rate
    /// Value → pulse amplitude (V); width and frequency fixed. Default 0.40 ... 0.90 V at 5 ms, 33 Hz.
    case amplitude
    /// Value → pulse width (ms); amplitude and frequency fixed. Default 2 ... 7.5 ms at 0.75 V, 33 Hz.
    case width

    /// The paper's tuning range for this coding (Fig. 4 / S10), in the coded unit (Hz, V or ms).
    public var defaultOutputRange: ClosedRange<Double> {
        switch self {
        case .rate: 20...50
        case .amplitude: 0.40...0.90
        case .width: 2...7.5
        }
    }

    /// The unit of the output range, for messages.
    public var unit: String {
        switch self {
        case .rate: "Hz"
        case .amplitude: "V"
        case .width: "ms"
        }
    }
}

/// How the value range maps onto the output range.
public enum Mapping: String, Sendable, Hashable, CaseIterable, Codable {
    /// Output proportional to the value.
    case linear
    /// Output proportional to log(value): equal ratios of the value give equal output steps (light sensors span
    /// decades). The value range must be positive.
    case log
}

/// What an encoder does: which parameter carries the value, the value range, the output range and the fixed
/// parameters of the others.
public struct EncoderConfiguration: Sendable, Hashable {
    public var coding: Coding
    public var mapping: Mapping
    /// The values mapped to the ends of the output range; values outside are clamped to it.
    public var input: ClosedRange<Double>
    /// In the coded unit: Hz (rate), V (amplitude), ms (width).
    public var output: ClosedRange<Double>
    /// The parameters the value does not carry.
    public var amplitude: Voltage
    public var width: Duration
    public var frequency: Frequency

    public init(coding: Coding, mapping: Mapping = .linear, input: ClosedRange<Double> = 0...1,
                output: ClosedRange<Double>? = nil, amplitude: Voltage = .volts(0.75), width: Duration = .milliseconds(5),
                frequency: Frequency = .hertz(33)) {
        self.coding = coding
        self.mapping = mapping
        self.input = input
        self.output = output ?? coding.defaultOutputRange
        self.amplitude = amplitude
        self.width = width
        self.frequency = frequency
    }
}

/// Turns a value into a pulse: maps it (linear or log) from the input range onto the output range of the coded
/// parameter, then clamps every parameter to the board's limits, so the pulse is always one `PulseTrain.validate`
/// accepts:
/// - amplitude within `limits.voltage`;
/// - width at most `limits.maxPulseWidth` and at most `maxDutyCycle` of the period;
/// - frequency at most `maxDutyCycle / width` and 10 kHz.
///
/// Clamping is silent per pulse (a sensor may legitimately go out of range); `init` refuses configurations whose
/// whole output range lies outside the limits, naming the parameter and the fix, and `clampNotes` says where the
/// range was cut so the CLI can warn once.
public struct StimulusEncoder: Sendable, Hashable {
    public let configuration: EncoderConfiguration
    public let limits: StimulusLimits
    /// Human-readable notes on the parts of the output range the limits cut off.
    public let clampNotes: [String]

    public init(_ configuration: EncoderConfiguration, limits: StimulusLimits) throws(StimulusError) {
        let c = configuration
        guard c.input.lowerBound.isFinite, c.input.upperBound.isFinite, c.input.lowerBound < c.input.upperBound else {
            throw StimulusError(parameter: "range", problem: "the value range \(c.input) is empty or not finite.",
                                fix: "give two different finite values, e.g. --range 0:1")
        }
        if c.mapping == .log, c.input.lowerBound <= 0 {
            throw StimulusError(parameter: "range", problem: "log mapping needs a positive value range (got \(c.input)).",
                                fix: "use a range above 0, e.g. --range 1:10000, or --mapping linear")
        }
        guard c.output.lowerBound.isFinite, c.output.upperBound.isFinite, c.output.lowerBound >= 0 else {
            throw StimulusError(parameter: "output-range", problem: "\(c.output) \(c.coding.unit) is not a usable output range.",
                                fix: "give two finite non-negative values, e.g. --output-range \(Self.describe(c.coding.defaultOutputRange))")
        }
        var notes: [String] = []
        switch c.coding {
        case .rate:
            guard c.output.lowerBound > 0 else {
                throw StimulusError(parameter: "output-range", problem: "a pulse rate of 0 Hz has no period.",
                                    fix: "start the range above 0 Hz, e.g. --output-range 20:50")
            }
            let fmax = min(10_000, limits.maxDutyCycle / min(c.width.seconds, limits.maxPulseWidth.seconds))
            if c.output.upperBound > fmax { notes.append("rates above \(formatted(fmax, digits: 1)) Hz are clamped (duty cycle)") }
        case .amplitude:
            let v = limits.voltage
            guard c.output.lowerBound <= v.upperBound.volts, c.output.upperBound >= v.lowerBound.volts else {
                throw StimulusError(parameter: "output-range", problem: "\(Self.describe(c.output)) V lies outside the board's stimulus range \(v.lowerBound) ... \(v.upperBound).",
                                    fix: "choose amplitudes within the board's limits.stimulus-volts")
            }
            if c.output.upperBound > v.upperBound.volts { notes.append("amplitudes above \(v.upperBound) are clamped (limits.stimulus-volts)") }
        case .width:
            let wmax = min(limits.maxPulseWidth.seconds, limits.maxDutyCycle * c.frequency.period.seconds) * 1e3
            guard c.output.upperBound > 0 else {
                throw StimulusError(parameter: "output-range", problem: "pulse widths of 0 ms apply nothing.",
                                    fix: "use widths above 0, e.g. --output-range 2:7.5")
            }
            if c.output.upperBound > wmax { notes.append("widths above \(formatted(wmax, digits: 2)) ms are clamped (max pulse width / duty cycle)") }
        }
        if c.coding != .amplitude, !limits.voltage.contains(c.amplitude) {
            notes.append("the amplitude \(c.amplitude) is clamped to \(limits.voltage.lowerBound) ... \(limits.voltage.upperBound)")
        }
        self.configuration = c
        self.limits = limits
        self.clampNotes = notes
        // Final guard: the pulses at both ends of the range must pass the same validation as any pulse train.
        for x in [c.input.lowerBound, c.input.upperBound] {
            let p = pulse(for: x)
            try PulseTrain(amplitude: p.amplitude, width: p.width, frequency: .hertz(1 / p.period.seconds), count: 1)
                .validate(against: limits)
        }
    }

    /// Where `value` lies in the input range, 0 ... 1 (clamped; NaN maps to 0, the least stimulating end).
    public func normalized(_ value: Double) -> Double {
        guard !value.isNaN else { return 0 }
        let lo = configuration.input.lowerBound, hi = configuration.input.upperBound
        let v = min(max(value, lo), hi)
        switch configuration.mapping {
        case .linear: return (v - lo) / (hi - lo)
        case .log: return naturalLog(v / lo) / naturalLog(hi / lo)
        }
    }

    /// The pulse for `value`, within the board's limits.
    public func pulse(for value: Double) -> PulseShape {
        let c = configuration
        let x = normalized(value)
        let out = c.output.lowerBound + x * (c.output.upperBound - c.output.lowerBound)
        var amplitude = c.amplitude.volts
        var widthS = c.width.seconds
        var hz = c.frequency.hertz
        switch c.coding {
        case .rate: hz = out
        case .amplitude: amplitude = out
        case .width: widthS = out * 1e-3
        }
        // Clamp to the limits: amplitude, width, then the frequency the duty cycle allows.
        amplitude = min(max(amplitude, limits.voltage.lowerBound.volts), limits.voltage.upperBound.volts)
        widthS = max(1e-6, min(widthS, limits.maxPulseWidth.seconds))
        if c.coding == .width { widthS = min(widthS, limits.maxDutyCycle * (1 / hz)) }
        hz = min(hz, 10_000, limits.maxDutyCycle / widthS)
        // Whole nanoseconds, rounded so that the duty cycle never exceeds the limit by rounding.
        let periodNs = Int64((1e9 / hz).rounded(.up))
        var widthNs = Int64((widthS * 1e9).rounded(.down))
        widthNs = min(widthNs, Int64((Double(periodNs) * limits.maxDutyCycle).rounded(.down)), periodNs - 1)
        return PulseShape(amplitude: .volts(amplitude), width: .nanoseconds(max(1, widthNs)), period: .nanoseconds(periodNs))
    }

    static func describe(_ r: ClosedRange<Double>) -> String { "\(formatted(r.lowerBound, digits: 3)):\(formatted(r.upperBound, digits: 3))" }
}

@inline(__always) func naturalLog(_ x: Double) -> Double { log(x) }
