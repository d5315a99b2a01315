public import NeuronBoard
import NeuronHAL
import NeuronLinux

extension BoardProbe {
    /// Probes the hardware board `board` through the Linux backends: opens each bus, checks each chip and requests
    /// each GPIO line once. Never throws: every failure becomes a fault in the report.
    public static func linux(_ board: BoardDescription) -> Report {
        var checks: [Check] = []
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
        return Report(board: board.board.name, simulated: false, checks: checks)
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
