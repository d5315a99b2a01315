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

    // Device model (leaky, voltage-dependent switching). Fitted on a grid; docs/model.md lists the target that
    // pulled each value and the fit's grid and result.
    /// Bias at which the memory grows by one second per second of bias (the paper's working point).
    public var referenceVolts = 0.75
    /// Transit stage τ_u: the bias first moves Ag ions toward the switching region, and only ions that arrived
    /// count for nucleation. 12 ms: within a 5 ms pulse the memory rises little, so the switching rate is nearly
    /// constant through a pulse (exponential waiting times, Fig. S8a) and spikes start early enough in their pulse
    /// to reach their plateau (20-60 pJ); the ions still in transit when a pulse ends arrive during the gap.
    public var transitTimeConstantSeconds = 12e-3
    /// Relaxation time τ of the switching memory (the ion distribution the bias builds up; it relaxes by ion
    /// migration). 35 ms: one 33 Hz period, so a train from rest is ready to fire by its second or third pulse
    /// (Fig. 2c), while 20 Hz trains relax between pulses and never build up enough (Fig. 4b).
    public var memoryTimeConstantSeconds = 35e-3
    /// Memory at which the switching rate equals `baseRatePerSecond`.
    public var criticalMemorySeconds = 4.05e-3
    /// Memory change that multiplies the switching rate by e. 0.2 ms: steep, so the memory a 20 Hz train reaches
    /// gives almost no switching while the memory of a 33 Hz train (higher by about 1 ms) gives about one spike in
    /// two pulses.
    public var memorySlopeSeconds = 0.2e-3
    /// Switching rate at the critical memory (only λ₀·exp(−m_c/m_s) matters; λ₀ is kept as the rate at m_c).
    public var baseRatePerSecond = 300.0
    /// Adaptation per spike: each spike raises the critical memory by this much, decaying with
    /// `adaptationTimeConstantSeconds` (a formed filament leaves the switching region harder to nucleate again).
    /// 0.5 ms: a train from rest fires more readily in its first pulses than once it has been spiking, and the
    /// firing pattern stays irregular (bias times spread like an exponential's) instead of locking into a period.
    public var adaptationPerSpikeSeconds = 0.5e-3
    /// Decay time of the spike adaptation: 150 ms, a few spikes' worth at 33 Hz.
    public var adaptationTimeConstantSeconds = 150e-3

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
/// - `.device` (default): the bias feeds a leaky memory m (seconds of effective bias) through a transit stage u:
///   du/dt = g − u/τ_u, dm/dt = u/τ_u − m/τ, with g(V) = max(0, (V − V_th)/(V_ref − V_th)) of the voltage across the
///   switch (g = 1 at 0.75 V, 0.22 at 0.40 V; while the filament conducts, of the applied pulse), τ_u = 12 ms and
///   τ = 35 ms. While V_sw > V_th the switch turns on with the rate λ = λ₀·exp((m − m_c − a)/m_s), λ₀ = 300/s,
///   m_c = 4.05 ms, m_s = 0.2 ms (steep: a filament nucleates from the ions earlier bias brought in). Each spike
///   adds 0.5 ms to the adaptation a, which decays with 150 ms.
///   Why each part is there (values and the grid they came from: docs/model.md):
///   - τ ≈ one 33 Hz period: a train from rest can fire by its second or third pulse (Fig. 2c), while at 20 Hz
///     the memory relaxes between pulses and stays below what the steep rate needs (Fig. 4b); 0.40 V (Fig. 4c)
///     and 2 ms pulses (Fig. S10) feed it far less, 50 Hz and 7.5 ms pulses far more.
///   - The transit stage delays the memory: it rises little within a 5 ms pulse, so the rate is nearly constant
///     through a pulse. Bias times are then spread like an exponential's (Fig. S8a) and most spikes start early
///     enough in their pulse to reach 20-60 pJ. Without it the memory rises through the pulse, the steep rate
///     fires only in the last millisecond, and most spikes are cut short.
///   - Adaptation: a train fires more readily in its first pulses than after it has been spiking, which lets
///     the first spike come within 1-3 pulses while the 33 Hz firing probability settles near 0.5 with a mean bias
///     time of 6.9 ms; it also keeps the intervals irregular instead of locking into every second pulse.
///   Switching is a Poisson process for a given rate (exponential waiting time), with the rate set by history.
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
    /// Ions in transit toward the memory (device model), seconds of effective bias.
    public private(set) var transit: Double = 0
    /// Spike adaptation (device model) at `adaptationTime`, seconds of memory added to the critical memory.
    public private(set) var adaptation: Double = 0
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
    private var transitDecay = ExpMemo()
    private var adaptationTime: Double = 0
    /// λ₀·exp(−(m_c + adaptation)/m_s) for the current `advance` call (the adaptation decays over 150 ms, so it is
    /// constant over one call to within 0.1 % at the loop's sample intervals).
    private var rateScale: Double = 0
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
        precondition(kind != .device || parameters.transitTimeConstantSeconds != parameters.memoryTimeConstantSeconds,
                     "the transit and memory time constants must differ")
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
            // No switching possible: one exact step of the linear circuit, and the memory relaxes (driven by the
            // pulse while the filament conducts).
            let dt = t - time
            relaxMemory(dt, drive: isOn ? drive(inputVolts) : 0)
            integrateCircuit(dt)
            time = t
            return
        }
        // Biased above threshold and off: integrate the switching rate in steps of at most 50 µs to find a
        // switching instant (the rate changes by at most e^0.125 over a step, so the trapezoid rule is within
        // 0.2 %); the rate at the end of one step is the rate at the start of the next.
        let maxStep = 50e-6
        if kind == .device {
            let a = adaptation * exp(-(time - adaptationTime) / parameters.adaptationTimeConstantSeconds)
            rateScale = parameters.baseRatePerSecond * exp(-(parameters.criticalMemorySeconds + a) / parameters.memorySlopeSeconds)
        }
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
                    relaxMemory(t - time, drive: drive(inputVolts))
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
            return rateScale * exp(m / parameters.memorySlopeSeconds)
        case .paper:
            return 1 / parameters.meanSwitchingBiasSeconds
        case .deterministic:
            // Integrated rate = bias time / 6.9 ms; with target 1 it switches after exactly 6.9 ms of bias.
            return 1 / parameters.meanSwitchingBiasSeconds
        }
    }

    /// Exact solution over dt of the transit stage and the memory, du/dt = g − u/τ_u and dm/dt = u/τ_u − m/τ:
    /// u = g·τ_u + Δu·e^(−t/τ_u), m = g·τ + A·e^(−t/τ_u) + (Δm − A)·e^(−t/τ) with A = Δu·τ/(τ_u − τ).
    @inline(__always)
    private mutating func relaxMemory(_ dt: Double, drive g: Double) {
        guard kind == .device else { return }
        let tau = parameters.memoryTimeConstantSeconds
        let tauU = parameters.transitTimeConstantSeconds
        let du = transit - g * tauU
        let a = du * tau / (tauU - tau)
        let eu = transitDecay.exp(-dt / tauU)
        transit = g * tauU + du * eu
        memory = g * tau + a * eu + (memory - g * tau - a) * memoryDecay.exp(-dt / tau)
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
        if kind == .device {
            adaptation = adaptation * exp(-(time - adaptationTime) / p.adaptationTimeConstantSeconds) + p.adaptationPerSpikeSeconds
            adaptationTime = time
        }
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
