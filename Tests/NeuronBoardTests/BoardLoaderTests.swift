import Foundation
import NeuronBoard
import NeuronHAL
import Testing

/// `Boards/` of this repository, found from this file's path (no test resources in Package.swift).
let boardsDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("Boards").path
}()

let mockPath = boardsDirectory + "/mock.yaml"
let mockText: String = try! String(contentsOfFile: mockPath, encoding: .utf8)

/// The mock board with `old` replaced by `new` (the replacement must happen, so the tests follow the file).
func mock(replacing old: String, with new: String) -> String {
    precondition(mockText.contains(old), "mock.yaml no longer contains \(old)")
    return mockText.replacingOccurrences(of: old, with: new)
}

/// The 1-based line of the first occurrence of `marker` in `text`.
func line(of marker: String, in text: String) -> Int {
    guard let range = text.range(of: marker) else { return -1 }
    return text[..<range.lowerBound].filter { $0 == "\n" }.count + 1
}

@Suite("Loading the mock board")
struct MockBoardTests {
    @Test func loadsAndValidates() throws {
        let board = try BoardLoader.load(path: mockPath)
        #expect(board.board.name == "mock")
        #expect(board.board.simulated)
        #expect(board.buses.map(\.name) == ["i2c1", "spi0"])
        #expect(board.buses[0].devices.map(\.name) == ["dac0", "monitor"])
        #expect(board.simulation?.model == .device && board.simulation?.seed == 1)
        #expect(board.source == mockPath)
    }

    @Test func resolvesNeuronWiring() throws {
        let board = try BoardLoader.load(path: mockPath)
        let n0 = try #require(board.neuron(id: 0))
        #expect(n0.capacitance == .picofarads(300))

        let (dacBus, dac) = try board.stimulus(of: n0)
        #expect(dacBus.name == "i2c1")
        #expect(dac.compatible == .mcp4725)
        #expect(dac.address == I2CAddress(0x60))
        #expect(dac.reference == .volts(3.3))
        guard case .mcp4725(let dacConfig) = dac.configuration else { Issue.record("not an MCP4725"); return }
        #expect(dacConfig.reference == .volts(3.3))

        let (adcBus, adc, channel) = try board.membrane(of: n0)
        #expect(adcBus.kind == .spi)
        #expect(adcBus.settings == .spi(mode: 0, maxSpeed: .hertz(1_000_000)))
        #expect(adc.compatible == .mcp3208)
        #expect(adc.address == nil)
        #expect(channel.label == "membrane")
        #expect(channel.span == .volts(3.3))
        guard case .mcp3x08(let adcConfig) = adc.configuration else { Issue.record("not an MCP3x08"); return }
        #expect(adcConfig.channels[0].positive == .ch0)
        #expect(adcConfig.channels[0].negative == nil)

        let lines = board.lines(of: n0)
        #expect(lines.comparator?.line == .name("GPIO27"))
        #expect(lines.comparator?.edge == .both)
        #expect(lines.spikeOut?.direction == .output)
        #expect(lines.stimulusGate?.activeLow == true)
        #expect(lines.stimulusGate?.initial == .inactive)
        #expect(lines.stimulusGate?.consumer == "neuronhil-stimulus-gate")

        #expect(board.limits.stimulus == Voltage.volts(0)...Voltage.volts(1))
        #expect(board.limits.maxPulseWidth == .milliseconds(20))
        #expect(board.limits.maxDutyCycle == 0.5)
        #expect(board.limits.sampleRate == Frequency.hertz(100)...Frequency.hertz(20_000))
        #expect(board.frontEnd.comparatorThreshold == .volts(0.2))
        #expect(board.frontEnd.membrane.gain == 1)
    }

    @Test func monitorChannelDefaultsAndTable() throws {
        let board = try BoardLoader.load(path: mockPath)
        let monitor = try #require(board.device(named: "monitor")?.device)
        guard case .ads1x15(let config) = monitor.configuration else { Issue.record("not an ADS1x15"); return }
        #expect(config.chip == .ads1015)
        #expect(config.channels[0].positive == .ain0 && config.channels[0].negative == .gnd)
        #expect(config.channels[0].fullScale == .fs2_048)
        #expect(config.channels[0].dataRate == .hertz(1600))
        #expect(Compatible.mcp4725.binding.defaultAddress == I2CAddress(0x60))
        #expect(Compatible.ads1115.binding.defaultAddress == I2CAddress(0x48))
        #expect(Compatible.allCases.allSatisfy { $0.binding.compatible == $0 })
    }

    @Test func summaryListsEverything() throws {
        let summary = try BoardLoader.load(path: mockPath).summary
        for needle in ["board mock (simulated)", "i2c1: i2c /dev/i2c-1 at 400000 Hz", "dac0: microchip,mcp4725 @ 0x60",
                       "adc0: microchip,mcp3208", "membrane: ch0", "comparator: GPIO27 (input, edge both)",
                       "n0 (id 0, 300.0 pF)", "stimulus 0...1 V", "sampling 100...20000 Hz", "simulation: model device, seed 1"] {
            #expect(summary.contains(needle), "summary lacks \(needle):\n\(summary)")
        }
    }

    @Test func missingFileNamesThePath() {
        #expect { try BoardLoader.load(path: "/nonexistent/board.yaml") } throws: { error in
            let e = error as! BoardError
            return e.source == "/nonexistent/board.yaml" && e.problem.contains("does not exist") && e.fix.contains("mock.yaml")
        }
    }

    @Test func hardwareBoardWithDividerAndADS1115() throws {
        let yaml = """
            board: { name: bench }
            buses:
              i2c1:
                kind: i2c
                device: /dev/i2c-1
                quirks: [no-clock-stretch]
                devices:
                  dac0: { compatible: "microchip,mcp4725", vref-volts: 5.0 }
                  adc0:
                    compatible: ti,ads1115
                    address: 0x49
                    channels:
                      membrane: { inputs: [ain0, ain1], full-scale-volts: 0.512, data-rate-sps: 860 }
            front-end:
              membrane: { buffer-gain: 1.0, divider: { output-ohms: 10000, full-ohms: 20000 } }
            neurons:
              n0: { id: 3, stimulus: dac0, membrane: adc0/membrane }
            limits:
              stimulus-volts: { min: 0, max: 1.0 }
              max-pulse-width-ms: 0.5
              max-duty-cycle: 1
              sample-rate-hz: { min: 8, max: 860 }
            """
        let board = try BoardLoader.parse(yaml: yaml, source: "bench.yaml")
        #expect(board.buses[0].settings == .i2c(frequency: .hertz(100_000), quirks: [.noClockStretch]))
        #expect(board.device(named: "dac0")?.device.address == I2CAddress(0x60))
        #expect(board.frontEnd.membrane.gain == 0.5)
        #expect(board.gpio == nil && board.simulation == nil)
        #expect(board.limits.maxPulseWidth == .microseconds(500))
        let n = try #require(board.neuron(id: 3))
        #expect(try board.membrane(of: n).channel.span == .volts(0.512))
        #expect(board.lines(of: n).comparator == nil)
    }
}

@Suite struct BoardFileKindTests {
    func loadError(_ path: String) throws -> BoardError {
        do {
            _ = try BoardLoader.load(path: path)
        } catch {
            return error
        }
        Issue.record("\(path) loaded")
        throw CancellationError()
    }

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("board-kinds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func emptyFileSaysItIsEmpty() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("empty.yaml").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let e = try loadError(path)
        #expect(e.source == path)
        #expect(e.problem == "the file is empty (0 bytes).")
        #expect(e.fix.contains("mock.yaml"))
        #expect(!e.description.contains("permission"))
    }

    @Test func blankFileSaysItIsEmpty() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("blank.yaml").path
        try "\n  \n# only a comment\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try loadError(path).problem == "the file is empty.")
    }

    @Test func directorySaysItIsADirectoryAndListsItsBoards() throws {
        let e = try loadError(boardsDirectory)
        #expect(e.problem == "this is a directory, not a board file.")
        #expect(e.fix.contains(boardsDirectory + "/mock"), "\(e.fix)")
        #expect(e.fix.contains("mock.yaml"))
        #expect(!e.description.contains("permission"))

        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = try loadError(dir.path + "/")
        #expect(empty.problem == "this is a directory, not a board file.")
        #expect(empty.fix == "give the path of a board file (YAML), e.g. \(BoardLoader.defaultBoardPath)")
    }

    @Test func devNullSaysItIsADevice() throws {
        let e = try loadError("/dev/null")
        #expect(e.problem.hasPrefix("this is a device (/dev/null), not a board file"), "\(e.problem)")
        #expect(!e.description.contains("permission"))
    }

    @Test func symbolicLinkToADeviceSaysWhereItLeads() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("board.yaml").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/null")
        let e = try loadError(link)
        #expect(e.source == link)
        #expect(e.problem.hasPrefix("this is a device (/dev/null)"), "\(e.problem)")
    }

    @Test func unreadableFileSaysPermissionDenied() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("secret.yaml").path
        try mockText.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path) }
        // Root reads it anyway (CAP_DAC_OVERRIDE): then it simply loads.
        guard !FileManager.default.isReadableFile(atPath: path) else {
            #expect(throws: Never.self) { try BoardLoader.load(path: path) }
            return
        }
        let e = try loadError(path)
        #expect(e.problem.contains("permission denied"), "\(e.problem)")
        #expect(e.fix.contains("ls -l \(path)"))
    }

    @Test func pipeIsRead() throws {
        // `--board <(...)`: a FIFO whose size is unknown until it is read.
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("pipe").path
        #expect(mkfifo(path, 0o600) == 0)
        let writer = Thread {
            guard let handle = FileHandle(forWritingAtPath: path) else { return }
            handle.write(Data(mockText.utf8))
            try? handle.close()
        }
        writer.start()
        let board = try BoardLoader.load(path: path)
        #expect(board.board.simulated)
    }
}
