public import NeuronHAL

/// What a board allows on a neuron's stimulus: the control layer's copy of the board file's `limits`, so that
/// NeuronControl depends on the HAL only.
public struct StimulusLimits: Sendable, Hashable {
    /// The output range allowed, already intersected with what the DAC can produce.
    public var voltage: ClosedRange<Voltage>
    public var maxPulseWidth: Duration
    /// Pulse-on time over period, in (0, 1].
    public var maxDutyCycle: Double
    public var sampleRate: ClosedRange<Frequency>

    public init(voltage: ClosedRange<Voltage>, maxPulseWidth: Duration, maxDutyCycle: Double, sampleRate: ClosedRange<Frequency>) {
        self.voltage = voltage
        self.maxPulseWidth = maxPulseWidth
        self.maxDutyCycle = maxDutyCycle
        self.sampleRate = sampleRate
    }
}

/// A protocol refused before anything touched a DAC. `parameter` names the flag or key, `fix` says what to do.
public struct StimulusError: Error, Sendable, Hashable, CustomStringConvertible {
    public var parameter: String
    public var problem: String
    public var fix: String
    public init(parameter: String, problem: String, fix: String) {
        self.parameter = parameter
        self.problem = problem
        self.fix = fix
    }
    public var description: String { "\(parameter): \(problem) Fix: \(fix)" }
}

/// A rectangular pulse train: `count` pulses of `amplitude` lasting `width`, one every `1/frequency`, starting at
/// `start` (relative to the run's start). Between pulses the stimulus is 0 V.
public struct PulseTrain: Sendable, Hashable {
    public var amplitude: Voltage
    public var width: Duration
    public var frequency: Frequency
    public var count: Int
    public var start: Duration

    /// The paper's Fig. 2c protocol: 0.75 V, 5 ms pulses at 33 Hz.
    public static func fig2c(count: Int = 100) -> PulseTrain {
        PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(33), count: count)
    }

    public init(amplitude: Voltage, width: Duration, frequency: Frequency, count: Int, start: Duration = .zero) {
        self.amplitude = amplitude
        self.width = width
        self.frequency = frequency
        self.count = count
        self.start = start
    }

    /// The period, nanosecond-exact (33 Hz → 30 303 030 ns).
    public var period: Duration { frequency.period }
    /// The end of the last pulse's period.
    public var duration: Duration { start + period * count }

    /// Rising edge of pulse `k`, nanoseconds from the run's start.
    @inlinable public func pulseStart(_ k: Int) -> Int64 {
        start.nanosecondsValue + Int64(k) * period.nanosecondsValue
    }
    /// Falling edge of pulse `k`, nanoseconds from the run's start.
    @inlinable public func pulseEnd(_ k: Int) -> Int64 { pulseStart(k) + width.nanosecondsValue }

    /// Checks the train against the board's limits. Every path that builds a train for a DAC goes through here
    /// (CLI flags, presets), and `SafeStimulusOutput` checks every single value again.
    public func validate(against limits: StimulusLimits) throws(StimulusError) {
        let v = limits.voltage
        guard amplitude.volts.isFinite, v.contains(amplitude) else {
            throw StimulusError(
                parameter: "amplitude", problem: "\(amplitude) is outside the board's stimulus range \(v.lowerBound) ... \(v.upperBound).",
                fix: "use an amplitude within the range, or raise limits.stimulus-volts in the board file if the chip can take it")
        }
        // At least 1 mHz: a period must fit in a Duration of nanoseconds (a 1e-300 Hz request trapped there).
        guard frequency.hertz.isFinite, frequency.hertz >= 0.001, frequency.hertz <= 10_000 else {
            throw StimulusError(
                parameter: "frequency", problem: "\(frequency) is not a usable pulse frequency.",
                fix: "use a frequency from 0.001 Hz to 10 kHz, e.g. 33")
        }
        guard width > .zero else {
            throw StimulusError(parameter: "width", problem: "a pulse width must be positive.", fix: "use e.g. 5ms")
        }
        guard width <= limits.maxPulseWidth else {
            throw StimulusError(
                parameter: "width", problem: "\(width.seconds * 1e3) ms is longer than the board allows (\(limits.maxPulseWidth.seconds * 1e3) ms).",
                fix: "shorten the pulse, or raise limits.max-pulse-width-ms in the board file")
        }
        guard width < period else {
            throw StimulusError(
                parameter: "width", problem: "pulses of \(width.seconds * 1e3) ms do not fit in a period of \(period.seconds * 1e3) ms.",
                fix: "lower the frequency or shorten the pulse")
        }
        let duty = width.seconds / period.seconds
        guard duty <= limits.maxDutyCycle + 1e-12 else {
            throw StimulusError(
                parameter: "width", problem: "a duty cycle of \(formatted(duty, digits: 3)) exceeds the board's \(limits.maxDutyCycle).",
                fix: "lower the frequency or shorten the pulse, or raise limits.max-duty-cycle in the board file")
        }
        guard count >= 1, count <= 10_000_000 else {
            throw StimulusError(parameter: "pulses", problem: "\(count) pulses is not a usable count.", fix: "use between 1 and 10 000 000 pulses")
        }
        guard start >= .zero else {
            throw StimulusError(parameter: "start", problem: "a train cannot start before the run.", fix: "use a start of 0 or later")
        }
    }
}

/// The only way the control layer drives a stimulus DAC: every value is checked against the board's limits before
/// it reaches the driver, and the safe state is one call away.
///
/// A value outside the limits throws `.outOfRange` and writes nothing; NaN and infinities are refused the same way.
/// This is a class so the loop and the shutdown path share one instance and its `lastVoltage`.
public final class SafeStimulusOutput {
    public let limits: ClosedRange<Voltage>
    private let output: any AnalogOutput
    // Written on every stimulus edge by the loop's thread, the only one using the output while a run lasts: the
    // dynamic exclusivity checks are skipped.
    /// The last value written successfully (nil before the first write and after the safe state).
    @exclusivity(unchecked) public private(set) var lastVoltage: Voltage?
    @exclusivity(unchecked) public private(set) var isSafe = false

    /// The allowed range is the intersection of the board's limits with the DAC's own range; 0 V must be in it.
    public init(_ output: any AnalogOutput, limits: ClosedRange<Voltage>) throws(StimulusError) {
        let lower = max(limits.lowerBound, output.range.lowerBound)
        let upper = min(limits.upperBound, output.range.upperBound)
        guard lower <= upper, (lower...upper).contains(.zero) else {
            throw StimulusError(
                parameter: "limits.stimulus-volts",
                problem: "the board's limits \(limits.lowerBound) ... \(limits.upperBound) and the DAC's range \(output.range.lowerBound) ... \(output.range.upperBound) leave no safe range containing 0 V.",
                fix: "make limits.stimulus-volts include 0 V and overlap the DAC's output range")
        }
        self.output = output
        self.limits = lower...upper
    }

    /// Writes `voltage` if it is within the limits; throws `.outOfRange` (writing nothing) otherwise.
    public func set(_ voltage: Voltage) throws(HardwareError) {
        guard voltage.volts.isFinite, limits.contains(voltage) else {
            throw HardwareError(
                .outOfRange, "\(voltage) is outside the board's stimulus limits \(limits.lowerBound) ... \(limits.upperBound); nothing was written",
                device: "stimulus", operation: "set stimulus")
        }
        try output.setVoltage(voltage)
        lastVoltage = voltage
        isSafe = false
    }

    /// DAC to 0 V and powered down. Tries twice (a single NAK on a noisy bus must not leave the chip biased).
    public func enterSafeState() throws(HardwareError) {
        do {
            try output.enterSafeState()
        } catch {
            try output.enterSafeState()
        }
        lastVoltage = nil
        isSafe = true
    }
}
