import NeuronBoard
import Testing

/// A broken board and what its error must say.
struct Broken: CustomTestStringConvertible, Sendable {
    var name: String
    var yaml: String
    /// The key path of the error (exact).
    var keyPath: String
    /// A text on the line the error must point at; `nil` when no line is expected.
    var lineMarker: String?
    var problem: String
    var fix: String
    var testDescription: String { name }
}

let brokenBoards: [Broken] = [
    Broken(name: "malformed YAML",
           yaml: mock(replacing: "max-duty-cycle: 0.5", with: "max-duty-cycle: [0.5"),
           keyPath: "", lineMarker: "sample-rate-hz", problem: "malformed YAML", fix: "indentation"),
    Broken(name: "empty file", yaml: "", keyPath: "", lineMarker: nil, problem: "empty", fix: "mock.yaml"),
    Broken(name: "comment-only file", yaml: "# nothing yet\n", keyPath: "", lineMarker: nil, problem: "empty", fix: "mock.yaml"),
    Broken(name: "wrong type: text for a number",
           yaml: mock(replacing: "frequency-hz: 400000", with: "frequency-hz: fast"),
           keyPath: "buses.i2c1.frequency-hz", lineMarker: "frequency-hz: fast", problem: "expected a number", fix: "plain number"),
    Broken(name: "wrong type: mapping expected",
           yaml: mock(replacing: "  max-duty-cycle: 0.5\n  sample-rate-hz: { min: 100, max: 20000 }", with: "  max-duty-cycle: 0.5\n  sample-rate-hz: 20000"),
           keyPath: "limits.sample-rate-hz", lineMarker: "sample-rate-hz: 20000", problem: "expected a mapping", fix: "indent"),
    Broken(name: "quoted number",
           yaml: mock(replacing: "max-duty-cycle: 0.5", with: "max-duty-cycle: \"0.5\""),
           keyPath: "limits.max-duty-cycle", lineMarker: "max-duty-cycle", problem: "quoted", fix: "remove the quotes"),
    Broken(name: "unknown key with suggestion",
           yaml: mock(replacing: "address: 0x60", with: "adress: 0x60"),
           keyPath: "buses.i2c1.devices.dac0.adress", lineMarker: "adress: 0x60", problem: "unknown key 'adress'",
           fix: "did you mean 'address'?"),
    Broken(name: "unknown top-level key",
           yaml: mock(replacing: "limits:\n", with: "limit:\n"),
           keyPath: "limit", lineMarker: "limit:", problem: "unknown key 'limit'", fix: "did you mean 'limits'?"),
    Broken(name: "address out of range",
           yaml: mock(replacing: "address: 0x60", with: "address: 0x90"),
           keyPath: "buses.i2c1.devices.dac0.address", lineMarker: "address: 0x90",
           problem: "0x90 is not a 7-bit I2C address", fix: "between 0x03 and 0x77"),
    Broken(name: "address the chip cannot be strapped to",
           yaml: mock(replacing: "address: 0x60", with: "address: 0x48"),
           keyPath: "buses.i2c1.devices.dac0.address", lineMarker: "address: 0x48          # MCP4725",
           problem: "cannot be strapped to 0x48", fix: "0x60"),
    Broken(name: "duplicate address",
           yaml: mock(replacing: "  spi0:\n", with: """
                     monitor2:
                       compatible: ti,ads1015
                       address: 0x48
                       channels: { extra: { inputs: [ain1] } }
                 spi0:

               """),
           keyPath: "buses.i2c1.devices.monitor2.address", lineMarker: "address: 0x48\n",
           problem: "0x48 is already taken by monitor", fix: "another address"),
    Broken(name: "unknown compatible",
           yaml: mock(replacing: "compatible: microchip,mcp4725", with: "compatible: microchip,mcp4726"),
           keyPath: "buses.i2c1.devices.dac0.compatible", lineMarker: "microchip,mcp4726",
           problem: "unknown compatible 'microchip,mcp4726'", fix: "ti,ads1015, ti,ads1115, microchip,mcp3008"),
    Broken(name: "unquoted compatible in a flow mapping",
           yaml: mock(replacing: "        compatible: microchip,mcp4725\n        address: 0x60          # MCP4725A0 with A0 tied to GND\n        vref-volts: 3.3        # the MCP4725's reference is its VDD\n",
                      with: "        { compatible: microchip,mcp4725, vref-volts: 3.3 }\n").replacingOccurrences(of: "dac0:\n        {", with: "dac0: {"),
           keyPath: "buses.i2c1.devices.dac0.compatible", lineMarker: "dac0: {", problem: "only the vendor prefix",
           fix: "compatible: \"microchip,mcp4725\""),
    Broken(name: "address on an SPI chip",
           yaml: mock(replacing: "compatible: microchip,mcp3208\n", with: "compatible: microchip,mcp3208\n        address: 0x10\n"),
           keyPath: "buses.spi0.devices.adc0.address", lineMarker: "address: 0x10", problem: "SPI chip and has no address",
           fix: "remove address"),
    Broken(name: "SPI chip on an I2C bus",
           yaml: mock(replacing: "compatible: microchip,mcp4725\n        address: 0x60          # MCP4725A0 with A0 tied to GND\n",
                      with: "compatible: microchip,mcp3008\n"),
           keyPath: "buses.i2c1.devices.dac0.compatible", lineMarker: "microchip,mcp3008",
           problem: "is an spi chip, but bus i2c1 is i2c", fix: "kind: spi"),
    Broken(name: "invalid ADS1x15 mux pair",
           yaml: mock(replacing: "inputs: [ain0, gnd]", with: "inputs: [ain1, ain2]"),
           keyPath: "buses.i2c1.devices.monitor.channels.stimulus.inputs", lineMarker: "ain1, ain2",
           problem: "not in the ADS1x15 multiplexer table", fix: "[ain2, ain3]"),
    Broken(name: "invalid ADS1015 data rate",
           yaml: mock(replacing: "data-rate-sps: 1600", with: "data-rate-sps: 860"),
           keyPath: "buses.i2c1.devices.monitor.channels.stimulus.data-rate-sps", lineMarker: "data-rate-sps: 860",
           problem: "has no 860 SPS data rate", fix: "920"),
    Broken(name: "invalid PGA full scale",
           yaml: mock(replacing: "full-scale-volts: 2.048", with: "full-scale-volts: 3.3"),
           keyPath: "buses.i2c1.devices.monitor.channels.stimulus.full-scale-volts", lineMarker: "full-scale-volts: 3.3",
           problem: "not a PGA setting", fix: "6.144, 4.096, 2.048"),
    Broken(name: "invalid MCP3208 pseudo-differential pair",
           yaml: mock(replacing: "inputs: [ch0] }", with: "inputs: [ch1, ch2] }"),
           keyPath: "buses.spi0.devices.adc0.channels.membrane.inputs", lineMarker: "ch1, ch2",
           problem: "pseudo-differential", fix: "[ch0, ch1]"),
    Broken(name: "unresolvable neuron membrane",
           yaml: mock(replacing: "membrane: adc0/membrane  ", with: "membrane: adc0/membrain  "),
           keyPath: "neurons.n0.membrane", lineMarker: "adc0/membrain", problem: "no channel labelled 'membrain'",
           fix: "did you mean 'adc0/membrane'?"),
    Broken(name: "unresolvable stimulus DAC",
           yaml: mock(replacing: "stimulus: dac0 ", with: "stimulus: dac1 "),
           keyPath: "neurons.n0.stimulus", lineMarker: "stimulus: dac1", problem: "no device is named 'dac1'",
           fix: "did you mean 'dac0'?"),
    Broken(name: "stimulus is an ADC",
           yaml: mock(replacing: "stimulus: dac0 ", with: "stimulus: adc0 "),
           keyPath: "neurons.n0.stimulus", lineMarker: "stimulus: adc0", problem: "not a DAC", fix: "dac0"),
    Broken(name: "input line used as output",
           yaml: mock(replacing: "spike-out: spike-out   ", with: "spike-out: comparator   "),
           keyPath: "neurons.n0.spike-out", lineMarker: "spike-out: comparator", problem: "needs an output line",
           fix: "spike-out, stimulus-gate"),
    Broken(name: "edge on an output line",
           yaml: mock(replacing: "direction: output, initial: inactive }", with: "direction: output, edge: both }"),
           keyPath: "gpio.lines.spike-out.edge", lineMarker: "GPIO22", problem: "input lines only", fix: "remove edge"),
    Broken(name: "same physical line twice",
           yaml: mock(replacing: "line: GPIO22", with: "line: GPIO27"),
           keyPath: "gpio.lines.spike-out.line", lineMarker: "spike-out: { line: GPIO27", problem: "GPIO27 is already requested",
           fix: "another line"),
    Broken(name: "duplicate GPIO line name",
           yaml: mock(replacing: "    spike-out: { line: GPIO22", with: "    comparator: { line: GPIO22"),
           keyPath: "gpio.lines.comparator", lineMarker: "comparator: { line: GPIO22", problem: "appears twice", fix: "unique"),
    Broken(name: "min above max",
           yaml: mock(replacing: "stimulus-volts: { min: 0.0, max: 1.0 }", with: "stimulus-volts: { min: 1.0, max: 0.5 }"),
           keyPath: "limits.stimulus-volts.min", lineMarker: "min: 1.0, max: 0.5", problem: "is not below max", fix: "smaller than max"),
    Broken(name: "stimulus max above DAC vref",
           yaml: mock(replacing: "vref-volts: 3.3        # the MCP4725", with: "vref-volts: 2.7        # the MCP4725")
               .replacingOccurrences(of: "max: 1.0 }", with: "max: 3.0 }"),
           keyPath: "limits.stimulus-volts.max", lineMarker: "max: 3.0", problem: "above what dac0 can output (vref 2.7 V)",
           fix: "at most 2.7 V"),
    Broken(name: "stimulus max above the 5 V hard cap",
           yaml: mock(replacing: "max: 1.0 }", with: "max: 6.0 }"),
           keyPath: "limits.stimulus-volts.max", lineMarker: "max: 6.0", problem: "5 V hard cap", fix: "at most 5 V"),
    Broken(name: "sample rate above the ADC's capability",
           yaml: mock(replacing: "max: 20000 }", with: "max: 50000 }"),
           keyPath: "limits.sample-rate-hz.max", lineMarker: "max: 50000", problem: "faster than adc0/membrane",
           fix: "at most 41666 Hz"),
    Broken(name: "duty cycle zero",
           yaml: mock(replacing: "max-duty-cycle: 0.5", with: "max-duty-cycle: 0"),
           keyPath: "limits.max-duty-cycle", lineMarker: "max-duty-cycle: 0", problem: "allows no stimulus", fix: "(0, 1]"),
    Broken(name: "missing simulation section",
           yaml: String(mockText[..<mockText.range(of: "simulation:  ")!.lowerBound]),
           keyPath: "board.simulated", lineMarker: "simulated: true", problem: "needs a 'simulation' section",
           fix: "simulation: { model: device, seed: 1 }"),
    Broken(name: "unknown simulation model",
           yaml: mock(replacing: "model: device ", with: "model: devise "),
           keyPath: "simulation.model", lineMarker: "model: devise", problem: "'devise' is not a valid model",
           fix: "did you mean 'device'?"),
    Broken(name: "huge number",
           yaml: mock(replacing: "frequency-hz: 400000", with: "frequency-hz: 1e300"),
           keyPath: "buses.i2c1.frequency-hz", lineMarker: "1e300", problem: "far too large", fix: "realistic"),
    Broken(name: "huge integer",
           yaml: mock(replacing: "address: 0x60", with: "address: 123456789012345678901234567890"),
           keyPath: "buses.i2c1.devices.dac0.address", lineMarker: "1234567890", problem: "far too large", fix: "realistic"),
    Broken(name: "huge pulse width",
           yaml: mock(replacing: "max-pulse-width-ms: 20", with: "max-pulse-width-ms: 1e12"),
           keyPath: "limits.max-pulse-width-ms", lineMarker: "1e12", problem: "outside the accepted", fix: "between 0.001 and 60000 ms"),
    Broken(name: "negative capacitance",
           yaml: mock(replacing: "capacitance-pf: 300", with: "capacitance-pf: -300"),
           keyPath: "neurons.n0.capacitance-pf", lineMarker: "capacitance-pf: -300", problem: "-300 pF is outside", fix: "between 1 and"),
    Broken(name: "negative address",
           yaml: mock(replacing: "address: 0x60", with: "address: -1"),
           keyPath: "buses.i2c1.devices.dac0.address", lineMarker: "address: -1", problem: "-1 is not a 7-bit I2C address",
           fix: "0x60"),
    Broken(name: "leading-zero address",
           yaml: mock(replacing: "address: 0x60", with: "address: 060"),
           keyPath: "buses.i2c1.devices.dac0.address", lineMarker: "address: 060", problem: "octal", fix: "0x60 for hex"),
    Broken(name: "missing required key",
           yaml: mock(replacing: "        vref-volts: 3.3        # the MCP4725's reference is its VDD\n", with: ""),
           keyPath: "buses.i2c1.devices.dac0.vref-volts", lineMarker: "dac0:", problem: "'vref-volts' is missing",
           fix: "vref-volts: 3.3"),
    Broken(name: "comparator without threshold",
           yaml: mock(replacing: "  comparator-threshold-volts: 0.20\n", with: ""),
           keyPath: "neurons.n0.comparator", lineMarker: "comparator: comparator", problem: "threshold is not stated",
           fix: "comparator-threshold-volts"),
]

@Suite("Broken board files")
struct BrokenBoardTests {
    @Test(arguments: brokenBoards)
    func reportsKeyLineAndFix(_ case_: Broken) throws {
        let error: BoardError
        do {
            _ = try BoardLoader.parse(yaml: case_.yaml, source: "Boards/broken.yaml")
            Issue.record("\(case_.name) was accepted")
            return
        } catch let e {
            error = e
        }
        // The error (or one of the errors collected with it) names the key path and carries the line and fix.
        let all = error.all
        let match = try #require(
            all.first { $0.keyPath == case_.keyPath && $0.problem.contains(case_.problem) },
            "no error at \(case_.keyPath) saying \(case_.problem); got:\n\(error)")
        #expect(match.source == "Boards/broken.yaml")
        #expect(match.fix.contains(case_.fix), "fix lacks '\(case_.fix)': \(match.fix)")
        if let marker = case_.lineMarker {
            #expect(match.line == line(of: marker, in: case_.yaml), "\(match)")
            #expect(match.column != nil)
        }
        let message = match.message
        #expect(message.hasPrefix("Boards/broken.yaml:"))
        if !case_.keyPath.isEmpty { #expect(message.contains(": \(case_.keyPath): ")) }
        #expect(message.contains(" Fix: "))
    }

    @Test func messageFormat() {
        let yaml = mock(replacing: "address: 0x60", with: "address: 0x90")
        #expect { try BoardLoader.parse(yaml: yaml, source: "Boards/x.yaml") } throws: { error in
            let e = error as! BoardError
            let line = line(of: "address: 0x90", in: yaml)
            return e.description == "Boards/x.yaml:\(line):18: buses.i2c1.devices.dac0.address: 0x90 is not a 7-bit I2C address "
                + "(if 0x90 is the 8-bit write address, the 7-bit address is 0x48). "
                + "Fix: use a 7-bit address between 0x03 and 0x77, e.g. 0x60; the microchip,mcp4725 answers at "
                + "0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67"
        }
    }

    @Test func collectsSeveralProblemsInFileOrder() throws {
        let yaml = mock(replacing: "max: 20000 }", with: "max: 50000 }")
            .replacingOccurrences(of: "stimulus: dac0 ", with: "stimulus: dac9 ")
        do {
            _ = try BoardLoader.parse(yaml: yaml, source: "b.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.all.map(\.keyPath) == ["neurons.n0.stimulus", "limits.sample-rate-hz.max"])
            #expect(error.description.split(separator: "\n").count == 2)
        }
    }
}
