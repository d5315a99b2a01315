import Synchronization
import Testing
import NeuronControl
import NeuronHAL

/// Counts what it hands out, so a test can see the loop took its trace from the given allocator and gave it back.
final class CountingBuffers: RunBufferAllocator {
    let allocations = Atomic<Int>(0)
    let releases = Atomic<Int>(0)
    let bytes = Atomic<Int>(0)
    func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        allocations.add(1, ordering: .relaxed)
        self.bytes.store(bytes, ordering: .relaxed)
        let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        p.initializeMemory(as: UInt8.self, repeating: 0xA5, count: bytes)  // garbage the loop must overwrite
        return p
    }
    func deallocate(_ buffer: UnsafeMutableRawPointer, bytes: Int) {
        #expect(bytes == self.bytes.load(ordering: .relaxed))
        releases.add(1, ordering: .relaxed)
        buffer.deallocate()
    }
}

@Suite("Run buffers")
struct RunBufferTests {
    @Test("the trace comes from the run's allocator, holds what the default heap run holds, and is given back")
    func traceUsesTheAllocator() throws {
        let counting = CountingBuffers()
        do {
            let custom = try runOnMockBoard(train(count: 20), seed: 3, buffers: counting)
            let heap = try runOnMockBoard(train(count: 20), seed: 3)
            #expect(counting.allocations.load(ordering: .relaxed) == 1)
            // 20 bytes a sample: Int64 time, Float stimulus and membrane, Int32 pulse.
            #expect(counting.bytes.load(ordering: .relaxed) >= custom.result.trace.count * 20)
            #expect(Array(custom.result.trace.time) == Array(heap.result.trace.time))
            #expect(Array(custom.result.trace.membrane) == Array(heap.result.trace.membrane))
            #expect(Array(custom.result.trace.stimulus) == Array(heap.result.trace.stimulus))
            #expect(Array(custom.result.trace.pulse) == Array(heap.result.trace.pulse))
            #expect(counting.releases.load(ordering: .relaxed) == 0, "the result still holds the trace")
        }
        #expect(counting.releases.load(ordering: .relaxed) == 1)
    }
}
