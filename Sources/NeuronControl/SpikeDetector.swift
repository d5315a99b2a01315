public import NeuronHAL

/// How spikes are found on the membrane (capacitor) trace.
public struct DetectorConfiguration: Sendable, Hashable {
    /// Moving-average length in samples (the paper smoothed with 5 points at 4 µs; at 10 kS/s 3 points is 0.3 ms,
    /// short against a 0.3-1.2 ms rise and a 3 ms decay). 1 disables smoothing.
    public var smoothingWindow = 3
    /// A spike starts when the smoothed trace rises to this level…
    public var threshold = Voltage.volts(0.06)
    /// …and ends when it falls below this one (hysteresis: noise around the threshold cannot split a spike).
    public var rearm = Voltage.volts(0.03)
    /// The onset is placed half a sample after the last raw sample at or below this level before the crossing.
    public var onsetLevel = Voltage.volts(0.02)
    /// After a spike ends, crossings are ignored for this long.
    public var refractory = Duration.milliseconds(1)
    /// Stimulus above this counts as bias on the switch (the switching threshold, paper Fig. 1b: 0.3 V).
    public var switchingThreshold = Voltage.volts(0.3)
    /// A spike is fully formed when, this long before its peak, the trace was already within `plateauTolerance`
    /// of the peak: the capacitor had reached its plateau before the pulse ended. Otherwise the pulse end cut
    /// the charging short and the spike is counted as partial. 0.5 ms and 3 % accept a spike only once it is within
    /// about 4 % of its plateau for charging time constants up to 0.9 ms (R_on ≤ 4 MΩ with 10 MΩ and 300 pF).
    public var plateauWindow = Duration.microseconds(500)
    public var plateauTolerance = 0.03
    /// The neuron's capacitor, for E = ½·C·V².
    public var capacitance = Capacitance.picofarads(300)

    public init() {}
}

/// One detected spike. Times are nanoseconds from the start of the run.
///
/// The detector reports each spike twice: at the threshold crossing (`.crossing`, as early as possible, for
/// low-latency forwarding: peak, energy and the fully-formed test are not known yet) and when it has ended
/// (`.complete`, with every field). Both carry the same `index`.
public struct SpikeEvent: Sendable, Hashable, BitwiseCopyable {
    public enum Phase: Sendable, Hashable, BitwiseCopyable { case crossing, complete }
    public var phase: Phase
    /// 0, 1, 2, … within the run.
    public var index: Int
    /// The neuron channel id from the board file.
    public var channel: Int
    /// The most recent pulse at the spike's onset (0-based; the switch only fires under bias, so this is the pulse
    /// that fired it); -1 before the first pulse.
    public var pulseIndex: Int
    /// Estimated switching instant.
    public var onset: Int64
    /// When the smoothed trace crossed the threshold.
    public var crossing: Int64
    public var peakTime: Int64
    public var peak: Voltage
    /// ½·C·V² at the peak.
    public var energy: Energy
    /// Time under supra-threshold bias before the spike, counted from the end of the pulse that carried the
    /// previous spike (or from the start of the run) to this spike's onset.
    public var biasTime: Duration
    /// Whether the capacitor reached its plateau before the pulse ended (see `DetectorConfiguration.plateauWindow`).
    public var fullyFormed: Bool
    /// When the loop finished processing the sample that produced this event, on the real timing clock
    /// (nanoseconds; 0 when the run is not timed). Forwarding latency is measured from here.
    public var detectedAt: Int64 = 0

    public init(phase: Phase, index: Int, channel: Int, pulseIndex: Int, onset: Int64, crossing: Int64, peakTime: Int64,
                peak: Voltage, energy: Energy, biasTime: Duration, fullyFormed: Bool, detectedAt: Int64 = 0) {
        self.phase = phase; self.index = index; self.channel = channel; self.pulseIndex = pulseIndex
        self.onset = onset; self.crossing = crossing; self.peakTime = peakTime; self.peak = peak
        self.energy = energy; self.biasTime = biasTime; self.fullyFormed = fullyFormed; self.detectedAt = detectedAt
    }
}

/// Where the stimulus is, as the loop tells the detector with every sample.
public struct StimulusState: Sendable, Hashable, BitwiseCopyable {
    /// The most recent pulse that has started (-1 before the first).
    public var pulseIndex: Int
    /// Its rising and falling edges, nanoseconds from the run's start.
    public var pulseStart: Int64
    public var pulseEnd: Int64
    /// Whether that pulse is on now.
    public var isOn: Bool
    /// Whether its amplitude exceeds the switching threshold (bias counts only then).
    public var isSupraThreshold: Bool
    public static let idle = StimulusState(pulseIndex: -1, pulseStart: 0, pulseEnd: 0, isOn: false, isSupraThreshold: false)
    public init(pulseIndex: Int, pulseStart: Int64, pulseEnd: Int64, isOn: Bool, isSupraThreshold: Bool) {
        self.pulseIndex = pulseIndex
        self.pulseStart = pulseStart
        self.pulseEnd = pulseEnd
        self.isOn = isOn
        self.isSupraThreshold = isSupraThreshold
    }
}

/// The detector's two ring buffers, allocated once and freed with their owner. A class holding raw buffers rather
/// than arrays in the struct: array writes would check uniqueness on every sample. (A non-copyable detector with
/// its own `deinit` was tried and crashed Swift 6.3.1 debug builds when tests ran in parallel.)
final class DetectorBuffers {
    let window: UnsafeMutableBufferPointer<Double>
    let history: UnsafeMutableBufferPointer<Double>
    init(window: Int, history: Int) {
        self.window = .allocate(capacity: window)
        self.window.initialize(repeating: 0)
        self.history = .allocate(capacity: history)
        self.history.initialize(repeating: 0)
    }
    deinit {
        window.deallocate()
        history.deallocate()
    }
}

/// A streaming spike detector: moving average, threshold with hysteresis, refractory time, onset, peak, energy,
/// bias time and the fully-formed test. Fixed-size buffers allocated once in `init`; `process` allocates nothing.
/// Copies share their ring buffers: give each channel its own detector, made with `init`.
public struct SpikeDetector {
    public let configuration: DetectorConfiguration
    public let channel: Int
    public let sampleInterval: Int64

    /// Owns the two rings; the detector keeps their base addresses and sizes in itself, so a sample reads them
    /// without going through the class.
    private let buffers: DetectorBuffers
    private let window: UnsafeMutablePointer<Double>
    private let windowSize: Int
    private var windowSum = 0.0
    private var windowCount = 0
    private var windowNext = 0
    /// Smoothed history for the plateau test, long enough to look `plateauWindow` back.
    private let history: UnsafeMutablePointer<Double>
    private let historySize: Int
    private var historyNext = 0
    private let plateauSamples: Int

    private var inSpike = false
    private var refractoryUntil = Int64.min
    private var lastQuietTime = Int64.min
    private var current: SpikeEvent
    private var spikeCount = 0

    // Bias bookkeeping.
    private var lastPulseSeen = -1
    private var lastPulseWidth: Int64 = 0
    private var lastPulseSupra = false
    private var blockedPulse = -1
    private var completedBias: Int64 = 0

    public init(configuration: DetectorConfiguration, channel: Int, sampleInterval: Duration) {
        precondition(configuration.smoothingWindow >= 1, "smoothing window must be at least one sample")
        self.configuration = configuration
        self.channel = channel
        self.sampleInterval = max(1, sampleInterval.nanosecondsValue)
        plateauSamples = max(1, Int((configuration.plateauWindow.nanosecondsValue + self.sampleInterval / 2) / self.sampleInterval))
        buffers = DetectorBuffers(window: configuration.smoothingWindow, history: plateauSamples + 1)
        window = buffers.window.baseAddress!
        windowSize = buffers.window.count
        history = buffers.history.baseAddress!
        historySize = buffers.history.count
        current = SpikeEvent(
            phase: .crossing, index: 0, channel: channel, pulseIndex: -1, onset: 0, crossing: 0, peakTime: 0, peak: .zero,
            energy: Energy(joules: 0), biasTime: .zero, fullyFormed: false)
    }

    /// The smoothed value of the last sample.
    public private(set) var smoothed = 0.0

    /// Feeds one sample taken at `time` (ns from the run's start). Returns a `.crossing` event on the sample that
    /// crosses the threshold and a `.complete` event on the sample that ends the spike.
    // Inlined into the loop: called on every sample, and a returned optional event is ~100 bytes to write out.
    @inline(__always)
    public mutating func process(time: Int64, membrane: Voltage, stimulus: StimulusState) -> SpikeEvent? {
        trackBias(stimulus)
        let v = membrane.volts
        // Moving average over the last `smoothingWindow` samples.
        // The indices stay below the ring sizes, so wrapping arithmetic cannot wrap.
        if windowCount == windowSize { windowSum -= window[windowNext] } else { windowCount &+= 1 }
        window[windowNext] = v
        windowSum += v
        windowNext = windowNext &+ 1 == windowSize ? 0 : windowNext &+ 1
        smoothed = windowSum / Double(windowCount)
        history[historyNext] = smoothed
        let newest = historyNext
        historyNext = historyNext &+ 1 == historySize ? 0 : historyNext &+ 1

        let cfg = configuration
        if !inSpike {
            if v <= cfg.onsetLevel.volts { lastQuietTime = time }
            guard smoothed >= cfg.threshold.volts, time >= refractoryUntil else { return nil }
            inSpike = true
            let onset = lastQuietTime == Int64.min ? time : min(time, lastQuietTime + sampleInterval / 2)
            current.index = spikeCount
            current.onset = onset
            current.crossing = time
            current.peak = Voltage(volts: smoothed)
            current.peakTime = time
            current.fullyFormed = plateauReached(newest: newest, peak: smoothed)
            current.pulseIndex = stimulus.pulseIndex
            current.biasTime = .nanoseconds(biasBefore(onset, stimulus))
            current.phase = .crossing
            return current
        }
        if smoothed > current.peak.volts {
            current.peak = Voltage(volts: smoothed)
            current.peakTime = time
            current.fullyFormed = plateauReached(newest: newest, peak: smoothed)
        }
        guard smoothed < cfg.rearm.volts else { return nil }
        return endSpike(at: time)
    }

    /// Ends a spike still in progress when the run stops (its peak is what was seen so far).
    public mutating func finish(at time: Int64) -> SpikeEvent? {
        inSpike ? endSpike(at: time) : nil
    }

    private mutating func endSpike(at time: Int64) -> SpikeEvent {
        inSpike = false
        refractoryUntil = time + configuration.refractory.nanosecondsValue
        lastQuietTime = Int64.min
        current.energy = .stored(on: configuration.capacitance, at: current.peak)
        current.phase = .complete
        spikeCount += 1
        // Bias counts again from the end of the pulse that carried this spike.
        blockedPulse = current.pulseIndex
        completedBias = 0
        return current
    }

    @inline(__always)
    private func plateauReached(newest: Int, peak: Double) -> Bool {
        let back = (newest - plateauSamples + historySize) % historySize
        let earlier = history[back]
        return earlier >= (1 - configuration.plateauTolerance) * peak
    }

    private func biasBefore(_ onset: Int64, _ s: StimulusState) -> Int64 {
        guard s.pulseIndex >= 0, s.pulseIndex != blockedPulse, s.isSupraThreshold else { return completedBias }
        let within = min(max(onset, s.pulseStart), s.pulseEnd) - s.pulseStart
        return completedBias + within
    }

    /// When a new pulse starts, the previous one has ended: add its width if it biased the switch and did not
    /// carry the previous spike.
    @inline(__always)
    private mutating func trackBias(_ s: StimulusState) {
        guard s.pulseIndex != lastPulseSeen else { return }
        newPulse(s)
    }

    private mutating func newPulse(_ s: StimulusState) {
        if lastPulseSeen >= 0, lastPulseSupra, lastPulseSeen != blockedPulse {
            // Pulses skipped between two samples (sampling slower than pulsing) count with the same width.
            completedBias += lastPulseWidth * Int64(max(1, s.pulseIndex - lastPulseSeen))
        }
        lastPulseSeen = s.pulseIndex
        lastPulseWidth = s.pulseEnd - s.pulseStart
        lastPulseSupra = s.isSupraThreshold
    }
}
