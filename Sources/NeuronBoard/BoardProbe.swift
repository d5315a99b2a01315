package import NeuronHAL
import NeuronDrivers
import Foundation

/// What `neuronctl probe` does: open every bus, check every chip (address ACK and a configuration read-back) and
/// every GPIO line of a board, and say for each what was found, or what is wrong and how to fix it.
///
/// A simulated board is probed through its simulated buses and chip models (`BoardProbe.simulated`, in
/// NeuronBoardSim), a real one through the Linux backends (`BoardProbe.linux`, in NeuronBoardLinux); both check the
/// chips with the same code, over their own bus types.
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

        package init(category: String, name: String, location: String, status: Status, detail: String, fix: String) {
            self.category = category
            self.name = name
            self.location = location
            self.status = status
            self.detail = detail
            self.fix = fix
        }
    }

    public struct Report: Sendable, Hashable {
        public var board: String
        public var simulated: Bool
        public var checks: [Check]

        package init(board: String, simulated: Bool, checks: [Check]) {
            self.board = board
            self.simulated = simulated
            self.checks = checks
        }

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

    package static func fault(_ category: String, _ name: String, _ location: String, _ error: HardwareError) -> Check {
        let parts = error.message.components(separatedBy: " Fix: ")
        let errno = error.errno.map { " (errno \($0))" } ?? ""
        let detail = "\(error.operation): \(error.kind)\(errno): \(parts[0])"
        return Check(category: category, name: name, location: error.device.isEmpty ? location : error.device, status: .fault,
                     detail: detail, fix: parts.count > 1 ? parts[1] : fixFor(error.kind))
    }

    package static func fixFor(_ kind: HardwareError.Kind) -> String {
        if kind.isNoAcknowledge { return "check the address pins, power, SDA/SCL wiring and pull-ups (i2cdetect -y N lists what answers)" }
        if kind == .protocolViolation { return "check MISO/MOSI/SCLK/CS wiring and that the chip is powered" }
        return "check the wiring and the board file"
    }

    package static func probeI2C<Bus: I2CBus, Clock: MonotonicClock>(_ device: Device, bus: Bus, busPath: String, clock: Clock) -> Check {
        guard let address = device.address else {
            return Check(category: "chip", name: device.name, location: busPath, status: .fault,
                         detail: "an I2C chip without an address", fix: "give it an `address` (or load the board through BoardLoader, which fills in the default)")
        }
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
                wanted.mux = ADS1x15Settings.mux(ch.positive, ch.negative)
                wanted.pga = ADS1x15Settings.pga(ch.fullScale)
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

    package static func probeSPI<Dev: SPIDevice>(_ device: Device, device dev: Dev, busPath: String) -> Check {
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
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
