public import NeuronBoard
import NeuronHAL

extension BoardProbe {
    /// Probes the simulated board `board` through its simulated buses and chip models. Never throws: every failure
    /// becomes a fault in the report.
    public static func simulated(_ board: BoardDescription) -> Report {
        var checks: [Check] = []
        let sim = SimulatedBoard(board, overrides: BoardRuntime.SimulationOverrides())
        for bus in board.buses {
            switch bus.kind {
            case .i2c:
                guard let simBus = sim.i2cBuses[bus.name] else {
                    checks.append(notSimulated("i2c", bus.name, "sim:\(bus.name)"))
                    continue
                }
                checks.append(Check(category: "i2c", name: bus.name, location: simBus.name, status: .ok, detail: "simulated adapter", fix: ""))
                for device in bus.devices { checks.append(probeI2C(device, bus: simBus, busPath: simBus.name, clock: sim.clock)) }
            case .spi:
                for device in bus.devices {
                    guard let dev = sim.spiDevices[device.name] else {
                        checks.append(notSimulated("spi", bus.name, "sim:\(bus.name)"))
                        continue
                    }
                    checks.append(Check(category: "spi", name: bus.name, location: "sim:\(bus.name)", status: .ok, detail: "simulated spidev, mode 0", fix: ""))
                    checks.append(probeSPI(device, device: dev, busPath: "sim:\(bus.name)"))
                }
            }
        }
        for line in board.gpio?.lines ?? [] {
            let present = line.direction == .input
                ? sim.gpio.inputLine(named: line.name) != nil : sim.gpio.outputLine(named: line.name) != nil
            checks.append(present
                ? Check(category: "gpio", name: line.name, location: "\(sim.gpio.name) \(line.line)", status: .ok,
                        detail: "simulated \(line.direction.rawValue)\(line.activeLow ? ", active-low" : "")", fix: "")
                : notSimulated("gpio", line.name, "\(sim.gpio.name) \(line.line)"))
        }
        return Report(board: board.board.name, simulated: true, checks: checks)
    }

    private static func notSimulated(_ category: String, _ name: String, _ location: String) -> Check {
        Check(category: category, name: name, location: location, status: .fault, detail: "not simulated",
              fix: "report a bug: every bus, chip and line of a board should be simulated")
    }
}
