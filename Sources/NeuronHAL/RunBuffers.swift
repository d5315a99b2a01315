/// Memory for a run's large buffers (the in-memory trace: 20 bytes a sample, 2 MB for 10 s at 10 kS/s), taken
/// before the first tick and given back when the last reference to the run's result goes away.
///
/// Why a seam: taken from the heap, such a buffer's pages fault in one by one as the loop first writes them, inside
/// ticks, which a real-time loop must not allow; and on a simulated board those ~500 traps per run cost as much as
/// the loop's own work. The Linux backend maps the buffer on huge pages and touches every page before returning it
/// (`PrefaultedRunBuffers` in NeuronLinux); the heap is the portable default.
public protocol RunBufferAllocator: Sendable {
    /// At least `bytes` (≥ 1) of writable memory aligned to 16 bytes, valid until `deallocate(_:bytes:)`.
    func allocate(bytes: Int) -> UnsafeMutableRawPointer
    /// Gives back memory from `allocate(bytes:)` with the same `bytes`.
    func deallocate(_ buffer: UnsafeMutableRawPointer, bytes: Int)
}

/// The portable default: the Swift heap. Pages fault in as they are first written.
public struct HeapRunBuffers: RunBufferAllocator {
    public init() {}
    public func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        .allocate(byteCount: max(bytes, 1), alignment: 16)
    }
    public func deallocate(_ buffer: UnsafeMutableRawPointer, bytes: Int) {
        buffer.deallocate()
    }
}
