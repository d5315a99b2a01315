public import NeuronHAL

/// What one engine run does, besides its channels.
public struct EngineConfiguration: Sendable, Hashable {
    public var sampleRate: Frequency
    /// Pulses start only up to here; the run ends once the last pulse is over and no sample is left before it.
    public var duration: Duration
    /// Keep every sample of every channel in memory (`EngineResult.traces`; 8 + 20 × channels bytes per sample),
    /// for recordings and in-process analysis. Streamed traces (`EngineChannel.traceStream`) do not need it.
    public var keepTrace: Bool
    /// At most this many pulses and complete spikes are kept in `EngineResult.pulses` and `.spikes`; the rest reach
    /// the forwarder, the trace streams and the statistics only, so a long run's memory does not grow with it.
    public var recordLimit: Int
    /// Routed pulses that may wait per channel; a route's pulse beyond it is dropped and counted.
    public var routedPulseCapacity: Int
    /// How long a channel's spike-out line stays active from each threshold crossing.
    public var spikeOutWidth: Duration

    public init(sampleRate: Frequency = .hertz(10_000), duration: Duration, keepTrace: Bool = false, recordLimit: Int = .max,
                routedPulseCapacity: Int = 256, spikeOutWidth: Duration = .microseconds(500)) {
        precondition(routedPulseCapacity >= 1, "routedPulseCapacity >= 1")
        self.sampleRate = sampleRate
        self.duration = duration
        self.keepTrace = keepTrace
        self.recordLimit = recordLimit
        self.routedPulseCapacity = routedPulseCapacity
        self.spikeOutWidth = spikeOutWidth
    }

    /// Checks the sample rate against the board's limits (pulse trains check themselves: `PulseTrain.validate`).
    public func validate(against limits: StimulusLimits) throws(StimulusError) {
        guard sampleRate.hertz.isFinite, limits.sampleRate.contains(sampleRate) else {
            throw StimulusError(
                parameter: "sample-rate",
                problem: "\(sampleRate) is outside what the board's membrane ADC allows (\(limits.sampleRate.lowerBound) ... \(limits.sampleRate.upperBound)).",
                fix: "choose a rate in that range, e.g. 10000")
        }
    }
}

/// One neuron as the engine drives it: its hardware, its limits and detector, and its stimulus source and outputs.
public struct EngineChannel {
    public let id: Int
    /// Built with the board's limits (`SafeStimulusOutput(hw.stimulus, limits:)`): no value outside them reaches
    /// the DAC.
    public let stimulus: SafeStimulusOutput
    public let membrane: any AnalogInput
    public let limits: StimulusLimits
    public var detector: DetectorConfiguration
    /// The channel's own pulses (nil: only routed pulses).
    public var source: (any PulseSource)?
    /// Pulsed active for `EngineConfiguration.spikeOutWidth` from each threshold crossing, by the loop thread
    /// itself: the latency-critical output (one planned line write per edge).
    public var spikeOut: (any DigitalOutput)?
    /// Receives every sample of this channel as it is taken (a trace file's writer on another thread).
    public var traceStream: TraceStream?
    /// Receives every sample too, for a viewer (the live view's publisher); dropped and counted when it is behind.
    public var viewStream: TraceStream?

    public init(id: Int, stimulus: SafeStimulusOutput, membrane: any AnalogInput, limits: StimulusLimits,
                detector: DetectorConfiguration = DetectorConfiguration(), source: (any PulseSource)? = nil,
                spikeOut: (any DigitalOutput)? = nil, traceStream: TraceStream? = nil, viewStream: TraceStream? = nil) {
        self.id = id
        self.stimulus = stimulus
        self.membrane = membrane
        self.limits = limits
        self.detector = detector
        self.source = source
        self.spikeOut = spikeOut
        self.traceStream = traceStream
        self.viewStream = viewStream
    }
}

/// What one channel did.
public struct ChannelOutcome: Sendable {
    public var id: Int
    public var pulsesApplied: Int
    /// Samples of this channel skipped because every read of its membrane failed (see `BusFaultPolicy`).
    public var skippedSamples: Int
    /// Every complete spike of the run, counted as it happened (not only those kept in `EngineResult.spikes`).
    public var statistics: SpikeStatistics
    /// Trace samples its stream refused (its writer was behind on a real-time run).
    public var traceSamplesDropped: Int
}

/// Everything a run produced.
public struct EngineResult: Sendable {
    public var channels: [ChannelOutcome]
    /// Complete spikes in detection order, up to `EngineConfiguration.recordLimit`.
    public var spikes: [SpikeEvent]
    /// Pulses applied, in order, up to `EngineConfiguration.recordLimit`.
    public var pulses: [PulseRecord]
    /// Per channel, every sample (with `EngineConfiguration.keepTrace`; empty otherwise).
    public var traces: [ChannelTrace]
    /// Sample instants at which at least one membrane was read.
    public var samples: Int
    /// Simulated or real time the run covered.
    public var elapsed: Duration
    public var termination: Termination
    public var safeState: SafeStateOutcome
    /// Wake-up latency, tick duration and overruns (`.untimed` without a timing clock).
    public var timing: LoopTimingReport
    /// Bus faults of every channel, by kind and cost, and whether the policy ended the run.
    public var busFaults: BusFaultReport
    /// Routed pulses refused because the target's queue was full.
    public var droppedPulses: Int
    public var externalSpikes: Int
    /// Pulses and complete spikes beyond `recordLimit` (applied and forwarded, not kept in memory).
    public var pulsesNotRecorded: Int
    public var spikesNotRecorded: Int
    /// The wall clock (CLOCK_REALTIME, seconds since 1970) at the run's time 0: relates a run on the real clock
    /// to other boards' (meaningless on a simulated clock).
    public var startedUnixSeconds: Double

    public func spikes(channel: Int) -> [SpikeEvent] { spikes.filter { $0.channel == channel } }
    public func pulses(channel: Int) -> [PulseRecord] { pulses.filter { $0.channel == channel } }
    public func outcome(channel: Int) -> ChannelOutcome? { channels.first { $0.id == channel } }
    public func trace(channel: Int) -> ChannelTrace? { traces.first { $0.id == channel } }
}

/// The loop engine: every command's real-time loop, for one neuron (`run`) or many (`sense`, `network`).
///
/// It wakes at absolute deadlines on the injected clock, computed from the start instant, never by adding sleeps,
/// so there is no drift. At a deadline it releases due spike-out lines, applies due stimulus edges (through each
/// channel's `SafeStimulusOutput`, so the board's limits hold; a pulse never starts before the duty-cycle limit
/// allows after the previous one on its channel), then, when a sample is due, reads every membrane (retried per
/// the `BusFaultPolicy`), runs each channel's detector, pulses its spike-out line, hands spikes to the forwarder
/// through its preallocated ring, turns crossings into routed pulses, streams each channel's sample, and takes the
/// external spikes that arrived. A tick allocates, locks and calls nothing beyond the planned device I/O, the
/// sleep and, per spike, one semaphore post: every buffer is taken before the first tick. Whatever ends the run
/// (completion, a stop request, a hardware error, the bus-fault or the overrun policy), every channel ends in its
/// safe state.
///
/// Not thread-safe: it owns the channels' hardware while `run()` runs; call it on the thread that should run it
/// (a `RealtimeThread` for SCHED_FIFO, affinity and locked memory).
public final class Engine {
    public let configuration: EngineConfiguration
    let channels: [EngineChannel]
    let routes: RouteTable
    let clock: any MonotonicClock
    let stop: StopRequest
    let forwarder: SpikeForwarder?
    let inbox: (any ExternalSpikeSource)?
    let realtime: RealtimeOptions
    let faultPolicy: BusFaultPolicy
    let buffers: any RunBufferAllocator

    /// Refuses a route from or to a neuron that is not among `channels`, or one whose pulses the target's limits
    /// do not allow (`source` names the file or flag in the error).
    public init(channels: [EngineChannel], routes: [Route] = [], configuration: EngineConfiguration, clock: any MonotonicClock,
                stop: StopRequest = StopRequest(), forwarder: SpikeForwarder? = nil, inbox: (any ExternalSpikeSource)? = nil,
                realtime: RealtimeOptions = RealtimeOptions(), faultPolicy: BusFaultPolicy = .stopOnFirst,
                buffers: any RunBufferAllocator = HeapRunBuffers(), source: String = "network") throws(NetworkError) {
        precondition(!channels.isEmpty, "an engine runs at least one channel")
        self.routes = try RouteTable(routes, channels: channels, source: source)
        self.channels = channels
        self.configuration = configuration
        self.clock = clock
        self.stop = stop
        self.forwarder = forwarder
        self.inbox = inbox
        self.realtime = realtime
        self.faultPolicy = faultPolicy
        self.buffers = buffers
    }

    /// Runs until `duration`, a stop request, a hardware error or a policy ends it; never throws; always tries
    /// every channel's safe state.
    public func run() -> EngineResult {
        // The two clocks the package ships get loops specialised for them, their reads and sleeps inlined into the
        // tick; any other clock is opened once here, so its per-tick calls go straight through its witness table.
        if let simulated = clock as? ManualClock { return run(clock: simulated) }
        if let system = clock as? SystemClock { return run(clock: system) }
        return run(clock: clock)
    }

    private func run<Clock: MonotonicClock>(clock: Clock) -> EngineResult {
        var run = EngineRun(engine: self, clock: clock)
        run.loop()
        return run.finish()
    }

    /// How many pulses channel `c` can apply in `end` ns: its source's own bound, plus what the routes into it can
    /// fit under the duty-cycle limit (a pulse of width w is followed by at least w / maxDutyCycle).
    func pulseBound(_ c: Int, end: Int64) -> Int {
        let ch = channels[c]
        var n = 0
        if let s = ch.source {
            n += s.maximumPulses(within: end) ?? Int(end / 1_000_000_000 + 1) * Self.unboundedPulsesPerSecond
        }
        if let w = routes.shortestWidth(into: c) {
            let spacing = max(1, Int64((Double(w) / ch.limits.maxDutyCycle).rounded(.down)))
            n += Int(end / spacing) + 1
        }
        return n + 16
    }

    /// Pulses per second recorded for a source that cannot bound its own (a live value stream).
    static let unboundedPulsesPerSecond = 1000
}

/// The tick reaches a channel's membrane through an `AnalogInputBox`: the board's own (the simulated board's has its
/// read path inlined), or a `TypedMembrane` around any other input.
extension AnalogInputBox {
    /// `input` itself when it is already in a box, else in a box of its own type.
    static func wrapping(_ input: any AnalogInput) -> AnalogInputBox { input as? AnalogInputBox ?? make(input) }
    private static func make<Input: AnalogInput>(_ input: Input) -> AnalogInputBox { TypedMembrane(input) }

    /// One read, its failure as a value: what the tick calls inside `_withUnsafeGuaranteedRef`, whose closure cannot
    /// throw a typed error.
    @inline(__always)
    func attempt() -> ReadAttempt {
        do { return .read(try readVoltage()) } catch { return .failed(error) }
    }
}

final class TypedMembrane<Input: AnalogInput>: AnalogInputBox {
    /// Read in place (`inout`): a read of a stored property would copy the input, retains and all, per sample.
    /// Only the loop's thread touches it, so the exclusivity check is left out.
    @exclusivity(unchecked) private var input: Input
    init(_ input: Input) { self.input = input }
    override func readVoltage() throws(HardwareError) -> Voltage { try Self.read(&input) }
    @inline(__always)
    private static func read(_ input: inout Input) throws(HardwareError) -> Voltage { try input.readVoltage() }
}

enum ReadAttempt {
    case read(Voltage)
    case failed(HardwareError)
}

/// The routes of a run, checked and indexed by channel position before the first tick.
struct RouteTable {
    let routes: [Route]
    /// Per route: the target channel's position.
    let target: [Int]
    /// Per channel position: the routes its crossings drive.
    let from: [[Int]]
    /// Routes driven by external (UDP) addresses.
    let external: [Int]

    init(_ routes: [Route], channels: [EngineChannel], source: String) throws(NetworkError) {
        let ids = channels.map(\.id)
        func position(_ id: Int, key: String) throws(NetworkError) -> Int {
            guard let p = ids.firstIndex(of: id) else {
                throw NetworkError(source: source, key: key, problem: "the board has no neuron with id \(id).",
                                   fix: "use one of: \(ids.sorted().map(String.init).joined(separator: ", "))")
            }
            return p
        }
        var target: [Int] = [], from = Array(repeating: [Int](), count: channels.count), external: [Int] = []
        for (i, r) in routes.enumerated() {
            let key = "routes[\(i)]"
            switch r.source {
            case .channel(let s): from[try position(s, key: key + ".from")].append(i)
            case .external: external.append(i)
            }
            let t = try position(r.target, key: key + ".to")
            try Self.check(r, against: channels[t].limits, key: key, source: source)
            target.append(t)
        }
        self.routes = routes
        self.target = target
        self.from = from
        self.external = external
    }

    static func check(_ r: Route, against l: StimulusLimits, key: String, source: String) throws(NetworkError) {
        guard r.amplitude.volts.isFinite, l.voltage.contains(r.amplitude) else {
            throw NetworkError(source: source, key: key + ".amplitude-volts",
                               problem: "\(r.amplitude) is outside the board's stimulus range \(l.voltage.lowerBound) ... \(l.voltage.upperBound).",
                               fix: "choose an amplitude within limits.stimulus-volts")
        }
        guard r.width > .zero, r.width <= l.maxPulseWidth else {
            throw NetworkError(source: source, key: key + ".width-ms",
                               problem: "\(formatted(r.width.seconds * 1e3, digits: 3)) ms is not a pulse width the board allows (max \(formatted(l.maxPulseWidth.seconds * 1e3, digits: 3)) ms).",
                               fix: "use a width above 0 and at most limits.max-pulse-width-ms")
        }
        guard (1...1000).contains(r.pulses) else {
            throw NetworkError(source: source, key: key + ".pulses", problem: "\(r.pulses) pulses per spike is not usable.", fix: "use 1 to 1000")
        }
        guard r.delay >= .zero, r.interval > .zero else {
            throw NetworkError(source: source, key: key + ".delay-ms", problem: "delays must be 0 or more and intervals above 0.",
                               fix: "e.g. delay-ms: 1, interval-ms: 15")
        }
    }

    /// The narrowest routed pulse into channel position `c` (ns), or nil when no route targets it.
    func shortestWidth(into c: Int) -> Int64? {
        routes.indices.filter { target[$0] == c }.map { routes[$0].width.nanosecondsValue }.min()
    }
}
