#if canImport(Glibc)
import Glibc  // math only
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import NeuronHAL

/// Which switching law the simulated memristive switch follows.
public enum NeuronModelKind: String, Sendable, CaseIterable, Codable {
    /// Leaky, voltage-dependent switching fitted to the paper's Fig. 2c, 4 and S10 (see `PerovskiteNeuron`).
    case device
    /// The paper's own model for Fig. 3: a constant switching rate (mean 6.9 ms of bias) whenever the switch sees
    /// more than the threshold voltage, with no memory between pulses.
    case paper
    /// The paper's hypothetical deterministic neuron (Fig. 3): switches after exactly 6.9 ms of cumulative bias.
    case deterministic
}

/// Every parameter of the neuron circuit and of its switching law, with the paper's values as defaults.
///
/// Circuit (paper Fig. 2a, S5): input pulse V_in → volatile Ag/MAPbI₃/Au switch → node C (300 pF on-chip
/// capacitor to the Si substrate) → ground; the measurement path (the paper's oscilloscope, our ADC buffer plus a
/// bleed resistor) discharges C through R_dis ≈ 10 MΩ.
public struct NeuronParameters: Sendable, Hashable, Codable {
    /// The on-chip capacitor: 300 pF (paper, Fig. 2a).
    public var capacitanceFarads = 300e-12
    /// High-resistance state of the switch: ≈ 1 GΩ (paper, Fig. 1b).
    public var offResistanceOhms = 1e9
    /// While firing the switch is only partly formed: 1-4 MΩ from the charging fits (paper, Fig. S5). Drawn
    /// log-uniformly per spike.
    public var onResistanceRangeOhms: ClosedRange<Double> = 1e6...4e6
    /// Discharge path of the capacitor node: 10 MΩ, the oscilloscope input in the paper (Fig. S5c). On a board this
    /// is the front end's bleed resistor; the board file sets it.
    public var dischargeResistanceOhms = 10e6
    /// Switching threshold of the volatile switch: ≈ 0.3 V (paper, Fig. 1b).
    public var thresholdVolts = 0.3
    /// Partial filament formation (paper, p. 3: "the voltage drop over the switch is gradually reduced as the
    /// capacitor is charged, leading to only partial formation"): the formed filament conducts only while the switch
    /// sees more than a hold voltage, drawn uniformly per spike from this range. With 1-4 MΩ and 10 MΩ this puts
    /// fully formed spikes at 0.38-0.63 V on 0.75 V pulses, i.e. 21-59 pJ (paper: 20-60 pJ).
    public var holdVoltageRangeVolts: ClosedRange<Double> = 0.06...0.22

    // Device model (leaky, voltage-dependent switching).
    /// Bias at which the memory grows by one second per second of bias (the paper's working point).
    public var referenceVolts = 0.75
    /// Relaxation time of the switching memory (the Ag-ion distribution the bias builds up in the perovskite; it
    /// relaxes by ion migration, not by filament rupture). 250 ms: within the 125-500 ms over which the device
    /// recovers its high-resistance state (Fig. 1c, S2). The memory then averages the bias over several pulses, so
    /// it tracks the bias duty cycle: ≈ 0.10·τ at 20 Hz (Fig. 4b: silent), ≈ 0.13·τ while 33 Hz fires, more at 50 Hz.
    public var memoryTimeConstantSeconds = 250e-3
    /// Memory at which the switching rate equals `baseRate`.
    public var criticalMemorySeconds = 34.0e-3
    /// Memory change that multiplies the switching rate by e. 1.1 ms: the rate grows by about e⁴ over a 5 ms pulse at
    /// 33 Hz, so a switch often fires early enough in its pulse for the capacitor to reach its plateau.
    public var memorySlopeSeconds = 1.1e-3
    /// Switching rate at the critical memory (only λ₀·exp(−m_c/m_s) matters; λ₀ is kept as the rate at m_c).
    public var baseRatePerSecond = 300.0

    // Paper and deterministic models.
    /// Mean bias time before switching (paper, Fig. S8a: 6.9 ms at 0.75 V).
    public var meanSwitchingBiasSeconds = 6.9e-3

    public init() {}
}

/// One spike as the physics produced it (the ground truth a detector is checked against).
public struct NeuronSwitchEvent: Sendable, Hashable {
    /// When the switch turned on, in seconds of simulated time.
    public var time: Double
    /// Cumulative time the switch spent above threshold since the previous reset (or the start).
    public var biasTime: Double
    /// The on-resistance and hold voltage drawn for this spike.
    public var onResistanceOhms: Double
    public var holdVolts: Double
}

/// A volatile halide-perovskite memristive switch in series with a capacitor: a stochastic leaky integrate-and-fire
/// neuron (de Boer & Ehrler, Mater. Horiz. 2025, 12, 2701).
///
/// ## Circuit (all models)
/// Let V_sw = V_in − V_c be the voltage across the switch.
/// - Switch off: C·dV_c/dt = (V_in − V_c)/R_off − V_c/R_dis. With R_off = 1 GΩ the node settles at
///   V_in·R_dis/(R_off+R_dis) ≈ 7 mV for 0.75 V: no build-up worth detecting before firing (paper, p. 4).
/// - Switch on (a spike): the filament conducts only above a hold voltage V_h, like a diode with an offset:
///   C·dV_c/dt = (V_in − V_h − V_c)/R_on − V_c/R_dis, so V_c rises with τ = R_on·C ≈ 0.3-1.2 ms toward
///   (V_in − V_h)·R_dis/(R_on + R_dis). R_on (1-4 MΩ, log-uniform) and V_h are drawn per spike.
/// - Reset: when the input falls (the pulse ends) the charged capacitor reverse-biases the switch, which returns
///   to R_off at once (paper, Fig. S5a: the discharge fits the 10 MΩ path immediately). V_c then decays with
///   R_dis·C = 3 ms. A spike therefore lasts from switching to the end of its pulse, plus the decay.
/// Both linear ODEs are solved exactly between events, so the result does not depend on how often it is sampled.
///
/// ## Switching law
/// - `.paper`: a Poisson process with rate 1/6.9 ms while V_sw > 0.3 V (paper, Supplementary note S1 as described in
///   the main text), no memory. It fires at 20 Hz and on 2 ms pulses, which the device does not (Fig. 4b, S10).
/// - `.deterministic`: switches when the bias time since the last reset reaches exactly 6.9 ms (Fig. 3).
/// - `.device` (default): the switch integrates bias in a leaky memory m (seconds of effective bias):
///   dm/dt = g(V_sw) − m/τ, with g(V) = max(0, (V − V_th)/(V_ref − V_th)) (g = 1 at 0.75 V, 0.22 at 0.40 V) and
///   τ = 250 ms; while V_sw > V_th it switches with the rate λ = λ₀·exp((m − m_c)/m_s), λ₀ = 300/s, m_c = 34.0 ms,
///   m_s = 1.1 ms (a filament nucleates faster the more Ag ions the bias has accumulated, but not steeply: the rate
///   grows by about e⁴ over a 5 ms pulse). Switching is still a Poisson process (exponential waiting time for a
///   given rate), but the rate depends on history: a train only fires once enough bias accumulates faster than it
///   leaks. The values were fitted on a grid (Monte Carlo, then checked through the mock board) so that at
///   0.75 V / 5 ms / 33 Hz the switch fires on about 0.6 of the pulses (Fig. 2c: spikes after one to three pulses)
///   with a mean bias time before a spike of 6.2-6.6 ms (Fig. S8a: 6.9 ms) and about a third of the spikes early
///   enough in their pulse to reach their plateau (Fig. 2c), while 20 Hz (Fig. 4b), 0.40 V (Fig. 4c) and 2 ms
///   pulses (Fig. S10) stay below 1 %, 7.5 ms pulses fire on about 96 % of the pulses and 50 Hz on about 90 %.
///   A flatter rate would form more spikes fully but fire at 20 Hz and miss more 7.5 ms pulses; firing more often
///   at 33 Hz would shorten the mean bias time (it is 5 ms × (1/p − 1) plus the time into the firing pulse).
///   The memory starts at rest: a 33 Hz train needs about ten pulses before its first spike.
///   A spike does not clear m: reverse bias resets the filament, not the ion distribution that relaxes with τ.
///   g is evaluated at the start of each integration step; V_c is below 10 mV before a spike, so this is exact to
///   about 2 %.
/// Waiting times are drawn by inversion: an Exp(1) target E is drawn at each reset and the switch turns on when the
/// integrated rate ∫λ dt reaches E (integrated by the trapezoid rule in steps of at most 50 µs).
public struct PerovskiteNeuron: Sendable {
    public let kind: NeuronModelKind
    public let parameters: NeuronParameters

    /// Simulated time, seconds.
    public private(set) var time: Double = 0
    /// Applied input voltage (top electrode), volts.
    public private(set) var inputVolts: Double = 0
    /// Capacitor voltage, volts.
    public private(set) var capacitorVolts: Double = 0
    /// Whether the switch is in its low-resistance (firing) state.
    public private(set) var isOn = false
    /// The switching memory (device model), seconds of effective bias.
    public private(set) var memory: Double = 0
    /// Bias time above threshold since the last reset, seconds.
    public private(set) var biasTime: Double = 0
    /// Number of spikes so far.
    public private(set) var spikeCount = 0
    /// The most recent spike, if any.
    public private(set) var lastEvent: NeuronSwitchEvent?

    private var rng: SeededGenerator
    private var integratedRate: Double = 0
    private var target: Double
    private var onResistance: Double = 0
    private var holdVolts: Double = 0
    // exp() memos: the loop samples at a fixed interval, so the same decay factors recur; one entry each saves
    // two to three exp() calls per sample.
    private var memoryDecay = ExpMemo()
    // Circuit coefficients: off state fixed, on state set per spike (see `integrateCircuit`).
    private let offK: Double
    private let offB: Double
    private var onK = 0.0
    private var onB = 0.0
    private var circuitDecay = ExpMemo()

    public init(kind: NeuronModelKind = .device, parameters: NeuronParameters = NeuronParameters(), seed: UInt64) {
        self.kind = kind
        self.parameters = parameters
        self.rng = SeededGenerator(seed: seed)
        let c = parameters.capacitanceFarads
        offK = 1 / (parameters.offResistanceOhms * c)
        offB = (1 / parameters.offResistanceOhms + 1 / parameters.dischargeResistanceOhms) / c
        self.target = 1
        if kind != .deterministic { self.target = rng.nextExponential() }
    }

    /// Changes the input voltage at time `t` (seconds, not before the current time).
    public mutating func setInput(_ volts: Double, at t: Double) {
        advance(to: t)
        inputVolts = volts
        // The reverse bias of the charged capacitor resets the filament as soon as the drive drops (Fig. S5a).
        if isOn && inputVolts - capacitorVolts <= holdVolts {
            isOn = false
        }
    }

    /// Advances the physics to time `t` (seconds). Earlier times are ignored (time never runs backwards).
    public mutating func advance(to t: Double) {
        guard t > time else { return }
        if isOn || inputVolts - capacitorVolts <= parameters.thresholdVolts {
            // No switching possible: one exact step of the linear circuit, and the memory relaxes.
            let dt = t - time
            relaxMemory(dt, drive: 0)
            integrateCircuit(dt)
            time = t
            return
        }
        // Biased above threshold and off: integrate the switching rate in steps of at most 50 µs to find a
        // switching instant (the rate changes by at most e^0.125 over a step, so the trapezoid rule is within
        // 0.2 %); the rate at the end of one step is the rate at the start of the next.
        let maxStep = 50e-6
        var rate0 = rate(memory: memory)
        while time < t {
            let dt = min(maxStep, t - time)
            let v = inputVolts - capacitorVolts
            guard v > parameters.thresholdVolts else {
                relaxMemory(t - time, drive: 0)
                integrateCircuit(t - time)
                time = t
                return
            }
            relaxMemory(dt, drive: drive(v))
            let rate1 = rate(memory: memory)
            let increment = 0.5 * (rate0 + rate1) * dt
            if integratedRate + increment >= target {
                // Switch inside this step: linear interpolation of the integrated rate.
                let fraction = increment > 0 ? (target - integratedRate) / increment : 1
                let tSwitch = dt * min(max(fraction, 0), 1)
                integrateCircuit(tSwitch)
                biasTime += tSwitch
                time += tSwitch
                switchOn()
                integrateCircuit(dt - tSwitch)
                time += dt - tSwitch
                // The rest of the interval runs with the switch on.
                if time < t {
                    relaxMemory(t - time, drive: 0)
                    integrateCircuit(t - time)
                    time = t
                }
                return
            }
            rate0 = rate1
            integratedRate += increment
            biasTime += dt
            integrateCircuit(dt)
            time += dt
        }
    }

    /// g(V): the rate at which bias V feeds the device model's memory (dimensionless, 1 at `referenceVolts`).
    @inline(__always)
    private func drive(_ v: Double) -> Double {
        let p = parameters
        return max(0, (v - p.thresholdVolts) / (p.referenceVolts - p.thresholdVolts))
    }

    /// The switching rate (1/s) for the current model while biased above threshold.
    @inline(__always)
    private func rate(memory m: Double) -> Double {
        switch kind {
        case .device:
            return parameters.baseRatePerSecond * exp((m - parameters.criticalMemorySeconds) / parameters.memorySlopeSeconds)
        case .paper:
            return 1 / parameters.meanSwitchingBiasSeconds
        case .deterministic:
            // Integrated rate = bias time / 6.9 ms; with target 1 it switches after exactly 6.9 ms of bias.
            return 1 / parameters.meanSwitchingBiasSeconds
        }
    }

    /// Exact solution of dm/dt = g − m/τ over dt.
    @inline(__always)
    private mutating func relaxMemory(_ dt: Double, drive g: Double) {
        guard kind == .device else { return }
        let tau = parameters.memoryTimeConstantSeconds
        let steady = g * tau
        memory = steady + (memory - steady) * memoryDecay.exp(-dt / tau)
    }

    /// Exact solution of the circuit's linear ODE dV/dt = a − b·V over dt with the current switch state.
    @inline(__always)
    private mutating func integrateCircuit(_ dt: Double) {
        guard dt > 0 else { return }
        // dV/dt = k·(V_drive) − b·V with k = 1/(R·C) and b = (1/R + 1/R_dis)/C, precomputed per switch state.
        let k = isOn ? onK : offK
        let b = isOn ? onB : offB
        let steady = k * (isOn ? inputVolts - holdVolts : inputVolts) / b
        capacitorVolts = steady + (capacitorVolts - steady) * circuitDecay.exp(-b * dt)
    }

    private mutating func switchOn() {
        let p = parameters
        onResistance = rng.nextLogUniform(p.onResistanceRangeOhms.lowerBound, p.onResistanceRangeOhms.upperBound)
        holdVolts = rng.nextUniform(p.holdVoltageRangeVolts.lowerBound, p.holdVoltageRangeVolts.upperBound)
        onK = 1 / (onResistance * p.capacitanceFarads)
        onB = (1 / onResistance + 1 / p.dischargeResistanceOhms) / p.capacitanceFarads
        isOn = true
        spikeCount += 1
        lastEvent = NeuronSwitchEvent(time: time, biasTime: biasTime, onResistanceOhms: onResistance, holdVolts: holdVolts)
        biasTime = 0
        integratedRate = 0
        target = kind == .deterministic ? 1 : rng.nextExponential()
    }
}

extension PerovskiteNeuron {
    /// Typed convenience for the simulated board.
    public mutating func setInput(_ voltage: Voltage, at instant: MonotonicInstant) {
        setInput(voltage.volts, at: instant.seconds)
    }
    public var capacitorVoltage: Voltage { Voltage(volts: capacitorVolts) }
    public var capacitance: Capacitance { Capacitance(farads: parameters.capacitanceFarads) }
}

/// A one-entry memo of exp(x). Step lengths computed from instants differ in their last bits from one sample to
/// the next, so arguments within 1e-9 (relative) of the memo count as equal: exp changes by less than 1e-10 there.
struct ExpMemo: Sendable {
    private var x = 0.0
    private var value = 1.0
    @inline(__always)
    mutating func exp(_ x: Double) -> Double {
        if abs(x - self.x) > 1e-9 * abs(x) {
            self.x = x
            value = _exp(x)
        }
        return value
    }
}

/// The C library's exp, named apart from `ExpMemo.exp`.
@inline(__always) private func _exp(_ x: Double) -> Double { exp(x) }
