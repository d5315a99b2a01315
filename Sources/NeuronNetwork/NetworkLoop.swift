public import NeuronHAL
public import NeuronControl

/// Transitional name for NeuronControl's `PulseSource`.
public typealias PulseGenerator = PulseSource

/// A sensor value stream through an encoder: one pulse per period of the current value's pulse.
public final class EncodedPulses: PulseSource {
    public let encoder: StimulusEncoder
    public let feed: any ValueFeed
    /// How often to look again while no value has arrived yet.
    public let poll: Int64
    public private(set) var nextStart: Int64 = 0
    public init(encoder: StimulusEncoder, feed: any ValueFeed, poll: Duration = .milliseconds(1)) {
        self.encoder = encoder
        self.feed = feed
        self.poll = poll.nanosecondsValue
    }
    public func fire(at time: Int64) -> PulseShape? {
        if feed.finished(at: time) {
            nextStart = .max
            return nil
        }
        guard let v = feed.value(at: time) else {
            nextStart = time + poll
            return nil
        }
        let p = encoder.pulse(for: v)
        nextStart = time + p.period.nanosecondsValue
        return p
    }
    /// One pulse per period at most; the mapping is monotonic, so the shortest period is at an end of the range.
    public func maximumPulses(within duration: Int64) -> Int? {
        let r = encoder.configuration.input
        let shortest = min(encoder.pulse(for: r.lowerBound).period, encoder.pulse(for: r.upperBound).period).nanosecondsValue
        return shortest > 0 ? Int(duration / shortest) + 1 : nil
    }
}

/// One neuron of a network run: its hardware, limits, detector settings and optional own pulse source.
public final class NetworkChannel {
    public let id: Int
    let stimulus: SafeStimulusOutput
    let membrane: any AnalogInput
    public let limits: StimulusLimits
    public let detector: DetectorConfiguration
    let generator: (any PulseGenerator)?

    /// `stimulus` must have been built with the board's limits (`SafeStimulusOutput(hw.stimulus, limits:)`).
    public init(id: Int, stimulus: SafeStimulusOutput, membrane: any AnalogInput, limits: StimulusLimits,
                detector: DetectorConfiguration = DetectorConfiguration(), generator: (any PulseGenerator)? = nil) {
        self.id = id
        self.stimulus = stimulus
        self.membrane = membrane
        self.limits = limits
        self.detector = detector
        self.generator = generator
    }
}

/// What a network run does.
public struct NetworkRunConfiguration: Sendable, Hashable {
    public var sampleRate: Frequency
    public var duration: Duration
    public var recordTrace: Bool
    /// Routed pulses that may wait per channel; a route's pulse beyond it is dropped and counted
    /// (`NetworkRunResult.droppedPulses`). The queues are allocated once, before the first tick.
    public var routedPulseCapacity: Int
    public init(sampleRate: Frequency = .hertz(10_000), duration: Duration, recordTrace: Bool = true,
                routedPulseCapacity: Int = NetworkLoop.queueCapacity) {
        precondition(routedPulseCapacity >= 1, "routedPulseCapacity >= 1")
        self.sampleRate = sampleRate
        self.duration = duration
        self.recordTrace = recordTrace
        self.routedPulseCapacity = routedPulseCapacity
    }
}

/// Everything a network run produced.
public struct NetworkRunResult: Sendable {
    public var channelIDs: [Int]
    /// Sample times, ns from the start (shared by every channel).
    public var time: [Int64]
    /// Per channel (same order as `channelIDs`): stimulus commanded and membrane read at each sample, and the
    /// index of the most recent pulse (-1 before the first).
    public var stimulus: [[Double]]
    public var membrane: [[Double]]
    public var pulseIndex: [[Int32]]
    /// `membrane` holds NaN where that channel's sample was skipped (every read of it failed; see `busFaults`). A
    /// sample instant at which every channel's read failed has no entry at all, as in `ControlLoop`'s trace.
    public var pulses: [PulseRecord]
    /// Complete spikes, in detection order.
    public var spikes: [SpikeEvent]
    public var samples: Int
    public var elapsed: Duration
    public var termination: Termination
    public var safeState: SafeStateOutcome
    /// Routed pulses refused because the target's queue was full (`NetworkRunConfiguration.routedPulseCapacity`).
    public var droppedPulses: Int
    public var externalSpikes: Int
    /// Wake-up latency, tick duration and overruns (`.untimed` when the run had no timing clock).
    public var timing: LoopTimingReport = .untimed
    /// Pulses applied beyond the preallocated pulse record (applied and counted, not listed in `pulses`).
    public var pulsesNotRecorded: Int = 0
    /// Complete spikes beyond the preallocated spike record (forwarded, not listed in `spikes`).
    public var spikesNotRecorded: Int = 0
    /// Bus faults of every channel, by kind and cost, and whether the policy ended the run.
    public var busFaults: BusFaultReport = .none
    /// Per channel (same order as `channelIDs`): samples skipped because every read of that membrane failed (one
    /// that made the bus-fault policy stop the run included).
    public var skippedSamples: [Int] = []

    public func spikes(channel: Int) -> [SpikeEvent] { spikes.filter { $0.channel == channel } }
    public func pulses(channel: Int) -> [PulseRecord] { pulses.filter { $0.channel == channel } }
}

/// What made a pulse, kept as numbers in the loop (no string is built in a tick); `PulseRecord.cause` spells it.
enum PulseCause: Hashable {
    case own
    case route(Int)
    case external(Int32)

    var text: String {
        switch self {
        case .own: "own"
        case .route(let c): "route \(c)"
        case .external(let a): "external \(a)"
        }
    }
}

/// A routed pulse waiting for its start.
struct PendingPulse {
    var start: Int64
    var amplitude: Voltage
    var width: Int64
    var cause: PulseCause
}

/// The routed pulses waiting on each channel: one fixed-capacity queue per channel, kept in start order (first in,
/// first out among equal starts), allocated once before the run. `insert` refuses a pulse when the channel's queue
/// is full; the loop counts it. At most `capacity` entries move on an insert or a removal (256 by default).
final class PendingPulseQueues {
    let capacity: Int
    private let channels: Int
    private let slots: UnsafeMutablePointer<PendingPulse>
    private let counts: UnsafeMutablePointer<Int>

    init(channels: Int, capacity: Int) {
        self.channels = channels
        self.capacity = capacity
        slots = .allocate(capacity: channels * capacity)
        counts = .allocate(capacity: channels)
        counts.initialize(repeating: 0, count: channels)
    }

    deinit {
        for c in 0..<channels { (slots + c * capacity).deinitialize(count: counts[c]) }
        slots.deallocate()
        counts.deallocate()
    }

    func count(_ channel: Int) -> Int { counts[channel] }

    /// The earliest waiting pulse's start, or `Int64.max`.
    @inline(__always)
    func firstStart(_ channel: Int) -> Int64 { counts[channel] > 0 ? slots[channel * capacity].start : .max }

    /// Queues `pulse` after every pulse that starts no later; false (nothing queued) when the queue is full.
    func insert(_ pulse: PendingPulse, channel: Int) -> Bool {
        let n = counts[channel]
        guard n < capacity else { return false }
        let base = slots + channel * capacity
        var i = n
        while i > 0 && base[i - 1].start > pulse.start { i -= 1 }
        // Shift the later ones up one slot (the regions overlap: moveInitialize handles that).
        (base + i + 1).moveInitialize(from: base + i, count: n - i)
        (base + i).initialize(to: pulse)
        counts[channel] = n + 1
        return true
    }

    /// Takes the earliest waiting pulse (the queue must not be empty).
    func removeFirst(_ channel: Int) -> PendingPulse {
        let n = counts[channel]
        precondition(n > 0, "removeFirst on an empty queue")
        let base = slots + channel * capacity
        let head = base.move()
        base.moveInitialize(from: base + 1, count: n - 1)
        counts[channel] = n - 1
        return head
    }
}

/// A record of fixed capacity, allocated before the run: `append` stores until it is full and counts the rest.
final class FixedRecord<Element> {
    let capacity: Int
    private(set) var count = 0
    private(set) var lost = 0
    private let slots: UnsafeMutablePointer<Element>

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        slots = .allocate(capacity: max(1, self.capacity))
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    @inline(__always)
    func append(_ element: Element) {
        if count < capacity {
            (slots + count).initialize(to: element)
            count += 1
        } else {
            lost += 1
        }
    }

    /// The elements, copied out (after the run).
    func map<T>(_ transform: (Element) -> T) -> [T] { UnsafeBufferPointer(start: slots, count: count).map(transform) }
}

/// A multi-channel closed loop on one board: every channel's own pulses (a train, or a sensor stream through an
/// encoder), spikes detected on every channel at each sample, and routes that turn a spike (from this board or
/// received over UDP) into pulses on another channel.
///
/// Safety: every value goes through the channel's `SafeStimulusOutput` (board limits); route amplitudes and widths
/// are checked against the target's limits at `init`; a pulse never starts before the duty-cycle limit allows
/// after the previous one on that channel (it waits); the run always ends in every channel's safe state, whatever
/// ends it (completion, a stop request, a hardware error, the bus-fault or the overrun policy).
///
/// Bus faults follow `BusFaultPolicy`, through the same `BusFaultHandler` bookkeeping as `ControlLoop`, per neuron:
/// a failed membrane read is retried; when every attempt fails, that neuron's sample is skipped (NaN in the trace,
/// its detector does not see it; the other neurons' samples stand), and `safeStateAfter` skipped samples in a row
/// on any one neuron stop the run. A DAC write that fails every retry stops the whole run at once. Either way every
/// channel then goes to its safe state (each DAC at 0 V). The counts are in `NetworkRunResult.busFaults`.
///
/// Timing follows `ControlLoop`: absolute deadlines on the injected clock, stimulus edges before a sample at the
/// same instant, and with a timing clock (`RealtimeOptions`) the same `LoopTimer`: wake-up latency and tick
/// duration in HDR histograms, overruns counted and the overrun policy applied. A tick allocates nothing: the
/// channel state, the routed-pulse queues (`NetworkRunConfiguration.routedPulseCapacity` per channel, overflow
/// counted), the pulse and spike records and the trace are allocated before the first tick, and a pulse's cause
/// is kept as numbers and spelled out after the run (`neuronhil-alloc-bench` checks it). Run it on a
/// `RealtimeThread` for SCHED_FIFO, affinity and locked memory, as `neuronctl network --realtime` does.
///
/// Not thread-safe: it owns the channels' hardware while `run()` runs.
public final class NetworkLoop {
    public let configuration: NetworkRunConfiguration
    let channels: [NetworkChannel]
    let routes: [Route]
    let clock: any MonotonicClock
    let stop: StopRequest
    let forwarder: SpikeForwarder?
    let inbox: ExternalSpikeInbox?
    let realtime: RealtimeOptions
    let faultPolicy: BusFaultPolicy
    /// Per route: the index of its target in `channels`.
    private let routeTarget: [Int]
    /// Per channel index: the routes whose source is that channel.
    private let routesFrom: [[Int]]
    /// The routes whose source is an external address.
    private let externalRoutes: [Int]
    /// Routed pulses waiting per channel, at most this many by default (`NetworkRunConfiguration.routedPulseCapacity`).
    public static let queueCapacity = 256
    /// Pulses per channel recorded at most when a generator cannot bound its own (`PulseGenerator.maximumPulses`),
    /// per second of run: a 1 ms period.
    static let unboundedPulsesPerSecond = 1000
    /// No channel's pulse record is sized beyond this (about 200 MB).
    static let maximumRecordedPulsesPerChannel = 1 << 22

    public init(channels: [NetworkChannel], routes: [Route] = [], configuration: NetworkRunConfiguration,
                clock: any MonotonicClock, stop: StopRequest = StopRequest(), forwarder: SpikeForwarder? = nil,
                inbox: ExternalSpikeInbox? = nil, realtime: RealtimeOptions = RealtimeOptions(),
                faultPolicy: BusFaultPolicy = .stopOnFirst, source: String = "network") throws(NetworkError) {
        let ids = Set(channels.map(\.id))
        guard ids.count == channels.count, !channels.isEmpty else {
            throw NetworkError(source: source, key: "channels", problem: "no channels, or a channel id given twice.", fix: "list each neuron once")
        }
        var routeTarget: [Int] = []
        var routesFrom = Array(repeating: [Int](), count: channels.count)
        var externalRoutes: [Int] = []
        for (i, r) in routes.enumerated() {
            let key = "routes[\(i)]"
            switch r.source {
            case .channel(let s):
                guard let from = channels.firstIndex(where: { $0.id == s }) else {
                    throw NetworkError(source: source, key: key + ".from", problem: "the board has no neuron with id \(s).",
                                       fix: "use one of: \(ids.sorted().map(String.init).joined(separator: ", "))")
                }
                routesFrom[from].append(i)
            case .external:
                externalRoutes.append(i)
            }
            guard let t = channels.firstIndex(where: { $0.id == r.target }) else {
                throw NetworkError(source: source, key: key + ".to", problem: "the board has no neuron with id \(r.target).",
                                   fix: "use one of: \(ids.sorted().map(String.init).joined(separator: ", "))")
            }
            let l = channels[t].limits
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
                throw NetworkError(source: source, key: key + ".delay-ms", problem: "delays must be 0 or more and intervals above 0.", fix: "e.g. delay-ms: 1, interval-ms: 15")
            }
            routeTarget.append(t)
        }
        self.channels = channels
        self.routes = routes
        self.routeTarget = routeTarget
        self.routesFrom = routesFrom
        self.externalRoutes = externalRoutes
        self.configuration = configuration
        self.clock = clock
        self.stop = stop
        self.forwarder = forwarder
        self.inbox = inbox
        self.realtime = realtime
        self.faultPolicy = faultPolicy
    }

    private struct ChannelState {
        var isOn = false
        var end: Int64 = 0
        var earliest: Int64 = 0
        var pulses = 0
        var stimulus = StimulusState.idle
        var commanded = 0.0
        var detector: SpikeDetector
        /// This membrane's skipped samples: the bus-fault policy counts runs of them per neuron.
        var skips = BusFaultHandler.Skips()
    }

    /// One applied pulse as the loop keeps it (`PulseRecord` once the run is over).
    private struct AppliedPulse {
        var channel: Int
        var index: Int
        var start: Int64
        var end: Int64
        var amplitude: Double
        var cause: PulseCause
    }

    /// How many pulses channel `c` can apply in `end` ns: its generator's own bound, plus what the routes into it
    /// can fit under the duty-cycle limit (a pulse of width w is followed by at least w / maxDutyCycle).
    private func pulseBound(_ c: Int, end: Int64) -> Int {
        let ch = channels[c]
        var n = 0
        if let g = ch.generator {
            n += g.maximumPulses(within: end) ?? Int(end / 1_000_000_000 + 1) * Self.unboundedPulsesPerSecond
        }
        let widths = routes.indices.filter { routeTarget[$0] == c }.map { routes[$0].width.nanosecondsValue }
        if let w = widths.min() {
            let spacing = max(1, Int64((Double(w) / ch.limits.maxDutyCycle).rounded(.down)))
            n += Int(end / spacing) + 1
        }
        return min(n + 16, Self.maximumRecordedPulsesPerChannel)
    }

    /// Runs until `duration`, a stop request, a hardware error or the overrun policy; never throws; always tries
    /// every channel's safe state.
    public func run() -> NetworkRunResult {
        // Opened once here, so the per-tick sleeps go straight through the witness table.
        run(clock: self.clock)
    }

    private func run<Clock: MonotonicClock>(clock: Clock) -> NetworkRunResult {
        let cfg = configuration
        let interval = max(1, cfg.sampleRate.period.nanosecondsValue)
        let end = cfg.duration.nanosecondsValue
        let n = channels.count
        // Everything the ticks write is allocated here.
        var states = channels.map {
            ChannelState(detector: SpikeDetector(configuration: $0.detector, channel: $0.id, sampleInterval: cfg.sampleRate.period))
        }
        let queues = PendingPulseQueues(channels: n, capacity: cfg.routedPulseCapacity)
        var pulseCapacity = 0
        for c in channels.indices { pulseCapacity += pulseBound(c, end: end) }
        let pulses = FixedRecord<AppliedPulse>(capacity: pulseCapacity)
        // The physics fires at most once per pulse; the slack covers a noisy trace on hardware.
        let spikes = FixedRecord<SpikeEvent>(capacity: pulseCapacity + 64 * n)
        let readings = UnsafeMutablePointer<Double>.allocate(capacity: n)
        readings.initialize(repeating: 0, count: n)
        defer { readings.deallocate() }
        let traceCapacity = cfg.recordTrace ? Int(end / interval) + 2 : 0
        var time: [Int64] = []
        var stim = Array(repeating: [Double](), count: n)
        var memb = Array(repeating: [Double](), count: n)
        var pidx = Array(repeating: [Int32](), count: n)
        if cfg.recordTrace {
            time.reserveCapacity(traceCapacity)
            for i in 0..<n { stim[i].reserveCapacity(traceCapacity); memb[i].reserveCapacity(traceCapacity); pidx[i].reserveCapacity(traceCapacity) }
        }
        var timing = LoopTimer(clock: realtime.timingClock, policy: realtime.overrunPolicy)
        let timed = timing.timed
        var samples = 0
        var dropped = 0
        var external = 0
        var nextSample: Int64 = 0
        var termination = Termination.completed
        var faults = BusFaultHandler(policy: faultPolicy)
        let t0 = clock.now
        timing.start()
        var now: Int64 = 0

        /// Queues the pulses route `r` makes for an event at `t`.
        func schedule(_ r: Int, at t: Int64, cause: PulseCause) {
            let route = routes[r]
            let target = routeTarget[r]
            let delay = route.delay.nanosecondsValue, spacing = route.interval.nanosecondsValue
            let width = route.width.nanosecondsValue
            for k in 0..<route.pulses {
                let p = PendingPulse(start: t + delay + Int64(k) * spacing, amplitude: route.amplitude, width: width, cause: cause)
                if !queues.insert(p, channel: target) { dropped += 1 }
            }
        }

        /// When channel `c` next changes its stimulus (end of its pulse, or the start of the next).
        func nextEdge(_ c: Int) -> Int64 {
            if states[c].isOn { return states[c].end }
            let due = min(queues.firstStart(c), channels[c].generator?.nextStart ?? .max)
            return due == .max ? .max : max(due, states[c].earliest)
        }

        func earliestEdge() -> Int64 {
            var edge = Int64.max
            for c in 0..<n { edge = min(edge, nextEdge(c)) }
            return edge
        }

        do throws(HardwareError) {
            while true {
                if stop.isRequested {
                    termination = .stopped(signal: stop.signal)
                    break
                }
                let edge = earliestEdge()
                if nextSample > end && (edge == .max || edge > end) {
                    var anyOn = false
                    for c in 0..<n where states[c].isOn { anyOn = true }
                    if !anyOn { break }
                }
                let deadline = min(edge, nextSample)
                clock.sleep(until: MonotonicInstant(nanoseconds: t0.nanoseconds + deadline))
                timing.woke(deadline: deadline)
                if edge <= nextSample {
                    // Stimulus edges first, so a sample at the same instant sees the new levels.
                    for c in 0..<n where nextEdge(c) <= deadline {
                        let ch = channels[c]
                        if states[c].isOn {
                            try faults.write(.zero, to: ch.stimulus)
                            states[c].isOn = false
                            states[c].commanded = 0
                            states[c].stimulus.isOn = false
                            continue
                        }
                        guard deadline <= end else { continue }
                        let amplitude: Voltage, width: Int64, cause: PulseCause
                        if queues.firstStart(c) <= deadline {
                            let head = queues.removeFirst(c)
                            amplitude = head.amplitude
                            width = head.width
                            cause = head.cause
                        } else if let g = ch.generator, g.nextStart <= deadline, let p = g.fire(at: deadline) {
                            amplitude = p.amplitude
                            width = p.width.nanosecondsValue
                            cause = .own
                        } else {
                            continue
                        }
                        try faults.write(amplitude, to: ch.stimulus)
                        let k = states[c].pulses
                        states[c].pulses += 1
                        states[c].isOn = true
                        states[c].end = deadline + width
                        states[c].commanded = amplitude.volts
                        // The duty-cycle limit: the next pulse may start once width / maxDutyCycle has passed.
                        states[c].earliest = deadline + Int64((Double(width) / ch.limits.maxDutyCycle).rounded(.up))
                        states[c].stimulus = StimulusState(
                            pulseIndex: k, pulseStart: deadline, pulseEnd: deadline + width, isOn: true,
                            isSupraThreshold: amplitude > ch.detector.switchingThreshold)
                        pulses.append(AppliedPulse(channel: ch.id, index: k, start: deadline, end: deadline + width,
                                                   amplitude: amplitude.volts, cause: cause))
                    }
                } else {
                    // A sample of every channel, each read retried per the bus-fault policy; NaN: every read of
                    // that membrane failed and its sample is skipped (throws once too many in a row are lost).
                    var read = 0
                    for c in 0..<n {
                        if let v = try faults.read(channels[c].membrane, skips: &states[c].skips) {
                            readings[c] = v.volts
                            read += 1
                        } else {
                            readings[c] = .nan
                        }
                    }
                    let t = clock.now.nanoseconds - t0.nanoseconds
                    if read > 0 {
                        // No row when no channel could be read (as ControlLoop keeps no row for a skipped sample).
                        now = t
                        samples += 1
                        if time.count < traceCapacity { time.append(now) }
                    }
                    for c in 0..<n where read > 0 {
                        if stim[c].count < traceCapacity {
                            stim[c].append(states[c].commanded)
                            memb[c].append(readings[c])
                            pidx[c].append(Int32(truncatingIfNeeded: states[c].stimulus.pulseIndex))
                        }
                        // A skipped sample: the detector does not see it.
                        guard !readings[c].isNaN,
                              var spike = states[c].detector.process(time: now, membrane: .volts(readings[c]), stimulus: states[c].stimulus)
                        else { continue }
                        spike.detectedAt = timing.stamp()
                        forwarder?.publish(spike)
                        if spike.phase == .crossing {
                            for r in routesFrom[c] { schedule(r, at: now, cause: .route(spike.channel)) }
                        } else {
                            spikes.append(spike)
                        }
                    }
                    if let inbox {
                        while let address = inbox.next() {
                            external += 1
                            for r in externalRoutes where routes[r].source == .external(address) {
                                schedule(r, at: t, cause: .external(address))
                            }
                        }
                    }
                    nextSample += interval
                }
                if timed, timing.finishTick(nextDeadline: min(earliestEdge(), nextSample)) {
                    termination = .overrunStorm(consecutive: timing.consecutiveOverruns)
                    break
                }
            }
        } catch {
            termination = .failed(error)
        }
        // Spikes still in progress end with the run.
        for c in 0..<n {
            if var s = states[c].detector.finish(at: now) {
                s.detectedAt = timing.stamp()
                forwarder?.publish(s)
                spikes.append(s)
            }
        }
        var safe = SafeStateOutcome.reached
        for ch in channels {
            do { try ch.stimulus.enterSafeState() } catch { if case .reached = safe { safe = .failed(error) } }
        }
        let records = pulses.map {
            PulseRecord(channel: $0.channel, index: $0.index, startNs: $0.start, endNs: $0.end, amplitudeVolts: $0.amplitude,
                        cause: $0.cause.text)
        }
        return NetworkRunResult(
            channelIDs: channels.map(\.id), time: time, stimulus: stim, membrane: memb, pulseIndex: pidx, pulses: records,
            spikes: spikes.map { $0 }, samples: samples, elapsed: clock.now - t0, termination: termination, safeState: safe,
            droppedPulses: dropped, externalSpikes: external, timing: timing.report(), pulsesNotRecorded: pulses.lost,
            spikesNotRecorded: spikes.lost, busFaults: faults.report(), skippedSamples: states.map(\.skips.total))
    }
}
