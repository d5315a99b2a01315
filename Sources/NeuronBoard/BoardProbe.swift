import NeuronHAL
import NeuronDrivers
import NeuronLinux
import NeuronSim
import Foundation

/// What `neuronctl probe` does: open every bus, check every chip (address ACK and a configuration read-back) and
/// every GPIO line of a board, and say for each what was found, or what is wrong and how to fix it.
///
/// A simulated board is probed through its simulated buses and chip models, a real one through the Linux backends.
/// Probing writes only what a bring-up would: the ADS1x15 configuration of the board's first channel (then one
/// single-shot conversion); it never writes a DAC (a read-back of the MCP4725 is enough to see it).
public enum BoardProbe {
    /// One line of the report.
    public struct Check: Sendable, Hashable {
        public enum Status: String, Sendable, Hashable {
            case ok, fault
            /// Not checked because what it sits on failed (its bus, its chip).
            case skipped
        }
        /// `i2c`, `spi`, `chip`, `gpio`.
        public var category: String
        /// The board file's name for it (`i2c1`, `dac0`, `comparator`).
        public var name: String
        /// Where it is (`/dev/i2c-1 @ 0x60`, `gpiochip0 line 27 (GPIO27)`).
        public var location: String
        public var status: Status
        /// What was found, or what went wrong.
        public var detail: String
        /// How to fix a fault (empty when ok).
        public var fix: String
    }

    public struct Report: Sendable, Hashable {
        public var board: String
        public var simulated: Bool
        public var checks: [Check]
        public var faults: [Check] { checks.filter { $0.status == .fault } }
        public var passed: Bool { faults.isEmpty }

        /// A fixed-width table, then one line per fault with its fix.
        public var text: String {
            let headers = ["what", "name", "where", "status", "detail"]
            let rows = checks.map { [$0.category, $0.name, $0.location, $0.status == .ok ? "ok" : $0.status == .fault ? "FAULT" : "skipped", $0.detail] }
            var widths = headers.map(\.count)
            for row in rows { for (i, cell) in row.enumerated() where i < 4 { widths[i] = max(widths[i], cell.count) } }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { i, c in i < 4 ? c.padding(to: widths[i]) : c }.joined(separator: "  ")
            }
            var out = "probe of board \(board) (\(simulated ? "simulated" : "Linux backends"))\n"
            out += line(headers) + "\n"
            for row in rows { out += line(row) + "\n" }
            if passed {
                out += "all \(checks.count) checks passed\n"
            } else {
                out += "\(faults.count) fault(s):\n"
                for f in faults { out += "  \(f.category) \(f.name) at \(f.location): \(f.detail) Fix: \(f.fix)\n" }
            }
            return out
        }
    }

    /// Probes `board`. Never throws: every failure becomes a fault in the report.
    public static func run(_ board: BoardDescription) -> Report {
        var checks: [Check] = []
        if board.board.simulated {
            let sim = SimulatedBoard(board, overrides: BoardRuntime.SimulationOverrides())
            for bus in board.buses {
                switch bus.kind {
                case .i2c:
                    let simBus = sim.i2cBuses[bus.name]!
                    checks.append(Check(category: "i2c", name: bus.name, location: simBus.name, status: .ok, detail: "simulated adapter", fix: ""))
                    for device in bus.devices { checks.append(probeI2C(device, bus: simBus, busPath: simBus.name, clock: sim.clock)) }
                case .spi:
                    for device in bus.devices {
                        let dev = sim.spiDevices[device.name]!
                        checks.append(Check(category: "spi", name: bus.name, location: "sim:\(bus.name)", status: .ok, detail: "simulated spidev, mode 0", fix: ""))
                        checks.append(probeSPI(device, device: dev, busPath: "sim:\(bus.name)"))
                    }
                }
            }
            for line in board.gpio?.lines ?? [] {
                let present = line.direction == .input
                    ? sim.gpio.inputLine(named: line.name) != nil : sim.gpio.outputLine(named: line.name) != nil
                checks.append(Check(
                    category: "gpio", name: line.name, location: "\(sim.gpio.name) \(line.line)",
                    status: present ? .ok : .fault,
                    detail: present ? "simulated \(line.direction.rawValue)\(line.activeLow ? ", active-low" : "")" : "not simulated",
                    fix: present ? "" : "report a bug: every board line should be simulated"))
            }
        } else {
            for bus in board.buses {
                switch bus.settings {
                case .i2c:
                    let opened: LinuxI2CBus
                    do throws(HardwareError) {
                        opened = try LinuxI2CBus(path: bus.device)
                    } catch {
                        checks.append(fault("i2c", bus.name, bus.device, error))
                        for device in bus.devices {
                            checks.append(Check(category: "chip", name: device.name, location: "\(bus.device) @ \(device.address.map { "\($0)" } ?? "?")",
                                                status: .skipped, detail: "not checked: its bus did not open", fix: ""))
                        }
                        continue
                    }
                    let smbusOnly = !opened.functionality.contains(.i2c)
                    checks.append(Check(category: "i2c", name: bus.name, location: bus.device, status: .ok,
                                        detail: smbusOnly ? "open; adapter speaks SMBus only (no I2C_RDWR)" : "open; I2C and SMBus", fix: ""))
                    for device in bus.devices {
                        checks.append(probeI2C(device, bus: opened, busPath: bus.device, clock: LinuxClock()))
                    }
                case .spi(let mode, let speed):
                    let opened: LinuxSPIDevice
                    do throws(HardwareError) {
                        opened = try LinuxSPIDevice(path: bus.device, mode: mode, maxSpeed: speed)
                    } catch {
                        checks.append(fault("spi", bus.name, bus.device, error))
                        continue
                    }
                    checks.append(Check(category: "spi", name: bus.name, location: bus.device, status: .ok,
                                        detail: "open; mode \(opened.mode), \(Int(opened.speed.hertz)) Hz", fix: ""))
                    for device in bus.devices { checks.append(probeSPI(device, device: opened, busPath: bus.device)) }
                }
            }
            if let gpio = board.gpio { checks += probeGPIO(gpio) }
        }
        return Report(board: board.board.name, simulated: board.board.simulated, checks: checks)
    }

    static func fault(_ category: String, _ name: String, _ location: String, _ error: HardwareError) -> Check {
        let parts = error.message.components(separatedBy: " Fix: ")
        let errno = error.errno.map { " (errno \($0))" } ?? ""
        let detail = "\(error.operation): \(error.kind)\(errno): \(parts[0])"
        return Check(category: category, name: name, location: error.device.isEmpty ? location : error.device, status: .fault,
                     detail: detail, fix: parts.count > 1 ? parts[1] : fixFor(error.kind))
    }

    static func fixFor(_ kind: HardwareError.Kind) -> String {
        if kind.isNoAcknowledge { return "check the address pins, power, SDA/SCL wiring and pull-ups (i2cdetect -y N lists what answers)" }
        if kind == .protocolViolation { return "check MISO/MOSI/SCLK/CS wiring and that the chip is powered" }
        return "check the wiring and the board file"
    }

    static func probeI2C<Bus: I2CBus, Clock: MonotonicClock>(_ device: Device, bus: Bus, busPath: String, clock: Clock) -> Check {
        let address = device.address!
        let location = "\(busPath) @ \(address)"
        switch device.configuration {
        case .mcp4725(let c):
            let dac = MCP4725(bus: bus, address: address, reference: c.reference, clock: clock)
            do throws(HardwareError) {
                let s = try dac.readBack()
                return Check(category: "chip", name: device.name, location: location, status: .ok,
                             detail: "MCP4725 ACK; DAC code \(s.code.value), power-down \(s.powerDown), \(s.ready ? "EEPROM ready" : "EEPROM busy")",
                             fix: "")
            } catch where error.kind == .unsupported {
                // SMBus-only adapter: the 5-byte read has no SMBus form; the 1-byte read (RDY/BSY, POR, PD) has.
                do throws(HardwareError) {
                    let b: InlineArray<1, UInt8> = try bus.read(address)
                    let pd = (b[0] >> 1) & 0x3
                    return Check(category: "chip", name: device.name, location: location, status: .ok,
                                 detail: "MCP4725 ACK; status \(hex(b[0])) (RDY \(b[0] >> 7), POR \((b[0] >> 6) & 1), PD \(pd)); full read-back needs I2C_RDWR, which this adapter lacks",
                                 fix: "")
                } catch {
                    return fault("chip", device.name, location, error)
                }
            } catch {
                return fault("chip", device.name, location, error)
            }
        case .ads1x15(let c):
            let variant: ADS1x15Variant = c.chip == .ads1115 ? .ads1115 : .ads1015
            let adc = ADS1x15(bus: bus, address: address, variant: variant, clock: clock)
            do throws(HardwareError) {
                let before = try adc.readConfig()
                guard let ch = c.channels.first else {
                    return Check(category: "chip", name: device.name, location: location, status: .ok,
                                 detail: "\(variant) ACK; config \(before)", fix: "")
                }
                var wanted = before
                wanted.os = .noEffect
                wanted.mux = SimulatedBoard.mux(ch.positive, ch.negative)
                wanted.pga = SimulatedBoard.pga(ch.fullScale)
                wanted.mode = .singleShot
                wanted.dataRate = variant.dataRate(samplesPerSecond: Int(ch.dataRate.hertz)) ?? .reset
                try adc.configure(wanted)
                let back = try adc.readConfig()
                guard back.encode() & 0x7FFF == wanted.encode() & 0x7FFF else {
                    return Check(category: "chip", name: device.name, location: location, status: .fault,
                                 detail: "\(variant) config read back as 0x\(String(back.encode(), radix: 16)), wrote 0x\(String(wanted.encode(), radix: 16))",
                                 fix: "another chip may answer at \(address), or the compatible is wrong (ADS1015 vs ADS1115)")
                }
                let v = try adc.readSingleShot(mux: wanted.mux, pga: wanted.pga, rate: wanted.dataRate)
                return Check(category: "chip", name: device.name, location: location, status: .ok,
                             detail: "\(variant) ACK; config read back 0x\(String(back.encode() & 0x7FFF, radix: 16)); \(ch.label) = \(formatted(v.volts, digits: 4)) V",
                             fix: "")
            } catch {
                return fault("chip", device.name, location, error)
            }
        case .mcp4728(let c):
            let dac = MCP4728(bus: bus, address: address, vdd: c.vdd, clock: clock)
            do throws(HardwareError) {
                let s = try dac.readBack()
                let codes = s.map { "\($0.register.channel) \($0.register.code.value)\($0.register.powerDown == .normal ? "" : " (off)")" }
                return Check(category: "chip", name: device.name, location: location, status: .ok,
                             detail: "MCP4728 ACK; codes \(codes.joined(separator: ", "))", fix: "")
            } catch {
                return fault("chip", device.name, location, error)
            }
        case .tmp102:
            let sensor = TMP102(bus: bus, address: address)
            do throws(HardwareError) {
                let t = try sensor.readTemperature()
                return Check(category: "chip", name: device.name, location: location, status: .ok,
                             detail: "TMP102 ACK; \(formatted(t.celsius, digits: 2)) °C", fix: "")
            } catch {
                return fault("chip", device.name, location, error)
            }
        case .mcp3x08:
            return Check(category: "chip", name: device.name, location: location, status: .fault,
                         detail: "an SPI chip on an I2C bus", fix: "move it under an spi bus")
        }
    }

    static func probeSPI<Dev: SPIDevice>(_ device: Device, device dev: Dev, busPath: String) -> Check {
        guard case .mcp3x08(let c) = device.configuration else {
            return Check(category: "chip", name: device.name, location: busPath, status: .fault, detail: "not an SPI chip", fix: "move it under an i2c bus")
        }
        let variant: MCP3x08Variant = c.chip == .mcp3008 ? .mcp3008 : .mcp3208
        let adc = MCP3x08(device: dev, variant: variant, reference: c.reference)
        let ch = c.channels.first
        do throws(HardwareError) {
            let code = try adc.readRaw(channel: ch?.positive.index ?? 0, singleEnded: ch?.negative == nil)
            let v = MCP3x08Wire.voltage(for: code, reference: c.reference)
            return Check(category: "chip", name: device.name, location: busPath, status: .ok,
                         detail: "\(variant) null bit 0; \(ch?.label ?? "ch0") = code \(code.value) (\(formatted(v.volts, digits: 4)) V)", fix: "")
        } catch {
            var f = fault("chip", device.name, busPath, error)
            if error.kind == .protocolViolation {
                f.fix = "MISO read 1 where the null bit must be 0: check MISO, CS and power; an SPI ADC cannot acknowledge, so this is the only sign of life"
            }
            return f
        }
    }

    static func probeGPIO(_ gpio: GPIOConfiguration) -> [Check] {
        let chip: (path: String, name: String, label: String, lines: Int)
        do throws(HardwareError) {
            chip = try GPIODChipInfo.chip(gpio.chip)
        } catch {
            var f = fault("gpio", gpio.chip, gpio.chip, error)
            f.fix = "check `gpio.chip` against `gpiodetect` (a Raspberry Pi 5's header is gpiochip0 since kernel 6.6.47, gpiochip4 before; its label pinctrl-rp1 works on both)"
            return [f] + gpio.lines.map {
                Check(category: "gpio", name: $0.name, location: "\(gpio.chip) \($0.line)", status: .skipped, detail: "not checked: the chip did not open", fix: "")
            }
        }
        var checks = [Check(category: "gpio", name: "chip", location: chip.path, status: .ok,
                            detail: "\(chip.name) [\(chip.label)], \(chip.lines) lines; libgpiod \(GPIODLibrary.version) (API v\(GPIODLibrary.api))", fix: "")]
        for line in gpio.lines {
            let location = "\(chip.name) \(line.line)"
            do throws(HardwareError) {
                let offset = try GPIODLineRequest.offset(of: LinuxBoard.lineID(line.line), chipPath: chip.path)
                let info = try GPIODChipInfo.line(chipPath: chip.path, offset: offset)
                if info.used {
                    checks.append(Check(category: "gpio", name: line.name, location: "\(chip.name) line \(offset) (\(info.name))", status: .fault,
                                        detail: "in use by '\(info.consumer)'",
                                        fix: "stop the program holding it (gpioinfo shows it) or disable the overlay that claims it"))
                    continue
                }
                let request = try GPIODLineRequest(chip: chip.path, line: .offset(offset), consumer: line.consumer, settings: LinuxBoard.settings(line))
                let value = try request.get()
                request.release()
                checks.append(Check(category: "gpio", name: line.name, location: "\(chip.name) line \(offset) (\(info.name.isEmpty ? "unnamed" : info.name))", status: .ok,
                                    detail: "requested as \(line.direction.rawValue)\(line.activeLow ? ", active-low" : "")\(line.edge != .none ? ", edge \(line.edge.rawValue)" : ""); reads \(value == .active ? "active" : "inactive")",
                                    fix: ""))
            } catch {
                checks.append(fault("gpio", line.name, location, error))
            }
        }
        return checks
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
