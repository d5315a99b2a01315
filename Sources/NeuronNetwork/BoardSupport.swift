public import NeuronBoard
public import NeuronControl
import NeuronHAL

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
