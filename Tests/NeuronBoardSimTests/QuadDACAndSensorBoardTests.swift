import Foundation
import NeuronBoard
import NeuronBoardSim
import NeuronHAL
import Testing

private let quadPath = boardsDirectory + "/mock-mcp4728.yaml"
private let quadText: String = try! String(contentsOfFile: quadPath, encoding: .utf8)

private func quad(replacing old: String, with new: String) -> String {
    precondition(quadText.contains(old), "mock-mcp4728.yaml no longer contains \(old)")
    return quadText.replacingOccurrences(of: old, with: new)
}

/// The first problem (all of them, joined) of `yaml`, or nil when it loads.
private func problems(_ yaml: String) -> String? {
    do {
        _ = try BoardLoader.parse(yaml: yaml, source: "test.yaml")
        return nil
    } catch {
        return error.all.map { "\($0.keyPath): \($0.problem) Fix: \($0.fix)" }.joined(separator: "\n")
    }
}

@Suite("MCP4728 and TMP102 board bindings")
struct QuadDACBoardTests {
    @Test("the MCP4728 mock board loads: two neurons on outputs a and b of one DAC")
    func loads() throws {
        let board = try BoardLoader.load(path: quadPath)
        #expect(board.board.name == "mock-mcp4728")
        let dac = board.buses[0].devices[0]
        #expect(dac.compatible == .mcp4728 && dac.kind == .dac && dac.address == I2CAddress(0x60))
        #expect(dac.reference == .volts(3.3))
        #expect(board.neurons.map(\.stimulus) == ["dac0", "dac0"])
        #expect(board.neurons.map(\.stimulusChannel) == ["a", "b"])
        let runtime = try BoardRuntime(simulating: board)
        #expect(runtime.simulation?.mcp4728["dac0"] != nil)
        // Each neuron's stimulus drives its own output, and only that one.
        let sim = runtime.simulation!.mcp4728["dac0"]!
        try runtime.neuron(id: 1).stimulus.setVoltage(.volts(0.75))
        #expect(abs(sim.outputVoltage(1).volts - 0.75) < 3.3 / 4096)
        #expect(sim.outputVoltage(0) == .zero)
        #expect(runtime.simulation!.neurons[1]!.dacVolts == sim.outputVoltage(1).volts)
        #expect(runtime.simulation!.neurons[0]!.dacVolts == 0)
        let (reached, report) = runtime.enterSafeStateEverywhere()
        #expect(reached, "\(report)")
        #expect(sim.registers[1].powerDown == 1 && sim.registers[1].code == 0)
    }

    @Test("MCP4728 properties and stimulus references are validated", arguments: [
        ("vref: vdd", "vref: external", "vref", "use vdd or internal"),
        ("vdd-volts: 3.3", "vdd-volts: 6", "vdd-volts", "between 2.7 and 5.5"),
        ("vdd-volts: 3.3", "vdd-volts: 3.3\n        gain: 2", "gain", "vref: internal"),
        ("vref: vdd", "vref: internal\n        gain: 3", "gain", "use 1 or 2"),
        ("address: 0x60          # address bits 000 (factory default)", "address: 0x68", "address", "0x60"),
        ("stimulus: dac0/b", "stimulus: dac0/e", "stimulus", "dac0/a, dac0/b"),
        ("stimulus: dac0/b", "stimulus: dac0", "stimulus", "dac0/a"),
        ("stimulus: dac0/b", "stimulus: dac0/a", "stimulus", "own DAC output"),
    ])
    func validation(old: String, new: String, key: String, fix: String) throws {
        let found = try #require(problems(quad(replacing: old, with: new)))
        #expect(found.contains(key) && found.contains(fix), "\(found)")
    }

    @Test("internal reference with gain 2 caps the stimulus range at VDD")
    func internalReference() throws {
        let board = try BoardLoader.parse(
            yaml: quad(replacing: "vref: vdd\n        vdd-volts: 3.3", with: "vref: internal\n        vdd-volts: 3.3\n        gain: 2"),
            source: "test.yaml")
        #expect(board.buses[0].devices[0].reference == .volts(3.3))
        let x1 = try BoardLoader.parse(yaml: quad(replacing: "vref: vdd", with: "vref: internal"), source: "test.yaml")
        #expect(x1.buses[0].devices[0].reference == .volts(2.048))
    }
}

@Suite("MCP4728 in a simulated board state file")
struct QuadDACStateFileTests {
    @Test("each output is kept across processes and restored into a new runtime")
    func keptAcrossRuntimes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mcp4728-state-\(UInt64.random(in: 0...UInt64.max)).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let board = try BoardLoader.load(path: boardsDirectory + "/mock-mcp4728.yaml")
        do {
            let first = try BoardRuntime(simulating: board, overrides: .init(stateFile: path))
            try first.neuron(id: 1).stimulus.setVoltage(.volts(0.5))  // output b biased, as a killed controller leaves it
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("dac dac0/a code=000 power-down=0"), "\(text)")
        #expect(text.contains("dac dac0/b code=26d power-down=0"), "\(text)")  // round(0.5 / 3.3 · 4096) = 621 = 0x26D
        let second = try BoardRuntime(simulating: board, overrides: .init(stateFile: path))
        let model = second.simulation!.mcp4728["dac0"]!
        #expect(model.registers[1].code == 0x26D && model.outputVoltage(1) > .zero)
        let (reached, report) = second.enterSafeStateEverywhere()
        #expect(reached, "\(report)")
        let after = try String(contentsOfFile: path, encoding: .utf8)
        #expect(after.contains("dac dac0/b code=000 power-down=1"), "\(after)")
    }
}
