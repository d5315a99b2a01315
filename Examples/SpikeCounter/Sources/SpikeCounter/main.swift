import NeuronBoard
import NeuronControl
import NeuronHAL

// The built-in mock board: the real drivers over simulated buses and chips, fed by a physics model of the neuron.
let board = try BoardLoader.load(BoardSource.default)
let runtime = try BoardRuntime(board, overrides: .init(seed: 7))
let neuron = try runtime.neuron(id: board.neurons[0].id)
let stimulus = try SafeStimulusOutput(neuron.stimulus, limits: board.limits.stimulus)

// 20 pulses of 0.75 V x 5 ms at 33 Hz, the membrane sampled at 10 kS/s; the loop ends in the safe state (DAC at 0 V).
let train = PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(33), count: 20)
let configuration = RunConfiguration(train: train, sampleRate: .hertz(10_000))
let result = ControlLoop(configuration: configuration, stimulus: stimulus, membrane: neuron.membrane, clock: runtime.clock).run()

for spike in result.spikes {
    print("spike \(spike.index) on pulse \(spike.pulseIndex): onset \(Double(spike.onset) / 1e6) ms, peak \(spike.peak)")
}
print("\(result.spikes.count) spikes from \(result.pulsesApplied) pulses; ended \(result.termination), safe state \(result.safeState)")
