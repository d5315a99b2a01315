import NeuronBoard
import NeuronBoardSim
import NeuronControl
import NeuronHAL
import NeuronNetwork
import NeuronSession
import Testing

@Suite("I2C sensor as a value source")
struct SensorSourceTests {
    @Test("sense from the simulated TMP102: the spike rate follows the temperature ramp")
    func rateFollowsTemperature() throws {
        let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock-sensor.yaml")
        #expect(board.simulation?.temperature == Simulation.TemperatureRamp(from: 20, to: 40, duration: .seconds(10)))
        let runtime = try BoardRuntime(board, overrides: .init(seed: 3, recordsHistory: false))
        let feed = try SensorValueFeed.onBoard(runtime, sensor: "temp0", period: .milliseconds(100))
        let encoder = try StimulusEncoder(EncoderConfiguration(coding: .rate, input: 20...40), limits: board.stimulusLimits)
        let channel = try EngineChannel.onBoard(runtime, id: 0, source: EncodedPulses(encoder: encoder, feed: feed))
        let loop = try Engine(channels: [channel], configuration: EngineConfiguration(sampleRate: .hertz(5000), duration: .seconds(10)),
                                   clock: runtime.clock)
        let r = loop.run()
        #expect(r.termination == .completed && r.safeState == .reached)
        // At most one read per 100 ms of run time, taken when a pulse is due (every 20-50 ms here), all through the
        // driver on the simulated bus.
        #expect(feed.readings >= 90 && feed.readings <= 100 && feed.failedReads == 0, "\(feed.readings) readings")
        // Pulse rate: the encoder maps 20 ... 40 °C onto its rate range, so the pulse period shortens as it warms.
        let pulses = r.pulses(channel: 0)
        let bins = 5, binNs: Int64 = 2_000_000_000
        var pulseCounts = [Int](repeating: 0, count: bins), spikeCounts = [Int](repeating: 0, count: bins)
        for p in pulses { pulseCounts[min(Int(p.startNs / binNs), bins - 1)] += 1 }
        for s in r.spikes(channel: 0) { spikeCounts[min(Int(s.crossing / binNs), bins - 1)] += 1 }
        #expect(zip(pulseCounts, pulseCounts.dropFirst()).allSatisfy { $0 < $1 }, "pulses per 2 s: \(pulseCounts)")
        #expect(zip(spikeCounts, spikeCounts.dropFirst()).allSatisfy { $0 < $1 }, "spikes per 2 s: \(spikeCounts)")
        #expect(spikeCounts[0] < spikeCounts[bins - 1], "spikes per 2 s: \(spikeCounts)")
    }

    @Test("an unknown sensor name is refused with the board's sensors listed")
    func unknownSensor() throws {
        let runtime = try BoardRuntime(try BoardLoader.load(path: repositoryRoot + "/Boards/mock-sensor.yaml"))
        #expect {
            _ = try runtime.sensor(named: "dac0")
        } throws: { error in
            (error as? BoardError)?.fix.contains("temp0") == true
        }
    }

    @Test("a failed read holds the last value and is counted")
    func failedReadHolds() {
        var n = 0
        let feed = SensorValueFeed(period: .milliseconds(10)) { () throws(HardwareError) -> Double in
            n += 1
            if n == 2 { throw HardwareError(.noAcknowledge(.address), "gone", device: "TMP102 @ 0x48", operation: "read") }
            return Double(n)
        }
        #expect(feed.value(at: 0) == 1)
        #expect(feed.value(at: 5_000_000) == 1)  // within the period: no read
        #expect(feed.value(at: 10_000_000) == 1)  // failed: holds
        #expect(feed.value(at: 20_000_000) == 3)
        #expect(feed.failedReads == 1 && feed.readings == 2 && !feed.finished(at: .max))
    }
}
