import Synchronization

/// A bounded single-producer/single-consumer ring of plain values, preallocated: `push` and `pop` never allocate,
/// lock or block, so the real-time thread can hand events to a non-real-time one. When full, `push` refuses the
/// value and counts it as dropped: the producer is never slowed by a slow consumer.
///
/// Exactly one thread may push and exactly one (other) thread may pop. The indices are free-running; a slot is
/// published by a release store of `head` and freed by a release store of `tail`.
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    public let capacity: Int
    private let mask: Int
    private let slots: UnsafeMutablePointer<Element>
    private let head = Atomic<Int>(0)  // next slot to write (producer)
    private let tail = Atomic<Int>(0)  // next slot to read (consumer)
    private let droppedCount = Atomic<Int>(0)

    /// `capacity` is rounded up to a power of two.
    public init(capacity: Int) {
        precondition(capacity > 0, "ring capacity must be positive")
        var c = 1
        while c < capacity { c <<= 1 }
        self.capacity = c
        mask = c - 1
        slots = .allocate(capacity: c)
    }

    deinit { slots.deallocate() }

    /// Producer side. Returns false (and counts a drop) when the ring is full.
    @inline(__always)
    public func push(_ value: Element) -> Bool {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        guard h &- t < capacity else {
            droppedCount.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        (slots + (h & mask)).initialize(to: value)
        head.store(h &+ 1, ordering: .releasing)
        return true
    }

    /// Consumer side. Returns nil when the ring is empty.
    @inline(__always)
    public func pop() -> Element? {
        let t = tail.load(ordering: .relaxed)
        let h = head.load(ordering: .acquiring)
        guard t != h else { return nil }
        let value = slots[t & mask]
        tail.store(t &+ 1, ordering: .releasing)
        return value
    }

    /// Values refused because the ring was full.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }
    /// Values waiting (approximate while both sides run).
    public var count: Int { head.load(ordering: .acquiring) &- tail.load(ordering: .acquiring) }
}
