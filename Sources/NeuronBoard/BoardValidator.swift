import NeuronConfig
import NeuronHAL

/// One cross-reference or limit problem, found after decoding.
struct Issue {
    var path: [String]
    var problem: String
    var fix: String
}

/// The checks that need the whole board: bus kinds, address clashes, references, limits against the chips.
/// Collects every problem instead of stopping at the first.
struct BoardValidator {
    let board: BoardDescription
    var issues: [Issue] = []

    init(board: BoardDescription) { self.board = board }

    func validate() -> [Issue] {
        var v = self
        v.checkBoard()
        v.checkBuses()
        v.checkGPIO()
        v.checkNeurons()
        v.checkLimits()
        return v.issues
    }

    private mutating func report(_ path: [String], _ problem: String, fix: String) {
        issues.append(Issue(path: path, problem: problem, fix: fix))
    }

    private mutating func checkBoard() {
        if board.board.simulated && board.simulation == nil {
            report(["board", "simulated"], "a simulated board needs a 'simulation' section.",
                   fix: "add `simulation: { model: device, seed: 1 }` at the top level, or set simulated: false")
        }
        if !board.board.simulated && board.simulation != nil {
            report(["simulation"], "'simulation' applies only to simulated boards.",
                   fix: "remove the simulation section, or set board.simulated: true")
        }
        if board.buses.isEmpty {
            report(["buses"], "the board has no buses.", fix: "add at least an I2C or SPI bus with the stimulus DAC and membrane ADC")
        }
        if board.neurons.isEmpty {
            report(["neurons"], "the board describes no neuron.", fix: "add `neurons: { n0: { id: 0, stimulus: dac0, membrane: adc0/membrane } }`")
        }
    }

    private mutating func checkBuses() {
        var devicePaths: [String: String] = [:]
        var deviceNames: [String: String] = [:]
        for bus in board.buses {
            let busPath = ["buses", bus.name]
            let prefix = bus.kind == .i2c ? "/dev/i2c-" : "/dev/spidev"
            if !bus.device.hasPrefix(prefix) {
                let example = bus.kind == .i2c ? "/dev/i2c-1" : "/dev/spidev0.0"
                report(busPath + ["device"], "'\(bus.device)' is not an \(bus.kind) device node.", fix: "use \(prefix)…, e.g. \(example)")
            }
            if let other = devicePaths[bus.device] {
                report(busPath + ["device"], "\(bus.device) is already used by bus \(other).", fix: "give each bus its own device node")
            } else {
                devicePaths[bus.device] = bus.name
            }
            if bus.kind == .spi && bus.devices.count > 1 {
                report(busPath + ["devices"], "a spidev node has one chip select, but \(bus.devices.count) devices are listed.",
                       fix: "give each chip its own spi bus entry (e.g. /dev/spidev0.0 and /dev/spidev0.1)")
            }
            var addresses: [I2CAddress: String] = [:]
            for device in bus.devices {
                let path = busPath + ["devices", device.name]
                let binding = device.binding
                if let other = deviceNames[device.name] {
                    report(path, "the device name '\(device.name)' is also used on bus \(other).",
                           fix: "device names must be unique across the board; rename one")
                } else {
                    deviceNames[device.name] = bus.name
                }
                if binding.bus != bus.kind {
                    report(path + ["compatible"], "the \(device.compatible) is an \(binding.bus) chip, but bus \(bus.name) is \(bus.kind).",
                           fix: "move \(device.name) under a bus with kind: \(binding.bus)")
                    continue
                }
                if let address = device.address {
                    if let other = addresses[address] {
                        report(path + ["address"], "\(address) is already taken by \(other) on \(bus.name).",
                               fix: "strap one of the chips to another address (the \(device.compatible) offers \(binding.addresses.map(hex).joined(separator: ", ")))")
                    } else {
                        addresses[address] = device.name
                    }
                }
                if bus.clock > binding.maxBusClock {
                    let key = bus.kind == .i2c ? "frequency-hz" : "max-speed-hz"
                    report(busPath + [key], "\(ConfigText.number(bus.clock.hertz)) Hz is faster than the \(device.compatible) accepts (\(ConfigText.number(binding.maxBusClock.hertz)) Hz).",
                           fix: "lower \(key) to at most \(ConfigText.number(binding.maxBusClock.hertz))")
                }
                if case .spi(let mode, _) = bus.settings, binding.bus == .spi, mode != 0 && mode != 3 {
                    report(busPath + ["mode"], "the \(device.compatible) works in SPI mode 0 or 3, not \(mode).", fix: "use mode: 0")
                }
                if binding.kind == .adc && device.channels.isEmpty {
                    report(path, "the ADC \(device.name) has no channels.",
                           fix: "add `channels: { membrane: { inputs: [\(binding.bus == .spi ? "ch0" : "ain0, gnd")] } }`")
                }
            }
        }
    }

    private mutating func checkGPIO() {
        guard let gpio = board.gpio else { return }
        var seen: [GPIOLine.LineID: String] = [:]
        for line in gpio.lines {
            if let other = seen[line.line] {
                report(["gpio", "lines", line.name, "line"], "\(line.line) is already requested as '\(other)'.",
                       fix: "each physical line may appear once; use another line")
            } else {
                seen[line.line] = line.name
            }
        }
    }

    /// `dac0`, or `dac1/a` for a quad DAC's output.
    private func stimulusKey(_ neuron: NeuronChannel) -> String {
        neuron.stimulus + (neuron.stimulusChannel.map { "/\($0)" } ?? "")
    }

    private mutating func checkNeurons() {
        var ids: [Int: String] = [:]
        var dacs: [String: String] = [:], membranes: [String: String] = [:], lineRoles: [String: String] = [:]
        for neuron in board.neurons {
            let path = ["neurons", neuron.name]
            if let other = ids[neuron.id] {
                report(path + ["id"], "id \(neuron.id) is already used by neuron \(other).", fix: "give each neuron its own id")
            } else {
                ids[neuron.id] = neuron.name
            }
            // Stimulus DAC.
            let dacNames = allDevices(of: .dac)
            if let (_, device) = board.device(named: neuron.stimulus) {
                if device.kind != .dac {
                    report(path + ["stimulus"], "\(neuron.stimulus) is \(device.kind == .sensor ? "a sensor" : "an \(device.kind.rawValue.uppercased())") (\(device.compatible)), not a DAC.",
                           fix: "use a DAC node: \(listing(dacNames))")
                } else if case .mcp4728 = device.configuration, !MCP4728Configuration.channelLabels.contains(neuron.stimulusChannel ?? "") {
                    let given = neuron.stimulusChannel.map { "has no output '\($0)'" } ?? "is a quad DAC: name one of its outputs"
                    report(path + ["stimulus"], "\(neuron.stimulus) (\(device.compatible)) \(given).",
                           fix: "write \(neuron.stimulus)/a, \(neuron.stimulus)/b, \(neuron.stimulus)/c or \(neuron.stimulus)/d")
                } else if neuron.stimulusChannel != nil, device.compatible != .mcp4728 {
                    report(path + ["stimulus"], "\(neuron.stimulus) (\(device.compatible)) has a single output.",
                           fix: "write stimulus: \(neuron.stimulus)")
                } else if let other = dacs[stimulusKey(neuron)] {
                    report(path + ["stimulus"], "\(stimulusKey(neuron)) already drives neuron \(other).",
                           fix: "give each neuron its own DAC\(device.compatible == .mcp4728 ? " output" : "")")
                } else {
                    dacs[stimulusKey(neuron)] = neuron.name
                }
            } else {
                report(path + ["stimulus"], "no device is named '\(neuron.stimulus)'.",
                       fix: suggestion(neuron.stimulus, in: dacNames, what: "a DAC node"))
            }
            // Membrane ADC channel.
            let ref = neuron.membrane
            if let (_, device) = board.device(named: ref.device) {
                if device.kind != .adc {
                    report(path + ["membrane"], "\(ref.device) is a \(device.kind.rawValue.uppercased()) (\(device.compatible)), not an ADC.",
                           fix: "use an ADC channel: \(listing(allChannels()))")
                } else if device.channel(labeled: ref.channel) == nil {
                    let labels = device.channels.map { "\(ref.device)/\($0.label)" }
                    report(path + ["membrane"], "\(ref.device) has no channel labelled '\(ref.channel)'.",
                           fix: suggestion(ref.description, in: labels, what: "one of its channels"))
                } else if let other = membranes[ref.description] {
                    report(path + ["membrane"], "\(ref) already samples neuron \(other).", fix: "give each neuron its own ADC channel")
                } else {
                    membranes[ref.description] = neuron.name
                }
            } else {
                report(path + ["membrane"], "no device is named '\(ref.device)'.",
                       fix: suggestion(ref.description, in: allChannels(), what: "an ADC channel"))
            }
            // Lines.
            checkLine(neuron.comparator, role: "comparator", direction: .input, neuron: neuron, roles: &lineRoles)
            checkLine(neuron.spikeOut, role: "spike-out", direction: .output, neuron: neuron, roles: &lineRoles)
            checkLine(neuron.stimulusGate, role: "stimulus-gate", direction: .output, neuron: neuron, roles: &lineRoles,
                      shareable: true)
            if neuron.comparator != nil && board.frontEnd.comparatorThreshold == nil {
                report(path + ["comparator"], "neuron \(neuron.name) uses a comparator, but its threshold is not stated.",
                       fix: "add `comparator-threshold-volts: 0.2` under front-end (the trip point of the comparator hardware)")
            }
        }
    }

    private mutating func checkLine(
        _ name: String?, role: String, direction: GPIOLine.Direction, neuron: NeuronChannel,
        roles: inout [String: String], shareable: Bool = false
    ) {
        guard let name else { return }
        let path = ["neurons", neuron.name, role]
        let candidates = board.gpio?.lines.filter { $0.direction == direction }.map(\.name) ?? []
        guard let line = board.line(named: name) else {
            let hint = board.gpio == nil ? "add a gpio section with a line named \(name)" : suggestion(name, in: candidates, what: "an \(direction.rawValue) line")
            report(path, "no GPIO line is named '\(name)'.", fix: hint)
            return
        }
        if line.direction != direction {
            report(path, "\(role) needs an \(direction.rawValue) line, but '\(name)' is an \(line.direction.rawValue).",
                   fix: candidates.isEmpty
                       ? "set direction: \(direction.rawValue) on gpio.lines.\(name)"
                       : "use an \(direction.rawValue) line (\(listing(candidates))) or set direction: \(direction.rawValue) on gpio.lines.\(name)")
            return
        }
        if role == "comparator" && line.edge == .none {
            report(["gpio", "lines", name], "the comparator line \(name) has no edge detection.",
                   fix: "add `edge: rising` (or both) so spikes arrive as timestamped edges")
        }
        let key = name
        if let other = roles[key], !(shareable && other.hasSuffix("stimulus-gate")) {
            report(path, "line '\(name)' is already used as \(other).", fix: "give each role its own line")
        } else {
            roles[key] = "\(neuron.name).\(role)"
        }
    }

    private mutating func checkLimits() {
        let limits = board.limits
        let stimulusPath = ["limits", "stimulus-volts", "max"]
        if limits.stimulus.upperBound > Limits.stimulusHardCap {
            report(stimulusPath, "\(ConfigText.number(limits.stimulus.upperBound.volts)) V is above the 5 V hard cap on any stimulus.",
                   fix: "use at most 5 V (the device switches well below 1 V)")
        }
        for neuron in board.neurons {
            if let (_, dac) = board.device(named: neuron.stimulus), dac.kind == .dac, let vref = dac.reference,
               limits.stimulus.upperBound > vref {
                report(stimulusPath, "\(ConfigText.number(limits.stimulus.upperBound.volts)) V is above what \(dac.name) can output (vref \(ConfigText.number(vref.volts)) V).",
                       fix: "lower the max to at most \(ConfigText.number(vref.volts)) V, or raise vref-volts on \(dac.name) if its supply is higher")
            }
            if let (_, adc) = board.device(named: neuron.membrane.device), adc.kind == .adc,
               let channel = adc.channel(labeled: neuron.membrane.channel) {
                var capability = min(channel.maxSampleRate, adc.binding.maxSampleRate!)
                var why = channel.maxSampleRate < adc.binding.maxSampleRate! ? "its data-rate-sps" : "the datasheet maximum"
                if let (bus, _) = board.device(named: adc.name), bus.kind == .spi {
                    let perSpi = Frequency.hertz((bus.clock.hertz / 24).rounded(.down))  // 3-byte transfer per conversion
                    if perSpi < capability { capability = perSpi; why = "24 SCLK cycles per conversion at max-speed-hz \(ConfigText.number(bus.clock.hertz))" }
                }
                if limits.sampleRate.upperBound > capability {
                    report(["limits", "sample-rate-hz", "max"],
                           "\(ConfigText.number(limits.sampleRate.upperBound.hertz)) Hz is faster than \(adc.name)/\(channel.label) (\(adc.compatible)) can sample: \(ConfigText.number(capability.hertz)) Hz, set by \(why).",
                           fix: "lower the max to at most \(ConfigText.number(capability.hertz)) Hz")
                }
                let atPin = limits.stimulus.upperBound.volts * board.frontEnd.membrane.gain
                if atPin > channel.span.volts * (1 + 1e-9) {
                    report(["limits", "stimulus-volts", "max"],
                           "a membrane at \(ConfigText.number(limits.stimulus.upperBound.volts)) V reaches \(formatted(atPin, digits: 3)) V at \(adc.name)/\(channel.label), beyond its \(ConfigText.number(channel.span.volts)) V span, so the ADC would clip.",
                           fix: "lower the stimulus max, add a divider under front-end.membrane, or pick a larger full scale")
                }
            }
        }
        if let threshold = board.frontEnd.comparatorThreshold, threshold >= limits.stimulus.upperBound {
            report(["front-end", "comparator-threshold-volts"],
                   "the comparator trips at \(ConfigText.number(threshold.volts)) V, which the stimulus max (\(ConfigText.number(limits.stimulus.upperBound.volts)) V) can never reach.",
                   fix: "set the threshold below the stimulus max")
        }
    }

    // MARK: Helpers

    private func allDevices(of kind: DeviceKind) -> [String] {
        board.buses.flatMap(\.devices).filter { $0.kind == kind }.map(\.name)
    }

    private func allChannels() -> [String] {
        board.buses.flatMap(\.devices).filter { $0.kind == .adc }.flatMap { d in d.channels.map { "\(d.name)/\($0.label)" } }
    }

    private func listing(_ names: [String]) -> String {
        names.isEmpty ? "none is defined" : names.joined(separator: ", ")
    }

    private func suggestion(_ name: String, in candidates: [String], what: String) -> String {
        if let near = ConfigText.closest(to: name, in: candidates) { return "did you mean '\(near)'? Use \(what): \(listing(candidates))" }
        return candidates.isEmpty ? "define \(what) first" : "use \(what): \(listing(candidates))"
    }
}
