import NeuronHAL

/// A run's samples kept in memory (`EngineConfiguration.keepTrace`): one buffer taken before the run from the
/// run's `RunBufferAllocator` (so no tick takes a page fault on it when the allocator prefaults), written in place
/// by the loop, then shared read-only by the result. Columns: the sample times, then per channel the membrane
/// and the stimulus commanded (the exact doubles: a recording replays bit for bit) and the pulse index.
final class TraceBuffer: @unchecked Sendable {  // written by one thread before it is shared, immutable afterwards
    static func bytesPerSample(channels: Int) -> Int { 8 + channels * 20 }
    let capacity: Int
    let channels: Int
    let time: UnsafeMutablePointer<Int64>
    private let membrane: UnsafeMutablePointer<Double>
    private let stimulus: UnsafeMutablePointer<Double>
    private let pulse: UnsafeMutablePointer<Int32>
    private let buffer: UnsafeMutableRawPointer
    private let bytes: Int
    private let allocator: any RunBufferAllocator

    init(capacity: Int, channels: Int, allocator: any RunBufferAllocator) {
        self.capacity = capacity
        self.channels = channels
        self.allocator = allocator
        bytes = max(1, capacity * Self.bytesPerSample(channels: channels))
        buffer = allocator.allocate(bytes: bytes)
        // The 8-byte columns first, so every column stays aligned.
        time = buffer.bindMemory(to: Int64.self, capacity: capacity)
        membrane = (buffer + capacity * 8).bindMemory(to: Double.self, capacity: capacity * channels)
        stimulus = (buffer + capacity * (8 + 8 * channels)).bindMemory(to: Double.self, capacity: capacity * channels)
        pulse = (buffer + capacity * (8 + 16 * channels)).bindMemory(to: Int32.self, capacity: capacity * channels)
    }

    deinit { allocator.deallocate(buffer, bytes: bytes) }

    @inline(__always)
    func store(row: Int, channel c: Int, membrane v: Double, stimulus s: Double, pulse p: Int32) {
        let i = c * capacity + row
        membrane[i] = v
        stimulus[i] = s
        pulse[i] = p
    }

    func column<T>(_ base: UnsafeMutablePointer<T>, channel c: Int, count: Int) -> TraceColumn<T> {
        TraceColumn(owner: self, base: UnsafePointer(base + c * capacity), count: count)
    }

    func channelTrace(_ c: Int, id: Int, count: Int) -> ChannelTrace {
        ChannelTrace(id: id, time: TraceColumn(owner: self, base: UnsafePointer(time), count: count),
                     stimulus: column(stimulus, channel: c, count: count), membrane: column(membrane, channel: c, count: count),
                     pulse: column(pulse, channel: c, count: count))
    }
}

/// One column of a trace: a read-only random-access collection that keeps its storage alive. Sendable because
/// nothing writes the storage once a run has returned it.
public struct TraceColumn<Element: BitwiseCopyable>: RandomAccessCollection, @unchecked Sendable {
    let owner: AnyObject
    let base: UnsafePointer<Element>
    public let count: Int
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(i: Int) -> Element {
        precondition(i >= 0 && i < count, "trace index out of range")
        return base[i]
    }
}

/// One channel's kept samples: parallel columns, one entry per sample instant at which any channel was read.
public struct ChannelTrace: Sendable {
    public let id: Int
    /// Sample times, nanoseconds from the run's start (shared by every channel).
    public let time: TraceColumn<Int64>
    /// The stimulus commanded at that time, volts.
    public let stimulus: TraceColumn<Double>
    /// The membrane (capacitor) voltage read, volts; NaN where this channel's read failed and the sample was
    /// skipped while another channel's was read (see `BusFaultPolicy`).
    public let membrane: TraceColumn<Double>
    /// The index of the most recent pulse (-1 before the first).
    public let pulse: TraceColumn<Int32>
    public var count: Int { time.count }
}
