import Foundation  // Date: the wall clock at time 0, taken once before the first tick
import NeuronHAL

/// One channel's state during a run: its handles and everything its ticks change. Kept in one preallocated array.
struct ChannelState {
    let id: Int
    let stimulus: SafeStimulusOutput
    let source: (any PulseSource)?
    let spikeOut: (any DigitalOutput)?
    let traceStream: TraceStream?
    let viewStream: TraceStream?
    let maxDutyCycle: Double
    let switchingThreshold: Voltage
    var detector: SpikeDetector
    var isOn = false
    /// The current pulse's end (while `isOn`); the earliest the next pulse may start (the duty-cycle limit).
    var end: Int64 = 0
    var earliest: Int64 = 0
    /// The next stimulus edge (`Int64.max`: none), recomputed whenever the channel's pulses change.
    var edge = Int64.max
    var pulses = 0
    var stimulusState = StimulusState.idle
    var commanded = 0.0
    /// This tick's membrane reading, volts (NaN: skipped).
    var reading = 0.0
    var spikeOutRelease = Int64.max
    var skips = BusFaultHandler.Skips()
    var statistics = SpikeStatistics()

    init(_ ch: EngineChannel, sampleInterval: Duration) {
        id = ch.id
        stimulus = ch.stimulus
        source = ch.source
        spikeOut = ch.spikeOut
        traceStream = ch.traceStream
        viewStream = ch.viewStream
        maxDutyCycle = ch.limits.maxDutyCycle
        switchingThreshold = ch.detector.switchingThreshold
        detector = SpikeDetector(configuration: ch.detector, channel: ch.id, sampleInterval: sampleInterval)
    }
}

/// One applied pulse as the loop keeps it (`PulseRecord` once the run is over).
struct AppliedPulse {
    var channel: Int
    var index: Int
    var start: Int64
    var end: Int64
    var amplitude: Double
    var cause: PulseCause
}

/// The state of one `Engine.run()`: everything its ticks touch, allocated in `init`, before the first tick. The
/// tick is split by step (spike-out release, stimulus edges, sample, detection, routing), each a small function
/// inlined into `loop()`.
///
/// Generic over the clock, opened once before the run; the membrane inputs are reached through `AnalogInputBox`es.
struct EngineRun<Clock: MonotonicClock> {
    let engine: Engine
    let n: Int
    let state: UnsafeMutablePointer<ChannelState>
    let membranes: UnsafeMutablePointer<Unmanaged<AnalogInputBox>>
    /// The strong references behind `membranes`.
    let readers: [AnalogInputBox]
    let stop: StopRequest
    let inbox: (any ExternalSpikeSource)?
    let routes: RouteTable
    let queues: PendingPulseQueues
    let pulses: FixedRecord<AppliedPulse>
    let spikes: FixedRecord<SpikeEvent>
    let trace: TraceBuffer?
    let interval: Int64
    let end: Int64
    let spikeOutWidth: Int64
    let forwarder: SpikeForwarder?
    var faults: BusFaultHandler
    var timing: LoopTimer
    var termination = Termination.completed
    var samples = 0
    var recorded = 0
    var dropped = 0
    var external = 0
    var nextSample: Int64 = 0
    /// The earliest stimulus edge and spike-out release of any channel, kept as the channels' change (rarely), so a
    /// tick reads two numbers instead of scanning every channel.
    var nextEdge = Int64.max
    var nextRelease = Int64.max
    /// The latest sample's time, ns from the start.
    var now: Int64 = 0
    let t0: MonotonicInstant
    /// The wall clock (CLOCK_REALTIME, seconds since 1970) read next to `t0`.
    let startedUnixSeconds: Double
    /// Last: a field of generic size moves every field after it to an offset known only at run time, which each
    /// access in the unspecialised tick would have to look up.
    let clock: Clock

    init(engine: Engine, clock: Clock) {
        self.engine = engine
        self.clock = clock
        stop = engine.stop
        inbox = engine.inbox
        routes = engine.routes
        readers = engine.channels.map { AnalogInputBox.wrapping($0.membrane) }
        membranes = .allocate(capacity: readers.count)
        membranes.initialize(from: readers.map { Unmanaged.passUnretained($0) }, count: readers.count)
        let cfg = engine.configuration
        n = engine.channels.count
        interval = max(1, cfg.sampleRate.period.nanosecondsValue)
        end = cfg.duration.nanosecondsValue
        spikeOutWidth = cfg.spikeOutWidth.nanosecondsValue
        forwarder = engine.forwarder
        state = .allocate(capacity: n)
        for (c, ch) in engine.channels.enumerated() {
            (state + c).initialize(to: ChannelState(ch, sampleInterval: cfg.sampleRate.period))
        }
        queues = PendingPulseQueues(channels: n, capacity: cfg.routedPulseCapacity)
        var bound = 0
        for c in 0..<n { bound += engine.pulseBound(c, end: end) }
        pulses = FixedRecord(capacity: min(bound, cfg.recordLimit))
        // The physics fires at most once per pulse; the slack covers a noisy trace on hardware.
        spikes = FixedRecord(capacity: min(bound + 64 * n, cfg.recordLimit))
        trace = cfg.keepTrace ? TraceBuffer(capacity: Int(end / interval) + 2, channels: n, allocator: engine.buffers) : nil
        faults = BusFaultHandler(policy: engine.faultPolicy)
        timing = LoopTimer(clock: engine.realtime.timingClock, policy: engine.realtime.overrunPolicy)
        startedUnixSeconds = Date().timeIntervalSince1970
        t0 = clock.now
        for c in 0..<n { state[c].edge = edge(of: c) }
        nextEdge = earliestEdge()
        timing.start()
    }

    /// The ticks, until the run is over or something ends it.
    mutating func loop() {
        let timed = timing.timed
        do throws(HardwareError) {
            while true {
                if stop.isRequested {
                    termination = .stopped(signal: stop.signal)
                    return
                }
                let edge = nextEdge, release = nextRelease
                // `nextSample` is `Int64.max` once past the end: nothing left to do means the run is over.
                let deadline = min(edge, nextSample, release)
                if deadline == .max { return }
                clock.sleep(until: MonotonicInstant(nanoseconds: t0.nanoseconds &+ deadline))
                timing.woke(deadline: deadline)
                if release <= deadline { try releaseSpikeOuts(at: deadline) }
                // Stimulus edges before the sample, so a sample at the same instant sees the new levels.
                if edge <= deadline { try applyEdges(at: deadline) }
                if nextSample <= deadline { try sample() }
                if timed, timing.finishTick(nextDeadline: nextDeadline()) {
                    termination = .overrunStorm(consecutive: timing.consecutiveOverruns)
                    return
                }
            }
        } catch {
            termination = .failed(error)
        }
    }

    @inline(__always)
    func nextDeadline() -> Int64 { min(nextEdge, nextSample, nextRelease) }

    func earliestEdge() -> Int64 {
        var t = Int64.max
        for c in 0..<n { t = min(t, state[c].edge) }
        return t
    }

    /// When channel `c` next changes its stimulus: the end of its pulse, or the start of the next (a routed one or
    /// its source's, not before the duty-cycle limit allows), or `Int64.max` when no pulse starts before the end.
    func edge(of c: Int) -> Int64 {
        if state[c].isOn { return state[c].end }
        let due = max(min(queues.firstStart(c), state[c].source?.nextStart ?? .max), state[c].earliest)
        return due <= end ? due : .max
    }

    mutating func releaseSpikeOuts(at deadline: Int64) throws(HardwareError) {
        nextRelease = .max
        for c in 0..<n {
            if state[c].spikeOutRelease <= deadline {
                state[c].spikeOutRelease = .max
                try state[c].spikeOut?.set(.inactive)
            }
            nextRelease = min(nextRelease, state[c].spikeOutRelease)
        }
    }

    mutating func applyEdges(at deadline: Int64) throws(HardwareError) {
        for c in 0..<n where state[c].edge <= deadline {
            if state[c].isOn {
                try faults.write(.zero, to: state[c].stimulus)
                state[c].isOn = false
                state[c].commanded = 0
                state[c].stimulusState.isOn = false
            } else {
                try startPulse(c, at: deadline)
            }
            state[c].edge = edge(of: c)
        }
        nextEdge = earliestEdge()
    }

    /// Starts channel `c`'s next pulse: a routed one that is due first, else its source's.
    mutating func startPulse(_ c: Int, at t: Int64) throws(HardwareError) {
        let amplitude: Voltage, width: Int64, cause: PulseCause
        if queues.firstStart(c) <= t {
            let head = queues.removeFirst(c)
            (amplitude, width, cause) = (head.amplitude, head.width, head.cause)
        } else if let s = state[c].source, s.nextStart <= t, let p = s.fire(at: t) {
            (amplitude, width, cause) = (p.amplitude, p.width.nanosecondsValue, .own)
        } else {
            return
        }
        try faults.write(amplitude, to: state[c].stimulus)
        let k = state[c].pulses
        state[c].pulses += 1
        state[c].isOn = true
        state[c].end = t + width
        state[c].commanded = amplitude.volts
        // The duty-cycle limit: the next pulse may start once width / maxDutyCycle has passed.
        state[c].earliest = t + Int64((Double(width) / state[c].maxDutyCycle).rounded(.up))
        state[c].stimulusState = StimulusState(pulseIndex: k, pulseStart: t, pulseEnd: t + width, isOn: true,
                                               isSupraThreshold: amplitude > state[c].switchingThreshold)
        pulses.append(AppliedPulse(channel: state[c].id, index: k, start: t, end: t + width, amplitude: amplitude.volts, cause: cause))
    }

    /// Reads every membrane (NaN: every read of it failed and its sample is skipped; throws once too many in a
    /// row are lost), then records and detects on each, and takes the external spikes that arrived. Inlined: it runs
    /// on nearly every tick, and a call would spill and reload the run's state around it.
    @_transparent
    mutating func sample() throws(HardwareError) {
        var anyRead = false
        for c in 0..<n {
            if let v = try read(c) {
                state[c].reading = v.volts
                anyRead = true
            } else {
                state[c].reading = .nan
            }
        }
        let t = clock.now.nanoseconds &- t0.nanoseconds
        // No row when no channel could be read.
        if anyRead {
            now = t
            samples &+= 1
            for c in 0..<n {
                record(c)
                try detect(c)
            }
            // The tick's crossings leave together, in one datagram, before anything else waits on the tick.
            forwarder?.endTick()
            if let trace, recorded < trace.capacity { recorded &+= 1 }
        }
        if let inbox { takeExternal(inbox, at: t) }
        nextSample = nextSample &+ interval > end ? .max : nextSample &+ interval
    }

    /// Reads channel `c`'s membrane; a failed read is retried per the bus-fault policy (nil: the sample is skipped;
    /// throws when the policy stops the run).
    @_transparent
    mutating func read(_ c: Int) throws(HardwareError) -> Voltage? {
        switch membranes[c]._withUnsafeGuaranteedRef({ $0.attempt() }) {
        case .read(let v):
            state[c].skips.consecutive = 0
            return v
        case .failed(let error):
            return try faults.retry(membranes[c].takeUnretainedValue(), after: error, skips: &state[c].skips)
        }
    }

    @_transparent
    mutating func record(_ c: Int) {
        let reading = state[c].reading, commanded = state[c].commanded
        let pulse = Int32(truncatingIfNeeded: state[c].stimulusState.pulseIndex)
        let sample = TraceSample(time: now, stimulus: Float(commanded), membrane: Float(reading), pulse: pulse)
        state[c].traceStream?.push(sample)
        state[c].viewStream?.push(sample)
        if let trace, recorded < trace.capacity {
            if c == 0 { trace.time[recorded] = now }
            trace.store(row: recorded, channel: c, membrane: reading, stimulus: commanded, pulse: pulse)
        }
    }

    /// Runs channel `c`'s detector on its reading (a skipped sample is not seen) and hands on what it finds.
    @_transparent
    mutating func detect(_ c: Int) throws(HardwareError) {
        guard var spike = Self.observe(&state[c], at: now) else { return }
        spike.detectedAt = timing.stamp()
        if spike.phase == .crossing {
            if let line = state[c].spikeOut {
                try line.set(.active)
                state[c].spikeOutRelease = now + spikeOutWidth
                nextRelease = min(nextRelease, now + spikeOutWidth)
            }
            forwarder?.publish(spike)
            for r in routes.from[c] { schedule(r, at: now, cause: .route(spike.channel)) }
        } else {
            complete(spike, channel: c)
        }
    }

    /// The detector's step on one channel. The channel comes `inout` (by address, exclusively): the optimiser may
    /// then keep the detector's state in registers for the step instead of reloading it through the state buffer.
    @_transparent
    static func observe(_ ch: inout ChannelState, at time: Int64) -> SpikeEvent? {
        let v = ch.reading
        guard !v.isNaN else { return nil }
        return ch.detector.process(time: time, membrane: .volts(v), stimulus: ch.stimulusState)
    }

    @inline(__always)
    mutating func complete(_ spike: SpikeEvent, channel c: Int) {
        forwarder?.publish(spike)
        state[c].statistics.add(spike)
        spikes.append(spike)
    }

    mutating func takeExternal(_ inbox: any ExternalSpikeSource, at t: Int64) {
        while let address = inbox.next() {
            external += 1
            for r in routes.external where routes.routes[r].source == .external(address) {
                schedule(r, at: t, cause: .external(address))
            }
        }
    }

    /// Queues the pulses route `r` makes for an event at `t`.
    mutating func schedule(_ r: Int, at t: Int64, cause: PulseCause) {
        let route = routes.routes[r]
        let target = routes.target[r]
        let delay = route.delay.nanosecondsValue, spacing = route.interval.nanosecondsValue
        for k in 0..<route.pulses {
            let p = PendingPulse(start: t + delay + Int64(k) * spacing, amplitude: route.amplitude,
                                 width: route.width.nanosecondsValue, cause: cause)
            if !queues.insert(p, channel: target) { dropped += 1 }
        }
        state[target].edge = edge(of: target)
        nextEdge = min(nextEdge, state[target].edge)
    }

    /// Ends spikes in progress, releases the spike-out lines, puts every channel in its safe state, and builds the
    /// result (after the last tick: this allocates).
    mutating func finish() -> EngineResult {
        for c in 0..<n {
            if var s = state[c].detector.finish(at: now) {
                s.detectedAt = timing.stamp()
                complete(s, channel: c)
            }
            if state[c].spikeOutRelease != .max { try? state[c].spikeOut?.set(.inactive) }
        }
        var safe = SafeStateOutcome.reached
        for c in 0..<n {
            do { try state[c].stimulus.enterSafeState() } catch { if case .reached = safe { safe = .failed(error) } }
        }
        defer {
            state.deinitialize(count: n)
            state.deallocate()
            membranes.deinitialize(count: n)
            membranes.deallocate()
        }
        return result(safeState: safe)
    }

    func result(safeState: SafeStateOutcome) -> EngineResult {
        let outcomes = (0..<n).map { c in
            ChannelOutcome(id: state[c].id, pulsesApplied: state[c].pulses, skippedSamples: state[c].skips.total,
                           statistics: state[c].statistics, traceSamplesDropped: state[c].traceStream?.dropped ?? 0)
        }
        let traces = trace.map { t in (0..<n).map { t.channelTrace($0, id: state[$0].id, count: recorded) } } ?? []
        return EngineResult(
            channels: outcomes, spikes: spikes.map { $0 },
            pulses: pulses.map {
                PulseRecord(channel: $0.channel, index: $0.index, startNs: $0.start, endNs: $0.end, amplitudeVolts: $0.amplitude,
                            cause: $0.cause.text)
            },
            traces: traces, samples: samples, elapsed: clock.now - t0, termination: termination, safeState: safeState,
            timing: timing.report(), busFaults: faults.report(), droppedPulses: dropped, externalSpikes: external,
            pulsesNotRecorded: pulses.lost, spikesNotRecorded: spikes.lost, startedUnixSeconds: startedUnixSeconds)
    }
}
