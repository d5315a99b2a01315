// The forwarding bench's own arithmetic, in process: the producer's wake-up counts and their percentiles.

@testable import neuronctl
import Testing
@testable import NeuronSession

@Suite struct ForwardingBenchTests {
    @Test func wakeCountsPercentiles() {
        var counts = WakeCounts()
        #expect(counts.summary.p99 == 0 && counts.summary.max == 0)
        // 1000 wake-ups: 0.5 µs ... 999.5 µs late, one per microsecond bin, and one very late (2 s, past the bins).
        for i in 0..<1000 { counts.record(Int64(i) * 1000 + 500) }
        counts.record(2_000_000_000)
        counts.record(-300)  // early (a clock that rounds): counted as on time
        let s = counts.summary
        // Bin 0 holds two (the early one and 0.5 µs), bin k one each: the n-th smallest is in bin n - 2.
        #expect(s.p50 == 499)  // 501st of 1002
        #expect(s.p99 == 990)  // 992nd
        #expect(s.p999 == 999)  // 1001st
        #expect(s.max == 2_000_000)
    }
}
