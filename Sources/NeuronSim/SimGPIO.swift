public import NeuronHAL

/// A simulated GPIO chip (Linux `gpio-sim`): lines requested by name, each either an output the software drives
/// and the simulation observes, or an input the simulation drives and the software observes.
///
/// Active-low is applied here, in the backend, as libgpiod applies its `active_low` line setting: drivers and the
/// loop see logical `LineValue`s, the simulated wiring sees electrical levels (`true` = high).
///
/// Not thread-safe and not `Sendable`: one thread owns a simulated board.
public final class SimGPIOChip {
    /// The chip's name, e.g. `"sim:gpiochip0"`; appears in every error.
    public let name: String
    /// The clock that timestamps output changes and input edges (and that `waitEdge` advances).
    public let clock: ManualClock
    private var outputs: [String: SimOutputLine] = [:]
    private var inputs: [String: SimInputLine] = [:]

    public init(name: String, clock: ManualClock) {
        self.name = name
        self.clock = clock
    }

    /// Requests `line` as an output set to `initial` (logical). Traps if the name is already requested (a board
    /// file error, as EBUSY from the kernel would be).
    public func output(_ line: String, activeLow: Bool = false, initial: LineValue = .inactive) -> SimOutputLine {
        precondition(outputs[line] == nil && inputs[line] == nil, "\(name): line \(line) already requested")
        let l = SimOutputLine(chip: name, name: line, activeLow: activeLow, initial: initial, clock: clock)
        outputs[line] = l
        return l
    }

    /// Requests `line` as an input whose electrical level starts at `initialLevel` (`true` = high). Traps if the
    /// name is already requested.
    public func input(_ line: String, activeLow: Bool = false, initialLevel: Bool = false) -> SimInputLine {
        precondition(outputs[line] == nil && inputs[line] == nil, "\(name): line \(line) already requested")
        let l = SimInputLine(chip: name, name: line, activeLow: activeLow, initialLevel: initialLevel, clock: clock)
        inputs[line] = l
        return l
    }

    /// The output line requested as `line`, if any.
    public func outputLine(named line: String) -> SimOutputLine? { outputs[line] }
    /// Every output line requested, by name.
    public var outputLines: [String: SimOutputLine] { outputs }
    /// The input line requested as `line`, if any.
    public func inputLine(named line: String) -> SimInputLine? { inputs[line] }
}

/// A simulated output line: records what the software drove, in logical and electrical terms, with timestamps.
///
/// Not thread-safe and not `Sendable`.
public final class SimOutputLine: DigitalOutput {
    /// One change of the line, at the simulated instant `set` was called.
    public struct Change: Sendable, Hashable {
        public var instant: MonotonicInstant
        public var value: LineValue
        /// Electrical level after the change (`true` = high), active-low applied.
        public var level: Bool
    }

    public let name: String
    public let activeLow: Bool
    /// Faults injected on `set` (e.g. the GPIO chip vanished: `.notFound`).
    public let faults = SimFaults()
    // Touched on every set (a stimulus gate or spike-out edge); one thread owns a sim board, so the dynamic
    // exclusivity checks are skipped.
    /// The logical value last set.
    @exclusivity(unchecked) public private(set) var value: LineValue
    /// Every change of value (calls that set the same value are not changes), oldest first. Grows only on a change;
    /// set `recordsHistory` to false for long runs with a fast-toggling line.
    @exclusivity(unchecked) public private(set) var history: [Change] = []
    @exclusivity(unchecked) public var recordsHistory = true
    /// Calls to `set`, successful ones, including those that did not change the value.
    @exclusivity(unchecked) public private(set) var setCount = 0
    /// Called on every change with the instant and the new logical value (how the physics sees e.g. a reset switch).
    @exclusivity(unchecked) public var onChange: ((MonotonicInstant, LineValue) -> Void)?

    private let chip: String
    private let clock: ManualClock

    init(chip: String, name: String, activeLow: Bool, initial: LineValue, clock: ManualClock) {
        self.chip = chip
        self.name = name
        self.activeLow = activeLow
        self.value = initial
        self.clock = clock
    }

    /// Puts the line back to a value it held before this model existed: the GPIO kept driving it while the
    /// controller process was replaced (see `SimStateFile`). Not a change: no history entry, no callback.
    public func restore(_ value: LineValue) {
        self.value = value
    }

    /// The electrical level (`true` = high): the logical value with active-low applied.
    public var level: Bool { value.isActive != activeLow }

    public func set(_ value: LineValue) throws(HardwareError) {
        if let kind = faults.nextFailure() {
            throw HardwareError(kind, "injected fault", device: "\(chip)/\(name)", operation: "set(\(value))")
        }
        setCount &+= 1
        guard value != self.value else { return }
        self.value = value
        let now = clock.now
        if recordsHistory { history.append(Change(instant: now, value: value, level: level)) }
        onChange?(now, value)
    }
}

/// A simulated input line whose electrical level the simulation drives, with kernel-like edge events.
///
/// Three ways to drive it, which may be combined in time order:
/// - `drive(level:at:)` schedules a level change at an instant (now or later, never before an earlier one);
/// - `setSource(_:resolution:)` gives a level function that is sampled lazily every `resolution` (a comparator on
///   the simulated capacitor node); an edge is timestamped at the first sample that shows the new level, so its
///   timing error is below one `resolution`;
/// - `setSource(level:nextChange:)` gives a level function and, for exact timing, where it can next change (a chip
///   model's ALERT pin).
///
/// Edges are reported in logical terms (with active-low, a falling electrical edge is `.rising`), timestamped at the
/// simulated instant of the change, with per-line sequence numbers starting at 1 as the kernel's `line_seqno`.
/// Edges wait in the queue until read, like the kernel's event buffer (which this does not bound).
///
/// Not thread-safe and not `Sendable`.
public final class SimInputLine: DigitalInput {
    public let name: String
    public let activeLow: Bool
    /// Faults injected on `get` and `waitEdge`.
    public let faults = SimFaults()
    /// Sequence number of the last edge generated (0 before the first).
    public private(set) var lastSequence: UInt64 = 0

    private let chip: String
    private let clock: ManualClock
    /// Scheduled level changes not yet returned by `waitEdge`, in time order, from `head`.
    private var pending: [EdgeEvent] = []
    private var head = 0
    /// Level after every change generated so far (the last entry of `pending`, or earlier).
    private var generatedLevel: Bool
    /// The lazy level source and where it may next change (nil when the line is driven by `drive`).
    private var lazyLevel: ((MonotonicInstant) -> Bool)?
    private var lazyNext: ((MonotonicInstant) -> MonotonicInstant?)?
    /// Changes of the lazy source are generated up to and including this instant.
    private var scannedThrough: MonotonicInstant
    /// Time of the latest generated change (drives must not go before it).
    private var lastChangeInstant: MonotonicInstant
    /// Electrical level after the last edge returned by `waitEdge` (the level before `pending[head]`).
    private var levelBeforeHead: Bool

    init(chip: String, name: String, activeLow: Bool, initialLevel: Bool, clock: ManualClock) {
        self.chip = chip
        self.name = name
        self.activeLow = activeLow
        self.clock = clock
        self.generatedLevel = initialLevel
        self.levelBeforeHead = initialLevel
        self.scannedThrough = clock.now
        self.lastChangeInstant = clock.now
    }

    // MARK: Simulation side

    /// Schedules the electrical level `level` (`true` = high) from `instant` on. Traps if `instant` is before a
    /// change already scheduled or generated (time order is the caller's job). Same level as before: no edge.
    public func drive(level: Bool, at instant: MonotonicInstant) {
        precondition(lazyLevel == nil, "\(name): drive(level:at:) while a level source is set; clearSource() first")
        precondition(instant >= lastChangeInstant, "\(name): drive(level:at:) out of time order")
        append(level: level, at: instant)
        scannedThrough = max(scannedThrough, instant)
    }

    /// Schedules `level` at the clock's current instant.
    public func drive(level: Bool) {
        drive(level: level, at: clock.now)
    }

    /// Makes the line follow `level(t)`, sampled every `resolution` from the last instant already examined up to
    /// the deadline of each `waitEdge` (and up to `now` on `get`). Cost is one call per `resolution` of simulated
    /// time that someone looks at; pick the coarsest resolution the experiment's timing tolerance allows.
    public func setSource(_ level: @escaping (MonotonicInstant) -> Bool, resolution: Duration) {
        precondition(resolution > .zero)
        let step = resolution.nanosecondsValue
        setSource(level: level, nextChange: { t in MonotonicInstant(nanoseconds: t.nanoseconds + step) })
    }

    /// Makes the line follow `level(t)`, evaluated only at the instants `nextChange` names: `nextChange(t)` is the
    /// earliest instant after `t` at which the level may differ (or nil if it stays as at `t` for ever). Exact and
    /// cheap for sources that know their schedule (a chip's ALERT/RDY pin).
    public func setSource(
        level: @escaping (MonotonicInstant) -> Bool, nextChange: @escaping (MonotonicInstant) -> MonotonicInstant?
    ) {
        lazyLevel = level
        lazyNext = nextChange
        // The source takes over after any change already scheduled with `drive`, keeping edges in time order.
        scannedThrough = max(scannedThrough, clock.now, lastChangeInstant)
        // A source that starts at a different level than the line had makes an edge now.
        let l0 = level(scannedThrough)
        if l0 != generatedLevel { append(level: l0, at: scannedThrough) }
    }

    /// Stops following the level source; the line keeps its last level.
    public func clearSource() {
        generate(through: clock.now, stopAtFirstEdge: false)
        lazyLevel = nil
        lazyNext = nil
    }

    /// Generates the source's changes up to `instant` now, from the source's current state. A chip model calls this
    /// before its state changes so the edges before the change follow the old state.
    public func catchUp(through instant: MonotonicInstant) {
        generate(through: instant, stopAtFirstEdge: false)
    }

    /// Re-evaluates the source at the last examined instant after the source's state changed there (a chip model
    /// calls this after a register write that may move its pin), so a change at that very instant makes an edge.
    public func sourceDidChange() {
        generate(through: clock.now, stopAtFirstEdge: false)
        guard let lazyLevel else { return }
        let l = lazyLevel(scannedThrough)
        if l != generatedLevel { append(level: l, at: scannedThrough) }
    }

    /// The electrical level at the clock's current instant (`true` = high).
    public var level: Bool {
        generate(through: clock.now, stopAtFirstEdge: false)
        return level(at: clock.now)
    }

    // MARK: Software side (DigitalInput)

    public func get() throws(HardwareError) -> LineValue {
        if let kind = faults.nextFailure() {
            throw HardwareError(kind, "injected fault", device: "\(chip)/\(name)", operation: "get()")
        }
        return LineValue(level != activeLow)
    }

    /// The next edge with timestamp ≤ `deadline`, advancing the clock to its timestamp if that is later than now;
    /// or nil, with the clock advanced to `deadline` (never backwards).
    public func waitEdge(until deadline: MonotonicInstant) throws(HardwareError) -> EdgeEvent? {
        if let kind = faults.nextFailure() {
            throw HardwareError(kind, "injected fault", device: "\(chip)/\(name)", operation: "waitEdge(until:)")
        }
        if head == pending.count { generate(through: deadline, stopAtFirstEdge: true) }
        guard head < pending.count, pending[head].timestamp <= deadline else {
            clock.advance(to: deadline)
            return nil
        }
        let event = pending[head]
        levelBeforeHead = event.kind == .rising ? !activeLow : activeLow
        head += 1
        if head == pending.count {
            pending.removeAll(keepingCapacity: true)
            head = 0
        }
        clock.advance(to: event.timestamp)
        return event
    }

    // MARK: Internals

    private func append(level: Bool, at instant: MonotonicInstant) {
        guard level != generatedLevel else { return }
        generatedLevel = level
        lastChangeInstant = instant
        lastSequence += 1
        let logicalActive = level != activeLow
        pending.append(EdgeEvent(kind: logicalActive ? .rising : .falling, timestamp: instant, sequence: lastSequence))
    }

    /// Electrical level at `t` from the queue (t must be ≥ the last delivered edge).
    private func level(at t: MonotonicInstant) -> Bool {
        var l = levelBeforeHead
        var i = head
        while i < pending.count, pending[i].timestamp <= t {
            l = (pending[i].kind == .rising) != activeLow
            i += 1
        }
        return l
    }

    private func generate(through limit: MonotonicInstant, stopAtFirstEdge: Bool) {
        guard let lazyLevel, let lazyNext else { return }
        var t = scannedThrough
        while t < limit {
            guard let n = lazyNext(t), n > t else { t = limit; break }
            if n > limit { t = limit; break }
            t = n
            let l = lazyLevel(n)
            if l != generatedLevel {
                append(level: l, at: n)
                if stopAtFirstEdge { break }
            }
        }
        scannedThrough = max(scannedThrough, t)
    }
}
