public import NeuronHAL
public import NeuronControl

/// Where a channel's own pulses come from (besides routed spikes): asked at `nextStart` for the pulse to apply.
public protocol PulseGenerator: AnyObject {
    /// When the next pulse should start, ns from the run's start; `Int64.max` when the generator has finished.
    var nextStart: Int64 { get }
    /// Called once `nextStart` has come and the channel is free: the pulse to apply now, or nil (nothing now; the
    /// generator has moved `nextStart` on).
    func fire(at time: Int64) -> PulseShape?
}

/// A sensor value stream through an encoder: one pulse per period of the current value's pulse.
public final class EncodedPulses: PulseGenerator {
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
}

/// A fixed pulse train (e.g. the paper's Fig. 2c protocol on the first neuron of a loop).
public final class TrainPulses: PulseGenerator {
    public let train: PulseTrain
    private var k = 0
    public init(_ train: PulseTrain) { self.train = train }
    public var nextStart: Int64 { k < train.count ? train.pulseStart(k) : .max }
    public func fire(at time: Int64) -> PulseShape? {
        k += 1
        return PulseShape(amplitude: train.amplitude, width: train.width, period: train.period)
    }
}

/// A route: each spike of a source makes `pulses` pulses of `amplitude` × `width` on channel `target`, the first
/// `delay` after the spike's threshold crossing, then one every `interval`. Weight is the amplitude or the pulse
/// count. Checked against the target's limits when the network is built (`NetworkLoop.init`).
public struct Route: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        /// A neuron channel on this board (its id).
        case channel(Int)
        /// A jAER address received over UDP (another board's channel id, by convention).
        case external(Int32)
    }
    public var source: Source
    public var target: Int
    public var amplitude: Voltage
    public var width: Duration
    public var pulses: Int
    public var interval: Duration
    public var delay: Duration
    public init(source: Source, target: Int, amplitude: Voltage = .volts(0.75), width: Duration = .milliseconds(5),
                pulses: Int = 1, interval: Duration = .milliseconds(15), delay: Duration = .zero) {
        self.source = source
        self.target = target
        self.amplitude = amplitude
        self.width = width
        self.pulses = pulses
        self.interval = interval
        self.delay = delay
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

/// A network refused before anything touched a DAC.
public struct NetworkError: Error, Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var key: String
    public var problem: String
    public var fix: String
    public init(source: String, key: String, problem: String, fix: String) {
        self.source = source
        self.key = key
        self.problem = problem
        self.fix = fix
    }
    public var description: String { "\(source): \(key): \(problem) Fix: \(fix)" }
}

/// What a network run does.
public struct NetworkRunConfiguration: Sendable, Hashable {
    public var sampleRate: Frequency
    public var duration: Duration
    public var recordTrace: Bool
    public init(sampleRate: Frequency = .hertz(10_000), duration: Duration, recordTrace: Bool = true) {
        self.sampleRate = sampleRate
        self.duration = duration
        self.recordTrace = recordTrace
    }
}

/// One applied pulse.
public struct PulseRecord: Sendable, Hashable, Codable {
    public var channel: Int
    public var index: Int
    public var startNs: Int64
    public var endNs: Int64
    public var amplitudeVolts: Double
    /// What made it: "own" (generator), "route <source>" or "external <address>".
    public var cause: String
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
    public var pulses: [PulseRecord]
    /// Complete spikes, in detection order.
    public var spikes: [SpikeEvent]
    public var samples: Int
    public var elapsed: Duration
    public var termination: Termination
    public var safeState: SafeStateOutcome
    /// Routed pulses refused because the target's queue was full.
    public var droppedPulses: Int
    public var externalSpikes: Int

    public func spikes(channel: Int) -> [SpikeEvent] { spikes.filter { $0.channel == channel } }
    public func pulses(channel: Int) -> [PulseRecord] { pulses.filter { $0.channel == channel } }
}

/// A multi-channel closed loop on one board: every channel's own pulses (a train, or a sensor stream through an
/// encoder), spikes detected on every channel at each sample, and routes that turn a spike (from this board or
/// received over UDP) into pulses on another channel.
///
/// Safety: every value goes through the channel's `SafeStimulusOutput` (board limits); route amplitudes and widths
/// are checked against the target's limits at `init`; a pulse never starts before the duty-cycle limit allows
/// after the previous one on that channel (it waits); the run always ends in every channel's safe state.
///
/// Timing follows `ControlLoop`: absolute deadlines on the injected clock, stimulus edges before a sample at the
/// same instant. Unlike `ControlLoop` it is not allocation-free (the trace grows, route queues are arrays):
/// meant for the mock board and for networks at kHz rates, not for the µs-latency single-neuron path.
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
    /// Routed pulses waiting per channel, at most this many.
    public static let queueCapacity = 256

    public init(channels: [NetworkChannel], routes: [Route] = [], configuration: NetworkRunConfiguration,
                clock: any MonotonicClock, stop: StopRequest = StopRequest(), forwarder: SpikeForwarder? = nil,
                inbox: ExternalSpikeInbox? = nil, source: String = "network") throws(NetworkError) {
        let ids = Set(channels.map(\.id))
        guard ids.count == channels.count, !channels.isEmpty else {
            throw NetworkError(source: source, key: "channels", problem: "no channels, or a channel id given twice.", fix: "list each neuron once")
        }
        for (i, r) in routes.enumerated() {
            let key = "routes[\(i)]"
            if case .channel(let s) = r.source, !ids.contains(s) {
                throw NetworkError(source: source, key: key + ".from", problem: "the board has no neuron with id \(s).",
                                   fix: "use one of: \(ids.sorted().map(String.init).joined(separator: ", "))")
            }
            guard let target = channels.first(where: { $0.id == r.target }) else {
                throw NetworkError(source: source, key: key + ".to", problem: "the board has no neuron with id \(r.target).",
                                   fix: "use one of: \(ids.sorted().map(String.init).joined(separator: ", "))")
            }
            let l = target.limits
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
        }
        self.channels = channels
        self.routes = routes
        self.configuration = configuration
        self.clock = clock
        self.stop = stop
        self.forwarder = forwarder
        self.inbox = inbox
    }

    private struct Pending: Comparable {
        var start: Int64
        var amplitude: Voltage
        var width: Int64
        var cause: String
        static func < (a: Pending, b: Pending) -> Bool { a.start < b.start }
    }

    private struct ChannelState {
        var queue: [Pending] = []
        var isOn = false
        var end: Int64 = 0
        var earliest: Int64 = 0
        var pulses = 0
        var stimulus = StimulusState.idle
        var commanded = 0.0
        var detector: SpikeDetector
    }

    /// Runs until `duration` or a stop request; never throws; always tries every channel's safe state.
    public func run() -> NetworkRunResult {
        let cfg = configuration
        let interval = max(1, cfg.sampleRate.period.nanosecondsValue)
        let end = cfg.duration.nanosecondsValue
        var states = channels.map {
            ChannelState(detector: SpikeDetector(configuration: $0.detector, channel: $0.id, sampleInterval: cfg.sampleRate.period))
        }
        let index = Dictionary(uniqueKeysWithValues: channels.enumerated().map { ($1.id, $0) })
        var time: [Int64] = []
        var stim = Array(repeating: [Double](), count: channels.count)
        var memb = Array(repeating: [Double](), count: channels.count)
        var pidx = Array(repeating: [Int32](), count: channels.count)
        if cfg.recordTrace {
            let n = Int(end / interval) + 2
            time.reserveCapacity(n)
            for i in channels.indices { stim[i].reserveCapacity(n); memb[i].reserveCapacity(n); pidx[i].reserveCapacity(n) }
        }
        var pulses: [PulseRecord] = []
        var spikes: [SpikeEvent] = []
        var samples = 0
        var dropped = 0
        var external = 0
        var nextSample: Int64 = 0
        var termination = Termination.completed
        let t0 = clock.now
        var now: Int64 = 0

        func schedule(_ route: Route, at t: Int64, cause: String) {
            guard let c = index[route.target] else { return }
            for k in 0..<route.pulses {
                guard states[c].queue.count < Self.queueCapacity else { dropped += 1; continue }
                let p = Pending(start: t + route.delay.nanosecondsValue + Int64(k) * route.interval.nanosecondsValue,
                                amplitude: route.amplitude, width: route.width.nanosecondsValue, cause: cause)
                let at = states[c].queue.firstIndex { $0.start > p.start } ?? states[c].queue.endIndex
                states[c].queue.insert(p, at: at)
            }
        }

        /// When channel `c` next changes its stimulus (end of its pulse, or the start of the next).
        func nextEdge(_ c: Int) -> Int64 {
            let s = states[c]
            if s.isOn { return s.end }
            let due = min(s.queue.first?.start ?? .max, channels[c].generator?.nextStart ?? .max)
            return due == .max ? .max : max(due, s.earliest)
        }

        do {
            while true {
                if stop.isRequested {
                    termination = .stopped(signal: stop.signal)
                    break
                }
                var edge = Int64.max
                for c in channels.indices { edge = min(edge, nextEdge(c)) }
                if nextSample > end && (edge == .max || edge > end) && !states.contains(where: \.isOn) { break }
                let deadline = min(edge, nextSample)
                clock.sleep(until: MonotonicInstant(nanoseconds: t0.nanoseconds + deadline))
                if edge <= nextSample {
                    for c in channels.indices where nextEdge(c) <= deadline {
                        let ch = channels[c]
                        if states[c].isOn {
                            try ch.stimulus.set(.zero)
                            states[c].isOn = false
                            states[c].commanded = 0
                            states[c].stimulus.isOn = false
                            continue
                        }
                        guard deadline <= end else { continue }
                        var shape: (Voltage, Int64, String)?
                        if let head = states[c].queue.first, head.start <= deadline {
                            states[c].queue.removeFirst()
                            shape = (head.amplitude, head.width, head.cause)
                        } else if let g = ch.generator, g.nextStart <= deadline {
                            if let p = g.fire(at: deadline) { shape = (p.amplitude, p.width.nanosecondsValue, "own") }
                        }
                        guard let (amplitude, width, cause) = shape else { continue }
                        try ch.stimulus.set(amplitude)
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
                        pulses.append(PulseRecord(channel: ch.id, index: k, startNs: deadline, endNs: deadline + width,
                                                  amplitudeVolts: amplitude.volts, cause: cause))
                    }
                    continue
                }
                // A sample of every channel.
                var readings = [Double](repeating: 0, count: channels.count)
                for c in channels.indices { readings[c] = try channels[c].membrane.readVoltage().volts }
                now = clock.now.nanoseconds - t0.nanoseconds
                samples += 1
                if cfg.recordTrace { time.append(now) }
                for c in channels.indices {
                    if cfg.recordTrace {
                        stim[c].append(states[c].commanded)
                        memb[c].append(readings[c])
                        pidx[c].append(Int32(truncatingIfNeeded: states[c].stimulus.pulseIndex))
                    }
                    guard let spike = states[c].detector.process(time: now, membrane: .volts(readings[c]), stimulus: states[c].stimulus)
                    else { continue }
                    forwarder?.publish(spike)
                    if spike.phase == .crossing {
                        for r in routes where r.source == .channel(spike.channel) {
                            schedule(r, at: now, cause: "route \(spike.channel)")
                        }
                    } else {
                        spikes.append(spike)
                    }
                }
                if let inbox {
                    for address in inbox.drain() {
                        external += 1
                        for r in routes where r.source == .external(address) {
                            schedule(r, at: now, cause: "external \(address)")
                        }
                    }
                }
                nextSample += interval
            }
        } catch {
            termination = .failed(error)
        }
        // Spikes still in progress end with the run.
        for c in channels.indices {
            if let s = states[c].detector.finish(at: now) {
                forwarder?.publish(s)
                spikes.append(s)
            }
        }
        var safe = SafeStateOutcome.reached
        for ch in channels {
            do { try ch.stimulus.enterSafeState() } catch { if case .reached = safe { safe = .failed(error) } }
        }
        return NetworkRunResult(
            channelIDs: channels.map(\.id), time: time, stimulus: stim, membrane: memb, pulseIndex: pidx, pulses: pulses,
            spikes: spikes, samples: samples, elapsed: clock.now - t0, termination: termination, safeState: safe,
            droppedPulses: dropped, externalSpikes: external)
    }
}
