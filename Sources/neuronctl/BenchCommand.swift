import ArgumentParser
import NeuronControl
import NeuronHAL
import NeuronSession
#if canImport(Glibc)
import Glibc
#endif

/// CPU time of the calling thread, seconds. On a shared machine, wall time also counts the time other processes
/// held the core; the thread's CPU time counts only this thread's work, so it is the steadier figure.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure how many times faster than real time the mock board runs the Fig. 2c protocol.",
        discussion: """
            Runs 0.75 V / 5 ms / 33 Hz pulses at the given sample rate through the real drivers, the simulated buses, \
            the chip models and the neuron physics, on one thread, and prints simulated time over wall time. \
            Build in release mode for meaningful figures: swift run -c release neuronctl bench
            """)

    @OptionGroup var boardOptions: BoardOptions

    @Option(help: ArgumentHelp("Pulses per repetition.", valueName: "n"))
    var pulses = 330

    @Option(name: .customLong("sample-rate"), help: ArgumentHelp("Membrane sampling rate (Hz).", valueName: "Hz"))
    var sampleRate = FrequencyArgument(.hertz(10_000))

    @Option(help: ArgumentHelp("Repetitions (the median is reported).", valueName: "n"))
    var repetitions = 5

    func validate() throws {
        guard pulses >= 1, repetitions >= 1 else { throw ValidationError("--pulses and --repetitions must be at least 1") }
    }

    func run() throws {
        var factors: [Double] = []
        var cpuFactors: [Double] = []
        var simulated = 0.0
        var samples = 0
        var spikes = 0
        for rep in 0..<repetitions {
            let session: Session
            do {
                session = try Session(.train(.fig2c(count: pulses), board: boardOptions.board, tool: "neuronctl \(Neuronctl.version)",
                                             seed: UInt64(rep + 1), sampleRate: sampleRate.frequency))
            } catch {
                printError(error.description)
                throw ExitCode(error.exitCode)
            }
            let start = ContinuousClock.now
            let cpuStart = threadCPUSeconds()
            let result = session.run().result
            let cpu = threadCPUSeconds() - cpuStart
            let wall = ContinuousClock.now - start
            simulated = result.elapsed.seconds
            samples = result.samples
            spikes = result.channels[0].statistics.spikes
            factors.append(simulated / wall.seconds)
            cpuFactors.append(simulated / cpu)
        }
        factors.sort()
        cpuFactors.sort()
        let median = factors[factors.count / 2]
        print("fig2c on \(boardOptions.board): \(pulses) pulses, \(formatted(simulated, digits: 2)) s simulated, \(samples) samples at \(formatted(sampleRate.frequency.hertz, digits: 0)) Hz, \(spikes) spikes (last repetition)")
        print("per sample (median): \(formatted(simulated / median / Double(samples) * 1e9, digits: 0)) ns of wall time")
        print("real-time factor: median \(formatted(median, digits: 0))x, min \(formatted(factors.first!, digits: 0))x, max \(formatted(factors.last!, digits: 0))x over \(repetitions) repetitions (target >= 1000x)")
        let cpuMedian = cpuFactors[cpuFactors.count / 2]
        print("real-time factor by the loop thread's CPU time (not counting time other processes held the core): median \(formatted(cpuMedian, digits: 0))x, min \(formatted(cpuFactors.first!, digits: 0))x, max \(formatted(cpuFactors.last!, digits: 0))x")
    }
}
