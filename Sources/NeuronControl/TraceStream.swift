public import Dispatch
import Foundation
import Synchronization

/// One trace row as the loop produced it: plain values, so it crosses threads through a ring without allocation.
public struct TraceSample: BitwiseCopyable, Sendable, Hashable {
    /// Nanoseconds from the run's start.
    public var time: Int64
    /// The stimulus commanded, volts.
    public var stimulus: Float
    /// The membrane voltage read, volts.
    public var membrane: Float
    /// The pulse index (-1 before the first).
    public var pulse: Int32
    public init(time: Int64, stimulus: Float, membrane: Float, pulse: Int32) {
        self.time = time
        self.stimulus = stimulus
        self.membrane = membrane
        self.pulse = pulse
    }
}

/// Hands every trace sample from the loop to a writer thread (see `NeuronSinks.TraceFileWriter`) through a
/// preallocated SPSC ring, so the trace reaches disk during the run instead of at its end.
///
/// When the ring is full: a real-time run (`waitsWhenFull` false) counts the sample as dropped and goes on, as the
/// spike ring does (the writer is far faster than any sample rate the ADCs allow, so this means the disk stalled
/// for seconds); an unpaced simulated run (`waitsWhenFull` true) waits for the writer, so its trace is complete and
/// the same seed gives the same bytes however fast the machine.
public final class TraceStream: @unchecked Sendable {
    public let ring: SPSCRing<TraceSample>
    public let waitsWhenFull: Bool
    private let closed = Atomic<Bool>(false)
    /// Posted when the ring reaches half full, so the writer drains before its next flush tick.
    public let halfFull = DispatchSemaphore(value: 0)

    public init(capacity: Int = 1 << 16, waitsWhenFull: Bool) {
        ring = SPSCRing(capacity: capacity)
        self.waitsWhenFull = waitsWhenFull
    }

    /// Loop side. Never allocates; blocks only when `waitsWhenFull` and the writer is behind.
    @inline(__always)
    public func push(_ sample: TraceSample) {
        if waitsWhenFull {
            while ring.count >= ring.capacity && !closed.load(ordering: .relaxed) {
                halfFull.signal()
                Thread.sleep(forTimeInterval: 0.0002)
            }
        }
        _ = ring.push(sample)
        // One post per half ring (a syscall only if the writer is asleep), not one per sample.
        if ring.count == ring.capacity / 2 { halfFull.signal() }
    }

    /// Writer side: no more waiting for it (it stopped); later pushes are dropped when full.
    public func close() { closed.store(true, ordering: .relaxed) }

    /// Samples the ring refused.
    public var dropped: Int { ring.dropped }
}
