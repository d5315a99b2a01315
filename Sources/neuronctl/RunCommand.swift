import ArgumentParser
import NeuronControl
import NeuronSession

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Apply a pulse train to a neuron, record the capacitor and detect spikes.",
        discussion: """
            Defaults are the paper's Fig. 2c protocol: 0.75 V, 5 ms pulses at 33 Hz, sampled at 10 kS/s. \
            Writes trace.csv (time_s, stimulus_v, membrane_v, pulse), spikes.csv and summary.json to --output; \
            read the CSVs with pandas.read_csv(path, comment='#'). SIGINT/SIGTERM/SIGHUP stop the run through the \
            safe state (DAC at 0 V, powered down) and the files are still written.

            Units may be given: --amplitude 750mV, --width 5ms, --frequency 33Hz, --duration 2s, --sample-rate 10k.

            --record FILE also saves the run (board, protocol, the exact ADC trace, pulses and spikes) when it ends, \
            however it ends, for `neuronctl replay FILE` to check.
            """)

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var neuronOptions: NeuronOptions
    @OptionGroup var pulse: PulseOptions

    @Option(help: ArgumentHelp("Number of pulses (default 100; exclusive with --duration).", valueName: "n"))
    var pulses: Int?

    @Option(help: ArgumentHelp("Run length (seconds unless a unit is given); as many whole periods as fit.", valueName: "s"))
    var duration: DurationArgument<Seconds>?

    @OptionGroup var flags: SessionFlags

    @Option(name: .customLong("sim-state"), help: ArgumentHelp("Simulated boards only: keep the DAC and GPIO registers in FILE, so they outlive this process (for `neuronctl supervise` and its tests).", valueName: "file"))
    var simState: String?

    func validate() throws {
        if pulses != nil && duration != nil {
            throw ValidationError("give either --pulses or --duration, not both")
        }
        if let pulses, pulses < 1 {
            throw ValidationError("--pulses must be at least 1 (got \(pulses))")
        }
        if let d = duration, d.duration < pulse.frequency.frequency.period {
            throw ValidationError("--duration \(Seconds.describe(d.duration)) is shorter than one period at \(pulse.frequency.frequency); give at least \(Seconds.describe(pulse.frequency.frequency.period))")
        }
    }

    var pulseCount: Int {
        if let pulses { return pulses }
        if let d = duration { return max(1, Int(d.duration.seconds * pulse.frequency.frequency.hertz + 1e-9)) }
        return 100
    }

    func run() throws {
        let train = PulseTrain(amplitude: pulse.amplitude.voltage, width: pulse.width.duration, frequency: pulse.frequency.frequency,
                               count: pulseCount)
        var plan = flags.plan("run", board: boardOptions.board, channels: [ChannelPlan(neuron: neuronOptions.neuron, stimulus: .train(train))])
        plan.simulation.stateFile = simState
        try execute(plan, json: flags.reporting.json)
    }
}
