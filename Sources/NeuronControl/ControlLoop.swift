public import NeuronHAL
import Synchronization

/// A stop request shared with signal handlers: an atomic flag, so setting it is async-signal-safe.
public final class StopRequest: Sendable {
    private let flag = Atomic<Int32>(0)
    public init() {}
    /// Asks the loop to stop; `signal` is recorded for the report (e.g. SIGINT = 2).
    public func request(signal: Int32 = -1) { flag.store(signal == 0 ? -1 : signal, ordering: .relaxed) }
    public var isRequested: Bool { flag.load(ordering: .relaxed) != 0 }
    /// The signal number given to `request(signal:)`, or nil.
    public var signal: Int32? {
        let v = flag.load(ordering: .relaxed)
        return v > 0 ? v : nil
    }
}

/// What one run does.
public struct RunConfiguration: Sendable, Hashable {
    public var train: PulseTrain
    public var sampleRate: Frequency
    public var detector: DetectorConfiguration
    /// The neuron channel id (from the board file) that spikes are labelled with.
    public var channel: Int
    /// Keep every sample for the trace file.
    public var recordTrace: Bool

    public init(train: PulseTrain, sampleRate: Frequency, detector: DetectorConfiguration = DetectorConfiguration(),
                channel: Int = 0, recordTrace: Bool = true) {
        self.train = train
        self.sampleRate = sampleRate
        self.detector = detector
        self.channel = channel
        self.recordTrace = recordTrace
    }

    public var sampleInterval: Duration { sampleRate.period }

    /// Checks the protocol and the sample rate against the board's limits.
    public func validate(against limits: StimulusLimits) throws(StimulusError) {
        try train.validate(against: limits)
        guard sampleRate.hertz.isFinite, limits.sampleRate.contains(sampleRate) else {
            throw StimulusError(
                parameter: "sample-rate",
                problem: "\(sampleRate) is outside what the board's membrane ADC allows (\(limits.sampleRate.lowerBound) ... \(limits.sampleRate.upperBound)).",
                fix: "choose a rate in that range, e.g. 10000")
        }
        guard sampleRate.period < train.width else {
            throw StimulusError(
                parameter: "sample-rate", problem: "one sample per \(sampleRate.period.seconds * 1e3) ms cannot resolve \(train.width.seconds * 1e3) ms pulses.",
                fix: "sample faster than the pulse width, e.g. 10000 Hz")
        }
    }
}

/// Where the loop records samples: four columns in one buffer taken before the run (from the run's
/// `RunBufferAllocator`), written in place by the loop (no appends, no copies), then shared read-only by the
/// `Trace` the run returns.
final class TraceStorage: @unchecked Sendable {  // written by one thread before it is shared, immutable afterwards
    static let bytesPerSample = MemoryLayout<Int64>.size + 2 * MemoryLayout<Float>.size + MemoryLayout<Int32>.size
    let capacity: Int
    let time: UnsafeMutablePointer<Int64>
    let stimulus: UnsafeMutablePointer<Float>
    let membrane: UnsafeMutablePointer<Float>
    let pulse: UnsafeMutablePointer<Int32>
    private let buffer: UnsafeMutableRawPointer
    private let bytes: Int
    private let allocator: any RunBufferAllocator
    init(capacity: Int, allocator: any RunBufferAllocator) {
        self.capacity = capacity
        self.allocator = allocator
        bytes = max(1, capacity * Self.bytesPerSample)
        buffer = allocator.allocate(bytes: bytes)
        // The 8-byte column first, so every column stays aligned.
        time = buffer.bindMemory(to: Int64.self, capacity: capacity)
        stimulus = (buffer + capacity * 8).bindMemory(to: Float.self, capacity: capacity)
        membrane = (buffer + capacity * 12).bindMemory(to: Float.self, capacity: capacity)
        pulse = (buffer + capacity * 16).bindMemory(to: Int32.self, capacity: capacity)
    }
    deinit {
        allocator.deallocate(buffer, bytes: bytes)
    }
}

/// The recorded trace: parallel columns, one entry per sample.
public struct Trace: Sendable {
    /// Sample times, nanoseconds from the run's start.
    public let time: TraceColumn<Int64>
    /// The stimulus commanded at that time, volts.
    public let stimulus: TraceColumn<Float>
    /// The membrane (capacitor) voltage read, volts.
    public let membrane: TraceColumn<Float>
    /// The pulse index at that time (-1 before the first).
    public let pulse: TraceColumn<Int32>
    public var count: Int { time.count }

    init(storage: TraceStorage, count: Int) {
        time = TraceColumn(owner: storage, base: UnsafePointer(storage.time), count: count)
        stimulus = TraceColumn(owner: storage, base: UnsafePointer(storage.stimulus), count: count)
        membrane = TraceColumn(owner: storage, base: UnsafePointer(storage.membrane), count: count)
        pulse = TraceColumn(owner: storage, base: UnsafePointer(storage.pulse), count: count)
    }
}

/// How a run ended.
public enum Termination: Sendable, Hashable {
    case completed
    /// A stop was requested (SIGINT, SIGTERM, …); the signal number when known.
    case stopped(signal: Int32?)
    /// A hardware error ended the run.
    case failed(HardwareError)
    /// The overrun policy stopped the run after this many consecutive overruns.
    case overrunStorm(consecutive: Int)
}

/// Whether the safe state was reached at the end of a run.
public enum SafeStateOutcome: Sendable, Hashable {
    case reached
    case failed(HardwareError)
}

/// Everything a run produced.
public struct RunResult: Sendable {
    public var configuration: RunConfiguration
    public var trace: Trace
    public var spikes: [SpikeEvent]
    /// Rising edges applied to the DAC.
    public var pulsesApplied: Int
    public var samples: Int
    /// Simulated or real time the run covered.
    public var elapsed: Duration
    public var termination: Termination
    public var safeState: SafeStateOutcome
    /// Wake-up latency, tick duration and overruns (empty when the run was not timed against a real clock).
    public var timing: LoopTimingReport
    /// Complete spikes beyond the preallocated record (cannot happen with the physics: at most one per pulse).
    public var spikesNotRecorded: Int
    /// Bus faults seen, by kind and cost, and whether the policy ended the run.
    public var busFaults: BusFaultReport = .none
    /// Trace samples the trace stream refused (its writer was behind on a real-time run); 0 without a stream.
    public var traceSamplesDropped: Int = 0
}

/// What the loop does when a tick runs past the next deadline.
public enum OverrunPolicy: Sendable, Hashable {
    /// Count it and carry on.
    case carryOn
    /// After this many consecutive overruns, stop through the safe state (the stimulus timing can no longer be
    /// trusted).
    case safeStateAfter(Int)
}

/// Real-time options of a run. Without a real clock (a simulated board running flat out), nothing is timed.
public struct RealtimeOptions: Sendable {
    /// The real monotonic clock ticks are timed with; nil: no timing (the loop's clock is simulated and unpaced).
    public var timingClock: (any MonotonicClock & Sendable)?
    public var overrunPolicy: OverrunPolicy
    public init(timingClock: (any MonotonicClock & Sendable)? = nil, overrunPolicy: OverrunPolicy = .carryOn) {
        self.timingClock = timingClock
        self.overrunPolicy = overrunPolicy
    }
}

/// Where spikes go besides the run's own record: the forwarder (off the real-time thread) and an optional GPIO
/// line pulsed by the loop itself.
public struct SpikeOutputs {
    public var forwarder: SpikeForwarder?
    /// Pulsed active for `spikeOutWidth` from each threshold crossing. Driven by the loop thread: it is the
    /// latency-critical output, and the line belongs to the loop's hardware (one planned line write per edge).
    public var spikeOut: (any DigitalOutput)?
    public var spikeOutWidth: Duration
    public init(forwarder: SpikeForwarder? = nil, spikeOut: (any DigitalOutput)? = nil, spikeOutWidth: Duration = .microseconds(500)) {
        self.forwarder = forwarder
        self.spikeOut = spikeOut
        self.spikeOutWidth = spikeOutWidth
    }
}

/// The control loop.
///
/// It wakes at absolute deadlines on the injected clock: at every stimulus edge it writes the DAC (through
/// `SafeStimulusOutput`, so the board's limits hold), at every sample instant it reads the membrane ADC and runs
/// the detector, and at the end of each spike-out pulse it releases the line. Deadlines are computed from the
/// start instant, never by adding sleeps, so there is no drift. Spikes leave through a preallocated ring to the
/// forwarder; nothing in a tick allocates, locks or makes a syscall beyond the planned device I/O, the sleep and,
/// per spike, one semaphore post. Whatever happens (completion, a stop request, a thrown hardware error, an
/// overrun storm) it ends in the safe state.
///
/// Not thread-safe: the loop owns the hardware handles for the duration of `run()`; call it on the thread that
/// should run it (see `RealtimeThread` for a dedicated SCHED_FIFO one).
public final class ControlLoop {
    public let configuration: RunConfiguration
    private let stimulus: SafeStimulusOutput
    private let membrane: any AnalogInput
    private let clock: any MonotonicClock
    private let stop: StopRequest
    private let outputs: SpikeOutputs
    private let realtime: RealtimeOptions
    private let faultPolicy: BusFaultPolicy
    private let traceStream: TraceStream?
    private let buffers: any RunBufferAllocator

    /// `faultPolicy` says what a failed bus transfer costs (default: the first one ends the run); `traceStream`,
    /// when given, receives every sample as it is taken (independently of `configuration.recordTrace`, which keeps
    /// the trace in memory for the result); `buffers` provides the in-memory trace (give the Linux backend's
    /// prefaulted buffers so that no tick takes a page fault on it).
    public init(configuration: RunConfiguration, stimulus: SafeStimulusOutput, membrane: any AnalogInput,
                clock: any MonotonicClock, stop: StopRequest = StopRequest(), outputs: SpikeOutputs = SpikeOutputs(),
                realtime: RealtimeOptions = RealtimeOptions(), faultPolicy: BusFaultPolicy = .stopOnFirst,
                traceStream: TraceStream? = nil, buffers: any RunBufferAllocator = HeapRunBuffers()) {
        self.buffers = buffers
        self.faultPolicy = faultPolicy
        self.traceStream = traceStream
        self.configuration = configuration
        self.stimulus = stimulus
        self.membrane = membrane
        self.clock = clock
        self.stop = stop
        self.outputs = outputs
        self.realtime = realtime
    }

    /// Runs the protocol to its end or until stopped or failed; never throws; always tries the safe state.
    public func run() -> RunResult {
        // Opened once here, so the per-tick calls go straight through the witness tables instead of projecting the
        // existential boxes on every sample.
        run(clock: self.clock, membrane: self.membrane)
    }

    private func run<Clock: MonotonicClock, Membrane: AnalogInput>(clock: Clock, membrane: Membrane) -> RunResult {
        let cfg = configuration
        let train = cfg.train
        let interval = cfg.sampleInterval.nanosecondsValue
        let end = train.duration.nanosecondsValue
        let supra = train.amplitude > cfg.detector.switchingThreshold
        // Edge times in plain Int64 nanoseconds: `Duration` arithmetic goes through 128-bit attoseconds.
        let startNs = train.start.nanosecondsValue
        let periodNs = train.period.nanosecondsValue
        let widthNs = train.width.nanosecondsValue
        let expectedSamples = Int(end / interval) + 2
        // Samples go into columns allocated once, here, and are handed out without a copy at the end.
        let capacity = cfg.recordTrace ? expectedSamples : 0
        let storage = TraceStorage(capacity: capacity, allocator: buffers)
        let traceTime = storage.time, traceStimulus = storage.stimulus
        let traceMembrane = storage.membrane, tracePulse = storage.pulse
        var recorded = 0
        // One slot per pulse plus slack covers every spike the physics allows (at most one per pulse).
        let spikeCapacity = train.count + 64
        let spikeStorage = UnsafeMutablePointer<SpikeEvent>.allocate(capacity: spikeCapacity)
        defer { spikeStorage.deallocate() }
        var spikeCount = 0
        var spikesLost = 0
        var detector = SpikeDetector(configuration: cfg.detector, channel: cfg.channel, sampleInterval: cfg.sampleInterval)
        var timing = LoopTimer(clock: realtime.timingClock, policy: realtime.overrunPolicy)

        let forwarder = outputs.forwarder
        let spikeOut = outputs.spikeOut
        let spikeOutWidth = outputs.spikeOutWidth.nanosecondsValue
        var spikeOutRelease = Int64.max

        var state = StimulusState.idle
        var commanded = Voltage.zero
        var pulsesApplied = 0
        var samples = 0
        var nextSample: Int64 = 0
        var nextEdge = 0  // edge 2k: rise of pulse k; 2k+1: its fall
        let edgeCount = 2 * train.count
        /// When edge `e` happens (Int64.max once past the last one).
        func edgeInstant(_ e: Int) -> Int64 {
            e < edgeCount ? startNs + Int64(e >> 1) * periodNs + (e & 1 == 0 ? 0 : widthNs) : Int64.max
        }
        var nextEdgeTime = edgeInstant(0)
        let timed = timing.timed
        var termination = Termination.completed
        // The bus-fault policy's bookkeeping, shared with NetworkLoop (BusFaultCounter); the retry loops stay
        // written out here, where the per-sample path is cheapest (see BusFaultCounter).
        var faults = BusFaultCounter()
        let policy = faultPolicy
        let stream = traceStream
        let t0 = clock.now
        timing.start()
        var now: Int64 = 0

        func publish(_ spike: SpikeEvent) {
            forwarder?.publish(spike)
            if spike.phase == .complete {
                if spikeCount < spikeCapacity {
                    (spikeStorage + spikeCount).initialize(to: spike)
                    spikeCount += 1
                } else {
                    spikesLost += 1
                }
            }
        }

        /// Writes the DAC through the safe output, retrying per the policy; rethrows the last error when all fail.
        func setStimulus(_ v: Voltage) throws(HardwareError) {
            var attempt = 0
            while true {
                do {
                    try stimulus.set(v)
                    if attempt > 0 { faults.recoveredByRetry += 1 }
                    return
                } catch {
                    // A value refused by the limits is not a bus fault, and retrying it cannot help.
                    if error.kind == .outOfRange { throw error }
                    guard faults.dacWriteFailed(error.kind, attempt: attempt, policy: policy) else { throw error }
                    attempt += 1
                }
            }
        }

        do throws(HardwareError) {
            while true {
                if stop.isRequested {
                    termination = .stopped(signal: stop.signal)
                    break
                }
                let edgeTime = nextEdgeTime
                if nextSample > end && edgeTime == Int64.max && spikeOutRelease == Int64.max { break }
                let deadline = min(edgeTime, nextSample, spikeOutRelease)
                clock.sleep(until: MonotonicInstant(nanoseconds: t0.nanoseconds + deadline))
                timing.woke(deadline: deadline)
                if spikeOutRelease <= deadline {
                    try spikeOut?.set(.inactive)
                    spikeOutRelease = Int64.max
                } else if edgeTime <= nextSample {
                    // Stimulus edge first, so a sample at the same instant sees the new level.
                    let k = nextEdge >> 1
                    if nextEdge & 1 == 0 {
                        try setStimulus(train.amplitude)
                        commanded = train.amplitude
                        pulsesApplied += 1
                        state = StimulusState(pulseIndex: k, pulseStart: edgeTime, pulseEnd: edgeTime + widthNs,
                                              isOn: true, isSupraThreshold: supra)
                    } else {
                        try setStimulus(.zero)
                        commanded = .zero
                        state.isOn = false
                    }
                    nextEdge += 1
                    nextEdgeTime = edgeInstant(nextEdge)
                } else {
                    var reading: Voltage?
                    var attempt = 0
                    while reading == nil {
                        do {
                            reading = try membrane.readVoltage()
                            if attempt > 0 { faults.recoveredByRetry += 1 }
                        } catch {
                            if faults.adcReadFailed(error.kind, attempt: attempt, policy: policy) {
                                attempt += 1
                                continue
                            }
                            // Every attempt failed: skip this sample, or stop once too many in a row are lost.
                            faults.consecutiveSkipped += 1
                            if faults.sampleSkipped(consecutive: faults.consecutiveSkipped, policy: policy) { throw error }
                            break
                        }
                    }
                    guard let v = reading else {
                        nextSample += interval
                        if timed, timing.finishTick(nextDeadline: min(nextSample, spikeOutRelease, nextEdgeTime)) {
                            termination = .overrunStorm(consecutive: timing.consecutiveOverruns)
                            break
                        }
                        continue
                    }
                    faults.consecutiveSkipped = 0
                    now = clock.now.nanoseconds - t0.nanoseconds
                    samples += 1
                    stream?.push(TraceSample(time: now, stimulus: Float(commanded.volts), membrane: Float(v.volts),
                                             pulse: Int32(truncatingIfNeeded: state.pulseIndex)))
                    if recorded < capacity {
                        traceTime[recorded] = now
                        traceStimulus[recorded] = Float(commanded.volts)
                        traceMembrane[recorded] = Float(v.volts)
                        tracePulse[recorded] = Int32(truncatingIfNeeded: state.pulseIndex)
                        recorded += 1
                    }
                    if var spike = detector.process(time: now, membrane: v, stimulus: state) {
                        spike.detectedAt = timing.stamp()
                        if spike.phase == .crossing, let line = spikeOut {
                            try line.set(.active)
                            spikeOutRelease = now + spikeOutWidth
                        }
                        publish(spike)
                    }
                    nextSample += interval
                }
                if timed, timing.finishTick(nextDeadline: min(nextSample, spikeOutRelease, nextEdgeTime)) {
                    termination = .overrunStorm(consecutive: timing.consecutiveOverruns)
                    break
                }
            }
        } catch {
            termination = .failed(error)
        }
        if var spike = detector.finish(at: now) {
            spike.detectedAt = timing.stamp()
            publish(spike)
        }
        if spikeOutRelease != Int64.max { try? spikeOut?.set(.inactive) }
        let trace = Trace(storage: storage, count: recorded)

        let safe: SafeStateOutcome
        do {
            try stimulus.enterSafeState()
            safe = .reached
        } catch {
            safe = .failed(error)
        }
        let spikes = Array(UnsafeBufferPointer(start: spikeStorage, count: spikeCount))
        return RunResult(
            configuration: cfg, trace: trace, spikes: spikes, pulsesApplied: pulsesApplied, samples: samples,
            elapsed: clock.now - t0, termination: termination, safeState: safe, timing: timing.report(),
            spikesNotRecorded: spikesLost, busFaults: faults.report(policy: faultPolicy),
            traceSamplesDropped: stream?.dropped ?? 0)
    }
}
