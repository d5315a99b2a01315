import Foundation
import NeuronBoard
import NeuronBoardSim
import NeuronConfig
import NeuronControl
import NeuronHAL
import NeuronNetwork
import NeuronSession
import NeuronSinks
import Testing

/// Runs a network file's routes on the two-neuron mock board with neuron A (id 0) driven at `hertz`.
func twoNeuronLoop(hertz: Double, seconds: Double = 3, seed: UInt64 = 5, recordTrace: Bool = false) throws -> (NetworkRunResult, BoardRuntime) {
    let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock-two-neurons.yaml")
    let runtime = try BoardRuntime(board, overrides: .init(seed: seed, recordsHistory: false))
    let file = try NetworkFile.load(path: repositoryRoot + "/Boards/networks/two-neuron-loop.yaml")
    let train = PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(hertz), count: Int(seconds * hertz))
    let a = try EngineChannel.onBoard(runtime, id: 0, source: TrainPulses(train))
    let b = try EngineChannel.onBoard(runtime, id: 1)
    let loop = try Engine(channels: [a, b], routes: file.routes,
                               configuration: EngineConfiguration(sampleRate: .hertz(5000), duration: .seconds(seconds), keepTrace: recordTrace),
                               clock: runtime.clock)
    return (loop.run(), runtime)
}

@Suite("Closed loops on the mock board")
struct ClosedLoopTests {
    @Test("two neurons: A's spikes drive B, and B's firing follows A's rate")
    func twoNeurons() throws {
        var rates: [(a: Int, b: Int)] = []
        for hz in [20.0, 33, 50] {
            let (r, runtime) = try twoNeuronLoop(hertz: hz)
            #expect(r.termination == .completed && r.safeState == .reached)
            // Every pulse on B came from a spike of A (one per spike, the network file's weight).
            let bPulses = r.pulses(channel: 1)
            #expect(bPulses.allSatisfy { $0.cause == "route 0" })
            #expect(bPulses.count == r.spikes(channel: 0).count)
            // The simulated neurons are independent, each fed by its own DAC and read on its own ADC channel: the
            // detector finds what each physics model fired (less the few that switch so late in a pulse that the
            // capacitor never reaches the threshold).
            for id in [0, 1] {
                let fired = runtime.simulation!.neurons[id]!.model.spikeCount, found = r.spikes(channel: id).count
                #expect(found <= fired && Double(found) >= 0.85 * Double(fired), "neuron \(id): physics \(fired), detected \(found)")
            }
            rates.append((r.spikes(channel: 0).count, r.spikes(channel: 1).count))
        }
        #expect(rates[0].a < rates[1].a && rates[1].a < rates[2].a, "A spikes at 20/33/50 Hz: \(rates)")
        #expect(rates[0].b < rates[1].b && rates[1].b < rates[2].b, "B spikes at 20/33/50 Hz: \(rates)")
        #expect(rates[0].b == 0, "B must be silent when A is: \(rates)")
    }

    @Test("spikes received from another board are routed into a channel")
    func externalSpikes() throws {
        let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock.yaml")
        let runtime = try BoardRuntime(board, overrides: .init(seed: 2, recordsHistory: false))
        let inbox = ExternalSpikeInbox()
        // Ten spikes from address 7 arrive before the run (they are taken at the first sample).
        for i in 0..<10 { inbox.accept(JAERPacket(sequence: Int32(i), events: [.init(address: 7, timestampMicros: 0)]).encoded(), sender: "127.0.0.1:9000") }
        inbox.accept([1, 2, 3], sender: "127.0.0.1:9000")  // garbage: counted, not routed
        let route = Route(source: .external(7), target: 0, pulses: 2, interval: .milliseconds(10))
        let loop = try Engine(channels: [try EngineChannel.onBoard(runtime, id: 0)], routes: [route],
                                   configuration: EngineConfiguration(sampleRate: .hertz(5000), duration: .seconds(1), keepTrace: false),
                                   clock: runtime.clock, inbox: inbox)
        let r = loop.run()
        #expect(r.externalSpikes == 10)
        #expect(r.pulses.count == 20)
        #expect(inbox.counts.rejected == 1)
        // 20 pulses queued at once wait for the duty-cycle limit: starts at least 10 ms apart.
        let starts = r.pulses.map(\.startNs)
        #expect(zip(starts, starts.dropFirst()).allSatisfy { $1 - $0 >= 10_000_000 })
    }

    @Test("routes outside the board's limits are refused naming the key")
    func routeLimits() throws {
        let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock-two-neurons.yaml")
        let runtime = try BoardRuntime(board, overrides: .init(recordsHistory: false))
        let channels = [try EngineChannel.onBoard(runtime, id: 0), try EngineChannel.onBoard(runtime, id: 1)]
        for (route, key) in [(Route(source: .channel(0), target: 1, amplitude: .volts(1.5)), "routes[0].amplitude-volts"),
                             (Route(source: .channel(0), target: 1, width: .milliseconds(25)), "routes[0].width-ms"),
                             (Route(source: .channel(0), target: 4), "routes[0].to"),
                             (Route(source: .channel(9), target: 1), "routes[0].from")] {
            do {
                _ = try Engine(channels: channels, routes: [route], configuration: EngineConfiguration(duration: .seconds(1)), clock: runtime.clock, source: "net.yaml")
                Issue.record("accepted \(route)")
            } catch {
                #expect(error.key == key && error.source == "net.yaml", "\(error)")
            }
        }
    }
}

@Suite("Network files")
struct NetworkFileTests {
    @Test("the example files parse")
    func examples() throws {
        let loop = try NetworkFile.load(path: repositoryRoot + "/Boards/networks/two-neuron-loop.yaml")
        #expect(loop.routes == [Route(source: .channel(0), target: 1, amplitude: .volts(0.75), width: .microseconds(7500), pulses: 1,
                                      interval: .milliseconds(20), delay: .milliseconds(1))])
        #expect(loop.drives.first?.frequency == .hertz(33))
        let rx = try NetworkFile.load(path: repositoryRoot + "/Boards/networks/udp-receiver.yaml")
        #expect(rx.listen == NetworkFile.Endpoint(host: "127.0.0.1", port: 9531))
        #expect(rx.routes.first?.source == .external(0))
        let tx = try NetworkFile.load(path: repositoryRoot + "/Boards/networks/udp-sender.yaml")
        #expect(tx.send?.port == 9531)
    }

    @Test("errors are located: file:line:col: key.path: problem Fix: ...", arguments: [
        ("routes:\n  - { from: 0, to: 1, weight: 3 }\n", "net.yaml:2:23: routes[0].weight: unknown key 'weight'.", "keys allowed here"),
        ("routes:\n  - { to: 1 }\n", "net.yaml:2:5: routes[0]: give exactly one of `from`", "from: 0"),
        ("routes:\n  - { from: 0, to: 1, delay-ms: -1 }\n", "net.yaml:2:33: routes[0].delay-ms: -1 ms is outside the accepted 0...3600000 ms.", "between 0 and"),
        ("routes:\n  - { from-address: 3, to: 1 }\n", "net.yaml:1:1: routes: a route takes `from-address`", "listen"),
        ("send: localhost\n", "net.yaml:1:7: send: 'localhost' is not HOST:PORT", "127.0.0.1"),
        ("drive:\n  - { neuron: 0x1, pulses: 2.5 }\n", "net.yaml:2:28: drive[0].pulses: expected a whole number, found '2.5'.", "42"),
    ])
    func errors(yaml: String, message: String, fix: String) {
        do {
            _ = try NetworkFile.parse(yaml: yaml, source: "net.yaml")
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.source == "net.yaml")
            #expect(error.description.hasPrefix(message), "\(error)")
            #expect(error.fix.contains(fix), "\(error)")
        }
    }

    @Test("a drive the board cannot take is refused at its line and column")
    func drivesAgainstTheBoard() throws {
        let file = try NetworkFile.parse(yaml: "drive:\n  - { neuron: 7, frequency-hz: 33 }\n", source: "net.yaml")
        let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock-two-neurons.yaml")
        #expect {
            try file.validateDrives(limits: board.stimulusLimits, neurons: Set(board.neurons.map(\.id)))
        } throws: { error in
            (error as? ConfigError)?.description == "net.yaml:2:15: drive[0].neuron: the board has no neuron with id 7. Fix: use one of: 0, 1"
        }
    }

    /// Network files are read by the board files' decoder: the same faults give the same located shape,
    /// `file:line:col: key.path: problem Fix: ...`, with the same wording.
    @Test("network files get the same located errors as board files", arguments: [
        ("duplicate key", "send: 127.0.0.1:9\nsend: 127.0.0.1:8\n", "net.yaml:2:1: send: the key 'send' appears twice.",
         "  max-duty-cycle: 0.5\n", "  max-duty-cycle: 0.5\n  max-duty-cycle: 0.4\n", "limits.max-duty-cycle: the key 'max-duty-cycle' appears twice."),
        ("unknown key", "route:\n  - { from: 0, to: 1 }\n", "net.yaml:1:1: route: unknown key 'route'. Fix: did you mean 'routes'?",
         "  max-duty-cycle: 0.5\n", "  max-duty-cycles: 0.5\n", "limits.max-duty-cycles: unknown key 'max-duty-cycles'. Fix: did you mean 'max-duty-cycle'?"),
        ("bad scalar", "routes:\n  - { from: 0, to: 1, pulses: yes }\n", "net.yaml:2:31: routes[0].pulses: expected a whole number, found 'yes'.",
         "  max-duty-cycle: 0.5\n", "  max-duty-cycle: yes\n", "limits.max-duty-cycle: expected a number, found 'yes'."),
        ("too deep", "routes:\n" + deepList(from: 1), "net.yaml:33:65: routes" + String(repeating: "[0]", count: 31)
            + ": this nests 33 levels deep, more than the 32 a network file may use.",
         "  max-duty-cycle: 0.5\n", "  max-duty-cycle:\n" + deepList(from: 2), "this nests 33 levels deep, more than the 32 a board file may use."),
    ] as [(String, String, String, String, String, String)])
    func sameShapeAsBoardFiles(
        _ fault: String, network: String, networkMessage: String, boardOld: String, boardNew: String, boardMessage: String
    ) throws {
        var networkError: ConfigError?
        do { _ = try NetworkFile.parse(yaml: network, source: "net.yaml") } catch { networkError = error }
        var boardError: ConfigError?
        let board = try String(contentsOfFile: repositoryRoot + "/Boards/mock.yaml", encoding: .utf8)
        #expect(board.contains(boardOld))
        do { _ = try BoardLoader.parse(yaml: board.replacingOccurrences(of: boardOld, with: boardNew), source: "b.yaml") } catch {
            boardError = error
        }
        let n = try #require(networkError, "\(fault): accepted")
        let b = try #require(boardError, "\(fault): board accepted")
        #expect(n.description.hasPrefix(networkMessage), "\(n)")
        #expect(b.description.contains(boardMessage), "\(b)")
        for error in [n, b] {
            #expect(error.line != nil && error.column != nil, "\(fault): \(error)")
            #expect(error.message.wholeMatch(of: /[^:]+:\d+:\d+: ([^ ]+: )?.+ Fix: .+/) != nil, "\(fault): \(error)")
        }
    }
}

/// Lists nested in block style from indentation level `level` (two spaces each) to 40 levels: deeper than any
/// configuration file may nest, yet within what the text check lets through to the parser.
func deepList(from level: Int) -> String {
    (level..<40).map { String(repeating: "  ", count: $0) + "-\n" }.joined()
}

@Suite("Recordings and golden traces")
struct RecordingTests {
    static let golden = repositoryRoot + "/Tests/NeuronNetworkTests/Fixtures/two-neuron-loop.json"

    /// The golden-trace regression test: the detector, run on a recorded ADC trace, must find exactly the recorded
    /// spikes (every field). A change to `SpikeDetector` that changes its output fails here; if the change is
    /// intended, record the fixture again (see Fixtures/README.md) and say why in the commit.
    @Test("golden trace: the detector finds exactly the recorded spikes")
    func golden() throws {
        let r = try Recording.load(path: Self.golden)
        #expect(r.spikes.count >= 5)
        #expect(Set(r.spikes.map(\.channel)) == [0, 1])
        let diff = Recording.difference(recorded: r.spikes, replayed: r.replay())
        #expect(diff == nil, "\(diff ?? "")")
    }

    @Test("the golden test notices a changed detector", arguments: [
        { (c: inout DetectorConfiguration) in c.threshold = .volts(0.2) },
        { (c: inout DetectorConfiguration) in c.smoothingWindow = 1 },
        { (c: inout DetectorConfiguration) in c.plateauTolerance = 0.001 },
    ] as [@Sendable (inout DetectorConfiguration) -> Void])
    func noticesChange(change: @Sendable (inout DetectorConfiguration) -> Void) throws {
        let r = try Recording.load(path: Self.golden)
        var c = r.detector.configuration
        change(&c)
        #expect(Recording.difference(recorded: r.spikes, replayed: r.replay(detector: c)) != nil)
    }

    @Test("same seed, same recording bytes; a live run replays to its own spikes")
    func determinism() throws {
        func record() throws -> (Data, Recording) {
            let (result, _) = try twoNeuronLoop(hertz: 40, seconds: 0.5, recordTrace: true)
            let rec = Recording(tool: "test", board: .init(name: "mock-two-neurons", file: "Boards/mock-two-neurons.yaml", yaml: "", simulated: true, model: "device", seed: 5),
                                protocolInfo: ["train": "40 Hz"], sampleInterval: .microseconds(200), detector: DetectorConfiguration(), result: result)
            return (try rec.encoded(), rec)
        }
        let (a, rec) = try record()
        let (b, _) = try record()
        #expect(a == b)
        #expect(Recording.difference(recorded: rec.spikes, replayed: rec.replay()) == nil)
        // Round trip through the file format.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neuronhil-rec-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("r.json").path
        try a.write(to: URL(fileURLWithPath: path))
        #expect(try Recording.load(path: path) == rec)
    }

    @Test("a damaged recording is refused naming the file")
    func damaged() {
        do {
            _ = try Recording.load(path: "/nonexistent/rec.json")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.source == "/nonexistent/rec.json")
        }
    }
}

@Suite("Closed loops on the MCP4728 board")
struct QuadDACLoopTests {
    @Test("two neurons on one MCP4728 (outputs a, b): A's spikes drive B")
    func twoNeuronsOnOneQuadDAC() throws {
        let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock-mcp4728.yaml")
        let runtime = try BoardRuntime(board, overrides: .init(seed: 5, recordsHistory: false))
        let file = try NetworkFile.load(path: repositoryRoot + "/Boards/networks/two-neuron-loop.yaml")
        let train = PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(50), count: 150)
        let a = try EngineChannel.onBoard(runtime, id: 0, source: TrainPulses(train))
        let b = try EngineChannel.onBoard(runtime, id: 1)
        let loop = try Engine(channels: [a, b], routes: file.routes,
                                   configuration: EngineConfiguration(sampleRate: .hertz(5000), duration: .seconds(3)), clock: runtime.clock)
        let r = loop.run()
        #expect(r.termination == .completed && r.safeState == .reached)
        let aSpikes = r.spikes(channel: 0).count, bSpikes = r.spikes(channel: 1).count
        #expect(aSpikes > 20, "A fired \(aSpikes)")
        #expect(bSpikes > 10, "B fired \(bSpikes)")
        let bPulses = r.pulses(channel: 1)
        #expect(bPulses.count == aSpikes && bPulses.allSatisfy { $0.cause == "route 0" })
        for id in [0, 1] {
            let fired = runtime.simulation!.neurons[id]!.model.spikeCount, found = r.spikes(channel: id).count
            #expect(found <= fired && Double(found) >= 0.85 * Double(fired), "neuron \(id): physics \(fired), detected \(found)")
        }
        // Both neurons' pulses went through their own output of the one chip.
        let dac = runtime.simulation!.mcp4728["dac0"]!
        #expect(dac.registers[0].powerDown == 1 && dac.registers[1].powerDown == 1)
    }
}

/// Keeps every value the membrane input returns, as `neuronctl run --record` does (its `MembraneRecorder`).
private final class MembraneLog: AnalogInput {
    let input: any AnalogInput
    var values: [Double] = []
    init(_ input: any AnalogInput) { self.input = input }
    func readVoltage() throws(HardwareError) -> Voltage {
        let v = try input.readVoltage()
        values.append(v.volts)
        return v
    }
}

@Suite("Recordings of single-neuron runs")
struct RunRecordingTests {
    /// 30 Fig. 2c pulses on the mock board through the engine, with the trace kept and the membrane values logged
    /// as the driver returned them.
    func run() throws -> (EngineResult, [Double]) {
        let board = try BoardLoader.load(path: repositoryRoot + "/Boards/mock.yaml")
        let runtime = try BoardRuntime(board, overrides: .init(seed: 3, recordsHistory: false))
        let hw = try runtime.neuron(id: 0)
        var detector = DetectorConfiguration()
        detector.capacitance = hw.channel.capacitance
        let log = MembraneLog(hw.membrane)
        let train = PulseTrain.fig2c(count: 30)
        let channel = EngineChannel(id: hw.channel.id, stimulus: try SafeStimulusOutput(hw.stimulus, limits: board.stimulusLimits.voltage),
                                    membrane: log, limits: board.stimulusLimits, detector: detector, source: TrainPulses(train))
        let result = try Engine(channels: [channel], configuration: EngineConfiguration(duration: train.duration, keepTrace: true),
                                clock: runtime.clock).run()
        return (result, log.values)
    }

    func recording(_ result: EngineResult) -> Recording {
        Recording(tool: "test", board: .init(name: "mock", file: "Boards/mock.yaml", yaml: "", simulated: true, model: "device", seed: 3),
                  protocolInfo: ["command": "run"], sampleInterval: .microseconds(100), detector: DetectorConfiguration(), result: result)
    }

    @Test("a run's recording holds the exact membrane values and replays to its spikes; its pulses are the train's")
    func replaysToItsSpikes() throws {
        let (result, membrane) = try run()
        #expect(result.termination == .completed && result.spikes.count > 5)
        let rec = recording(result)
        #expect(rec.timeNs.count == result.samples && rec.channels.count == 1)
        #expect(rec.channels[0].membraneV.map { $0! } == membrane)
        #expect(rec.pulses.count == 30 && rec.pulses[7].startNs == PulseTrain.fig2c().pulseStart(7))
        #expect(rec.pulses[7].endNs - rec.pulses[7].startNs == 5_000_000)
        #expect(Set(rec.channels[0].stimulusV) == [0, 0.75])
        #expect(Recording.difference(recorded: rec.spikes, replayed: rec.replay()) == nil)
    }
}
