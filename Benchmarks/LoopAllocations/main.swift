// Heap allocations per loop tick, counted by ordo-one's malloc interposer (every malloc/calloc/realloc/
// posix_memalign of the process goes through it).
//
// A run allocates a fixed number of blocks when it starts (trace columns, spike record, histograms, detector
// buffers) and when it ends (the result); none of these depend on the run's length. So two runs that differ only
// in length allocate the same number of blocks exactly when a tick allocates nothing:
//     allocations per tick = (mallocs(long) − mallocs(short)) / (ticks(long) − ticks(short)).
// The simulated chips' logs are off (`recordsHistory: false`), as in `neuronctl run`.
// Build in release mode: swift run -c release neuronhil-alloc-bench
import MallocInterposerSwift
import NeuronBoard
import NeuronControl
import NeuronHAL

#if canImport(Glibc)
import Glibc
#endif

struct Measurement {
    var mallocs: Int
    var ticks: Int
    var spikes: Int
}

func measure(pulses: Int, path: String, forwarded: Bool) throws -> Measurement {
    let board = try BoardLoader.load(path: path)
    let runtime = try BoardRuntime(board, overrides: .init(seed: 7, recordsHistory: false))
    let hw = try runtime.neuron(id: board.neurons[0].id)
    let stimulus = try SafeStimulusOutput(hw.stimulus, limits: board.limits.stimulus)
    let train = PulseTrain.fig2c(count: pulses)
    let config = RunConfiguration(train: train, sampleRate: .hertz(10_000), recordTrace: true)
    // A forwarder with a sink that does nothing: what the loop does per spike (ring push, semaphore post) is
    // counted; the forwarding thread's own work is not the loop's and is stopped before counting ends.
    final class NullSink: SpikeSink, @unchecked Sendable {
        let name = "null"
        let mayBlock = false
        func deliver(_ event: SpikeEvent) throws {}
        func finish() throws {}
    }
    let forwarder = forwarded ? SpikeForwarder(sinks: [NullSink()]) : nil
    forwarder?.start()
    let loop = ControlLoop(configuration: config, stimulus: stimulus, membrane: hw.membrane, clock: runtime.clock,
                           outputs: SpikeOutputs(forwarder: forwarder, spikeOut: hw.spikeOut),
                           realtime: RealtimeOptions(timingClock: SystemClock()))
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    let result = loop.run()
    MallocInterposerSwift.unhook()
    let stats = MallocInterposerSwift.getStatistics()
    _ = forwarder?.finish()
    return Measurement(mallocs: stats.mallocCount, ticks: result.samples + 2 * result.pulsesApplied, spikes: result.spikes.count)
}

let path = CommandLine.arguments.dropFirst().first ?? "Boards/mock.yaml"
MallocInterposerSwift.initialize()
do {
    _ = try measure(pulses: 10, path: path, forwarded: true)  // warm-up: lazy runtime metadata, first-use caches
    let short = try measure(pulses: 330, path: path, forwarded: true)
    let long = try measure(pulses: 660, path: path, forwarded: true)
    let perTick = Double(long.mallocs - short.mallocs) / Double(long.ticks - short.ticks)
    print("run of 330 pulses: \(short.ticks) ticks, \(short.spikes) spikes, \(short.mallocs) allocations (fixed per run)")
    print("run of 660 pulses: \(long.ticks) ticks, \(long.spikes) spikes, \(long.mallocs) allocations (fixed per run)")
    print("allocations per tick: \(perTick == 0 ? "0" : String(perTick)) (target 0)")
    exit(perTick == 0 ? 0 : 1)
} catch {
    print("error: \(error)")
    exit(2)
}
