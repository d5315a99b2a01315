public import NeuronBoard
public import NeuronControl
import NeuronHAL
import Foundation

extension BoardDescription {
    /// The board file's `limits` as the control layer's type.
    public var stimulusLimits: StimulusLimits {
        StimulusLimits(voltage: limits.stimulus, maxPulseWidth: limits.maxPulseWidth, maxDutyCycle: limits.maxDutyCycle,
                       sampleRate: limits.sampleRate)
    }
}

extension NetworkChannel {
    /// The neuron `id` of a board brought up, with its stimulus behind `SafeStimulusOutput` and the board's
    /// limits, and the detector's capacitance taken from the board file.
    public static func onBoard(_ runtime: BoardRuntime, id: Int, generator: (any PulseGenerator)? = nil,
                               detector: DetectorConfiguration = DetectorConfiguration()) throws -> NetworkChannel {
        let hw = try runtime.neuron(id: id)
        let limits = runtime.description.stimulusLimits
        var d = detector
        d.capacitance = hw.channel.capacitance
        return NetworkChannel(id: id, stimulus: try SafeStimulusOutput(hw.stimulus, limits: limits.voltage), membrane: hw.membrane,
                              limits: limits, detector: d, generator: generator)
    }
}

extension SensorValueFeed {
    /// The board's sensor `name`, sampled every `period`.
    public static func onBoard(_ runtime: BoardRuntime, sensor name: String, period: Duration) throws(BoardError) -> SensorValueFeed {
        let sensor = try runtime.sensor(named: name)
        return SensorValueFeed(period: period, read: sensor.read)
    }
}

extension Recording.Board {
    /// The board `runtime` was brought up from, with the text of its file at `path` or of the built-in board that
    /// `path` refers to (`BoardSource`; empty if it cannot be read again) and the simulation's model and seed.
    public init(path: String, runtime: BoardRuntime) {
        let yaml = (try? BoardSource(reference: path).text()) ?? ""
        self.init(name: runtime.description.board.name, file: path, yaml: yaml, simulated: runtime.description.board.simulated,
                  model: runtime.simulation?.model.rawValue, seed: runtime.simulation?.seed)
    }
}
