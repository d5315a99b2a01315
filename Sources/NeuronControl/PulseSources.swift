public import NeuronHAL

/// One pulse as a source hands it to the engine: its amplitude, its width, and the period until the source's next.
public struct PulseShape: Sendable, Hashable {
    public var amplitude: Voltage
    public var width: Duration
    public var period: Duration
    public init(amplitude: Voltage, width: Duration, period: Duration) {
        self.amplitude = amplitude
        self.width = width
        self.period = period
    }
}

/// Where a channel's own pulses come from (routed pulses come from the engine's routes): asked at `nextStart` for
/// the pulse to apply. A pulse train, an encoder over a value stream (NeuronNetwork's `EncodedPulses`), or several
/// of these at once (`CombinedPulses`). Called on the loop's thread only, and must not allocate or block.
public protocol PulseSource: AnyObject {
    /// When the next pulse should start, ns from the run's start; `Int64.max` when the source has finished.
    var nextStart: Int64 { get }
    /// Called once `nextStart` has come and the channel is free: the pulse to apply now, or nil (nothing now; the
    /// source has moved `nextStart` on).
    func fire(at time: Int64) -> PulseShape?
    /// At most how many pulses it gives in the first `duration` ns of a run, or nil when it cannot say. Sizes the
    /// run's pulse record, allocated before the first tick.
    func maximumPulses(within duration: Int64) -> Int?
}

extension PulseSource {
    public func maximumPulses(within duration: Int64) -> Int? { nil }
}

/// A fixed pulse train (the paper's protocols).
public final class TrainPulses: PulseSource {
    public let train: PulseTrain
    /// Read on every stimulus edge by the loop's thread only: the dynamic exclusivity check is skipped.
    @exclusivity(unchecked) private var k = 0
    public init(_ train: PulseTrain) { self.train = train }
    public var nextStart: Int64 { k < train.count ? train.pulseStart(k) : .max }
    public func fire(at time: Int64) -> PulseShape? {
        k += 1
        return PulseShape(amplitude: train.amplitude, width: train.width, period: train.period)
    }
    public func maximumPulses(within duration: Int64) -> Int? { train.count }
}

/// Several sources on one channel: the earliest due fires first. A pulse that comes due while the channel is busy
/// waits for it (and for the board's duty-cycle limit), as every pulse does.
public final class CombinedPulses: PulseSource {
    public let sources: [any PulseSource]
    public init(_ sources: [any PulseSource]) { self.sources = sources }
    public var nextStart: Int64 {
        var t = Int64.max
        for s in sources { t = min(t, s.nextStart) }
        return t
    }
    public func fire(at time: Int64) -> PulseShape? {
        var first: (any PulseSource)?
        for s in sources where s.nextStart <= time && (first == nil || s.nextStart < first!.nextStart) { first = s }
        return first?.fire(at: time)
    }
    public func maximumPulses(within duration: Int64) -> Int? {
        var n = 0
        for s in sources {
            guard let m = s.maximumPulses(within: duration) else { return nil }
            n += m
        }
        return n
    }
}

/// A route: each spike of a source makes `pulses` pulses of `amplitude` × `width` on channel `target`, the first
/// `delay` after the spike's threshold crossing, then one every `interval`. Weight is the amplitude or the pulse
/// count. Checked against the target's limits when the engine is built (`Engine.init`).
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

/// External spikes (jAER addresses) the loop takes at each sample, without locking or allocating
/// (NeuronNetwork's `ExternalSpikeInbox`, fed by a UDP receiver).
public protocol ExternalSpikeSource: AnyObject {
    /// The next address that has arrived, or nil.
    func next() -> Int32?
}

/// One applied pulse.
public struct PulseRecord: Sendable, Hashable, Codable {
    public var channel: Int
    public var index: Int
    public var startNs: Int64
    public var endNs: Int64
    public var amplitudeVolts: Double
    /// What made it: "own" (the channel's source), "route <source>" or "external <address>".
    public var cause: String
    public init(channel: Int, index: Int, startNs: Int64, endNs: Int64, amplitudeVolts: Double, cause: String) {
        self.channel = channel
        self.index = index
        self.startNs = startNs
        self.endNs = endNs
        self.amplitudeVolts = amplitudeVolts
        self.cause = cause
    }
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
/// is full; the engine counts it. At most `capacity` entries move on an insert or a removal.
final class PendingPulseQueues {
    let capacity: Int
    private let channels: Int
    private let slots: UnsafeMutablePointer<PendingPulse>
    private let counts: UnsafeMutablePointer<Int>

    init(channels: Int, capacity: Int) {
        self.channels = channels
        self.capacity = capacity
        slots = .allocate(capacity: max(1, channels * capacity))
        counts = .allocate(capacity: max(1, channels))
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

/// A network or engine set-up refused before anything touched a DAC.
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
