import NeuronConfig
import NeuronHAL

extension BoardDescription {
    /// A human-readable overview for `neuronctl board validate FILE`: buses, chips, lines, neurons, limits.
    public var summary: String {
        var out: [String] = []
        let kind = board.simulated ? "simulated" : "hardware"
        out.append("board \(board.name) (\(kind)) from \(source)")
        if let d = board.description { out.append("  \(d)") }
        out.append("buses:")
        for bus in buses {
            switch bus.settings {
            case .i2c(let f, let quirks):
                let q = quirks.isEmpty ? "" : ", quirks: \(quirks.map(\.rawValue).joined(separator: ", "))"
                out.append("  \(bus.name): i2c \(bus.device) at \(ConfigText.number(f.hertz)) Hz\(q)")
            case .spi(let mode, let f):
                out.append("  \(bus.name): spi \(bus.device) mode \(mode) at up to \(ConfigText.number(f.hertz)) Hz")
            }
            for device in bus.devices {
                out += Self.summaryLines(of: device)
            }
        }
        if let gpio {
            out.append("gpio \(gpio.chip):")
            for line in gpio.lines {
                var detail = "\(line.direction.rawValue)"
                if line.direction == .input { detail += ", edge \(line.edge.rawValue)" }
                if line.direction == .output { detail += ", initial \(line.initial.isActive ? "active" : "inactive")" }
                if line.activeLow { detail += ", active-low" }
                out.append("  \(line.name): \(line.line) (\(detail))")
            }
        }
        let m = frontEnd.membrane
        var fe = "front end: membrane gain \(formatted(m.gain, digits: 3))"
        if let d = m.divider { fe += " (buffer \(ConfigText.number(m.bufferGain)) × divider \(ConfigText.number(d.output.ohms))/\(ConfigText.number(d.full.ohms)) Ω)" }
        if let z = m.inputImpedance { fe += ", input \(z)" }
        if let t = frontEnd.comparatorThreshold { fe += ", comparator at \(t)" }
        out.append(fe)
        out.append("neurons:")
        for n in neurons {
            var roles = "stimulus \(n.stimulus)\(n.stimulusChannel.map { "/\($0)" } ?? ""), membrane \(n.membrane)"
            if let c = n.comparator { roles += ", comparator \(c)" }
            if let s = n.spikeOut { roles += ", spike-out \(s)" }
            if let g = n.stimulusGate { roles += ", gate \(g)" }
            out.append("  \(n.name) (id \(n.id), \(n.capacitance)): \(roles)")
        }
        let l = limits
        out.append("limits: stimulus \(ConfigText.number(l.stimulus.lowerBound.volts))...\(ConfigText.number(l.stimulus.upperBound.volts)) V, "
            + "pulse ≤ \(formatted(l.maxPulseWidth.seconds * 1000, digits: 3)) ms, duty ≤ \(ConfigText.number(l.maxDutyCycle)), "
            + "sampling \(ConfigText.number(l.sampleRate.lowerBound.hertz))...\(ConfigText.number(l.sampleRate.upperBound.hertz)) Hz")
        if let s = simulation { out.append("simulation: model \(s.model.rawValue), seed \(s.seed)") }
        return out.joined(separator: "\n")
    }

    // A separate, non-inlined function: Swift 6.3.1's optimizer crashes (CopyPropagation, "Found outside of
    // lifetime use") when this loop body is inlined into `summary` in release builds.
    @inline(never)
    static func summaryLines(of device: Device) -> [String] {
        var out: [String] = []
        let at = device.address.map { " @ \($0)" } ?? ""
        let vref = device.reference.map { ", vref \(ConfigText.number($0.volts)) V" } ?? ""
        out.append("    \(device.name): \(device.compatible)\(at) (\(device.kind.rawValue)\(vref))")
        let channels = device.channels
        for channel in channels {
            out.append("      \(channel.label): \(channel.inputs), span \(ConfigText.number(channel.span.volts)) V, up to \(ConfigText.number(channel.maxSampleRate.hertz)) SPS")
        }
        return out
    }
}
