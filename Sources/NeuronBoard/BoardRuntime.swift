public import NeuronConfig
public import NeuronHAL

/// A board brought up from its description: buses opened, drivers built by one builder over whichever backend
/// carries the board (`SimulatedBoard` in NeuronBoardSim, `LinuxBoard` in NeuronBoardLinux). The application reaches
/// hardware only through `neuron(id:)` and `sensor(named:)`, which hand out HAL protocols; what is particular to a
/// backend (the simulated chips, the Linux handles) is reached through `backend`.
///
/// Not thread-safe: hand it to one thread (the loop's) and keep it there.
public final class BoardRuntime {
    public let description: BoardDescription
    public let clock: any MonotonicClock
    /// What carries the board: its buses, lines and clock.
    public let backend: any BoardBackend
    private var channels: [Int: NeuronHardware] = [:]
    private var sensors: [String: Sensor] = [:]

    /// What the control layer gets for one neuron.
    public struct NeuronHardware {
        public let channel: NeuronChannel
        /// The stimulus output; when the board has a stimulus gate, it is closed on the first write and opened
        /// again by `enterSafeState()`.
        public let stimulus: any AnalogOutput
        /// The capacitor (membrane) voltage, with the front end's gain already divided out.
        public let membrane: any AnalogInput
        public let comparator: (any DigitalInput)?
        public let spikeOut: (any DigitalOutput)?
        /// Reads the stimulus DAC back over its bus: the voltage it outputs and whether it is powered down.
        public let readBackStimulus: () throws(HardwareError) -> (voltage: Voltage, poweredDown: Bool)
    }

    /// Builds every neuron's drivers and every sensor's over `backend`'s buses, then lets the backend wire what it
    /// adds per neuron (`BoardBackend.wire`). Building does no bus transfer; the first transfer is the loop's first
    /// write. A bus or line the description names but the backend lacks is a `BoardError` at the neuron's key.
    public init<Backend: BoardBackend>(_ description: BoardDescription, backend: Backend) throws(BoardError) {
        self.description = description
        self.backend = backend
        self.clock = backend.clock
        let builder = NeuronHardwareBuilder(board: description, backend: backend)
        for neuron in description.neurons {
            channels[neuron.id] = try builder.hardware(for: neuron)
            try backend.wire(neuron)
        }
        for (bus, device) in description.buses.flatMap({ bus in bus.devices.map { (bus, $0) } }) where device.kind == .sensor {
            sensors[device.name] = try builder.sensor(device, on: bus)
        }
    }

    /// Every neuron's stimulus to its safe state (DAC at 0 V and powered down, gate open), each tried even when
    /// another failed: what the supervisor and `neuronctl safe-state` do after a controller died. Returns one line
    /// per neuron saying what the DAC reads back, and whether all reached the safe state.
    public func enterSafeStateEverywhere() -> (reached: Bool, report: [String]) {
        var ok = true
        var lines: [String] = []
        for neuron in description.neurons {
            guard let hw = channels[neuron.id] else { continue }
            var failure: HardwareError?
            do { try hw.stimulus.enterSafeState() } catch {
                // One retry, as SafeStimulusOutput does: a single NAK must not leave the chip biased.
                do { try hw.stimulus.enterSafeState() } catch { failure = error }
            }
            let readBack: String
            do {
                let r = try hw.readBackStimulus()
                readBack = "DAC reads back \(r.voltage)\(r.poweredDown ? ", powered down" : "")"
                if !r.poweredDown || r.voltage != .zero { ok = false }
            } catch {
                readBack = "DAC read-back FAILED: \(error)"
                ok = false
            }
            if failure != nil { ok = false }
            lines.append("neuron \(neuron.id): " + (failure.map { "safe state FAILED: \($0); " } ?? "safe state reached; ") + readBack)
        }
        return (ok, lines)
    }

    /// A sensor the board file declares (`kind: sensor`, e.g. `ti,tmp102`), read through its driver on the board's
    /// bus (the simulated bus on a simulated board). `read` does one bus transaction and returns the value in
    /// `unit`; it belongs to the loop thread, like every other handle of the board.
    public struct Sensor {
        public let name: String
        /// `°C` for a TMP102.
        public let unit: String
        /// How often the chip produces a fresh value (TMP102: its power-up 4 Hz conversion rate).
        public let conversionRate: Frequency
        public let read: () throws(HardwareError) -> Double
    }

    /// The sensor named `name`, or a `BoardError` listing the board's sensors.
    public func sensor(named name: String) throws(BoardError) -> Sensor {
        guard let sensor = sensors[name] else {
            let names = description.buses.flatMap(\.devices).filter { $0.kind == .sensor }.map(\.name)
            throw BoardError(
                source: description.source, keyPath: "buses", line: nil, column: nil,
                problem: "the board has no sensor named '\(name)'.",
                fix: names.isEmpty ? "add one, e.g. `temp0: { compatible: ti,tmp102, address: 0x49 }` under an i2c bus"
                    : "choose one of: \(names.joined(separator: ", "))")
        }
        return sensor
    }

    /// The hardware of the neuron with channel id `id`.
    public func neuron(id: Int) throws(BoardError) -> NeuronHardware {
        guard let hw = channels[id] else {
            let ids = description.neurons.map { String($0.id) }.joined(separator: ", ")
            throw BoardError(
                source: description.source, keyPath: "neurons", line: nil, column: nil,
                problem: "the board has no neuron with id \(id).", fix: "choose one of: \(ids)")
        }
        return hw
    }
}

/// What a neuron's stimulus DAC holds after a run, read back over its bus.
public struct DACReadBack: Sendable {
    /// The voltage it outputs; nil when every read failed.
    public var voltage: Voltage?
    public var poweredDown: Bool
    /// Reads that failed before the one that answered (or all of them).
    public var failedReads: Int
    public var lastError: HardwareError?

    /// For summaries: "DAC reads back 0.000 V, powered down", with the failed reads when there were any.
    public var text: String {
        guard let voltage else { return "DAC read-back FAILED after \(failedReads) reads: \(lastError.map { "\($0)" } ?? "no answer")" }
        let retried = failedReads == 0 ? "" : " (after \(failedReads) failed read\(failedReads == 1 ? "" : "s"))"
        return "DAC reads back \(voltage)\(poweredDown ? ", powered down" : "")\(retried)"
    }
}

extension BoardRuntime.NeuronHardware {
    /// Reads the stimulus DAC back, up to `attempts` times while the bus fails: a read changes nothing on the chip,
    /// so repeating it is safe, and one NAK on a noisy bus should not turn a safe state that was reached into an
    /// unknown one in the report. A DAC that never answers is reported with the last error.
    public func readBackStimulus(attempts: Int) -> DACReadBack {
        precondition(attempts >= 1, "at least one read")
        var failures = 0
        var last: HardwareError?
        while failures < attempts {
            do {
                let r = try readBackStimulus()
                return DACReadBack(voltage: r.voltage, poweredDown: r.poweredDown, failedReads: failures, lastError: last)
            } catch {
                failures += 1
                last = error
            }
        }
        return DACReadBack(voltage: nil, poweredDown: false, failedReads: failures, lastError: last)
    }
}
