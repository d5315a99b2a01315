import NeuronBoard
import NeuronControl
import NeuronSession

// 20 pulses of 0.75 V x 5 ms at 33 Hz on the built-in mock board (the real drivers over simulated buses and chips,
// fed by a physics model of the neuron), the membrane sampled at 10 kS/s. A session brings the board up, runs the
// engine and ends in the safe state (DAC at 0 V); no files are written.
let train = PulseTrain(amplitude: .volts(0.75), width: .milliseconds(5), frequency: .hertz(33), count: 20)
let plan = SessionPlan.train(train, board: BoardSource.default.reference, tool: "SpikeCounter", seed: 7)
let result = try Session(plan).run().result

for spike in result.spikes {
    print("spike \(spike.index) on pulse \(spike.pulseIndex): onset \(Double(spike.onset) / 1e6) ms, peak \(spike.peak)")
}
print("\(result.spikes.count) spikes from \(result.channels[0].pulsesApplied) pulses; ended \(result.termination), safe state \(result.safeState)")
